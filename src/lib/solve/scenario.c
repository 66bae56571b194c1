/*
 * scenario.c - packse scenarios as an in-memory universe behind a solver
 * provider (see deeplock/scenario.h for the rules it applies).
 *
 * Loading copies what the solver needs out of the TOML document into one
 * arena (names, version texts, arrays) plus a short list of objects that own
 * memory of their own (parsed requirements, candidate versions), and then
 * frees the document.  Every per-candidate decision that does not depend on
 * the other requirements (requires-python, which distributions are usable)
 * is made at load time and kept as an "unusable" reason; the yanked and
 * pre-release policies depend on the root requirements and are applied when
 * the solver first asks for a package's versions.
 *
 * Packages get solver ids in the order they are met: 0 is the root, then
 * the packages of the file, then whatever a requirement names (an unknown
 * project simply has no versions) and the virtual "name[extra]" packages.
 * Names are interned in a string pool and map to ids through a dense array
 * indexed by string id.  A virtual package shares its base's offered
 * versions, so candidate index i means the same version for both.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "deeplock/marker.h"
#include "deeplock/name.h"
#include "deeplock/range.h"
#include "deeplock/requirement.h"
#include "deeplock/scenario.h"
#include "deeplock/specifier.h"
#include "deeplock/strpool.h"
#include "deeplock/tags.h"
#include "deeplock/toml.h"
#include "deeplock/version.h"

#define DEFAULT_PYTHON "3.12"
#define DEFAULT_PLATFORM "manylinux_2_28_x86_64"

typedef struct extra_def {
	const char *name; /* PEP 685 normal form */
	dl_requirement **reqs;
	size_t nreqs;
} extra_def;

typedef struct cand {
	const char *text; /* the version as written in the file */
	dl_version v;
	bool parsed; /* v holds a parsed version (to release) */
	bool yanked;
	const char *unusable; /* why the candidate cannot be used, or NULL */
	dl_requirement **reqs;
	size_t nreqs;
	extra_def *extras;
	size_t nextras;
	/* resolvelib data: the dependencies as JSON, parsed on first use (most
	 * versions of a snapshot are never looked at); NULL once parsed */
	json_t *raw;
} cand;

typedef struct pkg {
	const char *name;  /* "a" or "a[x]" */
	uint32_t base;     /* the id of "a" (itself for a base package) */
	const char *extra; /* NULL for a base package */
	cand *cands;       /* base: every version of the file, newest first */
	size_t ncands;
	bool offered_ready;
	dl_version *offered; /* base: copies of the offered versions (dl_malloc) */
	size_t *offered_idx; /* base: index into cands of each offered version */
	size_t noffered;
} pkg;

struct dl_scenario {
	dl_arena *arena;
	dl_strpool *pool;
	uint32_t *by_str; /* string id -> package id + 1 (0: none) */
	size_t by_str_cap;
	pkg *pk;
	size_t npk, cappk;
	const char *name;
	const char *source;

	dl_requirement **root_reqs;
	size_t nroot;
	dl_requirement **owned; /* every parsed requirement, for freeing */
	size_t nowned, capowned;

	bool prereleases;
	bool needs_fork;
	bool no_build_all, no_binary_all;
	const char **no_build, **no_binary; /* normalised names */
	size_t n_no_build, n_no_binary;
	char target[40];
	dl_version target_v;
	bool target_set;
	dl_marker_env *env;
	dl_tag_list *tags;

	bool exp_sat;
	bool has_exp_pkgs;
	dl_scenario_pin *exp;
	size_t nexp;

	/* the dependencies callback's scratch */
	dl_solver_dep *deps;
	dl_range *ranges;
	size_t ndeps, capdeps;

	dl_solver_stats last_stats;
	size_t skipped; /* resolvelib entries left out so far */
	/* the last outcome */
	dl_scenario_outcome outcome;
	dl_buf reason;
	dl_buf expl;
	dl_scenario_pin *sel;
};

/* ---- small helpers ------------------------------------------------------ */

