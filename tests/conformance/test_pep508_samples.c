/*
 * test_pep508_samples.c - the 500 real Requires-Dist lines of
 * ../shared/conformance/pypi-samples/dist_sample.txt.
 *
 * Every line either parses -- and then its normal form parses back to an
 * equal requirement, and its marker (if any) evaluates in a CPython 3.11
 * Linux environment -- or is rejected with an error that names the line
 * and a column.  The counts are printed; a handful of lines are checked
 * part by part.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dltest.h"
#include "deeplock/requirement.h"

static char *text;
static size_t text_len;

static dl_marker_env *linux_env(void)
{
	static const char *const kv[][2] = {
		{"python_version", "3.11"},          {"python_full_version", "3.11.4"},
		{"os_name", "posix"},                {"sys_platform", "linux"},
		{"platform_release", "6.1.0"},       {"platform_system", "Linux"},
		{"platform_version", "#1 SMP"},      {"platform_machine", "x86_64"},
		{"platform_python_implementation", "CPython"},
		{"implementation_name", "cpython"},  {"implementation_version", "3.11.4"},
	};
	dl_marker_env *env = NULL;
	assert_int_equal(dl_marker_env_new(&env), 0);
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
		assert_int_equal(dl_marker_env_set_by_name(env, kv[i][0], strlen(kv[i][0]), kv[i][1], strlen(kv[i][1])), 0);
	return env;
}

static void test_every_line(void **state)
{
	(void)state;
	dl_marker_env *env = linux_env();
	int lines = 0, valid = 0, invalid = 0, legacy = 0, with_marker = 0, with_url = 0, applies = 0;
	char *p = text;
	while (p < text + text_len) {
		char *e = memchr(p, '\n', (size_t)(text + text_len - p));
		size_t len = e != NULL ? (size_t)(e - p) : (size_t)(text + text_len - p);
		lines++;
		dl_requirement *r = NULL;
		int rc = dl_requirement_parse(&r, p, len);
		if (rc == 0) {
			valid++;
			if (memchr(p, '(', len) != NULL && (r->marker == NULL || memchr(p, '(', len) < (void *)memchr(p, ';', len)))
				legacy++;
			with_url += r->url != NULL;
			char *s = NULL;
			dl_requirement *r2 = NULL;
			assert_int_equal(dl_requirement_to_string(&s, r), 0);
			if (dl_requirement_parse(&r2, s, strlen(s)) != 0 || !dl_requirement_eq(r, r2))
				fail_msg("line %d: normal form '%s' does not parse back equal", lines, s);
			dl_requirement_free(r2);
			dl_free(s);
			if (r->marker != NULL) {
				with_marker++;
				bool v = false;
				if (dl_marker_evaluate(r->marker, env, &v) != 0)
					fail_msg("line %d: %s", lines, dl_error_last()->message);
				applies += v;
			}
			dl_requirement_free(r);
		} else {
			invalid++;
			const char *msg = dl_error_last()->message;
			assert_int_equal(rc, DL_EPARSE);
			/* the message names the line and a column */
			char head[300];
			snprintf(head, sizeof(head), "invalid requirement '%.*s", (int)(len > 200 ? 200 : len), p);
			if (strncmp(msg, head, strlen(head)) != 0 || strstr(msg, " at column ") == NULL)
				fail_msg("line %d: unhelpful error '%s'", lines, msg);
			printf("line %d rejected: %s\n", lines, msg);
		}
		if (e == NULL)
			break;
		p = e + 1;
	}
	printf("dist_sample.txt: %d lines, %d valid (%d legacy parenthesised, %d with a marker, %d with a URL), "
	       "%d invalid; %d markers hold on CPython 3.11 Linux without extras\n",
	       lines, valid, legacy, with_marker, with_url, invalid, applies);
	assert_int_equal(lines, 500);
	/* pypa/packaging 23 accepts every line; so must we */
	assert_int_equal(invalid, 0);
	assert_true(with_marker > 200);
	dl_marker_env_free(env);
}

/* The line of the sample that starts with `prefix`. */
static dl_requirement *line_starting(const char *prefix)
{
	size_t n = strlen(prefix);
	for (char *p = text; p < text + text_len;) {
		char *e = memchr(p, '\n', (size_t)(text + text_len - p));
		size_t len = e != NULL ? (size_t)(e - p) : (size_t)(text + text_len - p);
		if (len >= n && memcmp(p, prefix, n) == 0) {
			dl_requirement *r = NULL;
			assert_int_equal(dl_requirement_parse(&r, p, len), 0);
			return r;
		}
		if (e == NULL)
			break;
		p = e + 1;
	}
	fail_msg("no line starts with '%s'", prefix);
	return NULL;
}

