/*
 * test_toml_conformance.c - the toml-test suite (TOML 1.0.0 subset) from
 * ../shared/conformance/toml-test, read in place.
 *
 * Every valid/ case must decode to the tree of its sibling .json (toml-test's
 * tagged JSON, compared semantically: integers exactly, floats numerically
 * with NaN equal to NaN, date-times by their parsed parts, strings byte for
 * byte, tables by key set, arrays in order), and must survive a round trip
 * through the writer (decode, write, decode: an equal tree; writing again:
 * the same bytes).  Every invalid/ case must be rejected with DL_EPARSE and a
 * positioned message.  No deviations are allowed, so each test fails on the
 * first count that is not complete, after listing every failing file.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dltest.h"
#include "deeplock/toml.h"

static const char *suite_dir;
static char **valid_files;
static size_t n_valid;
static char **invalid_files;
static size_t n_invalid;

static void push(char ***list, size_t *n, const char *s, size_t len)
{
	*list = realloc(*list, (*n + 1) * sizeof(**list));
	(*list)[*n] = strndup(s, len);
	(*n)++;
}

static void load_list(void)
{
	if (suite_dir != NULL)
		return;
	const char *shared = dltest_require_shared("the toml-test suite");
	static char dir[4096];
	snprintf(dir, sizeof(dir), "%s/conformance/toml-test", shared);
	suite_dir = dir;
	size_t len = 0;
	char *list = dltest_read_file(dltest_path(dir, "files-toml-1.0.0"), &len);
	for (char *line = list; line < list + len;) {
		char *nl = memchr(line, '\n', (size_t)(list + len - line));
		size_t n = nl != NULL ? (size_t)(nl - line) : (size_t)(list + len - line);
		if (n > 5 && memcmp(line + n - 5, ".toml", 5) == 0) {
			if (strncmp(line, "valid/", 6) == 0)
				push(&valid_files, &n_valid, line, n);
			else if (strncmp(line, "invalid/", 8) == 0)
				push(&invalid_files, &n_invalid, line, n);
		}
		line += n + 1;
	}
	free(list);
}

/* ---- tagged JSON ----
 * A small reader of our own: jansson refuses NUL bytes in object keys, and
 * toml-test has a key "\u0000".  Only what tagged JSON uses: objects,
 * arrays, strings (with every escape, surrogate pairs included). */

struct jv {
	char kind; /* 'o', 'a', 's' */
	char *s;
	size_t len;
	size_t n;
	struct jv **items;
	char **keys;
	size_t *klens;
};

static void jv_free(struct jv *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->n; i++) {
		jv_free(v->items[i]);
		if (v->keys != NULL)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->klens);
	free(v->s);
	free(v);
}

static void jws(const char **p, const char *end)
{
	while (*p < end && (**p == ' ' || **p == '\n' || **p == '\r' || **p == '\t'))
		(*p)++;
}

static int hex4(const char *p, const char *end, unsigned *out)
{
	unsigned v = 0;
	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v = v * 16 + (unsigned)(c >= '0' && c <= '9' ? c - '0' : (c | 32) - 'a' + 10);
	}
	*out = v;
	return 0;
}

static char *jstring(const char **p, const char *end, size_t *len)
{
	dl_buf b = DL_BUF_INIT;
	(*p)++;
	while (*p < end && **p != '"') {
		char c = *(*p)++;
		if (c != '\\') {
			dl_buf_putc(&b, c);
			continue;
		}
		c = *(*p)++;
		switch (c) {
		case 'b': dl_buf_putc(&b, '\b'); break;
		case 'f': dl_buf_putc(&b, '\f'); break;
		case 'n': dl_buf_putc(&b, '\n'); break;
		case 'r': dl_buf_putc(&b, '\r'); break;
		case 't': dl_buf_putc(&b, '\t'); break;
		case 'u': {
			unsigned cp, lo;
			if (hex4(*p, end, &cp) < 0)
				return NULL;
			*p += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && end - *p >= 6 && (*p)[0] == '\\' && (*p)[1] == 'u' &&
			    hex4(*p + 2, end, &lo) == 0) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				*p += 6;
			}
			char u[4];
			size_t n;
			if (cp < 0x80) {
				u[0] = (char)cp;
				n = 1;
			} else if (cp < 0x800) {
				u[0] = (char)(0xc0 | (cp >> 6));
				u[1] = (char)(0x80 | (cp & 0x3f));
				n = 2;
			} else if (cp < 0x10000) {
				u[0] = (char)(0xe0 | (cp >> 12));
				u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
				u[2] = (char)(0x80 | (cp & 0x3f));
				n = 3;
			} else {
				u[0] = (char)(0xf0 | (cp >> 18));
				u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
				u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
				u[3] = (char)(0x80 | (cp & 0x3f));
				n = 4;
			}
			dl_buf_put(&b, u, n);
			break;
		}
		default: dl_buf_putc(&b, c); break;
		}
	}
	(*p)++;
	dl_buf_put(&b, "", 0);
	return dl_buf_detach(&b, len);
}

