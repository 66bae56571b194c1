/*
 * test_toml.c - the TOML reader, document model, accessors, builder and
 * writer: one group of cases per rule, each with exact values and, for bad
 * input, the exact error code and the exact positioned message.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dltest.h"
#include "deeplock/toml.h"

/* ---- helpers ---- */

static dl_toml_doc *parse_ok(const char *text)
{
	dl_toml_doc *doc = NULL;
	int rc = dl_toml_parse(&doc, text, strlen(text), "t.toml", NULL);
	if (rc != 0)
		fail_msg("unexpected parse error %d: %s\ninput:\n%s", rc, dl_error_last()->message, text);
	return doc;
}

static void expect_errn(const char *text, size_t len, int code, const char *msg)
{
	dl_toml_doc *doc = NULL;
	/* an exact-size copy, so ASan sees any read past the end */
	char *copy = malloc(len ? len : 1);
	memcpy(copy, text, len);
	int rc = dl_toml_parse(&doc, copy, len, "t.toml", NULL);
	free(copy);
	if (rc == 0) {
		dl_toml_doc_free(doc);
		fail_msg("accepted invalid input:\n%s", text);
	}
	assert_null(doc);
	if (rc != code || strcmp(dl_error_last()->message, msg) != 0)
		fail_msg("input:\n%s\nwant %d \"%s\"\ngot  %d \"%s\"", text, code, msg, rc, dl_error_last()->message);
}

static void expect_err(const char *text, const char *msg)
{
	expect_errn(text, strlen(text), DL_EPARSE, msg);
}

static const dl_toml_value *path(const dl_toml_doc *doc, const char *p)
{
	const dl_toml_value *v = dl_toml_get_path(dl_toml_doc_root(doc), p);
	if (v == NULL)
		fail_msg("no value at %s", p);
	return v;
}

static const char *str_at(const dl_toml_doc *doc, const char *p)
{
	const char *s = dl_toml_value_string(path(doc, p), NULL);
	if (s == NULL)
		fail_msg("%s is not a string", p);
	return s;
}

static void assert_pos(const dl_toml_value *v, unsigned long line, unsigned long col)
{
	if (dl_toml_value_line(v) != line || dl_toml_value_column(v) != col)
		fail_msg("position %lu:%lu, want %lu:%lu", dl_toml_value_line(v), dl_toml_value_column(v), line, col);
}

/* Write a document and return the text (static buffer per call site is
 * not needed: the caller frees). */
static char *write_doc(const dl_toml_value *root)
{
	dl_buf b = DL_BUF_INIT;
	int rc = dl_toml_write(&b, root);
	if (rc != 0)
		fail_msg("write failed: %s", dl_error_last()->message);
	char *s = dl_buf_detach(&b, NULL);
	return s;
}

static void assert_writes(const dl_toml_value *root, const char *want)
{
	char *got = write_doc(root);
	if (strcmp(got, want) != 0)
		fail_msg("writer output differs\n--- want\n%s--- got\n%s---", want, got);
	/* and it reads back to an equal tree */
	dl_toml_doc *again = parse_ok(got);
	assert_true(dl_toml_value_equal(root, dl_toml_doc_root(again)));
	dl_toml_doc_free(again);
	dl_free(got);
}

/* ---- scalars ---- */

static void test_scalars(void **state)
{
	(void)state;
	dl_toml_doc *doc = parse_ok("s = \"hi\"\n"
	                            "i = -42\n"
	                            "f = 6.5e-1\n"
	                            "t = true\n"
	                            "b = false\n"
	                            "h = 0xDEAD_beef\n"
	                            "o = 0o755\n"
	                            "bin = 0b1101\n"
	                            "u = 1_000_000\n"
	                            "max = 9223372036854775807\n"
	                            "min = -9223372036854775808\n"
	                            "z = +0\n"
	                            "hmax = 0x7fffffffffffffff\n");
	assert_string_equal(str_at(doc, "s"), "hi");
	assert_int_equal(dl_toml_value_integer(path(doc, "i")), -42);
	assert_true(dl_toml_value_float(path(doc, "f")) == 0.65);
	assert_true(dl_toml_value_boolean(path(doc, "t")));
	assert_int_equal(dl_toml_value_type(path(doc, "b")), DL_TOML_BOOLEAN);
	assert_false(dl_toml_value_boolean(path(doc, "b")));
	assert_int_equal(dl_toml_value_integer(path(doc, "h")), 0xdeadbeef);
	assert_int_equal(dl_toml_value_integer(path(doc, "o")), 0755);
	assert_int_equal(dl_toml_value_integer(path(doc, "bin")), 13);
	assert_int_equal(dl_toml_value_integer(path(doc, "u")), 1000000);
	assert_true(dl_toml_value_integer(path(doc, "max")) == INT64_MAX);
	assert_true(dl_toml_value_integer(path(doc, "min")) == INT64_MIN);
	assert_int_equal(dl_toml_value_integer(path(doc, "z")), 0);
	assert_true(dl_toml_value_integer(path(doc, "hmax")) == INT64_MAX);
	/* typed accessors do not convert */
	assert_null(dl_toml_value_string(path(doc, "i"), NULL));
	assert_int_equal(dl_toml_value_integer(path(doc, "s")), 0);
	assert_null(dl_toml_value_datetime(path(doc, "s")));
	dl_toml_doc_free(doc);
}

static void test_integer_errors(void **state)
{
	(void)state;
	expect_err("a = 9223372036854775808\n", "t.toml:1:5: integer '9223372036854775808' does not fit in 64 bits");
	expect_err("a = -9223372036854775809\n", "t.toml:1:5: integer '-9223372036854775809' does not fit in 64 bits");
	expect_err("a = 0x8000000000000000\n", "t.toml:1:5: integer '0x8000000000000000' does not fit in 64 bits");
	expect_err("a = 012\n", "t.toml:1:5: invalid number '012': leading zeros are not allowed");
	expect_err("a = 1__2\n", "t.toml:1:5: invalid number '1__2'");
	expect_err("a = 1_\n", "t.toml:1:5: invalid number '1_'");
	expect_err("a = -0x1\n", "t.toml:1:5: invalid number '-0x1': hexadecimal, octal and binary integers take no sign");
	expect_err("a = 0o8\n", "t.toml:1:5: invalid octal integer '0o8'");
	expect_err("a = 0b102\n", "t.toml:1:5: invalid binary integer '0b102'");
	expect_err("a = 0x\n", "t.toml:1:5: invalid hexadecimal integer '0x'");
	expect_err("a = 0X1\n", "t.toml:1:5: invalid number '0X1'");
	expect_err("a = 1 2\n", "t.toml:1:7: expected the end of the line after a key/value pair, found '2'");
}

static void test_floats(void **state)
{
	(void)state;
	dl_toml_doc *doc = parse_ok("a = 3.14\nb = -0.0\nc = 1e6\nd = 1E-2\ne = 6.626e-34\nf = 9_224_617.445_991\n"
	                            "g = inf\nh = -inf\ni = +inf\nj = nan\nk = -nan\nl = 0e0\nm = 1e0_1\n");
	assert_true(dl_toml_value_float(path(doc, "a")) == 3.14);
	assert_true(dl_toml_value_float(path(doc, "b")) == 0.0 && signbit(dl_toml_value_float(path(doc, "b"))));
	assert_true(dl_toml_value_float(path(doc, "c")) == 1e6);
	assert_true(dl_toml_value_float(path(doc, "d")) == 0.01);
	assert_true(dl_toml_value_float(path(doc, "e")) == 6.626e-34);
	assert_true(dl_toml_value_float(path(doc, "f")) == 9224617.445991);
	assert_true(isinf(dl_toml_value_float(path(doc, "g"))) && dl_toml_value_float(path(doc, "g")) > 0);
	assert_true(dl_toml_value_float(path(doc, "h")) < 0 && isinf(dl_toml_value_float(path(doc, "h"))));
	assert_true(isinf(dl_toml_value_float(path(doc, "i"))));
	assert_true(isnan(dl_toml_value_float(path(doc, "j"))));
	assert_true(isnan(dl_toml_value_float(path(doc, "k"))));
	assert_true(dl_toml_value_float(path(doc, "l")) == 0.0);
	assert_true(dl_toml_value_float(path(doc, "m")) == 1e1);
	assert_int_equal(dl_toml_value_type(path(doc, "c")), DL_TOML_FLOAT);
	dl_toml_doc_free(doc);

	expect_err("a = 1.\n", "t.toml:1:5: invalid float '1.': expected digits after the decimal point");
	expect_err("a = .5\n", "t.toml:1:5: expected a value, found '.'");
	expect_err("a = 1e\n", "t.toml:1:5: invalid float '1e': expected digits in the exponent");
	expect_err("a = 1.5e_3\n", "t.toml:1:5: invalid float '1.5e_3': expected digits in the exponent");
	expect_err("a = 01.5\n", "t.toml:1:5: invalid number '01.5': leading zeros are not allowed");
	expect_err("a = 1_.5\n", "t.toml:1:5: invalid number '1_.5'");
	expect_err("a = Inf\n", "t.toml:1:5: expected a value, found 'I'");
	expect_err("a = nan_\n", "t.toml:1:5: invalid number 'nan_'");
}

