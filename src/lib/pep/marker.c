/*
 * marker.c - PEP 508 environment markers: parse, print, combine, evaluate.
 *
 * Representation.  A marker is one flat, immutable block: an array of nodes,
 * an array of child indices and a string pool, allocated together and
 * released with one dl_free (plus the pre-parsed version objects hanging off
 * comparison nodes).  A node is a constant (true/false), an n-ary `and` or
 * `or` whose children sit contiguously in the child array, or a comparison
 * of one interned variable with one literal.  Nested operators of the same
 * kind are always flattened, and a one-operand `and`/`or` never exists, so
 * the tree is canonical: two markers print the same exactly when their trees
 * are equal, and equality and hashing walk the tree without allocating.
 *
 * Parsing is recursive descent over the bytes (precedence: `or` < `and` <
 * parenthesised atom), the way pypa/packaging's tokenizer sees them: spaces
 * and tabs between tokens, keywords at word boundaries, strings in single
 * or double quotes with no escapes.  The parser first builds a scratch tree
 * whose literals still point into the input, then "emits" it into the final
 * block.  Emitting is also how dl_marker_and/dl_marker_or build their
 * results from two existing markers, so flattening, duplicate removal and
 * the pre-parsing of literals live in one place.
 *
 * Evaluation.  The environment interns each variable's value and pre-parses
 * the version-like ones once; each comparison node whose variable is
 * version-like and whose `<op><literal>` is a valid PEP 440 specifier
 * carries that specifier already parsed.  Evaluating is then a walk with
 * short-circuiting `and`/`or` and no allocation on the common paths.  The
 * same walk does three-valued (Kleene) evaluation when the extras are
 * unknown.
 */
#include <stdio.h>
#include <string.h>

#include "deeplock/marker.h"
#include "deeplock/name.h"
#include "deeplock/specifier.h"
#include "deeplock/version.h"

#define MARKER_MAX_INPUT (64 * 1024)
#define MARKER_MAX_DEPTH 64
#define ERR_SHOW 200 /* most input bytes quoted in an error message */

enum node_kind { NK_TRUE, NK_FALSE, NK_AND, NK_OR, NK_CMP };

enum node_flags {
	F_VAR_RIGHT = 1, /* the variable is the right operand */
	F_SPEC = 2,      /* pre is the dl_specset of "<op><literal>" */
	F_VER = 4        /* pre is the dl_version of the literal */
};

struct mnode {
	uint8_t kind;
	uint8_t op;
	uint8_t var;
	uint8_t flags;
	uint32_t a, b;   /* CMP: literal (offset, length) in str; AND/OR: children (start, count) */
	uint32_t na, nb; /* CMP on extras/dependency_groups: PEP 685 form of the literal */
	void *pre;       /* CMP: see F_SPEC / F_VER */
};

struct dl_marker {
	uint32_t root;
	uint32_t n_nodes;
	uint32_t n_kids;
	uint32_t n_str;
	struct mnode *nodes;
	uint32_t *kids;
	char *str;
};

/* The parts of a tree that emitting reads: a finished marker, or the
 * parser's scratch tree whose literals point into the input. */
struct view {
	const struct mnode *nodes;
	const uint32_t *kids;
	const char *str;
};

/* ------------------------------------------------------------------------ */
/* Variables and operators                                                  */

static const char *const var_names[DL_MARKER_VAR_COUNT] = {
	"python_version", "python_full_version", "os_name", "sys_platform",
	"platform_release", "platform_system", "platform_version", "platform_machine",
	"platform_python_implementation", "implementation_name", "implementation_version",
	"extra", "extras", "dependency_groups",
};

static const struct {
	const char *name;
	uint8_t var;
} var_aliases[] = {
	{"os.name", DL_MARKER_OS_NAME},
	{"sys.platform", DL_MARKER_SYS_PLATFORM},
	{"platform.version", DL_MARKER_PLATFORM_VERSION},
	{"platform.machine", DL_MARKER_PLATFORM_MACHINE},
	{"platform.python_implementation", DL_MARKER_PLATFORM_PYTHON_IMPLEMENTATION},
	{"python_implementation", DL_MARKER_PLATFORM_PYTHON_IMPLEMENTATION},
};

static const char *const op_names[DL_MARKER_OP_COUNT] = {
	"<", "<=", "==", "!=", ">=", ">", "~=", "===", "in", "not in",
};

const char *dl_marker_var_name(dl_marker_var var)
{
	if ((unsigned)var >= DL_MARKER_VAR_COUNT)
		return NULL;
	return var_names[var];
}

const char *dl_marker_op_name(dl_marker_op op)
{
	if ((unsigned)op >= DL_MARKER_OP_COUNT)
		return "?";
	return op_names[op];
}

static bool slice_is(const char *s, size_t len, const char *lit)
{
	size_t n = strlen(lit);
	return n == len && memcmp(s, lit, n) == 0;
}

int dl_marker_var_lookup(const char *s, size_t len)
{
	for (int i = 0; i < DL_MARKER_VAR_COUNT; i++) {
		if (slice_is(s, len, var_names[i]))
			return i;
	}
	for (size_t i = 0; i < sizeof(var_aliases) / sizeof(var_aliases[0]); i++) {
		if (slice_is(s, len, var_aliases[i].name))
			return var_aliases[i].var;
	}
	return -1;
}

/* Variables whose values packaging compares as versions when it can. */
static bool var_is_version(unsigned var)
{
	return var == DL_MARKER_PYTHON_VERSION || var == DL_MARKER_PYTHON_FULL_VERSION ||
	       var == DL_MARKER_IMPLEMENTATION_VERSION || var == DL_MARKER_PLATFORM_RELEASE;
}

static bool var_is_set(unsigned var)
{
	return var == DL_MARKER_EXTRAS || var == DL_MARKER_DEPENDENCY_GROUPS;
}

/* Variables whose literals are names compared in PEP 685 form. */
static bool var_is_name(unsigned var)
{
	return var == DL_MARKER_EXTRA || var_is_set(var);
}

/* Append the PEP 503/685 normal form of [s, s+len): runs of '-', '_', '.'
 * fold to one '-', ASCII letters to lower case.  Any bytes are accepted. */
static int buf_put_norm(dl_buf *b, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '-' || c == '_' || c == '.') {
			while (i + 1 < len && (s[i + 1] == '-' || s[i + 1] == '_' || s[i + 1] == '.'))
				i++;
			c = '-';
		} else {
			c = (char)dl_tolower((unsigned char)c);
		}
		int rc = dl_buf_putc(b, c);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Pre-parsed literals (the bridge to the version module)                   */

static void pre_free(struct mnode *n)
{
	if (n->kind != NK_CMP || n->pre == NULL)
		return;
	if (n->flags & F_SPEC)
		dl_specset_free(n->pre);
	else if (n->flags & F_VER)
		dl_version_free(n->pre);
	n->pre = NULL;
}

