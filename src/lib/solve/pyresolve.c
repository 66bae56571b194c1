/*
 * pyresolve.c - Python's resolution rules between a source and the PubGrub
 * solver (see deeplock/pyresolve.h for the rules and the prefetch policy).
 *
 * A session owns one arena, a string pool and an array of packages: 0 is
 * the root, then projects and virtual "name[extra]" packages in the order
 * they are met (so ids, and with them the solver's choices, depend only on
 * the inputs).  A virtual package shares its base's offered candidates, so
 * candidate index i means the same release for both.
 *
 * Work is lazy and cached, since an index-backed source blocks on each
 * answer: a project's releases are asked for when the solver first wants
 * its candidates; a release's files are checked (tags, requires-python,
 * only-binary/no-binary) and its metadata asked for and parsed only when
 * the solver first asks for that candidate's dependencies.  Parsed
 * requirements keep their version range next to them so that the many
 * dependency calls of a long backtracking search only evaluate markers.
 *
 * Each dependency the provider hands out remembers the requirement that
 * produced it, which is how the result's "why" edges are built after a
 * solve: the dependencies of every selected candidate are recomputed and
 * kept where they point at another selected package.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deeplock/mregion.h"
#include "deeplock/name.h"
#include "deeplock/pyresolve.h"
#include "deeplock/range.h"
#include "deeplock/specifier.h"
#include "deeplock/strpool.h"

/* A parsed Requires-Dist line with its range. */
typedef struct preq {
	dl_requirement *r;
	dl_range range;
	bool extra_only; /* the marker mentions `extra` */
	/* universal: where the marker meets the session's region, worked out
	 * once (a backtracking search asks for the same dependencies often) */
	uint8_t ustate;  /* U_UNKNOWN, U_OFF, U_WHOLE, U_PART */
	dl_mregion *where; /* U_PART */
	const char *note;  /* U_PART: "where <marker>", in the session's arena */
} preq;

enum { U_UNKNOWN = 0, U_OFF, U_WHOLE, U_PART };

typedef struct relstate {
	bool files_done;
	bool meta_done;
	bool has_wheel, has_sdist;
	const char *unusable; /* arena string, or NULL */
	preq *reqs;           /* dl_malloc'd */
	size_t nreqs;
} relstate;

typedef struct pkg {
	const char *name;  /* "a" or "a[x]" (normal forms) */
	uint32_t base;
	const char *extra; /* NULL for a base package */
	bool loaded;
	bool hinted;
	bool direct;
	const dl_py_project *proj;
	relstate *rs;        /* per release (base only) */
	dl_version *offered; /* base: copies of the offered versions */
	size_t *offered_idx; /* base: release index of each */
	size_t noffered;
} pkg;

/* A constraint or override, pre-digested. */
typedef struct rule {
	const dl_requirement *r;
	const char *name; /* normal form */
	dl_range range;
} rule;

typedef struct pref {
	const char *name; /* normal form */
	dl_version v;
} pref;

/* One dependency being built, with where it came from. */
typedef struct depsrc {
	const dl_requirement *r; /* NULL for the extra's pin on its base */
} depsrc;

struct dl_py_session {
	dl_py_source src;
	const dl_py_options *o;
	dl_arena *arena;
	dl_strpool *pool;
	uint32_t *by_str;
	size_t by_str_cap;
	pkg *pk;
	size_t npk, cappk;

	rule *cons, *ovr;
	size_t ncons, novr;
	pref *prefs;
	size_t nprefs;
	const char **no_binary, **only_binary, **upgrade;
	dl_specset *root_rp;

	dl_solver_dep *deps;
	dl_range *ranges;
	depsrc *dsrc;
	dl_mregion **dreg; /* universal: where each dependency applies (NULL: everywhere) */
	size_t ndeps, capdeps;
	bool collecting_root;

	/* universal resolution (o->region set) */
	bool universal;
	dl_version floor;     /* the lowest Python of the region */
	char floor_text[80];  /* ">=3.10", for messages */
	const dl_mregion *cur_reg; /* the region of the requirement being added */
	const char *cur_note;      /* and its note for explanations */
	dl_mregion **fork;    /* the regions a fork splits on, when one is wanted */
	size_t nfork;

	dl_py_stats stats;
};

/* ---- small helpers ------------------------------------------------------ */

static char *arena_name(dl_arena *a, const char *base, const char *extra)
{
	size_t bl = strlen(base), el = extra != NULL ? strlen(extra) : 0;
	if (bl > SIZE_MAX / 4 || el > SIZE_MAX / 4)
		return NULL;
	char *s = dl_arena_alloc(a, bl + el + 3);
	if (s == NULL)
		return NULL;
	memcpy(s, base, bl);
	if (extra != NULL) {
		s[bl] = '[';
		memcpy(s + bl + 1, extra, el);
		s[bl + 1 + el] = ']';
		s[bl + el + 2] = '\0';
	} else {
		s[bl] = '\0';
	}
	return s;
}

static const char *arena_norm(dl_arena *a, const char *s)
{
	size_t len = strlen(s);
	char *out = dl_arena_alloc(a, len + 1);
	if (out != NULL)
		dl_name_normalize_into(out, s, len);
	return out;
}

static bool name_in(const char *name, const char **names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(names[i], name) == 0)
			return true;
	}
	return false;
}

static int norm_list(dl_py_session *s, const char *const *in, size_t n, const char ***out)
{
	*out = NULL;
	if (n == 0)
		return 0;
	const char **l = dl_arena_calloc(s->arena, n, sizeof(*l));
	if (l == NULL)
		return dl_error_oom();
	for (size_t i = 0; i < n; i++) {
		if ((l[i] = arena_norm(s->arena, in[i])) == NULL)
			return dl_error_oom();
	}
	*out = l;
	return 0;
}

/* uv's reading of requires-python: only the lower bound counts. */
static int python_ok(const dl_version *target, const dl_specset *set, bool *ok)
{
	dl_range r;
	dl_range_init(&r);
	int rc = dl_range_from_specset(&r, set);
	if (rc < 0)
		return rc;
	if (r.n == 0) {
		*ok = false;
	} else if (r.iv[0].lo_kind == DL_BOUND_UNBOUNDED) {
		*ok = true;
	} else {
		int c = dl_version_cmp(target, &r.iv[0].lo);
		*ok = c > 0 || (c == 0 && r.iv[0].lo_kind == DL_BOUND_INCLUSIVE);
	}
	dl_range_clear(&r);
	return 0;
}

/* The same from text; an unparsable requires-python is ignored (uv and
 * pip skip it rather than refuse the release). */
static int python_ok_text(const dl_version *target, const char *spec, bool *ok)
{
	*ok = true;
	if (spec == NULL)
		return 0;
	dl_specset *set = NULL;
	int rc = dl_specset_parse(&set, spec, strlen(spec));
	if (rc == DL_ENOMEM)
		return rc;
	if (rc < 0) {
		dl_error_clear();
		return 0;
	}
	rc = python_ok(target, set, ok);
	dl_specset_free(set);
	return rc;
}

/* The Python that requires-python is checked against: the target's, or
 * in a universal resolution the lowest of the region (uv's reading:
 * every Python the lock supports must be allowed, and only lower bounds
 * count). */
static const dl_version *py_version(const dl_py_session *s)
{
	return s->universal ? &s->floor : &s->o->target->python;
}

static const char *py_text(const dl_py_session *s)
{
	return s->universal ? s->floor_text : s->o->target->python_text;
}

/* ---- packages ----------------------------------------------------------- */

