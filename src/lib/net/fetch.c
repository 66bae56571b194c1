/*
 * fetch.c - the transfer engine: one libcurl multi handle, many easy
 * handles, one thread.
 *
 * Design.  Each request becomes an xfer owning its easy handle, copied
 * strings and body buffer.  Xfers move between three places: the ready
 * queue (FIFO, waiting for a free slot), curl's multi handle (at most
 * max_concurrency at once) and the waiting list (a retry whose backoff has
 * not expired).  dl_fetch_run alternates curl_multi_perform, harvesting
 * finished transfers, promoting due retries and curl_multi_poll, whose
 * timeout is cut short by the earliest due retry, so sleeping for a backoff
 * never blocks other transfers.  Completion callbacks run from inside that
 * loop and may queue more xfers; the queue is only appended to, so the
 * loop's iteration stays valid.
 *
 * Keeping our own ready queue, instead of handing everything to curl and
 * letting CURLMOPT_MAX_TOTAL_CONNECTIONS queue it, means a request's
 * timeouts start when it really starts, and retries re-enter the same queue.
 * The per-host limit is curl's (CURLMOPT_MAX_HOST_CONNECTIONS), because
 * only curl knows which connections HTTP/2 multiplexes.
 *
 * Bodies are written into a capped dl_buf and, when an expected SHA-256 is
 * given, hashed as they arrive, so a multi-megabyte wheel is never walked
 * twice; a retry resets both.  Headers are read after completion with
 * curl_easy_header (the final response only, redirects excluded) and copied,
 * because curl's pointers die with the next header call.
 *
 * Messages: every URL shown goes through dl_index_url_redact, and curl's
 * error buffer is scrubbed of the URL's password in case a future curl
 * quotes it.  The same message is stored with dl_error_set just before the
 * callback runs and handed over in the response.  A redirect that the
 * protocol rules refuse is reported as such, naming its target, because
 * curl's own words for it ("Protocol not supported") suggest a broken build.
 *
 * Policy that lives in libcurl and is only configured here: proxies from
 * the environment (no CURLOPT_PROXY is set, so libcurl reads http_proxy and
 * friends per transfer), credentials withheld from other hosts on redirect
 * (CURLOPT_UNRESTRICTED_AUTH stays off), netrc when asked for, and TLS
 * verification, which is never switched off.
 */
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "deeplock/fetch.h"
#include "deeplock/hash.h"
#include "deeplock/index.h"

#define DEFAULT_CONCURRENCY 32u
#define DEFAULT_PER_HOST 16u
#define DEFAULT_CONNECT_MS 15000L
#define DEFAULT_LOW_SPEED_S 30L
#define DEFAULT_RETRIES 3
#define DEFAULT_RETRY_BASE_MS 500L
#define DEFAULT_RETRY_MAX_MS 30000L
#define DEFAULT_REDIRECTS 10L
#define DEFAULT_MAX_BODY ((size_t)256 << 20)

enum { H_CONTENT_TYPE, H_ETAG, H_LAST_MODIFIED, H_CACHE_CONTROL, H_CONTENT_RANGE, H_ACCEPT_RANGES, H_RETRY_AFTER, H_COUNT };
static const char *const header_names[H_COUNT] = {"Content-Type",  "ETag",          "Last-Modified", "Cache-Control",
                                                  "Content-Range", "Accept-Ranges", "Retry-After"};

typedef struct xfer xfer;
struct xfer {
	xfer *next;              /* in the ready queue or the waiting list */
	xfer *all_prev, *all_next; /* every live xfer, for dl_fetch_free */
	dl_fetch *f;
	/* A posted call instead of a transfer when fn is set. */
	void (*post_fn)(dl_fetch *f, void *arg);
	void *post_arg;
	CURL *easy;
	struct curl_slist *headers;
	char *url;
	char *shown; /* redacted, for messages */
	char *password; /* the URL's password, to scrub messages; NULL when none */
	size_t max_body;
	bool has_hash;
	bool is_file;
	bool is_https;
	uint8_t expected[DL_SHA256_LEN];
	dl_sha256 hash;
	dl_buf body;
	dl_fetch_done_fn done;
	void *user;
	unsigned attempts;
	int64_t start_ms, due_ms;
	int abort_rc; /* set by the write callback when it stops a transfer */
	char errbuf[CURL_ERROR_SIZE];
};

