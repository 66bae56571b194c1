/*
 * audit.c - another tool's lock file, audited (rules in audit.h).
 *
 * Design.  The lock engine does the heavy part: the audited pins become
 * its roots and it resolves every build environment an installer would
 * create for them.  The audit wraps the resolver it is given so that
 * "which wheels may the installer use" honours the audited lock's own file
 * list (with --require-hashes, pip can only install listed files), then
 * turns the engine's result and the lock's own content into findings.  The
 * index is asked separately for yanked flags and, with several indexes,
 * for which of them offer each project.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/audit.h"
#include "deeplock/name.h"
#include "deeplock/version.h"

struct dl_audit {
	dl_arena *a;
	dl_lock_result *res;
	dl_audit_finding *f;
	size_t n, cap;
	dl_audit_summary sum;
};

typedef struct wrap {
	const dl_lock_resolver *inner;
	const dl_lockfile *lock;
} wrap;

const char *dl_audit_severity_name(dl_audit_severity s)
{
	switch (s) {
	case DL_AUDIT_ERROR:
		return "error";
	case DL_AUDIT_WARNING:
		return "warning";
	case DL_AUDIT_NOTE:
		return "note";
	}
	return "note";
}

static dl_audit_finding *add(dl_audit *au, const char *rule, dl_audit_severity sev, const char *pkg,
                             const char *version, const char *message, dl_lockfile_pos pos)
{
	if (message == NULL)
		return NULL;
	if (au->n == au->cap) {
		size_t cap = au->cap ? au->cap * 2 : 16;
		if (dl_realloc_array((void **)&au->f, cap, sizeof(*au->f)) != 0)
			return NULL;
		au->cap = cap;
	}
	dl_audit_finding *f = &au->f[au->n++];
	memset(f, 0, sizeof(*f));
	f->rule = rule;
	f->severity = sev;
	f->package = pkg;
	f->version = version;
	f->message = message;
	f->pos = pos;
	if (sev == DL_AUDIT_ERROR)
		au->sum.errors++;
	else if (sev == DL_AUDIT_WARNING)
		au->sum.warnings++;
	else
		au->sum.notes++;
	return f;
}

size_t dl_audit_edit_distance(const char *a, const char *b, size_t cap)
{
	size_t n = strlen(a), m = strlen(b);
	if ((n > m ? n - m : m - n) > cap || n > 126 || m > 126)
		return cap + 1;
	size_t d[128][128];
	for (size_t i = 0; i <= n; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= n; i++) {
		size_t row_min = SIZE_MAX;
		for (size_t j = 1; j <= m; j++) {
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
			if (v < row_min)
				row_min = v;
		}
		if (row_min > cap)
			return cap + 1;
	}
	return d[n][m] > cap ? cap + 1 : d[n][m];
}

/* ------------------------------------------------------------------ */
/* The wrapped resolver                                                 */

static const dl_lockfile_package *lock_pkg(const dl_lockfile *l, const char *name)
{
	for (size_t i = 0; i < l->n_packages; i++)
		if (strcmp(l->packages[i].normalized_name, name) == 0)
			return &l->packages[i];
	return NULL;
}

static int w_resolve(void *ctx, const char *const *reqs, size_t n, const char *what, const dl_lock_pin **pins,
                     size_t *n_pins)
{
	wrap *w = ctx;
	return w->inner->resolve(w->inner->ctx, reqs, n, what, pins, n_pins);
}

static bool w_wheel_usable(void *ctx, const char *name, const dl_client_file *f)
{
	wrap *w = ctx;
	if (!w->inner->wheel_usable(w->inner->ctx, name, f))
		return false;
	const dl_lockfile_package *p = lock_pkg(w->lock, name);
	bool named = false;
	for (size_t i = 0; p != NULL && i < p->n_files; i++)
		if (p->files[i].filename != NULL) {
			named = true;
			if (strcmp(p->files[i].filename, f->file->filename) == 0)
				return true;
		}
	/* A lock that names its files: only those can be installed. */
	return !named;
}

