/*
 * test_fetch.c - the transfer engine against tests/integration/faultserver.py
 * on 127.0.0.1, plus exact tests of the HTTP date and Retry-After parsers.
 *
 * The server is started once for the whole group with posix_spawn (Debian's
 * /usr/bin/python3, standard library only) and killed at the end; it also
 * exits by itself after 120 seconds.  Proxy variables are cleared so that
 * loopback requests never leave the machine; the proxy tests then point
 * them at the fault server itself, which answers absolute-form requests.
 * For the https tests the group setup makes a throw-away self-signed
 * certificate with the openssl command and the server adds a TLS listener;
 * without the command those tests report themselves skipped.
 */
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dltest.h"
#include "deeplock/fetch.h"
#include "deeplock/hash.h"

extern char **environ;

static int server_port;
static int tls_port;       /* 0 when the TLS tests cannot run */
static char tls_dir[64];   /* cert.pem, key.pem, tls_port */
static char tls_cert[128];

/* Make a throw-away self-signed certificate for 127.0.0.1 with the openssl
 * command; false (and the TLS tests skip) when it is missing or fails. */
static bool make_cert(void)
{
	const char *openssl = "/usr/bin/openssl";
	char key[128];
	if (access(openssl, X_OK) != 0)
		return false;
	snprintf(tls_dir, sizeof tls_dir, "/tmp/dltest-tls-XXXXXX");
	if (mkdtemp(tls_dir) == NULL)
		return false;
	snprintf(tls_cert, sizeof tls_cert, "%s/cert.pem", tls_dir);
	snprintf(key, sizeof key, "%s/key.pem", tls_dir);
	char *argv[] = {(char *)openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
	                "-nodes", "-keyout", key, "-out", tls_cert, "-days", "2", "-subj", "/CN=127.0.0.1",
	                "-addext", "subjectAltName=IP:127.0.0.1", NULL};
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	int status = 0;
	int rc = posix_spawn(&pid, openssl, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0 || waitpid(pid, &status, 0) != pid)
		return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int server_start(void **state)
{
	bool tls = make_cert();
	if (tls)
		setenv("FAULTSERVER_TLS_DIR", tls_dir, 1);
	server_port = dltest_faultserver_start();
	unsetenv("FAULTSERVER_TLS_DIR");
	if (tls && server_port > 0) {
		/* Written by the server before it printed the plain port. */
		char path[128];
		snprintf(path, sizeof path, "%s/tls_port", tls_dir);
		FILE *fp = fopen(path, "r");
		if (fp != NULL) {
			if (fscanf(fp, "%d", &tls_port) != 1)
				tls_port = 0;
			fclose(fp);
		}
	}
	if (tls_port == 0)
		printf("NOTE: no openssl command or TLS listener; the https tests will be skipped\n");
	return server_port > 0 ? 0 : -1;
}

static int server_stop(void **state)
{
	dltest_faultserver_stop();
	if (tls_dir[0] != '\0') {
		char cmd[128];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", tls_dir);
		if (system(cmd) != 0)
			return -1;
	}
	return 0;
}

/* "http://127.0.0.1:PORT<path>" in a rotating static buffer. */
static const char *url(const char *path)
{
	static char bufs[8][512];
	static int i;
	char *b = bufs[i++ % 8];
	snprintf(b, 512, "http://127.0.0.1:%d%s", server_port, path);
	return b;
}

/* What a callback saw, copied out of the response. */
typedef struct result {
	int calls;
	int rc;
	char error[1024];
	long status;
	char final_url[512];
	char content_type[128], etag[128], last_modified[128], cache_control[128], content_range[128],
	    accept_ranges[128];
	char *body;
	size_t body_len;
	unsigned attempts;
	double seconds;
} result;

static void copy_str(char *dst, size_t size, const char *s)
{
	snprintf(dst, size, "%s", s != NULL ? s : "(none)");
}

static void on_done(dl_fetch *f, dl_fetch_response *r)
{
	result *res = r->user;
	res->calls++;
	res->rc = r->rc;
	copy_str(res->error, sizeof res->error, r->error);
	if (r->rc != 0)
		assert_string_equal(dl_error_last()->message, r->error);
	res->status = r->status;
	copy_str(res->final_url, sizeof res->final_url, r->final_url);
	copy_str(res->content_type, sizeof res->content_type, r->content_type);
	copy_str(res->etag, sizeof res->etag, r->etag);
	copy_str(res->last_modified, sizeof res->last_modified, r->last_modified);
	copy_str(res->cache_control, sizeof res->cache_control, r->cache_control);
	copy_str(res->content_range, sizeof res->content_range, r->content_range);
	copy_str(res->accept_ranges, sizeof res->accept_ranges, r->accept_ranges);
	res->body = dl_buf_detach(&r->body, &res->body_len);
	res->attempts = r->attempts;
	res->seconds = r->seconds;
}

static void result_free(result *r)
{
	dl_free(r->body);
	r->body = NULL;
}

/* Fetch one request with `opts` (NULL: fast retries) and return its result. */
static void fetch_one(result *res, dl_fetch_request *req, const dl_fetch_opts *opts)
{
	dl_fetch_opts fast = DL_FETCH_OPTS_INIT;
	fast.retry_base_ms = 20;
	dl_fetch *f = NULL;
	memset(res, 0, sizeof *res);
	assert_int_equal(dl_fetch_new(&f, opts != NULL ? opts : &fast), 0);
	req->done = on_done;
	req->user = res;
	assert_int_equal(dl_fetch_add(f, req), 0);
	assert_int_equal(dl_fetch_run(f), 0);
	assert_int_equal(res->calls, 1);
	dl_fetch_free(f);
}

/* A number from the server's /stats JSON: `key` is e.g. "\"proxied\"". */
static long stats_get(const char *key)
{
	result r;
	char pat[300];
	dl_fetch_request stats = {.url = url("/stats")};
	fetch_one(&r, &stats, NULL);
	assert_int_equal(r.rc, 0);
	snprintf(pat, sizeof pat, "%s: ", key);
	const char *m = strstr(r.body, pat);
	long n = m != NULL ? strtol(m + strlen(pat), NULL, 10) : 0;
	result_free(&r);
	return n;
}

static void test_ok(void **state)
{
	result r;
	dl_fetch_request req = {.url = url("/ok"), .accept = "text/plain"};
	fetch_one(&r, &req, NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.error, "");
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 11);
	assert_string_equal(r.body, "hello world");
	assert_string_equal(r.final_url, url("/ok"));
	assert_string_equal(r.content_type, "text/plain");
	assert_string_equal(r.etag, "\"abc\"");
	assert_string_equal(r.last_modified, "Sun, 06 Nov 1994 08:49:37 GMT");
	assert_string_equal(r.cache_control, "max-age=60");
	assert_string_equal(r.accept_ranges, "bytes");
	assert_string_equal(r.content_range, "(none)");
	assert_int_equal(r.attempts, 1);
	result_free(&r);
}

