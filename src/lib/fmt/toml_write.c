/*
 * toml_write.c - deterministic TOML output from a document tree.
 *
 * The writer sees the tree only through the public accessors of toml.h, so
 * a parsed document and a built one are written by the same rules, and the
 * output depends on nothing but the tree: the key order is the tree's,
 * the layout follows each table's and array's style hint, and nothing
 * (hash order, addresses, locale-dependent widths) leaks in.  It never
 * sorts: a caller that wants sorted keys sorts the tree first, so a writer
 * of pylock.toml can keep `name` and `version` first as PEP 751 shows.
 *
 * Layout.  A table is written as its "body" (key = value lines for every
 * value that fits on the key's line: scalars, inline tables, inline
 * arrays), then its sections ([sub.table] headers and [[array.of.tables]]
 * headers, recursively), each group in key order.  Writing the body first
 * is what TOML requires: after a header, later key/value lines belong to
 * that header.  A table with no body but with sections needs no header of
 * its own, since its sections' headers create it implicitly; an empty one
 * does, or it would vanish.
 *
 * Every path here is iterative or recursion bounded by
 * DL_TOML_MAX_DEPTH_LIMIT (documents parsed with a smaller limit are always
 * within it); the builder forbids cycles, so the recursion ends.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/toml.h"

/* One key of the current header path, linked towards the root. */
struct seg {
	const struct seg *up;
	const char *key;
	size_t len;
};

struct writer {
	dl_buf *out;
	size_t start; /* out->len when writing began: the first header gets no blank line */
};

static int too_deep(void)
{
	return dl_error_set(DL_EINVAL, "TOML tree nested deeper than %d levels", DL_TOML_MAX_DEPTH_LIMIT);
}

static bool is_bare_key(const char *key, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)key[i];
		if (!dl_isalnum(c) && c != '_' && c != '-')
			return false;
	}
	return true;
}

/* A basic string: '"' and '\\' escaped, control characters as the short
 * escapes TOML has or as \u00XX, everything else (UTF-8) as is. */
static int write_string(dl_buf *b, const char *s, size_t len)
{
	dl_buf_putc(b, '"');
	size_t run = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != 0x7f && c != '"' && c != '\\')
			continue;
		dl_buf_put(b, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': dl_buf_puts(b, "\\\""); break;
		case '\\': dl_buf_puts(b, "\\\\"); break;
		case '\b': dl_buf_puts(b, "\\b"); break;
		case '\t': dl_buf_puts(b, "\\t"); break;
		case '\n': dl_buf_puts(b, "\\n"); break;
		case '\f': dl_buf_puts(b, "\\f"); break;
		case '\r': dl_buf_puts(b, "\\r"); break;
		default: dl_buf_printf(b, "\\u%04X", c); break;
		}
	}
	dl_buf_put(b, s + run, len - run);
	return dl_buf_putc(b, '"');
}

int dl_toml_write_key(dl_buf *out, const char *key, size_t keylen)
{
	if (is_bare_key(key, keylen))
		return dl_buf_put(out, key, keylen);
	return write_string(out, key, keylen);
}

/* The shortest of %.15g, %.16g, %.17g that reads back as the same double
 * (17 significant digits always do), made to look like a TOML float. */
static int write_float(dl_buf *b, double d)
{
	if (isnan(d))
		return dl_buf_puts(b, "nan");
	if (isinf(d))
		return dl_buf_puts(b, d < 0 ? "-inf" : "inf");
	char tmp[40];
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
		if (prec == 17 || strtod(tmp, NULL) == d)
			break;
	}
	dl_buf_puts(b, tmp);
	if (strpbrk(tmp, ".e") == NULL)
		dl_buf_puts(b, ".0");
	return b->failed;
}

static int write_inline(dl_buf *b, const dl_toml_value *v, unsigned depth, bool multiline, unsigned indent);

static void put_indent(dl_buf *b, unsigned indent)
{
	for (unsigned i = 0; i < indent; i++)
		dl_buf_put(b, "  ", 2);
}

