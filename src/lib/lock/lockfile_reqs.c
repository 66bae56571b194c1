/*
 * lockfile_reqs.c - requirements files as lock tools write them, into the
 * lock-file model.
 *
 * pip-compile, `uv pip compile`, `pdm export` and pip freeze all write one
 * requirement per logical line (backslash continuations joined first, as
 * pip does), per-requirement `--hash=alg:hex` options, and comments.  The
 * `# via` annotations that pip-compile and uv write under a requirement
 * ("# via requests", or a "# via" line followed by "#   name" lines) name
 * the packages that required it; they become dependency edges of those
 * packages, so an audit can show a path from the root.  Global options
 * (--index-url, --extra-index-url) are recorded as the lock's indexes;
 * -e lines become editable directory packages; -r and -c are refused,
 * because a lock that pulls in other files is not one file to audit.
 * Unknown options are errors with their line and column.
 */
#include <string.h>

#include "deeplock/marker.h"
#include "deeplock/name.h"
#include "deeplock/requirement.h"
#include "deeplock/specifier.h"
#include "lockfile_int.h"

typedef struct line {
	const char *text; /* joined logical line, NUL-terminated in scratch */
	size_t len;
	uint32_t lineno;
} line;

/* The package of the last requirement line, for following # via lines. */
typedef struct rq_state {
	lf_ctx *ctx;
	dl_lockfile_package *pkgs;
	size_t n, cap;
	long last; /* index of the last package, -1 */
	bool via_block;
	/* via edges, resolved into deps at the end: (child index, parent name) */
	struct via {
		size_t child;
		const char *parent;
		dl_lockfile_pos pos;
	} *vias;
	size_t nvia, capvia;
} rq_state;

static int add_via(rq_state *st, const char *name, size_t len, dl_lockfile_pos pos)
{
	if (st->last < 0 || len == 0)
		return 0;
	/* "-r requirements.in" and "--constraint x" annotations name files, not packages. */
	if (name[0] == '-')
		return 0;
	struct via *v = dl_lf_grow(st->ctx, st->vias, st->nvia, &st->capvia, sizeof(*st->vias));
	if (v == NULL)
		return DL_ENOMEM;
	st->vias = v;
	char *copy = dl_lf_strndup(st->ctx, name, len);
	if (copy == NULL)
		return DL_ENOMEM;
	v[st->nvia++] = (struct via){(size_t)st->last, copy, pos};
	return 0;
}

/* A comment: "# via a, b" or "#   a" inside a via block. */
static int comment(rq_state *st, const char *c, size_t len, dl_lockfile_pos pos)
{
	size_t i = 1;
	while (i < len && (c[i] == ' ' || c[i] == '\t'))
		i++;
	bool via = len - i >= 3 && memcmp(c + i, "via", 3) == 0 && (len - i == 3 || c[i + 3] == ' ');
	if (via) {
		st->via_block = true;
		i += 3;
	} else if (!st->via_block || i < 3) {
		st->via_block = false;
		return 0;
	}
	/* names separated by commas or spaces */
	while (i < len) {
		while (i < len && (c[i] == ' ' || c[i] == ',' || c[i] == '\t'))
			i++;
		size_t s = i;
		while (i < len && c[i] != ' ' && c[i] != ',' && c[i] != '\t' && c[i] != '(')
			i++;
		if (i > s) {
			int rc = add_via(st, c + s, i - s, pos);
			if (rc != 0)
				return rc;
		}
		if (i < len && c[i] == '(')
			break; /* "(pyproject.toml)" and similar asides */
	}
	return 0;
}

static bool opt_is(const char *s, size_t len, const char *name)
{
	size_t n = strlen(name);
	return len >= n && memcmp(s, name, n) == 0 && (len == n || s[n] == ' ' || s[n] == '=' || s[n] == '\t');
}

