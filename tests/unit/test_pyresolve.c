/*
 * test_pyresolve.c - the Python resolution layer on small inline universes
 * with exact answers: each option and rule, determinism, the "why" edges,
 * allocation failures, the prefetch policy seen by a recording source, and
 * a property test on random universes with markers and extras, checked
 * independently (and by brute force when the resolver says "unsolvable").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/pyresolve.h"
#include "deeplock/requirement.h"
#include "dltest.h"

/* ---- helpers ------------------------------------------------------------ */

static dl_py_target target;

static int setup(void **state)
{
	(void)state;
	return dl_py_target_init(&target, "3.12", 4, NULL);
}

static int teardown(void **state)
{
	(void)state;
	dl_py_target_clear(&target);
	return 0;
}

/* Add release `ver` of `name` with the given Requires-Dist lines
 * (NULL-terminated); returns the release index. */
static size_t rel(dl_py_memsource *ms, const char *name, const char *ver, ...)
{
	size_t idx = 0;
	if (dl_py_memsource_add_release(ms, name, ver, &idx) != 0)
		fail_msg("%s", dl_error_last()->message);
	va_list ap;
	va_start(ap, ver);
	const char *r;
	while ((r = va_arg(ap, const char *)) != NULL)
		assert_int_equal(dl_py_memsource_add_requires(ms, name, idx, r), 0);
	va_end(ap);
	return idx;
}

/* Owned requirement lists for options. */
typedef struct reqs {
	dl_requirement *r[16];
	size_t n;
} reqs;

static void parse_into(reqs *rq, const char *list)
{
	rq->n = 0;
	if (list == NULL)
		return;
	/* requirements separated by "; " are ambiguous with markers, so
	 * lists use " & " */
	const char *p = list;
	while (*p != '\0') {
		const char *e = strstr(p, " & ");
		size_t len = e != NULL ? (size_t)(e - p) : strlen(p);
		if (dl_requirement_parse(&rq->r[rq->n], p, len) != 0)
			fail_msg("%s", dl_error_last()->message);
		rq->n++;
		p += len + (e != NULL ? 3 : 0);
	}
}

static void free_reqs(reqs *rq)
{
	for (size_t i = 0; i < rq->n; i++)
		dl_requirement_free(rq->r[i]);
	rq->n = 0;
}

/* Resolve `root` (" & "-separated) with `o` (target, requirements set
 * here) and return "a==1.0 b[x]==2.0" or "UNSAT: <explanation>" in a
 * static buffer. */
static char answer[16384];

static const char *solve_with(dl_py_memsource *ms, const char *root, dl_py_options *o, const char *constraints,
                              const char *overrides)
{
	reqs r, c, v;
	parse_into(&r, root);
	parse_into(&c, constraints);
	parse_into(&v, overrides);
	o->target = &target;
	o->requirements = (const dl_requirement *const *)r.r;
	o->nrequirements = r.n;
	o->constraints = (const dl_requirement *const *)c.r;
	o->nconstraints = c.n;
	o->overrides = (const dl_requirement *const *)v.r;
	o->noverrides = v.n;
	dl_py_source src;
	dl_py_memsource_source(ms, &src);
	dl_py_result *res = NULL;
	if (dl_py_resolve(&res, &src, o) != 0)
		fail_msg("resolve: %s", dl_error_last()->message);
	dl_buf b = DL_BUF_INIT;
	if (res->solved) {
		for (size_t i = 0; i < res->npins; i++) {
			const dl_py_pin *p = &res->pins[i];
			dl_buf_printf(&b, "%s%s", i ? " " : "", p->name);
			for (size_t k = 0; k < p->nextras; k++)
				dl_buf_printf(&b, "%s%s", k ? "," : "[", p->extras[k]);
			dl_buf_printf(&b, "%s==%s", p->nextras ? "]" : "", p->version);
		}
	} else {
		dl_buf_printf(&b, "UNSAT: %s", res->explanation);
	}
	snprintf(answer, sizeof(answer), "%s", dl_buf_cstr(&b));
	dl_buf_free(&b);
	dl_py_result_free(res);
	free_reqs(&r);
	free_reqs(&c);
	free_reqs(&v);
	return answer;
}

static const char *solve(dl_py_memsource *ms, const char *root)
{
	dl_py_options o = DL_PY_OPTIONS_INIT;
	return solve_with(ms, root, &o, NULL, NULL);
}

static dl_py_memsource *new_ms(void)
{
	dl_py_memsource *ms = NULL;
	assert_int_equal(dl_py_memsource_new(&ms), 0);
	return ms;
}

/* ---- rules -------------------------------------------------------------- */

static void test_prerelease_modes(void **state)
{
	(void)state;
	dl_py_memsource *ms = new_ms();
	rel(ms, "a", "1.0", NULL);
	rel(ms, "a", "2.0b1", NULL);
	rel(ms, "b", "1.0a1", NULL);
	rel(ms, "c", "1.0", "a>=2.0b1", NULL);
	dl_py_options o = DL_PY_OPTIONS_INIT;
	/* default: only-prerelease projects and explicit root requests */
	assert_string_equal(solve(ms, "a & b"), "a==1.0 b==1.0a1");
	assert_string_equal(solve(ms, "a>=2.0b1"), "a==2.0b1");
	/* a transitive pre-release request does not opt in */
	assert_string_equal(solve(ms, "c"),
	                    "UNSAT: (1) Because c ==1.0 depends on a >=2.0b1 and no versions of a match >=2.0b1 (2.0b1 "
	                    "is a pre-release: name one in the requirements or allow them), c ==1.0 cannot be used.\n(2) Because c ==1.0 cannot be used (1) and the requirements include c, the "
	                    "requirements cannot be satisfied.\n");
	/* but a constraint naming one does */
	assert_string_equal(solve_with(ms, "c", &o, "a>=2.0b1", NULL), "a==2.0b1 c==1.0");
	o.prereleases = DL_PY_PRE_ALLOW;
	assert_string_equal(solve_with(ms, "a & b", &o, NULL, NULL), "a==2.0b1 b==1.0a1");
	o.prereleases = DL_PY_PRE_DISALLOW;
	assert_string_equal(solve_with(ms, "a & b", &o, NULL, NULL),
	                    "UNSAT: (1) Because there are no versions of b (1.0a1 is a pre-release; pre-releases are "
	                    "disallowed) and the requirements include b, the requirements cannot be satisfied.\n");
	o.prereleases = DL_PY_PRE_IF_NECESSARY;
	assert_string_equal(solve_with(ms, "a & b", &o, NULL, NULL), "a==1.0 b==1.0a1");
	assert_string_equal(solve_with(ms, "a>=2.0b1", &o, NULL, NULL),
	                    "UNSAT: (1) Because no versions of a match >=2.0b1 (2.0b1 is a pre-release: name one in "
	                    "the requirements or allow them) and the requirements include a >=2.0b1, the requirements "
	                    "cannot be satisfied.\n");
	dl_py_memsource_free(ms);
}