static void test_strings(void **state)
{
	(void)state;
	dl_toml_doc *doc = parse_ok(
		"basic = \"tab\\there \\\"q\\\" \\\\ \\b\\f\\n\\r \\u00e9 \\U0001F600\"\n"
		"lit = 'C:\\path\\no \"escapes\"'\n"
		"ml = \"\"\"\nline one\nline two\\\n     continued \\\n\n   end\"\"\"\n"
		"mlq = \"\"\"two quotes at the end\"\"\"\"\"\n"
		"mll = '''\nraw \\n '' text'''\n"
		"crlf = \"\"\"a\r\nb\"\"\"\n"
		"nul = \"a\\u0000b\"\n"
		"empty = \"\"\n"
		"utf8 = \"h\xc3\xa9llo \xe2\x82\xac\"\n");
	assert_string_equal(str_at(doc, "basic"), "tab\there \"q\" \\ \b\f\n\r \xc3\xa9 \xf0\x9f\x98\x80");
	assert_string_equal(str_at(doc, "lit"), "C:\\path\\no \"escapes\"");
	assert_string_equal(str_at(doc, "ml"), "line one\nline twocontinued end");
	assert_string_equal(str_at(doc, "mlq"), "two quotes at the end\"\"");
	assert_string_equal(str_at(doc, "mll"), "raw \\n '' text");
	assert_string_equal(str_at(doc, "crlf"), "a\nb");
	size_t len = 0;
	const char *nul = dl_toml_value_string(path(doc, "nul"), &len);
	assert_int_equal(len, 3);
	assert_memory_equal(nul, "a\0b", 3);
	assert_string_equal(str_at(doc, "empty"), "");
	assert_string_equal(str_at(doc, "utf8"), "h\xc3\xa9llo \xe2\x82\xac");
	dl_toml_doc_free(doc);

	expect_err("a = \"x\\qy\"\n", "t.toml:1:7: invalid escape sequence: backslash followed by 'q'");
	expect_err("a = \"\\ud800\"\n", "t.toml:1:6: escape \\ud800 is not a Unicode scalar value");
	expect_err("a = \"\\U00110000\"\n", "t.toml:1:6: escape \\U00110000 is not a Unicode scalar value");
	expect_err("a = \"\\u12\"\n", "t.toml:1:6: \\u escape needs 4 hex digits");
	expect_err("a = \"\\x41\"\n", "t.toml:1:6: invalid escape sequence: backslash followed by 'x'");
	expect_err("a = \"open\nb = 1\n", "t.toml:1:5: unterminated string (a basic string ends on its line)");
	expect_err("a = 'open\n", "t.toml:1:5: unterminated literal string (it ends on its line)");
	expect_err("a = \"\"\"never closed\n\n", "t.toml:1:5: unterminated multi-line string");
	expect_err("a = \"\"\"x\"\"\"\"\"\"\n", "t.toml:1:12: three quotes in a row must be escaped inside a multi-line string");
	/* a backslash followed by spaces but no line break is not a line-ending backslash */
	expect_err("a = \"\"\"x\\  y\"\"\"\n", "t.toml:1:9: invalid escape sequence: backslash followed by a space");
	expect_err("a = \"tab\tok but \x01 not\"\n", "t.toml:1:17: control character U+0001 is not allowed in TOML");
	expect_err("a = \"a\" \"b\"\n", "t.toml:1:9: expected the end of the line after a key/value pair, found '\"'");
}

static void test_keys(void **state)
{
	(void)state;
	dl_toml_doc *doc = parse_ok("bare_key-1 = 1\n"
	                            "\"quoted key\" = 2\n"
	                            "'lit.key' = 3\n"
	                            "a . b . \"c.d\" = 4\n"
	                            "\"\" = 5\n"
	                            "1234 = 6\n"
	                            "3.14 = 7\n");
	assert_int_equal(dl_toml_value_integer(path(doc, "bare_key-1")), 1);
	assert_int_equal(dl_toml_value_integer(path(doc, "quoted key")), 2);
	assert_int_equal(dl_toml_value_integer(dl_toml_table_get(dl_toml_doc_root(doc), "lit.key")), 3);
	assert_int_equal(dl_toml_value_integer(path(doc, "a.b.\"c.d\"")), 4);
	assert_int_equal(dl_toml_value_integer(dl_toml_table_getn(dl_toml_doc_root(doc), "", 0)), 5);
	assert_int_equal(dl_toml_value_integer(path(doc, "1234")), 6);
	assert_int_equal(dl_toml_value_integer(path(doc, "3.14")), 7);
	dl_toml_doc_free(doc);

	expect_err("= 1\n", "t.toml:1:1: expected a key, found '='");
	expect_err("a b = 1\n", "t.toml:1:3: expected '=' after the key, found 'b'");
	expect_err("a. = 1\n", "t.toml:1:4: expected a key, found '='");
	expect_err("\"\"\"a\"\"\" = 1\n", "t.toml:1:1: a key cannot be a multi-line string");
	expect_err("a =\n", "t.toml:1:4: expected a value, found end of line");
	expect_err("a = 1\na = 2\n", "t.toml:2:1: duplicate key 'a' (first defined at line 1)");
	expect_err("a = 1\n\"a\" = 2\n", "t.toml:2:1: duplicate key 'a' (first defined at line 1)");
	expect_err("x.\"y z\" = 1\nx.'y z' = 2\n", "t.toml:2:3: duplicate key 'x.\"y z\"' (first defined at line 1)");
	expect_err("\xc3\xa9 = 1\n", "t.toml:1:1: expected a key, found '\xc3\xa9' (U+00E9)");
}

/* ---- tables and the redefinition rules ---- */

static void test_tables_valid(void **state)
{
	(void)state;
	/* the specification's own examples of what is allowed */
	dl_toml_doc *doc = parse_ok("[fruit]\n"
	                            "apple.color = \"red\"\n"
	                            "apple.taste.sweet = true\n"
	                            "[fruit.apple.texture]\n"
	                            "smooth = true\n"
	                            "[x.y.z.w]\n"
	                            "[x]\n"
	                            "k = 1\n"
	                            "[animal]\n"
	                            "[[fruits]]\n"
	                            "name = \"apple\"\n"
	                            "[fruits.physical]\n"
	                            "color = \"red\"\n"
	                            "[[fruits.varieties]]\n"
	                            "name = \"red delicious\"\n"
	                            "[[fruits.varieties]]\n"
	                            "name = \"granny smith\"\n"
	                            "[[fruits]]\n"
	                            "name = \"banana\"\n"
	                            "[[fruits.varieties]]\n"
	                            "name = \"plantain\"\n");
	assert_true(dl_toml_value_boolean(path(doc, "fruit.apple.taste.sweet")));
	assert_true(dl_toml_value_boolean(path(doc, "fruit.apple.texture.smooth")));
	assert_int_equal(dl_toml_value_integer(path(doc, "x.k")), 1);
	assert_int_equal(dl_toml_table_len(path(doc, "x.y.z.w")), 0);
	assert_int_equal(dl_toml_table_len(path(doc, "animal")), 0);
	assert_int_equal(dl_toml_array_len(path(doc, "fruits")), 2);
	assert_string_equal(str_at(doc, "fruits[0].physical.color"), "red");
	assert_string_equal(str_at(doc, "fruits[0].varieties[1].name"), "granny smith");
	assert_string_equal(str_at(doc, "fruits[1].varieties[0].name"), "plantain");
	assert_null(dl_toml_get_path(dl_toml_doc_root(doc), "fruits[2]"));
	/* key order is the source order */
	const char *key = NULL;
	size_t keylen = 0;
	const dl_toml_value *root = dl_toml_doc_root(doc);
	assert_int_equal(dl_toml_table_len(root), 4);
	dl_toml_table_at(root, 0, &key, &keylen);
	assert_string_equal(key, "fruit");
	dl_toml_table_at(root, 3, &key, &keylen);
	assert_string_equal(key, "fruits");
	assert_int_equal(keylen, 6);
	assert_null(dl_toml_table_at(root, 4, &key, &keylen));
	/* positions: headers, the key that created a table implicitly, values */
	assert_pos(path(doc, "fruit"), 1, 1);
	assert_pos(path(doc, "fruit.apple"), 2, 1);
	assert_pos(path(doc, "fruit.apple.taste"), 3, 7);
	assert_pos(path(doc, "x"), 7, 1);
	assert_pos(path(doc, "x.y.z"), 6, 6);
	assert_pos(path(doc, "fruits"), 10, 1);
	assert_pos(path(doc, "fruits[1]"), 18, 1);
	assert_pos(path(doc, "fruits[1].name"), 19, 8);
	dl_toml_doc_free(doc);

	/* an implicit table may be defined once, by a header or by dotted keys */
	doc = parse_ok("[a.b.c]\nz = 1\n[a]\nb.d = 2\n");
	assert_int_equal(dl_toml_value_integer(path(doc, "a.b.d")), 2);
	dl_toml_doc_free(doc);
	doc = parse_ok("[[a.b]]\n[a]\nx = 1\n");
	assert_int_equal(dl_toml_array_len(path(doc, "a.b")), 1);
	dl_toml_doc_free(doc);
}