static void test_404(void **state)
{
	result r;
	char want[600];
	dl_fetch_request req = {.url = url("/status/404")};
	fetch_one(&r, &req, NULL);
	assert_int_equal(r.rc, DL_ENOTFOUND);
	assert_int_equal(r.status, 404);
	snprintf(want, sizeof want, "cannot fetch %s: HTTP status 404", url("/status/404"));
	assert_string_equal(r.error, want);
	assert_int_equal(r.attempts, 1);
	assert_string_equal(r.body, "");
	result_free(&r);
}

static void test_500_then_200(void **state)
{
	result r;
	dl_fetch_request req = {.url = url("/flaky/a?fail=1&code=500")};
	fetch_one(&r, &req, NULL);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "recovered");
	assert_int_equal(r.attempts, 2);
	result_free(&r);
}

static void test_429_retry_after(void **state)
{
	result r;
	dl_fetch_request req = {.url = url("/retry-after/a?secs=1")};
	fetch_one(&r, &req, NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.body, "after wait");
	assert_int_equal(r.attempts, 2);
	assert_true(r.seconds >= 0.95);
	assert_true(r.seconds < 5.0);
	result_free(&r);
}

static void test_retry_after_date_and_cap(void **state)
{
	result r;
	/* An HTTP date about two seconds ahead (whole seconds, so 1-3 s). */
	dl_fetch_request req = {.url = url("/retry-date/a?secs=1")};
	fetch_one(&r, &req, NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.body, "after wait");
	assert_int_equal(r.attempts, 2);
	assert_true(r.seconds >= 0.9);
	assert_true(r.seconds < 4.0);
	result_free(&r);

	/* Retry-After: 1000 is capped by retry_max_ms. */
	dl_fetch_opts o = DL_FETCH_OPTS_INIT;
	o.retry_max_ms = 300;
	dl_fetch_request capped = {.url = url("/retry-after/cap?secs=1000")};
	fetch_one(&r, &capped, &o);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.attempts, 2);
	assert_true(r.seconds >= 0.29);
	assert_true(r.seconds < 2.0);
	result_free(&r);
}

static void test_503_gives_up(void **state)
{
	result r;
	char want[600];
	dl_fetch_opts o = DL_FETCH_OPTS_INIT;
	o.max_retries = 2;
	o.retry_base_ms = 100;
	dl_fetch_request req = {.url = url("/status/503")};
	fetch_one(&r, &req, &o);
	assert_int_equal(r.rc, DL_EIO);
	assert_int_equal(r.attempts, 3);
	/* Backoff with equal jitter: 50-100 ms, then 100-200 ms. */
	assert_true(r.seconds >= 0.15);
	assert_true(r.seconds < 1.5);
	snprintf(want, sizeof want, "giving up on %s after 3 attempts: HTTP status 503", url("/status/503"));
	assert_string_equal(r.error, want);
	result_free(&r);
}

