/*
 * test_specifier.c - PEP 440 specifier sets: parsing and normal form,
 * validation errors with their columns, each operator's membership rules
 * (local versions, the exclusive operators' pre/post rules, ~=, prefixes,
 * ===), the pre-release policies of contains and filter, equality and
 * hashing, and allocation failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dltest.h"
#include "deeplock/specifier.h"

static dl_specset *set_ok(const char *s)
{
	dl_specset *set = NULL;
	int rc = dl_specset_parse(&set, s, strlen(s));
	if (rc != 0)
		fail_msg("parse of '%s' failed: %s", s, dl_error_last()->message);
	return set;
}

static void ver_ok(dl_version *v, const char *s)
{
	if (dl_version_parse_into(v, s, strlen(s)) != 0)
		fail_msg("version '%s': %s", s, dl_error_last()->message);
}

static char *format_set(const dl_specset *set)
{
	dl_buf b = DL_BUF_INIT;
	dl_buf_put(&b, "", 0);
	assert_int_equal(dl_specset_format(set, &b), 0);
	return dl_buf_detach(&b, NULL);
}

/* ---- parsing ------------------------------------------------------------ */

static void test_normal_form(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
		size_t count;
	} cases[] = {
		{">=1.0, <2", ">=1.0,<2", 2},
		{"  ==1.0.*  ", "==1.0.*", 1},
		{"~= 1.4.5", "~=1.4.5", 1},
		{"!=1.0.*", "!=1.0.*", 1},
		{"===foobar", "===foobar", 1},
		{"=== FooBar ", "===FooBar", 1},
		{"===1.0", "===1.0", 1},
		{"==1.0+Local-01", "==1.0+local.1", 1},
		{"!=1.0+abc", "!=1.0+abc", 1},
		{"< 2.0", "<2.0", 1},
		{">=v1.0", ">=1.0", 1},
		{">= V1.0", ">=1.0", 1},
		{"==v1.0.*", "==1.0.*", 1},
		{"==1.0.0.*", "==1.0.0.*", 1},
		{">1.0RC1", ">1.0rc1", 1},
		{"<=1.0-1", "<=1.0.post1", 1},
		{"\t>=1\t,\t<2\t", ">=1,<2", 2},
		{">=1.0a1,!=1.5,<2.0.post1,~=1.2", ">=1.0a1,!=1.5,<2.0.post1,~=1.2", 4},
		{"==1!2.0", "==1!2.0", 1},
		{">=1,>=1", ">=1,>=1", 2},
		{"", "", 0},
		{"   ", "", 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dl_specset *set = set_ok(cases[i].in);
		assert_int_equal(set->count, cases[i].count);
		char *got = format_set(set);
		if (strcmp(got, cases[i].out) != 0)
			fail_msg("'%s': normal form '%s', expected '%s'", cases[i].in, got, cases[i].out);
		/* the normal form parses to an equal set */
		dl_specset *again = set_ok(got);
		assert_true(dl_specset_eq(set, again));
		assert_true(dl_specset_hash(set) == dl_specset_hash(again));
		dl_free(got);
		dl_specset_free(again);
		dl_specset_free(set);
	}

	/* operators and their parts */
	dl_specset *set = set_ok("~=1.4.5, ==2.*, !=3.0.*, ==4.0, !=5, <=6, >=7, <8, >9, ===ten");
	static const dl_spec_op ops[] = {DL_SPEC_COMPATIBLE, DL_SPEC_EQ_PREFIX, DL_SPEC_NE_PREFIX, DL_SPEC_EQ,
	                                 DL_SPEC_NE,         DL_SPEC_LE,        DL_SPEC_GE,        DL_SPEC_LT,
	                                 DL_SPEC_GT,         DL_SPEC_ARBITRARY};
	static const char *const texts[] = {"1.4.5", "2.*", "3.0.*", "4.0", "5", "6", "7", "8", "9", "ten"};
	static const char *const opstr[] = {"~=", "==", "!=", "==", "!=", "<=", ">=", "<", ">", "==="};
	assert_int_equal(set->count, 10);
	for (size_t i = 0; i < 10; i++) {
		assert_int_equal(set->specs[i].op, ops[i]);
		assert_string_equal(set->specs[i].text, texts[i]);
		assert_string_equal(dl_spec_op_str(set->specs[i].op), opstr[i]);
	}
	assert_int_equal(set->specs[1].version.nrelease, 1); /* the wildcard is not part of it */
	assert_int_equal(set->specs[9].version.nrelease, 0); /* "ten" is not a version */
	dl_specset_free(set);
	set = set_ok("===1.0");
	assert_int_equal(set->specs[0].version.nrelease, 2); /* === keeps a parse when there is one */
	dl_specset_free(set);
	assert_string_equal(dl_spec_op_str((dl_spec_op)42), "?");

	/* input is a slice */
	const char buf[] = ">=1.0,<2garbage";
	assert_int_equal(dl_specset_parse(&set, buf, 8), 0);
	assert_int_equal(set->count, 2);
	char *s = format_set(set);
	assert_string_equal(s, ">=1.0,<2");
	dl_free(s);
	dl_specset_free(set);
	dl_specset_free(NULL);
}