/* Build "<op><text>" in `small` (or a new buffer when it does not fit) and
 * parse it as a specifier set.  *spec is NULL, with no error, when it is
 * not a valid single specifier. */
static int parse_op_spec(dl_specset **spec, unsigned op, const char *text, size_t len)
{
	char small[128];
	const char *opname = op_names[op];
	size_t olen = strlen(opname);
	*spec = NULL;
	/* A ',' would make several specifiers; packaging builds one. */
	if (memchr(text, ',', len) != NULL)
		return 0;
	char *buf = olen + len <= sizeof(small) ? small : dl_malloc(olen + len);
	if (buf == NULL)
		return dl_error_oom();
	memcpy(buf, opname, olen);
	if (len > 0)
		memcpy(buf + olen, text, len);
	int rc = dl_specset_parse(spec, buf, olen + len);
	if (buf != small)
		dl_free(buf);
	if (rc == DL_EPARSE || rc == DL_ELIMIT) {
		dl_error_clear();
		*spec = NULL;
		return 0;
	}
	return rc;
}

/* Parse a version; *ver is NULL, with no error, when it is not one. */
static int parse_version_opt(dl_version **ver, const char *s, size_t len)
{
	*ver = NULL;
	int rc = dl_version_parse(ver, s, len);
	if (rc == DL_EPARSE || rc == DL_ELIMIT) {
		dl_error_clear();
		*ver = NULL;
		return 0;
	}
	return rc;
}

/* Pre-parse what evaluation will need of a comparison's literal: for a
 * version-like variable on the left, the specifier "<op><literal>"; on the
 * right, the literal as a version (the specifier is then built from the
 * environment's value, at evaluation). */
static int prepare_literal(struct mnode *n, const char *lit, size_t len)
{
	if (!var_is_version(n->var) || n->op == DL_MARKER_OP_IN || n->op == DL_MARKER_OP_NOT_IN)
		return 0;
	if (n->flags & F_VAR_RIGHT) {
		dl_version *v = NULL;
		int rc = parse_version_opt(&v, lit, len);
		if (rc < 0)
			return rc;
		if (v != NULL) {
			n->pre = v;
			n->flags |= F_VER;
		}
		return 0;
	}
	dl_specset *spec = NULL;
	int rc = parse_op_spec(&spec, n->op, lit, len);
	if (rc < 0)
		return rc;
	if (spec != NULL) {
		n->pre = spec;
		n->flags |= F_SPEC;
	}
	return 0;
}

static int env_parse_version(dl_version **out, const char *s, size_t len)
{
	return parse_version_opt(out, s, len);
}

/* `var <op> "literal"` with both sides versions: the specifier's
 * membership test, pre-releases allowed (as packaging's markers do). */
static int eval_version_left(const struct mnode *n, const dl_version *ver, bool *res)
{
	*res = dl_specset_contains(n->pre, ver, DL_PRERELEASES_ALLOW);
	return 0;
}

/* `"literal" <op> var`: packaging builds the specifier "<op><value>" from
 * the environment and asks whether it contains the literal. */
static int eval_version_right(const struct mnode *n, const char *value, size_t len, bool *handled, bool *res)
{
	dl_specset *spec = NULL;
	int rc = parse_op_spec(&spec, n->op, value, len);
	if (rc < 0 || spec == NULL)
		return rc;
	*res = dl_specset_contains(spec, n->pre, DL_PRERELEASES_ALLOW);
	*handled = true;
	dl_specset_free(spec);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Output builder: the growable form of a marker block                      */

struct out {
	struct mnode *nodes;
	size_t n_nodes, cap_nodes;
	uint32_t *kids;
	size_t n_kids, cap_kids;
	dl_buf str;
};

static void out_init(struct out *o)
{
	memset(o, 0, sizeof(*o));
	dl_buf_init(&o->str, MARKER_MAX_INPUT * 4);
}

static void out_free(struct out *o)
{
	for (size_t i = 0; i < o->n_nodes; i++)
		pre_free(&o->nodes[i]);
	dl_free(o->nodes);
	dl_free(o->kids);
	dl_buf_free(&o->str);
}

static int out_node(struct out *o, uint32_t *idx)
{
	if (o->n_nodes == o->cap_nodes) {
		size_t cap = o->cap_nodes ? o->cap_nodes * 2 : 8;
		void *p = o->nodes;
		int rc = dl_realloc_array(&p, cap, sizeof(struct mnode));
		if (rc < 0)
			return rc;
		o->nodes = p;
		o->cap_nodes = cap;
	}
	memset(&o->nodes[o->n_nodes], 0, sizeof(struct mnode));
	*idx = (uint32_t)o->n_nodes++;
	return 0;
}

static int out_kids(struct out *o, size_t n, uint32_t *start)
{
	if (o->n_kids + n > o->cap_kids) {
		size_t cap = o->cap_kids ? o->cap_kids : 8;
		while (cap < o->n_kids + n)
			cap *= 2;
		void *p = o->kids;
		int rc = dl_realloc_array(&p, cap, sizeof(uint32_t));
		if (rc < 0)
			return rc;
		o->kids = p;
		o->cap_kids = cap;
	}
	*start = (uint32_t)o->n_kids;
	o->n_kids += n;
	return 0;
}

/* Pack the builder into one block.  On success the builder no longer owns
 * the pre-parsed objects. */
static int out_finish(struct out *o, uint32_t root, dl_marker **out)
{
	if (o->str.failed)
		return o->str.failed;
	size_t nodes_sz, kids_sz, total;
	if (__builtin_mul_overflow(o->n_nodes, sizeof(struct mnode), &nodes_sz) ||
	    __builtin_mul_overflow(o->n_kids, sizeof(uint32_t), &kids_sz) ||
	    __builtin_add_overflow(sizeof(dl_marker), nodes_sz, &total) ||
	    __builtin_add_overflow(total, kids_sz, &total) ||
	    __builtin_add_overflow(total, o->str.len + 1, &total))
		return dl_error_set(DL_ELIMIT, "marker too large");
	/* struct dl_marker and struct mnode are pointer-aligned; the child
	 * array (4-byte) follows the nodes, the strings come last. */
	char *block = dl_malloc(total);
	if (block == NULL)
		return dl_error_oom();
	dl_marker *m = (dl_marker *)block;
	m->root = root;
	m->n_nodes = (uint32_t)o->n_nodes;
	m->n_kids = (uint32_t)o->n_kids;
	m->n_str = (uint32_t)o->str.len;
	m->nodes = (struct mnode *)(block + sizeof(dl_marker));
	m->kids = (uint32_t *)(block + sizeof(dl_marker) + nodes_sz);
	m->str = block + sizeof(dl_marker) + nodes_sz + kids_sz;
	if (nodes_sz > 0)
		memcpy(m->nodes, o->nodes, nodes_sz);
	if (kids_sz > 0)
		memcpy(m->kids, o->kids, kids_sz);
	if (o->str.len > 0)
		memcpy(m->str, o->str.ptr, o->str.len);
	m->str[o->str.len] = '\0';
	o->n_nodes = 0; /* the pre-parsed objects now belong to m */
	*out = m;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Structural equality and hashing over views                               */

static bool view_eq(const struct view *va, uint32_t ia, const struct view *vb, uint32_t ib)
{
	const struct mnode *a = &va->nodes[ia], *b = &vb->nodes[ib];
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case NK_TRUE:
	case NK_FALSE:
		return true;
	case NK_CMP:
		return a->op == b->op && a->var == b->var &&
		       (a->flags & F_VAR_RIGHT) == (b->flags & F_VAR_RIGHT) && a->b == b->b &&
		       memcmp(va->str + a->a, vb->str + b->a, a->b) == 0;
	default:
		if (a->b != b->b)
			return false;
		for (uint32_t i = 0; i < a->b; i++) {
			if (!view_eq(va, va->kids[a->a + i], vb, vb->kids[b->a + i]))
				return false;
		}
		return true;
	}
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t view_hash(const struct view *v, uint32_t i, uint64_t h)
{
	const struct mnode *n = &v->nodes[i];
	unsigned char head[4] = {n->kind, 0, 0, 0};
	if (n->kind == NK_CMP) {
		head[1] = n->op;
		head[2] = n->var;
		head[3] = (unsigned char)(n->flags & F_VAR_RIGHT);
	}
	h = fnv(h, head, sizeof(head));
	if (n->kind == NK_CMP) {
		h = fnv(h, v->str + n->a, n->b);
		h = fnv(h, "\0", 1);
	} else if (n->kind == NK_AND || n->kind == NK_OR) {
		for (uint32_t k = 0; k < n->b; k++)
			h = view_hash(v, v->kids[n->a + k], h);
		h = fnv(h, ")", 1);
	}
	return h;
}

/* ------------------------------------------------------------------------ */
/* Emitting: copy a (sub)tree from a view into the builder                  */

struct operand {
	const struct view *v;
	uint32_t idx;
};

struct oplist {
	struct operand *items;
	size_t n, cap;
};

static int oplist_push(struct oplist *l, const struct view *v, uint32_t idx)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		void *p = l->items;
		int rc = dl_realloc_array(&p, cap, sizeof(struct operand));
		if (rc < 0)
			return rc;
		l->items = p;
		l->cap = cap;
	}
	l->items[l->n].v = v;
	l->items[l->n].idx = idx;
	l->n++;
	return 0;
}

