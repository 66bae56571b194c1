/*
 * fuzz_http_headers.c - libFuzzer target for the HTTP header parsers:
 * dl_http_parse_date, dl_http_parse_retry_after and dl_cache_control_parse.
 *
 * The input is parsed by all three (each from an unterminated copy, so a
 * read past the slice is caught by ASan).  Invariants, checked with abort():
 * a parsed date in years 0000-9999 formats as an IMF-fixdate that parses
 * back to the same instant and formats identically; Retry-After waits are
 * never negative; a parsed Cache-Control has max_age >= -1, and parsing the
 * same text twice gives the same result; a failure always sets DL_EPARSE
 * with a message naming a column.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/cache.h"
#include "deeplock/fetch.h"

static void check_parse_error(int rc)
{
	if (rc != DL_EPARSE)
		abort();
	if (dl_error_last()->code != DL_EPARSE || strstr(dl_error_last()->message, "column ") == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *s = malloc(size > 0 ? size : 1);
	if (s == NULL)
		abort();
	memcpy(s, data, size);

	int64_t t = 0;
	int rc = dl_http_parse_date(&t, s, size);
	if (rc == 0) {
		char out[30], again[30];
		int64_t back = 0;
		if (dl_http_format_date(out, t) == 0) {
			if (dl_http_parse_date(&back, out, strlen(out)) != 0 || back != t)
				abort();
			if (dl_http_format_date(again, back) != 0 || strcmp(out, again) != 0)
				abort();
		}
	} else {
		check_parse_error(rc);
	}

	int64_t wait = -1;
	rc = dl_http_parse_retry_after(&wait, s, size, 1700000000);
	if (rc == 0 && wait < 0)
		abort();
	if (rc != 0)
		check_parse_error(rc);

	dl_cache_control a, b;
	rc = dl_cache_control_parse(&a, s, size);
	if (rc == 0) {
		if (a.max_age < -1)
			abort();
		/* field by field: the struct's padding is not part of the value */
		if (dl_cache_control_parse(&b, s, size) != 0 || a.max_age != b.max_age || a.no_cache != b.no_cache ||
		    a.no_store != b.no_store || a.must_revalidate != b.must_revalidate)
			abort();
	} else {
		check_parse_error(rc);
	}
	free(s);
	return 0;
}
