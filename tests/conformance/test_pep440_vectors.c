/*
 * test_pep440_vectors.c - every PEP 440 row of pypa/packaging's test vectors
 * (../shared/conformance/packaging-vectors.json, keys "test_version::*" and
 * "test_specifiers::*"), read from the file in place.
 *
 * Each key is checked by a row function; failures are collected and printed
 * all at once with the row, so a regression shows every affected row.  Rows
 * where deeplock deliberately differs are listed in `deviations` with the
 * reason, and the test insists that they still differ, so the list stays
 * true.  A key in the file that no function handles fails the test: nothing
 * is skipped silently.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "deeplock/range.h"
#include "deeplock/specifier.h"
#include "deeplock/version.h"
#include "dltest.h"

static int failures;
static int checked;
static bool quiet;

#define CHECK(cond, ...)                                                                                               \
	do {                                                                                                           \
		checked++;                                                                                             \
		if (!(cond)) {                                                                                         \
			failures++;                                                                                    \
			printf(quiet ? "  DEVIATION (documented): " : "  FAIL: ");                                 \
			printf(__VA_ARGS__);                                                                           \
			printf("\n");                                                                                  \
		}                                                                                                      \
	} while (0)

/* Deliberate differences from packaging: key, the row as compact JSON, and
 * why. */
#define ARBITRARY_WHY                                                                                                  \
	"version ranges hold PEP 440 versions only: `===foobar` can be met only by a version string that is not "     \
	"PEP 440, which deeplock never selects (PEP 440 lets tools refuse them), so its range is empty"
static const struct {
	const char *key;
	const char *row;
	const char *why;
} deviations[] = {
	{"test_specifiers::TestIsUnsatisfiable::SATISFIABLE", "\"===foobar\"", ARBITRARY_WHY},
	{"test_specifiers::TestIsUnsatisfiable::SATISFIABLE", "\"===FOOBAR,===foobar\"", ARBITRARY_WHY},
	{"test_specifiers::TestIsUnsatisfiable::SATISFIABLE", "\"===FooBar,===FOOBAR\"", ARBITRARY_WHY},
	{"test_specifiers::TestIsUnsatisfiable::SATISFIABLE_NO_PRE", "\"===foobar\"", ARBITRARY_WHY},
	{NULL, NULL, NULL},
};

static bool is_deviation(const char *key, json_t *row)
{
	char *s = json_dumps(row, JSON_COMPACT | JSON_ENCODE_ANY);
	bool found = false;
	for (size_t i = 0; deviations[i].key != NULL; i++) {
		if (strcmp(deviations[i].key, key) == 0 && s != NULL && strcmp(deviations[i].row, s) == 0)
			found = true;
	}
	free(s);
	return found;
}

static bool parse_v(dl_version *v, const char *s)
{
	return dl_version_parse_into(v, s, strlen(s)) == 0;
}

static char *canon(const dl_version *v, int which)
{
	dl_buf b = DL_BUF_INIT;
	if (which == 0)
		dl_version_format(v, &b);
	else if (which == 1)
		dl_version_format_public(v, &b);
	else
		dl_version_format_base(v, &b);
	return dl_buf_detach(&b, NULL);
}

/* packaging's prereleases argument: null -> default, true -> allow, false -> deny */
static int policy(json_t *j, int dflt)
{
	if (j == NULL || json_is_null(j))
		return dflt;
	return json_is_true(j) ? DL_PRERELEASES_ALLOW : DL_PRERELEASES_DENY;
}

static dl_specset *parse_set(const char *s)
{
	dl_specset *set = NULL;
	if (dl_specset_parse(&set, s, strlen(s)) < 0)
		return NULL;
	return set;
}

/* ---- version rows ------------------------------------------------------- */

