/*
 * buf.c - growable byte buffer with a size cap.
 *
 * Modelled on curl's dynbuf: every append is checked against an explicit
 * maximum, so an endless index page or a hostile archive member cannot grow a
 * buffer without bound.  The first failure frees the contents and makes the
 * buffer "failed": later appends return the same code, so a sequence of
 * appends can be checked once at the end.
 */
#include <stdio.h>
#include <string.h>

#include "deeplock/common.h"

void dl_buf_init(dl_buf *b, size_t max)
{
	b->ptr = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
	b->failed = 0;
}

static size_t buf_max(const dl_buf *b)
{
	return b->max != 0 ? b->max : DL_BUF_DEFAULT_MAX;
}

static int buf_fail(dl_buf *b, int code)
{
	dl_free(b->ptr);
	b->ptr = NULL;
	b->len = 0;
	b->cap = 0;
	b->failed = code;
	if (code == DL_ENOMEM)
		return dl_error_oom();
	return dl_error_set(code, "buffer would exceed its limit of %zu bytes", buf_max(b));
}

/* Make room for `extra` more bytes plus the terminating NUL. */
static int buf_reserve(dl_buf *b, size_t extra)
{
	if (b->failed)
		return b->failed;
	size_t need;
	if (__builtin_add_overflow(b->len, extra, &need) || need > buf_max(b))
		return buf_fail(b, DL_ELIMIT);
	need += 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap != 0 ? b->cap : 64;
	while (cap < need) {
		if (cap > SIZE_MAX / 2) {
			cap = need;
			break;
		}
		cap *= 2;
	}
	if (cap > buf_max(b) + 1)
		cap = buf_max(b) + 1;
	char *p = dl_realloc(b->ptr, cap);
	if (p == NULL)
		return buf_fail(b, DL_ENOMEM);
	b->ptr = p;
	b->cap = cap;
	return 0;
}

int dl_buf_put(dl_buf *b, const void *data, size_t len)
{
	int rc = buf_reserve(b, len);
	if (rc < 0)
		return rc;
	if (len > 0)
		memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return 0;
}

int dl_buf_puts(dl_buf *b, const char *s)
{
	return dl_buf_put(b, s, strlen(s));
}

int dl_buf_putc(dl_buf *b, char c)
{
	return dl_buf_put(b, &c, 1);
}

int dl_buf_vprintf(dl_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return buf_fail(b, DL_EINVAL);
	int rc = buf_reserve(b, (size_t)n);
	if (rc < 0)
		return rc;
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int dl_buf_printf(dl_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = dl_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

const char *dl_buf_cstr(const dl_buf *b)
{
	return b->ptr != NULL ? b->ptr : "";
}

void dl_buf_reset(dl_buf *b)
{
	b->len = 0;
	if (b->ptr != NULL)
		b->ptr[0] = '\0';
	b->failed = 0;
}

char *dl_buf_detach(dl_buf *b, size_t *len_out)
{
	if (b->failed)
		return NULL;
	char *p = b->ptr;
	size_t len = b->len;
	if (p == NULL) {
		p = dl_strndup("", 0);
		if (p == NULL) {
			dl_error_oom();
			return NULL;
		}
	}
	b->ptr = NULL;
	b->len = 0;
	b->cap = 0;
	if (len_out != NULL)
		*len_out = len;
	return p;
}

void dl_buf_free(dl_buf *b)
{
	dl_free(b->ptr);
	b->ptr = NULL;
	b->len = 0;
	b->cap = 0;
	b->failed = 0;
}