static int pkg_id(dl_py_session *s, const char *name, const char *extra, uint32_t *out)
{
	char *key = arena_name(s->arena, name, extra);
	if (key == NULL)
		return dl_error_oom();
	dl_strid sid;
	int rc = dl_strpool_intern(s->pool, key, strlen(key), &sid);
	if (rc < 0)
		return rc;
	if (sid < s->by_str_cap && s->by_str[sid] != 0) {
		*out = s->by_str[sid] - 1;
		return 0;
	}
	uint32_t base = 0;
	if (extra != NULL && (rc = pkg_id(s, name, NULL, &base)) < 0)
		return rc;
	if (sid >= s->by_str_cap) {
		size_t cap = s->by_str_cap ? s->by_str_cap : 64;
		while (cap <= sid)
			cap *= 2;
		if (dl_realloc_array((void **)&s->by_str, cap, sizeof(*s->by_str)) < 0)
			return dl_error_oom();
		memset(s->by_str + s->by_str_cap, 0, (cap - s->by_str_cap) * sizeof(*s->by_str));
		s->by_str_cap = cap;
	}
	if (s->npk == s->cappk) {
		if (s->npk >= UINT32_MAX / 4)
			return dl_error_set(DL_ELIMIT, "too many packages");
		size_t cap = s->cappk * 2;
		if (dl_realloc_array((void **)&s->pk, cap, sizeof(*s->pk)) < 0)
			return dl_error_oom();
		s->cappk = cap;
	}
	uint32_t id = (uint32_t)s->npk++;
	memset(&s->pk[id], 0, sizeof(pkg));
	s->pk[id].name = dl_strpool_str(s->pool, sid);
	s->pk[id].base = extra != NULL ? base : id;
	if (extra != NULL) {
		const char *e = dl_arena_strndup(s->arena, extra, strlen(extra));
		if (e == NULL)
			return dl_error_oom();
		s->pk[id].extra = e;
	}
	s->by_str[sid] = id + 1;
	*out = id;
	return 0;
}

static const pref *find_pref(const dl_py_session *s, const char *name)
{
	for (size_t i = 0; i < s->nprefs; i++) {
		if (strcmp(s->prefs[i].name, name) == 0)
			return &s->prefs[i];
	}
	return NULL;
}

/* Does a root requirement, constraint or override on `name` pin exactly
 * `v` with == or ===, or name a pre-release (names_pre)? */
static bool explicit_req(const dl_requirement *r, const char *name, const dl_version *v, bool want_pin)
{
	if (strcmp(r->normalized_name, name) != 0)
		return false;
	if (!want_pin)
		return dl_specset_names_prerelease(r->specifier);
	for (size_t k = 0; k < r->specifier->count; k++) {
		const dl_spec *sp = &r->specifier->specs[k];
		if ((sp->op == DL_SPEC_EQ || sp->op == DL_SPEC_ARBITRARY) && sp->version.nrelease > 0 &&
		    dl_spec_matches(sp, v))
			return true;
	}
	return false;
}

/* Does some root requirement, constraint or override on `name` say
 * `===text`, text being the release's spelling (ASCII case aside)? */
static bool arbitrary_names(const dl_py_session *s, const char *name, const char *text)
{
	const dl_py_options *o = s->o;
	const dl_requirement *const *lists[3] = {o->requirements, o->constraints, o->overrides};
	size_t counts[3] = {o->nrequirements, o->nconstraints, o->noverrides};
	for (int l = 0; l < 3; l++) {
		for (size_t i = 0; i < counts[l]; i++) {
			const dl_requirement *r = lists[l][i];
			if (strcmp(r->normalized_name, name) != 0)
				continue;
			for (size_t k = 0; k < r->specifier->count; k++) {
				const dl_spec *sp = &r->specifier->specs[k];
				if (sp->op == DL_SPEC_ARBITRARY && dl_slice_ieq(text, strlen(text), sp->text))
					return true;
			}
		}
	}
	return false;
}

static bool explicitly(const dl_py_session *s, const char *name, const dl_version *v, bool want_pin)
{
	const dl_py_options *o = s->o;
	for (size_t i = 0; i < o->nrequirements; i++) {
		if (explicit_req(o->requirements[i], name, v, want_pin))
			return true;
	}
	for (size_t i = 0; i < o->nconstraints; i++) {
		if (explicit_req(o->constraints[i], name, v, want_pin))
			return true;
	}
	for (size_t i = 0; i < o->noverrides; i++) {
		if (explicit_req(o->overrides[i], name, v, want_pin))
			return true;
	}
	return false;
}

static bool release_yanked(const dl_py_release *r)
{
	if (r->yanked)
		return true;
	if (!r->files_known || r->nfiles == 0)
		return false;
	for (size_t i = 0; i < r->nfiles; i++) {
		if (!r->files[i].yanked)
			return false;
	}
	return true;
}

static bool lowest_for(const dl_py_session *s, const pkg *p)
{
	return s->o->strategy == DL_PY_LOWEST || (s->o->strategy == DL_PY_LOWEST_DIRECT && p->direct);
}

/* Sort context for candidates (qsort has none). */
typedef struct cand_ord {
	const dl_py_release *rel;
	size_t idx;
	bool asc;
} cand_ord;

static int cmp_cand(const void *a, const void *b)
{
	const cand_ord *x = a, *y = b;
	int c = dl_version_cmp(&x->rel->version, &y->rel->version);
	if (!x->asc)
		c = -c;
	if (c == 0)
		c = strcmp(x->rel->version_text, y->rel->version_text);
	if (c == 0)
		c = x->idx < y->idx ? -1 : x->idx > y->idx;
	return c;
}

/* Ask the source for a base package's releases once and decide which are
 * offered, in which order. */
static int load_project(dl_py_session *s, uint32_t id)
{
	pkg *p = &s->pk[id];
	if (p->loaded)
		return 0;
	const dl_py_project *proj = NULL;
	int rc = s->src.project(s->src.ctx, p->name, &proj);
	s->stats.projects++;
	if (rc < 0)
		return dl_error_context("asking the source for project %s", p->name);
	p = &s->pk[id];
	size_t nrel = proj != NULL ? proj->nreleases : 0;
	cand_ord *ord = dl_calloc(nrel + 1, sizeof(*ord));
	relstate *rs = dl_calloc(nrel + 1, sizeof(*rs));
	dl_version *offered = dl_calloc(nrel + 1, sizeof(*offered));
	size_t *idx = dl_calloc(nrel + 1, sizeof(*idx));
	if (ord == NULL || rs == NULL || offered == NULL || idx == NULL) {
		dl_free(ord);
		dl_free(rs);
		dl_free(offered);
		dl_free(idx);
		return dl_error_oom();
	}
	bool all_pre = nrel > 0;
	for (size_t k = 0; k < nrel; k++)
		all_pre = all_pre && dl_version_is_prerelease(&proj->releases[k].version);
	bool allow_pre;
	switch (s->o->prereleases) {
	case DL_PY_PRE_ALLOW:
		allow_pre = true;
		break;
	case DL_PY_PRE_DISALLOW:
		allow_pre = false;
		break;
	case DL_PY_PRE_IF_NECESSARY:
		allow_pre = all_pre;
		break;
	default:
		allow_pre = all_pre || explicitly(s, p->name, NULL, false);
		break;
	}
	size_t n = 0;
	for (size_t k = 0; k < nrel; k++) {
		const dl_py_release *r = &proj->releases[k];
		if (release_yanked(r) && !explicitly(s, p->name, &r->version, true))
			continue;
		if (dl_version_is_prerelease(&r->version) && !allow_pre)
			continue;
		ord[n++] = (cand_ord){r, k, lowest_for(s, p)};
	}
	qsort(ord, n, sizeof(*ord), cmp_cand);
	/* Releases spelt differently but equal as versions ("1" and "1.0", which
	 * no well-run index has) are one candidate to the solver: keep the one
	 * a `===` names, else the first in sorted order. */
	size_t kept = 0;
	for (size_t k = 0; k < n;) {
		size_t end = k + 1;
		while (end < n && dl_version_cmp(&ord[end].rel->version, &ord[k].rel->version) == 0)
			end++;
		size_t pick = k;
		for (size_t j = k; j < end && end - k > 1; j++) {
			if (arbitrary_names(s, p->name, ord[j].rel->version_text)) {
				pick = j;
				break;
			}
		}
		ord[kept++] = ord[pick];
		k = end;
	}
	n = kept;
	/* a preference from a lock goes first when it is still offered */
	const pref *pf = find_pref(s, p->name);
	bool upgrading = s->o->upgrade_all || name_in(p->name, s->upgrade, s->o->nupgrade);
	if (pf != NULL && !upgrading) {
		for (size_t k = 0; k < n; k++) {
			if (dl_version_cmp(&ord[k].rel->version, &pf->v) == 0) {
				cand_ord first = ord[k];
				memmove(ord + 1, ord, k * sizeof(*ord));
				ord[0] = first;
				break;
			}
		}
	}
	for (size_t k = 0; k < n; k++) {
		if (dl_version_copy(&offered[k], &ord[k].rel->version) < 0) {
			for (size_t j = 0; j < k; j++)
				dl_version_clear(&offered[j]);
			dl_free(ord);
			dl_free(rs);
			dl_free(offered);
			dl_free(idx);
			return dl_error_oom();
		}
		idx[k] = ord[k].idx;
	}
	dl_free(ord);
	p->proj = proj;
	p->rs = rs;
	p->offered = offered;
	p->offered_idx = idx;
	p->noffered = n;
	p->loaded = true;
	if (s->src.prefetch_metadata != NULL) {
		for (size_t k = 0; k < n && k < DL_PY_PREFETCH_DEPTH; k++)
			s->src.prefetch_metadata(s->src.ctx, p->name, idx[k]);
	}
	return 0;
}