static int write_inline_array(dl_buf *b, const dl_toml_value *v, unsigned depth, bool multiline, unsigned indent)
{
	size_t n = dl_toml_array_len(v);
	if (n == 0)
		return dl_buf_puts(b, "[]");
	if (multiline && dl_toml_value_style(v) == DL_TOML_STYLE_MULTILINE) {
		dl_buf_puts(b, "[\n");
		for (size_t i = 0; i < n; i++) {
			put_indent(b, indent + 1);
			int rc = write_inline(b, dl_toml_array_at(v, i), depth + 1, true, indent + 1);
			if (rc < 0)
				return rc;
			dl_buf_puts(b, ",\n");
		}
		put_indent(b, indent);
		return dl_buf_putc(b, ']');
	}
	dl_buf_putc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			dl_buf_puts(b, ", ");
		int rc = write_inline(b, dl_toml_array_at(v, i), depth + 1, false, indent);
		if (rc < 0)
			return rc;
	}
	return dl_buf_putc(b, ']');
}

static int write_inline_table(dl_buf *b, const dl_toml_value *v, unsigned depth)
{
	size_t n = dl_toml_table_len(v);
	if (n == 0)
		return dl_buf_puts(b, "{}");
	dl_buf_puts(b, "{ ");
	for (size_t i = 0; i < n; i++) {
		const char *key;
		size_t keylen;
		const dl_toml_value *item = dl_toml_table_at(v, i, &key, &keylen);
		if (i > 0)
			dl_buf_puts(b, ", ");
		dl_toml_write_key(b, key, keylen);
		dl_buf_puts(b, " = ");
		/* TOML 1.0 inline tables are single-line, so everything inside is too */
		int rc = write_inline(b, item, depth + 1, false, 0);
		if (rc < 0)
			return rc;
	}
	return dl_buf_puts(b, " }");
}

static int write_inline(dl_buf *b, const dl_toml_value *v, unsigned depth, bool multiline, unsigned indent)
{
	dl_toml_type type = dl_toml_value_type(v);
	if ((type == DL_TOML_ARRAY || type == DL_TOML_TABLE) && depth > DL_TOML_MAX_DEPTH_LIMIT)
		return too_deep();
	switch (type) {
	case DL_TOML_STRING: {
		size_t len = 0;
		const char *s = dl_toml_value_string(v, &len);
		return write_string(b, s, len);
	}
	case DL_TOML_INTEGER:
		return dl_buf_printf(b, "%" PRId64, dl_toml_value_integer(v));
	case DL_TOML_FLOAT:
		return write_float(b, dl_toml_value_float(v));
	case DL_TOML_BOOLEAN:
		return dl_buf_puts(b, dl_toml_value_boolean(v) ? "true" : "false");
	case DL_TOML_DATETIME:
	case DL_TOML_DATETIME_LOCAL:
	case DL_TOML_DATE_LOCAL:
	case DL_TOML_TIME_LOCAL:
		return dl_toml_datetime_format(b, type, dl_toml_value_datetime(v));
	case DL_TOML_ARRAY:
		return write_inline_array(b, v, depth, multiline, indent);
	case DL_TOML_TABLE:
		return write_inline_table(b, v, depth);
	}
	return dl_error_set(DL_EINVAL, "unknown TOML value type %d", (int)type);
}

/* An array written as [[header]] sections. */
static bool is_aot(const dl_toml_value *v)
{
	if (dl_toml_value_type(v) != DL_TOML_ARRAY || dl_toml_value_style(v) != DL_TOML_STYLE_AUTO)
		return false;
	size_t n = dl_toml_array_len(v);
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		const dl_toml_value *e = dl_toml_array_at(v, i);
		if (dl_toml_value_type(e) != DL_TOML_TABLE || dl_toml_value_style(e) == DL_TOML_STYLE_INLINE)
			return false;
	}
	return true;
}

