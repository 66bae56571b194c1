/*
 * test_marker.c - PEP 508 markers: parsing, errors (with columns), normal
 * form, evaluation rules, three-valued evaluation, combination, equality,
 * and allocation failure in every allocating entry point.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dltest.h"
#include "deeplock/marker.h"

static dl_marker *parse_ok(const char *s)
{
	dl_marker *m = NULL;
	int rc = dl_marker_parse(&m, s, strlen(s));
	if (rc != 0)
		fail_msg("parse of '%s' failed: %s", s, dl_error_last()->message);
	return m;
}

static void check_norm(const char *in, const char *want)
{
	dl_marker *m = parse_ok(in);
	char *got = NULL;
	assert_int_equal(dl_marker_to_string(&got, m), 0);
	if (strcmp(got, want) != 0)
		fail_msg("'%s': normal form '%s', expected '%s'", in, got, want);
	/* the normal form is a fixed point */
	dl_marker *m2 = parse_ok(got);
	assert_true(dl_marker_eq(m, m2));
	assert_true(dl_marker_hash(m) == dl_marker_hash(m2));
	dl_free(got);
	dl_marker_free(m);
	dl_marker_free(m2);
}

static void check_err(const char *in, int code, const char *want_msg)
{
	dl_marker *m = (dl_marker *)1;
	int rc = dl_marker_parse(&m, in, strlen(in));
	if (rc != code)
		fail_msg("'%s': expected code %d, got %d (%s)", in, code, rc, dl_error_last()->message);
	assert_null(m);
	if (strcmp(dl_error_last()->message, want_msg) != 0)
		fail_msg("'%s':\n got      %s\n expected %s", in, dl_error_last()->message, want_msg);
}

static void test_normal_form(void **state)
{
	(void)state;
	check_norm("python_version == '2.7'", "python_version == \"2.7\"");
	check_norm("python_version=='2.7'", "python_version == \"2.7\"");
	check_norm("\tpython_version\t>=\t'3.3'\t", "python_version >= \"3.3\"");
	check_norm("os.name == 'linux'", "os_name == \"linux\"");
	check_norm("sys.platform != 'win32'", "sys_platform != \"win32\"");
	check_norm("platform.machine == 'x86_64'", "platform_machine == \"x86_64\"");
	check_norm("platform.python_implementation == 'CPython'",
	           "platform_python_implementation == \"CPython\"");
	check_norm("python_implementation == ''", "platform_python_implementation == \"\"");
	check_norm("'8' in platform.version", "\"8\" in platform_version");
	check_norm("'8' not in platform.version", "\"8\" not in platform_version");
	check_norm("'8'  not \t in platform_version", "\"8\" not in platform_version");
	check_norm("extra == 'Foo_Bar.baz'", "extra == \"foo-bar-baz\"");
	check_norm("'Foo_Bar' == extra", "\"foo-bar\" == extra");
	check_norm("'Foo_Bar' in extras", "\"Foo_Bar\" in extras");
	check_norm("'dev' not in dependency_groups", "\"dev\" not in dependency_groups");
	check_norm("'a\" == os_name or python_version >= \"0\" or \"b' == os_name",
	           "'a\" == os_name or python_version >= \"0\" or \"b' == os_name");
	check_norm("implementation_version ~= '3.11' and implementation_name === 'cpython'",
	           "implementation_version ~= \"3.11\" and implementation_name === \"cpython\"");
	check_norm("platform_release<'5'or platform_system>'A'or platform_version<='1'",
	           "platform_release < \"5\" or platform_system > \"A\" or platform_version <= \"1\"");
	/* precedence and parentheses */
	check_norm("python_version == \"2.7\" and os_name == \"linux\" or sys_platform == \"win32\"",
	           "python_version == \"2.7\" and os_name == \"linux\" or sys_platform == \"win32\"");
	check_norm("(python_version == \"2.7\")", "python_version == \"2.7\"");
	check_norm("((( python_version == \"2.7\" )))", "python_version == \"2.7\"");
	check_norm("(os_name == 'a' and os_name == 'b') and os_name == 'c'",
	           "os_name == \"a\" and os_name == \"b\" and os_name == \"c\"");
	check_norm("os_name == 'a' or (os_name == 'b' or os_name == 'c')",
	           "os_name == \"a\" or os_name == \"b\" or os_name == \"c\"");
	check_norm("(os_name == 'a' and os_name == 'b') or os_name == 'c'",
	           "os_name == \"a\" and os_name == \"b\" or os_name == \"c\"");
	check_norm("os_name == 'a' and (os_name == 'b' or os_name == 'c')",
	           "os_name == \"a\" and (os_name == \"b\" or os_name == \"c\")");
	check_norm("sys_platform!='linux' and(os_name=='linux' or python_version>='3.3')",
	           "sys_platform != \"linux\" and (os_name == \"linux\" or python_version >= \"3.3\")");
	check_norm("os_name=='x'and os_name=='y'",
	           "os_name == \"x\" and os_name == \"y\"");
	/* duplicates are kept by the parser (only dl_marker_and/or remove them) */
	check_norm("os_name == 'a' and os_name == 'a'", "os_name == \"a\" and os_name == \"a\"");
	/* non-ASCII bytes in literals pass through */
	check_norm("platform_version == 'caf\xc3\xa9'", "platform_version == \"caf\xc3\xa9\"");
}

