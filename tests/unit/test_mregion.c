/*
 * test_mregion.c - marker regions (sets of environments): construction from
 * markers (python_version read onto python_full_version, string variables as
 * finite sets, `extra` decided from the extras given, everything else an
 * opaque condition), the set algebra's laws on every pair (and many
 * triples) of a list of markers, membership checked against an oracle that
 * does not share the region code (dl_marker_evaluate on concrete
 * environments, pre-releases and a local build among them, each also
 * written as a one-point region), requires-python regions, simplification
 * inside a base region, python_floor, formatting and its round trip through
 * dl_mregion_parse, the yes/no questions under failing allocation, and
 * allocation failure in every allocating entry point.
 *
 * The oracle is the arbiter of what a marker means: a region must hold
 * exactly the environments in which dl_marker_evaluate says the marker is
 * true (PEP 440's exclusive rules included: `python_full_version < "3.13"`
 * is false on 3.13.0a2), and a formatted region must read back as the same
 * set.  Both together are satisfiable: every bound but one kind has an
 * exact spelling (see complement_printable).
 *
 * Every region a test builds is recorded in a per-test list and freed by
 * release_all() (also from the teardown, when an assertion ends a test
 * early), so the assertions can be written as expressions without a free
 * after each one; ASan's leak check then covers the region code itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dltest.h"
#include "deeplock/marker.h"
#include "deeplock/mregion.h"
#include "deeplock/specifier.h"
#include "deeplock/version.h"

/* ---- the regions of one test, freed together ---------------------------- */

static dl_mregion **kept;
static size_t nkept, capkept;

static dl_mregion *keep(dl_mregion *r)
{
	if (nkept == capkept) {
		capkept = capkept ? capkept * 2 : 64;
		kept = realloc(kept, capkept * sizeof(*kept));
		assert_non_null(kept);
	}
	kept[nkept++] = r;
	return r;
}

/* Free the regions kept since `mark` (a value of nkept). */
static void release_to(size_t mark)
{
	while (nkept > mark)
		dl_mregion_free(kept[--nkept]);
}

/* The environments of test_points and the text of check_round_trip, also
 * released by release_all. */
static dl_marker_env *points_env[16];
static char *rt_text;

static void release_all(void)
{
	for (size_t i = 0; i < sizeof(points_env) / sizeof(points_env[0]); i++) {
		dl_marker_env_free(points_env[i]);
		points_env[i] = NULL;
	}
	dl_free(rt_text);
	rt_text = NULL;
	for (size_t i = 0; i < nkept; i++)
		dl_mregion_free(kept[i]);
	free(kept);
	kept = NULL;
	nkept = capkept = 0;
}

/* ---- building and asking ------------------------------------------------ */

static dl_mregion *reg(const char *s)
{
	dl_mregion *r = NULL;
	int rc = dl_mregion_parse(&r, s, strlen(s));
	if (rc != 0)
		fail_msg("region of '%s' failed (%d): %s", s, rc, dl_error_last()->message);
	assert_non_null(r);
	return keep(r);
}

static dl_mregion *reg_extras(const char *s, const char *const *extras, size_t n)
{
	dl_marker *m = NULL;
	if (dl_marker_parse(&m, s, strlen(s)) != 0)
		fail_msg("parse of '%s' failed: %s", s, dl_error_last()->message);
	dl_mregion *r = NULL;
	assert_int_equal(dl_mregion_from_marker(&r, m, extras, n), 0);
	dl_marker_free(m);
	assert_non_null(r);
	return keep(r);
}

static dl_mregion *full(void)
{
	dl_mregion *r = NULL;
	assert_int_equal(dl_mregion_full(&r), 0);
	return keep(r);
}

static dl_mregion *empty(void)
{
	dl_mregion *r = NULL;
	assert_int_equal(dl_mregion_empty(&r), 0);
	return keep(r);
}

static dl_mregion *and_(const dl_mregion *a, const dl_mregion *b)
{
	dl_mregion *r = NULL;
	assert_int_equal(dl_mregion_and(&r, a, b), 0);
	return keep(r);
}

static dl_mregion *or_(const dl_mregion *a, const dl_mregion *b)
{
	dl_mregion *r = NULL;
	assert_int_equal(dl_mregion_or(&r, a, b), 0);
	return keep(r);
}

static dl_mregion *not_(const dl_mregion *a)
{
	dl_mregion *r = NULL;
	assert_int_equal(dl_mregion_not(&r, a), 0);
	return keep(r);
}

static bool eq(const dl_mregion *a, const dl_mregion *b)
{
	bool v = false;
	assert_int_equal(dl_mregion_eq(a, b, &v), 0);
	return v;
}

static bool subset(const dl_mregion *a, const dl_mregion *b)
{
	bool v = false;
	assert_int_equal(dl_mregion_subset(a, b, &v), 0);
	return v;
}

static bool disjoint(const dl_mregion *a, const dl_mregion *b)
{
	bool v = false;
	assert_int_equal(dl_mregion_disjoint(a, b, &v), 0);
	return v;
}

/* The formatted region, in a static buffer per call slot so that two can
 * appear in one failure message. */
static const char *show(const dl_mregion *a)
{
	static char slots[4][1024];
	static int next;
	char *s = NULL;
	assert_int_equal(dl_mregion_to_string(&s, a), 0);
	char *slot = slots[next++ % 4];
	snprintf(slot, sizeof(slots[0]), "%s", s);
	dl_free(s);
	return slot;
}

/* Assert a relation between the regions of two markers, naming both. */
enum rel { REL_EQ, REL_NEQ, REL_SUBSET, REL_NSUBSET, REL_DISJOINT, REL_OVERLAP };

static void check_rel(const char *a, const char *b, enum rel rel)
{
	dl_mregion *ra = reg(a), *rb = reg(b);
	bool ok;
	const char *what;
	switch (rel) {
	case REL_EQ: ok = eq(ra, rb); what = "equal"; break;
	case REL_NEQ: ok = !eq(ra, rb); what = "different"; break;
	case REL_SUBSET: ok = subset(ra, rb); what = "a subset"; break;
	case REL_NSUBSET: ok = !subset(ra, rb); what = "not a subset"; break;
	case REL_DISJOINT: ok = disjoint(ra, rb); what = "disjoint"; break;
	default: ok = !disjoint(ra, rb); what = "overlapping"; break;
	}
	if (!ok)
		fail_msg("'%s' [%s] and '%s' [%s]: expected %s", a, show(ra), b, show(rb), what);
}

static void check_empty(const char *s, bool want)
{
	dl_mregion *r = reg(s);
	if (dl_mregion_is_empty(r) != want)
		fail_msg("'%s' [%s]: expected %s", s, show(r), want ? "empty" : "not empty");
	if (want)
		assert_int_equal(dl_mregion_size(r), 0);
}

static void check_full(const char *s, bool want)
{
	dl_mregion *r = reg(s);
	if (dl_mregion_is_full(r) != want)
		fail_msg("'%s' [%s]: expected %s", s, show(r), want ? "full" : "not full");
}

/* ---- construction ------------------------------------------------------- */

static void test_constants(void **state)
{
	(void)state;
	dl_mregion *f = full(), *e = empty();
	assert_true(dl_mregion_is_full(f));
	assert_false(dl_mregion_is_empty(f));
	assert_true(dl_mregion_is_empty(e));
	assert_false(dl_mregion_is_full(e));
	assert_int_equal(dl_mregion_size(e), 0);
	assert_true(dl_mregion_size(f) >= 1);
	assert_false(eq(f, e));
	assert_true(subset(e, f));
	assert_false(subset(f, e));
	assert_true(disjoint(e, f));
	assert_true(disjoint(e, e));
	assert_false(disjoint(f, f));
	assert_true(eq(not_(f), e));
	assert_true(eq(not_(e), f));
	/* a NULL marker is every environment */
	dl_mregion *r = NULL;
	assert_int_equal(dl_mregion_from_marker(&r, NULL, NULL, 0), 0);
	keep(r);
	assert_true(dl_mregion_is_full(r));
	/* identities */
	dl_mregion *a = reg("sys_platform == 'linux' and python_version >= '3.9'");
	assert_true(eq(and_(a, f), a));
	assert_true(dl_mregion_is_empty(and_(a, e)));
	assert_true(eq(or_(a, e), a));
	assert_true(dl_mregion_is_full(or_(f, a)));
	assert_false(dl_mregion_is_empty(a));
	assert_false(dl_mregion_is_full(a));
	/* a clone is equal and outlives its source */
	dl_mregion *src = NULL, *cl = NULL;
	const char *text = "os_name == 'nt' or python_full_version < '3.8.1'";
	assert_int_equal(dl_mregion_parse(&src, text, strlen(text)), 0);
	assert_int_equal(dl_mregion_clone(&cl, src), 0);
	keep(cl);
	assert_true(eq(cl, src));
	dl_mregion_free(src);
	assert_true(eq(cl, reg(text)));
	dl_mregion_free(NULL);
	release_all();
}

