/*
 * range.c - version sets as canonical unions of intervals.
 *
 * Invariant of every dl_range: intervals sorted by lower bound, each
 * non-empty, and any two consecutive ones separated by a gap (neither
 * overlapping nor touching: [1,2) and [2,3) are merged into [1,3)).  Union
 * concatenates and re-normalises; intersection sweeps both lists at once;
 * complement takes the gaps.  All three keep the invariant, so equality is
 * interval-by-interval equality.
 *
 * Versions are dense (between any two there are others), so the only way
 * two intervals touch is by sharing an endpoint version that at least one
 * of them includes.
 */
#include <stdlib.h>
#include <string.h>

#include "deeplock/range.h"

void dl_range_init(dl_range *r)
{
	r->iv = NULL;
	r->n = 0;
	r->cap = 0;
}

static void interval_clear(dl_interval *iv)
{
	if (iv->lo_kind != DL_BOUND_UNBOUNDED)
		dl_version_clear(&iv->lo);
	if (iv->hi_kind != DL_BOUND_UNBOUNDED)
		dl_version_clear(&iv->hi);
}

void dl_range_clear(dl_range *r)
{
	for (size_t i = 0; i < r->n; i++)
		interval_clear(&r->iv[i]);
	dl_free(r->iv);
	dl_range_init(r);
}

static int reserve(dl_range *r, size_t n)
{
	if (n <= r->cap)
		return 0;
	size_t cap = r->cap ? r->cap * 2 : 4;
	while (cap < n)
		cap *= 2;
	void *p = r->iv;
	int rc = dl_realloc_array(&p, cap, sizeof(dl_interval));
	if (rc < 0)
		return rc;
	r->iv = p;
	r->cap = cap;
	return 0;
}

/* Append a deep copy of a bound pair; the range's invariant is the
 * caller's business. */
static int push(dl_range *r, int lo_kind, const dl_version *lo, int hi_kind, const dl_version *hi)
{
	int rc = reserve(r, r->n + 1);
	if (rc < 0)
		return rc;
	dl_interval *iv = &r->iv[r->n];
	memset(iv, 0, sizeof(*iv));
	iv->lo_kind = (uint8_t)lo_kind;
	iv->hi_kind = (uint8_t)hi_kind;
	if (lo_kind != DL_BOUND_UNBOUNDED && (rc = dl_version_copy(&iv->lo, lo)) < 0)
		return rc;
	if (hi_kind != DL_BOUND_UNBOUNDED && (rc = dl_version_copy(&iv->hi, hi)) < 0) {
		if (lo_kind != DL_BOUND_UNBOUNDED)
			dl_version_clear(&iv->lo);
		return rc;
	}
	r->n++;
	return 0;
}

/* ---- bound comparisons -------------------------------------------------- */

/*
 * Versions are not dense everywhere: pre-, post- and dev numbers are
 * integers, so "above every post-release of 1.0a1" is immediately followed
 * by 1.0a2.dev0, and nothing lies below 0.dev0.  least_above finds the
 * least real version at or above a lower bound when one exists (built on
 * the stack, sharing the bound's release: every successor keeps it), and
 * returns false when versions above the bound have no least element (after
 * a real version come its local versions, which have none; after all
 * post-releases of a final come longer releases, which have none either).
 * Numbers at UINT64_MAX roll over into the next part of the version (after
 * 1.0a<max>.post* comes 1.0b0.dev0), so the answer is exact everywhere.
 */

/* The least version above everything that shares the epoch, release and
 * pre-release of `lo` (its post, dev and local versions), written over
 * `out` (a copy of `lo`); false for a final release, whose successors are
 * longer releases. */
static bool after_pre_part(const dl_version *lo, dl_version *out)
{
	if (lo->pre_kind == DL_VERSION_PRE_NONE)
		return false;
	out->has_post = false;
	out->post_num = 0;
	out->has_dev = true;
	out->dev_num = 0;
	if (lo->pre_num < UINT64_MAX) {
		out->pre_num = lo->pre_num + 1;
	} else if (lo->pre_kind < DL_VERSION_PRE_RC) {
		out->pre_kind = (int8_t)(lo->pre_kind + 1);
		out->pre_num = 0;
	} else {
		/* after every release candidate: the final release itself */
		out->pre_kind = DL_VERSION_PRE_NONE;
		out->pre_num = 0;
		out->has_dev = false;
	}
	return true;
}

