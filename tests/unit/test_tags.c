/*
 * test_tags.c - compressed tag sets, target descriptions and supported-tag
 * lists.  The expected lists and ranks below were produced once with
 * pypa/packaging 23.0 (cpython_tags/generic_tags + compatible_tags over the
 * platform generators of _manylinux, _musllinux and mac_platforms, with the
 * glibc/musl version of the target substituted), so they pin deeplock to
 * sys_tags()' exact order.
 */
#include <stdio.h>
#include <string.h>

#include "deeplock/tags.h"
#include "dltest.h"

static dl_tagset *parse_ok(const char *s)
{
	dl_tagset *set = NULL;
	int rc = dl_tagset_parse(&set, s, strlen(s));
	if (rc != 0)
		fail_msg("parse of '%s' failed: %s", s, dl_error_last()->message);
	return set;
}

static void expect_parse_error(const char *s, int code, const char *fragment)
{
	dl_tagset *set = NULL;
	int rc = dl_tagset_parse(&set, s, strlen(s));
	assert_int_equal(rc, code);
	assert_null(set);
	if (strstr(dl_error_last()->message, fragment) == NULL)
		fail_msg("error for '%s' is '%s', expected it to contain '%s'", s, dl_error_last()->message, fragment);
}

static void test_tagset_parse(void **state)
{
	(void)state;
	dl_tagset *set = parse_ok("py2.py3-none-any");
	assert_int_equal(set->n_python, 2);
	assert_int_equal(set->n_abi, 1);
	assert_int_equal(set->n_platform, 1);
	assert_string_equal(set->python[0], "py2");
	assert_string_equal(set->python[1], "py3");
	assert_int_equal(dl_tagset_count(set), 2);
	dl_tag t;
	assert_int_equal(dl_tagset_get(set, 1, &t), 0);
	assert_string_equal(t.python, "py3");
	assert_string_equal(t.abi, "none");
	assert_string_equal(t.platform, "any");
	assert_int_equal(dl_tagset_get(set, 2, &t), DL_EINVAL);
	dl_tagset_free(set);

	set = parse_ok("cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64");
	assert_int_equal(dl_tagset_count(set), 2);
	assert_int_equal(dl_tagset_get(set, 0, &t), 0);
	assert_string_equal(t.platform, "manylinux_2_17_x86_64");
	assert_int_equal(dl_tagset_get(set, 1, &t), 0);
	assert_string_equal(t.platform, "manylinux2014_x86_64");
	dl_tagset_free(set);

	/* Product order: python-major, then abi, then platform. */
	set = parse_ok("A.b-C.d-E.f");
	assert_int_equal(dl_tagset_count(set), 8);
	assert_int_equal(dl_tagset_get(set, 5, &t), 0); /* 1,0,1 */
	assert_string_equal(t.python, "b");
	assert_string_equal(t.abi, "C");
	assert_string_equal(t.platform, "f");
	dl_buf b = DL_BUF_INIT;
	assert_int_equal(dl_tagset_format(set, &b), 0);
	assert_string_equal(dl_buf_cstr(&b), "A.b-C.d-E.f"); /* spelling kept */
	dl_buf_free(&b);
	dl_tagset_free(set);
}

