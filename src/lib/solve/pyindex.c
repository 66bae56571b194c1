/*
 * pyindex.c - resolution against a package index: the index client as a
 * source of the Python-rules layer (pyresolve.h), exposed as the lock
 * engine's resolver.
 *
 * Design.  Python's rules live once, in pyresolve; this file only answers
 * its questions from the index client.  A project's releases are built
 * once, when its page arrives, by grouping the client's files by version
 * (the client sorts them newest first), and stay valid for every later
 * resolution, so one dl_pyindex serves the runtime set and every build
 * environment of a lock and each page and metadata file is fetched once.
 * A release's metadata is read from one of its files: a wheel offering a
 * PEP 658 file when there is one (cheapest), else any wheel (range
 * requests), else the sdist, read statically; all files of a release carry
 * the same metadata.  An sdist whose dependencies only running code could
 * tell makes the release unavailable, with that reason.
 *
 * The layer's callbacks are synchronous: when an answer has not arrived,
 * the request is queued (unless a prefetch hint already did) and the fetch
 * engine runs until it is in; earlier hints complete meanwhile, so the
 * network stays busy while the solver works.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/marker.h"
#include "deeplock/name.h"
#include "deeplock/pyindex.h"
#include "deeplock/pyresolve.h"
#include "deeplock/requirement.h"
#include "deeplock/specifier.h"
#include "deeplock/tags.h"

typedef struct rel {
	size_t first, count; /* the release's files in the client project */
	bool meta_asked, meta_done;
	int meta_rc;
	char *meta_error;
	dl_py_meta meta;
} rel;

typedef struct sproj {
	char *name; /* normalised */
	bool asked, done;
	int rc;
	char *error;
	const dl_client_project *cp;
	dl_py_project proj;
	rel *rels;
	/* A build requirement on this project was hinted (hint_reqs): once
	 * the page is in, the metadata of the newest release it allows is
	 * fetched too, the one its resolution will most likely try first. */
	dl_requirement *hint_req;
	bool hinted_meta;
	struct sproj *next;
} sproj;

struct ask;

struct dl_pyindex {
	dl_pyindex_opts o;
	dl_client *client;
	dl_arena *a;
	dl_py_target target;
	char *environment;
	dl_mregion *region; /* universal: the environments to lock for */
	dl_requirement **constraints;
	size_t n_constraints;
	dl_requirement **overrides;
	size_t n_overrides;
	dl_py_preference *prefs;
	sproj *projects; /* a list: a lock touches hundreds, not millions */
	struct ask *asks;
	dl_arena *pin_arena;
	dl_pyindex_stats stats;
};

/* ------------------------------------------------------------------ */
/* Outstanding questions to the client                                  */

typedef struct ask {
	dl_pyindex *p;
	sproj *sp;
	size_t release;
	struct ask *prev, *next;
} ask;

static ask *ask_new(dl_pyindex *p, sproj *sp, size_t release)
{
	ask *a = dl_calloc(1, sizeof *a);
	if (a == NULL)
		return NULL;
	*a = (ask){p, sp, release, NULL, p->asks};
	if (p->asks != NULL)
		p->asks->prev = a;
	p->asks = a;
	return a;
}

static void ask_free(ask *a)
{
	if (a->prev != NULL)
		a->prev->next = a->next;
	else
		a->p->asks = a->next;
	if (a->next != NULL)
		a->next->prev = a->prev;
	dl_free(a);
}

static char *astrdup(dl_arena *a, const char *s)
{
	return s != NULL ? dl_arena_strndup(a, s, strlen(s)) : NULL;
}

/* ------------------------------------------------------------------ */
/* Projects                                                             */

static sproj *find_proj(dl_pyindex *p, const char *name)
{
	for (sproj *sp = p->projects; sp != NULL; sp = sp->next)
		if (strcmp(sp->name, name) == 0)
			return sp;
	return NULL;
}

static sproj *get_proj(dl_pyindex *p, const char *name)
{
	sproj *sp = find_proj(p, name);
	if (sp != NULL)
		return sp;
	sp = dl_arena_calloc(p->a, 1, sizeof(*sp));
	if (sp == NULL || (sp->name = astrdup(p->a, name)) == NULL)
		return NULL;
	sp->next = p->projects;
	p->projects = sp;
	return sp;
}

