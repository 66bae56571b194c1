/*
 * test_filename.c - wheel and sdist file names and the extension
 * classifier: exact parts, the sdist split rule with and without an
 * expected project, error codes with their columns, and clean failure of
 * every allocation.
 */
#include <stdio.h>
#include <string.h>

#include "deeplock/filename.h"
#include "dltest.h"

static dl_wheel_filename *wheel_ok(const char *s)
{
	dl_wheel_filename *w = NULL;
	int rc = dl_filename_parse_wheel(&w, s, strlen(s));
	if (rc != 0)
		fail_msg("parse of '%s' failed: %s", s, dl_error_last()->message);
	return w;
}

static char *version_str(const dl_version *v)
{
	static char text[128];
	dl_buf b = DL_BUF_INIT;
	dl_version_format(v, &b);
	snprintf(text, sizeof(text), "%s", dl_buf_cstr(&b));
	dl_buf_free(&b);
	return text;
}

static void expect_roundtrip_wheel(const dl_wheel_filename *w, const char *s)
{
	dl_buf b = DL_BUF_INIT;
	assert_int_equal(dl_wheel_filename_format(w, &b), 0);
	assert_string_equal(dl_buf_cstr(&b), s);
	dl_buf_free(&b);
}

static void test_wheel_valid(void **state)
{
	(void)state;
	const char *s = "pip-24.0-py3-none-any.whl";
	dl_wheel_filename *w = wheel_ok(s);
	assert_string_equal(w->name, "pip");
	assert_string_equal(w->normalized_name, "pip");
	assert_string_equal(w->version_text, "24.0");
	assert_string_equal(version_str(&w->version), "24.0");
	assert_null(w->build);
	assert_null(w->build_suffix);
	assert_int_equal(w->build_number, 0);
	assert_int_equal(dl_tagset_count(w->tags), 1);
	assert_string_equal(w->tags->python[0], "py3");
	assert_string_equal(w->tags->abi[0], "none");
	assert_string_equal(w->tags->platform[0], "any");
	expect_roundtrip_wheel(w, s);
	dl_wheel_filename_free(w);

	s = "typing_extensions-4.9.0-py3-none-any.whl";
	w = wheel_ok(s);
	assert_string_equal(w->name, "typing_extensions");
	assert_string_equal(w->normalized_name, "typing-extensions");
	dl_wheel_filename_free(w);

	s = "numpy-1.26.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";
	w = wheel_ok(s);
	assert_int_equal(dl_tagset_count(w->tags), 2);
	assert_string_equal(w->tags->python[0], "cp311");
	assert_string_equal(w->tags->abi[0], "cp311");
	assert_string_equal(w->tags->platform[1], "manylinux2014_x86_64");
	expect_roundtrip_wheel(w, s);
	dl_wheel_filename_free(w);

	s = "Foo.Bar-1.0_RC1.post2+Local.1-23abc_x.y-py2.py3-none-any.whl";
	w = wheel_ok(s);
	assert_string_equal(w->name, "Foo.Bar");
	assert_string_equal(w->normalized_name, "foo-bar");
	assert_string_equal(w->version_text, "1.0_RC1.post2+Local.1");
	assert_string_equal(version_str(&w->version), "1.0rc1.post2+local.1");
	assert_string_equal(w->build, "23abc_x.y");
	assert_int_equal(w->build_number, 23);
	assert_string_equal(w->build_suffix, "abc_x.y");
	assert_int_equal(dl_tagset_count(w->tags), 2);
	expect_roundtrip_wheel(w, s);
	dl_wheel_filename_free(w);

	/* A slice: the length is what counts. */
	w = NULL;
	assert_int_equal(dl_filename_parse_wheel(&w, "a-1-py3-none-any.whlXYZ", 20), 0);
	assert_string_equal(w->tags->platform[0], "any");
	dl_wheel_filename_free(w);
}