static bool least_above(int kind, const dl_version *lo, dl_version *out)
{
	if (kind == DL_BOUND_UNBOUNDED) {
		memset(out, 0, sizeof(*out));
		out->pre_kind = DL_VERSION_PRE_NONE;
		out->nrelease = 1; /* 0.dev0, the least version there is */
		out->has_dev = true;
		return true;
	}
	if (lo->bound == DL_VERSION_BOUND_NONE) {
		/* the common case, without the copies below */
		if (kind == DL_BOUND_INCLUSIVE) {
			*out = *lo;
			return true;
		}
		return false;
	}
	*out = *lo;
	out->key = 0;
	out->local = NULL;
	out->local_len = 0;
	out->bound = DL_VERSION_BOUND_NONE;
	bool pre = lo->pre_kind != DL_VERSION_PRE_NONE;
	switch (lo->bound) {
	case DL_VERSION_BOUND_MIN:
		/* below every dev release of the version it was made from */
		out->has_dev = true;
		out->dev_num = 0;
		return true;
	case DL_VERSION_BOUND_LOCAL_MAX:
		if (lo->has_dev) {
			if (lo->dev_num < UINT64_MAX) {
				out->dev_num = lo->dev_num + 1;
				return true;
			}
			/* after the last dev release of P comes P itself; a dev
			 * release of a final is followed by its first alpha */
			out->has_dev = false;
			out->dev_num = 0;
			if (!pre && !lo->has_post) {
				out->pre_kind = DL_VERSION_PRE_A;
				out->pre_num = 0;
				out->has_dev = true;
			}
			return true;
		}
		if (lo->has_post && lo->post_num == UINT64_MAX)
			return after_pre_part(lo, out);
		/* next: the first dev release of the next post-release */
		out->post_num = lo->has_post ? lo->post_num + 1 : 0;
		out->has_post = true;
		out->has_dev = true;
		out->dev_num = 0;
		return true;
	case DL_VERSION_BOUND_POST_MAX:
		return after_pre_part(lo, out);
	default:
		if (kind == DL_BOUND_INCLUSIVE) {
			*out = *lo;
			return true;
		}
		return false;
	}
}

/*
 * One place between versions (a cut) has several spellings as a bound:
 * ">=1.0.dev0" and ">=1.0.MIN", "<=1.0+MAX" and "<1.0.post0.dev0", no lower
 * bound and ">=0.dev0".  Ranges keep the spelling they were built with (it
 * reads better), so every comparison of bounds goes through one canonical
 * spelling: a lower bound becomes "inclusive, at the least version above
 * it" when there is one; otherwise it is exclusive at a real version (the
 * only spelling of "just above V and its local versions") or at the
 * POST_MAX bound of a final release.  canon_lo writes that version to `out`
 * (on the stack, sharing memory with `v`) and returns its kind.  An upper
 * bound is canonicalised as the lower bound of the gap that follows it.
 */
static int canon_lo(int kind, const dl_version *v, dl_version *out);

/* canon_lo without a copy when the bound is already canonical (a real
 * version, inclusive or exclusive): returns the version to compare, `v`
 * itself or `scratch`, and the kind in *kind. */
static const dl_version *canon_lo_ref(int *kind, const dl_version *v, dl_version *scratch)
{
	if (*kind != DL_BOUND_UNBOUNDED && v->bound == DL_VERSION_BOUND_NONE)
		return v;
	*kind = canon_lo(*kind, v, scratch);
	return scratch;
}

static int canon_lo(int kind, const dl_version *v, dl_version *out)
{
	if (least_above(kind, v, out))
		return DL_BOUND_INCLUSIVE;
	*out = *v;
	if (v->bound == DL_VERSION_BOUND_NONE)
		return kind;
	/* The one LOCAL_MAX without a successor, X.post<max>+MAX, sits where
	 * X.POST_MAX does. */
	out->bound = DL_VERSION_BOUND_POST_MAX;
	return DL_BOUND_EXCLUSIVE; /* no real version equals a bound */
}

static int flip(int kind)
{
	return kind == DL_BOUND_INCLUSIVE ? DL_BOUND_EXCLUSIVE : DL_BOUND_INCLUSIVE;
}

/* Order of two lower bounds as cuts: no bound first (it is the same cut as
 * ">=0.dev0"); at the same version an inclusive bound starts earlier. */
static int cmp_lo(int ka, const dl_version *a, int kb, const dl_version *b)
{
	dl_version sa, sb;
	const dl_version *ca = canon_lo_ref(&ka, a, &sa), *cb = canon_lo_ref(&kb, b, &sb);
	int c = dl_version_cmp(ca, cb);
	if (c != 0)
		return c;
	return (ka == DL_BOUND_EXCLUSIVE) - (kb == DL_BOUND_EXCLUSIVE);
}

/* Order of two upper bounds as cuts: unbounded last; at the same version
 * an exclusive bound ends earlier. */