static void test_errors(void **state)
{
	(void)state;
	check_err("this_isnt_a_real_variable >= '1.0'", DL_EPARSE,
	          "invalid marker 'this_isnt_a_real_variable >= '1.0'': expected a marker variable or a quoted "
	          "string, found 'this_isnt_a_real_variable' (literals need quotes; the variables are "
	          "python_version, python_full_version, os_name, sys_platform, platform_release, "
	          "platform_system, platform_version, platform_machine, platform_python_implementation, "
	          "implementation_name, implementation_version, extra, extras, dependency_groups) at column 1");
	check_err("python_version", DL_EPARSE,
	          "invalid marker 'python_version': expected a marker operator (one of <, <=, ==, !=, >=, >, "
	          "~=, ===, in, not in) at column 15");
	check_err("(python_version)", DL_EPARSE,
	          "invalid marker '(python_version)': expected a marker operator (one of <, <=, ==, !=, >=, >, "
	          "~=, ===, in, not in) at column 16");
	check_err("(python_version == \"2.7\" and os_name == \"linux\"", DL_EPARSE,
	          "invalid marker '(python_version == \"2.7\" and os_name == \"linux\"': expected 'and', 'or' "
	          "or ')' (to close the '(' of column 1) at column 48");
	check_err("(python_version == \"2.7\") with random text", DL_EPARSE,
	          "invalid marker '(python_version == \"2.7\") with random text': expected 'and', 'or' or end "
	          "of input at column 27");
	check_err("'3.7' notin python_version", DL_EPARSE,
	          "invalid marker ''3.7' notin python_version': expected a marker operator (one of <, <=, ==, "
	          "!=, >=, >, ~=, ===, in, not in) at column 7");
	check_err("'3.6'inpython_version", DL_EPARSE,
	          "invalid marker ''3.6'inpython_version': expected a marker operator (one of <, <=, ==, !=, "
	          ">=, >, ~=, ===, in, not in) at column 6");
	check_err("'3.7' not python_version", DL_EPARSE,
	          "invalid marker ''3.7' not python_version': expected 'in' after 'not' at column 11");
	check_err("'3.7' ~ python_version", DL_EPARSE,
	          "invalid marker ''3.7' ~ python_version': expected a marker operator (one of <, <=, ==, !=, "
	          ">=, >, ~=, ===, in, not in) at column 7");
	check_err("python_version == \"2.7", DL_EPARSE,
	          "invalid marker 'python_version == \"2.7': unterminated quoted string at column 19");
	check_err("", DL_EPARSE,
	          "invalid marker '': expected a marker variable or a quoted string, found end of input at column 1");
	check_err("python_version == '3' and", DL_EPARSE,
	          "invalid marker 'python_version == '3' and': expected a marker variable or a quoted string, "
	          "found end of input at column 26");
	check_err("python_version == '3' and ()", DL_EPARSE,
	          "invalid marker 'python_version == '3' and ()': expected a marker variable or a quoted "
	          "string at column 28");
	check_err("'a' == 'b'", DL_EPARSE,
	          "invalid marker ''a' == 'b'': a comparison of two quoted strings is not allowed (one side "
	          "must be a marker variable) at column 1");
	check_err("os_name == python_version", DL_EPARSE,
	          "invalid marker 'os_name == python_version': a comparison of two marker variables is not "
	          "allowed (one side must be a quoted string) at column 1");
	check_err("os_name == 'a' and extras == 'x'", DL_EPARSE,
	          "invalid marker 'os_name == 'a' and extras == 'x'': 'extras' is a set: it can only be tested "
	          "with '\"name\" in extras' or '\"name\" not in extras' at column 20");
	check_err("'x' >= dependency_groups", DL_EPARSE,
	          "invalid marker ''x' >= dependency_groups': 'dependency_groups' is a set: it can only be "
	          "tested with '\"name\" in dependency_groups' or '\"name\" not in dependency_groups' at column 1");
	check_err("python_version = '3'", DL_EPARSE,
	          "invalid marker 'python_version = '3'': expected a marker operator (one of <, <=, ==, !=, >=, "
	          ">, ~=, ===, in, not in) at column 16");
	check_err("python_version == '3' andos_name == 'x'", DL_EPARSE,
	          "invalid marker 'python_version == '3' andos_name == 'x'': expected 'and', 'or' or end of "
	          "input at column 23");
	check_err("python_version\n== '3'", DL_EPARSE,
	          "invalid marker 'python_version\n== '3'': expected a marker operator (one of <, <=, ==, !=, "
	          ">=, >, ~=, ===, in, not in) at column 15");
	check_err("Python_Version == '3'", DL_EPARSE,
	          "invalid marker 'Python_Version == '3'': expected a marker variable or a quoted string, found "
	          "'Python_Version' (literals need quotes; the variables are python_version, "
	          "python_full_version, os_name, sys_platform, platform_release, platform_system, "
	          "platform_version, platform_machine, platform_python_implementation, implementation_name, "
	          "implementation_version, extra, extras, dependency_groups) at column 1");
	/* a NUL byte inside a string, and inside the slice but outside strings */
	dl_marker *m = NULL;
	assert_int_equal(dl_marker_parse(&m, "os_name == 'a\0b'", 16), DL_EPARSE);
	assert_string_equal(dl_error_last()->message,
	                    "invalid marker 'os_name == 'a': NUL byte in the quoted string at column 12");
	assert_int_equal(dl_marker_parse(&m, "os_name == 'a'\0", 15), DL_EPARSE);
	/* the slice is respected: no reading past len */
	assert_int_equal(dl_marker_parse(&m, "os_name == 'a' and xyz", 14), 0);
	dl_marker_free(m);
}

