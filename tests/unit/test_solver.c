/*
 * test_solver.c - the PubGrub core on an in-memory provider: hand-made
 * universes with known answers, unsolvable ones with their explanations,
 * and random small universes checked against brute force (every solution
 * satisfies every constraint; "unsolvable" really has no solution; the same
 * input gives the same answer).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/range.h"
#include "deeplock/solver.h"
#include "deeplock/specifier.h"
#include "dltest.h"

#define MAXP 12
#define MAXV 8
#define MAXD 6

/* A universe: packages 1..np with versions (best first) and dependencies. */
typedef struct uni {
	int np;
	char names[MAXP][16];
	int nv[MAXP];
	dl_version v[MAXP][MAXV];
	int nd[MAXP][MAXV];
	dl_solver_dep deps[MAXP][MAXV][MAXD];
	dl_range ranges[MAXP][MAXV][MAXD];
	bool unavailable[MAXP][MAXV];
} uni;

static const char *u_name(void *ctx, uint32_t pkg)
{
	uni *u = ctx;
	return pkg == 0 ? "root" : u->names[pkg];
}

static int u_versions(void *ctx, uint32_t pkg, const dl_version **out, size_t *n)
{
	uni *u = ctx;
	*out = pkg < MAXP ? u->v[pkg] : NULL;
	*n = pkg < MAXP && (int)pkg <= u->np ? (size_t)u->nv[pkg] : 0;
	return 0;
}

static int u_deps(void *ctx, uint32_t pkg, size_t idx, const dl_solver_dep **out, size_t *n, bool *available,
                  const char **reason)
{
	uni *u = ctx;
	*out = u->deps[pkg][idx];
	*n = (size_t)u->nd[pkg][idx];
	*available = !u->unavailable[pkg][idx];
	*reason = u->unavailable[pkg][idx] ? "its metadata is broken" : NULL;
	return 0;
}

static int find_pkg(uni *u, const char *name)
{
	for (int i = 1; i <= u->np; i++) {
		if (strcmp(u->names[i], name) == 0)
			return i;
	}
	assert_true(u->np + 1 < MAXP);
	u->np++;
	snprintf(u->names[u->np], sizeof(u->names[0]), "%s", name);
	return u->np;
}

/* "pkg ver" or "root"; then dependencies "name spec" separated by ';' */
static void add(uni *u, const char *pkg, const char *ver, const char *deps)
{
	int p = 0, vi = 0;
	if (strcmp(pkg, "root") != 0) {
		p = find_pkg(u, pkg);
		vi = u->nv[p]++;
		assert_int_equal(dl_version_parse_into(&u->v[p][vi], ver, strlen(ver)), 0);
	} else {
		u->nv[0] = 1;
	}
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", deps);
	char *save = NULL;
	for (char *tok = strtok_r(buf, ";", &save); tok != NULL; tok = strtok_r(NULL, ";", &save)) {
		while (*tok == ' ')
			tok++;
		char name[16];
		int k = 0;
		while (*tok && *tok != ' ' && k < 15)
			name[k++] = *tok++;
		name[k] = 0;
		int d = u->nd[p][vi]++;
		dl_specset *set = NULL;
		assert_int_equal(dl_specset_parse(&set, tok, strlen(tok)), 0);
		dl_range_init(&u->ranges[p][vi][d]);
		assert_int_equal(dl_range_from_specset(&u->ranges[p][vi][d], set), 0);
		dl_specset_free(set);
		u->deps[p][vi][d].pkg = (uint32_t)find_pkg(u, name);
		u->deps[p][vi][d].range = &u->ranges[p][vi][d];
	}
}

static void uni_free(uni *u)
{
	for (int p = 0; p < MAXP; p++)
		for (int v = 0; v < MAXV; v++) {
			if (p > 0 && v < u->nv[p])
				dl_version_clear(&u->v[p][v]);
			for (int d = 0; d < u->nd[p][v]; d++)
				dl_range_clear(&u->ranges[p][v][d]);
		}
}