static int cmp_hi(int ka, const dl_version *a, int kb, const dl_version *b)
{
	if (ka == DL_BOUND_UNBOUNDED || kb == DL_BOUND_UNBOUNDED)
		return (ka == DL_BOUND_UNBOUNDED) - (kb == DL_BOUND_UNBOUNDED);
	dl_version sa, sb;
	ka = flip(ka);
	kb = flip(kb);
	const dl_version *ca = canon_lo_ref(&ka, a, &sa), *cb = canon_lo_ref(&kb, b, &sb);
	ka = flip(ka);
	kb = flip(kb);
	int c = dl_version_cmp(ca, cb);
	if (c != 0)
		return c;
	return (ka == DL_BOUND_INCLUSIVE) - (kb == DL_BOUND_INCLUSIVE);
}

/* Is the interval from lower bound (lk, lo) to upper bound (hk, hi) empty,
 * that is, does no real version lie in it? */
static bool empty_between(int lk, const dl_version *lo, int hk, const dl_version *hi)
{
	if (hk == DL_BOUND_UNBOUNDED)
		return false;
	dl_version scratch;
	const dl_version *least = canon_lo_ref(&lk, lo, &scratch);
	if (lk == DL_BOUND_INCLUSIVE) {
		int c = dl_version_cmp_full(least, hi);
		return !(c < 0 || (c == 0 && hk == DL_BOUND_INCLUSIVE && hi->bound == DL_VERSION_BOUND_NONE));
	}
	/* no least element above lo: anything strictly above lo reaches in */
	return dl_version_cmp(least, hi) >= 0;
}

/* Does an interval ending at (hk, hi) reach or touch one starting at
 * (lk, lo), so that no version lies between them and the two merge?  The
 * gap between them runs from (flip(hk), hi) to (flip(lk), lo). */
static bool reaches(int hk, const dl_version *hi, int lk, const dl_version *lo)
{
	if (hk == DL_BOUND_UNBOUNDED || lk == DL_BOUND_UNBOUNDED)
		return true;
	if (dl_version_cmp(hi, lo) > 0)
		return true;
	return empty_between(flip(hk), hi, flip(lk), lo);
}

/* ---- normalisation ------------------------------------------------------ */

static int cmp_interval_lo(const void *pa, const void *pb)
{
	const dl_interval *a = pa, *b = pb;
	return cmp_lo(a->lo_kind, &a->lo, b->lo_kind, &b->lo);
}

/* Sort and merge in place, dropping empty intervals. */
static void normalise(dl_range *r)
{
	size_t w = 0;
	for (size_t i = 0; i < r->n; i++) {
		dl_interval *iv = &r->iv[i];
		if (empty_between(iv->lo_kind, &iv->lo, iv->hi_kind, &iv->hi))
			interval_clear(iv);
		else
			r->iv[w++] = *iv;
	}
	r->n = w;
	if (r->n < 2)
		return;
	qsort(r->iv, r->n, sizeof(dl_interval), cmp_interval_lo);
	w = 0;
	for (size_t i = 1; i < r->n; i++) {
		dl_interval *cur = &r->iv[w], *nx = &r->iv[i];
		if (reaches(cur->hi_kind, &cur->hi, nx->lo_kind, &nx->lo)) {
			/* merge: keep the later upper bound */
			if (cmp_hi(nx->hi_kind, &nx->hi, cur->hi_kind, &cur->hi) > 0) {
				if (cur->hi_kind != DL_BOUND_UNBOUNDED)
					dl_version_clear(&cur->hi);
				cur->hi = nx->hi;
				cur->hi_kind = nx->hi_kind;
				nx->hi_kind = DL_BOUND_UNBOUNDED;
			}
			interval_clear(nx);
		} else {
			r->iv[++w] = *nx;
		}
	}
	r->n = w + 1;
}

/* ---- constructors ------------------------------------------------------- */

int dl_range_full(dl_range *out)
{
	dl_range_clear(out);
	return push(out, DL_BOUND_UNBOUNDED, NULL, DL_BOUND_UNBOUNDED, NULL);
}

int dl_range_exact(dl_range *out, const dl_version *v)
{
	dl_range_clear(out);
	return push(out, DL_BOUND_INCLUSIVE, v, DL_BOUND_INCLUSIVE, v);
}

int dl_range_copy(dl_range *out, const dl_range *r)
{
	dl_range_clear(out);
	int rc = reserve(out, r->n);
	for (size_t i = 0; rc == 0 && i < r->n; i++)
		rc = push(out, r->iv[i].lo_kind, &r->iv[i].lo, r->iv[i].hi_kind, &r->iv[i].hi);
	if (rc < 0)
		dl_range_clear(out);
	return rc;
}

/* The version just below everything that starts with the release prefix
 * of `v` with its last number raised by one ("1.2" -> "1.3.MIN"); `has` is
 * false when no such version exists (numbers at their maximum), meaning
 * "no upper bound". */
