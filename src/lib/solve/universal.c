/*
 * universal.c - resolving for a whole region of environments by forking
 * (see "Universal resolution" in deeplock/pyresolve.h).
 *
 * The driver keeps a list of pieces still to resolve, starting with the
 * region.  Each piece gets a session of its own; when its solve stops
 * because requirements on one project differ across the piece, the
 * session names the parts, and the piece is replaced, at the front of the
 * list, by the cells those parts cut it into (every non-empty
 * intersection of the parts and their complements).  Restarting the
 * piece, rather than copying the solver's state as uv does, keeps the
 * solver free of forking; the price is solving the common prefix again,
 * which on a loopback or cached index costs little.
 *
 * When every piece is solved, the versions are merged: within a piece,
 * where a version is needed is found by walking the result's "why" edges
 * from the root (the piece itself) through each requirement's marker
 * (evaluated with the extras its requirer activated), to a fixed point;
 * across pieces, the parts of the same version are joined.  Markers are
 * printed by mregion.h, so the same resolution always prints the same.
 */
#include <stdlib.h>
#include <string.h>

#include "deeplock/pyresolve.h"
#include "deeplock/requirement.h"
#include "deeplock/version.h"

typedef struct ubox {
	dl_py_universal pub;
	dl_arena *arena;
	dl_py_result **results;
	dl_mregion **regions; /* the piece of each result */
	size_t n;
} ubox;

void dl_py_universal_free(dl_py_universal *u)
{
	if (u == NULL)
		return;
	ubox *b = (ubox *)u;
	for (size_t i = 0; i < b->n; i++) {
		dl_py_result_free(b->results[i]);
		dl_mregion_free(b->regions[i]);
	}
	dl_free(b->results);
	dl_free(b->regions);
	dl_arena_free(b->arena);
	dl_free(b);
}

/* ---- pieces ------------------------------------------------------------- */

typedef struct rlist {
	dl_mregion **r;
	size_t n, cap;
} rlist;

static int rlist_push(rlist *l, dl_mregion *r)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		if (dl_realloc_array((void **)&l->r, cap, sizeof(*l->r)) < 0) {
			dl_mregion_free(r);
			return dl_error_oom();
		}
		l->cap = cap;
	}
	l->r[l->n++] = r;
	return 0;
}

static void rlist_clear(rlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		dl_mregion_free(l->r[i]);
	dl_free(l->r);
	memset(l, 0, sizeof(*l));
}

/* The cells `parts` cut `piece` into, in a fixed order. */
static int cut(rlist *cells, const dl_mregion *piece, const dl_mregion *const *parts, size_t nparts)
{
	dl_mregion *first = NULL;
	int rc = dl_mregion_clone(&first, piece);
	if (rc == 0)
		rc = rlist_push(cells, first);
	for (size_t p = 0; p < nparts && rc == 0; p++) {
		rlist next = {0};
		dl_mregion *outside = NULL;
		rc = dl_mregion_not(&outside, parts[p]);
		for (size_t i = 0; i < cells->n && rc == 0; i++) {
			dl_mregion *in = NULL, *out = NULL;
			if ((rc = dl_mregion_and(&in, cells->r[i], parts[p])) == 0)
				rc = dl_mregion_and(&out, cells->r[i], outside);
			if (rc == 0 && !dl_mregion_is_empty(in)) {
				rc = rlist_push(&next, in);
				in = NULL;
			}
			if (rc == 0 && !dl_mregion_is_empty(out)) {
				rc = rlist_push(&next, out);
				out = NULL;
			}
			dl_mregion_free(in);
			dl_mregion_free(out);
		}
		dl_mregion_free(outside);
		rlist_clear(cells);
		*cells = next;
		if (rc < 0)
			rlist_clear(cells);
	}
	return rc;
}

/* ---- preferences -------------------------------------------------------- */

typedef struct prefs {
	dl_py_preference *p;
	size_t n, cap;
} prefs;