static void test_strategies(void **state)
{
	(void)state;
	dl_py_memsource *ms = new_ms();
	rel(ms, "a", "1.0", "b", NULL);
	rel(ms, "a", "2.0", "b", NULL);
	rel(ms, "b", "2.0", NULL);
	rel(ms, "b", "1.0", NULL);
	dl_py_options o = DL_PY_OPTIONS_INIT;
	assert_string_equal(solve_with(ms, "a", &o, NULL, NULL), "a==2.0 b==2.0");
	o.strategy = DL_PY_LOWEST;
	assert_string_equal(solve_with(ms, "a", &o, NULL, NULL), "a==1.0 b==1.0");
	o.strategy = DL_PY_LOWEST_DIRECT;
	assert_string_equal(solve_with(ms, "a", &o, NULL, NULL), "a==1.0 b==2.0");
	dl_py_memsource_free(ms);
}

static void test_constraints_and_overrides(void **state)
{
	(void)state;
	dl_py_memsource *ms = new_ms();
	rel(ms, "a", "1.0", "b>=2", NULL);
	rel(ms, "b", "1.0", NULL);
	rel(ms, "b", "2.0", NULL);
	rel(ms, "b", "3.0", NULL);
	rel(ms, "c", "1.0", NULL);
	dl_py_options o = DL_PY_OPTIONS_INIT;
	/* a constraint narrows, and never adds c */
	assert_string_equal(solve_with(ms, "a", &o, "b<3 & c==1.0", NULL), "a==1.0 b==2.0");
	/* a constraint that contradicts a requirement fails */
	assert_string_equal(solve_with(ms, "a", &o, "b<2", NULL),
	                    "UNSAT: (1) Because a ==1.0 depends on b >=2 and the requirements include a, not b >=2 is "
	                    "required.\n(2) Because not b >=2 is required (1) and the constraints allow only b <2, the "
	                    "requirements cannot be satisfied.\n");
	/* an override replaces the requirement, and also never adds c */
	assert_string_equal(solve_with(ms, "a", &o, NULL, "b<2 & c==1.0"), "a==1.0 b==1.0");
	/* an override whose marker is false for the target drops it */
	assert_string_equal(solve_with(ms, "a", &o, NULL, "b<2 ; sys_platform == 'win32'"), "a==1.0");
	dl_py_memsource_free(ms);
}

static void test_preferences(void **state)
{
	(void)state;
	dl_py_memsource *ms = new_ms();
	rel(ms, "a", "1.0", NULL);
	rel(ms, "a", "2.0", NULL);
	rel(ms, "b", "1.0", NULL);
	dl_py_preference prefs[] = {{"A", "1.0"}, {"b", "3.0"}};
	const char *up[] = {"a"};
	dl_py_options o = DL_PY_OPTIONS_INIT;
	o.preferences = prefs;
	o.npreferences = 2;
	assert_string_equal(solve_with(ms, "a & b", &o, NULL, NULL), "a==1.0 b==1.0");
	/* a preference never overrides a requirement */
	assert_string_equal(solve_with(ms, "a>1", &o, NULL, NULL), "a==2.0");
	o.upgrade = up;
	o.nupgrade = 1;
	assert_string_equal(solve_with(ms, "a & b", &o, NULL, NULL), "a==2.0 b==1.0");
	o.nupgrade = 0;
	o.upgrade_all = true;
	assert_string_equal(solve_with(ms, "a & b", &o, NULL, NULL), "a==2.0 b==1.0");
	dl_py_memsource_free(ms);
}

static void test_yanked(void **state)
{
	(void)state;
	dl_py_memsource *ms = new_ms();
	rel(ms, "a", "1.0", NULL);
	size_t k = rel(ms, "a", "2.0", NULL);
	assert_int_equal(dl_py_memsource_set_yanked(ms, "a", k, true), 0);
	dl_py_options o = DL_PY_OPTIONS_INIT;
	assert_string_equal(solve(ms, "a"), "a==1.0");
	assert_string_equal(solve(ms, "a==2.0"), "a==2.0");
	assert_string_equal(solve(ms, "a===2.0"), "a==2.0");
	assert_string_equal(solve(ms, "a>=2"),
	                    "UNSAT: (1) Because no versions of a match >=2 (2.0 is yanked) and the requirements include "
	                    "a >=2, the requirements cannot be satisfied.\n");
	assert_string_equal(solve_with(ms, "a", &o, "a==2.0", NULL), "a==2.0");
	dl_py_memsource_free(ms);

	/* a release whose every file is yanked is yanked */
	ms = new_ms();
	rel(ms, "b", "1.0", NULL);
	k = rel(ms, "b", "2.0", NULL);
	assert_int_equal(dl_py_memsource_add_file(ms, "b", k, "b-2.0.tar.gz", NULL, true), 0);
	assert_string_equal(solve(ms, "b"), "b==1.0");
	dl_py_memsource_free(ms);
}

static const dl_py_pin *pin_of(const dl_py_result *r, const char *name)
{
	for (size_t i = 0; i < r->npins; i++) {
		if (strcmp(r->pins[i].name, name) == 0)
			return &r->pins[i];
	}
	return NULL;
}

