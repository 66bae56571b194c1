/*
 * simple_page.c - the Simple API page model: building it, URLs, hashes,
 * validation, and the public entry points that pick a format.
 *
 * A parse runs in a dl_simple_ctx.  The format parsers (simple_html.c,
 * simple_json.c) walk their document and hand each value here, where it is
 * checked and copied into the page's arena; lists grow in dl_malloc'd
 * vectors and are copied into the arena when the page is finished, so the
 * caller gets one tree freed in one call and a failed parse frees it all.
 *
 * URLs are resolved with libcurl's URL API, which implements RFC 3986
 * reference resolution (dot segments, protocol-relative and query-only
 * references) and keeps credentials.  Two cases it gets wrong are handled
 * here first: an empty reference and a fragment-only one both mean the base
 * itself.  Schemes are checked twice, on the reference as written (so that
 * "javascript:" is named in the warning rather than failing to parse) and
 * on the result.
 *
 * Whatever a page says is untrusted, including in messages: every value
 * quoted in a warning or an error is redacted (userinfo), cut to a bounded
 * length and stripped of control characters, so that a page can neither
 * leak a password into a log nor drive a terminal.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "deeplock/name.h"
#include "simple_page.h"

#define QUOTE_MAX    160        /* bytes of an untrusted value shown in a message */
#define URL_HARD_MAX (1u << 20) /* dl_index_url_resolve's bound */

static const struct {
	const char *name;
	size_t hexlen;
	bool weak;
} hash_algs[DL_INDEX_HASH_ALG_COUNT] = {
    {"md5", 32, true},     {"sha1", 40, true},    {"sha224", 56, true},
    {"sha256", 64, false}, {"sha384", 96, false}, {"sha512", 128, false},
};

/* ---- hashes (public helpers) ---- */

size_t dl_simple_hash_hexlen(dl_index_hash_alg alg)
{
	return (unsigned)alg < DL_INDEX_HASH_ALG_COUNT ? hash_algs[alg].hexlen : 0;
}

const char *dl_index_hash_alg_name(dl_index_hash_alg alg)
{
	if ((unsigned)alg >= DL_INDEX_HASH_ALG_COUNT)
		return NULL;
	return hash_algs[alg].name;
}

bool dl_index_hash_alg_from_name(dl_index_hash_alg *out, const char *name, size_t len)
{
	for (int i = 0; i < DL_INDEX_HASH_ALG_COUNT; i++) {
		if (dl_slice_ieq(name, len, hash_algs[i].name)) {
			*out = (dl_index_hash_alg)i;
			return true;
		}
	}
	return false;
}

const dl_index_hash *dl_index_hashes_find(const dl_index_hashes *hashes, dl_index_hash_alg alg)
{
	for (size_t i = 0; i < hashes->count; i++) {
		if (hashes->items[i].alg == alg)
			return &hashes->items[i];
	}
	return NULL;
}

const dl_index_hash *dl_index_hashes_best(const dl_index_hashes *hashes)
{
	/* Sorted weakest first, so the last strong one is the best. */
	for (size_t i = hashes->count; i > 0; i--) {
		if (!hashes->items[i - 1].weak)
			return &hashes->items[i - 1];
	}
	return NULL;
}

/* ---- URLs (public helpers) ---- */

/* Length of a leading RFC 3986 scheme followed by ':', or 0. */
static size_t scheme_len(const char *s, size_t len)
{
	if (len == 0 || !dl_isalpha((unsigned char)s[0]))
		return 0;
	for (size_t i = 1; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ':')
			return i;
		if (!dl_isalnum(c) && c != '+' && c != '-' && c != '.')
			return 0;
	}
	return 0;
}

static bool scheme_allowed(const char *s, size_t len)
{
	return dl_slice_ieq(s, len, "http") || dl_slice_ieq(s, len, "https") || dl_slice_ieq(s, len, "file");
}

/* Where the userinfo of `url` starts and where its '@' is; false when it
 * has none.  Lexical only, so that it works on URLs curl would refuse. */
static bool find_userinfo(const char *url, size_t len, size_t *start, size_t *at)
{
	size_t i = scheme_len(url, len);
	size_t a = 0;
	if (i > 0)
		i++; /* past ':' */
	/* Without "//" the text before the first '/' is still searched:
	 * "user:pw@host/x" parses as scheme "user", and hiding "mailto:a@b"
	 * too is a small price for never showing a password. */
	if (len - i >= 2 && url[i] == '/' && url[i + 1] == '/')
		a = i + 2;
	size_t end = a;
	while (end < len && url[end] != '/' && url[end] != '?' && url[end] != '#' && url[end] != '\\')
		end++;
	for (size_t j = end; j > a; j--) {
		if (url[j - 1] == '@') {
			*start = a;
			*at = j - 1;
			return true;
		}
	}
	return false;
}

int dl_index_url_redact(char **out, const char *url)
{
	size_t len = strlen(url), start, at;
	dl_buf b = DL_BUF_INIT;
	if (find_userinfo(url, len, &start, &at)) {
		dl_buf_put(&b, url, start);
		dl_buf_puts(&b, "****");
		dl_buf_put(&b, url + at, len - at);
	} else {
		dl_buf_put(&b, url, len);
	}
	char *s = dl_buf_detach(&b, NULL);
	if (s == NULL) {
		dl_buf_free(&b);
		return dl_error_oom();
	}
	*out = s;
	return 0;
}

/* Copy of [s, s+len) fit for a message: redacted, control characters as
 * '?', cut at QUOTE_MAX bytes (on a character boundary) with "...".  In the
 * arena; NULL on allocation failure. */
