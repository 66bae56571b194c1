/*
 * deeplock/scenario.h - packse resolver scenarios run on the PubGrub solver.
 *
 * A scenario file (TOML; see ../shared/README.md) describes a small package
 * universe (names, versions, their requirements, extras, requires-python,
 * which distributions exist, yanked flags), the root requirements, the
 * target Python and resolver options, and the expected outcome.  This
 * module reads one into memory, offers it to the solver through a
 * dl_solver_provider that applies Python's candidate rules, resolves, and
 * compares the answer with the expectation.  It is the resolver's
 * conformance harness and its first real provider; it does no I/O.
 *
 * The provider's rules (what a real index-backed provider will also do):
 *   - names are PEP 503-normalised; candidates are offered newest first;
 *   - the target Python is resolver_options.python, else environment.python,
 *     else 3.12 ("X.Y" means X.Y.0); a candidate whose requires-python has a
 *     lower bound above it is unusable (upper bounds are ignored, as uv
 *     does, since they are almost always wrong);
 *   - yanked versions are offered only when a root requirement pins that
 *     very version with `==` (or `===`);
 *   - pre-releases are offered when resolver_options.prereleases is true,
 *     when a root requirement on the package names a pre-release, or when
 *     the package has nothing but pre-releases (uv's "if-necessary-or-
 *     explicit"); a pre-release named only by a transitive requirement does
 *     not opt in;
 *   - markers are evaluated for CPython on Linux x86_64 at the target
 *     Python;
 *   - `a[x]` is a virtual package "a[x]" with a's versions, each depending
 *     on `a ==V` and on the extra's requirements (the `extras` table and the
 *     requirements whose marker tests `extra`); an extra that a version does
 *     not define adds nothing (it is not an error);
 *   - a candidate is usable when it has an sdist (not under no_build) or a
 *     wheel (not under no_binary) with a tag the target supports (CPython
 *     X.Y on manylinux x86_64, glibc 2.28 unless python_platform names
 *     another manylinux); an unusable or Python-incompatible candidate is
 *     reported to the solver as unavailable with a reason, so explanations
 *     say why.
 * Scenarios that need a universal (multi-environment, forking) resolution
 * (resolver_options.universal or required_environments) are skipped.
 */
#ifndef DEEPLOCK_SCENARIO_H
#define DEEPLOCK_SCENARIO_H

#include "deeplock/common.h"
#include "deeplock/solver.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dl_scenario dl_scenario;

/* One pinned package: normalised name and version as written. */
typedef struct dl_scenario_pin {
	const char *name;
	const char *version;
} dl_scenario_pin;

enum dl_scenario_status {
	DL_SCENARIO_PASS = 0,
	DL_SCENARIO_FAIL = 1,
	DL_SCENARIO_SKIP = 2,
};

/* The result of dl_scenario_resolve.  Everything is borrowed from the
 * scenario. */
typedef struct dl_scenario_outcome {
	int status;                     /* enum dl_scenario_status */
	const char *reason;             /* why it failed or was skipped; "" on a pass */
	bool satisfiable;               /* meaningless when skipped */
	const dl_scenario_pin *packages; /* the selection, sorted by name (no virtual packages) */
	size_t n_packages;
	const char *explanation;        /* when unsatisfiable, else NULL */
} dl_scenario_outcome;

/*
 * Read the scenario document [data, data+len) into *out (free with
 * dl_scenario_free).  `source` names the input in messages (NULL means
 * "<input>").  Returns DL_EPARSE for malformed TOML, a wrong type
 * ("<pos>: 'root.requires' must be an array, found string"), or an invalid
 * version, requirement or specifier (the message names the value's
 * position), DL_EUNSUPPORTED for a direct-URL requirement or a
 * python_platform other than an x86_64 manylinux, or DL_ENOMEM.  Unknown
 * keys are ignored.  It does not resolve anything.
 */
int dl_scenario_load(dl_scenario **out, const char *data, size_t len, const char *source);
void dl_scenario_free(dl_scenario *sc);

/*
 * Load a resolvelib test case instead (../shared/data/resolvelib): `index`
 * is the JSON universe {name: {version: {"dependencies": [PEP 508]}}} and
 * `case_json` the case {"requested": [...], "resolved": {name: V or
 * {"version": V}} or "conflicted": ...}; an empty "resolved" means
 * satisfiable with no pins to compare.  The target is CPython 3.8 on Linux x86_64
 * (the data's own assumption); every version offers a universal wheel.
 * Versions that are not PEP 440 are left out (counted in *skipped when it
 * is not NULL); a version's dependencies are parsed when the resolver
 * first asks for them (most versions of a snapshot never are), and those
 * that do not parse are left out then.  Errors: DL_EPARSE for JSON of the wrong shape (naming the
 * key), DL_ENOMEM.
 */
int dl_scenario_load_resolvelib(dl_scenario **out, const char *index, size_t index_len, const char *case_json,
                                size_t case_len, const char *source, size_t *skipped);

/* Solver statistics of the last dl_scenario_resolve. */
dl_solver_stats dl_scenario_last_stats(const dl_scenario *sc);

/* The scenario's name (the file's `name`, "" when absent).  Borrowed. */
const char *dl_scenario_name(const dl_scenario *sc);
/* The expected outcome: satisfiable or not, and the exact pins when the
 * file gives them (returns false and leaves *pins alone when it does not).
 * Pins are sorted by name. */
bool dl_scenario_expected_satisfiable(const dl_scenario *sc);
bool dl_scenario_expected_packages(const dl_scenario *sc, const dl_scenario_pin **pins, size_t *n);
/* The target Python as a full version ("3.9.0").  Borrowed. */
const char *dl_scenario_target_python(const dl_scenario *sc);

/*
 * Fill *out with a provider over the scenario's universe (package 0 is the
 * root; other ids are assigned as packages are met).  The provider borrows
 * `sc`, which must outlive every solver that uses it; one solver at a time.
 * The names it returns live as long as `sc`.
 */
void dl_scenario_provider(dl_scenario *sc, dl_solver_provider *out);

/*
 * Resolve the scenario (unless it must be skipped) and compare with the
 * expectation: a pass needs the same satisfiability and, where the file
 * lists packages, exactly those packages at equal versions.  *out is
 * borrowed from `sc` and valid until the next call or dl_scenario_free.
 * Returns 0 (whatever the outcome), or a negative code when resolving
 * itself failed (no memory, a marker that cannot be evaluated).
 */
int dl_scenario_resolve(dl_scenario *sc, const dl_scenario_outcome **out);

#ifdef __cplusplus
}
#endif
#endif
