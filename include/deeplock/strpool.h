/*
 * deeplock/strpool.h - interning of strings to small integer ids.
 *
 * The resolver and the lock model refer to project names, extras and other
 * repeated strings by id so that their hot paths compare integers (libsolv's
 * strpool).  Id 0 is reserved for "none"; the first interned string gets 1.
 * Strings are stored once, NUL-terminated, and stay valid until the pool is
 * freed.  The pool is not thread-safe.
 */
#ifndef DEEPLOCK_STRPOOL_H
#define DEEPLOCK_STRPOOL_H

#include "deeplock/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dl_strpool dl_strpool;
typedef uint32_t dl_strid;

int dl_strpool_new(dl_strpool **out);
void dl_strpool_free(dl_strpool *pool);

/* Intern [s, s+len) and store its id in *out; the same bytes always give the
 * same id.  Fails only on allocation failure (DL_ENOMEM) or when the pool
 * would exceed 2^31 strings (DL_ELIMIT). */
int dl_strpool_intern(dl_strpool *pool, const char *s, size_t len, dl_strid *out);

/* The id of [s, s+len) if it was interned, else 0.  Never allocates. */
dl_strid dl_strpool_find(const dl_strpool *pool, const char *s, size_t len);

/* The string of an id (borrowed), or NULL for 0 or an unknown id. */
const char *dl_strpool_str(const dl_strpool *pool, dl_strid id);
size_t dl_strpool_len(const dl_strpool *pool, dl_strid id);

/* Number of interned strings. */
size_t dl_strpool_count(const dl_strpool *pool);

/* A 64-bit hash of bytes (FNV-1a folded through a final mixer); stable across
 * runs and machines, so it may be used for on-disk keys. */
uint64_t dl_hash_bytes(const void *data, size_t len);

#ifdef __cplusplus
}
#endif
#endif
