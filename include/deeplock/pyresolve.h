/*
 * deeplock/pyresolve.h - Python dependency resolution over a "source".
 *
 * The PubGrub core (solver.h) knows nothing of Python.  This layer turns
 * what a package source knows about projects (their releases and files,
 * and each release's core metadata) into the solver's world, applying
 * Python's rules once for every caller (the packse scenarios, the
 * resolvelib snapshots, the real index client):
 *   - names are PEP 503-normalised; `a[x]` is a virtual package "a[x]"
 *     with a's versions, each depending on `a ==V` and on the extra's
 *     requirements (Requires-Dist lines whose marker tests `extra`); an
 *     extra that a release does not define adds nothing (not an error);
 *   - markers are evaluated in the target environment; a requirement whose
 *     marker is false there is dropped;
 *   - requires-python (of a file, or of the metadata) only counts by its
 *     lower bound, as uv does, since upper bounds are almost always wrong;
 *     the target Python must be at least that bound;
 *   - a release is usable when it has a wheel whose tags the target
 *     supports (and wheels are allowed for the project) or an sdist (and
 *     building is allowed); a release with no file list at all (an
 *     in-memory universe) counts as one universal wheel.  An unusable or
 *     Python-incompatible release is reported to the solver as unavailable
 *     with a reason, so explanations say why;
 *   - yanked releases are offered only when a root requirement, constraint
 *     or override pins that very version with `==` or `===`;
 *   - pre-releases follow the prerelease mode (uv's four); "explicit" means
 *     a root requirement, constraint or override on the project names a
 *     pre-release;
 *   - constraints limit the versions of their project whenever it is
 *     selected but never add it (the root gets a solver "constraint"
 *     dependency per constraint whose marker holds, which explanations
 *     print as "the constraints allow only b <2"); overrides replace every
 *     requirement on their project, the root's included (the replaced
 *     requirement's marker still decides whether it applies).
 * Universal resolution (options.region set) resolves for every environment
 * of a region at once, as uv does for a lock:
 *   - a requirement applies when its marker holds somewhere in the region
 *     (extras decided as usual); it then applies wherever it holds;
 *   - requires-python is checked against the lowest Python of the region;
 *   - any wheel may fit some platform, so a release with a wheel or an
 *     sdist is usable whatever its tags;
 *   - when one package's requirements name the same project in different
 *     parts of the region, the solve stops and the session reports the
 *     parts (dl_py_session_forks); dl_py_resolve_universal then resolves
 *     each piece of the region on its own ("forks"), and each piece may
 *     fork again.  Requirements on different projects never fork.
 *
 * Sources may block inside their callbacks (an index client fetching a
 * page) and may use the prefetch hints to fetch in parallel.  The hint
 * policy, modelled on uv's batch prefetch:
 *   - when a candidate's (or the root's) dependencies are computed, every
 *     project they name that has not been hinted before gets
 *     prefetch_project, in requirement order, before the solver goes on;
 *   - when a project's releases arrive, the first DL_PY_PREFETCH_DEPTH
 *     offered candidates in preference order (the one the solver will try
 *     first, then the next ones it falls back to) get prefetch_metadata.
 * Hints are advice: a source may ignore them, and the layer still calls
 * project() and metadata() when it needs the answer.
 *
 * Everything is deterministic: the same source answers and options give
 * the same result, byte for byte.
 */
#ifndef DEEPLOCK_PYRESOLVE_H
#define DEEPLOCK_PYRESOLVE_H

#include "deeplock/common.h"
#include "deeplock/marker.h"
#include "deeplock/mregion.h"
#include "deeplock/requirement.h"
#include "deeplock/solver.h"
#include "deeplock/tags.h"
#include "deeplock/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How many candidates of a project get a metadata hint when its releases
 * arrive (the preferred one and the next ones). */
#define DL_PY_PREFETCH_DEPTH 3

/* ------------------------------------------------------------------ */
/* The source                                                          */

/* One file of a release, as an index lists it. */
typedef struct dl_py_file {
	const char *filename;
	const char *requires_python; /* the index's data-requires-python, or NULL */
	bool yanked;
	const char *yanked_reason;   /* NULL when none was given */
	bool is_wheel;               /* false: an sdist */
	const dl_tagset *tags;       /* a wheel's tags from its file name; NULL
	                                matches nothing (a malformed name) */
} dl_py_file;

typedef struct dl_py_release {
	const char *version_text; /* as the index wrote it */
	dl_version version;       /* parsed */
	bool files_known;         /* false: no file list (an in-memory universe):
	                             assume one compatible universal wheel */
	const dl_py_file *files;  /* when files_known: every file (maybe none) */
	size_t nfiles;
	bool yanked;              /* every file is yanked (or the release is) */
} dl_py_release;

