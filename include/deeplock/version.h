/*
 * deeplock/version.h - PEP 440 versions.
 *
 * A version is parsed once into its parts (epoch, release, pre, post, dev,
 * local) and a packed 64-bit ordering key.  When both sides of a comparison
 * have a key (epoch 0, at most four small release segments, small pre/post/
 * dev numbers, no local label) comparing them is one integer comparison;
 * otherwise a full comparator over the parts gives the same answer.  The
 * ordering is PEP 440's (and pypa/packaging's): trailing zeros of the
 * release do not count, dev releases of a final come before its
 * pre-releases, pre-releases before the final, post-releases after it, and
 * local labels after the public version they qualify.
 *
 * Besides real versions the type can hold two kinds of bound used by
 * version ranges (range.h), never produced by parsing:
 *   DL_VERSION_BOUND_MIN       just below every version that starts with
 *                              this one (its dev and pre-releases included)
 *   DL_VERSION_BOUND_LOCAL_MAX just above every local version of this one
 *   DL_VERSION_BOUND_POST_MAX  just above every post-release (and local
 *                              version) of this one
 * They let the exclusive comparisons of PEP 440 (`<V` admits no
 * pre-release of V, `>V` no post-release or local version of V) be written
 * as plain intervals.
 *
 * Numbers are limited to what fits in 64 bits; a longer number is refused
 * with DL_ELIMIT (packaging accepts arbitrary integers; no real project
 * uses such versions, and the limit keeps comparisons allocation-free).
 */
#ifndef DEEPLOCK_VERSION_H
#define DEEPLOCK_VERSION_H

#include "deeplock/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DL_VERSION_INLINE_RELEASE 6

enum dl_version_pre {
	DL_VERSION_PRE_NONE = -1,
	DL_VERSION_PRE_A = 0,  /* a, alpha */
	DL_VERSION_PRE_B = 1,  /* b, beta */
	DL_VERSION_PRE_RC = 2, /* rc, c, pre, preview */
};

enum dl_version_bound {
	DL_VERSION_BOUND_NONE = 0,
	DL_VERSION_BOUND_MIN,
	DL_VERSION_BOUND_LOCAL_MAX,
	DL_VERSION_BOUND_POST_MAX,
};

/*
 * A parsed version.  The fields are public for speed but read them through
 * the accessors below where one exists.  A dl_version owns memory only when
 * it has more than DL_VERSION_INLINE_RELEASE release segments or a local
 * label: release it with dl_version_clear (embedded) or dl_version_free
 * (allocated by dl_version_parse); copy it with dl_version_copy, never by
 * assignment.
 */
typedef struct dl_version {
	uint64_t key;       /* packed ordering key; 0 when the version does not pack */
	uint64_t epoch;
	uint64_t pre_num;   /* valid when pre_kind != DL_VERSION_PRE_NONE */
	uint64_t post_num;  /* valid when has_post */
	uint64_t dev_num;   /* valid when has_dev */
	uint64_t rel_inline[DL_VERSION_INLINE_RELEASE];
	uint64_t *rel_heap; /* the release when nrelease > DL_VERSION_INLINE_RELEASE */
	char *local;        /* normalised local label ("ubuntu.1"), or NULL */
	uint32_t nrelease;  /* >= 1 */
	uint32_t local_len;
	int8_t pre_kind;    /* enum dl_version_pre */
	bool has_post;
	bool has_dev;
	uint8_t bound;      /* enum dl_version_bound */
} dl_version;

/* Parse [s, s+len) (surrounding whitespace and a leading 'v' allowed) into
 * `v`, which need not be initialised and must be released with
 * dl_version_clear.  On failure `v` holds nothing to release and the stored
 * error names the input and the 1-based column where parsing stopped
 * (DL_EPARSE), or says which number is too large (DL_ELIMIT). */
int dl_version_parse_into(dl_version *v, const char *s, size_t len);

/* As dl_version_parse_into, into a new allocation freed with
 * dl_version_free. */
int dl_version_parse(dl_version **out, const char *s, size_t len);

/* True when [s, s+len) is a valid PEP 440 version.  Leaves the caller's
 * stored error as it was (it parses for real, so it may allocate; on
 * allocation failure it answers false). */
bool dl_version_is_valid(const char *s, size_t len);

void dl_version_clear(dl_version *v);
void dl_version_free(dl_version *v);

/* Deep copy of `src` into `dst` (uninitialised); DL_ENOMEM on failure. */
int dl_version_copy(dl_version *dst, const dl_version *src);

/* A copy of `v` turned into the given bound (see the file comment). */
int dl_version_bound_copy(dl_version *dst, const dl_version *v, enum dl_version_bound bound);

/* Compare: negative, 0 or positive as a < b, a == b, a > b in PEP 440 order
 * (so "1.0" and "1.0.0" compare equal). */
int dl_version_cmp(const dl_version *a, const dl_version *b);

/* The full comparator, never using the packed keys (for tests and fuzzing). */
int dl_version_cmp_full(const dl_version *a, const dl_version *b);

/* Equal in PEP 440 order. */
static inline bool dl_version_eq(const dl_version *a, const dl_version *b)
{
	return dl_version_cmp(a, b) == 0;
}

/* A hash consistent with dl_version_eq (trailing zeros ignored). */
uint64_t dl_version_hash(const dl_version *v);

/* The release segments (borrowed) and their count. */
static inline const uint64_t *dl_version_release(const dl_version *v)
{
	return v->nrelease <= DL_VERSION_INLINE_RELEASE ? v->rel_inline : v->rel_heap;
}

/* PEP 440 classification, as packaging defines it: a dev release is also a
 * pre-release. */
static inline bool dl_version_is_prerelease(const dl_version *v)
{
	return v->pre_kind != DL_VERSION_PRE_NONE || v->has_dev;
}
static inline bool dl_version_is_devrelease(const dl_version *v) { return v->has_dev; }
static inline bool dl_version_is_postrelease(const dl_version *v) { return v->has_post; }

/* Append the canonical form ("1!2.0rc1.post3.dev4+ubuntu.1") to `out`.
 * Bounds print with a suffix ("1.0.MIN") and are for debugging only. */
int dl_version_format(const dl_version *v, dl_buf *out);
/* Only the public part (no local label). */
int dl_version_format_public(const dl_version *v, dl_buf *out);
/* Only epoch and release ("base_version"). */
int dl_version_format_base(const dl_version *v, dl_buf *out);

#ifdef __cplusplus
}
#endif
#endif
