/*
 * setuppy.c - what a setup.py passes to setup(), found without running it.
 *
 * Three stages over one token array:
 *
 * 1. A Python 3 tokenizer: names, numbers, operators, strings of every kind
 *    (prefixes r/b/u/f/t in any case and order Python allows, single and
 *    triple quotes, backslash escapes and line continuations inside, and
 *    f-strings with nested replacement fields and nested strings as PEP 701
 *    allows), comments, backslash line continuations, bracket nesting
 *    (newlines inside brackets are not line ends) and INDENT/DEDENT from
 *    the indentation of logical lines.  It checks what CPython's tokenizer
 *    checks (unterminated strings, unbalanced brackets, inconsistent
 *    dedents, NUL bytes) and reports the position.
 *
 * 2. A statement walk over logical lines that keeps a stack of the blocks
 *    it is in (if/for/while/try/with/def/class/match...).  At module scope
 *    it records every binding of a name: `x = ...` and `x: T = ...` (an
 *    assignment whose value can be evaluated), `x += ...`, and everything
 *    else that binds (imports, for targets, unpacking, with/except `as`,
 *    def, class, del, walrus) as an opaque binding; bindings inside
 *    if/for/while/try/match blocks are conditional.  `with` bodies and the
 *    `if __name__ == "__main__":` body run exactly once and count as
 *    straight-line code.  Anywhere in the file it records uses that may
 *    change a value behind a name (x.attr, x[...], x passed to a call),
 *    `global x`, star imports and calls to exec/eval/globals/locals/vars/
 *    setattr (which can rebind any name), and the setup() calls.
 *
 * 3. A literal evaluator for the setup() keyword arguments: strings
 *    (implicit concatenation, all escapes but \N{...}), lists, tuples,
 *    dicts, dict(k=v) calls, None/True/False, `+` of strings or of lists,
 *    and names.  A name is resolved at the position where it is used by
 *    replaying the module-level bindings before that position: the last
 *    plain assignment gives the value (evaluated where it stands), later
 *    `+=` extend it, and anything conditional or opaque, a later mutation,
 *    or an exec-like call after the assignment makes it unknowable.  Every
 *    failure becomes a sentence naming the construct and its line.
 *
 * Nothing here imports, compiles or runs Python.  Work is bounded: input
 * size, bracket depth (200, as CPython), indentation depth (100), the number
 * of names followed (8 deep) and of values built (100000 per field).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "deeplock/sdist.h"

#define MAX_BRACKETS 200
#define MAX_INDENT 100
#define MAX_FSTRING_NEST 50
#define MAX_NAME_DEPTH 8
#define MAX_VALUES 100000

enum tok_kind { TK_NAME = 1, TK_NUMBER, TK_STRING, TK_OP, TK_NEWLINE, TK_INDENT, TK_DEDENT, TK_END };

enum { S_RAW = 1, S_BYTES = 2, S_FSTR = 4 };

struct tok {
	uint8_t kind;
	uint8_t sflags;
	uint8_t prefix; /* string prefix length */
	uint8_t quote;  /* 1 or 3 */
	uint32_t line;
	uint32_t col;
	const char *s;
	size_t len;
};

enum bkind { B_ASSIGN = 1, B_AUG, B_OTHER };

struct binding {
	const char *name; /* NULL: binds every name (star import, exec...) */
	size_t name_len;
	int kind;
	size_t pos;          /* token index of the statement */
	size_t vstart, vend; /* value tokens of ASSIGN / AUG */
	unsigned long line;
	const char *desc; /* OTHER or conditional: the clause, e.g. "is imported from os at line 3" */
	bool cond;
	bool in_function; /* only for NULL-name entries */
};

struct use {
	const char *name;
	size_t name_len;
	size_t pos;
	unsigned long line;
	const char *desc; /* "deps.append" */
	bool in_function;
	size_t call_paren; /* the call it is an argument of, or SIZE_MAX */
};

struct block {
	int kind; /* enum blk */
	unsigned long line;
	bool main_guard;
	const char *name; /* def/class name */
	size_t name_len;
};

enum blk {
	BK_IF = 1, BK_ELIF, BK_ELSE, BK_FOR, BK_WHILE, BK_TRY, BK_EXCEPT, BK_FINALLY, BK_WITH, BK_DEF, BK_CLASS,
	BK_MATCH, BK_CASE, BK_OTHER
};

struct call {
	size_t open, close; /* token indices of '(' and ')' */
	size_t pos;         /* statement start */
	unsigned long line;
	const char *context; /* NULL, or why the call is not plain module-level code */
	const char *origin;  /* NULL when setup comes from setuptools/distutils; else a clause */
};

struct alias {
	const char *name;
	size_t len;
	const char *module; /* arena: where `setup` came from */
	bool is_module;     /* `import setuptools as st`: st.setup() */
};

struct an {
	const char *src;
	size_t len;
	const char *source;
	dl_arena *arena; /* analysis scratch: freed at the end */
	struct tok *toks;
	size_t ntoks, captoks;
	struct binding *binds;
	size_t nbinds, capbinds;
	struct use *uses;
	size_t nuses, capuses;
	struct call *calls;
	size_t ncalls, capcalls;
	struct alias *aliases;
	size_t naliases, capaliases;
	struct binding *globals; /* `global x` declarations (name, line) */
	size_t nglobals, capglobals;
	const char *own_setup; /* "setup.py defines its own setup() at line N" */
	struct block stack[MAX_INDENT + 2];
	size_t depth;
	struct block pending;
	bool has_pending;
	size_t values; /* evaluation budget */
};

static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 32;
	if (dl_realloc_array(arr, ncap, size) < 0)
		return dl_error_oom();
	*cap = ncap;
	return 0;
}

static const char *afmt(struct an *A, const char *fmt, ...) DL_PRINTF(2, 3);

/* Format into the analysis arena; NULL on OOM. */
static const char *afmt(struct an *A, const char *fmt, ...)
{
	char buf[700];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return dl_arena_strndup(A->arena, buf, strlen(buf));
}

/* ------------------------------------------------------------------ */
/* Tokenizer                                                            */

struct lexer {
	struct an *A;
	const char *p, *end;
	unsigned long line;
	const char *line_start;
	const char *col_pos; /* incremental column counting */
	unsigned long col;
	int brackets[MAX_BRACKETS];
	unsigned long bline[MAX_BRACKETS], bcol[MAX_BRACKETS];
	size_t nb;
	int indents[MAX_INDENT + 1];
	size_t ni;
	bool line_has_tokens;
};

static unsigned long col_of(struct lexer *L, const char *p)
{
	if (L->col_pos == NULL || L->col_pos < L->line_start || p < L->col_pos) {
		L->col_pos = L->line_start;
		L->col = 1;
	}
	for (const char *q = L->col_pos; q < p; q++) {
		if (((unsigned char)*q & 0xc0) != 0x80)
			L->col++;
	}
	L->col_pos = p;
	return L->col;
}

static int lex_error(struct lexer *L, const char *at, const char *what)
{
	unsigned long col = col_of(L, at);
	return dl_error_set(DL_EPARSE, "%s:%lu:%lu: %s", L->A->source, L->line, col, what);
}

static int lex_error_at(struct lexer *L, unsigned long line, unsigned long col, const char *what)
{
	return dl_error_set(DL_EPARSE, "%s:%lu:%lu: %s", L->A->source, line, col, what);
}

static int emit(struct lexer *L, int kind, const char *s, size_t len, unsigned long line, unsigned long col)
{
	struct an *A = L->A;
	int rc = grow((void **)&A->toks, &A->captoks, A->ntoks, sizeof(*A->toks));
	if (rc < 0)
		return rc;
	struct tok *t = &A->toks[A->ntoks++];
	memset(t, 0, sizeof(*t));
	t->kind = (uint8_t)kind;
	t->s = s;
	t->len = len;
	t->line = (uint32_t)(line > UINT32_MAX ? UINT32_MAX : line);
	t->col = (uint32_t)(col > UINT32_MAX ? UINT32_MAX : col);
	return 0;
}

static bool is_name_start(unsigned char c)
{
	return dl_isalpha(c) || c == '_' || c >= 0x80;
}

static bool is_name_char(unsigned char c)
{
	return dl_isalnum(c) || c == '_' || c >= 0x80;
}

/* Consume a line break at L->p if there is one; returns true when it did. */
static bool eat_newline(struct lexer *L)
{
	if (L->p < L->end && *L->p == '\r') {
		L->p++;
		if (L->p < L->end && *L->p == '\n')
			L->p++;
	} else if (L->p < L->end && *L->p == '\n') {
		L->p++;
	} else {
		return false;
	}
	L->line++;
	L->line_start = L->p;
	return true;
}

/* Which string prefix is [s, s+n)?  Returns the S_ flags | 0x80, or 0 when
 * it is not a valid prefix. */
static int string_prefix(const char *s, size_t n)
{
	if (n == 0 || n > 2)
		return n == 0 ? 0x80 : 0;
	int flags = 0;
	bool r = false, b = false, f = false, u = false;
	for (size_t i = 0; i < n; i++) {
		int c = dl_tolower((unsigned char)s[i]);
		if (c == 'r' && !r)
			r = true;
		else if (c == 'b' && !b)
			b = true;
		else if ((c == 'f' || c == 't') && !f)
			f = true;
		else if (c == 'u' && !u)
			u = true;
		else
			return 0;
	}
	if (u && n > 1)
		return 0;
	if (b && f)
		return 0;
	if (r)
		flags |= S_RAW;
	if (b)
		flags |= S_BYTES;
	if (f)
		flags |= S_FSTR;
	return flags | 0x80;
}

static int scan_string(struct lexer *L, int flags, int nest);

/* Inside an f-string replacement field: skip to its closing '}'. */
static int scan_fstring_field(struct lexer *L, int nest)
{
	int depth = 1;
	const char *start = L->p - 1;
	while (depth > 0) {
		if (L->p >= L->end)
			return lex_error(L, start, "unterminated f-string replacement field");
		char c = *L->p;
		if (c == '{' || c == '(' || c == '[') {
			depth++;
			L->p++;
		} else if (c == '}' || c == ')' || c == ']') {
			depth--;
			L->p++;
		} else if (c == '\'' || c == '"') {
			int rc = scan_string(L, 0, nest + 1);
			if (rc < 0)
				return rc;
		} else if (c == '\r' || c == '\n') {
			eat_newline(L);
		} else {
			L->p++;
		}
	}
	return 0;
}