static void test_tables_invalid(void **state)
{
	(void)state;
	expect_err("[a]\n[a]\n", "t.toml:2:1: table [a] is defined twice (first at line 1)");
	expect_err("[a.b]\n[a]\n[a]\n", "t.toml:3:1: table [a] is defined twice (first at line 2)");
	expect_err("[fruit]\napple.color = 1\n[fruit.apple]\n",
	           "t.toml:3:1: table [fruit.apple] is already defined by dotted keys at line 2");
	expect_err("a.b = 1\n[a]\n", "t.toml:2:1: table [a] is already defined by dotted keys at line 1");
	expect_err("[a.b.c]\nz = 9\n[a]\nb.c.t = 1\n",
	           "t.toml:4:3: cannot add keys to table 'a.b.c' with a dotted key: it was defined at line 1");
	expect_err("a = {}\n[a.b]\n",
	           "t.toml:2:2: cannot use 'a' as a table: it is already defined as an inline table at line 1");
	expect_err("a = {b = 1}\na.c = 2\n",
	           "t.toml:2:1: cannot add keys to 'a' with a dotted key: it is already defined as an inline table at line 1");
	expect_err("a = {b = {}, b.c = 2}\n",
	           "t.toml:1:14: cannot add keys to 'b' with a dotted key: it is already defined as an inline table at line 1");
	expect_err("t = {x = {}}\n[t.x]\n",
	           "t.toml:2:2: cannot use 't' as a table: it is already defined as an inline table at line 1");
	expect_err("a = []\n[[a]]\n", "t.toml:2:1: cannot append to [[a]]: it is already defined as an array at line 1");
	expect_err("a = [{}]\n[a.b]\n", "t.toml:2:2: cannot use 'a' as a table: it is already defined as an array at line 1");
	expect_err("[[a]]\n[a]\n", "t.toml:2:1: cannot define table [a]: it is already defined as an array of tables at line 1");
	expect_err("[a]\n[[a]]\n", "t.toml:2:1: cannot append to [[a]]: it is already defined as a table at line 1");
	expect_err("[[a.b]]\n[a]\nb.y = 2\n",
	           "t.toml:3:1: cannot add keys to 'a.b' with a dotted key: it is already defined as an array of tables at line 1");
	expect_err("a = 1\n[a.b]\n", "t.toml:2:2: cannot use 'a' as a table: it is already defined as an integer at line 1");
	expect_err("a = 1\na.b = 2\n",
	           "t.toml:2:1: cannot add keys to 'a' with a dotted key: it is already defined as an integer at line 1");
	expect_err("[a]\nb = 1\n[a.b]\n", "t.toml:3:1: cannot define table [a.b]: it is already defined as an integer at line 2");
	expect_err("[[p]]\nx = 1\nx = 2\n", "t.toml:3:1: duplicate key 'p[0].x' (first defined at line 2)");
	expect_err("[a]\n[a.b]\n[a.b]\n", "t.toml:3:1: table [a.b] is defined twice (first at line 2)");
	expect_err("[ [a]]\n", "t.toml:1:3: expected a key, found '['");
	expect_err("[[a] ]\n", "t.toml:1:5: expected ']]' to close the table header, found a space");
	expect_err("[a] b = 1\n", "t.toml:1:5: expected the end of the line after a table header, found 'b'");
	expect_err("[]\n", "t.toml:1:2: expected a key, found ']'");
}

static void test_arrays_inline_tables(void **state)
{
	(void)state;
	dl_toml_doc *doc = parse_ok("a = [ 1, \"two\", [3.0, []], {x = 4}, ]\n"
	                            "b = [\n  1, # one\n\n  2 # two\n]\n"
	                            "c = { name = \"n\", dotted.key = 1, nested = { deep = true } }\n"
	                            "d = {}\n"
	                            "e = []\n");
	const dl_toml_value *a = path(doc, "a");
	assert_int_equal(dl_toml_array_len(a), 4);
	assert_int_equal(dl_toml_value_type(dl_toml_array_at(a, 1)), DL_TOML_STRING);
	assert_int_equal(dl_toml_array_len(path(doc, "a[2]")), 2);
	assert_int_equal(dl_toml_value_integer(path(doc, "a[3].x")), 4);
	assert_null(dl_toml_array_at(a, 4));
	assert_int_equal(dl_toml_value_integer(path(doc, "b[1]")), 2);
	assert_int_equal(dl_toml_value_integer(path(doc, "c.dotted.key")), 1);
	assert_true(dl_toml_value_boolean(path(doc, "c.nested.deep")));
	assert_int_equal(dl_toml_table_len(path(doc, "d")), 0);
	assert_int_equal(dl_toml_array_len(path(doc, "e")), 0);
	assert_int_equal(dl_toml_value_style(path(doc, "c")), DL_TOML_STYLE_INLINE);
	assert_int_equal(dl_toml_value_style(path(doc, "a")), DL_TOML_STYLE_INLINE);
	assert_pos(path(doc, "b[1]"), 5, 3);
	assert_pos(path(doc, "c.nested.deep"), 7, 53);
	dl_toml_doc_free(doc);

	expect_err("a = [1 2]\n", "t.toml:1:8: expected ',' or ']' after an array element, found '2'");
	expect_err("a = [1,,2]\n", "t.toml:1:8: expected a value, found ','");
	expect_err("a = [,]\n", "t.toml:1:6: expected a value, found ','");
	expect_err("a = [1,\n", "t.toml:1:5: unterminated array");
	expect_err("a = {x = 1,}\n", "t.toml:1:12: a trailing comma is not allowed in an inline table");
	expect_err("a = {x = 1\n}\n", "t.toml:1:11: an inline table must be on one line (found a line break)");
	expect_err("a = {\nx = 1}\n", "t.toml:1:6: an inline table must be on one line (found a line break)");
	expect_err("a = {x = 1 y = 2}\n", "t.toml:1:12: expected ',' or '}' after a value in an inline table, found 'y'");
	expect_err("a = {x = 1, x = 2}\n", "t.toml:1:13: duplicate key 'x' (first defined at line 1)");
	expect_err("a = {", "t.toml:1:5: unterminated inline table");
}