static void check_err(const char *in, int code, const char *want)
{
	dl_specset *set = (dl_specset *)1;
	int rc = dl_specset_parse(&set, in, strlen(in));
	if (rc != code)
		fail_msg("'%s': expected code %d, got %d (%s)", in, code, rc, dl_error_last()->message);
	if (strcmp(dl_error_last()->message, want) != 0)
		fail_msg("'%s':\n got      %s\n expected %s", in, dl_error_last()->message, want);
	assert_true(set == (dl_specset *)1); /* untouched */
}

static void test_errors(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		int code;
		const char *msg;
	} cases[] = {
		{"=1.0", DL_EPARSE, "invalid specifier '=1.0': expected an operator (~=, ==, !=, <=, >=, <, >, ===) at column 1"},
		{"1.0", DL_EPARSE, "invalid specifier '1.0': expected an operator (~=, ==, !=, <=, >=, <, >, ===) at column 1"},
		{">=1,=2", DL_EPARSE, "invalid specifier '>=1,=2': expected an operator (~=, ==, !=, <=, >=, <, >, ===) at column 5"},
		{">=", DL_EPARSE, "invalid specifier '>=': expected a version after the operator at column 3"},
		{"===", DL_EPARSE, "invalid specifier '===': expected a version after the operator at column 4"},
		{"<  ", DL_EPARSE, "invalid specifier '<  ': expected a version after the operator at column 2"},
		{">=1.0.*", DL_EPARSE, "invalid specifier '>=1.0.*': a '.*' wildcard is only allowed with == and != at column 6"},
		{"~=1.0.*", DL_EPARSE, "invalid specifier '~=1.0.*': a '.*' wildcard is only allowed with == and != at column 6"},
		{"<1.*", DL_EPARSE, "invalid specifier '<1.*': a '.*' wildcard is only allowed with == and != at column 3"},
		{"~=1", DL_EPARSE, "invalid specifier '~=1': ~= needs a version with at least two release numbers at column 3"},
		{"~=1a1", DL_EPARSE, "invalid specifier '~=1a1': ~= needs a version with at least two release numbers at column 3"},
		{"<1.0+abc", DL_EPARSE, "invalid specifier '<1.0+abc': a local version label is only allowed with == and != at column 2"},
		{">=1.0+abc", DL_EPARSE, "invalid specifier '>=1.0+abc': a local version label is only allowed with == and != at column 3"},
		{"~=1.0+abc", DL_EPARSE, "invalid specifier '~=1.0+abc': a local version label is only allowed with == and != at column 3"},
		{"==1.0a1.*", DL_EPARSE, "invalid specifier '==1.0a1.*': a '.*' wildcard may only follow release numbers at column 3"},
		{"==1.0+abc.*", DL_EPARSE, "invalid specifier '==1.0+abc.*': a '.*' wildcard may only follow release numbers at column 3"},
		{"!=1.0.post1.*", DL_EPARSE, "invalid specifier '!=1.0.post1.*': a '.*' wildcard may only follow release numbers at column 3"},
		{">=1.0 2", DL_EPARSE, "invalid specifier '>=1.0 2': unexpected space inside the version at column 6"},
		{"=== foo bar", DL_EPARSE, "invalid specifier '=== foo bar': unexpected space inside the version at column 8"},
		{">=1.0x", DL_EPARSE, "invalid version '1.0x': unexpected character at column 4\n  while in specifier '>=1.0x'"},
		{"==1.*.0", DL_EPARSE, "invalid version '1.*.0': unexpected character at column 2\n  while in specifier '==1.*.0'"},
		{"==1.0.*.*", DL_EPARSE, "invalid version '1.0.*': unexpected character at column 4\n  while in specifier '==1.0.*.*'"},
		{"==*", DL_EPARSE, "invalid version '*': expected a release number at column 1\n  while in specifier '==*'"},
		{">=1, <2.x", DL_EPARSE, "invalid version '2.x': unexpected character at column 2\n  while in specifier '>=1, <2.x'"},
		{">=123456789012345678901234567890", DL_ELIMIT,
		 "invalid version '123456789012345678901234567890': the number at column 1 is too large (deeplock limits "
		 "version numbers to 64 bits)\n  while in specifier '>=123456789012345678901234567890'"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_err(cases[i].in, cases[i].code, cases[i].msg);
	/* empty items are dropped, as packaging does (real metadata has
	 * "==2.*,") */
	static const char *const empties[] = {">=1.0,", ",>=1.0", ">=1.0,,<2", ">=1.0, ,<2", ","};
	static const size_t counts[] = {1, 1, 2, 2, 0};
	for (size_t i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
		dl_specset *set = NULL;
		assert_int_equal(dl_specset_parse(&set, empties[i], strlen(empties[i])), 0);
		assert_int_equal(set->count, counts[i]);
		dl_specset_free(set);
	}
	/* a NUL byte would cut the stored text (found by fuzz_specifier) */
	dl_specset *bad = (dl_specset *)1;
	assert_int_equal(dl_specset_parse(&bad, "===a\0b", 6), DL_EPARSE);
	assert_string_equal(dl_error_last()->message,
	                    "invalid specifier '===a': unexpected NUL byte inside the version at column 5");
	assert_int_equal(dl_specset_parse(&bad, "==1.0\0", 6), DL_EPARSE);
	assert_true(bad == (dl_specset *)1);
	/* `===` takes any string, even one that is a number too large for a version */
	dl_specset *set = set_ok("===123456789012345678901234567890");
	assert_int_equal(set->specs[0].version.nrelease, 0);
	assert_int_equal(dl_error_last()->code, DL_OK);
	dl_specset_free(set);
}

/* ---- membership --------------------------------------------------------- */

static const struct {
	const char *spec, *version;
	bool want;
} matches[] = {
	/* == and != ignore the candidate's local label unless they have one */
	{"==1.0", "1.0", true},
	{"==1.0", "1.0.0", true},
	{"==1.0.0", "1", true},
	{"==1.0", "1.0+abc", true},
	{"==1.0", "1.0.post1", false},
	{"==1.0", "1.0a1", false},
	{"==1.0", "1.0.1", false},
	{"==1.0+abc", "1.0+abc", true},
	{"==1.0+abc", "1.0+ABC", true},
	{"==1.0+abc", "1.0.0+abc", true},
	{"==1.0+abc", "1.0", false},
	{"==1.0+abc", "1.0+abd", false},
	{"==1.0+abc", "1.0+abc.1", false},
	{"==1.0a1", "1.0a1", true},
	{"==1!1.0", "1.0", false},
	{"!=1.0", "1.0", false},
	{"!=1.0", "1.0+abc", false},
	{"!=1.0", "1.0.post1", true},
	{"!=1.0", "1.0a1", true},
	{"!=1.0+abc", "1.0", true},
	{"!=1.0+abc", "1.0+abc", false},
	{"!=1.0+abc", "1.0+xyz", true},
	/* prefix matching: the release, zero-padded, in the same epoch */
	{"==1.1.*", "1.1", true},
	{"==1.1.*", "1.1.0", true},
	{"==1.1.*", "1.1.5", true},
	{"==1.1.*", "1.1a1", true},
	{"==1.1.*", "1.1.post1", true},
	{"==1.1.*", "1.1.dev1", true},
	{"==1.1.*", "1.1+local", true},
	{"==1.1.*", "1.10", false},
	{"==1.1.*", "1.2", false},
	{"==1.1.*", "1", false},
	{"==1.1.*", "1.0.9", false},
	{"==1.0.*", "1", true},
	{"==1.0.0.*", "1.0", true},
	{"==1.*", "1!1.0", false},
	{"==1!1.*", "1!1.5", true},
	{"!=1.1.*", "1.1.3", false},
	{"!=1.1.*", "1.1a1", false},
	{"!=1.1.*", "1.2", true},
	{"!=1.1.*", "1.10", true},
	/* <= and >= */
	{"<=1.0", "1.0", true},
	{"<=1.0", "1.0+abc", true},
	{"<=1.0", "1.0.post1", false},
	{"<=1.0", "0.9", true},
	{"<=1.0", "1.0a1", true},
	{"<=1.0", "1.0.1", false},
	{">=1.0", "1.0", true},
	{">=1.0", "1.0+abc", true},
	{">=1.0", "1.0a1", false},
	{">=1.0", "1.0.dev0", false},
	{">=1.0", "1.0.post1", true},
	{">=1.0", "2.0a1", true},
	{">=1.0", "1!0.1", true},
	/* < admits no pre-release of V, unless V is one */
	{"<1.0", "0.9", true},
	{"<1.0", "0.9.post1", true},
	{"<1.0", "0.9+abc", true},
	{"<1.0", "0.9a1", true},
	{"<1.0", "1.0a1", false},
	{"<1.0", "1.0.0a1", false},
	{"<1.0", "1.0.dev0", false},
	{"<1.0", "1.0", false},
	{"<1.0", "1.0+abc", false},
	{"<1.0a2", "1.0a1", true},
	{"<1.0a2", "1.0.dev0", true},
	{"<1.0a2", "1.0a2.dev0", true},
	{"<1.0a2", "1.0a2", false},
	{"<1.0.dev5", "1.0.dev4", true},
	{"<1.0.dev5", "1.0.dev5", false},
	/* PEP 440's "pre-release of V" is of exactly V (packaging: of its base) */
	{"<1.0.post1", "1.0", true},
	{"<1.0.post1", "1.0a1", true},
	{"<1.0.post1", "1.0.post0", true},
	{"<1.0.post1", "1.0.post0.dev1", true},
	{"<1.0.post1", "1.0.post1.dev0", false},
	{"<1.0.post1", "1.0.post1", false},
	/* > admits no post-release of V unless V is one, and no local version of V */
	{">1.0", "1.0.1", true},
	{">1.0", "1.0.0.1", true},
	{">1.0", "1.1.dev0", true},
	{">1.0", "1.0", false},
	{">1.0", "1.0.post1", false},
	{">1.0", "1.0+abc", false},
	{">1.0", "1.0.post1+abc", false},
	{">1.0.post1", "1.0.post2", true},
	{">1.0.post1", "1.0.post2.dev0", true},
	{">1.0.post1", "1.0.post1", false},
	{">1.0.post1", "1.0.post1+abc", false},
	{">1.0a1", "1.0a1.post1", false},
	{">1.0a1", "1.0a1+abc", false},
	{">1.0a1", "1.0a2.dev0", true},
	{">1.0a1", "1.0", true},
	{">1.0a1", "1.0.post1", true},
	{">1.0.dev1", "1.0.dev1+x", false},
	{">1.0.dev1", "1.0.dev2", true},
	{">1.0.dev1", "1.0a1", true},
	/* ~= */
	{"~=1.4.5", "1.4.5", true},
	{"~=1.4.5", "1.4.9", true},
	{"~=1.4.5", "1.4.5.post1", true},
	{"~=1.4.5", "1.4.5+x", true},
	{"~=1.4.5", "1.4.6a1", true},
	{"~=1.4.5", "1.4.5a1", false},
	{"~=1.4.5", "1.4.4", false},
	{"~=1.4.5", "1.5.0", false},
	{"~=1.4.5", "1.5.dev0", false},
	{"~=2.2", "2.2.0", true},
	{"~=2.2", "2.3", true},
	{"~=2.2", "2.9.9", true},
	{"~=2.2", "2.1", false},
	{"~=2.2", "3.0", false},
	{"~=2.2.post3", "2.2.post3", true},
	{"~=2.2.post3", "2.3", true},
	{"~=2.2.post3", "2.2", false},
	{"~=2.2.post3", "3.0", false},
	{"~=1.0a1", "1.0a1", true},
	{"~=1.0a1", "1.5", true},
	{"~=1.0a1", "2.0", false},
	{"~=1!1.0", "1!1.5", true},
	{"~=1!1.0", "1.5", false},
	{"~=1.2.3.4.5.6.7", "1.2.3.4.5.6.9", true},
	{"~=1.2.3.4.5.6.7", "1.2.3.4.5.7", false},
	{"~=1.2.3.4.5.6.7.8", "1.2.3.4.5.6.7.9", true},
	{"~=1.2.3.4.5.6.7.8", "1.2.3.4.5.6.8", false},
	/* === compares the candidate's canonical text, case-insensitively */
	{"===1.0", "1.0", true},
	{"===1.0", "1.0.0", false},
	{"===1.0+ABC", "1.0+abc", true},
	{"===v1.0", "1.0", false},
	{"===foobar", "1.0", false},
	/* sets: every specifier */
	{">=1.0,<2", "1.5", true},
	{">=1.0,<2", "2.0", false},
	{">=1.0,<2", "0.9", false},
	{">=1.0,!=1.5.*,<2", "1.5.3", false},
	{">=1.0,!=1.5.*,<2", "1.6", true},
	{"", "1.0", true},
	{"", "1.0a1", true},
};

static void test_matches(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(matches) / sizeof(matches[0]); i++) {
		dl_specset *set = set_ok(matches[i].spec);
		dl_version v;
		ver_ok(&v, matches[i].version);
		bool got = dl_specset_contains(set, &v, DL_PRERELEASES_ALLOW);
		if (got != matches[i].want)
			fail_msg("'%s' in '%s': got %d, expected %d", matches[i].version, matches[i].spec, got,
			         matches[i].want);
		if (set->count == 1) {
			assert_true(dl_spec_matches(&set->specs[0], &v) == got);
			assert_true(dl_spec_contains(&set->specs[0], &v, DL_PRERELEASES_ALLOW) == got);
		}
		/* as text: the same answer */
		assert_true(dl_specset_contains_text(set, matches[i].version, strlen(matches[i].version),
		                                     DL_PRERELEASES_ALLOW) == got);
		dl_version_clear(&v);
		dl_specset_free(set);
	}
}

