/*
 * debug_toml.c - `deeplock debug toml-decode` and `toml-encode`: the TOML
 * reader and writer behind the decoder and encoder interfaces of the
 * toml-test suite, so that the suite's own runner can drive them.
 *
 * Both speak toml-test's "tagged JSON": a table is a JSON object, an array a
 * JSON array, and every scalar an object {"type": T, "value": S} where T is
 * string, integer, float, bool, datetime, datetime-local, date-local or
 * time-local and S the value as a string.  The decoder prints JSON for TOML
 * on stdin (exit 1 with the positioned error on stderr when the TOML is
 * invalid), through jansson; the encoder reads tagged JSON and prints TOML.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "deeplock/common.h"
#include "deeplock/toml.h"

/* What either command will read from stdin. */
#define TOML_INPUT_MAX DL_TOML_DEFAULT_MAX_INPUT

static const char *tag_of(dl_toml_type type)
{
	switch (type) {
	case DL_TOML_STRING: return "string";
	case DL_TOML_INTEGER: return "integer";
	case DL_TOML_FLOAT: return "float";
	case DL_TOML_BOOLEAN: return "bool";
	case DL_TOML_DATETIME: return "datetime";
	case DL_TOML_DATETIME_LOCAL: return "datetime-local";
	case DL_TOML_DATE_LOCAL: return "date-local";
	case DL_TOML_TIME_LOCAL: return "time-local";
	default: return NULL;
	}
}

static json_t *tagged(const char *type, const char *value, size_t len)
{
	json_t *o = json_object();
	json_object_set_new(o, "type", json_string(type));
	json_object_set_new(o, "value", json_stringn(value, len));
	return o;
}

/* The tagged-JSON form of a value; NULL when out of memory. */
static json_t *to_json(const dl_toml_value *v)
{
	dl_toml_type type = dl_toml_value_type(v);
	if (type == DL_TOML_TABLE) {
		json_t *o = json_object();
		size_t n = dl_toml_table_len(v);
		for (size_t i = 0; o != NULL && i < n; i++) {
			const char *key;
			size_t keylen;
			const dl_toml_value *item = dl_toml_table_at(v, i, &key, &keylen);
			json_t *j = to_json(item);
			if (j == NULL || json_object_setn_new(o, key, keylen, j) != 0) {
				json_decref(o);
				return NULL;
			}
		}
		return o;
	}
	if (type == DL_TOML_ARRAY) {
		json_t *a = json_array();
		size_t n = dl_toml_array_len(v);
		for (size_t i = 0; a != NULL && i < n; i++) {
			json_t *j = to_json(dl_toml_array_at(v, i));
			if (j == NULL || json_array_append_new(a, j) != 0) {
				json_decref(a);
				return NULL;
			}
		}
		return a;
	}
	if (type == DL_TOML_STRING) {
		size_t len = 0;
		const char *s = dl_toml_value_string(v, &len);
		return tagged("string", s, len);
	}
	/* Every other scalar in its TOML spelling: 42, 1.5, inf, true, RFC 3339. */
	dl_buf b = DL_BUF_INIT;
	if (dl_toml_write_value(&b, v) < 0) {
		dl_buf_free(&b);
		return NULL;
	}
	json_t *j = tagged(tag_of(type), dl_buf_cstr(&b), b.len);
	dl_buf_free(&b);
	return j;
}

static bool want_help(int argc, char **argv, const char *usage)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			return true;
		}
	}
	return false;
}

static const char decode_usage[] =
	"Usage: deeplock debug toml-decode < file.toml\n"
	"\n"
	"Read a TOML 1.0 document on standard input and print it as toml-test's\n"
	"tagged JSON: tables as objects, arrays as arrays, and each scalar as\n"
	"{\"type\": \"integer\", \"value\": \"42\"} (types: string, integer, float, bool,\n"
	"datetime, datetime-local, date-local, time-local).  Invalid TOML exits 1\n"
	"with \"<stdin>:LINE:COLUMN: what was wrong\" on standard error.\n";

int dl_cli_debug_toml_decode(int argc, char **argv)
{
	if (want_help(argc, argv, decode_usage))
		return DL_EXIT_OK;
	if (argc > 1)
		return dl_cli_usage_error("debug toml-decode", "unexpected argument '%s' (the TOML comes on stdin)", argv[1]);
	size_t len = 0;
	char *text = dl_cli_read_input("-", TOML_INPUT_MAX, &len);
	if (text == NULL)
		return DL_EXIT_FAIL;
	dl_toml_doc *doc = NULL;
	int rc = dl_toml_parse(&doc, text, len, "<stdin>", NULL);
	free(text);
	if (rc < 0) {
		dl_cli_lib_error(NULL);
		return DL_EXIT_FAIL;
	}
	json_t *j = to_json(dl_toml_doc_root(doc));
	dl_toml_doc_free(doc);
	if (j == NULL) {
		dl_cli_error("out of memory");
		return DL_EXIT_FAIL;
	}
	int status = dl_cli_print_json(j);
	json_decref(j);
	return status;
}