static bool is_section(const dl_toml_value *v)
{
	if (dl_toml_value_type(v) == DL_TOML_TABLE)
		return dl_toml_value_style(v) != DL_TOML_STYLE_INLINE;
	return is_aot(v);
}

static void count_kinds(const dl_toml_value *t, size_t *body, size_t *sections)
{
	size_t n = dl_toml_table_len(t);
	*body = 0;
	*sections = 0;
	for (size_t i = 0; i < n; i++) {
		if (is_section(dl_toml_table_at(t, i, NULL, NULL)))
			(*sections)++;
		else
			(*body)++;
	}
}

static void put_path(dl_buf *b, const struct seg *s)
{
	/* bounded by DL_TOML_MAX_DEPTH_LIMIT through the callers' depth checks */
	if (s->up != NULL) {
		put_path(b, s->up);
		dl_buf_putc(b, '.');
	}
	dl_toml_write_key(b, s->key, s->len);
}

static void put_header(struct writer *w, const struct seg *path, bool aot)
{
	if (w->out->len > w->start)
		dl_buf_putc(w->out, '\n');
	dl_buf_puts(w->out, aot ? "[[" : "[");
	put_path(w->out, path);
	dl_buf_puts(w->out, aot ? "]]\n" : "]\n");
}

static int write_body(struct writer *w, const dl_toml_value *t, unsigned depth)
{
	size_t n = dl_toml_table_len(t);
	for (size_t i = 0; i < n; i++) {
		const char *key;
		size_t keylen;
		const dl_toml_value *v = dl_toml_table_at(t, i, &key, &keylen);
		if (is_section(v))
			continue;
		dl_toml_write_key(w->out, key, keylen);
		dl_buf_puts(w->out, " = ");
		int rc = write_inline(w->out, v, depth + 1, true, 0);
		if (rc < 0)
			return rc;
		dl_buf_putc(w->out, '\n');
	}
	return w->out->failed;
}

static int write_sections(struct writer *w, const dl_toml_value *t, const struct seg *path, unsigned depth)
{
	size_t n = dl_toml_table_len(t);
	for (size_t i = 0; i < n; i++) {
		struct seg s = {path, NULL, 0};
		const dl_toml_value *v = dl_toml_table_at(t, i, &s.key, &s.len);
		if (!is_section(v))
			continue;
		bool table = dl_toml_value_type(v) == DL_TOML_TABLE;
		if (depth + (table ? 1 : 2) > DL_TOML_MAX_DEPTH_LIMIT)
			return too_deep();
		int rc;
		if (table) {
			size_t body, sections;
			count_kinds(v, &body, &sections);
			if (body > 0 || sections == 0)
				put_header(w, &s, false);
			rc = write_body(w, v, depth + 1);
			if (rc == 0)
				rc = write_sections(w, v, &s, depth + 1);
			if (rc < 0)
				return rc;
			continue;
		}
		size_t m = dl_toml_array_len(v);
		for (size_t j = 0; j < m; j++) {
			const dl_toml_value *e = dl_toml_array_at(v, j);
			put_header(w, &s, true);
			rc = write_body(w, e, depth + 2);
			if (rc == 0)
				rc = write_sections(w, e, &s, depth + 2);
			if (rc < 0)
				return rc;
		}
	}
	return w->out->failed;
}

int dl_toml_write(dl_buf *out, const dl_toml_value *table)
{
	if (table == NULL || dl_toml_value_type(table) != DL_TOML_TABLE)
		return dl_error_set(DL_EINVAL, "dl_toml_write: a TOML document is a table");
	if (out->failed)
		return out->failed;
	struct writer w = {out, out->len};
	int rc = write_body(&w, table, 0);
	if (rc == 0)
		rc = write_sections(&w, table, NULL, 0);
	return rc < 0 ? rc : out->failed;
}

int dl_toml_write_value(dl_buf *out, const dl_toml_value *v)
{
	if (out->failed)
		return out->failed;
	int rc = write_inline(out, v, 0, false, 0);
	return rc < 0 ? rc : out->failed;
}