static const char *opt_value(const char *s, size_t len, size_t *vlen)
{
	size_t i = 0;
	while (i < len && s[i] != ' ' && s[i] != '=' && s[i] != '\t')
		i++;
	while (i < len && (s[i] == ' ' || s[i] == '=' || s[i] == '\t'))
		i++;
	size_t e = len;
	while (e > i && (s[e - 1] == ' ' || s[e - 1] == '\t'))
		e--;
	*vlen = e - i;
	return s + i;
}

static dl_lockfile_package *new_pkg(rq_state *st)
{
	dl_lockfile_package *p = dl_lf_grow(st->ctx, st->pkgs, st->n, &st->cap, sizeof(*st->pkgs));
	if (p == NULL)
		return NULL;
	st->pkgs = p;
	st->last = (long)st->n;
	return &p[st->n++];
}

static int requirement(rq_state *st, const char *s, size_t len, dl_lockfile_pos pos)
{
	lf_ctx *ctx = st->ctx;
	/* Split off " --hash=..." options (pip allows them after the requirement). */
	size_t req_end = len;
	for (size_t i = 0; i + 2 < len; i++)
		if ((s[i] == ' ' || s[i] == '\t') && s[i + 1] == '-' && s[i + 2] == '-') {
			req_end = i;
			break;
		}
	dl_requirement *r = NULL;
	int rc = dl_requirement_parse(&r, s, req_end);
	if (rc == DL_ENOMEM)
		return rc;
	if (rc != 0)
		return dl_lf_error(ctx, DL_EPARSE, pos, "%s", dl_error_last()->message);
	dl_lockfile_package *p = new_pkg(st);
	if (p == NULL) {
		dl_requirement_free(r);
		return DL_ENOMEM;
	}
	p->pos = pos;
	p->name_pos = pos;
	rc = dl_lf_name(ctx, r->name, strlen(r->name), &p->name, &p->normalized_name, pos);
	if (rc == 0 && r->marker != NULL) {
		char *m = NULL;
		if ((rc = dl_marker_to_string(&m, r->marker)) == 0) {
			p->marker = dl_lf_strndup(ctx, m, strlen(m));
			rc = p->marker == NULL ? DL_ENOMEM : 0;
		}
		dl_free(m);
	}
	if (rc == 0 && r->url != NULL) {
		p->source.kind = DL_LOCKFILE_SOURCE_URL;
		p->source.url = dl_lf_strndup(ctx, r->url, strlen(r->url));
		rc = p->source.url == NULL ? DL_ENOMEM : 0;
	} else if (rc == 0) {
		p->source.kind = DL_LOCKFILE_SOURCE_REGISTRY;
		/* A pin is exactly one "==V" (or "===V") without a wildcard. */
		if (r->specifier->count == 1 &&
		    (r->specifier->specs[0].op == DL_SPEC_EQ || r->specifier->specs[0].op == DL_SPEC_ARBITRARY)) {
			const char *eq = memchr(s, '=', req_end);
			const char *v = eq;
			while (v != NULL && v < s + req_end && (*v == '=' || *v == ' '))
				v++;
			size_t vl = 0;
			while (v != NULL && v + vl < s + req_end && v[vl] != ' ' && v[vl] != ';' && v[vl] != ',')
				vl++;
			if (v != NULL && vl > 0 && memchr(v, '*', vl) == NULL)
				rc = dl_lf_version(ctx, p, v, vl);
			p->version_pos = pos;
		}
	}
	dl_requirement_free(r);
	if (rc != 0)
		return rc;
	/* The hashes: one file of unknown name holding them all. */
	size_t nh = 0;
	for (size_t i = req_end; i + 6 < len; i++)
		if (memcmp(s + i, "--hash", 6) == 0)
			nh++;
	if (nh > 0) {
		dl_lockfile_file *f = dl_lf_array(ctx, 1, sizeof(*f));
		dl_lockfile_hash *h = f != NULL ? dl_lf_array(ctx, nh, sizeof(*h)) : NULL;
		if (h == NULL)
			return DL_ENOMEM;
		f->size = -1;
		f->pos = pos;
		size_t k = 0;
		for (size_t i = req_end; i < len && rc == 0;) {
			while (i < len && (s[i] == ' ' || s[i] == '\t'))
				i++;
			size_t st0 = i;
			while (i < len && s[i] != ' ' && s[i] != '\t')
				i++;
			if (i - st0 > 6 && memcmp(s + st0, "--hash", 6) == 0) {
				size_t vl = 0;
				const char *v = opt_value(s + st0, i - st0, &vl);
				rc = dl_lf_hash_colon(ctx, &h[k++], v, vl, NULL, pos);
			} else if (i > st0) {
				rc = dl_lf_error(ctx, DL_EPARSE, (dl_lockfile_pos){pos.line, pos.column + (uint32_t)st0},
				                 "unsupported option '%.*s' after a requirement", (int)(i - st0), s + st0);
			}
		}
		if (rc != 0)
			return rc;
		f->hashes = h;
		f->n_hashes = k;
		p->files = f;
		p->n_files = 1;
	}
	return 0;
}