static void test_binary_policy(void **state)
{
	(void)state;
	dl_py_memsource *ms = new_ms();
	size_t k = rel(ms, "a", "1.0", NULL);
	assert_int_equal(dl_py_memsource_add_file(ms, "a", k, "a-1.0.tar.gz", NULL, false), 0);
	k = rel(ms, "b", "1.0", NULL);
	assert_int_equal(dl_py_memsource_add_file(ms, "b", k, "b-1.0-py3-none-any.whl", NULL, false), 0);
	k = rel(ms, "c", "1.0", NULL);
	assert_int_equal(dl_py_memsource_add_file(ms, "c", k, "c-1.0-cp312-cp312-win_amd64.whl", NULL, false), 0);
	k = rel(ms, "d", "1.0", NULL);
	assert_int_equal(dl_py_memsource_add_file(ms, "d", k, "d-1.0.tar.gz", NULL, false), 0);
	assert_int_equal(dl_py_memsource_add_file(ms, "d", k, "d-1.0-cp312-cp312-manylinux_2_17_x86_64.whl", NULL, false),
	                 0);
	k = rel(ms, "e", "1.0", NULL);
	assert_int_equal(dl_py_memsource_set_files_known(ms, "e", k), 0);
	dl_py_options o = DL_PY_OPTIONS_INIT;
	assert_string_equal(solve(ms, "a & b & d"), "a==1.0 b==1.0 d==1.0");
	assert_string_equal(solve(ms, "c"),
	                    "UNSAT: (1) Because c ==1.0 cannot be used (it has no source distribution and no wheel "
	                    "matches the target) and the requirements include c, the requirements cannot be satisfied.\n");
	assert_string_equal(solve(ms, "e"),
	                    "UNSAT: (1) Because e ==1.0 cannot be used (it has no source distribution and it has no "
	                    "wheels) and the requirements include e, the requirements cannot be satisfied.\n");
	o.only_binary_all = true;
	assert_string_equal(solve_with(ms, "a", &o, NULL, NULL),
	                    "UNSAT: (1) Because a ==1.0 cannot be used (building from source is disabled and it has no "
	                    "wheels) and the requirements include a, the requirements cannot be satisfied.\n");
	const char *just_a[] = {"A"};
	o.no_binary = just_a; /* the per-project word wins over :all: */
	o.nno_binary = 1;
	assert_string_equal(solve_with(ms, "a & b", &o, NULL, NULL), "a==1.0 b==1.0");
	o = (dl_py_options)DL_PY_OPTIONS_INIT;
	o.no_binary_all = true;
	assert_string_equal(solve_with(ms, "b", &o, NULL, NULL),
	                    "UNSAT: (1) Because b ==1.0 cannot be used (it has no source distribution and wheels are "
	                    "disabled) and the requirements include b, the requirements cannot be satisfied.\n");

	/* what the lock stage learns about each pin */
	reqs r;
	parse_into(&r, "a & b & d");
	o = (dl_py_options)DL_PY_OPTIONS_INIT;
	o.target = &target;
	o.requirements = (const dl_requirement *const *)r.r;
	o.nrequirements = r.n;
	dl_py_source src;
	dl_py_memsource_source(ms, &src);
	dl_py_result *res = NULL;
	assert_int_equal(dl_py_resolve(&res, &src, &o), 0);
	assert_true(res->solved);
	assert_false(pin_of(res, "a")->has_wheel);
	assert_true(pin_of(res, "a")->has_sdist);
	assert_true(pin_of(res, "b")->has_wheel);
	assert_false(pin_of(res, "b")->has_sdist);
	assert_true(pin_of(res, "d")->has_wheel);
	assert_true(pin_of(res, "d")->has_sdist);
	dl_py_result_free(res);
	free_reqs(&r);
	dl_py_memsource_free(ms);
}

static void test_extras(void **state)
{
	(void)state;
	dl_py_memsource *ms = new_ms();
	/* x pulls b and a's own extra y (an extra of an extra); y pulls c and
	 * names itself (a self-referencing extra) */
	rel(ms, "a", "1.0", "b ; extra == 'x'", "a[y] ; extra == 'x'", "c>=2 ; extra == 'y'", "a[y] ; extra == 'y'",
	    "d ; extra == 'z'", NULL);
	rel(ms, "b", "1.0", NULL);
	rel(ms, "c", "1.0", NULL);
	rel(ms, "c", "2.0", NULL);
	rel(ms, "d", "1.0", NULL);
	assert_string_equal(solve(ms, "a"), "a==1.0");
	assert_string_equal(solve(ms, "a[x]"), "a[x,y]==1.0 b==1.0 c==2.0");
	assert_string_equal(solve(ms, "a[Y]"), "a[y]==1.0 c==2.0");
	/* an extra nobody defines adds nothing */
	assert_string_equal(solve(ms, "a[nope]"), "a[nope]==1.0");
	/* extras of the root */
	dl_py_options o = DL_PY_OPTIONS_INIT;
	const char *ex[] = {"dev"};
	o.extras = ex;
	o.nextras = 1;
	assert_string_equal(solve_with(ms, "b ; extra == 'dev' & d ; extra == 'docs'", &o, NULL, NULL), "b==1.0");
	/* an extra conflicting with the root */
	assert_string_equal(solve(ms, "a[y] & c<2"),
	                    "UNSAT: (1) Because a[y] ==1.0 depends on c >=2 and the requirements include a[y], not c >=2 "
	                    "is required.\n(2) Because not c >=2 is required (1) and the requirements include c <2, the "
	                    "requirements cannot be satisfied.\n");
	dl_py_memsource_free(ms);
}

