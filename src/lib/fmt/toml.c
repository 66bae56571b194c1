/*
 * toml.c - the TOML 1.0.0 reader, the document model and its accessors and
 * builder (the writer is toml_write.c, which uses only the public API).
 *
 * Model.  A document owns one arena; every value, key and string lives in
 * it, so freeing a document is one call and accessors hand out borrowed
 * pointers.  A value records its type, its source position, its parent (so
 * that an error about a value can name its path, "packages[3].version"),
 * a writer style and, for tables, the bookkeeping that TOML's redefinition
 * rules need.  A table is an insertion-ordered entry vector plus, once it
 * holds more than a handful of keys, an open-addressing hash index over it
 * (load factor at most 1/2, rebuilt whenever the vector doubles).  The hash
 * is seeded with the table's address: results never depend on it, but a
 * crafted set of colliding keys does not stay colliding from run to run.
 * Vectors grow by doubling inside the arena; the abandoned copies cost at
 * most as much as the final one.
 *
 * Reader.  One pass over the whole input first checks that it is UTF-8
 * (no overlong forms, no surrogates, nothing above U+10FFFF), that it has no
 * control character other than tab and line feed, and that every carriage
 * return starts a CRLF: TOML forbids those everywhere (in strings, comments
 * and between tokens alike), so after that pass the parser can treat any
 * byte >= 0x80 as "some permitted character" and never re-check.  The parser
 * is a recursive-descent cursor over (pointer, length) that advances only on
 * success; recursion happens only for nested arrays and inline tables and
 * is bounded by the configured depth, which also bounds dotted keys and
 * header paths (every table counts), so hostile input cannot exhaust the
 * stack.
 *
 * Redefinition rules.  TOML 1.0 lets a table be defined once, by a header,
 * by dotted keys, or as an inline table; the rules are enforced with a few
 * flags per table rather than a table of defined paths:
 *   - F_FROZEN: an inline table or a `key = [...]` array.  Nothing may be
 *     added to it afterwards, by any syntax.  Everything inside it can only
 *     be reached through it, so the flag is checked on the way down.
 *   - F_HEADER: defined by a [header]; a second [header] for it fails, and
 *     dotted keys from another section may not reach into it.
 *   - F_AOT: an array made by [[header]]; only [[header]] may append to it,
 *     and [header] paths walk into its last element.
 *   - section: the number of the [header] section whose dotted keys created
 *     or extended the table (0: never).  Dotted keys may reach into it only
 *     from that same section, and no [header] may define it afterwards.
 *     A table made implicitly by a header path ([a.b.c] makes a and a.b) has
 *     none of these and may still be defined once, by either syntax.
 *
 * Positions.  Line numbers are tracked as newlines are consumed; columns
 * count characters, not bytes.  A value's column is found by counting from
 * a cached (offset, column) point on the current line, which only moves
 * forward, so the total cost is linear even on one huge line.
 *
 * Speed.  The validation pass, the column counting and the scan of a
 * string without escapes look at eight bytes at a time; everything else is
 * one pass of byte compares.  Error messages are formatted in separate
 * functions so that the frames of the recursive functions stay small.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/toml.h"

enum {
	F_FROZEN = 1,
	F_HEADER = 2,
	F_AOT = 4,
	F_ROOT = 8,
};

/* Tables switch from a linear scan to the hash index above this size. */
#define INDEX_THRESHOLD 8
/* A hard ceiling on any input, whatever the options say. */
#define MAX_INPUT_CEILING ((size_t)1 << 30)

struct tentry {
	const char *key;
	uint32_t keylen;
	uint32_t hash;
	dl_toml_value *val;
};

struct dl_toml_value {
	uint8_t type;
	uint8_t flags;
	uint8_t style;
	uint16_t depth;
	uint32_t line;
	uint32_t col;
	dl_toml_value *parent;
	union {
		struct {
			char *ptr;
			size_t len;
		} s;
		int64_t i;
		double f;
		bool b;
		dl_toml_datetime dt;
		struct {
			dl_toml_value **items;
			uint32_t len;
			uint32_t cap;
		} a;
		struct {
			struct tentry *e;
			uint32_t *idx; /* slot -> entry index + 1, 0 when empty */
			uint32_t len;
			uint32_t cap;
			uint32_t mask; /* index slots - 1; meaningful when idx != NULL */
			uint32_t section;
		} t;
	} u;
};

struct dl_toml_doc {
	dl_toml_value root; /* first: a root value converts back to its document */
	dl_arena *arena;
	const char *source;
};

/* ------------------------------------------------------------------ */
/* Values and tables                                                   */

static dl_toml_value *value_new(dl_arena *a, dl_toml_type type)
{
	dl_toml_value *v = dl_arena_calloc(a, 1, sizeof(*v));
	if (v != NULL)
		v->type = (uint8_t)type;
	return v;
}

static uint32_t key_hash(const dl_toml_value *t, const char *k, size_t n)
{
	uint64_t h = 0xcbf29ce484222325u ^ ((uint64_t)(uintptr_t)t * 0x9e3779b97f4a7c15u);
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)k[i];
		h *= 0x100000001b3u;
	}
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9u;
	h ^= h >> 32;
	return (uint32_t)h;
}

static struct tentry *table_find(const dl_toml_value *t, const char *k, size_t n, uint32_t h)
{
	if (t->u.t.idx == NULL) {
		for (uint32_t i = 0; i < t->u.t.len; i++) {
			struct tentry *e = &t->u.t.e[i];
			if (e->hash == h && e->keylen == n && memcmp(e->key, k, n) == 0)
				return e;
		}
		return NULL;
	}
	uint32_t mask = t->u.t.mask;
	for (uint32_t i = h & mask;; i = (i + 1) & mask) {
		uint32_t slot = t->u.t.idx[i];
		if (slot == 0)
			return NULL;
		struct tentry *e = &t->u.t.e[slot - 1];
		if (e->hash == h && e->keylen == n && memcmp(e->key, k, n) == 0)
			return e;
	}
}

static void index_put(dl_toml_value *t, uint32_t entry)
{
	uint32_t mask = t->u.t.mask;
	uint32_t i = t->u.t.e[entry].hash & mask;
	while (t->u.t.idx[i] != 0)
		i = (i + 1) & mask;
	t->u.t.idx[i] = entry + 1;
}

/* Build the index afresh with room for `cap` entries at load <= 1/2. */
static int index_rebuild(dl_arena *a, dl_toml_value *t, uint32_t cap)
{
	uint32_t slots = 2 * cap;
	uint32_t *idx = dl_arena_calloc(a, slots, sizeof(*idx));
	if (idx == NULL)
		return dl_error_oom();
	t->u.t.idx = idx;
	t->u.t.mask = slots - 1;
	for (uint32_t i = 0; i < t->u.t.len; i++)
		index_put(t, i);
	return 0;
}

/* Append an entry whose key already lives in the arena.  The caller has
 * checked that the key is absent. */
static int table_append(dl_arena *a, dl_toml_value *t, const char *key, size_t keylen, uint32_t h, dl_toml_value *v)
{
	if (keylen > UINT32_MAX)
		return dl_error_set(DL_ELIMIT, "TOML key longer than 4 GiB");
	if (t->u.t.len == t->u.t.cap) {
		if (t->u.t.cap >= ((uint32_t)1 << 30))
			return dl_error_set(DL_ELIMIT, "TOML table with more than 2^30 keys");
		uint32_t cap = t->u.t.cap != 0 ? 2 * t->u.t.cap : 4;
		struct tentry *e = dl_arena_alloc(a, (size_t)cap * sizeof(*e));
		if (e == NULL)
			return dl_error_oom();
		if (t->u.t.len != 0)
			memcpy(e, t->u.t.e, (size_t)t->u.t.len * sizeof(*e));
		t->u.t.e = e;
		t->u.t.cap = cap;
		if (cap > INDEX_THRESHOLD) {
			int rc = index_rebuild(a, t, cap);
			if (rc < 0)
				return rc;
		}
	}
	uint32_t i = t->u.t.len++;
	t->u.t.e[i].key = key;
	t->u.t.e[i].keylen = (uint32_t)keylen;
	t->u.t.e[i].hash = h;
	t->u.t.e[i].val = v;
	if (t->u.t.idx != NULL)
		index_put(t, i);
	v->parent = t;
	return 0;
}

static int array_push(dl_arena *a, dl_toml_value *arr, dl_toml_value *v)
{
	if (arr->u.a.len == arr->u.a.cap) {
		if (arr->u.a.cap >= ((uint32_t)1 << 30))
			return dl_error_set(DL_ELIMIT, "TOML array with more than 2^30 elements");
		uint32_t cap = arr->u.a.cap != 0 ? 2 * arr->u.a.cap : 4;
		dl_toml_value **items = dl_arena_alloc(a, (size_t)cap * sizeof(*items));
		if (items == NULL)
			return dl_error_oom();
		if (arr->u.a.len != 0)
			memcpy(items, arr->u.a.items, (size_t)arr->u.a.len * sizeof(*items));
		arr->u.a.items = items;
		arr->u.a.cap = cap;
	}
	arr->u.a.items[arr->u.a.len++] = v;
	v->parent = arr;
	return 0;
}

static int doc_create(dl_toml_doc **out, const char *source)
{
	dl_arena *a = NULL;
	int rc = dl_arena_new(&a);
	if (rc < 0)
		return rc;
	dl_toml_doc *doc = dl_arena_calloc(a, 1, sizeof(*doc));
	const char *src = NULL;
	if (doc != NULL && source != NULL)
		src = dl_arena_strndup(a, source, strlen(source));
	if (doc == NULL || (source != NULL && src == NULL)) {
		dl_arena_free(a);
		return dl_error_oom();
	}
	doc->arena = a;
	doc->source = src;
	doc->root.type = DL_TOML_TABLE;
	doc->root.flags = F_ROOT;
	*out = doc;
	return 0;
}

/* ------------------------------------------------------------------ */
/* UTF-8                                                               */

/* Length of the valid UTF-8 sequence at s[0..n), or 0 when it is invalid
 * (overlong, surrogate, above U+10FFFF, truncated, stray continuation). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	}
	return len;
}

static bool utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		size_t k = utf8_seq(u + i, n - i);
		if (k == 0)
			return false;
		i += k;
	}
	return true;
}

static int utf8_put(dl_buf *b, uint32_t cp)
{
	char tmp[4];
	size_t n;
	if (cp < 0x80) {
		tmp[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		tmp[0] = (char)(0xc0 | (cp >> 6));
		tmp[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		tmp[0] = (char)(0xe0 | (cp >> 12));
		tmp[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		tmp[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		tmp[0] = (char)(0xf0 | (cp >> 18));
		tmp[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		tmp[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		tmp[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return dl_buf_put(b, tmp, n);
}

/* ------------------------------------------------------------------ */
/* Date-times                                                          */

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Read exactly `k` ASCII digits at s[*i..n). */
static bool digits(const char *s, size_t n, size_t *i, int k, int *out)
{
	int v = 0;
	if (n - *i < (size_t)k)
		return false;
	for (int j = 0; j < k; j++) {
		char c = s[*i + (size_t)j];
		if (!dl_isdigit((unsigned char)c))
			return false;
		v = v * 10 + (c - '0');
	}
	*i += (size_t)k;
	*out = v;
	return true;
}