static void test_wheel_build_order(void **state)
{
	(void)state;
	const char *names[] = {
		"foo-1.0-py3-none-any.whl",    "foo-1.0-1-py3-none-any.whl",  "foo-1.0-1a-py3-none-any.whl",
		"foo-1.0-1b-py3-none-any.whl", "foo-1.0-2-py3-none-any.whl",  "foo-1.0-10-py3-none-any.whl",
	};
	dl_wheel_filename *w[6];
	for (int i = 0; i < 6; i++)
		w[i] = wheel_ok(names[i]);
	for (int i = 0; i < 6; i++) {
		for (int j = 0; j < 6; j++) {
			int c = dl_wheel_filename_build_cmp(w[i], w[j]);
			int want = (i > j) - (i < j);
			if (c != want)
				fail_msg("build_cmp(%s, %s) = %d, expected %d", names[i], names[j], c, want);
		}
	}
	for (int i = 0; i < 6; i++)
		dl_wheel_filename_free(w[i]);
	dl_wheel_filename *a = wheel_ok("foo-1.0-007-py3-none-any.whl");
	dl_wheel_filename *b = wheel_ok("foo-1.0-7-py3-none-any.whl");
	assert_int_equal(dl_wheel_filename_build_cmp(a, b), 0);
	assert_int_equal(a->build_number, 7);
	dl_wheel_filename_free(a);
	dl_wheel_filename_free(b);
}

static void expect_wheel_error(const char *s, int code, const char *fragment)
{
	dl_wheel_filename *w = NULL;
	int rc = dl_filename_parse_wheel(&w, s, strlen(s));
	if (rc != code)
		fail_msg("'%s': rc %d, expected %d (%s)", s, rc, code, dl_error_last()->message);
	assert_null(w);
	if (strstr(dl_error_last()->message, fragment) == NULL)
		fail_msg("error for '%s' is '%s', expected it to contain '%s'", s, dl_error_last()->message, fragment);
}

static void test_wheel_errors(void **state)
{
	(void)state;
	expect_wheel_error("foo-1.0-py3-none-any.zip", DL_EPARSE,
	                   "invalid wheel file name 'foo-1.0-py3-none-any.zip': expected the extension '.whl' at column 25");
	expect_wheel_error("foo-1.0-py3-none.whl", DL_EPARSE, "found 3 '-' where 4 or 5 are needed");
	expect_wheel_error("foo-1.0-py3-none.whl", DL_EPARSE, "at column 17");
	expect_wheel_error("foo-1.0-1-2-py3-none-any.whl", DL_EPARSE, "too many '-'");
	expect_wheel_error("foo-1.0-1-2-py3-none-any.whl", DL_EPARSE, "at column 21");
	expect_wheel_error("foo_-1.0-py3-none-any.whl", DL_EPARSE, "must end with a letter or digit at column 4");
	expect_wheel_error("_foo-1.0-py3-none-any.whl", DL_EPARSE, "must start with a letter or digit at column 1");
	expect_wheel_error("foo__bar-1.0-py3-none-any.whl", DL_EPARSE, "'__' in the project name");
	expect_wheel_error("foo__bar-1.0-py3-none-any.whl", DL_EPARSE, "at column 4");
	expect_wheel_error("fo+o-1.0-py3-none-any.whl", DL_EPARSE, "unexpected '+' in the project name");
	expect_wheel_error("fo+o-1.0-py3-none-any.whl", DL_EPARSE, "at column 3");
	expect_wheel_error("-1.0-py3-none-any.whl", DL_EPARSE, "empty project name at column 1");
	expect_wheel_error("foo-1.0x-py3-none-any.whl", DL_EPARSE,
	                   "version '1.0x' (from column 5) is not a valid PEP 440 version: invalid version '1.0x'");
	expect_wheel_error("foo--py3-none-any.whl", DL_EPARSE, "empty version at column 5");
	expect_wheel_error("foo-1.0-x1-py3-none-any.whl", DL_EPARSE, "the build tag must start with a digit at column 9");
	expect_wheel_error("foo-1.0-1+x-py3-none-any.whl", DL_EPARSE, "unexpected '+' in the build tag");
	expect_wheel_error("foo-1.0-1+x-py3-none-any.whl", DL_EPARSE, "at column 10");
	expect_wheel_error("foo-1.0-py3-none-an$y.whl", DL_EPARSE, "unexpected '$' in the platform tag");
	expect_wheel_error("foo-1.0-py3-none-an$y.whl", DL_EPARSE, "at column 20");
	expect_wheel_error("foo-1.0-py3..x-none-any.whl", DL_EPARSE, "empty python tag at column 13");
	expect_wheel_error("foo-1.0-py3--any.whl", DL_EPARSE, "empty abi tag at column 13");
	expect_wheel_error("foo-1.0-py3-none-.whl", DL_EPARSE, "empty platform tag at column 18");
	expect_wheel_error("foo 1.0-py3-none-any.whl", DL_EPARSE, "unexpected space 0x20 at column 4");
	expect_wheel_error("foo-1.0-py3-none-\xc3\xa9.whl", DL_EPARSE, "unexpected byte 0xc3 at column 18");
	expect_wheel_error("foo-1.0-99999999999999999999-py3-none-any.whl", DL_ELIMIT, "build number larger than 64 bits");
	expect_wheel_error("", DL_EPARSE, "expected the extension '.whl' at column 1");

	char longname[1100];
	memset(longname, 'a', sizeof(longname));
	memcpy(longname + sizeof(longname) - 22, "-1.0-py3-none-any.whl", 22);
	expect_wheel_error(longname, DL_ELIMIT, "longer than the limit of 1024");
}