static void test_markers_and_python(void **state)
{
	(void)state;
	dl_py_memsource *ms = new_ms();
	rel(ms, "a", "1.0", "b ; sys_platform == 'win32'", "c ; python_version >= '3.8'",
	    "d ; platform_release >= '5'", NULL);
	rel(ms, "b", "1.0", NULL);
	rel(ms, "c", "1.0", NULL);
	rel(ms, "d", "1.0", NULL);
	/* false markers drop dependencies; an undefined comparison (an empty
	 * platform_release against a version) counts as false */
	assert_string_equal(solve(ms, "a"), "a==1.0 c==1.0");
	dl_py_memsource_free(ms);

	ms = new_ms();
	size_t k = rel(ms, "p", "3.0", NULL);
	assert_int_equal(dl_py_memsource_add_file(ms, "p", k, "p-3.0.tar.gz", ">=3.13", false), 0);
	k = rel(ms, "p", "2.0", NULL);
	assert_int_equal(dl_py_memsource_set_requires_python(ms, "p", k, ">=3.12.1"), 0);
	k = rel(ms, "p", "1.0", NULL);
	/* an upper bound is ignored, as uv does */
	assert_int_equal(dl_py_memsource_add_file(ms, "p", k, "p-1.0.tar.gz", ">=3.8,<3.10", false), 0);
	assert_string_equal(solve(ms, "p"), "p==1.0");
	assert_string_equal(solve(ms, "p>=2"),
	                    "UNSAT: (1) Because p ==2.0 cannot be used (it requires Python >=3.12.1, the target is "
	                    "3.12.0) and p ==3.0 cannot be used (it requires Python >=3.13, the target is 3.12.0), p >=2.0 "
	                    "cannot be used.\n(2) Because p >=2.0 cannot be used (1) and the requirements include p >=2, "
	                    "the requirements cannot be satisfied.\n");
	dl_py_options o = DL_PY_OPTIONS_INIT;
	o.requires_python = ">=3.13";
	assert_string_equal(solve_with(ms, "p", &o, NULL, NULL),
	                    "UNSAT: Because the root requirements cannot be used (they require Python >=3.13, the target "
	                    "is 3.12.0), the requirements cannot be satisfied.\n");
	o.requires_python = ">=3.8";
	assert_string_equal(solve_with(ms, "p", &o, NULL, NULL), "p==1.0");
	/* unreadable metadata */
	k = rel(ms, "q", "1.0", NULL);
	assert_int_equal(dl_py_memsource_set_unavailable(ms, "q", k, "its metadata needs a build"), 0);
	k = rel(ms, "r", "1.0", "not a requirement !", NULL);
	assert_string_equal(solve(ms, "q"),
	                    "UNSAT: (1) Because q ==1.0 cannot be used (its metadata needs a build) and the requirements "
	                    "include q, the requirements cannot be satisfied.\n");
	assert_non_null(strstr(solve(ms, "r"), "r ==1.0 cannot be used (its metadata cannot be read: invalid requirement"));
	dl_py_memsource_free(ms);
}

static void test_why_and_determinism(void **state)
{
	(void)state;
	dl_py_memsource *ms = new_ms();
	rel(ms, "a", "1.0", "c>=1", "b[x]", NULL);
	rel(ms, "b", "1.0", "c<3 ; extra == 'x'", NULL);
	rel(ms, "c", "1.0", NULL);
	rel(ms, "c", "2.0", NULL);
	reqs r;
	parse_into(&r, "A & c!=1.5");
	dl_py_options o = DL_PY_OPTIONS_INIT;
	o.target = &target;
	o.requirements = (const dl_requirement *const *)r.r;
	o.nrequirements = r.n;
	dl_py_source src;
	dl_py_memsource_source(ms, &src);
	dl_py_result *res = NULL, *again = NULL;
	assert_int_equal(dl_py_resolve(&res, &src, &o), 0);
	assert_int_equal(dl_py_resolve(&again, &src, &o), 0);
	assert_int_equal(res->npins, 3);
	const dl_py_pin *c = pin_of(res, "c");
	assert_string_equal(c->version, "2.0");
	assert_int_equal(c->nwhy, 3);
	assert_null(c->why[0].by);
	assert_string_equal(c->why[0].requirement, "c!=1.5");
	assert_string_equal(c->why[1].by, "a");
	assert_string_equal(c->why[1].requirement, "c>=1");
	assert_string_equal(c->why[2].by, "b[x]");
	assert_string_equal(c->why[2].requirement, "c<3; extra == \"x\"");
	const dl_py_pin *b = pin_of(res, "b");
	assert_int_equal(b->nextras, 1);
	assert_string_equal(b->extras[0], "x");
	assert_int_equal(b->nwhy, 1);
	assert_string_equal(b->why[0].by, "a");
	assert_string_equal(b->why[0].requirement, "b[x]");
	assert_int_equal(pin_of(res, "a")->nwhy, 1);
	assert_null(pin_of(res, "a")->why[0].by);
	assert_string_equal(pin_of(res, "a")->why[0].requirement, "A");
	assert_true(res->stats.decisions >= 3);
	assert_int_equal(res->stats.projects, 3);
	/* same input, same output */
	assert_int_equal(again->npins, res->npins);
	for (size_t i = 0; i < res->npins; i++) {
		assert_string_equal(again->pins[i].name, res->pins[i].name);
		assert_string_equal(again->pins[i].version, res->pins[i].version);
		assert_int_equal(again->pins[i].nwhy, res->pins[i].nwhy);
		for (size_t k = 0; k < res->pins[i].nwhy; k++)
			assert_string_equal(again->pins[i].why[k].requirement, res->pins[i].why[k].requirement);
	}
	assert_int_equal(again->stats.decisions, res->stats.decisions);
	dl_py_result_free(res);
	dl_py_result_free(again);
	free_reqs(&r);
	dl_py_memsource_free(ms);
}

static void test_bad_options(void **state)
{
	(void)state;
	dl_py_memsource *ms = new_ms();
	dl_py_source src;
	dl_py_memsource_source(ms, &src);
	dl_py_result *res = (dl_py_result *)1;
	dl_py_options o = DL_PY_OPTIONS_INIT;
	assert_int_equal(dl_py_resolve(&res, &src, &o), DL_EINVAL);
	assert_string_equal(dl_error_last()->message, "resolver options without a target environment");
	o.version = 99;
	assert_int_equal(dl_py_resolve(&res, &src, &o), DL_EINVAL);
	o = (dl_py_options)DL_PY_OPTIONS_INIT;
	o.target = &target;
	dl_py_preference p = {"a", "x.y"};
	o.preferences = &p;
	o.npreferences = 1;
	assert_int_equal(dl_py_resolve(&res, &src, &o), DL_EPARSE);
	assert_non_null(strstr(dl_error_last()->message, "while reading the preference a x.y"));
	assert_ptr_equal(res, (dl_py_result *)1);
	size_t k;
	assert_int_equal(dl_py_memsource_add_release(ms, "a b", "1", &k), DL_EPARSE);
	assert_string_equal(dl_error_last()->message, "invalid project name 'a b'");
	assert_int_equal(dl_py_memsource_add_release(ms, "a", "1", &k), 0);
	assert_int_equal(dl_py_memsource_add_release(ms, "A", "1", &k), DL_EINVAL);
	assert_int_equal(dl_py_memsource_add_requires(ms, "zz", 0, "x"), DL_ENOTFOUND);
	dl_py_target t;
	assert_int_equal(dl_py_target_init(&t, "3.12rc1", 7, NULL), DL_EPARSE);
	assert_string_equal(dl_error_last()->message, "target Python '3.12rc1' must be X.Y or X.Y.Z");
	dl_py_memsource_free(ms);
}