/* Scan a string whose opening quote is at L->p; leaves L->p after it. */
static int scan_string(struct lexer *L, int flags, int nest)
{
	if (nest > MAX_FSTRING_NEST)
		return dl_error_set(DL_ELIMIT, "%s:%lu: strings nested more than %d deep", L->A->source, L->line,
		                    MAX_FSTRING_NEST);
	const char *start = L->p;
	unsigned long sline = L->line;
	unsigned long scol = col_of(L, start);
	char q = *L->p;
	bool triple = L->p + 2 < L->end && L->p[1] == q && L->p[2] == q;
	L->p += triple ? 3 : 1;
	for (;;) {
		if (L->p >= L->end)
			return lex_error_at(L, sline, scol,
			                    triple ? "unterminated triple-quoted string literal" : "unterminated string literal");
		char c = *L->p;
		if (c == '\\') {
			L->p++;
			if (L->p < L->end && !eat_newline(L))
				L->p++;
			continue;
		}
		if (c == '\r' || c == '\n') {
			if (!triple)
				return lex_error_at(L, sline, scol, "unterminated string literal");
			eat_newline(L);
			continue;
		}
		if (c == q) {
			if (!triple) {
				L->p++;
				return 0;
			}
			if (L->p + 2 < L->end && L->p[1] == q && L->p[2] == q) {
				L->p += 3;
				return 0;
			}
			L->p++;
			continue;
		}
		if ((flags & S_FSTR) && c == '{') {
			if (L->p + 1 < L->end && L->p[1] == '{') {
				L->p += 2;
				continue;
			}
			L->p++;
			int rc = scan_fstring_field(L, nest);
			if (rc < 0)
				return rc;
			continue;
		}
		L->p++;
	}
}

static const char *const ops3[] = {"**=", "//=", ">>=", "<<=", "...", "!=="};
static const char *const ops2[] = {"**", "//", "==", "!=", "<=", ">=", "->", ":=", "+=", "-=", "*=", "/=",
                                   "%=", "&=", "|=", "^=", "@=", "<<", ">>"};

static size_t op_len(const char *p, const char *end)
{
	size_t avail = (size_t)(end - p);
	for (size_t i = 0; i < sizeof(ops3) / sizeof(ops3[0]) - 1; i++) {
		if (avail >= 3 && memcmp(p, ops3[i], 3) == 0)
			return 3;
	}
	for (size_t i = 0; i < sizeof(ops2) / sizeof(ops2[0]); i++) {
		if (avail >= 2 && memcmp(p, ops2[i], 2) == 0)
			return 2;
	}
	if (strchr("()[]{}:,;.+-*/|&<>=%~^@!", *p) != NULL && *p != '\0')
		return 1;
	return 0;
}

/* Measure the indentation of a new logical line; returns false when the
 * line is blank or a comment only (and consumes it). */
static int indentation(struct lexer *L, bool *blank, unsigned long *width)
{
	unsigned long w = 0;
	while (L->p < L->end) {
		char c = *L->p;
		if (c == ' ')
			w++;
		else if (c == '\t')
			w = (w / 8 + 1) * 8;
		else if (c == '\f')
			w = 0;
		else
			break;
		L->p++;
	}
	*width = w;
	*blank = false;
	if (L->p >= L->end) {
		*blank = true;
		return 0;
	}
	if (*L->p == '#') {
		while (L->p < L->end && *L->p != '\n' && *L->p != '\r')
			L->p++;
		*blank = true;
		eat_newline(L);
		return 0;
	}
	if (*L->p == '\n' || *L->p == '\r') {
		*blank = true;
		eat_newline(L);
		return 0;
	}
	if (*L->p == '\\') {
		/* a continuation right after the indentation: the logical line
		 * continues on the next physical line */
		return 0;
	}
	return 0;
}

static int tokenize(struct an *A)
{
	struct lexer L;
	memset(&L, 0, sizeof(L));
	L.A = A;
	L.p = A->src;
	L.end = A->src + A->len;
	L.line = 1;
	L.line_start = L.p;
	L.indents[0] = 0;
	L.ni = 1;
	if (memchr(A->src, '\0', A->len) != NULL) {
		const char *z = memchr(A->src, '\0', A->len);
		for (const char *q = A->src; q < z; q++) {
			if (*q == '\n' || (*q == '\r' && !(q + 1 < z && q[1] == '\n'))) {
				L.line++;
				L.line_start = q + 1;
			}
		}
		return lex_error(&L, z, "source code cannot contain null bytes");
	}
	/* A UTF-8 byte order mark is allowed at the very start. */
	if (A->len >= 3 && memcmp(A->src, "\xef\xbb\xbf", 3) == 0) {
		L.p += 3;
		L.line_start = L.p;
	}
	bool at_line_start = true;
	int rc;
	for (;;) {
		if (at_line_start && L.nb == 0) {
			bool blank;
			unsigned long width;
			rc = indentation(&L, &blank, &width);
			if (rc < 0)
				return rc;
			if (blank) {
				if (L.p >= L.end)
					break;
				continue;
			}
			at_line_start = false;
			unsigned long col = col_of(&L, L.p);
			if (width > (unsigned long)L.indents[L.ni - 1]) {
				if (L.ni > MAX_INDENT)
					return dl_error_set(DL_ELIMIT, "%s:%lu:%lu: more than %d levels of indentation", A->source,
					                    L.line, col, MAX_INDENT);
				L.indents[L.ni++] = (int)width;
				rc = emit(&L, TK_INDENT, L.p, 0, L.line, col);
				if (rc < 0)
					return rc;
			} else {
				while (width < (unsigned long)L.indents[L.ni - 1]) {
					L.ni--;
					rc = emit(&L, TK_DEDENT, L.p, 0, L.line, col);
					if (rc < 0)
						return rc;
				}
				if (width != (unsigned long)L.indents[L.ni - 1])
					return lex_error(&L, L.p, "unindent does not match any outer indentation level");
			}
		}
		at_line_start = false;
		if (L.p >= L.end)
			break;
		unsigned char c = (unsigned char)*L.p;
		if (c == ' ' || c == '\t' || c == '\f') {
			L.p++;
			continue;
		}
		if (c == '#') {
			while (L.p < L.end && *L.p != '\n' && *L.p != '\r')
				L.p++;
			continue;
		}
		if (c == '\\') {
			const char *bs = L.p;
			L.p++;
			if (L.p >= L.end)
				return lex_error(&L, bs, "unexpected end of file after a line continuation");
			if (!eat_newline(&L))
				return lex_error(&L, bs, "unexpected character after a line continuation character");
			continue;
		}
		if (c == '\n' || c == '\r') {
			if (L.nb == 0 && L.line_has_tokens) {
				rc = emit(&L, TK_NEWLINE, L.p, 0, L.line, col_of(&L, L.p));
				if (rc < 0)
					return rc;
				L.line_has_tokens = false;
			}
			eat_newline(&L);
			at_line_start = L.nb == 0;
			continue;
		}
		const char *start = L.p;
		unsigned long line = L.line, col = col_of(&L, start);
		L.line_has_tokens = true;
		if (is_name_start(c)) {
			while (L.p < L.end && is_name_char((unsigned char)*L.p))
				L.p++;
			int pf;
			if (L.p < L.end && (*L.p == '\'' || *L.p == '"') && (pf = string_prefix(start, (size_t)(L.p - start))) != 0) {
				rc = scan_string(&L, pf & 0x7f, 0);
				if (rc < 0)
					return rc;
				rc = emit(&L, TK_STRING, start, (size_t)(L.p - start), line, col);
				if (rc < 0)
					return rc;
				struct tok *t = &A->toks[A->ntoks - 1];
				t->sflags = (uint8_t)(pf & 0x7f);
				/* prefix and quote length from the text */
				size_t k = 0;
				while (start[k] != '\'' && start[k] != '"')
					k++;
				t->prefix = (uint8_t)k;
				t->quote = (k + 2 < t->len && start[k + 1] == start[k] && start[k + 2] == start[k] && t->len >= k + 6)
				               ? 3
				               : 1;
				continue;
			}
			rc = emit(&L, TK_NAME, start, (size_t)(L.p - start), line, col);
			if (rc < 0)
				return rc;
			continue;
		}
		if (c == '\'' || c == '"') {
			rc = scan_string(&L, 0, 0);
			if (rc < 0)
				return rc;
			rc = emit(&L, TK_STRING, start, (size_t)(L.p - start), line, col);
			if (rc < 0)
				return rc;
			struct tok *t = &A->toks[A->ntoks - 1];
			t->quote = (t->len >= 6 && start[1] == start[0] && start[2] == start[0]) ? 3 : 1;
			continue;
		}
		if (dl_isdigit(c) || (c == '.' && L.p + 1 < L.end && dl_isdigit((unsigned char)L.p[1]))) {
			bool hex = c == '0' && L.p + 1 < L.end && (L.p[1] == 'x' || L.p[1] == 'X');
			while (L.p < L.end) {
				unsigned char d = (unsigned char)*L.p;
				if (dl_isalnum(d) || d == '_' || d == '.') {
					L.p++;
				} else if ((d == '+' || d == '-') && !hex && (L.p[-1] == 'e' || L.p[-1] == 'E')) {
					L.p++;
				} else {
					break;
				}
			}
			rc = emit(&L, TK_NUMBER, start, (size_t)(L.p - start), line, col);
			if (rc < 0)
				return rc;
			continue;
		}
		size_t n = op_len(L.p, L.end);
		if (n == 0) {
			char what[80];
			snprintf(what, sizeof(what), "invalid character '%c' (U+%04X)", c >= 0x20 && c < 0x7f ? c : '?', c);
			return lex_error(&L, L.p, what);
		}
		if (n == 1 && (c == '(' || c == '[' || c == '{')) {
			if (L.nb >= MAX_BRACKETS)
				return dl_error_set(DL_ELIMIT, "%s:%lu:%lu: brackets nested more than %d deep", A->source, line, col,
				                    MAX_BRACKETS);
			L.brackets[L.nb] = c;
			L.bline[L.nb] = line;
			L.bcol[L.nb] = col;
			L.nb++;
		} else if (n == 1 && (c == ')' || c == ']' || c == '}')) {
			int want = c == ')' ? '(' : c == ']' ? '[' : '{';
			if (L.nb == 0) {
				char what[40];
				snprintf(what, sizeof(what), "unmatched '%c'", c);
				return lex_error(&L, L.p, what);
			}
			if (L.brackets[L.nb - 1] != want) {
				char what[120];
				snprintf(what, sizeof(what), "closing bracket '%c' does not match the '%c' opened at line %lu", c,
				         L.brackets[L.nb - 1], L.bline[L.nb - 1]);
				return lex_error(&L, L.p, what);
			}
			L.nb--;
		}
		L.p += n;
		rc = emit(&L, TK_OP, start, n, line, col);
		if (rc < 0)
			return rc;
	}
	if (L.nb > 0) {
		char what[60];
		snprintf(what, sizeof(what), "'%c' was never closed", L.brackets[L.nb - 1]);
		return lex_error_at(&L, L.bline[L.nb - 1], L.bcol[L.nb - 1], what);
	}
	if (L.line_has_tokens) {
		rc = emit(&L, TK_NEWLINE, L.end, 0, L.line, col_of(&L, L.end));
		if (rc < 0)
			return rc;
	}
	while (L.ni > 1) {
		L.ni--;
		rc = emit(&L, TK_DEDENT, L.end, 0, L.line, 1);
		if (rc < 0)
			return rc;
	}
	return emit(&L, TK_END, L.end, 0, L.line, 1);
}

/* ------------------------------------------------------------------ */
/* Token helpers                                                        */