/* Solve; on success write "a=1.0 b=2.0" into out, else the explanation. */
static bool solve(uni *u, char *out, size_t cap, dl_solver_stats *stats)
{
	dl_solver_provider prov = {u, u_name, u_versions, u_deps, NULL};
	dl_solver *s = NULL;
	assert_int_equal(dl_solver_new(&s, &prov), 0);
	bool ok = false;
	int rc = dl_solver_solve(s, &ok);
	if (rc != 0)
		fail_msg("solve failed: %s", dl_error_last()->message);
	dl_buf b = DL_BUF_INIT;
	if (ok) {
		for (size_t i = 0; i < dl_solver_selected_count(s); i++) {
			uint32_t pkg;
			size_t idx;
			dl_solver_selected(s, i, &pkg, &idx);
			dl_buf_printf(&b, "%s%s=", i ? " " : "", u->names[pkg]);
			dl_version_format(&u->v[pkg][idx], &b);
		}
	} else {
		assert_int_equal(dl_solver_explain(s, &b), 0);
	}
	snprintf(out, cap, "%s", dl_buf_cstr(&b));
	dl_buf_free(&b);
	if (stats)
		*stats = dl_solver_get_stats(s);
	dl_solver_free(s);
	return ok;
}

static void test_simple(void **state)
{
	(void)state;
	uni *u = calloc(1, sizeof(*u));
	add(u, "root", "", "a >=1; b");
	add(u, "a", "2.0", "c <2");
	add(u, "a", "1.0", "c");
	add(u, "b", "1.0", "c >=1.5");
	add(u, "c", "2.0", "");
	add(u, "c", "1.5", "");
	add(u, "c", "1.0", "");
	char out[4096];
	assert_true(solve(u, out, sizeof(out), NULL));
	assert_string_equal(out, "a=2.0 b=1.0 c=1.5");
	uni_free(u);
	free(u);
}

static void test_backjump(void **state)
{
	(void)state;
	/* the newest a needs a missing package; b pins an older a */
	uni *u = calloc(1, sizeof(*u));
	add(u, "root", "", "a; b");
	add(u, "a", "2.0", "");
	add(u, "a", "1.0", "c");
	add(u, "b", "2.0", "a ==1.0");
	add(u, "b", "1.0", "");
	char out[4096];
	assert_true(solve(u, out, sizeof(out), NULL));
	assert_string_equal(out, "a=2.0 b=1.0");
	uni_free(u);
	free(u);
}

static void test_unsolvable_explained(void **state)
{
	(void)state;
	uni *u = calloc(1, sizeof(*u));
	add(u, "root", "", "a ==1.0; b ==1.0");
	add(u, "a", "1.0", "c >=2");
	add(u, "b", "1.0", "c <2");
	add(u, "c", "1.0", "");
	add(u, "c", "2.0", "");
	char out[4096];
	assert_false(solve(u, out, sizeof(out), NULL));
	printf("%s", out);
	assert_non_null(strstr(out, "a ==1.0 depends on c >=2"));
	assert_non_null(strstr(out, "b ==1.0 depends on c <2"));
	assert_non_null(strstr(out, "the requirements cannot be satisfied."));
	uni_free(u);
	free(u);
}

static void test_no_versions_and_unavailable(void **state)
{
	(void)state;
	uni *u = calloc(1, sizeof(*u));
	add(u, "root", "", "a");
	add(u, "a", "1.0", "missing >=1");
	char out[4096];
	assert_false(solve(u, out, sizeof(out), NULL));
	assert_non_null(strstr(out, "no versions of missing match >=1"));
	uni_free(u);
	free(u);

	u = calloc(1, sizeof(*u));
	add(u, "root", "", "a");
	add(u, "a", "2.0", "");
	add(u, "a", "1.0", "");
	u->unavailable[1][0] = true;
	assert_true(solve(u, out, sizeof(out), NULL));
	assert_string_equal(out, "a=1.0");
	u->unavailable[1][1] = true;
	assert_false(solve(u, out, sizeof(out), NULL));
	assert_non_null(strstr(out, "cannot be used (its metadata is broken)"));
	uni_free(u);
	free(u);
}

/* ---- random universes against brute force ------------------------------- */

static uint64_t rng = 0x1234567;
static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static bool dep_ok(uni *u, const int *choice, int p, int vi)
{
	for (int d = 0; d < u->nd[p][vi]; d++) {
		int q = (int)u->deps[p][vi][d].pkg;
		if (choice[q] < 0 || !dl_range_contains(u->deps[p][vi][d].range, &u->v[q][choice[q]]))
			return false;
	}
	return true;
}