/* Group the client's files (newest first) into releases, once. */
static int build_releases(dl_pyindex *p, sproj *sp)
{
	const dl_client_project *cp = sp->cp;
	size_t n = cp->n_files;
	dl_py_release *r = dl_arena_calloc(p->a, n + 1, sizeof(*r));
	dl_py_file *files = dl_arena_calloc(p->a, n + 1, sizeof(*files));
	sp->rels = dl_arena_calloc(p->a, n + 1, sizeof(*sp->rels));
	if (r == NULL || files == NULL || sp->rels == NULL)
		return dl_error_oom();
	size_t nr = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && dl_version_cmp(&cp->files[j].version, &cp->files[i].version) == 0)
			j++;
		dl_py_release *rr = &r[nr];
		rr->version_text = cp->files[i].version_text;
		rr->version = cp->files[i].version; /* borrowed from the client: shallow, never cleared here */
		rr->files_known = true;
		rr->files = &files[i];
		rr->nfiles = j - i;
		rr->yanked = true;
		for (size_t f = i; f < j; f++) {
			const dl_client_file *cf = &cp->files[f];
			files[f] = (dl_py_file){cf->file->filename, cf->file->requires_python, cf->file->yanked,
			                        cf->file->yanked_reason, cf->kind == DL_DIST_WHEEL,
			                        cf->wheel != NULL ? cf->wheel->tags : NULL};
			rr->yanked = rr->yanked && cf->file->yanked;
		}
		sp->rels[nr] = (rel){i, j - i, false, false, 0, NULL, {0}};
		nr++;
		i = j;
	}
	sp->proj.name = sp->name;
	sp->proj.releases = r;
	sp->proj.nreleases = nr;
	return 0;
}

static void hint_meta(dl_pyindex *p, sproj *sp);
static int ask_meta(dl_pyindex *p, sproj *sp, size_t release);

static void on_project(dl_client *c, const dl_client_project *cp, int rc, void *user)
{
	(void)c;
	ask *a = user;
	dl_pyindex *p = a->p;
	sproj *sp = a->sp;
	ask_free(a);
	sp->done = true;
	sp->rc = rc;
	if (rc == 0) {
		sp->cp = cp;
		p->stats.projects++;
		sp->rc = build_releases(p, sp);
	}
	if (sp->rc != 0)
		sp->error = astrdup(p->a, dl_error_last()->message);
	else
		hint_meta(p, sp);
}

static int ask_project(dl_pyindex *p, sproj *sp)
{
	if (sp->asked)
		return 0;
	ask *a = ask_new(p, sp, 0);
	if (a == NULL)
		return dl_error_oom();
	sp->asked = true;
	int rc = dl_client_project_get(p->client, sp->name, on_project, a);
	if (rc != 0) {
		ask_free(a);
		sp->asked = false;
	}
	return rc;
}

static int src_project(void *ctx, const char *name, const dl_py_project **out)
{
	dl_pyindex *p = ctx;
	*out = NULL;
	sproj *sp = get_proj(p, name);
	if (sp == NULL)
		return dl_error_oom();
	int rc = ask_project(p, sp);
	if (rc == 0 && !sp->done)
		rc = dl_client_wait(p->client, &sp->done);
	if (rc == 0 && !sp->done)
		rc = dl_error_set(DL_ERROR, "the network engine stopped before the index answered for '%s'", name);
	if (rc == 0 && sp->rc != 0)
		rc = dl_error_set(sp->rc, "%s", sp->error != NULL ? sp->error : "out of memory");
	if (rc == 0 && sp->cp->found)
		*out = &sp->proj;
	return rc;
}

static void src_prefetch_project(void *ctx, const char *name)
{
	dl_pyindex *p = ctx;
	sproj *sp = get_proj(p, name);
	if (sp == NULL || ask_project(p, sp) != 0)
		dl_error_clear(); /* a hint only */
}

/* ------------------------------------------------------------------ */
/* Metadata                                                             */

/* The file to read a release's metadata from: a wheel with a PEP 658
 * file, else a wheel, else the sdist. */
static size_t meta_file(const dl_client_project *cp, const rel *r)
{
	size_t wheel = SIZE_MAX, sdist = SIZE_MAX;
	for (size_t f = r->first; f < r->first + r->count; f++) {
		const dl_client_file *cf = &cp->files[f];
		if (cf->kind == DL_DIST_WHEEL) {
			if (cf->file->core_metadata.available)
				return f;
			if (wheel == SIZE_MAX)
				wheel = f;
		} else if (sdist == SIZE_MAX) {
			sdist = f;
		}
	}
	return wheel != SIZE_MAX ? wheel : sdist;
}

/* "req ; extra == 'x'" for a requirement of extra x from an sdist's static
 * lists, keeping the requirement's own marker. */
