/*
 * reqfile.c - pip's requirements-file format (see deeplock/reqfile.h for
 * the rules, which follow pip 24's req_file.py step by step).
 *
 * Each file is cut into physical lines, which are joined into logical
 * lines; every byte of a logical line carries the physical line and column
 * it came from (a substituted ${VAR} value carries the position of its
 * '$'), so that an error found after joining, comment stripping and
 * substitution still names the character the user wrote.  A logical line
 * is then split into its requirement part and its option tokens, and the
 * tokens are read with optparse's rules.
 *
 * pip's documentation once said the opposite order of (2) and (3); pip PR
 * 7780 corrected it to what req_file.py does, which is what this follows.
 *
 * Where deeplock differs from pip, on purpose:
 *   - pip asks the file system whether "./x" is a project directory or an
 *     archive exists; the library does no I/O, so a name that looks like a
 *     path (has a '/' or starts with '.'), or ends like an archive with no
 *     '@', is recorded as a path and checked later by the caller;
 *   - only UTF-8 is read (a UTF-8 byte order mark is skipped); pip also
 *     honours other BOMs and PEP 263 "coding:" comments;
 *   - a NUL character is an error with its position (pip fails later);
 *   - a --hash value that is not hex of the algorithm's length, and an
 *     unknown --use-feature, are warnings (pip accepts the first silently
 *     and rejects the second; features change between pip versions);
 *   - the positional arguments optparse drops silently ("-r a.txt b.txt")
 *     and options pip ignores on a line are kept as warnings.
 *
 * Everything of the result lives in one arena, but the parsed requirements
 * and markers, which have their own free functions.  Vectors grow inside
 * the arena by doubling (the old block is simply left behind: at most
 * twice the final size), which keeps failure paths to one free.
 */
#include <stdio.h>
#include <string.h>

#include "deeplock/filename.h"
#include "deeplock/name.h"
#include "deeplock/reqfile.h"

#define SHOW 200

struct lpos {
	unsigned long line, col;
};

/* A logical line: bytes and the position of each. */
struct lline {
	char *s;
	struct lpos *p;
	size_t len, cap;
};

/* Positioned option token. */
struct tok {
	char *s; /* arena copy, NUL-terminated */
	size_t len;
	struct lpos at;
};

struct vec {
	void *items;
	size_t n, cap;
};

struct P {
	const dl_reqfile_options *o;
	dl_reqfile *rf;
	dl_arena *A;
	struct vec entries, options, warnings, files;
	const char *stack[DL_REQFILE_DEFAULT_MAX_DEPTH * 8 + 2];
	size_t depth;
	unsigned int max_depth;
};

/* Per-file state for "# via" annotations. */
struct via_state {
	long entry; /* index of the entry the last line made, or -1 */
	bool block; /* inside a "# via" block */
};

static int oom(void)
{
	return dl_error_oom();
}

static void *vec_push(struct P *P, struct vec *v, size_t elem)
{
	if (v->n == v->cap) {
		size_t ncap = v->cap ? v->cap * 2 : 8;
		if (ncap < v->cap || ncap > SIZE_MAX / elem)
			return NULL;
		void *n = dl_arena_alloc(P->A, ncap * elem);
		if (n == NULL)
			return NULL;
		if (v->n)
			memcpy(n, v->items, v->n * elem);
		v->items = n;
		v->cap = ncap;
	}
	char *slot = (char *)v->items + v->n * elem;
	memset(slot, 0, elem);
	v->n++;
	return slot;
}

/* Append a string to a (const char **, count) list kept in the arena. */
static int list_push(struct P *P, const char *const **list, size_t *n, const char *s, size_t len)
{
	char *copy = dl_arena_strndup(P->A, s, len);
	if (copy == NULL)
		return oom();
	if (*n >= SIZE_MAX / sizeof(char *) - 1)
		return oom();
	const char **nl = dl_arena_alloc(P->A, (*n + 1) * sizeof(char *));
	if (nl == NULL)
		return oom();
	if (*n)
		memcpy(nl, *list, *n * sizeof(char *));
	nl[*n] = copy;
	*list = nl;
	(*n)++;
	return 0;
}

static bool is_ws(char c)
{
	return dl_isspace((unsigned char)c);
}

/* ------------------------------------------------------------------ */
/* Logical lines                                                        */

static int ll_reserve(struct lline *l, size_t extra)
{
	if (extra > SIZE_MAX - l->len - 1)
		return oom();
	size_t need = l->len + extra + 1;
	if (need <= l->cap)
		return 0;
	size_t ncap = l->cap ? l->cap : 64;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return oom();
		ncap *= 2;
	}
	void *s = l->s;
	if (dl_realloc_array(&s, ncap, 1) != 0)
		return oom();
	l->s = s;
	void *p = l->p;
	if (dl_realloc_array(&p, ncap, sizeof(struct lpos)) != 0)
		return oom();
	l->p = p;
	l->cap = ncap;
	return 0;
}

/* Append [s, s+n) taken from physical line `line` whose first byte is
 * `linestart`; columns count UTF-8 characters. */
static int ll_put_phys(struct lline *l, const char *linestart, const char *s, size_t n, unsigned long line)
{
	if (ll_reserve(l, n) != 0)
		return DL_ENOMEM;
	unsigned long col = 1;
	for (const char *q = linestart; q < s; q++)
		if (((unsigned char)*q & 0xC0) != 0x80)
			col++;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && ((unsigned char)s[i] & 0xC0) != 0x80)
			col++;
		l->s[l->len] = s[i];
		l->p[l->len].line = line;
		l->p[l->len].col = col;
		l->len++;
	}
	l->s[l->len] = '\0';
	return 0;
}

static int ll_put_at(struct lline *l, const char *s, size_t n, struct lpos at)
{
	if (ll_reserve(l, n) != 0)
		return DL_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		l->s[l->len] = s[i];
		l->p[l->len] = at;
		l->len++;
	}
	l->s[l->len] = '\0';
	return 0;
}

static void ll_free(struct lline *l)
{
	dl_free(l->s);
	dl_free(l->p);
	memset(l, 0, sizeof(*l));
}

/* ------------------------------------------------------------------ */
/* Errors and warnings                                                  */

struct fctx {
	struct P *P;
	const char *file;
	bool constraint;
	unsigned int depth;
	struct via_state via;
};