static bool looks_like_date(const char *s, size_t n)
{
	return n >= 5 && dl_isdigit((unsigned char)s[0]) && dl_isdigit((unsigned char)s[1]) &&
	       dl_isdigit((unsigned char)s[2]) && dl_isdigit((unsigned char)s[3]) && s[4] == '-';
}

static bool looks_like_time(const char *s, size_t n)
{
	return n >= 3 && dl_isdigit((unsigned char)s[0]) && dl_isdigit((unsigned char)s[1]) && s[2] == ':';
}

/* HH:MM:SS[.frac] at s[*i..n). */
static const char *scan_time(const char *s, size_t n, size_t *i, dl_toml_datetime *dt)
{
	if (!digits(s, n, i, 2, &dt->hour))
		return "expected two digits for the hour";
	if (*i >= n || s[*i] != ':')
		return "expected ':' after the hour";
	(*i)++;
	if (!digits(s, n, i, 2, &dt->minute))
		return "expected two digits for the minute";
	if (*i >= n || s[*i] != ':')
		return "expected ':' and seconds after the minute (TOML 1.0 requires seconds)";
	(*i)++;
	if (!digits(s, n, i, 2, &dt->second))
		return "expected two digits for the second";
	if (dt->hour > 23)
		return "hour out of range (00-23)";
	if (dt->minute > 59)
		return "minute out of range (00-59)";
	if (dt->second > 60)
		return "second out of range (00-60)";
	if (*i < n && s[*i] == '.') {
		(*i)++;
		if (*i >= n || !dl_isdigit((unsigned char)s[*i]))
			return "expected digits after the decimal point of the seconds";
		int ns = 0, nd = 0;
		while (*i < n && dl_isdigit((unsigned char)s[*i])) {
			if (nd < 9) {
				ns = ns * 10 + (s[*i] - '0');
				nd++;
			}
			(*i)++;
		}
		dt->frac_digits = nd;
		for (int k = nd; k < 9; k++)
			ns *= 10;
		dt->nanosecond = ns;
	}
	return NULL;
}

/*
 * Scan a date-time literal at the start of s[0..n): a local time when it
 * starts "HH:", otherwise a date optionally followed by a time (after 'T',
 * 't', or a space that is followed by "HH:") and an offset.  Stops after
 * the literal; the caller decides what may follow.  Returns NULL and sets
 * *used, or a message and sets *used to where the problem is.
 */
static const char *scan_datetime(const char *s, size_t n, size_t *used, dl_toml_datetime *dt, dl_toml_type *type)
{
	size_t i = 0;
	const char *why;
	memset(dt, 0, sizeof(*dt));
	if (looks_like_time(s, n)) {
		why = scan_time(s, n, &i, dt);
		*used = i;
		*type = DL_TOML_TIME_LOCAL;
		return why;
	}
	if (!digits(s, n, &i, 4, &dt->year) || i >= n || s[i] != '-') {
		*used = i;
		return "expected a date YYYY-MM-DD";
	}
	i++;
	if (!digits(s, n, &i, 2, &dt->month) || i >= n || s[i] != '-') {
		*used = i;
		return "expected two digits for the month and '-'";
	}
	i++;
	if (!digits(s, n, &i, 2, &dt->day)) {
		*used = i;
		return "expected two digits for the day";
	}
	if (dt->month < 1 || dt->month > 12) {
		*used = 5;
		return "month out of range (01-12)";
	}
	if (dt->day < 1 || dt->day > days_in_month(dt->year, dt->month)) {
		*used = 8;
		return "day out of range for the month";
	}
	*type = DL_TOML_DATE_LOCAL;
	if (i < n && (s[i] == 'T' || s[i] == 't' || (s[i] == ' ' && looks_like_time(s + i + 1, n - i - 1)))) {
		i++;
		why = scan_time(s, n, &i, dt);
		if (why != NULL) {
			*used = i;
			return why;
		}
		*type = DL_TOML_DATETIME_LOCAL;
		if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
			i++;
			*type = DL_TOML_DATETIME;
		} else if (i < n && (s[i] == '+' || s[i] == '-')) {
			int sign = s[i] == '-' ? -1 : 1, oh = 0, om = 0;
			i++;
			if (!digits(s, n, &i, 2, &oh) || i >= n || s[i] != ':') {
				*used = i;
				return "expected an offset +HH:MM";
			}
			i++;
			if (!digits(s, n, &i, 2, &om)) {
				*used = i;
				return "expected an offset +HH:MM";
			}
			if (oh > 23 || om > 59) {
				*used = i - 5;
				return "offset out of range";
			}
			dt->offset_minutes = sign * (oh * 60 + om);
			*type = DL_TOML_DATETIME;
		}
	}
	*used = i;
	return NULL;
}

static bool datetime_valid(dl_toml_type type, const dl_toml_datetime *dt)
{
	if (type < DL_TOML_DATETIME || type > DL_TOML_TIME_LOCAL)
		return false;
	if (type != DL_TOML_TIME_LOCAL) {
		if (dt->year < 0 || dt->year > 9999 || dt->month < 1 || dt->month > 12 || dt->day < 1 ||
		    dt->day > days_in_month(dt->year, dt->month))
			return false;
	}
	if (type != DL_TOML_DATE_LOCAL) {
		if (dt->hour < 0 || dt->hour > 23 || dt->minute < 0 || dt->minute > 59 || dt->second < 0 ||
		    dt->second > 60 || dt->nanosecond < 0 || dt->nanosecond > 999999999 || dt->frac_digits < 0 ||
		    dt->frac_digits > 9)
			return false;
	}
	if (type == DL_TOML_DATETIME && (dt->offset_minutes < -1439 || dt->offset_minutes > 1439))
		return false;
	return true;
}

int dl_toml_datetime_parse(dl_toml_datetime *out, dl_toml_type *type, const char *s, size_t len)
{
	dl_toml_datetime dt;
	dl_toml_type t = DL_TOML_DATE_LOCAL;
	size_t used = 0;
	if (!looks_like_date(s, len) && !looks_like_time(s, len))
		return dl_error_set(DL_EPARSE, "invalid date-time '%.*s': expected YYYY-MM-DD or HH:MM:SS",
		                    (int)(len > 64 ? 64 : len), s);
	const char *why = scan_datetime(s, len, &used, &dt, &t);
	if (why == NULL && used != len)
		why = "unexpected text after the date-time";
	if (why != NULL)
		return dl_error_set(DL_EPARSE, "invalid date-time '%.*s' at offset %zu: %s", (int)(len > 64 ? 64 : len),
		                    s, used, why);
	*out = dt;
	*type = t;
	return 0;
}

int dl_toml_datetime_format(dl_buf *out, dl_toml_type type, const dl_toml_datetime *dt)
{
	if (!datetime_valid(type, dt))
		return dl_error_set(DL_EINVAL, "invalid date-time parts for a %s", dl_toml_type_name(type));
	if (type != DL_TOML_TIME_LOCAL)
		dl_buf_printf(out, "%04d-%02d-%02d", dt->year, dt->month, dt->day);
	if (type == DL_TOML_DATE_LOCAL)
		return out->failed;
	if (type != DL_TOML_TIME_LOCAL)
		dl_buf_putc(out, 'T');
	dl_buf_printf(out, "%02d:%02d:%02d", dt->hour, dt->minute, dt->second);
	int need = 0;
	if (dt->nanosecond != 0) {
		need = 9;
		for (int ns = dt->nanosecond; ns % 10 == 0; ns /= 10)
			need--;
	}
	int nd = dt->frac_digits > need ? dt->frac_digits : need;
	if (nd > 0) {
		int v = dt->nanosecond;
		for (int k = nd; k < 9; k++)
			v /= 10;
		dl_buf_printf(out, ".%0*d", nd, v);
	}
	if (type == DL_TOML_DATETIME) {
		if (dt->offset_minutes == 0) {
			dl_buf_putc(out, 'Z');
		} else {
			int off = dt->offset_minutes < 0 ? -dt->offset_minutes : dt->offset_minutes;
			dl_buf_printf(out, "%c%02d:%02d", dt->offset_minutes < 0 ? '-' : '+', off / 60, off % 60);
		}
	}
	return out->failed;
}

/* ------------------------------------------------------------------ */
/* The parser                                                          */

struct srcpos {
	uint32_t line;
	size_t bol; /* offset of the line's first byte */
	size_t off;
};

struct keypart {
	size_t off; /* into kbuf */
	size_t len;
	struct srcpos pos;
};

struct parser {
	const char *s;
	size_t n;
	size_t p;
	uint32_t line;
	size_t bol;
	/* column cache: offset cc_off of line cc_line is column cc_col */
	uint32_t cc_line;
	size_t cc_off;
	uint32_t cc_col;
	const char *source;
	dl_arena *arena;
	unsigned max_depth;
	uint32_t section;
	dl_toml_value *root;
	dl_toml_value *cur;
	dl_buf sbuf; /* decoded string values */
	dl_buf kbuf; /* decoded key parts */
	struct keypart *parts;
	size_t nparts;
	size_t parts_cap;
};

static struct srcpos here(const struct parser *ps)
{
	struct srcpos at = {ps->line, ps->bol, ps->p};
	return at;
}

static unsigned long column_at(const char *s, size_t bol, size_t off)
{
	unsigned long col = 1;
	for (size_t i = bol; i < off; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			col++;
	}
	return col;
}

/* Eight bytes at a time (SWAR) for the two linear scans over the input:
 * loads go through memcpy, so alignment does not matter. */
#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

static uint64_t load8(const unsigned char *p)
{
	uint64_t w;
	memcpy(&w, p, 8);
	return w;
}

/* Non-zero when some byte of w is zero. */
static uint64_t zero8(uint64_t w)
{
	return (w - ONES) & ~w & HIGHS;
}

/* Non-zero when some byte of w is below 0x20 or above 0x7e: a control
 * character (tab and line feed included) or part of a multi-byte one. */
static uint64_t unusual8(uint64_t w)
{
	return (((w - ONES * 0x20) & ~w) | (w + ONES) | w) & HIGHS;
}

/* Column of offset `off` on the current line, through the forward-moving
 * cache. */