static int next_prefix_min(dl_version *out, const dl_version *v, uint32_t nprefix, bool *has)
{
	*has = false;
	uint64_t rel[DL_VERSION_INLINE_RELEASE];
	const uint64_t *r = dl_version_release(v);
	uint64_t epoch = v->epoch;
	/* raise the last number that can be raised, dropping the ones after */
	uint32_t n = nprefix;
	while (n > 0 && r[n - 1] == UINT64_MAX)
		n--;
	if (n == 0) {
		if (epoch == UINT64_MAX)
			return 0;
		epoch++;
		rel[0] = 0;
		n = 1;
	} else {
		if (n > DL_VERSION_INLINE_RELEASE) {
			/* long prefixes: build through a heap copy */
			int rc = dl_version_copy(out, v);
			if (rc < 0)
				return rc;
			out->nrelease = n;
			out->rel_heap[n - 1]++;
			goto finish;
		}
		memcpy(rel, r, sizeof(uint64_t) * n);
		rel[n - 1]++;
	}
	memset(out, 0, sizeof(*out));
	out->pre_kind = DL_VERSION_PRE_NONE;
	out->epoch = epoch;
	out->nrelease = n;
	memcpy(out->rel_inline, rel, sizeof(uint64_t) * n);
finish:
	out->pre_kind = DL_VERSION_PRE_NONE;
	out->has_post = out->has_dev = false;
	out->pre_num = out->post_num = out->dev_num = 0;
	dl_free(out->local);
	out->local = NULL;
	out->local_len = 0;
	out->bound = DL_VERSION_BOUND_MIN;
	out->key = 0;
	*has = true;
	return 0;
}

/* `v` reduced to epoch and the first `n` release numbers, as a MIN bound. */
static int prefix_min(dl_version *out, const dl_version *v, uint32_t n)
{
	int rc = dl_version_copy(out, v);
	if (rc < 0)
		return rc;
	out->nrelease = n;
	if (n <= DL_VERSION_INLINE_RELEASE && v->nrelease > DL_VERSION_INLINE_RELEASE) {
		memcpy(out->rel_inline, out->rel_heap, sizeof(uint64_t) * n);
		dl_free(out->rel_heap);
		out->rel_heap = NULL;
	}
	out->pre_kind = DL_VERSION_PRE_NONE;
	out->has_post = out->has_dev = false;
	out->pre_num = out->post_num = out->dev_num = 0;
	dl_free(out->local);
	out->local = NULL;
	out->local_len = 0;
	out->bound = DL_VERSION_BOUND_MIN;
	out->key = 0;
	return 0;
}

/* [prefix(v, n).MIN, next_prefix(v, n).MIN) and, when `from` is given,
 * starting at `from` inclusive instead. */
static int prefix_range(dl_range *out, const dl_version *v, uint32_t n, const dl_version *from)
{
	dl_version lo, hi;
	bool has_hi;
	int rc = prefix_min(&lo, v, n);
	if (rc < 0)
		return rc;
	rc = next_prefix_min(&hi, v, n, &has_hi);
	if (rc == 0) {
		if (from != NULL)
			rc = push(out, DL_BOUND_INCLUSIVE, from, has_hi ? DL_BOUND_EXCLUSIVE : DL_BOUND_UNBOUNDED, &hi);
		else
			rc = push(out, DL_BOUND_INCLUSIVE, &lo, has_hi ? DL_BOUND_EXCLUSIVE : DL_BOUND_UNBOUNDED, &hi);
		if (has_hi)
			dl_version_clear(&hi);
	}
	dl_version_clear(&lo);
	return rc;
}

static int bounded(dl_range *out, int lk, const dl_version *lo, int hk, const dl_version *hi)
{
	return push(out, lk, lo, hk, hi);
}

static int with_bound(dl_range *out, const dl_version *v, enum dl_version_bound bound, bool as_upper, int kind)
{
	dl_version b;
	int rc = dl_version_bound_copy(&b, v, bound);
	if (rc < 0)
		return rc;
	if (as_upper)
		rc = bounded(out, DL_BOUND_UNBOUNDED, NULL, kind, &b);
	else
		rc = bounded(out, kind, &b, DL_BOUND_UNBOUNDED, NULL);
	dl_version_clear(&b);
	return rc;
}

