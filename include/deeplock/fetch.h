/*
 * deeplock/fetch.h - many HTTP(S) and file:// transfers at once from one
 * thread, through one libcurl multi handle (curl's own model).
 *
 * A dl_fetch engine owns the multi handle, so connections, TLS sessions and
 * DNS answers are reused across requests, and HTTP/2 streams share a
 * connection when the server offers it.  Callers queue requests with
 * dl_fetch_add and drive everything with dl_fetch_run, which returns when
 * every request has completed; each request's completion callback runs on
 * the caller's thread, from inside dl_fetch_run, and may queue more.
 *
 * Behaviour worth knowing:
 *   - At most `max_concurrency` transfers run at once (default 32), at most
 *     `max_per_host` connections per host (default 16); the rest wait in
 *     FIFO order.
 *   - Connection failures, timeouts, truncated bodies, 408, 429 and 5xx
 *     answers are retried up to `max_retries` times, with exponential
 *     backoff plus random jitter, or after the server's Retry-After
 *     (seconds or an HTTP date), capped at `retry_max_ms`.
 *   - Redirects are followed up to `max_redirects`; an https request never
 *     follows a redirect to plain http, and no redirect leads to file://
 *     (libcurl's CURLOPT_REDIR_PROTOCOLS_STR enforces both).
 *   - Body caps (DL_ELIMIT), expected-hash mismatches, too many redirects
 *     and 4xx answers other than 408 and 429 are never retried.
 *   - Proxies come from the environment exactly as libcurl reads them (the
 *     engine sets no CURLOPT_PROXY, which is what makes libcurl look):
 *     http_proxy, https_proxy (either case), all_proxy/ALL_PROXY, and
 *     no_proxy/NO_PROXY for hosts to reach directly.  Uppercase HTTP_PROXY
 *     is ignored, as libcurl does, because CGI sets it from a request
 *     header.  test_fetch checks each of these against a loopback proxy.
 *   - TLS peers are verified against libcurl's default CA store, or the
 *     `ca_bundle` file when given; verification is never turned off.
 *   - Credentials in a URL (https://user:pass@host/) are sent as HTTP Basic
 *     auth to that host only (a redirect to another host drops them); with
 *     `netrc` set, URLs without credentials take them from a netrc file.
 *     Every message shows URLs redacted through dl_index_url_redact, and
 *     curl's own error text is scrubbed of the password, so no message ever
 *     contains it.  The response's url and final_url are NOT redacted: they
 *     are what the caller resolves links against.
 *   - HTTP/2 is negotiated (ALPN) on https when the server offers it, and
 *     concurrent requests to one host then share a connection; plain http
 *     stays HTTP/1.1 with keep-alive.
 *   - Responses are decompressed (gzip, deflate, whatever libcurl supports)
 *     unless a Range was asked for.
 *   - A status >= 400 after the last retry is an error (DL_ENOTFOUND for 404
 *     and 410, DL_EIO otherwise); 304 is a success for conditional requests.
 */
#ifndef DEEPLOCK_FETCH_H
#define DEEPLOCK_FETCH_H

#include <time.h>

#include "deeplock/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dl_fetch dl_fetch;

#define DL_FETCH_OPTS_VERSION 1

/* Engine options; 0 in any numeric field means "the default". */
typedef struct dl_fetch_opts {
	unsigned version;          /* DL_FETCH_OPTS_VERSION */
	unsigned max_concurrency;  /* transfers at once; default 32 */
	unsigned max_per_host;     /* connections per host; default 16 */
	long connect_timeout_ms;   /* default 15000 */
	long low_speed_time_s;     /* abort when under 1 byte/s for this long; default 30 */
	long timeout_ms;           /* whole attempt, 0 = none (the default); counts time
	                              spent waiting for a per-host connection slot */
	int max_retries;           /* extra attempts; default 3, negative = none */
	long retry_base_ms;        /* first backoff; default 500 */
	long retry_max_ms;         /* cap on one wait, also on Retry-After; default 30000 */
	long max_redirects;        /* default 10, negative = follow none */
	size_t default_max_body;   /* cap when a request sets none; default 256 MiB */
	const char *ca_bundle;     /* PEM file of CAs, NULL = libcurl's default */
	const char *user_agent;    /* NULL = "deeplock/<version>" */
	bool netrc;                /* look up credentials for URLs that carry none */
	const char *netrc_file;    /* with netrc: this file, NULL = ~/.netrc */
} dl_fetch_opts;

#define DL_FETCH_OPTS_INIT {DL_FETCH_OPTS_VERSION, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL, NULL, false, NULL}

/* Where a response came from (set by the cache layer, see cache.h). */
typedef enum dl_fetch_source {
	DL_FETCH_NETWORK = 0,     /* a full answer from the server */
	DL_FETCH_CACHE_FRESH,     /* served from the cache without a request */
	DL_FETCH_CACHE_REVALIDATED /* server said 304; cached body served */
} dl_fetch_source;

/* What a completion callback receives.  Every pointer is borrowed and valid
 * only during the callback, except that the callback may take `body` over
 * with dl_buf_detach (then it owns and frees the bytes). */