static int alloc_wheel(void *ctx)
{
	dl_wheel_filename *w = NULL;
	int rc = dl_filename_parse_wheel(&w, ctx, strlen(ctx));
	dl_wheel_filename_free(w);
	return rc;
}

static void test_wheel_alloc_failures(void **state)
{
	(void)state;
	dltest_each_alloc_failure(alloc_wheel, "Foo.Bar-1.0.2.3.4.5.6.7+local.tag-12abc-py2.py3-none-any.whl");
}

/* ------------------------------------------------------------------ */

static dl_sdist_filename *sdist_ok(const char *s, const char *project)
{
	dl_sdist_filename *sd = NULL;
	int rc = dl_filename_parse_sdist(&sd, s, strlen(s), project, project ? strlen(project) : 0);
	if (rc != 0)
		fail_msg("parse of '%s' failed: %s", s, dl_error_last()->message);
	dl_buf b = DL_BUF_INIT;
	assert_int_equal(dl_sdist_filename_format(sd, &b), 0);
	assert_string_equal(dl_buf_cstr(&b), s);
	dl_buf_free(&b);
	return sd;
}

static void expect_sdist(const char *s, const char *project, const char *name, const char *normalized,
                         const char *version, dl_sdist_format format, const char *ext, bool pep625)
{
	dl_sdist_filename *sd = sdist_ok(s, project);
	assert_string_equal(sd->name, name);
	assert_string_equal(sd->normalized_name, normalized);
	assert_string_equal(version_str(&sd->version), version);
	assert_int_equal(sd->format, format);
	assert_string_equal(sd->extension, ext);
	if (sd->pep625 != pep625)
		fail_msg("'%s': pep625 is %d", s, sd->pep625);
	dl_sdist_filename_free(sd);
}

static void test_sdist_valid(void **state)
{
	(void)state;
	expect_sdist("foo_bar-1.0.tar.gz", NULL, "foo_bar", "foo-bar", "1.0", DL_SDIST_TAR_GZ, ".tar.gz", true);
	expect_sdist("foo_bar-1.0.0.tar.gz", NULL, "foo_bar", "foo-bar", "1.0.0", DL_SDIST_TAR_GZ, ".tar.gz", true);
	expect_sdist("foo_bar-01.0.tar.gz", NULL, "foo_bar", "foo-bar", "1.0", DL_SDIST_TAR_GZ, ".tar.gz", false);
	expect_sdist("Foo_bar-1.0.tar.gz", NULL, "Foo_bar", "foo-bar", "1.0", DL_SDIST_TAR_GZ, ".tar.gz", false);
	expect_sdist("foo-bar-1.0.tar.gz", NULL, "foo-bar", "foo-bar", "1.0", DL_SDIST_TAR_GZ, ".tar.gz", false);
	expect_sdist("foo-1.0.tgz", NULL, "foo", "foo", "1.0", DL_SDIST_TAR_GZ, ".tgz", false);
	expect_sdist("foo-1.0.zip", NULL, "foo", "foo", "1.0", DL_SDIST_ZIP, ".zip", false);
	expect_sdist("foo-1.0.tar.bz2", NULL, "foo", "foo", "1.0", DL_SDIST_TAR_BZ2, ".tar.bz2", false);
	expect_sdist("foo-1.0.tbz", NULL, "foo", "foo", "1.0", DL_SDIST_TAR_BZ2, ".tbz", false);
	expect_sdist("foo-1.0.tar.xz", NULL, "foo", "foo", "1.0", DL_SDIST_TAR_XZ, ".tar.xz", false);
	expect_sdist("foo-1.0.txz", NULL, "foo", "foo", "1.0", DL_SDIST_TAR_XZ, ".txz", false);
	expect_sdist("foo-1.0.tar", NULL, "foo", "foo", "1.0", DL_SDIST_TAR, ".tar", false);
	expect_sdist("Foo-1.0.TAR.GZ", NULL, "Foo", "foo", "1.0", DL_SDIST_TAR_GZ, ".TAR.GZ", false);
	expect_sdist("trove-classifiers-2023.11.29.tar.gz", NULL, "trove-classifiers", "trove-classifiers", "2023.11.29",
	             DL_SDIST_TAR_GZ, ".tar.gz", false);

	/* The split without a project: the last '-' followed by a version. */
	expect_sdist("foo-1.0-1.tar.gz", NULL, "foo-1.0", "foo-1-0", "1", DL_SDIST_TAR_GZ, ".tar.gz", false);
	expect_sdist("foo-1.0-dev.tar.gz", NULL, "foo", "foo", "1.0.dev0", DL_SDIST_TAR_GZ, ".tar.gz", false);
	expect_sdist("foo-2-1.0.tar.gz", NULL, "foo-2", "foo-2", "1.0", DL_SDIST_TAR_GZ, ".tar.gz", false);
	/* ... and with one: after the project's name. */
	expect_sdist("foo-1.0-1.tar.gz", "foo", "foo", "foo", "1.0.post1", DL_SDIST_TAR_GZ, ".tar.gz", false);
	expect_sdist("foo-1.0-1.tar.gz", "FOO", "foo", "foo", "1.0.post1", DL_SDIST_TAR_GZ, ".tar.gz", false);
	expect_sdist("foo-bar-1.0.tar.gz", "Foo_Bar", "foo-bar", "foo-bar", "1.0", DL_SDIST_TAR_GZ, ".tar.gz", false);
	expect_sdist("foo-2-1.0.tar.gz", "foo-2", "foo-2", "foo-2", "1.0", DL_SDIST_TAR_GZ, ".tar.gz", false);
}

