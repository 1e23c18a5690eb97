/* decode.h - protobuf-c unpacking under a memory budget. protobuf-c's unpack has
 * no cap of its own beyond the input length: a 1 MiB message of empty
 * sub-messages decodes into more than 100 MiB. decode_unpack allocates through a
 * counting ProtobufCAllocator and makes the unpack fail once the budget is spent.
 * The caller owns the message and frees it with decode_free (the same allocator). */
#ifndef PLANREG_DECODE_H
#define PLANREG_DECODE_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

/* Counted per block on top of the bytes asked for: what malloc spends on a small block. */
#define DECODE_BLOCK_OVERHEAD 16

enum decode_result {
	DECODE_OK,
	DECODE_MALFORMED,   /* not a valid message of that type */
	DECODE_OVER_BUDGET, /* it would need more than the budget (or malloc failed) */
};

/*
 * Unpacks buf[0..len) as desc, allocating at most budget bytes in all (each
 * block counted as its size + DECODE_BLOCK_OVERHEAD, including protobuf-c's
 * scratch memory). NULL on failure, with *result saying why. *used (may be
 * NULL) is what the unpack counted, up to the point it stopped.
 */
ProtobufCMessage *decode_unpack(const ProtobufCMessageDescriptor *desc, const uint8_t *buf, size_t len, size_t budget,
				enum decode_result *result, size_t *used);

/* Frees a message from decode_unpack (NULL is fine). */
void decode_free(ProtobufCMessage *msg);

#endif
