/*
 * deeplock/toml.h - TOML 1.0.0 documents: a strict reader, a document model
 * with source positions, typed accessors that fail with positioned
 * messages, a builder, and a deterministic writer.
 *
 * A document (dl_toml_doc) owns every value in it through one arena, so it
 * is freed with one call and its values are borrowed pointers that live as
 * long as the document.  Values are opaque; read them with the accessors
 * below.  Every parsed value remembers where it started (1-based line and
 * column, counting Unicode characters), so a lock-file reader can report
 * "pylock.toml:12:11: 'packages[3].version' must be a string, found integer"
 * with dl_toml_get() or dl_toml_value_error().
 *
 * Tables keep their keys in insertion order (the order of the source, or of
 * the builder calls) and look keys up through a hash index, so documents
 * with thousands of keys stay fast.  The writer writes keys in that order;
 * callers that want sorted output sort first (dl_toml_table_sort).
 *
 * Input is untrusted: the reader validates UTF-8 and every TOML rule
 * (including every table-redefinition rule of the specification), bounds the
 * input size and the nesting depth, and never recurses deeper than that
 * depth.  Floats are converted with strtod, which reads '.' as the decimal
 * point only in the "C" LC_NUMERIC locale (deeplock never calls setlocale).
 */
#ifndef DEEPLOCK_TOML_H
#define DEEPLOCK_TOML_H

#include "deeplock/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dl_toml_doc dl_toml_doc;
typedef struct dl_toml_value dl_toml_value;

typedef enum dl_toml_type {
	DL_TOML_STRING = 1,
	DL_TOML_INTEGER,
	DL_TOML_FLOAT,
	DL_TOML_BOOLEAN,
	DL_TOML_DATETIME,       /* offset date-time: 1979-05-27T07:32:00-08:00 */
	DL_TOML_DATETIME_LOCAL, /* local date-time:  1979-05-27T07:32:00 */
	DL_TOML_DATE_LOCAL,     /* local date:       1979-05-27 */
	DL_TOML_TIME_LOCAL,     /* local time:       07:32:00 */
	DL_TOML_ARRAY,
	DL_TOML_TABLE
} dl_toml_type;

/*
 * The parts of a date-time exactly as parsed.  Which parts mean anything
 * depends on the value's type: a local date has only year..day, a local time
 * only hour..frac_digits, and only an offset date-time has offset_minutes.
 * Fractions longer than nanoseconds are truncated (TOML allows that);
 * frac_digits records how many fraction digits to print (0-9) so that
 * "00:32:00.999" prints back as written.
 */
typedef struct dl_toml_datetime {
	int year;           /* 0-9999 */
	int month;          /* 1-12 */
	int day;            /* 1-31, valid for the month and year */
	int hour;           /* 0-23 */
	int minute;         /* 0-59 */
	int second;         /* 0-60 (60: a leap second) */
	int nanosecond;     /* 0-999999999 */
	int frac_digits;    /* 0-9 fraction digits to print */
	int offset_minutes; /* -1439..1439, east of UTC */
} dl_toml_datetime;

/* Name of a type for messages: "string", "integer", "float", "boolean",
 * "offset date-time", "local date-time", "local date", "local time",
 * "array", "table".  Static. */
const char *dl_toml_type_name(dl_toml_type type);

/* ------------------------------------------------------------------ */
/* Reading                                                             */

#define DL_TOML_DEFAULT_MAX_INPUT ((size_t)64 << 20) /* 64 MiB */
#define DL_TOML_DEFAULT_MAX_DEPTH 256
#define DL_TOML_MAX_DEPTH_LIMIT 4096

typedef struct dl_toml_parse_options {
	unsigned int version;
	/* Largest input accepted, in bytes; 0 means DL_TOML_DEFAULT_MAX_INPUT.
	 * Never more than 1 GiB. */
	size_t max_input;
	/* Deepest nesting of tables and arrays below the root (the root is
	 * depth 0; `a.b = 1` puts a table at depth 1); 0 means
	 * DL_TOML_DEFAULT_MAX_DEPTH.  At most DL_TOML_MAX_DEPTH_LIMIT. */
	unsigned int max_depth;
} dl_toml_parse_options;

#define DL_TOML_PARSE_OPTIONS_VERSION 1
#define DL_TOML_PARSE_OPTIONS_INIT {DL_TOML_PARSE_OPTIONS_VERSION, 0, 0}

