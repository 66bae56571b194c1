/*
 * metadata.c - core metadata (METADATA, PKG-INFO) and WHEEL files.
 *
 * One header reader serves both files.  It makes three passes over the
 * input: a UTF-8 check (so every later error can assume text and every
 * value is valid JSON string material), a line walk that cuts the header
 * section into fields, unfolding continuation lines as described in
 * metadata.h, and a pass over the fields that picks out the ones the
 * resolver needs and checks the rules that matter to it.  Everything a
 * document owns sits in one arena (one free, and no partial states to
 * unwind on an error); only the parsed version may own heap memory of its
 * own, and it is cleared with the document.
 *
 * Error messages say "<document>, line L[, column C]: ..." with 1-based
 * lines counted the way the reader splits them ("\n", "\r\n" or "\r") and
 * columns in bytes.
 */
#include <stdio.h>
#include <string.h>

#include "deeplock/metadata.h"
#include "deeplock/name.h"
#include "deeplock/tags.h"

static const char CORE[] = "core metadata";
static const char WHEELDOC[] = "WHEEL file";

/* ------------------------------------------------------------------ */
/* Lines and positions                                                 */

/* End of the line starting at `pos` (exclusive of its terminator) and
 * the start of the next one. */
static size_t line_end(const char *d, size_t len, size_t pos, size_t *next)
{
	size_t i = pos;
	while (i < len && d[i] != '\n' && d[i] != '\r')
		i++;
	if (i < len && d[i] == '\r' && i + 1 < len && d[i + 1] == '\n')
		*next = i + 2;
	else
		*next = i < len ? i + 1 : i;
	return i;
}

/* Line and column (1-based) of byte offset `off`, counted from `start`
 * with the line ends line_end knows. */
static void position_of(const char *d, size_t len, size_t start, size_t off, unsigned long *line, size_t *col)
{
	unsigned long l = 1;
	size_t ls = start;
	for (size_t i = start; i < off; i++) {
		bool crlf = d[i] == '\r' && i + 1 < len && d[i + 1] == '\n';
		if (d[i] == '\n' || (d[i] == '\r' && !crlf)) {
			l++;
			ls = i + 1;
		}
	}
	*line = l;
	*col = off - ls + 1;
}

static int doc_error(int code, const char *doc, unsigned long line, size_t col, const char *fmt, ...) DL_PRINTF(5, 6);

static int doc_error(int code, const char *doc, unsigned long line, size_t col, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (col > 0)
		return dl_error_set(code, "%s, line %lu, column %zu: %s", doc, line, col, what);
	return dl_error_set(code, "%s, line %lu: %s", doc, line, what);
}

/* Offset of the first byte that is not part of valid UTF-8 (or is NUL),
 * or `len` when all is well.  Overlong forms, surrogates and code points
 * beyond U+10FFFF are invalid. */
static size_t utf8_check(const unsigned char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		unsigned char c = s[i];
		if (c == 0)
			return i;
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t n;
		uint32_t cp;
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return i;
		}
		if (len - i <= n)
			return i;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return i;
		i += n + 1;
	}
	return len;
}

/* ------------------------------------------------------------------ */
/* The header reader                                                   */