static const char *with_extra(dl_arena *a, const char *req, const char *extra)
{
	dl_requirement *r = NULL;
	if (dl_requirement_parse(&r, req, strlen(req)) != 0) {
		dl_error_clear();
		return astrdup(a, req); /* the layer reports it as unparsable */
	}
	char *marker = NULL;
	if (r->marker != NULL && dl_marker_to_string(&marker, r->marker) != 0) {
		dl_requirement_free(r);
		return NULL;
	}
	dl_marker_free(r->marker);
	r->marker = NULL;
	char *bare = NULL;
	int rc = dl_requirement_to_string(&bare, r);
	dl_requirement_free(r);
	dl_buf b = DL_BUF_INIT;
	if (rc == 0) {
		if (marker != NULL)
			dl_buf_printf(&b, "%s ; (%s) and extra == \"%s\"", bare, marker, extra);
		else
			dl_buf_printf(&b, "%s ; extra == \"%s\"", bare, extra);
	}
	const char *s = rc == 0 && !b.failed ? astrdup(a, b.ptr) : NULL;
	dl_buf_free(&b);
	dl_free(bare);
	dl_free(marker);
	return s;
}

/* Turn the client's answer into the layer's metadata. */
static int take_meta(dl_pyindex *p, rel *r, const dl_client_meta *m)
{
	const dl_metadata *md = m->metadata;
	const dl_sdist *sd = m->sdist;
	dl_py_meta *pm = &r->meta;
	pm->available = true;
	bool pkg_info = md != NULL && (sd == NULL || (md->mv_major == 2 && md->mv_minor >= 2 &&
	                                              !dl_metadata_is_dynamic(md, "Requires-Dist")));
	if (pkg_info) {
		pm->requires_dist = (const char *const *)md->requires_dist;
		pm->nrequires_dist = md->n_requires_dist;
		pm->requires_python = md->requires_python;
		pm->provides_extra = (const char *const *)md->provides_extra;
		pm->nprovides_extra = md->n_provides_extra;
		return 0;
	}
	if (sd == NULL)
		return dl_error_set(DL_EPARSE, "no metadata");
	if (sd->requires.dynamic != NULL || sd->extras.dynamic != NULL) {
		pm->available = false;
		pm->reason = astrdup(p->a, "its dependencies can only be known by running its build");
		return pm->reason == NULL ? dl_error_oom() : 0;
	}
	size_t n = sd->requires.count + sd->extras.count;
	const char **reqs = dl_arena_calloc(p->a, n + 1, sizeof(*reqs));
	if (reqs == NULL)
		return dl_error_oom();
	for (size_t i = 0; i < sd->requires.count; i++)
		reqs[i] = sd->requires.items[i].req;
	for (size_t i = 0; i < sd->extras.count; i++)
		if ((reqs[sd->requires.count + i] = with_extra(p->a, sd->extras.items[i].req, sd->extras.items[i].extra)) ==
		    NULL)
			return dl_error_oom();
	pm->requires_dist = reqs;
	pm->nrequires_dist = n;
	pm->requires_python = sd->requires_python.value;
	pm->provides_extra = sd->extra_names;
	pm->nprovides_extra = sd->extra_names_count;
	return 0;
}

/* The metadata of the newest final release the hinted specifier allows
 * (see sproj.hint_spec), once the page is in. */
static void hint_meta(dl_pyindex *p, sproj *sp)
{
	if (sp->hint_req == NULL || sp->hinted_meta || !sp->done || sp->rc != 0 || sp->cp == NULL || !sp->cp->found)
		return;
	sp->hinted_meta = true;
	for (size_t i = 0; i < sp->proj.nreleases; i++) {
		const dl_py_release *r = &sp->proj.releases[i];
		if (r->yanked || dl_version_is_prerelease(&r->version) ||
		    !dl_specset_contains(sp->hint_req->specifier, &r->version, 0))
			continue;
		if (ask_meta(p, sp, i) != 0)
			dl_error_clear(); /* a hint only */
		return;
	}
}

/* Hint the project pages a list of requirement strings names, and the
 * metadata of the release each requirement most likely resolves to. */
static void hint_reqs(dl_pyindex *p, const char *const *reqs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		dl_requirement *req = NULL;
		sproj *sp = NULL;
		bool applies = true;
		if (dl_requirement_parse(&req, reqs[i], strlen(reqs[i])) == 0 && req->marker != NULL &&
		    dl_marker_evaluate(req->marker, p->target.env, &applies) != 0)
			applies = true; /* cannot tell here: the resolution will */
		if (req != NULL && applies && req->url == NULL && (sp = get_proj(p, req->normalized_name)) != NULL &&
		    sp->hint_req == NULL) {
			sp->hint_req = req; /* kept, freed with the resolver */
			req = NULL;
			if (ask_project(p, sp) == 0)
				hint_meta(p, sp);
		}
		dl_requirement_free(req);
		dl_error_clear(); /* a hint only */
	}
}