static uint32_t cur_col(struct parser *ps, size_t off)
{
	if (ps->cc_line != ps->line || ps->cc_off > off || ps->cc_off < ps->bol) {
		ps->cc_line = ps->line;
		ps->cc_off = ps->bol;
		ps->cc_col = 1;
	}
	uint32_t col = ps->cc_col;
	const unsigned char *u = (const unsigned char *)ps->s;
	for (size_t i = ps->cc_off; i < off;) {
		if (off - i >= 8 && (load8(u + i) & HIGHS) == 0) {
			col += 8; /* eight ASCII characters */
			i += 8;
			continue;
		}
		if ((u[i++] & 0xc0) != 0x80)
			col++;
	}
	ps->cc_off = off;
	ps->cc_col = col;
	return col;
}

static void set_pos(struct parser *ps, dl_toml_value *v, struct srcpos at)
{
	v->line = at.line;
	v->col = at.line == ps->line ? cur_col(ps, at.off) : (uint32_t)column_at(ps->s, at.bol, at.off);
}

DL_PRINTF(4, 5)
static int perr_at(struct parser *ps, int code, struct srcpos at, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return dl_error_set(code, "%s:%lu:%lu: %s", ps->source, (unsigned long)at.line,
	                    column_at(ps->s, at.bol, at.off), msg);
}

/* Describe the character at `off` for "..., found X" messages. */
static const char *found_at(const struct parser *ps, size_t off, char *buf, size_t cap)
{
	if (off >= ps->n)
		return "end of input";
	unsigned char c = (unsigned char)ps->s[off];
	if (c == '\n' || c == '\r')
		return "end of line";
	if (c == ' ')
		return "a space";
	if (c == '\t')
		return "a tab";
	if (c >= 0x21 && c < 0x7f) {
		snprintf(buf, cap, "'%c'", c);
		return buf;
	}
	const unsigned char *u = (const unsigned char *)ps->s + off;
	size_t k = utf8_seq(u, ps->n - off);
	uint32_t cp = k == 2 ? (uint32_t)(u[0] & 0x1f) << 6 | (u[1] & 0x3f)
	            : k == 3 ? (uint32_t)(u[0] & 0x0f) << 12 | (uint32_t)(u[1] & 0x3f) << 6 | (u[2] & 0x3f)
	            : k == 4 ? (uint32_t)(u[0] & 0x07) << 18 | (uint32_t)(u[1] & 0x3f) << 12 | (uint32_t)(u[2] & 0x3f) << 6 | (u[3] & 0x3f)
	                     : u[0];
	snprintf(buf, cap, "'%.*s' (U+%04X)", (int)(k ? k : 1), ps->s + off, (unsigned)cp);
	return buf;
}

#define FOUND(ps, off) found_at((ps), (off), found_buf, sizeof(found_buf))

/* Error helpers keep their buffers out of the frames of the recursive
 * parsing functions, so that deep nesting uses little stack. */
#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

/* "<what>, found <the character at off>" at position `at`. */
NOINLINE static int perr_found(struct parser *ps, struct srcpos at, size_t off, const char *what)
{
	char found_buf[32];
	return perr_at(ps, DL_EPARSE, at, "%s, found %s", what, FOUND(ps, off));
}

/* Render a key (dotted parts joined) for messages: bare parts as they are,
 * others quoted, anything odd escaped, long keys cut. */
static void key_text(char *out, size_t cap, const char *kbase, const struct keypart *parts, size_t np)
{
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < np && o + 8 < cap; i++) {
		const char *k = kbase + parts[i].off;
		size_t n = parts[i].len;
		bool bare = n > 0;
		for (size_t j = 0; j < n && bare; j++)
			bare = dl_isalnum((unsigned char)k[j]) || k[j] == '_' || k[j] == '-';
		if (i > 0)
			out[o++] = '.';
		if (!bare)
			out[o++] = '"';
		for (size_t j = 0; j < n && o + 8 < cap; j++) {
			unsigned char c = (unsigned char)k[j];
			if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
				o += (size_t)snprintf(out + o, cap - o, "\\u%04x", c);
			else
				out[o++] = (char)c;
		}
		if (!bare && o + 2 < cap)
			out[o++] = '"';
		out[o] = '\0';
	}
	if (o + 8 >= cap && cap > 4)
		memcpy(out + cap - 4, "...", 4);
}

/* The full path of an existing value ("tool.poetry.dependencies",
 * "packages[2].name") for messages, or the key as written when even that
 * small allocation fails. */
static void path_text(char *out, size_t cap, const dl_toml_value *v, const char *kb, const struct keypart *parts,
                      size_t np)
{
	dl_buf b;
	dl_buf_init(&b, cap);
	if (dl_toml_value_path(&b, v) == 0 && b.len > 0)
		snprintf(out, cap, "%s", dl_buf_cstr(&b));
	else
		key_text(out, cap, kb, parts, np);
	dl_buf_free(&b);
}

static bool is_bare(unsigned char c)
{
	return dl_isalnum(c) || c == '_' || c == '-';
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->n && (ps->s[ps->p] == ' ' || ps->s[ps->p] == '\t'))
		ps->p++;
}

static bool at_newline(const struct parser *ps)
{
	return ps->p < ps->n && (ps->s[ps->p] == '\n' || ps->s[ps->p] == '\r');
}

/* Consume "\n" or "\r\n" (the validation pass guarantees every CR is
 * followed by LF). */
static void eat_newline(struct parser *ps)
{
	ps->p += ps->s[ps->p] == '\r' ? 2 : 1;
	ps->line++;
	ps->bol = ps->p;
}

/* Skip a comment up to (not including) its line break. */
static void skip_comment(struct parser *ps)
{
	const char *nl = memchr(ps->s + ps->p, '\n', ps->n - ps->p);
	size_t end = nl != NULL ? (size_t)(nl - ps->s) : ps->n;
	if (end > ps->p && end < ps->n && ps->s[end - 1] == '\r')
		end--;
	ps->p = end;
}

/* Whitespace, newlines and comments, as allowed inside arrays. */
static void skip_ws_nl(struct parser *ps)
{
	for (;;) {
		skip_ws(ps);
		if (ps->p >= ps->n)
			return;
		char c = ps->s[ps->p];
		if (c == '#')
			skip_comment(ps);
		else if (c == '\n' || c == '\r')
			eat_newline(ps);
		else
			return;
	}
}

/* The whole-input check described at the top of the file.  Lines are not
 * counted here; an error finds its line by counting afterwards. */
