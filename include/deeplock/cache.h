/*
 * deeplock/cache.h - the on-disk cache: HTTP responses and content-addressed
 * artifacts, shared safely by concurrent processes.
 *
 * Layout, under a root chosen by the caller (the CLI picks
 * $XDG_CACHE_HOME/deeplock or similar):
 *
 *     root/v1/http/ab/abcdef...   one file per response, named by the
 *                                 SHA-256 of "<url>\n<accept>", where
 *                                 <url> has neither credentials nor
 *                                 fragment and <accept> is the Accept
 *                                 header ("" when none)
 *     root/v1/sha256/ab/abcdef... one file per artifact, named by the
 *                                 SHA-256 of its contents
 *     root/v1/derived/ab/abc...   facts computed from an artifact (a
 *                                 wheel's METADATA read by range
 *                                 requests), named by the SHA-256 of
 *                                 "<artifact sha256>\n<label>"
 *
 * The version directory lets a future layout live beside this one.  Every
 * file is written atomically (a temporary in the same directory, then
 * rename), so two processes storing the same entry leave one complete entry,
 * and readers never see half a file.  An HTTP entry is a single file (a
 * short text header with the metadata, the body's size and SHA-256, a blank
 * line, then the body), so metadata and body can never disagree.  Anything
 * that fails verification on read (wrong size, wrong hash, bad header) is
 * deleted and reported as a miss; it is never served.
 *
 * Freshness follows RFC 9111 for a private cache, simplified: a response is
 * fresh while its age is below Cache-Control max-age and it carries neither
 * no-cache nor must-revalidate-with-zero-age; a response without max-age is
 * always revalidated (no heuristic freshness), and one with no-store is
 * never written.  Stale entries with an ETag or Last-Modified are
 * revalidated with a conditional request; a 304 refreshes them.
 *
 * Files are created 0600 and directories 0700: cached index pages may come
 * from private indexes.  No file holds a password: URLs are stored without
 * their userinfo, and the key ignores it too, so one page fetched with
 * different credentials is one entry.
 */
#ifndef DEEPLOCK_CACHE_H
#define DEEPLOCK_CACHE_H

#include "deeplock/common.h"
#include "deeplock/fetch.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dl_cache_mode {
	DL_CACHE_NORMAL = 0, /* fresh entries served, stale ones revalidated */
	DL_CACHE_REFRESH,    /* every entry revalidated (conditional requests) */
	DL_CACHE_NO_CACHE,   /* the cache is neither read nor written */
	DL_CACHE_OFFLINE     /* anything cached is served, stale or not; a miss fails */
} dl_cache_mode;

typedef struct dl_cache dl_cache;

/* The Cache-Control directives the cache acts on. */
typedef struct dl_cache_control {
	int64_t max_age;      /* seconds, -1 when absent */
	bool no_cache;        /* revalidate before every use */
	bool no_store;        /* never write it */
	bool must_revalidate; /* stale means revalidate, even offline would not help */
} dl_cache_control;

/* Parse a Cache-Control value (comma-separated directives, names in any
 * case, values as tokens or quoted strings; unknown directives ignored; the
 * first max-age wins).  Fails with DL_EPARSE naming the 1-based column and
 * what was expected.  Does not combine several header lines: join them with
 * ", " first. */
int dl_cache_control_parse(dl_cache_control *out, const char *s, size_t len);

/* A cached HTTP response.  Owned by the caller; free with
 * dl_cache_entry_free. */
typedef struct dl_cache_entry {
	long status;          /* 200 */
	int64_t stored_at;    /* seconds since the epoch when fetched or revalidated */
	char *url;            /* final URL after redirects */
	char *etag;           /* NULL when absent, like the three below */
	char *last_modified;
	char *cache_control;
	char *content_type;
	char *body;           /* NUL-terminated copy */
	size_t body_len;
} dl_cache_entry;

/* Open (creating root/v1/http and root/v1/sha256 as needed) a cache at
 * `root` in `mode`.  In DL_CACHE_NO_CACHE mode nothing is created.  Fails
 * with DL_EIO naming the directory, or DL_ENOMEM. */
int dl_cache_open(dl_cache **out, const char *root, dl_cache_mode mode);

/* Release the handle; the files stay.  NULL is fine.  Requests made with
 * dl_cache_fetch_add that were never answered are released too: free the
 * fetch engine first, so none of them can still be answered. */
void dl_cache_free(dl_cache *c);