/* An sdist read for its metadata is a package that will be built: its
 * build environment is resolved later, so start fetching the pages of its
 * build requirements now, while the resolution goes on. */
static void hint_build(dl_pyindex *p, const dl_sdist *sd)
{
	const dl_sdist_reqs *lists[] = {&sd->build_requires, &sd->setup_requires};
	for (size_t l = 0; l < 2; l++)
		for (size_t i = 0; i < lists[l]->count; i++)
			hint_reqs(p, &lists[l]->items[i].req, 1);
}

static void on_meta(dl_client *c, const dl_client_meta *m, int rc, void *user)
{
	(void)c;
	ask *a = user;
	dl_pyindex *p = a->p;
	rel *r = &a->sp->rels[a->release];
	ask_free(a);
	r->meta_done = true;
	if (rc == 0 && m->sdist != NULL)
		hint_build(p, m->sdist);
	if (rc == 0)
		rc = take_meta(p, r, m);
	r->meta_rc = rc;
	if (rc != 0)
		r->meta_error = astrdup(p->a, dl_error_last()->message);
	else
		p->stats.metadata++;
}

static int ask_meta(dl_pyindex *p, sproj *sp, size_t release)
{
	rel *r = &sp->rels[release];
	if (r->meta_asked)
		return 0;
	size_t f = meta_file(sp->cp, r);
	if (f == SIZE_MAX) {
		r->meta_asked = r->meta_done = true;
		r->meta.available = false;
		r->meta.reason = "it has no file to read metadata from";
		return 0;
	}
	ask *a = ask_new(p, sp, release);
	if (a == NULL)
		return dl_error_oom();
	r->meta_asked = true;
	int rc = dl_client_meta_get(p->client, sp->cp, f, on_meta, a);
	if (rc != 0) {
		ask_free(a);
		r->meta_asked = false;
	}
	return rc;
}

static int src_metadata(void *ctx, const char *name, size_t release, const dl_py_meta **out)
{
	dl_pyindex *p = ctx;
	sproj *sp = find_proj(p, name);
	if (sp == NULL || !sp->done || sp->rc != 0 || release >= sp->proj.nreleases)
		return dl_error_set(DL_EINVAL, "no release %zu of '%s'", release, name);
	rel *r = &sp->rels[release];
	int rc = ask_meta(p, sp, release);
	if (rc == 0 && !r->meta_done)
		rc = dl_client_wait(p->client, &r->meta_done);
	if (rc == 0 && !r->meta_done)
		rc = dl_error_set(DL_ERROR, "the network engine stopped before the metadata of %s %s arrived", name,
		                  sp->proj.releases[release].version_text);
	if (rc == 0 && r->meta_rc != 0)
		rc = dl_error_set(r->meta_rc, "%s", r->meta_error != NULL ? r->meta_error : "out of memory");
	if (rc == 0)
		*out = &r->meta;
	return rc;
}

static void src_prefetch_metadata(void *ctx, const char *name, size_t release)
{
	dl_pyindex *p = ctx;
	sproj *sp = find_proj(p, name);
	if (sp != NULL && sp->done && sp->rc == 0 && release < sp->proj.nreleases && ask_meta(p, sp, release) != 0)
		dl_error_clear(); /* a hint only */
}

/* ------------------------------------------------------------------ */
/* Setup                                                                */

/* Every environment whose Python `spec` admits; the lock's environment
 * marker says the same. */
static int universal_region(dl_pyindex *p, const char *spec)
{
	dl_specset *set = NULL;
	int rc = dl_specset_parse(&set, spec, strlen(spec));
	if (rc != 0)
		return dl_error_context("reading the Python of the universal lock");
	rc = dl_mregion_python(&p->region, set);
	dl_specset_free(set);
	char *text = NULL;
	if (rc == 0 && (rc = dl_mregion_to_string(&text, p->region)) == 0) {
		p->environment = text[0] != '\0' ? astrdup(p->a, text) : NULL;
		if (text[0] != '\0' && p->environment == NULL)
			rc = dl_error_oom();
	}
	dl_free(text);
	return rc;
}