struct dl_fetch {
	CURLM *multi;
	dl_fetch_opts o;
	xfer *ready_head, *ready_tail;
	xfer *waiting;
	xfer *all;
	unsigned active;
	bool running;
	uint64_t rng;
	dl_fetch_counters c;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* xorshift64*: jitter only needs to decorrelate clients, not be secret. */
static uint64_t next_random(dl_fetch *f)
{
	uint64_t x = f->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	f->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

int dl_fetch_new(dl_fetch **out, const dl_fetch_opts *opts)
{
	dl_fetch_opts o = DL_FETCH_OPTS_INIT;
	if (opts != NULL) {
		if (opts->version != DL_FETCH_OPTS_VERSION)
			return dl_error_set(DL_EINVAL, "fetch options have version %u, expected %u", opts->version,
			                    DL_FETCH_OPTS_VERSION);
		o = *opts;
	}
	if (o.max_concurrency == 0)
		o.max_concurrency = DEFAULT_CONCURRENCY;
	if (o.max_per_host == 0)
		o.max_per_host = DEFAULT_PER_HOST;
	if (o.connect_timeout_ms <= 0)
		o.connect_timeout_ms = DEFAULT_CONNECT_MS;
	if (o.low_speed_time_s <= 0)
		o.low_speed_time_s = DEFAULT_LOW_SPEED_S;
	if (o.timeout_ms < 0)
		o.timeout_ms = 0;
	if (o.max_retries == 0)
		o.max_retries = DEFAULT_RETRIES;
	else if (o.max_retries < 0)
		o.max_retries = 0;
	if (o.retry_base_ms <= 0)
		o.retry_base_ms = DEFAULT_RETRY_BASE_MS;
	if (o.retry_max_ms <= 0)
		o.retry_max_ms = DEFAULT_RETRY_MAX_MS;
	if (o.max_redirects == 0)
		o.max_redirects = DEFAULT_REDIRECTS;
	else if (o.max_redirects < 0)
		o.max_redirects = 0;
	if (o.default_max_body == 0)
		o.default_max_body = DEFAULT_MAX_BODY;

	dl_fetch *f = dl_calloc(1, sizeof *f);
	if (f == NULL)
		return dl_error_oom();
	f->o = o;
	/* The option strings are the caller's; copy them so they may go. */
	f->o.ca_bundle = NULL;
	f->o.user_agent = NULL;
	f->o.netrc_file = NULL;
	if (o.ca_bundle != NULL && (f->o.ca_bundle = dl_strdup(o.ca_bundle)) == NULL)
		goto oom;
	if (o.netrc && o.netrc_file != NULL && (f->o.netrc_file = dl_strdup(o.netrc_file)) == NULL)
		goto oom;
	if ((f->o.user_agent = dl_strdup(o.user_agent != NULL ? o.user_agent : "deeplock/" DL_VERSION_STRING)) == NULL)
		goto oom;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		dl_free((char *)f->o.ca_bundle);
		dl_free((char *)f->o.user_agent);
		dl_free((char *)f->o.netrc_file);
		dl_free(f);
		return dl_error_set(DL_ERROR, "libcurl cannot be initialised");
	}
	f->multi = curl_multi_init();
	if (f->multi == NULL) {
		curl_global_cleanup();
		goto oom;
	}
	curl_multi_setopt(f->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)o.max_per_host);
	curl_multi_setopt(f->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	f->rng = (uint64_t)now_ms() ^ (uint64_t)(uintptr_t)f ^ 0x9E3779B97F4A7C15ULL;
	if (f->rng == 0)
		f->rng = 1;
	*out = f;
	return 0;
oom:
	dl_free((char *)f->o.ca_bundle);
	dl_free((char *)f->o.user_agent);
	dl_free((char *)f->o.netrc_file);
	dl_free(f);
	return dl_error_oom();
}

static void xfer_free(xfer *x)
{
	if (x == NULL)
		return;
	if (x->easy != NULL)
		curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->headers);
	dl_free(x->url);
	dl_free(x->shown);
	dl_free(x->password);
	dl_sha256_dispose(&x->hash);
	dl_buf_free(&x->body);
	dl_free(x);
}

static void unlink_all(dl_fetch *f, xfer *x)
{
	if (x->all_prev != NULL)
		x->all_prev->all_next = x->all_next;
	else if (f->all == x)
		f->all = x->all_next;
	if (x->all_next != NULL)
		x->all_next->all_prev = x->all_prev;
	x->all_prev = x->all_next = NULL;
}

void dl_fetch_free(dl_fetch *f)
{
	if (f == NULL)
		return;
	xfer *x = f->all;
	while (x != NULL) {
		xfer *n = x->all_next;
		if (x->easy != NULL)
			curl_multi_remove_handle(f->multi, x->easy); /* harmless when not added */
		xfer_free(x);
		x = n;
	}
	curl_multi_cleanup(f->multi);
	curl_global_cleanup();
	dl_free((char *)f->o.ca_bundle);
	dl_free((char *)f->o.user_agent);
	dl_free((char *)f->o.netrc_file);
	dl_free(f);
}

static void enqueue_ready(dl_fetch *f, xfer *x)
{
	x->next = NULL;
	if (f->ready_tail != NULL)
		f->ready_tail->next = x;
	else
		f->ready_head = x;
	f->ready_tail = x;
}

static xfer *xfer_new(dl_fetch *f)
{
	xfer *x = dl_calloc(1, sizeof *x);
	if (x == NULL)
		return NULL;
	x->f = f;
	x->all_next = f->all;
	if (f->all != NULL)
		f->all->all_prev = x;
	f->all = x;
	return x;
}

static void xfer_discard(dl_fetch *f, xfer *x)
{
	unlink_all(f, x);
	xfer_free(x);
}

