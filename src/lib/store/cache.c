/*
 * cache.c - the on-disk HTTP and artifact cache, and its glue to the
 * fetcher.
 *
 * Every write goes through dl_fs_write_atomic_flags (without fsync: each
 * entry is verified on read and can be fetched again, and an fsync per
 * entry cost more than the downloads themselves), so concurrent processes need
 * no locks: the last rename wins and every rename installs a complete file.
 * Every read verifies before it serves: an HTTP entry carries its body's
 * size and SHA-256 in its own header, an artifact is named by its SHA-256,
 * so a torn write, a truncated disk block or a hand-edited file is detected,
 * deleted and reported as a miss.  Temporaries (names starting with '.')
 * are invisible to readers and to the usage count and are swept by
 * dl_cache_clean.
 *
 * Keys and stored URLs leave out the URL's userinfo (see url_split), so no
 * cache file ever holds a password; a loaded entry gets the request's
 * credentials back when its final URL is on the same origin.  file:// URLs
 * bypass the cache: they are local already.
 *
 * The fetcher glue wraps the caller's request: it answers from disk through
 * dl_fetch_post (so callbacks still run inside dl_fetch_run), or sends the
 * request, with validators when a stale entry has them, through its own
 * callback that stores 200s, turns 304s into the cached body and then hands
 * the response on to the caller's callback.
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "deeplock/cache.h"
#include "deeplock/fs.h"
#include "deeplock/hash.h"
#include "deeplock/index.h"

#define HTTP_MAGIC "deeplock-cache-http 1\n"
#define DIR_MODE 0700u
#define FILE_MODE 0600u

struct dl_cache {
	char *root; /* root/v1 */
	dl_cache_mode mode;
	/* Fan-out directories known to exist, per kind (http, sha256), by their
	 * first byte: creating them once saves a mkdir chain per store, which
	 * was most of the system time of a cold run.  dl_cache_clean keeps the
	 * directories; a store that fails anyway retries after mkdir -p. */
	uint8_t made[3][32];
	/* Requests answered through the cache and not answered yet (a list):
	 * the fetch engine drops unanswered transfers without a word, so
	 * dl_cache_free releases what they would have. */
	struct pending *pending;
};

/*
 * Cache-Control.
 */

static bool is_tchar(unsigned char ch)
{
	return dl_isalnum(ch) || (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

int dl_cache_control_parse(dl_cache_control *out, const char *s, size_t len)
{
	dl_cache_control cc = {-1, false, false, false};
	size_t i = 0;
	bool seen_max_age = false;
	for (;;) {
		while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == ','))
			i++;
		if (i == len)
			break;
		size_t name = i;
		while (i < len && is_tchar((unsigned char)s[i]))
			i++;
		if (i == name)
			return dl_error_set(DL_EPARSE, "Cache-Control: column %zu: expected a directive name", i + 1);
		size_t name_len = i - name;
		size_t val = i, val_len = 0;
		bool has_val = false;
		if (i < len && s[i] == '=') {
			i++;
			has_val = true;
			if (i < len && s[i] == '"') {
				val = ++i;
				while (i < len && s[i] != '"') {
					if (s[i] == '\\' && i + 1 < len)
						i++;
					i++;
				}
				if (i == len)
					return dl_error_set(DL_EPARSE, "Cache-Control: column %zu: expected a closing '\"'",
					                    i + 1);
				val_len = i - val;
				i++;
			} else {
				val = i;
				while (i < len && is_tchar((unsigned char)s[i]))
					i++;
				if (i == val)
					return dl_error_set(DL_EPARSE, "Cache-Control: column %zu: expected a value", i + 1);
				val_len = i - val;
			}
		}
		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i < len && s[i] != ',')
			return dl_error_set(DL_EPARSE, "Cache-Control: column %zu: expected ',' or the end", i + 1);
		if (dl_slice_ieq(s + name, name_len, "max-age")) {
			if (!has_val)
				return dl_error_set(DL_EPARSE, "Cache-Control: column %zu: expected '=' and seconds",
				                    name + name_len + 1);
			int64_t v = 0;
			for (size_t k = 0; k < val_len; k++) {
				char ch = s[val + k];
				if (!dl_isdigit((unsigned char)ch))
					return dl_error_set(DL_EPARSE, "Cache-Control: column %zu: expected a digit",
					                    val + k + 1);
				int d = ch - '0';
				v = v > (INT64_MAX - d) / 10 ? INT64_MAX : v * 10 + d;
			}
			if (val_len == 0)
				return dl_error_set(DL_EPARSE, "Cache-Control: column %zu: expected a digit", val + 1);
			if (!seen_max_age)
				cc.max_age = v;
			seen_max_age = true;
		} else if (dl_slice_ieq(s + name, name_len, "no-cache")) {
			cc.no_cache = true;
		} else if (dl_slice_ieq(s + name, name_len, "no-store")) {
			cc.no_store = true;
		} else if (dl_slice_ieq(s + name, name_len, "must-revalidate")) {
			cc.must_revalidate = true;
		}
	}
	*out = cc;
	return 0;
}

/*
 * Paths.
 */

/*
 * URLs, lexically (this module may not use curl's URL parser): where the
 * userinfo and the fragment are.  Credentials are kept out of both the key
 * and the file, so the cache never stores a password and a changed password
 * does not orphan every entry; the fragment never reaches the server
 * ("#sha256=..." on a link), so it is no part of the key either.
 */

