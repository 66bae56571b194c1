/*
 * deeplock/solver.h - the PubGrub version solver.
 *
 * The solver picks one version for each package reachable from a root so
 * that every dependency holds, or proves that none exists and explains why.
 * It knows nothing of Python: packages are small integers (0 is the root),
 * versions are dl_version values, and everything else comes through a
 * provider: the candidate versions of a package in preference order (the
 * provider applies pre-release, yanked, requires-python and wheel-tag
 * policy by leaving candidates out), and the dependencies of one candidate
 * as (package, version range) pairs (the provider evaluates markers, turns
 * extras into virtual packages, and so on).  The solver does no I/O: an
 * index-backed provider may block or prefetch inside its callbacks.
 *
 * The algorithm is PubGrub (Natalie Weizenbaum's design, as in Dart's pub
 * and uv): terms over version ranges, incompatibilities with their causes,
 * a partial solution with decision levels, unit propagation, and conflict
 * resolution that learns a new incompatibility and backjumps.  When there is
 * no solution, the incompatibility that proves it is the root of a
 * derivation tree that dl_solver_explain renders as numbered sentences.
 */
#ifndef DEEPLOCK_SOLVER_H
#define DEEPLOCK_SOLVER_H

#include "deeplock/common.h"
#include "deeplock/range.h"
#include "deeplock/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One dependency of a candidate: `pkg` must be selected at a version in
 * `range`.  With `constraint` set it is weaker: `pkg` need not be
 * selected, but if it is, its version must lie in `range` (how the Python
 * layer applies constraints without adding packages). */
typedef struct dl_solver_dep {
	uint32_t pkg;
	const dl_range *range;
	bool constraint;
	/* Optional: a remark explanations print after the dependency, in
	 * parentheses ("where sys_platform == \"linux\""); NULL for none.
	 * Borrowed; valid while the solver lives.  Dependencies of
	 * neighbouring candidates merge only when their notes are equal. */
	const char *note;
} dl_solver_dep;

typedef struct dl_solver_provider {
	void *ctx;
	/* The display name of a package (borrowed; valid while the solver
	 * lives). */
	const char *(*name)(void *ctx, uint32_t pkg);
	/* The candidates of `pkg`, best first (borrowed; stable while the
	 * solver lives).  An unknown package has none.  Not called for 0. */
	int (*versions)(void *ctx, uint32_t pkg, const dl_version **out, size_t *n);
	/* The dependencies of candidate `index` of `pkg` (for the root, pkg 0
	 * and index 0).  *available false means the candidate cannot be used
	 * (its metadata is unreadable, say) and `reason` (borrowed, may be
	 * NULL) says why.  The array is borrowed until the next call. */
	int (*dependencies)(void *ctx, uint32_t pkg, size_t index, const dl_solver_dep **out, size_t *n,
	                    bool *available, const char **reason);
	/* Optional (may be NULL): when no candidate of `pkg` lies in `range`,
	 * a note saying why versions the user may expect there were left out
	 * ("2.0 is yanked"), or NULL.  Borrowed; valid while the solver
	 * lives.  Explanations print it after "no versions of pkg match R". */
	const char *(*no_versions)(void *ctx, uint32_t pkg, const dl_range *range);
} dl_solver_provider;

typedef struct dl_solver dl_solver;

typedef struct dl_solver_stats {
	size_t decisions;
	size_t conflicts;
	size_t propagations;
	size_t incompatibilities;
} dl_solver_stats;

int dl_solver_new(dl_solver **out, const dl_solver_provider *provider);
void dl_solver_free(dl_solver *s);

/*
 * Solve.  Returns 0 with *solved true and the selection available through
 * dl_solver_selected, or 0 with *solved false when no solution exists (then
 * dl_solver_explain says why).  A negative code means the solve itself
 * failed (a provider error, no memory): that is not "unsolvable".
 */
int dl_solver_solve(dl_solver *s, bool *solved);

/* After a successful solve: the number of selected packages (the root
 * excluded) and each one's package id and candidate index, sorted by
 * package id. */
size_t dl_solver_selected_count(const dl_solver *s);
void dl_solver_selected(const dl_solver *s, size_t i, uint32_t *pkg, size_t *index);

/* After an unsuccessful solve: append the numbered explanation to `out`. */
int dl_solver_explain(const dl_solver *s, dl_buf *out);

dl_solver_stats dl_solver_get_stats(const dl_solver *s);

#ifdef __cplusplus
}
#endif
#endif