static bool w_no_binary(void *ctx, const char *name)
{
	wrap *w = ctx;
	return w->inner->no_binary != NULL && w->inner->no_binary(w->inner->ctx, name);
}

static void w_hint(void *ctx, const char *const *reqs, size_t n)
{
	wrap *w = ctx;
	if (w->inner->hint != NULL)
		w->inner->hint(w->inner->ctx, reqs, n);
}

/* ------------------------------------------------------------------ */
/* Paths through the audited lock's own dependency edges                */

static const char *lock_path(dl_audit *au, const dl_lockfile *l, const char *name)
{
	const char *chain[32];
	size_t n = 0;
	const char *cur = name;
	while (cur != NULL && n < 32) {
		chain[n++] = cur;
		const char *parent = NULL;
		for (size_t i = 0; i < l->n_packages && parent == NULL; i++) {
			const dl_lockfile_package *p = &l->packages[i];
			for (size_t d = 0; d < p->n_deps; d++) {
				if (p->deps[d].normalized_name != NULL && strcmp(p->deps[d].normalized_name, cur) == 0) {
					parent = p->normalized_name;
					break;
				}
			}
		}
		for (size_t k = 0; parent != NULL && k < n; k++)
			if (strcmp(chain[k], parent) == 0)
				parent = NULL; /* a dependency cycle in the lock */
		cur = parent;
	}
	dl_buf b = DL_BUF_INIT;
	dl_buf_puts(&b, "<project>");
	while (n > 0) {
		const dl_lockfile_package *p = lock_pkg(l, chain[--n]);
		dl_buf_printf(&b, " -> %s==%s", chain[n], p != NULL && p->version != NULL ? p->version : "?");
	}
	char *s = b.failed ? NULL : dl_arena_strndup(au->a, b.ptr, b.len);
	dl_buf_free(&b);
	return s;
}

/* ------------------------------------------------------------------ */
/* Findings                                                             */

static bool source_from_index(const dl_lockfile_package *p)
{
	return p->source.kind == DL_LOCKFILE_SOURCE_REGISTRY || p->source.kind == DL_LOCKFILE_SOURCE_UNKNOWN;
}

static int hygiene(dl_audit *au, const dl_lockfile *l)
{
	for (size_t i = 0; i < l->n_packages; i++) {
		const dl_lockfile_package *p = &l->packages[i];
		if (p->root || p->source.kind == DL_LOCKFILE_SOURCE_VIRTUAL)
			continue;
		if (p->source.kind == DL_LOCKFILE_SOURCE_VCS && p->source.commit == NULL) {
			if (add(au, DL_AUDIT_RULE_UNPINNED, DL_AUDIT_ERROR, p->normalized_name, p->version,
			        dl_arena_printf(au->a, "%s comes from %s without a commit: every install may get different code",
			                p->normalized_name, p->source.url != NULL ? p->source.url : "a repository"),
			        p->pos) == NULL)
				return dl_error_oom();
			continue;
		}
		if (p->source.kind == DL_LOCKFILE_SOURCE_DIRECTORY) {
			if (add(au, DL_AUDIT_RULE_UNPINNED, DL_AUDIT_WARNING, p->normalized_name, p->version,
			        dl_arena_printf(au->a, "%s is a local directory (%s): it is built from whatever the directory holds",
			                p->normalized_name, p->source.path != NULL ? p->source.path : "?"),
			        p->pos) == NULL)
				return dl_error_oom();
			continue;
		}
		if (p->version == NULL && source_from_index(p)) {
			if (add(au, DL_AUDIT_RULE_UNPINNED, DL_AUDIT_ERROR, p->normalized_name, NULL,
			        dl_arena_printf(au->a, "%s has no pinned version", p->normalized_name), p->pos) == NULL)
				return dl_error_oom();
		}
		size_t hashes = 0;
		for (size_t k = 0; k < p->n_files; k++)
			hashes += p->files[k].n_hashes;
		if (hashes == 0 && p->source.kind != DL_LOCKFILE_SOURCE_DIRECTORY) {
			if (add(au, DL_AUDIT_RULE_NO_HASH, DL_AUDIT_ERROR, p->normalized_name, p->version,
			        dl_arena_printf(au->a, "%s %s has no hash in the lock: any file with that name and version would be "
			                       "installed", p->normalized_name, p->version != NULL ? p->version : ""),
			        p->pos) == NULL)
				return dl_error_oom();
		}
	}
	return 0;
}