static void test_limits(void **state)
{
	(void)state;
	char buf[400];
	size_t n = 0;
	for (int i = 0; i < 64; i++)
		buf[n++] = '(';
	memcpy(buf + n, "os_name == 'a'", 14);
	n += 14;
	for (int i = 0; i < 64; i++)
		buf[n++] = ')';
	dl_marker *m = NULL;
	assert_int_equal(dl_marker_parse(&m, buf, n), 0);
	char *s = NULL;
	assert_int_equal(dl_marker_to_string(&s, m), 0);
	assert_string_equal(s, "os_name == \"a\"");
	dl_free(s);
	dl_marker_free(m);
	n = 0;
	for (int i = 0; i < 65; i++)
		buf[n++] = '(';
	memcpy(buf + n, "os_name == 'a'", 14);
	n += 14;
	for (int i = 0; i < 65; i++)
		buf[n++] = ')';
	assert_int_equal(dl_marker_parse(&m, buf, n), DL_ELIMIT);
	assert_non_null(strstr(dl_error_last()->message, "parentheses nested deeper than 64 levels at column 65"));
	assert_null(m);
	/* longer than 64 KiB */
	size_t big = 70000;
	char *huge = malloc(big);
	memset(huge, ' ', big);
	memcpy(huge, "os_name == 'a'", 14);
	assert_int_equal(dl_marker_parse(&m, huge, big), DL_ELIMIT);
	free(huge);
}

static void test_var_names(void **state)
{
	(void)state;
	assert_int_equal(dl_marker_var_lookup("python_version", 14), DL_MARKER_PYTHON_VERSION);
	assert_int_equal(dl_marker_var_lookup("os.name", 7), DL_MARKER_OS_NAME);
	assert_int_equal(dl_marker_var_lookup("python_implementation", 21), DL_MARKER_PLATFORM_PYTHON_IMPLEMENTATION);
	assert_int_equal(dl_marker_var_lookup("platform.release", 16), -1);
	assert_int_equal(dl_marker_var_lookup("python_versionx", 14), DL_MARKER_PYTHON_VERSION);
	assert_int_equal(dl_marker_var_lookup("extras", 6), DL_MARKER_EXTRAS);
	assert_string_equal(dl_marker_var_name(DL_MARKER_DEPENDENCY_GROUPS), "dependency_groups");
	assert_null(dl_marker_var_name(DL_MARKER_VAR_COUNT));
	assert_string_equal(dl_marker_op_name(DL_MARKER_OP_NOT_IN), "not in");
}

/* CPython 3.11.4 on Linux x86_64. */
static dl_marker_env *linux_env(void)
{
	dl_marker_env *env = NULL;
	assert_int_equal(dl_marker_env_new(&env), 0);
	static const char *const kv[][2] = {
		{"python_version", "3.11"},
		{"python_full_version", "3.11.4"},
		{"os_name", "posix"},
		{"sys_platform", "linux"},
		{"platform_release", "6.1.0"},
		{"platform_system", "Linux"},
		{"platform_version", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)"},
		{"platform_machine", "x86_64"},
		{"platform_python_implementation", "CPython"},
		{"implementation_name", "cpython"},
		{"implementation_version", "3.11.4"},
	};
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
		assert_int_equal(dl_marker_env_set_by_name(env, kv[i][0], strlen(kv[i][0]), kv[i][1], strlen(kv[i][1])), 0);
	return env;
}

static void check_eval(const dl_marker_env *env, const char *marker, bool want)
{
	dl_marker *m = parse_ok(marker);
	bool got = !want;
	int rc = dl_marker_evaluate(m, env, &got);
	if (rc != 0)
		fail_msg("'%s': evaluation failed: %s", marker, dl_error_last()->message);
	if (got != want)
		fail_msg("'%s': evaluated to %d, expected %d", marker, got, want);
	dl_marker_free(m);
}

static void check_eval_err(const dl_marker_env *env, const char *marker, int code, const char *want_msg)
{
	dl_marker *m = parse_ok(marker);
	bool got = false;
	int rc = dl_marker_evaluate(m, env, &got);
	if (rc != code)
		fail_msg("'%s': expected code %d, got %d (%s)", marker, code, rc, dl_error_last()->message);
	if (strcmp(dl_error_last()->message, want_msg) != 0)
		fail_msg("'%s':\n got      %s\n expected %s", marker, dl_error_last()->message, want_msg);
	dl_marker_free(m);
}

