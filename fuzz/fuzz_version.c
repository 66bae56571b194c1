/*
 * fuzz_version.c - libFuzzer target for the PEP 440 version parser.
 *
 * Invariants, each checked with abort():
 *  - dl_version_is_valid agrees with dl_version_parse_into, and a failure
 *    is DL_EPARSE or DL_ELIMIT with a message that names the input;
 *  - a valid version prints to a canonical form that parses back to an
 *    equal version (both comparators, hash, packed key) printing the
 *    identical string; the public and base forms parse and compare as the
 *    version without its local label / without anything but its release;
 *  - the packed comparison agrees in sign with the full comparator, in
 *    both argument orders, against a fixed set of versions that covers
 *    every part;
 *  - a copy is equal with the same hash; the bound copies sit where
 *    version.h says (LOCAL_MAX and POST_MAX above the version, MIN below
 *    it when it has no dev part) and never equal a real version.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/version.h"

static const char *const fixed_text[] = {
	"0",      "0.dev0",     "1.0",       "1",        "1.0.0.0.0.0.0.0", "1.0a1",       "1.0b2.post3",
	"1.0rc1.dev1", "1.0.post1", "1.0.post1.dev2", "1.0+abc", "1.0+1.a", "1!1.0", "1.2.3.4.5.6.7.8",
	"32767.4095.4095.255", "32768", "1.0.dev8191", "1.0a8192", "18446744073709551615",
	"1.0a18446744073709551615.post18446744073709551615.dev18446744073709551615",
};
#define NFIXED (sizeof(fixed_text) / sizeof(fixed_text[0]))
static dl_version fixed[NFIXED];
static bool ready;

static void setup(void)
{
	for (size_t i = 0; i < NFIXED; i++) {
		if (dl_version_parse_into(&fixed[i], fixed_text[i], strlen(fixed_text[i])) != 0)
			abort();
	}
	ready = true;
}

static int sign(int c)
{
	return c < 0 ? -1 : c > 0;
}

static char *print(int (*fn)(const dl_version *, dl_buf *), const dl_version *v)
{
	dl_buf b = DL_BUF_INIT;
	dl_buf_put(&b, "", 0);
	if (fn(v, &b) != 0)
		abort();
	char *s = dl_buf_detach(&b, NULL);
	if (s == NULL)
		abort();
	return s;
}

/* Parse `s` (which must be valid) and compare it to `want` with the
 * comparators only. */
static void check_reparse_cmp(const char *s, const dl_version *want)
{
	dl_version w;
	if (dl_version_parse_into(&w, s, strlen(s)) != 0)
		abort();
	if (dl_version_cmp(&w, want) != 0 || dl_version_cmp_full(&w, want) != 0)
		abort();
	dl_version_clear(&w);
}

static void check_bounds(const dl_version *v)
{
	static const enum dl_version_bound kinds[] = {DL_VERSION_BOUND_MIN, DL_VERSION_BOUND_LOCAL_MAX,
	                                              DL_VERSION_BOUND_POST_MAX};
	for (size_t k = 0; k < 3; k++) {
		dl_version b;
		if (dl_version_bound_copy(&b, v, kinds[k]) != 0)
			abort();
		int c = dl_version_cmp(&b, v);
		if (c == 0 || sign(c) != -sign(dl_version_cmp_full(v, &b)))
			abort();
		if (kinds[k] == DL_VERSION_BOUND_MIN && !v->has_dev && c > 0)
			abort();
		if (kinds[k] != DL_VERSION_BOUND_MIN && c < 0)
			abort();
		for (size_t i = 0; i < NFIXED; i++) {
			int f = dl_version_cmp(&fixed[i], &b);
			if (f == 0 || sign(f) != -sign(dl_version_cmp_full(&b, &fixed[i])))
				abort();
		}
		dl_version_clear(&b);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ready)
		setup();
	const char *s = (const char *)data;
	dl_version v;
	int rc = dl_version_parse_into(&v, s, size);
	if (dl_version_is_valid(s, size) != (rc == 0))
		abort();
	if (rc != 0) {
		if (rc != DL_EPARSE && rc != DL_ELIMIT)
			abort();
		if (strncmp(dl_error_last()->message, "invalid version", 15) != 0)
			abort();
		return 0;
	}

	/* canonical form: a fixed point, the same version */
	char *c = print(dl_version_format, &v);
	dl_version w;
	if (dl_version_parse_into(&w, c, strlen(c)) != 0)
		abort();
	char *c2 = print(dl_version_format, &w);
	if (strcmp(c, c2) != 0)
		abort();
	if (dl_version_cmp(&v, &w) != 0 || dl_version_cmp_full(&v, &w) != 0 || !dl_version_eq(&w, &v))
		abort();
	if (dl_version_hash(&v) != dl_version_hash(&w) || v.key != w.key)
		abort();
	dl_free(c2);
	dl_version_clear(&w);

	/* the public form is the version without its local label */
	char *pub = print(dl_version_format_public, &v);
	dl_version nolocal = v;
	nolocal.local = NULL;
	nolocal.local_len = 0;
	nolocal.key = 0;
	check_reparse_cmp(pub, &nolocal);
	/* the base form: epoch and release */
	char *base = print(dl_version_format_base, &v);
	dl_version rel = nolocal;
	rel.pre_kind = DL_VERSION_PRE_NONE;
	rel.pre_num = rel.post_num = rel.dev_num = 0;
	rel.has_post = rel.has_dev = false;
	check_reparse_cmp(base, &rel);
	if (strncmp(c, pub, strlen(pub)) != 0 || strncmp(pub, base, strlen(base)) != 0)
		abort();
	dl_free(pub);
	dl_free(base);
	dl_free(c);

	/* packed and full comparison agree, both ways */
	for (size_t i = 0; i < NFIXED; i++) {
		int a = sign(dl_version_cmp(&v, &fixed[i]));
		if (a != sign(dl_version_cmp_full(&v, &fixed[i])) || a != -sign(dl_version_cmp(&fixed[i], &v)))
			abort();
		if (a == 0 && dl_version_hash(&v) != dl_version_hash(&fixed[i]))
			abort();
	}

	/* copies */
	dl_version cp;
	if (dl_version_copy(&cp, &v) != 0)
		abort();
	if (!dl_version_eq(&cp, &v) || dl_version_hash(&cp) != dl_version_hash(&v) || cp.key != v.key)
		abort();
	dl_version_clear(&v);
	check_bounds(&cp);
	dl_version_clear(&cp);
	return 0;
}