static void expect_sdist_error(const char *s, const char *project, int code, const char *fragment)
{
	dl_sdist_filename *sd = NULL;
	int rc = dl_filename_parse_sdist(&sd, s, strlen(s), project, project ? strlen(project) : 0);
	if (rc != code)
		fail_msg("'%s': rc %d, expected %d (%s)", s, rc, code, dl_error_last()->message);
	assert_null(sd);
	if (strstr(dl_error_last()->message, fragment) == NULL)
		fail_msg("error for '%s' is '%s', expected it to contain '%s'", s, dl_error_last()->message, fragment);
}

static void test_sdist_errors(void **state)
{
	(void)state;
	expect_sdist_error("foo.tar.gz", NULL, DL_EPARSE,
	                   "invalid sdist file name 'foo.tar.gz': no '-': expected {name}-{version} at column 4");
	expect_sdist_error("foo-bar.tar.gz", NULL, DL_EPARSE, "no '-' is followed by a valid PEP 440 version");
	expect_sdist_error("foo-bar.tar.gz", NULL, DL_EPARSE, "at column 5");
	expect_sdist_error("pytz-2011k.tar.gz", NULL, DL_EPARSE, "at column 6");
	expect_sdist_error("-1.0.tar.gz", NULL, DL_EPARSE, "at column 2");
	expect_sdist_error("foo-1.0.rar", NULL, DL_EPARSE, "expected an sdist extension");
	expect_sdist_error("foo-1.0.rar", NULL, DL_EPARSE, "at column 12");
	expect_sdist_error("foo-1.0.whl", NULL, DL_EPARSE, "expected an sdist extension");
	expect_sdist_error("foo 1.0.tar.gz", NULL, DL_EPARSE, "unexpected space 0x20 at column 4");
	expect_sdist_error("foo-bar-1.0.tar.gz", "baz", DL_EPARSE, "does not belong to project 'baz'");
	expect_sdist_error("foo-bar-1.0.tar.gz", "baz", DL_EPARSE, "at column 1");
	expect_sdist_error("foo-bar-1.0.tar.gz", "foo-bar-1", DL_EPARSE, "does not belong to project 'foo-bar-1'");
	expect_sdist_error("foo-1.0x.tar.gz", "foo", DL_EPARSE,
	                   "version '1.0x' (from column 5) is not a valid PEP 440 version: invalid version");
	expect_sdist_error("foo-2-1.0.tar.gz", "foo", DL_EPARSE, "version '2-1.0' (from column 5) is not a valid PEP 440 version");
	expect_sdist_error("foo-.tar.gz", "foo", DL_EPARSE, "empty version at column 5");
	expect_sdist_error("foo-1.0.tar.gz", "-foo", DL_EINVAL, "invalid expected project name '-foo'");
}

