/*
 * requirement.c - PEP 508 dependency specifications.
 *
 * A cursor parser over the bytes, following pypa/packaging's grammar
 * token for token (so the same strings are accepted):
 *
 *   requirement = WS? name WS? extras? WS? details WS? END
 *   extras      = '[' WS? (name (WS? ',' WS? name)*)? WS? ']'
 *   details     = '@' WS? URL ((WS ';' marker)? | WS?)
 *               | specifier? WS? (';' marker)?
 *   specifier   = '(' WS? many WS? ')' | many
 *   many        = spec (WS? ',' WS? spec)*
 *   spec        = OP WS? VERSION
 *
 * where WS is spaces and tabs only, a URL runs to the next space or tab,
 * and a VERSION runs to the next space, tab, ',', ';' or ')'.  The
 * specifiers are re-joined without whitespace and handed to the specifier
 * module as one set; the marker to the marker module, which reports its
 * errors against the whole requirement.
 *
 * The result is one allocation: the struct, the extras' pointer array and
 * a string pool (name, normal name, URL, extras), so a resolver holding
 * thousands of requirements pays one malloc per requirement plus the
 * specifier set and the marker.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/name.h"
#include "deeplock/requirement.h"

#define REQ_MAX_INPUT (64 * 1024)
#define ERR_SHOW 200

struct rparser {
	const char *s;
	size_t len;
	size_t pos;
};

static int rerr_code(const struct rparser *p, int code, size_t at, const char *fmt, ...) DL_PRINTF(4, 5);

/* "invalid requirement '<input>': <what> at column N", stored with `code`. */
static int rerr_code(const struct rparser *p, int code, size_t at, const char *fmt, ...)
{
	char what[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	int show = p->len > ERR_SHOW ? ERR_SHOW : (int)p->len;
	return dl_error_set(code, "invalid requirement '%.*s%s': %s at column %zu", show, p->s,
	                    p->len > ERR_SHOW ? "..." : "", what, at + 1);
}

#define rerr(p, at, ...) rerr_code((p), DL_EPARSE, (at), __VA_ARGS__)

static bool is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static void skip_ws(struct rparser *p)
{
	while (p->pos < p->len && is_ws(p->s[p->pos]))
		p->pos++;
}

static bool at(const struct rparser *p, char c)
{
	return p->pos < p->len && p->s[p->pos] == c;
}

static bool is_name_char(char c)
{
	return dl_isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.';
}

/* A name or extra: a letter or digit, then letters, digits, '-', '_', '.',
 * ending with a letter or digit.  `what` names it in errors. */
static int parse_ident(struct rparser *p, const char *what, size_t *start, size_t *len)
{
	if (p->pos >= p->len || !dl_isalnum((unsigned char)p->s[p->pos])) {
		if (p->pos >= p->len)
			return rerr(p, p->pos, "expected %s, found end of input", what);
		return rerr(p, p->pos, "expected %s (a letter or digit)", what);
	}
	size_t e = p->pos;
	while (e < p->len && is_name_char(p->s[e]))
		e++;
	if (!dl_isalnum((unsigned char)p->s[e - 1]))
		return rerr(p, e - 1, "%s must end with a letter or digit", what);
	*start = p->pos;
	*len = e - p->pos;
	p->pos = e;
	return 0;
}

struct span {
	size_t start, len;
};

struct spans {
	struct span *v;
	size_t n, cap;
};

static int spans_push(struct spans *s, size_t start, size_t len)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4;
		void *q = s->v;
		int rc = dl_realloc_array(&q, cap, sizeof(struct span));
		if (rc < 0)
			return rc;
		s->v = q;
		s->cap = cap;
	}
	s->v[s->n].start = start;
	s->v[s->n].len = len;
	s->n++;
	return 0;
}

static int parse_extras(struct rparser *p, struct spans *extras)
{
	size_t open = p->pos;
	p->pos++; /* '[' */
	skip_ws(p);
	if (at(p, ']')) {
		p->pos++;
		return 0;
	}
	for (;;) {
		size_t st, ln;
		int rc = parse_ident(p, extras->n == 0 ? "an extra name or ']'" : "an extra name after ','", &st, &ln);
		if (rc == 0)
			rc = spans_push(extras, st, ln);
		if (rc < 0)
			return rc;
		skip_ws(p);
		if (at(p, ',')) {
			p->pos++;
			skip_ws(p);
			continue;
		}
		if (at(p, ']')) {
			p->pos++;
			return 0;
		}
		if (p->pos < p->len && dl_isalnum((unsigned char)p->s[p->pos]))
			return rerr(p, p->pos, "expected ',' between extra names");
		return rerr(p, p->pos, "expected ',' or ']' (to close the '[' of column %zu)", open + 1);
	}
}

