/*
 * client.c - the index client (see client.h for the rules it follows).
 *
 * Design.  Every question is a record in a table keyed by its subject (a
 * project by normalised name; a file's metadata by its slot in the project
 * record), with a state and a list of waiting callbacks.  The first asker
 * starts the work; later askers join the list, or, once the answer is
 * known, get it through dl_fetch_post on the next turn of the loop, so a
 * callback never runs inside the call that asked (callers can rely on that
 * ordering).  Answers are immutable once published and live until
 * dl_client_free, which is what lets the resolver hold borrowed pointers.
 *
 * Project pages stay parsed (their arenas own the file records the answer
 * points into).  Find-links locations are loaded once, on the first project
 * question: directories are listed on the spot, HTML pages fetched; every
 * project question then waits for that load, because a find-links file may
 * be the only one a project has.
 *
 * Artifacts are addressed by sha256 whenever the page gives one: the
 * artifact cache is asked first (a warm run sends nothing), the download is
 * checked against the hash as it arrives (fetch.c hashes while receiving),
 * and only then stored.  Without a sha256 the bytes go through the HTTP
 * cache, which revalidates them.  The metadata of a release is parsed from
 * those bytes every time (parsing is far cheaper than any request).
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "deeplock/archive.h"
#include "deeplock/client.h"
#include "deeplock/hash.h"
#include "deeplock/name.h"
#include "deeplock/zipread.h"

#define DEFAULT_MAX_PAGE ((size_t)64 << 20)
#define DEFAULT_MAX_METADATA ((size_t)16 << 20)
#define DEFAULT_MAX_ARTIFACT ((size_t)512 << 20)
#define MAX_WARNINGS 64
#define TABLE_MIN 64

typedef struct waiter {
	union {
		dl_client_project_fn project;
		dl_client_meta_fn meta;
	} fn;
	void *user;
	struct waiter *next;
} waiter;

enum { ST_NEW = 0, ST_PENDING, ST_DONE, ST_FAILED };

typedef struct meta_slot {
	int state;
	int rc;
	char *error;
	waiter *waiters;
	dl_client_meta pub;
	dl_metadata *md;
	dl_sdist *sd;
	bool pep658_failed; /* fall back to the whole wheel */
} meta_slot;

typedef struct proj {
	char *normalized;
	int state;
	int rc;
	char *error;
	waiter *waiters;
	size_t next_index;    /* FIRST_INDEX: the index being asked */
	size_t pending;       /* outstanding pages (MERGE) */
	bool links_failed;    /* the find-links load had failed when it was asked */
	dl_index_page **pages;
	size_t n_pages;
	dl_client_file *files;
	size_t n_files, cap_files;
	char **warnings;
	size_t n_warnings;
	dl_client_project pub;
	meta_slot *metas;
	struct proj *hnext;
	struct proj *lnext; /* in the list of projects waiting for find-links */
	bool direct;        /* a direct URL: one file, its hash learnt from its bytes */
} proj;

/* A link found through find-links. */
typedef struct link {
	dl_index_file file;
	size_t origin;
} link;

/* Every context handed to the engine (a request's user pointer, a posted
 * call's argument) is allocated through ctx_alloc and listed here, so
 * dl_client_free releases those whose callbacks never ran (prefetches still
 * in flight when the caller stopped the engine). */
typedef struct pend {
	struct pend *prev, *next;
	void (*dtor)(void *payload); /* releases what the payload owns; NULL */
	void *pad;                   /* keeps the payload 16-byte aligned on 64-bit */
} pend;

struct dl_client {
	pend *pending_ctx;
	dl_fetch *fetch;
	dl_cache *cache;
	dl_client_opts o;
	char **indexes;
	char **find_links;
	proj **table;
	size_t table_cap, n_projects;
	/* find-links */
	int links_state;
	size_t links_pending;
	link *links;
	size_t n_links, cap_links;
	dl_index_page **link_pages;
	size_t n_link_pages;
	dl_arena *arena; /* find-links records and small strings */
	char **direct_names; /* normalised */
	char **direct_urls;  /* without a #sha256= fragment */
	char **direct_sha;   /* that fragment's hash, or NULL */
	proj *links_waiting;
	char *links_error;
	int links_rc;
	dl_client_stats stats;
};

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */

static void *ctx_alloc(dl_client *c, size_t size)
{
	pend *p = dl_calloc(1, sizeof(pend) + size);
	if (p == NULL)
		return NULL;
	p->next = c->pending_ctx;
	if (p->next != NULL)
		p->next->prev = p;
	c->pending_ctx = p;
	return p + 1;
}

static void ctx_free(dl_client *c, void *ptr)
{
	if (ptr == NULL)
		return;
	pend *p = (pend *)ptr - 1;
	if (p->dtor != NULL)
		p->dtor(ptr);
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		c->pending_ctx = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	dl_free(p);
}

static char *redact(const char *url)
{
	char *r = NULL;
	if (dl_index_url_redact(&r, url) != 0)
		return NULL;
	return r;
}

static bool is_file_url(const char *url)
{
	return strncmp(url, "file:", 5) == 0;
}