static void test_parse_errors(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"os_name ==", "python_version >= '3.9' and", "(sys_platform == 'linux'", "nonsense == 'x'", "and",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		dl_mregion *r = NULL;
		int rc = dl_mregion_parse(&r, bad[i], strlen(bad[i]));
		if (rc != DL_EPARSE)
			fail_msg("'%s': expected DL_EPARSE, got %d", bad[i], rc);
		assert_null(r);
		assert_int_equal(dl_error_last()->code, DL_EPARSE);
	}
	/* the empty text is every environment (what format writes for it) */
	dl_mregion *r = NULL;
	assert_int_equal(dl_mregion_parse(&r, "", 0), 0);
	keep(r);
	assert_true(dl_mregion_is_full(r));
	assert_int_equal(dl_mregion_parse(&r, " \t ", 3), 0);
	keep(r);
	assert_true(dl_mregion_is_full(r));
	/* the slice is respected */
	assert_int_equal(dl_mregion_parse(&r, "os_name == 'a' and junk", 14), 0);
	keep(r);
	assert_true(eq(r, reg("os_name == 'a'")));
	release_all();
}

static void test_string_variables(void **state)
{
	(void)state;
	check_rel("sys_platform == \"linux\"", "sys_platform == \"darwin\"", REL_DISJOINT);
	check_rel("sys_platform == \"linux\"", "sys_platform == \"linux\"", REL_EQ);
	check_rel("sys_platform == \"linux\"", "'linux' == sys_platform", REL_EQ);
	check_rel("sys_platform == \"linux\"", "sys_platform != \"darwin\"", REL_SUBSET);
	check_rel("sys_platform != \"darwin\"", "sys_platform == \"linux\"", REL_NSUBSET);
	/* != is the complement of == */
	dl_mregion *eq_linux = reg("sys_platform == \"linux\""), *ne_linux = reg("sys_platform != \"linux\"");
	assert_true(eq(not_(eq_linux), ne_linux));
	assert_true(eq(not_(ne_linux), eq_linux));
	assert_true(disjoint(eq_linux, ne_linux));
	assert_true(dl_mregion_is_full(or_(eq_linux, ne_linux)));
	assert_false(dl_mregion_is_empty(ne_linux));
	/* contradictions and tautologies */
	check_empty("sys_platform == \"linux\" and sys_platform == \"win32\"", true);
	check_empty("sys_platform == \"linux\" and sys_platform != \"linux\"", true);
	check_empty("sys_platform == \"linux\" and os_name == \"nt\"", false); /* independent variables */
	check_full("os_name == \"nt\" or os_name != \"nt\"", true);
	check_full("os_name != \"nt\" or os_name != \"posix\"", true);
	check_full("os_name == \"nt\" or os_name == \"posix\"", false);
	/* case matters in values */
	check_rel("platform_system == 'Linux'", "platform_system == 'linux'", REL_DISJOINT);
	/* De Morgan on one variable, spelled out */
	check_rel("sys_platform != 'linux' and sys_platform != 'darwin'", "sys_platform == 'win32'", REL_NEQ);
	dl_mregion *both = reg("sys_platform != 'linux' and sys_platform != 'darwin'");
	assert_true(eq(not_(both), reg("sys_platform == 'linux' or sys_platform == 'darwin'")));
	check_rel("sys_platform == 'win32'", "sys_platform != 'linux' and sys_platform != 'darwin'", REL_SUBSET);
	/* every string variable is one */
	static const char *const vars[] = {
		"os_name", "sys_platform", "platform_system", "platform_machine", "platform_python_implementation",
		"implementation_name", "platform_release", "platform_version",
	};
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		char a[128], b[128], c[128];
		/* not versions: platform_release is compared as a version when
		 * both sides are one (test_platform_release) */
		snprintf(a, sizeof a, "%s == 'alpha'", vars[i]);
		snprintf(b, sizeof b, "%s == 'beta'", vars[i]);
		snprintf(c, sizeof c, "%s != 'alpha'", vars[i]);
		check_rel(a, b, REL_DISJOINT);
		check_rel(b, c, REL_SUBSET);
		dl_mregion *ra = reg(a), *rc = reg(c);
		if (!eq(not_(ra), rc))
			fail_msg("not '%s' [%s] differs from '%s' [%s]", a, show(not_(ra)), c, show(rc));
	}
	release_all();
}

/* packaging compares platform_release as a version when both sides parse
 * as one ("10" == "10.0"), so version-like literals may not be treated as
 * distinct strings; a region may only lose precision there, not claim a
 * disjointness that evaluation contradicts. */
static void test_platform_release(void **state)
{
	(void)state;
	check_rel("platform_release == '10'", "platform_release == '10.0'", REL_OVERLAP);
	check_rel("platform_release == '10.0'", "platform_release == '10'", REL_OVERLAP);
	check_rel("platform_release == '5.15.0-91-generic'", "platform_release == '6.1.0-13-amd64'", REL_DISJOINT);
	check_rel("platform_release == '6.1.0-13-amd64'", "platform_release != '5.15.0-91-generic'", REL_SUBSET);
	check_empty("platform_release == '5.15.0-91-generic' and platform_release != '5.15.0-91-generic'", true);
	release_all();
}