/* Direct URL requirements: allowed when the source serves them
 * (options.direct_urls); a dependency may name one only when a root
 * requirement names the same project from the same URL. */
static void test_direct_urls(void **state)
{
	(void)state;
	dl_py_memsource *ms = new_ms();
	rel(ms, "a", "1.0", "b @ https://files.example/b-1.0.tar.gz", NULL);
	rel(ms, "a", "0.9", NULL);
	rel(ms, "b", "1.0", NULL);
	dl_py_options o = DL_PY_OPTIONS_INIT;
	o.direct_urls = true;
	/* a's URL dependency is not the root's: a 1.0 cannot be used */
	assert_string_equal(solve_with(ms, "a", &o, NULL, NULL), "a==0.9");
	o = (dl_py_options)DL_PY_OPTIONS_INIT;
	o.direct_urls = true;
	const char *got = solve_with(ms, "a>=1", &o, NULL, NULL);
	if (strstr(got, "it depends on b from the direct URL https://files.example/b-1.0.tar.gz, which no root "
	                "requirement names") == NULL)
		fail_msg("%s", got);
	/* named by the root from the same URL: fine */
	o = (dl_py_options)DL_PY_OPTIONS_INIT;
	o.direct_urls = true;
	assert_string_equal(solve_with(ms, "a & b @ https://files.example/b-1.0.tar.gz", &o, NULL, NULL), "a==1.0 b==1.0");
	/* the same project from two URLs, or a source that cannot serve them */
	reqs r;
	parse_into(&r, "b @ https://files.example/b-1.0.tar.gz & b @ https://other.example/b-1.0.tar.gz");
	dl_py_source src;
	dl_py_memsource_source(ms, &src);
	dl_py_result *res = NULL;
	o = (dl_py_options)DL_PY_OPTIONS_INIT;
	o.target = &target;
	o.requirements = (const dl_requirement *const *)r.r;
	o.nrequirements = r.n;
	o.direct_urls = true;
	assert_int_equal(dl_py_resolve(&res, &src, &o), DL_EINVAL);
	assert_string_equal(dl_error_last()->message, "b is required from two direct URLs: "
	                                             "https://files.example/b-1.0.tar.gz and https://other.example/b-1.0.tar.gz");
	o.direct_urls = false;
	o.nrequirements = 1;
	assert_int_equal(dl_py_resolve(&res, &src, &o), DL_EUNSUPPORTED);
	free_reqs(&r);
	dl_py_memsource_free(ms);
}

/* ---- allocation failures ------------------------------------------------ */

static int build_and_resolve(void *ctx)
{
	(void)ctx;
	dl_py_memsource *ms = NULL;
	dl_requirement *r[2] = {NULL, NULL};
	dl_py_result *res = NULL;
	size_t k;
	int rc = dl_py_memsource_new(&ms);
	if (rc == 0)
		rc = dl_py_memsource_add_release(ms, "a", "1.0", &k);
	if (rc == 0)
		rc = dl_py_memsource_add_requires(ms, "a", k, "b[x]>=1 ; python_version >= '3'");
	if (rc == 0)
		rc = dl_py_memsource_add_file(ms, "a", k, "a-1.0-py3-none-any.whl", ">=3.8", false);
	if (rc == 0)
		rc = dl_py_memsource_add_release(ms, "b", "1.0", &k);
	if (rc == 0)
		rc = dl_py_memsource_add_requires(ms, "b", k, "c ; extra == 'x'");
	if (rc == 0)
		rc = dl_py_memsource_add_release(ms, "b", "2.0", &k);
	if (rc == 0)
		rc = dl_py_memsource_add_requires(ms, "b", k, "c>=2 ; extra == 'x'");
	if (rc == 0)
		rc = dl_py_memsource_add_release(ms, "c", "1.0", &k);
	if (rc == 0)
		rc = dl_requirement_parse(&r[0], "a", 1);
	if (rc == 0)
		rc = dl_requirement_parse(&r[1], "c<2", 3);
	if (rc == 0) {
		dl_py_options o = DL_PY_OPTIONS_INIT;
		o.target = &target;
		o.requirements = (const dl_requirement *const *)r;
		o.nrequirements = 2;
		dl_py_source src;
		dl_py_memsource_source(ms, &src);
		rc = dl_py_resolve(&res, &src, &o);
		if (rc == 0 && (!res->solved || res->npins != 3))
			rc = DL_ERROR;
	}
	dl_py_result_free(res);
	dl_requirement_free(r[0]);
	dl_requirement_free(r[1]);
	dl_py_memsource_free(ms);
	return rc;
}

static int unsat_resolve(void *ctx)
{
	(void)ctx;
	dl_py_memsource *ms = NULL;
	dl_requirement *r = NULL;
	dl_py_result *res = NULL;
	size_t k;
	int rc = dl_py_memsource_new(&ms);
	for (int v = 1; v <= 3 && rc == 0; v++) {
		char ver[8];
		snprintf(ver, sizeof(ver), "%d.0", v);
		rc = dl_py_memsource_add_release(ms, "a", ver, &k);
		if (rc == 0)
			rc = dl_py_memsource_add_requires(ms, "a", k, "b>=5");
	}
	if (rc == 0)
		rc = dl_py_memsource_add_release(ms, "b", "1.0", &k);
	if (rc == 0)
		rc = dl_requirement_parse(&r, "a", 1);
	if (rc == 0) {
		dl_py_options o = DL_PY_OPTIONS_INIT;
		o.target = &target;
		o.requirements = (const dl_requirement *const *)&r;
		o.nrequirements = 1;
		dl_py_source src;
		dl_py_memsource_source(ms, &src);
		rc = dl_py_resolve(&res, &src, &o);
		if (rc == 0 && (res->solved || res->explanation == NULL))
			rc = DL_ERROR;
	}
	dl_py_result_free(res);
	dl_requirement_free(r);
	dl_py_memsource_free(ms);
	return rc;
}