static char *arena_printf_name(dl_arena *a, const char *base, const char *extra)
{
	size_t bl = strlen(base), el = extra ? strlen(extra) : 0;
	if (bl > SIZE_MAX / 2 - el - 4)
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

static int own_req(dl_scenario *sc, dl_requirement *r)
{
	if (sc->nowned == sc->capowned) {
		size_t cap = sc->capowned ? sc->capowned * 2 : 16;
		if (dl_realloc_array((void **)&sc->owned, cap, sizeof(*sc->owned)) < 0) {
			dl_requirement_free(r);
			return dl_error_oom();
		}
		sc->capowned = cap;
	}
	sc->owned[sc->nowned++] = r;
	return 0;
}

/* The id of package `name` (normalised) with optional extra, created when
 * new.  A virtual package's base is created first. */
static int pkg_id(dl_scenario *sc, const char *name, const char *extra, uint32_t *out)
{
	char *key = arena_printf_name(sc->arena, name, extra);
	if (key == NULL)
		return dl_error_oom();
	dl_strid sid;
	int rc = dl_strpool_intern(sc->pool, key, strlen(key), &sid);
	if (rc < 0)
		return rc;
	if (sid < sc->by_str_cap && sc->by_str[sid] != 0) {
		*out = sc->by_str[sid] - 1;
		return 0;
	}
	uint32_t base = 0;
	if (extra != NULL && (rc = pkg_id(sc, name, NULL, &base)) < 0)
		return rc;
	if (sid >= sc->by_str_cap) {
		size_t cap = sc->by_str_cap ? sc->by_str_cap : 16;
		while (cap <= sid)
			cap *= 2;
		if (dl_realloc_array((void **)&sc->by_str, cap, sizeof(*sc->by_str)) < 0)
			return dl_error_oom();
		memset(sc->by_str + sc->by_str_cap, 0, (cap - sc->by_str_cap) * sizeof(*sc->by_str));
		sc->by_str_cap = cap;
	}
	if (sc->npk == sc->cappk) {
		size_t cap = sc->cappk ? sc->cappk * 2 : 16;
		if (sc->npk >= UINT32_MAX / 2)
			return dl_error_set(DL_ELIMIT, "too many packages");
		if (dl_realloc_array((void **)&sc->pk, cap, sizeof(*sc->pk)) < 0)
			return dl_error_oom();
		sc->cappk = cap;
	}
	uint32_t id = (uint32_t)sc->npk++;
	memset(&sc->pk[id], 0, sizeof(pkg));
	sc->pk[id].name = dl_strpool_str(sc->pool, sid);
	sc->pk[id].base = extra != NULL ? base : id;
	if (extra != NULL) {
		char *e = dl_arena_strndup(sc->arena, extra, strlen(extra));
		if (e == NULL)
			return dl_error_oom();
		sc->pk[id].extra = e;
	}
	sc->by_str[sid] = id + 1;
	*out = id;
	return 0;
}

/* Add context naming the value's position to the stored error. */
static int at_value(const dl_scenario *sc, const dl_toml_value *v, int rc)
{
	dl_error_context("reading %s line %lu, column %lu", sc->source, dl_toml_value_line(v),
	                        dl_toml_value_column(v));
	return rc;
}

/* Parse an array of PEP 508 strings into an arena array of owned
 * requirements. */
static int parse_reqs(dl_scenario *sc, const dl_toml_value *arr, dl_requirement ***out, size_t *n)
{
	size_t len = dl_toml_array_len(arr);
	*out = NULL;
	*n = 0;
	if (len == 0)
		return 0;
	dl_requirement **reqs = dl_arena_calloc(sc->arena, len, sizeof(*reqs));
	if (reqs == NULL)
		return dl_error_oom();
	for (size_t i = 0; i < len; i++) {
		const dl_toml_value *el = dl_toml_array_at(arr, i);
		int rc = dl_toml_expect(el, DL_TOML_STRING);
		if (rc < 0)
			return rc;
		size_t sl = 0;
		const char *s = dl_toml_value_string(el, &sl);
		dl_requirement *r = NULL;
		if ((rc = dl_requirement_parse(&r, s, sl)) < 0)
			return at_value(sc, el, rc);
		if ((rc = own_req(sc, r)) < 0)
			return rc;
		if (r->url != NULL)
			return dl_toml_value_error(el, DL_EUNSUPPORTED, "direct URL requirements are not supported: '%s'",
			                           s);
		reqs[i] = r;
	}
	*out = reqs;
	*n = len;
	return 0;
}

/* Optional array of requirement strings under `key`. */
static int get_reqs(dl_scenario *sc, const dl_toml_value *table, const char *key, dl_requirement ***out,
                    size_t *n)
{
	const dl_toml_value *arr = NULL;
	*out = NULL;
	*n = 0;
	int rc = dl_toml_get(&arr, table, key, DL_TOML_ARRAY, false);
	if (rc < 0 || arr == NULL)
		return rc;
	return parse_reqs(sc, arr, out, n);
}

static int get_bool(const dl_toml_value *table, const char *key, bool dflt, bool *out)
{
	const dl_toml_value *v = NULL;
	int rc = dl_toml_get(&v, table, key, DL_TOML_BOOLEAN, false);
	*out = v != NULL ? dl_toml_value_boolean(v) : dflt;
	return rc;
}

/* no_build / no_binary: true (every package) or an array of names. */
static int get_name_list(dl_scenario *sc, const dl_toml_value *table, const char *key, bool *all,
                         const char ***names, size_t *n)
{
	const dl_toml_value *v = dl_toml_table_get(table, key);
	*all = false;
	if (v == NULL)
		return 0;
	if (dl_toml_value_type(v) == DL_TOML_BOOLEAN) {
		*all = dl_toml_value_boolean(v);
		return 0;
	}
	int rc = dl_toml_expect(v, DL_TOML_ARRAY);
	if (rc < 0)
		return rc;
	size_t len = dl_toml_array_len(v);
	const char **out = dl_arena_calloc(sc->arena, len + 1, sizeof(*out));
	if (out == NULL)
		return dl_error_oom();
	for (size_t i = 0; i < len; i++) {
		const dl_toml_value *el = dl_toml_array_at(v, i);
		if ((rc = dl_toml_expect(el, DL_TOML_STRING)) < 0)
			return rc;
		size_t sl = 0;
		const char *s = dl_toml_value_string(el, &sl);
		char *norm = dl_arena_alloc(sc->arena, sl + 1);
		if (norm == NULL)
			return dl_error_oom();
		dl_name_normalize_into(norm, s, sl);
		out[i] = norm;
	}
	*names = out;
	*n = len;
	return 0;
}

static bool name_in(const char *name, const char **names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(names[i], name) == 0)
			return true;
	}
	return false;
}

/* ---- the target --------------------------------------------------------- */

/* Set the target Python from "X.Y" or "X.Y.Z" (the marker environment and
 * the tag list follow it). */
static int set_target(dl_scenario *sc, const dl_toml_value *where, const char *py, size_t len,
                      const char *platform)
{
	dl_version v;
	int rc = dl_version_parse_into(&v, py, len);
	if (rc < 0)
		return where != NULL ? at_value(sc, where, rc) : rc;
	const uint64_t *rel = dl_version_release(&v);
	uint64_t major = rel[0], minor = v.nrelease > 1 ? rel[1] : 0, micro = v.nrelease > 2 ? rel[2] : 0;
	bool plain = v.nrelease <= 3 && v.epoch == 0 && !dl_version_is_prerelease(&v) && !v.has_post &&
	             v.local == NULL && major < 100 && minor < 1000 && micro < 1000;
	dl_version_clear(&v);
	if (!plain) {
		rc = dl_error_set(DL_EPARSE, "target Python '%.*s' must be X.Y or X.Y.Z", (int)(len < 64 ? len : 64), py);
		return where != NULL ? at_value(sc, where, rc) : rc;
	}
	char minor_s[16];
	int n = snprintf(sc->target, sizeof(sc->target), "%u.%u.%u", (unsigned)major, (unsigned)minor,
	                 (unsigned)micro);
	int m = snprintf(minor_s, sizeof(minor_s), "%u.%u", (unsigned)major, (unsigned)minor);
	if (n < 0 || m < 0)
		return dl_error_set(DL_ERROR, "formatting the target Python failed");
	if ((rc = dl_version_parse_into(&sc->target_v, sc->target, (size_t)n)) < 0)
		return rc;
	sc->target_set = true;

	static const struct {
		dl_marker_var var;
		const char *value;
	} fixed[] = {
	    {DL_MARKER_OS_NAME, "posix"},
	    {DL_MARKER_SYS_PLATFORM, "linux"},
	    {DL_MARKER_PLATFORM_SYSTEM, "Linux"},
	    {DL_MARKER_PLATFORM_MACHINE, "x86_64"},
	    {DL_MARKER_IMPLEMENTATION_NAME, "cpython"},
	    {DL_MARKER_PLATFORM_PYTHON_IMPLEMENTATION, "CPython"},
	    {DL_MARKER_PLATFORM_RELEASE, ""},
	    {DL_MARKER_PLATFORM_VERSION, ""},
	};
	if ((rc = dl_marker_env_new(&sc->env)) < 0)
		return rc;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		if ((rc = dl_marker_env_set(sc->env, fixed[i].var, fixed[i].value, strlen(fixed[i].value))) < 0)
			return rc;
	}
	if ((rc = dl_marker_env_set(sc->env, DL_MARKER_PYTHON_VERSION, minor_s, (size_t)m)) < 0 ||
	    (rc = dl_marker_env_set(sc->env, DL_MARKER_PYTHON_FULL_VERSION, sc->target, (size_t)n)) < 0 ||
	    (rc = dl_marker_env_set(sc->env, DL_MARKER_IMPLEMENTATION_VERSION, sc->target, (size_t)n)) < 0)
		return rc;

	dl_tag_target t = DL_TAG_TARGET_INIT;
	t.py_major = (unsigned)major;
	t.py_minor = (unsigned)minor;
	if ((rc = dl_tag_target_set(&t, "platform", platform, strlen(platform))) < 0 ||
	    (rc = dl_tag_list_new(&sc->tags, &t)) < 0)
		return rc;
	return 0;
}