static int typosquat(dl_audit *au, const dl_audit_opts *o)
{
	const dl_lockfile *l = o->lock;
	for (size_t i = 0; i < l->n_packages; i++) {
		const char *name = l->packages[i].normalized_name;
		bool popular = false;
		for (size_t k = 0; k < o->n_popular && !popular; k++)
			popular = strcmp(o->popular[k], name) == 0;
		if (popular || strlen(name) < 4)
			continue;
		for (size_t k = 0; k < o->n_popular; k++) {
			if (dl_audit_edit_distance(name, o->popular[k], 1) <= 1) {
				if (add(au, DL_AUDIT_RULE_TYPOSQUAT, DL_AUDIT_WARNING, name, l->packages[i].version,
				        dl_arena_printf(au->a, "%s is one edit away from the very popular %s, but is not it: check it is "
				                       "the project you meant",
				                name, o->popular[k]),
				        l->packages[i].pos) == NULL)
					return dl_error_oom();
				break;
			}
		}
	}
	return 0;
}

typedef struct ask {
	bool done;
	int rc;
	const dl_client_project *p;
} ask;

static void on_project(dl_client *c, const dl_client_project *p, int rc, void *user)
{
	(void)c;
	ask *a = user;
	a->done = true;
	a->rc = rc;
	a->p = p;
}

/* Ask `c` for every index-sourced package at once; answers in asks[]. */
static int ask_all(dl_client *c, const dl_lockfile *l, ask *asks)
{
	size_t outstanding = 0;
	for (size_t i = 0; i < l->n_packages; i++) {
		asks[i] = (ask){false, 0, NULL};
		if (!source_from_index(&l->packages[i]) || l->packages[i].root)
			continue;
		if (dl_client_project_get(c, l->packages[i].normalized_name, on_project, &asks[i]) == 0)
			outstanding++;
		else
			asks[i].done = true;
	}
	for (size_t i = 0; i < l->n_packages; i++) {
		if (asks[i].done)
			continue;
		int rc = dl_client_wait(c, &asks[i].done);
		if (rc != 0)
			return rc;
	}
	(void)outstanding;
	return 0;
}

/* Does the project page offer `version`? */
static bool offered(const ask *a, const char *version)
{
	if (a->p == NULL || !a->p->found)
		return false;
	dl_version v;
	if (dl_version_parse_into(&v, version, strlen(version)) != 0) {
		dl_error_clear();
		return false;
	}
	bool found = false;
	for (size_t k = 0; k < a->p->n_files && !found; k++)
		found = dl_version_cmp(&a->p->files[k].version, &v) == 0;
	dl_version_clear(&v);
	return found;
}

