/*
 * test_requirement.c - PEP 508 requirements: the parts of a parse, the
 * legacy parenthesised form, URLs, extras normalisation, whitespace,
 * errors with exact messages and columns, the normal form, equality and
 * hashing, and allocation failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dltest.h"
#include "deeplock/requirement.h"

static dl_requirement *parse_ok(const char *s)
{
	dl_requirement *r = NULL;
	if (dl_requirement_parse(&r, s, strlen(s)) != 0)
		fail_msg("'%s' rejected: %s", s, dl_error_last()->message);
	return r;
}

static char *str_of(const dl_requirement *r)
{
	char *s = NULL;
	assert_int_equal(dl_requirement_to_string(&s, r), 0);
	return s;
}

static char *spec_of(const dl_requirement *r)
{
	dl_buf b = DL_BUF_INIT;
	assert_int_equal(dl_buf_put(&b, "", 0), 0);
	assert_int_equal(dl_requirement_format_specifier(r, &b), 0);
	return dl_buf_detach(&b, NULL);
}

static char *marker_of(const dl_requirement *r)
{
	char *s = NULL;
	assert_int_equal(dl_marker_to_string(&s, r->marker), 0);
	return s;
}

/* Parse `in`, check the parts and the normal form (and that the normal
 * form is a fixed point). */
static void check(const char *in, const char *name, const char *norm_name, const char *extras, const char *spec,
                  const char *url, const char *marker, const char *normal)
{
	dl_requirement *r = parse_ok(in);
	assert_string_equal(r->name, name);
	assert_string_equal(r->normalized_name, norm_name);
	char joined[256] = "";
	for (size_t i = 0; i < r->n_extras; i++) {
		if (i > 0)
			strncat(joined, ",", sizeof(joined) - strlen(joined) - 1);
		strncat(joined, r->extras[i], sizeof(joined) - strlen(joined) - 1);
	}
	if (strcmp(joined, extras) != 0)
		fail_msg("'%s': extras '%s', expected '%s'", in, joined, extras);
	char *sp = spec_of(r);
	if (strcmp(sp, spec) != 0)
		fail_msg("'%s': specifier '%s', expected '%s'", in, sp, spec);
	dl_free(sp);
	if (url == NULL)
		assert_null(r->url);
	else
		assert_string_equal(r->url, url);
	if (marker == NULL) {
		assert_null(r->marker);
	} else {
		char *m = marker_of(r);
		if (strcmp(m, marker) != 0)
			fail_msg("'%s': marker '%s', expected '%s'", in, m, marker);
		dl_free(m);
	}
	char *s = str_of(r);
	if (strcmp(s, normal) != 0)
		fail_msg("'%s': normal form '%s', expected '%s'", in, s, normal);
	dl_requirement *r2 = parse_ok(s);
	char *s2 = str_of(r2);
	assert_string_equal(s, s2);
	assert_true(dl_requirement_eq(r, r2));
	assert_true(dl_requirement_hash(r) == dl_requirement_hash(r2));
	dl_free(s);
	dl_free(s2);
	dl_requirement_free(r2);
	dl_requirement_free(r);
}

static void check_err(const char *in, int code, const char *want)
{
	dl_requirement *r = (dl_requirement *)1;
	int rc = dl_requirement_parse(&r, in, strlen(in));
	if (rc != code)
		fail_msg("'%s': expected code %d, got %d (%s)", in, code, rc, dl_error_last()->message);
	assert_null(r);
	if (want != NULL && strcmp(dl_error_last()->message, want) != 0)
		fail_msg("'%s':\n got      %s\n expected %s", in, dl_error_last()->message, want);
}