static void test_timeout(void **state)
{
	result r;
	dl_fetch_opts o = DL_FETCH_OPTS_INIT;
	o.max_retries = -1;
	o.low_speed_time_s = 1;
	dl_fetch_request req = {.url = url("/slow?delay=4")};
	fetch_one(&r, &req, &o);
	assert_int_equal(r.rc, DL_EIO);
	assert_int_equal(r.attempts, 1);
	char want[600];
	snprintf(want, sizeof want, "cannot fetch %s: timed out: ", url("/slow?delay=4"));
	assert_memory_equal(r.error, want, strlen(want));
	assert_true(r.seconds < 3.5);
	result_free(&r);

	/* The whole-attempt timeout, with one retry. */
	o.low_speed_time_s = 0;
	o.timeout_ms = 300;
	o.max_retries = 1;
	o.retry_base_ms = 10;
	fetch_one(&r, &req, &o);
	assert_int_equal(r.rc, DL_EIO);
	assert_int_equal(r.attempts, 2);
	snprintf(want, sizeof want, "giving up on %s after 2 attempts: timed out: ", url("/slow?delay=4"));
	assert_memory_equal(r.error, want, strlen(want));
	result_free(&r);
}

static void test_truncated(void **state)
{
	result r;
	dl_fetch_opts o = DL_FETCH_OPTS_INIT;
	o.max_retries = -1;
	dl_fetch_request req = {.url = url("/truncate")};
	fetch_one(&r, &req, &o);
	assert_int_equal(r.rc, DL_EIO);
	char want[600];
	snprintf(want, sizeof want, "cannot fetch %s: transfer closed with 50 bytes remaining to read",
	         url("/truncate"));
	assert_string_equal(r.error, want);
	result_free(&r);
}

static void test_body_cap(void **state)
{
	result r;
	char want[600];
	dl_fetch_request req = {.url = url("/big?size=100000"), .max_body = 1000};
	fetch_one(&r, &req, NULL);
	assert_int_equal(r.rc, DL_ELIMIT);
	assert_int_equal(r.attempts, 1);
	snprintf(want, sizeof want, "response from %s is larger than the limit of 1000 bytes", url("/big?size=100000"));
	assert_string_equal(r.error, want);
	result_free(&r);
	/* Exactly at the cap is fine. */
	req.url = url("/big?size=1000");
	fetch_one(&r, &req, NULL);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.body_len, 1000);
	result_free(&r);
}

static void test_hash(void **state)
{
	result r;
	char want[700];
	const char *good = "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9";
	const char *bad = "0000000000000000000000000000000000000000000000000000000000000000";
	dl_fetch_request req = {.url = url("/ok"), .expected_sha256 = good};
	fetch_one(&r, &req, NULL);
	assert_int_equal(r.rc, 0);
	result_free(&r);
	req.expected_sha256 = bad;
	fetch_one(&r, &req, NULL);
	assert_int_equal(r.rc, DL_EIO);
	snprintf(want, sizeof want, "hash mismatch for %s: expected %s, got %s", url("/ok"), bad, good);
	assert_string_equal(r.error, want);
	result_free(&r);
}

static void test_redirects(void **state)
{
	result r;
	dl_fetch_request req = {.url = url("/redirect/3")};
	fetch_one(&r, &req, NULL);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.final_url, url("/ok"));
	assert_string_equal(r.body, "hello world");
	result_free(&r);

	dl_fetch_request loop = {.url = url("/loop")};
	fetch_one(&r, &loop, NULL);
	assert_int_equal(r.rc, DL_EIO);
	assert_int_equal(r.attempts, 1);
	char want[600];
	snprintf(want, sizeof want, "cannot fetch %s: Maximum (10) redirects followed", url("/loop"));
	assert_string_equal(r.error, want);
	result_free(&r);
}

static void test_gzip(void **state)
{
	result r;
	dl_fetch_request req = {.url = url("/gzip")};
	fetch_one(&r, &req, NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.body, "compressed hello");
	result_free(&r);
}

static void test_range(void **state)
{
	result r;
	dl_fetch_request req = {.url = url("/bytes"), .range = "10-19"};
	fetch_one(&r, &req, NULL);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.status, 206);
	assert_int_equal(r.body_len, 10);
	for (int i = 0; i < 10; i++)
		assert_int_equal((unsigned char)r.body[i], 10 + i);
	assert_string_equal(r.content_range, "bytes 10-19/256");
	result_free(&r);
}

