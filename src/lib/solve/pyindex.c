/*
 * pyindex.c - Python resolution over the index client (rules in pyindex.h).
 *
 * Design.  Packages get solver ids on first mention: a base project "a"
 * and each extra "a[x]" as its own virtual package.  A base package's
 * candidates are built once, when its project page arrives: the files are
 * grouped by version (the client sorts them newest first, wheels first),
 * each group judged usable or not, and the file to read metadata from
 * chosen (the best-ranked usable wheel, else the sdist).  What depends on
 * the resolution's roots (the yanked-pin exception and the pre-release
 * opt-in) is applied per resolution into an "offered" list, so one
 * dl_pyindex serves every build environment of a lock and each project and
 * metadata file is fetched once.
 *
 * The solver's callbacks are synchronous.  When one needs a project page or
 * a candidate's metadata that has not arrived, it queues the request (if
 * nobody has) and runs the fetch engine until that answer is in; requests
 * queued earlier as prefetches complete meanwhile, so the network stays
 * busy while the solver thinks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/marker.h"
#include "deeplock/name.h"
#include "deeplock/pyindex.h"
#include "deeplock/range.h"
#include "deeplock/requirement.h"
#include "deeplock/solver.h"
#include "deeplock/specifier.h"
#include "deeplock/tags.h"

#define PREFETCH_CANDIDATES 1
#define PREFETCH_BACKTRACK 4

typedef struct dep {
	dl_requirement *r;
	const char *extra; /* sdist static extras: active only for this extra */
} dep;

typedef struct cand {
	const char *text;
	dl_version v;
	bool yanked;
	size_t file;          /* client file index to read metadata from; SIZE_MAX when unusable */
	const char *unusable; /* reason */
	/* metadata */
	bool meta_asked, meta_done;
	int meta_rc;
	char *meta_error;
	dep *deps;
	size_t ndeps;
	const char *deps_unknown; /* dependencies need running code: the reason */
} cand;

typedef struct pkg {
	char *name;  /* display name: "a" or "a[x]" */
	char *base_name;
	char *extra;
	uint32_t base;
	/* base packages only */
	bool proj_asked, proj_done;
	int proj_rc;
	char *proj_error;
	const dl_client_project *proj;
	cand *cands;
	size_t ncands;
	/* per resolution */
	unsigned gen;
	dl_version *offered;
	size_t *offered_idx;
	size_t noffered, cap_offered;
	struct pkg *hnext_dummy;
} pkg;

struct dl_pyindex {
	dl_pyindex_opts o;
	dl_client *client;
	dl_arena *a;
	dl_marker_env *env;
	dl_tag_list *tags;
	dl_version target;
	char target_text[32];
	char *environment;
	char tag_desc[128];
	bool only_binary_all, no_binary_all;
	char **only_binary, **no_binary;
	size_t n_only_binary, n_no_binary;
	dl_requirement **constraints;
	size_t n_constraints;

	pkg *pk;
	size_t npk, cappk;
	uint32_t *table; /* open addressing: id + 1, 0 empty */
	size_t table_cap;

	/* the current resolution */
	unsigned gen;
	dl_requirement **roots;
	size_t nroots;
	const char *what; /* the root's name in explanations */
	dl_solver_dep *sdeps;
	dl_range *ranges;
	size_t nsdeps, capsdeps;
	dl_lock_pin *pins;
	size_t npins;
	dl_arena *pin_arena;
	struct ask *asks;
	dl_pyindex_stats stats;
};

struct ask;
static void ask_free(struct ask *a);

/* ------------------------------------------------------------------ */
/* Setup                                                                */