static const char *quote(dl_arena *arena, const char *s, size_t len)
{
	size_t start = 0, at = 0;
	bool cred = find_userinfo(s, len, &start, &at);
	size_t cap = QUOTE_MAX + 8; /* a "****" and a character past the mark, then "..." */
	char *q = dl_arena_alloc(arena, cap);
	if (q == NULL)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (n >= QUOTE_MAX) {
			/* Back off to the start of a UTF-8 sequence. */
			while (n > 0 && ((unsigned char)q[n - 1] & 0xC0) == 0x80)
				n--;
			if (n > 0 && (unsigned char)q[n - 1] >= 0xC0)
				n--;
			memcpy(q + n, "...", 3);
			n += 3;
			break;
		}
		if (cred && i == start) {
			/* The userinfo may be empty ("@host"): go on from the '@'. */
			memcpy(q + n, "****", 4);
			n += 4;
			i = at;
		}
		unsigned char c = (unsigned char)s[i];
		q[n++] = (c < 0x20 || c == 0x7F) ? '?' : (char)c;
	}
	q[n] = '\0';
	return q;
}

/* ---- messages ---- */

/* Control characters from a page (a JSON key, jansson's excerpt) become
 * '?' in every message, whatever path they took into it. */
static void sanitize(char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7F)
			*s = '?';
	}
}

int dl_simple_fail(dl_simple_ctx *ctx, int code, const char *fmt, ...)
{
	/* A stack buffer: failing to report a parse error for want of memory
	 * would turn it into a different error.  Quoted values are bounded, so
	 * the message fits. */
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sanitize(msg);
	return dl_error_set(code, "index page %s: %s", ctx->shown, msg);
}

static int vec_push(dl_simple_vec *v, const void *item)
{
	if (v->count == v->cap) {
		size_t ncap = v->cap == 0 ? 8 : v->cap * 2;
		if (ncap < v->cap)
			return dl_error_oom();
		void *items = v->items;
		if (dl_realloc_array(&items, ncap, v->size) != 0)
			return dl_error_oom();
		v->items = items;
		v->cap = ncap;
	}
	memcpy((char *)v->items + v->count * v->size, item, v->size);
	v->count++;
	return 0;
}

static void vec_free(dl_simple_vec *v)
{
	dl_free(v->items);
	v->items = NULL;
	v->count = v->cap = 0;
}

/* Copy a vector into the arena (NULL when empty). */
static int vec_finish(dl_simple_ctx *ctx, dl_simple_vec *v, const void **out)
{
	*out = NULL;
	if (v->count == 0)
		return 0;
	void *p = dl_arena_calloc(ctx->arena, v->count, v->size);
	if (p == NULL)
		return dl_error_oom();
	memcpy(p, v->items, v->count * v->size);
	*out = p;
	return 0;
}

static char *arena_vprintf(dl_arena *arena, const char *fmt, va_list ap) DL_PRINTF(2, 0);

static char *arena_vprintf(dl_arena *arena, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return NULL;
	char *s = dl_arena_alloc(arena, (size_t)n + 1);
	if (s != NULL)
		vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

int dl_simple_warn(dl_simple_ctx *ctx, const char *fmt, ...)
{
	if (ctx->warnings.count >= DL_INDEX_MAX_WARNINGS - 1) {
		ctx->warnings_dropped++;
		return 0;
	}
	va_list ap;
	va_start(ap, fmt);
	char *s = arena_vprintf(ctx->arena, fmt, ap);
	va_end(ap);
	if (s == NULL)
		return dl_error_oom();
	sanitize(s);
	const char *cs = s;
	return vec_push(&ctx->warnings, &cs);
}

int dl_simple_str(dl_simple_ctx *ctx, const char **out, const char *s, size_t len, const char *what, const char *where)
{
	if (len > ctx->max_string)
		return dl_simple_fail(ctx, DL_ELIMIT, "%s: %s is %zu bytes long, more than the limit of %zu", where,
		                      what, len, ctx->max_string);
	char *p = dl_arena_strndup(ctx->arena, s, len);
	if (p == NULL)
		return dl_error_oom();
	*out = p;
	return 0;
}

/* ---- UTF-8 ---- */

/* Length of the valid UTF-8 sequence at s[0] (1 to 4), or 0 when it is not
 * one: no overlong forms, no surrogates, nothing past U+10FFFF. */
static size_t utf8_seq(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	size_t n;
	unsigned char lo = 0x80, hi = 0xBF;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	}
	return n;
}

static bool utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq(p + i, len - i);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

/* Check a whole page; the error gives the 1-based line and column (in
 * characters) of the first bad byte. */
