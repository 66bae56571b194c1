/*
 * setupcfg.c - setup.cfg read exactly as setuptools reads it, and the
 * setuptools view (dl_setup_args) extracted from it.
 *
 * setuptools parses setup.cfg with Python's configparser.ConfigParser() with
 * `optionxform = str` (setuptools/dist.py, _parse_config_files), then maps
 * option names (dashes, case) and parses values per field
 * (setuptools/config/setupcfg.py).  Each rule below follows a line of those
 * two modules; deeplock/sdist.h lists them.  The parser walks the input line
 * by line like configparser's _read: it keeps the current section, the
 * current option and the indentation of the line that started it, and
 * appends deeper-indented lines to that option.  Python's notion of
 * whitespace (str.strip, re's \s) is Unicode-wide, so stripping and
 * indentation measure Unicode whitespace code points, after the input has
 * been checked to be UTF-8.
 *
 * Storage: strings live in an arena owned by the dl_setupcfg; sections and
 * their option lists are growable arrays; one hash table indexes section
 * names and (section, key) pairs, so duplicate detection and interpolation
 * lookups stay O(1) on hostile files with many options.
 *
 * Interpolation (configparser's BasicInterpolation) is evaluated for every
 * option of every section at the end of parsing, against the raw values of
 * that section and [DEFAULT], with Python's depth limit of 10 and, beyond
 * Python, a budget on work and output so that a file of nested references
 * cannot explode.  Failures are stored per option, not raised.
 *
 * This file also holds the helpers shared with the setup.py reader:
 * dl_setup_split_requirements and dl_setup_args_free.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "deeplock/sdist.h"

/* ------------------------------------------------------------------ */
/* UTF-8 and Python whitespace                                          */

/* Length of a valid UTF-8 sequence at s (1-4), or 0 when invalid; *cp gets
 * the code point.  Rejects overlong forms, surrogates and > U+10FFFF, as
 * Python's strict UTF-8 decoder does. */