/* resolver_options.python_platform "x86_64-manylinux2014" -> the platform
 * tag "manylinux2014_x86_64"; only x86_64 manylinux targets are supported,
 * since markers are evaluated for that platform. */
static int platform_tag(dl_scenario *sc, const dl_toml_value *v, const char **out)
{
	size_t len = 0;
	const char *s = dl_toml_value_string(v, &len);
	static const char prefix[] = "x86_64-manylinux";
	size_t pl = sizeof(prefix) - 1;
	if (len <= pl || memcmp(s, prefix, pl) != 0 || memchr(s, '\0', len) != NULL)
		return dl_toml_value_error(v, DL_EUNSUPPORTED,
		                           "python_platform '%s' is not supported (only x86_64-manylinux*)", s);
	size_t rest = len - 7; /* "manylinux..." */
	char *tag = dl_arena_alloc(sc->arena, rest + 8);
	if (tag == NULL)
		return dl_error_oom();
	memcpy(tag, s + 7, rest);
	memcpy(tag + rest, "_x86_64", 8);
	*out = tag;
	return 0;
}

/* ---- candidates --------------------------------------------------------- */

/* uv's reading of requires-python: only its lower bound counts. */
static int python_ok(const dl_scenario *sc, const dl_specset *set, bool *ok)
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
		int c = dl_version_cmp(&sc->target_v, &r.iv[0].lo);
		*ok = c > 0 || (c == 0 && r.iv[0].lo_kind == DL_BOUND_INCLUSIVE);
	}
	dl_range_clear(&r);
	return 0;
}

static bool wheel_tag_ok(const dl_scenario *sc, const char *tag, size_t len)
{
	dl_tagset *set = NULL;
	if (dl_tagset_parse(&set, tag, len) < 0) {
		dl_error_clear();
		return false; /* a malformed tag matches nothing */
	}
	size_t rank = 0;
	bool ok = dl_tag_list_match(sc->tags, set, &rank) != 0;
	dl_tagset_free(set);
	return ok;
}

/* Decide whether some distribution of the candidate can be used, and say
 * why not otherwise. */
static int check_dists(dl_scenario *sc, const char *name, const dl_toml_value *vt, const char **unusable)
{
	bool sdist = true, wheel = true;
	int rc;
	if ((rc = get_bool(vt, "sdist", true, &sdist)) < 0 || (rc = get_bool(vt, "wheel", true, &wheel)) < 0)
		return rc;
	const dl_toml_value *tags = NULL;
	if ((rc = dl_toml_get(&tags, vt, "wheel_tags", DL_TOML_ARRAY, false)) < 0)
		return rc;
	bool no_build = sc->no_build_all || name_in(name, sc->no_build, sc->n_no_build);
	bool no_binary = sc->no_binary_all || name_in(name, sc->no_binary, sc->n_no_binary);
	bool tag_ok = tags == NULL;
	for (size_t i = 0; tags != NULL && i < dl_toml_array_len(tags) && !tag_ok; i++) {
		const dl_toml_value *el = dl_toml_array_at(tags, i);
		if ((rc = dl_toml_expect(el, DL_TOML_STRING)) < 0)
			return rc;
		size_t sl = 0;
		const char *s = dl_toml_value_string(el, &sl);
		tag_ok = wheel_tag_ok(sc, s, sl);
	}
	if ((sdist && !no_build) || (wheel && !no_binary && tag_ok))
		return 0;
	const char *sd = !sdist ? "it has no source distribution" : "building from source is disabled";
	const char *wh = !wheel ? "it has no wheels" : no_binary ? "wheels are disabled" : "no wheel matches the target";
	char *msg = dl_arena_alloc(sc->arena, strlen(sd) + strlen(wh) + 8);
	if (msg == NULL)
		return dl_error_oom();
	int n = snprintf(msg, strlen(sd) + strlen(wh) + 8, "%s and %s", sd, wh);
	if (n < 0)
		return dl_error_set(DL_ERROR, "formatting a reason failed");
	*unusable = msg;
	return 0;
}

static int load_extras(dl_scenario *sc, const dl_toml_value *vt, cand *c)
{
	const dl_toml_value *ex = NULL;
	int rc = dl_toml_get(&ex, vt, "extras", DL_TOML_TABLE, false);
	if (rc < 0 || ex == NULL)
		return rc;
	size_t n = dl_toml_table_len(ex);
	c->extras = dl_arena_calloc(sc->arena, n + 1, sizeof(extra_def));
	if (c->extras == NULL)
		return dl_error_oom();
	for (size_t i = 0; i < n; i++) {
		const char *key = NULL;
		size_t kl = 0;
		const dl_toml_value *arr = dl_toml_table_at(ex, i, &key, &kl);
		if ((rc = dl_toml_expect(arr, DL_TOML_ARRAY)) < 0)
			return rc;
		char *norm = dl_arena_alloc(sc->arena, kl + 1);
		if (norm == NULL)
			return dl_error_oom();
		dl_name_normalize_into(norm, key, kl);
		extra_def *e = &c->extras[c->nextras++];
		e->name = norm;
		if ((rc = parse_reqs(sc, arr, &e->reqs, &e->nreqs)) < 0)
			return rc;
	}
	return 0;
}