int dl_pyindex_new(dl_pyindex **out, const dl_pyindex_opts *o)
{
	if (o == NULL || o->version != DL_PYINDEX_OPTS_VERSION || o->client == NULL)
		return dl_error_set(DL_EINVAL, "dl_pyindex_new: bad options");
	dl_pyindex *p = dl_calloc(1, sizeof *p);
	if (p == NULL || dl_arena_new(&p->a) != 0) {
		dl_free(p);
		return dl_error_oom();
	}
	p->o = *o;
	p->client = o->client;
	const char *py = o->python != NULL ? o->python : "3.11";
	int rc = dl_py_target_init(&p->target, py, strlen(py),
	                           o->platform != NULL ? o->platform : "manylinux_2_36_x86_64");
	bool target_ok = rc == 0;
	if (rc == 0) {
		/* "3.11" means any 3.11.x interpreter: say python_version then, so
		 * an installer on 3.11.7 matches; "3.11.4" pins the full version. */
		const char *sys = dl_marker_env_get(p->target.env, DL_MARKER_SYS_PLATFORM);
		const char *mach = dl_marker_env_get(p->target.env, DL_MARKER_PLATFORM_MACHINE);
		const char *pv = dl_marker_env_get(p->target.env, DL_MARKER_PYTHON_VERSION);
		bool micro = strchr(py, '.') != NULL && strchr(strchr(py, '.') + 1, '.') != NULL;
		dl_buf b = DL_BUF_INIT;
		if (micro)
			dl_buf_printf(&b, "python_full_version == \"%s\"", p->target.python_text);
		else
			dl_buf_printf(&b, "python_version == \"%s\"", pv);
		dl_buf_printf(&b, " and sys_platform == \"%s\" and platform_machine == \"%s\"", sys, mach);
		p->environment = b.failed ? NULL : astrdup(p->a, b.ptr);
		dl_buf_free(&b);
		if (p->environment == NULL)
			rc = dl_error_oom();
	}
	if (rc == 0 && o->universal != NULL)
		rc = universal_region(p, o->universal);
	if (rc == 0 && o->n_constraints > 0) {
		p->constraints = dl_arena_calloc(p->a, o->n_constraints, sizeof(*p->constraints));
		rc = p->constraints == NULL ? dl_error_oom() : 0;
		for (size_t i = 0; i < o->n_constraints && rc == 0; i++) {
			rc = dl_requirement_parse(&p->constraints[i], o->constraints[i], strlen(o->constraints[i]));
			if (rc == 0)
				p->n_constraints++;
			else
				dl_error_context("in constraint '%s'", o->constraints[i]);
		}
	}
	if (rc == 0 && o->n_overrides > 0) {
		p->overrides = dl_arena_calloc(p->a, o->n_overrides, sizeof(*p->overrides));
		rc = p->overrides == NULL ? dl_error_oom() : 0;
		for (size_t i = 0; i < o->n_overrides && rc == 0; i++) {
			rc = dl_requirement_parse(&p->overrides[i], o->overrides[i], strlen(o->overrides[i]));
			if (rc == 0)
				p->n_overrides++;
			else
				dl_error_context("in override '%s'", o->overrides[i]);
		}
	}
	if (rc == 0 && o->n_prefer > 0) {
		p->prefs = dl_arena_calloc(p->a, o->n_prefer, sizeof(*p->prefs));
		rc = p->prefs == NULL ? dl_error_oom() : 0;
		for (size_t i = 0; i < o->n_prefer && rc == 0; i++)
			p->prefs[i] = (dl_py_preference){o->prefer_names[i], o->prefer_versions[i]};
	}
	if (rc != 0) {
		if (!target_ok)
			memset(&p->target, 0, sizeof(p->target));
		dl_pyindex_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

void dl_pyindex_free(dl_pyindex *p)
{
	if (p == NULL)
		return;
	while (p->asks != NULL)
		ask_free(p->asks);
	dl_mregion_free(p->region);
	for (size_t i = 0; i < p->n_constraints; i++)
		dl_requirement_free(p->constraints[i]);
	for (size_t i = 0; i < p->n_overrides; i++)
		dl_requirement_free(p->overrides[i]);
	for (sproj *sp = p->projects; sp != NULL; sp = sp->next)
		dl_requirement_free(sp->hint_req);
	dl_py_target_clear(&p->target);
	dl_arena_free(p->pin_arena);
	dl_arena_free(p->a);
	dl_free(p);
}

const char *dl_pyindex_environment(const dl_pyindex *p)
{
	return p->environment;
}

void dl_pyindex_get_stats(const dl_pyindex *p, dl_pyindex_stats *out)
{
	*out = p->stats;
}

/* ------------------------------------------------------------------ */
/* The lock engine's resolver                                           */

static int split_names(const char *const *in, size_t n, bool *all, const char ***out, size_t *nout, dl_arena *a)
{
	*out = dl_arena_calloc(a, n + 1, sizeof(char *));
	if (*out == NULL)
		return dl_error_oom();
	*nout = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(in[i], ":all:") == 0)
			*all = true;
		else if (strcmp(in[i], ":none:") == 0)
			*all = false, *nout = 0;
		else
			(*out)[(*nout)++] = in[i];
	}
	return 0;
}