/*
 * Parse the TOML 1.0.0 document [data, data+len) into a new document (*out,
 * free with dl_toml_doc_free).  The input need not be NUL-terminated and is
 * not referenced after the call.  `source` names the input in messages (a
 * file name, "<stdin>"); NULL means "<input>".  `opts` may be NULL for the
 * defaults.
 *
 * On malformed input returns DL_EPARSE with the message
 * "<source>:<line>:<column>: <what was expected or found>"; on an input or
 * nesting limit DL_ELIMIT with the same shape; DL_ENOMEM when memory runs
 * out; DL_EINVAL for bad options.  *out is untouched on failure.  A UTF-8
 * byte order mark at the very start is skipped.  It does not keep comments
 * or formatting.
 */
int dl_toml_parse(dl_toml_doc **out, const char *data, size_t len, const char *source,
                  const dl_toml_parse_options *opts) DL_WARN_UNUSED;

/* Free a document and every value in it.  NULL is ignored. */
void dl_toml_doc_free(dl_toml_doc *doc);

/* The document's root table.  Borrowed; never NULL. */
dl_toml_value *dl_toml_doc_root(const dl_toml_doc *doc);

/* The name the document was parsed or created under; NULL when none. */
const char *dl_toml_doc_source(const dl_toml_doc *doc);

/* Parse exactly one TOML date-time literal (any of the four kinds, with
 * 'T', 't' or ' ' between date and time and 'Z' or 'z' for UTC) filling
 * *out and *type.  The whole slice must be the literal.  Returns DL_EPARSE,
 * naming the problem, otherwise.  Does not accept RFC 3339 forms that TOML
 * rejects (such as a missing seconds field). */
int dl_toml_datetime_parse(dl_toml_datetime *out, dl_toml_type *type, const char *s, size_t len);

/* Append the RFC 3339 form of a date-time of the given type to `out`
 * ("1979-05-27T00:32:00.999-07:00"; UTC as "Z"; local kinds without an
 * offset).  Prints max(frac_digits, the digits nanosecond needs) fraction
 * digits.  Returns DL_EINVAL when `type` is not a date-time type or a part is
 * out of range, or the buffer's error. */
int dl_toml_datetime_format(dl_buf *out, dl_toml_type type, const dl_toml_datetime *dt);

/* ------------------------------------------------------------------ */
/* Reading values.  None of these allocate or set the stored error.    */

dl_toml_type dl_toml_value_type(const dl_toml_value *v);

/* 1-based line and column (in characters) where the value starts in the
 * source: the first character of a scalar, array or inline table, the '['
 * of the header that defined a table, or the key that created a table
 * implicitly.  0 and 0 for values made with the builder. */
unsigned long dl_toml_value_line(const dl_toml_value *v);
unsigned long dl_toml_value_column(const dl_toml_value *v);

/* The table or array that holds `v`; NULL for a root or a detached value. */
dl_toml_value *dl_toml_value_parent(const dl_toml_value *v);

/* The scalar behind a value of the matching type.  A string is
 * NUL-terminated but may also contain NULs (from "\u0000"): use *len (when
 * len is not NULL).  Each returns NULL / 0 / false when the type differs;
 * they do not convert between types. */
const char *dl_toml_value_string(const dl_toml_value *v, size_t *len);
int64_t dl_toml_value_integer(const dl_toml_value *v);
double dl_toml_value_float(const dl_toml_value *v);
bool dl_toml_value_boolean(const dl_toml_value *v);
/* For any of the four date-time types; NULL otherwise. */
const dl_toml_datetime *dl_toml_value_datetime(const dl_toml_value *v);

/* Arrays: number of elements (0 for a non-array) and element i (NULL when
 * out of range). */
size_t dl_toml_array_len(const dl_toml_value *array);
dl_toml_value *dl_toml_array_at(const dl_toml_value *array, size_t i);

/* Tables: number of keys (0 for a non-table), and the i-th key and value in
 * insertion order (NULL when out of range).  *key is NUL-terminated and
 * borrowed; keys may contain NULs, so *keylen is the true length. */
size_t dl_toml_table_len(const dl_toml_value *table);
dl_toml_value *dl_toml_table_at(const dl_toml_value *table, size_t i, const char **key, size_t *keylen);

/* The value under one key (not a dotted path); NULL when absent or when
 * `table` is not a table.  O(1) on average. */
dl_toml_value *dl_toml_table_get(const dl_toml_value *table, const char *key);
dl_toml_value *dl_toml_table_getn(const dl_toml_value *table, const char *key, size_t keylen);

/*
 * Follow a path from `v`: keys separated by '.', each either bare (any
 * characters but '.', '[' and '"') or in double quotes (taken literally, no
 * escapes), and array indexes in brackets: `tool.poetry.name`,
 * `packages[3].wheels[0].url`, `tool."setuptools.dynamic"`.  NULL when any
 * step is missing, of the wrong type, or the path is malformed.  It does not
 * report why; use dl_toml_get for checked access.
 */