/* The releases of a project, in any order. */
typedef struct dl_py_project {
	const char *name; /* the name as the index spells it (display) */
	const dl_py_release *releases;
	size_t nreleases;
} dl_py_project;

/* The core metadata of one release. */
typedef struct dl_py_meta {
	bool available;                   /* false: unreadable or dynamic */
	const char *reason;               /* why not available (may be NULL) */
	const char *const *requires_dist; /* raw PEP 508 strings */
	size_t nrequires_dist;
	const char *requires_python;      /* NULL when none */
	const char *const *provides_extra;
	size_t nprovides_extra;
} dl_py_meta;

/*
 * What the layer asks a source.  Every answer is borrowed and must stay
 * valid (and unchanged) until the resolution that asked is freed.
 *   project:  the releases of the project with this PEP 503 name; an
 *             unknown project is *out NULL (or no releases) and 0.  May
 *             block.  A negative return aborts the resolution.
 *   metadata: the metadata of release `release` (an index into the
 *             project's releases).  May block.
 *   prefetch_project, prefetch_metadata: hints (see the file comment);
 *             either may be NULL.  They must not call back into the layer.
 */
typedef struct dl_py_source {
	void *ctx;
	int (*project)(void *ctx, const char *name, const dl_py_project **out);
	int (*metadata)(void *ctx, const char *name, size_t release, const dl_py_meta **out);
	void (*prefetch_project)(void *ctx, const char *name);
	void (*prefetch_metadata)(void *ctx, const char *name, size_t release);
} dl_py_source;

/* ------------------------------------------------------------------ */
/* The target environment                                              */

/* Where the result will be installed: marker values, supported wheel
 * tags, and the Python version requires-python is checked against.  All
 * members are owned; release with dl_py_target_clear. */
typedef struct dl_py_target {
	dl_marker_env *env;
	dl_tag_list *tags;
	dl_version python;   /* X.Y.Z */
	char python_text[32]; /* "3.12.0" */
} dl_py_target;

/*
 * Build the target "CPython `python` on the platform `platform_tag` names"
 * into *t (which need not be initialised): markers as CPython reports them
 * there (Linux for manylinux/musllinux/linux_* tags, macOS for macosx_*,
 * Windows for win*; platform_machine from the tag's architecture;
 * python_version X.Y, python_full_version X.Y.Z, platform_release and
 * platform_version empty), and the tags of that interpreter on
 * `platform_tag` (NULL means manylinux_2_28_x86_64).  `python` is "X.Y" or "X.Y.Z" (a slice).
 * Returns DL_EPARSE when it is not, DL_EINVAL for a platform tags.h
 * refuses, or DL_ENOMEM; *t then holds nothing.  It does not probe the
 * machine.
 */
int dl_py_target_init(dl_py_target *t, const char *python, size_t len, const char *platform_tag);
void dl_py_target_clear(dl_py_target *t);

/* ------------------------------------------------------------------ */
/* Options                                                             */

enum dl_py_prerelease_mode {
	DL_PY_PRE_IF_NECESSARY_OR_EXPLICIT = 0, /* uv's default */
	DL_PY_PRE_DISALLOW,
	DL_PY_PRE_ALLOW,
	DL_PY_PRE_IF_NECESSARY, /* only for projects with nothing but pre-releases */
};

enum dl_py_strategy {
	DL_PY_HIGHEST = 0,
	DL_PY_LOWEST,
	DL_PY_LOWEST_DIRECT, /* lowest for root requirements, highest for the rest */
};

/* A version to try first for a project (from an existing lock). */
typedef struct dl_py_preference {
	const char *name; /* any spelling */
	const char *version;
} dl_py_preference;

#define DL_PY_OPTIONS_VERSION 1

/*
 * Options of one resolution.  Start from DL_PY_OPTIONS_INIT.  Everything
 * is borrowed for the duration of dl_py_resolve (or of the session).
 * Name lists take any spelling.  only_binary and no_binary: a project
 * named in one list follows that list even when the other says :all:
 * (the per-project word is the more specific one).
 */