static void test_evaluate_versions(void **state)
{
	(void)state;
	dl_marker_env *env = linux_env();
	check_eval(env, "python_version >= '3.8'", true);
	check_eval(env, "python_version < '3.8'", false);
	check_eval(env, "python_version > '3.11'", false);
	check_eval(env, "python_version <= '3.11'", true);
	check_eval(env, "python_version == '3.11.*'", true);
	check_eval(env, "python_version == '3.1.*'", false);
	check_eval(env, "python_version != '3.11.0'", false); /* 3.11 == 3.11.0 as versions */
	check_eval(env, "python_version == '3.11.0'", true);
	check_eval(env, "python_version ~= '3.9'", true);
	check_eval(env, "python_version ~= '3.12'", false);
	check_eval(env, "python_version === '3.11'", true);
	check_eval(env, "python_full_version >= '3.11.4'", true);
	check_eval(env, "python_full_version > '3.11'", true);
	check_eval(env, "implementation_version >= '3.11'", true);
	check_eval(env, "platform_release >= '6'", true);
	/* variable on the right: `"3.8" < python_version` is `<3.11` containing 3.8 */
	check_eval(env, "'3.8' < python_version", true);
	check_eval(env, "'3.12' < python_version", false);
	check_eval(env, "'3.11.0' == python_version", true);
	check_eval(env, "'3.*' == python_version", false); /* "==3.11" does not contain "3.*" (not a version) */
	/* a string literal that is no version falls back to string comparison */
	check_eval(env, "python_version == 'three'", false);
	check_eval(env, "python_version != 'three'", true);
	check_eval(env, "python_version in '2.7 3.11'", true);
	check_eval(env, "python_version not in '2.7 3.10'", true);
	check_eval(env, "'3.1' in python_version", true);
	check_eval_err(env, "python_version < 'three'", DL_EINVAL,
	               "undefined marker comparison '3.11' < 'three' (on python_version): '<' needs PEP 440 "
	               "versions on both sides, and only ==, !=, in and not in compare strings");
	/* "~=3" is no valid specifier: undefined */
	check_eval_err(env, "python_version ~= '3'", DL_EINVAL,
	               "undefined marker comparison '3.11' ~= '3' (on python_version): '~=' needs PEP 440 "
	               "versions on both sides, and only ==, !=, in and not in compare strings");
	/* pre-releases of the environment compare as versions, pre-releases allowed */
	assert_int_equal(dl_marker_env_set(env, DL_MARKER_PYTHON_FULL_VERSION, "3.13.0a2", 8), 0);
	check_eval(env, "python_full_version >= '3.13'", false);
	check_eval(env, "python_full_version >= '3.12'", true);
	/* packaging: `<3.13` admits no pre-release of 3.13 itself */
	check_eval(env, "python_full_version < '3.13'", false);
	check_eval(env, "python_full_version < '3.14'", true);
	check_eval(env, "python_full_version >= '3.13.0a1'", true);
	/* an untagged build: "3.11.4+" is repaired to "3.11.4+local" */
	assert_int_equal(dl_marker_env_set(env, DL_MARKER_PYTHON_FULL_VERSION, "3.11.4+", 7), 0);
	assert_string_equal(dl_marker_env_get(env, DL_MARKER_PYTHON_FULL_VERSION), "3.11.4+local");
	check_eval(env, "python_full_version >= '3.11'", true);
	check_eval(env, "python_full_version == '3.11.4'", true);
	/* an environment value that is no version: strings again */
	assert_int_equal(dl_marker_env_set(env, DL_MARKER_PLATFORM_RELEASE, "5.15.0-91-generic", 17), 0);
	check_eval(env, "platform_release == '5.15.0-91-generic'", true);
	check_eval(env, "'generic' in platform_release", true);
	check_eval_err(env, "platform_release >= '5'", DL_EINVAL,
	               "undefined marker comparison '5.15.0-91-generic' >= '5' (on platform_release): '>=' "
	               "needs PEP 440 versions on both sides, and only ==, !=, in and not in compare strings");
	check_eval_err(env, "'5' <= platform_release", DL_EINVAL,
	               "undefined marker comparison '5' <= '5.15.0-91-generic' (on platform_release): '<=' "
	               "needs PEP 440 versions on both sides, and only ==, !=, in and not in compare strings");
	dl_marker_env_free(env);
}

static void test_evaluate_strings(void **state)
{
	(void)state;
	dl_marker_env *env = linux_env();
	check_eval(env, "sys_platform == 'linux'", true);
	check_eval(env, "sys.platform == 'linux'", true);
	check_eval(env, "sys_platform != 'win32'", true);
	check_eval(env, "sys_platform == 'Linux'", false);
	check_eval(env, "'linux' == sys_platform", true);
	check_eval(env, "'lin' in sys_platform", true);
	check_eval(env, "sys_platform in 'linux darwin'", true);
	check_eval(env, "sys_platform not in 'win32 cygwin'", true);
	check_eval(env, "platform_machine not in 'arm64 aarch64'", true);
	check_eval(env, "'SMP' in platform.version", true);
	check_eval(env, "platform_python_implementation == 'CPython' and implementation_name == 'cpython'", true);
	check_eval(env, "os_name == 'nt' or os_name == 'posix'", true);
	check_eval(env, "os_name == 'nt' or os_name == 'java'", false);
	check_eval(env, "(os_name == 'nt' or sys_platform == 'linux') and python_version >= '3'", true);
	/* `===` and `~=` on a non-version variable are undefined */
	check_eval_err(env, "os_name < 'posix'", DL_EINVAL,
	               "undefined marker comparison 'posix' < 'posix' (on os_name): '<' needs PEP 440 versions "
	               "on both sides, and only ==, !=, in and not in compare strings");
	check_eval_err(env, "os_name === 'posix'", DL_EINVAL,
	               "undefined marker comparison 'posix' === 'posix' (on os_name): '===' needs PEP 440 "
	               "versions on both sides, and only ==, !=, in and not in compare strings");
	/* the non-version variables never compare as versions, even when the
	 * values look like versions */
	assert_int_equal(dl_marker_env_set(env, DL_MARKER_PLATFORM_VERSION, "1.0", 3), 0);
	check_eval(env, "platform_version == '1.0.0'", false);
	check_eval(env, "platform_version == '1.0'", true);
	dl_marker_env_free(env);
}