dl_toml_value *dl_toml_get_path(const dl_toml_value *v, const char *path);

/* Append the path of `v` from its root in the syntax above, quoting keys
 * the way TOML needs ("packages[3].version", "tool.\"a b\""); nothing for
 * the root.  Returns 0 or the buffer's error. */
int dl_toml_value_path(dl_buf *out, const dl_toml_value *v);

/* True when two values are equal as TOML data: same type; strings
 * byte-equal; floats equal with NaN equal to NaN and 0.0 unequal to -0.0;
 * date-times by their parts (not frac_digits); arrays element-wise in
 * order; tables with the same keys (in any order) and equal values.  Styles
 * and positions are ignored.  It recurses once per level of nesting, which
 * parsed documents bound (DL_TOML_MAX_DEPTH_LIMIT at most); it does not
 * guard against a built tree nested deeper than that. */
bool dl_toml_value_equal(const dl_toml_value *a, const dl_toml_value *b);

/* ------------------------------------------------------------------ */
/* Checked access, for readers of lock files and project files.        */

/*
 * Look up `key` in `table` and check its type.  On success *out is the value
 * (borrowed) and the result is 0.  When the key is absent: with `required`
 * DL_ENOTFOUND and "<pos>: missing key 'version' in 'packages[3]'", without
 * it 0 and *out = NULL.  When the type differs: DL_EPARSE and
 * "<pos>: 'packages[3].version' must be a string, found integer".  <pos> is
 * "<source>:<line>:<column>" of the offending value (the table for a
 * missing key), "line L, column C" when the document has no source name,
 * and is left out for builder values.  It does not convert between types
 * (an integer is not a float).  `table` must be a table (DL_EINVAL
 * otherwise).
 */
int dl_toml_get(const dl_toml_value **out, const dl_toml_value *table, const char *key, dl_toml_type type,
                bool required);

/* Required-key shorthands for dl_toml_get. */
int dl_toml_get_string(const dl_toml_value *table, const char *key, const char **out);
int dl_toml_get_integer(const dl_toml_value *table, const char *key, int64_t *out);
int dl_toml_get_boolean(const dl_toml_value *table, const char *key, bool *out);
int dl_toml_get_table(const dl_toml_value *table, const char *key, const dl_toml_value **out);
int dl_toml_get_array(const dl_toml_value *table, const char *key, const dl_toml_value **out);

/* Check that `v` has type `type`; DL_EPARSE with "<pos>: '<path>' must be
 * a <type>, found <type>" otherwise.  For array elements and the like. */
int dl_toml_expect(const dl_toml_value *v, dl_toml_type type);

/* Set the stored error to "<pos>: <message>" for a semantic problem found
 * in `v` (an invalid version string, say) and return `code`.  <pos> as in
 * dl_toml_get. */
int dl_toml_value_error(const dl_toml_value *v, int code, const char *fmt, ...) DL_PRINTF(3, 4);

/* ------------------------------------------------------------------ */
/* Building documents for the writer.                                  */

/* How the writer lays out a table or an array.  A parsed document marks its
 * inline tables and its `key = [...]` arrays DL_TOML_STYLE_INLINE and leaves
 * everything else DL_TOML_STYLE_AUTO. */
typedef enum dl_toml_style {
	/* Table: a [header] section (inline when inside an inline value).
	 * Array: [[header]] sections when it is non-empty and every element is
	 * a table not marked inline; otherwise like INLINE. */
	DL_TOML_STYLE_AUTO = 0,
	/* Table: `{ a = 1, b = "x" }`.  Array: `[1, 2]` on one line. */
	DL_TOML_STYLE_INLINE,
	/* Array: one element per line, each followed by a comma:
	 * `wheels = [\n  { name = "a" },\n]`.  Elements are written inline.
	 * Inside an inline table it falls back to one line (TOML 1.0 inline
	 * tables are single-line).  Tables treat it as AUTO. */
	DL_TOML_STYLE_MULTILINE
} dl_toml_style;

/* Start an empty document (root table only) for building.  `source` may be
 * NULL.  Free with dl_toml_doc_free. */
int dl_toml_doc_new(dl_toml_doc **out, const char *source) DL_WARN_UNUSED;

/*
 * Make a new detached value in `doc`.  It belongs to the document (freed with
 * it) and becomes part of the tree once attached with dl_toml_table_set or
 * dl_toml_array_append.  Strings are copied and must be valid UTF-8
 * (DL_EINVAL otherwise; NULs are allowed).  A date-time must have valid
 * parts for its type (DL_EINVAL).  A float may be any double.  Each returns
 * 0 or DL_ENOMEM / DL_EINVAL.
 */