static void test_datetimes(void **state)
{
	(void)state;
	dl_toml_doc *doc = parse_ok("odt = 1979-05-27T00:32:00.999999-07:00\n"
	                            "utc = 1979-05-27 07:32:00z\n"
	                            "ldt = 1979-05-27t07:32:00.123456789123\n"
	                            "ld = 2000-02-29\n"
	                            "lt = 23:59:60.5\n"
	                            "pos = 0001-01-01T00:00:00+23:59\n");
	const dl_toml_datetime *dt = dl_toml_value_datetime(path(doc, "odt"));
	assert_int_equal(dl_toml_value_type(path(doc, "odt")), DL_TOML_DATETIME);
	assert_int_equal(dt->year, 1979);
	assert_int_equal(dt->month, 5);
	assert_int_equal(dt->day, 27);
	assert_int_equal(dt->hour, 0);
	assert_int_equal(dt->minute, 32);
	assert_int_equal(dt->second, 0);
	assert_int_equal(dt->nanosecond, 999999000);
	assert_int_equal(dt->frac_digits, 6);
	assert_int_equal(dt->offset_minutes, -420);
	assert_int_equal(dl_toml_value_type(path(doc, "utc")), DL_TOML_DATETIME);
	assert_int_equal(dl_toml_value_datetime(path(doc, "utc"))->offset_minutes, 0);
	assert_int_equal(dl_toml_value_type(path(doc, "ldt")), DL_TOML_DATETIME_LOCAL);
	assert_int_equal(dl_toml_value_datetime(path(doc, "ldt"))->nanosecond, 123456789);
	assert_int_equal(dl_toml_value_type(path(doc, "ld")), DL_TOML_DATE_LOCAL);
	assert_int_equal(dl_toml_value_type(path(doc, "lt")), DL_TOML_TIME_LOCAL);
	assert_int_equal(dl_toml_value_datetime(path(doc, "lt"))->second, 60);

	const char *keys[] = {"odt", "utc", "ldt", "ld", "lt", "pos"};
	const char *want[] = {"1979-05-27T00:32:00.999999-07:00", "1979-05-27T07:32:00Z", "1979-05-27T07:32:00.123456789",
	                      "2000-02-29", "23:59:60.5", "0001-01-01T00:00:00+23:59"};
	for (size_t i = 0; i < 6; i++) {
		dl_buf b = DL_BUF_INIT;
		const dl_toml_value *v = path(doc, keys[i]);
		assert_int_equal(dl_toml_datetime_format(&b, dl_toml_value_type(v), dl_toml_value_datetime(v)), 0);
		assert_string_equal(dl_buf_cstr(&b), want[i]);
		dl_buf_free(&b);
	}
	dl_toml_doc_free(doc);

	expect_err("d = 2001-02-29\n", "t.toml:1:13: invalid date-time: day out of range for the month");
	expect_err("d = 1900-02-29\n", "t.toml:1:13: invalid date-time: day out of range for the month");
	expect_err("d = 2000-13-01\n", "t.toml:1:10: invalid date-time: month out of range (01-12)");
	expect_err("d = 2000-04-31\n", "t.toml:1:13: invalid date-time: day out of range for the month");
	expect_err("d = 24:00:00\n", "t.toml:1:13: invalid date-time: hour out of range (00-23)");
	expect_err("d = 12:60:00\n", "t.toml:1:13: invalid date-time: minute out of range (00-59)");
	expect_err("d = 12:00:61\n", "t.toml:1:13: invalid date-time: second out of range (00-60)");
	expect_err("d = 12:00\n", "t.toml:1:10: invalid date-time: expected ':' and seconds after the minute (TOML 1.0 requires seconds)");
	expect_err("d = 2000-01-01T12:00:00+24:00\n", "t.toml:1:25: invalid date-time: offset out of range");
	expect_err("d = 2000-01-01T12:00:00+1:00\n", "t.toml:1:25: invalid date-time: expected an offset +HH:MM");
	expect_err("d = 2000-01-01T\n", "t.toml:1:16: invalid date-time: expected two digits for the hour");
	expect_err("d = 12:00:00.\n", "t.toml:1:14: invalid date-time: expected digits after the decimal point of the seconds");
	expect_err("d = 12:00:00Z\n", "t.toml:1:13: expected the end of the line after a key/value pair, found 'Z'");
	expect_err("d = 2000-1-01\n", "t.toml:1:10: invalid date-time: expected two digits for the month and '-'");

	/* the standalone parser */
	dl_toml_datetime d;
	dl_toml_type t;
	assert_int_equal(dl_toml_datetime_parse(&d, &t, "2024-02-29T10:11:12.5+05:30", 27), 0);
	assert_int_equal(t, DL_TOML_DATETIME);
	assert_int_equal(d.offset_minutes, 330);
	assert_int_equal(d.nanosecond, 500000000);
	assert_int_equal(dl_toml_datetime_parse(&d, &t, "2024-02-29 ", 11), DL_EPARSE);
	assert_string_equal(dl_error_last()->message,
	                    "invalid date-time '2024-02-29 ' at offset 10: unexpected text after the date-time");
	assert_int_equal(dl_toml_datetime_parse(&d, &t, "hello", 5), DL_EPARSE);
	/* format refuses parts out of range */
	dl_buf b = DL_BUF_INIT;
	d.month = 13;
	assert_int_equal(dl_toml_datetime_format(&b, DL_TOML_DATE_LOCAL, &d), DL_EINVAL);
	assert_int_equal(dl_toml_datetime_format(&b, DL_TOML_STRING, &d), DL_EINVAL);
	/* a fraction without frac_digits prints as many digits as it needs */
	dl_toml_datetime lt = {0, 0, 0, 1, 2, 3, 120000000, 0, 0};
	assert_int_equal(dl_toml_datetime_format(&b, DL_TOML_TIME_LOCAL, &lt), 0);
	assert_string_equal(dl_buf_cstr(&b), "01:02:03.12");
	dl_buf_free(&b);
}

static void test_whole_input(void **state)
{
	(void)state;
	/* byte order mark, CRLF, comments, no final newline */
	dl_toml_doc *doc = parse_ok("\xef\xbb\xbf# comment\r\na = 1 # trailing\r\n\r\n[t] # header comment\r\nb = 'x'");
	assert_int_equal(dl_toml_value_integer(path(doc, "a")), 1);
	assert_pos(path(doc, "a"), 2, 5);
	assert_string_equal(str_at(doc, "t.b"), "x");
	assert_pos(path(doc, "t.b"), 5, 5);
	dl_toml_doc_free(doc);
	doc = parse_ok("");
	assert_int_equal(dl_toml_table_len(dl_toml_doc_root(doc)), 0);
	assert_string_equal(dl_toml_doc_source(doc), "t.toml");
	dl_toml_doc_free(doc);
	/* columns count characters, not bytes */
	doc = parse_ok("\"\xc3\xa9t\xc3\xa9\" = { \"\xe2\x82\xac\" = 1, x = 2 }\n");
	assert_pos(path(doc, "\xc3\xa9t\xc3\xa9.x"), 1, 24);
	dl_toml_doc_free(doc);

	expect_err("a = 1\rb = 2\n", "t.toml:1:6: carriage return not followed by a line feed");
	expect_err("# a long comment line, longer than a word\nkey = 'value with \xc3\xa9'\nother = \"x\x7f\"\n",
	           "t.toml:3:11: control character U+007F is not allowed in TOML");
	expect_err("k = \"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9 \xe2\x82\" = 1\n",
	           "t.toml:1:15: invalid UTF-8 (byte 0xE2)");
	expect_err("# bad \x7f\n", "t.toml:1:7: control character U+007F is not allowed in TOML");
	expect_err("a = \"\xc0\xaf\"\n", "t.toml:1:6: invalid UTF-8 (byte 0xC0)");          /* overlong */
	expect_err("a = \"\xed\xa0\x80\"\n", "t.toml:1:6: invalid UTF-8 (byte 0xED)");      /* surrogate */
	expect_err("a = \"\xf4\x90\x80\x80\"\n", "t.toml:1:6: invalid UTF-8 (byte 0xF4)");  /* > U+10FFFF */
	expect_err("\xc3\xa9\xc3\xa9 # \xff\n", "t.toml:1:6: invalid UTF-8 (byte 0xFF)");
	expect_errn("a = \"x\0\"\n", 9, DL_EPARSE, "t.toml:1:7: control character U+0000 is not allowed in TOML");
	expect_err("a = 1\n\xef\xbb\xbf b = 2\n", "t.toml:2:1: expected a key, found '\xef\xbb\xbf' (U+FEFF)");
	expect_err("a = 1 b = 2\n", "t.toml:1:7: expected the end of the line after a key/value pair, found 'b'");
	/* the input is never read past its length: "a = 12" cut after "1" */
	dl_toml_doc *d2 = NULL;
	assert_int_equal(dl_toml_parse(&d2, "a = 12", 5, NULL, NULL), 0);
	assert_int_equal(dl_toml_value_integer(dl_toml_table_get(dl_toml_doc_root(d2), "a")), 1);
	assert_null(dl_toml_doc_source(d2));
	dl_toml_doc_free(d2);
	/* an unnamed source is "<input>" in messages */
	assert_int_equal(dl_toml_parse(&d2, "=", 1, NULL, NULL), DL_EPARSE);
	assert_string_equal(dl_error_last()->message, "<input>:1:1: expected a key, found '='");
}

static void test_limits(void **state)
{
	(void)state;
	dl_toml_parse_options opts = DL_TOML_PARSE_OPTIONS_INIT;
	dl_toml_doc *doc = NULL;
	/* nesting of arrays: 256 levels pass, 257 fail, and deep hostile input does not recurse */
	char deep[40000];
	for (int n = 256; n <= 257; n++) {
		size_t o = (size_t)snprintf(deep, sizeof(deep), "a = ");
		for (int i = 0; i < n; i++)
			deep[o++] = '[';
		for (int i = 0; i < n; i++)
			deep[o++] = ']';
		deep[o] = '\0';
		int rc = dl_toml_parse(&doc, deep, o, "deep.toml", NULL);
		if (n == 256) {
			assert_int_equal(rc, 0);
			dl_toml_doc_free(doc);
		} else {
			assert_int_equal(rc, DL_ELIMIT);
			assert_string_equal(dl_error_last()->message,
			                    "deep.toml:1:261: tables and arrays nested deeper than 256 levels");
		}
	}
	size_t o = (size_t)snprintf(deep, sizeof(deep), "a = ");
	for (int i = 0; i < 30000; i++)
		deep[o++] = '{';
	assert_int_equal(dl_toml_parse(&doc, deep, o, "deep.toml", NULL), DL_EPARSE);
	memset(deep, '[', 30000);
	assert_int_equal(dl_toml_parse(&doc, deep, 30000, "deep.toml", NULL), DL_EPARSE);
	/* dotted keys and header paths count as nesting too */
	opts.max_depth = 3;
	assert_int_equal(dl_toml_parse(&doc, "a.b.c = 1", 9, "k.toml", &opts), 0);
	dl_toml_doc_free(doc);
	assert_int_equal(dl_toml_parse(&doc, "a.b.c.d = [1]", 13, "k.toml", &opts), DL_ELIMIT);
	assert_string_equal(dl_error_last()->message, "k.toml:1:11: tables and arrays nested deeper than 3 levels");
	assert_int_equal(dl_toml_parse(&doc, "a.b.c.d.e = 1", 13, "k.toml", &opts), DL_ELIMIT);
	assert_string_equal(dl_error_last()->message, "k.toml:1:9: dotted key with more than 4 parts");
	assert_int_equal(dl_toml_parse(&doc, "a.b = [[1]]", 11, "k.toml", &opts), 0);
	dl_toml_doc_free(doc);
	assert_int_equal(dl_toml_parse(&doc, "a.b = [[[1]]]", 13, "k.toml", &opts), DL_ELIMIT);
	assert_string_equal(dl_error_last()->message, "k.toml:1:9: tables and arrays nested deeper than 3 levels");
	assert_int_equal(dl_toml_parse(&doc, "[a.b.c.d]", 9, "k.toml", &opts), DL_ELIMIT);
	assert_int_equal(dl_toml_parse(&doc, "[[a.b]]\n[a.b.c]", 15, "k.toml", &opts), DL_ELIMIT);
	assert_string_equal(dl_error_last()->message, "k.toml:2:6: tables and arrays nested deeper than 3 levels");
	/* input size */
	opts.max_depth = 0;
	opts.max_input = 8;
	assert_int_equal(dl_toml_parse(&doc, "a = 12345", 9, "big.toml", &opts), DL_ELIMIT);
	assert_string_equal(dl_error_last()->message, "big.toml: input of 9 bytes is larger than the limit of 8 bytes");
	assert_int_equal(dl_toml_parse(&doc, "a = 1234", 8, "big.toml", &opts), 0);
	dl_toml_doc_free(doc);
	/* bad options */
	opts.max_input = (size_t)2 << 30;
	assert_int_equal(dl_toml_parse(&doc, "", 0, NULL, &opts), DL_EINVAL);
	opts.max_input = 0;
	opts.version = 99;
	assert_int_equal(dl_toml_parse(&doc, "", 0, NULL, &opts), DL_EINVAL);
}

