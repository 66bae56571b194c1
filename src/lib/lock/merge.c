/*
 * merge.c - one lock for several target environments.
 *
 * Each target is resolved on its own (the engine run once per target, with
 * that target's markers, tags and Python), and the results are merged here:
 * a package (name, version, build environment) that every target locks is
 * written once without a marker; one that only some targets lock gets the
 * marker "target A or target B", so an installer on any listed environment
 * installs exactly what that environment's own resolution chose.  Build
 * environments are merged by id when their pins agree; when targets pin the
 * same requirement set differently (a build dependency with a marker), each
 * variant gets its own id with a "-<target number>" suffix, and the packages
 * that build in it point to the right one.  The result is an ordinary
 * dl_lock, written by the same writers.
 */
#include <string.h>

#include "deeplock/lock.h"

struct dl_lock_merged {
	dl_arena *a;
	dl_lock lock;
};

static char *copy(dl_arena *a, const char *s)
{
	return s != NULL ? dl_arena_strndup(a, s, strlen(s)) : NULL;
}

/* Do two package sets hold the same name==version pairs? */
static bool same_pins(const dl_lock_pkg *a, size_t na, const dl_lock_pkg *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++) {
		bool found = false;
		for (size_t j = 0; j < nb && !found; j++)
			found = strcmp(a[i].name, b[j].name) == 0 && strcmp(a[i].version, b[j].version) == 0;
		if (!found)
			return false;
	}
	return true;
}

static bool str_eq(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* The marker for the set of targets in `mask` (NULL when all). */
static const char *marker_for(dl_arena *a, const char *const *markers, size_t n, uint64_t mask)
{
	if (mask == (n >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << n) - 1)))
		return NULL;
	dl_buf b = DL_BUF_INIT;
	size_t k = 0;
	for (size_t t = 0; t < n; t++) {
		if (!(mask & ((uint64_t)1 << t)))
			continue;
		dl_buf_printf(&b, "%s(%s)", k++ > 0 ? " or " : "", markers[t]);
	}
	const char *s = b.failed ? NULL : copy(a, b.ptr);
	dl_buf_free(&b);
	return s;
}

typedef struct mpkg {
	const dl_lock_pkg *p; /* the first target's entry */
	const char *env;      /* the merged env id */
	uint64_t mask;
	bool builds;
} mpkg;

/* Merge package lists of n targets; env_map[t] maps a target's env id to
 * the merged id (pairs: from, to). */
static int merge_pkgs(dl_arena *a, const dl_lock_pkg *const *lists, const size_t *counts, size_t n,
                      const char *const *markers, const char *const *const *env_from, const char *const *const *env_to,
                      const size_t *n_env, dl_lock_pkg **out, size_t *nout)
{
	size_t total = 0;
	for (size_t t = 0; t < n; t++)
		total += counts[t];
	mpkg *m = dl_arena_calloc(a, total + 1, sizeof(*m));
	if (m == NULL)
		return dl_error_oom();
	size_t nm = 0;
	for (size_t t = 0; t < n; t++) {
		for (size_t i = 0; i < counts[t]; i++) {
			const dl_lock_pkg *p = &lists[t][i];
			const char *env = NULL;
			for (size_t e = 0; p->build_env != NULL && e < n_env[t]; e++)
				if (strcmp(env_from[t][e], p->build_env) == 0)
					env = env_to[t][e];
			size_t k = 0;
			while (k < nm && !(strcmp(m[k].p->name, p->name) == 0 && strcmp(m[k].p->version, p->version) == 0 &&
			                   str_eq(m[k].env, env)))
				k++;
			if (k == nm)
				m[nm++] = (mpkg){p, env, 0, false};
			m[k].mask |= (uint64_t)1 << t;
			m[k].builds = m[k].builds || p->builds_from_source;
		}
	}
	dl_lock_pkg *v = dl_arena_calloc(a, nm + 1, sizeof(*v));
	if (v == NULL)
		return dl_error_oom();
	for (size_t k = 0; k < nm; k++) {
		v[k] = *m[k].p;
		v[k].build_env = m[k].env;
		v[k].builds_from_source = m[k].builds;
		v[k].marker = marker_for(a, markers, n, m[k].mask);
		if (m[k].mask != (n >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << n) - 1)) && v[k].marker == NULL)
			return dl_error_oom();
	}
	*out = v;
	*nout = nm;
	return 0;
}

