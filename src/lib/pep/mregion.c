/*
 * mregion.c - sets of environments as unions of cubes (see mregion.h).
 *
 * A cube has one slot per variable it constrains (a bit in `has`): two
 * version ranges (python_full_version, implementation_version), eight
 * string sets (a finite set, or all strings but a finite set), and a
 * sorted list of opaque conditions with their polarity.  An unconstrained
 * slot means "anything", so the full region is one cube with nothing set.
 *
 * Intersection of cubes is slot-wise; union is concatenation; the
 * complement of a cube is the union, over its constrained slots, of the
 * cube constraining only that slot to its complement, and the complement
 * of a region is the intersection of its cubes' complements.  After every
 * operation the region is simplified: empty cubes are never built, a cube
 * contained in another is dropped, and two cubes that differ in one slot
 * only are merged into one.  That keeps the regions a resolution meets
 * (a handful of platforms and Python versions) at a few cubes, and their
 * printed form short.
 *
 * Every question (empty, subset, equal) reduces to emptiness, which is
 * exact per cube because each slot's emptiness is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/mregion.h"
#include "deeplock/name.h"
#include "deeplock/range.h"
#include "deeplock/specifier.h"

enum { V_PY = 0, V_IMPL, NVER };

static const dl_marker_var str_vars[] = {
	DL_MARKER_OS_NAME,          DL_MARKER_SYS_PLATFORM,
	DL_MARKER_PLATFORM_SYSTEM,  DL_MARKER_PLATFORM_MACHINE,
	DL_MARKER_PLATFORM_PYTHON_IMPLEMENTATION, DL_MARKER_IMPLEMENTATION_NAME,
	DL_MARKER_PLATFORM_RELEASE, DL_MARKER_PLATFORM_VERSION,
};
#define NSTR (sizeof(str_vars) / sizeof(str_vars[0]))
#define NDIM (NVER + NSTR)

/* Simplification compares cubes pairwise; past this many a region is left
 * as it is (still exact, only longer). */
#define SIMPLIFY_MAX 1024

typedef struct sset {
	bool co;  /* true: every string except v; false: exactly v */
	char **v; /* sorted by strcmp, distinct */
	size_t n;
} sset;

typedef struct olit {
	char *text;    /* the comparison as written, canonical spelling */
	char *negtext; /* its negation, or NULL when PEP 508 has none */
	bool neg;
} olit;

typedef struct cube {
	uint32_t has; /* bit d: slot d constrained (0..NVER-1 ranges, then strings) */
	dl_range ver[NVER];
	sset str[NSTR];
	olit *op; /* sorted by text, one entry per text */
	size_t nop;
} cube;

struct dl_mregion {
	cube *c;
	size_t n, cap;
};

/* ---- string sets -------------------------------------------------------- */

static void sset_clear(sset *s)
{
	for (size_t i = 0; i < s->n; i++)
		dl_free(s->v[i]);
	dl_free(s->v);
	memset(s, 0, sizeof(*s));
}

static int sset_push(sset *s, const char *v)
{
	if (dl_realloc_array((void **)&s->v, s->n + 1, sizeof(*s->v)) < 0)
		return dl_error_oom();
	if ((s->v[s->n] = dl_strdup(v)) == NULL)
		return dl_error_oom();
	s->n++;
	return 0;
}

static bool sset_has(const sset *s, const char *v)
{
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->v[i], v) == 0)
			return true;
	}
	return false;
}

/* Merge of two sorted lists: keep what `keep` says about (in a, in b). */
static int sset_merge(sset *out, const sset *a, const sset *b, bool both, bool only_a, bool only_b)
{
	size_t i = 0, j = 0;
	int rc = 0;
	while (rc == 0 && (i < a->n || j < b->n)) {
		int c = i == a->n ? 1 : j == b->n ? -1 : strcmp(a->v[i], b->v[j]);
		if (c == 0) {
			if (both)
				rc = sset_push(out, a->v[i]);
			i++, j++;
		} else if (c < 0) {
			if (only_a)
				rc = sset_push(out, a->v[i]);
			i++;
		} else {
			if (only_b)
				rc = sset_push(out, b->v[j]);
			j++;
		}
	}
	return rc;
}