static void test_concurrency(void **state)
{
	result r, rs[50];
	dl_fetch_request reset = {.url = url("/reset")};
	fetch_one(&r, &reset, NULL);
	result_free(&r);

	dl_fetch *f = NULL;
	assert_int_equal(dl_fetch_new(&f, NULL), 0);
	memset(rs, 0, sizeof rs);
	for (int i = 0; i < 50; i++) {
		dl_fetch_request req = {.url = url("/sleep?ms=300"), .done = on_done, .user = &rs[i]};
		assert_int_equal(dl_fetch_add(f, &req), 0);
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(dl_fetch_run(f), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (int i = 0; i < 50; i++) {
		assert_int_equal(rs[i].calls, 1);
		assert_int_equal(rs[i].rc, 0);
		assert_string_equal(rs[i].body, "slept");
		result_free(&rs[i]);
	}
	dl_fetch_counters c;
	dl_fetch_get_counters(f, &c);
	assert_int_equal(c.requests, 50);
	assert_int_equal(c.attempts, 50);
	assert_int_equal(c.failures, 0);
	assert_int_equal(c.bytes, 250);
	dl_fetch_free(f);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(secs < 50 * 0.3 / 4); /* serially it would take 15 s */

	dl_fetch_request stats = {.url = url("/stats")};
	fetch_one(&r, &stats, NULL);
	const char *m = strstr(r.body, "\"max_inflight\": ");
	assert_non_null(m);
	long max_inflight = strtol(m + 16, NULL, 10);
	assert_true(max_inflight >= 10);  /* overlapped on the server */
	assert_true(max_inflight <= 16); /* the per-host limit */
	result_free(&r);
}

static void test_credentials(void **state)
{
	result r;
	char u[512];
	snprintf(u, sizeof u, "http://alice:s3cret@127.0.0.1:%d/auth", server_port);
	dl_fetch_request req = {.url = u};
	fetch_one(&r, &req, NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.body, "user=alice");
	result_free(&r);

	const char *paths[] = {"/status/404", "/loop", "/truncate", "/big?size=5000"};
	for (size_t i = 0; i < 4; i++) {
		snprintf(u, sizeof u, "http://alice:s3cret@127.0.0.1:%d%s", server_port, paths[i]);
		dl_fetch_request bad = {.url = u, .max_body = 100, .expected_sha256 = NULL};
		fetch_one(&r, &bad, NULL);
		assert_int_not_equal(r.rc, 0);
		assert_null(strstr(r.error, "s3cret"));
		assert_non_null(strstr(r.error, "http://****@127.0.0.1:"));
		result_free(&r);
	}
	/* A connection failure (nothing listens on port 1). */
	dl_fetch_opts o = DL_FETCH_OPTS_INIT;
	o.max_retries = 1;
	o.retry_base_ms = 10;
	dl_fetch_request refused = {.url = "http://bob:hunter2@127.0.0.1:1/x"};
	fetch_one(&r, &refused, &o);
	assert_int_equal(r.rc, DL_EIO);
	assert_int_equal(r.attempts, 2);
	assert_null(strstr(r.error, "hunter2"));
	assert_memory_equal(r.error, "giving up on http://****@127.0.0.1:1/x after 2 attempts: ", 57);
	result_free(&r);
}

/* A callback that queues a follow-up request, twice. */
static void on_chain(dl_fetch *f, dl_fetch_response *r)
{
	int *n = r->user;
	assert_int_equal(r->rc, 0);
	if (++*n < 3) {
		dl_fetch_request next = {.url = url("/ok"), .done = on_chain, .user = n};
		assert_int_equal(dl_fetch_add(f, &next), 0);
	}
}

static void test_callback_adds(void **state)
{
	dl_fetch *f = NULL;
	int n = 0;
	assert_int_equal(dl_fetch_new(&f, NULL), 0);
	dl_fetch_request req = {.url = url("/ok"), .done = on_chain, .user = &n};
	assert_int_equal(dl_fetch_add(f, &req), 0);
	assert_int_equal(dl_fetch_run(f), 0);
	assert_int_equal(n, 3);
	dl_fetch_free(f);
}

static void test_file_urls(void **state)
{
	char path[] = "/tmp/dltest-fetch-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello world", 11), 11);
	close(fd);
	char u[600];
	snprintf(u, sizeof u, "file://%s", path);
	result r;
	dl_fetch_request req = {.url = u, .expected_sha256 = "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"};
	fetch_one(&r, &req, NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.body, "hello world");
	assert_int_equal(r.status, 0);
	result_free(&r);
	unlink(path);
	fetch_one(&r, &req, NULL);
	assert_int_equal(r.rc, DL_ENOTFOUND);
	assert_int_equal(r.attempts, 1);
	char want[700];
	snprintf(want, sizeof want, "cannot fetch %s: ", u);
	assert_memory_equal(r.error, want, strlen(want));
	result_free(&r);
}