int dl_range_from_spec(dl_range *out, const dl_spec *spec)
{
	dl_range_clear(out);
	const dl_version *v = &spec->version;
	int rc = 0;
	dl_range tmp;
	dl_range_init(&tmp);
	switch (spec->op) {
	case DL_SPEC_EQ:
	case DL_SPEC_NE: {
		dl_range *dst = spec->op == DL_SPEC_EQ ? out : &tmp;
		if (v->local != NULL) {
			rc = push(dst, DL_BOUND_INCLUSIVE, v, DL_BOUND_INCLUSIVE, v);
		} else {
			dl_version hi;
			rc = dl_version_bound_copy(&hi, v, DL_VERSION_BOUND_LOCAL_MAX);
			if (rc == 0) {
				rc = push(dst, DL_BOUND_INCLUSIVE, v, DL_BOUND_INCLUSIVE, &hi);
				dl_version_clear(&hi);
			}
		}
		if (rc == 0 && spec->op == DL_SPEC_NE)
			rc = dl_range_complement(out, &tmp);
		break;
	}
	case DL_SPEC_EQ_PREFIX:
		rc = prefix_range(out, v, v->nrelease, NULL);
		break;
	case DL_SPEC_NE_PREFIX:
		rc = prefix_range(&tmp, v, v->nrelease, NULL);
		if (rc == 0)
			rc = dl_range_complement(out, &tmp);
		break;
	case DL_SPEC_COMPATIBLE:
		rc = prefix_range(out, v, v->nrelease - 1, v);
		break;
	case DL_SPEC_LE:
		rc = with_bound(out, v, DL_VERSION_BOUND_LOCAL_MAX, true, DL_BOUND_INCLUSIVE);
		break;
	case DL_SPEC_GE:
		rc = bounded(out, DL_BOUND_INCLUSIVE, v, DL_BOUND_UNBOUNDED, NULL);
		break;
	case DL_SPEC_LT:
		if (dl_version_is_prerelease(v))
			rc = bounded(out, DL_BOUND_UNBOUNDED, NULL, DL_BOUND_EXCLUSIVE, v);
		else
			rc = with_bound(out, v, DL_VERSION_BOUND_MIN, true, DL_BOUND_EXCLUSIVE);
		break;
	case DL_SPEC_GT:
		rc = with_bound(out, v, v->has_post || v->has_dev ? DL_VERSION_BOUND_LOCAL_MAX : DL_VERSION_BOUND_POST_MAX,
		                false, DL_BOUND_EXCLUSIVE);
		break;
	case DL_SPEC_ARBITRARY:
		if (v->nrelease > 0)
			rc = push(out, DL_BOUND_INCLUSIVE, v, DL_BOUND_INCLUSIVE, v);
		break;
	}
	dl_range_clear(&tmp);
	if (rc < 0)
		dl_range_clear(out);
	else
		normalise(out); /* "<0" and "<0.dev0" hold nothing */
	return rc;
}

int dl_range_from_specset(dl_range *out, const dl_specset *set)
{
	dl_range acc, one, next;
	dl_range_init(&acc);
	dl_range_init(&one);
	dl_range_init(&next);
	int rc = dl_range_full(&acc);
	for (size_t i = 0; rc == 0 && i < set->count; i++) {
		rc = dl_range_from_spec(&one, &set->specs[i]);
		if (rc == 0)
			rc = dl_range_intersect(&next, &acc, &one);
		if (rc == 0) {
			dl_range swap = acc;
			acc = next;
			next = swap;
		}
	}
	dl_range_clear(&one);
	dl_range_clear(&next);
	if (rc < 0) {
		dl_range_clear(&acc);
		return rc;
	}
	dl_range_clear(out);
	*out = acc;
	return 0;
}

/* ---- algebra ------------------------------------------------------------ */

int dl_range_union(dl_range *out, const dl_range *a, const dl_range *b)
{
	dl_range_clear(out);
	int rc = reserve(out, a->n + b->n);
	for (size_t i = 0; rc == 0 && i < a->n; i++)
		rc = push(out, a->iv[i].lo_kind, &a->iv[i].lo, a->iv[i].hi_kind, &a->iv[i].hi);
	for (size_t i = 0; rc == 0 && i < b->n; i++)
		rc = push(out, b->iv[i].lo_kind, &b->iv[i].lo, b->iv[i].hi_kind, &b->iv[i].hi);
	if (rc < 0) {
		dl_range_clear(out);
		return rc;
	}
	normalise(out);
	return 0;
}

int dl_range_intersect(dl_range *out, const dl_range *a, const dl_range *b)
{
	dl_range_clear(out);
	size_t i = 0, j = 0;
	int rc = 0;
	while (rc == 0 && i < a->n && j < b->n) {
		const dl_interval *x = &a->iv[i], *y = &b->iv[j];
		/* the later lower bound and the earlier upper bound */
		const dl_interval *lo_src = cmp_lo(x->lo_kind, &x->lo, y->lo_kind, &y->lo) >= 0 ? x : y;
		bool x_ends_first = cmp_hi(x->hi_kind, &x->hi, y->hi_kind, &y->hi) <= 0;
		const dl_interval *hi_src = x_ends_first ? x : y;
		if (!empty_between(lo_src->lo_kind, &lo_src->lo, hi_src->hi_kind, &hi_src->hi))
			rc = push(out, lo_src->lo_kind, &lo_src->lo, hi_src->hi_kind, &hi_src->hi);
		if (x_ends_first)
			i++;
		else
			j++;
	}
	if (rc < 0)
		dl_range_clear(out);
	return rc;
}

