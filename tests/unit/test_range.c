/*
 * test_range.c - version ranges: construction from specifiers, the set
 * algebra's laws on every pair (and many triples) of a list of specifier
 * sets, checked both structurally (dl_range_eq, subset, disjoint) and by
 * membership of probe versions; canonical form (equal sets built in
 * different ways compare equal, including bounds spelled differently and
 * numbers at UINT64_MAX); has_final; printing; allocation failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dltest.h"
#include "deeplock/range.h"

static dl_specset *set_ok(const char *s)
{
	dl_specset *set = NULL;
	if (dl_specset_parse(&set, s, strlen(s)) != 0)
		fail_msg("parse of '%s' failed: %s", s, dl_error_last()->message);
	return set;
}

static void range_of(dl_range *r, const char *spec)
{
	dl_specset *set = set_ok(spec);
	dl_range_init(r);
	assert_int_equal(dl_range_from_specset(r, set), 0);
	dl_specset_free(set);
}

static char *text(const dl_range *r)
{
	dl_buf b = DL_BUF_INIT;
	dl_buf_put(&b, "", 0);
	assert_int_equal(dl_range_format(r, &b), 0);
	return dl_buf_detach(&b, NULL);
}

/* ---- the specifier sets and probe versions the laws run over ------------ */

static const char *const specs[] = {
	"",
	">=1.0",
	"<2",
	"<2.dev0",
	">=1.0,<2",
	"==1.*",
	"!=1.5.*",
	"~=1.4.5",
	"~=1.4",
	"==1.0",
	"!=1.0",
	"==1.0+local",
	"!=1.0+local",
	"<=1.0",
	">1.0",
	">1.0.post1",
	"<1.0.post1",
	">=1.0a1",
	"<1.0a1",
	">1.0a1",
	"==1.0a1",
	"<=2.0.dev0",
	">=0.dev0",
	"<0",
	">2,<1",
	"===1.0",
	">=1.0,!=1.2,!=1.4.*,<3",
	"==1.5.*,!=1.5.1",
	">1.0.dev1",
	"<1.0.dev5",
	"==1!1.0",
	">=1!0",
	"<1!0",
	"~=2.2.post3",
	">=3.0rc1,<=3.0",
	"!=0.*",
	">=1.0.post0.dev0",
	">=1.0,<1.0.post0.dev0",
	"==18446744073709551615.*",
	">18446744073709551615",
	"<=1.0.post18446744073709551615",
	">1.0a18446744073709551615",
	"!=1.0,!=1.0.post1,!=2",
};
#define NSPECS (sizeof(specs) / sizeof(specs[0]))

static const char *const probes[] = {
	"0.dev0",   "0",          "0+x",          "0.5",         "1.0.dev0",     "1.0.dev1",    "1.0.dev1+x",
	"1.0.dev2", "1.0.dev5",   "1.0a0",        "1.0a1",       "1.0a1+x",      "1.0a1.post1", "1.0a2.dev0",
	"1.0b0.dev0", "1.0rc1",   "1.0",          "1.0+local",   "1.0+other",    "1.0.post0.dev0", "1.0.post0",
	"1.0.post1", "1.0.post1+x", "1.0.post2.dev0", "1.0.post18446744073709551615", "1.0.0.1", "1.0.1",
	"1.1",      "1.2",        "1.2+x",        "1.2.post1",   "1.4",          "1.4.4",       "1.4.5",
	"1.4.6",    "1.5.dev0",   "1.5",          "1.5.1",       "1.6",          "2.0.dev0",    "2.0a1",
	"2",        "2.0+x",      "2.2.post3",    "2.5",         "3.0rc1",       "3.0",         "3.0+x",
	"3.0.post1", "1!0",       "1!1.0",        "1!1.0+x",     "18446744073709551615",  "18446744073709551615.1",
	"1.0a18446744073709551615.post3", "1.0b0",
};
#define NPROBES (sizeof(probes) / sizeof(probes[0]))

static dl_version probe_v[NPROBES];
static dl_range spec_r[NSPECS];
static dl_specset *spec_s[NSPECS];

