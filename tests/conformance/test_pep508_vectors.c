/*
 * test_pep508_vectors.c - every marker and requirement row of
 * ../shared/conformance/packaging-vectors.json (pypa/packaging's
 * test_markers.py and test_requirements.py), checked against deeplock.
 *
 * Each key's rows are checked the way packaging's own test uses them.
 * test_basic_valid_requirement_parsing stores only the parameter lists;
 * the rows are their product, built as the test does (name x extras x
 * (url, specifier) x marker x whitespace, "{ws}" standing for the
 * whitespace).  The extras parameter is not among the vectors, so the
 * test's four values are written out below.
 *
 * Deliberate differences (asserted below so that they are noticed if they
 * ever stop holding):
 *  - test_equivalent_reqs_equal_hashes_unequal_strings: for the four rows
 *    that differ only in the spelling of an extra (urllib3[secure] and
 *    urllib3[SECURE], ...), deeplock's normal form writes extras in PEP
 *    685 normal form, so the strings are equal.  The requirements are still
 *    equal with equal hashes, which is what the resolver relies on; the
 *    vectors come from a packaging release that printed extras as written.
 *
 * Other deliberate differences from pypa/packaging, which no row here
 * exercises (unit tests pin them down):
 *  - an ordered comparison of strings (`os_name < "a"`, or a version-like
 *    variable whose value is not a version) is an evaluation error, as in
 *    packaging up to 25; later packaging returns false;
 *  - the normal form drops grouping parentheses that precedence makes
 *    redundant (`(a and b) or c` prints `a and b or c`) and flattens
 *    nested and/or, so equal trees print equally;
 *  - a comparison of two literals or of two variables, and any use of the
 *    set-valued `extras`/`dependency_groups` other than `"x" in VAR` /
 *    `not in`, is refused when parsing (packaging fails on them only when
 *    evaluating);
 *  - quoted strings take no backslash escapes (PEP 508 has none; packaging
 *    runs them through Python's literal_eval);
 *  - `and`/`or` short-circuit, so a missing variable after a deciding
 *    operand is no error;
 *  - specifier versions print in canonical form, sorted as packaging sorts;
 *  - control characters in a URL or a version are refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dltest.h"
#include "deeplock/marker.h"
#include "deeplock/requirement.h"
#include "deeplock/specifier.h"

static json_t *vectors;
static int rows_checked;

static json_t *key(const char *name)
{
	json_t *v = json_object_get(vectors, name);
	if (v == NULL || !json_is_array(v) || json_array_size(v) == 0)
		fail_msg("packaging-vectors.json has no rows under '%s'", name);
	return v;
}

/* Replace every "{ws}" of `tmpl` by `ws` into a new string (free()). */
static char *subst_ws(const char *tmpl, const char *ws)
{
	size_t cap = strlen(tmpl) * 4 + 1, n = 0;
	char *out = malloc(cap);
	for (const char *p = tmpl; *p != '\0';) {
		if (strncmp(p, "{ws}", 4) == 0) {
			memcpy(out + n, ws, strlen(ws));
			n += strlen(ws);
			p += 4;
		} else {
			out[n++] = *p++;
		}
	}
	out[n] = '\0';
	return out;
}

static char *marker_str(const dl_marker *m)
{
	char *s = NULL;
	assert_int_equal(dl_marker_to_string(&s, m), 0);
	return s;
}

static char *req_str(const dl_requirement *r)
{
	char *s = NULL;
	assert_int_equal(dl_requirement_to_string(&s, r), 0);
	return s;
}

static dl_requirement *req_ok(const char *s)
{
	dl_requirement *r = NULL;
	if (dl_requirement_parse(&r, s, strlen(s)) != 0)
		fail_msg("requirement '%s' was rejected: %s", s, dl_error_last()->message);
	return r;
}

static void test_markers_parses_invalid(void **state)
{
	(void)state;
	json_t *rows = key("test_markers::test_parses_invalid::marker_string");
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		const char *s = json_string_value(row);
		dl_marker *m = NULL;
		int rc = dl_marker_parse(&m, s, strlen(s));
		if (rc != DL_EPARSE)
			fail_msg("marker '%s' should be invalid, got %d", s, rc);
		/* the message names the input and a column */
		assert_non_null(strstr(dl_error_last()->message, "invalid marker '"));
		assert_non_null(strstr(dl_error_last()->message, " at column "));
		rows_checked++;
	}
}