static void test_add_errors(void **state)
{
	dl_fetch *f = NULL;
	assert_int_equal(dl_fetch_new(&f, NULL), 0);
	dl_fetch_request req = {.url = "ftp://u:pw@example.org/x", .done = on_done};
	assert_int_equal(dl_fetch_add(f, &req), DL_EINVAL);
	assert_string_equal(dl_error_last()->message,
	                    "cannot fetch 'ftp://****@example.org/x': only http, https and file URLs are supported");
	req.url = "http://example.org/x";
	req.expected_sha256 = "abc";
	assert_int_equal(dl_fetch_add(f, &req), DL_EINVAL);
	assert_string_equal(dl_error_last()->message,
	                    "cannot fetch 'http://example.org/x': expected sha256 is not 64 hex digits");
	req.expected_sha256 = NULL;
	req.accept = "text/html\r\nX-Evil: 1";
	assert_int_equal(dl_fetch_add(f, &req), DL_EINVAL);
	req.accept = NULL;
	req.done = NULL;
	assert_int_equal(dl_fetch_add(f, &req), DL_EINVAL);
	assert_int_equal(dl_fetch_run(f), 0); /* nothing queued */
	dl_fetch_free(f);

	dl_fetch_opts o = DL_FETCH_OPTS_INIT;
	o.version = 99;
	assert_int_equal(dl_fetch_new(&f, &o), DL_EINVAL);
	assert_string_equal(dl_error_last()->message, "fetch options have version 99, expected 1");
}

/* Back to what dltest_faultserver_start left: no proxy, 127.0.0.1 direct. */
static void proxy_env_reset(void)
{
	static const char *const vars[] = {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
	                                   "all_proxy",  "ALL_PROXY",  "NO_PROXY"};
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		unsetenv(vars[i]);
	setenv("no_proxy", "127.0.0.1", 1);
}

static void test_env_proxy(void **state)
{
	/* libcurl reads the proxy variables itself; these pin down which. */
	result r;
	char proxy[64];
	const char *dead = "http://127.0.0.1:1";
	snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", server_port);
	dl_fetch_opts o = DL_FETCH_OPTS_INIT;
	o.max_retries = -1;
	dl_fetch_request req = {.url = "http://pypi.invalid/ok"};

	/* http_proxy carries a request for a name that does not even resolve. */
	long before = stats_get("\"proxied\"");
	unsetenv("no_proxy");
	setenv("http_proxy", proxy, 1);
	fetch_one(&r, &req, &o);
	proxy_env_reset();
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.body, "hello world");
	assert_string_equal(r.final_url, "http://pypi.invalid/ok");
	result_free(&r);
	assert_int_equal(stats_get("\"proxied\""), before + 1);

	/* ALL_PROXY too. */
	unsetenv("no_proxy");
	setenv("ALL_PROXY", proxy, 1);
	fetch_one(&r, &req, &o);
	proxy_env_reset();
	assert_int_equal(r.rc, 0);
	result_free(&r);
	assert_int_equal(stats_get("\"proxied\""), before + 2);

	/* no_proxy and NO_PROXY exempt a host from a (dead) proxy. */
	req.url = url("/ok");
	const char *exempt[] = {"no_proxy", "NO_PROXY"};
	for (int i = 0; i < 2; i++) {
		unsetenv("no_proxy");
		setenv("http_proxy", dead, 1);
		setenv(exempt[i], "127.0.0.1", 1);
		fetch_one(&r, &req, &o);
		proxy_env_reset();
		assert_int_equal(r.rc, 0);
		result_free(&r);
	}

	/* Uppercase HTTP_PROXY is ignored (httpoxy), so this goes direct. */
	unsetenv("no_proxy");
	setenv("HTTP_PROXY", dead, 1);
	fetch_one(&r, &req, &o);
	proxy_env_reset();
	assert_int_equal(r.rc, 0);
	result_free(&r);

	/* Without the exception the dead proxy is used and the fetch fails,
	 * naming the URL asked for. */
	unsetenv("no_proxy");
	setenv("http_proxy", dead, 1);
	fetch_one(&r, &req, &o);
	proxy_env_reset();
	assert_int_equal(r.rc, DL_EIO);
	char want[600];
	snprintf(want, sizeof want, "cannot fetch %s: ", url("/ok"));
	assert_memory_equal(r.error, want, strlen(want));
	result_free(&r);
}

static void test_connection_reuse(void **state)
{
	result r;
	dl_fetch_request reset = {.url = url("/reset")};
	fetch_one(&r, &reset, NULL);
	result_free(&r);
	/* Five requests one after the other on one engine: one connection. */
	dl_fetch *f = NULL;
	int n = -2;
	assert_int_equal(dl_fetch_new(&f, NULL), 0);
	dl_fetch_request req = {.url = url("/ok"), .done = on_chain, .user = &n};
	assert_int_equal(dl_fetch_add(f, &req), 0);
	assert_int_equal(dl_fetch_run(f), 0);
	assert_int_equal(n, 3);
	dl_fetch_free(f);
	assert_int_equal(stats_get("\"connections\""), 2); /* that one and the /stats one */
}