static void test_tagset_errors(void **state)
{
	(void)state;
	expect_parse_error("py3-none", DL_EPARSE, "missing '-': expected python-abi-platform at column 9");
	expect_parse_error("py3--any", DL_EPARSE, "empty abi tag at column 5");
	expect_parse_error("", DL_EPARSE, "empty python tag at column 1");
	expect_parse_error("py3.-none-any", DL_EPARSE, "empty python tag at column 5");
	expect_parse_error("py3-none-any.", DL_EPARSE, "empty platform tag at column 14");
	expect_parse_error("py3-none-any-x", DL_EPARSE, "too many '-': expected exactly python-abi-platform at column 13");
	expect_parse_error("py3-no ne-any", DL_EPARSE, "unexpected byte 0x20 (tags have letters, digits and '_') at column 7");
	expect_parse_error("py3-none-an/y", DL_EPARSE, "unexpected character '/'");
	expect_parse_error("py3-none-\xc3\xa9", DL_EPARSE, "unexpected byte 0xc3");
	/* Not NUL-terminated: the length is what counts. */
	dl_tagset *set = NULL;
	assert_int_equal(dl_tagset_parse(&set, "py3-none-anyXXX", 12), 0);
	assert_string_equal(set->platform[0], "any");
	dl_tagset_free(set);

	/* 17 alternatives in each component: 4913 tags > 4096. */
	char big[512];
	size_t n = 0;
	for (int k = 0; k < 3; k++) {
		for (int i = 0; i < 17; i++)
			n += (size_t)snprintf(big + n, sizeof(big) - n, "%s%c%d", i ? "." : "", 'a' + k, i);
		if (k < 2)
			big[n++] = '-';
	}
	big[n] = '\0';
	expect_parse_error(big, DL_ELIMIT, "expands to more than 4096 tags");
}

static int alloc_tagset(void *ctx)
{
	dl_tagset *set = NULL;
	int rc = dl_tagset_parse(&set, ctx, strlen(ctx));
	dl_tagset_free(set);
	return rc;
}

static void test_tagset_alloc_failures(void **state)
{
	(void)state;
	dltest_each_alloc_failure(alloc_tagset, "py2.py3-none.abi3-any.linux_x86_64");
}

/* ------------------------------------------------------------------ */

static void set_ok(dl_tag_target *t, const char *key, const char *value)
{
	int rc = dl_tag_target_set(t, key, value, strlen(value));
	if (rc != 0)
		fail_msg("%s=%s: %s", key, value, dl_error_last()->message);
}

static void test_target_set(void **state)
{
	(void)state;
	dl_tag_target t = DL_TAG_TARGET_INIT;
	assert_int_equal(t.impl, DL_TAG_IMPL_CPYTHON);
	assert_int_equal(t.py_major, 3);
	assert_int_equal(t.py_minor, 12);
	assert_int_equal(t.os, DL_TAG_OS_ANY);

	set_ok(&t, "python", "3.13t");
	assert_int_equal(t.py_minor, 13);
	assert_true(t.free_threaded);
	assert_false(t.debug);
	set_ok(&t, "python", "3.9");
	assert_false(t.free_threaded);
	set_ok(&t, "python", "3.10.12");
	assert_int_equal(t.py_minor, 10);
	set_ok(&t, "python", "3.13.1t");
	assert_true(t.free_threaded);
	set_ok(&t, "Python_Version", "3.12d");
	assert_true(t.debug);

	set_ok(&t, "platform", "manylinux2014_aarch64");
	assert_int_equal(t.os, DL_TAG_OS_MANYLINUX);
	assert_int_equal(t.os_major, 2);
	assert_int_equal(t.os_minor, 17);
	assert_string_equal(t.arch, "aarch64");
	set_ok(&t, "platform", "manylinux1_i686");
	assert_int_equal(t.os_minor, 5);
	set_ok(&t, "platform", "manylinux_2_35_x86_64");
	assert_int_equal(t.os_minor, 35);
	assert_string_equal(t.arch, "x86_64");
	set_ok(&t, "platform", "musllinux_1_2_armv7l");
	assert_int_equal(t.os, DL_TAG_OS_MUSLLINUX);
	assert_int_equal(t.os_major, 1);
	assert_int_equal(t.os_minor, 2);
	assert_string_equal(t.arch, "armv7l");
	/* sysconfig spelling is normalised. */
	set_ok(&t, "platform", "macosx-14.0-ARM64");
	assert_int_equal(t.os, DL_TAG_OS_MACOS);
	assert_int_equal(t.os_major, 14);
	assert_int_equal(t.os_minor, 0);
	assert_string_equal(t.arch, "arm64");
	set_ok(&t, "platform", "win32");
	assert_int_equal(t.os, DL_TAG_OS_WINDOWS);
	assert_string_equal(t.arch, "x86");
	set_ok(&t, "platform", "win_arm64");
	assert_string_equal(t.arch, "arm64");
	set_ok(&t, "platform", "linux_riscv64");
	assert_int_equal(t.os, DL_TAG_OS_LINUX);
	set_ok(&t, "platform", "freebsd-13.2-RELEASE-amd64");
	assert_int_equal(t.os, DL_TAG_OS_OTHER);
	assert_string_equal(t.platform, "freebsd_13_2_release_amd64");
	set_ok(&t, "platform", "any");
	assert_int_equal(t.os, DL_TAG_OS_ANY);

	set_ok(&t, "glibc", "2.28");
	assert_int_equal(t.os, DL_TAG_OS_MANYLINUX);
	assert_int_equal(t.os_minor, 28);
	set_ok(&t, "macos", "11");
	assert_int_equal(t.os, DL_TAG_OS_MACOS);
	assert_int_equal(t.os_major, 11);
	assert_int_equal(t.os_minor, 0);
	set_ok(&t, "os", "Windows");
	assert_int_equal(t.os, DL_TAG_OS_WINDOWS);
	set_ok(&t, "arch", "AMD64");
	assert_string_equal(t.arch, "amd64");
	set_ok(&t, "implementation", "PyPy");
	assert_int_equal(t.impl, DL_TAG_IMPL_PYPY);
	set_ok(&t, "impl", "graalpy");
	assert_int_equal(t.impl, DL_TAG_IMPL_OTHER);
	assert_string_equal(t.impl_name, "graalpy");
	set_ok(&t, "abi", "graalpy242_311_native");
	assert_string_equal(t.abi, "graalpy242_311_native");
	set_ok(&t, "free-threaded", "yes");
	assert_true(t.free_threaded);
	set_ok(&t, "debug", "0");
	assert_false(t.debug);
	assert_int_equal(dl_tag_target_check(&t), 0);
}

