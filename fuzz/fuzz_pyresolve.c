/*
 * fuzz_pyresolve.c - libFuzzer target for the Python resolution layer on
 * untrusted metadata.
 *
 * The input is a tiny universe, one item per line:
 *   "name version"      a release (later lines belong to it)
 *   " requirement"      a Requires-Dist line of the current release (any
 *                       bytes: metadata from an index is untrusted)
 *   "@filename|rp"      a file of the current release, with an optional
 *                       requires-python after '|'
 *   "!requirement"      a root requirement (skipped when it does not parse)
 * It is resolved twice for CPython 3.12 on Linux.  Invariants, each
 * checked with abort():
 *  - a negative return is only ever DL_ENOMEM or DL_EUNSUPPORTED (a direct
 *    URL at the root), never a crash or another failure;
 *  - both runs give the same answer (pins or explanation text);
 *  - a solution pins real releases, and every requirement of each pin whose
 *    marker holds (with the pin's extras) names a pinned project at an
 *    admitted version with the extras asked for, except a project's plain
 *    requirement on itself, which the resolver ignores;
 *  - no solution comes with a non-empty explanation.
 * Then the same universe is resolved universally (every environment with
 * Python 3.9 or later), twice:
 *  - a negative return is only DL_ENOMEM, DL_EUNSUPPORTED or DL_ELIMIT;
 *  - both runs give the same lock (pins, versions, markers);
 *  - a solved lock installs in the target: the pins whose marker holds
 *    there are one version per project, and every requirement of the root
 *    and of each of them that holds there (with the extras the installed
 *    requirements ask for, to a fixed point) is met by them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/pyresolve.h"
#include "deeplock/requirement.h"

#define MAX_INPUT 4096
#define MAX_ROOT 8

static dl_py_target target;
static bool target_ready;

static const dl_py_pin *find(const dl_py_result *r, const char *name)
{
	for (size_t i = 0; i < r->npins; i++) {
		if (strcmp(r->pins[i].name, name) == 0)
			return &r->pins[i];
	}
	return NULL;
}

static void check_req(const dl_py_result *r, const dl_requirement *q, const dl_py_pin *self)
{
	const char *const *ex = self != NULL ? self->extras : NULL;
	size_t nx = self != NULL ? self->nextras : 0;
	bool on = true;
	if (dl_marker_evaluate_extras(q->marker, target.env, ex, nx, &on) != 0) {
		dl_error_clear();
		on = false;
	}
	if (!on)
		return;
	if (self != NULL && strcmp(q->normalized_name, self->name) == 0 && q->n_extras == 0 &&
	    !dl_marker_mentions_extra(q->marker))
		return;
	const dl_py_pin *p = find(r, q->normalized_name);
	if (p == NULL)
		abort();
	dl_version v;
	if (dl_version_parse_into(&v, p->version, strlen(p->version)) != 0)
		abort();
	bool ok = dl_specset_contains(q->specifier, &v, DL_PRERELEASES_ALLOW);
	dl_version_clear(&v);
	if (!ok)
		abort();
	for (size_t i = 0; i < q->n_extras; i++) {
		bool has = false;
		for (size_t k = 0; k < p->nextras && !has; k++)
			has = strcmp(p->extras[k], q->extras[i]) == 0;
		if (!has)
			abort();
	}
}

static void check(const dl_py_memsource *ms, const dl_py_result *r, dl_requirement *const *root, size_t nroot)
{
	if (!r->solved) {
		if (r->explanation == NULL || r->explanation[0] == '\0')
			abort();
		return;
	}
	for (size_t i = 0; i < nroot; i++)
		check_req(r, root[i], NULL);
	for (size_t i = 0; i < r->npins; i++) {
		const dl_py_pin *p = &r->pins[i];
		const dl_py_project *proj = dl_py_memsource_project(ms, p->name);
		if (proj == NULL || p->release >= proj->nreleases ||
		    strcmp(proj->releases[p->release].version_text, p->version) != 0)
			abort();
		const dl_py_meta *m = dl_py_memsource_meta(ms, p->name, p->release);
		for (size_t k = 0; k < m->nrequires_dist; k++) {
			dl_requirement *q = NULL;
			if (dl_requirement_parse(&q, m->requires_dist[k], strlen(m->requires_dist[k])) != 0)
				abort(); /* a release with a bad line is unusable, so never pinned */
			check_req(r, q, p);
			dl_requirement_free(q);
		}
	}
}

static bool same(const dl_py_result *a, const dl_py_result *b)
{
	if (a->solved != b->solved || a->npins != b->npins)
		return false;
	if (!a->solved)
		return strcmp(a->explanation, b->explanation) == 0;
	for (size_t i = 0; i < a->npins; i++) {
		if (strcmp(a->pins[i].name, b->pins[i].name) != 0 || strcmp(a->pins[i].version, b->pins[i].version) != 0 ||
		    a->pins[i].nextras != b->pins[i].nextras || a->pins[i].nwhy != b->pins[i].nwhy)
			return false;
	}
	return true;
}