static bool in_list(char *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

static int name_list(dl_pyindex *p, const char *const *in, size_t n, char ***out, size_t *nout, bool *all,
                     const char *what)
{
	*out = dl_arena_calloc(p->a, n + 1, sizeof(char *));
	if (*out == NULL)
		return dl_error_oom();
	for (size_t i = 0; i < n; i++) {
		if (strcmp(in[i], ":all:") == 0) {
			*all = true;
			continue;
		}
		if (strcmp(in[i], ":none:") == 0) {
			*all = false;
			*nout = 0;
			continue;
		}
		size_t len = strlen(in[i]);
		if (!dl_name_is_valid(in[i], len))
			return dl_error_set(DL_EINVAL, "%s: '%s' is not a valid project name", what, in[i]);
		char *s = dl_arena_alloc(p->a, len + 1);
		if (s == NULL)
			return dl_error_oom();
		s[dl_name_normalize_into(s, in[i], len)] = '\0';
		(*out)[(*nout)++] = s;
	}
	return 0;
}

static int set_target(dl_pyindex *p)
{
	const char *py = p->o.python != NULL ? p->o.python : "3.11";
	const char *plat = p->o.platform != NULL ? p->o.platform : "manylinux_2_36_x86_64";
	unsigned major = 0, minor = 0, micro = 0;
	int used = 0;
	if (sscanf(py, "%u.%u%n", &major, &minor, &used) != 2 ||
	    (py[used] != '\0' && (py[used] != '.' || sscanf(py + used + 1, "%u", &micro) != 1)) || major > 9 ||
	    minor > 99 || micro > 999)
		return dl_error_set(DL_EINVAL, "target Python '%s' must be X.Y or X.Y.Z", py);
	snprintf(p->target_text, sizeof p->target_text, "%u.%u.%u", major, minor, micro);
	int rc = dl_version_parse_into(&p->target, p->target_text, strlen(p->target_text));
	if (rc != 0)
		return rc;
	dl_tag_target t = DL_TAG_TARGET_INIT;
	t.py_major = major;
	t.py_minor = minor;
	if ((rc = dl_tag_target_set(&t, "platform", plat, strlen(plat))) != 0 || (rc = dl_tag_list_new(&p->tags, &t)) != 0)
		return rc;
	snprintf(p->tag_desc, sizeof p->tag_desc, "cp%u%u-%s", major, minor, plat);
	/* Markers: a CPython on Linux or macOS or Windows as the tag says. */
	bool linux = strstr(plat, "linux") != NULL, mac = strncmp(plat, "macosx", 6) == 0,
	     win = strncmp(plat, "win", 3) == 0;
	const char *machine = t.arch[0] != '\0' ? t.arch : "x86_64";
	char short_v[16];
	snprintf(short_v, sizeof short_v, "%u.%u", major, minor);
	const struct {
		dl_marker_var var;
		const char *value;
	} vals[] = {
	    {DL_MARKER_OS_NAME, win ? "nt" : "posix"},
	    {DL_MARKER_SYS_PLATFORM, linux ? "linux" : mac ? "darwin" : win ? "win32" : plat},
	    {DL_MARKER_PLATFORM_SYSTEM, linux ? "Linux" : mac ? "Darwin" : win ? "Windows" : ""},
	    {DL_MARKER_PLATFORM_MACHINE, machine},
	    {DL_MARKER_IMPLEMENTATION_NAME, "cpython"},
	    {DL_MARKER_PLATFORM_PYTHON_IMPLEMENTATION, "CPython"},
	    {DL_MARKER_PLATFORM_RELEASE, ""},
	    {DL_MARKER_PLATFORM_VERSION, ""},
	    {DL_MARKER_PYTHON_VERSION, short_v},
	    {DL_MARKER_PYTHON_FULL_VERSION, p->target_text},
	    {DL_MARKER_IMPLEMENTATION_VERSION, p->target_text},
	};
	if ((rc = dl_marker_env_new(&p->env)) != 0)
		return rc;
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
		if ((rc = dl_marker_env_set(p->env, vals[i].var, vals[i].value, strlen(vals[i].value))) != 0)
			return rc;
	/* "3.11" means any 3.11.x interpreter: say python_version then, so an
	 * installer on 3.11.7 matches; "3.11.4" pins the full version. */
	bool micro_given = py[used] == '.';
	dl_buf b = DL_BUF_INIT;
	if (micro_given)
		dl_buf_printf(&b, "python_full_version == \"%s\"", p->target_text);
	else
		dl_buf_printf(&b, "python_version == \"%s\"", short_v);
	dl_buf_printf(&b, " and sys_platform == \"%s\" and platform_machine == \"%s\"", vals[1].value, machine);
	p->environment = b.failed ? NULL : dl_arena_strndup(p->a, b.ptr, b.len);
	dl_buf_free(&b);
	return p->environment == NULL ? dl_error_oom() : 0;
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
	int rc = set_target(p);
	if (rc == 0)
		rc = name_list(p, o->only_binary, o->n_only_binary, &p->only_binary, &p->n_only_binary, &p->only_binary_all,
		               "--only-binary");
	if (rc == 0)
		rc = name_list(p, o->no_binary, o->n_no_binary, &p->no_binary, &p->n_no_binary, &p->no_binary_all,
		               "--no-binary");
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
	p->table_cap = 256;
	p->table = dl_calloc(p->table_cap, sizeof(*p->table));
	/* Package 0 is the root; it is never in the table. */
	p->cappk = 16;
	p->pk = dl_calloc(p->cappk, sizeof(*p->pk));
	if (rc == 0 && (p->table == NULL || p->pk == NULL))
		rc = dl_error_oom();
	if (rc == 0) {
		p->pk[0].name = p->pk[0].base_name = (char *)"<root>";
		p->npk = 1;
	}
	if (rc != 0) {
		dl_pyindex_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

static void cand_clear(cand *c)
{
	dl_version_clear(&c->v);
	for (size_t i = 0; i < c->ndeps; i++)
		dl_requirement_free(c->deps[i].r);
	dl_free(c->deps);
	dl_free(c->meta_error);
}

void dl_pyindex_free(dl_pyindex *p)
{
	if (p == NULL)
		return;
	while (p->asks != NULL)
		ask_free(p->asks);
	for (size_t i = 0; i < p->npk; i++) {
		pkg *k = &p->pk[i];
		for (size_t c = 0; c < k->ncands; c++)
			cand_clear(&k->cands[c]);
		dl_free(k->cands);
		for (size_t v = 0; v < k->noffered; v++)
			dl_version_clear(&k->offered[v]);
		dl_free(k->offered);
		dl_free(k->offered_idx);
		dl_free(k->proj_error);
	}
	for (size_t i = 0; i < p->n_constraints; i++)
		dl_requirement_free(p->constraints[i]);
	for (size_t i = 0; i < p->capsdeps; i++)
		dl_range_clear(&p->ranges[i]);
	dl_free(p->sdeps);
	dl_free(p->ranges);
	dl_free(p->pk);
	dl_free(p->table);
	dl_version_clear(&p->target);
	dl_marker_env_free(p->env);
	dl_tag_list_free(p->tags);
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
/* Package ids                                                          */

static uint64_t hash2(const char *a, const char *b)
{
	uint64_t h = 1469598103934665603ull;
	for (; *a; a++)
		h = (h ^ (unsigned char)*a) * 1099511628211ull;
	h = (h ^ 0xff) * 1099511628211ull;
	for (; b != NULL && *b; b++)
		h = (h ^ (unsigned char)*b) * 1099511628211ull;
	return h;
}

static bool same_key(const pkg *k, const char *base, const char *extra)
{
	if (strcmp(k->base_name, base) != 0)
		return false;
	if (extra == NULL || k->extra == NULL)
		return extra == NULL && k->extra == NULL;
	return strcmp(k->extra, extra) == 0;
}

static int table_put(dl_pyindex *p, uint32_t id)
{
	if ((p->npk + 1) * 2 > p->table_cap) {
		size_t cap = p->table_cap * 2;
		uint32_t *t = dl_calloc(cap, sizeof(*t));
		if (t == NULL)
			return dl_error_oom();
		for (size_t i = 0; i < p->npk; i++) {
			size_t h = hash2(p->pk[i].base_name, p->pk[i].extra) & (cap - 1);
			while (t[h] != 0)
				h = (h + 1) & (cap - 1);
			t[h] = (uint32_t)i + 1;
		}
		dl_free(p->table);
		p->table = t;
		p->table_cap = cap;
		if (id < p->npk)
			return 0; /* rehashing placed it */
	}
	size_t h = hash2(p->pk[id].base_name, p->pk[id].extra) & (p->table_cap - 1);
	while (p->table[h] != 0)
		h = (h + 1) & (p->table_cap - 1);
	p->table[h] = id + 1;
	return 0;
}

/* The id of base package `name` (normalised) or of its extra. */
static int pkg_id(dl_pyindex *p, const char *name, const char *extra, uint32_t *out)
{
	size_t h = hash2(name, extra) & (p->table_cap - 1);
	while (p->table[h] != 0) {
		uint32_t id = p->table[h] - 1;
		if (id != 0 && same_key(&p->pk[id], name, extra)) {
			*out = id;
			return 0;
		}
		h = (h + 1) & (p->table_cap - 1);
	}
	uint32_t base = 0;
	if (extra != NULL) {
		int rc = pkg_id(p, name, NULL, &base);
		if (rc != 0)
			return rc;
	}
	if (p->npk == p->cappk) {
		if (dl_realloc_array((void **)&p->pk, p->cappk * 2, sizeof(*p->pk)) != 0)
			return dl_error_oom();
		p->cappk *= 2;
	}
	uint32_t id = (uint32_t)p->npk;
	pkg *k = &p->pk[id];
	memset(k, 0, sizeof(*k));
	k->base_name = dl_arena_strndup(p->a, name, strlen(name));
	k->extra = extra != NULL ? dl_arena_strndup(p->a, extra, strlen(extra)) : NULL;
	if (extra != NULL) {
		dl_buf b = DL_BUF_INIT;
		dl_buf_printf(&b, "%s[%s]", name, extra);
		k->name = b.failed ? NULL : dl_arena_strndup(p->a, b.ptr, b.len);
		dl_buf_free(&b);
	} else {
		k->name = k->base_name;
	}
	if (k->base_name == NULL || k->name == NULL || (extra != NULL && k->extra == NULL))
		return dl_error_oom();
	k->base = extra != NULL ? base : id;
	p->npk++;
	int rc = table_put(p, id);
	if (rc != 0)
		return rc;
	*out = id;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Candidates                                                           */

static bool only_binary(const dl_pyindex *p, const char *name)
{
	return p->only_binary_all || in_list(p->only_binary, p->n_only_binary, name);
}

static bool no_binary(const dl_pyindex *p, const char *name)
{
	return p->no_binary_all || in_list(p->no_binary, p->n_no_binary, name);
}

/* Requires-Python of a file admits the target (pip's rule: the whole
 * specifier; an unparsable one is ignored, as pip does). */
static bool python_ok(const dl_pyindex *p, const char *rp)
{
	if (rp == NULL || rp[0] == '\0')
		return true;
	dl_specset *set = NULL;
	if (dl_specset_parse(&set, rp, strlen(rp)) != 0) {
		dl_error_clear();
		return true;
	}
	bool ok = dl_specset_contains(set, &p->target, 1);
	dl_specset_free(set);
	return ok;
}

static bool wheel_usable(const dl_pyindex *p, const char *name, const dl_client_file *f, size_t *rank)
{
	if (f->kind != DL_DIST_WHEEL || f->wheel == NULL || no_binary(p, name))
		return false;
	if (!python_ok(p, f->file->requires_python))
		return false;
	size_t r = 0;
	if (!dl_tag_list_match(p->tags, f->wheel->tags, &r))
		return false;
	if (rank != NULL)
		*rank = r;
	return true;
}

/* Group the project's files into candidates (once). */
static int build_cands(dl_pyindex *p, pkg *k)
{
	const dl_client_project *pr = k->proj;
	size_t n = pr != NULL ? pr->n_files : 0;
	k->cands = dl_calloc(n + 1, sizeof(*k->cands));
	if (k->cands == NULL)
		return dl_error_oom();
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && dl_version_cmp(&pr->files[j].version, &pr->files[i].version) == 0)
			j++;
		cand *c = &k->cands[k->ncands];
		if (dl_version_copy(&c->v, &pr->files[i].version) != 0)
			return dl_error_oom();
		k->ncands++;
		c->text = pr->files[i].version_text;
		c->file = SIZE_MAX;
		c->yanked = true;
		size_t best_rank = SIZE_MAX, sdist = SIZE_MAX;
		bool any_wheel = false, py_blocked = false;
		const char *blocking_rp = NULL;
		for (size_t f = i; f < j; f++) {
			const dl_client_file *cf = &pr->files[f];
			c->yanked = c->yanked && cf->file->yanked;
			if (!python_ok(p, cf->file->requires_python)) {
				py_blocked = true;
				blocking_rp = cf->file->requires_python;
				continue;
			}
			size_t rank = 0;
			if (cf->kind == DL_DIST_WHEEL) {
				any_wheel = true;
				if (wheel_usable(p, k->base_name, cf, &rank) && rank < best_rank) {
					best_rank = rank;
					c->file = f;
				}
			} else if (cf->kind == DL_DIST_SDIST && sdist == SIZE_MAX && !only_binary(p, k->base_name)) {
				sdist = f;
			}
		}
		if (c->file == SIZE_MAX)
			c->file = sdist;
		if (c->file == SIZE_MAX) {
			dl_buf b = DL_BUF_INIT;
			if (py_blocked && !any_wheel && sdist == SIZE_MAX)
				dl_buf_printf(&b, "requires Python %s", blocking_rp);
			else if (only_binary(p, k->base_name) && !any_wheel)
				dl_buf_printf(&b, "has no wheel and --only-binary excludes its sdist");
			else
				dl_buf_printf(&b, "has no wheel for %s%s", p->tag_desc,
				              only_binary(p, k->base_name) ? " (and --only-binary excludes its sdist)"
				                                           : " and no sdist");
			c->unusable = b.failed ? "cannot be installed" : dl_arena_strndup(p->a, b.ptr, b.len);
			dl_buf_free(&b);
		}
		i = j;
	}
	if (p->o.lowest && k->ncands > 1) {
		for (size_t a = 0, b = k->ncands - 1; a < b; a++, b--) {
			cand t = k->cands[a];
			k->cands[a] = k->cands[b];
			k->cands[b] = t;
		}
	}
	return 0;
}

static bool root_pins(const dl_pyindex *p, const char *name, const dl_version *v)
{
	for (size_t i = 0; i < p->nroots; i++) {
		const dl_requirement *r = p->roots[i];
		if (strcmp(r->normalized_name, name) != 0)
			continue;
		for (size_t k = 0; k < r->specifier->count; k++) {
			const dl_spec *sp = &r->specifier->specs[k];
			if ((sp->op == DL_SPEC_EQ || sp->op == DL_SPEC_ARBITRARY) && dl_spec_matches(sp, v))
				return true;
		}
	}
	return false;
}

static bool root_names_prerelease(const dl_pyindex *p, const char *name)
{
	for (size_t i = 0; i < p->nroots; i++)
		if (strcmp(p->roots[i]->normalized_name, name) == 0 && dl_specset_names_prerelease(p->roots[i]->specifier))
			return true;
	return false;
}

static void on_project(dl_client *c, const dl_client_project *pr, int rc, void *user);

/* A question's context.  Outstanding ones are listed so that
 * dl_pyindex_free releases prefetches whose answers never came. */
typedef struct ask {
	dl_pyindex *p;
	uint32_t id;
	size_t cand;
	struct ask *prev, *next;
} ask;

static ask *ask_new(dl_pyindex *p, uint32_t id, size_t ci)
{
	ask *a = dl_calloc(1, sizeof *a);
	if (a == NULL)
		return NULL;
	a->p = p;
	a->id = id;
	a->cand = ci;
	a->next = p->asks;
	if (a->next != NULL)
		a->next->prev = a;
	p->asks = a;
	return a;
}

static void ask_free(struct ask *a)
{
	dl_pyindex *p = a->p;
	if (a->prev != NULL)
		a->prev->next = a->next;
	else
		p->asks = a->next;
	if (a->next != NULL)
		a->next->prev = a->prev;
	dl_free(a);
}

static int ask_project(dl_pyindex *p, uint32_t id)
{
	pkg *k = &p->pk[id];
	if (k->proj_asked)
		return 0;
	ask *a = ask_new(p, id, 0);
	if (a == NULL)
		return dl_error_oom();
	k->proj_asked = true;
	int rc = dl_client_project_get(p->client, k->base_name, on_project, a);
	if (rc != 0) {
		ask_free(a);
		k->proj_asked = false;
	}
	return rc;
}

static void on_meta(dl_client *c, const dl_client_meta *m, int rc, void *user);

static int ask_meta(dl_pyindex *p, uint32_t id, size_t ci)
{
	pkg *k = &p->pk[id];
	cand *c = &k->cands[ci];
	if (c->meta_asked || c->file == SIZE_MAX)
		return 0;
	ask *a = ask_new(p, id, ci);
	if (a == NULL)
		return dl_error_oom();
	c->meta_asked = true;
	int rc = dl_client_meta_get(p->client, k->proj, c->file, on_meta, a);
	if (rc != 0) {
		ask_free(a);
		c->meta_asked = false;
	}
	return rc;
}

/* Prefetch: the metadata of the first usable, non-yanked, final candidates. */
static void prefetch_meta(dl_pyindex *p, uint32_t id)
{
	pkg *k = &p->pk[id];
	size_t done = 0;
	for (size_t i = 0; i < k->ncands && done < PREFETCH_CANDIDATES; i++) {
		cand *c = &k->cands[i];
		if (c->file == SIZE_MAX || c->yanked || dl_version_is_prerelease(&c->v))
			continue;
		if (ask_meta(p, id, i) != 0)
			dl_error_clear(); /* a hint only */
		done++;
	}
}

static void on_project(dl_client *cl, const dl_client_project *pr, int rc, void *user)
{
	(void)cl;
	ask *a = user;
	dl_pyindex *p = a->p;
	uint32_t id = a->id;
	pkg *k = &p->pk[id];
	ask_free(a);
	k->proj_done = true;
	k->proj_rc = rc;
	if (rc != 0) {
		k->proj_error = dl_strdup(dl_error_last()->message);
		return;
	}
	k->proj = pr;
	p->stats.projects++;
	if ((k->proj_rc = build_cands(p, k)) != 0) {
		k->proj_error = dl_strdup(dl_error_last()->message);
		return;
	}
	prefetch_meta(p, id);
}

/* Parse metadata into the candidate's dependency list. */
static int take_meta(cand *c, const dl_client_meta *m)
{
	const dl_metadata *md = m->metadata;
	const dl_sdist *sd = m->sdist;
	const char *const *raw = NULL;
	size_t n = 0;
	bool from_sdist_lists = false;
	if (sd == NULL || (md != NULL && md->mv_major == 2 && md->mv_minor >= 2 &&
	                   !dl_metadata_is_dynamic(md, "Requires-Dist"))) {
		if (md == NULL)
			return dl_error_set(DL_EPARSE, "no metadata");
		raw = (const char *const *)md->requires_dist;
		n = md->n_requires_dist;
	} else if (sd->requires.dynamic != NULL || sd->extras.dynamic != NULL) {
		c->deps_unknown = sd->requires.dynamic != NULL ? sd->requires.dynamic : sd->extras.dynamic;
		return 0;
	} else {
		from_sdist_lists = true;
		n = sd->requires.count + sd->extras.count;
	}
	c->deps = dl_calloc(n + 1, sizeof(*c->deps));
	if (c->deps == NULL)
		return dl_error_oom();
	for (size_t i = 0; i < n; i++) {
		const char *s;
		const char *extra = NULL;
		if (!from_sdist_lists) {
			s = raw[i];
		} else if (i < sd->requires.count) {
			s = sd->requires.items[i].req;
		} else {
			s = sd->extras.items[i - sd->requires.count].req;
			extra = sd->extras.items[i - sd->requires.count].extra;
		}
		dl_requirement *r = NULL;
		int rc = dl_requirement_parse(&r, s, strlen(s));
		if (rc == DL_ENOMEM)
			return rc;
		if (rc != 0)
			return dl_error_context("in the metadata's requirement '%s'", s);
		c->deps[c->ndeps].r = r;
		c->deps[c->ndeps].extra = extra;
		c->ndeps++;
	}
	return 0;
}

static void on_meta(dl_client *cl, const dl_client_meta *m, int rc, void *user)
{
	(void)cl;
	ask *a = user;
	dl_pyindex *p = a->p;
	cand *c = &p->pk[a->id].cands[a->cand];
	ask_free(a);
	c->meta_done = true;
	if (rc == 0)
		rc = take_meta(c, m);
	c->meta_rc = rc;
	if (rc != 0)
		c->meta_error = dl_strdup(dl_error_last()->message);
	else
		p->stats.metadata++;
}

static int wait_project(dl_pyindex *p, uint32_t bid)
{
	pkg *k = &p->pk[bid];
	int rc = ask_project(p, bid);
	if (rc == 0 && !k->proj_done)
		rc = dl_client_wait(p->client, &k->proj_done);
	if (rc == 0 && !k->proj_done)
		rc = dl_error_set(DL_ERROR, "the network engine stopped before the index answered for '%s'", k->base_name);
	if (rc == 0 && k->proj_rc != 0)
		rc = dl_error_set(k->proj_rc, "%s", k->proj_error != NULL ? k->proj_error : "out of memory");
	return rc;
}

static int make_offered(dl_pyindex *p, pkg *k)
{
	if (k->gen == p->gen)
		return 0;
	for (size_t v = 0; v < k->noffered; v++)
		dl_version_clear(&k->offered[v]);
	k->noffered = 0;
	if (k->cap_offered < k->ncands + 1) {
		if (dl_realloc_array((void **)&k->offered, k->ncands + 1, sizeof(*k->offered)) != 0 ||
		    dl_realloc_array((void **)&k->offered_idx, k->ncands + 1, sizeof(*k->offered_idx)) != 0)
			return dl_error_oom();
		k->cap_offered = k->ncands + 1;
	}
	bool allow_pre = p->o.prereleases || root_names_prerelease(p, k->base_name);
	bool all_pre = k->ncands > 0;
	for (size_t i = 0; i < k->ncands; i++)
		all_pre = all_pre && dl_version_is_prerelease(&k->cands[i].v);
	allow_pre = allow_pre || all_pre;
	for (size_t i = 0; i < k->ncands; i++) {
		const cand *c = &k->cands[i];
		if (c->yanked && !root_pins(p, k->base_name, &c->v))
			continue;
		if (!allow_pre && dl_version_is_prerelease(&c->v))
			continue;
		if (dl_version_copy(&k->offered[k->noffered], &c->v) != 0)
			return dl_error_oom();
		k->offered_idx[k->noffered++] = i;
	}
	/* A preferred version moves to the front, the rest keep their order. */
	const char *pref = NULL;
	for (size_t i = 0; i < p->o.n_prefer && pref == NULL; i++)
		if (strcmp(p->o.prefer_names[i], k->base_name) == 0)
			pref = p->o.prefer_versions[i];
	if (pref != NULL) {
		dl_version pv;
		if (dl_version_parse_into(&pv, pref, strlen(pref)) == 0) {
			for (size_t i = 1; i < k->noffered; i++) {
				if (dl_version_cmp(&k->offered[i], &pv) != 0)
					continue;
				dl_version tv = k->offered[i];
				size_t ti = k->offered_idx[i];
				memmove(&k->offered[1], &k->offered[0], i * sizeof(*k->offered));
				memmove(&k->offered_idx[1], &k->offered_idx[0], i * sizeof(*k->offered_idx));
				k->offered[0] = tv;
				k->offered_idx[0] = ti;
				break;
			}
			dl_version_clear(&pv);
		} else {
			dl_error_clear();
		}
	}
	k->gen = p->gen;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The solver's provider                                                */

static const char *prov_name(void *ctx, uint32_t id)
{
	dl_pyindex *p = ctx;
	return id == 0 ? p->what : p->pk[id].name;
}

static int prov_versions(void *ctx, uint32_t id, const dl_version **out, size_t *n)
{
	dl_pyindex *p = ctx;
	uint32_t bid = p->pk[id].base;
	int rc = wait_project(p, bid);
	if (rc != 0)
		return rc;
	pkg *k = &p->pk[bid];
	if ((rc = make_offered(p, k)) != 0)
		return rc;
	*out = k->offered;
	*n = k->noffered;
	return 0;
}

static int add_sdep(dl_pyindex *p, uint32_t id, const dl_range *r)
{
	if (p->nsdeps == p->capsdeps) {
		size_t cap = p->capsdeps ? p->capsdeps * 2 : 16;
		if (dl_realloc_array((void **)&p->sdeps, cap, sizeof(*p->sdeps)) != 0 ||
		    dl_realloc_array((void **)&p->ranges, cap, sizeof(*p->ranges)) != 0)
			return dl_error_oom();
		for (size_t i = p->capsdeps; i < cap; i++)
			dl_range_init(&p->ranges[i]);
		p->capsdeps = cap;
	}
	dl_range_clear(&p->ranges[p->nsdeps]);
	int rc = dl_range_copy(&p->ranges[p->nsdeps], r);
	if (rc != 0)
		return rc;
	p->sdeps[p->nsdeps].pkg = id;
	p->sdeps[p->nsdeps].constraint = false;
	p->nsdeps++;
	return 0;
}

/* The dependencies one requirement brings for the active extra (NULL: none),
 * constraints applied; prefetches the project. */
static int add_req(dl_pyindex *p, const dl_requirement *r, const char *extra)
{
	bool on = true;
	const char *const ex[1] = {extra};
	int rc = dl_marker_evaluate_extras(r->marker, p->env, ex, extra != NULL ? 1 : 0, &on);
	if (rc != 0)
		return dl_error_context("evaluating the marker of '%s'", r->name);
	if (!on)
		return 0;
	if (r->url != NULL)
		return dl_error_set(DL_EUNSUPPORTED, "'%s @ %s': direct URL requirements are not supported yet", r->name,
		                    r->url);
	dl_range range, c, tmp;
	dl_range_init(&range);
	dl_range_init(&c);
	dl_range_init(&tmp);
	rc = dl_range_from_specset(&range, r->specifier);
	for (size_t i = 0; i < p->n_constraints && rc == 0; i++) {
		if (strcmp(p->constraints[i]->normalized_name, r->normalized_name) != 0)
			continue;
		dl_range_clear(&c);
		dl_range_clear(&tmp);
		if ((rc = dl_range_from_specset(&c, p->constraints[i]->specifier)) == 0 &&
		    (rc = dl_range_intersect(&tmp, &range, &c)) == 0) {
			dl_range_clear(&range);
			rc = dl_range_copy(&range, &tmp);
		}
	}
	uint32_t id = 0;
	if (rc == 0 && (rc = pkg_id(p, r->normalized_name, NULL, &id)) == 0 && (rc = add_sdep(p, id, &range)) == 0)
		(void)ask_project(p, id); /* prefetch; a failure shows when it is needed */
	for (size_t i = 0; i < r->n_extras && rc == 0; i++)
		if ((rc = pkg_id(p, r->normalized_name, r->extras[i], &id)) == 0)
			rc = add_sdep(p, id, &range);
	dl_range_clear(&range);
	dl_range_clear(&c);
	dl_range_clear(&tmp);
	return rc;
}

static int wait_meta(dl_pyindex *p, uint32_t bid, size_t ci)
{
	cand *c = &p->pk[bid].cands[ci];
	int rc = ask_meta(p, bid, ci);
	if (rc == 0 && !c->meta_done)
		rc = dl_client_wait(p->client, &c->meta_done);
	if (rc == 0 && !c->meta_done)
		rc = dl_error_set(DL_ERROR, "the network engine stopped before the metadata of %s %s arrived",
		                  p->pk[bid].base_name, c->text);
	return rc;
}

static int prov_deps(void *ctx, uint32_t id, size_t index, const dl_solver_dep **out, size_t *n, bool *available,
                     const char **reason)
{
	dl_pyindex *p = ctx;
	*available = true;
	*reason = NULL;
	p->nsdeps = 0;
	int rc = 0;
	if (id == 0) {
		for (size_t i = 0; i < p->nroots && rc == 0; i++)
			rc = add_req(p, p->roots[i], NULL);
	} else {
		uint32_t bid = p->pk[id].base;
		pkg *k = &p->pk[bid];
		if (index >= k->noffered)
			return dl_error_set(DL_EINVAL, "no candidate %zu of %s", index, p->pk[id].name);
		size_t ci = k->offered_idx[index];
		cand *c = &k->cands[ci];
		if (c->unusable != NULL) {
			*available = false;
			*reason = c->unusable;
			*out = NULL;
			*n = 0;
			return 0;
		}
		if ((rc = wait_meta(p, bid, ci)) != 0)
			return rc;
		if (c->meta_rc != 0)
			return dl_error_set(c->meta_rc, "%s", c->meta_error != NULL ? c->meta_error : "out of memory");
		if (c->deps_unknown != NULL) {
			*available = false;
			*reason = "has dependencies that only running its build can tell";
			*out = NULL;
			*n = 0;
			return 0;
		}
		const char *extra = p->pk[id].extra;
		if (extra != NULL) {
			dl_range exact;
			dl_range_init(&exact);
			rc = dl_range_exact(&exact, &c->v);
			if (rc == 0)
				rc = add_sdep(p, bid, &exact);
			dl_range_clear(&exact);
		}
		for (size_t i = 0; i < c->ndeps && rc == 0; i++) {
			const dep *d = &c->deps[i];
			if (extra == NULL) {
				if (d->extra == NULL && !dl_marker_mentions_extra(d->r->marker))
					rc = add_req(p, d->r, NULL);
			} else if (d->extra != NULL) {
				if (strcmp(d->extra, extra) == 0)
					rc = add_req(p, d->r, extra);
			} else if (dl_marker_mentions_extra(d->r->marker)) {
				rc = add_req(p, d->r, extra);
			}
		}
		/* The next candidates' metadata, in case this one fails: a
		 * backtrack usually walks down several versions in a row.  (add_req
		 * may have grown the package array: look the package up again.) */
		k = &p->pk[bid];
		for (size_t ahead = 1; rc == 0 && ahead <= PREFETCH_BACKTRACK && index + ahead < k->noffered; ahead++)
			(void)ask_meta(p, bid, k->offered_idx[index + ahead]);
	}
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < p->nsdeps; i++)
		p->sdeps[i].range = &p->ranges[i];
	*out = p->sdeps;
	*n = p->nsdeps;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The lock engine's resolver                                           */

typedef struct pinrec {
	const char **by;
	size_t nby, capby;
	const char **deps;
	size_t ndeps, capdeps;
} pinrec;

static int push_str(dl_arena *a, const char ***v, size_t *n, size_t *cap, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i], s) == 0)
			return 0;
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 4;
		const char **nv = dl_arena_calloc(a, nc, sizeof(*nv));
		if (nv == NULL)
			return dl_error_oom();
		if (*n > 0)
			memcpy(nv, *v, *n * sizeof(*nv));
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = s;
	return 0;
}

static int collect_pins(dl_pyindex *p, dl_solver *s)
{
	size_t n = dl_solver_selected_count(s);
	dl_arena_free(p->pin_arena);
	p->pin_arena = NULL;
	if (dl_arena_new(&p->pin_arena) != 0)
		return dl_error_oom();
	dl_arena *a = p->pin_arena;
	/* selected index per package id (base packages only) */
	size_t nsel = p->npk;
	size_t *sel = dl_calloc(nsel + 1, sizeof(*sel));
	pinrec *rec = dl_calloc(nsel + 1, sizeof(*rec));
	const char **label = dl_calloc(nsel + 1, sizeof(*label));
	if (sel == NULL || rec == NULL || label == NULL) {
		dl_free(sel);
		dl_free(rec);
		dl_free(label);
		return dl_error_oom();
	}
	for (size_t i = 0; i < nsel; i++)
		sel[i] = SIZE_MAX;
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t id;
		size_t idx;
		dl_solver_selected(s, i, &id, &idx);
		sel[id] = idx;
	}
	for (size_t id = 1; id < nsel && rc == 0; id++) {
		if (sel[id] == SIZE_MAX || p->pk[id].extra != NULL)
			continue;
		const pkg *k = &p->pk[id];
		const cand *c = &k->cands[k->offered_idx[sel[id]]];
		dl_buf b = DL_BUF_INIT;
		dl_buf_printf(&b, "%s==%s", k->base_name, c->text);
		label[id] = b.failed ? NULL : dl_arena_strndup(a, b.ptr, b.len);
		dl_buf_free(&b);
		if (label[id] == NULL)
			rc = dl_error_oom();
	}
	/* Edges: replay each selected package's dependencies. */
	for (size_t id = 0; id < nsel && rc == 0; id++) {
		if (id != 0 && sel[id] == SIZE_MAX)
			continue;
		const dl_solver_dep *deps = NULL;
		size_t nd = 0;
		bool avail = true;
		const char *why = NULL;
		if ((rc = prov_deps(p, (uint32_t)id, id == 0 ? 0 : sel[id], &deps, &nd, &avail, &why)) != 0)
			break;
		uint32_t from = id == 0 ? 0 : p->pk[id].base;
		const char *by = id == 0 ? "<project>" : label[from];
		for (size_t d = 0; d < nd && rc == 0; d++) {
			uint32_t to = p->pk[deps[d].pkg].base;
			if (to == from || to >= nsel || sel[to] == SIZE_MAX)
				continue;
			rc = push_str(a, &rec[to].by, &rec[to].nby, &rec[to].capby, by);
			if (rc == 0 && id != 0)
				rc = push_str(a, &rec[from].deps, &rec[from].ndeps, &rec[from].capdeps, p->pk[to].base_name);
		}
	}
	size_t count = 0;
	for (size_t id = 1; id < nsel; id++)
		if (sel[id] != SIZE_MAX && p->pk[id].extra == NULL)
			count++;
	dl_lock_pin *pins = rc == 0 ? dl_arena_calloc(a, count + 1, sizeof(*pins)) : NULL;
	if (rc == 0 && pins == NULL)
		rc = dl_error_oom();
	size_t k = 0;
	for (size_t id = 1; id < nsel && rc == 0; id++) {
		if (sel[id] == SIZE_MAX || p->pk[id].extra != NULL)
			continue;
		const pkg *pk = &p->pk[id];
		pins[k].name = pk->base_name;
		pins[k].version = pk->cands[pk->offered_idx[sel[id]]].text;
		pins[k].project = pk->proj;
		pins[k].required_by = rec[id].by;
		pins[k].n_required_by = rec[id].nby;
		pins[k].dependencies = rec[id].deps;
		pins[k].n_dependencies = rec[id].ndeps;
		k++;
	}
	p->pins = pins;
	p->npins = k;
	dl_free(sel);
	dl_free(rec);
	dl_free(label);
	return rc;
}