static void expect_set_error(const char *key, const char *value, const char *fragment)
{
	dl_tag_target t = DL_TAG_TARGET_INIT;
	dl_tag_target before = t;
	assert_int_equal(dl_tag_target_set(&t, key, value, strlen(value)), DL_EINVAL);
	assert_memory_equal(&t, &before, sizeof(t)); /* unchanged */
	if (strstr(dl_error_last()->message, fragment) == NULL)
		fail_msg("error for %s=%s is '%s'", key, value, dl_error_last()->message);
}

static void test_target_errors(void **state)
{
	(void)state;
	expect_set_error("pyhton", "3.11", "unknown target key 'pyhton'");
	expect_set_error("python", "3", "invalid value '3' for target key 'python'");
	expect_set_error("python", "3.x", "invalid value '3.x'");
	expect_set_error("python", "3.11.", "invalid value '3.11.'");
	expect_set_error("python", "3.11.4.1", "invalid value '3.11.4.1'");
	expect_set_error("python", "3.11tt", "invalid value '3.11tt'");
	expect_set_error("python", "3.999", "invalid value '3.999'");
	expect_set_error("platform", "manylinux_2_x86_64", "invalid value 'manylinux_2_x86_64'");
	expect_set_error("platform", "macosx_14_0_", "invalid value");
	expect_set_error("platform", "", "invalid value");
	expect_set_error("platform", "linux/x86_64", "invalid value");
	expect_set_error("glibc", "two", "invalid value 'two' for target key 'glibc'");
	expect_set_error("os", "plan9", "invalid value 'plan9'");
	expect_set_error("debug", "maybe", "invalid value 'maybe'");
	expect_set_error("arch", "", "invalid value");

	dl_tag_target t = DL_TAG_TARGET_INIT;
	t.os = DL_TAG_OS_MANYLINUX;
	t.os_major = 2;
	t.os_minor = 17;
	assert_int_equal(dl_tag_target_check(&t), DL_EINVAL);
	assert_non_null(strstr(dl_error_last()->message, "needs an arch"));
	dl_tag_list *l = NULL;
	assert_int_equal(dl_tag_list_new(&l, &t), DL_EINVAL);
	assert_null(l);
	t = (dl_tag_target)DL_TAG_TARGET_INIT;
	set_ok(&t, "os", "musllinux");
	set_ok(&t, "arch", "x86_64");
	assert_int_equal(dl_tag_target_check(&t), DL_EINVAL);
	assert_non_null(strstr(dl_error_last()->message, "needs its version"));
	set_ok(&t, "musl", "1.1");
	assert_int_equal(dl_tag_target_check(&t), 0);
	t = (dl_tag_target)DL_TAG_TARGET_INIT;
	t.impl = DL_TAG_IMPL_OTHER;
	assert_int_equal(dl_tag_target_check(&t), DL_EINVAL);
	t = (dl_tag_target)DL_TAG_TARGET_INIT;
	t.version = 99;
	assert_int_equal(dl_tag_target_check(&t), DL_EINVAL);
	t = (dl_tag_target)DL_TAG_TARGET_INIT;
	t.os = DL_TAG_OS_OTHER;
	assert_int_equal(dl_tag_target_check(&t), DL_EINVAL);
	t = (dl_tag_target)DL_TAG_TARGET_INIT;
	snprintf(t.arch, sizeof(t.arch), "x-y");
	assert_int_equal(dl_tag_target_check(&t), DL_EINVAL);
}