static int setup(void **state)
{
	(void)state;
	for (size_t i = 0; i < NPROBES; i++)
		if (dl_version_parse_into(&probe_v[i], probes[i], strlen(probes[i])) != 0)
			return -1;
	for (size_t i = 0; i < NSPECS; i++) {
		if (dl_specset_parse(&spec_s[i], specs[i], strlen(specs[i])) != 0)
			return -1;
		dl_range_init(&spec_r[i]);
		if (dl_range_from_specset(&spec_r[i], spec_s[i]) != 0)
			return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < NPROBES; i++)
		dl_version_clear(&probe_v[i]);
	for (size_t i = 0; i < NSPECS; i++) {
		dl_range_clear(&spec_r[i]);
		dl_specset_free(spec_s[i]);
	}
	return 0;
}

static bool has_arbitrary(const dl_specset *set)
{
	for (size_t i = 0; i < set->count; i++)
		if (set->specs[i].op == DL_SPEC_ARBITRARY)
			return true;
	return false;
}

/* ---- construction ------------------------------------------------------- */

static void test_membership_matches_specifiers(void **state)
{
	(void)state;
	for (size_t i = 0; i < NSPECS; i++) {
		if (has_arbitrary(spec_s[i]))
			continue;
		for (size_t j = 0; j < NPROBES; j++) {
			bool r = dl_range_contains(&spec_r[i], &probe_v[j]);
			bool s = dl_specset_contains(spec_s[i], &probe_v[j], DL_PRERELEASES_ALLOW);
			if (r != s)
				fail_msg("'%s' in '%s': range says %d, specifiers %d", probes[j], specs[i], r, s);
			/* each specifier alone, too */
			for (size_t k = 0; k < spec_s[i]->count; k++) {
				dl_range one;
				dl_range_init(&one);
				assert_int_equal(dl_range_from_spec(&one, &spec_s[i]->specs[k]), 0);
				if (dl_range_contains(&one, &probe_v[j]) != dl_spec_matches(&spec_s[i]->specs[k], &probe_v[j]))
					fail_msg("'%s' against specifier %zu of '%s'", probes[j], k, specs[i]);
				dl_range_clear(&one);
			}
		}
	}
	/* `===V` is the single version V (string identity is checked later) */
	dl_range r;
	range_of(&r, "===1.0");
	assert_int_equal(r.n, 1);
	dl_version v;
	assert_int_equal(dl_version_parse_into(&v, "1.0.0", 5), 0);
	assert_true(dl_range_contains(&r, &v));
	dl_version_clear(&v);
	dl_range_clear(&r);
	range_of(&r, "===foobar");
	assert_true(dl_range_is_empty(&r));
	dl_range_clear(&r);
}

static void test_constructors(void **state)
{
	(void)state;
	dl_range r, c;
	dl_range_init(&r);
	dl_range_init(&c);
	assert_true(dl_range_is_empty(&r));
	assert_false(dl_range_is_full(&r));
	assert_int_equal(dl_range_full(&r), 0);
	assert_true(dl_range_is_full(&r));
	assert_false(dl_range_is_empty(&r));
	dl_version v;
	assert_int_equal(dl_version_parse_into(&v, "1.2.3.4.5.6.7.8+abc", 19), 0);
	/* an output is cleared first: no leak when it held something */
	assert_int_equal(dl_range_exact(&r, &v), 0);
	assert_int_equal(r.n, 1);
	assert_true(dl_range_contains(&r, &v));
	assert_int_equal(dl_range_copy(&c, &r), 0);
	assert_true(dl_range_eq(&c, &r));
	dl_version_clear(&v); /* the range owns copies */
	char *s = text(&c);
	assert_string_equal(s, "==1.2.3.4.5.6.7.8+abc");
	dl_free(s);
	assert_int_equal(dl_version_parse_into(&v, "1.2.3.4.5.6.7.8", 15), 0);
	assert_false(dl_range_contains(&c, &v));
	dl_version_clear(&v);
	dl_range_clear(&r);
	dl_range_clear(&c);
	dl_range_clear(&c);
	assert_true(dl_range_is_empty(&c));
}