/* Collect the operands of `kind` under node idx, flattening nested nodes of
 * the same kind, and dropping operands equal to an earlier one when
 * `dedupe`. */
static int gather(struct oplist *l, const struct view *v, uint32_t idx, int kind, bool dedupe)
{
	const struct mnode *n = &v->nodes[idx];
	if (n->kind == kind) {
		for (uint32_t k = 0; k < n->b; k++) {
			int rc = gather(l, v, v->kids[n->a + k], kind, dedupe);
			if (rc < 0)
				return rc;
		}
		return 0;
	}
	if (dedupe) {
		for (size_t i = 0; i < l->n; i++) {
			if (view_eq(l->items[i].v, l->items[i].idx, v, idx))
				return 0;
		}
	}
	return oplist_push(l, v, idx);
}

static int emit(struct out *o, const struct view *v, uint32_t idx, uint32_t *res);

/* Emit a `kind` node over the operands of `l` (one operand: itself). */
static int emit_list(struct out *o, int kind, const struct oplist *l, uint32_t *res)
{
	if (l->n == 1)
		return emit(o, l->items[0].v, l->items[0].idx, res);
	uint32_t me, start;
	int rc = out_node(o, &me);
	if (rc < 0)
		return rc;
	rc = out_kids(o, l->n, &start);
	if (rc < 0)
		return rc;
	o->nodes[me].kind = (uint8_t)kind;
	o->nodes[me].a = start;
	o->nodes[me].b = (uint32_t)l->n;
	for (size_t i = 0; i < l->n; i++) {
		uint32_t child;
		rc = emit(o, l->items[i].v, l->items[i].idx, &child);
		if (rc < 0)
			return rc;
		o->kids[start + i] = child;
	}
	*res = me;
	return 0;
}

static int emit_cmp(struct out *o, const struct view *v, const struct mnode *src, uint32_t *res)
{
	uint32_t me;
	int rc = out_node(o, &me);
	if (rc < 0)
		return rc;
	struct mnode *n = &o->nodes[me];
	n->kind = NK_CMP;
	n->op = src->op;
	n->var = src->var;
	n->flags = src->flags & F_VAR_RIGHT;
	const char *lit = v->str + src->a;
	size_t off = o->str.len;
	if (src->var == DL_MARKER_EXTRA)
		rc = buf_put_norm(&o->str, lit, src->b);
	else
		rc = dl_buf_put(&o->str, lit, src->b);
	if (rc < 0)
		return rc;
	n->a = (uint32_t)off;
	n->b = (uint32_t)(o->str.len - off);
	if (var_is_set(src->var)) {
		size_t noff = o->str.len;
		rc = buf_put_norm(&o->str, lit, src->b);
		if (rc < 0)
			return rc;
		n->na = (uint32_t)noff;
		n->nb = (uint32_t)(o->str.len - noff);
	}
	rc = prepare_literal(n, lit, src->b);
	if (rc < 0)
		return rc;
	*res = me;
	return 0;
}

static int emit(struct out *o, const struct view *v, uint32_t idx, uint32_t *res)
{
	const struct mnode *src = &v->nodes[idx];
	int rc;
	switch (src->kind) {
	case NK_CMP:
		return emit_cmp(o, v, src, res);
	case NK_AND:
	case NK_OR: {
		struct oplist l = {0};
		rc = gather(&l, v, idx, src->kind, false);
		if (rc == 0)
			rc = emit_list(o, src->kind, &l, res);
		dl_free(l.items);
		return rc;
	}
	default: {
		uint32_t me;
		rc = out_node(o, &me);
		if (rc < 0)
			return rc;
		o->nodes[me].kind = src->kind;
		*res = me;
		return 0;
	}
	}
}

/* ------------------------------------------------------------------------ */
/* Parser                                                                   */

struct parser {
	const char *s;
	size_t len;
	size_t pos;
	const char *kind; /* "marker" or "requirement": what the error names */
	int depth;
	/* scratch tree; literals are (offset, length) into s */
	struct mnode *nodes;
	size_t n_nodes, cap_nodes;
	uint32_t *kids;
	size_t n_kids, cap_kids;
	uint32_t *stack; /* children of the and/or nodes being built */
	size_t n_stack, cap_stack;
};

static int perr_code(const struct parser *p, int code, size_t at, const char *fmt, va_list ap) DL_PRINTF(4, 0);

