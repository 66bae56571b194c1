/*
 * scenario.c - packse scenarios as an in-memory source resolved by the
 * Python resolution layer (see deeplock/scenario.h for the rules, which
 * live in pyresolve.c and are shared with every other source).
 *
 * Loading turns the TOML document into a dl_py_memsource the way an index
 * would present the same universe: each version becomes a release whose
 * files are an sdist (unless `sdist = false`) and wheels (unless
 * `wheel = false`: one per `wheel_tags` entry, else one py3-none-any
 * wheel), every file carrying the version's requires-python; `yanked`
 * yanks the release; `requires` become Requires-Dist lines and each
 * `extras.x` entry a line whose marker also requires `extra == "x"`.
 * Requirements are parsed once here so that errors name their position in
 * the file; the memsource keeps them as text, as metadata would.
 * resolver_options become dl_py_options (prereleases = true is "allow",
 * no_build is only-binary).  Then the document is freed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/filename.h"
#include "deeplock/mregion.h"
#include "deeplock/name.h"
#include "deeplock/pyresolve.h"
#include "deeplock/requirement.h"
#include "deeplock/scenario.h"
#include "deeplock/toml.h"
#include "deeplock/version.h"

#define DEFAULT_PYTHON "3.12"
#define DEFAULT_PLATFORM "manylinux_2_28_x86_64"

struct dl_scenario {
	dl_arena *arena;
	const char *name;
	const char *source;
	dl_py_memsource *ms;

	dl_requirement **root_reqs;
	size_t nroot;
	dl_requirement **owned; /* every parsed requirement, for freeing */
	size_t nowned, capowned;

	bool prereleases;
	bool universal;
	const char *root_rp;   /* [root].requires_python, or NULL */
	dl_mregion *region;    /* universal: the environments to lock for */
	bool no_build_all, no_binary_all;
	const char **no_build, **no_binary; /* normalised names */
	size_t n_no_build, n_no_binary;
	dl_py_target target;
	bool target_set;
	dl_py_options opts;

	bool exp_sat;
	bool has_exp_pkgs;
	dl_scenario_pin *exp;
	size_t nexp;

	dl_py_session *session; /* dl_scenario_provider's */

	/* the last outcome */
	dl_scenario_outcome outcome;
	dl_buf reason;
	dl_buf expl;
	dl_scenario_pin *sel;
};

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

/* ---- the target --------------------------------------------------------- */