static int logical_line(rq_state *st, const char *s, size_t len, uint32_t lineno)
{
	lf_ctx *ctx = st->ctx;
	dl_lockfile_pos pos = {lineno, 1};
	size_t i = 0;
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	pos.column = (uint32_t)i + 1;
	if (i == len)
		return 0;
	if (s[i] == '#')
		return comment(st, s + i, len - i, pos);
	st->via_block = false;
	/* A trailing comment on a requirement line ("a==1  # via b"). */
	size_t e = len;
	for (size_t k = i; k < len; k++)
		if (s[k] == '#' && k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\t')) {
			e = k;
			break;
		}
	while (e > i && (s[e - 1] == ' ' || s[e - 1] == '\t'))
		e--;
	const char *t = s + i;
	size_t tl = e - i;
	int rc = 0;
	if (t[0] != '-') {
		rc = requirement(st, t, tl, pos);
	} else if (opt_is(t, tl, "-i") || opt_is(t, tl, "--index-url") || opt_is(t, tl, "--extra-index-url")) {
		size_t vl = 0;
		const char *v = opt_value(t, tl, &vl);
		char *url = dl_lf_strndup(ctx, v, vl);
		rc = url == NULL ? DL_ENOMEM : dl_lf_add_index(ctx, NULL, url, pos);
	} else if (opt_is(t, tl, "-e") || opt_is(t, tl, "--editable")) {
		dl_lockfile_package *p = new_pkg(st);
		size_t vl = 0;
		const char *v = opt_value(t, tl, &vl);
		if (p == NULL)
			return DL_ENOMEM;
		p->pos = pos;
		p->source.kind = DL_LOCKFILE_SOURCE_DIRECTORY;
		p->source.editable = true;
		p->source.path = dl_lf_strndup(ctx, v, vl);
		rc = p->source.path == NULL ? DL_ENOMEM : 0;
		/* The project's name is only in its metadata; "#egg=name" or the
		 * directory's own name is the best a lock reader can do. */
		const char *egg = memmem(v, vl, "#egg=", 5);
		const char *nm = egg != NULL ? egg + 5 : v;
		size_t nl = egg != NULL ? vl - (size_t)(nm - v) : vl;
		while (egg == NULL && nl > 0 && nm[nl - 1] == '/')
			nl--;
		for (size_t k = nl; egg == NULL && k > 0; k--)
			if (nm[k - 1] == '/') {
				nm += k;
				nl -= k;
				break;
			}
		if (rc == 0 && nl > 0 && dl_name_is_valid(nm, nl))
			rc = dl_lf_name(ctx, nm, nl, &p->name, &p->normalized_name, pos);
		else if (rc == 0)
			rc = dl_lf_name(ctx, "unnamed-local-project", 21, &p->name, &p->normalized_name, pos);
	} else if (opt_is(t, tl, "-r") || opt_is(t, tl, "--requirement") || opt_is(t, tl, "-c") ||
	           opt_is(t, tl, "--constraint")) {
		rc = dl_lf_error(ctx, DL_EUNSUPPORTED, pos,
		                 "'%.*s' includes another file; audit each file on its own (a lock must stand alone)",
		                 (int)tl, t);
	} else if (opt_is(t, tl, "--find-links") || opt_is(t, tl, "-f") || opt_is(t, tl, "--trusted-host") ||
	           opt_is(t, tl, "--no-binary") || opt_is(t, tl, "--only-binary") || opt_is(t, tl, "--prefer-binary") ||
	           opt_is(t, tl, "--pre") || opt_is(t, tl, "--require-hashes") || opt_is(t, tl, "--no-index")) {
		rc = 0; /* options that do not change what the lock pins */
	} else {
		rc = dl_lf_error(ctx, DL_EPARSE, pos, "unknown option '%.*s'", (int)tl, t);
	}
	return rc;
}