static struct jv *jparse(const char **p, const char *end)
{
	jws(p, end);
	if (*p >= end)
		return NULL;
	struct jv *v = calloc(1, sizeof(*v));
	if (**p == '"') {
		v->kind = 's';
		v->s = jstring(p, end, &v->len);
		return v;
	}
	char close = **p == '{' ? '}' : ']';
	v->kind = **p == '{' ? 'o' : 'a';
	(*p)++;
	for (;;) {
		jws(p, end);
		if (*p < end && **p == close) {
			(*p)++;
			return v;
		}
		if (*p < end && **p == ',') {
			(*p)++;
			continue;
		}
		v->items = realloc(v->items, (v->n + 1) * sizeof(*v->items));
		if (v->kind == 'o') {
			v->keys = realloc(v->keys, (v->n + 1) * sizeof(*v->keys));
			v->klens = realloc(v->klens, (v->n + 1) * sizeof(*v->klens));
			v->keys[v->n] = jstring(p, end, &v->klens[v->n]);
			jws(p, end);
			(*p)++; /* ':' */
		}
		v->items[v->n] = jparse(p, end);
		if (v->items[v->n] == NULL) {
			jv_free(v);
			return NULL;
		}
		v->n++;
	}
}

static struct jv *jget(const struct jv *o, const char *key, size_t klen)
{
	for (size_t i = 0; i < o->n; i++) {
		if (o->klens[i] == klen && memcmp(o->keys[i], key, klen) == 0)
			return o->items[i];
	}
	return NULL;
}

static bool is_tagged(const struct jv *o)
{
	if (o->kind != 'o' || o->n != 2)
		return false;
	const struct jv *t = jget(o, "type", 4), *v = jget(o, "value", 5);
	return t != NULL && v != NULL && t->kind == 's' && v->kind == 's';
}

/* ---- semantic comparison ---- */

/* RFC 3339 of a date-time with the fraction in its shortest form, so that
 * ".6" and ".600" compare equal. */
static void norm_datetime(char *out, size_t cap, dl_toml_type type, dl_toml_datetime dt)
{
	dl_buf b = DL_BUF_INIT;
	dt.frac_digits = 0;
	if (dl_toml_datetime_format(&b, type, &dt) < 0)
		snprintf(out, cap, "<bad>");
	else
		snprintf(out, cap, "%s", dl_buf_cstr(&b));
	dl_buf_free(&b);
}

static bool compare(const struct jv *j, const dl_toml_value *v, char *why, size_t cap, const char *path);