static void row_version_accessor(const char *key, json_t *row)
{
	const char *vs = json_string_value(json_array_get(row, 0));
	json_t *want = json_array_get(row, 1);
	dl_version v;
	if (!parse_v(&v, vs)) {
		CHECK(false, "%s: '%s' does not parse: %s", key, vs, dl_error_last()->message);
		return;
	}
	char got_s[256] = "";
	json_t *got = NULL;
	if (strstr(key, "test_normalized_versions") || strstr(key, "test_version_str_repr")) {
		char *c = canon(&v, 0);
		got = json_string(c);
		free(c);
	} else if (strstr(key, "test_version_public")) {
		char *c = canon(&v, 1);
		got = json_string(c);
		free(c);
	} else if (strstr(key, "test_version_base_version")) {
		char *c = canon(&v, 2);
		got = json_string(c);
		free(c);
	} else if (strstr(key, "test_version_epoch")) {
		got = json_integer((json_int_t)v.epoch);
	} else if (strstr(key, "test_version_release")) {
		got = json_array();
		for (uint32_t i = 0; i < v.nrelease; i++)
			json_array_append_new(got, json_integer((json_int_t)dl_version_release(&v)[i]));
	} else if (strstr(key, "test_version_local")) {
		got = v.local ? json_string(v.local) : json_null();
	} else if (strstr(key, "test_version_pre")) {
		static const char *const names[] = {"a", "b", "rc"};
		got = v.pre_kind == DL_VERSION_PRE_NONE ? json_null()
		                                        : json_pack("[sI]", names[v.pre_kind], (json_int_t)v.pre_num);
	} else if (strstr(key, "test_version_dev")) {
		got = v.has_dev ? json_integer((json_int_t)v.dev_num) : json_null();
	} else if (strstr(key, "test_version_post")) {
		got = v.has_post ? json_integer((json_int_t)v.post_num) : json_null();
	} else if (strstr(key, "test_version_is_prerelease")) {
		got = json_boolean(dl_version_is_prerelease(&v));
	} else if (strstr(key, "test_version_is_devrelease")) {
		got = json_boolean(dl_version_is_devrelease(&v));
	} else if (strstr(key, "test_version_is_postrelease")) {
		got = json_boolean(dl_version_is_postrelease(&v));
	}
	char *gs = got ? json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	char *ws = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY);
	snprintf(got_s, sizeof(got_s), "%s", gs ? gs : "(unhandled)");
	CHECK(got != NULL && json_equal(got, want), "%s: '%s' gave %s, want %s", key, vs, got_s, ws);
	free(gs);
	free(ws);
	json_decref(got);
	dl_version_clear(&v);
}

static void row_valid_version(const char *key, json_t *row)
{
	const char *vs = json_string_value(row);
	dl_version v;
	bool ok = parse_v(&v, vs);
	bool want = strstr(key, "test_invalid_versions") == NULL;
	CHECK(ok == want, "%s: '%s' %s", key, vs, ok ? "parsed" : dl_error_last()->message);
	if (ok)
		dl_version_clear(&v);
}

static void check_sorted(const char *key, json_t *list)
{
	size_t n = json_array_size(list);
	dl_version *vs = calloc(n, sizeof(*vs));
	for (size_t i = 0; i < n; i++)
		assert_true(parse_v(&vs[i], json_string_value(json_array_get(list, i))));
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < n; j++) {
			int c = dl_version_cmp(&vs[i], &vs[j]);
			int f = dl_version_cmp_full(&vs[i], &vs[j]);
			int want = (i > j) - (i < j);
			CHECK((c > 0) - (c < 0) == want && (f > 0) - (f < 0) == want, "%s: %s vs %s gave %d (full %d), want %d",
			      key, json_string_value(json_array_get(list, i)), json_string_value(json_array_get(list, j)),
			      c, f, want);
		}
	}
	for (size_t i = 0; i < n; i++)
		dl_version_clear(&vs[i]);
	free(vs);
}

/* ---- specifier rows ----------------------------------------------------- */

static void row_spec_valid(const char *key, json_t *row)
{
	const char *s = json_string_value(row);
	dl_specset *set = parse_set(s);
	bool want = strstr(key, "invalid") == NULL;
	CHECK((set != NULL) == want, "%s: '%s' %s", key, s, set ? "parsed" : dl_error_last()->message);
	dl_specset_free(set);
}