static int yanked(dl_audit *au, const dl_audit_opts *o, ask *asks)
{
	const dl_lockfile *l = o->lock;
	for (size_t i = 0; i < l->n_packages; i++) {
		const dl_lockfile_package *p = &l->packages[i];
		if (asks[i].p == NULL || p->version == NULL)
			continue;
		dl_version v;
		if (dl_version_parse_into(&v, p->version, strlen(p->version)) != 0) {
			dl_error_clear();
			continue;
		}
		size_t files = 0, gone = 0;
		const char *reason = NULL;
		for (size_t k = 0; k < asks[i].p->n_files; k++) {
			const dl_client_file *f = &asks[i].p->files[k];
			if (dl_version_cmp(&f->version, &v) != 0)
				continue;
			files++;
			if (f->file->yanked) {
				gone++;
				if (f->file->yanked_reason != NULL)
					reason = f->file->yanked_reason;
			}
		}
		dl_version_clear(&v);
		if (files > 0 && gone == files &&
		    add(au, DL_AUDIT_RULE_YANKED, DL_AUDIT_ERROR, p->normalized_name, p->version,
		        dl_arena_printf(au->a, "%s %s is yanked on the index%s%s%s", p->normalized_name, p->version,
		                reason != NULL ? " (\"" : "", reason != NULL ? reason : "", reason != NULL ? "\")" : ""),
		        p->version_pos) == NULL)
			return dl_error_oom();
	}
	return 0;
}

static int confusion(dl_audit *au, const dl_audit_opts *o)
{
	const dl_lockfile *l = o->lock;
	if (o->n_index_clients < 2)
		return 0;
	ask *asks = dl_calloc(o->n_index_clients * (l->n_packages + 1), sizeof(*asks));
	if (asks == NULL)
		return dl_error_oom();
	int rc = 0;
	for (size_t k = 0; k < o->n_index_clients && rc == 0; k++)
		rc = ask_all(o->index_clients[k], l, asks + k * (l->n_packages + 1));
	for (size_t i = 0; i < l->n_packages && rc == 0; i++) {
		dl_buf where = DL_BUF_INIT;
		size_t found = 0;
		for (size_t k = 0; k < o->n_index_clients; k++) {
			const ask *a = &asks[k * (l->n_packages + 1) + i];
			if (a->p != NULL && a->p->found) {
				dl_buf_printf(&where, "%s%s", found > 0 ? " and " : "", o->index_urls[k]);
				found++;
			}
		}
		if (found > 1 && add(au, DL_AUDIT_RULE_CONFUSION, DL_AUDIT_ERROR, l->packages[i].normalized_name,
		                     l->packages[i].version,
		                     dl_arena_printf(au->a, "%s is offered by %s: an installer merging indexes may take it from "
		                                    "either (dependency confusion)",
		                             l->packages[i].normalized_name, where.ptr),
		                     l->packages[i].pos) == NULL)
			rc = dl_error_oom();
		dl_buf_free(&where);
	}
	dl_free(asks);
	return rc;
}