/* ------------------------------------------------------------------ */

static dl_tag_list *list_for(const char *python, const char *platform)
{
	dl_tag_target t = DL_TAG_TARGET_INIT;
	set_ok(&t, "python", python);
	set_ok(&t, "platform", platform);
	dl_tag_list *l = NULL;
	int rc = dl_tag_list_new(&l, &t);
	if (rc != 0)
		fail_msg("tag list: %s", dl_error_last()->message);
	return l;
}

static void expect_tag(const dl_tag_list *l, size_t rank, const char *expected)
{
	dl_tag t;
	assert_int_equal(dl_tag_list_get(l, rank, &t), 0);
	char got[256];
	snprintf(got, sizeof(got), "%s-%s-%s", t.python, t.abi, t.platform);
	if (strcmp(got, expected) != 0)
		fail_msg("rank %zu: got %s, expected %s", rank, got, expected);
}

static void expect_tags(const dl_tag_list *l, const char *const *expected, size_t n)
{
	for (size_t i = 0; i < n; i++)
		expect_tag(l, i, expected[i]);
}

static long rank_of(const dl_tag_list *l, const char *tag)
{
	dl_tagset *set = parse_ok(tag);
	size_t rank = 12345;
	int rc = dl_tag_list_match(l, set, &rank);
	dl_tagset_free(set);
	return rc == 1 ? (long)rank : (rc == 0 ? -1 : -2);
}

