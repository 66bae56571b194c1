/*
 * lockdiff.c - two locks compared, build-time changes first.
 *
 * Each side is first brought into one small view, whatever its format: a
 * list of package sets (the runtime set, then one per deeplock build
 * environment), each package reduced to what a review compares: PEP 503
 * name, version, marker in normal form, a canonical source key, its files
 * with their hashes, and why (if at all) it runs code at build time.  The
 * views live in the diff's arena and borrow strings from the parsed models,
 * which the diff keeps until it is freed, so nothing is copied twice.
 *
 * Sets are diffed by sorting both by name and walking the names together;
 * within one name the few entries are paired by the passes the header
 * describes (quadratic in the entries of one name, which are a handful at
 * most).  Every finding is appended to one growing array which is sorted
 * once at the end, so the output order depends only on the content.
 */
#include <stdlib.h>
#include <string.h>

#include "deeplock/lock.h"
#include "deeplock/lockdiff.h"
#include "deeplock/marker.h"
#include "deeplock/version.h"

struct dl_lockdiff_priv {
	dl_arena *a;
	dl_lockfile *lf[2];
	dl_lock_doc *doc[2];
	dl_lockdiff_entry *entries;
	size_t cap;
};

typedef struct dfile {
	const char *name; /* NULL: a bare hash */
	bool sdist;
	const dl_lockfile_hash *hashes;
	size_t n_hashes;
} dfile;

typedef struct dpkg {
	const char *name;
	const char *version;
	bool version_valid;
	const char *marker;      /* as written */
	const char *marker_norm; /* normal form, or the text when it does not parse; NULL: none */
	const char *source_key;  /* compared; NULL: unknown */
	const char *source_shown;
	const dfile *files;
	size_t n_files;
	size_t n_wheel, n_sdist, n_unknown, n_nameless;
	const char *from_source; /* why it runs at build time; NULL */
	bool paired;
} dpkg;

typedef struct dset {
	const char *id;  /* NULL for the runtime set */
	const char *key; /* what environments are matched by */
	const char *const *requires;
	size_t n_requires;
	dpkg *pkgs;
	size_t n;
	bool paired;
} dset;

typedef struct dside {
	dl_lockfile_format format;
	bool deeplock;
	dset *sets; /* sets[0] is the runtime set */
	size_t n_sets;
} dside;

typedef struct ctx {
	dl_lockdiff *d;
	dl_arena *a;
	int rc;
} ctx;

static const char *const KIND_NAMES[DL_LOCKDIFF_KIND_COUNT] = {
    "build-from-source", "sdist-added", "build-env-added", "build-env-package", "hash-changed",
    "added",             "removed",     "upgraded",        "downgraded",        "version-changed",
    "source-changed",    "marker-changed", "build-env-removed",
};

const char *dl_lockdiff_kind_name(dl_lockdiff_kind kind)
{
	if ((unsigned)kind >= DL_LOCKDIFF_KIND_COUNT)
		return "unknown";
	return KIND_NAMES[kind];
}

bool dl_lockdiff_kind_is_build(dl_lockdiff_kind kind)
{
	return kind <= DL_LOCKDIFF_BUILD_ENV_PACKAGE;
}

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */

static int streq_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int cmp_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static char *ctx_strcat(ctx *c, const char *a, const char *b, const char *d)
{
	if (c->rc != 0)
		return NULL;
	dl_buf buf = DL_BUF_INIT;
	dl_buf_puts(&buf, a);
	dl_buf_puts(&buf, b != NULL ? b : "");
	dl_buf_puts(&buf, d != NULL ? d : "");
	char *s = buf.failed ? NULL : dl_arena_strndup(c->a, buf.ptr, buf.len);
	dl_buf_free(&buf);
	if (s == NULL)
		c->rc = dl_error_oom();
	return s;
}

/* The marker in normal form, so that `a=="1"` and `a == '1'` agree; text
 * that does not parse is compared as written. */