static void test_format(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{"", "*"},
		{">=0.dev0", "*"},
		{">2,<1", "<empty>"},
		{"<0", "<empty>"},
		{"<0.dev0", "<empty>"},
		{">=1.0", ">=1.0"},
		{">=1.0,<2", ">=1.0, <2"},
		{"~=1.4.5", ">=1.4.5, <1.5"},
		{"==1.0", "==1.0"},
		{"==1.0+abc", "==1.0+abc"},
		{"!=1.0", "!=1.0"},
		{"==1.*", "==1.*"},
		{"!=1.5.*", "!=1.5.*"},
		{"<=1.0", "<=1.0"},
		{"<1.0a1", "<1.0a1"},
		{"<2.dev0", "<2.dev0"},
		{">1.0.post1", ">1.0.post1"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dl_range r;
		range_of(&r, cases[i][0]);
		char *s = text(&r);
		if (strcmp(s, cases[i][1]) != 0)
			fail_msg("'%s': prints '%s', expected '%s'", cases[i][0], s, cases[i][1]);
		dl_free(s);
		dl_range_clear(&r);
	}
}

/* ---- canonical form ----------------------------------------------------- */

/* Build a range from "A", "A | B" (union), "A & B" (intersection) or
 * "not A" (complement of one set). */
static void build(dl_range *out, const char *expr)
{
	dl_range_init(out);
	const char *bar = strstr(expr, " | "), *amp = strstr(expr, " & ");
	const char *op = bar != NULL ? bar : amp;
	if (strncmp(expr, "not ", 4) == 0) {
		dl_range a;
		range_of(&a, expr + 4);
		assert_int_equal(dl_range_complement(out, &a), 0);
		dl_range_clear(&a);
		return;
	}
	if (op == NULL) {
		range_of(out, expr);
		return;
	}
	char left[256];
	snprintf(left, sizeof(left), "%.*s", (int)(op - expr), expr);
	dl_range a, b;
	build(&a, left);
	build(&b, op + 3);
	if (bar != NULL)
		assert_int_equal(dl_range_union(out, &a, &b), 0);
	else
		assert_int_equal(dl_range_intersect(out, &a, &b), 0);
	dl_range_clear(&a);
	dl_range_clear(&b);
}

static void test_canonical(void **state)
{
	(void)state;
	static const char *const same[][2] = {
		/* bounds spelled differently */
		{"<1.0", "<1.0.dev0"},
		{"<1.0", "<1.0.0.dev0"},
		{"<=1.0", "<1.0.post0.dev0"},
		{"==1.*", ">=1.dev0,<2.dev0"},
		{"==1.0", ">=1.0,<=1.0"},
		{"==1.0", ">=1.0,<1.0.post0.dev0"},
		{">1.0.post1", ">=1.0.post2.dev0"},
		{">1.0a1", ">=1.0a2.dev0"},
		{">1.0.dev1", ">=1.0.dev2"},
		{"<1.0.post1", "<1.0.post1.dev0"},
		{"~=1.4.5", ">=1.4.5,==1.4.*"},
		{"~=2.2", ">=2.2,==2.*"},
		{"~=2.2", ">=2.2,<3.dev0"},
		{"!=1.0", "not ==1.0"},
		{"!=1.5.*", "<1.5 | >=1.6.dev0"},
		/* everything and nothing */
		{">=0.dev0", ""},
		{">=0", ">=0.0.0"},
		{"==1.0.*,!=1.0.*", ">2,<1"},
		{"<0", ">2,<1"},
		{"<0.dev0", "<0"},
		{"not >=0.dev0", "<0"},
		{"<=1.0 | >1.0 | >=1.0.post0.dev0,<1.0.1.dev0", ""},
		{">=1.0,<2 | >=2.dev0,<3", ">=1.0,<3"},
		{"<1.0 | >=1.0.dev0", ""},
		{"!=1.0 | ==1.0", ""},
		{"==1.0 | ==1.0.0", "==1"},
		{">=1.0 & <=1.0", "==1.0"},
		/* numbers at UINT64_MAX: the successor rolls into the next part */
		{">1.0a18446744073709551615", ">=1.0b0.dev0"},
		{">1.0rc18446744073709551615", ">=1.0"},
		{">1.0.dev18446744073709551615", ">=1.0a0.dev0"},
		{">1.0a1.dev18446744073709551615", ">=1.0a1"},
		{">1.0.post18446744073709551615", ">1.0"},
		{">1.0a1.post18446744073709551615", ">=1.0a2.dev0"},
		{"<=1.0.post18446744073709551615 | >1.0", ""},
		{"not >1.0.post18446744073709551615", "<=1.0.post18446744073709551615"},
		{"~=1.18446744073709551615", ">=1.18446744073709551615,<2.dev0"},
		{"==18446744073709551615.*", ">=18446744073709551615.dev0,<1!0.dev0"},
	};
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		dl_range a, b;
		build(&a, same[i][0]);
		build(&b, same[i][1]);
		if (!dl_range_eq(&a, &b) || !dl_range_eq(&b, &a) || !dl_range_subset(&a, &b) || !dl_range_subset(&b, &a)) {
			char *x = text(&a), *y = text(&b);
			fail_msg("'%s' (%s) and '%s' (%s) should be the same set", same[i][0], x, same[i][1], y);
		}
		assert_true(dl_range_is_full(&a) == dl_range_is_full(&b));
		assert_true(dl_range_is_empty(&a) == dl_range_is_empty(&b));
		assert_true(dl_range_has_final(&a) == dl_range_has_final(&b));
		/* and their complements are equal too */
		dl_range na, nb;
		dl_range_init(&na);
		dl_range_init(&nb);
		assert_int_equal(dl_range_complement(&na, &a), 0);
		assert_int_equal(dl_range_complement(&nb, &b), 0);
		assert_true(dl_range_eq(&na, &nb));
		for (size_t j = 0; j < NPROBES; j++)
			assert_true(dl_range_contains(&a, &probe_v[j]) == dl_range_contains(&b, &probe_v[j]));
		dl_range_clear(&na);
		dl_range_clear(&nb);
		dl_range_clear(&a);
		dl_range_clear(&b);
	}
	static const char *const differ[][2] = {
		{"<1.0", "<=1.0"},
		{"<1.0", "<1.0a1"},
		{">1.0", ">=1.0"},
		{">1.0", ">1.0.post1"},
		{"==1.0", "===1.0"},
		{"==1.0", "==1.0+abc"},
		{">=1.0,<2 | >=2,<3", ">=1.0,<3"},
		{"==1.*", ">=1.0,<2"},
		{"", ">=0"},
		{"", "!=0.dev0"},
	};
	for (size_t i = 0; i < sizeof(differ) / sizeof(differ[0]); i++) {
		dl_range a, b;
		build(&a, differ[i][0]);
		build(&b, differ[i][1]);
		if (dl_range_eq(&a, &b) || dl_range_eq(&b, &a))
			fail_msg("'%s' and '%s' should differ", differ[i][0], differ[i][1]);
		dl_range_clear(&a);
		dl_range_clear(&b);
	}
}

