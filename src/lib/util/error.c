/*
 * error.c - the thread-local stored error.
 *
 * A failing function stores its message here and returns a negative code;
 * callers on the way up may append "while ..." context lines but never
 * replace the original message, so the user sees where the problem was found
 * first and what deeplock was doing second.  The message buffer is owned per
 * thread and reused; when even formatting the message runs out of memory the
 * code is kept and a static message stands in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/common.h"

static _Thread_local int err_code;
static _Thread_local char *err_msg;
static _Thread_local dl_error err_view;

static const char *const oom_message = "out of memory";

/* Replace the message with a formatted one; on failure fall back to the
 * code's name so that the error is never lost. */
static void store_message(char *msg)
{
	if (err_msg != NULL && err_msg != oom_message)
		free(err_msg);
	err_msg = msg;
}

/* Error messages use the C library's allocator directly: they must survive
 * an allocation-failure test hook that is failing every dl_malloc. */
DL_PRINTF(1, 0) static char *vformat(const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return NULL;
	char *s = malloc((size_t)n + 1);
	if (s == NULL)
		return NULL;
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

int dl_error_setv(int code, const char *fmt, va_list ap)
{
	char *msg = vformat(fmt, ap);
	err_code = code;
	store_message(msg);
	return code;
}

int dl_error_set(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	dl_error_setv(code, fmt, ap);
	va_end(ap);
	return code;
}

int dl_error_oom(void)
{
	err_code = DL_ENOMEM;
	store_message(NULL);
	return DL_ENOMEM;
}

int dl_error_context(const char *fmt, ...)
{
	if (err_code == DL_OK)
		return DL_OK;
	va_list ap;
	va_start(ap, fmt);
	char *ctx = vformat(fmt, ap);
	va_end(ap);
	if (ctx == NULL)
		return err_code;
	const char *old = err_msg != NULL ? err_msg : dl_error_code_name(err_code);
	size_t n = strlen(old) + strlen(ctx) + sizeof("\n  while ");
	char *joined = malloc(n);
	if (joined != NULL) {
		snprintf(joined, n, "%s\n  while %s", old, ctx);
		store_message(joined);
	}
	free(ctx);
	return err_code;
}

void dl_error_clear(void)
{
	err_code = DL_OK;
	store_message(NULL);
}

const dl_error *dl_error_last(void)
{
	err_view.code = err_code;
	if (err_code == DL_OK)
		err_view.message = "";
	else if (err_msg != NULL)
		err_view.message = err_msg;
	else
		err_view.message = dl_error_code_name(err_code);
	return &err_view;
}

const char *dl_error_code_name(int code)
{
	switch (code) {
	case DL_OK: return "no error";
	case DL_ENOMEM: return oom_message;
	case DL_EPARSE: return "parse error";
	case DL_EINVAL: return "invalid argument";
	case DL_EIO: return "I/O error";
	case DL_ENOTFOUND: return "not found";
	case DL_ELIMIT: return "limit exceeded";
	case DL_EUNSUPPORTED: return "unsupported";
	default: return "error";
	}
}