typedef struct dl_py_options {
	unsigned version; /* DL_PY_OPTIONS_VERSION */
	const dl_py_target *target;
	const dl_requirement *const *requirements;
	size_t nrequirements;
	const char *requires_python; /* the root's, or NULL */
	const char *const *extras;   /* the root's active extras */
	size_t nextras;
	int prereleases; /* enum dl_py_prerelease_mode */
	int strategy;    /* enum dl_py_strategy */
	const dl_requirement *const *constraints;
	size_t nconstraints;
	const dl_requirement *const *overrides;
	size_t noverrides;
	const dl_py_preference *preferences;
	size_t npreferences;
	bool upgrade_all;
	const char *const *upgrade; /* projects whose preference is ignored */
	size_t nupgrade;
	bool no_binary_all;
	const char *const *no_binary;
	size_t nno_binary;
	bool only_binary_all;
	const char *const *only_binary;
	size_t nonly_binary;
	/* universal resolution over this region (see the file comment); NULL
	 * resolves for `target` alone.  The target is still required (its
	 * tags and markers are unused then). */
	const dl_mregion *region;
	/* The source serves a project that a root requirement names with a
	 * direct URL (`name @ URL`) from that URL alone (the index client
	 * does, given the URLs).  Without it such requirements are refused.
	 * A dependency may name a direct URL only when a root requirement
	 * names the same project from the same URL (uv's rule); otherwise its
	 * release is unusable, with that reason.  Two root requirements on one
	 * project from different URLs are an error. */
	bool direct_urls;
} dl_py_options;

#define DL_PY_OPTIONS_INIT {.version = DL_PY_OPTIONS_VERSION}

/* ------------------------------------------------------------------ */
/* Results                                                             */

/* One reason a pin is there: `by` required it (a pinned project's name,
 * "a[x]" for an extra's requirement, or NULL for the root) with
 * `requirement` (its normal form). */
typedef struct dl_py_why {
	const char *by;
	const char *requirement;
} dl_py_why;

typedef struct dl_py_pin {
	const char *name;    /* PEP 503 normal form */
	const char *version; /* as the source wrote it */
	size_t release;      /* index into the project's releases */
	const char *const *extras; /* activated extras, sorted */
	size_t nextras;
	const dl_py_why *why; /* sorted by (by, requirement); root first */
	size_t nwhy;
	bool has_wheel; /* a wheel compatible with the target exists (and is allowed) */
	bool has_sdist; /* an sdist exists (and building is allowed) */
} dl_py_pin;

typedef struct dl_py_stats {
	size_t decisions;
	size_t conflicts;
	size_t projects;    /* projects asked of the source */
	size_t metadata;    /* metadata asked of the source */
	double seconds;     /* wall time of dl_py_resolve (0 through a session) */
} dl_py_stats;

typedef struct dl_py_result {
	bool solved;
	const dl_py_pin *pins; /* sorted by name; no virtual packages */
	size_t npins;
	const char *explanation; /* when !solved: numbered sentences; else NULL */
	dl_py_stats stats;
} dl_py_result;

/*
 * Resolve `opts->requirements` for `opts->target` over `src` into *out
 * (free with dl_py_result_free).  Returns 0 whether or not a solution
 * exists (see (*out)->solved); a negative code when resolving itself failed
 * (a source callback failed, an invalid requirement string in metadata
 * that the layer could not skip, no memory, DL_EINVAL for bad options).
 * Invalid Requires-Dist lines in metadata make that release unavailable
 * with the parse error as reason.  It does not choose files to install.
 */
int dl_py_resolve(dl_py_result **out, const dl_py_source *src, const dl_py_options *opts);
void dl_py_result_free(dl_py_result *r);

/*
 * The lower-level form, for callers that drive the solver themselves: a
 * session offers a dl_solver_provider over the source with the options'
 * rules; after the solver ran, dl_py_session_result builds the result from
 * it.  The session borrows `src` and `opts` and must outlive the solver.
 */
typedef struct dl_py_session dl_py_session;
int dl_py_session_new(dl_py_session **out, const dl_py_source *src, const dl_py_options *opts);
void dl_py_session_free(dl_py_session *s);
void dl_py_session_provider(dl_py_session *s, dl_solver_provider *out);
/* Build the result of a finished solve (solved or not) of a solver using
 * this session's provider. */
int dl_py_session_result(dl_py_session *s, const dl_solver *solver, bool solved, dl_py_result **out);

/* In a universal resolution whose solve failed because it must fork: the
 * parts of the region to split on (borrowed from the session; 0 when the
 * solve did not stop for a fork). */
size_t dl_py_session_forks(const dl_py_session *s, const dl_mregion *const **out);

/* ------------------------------------------------------------------ */
/* Universal resolution                                                */

/* One piece of a universal resolution: a part of the region and its
 * resolution. */
typedef struct dl_py_fork {
	const char *marker; /* the part as a PEP 508 marker, inside the region
	                       (what the region says is left out; "" for all of it) */
	const dl_py_result *result;
} dl_py_fork;

/* One version of a project in a universal resolution and where it is
 * installed: the union, over the pieces that chose it, of the part of the
 * piece where a chain of requirements from the root reaches it. */
