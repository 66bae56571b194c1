/*
 * deeplock/requirement.h - PEP 508 dependency specifications.
 *
 * `name [extras] (specifier | @ url) ; marker`, as found in Requires-Dist,
 * pyproject.toml and requirements files.  A parsed requirement keeps the
 * name as written (for printing) next to its PEP 503 normal form (for
 * comparing), its extras in PEP 685 normal form, sorted and without
 * duplicates, its specifier set, its URL and its marker.  The old
 * `name (>=1.0,<2)` form of early metadata is accepted.
 *
 * The whole requirement lives in one allocation (plus the specifier set and
 * the marker), since a resolution holds tens of thousands of them.
 */
#ifndef DEEPLOCK_REQUIREMENT_H
#define DEEPLOCK_REQUIREMENT_H

#include "deeplock/common.h"
#include "deeplock/marker.h"
#include "deeplock/specifier.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A parsed requirement.  Read-only for callers; every pointer is owned by
 * the requirement and freed by dl_requirement_free. */
typedef struct dl_requirement {
	const char *name;            /* as written, e.g. "Foo.Bar" */
	const char *normalized_name; /* PEP 503, e.g. "foo-bar" */
	const char *const *extras;   /* PEP 685 normal form, sorted, unique */
	size_t n_extras;
	dl_specset *specifier;       /* never NULL: an empty set when none is given */
	const char *url;             /* the direct reference of `name @ URL`, else NULL */
	dl_marker *marker;           /* NULL when there is none (always true) */
} dl_requirement;

/*
 * Parse the requirement [s, s+len) into *out (free with
 * dl_requirement_free).  Spaces and tabs are allowed between all tokens and
 * at both ends; nothing else may follow.  The URL of `name @ URL` runs to
 * the next space or tab, so a marker after a URL needs whitespace before
 * its ';'.  Returns DL_EPARSE with a message naming the input, the 1-based
 * column and what was expected there (e.g. "invalid requirement 'foo bar':
 * expected a version specifier, '@', ';' or end of input at column 5"),
 * DL_ELIMIT for inputs over 64 KiB, or DL_ENOMEM.  It checks the URL for
 * nothing but presence: whether it is a usable URL is the fetcher's
 * business.
 */
int dl_requirement_parse(dl_requirement **out, const char *s, size_t len);

/* Release a requirement.  NULL is ignored. */
void dl_requirement_free(dl_requirement *r);

/* A deep copy. */
int dl_requirement_clone(dl_requirement **out, const dl_requirement *r);

/*
 * Append the normal form, as pypa/packaging's str() writes it: the name as
 * written, `[extras]` (normalised, sorted, comma-separated), the
 * specifiers (dl_requirement_format_specifier), ` @ URL`, and `; marker`
 * (with a space before the ';' after a URL).  Unlike packaging, versions in
 * specifiers are printed in canonical form ("1.0-alpha" as "1.0a0").  Returns 0 or the buffer's failure code.
 */
int dl_requirement_format(const dl_requirement *r, dl_buf *out);

/* Append only the specifier part of the normal form: each specifier in
 * the specifier module's normal form, sorted as strings (packaging's
 * order), joined with ','.  Nothing for an empty set. */
int dl_requirement_format_specifier(const dl_requirement *r, dl_buf *out);

/* The normal form as a new string (free with dl_free). */
int dl_requirement_to_string(char **out, const dl_requirement *r);

/*
 * Equality as pypa/packaging defines it: normalised names, the same set of
 * normalised extras, equal specifier sets (each specifier compared by
 * operator and normalised version, so `==1.0` equals `==1.0.0`), the same
 * URL byte for byte, and equal markers (dl_marker_eq).  dl_requirement_hash
 * is consistent with it.  Neither allocates.
 */
bool dl_requirement_eq(const dl_requirement *a, const dl_requirement *b);
uint64_t dl_requirement_hash(const dl_requirement *r);

#ifdef __cplusplus
}
#endif
#endif