static void test_list_windows_exact(void **state)
{
	(void)state;
	static const char *const expected[] = {
		"cp312-cp312-win_amd64", "cp312-abi3-win_amd64", "cp312-none-win_amd64", "cp311-abi3-win_amd64",
		"cp310-abi3-win_amd64",  "cp39-abi3-win_amd64",  "cp38-abi3-win_amd64",  "cp37-abi3-win_amd64",
		"cp36-abi3-win_amd64",   "cp35-abi3-win_amd64",  "cp34-abi3-win_amd64",  "cp33-abi3-win_amd64",
		"cp32-abi3-win_amd64",   "py312-none-win_amd64", "py3-none-win_amd64",   "py311-none-win_amd64",
		"py310-none-win_amd64",  "py39-none-win_amd64",  "py38-none-win_amd64",  "py37-none-win_amd64",
		"py36-none-win_amd64",   "py35-none-win_amd64",  "py34-none-win_amd64",  "py33-none-win_amd64",
		"py32-none-win_amd64",   "py31-none-win_amd64",  "py30-none-win_amd64",  "cp312-none-any",
		"py312-none-any",        "py3-none-any",         "py311-none-any",       "py310-none-any",
		"py39-none-any",         "py38-none-any",        "py37-none-any",        "py36-none-any",
		"py35-none-any",         "py34-none-any",        "py33-none-any",        "py32-none-any",
		"py31-none-any",         "py30-none-any",
	};
	dl_tag_list *l = list_for("3.12", "win_amd64");
	assert_int_equal(dl_tag_list_count(l), 42);
	expect_tags(l, expected, 42);
	dl_tag t;
	assert_int_equal(dl_tag_list_get(l, 42, &t), DL_EINVAL);
	dl_tag_list_free(l);

	l = list_for("3.12", "win32");
	expect_tag(l, 0, "cp312-cp312-win32");
	dl_tag_list_free(l);
}

static void test_list_manylinux(void **state)
{
	(void)state;
	dl_tag_list *l = list_for("3.11", "manylinux_2_35_x86_64");
	assert_int_equal(dl_tag_list_count(l), 889);
	expect_tag(l, 0, "cp311-cp311-manylinux_2_35_x86_64");
	expect_tag(l, 17, "cp311-cp311-manylinux_2_18_x86_64");
	expect_tag(l, 18, "cp311-cp311-manylinux_2_17_x86_64");
	expect_tag(l, 19, "cp311-cp311-manylinux2014_x86_64");
	expect_tag(l, 20, "cp311-cp311-manylinux_2_16_x86_64");
	expect_tag(l, 25, "cp311-cp311-manylinux2010_x86_64");
	expect_tag(l, 33, "cp311-cp311-manylinux1_x86_64");
	expect_tag(l, 34, "cp311-cp311-linux_x86_64");
	expect_tag(l, 35, "cp311-abi3-manylinux_2_35_x86_64");
	expect_tag(l, 70, "cp311-none-manylinux_2_35_x86_64");
	expect_tag(l, 419, "cp32-abi3-linux_x86_64");
	expect_tag(l, 420, "py311-none-manylinux_2_35_x86_64");
	expect_tag(l, 488, "py3-none-manylinux1_x86_64");
	expect_tag(l, 875, "cp311-none-any");
	expect_tag(l, 877, "py3-none-any");
	expect_tag(l, 888, "py30-none-any");

	/* Compressed sets rank by their best member; case does not matter. */
	assert_int_equal(rank_of(l, "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64"), 18);
	assert_int_equal(rank_of(l, "cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64"), 18);
	assert_int_equal(rank_of(l, "py2.py3-none-any"), 877);
	assert_int_equal(rank_of(l, "PY3-NONE-ANY"), 877);
	assert_int_equal(rank_of(l, "cp36-abi3-manylinux1_x86_64.manylinux_2_5_x86_64"),
	                 35 * 7 + 32); /* the 8th block (cp36-abi3), manylinux_2_5 */
	assert_int_equal(rank_of(l, "cp312-cp312-manylinux_2_17_x86_64"), -1);
	assert_int_equal(rank_of(l, "cp311-cp311-manylinux_2_36_x86_64"), -1);
	assert_int_equal(rank_of(l, "cp311-cp311-musllinux_1_2_x86_64"), -1);
	assert_int_equal(rank_of(l, "cp311-cp311-manylinux_2_17_aarch64"), -1);
	assert_int_equal(rank_of(l, "py2-none-any"), -1);
	assert_int_equal(rank_of(l, "cp311-abi3-any"), -1);
	assert_int_equal(dl_tag_list_rank(l, "CP311", 5, "cp311", 5, "linux_x86_64", 12), 34);
	assert_int_equal(dl_tag_list_rank(l, "cp311", 5, "cp311", 5, "linux_x86_64XX", 12), 34);
	assert_int_equal(dl_tag_list_rank(l, "cp311", 5, "abi4", 4, "linux_x86_64", 12), -1);
	/* A miss leaves *rank alone. */
	dl_tagset *set = parse_ok("py2-none-any");
	size_t rank = 77;
	assert_int_equal(dl_tag_list_match(l, set, &rank), 0);
	assert_int_equal(rank, 77);
	dl_tagset_free(set);
	dl_tag_list_free(l);

	/* Other architectures stop at 2_17; no manylinux2010/1. */
	l = list_for("3.12", "manylinux_2_28_aarch64");
	assert_int_equal(dl_tag_list_count(l), 393);
	expect_tag(l, 11, "cp312-cp312-manylinux_2_17_aarch64");
	expect_tag(l, 12, "cp312-cp312-manylinux2014_aarch64");
	expect_tag(l, 13, "cp312-cp312-linux_aarch64");
	assert_int_equal(rank_of(l, "cp312-cp312-manylinux_2_16_aarch64"), -1);
	dl_tag_list_free(l);

	/* An architecture without manylinux: only linux_<arch>. */
	l = list_for("3.11", "manylinux_2_35_sparc");
	assert_int_equal(dl_tag_list_count(l), 39);
	expect_tag(l, 0, "cp311-cp311-linux_sparc");
	dl_tag_list_free(l);

	/* Python 3.7 has the pymalloc flag. */
	l = list_for("3.7", "manylinux2014_i686");
	assert_int_equal(dl_tag_list_count(l), 299);
	expect_tag(l, 0, "cp37-cp37m-manylinux_2_17_i686");
	expect_tag(l, 1, "cp37-cp37m-manylinux2014_i686");
	dl_tag_list_free(l);
}