/* ---- a candidate's files and metadata ----------------------------------- */

static bool policy_no_binary(const dl_py_session *s, const char *name)
{
	if (name_in(name, s->no_binary, s->o->nno_binary))
		return true;
	return s->o->no_binary_all && !name_in(name, s->only_binary, s->o->nonly_binary);
}

static bool policy_no_build(const dl_py_session *s, const char *name)
{
	if (name_in(name, s->only_binary, s->o->nonly_binary))
		return true;
	return s->o->only_binary_all && !name_in(name, s->no_binary, s->o->nno_binary);
}

/* Which distributions of release k can be used, and why none can. */
static int check_files(dl_py_session *s, pkg *p, size_t k)
{
	relstate *rs = &p->rs[k];
	if (rs->files_done)
		return 0;
	const dl_py_release *rel = &p->proj->releases[k];
	const dl_py_target *t = s->o->target;
	const dl_version *py = py_version(s);
	bool no_binary = policy_no_binary(s, p->name), no_build = policy_no_build(s, p->name);
	bool pinned = release_yanked(rel);
	bool saw_wheel = false, saw_sdist = false;
	const char *rp_block = NULL;
	int rc;
	if (!rel->files_known) {
		saw_wheel = true;
		rs->has_wheel = !no_binary;
	}
	for (size_t i = 0; rel->files_known && i < rel->nfiles; i++) {
		const dl_py_file *f = &rel->files[i];
		if (f->yanked && !pinned)
			continue;
		bool rp = true;
		if ((rc = python_ok_text(py, f->requires_python, &rp)) < 0)
			return rc;
		if (f->is_wheel) {
			saw_wheel = true;
			size_t rank = 0;
			/* a universal lock serves every platform: any wheel may fit one */
			bool compat = s->universal || (f->tags != NULL && dl_tag_list_match(t->tags, f->tags, &rank) != 0);
			if (compat && !no_binary) {
				if (rp)
					rs->has_wheel = true;
				else
					rp_block = f->requires_python;
			}
		} else {
			saw_sdist = true;
			if (!no_build) {
				if (rp)
					rs->has_sdist = true;
				else
					rp_block = f->requires_python;
			}
		}
	}
	rs->files_done = true;
	if (rs->has_wheel || rs->has_sdist)
		return 0;
	if (rp_block != NULL) {
		rs->unusable = dl_arena_printf(s->arena, "it requires Python %s, the target is %s", rp_block, py_text(s));
	} else {
		const char *sd = !saw_sdist ? "it has no source distribution" : "building from source is disabled";
		const char *wh = !saw_wheel ? "it has no wheels" : no_binary ? "wheels are disabled"
		                                                                 : "no wheel matches the target";
		rs->unusable = dl_arena_printf(s->arena, "%s and %s", sd, wh);
	}
	return rs->unusable != NULL ? 0 : dl_error_oom();
}

static void free_reqs(preq *reqs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		dl_requirement_free(reqs[i].r);
		dl_range_clear(&reqs[i].range);
		dl_mregion_free(reqs[i].where);
	}
	dl_free(reqs);
}

/* Does a root requirement name r's project from r's URL? */
static bool root_url_is(const dl_py_session *s, const dl_requirement *r)
{
	if (!s->o->direct_urls)
		return false;
	for (size_t i = 0; i < s->o->nrequirements; i++) {
		const dl_requirement *q = s->o->requirements[i];
		if (q->url != NULL && strcmp(q->normalized_name, r->normalized_name) == 0 && strcmp(q->url, r->url) == 0)
			return true;
	}
	return false;
}

/* Ask for and parse a release's metadata once. */
static int load_meta(dl_py_session *s, uint32_t id, size_t k)
{
	pkg *p = &s->pk[id];
	relstate *rs = &p->rs[k];
	if (rs->meta_done)
		return 0;
	const dl_py_meta *m = NULL;
	int rc = s->src.metadata(s->src.ctx, p->name, k, &m);
	s->stats.metadata++;
	if (rc < 0)
		return dl_error_context("asking the source for the metadata of %s %s", s->pk[id].name,
		                        s->pk[id].proj->releases[k].version_text);
	p = &s->pk[id];
	rs = &p->rs[k];
	if (m == NULL || !m->available) {
		rs->unusable = m != NULL && m->reason != NULL ? dl_arena_printf(s->arena, "%s", m->reason)
		                                              : "its metadata is not available";
		rs->meta_done = true;
		return rs->unusable != NULL ? 0 : dl_error_oom();
	}
	bool ok = true;
	if ((rc = python_ok_text(py_version(s), m->requires_python, &ok)) < 0)
		return rc;
	if (!ok) {
		rs->unusable = dl_arena_printf(s->arena, "it requires Python %s, the target is %s", m->requires_python,
		                            py_text(s));
		rs->meta_done = true;
		return rs->unusable != NULL ? 0 : dl_error_oom();
	}
	preq *reqs = dl_calloc(m->nrequires_dist + 1, sizeof(*reqs));
	if (reqs == NULL)
		return dl_error_oom();
	size_t n = 0;
	for (size_t i = 0; i < m->nrequires_dist; i++) {
		const char *line = m->requires_dist[i];
		dl_requirement *r = NULL;
		rc = dl_requirement_parse(&r, line, strlen(line));
		if (rc == 0 && r->url != NULL && !root_url_is(s, r)) {
			/* uv's rule: a dependency may name a direct URL only when the
			 * root asks for that project from that very URL */
			rs->unusable = dl_arena_printf(s->arena,
			                               "it depends on %s from the direct URL %s, which no root requirement names",
			                               r->name, r->url);
			dl_requirement_free(r);
			free_reqs(reqs, n);
			rs->meta_done = true;
			return rs->unusable != NULL ? 0 : dl_error_oom();
		}
		if (rc == 0) {
			reqs[n].r = r;
			dl_range_init(&reqs[n].range);
			n++;
			rc = dl_range_from_specset(&reqs[n - 1].range, r->specifier);
			reqs[n - 1].extra_only = dl_marker_mentions_extra(r->marker);
		}
		if (rc == DL_ENOMEM) {
			free_reqs(reqs, n);
			return rc;
		}
		if (rc < 0) {
			/* bad metadata makes the release unusable, not the resolution */
			rs->unusable = dl_arena_printf(s->arena, "its metadata cannot be read: %s", dl_error_last()->message);
			dl_error_clear();
			free_reqs(reqs, n);
			rs->meta_done = true;
			return rs->unusable != NULL ? 0 : dl_error_oom();
		}
	}
	rs->reqs = reqs;
	rs->nreqs = n;
	rs->meta_done = true;
	return 0;
}

/* ---- dependencies ------------------------------------------------------- */