static int perr(const struct fctx *F, int code, struct lpos at, const char *fmt, ...) DL_PRINTF(4, 5);
static int perr(const struct fctx *F, int code, struct lpos at, const char *fmt, ...)
{
	char what[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return dl_error_set(code, "%s:%lu:%lu: %s", F->file, at.line, at.col, what);
}

static int pwarn(const struct fctx *F, struct lpos at, const char *fmt, ...) DL_PRINTF(3, 4);
static int pwarn(const struct fctx *F, struct lpos at, const char *fmt, ...)
{
	char what[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	dl_reqfile_warning *w = vec_push(F->P, &F->P->warnings, sizeof(*w));
	if (w == NULL)
		return oom();
	w->file = F->file;
	w->line = at.line;
	w->column = at.col;
	w->message = dl_arena_strndup(F->P->A, what, strlen(what));
	return w->message == NULL ? oom() : 0;
}

/*
 * Turn an error the requirement or marker parser stored ("invalid
 * requirement '...': <what> at column N", N counted in the text it was
 * given) into one positioned in the file.  `map` gives the position of
 * each byte of that text; columns past `shift_after` were moved one to the
 * right by an inserted space.
 */
static int relay_parse_error(const struct fctx *F, int rc, const struct lpos *map, size_t maplen, size_t shift_after)
{
	if (rc != DL_EPARSE)
		return rc;
	const char *msg = dl_error_last()->message;
	const char *tail = NULL;
	for (const char *q = strstr(msg, " at column "); q != NULL; q = strstr(q + 1, " at column "))
		tail = q;
	size_t col = 0;
	if (tail != NULL) {
		const char *d = tail + 11;
		while (dl_isdigit((unsigned char)*d)) {
			if (col < 1000000)
				col = col * 10 + (size_t)(*d - '0');
			d++;
		}
		if (*d != '\0')
			tail = NULL;
	}
	size_t off = col > 0 ? col - 1 : 0;
	if (shift_after != SIZE_MAX && off > shift_after)
		off--;
	struct lpos at = maplen == 0 ? (struct lpos){0, 0} : map[off < maplen ? off : maplen - 1];
	if (off >= maplen && maplen > 0)
		at.col++;
	char copy[900];
	size_t keep = tail != NULL ? (size_t)(tail - msg) : strlen(msg);
	if (keep >= sizeof(copy))
		keep = sizeof(copy) - 1;
	memcpy(copy, msg, keep);
	copy[keep] = '\0';
	return perr(F, DL_EPARSE, at, "%s", copy);
}

/* ------------------------------------------------------------------ */
/* Requirement text                                                     */

static const char *const vcs_schemes[] = {
    "git+http", "git+https", "git+ssh", "git+git", "git+file", "hg+file", "hg+http", "hg+https", "hg+ssh",
    "hg+static-http", "svn", "svn+ssh", "svn+http", "svn+https", "svn+svn", "svn+file", "bzr+http", "bzr+https",
    "bzr+ssh", "bzr+sftp", "bzr+ftp", "bzr+lp", "bzr+file", "git"};

/* The scheme of `s` (before the first ':'), or 0 length when none. */
static size_t scheme_len(const char *s, size_t n)
{
	const char *c = memchr(s, ':', n);
	return c == NULL ? 0 : (size_t)(c - s);
}

static bool scheme_is_vcs(const char *s, size_t n)
{
	size_t k = scheme_len(s, n);
	if (k == 0)
		return false;
	for (size_t i = 0; i < sizeof(vcs_schemes) / sizeof(vcs_schemes[0]); i++)
		if (strlen(vcs_schemes[i]) == k && dl_slice_ieq(s, k, vcs_schemes[i]))
			return true;
	return false;
}

/* pip's is_url: a scheme pip can fetch. */
static bool is_url(const char *s, size_t n)
{
	size_t k = scheme_len(s, n);
	if (k == 0)
		return false;
	if ((k == 4 && dl_slice_ieq(s, k, "http")) || (k == 5 && dl_slice_ieq(s, k, "https")) ||
	    (k == 4 && dl_slice_ieq(s, k, "file")) || (k == 3 && dl_slice_ieq(s, k, "ftp")))
		return true;
	return scheme_is_vcs(s, n);
}

static bool looks_like_path(const char *s, size_t n)
{
	return memchr(s, '/', n) != NULL || (n > 0 && s[0] == '.');
}

static bool ends_with_ci(const char *s, size_t n, const char *suf)
{
	size_t k = strlen(suf);
	return n >= k && dl_slice_ieq(s + n - k, k, suf);
}

/* pip's ARCHIVE_EXTENSIONS. */
static bool is_archive(const char *s, size_t n)
{
	static const char *const ext[] = {".zip", ".whl", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".xz", ".tlz",
	                                  ".tar.lz", ".tar.lzma", ".tar.gz", ".tgz", ".tar"};
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		if (ends_with_ci(s, n, ext[i]))
			return true;
	return false;
}

/* pip's _strip_extras: "path[extras]" -> path, extras (NULL when none). */
static void strip_extras(const char *s, size_t n, size_t *plen, const char **ex, size_t *exlen)
{
	*plen = n;
	*ex = NULL;
	*exlen = 0;
	if (n < 3 || s[n - 1] != ']')
		return;
	size_t i = n - 1;
	while (i > 0 && s[i - 1] != '[' && s[i - 1] != ']')
		i--;
	if (i < 2 || s[i - 1] != '[' || i == n - 1)
		return;
	*plen = i - 1;
	*ex = s + i - 1;
	*exlen = n - (i - 1);
}

/* The last path segment of a URL (no query, no fragment). */
static void url_filename(const char *u, size_t n, const char **f, size_t *flen)
{
	size_t end = n;
	for (size_t i = 0; i < n; i++)
		if (u[i] == '#' || u[i] == '?') {
			end = i;
			break;
		}
	size_t start = end;
	while (start > 0 && u[start - 1] != '/')
		start--;
	*f = u + start;
	*flen = end - start;
}

/* A fragment key of a URL ("egg", "subdirectory"): value slice or false. */
static bool url_fragment(const char *u, size_t n, const char *key, size_t *vstart, size_t *vlen)
{
	const char *h = memchr(u, '#', n);
	if (h == NULL)
		return false;
	size_t i = (size_t)(h - u) + 1, k = strlen(key);
	while (i < n) {
		size_t j = i;
		while (j < n && u[j] != '&')
			j++;
		if (j - i > k && memcmp(u + i, key, k) == 0 && u[i + k] == '=') {
			*vstart = i + k + 1;
			*vlen = j - *vstart;
			return true;
		}
		i = j + 1;
	}
	return false;
}

struct build {
	dl_reqfile_entry e;
	dl_requirement *req;
	dl_marker *marker;
};

static void build_free(struct build *b)
{
	dl_requirement_free(b->req);
	dl_marker_free(b->marker);
	b->req = NULL;
	b->marker = NULL;
}

/* Parse `text` (positions `map`) as a PEP 508 requirement.  A ';' right
 * after a URL gets a space first, since pip splits the marker off before
 * handing the rest to packaging. */
static int parse_pep508(const struct fctx *F, struct build *b, const char *text, size_t n, const struct lpos *map)
{
	const char *semi = memchr(text, ';', n);
	size_t shift = SIZE_MAX;
	dl_buf buf = DL_BUF_INIT;
	if (semi != NULL) {
		size_t k = (size_t)(semi - text);
		/* "foo;" : an empty marker is no marker */
		size_t r = k + 1;
		while (r < n && is_ws(text[r]))
			r++;
		if (r == n) {
			n = k;
		} else if (k > 0 && !is_ws(text[k - 1])) {
			dl_buf_put(&buf, text, k);
			dl_buf_putc(&buf, ' ');
			dl_buf_put(&buf, text + k, n - k);
			if (buf.failed) {
				dl_buf_free(&buf);
				return oom();
			}
			shift = k;
		}
	}
	int rc = shift != SIZE_MAX ? dl_requirement_parse(&b->req, buf.ptr, buf.len) : dl_requirement_parse(&b->req, text, n);
	if (rc == DL_EPARSE && shift != SIZE_MAX) {
		/* quote what the user wrote, not the text with the space */
		const char *msg = dl_error_last()->message;
		size_t pl = strlen("invalid requirement '");
		if (strncmp(msg, "invalid requirement '", pl) == 0 && strlen(msg) > pl + buf.len &&
		    memcmp(msg + pl, buf.ptr, buf.len) == 0 && msg[pl + buf.len] == '\'') {
			dl_buf m = DL_BUF_INIT;
			dl_buf_put(&m, msg, pl);
			dl_buf_put(&m, text, n);
			dl_buf_puts(&m, msg + pl + buf.len);
			if (m.failed)
				rc = oom();
			else
				dl_error_set(DL_EPARSE, "%s", m.ptr);
			dl_buf_free(&m);
		}
	}
	dl_buf_free(&buf);
	if (rc != 0)
		return relay_parse_error(F, rc, map, n, shift);
	return 0;
}

/* Build req from a name taken out of a URL or file name, plus extras and
 * marker text.  `what` describes the name's origin for errors. */
static int named_req(const struct fctx *F, struct build *b, const char *name, size_t nlen, const char *version,
                     const char *extras, size_t exlen, const char *marker, size_t mlen, struct lpos at,
                     const char *what)
{
	dl_buf s = DL_BUF_INIT;
	dl_buf_put(&s, name, nlen);
	if (extras != NULL)
		dl_buf_put(&s, extras, exlen);
	if (version != NULL) {
		dl_buf_puts(&s, "==");
		dl_buf_puts(&s, version);
	}
	if (marker != NULL) {
		dl_buf_puts(&s, " ; ");
		dl_buf_put(&s, marker, mlen);
	}
	if (s.failed) {
		dl_buf_free(&s);
		return oom();
	}
	int rc = dl_requirement_parse(&b->req, s.ptr, s.len);
	dl_buf_free(&s);
	if (rc == DL_ENOMEM)
		return rc;
	if (rc != 0) {
		char msg[700];
		snprintf(msg, sizeof(msg), "%s", dl_error_last()->message);
		return perr(F, rc, at, "%s: %s", what, msg);
	}
	return 0;
}

/* The marker text of a URL or path line, parsed on its own. */
static int parse_marker(const struct fctx *F, struct build *b, const char *m, size_t mlen, const struct lpos *map)
{
	int rc = dl_marker_parse(&b->marker, m, mlen);
	if (rc != 0)
		return relay_parse_error(F, rc, map, mlen, SIZE_MAX);
	return 0;
}

/* The name a URL or path gives: a wheel file name or an #egg= fragment. */
static int url_or_path_name(const struct fctx *F, struct build *b, const char *loc, size_t llen,
                            const struct lpos *map, const char *extras, size_t exlen, const char *marker, size_t mlen,
                            bool is_link)
{
	const char *fn;
	size_t fnlen;
	if (is_link)
		url_filename(loc, llen, &fn, &fnlen);
	else {
		fn = loc + llen;
		while (fn > loc && fn[-1] != '/')
			fn--;
		fnlen = (size_t)(loc + llen - fn);
	}
	struct lpos at0 = map[0];
	if (fnlen > 4 && memcmp(fn + fnlen - 4, ".whl", 4) == 0) {
		dl_wheel_filename *w = NULL;
		int rc = dl_filename_parse_wheel(&w, fn, fnlen);
		if (rc == DL_ENOMEM)
			return rc;
		if (rc != 0)
			return perr(F, DL_EPARSE, map[fn - loc], "%.*s is not a valid wheel filename", (int)(fnlen > SHOW ? SHOW : fnlen), fn);
		rc = named_req(F, b, w->name, strlen(w->name), w->version_text, extras, exlen, marker, mlen, at0,
		               "invalid requirement from the wheel file name");
		dl_wheel_filename_free(w);
		return rc;
	}
	size_t vs, vl;
	if (is_link && url_fragment(loc, llen, "egg", &vs, &vl)) {
		if (vl == 0)
			return perr(F, DL_EPARSE, map[vs - 4], "empty #egg= fragment");
		if (!dl_name_is_valid(loc + vs, vl)) {
			int rc = pwarn(F, map[vs], "the #egg= fragment '%.*s' is not a valid project name (pip 25 rejects it)",
			               (int)(vl > SHOW ? SHOW : vl), loc + vs);
			if (rc != 0)
				return rc;
		}
		return named_req(F, b, loc + vs, vl, NULL, extras, exlen, marker, mlen, map[vs], "invalid #egg= fragment");
	}
	/* Unnamed: the marker is kept on its own. */
	if (marker != NULL) {
		int rc = dl_marker_parse(&b->marker, marker, mlen);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Extras "[a,b]" of a path: normalised through the requirement parser. */
static int path_extras(const struct fctx *F, struct build *b, const char *ex, size_t exlen, const struct lpos *map)
{
	dl_buf s = DL_BUF_INIT;
	dl_buf_puts(&s, "x");
	dl_buf_put(&s, ex, exlen);
	if (s.failed) {
		dl_buf_free(&s);
		return oom();
	}
	dl_requirement *r = NULL;
	int rc = dl_requirement_parse(&r, s.ptr, s.len);
	dl_buf_free(&s);
	if (rc != 0) {
		return rc == DL_EPARSE ? perr(F, rc, map[0], "invalid extras '%.*s'", (int)(exlen > SHOW ? SHOW : exlen), ex)
		                       : rc;
	}
	for (size_t i = 0; i < r->n_extras; i++) {
		rc = list_push(F->P, &b->e.extras, &b->e.n_extras, r->extras[i], strlen(r->extras[i]));
		if (rc != 0)
			break;
	}
	dl_requirement_free(r);
	return rc;
}

static int copy_req_extras(const struct fctx *F, struct build *b)
{
	if (b->req == NULL)
		return 0;
	for (size_t i = 0; i < b->req->n_extras; i++) {
		int rc = list_push(F->P, &b->e.extras, &b->e.n_extras, b->req->extras[i], strlen(b->req->extras[i]));
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* A requirement line's text, classified and parsed as pip's
 * parse_req_from_line does, without looking at the file system. */
static int parse_req_text(const struct fctx *F, struct build *b, const char *t, size_t n, const struct lpos *map)
{
	bool url = is_url(t, n);
	const char *sep = url ? "; " : ";";
	size_t seplen = strlen(sep), cut = n;
	for (size_t i = 0; i + seplen <= n; i++)
		if (memcmp(t + i, sep, seplen) == 0) {
			cut = i;
			break;
		}
	const char *marker = NULL;
	size_t mlen = 0, moff = 0;
	if (cut < n) {
		moff = cut + seplen;
		while (moff < n && is_ws(t[moff]))
			moff++;
		size_t end = n;
		while (end > moff && is_ws(t[end - 1]))
			end--;
		if (end > moff) {
			marker = t + moff;
			mlen = end - moff;
		}
	}
	size_t ns = 0, ne = cut;
	while (ns < ne && is_ws(t[ns]))
		ns++;
	while (ne > ns && is_ws(t[ne - 1]))
		ne--;
	const char *name = t + ns;
	size_t nlen = ne - ns;
	int rc;
	if (url && is_url(name, nlen)) {
		b->e.form = DL_REQFILE_FORM_URL;
		if (marker != NULL && (rc = parse_marker(F, b, marker, mlen, map + moff)) != 0)
			return rc;
		dl_marker *m = b->marker;
		b->marker = NULL;
		rc = url_or_path_name(F, b, name, nlen, map + ns, NULL, 0, marker, mlen, true);
		if (b->marker == NULL && b->req == NULL)
			b->marker = m;
		else
			dl_marker_free(m);
		if (rc != 0)
			return rc;
		b->e.location = dl_arena_strndup(F->P->A, name, nlen);
	} else if ((looks_like_path(name, nlen) || is_archive(name, nlen)) && !memchr(name, '@', nlen)) {
		/* (pip tries "name @ url" first when an '@' follows a part that
		 * does not look like a path; any '@' there means a PEP 508 line.) */
		b->e.form = DL_REQFILE_FORM_PATH;
		size_t plen;
		const char *ex;
		size_t exlen;
		strip_extras(name, nlen, &plen, &ex, &exlen);
		if (marker != NULL && (rc = parse_marker(F, b, marker, mlen, map + moff)) != 0)
			return rc;
		dl_marker *m = b->marker;
		b->marker = NULL;
		rc = url_or_path_name(F, b, name, plen, map + ns, ex, exlen, marker, mlen, false);
		if (b->marker == NULL && b->req == NULL)
			b->marker = m;
		else
			dl_marker_free(m);
		if (rc != 0)
			return rc;
		if (b->req == NULL && ex != NULL && (rc = path_extras(F, b, ex, exlen, map + ns + plen)) != 0)
			return rc;
		b->e.location = dl_arena_strndup(F->P->A, name, plen);
	} else {
		b->e.form = DL_REQFILE_FORM_PEP508;
		if ((rc = parse_pep508(F, b, t, n, map)) != 0)
			return rc;
	}
	if (b->e.location == NULL && b->e.form != DL_REQFILE_FORM_PEP508)
		return oom();
	if (b->e.form == DL_REQFILE_FORM_URL) {
		size_t vs, vl;
		if (url_fragment(name, nlen, "subdirectory", &vs, &vl) &&
		    (b->e.subdirectory = dl_arena_strndup(F->P->A, name + vs, vl)) == NULL)
			return oom();
	}
	return copy_req_extras(F, b);
}

/* pip's parse_editable, without the file system. */
static int parse_editable(const struct fctx *F, struct build *b, const char *v, size_t n, const struct lpos *map)
{
	size_t plen;
	const char *ex;
	size_t exlen;
	strip_extras(v, n, &plen, &ex, &exlen);
	int rc;
	if (plen >= 5 && dl_slice_ieq(v, 5, "file:")) {
		b->e.form = DL_REQFILE_FORM_URL;
		size_t vs, vl;
		if (url_fragment(v, plen, "egg", &vs, &vl) && vl > 0)
			rc = named_req(F, b, v + vs, vl, NULL, ex, exlen, NULL, 0, map[vs], "invalid #egg= fragment");
		else
			rc = ex != NULL ? path_extras(F, b, ex, exlen, map + plen) : 0;
		if (rc != 0)
			return rc;
		b->e.location = dl_arena_strndup(F->P->A, v, plen);
		return b->e.location == NULL ? oom() : copy_req_extras(F, b);
	}
	dl_buf u = DL_BUF_INIT;
	static const char *const bare[] = {"git", "hg", "svn", "bzr"};
	for (size_t i = 0; i < 4; i++) {
		size_t k = strlen(bare[i]);
		if (n > k && dl_slice_ieq(v, k, bare[i]) && v[k] == ':') {
			dl_buf_puts(&u, bare[i]);
			dl_buf_putc(&u, '+');
			break;
		}
	}
	dl_buf_put(&u, v, n);
	if (u.failed) {
		dl_buf_free(&u);
		return oom();
	}
	size_t shift = u.len - n;
	if (scheme_is_vcs(u.ptr, u.len) || is_url(u.ptr, u.len)) {
		if (!scheme_is_vcs(u.ptr, u.len)) {
			dl_buf_free(&u);
			return perr(F, DL_EPARSE, map[0],
			            "%.*s is not a valid editable requirement: it should be a path to a local project or a VCS URL "
			            "(beginning with git+, hg+, svn+ or bzr+)",
			            (int)(n > SHOW ? SHOW : n), v);
		}
		b->e.form = DL_REQFILE_FORM_URL;
		size_t vs, vl;
		if (!url_fragment(u.ptr, u.len, "egg", &vs, &vl) || vl == 0) {
			dl_buf_free(&u);
			return perr(F, DL_EPARSE, map[0],
			            "could not detect the requirement name for '%.*s': specify one with #egg=your_package_name",
			            (int)(n > SHOW ? SHOW : n), v);
		}
		rc = named_req(F, b, u.ptr + vs, vl, NULL, NULL, 0, NULL, 0, map[vs - shift], "invalid #egg= fragment");
		if (rc == 0) {
			b->e.location = dl_arena_strndup(F->P->A, u.ptr, u.len);
			size_t ss, sl;
			if (b->e.location == NULL)
				rc = oom();
			else if (url_fragment(u.ptr, u.len, "subdirectory", &ss, &sl) &&
			         (b->e.subdirectory = dl_arena_strndup(F->P->A, u.ptr + ss, sl)) == NULL)
				rc = oom();
		}
		dl_buf_free(&u);
		return rc != 0 ? rc : copy_req_extras(F, b);
	}
	dl_buf_free(&u);
	b->e.form = DL_REQFILE_FORM_PATH;
	if (ex != NULL && (rc = path_extras(F, b, ex, exlen, map + plen)) != 0)
		return rc;
	b->e.location = dl_arena_strndup(F->P->A, v, plen);
	return b->e.location == NULL ? oom() : 0;
}

/* ------------------------------------------------------------------ */
/* Options                                                              */

enum optid {
	O_INDEX_URL,
	O_EXTRA_INDEX_URL,
	O_NO_INDEX,
	O_CONSTRAINT,
	O_REQUIREMENT,
	O_EDITABLE,
	O_FIND_LINKS,
	O_NO_BINARY,
	O_ONLY_BINARY,
	O_PREFER_BINARY,
	O_REQUIRE_HASHES,
	O_PRE,
	O_TRUSTED_HOST,
	O_USE_FEATURE,
	O_GLOBAL_OPTION,
	O_HASH,
	O_CONFIG_SETTINGS,
	O_COUNT
};

struct optdef {
	const char *lng;
	char shrt;
	enum optid id;
	bool value;
};

/* pip's SUPPORTED_OPTIONS and SUPPORTED_OPTIONS_REQ. */
static const struct optdef optdefs[] = {
    {"index-url", 'i', O_INDEX_URL, true},        {"pypi-url", 0, O_INDEX_URL, true},
    {"extra-index-url", 0, O_EXTRA_INDEX_URL, true}, {"no-index", 0, O_NO_INDEX, false},
    {"constraint", 'c', O_CONSTRAINT, true},      {"requirement", 'r', O_REQUIREMENT, true},
    {"editable", 'e', O_EDITABLE, true},          {"find-links", 'f', O_FIND_LINKS, true},
    {"no-binary", 0, O_NO_BINARY, true},          {"only-binary", 0, O_ONLY_BINARY, true},
    {"prefer-binary", 0, O_PREFER_BINARY, false}, {"require-hashes", 0, O_REQUIRE_HASHES, false},
    {"pre", 0, O_PRE, false},                     {"trusted-host", 0, O_TRUSTED_HOST, true},
    {"use-feature", 0, O_USE_FEATURE, true},      {"global-option", 0, O_GLOBAL_OPTION, true},
    {"hash", 0, O_HASH, true},                    {"config-settings", 'C', O_CONFIG_SETTINGS, true},
};
#define N_OPTDEFS (sizeof(optdefs) / sizeof(optdefs[0]))

struct optval {
	enum optid id;
	const char *name; /* "--index-url" or "-i", as optparse names it */
	const char *value;
	struct lpos at;  /* the option */
	struct lpos vat; /* its value */
};

/* shlex.split (POSIX mode) of [s+start, s+n), each token with the
 * position of its first character. */
static int shlex_split(const struct fctx *F, const struct lline *l, size_t start, struct tok **toks, size_t *ntok)
{
	struct P *P = F->P;
	size_t cap = 0;
	*toks = NULL;
	*ntok = 0;
	size_t i = start, n = l->len;
	const char *s = l->s;
	dl_buf b = DL_BUF_INIT;
	int rc = 0;
	while (i < n) {
		while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
			i++;
		if (i >= n)
			break;
		struct lpos at = l->p[i], qat = at;
		dl_buf_reset(&b);
		dl_buf_put(&b, "", 0);
		char q = 0;
		for (; i < n; i++) {
			char c = s[i];
			if (q == '\'') {
				if (c == '\'')
					q = 0;
				else
					dl_buf_putc(&b, c);
			} else if (q == '"') {
				if (c == '"')
					q = 0;
				else if (c == '\\' && i + 1 < n && (s[i + 1] == '"' || s[i + 1] == '\\'))
					dl_buf_putc(&b, s[++i]);
				else
					dl_buf_putc(&b, c);
			} else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
				break;
			} else if (c == '\'' || c == '"') {
				q = c;
				qat = l->p[i];
			} else if (c == '\\') {
				if (i + 1 >= n) {
					rc = perr(F, DL_EPARSE, l->p[i], "could not split options: no escaped character");
					goto done;
				}
				dl_buf_putc(&b, s[++i]);
			} else {
				dl_buf_putc(&b, c);
			}
		}
		if (q != 0) {
			rc = perr(F, DL_EPARSE, qat, "could not split options: no closing quotation");
			goto done;
		}
		if (b.failed) {
			rc = oom();
			goto done;
		}
		if (*ntok == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct tok *nt = dl_arena_alloc(P->A, ncap * sizeof(*nt));
			if (nt == NULL) {
				rc = oom();
				goto done;
			}
			if (cap)
				memcpy(nt, *toks, cap * sizeof(*nt));
			*toks = nt;
			cap = ncap;
		}
		struct tok *t = &(*toks)[(*ntok)++];
		t->s = dl_arena_strndup(P->A, b.ptr, b.len);
		t->len = b.len;
		t->at = at;
		if (t->s == NULL) {
			rc = oom();
			goto done;
		}
	}
done:
	dl_buf_free(&b);
	return rc;
}

/* Read option tokens with optparse's rules into vals (arena). */
static int read_options(const struct fctx *F, const struct tok *toks, size_t ntok, struct optval **vals, size_t *nval)
{
	struct P *P = F->P;
	*vals = NULL;
	*nval = 0;
	if (ntok == 0)
		return 0;
	*vals = dl_arena_calloc(P->A, ntok, sizeof(**vals));
	if (*vals == NULL)
		return oom();
	bool positional_only = false;
	for (size_t i = 0; i < ntok; i++) {
		const struct tok *t = &toks[i];
		const struct optdef *d = NULL;
		const char *value = NULL;
		struct lpos vat = t->at;
		const char *oname = NULL;
		if (!positional_only && t->len == 2 && t->s[0] == '-' && t->s[1] == '-') {
			positional_only = true;
			continue;
		}
		if (positional_only || t->len < 2 || t->s[0] != '-') {
			int rc = pwarn(F, t->at, "argument '%.*s' after the options is ignored", (int)(t->len > SHOW ? SHOW : t->len), t->s);
			if (rc != 0)
				return rc;
			continue;
		}
		if (t->s[1] == '-') {
			const char *nm = t->s + 2;
			const char *eq = strchr(nm, '=');
			size_t nl = eq ? (size_t)(eq - nm) : strlen(nm);
			size_t matches = 0;
			for (size_t k = 0; k < N_OPTDEFS; k++) {
				if (strlen(optdefs[k].lng) == nl && memcmp(optdefs[k].lng, nm, nl) == 0) {
					d = &optdefs[k];
					matches = 1;
					break;
				}
			}
			if (d == NULL) {
				char cands[400] = "";
				size_t cl = 0;
				for (size_t k = 0; k < N_OPTDEFS; k++) {
					if (strlen(optdefs[k].lng) > nl && memcmp(optdefs[k].lng, nm, nl) == 0) {
						d = &optdefs[k];
						matches++;
						int w = snprintf(cands + cl, sizeof(cands) - cl, "%s--%s", cl ? ", " : "", optdefs[k].lng);
						if (w > 0 && (size_t)w < sizeof(cands) - cl)
							cl += (size_t)w;
					}
				}
				if (matches == 0)
					return perr(F, DL_EPARSE, t->at, "no such option: --%.*s", (int)(nl > SHOW ? SHOW : nl), nm);
				if (matches > 1)
					return perr(F, DL_EPARSE, t->at, "ambiguous option: --%.*s (%s?)", (int)(nl > SHOW ? SHOW : nl),
					            nm, cands);
			}
			oname = d->lng;
			if (eq != NULL) {
				if (!d->value)
					return perr(F, DL_EPARSE, t->at, "--%s option does not take a value", d->lng);
				value = eq + 1;
				vat = t->at;
				vat.col += (unsigned long)(eq + 1 - t->s);
			} else if (d->value) {
				if (i + 1 >= ntok)
					return perr(F, DL_EPARSE, t->at, "--%s option requires an argument", d->lng);
				i++;
				value = toks[i].s;
				vat = toks[i].at;
			}
		} else {
			for (size_t k = 0; k < N_OPTDEFS; k++)
				if (optdefs[k].shrt == t->s[1]) {
					d = &optdefs[k];
					break;
				}
			if (d == NULL)
				return perr(F, DL_EPARSE, t->at, "no such option: -%c", t->s[1]);
			oname = NULL;
			if (t->len > 2) {
				value = t->s + 2;
				vat = t->at;
				vat.col += 2;
			} else {
				if (i + 1 >= ntok)
					return perr(F, DL_EPARSE, t->at, "-%c option requires an argument", d->shrt);
				i++;
				value = toks[i].s;
				vat = toks[i].at;
			}
		}
		struct optval *ov = &(*vals)[(*nval)++];
		ov->id = d->id;
		ov->name = oname != NULL ? oname : d->lng;
		ov->value = value;
		ov->at = t->at;
		ov->vat = vat;
	}
	return 0;
}

static bool is_global(enum optid id)
{
	return id != O_HASH && id != O_CONFIG_SETTINGS && id != O_GLOBAL_OPTION && id != O_REQUIREMENT &&
	       id != O_CONSTRAINT && id != O_EDITABLE;
}

static dl_reqfile_opt global_kind(enum optid id)
{
	switch (id) {
	case O_INDEX_URL: return DL_REQFILE_OPT_INDEX_URL;
	case O_EXTRA_INDEX_URL: return DL_REQFILE_OPT_EXTRA_INDEX_URL;
	case O_NO_INDEX: return DL_REQFILE_OPT_NO_INDEX;
	case O_FIND_LINKS: return DL_REQFILE_OPT_FIND_LINKS;
	case O_PRE: return DL_REQFILE_OPT_PRE;
	case O_PREFER_BINARY: return DL_REQFILE_OPT_PREFER_BINARY;
	case O_ONLY_BINARY: return DL_REQFILE_OPT_ONLY_BINARY;
	case O_NO_BINARY: return DL_REQFILE_OPT_NO_BINARY;
	case O_TRUSTED_HOST: return DL_REQFILE_OPT_TRUSTED_HOST;
	case O_USE_FEATURE: return DL_REQFILE_OPT_USE_FEATURE;
	default: return DL_REQFILE_OPT_REQUIRE_HASHES;
	}
}

/* Checks pip makes while parsing an option's value. */
static int check_value(const struct fctx *F, const struct optval *v)
{
	if (v->id == O_HASH) {
		const char *c = strchr(v->value, ':');
		if (c == NULL)
			return perr(F, DL_EPARSE, v->vat,
			            "arguments to --hash must be a hash name followed by a value, like --hash=sha256:abcde...");
		size_t al = (size_t)(c - v->value);
		if (!((al == 6 && (memcmp(v->value, "sha256", 6) == 0 || memcmp(v->value, "sha384", 6) == 0 ||
		                   memcmp(v->value, "sha512", 6) == 0))))
			return perr(F, DL_EPARSE, v->vat, "allowed hash algorithms for --hash are sha256, sha384, sha512");
		size_t want = v->value[3] == '2' ? 64 : v->value[3] == '3' ? 96 : 128;
		size_t hl = strlen(c + 1);
		bool hex = hl == want;
		for (size_t i = 0; hex && i < hl; i++)
			hex = dl_isxdigit((unsigned char)c[1 + i]);
		if (!hex)
			return pwarn(F, v->vat, "--hash value '%.*s' is not %zu hex digits: no file will match it",
			             (int)(hl > SHOW ? SHOW : hl), c + 1, want);
	} else if (v->id == O_CONFIG_SETTINGS) {
		if (strchr(v->value, '=') == NULL)
			return perr(F, DL_EPARSE, v->vat, "arguments to --config-settings must be of the form KEY=VAL");
	} else if (v->id == O_NO_BINARY || v->id == O_ONLY_BINARY) {
		if (v->value[0] == '-')
			return perr(F, DL_EPARSE, v->at, "--no-binary / --only-binary option requires 1 argument");
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Lines and files                                                      */

static int parse_buffer(struct P *P, const char *file, const char *data, size_t len, bool constraint,
                        unsigned int depth);

/* Name an included file the way pip does: relative to the including one. */
static int include_path(struct P *P, const char *parent, const char *name, char **out)
{
	dl_buf b = DL_BUF_INIT;
	size_t nl = strlen(name);
	bool abs = name[0] == '/' || (scheme_len(name, nl) > 1 && is_url(name, nl));
	if (!abs) {
		const char *slash = strrchr(parent, '/');
		if (slash != NULL)
			dl_buf_put(&b, parent, (size_t)(slash - parent) + 1);
	}
	dl_buf_puts(&b, name);
	dl_buf_put(&b, "", 0);
	if (b.failed) {
		dl_buf_free(&b);
		return oom();
	}
	/* Lexical clean-up of "./" and "dir/../" so a cycle is seen whatever
	 * the spelling (a symbolic link can still hide one: the depth limit
	 * catches that). */
	char *s = b.ptr;
	size_t w = 0, r = 0, n = b.len;
	bool url = scheme_len(s, n) > 1 && is_url(s, n);
	while (!url && r < n) {
		size_t e = r;
		while (e < n && s[e] != '/')
			e++;
		size_t seg = e - r;
		bool last = e >= n;
		if (seg == 1 && s[r] == '.' && !last) {
			r = e + 1;
			continue;
		}
		if (seg == 2 && s[r] == '.' && s[r + 1] == '.' && w > 0) {
			/* drop the previous segment unless it is ".." itself */
			size_t ps = w - 1;
			while (ps > 0 && s[ps - 1] != '/')
				ps--;
			if (!(w - 1 - ps == 2 && s[ps] == '.' && s[ps + 1] == '.')) {
				w = ps;
				r = last ? e : e + 1;
				continue;
			}
		}
		if (seg == 0 && r > 0 && !last) { /* "a//b" */
			r = e + 1;
			continue;
		}
		memmove(s + w, s + r, seg);
		w += seg;
		if (!last)
			s[w++] = '/';
		r = last ? e : e + 1;
	}
	if (!url)
		s[w] = '\0';
	char *res = dl_arena_strndup(P->A, s, strlen(s));
	dl_buf_free(&b);
	if (res == NULL)
		return oom();
	*out = res;
	return 0;
}

static int do_include(const struct fctx *F, const char *name, struct lpos at, bool constraint)
{
	struct P *P = F->P;
	if (P->o->read == NULL)
		return perr(F, DL_EPARSE, at, "cannot include '%s': no file reader was given", name);
	char *path = NULL;
	int rc = include_path(P, F->file, name, &path);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < P->depth; i++) {
		if (strcmp(P->stack[i], path) == 0) {
			dl_buf chain = DL_BUF_INIT;
			for (size_t k = i; k < P->depth; k++) {
				dl_buf_puts(&chain, P->stack[k]);
				dl_buf_puts(&chain, " -> ");
			}
			dl_buf_puts(&chain, path);
			rc = chain.failed ? oom() : perr(F, DL_EPARSE, at, "include cycle: %s", chain.ptr);
			dl_buf_free(&chain);
			return rc;
		}
	}
	if (F->depth + 1 > P->max_depth)
		return perr(F, DL_ELIMIT, at, "requirements files nested deeper than %u levels", P->max_depth);
	dl_buf content = DL_BUF_INIT;
	dl_buf_init(&content, DL_REQFILE_MAX_INPUT);
	rc = P->o->read(P->o->read_ctx, path, &content);
	if (rc == 0 && content.failed)
		rc = content.failed == DL_ENOMEM ? oom() : perr(F, DL_ELIMIT, at, "'%s' is larger than %zu bytes", path, DL_REQFILE_MAX_INPUT);
	else if (rc == DL_ENOMEM)
		rc = oom();
	else if (rc < 0) {
		char msg[600];
		snprintf(msg, sizeof(msg), "%s", dl_error_last()->message);
		rc = perr(F, rc, at, "cannot read '%s': %s", path, msg);
	}
	if (rc == 0) {
		rc = parse_buffer(P, path, content.ptr ? content.ptr : "", content.len, constraint, F->depth + 1);
		if (rc != 0 && rc != DL_ENOMEM)
			dl_error_context("reading %s, included from %s:%lu", path, F->file, at.line);
	}
	dl_buf_free(&content);
	return rc;
}

static int add_via(const struct fctx *F, const char *s, size_t n, bool split_commas)
{
	dl_reqfile_entry *e = &((dl_reqfile_entry *)F->P->entries.items)[F->via.entry];
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && !(split_commas && s[j] == ','))
			j++;
		size_t a = i, z = j;
		while (a < z && is_ws(s[a]))
			a++;
		while (z > a && is_ws(s[z - 1]))
			z--;
		if (z > a) {
			int rc = list_push(F->P, &e->via, &e->n_via, s + a, z - a);
			if (rc != 0)
				return rc;
		}
		i = j + 1;
	}
	return 0;
}

/* A comment of a line: "# via ..." handling.  `c` is after the '#'. */
static int comment_line(struct fctx *F, const char *c, size_t n)
{
	size_t a = 0, z = n;
	while (a < z && is_ws(c[a]))
		a++;
	while (z > a && is_ws(c[z - 1]))
		z--;
	if (F->via.entry < 0)
		return 0;
	if (z - a == 3 && memcmp(c + a, "via", 3) == 0) {
		F->via.block = true;
		return 0;
	}
	if (z - a > 4 && memcmp(c + a, "via", 3) == 0 && is_ws(c[a + 3])) {
		F->via.block = false;
		return add_via(F, c + a + 4, z - a - 4, true);
	}
	if (F->via.block && a > 0 && z > a)
		return add_via(F, c + a, z - a, false);
	F->via.block = false;
	F->via.entry = -1;
	return 0;
}

static int commit_entry(struct fctx *F, struct build *b)
{
	dl_reqfile_entry *e = vec_push(F->P, &F->P->entries, sizeof(*e));
	if (e == NULL) {
		build_free(b);
		return oom();
	}
	*e = b->e;
	e->req = b->req;
	e->marker = b->req != NULL ? b->req->marker : b->marker;
	if (b->req != NULL) {
		dl_marker_free(b->marker);
		e->name = b->req->name;
	}
	b->req = NULL;
	b->marker = NULL;
	F->via.entry = (long)(F->P->entries.n - 1);
	F->via.block = false;
	return 0;
}

/* One logical line, as pip's preprocess leaves it and more. */
static int logical_line(struct fctx *F, struct lline *l, unsigned long primary)
{
	struct P *P = F->P;
	/* 1. comment: '#' at the start or after whitespace */
	size_t cstart = l->len, hash = l->len;
	for (size_t i = 0; i < l->len; i++) {
		if (l->s[i] == '#' && (i == 0 || is_ws(l->s[i - 1]))) {
			hash = i;
			cstart = i;
			while (cstart > 0 && is_ws(l->s[cstart - 1]))
				cstart--;
			break;
		}
	}
	size_t a = 0, z = cstart;
	while (a < z && is_ws(l->s[a]))
		a++;
	while (z > a && is_ws(l->s[z - 1]))
		z--;
	if (a == z) {
		if (hash == l->len) {
			F->via.entry = -1;
			F->via.block = false;
			return 0;
		}
		return comment_line(F, l->s + hash + 1, l->len - hash - 1);
	}
	/* No C string can carry a NUL, and pip fails on it too (packaging
	 * rejects it, os.path raises "embedded null byte"). */
	const char *nul = memchr(l->s + a, '\0', z - a);
	if (nul != NULL)
		return perr(F, DL_EPARSE, l->p[nul - l->s], "a NUL character cannot appear in a requirements file");
	/* 2. ${VAR} */
	struct lline x = {0};
	int rc = 0;
	for (size_t i = a; i < z && rc == 0;) {
		if (l->s[i] == '$' && i + 1 < z && l->s[i + 1] == '{') {
			size_t j = i + 2;
			while (j < z && (dl_isdigit((unsigned char)l->s[j]) || (l->s[j] >= 'A' && l->s[j] <= 'Z') || l->s[j] == '_'))
				j++;
			if (j < z && j > i + 2 && l->s[j] == '}') {
				const char *val = NULL;
				if (P->o->env != NULL) {
					char nm[256];
					size_t nl = j - i - 2;
					if (nl < sizeof(nm)) {
						memcpy(nm, l->s + i + 2, nl);
						nm[nl] = '\0';
						val = P->o->env(P->o->env_ctx, nm);
					}
				}
				if (val != NULL && val[0] != '\0') {
					rc = ll_put_at(&x, val, strlen(val), l->p[i]);
					i = j + 1;
					continue;
				}
			}
		}
		rc = ll_reserve(&x, 1);
		if (rc == 0) {
			x.s[x.len] = l->s[i];
			x.p[x.len] = l->p[i];
			x.len++;
			x.s[x.len] = '\0';
		}
		i++;
	}
	if (rc != 0) {
		ll_free(&x);
		return rc;
	}
	/* 3. requirement part and options */
	size_t optstart = x.len;
	for (size_t i = 0; i < x.len; i++)
		if (x.s[i] == '-' && (i == 0 || x.s[i - 1] == ' ')) {
			optstart = i;
			break;
		}
	size_t argend = optstart == x.len ? x.len : (optstart > 0 ? optstart - 1 : 0);
	while (argend > 0 && is_ws(x.s[argend - 1]))
		argend--;
	struct tok *toks = NULL;
	size_t ntok = 0, nval = 0;
	struct optval *vals = NULL;
	struct build b;
	memset(&b, 0, sizeof(b));
	if ((rc = shlex_split(F, &x, optstart, &toks, &ntok)) != 0 || (rc = read_options(F, toks, ntok, &vals, &nval)) != 0)
		goto done;
	for (size_t i = 0; i < nval; i++)
		if ((rc = check_value(F, &vals[i])) != 0)
			goto done;
	const struct optval *first_e = NULL, *first_r = NULL, *first_c = NULL;
	for (size_t i = 0; i < nval; i++) {
		if (vals[i].id == O_EDITABLE && first_e == NULL)
			first_e = &vals[i];
		if (vals[i].id == O_REQUIREMENT && first_r == NULL)
			first_r = &vals[i];
		if (vals[i].id == O_CONSTRAINT && first_c == NULL)
			first_c = &vals[i];
	}
	F->via.entry = -1;
	F->via.block = false;
	if (argend > 0 || first_e != NULL) {
		/* a requirement or an editable */
		b.e.file = F->file;
		b.e.line = primary;
		if (argend > 0) {
			b.e.kind = F->constraint ? DL_REQFILE_CONSTRAINT : DL_REQFILE_REQUIREMENT;
			b.e.column = x.p[0].col;
			b.e.text = dl_arena_strndup(P->A, x.s, argend);
			if (b.e.text == NULL) {
				rc = oom();
				goto done;
			}
			rc = parse_req_text(F, &b, x.s, argend, x.p);
		} else {
			b.e.kind = DL_REQFILE_EDITABLE;
			b.e.column = first_e->vat.col;
			b.e.line = first_e->vat.line;
			b.e.text = dl_arena_strndup(P->A, first_e->value, strlen(first_e->value));
			if (b.e.text == NULL) {
				rc = oom();
				goto done;
			}
			/* positions of the value's characters: the value token's
			 * start (quotes may have been removed) plus its offset */
			size_t vl = strlen(first_e->value);
			struct lpos *vm = dl_arena_calloc(P->A, vl + 1, sizeof(*vm));
			if (vm == NULL) {
				rc = oom();
				goto done;
			}
			for (size_t i = 0; i <= vl; i++) {
				vm[i] = first_e->vat;
				vm[i].col += i;
			}
			rc = vl == 0 ? perr(F, DL_EPARSE, first_e->vat, "empty editable requirement")
			             : parse_editable(F, &b, first_e->value, vl, vm);
		}
		if (rc != 0)
			goto done;
		bool editable = b.e.kind == DL_REQFILE_EDITABLE;
		for (size_t i = 0; i < nval && rc == 0; i++) {
			const struct optval *v = &vals[i];
			if (v == first_e)
				continue;
			if (v->id == O_CONFIG_SETTINGS)
				rc = list_push(P, &b.e.config_settings, &b.e.n_config_settings, v->value, strlen(v->value));
			else if (v->id == O_HASH && !editable)
				rc = list_push(P, &b.e.hashes, &b.e.n_hashes, v->value, strlen(v->value));
			else if (v->id == O_GLOBAL_OPTION && !editable) {
				rc = list_push(P, &b.e.global_options, &b.e.n_global_options, v->value, strlen(v->value));
				if (rc == 0)
					rc = pwarn(F, v->at, "--global-option is deprecated: pip passes it to setup.py only, and "
					                     "deeplock records it without using it");
			} else
				rc = pwarn(F, v->at, "--%s is ignored on a %s line", v->name, editable ? "-e" : "requirement");
		}
		if (rc == 0)
			rc = commit_entry(F, &b);
		if (rc == 0) {
			/* an inline "# via a, b" (older pip-compile) */
			if (hash < l->len) {
				const char *c = l->s + hash + 1;
				size_t cn = l->len - hash - 1, k = 0;
				while (k < cn && is_ws(c[k]))
					k++;
				if (cn - k > 4 && memcmp(c + k, "via", 3) == 0 && is_ws(c[k + 3]))
					rc = add_via(F, c + k + 4, cn - k - 4, true);
			}
		}
		goto done;
	}
	if (first_r != NULL || first_c != NULL) {
		const struct optval *inc = first_r != NULL ? first_r : first_c;
		for (size_t i = 0; i < nval && rc == 0; i++)
			if (&vals[i] != inc)
				rc = pwarn(F, vals[i].at, "--%s is ignored on a line that includes another file", vals[i].name);
		if (rc == 0)
			rc = do_include(F, inc->value, inc->vat, inc->id == O_CONSTRAINT);
		goto done;
	}
	for (size_t i = 0; i < nval && rc == 0; i++) {
		const struct optval *v = &vals[i];
		if (is_global(v->id)) {
			dl_reqfile_option *o = vec_push(P, &P->options, sizeof(*o));
			if (o == NULL) {
				rc = oom();
				break;
			}
			o->opt = global_kind(v->id);
			o->file = F->file;
			o->line = v->at.line;
			o->column = v->at.col;
			if (v->value != NULL && (o->value = dl_arena_strndup(P->A, v->value, strlen(v->value))) == NULL)
				rc = oom();
			if (rc == 0 && v->id == O_USE_FEATURE && strcmp(v->value, "fast-deps") != 0 &&
			    strcmp(v->value, "truststore") != 0 && strcmp(v->value, "no-binary-enable-wheel-cache") != 0)
				rc = pwarn(F, v->vat, "unknown --use-feature '%s'", v->value);
		} else {
			rc = pwarn(F, v->at, "--%s without a requirement is ignored", v->name);
		}
	}
done:
	build_free(&b);
	ll_free(&x);
	return rc;
}

static bool is_comment_line(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && is_ws(s[i]))
		i++;
	return i < n && s[i] == '#';
}

/* Length of the line terminator at s[i] (Python's str.splitlines), or 0. */
static size_t eol_len(const char *s, size_t n, size_t i)
{
	unsigned char c = (unsigned char)s[i];
	if (c == '\r')
		return i + 1 < n && s[i + 1] == '\n' ? 2 : 1;
	if (c == '\n' || c == 0x0b || c == 0x0c || c == 0x1c || c == 0x1d || c == 0x1e)
		return 1;
	if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] == 0x85)
		return 2;
	if (c == 0xe2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
	    ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9))
		return 3;
	return 0;
}