static int prefer(prefs *l, const char *name, const char *version)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->p[i].name, name) == 0)
			return 0;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		if (dl_realloc_array((void **)&l->p, cap, sizeof(*l->p)) < 0)
			return dl_error_oom();
		l->cap = cap;
	}
	l->p[l->n].name = name;
	l->p[l->n].version = version;
	l->n++;
	return 0;
}

/* ---- one piece ---------------------------------------------------------- */

/* Resolve one piece.  *result on a finished solve; otherwise the cells to
 * resolve instead go to *cells. */
static int solve_piece(const dl_py_source *src, const dl_py_options *opts, const dl_mregion *piece,
                       const prefs *pl, dl_py_result **result, rlist *cells, dl_py_stats *stats)
{
	dl_py_options o = *opts;
	o.region = piece;
	o.preferences = pl->p;
	o.npreferences = pl->n;
	dl_py_session *s = NULL;
	dl_solver *solver = NULL;
	bool solved = false;
	*result = NULL;
	int rc = dl_py_session_new(&s, src, &o);
	if (rc < 0)
		return rc;
	dl_solver_provider prov;
	dl_py_session_provider(s, &prov);
	if ((rc = dl_solver_new(&solver, &prov)) == 0)
		rc = dl_solver_solve(solver, &solved);
	const dl_mregion *const *parts = NULL;
	size_t nparts = dl_py_session_forks(s, &parts);
	if (rc < 0 && nparts > 0) {
		dl_error_clear();
		if ((rc = cut(cells, piece, parts, nparts)) == 0 && cells->n < 2)
			rc = dl_error_set(DL_ERROR, "a fork of the universal resolution made no progress");
	} else if (rc == 0) {
		rc = dl_py_session_result(s, solver, solved, result);
	}
	if (solver != NULL) {
		dl_solver_stats st = dl_solver_get_stats(solver);
		stats->decisions += st.decisions;
		stats->conflicts += st.conflicts;
	}
	dl_solver_free(solver);
	dl_py_session_free(s);
	return rc;
}

/* ---- merging ------------------------------------------------------------ */

static int pin_index(const dl_py_result *r, const char *name, size_t len)
{
	for (size_t i = 0; i < r->npins; i++) {
		if (strlen(r->pins[i].name) == len && memcmp(r->pins[i].name, name, len) == 0)
			return (int)i;
	}
	return -1;
}

/* Where requirement text `req` of requirer `by` applies (by "a[x]" means
 * with extra x; NULL is the root, with the options' extras). */
static int edge_region(dl_mregion **out, const dl_py_options *opts, const char *by, const char *req)
{
	dl_requirement *r = NULL;
	int rc = dl_requirement_parse(&r, req, strlen(req));
	if (rc < 0)
		return rc;
	const char *extra[1] = {NULL};
	const char *const *ex = NULL;
	size_t nx = 0;
	char *tmp = NULL;
	const char *br = by != NULL ? strchr(by, '[') : NULL;
	if (by == NULL) {
		ex = opts->extras;
		nx = opts->nextras;
	} else if (br != NULL) {
		const char *end = strchr(br, ']');
		tmp = dl_strndup(br + 1, end != NULL ? (size_t)(end - br - 1) : strlen(br + 1));
		if (tmp == NULL)
			rc = dl_error_oom();
		extra[0] = tmp;
		ex = extra;
		nx = 1;
	}
	if (rc == 0)
		rc = dl_mregion_from_marker(out, r->marker, ex, nx);
	dl_free(tmp);
	dl_requirement_free(r);
	return rc;
}