static const char *pin_label(dl_arena *a, const dl_py_result *res, const char *by)
{
	if (by == NULL)
		return "<project>";
	size_t n = strcspn(by, "[");
	for (size_t i = 0; i < res->npins; i++)
		if (strlen(res->pins[i].name) == n && strncmp(res->pins[i].name, by, n) == 0) {
			dl_buf b = DL_BUF_INIT;
			dl_buf_printf(&b, "%s==%s", res->pins[i].name, res->pins[i].version);
			const char *s = b.failed ? NULL : astrdup(a, b.ptr);
			dl_buf_free(&b);
			return s;
		}
	return astrdup(a, by);
}

static int push_unique(dl_arena *a, const char ***v, size_t *n, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i], s) == 0)
			return 0;
	const char **nv = dl_arena_calloc(a, *n + 1, sizeof(*nv));
	if (nv == NULL)
		return dl_error_oom();
	if (*n > 0)
		memcpy(nv, *v, *n * sizeof(*nv));
	nv[(*n)++] = s;
	*v = nv;
	return 0;
}

static int find_pin(const dl_lock_pin *out, size_t n, const char *name, size_t name_len, const char *version)
{
	for (size_t i = 0; i < n; i++) {
		if (strlen(out[i].name) == name_len && strncmp(out[i].name, name, name_len) == 0 &&
		    strcmp(out[i].version, version) == 0)
			return (int)i;
	}
	return -1;
}

/* A universal resolution as the engine's pins: each version once, with
 * its marker; the requirers and dependencies are gathered from every
 * piece that chose it. */
static int universal_pins(dl_pyindex *p, const dl_py_source *src, dl_py_options *po, const char *what,
                          const dl_lock_pin **pins, size_t *n_pins)
{
	dl_arena *a = p->pin_arena;
	po->region = p->region;
	dl_py_universal *u = NULL;
	int rc = dl_py_resolve_universal(&u, src, po);
	if (rc != 0) {
		if (rc != DL_ENOMEM)
			dl_error_context("resolving %s", what);
		return rc;
	}
	p->stats.decisions += u->stats.decisions;
	p->stats.conflicts += u->stats.conflicts;
	if (!u->solved) {
		rc = dl_error_set(DL_ENOTFOUND, "cannot resolve %s:\n%s", what,
		                  u->explanation != NULL ? u->explanation : "(no explanation)");
		dl_py_universal_free(u);
		return rc;
	}
	dl_lock_pin *out = dl_arena_calloc(a, u->npins + 1, sizeof(*out));
	if (out == NULL)
		rc = dl_error_oom();
	for (size_t i = 0; i < u->npins && rc == 0; i++) {
		const dl_py_upin *up = &u->pins[i];
		sproj *sp = find_proj(p, up->name);
		out[i].name = astrdup(a, up->name);
		out[i].version = astrdup(a, up->version);
		out[i].marker = up->marker != NULL ? astrdup(a, up->marker) : NULL;
		out[i].project = sp != NULL ? sp->cp : NULL;
		if (out[i].name == NULL || out[i].version == NULL || (up->marker != NULL && out[i].marker == NULL))
			rc = dl_error_oom();
	}
	for (size_t f = 0; f < u->nforks && rc == 0; f++) {
		const dl_py_result *res = u->forks[f].result;
		for (size_t i = 0; i < res->npins && rc == 0; i++) {
			const dl_py_pin *pin = &res->pins[i];
			int k = find_pin(out, u->npins, pin->name, strlen(pin->name), pin->version);
			if (k < 0)
				continue; /* needed nowhere: left out of the lock */
			for (size_t w = 0; w < pin->nwhy && rc == 0; w++) {
				const char *by = pin_label(a, res, pin->why[w].by);
				if (by == NULL) {
					rc = dl_error_oom();
					break;
				}
				rc = push_unique(a, (const char ***)&out[k].required_by, &out[k].n_required_by, by);
				if (rc != 0 || pin->why[w].by == NULL)
					continue;
				/* the requirer, at the version this piece chose */
				size_t bl = strcspn(pin->why[w].by, "[");
				for (size_t j = 0; j < res->npins; j++) {
					const dl_py_pin *q = &res->pins[j];
					if (strlen(q->name) != bl || strncmp(q->name, pin->why[w].by, bl) != 0)
						continue;
					int r = find_pin(out, u->npins, q->name, bl, q->version);
					if (r >= 0 && r != k)
						rc = push_unique(a, (const char ***)&out[r].dependencies, &out[r].n_dependencies,
						                 out[k].name);
				}
			}
		}
	}
	if (rc == 0) {
		*pins = out;
		*n_pins = u->npins;
	}
	dl_py_universal_free(u);
	return rc;
}