static const char *marker_norm(ctx *c, const char *m)
{
	if (c->rc != 0 || m == NULL)
		return NULL;
	dl_marker *mk = NULL;
	int rc = dl_marker_parse(&mk, m, strlen(m));
	if (rc == DL_ENOMEM) {
		c->rc = rc;
		return NULL;
	}
	if (rc != 0) {
		dl_error_clear();
		return m;
	}
	dl_buf b = DL_BUF_INIT;
	dl_marker_format(mk, &b);
	dl_marker_free(mk);
	const char *s = NULL;
	if (!b.failed)
		s = dl_arena_strndup(c->a, b.ptr != NULL ? b.ptr : "", b.len);
	dl_buf_free(&b);
	if (s == NULL) {
		c->rc = dl_error_oom();
		return NULL;
	}
	return s[0] == '\0' ? NULL : s; /* the always-true marker is no marker */
}

/* An index URL as a comparison key: lower case, no trailing '/', and every
 * spelling of PyPI (and the tool's default, which is PyPI for all five
 * tools unless the lock says otherwise) as "pypi". */
static const char *index_key(ctx *c, const char *url)
{
	if (url == NULL)
		return "pypi";
	size_t len = strlen(url);
	while (len > 0 && url[len - 1] == '/')
		len--;
	char *k = dl_arena_strndup(c->a, url, len);
	if (k == NULL) {
		c->rc = dl_error_oom();
		return NULL;
	}
	for (size_t i = 0; i < len; i++)
		k[i] = (char)dl_tolower((unsigned char)k[i]);
	static const char *const pypi[] = {"https://pypi.org/simple", "https://pypi.python.org/simple",
	                                   "http://pypi.org/simple", "http://pypi.python.org/simple",
	                                   "https://files.pythonhosted.org"};
	for (size_t i = 0; i < sizeof(pypi) / sizeof(pypi[0]); i++)
		if (strcmp(k, pypi[i]) == 0)
			return "pypi";
	return k;
}

/* ------------------------------------------------------------------ */
/* Views                                                                */

static void view_source(ctx *c, dpkg *p, const dl_lockfile_source *s)
{
	switch (s->kind) {
	case DL_LOCKFILE_SOURCE_REGISTRY:
		p->source_key = index_key(c, s->url);
		p->source_shown = s->url != NULL ? s->url : "(default index)";
		break;
	case DL_LOCKFILE_SOURCE_URL:
		p->source_shown = p->source_key = ctx_strcat(c, "url ", s->url, NULL);
		break;
	case DL_LOCKFILE_SOURCE_PATH:
		p->source_shown = p->source_key = ctx_strcat(c, "path ", s->path, NULL);
		break;
	case DL_LOCKFILE_SOURCE_DIRECTORY:
		p->source_shown = p->source_key = ctx_strcat(c, "directory ", s->path, s->editable ? " (editable)" : NULL);
		break;
	case DL_LOCKFILE_SOURCE_VCS: {
		const char *repo = ctx_strcat(c, s->vcs != NULL ? s->vcs : "vcs", "+", s->url != NULL ? s->url : s->path);
		p->source_shown = p->source_key =
		    ctx_strcat(c, repo != NULL ? repo : "", s->commit != NULL ? "@" : NULL, s->commit);
		break;
	}
	case DL_LOCKFILE_SOURCE_VIRTUAL:
		p->source_shown = p->source_key = ctx_strcat(c, "virtual ", s->path, NULL);
		break;
	default:
		break;
	}
}

/* Why an entry of another tool's lock runs code at build time. */
static const char *lockfile_from_source(const dl_lockfile_package *lp, const dpkg *p)
{
	if (lp->root)
		return NULL;
	switch (lp->source.kind) {
	case DL_LOCKFILE_SOURCE_VCS:
		return "built from a VCS checkout";
	case DL_LOCKFILE_SOURCE_DIRECTORY:
		return "built from a local directory";
	case DL_LOCKFILE_SOURCE_VIRTUAL:
		return NULL;
	default:
		break;
	}
	if (p->n_sdist > 0 && p->n_wheel == 0 && p->n_unknown == 0)
		return lp->source.kind == DL_LOCKFILE_SOURCE_REGISTRY || lp->source.kind == DL_LOCKFILE_SOURCE_UNKNOWN
		           ? "only an sdist is locked"
		           : "built from a source archive";
	return NULL;
}

