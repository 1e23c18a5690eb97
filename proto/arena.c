/* arena.c - a bump allocator freed all at once (see arena.h). */
#include "arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

#define ARENA_CHUNK_MIN 8192

struct arena_chunk {
	struct arena_chunk *next;
	size_t size;
	size_t used;
	alignas(max_align_t) unsigned char data[];
};

void *arena_alloc(struct arena *a, size_t n)
{
	const size_t align = alignof(max_align_t);
	n = (n + align - 1) & ~(align - 1);
	struct arena_chunk *c = a->head;
	if (c == NULL || c->size - c->used < n) {
		size_t size = n > ARENA_CHUNK_MIN ? n : ARENA_CHUNK_MIN;
		c = xmalloc(sizeof *c + size);
		c->size = size;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	void *p = c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	char *p = arena_alloc(a, n > 0 ? (size_t)n + 1 : 1);
	if (n > 0)
		vsnprintf(p, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return p;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}

void *arena_push(struct arena *a, void *items_ptr, size_t *n, size_t size)
{
	/* items_ptr is a pointer to the array pointer; the old array stays in the
	 * arena (freed with it), so growth doubles to keep the waste bounded. */
	void **items = items_ptr;
	size_t count = *n;
	if ((count & (count - 1)) == 0) { /* 0, 1, 2, 4, ...: the array is full */
		size_t cap = count ? count * 2 : 1;
		void *grown = arena_alloc(a, cap * size);
		if (count)
			memcpy(grown, *items, count * size);
		*items = grown;
	}
	*n = count + 1;
	return (char *)*items + count * size;
}

void *arena_new_msg(struct arena *a, size_t size, void (*init)(void *))
{
	void *m = arena_alloc(a, size);
	init(m);
	return m;
}

void arena_free(struct arena *a)
{
	struct arena_chunk *c = a->head;
	while (c) {
		struct arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
}
