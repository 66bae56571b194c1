/*
 * deeplock/lock.h - the lock deeplock writes: the runtime packages and every
 * isolated build environment, and its serialisations (PEP 751 pylock.toml,
 * a pip --require-hashes requirements file, a build-constraints file, and
 * one build environment as a standalone lock).
 *
 * The model is plain data (every string and array lives in the lock's
 * arena), filled by the lock engine or by a test.  The writers are pure
 * functions of the model: the same model gives the same bytes, because
 * packages, files and environments are written in a canonical order (by
 * name, then version; files by name; environments by id), not in the order
 * the engine happened to finish them.
 *
 * pylock.toml layout.  The runtime packages are ordinary PEP 751
 * [[packages]] entries (name, version, marker, requires-python, index,
 * dependencies, sdist, wheels; every file with url, size, upload-time and
 * hashes).  What PEP 751 leaves out goes under the `tool.deeplock` tables
 * the PEP reserves for tools:
 *   [packages.tool.deeplock]  required-by (who brought the package in),
 *                             build-env (the id of the environment its sdist
 *                             is built in, when deeplock expanded it) and
 *                             builds-from-source (no compatible wheel, or
 *                             --no-binary: an installer will run its build);
 *   [[tool.deeplock.build-envs]]  one per distinct build requirement set:
 *                             id, requires, the packages it builds, and its
 *                             own packages in the same shape as
 *                             [[packages]] (each may point to a build-env
 *                             of its own: the recursion).
 *   [tool.deeplock]           notes: facts that only running code could
 *                             reveal, cycles, and packages that could be
 *                             built from source but were not expanded.
 * A build environment's id is derived from its requirement set alone
 * ("setuptools+wheel-1a2b3c4d"), so unrelated changes never rename it and a
 * diff of two locks stays small.
 */
#ifndef DEEPLOCK_LOCK_H
#define DEEPLOCK_LOCK_H

#include "deeplock/client.h"
#include "deeplock/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dl_lock_file {
	const char *name;        /* file name */
	const char *url;         /* without credentials */
	int64_t size;            /* bytes; -1 when unknown */
	const char *upload_time; /* RFC 3339 as the index gave it; NULL */
	const char *sha256;      /* lower-case hex; NULL when unknown */
} dl_lock_file;

typedef struct dl_lock_pkg {
	const char *name;    /* PEP 503 normalised */
	const char *version; /* as the index spells it */
	const char *marker;  /* when the package applies only to some targets; NULL */
	const char *requires_python;
	const char *index;   /* the index URL it came from, without credentials; NULL */
	const char *const *dependencies; /* names of locked packages it requires */
	size_t n_dependencies;
	const dl_lock_file *sdist; /* NULL when none is locked */
	const dl_lock_file *wheels;
	size_t n_wheels;
	/* deeplock's additions */
	const char *const *required_by; /* "name==version", "<project>", or "build-env:ID" */
	size_t n_required_by;
	const char *build_env;   /* id of the environment its sdist builds in; NULL */
	bool builds_from_source; /* an installer will build it for a target */
	bool direct; /* from a direct URL requirement (`name @ URL`): its one file is at that URL */
} dl_lock_pkg;

typedef struct dl_lock_env {
	const char *id;
	const char *const *requires; /* the requirement set, sorted */
	size_t n_requires;
	const char *const *builds;   /* "name==version" of the sdists built in it, sorted */
	size_t n_builds;
	const dl_lock_pkg *packages;
	size_t n_packages;
} dl_lock_env;

typedef struct dl_lock {
	const char *requires_python;
	const char *const *environments; /* PEP 751 environments markers */
	size_t n_environments;
	const dl_lock_pkg *packages;
	size_t n_packages;
	const dl_lock_env *envs;
	size_t n_envs;
	const char *const *notes; /* sentences, sorted */
	size_t n_notes;
	const char *build_policy; /* "needed", "all" or "none" */
} dl_lock;

/*
 * The id of the build environment for a requirement set: up to three of
 * the requirements' names joined by '+', then '-' and the first 8 hex
 * digits of the SHA-256 of the sorted set (one requirement per line).
 * `reqs` need not be sorted; the id does not depend on their order.
 * Writes a new string to *out (free with dl_free).  DL_ENOMEM only.
 */
int dl_lock_env_id(char **out, const char *const *reqs, size_t n);