static void view_lockfile_pkg(ctx *c, dpkg *p, const dl_lockfile_package *lp)
{
	p->name = lp->normalized_name;
	p->version = lp->version;
	p->version_valid = lp->version_valid;
	p->marker = lp->marker;
	p->marker_norm = marker_norm(c, lp->marker);
	view_source(c, p, &lp->source);
	dfile *f = dl_arena_calloc(c->a, lp->n_files + 1, sizeof(*f));
	if (f == NULL) {
		if (c->rc == 0)
			c->rc = dl_error_oom();
		return;
	}
	for (size_t i = 0; i < lp->n_files; i++) {
		const dl_lockfile_file *lf = &lp->files[i];
		f[i] = (dfile){lf->filename, lf->kind == DL_LOCKFILE_FILE_SDIST || lf->kind == DL_LOCKFILE_FILE_ARCHIVE,
		                lf->hashes, lf->n_hashes};
		switch (lf->kind) {
		case DL_LOCKFILE_FILE_WHEEL:
			p->n_wheel++;
			break;
		case DL_LOCKFILE_FILE_SDIST:
		case DL_LOCKFILE_FILE_ARCHIVE:
			p->n_sdist++;
			break;
		default:
			p->n_unknown++;
			break;
		}
		if (lf->filename == NULL)
			p->n_nameless++;
	}
	p->files = f;
	p->n_files = lp->n_files;
	p->from_source = lockfile_from_source(lp, p);
}

static void add_lock_file(ctx *c, dfile *f, const dl_lock_file *lf)
{
	f->name = lf->name;
	if (lf->sha256 == NULL)
		return;
	dl_lockfile_hash *h = dl_arena_calloc(c->a, 1, sizeof(*h));
	if (h == NULL) {
		if (c->rc == 0)
			c->rc = dl_error_oom();
		return;
	}
	h->algorithm = "sha256";
	h->hex = lf->sha256;
	f->hashes = h;
	f->n_hashes = 1;
}

/* dl_version_is_valid answers false when memory runs out; a diff must
 * fail instead, so parse for real. */
static bool version_valid(ctx *c, const char *v)
{
	if (v == NULL || c->rc != 0)
		return false;
	dl_version ver;
	int rc = dl_version_parse_into(&ver, v, strlen(v));
	if (rc == 0) {
		dl_version_clear(&ver);
		return true;
	}
	if (rc == DL_ENOMEM)
		c->rc = rc;
	else
		dl_error_clear();
	return false;
}

static void view_lock_pkg(ctx *c, dpkg *p, const dl_lock_pkg *lp)
{
	p->name = lp->name;
	p->version = lp->version;
	p->version_valid = version_valid(c, lp->version);
	p->marker = lp->marker;
	p->marker_norm = marker_norm(c, lp->marker);
	p->source_key = index_key(c, lp->index);
	p->source_shown = lp->index != NULL ? lp->index : "(default index)";
	size_t n = lp->n_wheels + (lp->sdist != NULL);
	dfile *f = dl_arena_calloc(c->a, n + 1, sizeof(*f));
	if (f == NULL) {
		if (c->rc == 0)
			c->rc = dl_error_oom();
		return;
	}
	for (size_t i = 0; i < lp->n_wheels; i++)
		add_lock_file(c, &f[i], &lp->wheels[i]);
	if (lp->sdist != NULL) {
		add_lock_file(c, &f[lp->n_wheels], lp->sdist);
		f[lp->n_wheels].sdist = true;
	}
	p->files = f;
	p->n_files = n;
	p->n_wheel = lp->n_wheels;
	p->n_sdist = lp->sdist != NULL;
	if (lp->builds_from_source)
		p->from_source = "builds-from-source: an installer will build it";
	else if (lp->build_env != NULL)
		p->from_source = "build-env: its sdist may be built";
}