static void test_parts(void **state)
{
	(void)state;
	check("packaging", "packaging", "packaging", "", "", NULL, NULL, "packaging");
	check("Foo.Bar_baz-2", "Foo.Bar_baz-2", "foo-bar-baz-2", "", "", NULL, NULL, "Foo.Bar_baz-2");
	check("A", "A", "a", "", "", NULL, NULL, "A");
	check("packaging>20.1", "packaging", "packaging", "", ">20.1", NULL, NULL, "packaging>20.1");
	check("requests[security, tests]>=2.8.1,==2.8.*;python_version<\"2.7\"", "requests", "requests",
	      "security,tests", "==2.8.*,>=2.8.1", NULL, "python_version < \"2.7\"",
	      "requests[security,tests]==2.8.*,>=2.8.1; python_version < \"2.7\"");
	check("importlib-metadata; python_version<'3.8'", "importlib-metadata", "importlib-metadata", "", "", NULL,
	      "python_version < \"3.8\"", "importlib-metadata; python_version < \"3.8\"");
	check("appdirs>=1.4.4,<2; os_name==\"posix\" and extra==\"testing\"", "appdirs", "appdirs", "", "<2,>=1.4.4",
	      NULL, "os_name == \"posix\" and extra == \"testing\"",
	      "appdirs<2,>=1.4.4; os_name == \"posix\" and extra == \"testing\"");
	check("mariadb>=1.0.1; extra == \"mariadb_connector\"", "mariadb", "mariadb", "", ">=1.0.1", NULL,
	      "extra == \"mariadb-connector\"", "mariadb>=1.0.1; extra == \"mariadb-connector\"");
	check("name ~= 1.4.2 , != 1.4.5", "name", "name", "", "!=1.4.5,~=1.4.2", NULL, NULL, "name!=1.4.5,~=1.4.2");
	check("name===arbitrary", "name", "name", "", "===arbitrary", NULL, NULL, "name===arbitrary");
}

static void test_legacy_parens(void **state)
{
	(void)state;
	check("mypy-boto3-lookoutequipment (<1.26.0,>=1.25.0) ; extra == 'all'", "mypy-boto3-lookoutequipment",
	      "mypy-boto3-lookoutequipment", "", "<1.26.0,>=1.25.0", NULL, "extra == \"all\"",
	      "mypy-boto3-lookoutequipment<1.26.0,>=1.25.0; extra == \"all\"");
	check("google-cloud-storage (==1.19.1)", "google-cloud-storage", "google-cloud-storage", "", "==1.19.1", NULL,
	      NULL, "google-cloud-storage==1.19.1");
	check("name( == 1.0 )", "name", "name", "", "==1.0", NULL, NULL, "name==1.0");
	check("name (>2.2 , <3)", "name", "name", "", "<3,>2.2", NULL, NULL, "name<3,>2.2");
	check("name()", "name", "name", "", "", NULL, NULL, "name");
	check("name[x] ( ) ;os_name=='a'", "name", "name", "x", "", NULL, "os_name == \"a\"",
	      "name[x]; os_name == \"a\"");
	check("contextlib2 (>=0.4.0) ; (python_version<'3.0')", "contextlib2", "contextlib2", "", ">=0.4.0", NULL,
	      "python_version < \"3.0\"", "contextlib2>=0.4.0; python_version < \"3.0\"");
}

static void test_urls(void **state)
{
	(void)state;
	check("name @ https://example.com/name;v=1.1/?query=foo&bar=baz#blah", "name", "name", "", "",
	      "https://example.com/name;v=1.1/?query=foo&bar=baz#blah", NULL,
	      "name @ https://example.com/name;v=1.1/?query=foo&bar=baz#blah");
	check("name@git+ssh://git@github.com:pypa/packaging.git", "name", "name", "", "",
	      "git+ssh://git@github.com:pypa/packaging.git", NULL, "name @ git+ssh://git@github.com:pypa/packaging.git");
	check("name [Fred] @ file:///absolute/path ; extra == 'X'", "name", "name", "fred", "", "file:///absolute/path",
	      "extra == \"x\"", "name[fred] @ file:///absolute/path ; extra == \"x\"");
	check("name @ file:.\t", "name", "name", "", "", "file:.", NULL, "name @ file:.");
	check("name @ gopher:/foo/com;os_name=='a'", "name", "name", "", "", "gopher:/foo/com;os_name=='a'", NULL,
	      "name @ gopher:/foo/com;os_name=='a'");
}