static int load_version(dl_scenario *sc, const char *name, const char *key, size_t kl, const dl_toml_value *vt,
                        cand *c)
{
	int rc;
	if ((rc = dl_toml_expect(vt, DL_TOML_TABLE)) < 0)
		return rc;
	c->text = dl_arena_strndup(sc->arena, key, kl);
	if (c->text == NULL)
		return dl_error_oom();
	if ((rc = dl_version_parse_into(&c->v, key, kl)) < 0)
		return at_value(sc, vt, rc);
	c->parsed = true;
	if ((rc = get_bool(vt, "yanked", false, &c->yanked)) < 0)
		return rc;
	if ((rc = get_reqs(sc, vt, "requires", &c->reqs, &c->nreqs)) < 0)
		return rc;
	if ((rc = load_extras(sc, vt, c)) < 0)
		return rc;
	const dl_toml_value *rp = NULL;
	if ((rc = dl_toml_get(&rp, vt, "requires_python", DL_TOML_STRING, false)) < 0)
		return rc;
	if (rp != NULL) {
		size_t sl = 0;
		const char *s = dl_toml_value_string(rp, &sl);
		dl_specset *set = NULL;
		if ((rc = dl_specset_parse(&set, s, sl)) < 0)
			return at_value(sc, rp, rc);
		bool ok = true;
		rc = python_ok(sc, set, &ok);
		dl_specset_free(set);
		if (rc < 0)
			return rc;
		if (!ok) {
			size_t cap = sl + strlen(sc->target) + 48;
			char *msg = dl_arena_alloc(sc->arena, cap);
			if (msg == NULL)
				return dl_error_oom();
			if (snprintf(msg, cap, "it requires Python %s, the target is %s", s, sc->target) < 0)
				return dl_error_set(DL_ERROR, "formatting a reason failed");
			c->unusable = msg;
			return 0;
		}
	}
	return check_dists(sc, name, vt, &c->unusable);
}

static int cmp_cand_desc(const void *a, const void *b)
{
	const cand *x = a, *y = b;
	int c = dl_version_cmp(&y->v, &x->v);
	return c != 0 ? c : strcmp(x->text, y->text);
}

static int load_packages(dl_scenario *sc, const dl_toml_value *root)
{
	const dl_toml_value *pkgs = NULL;
	int rc = dl_toml_get(&pkgs, root, "packages", DL_TOML_TABLE, false);
	if (rc < 0 || pkgs == NULL)
		return rc;
	for (size_t i = 0; i < dl_toml_table_len(pkgs); i++) {
		const char *key = NULL;
		size_t kl = 0;
		const dl_toml_value *pt = dl_toml_table_at(pkgs, i, &key, &kl);
		if ((rc = dl_toml_expect(pt, DL_TOML_TABLE)) < 0)
			return rc;
		if (!dl_name_is_valid(key, kl))
			return dl_toml_value_error(pt, DL_EPARSE, "invalid package name '%s'", key);
		char *norm = dl_arena_alloc(sc->arena, kl + 1);
		if (norm == NULL)
			return dl_error_oom();
		dl_name_normalize_into(norm, key, kl);
		uint32_t id;
		if ((rc = pkg_id(sc, norm, NULL, &id)) < 0)
			return rc;
		const dl_toml_value *vers = NULL;
		if ((rc = dl_toml_get(&vers, pt, "versions", DL_TOML_TABLE, false)) < 0)
			return rc;
		size_t nv = vers != NULL ? dl_toml_table_len(vers) : 0;
		if (nv == 0)
			continue;
		if (sc->pk[id].ncands != 0)
			return dl_toml_value_error(pt, DL_EPARSE, "package '%s' is given twice", norm);
		cand *cands = dl_arena_calloc(sc->arena, nv, sizeof(cand));
		if (cands == NULL)
			return dl_error_oom();
		sc->pk[id].cands = cands;
		sc->pk[id].ncands = nv; /* from here on dl_scenario_free releases them */
		for (size_t k = 0; k < nv; k++) {
			const char *vk = NULL;
			size_t vkl = 0;
			const dl_toml_value *vt = dl_toml_table_at(vers, k, &vk, &vkl);
			if ((rc = load_version(sc, norm, vk, vkl, vt, &cands[k])) < 0)
				return rc;
		}
		qsort(cands, nv, sizeof(cand), cmp_cand_desc);
	}
	return 0;
}

static int load_expected(dl_scenario *sc, const dl_toml_value *root)
{
	const dl_toml_value *ex = NULL;
	int rc = dl_toml_get_table(root, "expected", &ex);
	if (rc < 0)
		return rc;
	if ((rc = dl_toml_get_boolean(ex, "satisfiable", &sc->exp_sat)) < 0)
		return rc;
	const dl_toml_value *pk = NULL;
	if ((rc = dl_toml_get(&pk, ex, "packages", DL_TOML_TABLE, false)) < 0 || pk == NULL)
		return rc;
	size_t n = dl_toml_table_len(pk);
	sc->exp = dl_arena_calloc(sc->arena, n + 1, sizeof(dl_scenario_pin));
	if (sc->exp == NULL)
		return dl_error_oom();
	for (size_t i = 0; i < n; i++) {
		const char *key = NULL;
		size_t kl = 0;
		const dl_toml_value *v = dl_toml_table_at(pk, i, &key, &kl);
		if ((rc = dl_toml_expect(v, DL_TOML_STRING)) < 0)
			return rc;
		size_t sl = 0;
		const char *s = dl_toml_value_string(v, &sl);
		if (!dl_version_is_valid(s, sl))
			return dl_toml_value_error(v, DL_EPARSE, "invalid expected version '%s'", s);
		char *norm = dl_arena_alloc(sc->arena, kl + 1);
		char *ver = dl_arena_strndup(sc->arena, s, sl);
		if (norm == NULL || ver == NULL)
			return dl_error_oom();
		dl_name_normalize_into(norm, key, kl);
		sc->exp[i] = (dl_scenario_pin){norm, ver};
	}
	sc->nexp = n;
	sc->has_exp_pkgs = true;
	return 0;
}

static int cmp_pin(const void *a, const void *b)
{
	return strcmp(((const dl_scenario_pin *)a)->name, ((const dl_scenario_pin *)b)->name);
}