static int sset_copy(sset *out, const sset *a)
{
	memset(out, 0, sizeof(*out));
	out->co = a->co;
	for (size_t i = 0; i < a->n; i++) {
		int rc = sset_push(out, a->v[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int sset_and(sset *out, const sset *a, const sset *b)
{
	memset(out, 0, sizeof(*out));
	if (!a->co && !b->co)
		return sset_merge(out, a, b, true, false, false);
	if (!a->co)
		return sset_merge(out, a, b, false, true, false); /* a minus b's exclusions */
	if (!b->co)
		return sset_merge(out, a, b, false, false, true);
	out->co = true;
	return sset_merge(out, a, b, true, true, true);
}

static int sset_or(sset *out, const sset *a, const sset *b)
{
	memset(out, 0, sizeof(*out));
	if (!a->co && !b->co)
		return sset_merge(out, a, b, true, true, true);
	out->co = true;
	if (a->co && b->co)
		return sset_merge(out, a, b, true, false, false);
	if (a->co)
		return sset_merge(out, a, b, false, true, false); /* a's exclusions not in b */
	return sset_merge(out, a, b, false, false, true);
}

static bool sset_is_empty(const sset *s)
{
	return !s->co && s->n == 0;
}

static bool sset_is_full(const sset *s)
{
	return s->co && s->n == 0;
}

static bool sset_subset(const sset *a, const sset *b)
{
	if (!a->co && !b->co) {
		for (size_t i = 0; i < a->n; i++) {
			if (!sset_has(b, a->v[i]))
				return false;
		}
		return true;
	}
	if (!a->co) {
		for (size_t i = 0; i < a->n; i++) {
			if (sset_has(b, a->v[i]))
				return false;
		}
		return true;
	}
	if (!b->co)
		return false; /* all but finitely many strings never fit in a finite set */
	for (size_t i = 0; i < b->n; i++) {
		if (!sset_has(a, b->v[i]))
			return false;
	}
	return true;
}

static bool sset_eq(const sset *a, const sset *b)
{
	if (a->co != b->co || a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	}
	return true;
}

/* ---- cubes -------------------------------------------------------------- */

static void cube_clear(cube *c)
{
	for (size_t d = 0; d < NVER; d++)
		dl_range_clear(&c->ver[d]);
	for (size_t d = 0; d < NSTR; d++)
		sset_clear(&c->str[d]);
	for (size_t i = 0; i < c->nop; i++) {
		dl_free(c->op[i].text);
		dl_free(c->op[i].negtext);
	}
	dl_free(c->op);
	memset(c, 0, sizeof(*c));
}

static void cube_init(cube *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t d = 0; d < NVER; d++)
		dl_range_init(&c->ver[d]);
}

static int olit_copy(olit *out, const olit *a, bool negate)
{
	out->neg = negate ? !a->neg : a->neg;
	out->text = dl_strdup(a->text);
	out->negtext = a->negtext != NULL ? dl_strdup(a->negtext) : NULL;
	if (out->text == NULL || (a->negtext != NULL && out->negtext == NULL)) {
		dl_free(out->text);
		dl_free(out->negtext);
		return dl_error_oom();
	}
	return 0;
}

static int cube_push_op(cube *c, const olit *l, bool negate)
{
	if (dl_realloc_array((void **)&c->op, c->nop + 1, sizeof(*c->op)) < 0)
		return dl_error_oom();
	int rc = olit_copy(&c->op[c->nop], l, negate);
	if (rc == 0)
		c->nop++;
	return rc;
}

static int cube_copy_slot(cube *out, const cube *a, size_t d)
{
	out->has |= 1u << d;
	if (d < NVER)
		return dl_range_copy(&out->ver[d], &a->ver[d]);
	return sset_copy(&out->str[d - NVER], &a->str[d - NVER]);
}

static int cube_copy(cube *out, const cube *a)
{
	cube_init(out);
	int rc = 0;
	for (size_t d = 0; d < NDIM && rc == 0; d++) {
		if (a->has & (1u << d))
			rc = cube_copy_slot(out, a, d);
	}
	for (size_t i = 0; i < a->nop && rc == 0; i++)
		rc = cube_push_op(out, &a->op[i], false);
	if (rc < 0)
		cube_clear(out);
	return rc;
}

/* a ∩ b into *out; *empty when it is empty (then *out holds nothing). */
static int cube_and(cube *out, const cube *a, const cube *b, bool *empty)
{
	cube_init(out);
	*empty = false;
	int rc = 0;
	for (size_t d = 0; d < NDIM && rc == 0 && !*empty; d++) {
		uint32_t bit = 1u << d;
		if (!(a->has & bit) && !(b->has & bit))
			continue;
		if (!(b->has & bit) || !(a->has & bit)) {
			rc = cube_copy_slot(out, (a->has & bit) ? a : b, d);
			continue;
		}
		out->has |= bit;
		if (d < NVER) {
			rc = dl_range_intersect(&out->ver[d], &a->ver[d], &b->ver[d]);
			*empty = rc == 0 && dl_range_is_empty(&out->ver[d]);
		} else {
			rc = sset_and(&out->str[d - NVER], &a->str[d - NVER], &b->str[d - NVER]);
			*empty = rc == 0 && sset_is_empty(&out->str[d - NVER]);
		}
	}
	size_t i = 0, j = 0;
	while (rc == 0 && !*empty && (i < a->nop || j < b->nop)) {
		int c = i == a->nop ? 1 : j == b->nop ? -1 : strcmp(a->op[i].text, b->op[j].text);
		if (c == 0) {
			if (a->op[i].neg != b->op[j].neg)
				*empty = true;
			else
				rc = cube_push_op(out, &a->op[i], false);
			i++, j++;
		} else if (c < 0) {
			rc = cube_push_op(out, &a->op[i++], false);
		} else {
			rc = cube_push_op(out, &b->op[j++], false);
		}
	}
	if (rc < 0 || *empty)
		cube_clear(out);
	return rc;
}

static const olit *find_op(const cube *c, const char *text)
{
	for (size_t i = 0; i < c->nop; i++) {
		if (strcmp(c->op[i].text, text) == 0)
			return &c->op[i];
	}
	return NULL;
}

/* a ⊆ b (both non-empty). */
static bool cube_subset(const cube *a, const cube *b)
{
	for (size_t d = 0; d < NDIM; d++) {
		uint32_t bit = 1u << d;
		if (!(b->has & bit))
			continue;
		if (!(a->has & bit))
			return false; /* a is unconstrained there and b is not full */
		if (d < NVER ? !dl_range_subset(&a->ver[d], &b->ver[d])
		             : !sset_subset(&a->str[d - NVER], &b->str[d - NVER]))
			return false;
	}
	for (size_t i = 0; i < b->nop; i++) {
		const olit *l = find_op(a, b->op[i].text);
		if (l == NULL || l->neg != b->op[i].neg)
			return false;
	}
	return true;
}

static bool slot_eq(const cube *a, const cube *b, size_t d)
{
	uint32_t bit = 1u << d;
	if ((a->has & bit) != (b->has & bit))
		return false;
	if (!(a->has & bit))
		return true;
	return d < NVER ? dl_range_eq(&a->ver[d], &b->ver[d]) : sset_eq(&a->str[d - NVER], &b->str[d - NVER]);
}

static bool ops_eq(const cube *a, const cube *b)
{
	if (a->nop != b->nop)
		return false;
	for (size_t i = 0; i < a->nop; i++) {
		if (strcmp(a->op[i].text, b->op[i].text) != 0 || a->op[i].neg != b->op[i].neg)
			return false;
	}
	return true;
}

/* ---- regions ------------------------------------------------------------ */

static dl_mregion *region_new(void)
{
	dl_mregion *r = dl_calloc(1, sizeof(*r));
	if (r == NULL)
		dl_error_oom();
	return r;
}

void dl_mregion_free(dl_mregion *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		cube_clear(&r->c[i]);
	dl_free(r->c);
	dl_free(r);
}

/* Append *c, taking what it owns (it is left empty). */
static int region_take(dl_mregion *r, cube *c)
{
	if (r->n >= DL_MREGION_MAX_CUBES) {
		cube_clear(c);
		return dl_error_set(DL_ELIMIT, "a set of environments grew past %d parts (markers too tangled to compare)",
		                    DL_MREGION_MAX_CUBES);
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 4;
		if (dl_realloc_array((void **)&r->c, cap, sizeof(*r->c)) < 0) {
			cube_clear(c);
			return dl_error_oom();
		}
		r->cap = cap;
	}
	r->c[r->n++] = *c;
	cube_init(c);
	return 0;
}

static void region_remove(dl_mregion *r, size_t i)
{
	cube_clear(&r->c[i]);
	memmove(&r->c[i], &r->c[i + 1], (r->n - i - 1) * sizeof(*r->c));
	r->n--;
}

/* Cubes equal but for the polarity of one opaque condition: that
 * condition goes (c and x) or (c and not x) is c. */
static int merge_ops(cube *a, const cube *b, bool *merged)
{
	if (a->nop != b->nop || a->has != b->has)
		return 0;
	size_t diff = a->nop, ndiff = 0;
	for (size_t i = 0; i < a->nop; i++) {
		if (strcmp(a->op[i].text, b->op[i].text) != 0)
			return 0;
		if (a->op[i].neg != b->op[i].neg) {
			diff = i;
			ndiff++;
		}
	}
	for (size_t d = 0; d < NDIM; d++) {
		if (!slot_eq(a, b, d))
			return 0;
	}
	if (ndiff != 1)
		return 0;
	dl_free(a->op[diff].text);
	dl_free(a->op[diff].negtext);
	memmove(&a->op[diff], &a->op[diff + 1], (a->nop - diff - 1) * sizeof(*a->op));
	a->nop--;
	*merged = true;
	return 0;
}

/* Merge cube j into cube i when they differ in one slot only; *merged
 * says whether it happened (j is then removed by the caller). */
static int try_merge(cube *a, const cube *b, bool *merged)
{
	*merged = false;
	if (!ops_eq(a, b))
		return merge_ops(a, b, merged);
	size_t diff = NDIM, ndiff = 0;
	for (size_t d = 0; d < NDIM; d++) {
		if (!slot_eq(a, b, d)) {
			diff = d;
			ndiff++;
		}
	}
	uint32_t bit = 1u << diff;
	if (ndiff != 1 || !(a->has & bit) || !(b->has & bit))
		return 0; /* an unconstrained slot means b ⊇ a: subsumption's job */
	int rc;
	bool full;
	if (diff < NVER) {
		dl_range u;
		dl_range_init(&u);
		if ((rc = dl_range_union(&u, &a->ver[diff], &b->ver[diff])) < 0)
			return rc;
		dl_range_clear(&a->ver[diff]);
		a->ver[diff] = u;
		full = dl_range_is_full(&u);
		if (full)
			dl_range_clear(&a->ver[diff]);
	} else {
		sset u;
		if ((rc = sset_or(&u, &a->str[diff - NVER], &b->str[diff - NVER])) < 0) {
			sset_clear(&u);
			return rc;
		}
		sset_clear(&a->str[diff - NVER]);
		a->str[diff - NVER] = u;
		full = sset_is_full(&u);
		if (full)
			sset_clear(&a->str[diff - NVER]);
	}
	if (full)
		a->has &= ~bit;
	*merged = true;
	return 0;
}

/* Drop cubes contained in others and merge neighbours, to a fixed point. */
static int simplify(dl_mregion *r)
{
	if (r->n > SIMPLIFY_MAX)
		return 0;
	bool changed = true;
	while (changed) {
		changed = false;
		for (size_t i = 0; i < r->n && !changed; i++) {
			for (size_t j = 0; j < r->n && !changed; j++) {
				if (i == j || !cube_subset(&r->c[i], &r->c[j]))
					continue;
				if (cube_subset(&r->c[j], &r->c[i]) && j > i)
					continue; /* equal: keep the first */
				region_remove(r, i);
				changed = true;
			}
		}
		for (size_t i = 0; i < r->n && !changed; i++) {
			for (size_t j = i + 1; j < r->n && !changed; j++) {
				bool merged;
				int rc = try_merge(&r->c[i], &r->c[j], &merged);
				if (rc < 0)
					return rc;
				if (merged) {
					region_remove(r, j);
					changed = true;
				}
			}
		}
	}
	return 0;
}

int dl_mregion_empty(dl_mregion **out)
{
	*out = region_new();
	return *out != NULL ? 0 : DL_ENOMEM;
}

int dl_mregion_full(dl_mregion **out)
{
	dl_mregion *r = region_new();
	*out = NULL;
	if (r == NULL)
		return DL_ENOMEM;
	cube c;
	cube_init(&c);
	int rc = region_take(r, &c);
	if (rc < 0) {
		dl_mregion_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

/* Hand a region being built to the caller (simplified first when asked),
 * or release it when building failed. */
static int publish(dl_mregion *r, int rc, bool simp, dl_mregion **out)
{
	if (rc == 0 && simp)
		rc = simplify(r);
	if (rc < 0) {
		dl_mregion_free(r);
		r = NULL;
	}
	*out = r;
	return rc;
}

static int append_copies(dl_mregion *r, const dl_mregion *src)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < src->n; i++) {
		cube c;
		if ((rc = cube_copy(&c, &src->c[i])) == 0)
			rc = region_take(r, &c);
	}
	return rc;
}

int dl_mregion_clone(dl_mregion **out, const dl_mregion *a)
{
	dl_mregion *r = region_new();
	int rc = r != NULL ? append_copies(r, a) : DL_ENOMEM;
	return publish(r, rc, false, out);
}

int dl_mregion_and(dl_mregion **out, const dl_mregion *a, const dl_mregion *b)
{
	dl_mregion *r = region_new();
	int rc = r != NULL ? 0 : DL_ENOMEM;
	for (size_t i = 0; rc == 0 && i < a->n; i++) {
		for (size_t j = 0; rc == 0 && j < b->n; j++) {
			cube c;
			bool empty;
			if ((rc = cube_and(&c, &a->c[i], &b->c[j], &empty)) == 0 && !empty)
				rc = region_take(r, &c);
		}
	}
	return publish(r, rc, true, out);
}

int dl_mregion_or(dl_mregion **out, const dl_mregion *a, const dl_mregion *b)
{
	dl_mregion *r = region_new();
	int rc = r != NULL ? append_copies(r, a) : DL_ENOMEM;
	if (rc == 0)
		rc = append_copies(r, b);
	return publish(r, rc, true, out);
}

/* The complement of one cube: one cube per constrained slot or opaque
 * condition, each the complement of that slot alone. */
static int cube_not(dl_mregion **out, const cube *a)
{
	dl_mregion *r = region_new();
	int rc = r != NULL ? 0 : DL_ENOMEM;
	for (size_t d = 0; rc == 0 && d < NDIM; d++) {
		if (!(a->has & (1u << d)))
			continue;
		cube c;
		cube_init(&c);
		c.has = 1u << d;
		bool empty;
		if (d < NVER) {
			rc = dl_range_complement(&c.ver[d], &a->ver[d]);
			empty = dl_range_is_empty(&c.ver[d]);
		} else {
			rc = sset_copy(&c.str[d - NVER], &a->str[d - NVER]);
			c.str[d - NVER].co = !c.str[d - NVER].co;
			empty = sset_is_empty(&c.str[d - NVER]);
		}
		if (rc == 0 && !empty)
			rc = region_take(r, &c);
		else
			cube_clear(&c);
	}
	for (size_t i = 0; rc == 0 && i < a->nop; i++) {
		cube c;
		cube_init(&c);
		if ((rc = cube_push_op(&c, &a->op[i], true)) == 0)
			rc = region_take(r, &c);
		else
			cube_clear(&c);
	}
	return publish(r, rc, false, out);
}

/* *acc = op(*acc, x). */
static int fold(dl_mregion **acc, int (*op)(dl_mregion **, const dl_mregion *, const dl_mregion *),
                const dl_mregion *x)
{
	dl_mregion *next = NULL;
	int rc = op(&next, *acc, x);
	if (rc == 0) {
		dl_mregion_free(*acc);
		*acc = next;
	}
	return rc;
}

int dl_mregion_not(dl_mregion **out, const dl_mregion *a)
{
	dl_mregion *acc = NULL;
	int rc = dl_mregion_full(&acc);
	for (size_t i = 0; rc == 0 && i < a->n && acc->n > 0; i++) {
		dl_mregion *ni = NULL;
		if ((rc = cube_not(&ni, &a->c[i])) == 0)
			rc = fold(&acc, dl_mregion_and, ni);
		dl_mregion_free(ni);
	}
	return publish(acc, rc, false, out);
}

/* Drop slot d (NDIM + k: opaque condition k) of cube i of r. */
static void unconstrain(cube *c, size_t d)
{
	if (d < NVER) {
		dl_range_clear(&c->ver[d]);
		c->has &= ~(1u << d);
	} else if (d < NDIM) {
		sset_clear(&c->str[d - NVER]);
		c->has &= ~(1u << d);
	} else {
		size_t k = d - NDIM;
		dl_free(c->op[k].text);
		dl_free(c->op[k].negtext);
		memmove(&c->op[k], &c->op[k + 1], (c->nop - k - 1) * sizeof(*c->op));
		c->nop--;
	}
}

/* How many bounds a range prints with. */
static size_t bounds(const dl_range *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n; i++)
		n += (r->iv[i].lo_kind != DL_BOUND_UNBOUNDED) + (r->iv[i].hi_kind != DL_BOUND_UNBOUNDED);
	return n;
}

/* Widen version slot d of c by what lies outside the base's range there
 * (dropping the slot when that covers everything): the same inside the
 * base, and usually one bound shorter. */
static int widen(cube *c, size_t d, const dl_range *base)
{
	dl_range out, wide;
	dl_range_init(&out);
	dl_range_init(&wide);
	int rc = dl_range_complement(&out, base);
	if (rc == 0)
		rc = dl_range_union(&wide, &c->ver[d], &out);
	dl_range_clear(&out);
	if (rc < 0) {
		dl_range_clear(&wide);
		return rc;
	}
	if (bounds(&wide) >= bounds(&c->ver[d])) {
		dl_range_clear(&wide); /* no shorter: keep the slot as it is */
		return 0;
	}
	dl_range_clear(&c->ver[d]);
	if (dl_range_is_full(&wide)) {
		dl_range_clear(&wide);
		c->has &= ~(1u << d);
	} else {
		c->ver[d] = wide;
	}
	return 0;
}

int dl_mregion_within(dl_mregion **out, const dl_mregion *a, const dl_mregion *base)
{
	dl_mregion *want = NULL, *cur = NULL;
	*out = NULL;
	int rc = dl_mregion_and(&want, a, base);
	if (rc == 0)
		rc = dl_mregion_clone(&cur, want);
	for (size_t i = 0; rc == 0 && i < cur->n; i++) {
		for (size_t d = NDIM + cur->c[i].nop; rc == 0 && d-- > 0;) {
			if (d < NDIM && !(cur->c[i].has & (1u << d)))
				continue;
			dl_mregion *trial = NULL, *meet = NULL;
			bool same = false;
			if ((rc = dl_mregion_clone(&trial, cur)) < 0)
				break;
			if (d < NVER && base->n == 1 && (base->c[0].has & (1u << d)))
				rc = widen(&trial->c[i], d, &base->c[0].ver[d]);
			else
				unconstrain(&trial->c[i], d);
			if (rc < 0) {
				dl_mregion_free(trial);
				break;
			}
			if ((rc = dl_mregion_and(&meet, trial, base)) == 0)
				rc = dl_mregion_eq(meet, want, &same);
			dl_mregion_free(meet);
			if (rc == 0 && same) {
				dl_mregion_free(cur);
				cur = trial;
			} else {
				dl_mregion_free(trial);
			}
		}
	}
	if (rc == 0)
		rc = simplify(cur);
	dl_mregion_free(want);
	if (rc < 0) {
		dl_mregion_free(cur);
		return rc;
	}
	*out = cur;
	return 0;
}

bool dl_mregion_is_empty(const dl_mregion *a)
{
	return a->n == 0;
}

static bool has_full_cube(const dl_mregion *a)
{
	for (size_t i = 0; i < a->n; i++) {
		if (a->c[i].has == 0 && a->c[i].nop == 0)
			return true;
	}
	return false;
}

bool dl_mregion_is_full(const dl_mregion *a)
{
	if (has_full_cube(a))
		return true;
	if (a->n < 2)
		return false; /* one cube that constrains something */
	/* cubes that cover everything together (a or not a); a failure to
	 * find out answers false and leaves the stored error as it was */
	int saved = dl_error_last()->code;
	char msg[1024];
	snprintf(msg, sizeof(msg), "%s", dl_error_last()->message);
	dl_mregion *n = NULL;
	bool full = dl_mregion_not(&n, a) == 0 && dl_mregion_is_empty(n);
	if (n == NULL) {
		if (saved != 0)
			dl_error_set(saved, "%s", msg);
		else
			dl_error_clear();
	}
	dl_mregion_free(n);
	return full;
}

size_t dl_mregion_size(const dl_mregion *a)
{
	return a->n;
}

int dl_mregion_disjoint(const dl_mregion *a, const dl_mregion *b, bool *out)
{
	*out = true;
	for (size_t i = 0; i < a->n && *out; i++) {
		for (size_t j = 0; j < b->n && *out; j++) {
			cube c;
			bool empty;
			int rc = cube_and(&c, &a->c[i], &b->c[j], &empty);
			if (rc < 0)
				return rc;
			if (!empty) {
				*out = false;
				cube_clear(&c);
			}
		}
	}
	return 0;
}

int dl_mregion_subset(const dl_mregion *a, const dl_mregion *b, bool *out)
{
	*out = true;
	if (a->n == 0 || has_full_cube(b)) /* else the complement below decides */
		return 0;
	dl_mregion *nb = NULL;
	int rc = dl_mregion_not(&nb, b);
	if (rc == 0)
		rc = dl_mregion_disjoint(a, nb, out);
	dl_mregion_free(nb);
	return rc;
}

int dl_mregion_eq(const dl_mregion *a, const dl_mregion *b, bool *out)
{
	int rc = dl_mregion_subset(a, b, out);
	if (rc == 0 && *out)
		rc = dl_mregion_subset(b, a, out);
	return rc;
}

int dl_mregion_python_floor(const dl_mregion *a, bool *bounded, dl_version *lo, bool *inclusive)
{
	*bounded = false;
	const dl_interval *best = NULL;
	for (size_t i = 0; i < a->n; i++) {
		const cube *c = &a->c[i];
		if (!(c->has & (1u << V_PY)) || c->ver[V_PY].n == 0 ||
		    c->ver[V_PY].iv[0].lo_kind == DL_BOUND_UNBOUNDED)
			return 0;
		const dl_interval *iv = &c->ver[V_PY].iv[0];
		int cmp = best == NULL ? -1 : dl_version_cmp(&iv->lo, &best->lo);
		if (cmp < 0 || (cmp == 0 && iv->lo_kind == DL_BOUND_INCLUSIVE))
			best = iv;
	}
	if (best == NULL)
		return 0;
	int rc = dl_version_copy(lo, &best->lo);
	if (rc < 0)
		return rc;
	*bounded = true;
	*inclusive = best->lo_kind == DL_BOUND_INCLUSIVE;
	return 0;
}

/* ---- from markers ------------------------------------------------------- */

static int str_slot(dl_marker_var var)
{
	for (size_t i = 0; i < NSTR; i++) {
		if (str_vars[i] == var)
			return (int)(NVER + i);
	}
	return -1;
}

/* A region of one cube with one range slot. */
static int region_range(dl_mregion **out, size_t d, dl_range *take)
{
	dl_mregion *r = NULL;
	int rc;
	if (dl_range_is_empty(take)) {
		dl_range_clear(take);
		return dl_mregion_empty(out);
	}
	if (dl_range_is_full(take)) {
		dl_range_clear(take);
		return dl_mregion_full(out);
	}
	if ((rc = dl_mregion_empty(&r)) < 0) {
		dl_range_clear(take);
		return rc;
	}
	cube c;
	cube_init(&c);
	c.has = 1u << d;
	c.ver[d] = *take;
	dl_range_init(take);
	if ((rc = region_take(r, &c)) < 0) {
		dl_mregion_free(r);
		r = NULL;
	}
	*out = r;
	return rc;
}

static int region_string(dl_mregion **out, size_t d, bool co, const char *lit, size_t len)
{
	dl_mregion *r = NULL;
	int rc = dl_mregion_empty(&r);
	if (rc < 0)
		return rc;
	cube c;
	cube_init(&c);
	c.has = 1u << d;
	c.str[d - NVER].co = co;
	char *v = dl_strndup(lit, len);
	if (v == NULL)
		rc = dl_error_oom();
	if (rc == 0)
		rc = sset_push(&c.str[d - NVER], v);
	dl_free(v);
	if (rc == 0)
		rc = region_take(r, &c);
	else
		cube_clear(&c);
	if (rc < 0) {
		dl_mregion_free(r);
		r = NULL;
	}
	*out = r;
	return rc;
}

static const dl_marker_op op_negation[DL_MARKER_OP_COUNT] = {
	[DL_MARKER_OP_LT] = DL_MARKER_OP_GE, [DL_MARKER_OP_LE] = DL_MARKER_OP_GT,
	[DL_MARKER_OP_EQ] = DL_MARKER_OP_NE, [DL_MARKER_OP_NE] = DL_MARKER_OP_EQ,
	[DL_MARKER_OP_GE] = DL_MARKER_OP_LT, [DL_MARKER_OP_GT] = DL_MARKER_OP_LE,
	[DL_MARKER_OP_COMPATIBLE] = DL_MARKER_OP_COUNT, [DL_MARKER_OP_ARBITRARY] = DL_MARKER_OP_COUNT,
	[DL_MARKER_OP_IN] = DL_MARKER_OP_NOT_IN, [DL_MARKER_OP_NOT_IN] = DL_MARKER_OP_IN,
};

static int put_literal(dl_buf *b, const char *lit, size_t len)
{
	char q = memchr(lit, '"', len) != NULL ? '\'' : '"';
	dl_buf_putc(b, q);
	dl_buf_put(b, lit, len);
	return dl_buf_putc(b, q);
}

static char *cmp_text(const dl_marker_node *n, dl_marker_op op)
{
	dl_buf b;
	dl_buf_init(&b, 0);
	const char *var = dl_marker_var_name(n->var);
	if (n->var_right) {
		put_literal(&b, n->literal, n->literal_len);
		dl_buf_putc(&b, ' ');
		dl_buf_puts(&b, dl_marker_op_name(op));
		dl_buf_putc(&b, ' ');
		dl_buf_puts(&b, var);
	} else {
		dl_buf_puts(&b, var);
		dl_buf_putc(&b, ' ');
		dl_buf_puts(&b, dl_marker_op_name(op));
		dl_buf_putc(&b, ' ');
		put_literal(&b, n->literal, n->literal_len);
	}
	char *s = dl_buf_detach(&b, NULL);
	if (s == NULL)
		dl_error_oom();
	return s;
}

/* An opaque comparison.  `x not in y`, `!=`, `>=` and `>` are kept as the
 * negation of `in`, `==`, `<` and `<=`, so a comparison and its written
 * negation are one condition. */
static int region_opaque(dl_mregion **out, const dl_marker_node *n)
{
	olit l = {0};
	int rc = 0;
	bool flip = n->op == DL_MARKER_OP_NOT_IN || n->op == DL_MARKER_OP_NE || n->op == DL_MARKER_OP_GE ||
	            n->op == DL_MARKER_OP_GT;
	dl_marker_op pos = flip ? op_negation[n->op] : n->op;
	l.text = cmp_text(n, pos);
	if (l.text == NULL)
		return DL_ENOMEM;
	if (op_negation[pos] != DL_MARKER_OP_COUNT && (l.negtext = cmp_text(n, op_negation[pos])) == NULL)
		rc = DL_ENOMEM;
	dl_mregion *r = NULL;
	if (rc == 0)
		rc = dl_mregion_empty(&r);
	if (rc == 0) {
		cube c;
		cube_init(&c);
		if ((rc = cube_push_op(&c, &l, flip)) == 0)
			rc = region_take(r, &c);
		else
			cube_clear(&c);
	}
	dl_free(l.text);
	dl_free(l.negtext);
	if (rc < 0) {
		dl_mregion_free(r);
		r = NULL;
	}
	*out = r;
	return rc;
}

/* The range of the specifier "<op><text>" (the empty range when it does
 * not parse: *ok false). */
static int spec_range(dl_range *out, dl_marker_op op, const char *text, size_t len, bool *ok)
{
	*ok = false;
	dl_buf b;
	dl_buf_init(&b, 0);
	dl_buf_puts(&b, dl_marker_op_name(op));
	dl_buf_put(&b, text, len);
	char *s = dl_buf_detach(&b, NULL);
	if (s == NULL)
		return dl_error_oom();
	dl_specset *set = NULL;
	int rc = dl_specset_parse(&set, s, strlen(s));
	dl_free(s);
	if (rc == DL_ENOMEM)
		return rc;
	if (rc < 0) {
		dl_error_clear();
		return 0;
	}
	rc = dl_range_from_specset(out, set);
	dl_specset_free(set);
	*ok = rc == 0;
	return rc;
}

static dl_marker_op mirror(dl_marker_op op)
{
	switch (op) {
	case DL_MARKER_OP_LT:
		return DL_MARKER_OP_GT;
	case DL_MARKER_OP_LE:
		return DL_MARKER_OP_GE;
	case DL_MARKER_OP_GT:
		return DL_MARKER_OP_LT;
	case DL_MARKER_OP_GE:
		return DL_MARKER_OP_LE;
	case DL_MARKER_OP_EQ:
	case DL_MARKER_OP_NE:
		return op;
	default:
		return DL_MARKER_OP_COUNT;
	}
}

/*
 * `python_version <op> "X.Y"` as a range of python_full_version (the
 * variable is the X.Y of it, so "<= 3.9" is "< 3.10", "> 3.9" is
 * ">= 3.10" with 3.10's pre-releases, "== 3.9" is "== 3.9.*").  A bare
 * "X" is "X.0".  *ok false for any other literal.
 */
static int python_version_range(dl_range *out, dl_marker_op op, const char *lit, size_t len, bool *ok)
{
	*ok = false;
	if (len > 0 && lit[len - 1] == '*')
		return (op == DL_MARKER_OP_EQ || op == DL_MARKER_OP_NE) ? spec_range(out, op, lit, len, ok) : 0;
	dl_version v;
	if (dl_version_parse_into(&v, lit, len) < 0) {
		dl_error_clear();
		return 0;
	}
	const uint64_t *rel = dl_version_release(&v);
	bool plain = v.epoch == 0 && v.nrelease <= 2 && v.pre_kind == DL_VERSION_PRE_NONE && !v.has_post &&
	             !v.has_dev && v.local == NULL && (v.nrelease < 2 || rel[1] < UINT64_MAX);
	uint64_t major = rel[0], minor = v.nrelease == 2 ? rel[1] : 0;
	dl_version_clear(&v);
	if (!plain)
		return 0;
	char cur[64], next[64];
	snprintf(cur, sizeof(cur), "%llu.%llu", (unsigned long long)major, (unsigned long long)minor);
	snprintf(next, sizeof(next), "%llu.%llu", (unsigned long long)major, (unsigned long long)minor + 1);
	dl_range tmp;
	dl_range_init(&tmp);
	int rc = 0;
	switch (op) {
	case DL_MARKER_OP_LT:
		rc = spec_range(out, DL_MARKER_OP_LT, cur, strlen(cur), ok);
		break;
	case DL_MARKER_OP_LE:
		rc = spec_range(out, DL_MARKER_OP_LT, next, strlen(next), ok);
		break;
	case DL_MARKER_OP_GT:
	case DL_MARKER_OP_GE: {
		const char *b = op == DL_MARKER_OP_GT ? next : cur;
		if ((rc = spec_range(&tmp, DL_MARKER_OP_LT, b, strlen(b), ok)) == 0 && *ok)
			rc = dl_range_complement(out, &tmp);
		break;
	}
	case DL_MARKER_OP_EQ:
	case DL_MARKER_OP_NE: {
		char w[80];
		snprintf(w, sizeof(w), "%s.*", cur);
		rc = spec_range(out, op, w, strlen(w), ok);
		break;
	}
	case DL_MARKER_OP_COMPATIBLE: {
		/* >= X.Y and == X.* */
		dl_range ge, pre;
		dl_range_init(&ge);
		dl_range_init(&pre);
		char w[40];
		snprintf(w, sizeof(w), "%llu.*", (unsigned long long)major);
		bool ok2 = false;
		if ((rc = spec_range(&tmp, DL_MARKER_OP_LT, cur, strlen(cur), ok)) == 0 && *ok &&
		    (rc = dl_range_complement(&ge, &tmp)) == 0 &&
		    (rc = spec_range(&pre, DL_MARKER_OP_EQ, w, strlen(w), &ok2)) == 0 && ok2)
			rc = dl_range_intersect(out, &ge, &pre);
		*ok = *ok && ok2;
		dl_range_clear(&ge);
		dl_range_clear(&pre);
		break;
	}
	default:
		break;
	}
	dl_range_clear(&tmp);
	return rc;
}

static bool extra_active(const char *lit, size_t len, const char *const *extras, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (dl_name_eq(lit, len, extras[i], strlen(extras[i])))
			return true;
	}
	return false;
}

static int from_cmp(dl_mregion **out, const dl_marker_node *n, const char *const *extras, size_t nx)
{
	int rc;
	bool ok = false;
	dl_range r;
	dl_range_init(&r);
	switch (n->var) {
	case DL_MARKER_EXTRA:
		if (n->op != DL_MARKER_OP_EQ && n->op != DL_MARKER_OP_NE)
			return region_opaque(out, n);
		/* as evaluation does: with no extras, `extra` is "" */
		bool active = nx == 0 ? n->literal_len == 0 : extra_active(n->literal, n->literal_len, extras, nx);
		if (active == (n->op == DL_MARKER_OP_EQ))
			return dl_mregion_full(out);
		return dl_mregion_empty(out);
	case DL_MARKER_PYTHON_VERSION:
	case DL_MARKER_PYTHON_FULL_VERSION:
	case DL_MARKER_IMPLEMENTATION_VERSION: {
		dl_marker_op op = n->var_right ? mirror(n->op) : n->op;
		if (op == DL_MARKER_OP_COUNT || op == DL_MARKER_OP_ARBITRARY || op == DL_MARKER_OP_IN ||
		    op == DL_MARKER_OP_NOT_IN || (n->var_right && op == DL_MARKER_OP_COMPATIBLE))
			return region_opaque(out, n);
		if (n->var == DL_MARKER_PYTHON_VERSION)
			rc = python_version_range(&r, op, n->literal, n->literal_len, &ok);
		else
			rc = spec_range(&r, op, n->literal, n->literal_len, &ok);
		if (rc < 0 || !ok) {
			dl_range_clear(&r);
			return rc < 0 ? rc : region_opaque(out, n);
		}
		return region_range(out, n->var == DL_MARKER_IMPLEMENTATION_VERSION ? V_IMPL : V_PY, &r);
	}
	default:
		break;
	}
	int d = str_slot(n->var);
	if (d < 0 || (n->op != DL_MARKER_OP_EQ && n->op != DL_MARKER_OP_NE))
		return region_opaque(out, n);
	if (n->var == DL_MARKER_PLATFORM_RELEASE) {
		/* packaging compares it as a version when both sides parse */
		dl_version v;
		if (dl_version_parse_into(&v, n->literal, n->literal_len) == 0) {
			dl_version_clear(&v);
			return region_opaque(out, n);
		}
		dl_error_clear();
	}
	return region_string(out, (size_t)d, n->op == DL_MARKER_OP_NE, n->literal, n->literal_len);
}

static int from_node(dl_mregion **out, const dl_marker *m, uint32_t idx, const char *const *extras, size_t nx)
{
	dl_marker_node n;
	dl_marker_node_get(m, idx, &n);
	switch (n.kind) {
	case DL_MARKER_NODE_TRUE:
		return dl_mregion_full(out);
	case DL_MARKER_NODE_FALSE:
		return dl_mregion_empty(out);
	case DL_MARKER_NODE_CMP:
		return from_cmp(out, &n, extras, nx);
	default:
		break;
	}
	bool is_and = n.kind == DL_MARKER_NODE_AND;
	dl_mregion *acc = NULL;
	int rc = is_and ? dl_mregion_full(&acc) : dl_mregion_empty(&acc);
	for (size_t k = 0; rc == 0 && k < n.nkids; k++) {
		if (is_and ? dl_mregion_is_empty(acc) : has_full_cube(acc))
			break;
		dl_mregion *kid = NULL;
		if ((rc = from_node(&kid, m, n.kids[k], extras, nx)) == 0)
			rc = fold(&acc, is_and ? dl_mregion_and : dl_mregion_or, kid);
		dl_mregion_free(kid);
	}
	return publish(acc, rc, false, out);
}

int dl_mregion_from_marker(dl_mregion **out, const dl_marker *m, const char *const *extras, size_t n)
{
	*out = NULL;
	if (m == NULL)
		return dl_mregion_full(out);
	return from_node(out, m, dl_marker_root(m), extras, n);
}

int dl_mregion_python(dl_mregion **out, const dl_specset *set)
{
	*out = NULL;
	dl_range r;
	dl_range_init(&r);
	int rc = dl_range_from_specset(&r, set);
	if (rc < 0) {
		dl_range_clear(&r);
		return rc;
	}
	return region_range(out, V_PY, &r);
}

int dl_mregion_parse(dl_mregion **out, const char *s, size_t len)
{
	*out = NULL;
	size_t i = 0;
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i == len)
		return dl_mregion_full(out); /* "" is how format writes "everywhere" */
	dl_marker *m = NULL;
	int rc = dl_marker_parse(&m, s, len);
	if (rc == 0)
		rc = dl_mregion_from_marker(out, m, NULL, 0);
	dl_marker_free(m);
	return rc;
}