int dl_fetch_post(dl_fetch *f, void (*fn)(dl_fetch *f, void *arg), void *arg)
{
	xfer *x = xfer_new(f);
	if (x == NULL)
		return dl_error_oom();
	x->post_fn = fn;
	x->post_arg = arg;
	enqueue_ready(f, x);
	return 0;
}

/* Length of the scheme if the URL starts with "<lit>://" (any case). */
static bool has_scheme(const char *url, const char *lit)
{
	size_t n = strlen(lit);
	return strlen(url) > n + 3 && dl_slice_ieq(url, n, lit) && memcmp(url + n, "://", 3) == 0;
}

/* The password of "scheme://user:pass@host/...", or NULL (no allocation
 * when there is none).  Sets *oom on allocation failure. */
static char *url_password(const char *url, bool *oom)
{
	const char *p = strstr(url, "://");
	*oom = false;
	if (p == NULL)
		return NULL;
	p += 3;
	size_t end = strcspn(p, "/?#");
	const char *at = NULL;
	for (size_t i = 0; i < end; i++)
		if (p[i] == '@')
			at = p + i;
	if (at == NULL)
		return NULL;
	const char *colon = memchr(p, ':', (size_t)(at - p));
	if (colon == NULL || colon + 1 == at)
		return NULL;
	char *pw = dl_strndup(colon + 1, (size_t)(at - colon - 1));
	if (pw == NULL)
		*oom = true;
	return pw;
}

static size_t on_write(char *data, size_t size, size_t n, void *ud)
{
	xfer *x = ud;
	size_t len = size * n;
	if (len == 0)
		return 0;
	if (len > x->max_body || x->body.len > x->max_body - len) {
		x->abort_rc = DL_ELIMIT;
		return 0;
	}
	if (dl_buf_put(&x->body, data, len) != 0) {
		x->abort_rc = x->body.failed != 0 ? x->body.failed : DL_ENOMEM;
		return 0;
	}
	if (x->has_hash && dl_sha256_update(&x->hash, data, len) != 0) {
		x->abort_rc = DL_ERROR;
		return 0;
	}
	x->f->c.bytes += len;
	return len;
}

static int add_header(xfer *x, const char *name, const char *value)
{
	dl_buf b = DL_BUF_INIT;
	dl_buf_printf(&b, "%s: %s", name, value);
	if (b.failed || b.ptr == NULL) {
		dl_buf_free(&b);
		return dl_error_oom();
	}
	struct curl_slist *l = curl_slist_append(x->headers, b.ptr);
	dl_buf_free(&b);
	if (l == NULL)
		return dl_error_oom();
	x->headers = l;
	return 0;
}

static bool has_line_break(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") != NULL;
}

