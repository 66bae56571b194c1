/*
 * test_cache.c - the HTTP and artifact cache, alone and through the
 * fetcher against tests/integration/faultserver.py on 127.0.0.1.
 */
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dltest.h"
#include "deeplock/cache.h"
#include "deeplock/fs.h"
#include "deeplock/hash.h"

extern char **environ;

static int server_port;
static char root[256];

static int group_setup(void **state)
{
	server_port = dltest_faultserver_start();
	return server_port > 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	dltest_faultserver_stop();
	return 0;
}

static int setup(void **state)
{
	snprintf(root, sizeof root, "/tmp/dltest-cache-XXXXXX");
	assert_non_null(mkdtemp(root));
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static const char *url(const char *path)
{
	static char bufs[8][512];
	static int i;
	char *b = bufs[i++ % 8];
	snprintf(b, 512, "http://127.0.0.1:%d%s", server_port, path);
	return b;
}

typedef struct result {
	int calls, rc;
	long status;
	char error[600];
	char *body;
	dl_fetch_source source;
} result;

static void on_done(dl_fetch *f, dl_fetch_response *r)
{
	result *res = r->user;
	res->calls++;
	res->rc = r->rc;
	res->status = r->status;
	res->source = r->source;
	snprintf(res->error, sizeof res->error, "%s", r->error);
	res->body = dl_buf_detach(&r->body, NULL);
}

/* GET `u` through cache `c` (NULL: no cache); fills *res; returns the
 * fetcher's counters. */
static dl_fetch_counters get(dl_cache *c, const char *u, result *res)
{
	dl_fetch *f = NULL;
	dl_fetch_counters counters;
	memset(res, 0, sizeof *res);
	dl_fetch_opts o = DL_FETCH_OPTS_INIT;
	o.retry_base_ms = 10;
	assert_int_equal(dl_fetch_new(&f, &o), 0);
	dl_fetch_request req = {.url = u, .accept = "text/plain", .done = on_done, .user = res};
	if (c != NULL)
		assert_int_equal(dl_cache_fetch_add(c, f, &req), 0);
	else
		assert_int_equal(dl_fetch_add(f, &req), 0);
	assert_int_equal(res->calls, 0); /* callbacks only run inside dl_fetch_run */
	assert_int_equal(dl_fetch_run(f), 0);
	assert_int_equal(res->calls, 1);
	dl_fetch_get_counters(f, &counters);
	dl_fetch_free(f);
	return counters;
}

/* How many requests the server has seen for `path`. */
static long server_count(const char *path)
{
	result r;
	char key[300];
	get(NULL, url("/stats"), &r);
	assert_int_equal(r.rc, 0);
	snprintf(key, sizeof key, "\"%s\": ", path);
	const char *m = strstr(r.body, key);
	long n = m != NULL ? strtol(m + strlen(key), NULL, 10) : 0;
	dl_free(r.body);
	return n;
}

/* Path of the HTTP entry for (u, "text/plain"). */
static void http_entry_path(char *out, size_t size, const char *u)
{
	char buf[600], hex[65];
	int n = snprintf(buf, sizeof buf, "%s\ntext/plain", u);
	assert_int_equal(dl_sha256_hex(hex, buf, (size_t)n), 0);
	snprintf(out, size, "%s/v1/http/%.2s/%s", root, hex, hex);
}

static void test_cache_control(void **state)
{
	dl_cache_control cc;
	const char *s = "max-age=600, public";
	assert_int_equal(dl_cache_control_parse(&cc, s, strlen(s)), 0);
	assert_int_equal(cc.max_age, 600);
	assert_false(cc.no_cache);
	assert_false(cc.no_store);
	s = "No-Cache=\"Set-Cookie, X\" ,no-store,MUST-REVALIDATE, max-age=5, max-age=9";
	assert_int_equal(dl_cache_control_parse(&cc, s, strlen(s)), 0);
	assert_int_equal(cc.max_age, 5);
	assert_true(cc.no_cache);
	assert_true(cc.no_store);
	assert_true(cc.must_revalidate);
	assert_int_equal(dl_cache_control_parse(&cc, "", 0), 0);
	assert_int_equal(cc.max_age, -1);
	s = "max-age=99999999999999999999999";
	assert_int_equal(dl_cache_control_parse(&cc, s, strlen(s)), 0);
	assert_int_equal(cc.max_age, INT64_MAX);
	s = "max-age=\"60\"";
	assert_int_equal(dl_cache_control_parse(&cc, s, strlen(s)), 0);
	assert_int_equal(cc.max_age, 60);

	struct {
		const char *in, *msg;
	} bad[] = {
	    {"max-age=6x", "Cache-Control: column 10: expected a digit"},
	    {"max-age=-1", "Cache-Control: column 9: expected a digit"},
	    {"max-age=, x", "Cache-Control: column 9: expected a value"},
	    {"max-age", "Cache-Control: column 8: expected '=' and seconds"},
	    {"max-age=\"6x\"", "Cache-Control: column 11: expected a digit"},
	    {"private=\"abc", "Cache-Control: column 13: expected a closing '\"'"},
	    {"public, =3", "Cache-Control: column 9: expected a directive name"},
	    {"a b", "Cache-Control: column 3: expected ',' or the end"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(dl_cache_control_parse(&cc, bad[i].in, strlen(bad[i].in)), DL_EPARSE);
		assert_string_equal(dl_error_last()->message, bad[i].msg);
	}
}

static void test_store_load(void **state)
{
	dl_cache *c = NULL;
	assert_int_equal(dl_cache_open(&c, root, DL_CACHE_NORMAL), 0);
	dl_cache_entry e = {200, 1000, (char *)"https://example.org/simple/x/", (char *)"\"tag\"",
	                    (char *)"Sun, 06 Nov 1994 08:49:37 GMT", (char *)"max-age=60",
	                    (char *)"text/html", (char *)"body\0with nul", 13};
	assert_int_equal(dl_cache_http_store(c, "https://u:pw@example.org/simple/x/", "text/html", &e), 0);
	dl_cache_entry *got = NULL;
	assert_int_equal(dl_cache_http_load(c, &got, "https://u:pw@example.org/simple/x/", "text/html"), 0);
	assert_int_equal(got->status, 200);
	assert_int_equal(got->stored_at, 1000);
	/* Same origin as the request: its credentials come back. */
	assert_string_equal(got->url, "https://u:pw@example.org/simple/x/");
	assert_string_equal(got->etag, "\"tag\"");
	assert_string_equal(got->last_modified, "Sun, 06 Nov 1994 08:49:37 GMT");
	assert_string_equal(got->cache_control, "max-age=60");
	assert_string_equal(got->content_type, "text/html");
	assert_int_equal(got->body_len, 13);
	assert_memory_equal(got->body, "body\0with nul", 13);
	assert_true(dl_cache_entry_is_fresh(got, 1059));
	assert_false(dl_cache_entry_is_fresh(got, 1060));
	assert_false(dl_cache_entry_is_fresh(got, 999)); /* clock went back */
	dl_cache_entry_free(got);

	/* The key ignores credentials and the fragment. */
	assert_int_equal(dl_cache_http_load(c, &got, "https://v:other@example.org/simple/x/#sha256=00", "text/html"), 0);
	assert_string_equal(got->url, "https://v:other@example.org/simple/x/");
	dl_cache_entry_free(got);
	assert_int_equal(dl_cache_http_load(c, &got, "https://example.org/simple/x/", "text/html"), 0);
	assert_string_equal(got->url, "https://example.org/simple/x/");
	dl_cache_entry_free(got);

	/* Another Accept is another entry; a miss names the redacted URL. */
	assert_int_equal(dl_cache_http_load(c, &got, "https://u:pw@example.org/simple/x/", "application/json"),
	                 DL_ENOTFOUND);
	assert_string_equal(dl_error_last()->message, "not in the cache: https://****@example.org/simple/x/");

	/* Optional fields absent; no Cache-Control is never fresh. */
	dl_cache_entry e2 = {200, 5, (char *)"file:///x", NULL, NULL, NULL, NULL, (char *)"", 0};
	assert_int_equal(dl_cache_http_store(c, "file:///x", NULL, &e2), 0);
	assert_int_equal(dl_cache_http_load(c, &got, "file:///x", NULL), 0);
	assert_null(got->etag);
	assert_null(got->cache_control);
	assert_int_equal(got->body_len, 0);
	assert_string_equal(got->body, "");
	assert_false(dl_cache_entry_is_fresh(got, 5));
	dl_cache_entry_free(got);

	/* no-store removes and does not write. */
	e2.cache_control = (char *)"no-store";
	assert_int_equal(dl_cache_http_store(c, "file:///x", NULL, &e2), 0);
	assert_int_equal(dl_cache_http_load(c, &got, "file:///x", NULL), DL_ENOTFOUND);
	e2.cache_control = (char *)"no-cache";
	assert_int_equal(dl_cache_http_store(c, "file:///x", NULL, &e2), 0);
	assert_int_equal(dl_cache_http_load(c, &got, "file:///x", NULL), 0);
	assert_false(dl_cache_entry_is_fresh(got, 5));
	dl_cache_entry_free(got);
	e2.etag = (char *)"a\r\nb";
	assert_int_equal(dl_cache_http_store(c, "file:///x", NULL, &e2), DL_EINVAL);

	dl_cache_usage u;
	assert_int_equal(dl_cache_usage_get(c, &u), 0);
	assert_int_equal(u.entries, 2);
	assert_true(u.bytes > 13);
	assert_int_equal(dl_cache_clean(c), 0);

	/* A password is never written, even when the final URL carries one,
	 * and another origin does not get the request's credentials. */
	dl_cache_entry e3 = {200, 1, (char *)"HTTPS://me:s3cret@EXAMPLE.org/files/a#frag", NULL, NULL, NULL, NULL,
	                     (char *)"b", 1};
	assert_int_equal(dl_cache_http_store(c, "https://me:s3cret@example.org/a", NULL, &e3), 0);
	e3.url = (char *)"https://files.example.org/a";
	assert_int_equal(dl_cache_http_store(c, "https://me:s3cret@example.org/b", NULL, &e3), 0);
	e3.url = (char *)"https://example.org:8443/a";
	assert_int_equal(dl_cache_http_store(c, "https://me:s3cret@example.org/c", NULL, &e3), 0);
	assert_int_equal(dl_cache_http_load(c, &got, "https://me:s3cret@example.org/a", NULL), 0);
	assert_string_equal(got->url, "HTTPS://me:s3cret@EXAMPLE.org/files/a#frag");
	dl_cache_entry_free(got);
	assert_int_equal(dl_cache_http_load(c, &got, "https://me:s3cret@example.org/b", NULL), 0);
	assert_string_equal(got->url, "https://files.example.org/a");
	dl_cache_entry_free(got);
	assert_int_equal(dl_cache_http_load(c, &got, "https://me:s3cret@example.org/c", NULL), 0);
	assert_string_equal(got->url, "https://example.org:8443/a");
	dl_cache_entry_free(got);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "grep -r -q s3cret '%s'", root);
	assert_int_equal(system(cmd), 256); /* grep: no match */
	snprintf(cmd, sizeof cmd, "grep -r -q 'url HTTPS://EXAMPLE.org/files/a#frag' '%s'", root);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(dl_cache_clean(c), 0);
	assert_int_equal(dl_cache_usage_get(c, &u), 0);
	assert_int_equal(u.entries, 0);
	assert_int_equal(u.bytes, 0);
	dl_cache_free(c);
}

static void test_fresh_and_revalidate(void **state)
{
	dl_cache *c = NULL;
	result r;
	dl_fetch_counters k;
	assert_int_equal(dl_cache_open(&c, root, DL_CACHE_NORMAL), 0);

	/* max-age=60: the second GET makes no request. */
	long before = server_count("/ok");
	k = get(c, url("/ok"), &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.source, DL_FETCH_NETWORK);
	assert_string_equal(r.body, "hello world");
	dl_free(r.body);
	k = get(c, url("/ok"), &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.source, DL_FETCH_CACHE_FRESH);
	assert_string_equal(r.body, "hello world");
	assert_int_equal(k.cache_hits, 1);
	assert_int_equal(k.attempts, 0);
	dl_free(r.body);
	assert_int_equal(server_count("/ok"), before + 1);

	/* max-age=0 with an ETag: revalidated, 304, cached body served. */
	k = get(c, url("/etag/fr?max_age=0&body=first"), &r);
	assert_int_equal(r.source, DL_FETCH_NETWORK);
	assert_string_equal(r.body, "first");
	dl_free(r.body);
	k = get(c, url("/etag/fr?max_age=0&body=second"), &r);
	/* The query differs, so that is another URL: a miss, not a 304. */
	assert_int_equal(r.source, DL_FETCH_NETWORK);
	dl_free(r.body);
	k = get(c, url("/etag/fr?max_age=0&body=first"), &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.source, DL_FETCH_CACHE_REVALIDATED);
	assert_string_equal(r.body, "first");
	assert_int_equal(k.cache_revalidations, 1);
	assert_int_equal(k.attempts, 1);
	dl_free(r.body);
	assert_int_equal(server_count("/etag/fr"), 3);
	/* The 304 carried max-age=0 again, so the entry stays stale. */
	dl_cache_entry *e = NULL;
	assert_int_equal(dl_cache_http_load(c, &e, url("/etag/fr?max_age=0&body=first"), "text/plain"), 0);
	assert_false(dl_cache_entry_is_fresh(e, (int64_t)time(NULL)));
	dl_cache_entry_free(e);
	dl_cache_free(c);

	/* Refresh mode revalidates even fresh entries. */
	assert_int_equal(dl_cache_open(&c, root, DL_CACHE_REFRESH), 0);
	before = server_count("/ok");
	k = get(c, url("/ok"), &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.source, DL_FETCH_NETWORK); /* /ok ignores If-None-Match */
	dl_free(r.body);
	assert_int_equal(server_count("/ok"), before + 1);
	dl_cache_free(c);

	/* No-cache mode neither reads nor writes. */
	assert_int_equal(dl_cache_open(&c, root, DL_CACHE_NO_CACHE), 0);
	k = get(c, url("/ok"), &r);
	assert_int_equal(r.source, DL_FETCH_NETWORK);
	dl_free(r.body);
	assert_int_equal(server_count("/ok"), before + 2);
	dl_cache_free(c);
}

static void test_expected_hash_on_hit(void **state)
{
	dl_cache *c = NULL;
	result r;
	assert_int_equal(dl_cache_open(&c, root, DL_CACHE_NORMAL), 0);
	get(c, url("/ok"), &r);
	dl_free(r.body);
	const char *hashes[] = {"B94D27B9934D3E08A52E52D7DA7DABFAC484EFE37A5380EE9088F7ACE2EFCDE9",
	                        "0000000000000000000000000000000000000000000000000000000000000000"};
	for (int i = 0; i < 2; i++) {
		dl_fetch *f = NULL;
		assert_int_equal(dl_fetch_new(&f, NULL), 0);
		memset(&r, 0, sizeof r);
		dl_fetch_request req = {.url = url("/ok"), .accept = "text/plain", .expected_sha256 = hashes[i],
		                        .done = on_done, .user = &r};
		assert_int_equal(dl_cache_fetch_add(c, f, &req), 0);
		assert_int_equal(dl_fetch_run(f), 0);
		dl_fetch_counters k;
		dl_fetch_get_counters(f, &k);
		dl_fetch_free(f);
		if (i == 0) {
			/* The cached body has that hash: served without a request. */
			assert_int_equal(r.rc, 0);
			assert_int_equal(r.source, DL_FETCH_CACHE_FRESH);
			assert_int_equal(k.attempts, 0);
		} else {
			/* It does not: the network is asked and the mismatch reported. */
			assert_int_equal(r.rc, DL_EIO);
			assert_int_equal(k.attempts, 1);
			assert_non_null(strstr(r.error, "hash mismatch for "));
		}
		dl_free(r.body);
	}
	dl_cache_free(c);
}

static void test_corrupt_entry_refetched(void **state)
{
	dl_cache *c = NULL;
	result r;
	char path[700];
	assert_int_equal(dl_cache_open(&c, root, DL_CACHE_NORMAL), 0);
	get(c, url("/ok"), &r);
	assert_int_equal(r.rc, 0);
	dl_free(r.body);
	http_entry_path(path, sizeof path, url("/ok"));
	struct stat st;
	assert_int_equal(stat(path, &st), 0);

	/* Truncated (a torn write): detected, removed, fetched again. */
	assert_int_equal(truncate(path, st.st_size - 3), 0);
	long before = server_count("/ok");
	get(c, url("/ok"), &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.source, DL_FETCH_NETWORK);
	assert_string_equal(r.body, "hello world");
	dl_free(r.body);
	assert_int_equal(server_count("/ok"), before + 1);

	/* One flipped body byte: the hash catches it. */
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "J", 1, st.st_size - 11), 1);
	close(fd);
	dl_cache_entry *e = NULL;
	char want[700];
	assert_int_equal(dl_cache_http_load(c, &e, url("/ok"), "text/plain"), DL_ENOTFOUND);
	snprintf(want, sizeof want, "the cache entry for %s was damaged and has been removed", url("/ok"));
	assert_string_equal(dl_error_last()->message, want);
	assert_int_equal(access(path, F_OK), -1);

	/* Garbage header. */
	assert_int_equal(dl_fs_write_atomic(path, "deeplock-cache-http 1\nstatus x\n\n", 32, 0600), 0);
	assert_int_equal(dl_cache_http_load(c, &e, url("/ok"), "text/plain"), DL_ENOTFOUND);
	assert_int_equal(access(path, F_OK), -1);
	dl_cache_free(c);
}