static int check_page_text(dl_simple_ctx *ctx, const char *data, size_t len)
{
	const unsigned char *p = (const unsigned char *)data;
	size_t line = 1, col = 1;
	for (size_t i = 0; i < len;) {
		if (p[i] == 0)
			return dl_simple_fail(ctx, DL_EPARSE, "NUL byte at line %zu, column %zu", line, col);
		size_t n = utf8_seq(p + i, len - i);
		if (n == 0)
			return dl_simple_fail(ctx, DL_EPARSE, "invalid UTF-8 at line %zu, column %zu (byte 0x%02X)",
			                      line, col, p[i]);
		if (p[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
		i += n;
	}
	return 0;
}

/* ---- versions ---- */

static bool parse_uint(const char *s, size_t len, int *out)
{
	if (len == 0 || len > 6)
		return false;
	int v = 0;
	for (size_t i = 0; i < len; i++) {
		if (!dl_isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

int dl_simple_api_version(dl_simple_ctx *ctx, const char *s, size_t len, const char *where)
{
	const char *dot = memchr(s, '.', len);
	int major, minor;
	if (dot == NULL || !parse_uint(s, (size_t)(dot - s), &major) ||
	    !parse_uint(dot + 1, len - (size_t)(dot - s) - 1, &minor)) {
		const char *q = quote(ctx->arena, s, len);
		if (q == NULL)
			return dl_error_oom();
		return dl_simple_fail(ctx, DL_EPARSE,
		                      "%s: invalid API version '%s' (expected MAJOR.MINOR, such as 1.0)", where, q);
	}
	if (major != DL_INDEX_API_MAJOR)
		return dl_simple_fail(ctx, DL_EUNSUPPORTED,
		                      "%s: the page uses Simple API version %d.%d; deeplock understands %d.x only",
		                      where, major, minor, DL_INDEX_API_MAJOR);
	ctx->api_major = major;
	ctx->api_minor = minor;
	if (minor > DL_INDEX_API_MINOR)
		return dl_simple_warn(
		    ctx, "the page uses Simple API version %d.%d, newer than %d.%d; fields added since are ignored",
		    major, minor, DL_INDEX_API_MAJOR, DL_INDEX_API_MINOR);
	return 0;
}

/* ---- URL resolution ---- */

static int curl_oom_or(CURLUcode rc, int otherwise)
{
	return rc == CURLUE_OUT_OF_MEMORY ? dl_error_oom() : otherwise;
}

static int hexval(char c)
{
	return dl_isdigit((unsigned char)c) ? c - '0' : dl_tolower((unsigned char)c) - 'a' + 10;
}

/* Percent-decode [s, s+len) into a new dl_malloc'd string; a '%' not
 * followed by two hex digits stays as it is (browsers do the same). */
static char *percent_decode(const char *s, size_t len, size_t *out_len)
{
	char *d = dl_malloc(len + 1);
	if (d == NULL)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len && dl_isxdigit((unsigned char)s[i + 1]) &&
		    dl_isxdigit((unsigned char)s[i + 2])) {
			d[n++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else {
			d[n++] = s[i];
		}
	}
	d[n] = '\0';
	*out_len = n;
	return d;
}

int dl_simple_check_filename(dl_simple_ctx *ctx, const char *name, size_t len, const char *where)
{
	const char *why = NULL;
	if (len == 0)
		why = "it is empty";
	else if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		why = "it names a directory";
	else if (!utf8_valid(name, len))
		why = "it is not UTF-8";
	for (size_t i = 0; why == NULL && i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == '/' || c == '\\')
			why = "it holds a path separator";
		else if (c < 0x20 || c == 0x7F)
			why = "it holds a control character";
	}
	if (why == NULL)
		return 0;
	const char *q = quote(ctx->arena, name, len);
	if (q == NULL)
		return dl_error_oom();
	int rc = dl_simple_warn(ctx, "%s: skipping file '%s': %s", where, q, why);
	return rc < 0 ? rc : DL_SIMPLE_SKIP;
}

/* Trim HTML whitespace around a URL and drop tabs and newlines inside it
 * (the URL Standard's leniency), into a new NUL-terminated string. */
static char *clean_ref(const char *ref, size_t len)
{
	while (len > 0 && dl_isspace((unsigned char)ref[0])) {
		ref++;
		len--;
	}
	while (len > 0 && dl_isspace((unsigned char)ref[len - 1]))
		len--;
	char *c = dl_malloc(len + 1);
	if (c == NULL)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (ref[i] != '\t' && ref[i] != '\n' && ref[i] != '\r')
			c[n++] = ref[i];
	}
	c[n] = '\0';
	return c;
}

/* Why a URL cannot be resolved, in words (curl's). */
static const char *curl_reason(CURLUcode rc)
{
	const char *s = curl_url_strerror(rc);
	return s != NULL ? s : "malformed URL";
}

/*
 * The core of resolution, shared by the page parsers and the public
 * helper.  Resolves `ref` against `base` into curl's strings: *url_out and
 * *path_out (curl_free) and *frag_out (dl_malloc).  Returns 0, a positive
 * reason code (1: scheme, 2: malformed, with *why and *scheme filled) or
 * DL_ENOMEM.
 */
enum { RESOLVE_SCHEME = 1, RESOLVE_MALFORMED = 2 };

static int resolve_raw(CURLU *base, const char *clean, char **url_out, char **path_out, char **frag_out,
                       const char **why, char *scheme_buf, size_t scheme_cap)
{
	int rc = 0;
	CURLUcode uc;
	char *scheme = NULL, *frag = NULL;
	*url_out = NULL;
	*path_out = NULL;
	*frag_out = NULL;
	size_t clen = strlen(clean);
	size_t sl = scheme_len(clean, clen);
	if (sl > 0 && !scheme_allowed(clean, sl)) {
		snprintf(scheme_buf, scheme_cap, "%.*s", (int)(sl < 32 ? sl : 32), clean);
		return RESOLVE_SCHEME;
	}
	CURLU *h = curl_url_dup(base);
	if (h == NULL)
		return dl_error_oom();
	if (clean[0] == '\0' || clean[0] == '#') {
		/* The page itself (curl resolves these against the directory). */
		if (clean[0] == '#') {
			frag = dl_strdup(clean + 1);
			if (frag == NULL) {
				rc = dl_error_oom();
				goto done;
			}
		}
	} else {
		uc = curl_url_set(h, CURLUPART_URL, clean, CURLU_NON_SUPPORT_SCHEME | CURLU_URLENCODE);
		if (uc != CURLUE_OK) {
			rc = curl_oom_or(uc, RESOLVE_MALFORMED);
			*why = curl_reason(uc);
			goto done;
		}
		char *f = NULL;
		uc = curl_url_get(h, CURLUPART_FRAGMENT, &f, 0);
		if (uc == CURLUE_OK) {
			frag = dl_strdup(f);
			curl_free(f);
			if (frag == NULL) {
				rc = dl_error_oom();
				goto done;
			}
		} else if (uc != CURLUE_NO_FRAGMENT) {
			rc = curl_oom_or(uc, RESOLVE_MALFORMED);
			*why = curl_reason(uc);
			goto done;
		}
	}
	uc = curl_url_get(h, CURLUPART_SCHEME, &scheme, 0);
	if (uc != CURLUE_OK) {
		rc = curl_oom_or(uc, RESOLVE_MALFORMED);
		*why = curl_reason(uc);
		goto done;
	}
	if (!scheme_allowed(scheme, strlen(scheme))) {
		snprintf(scheme_buf, scheme_cap, "%.32s", scheme);
		rc = RESOLVE_SCHEME;
		goto done;
	}
	uc = curl_url_set(h, CURLUPART_FRAGMENT, NULL, 0);
	if (uc == CURLUE_OK)
		uc = curl_url_get(h, CURLUPART_URL, url_out, 0);
	if (uc == CURLUE_OK)
		uc = curl_url_get(h, CURLUPART_PATH, path_out, 0);
	if (uc != CURLUE_OK) {
		rc = curl_oom_or(uc, RESOLVE_MALFORMED);
		*why = curl_reason(uc);
	}
done:
	curl_free(scheme);
	curl_url_cleanup(h);
	if (rc != 0) {
		curl_free(*url_out);
		curl_free(*path_out);
		*url_out = *path_out = NULL;
		dl_free(frag);
	} else {
		*frag_out = frag;
	}
	return rc;
}

int dl_simple_resolve(dl_simple_ctx *ctx, const char *ref, size_t len, const char *where, const char **url_out,
                      char **frag_out, const char **filename_out)
{
	int rc;
	char *u = NULL, *path = NULL, *frag = NULL, *decoded = NULL;
	const char *why = NULL;
	char scheme[40];
	if (frag_out != NULL)
		*frag_out = NULL;
	if (len > ctx->max_string)
		return dl_simple_fail(ctx, DL_ELIMIT, "%s: URL is %zu bytes long, more than the limit of %zu", where,
		                      len, ctx->max_string);
	char *clean = clean_ref(ref, len);
	if (clean == NULL)
		return dl_error_oom();
	rc = resolve_raw(ctx->base, clean, &u, &path, &frag, &why, scheme, sizeof(scheme));
	if (rc > 0) {
		const char *q = quote(ctx->arena, ref, len);
		if (q == NULL)
			rc = dl_error_oom();
		else if (rc == RESOLVE_SCHEME)
			rc = dl_simple_warn(ctx, "%s: skipping link '%s': scheme '%s' is not http, https or file",
			                    where, q, scheme);
		else
			rc = dl_simple_warn(ctx, "%s: skipping link '%s': %s", where, q, why);
		if (rc == 0)
			rc = DL_SIMPLE_SKIP;
		goto done;
	}
	if (rc < 0)
		goto done;
	/* A result can only be longer than its parts by what curl
	 * percent-encodes (3 bytes for 1). */
	size_t ulen = strlen(u);
	if (ulen / 3 > len + strlen(ctx->url)) {
		rc = dl_simple_fail(ctx, DL_ELIMIT, "%s: resolved URL is %zu bytes long", where, ulen);
		goto done;
	}
	if (filename_out != NULL) {
		const char *slash = strrchr(path, '/');
		const char *seg = slash != NULL ? slash + 1 : path;
		size_t dlen;
		decoded = percent_decode(seg, strlen(seg), &dlen);
		if (decoded == NULL) {
			rc = dl_error_oom();
			goto done;
		}
		rc = dl_simple_check_filename(ctx, decoded, dlen, where);
		if (rc != 0)
			goto done;
		const char *fn = dl_arena_strndup(ctx->arena, decoded, dlen);
		if (fn == NULL) {
			rc = dl_error_oom();
			goto done;
		}
		*filename_out = fn;
	}
	const char *au = dl_arena_strndup(ctx->arena, u, ulen);
	if (au == NULL) {
		rc = dl_error_oom();
		goto done;
	}
	*url_out = au;
	if (frag_out != NULL) {
		*frag_out = frag;
		frag = NULL;
	}
done:
	curl_free(u);
	curl_free(path);
	dl_free(frag);
	dl_free(decoded);
	dl_free(clean);
	return rc;
}

int dl_simple_set_base(dl_simple_ctx *ctx, const char *href, size_t len, const char *where)
{
	const char *url = NULL;
	int rc = dl_simple_resolve(ctx, href, len, where, &url, NULL, NULL);
	if (rc != 0)
		return rc < 0 ? rc : 0; /* skipped: the page URL stays the base */
	CURLU *h = curl_url();
	if (h == NULL)
		return dl_error_oom();
	CURLUcode uc = curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
	if (uc != CURLUE_OK) {
		/* curl produced it, so only memory can fail here. */
		curl_url_cleanup(h);
		return curl_oom_or(uc, dl_simple_warn(ctx, "%s: ignoring <base href>: %s", where, curl_reason(uc)));
	}
	curl_url_cleanup(ctx->base);
	ctx->base = h;
	return 0;
}

int dl_index_url_resolve(char **out, char **fragment_out, const char *base, const char *ref, size_t len)
{
	int rc = 0;
	char *u = NULL, *path = NULL, *frag = NULL, *clean = NULL;
	const char *why = NULL;
	char scheme[40];
	CURLU *b = NULL;
	if (fragment_out != NULL)
		*fragment_out = NULL;
	if (len > URL_HARD_MAX || strlen(base) > URL_HARD_MAX)
		return dl_error_set(DL_ELIMIT, "URL longer than %u bytes", URL_HARD_MAX);
	b = curl_url();
	if (b == NULL)
		return dl_error_oom();
	CURLUcode uc = curl_url_set(b, CURLUPART_URL, base, CURLU_NON_SUPPORT_SCHEME);
	if (uc != CURLUE_OK) {
		char *shown = NULL;
		rc = curl_oom_or(uc, 0);
		if (rc == 0 && (rc = dl_index_url_redact(&shown, base)) == 0)
			rc =
			    dl_error_set(DL_EPARSE, "base URL '%s' is not an absolute URL: %s", shown, curl_reason(uc));
		dl_free(shown);
		goto done;
	}
	clean = clean_ref(ref, len);
	if (clean == NULL) {
		rc = dl_error_oom();
		goto done;
	}
	rc = resolve_raw(b, clean, &u, &path, &frag, &why, scheme, sizeof(scheme));
	if (rc == RESOLVE_SCHEME) {
		rc = dl_error_set(DL_EUNSUPPORTED, "URL scheme '%s' is not http, https or file", scheme);
	} else if (rc == RESOLVE_MALFORMED) {
		char *shown = NULL;
		if ((rc = dl_index_url_redact(&shown, clean)) == 0)
			rc = dl_error_set(DL_EPARSE, "cannot resolve URL '%s': %s", shown, why);
		dl_free(shown);
	}
	if (rc != 0)
		goto done;
	char *copy = dl_strdup(u);
	if (copy == NULL) {
		rc = dl_error_oom();
		goto done;
	}
	*out = copy;
	if (fragment_out != NULL) {
		*fragment_out = frag;
		frag = NULL;
	}
done:
	curl_free(u);
	curl_free(path);
	dl_free(frag);
	dl_free(clean);
	curl_url_cleanup(b);
	return rc;
}

int dl_simple_base_as_directory(dl_simple_ctx *ctx)
{
	char *path = NULL;
	CURLUcode uc = curl_url_get(ctx->base, CURLUPART_PATH, &path, 0);
	if (uc != CURLUE_OK)
		return curl_oom_or(uc, dl_simple_fail(ctx, DL_EINVAL, "no path: %s", curl_reason(uc)));
	size_t n = strlen(path);
	int rc = 0;
	if (n == 0 || path[n - 1] != '/') {
		char *dir = dl_malloc(n + 2);
		if (dir == NULL) {
			rc = dl_error_oom();
		} else {
			memcpy(dir, path, n);
			dir[n] = '/';
			dir[n + 1] = '\0';
			uc = curl_url_set(ctx->base, CURLUPART_PATH, dir, 0);
			if (uc != CURLUE_OK)
				rc = curl_oom_or(
				    uc, dl_simple_fail(ctx, DL_EINVAL, "cannot extend the path: %s", curl_reason(uc)));
			dl_free(dir);
		}
	}
	curl_free(path);
	return rc;
}

/* ---- hashes in a page ---- */

int dl_simple_hash_add(dl_simple_ctx *ctx, dl_simple_hashset *set, const char *name, size_t name_len, const char *value,
                       size_t value_len, const char *where)
{
	dl_index_hash_alg alg;
	if (!dl_index_hash_alg_from_name(&alg, name, name_len))
		return 0; /* hashlib has more; only these are worth keeping */
	const char *why = NULL;
	if (value_len != hash_algs[alg].hexlen) {
		why = "has the wrong length";
	} else {
		for (size_t i = 0; i < value_len; i++) {
			if (!dl_isxdigit((unsigned char)value[i])) {
				why = "is not hex";
				break;
			}
		}
	}
	char *hex = NULL;
	if (why == NULL) {
		hex = dl_arena_strndup(ctx->arena, value, value_len);
		if (hex == NULL)
			return dl_error_oom();
		for (size_t i = 0; i < value_len; i++)
			hex[i] = (char)dl_tolower((unsigned char)hex[i]);
		if (set->hex[alg] != NULL && strcmp(set->hex[alg], hex) != 0)
			why = "contradicts another one given for the same file";
	}
	if (why == NULL) {
		set->hex[alg] = hex;
		return 0;
	}
	const char *q = quote(ctx->arena, value, value_len);
	if (q == NULL)
		return dl_error_oom();
	int rc = dl_simple_warn(ctx, "%s: skipping file: its %s hash '%s' %s", where, hash_algs[alg].name, q, why);
	return rc < 0 ? rc : DL_SIMPLE_SKIP;
}

int dl_simple_fragment_hashes(dl_simple_ctx *ctx, dl_simple_hashset *set, const char *frag, const char *where)
{
	const char *p = frag;
	for (;;) {
		const char *amp = strchr(p, '&');
		size_t n = amp != NULL ? (size_t)(amp - p) : strlen(p);
		const char *eq = memchr(p, '=', n);
		if (eq != NULL) {
			int rc =
			    dl_simple_hash_add(ctx, set, p, (size_t)(eq - p), eq + 1, n - (size_t)(eq - p) - 1, where);
			if (rc != 0)
				return rc;
		}
		if (amp == NULL)
			return 0;
		p = amp + 1;
	}
}

int dl_simple_hashes_finish(dl_simple_ctx *ctx, const dl_simple_hashset *set, dl_index_hashes *out)
{
	size_t n = 0;
	for (int i = 0; i < DL_INDEX_HASH_ALG_COUNT; i++)
		n += set->hex[i] != NULL;
	out->items = NULL;
	out->count = 0;
	if (n == 0)
		return 0;
	dl_index_hash *items = dl_arena_calloc(ctx->arena, n, sizeof(*items));
	if (items == NULL)
		return dl_error_oom();
	size_t k = 0;
	for (int i = 0; i < DL_INDEX_HASH_ALG_COUNT; i++) {
		if (set->hex[i] == NULL)
			continue;
		items[k].alg = (dl_index_hash_alg)i;
		items[k].name = hash_algs[i].name;
		items[k].hex = set->hex[i];
		items[k].weak = hash_algs[i].weak;
		k++;
	}
	out->items = items;
	out->count = n;
	return 0;
}

int dl_simple_metadata_attr(dl_simple_ctx *ctx, const char *value, dl_index_core_metadata *out, const char *where)
{
	out->available = true;
	out->hashes.items = NULL;
	out->hashes.count = 0;
	if (value == NULL)
		return 0; /* a bare attribute: present means available (PEP 714) */
	size_t len = strlen(value);
	if (dl_slice_ieq(value, len, "true"))
		return 0;
	if (dl_slice_ieq(value, len, "false")) {
		/* Not in the PEPs, but an index that writes it means "none". */
		out->available = false;
		return 0;
	}
	const char *eq = strchr(value, '=');
	if (eq == NULL)
		return 0; /* unknown form: available, nothing to check it with (as pip) */
	dl_simple_hashset set = {{NULL}};
	int rc =
	    dl_simple_hash_add(ctx, &set, value, (size_t)(eq - value), eq + 1, len - (size_t)(eq - value) - 1, where);
	if (rc == DL_SIMPLE_SKIP) {
		/* The warning says "skipping file"; only the metadata is dropped,
		 * which is safe: the file itself will be fetched instead. */
		out->available = false;
		return 0;
	}
	if (rc < 0)
		return rc;
	return dl_simple_hashes_finish(ctx, &set, &out->hashes);
}

/* ---- lists ---- */

int dl_simple_push_file(dl_simple_ctx *ctx, const dl_index_file *file)
{
	if (ctx->files.count >= ctx->max_files)
		return dl_simple_fail(ctx, DL_ELIMIT, "more than %zu files", ctx->max_files);
	return vec_push(&ctx->files, file);
}

int dl_simple_push_project(dl_simple_ctx *ctx, const char *name, size_t len, const char *url, const char *where)
{
	if (!dl_name_is_valid(name, len)) {
		const char *q = quote(ctx->arena, name, len);
		if (q == NULL)
			return dl_error_oom();
		int rc = dl_simple_warn(ctx, "%s: skipping project '%s': not a valid project name", where, q);
		return rc < 0 ? rc : DL_SIMPLE_SKIP;
	}
	if (ctx->projects.count >= ctx->max_files)
		return dl_simple_fail(ctx, DL_ELIMIT, "more than %zu projects", ctx->max_files);
	dl_index_project p;
	int rc = dl_simple_str(ctx, &p.name, name, len, "project name", where);
	if (rc != 0)
		return rc;
	char *norm = dl_arena_alloc(ctx->arena, len + 1);
	if (norm == NULL)
		return dl_error_oom();
	dl_name_normalize_into(norm, name, len);
	p.normalized = norm;
	if (url == NULL) {
		/* JSON: the project page is "<root>/<normalized>/" (PEP 691). */
		char *ref = dl_arena_alloc(ctx->arena, len + 2);
		if (ref == NULL)
			return dl_error_oom();
		size_t n = dl_name_normalize_into(ref, name, len);
		ref[n] = '/';
		ref[n + 1] = '\0';
		rc = dl_simple_resolve(ctx, ref, n + 1, where, &url, NULL, NULL);
		if (rc != 0)
			return rc;
	}
	p.url = url;
	return vec_push(&ctx->projects, &p);
}

int dl_simple_push_string(dl_simple_ctx *ctx, dl_simple_vec *vec, const char *s, size_t len, const char *what,
                          const char *where)
{
	if (vec->count >= ctx->max_files)
		return dl_simple_fail(ctx, DL_ELIMIT, "%s: more than %zu entries", where, ctx->max_files);
	const char *copy;
	int rc = dl_simple_str(ctx, &copy, s, len, what, where);
	if (rc != 0)
		return rc;
	return vec_push(vec, &copy);
}

int dl_simple_push_url(dl_simple_ctx *ctx, dl_simple_vec *vec, const char *s, size_t len, const char *where)
{
	if (vec->count >= ctx->max_files)
		return dl_simple_fail(ctx, DL_ELIMIT, "%s: more than %zu entries", where, ctx->max_files);
	const char *url;
	int rc = dl_simple_resolve(ctx, s, len, where, &url, NULL, NULL);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	return vec_push(vec, &url);
}

int dl_simple_set_name(dl_simple_ctx *ctx, const char *s, size_t len)
{
	if (!dl_name_is_valid(s, len)) {
		const char *q = quote(ctx->arena, s, len);
		if (q == NULL)
			return dl_error_oom();
		return dl_simple_warn(ctx, "the page's project name '%s' is not a valid name", q);
	}
	int rc = dl_simple_str(ctx, &ctx->name, s, len, "project name", "name");
	if (rc != 0)
		return rc;
	if (ctx->project != NULL && !dl_name_eq(s, len, ctx->project, strlen(ctx->project))) {
		const char *q = quote(ctx->arena, s, len);
		const char *p = quote(ctx->arena, ctx->project, strlen(ctx->project));
		if (q == NULL || p == NULL)
			return dl_error_oom();
		return dl_simple_warn(ctx, "the page is for project '%s', not '%s' as asked", q, p);
	}
	return 0;
}

/* ---- contexts ---- */

static int ctx_init(dl_simple_ctx *ctx, const char *url, const dl_index_parse_opts *opts)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->api_major = 1;
	ctx->api_minor = 0;
	ctx->last_serial = -1;
	ctx->warnings.size = sizeof(const char *);
	ctx->versions.size = sizeof(const char *);
	ctx->tracks.size = sizeof(const char *);
	ctx->alternates.size = sizeof(const char *);
	ctx->files.size = sizeof(dl_index_file);
	ctx->projects.size = sizeof(dl_index_project);
	ctx->max_files = DL_INDEX_DEFAULT_MAX_FILES;
	ctx->max_string = DL_INDEX_DEFAULT_MAX_STRING;
	ctx->shown = "(no URL)";
	if (opts != NULL) {
		if (opts->version != DL_INDEX_PARSE_OPTS_VERSION)
			return dl_error_set(
			    DL_EINVAL, "dl_index_parse_opts version %u, expected %u (use DL_INDEX_PARSE_OPTS_INIT)",
			    opts->version, DL_INDEX_PARSE_OPTS_VERSION);
		if (opts->max_files != 0)
			ctx->max_files = opts->max_files;
		if (opts->max_string != 0)
			ctx->max_string = opts->max_string;
		ctx->project = opts->project;
	}
	if (url == NULL)
		return dl_error_set(DL_EINVAL, "index page: no URL given");
	size_t ulen = strlen(url);
	if (ulen > URL_HARD_MAX)
		return dl_error_set(DL_ELIMIT, "index page URL is %zu bytes long, more than %u", ulen, URL_HARD_MAX);
	int rc = dl_arena_new(&ctx->arena);
	if (rc != 0)
		return rc;
	ctx->url = dl_arena_strndup(ctx->arena, url, ulen);
	ctx->shown = quote(ctx->arena, url, ulen);
	if (ctx->url == NULL || ctx->shown == NULL)
		return dl_error_oom();
	ctx->base = curl_url();
	if (ctx->base == NULL)
		return dl_error_oom();
	CURLUcode uc = curl_url_set(ctx->base, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
	if (uc != CURLUE_OK)
		return curl_oom_or(uc, dl_simple_fail(ctx, DL_EINVAL, "not an absolute URL: %s", curl_reason(uc)));
	char *scheme = NULL;
	uc = curl_url_get(ctx->base, CURLUPART_SCHEME, &scheme, 0);
	if (uc != CURLUE_OK)
		return curl_oom_or(uc, dl_simple_fail(ctx, DL_EINVAL, "no scheme: %s", curl_reason(uc)));
	bool ok = scheme_allowed(scheme, strlen(scheme));
	curl_free(scheme);
	if (!ok)
		return dl_simple_fail(ctx, DL_EINVAL, "the scheme is not http, https or file");
	return 0;
}

static void ctx_free(dl_simple_ctx *ctx)
{
	vec_free(&ctx->warnings);
	vec_free(&ctx->files);
	vec_free(&ctx->projects);
	vec_free(&ctx->versions);
	vec_free(&ctx->tracks);
	vec_free(&ctx->alternates);
	curl_url_cleanup(ctx->base);
	ctx->base = NULL;
	dl_arena_free(ctx->arena);
	ctx->arena = NULL;
}

static int finish_warnings(dl_simple_ctx *ctx, const char *const **out, size_t *count)
{
	if (ctx->warnings_dropped > 0) {
		/* dl_simple_warn keeps one slot free for this. */
		char *s = dl_arena_alloc(ctx->arena, 64);
		if (s == NULL)
			return dl_error_oom();
		snprintf(s, 64, "... and %zu more warnings", ctx->warnings_dropped);
		const char *cs = s;
		int rc = vec_push(&ctx->warnings, &cs);
		if (rc != 0)
			return rc;
	}
	*count = ctx->warnings.count;
	return vec_finish(ctx, &ctx->warnings, (const void **)out);
}

/* The last non-empty path segment of the page URL, for an HTML page that
 * does not name its project (PEP 503: /<project>/). */
static void url_last_segment(const char *url, const char **seg, size_t *len)
{
	/* The path starts at the first '/' after "scheme://authority". */
	const char *p = strstr(url, "://");
	p = p != NULL ? strchr(p + 3, '/') : NULL;
	if (p == NULL) {
		*seg = url;
		*len = 0;
		return;
	}
	url = p;
	size_t n = strcspn(url, "?#");
	while (n > 0 && url[n - 1] == '/')
		n--;
	size_t s = n;
	while (s > 0 && url[s - 1] != '/')
		s--;
	*seg = url + s;
	*len = n - s;
}

static int finish_name(dl_simple_ctx *ctx, dl_index_page *page)
{
	const char *name = ctx->name;
	size_t len = name != NULL ? strlen(name) : 0;
	if (name == NULL && ctx->project != NULL && dl_name_is_valid(ctx->project, strlen(ctx->project))) {
		name = ctx->project;
		len = strlen(name);
	}
	if (name == NULL) {
		url_last_segment(ctx->url, &name, &len);
		if (!dl_name_is_valid(name, len))
			name = NULL;
	}
	if (name == NULL)
		return 0;
	char *copy = dl_arena_strndup(ctx->arena, name, len);
	char *norm = dl_arena_alloc(ctx->arena, len + 1);
	if (copy == NULL || norm == NULL)
		return dl_error_oom();
	dl_name_normalize_into(norm, name, len);
	page->name = copy;
	page->normalized = norm;
	return 0;
}

static int finish_page(dl_simple_ctx *ctx, dl_index_format format, dl_index_page **out)
{
	dl_index_page *page = dl_arena_calloc(ctx->arena, 1, sizeof(*page));
	if (page == NULL)
		return dl_error_oom();
	page->format = format;
	page->url = ctx->url;
	page->api_major = ctx->api_major;
	page->api_minor = ctx->api_minor;
	page->has_versions = ctx->has_versions;
	page->project_status = ctx->status;
	page->project_status_reason = ctx->status_reason;
	page->last_serial = ctx->last_serial;
	int rc = finish_name(ctx, page);
	if (rc == 0)
		rc = vec_finish(ctx, &ctx->files, (const void **)&page->files);
	if (rc == 0)
		rc = vec_finish(ctx, &ctx->versions, (const void **)&page->versions);
	if (rc == 0)
		rc = vec_finish(ctx, &ctx->tracks, (const void **)&page->tracks);
	if (rc == 0)
		rc = vec_finish(ctx, &ctx->alternates, (const void **)&page->alternate_locations);
	if (rc == 0)
		rc = finish_warnings(ctx, &page->warnings, &page->warning_count);
	if (rc != 0)
		return rc;
	page->file_count = ctx->files.count;
	page->version_count = ctx->versions.count;
	page->track_count = ctx->tracks.count;
	page->alternate_location_count = ctx->alternates.count;
	page->arena = ctx->arena;
	ctx->arena = NULL;
	*out = page;
	return 0;
}

static int finish_list(dl_simple_ctx *ctx, dl_index_format format, dl_index_list **out)
{
	dl_index_list *list = dl_arena_calloc(ctx->arena, 1, sizeof(*list));
	if (list == NULL)
		return dl_error_oom();
	list->format = format;
	list->url = ctx->url;
	list->api_major = ctx->api_major;
	list->api_minor = ctx->api_minor;
	list->last_serial = ctx->last_serial;
	int rc = vec_finish(ctx, &ctx->projects, (const void **)&list->projects);
	if (rc == 0)
		rc = finish_warnings(ctx, &list->warnings, &list->warning_count);
	if (rc != 0)
		return rc;
	list->project_count = ctx->projects.count;
	list->arena = ctx->arena;
	ctx->arena = NULL;
	*out = list;
	return 0;
}

/* ---- entry points ---- */

int dl_index_format_from_content_type(dl_index_format *out, const char *content_type, const char *url)
{
	char *shown = NULL;
	int rc = dl_index_url_redact(&shown, url != NULL ? url : "(no URL)");
	if (rc != 0)
		return rc;
	if (content_type == NULL) {
		rc = dl_error_set(DL_EINVAL, "index page %s: the server gave no content type", shown);
		goto done;
	}
	const char *s = content_type;
	while (dl_isspace((unsigned char)*s))
		s++;
	size_t n = strcspn(s, ";");
	while (n > 0 && dl_isspace((unsigned char)s[n - 1]))
		n--;
	if (dl_slice_ieq(s, n, "application/vnd.pypi.simple.v1+json")) {
		*out = DL_INDEX_JSON;
	} else if (dl_slice_ieq(s, n, "application/vnd.pypi.simple.v1+html") || dl_slice_ieq(s, n, "text/html")) {
		*out = DL_INDEX_HTML;
	} else {
		dl_arena *a = NULL;
		rc = dl_arena_new(&a);
		if (rc != 0)
			goto done;
		const char *q = quote(a, content_type, strlen(content_type));
		if (q == NULL)
			rc = dl_error_oom();
		else
			rc = dl_error_set(
			    DL_EUNSUPPORTED,
			    "index page %s: unsupported content type '%s' (expected "
			    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html or text/html)",
			    shown, q);
		dl_arena_free(a);
	}
done:
	dl_free(shown);
	return rc;
}

/* Checks common to both page kinds before a format parser runs; *data and
 * *len lose a UTF-8 byte order mark. */
static int prepare(dl_simple_ctx *ctx, dl_index_format format, const char **data, size_t *len)
{
	if (format != DL_INDEX_HTML && format != DL_INDEX_JSON)
		return dl_simple_fail(ctx, DL_EINVAL, "unknown page format %d", (int)format);
	if (*data == NULL && *len != 0)
		return dl_simple_fail(ctx, DL_EINVAL, "no data");
	if (*len > INT_MAX)
		return dl_simple_fail(ctx, DL_ELIMIT, "the page is %zu bytes long, more than %d", *len, INT_MAX);
	if (*len >= 3 && memcmp(*data, "\xEF\xBB\xBF", 3) == 0) {
		*data += 3;
		*len -= 3;
	}
	return check_page_text(ctx, *data, *len);
}

int dl_index_page_parse_format(dl_index_page **out, dl_index_format format, const void *data, size_t len,
                               const char *url, const dl_index_parse_opts *opts)
{
	dl_simple_ctx ctx;
	const char *text = data;
	int rc = ctx_init(&ctx, url, opts);
	if (rc == 0)
		rc = prepare(&ctx, format, &text, &len);
	if (rc == 0)
		rc = format == DL_INDEX_HTML ? dl_simple_html_page(&ctx, text, len)
		                             : dl_simple_json_page(&ctx, text, len);
	if (rc == 0)
		rc = finish_page(&ctx, format, out);
	ctx_free(&ctx);
	return rc;
}

int dl_index_page_parse(dl_index_page **out, const void *data, size_t len, const char *content_type, const char *url,
                        const dl_index_parse_opts *opts)
{
	dl_index_format format;
	int rc = dl_index_format_from_content_type(&format, content_type, url);
	if (rc != 0)
		return rc;
	return dl_index_page_parse_format(out, format, data, len, url, opts);
}

void dl_index_page_free(dl_index_page *page)
{
	if (page != NULL)
		dl_arena_free(page->arena); /* the page lives in its own arena */
}

int dl_index_list_parse_format(dl_index_list **out, dl_index_format format, const void *data, size_t len,
                               const char *url, const dl_index_parse_opts *opts)
{
	dl_simple_ctx ctx;
	const char *text = data;
	int rc = ctx_init(&ctx, url, opts);
	if (rc == 0)
		rc = prepare(&ctx, format, &text, &len);
	if (rc == 0)
		rc = format == DL_INDEX_HTML ? dl_simple_html_list(&ctx, text, len)
		                             : dl_simple_json_list(&ctx, text, len);
	if (rc == 0)
		rc = finish_list(&ctx, format, out);
	ctx_free(&ctx);
	return rc;
}

int dl_index_list_parse(dl_index_list **out, const void *data, size_t len, const char *content_type, const char *url,
                        const dl_index_parse_opts *opts)
{
	dl_index_format format;
	int rc = dl_index_format_from_content_type(&format, content_type, url);
	if (rc != 0)
		return rc;
	return dl_index_list_parse_format(out, format, data, len, url, opts);
}

void dl_index_list_free(dl_index_list *list)
{
	if (list != NULL)
		dl_arena_free(list->arena);
}