static bool tok_is(const struct tok *t, int kind, const char *text)
{
	size_t n = strlen(text);
	return t->kind == kind && t->len == n && memcmp(t->s, text, n) == 0;
}

static bool is_op(const struct tok *t, const char *text)
{
	return tok_is(t, TK_OP, text);
}

static bool is_kw(const struct tok *t, const char *text)
{
	return tok_is(t, TK_NAME, text);
}

static const char *const keywords[] = {"False", "None", "True", "and", "as", "assert", "async", "await",
                                       "break", "class", "continue", "def", "del", "elif", "else", "except",
                                       "finally", "for", "from", "global", "if", "import", "in", "is",
                                       "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try",
                                       "while", "with", "yield"};

static bool is_keyword(const struct tok *t)
{
	if (t->kind != TK_NAME)
		return false;
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
		if (is_kw(t, keywords[i]))
			return true;
	}
	return false;
}

static bool is_open(const struct tok *t)
{
	return t->kind == TK_OP && t->len == 1 && (t->s[0] == '(' || t->s[0] == '[' || t->s[0] == '{');
}

static bool is_close(const struct tok *t)
{
	return t->kind == TK_OP && t->len == 1 && (t->s[0] == ')' || t->s[0] == ']' || t->s[0] == '}');
}

/* Index of the bracket closing the one at `open` (tokens are balanced). */
static size_t match_bracket(const struct an *A, size_t open)
{
	int depth = 0;
	for (size_t i = open; i < A->ntoks; i++) {
		if (is_open(&A->toks[i]))
			depth++;
		else if (is_close(&A->toks[i]) && --depth == 0)
			return i;
	}
	return A->ntoks - 1;
}

static bool is_aug_op(const struct tok *t)
{
	static const char *const aug[] = {"+=", "-=", "*=", "/=", "//=", "%=", "**=", ">>=", "<<=", "&=", "|=", "^=", "@="};
	for (size_t i = 0; i < sizeof(aug) / sizeof(aug[0]); i++) {
		if (is_op(t, aug[i]))
			return true;
	}
	return false;
}

/* Decode the string token `t` into `out`.  Returns 0, 1 when it is not a
 * plain str (*why gets a clause), or a negative code. */
static int decode_string(struct an *A, const struct tok *t, dl_buf *out, const char **why)
{
	const char *body = t->s + t->prefix + t->quote;
	size_t blen = t->len - t->prefix - 2u * t->quote;
	if (t->sflags & S_BYTES) {
		*why = afmt(A, "a bytes literal at line %u", t->line);
		return *why ? 1 : dl_error_oom();
	}
	bool raw = (t->sflags & S_RAW) != 0;
	bool fstr = (t->sflags & S_FSTR) != 0;
	for (size_t i = 0; i < blen; i++) {
		char c = body[i];
		if (fstr && (c == '{' || c == '}')) {
			if (i + 1 < blen && body[i + 1] == c) {
				dl_buf_putc(out, c);
				i++;
				continue;
			}
			*why = afmt(A, "an f-string with replacement fields at line %u", t->line);
			return *why ? 1 : dl_error_oom();
		}
		if (c == '\r') {
			/* newlines inside a string are normalised like source lines */
			dl_buf_putc(out, '\n');
			if (i + 1 < blen && body[i + 1] == '\n')
				i++;
			continue;
		}
		if (c != '\\' || i + 1 >= blen) {
			dl_buf_putc(out, c);
			continue;
		}
		char e = body[i + 1];
		if (raw) {
			/* A raw string keeps its backslashes. */
			dl_buf_putc(out, c);
			continue;
		}
		i++;
		switch (e) {
		case '\n': break;
		case '\r':
			if (i + 1 < blen && body[i + 1] == '\n')
				i++;
			break;
		case '\\': dl_buf_putc(out, '\\'); break;
		case '\'': dl_buf_putc(out, '\''); break;
		case '"': dl_buf_putc(out, '"'); break;
		case 'a': dl_buf_putc(out, '\a'); break;
		case 'b': dl_buf_putc(out, '\b'); break;
		case 'f': dl_buf_putc(out, '\f'); break;
		case 'n': dl_buf_putc(out, '\n'); break;
		case 'r': dl_buf_putc(out, '\r'); break;
		case 't': dl_buf_putc(out, '\t'); break;
		case 'v': dl_buf_putc(out, '\v'); break;
		case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
			unsigned v = 0;
			size_t k = 0;
			while (k < 3 && i < blen && body[i] >= '0' && body[i] <= '7') {
				v = v * 8 + (unsigned)(body[i] - '0');
				i++;
				k++;
			}
			i--;
			if (v > 0x7f) {
				/* encode as UTF-8 (the code point, not a byte) */
				dl_buf_putc(out, (char)(0xc0 | (v >> 6)));
				dl_buf_putc(out, (char)(0x80 | (v & 0x3f)));
			} else {
				dl_buf_putc(out, (char)v);
			}
			break;
		}
		case 'x':
		case 'u':
		case 'U': {
			size_t need = e == 'x' ? 2 : e == 'u' ? 4 : 8;
			uint32_t v = 0;
			for (size_t k = 0; k < need; k++) {
				size_t at = i + 1 + k;
				if (at >= blen || !dl_isxdigit((unsigned char)body[at])) {
					*why = afmt(A, "a string with an invalid \\%c escape at line %u", e, t->line);
					return *why ? 1 : dl_error_oom();
				}
				char h = body[at];
				v = v * 16 + (uint32_t)(dl_isdigit((unsigned char)h) ? h - '0' : dl_tolower((unsigned char)h) - 'a' + 10);
			}
			i += need;
			if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
				*why = afmt(A, "a string with a surrogate or out-of-range \\%c escape at line %u", e, t->line);
				return *why ? 1 : dl_error_oom();
			}
			char enc[4];
			size_t n;
			if (v < 0x80) {
				enc[0] = (char)v;
				n = 1;
			} else if (v < 0x800) {
				enc[0] = (char)(0xc0 | (v >> 6));
				enc[1] = (char)(0x80 | (v & 0x3f));
				n = 2;
			} else if (v < 0x10000) {
				enc[0] = (char)(0xe0 | (v >> 12));
				enc[1] = (char)(0x80 | ((v >> 6) & 0x3f));
				enc[2] = (char)(0x80 | (v & 0x3f));
				n = 3;
			} else {
				enc[0] = (char)(0xf0 | (v >> 18));
				enc[1] = (char)(0x80 | ((v >> 12) & 0x3f));
				enc[2] = (char)(0x80 | ((v >> 6) & 0x3f));
				enc[3] = (char)(0x80 | (v & 0x3f));
				n = 4;
			}
			dl_buf_put(out, enc, n);
			break;
		}
		case 'N':
			*why = afmt(A, "a string with a \\N{...} escape at line %u", t->line);
			return *why ? 1 : dl_error_oom();
		default:
			/* an unknown escape keeps its backslash */
			dl_buf_putc(out, '\\');
			dl_buf_putc(out, e);
			break;
		}
	}
	if (out->failed)
		return out->failed == DL_ENOMEM ? dl_error_oom() : out->failed;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Statement walk                                                       */

static bool in_function(const struct an *A)
{
	for (size_t i = 0; i < A->depth; i++) {
		if (A->stack[i].kind == BK_DEF || A->stack[i].kind == BK_CLASS)
			return true;
	}
	return false;
}

static const char *blk_name(int kind)
{
	switch (kind) {
	case BK_IF: return "if";
	case BK_ELIF: return "elif";
	case BK_ELSE: return "else";
	case BK_FOR: return "for";
	case BK_WHILE: return "while";
	case BK_TRY: return "try";
	case BK_EXCEPT: return "except";
	case BK_FINALLY: return "finally";
	case BK_WITH: return "with";
	case BK_DEF: return "def";
	case BK_CLASS: return "class";
	case BK_MATCH: return "match";
	case BK_CASE: return "case";
	default: return "indented";
	}
}

/* The outermost block that makes module-level code conditional, or NULL. */
static const struct block *cond_block(const struct an *A)
{
	for (size_t i = 0; i < A->depth; i++) {
		const struct block *b = &A->stack[i];
		if (b->kind == BK_DEF || b->kind == BK_CLASS)
			return NULL;
		if (b->kind == BK_WITH || (b->kind == BK_IF && b->main_guard))
			continue;
		return b;
	}
	return NULL;
}

static const struct block *function_block(const struct an *A)
{
	for (size_t i = 0; i < A->depth; i++) {
		if (A->stack[i].kind == BK_DEF || A->stack[i].kind == BK_CLASS)
			return &A->stack[i];
	}
	return NULL;
}

static int add_binding(struct an *A, const struct tok *name, int kind, size_t pos, size_t vs, size_t ve,
                       const char *desc)
{
	if (in_function(A) && name != NULL)
		return 0; /* local to the function */
	int rc = grow((void **)&A->binds, &A->capbinds, A->nbinds, sizeof(*A->binds));
	if (rc < 0)
		return rc;
	struct binding *b = &A->binds[A->nbinds++];
	memset(b, 0, sizeof(*b));
	b->name = name != NULL ? name->s : NULL;
	b->name_len = name != NULL ? name->len : 0;
	b->kind = kind;
	b->pos = pos;
	b->vstart = vs;
	b->vend = ve;
	b->line = name != NULL ? name->line : A->toks[pos].line;
	b->desc = desc;
	b->in_function = in_function(A);
	const struct block *cb = cond_block(A);
	if (cb != NULL && name != NULL) {
		b->cond = true;
		b->desc = afmt(A, "is assigned inside %s '%s' block at line %lu",
		               cb->kind == BK_IF || cb->kind == BK_ELIF || cb->kind == BK_ELSE ? "an" : "a", blk_name(cb->kind),
		               cb->line);
		if (b->desc == NULL)
			return dl_error_oom();
	}
	if (kind == B_OTHER && b->desc == NULL)
		return dl_error_oom();
	return 0;
}

static int add_other(struct an *A, const struct tok *name, size_t pos, const char *fmt_what)
{
	const char *desc = afmt(A, "%s at line %u", fmt_what, name->line);
	if (desc == NULL)
		return dl_error_oom();
	return add_binding(A, name, B_OTHER, pos, 0, 0, desc);
}

/* Record uses of names in [s, e) that may change the value behind them, and
 * exec-like calls. */