static int resolve(void *ctx, const char *const *reqs, size_t n, const char *what, const dl_lock_pin **pins,
                   size_t *n_pins)
{
	dl_pyindex *p = ctx;
	p->gen++;
	p->stats.resolutions++;
	dl_requirement **roots = dl_calloc(n + 1, sizeof(*roots));
	if (roots == NULL)
		return dl_error_oom();
	int rc = 0;
	size_t nr = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = dl_requirement_parse(&roots[i], reqs[i], strlen(reqs[i]));
		if (rc == 0)
			nr++;
		else
			dl_error_context("in %s", what);
	}
	p->roots = roots;
	p->nroots = nr;
	p->what = what;
	dl_solver *s = NULL;
	if (rc == 0) {
		dl_solver_provider prov = {p, prov_name, prov_versions, prov_deps, NULL};
		rc = dl_solver_new(&s, &prov);
	}
	bool solved = false;
	if (rc == 0)
		rc = dl_solver_solve(s, &solved);
	if (rc == 0) {
		dl_solver_stats st = dl_solver_get_stats(s);
		p->stats.decisions += st.decisions;
		p->stats.conflicts += st.conflicts;
	}
	if (rc == 0 && !solved) {
		dl_buf b = DL_BUF_INIT;
		dl_solver_explain(s, &b);
		rc = dl_error_set(DL_ENOTFOUND, "cannot resolve %s:\n%s", what, b.ptr != NULL ? b.ptr : "(no explanation)");
		dl_buf_free(&b);
	} else if (rc == 0) {
		rc = collect_pins(p, s);
	} else if (rc != DL_ENOMEM) {
		dl_error_context("resolving %s", what);
	}
	dl_solver_free(s);
	for (size_t i = 0; i < nr; i++)
		dl_requirement_free(roots[i]);
	dl_free(roots);
	p->roots = NULL;
	p->nroots = 0;
	if (rc != 0)
		return rc;
	*pins = p->pins;
	*n_pins = p->npins;
	return 0;
}

static bool lock_wheel_usable(void *ctx, const char *name, const dl_client_file *f)
{
	return wheel_usable(ctx, name, f, NULL);
}

static bool lock_no_binary(void *ctx, const char *name)
{
	return no_binary(ctx, name);
}

void dl_pyindex_resolver(dl_pyindex *p, dl_lock_resolver *out)
{
	out->ctx = p;
	out->resolve = resolve;
	out->wheel_usable = lock_wheel_usable;
	out->no_binary = lock_no_binary;
}