int dl_range_complement(dl_range *out, const dl_range *a)
{
	dl_range_clear(out);
	if (a->n == 0)
		return dl_range_full(out);
	int rc = 0;
	const dl_interval *first = &a->iv[0];
	/* nothing lies below a range that starts at 0.dev0 */
	if (first->lo_kind != DL_BOUND_UNBOUNDED &&
	    !empty_between(DL_BOUND_UNBOUNDED, NULL, flip(first->lo_kind), &first->lo))
		rc = push(out, DL_BOUND_UNBOUNDED, NULL, flip(first->lo_kind), &first->lo);
	for (size_t i = 0; rc == 0 && i + 1 < a->n; i++) {
		const dl_interval *x = &a->iv[i], *y = &a->iv[i + 1];
		rc = push(out, flip(x->hi_kind), &x->hi, flip(y->lo_kind), &y->lo);
	}
	const dl_interval *last = &a->iv[a->n - 1];
	if (rc == 0 && last->hi_kind != DL_BOUND_UNBOUNDED)
		rc = push(out, flip(last->hi_kind), &last->hi, DL_BOUND_UNBOUNDED, NULL);
	if (rc < 0)
		dl_range_clear(out);
	return rc;
}

int dl_range_difference(dl_range *out, const dl_range *a, const dl_range *b)
{
	dl_range nb;
	dl_range_init(&nb);
	int rc = dl_range_complement(&nb, b);
	if (rc == 0)
		rc = dl_range_intersect(out, a, &nb);
	dl_range_clear(&nb);
	return rc;
}

/* ---- predicates --------------------------------------------------------- */

bool dl_range_is_empty(const dl_range *r)
{
	return r->n == 0;
}

bool dl_range_is_full(const dl_range *r)
{
	/* ">=0.dev0" is full too: compare the lower bound as a cut */
	return r->n == 1 && r->iv[0].hi_kind == DL_BOUND_UNBOUNDED &&
	       cmp_lo(r->iv[0].lo_kind, &r->iv[0].lo, DL_BOUND_UNBOUNDED, NULL) == 0;
}

static bool interval_contains(const dl_interval *iv, const dl_version *v)
{
	if (iv->lo_kind != DL_BOUND_UNBOUNDED) {
		int c = dl_version_cmp(v, &iv->lo);
		if (c < 0 || (c == 0 && iv->lo_kind == DL_BOUND_EXCLUSIVE))
			return false;
	}
	if (iv->hi_kind != DL_BOUND_UNBOUNDED) {
		int c = dl_version_cmp(v, &iv->hi);
		if (c > 0 || (c == 0 && iv->hi_kind == DL_BOUND_EXCLUSIVE))
			return false;
	}
	return true;
}

bool dl_range_contains(const dl_range *r, const dl_version *v)
{
	/* binary search for the last interval whose lower bound is <= v */
	size_t lo = 0, hi = r->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const dl_interval *iv = &r->iv[mid];
		if (iv->lo_kind == DL_BOUND_UNBOUNDED || dl_version_cmp(&iv->lo, v) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && interval_contains(&r->iv[lo - 1], v);
}

bool dl_range_eq(const dl_range *a, const dl_range *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const dl_interval *x = &a->iv[i], *y = &b->iv[i];
		if (cmp_lo(x->lo_kind, &x->lo, y->lo_kind, &y->lo) != 0 ||
		    cmp_hi(x->hi_kind, &x->hi, y->hi_kind, &y->hi) != 0)
			return false;
	}
	return true;
}

bool dl_range_subset(const dl_range *a, const dl_range *b)
{
	/* every interval of a lies inside one interval of b */
	size_t j = 0;
	for (size_t i = 0; i < a->n; i++) {
		const dl_interval *x = &a->iv[i];
		while (j < b->n && cmp_hi(b->iv[j].hi_kind, &b->iv[j].hi, x->hi_kind, &x->hi) < 0)
			j++;
		if (j == b->n)
			return false;
		const dl_interval *y = &b->iv[j];
		if (cmp_lo(y->lo_kind, &y->lo, x->lo_kind, &x->lo) > 0)
			return false;
	}
	return true;
}

bool dl_range_disjoint(const dl_range *a, const dl_range *b)
{
	size_t i = 0, j = 0;
	while (i < a->n && j < b->n) {
		const dl_interval *x = &a->iv[i], *y = &b->iv[j];
		const dl_interval *lo_src = cmp_lo(x->lo_kind, &x->lo, y->lo_kind, &y->lo) >= 0 ? x : y;
		bool x_first = cmp_hi(x->hi_kind, &x->hi, y->hi_kind, &y->hi) <= 0;
		const dl_interval *hi_src = x_first ? x : y;
		if (!empty_between(lo_src->lo_kind, &lo_src->lo, hi_src->hi_kind, &hi_src->hi))
			return false;
		if (x_first)
			i++;
		else
			j++;
	}
	return true;
}

