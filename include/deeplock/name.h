/*
 * deeplock/name.h - project and extra names (PEP 503, PEP 508, PEP 685).
 *
 * A project name is compared in its normalised form: lower case, with every
 * run of '-', '_' and '.' folded to one '-'.  Extras are normalised the same
 * way (PEP 685).  Only ASCII is ever folded.
 */
#ifndef DEEPLOCK_NAME_H
#define DEEPLOCK_NAME_H

#include "deeplock/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* True when [s, s+len) is a valid PEP 508 name: ASCII letters and digits at
 * both ends, letters, digits, '-', '_' and '.' between. */
bool dl_name_is_valid(const char *s, size_t len);

/* Write the PEP 503 normal form of [s, s+len) into `out`, which must have
 * room for len + 1 bytes, NUL-terminate it and return its length (never
 * more than len).  Does not validate: callers that need a valid name check
 * dl_name_is_valid first. */
size_t dl_name_normalize_into(char *out, const char *s, size_t len);

/* Allocate the normal form of [s, s+len) into *out (free with dl_free).
 * Fails with DL_EPARSE, naming the input, when it is not a valid name. */
int dl_name_normalize(char **out, const char *s, size_t len);

/* True when two names are equal after normalisation; no allocation. */
bool dl_name_eq(const char *a, size_t alen, const char *b, size_t blen);

#ifdef __cplusplus
}
#endif
#endif