/* ---- the laws ----------------------------------------------------------- */

static void op2(dl_range *out, int (*fn)(dl_range *, const dl_range *, const dl_range *), const dl_range *a,
                const dl_range *b)
{
	dl_range_init(out);
	assert_int_equal(fn(out, a, b), 0);
}

static void op1(dl_range *out, const dl_range *a)
{
	dl_range_init(out);
	assert_int_equal(dl_range_complement(out, a), 0);
}

#define LAW(cond, what)                                                                                               \
	do {                                                                                                           \
		if (!(cond))                                                                                           \
			fail_msg("A='%s' B='%s': %s", specs[i], specs[j], what);                                        \
	} while (0)

static void test_laws_pairs(void **state)
{
	(void)state;
	size_t pairs = 0;
	for (size_t i = 0; i < NSPECS; i++) {
		const dl_range *a = &spec_r[i];
		dl_range na, nna, aa, ana, una;
		op1(&na, a);
		op1(&nna, &na);
		op2(&aa, dl_range_union, a, a);
		op2(&ana, dl_range_intersect, a, &na);
		op2(&una, dl_range_union, a, &na);
		size_t j = 0;
		LAW(dl_range_eq(&nna, a), "~~A == A");
		LAW(dl_range_eq(&aa, a), "A|A == A");
		LAW(dl_range_is_empty(&ana), "A&~A is empty");
		LAW(dl_range_is_full(&una), "A|~A is full");
		LAW(dl_range_disjoint(a, &na), "A and ~A are disjoint");
		LAW(dl_range_is_empty(a) == dl_range_is_full(&na), "A empty iff ~A full");
		for (size_t k = 0; k < NPROBES; k++)
			LAW(dl_range_contains(&na, &probe_v[k]) != dl_range_contains(a, &probe_v[k]), "~A membership");
		dl_range_clear(&nna);
		dl_range_clear(&aa);
		dl_range_clear(&ana);
		dl_range_clear(&una);

		for (j = 0; j < NSPECS; j++) {
			const dl_range *b = &spec_r[j];
			dl_range u, u2, n, n2, d, nb, nu, nn, nanb, nbna, dd;
			op2(&u, dl_range_union, a, b);
			op2(&u2, dl_range_union, b, a);
			op2(&n, dl_range_intersect, a, b);
			op2(&n2, dl_range_intersect, b, a);
			op2(&d, dl_range_difference, a, b);
			op1(&nb, b);
			op1(&nu, &u);
			op1(&nn, &n);
			op2(&nanb, dl_range_intersect, &na, &nb);
			op2(&nbna, dl_range_union, &na, &nb);
			op2(&dd, dl_range_intersect, a, &nb);

			LAW(dl_range_eq(&u, &u2), "A|B == B|A");
			LAW(dl_range_eq(&n, &n2), "A&B == B&A");
			LAW(dl_range_eq(&nu, &nanb), "~(A|B) == ~A&~B");
			LAW(dl_range_eq(&nn, &nbna), "~(A&B) == ~A|~B");
			LAW(dl_range_eq(&d, &dd), "A-B == A&~B");
			LAW(dl_range_disjoint(&d, b), "A-B and B are disjoint");
			LAW(dl_range_subset(&n, a) && dl_range_subset(&n, b), "A&B is a subset of A and of B");
			LAW(dl_range_subset(a, &u) && dl_range_subset(b, &u), "A and B are subsets of A|B");
			LAW(dl_range_subset(&d, a), "A-B is a subset of A");
			LAW(dl_range_disjoint(a, b) == dl_range_is_empty(&n), "disjoint iff A&B is empty");
			LAW(dl_range_disjoint(a, b) == dl_range_disjoint(b, a), "disjoint is symmetric");
			bool sub = dl_range_subset(a, b);
			LAW(sub == dl_range_eq(&n, a), "A<=B iff A&B == A");
			LAW(sub == dl_range_eq(&u, b), "A<=B iff A|B == B");
			LAW(sub == dl_range_is_empty(&d), "A<=B iff A-B is empty");
			LAW(dl_range_eq(a, b) == (sub && dl_range_subset(b, a)), "A==B iff A<=B and B<=A");
			LAW(dl_range_is_full(&u) == dl_range_is_empty(&nanb), "A|B full iff ~A&~B empty");
			LAW(dl_range_has_final(&u) == (dl_range_has_final(a) || dl_range_has_final(b)), "has_final of A|B");
			LAW(!dl_range_has_final(&n) || (dl_range_has_final(a) && dl_range_has_final(b)), "has_final of A&B");
			for (size_t k = 0; k < NPROBES; k++) {
				const dl_version *v = &probe_v[k];
				bool x = dl_range_contains(a, v), y = dl_range_contains(b, v);
				if (dl_range_contains(&u, v) != (x || y) || dl_range_contains(&n, v) != (x && y) ||
				    dl_range_contains(&d, v) != (x && !y))
					fail_msg("A='%s' B='%s': membership of '%s' in A|B, A&B or A-B", specs[i], specs[j], probes[k]);
				/* a member is a witness against subset and disjointness */
				if (x && !y)
					LAW(!sub, "a member of A outside B, yet A<=B");
				if (x && y)
					LAW(!dl_range_disjoint(a, b), "a common member, yet disjoint");
			}
			dl_range_clear(&u);
			dl_range_clear(&u2);
			dl_range_clear(&n);
			dl_range_clear(&n2);
			dl_range_clear(&d);
			dl_range_clear(&nb);
			dl_range_clear(&nu);
			dl_range_clear(&nn);
			dl_range_clear(&nanb);
			dl_range_clear(&nbna);
			dl_range_clear(&dd);
			pairs++;
		}
		dl_range_clear(&na);
	}
	print_message("range laws: %zu pairs of %zu sets, %zu probe versions\n", pairs, NSPECS, NPROBES);
}