static void row_spec_normalized(const char *key, json_t *row)
{
	/* packaging builds a specifier from each spelling with every operator
	 * that takes it: all of them, or == and != for a local version */
	static const char *const ops[] = {"==", "!=", "<=", ">=", "<", ">", "~="};
	const char *vs = json_string_value(row);
	size_t nops = strchr(vs, '+') != NULL ? 2 : sizeof(ops) / sizeof(ops[0]);
	for (size_t i = 0; i < nops; i++) {
		char s[256];
		snprintf(s, sizeof(s), "%s%s", ops[i], vs);
		dl_specset *set = parse_set(s);
		CHECK(set != NULL, "%s: '%s' %s", key, s, set ? "" : dl_error_last()->message);
		dl_specset_free(set);
	}
}

static void row_spec_contains(const char *key, json_t *row)
{
	/* (version, spec, expected), Specifier(spec, prereleases=True) */
	const char *vs = json_string_value(json_array_get(row, 0));
	const char *ss = json_string_value(json_array_get(row, 1));
	bool want = json_is_true(json_array_get(row, 2));
	dl_specset *set = parse_set(ss);
	if (set == NULL) {
		CHECK(false, "%s: '%s' does not parse: %s", key, ss, dl_error_last()->message);
		return;
	}
	bool got = dl_specset_contains_text(set, vs, strlen(vs), DL_PRERELEASES_ALLOW);
	CHECK(got == want, "%s: %s in %s gave %d", key, vs, ss, got);
	/* the range of the set agrees with membership, pre-releases allowed */
	dl_version v;
	if (parse_v(&v, vs)) {
		dl_range r;
		dl_range_init(&r);
		assert_int_equal(dl_range_from_specset(&r, set), 0);
		if (set->specs[0].op != DL_SPEC_ARBITRARY)
			CHECK(dl_range_contains(&r, &v) == got, "%s: range of %s disagrees on %s", key, ss, vs);
		dl_range_clear(&r);
		dl_version_clear(&v);
	}
	dl_specset_free(set);
}

static void row_spec_invalid_version(const char *key, json_t *row)
{
	/* (spec, version, expected) */
	const char *ss = json_string_value(json_array_get(row, 0));
	const char *vs = json_string_value(json_array_get(row, 1));
	bool want = json_is_true(json_array_get(row, 2));
	dl_specset *set = parse_set(ss);
	assert_non_null(set);
	bool got = dl_specset_contains_text(set, vs, strlen(vs), DL_PRERELEASES_DEFAULT);
	CHECK(got == want, "%s: '%s' in %s gave %d", key, vs, ss, got);
	dl_specset_free(set);
}

static void row_spec_prereleases(const char *key, json_t *row)
{
	/* (specifier, version, spec_pre, contains_pre, expected) on one Specifier */
	const char *ss = json_string_value(json_array_get(row, 0));
	const char *vs = json_string_value(json_array_get(row, 1));
	int p = policy(json_array_get(row, 3), policy(json_array_get(row, 2), DL_PRERELEASES_ALLOW));
	bool want = json_is_true(json_array_get(row, 4));
	dl_specset *set = parse_set(ss);
	dl_version v;
	assert_non_null(set);
	assert_true(parse_v(&v, vs));
	bool got = dl_spec_contains(&set->specs[0], &v, p);
	CHECK(got == want, "%s: %s in %s (policy %d) gave %d", key, vs, ss, p, got);
	dl_version_clear(&v);
	dl_specset_free(set);
}

/* Filter a list of strings with a set or a lone specifier; invalid versions
 * can only match `===` by text. */
static json_t *filter_list(dl_specset *set, bool lone, json_t *input, int p)
{
	size_t n = json_array_size(input);
	dl_version *vs = calloc(n + 1, sizeof(*vs));
	size_t *map = calloc(n + 1, sizeof(*map));
	size_t *keep = calloc(n + 1, sizeof(*keep));
	bool *inc = calloc(n + 1, sizeof(*inc));
	size_t nv = 0;
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(input, i));
		if (dl_version_is_valid(s, strlen(s))) {
			assert_true(parse_v(&vs[nv], s));
			map[nv++] = i;
		} else {
			inc[i] = dl_specset_contains_text(set, s, strlen(s), p);
		}
	}
	size_t k = lone ? dl_spec_filter(&set->specs[0], vs, nv, p, keep) : dl_specset_filter(set, vs, nv, p, keep);
	for (size_t i = 0; i < k; i++)
		inc[map[keep[i]]] = true;
	json_t *out = json_array();
	for (size_t i = 0; i < n; i++) {
		if (inc[i])
			json_array_append(out, json_array_get(input, i));
	}
	for (size_t i = 0; i < nv; i++)
		dl_version_clear(&vs[i]);
	free(vs);
	free(map);
	free(keep);
	free(inc);
	return out;
}