typedef struct dl_fetch_response {
	int rc;                /* 0, or the DL_E* code of the failure */
	const char *error;     /* the failure's message (redacted), "" on success */
	long status;           /* last HTTP status; 0 for file:// or no answer */
	const char *url;       /* the URL as requested */
	const char *final_url; /* after redirects */
	/* Response headers of the final answer, NULL when absent. */
	const char *content_type;
	const char *etag;
	const char *last_modified;
	const char *cache_control;
	const char *content_range;
	const char *accept_ranges;
	const char *retry_after;
	dl_buf body;          /* decoded body, capped at the request's max_body */
	unsigned attempts;    /* 1 + retries made */
	double seconds;       /* from first attempt to completion, waits included */
	dl_fetch_source source;
	void *user;           /* the request's user pointer */
} dl_fetch_response;

/* Completion callback.  Runs once per request, success or failure; on
 * failure dl_error_last() also holds the message, so the callback can add
 * context.  It may call dl_fetch_add on `f` but must not free `f` or call
 * dl_fetch_run. */
typedef void (*dl_fetch_done_fn)(dl_fetch *f, dl_fetch_response *resp);

/* One request.  Every string is copied by dl_fetch_add. */
typedef struct dl_fetch_request {
	const char *url;               /* http, https or file */
	const char *accept;            /* Accept header value, or NULL */
	const char *const *headers;    /* extra "Name: value" lines, NULL-terminated, or NULL */
	const char *range;             /* "0-1023" (bytes), or NULL */
	const char *if_none_match;     /* an ETag, or NULL */
	const char *if_modified_since; /* an HTTP date, or NULL */
	size_t max_body;               /* cap on the decoded body; 0 = the engine's default */
	const char *expected_sha256;   /* 64 hex digits checked on a 200 body, or NULL */
	dl_fetch_done_fn done;         /* required */
	void *user;
} dl_fetch_request;

/* Counters since dl_fetch_new, for progress reports and benchmarks. */
typedef struct dl_fetch_counters {
	uint64_t requests;  /* requests completed (success or failure) */
	uint64_t attempts;  /* transfers started, retries included */
	uint64_t retries;   /* of those, retries */
	uint64_t failures;  /* requests completed with an error */
	uint64_t bytes;     /* decoded body bytes received, all attempts */
	uint64_t cache_hits;          /* served fresh by the cache layer */
	uint64_t cache_revalidations; /* 304 answers reused by the cache layer */
} dl_fetch_counters;

/* Create an engine with `opts` (NULL for defaults).  Fails with DL_ENOMEM,
 * DL_EINVAL (unknown options version) or DL_ERROR when libcurl cannot be
 * initialised.  Free with dl_fetch_free. */
int dl_fetch_new(dl_fetch **out, const dl_fetch_opts *opts);

/* Abort every transfer still queued or running, without calling their
 * callbacks, and release the engine.  NULL is fine. */
void dl_fetch_free(dl_fetch *f);

/* Queue a request; nothing is sent until dl_fetch_run.  Fails with
 * DL_EINVAL for a missing URL or callback, a bad expected_sha256 or a
 * scheme other than http, https and file (naming the redacted URL), and
 * DL_ENOMEM; the callback is then never called. */
int dl_fetch_add(dl_fetch *f, const dl_fetch_request *req);

/* Call fn(f, arg) from inside dl_fetch_run, in queue order with the
 * requests, without any transfer; the cache layer uses it to answer from
 * disk through the same callback path as the network.  DL_ENOMEM only. */
int dl_fetch_post(dl_fetch *f, void (*fn)(dl_fetch *f, void *arg), void *arg);

/* Run transfers until every queued request (including those queued by
 * callbacks) has completed.  Per-request failures go to the callbacks and do
 * not make this fail; it fails only when the engine itself cannot go on
 * (DL_ENOMEM, or a libcurl multi error), in which case the unfinished
 * requests stay queued. */
int dl_fetch_run(dl_fetch *f);

/* dl_fetch_run that also returns as soon as *stop is true (checked between
 * completions), leaving the other transfers running or queued for the next
 * call: a synchronous caller waits for the one answer it needs while the
 * prefetches it queued keep the network busy.  NULL means never stop. */
int dl_fetch_run_until(dl_fetch *f, const bool *stop);

/* Copy the counters. */
void dl_fetch_get_counters(const dl_fetch *f, dl_fetch_counters *out);

/* Used by the cache layer: count one cache hit or revalidation. */
void dl_fetch_count_cache(dl_fetch *f, dl_fetch_source source);

/*
 * Header parsers, public so that the cache and tests use the same rules.
 */

/* Parse an HTTP date (RFC 9110: IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT",
 * and the obsolete RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT" and asctime
 * "Sun Nov  6 08:49:37 1994" forms) into seconds since the epoch.  Fails
 * with DL_EPARSE naming the 1-based column and what was expected.  Does not
 * check that the weekday matches the date (RFC 9110 lets recipients
 * ignore it). */
int dl_http_parse_date(int64_t *out, const char *s, size_t len);

/* Format `t` (seconds since the epoch) as an IMF-fixdate, e.g. "Sun, 06 Nov
 * 1994 08:49:37 GMT", into `out` (30 bytes with the NUL).  Fails with
 * DL_EINVAL outside the years 0000-9999, leaving `out` empty. */
int dl_http_format_date(char out[30], int64_t t);

/* Parse a Retry-After value (delta-seconds, or an HTTP date interpreted
 * against `now`) into a wait in seconds, >= 0 (a past date waits 0).
 * Huge delta-seconds saturate at INT64_MAX.  DL_EPARSE when neither. */
int dl_http_parse_retry_after(int64_t *out, const char *s, size_t len, int64_t now);

#ifdef __cplusplus
}
#endif
#endif
