/*
 * test_resolvelib.c - resolvelib's cases (../shared/data/resolvelib) resolved
 * through the Python layer on the in-memory snapshots, for CPython 3.8 on
 * Linux.
 *
 * Every answer is checked against the snapshot independently of the
 * resolver: each pin's requirements whose markers hold (with the pin's
 * activated extras) and the requested ones are satisfied by a pin at an
 * admitted version with the extras asked for, nothing needed is missing,
 * and every pin is required by something.  Then the pins are compared with
 * the case's listed answer; where they differ, the DIFF table below says
 * what differs and why ours is right (resolvelib's harness drops every
 * dependency with a marker, and a listed answer is one valid answer, not
 * the only one).  The conflict case must fail with an explanation that
 * names the culprit.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/pyresolve.h"
#include "deeplock/requirement.h"
#include "deeplock/resolvelib.h"
#include "deeplock/specifier.h"
#include "dltest.h"

/* Documented differences from a case's listed pins: the exact text that
 * describe_diff produces, and why. */
static const struct {
	const char *file;
	const char *diff;
	const char *why;
} DIFF[] = {
	{"chalice.json", "+urllib3 1.25.8",
	 "botocore requires urllib3 on every Python but 3.4 (a marker); resolvelib's harness drops marked "
	 "dependencies (see ../shared/README.md)"},
	{"pyrex-1.9.8.json", "@conflict",
	 "resolvelib lists no answer (its harness gives up after too many rounds); there is none: pyrax 1.9.8 "
	 "needs python-novaclient 2.27.0 -> oslo.serialization -> msgpack-python, whose only release (0.5.0) "
	 "needs msgpack >=0.5, and the snapshot has no msgpack release at all"},
	{NULL, NULL, NULL},
};

static const char *find_diff(const char *file)
{
	for (size_t i = 0; DIFF[i].file != NULL; i++) {
		if (strcmp(DIFF[i].file, file) == 0)
			return DIFF[i].diff;
	}
	return NULL;
}

static const dl_py_pin *find_pin(const dl_py_result *r, const char *name)
{
	for (size_t i = 0; i < r->npins; i++) {
		if (strcmp(r->pins[i].name, name) == 0)
			return &r->pins[i];
	}
	return NULL;
}

static bool has_extra(const dl_py_pin *p, const char *e)
{
	for (size_t i = 0; i < p->nextras; i++) {
		if (strcmp(p->extras[i], e) == 0)
			return true;
	}
	return false;
}

/* Check one requirement string against the pins; count failures. */
static int check_req(const dl_py_target *t, const dl_py_result *r, const char *who, const char *text,
                     const char *const *extras, size_t nx)
{
	dl_requirement *req = NULL;
	if (dl_requirement_parse(&req, text, strlen(text)) != 0) {
		printf("  %s: unparsable requirement '%s' (%s)\n", who, text, dl_error_last()->message);
		return 1;
	}
	bool on = true;
	int bad = 0;
	if (dl_marker_evaluate_extras(req->marker, t->env, extras, nx, &on) != 0)
		on = false; /* the resolver treats an undefined comparison the same way */
	if (on) {
		const dl_py_pin *p = find_pin(r, req->normalized_name);
		if (p == NULL) {
			printf("  %s requires %s: not pinned\n", who, text);
			bad++;
		} else {
			dl_version v;
			assert_int_equal(dl_version_parse_into(&v, p->version, strlen(p->version)), 0);
			if (!dl_specset_contains(req->specifier, &v, DL_PRERELEASES_ALLOW)) {
				printf("  %s requires %s: pinned %s\n", who, text, p->version);
				bad++;
			}
			dl_version_clear(&v);
			for (size_t i = 0; i < req->n_extras; i++) {
				if (!has_extra(p, req->extras[i])) {
					printf("  %s requires %s: extra %s not active\n", who, text, req->extras[i]);
					bad++;
				}
			}
		}
	}
	dl_requirement_free(req);
	return bad;
}