static void test_alloc_failures(void **state)
{
	(void)state;
	dltest_each_alloc_failure(build_and_resolve, NULL);
	dltest_each_alloc_failure(unsat_resolve, NULL);
}

/* ---- the prefetch policy ------------------------------------------------ */

/* A source that "blocks" (it only records) and logs every call. */
typedef struct recorder {
	dl_py_source inner;
	dl_buf log;
} recorder;

static int rec_project(void *ctx, const char *name, const dl_py_project **out)
{
	recorder *r = ctx;
	dl_buf_printf(&r->log, "project %s\n", name);
	return r->inner.project(r->inner.ctx, name, out);
}

static int rec_metadata(void *ctx, const char *name, size_t release, const dl_py_meta **out)
{
	recorder *r = ctx;
	const dl_py_project *p = NULL;
	r->inner.project(r->inner.ctx, name, &p);
	dl_buf_printf(&r->log, "metadata %s %s\n", name, p->releases[release].version_text);
	return r->inner.metadata(r->inner.ctx, name, release, out);
}

static void rec_hint_project(void *ctx, const char *name)
{
	recorder *r = ctx;
	dl_buf_printf(&r->log, "hint %s\n", name);
}

static void rec_hint_metadata(void *ctx, const char *name, size_t release)
{
	recorder *r = ctx;
	const dl_py_project *p = NULL;
	r->inner.project(r->inner.ctx, name, &p);
	dl_buf_printf(&r->log, "hint %s %s\n", name, p->releases[release].version_text);
}

static void test_prefetch_policy(void **state)
{
	(void)state;
	dl_py_memsource *ms = new_ms();
	for (int v = 1; v <= 5; v++) {
		char ver[8];
		snprintf(ver, sizeof(ver), "%d.0", v);
		rel(ms, "a", ver, "c", "d ; sys_platform == 'win32'", NULL);
	}
	rel(ms, "b", "1.0", "c", NULL);
	rel(ms, "c", "1.0", NULL);
	recorder rec;
	memset(&rec, 0, sizeof(rec));
	dl_buf_init(&rec.log, 0);
	dl_py_memsource_source(ms, &rec.inner);
	dl_py_source src = {&rec, rec_project, rec_metadata, rec_hint_project, rec_hint_metadata};
	reqs r;
	parse_into(&r, "a<5 & b");
	dl_py_options o = DL_PY_OPTIONS_INIT;
	o.target = &target;
	o.requirements = (const dl_requirement *const *)r.r;
	o.nrequirements = r.n;
	dl_py_result *res = NULL;
	assert_int_equal(dl_py_resolve(&res, &src, &o), 0);
	assert_true(res->solved);
	printf("%s", dl_buf_cstr(&rec.log));
	/* the root's projects are hinted together before anything blocks;
	 * each project's first three candidates in preference order get a
	 * metadata hint as soon as its releases arrive (5.0 too: the order is
	 * the source's, before the root's "<5" narrows it); c is hinted once
	 * although two releases name it; d's marker is false, so d never is */
	assert_string_equal(dl_buf_cstr(&rec.log), "hint a\n"
	                                            "hint b\n"
	                                            "project a\n"
	                                            "hint a 5.0\n"
	                                            "hint a 4.0\n"
	                                            "hint a 3.0\n"
	                                            "project b\n"
	                                            "hint b 1.0\n"
	                                            "metadata b 1.0\n"
	                                            "hint c\n"
	                                            "project c\n"
	                                            "hint c 1.0\n"
	                                            "metadata c 1.0\n"
	                                            "metadata a 4.0\n");
	dl_py_result_free(res);
	free_reqs(&r);
	dl_buf_free(&rec.log);
	dl_py_memsource_free(ms);
}

/* ---- property test ------------------------------------------------------ */

#define NP 4
#define NV 3

static uint64_t rng = 0x9e3779b97f4a7c15u;
static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static const char *const PK[NP] = {"p0", "p1", "p2", "p3"};
static const char *const VER[NV] = {"1.0", "2.0", "3.0"};
static const char *const SPEC[] = {"", ">=2", "<2", "==1.0", "!=2.0", ">=3", "<3", ">1,<3"};
static const char *const MARK[] = {"", " ; sys_platform == 'linux'", " ; sys_platform == 'win32'",
                                   " ; python_version < '3'", " ; extra == 'x'", " ; extra == 'y'"};
static const char *const EXTRA[] = {"", "[x]", "[y]", "[x,y]"};

typedef struct universe {
	int nv[NP];
	char reqs[NP][NV][4][96];
	int nreq[NP][NV];
	char root[3][96];
	int nroot;
} universe;

/* Does requirement text `t` (evaluated with the extras of `ext`, a bit
 * set of x=1, y=2) hold for the choice? Adds the extras it asks for to
 * `want`; returns false when violated. */
static const dl_marker_env *check_env; /* where req_ok evaluates markers */