static int parse_buffer(struct P *P, const char *file, const char *data, size_t len, bool constraint,
                        unsigned int depth)
{
	if (len > DL_REQFILE_MAX_INPUT)
		return dl_error_set(DL_ELIMIT, "%s: larger than %zu bytes", file, DL_REQFILE_MAX_INPUT);
	const char **fslot = vec_push(P, &P->files, sizeof(char *));
	if (fslot == NULL)
		return oom();
	*fslot = file;
	if (P->depth >= sizeof(P->stack) / sizeof(P->stack[0]))
		return dl_error_set(DL_ELIMIT, "%s: requirements files nested too deeply", file);
	P->stack[P->depth++] = file;
	struct fctx F = {P, file, constraint, depth, {-1, false}};
	struct lline l = {0};
	int rc = 0;
	size_t i = 0;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	unsigned long lineno = 0, primary = 0;
	bool joining = false;
	while (i < len && rc == 0) {
		size_t s = i, e = i, t = 0;
		while (e < len && (t = eol_len(data, len, e)) == 0)
			e++;
		i = e + t;
		lineno++;
		const char *line = data + s;
		size_t n = e - s;
		const char *ls = line; /* columns count from the physical line start */
		bool comment = is_comment_line(line, n);
		if (n > 0 && line[n - 1] == '\\' && !comment) {
			if (!joining) {
				primary = lineno;
				l.len = 0;
				joining = true;
			}
			size_t a = 0, z = n;
			while (a < z && line[a] == '\\')
				a++;
			while (z > a && line[z - 1] == '\\')
				z--;
			rc = ll_put_phys(&l, ls, line + a, z - a, lineno);
			continue;
		}
		if (!joining) {
			l.len = 0;
			primary = lineno;
		}
		if (comment) {
			size_t k = 0;
			while (k < n && is_ws(line[k]))
				k++;
			struct lpos at = {lineno, k + 1};
			rc = ll_put_at(&l, " ", 1, at);
		}
		if (rc == 0)
			rc = ll_put_phys(&l, ls, line, n, lineno);
		joining = false;
		if (rc == 0)
			rc = logical_line(&F, &l, primary);
	}
	if (rc == 0 && joining)
		rc = logical_line(&F, &l, primary);
	ll_free(&l);
	P->depth--;
	return rc;
}