static const dl_lockfile_pos NOPOS = {0, 0};

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int build_findings(dl_audit *au, const dl_audit_opts *o)
{
	const dl_lock *lk = dl_lock_result_lock(au->res);
	const dl_lock_report *rep = dl_lock_result_report(au->res);
	au->sum.build_envs = rep->envs;
	au->sum.build_pins = rep->build_only;
	for (size_t i = 0; i < lk->n_packages; i++) {
		const dl_lock_pkg *p = &lk->packages[i];
		if (!p->builds_from_source)
			continue;
		au->sum.builders++;
		const dl_lockfile_package *lp = lock_pkg(o->lock, p->name);
		const dl_lock_env *env = NULL;
		for (size_t e = 0; p->build_env != NULL && e < lk->n_envs; e++)
			if (strcmp(lk->envs[e].id, p->build_env) == 0)
				env = &lk->envs[e];
		dl_audit_finding *f;
		if (env == NULL) {
			f = add(au, DL_AUDIT_RULE_BUILD_UNPINNED, DL_AUDIT_ERROR, p->name, p->version,
			        dl_arena_printf(au->a, "%s %s runs code at install time: it has %s", p->name, p->version,
			                p->sdist != NULL ? "no usable wheel for the target" : "no usable wheel and no sdist"),
			        lp != NULL ? lp->pos : NOPOS);
		} else {
			f = add(au, DL_AUDIT_RULE_BUILD_UNPINNED, DL_AUDIT_ERROR, p->name, p->version,
			        dl_arena_printf(au->a, "%s %s is built from its sdist at install time; its build environment (%s: %zu "
			                       "packages) is resolved fresh, unpinned and unhashed, on every install",
			                p->name, p->version, env->id, env->n_packages),
			        lp != NULL ? lp->pos : NOPOS);
			const char **list = f != NULL ? dl_arena_calloc(au->a, env->n_packages + 1, sizeof(*list)) : NULL;
			for (size_t k = 0; list != NULL && k < env->n_packages; k++) {
				const dl_lock_pkg *q = &env->packages[k];
				const dl_lockfile_package *same = lock_pkg(o->lock, q->name);
				bool runtime_pin = same != NULL && same->version != NULL && strcmp(same->version, q->version) == 0;
				list[k] = dl_arena_printf(au->a, "%s==%s%s%s", q->name, q->version,
				                  q->builds_from_source ? " (built from source too)" : "",
				                  runtime_pin ? " (the lock pins it for runtime only)" : "");
				if (list[k] == NULL)
					return dl_error_oom();
			}
			if (list != NULL && env->n_packages > 1)
				qsort(list, env->n_packages, sizeof(*list), cmp_cstr);
			if (f != NULL) {
				f->unpinned = list;
				f->n_unpinned = env->n_packages;
			}
		}
		if (f == NULL)
			return dl_error_oom();
		f->path = lock_path(au, o->lock, p->name);
	}
	for (size_t e = 0; e < lk->n_envs; e++) {
		for (size_t k = 0; k < lk->envs[e].n_packages; k++) {
			const dl_lock_pkg *q = &lk->envs[e].packages[k];
			if (!q->builds_from_source)
				continue;
			if (add(au, DL_AUDIT_RULE_BUILD_SDIST, DL_AUDIT_ERROR, q->name, q->version,
			        dl_arena_printf(au->a, "%s %s, a build requirement in %s (for %s), is itself built from source: code "
			                       "that builds code",
			                q->name, q->version, lk->envs[e].id,
			                lk->envs[e].n_builds > 0 ? lk->envs[e].builds[0] : "?"),
			        NOPOS) == NULL)
				return dl_error_oom();
		}
	}
	for (size_t i = 0; i < lk->n_notes; i++) {
		const char *n = lk->notes[i];
		bool cycle = strncmp(n, "build cycle", 11) == 0;
		bool nohash = strstr(n, "has no sha256 on its index") != NULL;
		if (nohash)
			continue; /* about the index, not the audited lock */
		if (add(au, cycle ? DL_AUDIT_RULE_BUILD_CYCLE : DL_AUDIT_RULE_BUILD_UNKNOWABLE, DL_AUDIT_WARNING, NULL, NULL,
		        dl_arena_printf(au->a, "%s", n), NOPOS) == NULL)
			return dl_error_oom();
	}
	return 0;
}

static int cmp_finding(const void *a, const void *b)
{
	const dl_audit_finding *x = a, *y = b;
	if (x->severity != y->severity)
		return (int)x->severity - (int)y->severity;
	int r = strcmp(x->rule, y->rule);
	if (r != 0)
		return r;
	r = strcmp(x->package != NULL ? x->package : "", y->package != NULL ? y->package : "");
	return r != 0 ? r : strcmp(x->message, y->message);
}