static int perr_code(const struct parser *p, int code, size_t at, const char *fmt, va_list ap)
{
	char what[600];
	vsnprintf(what, sizeof(what), fmt, ap);
	int show = p->len > ERR_SHOW ? ERR_SHOW : (int)p->len;
	return dl_error_set(code, "invalid %s '%.*s%s': %s at column %zu", p->kind, show, p->s,
	                    p->len > ERR_SHOW ? "..." : "", what, at + 1);
}

static int perr(const struct parser *p, size_t at, const char *fmt, ...) DL_PRINTF(3, 4);

/* Report a parse error: "invalid <kind> '<input>': <what> at column N". */
static int perr(const struct parser *p, size_t at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = perr_code(p, DL_EPARSE, at, fmt, ap);
	va_end(ap);
	return rc;
}

static int plimit(const struct parser *p, size_t at, const char *fmt, ...) DL_PRINTF(3, 4);

static int plimit(const struct parser *p, size_t at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = perr_code(p, DL_ELIMIT, at, fmt, ap);
	va_end(ap);
	return rc;
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'))
		p->pos++;
}

/* Word characters as a Python regex's \b sees them in a str: letters,
 * digits and '_', and (conservatively) any non-ASCII byte. */
static bool is_word(unsigned char c)
{
	return dl_isalnum(c) || c == '_' || c >= 0x80;
}

/* Does keyword `kw` start at `at`, ending at a word boundary? */
static bool kw_at(const struct parser *p, size_t at, const char *kw)
{
	size_t n = strlen(kw);
	if (at > p->len || p->len - at < n || memcmp(p->s + at, kw, n) != 0)
		return false;
	if (at > 0 && is_word((unsigned char)p->s[at - 1]))
		return false;
	return at + n == p->len || !is_word((unsigned char)p->s[at + n]);
}

static int scratch_node(struct parser *p, uint32_t *idx)
{
	if (p->n_nodes == p->cap_nodes) {
		size_t cap = p->cap_nodes ? p->cap_nodes * 2 : 8;
		void *q = p->nodes;
		int rc = dl_realloc_array(&q, cap, sizeof(struct mnode));
		if (rc < 0)
			return rc;
		p->nodes = q;
		p->cap_nodes = cap;
	}
	memset(&p->nodes[p->n_nodes], 0, sizeof(struct mnode));
	*idx = (uint32_t)p->n_nodes++;
	return 0;
}

static int stack_push(struct parser *p, uint32_t v)
{
	if (p->n_stack == p->cap_stack) {
		size_t cap = p->cap_stack ? p->cap_stack * 2 : 8;
		void *q = p->stack;
		int rc = dl_realloc_array(&q, cap, sizeof(uint32_t));
		if (rc < 0)
			return rc;
		p->stack = q;
		p->cap_stack = cap;
	}
	p->stack[p->n_stack++] = v;
	return 0;
}

/* Turn the stack entries from `base` up into the children of a new node. */
static int scratch_compound(struct parser *p, int kind, size_t base, uint32_t *res)
{
	size_t n = p->n_stack - base;
	if (n == 1) {
		*res = p->stack[base];
		p->n_stack = base;
		return 0;
	}
	if (p->n_kids + n > p->cap_kids) {
		size_t cap = p->cap_kids ? p->cap_kids : 8;
		while (cap < p->n_kids + n)
			cap *= 2;
		void *q = p->kids;
		int rc = dl_realloc_array(&q, cap, sizeof(uint32_t));
		if (rc < 0)
			return rc;
		p->kids = q;
		p->cap_kids = cap;
	}
	uint32_t me;
	int rc = scratch_node(p, &me);
	if (rc < 0)
		return rc;
	p->nodes[me].kind = (uint8_t)kind;
	p->nodes[me].a = (uint32_t)p->n_kids;
	p->nodes[me].b = (uint32_t)n;
	memcpy(p->kids + p->n_kids, p->stack + base, n * sizeof(uint32_t));
	p->n_kids += n;
	p->n_stack = base;
	*res = me;
	return 0;
}

/* One side of a comparison: a quoted string or a variable. */
struct operand_tok {
	bool is_var;
	int var;
	size_t start, len; /* the literal's contents, or the variable's spelling */
	size_t at;         /* where the token starts */
};

static int parse_operand(struct parser *p, struct operand_tok *t)
{
	skip_ws(p);
	t->at = p->pos;
	if (p->pos >= p->len)
		return perr(p, p->pos, "expected a marker variable or a quoted string, found end of input");
	char c = p->s[p->pos];
	if (c == '"' || c == '\'') {
		const char *end = memchr(p->s + p->pos + 1, c, p->len - p->pos - 1);
		if (end == NULL)
			return perr(p, p->pos, "unterminated quoted string");
		t->is_var = false;
		t->start = p->pos + 1;
		t->len = (size_t)(end - (p->s + t->start));
		if (memchr(p->s + t->start, '\0', t->len) != NULL)
			return perr(p, p->pos, "NUL byte in the quoted string");
		p->pos = (size_t)(end - p->s) + 1;
		return 0;
	}
	size_t e = p->pos;
	while (e < p->len && (is_word((unsigned char)p->s[e]) || p->s[e] == '.'))
		e++;
	if (e == p->pos)
		return perr(p, p->pos, "expected a marker variable or a quoted string");
	int var = dl_marker_var_lookup(p->s + p->pos, e - p->pos);
	if (var < 0) {
		int n = e - p->pos > 64 ? 64 : (int)(e - p->pos);
		return perr(p, p->pos,
		            "expected a marker variable or a quoted string, found '%.*s' "
		            "(literals need quotes; the variables are python_version, "
		            "python_full_version, os_name, sys_platform, platform_release, "
		            "platform_system, platform_version, platform_machine, "
		            "platform_python_implementation, implementation_name, "
		            "implementation_version, extra, extras, dependency_groups)",
		            n, p->s + p->pos);
	}
	t->is_var = true;
	t->var = var;
	t->start = p->pos;
	t->len = e - p->pos;
	p->pos = e;
	return 0;
}

static int parse_op(struct parser *p, uint8_t *op)
{
	skip_ws(p);
	static const struct {
		const char *text;
		uint8_t op;
	} ops[] = {
		{"===", DL_MARKER_OP_ARBITRARY}, {"==", DL_MARKER_OP_EQ}, {"~=", DL_MARKER_OP_COMPATIBLE},
		{"!=", DL_MARKER_OP_NE},         {"<=", DL_MARKER_OP_LE}, {">=", DL_MARKER_OP_GE},
		{"<", DL_MARKER_OP_LT},          {">", DL_MARKER_OP_GT},
	};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t n = strlen(ops[i].text);
		if (p->len - p->pos >= n && memcmp(p->s + p->pos, ops[i].text, n) == 0) {
			p->pos += n;
			*op = ops[i].op;
			return 0;
		}
	}
	if (kw_at(p, p->pos, "in")) {
		p->pos += 2;
		*op = DL_MARKER_OP_IN;
		return 0;
	}
	if (kw_at(p, p->pos, "not")) {
		p->pos += 3;
		size_t ws = p->pos;
		skip_ws(p);
		if (p->pos == ws)
			return perr(p, p->pos, "expected whitespace after 'not'");
		if (!kw_at(p, p->pos, "in"))
			return perr(p, p->pos, "expected 'in' after 'not'");
		p->pos += 2;
		*op = DL_MARKER_OP_NOT_IN;
		return 0;
	}
	return perr(p, p->pos, "expected a marker operator (one of <, <=, ==, !=, >=, >, ~=, ===, in, not in)");
}

