/*
 * test_version.c - PEP 440 versions: every spelling the grammar allows and
 * its canonical form, the parts, error messages with their columns, the
 * 64-bit limit, ordering chains, the packed key against the full
 * comparator on a generated grid (bounds included, checked against what
 * version.h says about where they sit), hashing, copies of long versions,
 * and allocation failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dltest.h"
#include "deeplock/version.h"

static void parse_ok(dl_version *v, const char *s)
{
	int rc = dl_version_parse_into(v, s, strlen(s));
	if (rc != 0)
		fail_msg("parse of '%s' failed: %s", s, dl_error_last()->message);
}

static char *fmt(int (*f)(const dl_version *, dl_buf *), const dl_version *v)
{
	dl_buf b = DL_BUF_INIT;
	dl_buf_put(&b, "", 0);
	assert_int_equal(f(v, &b), 0);
	return dl_buf_detach(&b, NULL);
}

static void check_canon(const char *in, const char *want)
{
	dl_version v, w;
	parse_ok(&v, in);
	char *got = fmt(dl_version_format, &v);
	if (strcmp(got, want) != 0)
		fail_msg("'%s': canonical '%s', expected '%s'", in, got, want);
	/* the canonical form is a fixed point and the same version */
	parse_ok(&w, got);
	char *again = fmt(dl_version_format, &w);
	assert_string_equal(again, got);
	assert_int_equal(dl_version_cmp(&v, &w), 0);
	assert_int_equal(dl_version_cmp_full(&v, &w), 0);
	assert_true(dl_version_hash(&v) == dl_version_hash(&w));
	assert_true(v.key == w.key);
	assert_true(dl_version_is_valid(in, strlen(in)));
	dl_free(got);
	dl_free(again);
	dl_version_clear(&v);
	dl_version_clear(&w);
}

static void check_err(const char *in, size_t len, int code, const char *want)
{
	dl_version v;
	int rc = dl_version_parse_into(&v, in, len);
	if (rc != code)
		fail_msg("'%.*s': expected code %d, got %d (%s)", (int)len, in, code, rc, dl_error_last()->message);
	if (strcmp(dl_error_last()->message, want) != 0)
		fail_msg("'%.*s':\n got      %s\n expected %s", (int)len, in, dl_error_last()->message, want);
	/* nothing to release: clearing is harmless */
	assert_null(v.rel_heap);
	assert_null(v.local);
	assert_false(dl_version_is_valid(in, len));
}

/* ---- spellings ---------------------------------------------------------- */