static int add_dep(dl_py_session *s, uint32_t id, const dl_range *r, const dl_requirement *src, bool constraint)
{
	int rc;
	if (s->ndeps == s->capdeps) {
		size_t cap = s->capdeps ? s->capdeps * 2 : 16;
		if (dl_realloc_array((void **)&s->deps, cap, sizeof(*s->deps)) < 0 ||
		    dl_realloc_array((void **)&s->dsrc, cap, sizeof(*s->dsrc)) < 0 ||
		    dl_realloc_array((void **)&s->ranges, cap, sizeof(*s->ranges)) < 0 ||
		    dl_realloc_array((void **)&s->dreg, cap, sizeof(*s->dreg)) < 0)
			return dl_error_oom();
		for (size_t i = s->capdeps; i < cap; i++) {
			dl_range_init(&s->ranges[i]);
			s->dreg[i] = NULL;
		}
		s->capdeps = cap;
	}
	if ((rc = dl_range_copy(&s->ranges[s->ndeps], r)) < 0)
		return rc;
	if (s->cur_reg != NULL && (rc = dl_mregion_clone(&s->dreg[s->ndeps], s->cur_reg)) < 0)
		return rc;
	s->deps[s->ndeps].pkg = id;
	s->deps[s->ndeps].constraint = constraint;
	s->deps[s->ndeps].note = s->cur_reg != NULL ? s->cur_note : NULL;
	s->dsrc[s->ndeps].r = src;
	s->ndeps++;
	return 0;
}

/* In a universal resolution: does `m` hold somewhere in the region?  The
 * part of the region where it does goes to *where (NULL when that is the
 * whole region; the caller frees it). */
static int marker_region(const dl_py_session *s, const dl_marker *m, const char *const *extras, size_t nx, bool *on,
                         dl_mregion **where)
{
	*where = NULL;
	*on = true;
	if (m == NULL)
		return 0;
	dl_mregion *mr = NULL, *both = NULL;
	bool whole = false;
	int rc = dl_mregion_from_marker(&mr, m, extras, nx);
	if (rc == 0)
		rc = dl_mregion_and(&both, mr, s->o->region);
	if (rc == 0)
		*on = !dl_mregion_is_empty(both);
	if (rc == 0 && *on)
		rc = dl_mregion_subset(s->o->region, mr, &whole);
	dl_mregion_free(mr);
	if (rc == 0 && *on && !whole) {
		*where = both;
		both = NULL;
	}
	dl_mregion_free(both);
	return rc;
}

static int marker_holds(const dl_py_session *s, const dl_marker *m, const char *const *extras, size_t nx, bool *on)
{
	if (s->universal) {
		dl_mregion *where = NULL;
		int rc = marker_region(s, m, extras, nx, on, &where);
		dl_mregion_free(where);
		return rc;
	}
	int rc = dl_marker_evaluate_extras(m, s->o->target->env, extras, nx, on);
	if (rc == DL_ENOMEM)
		return rc;
	if (rc < 0) {
		/* an undefined comparison in somebody's metadata: treat the
		 * requirement as not applying rather than failing everything */
		dl_error_clear();
		*on = false;
	}
	return 0;
}

/* `===T` is string identity (PEP 440), which a range cannot say: the
 * range holds the version T parses to, so keep it only when some release
 * of the project is written exactly T (ASCII case aside).  This needs the
 * project's releases now, so it may block; `===` is rare enough. */
static int arbitrary_equality(dl_py_session *s, const dl_requirement *r, uint32_t id, dl_range *cur)
{
	for (size_t i = 0; i < r->specifier->count; i++) {
		const dl_spec *sp = &r->specifier->specs[i];
		if (sp->op != DL_SPEC_ARBITRARY)
			continue;
		int rc = load_project(s, id);
		if (rc < 0)
			return rc;
		/* among the offered candidates: of releases equal as versions
		 * only one is offered (load_project), and it is the one whose
		 * text must match */
		const pkg *b = &s->pk[s->pk[id].base];
		bool found = false;
		for (size_t k = 0; b->proj != NULL && k < b->noffered && !found; k++) {
			const char *t = b->proj->releases[b->offered_idx[k]].version_text;
			found = dl_slice_ieq(t, strlen(t), sp->text);
		}
		if (!found)
			dl_range_clear(cur); /* the empty set */
	}
	return 0;
}

/* Add the dependencies of requirement `r` (range `range`): the project
 * and one virtual package per extra. */
static int add_one(dl_py_session *s, const dl_requirement *r, const dl_range *range, const dl_requirement *shown)
{
	int rc = 0;
	dl_range cur;
	dl_range_init(&cur);
	if ((rc = dl_range_copy(&cur, range)) < 0)
		goto done;
	uint32_t id;
	if ((rc = pkg_id(s, r->normalized_name, NULL, &id)) < 0)
		goto done;
	if (s->collecting_root)
		s->pk[id].direct = true;
	if ((rc = arbitrary_equality(s, r, id, &cur)) < 0)
		goto done;
	if ((rc = add_dep(s, id, &cur, shown, false)) < 0)
		goto done;
	for (size_t i = 0; i < r->n_extras; i++) {
		if ((rc = pkg_id(s, r->normalized_name, r->extras[i], &id)) < 0 || (rc = add_dep(s, id, &cur, shown, false)) < 0)
			goto done;
	}
done:
	dl_range_clear(&cur);
	return rc;
}

static int add_req_on(dl_py_session *s, const dl_requirement *r, const dl_range *range);

/* "where <marker>": the part of the session's region where a requirement
 * holds, said without what the region says already.  In the arena; NULL
 * when memory runs out. */
static const char *where_note(dl_py_session *s, const dl_mregion *where)
{
	dl_mregion *rel = NULL;
	char *text = NULL;
	const char *note = NULL;
	if (dl_mregion_within(&rel, where, s->o->region) == 0 && dl_mregion_to_string(&text, rel) == 0)
		note = dl_arena_printf(s->arena, "where %s", text);
	dl_free(text);
	dl_mregion_free(rel);
	return note;
}


/* Add what requirement `r` brings when its marker holds for the extras
 * [extras, extras+nx): itself, or the overrides of its project. */
static int add_req(dl_py_session *s, const dl_requirement *r, const dl_range *range, const char *const *extras,
                   size_t nx)
{
	bool on = true;
	dl_mregion *where = NULL;
	int rc = s->universal ? marker_region(s, r->marker, extras, nx, &on, &where)
	                      : marker_holds(s, r->marker, extras, nx, &on);
	if (rc < 0 || !on)
		return rc;
	s->cur_reg = where;
	s->cur_note = where != NULL ? where_note(s, where) : NULL;
	rc = where != NULL && s->cur_note == NULL ? dl_error_oom() : add_req_on(s, r, range);
	s->cur_reg = NULL;
	s->cur_note = NULL;
	dl_mregion_free(where);
	return rc;
}

/* add_req for a release's requirement without extras, with the universal
 * answer kept in the parsed requirement. */
static int add_preq(dl_py_session *s, preq *q)
{
	if (!s->universal)
		return add_req(s, q->r, &q->range, NULL, 0);
	int rc;
	if (q->ustate == U_UNKNOWN) {
		bool on = true;
		if ((rc = marker_region(s, q->r->marker, NULL, 0, &on, &q->where)) < 0)
			return rc;
		if (q->where != NULL && (q->note = where_note(s, q->where)) == NULL)
			return dl_error_oom();
		q->ustate = !on ? U_OFF : q->where == NULL ? U_WHOLE : U_PART;
	}
	if (q->ustate == U_OFF)
		return 0;
	s->cur_reg = q->where;
	s->cur_note = q->note;
	rc = add_req_on(s, q->r, &q->range);
	s->cur_reg = NULL;
	s->cur_note = NULL;
	return rc;
}

/* add_req once the requirement's marker is known to hold. */
static int add_req_on(dl_py_session *s, const dl_requirement *r, const dl_range *range)
{
	bool on = true;
	int rc;
	bool overridden = false;
	for (size_t i = 0; i < s->novr; i++) {
		if (strcmp(s->ovr[i].name, r->normalized_name) != 0)
			continue;
		overridden = true;
		if ((rc = marker_holds(s, s->ovr[i].r->marker, NULL, 0, &on)) < 0)
			return rc;
		if (on && (rc = add_one(s, s->ovr[i].r, &s->ovr[i].range, s->ovr[i].r)) < 0)
			return rc;
	}
	if (overridden)
		return 0;
	return add_one(s, r, range, r);
}

