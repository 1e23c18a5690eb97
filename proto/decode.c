/* decode.c - protobuf-c unpacking under a memory budget (see decode.h). */
#include "decode.h"

#include <stdbool.h>
#include <stdlib.h>

/* One unpack's account. */
struct decode_budget {
	size_t limit;
	size_t used;
	bool exceeded;
};

static void *decode_alloc(void *data, size_t size)
{
	struct decode_budget *b = data;
	if (b != NULL) {
		size_t cost = size + DECODE_BLOCK_OVERHEAD;
		if (b->exceeded || cost < size || cost > b->limit - b->used) {
			b->exceeded = true;
			return NULL;
		}
		b->used += cost;
	}
	void *p = malloc(size ? size : 1);
	if (p == NULL && b != NULL)
		b->exceeded = true;
	return p;
}

static void decode_release(void *data, void *p)
{
	(void)data; /* the budget counts what was asked for, not what is live */
	free(p);
}

/* The allocator every decoded message is freed with; decode_unpack uses a copy
 * of it that carries its budget (the functions are the same). */
static ProtobufCAllocator decode_allocator = {
	.alloc = decode_alloc,
	.free = decode_release,
	.allocator_data = NULL,
};

ProtobufCMessage *decode_unpack(const ProtobufCMessageDescriptor *desc, const uint8_t *buf, size_t len, size_t budget,
				enum decode_result *result, size_t *used)
{
	struct decode_budget b = {.limit = budget, .used = 0, .exceeded = false};
	ProtobufCAllocator a = decode_allocator;
	a.allocator_data = &b;
	ProtobufCMessage *msg = protobuf_c_message_unpack(desc, &a, len, buf);
	if (used != NULL)
		*used = b.used;
	if (msg != NULL)
		*result = DECODE_OK;
	else
		*result = b.exceeded ? DECODE_OVER_BUDGET : DECODE_MALFORMED;
	return msg;
}

void decode_free(ProtobufCMessage *msg)
{
	if (msg != NULL)
		protobuf_c_message_free_unpacked(msg, &decode_allocator);
}