int dl_fetch_add(dl_fetch *f, const dl_fetch_request *req)
{
	if (req == NULL || req->url == NULL || req->done == NULL)
		return dl_error_set(DL_EINVAL, "fetch request without a URL or a callback");
	int rc = 0;
	xfer *x = xfer_new(f);
	if (x == NULL)
		return dl_error_oom();
	bool oom = false;
	if ((x->url = dl_strdup(req->url)) == NULL || (rc = dl_index_url_redact(&x->shown, req->url)) != 0) {
		rc = dl_error_oom();
		goto fail;
	}
	x->password = url_password(req->url, &oom);
	if (oom) {
		rc = dl_error_oom();
		goto fail;
	}
	bool https = has_scheme(req->url, "https");
	x->is_file = has_scheme(req->url, "file");
	x->is_https = https;
	if (!https && !x->is_file && !has_scheme(req->url, "http")) {
		rc = dl_error_set(DL_EINVAL, "cannot fetch '%s': only http, https and file URLs are supported", x->shown);
		goto fail;
	}
	if (has_line_break(req->url) || has_line_break(req->accept) || has_line_break(req->range) ||
	    has_line_break(req->if_none_match) || has_line_break(req->if_modified_since)) {
		rc = dl_error_set(DL_EINVAL, "cannot fetch '%s': a request field contains a line break", x->shown);
		goto fail;
	}
	if (req->expected_sha256 != NULL) {
		size_t hl = strlen(req->expected_sha256);
		if (!dl_sha256_hex_valid(req->expected_sha256, hl) ||
		    dl_hex_decode(x->expected, sizeof x->expected, req->expected_sha256, hl) != 0) {
			rc = dl_error_set(DL_EINVAL, "cannot fetch '%s': expected sha256 is not 64 hex digits", x->shown);
			goto fail;
		}
		x->has_hash = true;
	}
	x->max_body = req->max_body != 0 ? req->max_body : f->o.default_max_body;
	dl_buf_init(&x->body, x->max_body);
	x->done = req->done;
	x->user = req->user;
	if (req->accept != NULL && (rc = add_header(x, "Accept", req->accept)) != 0)
		goto fail;
	if (req->if_none_match != NULL && (rc = add_header(x, "If-None-Match", req->if_none_match)) != 0)
		goto fail;
	if (req->if_modified_since != NULL && (rc = add_header(x, "If-Modified-Since", req->if_modified_since)) != 0)
		goto fail;
	for (const char *const *h = req->headers; h != NULL && *h != NULL; h++) {
		if (has_line_break(*h)) {
			rc = dl_error_set(DL_EINVAL, "cannot fetch '%s': a request header contains a line break", x->shown);
			goto fail;
		}
		struct curl_slist *l = curl_slist_append(x->headers, *h);
		if (l == NULL) {
			rc = dl_error_oom();
			goto fail;
		}
		x->headers = l;
	}

	CURL *e = x->easy = curl_easy_init();
	if (e == NULL) {
		rc = dl_error_oom();
		goto fail;
	}
	CURLcode cc = CURLE_OK;
#define SET(opt, val)                                                                                                  \
	do {                                                                                                           \
		if (cc == CURLE_OK)                                                                                    \
			cc = curl_easy_setopt(e, opt, val);                                                            \
	} while (0)
	SET(CURLOPT_URL, x->url);
	SET(CURLOPT_PRIVATE, (void *)x);
	SET(CURLOPT_WRITEFUNCTION, on_write);
	SET(CURLOPT_WRITEDATA, (void *)x);
	SET(CURLOPT_ERRORBUFFER, x->errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, x->is_file ? "file" : "http,https");
	/* Never downgrade: an https request may only be redirected to https. */
	SET(CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http,https");
	SET(CURLOPT_FOLLOWLOCATION, f->o.max_redirects > 0 ? 1L : 0L);
	SET(CURLOPT_MAXREDIRS, f->o.max_redirects);
	SET(CURLOPT_CONNECTTIMEOUT_MS, f->o.connect_timeout_ms);
	SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
	SET(CURLOPT_LOW_SPEED_TIME, f->o.low_speed_time_s);
	SET(CURLOPT_TIMEOUT_MS, f->o.timeout_ms);
	SET(CURLOPT_USERAGENT, f->o.user_agent);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_PIPEWAIT, 1L);
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	if (f->o.ca_bundle != NULL)
		SET(CURLOPT_CAINFO, f->o.ca_bundle);
	if (f->o.netrc && !x->is_file) {
		/* OPTIONAL: credentials in the URL win over the file. */
		SET(CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
		if (f->o.netrc_file != NULL)
			SET(CURLOPT_NETRC_FILE, f->o.netrc_file);
	}
	if (req->range != NULL)
		SET(CURLOPT_RANGE, req->range); /* identity encoding: ranges of a gzip stream are useless */
	else
		SET(CURLOPT_ACCEPT_ENCODING, "");
	if (x->headers != NULL)
		SET(CURLOPT_HTTPHEADER, x->headers);
#undef SET
	if (cc != CURLE_OK) {
		rc = cc == CURLE_OUT_OF_MEMORY ? dl_error_oom()
		                               : dl_error_set(DL_ERROR, "cannot fetch '%s': libcurl refused an option: %s",
		                                              x->shown, curl_easy_strerror(cc));
		goto fail;
	}
	enqueue_ready(f, x);
	return 0;
fail:
	xfer_discard(f, x);
	return rc;
}

/* Replace every occurrence of `secret` in `text` by "****". */
static void put_scrubbed(dl_buf *b, const char *text, const char *secret)
{
	size_t sl = secret != NULL ? strlen(secret) : 0;
	while (*text != '\0') {
		const char *hit = sl > 0 ? strstr(text, secret) : NULL;
		if (hit == NULL) {
			dl_buf_puts(b, text);
			return;
		}
		dl_buf_put(b, text, (size_t)(hit - text));
		dl_buf_puts(b, "****");
		text = hit + sl;
	}
}

static bool transient_curl_error(CURLcode res)
{
	switch (res) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
		return true;
	default:
		return false;
	}
}

static bool transient_status(long status)
{
	return status == 408 || status == 429 || (status >= 500 && status <= 599);
}

