/*
 * pubgrub.c - the PubGrub solver core (see deeplock/solver.h).
 *
 * Vocabulary, following the PubGrub write-up:
 *   term             "pkg in R" (positive) or "not pkg in R" (negative); a
 *                    negative term also holds when pkg is not selected.
 *   incompatibility  a set of terms that must not all hold at once, with
 *                    its cause: the root, a dependency, no matching
 *                    versions, an unusable candidate, or derived from two
 *                    earlier incompatibilities by conflict resolution.
 *   assignment       a decision (pkg == v) or a derivation (a term implied
 *                    by an incompatibility), at a decision level.
 *
 * The partial solution is an array of assignments; each package keeps the
 * intersection of its assignments' terms, recomputed when backjumping.  The
 * solver learns an incompatibility at every conflict, so it never makes the
 * same mistake twice.  Everything is referred to by index; the ranges in
 * terms are owned by their term.
 *
 * A candidate stands for the whole gap around it: "pkg == V" is written as
 * the open interval between V's neighbours in the package's candidate list
 * (sorted by version), not as {V}, in the incompatibilities it takes
 * part in (decisions stay exact).  Nothing else can be chosen there, so
 * the meaning is the same, but excluding consecutive candidates now gives
 * one interval instead of a list of holes (with the local versions of each
 * excluded version left over as "gaps" between them).  That keeps ranges
 * small on packages with hundreds of releases, and explanations short:
 * when a range is exactly such a union of candidate gaps it is printed as
 * the candidates it holds ("==1.0", ">=1.2, <=1.4").
 *
 * Work a backjump would repeat is kept: each package's count of candidates
 * inside its term (the decision priority) until the term changes, and each
 * candidate's dependency incompatibilities, which a candidate decided again
 * only checks for a conflict.  A dependency equal to one of a neighbouring
 * candidate widens that incompatibility instead of adding another.  A
 * provider's "constraint" dependency is the positive term "dep outside R",
 * which forbids those versions without ever selecting dep.
 *
 * Decision order is fewest candidates first, with uv's correction for a
 * package decided too early: when the candidates of one package keep
 * clashing with another's decision (CONFLICT_THRESHOLD times), the first
 * is decided early from then on, the second late, and the solver backs up
 * to before the second's decision.  Otherwise "a 2 was chosen, so every
 * b 2.x fails on a==1" walks down to an ancient b instead of trying
 * b 2.x with a 1.
 */
#include <stdlib.h>
#include <string.h>

#include "deeplock/solver.h"

typedef struct term {
	uint32_t pkg;
	bool positive;
	dl_range range;
} term;

enum cause { C_ROOT, C_NO_VERSIONS, C_DEPENDENCY, C_UNAVAILABLE, C_DERIVED };

typedef struct incompat {
	term *terms;
	uint32_t nterms;
	uint8_t cause;
	uint32_t c1, c2;    /* causes of a derived incompatibility */
	const char *reason; /* C_UNAVAILABLE, C_NO_VERSIONS, and a C_DEPENDENCY's note: borrowed from the provider */
} incompat;

typedef struct assign {
	term t;
	uint32_t level;
	int64_t cause; /* incompatibility, or -1 for a decision */
	size_t vindex; /* decisions: the candidate chosen */
} assign;

typedef struct pkgstate {
	uint32_t *ics; /* incompatibilities mentioning the package */
	size_t nics, capics;
	bool has_acc;
	term acc; /* intersection of its assignments */
	bool decided;
	size_t vindex;
	bool loaded;
	const dl_version *versions;
	size_t nversions;
	bool dirty;           /* backtrack: acc must be rebuilt */
	uint32_t gen;         /* bumped whenever acc changes */
	uint32_t counted_gen; /* gen + 1 when `count` is current, else 0 */
	size_t count;         /* candidates inside acc (decide's priority) */
	size_t *sorted; /* candidate indices in ascending version order */
	size_t *rank;   /* position of each candidate in `sorted` */
	uint32_t *dep_first; /* per candidate: its first dependency incompatibility, */
	uint32_t *dep_count; /* and how many; UINT32_MAX when not asked yet */
	uint32_t affected;   /* its candidates' dependencies clashed with a decision */
	uint32_t culprit;    /* its decision clashed with a candidate's dependencies */
	bool early, late;    /* decision order raised or lowered by those counts */
} pkgstate;

struct dl_solver {
	dl_solver_provider p;
	incompat *ics;
	size_t nics, capics;
	assign *as;
	size_t nas, capas;
	pkgstate *pk;
	size_t npk;
	uint32_t level;
	dl_version root_version;
	bool solved;
	int64_t failure; /* the incompatibility proving unsolvability, or -1 */
	uint32_t *selected_pkg;
	size_t *selected_idx;
	size_t nselected;
	dl_solver_stats stats;
};

/* ---- terms -------------------------------------------------------------- */

static void term_clear(term *t)
{
	dl_range_clear(&t->range);
}

static int term_copy(term *dst, const term *src)
{
	dst->pkg = src->pkg;
	dst->positive = src->positive;
	dl_range_init(&dst->range);
	return dl_range_copy(&dst->range, &src->range);
}

/* The set a term stands for, over versions plus "not selected": positive R
 * is R; negative R is the complement of R plus "not selected". */
static bool term_subset(const term *s, const term *t)
{
	if (s->positive && t->positive)
		return dl_range_subset(&s->range, &t->range);
	if (s->positive && !t->positive)
		return dl_range_disjoint(&s->range, &t->range);
	if (!s->positive && t->positive)
		return false;
	return dl_range_subset(&t->range, &s->range);
}

static bool term_disjoint(const term *s, const term *t)
{
	if (s->positive && t->positive)
		return dl_range_disjoint(&s->range, &t->range);
	if (s->positive && !t->positive)
		return dl_range_subset(&s->range, &t->range);
	if (!s->positive && t->positive)
		return dl_range_subset(&t->range, &s->range);
	return false;
}

