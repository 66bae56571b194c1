/*
 * test_pep440_samples.c - the PEP 440 parsers on real PyPI data
 * (../shared/conformance/pypi-samples/, read in place): every version of
 * version_sample.txt and every set of specs_sample.txt either parses (and
 * its normal form parses back to the same thing) or is rejected with a
 * message that names the input.  Then the cross-check that ties the two
 * halves of the module together: for every specifier set that parses
 * (`===` left out, whose string identity a range does not model) and every
 * version that parses, membership in the set's range equals membership in
 * the set with pre-releases allowed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dltest.h"
#include "deeplock/range.h"
#include "deeplock/specifier.h"
#include "deeplock/version.h"

typedef struct lines {
	char *buf;
	char **line;
	size_t n;
} lines;

/* Split a file into lines (no terminators), in place. */
static void read_lines(lines *l, const char *dir, const char *rel)
{
	size_t len = 0;
	l->buf = dltest_read_file(dltest_path(dir, rel), &len);
	assert_non_null(l->buf);
	l->line = NULL;
	l->n = 0;
	size_t cap = 0;
	char *p = l->buf, *end = l->buf + len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *e = nl != NULL ? nl : end;
		if (e > p && e[-1] == '\r')
			e[-1] = '\0';
		*e = '\0';
		if (l->n == cap) {
			cap = cap ? cap * 2 : 256;
			l->line = realloc(l->line, cap * sizeof(*l->line));
		}
		l->line[l->n++] = p;
		p = e + 1;
	}
}

static void free_lines(lines *l)
{
	free(l->line);
	free(l->buf);
}

static const char *shared;

static int setup(void **state)
{
	(void)state;
	shared = dltest_require_shared("test_pep440_samples");
	return 0;
}

static char *canonical(const dl_version *v)
{
	dl_buf b = DL_BUF_INIT;
	dl_buf_put(&b, "", 0);
	dl_version_format(v, &b);
	return dl_buf_detach(&b, NULL);
}

static void test_versions(void **state)
{
	(void)state;
	lines l;
	read_lines(&l, shared, "conformance/pypi-samples/version_sample.txt");
	size_t valid = 0, invalid = 0, limit = 0;
	for (size_t i = 0; i < l.n; i++) {
		const char *s = l.line[i];
		dl_version v;
		int rc = dl_version_parse_into(&v, s, strlen(s));
		if (rc != 0) {
			const char *m = dl_error_last()->message;
			if (rc != DL_EPARSE && rc != DL_ELIMIT)
				fail_msg("line %zu '%s': unexpected code %d", i + 1, s, rc);
			if (strstr(m, s) == NULL || strstr(m, " at column ") == NULL)
				fail_msg("line %zu '%s': the message does not name the input and a column: %s", i + 1, s, m);
			if (dl_version_is_valid(s, strlen(s)))
				fail_msg("line %zu '%s': is_valid disagrees with parse", i + 1, s);
			invalid++;
			limit += rc == DL_ELIMIT;
			continue;
		}
		valid++;
		/* the canonical form is a fixed point and the same version */
		char *c = canonical(&v);
		dl_version w;
		if (dl_version_parse_into(&w, c, strlen(c)) != 0)
			fail_msg("line %zu '%s': canonical '%s' does not parse", i + 1, s, c);
		char *c2 = canonical(&w);
		if (strcmp(c, c2) != 0 || dl_version_cmp(&v, &w) != 0 || dl_version_hash(&v) != dl_version_hash(&w))
			fail_msg("line %zu '%s': canonical '%s' reparses to '%s'", i + 1, s, c, c2);
		dl_free(c);
		dl_free(c2);
		dl_version_clear(&w);
		dl_version_clear(&v);
	}
	print_message("version_sample.txt: %zu lines, %zu valid, %zu invalid (%zu over the 64-bit limit)\n", l.n,
	              valid, invalid, limit);
	assert_int_equal(valid + invalid, l.n);
	assert_true(l.n >= 1300);
	/* real data is mostly valid */
	assert_true(valid > l.n * 9 / 10);
	free_lines(&l);
}

