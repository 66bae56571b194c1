/*
 * deeplock/specifier.h - PEP 440 version specifiers and specifier sets.
 *
 * A specifier set is a comma-separated list such as ">=1.0, !=1.3.*, <2";
 * the empty set matches every version.  Membership follows PEP 440 and
 * pypa/packaging (25.x, whose vectors the conformance test reads):
 *   - membership itself (dl_specset_contains) admits a pre-release that
 *     the operators admit, unless the caller denies pre-releases;
 *   - choosing among candidates (dl_specset_filter, and the resolver) is
 *     where pre-releases are held back: they are kept only when the caller
 *     allows them, a specifier names one (">=2.0b1"), or nothing but
 *     pre-releases matches;
 *   - `<V` admits no pre-release of V unless V is one; `>V` admits no
 *     post-release of V unless V is one, and no local version of V;
 *   - `==V` and `!=V` ignore the candidate's local label when V has none.
 * Where packaging's wording and PEP 440's differ, PEP 440 wins: "a
 * pre-release of V" means a pre-release of exactly V (so `<1.0.post1`
 * admits 1.0a1), and "a post-release of V" likewise.
 *
 * For resolution a set is turned into a version range (range.h), whose
 * membership equals dl_specset_contains with pre-releases allowed.
 */
#ifndef DEEPLOCK_SPECIFIER_H
#define DEEPLOCK_SPECIFIER_H

#include "deeplock/common.h"
#include "deeplock/version.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dl_spec_op {
	DL_SPEC_COMPATIBLE = 0, /* ~= */
	DL_SPEC_EQ,             /* == */
	DL_SPEC_EQ_PREFIX,      /* ==V.* */
	DL_SPEC_NE,             /* != */
	DL_SPEC_NE_PREFIX,      /* !=V.* */
	DL_SPEC_LE,             /* <= */
	DL_SPEC_GE,             /* >= */
	DL_SPEC_LT,             /* < */
	DL_SPEC_GT,             /* > */
	DL_SPEC_ARBITRARY,      /* === */
} dl_spec_op;

/* How pre-releases are treated by membership tests. */
enum dl_prereleases {
	DL_PRERELEASES_DEFAULT = 0, /* packaging's rule above */
	DL_PRERELEASES_ALLOW = 1,   /* every pre-release is a candidate */
	DL_PRERELEASES_DENY = 2,    /* no pre-release is */
};

/* One specifier.  `version` is unset (nrelease 0) for `===` with a string
 * that is not a version; `text` always holds the specifier's version text
 * as written (trimmed), for `===` and for printing. */
typedef struct dl_spec {
	dl_spec_op op;
	dl_version version;
	char *text;
} dl_spec;

typedef struct dl_specset {
	dl_spec *specs;
	size_t count;
} dl_specset;

/* Parse a comma-separated set (empty or all-whitespace gives the empty set)
 * into a new allocation freed with dl_specset_free.  Each specifier is
 * validated per PEP 440: `~=` needs two release segments, ordered
 * comparisons and `~=` take no local label, wildcards follow only a
 * release.  Errors name the input and the 1-based column. */
int dl_specset_parse(dl_specset **out, const char *s, size_t len);
void dl_specset_free(dl_specset *set);

/* Membership of `v` under a dl_prereleases policy (an int so that `true`
 * means DL_PRERELEASES_ALLOW); the default admits pre-releases, DENY does
 * not. */
bool dl_specset_contains(const dl_specset *set, const dl_version *v, int prereleases);

/* Membership of one specifier, pre-releases allowed (the operator alone). */
bool dl_spec_matches(const dl_spec *spec, const dl_version *v);

/* Membership of one specifier under a policy; for a lone specifier the
 * default admits pre-releases (packaging's Specifier.contains). */
bool dl_spec_contains(const dl_spec *spec, const dl_version *v, int prereleases);

/* Membership of a candidate given as text: a valid version is tested as
 * above; any other string can only match `===` specifiers, by
 * case-insensitive string equality. */
bool dl_specset_contains_text(const dl_specset *set, const char *s, size_t len, int prereleases);

/* True when some specifier of the set names a pre-release (operators
 * other than != whose version is a pre-release). */
bool dl_specset_names_prerelease(const dl_specset *set);

/* True when some final (not pre-) release satisfies the set. */
bool dl_specset_admits_final(const dl_specset *set);

/*
 * packaging's filter: the versions of `in` (n of them) that the set admits,
 * written as indices into `keep` (room for n); returns how many.  With the
 * default policy, when only pre-releases match they are returned.
 */
size_t dl_specset_filter(const dl_specset *set, const dl_version *in, size_t n, int prereleases, size_t *keep);
/* The same for a lone specifier (its default admits pre-releases only when
 * it names one, or when nothing else matches). */
size_t dl_spec_filter(const dl_spec *spec, const dl_version *in, size_t n, int prereleases, size_t *keep);

/* Append the normal form (specifiers in their given order, canonical
 * versions, joined with ",") to `out`. */
int dl_specset_format(const dl_specset *set, dl_buf *out);
int dl_spec_format(const dl_spec *spec, dl_buf *out);

/* Equality of sets as packaging defines it: the same specifiers, compared
 * by operator and version (canonical), in any order.  And a matching hash. */
bool dl_specset_eq(const dl_specset *a, const dl_specset *b);
uint64_t dl_specset_hash(const dl_specset *set);

const char *dl_spec_op_str(dl_spec_op op);

#ifdef __cplusplus
}
#endif
#endif