static bool has_web_scheme(const char *url)
{
	return strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0 || strncmp(url, "file:", 5) == 0;
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* The sha256 hex of a file record, or NULL when the page gave none. */
static const char *file_sha256(const dl_index_hashes *h)
{
	const dl_index_hash *x = dl_index_hashes_find(h, DL_INDEX_SHA256);
	return x != NULL ? x->hex : NULL;
}

const char *dl_client_meta_via_name(dl_client_meta_via via)
{
	switch (via) {
	case DL_CLIENT_VIA_PEP658:
		return "pep658";
	case DL_CLIENT_VIA_WHEEL:
		return "wheel";
	case DL_CLIENT_VIA_SDIST:
		return "sdist";
	case DL_CLIENT_VIA_RANGE:
		return "range";
	}
	return "unknown";
}

static int push_warning(proj *p, const char *fmt, ...) DL_PRINTF(2, 3);
static int push_warning(proj *p, const char *fmt, ...)
{
	if (p->n_warnings >= MAX_WARNINGS)
		return 0;
	if (dl_realloc_array((void **)&p->warnings, p->n_warnings + 1, sizeof(*p->warnings)) != 0)
		return DL_ENOMEM;
	dl_buf b = DL_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	dl_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	char *s = dl_buf_detach(&b, NULL);
	if (s == NULL)
		return dl_error_oom();
	p->warnings[p->n_warnings++] = s;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Construction                                                         */

static char *with_slash(const char *url)
{
	size_t n = strlen(url);
	dl_buf b = DL_BUF_INIT;
	dl_buf_puts(&b, url);
	if (n == 0 || url[n - 1] != '/')
		dl_buf_putc(&b, '/');
	return dl_buf_detach(&b, NULL);
}

/* The direct URLs, checked and copied into the arena: a name that is
 * valid, a URL with a scheme the fetcher reads, a `#sha256=` fragment split
 * off (and any other fragment dropped, as pip does). */
static int copy_direct(dl_client *c, const dl_client_opts *o)
{
	c->o.direct_names = c->o.direct_urls = NULL;
	if (o->n_direct == 0)
		return 0;
	c->direct_names = dl_arena_calloc(c->arena, o->n_direct, sizeof(char *));
	c->direct_urls = dl_arena_calloc(c->arena, o->n_direct, sizeof(char *));
	c->direct_sha = dl_arena_calloc(c->arena, o->n_direct, sizeof(char *));
	if (c->direct_names == NULL || c->direct_urls == NULL || c->direct_sha == NULL)
		return dl_error_oom();
	for (size_t i = 0; i < o->n_direct; i++) {
		const char *name = o->direct_names[i], *url = o->direct_urls[i];
		if (!dl_name_is_valid(name, strlen(name)))
			return dl_error_set(DL_EINVAL, "'%s' is not a valid project name", name);
		if (!has_web_scheme(url)) {
			char *r = redact(url);
			int rc = dl_error_set(DL_EINVAL, "the direct URL of %s, '%s', must start with http://, https:// or file://",
			                      name, r != NULL ? r : "?");
			dl_free(r);
			return rc;
		}
		char *norm = NULL;
		if (dl_name_normalize(&norm, name, strlen(name)) != 0)
			return dl_error_oom();
		c->direct_names[i] = dl_arena_strndup(c->arena, norm, strlen(norm));
		dl_free(norm);
		const char *hash = strchr(url, '#');
		size_t ulen = hash != NULL ? (size_t)(hash - url) : strlen(url);
		c->direct_urls[i] = dl_arena_strndup(c->arena, url, ulen);
		if (c->direct_names[i] == NULL || c->direct_urls[i] == NULL)
			return dl_error_oom();
		if (hash != NULL && strncmp(hash, "#sha256=", 8) == 0) {
			const char *hex = hash + 8;
			size_t hl = strcspn(hex, "&");
			if (!dl_sha256_hex_valid(hex, hl))
				return dl_error_set(DL_EINVAL, "the direct URL of %s has a malformed #sha256= fragment", name);
			char *lower = dl_arena_strndup(c->arena, hex, hl);
			if (lower == NULL)
				return dl_error_oom();
			for (char *q = lower; *q != '\0'; q++)
				*q = (char)(*q >= 'A' && *q <= 'F' ? *q - 'A' + 'a' : *q);
			c->direct_sha[i] = lower;
		}
	}
	c->o.n_direct = o->n_direct;
	return 0;
}

static int direct_index(const dl_client *c, const char *normalized)
{
	for (size_t i = 0; i < c->o.n_direct; i++) {
		if (strcmp(c->direct_names[i], normalized) == 0)
			return (int)i;
	}
	return -1;
}

int dl_client_new(dl_client **out, dl_fetch *fetch, dl_cache *cache, const dl_client_opts *opts)
{
	dl_client_opts dflt = DL_CLIENT_OPTS_INIT;
	if (opts == NULL)
		opts = &dflt;
	if (opts->version != DL_CLIENT_OPTS_VERSION)
		return dl_error_set(DL_EINVAL, "dl_client_new: unknown options version %u", opts->version);
	for (size_t i = 0; i < opts->n_indexes; i++) {
		if (!has_web_scheme(opts->indexes[i])) {
			char *r = redact(opts->indexes[i]);
			int rc = dl_error_set(DL_EINVAL, "index URL '%s' must start with http://, https:// or file://",
			                      r != NULL ? r : "?");
			dl_free(r);
			return rc;
		}
		/* A local index that is not there would answer "no such project"
		 * for everything: say what is wrong instead.  Only the plain form
		 * file:///path is checked (no host, no percent escapes). */
		const char *u = opts->indexes[i];
		if (strncmp(u, "file:///", 8) == 0 && strchr(u, '%') == NULL) {
			struct stat st;
			if (stat(u + 7, &st) != 0 || !S_ISDIR(st.st_mode))
				return dl_error_set(DL_EINVAL, "index '%s': %s is not a directory", u, u + 7);
		}
	}
	dl_client *c = dl_calloc(1, sizeof *c);
	if (c == NULL || dl_arena_new(&c->arena) != 0) {
		dl_free(c);
		return dl_error_oom();
	}
	c->fetch = fetch;
	c->cache = cache;
	c->o = *opts;
	if (c->o.max_page == 0)
		c->o.max_page = DEFAULT_MAX_PAGE;
	if (c->o.max_metadata == 0)
		c->o.max_metadata = DEFAULT_MAX_METADATA;
	if (c->o.max_artifact == 0)
		c->o.max_artifact = DEFAULT_MAX_ARTIFACT;
	c->indexes = dl_calloc(opts->n_indexes + 1, sizeof(char *));
	c->find_links = dl_calloc(opts->n_find_links + 1, sizeof(char *));
	c->table_cap = TABLE_MIN;
	c->table = dl_calloc(c->table_cap, sizeof(proj *));
	if (c->indexes == NULL || c->find_links == NULL || c->table == NULL)
		goto oom;
	for (size_t i = 0; i < opts->n_indexes; i++) {
		if ((c->indexes[i] = with_slash(opts->indexes[i])) == NULL)
			goto oom;
	}
	for (size_t i = 0; i < opts->n_find_links; i++) {
		if ((c->find_links[i] = dl_strdup(opts->find_links[i])) == NULL)
			goto oom;
	}
	c->o.indexes = (const char *const *)c->indexes;
	c->o.find_links = (const char *const *)c->find_links;
	int drc = copy_direct(c, opts);
	if (drc != 0) {
		dl_client_free(c);
		return drc;
	}
	*out = c;
	return 0;
oom:
	dl_client_free(c);
	return dl_error_oom();
}

static void free_waiters(waiter *w)
{
	while (w != NULL) {
		waiter *n = w->next;
		dl_free(w);
		w = n;
	}
}

static void proj_free(proj *p)
{
	if (p->metas != NULL) {
		for (size_t i = 0; i < p->n_files; i++) {
			dl_metadata_free(p->metas[i].md);
			dl_sdist_free(p->metas[i].sd);
			dl_free(p->metas[i].error);
			free_waiters(p->metas[i].waiters);
		}
		dl_free(p->metas);
	}
	for (size_t i = 0; i < p->n_pages; i++)
		dl_index_page_free(p->pages[i]);
	for (size_t i = 0; i < p->n_files; i++) {
		dl_wheel_filename_free((dl_wheel_filename *)p->files[i].wheel);
		dl_free((char *)p->files[i].version_text);
		dl_version_clear(&p->files[i].version);
	}
	for (size_t i = 0; i < p->n_warnings; i++)
		dl_free(p->warnings[i]);
	dl_free(p->warnings);
	dl_free(p->pages);
	dl_free(p->files);
	dl_free(p->normalized);
	dl_free(p->error);
	free_waiters(p->waiters);
	dl_free(p);
}

void dl_client_free(dl_client *c)
{
	if (c == NULL)
		return;
	while (c->pending_ctx != NULL)
		ctx_free(c, c->pending_ctx + 1);
	if (c->table != NULL) {
		for (size_t i = 0; i < c->table_cap; i++) {
			proj *p = c->table[i];
			while (p != NULL) {
				proj *n = p->hnext;
				proj_free(p);
				p = n;
			}
		}
	}
	for (size_t i = 0; c->indexes != NULL && i < c->o.n_indexes; i++)
		dl_free(c->indexes[i]);
	for (size_t i = 0; c->find_links != NULL && i < c->o.n_find_links; i++)
		dl_free(c->find_links[i]);
	for (size_t i = 0; i < c->n_link_pages; i++)
		dl_index_page_free(c->link_pages[i]);
	dl_free(c->link_pages);
	dl_free(c->links);
	dl_free(c->links_error);
	dl_free(c->indexes);
	dl_free(c->find_links);
	dl_free(c->table);
	dl_arena_free(c->arena);
	dl_free(c);
}

void dl_client_get_stats(const dl_client *c, dl_client_stats *out)
{
	*out = c->stats;
}

int dl_client_wait(dl_client *c, const bool *flag)
{
	return dl_fetch_run_until(c->fetch, flag);
}

/* ------------------------------------------------------------------ */
/* The project table                                                    */

static proj *table_find(const dl_client *c, const char *normalized)
{
	proj *p = c->table[hash_str(normalized) & (c->table_cap - 1)];
	while (p != NULL && strcmp(p->normalized, normalized) != 0)
		p = p->hnext;
	return p;
}

static int table_grow(dl_client *c)
{
	size_t cap = c->table_cap * 2;
	proj **t = dl_calloc(cap, sizeof(proj *));
	if (t == NULL)
		return dl_error_oom();
	for (size_t i = 0; i < c->table_cap; i++) {
		proj *p = c->table[i];
		while (p != NULL) {
			proj *n = p->hnext;
			size_t h = hash_str(p->normalized) & (cap - 1);
			p->hnext = t[h];
			t[h] = p;
			p = n;
		}
	}
	dl_free(c->table);
	c->table = t;
	c->table_cap = cap;
	return 0;
}

const dl_client_project *dl_client_project_peek(dl_client *c, const char *normalized)
{
	proj *p = table_find(c, normalized);
	return p != NULL && p->state == ST_DONE ? &p->pub : NULL;
}

/* ------------------------------------------------------------------ */
/* Delivering answers                                                   */

typedef struct posted {
	dl_client *c;
	proj *p;
	size_t index; /* SIZE_MAX for a project answer */
	waiter w;
} posted;

static void call_project(dl_client *c, proj *p, const waiter *w)
{
	if (p->state == ST_DONE) {
		w->fn.project(c, &p->pub, 0, w->user);
	} else {
		dl_error_set(p->rc, "%s", p->error != NULL ? p->error : "out of memory");
		w->fn.project(c, NULL, p->rc, w->user);
	}
}

static void call_meta(dl_client *c, proj *p, size_t i, const waiter *w)
{
	meta_slot *m = &p->metas[i];
	if (m->state == ST_DONE) {
		w->fn.meta(c, &m->pub, 0, w->user);
	} else {
		dl_error_set(m->rc, "%s", m->error != NULL ? m->error : "out of memory");
		w->fn.meta(c, NULL, m->rc, w->user);
	}
}

static void run_posted(dl_fetch *f, void *arg)
{
	(void)f;
	posted *ps = arg;
	if (ps->index == SIZE_MAX)
		call_project(ps->c, ps->p, &ps->w);
	else
		call_meta(ps->c, ps->p, ps->index, &ps->w);
	ctx_free(ps->c, ps);
}

static int post_answer(dl_client *c, proj *p, size_t index, waiter w)
{
	posted *ps = ctx_alloc(c, sizeof *ps);
	if (ps == NULL)
		return dl_error_oom();
	ps->c = c;
	ps->p = p;
	ps->index = index;
	ps->w = w;
	int rc = dl_fetch_post(c->fetch, run_posted, ps);
	if (rc != 0)
		ctx_free(c, ps);
	return rc;
}

static int add_waiter(waiter **list, waiter w)
{
	waiter *n = dl_malloc(sizeof *n);
	if (n == NULL)
		return dl_error_oom();
	*n = w;
	n->next = NULL;
	while (*list != NULL)
		list = &(*list)->next;
	*list = n;
	return 0;
}

/* Publish a project's outcome and run its waiters (inside the loop). */
static void project_settle(dl_client *c, proj *p, int rc)
{
	if (rc != 0) {
		p->state = ST_FAILED;
		p->rc = rc;
		p->error = dl_strdup(dl_error_last()->message);
	} else {
		p->state = ST_DONE;
	}
	c->stats.projects++;
	waiter *w = p->waiters;
	p->waiters = NULL;
	while (w != NULL) {
		waiter *n = w->next;
		call_project(c, p, w);
		dl_free(w);
		w = n;
	}
}

static void meta_settle(dl_client *c, proj *p, size_t i, int rc)
{
	meta_slot *m = &p->metas[i];
	if (rc != 0) {
		m->state = ST_FAILED;
		m->rc = rc;
		m->error = dl_strdup(dl_error_last()->message);
	} else {
		m->state = ST_DONE;
		c->stats.metadata++;
	}
	waiter *w = m->waiters;
	m->waiters = NULL;
	while (w != NULL) {
		waiter *n = w->next;
		call_meta(c, p, i, w);
		dl_free(w);
		w = n;
	}
}

/* ------------------------------------------------------------------ */
/* Assembling a project's files                                         */

static int cmp_files(const void *a, const void *b)
{
	const dl_client_file *x = a, *y = b;
	int r = dl_version_cmp(&y->version, &x->version);
	if (r != 0)
		return r;
	if (x->kind != y->kind)
		return x->kind == DL_DIST_WHEEL ? -1 : 1;
	r = strcmp(x->file->filename, y->file->filename);
	return r != 0 ? r : (x->origin < y->origin ? -1 : x->origin > y->origin);
}

/* Add one file record if its name is a wheel or sdist of project p.  The
 * record owns a copy of the version (and its text) and the parsed wheel
 * name, released by proj_free. */
static int add_file(proj *p, const dl_index_file *f, size_t origin)
{
	size_t len = strlen(f->filename);
	dl_dist_kind kind = dl_filename_classify(f->filename, len);
	if (kind != DL_DIST_WHEEL && kind != DL_DIST_SDIST)
		return 0;
	dl_client_file cf = {0};
	cf.file = f;
	cf.kind = kind;
	cf.origin = origin;
	dl_wheel_filename *w = NULL;
	dl_sdist_filename *sd = NULL;
	int rc;
	if (kind == DL_DIST_WHEEL)
		rc = dl_filename_parse_wheel(&w, f->filename, len);
	else
		rc = dl_filename_parse_sdist(&sd, f->filename, len, p->normalized, strlen(p->normalized));
	if (rc == DL_ENOMEM)
		return rc;
	if (rc != 0)
		return push_warning(p, "skipped '%s': %s", f->filename, dl_error_last()->message);
	if (w != NULL && strcmp(w->normalized_name, p->normalized) != 0) {
		dl_wheel_filename_free(w);
		return push_warning(p, "skipped '%s': not a file of project '%s'", f->filename, p->normalized);
	}
	const char *vt = w != NULL ? w->version_text : sd->version_text;
	const dl_version *v = w != NULL ? &w->version : &sd->version;
	char *vtc = dl_strdup(vt);
	rc = vtc == NULL ? DL_ENOMEM : dl_version_copy(&cf.version, v);
	dl_sdist_filename_free(sd);
	if (rc == 0 && p->n_files == p->cap_files) {
		size_t cap = p->cap_files ? p->cap_files * 2 : 16;
		rc = dl_realloc_array((void **)&p->files, cap, sizeof(*p->files));
		if (rc == 0)
			p->cap_files = cap;
		else
			dl_version_clear(&cf.version);
	}
	if (rc != 0) {
		dl_free(vtc);
		dl_wheel_filename_free(w);
		return dl_error_oom();
	}
	cf.version_text = vtc;
	cf.wheel = w;
	p->files[p->n_files++] = cf;
	return 0;
}

/* Add every find-links file of project p, sort, make the metadata slots
 * and publish.  Runs once every page the project needs has arrived. */
static void project_finish(dl_client *c, proj *p)
{
	int rc = 0;
	for (size_t i = 0; i < c->n_links && rc == 0 && !p->direct; i++)
		rc = add_file(p, &c->links[i].file, c->links[i].origin);
	if (rc == 0 && p->n_files > 1)
		qsort(p->files, p->n_files, sizeof(*p->files), cmp_files);
	if (rc == 0 && p->n_files > 0 && (p->metas = dl_calloc(p->n_files, sizeof(*p->metas))) == NULL)
		rc = dl_error_oom();
	if (rc == 0) {
		p->pub.normalized = p->normalized;
		p->pub.files = p->files;
		p->pub.n_files = p->n_files;
		p->pub.found = p->pub.found || p->n_files > 0;
		p->pub.warnings = (const char *const *)p->warnings;
		p->pub.n_warnings = p->n_warnings;
	}
	project_settle(c, p, rc);
}

/* One of p's outstanding parts (a page, the find-links load) is done. */
static void project_part_done(dl_client *c, proj *p)
{
	if (p->pending > 0)
		p->pending--;
	if (p->pending == 0 && p->state == ST_PENDING)
		project_finish(c, p);
}

static void project_fail(dl_client *c, proj *p, int rc)
{
	if (p->state != ST_PENDING)
		return;
	project_settle(c, p, rc);
}

typedef struct page_req {
	dl_client *c;
	proj *p;
	size_t index; /* which index (projects) or find-links entry (links) */
} page_req;

static int ask_index(dl_client *c, proj *p, size_t i);

/* The content type of a response, with file:// pages read as HTML (pip
 * does the same: a local index is a tree of index.html files). */
static const char *page_type(const dl_fetch_response *r)
{
	if (r->content_type != NULL)
		return r->content_type;
	return is_file_url(r->final_url) ? "text/html" : NULL;
}

/* Whether an absolute URL carries userinfo (user or user:password@). */
static bool has_userinfo(const char *url)
{
	const char *auth = strstr(url, "://");
	if (auth == NULL)
		return false;
	auth += 3;
	size_t n = strcspn(auth, "/?#");
	const char *at = memchr(auth, '@', n);
	return at != NULL;
}

/* The label of parsed pages in the derived cache; a new parser or a new
 * encoding changes it, so old entries are never read. */
#define PAGE_LABEL "simple-page-1"

/* The sha256 of everything a parse depends on: the format, the URL that
 * relative links resolve against, the project asked for, the bytes. */
static int page_key(char out[DL_SHA256_HEX_LEN + 1], const char *type, const char *url, const char *project,
                    const void *body, size_t len)
{
	dl_sha256 h = DL_SHA256_INIT;
	uint8_t d[DL_SHA256_LEN];
	int rc = dl_sha256_init(&h);
	const char *parts[] = {type != NULL ? type : "", url, project};
	for (size_t i = 0; i < 3 && rc == 0; i++) {
		rc = dl_sha256_update(&h, parts[i], strlen(parts[i]) + 1); /* with the NUL: unambiguous */
	}
	if (rc == 0)
		rc = dl_sha256_update(&h, body, len);
	if (rc == 0)
		rc = dl_sha256_final(&h, d);
	dl_sha256_dispose(&h);
	if (rc == 0)
		dl_hex_encode(out, d, DL_SHA256_LEN);
	return rc;
}

/* Parse a project page, or take the parse of the same bytes from the
 * cache: a warm re-lock otherwise spends most of its time parsing pages
 * that have not changed.  The cache is an optimisation only: any trouble
 * with it falls back to parsing. */
static int parse_page(dl_client *c, const dl_fetch_response *r, const dl_index_parse_opts *po, dl_index_page **out)
{
	const char *body = r->body.ptr != NULL ? r->body.ptr : "";
	char key[DL_SHA256_HEX_LEN + 1];
	/* A page fetched with credentials resolves its relative links into
	 * URLs that carry them: such a parse is never written to disk. */
	bool cached = dl_cache_get_mode(c->cache) != DL_CACHE_NO_CACHE && !has_userinfo(r->final_url) &&
	              page_key(key, page_type(r), r->final_url, po->project, body, r->body.len) == 0;
	if (cached) {
		char *enc = NULL;
		size_t n = 0;
		if (dl_cache_derived_load(c->cache, &enc, &n, key, PAGE_LABEL, 0) == 0 &&
		    dl_index_page_decode(out, enc, n) == 0) {
			dl_free(enc);
			c->stats.pages_from_cache++;
			return 0;
		}
		dl_free(enc);
		dl_error_clear();
	}
	int rc = dl_index_page_parse(out, body, r->body.len, page_type(r), r->final_url, po);
	if (rc == 0 && cached) {
		dl_buf b = DL_BUF_INIT;
		if (dl_index_page_encode(*out, &b) == 0)
			(void)dl_cache_derived_store(c->cache, key, PAGE_LABEL, b.ptr, b.len);
		dl_buf_free(&b);
		dl_error_clear(); /* best effort */
	}
	return rc;
}

static void on_index_page(dl_fetch *f, dl_fetch_response *r)
{
	(void)f;
	page_req *pr = r->user;
	dl_client *c = pr->c;
	proj *p = pr->p;
	size_t i = pr->index;
	ctx_free(c, pr);
	if (p->state != ST_PENDING)
		return; /* an earlier page already failed the project */
	/* Only the server's (or the file system's) word means "no such
	 * project here"; an offline cache miss is also DL_ENOTFOUND, but it
	 * says nothing about the index. */
	bool absent = r->rc == DL_ENOTFOUND && (r->status == 404 || r->status == 410 || is_file_url(r->url));
	if (absent) {
		if (c->o.strategy == DL_CLIENT_FIRST_INDEX && i + 1 < c->o.n_indexes) {
			int rc = ask_index(c, p, i + 1);
			if (rc != 0)
				project_fail(c, p, rc);
			return;
		}
		project_part_done(c, p);
		return;
	}
	if (r->rc != 0) {
		dl_error_context("asking the index for project '%s'", p->normalized);
		project_fail(c, p, r->rc);
		return;
	}
	dl_index_parse_opts po = DL_INDEX_PARSE_OPTS_INIT;
	po.project = p->normalized;
	dl_index_page *page = NULL;
	int rc = parse_page(c, r, &po, &page);
	if (rc == 0 && dl_realloc_array((void **)&p->pages, p->n_pages + 1, sizeof(*p->pages)) != 0) {
		dl_index_page_free(page);
		rc = DL_ENOMEM;
	}
	if (rc != 0) {
		/* The HTTP cache stored the page before anyone read it; a page
		 * that cannot be used must not be served again. */
		if (rc != DL_ENOMEM) {
			dl_error_context("asking the index for project '%s'", p->normalized);
			char *msg = dl_strdup(dl_error_last()->message);
			(void)dl_cache_http_remove(c->cache, r->url, DL_INDEX_ACCEPT);
			if (msg != NULL)
				dl_error_set(rc, "%s", msg);
			dl_free(msg);
		}
		project_fail(c, p, rc);
		return;
	}
	c->stats.pages++;
	p->pages[p->n_pages++] = page;
	p->pub.found = true;
	if (p->pub.index_url == NULL) {
		char *red = redact(c->indexes[i]);
		p->pub.index_url = red != NULL ? dl_arena_strndup(c->arena, red, strlen(red)) : NULL;
		dl_free(red);
	}
	for (size_t k = 0; k < page->file_count && rc == 0; k++)
		rc = add_file(p, &page->files[k], i);
	for (size_t k = 0; k < page->warning_count && rc == 0; k++)
		rc = push_warning(p, "%s", page->warnings[k]);
	if (rc != 0) {
		project_fail(c, p, rc);
		return;
	}
	project_part_done(c, p);
}

static int ask_index(dl_client *c, proj *p, size_t i)
{
	dl_buf url = DL_BUF_INIT;
	dl_buf_printf(&url, "%s%s/", c->indexes[i], p->normalized);
	if (is_file_url(c->indexes[i]))
		dl_buf_puts(&url, "index.html");
	page_req *pr = ctx_alloc(c, sizeof *pr);
	if (url.failed || pr == NULL) {
		dl_buf_free(&url);
		ctx_free(c, pr);
		return dl_error_oom();
	}
	pr->c = c;
	pr->p = p;
	pr->index = i;
	p->next_index = i;
	dl_fetch_request req = {0};
	req.url = url.ptr;
	req.accept = DL_INDEX_ACCEPT;
	req.max_body = c->o.max_page;
	req.done = on_index_page;
	req.user = pr;
	int rc = dl_cache_fetch_add(c->cache, c->fetch, &req);
	dl_buf_free(&url);
	if (rc != 0)
		ctx_free(c, pr);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Find-links                                                           */

static int push_link(dl_client *c, const dl_index_file *f, size_t origin)
{
	if (c->n_links == c->cap_links) {
		size_t cap = c->cap_links ? c->cap_links * 2 : 64;
		if (dl_realloc_array((void **)&c->links, cap, sizeof(*c->links)) != 0)
			return DL_ENOMEM;
		c->cap_links = cap;
	}
	c->links[c->n_links].file = *f;
	c->links[c->n_links].origin = origin;
	c->n_links++;
	return 0;
}

/* Percent-encode a local path into a file:// URL. */
static char *path_url(dl_arena *a, const char *dir, const char *name)
{
	static const char hex[] = "0123456789ABCDEF";
	dl_buf b = DL_BUF_INIT;
	dl_buf_puts(&b, "file://");
	const char *parts[3] = {dir, "/", name};
	for (int k = 0; k < 3; k++) {
		for (const unsigned char *s = (const unsigned char *)parts[k]; *s; s++) {
			if (dl_isalnum(*s) || strchr("/-._~!$&'()*+,;=:@", *s) != NULL) {
				dl_buf_putc(&b, (char)*s);
			} else {
				dl_buf_putc(&b, '%');
				dl_buf_putc(&b, hex[*s >> 4]);
				dl_buf_putc(&b, hex[*s & 15]);
			}
		}
	}
	char *out = b.failed ? NULL : dl_arena_strndup(a, b.ptr, b.len);
	dl_buf_free(&b);
	return out;
}

/* The local directory a find-links entry names, or NULL when it is a page
 * to fetch.  "file://" URLs are decoded only in their simplest form (no
 * host, no percent escapes beyond what a path needs). */
static const char *links_dir(const char *loc, char *tmp, size_t cap)
{
	const char *path = loc;
	if (strncmp(loc, "file://", 7) == 0)
		path = loc + 7;
	else if (strncmp(loc, "http://", 7) == 0 || strncmp(loc, "https://", 8) == 0)
		return NULL;
	size_t n = strlen(path);
	if (n + 1 > cap)
		return NULL;
	memcpy(tmp, path, n + 1);
	struct stat st;
	if (stat(tmp, &st) != 0 || !S_ISDIR(st.st_mode))
		return NULL;
	return tmp;
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* List a directory's distribution files, in name order (directory order
 * differs between file systems; the answer must not). */
static int list_dir(dl_client *c, const char *dir, size_t origin)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return dl_error_set(DL_EIO, "find-links directory '%s' cannot be read", dir);
	char **names = NULL;
	size_t n = 0;
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && rc == 0) {
		size_t len = strlen(e->d_name);
		dl_dist_kind k = dl_filename_classify(e->d_name, len);
		if (k != DL_DIST_WHEEL && k != DL_DIST_SDIST)
			continue;
		char *copy = dl_arena_strndup(c->arena, e->d_name, len);
		if (copy == NULL || dl_realloc_array((void **)&names, n + 1, sizeof(*names)) != 0)
			rc = dl_error_oom();
		else
			names[n++] = copy;
	}
	closedir(d);
	if (rc == 0 && n > 1)
		qsort(names, n, sizeof(*names), cmp_cstr);
	for (size_t i = 0; i < n && rc == 0; i++) {
		dl_index_file f = {0};
		f.filename = names[i];
		f.url = path_url(c->arena, dir, names[i]);
		f.size = -1;
		if (f.url == NULL)
			rc = dl_error_oom();
		else
			rc = push_link(c, &f, origin);
	}
	dl_free(names);
	return rc;
}

static void links_part_done(dl_client *c)
{
	if (c->links_pending > 0)
		c->links_pending--;
	if (c->links_pending > 0)
		return;
	c->links_state = c->links_rc != 0 ? ST_FAILED : ST_DONE;
	proj *p = c->links_waiting;
	c->links_waiting = NULL;
	while (p != NULL) {
		proj *n = p->lnext;
		if (c->links_rc != 0) {
			dl_error_set(c->links_rc, "%s", c->links_error != NULL ? c->links_error : "out of memory");
			project_fail(c, p, c->links_rc);
		} else {
			project_part_done(c, p);
		}
		p = n;
	}
}

static void links_fail(dl_client *c, int rc)
{
	if (c->links_rc == 0) {
		c->links_rc = rc;
		c->links_error = dl_strdup(dl_error_last()->message);
	}
}

static void on_links_page(dl_fetch *f, dl_fetch_response *r)
{
	(void)f;
	page_req *pr = r->user;
	dl_client *c = pr->c;
	size_t i = pr->index;
	ctx_free(c, pr);
	int rc = r->rc;
	dl_index_page *page = NULL;
	if (rc != 0) {
		dl_error_context("reading find-links page");
	} else {
		dl_index_parse_opts po = DL_INDEX_PARSE_OPTS_INIT;
		po.project = "find-links";
		rc = dl_index_page_parse_format(&page, DL_INDEX_HTML, r->body.ptr != NULL ? r->body.ptr : "", r->body.len,
		                                r->final_url, &po);
	}
	if (rc == 0 && dl_realloc_array((void **)&c->link_pages, c->n_link_pages + 1, sizeof(*c->link_pages)) != 0) {
		dl_index_page_free(page);
		rc = DL_ENOMEM;
	}
	if (rc == 0) {
		c->link_pages[c->n_link_pages++] = page;
		c->stats.pages++;
		for (size_t k = 0; k < page->file_count && rc == 0; k++)
			rc = push_link(c, &page->files[k], c->o.n_indexes + i);
	}
	if (rc != 0)
		links_fail(c, rc);
	links_part_done(c);
}

/* Start loading every find-links location (once). */
static int links_start(dl_client *c)
{
	c->links_state = ST_PENDING;
	c->links_pending = 1; /* held until every location is queued */
	char tmp[4096];
	for (size_t i = 0; i < c->o.n_find_links; i++) {
		const char *loc = c->find_links[i];
		const char *dir = links_dir(loc, tmp, sizeof tmp);
		if (dir != NULL) {
			int rc = list_dir(c, dir, c->o.n_indexes + i);
			if (rc != 0)
				links_fail(c, rc);
			continue;
		}
		if (!has_web_scheme(loc)) {
			links_fail(c, dl_error_set(DL_ENOTFOUND, "find-links location '%s' is neither a directory nor a URL", loc));
			continue;
		}
		page_req *pr = ctx_alloc(c, sizeof *pr);
		if (pr == NULL)
			return dl_error_oom();
		pr->c = c;
		pr->p = NULL;
		pr->index = i;
		dl_fetch_request req = {0};
		req.url = loc;
		req.accept = "text/html";
		req.max_body = c->o.max_page;
		req.done = on_links_page;
		req.user = pr;
		int rc = dl_cache_fetch_add(c->cache, c->fetch, &req);
		if (rc != 0) {
			ctx_free(c, pr);
			return rc;
		}
		c->links_pending++;
	}
	return 0;
}

/* The placeholder part taken by links_start: released from the loop so
 * that a load with nothing to fetch still settles asynchronously. */
static void links_release(dl_fetch *f, void *arg)
{
	(void)f;
	links_part_done(arg);
}

/* ------------------------------------------------------------------ */
/* Project questions                                                    */

typedef struct release_arg {
	dl_client *c;
	proj *p;
} release_arg;

/* Release the part a new project holds while its requests are queued. */
static void project_release(dl_fetch *f, void *arg)
{
	(void)f;
	release_arg *ra = arg;
	dl_client *c = ra->c;
	proj *p = ra->p;
	ctx_free(c, ra);
	if (p->state != ST_PENDING)
		return;
	if (p->links_failed) {
		dl_error_set(c->links_rc, "%s", c->links_error != NULL ? c->links_error : "out of memory");
		project_fail(c, p, c->links_rc);
		return;
	}
	project_part_done(c, p);
}

/* Queue everything a new project needs.  Its parts: the index pages (one
 * at a time with FIRST_INDEX, all with MERGE), the find-links load when
 * one is under way, and one part held while queuing and released from the
 * loop, so that nothing settles inside the asking call. */
/* Release, from the loop, the part a new project holds while it is being
 * queued, so that nothing settles inside the asking call. */
static int post_release(dl_client *c, proj *p)
{
	release_arg *ra = ctx_alloc(c, sizeof *ra);
	if (ra == NULL)
		return dl_error_oom();
	ra->c = c;
	ra->p = p;
	int rc = dl_fetch_post(c->fetch, project_release, ra);
	if (rc != 0)
		ctx_free(c, ra);
	return rc;
}

/* A direct URL's project: its one file, named by the URL's last path
 * segment. */
static int direct_start(dl_client *c, proj *p, size_t d)
{
	const char *url = c->direct_urls[d];
	const char *q = url + strcspn(url, "?");
	const char *slash = q;
	while (slash > url && slash[-1] != '/')
		slash--;
	dl_index_file *f = dl_arena_calloc(c->arena, 1, sizeof(*f));
	dl_index_hash *h = c->direct_sha[d] != NULL ? dl_arena_calloc(c->arena, 1, sizeof(*h)) : NULL;
	if (f == NULL || (c->direct_sha[d] != NULL && h == NULL))
		return dl_error_oom();
	f->filename = dl_arena_strndup(c->arena, slash, (size_t)(q - slash));
	f->url = url;
	f->size = -1;
	if (f->filename == NULL)
		return dl_error_oom();
	if (h != NULL) {
		h->alg = DL_INDEX_SHA256;
		h->name = "sha256";
		h->hex = c->direct_sha[d];
		f->hashes.items = h;
		f->hashes.count = 1;
	}
	p->direct = true;
	int rc = add_file(p, f, c->o.n_indexes + c->o.n_find_links);
	if (rc != 0)
		return rc;
	if (p->n_files == 0) {
		char *r = redact(url);
		rc = dl_error_set(DL_EINVAL, "the direct URL of %s, '%s', does not end in the name of a wheel or sdist of %s",
		                  p->normalized, r != NULL ? r : "?", p->normalized);
		dl_free(r);
		return rc;
	}
	p->pub.found = true;
	p->pub.direct = true;
	return 0;
}

static int project_start(dl_client *c, proj *p)
{
	int rc;
	int d = direct_index(c, p->normalized);
	if (d >= 0) {
		/* settled from the loop like any other project */
		p->pending = 1;
		if ((rc = direct_start(c, p, (size_t)d)) != 0)
			return rc;
		return post_release(c, p);
	}
	p->pending = 1;
	if (c->o.n_indexes > 0)
		p->pending += c->o.strategy == DL_CLIENT_MERGE ? c->o.n_indexes : 1;
	if (c->o.n_find_links > 0) {
		if (c->links_state == ST_NEW) {
			if ((rc = links_start(c)) != 0)
				return rc;
			if ((rc = dl_fetch_post(c->fetch, links_release, c)) != 0)
				return rc;
		}
		if (c->links_state == ST_PENDING) {
			p->pending++;
			p->lnext = c->links_waiting;
			c->links_waiting = p;
		} else if (c->links_state == ST_FAILED) {
			p->links_failed = true;
		}
	}
	if (c->o.n_indexes > 0) {
		size_t n = c->o.strategy == DL_CLIENT_MERGE ? c->o.n_indexes : 1;
		for (size_t i = 0; i < n; i++)
			if ((rc = ask_index(c, p, i)) != 0)
				return rc;
	}
	return post_release(c, p);
}

int dl_client_project_get(dl_client *c, const char *name, dl_client_project_fn fn, void *user)
{
	size_t len = strlen(name);
	if (!dl_name_is_valid(name, len))
		return dl_error_set(DL_EINVAL, "'%s' is not a valid project name", name);
	char *norm = NULL;
	int rc = dl_name_normalize(&norm, name, len);
	if (rc != 0)
		return rc;
	waiter w = {.user = user};
	w.fn.project = fn;
	proj *p = table_find(c, norm);
	if (p != NULL) {
		dl_free(norm);
		if (p->state == ST_PENDING)
			return add_waiter(&p->waiters, w);
		return post_answer(c, p, SIZE_MAX, w);
	}
	if (c->n_projects + 1 > c->table_cap / 2 && (rc = table_grow(c)) != 0) {
		dl_free(norm);
		return rc;
	}
	p = dl_calloc(1, sizeof *p);
	if (p == NULL) {
		dl_free(norm);
		return dl_error_oom();
	}
	p->normalized = norm;
	p->state = ST_PENDING;
	if ((rc = add_waiter(&p->waiters, w)) != 0) {
		proj_free(p);
		return rc;
	}
	size_t h = hash_str(norm) & (c->table_cap - 1);
	p->hnext = c->table[h];
	c->table[h] = p;
	c->n_projects++;
	rc = project_start(c, p);
	if (rc != 0) {
		/* The asker hears of it from the return value, not the callback;
		 * later askers get the same failure. */
		free_waiters(p->waiters);
		p->waiters = NULL;
		project_fail(c, p, rc);
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* Metadata questions                                                   */

enum { STAGE_PEP658 = 0, STAGE_ARTIFACT };

typedef struct meta_req {
	dl_client *c;
	proj *p;
	size_t i;
	int stage;
	const char *sha256; /* borrowed from the page; NULL when none */
} meta_req;

static int meta_fetch(dl_client *c, proj *p, size_t i, int stage);
static int lazy_start(dl_client *c, proj *p, size_t i);

/* Check that metadata names the file's project and version. */
static int check_identity(const proj *p, const dl_client_file *f, const char *name, const dl_version *v,
                          const char *what)
{
	char norm[512];
	size_t n = strlen(name);
	if (n >= sizeof norm || !dl_name_is_valid(name, n))
		return dl_error_set(DL_EPARSE, "%s of '%s' names an invalid project '%s'", what, f->file->filename, name);
	norm[dl_name_normalize_into(norm, name, n)] = '\0';
	if (strcmp(norm, p->normalized) != 0)
		return dl_error_set(DL_EPARSE, "%s of '%s' names project '%s', not '%s'", what, f->file->filename, name,
		                    p->normalized);
	if (v != NULL && dl_version_cmp(v, &f->version) != 0)
		return dl_error_set(DL_EPARSE, "%s of '%s' gives another version than its file name (%s)", what,
		                    f->file->filename, f->version_text);
	return 0;
}

static int parse_core(dl_metadata **out, const char *data, size_t len)
{
	dl_metadata_options mo = DL_METADATA_OPTIONS_INIT;
	return dl_metadata_parse(out, data, len, &mo);
}

/* Read METADATA out of a whole wheel. */
static int read_wheel(dl_client *c, proj *p, const dl_client_file *f, const char *data, size_t len, dl_metadata **md)
{
	dl_archive *ar = NULL;
	int rc = dl_archive_open_memory(&ar, data, len, f->file->filename, NULL);
	if (rc != 0)
		return rc;
	const dl_archive_member *m = dl_archive_find(ar, "*.dist-info/METADATA");
	if (m == NULL) {
		dl_archive_free(ar);
		return dl_error_set(DL_EPARSE, "wheel '%s' has no .dist-info/METADATA", f->file->filename);
	}
	dl_buf b = DL_BUF_INIT;
	rc = dl_archive_read(ar, m->path, &b, c->o.max_metadata);
	dl_archive_free(ar);
	if (rc == 0)
		rc = parse_core(md, b.ptr != NULL ? b.ptr : "", b.len);
	dl_buf_free(&b);
	if (rc == 0)
		rc = check_identity(p, f, (*md)->name, &(*md)->version, "METADATA");
	return rc;
}

/* Read an sdist statically; its PKG-INFO, when it parses, also becomes
 * the core metadata. */
static int read_sdist(proj *p, const dl_client_file *f, const char *data, size_t len, meta_slot *m)
{
	dl_archive *ar = NULL;
	int rc = dl_archive_open_memory(&ar, data, len, f->file->filename, NULL);
	if (rc != 0)
		return rc;
	rc = dl_sdist_read(&m->sd, ar, NULL);
	dl_archive_free(ar);
	if (rc != 0)
		return rc;
	if (m->sd->name.value != NULL && (rc = check_identity(p, f, m->sd->name.value, NULL, "the sdist")) != 0)
		return rc;
	if (m->sd->pkg_info != NULL) {
		dl_metadata_options mo = DL_METADATA_OPTIONS_INIT;
		mo.lenient = true;
		if (dl_metadata_parse(&m->md, m->sd->pkg_info, m->sd->pkg_info_len, &mo) == DL_ENOMEM)
			return DL_ENOMEM;
	}
	return 0;
}

/* The bytes of stage `stage` for file i arrived (from the network or the
 * artifact cache).  Runs inside the loop; settles or moves on to the next
 * stage. */
static void meta_bytes(dl_client *c, proj *p, size_t i, int stage, const char *data, size_t len, bool cached,
                       bool hashed)
{
	meta_slot *m = &p->metas[i];
	const dl_client_file *f = &p->files[i];
	int rc;
	if (stage == STAGE_PEP658) {
		rc = parse_core(&m->md, data, len);
		if (rc == 0)
			rc = check_identity(p, f, m->md->name, &m->md->version, "the .metadata file");
		if (rc == DL_ENOMEM) {
			meta_settle(c, p, i, rc);
			return;
		}
		if (rc != 0) {
			/* pip's rule: a bad .metadata file is ignored, the wheel read. */
			dl_metadata_free(m->md);
			m->md = NULL;
			m->pep658_failed = true;
			m->pub.warning = dl_arena_strndup(c->arena, dl_error_last()->message, strlen(dl_error_last()->message));
			if ((rc = lazy_start(c, p, i)) != 0)
				meta_settle(c, p, i, rc);
			return;
		}
		m->pub.via = DL_CLIENT_VIA_PEP658;
		c->stats.via_pep658++;
	} else {
		c->stats.via_download++;
		if (!cached)
			c->stats.bytes_artifacts += len;
		if (f->kind == DL_DIST_WHEEL) {
			rc = read_wheel(c, p, f, data, len, &m->md);
			m->pub.via = DL_CLIENT_VIA_WHEEL;
		} else {
			rc = read_sdist(p, f, data, len, m);
			m->pub.via = DL_CLIENT_VIA_SDIST;
		}
		if (rc != 0) {
			char *r = redact(f->file->url);
			dl_error_context("reading '%s'", r != NULL ? r : f->file->filename);
			dl_free(r);
			meta_settle(c, p, i, rc);
			return;
		}
	}
	m->pub.metadata = m->md;
	m->pub.sdist = m->sd;
	m->pub.from_cache = cached;
	m->pub.unhashed = !hashed;
	meta_settle(c, p, i, 0);
}

/* A direct URL's file was read whole without a hash to check: its sha256
 * and size become the file's, as an index would have given them. */
static int learn_hash(dl_client *c, proj *p, size_t i, const char *data, size_t len, const char **sha)
{
	dl_index_file *f = (dl_index_file *)p->files[i].file; /* the client's own record */
	dl_index_hash *h = dl_arena_calloc(c->arena, 1, sizeof(*h));
	char *hex = dl_arena_alloc(c->arena, DL_SHA256_HEX_LEN + 1);
	if (h == NULL || hex == NULL)
		return dl_error_oom();
	int rc = dl_sha256_hex(hex, data, len);
	if (rc != 0)
		return rc;
	h->alg = DL_INDEX_SHA256;
	h->name = "sha256";
	h->hex = hex;
	f->hashes.items = h;
	f->hashes.count = 1;
	*sha = hex;
	return 0;
}

static void on_meta_bytes(dl_fetch *fe, dl_fetch_response *r)
{
	(void)fe;
	meta_req *mr = r->user;
	dl_client *c = mr->c;
	proj *p = mr->p;
	size_t i = mr->i;
	int stage = mr->stage;
	const char *sha = mr->sha256;
	ctx_free(c, mr);
	if (r->rc != 0) {
		if (stage == STAGE_PEP658 && r->rc != DL_ENOMEM) {
			/* A .metadata file that is missing or wrong: read the wheel. */
			p->metas[i].pep658_failed = true;
			const char *msg = dl_error_last()->message;
			p->metas[i].pub.warning = dl_arena_strndup(c->arena, msg, strlen(msg));
			int rc = lazy_start(c, p, i);
			if (rc != 0)
				meta_settle(c, p, i, rc);
			return;
		}
		meta_settle(c, p, i, r->rc);
		return;
	}
	if (p->direct && stage == STAGE_ARTIFACT) {
		((dl_index_file *)p->files[i].file)->size = (int64_t)r->body.len;
		int rc = sha == NULL ? learn_hash(c, p, i, r->body.ptr != NULL ? r->body.ptr : "", r->body.len, &sha) : 0;
		if (rc != 0) {
			meta_settle(c, p, i, rc);
			return;
		}
	}
	if (sha != NULL && dl_cache_get_mode(c->cache) != DL_CACHE_NO_CACHE)
		(void)dl_cache_artifact_store(c->cache, sha, r->body.ptr != NULL ? r->body.ptr : "", r->body.len);
	meta_bytes(c, p, i, stage, r->body.ptr != NULL ? r->body.ptr : "", r->body.len,
	           r->source != DL_FETCH_NETWORK, sha != NULL);
}

/* Get the bytes of stage `stage` of file i: the artifact cache when the
 * page gives a sha256, else the network (through the HTTP cache when there
 * is no hash to address the bytes by).  Runs inside the loop. */
static int meta_fetch(dl_client *c, proj *p, size_t i, int stage)
{
	const dl_client_file *f = &p->files[i];
	const char *sha = stage == STAGE_PEP658 ? file_sha256(&f->file->core_metadata.hashes) : file_sha256(&f->file->hashes);
	size_t max = stage == STAGE_PEP658 ? c->o.max_metadata : c->o.max_artifact;
	dl_cache_mode mode = dl_cache_get_mode(c->cache);
	if (sha != NULL && mode != DL_CACHE_NO_CACHE) {
		char *data = NULL;
		size_t len = 0;
		int rc = dl_cache_artifact_load(c->cache, &data, &len, sha, max);
		if (rc == 0) {
			c->stats.artifact_hits++;
			meta_bytes(c, p, i, stage, data, len, true, true);
			dl_free(data);
			return 0;
		}
		if (rc != DL_ENOTFOUND)
			return rc;
	}
	dl_buf url = DL_BUF_INIT;
	dl_buf_puts(&url, f->file->url);
	if (stage == STAGE_PEP658)
		dl_buf_puts(&url, ".metadata");
	meta_req *mr = ctx_alloc(c, sizeof *mr);
	if (url.failed || mr == NULL) {
		dl_buf_free(&url);
		ctx_free(c, mr);
		return dl_error_oom();
	}
	*mr = (meta_req){c, p, i, stage, sha};
	dl_fetch_request req = {0};
	req.url = url.ptr;
	req.max_body = max;
	req.expected_sha256 = sha;
	req.done = on_meta_bytes;
	req.user = mr;
	int rc;
	if (sha != NULL && !is_file_url(url.ptr)) {
		if (mode == DL_CACHE_OFFLINE) {
			char *r = redact(url.ptr);
			rc = dl_error_set(DL_ENOTFOUND, "offline and not in the cache: %s", r != NULL ? r : "?");
			dl_free(r);
		} else {
			rc = dl_fetch_add(c->fetch, &req);
		}
	} else {
		rc = dl_cache_fetch_add(c->cache, c->fetch, &req);
	}
	dl_buf_free(&url);
	if (rc != 0)
		ctx_free(c, mr);
	return rc;
}


/* ------------------------------------------------------------------ */
/* Lazy wheels: METADATA through range requests                        */

#define LAZY_MAX_REQUESTS 6

typedef struct lazy {
	dl_client *c;
	proj *p;
	size_t i;
	const char *sha; /* the wheel's sha256 from the page; NULL */
	dl_buf held;     /* bytes [held_off, held_off + held.len) of the wheel */
	uint64_t held_off;
	uint64_t size;   /* the wheel's size, from Content-Range */
	dl_zipdir *dir;
	const dl_zip_entry *entry;
	int step;        /* 0: the tail, 1: more of the tail, 2: the member */
	int requests;
} lazy;

static void lazy_release(void *ptr)
{
	lazy *lz = ptr;
	dl_buf_free(&lz->held);
	dl_zipdir_free(lz->dir);
}

static int lazy_request(lazy *lz, uint64_t off, uint64_t len);

/* Give up on ranges: download the whole wheel (with a warning). */
static void lazy_fallback(lazy *lz, const char *why)
{
	dl_client *c = lz->c;
	proj *p = lz->p;
	size_t i = lz->i;
	meta_slot *m = &p->metas[i];
	char buf[600];
	snprintf(buf, sizeof buf, "range requests into %s failed (%s); downloaded the whole wheel", p->files[i].file->filename,
	         why);
	m->pub.warning = dl_arena_strndup(c->arena, buf, strlen(buf));
	ctx_free(c, lz);
	int rc = meta_fetch(c, p, i, STAGE_ARTIFACT);
	if (rc != 0)
		meta_settle(c, p, i, rc);
}

static void lazy_done(lazy *lz, const char *data, size_t len)
{
	dl_client *c = lz->c;
	proj *p = lz->p;
	size_t i = lz->i;
	meta_slot *m = &p->metas[i];
	const dl_client_file *f = &p->files[i];
	int rc = parse_core(&m->md, data, len);
	if (rc == 0)
		rc = check_identity(p, f, m->md->name, &m->md->version, "METADATA");
	if (rc != 0) {
		char *r = redact(f->file->url);
		dl_error_context("reading '%s'", r != NULL ? r : f->file->filename);
		dl_free(r);
		ctx_free(c, lz);
		meta_settle(c, p, i, rc);
		return;
	}
	if (lz->sha != NULL && dl_cache_get_mode(c->cache) != DL_CACHE_NO_CACHE)
		(void)dl_cache_derived_store(c->cache, lz->sha, "METADATA", data, len);
	m->pub.via = DL_CLIENT_VIA_RANGE;
	m->pub.metadata = m->md;
	m->pub.unhashed = true; /* the bytes read are not the whole file the hash covers */
	c->stats.via_range++;
	ctx_free(c, lz);
	meta_settle(c, p, i, 0);
}

/* Decode the member from what is held, or ask for its bytes. */
static void lazy_member(lazy *lz, const char *data, size_t len, uint64_t off)
{
	dl_buf out = DL_BUF_INIT;
	dl_zip_range need = {0, 0};
	int rc = dl_zip_member_extract(&out, &need, lz->dir, lz->entry, data, len, off, lz->c->o.max_metadata);
	if (rc == DL_ZIP_NEED_MORE) {
		dl_buf_free(&out);
		if ((rc = lazy_request(lz, need.offset, need.len)) != 0)
			lazy_fallback(lz, dl_error_last()->message);
		return;
	}
	if (rc != 0) {
		dl_buf_free(&out);
		lazy_fallback(lz, dl_error_last()->message);
		return;
	}
	lazy_done(lz, out.ptr != NULL ? out.ptr : "", out.len);
	dl_buf_free(&out);
}

/* The held tail grew: parse the directory, or ask for more of it. */
static void lazy_parse(lazy *lz)
{
	dl_zip_range need = {0, 0};
	const dl_client_file *f = &lz->p->files[lz->i];
	dl_zipdir_free(lz->dir);
	lz->dir = NULL;
	int rc = dl_zipdir_parse(&lz->dir, &need, lz->held.ptr != NULL ? lz->held.ptr : "", lz->held.len, lz->held_off,
	                         lz->size, f->file->filename, NULL);
	if (rc == DL_ZIP_NEED_MORE) {
		lz->step = 1;
		if ((rc = lazy_request(lz, need.offset, lz->held_off - need.offset)) != 0)
			lazy_fallback(lz, dl_error_last()->message);
		return;
	}
	if (rc == 0)
		rc = dl_zipdir_find_wheel_metadata(&lz->entry, lz->dir, lz->p->normalized, f->version_text);
	if (rc != 0) {
		lazy_fallback(lz, dl_error_last()->message);
		return;
	}
	dl_zip_range r = dl_zipdir_member_range(lz->dir, lz->entry);
	if (r.offset >= lz->held_off) {
		/* Already held (small wheels): decode from the tail. */
		lazy_member(lz, lz->held.ptr, lz->held.len, lz->held_off);
		return;
	}
	lz->step = 2;
	if ((rc = lazy_request(lz, r.offset, r.len)) != 0)
		lazy_fallback(lz, dl_error_last()->message);
}

/* "bytes A-B/T" */
static bool content_range(const char *s, uint64_t *start, uint64_t *total)
{
	if (s == NULL || strncmp(s, "bytes ", 6) != 0)
		return false;
	const char *p = s + 6;
	uint64_t a = 0, b = 0, t = 0;
	int n = 0;
	while (dl_isdigit((unsigned char)*p) && n++ < 19)
		a = a * 10 + (uint64_t)(*p++ - '0');
	if (*p++ != '-')
		return false;
	n = 0;
	while (dl_isdigit((unsigned char)*p) && n++ < 19)
		b = b * 10 + (uint64_t)(*p++ - '0');
	if (*p++ != '/')
		return false;
	n = 0;
	while (dl_isdigit((unsigned char)*p) && n++ < 19)
		t = t * 10 + (uint64_t)(*p++ - '0');
	if (*p != '\0' || b < a || b >= t)
		return false;
	*start = a;
	*total = t;
	return true;
}

static void on_lazy(dl_fetch *fe, dl_fetch_response *r)
{
	(void)fe;
	lazy *lz = r->user;
	dl_client *c = lz->c;
	if (r->rc != 0) {
		lazy_fallback(lz, dl_error_last()->message);
		return;
	}
	const char *body = r->body.ptr != NULL ? r->body.ptr : "";
	size_t len = r->body.len;
	uint64_t start = 0, total = 0;
	c->stats.range_requests++;
	if (r->status == 200) {
		/* The server ignored the range: this is the whole wheel. */
		c->stats.bytes_artifacts += len;
		const char *sha = lz->sha;
		if (sha != NULL) {
			char got[65];
			if (dl_sha256_hex(got, body, len) != 0 || strcmp(got, sha) != 0) {
				char *u = redact(lz->p->files[lz->i].file->url);
				dl_error_set(DL_EPARSE, "hash mismatch for %s: expected sha256 %s", u != NULL ? u : "?", sha);
				dl_free(u);
				meta_settle(c, lz->p, lz->i, DL_EPARSE);
				ctx_free(c, lz);
				return;
			}
			if (dl_cache_get_mode(c->cache) != DL_CACHE_NO_CACHE)
				(void)dl_cache_artifact_store(c->cache, sha, body, len);
		}
		proj *p = lz->p;
		size_t i = lz->i;
		ctx_free(c, lz);
		meta_bytes(c, p, i, STAGE_ARTIFACT, body, len, false, sha != NULL);
		return;
	}
	if (r->status != 206 || !content_range(r->content_range, &start, &total)) {
		lazy_fallback(lz, "no usable Content-Range in the answer");
		return;
	}
	if (lz->step == 0) {
		dl_buf_reset(&lz->held);
		dl_buf_put(&lz->held, body, len);
		lz->held_off = start;
		lz->size = total;
	} else if (lz->step == 1) {
		if (total != lz->size || start + len != lz->held_off) {
			lazy_fallback(lz, "the server answered another range than asked");
			return;
		}
		dl_buf nb = DL_BUF_INIT;
		dl_buf_put(&nb, body, len);
		dl_buf_put(&nb, lz->held.ptr, lz->held.len);
		dl_buf_free(&lz->held);
		lz->held = nb;
		lz->held_off = start;
	} else {
		lazy_member(lz, body, len, start);
		return;
	}
	if (lz->held.failed) {
		lazy_fallback(lz, "out of memory");
		return;
	}
	lazy_parse(lz);
}

static int lazy_request(lazy *lz, uint64_t off, uint64_t len)
{
	if (++lz->requests > LAZY_MAX_REQUESTS)
		return dl_error_set(DL_ELIMIT, "more than %d range requests", LAZY_MAX_REQUESTS);
	char range[64];
	if (lz->step == 0)
		snprintf(range, sizeof range, "-%llu", (unsigned long long)len);
	else if (len == 0)
		return dl_error_set(DL_EPARSE, "an empty range was asked for");
	else
		snprintf(range, sizeof range, "%llu-%llu", (unsigned long long)off, (unsigned long long)(off + len - 1));
	dl_fetch_request req = {0};
	req.url = lz->p->files[lz->i].file->url;
	req.range = range;
	req.max_body = lz->c->o.max_artifact;
	req.done = on_lazy;
	req.user = lz;
	return dl_fetch_add(lz->c->fetch, &req);
}

/* Read a wheel's METADATA: the derived cache, the whole wheel when the
 * artifact cache holds it, else range requests.  Runs inside the loop. */
static int lazy_start(dl_client *c, proj *p, size_t i)
{
	const dl_client_file *f = &p->files[i];
	const char *sha = file_sha256(&f->file->hashes);
	dl_cache_mode mode = dl_cache_get_mode(c->cache);
	if (is_file_url(f->file->url) || mode == DL_CACHE_OFFLINE)
		return meta_fetch(c, p, i, STAGE_ARTIFACT);
	if (sha != NULL && mode != DL_CACHE_NO_CACHE) {
		char *data = NULL;
		size_t len = 0;
		int rc = dl_cache_derived_load(c->cache, &data, &len, sha, "METADATA", c->o.max_metadata);
		if (rc == 0) {
			meta_slot *m = &p->metas[i];
			rc = parse_core(&m->md, data, len);
			dl_free(data);
			if (rc == 0 && (rc = check_identity(p, f, m->md->name, &m->md->version, "METADATA")) == 0) {
				c->stats.artifact_hits++;
				c->stats.via_range++;
				m->pub.via = DL_CLIENT_VIA_RANGE;
				m->pub.metadata = m->md;
				m->pub.from_cache = true;
				m->pub.unhashed = true;
				meta_settle(c, p, i, 0);
				return 0;
			}
			dl_metadata_free(m->md);
			m->md = NULL;
			if (rc == DL_ENOMEM)
				return rc;
		} else if (rc != DL_ENOTFOUND) {
			return rc;
		}
		/* The whole wheel may already be cached (an earlier download). */
		char *whole = NULL;
		if (dl_cache_artifact_load(c->cache, &whole, &len, sha, c->o.max_artifact) == 0) {
			c->stats.artifact_hits++;
			meta_bytes(c, p, i, STAGE_ARTIFACT, whole, len, true, true);
			dl_free(whole);
			return 0;
		}
		dl_error_clear();
	}
	lazy *lz = ctx_alloc(c, sizeof *lz);
	if (lz == NULL)
		return dl_error_oom();
	((pend *)lz - 1)->dtor = lazy_release;
	lz->c = c;
	lz->p = p;
	lz->i = i;
	lz->sha = sha;
	uint64_t tail = DL_ZIP_TAIL_INITIAL;
	if (f->file->size > 0 && (uint64_t)f->file->size < tail)
		tail = (uint64_t)f->file->size;
	int rc = lazy_request(lz, 0, tail);
	if (rc != 0)
		ctx_free(c, lz);
	return rc;
}

typedef struct meta_begin_arg {
	dl_client *c;
	proj *p;
	size_t i;
} meta_begin_arg;

static void meta_begin(dl_fetch *f, void *arg)
{
	(void)f;
	meta_begin_arg *a = arg;
	dl_client *c = a->c;
	proj *p = a->p;
	size_t i = a->i;
	ctx_free(c, a);
	const dl_client_file *cf = &p->files[i];
	int rc;
	if (p->direct)
		rc = meta_fetch(c, p, i, STAGE_ARTIFACT); /* the whole file: its hash goes in the lock */
	else if (cf->kind == DL_DIST_WHEEL && cf->file->core_metadata.available)
		rc = meta_fetch(c, p, i, STAGE_PEP658);
	else if (cf->kind == DL_DIST_WHEEL)
		rc = lazy_start(c, p, i);
	else
		rc = meta_fetch(c, p, i, STAGE_ARTIFACT);
	if (rc != 0)
		meta_settle(c, p, i, rc);
}

static proj *owner_of(dl_client *c, const dl_client_project *pub)
{
	if (pub == NULL || pub->normalized == NULL)
		return NULL;
	proj *p = table_find(c, pub->normalized);
	return p != NULL && &p->pub == pub ? p : NULL;
}

int dl_client_meta_get(dl_client *c, const dl_client_project *pub, size_t index, dl_client_meta_fn fn, void *user)
{
	proj *p = owner_of(c, pub);
	if (p == NULL || p->state != ST_DONE || index >= p->n_files)
		return dl_error_set(DL_EINVAL, "dl_client_meta_get: no file %zu in that project", index);
	meta_slot *m = &p->metas[index];
	waiter w = {.user = user};
	w.fn.meta = fn;
	if (m->state == ST_DONE || m->state == ST_FAILED)
		return post_answer(c, p, index, w);
	int rc = add_waiter(&m->waiters, w);
	if (rc != 0 || m->state == ST_PENDING)
		return rc;
	meta_begin_arg *a = ctx_alloc(c, sizeof *a);
	if (a == NULL || (rc = dl_fetch_post(c->fetch, meta_begin, a)) != 0) {
		rc = a == NULL ? dl_error_oom() : rc;
		ctx_free(c, a);
		free_waiters(m->waiters);
		m->waiters = NULL;
		return rc;
	}
	a->c = c;
	a->p = p;
	a->i = index;
	m->state = ST_PENDING;
	return 0;
}

const dl_client_meta *dl_client_meta_peek(dl_client *c, const dl_client_project *pub, size_t index)
{
	proj *p = owner_of(c, pub);
	if (p == NULL || p->state != ST_DONE || index >= p->n_files || p->metas[index].state != ST_DONE)
		return NULL;
	return &p->metas[index].pub;
}