/* A small deterministic generator (xorshift64*), so failures reproduce. */
static uint64_t rng_state = 0x2545f4914f6cdd1dULL;
static size_t pick(size_t n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (size_t)((rng_state * 0x2545f4914f6cdd1dULL) >> 33) % n;
}

static void test_laws_triples(void **state)
{
	(void)state;
	for (int t = 0; t < 3000; t++) {
		size_t i = pick(NSPECS), j = pick(NSPECS), k = pick(NSPECS);
		const dl_range *a = &spec_r[i], *b = &spec_r[j], *c = &spec_r[k];
		dl_range ab, bc, l, r, ac, ab_ac;
		/* associativity of union and intersection */
		op2(&ab, dl_range_union, a, b);
		op2(&bc, dl_range_union, b, c);
		op2(&l, dl_range_union, &ab, c);
		op2(&r, dl_range_union, a, &bc);
		if (!dl_range_eq(&l, &r))
			fail_msg("(A|B)|C != A|(B|C) for '%s', '%s', '%s'", specs[i], specs[j], specs[k]);
		dl_range_clear(&l);
		dl_range_clear(&r);
		/* distributivity: A&(B|C) == (A&B)|(A&C) */
		op2(&l, dl_range_intersect, a, &bc);
		dl_range_clear(&ab);
		op2(&ab, dl_range_intersect, a, b);
		op2(&ac, dl_range_intersect, a, c);
		op2(&ab_ac, dl_range_union, &ab, &ac);
		if (!dl_range_eq(&l, &ab_ac))
			fail_msg("A&(B|C) != (A&B)|(A&C) for '%s', '%s', '%s'", specs[i], specs[j], specs[k]);
		dl_range_clear(&l);
		dl_range_clear(&bc);
		/* (A&B)&C == A&(B&C) */
		op2(&bc, dl_range_intersect, b, c);
		op2(&l, dl_range_intersect, &ab, c);
		op2(&r, dl_range_intersect, a, &bc);
		if (!dl_range_eq(&l, &r))
			fail_msg("(A&B)&C != A&(B&C) for '%s', '%s', '%s'", specs[i], specs[j], specs[k]);
		/* subset is transitive */
		if (dl_range_subset(a, b) && dl_range_subset(b, c) && !dl_range_subset(a, c))
			fail_msg("subset not transitive for '%s', '%s', '%s'", specs[i], specs[j], specs[k]);
		dl_range_clear(&ab);
		dl_range_clear(&bc);
		dl_range_clear(&l);
		dl_range_clear(&r);
		dl_range_clear(&ac);
		dl_range_clear(&ab_ac);
	}
}