static int load(dl_scenario *sc, const dl_toml_value *root)
{
	const dl_toml_value *v = NULL, *opts = NULL, *env = NULL, *rt = NULL;
	int rc;
	if ((rc = dl_toml_get(&v, root, "name", DL_TOML_STRING, false)) < 0)
		return rc;
	if (v != NULL) {
		size_t sl = 0;
		const char *s = dl_toml_value_string(v, &sl);
		if ((sc->name = dl_arena_strndup(sc->arena, s, sl)) == NULL)
			return dl_error_oom();
	}
	if ((rc = dl_toml_get(&opts, root, "resolver_options", DL_TOML_TABLE, false)) < 0 ||
	    (rc = dl_toml_get(&env, root, "environment", DL_TOML_TABLE, false)) < 0)
		return rc;

	/* the target: resolver_options.python (uv's --python-version) wins
	 * over the interpreter of [environment] */
	const dl_toml_value *py = NULL;
	const char *platform = DEFAULT_PLATFORM;
	if (opts != NULL) {
		bool universal = false;
		const dl_toml_value *reqenv = NULL, *pp = NULL;
		if ((rc = get_bool(opts, "universal", false, &universal)) < 0 ||
		    (rc = get_bool(opts, "prereleases", false, &sc->prereleases)) < 0 ||
		    (rc = dl_toml_get(&reqenv, opts, "required_environments", DL_TOML_ARRAY, false)) < 0 ||
		    (rc = dl_toml_get(&py, opts, "python", DL_TOML_STRING, false)) < 0 ||
		    (rc = dl_toml_get(&pp, opts, "python_platform", DL_TOML_STRING, false)) < 0)
			return rc;
		sc->needs_fork = universal || reqenv != NULL;
		if ((rc = get_name_list(sc, opts, "no_build", &sc->no_build_all, &sc->no_build, &sc->n_no_build)) < 0 ||
		    (rc = get_name_list(sc, opts, "no_binary", &sc->no_binary_all, &sc->no_binary,
		                        &sc->n_no_binary)) < 0)
			return rc;
		if (pp != NULL && (rc = platform_tag(sc, pp, &platform)) < 0)
			return rc;
	}
	if (py == NULL && env != NULL && (rc = dl_toml_get(&py, env, "python", DL_TOML_STRING, false)) < 0)
		return rc;
	if (py != NULL) {
		size_t sl = 0;
		const char *s = dl_toml_value_string(py, &sl);
		rc = set_target(sc, py, s, sl, platform);
	} else {
		rc = set_target(sc, NULL, DEFAULT_PYTHON, strlen(DEFAULT_PYTHON), platform);
	}
	if (rc < 0)
		return rc;

	if ((rc = dl_toml_get(&rt, root, "root", DL_TOML_TABLE, false)) < 0)
		return rc;
	if (rt != NULL && (rc = get_reqs(sc, rt, "requires", &sc->root_reqs, &sc->nroot)) < 0)
		return rc;
	if ((rc = load_packages(sc, root)) < 0)
		return rc;
	if ((rc = load_expected(sc, root)) < 0)
		return rc;
	if (sc->nexp > 1)
		qsort(sc->exp, sc->nexp, sizeof(dl_scenario_pin), cmp_pin);
	return 0;
}

int dl_scenario_load(dl_scenario **out, const char *data, size_t len, const char *source)
{
	dl_scenario *sc = dl_calloc(1, sizeof(*sc));
	if (sc == NULL)
		return dl_error_oom();
	dl_buf_init(&sc->reason, 0);
	dl_buf_init(&sc->expl, 0);
	sc->name = "";
	sc->source = "<input>";
	dl_toml_doc *doc = NULL;
	int rc;
	if ((rc = dl_arena_new(&sc->arena)) < 0 || (rc = dl_strpool_new(&sc->pool)) < 0)
		goto done;
	/* the root is package 0 and is not found by name, so a project
	 * called "root" is an ordinary package */
	if ((sc->pk = dl_calloc(16, sizeof(pkg))) == NULL) {
		rc = dl_error_oom();
		goto done;
	}
	sc->cappk = 16;
	sc->npk = 1;
	sc->pk[0].name = "root";
	if (source != NULL && (sc->source = dl_arena_strndup(sc->arena, source, strlen(source))) == NULL) {
		rc = dl_error_oom();
		goto done;
	}
	if ((rc = dl_toml_parse(&doc, data, len, source, NULL)) < 0)
		goto done;
	rc = load(sc, dl_toml_doc_root(doc));
done:
	dl_toml_doc_free(doc);
	if (rc < 0) {
		dl_error_context("loading scenario %s", source != NULL ? source : "<input>");
		dl_scenario_free(sc);
		return rc;
	}
	*out = sc;
	return 0;
}

void dl_scenario_free(dl_scenario *sc)
{
	if (sc == NULL)
		return;
	for (size_t i = 0; i < sc->npk; i++) {
		pkg *p = &sc->pk[i];
		for (size_t k = 0; k < p->ncands; k++) {
			if (p->cands[k].parsed)
				dl_version_clear(&p->cands[k].v);
			json_decref(p->cands[k].raw);
		}
		if (p->extra == NULL) {
			for (size_t k = 0; k < p->noffered; k++)
				dl_version_clear(&p->offered[k]);
			dl_free(p->offered);
			dl_free(p->offered_idx);
		}
	}
	for (size_t i = 0; i < sc->nowned; i++)
		dl_requirement_free(sc->owned[i]);
	for (size_t i = 0; i < sc->capdeps; i++)
		dl_range_clear(&sc->ranges[i]);
	if (sc->target_set)
		dl_version_clear(&sc->target_v);
	dl_free(sc->ranges);
	dl_free(sc->deps);
	dl_free(sc->owned);
	dl_free(sc->pk);
	dl_free(sc->by_str);
	dl_free(sc->sel);
	dl_buf_free(&sc->reason);
	dl_buf_free(&sc->expl);
	dl_marker_env_free(sc->env);
	dl_tag_list_free(sc->tags);
	dl_strpool_free(sc->pool);
	dl_arena_free(sc->arena);
	dl_free(sc);
}

const char *dl_scenario_name(const dl_scenario *sc)
{
	return sc->name;
}

bool dl_scenario_expected_satisfiable(const dl_scenario *sc)
{
	return sc->exp_sat;
}

bool dl_scenario_expected_packages(const dl_scenario *sc, const dl_scenario_pin **pins, size_t *n)
{
	if (!sc->has_exp_pkgs)
		return false;
	*pins = sc->exp;
	*n = sc->nexp;
	return true;
}

const char *dl_scenario_target_python(const dl_scenario *sc)
{
	return sc->target;
}

/* ---- the provider ------------------------------------------------------- */

static const char *prov_name(void *ctx, uint32_t id)
{
	dl_scenario *sc = ctx;
	return id < sc->npk ? sc->pk[id].name : "?";
}

/* Does a root requirement on `name` pin exactly `v` with == or ===? */
static bool root_pins(const dl_scenario *sc, const char *name, const dl_version *v)
{
	for (size_t i = 0; i < sc->nroot; i++) {
		const dl_requirement *r = sc->root_reqs[i];
		if (strcmp(r->normalized_name, name) != 0)
			continue;
		for (size_t k = 0; k < r->specifier->count; k++) {
			const dl_spec *sp = &r->specifier->specs[k];
			if ((sp->op == DL_SPEC_EQ || sp->op == DL_SPEC_ARBITRARY) && sp->version.nrelease > 0 &&
			    dl_spec_matches(sp, v))
				return true;
		}
	}
	return false;
}

