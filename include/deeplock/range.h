/*
 * deeplock/range.h - sets of versions as unions of intervals.
 *
 * The resolver reasons about "which versions of a package are still
 * allowed" with set algebra: a range is a sorted list of disjoint,
 * non-touching intervals, each bounded below and above by nothing, an
 * inclusive version or an exclusive one.  Every set has exactly one such
 * form (overlapping and touching intervals are merged, empty ones dropped),
 * so two ranges are equal exactly when their interval lists are.
 *
 * A range is a set of versions, nothing more: pre-release policy is a
 * matter of which candidates the resolver offers, not of the set.  PEP 440's
 * exclusive rules become intervals through the bound versions of version.h
 * (`<1.0` is "below 1.0.MIN"); `===V` becomes the single version V when V
 * parses (string identity is checked when a candidate file is chosen) and
 * the empty set otherwise.
 *
 * Ranges own their versions.  Operations write a new range into an output
 * that the caller initialises with dl_range_init and releases with
 * dl_range_clear; outputs may not alias inputs.
 */
#ifndef DEEPLOCK_RANGE_H
#define DEEPLOCK_RANGE_H

#include "deeplock/common.h"
#include "deeplock/specifier.h"
#include "deeplock/version.h"

#ifdef __cplusplus
extern "C" {
#endif

enum dl_bound_kind {
	DL_BOUND_UNBOUNDED = 0,
	DL_BOUND_INCLUSIVE,
	DL_BOUND_EXCLUSIVE,
};

typedef struct dl_interval {
	uint8_t lo_kind; /* enum dl_bound_kind */
	uint8_t hi_kind;
	dl_version lo;   /* set unless lo_kind is DL_BOUND_UNBOUNDED */
	dl_version hi;
} dl_interval;

typedef struct dl_range {
	dl_interval *iv;
	size_t n;
	size_t cap;
} dl_range;

void dl_range_init(dl_range *r);  /* the empty set */
void dl_range_clear(dl_range *r); /* release; leaves the empty set */

int dl_range_full(dl_range *out);                      /* every version */
int dl_range_exact(dl_range *out, const dl_version *v); /* {v} */
int dl_range_copy(dl_range *out, const dl_range *r);

/* The versions one specifier admits (pre-releases included). */
int dl_range_from_spec(dl_range *out, const dl_spec *spec);
/* The intersection over a set; the empty set of specifiers gives "full". */
int dl_range_from_specset(dl_range *out, const dl_specset *set);

int dl_range_union(dl_range *out, const dl_range *a, const dl_range *b);
int dl_range_intersect(dl_range *out, const dl_range *a, const dl_range *b);
int dl_range_complement(dl_range *out, const dl_range *a);
int dl_range_difference(dl_range *out, const dl_range *a, const dl_range *b);

bool dl_range_is_empty(const dl_range *r);
bool dl_range_is_full(const dl_range *r);
bool dl_range_contains(const dl_range *r, const dl_version *v);
bool dl_range_eq(const dl_range *a, const dl_range *b);
/* a ⊆ b */
bool dl_range_subset(const dl_range *a, const dl_range *b);
bool dl_range_disjoint(const dl_range *a, const dl_range *b);
/* True when some final (not pre- or dev) release lies in the range. */
bool dl_range_has_final(const dl_range *r);

/* Append a specifier-like form: "*" for everything, "∅" spelled "<empty>"
 * for nothing, otherwise intervals joined by " | ", each as ">=1.0, <2.0"
 * or "==1.0"; bound versions print in words (">=1.0 (excluding its
 * pre-releases)" is "<1.0.MIN" written as "<1.0 (pre-releases of 1.0
 * excluded)"). */
int dl_range_format(const dl_range *r, dl_buf *out);

#ifdef __cplusplus
}
#endif
#endif