/* out = a ∩ b (same package); `out` is initialised here. */
static int term_intersect(term *out, const term *a, const term *b)
{
	out->pkg = a->pkg;
	dl_range_init(&out->range);
	if (a->positive && b->positive) {
		out->positive = true;
		return dl_range_intersect(&out->range, &a->range, &b->range);
	}
	if (a->positive != b->positive) {
		const term *p = a->positive ? a : b, *n = a->positive ? b : a;
		out->positive = true;
		return dl_range_difference(&out->range, &p->range, &n->range);
	}
	out->positive = false;
	return dl_range_union(&out->range, &a->range, &b->range);
}

/* out = not t */
static int term_negate(term *out, const term *t)
{
	int rc = term_copy(out, t);
	out->positive = !t->positive;
	return rc;
}

enum rel { R_SATISFIED, R_CONTRADICTED, R_INCONCLUSIVE };

static enum rel relation(const dl_solver *s, const term *t)
{
	if (t->pkg >= s->npk || !s->pk[t->pkg].has_acc)
		return R_INCONCLUSIVE;
	const term *acc = &s->pk[t->pkg].acc;
	if (term_subset(acc, t))
		return R_SATISFIED;
	if (term_disjoint(acc, t))
		return R_CONTRADICTED;
	return R_INCONCLUSIVE;
}

/* ---- bookkeeping -------------------------------------------------------- */

static int ensure_pkg(dl_solver *s, uint32_t pkg)
{
	if (pkg < s->npk)
		return 0;
	size_t n = s->npk ? s->npk : 16;
	while (n <= pkg)
		n *= 2;
	void *p = s->pk;
	int rc = dl_realloc_array(&p, n, sizeof(pkgstate));
	if (rc < 0)
		return rc;
	s->pk = p;
	memset(s->pk + s->npk, 0, (n - s->npk) * sizeof(pkgstate));
	s->npk = n;
	return 0;
}

/* Take ownership of `terms` (n of them) as a new incompatibility. */
static int add_incompat(dl_solver *s, term *terms, uint32_t n, uint8_t cause, uint32_t c1, uint32_t c2,
                        const char *reason, uint32_t *id_out)
{
	int rc = 0;
	for (uint32_t i = 0; i < n && rc == 0; i++)
		rc = ensure_pkg(s, terms[i].pkg);
	if (rc == 0 && s->nics == s->capics) {
		void *p = s->ics;
		size_t cap = s->capics ? s->capics * 2 : 64;
		rc = dl_realloc_array(&p, cap, sizeof(incompat));
		if (rc == 0) {
			s->ics = p;
			s->capics = cap;
		}
	}
	if (rc < 0) {
		for (uint32_t i = 0; i < n; i++)
			term_clear(&terms[i]);
		dl_free(terms);
		return rc;
	}
	uint32_t id = (uint32_t)s->nics++;
	s->ics[id] = (incompat){terms, n, cause, c1, c2, reason};
	s->stats.incompatibilities++;
	for (uint32_t i = 0; i < n; i++) {
		pkgstate *ps = &s->pk[terms[i].pkg];
		if (ps->nics == ps->capics) {
			void *p = ps->ics;
			size_t cap = ps->capics ? ps->capics * 2 : 8;
			if ((rc = dl_realloc_array(&p, cap, sizeof(uint32_t))) < 0)
				return rc;
			ps->ics = p;
			ps->capics = cap;
		}
		ps->ics[ps->nics++] = id;
	}
	*id_out = id;
	return 0;
}

static int push_assign(dl_solver *s, term *t, int64_t cause, size_t vindex)
{
	if (s->nas == s->capas) {
		void *p = s->as;
		size_t cap = s->capas ? s->capas * 2 : 64;
		int rc = dl_realloc_array(&p, cap, sizeof(assign));
		if (rc < 0) {
			term_clear(t);
			return rc;
		}
		s->as = p;
		s->capas = cap;
	}
	int rc = ensure_pkg(s, t->pkg);
	if (rc < 0) {
		term_clear(t);
		return rc;
	}
	pkgstate *ps = &s->pk[t->pkg];
	term acc;
	if (ps->has_acc) {
		rc = term_intersect(&acc, &ps->acc, t);
		if (rc < 0) {
			term_clear(&acc);
			term_clear(t);
			return rc;
		}
		term_clear(&ps->acc);
	} else {
		rc = term_copy(&acc, t);
		if (rc < 0) {
			term_clear(&acc);
			term_clear(t);
			return rc;
		}
	}
	ps->acc = acc;
	ps->has_acc = true;
	ps->gen++;
	if (cause < 0) {
		ps->decided = true;
		ps->vindex = vindex;
	}
	s->as[s->nas++] = (assign){*t, s->level, cause, vindex};
	return 0;
}

/* Remove every assignment above `level` and recompute what they touched. */
static int backtrack(dl_solver *s, uint32_t level)
{
	while (s->nas > 0 && s->as[s->nas - 1].level > level) {
		assign *a = &s->as[s->nas - 1];
		pkgstate *ps = &s->pk[a->t.pkg];
		if (a->cause < 0)
			ps->decided = false;
		if (ps->has_acc) {
			term_clear(&ps->acc);
			ps->has_acc = false;
		}
		ps->dirty = true;
		ps->gen++;
		term_clear(&a->t);
		s->nas--;
	}
	s->level = level;
	/* rebuild the accumulated terms of the packages just touched, in one
	 * pass over what is left (not one pass per package: a backjump on a
	 * large universe would cost packages x assignments) */
	int rc = 0;
	for (size_t i = 0; i < s->nas && rc == 0; i++) {
		pkgstate *ps = &s->pk[s->as[i].t.pkg];
		if (!ps->dirty)
			continue;
		term acc;
		rc = ps->has_acc ? term_intersect(&acc, &ps->acc, &s->as[i].t) : term_copy(&acc, &s->as[i].t);
		if (rc < 0) {
			term_clear(&acc);
			break;
		}
		if (ps->has_acc)
			term_clear(&ps->acc);
		ps->acc = acc;
		ps->has_acc = true;
	}
	for (size_t p = 0; p < s->npk; p++)
		s->pk[p].dirty = false;
	return rc;
}

/* ---- unit propagation and conflict resolution --------------------------- */