int dl_toml_new_string(dl_toml_value **out, dl_toml_doc *doc, const char *s, size_t len);
int dl_toml_new_integer(dl_toml_value **out, dl_toml_doc *doc, int64_t i);
int dl_toml_new_float(dl_toml_value **out, dl_toml_doc *doc, double f);
int dl_toml_new_boolean(dl_toml_value **out, dl_toml_doc *doc, bool b);
int dl_toml_new_datetime(dl_toml_value **out, dl_toml_doc *doc, dl_toml_type type, const dl_toml_datetime *dt);
int dl_toml_new_array(dl_toml_value **out, dl_toml_doc *doc);
int dl_toml_new_table(dl_toml_value **out, dl_toml_doc *doc);

/*
 * Attach `v` to `table` under `key` (any bytes, copied).  A new key goes at
 * the end of the order; an existing key keeps its place and gets the new
 * value.  `v` must be a detached value of the same document, and must not
 * be `table` or one of its ancestors (DL_EINVAL: a value lives in one place
 * and the tree has no cycles).  Returns 0, DL_EINVAL or DL_ENOMEM.
 */
int dl_toml_table_set(dl_toml_doc *doc, dl_toml_value *table, const char *key, size_t keylen, dl_toml_value *v);

/* Attach `v` as the last element of `array`; the same rules as
 * dl_toml_table_set. */
int dl_toml_array_append(dl_toml_doc *doc, dl_toml_value *array, dl_toml_value *v);

/* Shorthands: make a value and set it under a NUL-terminated key. */
int dl_toml_table_set_string(dl_toml_doc *doc, dl_toml_value *table, const char *key, const char *s);
int dl_toml_table_set_integer(dl_toml_doc *doc, dl_toml_value *table, const char *key, int64_t i);
int dl_toml_table_set_boolean(dl_toml_doc *doc, dl_toml_value *table, const char *key, bool b);
/* Make an empty table or array under `key` and return it in *out. */
int dl_toml_table_add_table(dl_toml_value **out, dl_toml_doc *doc, dl_toml_value *table, const char *key);
int dl_toml_table_add_array(dl_toml_value **out, dl_toml_doc *doc, dl_toml_value *table, const char *key);
/* Append a NUL-terminated string, or a new empty table returned in *out. */
int dl_toml_array_append_string(dl_toml_doc *doc, dl_toml_value *array, const char *s);
int dl_toml_array_add_table(dl_toml_value **out, dl_toml_doc *doc, dl_toml_value *array);

/* Reorder a table's keys by byte order of the key (shorter first on a
 * common prefix).  Stable; does not recurse into values. */
void dl_toml_table_sort(dl_toml_value *table);

/* Set / read the layout hint of a table or array (ignored on scalars). */
void dl_toml_value_set_style(dl_toml_value *v, dl_toml_style style);
dl_toml_style dl_toml_value_style(const dl_toml_value *v);

/* ------------------------------------------------------------------ */
/* Writing (toml_write.c)                                              */

/*
 * Append `table` to `out` as a TOML document.  The output is a function of
 * the tree alone: keys in the tree's order; in each table first the keys
 * whose values are written on the key's line (scalars, inline tables,
 * inline arrays), then its [sub.tables] and [[arrays.of.tables]] sections;
 * a blank line before every header; a table whose only content is
 * sub-sections gets no header of its own.  Keys are bare when they can be,
 * strings are basic strings with escapes for '"', '\\' and control
 * characters, floats use the shortest form that reads back as the same
 * double (inf, -inf, nan spelled the TOML way; the sign of a NaN is not
 * kept), date-times RFC 3339.  Parsing the output gives a tree equal to
 * `table` (dl_toml_value_equal).  Returns 0, DL_EINVAL (not a table; a
 * nesting deeper than DL_TOML_MAX_DEPTH_LIMIT), or the buffer's error; on
 * failure `out` may hold partial output.
 */
int dl_toml_write(dl_buf *out, const dl_toml_value *table);

/* Append one value in inline TOML syntax (`"a\tb"`, `1.5`, `inf`,
 * `1979-05-27T07:32:00Z`, `[1, 2]`, `{ a = 1 }`), as it would follow
 * `key = ` in a document, ignoring MULTILINE styles.  Same errors as
 * dl_toml_write. */
int dl_toml_write_value(dl_buf *out, const dl_toml_value *v);

/* Append `key` (any bytes) as a TOML key: bare when it is made only of
 * A-Z a-z 0-9 _ -, otherwise a quoted basic string.  Returns 0 or the
 * buffer's error. */
int dl_toml_write_key(dl_buf *out, const char *key, size_t keylen);

#ifdef __cplusplus
}
#endif
#endif