static void test_evaluate_missing(void **state)
{
	(void)state;
	dl_marker_env *env = linux_env();
	dl_marker_env_unset(env, DL_MARKER_PLATFORM_RELEASE);
	assert_null(dl_marker_env_get(env, DL_MARKER_PLATFORM_RELEASE));
	check_eval_err(env, "platform_release == 'x'", DL_ENOTFOUND,
	               "marker variable 'platform_release' is not set in the environment");
	/* short-circuit: the missing variable is never reached */
	check_eval(env, "os_name == 'nt' and platform_release == 'x'", false);
	check_eval(env, "os_name == 'posix' or platform_release == 'x'", true);
	check_eval_err(env, "os_name == 'posix' and platform_release == 'x'", DL_ENOTFOUND,
	               "marker variable 'platform_release' is not set in the environment");
	/* an empty environment: `extra` is never missing */
	dl_marker_env *empty = NULL;
	assert_int_equal(dl_marker_env_new(&empty), 0);
	check_eval(empty, "extra == 'x'", false);
	check_eval(empty, "extra == ''", true);
	check_eval(empty, "'x' in extras", false);
	check_eval_err(empty, "python_version >= '3'", DL_ENOTFOUND,
	               "marker variable 'python_version' is not set in the environment");
	/* NULL marker: always true */
	bool v = false;
	assert_int_equal(dl_marker_evaluate(NULL, empty, &v), 0);
	assert_true(v);
	/* set-valued variables cannot be set as strings; unknown names are refused */
	assert_int_equal(dl_marker_env_set(empty, DL_MARKER_EXTRAS, "a", 1), DL_EINVAL);
	assert_int_equal(dl_marker_env_set_by_name(empty, "pyver", 5, "3", 1), DL_EINVAL);
	assert_string_equal(dl_error_last()->message, "unknown marker variable 'pyver'");
	assert_int_equal(dl_marker_env_set(empty, DL_MARKER_VAR_COUNT, "a", 1), DL_EINVAL);
	dl_marker_env_free(empty);
	dl_marker_env_free(env);
}

static void test_evaluate_extras(void **state)
{
	(void)state;
	dl_marker_env *env = linux_env();
	check_eval(env, "extra == 'test'", false);
	check_eval(env, "extra != 'test'", true);
	check_eval(env, "extra == ''", true);
	assert_int_equal(dl_marker_env_add_extra(env, "Test", 4), 0);
	check_eval(env, "extra == 'test'", true);
	check_eval(env, "extra == 'TEST'", true);
	check_eval(env, "extra != 'test'", false);
	check_eval(env, "extra == ''", false);
	check_eval(env, "'test' == extra", true);
	check_eval(env, "extra in 'test docs'", true);
	check_eval(env, "'es' in extra", true);
	check_eval(env, "'test' in extras", true);
	check_eval(env, "'Test' in extras", true);
	check_eval(env, "'docs' not in extras", true);
	assert_int_equal(dl_marker_env_add_extra(env, "docs_dev", 8), 0);
	assert_int_equal(dl_marker_env_add_extra(env, "Docs.Dev", 8), 0); /* the same extra */
	check_eval(env, "extra == 'docs-dev'", true);
	check_eval(env, "extra == 'test' and extra == 'docs-dev'", true);
	check_eval(env, "extra != 'test'", false);
	check_eval(env, "extra == 'other'", false);
	check_eval(env, "extra == 'test' and python_version < '3'", false);
	check_eval_err(env, "extra < 'x'", DL_EINVAL,
	               "undefined marker comparison 'test' < 'x' (on extra): '<' needs PEP 440 versions on both "
	               "sides, and only ==, !=, in and not in compare strings");
	/* the override of the set of extras */
	dl_marker *m = parse_ok("extra == 'socks' or 'Socks_Proxy' in extras");
	const char *const socks[] = {"SOCKS"};
	const char *const proxy[] = {"socks.proxy"};
	bool v = false;
	assert_int_equal(dl_marker_evaluate_extras(m, env, socks, 1, &v), 0);
	assert_true(v);
	assert_int_equal(dl_marker_evaluate_extras(m, env, proxy, 1, &v), 0);
	assert_true(v);
	assert_int_equal(dl_marker_evaluate_extras(m, env, NULL, 0, &v), 0);
	assert_false(v);
	assert_int_equal(dl_marker_evaluate(m, env, &v), 0);
	assert_false(v);
	dl_marker_free(m);
	/* the override with substring tests and a long extra name */
	m = parse_ok("extra in 'a-very-long-extra-name-that-needs-more-than-one-hundred-and-twenty-eight-bytes-"
	             "to-be-normalised-which-exceeds-the-stack-buffer-xx'");
	const char *const long_extra[] = {"A_Very_Long_Extra_Name_That_Needs_More_Than_One_Hundred_And_Twenty_"
	                                  "Eight_Bytes_To_Be_Normalised_Which_Exceeds_The_Stack_Buffer_XX"};
	assert_int_equal(dl_marker_evaluate_extras(m, env, long_extra, 1, &v), 0);
	assert_true(v);
	dl_marker_free(m);
	/* `extra` set directly replaces the set */
	assert_int_equal(dl_marker_env_set(env, DL_MARKER_EXTRA, "Docs", 4), 0);
	check_eval(env, "extra == 'docs'", true);
	check_eval(env, "extra == 'test'", false);
	assert_int_equal(dl_marker_env_set(env, DL_MARKER_EXTRA, "", 0), 0);
	check_eval(env, "extra == ''", true);
	/* dependency groups */
	check_eval(env, "'dev' in dependency_groups", false);
	assert_int_equal(dl_marker_env_add_group(env, "Dev", 3), 0);
	check_eval(env, "'dev' in dependency_groups", true);
	check_eval(env, "'DEV' not in dependency_groups", false);
	dl_marker_env_unset(env, DL_MARKER_DEPENDENCY_GROUPS);
	check_eval(env, "'dev' in dependency_groups", false);
	dl_marker_env_free(env);
}

