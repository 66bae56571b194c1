/*
 * memsource.c - a dl_py_source held in memory (see deeplock/pyresolve.h).
 *
 * The packse scenarios, the resolvelib snapshots, the unit tests and the
 * benchmarks all describe small universes; this is where they are put.
 * Strings live in one arena; projects are found by normal name through a
 * string pool and a dense id map (a snapshot has hundreds of projects and
 * tens of thousands of adds).  The public views (dl_py_project,
 * dl_py_release, dl_py_meta) are kept up to date on every add, so handing
 * them out costs nothing; they move when more is added, which is why a
 * source must not grow while a resolution uses it.
 */
#include <string.h>

#include "deeplock/filename.h"
#include "deeplock/name.h"
#include "deeplock/pyresolve.h"
#include "deeplock/strpool.h"

typedef struct mrel {
	dl_py_file *files;
	size_t capfiles;
	const char **reqs;
	size_t nreqs, capreqs;
	const char **extras;
	size_t nextras, capextras;
	dl_py_meta meta;
} mrel;

typedef struct mproj {
	dl_py_project pub;
	const char *norm;
	dl_py_release *rels;
	mrel *ext;
	size_t n, cap;
} mproj;

struct dl_py_memsource {
	dl_arena *arena;
	dl_strpool *pool;
	uint32_t *by_str; /* string id -> project index + 1 */
	size_t by_str_cap;
	mproj *pj;
	size_t npj, cappj;
};

int dl_py_memsource_new(dl_py_memsource **out)
{
	dl_py_memsource *ms = dl_calloc(1, sizeof(*ms));
	if (ms == NULL)
		return dl_error_oom();
	int rc;
	if ((rc = dl_arena_new(&ms->arena)) < 0 || (rc = dl_strpool_new(&ms->pool)) < 0) {
		dl_py_memsource_free(ms);
		return rc;
	}
	*out = ms;
	return 0;
}

void dl_py_memsource_free(dl_py_memsource *ms)
{
	if (ms == NULL)
		return;
	for (size_t i = 0; i < ms->npj; i++) {
		mproj *p = &ms->pj[i];
		for (size_t k = 0; k < p->n; k++) {
			dl_version_clear(&p->rels[k].version);
			for (size_t f = 0; f < p->rels[k].nfiles; f++)
				dl_tagset_free((dl_tagset *)p->ext[k].files[f].tags);
			dl_free(p->ext[k].files);
			dl_free(p->ext[k].reqs);
			dl_free(p->ext[k].extras);
		}
		dl_free(p->rels);
		dl_free(p->ext);
	}
	dl_free(ms->pj);
	dl_free(ms->by_str);
	dl_strpool_free(ms->pool);
	dl_arena_free(ms->arena);
	dl_free(ms);
}

/* The project index of a normal name, or -1. */
static long find(const dl_py_memsource *ms, const char *norm)
{
	dl_strid sid = dl_strpool_find(ms->pool, norm, strlen(norm));
	if (sid == 0 || sid >= ms->by_str_cap || ms->by_str[sid] == 0)
		return -1;
	return (long)ms->by_str[sid] - 1;
}

/* Normalise `name` into `buf` (room for 256); DL_EPARSE when invalid. */
static int normalize(const char *name, char *buf, size_t cap)
{
	size_t len = strlen(name);
	if (!dl_name_is_valid(name, len))
		return dl_error_set(DL_EPARSE, "invalid project name '%s'", name);
	if (len >= cap)
		return dl_error_set(DL_ELIMIT, "project name '%.40s...' is too long", name);
	dl_name_normalize_into(buf, name, len);
	return 0;
}

static int get_project(dl_py_memsource *ms, const char *name, bool create, mproj **out)
{
	char norm[256];
	int rc = normalize(name, norm, sizeof(norm));
	if (rc < 0)
		return rc;
	long i = find(ms, norm);
	if (i >= 0) {
		*out = &ms->pj[i];
		return 0;
	}
	if (!create)
		return dl_error_set(DL_ENOTFOUND, "no project '%s'", name);
	dl_strid sid;
	if ((rc = dl_strpool_intern(ms->pool, norm, strlen(norm), &sid)) < 0)
		return rc;
	if (sid >= ms->by_str_cap) {
		size_t cap = ms->by_str_cap ? ms->by_str_cap : 64;
		while (cap <= sid)
			cap *= 2;
		if (dl_realloc_array((void **)&ms->by_str, cap, sizeof(*ms->by_str)) < 0)
			return dl_error_oom();
		memset(ms->by_str + ms->by_str_cap, 0, (cap - ms->by_str_cap) * sizeof(*ms->by_str));
		ms->by_str_cap = cap;
	}
	if (ms->npj == ms->cappj) {
		size_t cap = ms->cappj ? ms->cappj * 2 : 16;
		if (ms->npj >= UINT32_MAX / 4)
			return dl_error_set(DL_ELIMIT, "too many projects");
		if (dl_realloc_array((void **)&ms->pj, cap, sizeof(*ms->pj)) < 0)
			return dl_error_oom();
		ms->cappj = cap;
	}
	mproj *p = &ms->pj[ms->npj];
	memset(p, 0, sizeof(*p));
	p->norm = dl_strpool_str(ms->pool, sid);
	p->pub.name = dl_arena_strndup(ms->arena, name, strlen(name));
	if (p->pub.name == NULL)
		return dl_error_oom();
	ms->by_str[sid] = (uint32_t)ms->npj + 1;
	ms->npj++;
	*out = p;
	return 0;
}