/* ---- printing ----------------------------------------------------------- */

/* The version without its bound suffix. */
static int put_version(dl_buf *b, const dl_version *v)
{
	dl_version c;
	int rc = dl_version_copy(&c, v);
	if (rc < 0)
		return rc;
	c.bound = DL_VERSION_BOUND_NONE;
	c.key = 0;
	dl_buf_putc(b, '"');
	rc = dl_version_format(&c, b);
	dl_version_clear(&c);
	if (rc == 0)
		rc = dl_buf_putc(b, '"');
	return rc;
}

static int put_cmp(dl_buf *b, const char *var, const char *op, const dl_version *v);

/* `var op "V"` with V's version changed: a dev0 added (the cut just
 * below every version that starts with V, when V has no dev part), or
 * the largest post-release (the cut above all of V's post-releases). */
enum { ADD_DEV0 = 1, ADD_POST_MAX };

static int put_with(dl_buf *b, const char *var, const char *op, const dl_version *v, int add)
{
	dl_version c;
	int rc = dl_version_copy(&c, v);
	if (rc < 0)
		return rc;
	c.bound = DL_VERSION_BOUND_NONE;
	c.key = 0;
	if (add == ADD_DEV0 && !c.has_dev) {
		c.has_dev = true;
		c.dev_num = 0;
	} else if (add == ADD_POST_MAX && !c.has_post && !c.has_dev) {
		c.has_post = true;
		c.post_num = UINT64_MAX;
	}
	rc = put_cmp(b, var, op, &c);
	dl_version_clear(&c);
	return rc;
}