static void expect(const char *prefix, const char *normal, const char *norm_name, size_t n_extras)
{
	dl_requirement *r = line_starting(prefix);
	char *s = NULL;
	assert_int_equal(dl_requirement_to_string(&s, r), 0);
	if (strcmp(s, normal) != 0)
		fail_msg("'%s...': normal form '%s', expected '%s'", prefix, s, normal);
	assert_string_equal(r->normalized_name, norm_name);
	assert_int_equal(r->n_extras, n_extras);
	dl_free(s);
	dl_requirement_free(r);
}

static void test_exact_lines(void **state)
{
	(void)state;
	expect("pyarrow<15.0,>=14.0.2;", "pyarrow<15.0,>=14.0.2; extra == \"parquet\"", "pyarrow", 0);
	expect("mypy-boto3-lookoutequipment (", "mypy-boto3-lookoutequipment<1.26.0,>=1.25.0; extra == \"all\"",
	       "mypy-boto3-lookoutequipment", 0);
	expect("tzdata;", "tzdata; python_version >= \"3.9\" and sys_platform == \"win32\" and extra == \"mariadb\"",
	       "tzdata", 0);
	expect("genie.libs.conf ", "genie.libs.conf<24.3.0,>=24.2.0", "genie-libs-conf", 0);
	expect("promptflow-devkit[all]", "promptflow-devkit[all]==1.15.0; extra == \"all\"", "promptflow-devkit", 1);
	expect("requests!=2.32.0", "requests!=2.32.0,!=2.32.1,>=2.5", "requests", 0);
	expect("large-image-converter[sources]",
	       "large-image-converter[sources]>=1.29.3.dev24; extra == \"worker\"", "large-image-converter", 1);
	expect("cached-property==2.0.1;",
	       "cached-property==2.0.1; python_version >= \"3.9\" and python_version < \"4\" and "
	       "(implementation_name == \"cpython\" or implementation_name == \"pypy\") and extra == \"dev\"",
	       "cached-property", 0);
	expect("redis (>=4.3.4,<5.0.0);", "redis<5.0.0,>=4.3.4; extra == \"all\" or extra == \"redis\"", "redis", 0);
	expect("backports.functools-lru-cache>=1.0.2;",
	       "backports.functools-lru-cache>=1.0.2; python_version < \"3\"", "backports-functools-lru-cache", 0);

	/* and what they mean on CPython 3.11 Linux, with and without extras */
	dl_marker_env *env = linux_env();
	dl_requirement *r = line_starting("protobuf<7,>=4;");
	bool v = false;
	assert_int_equal(dl_marker_evaluate(r->marker, env, &v), 0);
	assert_true(v); /* python_version >= "3.11" */
	dl_requirement_free(r);
	r = line_starting("nvidia-cusparse-cu11 (");
	assert_int_equal(dl_marker_evaluate(r->marker, env, &v), 0);
	assert_true(v);
	dl_requirement_free(r);
	r = line_starting("tzdata;");
	const char *const mariadb[] = {"MariaDB"};
	assert_int_equal(dl_marker_evaluate_extras(r->marker, env, mariadb, 1, &v), 0);
	assert_false(v); /* sys_platform == "win32" fails */
	dl_requirement_free(r);
	r = line_starting("redis (>=4.3.4,<5.0.0);");
	const char *const redis[] = {"redis"};
	assert_int_equal(dl_marker_evaluate_extras(r->marker, env, redis, 1, &v), 0);
	assert_true(v);
	assert_int_equal(dl_marker_evaluate(r->marker, env, &v), 0);
	assert_false(v);
	dl_requirement_free(r);
	dl_marker_env_free(env);
}

static int setup(void **state)
{
	(void)state;
	const char *shared = dltest_require_shared("test_pep508_samples");
	text = dltest_read_file(dltest_path(shared, "conformance/pypi-samples/dist_sample.txt"), &text_len);
	/* drop the final newline so the last line is not an empty one */
	if (text_len > 0 && text[text_len - 1] == '\n')
		text_len--;
	return text == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	free(text);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_line),
		cmocka_unit_test(test_exact_lines),
	};
	dltest_require_shared("test_pep508_samples");
	return cmocka_run_group_tests(tests, setup, teardown);
}