/*
 * Append `lock` as a pylock.toml document to `out`, in the canonical order
 * described above, with a header comment saying the file is generated.
 * The model's arrays are not changed (sorting happens on copies).  Fails
 * with DL_EINVAL naming the package when a required field (name, version)
 * is missing or a build-env id is referenced but not defined, or DL_ENOMEM.
 */
int dl_lock_write_pylock(const dl_lock *lock, dl_buf *out);

/*
 * Append the runtime packages (or, with `env_id`, the packages of that
 * build environment) as a requirements file for
 * `pip install --require-hashes -r`: one `name==version` per package with
 * its marker, a `--hash=sha256:...` for every locked file, and `# via`
 * lines naming who required it (build paths included).  A package with no
 * hash at all fails with DL_EINVAL naming it, since pip would refuse the
 * whole file; an unknown env_id fails with DL_ENOTFOUND.
 */
int dl_lock_export_requirements(const dl_lock *lock, const char *env_id, dl_buf *out);

/*
 * Append the pins of every build environment as one constraints file for
 * pip's and uv's --build-constraint.  One flat file cannot pin a package
 * to two versions: when environments disagree, each conflicting package is
 * written once per version as a comment naming the environments, no pin is
 * written for it, and *conflicts (when not NULL) gets the number of such
 * packages, so the caller can say so.
 */
int dl_lock_export_build_constraints(const dl_lock *lock, dl_buf *out, size_t *conflicts);

/*
 * Append build environment `id` as its own standalone pylock.toml (its
 * packages as [[packages]]), installable by standard tools for a
 * --no-build-isolation build.  DL_ENOTFOUND when there is no such id.
 */
int dl_lock_write_env_pylock(const dl_lock *lock, const char *id, dl_buf *out);

/*
 * Read a pylock.toml (deeplock's, or any PEP 751 lock: the tool tables are
 * optional) back into the model, for export, tree, why and --check.
 * Returns 0 and *out (free with dl_lock_doc_free; the model is
 * dl_lock_doc_lock), DL_EPARSE with "<source>:<line>:<column>: ..." for
 * malformed TOML or a key of the wrong type or a missing required key,
 * DL_EUNSUPPORTED for a lock-version other than 1.x.  Keys it does not
 * know are ignored (PEP 751 lets tools add them).  It checks no hash.
 */
typedef struct dl_lock_doc dl_lock_doc;
int dl_lock_read_pylock(dl_lock_doc **out, const char *data, size_t len, const char *source);
const dl_lock *dl_lock_doc_lock(const dl_lock_doc *d);
void dl_lock_doc_free(dl_lock_doc *d);

/* ------------------------------------------------------------------ */
/* The lock engine                                                      */

/* One pinned package of a resolution, as a resolver reports it. */
typedef struct dl_lock_pin {
	const char *name;    /* normalised */
	const char *version; /* as in the file names */
	const dl_client_project *project;
	const char *const *required_by; /* "name==version" or "<project>" (for roots) */
	size_t n_required_by;
	const char *const *dependencies; /* names of the pins it requires */
	size_t n_dependencies;
	const char *marker; /* a universal resolution: where it is installed; NULL: everywhere */
} dl_lock_pin;

/* How the engine resolves a requirement set for the target and judges
 * files; the index-backed resolver implements it. */
typedef struct dl_lock_resolver {
	void *ctx;
	/* Resolve `reqs` (PEP 508 strings).  `what` names the set in messages
	 * ("the project", "the build environment of beta 2.0").  0 with the
	 * pins (valid until the next call); an unsatisfiable set returns
	 * DL_ENOTFOUND with the explanation as the stored error; other
	 * negative codes are failures (network, memory). */
	int (*resolve)(void *ctx, const char *const *reqs, size_t n, const char *what, const dl_lock_pin **pins,
	               size_t *n_pins);
	/* Whether an installer on the target may install this wheel (tags,
	 * requires-python, --only-binary/--no-binary). */
	bool (*wheel_usable)(void *ctx, const char *name, const dl_client_file *f);
	/* Whether --no-binary applies to the package. */
	bool (*no_binary)(void *ctx, const char *name);
	/* Optional (may be NULL): sets that will be resolved soon; a resolver
	 * over a network may start fetching what they name, so that the
	 * environments of one round of the closure load in parallel. */
	void (*hint)(void *ctx, const char *const *reqs, size_t n);
} dl_lock_resolver;