struct headers {
	dl_metadata_field *fields;
	size_t n_fields;
	const char *body; /* NULL when there is no blank line */
	size_t body_len;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_trim(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/* Unfold one field: its first line's value [vs, ve) and the continuation
 * lines from `cont` up to `stop`, into a new arena string. */
static int unfold(dl_arena *a, const char *d, size_t len, size_t vs, size_t ve, size_t cont, size_t stop,
                  dl_metadata_field *f)
{
	size_t cap = ve - vs + 1;
	/* Each continuation line adds at most its own bytes plus a '\n'. */
	if (__builtin_add_overflow(cap, stop - cont, &cap) || __builtin_add_overflow(cap, (size_t)1, &cap))
		return dl_error_set(DL_ELIMIT, "field too large");
	char *v = dl_arena_alloc(a, cap);
	if (v == NULL)
		return dl_error_oom();
	size_t n = 0;
	memcpy(v, d + vs, ve - vs);
	n = ve - vs;
	size_t p = cont;
	while (p < stop) {
		size_t next;
		size_t e = line_end(d, len, p, &next);
		size_t b = p;
		if (e - b >= 8 && memcmp(d + b, "       |", 8) == 0) {
			b += 8;
		} else {
			for (int k = 0; k < 8 && b < e && is_blank(d[b]); k++)
				b++;
		}
		v[n++] = '\n';
		memcpy(v + n, d + b, e - b);
		n += e - b;
		p = next;
	}
	size_t s = 0;
	while (s < n && is_trim(v[s]))
		s++;
	while (n > s && is_trim(v[n - 1]))
		n--;
	if (s > 0)
		memmove(v, v + s, n - s);
	n -= s;
	v[n] = '\0';
	f->value = v;
	f->value_len = n;
	return 0;
}

static int read_headers(dl_arena *a, const char *doc, const char *d, size_t len, const dl_metadata_options *opts,
                        struct headers *h)
{
	size_t max_size = opts->max_size ? opts->max_size : DL_METADATA_DEFAULT_MAX_SIZE;
	size_t max_fields = opts->max_fields ? opts->max_fields : DL_METADATA_DEFAULT_MAX_FIELDS;
	if (len > max_size)
		return dl_error_set(DL_ELIMIT, "%s of %zu bytes is larger than the limit of %zu bytes", doc, len, max_size);
	size_t start = 0;
	if (len >= 3 && memcmp(d, "\xef\xbb\xbf", 3) == 0)
		start = 3;
	size_t bad = utf8_check((const unsigned char *)d, len);
	if (bad < len) {
		unsigned long line;
		size_t col;
		position_of(d, len, start, bad, &line, &col);
		if (d[bad] == '\0')
			return doc_error(DL_EPARSE, doc, line, col, "NUL byte");
		return doc_error(DL_EPARSE, doc, line, col, "invalid UTF-8 (byte 0x%02x)", (unsigned)(unsigned char)d[bad]);
	}

	/* Count the fields first so the array is allocated once. */
	size_t count = 0;
	for (size_t p = start; p < len;) {
		size_t next;
		size_t e = line_end(d, len, p, &next);
		if (e == p)
			break;
		if (!is_blank(d[p]))
			count++;
		p = next;
	}
	if (count > max_fields)
		return dl_error_set(DL_ELIMIT, "%s has more than %zu fields", doc, max_fields);
	h->fields = count ? dl_arena_calloc(a, count, sizeof(dl_metadata_field)) : NULL;
	if (count && h->fields == NULL)
		return dl_error_oom();
	h->n_fields = 0;
	h->body = NULL;
	h->body_len = 0;

	unsigned long lineno = 1;
	size_t p = start;
	while (p < len) {
		size_t next;
		size_t e = line_end(d, len, p, &next);
		if (e == p) {
			h->body = d + next;
			h->body_len = len - next;
			break;
		}
		if (is_blank(d[p]))
			return doc_error(DL_EPARSE, doc, lineno, 1, "indented line before any field (a continuation of nothing)");
		size_t colon = p;
		while (colon < e && d[colon] != ':') {
			unsigned char c = (unsigned char)d[colon];
			if (c < 0x21 || c > 0x7e)
				return doc_error(DL_EPARSE, doc, lineno, colon - p + 1,
				                 "expected 'Field-Name: value' (a field name is printable ASCII without "
				                 "spaces, ended by ':')");
			colon++;
		}
		if (colon == e)
			return doc_error(DL_EPARSE, doc, lineno, e - p + 1, "expected ':' after the field name");
		if (colon == p)
			return doc_error(DL_EPARSE, doc, lineno, 1, "empty field name before ':'");
		dl_metadata_field *f = &h->fields[h->n_fields++];
		f->line = lineno;
		char *name = dl_arena_strndup(a, d + p, colon - p);
		if (name == NULL)
			return dl_error_oom();
		f->name = name;
		size_t vs = colon + 1;
		while (vs < e && is_blank(d[vs]))
			vs++;
		/* Continuation lines: non-empty lines starting with a blank. */
		size_t q = next;
		unsigned long ln = lineno + 1;
		while (q < len) {
			size_t qn;
			size_t qe = line_end(d, len, q, &qn);
			if (qe == q || !is_blank(d[q]))
				break;
			q = qn;
			ln++;
		}
		int rc = unfold(a, d, len, vs, e, next, q, f);
		if (rc < 0)
			return rc;
		lineno = ln;
		p = q;
	}
	return 0;
}

/* "X.Y" with both parts decimal, at most 9 digits each. */
static bool parse_major_minor(const char *s, unsigned *major, unsigned *minor)
{
	unsigned v[2] = {0, 0};
	size_t i = 0;
	for (int k = 0; k < 2; k++) {
		size_t st = i;
		while (dl_isdigit((unsigned char)s[i]) && i - st < 9)
			v[k] = v[k] * 10 + (unsigned)(s[i++] - '0');
		if (i == st || dl_isdigit((unsigned char)s[i]))
			return false;
		if (k == 0 && s[i++] != '.')
			return false;
	}
	if (s[i] != '\0')
		return false;
	*major = v[0];
	*minor = v[1];
	return true;
}

static bool field_is(const dl_metadata_field *f, const char *name)
{
	return dl_slice_ieq(f->name, strlen(f->name), name);
}

/* ------------------------------------------------------------------ */
/* Core metadata                                                       */

static const char *const multiple_use[] = {
	"Platform",      "Supported-Platform", "Classifier",       "Requires-Dist", "Requires-External",
	"Project-URL",   "Provides-Extra",     "Provides-Dist",    "Obsoletes-Dist", "Dynamic",
	"License-File",  "Import-Name",        "Import-Namespace", "Requires",       "Provides",
	"Obsoletes",
};

static const char *const single_use[] = {
	"Metadata-Version", "Name",      "Version",         "Summary",    "Description", "Description-Content-Type",
	"Keywords",         "Home-page", "Download-URL",    "Author",     "Author-email", "Maintainer",
	"Maintainer-email", "License",   "License-Expression", "Requires-Python",
};

static bool in_list(const char *const *list, size_t n, const char *field)
{
	size_t len = strlen(field);
	for (size_t i = 0; i < n; i++) {
		if (dl_slice_ieq(field, len, list[i]))
			return true;
	}
	return false;
}

bool dl_metadata_field_is_multiple_use(const char *field)
{
	return in_list(multiple_use, sizeof(multiple_use) / sizeof(multiple_use[0]), field);
}

static bool is_single_use(const char *field)
{
	return in_list(single_use, sizeof(single_use) / sizeof(single_use[0]), field);
}

void dl_metadata_free(dl_metadata *md)
{
	if (md == NULL)
		return;
	dl_version_clear(&md->version);
	dl_arena_free(md->arena);
}

/* Collect the values of one repeated field into a new arena array. */
static int collect(dl_arena *a, const struct headers *h, const char *name, const char ***out, size_t *n)
{
	size_t count = 0;
	for (size_t i = 0; i < h->n_fields; i++)
		count += field_is(&h->fields[i], name);
	*n = 0;
	*out = NULL;
	if (count == 0)
		return 0;
	const char **arr = dl_arena_calloc(a, count, sizeof(char *));
	if (arr == NULL)
		return dl_error_oom();
	for (size_t i = 0; i < h->n_fields; i++) {
		if (field_is(&h->fields[i], name))
			arr[(*n)++] = h->fields[i].value;
	}
	*out = arr;
	return 0;
}

/* Find the single field `name`: NULL when absent, an error when repeated
 * and `unique` is set. */
static int single(const struct headers *h, const char *name, bool unique, const dl_metadata_field **out)
{
	*out = NULL;
	for (size_t i = 0; i < h->n_fields; i++) {
		const dl_metadata_field *f = &h->fields[i];
		if (!field_is(f, name))
			continue;
		if (*out == NULL) {
			*out = f;
		} else if (unique) {
			return doc_error(DL_EPARSE, CORE, f->line, 0, "second '%s' field (the first is on line %lu)", name,
			                 (*out)->line);
		}
	}
	return 0;
}

static const char *value_or_null(const dl_metadata_field *f)
{
	return f != NULL ? f->value : NULL;
}

static int interpret(dl_metadata *md, const struct headers *h, bool lenient)
{
	const dl_metadata_field *mv, *name, *version, *rp, *f;
	int rc;
	if ((rc = single(h, "Metadata-Version", !lenient, &mv)) < 0 || (rc = single(h, "Name", !lenient, &name)) < 0 ||
	    (rc = single(h, "Version", !lenient, &version)) < 0 || (rc = single(h, "Requires-Python", !lenient, &rp)) < 0)
		return rc;
	if (mv == NULL) {
		if (!lenient)
			return dl_error_set(DL_EPARSE, "%s: no Metadata-Version field", CORE);
	} else if (!parse_major_minor(mv->value, &md->mv_major, &md->mv_minor) || md->mv_major == 0) {
		if (!lenient)
			return doc_error(DL_EPARSE, CORE, mv->line, 0, "Metadata-Version '%.40s' is not 'X.Y' (e.g. '2.1')",
			                 mv->value);
		md->mv_major = md->mv_minor = 0;
	} else if (md->mv_major > DL_METADATA_KNOWN_MAJOR && !lenient) {
		return doc_error(DL_EUNSUPPORTED, CORE, mv->line, 0,
		                 "Metadata-Version %s is newer than this parser knows (%d.x): refusing to guess",
		                 mv->value, DL_METADATA_KNOWN_MAJOR);
	}
	md->metadata_version = value_or_null(mv);
	md->mv_newer = md->mv_major > DL_METADATA_KNOWN_MAJOR ||
	               (md->mv_major == DL_METADATA_KNOWN_MAJOR && md->mv_minor > DL_METADATA_KNOWN_MINOR);

	if (name == NULL) {
		if (!lenient)
			return dl_error_set(DL_EPARSE, "%s: no Name field", CORE);
	} else {
		if (!lenient && !dl_name_is_valid(name->value, name->value_len))
			return doc_error(DL_EPARSE, CORE, name->line, 0,
			                 "Name '%.100s' is not a valid project name (letters, digits, '-', '_' and '.', "
			                 "starting and ending with a letter or digit)",
			                 name->value);
		char *norm = dl_arena_alloc(md->arena, name->value_len + 1);
		if (norm == NULL)
			return dl_error_oom();
		dl_name_normalize_into(norm, name->value, name->value_len);
		md->name = name->value;
		md->normalized_name = norm;
	}

	if (version == NULL) {
		if (!lenient)
			return dl_error_set(DL_EPARSE, "%s: no Version field", CORE);
	} else {
		md->version_text = version->value;
		rc = dl_version_parse_into(&md->version, version->value, version->value_len);
		if (rc == 0) {
			md->version_valid = true;
		} else {
			memset(&md->version, 0, sizeof(md->version));
			if (rc == DL_ENOMEM || !lenient)
				return rc == DL_ENOMEM ? rc
				                       : dl_error_context("reading the Version field on line %lu of the %s",
				                                          version->line, CORE);
		}
	}
	md->requires_python = value_or_null(rp);
	if ((rc = single(h, "Summary", false, &f)) < 0)
		return rc;
	md->summary = value_or_null(f);
	if ((rc = single(h, "Description-Content-Type", false, &f)) < 0)
		return rc;
	md->description_content_type = value_or_null(f);
	if ((rc = single(h, "Description", false, &f)) < 0)
		return rc;
	md->description = value_or_null(f);
	if (h->body != NULL) {
		char *body = dl_arena_strndup(md->arena, h->body, h->body_len);
		if (body == NULL)
			return dl_error_oom();
		md->body = body;
		md->body_len = h->body_len;
		if (h->body_len > 0)
			md->description = body;
	}

	if ((rc = collect(md->arena, h, "Requires-Dist", &md->requires_dist, &md->n_requires_dist)) < 0 ||
	    (rc = collect(md->arena, h, "Provides-Extra", &md->provides_extra, &md->n_provides_extra)) < 0 ||
	    (rc = collect(md->arena, h, "Dynamic", &md->dynamic, &md->n_dynamic)) < 0)
		return rc;

	if (md->n_provides_extra > 0) {
		md->provides_extra_normalized = dl_arena_calloc(md->arena, md->n_provides_extra, sizeof(char *));
		if (md->provides_extra_normalized == NULL)
			return dl_error_oom();
	}
	bool strict_extras = !lenient && (md->mv_major > 2 || (md->mv_major == 2 && md->mv_minor >= 3));
	size_t k = 0;
	for (size_t i = 0; i < h->n_fields; i++) {
		const dl_metadata_field *e = &h->fields[i];
		if (field_is(e, "Provides-Extra")) {
			if (strict_extras && !dl_name_is_valid(e->value, e->value_len))
				return doc_error(DL_EPARSE, CORE, e->line, 0,
				                 "Provides-Extra '%.100s' is not a valid extra name (required from "
				                 "Metadata-Version 2.3, PEP 685)",
				                 e->value);
			char *norm = dl_arena_alloc(md->arena, e->value_len + 1);
			if (norm == NULL)
				return dl_error_oom();
			dl_name_normalize_into(norm, e->value, e->value_len);
			md->provides_extra_normalized[k++] = norm;
		} else if (field_is(e, "Dynamic") && !lenient) {
			static const char *const never[] = {"Name", "Version", "Metadata-Version"};
			for (size_t j = 0; j < 3; j++) {
				if (dl_slice_ieq(e->value, e->value_len, never[j]))
					return doc_error(DL_EPARSE, CORE, e->line, 0, "'%s' may not be Dynamic (PEP 643)", never[j]);
			}
		}
	}
	return 0;
}

int dl_metadata_parse(dl_metadata **out, const char *data, size_t len, const dl_metadata_options *opts)
{
	static const dl_metadata_options defaults = DL_METADATA_OPTIONS_INIT;
	if (opts == NULL)
		opts = &defaults;
	if (opts->version != DL_METADATA_OPTIONS_VERSION)
		return dl_error_set(DL_EINVAL, "metadata options have version %u, expected %d", opts->version,
		                    DL_METADATA_OPTIONS_VERSION);
	dl_arena *arena = NULL;
	int rc = dl_arena_new(&arena);
	if (rc < 0)
		return rc;
	dl_metadata *md = dl_arena_calloc(arena, 1, sizeof(*md));
	if (md == NULL) {
		dl_arena_free(arena);
		return dl_error_oom();
	}
	md->arena = arena;
	struct headers h;
	rc = read_headers(arena, CORE, data, len, opts, &h);
	if (rc == 0) {
		md->fields = h.fields;
		md->n_fields = h.n_fields;
		rc = interpret(md, &h, opts->lenient);
	}
	if (rc < 0) {
		dl_metadata_free(md);
		return rc;
	}
	*out = md;
	return 0;
}

const char *dl_metadata_get_nth(const dl_metadata *md, const char *field, size_t n)
{
	for (size_t i = 0; i < md->n_fields; i++) {
		if (field_is(&md->fields[i], field) && n-- == 0)
			return md->fields[i].value;
	}
	return NULL;
}

const char *dl_metadata_get(const dl_metadata *md, const char *field)
{
	return dl_metadata_get_nth(md, field, 0);
}

size_t dl_metadata_count(const dl_metadata *md, const char *field)
{
	size_t n = 0;
	for (size_t i = 0; i < md->n_fields; i++)
		n += field_is(&md->fields[i], field);
	return n;
}

bool dl_metadata_is_dynamic(const dl_metadata *md, const char *field)
{
	size_t len = strlen(field);
	for (size_t i = 0; i < md->n_dynamic; i++) {
		if (dl_slice_ieq(field, len, md->dynamic[i]))
			return true;
	}
	return false;
}

bool dl_metadata_field_is_static(const dl_metadata *md, const char *field)
{
	bool has_dynamic = md->mv_major > 2 || (md->mv_major == 2 && md->mv_minor >= 2);
	return has_dynamic && !dl_metadata_is_dynamic(md, field);
}

/* ------------------------------------------------------------------ */
/* JSON and writing                                                    */

static char *json_key(const char *name)
{
	size_t n = strlen(name);
	char *k = dl_malloc(n + 1);
	if (k == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char c = (char)dl_tolower((unsigned char)name[i]);
		k[i] = c == '-' ? '_' : c;
	}
	k[n] = '\0';
	return k;
}

/* Keywords as a list: split at commas when there are any, else at blanks. */
static json_t *keywords_json(const char *v, size_t len)
{
	json_t *arr = json_array();
	if (arr == NULL)
		return NULL;
	bool commas = memchr(v, ',', len) != NULL;
	size_t i = 0;
	while (i < len) {
		size_t j = i;
		if (commas) {
			while (j < len && v[j] != ',')
				j++;
		} else {
			while (j < len && !dl_isspace((unsigned char)v[j]))
				j++;
		}
		size_t b = i, e = j;
		while (b < e && dl_isspace((unsigned char)v[b]))
			b++;
		while (e > b && dl_isspace((unsigned char)v[e - 1]))
			e--;
		if (e > b && json_array_append_new(arr, json_stringn(v + b, e - b)) != 0) {
			json_decref(arr);
			return NULL;
		}
		i = j + 1;
	}
	return arr;
}

int dl_metadata_to_json(json_t **out, const dl_metadata *md)
{
	json_t *obj = json_object();
	if (obj == NULL)
		return dl_error_oom();
	bool use_body = md->body != NULL && md->body_len > 0;
	for (size_t i = 0; i < md->n_fields; i++) {
		const dl_metadata_field *f = &md->fields[i];
		char *key = json_key(f->name);
		if (key == NULL)
			goto oom;
		json_t *have = json_object_get(obj, key);
		bool multi = dl_metadata_field_is_multiple_use(f->name);
		json_t *val = NULL;
		int rc = 0;
		if (field_is(f, "Keywords")) {
			if (have == NULL) {
				val = keywords_json(f->value, f->value_len);
				rc = val == NULL ? -1 : json_object_set_new(obj, key, val);
			}
		} else if (field_is(f, "Description") && use_body) {
			if (have == NULL) {
				val = json_stringn(md->body, md->body_len);
				rc = val == NULL ? -1 : json_object_set_new(obj, key, val);
			}
		} else if (multi && have == NULL) {
			have = json_array();
			rc = have == NULL ? -1 : json_object_set_new(obj, key, have);
			if (rc == 0)
				rc = json_array_append_new(have, json_stringn(f->value, f->value_len));
		} else if (have == NULL) {
			rc = json_object_set_new(obj, key, json_stringn(f->value, f->value_len));
		} else if (multi || !is_single_use(f->name)) {
			/* Seen again (an unknown field, or a spelling such as
			 * "Requires_Dist" that shares a key): keep every value. */
			if (json_is_string(have)) {
				json_t *arr = json_array();
				if (arr == NULL || json_array_append(arr, have) != 0 || json_object_set_new(obj, key, arr) != 0) {
					json_decref(arr);
					rc = -1;
				}
				have = arr;
			}
			if (rc == 0)
				rc = json_array_append_new(have, json_stringn(f->value, f->value_len));
		}
		dl_free(key);
		if (rc != 0)
			goto oom;
	}
	if (use_body && json_object_get(obj, "description") == NULL) {
		if (json_object_set_new(obj, "description", json_stringn(md->body, md->body_len)) != 0)
			goto oom;
	}
	*out = obj;
	return 0;
oom:
	json_decref(obj);
	return dl_error_oom();
}

int dl_metadata_write(const dl_metadata *md, dl_buf *out)
{
	for (size_t i = 0; i < md->n_fields; i++) {
		const dl_metadata_field *f = &md->fields[i];
		dl_buf_puts(out, f->name);
		dl_buf_puts(out, ": ");
		const char *v = f->value;
		size_t start = 0;
		for (size_t k = 0; k < f->value_len; k++) {
			if (v[k] == '\n') {
				dl_buf_put(out, v + start, k + 1 - start);
				dl_buf_puts(out, "        ");
				start = k + 1;
			}
		}
		dl_buf_put(out, v + start, f->value_len - start);
		dl_buf_putc(out, '\n');
	}
	if (md->body != NULL) {
		dl_buf_putc(out, '\n');
		dl_buf_put(out, md->body, md->body_len);
	}
	return out->failed;
}

/* ------------------------------------------------------------------ */
/* WHEEL                                                               */

void dl_wheel_info_free(dl_wheel_info *wi)
{
	if (wi != NULL)
		dl_arena_free(wi->arena);
}

static int single_wheel(const struct headers *h, const char *name, const dl_metadata_field **out)
{
	*out = NULL;
	for (size_t i = 0; i < h->n_fields; i++) {
		const dl_metadata_field *f = &h->fields[i];
		if (!field_is(f, name))
			continue;
		if (*out != NULL)
			return doc_error(DL_EPARSE, WHEELDOC, f->line, 0, "second '%s' field (the first is on line %lu)", name,
			                 (*out)->line);
		*out = f;
	}
	return 0;
}

static int interpret_wheel(dl_wheel_info *wi, const struct headers *h)
{
	const dl_metadata_field *wv, *gen, *purelib, *build;
	int rc;
	if ((rc = single_wheel(h, "Wheel-Version", &wv)) < 0 || (rc = single_wheel(h, "Generator", &gen)) < 0 ||
	    (rc = single_wheel(h, "Root-Is-Purelib", &purelib)) < 0 || (rc = single_wheel(h, "Build", &build)) < 0)
		return rc;
	if (wv == NULL)
		return dl_error_set(DL_EPARSE, "%s: no Wheel-Version field", WHEELDOC);
	if (!parse_major_minor(wv->value, &wi->wv_major, &wi->wv_minor) || wi->wv_major == 0)
		return doc_error(DL_EPARSE, WHEELDOC, wv->line, 0, "Wheel-Version '%.40s' is not 'X.Y' (e.g. '1.0')",
		                 wv->value);
	if (wi->wv_major > 1)
		return doc_error(DL_EUNSUPPORTED, WHEELDOC, wv->line, 0,
		                 "Wheel-Version %s: only version 1.x wheels can be installed", wv->value);
	wi->wheel_version = wv->value;
	wi->generator = value_or_null(gen);
	if (purelib != NULL) {
		if (dl_slice_ieq(purelib->value, purelib->value_len, "true"))
			wi->root_is_purelib = true;
		else if (!dl_slice_ieq(purelib->value, purelib->value_len, "false"))
			return doc_error(DL_EPARSE, WHEELDOC, purelib->line, 0,
			                 "Root-Is-Purelib must be 'true' or 'false', not '%.40s'", purelib->value);
	}
	if (build != NULL) {
		if (!dl_isdigit((unsigned char)build->value[0]))
			return doc_error(DL_EPARSE, WHEELDOC, build->line, 0, "Build '%.40s' must start with a digit",
			                 build->value);
		wi->build = build->value;
	}
	if ((rc = collect(wi->arena, h, "Tag", &wi->tags, &wi->n_tags)) < 0)
		return rc;
	for (size_t i = 0; i < h->n_fields; i++) {
		if (!field_is(&h->fields[i], "Tag"))
			continue;
		dl_tagset *set = NULL;
		rc = dl_tagset_parse(&set, h->fields[i].value, h->fields[i].value_len);
		dl_tagset_free(set);
		if (rc < 0)
			return rc == DL_ENOMEM ? rc : dl_error_context("reading line %lu of the %s", h->fields[i].line, WHEELDOC);
	}
	return 0;
}

int dl_metadata_parse_wheel_file(dl_wheel_info **out, const char *data, size_t len, const dl_metadata_options *opts)
{
	static const dl_metadata_options defaults = DL_METADATA_OPTIONS_INIT;
	if (opts == NULL)
		opts = &defaults;
	if (opts->version != DL_METADATA_OPTIONS_VERSION)
		return dl_error_set(DL_EINVAL, "metadata options have version %u, expected %d", opts->version,
		                    DL_METADATA_OPTIONS_VERSION);
	dl_arena *arena = NULL;
	int rc = dl_arena_new(&arena);
	if (rc < 0)
		return rc;
	dl_wheel_info *wi = dl_arena_calloc(arena, 1, sizeof(*wi));
	if (wi == NULL) {
		dl_arena_free(arena);
		return dl_error_oom();
	}
	wi->arena = arena;
	struct headers h;
	rc = read_headers(arena, WHEELDOC, data, len, opts, &h);
	if (rc == 0) {
		wi->fields = h.fields;
		wi->n_fields = h.n_fields;
		rc = interpret_wheel(wi, &h);
	}
	if (rc < 0) {
		dl_arena_free(arena);
		return rc;
	}
	*out = wi;
	return 0;
}