static void test_temp_file_ignored(void **state)
{
	dl_cache *c = NULL;
	result r;
	char path[700], tmp[800];
	assert_int_equal(dl_cache_open(&c, root, DL_CACHE_NORMAL), 0);
	get(c, url("/ok"), &r);
	dl_free(r.body);
	http_entry_path(path, sizeof path, url("/ok"));
	/* What a writer killed between create and rename leaves behind. */
	char *slash = strrchr(path, '/');
	snprintf(tmp, sizeof tmp, "%.*s/.%s.tmp-Ab12Cd", (int)(slash - path), path, slash + 1);
	assert_int_equal(dl_fs_write_atomic(tmp, "half an ent", 11, 0600), 0);
	dl_cache_usage u;
	assert_int_equal(dl_cache_usage_get(c, &u), 0);
	assert_int_equal(u.entries, 1);
	dl_fetch_counters k = get(c, url("/ok"), &r);
	assert_int_equal(r.source, DL_FETCH_CACHE_FRESH);
	assert_int_equal(k.attempts, 0);
	assert_string_equal(r.body, "hello world");
	dl_free(r.body);
	assert_int_equal(dl_cache_clean(c), 0);
	assert_int_equal(access(tmp, F_OK), -1);
	assert_int_equal(access(path, F_OK), -1);
	dl_cache_free(c);
}