static int validate_text(struct parser *ps, size_t start)
{
	const unsigned char *s = (const unsigned char *)ps->s;
	size_t n = ps->n;
	size_t i = start;
	for (;;) {
		while (n - i >= 8 && unusual8(load8(s + i)) == 0)
			i += 8;
		if (i >= n)
			return 0;
		unsigned char c = s[i];
		if ((c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t' || (c == '\r' && i + 1 < n && s[i + 1] == '\n')) {
			i++;
			continue;
		}
		size_t k = c >= 0x80 ? utf8_seq(s + i, n - i) : 0;
		if (k != 0) {
			i += k;
			continue;
		}
		struct srcpos at = {1, start, i};
		for (const unsigned char *nl = s + start; (nl = memchr(nl, '\n', i - (size_t)(nl - s))) != NULL; nl++) {
			at.line++;
			at.bol = (size_t)(nl - s) + 1;
		}
		if (c == '\r')
			return perr_at(ps, DL_EPARSE, at, "carriage return not followed by a line feed");
		if (c < 0x80)
			return perr_at(ps, DL_EPARSE, at, "control character U+%04X is not allowed in TOML", c);
		return perr_at(ps, DL_EPARSE, at, "invalid UTF-8 (byte 0x%02X)", c);
	}
}

static int check_depth(struct parser *ps, unsigned depth, struct srcpos at)
{
	if (depth > ps->max_depth)
		return perr_at(ps, DL_ELIMIT, at, "tables and arrays nested deeper than %u levels", ps->max_depth);
	return 0;
}

static int parse_value(struct parser *ps, unsigned depth, dl_toml_value **out);

/* \uXXXX / \UXXXXXXXX: `k` hex digits at ps->p, a Unicode scalar value. */
static int parse_unicode_escape(struct parser *ps, int k, dl_buf *dst, struct srcpos esc)
{
	uint32_t cp = 0;
	if (ps->n - ps->p < (size_t)k)
		return perr_at(ps, DL_EPARSE, esc, "\\%c escape needs %d hex digits", k == 4 ? 'u' : 'U', k);
	for (int j = 0; j < k; j++) {
		char c = ps->s[ps->p + (size_t)j];
		if (!dl_isxdigit((unsigned char)c))
			return perr_at(ps, DL_EPARSE, esc, "\\%c escape needs %d hex digits", k == 4 ? 'u' : 'U', k);
		cp = cp * 16 + (uint32_t)(dl_isdigit((unsigned char)c) ? c - '0' : dl_tolower((unsigned char)c) - 'a' + 10);
	}
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return perr_at(ps, DL_EPARSE, esc, "escape \\%c%.*s is not a Unicode scalar value", k == 4 ? 'u' : 'U', k,
		               ps->s + ps->p);
	ps->p += (size_t)k;
	return utf8_put(dst, cp);
}

/* One escape after a backslash (ps->p at the backslash) of a basic string. */
static int parse_escape(struct parser *ps, dl_buf *dst)
{
	struct srcpos esc = here(ps);
	char found_buf[32];
	ps->p++;
	if (ps->p >= ps->n)
		return perr_at(ps, DL_EPARSE, esc, "unterminated string");
	char c = ps->s[ps->p++];
	switch (c) {
	case 'b': return dl_buf_putc(dst, '\b');
	case 't': return dl_buf_putc(dst, '\t');
	case 'n': return dl_buf_putc(dst, '\n');
	case 'f': return dl_buf_putc(dst, '\f');
	case 'r': return dl_buf_putc(dst, '\r');
	case '"': return dl_buf_putc(dst, '"');
	case '\\': return dl_buf_putc(dst, '\\');
	case 'u': return parse_unicode_escape(ps, 4, dst, esc);
	case 'U': return parse_unicode_escape(ps, 8, dst, esc);
	default:
		return perr_at(ps, DL_EPARSE, esc, "invalid escape sequence: backslash followed by %s",
		               FOUND(ps, ps->p - 1));
	}
}

/* A single-line basic string at ps->p ('"'), decoded onto dst. */
static int parse_basic_string(struct parser *ps, dl_buf *dst)
{
	struct srcpos open = here(ps);
	ps->p++;
	for (;;) {
		size_t start = ps->p;
		while (ps->p < ps->n) {
			char c = ps->s[ps->p];
			if (c == '"' || c == '\\' || c == '\n' || c == '\r')
				break;
			ps->p++;
		}
		if (ps->p > start && dl_buf_put(dst, ps->s + start, ps->p - start) < 0)
			return dst->failed;
		if (ps->p >= ps->n || at_newline(ps))
			return perr_at(ps, DL_EPARSE, open, "unterminated string (a basic string ends on its line)");
		if (ps->s[ps->p] == '"') {
			ps->p++;
			/* a string may be empty: make sure dst has storage */
			return dl_buf_put(dst, "", 0);
		}
		int rc = parse_escape(ps, dst);
		if (rc < 0)
			return rc;
	}
}

/* A single-line literal string at ps->p ('\''), copied onto dst. */
static int parse_literal_string(struct parser *ps, dl_buf *dst)
{
	struct srcpos open = here(ps);
	size_t start = ++ps->p;
	while (ps->p < ps->n && ps->s[ps->p] != '\'' && !at_newline(ps))
		ps->p++;
	if (ps->p >= ps->n || ps->s[ps->p] != '\'')
		return perr_at(ps, DL_EPARSE, open, "unterminated literal string (it ends on its line)");
	int rc = dl_buf_put(dst, ps->s + start, ps->p - start);
	ps->p++;
	return rc;
}

/* A multi-line string at ps->p (three quotes `q`), decoded onto dst. */
static int parse_multiline_string(struct parser *ps, char q, dl_buf *dst)
{
	struct srcpos open = here(ps);
	ps->p += 3;
	if (at_newline(ps))
		eat_newline(ps); /* a newline right after the opening delimiter is trimmed */
	for (;;) {
		size_t start = ps->p;
		while (ps->p < ps->n) {
			char c = ps->s[ps->p];
			if (c == q || c == '\n' || c == '\r' || (c == '\\' && q == '"'))
				break;
			ps->p++;
		}
		if (ps->p > start && dl_buf_put(dst, ps->s + start, ps->p - start) < 0)
			return dst->failed;
		if (ps->p >= ps->n)
			return perr_at(ps, DL_EPARSE, open, "unterminated multi-line string");
		char c = ps->s[ps->p];
		if (c == '\n' || c == '\r') {
			eat_newline(ps); /* CRLF reads as LF */
			if (dl_buf_putc(dst, '\n') < 0)
				return dst->failed;
		} else if (c == q) {
			size_t run = 0;
			while (ps->p + run < ps->n && ps->s[ps->p + run] == q)
				run++;
			if (run < 3) {
				if (dl_buf_put(dst, ps->s + ps->p, run) < 0)
					return dst->failed;
				ps->p += run;
				continue;
			}
			if (run > 5) {
				struct srcpos at = here(ps);
				at.off += 3;
				return perr_at(ps, DL_EPARSE, at, "three quotes in a row must be escaped inside a multi-line string");
			}
			/* up to two quotes just before the closing delimiter belong to the string */
			if (dl_buf_put(dst, ps->s + ps->p, run - 3) < 0)
				return dst->failed;
			ps->p += run;
			return dl_buf_put(dst, "", 0);
		} else {
			/* a backslash in a multi-line basic string */
			size_t k = ps->p + 1;
			while (k < ps->n && (ps->s[k] == ' ' || ps->s[k] == '\t'))
				k++;
			if (k < ps->n && (ps->s[k] == '\n' || ps->s[k] == '\r')) {
				/* line-ending backslash: drop all whitespace and newlines up to the next content */
				ps->p = k;
				for (;;) {
					skip_ws(ps);
					if (!at_newline(ps))
						break;
					eat_newline(ps);
				}
				continue;
			}
			int rc = parse_escape(ps, dst);
			if (rc < 0)
				return rc;
		}
	}
}

/* The key at ps->p, possibly dotted, into ps->parts / ps->kbuf.  Leaves
 * ps->p after the key and any whitespace following it. */
static int parse_key(struct parser *ps)
{
	char found_buf[32];
	ps->nparts = 0;
	dl_buf_reset(&ps->kbuf);
	for (;;) {
		struct srcpos at = here(ps);
		if (ps->nparts > ps->max_depth)
			return perr_at(ps, DL_ELIMIT, at, "dotted key with more than %u parts", ps->max_depth + 1);
		if (ps->nparts >= ps->parts_cap) {
			size_t cap = ps->parts_cap != 0 ? 2 * ps->parts_cap : 8;
			if (dl_realloc_array((void **)&ps->parts, cap, sizeof(*ps->parts)) < 0)
				return dl_error_oom();
			ps->parts_cap = cap;
		}
		size_t off = ps->kbuf.len;
		int rc;
		char c = ps->p < ps->n ? ps->s[ps->p] : '\0';
		if (ps->p < ps->n && is_bare((unsigned char)c)) {
			size_t start = ps->p;
			while (ps->p < ps->n && is_bare((unsigned char)ps->s[ps->p]))
				ps->p++;
			rc = dl_buf_put(&ps->kbuf, ps->s + start, ps->p - start);
		} else if (c == '"' || c == '\'') {
			if (ps->n - ps->p >= 3 && ps->s[ps->p + 1] == c && ps->s[ps->p + 2] == c)
				return perr_at(ps, DL_EPARSE, at, "a key cannot be a multi-line string");
			rc = c == '"' ? parse_basic_string(ps, &ps->kbuf) : parse_literal_string(ps, &ps->kbuf);
		} else {
			return perr_at(ps, DL_EPARSE, at, "expected a key, found %s", FOUND(ps, ps->p));
		}
		if (rc < 0)
			return rc;
		ps->parts[ps->nparts].off = off;
		ps->parts[ps->nparts].len = ps->kbuf.len - off;
		ps->parts[ps->nparts].pos = at;
		ps->nparts++;
		skip_ws(ps);
		if (ps->p < ps->n && ps->s[ps->p] == '.') {
			ps->p++;
			skip_ws(ps);
			continue;
		}
		return 0;
	}
}

static const char *kbase(const struct parser *ps)
{
	return ps->kbuf.ptr != NULL ? ps->kbuf.ptr : "";
}

static dl_toml_value *new_table(struct parser *ps, unsigned depth, struct srcpos at)
{
	dl_toml_value *t = value_new(ps->arena, DL_TOML_TABLE);
	if (t == NULL)
		return NULL;
	t->depth = (uint16_t)depth;
	set_pos(ps, t, at);
	return t;
}

/* Insert a fresh table under key part i of ps->parts into t. */
static int add_table(struct parser *ps, dl_toml_value *t, size_t i, uint32_t h, dl_toml_value **out)
{
	const struct keypart *kp = &ps->parts[i];
	int rc = check_depth(ps, t->depth + 1u, kp->pos);
	if (rc < 0)
		return rc;
	dl_toml_value *nt = new_table(ps, t->depth + 1u, kp->pos);
	char *key = dl_arena_strndup(ps->arena, kbase(ps) + kp->off, kp->len);
	if (nt == NULL || key == NULL)
		return dl_error_oom();
	rc = table_append(ps->arena, t, key, kp->len, h, nt);
	if (rc < 0)
		return rc;
	*out = nt;
	return 0;
}

static const char *article(const char *noun)
{
	return strchr("aeiou", noun[0]) != NULL ? "an" : "a";
}

static const char *kind_of(const dl_toml_value *v)
{
	if (v->type == DL_TOML_ARRAY && (v->flags & F_AOT))
		return "array of tables";
	if (v->type == DL_TOML_TABLE && (v->flags & F_FROZEN))
		return "inline table";
	return dl_toml_type_name((dl_toml_type)v->type);
}

/* A dotted key (part i) runs into an existing value it may not extend. */
NOINLINE static int dotted_conflict(struct parser *ps, size_t i, const dl_toml_value *v)
{
	char ktext[160];
	path_text(ktext, sizeof(ktext), v, kbase(ps), ps->parts, i + 1);
	if (v->type != DL_TOML_TABLE || (v->flags & F_FROZEN))
		return perr_at(ps, DL_EPARSE, ps->parts[i].pos,
		               "cannot add keys to '%s' with a dotted key: it is already defined as %s %s at line %lu", ktext,
		               article(kind_of(v)), kind_of(v), (unsigned long)v->line);
	return perr_at(ps, DL_EPARSE, ps->parts[i].pos,
	               "cannot add keys to table '%s' with a dotted key: it was defined at line %lu", ktext,
	               (unsigned long)v->line);
}

/* The last part of the key names a value that already exists. */
NOINLINE static int duplicate_key(struct parser *ps, const dl_toml_value *old)
{
	char ktext[160];
	path_text(ktext, sizeof(ktext), old, kbase(ps), ps->parts, ps->nparts);
	return perr_at(ps, DL_EPARSE, ps->parts[ps->nparts - 1].pos, "duplicate key '%s' (first defined at line %lu)",
	               ktext, (unsigned long)old->line);
}

/* `key = value` (ps->p at the key) into table `base`: dotted parts create
 * or enter sub-tables under the rules at the top of the file. */
static int parse_keyval(struct parser *ps, dl_toml_value *base)
{
	int rc = parse_key(ps);
	if (rc < 0)
		return rc;
	if (ps->p >= ps->n || ps->s[ps->p] != '=')
		return perr_found(ps, here(ps), ps->p, "expected '=' after the key");
	ps->p++;
	skip_ws(ps);
	dl_toml_value *t = base;
	for (size_t i = 0; i + 1 < ps->nparts; i++) {
		const struct keypart *kp = &ps->parts[i];
		const char *k = kbase(ps) + kp->off;
		uint32_t h = key_hash(t, k, kp->len);
		struct tentry *e = table_find(t, k, kp->len, h);
		if (e == NULL) {
			dl_toml_value *nt;
			rc = add_table(ps, t, i, h, &nt);
			if (rc < 0)
				return rc;
			nt->u.t.section = ps->section;
			t = nt;
			continue;
		}
		dl_toml_value *v = e->val;
		if (v->type != DL_TOML_TABLE || (v->flags & F_FROZEN) || (v->flags & F_HEADER) ||
		    (v->u.t.section != 0 && v->u.t.section != ps->section))
			return dotted_conflict(ps, i, v);
		v->u.t.section = ps->section;
		t = v;
	}
	const struct keypart *last = &ps->parts[ps->nparts - 1];
	const char *k = kbase(ps) + last->off;
	uint32_t h = key_hash(t, k, last->len);
	struct tentry *e = table_find(t, k, last->len, h);
	if (e != NULL)
		return duplicate_key(ps, e->val);
	/* Copy the key out before the value: nested inline tables reuse the key buffer. */
	size_t klen = last->len;
	char *key = dl_arena_strndup(ps->arena, k, klen);
	if (key == NULL)
		return dl_error_oom();
	dl_toml_value *v = NULL;
	rc = parse_value(ps, t->depth + 1u, &v);
	if (rc < 0)
		return rc;
	return table_append(ps->arena, t, key, klen, h, v);
}

static int parse_array(struct parser *ps, unsigned depth, dl_toml_value **out)
{
	struct srcpos open = here(ps);
	int rc = check_depth(ps, depth, open);
	if (rc < 0)
		return rc;
	dl_toml_value *arr = value_new(ps->arena, DL_TOML_ARRAY);
	if (arr == NULL)
		return dl_error_oom();
	arr->depth = (uint16_t)depth;
	arr->flags = F_FROZEN;
	arr->style = DL_TOML_STYLE_INLINE;
	set_pos(ps, arr, open);
	ps->p++;
	for (;;) {
		skip_ws_nl(ps);
		if (ps->p >= ps->n)
			return perr_at(ps, DL_EPARSE, open, "unterminated array");
		if (ps->s[ps->p] == ']')
			break;
		dl_toml_value *v = NULL;
		rc = parse_value(ps, depth + 1, &v);
		if (rc < 0)
			return rc;
		rc = array_push(ps->arena, arr, v);
		if (rc < 0)
			return rc;
		skip_ws_nl(ps);
		if (ps->p < ps->n && ps->s[ps->p] == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->n && ps->s[ps->p] == ']')
			break;
		if (ps->p >= ps->n)
			return perr_at(ps, DL_EPARSE, open, "unterminated array");
		return perr_found(ps, here(ps), ps->p, "expected ',' or ']' after an array element");
	}
	ps->p++;
	*out = arr;
	return 0;
}

static int parse_inline_table(struct parser *ps, unsigned depth, dl_toml_value **out)
{
	struct srcpos open = here(ps);
	int rc = check_depth(ps, depth, open);
	if (rc < 0)
		return rc;
	dl_toml_value *t = new_table(ps, depth, open);
	if (t == NULL)
		return dl_error_oom();
	t->flags = F_FROZEN;
	t->style = DL_TOML_STYLE_INLINE;
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->n && ps->s[ps->p] == '}') {
		ps->p++;
		*out = t;
		return 0;
	}
	for (;;) {
		if (ps->p >= ps->n)
			return perr_at(ps, DL_EPARSE, open, "unterminated inline table");
		if (at_newline(ps))
			return perr_at(ps, DL_EPARSE, here(ps), "an inline table must be on one line (found a line break)");
		rc = parse_keyval(ps, t);
		if (rc < 0)
			return rc;
		skip_ws(ps);
		if (ps->p < ps->n && ps->s[ps->p] == ',') {
			ps->p++;
			skip_ws(ps);
			if (ps->p < ps->n && ps->s[ps->p] == '}')
				return perr_at(ps, DL_EPARSE, here(ps), "a trailing comma is not allowed in an inline table");
			continue;
		}
		if (ps->p < ps->n && ps->s[ps->p] == '}')
			break;
		if (ps->p >= ps->n)
			return perr_at(ps, DL_EPARSE, open, "unterminated inline table");
		if (at_newline(ps))
			return perr_at(ps, DL_EPARSE, here(ps), "an inline table must be on one line (found a line break)");
		return perr_found(ps, here(ps), ps->p, "expected ',' or '}' after a value in an inline table");
	}
	ps->p++;
	*out = t;
	return 0;
}

