/*
 * test_packse.c - every packse scenario of ../shared/scenarios/packse
 * resolved by the PubGrub solver through the scenario provider, and the
 * outcome compared with the one each file expects (satisfiability, and the
 * exact pins where the file lists them).
 *
 * A scenario that fails must be on the KNOWN list below with its reason,
 * and every scenario on the list must still fail, so the list can neither
 * hide a regression nor outlive a fix.  Universal scenarios are resolved
 * by forking and their answers checked by the scenario module (see
 * scenario.h).  Beside the
 * conformance walk: load errors with their positions, one small universe
 * exercising every provider rule with exact answers, and that universe
 * loaded and resolved under every allocation failure.
 */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/scenario.h"
#include "dltest.h"

/* Scenarios expected to fail, by file name (category/file.toml), and why. */
static const struct {
	const char *file;
	const char *reason;
} KNOWN[] = {
	{"fork/preferences-dependent-forking-conflicting.toml",
	 "the expectation is uv's: its forks inherit what the unforked solve learned about cleaver 1; "
	 "pieces restarted from scratch find the lock uv's own first run describes (cleaver 1, and "
	 "foo/bar split by platform)"},
	{NULL, NULL},
};

static bool known(const char *file)
{
	for (size_t i = 0; KNOWN[i].file != NULL; i++) {
		if (strcmp(KNOWN[i].file, file) == 0)
			return true;
	}
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted entries of `dir` (free each and the array with free()). */
static char **list_dir(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	*n = 0;
	if (d == NULL)
		return NULL;
	char **names = NULL;
	size_t cap = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 32;
			names = realloc(names, cap * sizeof(*names));
			assert_non_null(names);
		}
		names[(*n)++] = strdup(e->d_name);
	}
	closedir(d);
	if (*n > 1)
		qsort(names, *n, sizeof(*names), cmp_str);
	return names;
}