static void test_offline(void **state)
{
	dl_cache *c = NULL;
	result r;
	assert_int_equal(dl_cache_open(&c, root, DL_CACHE_NORMAL), 0);
	get(c, url("/etag/off?max_age=0"), &r);
	dl_free(r.body);
	dl_cache_free(c);

	assert_int_equal(dl_cache_open(&c, root, DL_CACHE_OFFLINE), 0);
	long before = server_count("/etag/off");
	dl_fetch_counters k = get(c, url("/etag/off?max_age=0"), &r); /* stale, served anyway */
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.source, DL_FETCH_CACHE_FRESH);
	assert_string_equal(r.body, "etag body");
	assert_int_equal(k.attempts, 0);
	dl_free(r.body);
	char u[300], want[400];
	snprintf(u, sizeof u, "http://me:pw@127.0.0.1:%d/ok", server_port);
	k = get(c, u, &r);
	assert_int_equal(r.rc, DL_ENOTFOUND);
	snprintf(want, sizeof want, "offline and not in the cache: http://****@127.0.0.1:%d/ok", server_port);
	assert_string_equal(r.error, want);
	assert_int_equal(k.attempts, 0);
	assert_int_equal(k.requests, 0);
	dl_free(r.body);
	assert_int_equal(server_count("/etag/off"), before);
	dl_cache_free(c);
}