int dl_lock_merge(dl_lock_merged **out, const dl_lock *const *parts, const char *const *markers, size_t n)
{
	if (n == 0 || n > 63)
		return dl_error_set(DL_EINVAL, "dl_lock_merge: between 1 and 63 targets, not %zu", n);
	dl_lock_merged *mg = dl_calloc(1, sizeof *mg);
	if (mg == NULL || dl_arena_new(&mg->a) != 0) {
		dl_free(mg);
		return dl_error_oom();
	}
	dl_arena *a = mg->a;
	int rc = 0;
	/* Environments: merged by id when the pins agree. */
	size_t total_envs = 0;
	for (size_t t = 0; t < n; t++)
		total_envs += parts[t]->n_envs;
	dl_lock_env *envs = dl_arena_calloc(a, total_envs + 1, sizeof(*envs));
	const char ***from = dl_arena_calloc(a, n, sizeof(*from));
	const char ***to = dl_arena_calloc(a, n, sizeof(*to));
	size_t *n_env = dl_arena_calloc(a, n, sizeof(*n_env));
	if (envs == NULL || from == NULL || to == NULL || n_env == NULL)
		rc = dl_error_oom();
	size_t ne = 0;
	for (size_t t = 0; t < n && rc == 0; t++) {
		const dl_lock *l = parts[t];
		from[t] = dl_arena_calloc(a, l->n_envs + 1, sizeof(char *));
		to[t] = dl_arena_calloc(a, l->n_envs + 1, sizeof(char *));
		if (from[t] == NULL || to[t] == NULL) {
			rc = dl_error_oom();
			break;
		}
		n_env[t] = l->n_envs;
		for (size_t e = 0; e < l->n_envs && rc == 0; e++) {
			const dl_lock_env *le = &l->envs[e];
			from[t][e] = le->id;
			size_t k = 0;
			bool clash = false;
			for (; k < ne; k++) {
				if (strncmp(envs[k].id, le->id, strlen(le->id)) != 0)
					continue;
				if (same_pins(envs[k].packages, envs[k].n_packages, le->packages, le->n_packages))
					break;
				clash = true;
			}
			if (k < ne) {
				to[t][e] = envs[k].id;
				continue;
			}
			envs[ne] = *le;
			if (clash) {
				dl_buf b = DL_BUF_INIT;
				dl_buf_printf(&b, "%s-%zu", le->id, t + 1);
				envs[ne].id = b.failed ? NULL : copy(a, b.ptr);
				dl_buf_free(&b);
				if (envs[ne].id == NULL)
					rc = dl_error_oom();
			}
			to[t][e] = envs[ne].id;
			ne++;
		}
	}
	/* Env packages refer to envs of their own target: remap them. */
	for (size_t k = 0; k < ne && rc == 0; k++) {
		size_t t = 0;
		while (t < n) {
			bool mine = false;
			for (size_t e = 0; e < n_env[t] && !mine; e++)
				mine = to[t][e] == envs[k].id;
			if (mine)
				break;
			t++;
		}
		dl_lock_pkg *pk = dl_arena_calloc(a, envs[k].n_packages + 1, sizeof(*pk));
		if (pk == NULL) {
			rc = dl_error_oom();
			break;
		}
		for (size_t i = 0; i < envs[k].n_packages; i++) {
			pk[i] = envs[k].packages[i];
			for (size_t e = 0; pk[i].build_env != NULL && t < n && e < n_env[t]; e++)
				if (strcmp(from[t][e], pk[i].build_env) == 0)
					pk[i].build_env = to[t][e];
		}
		envs[k].packages = pk;
	}
	const dl_lock_pkg **lists = dl_arena_calloc(a, n, sizeof(*lists));
	size_t *counts = dl_arena_calloc(a, n, sizeof(*counts));
	if (rc == 0 && (lists == NULL || counts == NULL))
		rc = dl_error_oom();
	for (size_t t = 0; t < n && rc == 0; t++) {
		lists[t] = parts[t]->packages;
		counts[t] = parts[t]->n_packages;
	}
	dl_lock_pkg *pkgs = NULL;
	size_t np = 0;
	if (rc == 0)
		rc = merge_pkgs(a, lists, counts, n, markers, (const char *const *const *)from,
		                (const char *const *const *)to, n_env, &pkgs, &np);
	/* Notes: the union. */
	size_t nn = 0;
	for (size_t t = 0; t < n; t++)
		nn += parts[t]->n_notes;
	const char **notes = rc == 0 ? dl_arena_calloc(a, nn + 1, sizeof(*notes)) : NULL;
	size_t kn = 0;
	for (size_t t = 0; t < n && notes != NULL; t++)
		for (size_t i = 0; i < parts[t]->n_notes; i++) {
			bool dup = false;
			for (size_t j = 0; j < kn && !dup; j++)
				dup = strcmp(notes[j], parts[t]->notes[i]) == 0;
			if (!dup)
				notes[kn++] = parts[t]->notes[i];
		}
	const char **env_markers = rc == 0 ? dl_arena_calloc(a, n + 1, sizeof(*env_markers)) : NULL;
	if (rc == 0 && (notes == NULL || env_markers == NULL))
		rc = dl_error_oom();
	for (size_t t = 0; t < n && rc == 0; t++)
		if ((env_markers[t] = copy(a, markers[t])) == NULL)
			rc = dl_error_oom();
	if (rc != 0) {
		dl_lock_merged_free(mg);
		return rc;
	}
	mg->lock = *parts[0];
	mg->lock.packages = pkgs;
	mg->lock.n_packages = np;
	mg->lock.envs = envs;
	mg->lock.n_envs = ne;
	mg->lock.notes = notes;
	mg->lock.n_notes = kn;
	mg->lock.environments = env_markers;
	mg->lock.n_environments = n;
	*out = mg;
	return 0;
}

const dl_lock *dl_lock_merged_lock(const dl_lock_merged *m)
{
	return &m->lock;
}

void dl_lock_merged_free(dl_lock_merged *m)
{
	if (m == NULL)
		return;
	dl_arena_free(m->a);
	dl_free(m);
}