static void test_tls(void **state)
{
	if (tls_port == 0)
		skip();
	result r;
	char u[600], want[900];
	dl_fetch_opts o = DL_FETCH_OPTS_INIT;
	o.ca_bundle = tls_cert;
	snprintf(u, sizeof u, "https://127.0.0.1:%d/ok", tls_port);
	dl_fetch_request req = {.url = u};
	fetch_one(&r, &req, &o);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "hello world");
	result_free(&r);

	/* Not signed by anything in the default store: refused, not retried. */
	fetch_one(&r, &req, NULL);
	assert_int_equal(r.rc, DL_EIO);
	assert_int_equal(r.attempts, 1);
	snprintf(want, sizeof want, "cannot fetch %s: SSL certificate problem: ", u);
	assert_memory_equal(r.error, want, strlen(want));
	result_free(&r);

	/* https -> https is followed. */
	snprintf(u, sizeof u, "https://127.0.0.1:%d/to?url=https://127.0.0.1:%d/redirect/1", tls_port, tls_port);
	fetch_one(&r, &req, &o);
	assert_int_equal(r.rc, 0);
	snprintf(want, sizeof want, "https://127.0.0.1:%d/ok", tls_port);
	assert_string_equal(r.final_url, want);
	result_free(&r);

	/* https -> http is not: the plain listener never sees the request. */
	long before = stats_get("\"/ok\"");
	snprintf(u, sizeof u, "https://u:pw@127.0.0.1:%d/to?url=%s", tls_port, url("/ok"));
	fetch_one(&r, &req, &o);
	assert_int_equal(r.rc, DL_EIO);
	assert_int_equal(r.attempts, 1);
	snprintf(want, sizeof want,
	         "cannot fetch https://****@127.0.0.1:%d/to?url=%s: refusing to follow a redirect to %s (an https URL "
	         "may only redirect to https)",
	         tls_port, url("/ok"), url("/ok"));
	assert_string_equal(r.error, want);
	result_free(&r);
	assert_int_equal(stats_get("\"/ok\""), before);
}

static void test_redirect_limits(void **state)
{
	result r;
	char u[600], want[900];
	/* http never leads to file://. */
	snprintf(u, sizeof u, "%s", url("/to?url=file:///etc/hostname"));
	dl_fetch_request req = {.url = u};
	fetch_one(&r, &req, NULL);
	assert_int_equal(r.rc, DL_EIO);
	assert_int_equal(r.attempts, 1);
	snprintf(want, sizeof want,
	         "cannot fetch %s: refusing to follow a redirect to file:///etc/hostname (only http and https "
	         "redirects are followed)",
	         u);
	assert_string_equal(r.error, want);
	assert_string_equal(r.body, "");
	result_free(&r);

	/* Credentials follow a redirect on the same host ... */
	snprintf(u, sizeof u, "http://alice:s3cret@127.0.0.1:%d/to?url=/auth", server_port);
	fetch_one(&r, &req, NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.body, "user=alice");
	result_free(&r);
	/* ... and not to another host (localhost is another name). */
	snprintf(u, sizeof u, "http://alice:s3cret@127.0.0.1:%d/to?url=http://localhost:%d/auth", server_port,
	         server_port);
	fetch_one(&r, &req, NULL);
	assert_int_equal(r.rc, DL_EIO);
	assert_int_equal(r.status, 401);
	snprintf(want, sizeof want, "cannot fetch http://****@127.0.0.1:%d/to?url=http://localhost:%d/auth: HTTP status 401",
	         server_port, server_port);
	assert_string_equal(r.error, want);
	result_free(&r);

	/* max_redirects */
	dl_fetch_opts o = DL_FETCH_OPTS_INIT;
	o.max_redirects = 2;
	snprintf(u, sizeof u, "%s", url("/redirect/3"));
	fetch_one(&r, &req, &o);
	assert_int_equal(r.rc, DL_EIO);
	snprintf(want, sizeof want, "cannot fetch %s: Maximum (2) redirects followed", u);
	assert_string_equal(r.error, want);
	result_free(&r);
	/* Following none: the 302 itself is the answer. */
	o.max_redirects = -1;
	fetch_one(&r, &req, &o);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.status, 302);
	assert_string_equal(r.final_url, u);
	result_free(&r);
}