/* ---- universal ------------------------------------------------------- */

#define MAX_UPINS 64
#define MAX_UEXTRAS 8

typedef struct installed {
	const dl_py_upin *pin[MAX_UPINS];
	char wantbuf[MAX_UPINS][MAX_UEXTRAS][64]; /* extras asked for, normal form */
	const char *want[MAX_UPINS][MAX_UEXTRAS]; /* pointing into wantbuf */
	size_t nwant[MAX_UPINS];
	size_t n;
} installed;

static int inst_find(const installed *in, const char *name)
{
	for (size_t i = 0; i < in->n; i++) {
		if (strcmp(in->pin[i]->name, name) == 0)
			return (int)i;
	}
	return -1;
}

/* Requirement q of requirer (extras ex) in the target: check it is met;
 * record the extras it asks for.  *grew when a new extra was recorded. */
static void inst_req(installed *in, const dl_requirement *q, const char *self, const char *const *ex, size_t nx,
                     bool *grew)
{
	bool on = true;
	if (dl_marker_evaluate_extras(q->marker, target.env, ex, nx, &on) != 0) {
		dl_error_clear();
		on = false;
	}
	if (!on)
		return;
	if (self != NULL && strcmp(q->normalized_name, self) == 0 && q->n_extras == 0 &&
	    !dl_marker_mentions_extra(q->marker))
		return;
	int k = inst_find(in, q->normalized_name);
	if (k < 0)
		abort();
	dl_version v;
	if (dl_version_parse_into(&v, in->pin[k]->version, strlen(in->pin[k]->version)) != 0)
		abort();
	bool ok = dl_specset_contains(q->specifier, &v, DL_PRERELEASES_ALLOW);
	dl_version_clear(&v);
	if (!ok)
		abort();
	for (size_t e = 0; e < q->n_extras; e++) {
		bool has = false;
		for (size_t j = 0; j < in->nwant[k] && !has; j++)
			has = strcmp(in->want[k][j], q->extras[e]) == 0;
		if (!has && in->nwant[k] < MAX_UEXTRAS && strlen(q->extras[e]) < sizeof(in->wantbuf[k][0])) {
			char *slot = in->wantbuf[k][in->nwant[k]];
			snprintf(slot, sizeof(in->wantbuf[k][0]), "%s", q->extras[e]);
			in->want[k][in->nwant[k]++] = slot;
			*grew = true;
		}
	}
}

static void check_universal(const dl_py_memsource *ms, const dl_py_universal *u, dl_requirement *const *root,
                            size_t nroot)
{
	if (!u->solved) {
		if (u->explanation == NULL)
			abort();
		return;
	}
	installed *in = calloc(1, sizeof(*in));
	if (in == NULL)
		return;
	for (size_t i = 0; i < u->npins; i++) {
		const dl_py_upin *p = &u->pins[i];
		bool here = true;
		if (p->marker != NULL) {
			dl_marker *m = NULL;
			if (dl_marker_parse(&m, p->marker, strlen(p->marker)) != 0)
				abort(); /* deeplock must write markers it can read */
			if (dl_marker_evaluate(m, target.env, &here) != 0) {
				dl_error_clear();
				here = true; /* an opaque comparison: assume it holds */
			}
			dl_marker_free(m);
		}
		if (!here)
			continue;
		if (inst_find(in, p->name) >= 0)
			abort(); /* two versions of one project in one environment */
		if (in->n == MAX_UPINS) {
			free(in);
			return;
		}
		in->pin[in->n++] = p;
	}
	/* the extras asked for, then every requirement checked */
	bool grew = true;
	for (int round = 0; grew && round < 2 * MAX_UPINS; round++) {
		grew = false;
		for (size_t i = 0; i < nroot; i++)
			inst_req(in, root[i], NULL, NULL, 0, &grew);
		for (size_t i = 0; i < in->n; i++) {
			const dl_py_upin *p = in->pin[i];
			const dl_py_project *proj = dl_py_memsource_project(ms, p->name);
			size_t rel = SIZE_MAX;
			for (size_t k = 0; proj != NULL && k < proj->nreleases && rel == SIZE_MAX; k++) {
				if (strcmp(proj->releases[k].version_text, p->version) == 0)
					rel = k;
			}
			if (rel == SIZE_MAX)
				abort();
			const dl_py_meta *m = dl_py_memsource_meta(ms, p->name, rel);
			for (size_t k = 0; k < m->nrequires_dist; k++) {
				dl_requirement *q = NULL;
				if (dl_requirement_parse(&q, m->requires_dist[k], strlen(m->requires_dist[k])) != 0)
					abort();
				inst_req(in, q, p->name, in->want[i], in->nwant[i], &grew);
				dl_requirement_free(q);
			}
		}
	}
	free(in);
}