static void test_markers_str(void **state)
{
	(void)state;
	json_t *rows = key("test_markers::test_str_repr_eq_hash::('marker_string', 'expected')");
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		const char *in = json_string_value(json_array_get(row, 0));
		const char *want = json_string_value(json_array_get(row, 1));
		dl_marker *m = NULL, *m2 = NULL;
		if (dl_marker_parse(&m, in, strlen(in)) != 0)
			fail_msg("marker '%s' rejected: %s", in, dl_error_last()->message);
		char *got = marker_str(m);
		if (strcmp(got, want) != 0)
			fail_msg("marker '%s': normal form '%s', expected '%s'", in, got, want);
		/* eq and hash: the marker equals its own normal form */
		assert_int_equal(dl_marker_parse(&m2, want, strlen(want)), 0);
		assert_true(dl_marker_eq(m, m2));
		assert_true(dl_marker_hash(m) == dl_marker_hash(m2));
		dl_free(got);
		dl_marker_free(m);
		dl_marker_free(m2);
		rows_checked++;
	}
}

static void test_markers_version_like_equality(void **state)
{
	(void)state;
	json_t *rows = key("test_markers::test_version_like_equality::('marker_string', 'environment', 'expected')");
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		const char *in = json_string_value(json_array_get(row, 0));
		json_t *envj = json_array_get(row, 1);
		bool want = json_is_true(json_array_get(row, 2));
		dl_marker *m = NULL;
		dl_marker_env *env = NULL;
		assert_int_equal(dl_marker_parse(&m, in, strlen(in)), 0);
		assert_int_equal(dl_marker_env_new(&env), 0);
		/* null: packaging's default environment, where extra is "" */
		if (json_is_object(envj)) {
			const char *k;
			json_t *v;
			json_object_foreach(envj, k, v) {
				const char *val = json_string_value(v);
				assert_int_equal(dl_marker_env_set_by_name(env, k, strlen(k), val, strlen(val)), 0);
			}
		}
		bool got = !want;
		if (dl_marker_evaluate(m, env, &got) != 0)
			fail_msg("marker '%s': %s", in, dl_error_last()->message);
		if (got != want)
			fail_msg("marker '%s' in row %zu: %d, expected %d", in, i, got, want);
		dl_marker_env_free(env);
		dl_marker_free(m);
		rows_checked++;
	}
}

static bool specset_equal_text(const dl_specset *s, const char *text)
{
	dl_specset *t = NULL;
	if (dl_specset_parse(&t, text, strlen(text)) != 0)
		fail_msg("specifier '%s' rejected: %s", text, dl_error_last()->message);
	bool eq = dl_specset_eq(s, t);
	dl_specset_free(t);
	return eq;
}