static int resolve(void *ctx, const char *const *reqs, size_t n, const char *what, const dl_lock_pin **pins,
                   size_t *n_pins)
{
	dl_pyindex *p = ctx;
	p->stats.resolutions++;
	dl_requirement **roots = dl_calloc(n + 1, sizeof(*roots));
	if (roots == NULL)
		return dl_error_oom();
	int rc = 0;
	size_t nr = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if ((rc = dl_requirement_parse(&roots[i], reqs[i], strlen(reqs[i]))) == 0)
			nr++;
		else
			dl_error_context("in %s", what);
	}
	dl_arena_free(p->pin_arena);
	p->pin_arena = NULL;
	if (rc == 0 && dl_arena_new(&p->pin_arena) != 0)
		rc = dl_error_oom();
	dl_arena *a = p->pin_arena;
	dl_py_options po = DL_PY_OPTIONS_INIT;
	po.target = &p->target;
	po.requirements = (const dl_requirement *const *)roots;
	po.nrequirements = nr;
	po.prereleases = p->o.prerelease_mode;
	po.strategy = p->o.strategy;
	po.overrides = (const dl_requirement *const *)p->overrides;
	po.noverrides = p->n_overrides;
	po.constraints = (const dl_requirement *const *)p->constraints;
	po.nconstraints = p->n_constraints;
	po.preferences = p->prefs;
	po.npreferences = p->o.n_prefer;
	po.direct_urls = true; /* the client serves each direct URL's project (client.h) */
	if (rc == 0)
		rc = split_names(p->o.no_binary, p->o.n_no_binary, &po.no_binary_all, (const char ***)&po.no_binary,
		                 &po.nno_binary, a);
	if (rc == 0)
		rc = split_names(p->o.only_binary, p->o.n_only_binary, &po.only_binary_all,
		                 (const char ***)&po.only_binary, &po.nonly_binary, a);
	dl_py_source src = {p, src_project, src_metadata, src_prefetch_project, src_prefetch_metadata};
	dl_py_result *res = NULL;
	if (rc == 0 && p->region != NULL) {
		rc = universal_pins(p, &src, &po, what, pins, n_pins);
		for (size_t i = 0; i < nr; i++)
			dl_requirement_free(roots[i]);
		dl_free(roots);
		return rc;
	}
	if (rc == 0)
		rc = dl_py_resolve(&res, &src, &po);
	if (rc == 0) {
		p->stats.decisions += res->stats.decisions;
		p->stats.conflicts += res->stats.conflicts;
	}
	if (rc == 0 && !res->solved) {
		rc = dl_error_set(DL_ENOTFOUND, "cannot resolve %s:\n%s", what,
		                  res->explanation != NULL ? res->explanation : "(no explanation)");
	} else if (rc == 0) {
		dl_lock_pin *out = dl_arena_calloc(a, res->npins + 1, sizeof(*out));
		if (out == NULL)
			rc = dl_error_oom();
		for (size_t i = 0; i < res->npins && rc == 0; i++) {
			const dl_py_pin *pin = &res->pins[i];
			sproj *sp = find_proj(p, pin->name);
			out[i].name = astrdup(a, pin->name);
			out[i].version = astrdup(a, pin->version);
			out[i].project = sp != NULL ? sp->cp : NULL;
			if (out[i].name == NULL || out[i].version == NULL)
				rc = dl_error_oom();
		}
		/* why edges: the requirer lists the pin as a dependency */
		for (size_t i = 0; i < res->npins && rc == 0; i++) {
			const dl_py_pin *pin = &res->pins[i];
			for (size_t w = 0; w < pin->nwhy && rc == 0; w++) {
				const char *by = pin_label(a, res, pin->why[w].by);
				if (by == NULL) {
					rc = dl_error_oom();
					break;
				}
				rc = push_unique(a, (const char ***)&out[i].required_by, &out[i].n_required_by, by);
				if (rc != 0 || pin->why[w].by == NULL)
					continue;
				size_t bl = strcspn(pin->why[w].by, "[");
				for (size_t k = 0; k < res->npins && rc == 0; k++)
					if (k != i && strlen(out[k].name) == bl && strncmp(out[k].name, pin->why[w].by, bl) == 0)
						rc = push_unique(a, (const char ***)&out[k].dependencies, &out[k].n_dependencies,
						                 out[i].name);
			}
		}
		*pins = out;
		*n_pins = res->npins;
	} else if (rc != DL_ENOMEM) {
		dl_error_context("resolving %s", what);
	}
	dl_py_result_free(res);
	for (size_t i = 0; i < nr; i++)
		dl_requirement_free(roots[i]);
	dl_free(roots);
	return rc;
}