/* A final release: no pre, post, dev part or local label. */
static bool plain_release(const dl_version *v)
{
	return v->pre_kind == DL_VERSION_PRE_NONE && !v->has_post && !v->has_dev && v->local == NULL;
}

static bool is_pre(const dl_version *v)
{
	return v->pre_kind != DL_VERSION_PRE_NONE || v->has_dev;
}

/* A MIN bound on an X.Y boundary, which python_version can say. */
static bool minor_cut(const dl_version *v, size_t d)
{
	return d == V_PY && v->bound == DL_VERSION_BOUND_MIN && v->epoch == 0 && v->nrelease <= 2 && plain_release(v);
}

/* `python_version <op> "X.Y"` for a minor cut ("4.MIN" is "4.0"). */
static int put_minor(dl_buf *b, const char *op, const dl_version *v)
{
	const uint64_t *rel = dl_version_release(v);
	return dl_buf_printf(b, "python_version %s \"%llu.%llu\"", op, (unsigned long long)rel[0],
	                     (unsigned long long)(v->nrelease > 1 ? rel[1] : 0));
}

static int put_cmp(dl_buf *b, const char *var, const char *op, const dl_version *v)
{
	dl_buf_puts(b, var);
	dl_buf_putc(b, ' ');
	dl_buf_puts(b, op);
	dl_buf_putc(b, ' ');
	return put_version(b, v);
}