static int set_target(dl_scenario *sc, const dl_toml_value *where, const char *py, size_t len,
                      const char *platform)
{
	int rc = dl_py_target_init(&sc->target, py, len, platform);
	if (rc < 0)
		return where != NULL ? at_value(sc, where, rc) : rc;
	sc->target_set = true;
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

/* ---- packages ----------------------------------------------------------- */

/* Validate the requirement strings of an array (positions in errors) and
 * hand each to `add` as text, with `extra` folded into its marker. */
static int add_reqs(dl_scenario *sc, const dl_toml_value *arr, const char *pname, size_t rel, const char *extra)
{
	int rc = 0;
	dl_buf b;
	dl_buf_init(&b, 0);
	for (size_t i = 0; i < dl_toml_array_len(arr) && rc == 0; i++) {
		const dl_toml_value *el = dl_toml_array_at(arr, i);
		if ((rc = dl_toml_expect(el, DL_TOML_STRING)) < 0)
			break;
		size_t sl = 0;
		const char *s = dl_toml_value_string(el, &sl);
		dl_requirement *r = NULL;
		if ((rc = dl_requirement_parse(&r, s, sl)) < 0) {
			rc = at_value(sc, el, rc);
			break;
		}
		bool url = r->url != NULL;
		dl_requirement_free(r);
		if (url) {
			rc = dl_toml_value_error(el, DL_EUNSUPPORTED, "direct URL requirements are not supported: '%s'", s);
			break;
		}
		dl_buf_reset(&b);
		if (extra == NULL) {
			dl_buf_put(&b, s, sl);
		} else {
			/* no URL, so the first ';' starts the marker */
			const char *semi = memchr(s, ';', sl);
			if (semi == NULL)
				dl_buf_printf(&b, "%.*s ; extra == \"%s\"", (int)sl, s, extra);
			else
				dl_buf_printf(&b, "%.*s ; (%.*s) and extra == \"%s\"", (int)(semi - s), s,
				              (int)(sl - (size_t)(semi - s) - 1), semi + 1, extra);
		}
		if (b.failed) {
			rc = b.failed;
			break;
		}
		rc = dl_py_memsource_add_requires(sc->ms, pname, rel, dl_buf_cstr(&b));
	}
	dl_buf_free(&b);
	return rc;
}

static int load_extras(dl_scenario *sc, const dl_toml_value *vt, const char *pname, size_t rel)
{
	const dl_toml_value *ex = NULL;
	int rc = dl_toml_get(&ex, vt, "extras", DL_TOML_TABLE, false);
	if (rc < 0 || ex == NULL)
		return rc;
	for (size_t i = 0; i < dl_toml_table_len(ex); i++) {
		const char *key = NULL;
		size_t kl = 0;
		const dl_toml_value *arr = dl_toml_table_at(ex, i, &key, &kl);
		if ((rc = dl_toml_expect(arr, DL_TOML_ARRAY)) < 0)
			return rc;
		char *norm = dl_arena_alloc(sc->arena, kl + 1);
		if (norm == NULL)
			return dl_error_oom();
		dl_name_normalize_into(norm, key, kl);
		if ((rc = dl_py_memsource_add_extra(sc->ms, pname, rel, norm)) < 0 ||
		    (rc = add_reqs(sc, arr, pname, rel, norm)) < 0)
			return rc;
	}
	return 0;
}

/* The files of a release, as an index would list them. */
static int add_files(dl_scenario *sc, const char *pname, size_t rel, const dl_version *v, const dl_toml_value *vt,
                     const char *rp)
{
	bool sdist = true, wheel = true;
	int rc;
	if ((rc = get_bool(vt, "sdist", true, &sdist)) < 0 || (rc = get_bool(vt, "wheel", true, &wheel)) < 0)
		return rc;
	const dl_toml_value *tags = NULL;
	if ((rc = dl_toml_get(&tags, vt, "wheel_tags", DL_TOML_ARRAY, false)) < 0)
		return rc;
	if ((rc = dl_py_memsource_set_files_known(sc->ms, pname, rel)) < 0)
		return rc;
	char *esc = NULL;
	if ((rc = dl_filename_escape_name(&esc, pname, strlen(pname))) < 0)
		return rc;
	dl_buf ver, b;
	dl_buf_init(&ver, 0);
	dl_buf_init(&b, 0);
	dl_version_format(v, &ver);
	if (sdist) {
		dl_buf_printf(&b, "%s-%s.tar.gz", esc, dl_buf_cstr(&ver));
		rc = b.failed ? b.failed : dl_py_memsource_add_file(sc->ms, pname, rel, dl_buf_cstr(&b), rp, false);
	}
	if (rc == 0 && wheel && tags == NULL) {
		dl_buf_reset(&b);
		dl_buf_printf(&b, "%s-%s-py3-none-any.whl", esc, dl_buf_cstr(&ver));
		rc = b.failed ? b.failed : dl_py_memsource_add_file(sc->ms, pname, rel, dl_buf_cstr(&b), rp, false);
	}
	for (size_t i = 0; rc == 0 && wheel && tags != NULL && i < dl_toml_array_len(tags); i++) {
		const dl_toml_value *el = dl_toml_array_at(tags, i);
		if ((rc = dl_toml_expect(el, DL_TOML_STRING)) < 0)
			break;
		size_t sl = 0;
		const char *s = dl_toml_value_string(el, &sl);
		dl_buf_reset(&b);
		dl_buf_printf(&b, "%s-%s-%.*s.whl", esc, dl_buf_cstr(&ver), (int)sl, s);
		rc = b.failed ? b.failed : dl_py_memsource_add_file(sc->ms, pname, rel, dl_buf_cstr(&b), rp, false);
	}
	if (rc == 0 && ver.failed)
		rc = ver.failed;
	dl_buf_free(&ver);
	dl_buf_free(&b);
	dl_free(esc);
	return rc;
}

static int load_version(dl_scenario *sc, const char *pname, const char *key, size_t kl, const dl_toml_value *vt)
{
	int rc;
	if ((rc = dl_toml_expect(vt, DL_TOML_TABLE)) < 0)
		return rc;
	char *text = dl_arena_strndup(sc->arena, key, kl);
	if (text == NULL)
		return dl_error_oom();
	size_t rel = 0;
	if ((rc = dl_py_memsource_add_release(sc->ms, pname, text, &rel)) < 0)
		return at_value(sc, vt, rc);
	bool yanked = false;
	if ((rc = get_bool(vt, "yanked", false, &yanked)) < 0 ||
	    (rc = dl_py_memsource_set_yanked(sc->ms, pname, rel, yanked)) < 0)
		return rc;
	const dl_toml_value *reqs = NULL;
	if ((rc = dl_toml_get(&reqs, vt, "requires", DL_TOML_ARRAY, false)) < 0)
		return rc;
	if (reqs != NULL && (rc = add_reqs(sc, reqs, pname, rel, NULL)) < 0)
		return rc;
	if ((rc = load_extras(sc, vt, pname, rel)) < 0)
		return rc;
	const dl_toml_value *rp = NULL;
	const char *rps = NULL;
	if ((rc = dl_toml_get(&rp, vt, "requires_python", DL_TOML_STRING, false)) < 0)
		return rc;
	if (rp != NULL) {
		size_t sl = 0;
		const char *s = dl_toml_value_string(rp, &sl);
		dl_specset *set = NULL;
		if ((rc = dl_specset_parse(&set, s, sl)) < 0)
			return at_value(sc, rp, rc);
		dl_specset_free(set);
		if ((rps = dl_arena_strndup(sc->arena, s, sl)) == NULL)
			return dl_error_oom();
		if ((rc = dl_py_memsource_set_requires_python(sc->ms, pname, rel, rps)) < 0)
			return rc;
	}
	const dl_py_project *proj = dl_py_memsource_project(sc->ms, pname);
	return add_files(sc, pname, rel, &proj->releases[rel].version, vt, rps);
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
		const dl_toml_value *vers = NULL;
		if ((rc = dl_toml_get(&vers, pt, "versions", DL_TOML_TABLE, false)) < 0)
			return rc;
		size_t nv = vers != NULL ? dl_toml_table_len(vers) : 0;
		if (nv == 0)
			continue;
		const dl_py_project *prev = dl_py_memsource_project(sc->ms, norm);
		if (prev != NULL && prev->nreleases != 0)
			return dl_toml_value_error(pt, DL_EPARSE, "package '%s' is given twice", norm);
		for (size_t k = 0; k < nv; k++) {
			const char *vk = NULL;
			size_t vkl = 0;
			const dl_toml_value *vt = dl_toml_table_at(vers, k, &vk, &vkl);
			if ((rc = load_version(sc, norm, vk, vkl, vt)) < 0)
				return rc;
		}
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
		sc->exp[i] = (dl_scenario_pin){norm, ver, NULL};
	}
	sc->nexp = n;
	sc->has_exp_pkgs = true;
	return 0;
}