/* Requests that go through the cache and are never answered (the lock
 * stopped on an error while prefetches were in flight): freeing the fetch
 * engine drops them without a callback, and the cache releases what it
 * kept for them. */
static void test_unanswered_requests_released(void **state)
{
	(void)state;
	dltest_alloc_install();
	long before = dltest_alloc_live();
	dl_cache *c = NULL;
	dl_fetch *f = NULL;
	result r[3];
	memset(r, 0, sizeof r);
	assert_int_equal(dl_cache_open(&c, root, DL_CACHE_NORMAL), 0);
	assert_int_equal(dl_fetch_new(&f, NULL), 0);
	const char *paths[] = {"/slow?ms=2000", "/ok", "/etag/x"};
	for (int i = 0; i < 3; i++) {
		dl_fetch_request req = {.url = url(paths[i]), .accept = "text/plain", .done = on_done, .user = &r[i]};
		assert_int_equal(dl_cache_fetch_add(c, f, &req), 0);
	}
	dl_fetch_free(f); /* never run: nothing answered */
	dl_cache_free(c);
	for (int i = 0; i < 3; i++)
		assert_int_equal(r[i].calls, 0);
	assert_int_equal(dltest_alloc_live(), before);
	dltest_alloc_reset();
}

static void test_no_store(void **state)
{
	dl_cache *c = NULL;
	result r;
	assert_int_equal(dl_cache_open(&c, root, DL_CACHE_NORMAL), 0);
	get(c, url("/nostore"), &r);
	assert_string_equal(r.body, "secret");
	dl_free(r.body);
	dl_cache_entry *e = NULL;
	assert_int_equal(dl_cache_http_load(c, &e, url("/nostore"), "text/plain"), DL_ENOTFOUND);
	dl_cache_usage u;
	assert_int_equal(dl_cache_usage_get(c, &u), 0);
	assert_int_equal(u.entries, 0);
	dl_cache_free(c);
}