/* The bound version without its bound suffix, as `var op "V"`. */
static bool real(const dl_version *v)
{
	return v->bound == DL_VERSION_BOUND_NONE;
}

/* Is [lo, hi] what `== "V"` matches: [V, V+MAX], or the one version V
 * when V has a local label (for a plain V, [V, V] is printed as `==`
 * too, which adds only V's local versions)? */
static bool is_point(const dl_interval *iv)
{
	if (iv->lo_kind != DL_BOUND_INCLUSIVE || iv->hi_kind != DL_BOUND_INCLUSIVE || !real(&iv->lo))
		return false;
	if (real(&iv->hi))
		return dl_version_cmp_full(&iv->lo, &iv->hi) == 0;
	if (iv->lo.local != NULL || iv->hi.bound != DL_VERSION_BOUND_LOCAL_MAX)
		return false;
	dl_version c = iv->hi;
	c.bound = DL_VERSION_BOUND_NONE;
	c.key = 0;
	return dl_version_cmp_full(&c, &iv->lo) == 0;
}

/*
 * One interval of a version slot, as PEP 508 evaluates (PEP 440's
 * exclusive rules included), in the shortest words that say it exactly:
 *   lower bounds: "X.Y.MIN" is `python_version >= "X.Y"`, any other MIN
 *   bound `>= "V.dev0"` (V itself when it is a dev release); a real V
 *   `>= "V"`; "V.POST_MAX" (from `> V`) `> "V"`; just above V and its
 *   local versions (from `!= V`, or `not <= V`) `>= "V" and ... != "V"`;
 *   upper bounds: "X.Y.MIN" is `python_version < "X.Y"`, any other MIN
 *   bound `< "V"` for a final or dev release and `< "V.dev0"` otherwise;
 *   "V.LOCAL_MAX" (from `<= V`) `<= "V"`; an exclusive real V (from
 *   `not >= V`, which keeps V's pre-releases) `< "V"` when V is itself a
 *   pre-release, else `<= "V" and ... != "V"`; "V.POST_MAX" (from
 *   `not > V`) `<= "V.post<largest>"`.
 * Two rare bounds have no exact spelling and are widened by one version
 * (the text then says a little more than the region, never less): a lower
 * bound just above a real V with V's local versions after it, written
 * `>= "V"`, and an inclusive upper bound at a real V, written `<= "V"`
 * (which adds V's local versions).
 */