static int parse_comparison(struct parser *p, uint32_t *res)
{
	struct operand_tok l, r;
	uint8_t op = 0;
	int rc = parse_operand(p, &l);
	if (rc == 0)
		rc = parse_op(p, &op);
	if (rc == 0)
		rc = parse_operand(p, &r);
	if (rc < 0)
		return rc;
	if (l.is_var == r.is_var) {
		return perr(p, l.at, l.is_var ? "a comparison of two marker variables is not allowed "
		                                "(one side must be a quoted string)"
		                              : "a comparison of two quoted strings is not allowed "
		                                "(one side must be a marker variable)");
	}
	const struct operand_tok *var = l.is_var ? &l : &r;
	const struct operand_tok *lit = l.is_var ? &r : &l;
	if (var_is_set((unsigned)var->var) &&
	    (l.is_var || (op != DL_MARKER_OP_IN && op != DL_MARKER_OP_NOT_IN))) {
		return perr(p, l.at, "'%s' is a set: it can only be tested with '\"name\" in %s' or '\"name\" not in %s'",
		            var_names[var->var], var_names[var->var], var_names[var->var]);
	}
	uint32_t me;
	rc = scratch_node(p, &me);
	if (rc < 0)
		return rc;
	struct mnode *n = &p->nodes[me];
	n->kind = NK_CMP;
	n->op = op;
	n->var = (uint8_t)var->var;
	n->flags = l.is_var ? 0 : F_VAR_RIGHT;
	n->a = (uint32_t)lit->start;
	n->b = (uint32_t)lit->len;
	*res = me;
	return 0;
}

static int parse_or(struct parser *p, uint32_t *res);

static int parse_atom(struct parser *p, uint32_t *res)
{
	skip_ws(p);
	int rc;
	if (p->pos < p->len && p->s[p->pos] == '(') {
		size_t open = p->pos;
		if (p->depth >= MARKER_MAX_DEPTH)
			return plimit(p, open, "parentheses nested deeper than %d levels", MARKER_MAX_DEPTH);
		p->pos++;
		p->depth++;
		rc = parse_or(p, res);
		p->depth--;
		if (rc < 0)
			return rc;
		skip_ws(p);
		if (p->pos >= p->len || p->s[p->pos] != ')')
			return perr(p, p->pos, "expected 'and', 'or' or ')' (to close the '(' of column %zu)", open + 1);
		p->pos++;
	} else {
		rc = parse_comparison(p, res);
		if (rc < 0)
			return rc;
	}
	skip_ws(p);
	return 0;
}

static int parse_and(struct parser *p, uint32_t *res)
{
	size_t base = p->n_stack;
	for (;;) {
		uint32_t atom;
		int rc = parse_atom(p, &atom);
		if (rc == 0)
			rc = stack_push(p, atom);
		if (rc < 0)
			return rc;
		if (!kw_at(p, p->pos, "and"))
			break;
		p->pos += 3;
	}
	return scratch_compound(p, NK_AND, base, res);
}

static int parse_or(struct parser *p, uint32_t *res)
{
	size_t base = p->n_stack;
	for (;;) {
		uint32_t term;
		int rc = parse_and(p, &term);
		if (rc == 0)
			rc = stack_push(p, term);
		if (rc < 0)
			return rc;
		if (!kw_at(p, p->pos, "or"))
			break;
		p->pos += 2;
	}
	return scratch_compound(p, NK_OR, base, res);
}

static void parser_free(struct parser *p)
{
	dl_free(p->nodes);
	dl_free(p->kids);
	dl_free(p->stack);
}

int dl_marker_parse_within(dl_marker **out, const char *s, size_t len, size_t *pos, const char *kind)
{
	*out = NULL;
	if (len > MARKER_MAX_INPUT)
		return dl_error_set(DL_ELIMIT, "invalid %s: longer than %d bytes", kind, MARKER_MAX_INPUT);
	struct parser p = {.s = s, .len = len, .pos = *pos, .kind = kind};
	uint32_t root;
	int rc = parse_or(&p, &root);
	if (rc == 0) {
		struct view v = {p.nodes, p.kids, s};
		struct out o;
		out_init(&o);
		uint32_t r;
		rc = emit(&o, &v, root, &r);
		if (rc == 0)
			rc = out_finish(&o, r, out);
		out_free(&o);
	}
	if (rc == 0)
		*pos = p.pos;
	parser_free(&p);
	return rc;
}

int dl_marker_parse(dl_marker **out, const char *s, size_t len)
{
	size_t pos = 0;
	dl_marker *m = NULL;
	*out = NULL;
	int rc = dl_marker_parse_within(&m, s, len, &pos, "marker");
	if (rc < 0)
		return rc;
	if (pos < len) {
		struct parser p = {.s = s, .len = len, .kind = "marker"};
		dl_marker_free(m);
		return perr(&p, pos, "expected 'and', 'or' or end of input");
	}
	*out = m;
	return 0;
}

void dl_marker_free(dl_marker *m)
{
	if (m == NULL)
		return;
	for (uint32_t i = 0; i < m->n_nodes; i++)
		pre_free(&m->nodes[i]);
	dl_free(m);
}

static int constant(dl_marker **out, int kind)
{
	struct out o;
	out_init(&o);
	uint32_t r;
	int rc = out_node(&o, &r);
	if (rc == 0) {
		o.nodes[r].kind = (uint8_t)kind;
		rc = out_finish(&o, r, out);
	}
	out_free(&o);
	return rc;
}

int dl_marker_true(dl_marker **out)
{
	*out = NULL;
	return constant(out, NK_TRUE);
}

int dl_marker_false(dl_marker **out)
{
	*out = NULL;
	return constant(out, NK_FALSE);
}

bool dl_marker_is_true(const dl_marker *m)
{
	return m == NULL || m->nodes[m->root].kind == NK_TRUE;
}

bool dl_marker_is_false(const dl_marker *m)
{
	return m != NULL && m->nodes[m->root].kind == NK_FALSE;
}

static struct view view_of(const dl_marker *m)
{
	struct view v = {m->nodes, m->kids, m->str};
	return v;
}