typedef struct url_parts {
	size_t auth;     /* where the authority starts (after "//"); 0 when there is none */
	size_t ui_end;   /* past the userinfo's '@'; == auth when there is no userinfo */
	size_t auth_end; /* where the authority ends */
	size_t frag;     /* the '#' of the fragment, or the length */
} url_parts;

static void url_split(const char *url, url_parts *p)
{
	size_t len = strlen(url), i = 0;
	const char *hash = memchr(url, '#', len);
	p->frag = hash != NULL ? (size_t)(hash - url) : len;
	p->auth = p->ui_end = p->auth_end = 0;
	while (i < p->frag && (dl_isalnum((unsigned char)url[i]) || url[i] == '+' || url[i] == '-' || url[i] == '.'))
		i++;
	if (i == 0 || p->frag - i < 3 || memcmp(url + i, "://", 3) != 0)
		return;
	p->auth = p->ui_end = i + 3;
	size_t end = p->auth;
	while (end < p->frag && url[end] != '/' && url[end] != '?' && url[end] != '\\')
		end++;
	p->auth_end = end;
	for (size_t j = end; j > p->auth; j--)
		if (url[j - 1] == '@') {
			p->ui_end = j;
			break;
		}
}

/* `url` without its userinfo (and, with no_fragment, without its fragment)
 * appended to `b`. */
static void put_url_bare(dl_buf *b, const char *url, bool no_fragment)
{
	url_parts u;
	url_split(url, &u);
	dl_buf_put(b, url, u.auth);
	if (no_fragment)
		dl_buf_put(b, url + u.ui_end, u.frag - u.ui_end);
	else
		dl_buf_puts(b, url + u.ui_end);
}

/* The final URL of an entry as the fetcher would report it for a request of
 * `req_url`: the stored URL carries no credentials, so give it the
 * request's when both name the same scheme, host and port (libcurl sends
 * them across same-origin redirects and no others).  NULL on OOM. */
static char *with_credentials(const char *stored, const char *req_url)
{
	url_parts r, s;
	url_split(req_url, &r);
	url_split(stored, &s);
	if (r.ui_end == r.auth || s.auth == 0 || s.ui_end != s.auth)
		return dl_strdup(stored);
	/* Compare "scheme://host:port" of both, ASCII case-insensitively. */
	bool same = s.auth == r.auth && s.auth_end - s.auth == r.auth_end - r.ui_end;
	for (size_t i = 0; same && i < r.auth; i++)
		same = dl_tolower((unsigned char)stored[i]) == dl_tolower((unsigned char)req_url[i]);
	for (size_t i = 0; same && i < r.auth_end - r.ui_end; i++)
		same = dl_tolower((unsigned char)stored[s.auth + i]) == dl_tolower((unsigned char)req_url[r.ui_end + i]);
	if (!same)
		return dl_strdup(stored);
	dl_buf b = DL_BUF_INIT;
	dl_buf_put(&b, stored, s.auth);
	dl_buf_put(&b, req_url + r.auth, r.ui_end - r.auth);
	dl_buf_puts(&b, stored + s.auth);
	char *out = dl_buf_detach(&b, NULL);
	dl_buf_free(&b);
	return out;
}

static int key_hex(char out[DL_SHA256_HEX_LEN + 1], const char *url, const char *accept)
{
	dl_sha256 h = DL_SHA256_INIT;
	uint8_t d[DL_SHA256_LEN];
	dl_buf bare = DL_BUF_INIT;
	put_url_bare(&bare, url, true);
	if (bare.failed || bare.ptr == NULL) {
		dl_buf_free(&bare);
		return dl_error_oom();
	}
	int rc = dl_sha256_init(&h);
	if (rc == 0)
		rc = dl_sha256_update(&h, bare.ptr, bare.len);
	dl_buf_free(&bare);
	if (rc == 0)
		rc = dl_sha256_update(&h, "\n", 1);
	if (rc == 0 && accept != NULL)
		rc = dl_sha256_update(&h, accept, strlen(accept));
	if (rc == 0)
		rc = dl_sha256_final(&h, d);
	dl_sha256_dispose(&h);
	if (rc == 0)
		dl_hex_encode(out, d, sizeof d);
	return rc;
}

static int hex_val(char c)
{
	return dl_isdigit(c) ? c - '0' : dl_tolower(c) - 'a' + 10;
}

/* Write an entry into its fan-out directory, creating the directory the
 * first time this handle writes there (or when the write finds it gone). */
static int store_file(dl_cache *c, int kind, const char *hex, const char *dir, const char *path, const void *data,
                      size_t len)
{
	unsigned b = (unsigned)(hex_val(hex[0]) * 16 + hex_val(hex[1])) & 255u;
	bool known = (c->made[kind][b >> 3] >> (b & 7)) & 1;
	int rc;
	if (known) {
		rc = dl_fs_write_atomic_flags(path, data, len, FILE_MODE, DL_FS_NO_SYNC);
		if (rc != DL_EIO)
			return rc;
	}
	if ((rc = dl_fs_mkdir_p(dir, DIR_MODE)) != 0)
		return rc;
	c->made[kind][b >> 3] |= (uint8_t)(1u << (b & 7));
	return dl_fs_write_atomic_flags(path, data, len, FILE_MODE, DL_FS_NO_SYNC);
}