/* Milliseconds to wait before attempt number x->attempts + 1. */
static int64_t retry_delay(dl_fetch *f, xfer *x, const char *retry_after)
{
	int64_t cap = f->o.retry_max_ms;
	if (retry_after != NULL) {
		int64_t secs;
		if (dl_http_parse_retry_after(&secs, retry_after, strlen(retry_after), (int64_t)time(NULL)) == 0) {
			dl_error_clear();
			return secs > cap / 1000 ? cap : secs * 1000;
		}
		dl_error_clear(); /* an unusable Retry-After falls back to backoff */
	}
	int64_t d = f->o.retry_base_ms;
	for (unsigned i = 1; i < x->attempts && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	/* "Equal jitter": half fixed, half random, so waits never collapse to 0. */
	int64_t half = d / 2;
	return half + (half > 0 ? (int64_t)(next_random(f) % (uint64_t)(half + 1)) : 0);
}

/* Copy the headers of the final response; NULL slots for absent ones. */
static int copy_headers(xfer *x, char *out[H_COUNT])
{
	for (int i = 0; i < H_COUNT; i++) {
		struct curl_header *h = NULL;
		out[i] = NULL;
		if (x->is_file)
			continue;
		if (curl_easy_header(x->easy, header_names[i], 0, CURLH_HEADER, -1, &h) != CURLHE_OK || h == NULL)
			continue;
		if ((out[i] = dl_strdup(h->value)) == NULL)
			return dl_error_oom();
	}
	return 0;
}

static void complete(dl_fetch *f, xfer *x, int rc, const char *msg, long status, char *hv[H_COUNT])
{
	dl_fetch_response r;
	memset(&r, 0, sizeof r);
	r.rc = rc;
	r.error = msg != NULL ? msg : "";
	r.status = status;
	r.url = x->url;
	char *eff = NULL;
	if (x->easy != NULL && curl_easy_getinfo(x->easy, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK && eff != NULL)
		r.final_url = eff;
	else
		r.final_url = x->url;
	if (hv != NULL) {
		r.content_type = hv[H_CONTENT_TYPE];
		r.etag = hv[H_ETAG];
		r.last_modified = hv[H_LAST_MODIFIED];
		r.cache_control = hv[H_CACHE_CONTROL];
		r.content_range = hv[H_CONTENT_RANGE];
		r.accept_ranges = hv[H_ACCEPT_RANGES];
		r.retry_after = hv[H_RETRY_AFTER];
	}
	if (rc == 0) {
		r.body = x->body;
		dl_buf_init(&x->body, x->max_body);
	} else {
		dl_buf_free(&x->body);
		dl_buf_init(&r.body, x->max_body);
	}
	r.attempts = x->attempts;
	r.seconds = (double)(now_ms() - x->start_ms) / 1000.0;
	r.source = DL_FETCH_NETWORK;
	r.user = x->user;
	f->c.requests++;
	if (rc != 0) {
		f->c.failures++;
		dl_error_set(rc, "%s", r.error);
	} else {
		dl_error_clear();
	}
	x->done(f, &r);
	dl_buf_free(&r.body);
}

/* When libcurl refused to follow a redirect (it then reports the target as
 * the effective URL and "Protocol not supported"), say so in our words:
 * curl's text reads like a broken build.  False when that was not it. */
static bool refused_redirect(xfer *x, dl_buf *msg)
{
	long n = 0;
	char *eff = NULL, *shown = NULL;
	if (curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_COUNT, &n) != CURLE_OK || n <= 0 ||
	    curl_easy_getinfo(x->easy, CURLINFO_EFFECTIVE_URL, &eff) != CURLE_OK || eff == NULL)
		return false;
	if (dl_index_url_redact(&shown, eff) != 0) {
		dl_error_clear();
		dl_buf_puts(msg, "refusing to follow a redirect");
	} else {
		dl_buf_printf(msg, "refusing to follow a redirect to %s", shown);
	}
	dl_buf_puts(msg, x->is_https ? " (an https URL may only redirect to https)"
	                              : " (only http and https redirects are followed)");
	dl_free(shown);
	return true;
}

/* A transfer ended: retry it, or report it. */
static void finish(dl_fetch *f, xfer *x, CURLcode res)
{
	long status = 0;
	char *hv[H_COUNT] = {NULL};
	dl_buf msg = DL_BUF_INIT;
	int rc = 0;
	bool retry = false;
	if (!x->is_file)
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	if (copy_headers(x, hv) != 0) {
		rc = DL_ENOMEM;
		dl_buf_puts(&msg, "out of memory");
		goto report;
	}
	if (x->abort_rc == DL_ELIMIT) {
		rc = DL_ELIMIT;
		dl_buf_printf(&msg, "response from %s is larger than the limit of %zu bytes", x->shown, x->max_body);
	} else if (x->abort_rc != 0) {
		rc = x->abort_rc;
		dl_buf_printf(&msg, "cannot fetch %s: %s", x->shown, dl_error_code_name(rc));
	} else if (res != CURLE_OK) {
		retry = !x->is_file && transient_curl_error(res);
		rc = (res == CURLE_FILE_COULDNT_READ_FILE || res == CURLE_REMOTE_FILE_NOT_FOUND) ? DL_ENOTFOUND : DL_EIO;
	} else if (transient_status(status)) {
		retry = true;
		rc = DL_EIO;
	} else if (status >= 400) {
		rc = (status == 404 || status == 410) ? DL_ENOTFOUND : DL_EIO;
	} else if (x->has_hash && (status == 200 || x->is_file)) {
		uint8_t got[DL_SHA256_LEN];
		if (dl_sha256_final(&x->hash, got) != 0) {
			rc = DL_ERROR;
			dl_buf_printf(&msg, "cannot hash the response from %s", x->shown);
		} else if (memcmp(got, x->expected, sizeof got) != 0) {
			char want_hex[DL_SHA256_HEX_LEN + 1], got_hex[DL_SHA256_HEX_LEN + 1];
			dl_hex_encode(want_hex, x->expected, sizeof x->expected);
			dl_hex_encode(got_hex, got, sizeof got);
			rc = DL_EIO;
			dl_buf_printf(&msg, "hash mismatch for %s: expected %s, got %s", x->shown, want_hex, got_hex);
		}
	}
	if (retry && x->attempts <= (unsigned)f->o.max_retries) {
		x->due_ms = now_ms() + retry_delay(f, x, hv[H_RETRY_AFTER]);
		for (int i = 0; i < H_COUNT; i++)
			dl_free(hv[i]);
		dl_buf_free(&msg);
		dl_buf_free(&x->body);
		dl_buf_init(&x->body, x->max_body);
		x->next = f->waiting;
		f->waiting = x;
		f->c.retries++;
		return;
	}
	if (rc != 0 && msg.len == 0) {
		/* Transport or status failure: say what and, after retries, how often. */
		if (x->attempts > 1)
			dl_buf_printf(&msg, "giving up on %s after %u attempts: ", x->shown, x->attempts);
		else
			dl_buf_printf(&msg, "cannot fetch %s: ", x->shown);
		if (res == CURLE_UNSUPPORTED_PROTOCOL && refused_redirect(x, &msg)) {
			/* said it */
		} else if (res != CURLE_OK) {
			if (res == CURLE_OPERATION_TIMEDOUT)
				dl_buf_puts(&msg, "timed out: ");
			put_scrubbed(&msg, x->errbuf[0] != '\0' ? x->errbuf : curl_easy_strerror(res), x->password);
		} else {
			dl_buf_printf(&msg, "HTTP status %ld", status);
		}
	}
	if (rc != 0 && msg.failed) {
		rc = DL_ENOMEM;
	}
report:
	complete(f, x, rc, rc == 0 ? NULL : (msg.failed ? "out of memory" : dl_buf_cstr(&msg)), status, hv);
	for (int i = 0; i < H_COUNT; i++)
		dl_free(hv[i]);
	dl_buf_free(&msg);
	xfer_discard(f, x);
}

/* Start a ready xfer (or run a posted call). */
static void start(dl_fetch *f, xfer *x)
{
	if (x->post_fn != NULL) {
		void (*fn)(dl_fetch *, void *) = x->post_fn;
		void *arg = x->post_arg;
		xfer_discard(f, x);
		fn(f, arg);
		return;
	}
	if (x->attempts == 0)
		x->start_ms = now_ms();
	x->attempts++;
	x->abort_rc = 0;
	x->errbuf[0] = '\0';
	f->c.attempts++;
	if (x->has_hash && dl_sha256_init(&x->hash) != 0) {
		x->attempts--;
		complete(f, x, DL_ENOMEM, "out of memory", 0, NULL);
		xfer_discard(f, x);
		return;
	}
	CURLMcode mc = curl_multi_add_handle(f->multi, x->easy);
	if (mc != CURLM_OK) {
		dl_buf m = DL_BUF_INIT;
		dl_buf_printf(&m, "cannot start %s: %s", x->shown, curl_multi_strerror(mc));
		complete(f, x, mc == CURLM_OUT_OF_MEMORY ? DL_ENOMEM : DL_ERROR,
		         m.failed ? "out of memory" : dl_buf_cstr(&m), 0, NULL);
		dl_buf_free(&m);
		xfer_discard(f, x);
		return;
	}
	f->active++;
}

/* Move retries whose time has come to the front of the ready queue (they
 * have waited already); return the earliest remaining due time or -1. */
static int64_t promote_due(dl_fetch *f, int64_t now)
{
	int64_t next = -1;
	xfer **pp = &f->waiting;
	while (*pp != NULL) {
		xfer *x = *pp;
		if (x->due_ms <= now) {
			*pp = x->next;
			x->next = f->ready_head;
			f->ready_head = x;
			if (f->ready_tail == NULL)
				f->ready_tail = x;
		} else {
			if (next < 0 || x->due_ms < next)
				next = x->due_ms;
			pp = &x->next;
		}
	}
	return next;
}

int dl_fetch_run(dl_fetch *f)
{
	return dl_fetch_run_until(f, NULL);
}

int dl_fetch_run_until(dl_fetch *f, const bool *stop)
{
	if (f->running)
		return dl_error_set(DL_EINVAL, "dl_fetch_run called from a completion callback");
	f->running = true;
	int rc = 0;
	for (;;) {
		if (stop != NULL && *stop)
			break; /* what is in flight stays in the multi handle for the next run */
		int64_t next_due = promote_due(f, now_ms());
		while (f->ready_head != NULL && (f->active < f->o.max_concurrency || f->ready_head->post_fn != NULL)) {
			xfer *x = f->ready_head;
			f->ready_head = x->next;
			if (f->ready_head == NULL)
				f->ready_tail = NULL;
			x->next = NULL;
			start(f, x);
		}
		if (f->active == 0 && f->ready_head == NULL && f->waiting == NULL)
			break;
		if (f->active == 0 && f->ready_head != NULL)
			continue; /* callbacks queued more */
		int still = 0;
		CURLMcode mc = curl_multi_perform(f->multi, &still);
		if (mc != CURLM_OK) {
			rc = dl_error_set(mc == CURLM_OUT_OF_MEMORY ? DL_ENOMEM : DL_ERROR, "libcurl multi handle failed: %s",
			                  curl_multi_strerror(mc));
			break;
		}
		CURLMsg *m;
		int left = 0;
		bool finished = false;
		while ((m = curl_multi_info_read(f->multi, &left)) != NULL) {
			if (m->msg != CURLMSG_DONE)
				continue;
			CURL *e = m->easy_handle;
			CURLcode res = m->data.result;
			xfer *x = NULL;
			curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&x);
			curl_multi_remove_handle(f->multi, e);
			f->active--;
			finish(f, x, res);
			finished = true;
		}
		if (finished || (f->ready_head != NULL && f->active < f->o.max_concurrency))
			continue;
		long timeout = 1000;
		if (next_due >= 0) {
			int64_t d = next_due - now_ms();
			timeout = d < 0 ? 0 : (d < timeout ? (long)d : timeout);
		}
		mc = curl_multi_poll(f->multi, NULL, 0, (int)timeout, NULL);
		if (mc != CURLM_OK) {
			rc = dl_error_set(DL_ERROR, "libcurl multi handle failed: %s", curl_multi_strerror(mc));
			break;
		}
	}
	f->running = false;
	return rc;
}