/* Where each pin of a piece's result is needed, into reach[npins]. */
static int reach_of(const dl_py_options *opts, const dl_mregion *piece, const dl_py_result *r, dl_mregion **reach)
{
	size_t nedges = 0;
	for (size_t i = 0; i < r->npins; i++)
		nedges += r->pins[i].nwhy;
	dl_mregion **edge = dl_calloc(nedges + 1, sizeof(*edge));
	int *from_pin = dl_calloc(nedges + 1, sizeof(*from_pin)); /* -1: the root; -2: not a pin */
	if (edge == NULL || from_pin == NULL) {
		dl_free(edge);
		dl_free(from_pin);
		return dl_error_oom();
	}
	int rc = 0;
	size_t e = 0;
	for (size_t i = 0; i < r->npins && rc == 0; i++) {
		for (size_t w = 0; w < r->pins[i].nwhy && rc == 0; w++, e++) {
			const char *by = r->pins[i].why[w].by;
			rc = edge_region(&edge[e], opts, by, r->pins[i].why[w].requirement);
			from_pin[e] = -1;
			if (by != NULL) {
				const char *br = strchr(by, '[');
				int k = pin_index(r, by, br != NULL ? (size_t)(br - by) : strlen(by));
				from_pin[e] = k < 0 ? -2 : k;
			}
		}
	}
	for (size_t i = 0; i < r->npins && rc == 0; i++)
		rc = dl_mregion_empty(&reach[i]);
	/* a fixed point: every pass either grows some reach or ends it */
	bool changed = true;
	for (size_t pass = 0; changed && rc == 0 && pass <= r->npins + 1; pass++) {
		changed = false;
		e = 0;
		for (size_t i = 0; i < r->npins && rc == 0; i++) {
			for (size_t w = 0; w < r->pins[i].nwhy && rc == 0; w++, e++) {
				if (from_pin[e] == -2)
					continue;
				const dl_mregion *from = from_pin[e] == -1 ? piece : reach[from_pin[e]];
				if (dl_mregion_is_empty(from))
					continue;
				dl_mregion *add = NULL, *grown = NULL;
				bool inside = true;
				if ((rc = dl_mregion_and(&add, from, edge[e])) == 0 && !dl_mregion_is_empty(add))
					rc = dl_mregion_subset(add, reach[i], &inside);
				if (rc == 0 && !inside && (rc = dl_mregion_or(&grown, reach[i], add)) == 0) {
					dl_mregion_free(reach[i]);
					reach[i] = grown;
					changed = true;
				}
				dl_mregion_free(add);
			}
		}
	}
	for (size_t i = 0; i < nedges; i++)
		dl_mregion_free(edge[i]);
	dl_free(edge);
	dl_free(from_pin);
	return rc;
}

typedef struct merged {
	const char *name, *version;
	dl_version v;
	dl_mregion *where;
	const char **extras;
	size_t nextras;
} merged;

