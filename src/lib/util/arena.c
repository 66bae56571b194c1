/*
 * arena.c - bump allocator freed in one call.
 *
 * A resolution or a parsed document allocates thousands of small objects
 * that all die together; an arena makes each allocation a pointer bump and
 * the teardown one loop over blocks.  Blocks double in size up to 1 MiB; a
 * request larger than a block gets a block of its own.
 */
#include <stdarg.h>
#include <string.h>

#include "deeplock/common.h"

struct block {
	struct block *next;
	size_t size;
	size_t used;
	_Alignas(16) unsigned char data[];
};

struct dl_arena {
	struct block *head;
	size_t next_size;
	size_t handed_out;
};

#define ARENA_FIRST_BLOCK 4096
#define ARENA_MAX_BLOCK (1024 * 1024)

int dl_arena_new(dl_arena **out)
{
	dl_arena *a = dl_calloc(1, sizeof(*a));
	if (a == NULL)
		return dl_error_oom();
	a->next_size = ARENA_FIRST_BLOCK;
	*out = a;
	return 0;
}

static struct block *new_block(size_t size)
{
	size_t total;
	if (__builtin_add_overflow(sizeof(struct block), size, &total))
		return NULL;
	struct block *b = dl_malloc(total);
	if (b == NULL)
		return NULL;
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

void *dl_arena_alloc(dl_arena *a, size_t size)
{
	size_t rounded;
	if (__builtin_add_overflow(size, (size_t)15, &rounded))
		return NULL;
	rounded &= ~(size_t)15;
	if (rounded == 0)
		rounded = 16;
	struct block *b = a->head;
	if (b == NULL || b->size - b->used < rounded) {
		size_t bsize = a->next_size;
		if (rounded > bsize)
			bsize = rounded;
		struct block *nb = new_block(bsize);
		if (nb == NULL)
			return NULL;
		if (a->next_size < ARENA_MAX_BLOCK)
			a->next_size *= 2;
		/* Keep a partly used head first when the new block is a one-off
		 * large one, so its free space is not lost. */
		if (b != NULL && rounded > a->next_size / 2 && b->size - b->used >= 256) {
			nb->next = b->next;
			b->next = nb;
			nb->used = rounded;
			a->handed_out += rounded;
			return nb->data;
		}
		nb->next = b;
		a->head = nb;
		b = nb;
	}
	void *p = b->data + b->used;
	b->used += rounded;
	a->handed_out += rounded;
	return p;
}

void *dl_arena_calloc(dl_arena *a, size_t n, size_t size)
{
	size_t total;
	if (__builtin_mul_overflow(n, size, &total))
		return NULL;
	void *p = dl_arena_alloc(a, total);
	if (p != NULL)
		memset(p, 0, total);
	return p;
}

char *dl_arena_printf(dl_arena *a, const char *fmt, ...)
{
	dl_buf b = DL_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	dl_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	char *s = b.failed ? NULL : dl_arena_strndup(a, dl_buf_cstr(&b), b.len);
	dl_buf_free(&b);
	return s;
}

char *dl_arena_strndup(dl_arena *a, const char *s, size_t len)
{
	if (len == SIZE_MAX)
		return NULL;
	char *p = dl_arena_alloc(a, len + 1);
	if (p == NULL)
		return NULL;
	if (len > 0)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

size_t dl_arena_bytes(const dl_arena *a)
{
	return a->handed_out;
}

void dl_arena_free(dl_arena *a)
{
	if (a == NULL)
		return;
	struct block *b = a->head;
	while (b != NULL) {
		struct block *next = b->next;
		dl_free(b);
		b = next;
	}
	dl_free(a);
}