int dl_marker_clone(dl_marker **out, const dl_marker *m)
{
	*out = NULL;
	if (m == NULL)
		return dl_marker_true(out);
	struct view v = view_of(m);
	struct out o;
	out_init(&o);
	uint32_t r;
	int rc = emit(&o, &v, m->root, &r);
	if (rc == 0)
		rc = out_finish(&o, r, out);
	out_free(&o);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Printing                                                                 */

static int format_node(const dl_marker *m, uint32_t idx, dl_buf *b)
{
	const struct mnode *n = &m->nodes[idx];
	int rc = 0;
	switch (n->kind) {
	case NK_TRUE:
		return 0;
	case NK_FALSE:
		return dl_buf_puts(b, "python_version < \"0\"");
	case NK_CMP: {
		const char *lit = m->str + n->a;
		char q = memchr(lit, '"', n->b) != NULL ? '\'' : '"';
		if (!(n->flags & F_VAR_RIGHT)) {
			dl_buf_puts(b, var_names[n->var]);
			dl_buf_putc(b, ' ');
			dl_buf_puts(b, op_names[n->op]);
			dl_buf_putc(b, ' ');
			dl_buf_putc(b, q);
			dl_buf_put(b, lit, n->b);
			rc = dl_buf_putc(b, q);
		} else {
			dl_buf_putc(b, q);
			dl_buf_put(b, lit, n->b);
			dl_buf_putc(b, q);
			dl_buf_putc(b, ' ');
			dl_buf_puts(b, op_names[n->op]);
			dl_buf_putc(b, ' ');
			rc = dl_buf_puts(b, var_names[n->var]);
		}
		return rc;
	}
	default:
		for (uint32_t k = 0; k < n->b; k++) {
			uint32_t kid = m->kids[n->a + k];
			if (k > 0)
				dl_buf_puts(b, n->kind == NK_AND ? " and " : " or ");
			bool paren = n->kind == NK_AND && m->nodes[kid].kind == NK_OR;
			if (paren)
				dl_buf_putc(b, '(');
			rc = format_node(m, kid, b);
			if (rc < 0)
				return rc;
			if (paren)
				rc = dl_buf_putc(b, ')');
		}
		return rc < 0 ? rc : b->failed;
	}
}

int dl_marker_format(const dl_marker *m, dl_buf *out)
{
	if (m == NULL)
		return out->failed;
	int rc = format_node(m, m->root, out);
	return rc < 0 ? rc : out->failed;
}

int dl_marker_to_string(char **out, const dl_marker *m)
{
	dl_buf b = DL_BUF_INIT;
	*out = NULL;
	int rc = dl_buf_put(&b, "", 0);
	if (rc == 0)
		rc = dl_marker_format(m, &b);
	if (rc < 0) {
		dl_buf_free(&b);
		return rc;
	}
	*out = dl_buf_detach(&b, NULL);
	return 0;
}

bool dl_marker_eq(const dl_marker *a, const dl_marker *b)
{
	if (dl_marker_is_true(a) || dl_marker_is_true(b))
		return dl_marker_is_true(a) && dl_marker_is_true(b);
	struct view va = view_of(a), vb = view_of(b);
	return view_eq(&va, a->root, &vb, b->root);
}

uint64_t dl_marker_hash(const dl_marker *m)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	if (dl_marker_is_true(m)) {
		unsigned char t = NK_TRUE;
		return fnv(h, &t, 1);
	}
	struct view v = view_of(m);
	return view_hash(&v, m->root, h);
}

/* ------------------------------------------------------------------------ */
/* Combination                                                              */

static int combine(dl_marker **out, const dl_marker *a, const dl_marker *b, int kind)
{
	/* For `and` true is the identity and false absorbs; for `or` the
	 * reverse. */
	int identity = kind == NK_AND ? NK_TRUE : NK_FALSE;
	int absorbing = kind == NK_AND ? NK_FALSE : NK_TRUE;
	int ka = a == NULL ? NK_TRUE : a->nodes[a->root].kind;
	int kb = b == NULL ? NK_TRUE : b->nodes[b->root].kind;
	*out = NULL;
	if (ka == absorbing || kb == absorbing)
		return constant(out, absorbing);
	if (ka == identity)
		return b == NULL ? constant(out, NK_TRUE) : dl_marker_clone(out, b);
	if (kb == identity)
		return dl_marker_clone(out, a);
	struct view va = view_of(a), vb = view_of(b);
	struct oplist l = {0};
	struct out o;
	out_init(&o);
	uint32_t r;
	int rc = gather(&l, &va, a->root, kind, true);
	if (rc == 0)
		rc = gather(&l, &vb, b->root, kind, true);
	if (rc == 0)
		rc = emit_list(&o, kind, &l, &r);
	if (rc == 0)
		rc = out_finish(&o, r, out);
	out_free(&o);
	dl_free(l.items);
	return rc;
}

int dl_marker_and(dl_marker **out, const dl_marker *a, const dl_marker *b)
{
	return combine(out, a, b, NK_AND);
}

int dl_marker_or(dl_marker **out, const dl_marker *a, const dl_marker *b)
{
	return combine(out, a, b, NK_OR);
}

bool dl_marker_uses_var(const dl_marker *m, dl_marker_var var)
{
	if (m == NULL)
		return false;
	for (uint32_t i = 0; i < m->n_nodes; i++) {
		if (m->nodes[i].kind == NK_CMP && m->nodes[i].var == (uint8_t)var)
			return true;
	}
	return false;
}

bool dl_marker_mentions_extra(const dl_marker *m)
{
	return dl_marker_uses_var(m, DL_MARKER_EXTRA) || dl_marker_uses_var(m, DL_MARKER_EXTRAS);
}

/* ------------------------------------------------------------------------ */
/* The read-only node view                                                  */

uint32_t dl_marker_root(const dl_marker *m)
{
	return m->root;
}

void dl_marker_node_get(const dl_marker *m, uint32_t idx, dl_marker_node *out)
{
	const struct mnode *n = &m->nodes[idx];
	memset(out, 0, sizeof(*out));
	switch (n->kind) {
	case NK_TRUE:
		out->kind = DL_MARKER_NODE_TRUE;
		break;
	case NK_FALSE:
		out->kind = DL_MARKER_NODE_FALSE;
		break;
	case NK_AND:
	case NK_OR:
		out->kind = n->kind == NK_AND ? DL_MARKER_NODE_AND : DL_MARKER_NODE_OR;
		out->kids = m->kids + n->a;
		out->nkids = n->b;
		break;
	default:
		out->kind = DL_MARKER_NODE_CMP;
		out->var = (dl_marker_var)n->var;
		out->op = (dl_marker_op)n->op;
		out->var_right = (n->flags & F_VAR_RIGHT) != 0;
		out->literal = m->str + n->a;
		out->literal_len = n->b;
		break;
	}
}

/* ------------------------------------------------------------------------ */
/* Environment                                                              */

struct nameset {
	char **names; /* PEP 685 normal form, NUL-terminated */
	size_t *lens;
	size_t n, cap;
};