static void check_partial(const dl_marker_env *env, const char *marker, dl_marker_value want)
{
	dl_marker *m = parse_ok(marker);
	dl_marker_value got = 99;
	if (dl_marker_evaluate_partial(m, env, &got) != 0)
		fail_msg("'%s': %s", marker, dl_error_last()->message);
	if (got != want)
		fail_msg("'%s': partial value %d, expected %d", marker, got, want);
	dl_marker_free(m);
}

static void test_evaluate_partial(void **state)
{
	(void)state;
	dl_marker_env *env = linux_env();
	check_partial(env, "python_version >= '3'", DL_MARKER_TRUE);
	check_partial(env, "python_version < '3'", DL_MARKER_FALSE);
	check_partial(env, "extra == 'x'", DL_MARKER_UNKNOWN);
	check_partial(env, "'x' in extras", DL_MARKER_UNKNOWN);
	check_partial(env, "'x' in dependency_groups", DL_MARKER_UNKNOWN);
	check_partial(env, "python_version >= '3' and extra == 'x'", DL_MARKER_UNKNOWN);
	check_partial(env, "python_version < '3' and extra == 'x'", DL_MARKER_FALSE);
	check_partial(env, "extra == 'x' and python_version < '3'", DL_MARKER_FALSE);
	check_partial(env, "python_version >= '3' or extra == 'x'", DL_MARKER_TRUE);
	check_partial(env, "extra == 'x' or python_version >= '3'", DL_MARKER_TRUE);
	check_partial(env, "extra == 'x' or python_version < '3'", DL_MARKER_UNKNOWN);
	check_partial(env, "(extra == 'x' or extra == 'y') and sys_platform == 'linux'", DL_MARKER_UNKNOWN);
	dl_marker_value v;
	assert_int_equal(dl_marker_evaluate_partial(NULL, env, &v), 0);
	assert_int_equal(v, DL_MARKER_TRUE);
	dl_marker_env_unset(env, DL_MARKER_OS_NAME);
	dl_marker *m = parse_ok("extra == 'x' and os_name == 'nt'");
	assert_int_equal(dl_marker_evaluate_partial(m, env, &v), DL_ENOTFOUND);
	dl_marker_free(m);
	dl_marker_env_free(env);
}

static char *str_of(const dl_marker *m)
{
	char *s = NULL;
	assert_int_equal(dl_marker_to_string(&s, m), 0);
	return s;
}

static void check_combine(const char *a, const char *b, bool is_and, const char *want)
{
	dl_marker *ma = a ? parse_ok(a) : NULL, *mb = b ? parse_ok(b) : NULL, *r = NULL;
	assert_int_equal(is_and ? dl_marker_and(&r, ma, mb) : dl_marker_or(&r, ma, mb), 0);
	char *s = str_of(r);
	if (strcmp(s, want) != 0)
		fail_msg("%s(%s, %s) = '%s', expected '%s'", is_and ? "and" : "or", a, b, s, want);
	dl_free(s);
	dl_marker_free(r);
	dl_marker_free(ma);
	dl_marker_free(mb);
}