static int scan_uses(struct an *A, size_t s, size_t e)
{
	size_t call_stack[MAX_BRACKETS + 1];
	bool is_call[MAX_BRACKETS + 1];
	size_t nb = 0;
	bool fn = in_function(A);
	for (size_t i = s; i < e; i++) {
		const struct tok *t = &A->toks[i];
		const struct tok *prev = i > s ? &A->toks[i - 1] : NULL;
		if (is_open(t)) {
			if (nb <= MAX_BRACKETS) {
				bool call = t->s[0] == '(' && prev != NULL &&
				            ((prev->kind == TK_NAME && !is_keyword(prev)) || is_close(prev) || prev->kind == TK_STRING);
				call_stack[nb] = i;
				is_call[nb] = call;
				nb++;
			}
			continue;
		}
		if (is_close(t)) {
			if (nb > 0)
				nb--;
			continue;
		}
		if (t->kind != TK_NAME || is_keyword(t))
			continue;
		if (prev != NULL && (is_op(prev, ".") || is_kw(prev, "def") || is_kw(prev, "class")))
			continue;
		const struct tok *next = &A->toks[i + 1];
		/* exec-like calls can rebind any name */
		static const char *const rebinders[] = {"exec", "eval", "globals", "locals", "vars", "setattr"};
		for (size_t k = 0; k < sizeof(rebinders) / sizeof(rebinders[0]); k++) {
			if (is_kw(t, rebinders[k]) && is_op(next, "(")) {
				const char *desc = afmt(A, "could be rebound by the %s() call at line %u", rebinders[k], t->line);
				if (desc == NULL)
					return dl_error_oom();
				int rc = grow((void **)&A->binds, &A->capbinds, A->nbinds, sizeof(*A->binds));
				if (rc < 0)
					return rc;
				struct binding *b = &A->binds[A->nbinds++];
				memset(b, 0, sizeof(*b));
				b->kind = B_OTHER;
				b->pos = i;
				b->line = t->line;
				b->desc = desc;
				b->in_function = fn;
			}
		}
		const char *desc = NULL;
		size_t call_paren = SIZE_MAX;
		if (is_op(next, ".") && A->toks[i + 2].kind == TK_NAME) {
			desc = afmt(A, "%.*s.%.*s", (int)t->len, t->s, (int)A->toks[i + 2].len, A->toks[i + 2].s);
		} else if (is_op(next, "[")) {
			desc = afmt(A, "%.*s[...]", (int)t->len, t->s);
		} else if (nb > 0 && is_call[nb - 1] && prev != NULL &&
		           (is_op(prev, "(") || is_op(prev, ",") || is_op(prev, "*") || is_op(prev, "**") ||
		            (is_op(prev, "=") && i >= 2 && A->toks[i - 2].kind == TK_NAME)) &&
		           (is_op(next, ",") || is_op(next, ")"))) {
			call_paren = call_stack[nb - 1];
			const struct tok *callee = &A->toks[call_paren - 1];
			if (callee->kind == TK_NAME)
				desc = afmt(A, "passing it to %.*s()", (int)callee->len, callee->s);
			else
				desc = afmt(A, "passing it to a call");
		} else {
			continue;
		}
		if (desc == NULL)
			return dl_error_oom();
		int rc = grow((void **)&A->uses, &A->capuses, A->nuses, sizeof(*A->uses));
		if (rc < 0)
			return rc;
		struct use *u = &A->uses[A->nuses++];
		u->name = t->s;
		u->name_len = t->len;
		u->pos = i;
		u->line = t->line;
		u->desc = desc;
		u->in_function = fn;
		u->call_paren = call_paren;
	}
	return 0;
}

static bool dotted_is(const struct an *A, size_t s, size_t e, const char *want)
{
	/* tokens s..e-1 spell `want` as NAME (. NAME)* */
	char buf[128];
	size_t n = 0;
	for (size_t i = s; i < e; i++) {
		const struct tok *t = &A->toks[i];
		if (t->len + n + 1 >= sizeof(buf))
			return false;
		memcpy(buf + n, t->s, t->len);
		n += t->len;
	}
	buf[n] = '\0';
	return strcmp(buf, want) == 0;
}

static int add_alias(struct an *A, const struct tok *name, const char *module, size_t mlen, bool is_module)
{
	int rc = grow((void **)&A->aliases, &A->capaliases, A->naliases, sizeof(*A->aliases));
	if (rc < 0)
		return rc;
	struct alias *al = &A->aliases[A->naliases++];
	al->name = name->s;
	al->len = name->len;
	al->module = dl_arena_strndup(A->arena, module, mlen);
	al->is_module = is_module;
	return al->module != NULL ? 0 : dl_error_oom();
}

/* import a.b.c [as x], ... */
static int stmt_import(struct an *A, size_t s, size_t e)
{
	size_t i = s + 1;
	while (i < e) {
		size_t ms = i;
		while (i < e && !is_op(&A->toks[i], ",") && !is_kw(&A->toks[i], "as"))
			i++;
		size_t me = i;
		const struct tok *bound = &A->toks[ms];
		if (i < e && is_kw(&A->toks[i], "as") && i + 1 < e) {
			bound = &A->toks[i + 1];
			i += 2;
		}
		if (bound->kind == TK_NAME) {
			int rc = add_other(A, bound, s, "is bound by an import");
			if (rc < 0)
				return rc;
			if (dotted_is(A, ms, me, "setuptools") || dotted_is(A, ms, me, "distutils.core")) {
				const char *mod = dotted_is(A, ms, me, "setuptools") ? "setuptools" : "distutils.core";
				rc = add_alias(A, bound, mod, strlen(mod), true);
				if (rc < 0)
					return rc;
			}
		}
		while (i < e && !is_op(&A->toks[i], ","))
			i++;
		i++;
	}
	return 0;
}