static void test_extras_and_whitespace(void **state)
{
	(void)state;
	check("foo[B, a,A,b_c , B-C, b.C]", "foo", "foo", "a,b,b-c", "", NULL, NULL, "foo[a,b,b-c]");
	check("foo[]", "foo", "foo", "", "", NULL, NULL, "foo");
	check("foo[ ]", "foo", "foo", "", "", NULL, NULL, "foo");
	check("fishtank[all---blue]", "fishtank", "fishtank", "all-blue", "", NULL, NULL, "fishtank[all-blue]");
	check(" \tfoo \t[ \ta \t, \tb \t] \t>= \t1 \t, \t< \t2 \t; \tos_name \t== \t'nt' \t", "foo", "foo", "a,b",
	      "<2,>=1", NULL, "os_name == \"nt\"", "foo[a,b]<2,>=1; os_name == \"nt\"");
	check("foo\t;\textra\t==\t'Test'", "foo", "foo", "", "", NULL, "extra == \"test\"", "foo; extra == \"test\"");
}

static void test_errors(void **state)
{
	(void)state;
	check_err("", DL_EPARSE, "invalid requirement '': expected a project name, found end of input at column 1");
	check_err("   ", DL_EPARSE, "invalid requirement '   ': expected a project name, found end of input at column 4");
	check_err("==0.0", DL_EPARSE,
	          "invalid requirement '==0.0': expected a project name (a letter or digit) at column 1");
	check_err("foo bar", DL_EPARSE,
	          "invalid requirement 'foo bar': expected '[', a version specifier, '@', ';' or end of input at "
	          "column 5");
	check_err("foo[a] bar", DL_EPARSE,
	          "invalid requirement 'foo[a] bar': expected a version specifier, '@', ';' or end of input at "
	          "column 8");
	check_err("foo-", DL_EPARSE, "invalid requirement 'foo-': a project name must end with a letter or digit at column 4");
	check_err("foo_.bar-", DL_EPARSE,
	          "invalid requirement 'foo_.bar-': a project name must end with a letter or digit at column 9");
	check_err("name[bar baz]", DL_EPARSE,
	          "invalid requirement 'name[bar baz]': expected ',' between extra names at column 10");
	check_err("name[bar, baz,]", DL_EPARSE,
	          "invalid requirement 'name[bar, baz,]': expected an extra name after ',' (a letter or digit) at "
	          "column 15");
	check_err("name[bar, baz", DL_EPARSE,
	          "invalid requirement 'name[bar, baz': expected ',' or ']' (to close the '[' of column 5) at column 14");
	check_err("name[bar, baz >= 1.0", DL_EPARSE,
	          "invalid requirement 'name[bar, baz >= 1.0': expected ',' or ']' (to close the '[' of column 5) at "
	          "column 15");
	check_err("name[-x]", DL_EPARSE,
	          "invalid requirement 'name[-x]': expected an extra name or ']' (a letter or digit) at column 6");
	check_err("name (>= 1.0", DL_EPARSE,
	          "invalid requirement 'name (>= 1.0': expected ',' or ')' (to close the '(' of column 6) at column 13");
	check_err("name (foo)", DL_EPARSE,
	          "invalid requirement 'name (foo)': expected a version specifier or ')' (to close the '(' of "
	          "column 6) at column 7");
	check_err("name @ https://example.com/; extra == 'example'", DL_EPARSE,
	          "invalid requirement 'name @ https://example.com/; extra == 'example'': expected ';' (after the "
	          "URL and whitespace) or end of input at column 30");
	check_err("name @ ", DL_EPARSE, "invalid requirement 'name @ ': expected a URL after '@' at column 8");
	check_err("name; invalid_name", DL_EPARSE,
	          "invalid requirement 'name; invalid_name': expected a marker variable or a quoted string, found "
	          "'invalid_name' (literals need quotes; the variables are python_version, python_full_version, "
	          "os_name, sys_platform, platform_release, platform_system, platform_version, platform_machine, "
	          "platform_python_implementation, implementation_name, implementation_version, extra, extras, "
	          "dependency_groups) at column 7");
	check_err("name; '3.7' notin python_version", DL_EPARSE,
	          "invalid requirement 'name; '3.7' notin python_version': expected a marker operator (one of <, "
	          "<=, ==, !=, >=, >, ~=, ===, in, not in) at column 13");
	check_err("name; (extra == 'example'", DL_EPARSE,
	          "invalid requirement 'name; (extra == 'example'': expected 'and', 'or' or ')' (to close the '(' "
	          "of column 7) at column 26");
	check_err("name; os_name == 'a' foo", DL_EPARSE,
	          "invalid requirement 'name; os_name == 'a' foo': expected 'and', 'or' or end of input at column 22");
	check_err("name;", DL_EPARSE,
	          "invalid requirement 'name;': expected a marker variable or a quoted string, found end of input "
	          "at column 6");
	check_err("foo>=1.0 <2", DL_EPARSE,
	          "invalid requirement 'foo>=1.0 <2': expected ',' (between version specifiers), ';' or end of input "
	          "at column 10");
	check_err("foo>=1.0,", DL_EPARSE,
	          "invalid requirement 'foo>=1.0,': expected a version specifier after ',' at column 10");
	check_err("foo>=", DL_EPARSE, "invalid requirement 'foo>=': expected a version after '>=' at column 6");
	check_err("foo=1.0", DL_EPARSE,
	          "invalid requirement 'foo=1.0': expected '[', a version specifier, '@', ';' or end of input at "
	          "column 4");
	check_err("foo\n", DL_EPARSE,
	          "invalid requirement 'foo\n': expected '[', a version specifier, '@', ';' or end of input at "
	          "column 4");
	/* the version itself is the specifier module's to judge: its message
	 * is kept, and the requirement and column are named around it */
	dl_requirement *r = NULL;
	assert_int_equal(dl_requirement_parse(&r, "black (>=20.*) ; extra == 'format'", 34), DL_EPARSE);
	const char *msg = dl_error_last()->message;
	assert_true(strncmp(msg, "invalid requirement 'black (>=20.*) ; extra == 'format'': ", 57) == 0);
	assert_non_null(strstr(msg, ", in the version specifier at column 8"));
	assert_int_equal(dl_requirement_parse(&r, "name==1.0.org1", 14), DL_EPARSE);
	assert_non_null(strstr(dl_error_last()->message, ", in the version specifier at column 5"));
	assert_int_equal(dl_requirement_parse(&r, "name >= 1.0+local", 17), DL_EPARSE);
	assert_non_null(strstr(dl_error_last()->message, ", in the version specifier at column 6"));
	assert_int_equal(dl_requirement_parse(&r, "n@http://x\0y", 12), DL_EPARSE);
	assert_string_equal(dl_error_last()->message,
	                    "invalid requirement 'n@http://x': control character 0x00 in the URL at column 11");
	check_err("n @ http://x\x7fy ; os_name == 'a'", DL_EPARSE,
	          "invalid requirement 'n @ http://x\x7fy ; os_name == 'a'': control character 0x7f in the URL at "
	          "column 13");
	assert_int_equal(dl_requirement_parse(&r, "x===a\0b", 8), DL_EPARSE);
	assert_string_equal(dl_error_last()->message,
	                    "invalid requirement 'x===a': control character 0x00 in the version at column 6");
	/* NUL bytes and slices */
	assert_int_equal(dl_requirement_parse(&r, "foo\0", 4), DL_EPARSE);
	assert_int_equal(dl_requirement_parse(&r, "foo>=1 trailing", 6), 0);
	char *s = str_of(r);
	assert_string_equal(s, "foo>=1");
	dl_free(s);
	dl_requirement_free(r);
	/* long input */
	size_t big = 70000;
	char *huge = malloc(big);
	memset(huge, 'a', big);
	assert_int_equal(dl_requirement_parse(&r, huge, big), DL_ELIMIT);
	free(huge);
	/* the input is truncated in messages */
	char longname[400];
	memset(longname, 'x', sizeof(longname));
	longname[399] = '-';
	assert_int_equal(dl_requirement_parse(&r, longname, sizeof(longname)), DL_EPARSE);
	assert_non_null(strstr(dl_error_last()->message, "...': a project name must end with a letter or digit at column 400"));
}