static void test_list_musllinux(void **state)
{
	(void)state;
	static const char *const expected[] = {
		"cp311-cp311-musllinux_1_2_x86_64", "cp311-cp311-musllinux_1_1_x86_64", "cp311-cp311-musllinux_1_0_x86_64",
		"cp311-cp311-linux_x86_64",         "cp311-abi3-musllinux_1_2_x86_64",  "cp311-abi3-musllinux_1_1_x86_64",
		"cp311-abi3-musllinux_1_0_x86_64",  "cp311-abi3-linux_x86_64",
	};
	dl_tag_list *l = list_for("3.11", "musllinux_1_2_x86_64");
	assert_int_equal(dl_tag_list_count(l), 114);
	expect_tags(l, expected, 8);
	assert_int_equal(rank_of(l, "cp311-cp311-manylinux_2_17_x86_64"), -1);
	dl_tag_list_free(l);
}

static void test_list_macos(void **state)
{
	(void)state;
	static const char *const arm[] = {
		"cp311-cp311-macosx_14_0_arm64",        "cp311-cp311-macosx_14_0_universal2",
		"cp311-cp311-macosx_13_0_arm64",        "cp311-cp311-macosx_13_0_universal2",
		"cp311-cp311-macosx_12_0_arm64",        "cp311-cp311-macosx_12_0_universal2",
		"cp311-cp311-macosx_11_0_arm64",        "cp311-cp311-macosx_11_0_universal2",
		"cp311-cp311-macosx_10_16_universal2",  "cp311-cp311-macosx_10_15_universal2",
		"cp311-cp311-macosx_10_14_universal2",  "cp311-cp311-macosx_10_13_universal2",
		"cp311-cp311-macosx_10_12_universal2",  "cp311-cp311-macosx_10_11_universal2",
	};
	dl_tag_list *l = list_for("3.11", "macosx_14_0_arm64");
	assert_int_equal(dl_tag_list_count(l), 539);
	expect_tags(l, arm, 14);
	assert_int_equal(rank_of(l, "cp311-cp311-macosx_10_9_x86_64"), -1);
	assert_int_equal(rank_of(l, "cp311-cp311-macosx_10_9_universal2"), 15);
	dl_tag_list_free(l);

	l = list_for("3.10", "macosx_13_0_x86_64");
	assert_int_equal(dl_tag_list_count(l), 2221);
	expect_tag(l, 0, "cp310-cp310-macosx_13_0_x86_64");
	expect_tag(l, 1, "cp310-cp310-macosx_13_0_intel");
	expect_tag(l, 2, "cp310-cp310-macosx_13_0_fat64");
	expect_tag(l, 3, "cp310-cp310-macosx_13_0_fat32");
	expect_tag(l, 4, "cp310-cp310-macosx_13_0_universal2");
	expect_tag(l, 5, "cp310-cp310-macosx_13_0_universal");
	expect_tag(l, 6, "cp310-cp310-macosx_12_0_x86_64");
	assert_true(rank_of(l, "cp310-cp310-macosx_10_9_x86_64") > 0);
	dl_tag_list_free(l);

	l = list_for("3.9", "macosx_10_15_x86_64");
	assert_int_equal(dl_tag_list_count(l), 1524);
	dl_tag_list_free(l);
	l = list_for("3.8", "macosx_10_6_i386");
	assert_int_equal(dl_tag_list_count(l), 296);
	expect_tag(l, 0, "cp38-cp38-macosx_10_6_i386");
	expect_tag(l, 1, "cp38-cp38-macosx_10_6_intel");
	expect_tag(l, 2, "cp38-cp38-macosx_10_6_fat32");
	expect_tag(l, 3, "cp38-cp38-macosx_10_6_fat");
	expect_tag(l, 4, "cp38-cp38-macosx_10_6_universal");
	dl_tag_list_free(l);
}