/* "root/v1/<kind>/ab/abcdef..." (and, with dir_out, the "…/ab" part). */
static int entry_path(const dl_cache *c, char **out, char **dir_out, const char *kind, const char *hex)
{
	dl_buf b = DL_BUF_INIT;
	dl_buf_printf(&b, "%s/%s/%.2s", c->root, kind, hex);
	size_t dir_len = b.len;
	dl_buf_printf(&b, "/%s", hex);
	char *p = dl_buf_detach(&b, NULL);
	char *d = NULL;
	if (p != NULL && dir_out != NULL && (d = dl_strndup(p, dir_len)) == NULL) {
		dl_free(p);
		p = NULL;
	}
	if (p == NULL) {
		dl_buf_free(&b);
		return dl_error_oom();
	}
	*out = p;
	if (dir_out != NULL)
		*dir_out = d;
	return 0;
}

int dl_cache_open(dl_cache **out, const char *root, dl_cache_mode mode)
{
	dl_cache *c = dl_calloc(1, sizeof *c);
	dl_buf b = DL_BUF_INIT;
	int rc = 0;
	if (c == NULL)
		return dl_error_oom();
	c->mode = mode;
	dl_buf_printf(&b, "%s/v1", root);
	if ((c->root = dl_buf_detach(&b, NULL)) == NULL) {
		rc = dl_error_oom();
		goto fail;
	}
	if (mode != DL_CACHE_NO_CACHE) {
		const char *kinds[] = {"http", "sha256", "derived"};
		for (int i = 0; i < 3 && rc == 0; i++) {
			dl_buf_printf(&b, "%s/%s", c->root, kinds[i]);
			char *d = dl_buf_detach(&b, NULL);
			if (d == NULL) {
				rc = dl_error_oom();
				break;
			}
			rc = dl_fs_mkdir_p(d, DIR_MODE);
			dl_free(d);
		}
		if (rc != 0) {
			dl_error_context("opening the cache at '%s'", root);
			goto fail;
		}
	}
	*out = c;
	return 0;
fail:
	dl_buf_free(&b);
	dl_cache_free(c);
	return rc;
}

static void pending_free(struct pending *p);

void dl_cache_free(dl_cache *c)
{
	if (c == NULL)
		return;
	while (c->pending != NULL)
		pending_free(c->pending);
	dl_free(c->root);
	dl_free(c);
}

dl_cache_mode dl_cache_get_mode(const dl_cache *c)
{
	return c->mode;
}

void dl_cache_entry_free(dl_cache_entry *e)
{
	if (e == NULL)
		return;
	dl_free(e->url);
	dl_free(e->etag);
	dl_free(e->last_modified);
	dl_free(e->cache_control);
	dl_free(e->content_type);
	dl_free(e->body);
	dl_free(e);
}

bool dl_cache_entry_is_fresh(const dl_cache_entry *e, int64_t now)
{
	dl_cache_control cc;
	if (e->cache_control == NULL)
		return false;
	if (dl_cache_control_parse(&cc, e->cache_control, strlen(e->cache_control)) != 0) {
		dl_error_clear();
		return false;
	}
	if (cc.no_cache || cc.no_store || cc.max_age < 0)
		return false;
	/* A clock that went backwards makes the entry's age unknowable. */
	if (now < e->stored_at)
		return false;
	return now - e->stored_at < cc.max_age;
}

/*
 * HTTP entries.
 */

static bool bad_value(const char *v)
{
	return v != NULL && strpbrk(v, "\r\n") != NULL;
}

int dl_cache_http_store(dl_cache *c, const char *url, const char *accept, const dl_cache_entry *e)
{
	char key[DL_SHA256_HEX_LEN + 1], body_hex[DL_SHA256_HEX_LEN + 1];
	char *path = NULL, *dir = NULL;
	dl_buf b = DL_BUF_INIT;
	int rc;
	if (e->cache_control != NULL) {
		dl_cache_control cc;
		if (dl_cache_control_parse(&cc, e->cache_control, strlen(e->cache_control)) != 0 || cc.no_store) {
			dl_error_clear();
			return dl_cache_http_remove(c, url, accept);
		}
	}
	if (e->url == NULL || bad_value(e->url) || bad_value(e->etag) || bad_value(e->last_modified) ||
	    bad_value(e->cache_control) || bad_value(e->content_type))
		return dl_error_set(DL_EINVAL, "cannot cache a response with a line break in its metadata");
	if ((rc = key_hex(key, url, accept)) != 0 || (rc = dl_sha256_hex(body_hex, e->body, e->body_len)) != 0)
		return rc;
	if ((rc = entry_path(c, &path, &dir, "http", key)) != 0)
		return rc;
	dl_buf_init(&b, 0);
	dl_buf_puts(&b, HTTP_MAGIC);
	dl_buf_printf(&b, "status %ld\nstored %lld\nurl ", e->status, (long long)e->stored_at);
	put_url_bare(&b, e->url, false);
	dl_buf_putc(&b, '\n');
	if (e->etag != NULL)
		dl_buf_printf(&b, "etag %s\n", e->etag);
	if (e->last_modified != NULL)
		dl_buf_printf(&b, "last-modified %s\n", e->last_modified);
	if (e->cache_control != NULL)
		dl_buf_printf(&b, "cache-control %s\n", e->cache_control);
	if (e->content_type != NULL)
		dl_buf_printf(&b, "content-type %s\n", e->content_type);
	dl_buf_printf(&b, "body-size %zu\nbody-sha256 %s\n\n", e->body_len, body_hex);
	if (e->body_len > 0)
		dl_buf_put(&b, e->body, e->body_len);
	if (b.failed) {
		rc = b.failed == DL_ENOMEM ? dl_error_oom() : dl_error_set(b.failed, "cache entry too large");
		goto done;
	}
	rc = store_file(c, 0, key, dir, path, b.ptr, b.len);
done:
	dl_buf_free(&b);
	dl_free(path);
	dl_free(dir);
	return rc;
}