static void test_two_processes(void **state)
{
	/* Two writers racing on the same entry with different bodies. */
	pid_t kids[2];
	for (int k = 0; k < 2; k++) {
		kids[k] = fork();
		assert_true(kids[k] >= 0);
		if (kids[k] == 0) {
			dl_cache *c = NULL;
			if (dl_cache_open(&c, root, DL_CACHE_NORMAL) != 0)
				_exit(1);
			char body[4096];
			memset(body, k == 0 ? 'a' : 'b', sizeof body);
			dl_cache_entry e = {200, 1, (char *)"http://x/", NULL, NULL, (char *)"max-age=5", NULL, body,
			                    sizeof body};
			for (int i = 0; i < 150; i++)
				if (dl_cache_http_store(c, "http://x/", NULL, &e) != 0)
					_exit(2);
			dl_cache_free(c);
			_exit(0);
		}
	}
	for (int k = 0; k < 2; k++) {
		int status = 0;
		assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	dl_cache *c = NULL;
	dl_cache_entry *e = NULL;
	assert_int_equal(dl_cache_open(&c, root, DL_CACHE_NORMAL), 0);
	assert_int_equal(dl_cache_http_load(c, &e, "http://x/", NULL), 0);
	assert_int_equal(e->body_len, 4096);
	for (size_t i = 1; i < 4096; i++)
		assert_int_equal(e->body[i], e->body[0]);
	dl_cache_entry_free(e);
	dl_cache_usage u;
	assert_int_equal(dl_cache_usage_get(c, &u), 0);
	assert_int_equal(u.entries, 1); /* no temporaries left */
	dl_cache_free(c);
}

static void test_artifacts(void **state)
{
	dl_cache *c = NULL;
	const char *abc = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";
	assert_int_equal(dl_cache_open(&c, root, DL_CACHE_NORMAL), 0);
	assert_int_equal(dl_cache_artifact_store(c, abc, "abc", 3), 0);
	char *data = NULL;
	size_t len = 0;
	assert_int_equal(dl_cache_artifact_load(c, &data, &len, abc, 0), 0);
	assert_int_equal(len, 3);
	assert_string_equal(data, "abc");
	dl_free(data);
	assert_int_equal(dl_cache_artifact_load(c, &data, &len, abc, 2), DL_ENOTFOUND);

	assert_int_equal(dl_cache_artifact_store(c, abc, "abd", 3), DL_EINVAL);
	assert_string_equal(dl_error_last()->message,
	                    "hash mismatch for artifact: expected "
	                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad, got "
	                    "a52d159f262b2c6ddb724a61840befc36eb30c88877a4030b65cbe86298449c9");
	assert_int_equal(dl_cache_artifact_store(c, "xyz", "abc", 3), DL_EINVAL);
	assert_string_equal(dl_error_last()->message, "artifact key 'xyz' is not 64 hex digits");

	/* Damage the stored file: removed, reported as a miss. */
	char path[700];
	snprintf(path, sizeof path, "%s/v1/sha256/ba/ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	         root);
	assert_int_equal(dl_fs_write_atomic(path, "abd", 3, 0600), 0);
	assert_int_equal(dl_cache_artifact_load(c, &data, &len, abc, 0), DL_ENOTFOUND);
	assert_string_equal(dl_error_last()->message,
	                    "artifact ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad in the cache "
	                    "was damaged and has been removed");
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(dl_cache_artifact_load(c, &data, &len, abc, 0), DL_ENOTFOUND);
	assert_string_equal(dl_error_last()->message,
	                    "artifact ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad is not in the cache");
	dl_cache_free(c);
}

static void test_derived(void **state)
{
	(void)state;
	dl_cache *c = NULL;
	const char *wheel = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	assert_int_equal(dl_cache_open(&c, root, DL_CACHE_NORMAL), 0);
	char *data = NULL;
	size_t len = 0;
	assert_int_equal(dl_cache_derived_load(c, &data, &len, wheel, "METADATA", 0), DL_ENOTFOUND);
	assert_int_equal(dl_cache_derived_store(c, wheel, "METADATA", "Name: x\n\n", 9), 0);
	assert_int_equal(dl_cache_derived_load(c, &data, &len, wheel, "METADATA", 0), 0);
	assert_int_equal(len, 9);
	assert_string_equal(data, "Name: x\n\n");
	dl_free(data);
	/* Another label is another entry; a bound below the size is a miss. */
	assert_int_equal(dl_cache_derived_load(c, &data, &len, wheel, "WHEEL", 0), DL_ENOTFOUND);
	assert_int_equal(dl_cache_derived_load(c, &data, &len, wheel, "METADATA", 8), DL_ENOTFOUND);
	assert_int_equal(dl_cache_derived_store(c, wheel, "bad label", "x", 1), DL_EINVAL);
	assert_int_equal(dl_cache_derived_store(c, "nothex", "METADATA", "x", 1), DL_EINVAL);
	/* Damage every derived file: each is removed and reported as a miss. */
	dl_cache_usage u;
	assert_int_equal(dl_cache_usage_get(c, &u), 0);
	assert_int_equal(u.entries, 1);
	char dir[700];
	snprintf(dir, sizeof dir, "%s/v1/derived", root);
	DIR *top = opendir(dir);
	assert_non_null(top);
	struct dirent *sub;
	int damaged = 0;
	while ((sub = readdir(top)) != NULL) {
		if (sub->d_name[0] == '.')
			continue;
		char subdir[1024];
		snprintf(subdir, sizeof subdir, "%s/%s", dir, sub->d_name);
		DIR *d = opendir(subdir);
		struct dirent *ent;
		while (d != NULL && (ent = readdir(d)) != NULL) {
			if (ent->d_name[0] == '.')
				continue;
			char path[1400];
			snprintf(path, sizeof path, "%s/%s", subdir, ent->d_name);
			/* Same length, one byte of the body changed. */
			FILE *f = fopen(path, "r+b");
			assert_non_null(f);
			assert_int_equal(fseek(f, -2, SEEK_END), 0);
			fputc('Y', f);
			fclose(f);
			damaged++;
		}
		if (d != NULL)
			closedir(d);
	}
	closedir(top);
	assert_int_equal(damaged, 1);
	assert_int_equal(dl_cache_derived_load(c, &data, &len, wheel, "METADATA", 0), DL_ENOTFOUND);
	assert_non_null(strstr(dl_error_last()->message, "damaged"));
	assert_int_equal(dl_cache_usage_get(c, &u), 0);
	assert_int_equal(u.entries, 0);
	dl_cache_free(c);
}

static int roundtrip_alloc(void *p)
{
	dl_cache *c = NULL;
	dl_cache_entry *got = NULL;
	char *data = NULL;
	int rc = dl_cache_open(&c, root, DL_CACHE_NORMAL);
	if (rc != 0)
		return rc;
	dl_cache_entry e = {200, 7, (char *)"http://h/p", (char *)"\"e\"", NULL, (char *)"max-age=1", (char *)"t/p",
	                    (char *)"xyz", 3};
	if ((rc = dl_cache_http_store(c, "http://h/p", "a/b", &e)) == 0 &&
	    (rc = dl_cache_http_load(c, &got, "http://h/p", "a/b")) == 0) {
		if (got->body_len != 3 || strcmp(got->etag, "\"e\"") != 0)
			rc = DL_ERROR;
		dl_cache_entry_free(got);
	}
	if (rc == 0 &&
	    (rc = dl_cache_artifact_store(c, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "abc",
	                                  3)) == 0 &&
	    (rc = dl_cache_artifact_load(c, &data, NULL,
	                                 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 0)) == 0)
		dl_free(data);
	if (rc == 0 &&
	    (rc = dl_cache_derived_store(c, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "M", "m",
	                                 1)) == 0 &&
	    (rc = dl_cache_derived_load(c, &data, NULL, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	                                "M", 0)) == 0)
		dl_free(data);
	dl_cache_usage u;
	if (rc == 0)
		rc = dl_cache_usage_get(c, &u);
	dl_cache_free(c);
	return rc;
}

typedef struct alloc_res {
	int rc;
	dl_fetch_source source;
} alloc_res;

static void on_alloc_done(dl_fetch *f, dl_fetch_response *r)
{
	alloc_res *res = r->user;
	res->rc = r->rc;
	res->source = r->source;
	if (r->rc == 0 && (r->body.len != 5 || memcmp(r->body.ptr, "alloc", 5) != 0))
		res->rc = DL_ERROR;
}

/* From an empty cache: a GET through the cache (stored), a second one
 * (revalidated: 304), then offline two more from disk; each must come from
 * where it should. */
static int fetch_alloc(void *p)
{
	static const dl_fetch_source want[2][2] = {{DL_FETCH_NETWORK, DL_FETCH_CACHE_REVALIDATED},
	                                           {DL_FETCH_CACHE_FRESH, DL_FETCH_CACHE_FRESH}};
	const char *u = p;
	int rc = 0;
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s/v1'", root);
	if (system(cmd) != 0)
		return DL_ERROR;
	for (int mode = 0; mode < 2 && rc == 0; mode++) {
		dl_cache *c = NULL;
		dl_fetch *f = NULL;
		rc = dl_cache_open(&c, root, mode == 0 ? DL_CACHE_NORMAL : DL_CACHE_OFFLINE);
		if (rc == 0)
			rc = dl_fetch_new(&f, NULL);
		for (int i = 0; i < 2 && rc == 0; i++) {
			alloc_res res = {1, DL_FETCH_NETWORK};
			dl_fetch_request req = {.url = u, .done = on_alloc_done, .user = &res};
			if ((rc = dl_cache_fetch_add(c, f, &req)) == 0 && (rc = dl_fetch_run(f)) == 0)
				rc = res.rc;
			if (rc == 0 && res.source != want[mode][i])
				rc = DL_ERROR;
		}
		dl_fetch_free(f);
		dl_cache_free(c);
	}
	return rc;
}

static void test_alloc_failures(void **state)
{
	dltest_each_alloc_failure(roundtrip_alloc, NULL);
	dltest_each_alloc_failure(fetch_alloc, (void *)url("/etag/alloc?max_age=0&body=alloc"));
}

static void test_file_urls_bypass(void **state)
{
	/* file:// is read from disk in every mode, offline included, and
	 * never copied into the cache. */
	char path[300], u[400];
	snprintf(path, sizeof path, "%s/page.html", root);
	assert_int_equal(dl_fs_write_atomic(path, "local", 5, 0600), 0);
	snprintf(u, sizeof u, "file://%s", path);
	const dl_cache_mode modes[] = {DL_CACHE_NORMAL, DL_CACHE_OFFLINE, DL_CACHE_REFRESH};
	for (int i = 0; i < 3; i++) {
		dl_cache *c = NULL;
		result r;
		assert_int_equal(dl_cache_open(&c, root, modes[i]), 0);
		dl_fetch_counters k = get(c, u, &r);
		assert_int_equal(r.rc, 0);
		assert_int_equal(r.source, DL_FETCH_NETWORK);
		assert_string_equal(r.body, "local");
		assert_int_equal(k.attempts, 1);
		dl_free(r.body);
		dl_cache_usage use;
		assert_int_equal(dl_cache_usage_get(c, &use), 0);
		assert_int_equal(use.entries, 0);
		dl_cache_free(c);
	}
}

static void test_open_errors(void **state)
{
	char path[300];
	dl_cache *c = NULL;
	snprintf(path, sizeof path, "%s/file", root);
	assert_int_equal(dl_fs_write_atomic(path, "x", 1, 0600), 0);
	assert_int_equal(dl_cache_open(&c, path, DL_CACHE_NORMAL), DL_EIO);
	assert_non_null(strstr(dl_error_last()->message, "a file of that name exists\n  while opening the cache at '"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cache_control),
	    cmocka_unit_test_setup_teardown(test_store_load, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fresh_and_revalidate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unanswered_requests_released, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_expected_hash_on_hit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_corrupt_entry_refetched, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_temp_file_ignored, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_offline, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_store, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_two_processes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_artifacts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_derived, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_alloc_failures, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_file_urls_bypass, setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