static void test_list_any(void **state)
{
	(void)state;
	static const char *const expected[] = {
		"cp312-none-any", "py312-none-any", "py3-none-any",  "py311-none-any", "py310-none-any",
		"py39-none-any",  "py38-none-any",  "py37-none-any", "py36-none-any",  "py35-none-any",
		"py34-none-any",  "py33-none-any",  "py32-none-any", "py31-none-any",  "py30-none-any",
	};
	dl_tag_target t = DL_TAG_TARGET_INIT;
	dl_tag_list *l = NULL;
	assert_int_equal(dl_tag_list_new(&l, &t), 0);
	assert_int_equal(dl_tag_list_count(l), 15);
	expect_tags(l, expected, 15);
	assert_int_equal(rank_of(l, "cp312-abi3-any"), -1);
	dl_tag_list_free(l);

	/* An "other" platform equal to "any" does not list a tag twice. */
	set_ok(&t, "os", "any");
	snprintf(t.platform, sizeof(t.platform), "any");
	t.os = DL_TAG_OS_OTHER;
	assert_int_equal(dl_tag_list_new(&l, &t), 0);
	expect_tag(l, 0, "cp312-cp312-any");
	assert_int_equal(rank_of(l, "cp312-none-any"), 2);
	assert_int_equal(rank_of(l, "py3-none-any"), 13 + 1);
	for (size_t i = 0; i < dl_tag_list_count(l); i++) {
		for (size_t j = i + 1; j < dl_tag_list_count(l); j++) {
			dl_tag a, b;
			dl_tag_list_get(l, i, &a);
			dl_tag_list_get(l, j, &b);
			assert_false(a.python == b.python && a.abi == b.abi && a.platform == b.platform);
		}
	}
	dl_tag_list_free(l);
}