/* Index of the earliest assignment at which the assignments of t's package
 * up to it (intersected with `extra`, when given) satisfy t; -1 if none. */
static int64_t satisfier_of(const dl_solver *s, const term *t, size_t limit, const term *extra, int *err)
{
	term acc;
	bool have = false;
	if (extra != NULL) {
		if (term_subset(extra, t))
			return -1; /* satisfied by `extra` alone */
	}
	for (size_t i = 0; i < limit; i++) {
		const assign *a = &s->as[i];
		if (a->t.pkg != t->pkg)
			continue;
		term next;
		int rc = have ? term_intersect(&next, &acc, &a->t) : term_copy(&next, &a->t);
		if (have)
			term_clear(&acc);
		if (rc < 0) {
			term_clear(&next);
			*err = rc;
			return -1;
		}
		acc = next;
		have = true;
		bool sat;
		if (extra != NULL) {
			term both;
			if ((rc = term_intersect(&both, &acc, extra)) < 0) {
				term_clear(&both);
				term_clear(&acc);
				*err = rc;
				return -1;
			}
			sat = term_subset(&both, t);
			term_clear(&both);
		} else {
			sat = term_subset(&acc, t);
		}
		if (sat) {
			term_clear(&acc);
			return (int64_t)i;
		}
	}
	if (have)
		term_clear(&acc);
	return -1;
}

static bool is_failure(const dl_solver *s, const incompat *ic)
{
	(void)s;
	return ic->nterms == 0 || (ic->nterms == 1 && ic->terms[0].pkg == 0 && ic->terms[0].positive);
}

/* Append `t` to a term list, intersecting with a term of the same package
 * already there (terms of one incompatibility combine that way). */
static int merge_term(term **list, uint32_t *n, uint32_t *cap, const term *t)
{
	for (uint32_t i = 0; i < *n; i++) {
		if ((*list)[i].pkg == t->pkg) {
			term m;
			int rc = term_intersect(&m, &(*list)[i], t);
			if (rc < 0) {
				term_clear(&m);
				return rc;
			}
			term_clear(&(*list)[i]);
			(*list)[i] = m;
			return 0;
		}
	}
	if (*n == *cap) {
		void *p = *list;
		uint32_t nc = *cap ? *cap * 2 : 4;
		int rc = dl_realloc_array(&p, nc, sizeof(term));
		if (rc < 0)
			return rc;
		*list = p;
		*cap = nc;
	}
	int rc = term_copy(&(*list)[*n], t);
	if (rc < 0) {
		term_clear(&(*list)[*n]);
		return rc;
	}
	(*n)++;
	return 0;
}

static void free_terms(term *list, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		term_clear(&list[i]);
	dl_free(list);
}

/* Resolve a conflict on incompatibility `id`: learn, backjump, and return
 * (in *out) the incompatibility to propagate from, or set s->failure. */
static int resolve_conflict(dl_solver *s, uint32_t id, int64_t *out)
{
	s->stats.conflicts++;
	int err = 0;
	for (;;) {
		const incompat *ic = &s->ics[id];
		if (is_failure(s, ic)) {
			s->failure = id;
			*out = -1;
			return 0;
		}
		/* the satisfier: the latest of the terms' earliest satisfiers */
		int64_t sat = -1;
		uint32_t sat_term = 0;
		for (uint32_t i = 0; i < ic->nterms; i++) {
			int64_t k = satisfier_of(s, &ic->terms[i], s->nas, NULL, &err);
			if (err < 0)
				return err;
			if (k > sat) {
				sat = k;
				sat_term = i;
			}
		}
		if (sat < 0)
			return dl_error_set(DL_ERROR, "solver invariant broken: a conflict with no satisfier");
		const assign *sa = &s->as[sat];
		/* the previous satisfier's level */
		uint32_t prev_level = 1;
		for (uint32_t i = 0; i < ic->nterms; i++) {
			int64_t k;
			if (i == sat_term)
				k = satisfier_of(s, &ic->terms[i], (size_t)sat, &sa->t, &err);
			else
				k = satisfier_of(s, &ic->terms[i], s->nas, NULL, &err);
			if (err < 0)
				return err;
			if (k >= 0 && s->as[k].level > prev_level)
				prev_level = s->as[k].level;
		}
		if (sa->cause < 0 || prev_level != sa->level) {
			int rc = backtrack(s, prev_level);
			if (rc < 0)
				return rc;
			*out = id;
			return 0;
		}
		/* derive: ic's terms but `term`, plus the prior cause's terms but
		 * the satisfier package's, plus not(satisfier \ term) */
		const incompat *prior = &s->ics[sa->cause];
		const term *tt = &ic->terms[sat_term];
		term *nt = NULL;
		uint32_t n = 0, cap = 0;
		int rc = 0;
		for (uint32_t i = 0; i < ic->nterms && rc == 0; i++) {
			if (i != sat_term)
				rc = merge_term(&nt, &n, &cap, &ic->terms[i]);
		}
		for (uint32_t i = 0; i < prior->nterms && rc == 0; i++) {
			if (prior->terms[i].pkg != sa->t.pkg)
				rc = merge_term(&nt, &n, &cap, &prior->terms[i]);
		}
		if (rc == 0 && !term_subset(&sa->t, tt)) {
			term neg_tt, diff, not_diff;
			rc = term_negate(&neg_tt, tt);
			if (rc == 0)
				rc = term_intersect(&diff, &sa->t, &neg_tt);
			else
				dl_range_init(&diff.range);
			if (rc == 0)
				rc = term_negate(&not_diff, &diff);
			else
				dl_range_init(&not_diff.range);
			if (rc == 0)
				rc = merge_term(&nt, &n, &cap, &not_diff);
			term_clear(&neg_tt);
			term_clear(&diff);
			term_clear(&not_diff);
		}
		if (rc < 0) {
			free_terms(nt, n);
			return rc;
		}
		uint32_t c1 = id, c2 = (uint32_t)sa->cause;
		if ((rc = add_incompat(s, nt, n, C_DERIVED, c1, c2, NULL, &id)) < 0)
			return rc;
	}
}

