/*
 * deeplock/hash.h - streaming SHA-256 and hexadecimal helpers.
 *
 * Artifacts are identified by their SHA-256 (PEP 503 fragments, lock files,
 * the content-addressed cache), and downloads are hashed while they arrive,
 * so the hasher is incremental.  The digest itself comes from OpenSSL's
 * libcrypto (EVP), which is fast and audited; this module only wraps it in
 * deeplock's error conventions.  OpenSSL allocates its context through its
 * own allocator, so the library's allocation hook does not see it.
 */
#ifndef DEEPLOCK_HASH_H
#define DEEPLOCK_HASH_H

#include "deeplock/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DL_SHA256_LEN 32
#define DL_SHA256_HEX_LEN 64

/* An incremental SHA-256 computation.  Zero-initialise it or use
 * DL_SHA256_INIT so that dl_sha256_dispose is always safe to call. */
typedef struct dl_sha256 {
	void *ctx; /* EVP_MD_CTX *, NULL when not started */
} dl_sha256;

#define DL_SHA256_INIT {NULL}

/* Start (or restart) a computation in `h`, discarding any data fed so far.
 * Fails with DL_ENOMEM or DL_ERROR (libcrypto refused); `h` then needs no
 * disposal beyond dl_sha256_dispose. */
int dl_sha256_init(dl_sha256 *h);

/* Feed `len` bytes.  Fails with DL_EINVAL when `h` was not started. */
int dl_sha256_update(dl_sha256 *h, const void *data, size_t len);

/* Finish: write the 32-byte digest to `out` and release the context, so
 * `h` must be started again before reuse.  Does not encode to hex. */
int dl_sha256_final(dl_sha256 *h, uint8_t out[DL_SHA256_LEN]);

/* Release whatever `h` holds; safe on a finished or never-started hasher. */
void dl_sha256_dispose(dl_sha256 *h);

/* One-shot digest of a buffer into 64 lowercase hex digits plus NUL. */
int dl_sha256_hex(char out[DL_SHA256_HEX_LEN + 1], const void *data, size_t len);

/* Encode `n` bytes as 2n lowercase hex digits followed by a NUL; `out` must
 * hold 2n+1 bytes.  Never fails. */
void dl_hex_encode(char *out, const uint8_t *in, size_t n);

/* Decode exactly 2n hex digits (either case) from the slice into `out`.
 * Fails with DL_EPARSE (naming the 1-based position of the first bad
 * digit) or when the slice length is not 2n; `out` is then unspecified. */
int dl_hex_decode(uint8_t *out, size_t n, const char *hex, size_t len);

/* True when the slice is exactly 64 hex digits (a SHA-256 in hex). */
bool dl_sha256_hex_valid(const char *hex, size_t len);

#ifdef __cplusplus
}
#endif
#endif