static void test_eq_hash(void **state)
{
	(void)state;
	static const char *const equal[][2] = {
		{"scikit-learn==1.0.1", "scikit_learn==1.0.1"},
		{"foo==1.0.0", "foo==1.0.0.0"},
		{"foo>=1.0", "foo>=1.0.0"},
		{"urllib3[secure]", "urllib3[SECURE]"},
		{"a[x,y]", "A[y, x, X]"},
		{"a>=1,<2", "a<2,>=1"},
		{"a; os_name == 'x'", "a ; os_name==\"x\""},
		{"a @ http://x", "a@http://x"},
		{"a==1.0.*,==1.0.*", "a==1.0.*"},
		{"a!=2.0,!=2", "a!=2.0.0"},
		{"a==1.0+Local.1", "a==1.0.0+local-1"},
	};
	static const char *const differ[][2] = {
		{"a", "b"},
		{"a>1", "a>=1"},
		{"a[x]", "a"},
		{"a @ http://x", "a @ http://X"},
		{"a @ http://x", "a"},
		{"a; os_name == 'x'", "a"},
		{"a; os_name == 'x'", "a; os_name == 'y'"},
		{"a>=1", "a>=1,<2"},
		{"a~=1.0", "a~=1.0.0"},
		{"a==1.0.*", "a==1.*"},
		{"a===1.0", "a===1.0.0"},
		{"a==1.0", "a==1.0+local"},
	};
	for (size_t i = 0; i < sizeof(equal) / sizeof(equal[0]); i++) {
		dl_requirement *a = parse_ok(equal[i][0]), *b = parse_ok(equal[i][1]);
		if (!dl_requirement_eq(a, b) || dl_requirement_hash(a) != dl_requirement_hash(b))
			fail_msg("'%s' and '%s' should be equal", equal[i][0], equal[i][1]);
		dl_requirement_free(a);
		dl_requirement_free(b);
	}
	for (size_t i = 0; i < sizeof(differ) / sizeof(differ[0]); i++) {
		dl_requirement *a = parse_ok(differ[i][0]), *b = parse_ok(differ[i][1]);
		if (dl_requirement_eq(a, b) || dl_requirement_eq(b, a) || dl_requirement_hash(a) == dl_requirement_hash(b))
			fail_msg("'%s' and '%s' should differ", differ[i][0], differ[i][1]);
		dl_requirement_free(a);
		dl_requirement_free(b);
	}
}