/* Is there any assignment (each package: absent or one version) in which
 * every selected package's dependencies hold and the root's do too? */
static bool brute(uni *u, int *choice, int p)
{
	if (p > u->np) {
		if (!dep_ok(u, choice, 0, 0))
			return false;
		for (int q = 1; q <= u->np; q++) {
			if (choice[q] >= 0 && (u->unavailable[q][choice[q]] || !dep_ok(u, choice, q, choice[q])))
				return false;
		}
		return true;
	}
	for (int v = -1; v < u->nv[p]; v++) {
		choice[p] = v;
		if (brute(u, choice, p + 1))
			return true;
	}
	return false;
}

static void test_random_universes(void **state)
{
	(void)state;
	static const char *const specs[] = {"", ">=1", "<2", "==1", "!=2", ">=2", "<3", "==3", ">1,<3", "~=1.0"};
	static const char *const vers[] = {"3", "2", "1"};
	char out[8192], again[8192];
	int solved = 0, unsolved = 0;
	for (int iter = 0; iter < 400; iter++) {
		uni *u = calloc(1, sizeof(*u));
		int np = 2 + (int)rnd(4);
		for (int i = 1; i <= np; i++) {
			char name[16];
			snprintf(name, sizeof(name), "p%d", i);
			find_pkg(u, name);
		}
		char deps[256];
		/* root requires 1-2 packages */
		snprintf(deps, sizeof(deps), "p1 %s", specs[rnd(10)]);
		if (rnd(2))
			snprintf(deps + strlen(deps), sizeof(deps) - strlen(deps), "; p2 %s", specs[rnd(10)]);
		add(u, "root", "", deps);
		for (int i = 1; i <= np; i++) {
			int nv = 1 + (int)rnd(3);
			for (int k = 0; k < nv; k++) {
				deps[0] = 0;
				int nd = (int)rnd(3);
				for (int d = 0; d < nd; d++) {
					int q = 1 + (int)rnd((unsigned)np);
					if (q == i || strstr(deps, u->names[q]) != NULL)
						continue;
					snprintf(deps + strlen(deps), sizeof(deps) - strlen(deps), "%s%s %s", deps[0] ? "; " : "",
					         u->names[q], specs[rnd(10)]);
				}
				char pname[16];
				snprintf(pname, sizeof(pname), "%s", u->names[i]);
				add(u, pname, vers[k], deps);
			}
		}
		bool ok = solve(u, out, sizeof(out), NULL);
		int choice[MAXP];
		for (int i = 0; i < MAXP; i++)
			choice[i] = -1;
		bool exists = brute(u, choice, 1);
		if (ok != exists)
			fail_msg("iteration %d: solver says %d, brute force %d: %s", iter, ok, exists, out);
		if (ok) {
			/* the answer satisfies everything */
			for (int i = 0; i < MAXP; i++)
				choice[i] = -1;
			char *p = out;
			while (*p) {
				char name[16], ver[16];
				int n = 0;
				if (sscanf(p, "%15[^=]=%15s%n", name, ver, &n) != 2)
					break;
				int q = find_pkg(u, name);
				for (int k = 0; k < u->nv[q]; k++) {
					dl_version v;
					assert_int_equal(dl_version_parse_into(&v, ver, strlen(ver)), 0);
					if (dl_version_eq(&v, &u->v[q][k]))
						choice[q] = k;
					dl_version_clear(&v);
				}
				p += n;
				while (*p == ' ')
					p++;
			}
			assert_true(dep_ok(u, choice, 0, 0));
			for (int q = 1; q <= u->np; q++) {
				if (choice[q] >= 0)
					assert_true(dep_ok(u, choice, q, choice[q]));
			}
			solved++;
		} else {
			unsolved++;
		}
		/* deterministic */
		bool ok2 = solve(u, again, sizeof(again), NULL);
		assert_int_equal(ok, ok2);
		assert_string_equal(out, again);
		uni_free(u);
		free(u);
	}
	printf("random universes: %d solved, %d proved unsolvable\n", solved, unsolved);
	assert_true(solved > 50 && unsolved > 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple),
		cmocka_unit_test(test_backjump),
		cmocka_unit_test(test_unsolvable_explained),
		cmocka_unit_test(test_no_versions_and_unavailable),
		cmocka_unit_test(test_random_universes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