/* Relation of a whole incompatibility to the partial solution; on
 * R_INCONCLUSIVE with exactly one undecided term, *almost is its index. */
static enum rel incompat_relation(const dl_solver *s, const incompat *ic, int64_t *almost)
{
	*almost = -1;
	for (uint32_t i = 0; i < ic->nterms; i++) {
		enum rel r = relation(s, &ic->terms[i]);
		if (r == R_CONTRADICTED)
			return R_CONTRADICTED;
		if (r == R_INCONCLUSIVE) {
			if (*almost >= 0) {
				*almost = -2;
				return R_INCONCLUSIVE;
			}
			*almost = i;
		}
	}
	return *almost == -1 ? R_SATISFIED : R_INCONCLUSIVE;
}

static int derive_from(dl_solver *s, uint32_t id, uint32_t ti)
{
	term neg;
	int rc = term_negate(&neg, &s->ics[id].terms[ti]);
	if (rc < 0) {
		term_clear(&neg);
		return rc;
	}
	s->stats.propagations++;
	return push_assign(s, &neg, id, 0);
}

static int propagate(dl_solver *s, uint32_t start)
{
	uint32_t *stack = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
#define PUSH(x)                                                                                                        \
	do {                                                                                                           \
		if (n == cap) {                                                                                        \
			void *p_ = stack;                                                                              \
			size_t c_ = cap ? cap * 2 : 16;                                                               \
			if ((rc = dl_realloc_array(&p_, c_, sizeof(uint32_t))) < 0)                                   \
				goto done;                                                                             \
			stack = p_;                                                                                    \
			cap = c_;                                                                                      \
		}                                                                                                      \
		stack[n++] = (x);                                                                                      \
	} while (0)
	PUSH(start);
	while (n > 0) {
		uint32_t pkg = stack[--n];
		if (pkg >= s->npk)
			continue;
		for (size_t k = s->pk[pkg].nics; k-- > 0;) {
			uint32_t id = s->pk[pkg].ics[k];
			int64_t almost;
			enum rel r = incompat_relation(s, &s->ics[id], &almost);
			if (r == R_SATISFIED) {
				int64_t root = -1;
				if ((rc = resolve_conflict(s, id, &root)) < 0)
					goto done;
				if (root < 0)
					goto done; /* unsolvable */
				r = incompat_relation(s, &s->ics[root], &almost);
				if (almost < 0) {
					rc = dl_error_set(DL_ERROR, "solver invariant broken: learned clause not unit");
					goto done;
				}
				uint32_t dpkg = s->ics[root].terms[almost].pkg;
				if ((rc = derive_from(s, (uint32_t)root, (uint32_t)almost)) < 0)
					goto done;
				n = 0;
				PUSH(dpkg);
				break;
			}
			if (r == R_INCONCLUSIVE && almost >= 0) {
				uint32_t dpkg = s->ics[id].terms[almost].pkg;
				if ((rc = derive_from(s, id, (uint32_t)almost)) < 0)
					goto done;
				PUSH(dpkg);
			}
		}
	}
done:
#undef PUSH
	dl_free(stack);
	return rc;
}

/* ---- decisions ---------------------------------------------------------- */

typedef struct vref {
	const dl_version *v;
	size_t idx;
} vref;

static int cmp_vref(const void *a, const void *b)
{
	const vref *x = a, *y = b;
	int c = dl_version_cmp(x->v, y->v);
	return c != 0 ? c : (x->idx < y->idx ? -1 : x->idx > y->idx);
}

static int load_versions(dl_solver *s, uint32_t pkg)
{
	pkgstate *ps = &s->pk[pkg];
	if (ps->loaded)
		return 0;
	if (pkg == 0) {
		ps->versions = &s->root_version;
		ps->nversions = 1;
	} else {
		int rc = s->p.versions(s->p.ctx, pkg, &ps->versions, &ps->nversions);
		if (rc < 0)
			return dl_error_context("getting the versions of %s", s->p.name(s->p.ctx, pkg));
		ps = &s->pk[pkg];
	}
	size_t n = ps->nversions;
	vref *tmp = dl_calloc(n + 1, sizeof(*tmp));
	size_t *sorted = dl_calloc(n + 1, sizeof(size_t)), *rank = dl_calloc(n + 1, sizeof(size_t));
	uint32_t *dep_first = dl_calloc(n + 1, sizeof(uint32_t)), *dep_count = dl_calloc(n + 1, sizeof(uint32_t));
	if (tmp == NULL || sorted == NULL || rank == NULL || dep_first == NULL || dep_count == NULL) {
		dl_free(tmp);
		dl_free(sorted);
		dl_free(rank);
		dl_free(dep_first);
		dl_free(dep_count);
		return dl_error_oom();
	}
	for (size_t i = 0; i < n; i++)
		dep_first[i] = UINT32_MAX;
	ps->dep_first = dep_first;
	ps->dep_count = dep_count;
	for (size_t i = 0; i < n; i++)
		tmp[i] = (vref){&ps->versions[i], i};
	qsort(tmp, n, sizeof(*tmp), cmp_vref);
	for (size_t i = 0; i < n; i++) {
		sorted[i] = tmp[i].idx;
		rank[tmp[i].idx] = i;
	}
	dl_free(tmp);
	ps->sorted = sorted;
	ps->rank = rank;
	ps->loaded = true;
	return 0;
}

/* The versions strictly between the sorted candidates lo-1 and hi+1 (the
 * neighbours of the run lo..hi; none at either end means unbounded), as
 * "not <=prev and not >=next". */
