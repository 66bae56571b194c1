/*
 * test_metadata.c - core metadata and WHEEL files: the header rules
 * (folding, the legacy "       |" Description lines, line endings, case),
 * the fields the resolver reads, the checks with their line/column
 * messages, limits, the PEP 566 JSON form, writing back, and clean
 * failure of every allocation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/metadata.h"
#include "dltest.h"

static dl_metadata *parse_ok(const char *s, const dl_metadata_options *opts)
{
	dl_metadata *md = NULL;
	int rc = dl_metadata_parse(&md, s, strlen(s), opts);
	if (rc != 0)
		fail_msg("parse failed: %s", dl_error_last()->message);
	return md;
}

static void expect_error(const char *s, const dl_metadata_options *opts, int code, const char *fragment)
{
	dl_metadata *md = NULL;
	int rc = dl_metadata_parse(&md, s, strlen(s), opts);
	if (rc != code)
		fail_msg("rc %d, expected %d (%s) for:\n%s", rc, code, dl_error_last()->message, s);
	assert_null(md);
	if (strstr(dl_error_last()->message, fragment) == NULL)
		fail_msg("error is '%s', expected it to contain '%s'", dl_error_last()->message, fragment);
}

static const char SAMPLE[] =
	"Metadata-Version: 2.2\n"
	"Name: Foo.Bar\n"
	"version: 1.0.POST1\n"
	"Summary:   A summary with spaces after the colon   \n"
	"License: line one\n"
	"        line two\n"
	"        \n"
	"            indented four\n"
	"Description: legacy\n"
	"       |first\n"
	"       |\n"
	"       |  second\n"
	"REQUIRES-DIST: bar>=1; extra == 'test'\n"
	"Requires-Dist: baz (>=2)\n"
	"Provides-Extra: Test_Extra\n"
	"Provides-Extra: docs\n"
	"Dynamic: Requires-Dist\n"
	"Keywords: a, b ,c\n"
	"X-Unknown: one\n"
	"X-Unknown: two\n"
	"Requires-Python: >=3.8\n"
	"\n"
	"The body.\n"
	"\n"
	"Second paragraph.\n";

static void test_parse_sample(void **state)
{
	(void)state;
	dl_metadata *md = parse_ok(SAMPLE, NULL);
	assert_string_equal(md->metadata_version, "2.2");
	assert_int_equal(md->mv_major, 2);
	assert_int_equal(md->mv_minor, 2);
	assert_false(md->mv_newer);
	assert_string_equal(md->name, "Foo.Bar");
	assert_string_equal(md->normalized_name, "foo-bar");
	assert_string_equal(md->version_text, "1.0.POST1");
	assert_true(md->version_valid);
	assert_int_equal(md->version.has_post, 1);
	assert_string_equal(md->requires_python, ">=3.8");
	assert_string_equal(md->summary, "A summary with spaces after the colon");
	assert_string_equal(dl_metadata_get(md, "license"), "line one\nline two\n\n    indented four");
	/* The body wins over the Description field, which stays a field. */
	assert_string_equal(md->description, "The body.\n\nSecond paragraph.\n");
	assert_string_equal(dl_metadata_get(md, "Description"), "legacy\nfirst\n\n  second");
	assert_int_equal(md->body_len, strlen("The body.\n\nSecond paragraph.\n"));
	assert_int_equal(md->n_requires_dist, 2);
	assert_string_equal(md->requires_dist[0], "bar>=1; extra == 'test'");
	assert_string_equal(md->requires_dist[1], "baz (>=2)");
	assert_int_equal(md->n_provides_extra, 2);
	assert_string_equal(md->provides_extra[0], "Test_Extra");
	assert_string_equal(md->provides_extra_normalized[0], "test-extra");
	assert_string_equal(md->provides_extra_normalized[1], "docs");
	assert_int_equal(md->n_dynamic, 1);
	assert_string_equal(md->dynamic[0], "Requires-Dist");
	assert_int_equal(md->n_fields, 15);
	assert_string_equal(md->fields[2].name, "version");
	assert_int_equal(md->fields[2].line, 3);
	assert_int_equal(md->fields[5].line, 9);   /* Description after the 4-line License */
	assert_int_equal(md->fields[6].line, 13);  /* REQUIRES-DIST */
	assert_int_equal(md->fields[14].line, 21); /* Requires-Python */

	assert_int_equal(dl_metadata_count(md, "requires-dist"), 2);
	assert_int_equal(dl_metadata_count(md, "Nope"), 0);
	assert_string_equal(dl_metadata_get_nth(md, "x-unknown", 1), "two");
	assert_null(dl_metadata_get_nth(md, "x-unknown", 2));
	assert_null(dl_metadata_get(md, "Home-page"));

	assert_true(dl_metadata_is_dynamic(md, "requires-dist"));
	assert_false(dl_metadata_is_dynamic(md, "Requires"));
	assert_true(dl_metadata_field_is_static(md, "Summary"));
	assert_false(dl_metadata_field_is_static(md, "Requires-Dist"));
	assert_true(dl_metadata_field_is_multiple_use("classifier"));
	assert_true(dl_metadata_field_is_multiple_use("License-File"));
	assert_false(dl_metadata_field_is_multiple_use("Summary"));
	dl_metadata_free(md);

	/* Before 2.2 nothing in an sdist is guaranteed. */
	md = parse_ok("Metadata-Version: 2.1\nName: a\nVersion: 1\nSummary: s\n", NULL);
	assert_false(dl_metadata_field_is_static(md, "Summary"));
	assert_null(md->body);
	assert_null(md->description);
	assert_null(md->requires_python);
	assert_int_equal(md->n_requires_dist, 0);
	assert_null(md->requires_dist);
	dl_metadata_free(md);
}