/* At the deepest nesting allowed, parsing, writing, comparing and naming a
 * value must all stay within the stack (they run under ASan here). */
static void test_deepest(void **state)
{
	(void)state;
	dl_toml_parse_options opts = DL_TOML_PARSE_OPTIONS_INIT;
	opts.max_depth = DL_TOML_MAX_DEPTH_LIMIT;
	static const char *const open[] = {"[", "{x.y = ", "{x = "};
	static const char *const close[] = {"]", "}", "}"};
	static const int levels[] = {DL_TOML_MAX_DEPTH_LIMIT, DL_TOML_MAX_DEPTH_LIMIT / 2, DL_TOML_MAX_DEPTH_LIMIT};
	for (int kind = 0; kind < 3; kind++) {
		dl_buf in = DL_BUF_INIT, out = DL_BUF_INIT, path = DL_BUF_INIT;
		dl_buf_puts(&in, "a = ");
		for (int i = 0; i < levels[kind]; i++)
			dl_buf_puts(&in, open[kind]);
		dl_buf_puts(&in, "1");
		for (int i = 0; i < levels[kind]; i++)
			dl_buf_puts(&in, close[kind]);
		dl_toml_doc *doc = NULL, *again = NULL;
		assert_int_equal(dl_toml_parse(&doc, in.ptr, in.len, "deep.toml", &opts), 0);
		assert_int_equal(dl_toml_write(&out, dl_toml_doc_root(doc)), 0);
		assert_int_equal(dl_toml_parse(&again, out.ptr, out.len, "again.toml", &opts), 0);
		assert_true(dl_toml_value_equal(dl_toml_doc_root(doc), dl_toml_doc_root(again)));
		const dl_toml_value *v = dl_toml_doc_root(again);
		while (dl_toml_table_len(v) + dl_toml_array_len(v) > 0)
			v = dl_toml_table_len(v) ? dl_toml_table_at(v, 0, NULL, NULL) : dl_toml_array_at(v, 0);
		assert_int_equal(dl_toml_value_integer(v), 1);
		assert_int_equal(dl_toml_value_path(&path, v), 0);
		assert_true(path.len > (size_t)DL_TOML_MAX_DEPTH_LIMIT);
		dl_toml_doc_free(doc);
		dl_toml_doc_free(again);
		/* one level more is refused */
		dl_buf_reset(&in);
		dl_buf_puts(&in, "a = ");
		for (int i = 0; i <= levels[kind]; i++)
			dl_buf_puts(&in, open[kind]);
		assert_int_equal(dl_toml_parse(&doc, in.ptr, in.len, "deep.toml", &opts), DL_ELIMIT);
		dl_buf_free(&in);
		dl_buf_free(&out);
		dl_buf_free(&path);
	}
}

static void test_big_table(void **state)
{
	(void)state;
	/* thousands of keys: the hash index must find every one and keep order */
	dl_buf b = DL_BUF_INIT;
	for (int i = 0; i < 5000; i++)
		dl_buf_printf(&b, "key%d = %d\n", i, i);
	dl_buf_puts(&b, "key77 = 1\n");
	dl_toml_doc *doc = NULL;
	assert_int_equal(dl_toml_parse(&doc, b.ptr, b.len, "big.toml", NULL), DL_EPARSE);
	assert_string_equal(dl_error_last()->message, "big.toml:5001:1: duplicate key 'key77' (first defined at line 78)");
	b.len -= strlen("key77 = 1\n");
	assert_int_equal(dl_toml_parse(&doc, b.ptr, b.len, "big.toml", NULL), 0);
	const dl_toml_value *root = dl_toml_doc_root(doc);
	assert_int_equal(dl_toml_table_len(root), 5000);
	for (int i = 0; i < 5000; i++) {
		char k[16];
		snprintf(k, sizeof(k), "key%d", i);
		assert_int_equal(dl_toml_value_integer(dl_toml_table_get(root, k)), i);
		const char *key;
		dl_toml_table_at(root, (size_t)i, &key, NULL);
		assert_string_equal(key, k);
	}
	assert_null(dl_toml_table_get(root, "key5000"));
	/* sorting keeps lookups working */
	dl_toml_table_sort((dl_toml_value *)root);
	const char *key;
	dl_toml_table_at(root, 0, &key, NULL);
	assert_string_equal(key, "key0");
	dl_toml_table_at(root, 1, &key, NULL);
	assert_string_equal(key, "key1");
	dl_toml_table_at(root, 2, &key, NULL);
	assert_string_equal(key, "key10");
	assert_int_equal(dl_toml_value_integer(dl_toml_table_get(root, "key4321")), 4321);
	dl_toml_doc_free(doc);
	dl_buf_free(&b);
}

/* ---- accessors and checked access ---- */

static void test_paths(void **state)
{
	(void)state;
	dl_toml_doc *doc = parse_ok("[tool.\"my.tool\"]\nx = [{ \"a b\" = [1, 2] }]\n[[packages]]\nname = 'a'\n");
	const dl_toml_value *root = dl_toml_doc_root(doc);
	const dl_toml_value *v = dl_toml_get_path(root, "tool.\"my.tool\".x[0].\"a b\"[1]");
	assert_non_null(v);
	assert_int_equal(dl_toml_value_integer(v), 2);
	dl_buf b = DL_BUF_INIT;
	assert_int_equal(dl_toml_value_path(&b, v), 0);
	assert_string_equal(dl_buf_cstr(&b), "tool.\"my.tool\".x[0].\"a b\"[1]");
	dl_buf_reset(&b);
	assert_int_equal(dl_toml_value_path(&b, path(doc, "packages[0].name")), 0);
	assert_string_equal(dl_buf_cstr(&b), "packages[0].name");
	dl_buf_reset(&b);
	assert_int_equal(dl_toml_value_path(&b, root), 0);
	assert_string_equal(dl_buf_cstr(&b), "");
	dl_buf_free(&b);
	assert_ptr_equal(dl_toml_value_parent(path(doc, "packages[0]")), path(doc, "packages"));
	assert_null(dl_toml_value_parent(root));
	/* malformed or missing paths */
	assert_null(dl_toml_get_path(root, "tool..x"));
	assert_null(dl_toml_get_path(root, "packages[x]"));
	assert_null(dl_toml_get_path(root, "packages[0"));
	assert_null(dl_toml_get_path(root, "tool.\"my.tool"));
	assert_null(dl_toml_get_path(root, "nope"));
	assert_null(dl_toml_get_path(root, "packages.name"));
	assert_ptr_equal(dl_toml_get_path(root, ""), root);
	dl_toml_doc_free(doc);
}