static int put_interval(dl_buf *b, const dl_interval *iv, size_t d)
{
	const char *full = d == V_PY ? "python_full_version" : "implementation_version";
	bool lo = iv->lo_kind != DL_BOUND_UNBOUNDED, hi = iv->hi_kind != DL_BOUND_UNBOUNDED;
	if (lo && hi && minor_cut(&iv->lo, d) && minor_cut(&iv->hi, d) && iv->hi_kind == DL_BOUND_EXCLUSIVE) {
		const uint64_t *a = dl_version_release(&iv->lo), *z = dl_version_release(&iv->hi);
		uint64_t amin = iv->lo.nrelease > 1 ? a[1] : 0, zmin = iv->hi.nrelease > 1 ? z[1] : 0;
		if (a[0] == z[0] && amin + 1 == zmin)
			return put_minor(b, "==", &iv->lo);
	}
	if (is_point(iv))
		return put_cmp(b, full, "==", &iv->lo);
	int rc = 0;
	if (lo) {
		const dl_version *v = &iv->lo;
		if (minor_cut(v, d))
			rc = put_minor(b, ">=", v);
		else if (v->bound == DL_VERSION_BOUND_MIN)
			rc = put_with(b, full, ">=", v, ADD_DEV0);
		else if (v->bound == DL_VERSION_BOUND_POST_MAX)
			rc = put_cmp(b, full, ">", v);
		else if (v->bound == DL_VERSION_BOUND_LOCAL_MAX && iv->lo_kind == DL_BOUND_EXCLUSIVE) {
			if ((rc = put_cmp(b, full, ">=", v)) == 0) {
				dl_buf_puts(b, " and ");
				rc = put_cmp(b, full, "!=", v);
			}
		} else {
			rc = put_cmp(b, full, ">=", v);
		}
	}
	if (rc == 0 && hi) {
		const dl_version *v = &iv->hi;
		if (lo)
			dl_buf_puts(b, " and ");
		if (minor_cut(v, d)) {
			rc = put_minor(b, "<", v);
		} else if (v->bound == DL_VERSION_BOUND_MIN) {
			rc = plain_release(v) || v->has_dev ? put_cmp(b, full, "<", v) : put_with(b, full, "<", v, ADD_DEV0);
		} else if (v->bound == DL_VERSION_BOUND_POST_MAX) {
			rc = put_with(b, full, "<=", v, ADD_POST_MAX);
		} else if (v->bound == DL_VERSION_BOUND_NONE && iv->hi_kind == DL_BOUND_EXCLUSIVE) {
			if (is_pre(v)) {
				rc = put_cmp(b, full, "<", v);
			} else if ((rc = put_cmp(b, full, "<=", v)) == 0) {
				dl_buf_puts(b, " and ");
				rc = put_cmp(b, full, "!=", v);
			}
		} else {
			rc = put_cmp(b, full, "<=", v);
		}
	}
	return rc;
}