static void test_has_final(void **state)
{
	(void)state;
	static const struct {
		const char *spec;
		bool want;
	} cases[] = {
		{"", true},
		{">=1.0a1,<1.0", false},
		{"==1.0a1", false},
		{">1.0a1,<1.0", false},
		{">1.0a1,<=1.0", true},
		{"<1.0.dev0", true},
		{"<0.dev0", false},
		{"<0.0.1", true},
		{">1.0", true},
		{">1.0.post18446744073709551615", true},
		{">1.0.post18446744073709551615,<1.0.0.1.dev0", true},
		{">1.0.post1,<1.0.post2", false},
		{">=1.0.post1,<1.0.post2", true},
		{"==1.0.dev1", false},
		{"==1.0.*,<1.0", false},
		{"==1.0+abc", true},
		{"==1.0a1+abc", false},
		{">1.0,<1.0.0.1", true},
		{">1.0,<1.0.0.0.1.dev0", true},
		{"!=1.0", true},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dl_range r;
		range_of(&r, cases[i].spec);
		if (dl_range_has_final(&r) != cases[i].want)
			fail_msg("'%s': has_final should be %d", cases[i].spec, cases[i].want);
		dl_range_clear(&r);
	}
}

static void test_many_intervals(void **state)
{
	(void)state;
	/* != on 200 versions: 201 intervals, found by binary search */
	dl_buf b = DL_BUF_INIT;
	for (int i = 0; i < 200; i++)
		dl_buf_printf(&b, "%s!=%d.%d", i ? "," : "", i / 10, i % 10);
	dl_range r;
	range_of(&r, dl_buf_cstr(&b));
	dl_buf_free(&b);
	assert_int_equal(r.n, 201);
	for (int i = 0; i < 200; i++) {
		char s[32];
		dl_version v;
		snprintf(s, sizeof(s), "%d.%d+x", i / 10, i % 10);
		assert_int_equal(dl_version_parse_into(&v, s, strlen(s)), 0);
		assert_false(dl_range_contains(&r, &v));
		dl_version_clear(&v);
		snprintf(s, sizeof(s), "%d.%d.1", i / 10, i % 10);
		assert_int_equal(dl_version_parse_into(&v, s, strlen(s)), 0);
		assert_true(dl_range_contains(&r, &v));
		dl_version_clear(&v);
	}
	dl_range n;
	op1(&n, &r);
	assert_int_equal(n.n, 200);
	dl_range_clear(&n);
	dl_range_clear(&r);
}