static int run(dl_reqfile **out, const char *data, size_t len, const char *source, const dl_reqfile_options *opts)
{
	static const dl_reqfile_options defaults = DL_REQFILE_OPTIONS_INIT;
	if (out == NULL || (data == NULL && len > 0))
		return dl_error_set(DL_EINVAL, "dl_reqfile_parse: NULL argument");
	if (opts == NULL)
		opts = &defaults;
	if (opts->version != DL_REQFILE_OPTIONS_VERSION)
		return dl_error_set(DL_EINVAL, "dl_reqfile_parse: unknown options version %u", opts->version);
	struct P P;
	memset(&P, 0, sizeof(P));
	P.o = opts;
	P.max_depth = opts->max_depth ? opts->max_depth : DL_REQFILE_DEFAULT_MAX_DEPTH;
	if (P.max_depth > DL_REQFILE_DEFAULT_MAX_DEPTH * 8)
		P.max_depth = DL_REQFILE_DEFAULT_MAX_DEPTH * 8;
	dl_arena *A = NULL;
	if (dl_arena_new(&A) != 0)
		return oom();
	P.A = A;
	P.rf = dl_arena_calloc(A, 1, sizeof(dl_reqfile));
	char *src = dl_arena_strndup(A, source, strlen(source));
	if (P.rf == NULL || src == NULL) {
		dl_arena_free(A);
		return oom();
	}
	P.rf->arena = A;
	int rc = parse_buffer(&P, src, data ? data : "", len, opts->constraint, 0);
	dl_reqfile *rf = P.rf;
	rf->entries = P.entries.items;
	rf->n_entries = P.entries.n;
	rf->options = P.options.items;
	rf->n_options = P.options.n;
	rf->warnings = P.warnings.items;
	rf->n_warnings = P.warnings.n;
	rf->files = P.files.items;
	rf->n_files = P.files.n;
	if (rc != 0) {
		dl_reqfile_free(rf);
		return rc;
	}
	*out = rf;
	return 0;
}