static void reset_deps(dl_py_session *s)
{
	for (size_t i = 0; i < s->ndeps; i++) {
		dl_range_clear(&s->ranges[i]);
		dl_mregion_free(s->dreg[i]);
		s->dreg[i] = NULL;
	}
	s->ndeps = 0;
}

/* Hint every project of the scratch list that was never hinted. */
static void hint_projects(dl_py_session *s)
{
	for (size_t i = 0; i < s->ndeps; i++) {
		pkg *b = &s->pk[s->pk[s->deps[i].pkg].base];
		if (b->hinted || s->deps[i].constraint)
			continue;
		b->hinted = true;
		if (s->src.prefetch_project != NULL && !b->loaded)
			s->src.prefetch_project(s->src.ctx, b->name);
	}
}

/* Compute the dependencies of candidate `index` of package `id` into the
 * scratch list. */
static int compute_deps(dl_py_session *s, uint32_t id, size_t index, bool *available, const char **reason)
{
	int rc = 0;
	*available = true;
	*reason = NULL;
	reset_deps(s);
	if (id == 0) {
		const dl_py_options *o = s->o;
		if (s->root_rp != NULL && !s->universal) {
			bool ok = true;
			if ((rc = python_ok(&o->target->python, s->root_rp, &ok)) < 0)
				return rc;
			if (!ok) {
				*available = false;
				*reason = dl_arena_printf(s->arena, "they require Python %s, the target is %s", o->requires_python,
				                       o->target->python_text);
				return *reason != NULL ? 0 : dl_error_oom();
			}
		}
		s->collecting_root = true;
		for (size_t i = 0; i < o->nrequirements && rc == 0; i++) {
			dl_range range;
			dl_range_init(&range);
			rc = dl_range_from_specset(&range, o->requirements[i]->specifier);
			if (rc == 0)
				rc = add_req(s, o->requirements[i], &range, o->extras, o->nextras);
			dl_range_clear(&range);
		}
		s->collecting_root = false;
		/* constraints: on the root, as limits that select nothing */
		for (size_t i = 0; i < s->ncons && rc == 0; i++) {
			bool on = true;
			uint32_t cid;
			if ((rc = marker_holds(s, s->cons[i].r->marker, NULL, 0, &on)) < 0 || !on)
				continue;
			if ((rc = pkg_id(s, s->cons[i].name, NULL, &cid)) == 0)
				rc = add_dep(s, cid, &s->cons[i].range, NULL, true);
		}
		return rc;
	}
	if (id >= s->npk)
		return dl_error_set(DL_EINVAL, "unknown package %u", (unsigned)id);
	uint32_t bid = s->pk[id].base;
	if ((rc = load_project(s, bid)) < 0)
		return rc;
	pkg *b = &s->pk[bid];
	if (index >= b->noffered)
		return dl_error_set(DL_EINVAL, "no candidate %zu of %s", index, s->pk[id].name);
	size_t k = b->offered_idx[index];
	if ((rc = check_files(s, b, k)) < 0)
		return rc;
	if (b->rs[k].unusable == NULL && (rc = load_meta(s, bid, k)) < 0)
		return rc;
	b = &s->pk[bid];
	const relstate *rs = &b->rs[k];
	if (rs->unusable != NULL) {
		*available = false;
		*reason = rs->unusable;
		return 0;
	}
	const char *extra = s->pk[id].extra;
	if (extra == NULL) {
		for (size_t i = 0; i < rs->nreqs && rc == 0; i++)
			rc = add_preq(s, &rs->reqs[i]); /* rs outlives a move of s->pk */
		return rc;
	}
	/* the extra pins its base to the same version */
	dl_range exact;
	dl_range_init(&exact);
	rc = dl_range_exact(&exact, &b->offered[index]);
	if (rc == 0)
		rc = add_dep(s, bid, &exact, NULL, false);
	dl_range_clear(&exact);
	const char *const ex[1] = {extra};
	for (size_t i = 0; i < rs->nreqs && rc == 0; i++) {
		if (rs->reqs[i].extra_only)
			rc = add_req(s, rs->reqs[i].r, &rs->reqs[i].range, ex, 1);
	}
	return rc;
}

/* ---- the provider ------------------------------------------------------- */

static const char *prov_name(void *ctx, uint32_t id)
{
	dl_py_session *s = ctx;
	return id < s->npk ? s->pk[id].name : "?";
}

static int prov_versions(void *ctx, uint32_t id, const dl_version **out, size_t *n)
{
	dl_py_session *s = ctx;
	*out = NULL;
	*n = 0;
	if (id == 0 || id >= s->npk)
		return 0;
	uint32_t bid = s->pk[id].base;
	int rc = load_project(s, bid);
	if (rc < 0)
		return rc;
	*out = s->pk[bid].offered;
	*n = s->pk[bid].noffered;
	return 0;
}

static bool same_region(const dl_mregion *a, const dl_mregion *b, int *rc)
{
	bool eq = a == NULL && b == NULL;
	if (a != NULL && b != NULL)
		*rc = dl_mregion_eq(a, b, &eq);
	return eq;
}

/* Remember a region to split on unless an equal one is there already. */
static int fork_on(dl_py_session *s, const dl_mregion *r)
{
	int rc = 0;
	for (size_t i = 0; i < s->nfork; i++) {
		if (same_region(s->fork[i], r, &rc) || rc < 0)
			return rc;
	}
	if (dl_realloc_array((void **)&s->fork, s->nfork + 1, sizeof(*s->fork)) < 0)
		return dl_error_oom();
	if ((rc = dl_mregion_clone(&s->fork[s->nfork], r)) == 0)
		s->nfork++;
	return rc;
}

/*
 * uv's forking rule: when one package's requirements name the same
 * project in different parts of the region (`b>=2; sys_platform ==
 * "linux"`, `b<2; sys_platform == "darwin"`), no single choice has to
 * serve both, so the resolution splits there.  The parts are remembered
 * for dl_py_session_forks and this solve stops; requirements on
 * different projects never fork, whatever their markers.
 */
static int check_fork(dl_py_session *s)
{
	int rc = 0;
	for (size_t i = 0; i < s->ndeps && rc == 0; i++) {
		if (s->deps[i].constraint)
			continue;
		for (size_t j = i + 1; j < s->ndeps && rc == 0; j++) {
			if (s->deps[j].constraint || s->deps[j].pkg != s->deps[i].pkg ||
			    same_region(s->dreg[i], s->dreg[j], &rc) || rc < 0)
				continue;
			if (s->dreg[i] != NULL)
				rc = fork_on(s, s->dreg[i]);
			if (rc == 0 && s->dreg[j] != NULL)
				rc = fork_on(s, s->dreg[j]);
		}
	}
	if (rc == 0 && s->nfork > 0)
		rc = dl_error_set(DL_ERROR, "the resolution forks here");
	return rc;
}

static int prov_deps(void *ctx, uint32_t id, size_t index, const dl_solver_dep **out, size_t *n, bool *available,
                     const char **reason)
{
	dl_py_session *s = ctx;
	*out = NULL;
	*n = 0;
	int rc = compute_deps(s, id, index, available, reason);
	if (rc == 0 && s->universal)
		rc = check_fork(s);
	if (rc < 0)
		return rc;
	hint_projects(s);
	for (size_t i = 0; i < s->ndeps; i++)
		s->deps[i].range = &s->ranges[i];
	*out = s->deps;
	*n = s->ndeps;
	return 0;
}

/* Why the releases inside `range` were not offered: up to three of them
 * named with the policy that left each out, so "no versions of a match
 * >1.0" can say "(2.0 is yanked)". */