/* ---- allocation failure ------------------------------------------------- */

static int alloc_ops(void *ctx)
{
	(void)ctx;
	const char *as = ">=1.2.3.4.5.6.7.8, !=1.2.3.4.5.6.7.9+Local, !=2.*, <3.0.0.0.0.0.0.1";
	const char *bs = "~=1.2.3.4.5.6.7.8.9, !=1.5, ==1.2.3.4.5.6.7.*";
	dl_specset *sa = NULL, *sb = NULL;
	dl_range a, b, u, n, c, d, cp;
	dl_range_init(&a);
	dl_range_init(&b);
	dl_range_init(&u);
	dl_range_init(&n);
	dl_range_init(&c);
	dl_range_init(&d);
	dl_range_init(&cp);
	int rc = dl_specset_parse(&sa, as, strlen(as));
	if (rc == 0)
		rc = dl_specset_parse(&sb, bs, strlen(bs));
	if (rc == 0)
		rc = dl_range_from_specset(&a, sa);
	if (rc == 0)
		rc = dl_range_from_specset(&b, sb);
	if (rc == 0)
		rc = dl_range_union(&u, &a, &b);
	if (rc == 0)
		rc = dl_range_intersect(&n, &a, &b);
	if (rc == 0)
		rc = dl_range_complement(&c, &u);
	if (rc == 0)
		rc = dl_range_difference(&d, &a, &b);
	if (rc == 0)
		rc = dl_range_copy(&cp, &d);
	if (rc == 0 && (!dl_range_eq(&cp, &d) || dl_range_is_empty(&u)))
		rc = DL_ERROR;
	if (rc == 0) {
		dl_buf buf = DL_BUF_INIT;
		dl_range_format(&u, &buf);
		rc = buf.failed;
		dl_buf_free(&buf);
	}
	dl_range_clear(&a);
	dl_range_clear(&b);
	dl_range_clear(&u);
	dl_range_clear(&n);
	dl_range_clear(&c);
	dl_range_clear(&d);
	dl_range_clear(&cp);
	dl_specset_free(sa);
	dl_specset_free(sb);
	return rc;
}

static int alloc_single(void *ctx)
{
	const char *s = ctx;
	dl_specset *set = NULL;
	int rc = dl_specset_parse(&set, s, strlen(s));
	if (rc < 0)
		return rc;
	dl_range r, e, f;
	dl_range_init(&r);
	dl_range_init(&e);
	dl_range_init(&f);
	rc = dl_range_from_specset(&r, set);
	if (rc == 0)
		rc = dl_range_full(&f);
	if (rc == 0 && r.n > 0 && r.iv[0].lo_kind != DL_BOUND_UNBOUNDED)
		rc = dl_range_exact(&e, &r.iv[0].lo);
	dl_range_clear(&r);
	dl_range_clear(&e);
	dl_range_clear(&f);
	dl_specset_free(set);
	return rc;
}

static void test_alloc_failures(void **state)
{
	(void)state;
	dltest_each_alloc_failure(alloc_ops, NULL);
	dltest_each_alloc_failure(alloc_single, "!=1.2.3.4.5.6.7.8+abc");
	dltest_each_alloc_failure(alloc_single, "==1.2.3.4.5.6.7.8.*");
	dltest_each_alloc_failure(alloc_single, "~=18446744073709551615.18446744073709551615.1.2.3.4.5.6");
	dltest_each_alloc_failure(alloc_single, ">1.2.3.4.5.6.7,<=2.0.0.0.0.0.0.0");
	dl_allocator_set(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_membership_matches_specifiers),
		cmocka_unit_test(test_constructors),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_canonical),
		cmocka_unit_test(test_laws_pairs),
		cmocka_unit_test(test_laws_triples),
		cmocka_unit_test(test_has_final),
		cmocka_unit_test(test_many_intervals),
		cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