static void test_checked_access(void **state)
{
	(void)state;
	dl_toml_doc *doc = parse_ok("name = 42\n"
	                            "version = '1.0'\n"
	                            "[[packages]]\n"
	                            "name = 'a'\n"
	                            "[[packages]]\n"
	                            "name = 'b'\n"
	                            "version = 3\n"
	                            "wheels = {}\n");
	const dl_toml_value *root = dl_toml_doc_root(doc);
	const char *s = NULL;
	assert_int_equal(dl_toml_get_string(root, "name", &s), DL_EPARSE);
	assert_string_equal(dl_error_last()->message, "t.toml:1:8: 'name' must be a string, found integer");
	assert_int_equal(dl_toml_get_string(root, "version", &s), 0);
	assert_string_equal(s, "1.0");
	assert_int_equal(dl_toml_get_string(root, "missing", &s), DL_ENOTFOUND);
	assert_string_equal(dl_error_last()->message, "t.toml: missing key 'missing'");

	const dl_toml_value *pk = NULL;
	assert_int_equal(dl_toml_get_array(root, "packages", &pk), 0);
	const dl_toml_value *p1 = dl_toml_array_at(pk, 1);
	int64_t i = 0;
	assert_int_equal(dl_toml_get_string(p1, "version", &s), DL_EPARSE);
	assert_string_equal(dl_error_last()->message, "t.toml:7:11: 'packages[1].version' must be a string, found integer");
	assert_int_equal(dl_toml_get_integer(p1, "version", &i), 0);
	assert_int_equal(i, 3);
	assert_int_equal(dl_toml_get_integer(dl_toml_array_at(pk, 0), "version", &i), DL_ENOTFOUND);
	assert_string_equal(dl_error_last()->message, "t.toml:3:1: missing key 'version' in 'packages[0]'");
	const dl_toml_value *w = NULL;
	assert_int_equal(dl_toml_get_array(p1, "wheels", &w), DL_EPARSE);
	assert_string_equal(dl_error_last()->message, "t.toml:8:10: 'packages[1].wheels' must be an array, found table");
	assert_int_equal(dl_toml_get_table(p1, "wheels", &w), 0);
	bool bl;
	assert_int_equal(dl_toml_get_boolean(p1, "name", &bl), DL_EPARSE);
	assert_string_equal(dl_error_last()->message, "t.toml:6:8: 'packages[1].name' must be a boolean, found string");
	/* optional keys */
	const dl_toml_value *opt = (const dl_toml_value *)1;
	assert_int_equal(dl_toml_get(&opt, p1, "marker", DL_TOML_STRING, false), 0);
	assert_null(opt);
	assert_int_equal(dl_toml_get(&opt, p1, "name", DL_TOML_STRING, false), 0);
	assert_string_equal(dl_toml_value_string(opt, NULL), "b");
	assert_int_equal(dl_toml_get(&opt, p1, "name", DL_TOML_DATETIME, false), DL_EPARSE);
	assert_string_equal(dl_error_last()->message,
	                    "t.toml:6:8: 'packages[1].name' must be an offset date-time, found string");
	assert_int_equal(dl_toml_get(&opt, dl_toml_table_get(p1, "name"), "x", DL_TOML_STRING, true), DL_EINVAL);
	/* elements and semantic errors */
	assert_int_equal(dl_toml_expect(dl_toml_array_at(pk, 0), DL_TOML_TABLE), 0);
	assert_int_equal(dl_toml_expect(dl_toml_array_at(pk, 0), DL_TOML_STRING), DL_EPARSE);
	assert_string_equal(dl_error_last()->message, "t.toml:3:1: 'packages[0]' must be a string, found table");
	assert_int_equal(dl_toml_expect(root, DL_TOML_ARRAY), DL_EPARSE);
	assert_string_equal(dl_error_last()->message, "t.toml: expected an array, found table");
	assert_int_equal(dl_toml_value_error(path(doc, "version"), DL_EPARSE, "invalid version '%s'", "1.0"), DL_EPARSE);
	assert_string_equal(dl_error_last()->message, "t.toml:2:11: invalid version '1.0'");
	dl_toml_doc_free(doc);

	/* a document without a source name gives "line L, column C" */
	assert_int_equal(dl_toml_parse(&doc, "\n  x = 1", 8, NULL, NULL), 0);
	assert_int_equal(dl_toml_get_string(dl_toml_doc_root(doc), "x", &s), DL_EPARSE);
	assert_string_equal(dl_error_last()->message, "line 2, column 7: 'x' must be a string, found integer");
	dl_toml_doc_free(doc);
}

static void test_equal(void **state)
{
	(void)state;
	dl_toml_doc *a = parse_ok("x = 1\ny = [nan, -0.0, 1979-05-27T07:32:00.5Z]\n[t]\nk = 'v'\n");
	dl_toml_doc *b = parse_ok("t = { k = \"v\" }\ny = [-nan, -0.0, 1979-05-27 07:32:00.500z]\nx = 1\n");
	dl_toml_doc *c = parse_ok("x = 1\ny = [nan, 0.0, 1979-05-27T07:32:00.5Z]\n[t]\nk = 'v'\n");
	dl_toml_doc *d = parse_ok("x = 1\ny = [nan, -0.0, 1979-05-27T07:32:00.5+00:01]\n[t]\nk = 'v'\n");
	dl_toml_doc *e = parse_ok("x = 1.0\ny = [nan, -0.0, 1979-05-27T07:32:00.5Z]\n[t]\nk = 'v'\n");
	dl_toml_doc *f = parse_ok("x = 1\ny = [nan, -0.0, 1979-05-27T07:32:00.5Z]\n[t]\nk = 'v'\nextra = 1\n");
	assert_true(dl_toml_value_equal(dl_toml_doc_root(a), dl_toml_doc_root(b)));
	assert_false(dl_toml_value_equal(dl_toml_doc_root(a), dl_toml_doc_root(c)));
	assert_false(dl_toml_value_equal(dl_toml_doc_root(a), dl_toml_doc_root(d)));
	assert_false(dl_toml_value_equal(dl_toml_doc_root(a), dl_toml_doc_root(e)));
	assert_false(dl_toml_value_equal(dl_toml_doc_root(a), dl_toml_doc_root(f)));
	assert_false(dl_toml_value_equal(dl_toml_doc_root(f), dl_toml_doc_root(a)));
	dl_toml_doc_free(a);
	dl_toml_doc_free(b);
	dl_toml_doc_free(c);
	dl_toml_doc_free(d);
	dl_toml_doc_free(e);
	dl_toml_doc_free(f);
}

/* ---- builder and writer ---- */

/* A small pylock.toml in the shape PEP 751 shows. */
static int build_pylock(dl_toml_doc **out)
{
	dl_toml_doc *doc = NULL;
	dl_toml_value *root, *pkgs, *pkg, *wheels, *wheel, *hashes, *sdist, *arr;
	int rc = dl_toml_doc_new(&doc, "pylock.toml");
	if (rc < 0)
		return rc;
	root = dl_toml_doc_root(doc);
	if ((rc = dl_toml_table_set_string(doc, root, "lock-version", "1.0")) < 0 ||
	    (rc = dl_toml_table_set_string(doc, root, "created-by", "deeplock")) < 0 ||
	    (rc = dl_toml_table_set_string(doc, root, "requires-python", ">=3.9")) < 0 ||
	    (rc = dl_toml_table_add_array(&arr, doc, root, "environments")) < 0 ||
	    (rc = dl_toml_array_append_string(doc, arr, "sys_platform == \"linux\"")) < 0 ||
	    (rc = dl_toml_table_add_array(&pkgs, doc, root, "packages")) < 0)
		goto fail;
	for (int i = 0; i < 2; i++) {
		if ((rc = dl_toml_array_add_table(&pkg, doc, pkgs)) < 0 ||
		    (rc = dl_toml_table_set_string(doc, pkg, "name", i == 0 ? "attrs" : "setuptools")) < 0 ||
		    (rc = dl_toml_table_set_string(doc, pkg, "version", i == 0 ? "23.1.0" : "69.0.2")) < 0)
			goto fail;
		if (i == 0) {
			if ((rc = dl_toml_table_add_array(&wheels, doc, pkg, "wheels")) < 0)
				goto fail;
			dl_toml_value_set_style(wheels, DL_TOML_STYLE_MULTILINE);
			for (int w = 0; w < 2; w++) {
				if ((rc = dl_toml_array_add_table(&wheel, doc, wheels)) < 0 ||
				    (rc = dl_toml_table_set_string(doc, wheel, "name", w == 0 ? "attrs-23.1.0-py3-none-any.whl"
				                                                              : "attrs-23.1.0-py2.py3-none-any.whl")) < 0 ||
				    (rc = dl_toml_table_set_integer(doc, wheel, "size", 61160 + w)) < 0 ||
				    (rc = dl_toml_table_add_table(&hashes, doc, wheel, "hashes")) < 0 ||
				    (rc = dl_toml_table_set_string(doc, hashes, "sha256", w == 0 ? "1f28" : "9a3b")) < 0)
					goto fail;
			}
		} else {
			if ((rc = dl_toml_table_add_table(&sdist, doc, pkg, "sdist")) < 0)
				goto fail;
			dl_toml_value_set_style(sdist, DL_TOML_STYLE_INLINE);
			if ((rc = dl_toml_table_set_string(doc, sdist, "url", "https://example.org/s.tar.gz")) < 0 ||
			    (rc = dl_toml_table_add_table(&hashes, doc, sdist, "hashes")) < 0 ||
			    (rc = dl_toml_table_set_string(doc, hashes, "sha256", "c0ff")) < 0 ||
			    (rc = dl_toml_table_add_table(&hashes, doc, pkg, "tool")) < 0 ||
			    (rc = dl_toml_table_add_table(&hashes, doc, hashes, "deeplock")) < 0 ||
			    (rc = dl_toml_table_set_boolean(doc, hashes, "build-requirement", true)) < 0)
				goto fail;
		}
	}
	*out = doc;
	return 0;
fail:
	dl_toml_doc_free(doc);
	return rc;
}