static const char *prov_no_versions(void *ctx, uint32_t id, const dl_range *range)
{
	dl_py_session *s = ctx;
	if (id == 0 || id >= s->npk)
		return NULL;
	const pkg *b = &s->pk[s->pk[id].base];
	if (!b->loaded || b->proj == NULL)
		return NULL;
	/* two groups: yanked releases, then pre-releases */
	dl_buf part[2];
	size_t count[2] = {0, 0};
	dl_buf_init(&part[0], 4096);
	dl_buf_init(&part[1], 4096);
	for (size_t k = 0; k < b->proj->nreleases; k++) {
		const dl_py_release *r = &b->proj->releases[k];
		if (!dl_range_contains(range, &r->version))
			continue;
		bool offered = false;
		for (size_t i = 0; i < b->noffered && !offered; i++)
			offered = b->offered_idx[i] == k;
		if (offered)
			continue;
		int g = release_yanked(r) ? 0 : 1;
		if (count[g] < 3)
			dl_buf_printf(&part[g], "%s%s", count[g] ? ", " : "", r->version_text);
		count[g]++;
	}
	dl_buf out;
	dl_buf_init(&out, 8192);
	static const char *const what[2][2] = {{"is yanked", "are yanked"}, {"is a pre-release", "are pre-releases"}};
	for (int g = 0; g < 2; g++) {
		if (count[g] == 0)
			continue;
		dl_buf_printf(&out, "%s%s", out.len ? "; " : "", dl_buf_cstr(&part[g]));
		if (count[g] > 3)
			dl_buf_printf(&out, " and %zu more", count[g] - 3);
		dl_buf_printf(&out, " %s", what[g][count[g] > 1]);
	}
	if (count[1] > 0)
		dl_buf_puts(&out, s->o->prereleases == DL_PY_PRE_DISALLOW ? "; pre-releases are disallowed"
		                                                          : ": name one in the requirements or allow them");
	const char *note = out.len > 0 && !out.failed ? dl_arena_strndup(s->arena, dl_buf_cstr(&out), out.len) : NULL;
	dl_buf_free(&part[0]);
	dl_buf_free(&part[1]);
	dl_buf_free(&out);
	return note; /* a failed allocation just loses the note */
}

void dl_py_session_provider(dl_py_session *s, dl_solver_provider *out)
{
	out->ctx = s;
	out->name = prov_name;
	out->versions = prov_versions;
	out->dependencies = prov_deps;
	out->no_versions = prov_no_versions;
}

/* ---- sessions ----------------------------------------------------------- */