static int alloc_sdist(void *ctx)
{
	const char *const *args = ctx;
	dl_sdist_filename *sd = NULL;
	int rc = dl_filename_parse_sdist(&sd, args[0], strlen(args[0]), args[1], args[1] ? strlen(args[1]) : 0);
	dl_sdist_filename_free(sd);
	return rc;
}

static void test_sdist_alloc_failures(void **state)
{
	(void)state;
	const char *a[2] = {"foo-bar-1.0.2.3.4.5.6.7+local-1.tar.gz", NULL};
	dltest_each_alloc_failure(alloc_sdist, a);
	const char *b[2] = {"foo-bar-1.0+local.tar.gz", "foo.bar"};
	dltest_each_alloc_failure(alloc_sdist, b);
}

/* ------------------------------------------------------------------ */

static void test_classify(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		dl_dist_kind kind;
	} cases[] = {
		{"pip-24.0-py3-none-any.whl", DL_DIST_WHEEL},  {"anything.whl", DL_DIST_WHEEL},
		{"foo.WHL", DL_DIST_OTHER},                    {"foo-1.0.tar.gz", DL_DIST_SDIST},
		{"foo-1.0.TAR.GZ", DL_DIST_SDIST},             {"foo-1.0.zip", DL_DIST_SDIST},
		{"foo-1.0.tar.bz2", DL_DIST_SDIST},            {"foo-1.0.tbz", DL_DIST_SDIST},
		{"foo-1.0.tar.xz", DL_DIST_SDIST},             {"foo-1.0.txz", DL_DIST_SDIST},
		{"foo-1.0.tgz", DL_DIST_SDIST},                {"foo-1.0.tar", DL_DIST_SDIST},
		{"foo-1.0-py2.7.egg", DL_DIST_UNSUPPORTED},    {"foo-1.0.win32.EXE", DL_DIST_UNSUPPORTED},
		{"foo-1.0.msi", DL_DIST_UNSUPPORTED},          {"foo-1.0.rpm", DL_DIST_UNSUPPORTED},
		{"foo-1.0.dmg", DL_DIST_UNSUPPORTED},          {"foo-1.0.deb", DL_DIST_UNSUPPORTED},
		{"foo-1.0.txt", DL_DIST_OTHER},                {"", DL_DIST_OTHER},
		{"whl", DL_DIST_OTHER},                        {"foo-1.0.tar.gz.asc", DL_DIST_OTHER},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dl_dist_kind k = dl_filename_classify(cases[i].name, strlen(cases[i].name));
		if (k != cases[i].kind)
			fail_msg("'%s' classified %s, expected %s", cases[i].name, dl_dist_kind_name(k),
			         dl_dist_kind_name(cases[i].kind));
	}
	assert_string_equal(dl_dist_kind_name(DL_DIST_WHEEL), "wheel");
	assert_string_equal(dl_dist_kind_name(DL_DIST_SDIST), "sdist");
	assert_string_equal(dl_dist_kind_name(DL_DIST_UNSUPPORTED), "unsupported");
	assert_string_equal(dl_dist_kind_name(DL_DIST_OTHER), "other");
	assert_string_equal(dl_sdist_format_name(DL_SDIST_TAR_BZ2), "tar.bz2");
	assert_string_equal(dl_sdist_format_name(DL_SDIST_ZIP), "zip");
	/* Only the slice is looked at. */
	assert_int_equal(dl_filename_classify("foo.whl.txt", 7), DL_DIST_WHEEL);
}

static void test_escape_name(void **state)
{
	(void)state;
	char *out = NULL;
	assert_int_equal(dl_filename_escape_name(&out, "Foo.Bar--baz_Qux", 16), 0);
	assert_string_equal(out, "foo_bar_baz_qux");
	dl_free(out);
	out = NULL;
	assert_int_equal(dl_filename_escape_name(&out, "-foo", 4), DL_EPARSE);
	assert_null(out);
	assert_non_null(strstr(dl_error_last()->message, "invalid project name '-foo'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wheel_valid),
		cmocka_unit_test(test_wheel_build_order),
		cmocka_unit_test(test_wheel_errors),
		cmocka_unit_test(test_wheel_alloc_failures),
		cmocka_unit_test(test_sdist_valid),
		cmocka_unit_test(test_sdist_errors),
		cmocka_unit_test(test_sdist_alloc_failures),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_escape_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