static bool contains(const char *spec, const char *version, int policy)
{
	dl_specset *set = set_ok(spec);
	dl_version v;
	ver_ok(&v, version);
	bool got = dl_specset_contains(set, &v, policy);
	if (set->count == 1)
		assert_true(dl_spec_contains(&set->specs[0], &v, policy) == got);
	dl_version_clear(&v);
	dl_specset_free(set);
	return got;
}

static void test_prerelease_policy(void **state)
{
	(void)state;
	/* membership: the default admits what the operators admit */
	assert_true(contains(">=1.0", "2.0a1", DL_PRERELEASES_DEFAULT));
	assert_true(contains(">=1.0", "2.0a1", DL_PRERELEASES_ALLOW));
	assert_true(contains(">=1.0", "2.0a1", true));
	assert_false(contains(">=1.0", "2.0a1", DL_PRERELEASES_DENY));
	assert_false(contains(">=1.0", "2.0.dev1", DL_PRERELEASES_DENY));
	assert_true(contains(">=1.0", "2.0.post1", DL_PRERELEASES_DENY));
	assert_true(contains(">=1.0", "2.0", DL_PRERELEASES_DENY));
	assert_true(contains("", "1.0.dev1", DL_PRERELEASES_DEFAULT));
	assert_false(contains("", "1.0.dev1", DL_PRERELEASES_DENY));
	assert_false(contains("==1.0a1", "1.0a1", DL_PRERELEASES_DENY));
	assert_true(contains("==1.0a1", "1.0a1", DL_PRERELEASES_DEFAULT));
	/* a policy never admits what the operators refuse */
	assert_false(contains("<1.0", "1.0a1", DL_PRERELEASES_ALLOW));
	assert_false(contains("<1.0", "1.0a1", DL_PRERELEASES_DEFAULT));

	/* which sets name a pre-release */
	static const struct {
		const char *spec;
		bool names;
	} names[] = {
		{">=1.0a1", true},  {"!=1.0a1", false}, {"!=1.0.*", false}, {"==1.0.dev1", true},
		{"<=1.0", false},   {"===1.0a1", true}, {"===foobar", false}, {"~=1.0rc1", true},
		{"", false},        {">1.0,<2.0b1", true}, {">=1.0.post1", false}, {"<1.0.post1.dev0", true},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		dl_specset *set = set_ok(names[i].spec);
		if (dl_specset_names_prerelease(set) != names[i].names)
			fail_msg("'%s': names_prerelease should be %d", names[i].spec, names[i].names);
		dl_specset_free(set);
	}

	/* whether any final release satisfies a set */
	static const struct {
		const char *spec;
		bool finals;
	} fin[] = {
		{">=1.0", true},          {"==1.0a1", false},        {">=1.0a1,<1.0", false},
		{"<1.0.dev0", true},      {">1.0a1,<1.0", false},    {"", true},
		{"==1.0.*,!=1.0", true},  {"==1.0,!=1.0", false},    {"<0", false},
		{">=1.0rc1,<=1.0", true}, {">1.0rc1,<1.0.dev0", false}, {"==1.0.dev1", false},
		{"<0.0.1", true},         {">1.0.post1,<1.0.post2", false}, {">=1.0.post1,<1.0.post2", true},
	};
	for (size_t i = 0; i < sizeof(fin) / sizeof(fin[0]); i++) {
		dl_specset *set = set_ok(fin[i].spec);
		if (dl_specset_admits_final(set) != fin[i].finals)
			fail_msg("'%s': admits_final should be %d", fin[i].spec, fin[i].finals);
		dl_specset_free(set);
	}
}