static void test_netrc(void **state)
{
	result r;
	char path[] = "/tmp/dltest-netrc-XXXXXX", u[600];
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "machine 127.0.0.1\nlogin carol\npassword n3trc\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	dl_fetch_opts o = DL_FETCH_OPTS_INIT;
	o.netrc = true;
	o.netrc_file = path;
	dl_fetch_request req = {.url = url("/auth")};
	fetch_one(&r, &req, &o);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.body, "user=carol");
	result_free(&r);
	/* Credentials in the URL win over the file. */
	snprintf(u, sizeof u, "http://alice:s3cret@127.0.0.1:%d/auth", server_port);
	req.url = u;
	fetch_one(&r, &req, &o);
	assert_string_equal(r.body, "user=alice");
	result_free(&r);
	/* Off by default. */
	req.url = url("/auth");
	fetch_one(&r, &req, NULL);
	assert_int_equal(r.rc, DL_EIO);
	assert_int_equal(r.status, 401);
	result_free(&r);
	unlink(path);
}

typedef struct alloc_ctx {
	char url[600];
} alloc_ctx;

static void on_alloc_done(dl_fetch *f, dl_fetch_response *r)
{
	int *rc = r->user;
	*rc = r->rc;
	if (r->rc == 0 && (r->body.len != 11 || memcmp(r->body.ptr, "hello world", 11) != 0))
		*rc = DL_ERROR;
}

static int fetch_alloc(void *p)
{
	alloc_ctx *c = p;
	dl_fetch *f = NULL;
	int cb_rc = 1;
	dl_fetch_opts o = DL_FETCH_OPTS_INIT; /* every option string is copied */
	o.netrc = true;
	o.netrc_file = "/dev/null";
	o.ca_bundle = "/dev/null";
	o.user_agent = "alloc-test";
	int rc = dl_fetch_new(&f, &o);
	if (rc != 0)
		return rc;
	dl_fetch_request req = {.url = c->url, .done = on_alloc_done, .user = &cb_rc,
	                        .expected_sha256 = "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"};
	rc = dl_fetch_add(f, &req);
	if (rc == 0)
		rc = dl_fetch_run(f);
	if (rc == 0)
		rc = cb_rc;
	dl_fetch_free(f);
	return rc;
}

static void test_alloc_failures(void **state)
{
	char path[] = "/tmp/dltest-fetch-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello world", 11), 11);
	close(fd);
	alloc_ctx c;
	snprintf(c.url, sizeof c.url, "file://%s", path);
	dltest_each_alloc_failure(fetch_alloc, &c);
	unlink(path);
}

static void expect_date(const char *s, int64_t want)
{
	int64_t got = 0;
	int rc = dl_http_parse_date(&got, s, strlen(s));
	if (rc != 0)
		fail_msg("'%s': %s", s, dl_error_last()->message);
	assert_int_equal(got, want);
}

static void expect_date_error(const char *s, const char *msg)
{
	int64_t got = 0;
	assert_int_equal(dl_http_parse_date(&got, s, strlen(s)), DL_EPARSE);
	assert_string_equal(dl_error_last()->message, msg);
}

static void test_http_date(void **state)
{
	expect_date("Sun, 06 Nov 1994 08:49:37 GMT", 784111777);
	expect_date("Sunday, 06-Nov-94 08:49:37 GMT", 784111777);
	expect_date("Sun Nov  6 08:49:37 1994", 784111777);
	expect_date("Thu, 01 Jan 1970 00:00:00 GMT", 0);
	expect_date("Tue, 29 Feb 2000 23:59:59 GMT", 951868799);
	expect_date("Sat, 28 Nov 2026 06:43:14 GMT", 1795848194);
	expect_date("Thu Jan  1 00:00:60 1970", 59); /* a leap second */
	expect_date("Friday, 31-Dec-99 23:59:59 GMT", 946684799);
	expect_date("Monday, 01-Jan-01 00:00:00 GMT", 978307200);
	expect_date_error("", "HTTP date: column 1: expected a day name");
	expect_date_error("Sun 06 Nov 1994 08:49:37 GMT", "HTTP date: column 5: expected a month name");
	expect_date_error("Sun, 6 Nov 1994 08:49:37 GMT", "HTTP date: column 6: expected a 2-digit day");
	expect_date_error("Sun, 06 Now 1994 08:49:37 GMT", "HTTP date: column 9: expected a month name");
	expect_date_error("Sun, 06 Nov 94 08:49:37 GMT", "HTTP date: column 13: expected a 4-digit year");
	expect_date_error("Sun, 06 Nov 1994 24:49:37 GMT", "HTTP date: column 18: expected a time of day");
	expect_date_error("Sun, 06 Nov 1994 08:49:37 UTC", "HTTP date: column 26: expected ' GMT'");
	expect_date_error("Sun, 06 Nov 1994 08:49:37 GMTx", "HTTP date: column 30: expected the end of the date");
	expect_date_error("Sun, 31 Feb 1994 08:49:37 GMT", "HTTP date: column 6: expected a day that exists in that month");
	expect_date_error("Sunday 06-Nov-94 08:49:37 GMT", "HTTP date: column 7: expected ', '");
	expect_date_error("Sun Nov 6 08:49:37 1994", "HTTP date: column 9: expected a day");
	expect_date_error("Sun, 06 Nov 1994 08:49", "HTTP date: column 23: expected ':'");
}