static void test_python_version(void **state)
{
	(void)state;
	check_rel("python_version >= \"3.9\"", "python_full_version >= \"3.8\"", REL_SUBSET);
	check_rel("python_full_version >= \"3.8\"", "python_version >= \"3.9\"", REL_NSUBSET);
	/* python_version == "3.9" is every 3.9, pre-releases included */
	check_rel("python_version == \"3.9\"", "python_full_version == \"3.9.*\"", REL_EQ);
	check_rel("python_full_version >= \"3.9\" and python_full_version < \"3.10\"", "python_version == \"3.9\"",
	          REL_SUBSET);
	/* ... which `>= "3.9"` on the full version leaves out (3.9.0rc1) */
	check_rel("python_version == \"3.9\"", "python_full_version >= \"3.9\" and python_full_version < \"3.10\"",
	          REL_NSUBSET);
	check_rel("python_version == \"3.9\"", "python_full_version >= \"3.9.0rc1\"", REL_NSUBSET);
	check_rel("python_full_version == \"3.9.0rc1\"", "python_version == \"3.9\"", REL_SUBSET);
	check_rel("python_full_version == \"3.9.0rc1\"", "python_version >= \"3.9\"", REL_SUBSET);
	check_rel("python_full_version == \"3.9.0rc1\"", "python_version < \"3.9\"", REL_DISJOINT);
	check_rel("python_full_version == \"3.9.0rc1\"", "python_full_version >= \"3.9\"", REL_DISJOINT);
	/* a split into two halves */
	dl_mregion *lo = reg("python_version < \"3.8\""), *hi = reg("python_version >= \"3.8\"");
	assert_true(disjoint(lo, hi));
	assert_true(dl_mregion_is_full(or_(lo, hi)));
	assert_true(eq(not_(lo), hi));
	assert_false(dl_mregion_is_empty(lo));
	assert_false(dl_mregion_is_empty(hi));
	/* the operators read as comparisons of X.Y */
	check_rel("python_version > \"3.9\"", "python_version >= \"3.10\"", REL_EQ);
	check_rel("python_version <= \"3.9\"", "python_version < \"3.10\"", REL_EQ);
	check_rel("python_version != \"3.9\"", "python_version < \"3.9\" or python_version >= \"3.10\"", REL_EQ);
	check_rel("python_version ~= \"3.9\"", "python_version >= \"3.9\" and python_version < \"4.0\"", REL_EQ);
	check_rel("\"3.9\" <= python_version", "python_version >= \"3.9\"", REL_EQ);
	check_rel("\"3.9\" > python_version", "python_version < \"3.9\"", REL_EQ);
	check_rel("\"3.9\" == python_version", "python_version == \"3.9\"", REL_EQ);
	check_rel("python_version == \"3.9\"", "python_version == \"3.10\"", REL_DISJOINT);
	check_rel("python_version >= \"3.9\" and python_version < \"3.11\"",
	          "python_version == \"3.9\" or python_version == \"3.10\"", REL_EQ);
	check_empty("python_version >= \"3.10\" and python_version < \"3.10\"", true);
	check_empty("python_version > \"3.9\" and python_version < \"3.10\"", true);
	check_empty("python_version >= \"3.9\" and python_full_version < \"3.9.0a1\"", false); /* 3.9.0.dev1 */
	/* python_full_version on its own */
	check_rel("python_full_version >= \"3.9.1\"", "python_full_version > \"3.9.0\"", REL_SUBSET);
	check_rel("python_full_version > \"3.9.0\"", "python_full_version >= \"3.9.1\"", REL_NSUBSET); /* 3.9.0.1 */
	check_rel("python_full_version == \"3.9.1\"", "python_full_version != \"3.9.1\"", REL_DISJOINT);
	dl_mregion *one = reg("python_full_version == \"3.9.1\"");
	assert_true(eq(not_(one), reg("python_full_version != \"3.9.1\"")));
	/* implementation_version is a version variable of its own */
	check_rel("implementation_version >= '3.9'", "python_full_version >= '3.9'", REL_NEQ);
	check_empty("implementation_version >= '3.9' and python_full_version < '3'", false);
	check_empty("implementation_version >= '3.9' and implementation_version < '3'", true);
	release_all();
}

static void test_extras(void **state)
{
	(void)state;
	const char *const x[] = {"x"};
	const char *const xy[] = {"x", "y"};
	const char *const upper[] = {"X"};
	const char *const y[] = {"y"};
	const char *const foo[] = {"Foo_Bar"};
	assert_true(dl_mregion_is_full(reg_extras("extra == \"x\"", x, 1)));
	assert_true(dl_mregion_is_empty(reg_extras("extra == \"x\"", NULL, 0)));
	assert_true(dl_mregion_is_full(reg_extras("extra == \"x\"", upper, 1)));
	assert_true(dl_mregion_is_empty(reg_extras("extra == \"x\"", y, 1)));
	assert_true(dl_mregion_is_full(reg_extras("extra == \"foo-bar\"", foo, 1)));
	assert_true(dl_mregion_is_full(reg_extras("extra == \"foo.bar\"", foo, 1)));
	assert_true(dl_mregion_is_empty(reg_extras("extra != \"x\"", x, 1)));
	assert_true(dl_mregion_is_full(reg_extras("extra != \"x\"", NULL, 0)));
	assert_true(dl_mregion_is_full(reg_extras("extra == \"x\" and extra == \"y\"", xy, 2)));
	assert_true(dl_mregion_is_empty(reg_extras("extra == \"x\" and extra == \"y\"", x, 1)));
	assert_true(dl_mregion_is_empty(reg_extras("extra != \"y\"", xy, 2)));
	dl_mregion *linux = reg("sys_platform == \"linux\"");
	assert_true(eq(reg_extras("extra == \"x\" and sys_platform == \"linux\"", x, 1), linux));
	assert_true(dl_mregion_is_empty(reg_extras("extra == \"x\" and sys_platform == \"linux\"", NULL, 0)));
	assert_true(eq(reg_extras("extra == \"x\" or sys_platform == \"linux\"", NULL, 0), linux));
	assert_true(dl_mregion_is_full(reg_extras("extra == \"x\" or sys_platform == \"linux\"", x, 1)));
	assert_true(eq(reg_extras("(extra == 'x' or extra == 'y') and python_version >= '3.9'", y, 1),
	               reg("python_version >= '3.9'")));
	release_all();
}

static void test_opaque(void **state)
{
	(void)state;
	static const char *const opaque[] = {
		"\"arm\" in platform_machine",
		"\"arm\" not in platform_machine",
		"platform_machine > \"a\"",
		"platform_release >= \"5\"",
		"python_version == \"3.9.1\"",
		"\"x\" in extras",
		"\"dev\" in dependency_groups",
		"sys_platform in \"linux darwin\"",
	};
	for (size_t i = 0; i < sizeof(opaque) / sizeof(opaque[0]); i++) {
		dl_mregion *c = reg(opaque[i]), *nc = not_(c);
		if (dl_mregion_is_empty(c) || dl_mregion_is_full(c))
			fail_msg("'%s' [%s]: an opaque condition is neither empty nor full", opaque[i], show(c));
		if (dl_mregion_is_empty(nc) || dl_mregion_is_full(nc))
			fail_msg("not '%s' [%s]: neither empty nor full", opaque[i], show(nc));
		if (!dl_mregion_is_empty(and_(c, nc)))
			fail_msg("'%s' and not itself: not empty [%s]", opaque[i], show(and_(c, nc)));
		if (!dl_mregion_is_full(or_(c, nc)))
			fail_msg("'%s' or not itself: not full [%s]", opaque[i], show(or_(c, nc)));
		assert_true(eq(not_(nc), c));
		/* the same text is the same condition */
		assert_true(eq(c, reg(opaque[i])));
		/* and it combines with real variables */
		dl_mregion *linux = reg("sys_platform == 'linux'");
		dl_mregion *both = and_(c, linux);
		assert_false(dl_mregion_is_empty(both));
		assert_true(subset(both, c));
		assert_true(subset(both, linux));
		assert_false(eq(both, c));
		assert_false(eq(both, linux));
		assert_true(dl_mregion_is_empty(and_(both, reg("sys_platform == 'darwin'"))));
	}
	/* two different texts are unrelated (neither contains the other, they overlap) */
	check_rel("\"arm\" in platform_machine", "\"x86\" in platform_machine", REL_NEQ);
	check_rel("\"arm\" in platform_machine", "\"x86\" in platform_machine", REL_NSUBSET);
	check_rel("\"arm\" in platform_machine", "\"x86\" in platform_machine", REL_OVERLAP);
	check_empty("\"arm\" in platform_machine and sys_platform == 'linux' and sys_platform == 'win32'", true);
	release_all();
}

/* ---- the markers the laws run over -------------------------------------- */

/* Markers with no opaque condition and no extra: their regions can be
 * checked point by point against dl_marker_evaluate. */
static const char *const exact[] = {
	"python_version >= \"3.9\"",
	"python_version < \"3.8\"",
	"python_version == \"3.9\"",
	"python_version != \"3.11\"",
	"python_version > \"3.9\"",
	"python_version <= \"3.9\"",
	"python_version ~= \"3.9\"",
	"\"3.10\" < python_version",
	"python_full_version >= \"3.9.1\"",
	"python_full_version < \"3.10.2\"",
	"python_full_version == \"3.8.*\"",
	"python_full_version != \"3.10.*\"",
	"python_full_version > \"3.9.0rc1\"",
	"sys_platform == \"linux\"",
	"sys_platform != \"win32\"",
	"os_name == \"nt\" or sys_platform == \"darwin\"",
	"platform_machine == \"x86_64\" and sys_platform == \"linux\" or platform_machine == \"arm64\"",
	"implementation_name == \"cpython\" and implementation_version >= \"3.9\"",
	"platform_python_implementation != \"PyPy\" and python_version >= \"3.8\" and python_version < \"3.12\"",
	"\"linux\" == sys_platform and (python_version < \"3.9\" or python_full_version >= \"3.11.4\")",
	"platform_system == \"Windows\" and platform_machine == \"AMD64\"",
	"python_version == \"3.9\" or python_version == \"3.11\"",
	"python_version >= \"3.8\" and sys_platform == \"win32\" or python_version < \"3.8\" and sys_platform == \"linux\"",
	/* PEP 440's exclusive rules, which evaluation follows: `<3.13` admits
	 * no 3.13 pre-release, `==3.11.4` admits 3.11.4+local */
	"python_full_version < \"3.13\"",
	"python_full_version == \"3.11.4\"",
	"python_full_version != \"3.11.4\" and python_full_version >= \"3.9\"",
};
#define NEXACT (sizeof(exact) / sizeof(exact[0]))