static void test_line_endings_and_bom(void **state)
{
	(void)state;
	const char *crlf = "\xef\xbb\xbfMetadata-Version: 1.0\r\nName: a\r\nVersion: 1\r\nSummary: x\r\n  y\r\n\r\nbody\r\n";
	dl_metadata *md = parse_ok(crlf, NULL);
	assert_string_equal(md->summary, "x\ny");
	assert_string_equal(md->body, "body\r\n");
	assert_int_equal(md->fields[3].line, 4);
	dl_metadata_free(md);

	const char *cr = "Metadata-Version: 1.1\rName: a\rVersion: 1\rSummary: x\r\ty\r\rbody";
	md = parse_ok(cr, NULL);
	assert_string_equal(md->summary, "x\ny");
	assert_string_equal(md->body, "body");
	dl_metadata_free(md);

	/* No trailing newline, an empty value, a blank line then nothing. */
	md = parse_ok("Metadata-Version: 1.2\nName: a\nVersion: 1\nSummary:\n\n", NULL);
	assert_string_equal(md->summary, "");
	assert_non_null(md->body);
	assert_int_equal(md->body_len, 0);
	assert_null(md->description);
	dl_metadata_free(md);

	/* A slice that is not NUL-terminated. */
	const char *s = "Metadata-Version: 2.1\nName: a\nVersion: 1.0XXXX";
	dl_metadata *m2 = NULL;
	assert_int_equal(dl_metadata_parse(&m2, s, strlen(s) - 4, NULL), 0);
	assert_string_equal(m2->version_text, "1.0");
	dl_metadata_free(m2);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("Metadata-Version: 2.1\nName foo\n", NULL, DL_EPARSE, "core metadata, line 2, column 5: expected 'Field-Name: value'");
	expect_error("Metadata-Version: 2.1\nName\n", NULL, DL_EPARSE, "line 2, column 5: expected ':' after the field name");
	expect_error("Metadata-Version: 2.1\n: x\n", NULL, DL_EPARSE, "line 2, column 1: empty field name");
	expect_error(" Name: x\n", NULL, DL_EPARSE, "line 1, column 1: indented line before any field");
	expect_error("Metadata-Version: 2.1\nName: a\nVersion: 1\nSummary: caf\xc3\n", NULL, DL_EPARSE,
	             "line 4, column 13: invalid UTF-8 (byte 0xc3)");
	expect_error("Metadata-Version: 2.1\r\nName: a\r\nSummary: \xed\xa0\x80\r\n", NULL, DL_EPARSE,
	             "line 3, column 10: invalid UTF-8 (byte 0xed)"); /* a surrogate */
	expect_error("Metadata-Version: 2.1\nName: a\nVersion: 1\n\nbody \xc0\xaf", NULL, DL_EPARSE,
	             "line 5, column 6: invalid UTF-8 (byte 0xc0)"); /* overlong, in the body */
	dl_metadata *md = NULL;
	assert_int_equal(dl_metadata_parse(&md, "Metadata-Version: 2.1\nNa\0e: a\n", 28, NULL), DL_EPARSE);
	assert_non_null(strstr(dl_error_last()->message, "line 2, column 3: NUL byte"));

	expect_error("Name: a\nVersion: 1\n", NULL, DL_EPARSE, "core metadata: no Metadata-Version field");
	expect_error("Metadata-Version: 2.1\nVersion: 1\n", NULL, DL_EPARSE, "core metadata: no Name field");
	expect_error("Metadata-Version: 2.1\nName: a\n", NULL, DL_EPARSE, "core metadata: no Version field");
	expect_error("Metadata-Version: 2.1\nName: a\nVersion: 1\nname: b\n", NULL, DL_EPARSE,
	             "core metadata, line 4: second 'Name' field (the first is on line 2)");
	expect_error("Metadata-Version: 2.1\nName: a\nVersion: 1\nRequires-Python: >=3\nRequires-Python: >=2\n", NULL,
	             DL_EPARSE, "line 5: second 'Requires-Python' field");
	expect_error("Metadata-Version: 3.0\nName: a\nVersion: 1\n", NULL, DL_EUNSUPPORTED,
	             "line 1: Metadata-Version 3.0 is newer than this parser knows (2.x)");
	expect_error("Metadata-Version: 2\nName: a\nVersion: 1\n", NULL, DL_EPARSE, "line 1: Metadata-Version '2' is not 'X.Y'");
	expect_error("Metadata-Version: 2.1.0\nName: a\nVersion: 1\n", NULL, DL_EPARSE, "is not 'X.Y'");
	expect_error("Metadata-Version: 2.1\nName: foo bar\nVersion: 1\n", NULL, DL_EPARSE,
	             "line 2: Name 'foo bar' is not a valid project name");
	expect_error("Metadata-Version: 2.1\nName: a\nVersion: 1.0x\n", NULL, DL_EPARSE,
	             "while reading the Version field on line 3 of the core metadata");
	expect_error("Metadata-Version: 2.2\nName: a\nVersion: 1\nDynamic: version\n", NULL, DL_EPARSE,
	             "line 4: 'Version' may not be Dynamic (PEP 643)");
	expect_error("Metadata-Version: 2.3\nName: a\nVersion: 1\nProvides-Extra: bad extra\n", NULL, DL_EPARSE,
	             "line 4: Provides-Extra 'bad extra' is not a valid extra name");

	/* Before 2.3 a legacy extra name is kept and normalised anyway. */
	md = parse_ok("Metadata-Version: 2.1\nName: a\nVersion: 1\nProvides-Extra: Bad..Extra\n", NULL);
	assert_string_equal(md->provides_extra_normalized[0], "bad-extra");
	dl_metadata_free(md);

	dl_metadata_options o = DL_METADATA_OPTIONS_INIT;
	o.max_size = 10;
	expect_error("Metadata-Version: 2.1\n", &o, DL_ELIMIT, "core metadata of 22 bytes is larger than the limit of 10 bytes");
	o = (dl_metadata_options)DL_METADATA_OPTIONS_INIT;
	o.max_fields = 2;
	expect_error("Metadata-Version: 2.1\nName: a\nVersion: 1\n", &o, DL_ELIMIT, "core metadata has more than 2 fields");
	o = (dl_metadata_options)DL_METADATA_OPTIONS_INIT;
	o.version = 7;
	expect_error("Metadata-Version: 2.1\n", &o, DL_EINVAL, "metadata options have version 7");
}

