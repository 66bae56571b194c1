/*
 * fuzz_range.c - libFuzzer target for version ranges built from specifier
 * sets.
 *
 * The input is split at its first newline into two specifier sets A and B
 * (an input without one gives B = A).  When both parse, with their ranges
 * written A and B too, the invariants, each checked with abort(), are:
 *  - A&B <= A and <= B, A|B >= both, ~~A == A, A|~A is full, A&~A is empty,
 *    A-B is disjoint from B and equals A&~B, ~(A|B) == ~A&~B;
 *  - subset, disjoint and equality agree with each other (A<=B iff A&B == A
 *    iff A-B is empty; disjoint iff A&B is empty; eq iff both subsets);
 *  - for probe versions derived from the sets' own versions and from every
 *    bound of the ranges (the version itself, its neighbours: each number
 *    one up and one down, a dev, pre-, post- or local part added or
 *    dropped, the release made longer or shorter), membership in the range
 *    equals membership in the set with pre-releases allowed (sets with
 *    `===` are skipped, whose string identity a range does not model), and
 *    membership in A|B, A&B, A-B and ~A is the boolean combination.
 * Probe versions are built on the stack from the parsed ones and share
 * their memory (never cleared).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/range.h"

#define MAX_PROBES 512

typedef struct probes {
	dl_version v[MAX_PROBES];
	size_t n;
} probes;

static void add(probes *p, const dl_version *v)
{
	if (p->n < MAX_PROBES) {
		p->v[p->n] = *v;
		p->v[p->n].key = 0; /* fields change: compare by parts */
		p->v[p->n].bound = DL_VERSION_BOUND_NONE;
		p->n++;
	}
}

/* v and its neighbours (v is a real version or a bound's version; its
 * local label, if any, is kept as is or dropped). */
static void add_family(probes *p, const dl_version *src)
{
	static char local_word[] = "abc", local_num[] = "0";
	dl_version v = *src;
	v.bound = DL_VERSION_BOUND_NONE;
	add(p, &v);
	dl_version t = v;
	t.local = NULL;
	t.local_len = 0;
	add(p, &t);
	dl_version base = t;
	t.local = local_word;
	t.local_len = 3;
	add(p, &t);
	t.local = local_num;
	t.local_len = 1;
	add(p, &t);
	uint64_t *nums[] = {&base.epoch, &base.pre_num, &base.post_num, &base.dev_num};
	for (size_t i = 0; i < 4; i++) {
		uint64_t n = *nums[i];
		for (int d = -1; d <= 1; d += 2) {
			if ((d < 0 && n == 0) || (d > 0 && n == UINT64_MAX))
				continue;
			dl_version u = base;
			uint64_t *f = i == 0 ? &u.epoch : i == 1 ? &u.pre_num : i == 2 ? &u.post_num : &u.dev_num;
			*f = n + (uint64_t)d;
			if ((i == 1 && u.pre_kind == DL_VERSION_PRE_NONE) || (i == 2 && !u.has_post) || (i == 3 && !u.has_dev))
				continue;
			add(p, &u);
		}
	}
	/* parts added or dropped */
	dl_version u = base;
	u.has_dev = !u.has_dev;
	u.dev_num = 0;
	add(p, &u);
	u = base;
	u.has_post = !u.has_post;
	u.post_num = 0;
	add(p, &u);
	u.has_dev = true;
	add(p, &u);
	for (int k = DL_VERSION_PRE_NONE; k <= DL_VERSION_PRE_RC; k++) {
		u = base;
		u.pre_kind = (int8_t)k;
		u.pre_num = k == DL_VERSION_PRE_NONE ? 0 : 1;
		add(p, &u);
		u.has_dev = true;
		u.dev_num = 0;
		add(p, &u);
	}
	/* the release: last number up and down, longer, shorter (inline only,
	 * so that nothing shared is written) */
	if (base.nrelease <= DL_VERSION_INLINE_RELEASE) {
		uint64_t last = base.rel_inline[base.nrelease - 1];
		u = base;
		if (last > 0) {
			u.rel_inline[u.nrelease - 1] = last - 1;
			add(p, &u);
		}
		u = base;
		if (last < UINT64_MAX) {
			u.rel_inline[u.nrelease - 1] = last + 1;
			add(p, &u);
		}
		if (base.nrelease < DL_VERSION_INLINE_RELEASE) {
			for (uint64_t x = 0; x < 2; x++) {
				u = base;
				u.rel_inline[u.nrelease++] = x;
				add(p, &u);
			}
		}
		if (base.nrelease > 1) {
			u = base;
			u.nrelease--;
			add(p, &u);
		}
	}
}

static bool has_arbitrary(const dl_specset *set)
{
	for (size_t i = 0; i < set->count; i++)
		if (set->specs[i].op == DL_SPEC_ARBITRARY)
			return true;
	return false;
}

static void op2(dl_range *out, int (*fn)(dl_range *, const dl_range *, const dl_range *), const dl_range *a,
                const dl_range *b)
{
	dl_range_init(out);
	if (fn(out, a, b) != 0)
		abort();
}