/* `!= "V"`: everything but [V, V+MAX], as two intervals. */
static bool is_hole(const dl_range *r)
{
	if (r->n != 2 || r->iv[0].lo_kind != DL_BOUND_UNBOUNDED || r->iv[1].hi_kind != DL_BOUND_UNBOUNDED ||
	    r->iv[0].hi_kind != DL_BOUND_EXCLUSIVE || !real(&r->iv[0].hi) || r->iv[0].hi.local != NULL ||
	    r->iv[1].lo_kind != DL_BOUND_EXCLUSIVE || r->iv[1].lo.bound != DL_VERSION_BOUND_LOCAL_MAX)
		return false;
	dl_version c = r->iv[1].lo;
	c.bound = DL_VERSION_BOUND_NONE;
	c.key = 0;
	return dl_version_cmp_full(&c, &r->iv[0].hi) == 0;
}

/* One slot; *has_or when the text is a disjunction. */
static int put_slot(dl_buf *b, const cube *c, size_t d, bool *has_or)
{
	int rc = 0;
	*has_or = false;
	if (d < NVER) {
		const dl_range *r = &c->ver[d];
		if (is_hole(r))
			return put_cmp(b, d == V_PY ? "python_full_version" : "implementation_version", "!=", &r->iv[0].hi);
		*has_or = r->n > 1;
		for (size_t i = 0; i < r->n && rc == 0; i++) {
			if (i > 0)
				dl_buf_puts(b, " or ");
			rc = put_interval(b, &r->iv[i], d);
		}
		return rc;
	}
	const sset *s = &c->str[d - NVER];
	const char *var = dl_marker_var_name(str_vars[d - NVER]);
	*has_or = !s->co && s->n > 1;
	for (size_t i = 0; i < s->n && rc == 0; i++) {
		if (i > 0)
			dl_buf_puts(b, s->co ? " and " : " or ");
		dl_buf_puts(b, var);
		dl_buf_puts(b, s->co ? " != " : " == ");
		rc = put_literal(b, s->v[i], strlen(s->v[i]));
	}
	return rc;
}