int dl_reqfile_parse(dl_reqfile **out, const char *data, size_t len, const char *source, const dl_reqfile_options *opts)
{
	return run(out, data, len, source != NULL ? source : "requirements.txt", opts);
}

int dl_reqfile_load(dl_reqfile **out, const char *path, const dl_reqfile_options *opts)
{
	if (opts == NULL || opts->read == NULL || path == NULL)
		return dl_error_set(DL_EINVAL, "dl_reqfile_load: a file reader is needed");
	dl_buf content = DL_BUF_INIT;
	dl_buf_init(&content, DL_REQFILE_MAX_INPUT);
	int rc = opts->read(opts->read_ctx, path, &content);
	if (rc == 0 && content.failed)
		rc = content.failed == DL_ENOMEM ? oom() : dl_error_set(DL_ELIMIT, "%s: larger than %zu bytes", path, DL_REQFILE_MAX_INPUT);
	if (rc == 0)
		rc = run(out, content.ptr, content.len, path, opts);
	dl_buf_free(&content);
	return rc;
}

void dl_reqfile_free(dl_reqfile *rf)
{
	if (rf == NULL)
		return;
	for (size_t i = 0; i < rf->n_entries; i++) {
		const dl_reqfile_entry *e = &rf->entries[i];
		if (e->req != NULL)
			dl_requirement_free((dl_requirement *)e->req);
		else
			dl_marker_free((dl_marker *)e->marker);
	}
	dl_arena_free(rf->arena);
}

