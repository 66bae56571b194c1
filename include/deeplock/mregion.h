/*
 * deeplock/mregion.h - sets of environments ("marker regions").
 *
 * A universal lock is resolved for every environment at once, and then
 * split ("forked") into parts where requirements differ: linux here,
 * darwin there.  The resolver has to ask set questions of markers that
 * evaluation cannot answer: does `sys_platform == "linux"` overlap this
 * fork?  Are these two markers the same set of environments?  What is left
 * of the universe outside both?  A region answers them exactly.
 *
 * A region is a union of "cubes"; a cube constrains each variable
 * independently:
 *   - python_full_version and implementation_version: a version range
 *     (range.h), matched as PEP 508 evaluates them (PEP 440's exclusive
 *     rules included: 3.9.1rc1 is neither `< "3.9.1"` nor `>= "3.9.1"`,
 *     so a fork on that pair has a third piece, the pre-releases).
 *     python_version is read onto
 *     python_full_version (it is the X.Y of it): `python_version >= "3.9"`
 *     is every 3.9 and later (their pre-releases included),
 *     `python_version == "3.9"` is `python_full_version == "3.9.*"`;
 *   - the string variables (os_name, sys_platform, platform_system,
 *     platform_machine, platform_python_implementation,
 *     implementation_name, platform_release, platform_version): a finite
 *     set of values, or everything but a finite set (platform_release
 *     compared with a literal that is a version is opaque instead, since
 *     evaluation compares it as a version then);
 *   - any other comparison (substring `in`, an ordering of strings, a
 *     python_version literal that is not X.Y, `extras` and
 *     `dependency_groups`) is an opaque condition, true or false, and
 *     two opaque conditions are related only when their text is the same.
 *     Answers stay sound: an opaque condition may make a region that is in
 *     fact empty look non-empty, never the reverse.
 * `extra` comparisons are not variables of an environment: they are
 * decided when a marker is turned into a region, from the extras given
 * (with none, `extra` is the empty string, as in evaluation).
 *
 * Variables are independent (no knowledge that linux implies posix), as in
 * uv.  Regions are values: every operation makes a new one.  Empty cubes
 * are never kept and a cube contained in another is dropped, so the empty
 * region has no cube.
 */
#ifndef DEEPLOCK_MREGION_H
#define DEEPLOCK_MREGION_H

#include "deeplock/common.h"
#include "deeplock/marker.h"
#include "deeplock/specifier.h"
#include "deeplock/version.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dl_mregion dl_mregion;

/* Most cubes one region may hold; an operation that needs more fails with
 * DL_ELIMIT (the complement of k unrelated cubes can have 9^k). */
#define DL_MREGION_MAX_CUBES 4096

/* Every environment, and none. */
int dl_mregion_full(dl_mregion **out);
int dl_mregion_empty(dl_mregion **out);

/* The environments where `m` holds (NULL: all), deciding `extra == "x"`
 * from the extras [extras, extras+n) (any spelling).  Returns 0 or
 * DL_ENOMEM; no marker is refused (what cannot be represented is opaque). */
int dl_mregion_from_marker(dl_mregion **out, const dl_marker *m, const char *const *extras, size_t n);

/* The region of a marker given as text (the empty text is every
 * environment, as dl_mregion_format writes it); DL_EPARSE as
 * dl_marker_parse. */
int dl_mregion_parse(dl_mregion **out, const char *s, size_t len);

/* The environments whose python_full_version `set` admits (a project's
 * requires-python), as a specifier match: ">=3.8, <4" excludes 4.0rc1,
 * which is `python_version < "4"`, not `python_full_version < "4"`. */
int dl_mregion_python(dl_mregion **out, const dl_specset *set);

int dl_mregion_clone(dl_mregion **out, const dl_mregion *a);
void dl_mregion_free(dl_mregion *r);

int dl_mregion_and(dl_mregion **out, const dl_mregion *a, const dl_mregion *b);
int dl_mregion_or(dl_mregion **out, const dl_mregion *a, const dl_mregion *b);
int dl_mregion_not(dl_mregion **out, const dl_mregion *a);

/* A region that says no more than it must inside `base`: *out ∩ base ==
 * a ∩ base, with each constraint that `base` makes redundant dropped
 * (greedily, in slot order), so that a lock for Python >=3.10 writes
 * `sys_platform == "linux"` rather than repeating the Python bound. */
int dl_mregion_within(dl_mregion **out, const dl_mregion *a, const dl_mregion *base);

bool dl_mregion_is_empty(const dl_mregion *a);
/* Exact (cubes that only cover everything together count).  It may have
 * to compute the complement: when memory runs out the answer is false and
 * the stored error is left as it was. */
bool dl_mregion_is_full(const dl_mregion *a);
/* These allocate, hence the return code (0 or DL_ENOMEM). */
int dl_mregion_disjoint(const dl_mregion *a, const dl_mregion *b, bool *out);
int dl_mregion_subset(const dl_mregion *a, const dl_mregion *b, bool *out); /* a ⊆ b */
int dl_mregion_eq(const dl_mregion *a, const dl_mregion *b, bool *out);

/* The lowest python_full_version in the region: *bounded false when some
 * part of it has no lower bound (then *lo is untouched), else *lo (a copy
 * to release with dl_version_clear; it may be a range bound such as
 * "3.9.MIN") and *inclusive.  Returns 0 or DL_ENOMEM; an empty region
 * counts as unbounded. */
int dl_mregion_python_floor(const dl_mregion *a, bool *bounded, dl_version *lo, bool *inclusive);

/*
 * Append the region as a PEP 508 marker: "" for every environment,
 * `python_version < "0"` for none, else cubes joined with " or ", each a
 * conjunction in the fixed variable order (python first), `python_version`
 * wherever a bound falls on an X.Y boundary and `python_full_version`
 * otherwise.  Deterministic: equal regions built the same way print the
 * same.  Returns 0 or the buffer's failure code.
 */
int dl_mregion_format(const dl_mregion *a, dl_buf *out);
int dl_mregion_to_string(char **out, const dl_mregion *a);

/* Number of cubes (for tests and limits). */
size_t dl_mregion_size(const dl_mregion *a);

#ifdef __cplusplus
}
#endif

#endif