static int cmp_merged(const void *a, const void *b)
{
	const merged *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c != 0 ? c : dl_version_cmp(&x->v, &y->v);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int add_extra(dl_arena *a, merged *m, const char *x)
{
	for (size_t i = 0; i < m->nextras; i++) {
		if (strcmp(m->extras[i], x) == 0)
			return 0;
	}
	const char **n = dl_arena_calloc(a, m->nextras + 1, sizeof(*n));
	if (n == NULL)
		return dl_error_oom();
	if (m->nextras > 0)
		memcpy(n, m->extras, m->nextras * sizeof(*n));
	n[m->nextras++] = x;
	m->extras = n;
	return 0;
}

static int merge(ubox *b, const dl_py_options *opts)
{
	size_t cap = 0;
	for (size_t f = 0; f < b->n; f++)
		cap += b->results[f]->npins;
	merged *m = dl_calloc(cap + 1, sizeof(*m));
	if (m == NULL)
		return dl_error_oom();
	size_t nm = 0;
	int rc = 0;
	for (size_t f = 0; f < b->n && rc == 0; f++) {
		const dl_py_result *r = b->results[f];
		dl_mregion **reach = dl_calloc(r->npins + 1, sizeof(*reach));
		if (reach == NULL) {
			rc = dl_error_oom();
			break;
		}
		rc = reach_of(opts, b->regions[f], r, reach);
		for (size_t i = 0; i < r->npins && rc == 0; i++) {
			const dl_py_pin *p = &r->pins[i];
			merged *t = NULL;
			/* A pin no chain of requirements reaches where they hold is
			 * installed nowhere: the piece chose it only because a
			 * requirement's marker meets the piece, though not where its
			 * requirer is installed.  It is left out of the lock. */
			if (dl_mregion_is_empty(reach[i]))
				continue;
			for (size_t k = 0; k < nm && t == NULL; k++) {
				if (strcmp(m[k].name, p->name) == 0 && strcmp(m[k].version, p->version) == 0)
					t = &m[k];
			}
			const dl_mregion *here = reach[i];
			if (t == NULL) {
				t = &m[nm++];
				t->name = p->name;
				t->version = p->version;
				if ((rc = dl_version_parse_into(&t->v, p->version, strlen(p->version))) < 0)
					break;
				rc = dl_mregion_clone(&t->where, here);
			} else {
				dl_mregion *u = NULL;
				if ((rc = dl_mregion_or(&u, t->where, here)) == 0) {
					dl_mregion_free(t->where);
					t->where = u;
				}
			}
			for (size_t x = 0; x < p->nextras && rc == 0; x++)
				rc = add_extra(b->arena, t, p->extras[x]);
		}
		for (size_t i = 0; i < r->npins; i++)
			dl_mregion_free(reach[i]);
		dl_free(reach);
	}
	dl_py_upin *out = NULL;
	if (rc == 0) {
		qsort(m, nm, sizeof(*m), cmp_merged);
		out = dl_arena_calloc(b->arena, nm + 1, sizeof(*out));
		if (out == NULL)
			rc = dl_error_oom();
	}
	for (size_t i = 0; i < nm && rc == 0; i++) {
		bool everywhere = false;
		out[i].name = m[i].name;
		out[i].version = m[i].version;
		if (m[i].nextras > 0)
			qsort(m[i].extras, m[i].nextras, sizeof(*m[i].extras), cmp_str);
		out[i].extras = m[i].extras;
		out[i].nextras = m[i].nextras;
		if ((rc = dl_mregion_subset(opts->region, m[i].where, &everywhere)) < 0 || everywhere)
			continue;
		char *text = NULL;
		dl_mregion *rel = NULL;
		if ((rc = dl_mregion_within(&rel, m[i].where, opts->region)) == 0)
			rc = dl_mregion_to_string(&text, rel);
		dl_mregion_free(rel);
		if (rc == 0) {
			if ((out[i].marker = dl_arena_strndup(b->arena, text, strlen(text))) == NULL)
				rc = dl_error_oom();
			dl_free(text);
		}
	}
	if (rc == 0) {
		b->pub.pins = out;
		b->pub.npins = nm;
	}
	for (size_t i = 0; i < nm; i++) {
		dl_version_clear(&m[i].v);
		dl_mregion_free(m[i].where);
	}
	dl_free(m);
	return rc;
}

/* ---- the driver --------------------------------------------------------- */

static int keep(ubox *b, dl_mregion *piece, dl_py_result *r)
{
	if (dl_realloc_array((void **)&b->results, b->n + 1, sizeof(*b->results)) < 0 ||
	    dl_realloc_array((void **)&b->regions, b->n + 1, sizeof(*b->regions)) < 0) {
		dl_py_result_free(r);
		dl_mregion_free(piece);
		return dl_error_oom();
	}
	b->results[b->n] = r;
	b->regions[b->n] = piece;
	b->n++;
	return 0;
}

static int name_forks(ubox *b, const dl_mregion *base)
{
	dl_py_fork *f = dl_arena_calloc(b->arena, b->n + 1, sizeof(*f));
	if (f == NULL)
		return dl_error_oom();
	for (size_t i = 0; i < b->n; i++) {
		char *text = NULL;
		dl_mregion *rel = NULL;
		int rc = dl_mregion_within(&rel, b->regions[i], base);
		if (rc == 0)
			rc = dl_mregion_to_string(&text, rel);
		dl_mregion_free(rel);
		if (rc < 0)
			return rc;
		f[i].marker = dl_arena_strndup(b->arena, text, strlen(text));
		dl_free(text);
		if (f[i].marker == NULL)
			return dl_error_oom();
		f[i].result = b->results[i];
	}
	b->pub.forks = f;
	b->pub.nforks = b->n;
	return 0;
}

int dl_py_resolve_universal(dl_py_universal **out, const dl_py_source *src, const dl_py_options *opts)
{
	*out = NULL;
	if (opts == NULL || opts->region == NULL)
		return dl_error_set(DL_EINVAL, "a universal resolution needs a region");
	ubox *b = dl_calloc(1, sizeof(*b));
	if (b == NULL)
		return dl_error_oom();
	prefs pl = {0};
	rlist todo = {0};
	dl_mregion *first = NULL;
	int rc = dl_arena_new(&b->arena);
	for (size_t i = 0; rc == 0 && i < opts->npreferences; i++)
		rc = prefer(&pl, opts->preferences[i].name, opts->preferences[i].version);
	if (rc == 0 && (rc = dl_mregion_clone(&first, opts->region)) == 0)
		rc = rlist_push(&todo, first);
	bool failed = false;
	size_t pieces = 1;
	/* todo is a stack: the last entry is resolved next */
	while (rc == 0 && todo.n > 0 && !failed) {
		dl_mregion *piece = todo.r[--todo.n];
		dl_py_result *r = NULL;
		rlist cells = {0};
		b->pub.solves++;
		rc = solve_piece(src, opts, piece, &pl, &r, &cells, &b->pub.stats);
		if (rc == 0 && r == NULL) {
			pieces += cells.n - 1;
			if (pieces > DL_PY_MAX_FORKS)
				rc = dl_error_set(DL_ELIMIT, "the universal resolution split into more than %d parts",
				                  DL_PY_MAX_FORKS);
			/* push in reverse, so the first cell is resolved first */
			while (rc == 0 && cells.n > 0) {
				rc = rlist_push(&todo, cells.r[--cells.n]);
			}
			rlist_clear(&cells);
			dl_mregion_free(piece);
			continue;
		}
		rlist_clear(&cells);
		if (rc < 0) {
			dl_mregion_free(piece);
			break;
		}
		b->pub.stats.projects += r->stats.projects;
		b->pub.stats.metadata += r->stats.metadata;
		failed = !r->solved;
		for (size_t i = 0; i < r->npins && rc == 0 && !failed; i++)
			rc = prefer(&pl, r->pins[i].name, r->pins[i].version);
		if (rc == 0)
			rc = keep(b, piece, r);
		else {
			dl_py_result_free(r);
			dl_mregion_free(piece);
		}
	}
	if (rc == 0)
		rc = name_forks(b, opts->region);
	if (rc == 0 && failed) {
		const dl_py_fork *last = &b->pub.forks[b->pub.nforks - 1];
		const char *why = last->result->explanation != NULL ? last->result->explanation : "";
		b->pub.explanation = last->marker[0] == '\0'
		                         ? dl_arena_strndup(b->arena, why, strlen(why))
		                         : dl_arena_printf(b->arena, "In the part of the lock where %s:\n%s", last->marker, why);
		if (b->pub.explanation == NULL)
			rc = dl_error_oom();
	} else if (rc == 0) {
		b->pub.solved = true;
		rc = merge(b, opts);
	}
	rlist_clear(&todo);
	dl_free(pl.p);
	if (rc < 0) {
		dl_py_universal_free(&b->pub);
		return rc;
	}
	*out = &b->pub;
	return 0;
}