static void check_filter(const char *key, const char *ss, bool lone, json_t *input, int p, json_t *want)
{
	dl_specset *set = parse_set(ss);
	assert_non_null(set);
	json_t *got = filter_list(set, lone, input, p);
	char *gs = json_dumps(got, JSON_COMPACT), *ws = json_dumps(want, JSON_COMPACT), *is = json_dumps(input, JSON_COMPACT);
	CHECK(json_equal(got, want), "%s: filter %s (policy %d) of %s gave %s, want %s", key, ss, p, is, gs, ws);
	free(gs);
	free(ws);
	free(is);
	json_decref(got);
	dl_specset_free(set);
}

static void row_spec_filter(const char *key, json_t *row)
{
	/* (specifier, specifier_prereleases, prereleases, input, expected) */
	int p = policy(json_array_get(row, 2), policy(json_array_get(row, 1), DL_PRERELEASES_DEFAULT));
	check_filter(key, json_string_value(json_array_get(row, 0)), true, json_array_get(row, 3), p,
	             json_array_get(row, 4));
}

static void row_filter_bridges(const char *key, json_t *row)
{
	/* (specifier set, prereleases, input, expected) */
	check_filter(key, json_string_value(json_array_get(row, 0)), false, json_array_get(row, 2),
	             policy(json_array_get(row, 1), DL_PRERELEASES_DEFAULT), json_array_get(row, 3));
}

static void row_contains_bridges(const char *key, json_t *row)
{
	/* (specifier set, prereleases, version, expected) */
	const char *ss = json_string_value(json_array_get(row, 0));
	const char *vs = json_string_value(json_array_get(row, 2));
	int p = policy(json_array_get(row, 1), DL_PRERELEASES_DEFAULT);
	dl_specset *set = parse_set(ss);
	assert_non_null(set);
	bool got = dl_specset_contains_text(set, vs, strlen(vs), p);
	CHECK(got == json_is_true(json_array_get(row, 3)), "%s: %s in %s (policy %d) gave %d", key, vs, ss, p, got);
	dl_specset_free(set);
}

static void row_set_relation(const char *key, json_t *row)
{
	/* (left, right, expected) via ranges */
	const char *ls = json_string_value(json_array_get(row, 0));
	const char *rs = json_string_value(json_array_get(row, 1));
	dl_specset *l = parse_set(ls), *r = parse_set(rs);
	assert_non_null(l);
	assert_non_null(r);
	dl_range a, b;
	dl_range_init(&a);
	dl_range_init(&b);
	assert_int_equal(dl_range_from_specset(&a, l), 0);
	assert_int_equal(dl_range_from_specset(&b, r), 0);
	bool got;
	if (strstr(key, "subset"))
		got = dl_range_subset(&a, &b);
	else if (strstr(key, "superset"))
		got = dl_range_subset(&b, &a);
	else
		got = dl_range_disjoint(&a, &b);
	CHECK(got == json_is_true(json_array_get(row, 2)), "%s: %s vs %s gave %d", key, ls, rs, got);
	dl_range_clear(&a);
	dl_range_clear(&b);
	dl_specset_free(l);
	dl_specset_free(r);
}

static void row_satisfiable(const char *key, json_t *row)
{
	const char *ss = json_string_value(row);
	dl_specset *set = parse_set(ss);
	if (set == NULL) {
		CHECK(false, "%s: '%s' does not parse: %s", key, ss, dl_error_last()->message);
		return;
	}
	dl_range r;
	dl_range_init(&r);
	assert_int_equal(dl_range_from_specset(&r, set), 0);
	bool no_pre = strstr(key, "_NO_PRE") != NULL;
	bool sat = no_pre ? dl_range_has_final(&r) : !dl_range_is_empty(&r);
	bool want = strstr(key, "::SATISFIABLE") != NULL;
	dl_buf b = DL_BUF_INIT;
	dl_range_format(&r, &b);
	CHECK(sat == want, "%s: '%s' (range %s) gave satisfiable=%d", key, ss, dl_buf_cstr(&b), sat);
	dl_buf_free(&b);
	dl_range_clear(&r);
	dl_specset_free(set);
}