static bool compare_scalar(const struct jv *j, const dl_toml_value *v, char *why, size_t cap, const char *path)
{
	const char *type = jget(j, "type", 4)->s;
	const struct jv *jv = jget(j, "value", 5);
	const char *val = jv->s;
	dl_toml_type t = dl_toml_value_type(v);
	if (strcmp(type, "string") == 0) {
		size_t len = 0;
		const char *s = dl_toml_value_string(v, &len);
		if (s == NULL || len != jv->len || memcmp(s, val, len) != 0) {
			snprintf(why, cap, "%s: want string \"%s\", got %s \"%s\"", path, val, dl_toml_type_name(t),
			         s != NULL ? s : "");
			return false;
		}
		return true;
	}
	if (strcmp(type, "integer") == 0) {
		long long want = strtoll(val, NULL, 10);
		if (t != DL_TOML_INTEGER || dl_toml_value_integer(v) != want) {
			snprintf(why, cap, "%s: want integer %s, got %s %" PRId64, path, val, dl_toml_type_name(t),
			         dl_toml_value_integer(v));
			return false;
		}
		return true;
	}
	if (strcmp(type, "float") == 0) {
		double want;
		const char *p = val + (val[0] == '+' || val[0] == '-');
		if (strcmp(p, "nan") == 0)
			want = NAN;
		else if (strcmp(p, "inf") == 0)
			want = val[0] == '-' ? -HUGE_VAL : HUGE_VAL;
		else
			want = strtod(val, NULL);
		double got = dl_toml_value_float(v);
		bool ok = t == DL_TOML_FLOAT && (isnan(want) ? isnan(got) : got == want);
		if (!ok)
			snprintf(why, cap, "%s: want float %s, got %s %.17g", path, val, dl_toml_type_name(t), got);
		return ok;
	}
	if (strcmp(type, "bool") == 0) {
		bool want = strcmp(val, "true") == 0;
		if (t != DL_TOML_BOOLEAN || dl_toml_value_boolean(v) != want) {
			snprintf(why, cap, "%s: want bool %s", path, val);
			return false;
		}
		return true;
	}
	dl_toml_type want_type;
	if (strcmp(type, "datetime") == 0)
		want_type = DL_TOML_DATETIME;
	else if (strcmp(type, "datetime-local") == 0)
		want_type = DL_TOML_DATETIME_LOCAL;
	else if (strcmp(type, "date-local") == 0)
		want_type = DL_TOML_DATE_LOCAL;
	else if (strcmp(type, "time-local") == 0)
		want_type = DL_TOML_TIME_LOCAL;
	else {
		snprintf(why, cap, "%s: unknown tag %s", path, type);
		return false;
	}
	dl_toml_datetime want;
	dl_toml_type parsed;
	if (dl_toml_datetime_parse(&want, &parsed, val, strlen(val)) < 0 || parsed != want_type) {
		snprintf(why, cap, "%s: cannot read the expected %s '%s'", path, type, val);
		return false;
	}
	if (t != want_type) {
		snprintf(why, cap, "%s: want %s %s, got %s", path, type, val, dl_toml_type_name(t));
		return false;
	}
	char a[64], b[64];
	norm_datetime(a, sizeof(a), want_type, want);
	norm_datetime(b, sizeof(b), t, *dl_toml_value_datetime(v));
	if (strcmp(a, b) != 0) {
		snprintf(why, cap, "%s: want %s %s, got %s", path, type, a, b);
		return false;
	}
	return true;
}

static bool compare(const struct jv *j, const dl_toml_value *v, char *why, size_t cap, const char *path)
{
	char sub[1024];
	dl_toml_type t = dl_toml_value_type(v);
	if (is_tagged(j))
		return compare_scalar(j, v, why, cap, path);
	if (j->kind == 'a') {
		if (t != DL_TOML_ARRAY || dl_toml_array_len(v) != j->n) {
			snprintf(why, cap, "%s: want an array of %zu, got %s of %zu", path, j->n, dl_toml_type_name(t),
			         dl_toml_array_len(v));
			return false;
		}
		for (size_t i = 0; i < j->n; i++) {
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			if (!compare(j->items[i], dl_toml_array_at(v, i), why, cap, sub))
				return false;
		}
		return true;
	}
	if (j->kind != 'o') {
		snprintf(why, cap, "%s: unexpected JSON", path);
		return false;
	}
	if (t != DL_TOML_TABLE || dl_toml_table_len(v) != j->n) {
		snprintf(why, cap, "%s: want a table of %zu keys, got %s of %zu", path, j->n, dl_toml_type_name(t),
		         dl_toml_table_len(v));
		return false;
	}
	for (size_t i = 0; i < j->n; i++) {
		snprintf(sub, sizeof(sub), "%s.%s", path, j->keys[i]);
		const dl_toml_value *got = dl_toml_table_getn(v, j->keys[i], j->klens[i]);
		if (got == NULL) {
			snprintf(why, cap, "%s: missing", sub);
			return false;
		}
		if (!compare(j->items[i], got, why, cap, sub))
			return false;
	}
	return true;
}

/* ---- the tests ---- */