void dl_fetch_get_counters(const dl_fetch *f, dl_fetch_counters *out)
{
	*out = f->c;
}

void dl_fetch_count_cache(dl_fetch *f, dl_fetch_source source)
{
	if (source == DL_FETCH_CACHE_FRESH)
		f->c.cache_hits++;
	else if (source == DL_FETCH_CACHE_REVALIDATED)
		f->c.cache_revalidations++;
}

/*
 * HTTP dates (RFC 9110 section 5.6.7) and Retry-After (section 10.2.3).
 * A small cursor parser: each step advances only on success, and the first
 * failure names the 1-based column and what was expected there.
 */

typedef struct cursor {
	const char *s;
	size_t len, pos;
	const char *expected; /* set by the first failure */
} cursor;

static bool fail_at(cursor *c, const char *what)
{
	if (c->expected == NULL)
		c->expected = what;
	return false;
}

static bool take(cursor *c, const char *lit)
{
	size_t n = strlen(lit);
	if (c->len - c->pos < n || memcmp(c->s + c->pos, lit, n) != 0)
		return false;
	c->pos += n;
	return true;
}

static bool take_digits(cursor *c, size_t n, int *out, const char *what)
{
	if (c->len - c->pos < n)
		return fail_at(c, what);
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = c->s[c->pos + i];
		if (!dl_isdigit((unsigned char)ch))
			return fail_at(c, what); /* point at the field, not inside it */
		v = v * 10 + (ch - '0');
	}
	c->pos += n;
	*out = v;
	return true;
}