static void test_lenient_and_newer(void **state)
{
	(void)state;
	dl_metadata_options o = DL_METADATA_OPTIONS_INIT;
	o.lenient = true;
	dl_metadata *md = parse_ok("Name: not valid!\nVersion: 2004d\nName: again\nDynamic: Name\n", &o);
	assert_null(md->metadata_version);
	assert_string_equal(md->name, "not valid!");
	assert_string_equal(md->version_text, "2004d");
	assert_false(md->version_valid);
	dl_metadata_free(md);
	md = parse_ok("", &o);
	assert_int_equal(md->n_fields, 0);
	assert_null(md->name);
	assert_null(md->body);
	dl_metadata_free(md);
	md = parse_ok("Metadata-Version: 9.9\n", &o);
	assert_true(md->mv_newer);
	dl_metadata_free(md);

	/* A newer 2.x minor is read and flagged. */
	md = parse_ok("Metadata-Version: 2.6\nName: a\nVersion: 1\n", NULL);
	assert_true(md->mv_newer);
	assert_int_equal(md->mv_minor, 6);
	dl_metadata_free(md);
	md = parse_ok("Metadata-Version: 2.5\nName: a\nVersion: 1\n", NULL);
	assert_false(md->mv_newer);
	dl_metadata_free(md);
}

