/* arena.h - a bump allocator for short-lived object graphs (a protobuf response
 * being built, a request being assembled). Everything is freed at once by
 * arena_free; the arena owns every byte it hands out. */
#ifndef PLANREG_ARENA_H
#define PLANREG_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head;
};

/* Zeroed memory, aligned for any type. */
void *arena_alloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* As arena_printf, from a va_list (which it consumes). */
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Grows *items (of n elements of size bytes) by one and returns the new slot. */
void *arena_push(struct arena *a, void *items_ptr, size_t *n, size_t size);
void arena_free(struct arena *a);

/* Allocates a protobuf-c message of type T and runs its init function. */
#define ARENA_NEW(a, T, init) ((T *)arena_new_msg((a), sizeof(T), (void (*)(void *))(init)))
void *arena_new_msg(struct arena *a, size_t size, void (*init)(void *));

#endif