static bool root_names_prerelease(const dl_scenario *sc, const char *name)
{
	for (size_t i = 0; i < sc->nroot; i++) {
		const dl_requirement *r = sc->root_reqs[i];
		if (strcmp(r->normalized_name, name) == 0 && dl_specset_names_prerelease(r->specifier))
			return true;
	}
	return false;
}

/* Apply the yanked and pre-release policies to a base package once. */
static int make_offered(dl_scenario *sc, pkg *p)
{
	if (p->offered_ready)
		return 0;
	bool allow_pre = sc->prereleases || root_names_prerelease(sc, p->name);
	bool all_pre = p->ncands > 0;
	for (size_t k = 0; k < p->ncands; k++)
		all_pre = all_pre && dl_version_is_prerelease(&p->cands[k].v);
	allow_pre = allow_pre || all_pre;
	size_t cap = p->ncands ? p->ncands : 1;
	dl_version *offered = dl_calloc(cap, sizeof(dl_version));
	size_t *idx = dl_calloc(cap, sizeof(size_t));
	if (offered == NULL || idx == NULL) {
		dl_free(offered);
		dl_free(idx);
		return dl_error_oom();
	}
	size_t n = 0;
	for (size_t k = 0; k < p->ncands; k++) {
		const cand *c = &p->cands[k];
		if (c->yanked && !root_pins(sc, p->name, &c->v))
			continue;
		if (dl_version_is_prerelease(&c->v) && !allow_pre)
			continue;
		if (dl_version_copy(&offered[n], &c->v) < 0) {
			for (size_t j = 0; j < n; j++)
				dl_version_clear(&offered[j]);
			dl_free(offered);
			dl_free(idx);
			return dl_error_oom();
		}
		idx[n++] = k;
	}
	p->offered = offered;
	p->offered_idx = idx;
	p->noffered = n;
	p->offered_ready = true;
	return 0;
}

static int prov_versions(void *ctx, uint32_t id, const dl_version **out, size_t *n)
{
	dl_scenario *sc = ctx;
	*out = NULL;
	*n = 0;
	if (id == 0 || id >= sc->npk)
		return 0;
	pkg *base = &sc->pk[sc->pk[id].base];
	int rc = make_offered(sc, base);
	if (rc < 0)
		return rc;
	*out = base->offered;
	*n = base->noffered;
	return 0;
}

/* Add "pkg in range" to the scratch list.  Two requirements on one
 * package stay two dependencies (not their intersection), so that an
 * explanation can quote each as written. */
static int add_dep(dl_scenario *sc, uint32_t id, const dl_range *r)
{
	int rc;
	if (sc->ndeps == sc->capdeps) {
		size_t cap = sc->capdeps ? sc->capdeps * 2 : 8;
		if (dl_realloc_array((void **)&sc->deps, cap, sizeof(*sc->deps)) < 0 ||
		    dl_realloc_array((void **)&sc->ranges, cap, sizeof(*sc->ranges)) < 0)
			return dl_error_oom();
		for (size_t i = sc->capdeps; i < cap; i++)
			dl_range_init(&sc->ranges[i]);
		sc->capdeps = cap;
	}
	if ((rc = dl_range_copy(&sc->ranges[sc->ndeps], r)) < 0)
		return rc;
	sc->deps[sc->ndeps].pkg = id;
	sc->ndeps++;
	return 0;
}

/* Add the dependencies one requirement brings when its marker holds for
 * the active extras [extras, extras+nx). */
static int add_req(dl_scenario *sc, const dl_requirement *r, const char *const *extras, size_t nx)
{
	bool on = true;
	int rc = dl_marker_evaluate_extras(r->marker, sc->env, extras, nx, &on);
	if (rc < 0)
		return dl_error_context("evaluating the marker of '%s'", r->name);
	if (!on)
		return 0;
	dl_range range;
	dl_range_init(&range);
	uint32_t id;
	if ((rc = dl_range_from_specset(&range, r->specifier)) < 0 ||
	    (rc = pkg_id(sc, r->normalized_name, NULL, &id)) < 0 || (rc = add_dep(sc, id, &range)) < 0)
		goto done;
	for (size_t i = 0; i < r->n_extras; i++) {
		if ((rc = pkg_id(sc, r->normalized_name, r->extras[i], &id)) < 0 || (rc = add_dep(sc, id, &range)) < 0)
			goto done;
	}
done:
	dl_range_clear(&range);
	return rc;
}

static int rl_reqs(dl_scenario *sc, json_t *arr, dl_requirement ***out, size_t *n, size_t *skipped);

static int prov_deps(void *ctx, uint32_t id, size_t index, const dl_solver_dep **out, size_t *n, bool *available,
                     const char **reason)
{
	dl_scenario *sc = ctx;
	int rc = 0;
	*out = NULL;
	*n = 0;
	*available = true;
	*reason = NULL;
	for (size_t i = 0; i < sc->ndeps; i++)
		dl_range_clear(&sc->ranges[i]);
	sc->ndeps = 0;
	if (id == 0) {
		for (size_t i = 0; i < sc->nroot && rc == 0; i++)
			rc = add_req(sc, sc->root_reqs[i], NULL, 0);
	} else {
		if (id >= sc->npk)
			return dl_error_set(DL_EINVAL, "unknown package %u", (unsigned)id);
		uint32_t bid = sc->pk[id].base;
		const char *extra = sc->pk[id].extra;
		if ((rc = make_offered(sc, &sc->pk[bid])) < 0)
			return rc;
		const pkg *base = &sc->pk[bid];
		if (index >= base->noffered)
			return dl_error_set(DL_EINVAL, "no candidate %zu of %s", index, sc->pk[id].name);
		cand *c = &base->cands[base->offered_idx[index]];
		if (c->raw != NULL) {
			json_t *raw = c->raw;
			c->raw = NULL;
			rc = rl_reqs(sc, raw, &c->reqs, &c->nreqs, &sc->skipped);
			json_decref(raw);
			if (rc < 0)
				return rc;
		}
		if (extra == NULL) {
			if (c->unusable != NULL) {
				*available = false;
				*reason = c->unusable;
				return 0;
			}
			for (size_t i = 0; i < c->nreqs && rc == 0; i++)
				rc = add_req(sc, c->reqs[i], NULL, 0);
		} else {
			/* the extra pins its base to the same version */
			dl_range exact;
			dl_range_init(&exact);
			rc = dl_range_exact(&exact, &c->v);
			if (rc == 0)
				rc = add_dep(sc, bid, &exact);
			dl_range_clear(&exact);
			const char *const ex[1] = {extra};
			for (size_t i = 0; i < c->nreqs && rc == 0; i++) {
				if (dl_marker_mentions_extra(c->reqs[i]->marker))
					rc = add_req(sc, c->reqs[i], ex, 1);
			}
			for (size_t e = 0; e < c->nextras && rc == 0; e++) {
				if (strcmp(c->extras[e].name, extra) != 0)
					continue;
				for (size_t i = 0; i < c->extras[e].nreqs && rc == 0; i++)
					rc = add_req(sc, c->extras[e].reqs[i], ex, 1);
			}
		}
	}
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < sc->ndeps; i++)
		sc->deps[i].range = &sc->ranges[i];
	*out = sc->deps;
	*n = sc->ndeps;
	return 0;
}