static const char pylock_text[] =
	"lock-version = \"1.0\"\n"
	"created-by = \"deeplock\"\n"
	"requires-python = \">=3.9\"\n"
	"environments = [\"sys_platform == \\\"linux\\\"\"]\n"
	"\n"
	"[[packages]]\n"
	"name = \"attrs\"\n"
	"version = \"23.1.0\"\n"
	"wheels = [\n"
	"  { name = \"attrs-23.1.0-py3-none-any.whl\", size = 61160, hashes = { sha256 = \"1f28\" } },\n"
	"  { name = \"attrs-23.1.0-py2.py3-none-any.whl\", size = 61161, hashes = { sha256 = \"9a3b\" } },\n"
	"]\n"
	"\n"
	"[[packages]]\n"
	"name = \"setuptools\"\n"
	"version = \"69.0.2\"\n"
	"sdist = { url = \"https://example.org/s.tar.gz\", hashes = { sha256 = \"c0ff\" } }\n"
	"\n"
	"[packages.tool.deeplock]\n"
	"build-requirement = true\n";

static void test_write_pylock(void **state)
{
	(void)state;
	dl_toml_doc *doc = NULL;
	assert_int_equal(build_pylock(&doc), 0);
	assert_writes(dl_toml_doc_root(doc), pylock_text);
	/* the writer appends: a second document lands after the first */
	dl_buf b = DL_BUF_INIT;
	dl_buf_puts(&b, "# header\n");
	assert_int_equal(dl_toml_write(&b, dl_toml_doc_root(doc)), 0);
	assert_int_equal(strncmp(dl_buf_cstr(&b), "# header\nlock-version", 21), 0);
	dl_buf_free(&b);
	dl_toml_doc_free(doc);
	/* and parsing the text then writing it again gives the same bytes */
	doc = parse_ok(pylock_text);
	dl_toml_value_set_style(dl_toml_get_path(dl_toml_doc_root(doc), "packages[0].wheels"), DL_TOML_STYLE_MULTILINE);
	char *again = write_doc(dl_toml_doc_root(doc));
	assert_string_equal(again, pylock_text);
	dl_free(again);
	dl_toml_doc_free(doc);
}

static void test_write_layout(void **state)
{
	(void)state;
	dl_toml_doc *doc = NULL;
	dl_toml_value *root, *t, *u, *a, *v, *e;
	assert_int_equal(dl_toml_doc_new(&doc, NULL), 0);
	root = dl_toml_doc_root(doc);
	/* sections come after the body whatever the insertion order */
	assert_int_equal(dl_toml_table_add_table(&t, doc, root, "first"), 0);
	assert_int_equal(dl_toml_table_add_table(&u, doc, t, "only-sub"), 0);
	assert_int_equal(dl_toml_table_set_integer(doc, u, "x", 1), 0);
	assert_int_equal(dl_toml_table_add_table(&u, doc, root, "empty"), 0);
	assert_int_equal(dl_toml_table_set_string(doc, root, "key with space", "v"), 0);
	assert_int_equal(dl_toml_table_add_array(&a, doc, root, "aot"), 0);
	assert_int_equal(dl_toml_array_add_table(&e, doc, a), 0);
	assert_int_equal(dl_toml_array_add_table(&e, doc, a), 0);
	assert_int_equal(dl_toml_table_set_integer(doc, e, "n", 2), 0);
	assert_int_equal(dl_toml_table_add_array(&a, doc, e, "inner"), 0);
	assert_int_equal(dl_toml_array_add_table(&v, doc, a), 0);
	/* an array mixing tables and scalars is inline, tables and all */
	assert_int_equal(dl_toml_table_add_array(&a, doc, root, "mixed"), 0);
	assert_int_equal(dl_toml_array_append_string(doc, a, "s"), 0);
	assert_int_equal(dl_toml_array_add_table(&v, doc, a), 0);
	assert_int_equal(dl_toml_table_set_integer(doc, v, "k", 1), 0);
	/* an array of inline-styled tables stays inline */
	assert_int_equal(dl_toml_table_add_array(&a, doc, root, "inl"), 0);
	assert_int_equal(dl_toml_array_add_table(&v, doc, a), 0);
	dl_toml_value_set_style(v, DL_TOML_STYLE_INLINE);
	/* empty arrays, nested multiline arrays */
	assert_int_equal(dl_toml_table_add_array(&a, doc, root, "none"), 0);
	assert_int_equal(dl_toml_table_add_array(&a, doc, root, "ml"), 0);
	dl_toml_value_set_style(a, DL_TOML_STYLE_MULTILINE);
	assert_int_equal(dl_toml_array_append_string(doc, a, "x"), 0);
	dl_toml_value *inner;
	assert_int_equal(dl_toml_new_array(&inner, doc), 0);
	dl_toml_value_set_style(inner, DL_TOML_STYLE_MULTILINE);
	assert_int_equal(dl_toml_array_append(doc, a, inner), 0);
	assert_int_equal(dl_toml_array_append_string(doc, inner, "y"), 0);
	/* a multiline array inside an inline table is written on one line */
	assert_int_equal(dl_toml_table_add_table(&t, doc, root, "it"), 0);
	dl_toml_value_set_style(t, DL_TOML_STYLE_INLINE);
	assert_int_equal(dl_toml_table_add_array(&a, doc, t, "l"), 0);
	dl_toml_value_set_style(a, DL_TOML_STYLE_MULTILINE);
	assert_int_equal(dl_toml_array_append_string(doc, a, "z"), 0);
	assert_int_equal(dl_toml_table_add_table(&u, doc, t, "sub"), 0);
	assert_writes(root, "\"key with space\" = \"v\"\n"
	                    "mixed = [\"s\", { k = 1 }]\n"
	                    "inl = [{}]\n"
	                    "none = []\n"
	                    "ml = [\n"
	                    "  \"x\",\n"
	                    "  [\n"
	                    "    \"y\",\n"
	                    "  ],\n"
	                    "]\n"
	                    "it = { l = [\"z\"], sub = {} }\n"
	                    "\n"
	                    "[first.only-sub]\n"
	                    "x = 1\n"
	                    "\n"
	                    "[empty]\n"
	                    "\n"
	                    "[[aot]]\n"
	                    "\n"
	                    "[[aot]]\n"
	                    "n = 2\n"
	                    "\n"
	                    "[[aot.inner]]\n");
	dl_toml_doc_free(doc);
}

static void test_write_scalars(void **state)
{
	(void)state;
	dl_toml_doc *doc = NULL;
	assert_int_equal(dl_toml_doc_new(&doc, NULL), 0);
	dl_toml_value *root = dl_toml_doc_root(doc), *v;
	static const double floats[] = {0.1, 100.0, 1e20, -0.0, 1.0 / 3.0, 5e-324, 1.7976931348623157e308, 2.5e-8,
	                                123456789012345680.0};
	static const char *const fnames[] = {"f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9"};
	for (size_t i = 0; i < 9; i++) {
		assert_int_equal(dl_toml_new_float(&v, doc, floats[i]), 0);
		assert_int_equal(dl_toml_table_set(doc, root, fnames[i], 2, v), 0);
	}
	assert_int_equal(dl_toml_new_float(&v, doc, HUGE_VAL), 0);
	assert_int_equal(dl_toml_table_set(doc, root, "inf", 3, v), 0);
	assert_int_equal(dl_toml_new_float(&v, doc, -HUGE_VAL), 0);
	assert_int_equal(dl_toml_table_set(doc, root, "ninf", 4, v), 0);
	assert_int_equal(dl_toml_new_float(&v, doc, NAN), 0);
	assert_int_equal(dl_toml_table_set(doc, root, "nan", 3, v), 0);
	assert_int_equal(dl_toml_new_integer(&v, doc, INT64_MIN), 0);
	assert_int_equal(dl_toml_table_set(doc, root, "imin", 4, v), 0);
	assert_int_equal(dl_toml_new_string(&v, doc, "q\"b\\t\tn\nc\x01\x7f\xc3\xa9\0z", 15), 0);
	assert_int_equal(dl_toml_table_set(doc, root, "s", 1, v), 0);
	assert_int_equal(dl_toml_new_string(&v, doc, "", 0), 0);
	assert_int_equal(dl_toml_table_set(doc, root, "", 0, v), 0);
	assert_int_equal(dl_toml_new_boolean(&v, doc, false), 0);
	assert_int_equal(dl_toml_table_set(doc, root, "k\"\n\xc3\xa9", 5, v), 0);
	dl_toml_datetime dt = {2024, 2, 29, 23, 59, 60, 5000, 0, -90};
	assert_int_equal(dl_toml_new_datetime(&v, doc, DL_TOML_DATETIME, &dt), 0);
	assert_int_equal(dl_toml_table_set(doc, root, "odt", 3, v), 0);
	dt.frac_digits = 3;
	dt.nanosecond = 0;
	assert_int_equal(dl_toml_new_datetime(&v, doc, DL_TOML_TIME_LOCAL, &dt), 0);
	assert_int_equal(dl_toml_table_set(doc, root, "lt", 2, v), 0);
	assert_int_equal(dl_toml_new_datetime(&v, doc, DL_TOML_DATE_LOCAL, &dt), 0);
	assert_int_equal(dl_toml_table_set(doc, root, "ld", 2, v), 0);
	assert_int_equal(dl_toml_new_datetime(&v, doc, DL_TOML_DATETIME_LOCAL, &dt), 0);
	assert_int_equal(dl_toml_table_set(doc, root, "ldt", 3, v), 0);
	/* replacing a key keeps its place */
	assert_int_equal(dl_toml_table_set_integer(doc, root, "f2", 7), 0);
	assert_writes(root, "f1 = 0.1\n"
	                    "f2 = 7\n"
	                    "f3 = 1e+20\n"
	                    "f4 = -0.0\n"
	                    "f5 = 0.3333333333333333\n"
	                    "f6 = 4.94065645841247e-324\n"
	                    "f7 = 1.7976931348623157e+308\n"
	                    "f8 = 2.5e-08\n"
	                    "f9 = 1.2345678901234568e+17\n"
	                    "inf = inf\n"
	                    "ninf = -inf\n"
	                    "nan = nan\n"
	                    "imin = -9223372036854775808\n"
	                    "s = \"q\\\"b\\\\t\\tn\\nc\\u0001\\u007F\xc3\xa9\\u0000z\"\n"
	                    "\"\" = \"\"\n"
	                    "\"k\\\"\\n\xc3\xa9\" = false\n"
	                    "odt = 2024-02-29T23:59:60.000005-01:30\n"
	                    "lt = 23:59:60.000\n"
	                    "ld = 2024-02-29\n"
	                    "ldt = 2024-02-29T23:59:60.000\n");
	/* one value on its own */
	dl_buf b = DL_BUF_INIT;
	assert_int_equal(dl_toml_write_value(&b, dl_toml_table_get(root, "f3")), 0);
	assert_string_equal(dl_buf_cstr(&b), "1e+20");
	dl_buf_reset(&b);
	assert_int_equal(dl_toml_write_key(&b, "a.b", 3), 0);
	assert_int_equal(dl_toml_write_key(&b, "A_z-9", 5), 0);
	assert_string_equal(dl_buf_cstr(&b), "\"a.b\"A_z-9");
	dl_buf_free(&b);
	dl_toml_doc_free(doc);
}