dl_cache_mode dl_cache_get_mode(const dl_cache *c);

/* Look up the response for `url` requested with `accept` (NULL = none).
 * The entry's url is the stored final URL, given the credentials of `url`
 * when both have the same scheme, host and port (as libcurl would have
 * sent them), so links resolved against it work as after a download.
 * A miss, and an entry found damaged (then deleted), fail with DL_ENOTFOUND
 * naming the URL (redacted).  Does not judge freshness: see
 * dl_cache_entry_is_fresh.  Ignores the mode. */
int dl_cache_http_load(dl_cache *c, dl_cache_entry **out, const char *url, const char *accept);

/* Store `e` for (url, accept), replacing any previous entry atomically;
 * e->url is written without its credentials.  When e->cache_control says
 * no-store (or cannot be parsed) nothing is written and any previous entry
 * is removed; that is a success.  Header values containing line breaks
 * fail with DL_EINVAL.  Ignores the mode. */
int dl_cache_http_store(dl_cache *c, const char *url, const char *accept, const dl_cache_entry *e);

/* Remove the entry for (url, accept) if there is one. */
int dl_cache_http_remove(dl_cache *c, const char *url, const char *accept);

/* True when `e` may be served at time `now` without asking the server. */
bool dl_cache_entry_is_fresh(const dl_cache_entry *e, int64_t now);

void dl_cache_entry_free(dl_cache_entry *e);

/* Store an artifact under its SHA-256 (64 hex digits, any case).  The data
 * is hashed first; a mismatch fails with DL_EINVAL ("hash mismatch for
 * artifact: expected ..., got ...") and writes nothing. */
int dl_cache_artifact_store(dl_cache *c, const char *sha256_hex, const void *data, size_t len);

/* Load an artifact, verifying its hash (and, with `max`, its size bound;
 * 0 = no bound beyond DL_BUF_DEFAULT_MAX).  A miss, or a damaged file
 * (deleted on the spot), fails with DL_ENOTFOUND. */
int dl_cache_artifact_load(dl_cache *c, char **data, size_t *len, const char *sha256_hex, size_t max);

/* Store bytes derived from the artifact whose SHA-256 is `sha256_hex`
 * under `label` (letters, digits, '-', '_', '.'; e.g. "METADATA"),
 * replacing any previous entry.  The entry records its own size and
 * SHA-256.  DL_EINVAL for a bad key or label, DL_EIO, DL_ENOMEM. */
int dl_cache_derived_store(dl_cache *c, const char *sha256_hex, const char *label, const void *data, size_t len);

/* Load what dl_cache_derived_store stored, verified (NUL-terminated; free
 * with dl_free).  A miss, a damaged entry (deleted) or one larger than
 * `max` (0 = no bound) fails with DL_ENOTFOUND. */
int dl_cache_derived_load(dl_cache *c, char **data, size_t *len, const char *sha256_hex, const char *label,
                          size_t max);

/* Bytes and number of entries (HTTP and artifacts; temporaries excluded). */
typedef struct dl_cache_usage {
	uint64_t bytes;
	uint64_t entries;
} dl_cache_usage;

int dl_cache_usage_get(dl_cache *c, dl_cache_usage *out);

/* Delete every entry and temporary under root/v1, keeping the directories.
 * Safe while other processes use the cache (they see misses). */
int dl_cache_clean(dl_cache *c);

/*
 * The fetcher integration: a GET through the cache.
 *
 * dl_cache_fetch_add queues `req` on `f` so that its callback sees the
 * response from the cache or the network, per the mode: a fresh entry is
 * served with no request (source DL_FETCH_CACHE_FRESH); a stale one is
 * revalidated with If-None-Match / If-Modified-Since and, on 304, served
 * from the cache with refreshed metadata (DL_FETCH_CACHE_REVALIDATED, status
 * 200); a 200 is stored unless no-store.  Offline, a miss completes with
 * DL_ENOTFOUND ("offline and not in the cache: <url>").  Requests with a
 * Range, and file:// URLs (already local, and without validators), bypass
 * the cache in every mode, so an offline run still reads a local index.  The callback always runs from dl_fetch_run, as
 * for dl_fetch_add; the fetcher's counters record hits and revalidations.
 * A failure to write the cache does not fail the request.  `c` and `f` must
 * outlive the run.
 */
int dl_cache_fetch_add(dl_cache *c, dl_fetch *f, const dl_fetch_request *req);

#ifdef __cplusplus
}
#endif
#endif