/* The smallest final release at or above a lower bound, built on the stack
 * sharing `lo`'s release (no allocation).  *any_above is set when every
 * version above the bound is preceded by a final release (so the interval
 * holds a final as soon as it is non-empty). */
static bool first_final(int kind, const dl_version *lo, dl_version *out, bool *any_above)
{
	*any_above = false;
	memset(out, 0, sizeof(*out));
	out->pre_kind = DL_VERSION_PRE_NONE;
	if (kind == DL_BOUND_UNBOUNDED) {
		out->nrelease = 1; /* "0" */
		return true;
	}
	*out = *lo;
	out->key = 0;
	bool pre = lo->pre_kind != DL_VERSION_PRE_NONE;
	switch (lo->bound) {
	case DL_VERSION_BOUND_POST_MAX:
		if (pre)
			break; /* the final of that release comes next */
		*any_above = true;
		return false;
	case DL_VERSION_BOUND_LOCAL_MAX:
		if (pre || lo->has_dev)
			break;
		if (lo->has_post && lo->post_num == UINT64_MAX) {
			*any_above = true; /* no next post-release: longer releases */
			return false;
		}
		/* a final (or post) release: the next post-release */
		out->has_post = true;
		out->post_num = lo->has_post ? lo->post_num + 1 : 0;
		out->local = NULL;
		out->local_len = 0;
		out->bound = DL_VERSION_BOUND_NONE;
		return true;
	case DL_VERSION_BOUND_MIN:
		break;
	default:
		if (!pre && !lo->has_dev) {
			if (kind == DL_BOUND_EXCLUSIVE) {
				/* local versions of it follow at once */
				*any_above = true;
				return false;
			}
			return true;
		}
		break;
	}
	/* drop the pre-release and dev parts (a post-release keeps its number) */
	out->pre_kind = DL_VERSION_PRE_NONE;
	out->pre_num = 0;
	out->has_dev = false;
	out->dev_num = 0;
	out->local = NULL;
	out->local_len = 0;
	out->bound = DL_VERSION_BOUND_NONE;
	if (pre)
		out->has_post = false, out->post_num = 0;
	return true;
}

bool dl_range_has_final(const dl_range *r)
{
	for (size_t i = 0; i < r->n; i++) {
		const dl_interval *iv = &r->iv[i];
		dl_version f;
		bool any_above;
		if (!first_final(iv->lo_kind, &iv->lo, &f, &any_above)) {
			if (any_above)
				return true;
			continue;
		}
		if (iv->hi_kind == DL_BOUND_UNBOUNDED)
			return true;
		int c = dl_version_cmp_full(&f, &iv->hi);
		if (c < 0 || (c == 0 && iv->hi_kind == DL_BOUND_INCLUSIVE))
			return true;
	}
	return false;
}

/* ---- printing ----------------------------------------------------------- */

/* Print a version with a bound suffix replaced by what the bound means in
 * specifier terms, as far as one can be named; otherwise the raw bound. */
static void format_lower(const dl_interval *iv, dl_buf *out)
{
	const dl_version *v = &iv->lo;
	if (v->bound == DL_VERSION_BOUND_NONE) {
		dl_buf_puts(out, iv->lo_kind == DL_BOUND_INCLUSIVE ? ">=" : ">");
		dl_version_format(v, out);
		if (iv->lo_kind == DL_BOUND_EXCLUSIVE)
			dl_buf_puts(out, " (or a local version of it)");
		return;
	}
	if (v->bound == DL_VERSION_BOUND_POST_MAX ||
	    (v->bound == DL_VERSION_BOUND_LOCAL_MAX && (v->has_post || v->has_dev))) {
		dl_version plain = *v;
		plain.bound = DL_VERSION_BOUND_NONE;
		dl_buf_putc(out, '>');
		dl_version_format(&plain, out);
		return;
	}
	if (v->bound == DL_VERSION_BOUND_LOCAL_MAX && iv->lo_kind == DL_BOUND_EXCLUSIVE) {
		/* above V and its local versions: what "!=V" leaves above V */
		dl_version plain = *v;
		plain.bound = DL_VERSION_BOUND_NONE;
		dl_buf_putc(out, '>');
		dl_version_format(&plain, out);
		dl_buf_puts(out, " (or a post-release of it)");
		return;
	}
	if (v->bound == DL_VERSION_BOUND_MIN) {
		dl_version plain = *v;
		plain.bound = DL_VERSION_BOUND_NONE;
		plain.has_dev = true;
		plain.dev_num = 0;
		dl_buf_puts(out, ">=");
		dl_version_format(&plain, out);
		return;
	}
	dl_buf_puts(out, iv->lo_kind == DL_BOUND_INCLUSIVE ? ">=" : ">");
	dl_version_format(v, out);
}