static void test_combine(void **state)
{
	(void)state;
	check_combine("os_name == 'a'", "os_name == 'b'", true, "os_name == \"a\" and os_name == \"b\"");
	check_combine("os_name == 'a'", "os_name == 'b'", false, "os_name == \"a\" or os_name == \"b\"");
	check_combine("os_name == 'a'", "os_name == \"a\"", true, "os_name == \"a\"");
	check_combine("os_name == 'a'", "os_name == \"a\"", false, "os_name == \"a\"");
	check_combine(NULL, "os_name == 'a'", true, "os_name == \"a\"");
	check_combine("os_name == 'a'", NULL, true, "os_name == \"a\"");
	check_combine(NULL, "os_name == 'a'", false, "");
	check_combine(NULL, NULL, true, "");
	check_combine("os_name == 'a' and os_name == 'b'", "os_name == 'b' and os_name == 'c'", true,
	              "os_name == \"a\" and os_name == \"b\" and os_name == \"c\"");
	check_combine("os_name == 'a' or os_name == 'b'", "os_name == 'c'", true,
	              "(os_name == \"a\" or os_name == \"b\") and os_name == \"c\"");
	check_combine("os_name == 'a' and os_name == 'b'", "os_name == 'c'", false,
	              "os_name == \"a\" and os_name == \"b\" or os_name == \"c\"");
	check_combine("os_name == 'a' or os_name == 'b'", "os_name == 'b' or os_name == 'a'", false,
	              "os_name == \"a\" or os_name == \"b\"");
	check_combine("os_name == 'a' or os_name == 'b'", "os_name == 'b' or os_name == 'a'", true,
	              "(os_name == \"a\" or os_name == \"b\") and (os_name == \"b\" or os_name == \"a\")");
	check_combine("extra == 'A_b'", "extra == 'a-b'", true, "extra == \"a-b\"");

	/* constants */
	dl_marker *t = NULL, *f = NULL, *a = parse_ok("os_name == 'a'"), *r = NULL;
	assert_int_equal(dl_marker_true(&t), 0);
	assert_int_equal(dl_marker_false(&f), 0);
	assert_true(dl_marker_is_true(t));
	assert_true(dl_marker_is_true(NULL));
	assert_false(dl_marker_is_false(NULL));
	assert_true(dl_marker_is_false(f));
	assert_false(dl_marker_is_true(a));
	assert_false(dl_marker_is_false(a));
	char *s = str_of(f);
	assert_string_equal(s, "python_version < \"0\"");
	dl_free(s);
	s = str_of(t);
	assert_string_equal(s, "");
	dl_free(s);
	assert_int_equal(dl_marker_and(&r, a, f), 0);
	assert_true(dl_marker_is_false(r));
	dl_marker_free(r);
	assert_int_equal(dl_marker_or(&r, f, a), 0);
	assert_true(dl_marker_eq(r, a));
	dl_marker_free(r);
	assert_int_equal(dl_marker_or(&r, a, t), 0);
	assert_true(dl_marker_is_true(r));
	dl_marker_free(r);
	assert_int_equal(dl_marker_and(&r, t, a), 0);
	assert_true(dl_marker_eq(r, a));
	dl_marker_free(r);
	assert_int_equal(dl_marker_and(&r, t, NULL), 0);
	assert_true(dl_marker_is_true(r));
	assert_true(dl_marker_eq(r, NULL));
	assert_true(dl_marker_hash(r) == dl_marker_hash(NULL));
	dl_marker_free(r);
	assert_int_equal(dl_marker_or(&r, f, f), 0);
	assert_true(dl_marker_is_false(r));
	dl_marker_free(r);
	/* evaluation of the constants and of combinations */
	dl_marker_env *env = linux_env();
	bool v = true;
	assert_int_equal(dl_marker_evaluate(f, env, &v), 0);
	assert_false(v);
	assert_int_equal(dl_marker_evaluate(t, env, &v), 0);
	assert_true(v);
	dl_marker *b = parse_ok("python_version >= '3.12'"), *c = parse_ok("sys_platform == 'linux'");
	assert_int_equal(dl_marker_and(&r, b, c), 0);
	assert_int_equal(dl_marker_evaluate(r, env, &v), 0);
	assert_false(v);
	dl_marker_free(r);
	assert_int_equal(dl_marker_or(&r, b, c), 0);
	assert_int_equal(dl_marker_evaluate(r, env, &v), 0);
	assert_true(v);
	/* the clone is equal and independent */
	dl_marker *cl = NULL;
	assert_int_equal(dl_marker_clone(&cl, r), 0);
	dl_marker_free(r);
	assert_int_equal(dl_marker_evaluate(cl, env, &v), 0);
	assert_true(v);
	s = str_of(cl);
	assert_string_equal(s, "python_version >= \"3.12\" or sys_platform == \"linux\"");
	dl_free(s);
	dl_marker_free(cl);
	assert_int_equal(dl_marker_clone(&cl, NULL), 0);
	assert_true(dl_marker_is_true(cl));
	dl_marker_free(cl);
	dl_marker_free(b);
	dl_marker_free(c);
	dl_marker_env_free(env);
	dl_marker_free(t);
	dl_marker_free(f);
	dl_marker_free(a);
}

static void test_eq_hash_uses(void **state)
{
	(void)state;
	dl_marker *a = parse_ok("python_version<'3.8'"), *b = parse_ok("python_version < \"3.8\""),
	          *c = parse_ok("python_version < '3.7'"), *d = parse_ok("'3.8' > python_version"),
	          *e = parse_ok("extra == 'Foo'");
	assert_true(dl_marker_eq(a, b));
	assert_true(dl_marker_hash(a) == dl_marker_hash(b));
	assert_false(dl_marker_eq(a, c));
	assert_false(dl_marker_hash(a) == dl_marker_hash(c));
	assert_false(dl_marker_eq(a, d)); /* equivalent, but not the same normal form */
	assert_false(dl_marker_eq(a, NULL));
	assert_true(dl_marker_uses_var(a, DL_MARKER_PYTHON_VERSION));
	assert_false(dl_marker_uses_var(a, DL_MARKER_OS_NAME));
	assert_false(dl_marker_mentions_extra(a));
	assert_true(dl_marker_mentions_extra(e));
	assert_false(dl_marker_mentions_extra(NULL));
	dl_marker *f = parse_ok("'x' in extras or os_name == 'a'");
	assert_true(dl_marker_mentions_extra(f));
	dl_marker_free(f);
	dl_marker_free(a);
	dl_marker_free(b);
	dl_marker_free(c);
	dl_marker_free(d);
	dl_marker_free(e);
}