/* ---- driver ------------------------------------------------------------- */

typedef void (*row_fn)(const char *key, json_t *row);

static const struct {
	const char *key_part;
	row_fn fn;
} handlers[] = {
	{"test_version::test_valid_versions::", row_valid_version},
	{"test_version::test_invalid_versions::", row_valid_version},
	{"test_version::test_normalized_versions::", row_version_accessor},
	{"test_version::test_version_", row_version_accessor},
	{"test_specifiers::test_specifiers_valid::", row_spec_valid},
	{"test_specifiers::test_specifiers_invalid::", row_spec_valid},
	{"test_specifiers::test_specifiers_normalized::", row_spec_normalized},
	{"test_specifiers::test_specifiers::", row_spec_contains},
	{"test_specifiers::test_arbitrary_equality::", row_spec_contains},
	{"test_specifiers::test_invalid_version::", row_spec_invalid_version},
	{"test_specifiers::test_specifiers_prereleases::", row_spec_prereleases},
	{"test_specifiers::test_specifier_filter::", row_spec_filter},
	{"test_specifiers::test_filter_exclusionary_bridges::", row_filter_bridges},
	{"test_specifiers::test_contains_exclusionary_bridges::", row_contains_bridges},
	{"test_specifiers::test_is_subset::", row_set_relation},
	{"test_specifiers::test_is_superset::", row_set_relation},
	{"test_specifiers::test_is_disjoint::", row_set_relation},
	{"test_specifiers::TestIsUnsatisfiable::", row_satisfiable},
};

static void test_vectors(void **state)
{
	const char *dir = *state;
	json_error_t jerr;
	json_t *all = json_load_file(dltest_path(dir, "conformance/packaging-vectors.json"), 0, &jerr);
	if (all == NULL)
		fail_msg("cannot read packaging-vectors.json: %s", jerr.text);
	const char *key;
	json_t *rows;
	int keys = 0, deviations_seen = 0;
	json_object_foreach(all, key, rows)
	{
		if (strncmp(key, "test_version::", 14) != 0 && strncmp(key, "test_specifiers::", 17) != 0)
			continue;
		keys++;
		if (strcmp(key, "test_version::VERSIONS_sorted_ascending") == 0) {
			int before = failures;
			check_sorted(key, rows);
			printf("%-100.100s %s\n", key, failures == before ? "ok" : "FAILED");
			continue;
		}
		row_fn fn = NULL;
		for (size_t h = 0; h < sizeof(handlers) / sizeof(handlers[0]) && fn == NULL; h++) {
			if (strstr(key, handlers[h].key_part) == key)
				fn = handlers[h].fn;
		}
		if (fn == NULL) {
			CHECK(false, "no check for key %s", key);
			continue;
		}
		int before_fail = failures;
		size_t i;
		json_t *row;
		json_array_foreach(rows, i, row)
		{
			if (is_deviation(key, row)) {
				/* must still differ: run it and expect exactly one failure */
				int f0 = failures, c0 = checked;
				quiet = true;
				fn(key, row);
				quiet = false;
				CHECK(failures > f0, "deviation no longer differs: %s", key);
				failures = f0;
				checked = c0;
				deviations_seen++;
				continue;
			}
			fn(key, row);
		}
		printf("%-100.100s %zu rows %s\n", key, json_array_size(rows), failures == before_fail ? "ok" : "FAILED");
	}
	printf("%d keys, %d checks, %d failures, %d documented deviations\n", keys, checked, failures, deviations_seen);
	json_decref(all);
	assert_true(keys >= 30);
	assert_int_equal(failures, 0);
}

int main(void)
{
	const char *dir = dltest_require_shared("the PEP 440 packaging vectors");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate(test_vectors, (void *)dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