static const char *const month_names[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const day_short[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
static const char *const day_long[7] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};

static bool take_month(cursor *c, int *out)
{
	for (int i = 0; i < 12; i++)
		if (take(c, month_names[i])) {
			*out = i + 1;
			return true;
		}
	return fail_at(c, "a month name");
}

static bool take_time(cursor *c, int *h, int *m, int *s)
{
	size_t at = c->pos;
	if (!take_digits(c, 2, h, "an hour") || !(take(c, ":") || fail_at(c, "':'")) ||
	    !take_digits(c, 2, m, "minutes") || !(take(c, ":") || fail_at(c, "':'")) ||
	    !take_digits(c, 2, s, "seconds"))
		return false;
	if (*h > 23 || *m > 59 || *s > 60) {
		c->pos = at;
		return fail_at(c, "a time of day");
	}
	return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (the civil-from-days
 * inverse that everyone derives: shift the year to start in March so the
 * leap day is last, then count 400-year eras). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int n[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : n[m - 1];
}

int dl_http_parse_date(int64_t *out, const char *s, size_t len)
{
	cursor c = {s, len, 0, NULL};
	int day = 0, mon = 0, year = 0, h = 0, mi = 0, sec = 0;
	bool ok = false;
	size_t date_col = 0;
	int wd = -1;
	for (int i = 0; i < 7 && wd < 0; i++)
		if (take(&c, day_long[i]))
			wd = 7 + i;
	for (int i = 0; i < 7 && wd < 0; i++)
		if (take(&c, day_short[i]))
			wd = i;
	if (wd < 0) {
		fail_at(&c, "a day name");
	} else if (wd < 7 && take(&c, ", ")) {
		/* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
		date_col = c.pos;
		ok = take_digits(&c, 2, &day, "a 2-digit day") && (take(&c, " ") || fail_at(&c, "' '")) &&
		     take_month(&c, &mon) && (take(&c, " ") || fail_at(&c, "' '")) &&
		     take_digits(&c, 4, &year, "a 4-digit year") && (take(&c, " ") || fail_at(&c, "' '")) &&
		     take_time(&c, &h, &mi, &sec) && (take(&c, " GMT") || fail_at(&c, "' GMT'"));
	} else if (wd >= 7 && take(&c, ", ")) {
		/* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
		date_col = c.pos;
		ok = take_digits(&c, 2, &day, "a 2-digit day") && (take(&c, "-") || fail_at(&c, "'-'")) &&
		     take_month(&c, &mon) && (take(&c, "-") || fail_at(&c, "'-'")) &&
		     take_digits(&c, 2, &year, "a 2-digit year") && (take(&c, " ") || fail_at(&c, "' '")) &&
		     take_time(&c, &h, &mi, &sec) && (take(&c, " GMT") || fail_at(&c, "' GMT'"));
		/* Two-digit years: RFC 9110 says a year more than 50 years ahead
		 * is in the past; with no clock here, 70-99 are 19xx. */
		year += year < 70 ? 2000 : 1900;
	} else if (wd < 7 && take(&c, " ")) {
		/* asctime: Sun Nov  6 08:49:37 1994 */
		bool m_ok = take_month(&c, &mon) && (take(&c, " ") || fail_at(&c, "' '"));
		date_col = c.pos;
		if (m_ok && take(&c, " ")) {
			ok = take_digits(&c, 1, &day, "a day");
		} else if (m_ok) {
			ok = take_digits(&c, 2, &day, "a day");
		}
		ok = ok && (take(&c, " ") || fail_at(&c, "' '")) && take_time(&c, &h, &mi, &sec) &&
		     (take(&c, " ") || fail_at(&c, "' '")) && take_digits(&c, 4, &year, "a 4-digit year");
	} else {
		fail_at(&c, wd < 7 ? "', ' or ' '" : "', '");
	}
	if (ok && c.pos != len) {
		ok = false;
		fail_at(&c, "the end of the date");
	}
	if (ok && (day < 1 || day > days_in_month(year, mon))) {
		ok = false;
		c.pos = date_col;
		fail_at(&c, "a day that exists in that month");
	}
	if (!ok)
		return dl_error_set(DL_EPARSE, "HTTP date: column %zu: expected %s", c.pos + 1, c.expected);
	if (sec == 60)
		sec = 59; /* a leap second names the same instant to the nearest second */
	*out = days_from_civil(year, mon, day) * 86400 + h * 3600 + mi * 60 + sec;
	return 0;
}

int dl_http_format_date(char out[30], int64_t t)
{
	out[0] = '\0';
	/* 0000-01-01 .. 9999-12-31T23:59:59 */
	if (t < -62167219200LL || t > 253402300799LL)
		return dl_error_set(DL_EINVAL, "time %lld is outside the years an HTTP date can show", (long long)t);
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t secs = t - days * 86400;
	/* The inverse of days_from_civil. */
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int d = (int)(doy - (153 * mp + 2) / 5 + 1);
	int m = (int)(mp < 10 ? mp + 3 : mp - 9);
	int64_t y = yoe + era * 400 + (m <= 2);
	int wd = (int)(((days % 7) + 7 + 3) % 7); /* 1970-01-01 was a Thursday (3, Monday = 0) */
	/* Built by hand: fixed width, and no format-truncation guesswork. */
	unsigned hms[3] = {(unsigned)(secs / 3600), (unsigned)(secs / 60 % 60), (unsigned)(secs % 60)};
	memcpy(out, day_short[wd], 3);
	memcpy(out + 3, ", ", 2);
	out[5] = (char)('0' + d / 10);
	out[6] = (char)('0' + d % 10);
	out[7] = ' ';
	memcpy(out + 8, month_names[m - 1], 3);
	out[11] = ' ';
	for (int i = 0; i < 4; i++, y /= 10)
		out[15 - i] = (char)('0' + y % 10);
	out[16] = ' ';
	for (int i = 0; i < 3; i++) {
		out[17 + 3 * i] = (char)('0' + hms[i] / 10);
		out[18 + 3 * i] = (char)('0' + hms[i] % 10);
		out[19 + 3 * i] = i < 2 ? ':' : ' ';
	}
	memcpy(out + 26, "GMT", 4);
	return 0;
}

int dl_http_parse_retry_after(int64_t *out, const char *s, size_t len, int64_t now)
{
	size_t a = 0, b = len;
	while (a < b && (s[a] == ' ' || s[a] == '\t'))
		a++;
	while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
		b--;
	if (a < b && dl_isdigit((unsigned char)s[a])) {
		int64_t v = 0;
		for (size_t i = a; i < b; i++) {
			if (!dl_isdigit((unsigned char)s[i]))
				return dl_error_set(DL_EPARSE, "Retry-After: column %zu: expected a digit", i + 1);
			int dgt = s[i] - '0';
			if (v > (INT64_MAX - dgt) / 10)
				v = INT64_MAX;
			else
				v = v * 10 + dgt;
		}
		*out = v;
		return 0;
	}
	int64_t when;
	if (a == b)
		return dl_error_set(DL_EPARSE, "Retry-After: column %zu: expected seconds or an HTTP date", a + 1);
	int rc = dl_http_parse_date(&when, s + a, b - a);
	if (rc != 0)
		return dl_error_context("reading Retry-After");
	*out = when > now ? when - now : 0;
	return 0;
}