/* Digits in base `base` with single underscores between digits; at least
 * one digit.  Returns the end, or (size_t)-1 on bad syntax. */
static size_t scan_digits(const char *s, size_t i, size_t end, int base)
{
	size_t start = i;
	bool prev_digit = false;
	for (; i < end; i++) {
		char c = s[i];
		bool ok = base == 16 ? dl_isxdigit((unsigned char)c)
		                     : (c >= '0' && c < '0' + (base < 10 ? base : 10));
		if (ok) {
			prev_digit = true;
		} else if (c == '_') {
			if (!prev_digit || i + 1 >= end)
				return (size_t)-1;
			prev_digit = false;
		} else {
			break;
		}
	}
	if (i == start || !prev_digit)
		return (size_t)-1;
	return i;
}

static int digit_value(char c)
{
	return dl_isdigit((unsigned char)c) ? c - '0' : dl_tolower((unsigned char)c) - 'a' + 10;
}

/* An integer or float token at ps->p. */
static int parse_number(struct parser *ps, dl_toml_value **out)
{
	struct srcpos at = here(ps);
	const char *s = ps->s;
	size_t i = ps->p, end = ps->p;
	while (end < ps->n && (is_bare((unsigned char)s[end]) || s[end] == '.' || s[end] == '+'))
		end++;
	size_t tlen = end - i;
	char tok[48];
	snprintf(tok, sizeof(tok), "%.*s%s", (int)(tlen > 32 ? 32 : tlen), s + i, tlen > 32 ? "..." : "");
	bool neg = false, sign = false;
	if (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-';
		sign = true;
		i++;
	}
	/* inf and nan */
	if (end - i == 3 && (memcmp(s + i, "inf", 3) == 0 || memcmp(s + i, "nan", 3) == 0)) {
		dl_toml_value *v = value_new(ps->arena, DL_TOML_FLOAT);
		if (v == NULL)
			return dl_error_oom();
		v->u.f = s[i] == 'i' ? HUGE_VAL : NAN;
		if (neg)
			v->u.f = -v->u.f;
		set_pos(ps, v, at);
		ps->p = end;
		*out = v;
		return 0;
	}
	/* 0x, 0o, 0b */
	if (end - i >= 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'o' || s[i + 1] == 'b')) {
		int base = s[i + 1] == 'x' ? 16 : s[i + 1] == 'o' ? 8 : 2;
		if (sign)
			return perr_at(ps, DL_EPARSE, at, "invalid number '%s': hexadecimal, octal and binary integers take no sign", tok);
		size_t e = scan_digits(s, i + 2, end, base);
		if (e != end)
			return perr_at(ps, DL_EPARSE, at, "invalid %s integer '%s'",
			               base == 16 ? "hexadecimal" : base == 8 ? "octal" : "binary", tok);
		uint64_t v = 0;
		for (size_t k = i + 2; k < end; k++) {
			if (s[k] == '_')
				continue;
			if (v > (uint64_t)INT64_MAX / (uint64_t)base)
				return perr_at(ps, DL_EPARSE, at, "integer '%s' does not fit in 64 bits", tok);
			v = v * (uint64_t)base + (uint64_t)digit_value(s[k]);
			if (v > (uint64_t)INT64_MAX)
				return perr_at(ps, DL_EPARSE, at, "integer '%s' does not fit in 64 bits", tok);
		}
		dl_toml_value *iv = value_new(ps->arena, DL_TOML_INTEGER);
		if (iv == NULL)
			return dl_error_oom();
		iv->u.i = (int64_t)v;
		set_pos(ps, iv, at);
		ps->p = end;
		*out = iv;
		return 0;
	}
	/* decimal integer part */
	size_t ie = scan_digits(s, i, end, 10);
	if (ie == (size_t)-1)
		return perr_at(ps, DL_EPARSE, at, "invalid number '%s'", tok);
	if (s[i] == '0' && ie - i > 1)
		return perr_at(ps, DL_EPARSE, at, "invalid number '%s': leading zeros are not allowed", tok);
	size_t j = ie;
	bool is_float = false;
	if (j < end && s[j] == '.') {
		is_float = true;
		j = scan_digits(s, j + 1, end, 10);
		if (j == (size_t)-1)
			return perr_at(ps, DL_EPARSE, at, "invalid float '%s': expected digits after the decimal point", tok);
	}
	if (j < end && (s[j] == 'e' || s[j] == 'E')) {
		is_float = true;
		j++;
		if (j < end && (s[j] == '+' || s[j] == '-'))
			j++;
		j = scan_digits(s, j, end, 10);
		if (j == (size_t)-1)
			return perr_at(ps, DL_EPARSE, at, "invalid float '%s': expected digits in the exponent", tok);
	}
	if (j != end)
		return perr_at(ps, DL_EPARSE, at, "invalid number '%s'", tok);
	dl_toml_value *v = value_new(ps->arena, is_float ? DL_TOML_FLOAT : DL_TOML_INTEGER);
	if (v == NULL)
		return dl_error_oom();
	if (is_float) {
		/* strtod needs a terminated copy without the underscores */
		char small[64];
		char *buf = small;
		if (tlen >= sizeof(small)) {
			dl_buf_reset(&ps->sbuf);
			if (dl_buf_put(&ps->sbuf, s + ps->p, tlen) < 0)
				return ps->sbuf.failed;
			buf = ps->sbuf.ptr;
		}
		size_t m = 0;
		for (size_t k = ps->p; k < end; k++) {
			if (s[k] != '_')
				buf[m++] = s[k];
		}
		buf[m] = '\0';
		char *ep = NULL;
		double d = strtod(buf, &ep);
		if (ep != buf + m)
			return perr_at(ps, DL_EPARSE, at, "invalid float '%s'", tok);
		v->u.f = d; /* out of range reads as +-inf or 0, as IEEE 754 rounding would give */
	} else {
		uint64_t u = 0;
		uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
		for (size_t k = i; k < end; k++) {
			if (s[k] == '_')
				continue;
			uint64_t d = (uint64_t)(s[k] - '0');
			if (u > (lim - d) / 10)
				return perr_at(ps, DL_EPARSE, at, "integer '%s' does not fit in 64 bits", tok);
			u = u * 10 + d;
		}
		v->u.i = neg ? (int64_t)(0 - u) : (int64_t)u;
	}
	set_pos(ps, v, at);
	ps->p = end;
	*out = v;
	return 0;
}

static int parse_datetime_value(struct parser *ps, dl_toml_value **out)
{
	struct srcpos at = here(ps);
	dl_toml_datetime dt;
	dl_toml_type type = DL_TOML_DATE_LOCAL;
	size_t used = 0;
	const char *why = scan_datetime(ps->s + ps->p, ps->n - ps->p, &used, &dt, &type);
	if (why != NULL) {
		struct srcpos bad = at;
		bad.off += used;
		return perr_at(ps, DL_EPARSE, bad, "invalid date-time: %s", why);
	}
	dl_toml_value *v = value_new(ps->arena, type);
	if (v == NULL)
		return dl_error_oom();
	v->u.dt = dt;
	set_pos(ps, v, at);
	ps->p += used;
	*out = v;
	return 0;
}

