/*
 * deeplock/pyindex.h - resolution against a package index: Python's rules
 * on top of the PubGrub solver, with the index client as the source of
 * truth, exposed as the lock engine's resolver.
 *
 * The rules are the Python-rules layer's (pyresolve.h: extras as virtual
 * packages, markers for the target, requires-python by its lower bound,
 * yanked and pre-release policy, wheel tags, --only-binary/--no-binary,
 * constraints, preferences); this module is the index client as that
 * layer's source.  A release's metadata comes from a wheel's PEP 658 file
 * when there is one, else a wheel (range requests), else the sdist read
 * statically; an sdist whose dependencies only running code could tell
 * makes its release unavailable with that reason.  The layer's prefetch
 * hints become parallel requests, so the network stays busy while the
 * solver works.  Project data and parsed metadata are shared by every
 * resolution of one dl_pyindex, so the many build environments of a lock
 * fetch each file once.
 */
#ifndef DEEPLOCK_PYINDEX_H
#define DEEPLOCK_PYINDEX_H

#include "deeplock/client.h"
#include "deeplock/lock.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dl_pyindex dl_pyindex;

#define DL_PYINDEX_OPTS_VERSION 1

typedef struct dl_pyindex_opts {
	unsigned version;
	dl_client *client;
	const char *python;   /* target Python "3.11" or "3.11.4"; NULL = "3.11" */
	const char *platform; /* platform tag; NULL = "manylinux_2_36_x86_64" (Debian 12) */
	const char *const *only_binary; /* names, or ":all:" */
	size_t n_only_binary;
	const char *const *no_binary;
	size_t n_no_binary;
	const char *const *constraints; /* PEP 508 strings */
	size_t n_constraints;
	/* Preferred versions: pairs (normalised name, version), e.g. from the
	 * lock being updated.  A preferred version that is offered is tried
	 * first; one that is not (yanked since, excluded) is ignored. */
	const char *const *prefer_names;
	const char *const *prefer_versions;
	size_t n_prefer;
	/* Overrides (PEP 508 strings): replace every requirement on their
	 * project, the root's included. */
	const char *const *overrides;
	size_t n_overrides;
	/* pyresolve.h's dl_py_prereleases and dl_py_strategy; the zero
	 * values are the defaults (if-necessary-or-explicit, highest). */
	int prerelease_mode;
	int strategy;
	/* Universal resolution (pyresolve.h): lock for every environment whose
	 * Python this specifier admits (">=3.9"), forking where markers make
	 * requirements differ; pins carry markers.  A wheel then counts as
	 * usable (so its package is not built) only when it is pure Python
	 * (platform "any"): some platform may lack a binary wheel.  NULL:
	 * resolve for the target alone. */
	const char *universal;
} dl_pyindex_opts;

#define DL_PYINDEX_OPTS_INIT                                                                                           \
	{DL_PYINDEX_OPTS_VERSION, NULL, NULL, NULL, NULL, 0, NULL, 0, NULL, 0, NULL, NULL, 0, NULL, 0, 0, 0, NULL}

/* Create a resolver over `opts->client` (borrowed).  Fails with DL_EINVAL
 * for a bad Python version, platform tag, package name or constraint
 * (naming it), DL_ENOMEM. */
int dl_pyindex_new(dl_pyindex **out, const dl_pyindex_opts *opts);
/* Release everything, including the contexts of prefetches still in
 * flight: do not run the engine afterwards (free the client and the engine
 * next).  NULL is fine. */
void dl_pyindex_free(dl_pyindex *p);

/* The lock engine's view of it (see lock.h). */
void dl_pyindex_resolver(dl_pyindex *p, dl_lock_resolver *out);

/* The target as PEP 751 `environments` would state it, e.g.
 * "python_version == \"3.11\" and sys_platform == \"linux\" and
 * platform_machine == \"x86_64\"" (python_full_version when the target
 * names a micro version).  Borrowed. */
const char *dl_pyindex_environment(const dl_pyindex *p);

typedef struct dl_pyindex_stats {
	size_t resolutions;
	size_t decisions;
	size_t conflicts;
	size_t projects;  /* distinct projects looked at */
	size_t metadata;  /* distinct candidates whose metadata was read */
} dl_pyindex_stats;

void dl_pyindex_get_stats(const dl_pyindex *p, dl_pyindex_stats *out);

#ifdef __cplusplus
}
#endif
#endif
