/* frame.c - the planreg/1 frame codec (see frame.h). */
#include "frame.h"

#include <string.h>

void frame_put_header(uint8_t out[FRAME_HEADER_BYTES], uint32_t body_len)
{
	out[0] = (uint8_t)(body_len >> 24);
	out[1] = (uint8_t)(body_len >> 16);
	out[2] = (uint8_t)(body_len >> 8);
	out[3] = (uint8_t)body_len;
}

uint32_t frame_get_header(const uint8_t in[FRAME_HEADER_BYTES])
{
	return ((uint32_t)in[0] << 24) | ((uint32_t)in[1] << 16) | ((uint32_t)in[2] << 8) | (uint32_t)in[3];
}

enum frame_result frame_decode(const uint8_t *buf, size_t len, size_t max, const uint8_t **body, size_t *body_len,
			       size_t *consumed, size_t *need)
{
	*body = NULL;
	*body_len = 0;
	*consumed = 0;
	*need = FRAME_HEADER_BYTES;
	if (len < FRAME_HEADER_BYTES)
		return FRAME_NEED_MORE;

	uint32_t n = frame_get_header(buf);
	*body_len = n;
	if (n == 0)
		return FRAME_EMPTY;
	if (n > max)
		return FRAME_TOO_LARGE;
	*need = FRAME_HEADER_BYTES + (size_t)n;
	if (len - FRAME_HEADER_BYTES < n)
		return FRAME_NEED_MORE;
	*body = buf + FRAME_HEADER_BYTES;
	*consumed = FRAME_HEADER_BYTES + (size_t)n;
	return FRAME_OK;
}

size_t frame_encode(const uint8_t *body, size_t body_len, size_t max, uint8_t *out, size_t out_cap)
{
	if (body_len == 0 || body_len > max || body_len > UINT32_MAX)
		return 0;
	if (out_cap < FRAME_HEADER_BYTES || out_cap - FRAME_HEADER_BYTES < body_len)
		return 0;
	frame_put_header(out, (uint32_t)body_len);
	memcpy(out + FRAME_HEADER_BYTES, body, body_len);
	return FRAME_HEADER_BYTES + body_len;
}

const char *frame_result_name(enum frame_result r)
{
	switch (r) {
	case FRAME_OK:
		return "ok";
	case FRAME_NEED_MORE:
		return "need_more";
	case FRAME_EMPTY:
		return "empty frame";
	case FRAME_TOO_LARGE:
		return "frame too large";
	}
	return "unknown";
}