static int parse_string_value(struct parser *ps, dl_toml_value **out)
{
	struct srcpos at = here(ps);
	const char *s = ps->s;
	char q = s[ps->p];
	bool multi = ps->n - ps->p >= 3 && s[ps->p + 1] == q && s[ps->p + 2] == q;
	dl_toml_value *v = value_new(ps->arena, DL_TOML_STRING);
	if (v == NULL)
		return dl_error_oom();
	set_pos(ps, v, at);
	const char *src = NULL;
	size_t len = 0;
	if (!multi) {
		/* the common case: no escapes, copy straight from the input */
		size_t k = ps->p + 1;
		const unsigned char *u = (const unsigned char *)s;
		uint64_t qq = ONES * (unsigned char)q;
		while (ps->n - k >= 8) {
			uint64_t w = load8(u + k);
			/* stop at the quote, a backslash or a line break (anything below 0x20) */
			if ((zero8(w ^ qq) | zero8(w ^ (ONES * '\\')) | ((w - ONES * 0x20) & ~w & HIGHS)) != 0)
				break;
			k += 8;
		}
		while (k < ps->n && s[k] != q && s[k] != '\n' && s[k] != '\r' && !(q == '"' && s[k] == '\\'))
			k++;
		if (k < ps->n && s[k] == q) {
			src = s + ps->p + 1;
			len = k - ps->p - 1;
			ps->p = k + 1;
		}
	}
	if (src == NULL) {
		dl_buf_reset(&ps->sbuf);
		int rc = multi ? parse_multiline_string(ps, q, &ps->sbuf)
		               : q == '"' ? parse_basic_string(ps, &ps->sbuf) : parse_literal_string(ps, &ps->sbuf);
		if (rc < 0)
			return rc;
		src = dl_buf_cstr(&ps->sbuf);
		len = ps->sbuf.len;
	}
	v->u.s.ptr = dl_arena_strndup(ps->arena, src, len);
	if (v->u.s.ptr == NULL)
		return dl_error_oom();
	v->u.s.len = len;
	*out = v;
	return 0;
}

static int parse_value(struct parser *ps, unsigned depth, dl_toml_value **out)
{
	if (ps->p >= ps->n || at_newline(ps))
		return perr_found(ps, here(ps), ps->p, "expected a value");
	const char *s = ps->s + ps->p;
	size_t n = ps->n - ps->p;
	switch (s[0]) {
	case '"':
	case '\'':
		return parse_string_value(ps, out);
	case '[':
		return parse_array(ps, depth, out);
	case '{':
		return parse_inline_table(ps, depth, out);
	case 't':
	case 'f': {
		bool t = s[0] == 't';
		size_t k = t ? 4 : 5;
		if (n < k || memcmp(s, t ? "true" : "false", k) != 0 || (n > k && is_bare((unsigned char)s[k])))
			return perr_found(ps, here(ps), ps->p, "expected a value (true, false, a number, a string...)");
		dl_toml_value *v = value_new(ps->arena, DL_TOML_BOOLEAN);
		if (v == NULL)
			return dl_error_oom();
		v->u.b = t;
		set_pos(ps, v, here(ps));
		ps->p += k;
		*out = v;
		return 0;
	}
	default:
		break;
	}
	if (looks_like_date(s, n) || looks_like_time(s, n))
		return parse_datetime_value(ps, out);
	if (dl_isdigit((unsigned char)s[0]) || s[0] == '+' || s[0] == '-' || s[0] == 'i' || s[0] == 'n')
		return parse_number(ps, out);
	return perr_found(ps, here(ps), ps->p, "expected a value");
}

/* [table] or [[array.of.tables]] at ps->p. */
static int parse_header(struct parser *ps)
{
	char found_buf[32];
	char ktext[160];
	struct srcpos open = here(ps);
	bool aot = ps->p + 1 < ps->n && ps->s[ps->p + 1] == '[';
	ps->p += aot ? 2 : 1;
	skip_ws(ps);
	int rc = parse_key(ps);
	if (rc < 0)
		return rc;
	if (ps->p >= ps->n || ps->s[ps->p] != ']' || (aot && (ps->p + 1 >= ps->n || ps->s[ps->p + 1] != ']'))) {
		struct srcpos bad = here(ps);
		bad.off += ps->p < ps->n && ps->s[ps->p] == ']'; /* "[[a] ]": point after the first ']' */
		return perr_at(ps, DL_EPARSE, bad, "expected '%s' to close the table header, found %s", aot ? "]]" : "]",
		               FOUND(ps, bad.off));
	}
	ps->p += aot ? 2 : 1;
	ps->section++;

	dl_toml_value *t = ps->root;
	for (size_t i = 0; i + 1 < ps->nparts; i++) {
		const struct keypart *kp = &ps->parts[i];
		const char *k = kbase(ps) + kp->off;
		uint32_t h = key_hash(t, k, kp->len);
		struct tentry *e = table_find(t, k, kp->len, h);
		if (e == NULL) {
			dl_toml_value *nt;
			rc = add_table(ps, t, i, h, &nt);
			if (rc < 0)
				return rc;
			t = nt;
			continue;
		}
		dl_toml_value *v = e->val;
		if (v->type == DL_TOML_ARRAY && (v->flags & F_AOT)) {
			t = v->u.a.items[v->u.a.len - 1];
		} else if (v->type == DL_TOML_TABLE && !(v->flags & F_FROZEN)) {
			t = v;
		} else {
			path_text(ktext, sizeof(ktext), v, kbase(ps), ps->parts, i + 1);
			return perr_at(ps, DL_EPARSE, kp->pos, "cannot use '%s' as a table: it is already defined as %s %s at line %lu",
			               ktext, article(kind_of(v)), kind_of(v), (unsigned long)v->line);
		}
	}
	const struct keypart *last = &ps->parts[ps->nparts - 1];
	const char *k = kbase(ps) + last->off;
	uint32_t h = key_hash(t, k, last->len);
	struct tentry *e = table_find(t, k, last->len, h);
	key_text(ktext, sizeof(ktext), kbase(ps), ps->parts, ps->nparts);
	if (!aot) {
		if (e == NULL) {
			dl_toml_value *nt;
			rc = add_table(ps, t, ps->nparts - 1, h, &nt);
			if (rc < 0)
				return rc;
			set_pos(ps, nt, open);
			nt->flags |= F_HEADER;
			ps->cur = nt;
			return 0;
		}
		dl_toml_value *v = e->val;
		if (v->type != DL_TOML_TABLE || (v->flags & F_FROZEN))
			return perr_at(ps, DL_EPARSE, open, "cannot define table [%s]: it is already defined as %s %s at line %lu",
			               ktext, article(kind_of(v)), kind_of(v), (unsigned long)v->line);
		if (v->flags & F_HEADER)
			return perr_at(ps, DL_EPARSE, open, "table [%s] is defined twice (first at line %lu)", ktext,
			               (unsigned long)v->line);
		if (v->u.t.section != 0)
			return perr_at(ps, DL_EPARSE, open, "table [%s] is already defined by dotted keys at line %lu", ktext,
			               (unsigned long)v->line);
		v->flags |= F_HEADER;
		set_pos(ps, v, open);
		ps->cur = v;
		return 0;
	}
	dl_toml_value *arr;
	if (e == NULL) {
		rc = check_depth(ps, t->depth + 1u, last->pos);
		if (rc < 0)
			return rc;
		arr = value_new(ps->arena, DL_TOML_ARRAY);
		char *key = dl_arena_strndup(ps->arena, k, last->len);
		if (arr == NULL || key == NULL)
			return dl_error_oom();
		arr->flags = F_AOT;
		arr->depth = (uint16_t)(t->depth + 1u);
		set_pos(ps, arr, open);
		rc = table_append(ps->arena, t, key, last->len, h, arr);
		if (rc < 0)
			return rc;
	} else {
		arr = e->val;
		if (arr->type != DL_TOML_ARRAY || !(arr->flags & F_AOT))
			return perr_at(ps, DL_EPARSE, open,
			               "cannot append to [[%s]]: it is already defined as %s %s at line %lu", ktext,
			               article(kind_of(arr)), kind_of(arr), (unsigned long)arr->line);
	}
	rc = check_depth(ps, arr->depth + 1u, open);
	if (rc < 0)
		return rc;
	dl_toml_value *nt = new_table(ps, arr->depth + 1u, open);
	if (nt == NULL)
		return dl_error_oom();
	nt->flags = F_HEADER;
	rc = array_push(ps->arena, arr, nt);
	if (rc < 0)
		return rc;
	ps->cur = nt;
	return 0;
}

static int parse_document(struct parser *ps, dl_toml_value *root)
{
	char found_buf[32];
	ps->root = root;
	ps->cur = root;
	ps->section = 1;
	while (ps->p < ps->n) {
		skip_ws(ps);
		if (ps->p >= ps->n)
			break;
		char c = ps->s[ps->p];
		if (c == '\n' || c == '\r') {
			eat_newline(ps);
			continue;
		}
		if (c == '#') {
			skip_comment(ps);
			continue;
		}
		const char *what = "a key/value pair";
		int rc;
		if (c == '[') {
			what = "a table header";
			rc = parse_header(ps);
		} else {
			rc = parse_keyval(ps, ps->cur);
		}
		if (rc < 0)
			return rc;
		skip_ws(ps);
		if (ps->p < ps->n && ps->s[ps->p] == '#')
			skip_comment(ps);
		if (ps->p < ps->n) {
			if (!at_newline(ps))
				return perr_at(ps, DL_EPARSE, here(ps), "expected the end of the line after %s, found %s", what,
				               FOUND(ps, ps->p));
			eat_newline(ps);
		}
	}
	return 0;
}

int dl_toml_parse(dl_toml_doc **out, const char *data, size_t len, const char *source,
                  const dl_toml_parse_options *opts)
{
	size_t max_input = DL_TOML_DEFAULT_MAX_INPUT;
	unsigned max_depth = DL_TOML_DEFAULT_MAX_DEPTH;
	const char *doc_source = source;
	if (source == NULL)
		source = "<input>";
	if (opts != NULL) {
		if (opts->version != DL_TOML_PARSE_OPTIONS_VERSION)
			return dl_error_set(DL_EINVAL, "dl_toml_parse: unknown options version %u", opts->version);
		if (opts->max_input != 0)
			max_input = opts->max_input;
		if (opts->max_depth != 0)
			max_depth = opts->max_depth;
		if (max_input > MAX_INPUT_CEILING || max_depth > DL_TOML_MAX_DEPTH_LIMIT)
			return dl_error_set(DL_EINVAL, "dl_toml_parse: limits above the ceiling (1 GiB, depth %d)",
			                    DL_TOML_MAX_DEPTH_LIMIT);
	}
	if (data == NULL && len != 0)
		return dl_error_set(DL_EINVAL, "dl_toml_parse: NULL data");
	if (len > max_input)
		return dl_error_set(DL_ELIMIT, "%s: input of %zu bytes is larger than the limit of %zu bytes", source, len,
		                    max_input);
	struct parser ps;
	memset(&ps, 0, sizeof(ps));
	ps.s = data != NULL ? data : "";
	ps.n = len;
	ps.line = 1;
	ps.source = source;
	ps.max_depth = max_depth;
	dl_buf_init(&ps.sbuf, max_input + 1);
	dl_buf_init(&ps.kbuf, max_input + 1);
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
		ps.p = 3;
		ps.bol = 3; /* columns count from after the mark */
	}
	dl_toml_doc *doc = NULL;
	int rc = validate_text(&ps, ps.p);
	if (rc == 0)
		rc = doc_create(&doc, doc_source);
	if (rc == 0) {
		ps.arena = doc->arena;
		rc = parse_document(&ps, &doc->root);
	}
	dl_buf_free(&ps.sbuf);
	dl_buf_free(&ps.kbuf);
	dl_free(ps.parts);
	if (rc < 0) {
		dl_toml_doc_free(doc);
		return rc;
	}
	*out = doc;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Documents and accessors                                             */