struct dl_marker_env {
	char *val[DL_MARKER_VAR_COUNT];
	size_t len[DL_MARKER_VAR_COUNT];
	dl_version *ver[DL_MARKER_VAR_COUNT]; /* version-like variables that parse */
	struct nameset extras;
	struct nameset groups;
};

int dl_marker_env_new(dl_marker_env **out)
{
	*out = dl_calloc(1, sizeof(dl_marker_env));
	if (*out == NULL)
		return dl_error_oom();
	return 0;
}

static void nameset_clear(struct nameset *s)
{
	for (size_t i = 0; i < s->n; i++)
		dl_free(s->names[i]);
	dl_free(s->names);
	dl_free(s->lens);
	memset(s, 0, sizeof(*s));
}

void dl_marker_env_unset(dl_marker_env *env, dl_marker_var var)
{
	if ((unsigned)var >= DL_MARKER_VAR_COUNT)
		return;
	if (var == DL_MARKER_EXTRA || var == DL_MARKER_EXTRAS) {
		nameset_clear(&env->extras);
		return;
	}
	if (var == DL_MARKER_DEPENDENCY_GROUPS) {
		nameset_clear(&env->groups);
		return;
	}
	dl_free(env->val[var]);
	env->val[var] = NULL;
	env->len[var] = 0;
	if (env->ver[var] != NULL)
		dl_version_free(env->ver[var]);
	env->ver[var] = NULL;
}

void dl_marker_env_free(dl_marker_env *env)
{
	if (env == NULL)
		return;
	for (int i = 0; i < DL_MARKER_VAR_COUNT; i++)
		dl_marker_env_unset(env, (dl_marker_var)i);
	dl_free(env);
}

static bool nameset_has(const struct nameset *s, const char *norm, size_t len)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->lens[i] == len && memcmp(s->names[i], norm, len) == 0)
			return true;
	}
	return false;
}

static int nameset_add(struct nameset *s, const char *name, size_t len)
{
	dl_buf b = DL_BUF_INIT;
	int rc = dl_buf_put(&b, "", 0);
	if (rc == 0)
		rc = buf_put_norm(&b, name, len);
	if (rc < 0) {
		dl_buf_free(&b);
		return rc;
	}
	size_t nlen = b.len;
	if (nameset_has(s, b.ptr, nlen)) {
		dl_buf_free(&b);
		return 0;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4;
		void *p = s->names;
		rc = dl_realloc_array(&p, cap, sizeof(char *));
		if (rc == 0) {
			s->names = p;
			p = s->lens;
			rc = dl_realloc_array(&p, cap, sizeof(size_t));
			if (rc == 0) {
				s->lens = p;
				s->cap = cap;
			}
		}
		if (rc < 0) {
			dl_buf_free(&b);
			return rc;
		}
	}
	s->names[s->n] = dl_buf_detach(&b, NULL);
	s->lens[s->n] = nlen;
	s->n++;
	return 0;
}

int dl_marker_env_add_extra(dl_marker_env *env, const char *name, size_t len)
{
	return nameset_add(&env->extras, name, len);
}

int dl_marker_env_add_group(dl_marker_env *env, const char *name, size_t len)
{
	return nameset_add(&env->groups, name, len);
}

int dl_marker_env_set(dl_marker_env *env, dl_marker_var var, const char *value, size_t len)
{
	if ((unsigned)var >= DL_MARKER_VAR_COUNT)
		return dl_error_set(DL_EINVAL, "unknown marker variable number %d", (int)var);
	if (var_is_set(var))
		return dl_error_set(DL_EINVAL, "'%s' is a set: add names to it one by one", var_names[var]);
	if (var == DL_MARKER_EXTRA) {
		nameset_clear(&env->extras);
		return len == 0 ? 0 : nameset_add(&env->extras, value, len);
	}
	bool plus = var == DL_MARKER_PYTHON_FULL_VERSION && len > 0 && value[len - 1] == '+';
	size_t total = len + (plus ? 5 : 0);
	char *copy = dl_malloc(total + 1);
	if (copy == NULL)
		return dl_error_oom();
	if (len > 0)
		memcpy(copy, value, len);
	if (plus)
		memcpy(copy + len, "local", 5);
	copy[total] = '\0';
	dl_version *ver = NULL;
	if (var_is_version(var)) {
		int rc = env_parse_version(&ver, copy, total);
		if (rc < 0) {
			dl_free(copy);
			return rc;
		}
	}
	dl_marker_env_unset(env, var);
	env->val[var] = copy;
	env->len[var] = total;
	env->ver[var] = ver;
	return 0;
}

int dl_marker_env_set_by_name(dl_marker_env *env, const char *name, size_t name_len, const char *value,
                              size_t len)
{
	int var = dl_marker_var_lookup(name, name_len);
	if (var < 0) {
		int n = name_len > 64 ? 64 : (int)name_len;
		return dl_error_set(DL_EINVAL, "unknown marker variable '%.*s'", n, name);
	}
	return dl_marker_env_set(env, (dl_marker_var)var, value, len);
}

const char *dl_marker_env_get(const dl_marker_env *env, dl_marker_var var)
{
	if ((unsigned)var >= DL_MARKER_VAR_COUNT)
		return NULL;
	return env->val[var];
}

/* ------------------------------------------------------------------------ */
/* Evaluation                                                               */

struct ectx {
	const dl_marker_env *env;
	const char *const *extras; /* override of env->extras, any spelling */
	size_t n_extras;
	bool override;
	bool partial;
};

static bool substr(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	if (nlen == 0)
		return true;
	if (nlen > hlen)
		return false;
	for (size_t i = 0; i + nlen <= hlen; i++) {
		if (hay[i] == needle[0] && memcmp(hay + i, needle, nlen) == 0)
			return true;
	}
	return false;
}

static int undefined(const struct mnode *n, const char *lhs, size_t llen, const char *rhs, size_t rlen)
{
	int l = llen > 100 ? 100 : (int)llen, r = rlen > 100 ? 100 : (int)rlen;
	return dl_error_set(DL_EINVAL,
	                    "undefined marker comparison '%.*s' %s '%.*s' (on %s): '%s' needs PEP 440 "
	                    "versions on both sides, and only ==, !=, in and not in compare strings",
	                    l, lhs, op_names[n->op], r, rhs, var_names[n->var], op_names[n->op]);
}

/* ==, !=, in and not in on strings; anything else is undefined. */
static int string_op(const struct mnode *n, const char *lhs, size_t llen, const char *rhs, size_t rlen,
                     bool *res)
{
	switch (n->op) {
	case DL_MARKER_OP_EQ:
		*res = llen == rlen && memcmp(lhs, rhs, llen) == 0;
		return 0;
	case DL_MARKER_OP_NE:
		*res = !(llen == rlen && memcmp(lhs, rhs, llen) == 0);
		return 0;
	case DL_MARKER_OP_IN:
		*res = substr(rhs, rlen, lhs, llen);
		return 0;
	case DL_MARKER_OP_NOT_IN:
		*res = !substr(rhs, rlen, lhs, llen);
		return 0;
	default:
		return undefined(n, lhs, llen, rhs, rlen);
	}
}