typedef enum dl_build_policy {
	DL_BUILD_NEEDED = 0, /* expand what an installer would build for the target */
	DL_BUILD_ALL,        /* expand every package that has an sdist */
	DL_BUILD_NONE        /* expand nothing (say how much was left out) */
} dl_build_policy;

#define DL_LOCK_OPTS_VERSION 1

/* What the engine reports as it goes (for a progress display). */
typedef struct dl_lock_progress {
	size_t resolutions;  /* resolver runs finished */
	size_t envs_known;   /* build environments found so far */
	size_t envs_done;    /* of those, resolved */
	const char *what;    /* the set just resolved ("the project", "the build environment of X 1.0") */
	size_t packages;     /* how many packages it holds */
} dl_lock_progress;

typedef struct dl_lock_opts {
	unsigned version;
	dl_client *client;
	const dl_lock_resolver *resolver;
	const char *const *roots; /* the project's runtime requirements */
	size_t n_roots;
	/* The project's own [build-system] requirements, when the project is a
	 * package that gets built (NULL otherwise). */
	const char *const *project_build;
	size_t n_project_build;
	const char *requires_python;
	const char *const *environments;
	size_t n_environments;
	dl_build_policy policy;
	/* Called after every resolution; may be NULL. */
	void (*progress)(void *ctx, const dl_lock_progress *p);
	void *progress_ctx;
} dl_lock_opts;

#define DL_LOCK_OPTS_INIT {DL_LOCK_OPTS_VERSION, NULL, NULL, NULL, 0, NULL, 0, NULL, NULL, 0, DL_BUILD_NEEDED, NULL, NULL}

/* A package that will run code at install time, with a path to it. */
typedef struct dl_lock_builder {
	const char *name, *version;
	const char *path;   /* "<project> -> a==1 -> [build of a==1] -> b==2" */
	const char *reason; /* "no compatible wheel", "--no-binary" */
} dl_lock_builder;

typedef struct dl_lock_report {
	size_t runtime;            /* runtime packages */
	size_t envs;               /* distinct build environments */
	size_t build_only;         /* distinct name==version found only in build environments */
	size_t not_expanded;       /* packages with an sdist whose build was not expanded (policy) */
	size_t resolutions;        /* resolver runs (identical sets are resolved once) */
	const dl_lock_builder *builders; /* every package an installer will build, sorted */
	size_t n_builders;
	const char *const *cycles; /* build cycles, "a==1 -> [build] b==2 -> [build] a==1" */
	size_t n_cycles;
} dl_lock_report;

typedef struct dl_lock_result dl_lock_result;

/*
 * Lock: resolve the roots, then the build environment of every package the
 * policy expands (read from its sdist without running it), recursively,
 * resolving each distinct requirement set once, until nothing new appears.
 * Returns 0 and *out (free with dl_lock_result_free), or a negative code
 * with the stored error saying what failed: an unsatisfiable root or build
 * requirement set (DL_ENOTFOUND, with the explanation and which build it
 * was), a build cycle in which no package has a usable wheel (DL_ENOTFOUND,
 * naming the cycle), a failed fetch (naming the URL).
 * It writes nothing.
 */
int dl_lock_run(dl_lock_result **out, const dl_lock_opts *opts);
void dl_lock_result_free(dl_lock_result *r);
const dl_lock *dl_lock_result_lock(const dl_lock_result *r);
const dl_lock_report *dl_lock_result_report(const dl_lock_result *r);

/*
 * One lock for several targets: `parts[t]` is the lock resolved for target
 * t, whose PEP 508 marker is markers[t] (e.g. from dl_pyindex_environment).
 * Packages every target locks are written once without a marker; others
 * get "(marker A) or (marker B)" for the targets that lock them.  Build
 * environments merge by id when their pins agree, else each variant keeps
 * its own id with a "-<target number>" suffix.  `environments` lists the
 * markers.  The parts' strings are borrowed: keep them alive while the
 * merged lock is used.  DL_EINVAL for n of 0 or over 63, DL_ENOMEM.
 */
typedef struct dl_lock_merged dl_lock_merged;
int dl_lock_merge(dl_lock_merged **out, const dl_lock *const *parts, const char *const *markers, size_t n);
const dl_lock *dl_lock_merged_lock(const dl_lock_merged *m);
void dl_lock_merged_free(dl_lock_merged *m);

#ifdef __cplusplus
}
#endif
#endif