void dl_toml_doc_free(dl_toml_doc *doc)
{
	if (doc != NULL)
		dl_arena_free(doc->arena);
}

dl_toml_value *dl_toml_doc_root(const dl_toml_doc *doc)
{
	return doc != NULL ? (dl_toml_value *)&doc->root : NULL;
}

const char *dl_toml_doc_source(const dl_toml_doc *doc)
{
	return doc->source;
}

const char *dl_toml_type_name(dl_toml_type type)
{
	switch (type) {
	case DL_TOML_STRING: return "string";
	case DL_TOML_INTEGER: return "integer";
	case DL_TOML_FLOAT: return "float";
	case DL_TOML_BOOLEAN: return "boolean";
	case DL_TOML_DATETIME: return "offset date-time";
	case DL_TOML_DATETIME_LOCAL: return "local date-time";
	case DL_TOML_DATE_LOCAL: return "local date";
	case DL_TOML_TIME_LOCAL: return "local time";
	case DL_TOML_ARRAY: return "array";
	case DL_TOML_TABLE: return "table";
	}
	return "unknown type";
}

dl_toml_type dl_toml_value_type(const dl_toml_value *v)
{
	return (dl_toml_type)v->type;
}

unsigned long dl_toml_value_line(const dl_toml_value *v)
{
	return v->line;
}

unsigned long dl_toml_value_column(const dl_toml_value *v)
{
	return v->col;
}

dl_toml_value *dl_toml_value_parent(const dl_toml_value *v)
{
	return v->parent;
}

const char *dl_toml_value_string(const dl_toml_value *v, size_t *len)
{
	if (v == NULL || v->type != DL_TOML_STRING)
		return NULL;
	if (len != NULL)
		*len = v->u.s.len;
	return v->u.s.ptr;
}

int64_t dl_toml_value_integer(const dl_toml_value *v)
{
	return v != NULL && v->type == DL_TOML_INTEGER ? v->u.i : 0;
}

double dl_toml_value_float(const dl_toml_value *v)
{
	return v != NULL && v->type == DL_TOML_FLOAT ? v->u.f : 0.0;
}

bool dl_toml_value_boolean(const dl_toml_value *v)
{
	return v != NULL && v->type == DL_TOML_BOOLEAN && v->u.b;
}

const dl_toml_datetime *dl_toml_value_datetime(const dl_toml_value *v)
{
	if (v == NULL || v->type < DL_TOML_DATETIME || v->type > DL_TOML_TIME_LOCAL)
		return NULL;
	return &v->u.dt;
}

size_t dl_toml_array_len(const dl_toml_value *array)
{
	return array != NULL && array->type == DL_TOML_ARRAY ? array->u.a.len : 0;
}

dl_toml_value *dl_toml_array_at(const dl_toml_value *array, size_t i)
{
	if (array == NULL || array->type != DL_TOML_ARRAY || i >= array->u.a.len)
		return NULL;
	return array->u.a.items[i];
}

size_t dl_toml_table_len(const dl_toml_value *table)
{
	return table != NULL && table->type == DL_TOML_TABLE ? table->u.t.len : 0;
}

dl_toml_value *dl_toml_table_at(const dl_toml_value *table, size_t i, const char **key, size_t *keylen)
{
	if (table == NULL || table->type != DL_TOML_TABLE || i >= table->u.t.len)
		return NULL;
	const struct tentry *e = &table->u.t.e[i];
	if (key != NULL)
		*key = e->key;
	if (keylen != NULL)
		*keylen = e->keylen;
	return e->val;
}

dl_toml_value *dl_toml_table_getn(const dl_toml_value *table, const char *key, size_t keylen)
{
	if (table == NULL || table->type != DL_TOML_TABLE)
		return NULL;
	struct tentry *e = table_find(table, key, keylen, key_hash(table, key, keylen));
	return e != NULL ? e->val : NULL;
}

dl_toml_value *dl_toml_table_get(const dl_toml_value *table, const char *key)
{
	return dl_toml_table_getn(table, key, strlen(key));
}

dl_toml_value *dl_toml_get_path(const dl_toml_value *v, const char *path)
{
	const char *p = path;
	bool first = true;
	while (v != NULL && *p != '\0') {
		if (*p == '[') {
			size_t idx = 0;
			p++;
			if (!dl_isdigit((unsigned char)*p))
				return NULL;
			while (dl_isdigit((unsigned char)*p)) {
				if (idx > (SIZE_MAX - 9) / 10)
					return NULL;
				idx = idx * 10 + (size_t)(*p++ - '0');
			}
			if (*p++ != ']')
				return NULL;
			v = dl_toml_array_at(v, idx);
			first = false;
			continue;
		}
		if (!first) {
			if (*p++ != '.')
				return NULL;
		}
		const char *k = p;
		size_t n;
		if (*p == '"') {
			const char *q = strchr(p + 1, '"');
			if (q == NULL)
				return NULL;
			k = p + 1;
			n = (size_t)(q - k);
			p = q + 1;
		} else {
			while (*p != '\0' && *p != '.' && *p != '[' && *p != '"')
				p++;
			n = (size_t)(p - k);
			if (n == 0)
				return NULL;
		}
		v = dl_toml_table_getn(v, k, n);
		first = false;
	}
	return (dl_toml_value *)v;
}

/* Append the segment that leads from v's parent to v. */
static int path_segment(dl_buf *out, const dl_toml_value *v)
{
	const dl_toml_value *parent = v->parent;
	if (parent->type == DL_TOML_ARRAY) {
		for (uint32_t i = 0; i < parent->u.a.len; i++) {
			if (parent->u.a.items[i] == v)
				return dl_buf_printf(out, "[%lu]", (unsigned long)i);
		}
		return out->failed;
	}
	for (uint32_t i = 0; i < parent->u.t.len; i++) {
		const struct tentry *e = &parent->u.t.e[i];
		if (e->val == v) {
			if (parent->parent != NULL)
				dl_buf_putc(out, '.');
			return dl_toml_write_key(out, e->key, e->keylen);
		}
	}
	return out->failed;
}

int dl_toml_value_path(dl_buf *out, const dl_toml_value *v)
{
	/* Root first without recursion or allocation: walk up again for each
	 * level, quadratic in the depth, which only error paths pay for. */
	size_t depth = 0;
	for (const dl_toml_value *a = v; a->parent != NULL; a = a->parent)
		depth++;
	for (size_t k = depth; k > 0; k--) {
		const dl_toml_value *node = v;
		for (size_t j = 1; j < k; j++)
			node = node->parent;
		int rc = path_segment(out, node);
		if (rc < 0)
			return rc;
	}
	return out->failed;
}