/* One active extra, already in normal form or normalised here. */
static int extra_op(const struct mnode *n, const char *lit, const char *e, size_t elen, bool raw, bool *res)
{
	char small[128];
	char *norm = NULL;
	const char *use = e;
	size_t ulen = elen;
	if (raw) {
		norm = elen < sizeof(small) ? small : dl_malloc(elen + 1);
		if (norm == NULL)
			return dl_error_oom();
		ulen = dl_name_normalize_into(norm, e, elen);
		use = norm;
	}
	int rc = (n->flags & F_VAR_RIGHT) ? string_op(n, lit, n->b, use, ulen, res)
	                                  : string_op(n, use, ulen, lit, n->b, res);
	if (norm != small)
		dl_free(norm);
	return rc;
}

static int eval_extra(const dl_marker *m, const struct mnode *n, const struct ectx *c, bool *res)
{
	const char *lit = m->str + n->a;
	size_t count = c->override ? c->n_extras : c->env->extras.n;
	if (count == 0)
		return extra_op(n, lit, "", 0, false, res);
	if (n->op == DL_MARKER_OP_EQ || n->op == DL_MARKER_OP_NE) {
		bool found = false;
		for (size_t i = 0; i < count && !found; i++) {
			if (c->override)
				found = dl_name_eq(c->extras[i], strlen(c->extras[i]), lit, n->b);
			else
				found = c->env->extras.lens[i] == n->b &&
				        memcmp(c->env->extras.names[i], lit, n->b) == 0;
		}
		*res = (n->op == DL_MARKER_OP_EQ) == found;
		return 0;
	}
	for (size_t i = 0; i < count; i++) {
		bool r;
		int rc = c->override ? extra_op(n, lit, c->extras[i], strlen(c->extras[i]), true, &r)
		                     : extra_op(n, lit, c->env->extras.names[i], c->env->extras.lens[i], false, &r);
		if (rc < 0)
			return rc;
		if (r) {
			*res = true;
			return 0;
		}
	}
	*res = false;
	return 0;
}

static int eval_set(const dl_marker *m, const struct mnode *n, const struct ectx *c, bool *res)
{
	const char *norm = m->str + n->na;
	bool found = false;
	if (n->var == DL_MARKER_DEPENDENCY_GROUPS) {
		found = nameset_has(&c->env->groups, norm, n->nb);
	} else if (c->override) {
		for (size_t i = 0; i < c->n_extras && !found; i++)
			found = dl_name_eq(c->extras[i], strlen(c->extras[i]), norm, n->nb);
	} else {
		found = nameset_has(&c->env->extras, norm, n->nb);
	}
	*res = (n->op == DL_MARKER_OP_IN) == found;
	return 0;
}

static int eval_cmp(const dl_marker *m, const struct mnode *n, const struct ectx *c, bool *res)
{
	if (var_is_name(n->var) && c->partial)
		return 1; /* unknown */
	if (n->var == DL_MARKER_EXTRA)
		return eval_extra(m, n, c, res);
	if (var_is_set(n->var))
		return eval_set(m, n, c, res);
	const char *value = c->env->val[n->var];
	size_t vlen = c->env->len[n->var];
	if (value == NULL)
		return dl_error_set(DL_ENOTFOUND, "marker variable '%s' is not set in the environment",
		                    var_names[n->var]);
	if ((n->flags & F_SPEC) && c->env->ver[n->var] != NULL)
		return eval_version_left(n, c->env->ver[n->var], res);
	if (n->flags & F_VER) {
		bool handled = false;
		int rc = eval_version_right(n, value, vlen, &handled, res);
		if (rc < 0 || handled)
			return rc;
	}
	const char *lit = m->str + n->a;
	if (n->flags & F_VAR_RIGHT)
		return string_op(n, lit, n->b, value, vlen, res);
	return string_op(n, value, vlen, lit, n->b, res);
}

/* Returns a negative code, or 0 with *val set (three-valued). */
static int eval_node(const dl_marker *m, uint32_t idx, const struct ectx *c, dl_marker_value *val)
{
	const struct mnode *n = &m->nodes[idx];
	switch (n->kind) {
	case NK_TRUE:
		*val = DL_MARKER_TRUE;
		return 0;
	case NK_FALSE:
		*val = DL_MARKER_FALSE;
		return 0;
	case NK_CMP: {
		bool r = false;
		int rc = eval_cmp(m, n, c, &r);
		if (rc < 0)
			return rc;
		*val = rc == 1 ? DL_MARKER_UNKNOWN : (r ? DL_MARKER_TRUE : DL_MARKER_FALSE);
		return 0;
	}
	default: {
		/* `and` stops at the first false, `or` at the first true;
		 * otherwise any unknown operand makes the result unknown. */
		dl_marker_value stop = n->kind == NK_AND ? DL_MARKER_FALSE : DL_MARKER_TRUE;
		bool unknown = false;
		for (uint32_t k = 0; k < n->b; k++) {
			dl_marker_value v;
			int rc = eval_node(m, m->kids[n->a + k], c, &v);
			if (rc < 0)
				return rc;
			if (v == stop) {
				*val = stop;
				return 0;
			}
			if (v == DL_MARKER_UNKNOWN)
				unknown = true;
		}
		*val = unknown ? DL_MARKER_UNKNOWN : (n->kind == NK_AND ? DL_MARKER_TRUE : DL_MARKER_FALSE);
		return 0;
	}
	}
}

int dl_marker_evaluate(const dl_marker *m, const dl_marker_env *env, bool *out)
{
	*out = true;
	if (m == NULL)
		return 0;
	struct ectx c = {.env = env};
	dl_marker_value v;
	int rc = eval_node(m, m->root, &c, &v);
	if (rc == 0)
		*out = v == DL_MARKER_TRUE;
	return rc;
}

int dl_marker_evaluate_extras(const dl_marker *m, const dl_marker_env *env, const char *const *extras, size_t n,
                              bool *out)
{
	*out = true;
	if (m == NULL)
		return 0;
	struct ectx c = {.env = env, .extras = extras, .n_extras = n, .override = true};
	dl_marker_value v;
	int rc = eval_node(m, m->root, &c, &v);
	if (rc == 0)
		*out = v == DL_MARKER_TRUE;
	return rc;
}

int dl_marker_evaluate_partial(const dl_marker *m, const dl_marker_env *env, dl_marker_value *out)
{
	*out = DL_MARKER_TRUE;
	if (m == NULL)
		return 0;
	struct ectx c = {.env = env, .partial = true};
	return eval_node(m, m->root, &c, out);
}