/* The vectors of packaging's test_markers.py that live in the conformance
 * file are checked by tests/conformance/test_pep508_vectors.c; these are
 * the semantics its test_version_like_equality pins down. */
static void test_version_like_extra(void **state)
{
	(void)state;
	dl_marker_env *env = NULL;
	assert_int_equal(dl_marker_env_new(&env), 0);
	assert_int_equal(dl_marker_env_set(env, DL_MARKER_EXTRA, "v2a3", 4), 0);
	check_eval(env, "extra == 'v2'", false);
	check_eval(env, "extra == 'v2a3'", true);
	check_eval(env, "extra == 'v2.a3'", false);
	dl_marker_env_free(env);
}

/* ---- allocation failure ---- */

static int alloc_parse_format(void *ctx)
{
	const char *in = ctx;
	dl_marker *m = NULL;
	int rc = dl_marker_parse(&m, in, strlen(in));
	if (rc < 0)
		return rc;
	char *s = NULL;
	rc = dl_marker_to_string(&s, m);
	dl_free(s);
	dl_marker_free(m);
	return rc;
}

static int alloc_combine(void *ctx)
{
	(void)ctx;
	dl_marker *a = NULL, *b = NULL, *r1 = NULL, *r2 = NULL, *c = NULL;
	const char *sa = "python_version >= '3.8' and (os_name == 'nt' or extra == 'A')";
	const char *sb = "sys_platform == 'linux' or python_full_version < '3.9'";
	int rc = dl_marker_parse(&a, sa, strlen(sa));
	if (rc == 0)
		rc = dl_marker_parse(&b, sb, strlen(sb));
	if (rc == 0)
		rc = dl_marker_and(&r1, a, b);
	if (rc == 0)
		rc = dl_marker_or(&r2, r1, a);
	if (rc == 0)
		rc = dl_marker_clone(&c, r2);
	dl_marker_free(a);
	dl_marker_free(b);
	dl_marker_free(r1);
	dl_marker_free(r2);
	dl_marker_free(c);
	if (rc == 0) {
		rc = dl_marker_true(&a);
		dl_marker_free(a);
	}
	if (rc == 0) {
		rc = dl_marker_false(&a);
		dl_marker_free(a);
	}
	return rc;
}

static int alloc_env(void *ctx)
{
	(void)ctx;
	dl_marker_env *env = NULL;
	int rc = dl_marker_env_new(&env);
	if (rc < 0)
		return rc;
	rc = dl_marker_env_set(env, DL_MARKER_PYTHON_VERSION, "3.11", 4);
	if (rc == 0)
		rc = dl_marker_env_set(env, DL_MARKER_PYTHON_FULL_VERSION, "3.11.4+", 7);
	if (rc == 0)
		rc = dl_marker_env_set(env, DL_MARKER_OS_NAME, "posix", 5);
	if (rc == 0)
		rc = dl_marker_env_add_extra(env, "a", 1);
	if (rc == 0)
		rc = dl_marker_env_add_extra(env, "b", 1);
	if (rc == 0)
		rc = dl_marker_env_add_group(env, "dev", 3);
	dl_marker *m = NULL;
	const char *src = "'3.8' < python_version and python_full_version >= '3.11' and extra == 'b' and "
	                  "os_name == 'posix'";
	if (rc == 0)
		rc = dl_marker_parse(&m, src, strlen(src));
	bool v = false;
	if (rc == 0)
		rc = dl_marker_evaluate(m, env, &v);
	if (rc == 0 && !v)
		rc = DL_ERROR;
	dl_marker_free(m);
	dl_marker_env_free(env);
	return rc;
}

static void test_alloc_failures(void **state)
{
	(void)state;
	dltest_each_alloc_failure(alloc_parse_format, "python_version >= '3.8' and (os_name == 'nt' or "
	                                              "extra == 'Foo_Bar') or 'x' in extras");
	dltest_each_alloc_failure(alloc_parse_format, "os_name == 'a'");
	dltest_each_alloc_failure(alloc_combine, NULL);
	dltest_each_alloc_failure(alloc_env, NULL);
	dl_allocator_set(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normal_form),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_var_names),
		cmocka_unit_test(test_evaluate_versions),
		cmocka_unit_test(test_evaluate_strings),
		cmocka_unit_test(test_evaluate_missing),
		cmocka_unit_test(test_evaluate_extras),
		cmocka_unit_test(test_evaluate_partial),
		cmocka_unit_test(test_combine),
		cmocka_unit_test(test_eq_hash_uses),
		cmocka_unit_test(test_version_like_extra),
		cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