bool dl_toml_value_equal(const dl_toml_value *a, const dl_toml_value *b)
{
	if (a->type != b->type)
		return false;
	switch ((dl_toml_type)a->type) {
	case DL_TOML_STRING:
		return a->u.s.len == b->u.s.len && memcmp(a->u.s.ptr, b->u.s.ptr, a->u.s.len) == 0;
	case DL_TOML_INTEGER:
		return a->u.i == b->u.i;
	case DL_TOML_FLOAT:
		if (isnan(a->u.f) || isnan(b->u.f))
			return isnan(a->u.f) && isnan(b->u.f);
		return a->u.f == b->u.f && signbit(a->u.f) == signbit(b->u.f);
	case DL_TOML_BOOLEAN:
		return a->u.b == b->u.b;
	case DL_TOML_DATETIME:
	case DL_TOML_DATETIME_LOCAL:
	case DL_TOML_DATE_LOCAL:
	case DL_TOML_TIME_LOCAL: {
		const dl_toml_datetime *x = &a->u.dt, *y = &b->u.dt;
		bool date = a->type != DL_TOML_TIME_LOCAL, time = a->type != DL_TOML_DATE_LOCAL;
		if (date && (x->year != y->year || x->month != y->month || x->day != y->day))
			return false;
		if (time && (x->hour != y->hour || x->minute != y->minute || x->second != y->second ||
		             x->nanosecond != y->nanosecond))
			return false;
		return a->type != DL_TOML_DATETIME || x->offset_minutes == y->offset_minutes;
	}
	case DL_TOML_ARRAY:
		if (a->u.a.len != b->u.a.len)
			return false;
		for (uint32_t i = 0; i < a->u.a.len; i++) {
			if (!dl_toml_value_equal(a->u.a.items[i], b->u.a.items[i]))
				return false;
		}
		return true;
	case DL_TOML_TABLE:
		if (a->u.t.len != b->u.t.len)
			return false;
		for (uint32_t i = 0; i < a->u.t.len; i++) {
			const struct tentry *e = &a->u.t.e[i];
			const dl_toml_value *bv = dl_toml_table_getn(b, e->key, e->keylen);
			if (bv == NULL || !dl_toml_value_equal(e->val, bv))
				return false;
		}
		return true;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* Checked access                                                      */

static const dl_toml_doc *doc_of(const dl_toml_value *v)
{
	while (v->parent != NULL)
		v = v->parent;
	return (v->flags & F_ROOT) ? (const dl_toml_doc *)v : NULL;
}

/* "<source>:<line>:<col>: " or a fallback, into out[cap]. */
static void pos_prefix(char *out, size_t cap, const dl_toml_value *v)
{
	const dl_toml_doc *doc = doc_of(v);
	const char *src = doc != NULL ? doc->source : NULL;
	if (v->line == 0) {
		if (src != NULL)
			snprintf(out, cap, "%s: ", src);
		else
			out[0] = '\0';
	} else if (src != NULL) {
		snprintf(out, cap, "%s:%lu:%lu: ", src, (unsigned long)v->line, (unsigned long)v->col);
	} else {
		snprintf(out, cap, "line %lu, column %lu: ", (unsigned long)v->line, (unsigned long)v->col);
	}
}

int dl_toml_value_error(const dl_toml_value *v, int code, const char *fmt, ...)
{
	char prefix[300], msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pos_prefix(prefix, sizeof(prefix), v);
	return dl_error_set(code, "%s%s", prefix, msg);
}

int dl_toml_expect(const dl_toml_value *v, dl_toml_type type)
{
	if (v->type == type)
		return 0;
	dl_buf path = DL_BUF_INIT;
	dl_toml_value_path(&path, v);
	const char *want = dl_toml_type_name(type), *got = dl_toml_type_name((dl_toml_type)v->type);
	int rc;
	if (path.len == 0)
		rc = dl_toml_value_error(v, DL_EPARSE, "expected %s %s, found %s", article(want), want, got);
	else
		rc = dl_toml_value_error(v, DL_EPARSE, "'%s' must be %s %s, found %s", dl_buf_cstr(&path), article(want),
		                         want, got);
	dl_buf_free(&path);
	return rc;
}

int dl_toml_get(const dl_toml_value **out, const dl_toml_value *table, const char *key, dl_toml_type type,
                bool required)
{
	if (table == NULL || table->type != DL_TOML_TABLE)
		return dl_error_set(DL_EINVAL, "dl_toml_get: not a table");
	const dl_toml_value *v = dl_toml_table_get(table, key);
	if (v == NULL) {
		*out = NULL;
		if (!required)
			return 0;
		dl_buf path = DL_BUF_INIT, k = DL_BUF_INIT;
		dl_toml_value_path(&path, table);
		dl_toml_write_key(&k, key, strlen(key));
		int rc;
		if (path.len == 0)
			rc = dl_toml_value_error(table, DL_ENOTFOUND, "missing key '%s'", dl_buf_cstr(&k));
		else
			rc = dl_toml_value_error(table, DL_ENOTFOUND, "missing key '%s' in '%s'", dl_buf_cstr(&k),
			                         dl_buf_cstr(&path));
		dl_buf_free(&path);
		dl_buf_free(&k);
		return rc;
	}
	int rc = dl_toml_expect(v, type);
	if (rc < 0)
		return rc;
	*out = v;
	return 0;
}

int dl_toml_get_string(const dl_toml_value *table, const char *key, const char **out)
{
	const dl_toml_value *v = NULL;
	int rc = dl_toml_get(&v, table, key, DL_TOML_STRING, true);
	if (rc == 0)
		*out = v->u.s.ptr;
	return rc;
}

int dl_toml_get_integer(const dl_toml_value *table, const char *key, int64_t *out)
{
	const dl_toml_value *v = NULL;
	int rc = dl_toml_get(&v, table, key, DL_TOML_INTEGER, true);
	if (rc == 0)
		*out = v->u.i;
	return rc;
}

int dl_toml_get_boolean(const dl_toml_value *table, const char *key, bool *out)
{
	const dl_toml_value *v = NULL;
	int rc = dl_toml_get(&v, table, key, DL_TOML_BOOLEAN, true);
	if (rc == 0)
		*out = v->u.b;
	return rc;
}

int dl_toml_get_table(const dl_toml_value *table, const char *key, const dl_toml_value **out)
{
	return dl_toml_get(out, table, key, DL_TOML_TABLE, true);
}

int dl_toml_get_array(const dl_toml_value *table, const char *key, const dl_toml_value **out)
{
	return dl_toml_get(out, table, key, DL_TOML_ARRAY, true);
}

/* ------------------------------------------------------------------ */
/* Builder                                                             */

int dl_toml_doc_new(dl_toml_doc **out, const char *source)
{
	return doc_create(out, source);
}

static int new_value(dl_toml_value **out, dl_toml_doc *doc, dl_toml_type type)
{
	dl_toml_value *v = value_new(doc->arena, type);
	if (v == NULL)
		return dl_error_oom();
	*out = v;
	return 0;
}

int dl_toml_new_string(dl_toml_value **out, dl_toml_doc *doc, const char *s, size_t len)
{
	if (s == NULL && len != 0)
		return dl_error_set(DL_EINVAL, "dl_toml_new_string: NULL string");
	if (!utf8_valid(s, len))
		return dl_error_set(DL_EINVAL, "TOML strings must be valid UTF-8");
	char *copy = dl_arena_strndup(doc->arena, len != 0 ? s : "", len);
	if (copy == NULL)
		return dl_error_oom();
	int rc = new_value(out, doc, DL_TOML_STRING);
	if (rc == 0) {
		(*out)->u.s.ptr = copy;
		(*out)->u.s.len = len;
	}
	return rc;
}

int dl_toml_new_integer(dl_toml_value **out, dl_toml_doc *doc, int64_t i)
{
	int rc = new_value(out, doc, DL_TOML_INTEGER);
	if (rc == 0)
		(*out)->u.i = i;
	return rc;
}

int dl_toml_new_float(dl_toml_value **out, dl_toml_doc *doc, double f)
{
	int rc = new_value(out, doc, DL_TOML_FLOAT);
	if (rc == 0)
		(*out)->u.f = f;
	return rc;
}

int dl_toml_new_boolean(dl_toml_value **out, dl_toml_doc *doc, bool b)
{
	int rc = new_value(out, doc, DL_TOML_BOOLEAN);
	if (rc == 0)
		(*out)->u.b = b;
	return rc;
}

int dl_toml_new_datetime(dl_toml_value **out, dl_toml_doc *doc, dl_toml_type type, const dl_toml_datetime *dt)
{
	if (!datetime_valid(type, dt))
		return dl_error_set(DL_EINVAL, "invalid date-time parts for a %s", dl_toml_type_name(type));
	int rc = new_value(out, doc, type);
	if (rc == 0)
		(*out)->u.dt = *dt;
	return rc;
}

int dl_toml_new_array(dl_toml_value **out, dl_toml_doc *doc)
{
	return new_value(out, doc, DL_TOML_ARRAY);
}

int dl_toml_new_table(dl_toml_value **out, dl_toml_doc *doc)
{
	return new_value(out, doc, DL_TOML_TABLE);
}

/* May `v` be attached under `container`? */
static int check_attach(const dl_toml_value *container, dl_toml_type want, const dl_toml_value *v)
{
	if (container == NULL || container->type != want)
		return dl_error_set(DL_EINVAL, "cannot attach a TOML value: the target is not %s %s", article(dl_toml_type_name(want)),
		                    dl_toml_type_name(want));
	if (v == NULL || v->parent != NULL || (v->flags & F_ROOT))
		return dl_error_set(DL_EINVAL, "cannot attach a TOML value that is already part of a tree");
	for (const dl_toml_value *a = container; a != NULL; a = a->parent) {
		if (a == v)
			return dl_error_set(DL_EINVAL, "cannot attach a TOML value inside itself");
	}
	return 0;
}

int dl_toml_table_set(dl_toml_doc *doc, dl_toml_value *table, const char *key, size_t keylen, dl_toml_value *v)
{
	int rc = check_attach(table, DL_TOML_TABLE, v);
	if (rc < 0)
		return rc;
	uint32_t h = key_hash(table, key, keylen);
	struct tentry *e = table_find(table, key, keylen, h);
	if (e != NULL) {
		e->val->parent = NULL;
		e->val = v;
		v->parent = table;
		return 0;
	}
	char *k = dl_arena_strndup(doc->arena, keylen != 0 ? key : "", keylen);
	if (k == NULL)
		return dl_error_oom();
	return table_append(doc->arena, table, k, keylen, h, v);
}

int dl_toml_array_append(dl_toml_doc *doc, dl_toml_value *array, dl_toml_value *v)
{
	int rc = check_attach(array, DL_TOML_ARRAY, v);
	if (rc < 0)
		return rc;
	return array_push(doc->arena, array, v);
}

int dl_toml_table_set_string(dl_toml_doc *doc, dl_toml_value *table, const char *key, const char *s)
{
	dl_toml_value *v = NULL;
	int rc = dl_toml_new_string(&v, doc, s, strlen(s));
	return rc < 0 ? rc : dl_toml_table_set(doc, table, key, strlen(key), v);
}

int dl_toml_table_set_integer(dl_toml_doc *doc, dl_toml_value *table, const char *key, int64_t i)
{
	dl_toml_value *v = NULL;
	int rc = dl_toml_new_integer(&v, doc, i);
	return rc < 0 ? rc : dl_toml_table_set(doc, table, key, strlen(key), v);
}

int dl_toml_table_set_boolean(dl_toml_doc *doc, dl_toml_value *table, const char *key, bool b)
{
	dl_toml_value *v = NULL;
	int rc = dl_toml_new_boolean(&v, doc, b);
	return rc < 0 ? rc : dl_toml_table_set(doc, table, key, strlen(key), v);
}

int dl_toml_table_add_table(dl_toml_value **out, dl_toml_doc *doc, dl_toml_value *table, const char *key)
{
	dl_toml_value *v = NULL;
	int rc = dl_toml_new_table(&v, doc);
	if (rc == 0)
		rc = dl_toml_table_set(doc, table, key, strlen(key), v);
	if (rc == 0)
		*out = v;
	return rc;
}

int dl_toml_table_add_array(dl_toml_value **out, dl_toml_doc *doc, dl_toml_value *table, const char *key)
{
	dl_toml_value *v = NULL;
	int rc = dl_toml_new_array(&v, doc);
	if (rc == 0)
		rc = dl_toml_table_set(doc, table, key, strlen(key), v);
	if (rc == 0)
		*out = v;
	return rc;
}

int dl_toml_array_append_string(dl_toml_doc *doc, dl_toml_value *array, const char *s)
{
	dl_toml_value *v = NULL;
	int rc = dl_toml_new_string(&v, doc, s, strlen(s));
	return rc < 0 ? rc : dl_toml_array_append(doc, array, v);
}

int dl_toml_array_add_table(dl_toml_value **out, dl_toml_doc *doc, dl_toml_value *array)
{
	dl_toml_value *v = NULL;
	int rc = dl_toml_new_table(&v, doc);
	if (rc == 0)
		rc = dl_toml_array_append(doc, array, v);
	if (rc == 0)
		*out = v;
	return rc;
}

static int entry_cmp(const void *pa, const void *pb)
{
	const struct tentry *a = pa, *b = pb;
	size_t n = a->keylen < b->keylen ? a->keylen : b->keylen;
	int c = n != 0 ? memcmp(a->key, b->key, n) : 0;
	if (c != 0)
		return c;
	return (a->keylen > b->keylen) - (a->keylen < b->keylen);
}

void dl_toml_table_sort(dl_toml_value *table)
{
	if (table == NULL || table->type != DL_TOML_TABLE || table->u.t.len < 2)
		return;
	/* keys are unique, so an unstable sort is stable here */
	qsort(table->u.t.e, table->u.t.len, sizeof(struct tentry), entry_cmp);
	if (table->u.t.idx != NULL) {
		memset(table->u.t.idx, 0, ((size_t)table->u.t.mask + 1) * sizeof(uint32_t));
		for (uint32_t i = 0; i < table->u.t.len; i++)
			index_put(table, i);
	}
}

void dl_toml_value_set_style(dl_toml_value *v, dl_toml_style style)
{
	if (v->type == DL_TOML_TABLE || v->type == DL_TOML_ARRAY)
		v->style = (uint8_t)style;
}

dl_toml_style dl_toml_value_style(const dl_toml_value *v)
{
	return (dl_toml_style)v->style;
}