static bool req_ok(const char *t, int self, unsigned ext, const int *choice, unsigned *want)
{
	dl_requirement *r = NULL;
	assert_int_equal(dl_requirement_parse(&r, t, strlen(t)), 0);
	const char *ex[2];
	size_t nx = 0;
	if (ext & 1)
		ex[nx++] = "x";
	if (ext & 2)
		ex[nx++] = "y";
	bool on = true;
	assert_int_equal(dl_marker_evaluate_extras(r->marker, check_env != NULL ? check_env : target.env, ex, nx, &on), 0);
	bool ok = true;
	/* a project's plain requirement on itself says nothing (the resolver
	 * skips it, as uv does); through an extra it is a real one */
	if (self >= 0 && r->normalized_name[1] - '0' == self && r->n_extras == 0 && !dl_marker_mentions_extra(r->marker))
		on = false;
	if (on) {
		int q = r->normalized_name[1] - '0';
		if (choice[q] < 0) {
			ok = false;
		} else {
			dl_version v;
			assert_int_equal(dl_version_parse_into(&v, VER[choice[q]], 3), 0);
			ok = dl_specset_contains(r->specifier, &v, DL_PRERELEASES_ALLOW);
			dl_version_clear(&v);
			for (size_t i = 0; i < r->n_extras; i++)
				want[q] |= strcmp(r->extras[i], "x") == 0 ? 1u : 2u;
		}
	}
	dl_requirement_free(r);
	return ok;
}

/* Valid: with the extras reached as a fixed point, every applicable
 * requirement holds (and, for the resolver's answer, the extras it
 * activated are exactly those). */
static bool valid(const universe *u, const int *choice, const unsigned *ext_given, bool check_ext)
{
	unsigned want[NP] = {0};
	for (int i = 0; i < u->nroot; i++) {
		if (!req_ok(u->root[i], -1, 0, choice, want))
			return false;
	}
	unsigned ext[NP] = {0};
	for (int round = 0; round < 2 * NP + 2; round++) {
		memcpy(ext, want, sizeof(ext));
		for (int p = 0; p < NP; p++) {
			if (choice[p] < 0)
				continue;
			for (int k = 0; k < u->nreq[p][choice[p]]; k++) {
				if (!req_ok(u->reqs[p][choice[p]][k], p, ext[p], choice, want))
					return false;
			}
		}
	}
	if (check_ext) {
		for (int p = 0; p < NP; p++) {
			if (choice[p] >= 0 && ext[p] != ext_given[p])
				return false;
		}
	}
	return true;
}

static bool brute(const universe *u, int *choice, int p)
{
	if (p == NP)
		return valid(u, choice, NULL, false);
	for (int v = -1; v < u->nv[p]; v++) {
		choice[p] = v;
		if (brute(u, choice, p + 1))
			return true;
	}
	return false;
}

/* A random universe into *u and a new memsource: each project 1-3
 * releases with 0-3 requirements whose markers come from marks[0, nmarks),
 * 1-3 root requirements with markers from marks[0, nroot_marks), listed
 * in root as "r1 & r2" (parse_into's form). */
static dl_py_memsource *make_universe(universe *u, const char *const *marks, size_t nmarks, size_t nroot_marks,
                                      char *root, size_t rootcap)
{
	memset(u, 0, sizeof(*u));
	dl_py_memsource *ms = new_ms();
	for (int p = 0; p < NP; p++) {
		u->nv[p] = 1 + (int)rnd(NV);
		for (int v = 0; v < u->nv[p]; v++) {
			size_t k = rel(ms, PK[p], VER[v], NULL);
			u->nreq[p][v] = (int)rnd(4);
			for (int d = 0; d < u->nreq[p][v]; d++) {
				snprintf(u->reqs[p][v][d], sizeof(u->reqs[p][v][d]), "%s%s%s%s", PK[rnd(NP)], EXTRA[rnd(4)],
				         SPEC[rnd(8)], marks[rnd((unsigned)nmarks)]);
				assert_int_equal(dl_py_memsource_add_requires(ms, PK[p], k, u->reqs[p][v][d]), 0);
			}
		}
	}
	u->nroot = 1 + (int)rnd(3);
	root[0] = '\0';
	for (int i = 0; i < u->nroot; i++) {
		snprintf(u->root[i], sizeof(u->root[i]), "%s%s%s%s", PK[rnd(NP)], EXTRA[rnd(4)], SPEC[rnd(8)],
		         marks[rnd((unsigned)nroot_marks)]);
		snprintf(root + strlen(root), rootcap - strlen(root), "%s%s", i ? " & " : "", u->root[i]);
	}
	return ms;
}

static void test_random_universes(void **state)
{
	(void)state;
	int solved = 0, unsolved = 0;
	for (int iter = 0; iter < 300; iter++) {
		universe u;
		char root[512];
		dl_py_memsource *ms = make_universe(&u, MARK, 6, 3, root, sizeof(root));
		reqs r;
		parse_into(&r, root);
		dl_py_options o = DL_PY_OPTIONS_INIT;
		o.target = &target;
		o.requirements = (const dl_requirement *const *)r.r;
		o.nrequirements = r.n;
		dl_py_source src;
		dl_py_memsource_source(ms, &src);
		dl_py_result *res = NULL;
		assert_int_equal(dl_py_resolve(&res, &src, &o), 0);
		int choice[NP];
		unsigned ext[NP] = {0};
		for (int p = 0; p < NP; p++)
			choice[p] = -1;
		if (res->solved) {
			for (size_t i = 0; i < res->npins; i++) {
				int p = res->pins[i].name[1] - '0';
				for (int v = 0; v < NV; v++) {
					if (strcmp(VER[v], res->pins[i].version) == 0)
						choice[p] = v;
				}
				for (size_t k = 0; k < res->pins[i].nextras; k++)
					ext[p] |= strcmp(res->pins[i].extras[k], "x") == 0 ? 1u : 2u;
			}
			if (!valid(&u, choice, ext, true))
				fail_msg("iteration %d: invalid answer for %s", iter, root);
			solved++;
		} else {
			if (brute(&u, choice, 0))
				fail_msg("iteration %d: unsolvable per resolver, brute force finds one:\n%s", iter,
				         res->explanation);
			unsolved++;
		}
		dl_py_result_free(res);
		free_reqs(&r);
		dl_py_memsource_free(ms);
	}
	printf("random universes: %d solved, %d unsolvable (confirmed)\n", solved, unsolved);
	assert_true(solved > 30);
	assert_true(unsolved > 30);
}

/* ---- universal property test ----------------------------------------- */

static const char *const UMARK[] = {"", " ; sys_platform == 'linux'", " ; sys_platform == 'win32'",
                                    " ; sys_platform != 'linux'", " ; python_version < '3.11'",
                                    " ; python_version >= '3.11' and sys_platform == 'darwin'",
                                    " ; extra == 'x'", " ; extra == 'y'"};