/* Markers whose regions hold opaque conditions. */
static const char *const inexact[] = {
	"\"arm\" in platform_machine",
	"\"arm\" in platform_machine and sys_platform == \"darwin\"",
	"platform_release >= \"5.0\" or os_name == \"nt\"",
	"\"x\" in extras and python_version >= \"3.10\"",
};
#define NINEXACT (sizeof(inexact) / sizeof(inexact[0]))
#define NALL (NEXACT + NINEXACT)

static const char *marker_at(size_t i)
{
	return i < NEXACT ? exact[i] : inexact[i - NEXACT];
}

/* Concrete environments, in the order of the columns below. */
static const char *const env_vars[] = {
	"python_version", "python_full_version", "implementation_version", "os_name", "sys_platform",
	"platform_system", "platform_machine", "platform_python_implementation", "implementation_name",
	"platform_release", "platform_version",
};
#define NVARS (sizeof(env_vars) / sizeof(env_vars[0]))

static const char *const envs[][NVARS] = {
	{"3.11", "3.11.4", "3.11.4", "posix", "linux", "Linux", "x86_64", "CPython", "cpython", "6.1.0", "#1 SMP"},
	{"3.8", "3.8.10", "3.8.10", "nt", "win32", "Windows", "AMD64", "CPython", "cpython", "10", "10.0.19041"},
	{"3.9", "3.9.18", "7.3.15", "posix", "darwin", "Darwin", "arm64", "PyPy", "pypy", "23.1.0", "Darwin 23"},
	{"3.9", "3.9.0rc1", "3.9.0rc1", "posix", "linux", "Linux", "aarch64", "CPython", "cpython", "5.10", "#2"},
	{"3.12", "3.12.1", "3.12.1", "posix", "linux", "Linux", "x86_64", "CPython", "cpython", "6.5", "#1 SMP"},
	{"3.7", "3.7.17", "3.7.17", "posix", "darwin", "Darwin", "x86_64", "CPython", "cpython", "19.6.0", "Darwin 19"},
	{"3.10", "3.10.0", "3.10.0", "nt", "win32", "Windows", "ARM64", "CPython", "cpython", "11", "10.0.22000"},
	{"3.13", "3.13.0a2", "3.13.0a2", "posix", "linux", "Linux", "x86_64", "CPython", "cpython", "6.1.0", "#1"},
	{"3.9", "3.9.1", "3.9.1", "posix", "linux", "Linux", "x86_64", "PyPy", "pypy", "6.1.0", "#1"},
	{"3.11", "3.11.3", "3.11.3", "posix", "linux", "Linux", "x86_64", "CPython", "cpython", "6.1.0", "#1"},
	/* an untagged build ("3.11.4+", which the environment repairs so) */
	{"3.11", "3.11.4+local", "3.11.4", "posix", "linux", "Linux", "aarch64", "CPython", "cpython", "6.1.0", "#1"},
	{"3.10", "3.10.0rc1", "3.10.0rc1", "posix", "linux", "Linux", "x86_64", "CPython", "cpython", "6.1.0", "#1"},
};
#define NENVS (sizeof(envs) / sizeof(envs[0]))
_Static_assert(NENVS <= sizeof(points_env) / sizeof(points_env[0]), "room for the environments");

static dl_marker_env *env_at(size_t e)
{
	dl_marker_env *env = NULL;
	assert_int_equal(dl_marker_env_new(&env), 0);
	for (size_t v = 0; v < NVARS; v++)
		assert_int_equal(dl_marker_env_set_by_name(env, env_vars[v], strlen(env_vars[v]), envs[e][v],
		                                           strlen(envs[e][v])), 0);
	return env;
}

/* The environment as a one-point region: every variable pinned. */
static dl_mregion *point_at(size_t e)
{
	dl_buf b = DL_BUF_INIT;
	/* python_version follows from python_full_version; platform_release is
	 * left free (its version-like values are opaque conditions) */
	for (size_t v = 1; v < NVARS; v++)
		if (strcmp(env_vars[v], "platform_release") != 0)
			dl_buf_printf(&b, "%s%s == \"%s\"", v > 1 ? " and " : "", env_vars[v], envs[e][v]);
	char *s = dl_buf_detach(&b, NULL);
	assert_non_null(s);
	dl_mregion *p = reg(s);
	dl_free(s);
	return p;
}

static bool evaluate(const char *marker, const dl_marker_env *env)
{
	dl_marker *m = NULL;
	assert_int_equal(dl_marker_parse(&m, marker, strlen(marker)), 0);
	bool v = false;
	if (dl_marker_evaluate(m, env, &v) != 0)
		fail_msg("'%s': evaluation failed: %s", marker, dl_error_last()->message);
	dl_marker_free(m);
	return v;
}

/* A point is in a region or outside it: both questions must agree with
 * the evaluation. */
static void check_point(const dl_mregion *p, size_t e, const dl_mregion *r, bool want, const char *what)
{
	bool in = subset(p, r), out = disjoint(p, r);
	if (in != want || out != !want)
		fail_msg("environment %zu (python %s on %s) and %s [%s]: evaluates to %s, but the region says "
		         "subset=%d disjoint=%d",
		         e, envs[e][1], envs[e][4], what, show(r), want ? "true" : "false", in, out);
}

static void test_points(void **state)
{
	(void)state;
	dl_mregion *pts[NENVS];
	dl_marker_env **ev = points_env;
	for (size_t e = 0; e < NENVS; e++) {
		pts[e] = point_at(e);
		ev[e] = env_at(e);
		assert_false(dl_mregion_is_empty(pts[e]));
		for (size_t f = 0; f < e; f++)
			assert_true(disjoint(pts[e], pts[f]));
	}
	bool val[NEXACT][NENVS];
	dl_mregion *r[NEXACT], *nr[NEXACT];
	for (size_t i = 0; i < NEXACT; i++) {
		r[i] = reg(exact[i]);
		nr[i] = not_(r[i]);
		for (size_t e = 0; e < NENVS; e++) {
			val[i][e] = evaluate(exact[i], ev[e]);
			check_point(pts[e], e, r[i], val[i][e], exact[i]);
			char what[512];
			snprintf(what, sizeof what, "not (%s)", exact[i]);
			check_point(pts[e], e, nr[i], !val[i][e], what);
		}
	}
	/* and, or, and a difference of every pair */
	for (size_t i = 0; i < NEXACT; i++)
		for (size_t j = 0; j < NEXACT; j++) {
			dl_mregion *a = and_(r[i], r[j]), *o = or_(r[i], r[j]), *d = and_(r[i], nr[j]);
			for (size_t e = 0; e < NENVS; e++) {
				char what[1024];
				snprintf(what, sizeof what, "(%s) and (%s)", exact[i], exact[j]);
				check_point(pts[e], e, a, val[i][e] && val[j][e], what);
				snprintf(what, sizeof what, "(%s) or (%s)", exact[i], exact[j]);
				check_point(pts[e], e, o, val[i][e] || val[j][e], what);
				snprintf(what, sizeof what, "(%s) and not (%s)", exact[i], exact[j]);
				check_point(pts[e], e, d, val[i][e] && !val[j][e], what);
			}
		}
	/* the union of a few points, and what it leaves (a few: the complement
	 * of k points pinned in 9 variables has up to 9^k cubes) */
	dl_mregion *all = empty();
	for (size_t e = 0; e < 4; e++)
		all = or_(all, pts[e]);
	dl_mregion *rest = not_(all);
	assert_false(dl_mregion_is_empty(rest));
	for (size_t e = 0; e < NENVS; e++) {
		assert_true(subset(pts[e], e < 4 ? all : rest));
		assert_true(disjoint(pts[e], e < 4 ? rest : all));
	}
	release_all();
}