static bool at_spec_op(const struct rparser *p)
{
	if (p->pos >= p->len)
		return false;
	char c = p->s[p->pos], d = p->pos + 1 < p->len ? p->s[p->pos + 1] : '\0';
	return c == '<' || c == '>' || (c == '=' && d == '=') || (c == '!' && d == '=') || (c == '~' && d == '=');
}

/* One or more comma-separated specifiers, appended to `out` without
 * whitespace ("op version,op version").  Leaves the cursor after the last
 * version (before any whitespace). */
static int parse_specs(struct rparser *p, dl_buf *out)
{
	for (;;) {
		size_t op_start = p->pos;
		size_t op_len;
		if (p->len - p->pos >= 3 && memcmp(p->s + p->pos, "===", 3) == 0)
			op_len = 3;
		else if (p->s[p->pos] == '<' || p->s[p->pos] == '>')
			op_len = p->pos + 1 < p->len && p->s[p->pos + 1] == '=' ? 2 : 1;
		else
			op_len = 2; /* ==, !=, ~= (checked by at_spec_op) */
		p->pos += op_len;
		skip_ws(p);
		size_t v = p->pos;
		while (p->pos < p->len && !is_ws(p->s[p->pos]) && p->s[p->pos] != ',' && p->s[p->pos] != ';' &&
		       p->s[p->pos] != ')')
			p->pos++;
		if (p->pos == v)
			return rerr(p, p->pos, "expected a version after '%.*s'", (int)op_len, p->s + op_start);
		for (size_t i = v; i < p->pos; i++) {
			unsigned char c = (unsigned char)p->s[i];
			if (c < 0x20 || c == 0x7f)
				return rerr(p, i, "control character 0x%02x in the version", c);
		}
		dl_buf_put(out, p->s + op_start, op_len);
		dl_buf_put(out, p->s + v, p->pos - v);
		size_t after = p->pos;
		skip_ws(p);
		if (!at(p, ',')) {
			p->pos = after;
			return out->failed;
		}
		p->pos++;
		skip_ws(p);
		if (!at_spec_op(p))
			return rerr(p, p->pos, "expected a version specifier after ','");
		dl_buf_putc(out, ',');
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Assemble the single allocation.  Takes ownership of spec and marker. */
static int build(dl_requirement **out, const struct rparser *p, struct span name, const struct spans *extras,
                 struct span url, bool has_url, dl_specset *spec, dl_marker *marker)
{
	int rc = 0;
	dl_buf pool = DL_BUF_INIT;
	size_t *offs = NULL;
	dl_requirement *r = NULL;
	/* pool: name \0 normal-name \0 [url \0] extra \0 ... */
	dl_buf_put(&pool, p->s + name.start, name.len);
	dl_buf_putc(&pool, '\0');
	size_t norm_off = pool.len;
	for (size_t i = 0; i < name.len; i++)
		dl_buf_putc(&pool, '\0');
	dl_buf_putc(&pool, '\0');
	size_t url_off = pool.len;
	if (has_url) {
		dl_buf_put(&pool, p->s + url.start, url.len);
		dl_buf_putc(&pool, '\0');
	}
	if (extras->n > 0) {
		offs = dl_calloc(extras->n, sizeof(size_t));
		if (offs == NULL) {
			rc = dl_error_oom();
			goto done;
		}
	}
	for (size_t i = 0; i < extras->n; i++) {
		offs[i] = pool.len;
		for (size_t k = 0; k <= extras->v[i].len; k++)
			dl_buf_putc(&pool, '\0');
	}
	if (pool.failed) {
		rc = pool.failed;
		goto done;
	}
	dl_name_normalize_into(pool.ptr + norm_off, p->s + name.start, name.len);
	for (size_t i = 0; i < extras->n; i++)
		dl_name_normalize_into(pool.ptr + offs[i], p->s + extras->v[i].start, extras->v[i].len);

	size_t ptrs_sz, total;
	if (__builtin_mul_overflow(extras->n, sizeof(char *), &ptrs_sz) ||
	    __builtin_add_overflow(sizeof(dl_requirement), ptrs_sz, &total) ||
	    __builtin_add_overflow(total, pool.len, &total)) {
		rc = dl_error_set(DL_ELIMIT, "requirement too large");
		goto done;
	}
	char *block = dl_malloc(total);
	if (block == NULL) {
		rc = dl_error_oom();
		goto done;
	}
	r = (dl_requirement *)block;
	const char **ex = (const char **)(block + sizeof(dl_requirement));
	char *strs = block + sizeof(dl_requirement) + ptrs_sz;
	memcpy(strs, pool.ptr, pool.len);
	r->name = strs;
	r->normalized_name = strs + norm_off;
	r->url = has_url ? strs + url_off : NULL;
	for (size_t i = 0; i < extras->n; i++)
		ex[i] = strs + offs[i];
	/* sort, then drop duplicates of the normal form */
	size_t n = 0;
	if (extras->n > 0) {
		qsort(ex, extras->n, sizeof(char *), cmp_str);
		for (size_t i = 0; i < extras->n; i++) {
			if (n == 0 || strcmp(ex[n - 1], ex[i]) != 0)
				ex[n++] = ex[i];
		}
	}
	r->extras = ex;
	r->n_extras = n;
	r->specifier = spec;
	r->marker = marker;
	spec = NULL;
	marker = NULL;
	*out = r;
done:
	dl_specset_free(spec);
	dl_marker_free(marker);
	dl_free(offs);
	dl_buf_free(&pool);
	return rc;
}

int dl_requirement_parse(dl_requirement **out, const char *s, size_t len)
{
	*out = NULL;
	if (len > REQ_MAX_INPUT)
		return dl_error_set(DL_ELIMIT, "invalid requirement: longer than %d bytes", REQ_MAX_INPUT);
	struct rparser p = {s, len, 0};
	struct spans extras = {0};
	struct span name = {0, 0}, url = {0, 0};
	bool has_url = false;
	dl_buf specs = DL_BUF_INIT;
	dl_specset *spec = NULL;
	dl_marker *marker = NULL;
	size_t spec_at = 0;
	int rc;

	skip_ws(&p);
	if (p.pos >= p.len) {
		rc = rerr(&p, p.pos, "expected a project name, found end of input");
		goto done;
	}
	if (!dl_isalnum((unsigned char)s[p.pos])) {
		rc = rerr(&p, p.pos, "expected a project name (a letter or digit)");
		goto done;
	}
	rc = parse_ident(&p, "a project name", &name.start, &name.len);
	if (rc < 0)
		goto done;
	skip_ws(&p);
	bool had_extras = at(&p, '[');
	if (had_extras) {
		rc = parse_extras(&p, &extras);
		if (rc < 0)
			goto done;
		skip_ws(&p);
	}
	if (at(&p, '@')) {
		p.pos++;
		skip_ws(&p);
		url.start = p.pos;
		while (p.pos < p.len && !is_ws(s[p.pos]))
			p.pos++;
		url.len = p.pos - url.start;
		if (url.len == 0) {
			rc = rerr(&p, p.pos, "expected a URL after '@'");
			goto done;
		}
		/* packaging takes any non-blank bytes; control characters (NUL
		 * above all) have no place in a URL and would not survive
		 * printing. */
		for (size_t i = url.start; i < p.pos; i++) {
			unsigned char c = (unsigned char)s[i];
			if (c < 0x20 || c == 0x7f) {
				rc = rerr(&p, i, "control character 0x%02x in the URL", c);
				goto done;
			}
		}
		has_url = true;
		skip_ws(&p);
		if (p.pos < p.len) {
			if (!at(&p, ';')) {
				rc = rerr(&p, p.pos, "expected ';' (after the URL and whitespace) or end of input");
				goto done;
			}
		}
	} else {
		bool paren = at(&p, '(');
		size_t open = p.pos;
		if (paren) {
			p.pos++;
			skip_ws(&p);
		}
		spec_at = p.pos;
		if (at_spec_op(&p)) {
			rc = parse_specs(&p, &specs);
			if (rc < 0)
				goto done;
			skip_ws(&p);
		}
		if (paren) {
			if (!at(&p, ')')) {
				if (specs.len > 0)
					rc = rerr(&p, p.pos, "expected ',' or ')' (to close the '(' of column %zu)", open + 1);
				else
					rc = rerr(&p, p.pos, "expected a version specifier or ')' (to close the '(' of column %zu)",
					          open + 1);
				goto done;
			}
			p.pos++;
			skip_ws(&p);
		}
		if (p.pos < p.len && !at(&p, ';')) {
			if (specs.len > 0 || paren)
				rc = rerr(&p, p.pos, "expected ',' (between version specifiers), ';' or end of input");
			else if (had_extras)
				rc = rerr(&p, p.pos, "expected a version specifier, '@', ';' or end of input");
			else
				rc = rerr(&p, p.pos, "expected '[', a version specifier, '@', ';' or end of input");
			goto done;
		}
	}
	rc = dl_buf_put(&specs, "", 0);
	if (rc < 0)
		goto done;
	rc = dl_specset_parse(&spec, specs.ptr, specs.len);
	if (rc < 0) {
		if (rc == DL_EPARSE || rc == DL_ELIMIT) {
			int code = rc;
			char *inner = dl_strdup(dl_error_last()->message);
			if (inner == NULL) {
				rc = dl_error_oom();
				goto done;
			}
			rc = rerr_code(&p, code, spec_at, "%s, in the version specifier", inner);
			dl_free(inner);
		}
		goto done;
	}
	if (at(&p, ';')) {
		p.pos++;
		rc = dl_marker_parse_within(&marker, s, len, &p.pos, "requirement");
		if (rc < 0)
			goto done;
		if (p.pos < p.len) {
			rc = rerr(&p, p.pos, "expected 'and', 'or' or end of input");
			goto done;
		}
	}
	rc = build(out, &p, name, &extras, url, has_url, spec, marker);
	spec = NULL;
	marker = NULL;
done:
	dl_specset_free(spec);
	dl_marker_free(marker);
	dl_buf_free(&specs);
	dl_free(extras.v);
	return rc;
}

void dl_requirement_free(dl_requirement *r)
{
	if (r == NULL)
		return;
	dl_specset_free(r->specifier);
	dl_marker_free(r->marker);
	dl_free(r);
}

int dl_requirement_format_specifier(const dl_requirement *r, dl_buf *out)
{
	const dl_specset *set = r->specifier;
	if (set->count <= 1)
		return set->count == 0 ? out->failed : dl_specset_format(set, out);
	/* Format each specifier, then write them sorted: packaging's str()
	 * sorts, and a set's printed form should not depend on the order it
	 * was written in. */
	dl_buf parts = DL_BUF_INIT;
	size_t *offs = dl_calloc(set->count, sizeof(size_t));
	const char **strs = dl_calloc(set->count, sizeof(char *));
	int rc = offs == NULL || strs == NULL ? dl_error_oom() : 0;
	for (size_t i = 0; rc == 0 && i < set->count; i++) {
		offs[i] = parts.len;
		rc = dl_spec_format(&set->specs[i], &parts);
		if (rc == 0)
			rc = dl_buf_putc(&parts, '\0');
	}
	if (rc == 0) {
		for (size_t i = 0; i < set->count; i++)
			strs[i] = parts.ptr + offs[i];
		qsort(strs, set->count, sizeof(char *), cmp_str);
		for (size_t i = 0; i < set->count; i++) {
			if (i > 0)
				dl_buf_putc(out, ',');
			dl_buf_puts(out, strs[i]);
		}
		rc = out->failed;
	}
	dl_free(offs);
	dl_free(strs);
	dl_buf_free(&parts);
	return rc;
}

int dl_requirement_format(const dl_requirement *r, dl_buf *out)
{
	dl_buf_puts(out, r->name);
	if (r->n_extras > 0) {
		dl_buf_putc(out, '[');
		for (size_t i = 0; i < r->n_extras; i++) {
			if (i > 0)
				dl_buf_putc(out, ',');
			dl_buf_puts(out, r->extras[i]);
		}
		dl_buf_putc(out, ']');
	}
	int rc = dl_requirement_format_specifier(r, out);
	if (rc < 0)
		return rc;
	if (r->url != NULL) {
		dl_buf_puts(out, " @ ");
		dl_buf_puts(out, r->url);
		if (r->marker != NULL)
			dl_buf_putc(out, ' ');
	}
	if (r->marker != NULL) {
		dl_buf_puts(out, "; ");
		rc = dl_marker_format(r->marker, out);
		if (rc < 0)
			return rc;
	}
	return out->failed;
}

int dl_requirement_to_string(char **out, const dl_requirement *r)
{
	dl_buf b = DL_BUF_INIT;
	*out = NULL;
	int rc = dl_buf_put(&b, "", 0);
	if (rc == 0)
		rc = dl_requirement_format(r, &b);
	if (rc < 0) {
		dl_buf_free(&b);
		return rc;
	}
	*out = dl_buf_detach(&b, NULL);
	return 0;
}

/*
 * Specifier equality as packaging's Specifier.__eq__ has it: the operator,
 * and the version canonicalised with trailing zeros stripped -- except for
 * `~=` (where "~=1.0" and "~=1.0.0" mean different things) and the prefix
 * forms ("==1.0.*" is compared as written), and `===`, compared as text.
 * Done here, without allocating, rather than with dl_specset_eq, which
 * compares canonical strings and so keeps "==1.0" and "==1.0.0" apart.
 */
static bool spec_same(const dl_spec *a, const dl_spec *b)
{
	if (a->op != b->op)
		return false;
	switch (a->op) {
	case DL_SPEC_ARBITRARY:
		return strcmp(a->text, b->text) == 0;
	case DL_SPEC_COMPATIBLE:
	case DL_SPEC_EQ_PREFIX:
	case DL_SPEC_NE_PREFIX:
		return a->version.nrelease == b->version.nrelease && dl_version_cmp(&a->version, &b->version) == 0;
	default:
		return dl_version_cmp(&a->version, &b->version) == 0;
	}
}

static uint64_t spec_hash(const dl_spec *s)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ ((uint64_t)s->op * 0x9e3779b97f4a7c15ULL);
	if (s->op == DL_SPEC_ARBITRARY) {
		for (const char *p = s->text; *p != '\0'; p++) {
			h ^= (unsigned char)*p;
			h *= 0x100000001b3ULL;
		}
		return h;
	}
	h ^= dl_version_hash(&s->version);
	if (s->op == DL_SPEC_COMPATIBLE || s->op == DL_SPEC_EQ_PREFIX || s->op == DL_SPEC_NE_PREFIX)
		h ^= (uint64_t)s->version.nrelease * 0xc2b2ae3d27d4eb4fULL;
	return h * 0x100000001b3ULL;
}

/* Sets: each specifier of one has an equal in the other, both ways. */
static bool specset_same(const dl_specset *a, const dl_specset *b)
{
	for (int pass = 0; pass < 2; pass++) {
		const dl_specset *x = pass ? b : a, *y = pass ? a : b;
		for (size_t i = 0; i < x->count; i++) {
			bool found = false;
			for (size_t j = 0; j < y->count && !found; j++)
				found = spec_same(&x->specs[i], &y->specs[j]);
			if (!found)
				return false;
		}
	}
	return true;
}

/* Order-independent, and duplicates count once, as in specset_same. */
static uint64_t specset_hash(const dl_specset *set)
{
	uint64_t h = 0;
	for (size_t i = 0; i < set->count; i++) {
		bool dup = false;
		for (size_t j = 0; j < i && !dup; j++)
			dup = spec_same(&set->specs[i], &set->specs[j]);
		if (!dup) {
			uint64_t x = spec_hash(&set->specs[i]);
			h += x ^ (x >> 31);
		}
	}
	return h;
}

bool dl_requirement_eq(const dl_requirement *a, const dl_requirement *b)
{
	if (strcmp(a->normalized_name, b->normalized_name) != 0 || a->n_extras != b->n_extras)
		return false;
	for (size_t i = 0; i < a->n_extras; i++) {
		if (strcmp(a->extras[i], b->extras[i]) != 0)
			return false;
	}
	if ((a->url == NULL) != (b->url == NULL) || (a->url != NULL && strcmp(a->url, b->url) != 0))
		return false;
	return specset_same(a->specifier, b->specifier) && dl_marker_eq(a->marker, b->marker);
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	h ^= 0xff;
	h *= 0x100000001b3ULL;
	return h;
}

uint64_t dl_requirement_hash(const dl_requirement *r)
{
	uint64_t h = fnv_str(0xcbf29ce484222325ULL, r->normalized_name);
	for (size_t i = 0; i < r->n_extras; i++)
		h = fnv_str(h, r->extras[i]);
	h = fnv_str(h, r->url != NULL ? r->url : "");
	h ^= specset_hash(r->specifier) * 0x9e3779b97f4a7c15ULL;
	h ^= dl_marker_hash(r->marker) * 0xc2b2ae3d27d4eb4fULL;
	return h;
}

int dl_requirement_clone(dl_requirement **out, const dl_requirement *r)
{
	/* Printing and re-parsing is exact (the normal form parses back to an
	 * equal requirement with the same name spelling) and keeps one code
	 * path for the packed layout. */
	char *s = NULL;
	*out = NULL;
	int rc = dl_requirement_to_string(&s, r);
	if (rc == 0)
		rc = dl_requirement_parse(out, s, strlen(s));
	dl_free(s);
	return rc;
}