static void test_spellings(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{"1.0", "1.0"},
		{"1", "1"},
		{"1.0.0", "1.0.0"},
		{"01.02.003", "1.2.3"},
		{"2023.10.01", "2023.10.1"},
		{"v1.0", "1.0"},
		{"V1.0", "1.0"},
		{"  1.0\t\n", "1.0"},
		{"\r\n v1.0 \f\v", "1.0"},
		{"0!1.0", "1.0"},
		{"1!1.0", "1!1.0"},
		{"007!1", "7!1"},
		/* pre-releases */
		{"1.0a1", "1.0a1"},
		{"1.0alpha1", "1.0a1"},
		{"1.0ALPHA1", "1.0a1"},
		{"1.0-alpha-1", "1.0a1"},
		{"1.0_a_1", "1.0a1"},
		{"1.0.a.1", "1.0a1"},
		{"1.0a.1", "1.0a1"},
		{"1.0a", "1.0a0"},
		{"1.0.alpha", "1.0a0"},
		{"1.0b2", "1.0b2"},
		{"1.0beta2", "1.0b2"},
		{"1.0-Beta.2", "1.0b2"},
		{"1.0b", "1.0b0"},
		{"1.0c1", "1.0rc1"},
		{"1.0rc1", "1.0rc1"},
		{"1.0RC1", "1.0rc1"},
		{"1.0-rc.1", "1.0rc1"},
		{"1.0pre1", "1.0rc1"},
		{"1.0.pre", "1.0rc0"},
		{"1.0preview1", "1.0rc1"},
		{"1.0_preview_01", "1.0rc1"},
		/* post-releases */
		{"1.0post1", "1.0.post1"},
		{"1.0.post1", "1.0.post1"},
		{"1.0-post1", "1.0.post1"},
		{"1.0_post_1", "1.0.post1"},
		{"1.0.post.1", "1.0.post1"},
		{"1.0post", "1.0.post0"},
		{"1.0-POST", "1.0.post0"},
		{"1.0rev1", "1.0.post1"},
		{"1.0.rev.2", "1.0.post2"},
		{"1.0r1", "1.0.post1"},
		{"1.0-r", "1.0.post0"},
		{"1.0-1", "1.0.post1"},
		{"1.0-01", "1.0.post1"},
		{"1.0a1-1", "1.0a1.post1"},
		/* dev releases */
		{"1.0dev1", "1.0.dev1"},
		{"1.0.dev1", "1.0.dev1"},
		{"1.0-dev1", "1.0.dev1"},
		{"1.0_dev_1", "1.0.dev1"},
		{"1.0dev", "1.0.dev0"},
		{"1.0.DEV", "1.0.dev0"},
		{"1.0-1.dev2", "1.0.post1.dev2"},
		{"1.0a1.post2.dev3", "1.0a1.post2.dev3"},
		{"1!2.0RC1-post3_dev4", "1!2.0rc1.post3.dev4"},
		/* local labels */
		{"1.0+Ubuntu-01", "1.0+ubuntu.1"},
		{"1.0+abc_def.GHI", "1.0+abc.def.ghi"},
		{"1.0+00", "1.0+0"},
		{"1.0+0a", "1.0+0a"},
		{"1.0+007.abc.0010", "1.0+7.abc.10"},
		{"1.0.post1+local", "1.0.post1+local"},
		{"v1.0a1.dev2+A-B_C.D", "1.0a1.dev2+a.b.c.d"},
		/* numbers up to 64 bits */
		{"18446744073709551615", "18446744073709551615"},
		{"1.0a18446744073709551615", "1.0a18446744073709551615"},
		/* Unicode whitespace, as Python's str.strip() sees it */
		{"\xc2\xa0" "1.0" "\xe2\x80\x83", "1.0"},
		{"\xe3\x80\x80" "1.0" "\xc2\x85", "1.0"},
		{"\x1c" "1.0" "\x1f", "1.0"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_canon(cases[i][0], cases[i][1]);
}

static void test_slices(void **state)
{
	(void)state;
	/* input is a slice: nothing past `len` is read */
	const char buf[] = "1.0abcdef";
	dl_version v;
	assert_int_equal(dl_version_parse_into(&v, buf, 3), 0);
	char *s = fmt(dl_version_format, &v);
	assert_string_equal(s, "1.0");
	dl_free(s);
	dl_version_clear(&v);
	char exact[4] = {'2', '.', '5', 'x'}; /* not NUL-terminated */
	assert_int_equal(dl_version_parse_into(&v, exact, 3), 0);
	assert_int_equal(dl_version_release(&v)[1], 5);
	dl_version_clear(&v);
	check_err(exact, 4, DL_EPARSE, "invalid version '2.5x': unexpected character at column 4");
	/* the allocating entry point */
	dl_version *p = NULL;
	assert_int_equal(dl_version_parse(&p, "1.2.3.4.5.6.7+x", 15), 0);
	assert_int_equal(p->nrelease, 7);
	assert_string_equal(p->local, "x");
	dl_version_free(p);
	p = (dl_version *)1;
	assert_int_equal(dl_version_parse(&p, "nope", 4), DL_EPARSE);
	dl_version_free(NULL);
	dl_version_clear(NULL);
}

static void test_parts(void **state)
{
	(void)state;
	dl_version v;
	parse_ok(&v, "1!2.0.3rc4.post5.dev6+Ubuntu-01");
	assert_int_equal(v.epoch, 1);
	assert_int_equal(v.nrelease, 3);
	assert_int_equal(dl_version_release(&v)[0], 2);
	assert_int_equal(dl_version_release(&v)[1], 0);
	assert_int_equal(dl_version_release(&v)[2], 3);
	assert_int_equal(v.pre_kind, DL_VERSION_PRE_RC);
	assert_int_equal(v.pre_num, 4);
	assert_true(v.has_post);
	assert_int_equal(v.post_num, 5);
	assert_true(v.has_dev);
	assert_int_equal(v.dev_num, 6);
	assert_string_equal(v.local, "ubuntu.1");
	assert_int_equal(v.local_len, 8);
	assert_int_equal(v.bound, DL_VERSION_BOUND_NONE);
	assert_int_equal(v.key, 0); /* epoch and local: not packed */
	assert_true(dl_version_is_prerelease(&v));
	assert_true(dl_version_is_devrelease(&v));
	assert_true(dl_version_is_postrelease(&v));
	char *s = fmt(dl_version_format_public, &v);
	assert_string_equal(s, "1!2.0.3rc4.post5.dev6");
	dl_free(s);
	s = fmt(dl_version_format_base, &v);
	assert_string_equal(s, "1!2.0.3");
	dl_free(s);
	dl_version_clear(&v);

	static const struct {
		const char *in;
		bool pre, dev, post;
	} cls[] = {
		{"1.0", false, false, false},
		{"1.0+local", false, false, false},
		{"1.0a1", true, false, false},
		{"1.0.dev1", true, true, false},
		{"1.0.post1", false, false, true},
		{"1.0.post1.dev1", true, true, true},
		{"1.0rc1.post1", true, false, true},
	};
	for (size_t i = 0; i < sizeof(cls) / sizeof(cls[0]); i++) {
		parse_ok(&v, cls[i].in);
		if (dl_version_is_prerelease(&v) != cls[i].pre || dl_version_is_devrelease(&v) != cls[i].dev ||
		    dl_version_is_postrelease(&v) != cls[i].post)
			fail_msg("'%s': wrong classification", cls[i].in);
		dl_version_clear(&v);
	}

	/* defaults of absent parts */
	parse_ok(&v, "3");
	assert_int_equal(v.pre_kind, DL_VERSION_PRE_NONE);
	assert_false(v.has_post);
	assert_false(v.has_dev);
	assert_null(v.local);
	assert_int_equal(v.epoch, 0);
	assert_int_not_equal(v.key, 0);
	dl_version_clear(&v);
}

static void test_errors(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		int code;
		const char *msg;
	} cases[] = {
		{"", DL_EPARSE, "invalid version '': expected a release number, found the end at column 1"},
		{"   ", DL_EPARSE, "invalid version '   ': expected a release number, found the end at column 4"},
		{"v", DL_EPARSE, "invalid version 'v': expected a release number, found the end at column 2"},
		{"1.0x", DL_EPARSE, "invalid version '1.0x': unexpected character at column 4"},
		{"1.0+", DL_EPARSE, "invalid version '1.0+': expected a local version label after '+' at column 5"},
		{"1!", DL_EPARSE, "invalid version '1!': expected a release number after the epoch at column 3"},
		{"!1.0", DL_EPARSE, "invalid version '!1.0': expected a release number at column 1"},
		{"a1.0", DL_EPARSE, "invalid version 'a1.0': expected a release number at column 1"},
		{"1..0", DL_EPARSE, "invalid version '1..0': unexpected character at column 2"},
		{"1.0.", DL_EPARSE, "invalid version '1.0.': unexpected character at column 4"},
		{"1.0 1", DL_EPARSE, "invalid version '1.0 1': unexpected character at column 4"},
		{" 1.0 x", DL_EPARSE, "invalid version ' 1.0 x': unexpected character at column 5"},
		{"1.0-", DL_EPARSE, "invalid version '1.0-': unexpected character at column 4"},
		{"1.0_", DL_EPARSE, "invalid version '1.0_': unexpected character at column 4"},
		{"1.0+abc-", DL_EPARSE, "invalid version '1.0+abc-': unexpected character at column 8"},
		{"1.0+a..b", DL_EPARSE, "invalid version '1.0+a..b': unexpected character at column 6"},
		{"1.0+a b", DL_EPARSE, "invalid version '1.0+a b': unexpected character at column 6"},
		{"1.0a1a", DL_EPARSE, "invalid version '1.0a1a': unexpected character at column 6"},
		{"1.0a1b1", DL_EPARSE, "invalid version '1.0a1b1': unexpected character at column 6"},
		{"1.0.post-", DL_EPARSE, "invalid version '1.0.post-': unexpected character at column 9"},
		{"1.0-1-1", DL_EPARSE, "invalid version '1.0-1-1': unexpected character at column 6"},
		{"1.0.dev1.post1", DL_EPARSE, "invalid version '1.0.dev1.post1': unexpected character at column 9"},
		{"1.0.dev1a1", DL_EPARSE, "invalid version '1.0.dev1a1': unexpected character at column 9"},
		{"1.0.*", DL_EPARSE, "invalid version '1.0.*': unexpected character at column 4"},
		{"1.0gamma", DL_EPARSE, "invalid version '1.0gamma': unexpected character at column 4"},
		{"vv1.0", DL_EPARSE, "invalid version 'vv1.0': expected a release number at column 2"},
		{"1,0", DL_EPARSE, "invalid version '1,0': unexpected character at column 2"},
		{"\xc2\xa1" "1.0", DL_EPARSE, "invalid version '\xc2\xa1" "1.0': expected a release number at column 1"},
		{"123456789012345678901234567890", DL_ELIMIT,
		 "invalid version '123456789012345678901234567890': the number at column 1 is too large (deeplock limits "
		 "version numbers to 64 bits)"},
		{"1.0.123456789012345678901234567890", DL_ELIMIT,
		 "invalid version '1.0.123456789012345678901234567890': the number at column 5 is too large (deeplock "
		 "limits version numbers to 64 bits)"},
		{"18446744073709551616", DL_ELIMIT,
		 "invalid version '18446744073709551616': the number at column 1 is too large (deeplock limits version "
		 "numbers to 64 bits)"},
		{"1.0a99999999999999999999", DL_ELIMIT,
		 "invalid version '1.0a99999999999999999999': the number at column 5 is too large (deeplock limits "
		 "version numbers to 64 bits)"},
		{"1.0.post99999999999999999999", DL_ELIMIT,
		 "invalid version '1.0.post99999999999999999999': the number at column 9 is too large (deeplock limits "
		 "version numbers to 64 bits)"},
		{"1.0-99999999999999999999", DL_ELIMIT,
		 "invalid version '1.0-99999999999999999999': the number at column 5 is too large (deeplock limits "
		 "version numbers to 64 bits)"},
		{"1.0.dev99999999999999999999", DL_ELIMIT,
		 "invalid version '1.0.dev99999999999999999999': the number at column 8 is too large (deeplock limits "
		 "version numbers to 64 bits)"},
		{"99999999999999999999!1", DL_ELIMIT,
		 "invalid version '99999999999999999999!1': the number at column 1 is too large (deeplock limits "
		 "version numbers to 64 bits)"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_err(cases[i].in, strlen(cases[i].in), cases[i].code, cases[i].msg);

	/* a local label's numbers are text: no limit there */
	check_canon("1.0+123456789012345678901234567890", "1.0+123456789012345678901234567890");

	/* long inputs are cut to 200 bytes in the message */
	char longin[400];
	memset(longin, '1', sizeof(longin));
	for (size_t i = 1; i < sizeof(longin); i += 2)
		longin[i] = '.';
	longin[sizeof(longin) - 1] = 'x';
	dl_version v;
	assert_int_equal(dl_version_parse_into(&v, longin, sizeof(longin)), DL_EPARSE);
	const char *m = dl_error_last()->message;
	assert_non_null(strstr(m, "unexpected character at column 400"));
	assert_true(strlen(m) < 300);
}

static void test_is_valid_keeps_error(void **state)
{
	(void)state;
	dl_error_set(DL_EIO, "an earlier failure");
	assert_true(dl_version_is_valid("1.0+abc", 7));
	assert_false(dl_version_is_valid("1.0x", 4));
	assert_int_equal(dl_error_last()->code, DL_EIO);
	assert_string_equal(dl_error_last()->message, "an earlier failure");
	dl_error_clear();
	assert_false(dl_version_is_valid("", 0));
	assert_int_equal(dl_error_last()->code, DL_OK);
}

/* ---- ordering ----------------------------------------------------------- */

static void check_chain(const char *const *chain, size_t n)
{
	dl_version *v = calloc(n, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		parse_ok(&v[i], chain[i]);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < n; j++) {
			int want = i < j ? -1 : i > j;
			int c = dl_version_cmp(&v[i], &v[j]), f = dl_version_cmp_full(&v[i], &v[j]);
			c = c < 0 ? -1 : c > 0;
			f = f < 0 ? -1 : f > 0;
			if (c != want || f != want)
				fail_msg("'%s' vs '%s': cmp %d, full %d, expected %d", chain[i], chain[j], c, f, want);
		}
	}
	for (size_t i = 0; i < n; i++)
		dl_version_clear(&v[i]);
	free(v);
}

static void check_equal(const char *a, const char *b)
{
	dl_version x, y;
	parse_ok(&x, a);
	parse_ok(&y, b);
	if (dl_version_cmp(&x, &y) != 0 || dl_version_cmp_full(&x, &y) != 0 || !dl_version_eq(&x, &y))
		fail_msg("'%s' and '%s' should be equal", a, b);
	if (dl_version_hash(&x) != dl_version_hash(&y))
		fail_msg("'%s' and '%s' are equal but hash differently", a, b);
	dl_version_clear(&x);
	dl_version_clear(&y);
}

static void test_ordering(void **state)
{
	(void)state;
	/* PEP 440's own example of the order within a release, and beyond */
	static const char *const pep[] = {
		"0.dev0",         "0",
		"0.0.1",          "1.0.dev456",
		"1.0a1",          "1.0a2.dev456",
		"1.0a12.dev456",  "1.0a12",
		"1.0b1.dev456",   "1.0b2",
		"1.0b2.post345.dev456", "1.0b2.post345",
		"1.0rc1.dev456",  "1.0rc1",
		"1.0",            "1.0+abc.5",
		"1.0+abc.7",      "1.0+5",
		"1.0.post456.dev34", "1.0.post456",
		"1.0.15",         "1.1.dev1",
		"1.1",            "2",
		"10.0",           "2000.1",
		"1!0.dev0",       "1!0.1",
		"2!0",
	};
	check_chain(pep, sizeof(pep) / sizeof(pep[0]));
	static const char *const pre[] = {
		"1.0.dev1",     "1.0.dev2",      "1.0.dev10",     "1.0a0.dev0", "1.0a0",
		"1.0a1.dev1",   "1.0a1",         "1.0a1+local",   "1.0a1.post0.dev0", "1.0a1.post0",
		"1.0a1.post1",  "1.0a2.dev0",    "1.0b0",         "1.0rc0",     "1.0rc1.post1",
		"1.0",          "1.0.post0.dev0", "1.0.post0",    "1.0.post0+x", "1.0.post1.dev5",
		"1.0.post1",    "1.0.0.1.dev0",   "1.0.0.1",       "1.0.1a1",
	};
	check_chain(pre, sizeof(pre) / sizeof(pre[0]));
	/* local labels: words below numbers, a prefix below the longer label,
	 * numbers by value, words by bytes */
	static const char *const local[] = {
		"1.0",        "1.0+0a",    "1.0+a",     "1.0+a.a",  "1.0+a.z",  "1.0+a.0",
		"1.0+a.1.b",  "1.0+a.2",   "1.0+a.10",  "1.0+ab",   "1.0+b",    "1.0+z9",
		"1.0+0",      "1.0+0.a",   "1.0+0.0",   "1.0+2",    "1.0+10",   "1.0+10.a",
		"1.0+123456789012345678901234567890",   "1.0.post0.dev0",
	};
	check_chain(local, sizeof(local) / sizeof(local[0]));

	check_equal("1", "1.0");
	check_equal("1.0", "1.0.0.0.0.0.0.0");
	check_equal("1.0a1", "1.0.0alpha01");
	check_equal("1.0+abc", "1.0.0+ABC");
	check_equal("1.0+01", "1.0+1");
	check_equal("0!1.0.post0", "1.0-0");
	check_equal("1.0rc1", "1.0c1");
	check_equal("1.0rc1", "1.0pre1");
	check_equal("1.2.3.4.5.6.7.8.0", "1.2.3.4.5.6.7.8");
}

/* ---- packed keys, bounds and hashes on a grid --------------------------- */

static const char *const grid_releases[] = {
	"0",       "0.0",      "1",        "1.0",       "1.0.0",    "1.0.0.0",   "1.0.0.0.0", "1.2",
	"1.2.3",   "1.2.3.4",  "1.2.3.4.5", "2",         "10",       "32767",     "32768",     "1.4095",
	"1.4096",  "1.0.4095", "1.0.4096", "1.0.0.255", "1.0.0.256", "2023.10.1", "1.2.3.4.5.6.7.8",
	"18446744073709551615",
};
static const char *const grid_suffixes[] = {
	"",          "a0",          "a1",        "b2",       "rc3",      ".post0",    ".post4",   ".dev0",
	".dev8191",  ".dev8192",    "a8191",     "a8192",    ".post8191", ".post8192", "a1.dev1",  "a1.post2",
	"a1.post2.dev3", ".post1.dev1", "+local", "+1",       "a1+x",     ".post0+l.2",
};

typedef struct grid {
	dl_version *v;
	char **text;
	size_t n;
} grid;

static void grid_build(grid *g, bool with_epochs)
{
	size_t nr = sizeof(grid_releases) / sizeof(grid_releases[0]);
	size_t ns = sizeof(grid_suffixes) / sizeof(grid_suffixes[0]);
	size_t cap = nr * ns * 2;
	g->v = calloc(cap, sizeof(*g->v));
	g->text = calloc(cap, sizeof(*g->text));
	g->n = 0;
	for (int e = 0; e < (with_epochs ? 2 : 1); e++) {
		for (size_t r = 0; r < nr; r++) {
			for (size_t s = 0; s < ns; s++) {
				char buf[128];
				snprintf(buf, sizeof(buf), "%s%s%s", e ? "1!" : "", grid_releases[r], grid_suffixes[s]);
				parse_ok(&g->v[g->n], buf);
				g->text[g->n] = strdup(buf);
				g->n++;
			}
		}
	}
}

static void grid_free(grid *g)
{
	for (size_t i = 0; i < g->n; i++) {
		dl_version_clear(&g->v[i]);
		free(g->text[i]);
	}
	free(g->v);
	free(g->text);
}

static int sign(int c)
{
	return c < 0 ? -1 : c > 0;
}

static int qsort_cmp(const void *a, const void *b)
{
	return dl_version_cmp(a, b);
}

static void test_packed_vs_full(void **state)
{
	(void)state;
	grid g;
	grid_build(&g, true);
	size_t packed = 0, equal_pairs = 0;
	for (size_t i = 0; i < g.n; i++)
		packed += g.v[i].key != 0;
	for (size_t i = 0; i < g.n; i++) {
		for (size_t j = 0; j < g.n; j++) {
			int c = sign(dl_version_cmp(&g.v[i], &g.v[j]));
			int f = sign(dl_version_cmp_full(&g.v[i], &g.v[j]));
			int r = sign(dl_version_cmp_full(&g.v[j], &g.v[i]));
			if (c != f || f != -r)
				fail_msg("'%s' vs '%s': packed %d, full %d, reversed %d", g.text[i], g.text[j], c, f, r);
			if (f == 0) {
				equal_pairs += i != j;
				if (dl_version_hash(&g.v[i]) != dl_version_hash(&g.v[j]))
					fail_msg("'%s' == '%s' but their hashes differ", g.text[i], g.text[j]);
			}
		}
	}
	/* both paths are really exercised */
	print_message("grid: %zu versions, %zu packed, %zu equal pairs\n", g.n, packed, equal_pairs);
	assert_true(packed > g.n / 8);
	assert_true(packed < g.n);
	assert_true(equal_pairs > 0);
	/* the order is a total preorder: sorted by the packed path, every pair
	 * is in order by the full one */
	dl_version *sorted = calloc(g.n, sizeof(*sorted));
	memcpy(sorted, g.v, g.n * sizeof(*sorted)); /* shallow: read only */
	qsort(sorted, g.n, sizeof(*sorted), qsort_cmp);
	for (size_t i = 0; i < g.n; i++)
		for (size_t j = i + 1; j < g.n; j++)
			assert_true(dl_version_cmp_full(&sorted[i], &sorted[j]) <= 0);
	free(sorted);
	grid_free(&g);

	/* exactly which versions pack */
	static const struct {
		const char *in;
		bool packs;
	} pk[] = {
		{"1.0", true},         {"1.0.0.0.0", true},   {"32767.4095.4095.255", true},
		{"32768", false},      {"1.4096", false},     {"1.0.4096", false},
		{"1.0.0.256", false},  {"1.2.3.4.5", false},  {"1.0a8191", true},
		{"1.0a8192", false},   {"1.0.post8191", true}, {"1.0.dev8192", false},
		{"1!1.0", false},      {"1.0+l", false},      {"1.0a1.dev1", false},
		{"1.0.post1.dev1", false}, {"1.0a1.post1", false}, {"0", true},
	};
	for (size_t i = 0; i < sizeof(pk) / sizeof(pk[0]); i++) {
		dl_version v;
		parse_ok(&v, pk[i].in);
		if ((v.key != 0) != pk[i].packs)
			fail_msg("'%s': packs %d, expected %d", pk[i].in, v.key != 0, pk[i].packs);
		dl_version_clear(&v);
	}
}

/* Same epoch, release (zero-padded) and pre-release part. */
static bool same_pre_part(const dl_version *a, const dl_version *b)
{
	dl_version x = *a, y = *b;
	x.has_post = y.has_post = x.has_dev = y.has_dev = false;
	x.post_num = y.post_num = x.dev_num = y.dev_num = 0;
	x.local = y.local = NULL;
	x.local_len = y.local_len = 0;
	x.key = y.key = 0;
	return dl_version_cmp_full(&x, &y) == 0;
}

static void test_bounds(void **state)
{
	(void)state;
	grid g;
	grid_build(&g, true);
	size_t checked = 0;
	for (size_t i = 0; i < g.n; i++) {
		const dl_version *v = &g.v[i];
		if (v->local != NULL)
			continue;
		dl_version mn, lm, pm;
		assert_int_equal(dl_version_bound_copy(&mn, v, DL_VERSION_BOUND_MIN), 0);
		assert_int_equal(dl_version_bound_copy(&lm, v, DL_VERSION_BOUND_LOCAL_MAX), 0);
		assert_int_equal(dl_version_bound_copy(&pm, v, DL_VERSION_BOUND_POST_MAX), 0);
		assert_int_equal(mn.key, 0);
		assert_int_equal(lm.key, 0);
		assert_int_equal(pm.key, 0);
		/* the least version that "starts with" v: v's first dev release */
		dl_version d0 = *v;
		d0.has_dev = true;
		d0.dev_num = 0;
		d0.key = 0;
		for (size_t j = 0; j < g.n; j++) {
			const dl_version *w = &g.v[j];
			dl_version pub = *w;
			pub.local = NULL;
			pub.local_len = 0;
			pub.key = 0;
			int a = dl_version_cmp(w, &mn), b = dl_version_cmp(w, &lm), c = dl_version_cmp(w, &pm);
			/* a bound never equals a real version, and both comparators
			 * and both argument orders agree */
			assert_int_not_equal(a, 0);
			assert_int_not_equal(b, 0);
			assert_int_not_equal(c, 0);
			assert_int_equal(sign(a), -sign(dl_version_cmp(&mn, w)));
			assert_int_equal(sign(b), -sign(dl_version_cmp_full(&lm, w)));
			assert_int_equal(sign(c), -sign(dl_version_cmp(&pm, w)));
			/* MIN: just below v's first dev release (v without a dev part) */
			if (!v->has_dev && (a > 0) != (dl_version_cmp_full(w, &d0) >= 0))
				fail_msg("'%s' vs MIN of '%s': %d", g.text[j], g.text[i], a);
			/* LOCAL_MAX: above v and its local versions, below the rest */
			if ((b > 0) != (dl_version_cmp_full(&pub, v) > 0))
				fail_msg("'%s' vs LOCAL_MAX of '%s': %d", g.text[j], g.text[i], b);
			/* POST_MAX: above v's post-releases (and locals), below the
			 * rest; for versions without a dev part, as `>V` uses it */
			if (!v->has_dev) {
				bool above = dl_version_cmp_full(w, v) > 0 && !same_pre_part(w, v);
				if ((c > 0) != above)
					fail_msg("'%s' vs POST_MAX of '%s': %d", g.text[j], g.text[i], c);
			}
			checked++;
		}
		/* ordering among the bounds of one version */
		assert_true(dl_version_cmp(&mn, v) < 0 || v->has_dev);
		assert_true(dl_version_cmp(&lm, v) > 0);
		assert_true(dl_version_cmp(&pm, &lm) > 0 || v->has_dev);
		/* a bound copy owns its memory like any version */
		if (v->nrelease > DL_VERSION_INLINE_RELEASE)
			assert_true(mn.rel_heap != v->rel_heap);
		dl_version_clear(&mn);
		dl_version_clear(&lm);
		dl_version_clear(&pm);
	}
	assert_true(checked > 100000);
	grid_free(&g);

	/* how bounds print (debugging only) */
	dl_version v, b;
	parse_ok(&v, "1.0+abc");
	static const struct {
		enum dl_version_bound kind;
		const char *text;
	} pr[] = {
		{DL_VERSION_BOUND_MIN, "1.0.MIN"},
		{DL_VERSION_BOUND_LOCAL_MAX, "1.0+abc+MAX"},
		{DL_VERSION_BOUND_POST_MAX, "1.0.post.MAX"},
		{DL_VERSION_BOUND_NONE, "1.0+abc"},
	};
	for (size_t i = 0; i < sizeof(pr) / sizeof(pr[0]); i++) {
		assert_int_equal(dl_version_bound_copy(&b, &v, pr[i].kind), 0);
		char *s = fmt(dl_version_format, &b);
		assert_string_equal(s, pr[i].text);
		dl_free(s);
		dl_version_clear(&b);
	}
	/* a bound of kind NONE is the version again, packed key included */
	dl_version_clear(&v);
	parse_ok(&v, "1.2");
	assert_int_equal(dl_version_bound_copy(&b, &v, DL_VERSION_BOUND_NONE), 0);
	assert_true(b.key == v.key && b.key != 0);
	dl_version_clear(&b);
	dl_version_clear(&v);
}

static void test_hash(void **state)
{
	(void)state;
	static const char *const eq[][2] = {
		{"1.0", "1.0.0"}, {"1", "1.0.0.0.0.0.0.0.0"}, {"1.0+ABC", "1.0.0+abc"}, {"1.0a1", "1.0alpha1"},
		{"1.0-1", "1.0.post1"}, {"v1.0.dev0", "1.0dev"},
	};
	for (size_t i = 0; i < sizeof(eq) / sizeof(eq[0]); i++)
		check_equal(eq[i][0], eq[i][1]);
	/* different versions: different hashes (no collision among these) */
	static const char *const ne[] = {"1.0", "1.1", "1.0a0", "1.0b0", "1.0rc0", "1.0.post0", "1.0.dev0",
	                                 "1.0+a", "1.0+b", "1!1.0", "0.1", "1.0.1", "1.0a0.dev0"};
	size_t n = sizeof(ne) / sizeof(ne[0]);
	uint64_t h[sizeof(ne) / sizeof(ne[0])];
	for (size_t i = 0; i < n; i++) {
		dl_version v;
		parse_ok(&v, ne[i]);
		h[i] = dl_version_hash(&v);
		dl_version_clear(&v);
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (h[i] == h[j])
				fail_msg("'%s' and '%s' hash alike", ne[i], ne[j]);
}

/* ---- copies and memory -------------------------------------------------- */

static void test_copy_long(void **state)
{
	(void)state;
	const char *in = "1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20a1+Local.01";
	dl_version v, c;
	parse_ok(&v, in);
	assert_int_equal(v.nrelease, 20);
	assert_non_null(v.rel_heap);
	assert_int_equal(dl_version_copy(&c, &v), 0);
	assert_true(c.rel_heap != v.rel_heap);
	assert_true(c.local != v.local);
	dl_version_clear(&v);
	/* the copy stands alone once the original is gone */
	assert_int_equal(c.nrelease, 20);
	for (uint32_t i = 0; i < 20; i++)
		assert_int_equal(dl_version_release(&c)[i], i + 1);
	char *s = fmt(dl_version_format, &c);
	assert_string_equal(s, "1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20a1+local.1");
	dl_free(s);
	s = fmt(dl_version_format_base, &c);
	assert_string_equal(s, "1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20");
	dl_free(s);
	/* clearing leaves a version that can be cleared again */
	dl_version_clear(&c);
	assert_null(c.rel_heap);
	assert_null(c.local);
	dl_version_clear(&c);

	/* exactly DL_VERSION_INLINE_RELEASE segments stay inline */
	parse_ok(&v, "1.2.3.4.5.6");
	assert_null(v.rel_heap);
	assert_int_equal(dl_version_copy(&c, &v), 0);
	assert_null(c.rel_heap);
	assert_true(dl_version_eq(&c, &v));
	dl_version_clear(&c);
	dl_version_clear(&v);
	parse_ok(&v, "1.2.3.4.5.6.7");
	assert_non_null(v.rel_heap);
	dl_version_clear(&v);

	/* many segments: the release grows past its first heap block */
	dl_buf b = DL_BUF_INIT;
	for (int i = 0; i < 1000; i++)
		dl_buf_printf(&b, i ? ".%d" : "%d", i % 7);
	parse_ok(&v, dl_buf_cstr(&b));
	assert_int_equal(v.nrelease, 1000);
	assert_int_equal(dl_version_release(&v)[999], 999 % 7);
	dl_version_clear(&v);
	dl_buf_free(&b);
}

static int alloc_parse(void *ctx)
{
	const char *in = ctx;
	dl_version v, c;
	int rc = dl_version_parse_into(&v, in, strlen(in));
	if (rc < 0)
		return rc;
	rc = dl_version_copy(&c, &v);
	if (rc == 0) {
		if (!dl_version_eq(&c, &v))
			rc = DL_ERROR;
		dl_version_clear(&c);
	}
	if (rc == 0) {
		dl_version b;
		rc = dl_version_bound_copy(&b, &v, DL_VERSION_BOUND_LOCAL_MAX);
		if (rc == 0)
			dl_version_clear(&b);
	}
	dl_version_clear(&v);
	return rc;
}

static int alloc_parse_heap(void *ctx)
{
	const char *in = ctx;
	dl_version *v = NULL;
	int rc = dl_version_parse(&v, in, strlen(in));
	if (rc < 0)
		return rc;
	dl_buf b = DL_BUF_INIT;
	rc = dl_version_format(v, &b);
	dl_buf_free(&b);
	dl_version_free(v);
	return rc;
}

static void test_alloc_failures(void **state)
{
	(void)state;
	dltest_each_alloc_failure(alloc_parse, "1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20.21rc1.post2+Ubuntu-01.X_y");
	dltest_each_alloc_failure(alloc_parse, "1.0+abc");
	dltest_each_alloc_failure(alloc_parse, "1.2.3.4.5.6.7");
	dltest_each_alloc_failure(alloc_parse_heap, "1.2.3.4.5.6.7.8+local");
	dl_allocator_set(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spellings),
		cmocka_unit_test(test_slices),
		cmocka_unit_test(test_parts),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_is_valid_keeps_error),
		cmocka_unit_test(test_ordering),
		cmocka_unit_test(test_packed_vs_full),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_copy_long),
		cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