int dl_py_memsource_add_release(dl_py_memsource *ms, const char *name, const char *version, size_t *index)
{
	mproj *p = NULL;
	int rc = get_project(ms, name, true, &p);
	if (rc < 0)
		return rc;
	for (size_t k = 0; k < p->n; k++) {
		if (strcmp(p->rels[k].version_text, version) == 0)
			return dl_error_set(DL_EINVAL, "%s %s is given twice", name, version);
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		if (dl_realloc_array((void **)&p->rels, cap, sizeof(*p->rels)) < 0)
			return dl_error_oom();
		p->pub.releases = p->rels; /* the array moved: even if this release fails below */
		if (dl_realloc_array((void **)&p->ext, cap, sizeof(*p->ext)) < 0)
			return dl_error_oom();
		p->cap = cap;
	}
	dl_py_release *r = &p->rels[p->n];
	mrel *e = &p->ext[p->n];
	memset(r, 0, sizeof(*r));
	memset(e, 0, sizeof(*e));
	if ((rc = dl_version_parse_into(&r->version, version, strlen(version))) < 0)
		return dl_error_context("adding a release of %s", name);
	if ((r->version_text = dl_arena_strndup(ms->arena, version, strlen(version))) == NULL) {
		dl_version_clear(&r->version);
		return dl_error_oom();
	}
	e->meta.available = true;
	*index = p->n++;
	p->pub.releases = p->rels;
	p->pub.nreleases = p->n;
	return 0;
}

static int get_release(dl_py_memsource *ms, const char *name, size_t release, mproj **p)
{
	int rc = get_project(ms, name, false, p);
	if (rc < 0)
		return rc;
	if (release >= (*p)->n)
		return dl_error_set(DL_EINVAL, "%s has no release %zu", name, release);
	return 0;
}

static int push_str(dl_py_memsource *ms, const char ***arr, size_t *n, size_t *cap, const char *s)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 4;
		if (dl_realloc_array((void **)arr, nc, sizeof(**arr)) < 0)
			return dl_error_oom();
		*cap = nc;
	}
	const char *c = dl_arena_strndup(ms->arena, s, strlen(s));
	if (c == NULL)
		return dl_error_oom();
	(*arr)[(*n)++] = c;
	return 0;
}

int dl_py_memsource_add_file(dl_py_memsource *ms, const char *name, size_t release, const char *filename,
                             const char *requires_python, bool yanked)
{
	mproj *p = NULL;
	int rc = get_release(ms, name, release, &p);
	if (rc < 0)
		return rc;
	dl_py_release *r = &p->rels[release];
	mrel *e = &p->ext[release];
	if (r->nfiles == e->capfiles) {
		size_t cap = e->capfiles ? e->capfiles * 2 : 4;
		if (dl_realloc_array((void **)&e->files, cap, sizeof(*e->files)) < 0)
			return dl_error_oom();
		e->capfiles = cap;
	}
	dl_py_file f = {0};
	f.filename = dl_arena_strndup(ms->arena, filename, strlen(filename));
	f.requires_python = requires_python != NULL ? dl_arena_strndup(ms->arena, requires_python, strlen(requires_python))
	                                            : NULL;
	if (f.filename == NULL || (requires_python != NULL && f.requires_python == NULL))
		return dl_error_oom();
	f.yanked = yanked;
	f.is_wheel = dl_filename_classify(filename, strlen(filename)) == DL_DIST_WHEEL;
	if (f.is_wheel) {
		dl_wheel_filename *w = NULL;
		rc = dl_filename_parse_wheel(&w, filename, strlen(filename));
		if (rc == DL_ENOMEM)
			return rc;
		if (rc == 0) {
			f.tags = w->tags;
			w->tags = NULL;
		} else {
			dl_error_clear(); /* a wheel nobody can install */
		}
		dl_wheel_filename_free(w);
	}
	e->files[r->nfiles++] = f;
	r->files = e->files;
	r->files_known = true;
	return 0;
}