void dl_scenario_provider(dl_scenario *sc, dl_solver_provider *out)
{
	out->ctx = sc;
	out->name = prov_name;
	out->versions = prov_versions;
	out->dependencies = prov_deps;
}

/* ---- running ------------------------------------------------------------ */

static const dl_scenario_pin *find_pin(const dl_scenario_pin *pins, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(pins[i].name, name) == 0)
			return &pins[i];
	}
	return NULL;
}

/* Compare the selection with the expected pins, writing the differences
 * into sc->reason. */
static int compare_pins(dl_scenario *sc, bool *same)
{
	*same = true;
	for (size_t i = 0; i < sc->nexp; i++) {
		const dl_scenario_pin *e = &sc->exp[i];
		const dl_scenario_pin *g = find_pin(sc->outcome.packages, sc->outcome.n_packages, e->name);
		if (g == NULL) {
			dl_buf_printf(&sc->reason, "%s%s %s expected, not selected", *same ? "" : "; ", e->name, e->version);
			*same = false;
			continue;
		}
		dl_version a, b;
		int rc = dl_version_parse_into(&a, e->version, strlen(e->version));
		if (rc < 0)
			return rc;
		if ((rc = dl_version_parse_into(&b, g->version, strlen(g->version))) < 0) {
			dl_version_clear(&a);
			return rc;
		}
		bool eq = dl_version_cmp(&a, &b) == 0;
		dl_version_clear(&a);
		dl_version_clear(&b);
		if (!eq) {
			dl_buf_printf(&sc->reason, "%s%s %s expected, got %s", *same ? "" : "; ", e->name, e->version,
			              g->version);
			*same = false;
		}
	}
	for (size_t i = 0; i < sc->outcome.n_packages; i++) {
		const dl_scenario_pin *g = &sc->outcome.packages[i];
		if (find_pin(sc->exp, sc->nexp, g->name) == NULL) {
			dl_buf_printf(&sc->reason, "%s%s %s selected, not expected", *same ? "" : "; ", g->name, g->version);
			*same = false;
		}
	}
	return sc->reason.failed;
}

static int collect(dl_scenario *sc, const dl_solver *s)
{
	size_t n = dl_solver_selected_count(s);
	dl_scenario_pin *sel = dl_calloc(n + 1, sizeof(*sel));
	if (sel == NULL)
		return dl_error_oom();
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t id;
		size_t idx;
		dl_solver_selected(s, i, &id, &idx);
		const pkg *p = &sc->pk[id];
		if (p->extra != NULL)
			continue;
		sel[k].name = p->name;
		sel[k].version = p->cands[p->offered_idx[idx]].text;
		k++;
	}
	qsort(sel, k, sizeof(*sel), cmp_pin);
	sc->sel = sel;
	sc->outcome.packages = sel;
	sc->outcome.n_packages = k;
	return 0;
}

int dl_scenario_resolve(dl_scenario *sc, const dl_scenario_outcome **out)
{
	dl_free(sc->sel);
	sc->sel = NULL;
	dl_buf_reset(&sc->reason);
	dl_buf_reset(&sc->expl);
	memset(&sc->outcome, 0, sizeof(sc->outcome));
	sc->outcome.reason = "";
	if (sc->needs_fork) {
		sc->outcome.status = DL_SCENARIO_SKIP;
		sc->outcome.reason = "skipped: universal resolution not supported yet";
		*out = &sc->outcome;
		return 0;
	}
	dl_solver_provider prov;
	dl_scenario_provider(sc, &prov);
	dl_solver *s = NULL;
	bool solved = false;
	int rc = dl_solver_new(&s, &prov);
	if (rc == 0)
		rc = dl_solver_solve(s, &solved);
	if (s != NULL)
		sc->last_stats = dl_solver_get_stats(s);
	if (rc == 0 && solved)
		rc = collect(sc, s);
	if (rc == 0 && !solved) {
		rc = dl_solver_explain(s, &sc->expl);
		sc->outcome.explanation = dl_buf_cstr(&sc->expl);
	}
	dl_solver_free(s);
	if (rc < 0)
		return dl_error_context("resolving scenario %s", sc->name);
	sc->outcome.satisfiable = solved;
	bool pass = solved == sc->exp_sat;
	if (!pass) {
		dl_buf_printf(&sc->reason, "expected %s, got %s", sc->exp_sat ? "satisfiable" : "unsatisfiable",
		              solved ? "satisfiable" : "unsatisfiable");
	} else if (solved && sc->has_exp_pkgs && (rc = compare_pins(sc, &pass)) < 0) {
		return rc;
	}
	if (sc->reason.failed)
		return sc->reason.failed;
	sc->outcome.status = pass ? DL_SCENARIO_PASS : DL_SCENARIO_FAIL;
	sc->outcome.reason = dl_buf_cstr(&sc->reason);
	*out = &sc->outcome;
	return 0;
}

dl_solver_stats dl_scenario_last_stats(const dl_scenario *sc)
{
	return sc->last_stats;
}

/* ---- resolvelib's test data --------------------------------------------- */

static int rl_error(const char *source, const char *what)
{
	return dl_error_set(DL_EPARSE, "%s: %s", source, what);
}

/* Parse a JSON array of requirement strings; unparsable ones are counted
 * and left out. */
static int rl_reqs(dl_scenario *sc, json_t *arr, dl_requirement ***out, size_t *n, size_t *skipped)
{
	size_t len = json_array_size(arr);
	*out = NULL;
	*n = 0;
	if (len == 0)
		return 0;
	dl_requirement **reqs = dl_arena_calloc(sc->arena, len, sizeof(*reqs));
	if (reqs == NULL)
		return dl_error_oom();
	size_t k = 0;
	for (size_t i = 0; i < len; i++) {
		const char *str = json_string_value(json_array_get(arr, i));
		if (str == NULL)
			return rl_error(sc->source, "a requirement is not a string");
		dl_requirement *r = NULL;
		int rc = dl_requirement_parse(&r, str, strlen(str));
		if (rc == DL_ENOMEM)
			return rc;
		if (rc < 0 || r->url != NULL) {
			dl_requirement_free(r);
			dl_error_clear();
			(*skipped)++;
			continue;
		}
		if ((rc = own_req(sc, r)) < 0)
			return rc;
		reqs[k++] = r;
	}
	*out = reqs;
	*n = k;
	return 0;
}