static void test_clone(void **state)
{
	(void)state;
	dl_requirement *a = parse_ok("Foo.Bar [x, Y] (>=1.0, <2) ; python_version >= '3.8' and extra == 'Y'"), *b = NULL;
	assert_int_equal(dl_requirement_clone(&b, a), 0);
	assert_true(dl_requirement_eq(a, b));
	assert_string_equal(b->name, "Foo.Bar");
	dl_requirement_free(a);
	char *s = str_of(b);
	assert_string_equal(s, "Foo.Bar[x,y]<2,>=1.0; python_version >= \"3.8\" and extra == \"y\"");
	dl_free(s);
	dl_requirement_free(b);
	dl_requirement_free(NULL);
}

/* ---- allocation failure ---- */

static int alloc_parse_format(void *ctx)
{
	const char *in = ctx;
	dl_requirement *r = NULL, *c = NULL;
	int rc = dl_requirement_parse(&r, in, strlen(in));
	if (rc < 0)
		return rc;
	char *s = NULL;
	rc = dl_requirement_to_string(&s, r);
	dl_free(s);
	if (rc == 0)
		rc = dl_requirement_clone(&c, r);
	dl_requirement_free(c);
	dl_requirement_free(r);
	return rc;
}

static int alloc_parse_error(void *ctx)
{
	const char *in = ctx;
	dl_requirement *r = NULL;
	int rc = dl_requirement_parse(&r, in, strlen(in));
	if (rc == DL_EPARSE)
		return 0; /* the expected outcome, when nothing failed */
	dl_requirement_free(r);
	return rc == 0 ? DL_ERROR : rc;
}

static void test_alloc_failures(void **state)
{
	(void)state;
	dltest_each_alloc_failure(alloc_parse_format,
	                          "requests[security, tests, b, a]>=2.8.1,==2.8.*;python_version<\"2.7\" and extra == 'x'");
	dltest_each_alloc_failure(alloc_parse_format, "name [Fred] @ file:///absolute/path ; extra == 'X'");
	dltest_each_alloc_failure(alloc_parse_format, "mypy-boto3 (<1.26.0,>=1.25.0)");
	dltest_each_alloc_failure(alloc_parse_format, "a");
	dltest_each_alloc_failure(alloc_parse_error, "black (>=20.*) ; extra == 'format'");
	dltest_each_alloc_failure(alloc_parse_error, "name[a, b] >= 1 ; os_name == ");
	dl_allocator_set(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parts),
		cmocka_unit_test(test_legacy_parens),
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_extras_and_whitespace),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_eq_hash),
		cmocka_unit_test(test_clone),
		cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