static int cmp_pkg(const void *x, const void *y)
{
	const dpkg *a = x, *b = y;
	int r = strcmp(a->name, b->name);
	if (r == 0)
		r = cmp_null(a->version, b->version);
	if (r == 0)
		r = cmp_null(a->marker_norm, b->marker_norm);
	return r;
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void view_lock_set(ctx *c, dset *s, const dl_lock_pkg *pk, size_t n)
{
	s->pkgs = dl_arena_calloc(c->a, n + 1, sizeof(*s->pkgs));
	if (s->pkgs == NULL) {
		if (c->rc == 0)
			c->rc = dl_error_oom();
		return;
	}
	for (size_t i = 0; i < n && c->rc == 0; i++)
		view_lock_pkg(c, &s->pkgs[i], &pk[i]);
	s->n = n;
}

/* The key of a build environment: its sorted requirement set, one per
 * line, or its id when it records none. */
static const char *env_key(ctx *c, const dl_lock_env *e)
{
	if (e->n_requires == 0)
		return ctx_strcat(c, "id:", e->id, NULL);
	const char **v = dl_arena_calloc(c->a, e->n_requires, sizeof(*v));
	if (v == NULL) {
		if (c->rc == 0)
			c->rc = dl_error_oom();
		return NULL;
	}
	memcpy(v, e->requires, e->n_requires * sizeof(*v));
	qsort(v, e->n_requires, sizeof(*v), cmp_cstr);
	dl_buf b = DL_BUF_INIT;
	for (size_t i = 0; i < e->n_requires; i++) {
		dl_buf_puts(&b, v[i]);
		dl_buf_putc(&b, '\n');
	}
	const char *k = b.failed ? NULL : dl_arena_strndup(c->a, b.ptr, b.len);
	dl_buf_free(&b);
	if (k == NULL && c->rc == 0)
		c->rc = dl_error_oom();
	return k;
}

static void view_lock(ctx *c, dside *v, const dl_lock *l)
{
	v->sets = dl_arena_calloc(c->a, l->n_envs + 1, sizeof(*v->sets));
	if (v->sets == NULL) {
		c->rc = dl_error_oom();
		return;
	}
	v->n_sets = l->n_envs + 1;
	view_lock_set(c, &v->sets[0], l->packages, l->n_packages);
	for (size_t i = 0; i < l->n_envs && c->rc == 0; i++) {
		dset *s = &v->sets[i + 1];
		s->id = l->envs[i].id;
		s->requires = l->envs[i].requires;
		s->n_requires = l->envs[i].n_requires;
		s->key = env_key(c, &l->envs[i]);
		view_lock_set(c, s, l->envs[i].packages, l->envs[i].n_packages);
	}
}

static void view_lockfile(ctx *c, dside *v, const dl_lockfile *lf)
{
	v->sets = dl_arena_calloc(c->a, 1, sizeof(*v->sets));
	dpkg *p = dl_arena_calloc(c->a, lf->n_packages + 1, sizeof(*p));
	if (v->sets == NULL || p == NULL) {
		c->rc = dl_error_oom();
		return;
	}
	v->n_sets = 1;
	size_t n = 0;
	for (size_t i = 0; i < lf->n_packages && c->rc == 0; i++) {
		/* A uv workspace root that is not installed is no package. */
		if (lf->packages[i].source.kind == DL_LOCKFILE_SOURCE_VIRTUAL)
			continue;
		view_lockfile_pkg(c, &p[n++], &lf->packages[i]);
	}
	v->sets[0].pkgs = p;
	v->sets[0].n = n;
}

/* Parse one side into the priv's models and the view. */
static int load_side(ctx *c, dside *v, int which, const dl_lockdiff_input *in)
{
	dl_lockdiff_priv *pv = c->d->priv;
	const char *name = in->name != NULL ? in->name : (which == 0 ? "<old>" : "<new>");
	const char *side = which == 0 ? "old" : "new";
	dl_lockfile_format fmt = in->format;
	int rc = 0;
	if (fmt == DL_LOCKFILE_UNKNOWN_FORMAT &&
	    (rc = dl_lockfile_detect(in->path != NULL ? in->path : name, in->data, in->len, &fmt)) != 0)
		return dl_error_context("reading the %s lock %s", side, name);
	v->format = fmt;
	if ((rc = dl_lockfile_parse(&pv->lf[which], fmt, in->data, in->len, name)) != 0)
		return dl_error_context("reading the %s lock %s", side, name);
	const char *by = pv->lf[which]->created_by;
	if (fmt == DL_LOCKFILE_PYLOCK && by != NULL && strncmp(by, "deeplock", 8) == 0 &&
	    (by[8] == '\0' || by[8] == ' ')) {
		/* deeplock's own lock: read its build environments too. */
		if ((rc = dl_lock_read_pylock(&pv->doc[which], in->data, in->len, name)) != 0)
			return dl_error_context("reading the %s lock %s", side, name);
		v->deeplock = true;
		view_lock(c, v, dl_lock_doc_lock(pv->doc[which]));
	} else {
		view_lockfile(c, v, pv->lf[which]);
	}
	for (size_t i = 0; i < v->n_sets && c->rc == 0; i++)
		if (v->sets[i].n > 1)
			qsort(v->sets[i].pkgs, v->sets[i].n, sizeof(dpkg), cmp_pkg);
	return c->rc;
}

/* ------------------------------------------------------------------ */
/* Findings                                                             */

static dl_lockdiff_entry *emit(ctx *c, dl_lockdiff_kind kind, const char *env, const char *name,
                               const char *old_version, const char *new_version)
{
	if (c->rc != 0)
		return NULL;
	dl_lockdiff *d = c->d;
	dl_lockdiff_priv *pv = d->priv;
	if (d->n_entries == pv->cap) {
		size_t cap = pv->cap == 0 ? 16 : pv->cap * 2;
		void *p = pv->entries;
		if (cap < pv->cap || dl_realloc_array(&p, cap, sizeof(dl_lockdiff_entry)) != 0) {
			c->rc = dl_error_oom();
			return NULL;
		}
		pv->entries = p;
		pv->cap = cap;
		d->entries = pv->entries;
	}
	dl_lockdiff_entry *e = &pv->entries[d->n_entries++];
	*e = (dl_lockdiff_entry){.kind = kind, .env = env, .name = name, .old_version = old_version,
	                         .new_version = new_version};
	d->counts[kind]++;
	return e;
}

enum vchange { V_SAME, V_UP, V_DOWN, V_CHANGED };

static enum vchange version_change(ctx *c, const dpkg *o, const dpkg *n)
{
	if (streq_null(o->version, n->version))
		return V_SAME;
	if (!o->version_valid || !n->version_valid)
		return V_CHANGED;
	dl_version a, b;
	int rc = dl_version_parse_into(&a, o->version, strlen(o->version));
	if (rc == 0) {
		rc = dl_version_parse_into(&b, n->version, strlen(n->version));
		if (rc != 0)
			dl_version_clear(&a);
	}
	if (rc != 0) {
		if (rc == DL_ENOMEM)
			c->rc = rc;
		else
			dl_error_clear();
		return V_CHANGED;
	}
	int r = dl_version_cmp(&a, &b);
	dl_version_clear(&a);
	dl_version_clear(&b);
	return r == 0 ? V_SAME : r < 0 ? V_UP : V_DOWN;
}

/* A file's hash in `alg`, or NULL. */
static const char *hash_of(const dfile *f, const char *alg)
{
	for (size_t i = 0; i < f->n_hashes; i++)
		if (strcmp(f->hashes[i].algorithm, alg) == 0)
			return f->hashes[i].hex;
	return NULL;
}

/* Whether any file of `p` has hash alg:hex. */
static bool has_hash(const dpkg *p, const char *alg, const char *hex)
{
	for (size_t i = 0; i < p->n_files; i++) {
		const char *h = hash_of(&p->files[i], alg);
		if (h != NULL && strcmp(h, hex) == 0)
			return true;
	}
	return false;
}

static const dfile *file_named(const dpkg *p, const char *name)
{
	for (size_t i = 0; i < p->n_files; i++)
		if (p->files[i].name != NULL && strcmp(p->files[i].name, name) == 0)
			return &p->files[i];
	return NULL;
}

static int cmp_dfile_out(const void *x, const void *y)
{
	const dl_lockdiff_file *a = x, *b = y;
	int r = cmp_null(a->name, b->name);
	if (r == 0)
		r = cmp_null(a->new_hash, b->new_hash);
	if (r == 0)
		r = cmp_null(a->old_hash, b->old_hash);
	return r;
}

/* The file changes of one version: compared by name when both sides name
 * every file, by bare hash otherwise.  Only something new in the new lock
 * makes a finding; what the old lock alone records is listed with it.  A
 * new sdist already reported as BUILD_SDIST_ADDED (`sdist_reported`) is
 * not reported again. */
static void diff_files(ctx *c, const char *env, const dpkg *o, const dpkg *n, bool sdist_reported)
{
	if (o->n_files == 0 || n->n_files == 0)
		return; /* nothing to compare against */
	bool named = o->n_nameless == 0 && n->n_nameless == 0;
	size_t max = 0;
	for (size_t i = 0; i < o->n_files; i++)
		max += o->files[i].n_hashes + 1;
	for (size_t i = 0; i < n->n_files; i++)
		max += n->files[i].n_hashes + 1;
	dl_lockdiff_file *out = dl_arena_calloc(c->a, max, sizeof(*out));
	if (out == NULL) {
		c->rc = dl_error_oom();
		return;
	}
	size_t k = 0;
	bool news = false, mismatch = false;
	if (named) {
		/* A name may occur more than once (pipenv's pylock writes one entry
		 * per hash): a new file matches when any old file of its name has
		 * its hash, and differs only when none has and one is comparable. */
		for (size_t i = 0; i < n->n_files; i++) {
			const dfile *nf = &n->files[i];
			const char *alg = nf->n_hashes > 0 ? nf->hashes[0].algorithm : "sha256";
			const dfile *of = NULL;
			const char *differs_alg = NULL, *differs_old = NULL, *differs_new = NULL;
			bool same = false;
			for (size_t j = 0; j < o->n_files && !same; j++) {
				if (strcmp(o->files[j].name, nf->name) != 0)
					continue;
				of = &o->files[j];
				bool comparable = false, equal = true;
				for (size_t h = 0; h < nf->n_hashes; h++) {
					const char *oh = hash_of(of, nf->hashes[h].algorithm);
					if (oh == NULL)
						continue;
					comparable = true;
					if (strcmp(oh, nf->hashes[h].hex) != 0 && equal) {
						equal = false;
						if (differs_alg == NULL) {
							differs_alg = nf->hashes[h].algorithm;
							differs_old = oh;
							differs_new = nf->hashes[h].hex;
						}
					}
				}
				same = !comparable || equal;
			}
			if (of == NULL) {
				if (!(nf->sdist && sdist_reported)) {
					out[k++] = (dl_lockdiff_file){nf->name, alg, NULL, hash_of(nf, alg)};
					news = true;
				}
			} else if (!same && differs_alg != NULL) {
				out[k++] = (dl_lockdiff_file){nf->name, differs_alg, differs_old, differs_new};
				news = mismatch = true;
			}
		}
		for (size_t i = 0; i < o->n_files; i++)
			if (file_named(n, o->files[i].name) == NULL) {
				const dfile *of = &o->files[i];
				const char *alg = of->n_hashes > 0 ? of->hashes[0].algorithm : "sha256";
				out[k++] = (dl_lockdiff_file){of->name, alg, hash_of(of, alg), NULL};
			}
	} else {
		/* Bare hashes: only algorithms both sides use can be compared. */
		for (size_t i = 0; i < n->n_files; i++)
			for (size_t h = 0; h < n->files[i].n_hashes; h++) {
				const dl_lockfile_hash *nh = &n->files[i].hashes[h];
				bool comparable = false;
				for (size_t j = 0; j < o->n_files && !comparable; j++)
					comparable = hash_of(&o->files[j], nh->algorithm) != NULL;
				if (comparable && !has_hash(o, nh->algorithm, nh->hex) && !(n->files[i].sdist && sdist_reported)) {
					out[k++] = (dl_lockdiff_file){n->files[i].name, nh->algorithm, NULL, nh->hex};
					news = true;
				}
			}
		for (size_t i = 0; i < o->n_files; i++)
			for (size_t h = 0; h < o->files[i].n_hashes; h++) {
				const dl_lockfile_hash *oh = &o->files[i].hashes[h];
				bool comparable = false;
				for (size_t j = 0; j < n->n_files && !comparable; j++)
					comparable = hash_of(&n->files[j], oh->algorithm) != NULL;
				if (comparable && !has_hash(n, oh->algorithm, oh->hex))
					out[k++] = (dl_lockdiff_file){o->files[i].name, oh->algorithm, oh->hex, NULL};
			}
	}
	if (!news)
		return;
	qsort(out, k, sizeof(*out), cmp_dfile_out);
	dl_lockdiff_entry *e = emit(c, DL_LOCKDIFF_HASH_CHANGED, env, n->name, o->version, n->version);
	if (e != NULL) {
		e->files = out;
		e->n_files = k;
		e->hash_mismatch = mismatch;
	}
}

static bool wheel_only(const dpkg *p)
{
	return p->n_wheel > 0 && p->n_sdist == 0 && p->n_unknown == 0;
}

/* A package of the new set with no counterpart in the old one. */
static void new_only(ctx *c, const char *env, const dpkg *n)
{
	dl_lockdiff_entry *e;
	if (n->from_source != NULL && (e = emit(c, DL_LOCKDIFF_BUILD_FROM_SOURCE, env, n->name, NULL, n->version)))
		e->reason = n->from_source;
	if (env != NULL) {
		if ((e = emit(c, DL_LOCKDIFF_BUILD_ENV_PACKAGE, env, n->name, NULL, n->version)) != NULL)
			e->reason = "new in the build environment";
	} else {
		emit(c, DL_LOCKDIFF_ADDED, NULL, n->name, NULL, n->version);
	}
}

static void pair(ctx *c, const char *env, const dpkg *o, const dpkg *n)
{
	enum vchange vc = version_change(c, o, n);
	dl_lockdiff_entry *e;
	if (n->from_source != NULL && !(vc == V_SAME && o->from_source != NULL) &&
	    (e = emit(c, DL_LOCKDIFF_BUILD_FROM_SOURCE, env, n->name, o->version, n->version)) != NULL)
		e->reason = n->from_source;
	bool sdist_added = n->from_source == NULL && wheel_only(o) && n->n_sdist > 0;
	if (sdist_added && (e = emit(c, DL_LOCKDIFF_BUILD_SDIST_ADDED, env, n->name, o->version, n->version)) != NULL)
		e->reason = "an sdist is locked where only wheels were";
	if (vc != V_SAME && env != NULL) {
		if ((e = emit(c, DL_LOCKDIFF_BUILD_ENV_PACKAGE, env, n->name, o->version, n->version)) != NULL)
			e->reason = "a new version in the build environment";
	} else if (vc != V_SAME) {
		dl_lockdiff_kind k = vc == V_UP     ? DL_LOCKDIFF_UPGRADED
		                     : vc == V_DOWN ? DL_LOCKDIFF_DOWNGRADED
		                                    : DL_LOCKDIFF_VERSION_CHANGED;
		emit(c, k, NULL, n->name, o->version, n->version);
	} else {
		diff_files(c, env, o, n, sdist_added);
	}
	if (o->source_key != NULL && n->source_key != NULL && strcmp(o->source_key, n->source_key) != 0 &&
	    (e = emit(c, DL_LOCKDIFF_SOURCE_CHANGED, env, n->name, o->version, n->version)) != NULL) {
		e->old_value = o->source_shown;
		e->new_value = n->source_shown;
	}
	if (!streq_null(o->marker_norm, n->marker_norm) &&
	    (e = emit(c, DL_LOCKDIFF_MARKER_CHANGED, env, n->name, o->version, n->version)) != NULL) {
		e->old_value = o->marker;
		e->new_value = n->marker;
	}
}

/* Pair the entries of one name: o[0..no) with n[0..nn). */
static void diff_name(ctx *c, const char *env, dpkg *o, size_t no, dpkg *n, size_t nn)
{
	for (int pass = 0; pass < 4; pass++)
		for (size_t i = 0; i < nn && c->rc == 0; i++) {
			if (n[i].paired)
				continue;
			for (size_t j = 0; j < no; j++) {
				if (o[j].paired)
					continue;
				bool v = streq_null(o[j].version, n[i].version);
				bool m = streq_null(o[j].marker_norm, n[i].marker_norm);
				if ((pass == 0 && v && m) || (pass == 1 && v) || (pass == 2 && m) || pass == 3) {
					o[j].paired = n[i].paired = true;
					pair(c, env, &o[j], &n[i]);
					break;
				}
			}
		}
	for (size_t i = 0; i < nn && c->rc == 0; i++)
		if (!n[i].paired)
			new_only(c, env, &n[i]);
	for (size_t j = 0; j < no && c->rc == 0; j++)
		if (!o[j].paired)
			emit(c, DL_LOCKDIFF_REMOVED, env, o[j].name, o[j].version, NULL);
}

/* Diff two package sets (either may be empty) walking their names. */
static void diff_set(ctx *c, const char *env, dset *o, dset *n)
{
	size_t i = 0, j = 0;
	while (c->rc == 0 && (i < o->n || j < n->n)) {
		const char *name;
		if (i >= o->n)
			name = n->pkgs[j].name;
		else if (j >= n->n)
			name = o->pkgs[i].name;
		else
			name = strcmp(o->pkgs[i].name, n->pkgs[j].name) <= 0 ? o->pkgs[i].name : n->pkgs[j].name;
		size_t ie = i, je = j;
		while (ie < o->n && strcmp(o->pkgs[ie].name, name) == 0)
			ie++;
		while (je < n->n && strcmp(n->pkgs[je].name, name) == 0)
			je++;
		diff_name(c, env, o->pkgs + i, ie - i, n->pkgs + j, je - j);
		i = ie;
		j = je;
	}
}

static void diff_envs(ctx *c, dside *o, dside *n)
{
	dset empty = {0};
	for (size_t i = 1; i < n->n_sets && c->rc == 0; i++) {
		dset *ns = &n->sets[i];
		dset *os = NULL;
		for (size_t j = 1; j < o->n_sets && os == NULL; j++)
			if (!o->sets[j].paired && streq_null(o->sets[j].key, ns->key))
				os = &o->sets[j];
		if (os != NULL) {
			os->paired = true;
		} else {
			dl_lockdiff_entry *e = emit(c, DL_LOCKDIFF_BUILD_ENV_ADDED, ns->id, NULL, NULL, NULL);
			if (e != NULL) {
				e->requires = ns->requires;
				e->n_requires = ns->n_requires;
				e->reason = "a new build environment";
			}
		}
		diff_set(c, ns->id, os != NULL ? os : &empty, ns);
	}
	for (size_t j = 1; j < o->n_sets && c->rc == 0; j++) {
		if (o->sets[j].paired)
			continue;
		dl_lockdiff_entry *e = emit(c, DL_LOCKDIFF_BUILD_ENV_REMOVED, o->sets[j].id, NULL, NULL, NULL);
		if (e != NULL) {
			e->requires = o->sets[j].requires;
			e->n_requires = o->sets[j].n_requires;
		}
	}
}

static int cmp_entry(const void *x, const void *y)
{
	const dl_lockdiff_entry *a = x, *b = y;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	int r = cmp_null(a->env, b->env);
	if (r == 0)
		r = cmp_null(a->name, b->name);
	if (r == 0)
		r = cmp_null(a->new_version, b->new_version);
	if (r == 0)
		r = cmp_null(a->old_version, b->old_version);
	if (r == 0)
		r = cmp_null(a->new_value, b->new_value);
	if (r == 0)
		r = cmp_null(a->old_value, b->old_value);
	return r;
}

/* ------------------------------------------------------------------ */
/* Public                                                               */

void dl_lockdiff_free(dl_lockdiff *d)
{
	if (d == NULL)
		return;
	dl_lockdiff_priv *pv = d->priv;
	if (pv != NULL) {
		for (int i = 0; i < 2; i++) {
			dl_lockfile_free(pv->lf[i]);
			dl_lock_doc_free(pv->doc[i]);
		}
		dl_free(pv->entries);
		dl_arena_free(pv->a);
		dl_free(pv);
	}
	dl_free(d);
}

int dl_lockdiff_compute(dl_lockdiff **out, const dl_lockdiff_input *old_lock, const dl_lockdiff_input *new_lock)
{
	if (out == NULL || old_lock == NULL || new_lock == NULL || (old_lock->data == NULL && old_lock->len > 0) ||
	    (new_lock->data == NULL && new_lock->len > 0))
		return dl_error_set(DL_EINVAL, "dl_lockdiff_compute: missing argument");
	int rc = 0;
	dside o = {0}, n = {0};
	dl_lockdiff *d = dl_calloc(1, sizeof(*d));
	if (d == NULL)
		return dl_error_oom();
	ctx c = {d, NULL, 0};
	d->priv = dl_calloc(1, sizeof(*d->priv));
	if (d->priv == NULL || dl_arena_new(&d->priv->a) != 0) {
		rc = dl_error_oom();
		goto done;
	}
	c.a = d->priv->a;
	if ((rc = load_side(&c, &o, 0, old_lock)) != 0 || (rc = load_side(&c, &n, 1, new_lock)) != 0)
		goto done;
	d->old_format = o.format;
	d->new_format = n.format;
	d->old_deeplock = o.deeplock;
	d->new_deeplock = n.deeplock;
	diff_set(&c, NULL, &o.sets[0], &n.sets[0]);
	diff_envs(&c, &o, &n);
	if ((rc = c.rc) != 0)
		goto done;
	if (d->n_entries > 1)
		qsort(d->priv->entries, d->n_entries, sizeof(dl_lockdiff_entry), cmp_entry);
	d->entries = d->priv->entries;
done:
	if (rc != 0) {
		dl_lockdiff_free(d);
		return rc;
	}
	*out = d;
	return 0;
}