static void free_list(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static void test_every_scenario(void **state)
{
	(void)state;
	const char *shared = dltest_require_shared("test_packse");
	char root[4096];
	snprintf(root, sizeof(root), "%s/scenarios/packse", shared);
	size_t ncat = 0;
	char **cats = list_dir(root, &ncat);
	assert_non_null(cats);
	int total[3] = {0, 0, 0};
	int unexpected = 0, stale = 0;
	char seen_known[64] = {0};
	for (size_t c = 0; c < ncat; c++) {
		char dir[8192];
		snprintf(dir, sizeof(dir), "%s/%s", root, cats[c]);
		size_t nf = 0;
		char **files = list_dir(dir, &nf);
		if (files == NULL)
			continue; /* a plain file such as LICENSE-MIT */
		int count[3] = {0, 0, 0};
		for (size_t f = 0; f < nf; f++) {
			size_t fl = strlen(files[f]);
			if (fl < 5 || strcmp(files[f] + fl - 5, ".toml") != 0)
				continue;
			char rel[1024], path[16384];
			snprintf(rel, sizeof(rel), "%s/%s", cats[c], files[f]);
			snprintf(path, sizeof(path), "%s/%s", dir, files[f]);
			size_t len = 0;
			char *data = dltest_read_file(path, &len);
			assert_non_null(data);
			dl_scenario *sc = NULL;
			const dl_scenario_outcome *out = NULL;
			if (dl_scenario_load(&sc, data, len, rel) != 0)
				fail_msg("%s: %s", rel, dl_error_last()->message);
			if (dl_scenario_resolve(sc, &out) != 0)
				fail_msg("%s: %s", rel, dl_error_last()->message);
			count[out->status]++;
			bool is_known = known(rel);
			if (out->status == DL_SCENARIO_FAIL) {
				printf("  FAIL %s%s: %s\n", rel, is_known ? " (known)" : "", out->reason);
				if (!is_known)
					unexpected++;
			} else if (is_known) {
				printf("  STALE known failure %s now %s\n", rel,
				       out->status == DL_SCENARIO_PASS ? "passes" : "is skipped");
				stale++;
			}
			for (size_t k = 0; KNOWN[k].file != NULL && k < sizeof(seen_known); k++) {
				if (strcmp(KNOWN[k].file, rel) == 0)
					seen_known[k] = 1;
			}
			dl_scenario_free(sc);
			free(data);
		}
		if (count[0] + count[1] + count[2] > 0)
			printf("%-22s pass %3d  fail %3d  skip %3d\n", cats[c], count[DL_SCENARIO_PASS],
			       count[DL_SCENARIO_FAIL], count[DL_SCENARIO_SKIP]);
		for (int k = 0; k < 3; k++)
			total[k] += count[k];
		free_list(files, nf);
	}
	free_list(cats, ncat);
	printf("%-22s pass %3d  fail %3d  skip %3d\n", "TOTAL",
	       total[DL_SCENARIO_PASS], total[DL_SCENARIO_FAIL], total[DL_SCENARIO_SKIP]);
	for (size_t k = 0; KNOWN[k].file != NULL; k++) {
		if (!seen_known[k]) {
			printf("  known failure %s names no scenario\n", KNOWN[k].file);
			stale++;
		}
	}
	assert_int_equal(unexpected, 0);
	assert_int_equal(stale, 0);
	/* the suite is really there: 148 files, 41 of them universal */
	assert_true(total[DL_SCENARIO_PASS] >= 140);
	assert_int_equal(total[DL_SCENARIO_SKIP], 0);
}

/* ---- golden explanations ---------------------------------------------- */

/* Every scenario expected to be unsatisfiable has its explanation in
 * tests/golden/explain/<category>/<file>.txt; DL_UPDATE_GOLDEN=1 rewrites
 * them (review the diff).  Missing files fail unless updating. */
static void test_golden_explanations(void **state)
{
	(void)state;
	const char *shared = dltest_require_shared("test_packse");
	bool update = getenv("DL_UPDATE_GOLDEN") != NULL && strcmp(getenv("DL_UPDATE_GOLDEN"), "1") == 0;
	char root[4096], gold_root[4096];
	snprintf(root, sizeof(root), "%s/scenarios/packse", shared);
	snprintf(gold_root, sizeof(gold_root), "%s/tests/golden/explain", DL_SOURCE_DIR);
	size_t ncat = 0;
	char **cats = list_dir(root, &ncat);
	assert_non_null(cats);
	int compared = 0, bad = 0;
	for (size_t c = 0; c < ncat; c++) {
		char dir[8192];
		snprintf(dir, sizeof(dir), "%s/%s", root, cats[c]);
		size_t nf = 0;
		char **files = list_dir(dir, &nf);
		if (files == NULL)
			continue;
		for (size_t f = 0; f < nf; f++) {
			size_t fl = strlen(files[f]);
			if (fl < 5 || strcmp(files[f] + fl - 5, ".toml") != 0)
				continue;
			char path[16384], gold[16384];
			snprintf(path, sizeof(path), "%s/%s", dir, files[f]);
			snprintf(gold, sizeof(gold), "%s/%s/%.*s.txt", gold_root, cats[c], (int)(fl - 5), files[f]);
			size_t len = 0;
			char *data = dltest_read_file(path, &len);
			dl_scenario *sc = NULL;
			const dl_scenario_outcome *out = NULL;
			assert_int_equal(dl_scenario_load(&sc, data, len, files[f]), 0);
			assert_int_equal(dl_scenario_resolve(sc, &out), 0);
			if (out->status != DL_SCENARIO_SKIP && !dl_scenario_expected_satisfiable(sc) && !out->satisfiable) {
				compared++;
				if (update) {
					char d[16384];
					snprintf(d, sizeof(d), "%s/%s", gold_root, cats[c]);
					char parent[8192];
					snprintf(parent, sizeof(parent), "%s/tests/golden", DL_SOURCE_DIR);
					if (mkdir(parent, 0777) != 0 && errno != EEXIST)
						fail_msg("mkdir %s", parent);
					if (mkdir(gold_root, 0777) != 0 && errno != EEXIST)
						fail_msg("mkdir %s", gold_root);
					if (mkdir(d, 0777) != 0 && errno != EEXIST)
						fail_msg("mkdir %s", d);
					FILE *fp = fopen(gold, "wb");
					assert_non_null(fp);
					fputs(out->explanation, fp);
					fclose(fp);
				} else {
					FILE *fp = fopen(gold, "rb");
					char *want = fp != NULL ? dltest_read_file(gold, NULL) : NULL;
					if (fp != NULL)
						fclose(fp);
					if (want == NULL || strcmp(want, out->explanation) != 0) {
						printf("  golden %s differs; got:\n%s", gold, out->explanation);
						bad++;
					}
					free(want);
				}
			}
			dl_scenario_free(sc);
			free(data);
		}
		free_list(files, nf);
	}
	free_list(cats, ncat);
	printf("golden explanations: %d compared%s\n", compared, update ? " (rewritten)" : "");
	assert_int_equal(bad, 0);
	assert_true(compared >= 20);
}

/* ---- one universe with exact answers ------------------------------------ */

static const char UNIVERSE[] =
	"name = \"mini\"\n"
	"[root]\n"
	"requires = [\"a[x]\", \"b\", \"c ; sys_platform == 'win32'\", \"d==2.0\", \"e>=1.0b1\"]\n"
	"[environment]\n"
	"python = \"3.10\"\n"
	"[expected]\n"
	"satisfiable = true\n"
	"[expected.packages]\n"
	"a = \"1.0\"\n"
	"b = \"1.0\"\n"
	"d = \"2.0\"\n"
	"e = \"2.0b1\"\n"
	"f = \"1.0\"\n"
	"[packages.A.versions.\"2.0\"]\n"
	"requires_python = \">=3.11\"\n"
	"[packages.A.versions.\"1.0\"]\n"
	"requires = [\"g ; extra == 'y'\", \"f ; extra == 'x'\"]\n"
	"[packages.A.versions.\"1.0\".extras]\n"
	"x = [\"b<2\"]\n"
	"[packages.b.versions.\"2.0\"]\n"
	"[packages.b.versions.\"1.0\"]\n"
	"[packages.b.versions.\"1.5a1\"]\n"
	"[packages.c.versions.\"1.0\"]\n"
	"[packages.d.versions.\"1.0\"]\n"
	"[packages.d.versions.\"2.0\"]\n"
	"yanked = true\n"
	"[packages.d.versions.\"3.0\"]\n"
	"yanked = true\n"
	"[packages.e.versions.\"1.0\"]\n"
	"[packages.e.versions.\"2.0b1\"]\n"
	"[packages.e.versions.\"3.0\"]\n"
	"wheel_tags = [\"cp310-cp310-win_amd64\"]\n"
	"sdist = false\n"
	"[packages.f.versions.\"1.0\"]\n"
	"wheel_tags = [\"cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64\"]\n"
	"sdist = false\n"
	"[packages.g.versions.\"1.0\"]\n";

static void test_universe(void **state)
{
	(void)state;
	dl_scenario *sc = NULL;
	const dl_scenario_outcome *out = NULL;
	assert_int_equal(dl_scenario_load(&sc, UNIVERSE, strlen(UNIVERSE), "mini.toml"), 0);
	assert_string_equal(dl_scenario_name(sc), "mini");
	assert_string_equal(dl_scenario_target_python(sc), "3.10.0");
	assert_int_equal(dl_scenario_resolve(sc, &out), 0);
	if (out->status != DL_SCENARIO_PASS)
		fail_msg("%s", out->reason);
	assert_true(out->satisfiable);
	assert_int_equal(out->n_packages, 5);
	assert_string_equal(out->packages[0].name, "a");
	assert_string_equal(out->packages[0].version, "1.0");
	assert_string_equal(out->packages[2].name, "d");
	assert_string_equal(out->packages[2].version, "2.0");
	assert_string_equal(out->packages[3].name, "e");
	assert_string_equal(out->packages[3].version, "2.0b1");
	dl_scenario_free(sc);
}

/* The raw provider, for callers that drive the solver themselves. */
static void test_provider(void **state)
{
	(void)state;
	dl_scenario *sc = NULL;
	assert_int_equal(dl_scenario_load(&sc, UNIVERSE, strlen(UNIVERSE), "mini.toml"), 0);
	dl_solver_provider prov;
	dl_scenario_provider(sc, &prov);
	dl_solver *s = NULL;
	bool solved = false;
	assert_int_equal(dl_solver_new(&s, &prov), 0);
	assert_int_equal(dl_solver_solve(s, &solved), 0);
	assert_true(solved);
	/* a, b, d, e, f and the virtual a[x] */
	assert_int_equal(dl_solver_selected_count(s), 6);
	bool saw_extra = false;
	for (size_t i = 0; i < dl_solver_selected_count(s); i++) {
		uint32_t pkg;
		size_t idx;
		dl_solver_selected(s, i, &pkg, &idx);
		saw_extra = saw_extra || strcmp(prov.name(prov.ctx, pkg), "a[x]") == 0;
	}
	assert_true(saw_extra);
	dl_solver_free(s);
	dl_scenario_free(sc);
}

static void test_unsatisfiable_explained(void **state)
{
	(void)state;
	static const char doc[] = "name = \"u\"\n"
	                          "[root]\nrequires = [\"a\"]\n"
	                          "[expected]\nsatisfiable = true\n"
	                          "[resolver_options]\nno_build = [\"A\"]\n"
	                          "[packages.a.versions.\"1.0\"]\nwheel = false\n";
	dl_scenario *sc = NULL;
	const dl_scenario_outcome *out = NULL;
	assert_int_equal(dl_scenario_load(&sc, doc, strlen(doc), "u.toml"), 0);
	assert_int_equal(dl_scenario_resolve(sc, &out), 0);
	assert_int_equal(out->status, DL_SCENARIO_FAIL);
	assert_false(out->satisfiable);
	assert_string_equal(out->reason, "expected satisfiable, got unsatisfiable");
	assert_string_equal(out->explanation,
	                    "(1) Because a ==1.0 cannot be used (building from source is disabled and it has no wheels) "
	                    "and the requirements include a, the requirements cannot be satisfied.\n");
	dl_scenario_free(sc);
}

static void test_wrong_pins_and_skip(void **state)
{
	(void)state;
	static const char doc[] = "[root]\nrequires = [\"a\"]\n"
	                          "[expected]\nsatisfiable = true\n"
	                          "[expected.packages]\na = \"1.0\"\nz = \"1\"\n"
	                          "[packages.a.versions.\"2.0\"]\nrequires = [\"b\"]\n"
	                          "[packages.a.versions.\"1.0\"]\n"
	                          "[packages.b.versions.\"1\"]\n";
	dl_scenario *sc = NULL;
	const dl_scenario_outcome *out = NULL;
	assert_int_equal(dl_scenario_load(&sc, doc, strlen(doc), NULL), 0);
	assert_string_equal(dl_scenario_name(sc), "");
	assert_string_equal(dl_scenario_target_python(sc), "3.12.0");
	assert_int_equal(dl_scenario_resolve(sc, &out), 0);
	assert_int_equal(out->status, DL_SCENARIO_FAIL);
	assert_string_equal(out->reason,
	                    "a 1.0 expected, got 2.0; z 1 expected, not selected; b 1 selected, not expected");
	dl_scenario_free(sc);

}

/* ---- universal ---------------------------------------------------------- */

static const char UNIVERSAL[] =
	"name = \"uni\"\n"
	"[root]\n"
	"requires_python = \">=3.9\"\n"
	"requires = [\"a>=2 ; sys_platform == 'linux'\", \"a<2 ; sys_platform == 'darwin'\",\n"
	"            \"c ; python_version < '3.10'\"]\n"
	"[resolver_options]\nuniversal = true\n"
	"[expected]\nsatisfiable = true\n"
	"[packages.a.versions.\"1.0\"]\n"
	"requires = [\"b[x] ; implementation_name == 'pypy'\"]\n"
	"[packages.a.versions.\"2.0\"]\n"
	"[packages.b.versions.\"1.0\"]\n"
	"[packages.b.versions.\"1.0\".extras]\n"
	"x = [\"d\"]\n"
	"[packages.c.versions.\"1.0\"]\n"
	"requires_python = \">=3.9\"\n"
	"[packages.c.versions.\"2.0\"]\n"
	"requires_python = \">=3.10\"\n"
	"[packages.d.versions.\"1.0\"]\n";

static void expect_pin(const dl_scenario_pin *p, const char *name, const char *version, const char *marker)
{
	assert_string_equal(p->name, name);
	assert_string_equal(p->version, version);
	if (marker == NULL)
		assert_null(p->marker);
	else if (p->marker == NULL || strcmp(p->marker, marker) != 0)
		fail_msg("%s %s: marker %s, wanted %s", name, version, p->marker ? p->marker : "(none)", marker);
}

/* Forks at the root on sys_platform (linux, darwin, the rest, in that
 * order; the rest needs no a at all), a pypy-only extra inside the
 * darwin piece, and requires-python read against the region's floor
 * (c 2.0 needs 3.10, the lock starts at 3.9). */
static void test_universal(void **state)
{
	(void)state;
	dl_scenario *sc = NULL;
	const dl_scenario_outcome *out = NULL;
	assert_int_equal(dl_scenario_load(&sc, UNIVERSAL, strlen(UNIVERSAL), "uni.toml"), 0);
	assert_int_equal(dl_scenario_resolve(sc, &out), 0);
	if (out->status != DL_SCENARIO_PASS)
		fail_msg("%s", out->reason);
	assert_int_equal(out->forks, 3);
	assert_int_equal(out->n_packages, 5);
	expect_pin(&out->packages[0], "a", "1.0", "sys_platform == \"darwin\"");
	expect_pin(&out->packages[1], "a", "2.0", "sys_platform == \"linux\"");
	expect_pin(&out->packages[2], "b", "1.0", "sys_platform == \"darwin\" and implementation_name == \"pypy\"");
	expect_pin(&out->packages[3], "c", "1.0", "python_version < \"3.10\"");
	expect_pin(&out->packages[4], "d", "1.0", "sys_platform == \"darwin\" and implementation_name == \"pypy\"");
	dl_scenario_free(sc);

	/* a conflict inside one piece names the piece */
	static const char bad[] = "[root]\nrequires = [\"a ; os_name == 'nt'\", \"b ; os_name == 'nt'\",\n"
	                          "  \"a ; os_name == 'posix'\"]\n"
	                          "[resolver_options]\nuniversal = true\n[expected]\nsatisfiable = false\n"
	                          "[packages.a.versions.\"1\"]\nrequires = [\"c==1\"]\n"
	                          "[packages.b.versions.\"1\"]\nrequires = [\"c==2\"]\n"
	                          "[packages.c.versions.\"1\"]\n[packages.c.versions.\"2\"]\n";
	assert_int_equal(dl_scenario_load(&sc, bad, strlen(bad), "bad.toml"), 0);
	assert_int_equal(dl_scenario_resolve(sc, &out), 0);
	assert_int_equal(out->status, DL_SCENARIO_PASS);
	assert_false(out->satisfiable);
	static const char want[] = "In the part of the lock where os_name == \"nt\":\n(1) ";
	if (strncmp(out->explanation, want, strlen(want)) != 0)
		fail_msg("explanation: %s", out->explanation);
	dl_scenario_free(sc);
}

static void expect_error(const char *doc, int code, const char *msg)
{
	dl_scenario *sc = (dl_scenario *)1;
	assert_int_equal(dl_scenario_load(&sc, doc, strlen(doc), "bad.toml"), code);
	assert_ptr_equal(sc, (dl_scenario *)1);
	if (strncmp(dl_error_last()->message, msg, strlen(msg)) != 0)
		fail_msg("got: %s\nwanted prefix: %s", dl_error_last()->message, msg);
}

static void test_load_errors(void **state)
{
	(void)state;
	expect_error("[root\n", DL_EPARSE, "bad.toml:1:6: ");
	expect_error("[expected]\nsatisfiable = true\n[root]\nrequires = \"a\"\n", DL_EPARSE,
	             "bad.toml:4:12: 'root.requires' must be an array, found string");
	expect_error("[root]\nrequires = [\"a\"]\n", DL_ENOTFOUND, "bad.toml: missing key 'expected'");
	expect_error("[expected]\nsatisfiable = true\n[packages.a.versions.\"1.0x\"]\n", DL_EPARSE,
	             "invalid version '1.0x'");
	expect_error("[expected]\nsatisfiable = true\n[root]\nrequires = [\"a >\"]\n", DL_EPARSE,
	             "invalid requirement 'a >'");
	expect_error("[expected]\nsatisfiable = true\n[root]\nrequires = [\"a @ https://x/a.whl\"]\n", DL_EUNSUPPORTED,
	             "bad.toml:4:13: direct URL requirements are not supported");
	expect_error("[expected]\nsatisfiable = true\n[resolver_options]\npython_platform = \"windows\"\n",
	             DL_EUNSUPPORTED, "bad.toml:4:19: python_platform 'windows' is not supported");
	expect_error("[expected]\nsatisfiable = true\n[environment]\npython = \"3.9rc1\"\n", DL_EPARSE,
	             "target Python '3.9rc1' must be X.Y or X.Y.Z");
	/* the position of a bad value is added as context */
	expect_error("[expected]\nsatisfiable = true\n[root]\nrequires = [\"a\", \"b >\"]\n", DL_EPARSE, "invalid");
	assert_non_null(strstr(dl_error_last()->message, "while reading bad.toml line 4, column 18"));
}

static int load_and_resolve(void *ctx)
{
	const char *doc = ctx;
	dl_scenario *sc = NULL;
	const dl_scenario_outcome *out = NULL;
	int rc = dl_scenario_load(&sc, doc, strlen(doc), "mini.toml");
	if (rc == 0)
		rc = dl_scenario_resolve(sc, &out);
	if (rc == 0 && out->status != DL_SCENARIO_PASS && out->status != DL_SCENARIO_FAIL)
		rc = DL_ERROR;
	dl_scenario_free(sc);
	return rc;
}

static void test_alloc_failures(void **state)
{
	(void)state;
	static const char unsat[] = "[root]\nrequires = [\"a\", \"b\"]\n[expected]\nsatisfiable = false\n"
	                            "[packages.a.versions.\"1\"]\nrequires = [\"c==1\"]\n"
	                            "[packages.b.versions.\"1\"]\nrequires = [\"c==2\"]\n"
	                            "[packages.c.versions.\"1\"]\n[packages.c.versions.\"2\"]\n";
	dltest_each_alloc_failure(load_and_resolve, (void *)UNIVERSE);
	dltest_each_alloc_failure(load_and_resolve, (void *)unsat);
	dltest_each_alloc_failure(load_and_resolve, (void *)UNIVERSAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_universe),
		cmocka_unit_test(test_unsatisfiable_explained),
		cmocka_unit_test(test_provider),
		cmocka_unit_test(test_wrong_pins_and_skip),
		cmocka_unit_test(test_universal),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_alloc_failures),
		cmocka_unit_test(test_every_scenario),
		cmocka_unit_test(test_golden_explanations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