static int run_range(const pkgstate *ps, size_t lo, size_t hi, dl_range *out)
{
	dl_range full, tmp, part;
	dl_range_init(&full);
	dl_range_init(&tmp);
	dl_range_init(&part);
	int rc = dl_range_full(out);
	for (int side = 0; side < 2 && rc == 0; side++) {
		bool have = side == 0 ? lo > 0 : hi + 1 < ps->nversions;
		if (!have)
			continue;
		const dl_version *v = &ps->versions[ps->sorted[side == 0 ? lo - 1 : hi + 1]];
		/* ties (1.0 and 1.0.0) share one gap: skip to a distinct neighbour */
		dl_spec sp;
		memset(&sp, 0, sizeof(sp));
		sp.op = side == 0 ? DL_SPEC_LE : DL_SPEC_GE;
		sp.version = *v;
		dl_range_clear(&part);
		dl_range_clear(&tmp);
		if ((rc = dl_range_from_spec(&part, &sp)) == 0 && (rc = dl_range_difference(&tmp, out, &part)) == 0) {
			dl_range swap = *out;
			*out = tmp;
			tmp = swap;
		}
	}
	dl_range_clear(&full);
	dl_range_clear(&tmp);
	dl_range_clear(&part);
	if (rc < 0)
		dl_range_clear(out); /* nothing for the caller to release */
	return rc;
}

/* The range that stands for candidate vi of `pkg` (see the file comment);
 * {v} when the versions are not loaded or the gap would not hold v. */
static int candidate_range(const dl_solver *s, uint32_t pkg, size_t vi, dl_range *out)
{
	const pkgstate *ps = &s->pk[pkg];
	const dl_version *v = &ps->versions[vi];
	if (pkg == 0)
		return dl_range_full(out); /* the root has one version */
	if (!ps->loaded || ps->rank == NULL)
		return dl_range_exact(out, v);
	size_t r = ps->rank[vi], lo = r, hi = r;
	while (lo > 0 && dl_version_cmp(&ps->versions[ps->sorted[lo - 1]], v) == 0)
		lo--;
	while (hi + 1 < ps->nversions && dl_version_cmp(&ps->versions[ps->sorted[hi + 1]], v) == 0)
		hi++;
	int rc = run_range(ps, lo, hi, out);
	if (rc == 0 && !dl_range_contains(out, v)) {
		dl_range_clear(out);
		rc = dl_range_exact(out, v);
	}
	if (rc < 0)
		dl_range_clear(out);
	return rc;
}