static bool same_universal(const dl_py_universal *a, const dl_py_universal *b)
{
	if (a->solved != b->solved || a->npins != b->npins)
		return false;
	if (!a->solved)
		return strcmp(a->explanation, b->explanation) == 0;
	for (size_t i = 0; i < a->npins; i++) {
		const dl_py_upin *x = &a->pins[i], *y = &b->pins[i];
		if (strcmp(x->name, y->name) != 0 || strcmp(x->version, y->version) != 0 ||
		    (x->marker == NULL) != (y->marker == NULL) || (x->marker != NULL && strcmp(x->marker, y->marker) != 0))
			return false;
	}
	return true;
}

static void run_universal(const dl_py_memsource *ms, dl_py_memsource *msm, dl_requirement *const *root, size_t nroot)
{
	static dl_mregion *region;
	if (region == NULL && dl_mregion_parse(&region, "python_full_version >= '3.9'", 28) != 0)
		abort();
	dl_py_options o = DL_PY_OPTIONS_INIT;
	o.target = &target;
	o.requirements = (const dl_requirement *const *)root;
	o.nrequirements = nroot;
	o.region = region;
	dl_py_source src;
	dl_py_memsource_source(msm, &src);
	dl_py_universal *a = NULL, *b = NULL;
	int rc = dl_py_resolve_universal(&a, &src, &o);
	if (rc != 0 && rc != DL_ENOMEM && rc != DL_EUNSUPPORTED && rc != DL_ELIMIT)
		abort();
	if (rc == 0) {
		if (dl_py_resolve_universal(&b, &src, &o) != 0 || !same_universal(a, b))
			abort();
		check_universal(ms, a, root, nroot);
	}
	dl_error_clear();
	dl_py_universal_free(a);
	dl_py_universal_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_INPUT)
		return 0;
	if (!target_ready) {
		if (dl_py_target_init(&target, "3.12", 4, NULL) != 0)
			abort();
		target_ready = true;
	}
	char *text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	dl_py_memsource *ms = NULL;
	if (dl_py_memsource_new(&ms) != 0)
		abort();
	dl_requirement *root[MAX_ROOT];
	size_t nroot = 0;
	char cur_name[64] = "";
	size_t cur = 0;
	bool have = false;
	char *save = text;
	while (save != NULL) {
		char *line = save;
		char *nl = strchr(line, '\n');
		save = nl != NULL ? nl + 1 : NULL;
		if (nl != NULL)
			*nl = '\0';
		if (line[0] == '!') {
			if (nroot < MAX_ROOT && dl_requirement_parse(&root[nroot], line + 1, strlen(line + 1)) == 0)
				nroot++;
			dl_error_clear();
		} else if (line[0] == ' ') {
			if (have && dl_py_memsource_add_requires(ms, cur_name, cur, line + 1) != 0)
				abort();
		} else if (line[0] == '@') {
			char *bar = strchr(line, '|');
			if (bar != NULL)
				*bar = '\0';
			if (have && line[1] != '\0' &&
			    dl_py_memsource_add_file(ms, cur_name, cur, line + 1, bar != NULL ? bar + 1 : NULL, false) != 0)
				abort();
		} else {
			char *sp = strchr(line, ' ');
			if (sp == NULL || (size_t)(sp - line) >= sizeof(cur_name))
				continue;
			*sp = '\0';
			size_t k = 0;
			if (dl_py_memsource_add_release(ms, line, sp + 1, &k) == 0) {
				snprintf(cur_name, sizeof(cur_name), "%s", line);
				cur = k;
				have = true;
			}
			dl_error_clear();
		}
	}
	dl_py_options o = DL_PY_OPTIONS_INIT;
	o.target = &target;
	o.requirements = (const dl_requirement *const *)root;
	o.nrequirements = nroot;
	dl_py_source src;
	dl_py_memsource_source(ms, &src);
	dl_py_result *a = NULL, *b = NULL;
	int rc = dl_py_resolve(&a, &src, &o);
	if (rc != 0 && rc != DL_ENOMEM && rc != DL_EUNSUPPORTED)
		abort();
	if (rc == 0) {
		if (dl_py_resolve(&b, &src, &o) != 0)
			abort();
		if (!same(a, b))
			abort();
		check(ms, a, root, nroot);
	}
	dl_py_result_free(a);
	dl_py_result_free(b);
	run_universal(ms, ms, root, nroot);
	for (size_t i = 0; i < nroot; i++)
		dl_requirement_free(root[i]);
	dl_py_memsource_free(ms);
	free(text);
	return 0;
}