static void test_list_free_threaded_and_debug(void **state)
{
	(void)state;
	dl_tag_list *l = list_for("3.13t", "win_amd64");
	expect_tag(l, 0, "cp313-cp313t-win_amd64");
	expect_tag(l, 1, "cp313-none-win_amd64");
	expect_tag(l, 2, "py313-none-win_amd64");
	assert_int_equal(rank_of(l, "cp313-abi3-win_amd64"), -1);
	assert_int_equal(rank_of(l, "cp39-abi3-win_amd64"), -1);
	assert_int_equal(rank_of(l, "cp313-cp313-win_amd64"), -1);
	assert_int_equal(rank_of(l, "cp313-none-any"), 2 + 15);
	dl_tag_list_free(l);

	l = list_for("3.12d", "win_amd64");
	expect_tag(l, 0, "cp312-cp312d-win_amd64");
	expect_tag(l, 1, "cp312-cp312-win_amd64");
	expect_tag(l, 2, "cp312-abi3-win_amd64");
	dl_tag_list_free(l);

	l = list_for("3.13td", "win_amd64");
	expect_tag(l, 0, "cp313-cp313td-win_amd64");
	expect_tag(l, 1, "cp313-cp313t-win_amd64");
	expect_tag(l, 2, "cp313-none-win_amd64");
	dl_tag_list_free(l);
}

static void test_list_pypy_and_other(void **state)
{
	(void)state;
	dl_tag_target t = DL_TAG_TARGET_INIT;
	set_ok(&t, "python", "3.10");
	set_ok(&t, "implementation", "pp");
	set_ok(&t, "platform", "manylinux_2_31_x86_64");
	dl_tag_list *l = NULL;
	assert_int_equal(dl_tag_list_new(&l, &t), 0);
	assert_int_equal(dl_tag_list_count(l), 447);
	expect_tag(l, 0, "pp310-pypy310_pp73-manylinux_2_31_x86_64");
	expect_tag(l, 30, "pp310-pypy310_pp73-linux_x86_64");
	expect_tag(l, 31, "pp310-none-manylinux_2_31_x86_64");
	expect_tag(l, 434, "pp3-none-any");
	assert_int_equal(rank_of(l, "cp310-cp310-manylinux_2_17_x86_64"), -1);
	dl_tag_list_free(l);

	t = (dl_tag_target)DL_TAG_TARGET_INIT;
	set_ok(&t, "python", "3.11");
	set_ok(&t, "implementation", "graalpy");
	set_ok(&t, "abi", "graalpy242_311_native");
	set_ok(&t, "platform", "linux_x86_64");
	assert_int_equal(dl_tag_list_new(&l, &t), 0);
	expect_tag(l, 0, "graalpy311-graalpy242_311_native-linux_x86_64");
	expect_tag(l, 1, "graalpy311-none-linux_x86_64");
	expect_tag(l, 2, "py311-none-linux_x86_64");
	/* No interpreter-specific "-none-any" tag for other implementations. */
	assert_int_equal(rank_of(l, "graalpy311-none-any"), -1);
	dl_tag_list_free(l);
}

static int alloc_list(void *ctx)
{
	dl_tag_list *l = NULL;
	int rc = dl_tag_list_new(&l, ctx);
	if (rc == 0 && dl_tag_list_count(l) != 889)
		rc = DL_ERROR;
	dl_tag_list_free(l);
	return rc;
}

static void test_list_alloc_failures(void **state)
{
	(void)state;
	dl_tag_target t = DL_TAG_TARGET_INIT;
	set_ok(&t, "python", "3.11");
	set_ok(&t, "platform", "manylinux_2_35_x86_64");
	dltest_each_alloc_failure(alloc_list, &t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tagset_parse),
		cmocka_unit_test(test_tagset_errors),
		cmocka_unit_test(test_tagset_alloc_failures),
		cmocka_unit_test(test_target_set),
		cmocka_unit_test(test_target_errors),
		cmocka_unit_test(test_list_windows_exact),
		cmocka_unit_test(test_list_manylinux),
		cmocka_unit_test(test_list_musllinux),
		cmocka_unit_test(test_list_macos),
		cmocka_unit_test(test_list_any),
		cmocka_unit_test(test_list_free_threaded_and_debug),
		cmocka_unit_test(test_list_pypy_and_other),
		cmocka_unit_test(test_list_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