/* One cube as a conjunction (an opaque condition without a PEP 508
 * negation is left out: the text then says a little more than the cube). */
static int put_cube(dl_buf *b, const cube *c, bool *has_or)
{
	size_t parts = 0;
	int rc = 0;
	*has_or = false;
	for (size_t d = 0; d < NDIM; d++)
		parts += (c->has >> d) & 1u;
	for (size_t i = 0; i < c->nop; i++)
		parts += !c->op[i].neg || c->op[i].negtext != NULL;
	bool first = true;
	for (size_t d = 0; d < NDIM && rc == 0; d++) {
		if (!(c->has & (1u << d)))
			continue;
		dl_buf part;
		dl_buf_init(&part, 0);
		bool por;
		rc = put_slot(&part, c, d, &por);
		if (rc == 0) {
			if (!first)
				dl_buf_puts(b, " and ");
			if (por && parts > 1)
				dl_buf_putc(b, '(');
			dl_buf_put(b, part.ptr, part.len);
			if (por && parts > 1)
				dl_buf_putc(b, ')');
			*has_or = *has_or || (por && parts == 1);
		}
		dl_buf_free(&part);
		first = false;
	}
	for (size_t i = 0; i < c->nop && rc == 0; i++) {
		const char *t = c->op[i].neg ? c->op[i].negtext : c->op[i].text;
		if (t == NULL)
			continue;
		if (!first)
			dl_buf_puts(b, " and ");
		rc = dl_buf_puts(b, t);
		first = false;
	}
	return rc;
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int dl_mregion_format(const dl_mregion *a, dl_buf *out)
{
	if (a->n == 0)
		return dl_buf_puts(out, "python_version < \"0\"");
	if (dl_mregion_is_full(a))
		return 0;
	char **parts = dl_calloc(a->n, sizeof(*parts));
	if (parts == NULL)
		return dl_error_oom();
	int rc = 0;
	for (size_t i = 0; i < a->n && rc == 0; i++) {
		dl_buf b;
		dl_buf_init(&b, 0);
		bool por;
		rc = put_cube(&b, &a->c[i], &por);
		if (rc == 0 && (parts[i] = dl_buf_detach(&b, NULL)) == NULL)
			rc = dl_error_oom();
		dl_buf_free(&b);
	}
	if (rc == 0) {
		/* one order whatever order the cubes were built in */
		qsort(parts, a->n, sizeof(*parts), cmp_strp);
		for (size_t i = 0; i < a->n && rc == 0; i++) {
			if (i > 0)
				dl_buf_puts(out, " or ");
			rc = dl_buf_puts(out, parts[i]);
		}
	}
	for (size_t i = 0; i < a->n; i++)
		dl_free(parts[i]);
	dl_free(parts);
	return rc;
}

int dl_mregion_to_string(char **out, const dl_mregion *a)
{
	dl_buf b;
	dl_buf_init(&b, 0);
	int rc = dl_mregion_format(a, &b);
	*out = rc == 0 ? dl_buf_detach(&b, NULL) : NULL;
	dl_buf_free(&b);
	if (rc == 0 && *out == NULL)
		rc = dl_error_oom();
	return rc;
}
