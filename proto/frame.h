/* frame.h - the planreg/1 frame codec: a 4-byte big-endian length, then that many
 * bytes of protobuf. Pure functions over caller buffers; nothing here allocates. */
#ifndef PLANREG_FRAME_H
#define PLANREG_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_HEADER_BYTES 4
#define FRAME_DEFAULT_MAX_BYTES (1024 * 1024)

enum frame_result {
	FRAME_OK,        /* a whole frame is in the buffer */
	FRAME_NEED_MORE, /* not enough bytes yet; *need says how many in all */
	FRAME_EMPTY,     /* length 0: a protocol error */
	FRAME_TOO_LARGE, /* length above the cap: a protocol error */
};

/*
 * Looks at len bytes of buf. On FRAME_OK, *body and *body_len give the frame's
 * payload (pointing into buf) and *consumed the bytes the whole frame takes.
 * On FRAME_NEED_MORE, *need is the total number of bytes wanted (header, or
 * header + body). On FRAME_EMPTY / FRAME_TOO_LARGE, *body_len is the length the
 * header announced. max is the largest body accepted (>= 1).
 */
enum frame_result frame_decode(const uint8_t *buf, size_t len, size_t max, const uint8_t **body, size_t *body_len,
			       size_t *consumed, size_t *need);

/* Writes the 4-byte header for a body of body_len bytes into out. */
void frame_put_header(uint8_t out[FRAME_HEADER_BYTES], uint32_t body_len);

/* Reads the length from a 4-byte header. */
uint32_t frame_get_header(const uint8_t in[FRAME_HEADER_BYTES]);

/*
 * Writes header + body into out (capacity out_cap). Returns the bytes written,
 * or 0 when body_len is 0, above max, or does not fit.
 */
size_t frame_encode(const uint8_t *body, size_t body_len, size_t max, uint8_t *out, size_t out_cap);

const char *frame_result_name(enum frame_result r);

#endif