static void test_format_date(void **state)
{
	char out[30];
	assert_int_equal(dl_http_format_date(out, 784111777), 0);
	assert_string_equal(out, "Sun, 06 Nov 1994 08:49:37 GMT");
	assert_int_equal(dl_http_format_date(out, 0), 0);
	assert_string_equal(out, "Thu, 01 Jan 1970 00:00:00 GMT");
	assert_int_equal(dl_http_format_date(out, -1), 0);
	assert_string_equal(out, "Wed, 31 Dec 1969 23:59:59 GMT");
	assert_int_equal(dl_http_format_date(out, 951782400), 0);
	assert_string_equal(out, "Tue, 29 Feb 2000 00:00:00 GMT");
	assert_int_equal(dl_http_format_date(out, 253402300799LL), 0);
	assert_string_equal(out, "Fri, 31 Dec 9999 23:59:59 GMT");
	assert_int_equal(dl_http_format_date(out, -62167219200LL), 0);
	assert_string_equal(out, "Sat, 01 Jan 0000 00:00:00 GMT");
	assert_int_equal(dl_http_format_date(out, 253402300800LL), DL_EINVAL);
	assert_string_equal(out, "");
	/* Round trip over a spread of instants. */
	for (int64_t t = -62167219200LL; t <= 253402300799LL; t += 86400LL * 997 + 3607) {
		int64_t back = 0;
		assert_int_equal(dl_http_format_date(out, t), 0);
		assert_int_equal(dl_http_parse_date(&back, out, strlen(out)), 0);
		assert_int_equal(back, t);
	}
}

static void test_retry_after(void **state)
{
	int64_t w = -1;
	assert_int_equal(dl_http_parse_retry_after(&w, "120", 3, 0), 0);
	assert_int_equal(w, 120);
	assert_int_equal(dl_http_parse_retry_after(&w, " 0 ", 3, 0), 0);
	assert_int_equal(w, 0);
	assert_int_equal(dl_http_parse_retry_after(&w, "99999999999999999999999", 23, 0), 0);
	assert_int_equal(w, INT64_MAX);
	const char *d = "Sun, 06 Nov 1994 08:49:37 GMT";
	assert_int_equal(dl_http_parse_retry_after(&w, d, strlen(d), 784111777 - 30), 0);
	assert_int_equal(w, 30);
	assert_int_equal(dl_http_parse_retry_after(&w, d, strlen(d), 784111777 + 30), 0);
	assert_int_equal(w, 0);
	assert_int_equal(dl_http_parse_retry_after(&w, "12s", 3, 0), DL_EPARSE);
	assert_string_equal(dl_error_last()->message, "Retry-After: column 3: expected a digit");
	assert_int_equal(dl_http_parse_retry_after(&w, "  ", 2, 0), DL_EPARSE);
	assert_string_equal(dl_error_last()->message, "Retry-After: column 3: expected seconds or an HTTP date");
	assert_int_equal(dl_http_parse_retry_after(&w, "soon", 4, 0), DL_EPARSE);
	assert_string_equal(dl_error_last()->message,
	                    "HTTP date: column 1: expected a day name\n  while reading Retry-After");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_http_date),
	    cmocka_unit_test(test_format_date),
	    cmocka_unit_test(test_retry_after),
	    cmocka_unit_test(test_ok),
	    cmocka_unit_test(test_404),
	    cmocka_unit_test(test_500_then_200),
	    cmocka_unit_test(test_429_retry_after),
	    cmocka_unit_test(test_retry_after_date_and_cap),
	    cmocka_unit_test(test_503_gives_up),
	    cmocka_unit_test(test_timeout),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_body_cap),
	    cmocka_unit_test(test_hash),
	    cmocka_unit_test(test_redirects),
	    cmocka_unit_test(test_gzip),
	    cmocka_unit_test(test_range),
	    cmocka_unit_test(test_concurrency),
	    cmocka_unit_test(test_credentials),
	    cmocka_unit_test(test_callback_adds),
	    cmocka_unit_test(test_file_urls),
	    cmocka_unit_test(test_add_errors),
	    cmocka_unit_test(test_env_proxy),
	    cmocka_unit_test(test_connection_reuse),
	    cmocka_unit_test(test_tls),
	    cmocka_unit_test(test_redirect_limits),
	    cmocka_unit_test(test_netrc),
	    cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, server_start, server_stop);
}
