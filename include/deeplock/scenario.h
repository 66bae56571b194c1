/*
 * deeplock/scenario.h - packse resolver scenarios run on the PubGrub solver.
 *
 * A scenario file (TOML; see ../shared/README.md) describes a small package
 * universe (names, versions, their requirements, extras, requires-python,
 * which distributions exist, yanked flags), the root requirements, the
 * target Python and resolver options, and the expected outcome.  This
 * module reads one into an in-memory source (pyresolve.h) shaped the way an
 * index would show it, resolves it with the Python resolution layer, and
 * compares the answer with the expectation.  It is the resolver's
 * conformance harness; it does no I/O.
 *
 * The rules are the layer's (see pyresolve.h); what is particular to
 * scenarios:
 *   - the target Python is resolver_options.python, else environment.python,
 *     else 3.12 ("X.Y" means X.Y.0), CPython on Linux x86_64 with the
 *     manylinux_2_28 tags unless python_platform names another x86_64
 *     manylinux;
 *   - each version becomes a release with an sdist (unless `sdist = false`)
 *     and wheels (unless `wheel = false`): one per `wheel_tags` entry, else
 *     a py3-none-any wheel; its requires_python goes on every file and on
 *     the metadata; `yanked` yanks the release;
 *   - `requires` are Requires-Dist lines, and each `extras.x` entry a line
 *     whose marker also requires `extra == "x"`;
 *   - resolver_options.prereleases = true is the "allow" mode (else uv's
 *     default), no_build is only-binary and no_binary is no-binary (true
 *     means :all:).
 * Scenarios with resolver_options.universal (or required_environments) are
 * resolved universally (pyresolve.h): for every environment whose Python is
 * at least [root].requires_python (else the target Python), forking where
 * requirements on one project differ.  The answer is then checked without
 * the resolver: in every piece, each requirement of each pinned package
 * (and of the root) whose marker holds somewhere in the piece is met by
 * the piece's pin of that project, and two versions of one project never
 * share an environment.  A check that fails fails the scenario.
 * required_environments only turns universal mode on: whether every
 * package has a wheel for each required environment is not checked.
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
	const char *marker; /* universal: where it is installed (PEP 508); NULL: everywhere */
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
	size_t forks;                   /* universal: pieces resolved (1 without a fork); else 0 */
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
 * root; other ids are assigned as packages are met): a fresh pyresolve
 * session owned by `sc`, replacing the one an earlier call made (so one
 * solver at a time, and `sc` must outlive it).  The names it returns live
 * until the next call or dl_scenario_free.  When the session cannot be
 * made (no memory) every callback of the provider fails with that error.
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