int dl_cache_http_remove(dl_cache *c, const char *url, const char *accept)
{
	char key[DL_SHA256_HEX_LEN + 1];
	char *path = NULL;
	int rc = key_hex(key, url, accept);
	if (rc == 0)
		rc = entry_path(c, &path, NULL, "http", key);
	if (rc == 0 && unlink(path) != 0 && errno != ENOENT)
		rc = dl_error_set(DL_EIO, "cannot remove cache entry '%s'", path);
	dl_free(path);
	return rc;
}

static bool parse_i64(const char *s, size_t len, int64_t *out)
{
	int64_t v = 0;
	bool neg = len > 0 && s[0] == '-';
	size_t i = neg ? 1 : 0;
	if (i == len)
		return false;
	for (; i < len; i++) {
		if (!dl_isdigit((unsigned char)s[i]))
			return false;
		int d = s[i] - '0';
		if (v > (INT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = neg ? -v : v;
	return true;
}

/* Parse a whole entry file into `e`.  Returns 0, DL_ENOMEM, or DL_EPARSE
 * (without a message: the caller reports the damage). */
static int parse_entry(dl_cache_entry *e, char *data, size_t len)
{
	size_t ml = strlen(HTTP_MAGIC), i = ml;
	int64_t body_size = -1;
	char body_hex[DL_SHA256_HEX_LEN + 1] = "";
	bool have_status = false, have_stored = false;
	if (len < ml || memcmp(data, HTTP_MAGIC, ml) != 0)
		return DL_EPARSE;
	for (;;) {
		char *nl = memchr(data + i, '\n', len - i);
		if (nl == NULL)
			return DL_EPARSE;
		size_t ll = (size_t)(nl - (data + i));
		if (ll == 0) {
			i++;
			break;
		}
		char *line = data + i, *sp = memchr(line, ' ', ll);
		i += ll + 1;
		if (sp == NULL)
			return DL_EPARSE;
		size_t kl = (size_t)(sp - line), vl = ll - kl - 1;
		const char *v = sp + 1;
		char **slot = NULL;
		int64_t n;
		if (kl == 6 && memcmp(line, "status", 6) == 0) {
			if (!parse_i64(v, vl, &n) || n < 100 || n > 999)
				return DL_EPARSE;
			e->status = (long)n;
			have_status = true;
		} else if (kl == 6 && memcmp(line, "stored", 6) == 0) {
			if (!parse_i64(v, vl, &e->stored_at))
				return DL_EPARSE;
			have_stored = true;
		} else if (kl == 9 && memcmp(line, "body-size", 9) == 0) {
			if (!parse_i64(v, vl, &body_size) || body_size < 0)
				return DL_EPARSE;
		} else if (kl == 11 && memcmp(line, "body-sha256", 11) == 0) {
			if (!dl_sha256_hex_valid(v, vl))
				return DL_EPARSE;
			memcpy(body_hex, v, vl);
			body_hex[vl] = '\0';
		} else if (kl == 3 && memcmp(line, "url", 3) == 0) {
			slot = &e->url;
		} else if (kl == 4 && memcmp(line, "etag", 4) == 0) {
			slot = &e->etag;
		} else if (kl == 13 && memcmp(line, "last-modified", 13) == 0) {
			slot = &e->last_modified;
		} else if (kl == 13 && memcmp(line, "cache-control", 13) == 0) {
			slot = &e->cache_control;
		} else if (kl == 12 && memcmp(line, "content-type", 12) == 0) {
			slot = &e->content_type;
		} /* other keys: written by a newer deeplock, ignored */
		if (slot != NULL) {
			if (*slot != NULL)
				return DL_EPARSE;
			if ((*slot = dl_strndup(v, vl)) == NULL)
				return DL_ENOMEM;
		}
	}
	if (!have_status || !have_stored || e->url == NULL || body_size < 0 || body_hex[0] == '\0')
		return DL_EPARSE;
	if ((uint64_t)body_size != (uint64_t)(len - i))
		return DL_EPARSE; /* torn or truncated */
	char got[DL_SHA256_HEX_LEN + 1];
	int rc = dl_sha256_hex(got, data + i, len - i);
	if (rc != 0)
		return rc == DL_ENOMEM ? DL_ENOMEM : DL_EPARSE;
	if (strcmp(got, body_hex) != 0) {
		/* Compare case-insensitively: we write lowercase, but be lenient. */
		for (size_t k = 0; k < DL_SHA256_HEX_LEN; k++)
			if (dl_tolower((unsigned char)body_hex[k]) != got[k])
				return DL_EPARSE;
	}
	memmove(data, data + i, len - i);
	data[len - i] = '\0';
	e->body = data;
	e->body_len = len - i;
	return 0;
}

int dl_cache_http_load(dl_cache *c, dl_cache_entry **out, const char *url, const char *accept)
{
	char key[DL_SHA256_HEX_LEN + 1];
	char *path = NULL, *data = NULL, *shown = NULL;
	size_t len = 0;
	dl_cache_entry *e = NULL;
	int rc = key_hex(key, url, accept);
	if (rc == 0)
		rc = entry_path(c, &path, NULL, "http", key);
	if (rc == 0)
		rc = dl_index_url_redact(&shown, url);
	if (rc != 0)
		goto done;
	rc = dl_fs_read_file(&data, &len, path, 0);
	if (rc == DL_ENOTFOUND) {
		rc = dl_error_set(DL_ENOTFOUND, "not in the cache: %s", shown);
		goto done;
	}
	if (rc != 0)
		goto done;
	if ((e = dl_calloc(1, sizeof *e)) == NULL) {
		rc = dl_error_oom();
		goto done;
	}
	rc = parse_entry(e, data, len);
	if (rc == 0) {
		data = NULL; /* now e->body */
		char *full = with_credentials(e->url, url);
		if (full == NULL) {
			rc = dl_error_oom();
			goto done;
		}
		dl_free(e->url);
		e->url = full;
		*out = e;
		e = NULL;
	} else if (rc == DL_ENOMEM) {
		rc = dl_error_oom();
	} else {
		/* Damaged: never serve it, and do not trip over it again. */
		unlink(path);
		rc = dl_error_set(DL_ENOTFOUND, "the cache entry for %s was damaged and has been removed", shown);
	}
done:
	dl_cache_entry_free(e);
	dl_free(data);
	dl_free(path);
	dl_free(shown);
	return rc;
}

/*
 * Artifacts.
 */

static int artifact_key(char key[DL_SHA256_HEX_LEN + 1], const char *sha256_hex)
{
	size_t n = strlen(sha256_hex);
	if (!dl_sha256_hex_valid(sha256_hex, n))
		return dl_error_set(DL_EINVAL, "artifact key '%.80s' is not 64 hex digits", sha256_hex);
	for (size_t i = 0; i < n; i++)
		key[i] = (char)dl_tolower((unsigned char)sha256_hex[i]);
	key[n] = '\0';
	return 0;
}

int dl_cache_artifact_store(dl_cache *c, const char *sha256_hex, const void *data, size_t len)
{
	char key[DL_SHA256_HEX_LEN + 1], got[DL_SHA256_HEX_LEN + 1];
	char *path = NULL, *dir = NULL;
	int rc = artifact_key(key, sha256_hex);
	if (rc == 0)
		rc = dl_sha256_hex(got, data, len);
	if (rc != 0)
		return rc;
	if (strcmp(key, got) != 0)
		return dl_error_set(DL_EINVAL, "hash mismatch for artifact: expected %s, got %s", key, got);
	if ((rc = entry_path(c, &path, &dir, "sha256", key)) != 0)
		return rc;
	rc = store_file(c, 1, key, dir, path, data, len);
	dl_free(path);
	dl_free(dir);
	return rc;
}

int dl_cache_artifact_load(dl_cache *c, char **data, size_t *len, const char *sha256_hex, size_t max)
{
	char key[DL_SHA256_HEX_LEN + 1], got[DL_SHA256_HEX_LEN + 1];
	char *path = NULL, *d = NULL;
	size_t n = 0;
	int rc = artifact_key(key, sha256_hex);
	if (rc == 0)
		rc = entry_path(c, &path, NULL, "sha256", key);
	if (rc != 0)
		return rc;
	rc = dl_fs_read_file(&d, &n, path, max);
	if (rc == DL_ENOTFOUND) {
		rc = dl_error_set(DL_ENOTFOUND, "artifact %s is not in the cache", key);
	} else if (rc == DL_ELIMIT) {
		/* Bigger than the caller accepts: a miss for them, yet possibly a
		 * valid artifact, so leave it. */
		rc = dl_error_set(DL_ENOTFOUND, "artifact %s in the cache is larger than %zu bytes", key, max);
	} else if (rc == 0 && (rc = dl_sha256_hex(got, d, n)) == 0) {
		if (strcmp(got, key) != 0) {
			unlink(path);
			rc = dl_error_set(DL_ENOTFOUND, "artifact %s in the cache was damaged and has been removed", key);
		} else {
			*data = d;
			if (len != NULL)
				*len = n;
			d = NULL;
		}
	}
	dl_free(d);
	dl_free(path);
	return rc;
}

/*
 * Usage and cleaning: walk root/v1/{http,sha256,derived}/<xx>/<files>.
 */

typedef int (*visit_fn)(const char *path, const char *name, const struct stat *st, void *ctx);

static int walk(dl_cache *c, visit_fn fn, void *ctx)
{
	static const char *const kinds[] = {"http", "sha256", "derived"};
	int rc = 0;
	dl_buf b = DL_BUF_INIT;
	for (int k = 0; k < 3 && rc == 0; k++) {
		dl_buf_reset(&b);
		dl_buf_printf(&b, "%s/%s", c->root, kinds[k]);
		if (b.failed) {
			rc = dl_error_oom();
			break;
		}
		size_t base = b.len;
		DIR *top = opendir(b.ptr);
		if (top == NULL)
			continue; /* nothing stored yet */
		struct dirent *sub;
		while (rc == 0 && (sub = readdir(top)) != NULL) {
			if (sub->d_name[0] == '.')
				continue;
			b.len = base;
			dl_buf_printf(&b, "/%s", sub->d_name);
			if (b.failed) {
				rc = dl_error_oom();
				break;
			}
			size_t sub_len = b.len;
			DIR *d = opendir(b.ptr);
			if (d == NULL)
				continue;
			struct dirent *ent;
			while (rc == 0 && (ent = readdir(d)) != NULL) {
				if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
					continue;
				b.len = sub_len;
				dl_buf_printf(&b, "/%s", ent->d_name);
				if (b.failed) {
					rc = dl_error_oom();
					break;
				}
				struct stat st;
				if (lstat(b.ptr, &st) != 0 || !S_ISREG(st.st_mode))
					continue; /* raced with a cleaner, or not ours */
				rc = fn(b.ptr, ent->d_name, &st, ctx);
			}
			closedir(d);
		}
		closedir(top);
	}
	dl_buf_free(&b);
	return rc;
}

static int count_one(const char *path, const char *name, const struct stat *st, void *ctx)
{
	dl_cache_usage *u = ctx;
	if (name[0] == '.')
		return 0; /* a temporary */
	u->entries++;
	u->bytes += (uint64_t)st->st_size;
	return 0;
}

int dl_cache_usage_get(dl_cache *c, dl_cache_usage *out)
{
	dl_cache_usage u = {0, 0};
	int rc = c->mode == DL_CACHE_NO_CACHE ? 0 : walk(c, count_one, &u);
	if (rc == 0)
		*out = u;
	return rc;
}

static int remove_one(const char *path, const char *name, const struct stat *st, void *ctx)
{
	if (unlink(path) != 0 && errno != ENOENT)
		return dl_error_set(DL_EIO, "cannot remove cache file '%s'", path);
	return 0;
}

int dl_cache_clean(dl_cache *c)
{
	return walk(c, remove_one, NULL);
}

/*
 * Fetcher glue.
 */

typedef struct pending {
	struct pending *prev, *next;
	dl_cache *c;
	dl_fetch_done_fn done;
	void *user;
	char *url;
	char *accept;
	dl_cache_entry *entry;
	int rc;      /* for a posted failure */
	char *error; /* its message */
} pending;

static void pending_free(pending *p)
{
	if (p == NULL)
		return;
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		p->c->pending = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	dl_free(p->url);
	dl_free(p->accept);
	dl_free(p->error);
	dl_cache_entry_free(p->entry);
	dl_free(p);
}

/* Answer p's caller from p->entry. */
static void serve_entry(dl_fetch *f, pending *p, dl_fetch_source source)
{
	dl_cache_entry *e = p->entry;
	dl_fetch_response r;
	memset(&r, 0, sizeof r);
	r.error = "";
	r.status = e->status;
	r.url = p->url;
	r.final_url = e->url;
	r.content_type = e->content_type;
	r.etag = e->etag;
	r.last_modified = e->last_modified;
	r.cache_control = e->cache_control;
	/* Hand the body over without copying; the callback may detach it. */
	r.body.ptr = e->body;
	r.body.len = e->body_len;
	r.body.cap = e->body_len + 1;
	r.body.max = e->body_len > 0 ? e->body_len : 1;
	e->body = NULL;
	r.source = source;
	r.user = p->user;
	dl_fetch_count_cache(f, source);
	dl_error_clear();
	p->done(f, &r);
	dl_buf_free(&r.body);
}

static void posted(dl_fetch *f, void *arg)
{
	pending *p = arg;
	if (p->entry != NULL) {
		serve_entry(f, p, DL_FETCH_CACHE_FRESH);
	} else {
		dl_fetch_response r;
		memset(&r, 0, sizeof r);
		r.rc = p->rc;
		r.error = p->error;
		r.url = p->url;
		r.final_url = p->url;
		r.user = p->user;
		dl_error_set(p->rc, "%s", p->error);
		p->done(f, &r);
	}
	pending_free(p);
}

/* Replace *slot with a copy of v when v is set and differs; false on OOM.
 * *changed is set when the value changed. */
static bool refresh_field(char **slot, const char *v, bool *changed)
{
	if (v == NULL || (*slot != NULL && strcmp(*slot, v) == 0))
		return true;
	char *copy = dl_strdup(v);
	if (copy == NULL)
		return false;
	dl_free(*slot);
	*slot = copy;
	*changed = true;
	return true;
}

/* Whether a stored entry's freshness depends on when it was stored (a
 * max-age to renew), so a 304 must rewrite it even when no header changed. */
static bool has_lifetime(const dl_cache_entry *e)
{
	dl_cache_control cc;
	if (e->cache_control == NULL || dl_cache_control_parse(&cc, e->cache_control, strlen(e->cache_control)) != 0) {
		dl_error_clear();
		return false;
	}
	return cc.max_age > 0;
}

static void on_network(dl_fetch *f, dl_fetch_response *r)
{
	pending *p = r->user;
	if (r->rc == 0 && r->status == 304 && p->entry != NULL) {
		dl_cache_entry *e = p->entry;
		e->stored_at = (int64_t)time(NULL);
		/* RFC 9111 4.3.4: the 304's headers update the stored ones.  An
		 * entry whose headers stayed the same and whose freshness does not
		 * count from the store time is left as it is: rewriting every page
		 * of an unchanged index on each re-lock costs a file per page. */
		bool changed = false;
		if (refresh_field(&e->etag, r->etag, &changed) && refresh_field(&e->last_modified, r->last_modified, &changed) &&
		    refresh_field(&e->cache_control, r->cache_control, &changed) && (changed || has_lifetime(e)))
			(void)dl_cache_http_store(p->c, p->url, p->accept, e);
		serve_entry(f, p, DL_FETCH_CACHE_REVALIDATED);
		pending_free(p);
		return;
	}
	if (r->rc == 0 && r->status == 200) {
		dl_cache_entry e;
		memset(&e, 0, sizeof e);
		e.status = r->status;
		e.stored_at = (int64_t)time(NULL);
		e.url = (char *)r->final_url;
		e.etag = (char *)r->etag;
		e.last_modified = (char *)r->last_modified;
		e.cache_control = (char *)r->cache_control;
		e.content_type = (char *)r->content_type;
		e.body = r->body.ptr != NULL ? r->body.ptr : (char *)"";
		e.body_len = r->body.len;
		(void)dl_cache_http_store(p->c, p->url, p->accept, &e); /* best effort */
		dl_error_clear();
	}
	r->user = p->user;
	p->done(f, r);
	pending_free(p);
}

/* Whether a cached body satisfies the request's own checks (size cap and
 * expected hash), which the network path would have applied. */
static bool entry_meets(const dl_cache_entry *e, const dl_fetch_request *req)
{
	if (req->max_body != 0 && e->body_len > req->max_body)
		return false;
	if (req->expected_sha256 != NULL) {
		char got[DL_SHA256_HEX_LEN + 1];
		if (dl_sha256_hex(got, e->body, e->body_len) != 0) {
			dl_error_clear();
			return false;
		}
		for (size_t i = 0; i <= DL_SHA256_HEX_LEN; i++)
			if (dl_tolower((unsigned char)req->expected_sha256[i]) != got[i])
				return false;
	}
	return true;
}

static bool is_file_url(const char *url)
{
	return strlen(url) >= 7 && dl_slice_ieq(url, 7, "file://");
}

int dl_cache_fetch_add(dl_cache *c, dl_fetch *f, const dl_fetch_request *req)
{
	/* A file:// URL is already on this disk: copying it into the cache
	 * would only cost a write per read, and it has no validators, so it
	 * would be re-read every time anyway.  Offline, it is still readable. */
	if (c->mode == DL_CACHE_NO_CACHE || req->range != NULL || (req->url != NULL && is_file_url(req->url)))
		return dl_fetch_add(f, req);
	if (req->url == NULL || req->done == NULL)
		return dl_error_set(DL_EINVAL, "fetch request without a URL or a callback");
	int rc = 0;
	pending *p = dl_calloc(1, sizeof *p);
	if (p == NULL)
		return dl_error_oom();
	p->c = c;
	p->next = c->pending;
	if (c->pending != NULL)
		c->pending->prev = p;
	c->pending = p;
	p->done = req->done;
	p->user = req->user;
	if ((p->url = dl_strdup(req->url)) == NULL || (req->accept != NULL && (p->accept = dl_strdup(req->accept)) == NULL)) {
		rc = dl_error_oom();
		goto fail;
	}
	rc = dl_cache_http_load(c, &p->entry, req->url, req->accept);
	if (rc == DL_ENOMEM)
		goto fail;
	if (rc != 0)
		dl_error_clear(); /* a miss, or an unreadable entry: go to the network */
	rc = 0;
	if (p->entry != NULL && !entry_meets(p->entry, req)) {
		dl_cache_entry_free(p->entry); /* not what the caller wants: ask the server */
		p->entry = NULL;
	}
	bool serve = p->entry != NULL && (c->mode == DL_CACHE_OFFLINE ||
	                                  (c->mode == DL_CACHE_NORMAL && dl_cache_entry_is_fresh(p->entry, (int64_t)time(NULL))));
	if (serve)
		return dl_fetch_post(f, posted, p) == 0 ? 0 : (pending_free(p), DL_ENOMEM);
	if (c->mode == DL_CACHE_OFFLINE) {
		char *shown = NULL;
		dl_buf m = DL_BUF_INIT;
		if ((rc = dl_index_url_redact(&shown, req->url)) != 0)
			goto fail;
		dl_buf_printf(&m, "offline and not in the cache: %s", shown);
		dl_free(shown);
		if ((p->error = dl_buf_detach(&m, NULL)) == NULL) {
			dl_buf_free(&m);
			rc = dl_error_oom();
			goto fail;
		}
		p->rc = DL_ENOTFOUND;
		return dl_fetch_post(f, posted, p) == 0 ? 0 : (pending_free(p), DL_ENOMEM);
	}
	dl_fetch_request net = *req;
	net.done = on_network;
	net.user = p;
	if (p->entry != NULL) {
		net.if_none_match = p->entry->etag;
		net.if_modified_since = p->entry->last_modified;
	}
	rc = dl_fetch_add(f, &net);
	if (rc != 0)
		goto fail;
	return 0;
fail:
	pending_free(p);
	return rc;
}

/*
 * Derived facts: bytes computed from an artifact (the METADATA read out of
 * a wheel by range requests), keyed by the artifact's SHA-256 and a label.
 * The entry carries its own size and SHA-256, like an HTTP entry, because
 * its name says nothing about its content.
 */

#define DERIVED_MAGIC "deeplock-cache-derived 1\n"

static int derived_key(char key[DL_SHA256_HEX_LEN + 1], const char *sha256_hex, const char *label)
{
	char art[DL_SHA256_HEX_LEN + 1];
	int rc = artifact_key(art, sha256_hex);
	if (rc != 0)
		return rc;
	for (const char *l = label; *l; l++)
		if (!dl_isalnum((unsigned char)*l) && *l != '-' && *l != '_' && *l != '.')
			return dl_error_set(DL_EINVAL, "derived cache label '%s' may hold only letters, digits, '-', '_' and '.'",
			                    label);
	dl_buf b = DL_BUF_INIT;
	dl_buf_printf(&b, "%s\n%s", art, label);
	rc = b.failed ? dl_error_oom() : dl_sha256_hex(key, b.ptr, b.len);
	dl_buf_free(&b);
	return rc;
}

int dl_cache_derived_store(dl_cache *c, const char *sha256_hex, const char *label, const void *data, size_t len)
{
	char key[DL_SHA256_HEX_LEN + 1], body[DL_SHA256_HEX_LEN + 1];
	char *path = NULL, *dir = NULL;
	int rc = derived_key(key, sha256_hex, label);
	if (rc == 0)
		rc = dl_sha256_hex(body, data, len);
	if (rc == 0)
		rc = entry_path(c, &path, &dir, "derived", key);
	if (rc != 0)
		return rc;
	dl_buf b = DL_BUF_INIT;
	dl_buf_printf(&b, DERIVED_MAGIC "body-size %zu\nbody-sha256 %s\n\n", len, body);
	dl_buf_put(&b, data, len);
	rc = b.failed ? dl_error_oom() : store_file(c, 2, key, dir, path, b.ptr, b.len);
	dl_buf_free(&b);
	dl_free(path);
	dl_free(dir);
	return rc;
}

int dl_cache_derived_load(dl_cache *c, char **data, size_t *len, const char *sha256_hex, const char *label,
                          size_t max)
{
	char key[DL_SHA256_HEX_LEN + 1];
	char *path = NULL, *d = NULL;
	size_t n = 0;
	int rc = derived_key(key, sha256_hex, label);
	if (rc == 0)
		rc = entry_path(c, &path, NULL, "derived", key);
	if (rc != 0)
		return rc;
	size_t cap = max == 0 ? 0 : max + 256;
	rc = dl_fs_read_file(&d, &n, path, cap);
	if (rc == DL_ENOTFOUND || rc == DL_ELIMIT) {
		rc = dl_error_set(DL_ENOTFOUND, "no '%s' for artifact %.64s in the cache", label, sha256_hex);
	} else if (rc == 0) {
		/* Header: magic, body-size, body-sha256, blank line. */
		size_t ml = strlen(DERIVED_MAGIC);
		unsigned long long size = 0;
		char want[DL_SHA256_HEX_LEN + 1], got[DL_SHA256_HEX_LEN + 1];
		const char *hdr_end = n > ml ? strstr(d, "\n\n") : NULL;
		bool ok = hdr_end != NULL && memcmp(d, DERIVED_MAGIC, ml) == 0;
		if (ok) {
			const char *p = d + ml;
			ok = strncmp(p, "body-size ", 10) == 0;
			p += 10;
			while (ok && dl_isdigit((unsigned char)*p) && size < (1ull << 40))
				size = size * 10 + (unsigned long long)(*p++ - '0');
			ok = ok && strncmp(p, "\nbody-sha256 ", 13) == 0 && p + 13 + DL_SHA256_HEX_LEN <= hdr_end;
			if (ok) {
				memcpy(want, p + 13, DL_SHA256_HEX_LEN);
				want[DL_SHA256_HEX_LEN] = '\0';
				ok = p + 13 + DL_SHA256_HEX_LEN == hdr_end;
			}
		}
		const char *body = ok ? hdr_end + 2 : NULL;
		ok = ok && (size_t)(d + n - body) == size && dl_sha256_hex(got, body, (size_t)size) == 0 &&
		     strcmp(got, want) == 0;
		if (!ok) {
			unlink(path);
			rc = dl_error_set(DL_ENOTFOUND, "a damaged cache entry for '%s' of %.64s has been removed", label,
			                  sha256_hex);
		} else if (max != 0 && size > max) {
			rc = dl_error_set(DL_ENOTFOUND, "'%s' of %.64s in the cache is larger than %zu bytes", label, sha256_hex,
			                  max);
		} else {
			memmove(d, body, (size_t)size);
			d[size] = '\0';
			*data = d;
			if (len != NULL)
				*len = (size_t)size;
			d = NULL;
		}
	}
	dl_free(d);
	dl_free(path);
	return rc;
}