static void fail_law(const char *law, size_t i, size_t j)
{
	fail_msg("%s fails for a = '%s', b = '%s'", law, marker_at(i), marker_at(j));
}

static void fail_law3(const char *law, size_t i, size_t j, size_t k)
{
	fail_msg("%s fails for a = '%s', b = '%s', c = '%s'", law, marker_at(i), marker_at(j), marker_at(k));
}

static void test_laws(void **state)
{
	(void)state;
	long not_full = 0;
	dl_mregion *r[NALL], *nr[NALL];
	for (size_t i = 0; i < NALL; i++) {
		r[i] = reg(marker_at(i));
		nr[i] = not_(r[i]);
		if (!eq(not_(nr[i]), r[i]))
			fail_law("not not a == a", i, i);
		if (!dl_mregion_is_empty(and_(r[i], nr[i])))
			fail_law("a and not a == empty", i, i);
		if (!eq(or_(r[i], nr[i]), full()))
			fail_law("a or not a == full", i, i);
		/* is_full must see it too; counted, so the other laws still run */
		if (!dl_mregion_is_full(or_(r[i], nr[i])) && not_full++ < 5)
			print_error("a or not a: dl_mregion_is_full is false (though eq to the full region) for a = "
			            "'%s' [%s]\n", marker_at(i), show(or_(r[i], nr[i])));
		if (!disjoint(r[i], nr[i]))
			fail_law("a disjoint from not a", i, i);
		if (!eq(and_(r[i], r[i]), r[i]) || !eq(or_(r[i], r[i]), r[i]))
			fail_law("idempotence", i, i);
		/* none of these is trivial */
		if (dl_mregion_is_empty(r[i]) || dl_mregion_is_full(r[i]))
			fail_law("neither empty nor full", i, i);
		dl_mregion *cl = NULL;
		assert_int_equal(dl_mregion_clone(&cl, r[i]), 0);
		keep(cl);
		assert_true(eq(cl, r[i]));
	}
	for (size_t i = 0; i < NALL; i++) {
		size_t mark = nkept;
		for (size_t j = 0; j < NALL; j++) {
			dl_mregion *a = r[i], *b = r[j];
			dl_mregion *ab = and_(a, b), *ba = and_(b, a), *aob = or_(a, b), *boa = or_(b, a);
			if (!eq(ab, ba) || !eq(aob, boa))
				fail_law("commutativity", i, j);
			if (!eq(not_(ab), or_(nr[i], nr[j])))
				fail_law("not (a and b) == not a or not b", i, j);
			if (!eq(not_(aob), and_(nr[i], nr[j])))
				fail_law("not (a or b) == not a and not b", i, j);
			if (!subset(ab, a) || !subset(a, aob))
				fail_law("a and b <= a <= a or b", i, j);
			if (!eq(or_(a, ab), a) || !eq(and_(a, aob), a))
				fail_law("absorption", i, j);
			bool sub = subset(a, b);
			if (sub != dl_mregion_is_empty(and_(a, nr[j])))
				fail_law("a <= b iff a and not b is empty", i, j);
			if (sub != eq(ab, a) || sub != eq(aob, b))
				fail_law("a <= b iff a and b == a iff a or b == b", i, j);
			if (sub != subset(nr[j], nr[i]))
				fail_law("a <= b iff not b <= not a", i, j);
			bool dis = disjoint(a, b);
			if (dis != dl_mregion_is_empty(ab))
				fail_law("disjoint iff a and b is empty", i, j);
			if (dis != disjoint(b, a))
				fail_law("disjoint is symmetric", i, j);
			if (dis != subset(a, nr[j]))
				fail_law("disjoint iff a <= not b", i, j);
			if (eq(a, b) != (sub && subset(b, a)))
				fail_law("eq iff subset both ways", i, j);
			if ((i == j) != eq(a, b))
				fail_law("the listed markers are pairwise different", i, j);
		}
		release_to(mark);
	}
	/* distributivity and associativity on triples of a part of the list */
	size_t n = NALL < 12 ? NALL : 12;
	for (size_t i = 0; i < n; i++) {
		size_t mark = nkept;
		for (size_t j = 0; j < n; j++)
			for (size_t k = 0; k < n; k++) {
				/* b and c spread over the whole list */
				size_t bi = (j * 3 + 1) % NALL, ci = (i * 5 + k * 7) % NALL;
				dl_mregion *a = r[i], *b = r[bi], *c = r[ci];
				if (!eq(and_(a, or_(b, c)), or_(and_(a, b), and_(a, c))))
					fail_law3("a and (b or c) == (a and b) or (a and c)", i, bi, ci);
				if (!eq(or_(a, and_(b, c)), and_(or_(a, b), or_(a, c))))
					fail_law3("a or (b and c) == (a or b) and (a or c)", i, bi, ci);
				if (!eq(and_(a, and_(b, c)), and_(and_(a, b), c)))
					fail_law3("associativity of and", i, bi, ci);
				if (!eq(or_(a, or_(b, c)), or_(or_(a, b), c)))
					fail_law3("associativity of or", i, bi, ci);
			}
		release_to(mark);
	}
	release_all();
	if (not_full > 0)
		fail_msg("dl_mregion_is_full was false for %ld full region(s) of the form a or not a", not_full);
}

/* ---- python_floor ------------------------------------------------------- */

static bool at_or_above(const dl_version *lo, bool inclusive, const char *v)
{
	dl_version pv;
	assert_int_equal(dl_version_parse_into(&pv, v, strlen(v)), 0);
	int c = dl_version_cmp(&pv, lo);
	dl_version_clear(&pv);
	return c > 0 || (c == 0 && inclusive);
}

/* The floor of `marker` must be bounded, admit every version of `above`
 * and none of `below`. */
static void check_floor(const char *marker, const char *const *above, const char *const *below)
{
	dl_mregion *r = reg(marker);
	bool bounded = false, inclusive = false;
	dl_version lo;
	memset(&lo, 0, sizeof lo);
	assert_int_equal(dl_mregion_python_floor(r, &bounded, &lo, &inclusive), 0);
	if (!bounded)
		fail_msg("'%s' [%s]: expected a python floor, got none", marker, show(r));
	for (; *above; above++)
		if (!at_or_above(&lo, inclusive, *above))
			fail_msg("'%s': %s should be at or above the floor", marker, *above);
	for (; *below; below++)
		if (at_or_above(&lo, inclusive, *below))
			fail_msg("'%s': %s should be below the floor", marker, *below);
	dl_version_clear(&lo);
}

static void check_no_floor(const dl_mregion *r, const char *what)
{
	bool bounded = true, inclusive = false;
	dl_version lo;
	assert_int_equal(dl_version_parse_into(&lo, "1.2.3", 5), 0);
	assert_int_equal(dl_mregion_python_floor(r, &bounded, &lo, &inclusive), 0);
	if (bounded)
		fail_msg("%s [%s]: expected no python floor", what, show(r));
	/* untouched */
	dl_version want;
	assert_int_equal(dl_version_parse_into(&want, "1.2.3", 5), 0);
	assert_int_equal(dl_version_cmp(&lo, &want), 0);
	assert_int_equal(lo.bound, DL_VERSION_BOUND_NONE);
	dl_version_clear(&want);
	dl_version_clear(&lo);
}