/* Filter `versions` through `spec` under `policy`; the kept indices as a
 * string like "0,2". */
static void check_filter(const char *spec, bool one, int policy, const char *want)
{
	static const char *const versions[] = {"1.0", "2.0a1", "1.5", "3.0.dev1", "0.9"};
	enum { N = sizeof(versions) / sizeof(versions[0]) };
	dl_version v[N];
	for (size_t i = 0; i < N; i++)
		ver_ok(&v[i], versions[i]);
	dl_specset *set = set_ok(spec);
	size_t keep[N];
	size_t k = one ? dl_spec_filter(&set->specs[0], v, N, policy, keep) : dl_specset_filter(set, v, N, policy, keep);
	char got[64] = "";
	size_t used = 0;
	for (size_t i = 0; i < k; i++)
		used += (size_t)snprintf(got + used, sizeof(got) - used, i ? ",%zu" : "%zu", keep[i]);
	if (strcmp(got, want) != 0)
		fail_msg("filter '%s' (policy %d, %s): got [%s], expected [%s]", spec, policy, one ? "spec" : "set", got,
		         want);
	for (size_t i = 0; i < N; i++)
		dl_version_clear(&v[i]);
	dl_specset_free(set);
}

static void test_filter(void **state)
{
	(void)state;
	/* versions: 0 "1.0", 1 "2.0a1", 2 "1.5", 3 "3.0.dev1", 4 "0.9" */
	check_filter(">=1.0", false, DL_PRERELEASES_DEFAULT, "0,2");
	check_filter(">=1.0", false, DL_PRERELEASES_ALLOW, "0,1,2,3");
	check_filter(">=1.0", false, DL_PRERELEASES_DENY, "0,2");
	check_filter(">=2.0a1", false, DL_PRERELEASES_DEFAULT, "1,3");
	check_filter(">=2.0a1", false, DL_PRERELEASES_DENY, "");
	/* only pre-releases match: the default returns them */
	check_filter(">=2.0", false, DL_PRERELEASES_DEFAULT, "3");
	check_filter(">=2.0", false, DL_PRERELEASES_DENY, "");
	check_filter(">=2.0", false, DL_PRERELEASES_ALLOW, "3");
	check_filter("", false, DL_PRERELEASES_DEFAULT, "0,2,4");
	check_filter("", false, DL_PRERELEASES_ALLOW, "0,1,2,3,4");
	check_filter("!=2.0a1", false, DL_PRERELEASES_DEFAULT, "0,2,4");
	check_filter(">=4", false, DL_PRERELEASES_DEFAULT, "");
	check_filter(">=1.0,<2.0a2", false, DL_PRERELEASES_DEFAULT, "0,1,2");
	/* a lone specifier */
	check_filter(">=2.0", true, DL_PRERELEASES_DEFAULT, "3");
	check_filter(">=1.0", true, DL_PRERELEASES_DEFAULT, "0,2");
	check_filter("<3.0.dev2", true, DL_PRERELEASES_DEFAULT, "0,1,2,3,4");
	check_filter("<3.0.dev2", true, DL_PRERELEASES_DENY, "0,2,4");
}