int dl_py_memsource_set_files_known(dl_py_memsource *ms, const char *name, size_t release)
{
	mproj *p = NULL;
	int rc = get_release(ms, name, release, &p);
	if (rc == 0)
		p->rels[release].files_known = true;
	return rc;
}

int dl_py_memsource_set_yanked(dl_py_memsource *ms, const char *name, size_t release, bool yanked)
{
	mproj *p = NULL;
	int rc = get_release(ms, name, release, &p);
	if (rc == 0)
		p->rels[release].yanked = yanked;
	return rc;
}

int dl_py_memsource_add_requires(dl_py_memsource *ms, const char *name, size_t release, const char *req)
{
	mproj *p = NULL;
	int rc = get_release(ms, name, release, &p);
	if (rc < 0)
		return rc;
	mrel *e = &p->ext[release];
	if ((rc = push_str(ms, &e->reqs, &e->nreqs, &e->capreqs, req)) < 0)
		return rc;
	e->meta.requires_dist = e->reqs;
	e->meta.nrequires_dist = e->nreqs;
	return 0;
}

int dl_py_memsource_set_requires_python(dl_py_memsource *ms, const char *name, size_t release, const char *spec)
{
	mproj *p = NULL;
	int rc = get_release(ms, name, release, &p);
	if (rc < 0)
		return rc;
	const char *c = dl_arena_strndup(ms->arena, spec, strlen(spec));
	if (c == NULL)
		return dl_error_oom();
	p->ext[release].meta.requires_python = c;
	return 0;
}

int dl_py_memsource_add_extra(dl_py_memsource *ms, const char *name, size_t release, const char *extra)
{
	mproj *p = NULL;
	int rc = get_release(ms, name, release, &p);
	if (rc < 0)
		return rc;
	mrel *e = &p->ext[release];
	if ((rc = push_str(ms, &e->extras, &e->nextras, &e->capextras, extra)) < 0)
		return rc;
	e->meta.provides_extra = e->extras;
	e->meta.nprovides_extra = e->nextras;
	return 0;
}

int dl_py_memsource_set_unavailable(dl_py_memsource *ms, const char *name, size_t release, const char *reason)
{
	mproj *p = NULL;
	int rc = get_release(ms, name, release, &p);
	if (rc < 0)
		return rc;
	const char *c = reason != NULL ? dl_arena_strndup(ms->arena, reason, strlen(reason)) : NULL;
	if (reason != NULL && c == NULL)
		return dl_error_oom();
	p->ext[release].meta.available = false;
	p->ext[release].meta.reason = c;
	return 0;
}

const dl_py_project *dl_py_memsource_project(const dl_py_memsource *ms, const char *name)
{
	char norm[256];
	size_t len = strlen(name);
	if (len >= sizeof(norm))
		return NULL;
	dl_name_normalize_into(norm, name, len);
	long i = find(ms, norm);
	return i >= 0 ? &ms->pj[i].pub : NULL;
}

size_t dl_py_memsource_count(const dl_py_memsource *ms)
{
	return ms->npj;
}

const char *dl_py_memsource_name(const dl_py_memsource *ms, size_t i)
{
	return i < ms->npj ? ms->pj[i].norm : NULL;
}

const dl_py_meta *dl_py_memsource_meta(const dl_py_memsource *ms, const char *name, size_t release)
{
	char norm[256];
	size_t len = strlen(name);
	if (len >= sizeof(norm))
		return NULL;
	dl_name_normalize_into(norm, name, len);
	long i = find(ms, norm);
	if (i < 0 || release >= ms->pj[i].n)
		return NULL;
	return &ms->pj[i].ext[release].meta;
}

static int src_project(void *ctx, const char *name, const dl_py_project **out)
{
	*out = dl_py_memsource_project(ctx, name);
	return 0;
}

static int src_metadata(void *ctx, const char *name, size_t release, const dl_py_meta **out)
{
	*out = dl_py_memsource_meta(ctx, name, release);
	if (*out == NULL)
		return dl_error_set(DL_EINVAL, "no metadata for %s release %zu", name, release);
	return 0;
}

void dl_py_memsource_source(dl_py_memsource *ms, dl_py_source *out)
{
	memset(out, 0, sizeof(*out));
	out->ctx = ms;
	out->project = src_project;
	out->metadata = src_metadata;
}