#define V(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_python_floor(void **state)
{
	(void)state;
	check_floor("python_version >= \"3.10\"", V("3.10.0", "3.10", "3.10.0rc1", "3.10.0a1", "3.10.0.dev0", "3.11"),
	            V("3.9.99", "3.9", "3.9.18.post1", "2.7"));
	check_floor("python_version > \"3.9\"", V("3.10.0rc1", "3.10"), V("3.9.99"));
	check_floor("python_full_version >= \"3.10.1\" or python_version >= \"3.12\"", V("3.10.1", "3.10.2"),
	            V("3.10.1rc1", "3.10.0", "3.10.1.dev0"));
	check_floor("python_version >= \"3.12\" or python_full_version >= \"3.10.1\"", V("3.10.1"), V("3.10.1rc1"));
	check_floor("python_full_version > \"3.10.1\"", V("3.10.2", "3.10.1.1"),
	            V("3.10.1", "3.10.1.post1", "3.10.1+local"));
	check_floor("python_version >= \"3.10\" and sys_platform == \"linux\" or python_version >= \"3.8\" and "
	            "sys_platform == \"win32\"",
	            V("3.8.0rc1", "3.8", "3.9"), V("3.7.99"));
	check_floor("python_version == \"3.9\" or python_version == \"3.11\"", V("3.9.0a1", "3.9"), V("3.8.20"));
	check_floor("python_version >= \"3.9\" and python_full_version != \"3.9.0\"", V("3.9.0rc1"), V("3.8"));
	check_floor("python_full_version >= \"3.10.1.1.1.1.1.1\"", V("3.10.1.1.1.1.1.1", "3.10.1.1.1.1.1.2"),
	            V("3.10.1.1.1.1.1.0.9"));

	/* the bounded answer is the exact floor */
	dl_mregion *r = reg("python_full_version >= \"3.10.1\" or python_version >= \"3.12\"");
	bool bounded = false, inclusive = false;
	dl_version lo, want;
	assert_int_equal(dl_mregion_python_floor(r, &bounded, &lo, &inclusive), 0);
	assert_true(bounded);
	assert_true(inclusive);
	assert_int_equal(dl_version_parse_into(&want, "3.10.1", 6), 0);
	assert_int_equal(dl_version_cmp(&lo, &want), 0);
	dl_version_clear(&want);
	dl_version_clear(&lo);

	static const char *const none[] = {
		"sys_platform == \"linux\"",
		"python_version < \"3.9\"",
		"python_version < \"3.9\" or python_version >= \"3.11\"",
		"python_version >= \"3.10\" or sys_platform == \"linux\"",
		"implementation_version >= \"3.9\"",
		"python_version != \"3.9\"",
		"\"arm\" in platform_machine",
	};
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		check_no_floor(reg(none[i]), none[i]);
	check_no_floor(empty(), "the empty region");
	check_no_floor(full(), "the full region");
	/* a floor survives intersection with other variables, and the
	 * complement of an upper bound has one */
	check_floor("python_version >= \"3.9\" and \"arm\" in platform_machine", V("3.9.0b1"), V("3.8.9"));
	dl_mregion *n = not_(reg("python_version < \"3.9\""));
	assert_int_equal(dl_mregion_python_floor(n, &bounded, &lo, &inclusive), 0);
	assert_true(bounded);
	assert_true(at_or_above(&lo, inclusive, "3.9.0a1"));
	assert_false(at_or_above(&lo, inclusive, "3.8.99"));
	dl_version_clear(&lo);
	release_all();
}


/* ---- requires-python and simplification inside a base region ------------ */

static dl_mregion *python_of(const char *spec)
{
	dl_specset *set = NULL;
	if (dl_specset_parse(&set, spec, strlen(spec)) != 0)
		fail_msg("parse of '%s' failed: %s", spec, dl_error_last()->message);
	dl_mregion *r = NULL;
	assert_int_equal(dl_mregion_python(&r, set), 0);
	dl_specset_free(set);
	assert_non_null(r);
	return keep(r);
}

static void test_requires_python(void **state)
{
	(void)state;
	assert_true(eq(python_of(">=3.10"), reg("python_full_version >= '3.10'")));
	assert_false(eq(python_of(">=3.10"), reg("python_version >= '3.10'"))); /* 3.10.0rc1 */
	assert_true(eq(python_of(">=3.8, <4"), reg("python_full_version >= '3.8' and python_full_version < '4'")));
	assert_true(eq(python_of("==3.9.*"), reg("python_version == '3.9'")));
	/* `>=3.8` leaves out 3.8.0rc1, which python_version == "3.8" has */
	assert_true(eq(python_of("!=3.9.*, >=3.8"), reg("python_full_version >= '3.8' and python_version != '3.9'")));
	assert_false(eq(python_of("!=3.9.*, >=3.8"), reg("python_version == '3.8' or python_version >= '3.10'")));
	assert_true(dl_mregion_is_full(python_of("")));
	assert_true(dl_mregion_is_empty(python_of(">3, <2")));
	check_no_floor(python_of("<3.12"), "requires-python <3.12");
	bool bounded = false, inclusive = false;
	dl_version lo, want;
	assert_int_equal(dl_mregion_python_floor(python_of(">=3.9.2, !=3.10.*"), &bounded, &lo, &inclusive), 0);
	assert_true(bounded);
	assert_true(inclusive);
	assert_int_equal(dl_version_parse_into(&want, "3.9.2", 5), 0);
	assert_int_equal(dl_version_cmp(&lo, &want), 0);
	dl_version_clear(&want);
	dl_version_clear(&lo);
	release_all();
}

static dl_mregion *within(const dl_mregion *a, const dl_mregion *base)
{
	dl_mregion *r = NULL;
	assert_int_equal(dl_mregion_within(&r, a, base), 0);
	return keep(r);
}

static void check_within(const char *a, const char *base, const char *want)
{
	dl_mregion *ra = reg(a), *rb = reg(base), *w = within(ra, rb);
	if (strcmp(show(w), want) != 0)
		fail_msg("'%s' within '%s': '%s', expected '%s'", a, base, show(w), want);
	assert_true(eq(and_(w, rb), and_(ra, rb)));
}

static void test_within(void **state)
{
	(void)state;
	check_within("python_version >= '3.10' and sys_platform == 'linux'", "python_version >= '3.10'",
	             "sys_platform == \"linux\"");
	check_within("python_version >= '3.8' and sys_platform == 'linux'", "python_version >= '3.10'",
	             "sys_platform == \"linux\"");
	check_within("python_version >= '3.12' and sys_platform == 'linux'", "python_version >= '3.10'",
	             "python_version >= \"3.12\" and sys_platform == \"linux\"");
	check_within("sys_platform == 'linux'", "python_version >= '3.10'", "sys_platform == \"linux\"");
	check_within("python_version >= '3.10' and sys_platform == 'linux'",
	             "python_version >= '3.10' and sys_platform == 'linux'", "");
	check_within("sys_platform == 'linux' and os_name == 'posix'", "os_name == 'posix'",
	             "sys_platform == \"linux\"");
	/* the defining property, on every pair */
	for (size_t i = 0; i < NALL; i++) {
		size_t mark = nkept;
		dl_mregion *a = reg(marker_at(i));
		assert_true(eq(within(a, full()), a));
		for (size_t j = 0; j < NALL; j++) {
			dl_mregion *b = reg(marker_at(j)), *w = within(a, b);
			if (!eq(and_(w, b), and_(a, b)))
				fail_msg("within('%s', '%s') = [%s]: its part inside the base differs", marker_at(i),
				         marker_at(j), show(w));
		}
		release_to(mark);
	}
	release_all();
}

/* ---- format ------------------------------------------------------------- */

static void check_format(const char *marker, const char *want)
{
	dl_mregion *r = reg(marker);
	const char *got = show(r);
	if (strcmp(got, want) != 0)
		fail_msg("'%s': formatted as '%s', expected '%s'", marker, got, want);
}

/* format -> parse -> eq, for `r` (built from `what`). */
/* Round-trip mismatches are counted, the first ones printed, and the test
 * failed by rt_finish(), so that one run lists them all. */
static long rt_failures;

static void rt_finish(void)
{
	long n = rt_failures;
	rt_failures = 0;
	if (n > 0)
		fail_msg("%ld region(s) did not survive format -> parse", n);
}