static void test_contains_text(void **state)
{
	(void)state;
	static const struct {
		const char *spec, *text;
		bool want;
	} cases[] = {
		{"===foobar", "foobar", true},
		{"===foobar", "FooBar", true},
		{"===foobar", "foobar2", false},
		{"===foobar,===FOOBAR", "foobar", true},
		{"===foobar,>=1", "foobar", false},
		{">=1", "foobar", false},
		{"", "foobar", false},
		{">=1", "1.5", true},
		{"===1.0", "1.0", true},
		{"===1.0", "1.0.0", false},
		{"", "1.0", true},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dl_specset *set = set_ok(cases[i].spec);
		bool got = dl_specset_contains_text(set, cases[i].text, strlen(cases[i].text), DL_PRERELEASES_DEFAULT);
		if (got != cases[i].want)
			fail_msg("'%s' in '%s': got %d", cases[i].text, cases[i].spec, got);
		dl_specset_free(set);
	}
}

/* ---- equality ----------------------------------------------------------- */

static void test_eq_hash(void **state)
{
	(void)state;
	static const struct {
		const char *a, *b;
		bool eq;
	} cases[] = {
		{">=1.0,<2", "<2, >=1.0", true},
		{">=v1.0", ">=1.0", true},
		{"==1.0a1", "==1.0alpha1", true},
		{"==1.0+ABC", "==1.0+abc", true},
		{"==01.0", "==1.0", true},
		{">=1,>=1", ">=1", true},
		{">=1,<2,>=1", "<2,<2,>=1", true},
		{"", "", true},
		{"", "   ", true},
		{"==1.0.*", "==1.0", false},
		{"==1.0", "!=1.0", false},
		{">=1.0", ">1.0", false},
		{">=1.0", ">=1.0,<2", false},
		{"~=1.0", "~=1.0.0", false},
		{"==1.*", "==1.0.*", false},
		{"===foo", "===foo", true},
		{"===foo", "===bar", false},
		{">=1.0", "", false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dl_specset *a = set_ok(cases[i].a), *b = set_ok(cases[i].b);
		if (dl_specset_eq(a, b) != cases[i].eq || dl_specset_eq(b, a) != cases[i].eq)
			fail_msg("'%s' vs '%s': eq should be %d", cases[i].a, cases[i].b, cases[i].eq);
		if (cases[i].eq && dl_specset_hash(a) != dl_specset_hash(b))
			fail_msg("'%s' equals '%s' but their hashes differ", cases[i].a, cases[i].b);
		dl_specset_free(a);
		dl_specset_free(b);
	}
}

/* ---- allocation failure ------------------------------------------------- */

static int alloc_parse(void *ctx)
{
	const char *in = ctx;
	dl_specset *set = NULL;
	int rc = dl_specset_parse(&set, in, strlen(in));
	if (rc < 0)
		return rc;
	dl_buf b = DL_BUF_INIT;
	rc = dl_specset_format(set, &b);
	dl_buf_free(&b);
	dl_specset_free(set);
	return rc;
}

static void test_alloc_failures(void **state)
{
	(void)state;
	dltest_each_alloc_failure(alloc_parse, "==1.2.3.4.5.6.7.8.9+Ubuntu-01, !=2.*, ~=1.4.5, <3, ===foo, "
	                                       ">=1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18a1, !=1.0+local");
	dltest_each_alloc_failure(alloc_parse, "===1.0+abc");
	dltest_each_alloc_failure(alloc_parse, ">=1");
	dl_allocator_set(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normal_form),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_matches),
		cmocka_unit_test(test_prerelease_policy),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_contains_text),
		cmocka_unit_test(test_eq_hash),
		cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