static int prepare_rules(dl_py_session *s, const dl_requirement *const *in, size_t n, rule **out)
{
	*out = NULL;
	if (n == 0)
		return 0;
	rule *r = dl_arena_calloc(s->arena, n, sizeof(*r));
	if (r == NULL)
		return dl_error_oom();
	*out = r;
	for (size_t i = 0; i < n; i++) {
		r[i].r = in[i];
		r[i].name = in[i]->normalized_name;
		dl_range_init(&r[i].range);
	}
	for (size_t i = 0; i < n; i++) {
		int rc = dl_range_from_specset(&r[i].range, in[i]->specifier);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The lowest Python of the region, read as a release: "3.9.MIN" (from
 * `python_version >= "3.9"`) is 3.9, so a candidate that requires
 * ">=3.9" fits; no lower bound at all is 0, which fits only candidates
 * without one. */
static int universal_floor(dl_py_session *s)
{
	bool bounded = false, inclusive = true;
	s->universal = true;
	int rc = dl_mregion_python_floor(s->o->region, &bounded, &s->floor, &inclusive);
	if (rc < 0)
		return rc;
	if (!bounded) {
		if ((rc = dl_version_parse_into(&s->floor, "0", 1)) < 0)
			return rc;
		snprintf(s->floor_text, sizeof(s->floor_text), "any Python");
		return 0;
	}
	s->floor.bound = DL_VERSION_BOUND_NONE;
	s->floor.key = 0;
	dl_buf b;
	dl_buf_init(&b, sizeof(s->floor_text) - 1);
	dl_buf_puts(&b, inclusive ? ">=" : ">");
	rc = dl_version_format(&s->floor, &b);
	snprintf(s->floor_text, sizeof(s->floor_text), "%s", rc == 0 && !b.failed ? dl_buf_cstr(&b) : "?");
	dl_buf_free(&b);
	return rc == DL_ENOMEM ? rc : 0;
}

size_t dl_py_session_forks(const dl_py_session *s, const dl_mregion *const **out)
{
	*out = (const dl_mregion *const *)s->fork;
	return s->nfork;
}

int dl_py_session_new(dl_py_session **out, const dl_py_source *src, const dl_py_options *opts)
{
	if (opts == NULL || opts->version != DL_PY_OPTIONS_VERSION)
		return dl_error_set(DL_EINVAL, "resolver options of an unknown version");
	if (opts->target == NULL || opts->target->env == NULL || opts->target->tags == NULL)
		return dl_error_set(DL_EINVAL, "resolver options without a target environment");
	if (src == NULL || src->project == NULL || src->metadata == NULL)
		return dl_error_set(DL_EINVAL, "a source needs project and metadata callbacks");
	for (size_t i = 0; i < opts->nrequirements; i++) {
		const dl_requirement *r = opts->requirements[i];
		if (r->url == NULL)
			continue;
		if (!opts->direct_urls)
			return dl_error_set(DL_EUNSUPPORTED, "direct URL requirements are not supported by this source: '%s'",
			                    r->name);
		for (size_t j = 0; j < i; j++) {
			const dl_requirement *q = opts->requirements[j];
			if (q->url != NULL && strcmp(q->normalized_name, r->normalized_name) == 0 && strcmp(q->url, r->url) != 0)
				return dl_error_set(DL_EINVAL, "%s is required from two direct URLs: %s and %s", r->name, q->url,
				                    r->url);
		}
	}
	dl_py_session *s = dl_calloc(1, sizeof(*s));
	if (s == NULL)
		return dl_error_oom();
	s->src = *src;
	s->o = opts;
	int rc;
	if ((rc = dl_arena_new(&s->arena)) < 0 || (rc = dl_strpool_new(&s->pool)) < 0)
		goto fail;
	if ((s->pk = dl_calloc(16, sizeof(pkg))) == NULL) {
		rc = dl_error_oom();
		goto fail;
	}
	s->cappk = 16;
	s->npk = 1;
	s->pk[0].name = "root";
	s->pk[0].loaded = true;
	if ((rc = norm_list(s, opts->no_binary, opts->nno_binary, &s->no_binary)) < 0 ||
	    (rc = norm_list(s, opts->only_binary, opts->nonly_binary, &s->only_binary)) < 0 ||
	    (rc = norm_list(s, opts->upgrade, opts->nupgrade, &s->upgrade)) < 0)
		goto fail;
	s->ncons = opts->nconstraints;
	if ((rc = prepare_rules(s, opts->constraints, opts->nconstraints, &s->cons)) < 0)
		goto fail;
	s->novr = opts->noverrides;
	if ((rc = prepare_rules(s, opts->overrides, opts->noverrides, &s->ovr)) < 0)
		goto fail;
	if (opts->npreferences > 0) {
		if ((s->prefs = dl_calloc(opts->npreferences, sizeof(*s->prefs))) == NULL) {
			rc = dl_error_oom();
			goto fail;
		}
		for (size_t i = 0; i < opts->npreferences; i++) {
			const dl_py_preference *p = &opts->preferences[i];
			if ((rc = dl_version_parse_into(&s->prefs[s->nprefs].v, p->version, strlen(p->version))) < 0) {
				dl_error_context("reading the preference %s %s", p->name, p->version);
				goto fail;
			}
			s->nprefs++;
			if ((s->prefs[s->nprefs - 1].name = arena_norm(s->arena, p->name)) == NULL) {
				rc = dl_error_oom();
				goto fail;
			}
		}
	}
	if (opts->requires_python != NULL &&
	    (rc = dl_specset_parse(&s->root_rp, opts->requires_python, strlen(opts->requires_python))) < 0) {
		dl_error_context("reading the root's requires-python");
		goto fail;
	}
	if (opts->region != NULL && (rc = universal_floor(s)) < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	dl_py_session_free(s);
	return rc;
}

void dl_py_session_free(dl_py_session *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->npk; i++) {
		pkg *p = &s->pk[i];
		if (p->extra != NULL || i == 0)
			continue;
		for (size_t k = 0; k < p->noffered; k++)
			dl_version_clear(&p->offered[k]);
		if (p->rs != NULL) {
			for (size_t k = 0; p->proj != NULL && k < p->proj->nreleases; k++)
				free_reqs(p->rs[k].reqs, p->rs[k].nreqs);
		}
		dl_free(p->rs);
		dl_free(p->offered);
		dl_free(p->offered_idx);
	}
	for (size_t i = 0; i < s->ncons && s->cons != NULL; i++)
		dl_range_clear(&s->cons[i].range);
	for (size_t i = 0; i < s->novr && s->ovr != NULL; i++)
		dl_range_clear(&s->ovr[i].range);
	for (size_t i = 0; i < s->nprefs; i++)
		dl_version_clear(&s->prefs[i].v);
	dl_free(s->prefs);
	dl_specset_free(s->root_rp);
	for (size_t i = 0; i < s->capdeps; i++) {
		dl_range_clear(&s->ranges[i]);
		dl_mregion_free(s->dreg[i]);
	}
	dl_free(s->dreg);
	for (size_t i = 0; i < s->nfork; i++)
		dl_mregion_free(s->fork[i]);
	dl_free(s->fork);
	if (s->universal)
		dl_version_clear(&s->floor);
	dl_free(s->ranges);
	dl_free(s->deps);
	dl_free(s->dsrc);
	dl_free(s->pk);
	dl_free(s->by_str);
	dl_strpool_free(s->pool);
	dl_arena_free(s->arena);
	dl_free(s);
}

/* ---- results ------------------------------------------------------------ */

typedef struct result_box {
	dl_py_result pub;
	dl_arena *arena;
} result_box;

typedef struct why_tmp {
	uint32_t target; /* base package id */
	const char *by;
	const char *req;
} why_tmp;

static int cmp_pin(const void *a, const void *b)
{
	return strcmp(((const dl_py_pin *)a)->name, ((const dl_py_pin *)b)->name);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_why(const void *a, const void *b)
{
	const dl_py_why *x = a, *y = b;
	if ((x->by == NULL) != (y->by == NULL))
		return x->by == NULL ? -1 : 1;
	int c = x->by != NULL ? strcmp(x->by, y->by) : 0;
	return c != 0 ? c : strcmp(x->requirement, y->requirement);
}

static int grow_why(why_tmp **w, size_t *n, size_t *cap)
{
	if (*n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 32;
	if (dl_realloc_array((void **)w, nc, sizeof(**w)) < 0)
		return dl_error_oom();
	*cap = nc;
	return 0;
}

/* The "why" edges: the dependencies of every selected candidate that point
 * at a selected package. */
static int collect_why(dl_py_session *s, dl_arena *a, const uint32_t *sel_pkg, const size_t *sel_idx, size_t nsel,
                       const bool *selected, why_tmp **out, size_t *nout)
{
	why_tmp *w = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	for (size_t i = 0; i <= nsel && rc == 0; i++) {
		uint32_t id = i == nsel ? 0 : sel_pkg[i];
		size_t index = i == nsel ? 0 : sel_idx[i];
		bool avail = true;
		const char *reason = NULL;
		if ((rc = compute_deps(s, id, index, &avail, &reason)) < 0)
			break;
		const char *by = id == 0 ? NULL : s->pk[id].name;
		for (size_t d = 0; d < s->ndeps && rc == 0; d++) {
			uint32_t t = s->deps[d].pkg;
			if (s->dsrc[d].r == NULL || t >= s->npk || !selected[t])
				continue;
			char *txt = NULL;
			if ((rc = dl_requirement_to_string(&txt, s->dsrc[d].r)) < 0)
				break;
			const char *copy = dl_arena_strndup(a, txt, strlen(txt));
			dl_free(txt);
			if (copy == NULL || (rc = grow_why(&w, &n, &cap)) < 0) {
				rc = rc < 0 ? rc : dl_error_oom();
				break;
			}
			w[n++] = (why_tmp){s->pk[t].base, by, copy};
		}
	}
	if (rc < 0) {
		dl_free(w);
		return rc;
	}
	*out = w;
	*nout = n;
	return 0;
}

int dl_py_session_result(dl_py_session *s, const dl_solver *solver, bool solved, dl_py_result **out)
{
	result_box *box = dl_calloc(1, sizeof(*box));
	if (box == NULL)
		return dl_error_oom();
	int rc = dl_arena_new(&box->arena);
	uint32_t *sel_pkg = NULL;
	size_t *sel_idx = NULL;
	bool *selected = NULL;
	why_tmp *w = NULL;
	size_t nw = 0;
	dl_buf expl;
	dl_buf_init(&expl, 0);
	if (rc < 0)
		goto done;
	dl_py_result *r = &box->pub;
	dl_solver_stats st = dl_solver_get_stats(solver);
	r->stats = s->stats;
	r->stats.decisions = st.decisions;
	r->stats.conflicts = st.conflicts;
	r->solved = solved;
	if (!solved) {
		if ((rc = dl_solver_explain(solver, &expl)) < 0)
			goto done;
		if ((r->explanation = dl_arena_strndup(box->arena, dl_buf_cstr(&expl), expl.len)) == NULL)
			rc = dl_error_oom();
		goto done;
	}
	size_t nsel = dl_solver_selected_count(solver);
	sel_pkg = dl_calloc(nsel + 1, sizeof(*sel_pkg));
	sel_idx = dl_calloc(nsel + 1, sizeof(*sel_idx));
	selected = dl_calloc(s->npk + 1, sizeof(*selected));
	if (sel_pkg == NULL || sel_idx == NULL || selected == NULL) {
		rc = dl_error_oom();
		goto done;
	}
	size_t nbase = 0;
	for (size_t i = 0; i < nsel; i++) {
		dl_solver_selected(solver, i, &sel_pkg[i], &sel_idx[i]);
		if (sel_pkg[i] < s->npk) {
			selected[sel_pkg[i]] = true;
			nbase += s->pk[sel_pkg[i]].extra == NULL;
		}
	}
	if ((rc = collect_why(s, box->arena, sel_pkg, sel_idx, nsel, selected, &w, &nw)) < 0)
		goto done;
	dl_py_pin *pins = dl_arena_calloc(box->arena, nbase + 1, sizeof(*pins));
	uint32_t *pin_of = dl_arena_calloc(box->arena, s->npk + 1, sizeof(*pin_of));
	if (pins == NULL || pin_of == NULL) {
		rc = dl_error_oom();
		goto done;
	}
	size_t np = 0;
	for (size_t i = 0; i < nsel; i++) {
		uint32_t id = sel_pkg[i];
		const pkg *p = &s->pk[id];
		if (p->extra != NULL)
			continue;
		size_t k = p->offered_idx[sel_idx[i]];
		dl_py_pin *pin = &pins[np];
		pin->name = dl_arena_strndup(box->arena, p->name, strlen(p->name));
		const char *vt = p->proj->releases[k].version_text;
		pin->version = dl_arena_strndup(box->arena, vt, strlen(vt));
		if (pin->name == NULL || pin->version == NULL) {
			rc = dl_error_oom();
			goto done;
		}
		pin->release = k;
		pin->has_wheel = p->rs[k].has_wheel;
		pin->has_sdist = p->rs[k].has_sdist;
		pin_of[id] = (uint32_t)np + 1;
		np++;
	}
	/* extras and why edges, counted then filled */
	size_t *nx = dl_calloc(np + 1, sizeof(size_t)), *nwhy = dl_calloc(np + 1, sizeof(size_t));
	if (nx == NULL || nwhy == NULL) {
		dl_free(nx);
		dl_free(nwhy);
		rc = dl_error_oom();
		goto done;
	}
	for (size_t i = 0; i < nsel; i++) {
		const pkg *p = &s->pk[sel_pkg[i]];
		if (p->extra != NULL && pin_of[p->base] != 0)
			nx[pin_of[p->base] - 1]++;
	}
	for (size_t i = 0; i < nw; i++) {
		if (pin_of[w[i].target] != 0)
			nwhy[pin_of[w[i].target] - 1]++;
	}
	for (size_t i = 0; i < np && rc == 0; i++) {
		pins[i].extras = dl_arena_calloc(box->arena, nx[i] + 1, sizeof(char *));
		pins[i].why = dl_arena_calloc(box->arena, nwhy[i] + 1, sizeof(dl_py_why));
		if (pins[i].extras == NULL || pins[i].why == NULL)
			rc = dl_error_oom();
	}
	dl_free(nx);
	dl_free(nwhy);
	if (rc < 0)
		goto done;
	for (size_t i = 0; i < nsel; i++) {
		const pkg *p = &s->pk[sel_pkg[i]];
		if (p->extra == NULL || pin_of[p->base] == 0)
			continue;
		dl_py_pin *pin = &pins[pin_of[p->base] - 1];
		const char *e = dl_arena_strndup(box->arena, p->extra, strlen(p->extra));
		if (e == NULL) {
			rc = dl_error_oom();
			goto done;
		}
		((const char **)pin->extras)[pin->nextras++] = e;
	}
	for (size_t i = 0; i < nw; i++) {
		if (pin_of[w[i].target] == 0)
			continue;
		dl_py_pin *pin = &pins[pin_of[w[i].target] - 1];
		const char *by = NULL;
		if (w[i].by != NULL && (by = dl_arena_strndup(box->arena, w[i].by, strlen(w[i].by))) == NULL) {
			rc = dl_error_oom();
			goto done;
		}
		dl_py_why *y = (dl_py_why *)pin->why;
		/* the same edge twice (two markers, one requirement) is one */
		bool dup = false;
		for (size_t k = 0; k < pin->nwhy && !dup; k++) {
			dup = ((y[k].by == NULL && by == NULL) || (y[k].by != NULL && by != NULL && strcmp(y[k].by, by) == 0)) &&
			      strcmp(y[k].requirement, w[i].req) == 0;
		}
		if (!dup)
			y[pin->nwhy++] = (dl_py_why){by, w[i].req};
	}
	for (size_t i = 0; i < np; i++) {
		if (pins[i].nextras > 1)
			qsort((void *)pins[i].extras, pins[i].nextras, sizeof(char *), cmp_str);
		if (pins[i].nwhy > 1)
			qsort((void *)pins[i].why, pins[i].nwhy, sizeof(dl_py_why), cmp_why);
	}
	qsort(pins, np, sizeof(*pins), cmp_pin);
	r->pins = pins;
	r->npins = np;
done:
	dl_buf_free(&expl);
	dl_free(sel_pkg);
	dl_free(sel_idx);
	dl_free(selected);
	dl_free(w);
	if (rc < 0) {
		dl_arena_free(box->arena);
		dl_free(box);
		return rc;
	}
	*out = &box->pub;
	return 0;
}

void dl_py_result_free(dl_py_result *r)
{
	if (r == NULL)
		return;
	result_box *box = (result_box *)(void *)r;
	dl_arena_free(box->arena);
	dl_free(box);
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int dl_py_resolve(dl_py_result **out, const dl_py_source *src, const dl_py_options *opts)
{
	double t0 = now_seconds();
	dl_py_session *s = NULL;
	dl_solver *solver = NULL;
	bool solved = false;
	int rc = dl_py_session_new(&s, src, opts);
	if (rc < 0)
		return rc;
	dl_solver_provider prov;
	dl_py_session_provider(s, &prov);
	if ((rc = dl_solver_new(&solver, &prov)) == 0 && (rc = dl_solver_solve(solver, &solved)) == 0) {
		s->stats.seconds = now_seconds() - t0;
		rc = dl_py_session_result(s, solver, solved, out);
	}
	dl_solver_free(solver);
	dl_py_session_free(s);
	return rc;
}

/* ---- the target --------------------------------------------------------- */

int dl_py_target_init(dl_py_target *t, const char *py, size_t len, const char *platform)
{
	memset(t, 0, sizeof(*t));
	if (platform == NULL)
		platform = "manylinux_2_28_x86_64";
	dl_version v;
	int rc = dl_version_parse_into(&v, py, len);
	if (rc < 0)
		return rc;
	const uint64_t *rel = dl_version_release(&v);
	uint64_t major = rel[0], minor = v.nrelease > 1 ? rel[1] : 0, micro = v.nrelease > 2 ? rel[2] : 0;
	bool plain = v.nrelease <= 3 && v.epoch == 0 && !dl_version_is_prerelease(&v) && !v.has_post &&
	             v.local == NULL && major < 100 && minor < 1000 && micro < 1000;
	dl_version_clear(&v);
	if (!plain)
		return dl_error_set(DL_EPARSE, "target Python '%.*s' must be X.Y or X.Y.Z", (int)(len < 64 ? len : 64), py);
	char minor_s[16];
	int n = snprintf(t->python_text, sizeof(t->python_text), "%u.%u.%u", (unsigned)major, (unsigned)minor,
	                 (unsigned)micro);
	int m = snprintf(minor_s, sizeof(minor_s), "%u.%u", (unsigned)major, (unsigned)minor);
	if (n < 0 || m < 0)
		return dl_error_set(DL_ERROR, "formatting the target Python failed");
	/* Markers as CPython reports them on the platform the tag names:
	 * Linux (manylinux, musllinux, linux_*), macOS or Windows. */
	dl_tag_target tt = DL_TAG_TARGET_INIT;
	tt.py_major = (unsigned)major;
	tt.py_minor = (unsigned)minor;
	if ((rc = dl_tag_target_set(&tt, "platform", platform, strlen(platform))) < 0)
		return rc;
	bool mac = strncmp(platform, "macosx", 6) == 0, win = strncmp(platform, "win", 3) == 0;
	const char *machine = tt.arch[0] != '\0' ? tt.arch : "x86_64";
	if (win && strcmp(machine, "amd64") == 0)
		machine = "AMD64";
	const struct {
		dl_marker_var var;
		const char *value;
	} fixed[] = {
	    {DL_MARKER_OS_NAME, win ? "nt" : "posix"},
	    {DL_MARKER_SYS_PLATFORM, mac ? "darwin" : win ? "win32" : "linux"},
	    {DL_MARKER_PLATFORM_SYSTEM, mac ? "Darwin" : win ? "Windows" : "Linux"},
	    {DL_MARKER_PLATFORM_MACHINE, machine},
	    {DL_MARKER_IMPLEMENTATION_NAME, "cpython"},
	    {DL_MARKER_PLATFORM_PYTHON_IMPLEMENTATION, "CPython"},
	    {DL_MARKER_PLATFORM_RELEASE, ""},
	    {DL_MARKER_PLATFORM_VERSION, ""},
	};
	bool have_v = false;
	if ((rc = dl_version_parse_into(&t->python, t->python_text, (size_t)n)) < 0)
		goto fail;
	have_v = true;
	if ((rc = dl_marker_env_new(&t->env)) < 0)
		goto fail;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		if ((rc = dl_marker_env_set(t->env, fixed[i].var, fixed[i].value, strlen(fixed[i].value))) < 0)
			goto fail;
	}
	if ((rc = dl_marker_env_set(t->env, DL_MARKER_PYTHON_VERSION, minor_s, (size_t)m)) < 0 ||
	    (rc = dl_marker_env_set(t->env, DL_MARKER_PYTHON_FULL_VERSION, t->python_text, (size_t)n)) < 0 ||
	    (rc = dl_marker_env_set(t->env, DL_MARKER_IMPLEMENTATION_VERSION, t->python_text, (size_t)n)) < 0)
		goto fail;
	if ((rc = dl_tag_list_new(&t->tags, &tt)) < 0)
		goto fail;
	return 0;
fail:
	if (have_v)
		dl_version_clear(&t->python);
	dl_marker_env_free(t->env);
	memset(t, 0, sizeof(*t));
	return rc;
}

void dl_py_target_clear(dl_py_target *t)
{
	if (t == NULL)
		return;
	if (t->env != NULL)
		dl_version_clear(&t->python);
	dl_marker_env_free(t->env);
	dl_tag_list_free(t->tags);
	memset(t, 0, sizeof(*t));
}