static void test_basic_valid_requirement_parsing(void **state)
{
	(void)state;
	json_t *names = key("test_requirements::test_basic_valid_requirement_parsing::name");
	json_t *urlspecs = key("test_requirements::test_basic_valid_requirement_parsing::('url', 'specifier')");
	json_t *markers = key("test_requirements::test_basic_valid_requirement_parsing::marker");
	json_t *wss = key("test_requirements::test_basic_valid_requirement_parsing::whitespace");
	/* packaging's `extras` parameter: set(), {"a"}, {"a", "b"}, {"a", "B", "CDEF123"},
	 * each written sorted */
	static const char *const extras_sets[][4] = {
		{NULL}, {"a", NULL}, {"a", "b", NULL}, {"B", "CDEF123", "a", NULL},
	};
	static const char *const extras_norm[][4] = {
		{NULL}, {"a", NULL}, {"a", "b", NULL}, {"a", "b", "cdef123", NULL},
	};
	int combos = 0;
	size_t in_, iu, im, iw;
	json_t *jn, *ju, *jm, *jw;
	json_array_foreach(names, in_, jn) {
		const char *name = json_string_value(jn);
		for (size_t ie = 0; ie < 4; ie++) {
			json_array_foreach(urlspecs, iu, ju) {
				const char *url = json_string_value(json_array_get(ju, 0)); /* NULL for null */
				const char *spec = json_string_value(json_array_get(ju, 1));
				json_array_foreach(markers, im, jm) {
					const char *marker = json_string_value(jm);
					json_array_foreach(wss, iw, jw) {
						const char *ws = json_string_value(jw);
						/* parts joined by the whitespace, as the test does */
						char buf[2048];
						size_t n = 0;
#define PART(str)                                                                   \
	do {                                                                            \
		if (n > 0)                                                                  \
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", ws);              \
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", (str));               \
	} while (0)
						PART(name);
						if (extras_sets[ie][0] != NULL) {
							PART("[");
							char joined[256] = "";
							char sep[16];
							snprintf(sep, sizeof(sep), "%s,%s", ws, ws);
							for (int k = 0; extras_sets[ie][k] != NULL; k++) {
								if (k > 0)
									strncat(joined, sep, sizeof(joined) - strlen(joined) - 1);
								strncat(joined, extras_sets[ie][k], sizeof(joined) - strlen(joined) - 1);
							}
							PART(joined);
							PART("]");
						}
						if (spec[0] != '\0') {
							char *sp = subst_ws(spec, ws);
							PART(sp);
							free(sp);
						}
						if (url != NULL) {
							PART("@");
							PART(url);
						}
						if (marker != NULL) {
							PART(url != NULL ? " ;" : ";");
							char *mk = subst_ws(marker, ws);
							PART(mk);
							free(mk);
						}
#undef PART
						assert_true(n < sizeof(buf) - 1);
						dl_requirement *r = req_ok(buf);
						/* name, extras, url */
						assert_string_equal(r->name, name);
						size_t ne = 0;
						while (extras_norm[ie][ne] != NULL)
							ne++;
						assert_int_equal(r->n_extras, ne);
						for (size_t k = 0; k < ne; k++)
							assert_string_equal(r->extras[k], extras_norm[ie][k]);
						if (url == NULL)
							assert_null(r->url);
						else
							assert_string_equal(r->url, url);
						/* specifier == specifier.format(ws="").strip("()") */
						char *sp = subst_ws(spec, "");
						size_t sl = strlen(sp);
						char *core = sp;
						while (*core == '(')
							core++, sl--;
						while (sl > 0 && core[sl - 1] == ')')
							core[--sl] = '\0';
						if (!specset_equal_text(r->specifier, core))
							fail_msg("'%s': specifier differs from '%s'", buf, core);
						free(sp);
						/* marker == Marker(marker.format(ws="")) */
						if (marker == NULL) {
							assert_null(r->marker);
						} else {
							char *mk = subst_ws(marker, "");
							dl_marker *want = NULL;
							assert_int_equal(dl_marker_parse(&want, mk, strlen(mk)), 0);
							if (!dl_marker_eq(r->marker, want))
								fail_msg("'%s': marker differs from '%s'", buf, mk);
							dl_marker_free(want);
							free(mk);
						}
						/* the normal form parses back to an equal requirement */
						char *norm = req_str(r);
						dl_requirement *r2 = req_ok(norm);
						assert_true(dl_requirement_eq(r, r2));
						dl_free(norm);
						dl_requirement_free(r2);
						dl_requirement_free(r);
						combos++;
						rows_checked++;
					}
				}
			}
		}
	}
	printf("test_basic_valid_requirement_parsing: %d combinations parsed\n", combos);
	assert_int_equal(combos, (int)(json_array_size(names) * 4 * json_array_size(urlspecs) *
	                               json_array_size(markers) * json_array_size(wss)));
}

static void test_valid_marker(void **state)
{
	(void)state;
	json_t *rows = key("test_requirements::test_valid_marker::marker");
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		char buf[512];
		snprintf(buf, sizeof(buf), "name; %s", json_string_value(row));
		dl_requirement *r = req_ok(buf);
		assert_non_null(r->marker);
		dl_requirement_free(r);
		rows_checked++;
	}
}

static void pair(json_t *row, dl_requirement **a, dl_requirement **b)
{
	*a = req_ok(json_string_value(json_array_get(row, 0)));
	*b = req_ok(json_string_value(json_array_get(row, 1)));
}

static void test_equal_reqs(void **state)
{
	(void)state;
	json_t *rows = key("test_requirements::test_equal_reqs_equal_hashes::('dep1', 'dep2')");
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		dl_requirement *a, *b;
		pair(row, &a, &b);
		if (!dl_requirement_eq(a, b) || dl_requirement_hash(a) != dl_requirement_hash(b))
			fail_msg("row %zu: requirements should be equal with equal hashes", i);
		/* and print the same */
		char *sa = req_str(a), *sb = req_str(b);
		assert_string_equal(sa, sb);
		dl_free(sa);
		dl_free(sb);
		dl_requirement_free(a);
		dl_requirement_free(b);
		rows_checked++;
	}
}

/* The input without what is between '[' and ']' (free()). */
static char *without_brackets(const char *s)
{
	char *out = malloc(strlen(s) + 1);
	size_t n = 0;
	bool in = false;
	for (; *s != '\0'; s++) {
		if (*s == '[')
			in = true;
		else if (*s == ']')
			in = false;
		else if (!in)
			out[n++] = *s;
	}
	out[n] = '\0';
	return out;
}