static void lock_hint(void *ctx, const char *const *reqs, size_t n)
{
	hint_reqs(ctx, reqs, n);
}

static bool in_list(const char *const *list, size_t n, const char *name, bool *all)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(list[i], ":all:") == 0)
			*all = true;
		else if (strcmp(list[i], ":none:") == 0)
			*all = false;
		else {
			char norm[256];
			size_t len = strlen(list[i]);
			if (len < sizeof norm && dl_name_is_valid(list[i], len)) {
				norm[dl_name_normalize_into(norm, list[i], len)] = '\0';
				if (strcmp(norm, name) == 0)
					return true;
			}
		}
	}
	return false;
}

static bool lock_no_binary(void *ctx, const char *name)
{
	dl_pyindex *p = ctx;
	bool all = false;
	bool named = in_list(p->o.no_binary, p->o.n_no_binary, name, &all);
	bool only_all = false;
	if (in_list(p->o.only_binary, p->o.n_only_binary, name, &only_all))
		return false; /* the per-project word wins */
	return named || all;
}

/* A pure-Python wheel: its platform tags ("...-none-any.whl", or a
 * compressed set such as "any.manylinux1_x86_64") include "any", so every
 * platform can install it. */
static bool pure_wheel(const char *filename)
{
	size_t len = strlen(filename);
	if (len < 5 || strcmp(filename + len - 4, ".whl") != 0)
		return false;
	const char *end = filename + len - 4, *dash = end;
	while (dash > filename && dash[-1] != '-')
		dash--;
	for (const char *t = dash; t < end;) {
		const char *dot = memchr(t, '.', (size_t)(end - t));
		size_t tl = dot != NULL ? (size_t)(dot - t) : (size_t)(end - t);
		if (tl == 3 && memcmp(t, "any", 3) == 0)
			return true;
		t += tl + (dot != NULL);
	}
	return false;
}

/* The layer's rules for one wheel: tags the target supports, and the lower
 * bound of Requires-Python (as the layer reads it).  In a universal lock,
 * only a pure-Python wheel serves every platform. */
static bool lock_wheel_usable(void *ctx, const char *name, const dl_client_file *f)
{
	dl_pyindex *p = ctx;
	if (f->kind != DL_DIST_WHEEL || f->wheel == NULL || lock_no_binary(ctx, name))
		return false;
	if (p->region != NULL)
		return pure_wheel(f->file->filename);
	size_t rank = 0;
	if (!dl_tag_list_match(p->target.tags, f->wheel->tags, &rank))
		return false;
	const char *rp = f->file->requires_python;
	if (rp == NULL || rp[0] == '\0')
		return true;
	dl_specset *set = NULL;
	if (dl_specset_parse(&set, rp, strlen(rp)) != 0) {
		dl_error_clear();
		return true;
	}
	dl_range r;
	dl_range_init(&r);
	bool ok = true;
	if (dl_range_from_specset(&r, set) == 0 && r.n > 0 && r.iv[0].lo_kind != DL_BOUND_UNBOUNDED) {
		int c = dl_version_cmp(&p->target.python, &r.iv[0].lo);
		ok = c > 0 || (c == 0 && r.iv[0].lo_kind == DL_BOUND_INCLUSIVE);
	} else if (r.n == 0) {
		ok = false;
	}
	dl_range_clear(&r);
	dl_specset_free(set);
	return ok;
}

void dl_pyindex_resolver(dl_pyindex *p, dl_lock_resolver *out)
{
	out->ctx = p;
	out->resolve = resolve;
	out->wheel_usable = lock_wheel_usable;
	out->no_binary = lock_no_binary;
	out->hint = lock_hint;
}
