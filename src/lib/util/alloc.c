/*
 * alloc.c - the allocator hook and overflow-checked allocation helpers.
 *
 * Every allocation in libdeeplock goes through dl_malloc and friends so that
 * tests can replace the allocator with one that fails on the Nth call and
 * check that each failure surfaces as a clean DL_ENOMEM with no leak.
 */
#include <stdlib.h>
#include <string.h>

#include "deeplock/common.h"

static void *libc_malloc(size_t size, void *ctx)
{
	(void)ctx;
	return malloc(size);
}

static void *libc_realloc(void *ptr, size_t size, void *ctx)
{
	(void)ctx;
	return realloc(ptr, size);
}

static void libc_free(void *ptr, void *ctx)
{
	(void)ctx;
	free(ptr);
}

static dl_allocator current = {libc_malloc, libc_realloc, libc_free, NULL};

void dl_allocator_set(const dl_allocator *a)
{
	if (a == NULL) {
		current.malloc_fn = libc_malloc;
		current.realloc_fn = libc_realloc;
		current.free_fn = libc_free;
		current.ctx = NULL;
	} else {
		current = *a;
	}
}

void *dl_malloc(size_t size)
{
	return current.malloc_fn(size == 0 ? 1 : size, current.ctx);
}

void *dl_calloc(size_t n, size_t size)
{
	size_t total;
	if (__builtin_mul_overflow(n, size, &total))
		return NULL;
	void *p = dl_malloc(total);
	if (p != NULL)
		memset(p, 0, total);
	return p;
}

void *dl_realloc(void *ptr, size_t size)
{
	return current.realloc_fn(ptr, size == 0 ? 1 : size, current.ctx);
}

int dl_realloc_array(void **ptr, size_t n, size_t size)
{
	size_t total;
	if (__builtin_mul_overflow(n, size, &total))
		return dl_error_set(DL_ELIMIT, "array of %zu elements of %zu bytes is too large", n, size);
	void *p = dl_realloc(*ptr, total);
	if (p == NULL)
		return dl_error_oom();
	*ptr = p;
	return 0;
}

void dl_free(void *ptr)
{
	if (ptr != NULL)
		current.free_fn(ptr, current.ctx);
}

char *dl_strndup(const char *s, size_t len)
{
	if (len == SIZE_MAX)
		return NULL;
	char *p = dl_malloc(len + 1);
	if (p == NULL)
		return NULL;
	if (len > 0)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *dl_strdup(const char *s)
{
	return dl_strndup(s, strlen(s));
}

bool dl_slice_ieq(const char *s, size_t len, const char *lit)
{
	size_t i = 0;
	for (; i < len; i++) {
		if (lit[i] == '\0' || dl_tolower((unsigned char)s[i]) != dl_tolower((unsigned char)lit[i]))
			return false;
	}
	return lit[i] == '\0';
}