static void test_specifiers(void **state)
{
	(void)state;
	lines l;
	read_lines(&l, shared, "conformance/pypi-samples/specs_sample.txt");
	size_t valid = 0, invalid = 0;
	for (size_t i = 0; i < l.n; i++) {
		const char *s = l.line[i];
		dl_specset *set = NULL;
		int rc = dl_specset_parse(&set, s, strlen(s));
		if (rc != 0) {
			const char *m = dl_error_last()->message;
			if (strstr(m, s) == NULL || strstr(m, " at column ") == NULL)
				fail_msg("line %zu '%s': the message does not name the input and a column: %s", i + 1, s, m);
			print_message("  rejected: line %zu '%s': %s\n", i + 1, s, m);
			invalid++;
			continue;
		}
		valid++;
		dl_buf b = DL_BUF_INIT;
		dl_buf_put(&b, "", 0);
		assert_int_equal(dl_specset_format(set, &b), 0);
		dl_specset *again = NULL;
		if (dl_specset_parse(&again, b.ptr, b.len) != 0)
			fail_msg("line %zu '%s': normal form '%s' does not parse", i + 1, s, b.ptr);
		if (!dl_specset_eq(set, again) || dl_specset_hash(set) != dl_specset_hash(again))
			fail_msg("line %zu '%s': normal form '%s' is a different set", i + 1, s, b.ptr);
		dl_buf_free(&b);
		dl_specset_free(again);
		dl_specset_free(set);
	}
	print_message("specs_sample.txt: %zu lines, %zu valid, %zu invalid\n", l.n, valid, invalid);
	assert_int_equal(valid + invalid, l.n);
	assert_true(l.n >= 500);
	assert_true(valid > l.n * 9 / 10);
	free_lines(&l);
}

static bool has_arbitrary(const dl_specset *set)
{
	for (size_t i = 0; i < set->count; i++)
		if (set->specs[i].op == DL_SPEC_ARBITRARY)
			return true;
	return false;
}

static void test_range_cross_check(void **state)
{
	(void)state;
	lines vl, sl;
	read_lines(&vl, shared, "conformance/pypi-samples/version_sample.txt");
	read_lines(&sl, shared, "conformance/pypi-samples/specs_sample.txt");
	dl_version *vs = calloc(vl.n, sizeof(*vs));
	size_t nv = 0;
	for (size_t i = 0; i < vl.n; i++) {
		if (dl_version_parse_into(&vs[nv], vl.line[i], strlen(vl.line[i])) == 0)
			nv++;
	}
	size_t sets = 0, checks = 0, members = 0, failures = 0;
	for (size_t i = 0; i < sl.n; i++) {
		dl_specset *set = NULL;
		if (dl_specset_parse(&set, sl.line[i], strlen(sl.line[i])) != 0)
			continue;
		if (has_arbitrary(set)) {
			dl_specset_free(set);
			continue;
		}
		dl_range r;
		dl_range_init(&r);
		assert_int_equal(dl_range_from_specset(&r, set), 0);
		sets++;
		for (size_t j = 0; j < nv; j++) {
			bool in_range = dl_range_contains(&r, &vs[j]);
			bool in_set = dl_specset_contains(set, &vs[j], DL_PRERELEASES_ALLOW);
			checks++;
			members += in_set;
			if (in_range != in_set && failures++ < 20) {
				char *c = canonical(&vs[j]);
				dl_buf b = DL_BUF_INIT;
				dl_range_format(&r, &b);
				print_message("  MISMATCH: '%s' in '%s' (range %s): range %d, specifiers %d\n", c, sl.line[i],
				              dl_buf_cstr(&b), in_range, in_set);
				dl_buf_free(&b);
				dl_free(c);
			}
		}
		dl_range_clear(&r);
		dl_specset_free(set);
	}
	print_message("cross-check: %zu sets x %zu versions = %zu checks, %zu memberships, %zu mismatches\n", sets, nv,
	              checks, members, failures);
	assert_int_equal(failures, 0);
	assert_true(sets > 400 && members > 1000);
	for (size_t j = 0; j < nv; j++)
		dl_version_clear(&vs[j]);
	free(vs);
	free_lines(&vl);
	free_lines(&sl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_specifiers),
		cmocka_unit_test(test_range_cross_check),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