static char *to_json(const dl_metadata *md)
{
	json_t *j = NULL;
	assert_int_equal(dl_metadata_to_json(&j, md), 0);
	char *s = json_dumps(j, JSON_PRESERVE_ORDER | JSON_COMPACT);
	json_decref(j);
	return s;
}

static void test_json(void **state)
{
	(void)state;
	dl_metadata *md = parse_ok(SAMPLE, NULL);
	char *s = to_json(md);
	assert_string_equal(
		s, "{\"metadata_version\":\"2.2\",\"name\":\"Foo.Bar\",\"version\":\"1.0.POST1\","
		   "\"summary\":\"A summary with spaces after the colon\","
		   "\"license\":\"line one\\nline two\\n\\n    indented four\","
		   "\"description\":\"The body.\\n\\nSecond paragraph.\\n\","
		   "\"requires_dist\":[\"bar>=1; extra == 'test'\",\"baz (>=2)\"],"
		   "\"provides_extra\":[\"Test_Extra\",\"docs\"],\"dynamic\":[\"Requires-Dist\"],"
		   "\"keywords\":[\"a\",\"b\",\"c\"],\"x_unknown\":[\"one\",\"two\"],\"requires_python\":\">=3.8\"}");
	free(s);
	dl_metadata_free(md);

	/* Keywords without commas split at blanks; the body alone is the
	 * description; a repeated single-use field keeps its first value. */
	md = parse_ok("Metadata-Version: 2.1\nName: a\nVersion: 1\nKeywords: CPAN  PyPI distutils\n"
	              "Summary: one\nSummary: two\nKeywords: ignored\n\nText",
	              NULL);
	s = to_json(md);
	assert_string_equal(s, "{\"metadata_version\":\"2.1\",\"name\":\"a\",\"version\":\"1\","
	                       "\"keywords\":[\"CPAN\",\"PyPI\",\"distutils\"],\"summary\":\"one\",\"description\":\"Text\"}");
	free(s);
	assert_string_equal(md->summary, "one");
	dl_metadata_free(md);

	/* Spellings that share a key keep every value, in either order. */
	md = parse_ok("Metadata-Version: 2.1\nName: a\nVersion: 1\nRequires_Dist: x\nRequires-Dist: y\n"
	              "Classifier: c\nclassifier_: d\n",
	              NULL);
	s = to_json(md);
	assert_string_equal(s, "{\"metadata_version\":\"2.1\",\"name\":\"a\",\"version\":\"1\","
	                       "\"requires_dist\":[\"x\",\"y\"],\"classifier\":[\"c\"],\"classifier_\":\"d\"}");
	free(s);
	assert_int_equal(md->n_requires_dist, 1);
	dl_metadata_free(md);
}

static void expect_same_fields(const dl_metadata *a, const dl_metadata *b)
{
	assert_int_equal(a->n_fields, b->n_fields);
	for (size_t i = 0; i < a->n_fields; i++) {
		assert_string_equal(a->fields[i].name, b->fields[i].name);
		assert_int_equal(a->fields[i].value_len, b->fields[i].value_len);
		assert_memory_equal(a->fields[i].value, b->fields[i].value, a->fields[i].value_len);
	}
	assert_int_equal(a->body == NULL, b->body == NULL);
	if (a->body != NULL) {
		assert_int_equal(a->body_len, b->body_len);
		assert_memory_equal(a->body, b->body, a->body_len);
	}
}

static void test_write_roundtrip(void **state)
{
	(void)state;
	dl_metadata *md = parse_ok(SAMPLE, NULL);
	dl_buf b = DL_BUF_INIT;
	assert_int_equal(dl_metadata_write(md, &b), 0);
	assert_non_null(strstr(dl_buf_cstr(&b), "License: line one\n        line two\n        \n            indented four\n"));
	dl_metadata *again = parse_ok(dl_buf_cstr(&b), NULL);
	expect_same_fields(md, again);
	dl_metadata_free(again);
	dl_metadata_free(md);
	dl_buf_free(&b);

	md = parse_ok("Metadata-Version: 2.1\nName: a\nVersion: 1\n", NULL);
	b = (dl_buf)DL_BUF_INIT;
	assert_int_equal(dl_metadata_write(md, &b), 0);
	assert_string_equal(dl_buf_cstr(&b), "Metadata-Version: 2.1\nName: a\nVersion: 1\n");
	dl_buf_free(&b);
	dl_metadata_free(md);
}

/* ------------------------------------------------------------------ */