#define NUMARK (sizeof(UMARK) / sizeof(UMARK[0]))

/* Concrete environments to install the universal lock into. */
static const struct {
	const char *python, *platform;
} ENVS[] = {
	{"3.9", "manylinux_2_28_x86_64"}, {"3.12", "manylinux_2_28_x86_64"}, {"3.10", "win_amd64"},
	{"3.13", "win_amd64"},            {"3.9", "macosx_11_0_arm64"},     {"3.12", "macosx_11_0_arm64"},
};
#define NENVS (sizeof(ENVS) / sizeof(ENVS[0]))

/*
 * Random universes with platform and Python markers, resolved universally
 * for Python >= 3.9.  Whenever the resolution succeeds, the lock must
 * install correctly in every environment above: the pins whose marker
 * holds there are at most one version per project and satisfy every
 * requirement (checked with marker evaluation, not with regions).  The
 * same input must give the same lock.  Unsatisfiable answers follow uv's
 * forking rule (requirements on different projects never fork), so
 * there is no brute-force check of those.
 */
static void test_random_universal(void **state)
{
	(void)state;
	dl_py_target envs[NENVS];
	for (size_t e = 0; e < NENVS; e++)
		assert_int_equal(dl_py_target_init(&envs[e], ENVS[e].python, strlen(ENVS[e].python), ENVS[e].platform), 0);
	dl_mregion *region = NULL;
	assert_int_equal(dl_mregion_parse(&region, "python_full_version >= '3.9'", 28), 0);
	int solved = 0, unsolved = 0, forked = 0, conditional = 0;
	for (int iter = 0; iter < 400; iter++) {
		universe u;
		char root[512];
		dl_py_memsource *ms = make_universe(&u, UMARK, NUMARK, 6, root, sizeof(root));
		reqs r;
		parse_into(&r, root);
		dl_py_options o = DL_PY_OPTIONS_INIT;
		o.target = &target;
		o.requirements = (const dl_requirement *const *)r.r;
		o.nrequirements = r.n;
		o.region = region;
		dl_py_source src;
		dl_py_memsource_source(ms, &src);
		dl_py_universal *res = NULL, *again = NULL;
		assert_int_equal(dl_py_resolve_universal(&res, &src, &o), 0);
		assert_int_equal(dl_py_resolve_universal(&again, &src, &o), 0);
		assert_int_equal(res->solved, again->solved);
		assert_int_equal(res->npins, again->npins);
		for (size_t i = 0; i < res->npins; i++) {
			assert_string_equal(res->pins[i].name, again->pins[i].name);
			assert_string_equal(res->pins[i].version, again->pins[i].version);
			if ((res->pins[i].marker == NULL) != (again->pins[i].marker == NULL) ||
			    (res->pins[i].marker != NULL && strcmp(res->pins[i].marker, again->pins[i].marker) != 0))
				fail_msg("iteration %d: a different marker the second time", iter);
		}
		if (res->solved) {
			solved++;
			forked += res->nforks > 1;
			for (size_t e = 0; e < NENVS; e++) {
				int choice[NP];
				for (int p = 0; p < NP; p++)
					choice[p] = -1;
				for (size_t i = 0; i < res->npins; i++) {
					const dl_py_upin *pin = &res->pins[i];
					bool here = true;
					if (pin->marker != NULL) {
						conditional += e == 0;
						dl_marker *m = NULL;
						assert_int_equal(dl_marker_parse(&m, pin->marker, strlen(pin->marker)), 0);
						assert_int_equal(dl_marker_evaluate(m, envs[e].env, &here), 0);
						dl_marker_free(m);
					}
					if (!here)
						continue;
					int p = pin->name[1] - '0';
					if (choice[p] >= 0)
						fail_msg("iteration %d (%s): two versions of %s on %s %s", iter, root, pin->name,
						         ENVS[e].python, ENVS[e].platform);
					for (int v = 0; v < NV; v++) {
						if (strcmp(VER[v], pin->version) == 0)
							choice[p] = v;
					}
				}
				check_env = envs[e].env;
				bool ok = valid(&u, choice, NULL, false);
				check_env = NULL;
				if (!ok) {
					for (int p = 0; p < NP; p++)
						for (int v = 0; v < u.nv[p]; v++)
							for (int k = 0; k < u.nreq[p][v]; k++)
								printf("  %s %s requires %s\n", PK[p], VER[v], u.reqs[p][v][k]);
					for (size_t i = 0; i < res->npins; i++)
						printf("  locked %s %s ; %s\n", res->pins[i].name, res->pins[i].version,
						       res->pins[i].marker != NULL ? res->pins[i].marker : "");
					fail_msg("iteration %d (%s): the lock does not install on Python %s %s", iter, root,
					         ENVS[e].python, ENVS[e].platform);
				}
			}
		} else {
			unsolved++;
			assert_non_null(res->explanation);
		}
		dl_py_universal_free(res);
		dl_py_universal_free(again);
		free_reqs(&r);
		dl_py_memsource_free(ms);
	}
	printf("random universal universes: %d solved (%d forked, %d markers on pins), %d unsolvable\n", solved,
	       forked, conditional, unsolved);
	assert_true(solved > 30);
	assert_true(forked > 10);
	assert_true(unsolved > 10);
	dl_mregion_free(region);
	for (size_t e = 0; e < NENVS; e++)
		dl_py_target_clear(&envs[e]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prerelease_modes),
		cmocka_unit_test(test_strategies),
		cmocka_unit_test(test_constraints_and_overrides),
		cmocka_unit_test(test_preferences),
		cmocka_unit_test(test_yanked),
		cmocka_unit_test(test_binary_policy),
		cmocka_unit_test(test_extras),
		cmocka_unit_test(test_markers_and_python),
		cmocka_unit_test(test_why_and_determinism),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_direct_urls),
		cmocka_unit_test(test_alloc_failures),
		cmocka_unit_test(test_prefetch_policy),
		cmocka_unit_test(test_random_universes),
		cmocka_unit_test(test_random_universal),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