const char *dl_reqfile_kind_name(dl_reqfile_kind kind)
{
	switch (kind) {
	case DL_REQFILE_REQUIREMENT: return "requirement";
	case DL_REQFILE_EDITABLE: return "editable";
	case DL_REQFILE_CONSTRAINT: return "constraint";
	}
	return "unknown";
}

const char *dl_reqfile_form_name(dl_reqfile_form form)
{
	switch (form) {
	case DL_REQFILE_FORM_PEP508: return "pep508";
	case DL_REQFILE_FORM_URL: return "url";
	case DL_REQFILE_FORM_PATH: return "path";
	}
	return "unknown";
}

const char *dl_reqfile_opt_name(dl_reqfile_opt opt)
{
	switch (opt) {
	case DL_REQFILE_OPT_INDEX_URL: return "index-url";
	case DL_REQFILE_OPT_EXTRA_INDEX_URL: return "extra-index-url";
	case DL_REQFILE_OPT_NO_INDEX: return "no-index";
	case DL_REQFILE_OPT_FIND_LINKS: return "find-links";
	case DL_REQFILE_OPT_PRE: return "pre";
	case DL_REQFILE_OPT_PREFER_BINARY: return "prefer-binary";
	case DL_REQFILE_OPT_ONLY_BINARY: return "only-binary";
	case DL_REQFILE_OPT_NO_BINARY: return "no-binary";
	case DL_REQFILE_OPT_TRUSTED_HOST: return "trusted-host";
	case DL_REQFILE_OPT_USE_FEATURE: return "use-feature";
	case DL_REQFILE_OPT_REQUIRE_HASHES: return "require-hashes";
	}
	return "unknown";
}