typedef struct dl_py_upin {
	const char *name;    /* PEP 503 normal form */
	const char *version; /* as the source wrote it */
	const char *marker;  /* PEP 508, inside the region as for forks; NULL
	                        wherever the region is */
	const char *const *extras; /* activated somewhere, sorted */
	size_t nextras;
} dl_py_upin;

/* Most pieces a universal resolution may split into. */
#define DL_PY_MAX_FORKS 256

typedef struct dl_py_universal {
	bool solved;
	const dl_py_fork *forks; /* solved: every piece, in the order resolved;
	                            else the pieces solved and the failing one last */
	size_t nforks;
	const dl_py_upin *pins;  /* sorted by name, then version; when solved */
	size_t npins;
	const char *explanation; /* when !solved: the failing piece named, then why */
	size_t solves;           /* solves run, those stopped by a fork included */
	dl_py_stats stats;       /* summed over every solve */
} dl_py_universal;

/*
 * Resolve `opts->requirements` for every environment of `opts->region`
 * (required) over `src` (see "Universal resolution" in the file comment).
 * Pieces are resolved one after another, depth first; the versions chosen
 * by the pieces already solved are preferred in the next ones (after the
 * caller's preferences), so the pieces agree wherever they can.  The
 * region should bound Python from below (the project's requires-python).
 * Returns 0 whether or not a solution exists, DL_ELIMIT past
 * DL_PY_MAX_FORKS pieces, or the failures of dl_py_resolve.
 */
int dl_py_resolve_universal(dl_py_universal **out, const dl_py_source *src, const dl_py_options *opts);
void dl_py_universal_free(dl_py_universal *u);

/* ------------------------------------------------------------------ */
/* An in-memory source                                                 */

/*
 * A source built in memory, for scenarios, snapshots, tests and benches.
 * Projects, releases, files and metadata are added with the functions
 * below (names in any spelling; everything is copied), then it is handed
 * to the layer with dl_py_memsource_source.  A release without any added
 * file has no file list (one universal wheel is assumed) unless
 * dl_py_memsource_set_files_known says its list is known (and empty).
 */
typedef struct dl_py_memsource dl_py_memsource;

int dl_py_memsource_new(dl_py_memsource **out);
void dl_py_memsource_free(dl_py_memsource *ms);
/* Add a release (creating the project); *index receives its index within
 * the project.  DL_EPARSE for an invalid name or version, DL_EINVAL when
 * that version text is already there. */
int dl_py_memsource_add_release(dl_py_memsource *ms, const char *name, const char *version, size_t *index);
/* Add a file to a release: a wheel when the name ends in ".whl" (its tags
 * parsed from the name; a malformed name gives a wheel that matches
 * nothing), an sdist otherwise.  requires_python may be NULL. */
int dl_py_memsource_add_file(dl_py_memsource *ms, const char *name, size_t release, const char *filename,
                             const char *requires_python, bool yanked);
/* Say that the release's file list is complete, even when empty. */
int dl_py_memsource_set_files_known(dl_py_memsource *ms, const char *name, size_t release);
/* Mark a release yanked (as if every file were). */
int dl_py_memsource_set_yanked(dl_py_memsource *ms, const char *name, size_t release, bool yanked);
/* Append one Requires-Dist line (not validated here: the layer parses). */
int dl_py_memsource_add_requires(dl_py_memsource *ms, const char *name, size_t release, const char *req);
/* Set the metadata's Requires-Python. */
int dl_py_memsource_set_requires_python(dl_py_memsource *ms, const char *name, size_t release,
                                        const char *spec);
/* Add a Provides-Extra name. */
int dl_py_memsource_add_extra(dl_py_memsource *ms, const char *name, size_t release, const char *extra);
/* Make the metadata unavailable with a reason. */
int dl_py_memsource_set_unavailable(dl_py_memsource *ms, const char *name, size_t release, const char *reason);
/* The project (borrowed), or NULL. */
const dl_py_project *dl_py_memsource_project(const dl_py_memsource *ms, const char *name);
/* Number of projects and the normal name of project i (in insertion
 * order), for callers that walk the universe. */
size_t dl_py_memsource_count(const dl_py_memsource *ms);
const char *dl_py_memsource_name(const dl_py_memsource *ms, size_t i);
/* The metadata of a release (borrowed), or NULL. */
const dl_py_meta *dl_py_memsource_meta(const dl_py_memsource *ms, const char *name, size_t release);
/* Fill *out with the source; `ms` must outlive its use.  It never blocks
 * and gives no prefetch callbacks. */
void dl_py_memsource_source(dl_py_memsource *ms, dl_py_source *out);

#ifdef __cplusplus
}
#endif
#endif