static const dl_lockfile_package *find(const rq_state *st, const char *name)
{
	char norm[256];
	size_t n = strlen(name);
	if (n >= sizeof norm || !dl_name_is_valid(name, n))
		return NULL;
	norm[dl_name_normalize_into(norm, name, n)] = '\0';
	for (size_t i = 0; i < st->n; i++)
		if (st->pkgs[i].normalized_name != NULL && strcmp(st->pkgs[i].normalized_name, norm) == 0)
			return &st->pkgs[i];
	return NULL;
}

int dl_lf_read_requirements(lf_ctx *ctx, const char *data, size_t len)
{
	rq_state st = {0};
	st.ctx = ctx;
	st.last = -1;
	dl_buf logical = DL_BUF_INIT;
	int rc = 0;
	uint32_t lineno = 0, start = 1;
	size_t i = 0;
	while (i < len && rc == 0) {
		size_t e = i;
		while (e < len && data[e] != '\n')
			e++;
		size_t n = e - i;
		if (n > 0 && data[i + n - 1] == '\r')
			n--;
		lineno++;
		if (logical.len == 0)
			start = lineno;
		bool cont = n > 0 && data[i + n - 1] == '\\';
		dl_buf_put(&logical, data + i, cont ? n - 1 : n);
		if (logical.failed) {
			rc = dl_error_oom();
			break;
		}
		i = e < len ? e + 1 : e;
		if (cont && i < len)
			continue;
		rc = logical_line(&st, logical.ptr != NULL ? logical.ptr : "", logical.len, start);
		dl_buf_reset(&logical);
	}
	dl_buf_free(&logical);
	if (rc != 0)
		return rc;
	/* via edges: the parent gets a dependency on the child. */
	for (size_t v = 0; v < st.nvia; v++) {
		dl_lockfile_package *parent = (dl_lockfile_package *)find(&st, st.vias[v].parent);
		if (parent == NULL)
			continue; /* a root spec file or a package of another group */
		const dl_lockfile_package *child = &st.pkgs[st.vias[v].child];
		/* Grown by one: a package has few requirers. */
		dl_lockfile_dep *nd = dl_lf_array(ctx, parent->n_deps + 1, sizeof(*nd));
		if (nd == NULL)
			return DL_ENOMEM;
		if (parent->n_deps > 0)
			memcpy(nd, parent->deps, parent->n_deps * sizeof(*nd));
		nd[parent->n_deps].name = child->name;
		nd[parent->n_deps].normalized_name = child->normalized_name;
		nd[parent->n_deps].pos = st.vias[v].pos;
		parent->deps = nd;
		parent->n_deps++;
	}
	ctx->lock->packages = st.pkgs;
	ctx->lock->n_packages = st.n;
	return 0;
}