/* from m import a [as b], ... | from m import * */
static int stmt_from(struct an *A, size_t s, size_t e)
{
	size_t i = s + 1;
	size_t ms = i;
	while (i < e && !is_kw(&A->toks[i], "import"))
		i++;
	size_t me = i;
	char module[128];
	size_t mlen = 0;
	for (size_t k = ms; k < me && mlen + A->toks[k].len + 1 < sizeof(module); k++) {
		memcpy(module + mlen, A->toks[k].s, A->toks[k].len);
		mlen += A->toks[k].len;
	}
	module[mlen] = '\0';
	bool setup_module = strcmp(module, "setuptools") == 0 || strcmp(module, "distutils.core") == 0;
	i++;
	if (i < e && is_op(&A->toks[i], "*")) {
		const char *desc = afmt(A, "could be bound by 'from %s import *' at line %u", module, A->toks[i].line);
		if (desc == NULL)
			return dl_error_oom();
		int rc = add_binding(A, NULL, B_OTHER, s, 0, 0, desc);
		if (rc < 0)
			return rc;
		if (setup_module) {
			static const struct tok setup_tok = {TK_NAME, 0, 0, 0, 0, 0, "setup", 5};
			rc = add_alias(A, &setup_tok, module, mlen, false);
			if (rc < 0)
				return rc;
		}
		return 0;
	}
	while (i < e) {
		const struct tok *t = &A->toks[i];
		if (t->kind != TK_NAME) {
			i++;
			continue;
		}
		const struct tok *orig = t;
		const struct tok *bound = t;
		if (i + 2 < e && is_kw(&A->toks[i + 1], "as")) {
			bound = &A->toks[i + 2];
			i += 2;
		}
		i++;
		char what[200];
		snprintf(what, sizeof(what), "is imported from %s", module);
		int rc = add_other(A, bound, s, what);
		if (rc < 0)
			return rc;
		if (tok_is(orig, TK_NAME, "setup")) {
			rc = add_alias(A, bound, module, mlen, false);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

/* Is `if` header [s, e) `if __name__ == "__main__"`? */
static bool is_main_guard(struct an *A, size_t s, size_t colon)
{
	if (colon != s + 4)
		return false;
	const struct tok *a = &A->toks[s + 1], *op = &A->toks[s + 2], *b = &A->toks[s + 3];
	if (!is_op(op, "=="))
		return false;
	if (b->kind == TK_NAME) {
		const struct tok *x = a;
		a = b;
		b = x;
	}
	if (!is_kw(a, "__name__") || b->kind != TK_STRING)
		return false;
	dl_buf out = DL_BUF_INIT;
	const char *why = NULL;
	bool ok = decode_string(A, b, &out, &why) == 0 && strcmp(dl_buf_cstr(&out), "__main__") == 0;
	dl_buf_free(&out);
	return ok;
}

/* Find setup() calls in [s, e). */
static int find_calls(struct an *A, size_t s, size_t e, size_t stmt)
{
	for (size_t i = s; i + 1 < e; i++) {
		const struct tok *t = &A->toks[i];
		if (!is_op(&A->toks[i + 1], "(") || t->kind != TK_NAME)
			continue;
		const struct tok *prev = i > s ? &A->toks[i - 1] : NULL;
		if (prev != NULL && (is_kw(prev, "def") || is_kw(prev, "class")))
			continue;
		const char *origin = NULL;
		bool candidate = false;
		if (prev != NULL && is_op(prev, ".")) {
			if (!tok_is(t, TK_NAME, "setup"))
				continue;
			/* qualifier: NAME (. NAME)* before the dot at i-1 */
			size_t q = i - 1;
			while (q >= s + 1 && A->toks[q - 1].kind == TK_NAME) {
				q--;
				if (q >= s + 1 && is_op(&A->toks[q - 1], "."))
					q--;
				else
					break;
			}
			if (dotted_is(A, q, i - 1, "distutils.core")) {
				candidate = true;
			} else if (q + 1 == i - 1) {
				for (size_t k = 0; k < A->naliases; k++) {
					const struct alias *al = &A->aliases[k];
					if (al->is_module && al->len == A->toks[q].len && memcmp(al->name, A->toks[q].s, al->len) == 0)
						candidate = true;
				}
			}
			if (!candidate)
				continue;
		} else {
			const struct alias *found = NULL;
			for (size_t k = 0; k < A->naliases; k++) {
				const struct alias *al = &A->aliases[k];
				if (!al->is_module && al->len == t->len && memcmp(al->name, t->s, t->len) == 0)
					found = al;
			}
			if (found == NULL && !tok_is(t, TK_NAME, "setup"))
				continue;
			bool known = found != NULL && (strcmp(found->module, "setuptools") == 0 ||
			                               strcmp(found->module, "distutils.core") == 0);
			if (found == NULL)
				origin = afmt(A, "setup is not imported from setuptools or distutils.core");
			else if (!known)
				origin = afmt(A, "setup() is imported from %s, which may change its arguments", found->module);
			if (!known && origin == NULL)
				return dl_error_oom();
		}
		int rc = grow((void **)&A->calls, &A->capcalls, A->ncalls, sizeof(*A->calls));
		if (rc < 0)
			return rc;
		struct call *c = &A->calls[A->ncalls++];
		memset(c, 0, sizeof(*c));
		c->open = i + 1;
		c->close = match_bracket(A, i + 1);
		c->pos = stmt;
		c->line = t->line;
		c->origin = origin;
		const struct block *fb = function_block(A);
		const struct block *cb = cond_block(A);
		if (fb != NULL) {
			c->context = afmt(A, "setup() is called inside %s '%.*s' (line %lu), so what it receives depends on how "
			                  "that is called",
			                  fb->kind == BK_DEF ? "function" : "class", (int)fb->name_len, fb->name, fb->line);
		} else if (cb != NULL) {
			c->context = afmt(A, "setup() is called inside %s '%s' block (line %lu)",
			                  cb->kind == BK_IF || cb->kind == BK_ELIF || cb->kind == BK_ELSE ? "an" : "a",
			                  blk_name(cb->kind), cb->line);
		}
		if ((fb != NULL || cb != NULL) && c->context == NULL)
			return dl_error_oom();
	}
	return 0;
}

/* One simple statement [s, e). */
static int simple_stmt(struct an *A, size_t s, size_t e)
{
	if (s >= e)
		return 0;
	const struct tok *first = &A->toks[s];
	int rc = scan_uses(A, s, e);
	if (rc < 0)
		return rc;
	rc = find_calls(A, s, e, s);
	if (rc < 0)
		return rc;
	if (is_kw(first, "import"))
		return stmt_import(A, s, e);
	if (is_kw(first, "from"))
		return stmt_from(A, s, e);
	if (is_kw(first, "global")) {
		for (size_t i = s + 1; i < e; i++) {
			if (A->toks[i].kind != TK_NAME)
				continue;
			rc = grow((void **)&A->globals, &A->capglobals, A->nglobals, sizeof(*A->globals));
			if (rc < 0)
				return rc;
			struct binding *g = &A->globals[A->nglobals++];
			memset(g, 0, sizeof(*g));
			g->name = A->toks[i].s;
			g->name_len = A->toks[i].len;
			g->line = A->toks[i].line;
		}
		return 0;
	}
	if (is_kw(first, "del")) {
		int depth = 0;
		for (size_t i = s + 1; i < e; i++) {
			const struct tok *t = &A->toks[i];
			if (is_open(t))
				depth++;
			else if (is_close(t))
				depth--;
			else if (t->kind == TK_NAME && depth == 0 && !is_op(&A->toks[i - 1], ".") &&
			         (i + 1 >= e || (!is_op(&A->toks[i + 1], ".") && !is_op(&A->toks[i + 1], "[")))) {
				rc = add_other(A, t, s, "is deleted");
				if (rc < 0)
					return rc;
			}
		}
		return 0;
	}
	/* walrus anywhere binds in the enclosing scope */
	for (size_t i = s; i + 1 < e; i++) {
		if (A->toks[i].kind == TK_NAME && is_op(&A->toks[i + 1], ":=")) {
			rc = add_other(A, &A->toks[i], s, "is assigned by ':='");
			if (rc < 0)
				return rc;
		}
	}
	/* augmented assignment */
	if (first->kind == TK_NAME && s + 1 < e && is_aug_op(&A->toks[s + 1])) {
		if (is_op(&A->toks[s + 1], "+="))
			return add_binding(A, first, B_AUG, s, s + 2, e, NULL);
		const char *what = afmt(A, "is changed with '%.*s'", (int)A->toks[s + 1].len, A->toks[s + 1].s);
		if (what == NULL)
			return dl_error_oom();
		return add_other(A, first, s, what);
	}
	/* assignment: targets separated by depth-0 '=' */
	size_t eqs[64];
	size_t neq = 0;
	int depth = 0;
	for (size_t i = s; i < e; i++) {
		const struct tok *t = &A->toks[i];
		if (is_open(t))
			depth++;
		else if (is_close(t))
			depth--;
		else if (depth == 0 && is_op(t, "=") && neq < 64)
			eqs[neq++] = i;
	}
	if (neq == 0)
		return 0;
	size_t vstart = eqs[neq - 1] + 1;
	size_t ts = s;
	for (size_t k = 0; k < neq; k++) {
		size_t te = eqs[k];
		if (te == ts + 1 && A->toks[ts].kind == TK_NAME) {
			rc = add_binding(A, &A->toks[ts], B_ASSIGN, s, vstart, e, NULL);
		} else if (k == 0 && neq == 1 && A->toks[ts].kind == TK_NAME && ts + 1 < te && is_op(&A->toks[ts + 1], ":")) {
			rc = add_binding(A, &A->toks[ts], B_ASSIGN, s, vstart, e, NULL); /* x: T = v */
		} else {
			rc = 0;
			for (size_t i = ts; i < te && rc == 0; i++) {
				const struct tok *t = &A->toks[i];
				if (t->kind != TK_NAME || is_keyword(t))
					continue;
				if (i > ts && is_op(&A->toks[i - 1], "."))
					continue;
				if (i + 1 < te && (is_op(&A->toks[i + 1], ".") || is_op(&A->toks[i + 1], "[") ||
				                   is_op(&A->toks[i + 1], "(")))
					continue;
				rc = add_other(A, t, s, "is assigned by unpacking");
			}
		}
		if (rc < 0)
			return rc;
		ts = te + 1;
	}
	return 0;
}

/* Simple statements separated by depth-0 ';'. */
static int simple_stmts(struct an *A, size_t s, size_t e)
{
	int depth = 0;
	size_t start = s;
	for (size_t i = s; i <= e; i++) {
		if (i < e) {
			const struct tok *t = &A->toks[i];
			if (is_open(t))
				depth++;
			else if (is_close(t))
				depth--;
			if (!(depth == 0 && is_op(t, ";")))
				continue;
		}
		int rc = simple_stmt(A, start, i);
		if (rc < 0)
			return rc;
		start = i + 1;
	}
	return 0;
}

static int compound_kind(const struct an *A, size_t s, size_t e)
{
	const struct tok *t = &A->toks[s];
	if (t->kind != TK_NAME)
		return 0;
	static const struct {
		const char *kw;
		int kind;
	} kws[] = {{"if", BK_IF},         {"elif", BK_ELIF},   {"else", BK_ELSE},       {"for", BK_FOR},
	           {"while", BK_WHILE},   {"try", BK_TRY},     {"except", BK_EXCEPT},   {"finally", BK_FINALLY},
	           {"with", BK_WITH},     {"def", BK_DEF},     {"class", BK_CLASS}};
	for (size_t i = 0; i < sizeof(kws) / sizeof(kws[0]); i++) {
		if (is_kw(t, kws[i].kw))
			return kws[i].kind;
	}
	if (is_kw(t, "async") && s + 1 < e)
		return compound_kind(A, s + 1, e);
	/* soft keywords: a `match x:` / `case p:` line ends with ':' and has
	 * no assignment */
	if ((is_kw(t, "match") || is_kw(t, "case")) && e > s + 1 && is_op(&A->toks[e - 1], ":") &&
	    !is_op(&A->toks[s + 1], "=") && !is_op(&A->toks[s + 1], ".") && !is_op(&A->toks[s + 1], "("))
		return is_kw(t, "match") ? BK_MATCH : BK_CASE;
	return 0;
}

/* The header colon of a compound statement: the first ':' at depth 0 that
 * is not inside a lambda. */
static size_t header_colon(const struct an *A, size_t s, size_t e)
{
	int depth = 0;
	int lambdas = 0;
	for (size_t i = s; i < e; i++) {
		const struct tok *t = &A->toks[i];
		if (is_open(t))
			depth++;
		else if (is_close(t))
			depth--;
		else if (depth == 0 && is_kw(t, "lambda"))
			lambdas++;
		else if (depth == 0 && is_op(t, ":")) {
			if (lambdas > 0) {
				lambdas--;
				continue;
			}
			return i;
		}
	}
	return e;
}

static int header_bindings(struct an *A, int kind, size_t s, size_t colon)
{
	size_t k = s;
	if (is_kw(&A->toks[k], "async"))
		k++;
	int rc = 0;
	if (kind == BK_DEF || kind == BK_CLASS) {
		if (k + 1 < colon && A->toks[k + 1].kind == TK_NAME) {
			const struct tok *name = &A->toks[k + 1];
			if (tok_is(name, TK_NAME, "setup") && !in_function(A) && A->own_setup == NULL)
				A->own_setup = afmt(A, "setup.py defines its own setup() at line %u", name->line);
			rc = add_other(A, name, s, kind == BK_DEF ? "is defined by a 'def' statement" : "is defined by a 'class' "
			                                                                                 "statement");
		}
	} else if (kind == BK_FOR) {
		for (size_t i = k + 1; i < colon && rc == 0 && !is_kw(&A->toks[i], "in"); i++) {
			if (A->toks[i].kind == TK_NAME && !is_keyword(&A->toks[i]))
				rc = add_other(A, &A->toks[i], s, "is bound by a 'for' loop");
		}
	} else if (kind == BK_WITH || kind == BK_EXCEPT) {
		for (size_t i = k; i + 1 < colon && rc == 0; i++) {
			if (!is_kw(&A->toks[i], "as"))
				continue;
			for (size_t j = i + 1; j < colon && rc == 0; j++) {
				const struct tok *t = &A->toks[j];
				if (is_op(t, ",") || is_op(t, ")") || is_op(t, ":"))
					break;
				if (t->kind == TK_NAME && !is_keyword(t))
					rc = add_other(A, t, s, kind == BK_WITH ? "is bound by 'with ... as'" : "is bound by 'except ... as'");
			}
		}
	}
	if (rc < 0)
		return rc;
	/* walrus in a header */
	for (size_t i = s; i + 1 < colon; i++) {
		if (A->toks[i].kind == TK_NAME && is_op(&A->toks[i + 1], ":=")) {
			rc = add_other(A, &A->toks[i], s, "is assigned by ':='");
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

static int push_block(struct an *A, const struct block *b)
{
	if (A->depth >= sizeof(A->stack) / sizeof(A->stack[0]))
		return dl_error_set(DL_ELIMIT, "%s: blocks nested too deeply", A->source);
	A->stack[A->depth++] = *b;
	return 0;
}

static int logical_line(struct an *A, size_t s, size_t e)
{
	const struct tok *first = &A->toks[s];
	A->has_pending = false;
	if (is_op(first, "@")) {
		int rc = scan_uses(A, s, e);
		return rc < 0 ? rc : find_calls(A, s, e, s);
	}
	int kind = compound_kind(A, s, e);
	if (kind == 0)
		return simple_stmts(A, s, e);
	size_t colon = header_colon(A, s, e);
	int rc = scan_uses(A, s, colon);
	if (rc < 0)
		return rc;
	rc = find_calls(A, s, colon, s);
	if (rc < 0)
		return rc;
	rc = header_bindings(A, kind, s, colon);
	if (rc < 0)
		return rc;
	struct block b;
	memset(&b, 0, sizeof(b));
	b.kind = kind;
	b.line = first->line;
	if (kind == BK_IF)
		b.main_guard = is_main_guard(A, s, colon);
	if (kind == BK_DEF || kind == BK_CLASS) {
		size_t k = is_kw(first, "async") ? s + 1 : s;
		if (k + 1 < e) {
			b.name = A->toks[k + 1].s;
			b.name_len = A->toks[k + 1].len;
		}
	}
	if (colon + 1 < e) {
		/* a one-line body: `if x: y = 1` */
		rc = push_block(A, &b);
		if (rc < 0)
			return rc;
		rc = simple_stmts(A, colon + 1, e);
		A->depth--;
		return rc;
	}
	A->pending = b;
	A->has_pending = true;
	return 0;
}

static int walk(struct an *A)
{
	size_t i = 0;
	while (i < A->ntoks && A->toks[i].kind != TK_END) {
		const struct tok *t = &A->toks[i];
		if (t->kind == TK_INDENT) {
			struct block b;
			if (A->has_pending) {
				b = A->pending;
			} else {
				memset(&b, 0, sizeof(b));
				b.kind = BK_OTHER;
				b.line = t->line;
			}
			A->has_pending = false;
			int rc = push_block(A, &b);
			if (rc < 0)
				return rc;
			i++;
			continue;
		}
		if (t->kind == TK_DEDENT) {
			if (A->depth > 0)
				A->depth--;
			i++;
			continue;
		}
		if (t->kind == TK_NEWLINE) {
			i++;
			continue;
		}
		size_t j = i;
		while (A->toks[j].kind != TK_NEWLINE && A->toks[j].kind != TK_END)
			j++;
		int rc = logical_line(A, i, j);
		if (rc < 0)
			return rc;
		i = j;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Evaluation                                                           */

enum vkind { V_STR = 1, V_LIST, V_DICT, V_NONE };

struct val {
	int kind;
	bool tuple;
	unsigned long line;
	const char *s;
	size_t len;
	struct val **items; /* LIST; DICT: key, value, key, value... */
	size_t n;
};

/* A failed evaluation: the clause that completes "<field> ...". */
struct fail {
	const char *clause;
};

static int eval_expr(struct an *A, size_t a, size_t b, size_t pos, int depth, struct val **out, struct fail *f);

static struct val *new_val(struct an *A, int kind, unsigned long line)
{
	if (++A->values > MAX_VALUES)
		return NULL;
	struct val *v = dl_arena_calloc(A->arena, 1, sizeof(*v));
	if (v != NULL) {
		v->kind = kind;
		v->line = line;
	}
	return v;
}

static int failf(struct an *A, struct fail *f, const char *fmt, ...) DL_PRINTF(3, 4);

static int failf(struct an *A, struct fail *f, const char *fmt, ...)
{
	char buf[700];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	f->clause = dl_arena_strndup(A->arena, buf, strlen(buf));
	return f->clause != NULL ? 1 : dl_error_oom();
}

static int budget_fail(struct an *A, struct fail *f, unsigned long line)
{
	if (A->values > MAX_VALUES)
		return failf(A, f, "is too large to evaluate (more than %d values, line %lu)", MAX_VALUES, line);
	return dl_error_oom();
}

/* Describe a dotted callee NAME(.NAME)* ending before `paren`. */
static const char *callee_text(struct an *A, size_t start, size_t paren)
{
	char buf[200];
	size_t n = 0;
	for (size_t i = start; i < paren && n + A->toks[i].len + 1 < sizeof(buf); i++) {
		memcpy(buf + n, A->toks[i].s, A->toks[i].len);
		n += A->toks[i].len;
	}
	buf[n] = '\0';
	return dl_arena_strndup(A->arena, buf, n);
}

/* Resolve `name` as seen at token position `pos`. */
static int resolve(struct an *A, const struct tok *name, size_t pos, int depth, struct val **out, struct fail *f)
{
	int nl = (int)(name->len > 100 ? 100 : name->len);
	if (depth > MAX_NAME_DEPTH)
		return failf(A, f, "uses '%.*s' (line %u), reached through more than %d names", nl, name->s, name->line,
		             MAX_NAME_DEPTH);
	for (size_t i = 0; i < A->nglobals; i++) {
		const struct binding *g = &A->globals[i];
		if (g->name_len == name->len && memcmp(g->name, name->s, name->len) == 0)
			return failf(A, f, "uses '%.*s', which a function declares global at line %lu", nl, name->s, g->line);
	}
	const struct binding *assign = NULL;
	const struct binding *bad = NULL;
	const struct binding *anytime = NULL;
	size_t last_assign_pos = 0;
	for (size_t i = 0; i < A->nbinds; i++) {
		const struct binding *b = &A->binds[i];
		bool all = b->name == NULL;
		if (!all && (b->name_len != name->len || memcmp(b->name, name->s, name->len) != 0))
			continue;
		if (all && b->in_function) {
			anytime = b; /* an exec-like call in a function may run at any time */
			continue;
		}
		if (b->pos >= pos)
			continue;
		if (b->cond || b->kind == B_OTHER) {
			bad = b;
			assign = NULL;
		} else if (b->kind == B_ASSIGN) {
			assign = b;
			bad = NULL;
			last_assign_pos = b->pos;
		} else if (b->kind == B_AUG && assign == NULL && bad == NULL) {
			bad = b;
		}
	}
	if (bad == NULL && anytime != NULL)
		bad = anytime;
	if (bad != NULL) {
		if (bad->kind == B_AUG && !bad->cond)
			return failf(A, f, "uses '%.*s', which is extended with '+=' at line %lu before it is assigned", nl,
			             name->s, bad->line);
		return failf(A, f, "uses '%.*s', which %s", nl, name->s, bad->desc);
	}
	if (assign == NULL)
		return failf(A, f, "uses '%.*s' (line %u), which is not assigned before setup() is called", nl, name->s,
		             name->line);
	for (size_t i = 0; i < A->nuses; i++) {
		const struct use *u = &A->uses[i];
		if (u->name_len != name->len || memcmp(u->name, name->s, name->len) != 0)
			continue;
		if (u->in_function)
			return failf(A, f, "uses '%.*s', which a function may change (%s at line %lu)", nl, name->s, u->desc,
			             u->line);
		if (u->pos > last_assign_pos && u->pos < pos)
			return failf(A, f, "uses '%.*s', which may be changed by %s at line %lu", nl, name->s, u->desc, u->line);
	}
	struct fail inner = {NULL};
	struct val *v = NULL;
	int rc = eval_expr(A, assign->vstart, assign->vend, assign->pos, depth + 1, &v, &inner);
	if (rc < 0)
		return rc;
	if (rc == 1)
		return failf(A, f, "uses '%.*s' (assigned at line %lu), which %s", nl, name->s, assign->line, inner.clause);
	/* later `+=` on it */
	for (size_t i = 0; i < A->nbinds; i++) {
		const struct binding *b = &A->binds[i];
		if (b->kind != B_AUG || b->pos <= assign->pos || b->pos >= pos || b->name == NULL ||
		    b->name_len != name->len || memcmp(b->name, name->s, name->len) != 0)
			continue;
		struct val *add = NULL;
		rc = eval_expr(A, b->vstart, b->vend, b->pos, depth + 1, &add, &inner);
		if (rc < 0)
			return rc;
		if (rc == 1)
			return failf(A, f, "uses '%.*s', extended at line %lu with a value that %s", nl, name->s, b->line,
			             inner.clause);
		struct val *sum = NULL;
		if (v->kind == V_STR && add->kind == V_STR) {
			sum = new_val(A, V_STR, v->line);
			if (sum == NULL)
				return budget_fail(A, f, b->line);
			char *s = dl_arena_alloc(A->arena, v->len + add->len + 1);
			if (s == NULL)
				return dl_error_oom();
			memcpy(s, v->s, v->len);
			memcpy(s + v->len, add->s, add->len);
			s[v->len + add->len] = '\0';
			sum->s = s;
			sum->len = v->len + add->len;
		} else if (v->kind == V_LIST && !v->tuple && add->kind == V_LIST) {
			sum = new_val(A, V_LIST, v->line);
			if (sum == NULL)
				return budget_fail(A, f, b->line);
			sum->n = v->n + add->n;
			sum->items = dl_arena_calloc(A->arena, sum->n ? sum->n : 1, sizeof(*sum->items));
			if (sum->items == NULL)
				return dl_error_oom();
			if (v->n)
				memcpy(sum->items, v->items, v->n * sizeof(*v->items));
			if (add->n)
				memcpy(sum->items + v->n, add->items, add->n * sizeof(*add->items));
		} else {
			return failf(A, f, "uses '%.*s', extended with '+=' at line %lu in a way deeplock does not evaluate", nl,
			             name->s, b->line);
		}
		v = sum;
	}
	*out = v;
	return 0;
}

/* Split [a, b) at depth-0 commas; calls fn on each non-empty part. */
typedef int (*part_fn)(struct an *A, size_t a, size_t b, void *ctx);

static int split_commas(struct an *A, size_t a, size_t b, part_fn fn, void *ctx, size_t *parts, bool *trailing)
{
	int depth = 0;
	size_t start = a;
	*parts = 0;
	*trailing = false;
	for (size_t i = a; i <= b; i++) {
		if (i < b) {
			const struct tok *t = &A->toks[i];
			if (is_open(t))
				depth++;
			else if (is_close(t))
				depth--;
			if (!(depth == 0 && is_op(t, ",")))
				continue;
		}
		if (i > start) {
			int rc = fn(A, start, i, ctx);
			if (rc != 0)
				return rc;
			(*parts)++;
			*trailing = false;
		} else if (i < b || start != a) {
			*trailing = i == b;
		}
		start = i + 1;
	}
	return 0;
}

struct elems {
	size_t pos;
	int depth;
	struct fail *f;
	struct val **items;
	size_t n, cap;
	bool dict;
};

static int push_item(struct an *A, struct elems *E, struct val *v)
{
	if (E->n == E->cap) {
		size_t ncap = E->cap ? E->cap * 2 : 8;
		struct val **items = dl_arena_calloc(A->arena, ncap, sizeof(*items));
		if (items == NULL)
			return dl_error_oom();
		if (E->n)
			memcpy(items, E->items, E->n * sizeof(*items));
		E->items = items;
		E->cap = ncap;
	}
	E->items[E->n++] = v;
	return 0;
}

static int list_elem(struct an *A, size_t a, size_t b, void *ctx)
{
	struct elems *E = ctx;
	if (is_op(&A->toks[a], "*") || is_op(&A->toks[a], "**"))
		return failf(A, E->f, "is computed by unpacking with '%.*s' at line %u", (int)A->toks[a].len, A->toks[a].s,
		             A->toks[a].line);
	struct val *v = NULL;
	int rc = eval_expr(A, a, b, E->pos, E->depth, &v, E->f);
	if (rc != 0)
		return rc;
	return push_item(A, E, v);
}

static int dict_elem(struct an *A, size_t a, size_t b, void *ctx)
{
	struct elems *E = ctx;
	if (is_op(&A->toks[a], "**"))
		return failf(A, E->f, "is computed by unpacking with '**' at line %u", A->toks[a].line);
	int depth = 0;
	size_t colon = b;
	for (size_t i = a; i < b; i++) {
		const struct tok *t = &A->toks[i];
		if (is_open(t))
			depth++;
		else if (is_close(t))
			depth--;
		else if (depth == 0 && is_op(t, ":")) {
			colon = i;
			break;
		}
	}
	if (colon == b || colon == a || colon + 1 >= b)
		return failf(A, E->f, "is a dict entry deeplock cannot read at line %u", A->toks[a].line);
	struct val *k = NULL, *v = NULL;
	int rc = eval_expr(A, a, colon, E->pos, E->depth, &k, E->f);
	if (rc != 0)
		return rc;
	rc = eval_expr(A, colon + 1, b, E->pos, E->depth, &v, E->f);
	if (rc != 0)
		return rc;
	rc = push_item(A, E, k);
	return rc != 0 ? rc : push_item(A, E, v);
}

/* dict(name=value, ...) with keyword arguments only. */
static int kwarg_elem(struct an *A, size_t a, size_t b, void *ctx)
{
	struct elems *E = ctx;
	if (!(b > a + 2 && A->toks[a].kind == TK_NAME && is_op(&A->toks[a + 1], "=")))
		return failf(A, E->f, "is computed by a call to dict() with more than keyword arguments at line %u",
		             A->toks[a].line);
	struct val *k = new_val(A, V_STR, A->toks[a].line);
	if (k == NULL)
		return budget_fail(A, E->f, A->toks[a].line);
	k->s = A->toks[a].s;
	k->len = A->toks[a].len;
	struct val *v = NULL;
	int rc = eval_expr(A, a + 2, b, E->pos, E->depth, &v, E->f);
	if (rc != 0)
		return rc;
	rc = push_item(A, E, k);
	return rc != 0 ? rc : push_item(A, E, v);
}

/* Does [a, b) hold a depth-0 `for` (a comprehension)? */
static bool has_comprehension(const struct an *A, size_t a, size_t b)
{
	int depth = 0;
	for (size_t i = a; i < b; i++) {
		const struct tok *t = &A->toks[i];
		if (is_open(t))
			depth++;
		else if (is_close(t))
			depth--;
		else if (depth == 0 && (is_kw(t, "for") || (is_kw(t, "async") && i + 1 < b && is_kw(&A->toks[i + 1], "for"))))
			return true;
	}
	return false;
}

static bool name_rebound(const struct an *A, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < A->nbinds; i++) {
		const struct binding *b = &A->binds[i];
		if (b->name == NULL || (b->name_len == n && memcmp(b->name, name, n) == 0))
			return true;
	}
	return false;
}

/* One term: an atom without operators. */
static int eval_term(struct an *A, size_t a, size_t b, size_t pos, int depth, struct val **out, struct fail *f)
{
	const struct tok *t = &A->toks[a];
	if (t->kind == TK_STRING) {
		dl_buf s = DL_BUF_INIT;
		for (size_t i = a; i < b; i++) {
			if (A->toks[i].kind != TK_STRING) {
				dl_buf_free(&s);
				if (is_op(&A->toks[i], "."))
					return failf(A, f, "is computed by a method call on a string at line %u", A->toks[i].line);
				return failf(A, f, "is an expression deeplock does not evaluate at line %u", A->toks[i].line);
			}
			const char *why = NULL;
			int rc = decode_string(A, &A->toks[i], &s, &why);
			if (rc != 0) {
				dl_buf_free(&s);
				if (rc < 0)
					return rc;
				return failf(A, f, "is %s", why);
			}
		}
		struct val *v = new_val(A, V_STR, t->line);
		if (v == NULL) {
			dl_buf_free(&s);
			return budget_fail(A, f, t->line);
		}
		v->s = dl_arena_strndup(A->arena, dl_buf_cstr(&s), s.len);
		v->len = s.len;
		dl_buf_free(&s);
		if (v->s == NULL)
			return dl_error_oom();
		*out = v;
		return 0;
	}
	if (is_open(t)) {
		size_t close = match_bracket(A, a);
		if (close + 1 != b) {
			/* a trailer after the display: (...)(...), [...][0], "".join */
			const struct tok *n = &A->toks[close + 1];
			if (is_op(n, "."))
				return failf(A, f, "is computed by a method call at line %u", n->line);
			return failf(A, f, "is an expression deeplock does not evaluate at line %u", n->line);
		}
		char c = t->s[0];
		if (has_comprehension(A, a + 1, close))
			return failf(A, f, "is computed by a %s comprehension at line %u",
			             c == '[' ? "list" : c == '{' ? "dict or set" : "generator", t->line);
		struct elems E = {pos, depth, f, NULL, 0, 0, false};
		size_t parts = 0;
		bool trailing = false;
		int rc;
		if (c == '{') {
			int d = 0;
			bool is_dict = close == a + 1; /* {} is an empty dict */
			for (size_t i = a + 1; i < close && !is_dict; i++) {
				const struct tok *x = &A->toks[i];
				if (is_open(x))
					d++;
				else if (is_close(x))
					d--;
				else if (d == 0 && (is_op(x, ":") || is_op(x, "**")))
					is_dict = true;
			}
			if (!is_dict)
				return failf(A, f, "is a set display at line %u (its order is not defined)", t->line);
			rc = split_commas(A, a + 1, close, dict_elem, &E, &parts, &trailing);
			if (rc != 0)
				return rc;
			struct val *v = new_val(A, V_DICT, t->line);
			if (v == NULL)
				return budget_fail(A, f, t->line);
			v->items = E.items;
			v->n = E.n;
			*out = v;
			return 0;
		}
		if (c == '(') {
			bool has_comma = false;
			int d = 0;
			for (size_t i = a + 1; i < close; i++) {
				const struct tok *x = &A->toks[i];
				if (is_open(x))
					d++;
				else if (is_close(x))
					d--;
				else if (d == 0 && is_op(x, ","))
					has_comma = true;
			}
			if (!has_comma && close > a + 1)
				return eval_expr(A, a + 1, close, pos, depth, out, f); /* parenthesised */
		}
		rc = split_commas(A, a + 1, close, list_elem, &E, &parts, &trailing);
		if (rc != 0)
			return rc;
		struct val *v = new_val(A, V_LIST, t->line);
		if (v == NULL)
			return budget_fail(A, f, t->line);
		v->tuple = c == '(';
		v->items = E.items;
		v->n = E.n;
		*out = v;
		return 0;
	}
	if (t->kind == TK_NAME && !is_keyword(t) && b == a + 1)
		return resolve(A, t, pos, depth, out, f);
	if ((is_kw(t, "None") || is_kw(t, "True") || is_kw(t, "False")) && b == a + 1) {
		if (!is_kw(t, "None"))
			return failf(A, f, "is the boolean %.*s at line %u", (int)t->len, t->s, t->line);
		struct val *v = new_val(A, V_NONE, t->line);
		if (v == NULL)
			return budget_fail(A, f, t->line);
		*out = v;
		return 0;
	}
	if (t->kind == TK_NAME && !is_keyword(t)) {
		/* NAME(.NAME)* followed by a call, an attribute or a subscript */
		size_t i = a + 1;
		while (i + 1 < b && is_op(&A->toks[i], ".") && A->toks[i + 1].kind == TK_NAME)
			i += 2;
		if (i < b && is_op(&A->toks[i], "(")) {
			size_t close = match_bracket(A, i);
			if (i == a + 1 && is_kw(t, "dict") && close + 1 == b && !name_rebound(A, "dict")) {
				struct elems E = {pos, depth, f, NULL, 0, 0, true};
				size_t parts = 0;
				bool trailing = false;
				int rc = split_commas(A, i + 1, close, kwarg_elem, &E, &parts, &trailing);
				if (rc != 0)
					return rc;
				struct val *v = new_val(A, V_DICT, t->line);
				if (v == NULL)
					return budget_fail(A, f, t->line);
				v->items = E.items;
				v->n = E.n;
				*out = v;
				return 0;
			}
			const char *callee = callee_text(A, a, i);
			if (callee == NULL)
				return dl_error_oom();
			return failf(A, f, "is computed by a call to %s() at line %u", callee, t->line);
		}
		if (i < b && is_op(&A->toks[i], "["))
			return failf(A, f, "is computed by a subscript of %.*s at line %u", (int)t->len, t->s, t->line);
		if (i > a + 1) {
			const char *attr = callee_text(A, a, i);
			if (attr == NULL)
				return dl_error_oom();
			return failf(A, f, "is the attribute %s at line %u", attr, t->line);
		}
	}
	if (t->kind == TK_NUMBER)
		return failf(A, f, "is the number %.*s at line %u", (int)(t->len > 40 ? 40 : t->len), t->s, t->line);
	return failf(A, f, "is an expression deeplock does not evaluate ('%.*s' at line %u)",
	             (int)(t->len > 40 ? 40 : t->len), t->s, t->line);
}

static int add_vals(struct an *A, struct val *x, struct val *y, unsigned long line, struct val **out, struct fail *f)
{
	if (x->kind == V_STR && y->kind == V_STR) {
		struct val *v = new_val(A, V_STR, x->line);
		if (v == NULL)
			return budget_fail(A, f, line);
		char *s = dl_arena_alloc(A->arena, x->len + y->len + 1);
		if (s == NULL)
			return dl_error_oom();
		memcpy(s, x->s, x->len);
		memcpy(s + x->len, y->s, y->len);
		s[x->len + y->len] = '\0';
		v->s = s;
		v->len = x->len + y->len;
		*out = v;
		return 0;
	}
	if (x->kind == V_LIST && y->kind == V_LIST && x->tuple == y->tuple) {
		struct val *v = new_val(A, V_LIST, x->line);
		if (v == NULL)
			return budget_fail(A, f, line);
		A->values += x->n + y->n;
		if (A->values > MAX_VALUES)
			return budget_fail(A, f, line);
		v->tuple = x->tuple;
		v->n = x->n + y->n;
		v->items = dl_arena_calloc(A->arena, v->n ? v->n : 1, sizeof(*v->items));
		if (v->items == NULL)
			return dl_error_oom();
		if (x->n)
			memcpy(v->items, x->items, x->n * sizeof(*v->items));
		if (y->n)
			memcpy(v->items + x->n, y->items, y->n * sizeof(*v->items));
		*out = v;
		return 0;
	}
	return failf(A, f, "adds values of different types at line %lu, which Python rejects", line);
}

static int eval_expr(struct an *A, size_t a, size_t b, size_t pos, int depth, struct val **out, struct fail *f)
{
	if (a >= b)
		return failf(A, f, "is an empty expression");
	if (depth > MAX_NAME_DEPTH * 4 + MAX_BRACKETS)
		return failf(A, f, "is nested too deeply at line %u", A->toks[a].line);
	/* Operators and keywords at depth 0 other than '+' mean computation. */
	int d = 0;
	for (size_t i = a; i < b; i++) {
		const struct tok *t = &A->toks[i];
		if (is_open(t)) {
			d++;
			continue;
		}
		if (is_close(t)) {
			d--;
			continue;
		}
		if (d != 0)
			continue;
		if (is_kw(t, "if"))
			return failf(A, f, "is a conditional expression at line %u", t->line);
		if (is_kw(t, "lambda"))
			return failf(A, f, "is a lambda at line %u", t->line);
		if (is_kw(t, "and") || is_kw(t, "or") || is_kw(t, "not"))
			return failf(A, f, "is a boolean expression at line %u", t->line);
		if (is_kw(t, "in") || is_kw(t, "is") || is_kw(t, "await") || is_kw(t, "yield") || is_kw(t, "for"))
			return failf(A, f, "is an expression with '%.*s' at line %u", (int)t->len, t->s, t->line);
		if (t->kind == TK_OP && !is_op(t, "+") && !is_op(t, ".") && !(is_op(t, "*") && i == a))
			return failf(A, f, "is an expression with '%.*s' at line %u", (int)t->len, t->s, t->line);
	}
	/* split at depth-0 '+' */
	struct val *acc = NULL;
	size_t start = a;
	d = 0;
	for (size_t i = a; i <= b; i++) {
		if (i < b) {
			const struct tok *t = &A->toks[i];
			if (is_open(t))
				d++;
			else if (is_close(t))
				d--;
			if (!(d == 0 && is_op(t, "+")))
				continue;
		}
		if (i == start)
			return failf(A, f, "is an expression with a unary '+' at line %u", A->toks[start].line);
		struct val *v = NULL;
		int rc = eval_term(A, start, i, pos, depth + 1, &v, f);
		if (rc != 0)
			return rc;
		if (acc == NULL) {
			acc = v;
		} else {
			rc = add_vals(A, acc, v, A->toks[start].line, &acc, f);
			if (rc != 0)
				return rc;
		}
		start = i + 1;
	}
	*out = acc;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Results                                                              */

static int set_dyn(dl_setup_args *args, dl_setup_value *v, unsigned long line, const char *field, const char *clause)
{
	char buf[900];
	snprintf(buf, sizeof(buf), "%s %s", field, clause);
	v->state = DL_SETUP_DYNAMIC;
	v->line = line;
	v->reason = dl_arena_strndup(args->arena, buf, strlen(buf));
	return v->reason != NULL ? 0 : dl_error_oom();
}

static bool has_nul(const struct val *v)
{
	return memchr(v->s, '\0', v->len) != NULL;
}

/* Strings of a str or list-of-str value; 1 with *bad set when not. */
static int string_items(struct an *A, const struct val *v, const char ***strs, size_t *n, const struct val **bad)
{
	size_t count = v->kind == V_STR ? 1 : v->n;
	const char **arr = dl_arena_calloc(A->arena, count ? count : 1, sizeof(*arr));
	if (arr == NULL)
		return dl_error_oom();
	for (size_t i = 0; i < count; i++) {
		const struct val *x = v->kind == V_STR ? v : v->items[i];
		if (x->kind != V_STR || has_nul(x)) {
			*bad = x;
			return 1;
		}
		arr[i] = x->s;
	}
	*strs = arr;
	*n = count;
	return 0;
}

static int to_list(struct an *A, dl_setup_args *args, const struct val *v, const char *field, unsigned long line,
                   const char ***list, size_t *count, dl_setup_value *out)
{
	if (v->kind != V_STR && v->kind != V_LIST)
		return set_dyn(args, out, line, field, "is not a string or a list of strings");
	const char **strs = NULL;
	size_t n = 0;
	const struct val *bad = NULL;
	int rc = string_items(A, v, &strs, &n, &bad);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		char clause[120];
		snprintf(clause, sizeof(clause), "has an item that is not a plain string at line %lu", bad->line);
		return set_dyn(args, out, line, field, clause);
	}
	const char **items = NULL;
	size_t cnt = 0, cap = 0;
	rc = dl_setup_split_requirements(&items, &cnt, &cap, args->arena, strs, n);
	if (rc < 0) {
		dl_free(items);
		return rc;
	}
	const char **final = dl_arena_calloc(args->arena, cnt ? cnt : 1, sizeof(*final));
	if (final == NULL) {
		dl_free(items);
		return dl_error_oom();
	}
	if (cnt)
		memcpy(final, items, cnt * sizeof(*final));
	dl_free(items);
	*list = final;
	*count = cnt;
	return 0;
}

enum field_kind { F_STR, F_LIST, F_DICT };

static int fill_field(struct an *A, dl_setup_args *args, const struct val *v, const char *field, int kind,
                      unsigned long line, dl_setup_value *out)
{
	if (v->kind == V_NONE)
		return 0; /* None is falsy: as if not given */
	if (kind == F_STR) {
		if (v->kind != V_STR || has_nul(v))
			return set_dyn(args, out, line, field, "is not a plain string");
		out->str = dl_arena_strndup(args->arena, v->s, v->len);
		if (out->str == NULL)
			return dl_error_oom();
	} else if (kind == F_LIST) {
		const char **list = NULL;
		size_t count = 0;
		int rc = to_list(A, args, v, field, line, &list, &count, out);
		if (rc < 0 || out->state == DL_SETUP_DYNAMIC)
			return rc;
		out->list = list;
		out->count = count;
	} else {
		if (v->kind != V_DICT)
			return set_dyn(args, out, line, field, "is not a dict");
		size_t n = v->n / 2;
		dl_setup_extra *extras = dl_arena_calloc(args->arena, n ? n : 1, sizeof(*extras));
		if (extras == NULL)
			return dl_error_oom();
		for (size_t i = 0; i < n; i++) {
			const struct val *k = v->items[2 * i], *x = v->items[2 * i + 1];
			if (k->kind != V_STR || has_nul(k))
				return set_dyn(args, out, line, field, "has a key that is not a plain string");
			extras[i].name = dl_arena_strndup(args->arena, k->s, k->len);
			if (extras[i].name == NULL)
				return dl_error_oom();
			if (x->kind == V_NONE)
				continue; /* setuptools: `v or []` */
			char sub[300];
			snprintf(sub, sizeof(sub), "%s[%.200s]", field, extras[i].name);
			const char **list = NULL;
			size_t count = 0;
			int rc = to_list(A, args, x, sub, line, &list, &count, out);
			if (rc < 0 || out->state == DL_SETUP_DYNAMIC)
				return rc;
			extras[i].reqs = list;
			extras[i].count = count;
		}
		out->extras = extras;
		out->extras_count = n;
	}
	out->state = DL_SETUP_STATIC;
	out->line = line;
	return 0;
}

struct field {
	const char *name;
	int kind;
	size_t off;
};

static const struct field fields[] = {
    {"name", F_STR, offsetof(dl_setup_args, name)},
    {"version", F_STR, offsetof(dl_setup_args, version)},
    {"python_requires", F_STR, offsetof(dl_setup_args, python_requires)},
    {"install_requires", F_LIST, offsetof(dl_setup_args, install_requires)},
    {"setup_requires", F_LIST, offsetof(dl_setup_args, setup_requires)},
    {"extras_require", F_DICT, offsetof(dl_setup_args, extras_require)},
};

#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

static int whole(dl_setup_args *args, const char *reason)
{
	args->whole_reason = dl_arena_strndup(args->arena, reason, strlen(reason));
	if (args->whole_reason == NULL)
		return dl_error_oom();
	for (size_t k = 0; k < N_FIELDS; k++) {
		dl_setup_value *v = (dl_setup_value *)((char *)args + fields[k].off);
		v->state = DL_SETUP_DYNAMIC;
		v->reason = args->whole_reason;
	}
	return 0;
}

static int analyse_call(struct an *A, dl_setup_args *args, const struct call *c)
{
	/* keyword arguments of the call */
	size_t kw_start[N_FIELDS], kw_end[N_FIELDS];
	unsigned long kw_line[N_FIELDS];
	bool given[N_FIELDS] = {false};
	const struct tok *starstar = NULL;
	int d = 0;
	size_t start = c->open + 1;
	for (size_t i = c->open + 1; i <= c->close; i++) {
		const struct tok *t = &A->toks[i];
		if (i < c->close) {
			if (is_open(t))
				d++;
			else if (is_close(t))
				d--;
			if (!(d == 0 && is_op(t, ",")))
				continue;
		}
		if (i > start) {
			const struct tok *a0 = &A->toks[start];
			if (is_op(a0, "**") && starstar == NULL)
				starstar = a0;
			if (a0->kind == TK_NAME && start + 1 < i && is_op(&A->toks[start + 1], "=")) {
				for (size_t k = 0; k < N_FIELDS; k++) {
					if (!tok_is(a0, TK_NAME, fields[k].name))
						continue;
					if (given[k]) {
						char msg[200];
						snprintf(msg, sizeof(msg), "setup() is given '%s' twice (line %u), which Python rejects",
						         fields[k].name, a0->line);
						return whole(args, msg);
					}
					given[k] = true;
					kw_start[k] = start + 2;
					kw_end[k] = i;
					kw_line[k] = a0->line;
				}
			}
		}
		start = i + 1;
	}
	for (size_t k = 0; k < N_FIELDS; k++) {
		dl_setup_value *out = (dl_setup_value *)((char *)args + fields[k].off);
		if (!given[k]) {
			if (starstar != NULL) {
				char clause[200];
				snprintf(clause, sizeof(clause), "may be supplied by the '**' argument of setup() at line %u",
				         starstar->line);
				int rc = set_dyn(args, out, starstar->line, fields[k].name, clause);
				if (rc < 0)
					return rc;
			}
			continue;
		}
		A->values = 0;
		struct val *v = NULL;
		struct fail f = {NULL};
		int rc = eval_expr(A, kw_start[k], kw_end[k], c->pos, 0, &v, &f);
		if (rc < 0)
			return rc;
		if (rc == 1) {
			rc = set_dyn(args, out, kw_line[k], fields[k].name, f.clause);
		} else {
			rc = fill_field(A, args, v, fields[k].name, fields[k].kind, kw_line[k], out);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void an_free(struct an *A)
{
	dl_free(A->toks);
	dl_free(A->binds);
	dl_free(A->uses);
	dl_free(A->calls);
	dl_free(A->aliases);
	dl_free(A->globals);
	dl_arena_free(A->arena);
}

int dl_setuppy_analyze(dl_setup_args **out, const char *src, size_t len, const char *source)
{
	if (out == NULL || (src == NULL && len > 0))
		return dl_error_set(DL_EINVAL, "dl_setuppy_analyze: NULL argument");
	const char *name = source != NULL ? source : "setup.py";
	if (len > DL_SETUPPY_MAX_INPUT)
		return dl_error_set(DL_ELIMIT, "%s: larger than %zu bytes", name, DL_SETUPPY_MAX_INPUT);
	struct an A;
	memset(&A, 0, sizeof(A));
	A.src = src != NULL ? src : "";
	A.len = len;
	A.source = name;
	dl_setup_args *args = NULL;
	int rc = dl_arena_new(&A.arena);
	if (rc < 0)
		return rc;
	rc = tokenize(&A);
	if (rc < 0)
		goto fail;
	rc = walk(&A);
	if (rc < 0)
		goto fail;
	args = dl_calloc(1, sizeof(*args));
	if (args == NULL) {
		rc = dl_error_oom();
		goto fail;
	}
	rc = dl_arena_new(&args->arena);
	if (rc < 0)
		goto fail;
	if (A.own_setup != NULL) {
		rc = whole(args, A.own_setup);
	} else if (A.ncalls == 0) {
		rc = whole(args, "setup.py has no call to setup() that deeplock recognises");
	} else if (A.ncalls > 1) {
		char msg[200];
		snprintf(msg, sizeof(msg), "setup() is called %zu times (lines %lu and %lu)", A.ncalls, A.calls[0].line,
		         A.calls[1].line);
		rc = whole(args, msg);
	} else if (A.calls[0].context != NULL) {
		rc = whole(args, A.calls[0].context);
	} else if (A.calls[0].origin != NULL) {
		rc = whole(args, A.calls[0].origin);
	} else {
		rc = analyse_call(&A, args, &A.calls[0]);
	}
	if (rc < 0)
		goto fail;
	an_free(&A);
	*out = args;
	return 0;
fail:
	dl_setup_args_free(args);
	an_free(&A);
	return rc;
}