static int cmp_pin(const void *a, const void *b)
{
	return strcmp(((const dl_scenario_pin *)a)->name, ((const dl_scenario_pin *)b)->name);
}


/* [root].requires_python, checked here so an error names its position. */
static int root_python(dl_scenario *sc, const dl_toml_value *rt)
{
	const dl_toml_value *v = NULL;
	int rc = dl_toml_get(&v, rt, "requires_python", DL_TOML_STRING, false);
	if (rc < 0 || v == NULL)
		return rc;
	size_t sl = 0;
	const char *s = dl_toml_value_string(v, &sl);
	dl_specset *set = NULL;
	if ((rc = dl_specset_parse(&set, s, sl)) < 0)
		return dl_error_context("%s: 'root.requires_python'", sc->source);
	dl_specset_free(set);
	if ((sc->root_rp = dl_arena_strndup(sc->arena, s, sl)) == NULL)
		return dl_error_oom();
	return 0;
}

/* Every environment whose Python is at least the root's requires-python
 * (else the target Python), as `uv lock` reads a project. */
static int universal_region(dl_scenario *sc)
{
	char floor[64];
	const char *rp = sc->root_rp;
	if (rp == NULL) {
		snprintf(floor, sizeof(floor), ">=%s", sc->target.python_text);
		rp = floor;
	}
	dl_specset *set = NULL;
	int rc = dl_specset_parse(&set, rp, strlen(rp));
	if (rc == 0)
		rc = dl_mregion_python(&sc->region, set);
	dl_specset_free(set);
	return rc;
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
		sc->universal = universal || reqenv != NULL;
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
	if (rt != NULL && (rc = root_python(sc, rt)) < 0)
		return rc;
	if ((rc = load_packages(sc, root)) < 0)
		return rc;
	if ((rc = load_expected(sc, root)) < 0)
		return rc;
	if (sc->nexp > 1)
		qsort(sc->exp, sc->nexp, sizeof(dl_scenario_pin), cmp_pin);

	dl_py_options *o = &sc->opts;
	*o = (dl_py_options)DL_PY_OPTIONS_INIT;
	o->target = &sc->target;
	o->requirements = (const dl_requirement *const *)sc->root_reqs;
	o->nrequirements = sc->nroot;
	o->prereleases = sc->prereleases ? DL_PY_PRE_ALLOW : DL_PY_PRE_IF_NECESSARY_OR_EXPLICIT;
	o->only_binary_all = sc->no_build_all;
	o->only_binary = sc->no_build;
	o->nonly_binary = sc->n_no_build;
	o->no_binary_all = sc->no_binary_all;
	o->no_binary = sc->no_binary;
	o->nno_binary = sc->n_no_binary;
	o->requires_python = sc->root_rp;
	return sc->universal ? universal_region(sc) : 0;
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
	if ((rc = dl_arena_new(&sc->arena)) < 0 || (rc = dl_py_memsource_new(&sc->ms)) < 0)
		goto done;
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
	dl_py_session_free(sc->session);
	for (size_t i = 0; i < sc->nowned; i++)
		dl_requirement_free(sc->owned[i]);
	if (sc->target_set)
		dl_py_target_clear(&sc->target);
	dl_free(sc->owned);
	dl_free(sc->sel);
	dl_buf_free(&sc->reason);
	dl_buf_free(&sc->expl);
	dl_py_memsource_free(sc->ms);
	dl_mregion_free(sc->region);
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
	return sc->target.python_text;
}