static void test_valid(void **state)
{
	(void)state;
	load_list();
	size_t pass = 0;
	for (size_t i = 0; i < n_valid; i++) {
		const char *rel = valid_files[i];
		size_t len = 0, jlen = 0;
		char *text = dltest_read_file(dltest_path(suite_dir, rel), &len);
		char jpath[4096];
		snprintf(jpath, sizeof(jpath), "%s/%.*s.json", suite_dir, (int)(strlen(rel) - 5), rel);
		char *jtext = dltest_read_file(jpath, &jlen);
		const char *jp = jtext;
		struct jv *want = jparse(&jp, jtext + jlen);
		if (want == NULL)
			fail_msg("%s: cannot read the JSON", jpath);
		dl_toml_doc *doc = NULL;
		char why[2048] = "";
		if (dl_toml_parse(&doc, text, len, rel, NULL) < 0)
			snprintf(why, sizeof(why), "rejected: %s", dl_error_last()->message);
		else if (compare(want, dl_toml_doc_root(doc), why, sizeof(why), "$"))
			pass++;
		if (why[0] != '\0')
			printf("FAIL %s: %s\n", rel, why);
		dl_toml_doc_free(doc);
		jv_free(want);
		free(text);
		free(jtext);
	}
	printf("toml-test valid: %zu/%zu decode to their JSON\n", pass, n_valid);
	assert_int_equal(n_valid, 210);
	assert_int_equal(pass, n_valid);
}

static void test_invalid(void **state)
{
	(void)state;
	load_list();
	size_t pass = 0;
	for (size_t i = 0; i < n_invalid; i++) {
		const char *rel = invalid_files[i];
		size_t len = 0;
		char *text = dltest_read_file(dltest_path(suite_dir, rel), &len);
		/* an exact-size copy, so that ASan sees any read past the end */
		char *exact = malloc(len ? len : 1);
		memcpy(exact, text, len);
		dl_toml_doc *doc = NULL;
		int rc = dl_toml_parse(&doc, exact, len, rel, NULL);
		if (rc == 0) {
			printf("FAIL %s: accepted\n", rel);
			dl_toml_doc_free(doc);
		} else if (rc != DL_EPARSE || strncmp(dl_error_last()->message, rel, strlen(rel)) != 0 ||
		           dl_error_last()->message[strlen(rel)] != ':') {
			printf("FAIL %s: rc %d, message '%s'\n", rel, rc, dl_error_last()->message);
		} else {
			pass++;
		}
		free(exact);
		free(text);
	}
	printf("toml-test invalid: %zu/%zu rejected with a positioned error\n", pass, n_invalid);
	assert_int_equal(n_invalid, 499);
	assert_int_equal(pass, n_invalid);
}

static void test_round_trip(void **state)
{
	(void)state;
	load_list();
	size_t pass = 0;
	for (size_t i = 0; i < n_valid; i++) {
		const char *rel = valid_files[i];
		size_t len = 0;
		char *text = dltest_read_file(dltest_path(suite_dir, rel), &len);
		dl_toml_doc *doc = NULL, *again = NULL;
		dl_buf out = DL_BUF_INIT, out2 = DL_BUF_INIT;
		const char *why = NULL;
		if (dl_toml_parse(&doc, text, len, rel, NULL) < 0)
			why = "does not parse";
		else if (dl_toml_write(&out, dl_toml_doc_root(doc)) < 0)
			why = "cannot be written";
		else if (dl_toml_parse(&again, out.ptr, out.len, "written", NULL) < 0)
			why = "written form does not parse";
		else if (!dl_toml_value_equal(dl_toml_doc_root(doc), dl_toml_doc_root(again)))
			why = "written form differs";
		else if (dl_toml_write(&out2, dl_toml_doc_root(again)) < 0 || out.len != out2.len ||
		         (out.len != 0 && memcmp(out.ptr, out2.ptr, out.len) != 0))
			why = "writing is not idempotent";
		if (why != NULL)
			printf("FAIL %s: %s (%s)\n---\n%s---\n", rel, why, dl_error_last()->message, dl_buf_cstr(&out));
		else
			pass++;
		dl_buf_free(&out);
		dl_buf_free(&out2);
		dl_toml_doc_free(doc);
		dl_toml_doc_free(again);
		free(text);
	}
	printf("toml-test round trip: %zu/%zu decode -> write -> decode to an equal tree\n", pass, n_valid);
	assert_int_equal(pass, n_valid);
}

int main(void)
{
	load_list();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