static void test_builder_errors(void **state)
{
	(void)state;
	dl_toml_doc *doc = NULL;
	assert_int_equal(dl_toml_doc_new(&doc, "b.toml"), 0);
	dl_toml_value *root = dl_toml_doc_root(doc), *t, *u, *s;
	assert_int_equal(dl_toml_new_string(&s, doc, "\xc3", 1), DL_EINVAL);
	assert_string_equal(dl_error_last()->message, "TOML strings must be valid UTF-8");
	assert_int_equal(dl_toml_table_set_string(doc, root, "k", "\xed\xa0\x80"), DL_EINVAL);
	dl_toml_datetime bad = {2023, 2, 29, 0, 0, 0, 0, 0, 0};
	assert_int_equal(dl_toml_new_datetime(&s, doc, DL_TOML_DATE_LOCAL, &bad), DL_EINVAL);
	assert_int_equal(dl_toml_new_datetime(&s, doc, DL_TOML_STRING, &bad), DL_EINVAL);
	assert_int_equal(dl_toml_table_add_table(&t, doc, root, "t"), 0);
	/* a value lives in one place */
	assert_int_equal(dl_toml_table_set(doc, root, "again", 5, t), DL_EINVAL);
	assert_int_equal(dl_toml_table_set(doc, t, "root", 4, root), DL_EINVAL);
	/* no cycles */
	assert_int_equal(dl_toml_new_table(&u, doc), 0);
	dl_toml_value *w;
	assert_int_equal(dl_toml_table_add_table(&w, doc, u, "w"), 0);
	assert_int_equal(dl_toml_table_set(doc, w, "u", 1, u), DL_EINVAL);
	assert_string_equal(dl_error_last()->message, "cannot attach a TOML value inside itself");
	assert_int_equal(dl_toml_table_set(doc, u, "u", 1, u), DL_EINVAL);
	/* the wrong kind of container */
	assert_int_equal(dl_toml_new_string(&s, doc, "x", 1), 0);
	assert_int_equal(dl_toml_array_append(doc, t, s), DL_EINVAL);
	assert_int_equal(dl_toml_table_set(doc, s, "k", 1, u), DL_EINVAL);
	/* the writer takes only tables */
	dl_buf b = DL_BUF_INIT;
	assert_int_equal(dl_toml_write(&b, s), DL_EINVAL);
	/* builder values have no position, but the document's name */
	assert_int_equal(dl_toml_table_set(doc, t, "s", 1, s), 0);
	const char *out;
	int64_t i;
	assert_int_equal(dl_toml_get_integer(t, "s", &i), DL_EPARSE);
	assert_string_equal(dl_error_last()->message, "b.toml: 't.s' must be an integer, found string");
	assert_int_equal(dl_toml_get_string(t, "s", &out), 0);
	/* a capped buffer fails cleanly */
	dl_buf_init(&b, 4);
	assert_int_equal(dl_toml_write(&b, root), DL_ELIMIT);
	dl_buf_free(&b);
	dl_toml_doc_free(doc);
}

/* ---- allocation failures ---- */

static const char realistic[] =
	"# a pyproject.toml and a pylock.toml in one\n"
	"[project]\n"
	"name = \"demo\"\n"
	"version = \"0.1.0\"\n"
	"dependencies = [\"attrs>=23\", 'packaging; python_version >= \"3.8\"']\n"
	"authors = [{ name = \"A. Person\", email = \"a@example.org\" }]\n"
	"[project.optional-dependencies]\n"
	"test = [\"pytest\"]\n"
	"[build-system]\n"
	"requires = [\"setuptools>=61\", \"wheel\"]\n"
	"build-backend = \"setuptools.build_meta\"\n"
	"[tool.deeplock]\n"
	"k0 = 0\nk1 = 1\nk2 = 2\nk3 = 3\nk4 = 4\nk5 = 5\nk6 = 6\nk7 = 7\nk8 = 8\nk9 = 9\nk10 = 10\n"
	"esc = \"tab\\there \\u00e9\"\n"
	"ml = \"\"\"\nmulti\\\n  line\"\"\"\n"
	"when = 2024-01-02T03:04:05.678Z\n"
	"f = 1.5e3\n"
	"[[packages]]\n"
	"name = \"attrs\"\n"
	"version = \"23.1.0\"\n"
	"wheels = [\n"
	"  { name = \"attrs-23.1.0-py3-none-any.whl\", hashes = { sha256 = \"1f28\" } },\n"
	"]\n"
	"[[packages]]\n"
	"name = \"setuptools\"\n"
	"sdist.url = \"https://example.org/s.tar.gz\"\n"
	"sdist.hashes.sha256 = \"c0ff\"\n";

static int parse_realistic(void *ctx)
{
	(void)ctx;
	dl_toml_doc *doc = NULL;
	int rc = dl_toml_parse(&doc, realistic, sizeof(realistic) - 1, "pyproject.toml", NULL);
	if (rc < 0)
		return rc;
	/* an error path that formats a message allocates too */
	const char *s;
	rc = dl_toml_get_string(dl_toml_get_path(dl_toml_doc_root(doc), "packages[1]"), "version", &s);
	assert_int_equal(rc, DL_ENOTFOUND);
	dl_toml_doc_free(doc);
	return 0;
}

static void test_alloc_parse(void **state)
{
	(void)state;
	dltest_each_alloc_failure(parse_realistic, NULL);
}

static int build_and_write(void *ctx)
{
	(void)ctx;
	dl_toml_doc *doc = NULL;
	int rc = build_pylock(&doc);
	if (rc < 0)
		return rc;
	dl_buf b = DL_BUF_INIT;
	rc = dl_toml_write(&b, dl_toml_doc_root(doc));
	if (rc == 0 && strcmp(dl_buf_cstr(&b), pylock_text) != 0)
		fail_msg("different output under allocation failure");
	dl_buf_free(&b);
	dl_toml_doc_free(doc);
	return rc;
}

static void test_alloc_write(void **state)
{
	(void)state;
	dltest_each_alloc_failure(build_and_write, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_integer_errors),
		cmocka_unit_test(test_floats),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_tables_valid),
		cmocka_unit_test(test_tables_invalid),
		cmocka_unit_test(test_arrays_inline_tables),
		cmocka_unit_test(test_datetimes),
		cmocka_unit_test(test_whole_input),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_deepest),
		cmocka_unit_test(test_big_table),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_checked_access),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_write_pylock),
		cmocka_unit_test(test_write_layout),
		cmocka_unit_test(test_write_scalars),
		cmocka_unit_test(test_builder_errors),
		cmocka_unit_test(test_alloc_parse),
		cmocka_unit_test(test_alloc_write),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