/* The independent validity check. */
static int validate(const dl_py_memsource *ms, const dl_py_target *t, const dl_resolvelib_case *c,
                    const dl_py_result *r)
{
	int bad = 0;
	for (size_t i = 0; i < c->nrequested; i++)
		bad += check_req(t, r, "the root", c->requested[i], NULL, 0);
	for (size_t i = 0; i < r->npins; i++) {
		const dl_py_pin *p = &r->pins[i];
		const dl_py_project *proj = dl_py_memsource_project(ms, p->name);
		assert_non_null(proj);
		assert_true(p->release < proj->nreleases);
		assert_string_equal(proj->releases[p->release].version_text, p->version);
		const dl_py_meta *m = dl_py_memsource_meta(ms, p->name, p->release);
		for (size_t k = 0; k < m->nrequires_dist; k++)
			bad += check_req(t, r, p->name, m->requires_dist[k], p->extras, p->nextras);
		if (p->nwhy == 0) {
			printf("  %s is pinned but nothing requires it\n", p->name);
			bad++;
		}
		assert_true(p->has_wheel);
	}
	return bad;
}

/* "+name version" for pins we add, "-name version" for listed pins we
 * leave out, "~name listed->ours" for other versions; "" when equal. */
static void describe_diff(const dl_resolvelib_case *c, const dl_py_result *r, dl_buf *out)
{
	for (size_t i = 0; i < c->nresolved; i++) {
		const dl_py_pin *p = find_pin(r, c->resolved[i].name);
		if (p == NULL) {
			dl_buf_printf(out, "%s-%s %s", out->len ? " " : "", c->resolved[i].name, c->resolved[i].version);
			continue;
		}
		dl_version a, b;
		assert_int_equal(dl_version_parse_into(&a, p->version, strlen(p->version)), 0);
		assert_int_equal(dl_version_parse_into(&b, c->resolved[i].version, strlen(c->resolved[i].version)), 0);
		if (dl_version_cmp(&a, &b) != 0)
			dl_buf_printf(out, "%s~%s %s->%s", out->len ? " " : "", p->name, c->resolved[i].version, p->version);
		dl_version_clear(&a);
		dl_version_clear(&b);
	}
	for (size_t i = 0; i < r->npins; i++) {
		bool listed = false;
		for (size_t k = 0; k < c->nresolved && !listed; k++)
			listed = strcmp(c->resolved[k].name, r->pins[i].name) == 0;
		if (!listed)
			dl_buf_printf(out, "%s+%s %s", out->len ? " " : "", r->pins[i].name, r->pins[i].version);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_case(const char *root, const char *file, dl_py_result **res_out)
{
	char path[8192];
	snprintf(path, sizeof(path), "%s/case/%s", root, file);
	size_t len = 0;
	char *data = dltest_read_file(path, &len);
	assert_non_null(data);
	dl_resolvelib_case *c = NULL;
	if (dl_resolvelib_case_load(&c, data, len, file) != 0)
		fail_msg("%s", dl_error_last()->message);
	free(data);
	snprintf(path, sizeof(path), "%s/index/%s.json", root, c->index);
	data = dltest_read_file(path, &len);
	assert_non_null(data);
	dl_py_memsource *ms = NULL;
	if (dl_resolvelib_index_load(&ms, data, len, c->index) != 0)
		fail_msg("%s", dl_error_last()->message);
	free(data);

	dl_py_target t;
	assert_int_equal(dl_resolvelib_target(&t), 0);
	dl_requirement **reqs = calloc(c->nrequested + 1, sizeof(*reqs));
	for (size_t i = 0; i < c->nrequested; i++)
		assert_int_equal(dl_requirement_parse(&reqs[i], c->requested[i], strlen(c->requested[i])), 0);
	dl_py_options o = DL_PY_OPTIONS_INIT;
	o.target = &t;
	o.requirements = (const dl_requirement *const *)reqs;
	o.nrequirements = c->nrequested;
	dl_py_source src;
	dl_py_memsource_source(ms, &src);
	dl_py_result *r = NULL;
	if (dl_py_resolve(&r, &src, &o) != 0)
		fail_msg("%s: %s", file, dl_error_last()->message);
	int bad = 0;
	if (c->conflicted) {
		if (r->solved) {
			printf("  %s: expected a conflict, got a resolution\n", file);
			bad++;
		} else {
			for (size_t i = 0; i < c->nconflict_names; i++) {
				if (strstr(r->explanation, c->conflict_names[i]) == NULL) {
					printf("  %s: the explanation does not name %s:\n%s", file, c->conflict_names[i],
					       r->explanation);
					bad++;
				}
			}
		}
	} else if (!r->solved) {
		const char *doc = find_diff(file);
		if (doc == NULL || strcmp(doc, "@conflict") != 0 ||
		    strstr(r->explanation, "no versions of msgpack match >=0.5") == NULL) {
			printf("  %s: no resolution:\n%s", file, r->explanation);
			bad++;
		}
	} else {
		bad += validate(ms, &t, c, r);
		dl_buf d = DL_BUF_INIT;
		describe_diff(c, r, &d);
		const char *doc = find_diff(file);
		const char *got = dl_buf_cstr(&d);
		if (strcmp(got, doc != NULL ? doc : "") != 0) {
			printf("  %s: differs from the listed answer: '%s' (documented: '%s')\n", file, got,
			       doc != NULL ? doc : "");
			bad++;
		}
		dl_buf_free(&d);
	}
	printf("%-32s %s, %zu pins, %zu decisions, %zu conflicts\n", file, r->solved ? "solved" : "conflict", r->npins,
	       r->stats.decisions, r->stats.conflicts);
	for (size_t i = 0; i < c->nrequested; i++)
		dl_requirement_free(reqs[i]);
	free(reqs);
	if (res_out != NULL)
		*res_out = r;
	else
		dl_py_result_free(r);
	dl_py_target_clear(&t);
	dl_py_memsource_free(ms);
	dl_resolvelib_case_free(c);
	return bad;
}

static void test_every_case(void **state)
{
	(void)state;
	const char *shared = dltest_require_shared("test_resolvelib");
	char root[4096];
	snprintf(root, sizeof(root), "%s/data/resolvelib", shared);
	char dir[8192];
	snprintf(dir, sizeof(dir), "%s/case", root);
	DIR *d = opendir(dir);
	assert_non_null(d);
	char *names[64];
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && n < 64) {
		size_t l = strlen(e->d_name);
		if (l > 5 && strcmp(e->d_name + l - 5, ".json") == 0)
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(char *), cmp_str);
	assert_int_equal(n, 13);
	int bad = 0;
	for (size_t i = 0; i < n; i++) {
		bad += run_case(root, names[i], NULL);
		free(names[i]);
	}
	assert_int_equal(bad, 0);
}

/* The conflict case, sentence by sentence. */
static void test_conflict_explained(void **state)
{
	(void)state;
	const char *shared = dltest_require_shared("test_resolvelib");
	char root[4096];
	snprintf(root, sizeof(root), "%s/data/resolvelib", shared);
	dl_py_result *r = NULL;
	assert_int_equal(run_case(root, "different-extras.json", &r), 0);
	assert_false(r->solved);
	printf("%s", r->explanation);
	assert_non_null(strstr(r->explanation, "no versions of markupsafe match >=0.23, dask[diagnostics] ==2.10.1 "
	                                       "cannot be used."));
	assert_non_null(strstr(r->explanation, "no versions of markupsafe match <0.23"));
	assert_non_null(strstr(r->explanation, "jinja2 >=2.9 depends on markupsafe >=0.23"));
	assert_non_null(strstr(r->explanation, "the requirements include dask[diagnostics] ==2.10.1"));
	assert_non_null(strstr(r->explanation, "the requirements cannot be satisfied."));
	dl_py_result_free(r);
}

/* Same input, same answer, twice. */
static void test_deterministic(void **state)
{
	(void)state;
	const char *shared = dltest_require_shared("test_resolvelib");
	char root[4096];
	snprintf(root, sizeof(root), "%s/data/resolvelib", shared);
	dl_py_result *a = NULL, *b = NULL;
	assert_int_equal(run_case(root, "cheroot.json", &a), 0);
	assert_int_equal(run_case(root, "cheroot.json", &b), 0);
	assert_int_equal(a->npins, b->npins);
	for (size_t i = 0; i < a->npins; i++) {
		assert_string_equal(a->pins[i].name, b->pins[i].name);
		assert_string_equal(a->pins[i].version, b->pins[i].version);
		assert_int_equal(a->pins[i].nwhy, b->pins[i].nwhy);
	}
	assert_int_equal(a->stats.decisions, b->stats.decisions);
	dl_py_result_free(a);
	dl_py_result_free(b);
}

static void test_load_errors(void **state)
{
	(void)state;
	dl_py_memsource *ms = (dl_py_memsource *)1;
	static const char nodeps[] = "{\"a\": {\"1\": {}}}";
	assert_int_equal(dl_resolvelib_index_load(&ms, nodeps, strlen(nodeps), "x"), DL_EPARSE);
	assert_string_equal(dl_error_last()->message, "x: a 1 needs a 'dependencies' array");
	assert_int_equal(dl_resolvelib_index_load(&ms, "{\"a\": [", 7, "x"), DL_EPARSE);
	assert_non_null(strstr(dl_error_last()->message, "x:1:"));
	static const char badname[] = "{\"a b\": {\"1\": {\"dependencies\": []}}}";
	assert_int_equal(dl_resolvelib_index_load(&ms, badname, strlen(badname), "x"), DL_EPARSE);
	assert_non_null(strstr(dl_error_last()->message, "invalid project name 'a b'"));
	assert_ptr_equal(ms, (dl_py_memsource *)1);
	dl_resolvelib_case *c = (dl_resolvelib_case *)1;
	static const char both[] = "{\"index\": \"i\", \"requested\": [], \"resolved\": {}, \"conflicted\": {}}";
	assert_int_equal(dl_resolvelib_case_load(&c, both, strlen(both), "c"), DL_EPARSE);
	assert_string_equal(dl_error_last()->message, "c: a case needs exactly one of 'resolved' and 'conflicted'");
	assert_ptr_equal(c, (dl_resolvelib_case *)1);
}

static int load_small(void *ctx)
{
	(void)ctx;
	static const char idx[] = "{\"a\": {\"1.0\": {\"dependencies\": [\"b>=1; extra == 'x'\"]}},"
	                          " \"b\": {\"1.0\": {\"dependencies\": []}, \"2.0\": {\"dependencies\": {}}}}";
	static const char cas[] = "{\"index\": \"i\", \"requested\": [\"a[x]\"], \"resolved\": {\"a\": \"1.0\","
	                          " \"B\": {\"version\": \"2.0\"}}}";
	dl_py_memsource *ms = NULL;
	dl_resolvelib_case *c = NULL;
	int rc = dl_resolvelib_index_load(&ms, idx, strlen(idx), "i");
	if (rc == 0)
		rc = dl_resolvelib_case_load(&c, cas, strlen(cas), "c");
	if (rc == 0 && (c->nresolved != 2 || strcmp(c->resolved[1].name, "b") != 0 ||
	                dl_py_memsource_project(ms, "b")->nreleases != 2))
		rc = DL_ERROR;
	dl_resolvelib_case_free(c);
	dl_py_memsource_free(ms);
	return rc;
}

/* Every dl allocation of the loaders failing in turn (jansson's own
 * allocations do not go through the hook). */
static void test_alloc_failures(void **state)
{
	(void)state;
	dltest_each_alloc_failure(load_small, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_alloc_failures),
		cmocka_unit_test(test_conflict_explained),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_every_case),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
