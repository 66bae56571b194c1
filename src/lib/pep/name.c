/*
 * name.c - PEP 503 / PEP 685 name normalisation and PEP 508 name validity.
 *
 * Names arrive from index pages, metadata and lock files; they are compared
 * only in normal form.  The comparison routine walks both names at once
 * without allocating, since the resolver and the lock readers call it often.
 */
#include "deeplock/name.h"

static bool is_sep(char c)
{
	return c == '-' || c == '_' || c == '.';
}

bool dl_name_is_valid(const char *s, size_t len)
{
	if (len == 0)
		return false;
	if (!dl_isalnum((unsigned char)s[0]) || !dl_isalnum((unsigned char)s[len - 1]))
		return false;
	for (size_t i = 1; i + 1 < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!dl_isalnum(c) && !is_sep((char)c))
			return false;
	}
	return true;
}

size_t dl_name_normalize_into(char *out, const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (is_sep(s[i])) {
			if (n == 0 || out[n - 1] != '-')
				out[n++] = '-';
		} else {
			out[n++] = (char)dl_tolower((unsigned char)s[i]);
		}
	}
	out[n] = '\0';
	return n;
}

int dl_name_normalize(char **out, const char *s, size_t len)
{
	if (!dl_name_is_valid(s, len))
		return dl_error_set(DL_EPARSE, "invalid project name '%.*s': a name starts and ends with a letter or digit and has only letters, digits, '-', '_' and '.'", (int)(len > 200 ? 200 : len), s);
	char *p = dl_malloc(len + 1);
	if (p == NULL)
		return dl_error_oom();
	dl_name_normalize_into(p, s, len);
	*out = p;
	return 0;
}

/* Next character of a name in normal form, starting at *i; returns 0 at the
 * end.  A run of separators yields one '-'. */
static int next_norm(const char *s, size_t len, size_t *i)
{
	if (*i >= len)
		return 0;
	if (is_sep(s[*i])) {
		while (*i < len && is_sep(s[*i]))
			(*i)++;
		return '-';
	}
	return dl_tolower((unsigned char)s[(*i)++]);
}

bool dl_name_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i = 0, j = 0;
	for (;;) {
		int ca = next_norm(a, alen, &i);
		int cb = next_norm(b, blen, &j);
		if (ca != cb)
			return false;
		if (ca == 0)
			return true;
	}
}