static void check_round_trip(const dl_mregion *r, const char *what)
{
	char *s = NULL;
	assert_int_equal(dl_mregion_to_string(&s, r), 0);
	dl_free(rt_text);
	rt_text = s; /* freed by release_all when an assertion ends the test */
	dl_mregion *back = NULL;
	int rc = dl_mregion_parse(&back, s, strlen(s));
	if (rc != 0)
		fail_msg("%s: its format '%s' does not parse: %s", what, s, dl_error_last()->message);
	keep(back);
	if (!eq(back, r) && rt_failures++ < 40)
		print_error("%s: formatted as '%s', which parses back to a different region\n", what, s);
	/* formatting is a function of the region as built */
	char *s2 = NULL;
	assert_int_equal(dl_mregion_to_string(&s2, r), 0);
	assert_string_equal(s, s2);
	dl_free(s2);
}

static void test_format(void **state)
{
	(void)state;
	assert_string_equal(show(full()), "");
	assert_string_equal(show(empty()), "python_version < \"0\"");
	check_format("python_version >= \"3.9\"", "python_version >= \"3.9\"");
	check_format("python_version >= '3.9'", "python_version >= \"3.9\"");
	check_format("\"3.9\" <= python_version", "python_version >= \"3.9\"");
	check_format("python_version < \"3.8\"", "python_version < \"3.8\"");
	check_format("python_version > \"3.9\"", "python_version >= \"3.10\"");
	check_format("sys_platform == \"linux\"", "sys_platform == \"linux\"");
	check_format("sys_platform == \"linux\" and python_version >= \"3.9\"",
	             "python_version >= \"3.9\" and sys_platform == \"linux\"");
	check_format("sys_platform == 'linux' and sys_platform == 'win32'", "python_version < \"0\"");
	check_format("os_name == 'nt' or os_name != 'nt'", "");
	check_format("\"arm\" in platform_machine", "\"arm\" in platform_machine");
	/* not on an X.Y boundary: python_full_version */
	dl_mregion *r = reg("python_full_version >= \"3.9.1\"");
	assert_non_null(strstr(show(r), "python_full_version"));
	assert_null(strstr(show(r), "python_version"));
	r = reg("python_full_version >= \"3.9\""); /* 3.9.0rc1 is outside */
	assert_non_null(strstr(show(r), "python_full_version"));
	/* the complement of a bound */
	dl_mregion *n = not_(reg("python_version >= \"3.9\""));
	assert_string_equal(show(n), "python_version < \"3.9\"");
	/* format appends */
	dl_buf b = DL_BUF_INIT;
	assert_int_equal(dl_buf_puts(&b, "; "), 0);
	assert_int_equal(dl_mregion_format(reg("python_version >= '3.9'"), &b), 0);
	assert_string_equal(dl_buf_cstr(&b), "; python_version >= \"3.9\"");
	assert_int_equal(dl_mregion_format(full(), &b), 0);
	assert_string_equal(dl_buf_cstr(&b), "; python_version >= \"3.9\"");
	dl_buf_free(&b);
	/* a buffer's cap is its failure */
	dl_buf_init(&b, 8);
	assert_true(dl_mregion_format(reg("sys_platform == 'linux' or sys_platform == 'darwin'"), &b) < 0);
	dl_buf_free(&b);
	/* the brief's union, and its complement */
	dl_mregion *u = reg("sys_platform == \"linux\" or sys_platform == \"darwin\"");
	check_round_trip(u, "linux or darwin");
	check_round_trip(not_(u), "not (linux or darwin)");
	char *s = NULL;
	assert_int_equal(dl_mregion_to_string(&s, not_(u)), 0);
	assert_true(eq(reg(s), reg("sys_platform != 'linux' and sys_platform != 'darwin'")));
	dl_free(s);
	/* redundant cubes are not printed */
	check_format("sys_platform == 'linux' or sys_platform == 'linux' and os_name == 'posix'",
	             "sys_platform == \"linux\"");
	assert_int_equal(dl_mregion_size(reg("sys_platform == 'linux' or sys_platform == 'linux' and os_name == 'posix'")),
	                 1);
	assert_int_equal(dl_mregion_size(reg("python_version >= '3.9' or python_version >= '3.10'")), 1);
	rt_finish();
	release_all();
}

/* The empty region prints as `python_version < "0"` (dl_marker_false's
 * text); reading that back must give the empty region again, or a fork
 * marker written to a lock would come back as something else. */
static void test_format_empty_round_trip(void **state)
{
	(void)state;
	dl_mregion *e = empty();
	check_empty("python_version < \"0\"", true);
	check_round_trip(e, "the empty region");
	check_round_trip(not_(reg("os_name == 'nt' or os_name != 'nt'")), "not (a tautology)");
	rt_finish();
	release_all();
}

/*
 * Whether the complement of `m` can be written in PEP 508 at all.  `>V`
 * leaves out V's post-releases, so its complement is "at most V, or a
 * post-release of V"; nothing spells that set (3.8.2.0.0.1 lies above every
 * 3.8.2.postN and below any release one could name), so a printed form can
 * only approximate it.  Every other bound has an exact spelling, e.g. the
 * complement of `>= "3.9"` is `python_full_version <= "3.9" and
 * python_full_version != "3.9"` (3.9.0rc1 included), and a lower bound
 * "3.9.1.MIN" is `>= "3.9.1.dev0"`.
 */
static bool complement_printable(const char *m)
{
	return strstr(m, "python_full_version > ") == NULL && strstr(m, "implementation_version > ") == NULL;
}

static void test_format_round_trip(void **state)
{
	(void)state;
	static const char *const more[] = {
		"python_full_version < \"3.10.0rc1\"",
		"python_full_version > \"3.8.2\"",
		"python_full_version >= \"3.9\"",
		"python_full_version == \"3.9.1\" or python_full_version == \"3.11.2\"",
		"python_version >= \"3.9\" and python_version < \"3.12\" and platform_system != \"Windows\"",
		"os_name == \"nt\" and platform_machine == \"AMD64\" or os_name == \"posix\" and platform_machine == \"x86_64\"",
		"python_version < \"3.9\" or python_version >= \"3.11\"",
		"platform_python_implementation == \"PyPy\" and python_version >= \"3.10\"",
		"implementation_version < \"3.9.0b1\"",
		"python_full_version == \"3.9.*\"",
		"python_full_version != \"3.9.1\"",
		"python_full_version >= \"3.8.1\" and python_full_version < \"3.8.5\" or python_version >= \"3.11\"",
		"sys_platform != \"win32\" and os_name == \"posix\"",
		"implementation_version == \"3.9.*\"",
		"python_full_version == \"3.9.1.*\"",
		"python_version >= \"4\"",
		"platform_version == \"#1 SMP\" and platform_release == \"6.1.0\"",
	};
	for (size_t i = 0; i < NEXACT; i++) {
		dl_mregion *r = reg(exact[i]);
		check_round_trip(r, exact[i]);
		char what[512];
		snprintf(what, sizeof what, "not (%s)", exact[i]);
		if (complement_printable(exact[i]))
			check_round_trip(not_(r), what);
	}
	for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++) {
		dl_mregion *r = reg(more[i]);
		check_round_trip(r, more[i]);
		char what[512];
		snprintf(what, sizeof what, "not (%s)", more[i]);
		if (complement_printable(more[i]))
			check_round_trip(not_(r), what);
	}
	/* combinations make many-cube regions */
	for (size_t i = 0; i < NEXACT; i++) {
		size_t mark = nkept;
		for (size_t j = 0; j < NEXACT; j++) {
			dl_mregion *a = reg(exact[i]), *b = reg(exact[j]);
			char what[1024];
			snprintf(what, sizeof what, "(%s) and (%s)", exact[i], exact[j]);
			check_round_trip(and_(a, b), what);
			snprintf(what, sizeof what, "(%s) or (%s)", exact[i], exact[j]);
			check_round_trip(or_(a, b), what);
			snprintf(what, sizeof what, "(%s) and not (%s)", exact[i], exact[j]);
			if (complement_printable(exact[j]))
				check_round_trip(and_(a, not_(b)), what);
		}
		release_to(mark);
	}
	rt_finish();
	release_all();
}

/* Opaque conditions print as their text; their negation can only be printed
 * with the opposite operator (`not in`), which must read back as the same
 * condition negated. */