static int single_term(term **out, uint32_t pkg, bool positive, const dl_range *r, const dl_version *exact)
{
	term *t = dl_calloc(1, sizeof(term));
	if (t == NULL)
		return dl_error_oom();
	t->pkg = pkg;
	t->positive = positive;
	dl_range_init(&t->range);
	int rc = exact != NULL ? dl_range_exact(&t->range, exact) : r != NULL ? dl_range_copy(&t->range, r) : dl_range_full(&t->range);
	if (rc < 0) {
		dl_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

static void unwatch(pkgstate *ps, uint32_t id)
{
	for (size_t i = 0; i < ps->nics; i++) {
		if (ps->ics[i] == id) {
			memmove(ps->ics + i, ps->ics + i + 1, (ps->nics - i - 1) * sizeof(uint32_t));
			ps->nics--;
			return;
		}
	}
}

/*
 * pubgrub-rs's merging of dependencies: when another candidate range of
 * the same package already has exactly this dependency and the two ranges
 * touch, widen the new incompatibility `t` ({pkg in R, not dep in D}) to
 * their union and stop watching the old one, which the new one implies.
 * Consecutive releases usually share their requirements, so this turns a
 * chain of one-version facts into one fact over a range: fewer
 * incompatibilities to propagate, and explanations that say "a >=1.0,
 * <=2.3 depends on b" once instead of a line per release.
 */
static bool same_note(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static int merge_dependency(dl_solver *s, term *t, const char *note)
{
	pkgstate *ps = &s->pk[t[0].pkg];
	for (size_t k = ps->nics; k-- > 0;) {
		uint32_t id = ps->ics[k];
		const incompat *ic = &s->ics[id];
		if (ic->cause != C_DEPENDENCY || ic->nterms != 2 || ic->terms[0].pkg != t[0].pkg ||
		    ic->terms[1].pkg != t[1].pkg || !dl_range_eq(&ic->terms[1].range, &t[1].range) ||
		    !same_note(ic->reason, note))
			continue;
		dl_range u;
		dl_range_init(&u);
		int rc = dl_range_union(&u, &ic->terms[0].range, &t[0].range);
		if (rc < 0)
			return rc;
		if (u.n > ic->terms[0].range.n) {
			dl_range_clear(&u); /* they do not touch: keep both */
			continue;
		}
		dl_range_clear(&t[0].range);
		t[0].range = u;
		unwatch(ps, id);
		if (t[1].pkg < s->npk)
			unwatch(&s->pk[t[1].pkg], id);
		return 0;
	}
	return 0;
}

/* Decide `pkg` at candidate `vi`: a new decision level. */
static int push_decision(dl_solver *s, uint32_t pkg, size_t vi)
{
	term dt;
	dt.pkg = pkg;
	dt.positive = true;
	dl_range_init(&dt.range);
	/* the decision itself stays exact: a gap holds versions that are not
	 * candidates, and a decided package's term must leave no room for
	 * them or a later requirement could be only partly decided ("a in
	 * (1, 3)" against "a != 2") */
	int rc = dl_range_exact(&dt.range, &s->pk[pkg].versions[vi]);
	if (rc < 0)
		return rc;
	s->level++;
	s->stats.decisions++;
	return push_assign(s, &dt, -1, vi);
}

#define CONFLICT_THRESHOLD 5

/* A candidate of `pkg` could not be decided because its dependency on
 * `culprit` clashes with the decision there: count it, and past the
 * threshold reorder and back up (see the file comment). */
static int note_conflict(dl_solver *s, uint32_t pkg, uint32_t culprit)
{
	pkgstate *a = &s->pk[pkg], *c = &s->pk[culprit];
	if (culprit == 0 || culprit == pkg)
		return 0;
	if (++a->affected >= CONFLICT_THRESHOLD)
		a->early = true;
	if (++c->culprit != CONFLICT_THRESHOLD || !c->decided || a->early == false)
		return 0;
	c->late = true;
	for (size_t i = 0; i < s->nas; i++) {
		if (s->as[i].cause < 0 && s->as[i].t.pkg == culprit && s->as[i].level > 0)
			return backtrack(s, s->as[i].level - 1);
	}
	return 0;
}

/* Decision order: early packages, then the rest, then late ones; fewest
 * candidates first within each. */
static bool before(const pkgstate *a, const pkgstate *b)
{
	int ra = a->early ? 0 : a->late ? 2 : 1, rb = b->early ? 0 : b->late ? 2 : 1;
	return ra != rb ? ra < rb : a->count < b->count;
}

/* Choose the next package and version.  *next is the package to propagate
 * from, or UINT32_MAX when every package is decided (solved). */
static int decide(dl_solver *s, uint32_t *next)
{
	*next = UINT32_MAX;
	uint32_t best = UINT32_MAX;
	int rc;
	for (uint32_t p = 0; p < s->npk; p++) {
		pkgstate *ps = &s->pk[p];
		if (!ps->has_acc || !ps->acc.positive || ps->decided)
			continue;
		if ((rc = load_versions(s, p)) < 0)
			return rc;
		ps = &s->pk[p];
		/* the count only changes with the package's term, so it is kept
		 * between decisions (counting dominated solving time on
		 * snapshots with thousands of versions) */
		if (ps->counted_gen != ps->gen + 1) {
			size_t count = 0;
			for (size_t i = 0; i < ps->nversions; i++)
				count += dl_range_contains(&ps->acc.range, &ps->versions[i]);
			ps->count = count;
			ps->counted_gen = ps->gen + 1;
		}
		if (best == UINT32_MAX || before(ps, &s->pk[best]))
			best = p;
	}
	if (best == UINT32_MAX)
		return 0;
	pkgstate *ps = &s->pk[best];
	size_t vi = SIZE_MAX;
	for (size_t i = 0; i < ps->nversions; i++) {
		if (dl_range_contains(&ps->acc.range, &ps->versions[i])) {
			vi = i;
			break;
		}
	}
	uint32_t id;
	if (vi == SIZE_MAX) {
		term *t = NULL;
		if ((rc = single_term(&t, best, true, &ps->acc.range, NULL)) < 0)
			return rc;
		const char *note = s->p.no_versions != NULL ? s->p.no_versions(s->p.ctx, best, &t->range) : NULL;
		if ((rc = add_incompat(s, t, 1, C_NO_VERSIONS, 0, 0, note, &id)) < 0)
			return rc;
		*next = best;
		return 0;
	}
	if (ps->dep_first != NULL && ps->dep_first[vi] != UINT32_MAX) {
		/* decided before and undone by a backjump: its dependencies are
		 * already incompatibilities, so only look for a conflict (asking
		 * again would add every one of them a second time) */
		int64_t clash = -1;
		for (uint32_t k = 0; k < ps->dep_count[vi] && clash < 0; k++) {
			if (relation(s, &s->ics[ps->dep_first[vi] + k].terms[1]) == R_SATISFIED)
				clash = ps->dep_first[vi] + k;
		}
		*next = best;
		if (clash >= 0)
			return note_conflict(s, best, s->ics[clash].terms[1].pkg);
		return push_decision(s, best, vi);
	}
	const dl_solver_dep *deps = NULL;
	size_t ndeps = 0;
	bool available = true;
	const char *reason = NULL;
	rc = s->p.dependencies(s->p.ctx, best, vi, &deps, &ndeps, &available, &reason);
	if (rc < 0)
		return dl_error_context("getting the dependencies of %s", s->p.name(s->p.ctx, best));
	ps = &s->pk[best];
	if (!available) {
		term *t = NULL;
		dl_range cr;
		dl_range_init(&cr);
		if ((rc = candidate_range(s, best, vi, &cr)) < 0 || (rc = single_term(&t, best, true, &cr, NULL)) < 0) {
			dl_range_clear(&cr);
			return rc;
		}
		dl_range_clear(&cr);
		if ((rc = add_incompat(s, t, 1, C_UNAVAILABLE, 0, 0, reason, &id)) < 0)
			return rc;
		*next = best;
		return 0;
	}
	int64_t clash = -1;
	uint32_t first_dep = (uint32_t)s->nics;
	dl_range cand;
	dl_range_init(&cand);
	if (ndeps > 0 && (rc = candidate_range(s, best, vi, &cand)) < 0)
		return rc;
	for (size_t d = 0; d < ndeps; d++) {
		if (deps[d].pkg == best)
			continue; /* a self-dependency says nothing new */
		term *t = dl_calloc(2, sizeof(term));
		if (t == NULL) {
			dl_range_clear(&cand);
			return dl_error_oom();
		}
		t[0].pkg = best;
		t[0].positive = true;
		dl_range_init(&t[0].range);
		t[1].pkg = deps[d].pkg;
		dl_range_init(&t[1].range);
		/* a constraint forbids the versions outside its range: a
		 * positive term on the complement, which holds only when the
		 * package is selected there */
		t[1].positive = deps[d].constraint;
		if ((rc = dl_range_copy(&t[0].range, &cand)) < 0 ||
		    (rc = deps[d].constraint ? dl_range_complement(&t[1].range, deps[d].range)
		                             : dl_range_copy(&t[1].range, deps[d].range)) < 0 ||
		    (rc = merge_dependency(s, t, deps[d].note)) < 0) {
			free_terms(t, 2);
			dl_range_clear(&cand);
			return rc;
		}
		if ((rc = add_incompat(s, t, 2, C_DEPENDENCY, 0, 0, deps[d].note, &id)) < 0) {
			dl_range_clear(&cand);
			return rc;
		}
		if (clash < 0 && relation(s, &s->ics[id].terms[1]) == R_SATISFIED)
			clash = id;
	}
	dl_range_clear(&cand);
	ps = &s->pk[best];
	ps->dep_first[vi] = first_dep;
	ps->dep_count[vi] = (uint32_t)(s->nics - first_dep);
	*next = best;
	if (clash >= 0)
		return note_conflict(s, best, s->ics[clash].terms[1].pkg);
	return push_decision(s, best, vi);
}

/* ---- public API --------------------------------------------------------- */

int dl_solver_new(dl_solver **out, const dl_solver_provider *provider)
{
	dl_solver *s = dl_calloc(1, sizeof(*s));
	if (s == NULL)
		return dl_error_oom();
	s->p = *provider;
	s->failure = -1;
	int rc = dl_version_parse_into(&s->root_version, "0", 1);
	if (rc < 0) {
		dl_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void dl_solver_free(dl_solver *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nics; i++)
		free_terms(s->ics[i].terms, s->ics[i].nterms);
	dl_free(s->ics);
	for (size_t i = 0; i < s->nas; i++)
		term_clear(&s->as[i].t);
	dl_free(s->as);
	for (size_t i = 0; i < s->npk; i++) {
		dl_free(s->pk[i].ics);
		dl_free(s->pk[i].sorted);
		dl_free(s->pk[i].rank);
		dl_free(s->pk[i].dep_first);
		dl_free(s->pk[i].dep_count);
		if (s->pk[i].has_acc)
			term_clear(&s->pk[i].acc);
	}
	dl_free(s->pk);
	dl_free(s->selected_pkg);
	dl_free(s->selected_idx);
	dl_version_clear(&s->root_version);
	dl_free(s);
}

int dl_solver_solve(dl_solver *s, bool *solved)
{
	*solved = false;
	term *t = NULL;
	uint32_t id;
	int rc = single_term(&t, 0, false, NULL, NULL);
	if (rc < 0)
		return rc;
	if ((rc = add_incompat(s, t, 1, C_ROOT, 0, 0, NULL, &id)) < 0)
		return rc;
	uint32_t next = 0;
	for (;;) {
		if ((rc = propagate(s, next)) < 0)
			return rc;
		if (s->failure >= 0)
			return 0;
		if ((rc = decide(s, &next)) < 0)
			return rc;
		if (next == UINT32_MAX)
			break;
	}
	/* the selection: every decided package but the root, by id */
	size_t n = 0;
	for (uint32_t p = 1; p < s->npk; p++)
		n += s->pk[p].decided;
	s->selected_pkg = dl_calloc(n + 1, sizeof(uint32_t));
	s->selected_idx = dl_calloc(n + 1, sizeof(size_t));
	if (s->selected_pkg == NULL || s->selected_idx == NULL)
		return dl_error_oom();
	for (uint32_t p = 1; p < s->npk; p++) {
		if (s->pk[p].decided) {
			s->selected_pkg[s->nselected] = p;
			s->selected_idx[s->nselected++] = s->pk[p].vindex;
		}
	}
	s->solved = true;
	*solved = true;
	return 0;
}

size_t dl_solver_selected_count(const dl_solver *s)
{
	return s->nselected;
}

void dl_solver_selected(const dl_solver *s, size_t i, uint32_t *pkg, size_t *index)
{
	*pkg = s->selected_pkg[i];
	*index = s->selected_idx[i];
}

dl_solver_stats dl_solver_get_stats(const dl_solver *s)
{
	return s->stats;
}

/* ---- explanation -------------------------------------------------------- */

/* Print `r` as the candidates of `pkg` it holds when it is exactly the
 * union of their gaps (see the file comment); otherwise as it is. */
static void range_text(const dl_solver *s, uint32_t pkg, const dl_range *r, dl_buf *out)
{
	const pkgstate *ps = pkg < s->npk ? &s->pk[pkg] : NULL;
	if (ps == NULL || !ps->loaded || ps->sorted == NULL || ps->nversions == 0) {
		dl_range_format(r, out);
		return;
	}
	dl_range w, run, tmp;
	dl_range_init(&w);
	dl_range_init(&run);
	dl_range_init(&tmp);
	size_t n = ps->nversions, nruns = 0;
	bool ok = true;
	for (size_t i = 0; i < n && ok;) {
		if (!dl_range_contains(r, &ps->versions[ps->sorted[i]])) {
			i++;
			continue;
		}
		size_t j = i;
		while (j + 1 < n && dl_range_contains(r, &ps->versions[ps->sorted[j + 1]]))
			j++;
		dl_range_clear(&run);
		dl_range_clear(&tmp);
		ok = run_range(ps, i, j, &run) == 0 && dl_range_union(&tmp, &w, &run) == 0;
		dl_range swap = w;
		w = tmp;
		tmp = swap;
		nruns++;
		i = j + 1;
	}
	if (ok && nruns > 0 && dl_range_eq(&w, r)) {
		bool first = true;
		for (size_t i = 0; i < n;) {
			if (!dl_range_contains(r, &ps->versions[ps->sorted[i]])) {
				i++;
				continue;
			}
			size_t j = i;
			while (j + 1 < n && dl_range_contains(r, &ps->versions[ps->sorted[j + 1]]))
				j++;
			const dl_version *a = &ps->versions[ps->sorted[i]], *b = &ps->versions[ps->sorted[j]];
			if (!first)
				dl_buf_puts(out, " | ");
			first = false;
			if (dl_version_cmp(a, b) == 0) {
				dl_buf_puts(out, "==");
				dl_version_format(a, out);
			} else if (i == 0) {
				dl_buf_puts(out, "<=");
				dl_version_format(b, out);
			} else if (j + 1 == n) {
				dl_buf_puts(out, ">=");
				dl_version_format(a, out);
			} else {
				dl_buf_puts(out, ">=");
				dl_version_format(a, out);
				dl_buf_puts(out, ", <=");
				dl_version_format(b, out);
			}
			i = j + 1;
		}
	} else {
		dl_range_format(r, out);
	}
	dl_range_clear(&w);
	dl_range_clear(&run);
	dl_range_clear(&tmp);
}

static void term_text(const dl_solver *s, const term *t, bool negate, dl_buf *out)
{
	bool pos = negate ? !t->positive : t->positive;
	const char *name = t->pkg == 0 ? "the root requirements" : s->p.name(s->p.ctx, t->pkg);
	if (!pos)
		dl_buf_puts(out, "not ");
	dl_buf_puts(out, name);
	if (t->pkg != 0 && !dl_range_is_full(&t->range)) {
		dl_buf_putc(out, ' ');
		range_text(s, t->pkg, &t->range, out);
	} else if (t->pkg != 0 && pos && !negate && t->pkg < s->npk && s->pk[t->pkg].loaded &&
	           s->pk[t->pkg].nversions == 1) {
		/* "every version" of a package that has one reads better as it;
		 * not on the required side, which quotes the requirement */
		dl_buf_puts(out, " ==");
		dl_version_format(&s->pk[t->pkg].versions[0], out);
	}
}

static void incompat_text(const dl_solver *s, const incompat *ic, dl_buf *out)
{
	const char *name0 = ic->nterms > 0 && ic->terms[0].pkg != 0 ? s->p.name(s->p.ctx, ic->terms[0].pkg) : "";
	switch (ic->cause) {
	case C_ROOT:
		dl_buf_puts(out, "the root requirements must be met");
		return;
	case C_NO_VERSIONS:
		if (dl_range_is_full(&ic->terms[0].range)) {
			dl_buf_printf(out, "there are no versions of %s", name0);
		} else {
			dl_buf_printf(out, "no versions of %s match ", name0);
			range_text(s, ic->terms[0].pkg, &ic->terms[0].range, out);
		}
		if (ic->reason != NULL)
			dl_buf_printf(out, " (%s)", ic->reason);
		return;
	case C_UNAVAILABLE:
		term_text(s, &ic->terms[0], false, out);
		dl_buf_puts(out, " cannot be used");
		if (ic->reason != NULL)
			dl_buf_printf(out, " (%s)", ic->reason);
		return;
	case C_DEPENDENCY:
		if (ic->terms[1].positive) {
			/* a constraint: print the range it allows */
			term allowed = {ic->terms[1].pkg, true, {NULL, 0, 0}};
			if (dl_range_complement(&allowed.range, &ic->terms[1].range) == 0) {
				if (ic->terms[0].pkg == 0) {
					dl_buf_puts(out, "the constraints allow only ");
				} else {
					term_text(s, &ic->terms[0], false, out);
					dl_buf_puts(out, " allows only ");
				}
				term_text(s, &allowed, false, out);
			}
			term_clear(&allowed);
			return;
		}
		if (ic->terms[0].pkg == 0) {
			dl_buf_puts(out, "the requirements include ");
			term_text(s, &ic->terms[1], true, out);
		} else {
			term_text(s, &ic->terms[0], false, out);
			dl_buf_puts(out, " depends on ");
			term_text(s, &ic->terms[1], true, out);
		}
		if (ic->reason != NULL)
			dl_buf_printf(out, " (%s)", ic->reason);
		return;
	default:
		break;
	}
	/* "the root and X are incompatible" reads better as a statement
	 * about X alone */
	uint32_t skip = UINT32_MAX;
	for (uint32_t i = 0; i < ic->nterms && ic->nterms == 2; i++) {
		if (ic->terms[i].pkg == 0 && ic->terms[i].positive)
			skip = i;
	}
	if (skip != UINT32_MAX) {
		const term *t = &ic->terms[1 - skip];
		term_text(s, t, false, out);
		dl_buf_puts(out, t->positive ? " cannot be used" : " is required");
		return;
	}
	if (ic->nterms == 0 || (ic->nterms == 1 && ic->terms[0].pkg == 0)) {
		dl_buf_puts(out, "the requirements cannot be satisfied");
	} else if (ic->nterms == 1) {
		term_text(s, &ic->terms[0], false, out);
		dl_buf_puts(out, ic->terms[0].positive ? " cannot be used" : " is required");
	} else if (ic->nterms == 2 && ic->terms[0].positive != ic->terms[1].positive) {
		const term *p = ic->terms[0].positive ? &ic->terms[0] : &ic->terms[1];
		const term *n = ic->terms[0].positive ? &ic->terms[1] : &ic->terms[0];
		term_text(s, p, false, out);
		dl_buf_puts(out, " requires ");
		term_text(s, n, true, out);
	} else {
		for (uint32_t i = 0; i < ic->nterms; i++) {
			if (i > 0)
				dl_buf_puts(out, i + 1 == ic->nterms ? " and " : ", ");
			term_text(s, &ic->terms[i], false, out);
		}
		dl_buf_puts(out, " are incompatible");
	}
}

/* Write the lines of the derivation of `id`; line numbers per
 * incompatibility in `lines` (0 = not written yet). */
static int explain_rec(const dl_solver *s, uint32_t id, uint32_t *lines, uint32_t *next_line, dl_buf *out, int depth)
{
	const incompat *ic = &s->ics[id];
	if (ic->cause != C_DERIVED || lines[id] != 0)
		return 0;
	if (depth > 10000)
		return dl_error_set(DL_ELIMIT, "derivation too deep to explain");
	const uint32_t causes[2] = {ic->c1, ic->c2};
	for (int i = 0; i < 2; i++) {
		int rc = explain_rec(s, causes[i], lines, next_line, out, depth + 1);
		if (rc < 0)
			return rc;
	}
	lines[id] = (*next_line)++;
	dl_buf_printf(out, "(%u) Because ", lines[id]);
	for (int i = 0; i < 2; i++) {
		const incompat *c = &s->ics[causes[i]];
		if (i == 1)
			dl_buf_puts(out, " and ");
		if (c->cause == C_DERIVED) {
			incompat_text(s, c, out);
			dl_buf_printf(out, " (%u)", lines[causes[i]]);
		} else {
			incompat_text(s, c, out);
		}
	}
	dl_buf_puts(out, ", ");
	incompat_text(s, ic, out);
	dl_buf_puts(out, ".\n");
	return out->failed;
}

int dl_solver_explain(const dl_solver *s, dl_buf *out)
{
	if (s->failure < 0)
		return dl_buf_puts(out, "a solution was found\n");
	const incompat *f = &s->ics[s->failure];
	if (f->cause != C_DERIVED) {
		dl_buf_puts(out, "Because ");
		incompat_text(s, f, out);
		dl_buf_puts(out, ", the requirements cannot be satisfied.\n");
		return out->failed;
	}
	uint32_t *lines = dl_calloc(s->nics, sizeof(uint32_t));
	if (lines == NULL)
		return dl_error_oom();
	uint32_t next_line = 1;
	int rc = explain_rec(s, (uint32_t)s->failure, lines, &next_line, out, 0);
	dl_free(lines);
	return rc;
}