static size_t utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp)
{
	unsigned char c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t n;
	uint32_t v, min;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		v = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		v = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

/* Whether Python's str.isspace holds for one code point. */
static bool py_isspace_cp(uint32_t c)
{
	if (c <= 0x20)
		return c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
	return c == 0x85 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 ||
	       c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

/* Byte length of a Python whitespace character at p, 0 when none.  Input
 * is valid UTF-8. */
static size_t space_at(const char *p, const char *end)
{
	uint32_t cp;
	size_t n = utf8_decode((const unsigned char *)p, (size_t)(end - p), &cp);
	return n != 0 && py_isspace_cp(cp) ? n : 0;
}

/* Byte length of the whitespace character that ends at `end`, 0 when
 * none. */
static size_t space_before(const char *start, const char *end)
{
	for (size_t n = 1; n <= 3 && (size_t)(end - start) >= n; n++) {
		const unsigned char *p = (const unsigned char *)end - n;
		if (n < 3 && (p[0] & 0xc0) == 0x80)
			continue; /* a continuation byte: look further back */
		uint32_t cp;
		if (utf8_decode(p, n, &cp) == n && py_isspace_cp(cp))
			return n;
		return 0;
	}
	return 0;
}

static void py_strip(const char **s, size_t *len)
{
	const char *p = *s, *e = *s + *len;
	size_t n;
	while (p < e && (n = space_at(p, e)) > 0)
		p += n;
	while (e > p && (n = space_before(p, e)) > 0)
		e -= n;
	*s = p;
	*len = (size_t)(e - p);
}

/* Python's str.splitlines() boundaries: the byte length of a line break at
 * p (2 for "\r\n"), 0 when none. */
static size_t linebreak_at(const char *p, const char *end)
{
	unsigned char c = (unsigned char)*p;
	if (c == '\r')
		return (p + 1 < end && p[1] == '\n') ? 2 : 1;
	if (c == '\n' || c == 0x0b || c == 0x0c || c == 0x1c || c == 0x1d || c == 0x1e)
		return 1;
	if (c == 0xc2 && p + 1 < end && (unsigned char)p[1] == 0x85)
		return 2;
	if (c == 0xe2 && p + 2 < end && (unsigned char)p[1] == 0x80 &&
	    ((unsigned char)p[2] == 0xa8 || (unsigned char)p[2] == 0xa9))
		return 3;
	return 0;
}

/* Code points in [s, s+len) of valid UTF-8. */
static size_t count_chars(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* The parsed file                                                      */

struct opt {
	const char *key;
	size_t key_len;
	const char *raw;
	size_t raw_len;
	unsigned long line;
};

struct section {
	const char *name;
	size_t name_len;
	uint32_t *opts; /* indices into cfg->opts, file order */
	size_t n, cap;
	dl_setupcfg_option *view; /* own then inherited, interpolated */
	size_t view_n;
};

/* Hash entries: a section name (opt == UINT32_MAX) or a (section, key). */
struct hent {
	uint64_t hash;
	uint32_t sec;
	uint32_t opt; /* option index, or UINT32_MAX for a section entry */
};

struct dl_setupcfg {
	dl_arena *arena;
	const char *source;
	struct section *secs; /* secs[0] is [DEFAULT] */
	size_t nsecs, capsecs;
	struct opt *opts;
	size_t nopts, capopts;
	struct hent *table;
	size_t table_size, table_used;
};

static uint64_t fnv(uint64_t h, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

static uint64_t key_hash(uint32_t sec, const char *key, size_t len)
{
	uint64_t h = 1469598103934665603ull ^ sec;
	h *= 1099511628211ull;
	return fnv(h, key, len);
}

static int table_grow(dl_setupcfg *cfg)
{
	size_t size = cfg->table_size ? cfg->table_size * 2 : 64;
	struct hent *t = dl_calloc(size, sizeof(*t));
	if (t == NULL)
		return dl_error_oom();
	for (size_t i = 0; i < cfg->table_size; i++) {
		struct hent *e = &cfg->table[i];
		if (e->hash == 0)
			continue;
		size_t slot = (size_t)e->hash & (size - 1);
		while (t[slot].hash != 0)
			slot = (slot + 1) & (size - 1);
		t[slot] = *e;
	}
	dl_free(cfg->table);
	cfg->table = t;
	cfg->table_size = size;
	return 0;
}

/* Find a section (opt == UINT32_MAX) or a key in section `sec`.  Returns the
 * entry or NULL. */
static struct hent *table_find(const dl_setupcfg *cfg, uint64_t h, uint32_t sec, bool is_section, const char *key,
                               size_t len)
{
	if (cfg->table_size == 0)
		return NULL;
	size_t slot = (size_t)h & (cfg->table_size - 1);
	while (cfg->table[slot].hash != 0) {
		struct hent *e = &cfg->table[slot];
		if (e->hash == h) {
			if (is_section && e->opt == UINT32_MAX) {
				const struct section *s = &cfg->secs[e->sec];
				if (s->name_len == len && memcmp(s->name, key, len) == 0)
					return e;
			} else if (!is_section && e->opt != UINT32_MAX && e->sec == sec) {
				const struct opt *o = &cfg->opts[e->opt];
				if (o->key_len == len && memcmp(o->key, key, len) == 0)
					return e;
			}
		}
		slot = (slot + 1) & (cfg->table_size - 1);
	}
	return NULL;
}

static int table_add(dl_setupcfg *cfg, uint64_t h, uint32_t sec, uint32_t opt)
{
	if ((cfg->table_used + 1) * 2 > cfg->table_size) {
		int rc = table_grow(cfg);
		if (rc < 0)
			return rc;
	}
	if (h == 0)
		h = 1; /* 0 marks an empty slot */
	size_t slot = (size_t)h & (cfg->table_size - 1);
	while (cfg->table[slot].hash != 0)
		slot = (slot + 1) & (cfg->table_size - 1);
	cfg->table[slot].hash = h;
	cfg->table[slot].sec = sec;
	cfg->table[slot].opt = opt;
	cfg->table_used++;
	return 0;
}

static uint64_t section_hash(const char *name, size_t len)
{
	uint64_t h = fnv(0x9e3779b97f4a7c15ull, name, len);
	return h == 0 ? 1 : h;
}

static uint64_t option_hash(uint32_t sec, const char *key, size_t len)
{
	uint64_t h = key_hash(sec, key, len);
	return h == 0 ? 1 : h;
}

/* The raw value of `key` in section `sec` or [DEFAULT]; NULL when absent. */
static const struct opt *raw_lookup(const dl_setupcfg *cfg, uint32_t sec, const char *key, size_t len)
{
	struct hent *e = table_find(cfg, option_hash(sec, key, len), sec, false, key, len);
	if (e == NULL && sec != 0)
		e = table_find(cfg, option_hash(0, key, len), 0, false, key, len);
	return e != NULL ? &cfg->opts[e->opt] : NULL;
}

/* ------------------------------------------------------------------ */
/* Parsing                                                              */

struct parser {
	dl_setupcfg *cfg;
	const char *src;
	long cur_sec;        /* -1 before the first section */
	long cur_opt;        /* option being continued, -1 for none */
	size_t indent_level; /* indentation (code points) of the line that set cur_opt or the section */
	dl_buf val;          /* the current option's value so far */
};

static int perr(struct parser *P, unsigned long line, size_t col, const char *fmt, const char *detail)
{
	return dl_error_set(DL_EPARSE, "%s:%lu:%zu: %s%s", P->src, line, col, fmt, detail != NULL ? detail : "");
}

/* Store the value being built for cur_opt: rstrip it like
 * '\n'.join(lines).rstrip(). */
static int finish_option(struct parser *P)
{
	if (P->cur_opt < 0)
		return 0;
	if (P->val.failed)
		return P->val.failed == DL_ENOMEM ? dl_error_oom() : P->val.failed;
	const char *s = dl_buf_cstr(&P->val);
	size_t len = P->val.len;
	size_t n;
	while (len > 0 && (n = space_before(s, s + len)) > 0)
		len -= n;
	struct opt *o = &P->cfg->opts[P->cur_opt];
	o->raw = dl_arena_strndup(P->cfg->arena, s, len);
	if (o->raw == NULL)
		return dl_error_oom();
	o->raw_len = len;
	P->cur_opt = -1;
	dl_buf_reset(&P->val);
	return 0;
}

static int add_section(dl_setupcfg *cfg, const char *name, size_t len, uint32_t *idx)
{
	if (cfg->nsecs == cfg->capsecs) {
		size_t ncap = cfg->capsecs ? cfg->capsecs * 2 : 8;
		if (dl_realloc_array((void **)&cfg->secs, ncap, sizeof(*cfg->secs)) < 0)
			return dl_error_oom();
		cfg->capsecs = ncap;
	}
	struct section *s = &cfg->secs[cfg->nsecs];
	memset(s, 0, sizeof(*s));
	s->name = dl_arena_strndup(cfg->arena, name, len);
	if (s->name == NULL)
		return dl_error_oom();
	s->name_len = len;
	*idx = (uint32_t)cfg->nsecs;
	cfg->nsecs++;
	if (*idx != 0)
		return table_add(cfg, section_hash(name, len), *idx, UINT32_MAX);
	return 0;
}

static int add_option(struct parser *P, const char *key, size_t klen, const char *val, size_t vlen,
                      unsigned long line)
{
	dl_setupcfg *cfg = P->cfg;
	uint32_t sec = (uint32_t)P->cur_sec;
	if (table_find(cfg, option_hash(sec, key, klen), sec, false, key, klen) != NULL) {
		const struct section *s = &cfg->secs[sec];
		return dl_error_set(DL_EPARSE, "%s:%lu:1: option '%.*s' in section [%.*s] already exists (configparser is "
		                    "strict about duplicates, so setuptools fails)",
		                    P->src, line, (int)(klen > 200 ? 200 : klen), key, (int)(s->name_len > 200 ? 200 : s->name_len),
		                    s->name);
	}
	if (cfg->nopts == cfg->capopts) {
		size_t ncap = cfg->capopts ? cfg->capopts * 2 : 32;
		if (ncap > UINT32_MAX / 2)
			return dl_error_set(DL_ELIMIT, "%s:%lu:1: too many options", P->src, line);
		if (dl_realloc_array((void **)&cfg->opts, ncap, sizeof(*cfg->opts)) < 0)
			return dl_error_oom();
		cfg->capopts = ncap;
	}
	struct section *s = &cfg->secs[sec];
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 8;
		if (dl_realloc_array((void **)&s->opts, ncap, sizeof(*s->opts)) < 0)
			return dl_error_oom();
		s->cap = ncap;
	}
	uint32_t idx = (uint32_t)cfg->nopts;
	struct opt *o = &cfg->opts[idx];
	memset(o, 0, sizeof(*o));
	o->key = dl_arena_strndup(cfg->arena, key, klen);
	if (o->key == NULL)
		return dl_error_oom();
	o->key_len = klen;
	o->line = line;
	o->raw = "";
	cfg->nopts++;
	s->opts[s->n++] = idx;
	int rc = table_add(cfg, option_hash(sec, key, klen), sec, idx);
	if (rc < 0)
		return rc;
	P->cur_opt = (long)idx;
	return dl_buf_put(&P->val, val, vlen) < 0 ? (P->val.failed == DL_ENOMEM ? dl_error_oom() : P->val.failed) : 0;
}

/* One physical line (without its terminator). */
static int parse_line(struct parser *P, const char *line, size_t len, unsigned long lineno)
{
	const char *v = line;
	size_t vlen = len;
	py_strip(&v, &vlen);
	bool comment = vlen > 0 && (v[0] == '#' || v[0] == ';');
	if (vlen == 0 || comment) {
		/* A blank line (not a comment) inside a value is kept. */
		if (!comment && P->cur_sec >= 0 && P->cur_opt >= 0)
			return dl_buf_putc(&P->val, '\n') < 0 ? dl_error_oom() : 0;
		return 0;
	}
	size_t indent = count_chars(line, (size_t)(v - line));
	if (P->cur_sec >= 0 && P->cur_opt >= 0 && indent > P->indent_level) {
		if (dl_buf_putc(&P->val, '\n') < 0 || dl_buf_put(&P->val, v, vlen) < 0)
			return P->val.failed == DL_ENOMEM ? dl_error_oom() : P->val.failed;
		return 0;
	}
	P->indent_level = indent;
	int rc = finish_option(P);
	if (rc < 0)
		return rc;
	size_t col = indent + 1;

	/* A section header: '[' then the name up to the LAST ']' (the regex
	 * \[(?P<header>.+)\] with a greedy .+), at least one character. */
	if (v[0] == '[') {
		const char *close = NULL;
		for (const char *p = v + vlen - 1; p > v + 1; p--) {
			if (*p == ']') {
				close = p;
				break;
			}
		}
		if (close != NULL) {
			const char *name = v + 1;
			size_t nlen = (size_t)(close - name);
			if (nlen == 7 && memcmp(name, "DEFAULT", 7) == 0) {
				P->cur_sec = 0;
			} else {
				uint64_t h = section_hash(name, nlen);
				if (table_find(P->cfg, h, 0, true, name, nlen) != NULL)
					return dl_error_set(DL_EPARSE, "%s:%lu:%zu: section [%.*s] already exists (configparser is "
					                    "strict about duplicates, so setuptools fails)",
					                    P->src, lineno, col, (int)(nlen > 200 ? 200 : nlen), name);
				uint32_t idx = 0;
				rc = add_section(P->cfg, name, nlen, &idx);
				if (rc < 0)
					return rc;
				P->cur_sec = (long)idx;
			}
			P->cur_opt = -1;
			return 0;
		}
	}
	if (P->cur_sec < 0)
		return perr(P, lineno, col, "expected a [section] header before anything else (configparser: "
		            "MissingSectionHeaderError)", NULL);
	/* An option: the key runs to the first '=' or ':'. */
	const char *delim = NULL;
	for (const char *p = v; p < v + vlen; p++) {
		if (*p == '=' || *p == ':') {
			delim = p;
			break;
		}
	}
	if (delim == NULL)
		return perr(P, lineno, col, "expected 'key = value', 'key: value', a [section] header or a comment "
		            "(configparser: ParsingError)", NULL);
	const char *key = v;
	size_t klen = (size_t)(delim - v);
	py_strip(&key, &klen);
	if (klen == 0)
		return perr(P, lineno, col, "an option needs a name before '=' or ':' (configparser: ParsingError)", NULL);
	const char *val = delim + 1;
	size_t valn = (size_t)(v + vlen - val);
	py_strip(&val, &valn);
	return add_option(P, key, klen, val, valn, lineno);
}

/* ------------------------------------------------------------------ */
/* Interpolation                                                        */

#define INTERP_MAX_DEPTH 10          /* configparser.MAX_INTERPOLATION_DEPTH */
#define INTERP_MAX_STEPS 100000      /* references followed for one option */
#define INTERP_MAX_OUTPUT (1u << 20) /* bytes of one interpolated value */

struct interp {
	const dl_setupcfg *cfg;
	uint32_t sec;
	size_t steps;
	dl_buf out;
	const char *why; /* static reason, or NULL */
	char detail[256];
};

/* Returns 0, 1 when interpolation fails (it->detail says why) or a
 * negative code. */
static int interp_some(struct interp *it, const char *rest, size_t len, int depth)
{
	if (depth > INTERP_MAX_DEPTH) {
		snprintf(it->detail, sizeof(it->detail),
		         "interpolation goes deeper than %d levels (configparser: InterpolationDepthError)",
		         INTERP_MAX_DEPTH);
		return 1;
	}
	const char *p = rest, *end = rest + len;
	while (p < end) {
		const char *pct = memchr(p, '%', (size_t)(end - p));
		if (pct == NULL) {
			if (dl_buf_put(&it->out, p, (size_t)(end - p)) < 0)
				goto buf_failed;
			return 0;
		}
		if (dl_buf_put(&it->out, p, (size_t)(pct - p)) < 0)
			goto buf_failed;
		p = pct;
		char c = p + 1 < end ? p[1] : '\0';
		if (c == '%') {
			if (dl_buf_putc(&it->out, '%') < 0)
				goto buf_failed;
			p += 2;
		} else if (c == '(') {
			/* %\(([^)]+)\)s */
			const char *name = p + 2;
			const char *q = name;
			while (q < end && *q != ')')
				q++;
			if (q == name || q + 1 >= end || q[1] != 's') {
				snprintf(it->detail, sizeof(it->detail),
				         "bad interpolation variable reference '%.60s' (configparser: InterpolationSyntaxError)",
				         p);
				return 1;
			}
			if (++it->steps > INTERP_MAX_STEPS) {
				snprintf(it->detail, sizeof(it->detail), "interpolation follows more than %d references",
				         INTERP_MAX_STEPS);
				return 1;
			}
			const struct opt *o = raw_lookup(it->cfg, it->sec, name, (size_t)(q - name));
			if (o == NULL) {
				snprintf(it->detail, sizeof(it->detail),
				         "'%%(%.*s)s' names no option of the section or [DEFAULT] (configparser: "
				         "InterpolationMissingOptionError)",
				         (int)((size_t)(q - name) > 60 ? 60 : (size_t)(q - name)), name);
				return 1;
			}
			p = q + 2;
			if (memchr(o->raw, '%', o->raw_len) != NULL) {
				int rc = interp_some(it, o->raw, o->raw_len, depth + 1);
				if (rc != 0)
					return rc;
			} else if (dl_buf_put(&it->out, o->raw, o->raw_len) < 0) {
				goto buf_failed;
			}
		} else {
			snprintf(it->detail, sizeof(it->detail),
			         "'%%' must be followed by '%%' or '(', found '%.40s' (configparser: InterpolationSyntaxError)",
			         p);
			return 1;
		}
	}
	return 0;
buf_failed:
	if (it->out.failed == DL_ENOMEM)
		return dl_error_oom();
	snprintf(it->detail, sizeof(it->detail), "the interpolated value is longer than %u bytes", INTERP_MAX_OUTPUT);
	return 1;
}

/* Fill `dst` from the raw option `o` as seen from section `sec`. */
static int make_view(dl_setupcfg *cfg, uint32_t sec, const struct opt *o, bool inherited, dl_setupcfg_option *dst)
{
	memset(dst, 0, sizeof(*dst));
	dst->key = o->key;
	dst->key_len = o->key_len;
	dst->raw = o->raw;
	dst->raw_len = o->raw_len;
	dst->line = o->line;
	dst->inherited = inherited;
	if (memchr(o->raw, '%', o->raw_len) == NULL) {
		dst->value = o->raw;
		dst->value_len = o->raw_len;
		return 0;
	}
	struct interp it;
	memset(&it, 0, sizeof(it));
	it.cfg = cfg;
	it.sec = sec;
	dl_buf_init(&it.out, INTERP_MAX_OUTPUT);
	int rc = interp_some(&it, o->raw, o->raw_len, 1);
	if (rc < 0) {
		dl_buf_free(&it.out);
		return rc;
	}
	if (rc == 1) {
		char msg[400];
		snprintf(msg, sizeof(msg), "line %lu: option '%.60s': %s", o->line, o->key, it.detail);
		dst->error = dl_arena_strndup(cfg->arena, msg, strlen(msg));
		dl_buf_free(&it.out);
		return dst->error != NULL ? 0 : dl_error_oom();
	}
	dst->value = dl_arena_strndup(cfg->arena, dl_buf_cstr(&it.out), it.out.len);
	dst->value_len = it.out.len;
	dl_buf_free(&it.out);
	return dst->value != NULL ? 0 : dl_error_oom();
}

static int build_views(dl_setupcfg *cfg)
{
	const struct section *def = &cfg->secs[0];
	for (size_t si = 1; si < cfg->nsecs; si++) {
		struct section *s = &cfg->secs[si];
		size_t total = s->n + def->n;
		s->view = dl_arena_calloc(cfg->arena, total ? total : 1, sizeof(*s->view));
		if (s->view == NULL)
			return dl_error_oom();
		size_t k = 0;
		for (size_t i = 0; i < s->n; i++) {
			int rc = make_view(cfg, (uint32_t)si, &cfg->opts[s->opts[i]], false, &s->view[k++]);
			if (rc < 0)
				return rc;
		}
		for (size_t i = 0; i < def->n; i++) {
			const struct opt *o = &cfg->opts[def->opts[i]];
			if (table_find(cfg, option_hash((uint32_t)si, o->key, o->key_len), (uint32_t)si, false, o->key,
			               o->key_len) != NULL)
				continue; /* overridden by the section */
			int rc = make_view(cfg, (uint32_t)si, o, true, &s->view[k++]);
			if (rc < 0)
				return rc;
		}
		s->view_n = k;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Public API                                                           */

void dl_setupcfg_free(dl_setupcfg *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < cfg->nsecs; i++)
		dl_free(cfg->secs[i].opts);
	dl_free(cfg->secs);
	dl_free(cfg->opts);
	dl_free(cfg->table);
	dl_arena_free(cfg->arena);
	dl_free(cfg);
}

static int check_utf8(const char *data, size_t len, const char *src)
{
	unsigned long line = 1;
	size_t col = 1;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_decode((const unsigned char *)data + i, len - i, &cp);
		if (n == 0)
			return dl_error_set(DL_EPARSE, "%s:%lu:%zu: invalid UTF-8 (setuptools reads setup.cfg as UTF-8)", src,
			                    line, col);
		if (cp == '\n' || (cp == '\r' && !(i + 1 < len && data[i + 1] == '\n'))) {
			line++;
			col = 1;
		} else if (cp != '\r') {
			col++;
		}
		i += n;
	}
	return 0;
}

int dl_setupcfg_parse(dl_setupcfg **out, const char *data, size_t len, const char *source)
{
	if (out == NULL || (data == NULL && len > 0))
		return dl_error_set(DL_EINVAL, "dl_setupcfg_parse: NULL argument");
	const char *src = source != NULL ? source : "setup.cfg";
	if (len > DL_SETUPCFG_MAX_INPUT)
		return dl_error_set(DL_ELIMIT, "%s: larger than %zu bytes", src, DL_SETUPCFG_MAX_INPUT);
	int rc = check_utf8(data, len, src);
	if (rc < 0)
		return rc;
	dl_setupcfg *cfg = dl_calloc(1, sizeof(*cfg));
	if (cfg == NULL)
		return dl_error_oom();
	struct parser P;
	memset(&P, 0, sizeof(P));
	dl_buf_init(&P.val, DL_SETUPCFG_MAX_INPUT);
	rc = dl_arena_new(&cfg->arena);
	if (rc < 0)
		goto fail;
	cfg->source = dl_arena_strndup(cfg->arena, src, strlen(src));
	if (cfg->source == NULL) {
		rc = dl_error_oom();
		goto fail;
	}
	uint32_t def;
	rc = add_section(cfg, "DEFAULT", 7, &def);
	if (rc < 0)
		goto fail;
	P.cfg = cfg;
	P.src = cfg->source;
	P.cur_sec = -1;
	P.cur_opt = -1;
	unsigned long lineno = 1;
	for (size_t i = 0; i < len;) {
		size_t j = i;
		while (j < len && data[j] != '\n' && data[j] != '\r')
			j++;
		rc = parse_line(&P, data + i, j - i, lineno);
		if (rc < 0)
			goto fail;
		if (j < len && data[j] == '\r' && j + 1 < len && data[j + 1] == '\n')
			j++;
		i = j + 1;
		lineno++;
	}
	rc = finish_option(&P);
	if (rc < 0)
		goto fail;
	rc = build_views(cfg);
	if (rc < 0)
		goto fail;
	dl_buf_free(&P.val);
	*out = cfg;
	return 0;
fail:
	dl_buf_free(&P.val);
	dl_setupcfg_free(cfg);
	return rc;
}

size_t dl_setupcfg_section_count(const dl_setupcfg *cfg)
{
	return cfg->nsecs - 1;
}

const char *dl_setupcfg_section_name(const dl_setupcfg *cfg, size_t section, size_t *len)
{
	if (section + 1 >= cfg->nsecs)
		return NULL;
	if (len != NULL)
		*len = cfg->secs[section + 1].name_len;
	return cfg->secs[section + 1].name;
}

size_t dl_setupcfg_option_count(const dl_setupcfg *cfg, size_t section)
{
	return section + 1 < cfg->nsecs ? cfg->secs[section + 1].view_n : 0;
}

const dl_setupcfg_option *dl_setupcfg_option_at(const dl_setupcfg *cfg, size_t section, size_t i)
{
	if (section + 1 >= cfg->nsecs || i >= cfg->secs[section + 1].view_n)
		return NULL;
	return &cfg->secs[section + 1].view[i];
}

static const struct section *find_section(const dl_setupcfg *cfg, const char *name)
{
	size_t len = strlen(name);
	struct hent *e = table_find(cfg, section_hash(name, len), 0, true, name, len);
	return e != NULL ? &cfg->secs[e->sec] : NULL;
}

const dl_setupcfg_option *dl_setupcfg_get(const dl_setupcfg *cfg, const char *section, const char *key)
{
	const struct section *s = find_section(cfg, section);
	if (s == NULL)
		return NULL;
	size_t klen = strlen(key);
	for (size_t i = 0; i < s->view_n; i++) {
		if (s->view[i].key_len == klen && memcmp(s->view[i].key, key, klen) == 0)
			return &s->view[i];
	}
	return NULL;
}

/* Does the option name `k` map to `want` under setuptools' renaming? */
static bool setuptools_name_eq(const char *k, size_t klen, const char *want, bool dashes, bool lower)
{
	size_t wlen = strlen(want);
	if (klen != wlen)
		return false;
	for (size_t i = 0; i < klen; i++) {
		int c = (unsigned char)k[i];
		if (dashes && c == '-')
			c = '_';
		if (lower)
			c = dl_tolower(c);
		if (c != (unsigned char)want[i])
			return false;
	}
	return true;
}

const dl_setupcfg_option *dl_setupcfg_setuptools_get(const dl_setupcfg *cfg, const char *section, const char *key)
{
	const struct section *s = find_section(cfg, section);
	if (s == NULL)
		return NULL;
	bool dashes = strcmp(section, "options.extras_require") != 0 && strcmp(section, "options.data_files") != 0;
	/* Python's str.lower() also folds non-ASCII letters; a key that only
	 * matches that way cannot name a field deeplock reads. */
	bool lower = strcmp(section, "metadata") == 0;
	const dl_setupcfg_option *found = NULL;
	for (size_t i = 0; i < s->view_n; i++) {
		if (setuptools_name_eq(s->view[i].key, s->view[i].key_len, key, dashes, lower))
			found = &s->view[i];
	}
	return found;
}

/* ------------------------------------------------------------------ */
/* Shared with setup.py: requirement splitting, dl_setup_args           */

static int push_str(const char ***items, size_t *count, size_t *cap, dl_arena *arena, const char *s, size_t len)
{
	if (*count == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		if (dl_realloc_array((void **)items, ncap, sizeof(**items)) < 0)
			return dl_error_oom();
		*cap = ncap;
	}
	char *copy = dl_arena_strndup(arena, s, len);
	if (copy == NULL)
		return dl_error_oom();
	(*items)[(*count)++] = copy;
	return 0;
}

/* One line of yield_lines after drop_comment: the slice [s, s+len). */
struct line_slice {
	const char *s;
	size_t len;
};

int dl_setup_split_requirements(const char ***items, size_t *count, size_t *cap, dl_arena *arena,
                                const char *const *strs, size_t n)
{
	/* Collect the lines of yield_lines + drop_comment, then join. */
	struct line_slice *lines = NULL;
	size_t nl = 0, capl = 0;
	int rc = 0;
	for (size_t k = 0; k < n; k++) {
		const char *p = strs[k], *end = strs[k] + strlen(strs[k]);
		while (p <= end) {
			const char *q = p;
			size_t br = 0;
			while (q < end && (br = linebreak_at(q, end)) == 0)
				q++;
			const char *ls = p;
			size_t llen = (size_t)(q - p);
			py_strip(&ls, &llen);
			if (llen > 0 && ls[0] != '#') {
				/* drop_comment: line.partition(' #')[0] */
				for (size_t i = 0; i + 1 < llen; i++) {
					if (ls[i] == ' ' && ls[i + 1] == '#') {
						llen = i;
						break;
					}
				}
				if (nl == capl) {
					size_t ncap = capl ? capl * 2 : 16;
					if (dl_realloc_array((void **)&lines, ncap, sizeof(*lines)) < 0) {
						rc = dl_error_oom();
						goto done;
					}
					capl = ncap;
				}
				lines[nl].s = ls;
				lines[nl].len = llen;
				nl++;
			}
			if (q >= end)
				break;
			p = q + (br ? br : 1);
		}
	}
	/* join_continuation: while item ends with '\', item = item[:-2].strip() + next */
	dl_buf b = DL_BUF_INIT;
	for (size_t i = 0; i < nl; i++) {
		dl_buf_reset(&b);
		if (dl_buf_put(&b, lines[i].s, lines[i].len) < 0) {
			rc = dl_error_oom();
			dl_buf_free(&b);
			goto done;
		}
		bool dropped = false;
		while (b.len > 0 && b.ptr[b.len - 1] == '\\') {
			if (i + 1 >= nl) {
				dropped = true; /* nothing to continue with: the item vanishes */
				break;
			}
			const char *s = b.ptr;
			size_t len = b.len >= 2 ? b.len - 2 : 0;
			py_strip(&s, &len);
			memmove(b.ptr, s, len);
			b.len = len;
			b.ptr[len] = '\0';
			i++;
			if (dl_buf_put(&b, lines[i].s, lines[i].len) < 0) {
				rc = dl_error_oom();
				dl_buf_free(&b);
				goto done;
			}
		}
		if (dropped)
			break;
		rc = push_str(items, count, cap, arena, dl_buf_cstr(&b), b.len);
		if (rc < 0) {
			dl_buf_free(&b);
			goto done;
		}
	}
	dl_buf_free(&b);
done:
	dl_free(lines);
	return rc;
}

void dl_setup_args_free(dl_setup_args *args)
{
	if (args == NULL)
		return;
	dl_arena_free(args->arena);
	dl_free(args);
}

/* ------------------------------------------------------------------ */
/* dl_setupcfg_extract                                                  */

struct extract {
	dl_setup_args *args;
	const dl_setupcfg *cfg;
	dl_setup_file_fn read_file;
	void *ctx;
};

static int set_dynamic(struct extract *X, dl_setup_value *v, unsigned long line, const char *fmt, ...)
    DL_PRINTF(4, 5);

static int set_dynamic(struct extract *X, dl_setup_value *v, unsigned long line, const char *fmt, ...)
{
	char msg[800];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	v->state = DL_SETUP_DYNAMIC;
	v->line = line;
	v->reason = dl_arena_strndup(X->args->arena, msg, strlen(msg));
	return v->reason != NULL ? 0 : dl_error_oom();
}

static bool starts_with(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	return len >= n && memcmp(s, prefix, n) == 0;
}

/* Normalise a file: path relative to the project root; false when it leaves
 * the root or is absolute. */
static bool relative_path(const char *s, size_t len, dl_buf *out)
{
	if (len == 0 || s[0] == '/' || s[0] == '\\' || (len >= 2 && s[1] == ':'))
		return false;
	size_t depth = 0;
	for (size_t i = 0; i < len;) {
		size_t j = i;
		while (j < len && s[j] != '/')
			j++;
		size_t clen = j - i;
		if (clen == 2 && s[i] == '.' && s[i + 1] == '.') {
			if (depth == 0)
				return false;
			/* drop the last component */
			while (out->len > 0 && out->ptr[out->len - 1] != '/')
				out->len--;
			if (out->len > 0)
				out->len--;
			out->ptr[out->len] = '\0';
			depth--;
		} else if (clen > 0 && !(clen == 1 && s[i] == '.')) {
			if (out->len > 0)
				dl_buf_putc(out, '/');
			dl_buf_put(out, s + i, clen);
			depth++;
		}
		i = j + 1;
	}
	return out->len > 0 && !out->failed;
}

/*
 * Resolve `file: a, b` into `out` the way expand.read_files does: each
 * existing file's text (UTF-8, universal newlines), joined by '\n'.
 * Returns 0, 1 when the field must be DYNAMIC (reason in *why, arena), or
 * a negative code.
 */
static int resolve_file(struct extract *X, const char *spec, size_t len, dl_buf *out, const char **why)
{
	char msg[600];
	if (X->read_file == NULL) {
		snprintf(msg, sizeof(msg), "it is read from 'file:%.200s', and no archive was given to read it from",
		         spec);
		goto dynamic;
	}
	bool first = true;
	for (size_t i = 0; i <= len;) {
		size_t j = i;
		while (j < len && spec[j] != ',')
			j++;
		const char *p = spec + i;
		size_t plen = j - i;
		py_strip(&p, &plen);
		if (plen == 0) {
			/* os.path.join(root, "") is the root, not a file: skipped */
			i = j + 1;
			continue;
		}
		dl_buf path = DL_BUF_INIT;
		if (!relative_path(p, plen, &path)) {
			bool oom = path.failed == DL_ENOMEM;
			dl_buf_free(&path);
			if (oom)
				return dl_error_oom();
			snprintf(msg, sizeof(msg), "'file: %.*s' names a path outside the project, which setuptools refuses",
			         (int)(plen > 200 ? 200 : plen), p);
			goto dynamic;
		}
		dl_buf content = DL_BUF_INIT;
		int rc = X->read_file(X->ctx, dl_buf_cstr(&path), &content);
		if (rc == DL_ENOTFOUND) {
			/* setuptools warns and skips a missing file */
			dl_buf_free(&content);
			dl_buf_free(&path);
			i = j + 1;
			continue;
		}
		if (rc < 0) {
			dl_buf_free(&content);
			if (rc == DL_ENOMEM) {
				dl_buf_free(&path);
				return rc;
			}
			snprintf(msg, sizeof(msg), "'file: %.200s' cannot be read: %.300s", dl_buf_cstr(&path),
			         dl_error_last()->message);
			dl_buf_free(&path);
			goto dynamic;
		}
		if (check_utf8(dl_buf_cstr(&content), content.len, dl_buf_cstr(&path)) < 0) {
			snprintf(msg, sizeof(msg), "'file: %.200s' is not UTF-8, so setuptools cannot read it",
			         dl_buf_cstr(&path));
			dl_buf_free(&content);
			dl_buf_free(&path);
			goto dynamic;
		}
		dl_buf_free(&path);
		if (!first)
			dl_buf_putc(out, '\n');
		first = false;
		/* universal newlines */
		const char *c = dl_buf_cstr(&content);
		for (size_t k = 0; k < content.len; k++) {
			if (c[k] == '\r') {
				dl_buf_putc(out, '\n');
				if (k + 1 < content.len && c[k + 1] == '\n')
					k++;
			} else {
				dl_buf_putc(out, c[k]);
			}
		}
		dl_buf_free(&content);
		if (out->failed)
			return dl_error_oom();
		i = j + 1;
	}
	return 0;
dynamic:
	*why = dl_arena_strndup(X->args->arena, msg, strlen(msg));
	return *why != NULL ? 1 : dl_error_oom();
}

/* setuptools' _parse_list(value, separator) into slices pushed as strings
 * onto a temporary array (strings borrowed from `value`'s copy). */
static int parse_list(const char ***tmp, size_t *n, size_t *cap, dl_arena *arena, const char *value, size_t len,
                      char sep, bool drop_hash)
{
	bool has_nl = memchr(value, '\n', len) != NULL;
	const char *p = value, *end = value + len;
	while (p <= end) {
		const char *q = p;
		size_t br = 0;
		if (has_nl) {
			while (q < end && (br = linebreak_at(q, end)) == 0)
				q++;
		} else {
			while (q < end && *q != sep)
				q++;
			br = 1;
		}
		const char *s = p;
		size_t slen = (size_t)(q - p);
		py_strip(&s, &slen);
		if (slen > 0 && !(drop_hash && s[0] == '#')) {
			int rc = push_str(tmp, n, cap, arena, s, slen);
			if (rc < 0)
				return rc;
		}
		if (q >= end)
			break;
		p = q + br;
	}
	return 0;
}

/* A list field: install_requires / setup_requires / one extra. */
static int extract_list(struct extract *X, const dl_setupcfg_option *o, bool allow_file, bool drop_hash,
                        const char *field, dl_setup_value *v, const char ***list_out, size_t *count_out)
{
	dl_arena *arena = X->args->arena;
	if (o->error != NULL)
		return set_dynamic(X, v, o->line, "%s: setuptools cannot read setup.cfg: %s", field, o->error);
	if (memchr(o->value, '\0', o->value_len) != NULL)
		return set_dynamic(X, v, o->line, "%s: the value in setup.cfg contains a NUL byte", field);
	const char *value = o->value;
	size_t len = o->value_len;
	dl_buf file = DL_BUF_INIT;
	if (allow_file && starts_with(value, len, "file:")) {
		const char *why = NULL;
		int rc = resolve_file(X, value + 5, len - 5, &file, &why);
		if (rc < 0) {
			dl_buf_free(&file);
			return rc;
		}
		if (rc == 1) {
			dl_buf_free(&file);
			return set_dynamic(X, v, o->line, "%s: %s", field, why);
		}
		value = dl_buf_cstr(&file);
		len = file.len;
	}
	const char **tmp = NULL;
	size_t n = 0, cap = 0;
	int rc = parse_list(&tmp, &n, &cap, arena, value, len, ';', drop_hash);
	const char **items = NULL;
	size_t count = 0, icap = 0;
	if (rc == 0)
		rc = dl_setup_split_requirements(&items, &count, &icap, arena, tmp, n);
	dl_free(tmp);
	dl_buf_free(&file);
	if (rc < 0) {
		dl_free(items);
		return rc;
	}
	/* Move the array into the arena so that dl_setup_args owns it. */
	const char **final = dl_arena_calloc(arena, count ? count : 1, sizeof(*final));
	if (final == NULL) {
		dl_free(items);
		return dl_error_oom();
	}
	if (count > 0)
		memcpy(final, items, count * sizeof(*final));
	dl_free(items);
	v->state = DL_SETUP_STATIC;
	v->line = o->line;
	*list_out = final;
	*count_out = count;
	return 0;
}

static int extract_string(struct extract *X, const char *section, const char *key, dl_setup_value *v)
{
	const dl_setupcfg_option *o = dl_setupcfg_setuptools_get(X->cfg, section, key);
	if (o == NULL)
		return 0;
	if (o->error != NULL)
		return set_dynamic(X, v, o->line, "%s: setuptools cannot read setup.cfg: %s", key, o->error);
	if (memchr(o->value, '\0', o->value_len) != NULL)
		return set_dynamic(X, v, o->line, "%s: the value in setup.cfg contains a NUL byte", key);
	dl_arena *arena = X->args->arena;
	if (strcmp(key, "version") == 0) {
		if (starts_with(o->value, o->value_len, "file:")) {
			dl_buf file = DL_BUF_INIT;
			const char *why = NULL;
			int rc = resolve_file(X, o->value + 5, o->value_len - 5, &file, &why);
			if (rc < 0) {
				dl_buf_free(&file);
				return rc;
			}
			if (rc == 1) {
				dl_buf_free(&file);
				return set_dynamic(X, v, o->line, "version: %s", why);
			}
			const char *s = dl_buf_cstr(&file);
			size_t len = file.len;
			py_strip(&s, &len);
			v->str = dl_arena_strndup(arena, s, len);
			dl_buf_free(&file);
			if (v->str == NULL)
				return dl_error_oom();
			v->state = DL_SETUP_STATIC;
			v->line = o->line;
			return 0;
		}
		if (starts_with(o->value, o->value_len, "attr:")) {
			return set_dynamic(X, v, o->line,
			                   "version is 'attr:%.200s' (setup.cfg line %lu), which reads an attribute of a module "
			                   "and may import the package",
			                   o->value + 5, o->line);
		}
	}
	v->str = dl_arena_strndup(arena, o->value, o->value_len);
	if (v->str == NULL)
		return dl_error_oom();
	v->state = DL_SETUP_STATIC;
	v->line = o->line;
	return 0;
}

static int extract_extras(struct extract *X)
{
	dl_setup_value *v = &X->args->extras_require;
	size_t sec = (size_t)-1;
	for (size_t i = 0; i < dl_setupcfg_section_count(X->cfg); i++) {
		size_t nlen = 0;
		const char *name = dl_setupcfg_section_name(X->cfg, i, &nlen);
		if (nlen == 22 && memcmp(name, "options.extras_require", 22) == 0)
			sec = i;
	}
	if (sec == (size_t)-1)
		return 0;
	size_t n = dl_setupcfg_option_count(X->cfg, sec);
	dl_setup_extra *extras = dl_arena_calloc(X->args->arena, n ? n : 1, sizeof(*extras));
	if (extras == NULL)
		return dl_error_oom();
	for (size_t i = 0; i < n; i++) {
		const dl_setupcfg_option *o = dl_setupcfg_option_at(X->cfg, sec, i);
		char field[200];
		snprintf(field, sizeof(field), "extras_require[%.150s]", o->key);
		if (memchr(o->key, '\0', o->key_len) != NULL)
			return set_dynamic(X, v, o->line, "extras_require has a key with a NUL byte (line %lu)", o->line);
		dl_setup_value one;
		memset(&one, 0, sizeof(one));
		const char **list = NULL;
		size_t count = 0;
		int rc = extract_list(X, o, true, true, field, &one, &list, &count);
		if (rc < 0)
			return rc;
		if (one.state == DL_SETUP_DYNAMIC) {
			*v = one;
			return 0;
		}
		extras[i].name = dl_arena_strndup(X->args->arena, o->key, o->key_len); /* owned by args */
		if (extras[i].name == NULL)
			return dl_error_oom();
		extras[i].reqs = list;
		extras[i].count = count;
		if (v->line == 0)
			v->line = o->line;
	}
	v->state = DL_SETUP_STATIC;
	v->extras = extras;
	v->extras_count = n;
	return 0;
}

int dl_setupcfg_extract(dl_setup_args **out, const dl_setupcfg *cfg, dl_setup_file_fn read_file, void *ctx)
{
	dl_setup_args *args = dl_calloc(1, sizeof(*args));
	if (args == NULL)
		return dl_error_oom();
	int rc = dl_arena_new(&args->arena);
	if (rc < 0) {
		dl_free(args);
		return rc;
	}
	struct extract X = {args, cfg, read_file, ctx};
	rc = extract_string(&X, "metadata", "name", &args->name);
	if (rc == 0)
		rc = extract_string(&X, "metadata", "version", &args->version);
	if (rc == 0)
		rc = extract_string(&X, "options", "python_requires", &args->python_requires);
	const dl_setupcfg_option *o;
	if (rc == 0 && (o = dl_setupcfg_setuptools_get(cfg, "options", "install_requires")) != NULL) {
		const char **list = NULL;
		size_t count = 0;
		rc = extract_list(&X, o, true, true, "install_requires", &args->install_requires, &list, &count);
		args->install_requires.list = list;
		args->install_requires.count = count;
	}
	if (rc == 0 && (o = dl_setupcfg_setuptools_get(cfg, "options", "setup_requires")) != NULL) {
		const char **list = NULL;
		size_t count = 0;
		rc = extract_list(&X, o, false, false, "setup_requires", &args->setup_requires, &list, &count);
		args->setup_requires.list = list;
		args->setup_requires.count = count;
	}
	if (rc == 0)
		rc = extract_extras(&X);
	if (rc < 0) {
		dl_setup_args_free(args);
		return rc;
	}
	*out = args;
	return 0;
}