/* ---- the provider ------------------------------------------------------- */

static const char *no_name(void *ctx, uint32_t id)
{
	(void)ctx;
	(void)id;
	return "?";
}

static int no_versions(void *ctx, uint32_t id, const dl_version **out, size_t *n)
{
	(void)ctx;
	(void)id;
	*out = NULL;
	*n = 0;
	return dl_error_last()->code != 0 ? dl_error_last()->code : DL_ERROR;
}

static int no_deps(void *ctx, uint32_t id, size_t index, const dl_solver_dep **out, size_t *n, bool *available,
                   const char **reason)
{
	(void)ctx;
	(void)id;
	(void)index;
	*out = NULL;
	*n = 0;
	*available = false;
	*reason = NULL;
	return dl_error_last()->code != 0 ? dl_error_last()->code : DL_ERROR;
}

void dl_scenario_provider(dl_scenario *sc, dl_solver_provider *out)
{
	dl_py_session_free(sc->session);
	sc->session = NULL;
	dl_py_source src;
	dl_py_memsource_source(sc->ms, &src);
	if (dl_py_session_new(&sc->session, &src, &sc->opts) < 0) {
		/* no memory: a provider whose every call fails with that error */
		out->ctx = sc;
		out->name = no_name;
		out->versions = no_versions;
		out->dependencies = no_deps;
		out->no_versions = NULL;
		return;
	}
	dl_py_session_provider(sc->session, out);
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


static int collect(dl_scenario *sc, const dl_py_result *r)
{
	dl_scenario_pin *sel = dl_calloc(r->npins + 1, sizeof(*sel));
	if (sel == NULL)
		return dl_error_oom();
	for (size_t i = 0; i < r->npins; i++) {
		sel[i].name = dl_arena_strndup(sc->arena, r->pins[i].name, strlen(r->pins[i].name));
		sel[i].version = dl_arena_strndup(sc->arena, r->pins[i].version, strlen(r->pins[i].version));
		if (sel[i].name == NULL || sel[i].version == NULL) {
			dl_free(sel);
			return dl_error_oom();
		}
	}
	sc->sel = sel;
	sc->outcome.packages = sel;
	sc->outcome.n_packages = r->npins;
	return 0;
}

/* ---- universal ---------------------------------------------------------- */

static const dl_py_pin *piece_pin(const dl_py_result *r, const char *name)
{
	for (size_t i = 0; i < r->npins; i++) {
		if (strcmp(r->pins[i].name, name) == 0)
			return &r->pins[i];
	}
	return NULL;
}

static bool has_extra(const dl_py_pin *p, const char *x)
{
	for (size_t i = 0; i < p->nextras; i++) {
		if (strcmp(p->extras[i], x) == 0)
			return true;
	}
	return false;
}

/* Is requirement `r` (of `who`, with extras [ex, ex+nx)) met in the
 * piece?  Writes what is wrong to sc->reason. */
static int check_req(dl_scenario *sc, const char *piece_marker, const dl_mregion *piece, const dl_py_result *res,
                     const char *who, const dl_requirement *r, const char *const *ex, size_t nx, bool *sound)
{
	dl_mregion *mr = NULL;
	bool disjoint = true;
	int rc = dl_mregion_from_marker(&mr, r->marker, ex, nx);
	if (rc == 0)
		rc = dl_mregion_disjoint(mr, piece, &disjoint);
	dl_mregion_free(mr);
	if (rc < 0 || disjoint)
		return rc;
	const dl_py_pin *p = piece_pin(res, r->normalized_name);
	const char *what = NULL;
	dl_version v;
	if (p == NULL) {
		what = "nothing is pinned";
	} else if ((rc = dl_version_parse_into(&v, p->version, strlen(p->version))) == 0) {
		bool ok = dl_specset_contains(r->specifier, &v, DL_PRERELEASES_ALLOW);
		dl_version_clear(&v);
		if (!ok)
			what = p->version;
		for (size_t i = 0; i < r->n_extras && what == NULL; i++) {
			if (!has_extra(p, r->extras[i]))
				what = "its extra is not active";
		}
	}
	if (rc == 0 && what != NULL) {
		dl_buf_printf(&sc->reason, "%sin the piece '%s', %s requires %s but %s", *sound ? "" : "; ", piece_marker,
		              who, r->normalized_name, what);
		*sound = false;
	}
	return rc;
}

/* Check one piece's resolution against the universe (see scenario.h). */
static int check_piece(dl_scenario *sc, const dl_py_fork *f, const dl_mregion *piece, bool *sound)
{
	const dl_py_result *res = f->result;
	int rc = 0;
	for (size_t i = 0; i < sc->nroot && rc == 0; i++)
		rc = check_req(sc, f->marker, piece, res, "the root", sc->root_reqs[i], NULL, 0, sound);
	for (size_t i = 0; i < res->npins && rc == 0; i++) {
		const dl_py_pin *p = &res->pins[i];
		const dl_py_meta *m = dl_py_memsource_meta(sc->ms, p->name, p->release);
		for (size_t k = 0; m != NULL && k < m->nrequires_dist && rc == 0; k++) {
			dl_requirement *r = NULL;
			const char *line = m->requires_dist[k];
			if ((rc = dl_requirement_parse(&r, line, strlen(line))) < 0)
				break;
			rc = check_req(sc, f->marker, piece, res, p->name, r, p->extras, p->nextras, sound);
			dl_requirement_free(r);
		}
	}
	return rc;
}

/* Two versions of one project must never share an environment. */
static int check_disjoint(dl_scenario *sc, const dl_py_universal *u, bool *sound)
{
	int rc = 0;
	for (size_t i = 0; i + 1 < u->npins && rc == 0; i++) {
		for (size_t j = i + 1; j < u->npins && rc == 0; j++) {
			const dl_py_upin *a = &u->pins[i], *b = &u->pins[j];
			if (strcmp(a->name, b->name) != 0)
				break;
			dl_mregion *ra = NULL, *rb = NULL, *in = NULL;
			bool disjoint = false;
			if (a->marker != NULL && b->marker != NULL &&
			    (rc = dl_mregion_parse(&ra, a->marker, strlen(a->marker))) == 0 &&
			    (rc = dl_mregion_parse(&rb, b->marker, strlen(b->marker))) == 0 &&
			    (rc = dl_mregion_and(&in, ra, sc->region)) == 0)
				rc = dl_mregion_disjoint(in, rb, &disjoint);
			dl_mregion_free(ra);
			dl_mregion_free(rb);
			dl_mregion_free(in);
			if (rc == 0 && !disjoint) {
				dl_buf_printf(&sc->reason, "%s%s %s and %s overlap", *sound ? "" : "; ", a->name, a->version,
				              b->version);
				*sound = false;
			}
		}
	}
	return rc;
}

static int resolve_universal(dl_scenario *sc, const dl_py_source *src, bool *solved, bool *sound)
{
	dl_py_options o = sc->opts;
	o.region = sc->region;
	dl_py_universal *u = NULL;
	int rc = dl_py_resolve_universal(&u, src, &o);
	if (rc < 0)
		return rc;
	*solved = u->solved;
	sc->outcome.forks = u->nforks;
	if (!u->solved) {
		dl_buf_puts(&sc->expl, u->explanation);
		if ((rc = sc->expl.failed) == 0)
			sc->outcome.explanation = dl_buf_cstr(&sc->expl);
		dl_py_universal_free(u);
		return rc;
	}
	for (size_t f = 0; f < u->nforks && rc == 0; f++) {
		dl_mregion *rel = NULL, *piece = NULL;
		const char *pm = u->forks[f].marker;
		if ((rc = dl_mregion_parse(&rel, pm, strlen(pm))) == 0 && (rc = dl_mregion_and(&piece, rel, sc->region)) == 0)
			rc = check_piece(sc, &u->forks[f], piece, sound);
		dl_mregion_free(rel);
		dl_mregion_free(piece);
	}
	if (rc == 0)
		rc = check_disjoint(sc, u, sound);
	dl_scenario_pin *sel = rc == 0 ? dl_calloc(u->npins + 1, sizeof(*sel)) : NULL;
	if (rc == 0 && sel == NULL)
		rc = dl_error_oom();
	for (size_t i = 0; rc == 0 && i < u->npins; i++) {
		const dl_py_upin *p = &u->pins[i];
		sel[i].name = dl_arena_strndup(sc->arena, p->name, strlen(p->name));
		sel[i].version = dl_arena_strndup(sc->arena, p->version, strlen(p->version));
		sel[i].marker = p->marker != NULL ? dl_arena_strndup(sc->arena, p->marker, strlen(p->marker)) : NULL;
		if (sel[i].name == NULL || sel[i].version == NULL || (p->marker != NULL && sel[i].marker == NULL))
			rc = dl_error_oom();
	}
	if (rc == 0) {
		sc->sel = sel;
		sc->outcome.packages = sel;
		sc->outcome.n_packages = u->npins;
	} else {
		dl_free(sel);
	}
	if (rc == 0 && sc->reason.failed)
		rc = DL_ENOMEM;
	dl_py_universal_free(u);
	return rc;
}

int dl_scenario_resolve(dl_scenario *sc, const dl_scenario_outcome **out)
{
	dl_free(sc->sel);
	sc->sel = NULL;
	dl_buf_reset(&sc->reason);
	dl_buf_reset(&sc->expl);
	memset(&sc->outcome, 0, sizeof(sc->outcome));
	sc->outcome.reason = "";
	dl_py_source src;
	dl_py_memsource_source(sc->ms, &src);
	bool solved = false, sound = true;
	int rc;
	if (sc->universal) {
		rc = resolve_universal(sc, &src, &solved, &sound);
	} else {
		dl_py_result *res = NULL;
		rc = dl_py_resolve(&res, &src, &sc->opts);
		solved = rc == 0 && res->solved;
		if (rc == 0 && solved)
			rc = collect(sc, res);
		if (rc == 0 && !solved) {
			dl_buf_puts(&sc->expl, res->explanation);
			if ((rc = sc->expl.failed) == 0)
				sc->outcome.explanation = dl_buf_cstr(&sc->expl);
		}
		dl_py_result_free(res);
	}
	if (rc < 0)
		return dl_error_context("resolving scenario %s", sc->name);
	sc->outcome.satisfiable = solved;
	bool pass = solved == sc->exp_sat && sound;
	if (!sound) {
		/* the reason is the check's */
	} else if (!pass) {
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