static void op1(dl_range *out, const dl_range *a)
{
	dl_range_init(out);
	if (dl_range_complement(out, a) != 0)
		abort();
}

static probes P;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 2048)
		return 0;
	const char *s = (const char *)data;
	const char *nl = memchr(s, '\n', size);
	size_t alen = nl != NULL ? (size_t)(nl - s) : size;
	const char *bs = nl != NULL ? nl + 1 : s;
	size_t blen = nl != NULL ? size - alen - 1 : size;
	dl_specset *sa = NULL, *sb = NULL;
	if (dl_specset_parse(&sa, s, alen) != 0)
		return 0;
	if (dl_specset_parse(&sb, bs, blen) != 0) {
		dl_specset_free(sa);
		return 0;
	}
	dl_range a, b;
	dl_range_init(&a);
	dl_range_init(&b);
	if (dl_range_from_specset(&a, sa) != 0 || dl_range_from_specset(&b, sb) != 0)
		abort();

	dl_range na, nb, nna, u, n, d, dd, una, ana, nu, nanb;
	op1(&na, &a);
	op1(&nb, &b);
	op1(&nna, &na);
	op2(&u, dl_range_union, &a, &b);
	op2(&n, dl_range_intersect, &a, &b);
	op2(&d, dl_range_difference, &a, &b);
	op2(&dd, dl_range_intersect, &a, &nb);
	op2(&una, dl_range_union, &a, &na);
	op2(&ana, dl_range_intersect, &a, &na);
	op1(&nu, &u);
	op2(&nanb, dl_range_intersect, &na, &nb);

	if (!dl_range_subset(&n, &a) || !dl_range_subset(&n, &b) || !dl_range_subset(&a, &u) || !dl_range_subset(&b, &u))
		abort();
	if (!dl_range_eq(&nna, &a) || !dl_range_is_full(&una) || !dl_range_is_empty(&ana))
		abort();
	if (!dl_range_disjoint(&d, &b) || !dl_range_eq(&d, &dd) || !dl_range_eq(&nu, &nanb))
		abort();
	bool sub = dl_range_subset(&a, &b);
	if (sub != dl_range_eq(&n, &a) || sub != dl_range_is_empty(&d) || sub != dl_range_eq(&u, &b))
		abort();
	if (dl_range_disjoint(&a, &b) != dl_range_is_empty(&n) || dl_range_disjoint(&a, &b) != dl_range_disjoint(&b, &a))
		abort();
	if (dl_range_eq(&a, &b) != (sub && dl_range_subset(&b, &a)))
		abort();
	if (dl_range_has_final(&u) != (dl_range_has_final(&a) || dl_range_has_final(&b)))
		abort();

	/* probes: the sets' versions and every bound, with neighbours */
	P.n = 0;
	const dl_specset *sets[] = {sa, sb};
	for (size_t k = 0; k < 2; k++) {
		for (size_t i = 0; i < sets[k]->count && i < 16; i++) {
			if (sets[k]->specs[i].version.nrelease > 0)
				add_family(&P, &sets[k]->specs[i].version);
		}
	}
	const dl_range *rs[] = {&a, &b, &u, &n};
	for (size_t k = 0; k < 4; k++) {
		for (size_t i = 0; i < rs[k]->n && i < 8; i++) {
			if (rs[k]->iv[i].lo_kind != DL_BOUND_UNBOUNDED)
				add_family(&P, &rs[k]->iv[i].lo);
			if (rs[k]->iv[i].hi_kind != DL_BOUND_UNBOUNDED)
				add_family(&P, &rs[k]->iv[i].hi);
		}
	}
	bool arb_a = has_arbitrary(sa), arb_b = has_arbitrary(sb);
	for (size_t i = 0; i < P.n; i++) {
		const dl_version *v = &P.v[i];
		bool x = dl_range_contains(&a, v), y = dl_range_contains(&b, v);
		if (!arb_a && x != dl_specset_contains(sa, v, DL_PRERELEASES_ALLOW))
			abort();
		if (!arb_b && y != dl_specset_contains(sb, v, DL_PRERELEASES_ALLOW))
			abort();
		if (dl_range_contains(&u, v) != (x || y) || dl_range_contains(&n, v) != (x && y) ||
		    dl_range_contains(&d, v) != (x && !y) || dl_range_contains(&na, v) == x)
			abort();
		if (x && !y && sub)
			abort();
		if (x && y && dl_range_is_empty(&n))
			abort();
	}

	dl_buf out = DL_BUF_INIT;
	if (dl_range_format(&u, &out) != 0 || dl_range_format(&nanb, &out) != 0)
		abort();
	dl_buf_free(&out);

	dl_range *all[] = {&a, &b, &na, &nb, &nna, &u, &n, &d, &dd, &una, &ana, &nu, &nanb};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		dl_range_clear(all[i]);
	dl_specset_free(sa);
	dl_specset_free(sb);
	return 0;
}