int dl_audit_run(dl_audit **out, const dl_audit_opts *o)
{
	if (o == NULL || o->version != DL_AUDIT_OPTS_VERSION || o->lock == NULL || o->client == NULL ||
	    o->resolver == NULL)
		return dl_error_set(DL_EINVAL, "dl_audit_run: incomplete options");
	dl_audit *au = dl_calloc(1, sizeof *au);
	if (au == NULL || dl_arena_new(&au->a) != 0) {
		dl_free(au);
		return dl_error_oom();
	}
	const dl_lockfile *l = o->lock;
	au->sum.packages = l->n_packages;
	int rc = hygiene(au, l);
	if (rc == 0)
		rc = typosquat(au, o);
	ask *asks = rc == 0 ? dl_calloc(l->n_packages + 1, sizeof(*asks)) : NULL;
	if (rc == 0 && asks == NULL)
		rc = dl_error_oom();
	if (rc == 0)
		rc = ask_all(o->client, l, asks);
	if (rc == 0)
		rc = yanked(au, o, asks);
	/* Roots: every index-sourced pin the index offers. */
	const char **roots = rc == 0 ? dl_arena_calloc(au->a, l->n_packages + 1, sizeof(*roots)) : NULL;
	size_t nr = 0;
	if (rc == 0 && roots == NULL)
		rc = dl_error_oom();
	for (size_t i = 0; i < l->n_packages && rc == 0; i++) {
		const dl_lockfile_package *p = &l->packages[i];
		if (p->root || !source_from_index(p) || p->version == NULL || !p->version_valid)
			continue;
		if (!offered(&asks[i], p->version)) {
			const char *what = asks[i].p == NULL || !asks[i].p->found ? "the project" : "that version";
			if (add(au, DL_AUDIT_RULE_MISSING, DL_AUDIT_ERROR, p->normalized_name, p->version,
			        dl_arena_printf(au->a, "%s %s: %s is not on the configured index, so it was left out of the build "
			                       "analysis; an installer would fail or find it elsewhere",
			                p->normalized_name, p->version, what),
			        p->pos) == NULL)
				rc = dl_error_oom();
			continue;
		}
		roots[nr] = p->marker != NULL ? dl_arena_printf(au->a, "%s==%s ; %s", p->normalized_name, p->version, p->marker)
		                              : dl_arena_printf(au->a, "%s==%s", p->normalized_name, p->version);
		if (roots[nr++] == NULL)
			rc = dl_error_oom();
	}
	dl_free(asks);
	if (rc == 0)
		rc = confusion(au, o);
	if (rc == 0) {
		wrap w = {o->resolver, l};
		dl_lock_resolver rv = {&w, w_resolve, w_wheel_usable, w_no_binary, w_hint};
		dl_lock_opts lo = DL_LOCK_OPTS_INIT;
		lo.client = o->client;
		lo.resolver = &rv;
		lo.roots = roots;
		lo.n_roots = nr;
		lo.requires_python = l->requires_python;
		int lrc = dl_lock_run(&au->res, &lo);
		if (lrc == DL_ENOTFOUND) {
			/* The pins do not install for the target, or a build cannot be
			 * resolved: a finding, with the explanation. */
			if (add(au, DL_AUDIT_RULE_UNRESOLVABLE, DL_AUDIT_ERROR, NULL, NULL,
			        dl_arena_printf(au->a, "%s", dl_error_last()->message), NOPOS) == NULL)
				rc = dl_error_oom();
			au->res = NULL;
		} else {
			rc = lrc;
		}
	}
	if (rc == 0 && au->res != NULL)
		rc = build_findings(au, o);
	if (rc != 0) {
		dl_audit_free(au);
		return rc;
	}
	if (au->n > 1)
		qsort(au->f, au->n, sizeof(*au->f), cmp_finding);
	*out = au;
	return 0;
}

void dl_audit_free(dl_audit *au)
{
	if (au == NULL)
		return;
	dl_lock_result_free(au->res);
	dl_free(au->f);
	dl_arena_free(au->a);
	dl_free(au);
}

const dl_audit_finding *dl_audit_findings(const dl_audit *au, size_t *n)
{
	*n = au->n;
	return au->f;
}

const dl_audit_summary *dl_audit_get_summary(const dl_audit *au)
{
	return &au->sum;
}

const dl_lock_result *dl_audit_lock_result(const dl_audit *au)
{
	return au->res;
}