static void test_format_round_trip_opaque(void **state)
{
	(void)state;
	for (size_t i = 0; i < NINEXACT; i++) {
		dl_mregion *r = reg(inexact[i]);
		check_round_trip(r, inexact[i]);
		char what[512];
		snprintf(what, sizeof what, "not (%s)", inexact[i]);
		check_round_trip(not_(r), what);
	}
	check_rel("\"arm\" not in platform_machine", "\"arm\" in platform_machine", REL_DISJOINT);
	dl_mregion *c = reg("\"arm\" in platform_machine");
	assert_true(eq(not_(c), reg("\"arm\" not in platform_machine")));
	rt_finish();
	release_all();
}

/* ---- allocation failure ------------------------------------------------- */

static int alloc_ops(void *ctx)
{
	(void)ctx;
	const char *sa = "python_version >= '3.8' and (os_name == 'nt' or extra == 'a') and 'arm' in platform_machine";
	const char *sb = "sys_platform == 'linux' or python_full_version < '3.9.1' or platform_system != 'Darwin'";
	const char *const extras[] = {"A"};
	dl_marker *m = NULL;
	dl_mregion *a = NULL, *b = NULL, *ab = NULL, *aob = NULL, *na = NULL, *cl = NULL, *f = NULL, *e = NULL;
	dl_mregion *py = NULL, *w = NULL;
	dl_specset *set = NULL;
	char *s = NULL;
	bool v = false;
	int rc = dl_marker_parse(&m, sa, strlen(sa));
	if (rc == 0)
		rc = dl_mregion_from_marker(&a, m, extras, 1);
	if (rc == 0)
		rc = dl_mregion_parse(&b, sb, strlen(sb));
	if (rc == 0)
		rc = dl_mregion_and(&ab, a, b);
	if (rc == 0)
		rc = dl_mregion_or(&aob, a, b);
	if (rc == 0)
		rc = dl_mregion_not(&na, aob);
	if (rc == 0)
		rc = dl_mregion_clone(&cl, na);
	if (rc == 0)
		rc = dl_mregion_eq(cl, na, &v);
	if (rc == 0 && !v)
		rc = DL_ERROR;
	if (rc == 0)
		rc = dl_mregion_subset(ab, aob, &v);
	if (rc == 0 && !v)
		rc = DL_ERROR;
	if (rc == 0)
		rc = dl_mregion_disjoint(na, a, &v);
	if (rc == 0 && !v)
		rc = DL_ERROR;
	if (rc == 0)
		rc = dl_mregion_to_string(&s, na);
	if (rc == 0)
		rc = dl_mregion_full(&f);
	if (rc == 0)
		rc = dl_mregion_empty(&e);
	if (rc == 0)
		rc = dl_specset_parse(&set, ">=3.9, !=3.10.*", 15);
	if (rc == 0)
		rc = dl_mregion_python(&py, set);
	if (rc == 0)
		rc = dl_mregion_within(&w, ab, py);
	if (rc == 0) {
		bool bounded = false, inclusive = false;
		dl_version lo;
		rc = dl_mregion_python_floor(a, &bounded, &lo, &inclusive);
		if (rc == 0 && !bounded)
			rc = DL_ERROR;
		if (rc == 0)
			dl_version_clear(&lo);
	}
	dl_free(s);
	dl_marker_free(m);
	dl_mregion_free(a);
	dl_mregion_free(b);
	dl_mregion_free(ab);
	dl_mregion_free(aob);
	dl_mregion_free(na);
	dl_mregion_free(cl);
	dl_mregion_free(f);
	dl_mregion_free(e);
	dl_mregion_free(py);
	dl_mregion_free(w);
	dl_specset_free(set);
	return rc;
}

/* A floor whose copy allocates (more release segments than fit inline). */
static int alloc_floor(void *ctx)
{
	const char *src = ctx;
	dl_mregion *r = NULL;
	int rc = dl_mregion_parse(&r, src, strlen(src));
	if (rc < 0)
		return rc;
	bool bounded = false, inclusive = false;
	dl_version lo;
	rc = dl_mregion_python_floor(r, &bounded, &lo, &inclusive);
	if (rc == 0 && bounded)
		dl_version_clear(&lo);
	else if (rc == 0)
		rc = DL_ERROR;
	dl_mregion_free(r);
	return rc;
}

static int alloc_format(void *ctx)
{
	const char *src = ctx;
	dl_mregion *r = NULL, *n = NULL;
	int rc = dl_mregion_parse(&r, src, strlen(src));
	if (rc == 0)
		rc = dl_mregion_not(&n, r);
	dl_buf b = DL_BUF_INIT;
	if (rc == 0)
		rc = dl_mregion_format(n, &b);
	dl_buf_free(&b);
	dl_mregion_free(r);
	dl_mregion_free(n);
	return rc;
}

/* The yes/no questions that cannot return a code: is_empty never
 * allocates; is_full may (a region full only as a union of cubes needs
 * the complement), and when no allocation succeeds it answers false, the
 * safe side for its callers, and leaves the caller's stored error alone.
 * With memory it answers true. */
static void test_questions_without_memory(void **state)
{
	(void)state;
	static const char *const tautologies[] = {
		"os_name == 'nt' or sys_platform == 'darwin'",
		"'arm' in platform_machine",
		"python_version >= '3.9' and sys_platform == 'linux'",
	};
	for (size_t i = 0; i < sizeof(tautologies) / sizeof(tautologies[0]); i++) {
		dl_mregion *a = reg(tautologies[i]), *t = or_(a, not_(a)), *c = and_(a, not_(a));
		dltest_alloc_install();
		dltest_alloc_fail_at(1);
		dl_error_set(DL_EIO, "the caller's error");
		bool full_ok = dl_mregion_is_full(t), empty_ok = dl_mregion_is_empty(c);
		bool kept_error = dl_error_last()->code == DL_EIO;
		dltest_alloc_reset();
		dl_allocator_set(NULL);
		if (full_ok && !dl_mregion_is_full(t))
			fail_msg("a or not a, a = '%s': full without memory but not with it", tautologies[i]);
		if (!dl_mregion_is_full(t))
			fail_msg("a or not a, a = '%s': dl_mregion_is_full is false", tautologies[i]);
		assert_true(empty_ok);
		if (!kept_error)
			fail_msg("a or not a, a = '%s': dl_mregion_is_full replaced the stored error", tautologies[i]);
	}
	release_all();
}

static void test_alloc_failures(void **state)
{
	(void)state;
	dltest_each_alloc_failure(alloc_ops, NULL);
	dltest_each_alloc_failure(alloc_floor, "python_full_version >= '3.10.1.1.1.1.1.1' or python_version >= '3.12'");
	dltest_each_alloc_failure(alloc_format, "python_version >= '3.8' and sys_platform == 'linux' or "
	                                        "python_full_version < '3.7.2' and os_name == 'nt' or "
	                                        "'arm' in platform_machine");
	dl_allocator_set(NULL);
}

/* Frees what a test kept, also when an assertion ended it early. */
static int teardown(void **state)
{
	(void)state;
	release_all();
	rt_failures = 0;
	dltest_alloc_reset();
	dl_allocator_set(NULL);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_constants, teardown),
		cmocka_unit_test_teardown(test_parse_errors, teardown),
		cmocka_unit_test_teardown(test_string_variables, teardown),
		cmocka_unit_test_teardown(test_platform_release, teardown),
		cmocka_unit_test_teardown(test_python_version, teardown),
		cmocka_unit_test_teardown(test_extras, teardown),
		cmocka_unit_test_teardown(test_opaque, teardown),
		cmocka_unit_test_teardown(test_points, teardown),
		cmocka_unit_test_teardown(test_laws, teardown),
		cmocka_unit_test_teardown(test_python_floor, teardown),
		cmocka_unit_test_teardown(test_requires_python, teardown),
		cmocka_unit_test_teardown(test_within, teardown),
		cmocka_unit_test_teardown(test_format, teardown),
		cmocka_unit_test_teardown(test_format_empty_round_trip, teardown),
		cmocka_unit_test_teardown(test_format_round_trip, teardown),
		cmocka_unit_test_teardown(test_format_round_trip_opaque, teardown),
		cmocka_unit_test_teardown(test_questions_without_memory, teardown),
		cmocka_unit_test_teardown(test_alloc_failures, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