static void test_equivalent_reqs(void **state)
{
	(void)state;
	json_t *rows = key("test_requirements::test_equivalent_reqs_equal_hashes_unequal_strings::('dep1', 'dep2')");
	size_t i;
	json_t *row;
	int differ_by_extra_spelling = 0;
	json_array_foreach(rows, i, row) {
		dl_requirement *a, *b;
		pair(row, &a, &b);
		if (!dl_requirement_eq(a, b) || dl_requirement_hash(a) != dl_requirement_hash(b))
			fail_msg("row %zu: requirements should be equal with equal hashes", i);
		char *sa = req_str(a), *sb = req_str(b);
		const char *in_a = json_string_value(json_array_get(row, 0));
		const char *in_b = json_string_value(json_array_get(row, 1));
		char *xa = without_brackets(in_a), *xb = without_brackets(in_b);
		bool extras_only = strchr(in_a, '[') != NULL && strcmp(xa, xb) == 0;
		free(xa);
		free(xb);
		if (extras_only) {
			/* deliberate difference: extras print in PEP 685 normal form */
			assert_string_equal(sa, sb);
			differ_by_extra_spelling++;
		} else if (strcmp(sa, sb) == 0) {
			fail_msg("row %zu: '%s' and '%s' should print differently", i, in_a, in_b);
		}
		dl_free(sa);
		dl_free(sb);
		dl_requirement_free(a);
		dl_requirement_free(b);
		rows_checked++;
	}
	assert_int_equal(differ_by_extra_spelling, 4);
}

static void test_different_reqs(void **state)
{
	(void)state;
	json_t *rows = key("test_requirements::test_different_reqs_different_hashes::('dep1', 'dep2')");
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		dl_requirement *a, *b;
		pair(row, &a, &b);
		if (dl_requirement_eq(a, b) || dl_requirement_hash(a) == dl_requirement_hash(b))
			fail_msg("row %zu: requirements should differ, with different hashes", i);
		dl_requirement_free(a);
		dl_requirement_free(b);
		rows_checked++;
	}
}

/* Every key of the two files is covered by a test above. */
static void test_all_keys_known(void **state)
{
	(void)state;
	static const char *const known[] = {
		"test_markers::test_parses_invalid::marker_string",
		"test_markers::test_str_repr_eq_hash::('marker_string', 'expected')",
		"test_markers::test_version_like_equality::('marker_string', 'environment', 'expected')",
		"test_requirements::test_basic_valid_requirement_parsing::name",
		"test_requirements::test_basic_valid_requirement_parsing::('url', 'specifier')",
		"test_requirements::test_basic_valid_requirement_parsing::marker",
		"test_requirements::test_basic_valid_requirement_parsing::whitespace",
		"test_requirements::test_valid_marker::marker",
		"test_requirements::test_equal_reqs_equal_hashes::('dep1', 'dep2')",
		"test_requirements::test_equivalent_reqs_equal_hashes_unequal_strings::('dep1', 'dep2')",
		"test_requirements::test_different_reqs_different_hashes::('dep1', 'dep2')",
	};
	const char *k;
	json_t *v;
	json_object_foreach(vectors, k, v) {
		if (strncmp(k, "test_markers::", 14) != 0 && strncmp(k, "test_requirements::", 19) != 0)
			continue;
		bool found = false;
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			found = found || strcmp(k, known[i]) == 0;
		if (!found)
			fail_msg("key '%s' of the vectors is not checked by this test", k);
	}
}

static int setup(void **state)
{
	(void)state;
	const char *shared = dltest_require_shared("test_pep508_vectors");
	json_error_t err;
	vectors = json_load_file(dltest_path(shared, "conformance/packaging-vectors.json"), 0, &err);
	if (vectors == NULL) {
		fprintf(stderr, "cannot read packaging-vectors.json: %s\n", err.text);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	printf("pep508 vectors: %d rows checked\n", rows_checked);
	json_decref(vectors);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_keys_known),
		cmocka_unit_test(test_markers_parses_invalid),
		cmocka_unit_test(test_markers_str),
		cmocka_unit_test(test_markers_version_like_equality),
		cmocka_unit_test(test_basic_valid_requirement_parsing),
		cmocka_unit_test(test_valid_marker),
		cmocka_unit_test(test_equal_reqs),
		cmocka_unit_test(test_equivalent_reqs),
		cmocka_unit_test(test_different_reqs),
	};
	dltest_require_shared("test_pep508_vectors");
	return cmocka_run_group_tests(tests, setup, teardown);
}