static void format_upper(const dl_interval *iv, dl_buf *out)
{
	const dl_version *v = &iv->hi;
	dl_version plain = *v;
	plain.bound = DL_VERSION_BOUND_NONE;
	if (v->bound == DL_VERSION_BOUND_MIN && iv->hi_kind == DL_BOUND_EXCLUSIVE && !dl_version_is_prerelease(v)) {
		dl_buf_putc(out, '<');
		dl_version_format(&plain, out);
		return;
	}
	if (v->bound == DL_VERSION_BOUND_LOCAL_MAX && iv->hi_kind == DL_BOUND_INCLUSIVE) {
		dl_buf_puts(out, "<=");
		dl_version_format(&plain, out);
		return;
	}
	if (v->bound == DL_VERSION_BOUND_NONE && iv->hi_kind == DL_BOUND_EXCLUSIVE && dl_version_is_prerelease(v)) {
		dl_buf_putc(out, '<');
		dl_version_format(v, out);
		return;
	}
	dl_buf_puts(out, iv->hi_kind == DL_BOUND_INCLUSIVE ? "<=" : "<");
	dl_version_format(v, out);
}

/* [P.MIN, next(P).MIN): "==P.*" */
static bool is_prefix_interval(const dl_interval *iv)
{
	if (iv->lo_kind != DL_BOUND_INCLUSIVE || iv->hi_kind != DL_BOUND_EXCLUSIVE ||
	    iv->lo.bound != DL_VERSION_BOUND_MIN || iv->hi.bound != DL_VERSION_BOUND_MIN ||
	    dl_version_is_prerelease(&iv->lo) || iv->lo.has_post || iv->lo.epoch != iv->hi.epoch ||
	    iv->lo.nrelease != iv->hi.nrelease)
		return false;
	const uint64_t *a = dl_version_release(&iv->lo), *b = dl_version_release(&iv->hi);
	uint32_t n = iv->lo.nrelease;
	for (uint32_t i = 0; i + 1 < n; i++) {
		if (a[i] != b[i])
			return false;
	}
	return a[n - 1] + 1 == b[n - 1];
}

/* [V, V+MAX] or [V, V]: "==V" */
static bool is_exact_interval(const dl_interval *iv)
{
	if (iv->lo_kind != DL_BOUND_INCLUSIVE || iv->hi_kind != DL_BOUND_INCLUSIVE || iv->lo.bound != DL_VERSION_BOUND_NONE)
		return false;
	if (iv->hi.bound == DL_VERSION_BOUND_NONE)
		return dl_version_cmp(&iv->lo, &iv->hi) == 0;
	if (iv->hi.bound != DL_VERSION_BOUND_LOCAL_MAX || iv->lo.local != NULL)
		return false;
	dl_version plain = iv->hi;
	plain.bound = DL_VERSION_BOUND_NONE;
	return dl_version_cmp_full(&iv->lo, &plain) == 0;
}

int dl_range_format(const dl_range *r, dl_buf *out)
{
	if (r->n == 0)
		return dl_buf_puts(out, "<empty>");
	if (dl_range_is_full(r))
		return dl_buf_puts(out, "*");
	/* the complement of one exact or prefix interval reads as != */
	if (r->n <= 2) {
		dl_range c;
		dl_range_init(&c);
		if (dl_range_complement(&c, r) == 0 && c.n == 1 &&
		    (is_exact_interval(&c.iv[0]) || is_prefix_interval(&c.iv[0]))) {
			bool prefix = is_prefix_interval(&c.iv[0]);
			dl_buf_puts(out, "!=");
			dl_version plain = c.iv[0].lo;
			plain.bound = DL_VERSION_BOUND_NONE;
			dl_version_format(&plain, out);
			if (prefix)
				dl_buf_puts(out, ".*");
			dl_range_clear(&c);
			return out->failed;
		}
		dl_range_clear(&c);
	}
	for (size_t i = 0; i < r->n; i++) {
		const dl_interval *iv = &r->iv[i];
		if (i > 0)
			dl_buf_puts(out, " | ");
		if (is_exact_interval(iv)) {
			dl_buf_puts(out, "==");
			dl_version_format(&iv->lo, out);
			continue;
		}
		if (is_prefix_interval(iv)) {
			dl_version plain = iv->lo;
			plain.bound = DL_VERSION_BOUND_NONE;
			dl_buf_puts(out, "==");
			dl_version_format(&plain, out);
			dl_buf_puts(out, ".*");
			continue;
		}
		if (iv->lo_kind != DL_BOUND_UNBOUNDED)
			format_lower(iv, out);
		if (iv->hi_kind != DL_BOUND_UNBOUNDED) {
			if (iv->lo_kind != DL_BOUND_UNBOUNDED)
				dl_buf_puts(out, ", ");
			format_upper(iv, out);
		}
	}
	return out->failed;
}