/* ------------------------------------------------------------------ */
/*
 * The encoder reads tagged JSON with a small reader of its own rather than
 * jansson, which refuses a NUL byte in an object key ("\u0000" is a valid
 * TOML key, and toml-test has one).  Tagged JSON needs only objects, arrays
 * and strings; anything else is an error.  Members are turned into TOML
 * values as they are read: an object becomes a table unless it turns out to
 * be exactly {"type": "...", "value": "..."}, which becomes a scalar.
 */

#define JSON_MAX_DEPTH 1000

struct jreader {
	const char *s;
	const char *end;
	const char *start;
	dl_toml_doc *doc;
	unsigned depth;
	char err[300];
};

static int jfail(struct jreader *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int jfail(struct jreader *j, const char *fmt, ...)
{
	if (j->err[0] != '\0')
		return -1; /* keep the first, innermost message */
	char msg[240];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(j->err, sizeof(j->err), "offset %zu: %s", (size_t)(j->s - j->start), msg);
	return -1;
}

static void jws(struct jreader *j)
{
	while (j->s < j->end && (*j->s == ' ' || *j->s == '\t' || *j->s == '\n' || *j->s == '\r'))
		j->s++;
}

static int jhex4(struct jreader *j, unsigned *out)
{
	unsigned v = 0;
	if (j->end - j->s < 4)
		return jfail(j, "\\u needs four hex digits");
	for (int i = 0; i < 4; i++) {
		char c = j->s[i];
		if (!dl_isxdigit((unsigned char)c))
			return jfail(j, "\\u needs four hex digits");
		v = v * 16 + (unsigned)(dl_isdigit((unsigned char)c) ? c - '0' : dl_tolower((unsigned char)c) - 'a' + 10);
	}
	j->s += 4;
	*out = v;
	return 0;
}

/* A JSON string at j->s (the opening quote) decoded into `out`. */
static int jstring(struct jreader *j, dl_buf *out)
{
	dl_buf_reset(out);
	dl_buf_put(out, "", 0);
	j->s++;
	for (;;) {
		if (j->s >= j->end)
			return jfail(j, "unterminated string");
		unsigned char c = (unsigned char)*j->s++;
		if (c == '"')
			break;
		if (c < 0x20)
			return jfail(j, "control character in a string");
		if (c != '\\') {
			dl_buf_putc(out, (char)c);
			continue;
		}
		if (j->s >= j->end)
			return jfail(j, "unterminated string");
		char e = *j->s++;
		const char *simple = strchr("\"\\/bfnrt", e);
		if (e != '\0' && simple != NULL) {
			static const char repl[] = "\"\\/\b\f\n\r\t";
			dl_buf_putc(out, repl[simple - "\"\\/bfnrt"]);
			continue;
		}
		if (e != 'u')
			return jfail(j, "invalid escape '\\%c'", e);
		unsigned cp, lo;
		if (jhex4(j, &cp) < 0)
			return -1;
		if (cp >= 0xd800 && cp < 0xdc00) {
			if (j->end - j->s < 2 || j->s[0] != '\\' || j->s[1] != 'u')
				return jfail(j, "unpaired surrogate");
			j->s += 2;
			if (jhex4(j, &lo) < 0)
				return -1;
			if (lo < 0xdc00 || lo > 0xdfff)
				return jfail(j, "unpaired surrogate");
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		} else if (cp >= 0xdc00 && cp <= 0xdfff) {
			return jfail(j, "unpaired surrogate");
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
		dl_buf_put(out, u, n);
	}
	return out->failed ? jfail(j, "out of memory") : 0;
}

static int parse_int64(const char *s, int64_t *out)
{
	if (s[0] == '\0' || dl_isspace((unsigned char)s[0]))
		return -1;
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = (int64_t)v;
	return 0;
}

static int parse_double(const char *s, double *out)
{
	const char *p = s;
	bool neg = false;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (strcmp(p, "inf") == 0 || strcmp(p, "nan") == 0) {
		double d = p[0] == 'i' ? HUGE_VAL : NAN;
		*out = neg ? -d : d;
		return 0;
	}
	if (s[0] == '\0' || dl_isspace((unsigned char)s[0]))
		return -1;
	char *end = NULL;
	double d = strtod(s, &end);
	if (*end != '\0')
		return -1;
	*out = d;
	return 0;
}

/* {"type": type, "value": value} as a TOML scalar. */
static int jscalar(struct jreader *j, const dl_buf *type, const dl_buf *value, dl_toml_value **out)
{
	const char *t = dl_buf_cstr(type), *s = dl_buf_cstr(value);
	size_t len = value->len;
	int rc;
	if (strcmp(t, "string") == 0) {
		rc = dl_toml_new_string(out, j->doc, s, len);
	} else if (strcmp(t, "integer") == 0) {
		int64_t i;
		if (parse_int64(s, &i) < 0)
			return jfail(j, "invalid integer value '%s'", s);
		rc = dl_toml_new_integer(out, j->doc, i);
	} else if (strcmp(t, "float") == 0) {
		double d;
		if (parse_double(s, &d) < 0)
			return jfail(j, "invalid float value '%s'", s);
		rc = dl_toml_new_float(out, j->doc, d);
	} else if (strcmp(t, "bool") == 0) {
		if (strcmp(s, "true") != 0 && strcmp(s, "false") != 0)
			return jfail(j, "invalid bool value '%s'", s);
		rc = dl_toml_new_boolean(out, j->doc, s[0] == 't');
	} else {
		static const struct {
			const char *tag;
			dl_toml_type type;
		} dts[] = {{"datetime", DL_TOML_DATETIME},
		           {"datetime-local", DL_TOML_DATETIME_LOCAL},
		           {"date-local", DL_TOML_DATE_LOCAL},
		           {"time-local", DL_TOML_TIME_LOCAL}};
		size_t k = 0;
		while (k < sizeof(dts) / sizeof(dts[0]) && strcmp(dts[k].tag, t) != 0)
			k++;
		if (k == sizeof(dts) / sizeof(dts[0]))
			return jfail(j, "unknown type '%s'", t);
		dl_toml_datetime dt;
		dl_toml_type got;
		if (dl_toml_datetime_parse(&dt, &got, s, len) < 0)
			return jfail(j, "%s", dl_error_last()->message);
		if (got != dts[k].type)
			return jfail(j, "'%s' is a %s, not a %s", s, dl_toml_type_name(got), dl_toml_type_name(dts[k].type));
		rc = dl_toml_new_datetime(out, j->doc, got, &dt);
	}
	return rc < 0 ? jfail(j, "%s", dl_error_last()->message) : 0;
}

static int jvalue(struct jreader *j, dl_toml_value **out);

static int jobject(struct jreader *j, dl_toml_value **out)
{
	dl_buf key = DL_BUF_INIT, type = DL_BUF_INIT, value = DL_BUF_INIT;
	bool have_type = false, have_value = false;
	size_t members = 0;
	dl_toml_value *t = NULL;
	int rc = dl_toml_new_table(&t, j->doc) < 0 ? jfail(j, "out of memory") : 0;
	j->s++;
	jws(j);
	if (rc == 0 && j->s < j->end && *j->s == '}') {
		j->s++;
		goto done;
	}
	while (rc == 0) {
		jws(j);
		if (j->s >= j->end || *j->s != '"') {
			rc = jfail(j, "expected a key string");
			break;
		}
		if ((rc = jstring(j, &key)) < 0)
			break;
		jws(j);
		if (j->s >= j->end || *j->s != ':') {
			rc = jfail(j, "expected ':'");
			break;
		}
		j->s++;
		jws(j);
		members++;
		if (dl_toml_table_getn(t, dl_buf_cstr(&key), key.len) != NULL ||
		    (have_type && strcmp(dl_buf_cstr(&key), "type") == 0) ||
		    (have_value && strcmp(dl_buf_cstr(&key), "value") == 0)) {
			rc = jfail(j, "duplicate key '%s'", dl_buf_cstr(&key));
			break;
		}
		if (j->s < j->end && *j->s == '"') {
			/* a bare string: only "type" and "value" of a tagged scalar */
			bool is_type = key.len == 4 && memcmp(key.ptr, "type", 4) == 0;
			bool is_value = key.len == 5 && memcmp(key.ptr, "value", 5) == 0;
			if (!is_type && !is_value) {
				rc = jfail(j, "a string must be the \"type\" or \"value\" of a tagged value");
				break;
			}
			if ((rc = jstring(j, is_type ? &type : &value)) < 0)
				break;
			*(is_type ? &have_type : &have_value) = true;
		} else {
			dl_toml_value *v = NULL;
			if ((rc = jvalue(j, &v)) < 0)
				break;
			if (dl_toml_table_set(j->doc, t, key.ptr, key.len, v) < 0) {
				rc = jfail(j, "%s", dl_error_last()->message);
				break;
			}
		}
		jws(j);
		if (j->s < j->end && *j->s == ',') {
			j->s++;
			continue;
		}
		if (j->s < j->end && *j->s == '}') {
			j->s++;
			break;
		}
		rc = jfail(j, "expected ',' or '}'");
	}
done:
	if (rc == 0 && (have_type || have_value)) {
		if (!have_type || !have_value || members != 2)
			rc = jfail(j, "a tagged value has exactly a \"type\" and a \"value\" string");
		else
			rc = jscalar(j, &type, &value, &t);
	}
	if (rc == 0)
		*out = t;
	dl_buf_free(&key);
	dl_buf_free(&type);
	dl_buf_free(&value);
	return rc;
}

static int jarray(struct jreader *j, dl_toml_value **out)
{
	dl_toml_value *a = NULL;
	if (dl_toml_new_array(&a, j->doc) < 0)
		return jfail(j, "out of memory");
	j->s++;
	jws(j);
	if (j->s < j->end && *j->s == ']') {
		j->s++;
		*out = a;
		return 0;
	}
	for (;;) {
		dl_toml_value *v = NULL;
		jws(j);
		if (jvalue(j, &v) < 0)
			return -1;
		if (dl_toml_array_append(j->doc, a, v) < 0)
			return jfail(j, "%s", dl_error_last()->message);
		jws(j);
		if (j->s < j->end && *j->s == ',') {
			j->s++;
			continue;
		}
		if (j->s < j->end && *j->s == ']') {
			j->s++;
			*out = a;
			return 0;
		}
		return jfail(j, "expected ',' or ']'");
	}
}

static int jvalue(struct jreader *j, dl_toml_value **out)
{
	if (j->depth >= JSON_MAX_DEPTH)
		return jfail(j, "nested deeper than %d levels", JSON_MAX_DEPTH);
	int rc;
	j->depth++;
	if (j->s < j->end && *j->s == '{')
		rc = jobject(j, out);
	else if (j->s < j->end && *j->s == '[')
		rc = jarray(j, out);
	else
		rc = jfail(j, "expected an object, an array or a tagged value {\"type\": ..., \"value\": ...}");
	j->depth--;
	return rc;
}

static const char encode_usage[] =
	"Usage: deeplock debug toml-encode < file.json\n"
	"\n"
	"Read toml-test's tagged JSON on standard input (an object of tables,\n"
	"arrays and {\"type\": ..., \"value\": ...} scalars) and print it as a TOML\n"
	"document, written the way deeplock writes every TOML file.  Invalid input\n"
	"exits 1 with a message on standard error.\n";

int dl_cli_debug_toml_encode(int argc, char **argv)
{
	if (want_help(argc, argv, encode_usage))
		return DL_EXIT_OK;
	if (argc > 1)
		return dl_cli_usage_error("debug toml-encode", "unexpected argument '%s' (the JSON comes on stdin)", argv[1]);
	size_t len = 0;
	char *text = dl_cli_read_input("-", TOML_INPUT_MAX, &len);
	if (text == NULL)
		return DL_EXIT_FAIL;
	struct jreader j = {text, text + len, text, NULL, 0, ""};
	int status = DL_EXIT_FAIL;
	dl_toml_value *root = NULL;
	dl_buf out = DL_BUF_INIT;
	if (dl_toml_doc_new(&j.doc, "<stdin>") < 0) {
		dl_cli_lib_error("building the document");
		goto done;
	}
	jws(&j);
	if (j.s >= j.end || *j.s != '{') {
		dl_cli_error("<stdin>: the top level must be a JSON object (a TOML table)");
		goto done;
	}
	if (jvalue(&j, &root) < 0) {
		dl_cli_error("<stdin>: invalid tagged JSON at %s", j.err);
		goto done;
	}
	jws(&j);
	if (j.s != j.end) {
		dl_cli_error("<stdin>: text after the JSON value at offset %zu", (size_t)(j.s - text));
		goto done;
	}
	if (dl_toml_value_type(root) != DL_TOML_TABLE) {
		dl_cli_error("<stdin>: the top level must be a table, not a tagged value");
		goto done;
	}
	if (dl_toml_write(&out, root) < 0) {
		dl_cli_lib_error("writing TOML");
		goto done;
	}
	fwrite(out.ptr != NULL ? out.ptr : "", 1, out.len, stdout);
	status = fflush(stdout) == 0 ? DL_EXIT_OK : DL_EXIT_FAIL;
done:
	dl_buf_free(&out);
	dl_toml_doc_free(j.doc);
	free(text);
	return status;
}