static void test_wheel_file(void **state)
{
	(void)state;
	const char *s = "Wheel-Version: 1.0\nGenerator: bdist_wheel (0.42.0)\nRoot-Is-Purelib: True\n"
	                "Tag: cp311-cp311-manylinux_2_17_x86_64\nTag: cp311-cp311-manylinux2014_x86_64\nBuild: 1a\n\n";
	dl_wheel_info *wi = NULL;
	assert_int_equal(dl_metadata_parse_wheel_file(&wi, s, strlen(s), NULL), 0);
	assert_string_equal(wi->wheel_version, "1.0");
	assert_int_equal(wi->wv_major, 1);
	assert_int_equal(wi->wv_minor, 0);
	assert_string_equal(wi->generator, "bdist_wheel (0.42.0)");
	assert_true(wi->root_is_purelib);
	assert_int_equal(wi->n_tags, 2);
	assert_string_equal(wi->tags[1], "cp311-cp311-manylinux2014_x86_64");
	assert_string_equal(wi->build, "1a");
	assert_int_equal(wi->n_fields, 6);
	dl_wheel_info_free(wi);

	s = "Wheel-Version: 1.9\n";
	assert_int_equal(dl_metadata_parse_wheel_file(&wi, s, strlen(s), NULL), 0);
	assert_false(wi->root_is_purelib);
	assert_null(wi->generator);
	assert_int_equal(wi->n_tags, 0);
	dl_wheel_info_free(wi);

	static const struct {
		const char *text;
		int code;
		const char *fragment;
	} bad[] = {
		{"Generator: x\n", DL_EPARSE, "WHEEL file: no Wheel-Version field"},
		{"Wheel-Version: 2.0\n", DL_EUNSUPPORTED, "WHEEL file, line 1: Wheel-Version 2.0: only version 1.x"},
		{"Wheel-Version: one\n", DL_EPARSE, "line 1: Wheel-Version 'one' is not 'X.Y'"},
		{"Wheel-Version: 1.0\nWheel-Version: 1.0\n", DL_EPARSE, "line 2: second 'Wheel-Version' field"},
		{"Wheel-Version: 1.0\nRoot-Is-Purelib: yes\n", DL_EPARSE, "line 2: Root-Is-Purelib must be 'true' or 'false'"},
		{"Wheel-Version: 1.0\nTag: py3-none\n", DL_EPARSE, "while reading line 2 of the WHEEL file"},
		{"Wheel-Version: 1.0\nBuild: x1\n", DL_EPARSE, "line 2: Build 'x1' must start with a digit"},
		{"Wheel-Version 1.0\n", DL_EPARSE, "WHEEL file, line 1, column 14: expected 'Field-Name: value'"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		wi = NULL;
		int rc = dl_metadata_parse_wheel_file(&wi, bad[i].text, strlen(bad[i].text), NULL);
		if (rc != bad[i].code || strstr(dl_error_last()->message, bad[i].fragment) == NULL)
			fail_msg("'%s': rc %d, message '%s'", bad[i].text, rc, dl_error_last()->message);
		assert_null(wi);
	}
}

/* ------------------------------------------------------------------ */

static int alloc_metadata(void *ctx)
{
	dl_metadata *md = NULL;
	int rc = dl_metadata_parse(&md, ctx, strlen(ctx), NULL);
	if (rc < 0)
		return rc;
	json_t *j = NULL;
	rc = dl_metadata_to_json(&j, md);
	json_decref(j);
	if (rc == 0) {
		dl_buf b = DL_BUF_INIT;
		rc = dl_metadata_write(md, &b);
		dl_buf_free(&b);
	}
	dl_metadata_free(md);
	return rc;
}

static int alloc_wheel_file(void *ctx)
{
	dl_wheel_info *wi = NULL;
	int rc = dl_metadata_parse_wheel_file(&wi, ctx, strlen(ctx), NULL);
	dl_wheel_info_free(wi);
	return rc;
}

static void test_alloc_failures(void **state)
{
	(void)state;
	dltest_each_alloc_failure(alloc_metadata, (void *)SAMPLE);
	/* A version that owns heap memory (a local label). */
	dltest_each_alloc_failure(alloc_metadata, "Metadata-Version: 2.1\nName: a\nVersion: 1.0+local.7\n");
	dltest_each_alloc_failure(alloc_wheel_file, "Wheel-Version: 1.0\nTag: py2.py3-none-any\nTag: cp3-abi3-any\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_sample),
		cmocka_unit_test(test_line_endings_and_bom),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_lenient_and_newer),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_write_roundtrip),
		cmocka_unit_test(test_wheel_file),
		cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