static int rl_load(dl_scenario *sc, json_t *index, json_t *cas, size_t *skipped)
{
	int rc = set_target(sc, NULL, "3.8", 3, DEFAULT_PLATFORM);
	if (rc < 0)
		return rc;
	if (!json_is_object(index) || !json_is_object(cas))
		return rl_error(sc->source, "the index and the case must be JSON objects");
	const char *name;
	json_t *versions;
	json_object_foreach(index, name, versions)
	{
		size_t kl = strlen(name);
		if (!dl_name_is_valid(name, kl) || !json_is_object(versions)) {
			(*skipped)++;
			continue;
		}
		char *norm = dl_arena_alloc(sc->arena, kl + 1);
		if (norm == NULL)
			return dl_error_oom();
		norm[dl_name_normalize_into(norm, name, kl)] = '\0';
		uint32_t id;
		if ((rc = pkg_id(sc, norm, NULL, &id)) < 0)
			return rc;
		size_t nv = json_object_size(versions);
		if (nv == 0)
			continue;
		if (sc->pk[id].ncands != 0)
			return dl_error_set(DL_EPARSE, "%s: package '%s' is given twice", sc->source, norm);
		cand *cands = dl_arena_calloc(sc->arena, nv, sizeof(cand));
		if (cands == NULL)
			return dl_error_oom();
		sc->pk[id].cands = cands;
		size_t k = 0;
		const char *ver;
		json_t *info;
		json_object_foreach(versions, ver, info)
		{
			cand *c = &cands[k];
			size_t vl = strlen(ver);
			if (dl_version_parse_into(&c->v, ver, vl) < 0) {
				dl_error_clear();
				(*skipped)++;
				continue;
			}
			c->parsed = true;
			sc->pk[id].ncands = ++k; /* from here on dl_scenario_free releases it */
			if ((c->text = dl_arena_strndup(sc->arena, ver, vl)) == NULL)
				return dl_error_oom();
			json_t *deps = json_is_object(info) ? json_object_get(info, "dependencies") : NULL;
			/* The data writes "no dependencies" as {} in places. */
			if (json_is_object(deps) && json_object_size(deps) == 0)
				deps = NULL;
			if (deps != NULL && !json_is_array(deps))
				return dl_error_set(DL_EPARSE, "%s: '%s' %s: dependencies must be an array", sc->source, name, ver);
			if (json_array_size(deps) > 0)
				c->raw = json_incref(deps);
		}
		if (k > 1)
			qsort(cands, k, sizeof(cand), cmp_cand_desc);
	}
	json_t *req = json_object_get(cas, "requested");
	if (!json_is_array(req))
		return rl_error(sc->source, "the case has no 'requested' array");
	size_t rskip = 0;
	if ((rc = rl_reqs(sc, req, &sc->root_reqs, &sc->nroot, &rskip)) < 0)
		return rc;
	if (rskip > 0)
		return rl_error(sc->source, "a requested requirement does not parse");
	json_t *resolved = json_object_get(cas, "resolved");
	sc->exp_sat = resolved != NULL;
	if (json_is_object(resolved)) {
		size_t n = json_object_size(resolved);
		sc->exp = dl_arena_calloc(sc->arena, n + 1, sizeof(dl_scenario_pin));
		if (sc->exp == NULL)
			return dl_error_oom();
		const char *pn;
		json_t *pv;
		json_object_foreach(resolved, pn, pv)
		{
			const char *v = json_is_string(pv) ? json_string_value(pv) : json_string_value(json_object_get(pv, "version"));
			size_t pl = strlen(pn);
			if (v == NULL || !dl_name_is_valid(pn, pl))
				return dl_error_set(DL_EPARSE, "%s: resolved '%s' has no version string", sc->source, pn);
			char *norm = dl_arena_alloc(sc->arena, pl + 1);
			char *ver = dl_arena_strndup(sc->arena, v, strlen(v));
			if (norm == NULL || ver == NULL)
				return dl_error_oom();
			norm[dl_name_normalize_into(norm, pn, pl)] = '\0';
			sc->exp[sc->nexp++] = (dl_scenario_pin){norm, ver};
		}
		/* An empty "resolved" lists no pins to compare with (pyrax). */
		sc->has_exp_pkgs = sc->nexp > 0;
		if (sc->nexp > 1)
			qsort(sc->exp, sc->nexp, sizeof(dl_scenario_pin), cmp_pin);
	}
	return 0;
}

int dl_scenario_load_resolvelib(dl_scenario **out, const char *index, size_t index_len, const char *case_json,
                                size_t case_len, const char *source, size_t *skipped)
{
	size_t dummy = 0;
	if (skipped == NULL)
		skipped = &dummy;
	*skipped = 0;
	dl_scenario *sc = dl_calloc(1, sizeof(*sc));
	if (sc == NULL)
		return dl_error_oom();
	dl_buf_init(&sc->reason, 0);
	dl_buf_init(&sc->expl, 0);
	sc->name = source != NULL ? source : "<resolvelib>";
	sc->source = sc->name;
	json_error_t je;
	json_t *ji = NULL, *jc = NULL;
	int rc;
	if ((rc = dl_arena_new(&sc->arena)) < 0 || (rc = dl_strpool_new(&sc->pool)) < 0)
		goto done;
	if ((sc->pk = dl_calloc(16, sizeof(pkg))) == NULL) {
		rc = dl_error_oom();
		goto done;
	}
	sc->cappk = 16;
	sc->npk = 1;
	sc->pk[0].name = "root";
	if ((sc->name = dl_arena_strndup(sc->arena, sc->name, strlen(sc->name))) == NULL) {
		rc = dl_error_oom();
		goto done;
	}
	sc->source = sc->name;
	ji = json_loadb(index, index_len, JSON_REJECT_DUPLICATES, &je);
	if (ji == NULL) {
		rc = dl_error_set(DL_EPARSE, "%s index: invalid JSON at line %d, column %d: %s", sc->source, je.line,
		                  je.column, je.text);
		goto done;
	}
	jc = json_loadb(case_json, case_len, JSON_REJECT_DUPLICATES, &je);
	if (jc == NULL) {
		rc = dl_error_set(DL_EPARSE, "%s: invalid JSON at line %d, column %d: %s", sc->source, je.line, je.column,
		                  je.text);
		goto done;
	}
	rc = rl_load(sc, ji, jc, skipped);
done:
	json_decref(ji);
	json_decref(jc);
	if (rc < 0) {
		dl_scenario_free(sc);
		return rc;
	}
	*out = sc;
	return 0;
}
