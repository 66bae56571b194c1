/*
 * sdist.c - what an sdist says about its dependencies and its build, read
 * statically from PKG-INFO, pyproject.toml, setup.cfg and setup.py.
 *
 * The order of trust, for each fact:
 *   1. PKG-INFO with Metadata-Version >= 2.2: a field not listed as Dynamic
 *      is what every wheel built from the sdist will say (PEP 643).  Name and
 *      Version are the sdist's identity at any metadata version.
 *   2. pyproject.toml [project]: a field not listed in `dynamic` is static
 *      (PEP 621), and backends must use it as given.
 *   3. For the setuptools backend only: the setup() arguments, where
 *      setup.py's wins when it is truthy (setuptools applies setup.cfg only
 *      to attributes that are still empty, setuptools/config/setupcfg.py
 *      __setitem__), and [tool.setuptools.dynamic] `file` entries for
 *      fields [project] lists as dynamic.
 *   4. Otherwise the fact is dynamic, with a reason.
 *
 * Build requirements follow pip: [build-system].requires when the table
 * exists, else the PEP 517/518 fallback "setuptools>=40.8.0" with the
 * backend "setuptools.build_meta:__legacy__".  deeplock records the fallback
 * without "wheel": pip 24.1 and build 1.1 stopped adding it because
 * setuptools' get_requires_for_build_wheel asks for it itself where it is
 * needed (setuptools < 70.1), which is recorded as an unknowable fact
 * instead.  A setuptools build also asks for setup_requires through
 * get_requires_for_build_wheel (build_meta's _get_build_requires), so those
 * are recorded as additional build requirements with that rule as source.
 *
 * Everything the result points to lives in one arena.  Arrays are grown in
 * the arena (a doubling copy), so error paths need no cleanup beyond
 * freeing the arena.  PKG-INFO is read with the core-metadata parser
 * (deeplock/metadata.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "deeplock/metadata.h"
#include "deeplock/sdist.h"
#include "deeplock/toml.h"

#define DEFAULT_MAX_MEMBER ((size_t)4 << 20)
#define FALLBACK_REQUIRES "setuptools>=40.8.0"
#define FALLBACK_BACKEND "setuptools.build_meta:__legacy__"

const char *dl_sdist_source_name(dl_sdist_source src)
{
	switch (src) {
	case DL_SDIST_SRC_PKG_INFO: return "pkg-info";
	case DL_SDIST_SRC_PYPROJECT: return "pyproject";
	case DL_SDIST_SRC_SETUP_CFG: return "setup.cfg";
	case DL_SDIST_SRC_SETUP_PY: return "setup.py";
	case DL_SDIST_SRC_FALLBACK: return "pep517-fallback";
	case DL_SDIST_SRC_SETUPTOOLS: return "setuptools-get-requires";
	default: return "none";
	}
}

/* ------------------------------------------------------------------ */
/* Arena-grown arrays                                                   */

struct reqs {
	dl_sdist_req *v;
	size_t n, cap;
};

struct strs {
	const char **v;
	size_t n, cap;
};

static int grow_in(dl_arena *a, void **arr, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 8;
	void *p = dl_arena_calloc(a, ncap, size);
	if (p == NULL)
		return dl_error_oom();
	if (n > 0)
		memcpy(p, *arr, n * size);
	*arr = p;
	*cap = ncap;
	return 0;
}

static int strs_push(dl_arena *a, struct strs *s, const char *str, size_t len)
{
	int rc = grow_in(a, (void **)&s->v, &s->cap, s->n, sizeof(*s->v));
	if (rc < 0)
		return rc;
	char *copy = dl_arena_strndup(a, str, len);
	if (copy == NULL)
		return dl_error_oom();
	s->v[s->n++] = copy;
	return 0;
}

static int reqs_push(dl_arena *a, struct reqs *r, const char *req, size_t len, const char *extra,
                     dl_sdist_source src, dl_sdist_source origin)
{
	int rc = grow_in(a, (void **)&r->v, &r->cap, r->n, sizeof(*r->v));
	if (rc < 0)
		return rc;
	dl_sdist_req *x = &r->v[r->n];
	x->req = dl_arena_strndup(a, req, len);
	x->extra = extra != NULL ? dl_arena_strndup(a, extra, strlen(extra)) : NULL;
	if (x->req == NULL || (extra != NULL && x->extra == NULL))
		return dl_error_oom();
	x->source = src;
	x->origin = origin;
	r->n++;
	return 0;
}

static const char *afmt(dl_arena *a, const char *fmt, ...) DL_PRINTF(2, 3);

static const char *afmt(dl_arena *a, const char *fmt, ...)
{
	char buf[1200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return dl_arena_strndup(a, buf, strlen(buf));
}

/* ------------------------------------------------------------------ */
/* Reading state                                                        */

struct pkginfo {
	bool present;
	bool trusted;    /* the strict parse accepted it */
	dl_metadata *md; /* NULL when even the lenient parse failed */
	const char *metadata_version, *name, *version, *requires_python; /* borrowed from md */
};

struct rd {
	dl_sdist *sd;
	dl_arena *a;
	const dl_archive *ar;
	const char *top;
	size_t max;
	struct pkginfo pi;
	dl_toml_doc *toml;
	const dl_toml_value *project; /* [project] or NULL */
	const dl_toml_value *dynamic; /* [project].dynamic or NULL */
	dl_setup_args *cfg_args, *py_args;
	bool setup_py_present;
	struct strs unknowable;
};

static int unknowable(struct rd *R, const char *fmt, ...) DL_PRINTF(2, 3);

static int unknowable(struct rd *R, const char *fmt, ...)
{
	char buf[1200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return strs_push(R->a, &R->unknowable, buf, strlen(buf));
}

/* ------------------------------------------------------------------ */
/* PKG-INFO                                                             */

/*
 * Parse PKG-INFO with the core-metadata parser.  A file it rejects does not
 * stop the analysis (a build may not need it): the rejection is recorded as
 * unknowable, no field of it is trusted under PEP 643, and a lenient parse
 * still supplies the sdist's name and version when it can.
 */
static int read_pkg_info(struct rd *R, const char *text, size_t len)
{
	struct pkginfo *pi = &R->pi;
	pi->present = true;
	int rc = dl_metadata_parse(&pi->md, text, len, NULL);
	if (rc == DL_ENOMEM)
		return rc;
	if (rc == 0) {
		pi->trusted = true;
	} else {
		/* one line: the "\n  while ..." context becomes "; while ..." */
		char msg[800];
		size_t n = 0;
		for (const char *m = dl_error_last()->message; *m != '\0' && n + 3 < sizeof(msg); m++) {
			if (*m == '\n') {
				msg[n++] = ';';
				while (m[1] == ' ')
					m++;
				msg[n++] = ' ';
			} else {
				msg[n++] = *m;
			}
		}
		msg[n] = '\0';
		rc = unknowable(R, "PKG-INFO: the core-metadata parser rejects it (%s), so none of its fields is trusted",
		                msg);
		if (rc < 0)
			return rc;
		dl_metadata_options lenient = DL_METADATA_OPTIONS_INIT;
		lenient.lenient = true;
		rc = dl_metadata_parse(&pi->md, text, len, &lenient);
		if (rc == DL_ENOMEM)
			return rc;
		pi->md = rc == 0 ? pi->md : NULL;
	}
	if (pi->md != NULL) {
		pi->metadata_version = pi->md->metadata_version;
		pi->name = pi->md->name;
		pi->version = pi->md->version_text;
		pi->requires_python = pi->md->requires_python;
	}
	return 0;
}

/* Is a PKG-INFO field static by PEP 643? */
static bool pkginfo_static(const struct pkginfo *pi, const char *field)
{
	return pi->md != NULL && pi->trusted && dl_metadata_field_is_static(pi->md, field);
}

/* ------------------------------------------------------------------ */
/* Requirement strings                                                  */

/* Where a requirement's marker starts: after the first ';' (for a URL
 * requirement "name @ url ; marker", the ';' must follow whitespace, as
 * PEP 508 requires).  *base_len is the length before it, trailing blanks
 * dropped; returns the marker (leading blanks dropped) or NULL. */
static const char *split_marker(const char *req, size_t *base_len)
{
	const char *at = strchr(req, '@');
	const char *semi = NULL;
	for (const char *p = req; *p != '\0'; p++) {
		if (*p != ';')
			continue;
		if (at != NULL && p > at && !(p > req && (p[-1] == ' ' || p[-1] == '\t')))
			continue;
		semi = p;
		break;
	}
	size_t n = semi != NULL ? (size_t)(semi - req) : strlen(req);
	while (n > 0 && (req[n - 1] == ' ' || req[n - 1] == '\t'))
		n--;
	*base_len = n;
	if (semi == NULL)
		return NULL;
	const char *m = semi + 1;
	while (*m == ' ' || *m == '\t')
		m++;
	return *m != '\0' ? m : NULL;
}

/* Add a requirement of a setup.py extras key "name:marker" (setuptools'
 * conditional extras): the key's marker is and-ed to the requirement's. */
static int push_keyed(struct rd *R, struct reqs *runtime, struct reqs *extras, const char *key, const char *req,
                      dl_sdist_source src)
{
	const char *colon = strchr(key, ':');
	if (colon == NULL) {
		if (key[0] == '\0')
			return reqs_push(R->a, runtime, req, strlen(req), NULL, src, DL_SDIST_SRC_NONE);
		return reqs_push(R->a, extras, req, strlen(req), key, src, DL_SDIST_SRC_NONE);
	}
	char name[256];
	snprintf(name, sizeof(name), "%.*s", (int)(colon - key), key);
	const char *kmarker = colon + 1;
	size_t blen;
	const char *rmarker = split_marker(req, &blen);
	const char *combined = rmarker != NULL ? afmt(R->a, "%.*s; (%s) and (%s)", (int)blen, req, rmarker, kmarker)
	                                       : afmt(R->a, "%.*s; %s", (int)blen, req, kmarker);
	if (combined == NULL)
		return dl_error_oom();
	if (name[0] == '\0')
		return reqs_push(R->a, runtime, combined, strlen(combined), NULL, src, DL_SDIST_SRC_NONE);
	return reqs_push(R->a, extras, combined, strlen(combined), name, src, DL_SDIST_SRC_NONE);
}

/* Does `s` contain the word `w` at the top level (outside parentheses and
 * quotes)? */
static bool top_level_word(const char *s, size_t len, const char *w)
{
	size_t wl = strlen(w);
	int depth = 0;
	char quote = 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (quote) {
			if (c == quote)
				quote = 0;
			continue;
		}
		if (c == '"' || c == '\'')
			quote = c;
		else if (c == '(')
			depth++;
		else if (c == ')')
			depth--;
		else if (depth == 0 && i + wl <= len && memcmp(s + i, w, wl) == 0 &&
		         (i == 0 || s[i - 1] == ' ' || s[i - 1] == ')') &&
		         (i + wl == len || s[i + wl] == ' ' || s[i + wl] == '('))
			return true;
	}
	return false;
}

/*
 * Split a Requires-Dist line whose marker ends in `extra == "name"` into the
 * requirement without that clause and the extra's name.  Only done when it
 * is safe: the clause is the whole marker or is and-ed to a rest without a
 * top-level `or` and without other mentions of `extra`.  Returns false when
 * the line is left as it is.
 */
static bool split_extra(struct rd *R, const char *line, const char **req_out, char *extra, size_t extra_size)
{
	size_t blen;
	const char *m = split_marker(line, &blen);
	if (m == NULL)
		return false;
	size_t mlen = strlen(m);
	while (mlen > 0 && (m[mlen - 1] == ' ' || m[mlen - 1] == '\t'))
		mlen--;
	if (mlen < 2 || (m[mlen - 1] != '"' && m[mlen - 1] != '\''))
		return false;
	char q = m[mlen - 1];
	size_t qs = mlen - 1;
	while (qs > 0 && m[qs - 1] != q)
		qs--;
	if (qs == 0)
		return false;
	size_t name_start = qs, name_len = mlen - 1 - qs;
	size_t k = qs - 1; /* the opening quote */
	while (k > 0 && m[k - 1] == ' ')
		k--;
	if (k < 2 || m[k - 1] != '=' || m[k - 2] != '=')
		return false;
	k -= 2;
	while (k > 0 && m[k - 1] == ' ')
		k--;
	if (k < 5 || memcmp(m + k - 5, "extra", 5) != 0)
		return false;
	k -= 5;
	if (k > 0 && m[k - 1] != ' ' && m[k - 1] != '(')
		return false;
	/* the rest of the marker before the clause */
	size_t rest = k;
	while (rest > 0 && m[rest - 1] == ' ')
		rest--;
	if (rest > 0) {
		if (rest < 4 || memcmp(m + rest - 3, "and", 3) != 0 || (m[rest - 4] != ' ' && m[rest - 4] != ')'))
			return false;
		rest -= 3;
		while (rest > 0 && m[rest - 1] == ' ')
			rest--;
		if (rest == 0 || top_level_word(m, rest, "or"))
			return false;
		for (size_t i = 0; i + 5 <= rest; i++) {
			if (memcmp(m + i, "extra", 5) == 0)
				return false;
		}
	}
	if (name_len == 0 || name_len >= extra_size)
		return false;
	memcpy(extra, m + name_start, name_len);
	extra[name_len] = '\0';
	const char *req = rest > 0 ? afmt(R->a, "%.*s; %.*s", (int)blen, line, (int)rest, m)
	                           : afmt(R->a, "%.*s", (int)blen, line);
	if (req == NULL)
		return false;
	*req_out = req;
	return true;
}

/* ------------------------------------------------------------------ */
/* pyproject.toml                                                       */

static int toml_strings(struct rd *R, const dl_toml_value *arr, struct strs *out)
{
	for (size_t i = 0; i < dl_toml_array_len(arr); i++) {
		const dl_toml_value *v = dl_toml_array_at(arr, i);
		int rc = dl_toml_expect(v, DL_TOML_STRING);
		if (rc < 0)
			return rc;
		size_t len;
		const char *s = dl_toml_value_string(v, &len);
		if (memchr(s, '\0', len) != NULL)
			return dl_toml_value_error(v, DL_EPARSE, "a requirement or path cannot contain a NUL character");
		rc = strs_push(R->a, out, s, len);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static bool in_dynamic(const struct rd *R, const char *field)
{
	if (R->dynamic == NULL)
		return false;
	for (size_t i = 0; i < dl_toml_array_len(R->dynamic); i++) {
		const char *s = dl_toml_value_string(dl_toml_array_at(R->dynamic, i), NULL);
		if (s != NULL && strcmp(s, field) == 0)
			return true;
	}
	return false;
}

/* Lexically inside the project: relative, no '..' that leaves it. */
static bool path_inside(const char *p)
{
	if (p[0] == '/' || p[0] == '\\' || (p[0] != '\0' && p[1] == ':'))
		return false;
	long depth = 0;
	size_t len = strlen(p);
	for (size_t i = 0; i < len;) {
		size_t j = i;
		while (j < len && p[j] != '/' && p[j] != '\\')
			j++;
		size_t c = j - i;
		if (c == 2 && p[i] == '.' && p[i + 1] == '.') {
			if (--depth < 0)
				return false;
		} else if (c > 0 && !(c == 1 && p[i] == '.')) {
			depth++;
		}
		i = j + 1;
	}
	return true;
}

static bool known_quiet_backend(const char *backend)
{
	static const char *const quiet[] = {"flit_core.buildapi", "poetry.core.masonry.api", "pdm.backend",
	                                    "hatchling.build", "hatchling.ouroboros"};
	for (size_t i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++) {
		if (strcmp(backend, quiet[i]) == 0)
			return true;
	}
	return false;
}

static int read_build_system(struct rd *R)
{
	dl_sdist *sd = R->sd;
	const dl_toml_value *bs = NULL;
	if (R->toml != NULL) {
		int rc = dl_toml_get(&bs, dl_toml_doc_root(R->toml), "build-system", DL_TOML_TABLE, false);
		if (rc < 0)
			return rc;
	}
	struct strs req = {0};
	if (bs == NULL) {
		int rc = strs_push(R->a, &req, FALLBACK_REQUIRES, strlen(FALLBACK_REQUIRES));
		if (rc < 0)
			return rc;
		dl_sdist_req *v = dl_arena_calloc(R->a, 1, sizeof(*v));
		if (v == NULL)
			return dl_error_oom();
		v->req = req.v[0];
		v->source = DL_SDIST_SRC_FALLBACK;
		sd->build_requires.items = v;
		sd->build_requires.count = 1;
		sd->build_requires.source = DL_SDIST_SRC_FALLBACK;
		sd->build_backend = FALLBACK_BACKEND;
		sd->build_backend_source = DL_SDIST_SRC_FALLBACK;
	} else {
		const dl_toml_value *arr = NULL;
		int rc = dl_toml_get(&arr, bs, "requires", DL_TOML_ARRAY, true);
		if (rc == DL_ENOTFOUND) /* pip rejects [build-system] without requires */
			return dl_error_set(DL_EPARSE, "%s (pip requires it)", dl_error_last()->message);
		if (rc < 0)
			return rc;
		rc = toml_strings(R, arr, &req);
		if (rc < 0)
			return rc;
		dl_sdist_req *v = dl_arena_calloc(R->a, req.n ? req.n : 1, sizeof(*v));
		if (v == NULL)
			return dl_error_oom();
		for (size_t i = 0; i < req.n; i++) {
			v[i].req = req.v[i];
			v[i].source = DL_SDIST_SRC_PYPROJECT;
		}
		sd->build_requires.items = v;
		sd->build_requires.count = req.n;
		sd->build_requires.source = DL_SDIST_SRC_PYPROJECT;
		const dl_toml_value *be = NULL;
		rc = dl_toml_get(&be, bs, "build-backend", DL_TOML_STRING, false);
		if (rc < 0)
			return rc;
		if (be != NULL) {
			size_t len;
			const char *s = dl_toml_value_string(be, &len);
			sd->build_backend = dl_arena_strndup(R->a, s, len);
			sd->build_backend_source = DL_SDIST_SRC_PYPROJECT;
		} else {
			/* pip: no backend means the legacy setuptools backend */
			sd->build_backend = FALLBACK_BACKEND;
			sd->build_backend_source = DL_SDIST_SRC_FALLBACK;
		}
		if (sd->build_backend == NULL)
			return dl_error_oom();
		const dl_toml_value *bp = NULL;
		rc = dl_toml_get(&bp, bs, "backend-path", DL_TOML_ARRAY, false);
		if (rc < 0)
			return rc;
		if (bp != NULL) {
			struct strs paths = {0};
			rc = toml_strings(R, bp, &paths);
			if (rc < 0)
				return rc;
			for (size_t i = 0; i < paths.n; i++) {
				if (!path_inside(paths.v[i]))
					return dl_toml_value_error(dl_toml_array_at(bp, i), DL_EPARSE,
					                           "backend-path entry '%s' points outside the source tree (PEP 517)",
					                           paths.v[i]);
			}
			sd->backend_path = paths.v;
			sd->backend_path_count = paths.n;
		}
	}
	sd->setuptools_backend = strcmp(sd->build_backend, "setuptools.build_meta") == 0 ||
	                         strcmp(sd->build_backend, "setuptools.build_meta:__legacy__") == 0;
	if (!sd->setuptools_backend && !known_quiet_backend(sd->build_backend)) {
		int rc = unknowable(R, "build requirements: the backend '%s' may ask for more through "
		                       "get_requires_for_build_wheel, which only running it can tell",
		                    sd->build_backend);
		if (rc < 0)
			return rc;
	}
	if (strncmp(sd->build_backend, "hatchling.", 10) == 0 && R->toml != NULL &&
	    dl_toml_get_path(dl_toml_doc_root(R->toml), "tool.hatch.build") != NULL) {
		int rc = unknowable(R, "build requirements: hatchling adds the dependencies of the build hooks and targets "
		                       "configured in [tool.hatch.build] when it builds");
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Facts                                                                */

static int set_field(struct rd *R, dl_sdist_field *f, const char *value, dl_sdist_source src)
{
	f->source = src;
	f->dynamic = NULL;
	f->value = value != NULL ? dl_arena_strndup(R->a, value, strlen(value)) : NULL;
	return value == NULL || f->value != NULL ? 0 : dl_error_oom();
}

static int field_dynamic(struct rd *R, const char *what, const char **slot, const char *fmt, ...) DL_PRINTF(4, 5);

/* Mark a fact dynamic: store the reason and add it to the unknowable list,
 * prefixed by what the fact is. */
static int field_dynamic(struct rd *R, const char *what, const char **slot, const char *fmt, ...)
{
	char buf[1000];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	*slot = dl_arena_strndup(R->a, buf, strlen(buf));
	if (*slot == NULL)
		return dl_error_oom();
	return unknowable(R, "%s: %s", what, buf);
}

static bool value_truthy(const dl_setup_value *v)
{
	if (v->state != DL_SETUP_STATIC)
		return v->state == DL_SETUP_DYNAMIC;
	if (v->str != NULL)
		return v->str[0] != '\0';
	return v->count > 0 || v->extras_count > 0;
}

/* The setup() argument setuptools ends up with: setup.py's when truthy or
 * dynamic, else setup.cfg's.  *src says which. */
static const dl_setup_value *setup_value(const struct rd *R, size_t off, dl_sdist_source *src)
{
	static const dl_setup_value absent = {DL_SETUP_ABSENT, NULL, 0, NULL, NULL, 0, NULL, 0};
	if (R->py_args != NULL) {
		const dl_setup_value *py = (const dl_setup_value *)((const char *)R->py_args + off);
		if (value_truthy(py)) {
			*src = DL_SDIST_SRC_SETUP_PY;
			return py;
		}
	}
	if (R->cfg_args != NULL) {
		const dl_setup_value *cfg = (const dl_setup_value *)((const char *)R->cfg_args + off);
		if (cfg->state != DL_SETUP_ABSENT) {
			*src = DL_SDIST_SRC_SETUP_CFG;
			return cfg;
		}
	}
	*src = R->setup_py_present ? DL_SDIST_SRC_SETUP_PY : DL_SDIST_SRC_SETUP_CFG;
	return &absent;
}

static int scalar(struct rd *R, dl_sdist_field *f, const char *what, const char *pkg_field, const char *pkg_value,
                  const char *project_key, size_t setup_off)
{
	if (pkg_field != NULL ? pkginfo_static(&R->pi, pkg_field) : (R->pi.present && pkg_value != NULL))
		return set_field(R, f, pkg_value, DL_SDIST_SRC_PKG_INFO);
	if (R->project != NULL && !in_dynamic(R, project_key)) {
		const dl_toml_value *v = NULL;
		int rc = dl_toml_get(&v, R->project, project_key, DL_TOML_STRING, false);
		if (rc < 0)
			return rc;
		return set_field(R, f, v != NULL ? dl_toml_value_string(v, NULL) : NULL, DL_SDIST_SRC_PYPROJECT);
	}
	if (!R->sd->setuptools_backend) {
		if (R->project != NULL)
			return field_dynamic(R, what, &f->dynamic,
			                     "pyproject.toml lists '%s' in [project].dynamic, and the backend '%s' computes it",
			                     project_key, R->sd->build_backend);
		return field_dynamic(R, what, &f->dynamic,
		                     "there is no [project] table, and the backend '%s' reads its own configuration",
		                     R->sd->build_backend);
	}
	dl_sdist_source src;
	const dl_setup_value *v = setup_value(R, setup_off, &src);
	if (v->state == DL_SETUP_DYNAMIC)
		return field_dynamic(R, what, &f->dynamic, "%s", v->reason);
	return set_field(R, f, v->state == DL_SETUP_STATIC ? v->str : NULL, src);
}

/* [tool.setuptools.dynamic] <key> = {file = ...}: the files' lines. */
static int setuptools_dynamic_file(struct rd *R, const char *key, const dl_toml_value **spec)
{
	*spec = NULL;
	if (R->toml == NULL)
		return 0;
	const dl_toml_value *dyn = dl_toml_get_path(dl_toml_doc_root(R->toml), "tool.setuptools.dynamic");
	if (dyn == NULL)
		return 0;
	*spec = dl_toml_table_get(dyn, key);
	return 0;
}

static int read_member(struct rd *R, const char *rel, dl_buf *out);

/* Requirements from a {file = "x" | ["x", "y"]} specification. */
static int file_requirements(struct rd *R, const dl_toml_value *spec, const char *what, struct strs *out,
                             const char **dyn_slot)
{
	const dl_toml_value *files = dl_toml_table_get(spec, "file");
	if (files == NULL)
		return field_dynamic(R, what, dyn_slot, "[tool.setuptools.dynamic] gives it in a form deeplock does not read");
	struct strs names = {0};
	int rc;
	if (dl_toml_value_type(files) == DL_TOML_STRING) {
		size_t len;
		const char *s = dl_toml_value_string(files, &len);
		rc = strs_push(R->a, &names, s, len);
	} else if (dl_toml_value_type(files) == DL_TOML_ARRAY) {
		rc = toml_strings(R, files, &names);
	} else {
		return dl_toml_expect(files, DL_TOML_ARRAY);
	}
	if (rc < 0)
		return rc;
	dl_buf all = DL_BUF_INIT;
	for (size_t i = 0; i < names.n; i++) {
		if (!path_inside(names.v[i])) {
			dl_buf_free(&all);
			return field_dynamic(R, what, dyn_slot, "[tool.setuptools.dynamic] reads '%s', outside the project",
			                     names.v[i]);
		}
		dl_buf one = DL_BUF_INIT;
		rc = read_member(R, names.v[i], &one);
		if (rc == DL_ENOTFOUND) {
			dl_buf_free(&one);
			continue;
		}
		if (rc < 0) {
			dl_buf_free(&one);
			dl_buf_free(&all);
			if (rc == DL_ENOMEM)
				return rc;
			return field_dynamic(R, what, dyn_slot, "[tool.setuptools.dynamic] file '%s' cannot be read: %s",
			                     names.v[i], dl_error_last()->message);
		}
		if (all.len > 0)
			dl_buf_putc(&all, '\n');
		dl_buf_put(&all, dl_buf_cstr(&one), one.len);
		dl_buf_free(&one);
	}
	if (all.failed) {
		dl_buf_free(&all);
		return dl_error_oom();
	}
	const char *text = dl_buf_cstr(&all);
	const char **items = NULL;
	size_t n = 0, cap = 0;
	rc = dl_setup_split_requirements(&items, &n, &cap, R->a, &text, 1);
	dl_buf_free(&all);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = strs_push(R->a, out, items[i], strlen(items[i]));
	dl_free(items);
	return rc;
}

static int finish_reqs(struct rd *R, dl_sdist_reqs *out, struct reqs *r, dl_sdist_source src)
{
	(void)R;
	out->items = r->v;
	out->count = r->n;
	out->source = src;
	out->dynamic = NULL;
	return 0;
}

static int add_extra_name(struct rd *R, struct strs *names, const char *name)
{
	for (size_t i = 0; i < names->n; i++) {
		if (strcmp(names->v[i], name) == 0)
			return 0;
	}
	return strs_push(R->a, names, name, strlen(name));
}

static int runtime_requirements(struct rd *R)
{
	dl_sdist *sd = R->sd;
	struct reqs run = {0}, ext = {0};
	struct strs names = {0};
	int rc;
	bool deps_done = false, extras_done = false;

	/* 1. PKG-INFO (PEP 643) */
	if (pkginfo_static(&R->pi, "Requires-Dist")) {
		for (size_t i = 0; i < R->pi.md->n_requires_dist; i++) {
			const char *line = R->pi.md->requires_dist[i];
			const char *req = NULL;
			char extra[256];
			if (split_extra(R, line, &req, extra, sizeof(extra)))
				rc = reqs_push(R->a, &ext, req, strlen(req), extra, DL_SDIST_SRC_PKG_INFO, DL_SDIST_SRC_NONE);
			else
				rc = reqs_push(R->a, &run, line, strlen(line), NULL, DL_SDIST_SRC_PKG_INFO, DL_SDIST_SRC_NONE);
			if (rc < 0)
				return rc;
		}
		rc = finish_reqs(R, &sd->requires, &run, DL_SDIST_SRC_PKG_INFO);
		if (rc == 0)
			rc = finish_reqs(R, &sd->extras, &ext, DL_SDIST_SRC_PKG_INFO);
		if (rc < 0)
			return rc;
		deps_done = extras_done = true;
	}
	if (pkginfo_static(&R->pi, "Provides-Extra")) {
		for (size_t i = 0; i < R->pi.md->n_provides_extra; i++) {
			rc = add_extra_name(R, &names, R->pi.md->provides_extra[i]);
			if (rc < 0)
				return rc;
		}
	}

	/* 2. pyproject [project] */
	if (R->project != NULL && !deps_done && !in_dynamic(R, "dependencies")) {
		const dl_toml_value *arr = NULL;
		rc = dl_toml_get(&arr, R->project, "dependencies", DL_TOML_ARRAY, false);
		if (rc < 0)
			return rc;
		struct strs s = {0};
		if (arr != NULL && (rc = toml_strings(R, arr, &s)) < 0)
			return rc;
		for (size_t i = 0; i < s.n; i++) {
			rc = reqs_push(R->a, &run, s.v[i], strlen(s.v[i]), NULL, DL_SDIST_SRC_PYPROJECT, DL_SDIST_SRC_NONE);
			if (rc < 0)
				return rc;
		}
		finish_reqs(R, &sd->requires, &run, DL_SDIST_SRC_PYPROJECT);
		deps_done = true;
	}
	if (R->project != NULL && !extras_done && !in_dynamic(R, "optional-dependencies")) {
		const dl_toml_value *tab = NULL;
		rc = dl_toml_get(&tab, R->project, "optional-dependencies", DL_TOML_TABLE, false);
		if (rc < 0)
			return rc;
		for (size_t i = 0; tab != NULL && i < dl_toml_table_len(tab); i++) {
			const char *key;
			size_t klen;
			const dl_toml_value *arr = dl_toml_table_at(tab, i, &key, &klen);
			if ((rc = dl_toml_expect(arr, DL_TOML_ARRAY)) < 0)
				return rc;
			struct strs s = {0};
			if ((rc = toml_strings(R, arr, &s)) < 0)
				return rc;
			if ((rc = add_extra_name(R, &names, key)) < 0)
				return rc;
			for (size_t k = 0; k < s.n; k++) {
				rc = reqs_push(R->a, &ext, s.v[k], strlen(s.v[k]), key, DL_SDIST_SRC_PYPROJECT, DL_SDIST_SRC_NONE);
				if (rc < 0)
					return rc;
			}
		}
		finish_reqs(R, &sd->extras, &ext, DL_SDIST_SRC_PYPROJECT);
		extras_done = true;
	}

	/* 3. setuptools: [tool.setuptools.dynamic] files, then setup() arguments */
	if (sd->setuptools_backend && R->project != NULL && !deps_done) {
		const dl_toml_value *spec = NULL;
		setuptools_dynamic_file(R, "dependencies", &spec);
		if (spec != NULL) {
			struct strs s = {0};
			const char *dyn = NULL;
			rc = file_requirements(R, spec, "runtime requirements", &s, &dyn);
			if (rc < 0)
				return rc;
			sd->requires.dynamic = dyn;
			for (size_t i = 0; dyn == NULL && i < s.n; i++) {
				rc = reqs_push(R->a, &run, s.v[i], strlen(s.v[i]), NULL, DL_SDIST_SRC_PYPROJECT, DL_SDIST_SRC_NONE);
				if (rc < 0)
					return rc;
			}
			if (dyn == NULL)
				finish_reqs(R, &sd->requires, &run, DL_SDIST_SRC_PYPROJECT);
			deps_done = true;
		}
	}
	if (sd->setuptools_backend && R->project != NULL && !extras_done) {
		const dl_toml_value *spec = NULL;
		setuptools_dynamic_file(R, "optional-dependencies", &spec);
		if (spec != NULL) {
			const char *dyn = NULL;
			for (size_t i = 0; dyn == NULL && i < dl_toml_table_len(spec); i++) {
				const char *key;
				size_t klen;
				const dl_toml_value *one = dl_toml_table_at(spec, i, &key, &klen);
				if (dl_toml_value_type(one) != DL_TOML_TABLE) {
					rc = field_dynamic(R, "extras", &dyn, "[tool.setuptools.dynamic] gives it in a form deeplock does not read");
				} else {
					struct strs s = {0};
					rc = file_requirements(R, one, "extras", &s, &dyn);
					for (size_t k = 0; rc == 0 && dyn == NULL && k < s.n; k++)
						rc = reqs_push(R->a, &ext, s.v[k], strlen(s.v[k]), key, DL_SDIST_SRC_PYPROJECT,
						               DL_SDIST_SRC_NONE);
					if (rc == 0)
						rc = add_extra_name(R, &names, key);
				}
				if (rc < 0)
					return rc;
			}
			sd->extras.dynamic = dyn;
			if (dyn == NULL)
				finish_reqs(R, &sd->extras, &ext, DL_SDIST_SRC_PYPROJECT);
			extras_done = true;
		}
	}
	if (!sd->setuptools_backend) {
		if (!deps_done) {
			if (R->project != NULL)
				rc = field_dynamic(R, "runtime requirements", &sd->requires.dynamic,
				                   "pyproject.toml lists 'dependencies' in [project].dynamic, and the backend '%s' "
				                   "computes it",
				                   sd->build_backend);
			else
				rc = field_dynamic(R, "runtime requirements", &sd->requires.dynamic,
				                   "there is no [project] table, and the backend '%s' reads its own configuration",
				                   sd->build_backend);
			if (rc < 0)
				return rc;
		}
		if (!extras_done) {
			if (R->project != NULL)
				rc = field_dynamic(R, "extras", &sd->extras.dynamic,
				                   "pyproject.toml lists 'optional-dependencies' in [project].dynamic, and the "
				                   "backend '%s' computes it",
				                   sd->build_backend);
			else
				rc = field_dynamic(R, "extras", &sd->extras.dynamic,
				                   "there is no [project] table, and the backend '%s' reads its own configuration",
				                   sd->build_backend);
			if (rc < 0)
				return rc;
		}
	} else {
		bool deps_from_setup = !deps_done;
		dl_sdist_source dsrc = DL_SDIST_SRC_NONE;
		if (!deps_done) {
			const dl_setup_value *v = setup_value(R, offsetof(dl_setup_args, install_requires), &dsrc);
			if (v->state == DL_SETUP_DYNAMIC) {
				rc = field_dynamic(R, "runtime requirements", &sd->requires.dynamic, "%s", v->reason);
				deps_from_setup = false;
			} else {
				rc = 0;
				for (size_t i = 0; rc == 0 && v->state == DL_SETUP_STATIC && i < v->count; i++)
					rc = reqs_push(R->a, &run, v->list[i], strlen(v->list[i]), NULL, dsrc, DL_SDIST_SRC_NONE);
			}
			if (rc < 0)
				return rc;
		}
		if (!extras_done) {
			dl_sdist_source src;
			const dl_setup_value *v = setup_value(R, offsetof(dl_setup_args, extras_require), &src);
			if (v->state == DL_SETUP_DYNAMIC) {
				rc = field_dynamic(R, "extras", &sd->extras.dynamic, "%s", v->reason);
				if (rc < 0)
					return rc;
			} else {
				struct reqs cond = {0};
				for (size_t i = 0; v->state == DL_SETUP_STATIC && i < v->extras_count; i++) {
					const dl_setup_extra *x = &v->extras[i];
					char name[256];
					snprintf(name, sizeof(name), "%s", x->name);
					char *colon = strchr(name, ':');
					if (colon != NULL)
						*colon = '\0';
					rc = name[0] != '\0' ? add_extra_name(R, &names, name) : 0;
					for (size_t k = 0; rc == 0 && k < x->count; k++)
						rc = push_keyed(R, &cond, &ext, x->name, x->reqs[k], src);
					if (rc < 0)
						return rc;
				}
				/* ':marker' keys are conditional runtime requirements */
				for (size_t i = 0; i < cond.n; i++) {
					if (deps_from_setup)
						rc = reqs_push(R->a, &run, cond.v[i].req, strlen(cond.v[i].req), NULL, src, DL_SDIST_SRC_NONE);
					else
						rc = unknowable(R, "runtime requirements: extras_require adds '%s' for every install, "
						                   "which the runtime requirements above do not list",
						                cond.v[i].req);
					if (rc < 0)
						return rc;
				}
				finish_reqs(R, &sd->extras, &ext, src);
			}
		}
		if (deps_from_setup)
			finish_reqs(R, &sd->requires, &run, dsrc);
	}
	sd->extra_names = names.v;
	sd->extra_names_count = names.n;
	return 0;
}

static int setup_requires(struct rd *R)
{
	dl_sdist *sd = R->sd;
	if (!sd->setuptools_backend)
		return 0;
	int rc = unknowable(R, "%s", DL_SDIST_NOTE_SETUPTOOLS_WHEEL);
	if (rc < 0)
		return rc;
	dl_sdist_source src;
	const dl_setup_value *v = setup_value(R, offsetof(dl_setup_args, setup_requires), &src);
	sd->setup_requires.source = DL_SDIST_SRC_SETUPTOOLS;
	if (v->state == DL_SETUP_DYNAMIC)
		return field_dynamic(R, "build requirements", &sd->setup_requires.dynamic, "%s", v->reason);
	struct reqs r = {0};
	for (size_t i = 0; v->state == DL_SETUP_STATIC && i < v->count; i++) {
		rc = reqs_push(R->a, &r, v->list[i], strlen(v->list[i]), NULL, DL_SDIST_SRC_SETUPTOOLS, src);
		if (rc < 0)
			return rc;
	}
	return finish_reqs(R, &sd->setup_requires, &r, DL_SDIST_SRC_SETUPTOOLS);
}

/* ------------------------------------------------------------------ */
/* Reading the archive                                                  */

static int read_member(struct rd *R, const char *rel, dl_buf *out)
{
	char path[4200];
	int n = snprintf(path, sizeof(path), "%s/%s", R->top, rel);
	if (n < 0 || (size_t)n >= sizeof(path))
		return dl_error_set(DL_ELIMIT, "path '%s' is too long", rel);
	if (dl_archive_lookup(R->ar, path, (size_t)n) == NULL)
		return dl_error_set(DL_ENOTFOUND, "archive '%s': no member '%s'", dl_archive_name(R->ar), path);
	return dl_archive_read(R->ar, path, out, R->max);
}

static int file_cb(void *ctx, const char *path, dl_buf *out)
{
	return read_member(ctx, path, out);
}

void dl_sdist_free(dl_sdist *sd)
{
	if (sd == NULL)
		return;
	dl_arena_free(sd->arena);
	dl_free(sd);
}

/* A dl_setup_args whose every field is dynamic for `reason`. */
static int dynamic_args(dl_setup_args **out, const char *reason)
{
	dl_setup_args *args = dl_calloc(1, sizeof(*args));
	if (args == NULL)
		return dl_error_oom();
	if (dl_arena_new(&args->arena) < 0) {
		dl_free(args);
		return dl_error_oom();
	}
	args->whole_reason = dl_arena_strndup(args->arena, reason, strlen(reason));
	if (args->whole_reason == NULL) {
		dl_setup_args_free(args);
		return dl_error_oom();
	}
	dl_setup_value *all[] = {&args->name, &args->version, &args->python_requires, &args->install_requires,
	                         &args->setup_requires, &args->extras_require};
	for (size_t i = 0; i < 6; i++) {
		all[i]->state = DL_SETUP_DYNAMIC;
		all[i]->reason = args->whole_reason;
	}
	*out = args;
	return 0;
}

static int read_setup_files(struct rd *R)
{
	dl_sdist *sd = R->sd;
	if (sd->setup_cfg != NULL) {
		dl_setupcfg *cfg = NULL;
		char src[300];
		snprintf(src, sizeof(src), "%s/setup.cfg", R->top);
		int rc = dl_setupcfg_parse(&cfg, sd->setup_cfg, sd->setup_cfg_len, src);
		if (rc == DL_ENOMEM)
			return rc;
		if (rc < 0) {
			rc = unknowable(R, "setup.cfg: setuptools cannot read it: %s", dl_error_last()->message);
			if (rc < 0)
				return rc;
			/* setuptools fails, so nothing from setup() can be known */
			rc = dynamic_args(&R->cfg_args, "setuptools cannot read setup.cfg");
			if (rc < 0)
				return rc;
		} else {
			/* An interpolation error anywhere stops setuptools. */
			for (size_t s = 0; s < dl_setupcfg_section_count(cfg); s++) {
				for (size_t i = 0; i < dl_setupcfg_option_count(cfg, s); i++) {
					const dl_setupcfg_option *o = dl_setupcfg_option_at(cfg, s, i);
					if (o->error == NULL)
						continue;
					rc = unknowable(R, "setup.cfg: setuptools will fail reading section [%s]: %s",
					                dl_setupcfg_section_name(cfg, s, NULL), o->error);
					if (rc < 0) {
						dl_setupcfg_free(cfg);
						return rc;
					}
					s = dl_setupcfg_section_count(cfg) - 1;
					break;
				}
			}
			rc = dl_setupcfg_extract(&R->cfg_args, cfg, file_cb, R);
			dl_setupcfg_free(cfg);
			if (rc < 0)
				return rc;
		}
	}
	if (sd->setup_py != NULL) {
		char src[300];
		snprintf(src, sizeof(src), "%s/setup.py", R->top);
		int rc = dl_setuppy_analyze(&R->py_args, sd->setup_py, sd->setup_py_len, src);
		if (rc == DL_ENOMEM)
			return rc;
		if (rc < 0) {
			char msg[800];
			snprintf(msg, sizeof(msg), "setup.py cannot be read statically: %s", dl_error_last()->message);
			rc = dynamic_args(&R->py_args, msg);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

/* Read the four files (those present) in one pass. */
static int read_files(struct rd *R)
{
	dl_sdist *sd = R->sd;
	static const char *const names[4] = {"PKG-INFO", "pyproject.toml", "setup.cfg", "setup.py"};
	char paths[4][4200];
	const char *want[4];
	int idx[4];
	size_t n = 0;
	for (int i = 0; i < 4; i++) {
		snprintf(paths[i], sizeof(paths[i]), "%s/%s", R->top, names[i]);
		const dl_archive_member *m = dl_archive_lookup(R->ar, paths[i], strlen(paths[i]));
		if (m == NULL)
			continue;
		if (m->type != DL_MEMBER_FILE) {
			int rc = unknowable(R, "%s: it is %s, which deeplock does not follow", names[i],
			                    m->type == DL_MEMBER_DIR ? "a directory" : "a link");
			if (rc < 0)
				return rc;
			continue;
		}
		want[n] = paths[i];
		idx[n] = i;
		n++;
	}
	dl_buf bufs[4];
	for (int i = 0; i < 4; i++)
		dl_buf_init(&bufs[i], 0);
	int rc = dl_archive_read_many(R->ar, want, n, bufs, R->max);
	for (size_t k = 0; rc == 0 && k < n; k++) {
		size_t len = bufs[k].len;
		char *copy = dl_arena_strndup(R->a, dl_buf_cstr(&bufs[k]), len);
		if (copy == NULL) {
			rc = dl_error_oom();
			break;
		}
		switch (idx[k]) {
		case 0: sd->pkg_info = copy; sd->pkg_info_len = len; break;
		case 1: sd->pyproject = copy; sd->pyproject_len = len; break;
		case 2: sd->setup_cfg = copy; sd->setup_cfg_len = len; break;
		default: sd->setup_py = copy; sd->setup_py_len = len; break;
		}
	}
	for (int i = 0; i < 4; i++)
		dl_buf_free(&bufs[i]);
	return rc;
}

static int sdist_read(struct rd *R)
{
	dl_sdist *sd = R->sd;
	int rc = read_files(R);
	if (rc < 0)
		return rc;
	if (sd->pkg_info == NULL)
		return dl_error_set(DL_EPARSE, "archive '%s': not an sdist: there is no '%s/PKG-INFO'",
		                    dl_archive_name(R->ar), R->top);
	rc = read_pkg_info(R, sd->pkg_info, sd->pkg_info_len);
	if (rc < 0)
		return rc;
	if (R->pi.metadata_version != NULL) {
		sd->metadata_version = dl_arena_strndup(R->a, R->pi.metadata_version, strlen(R->pi.metadata_version));
		if (sd->metadata_version == NULL)
			return dl_error_oom();
	}
	if (sd->pyproject != NULL) {
		char src[300];
		snprintf(src, sizeof(src), "%s/pyproject.toml", R->top);
		rc = dl_toml_parse(&R->toml, sd->pyproject, sd->pyproject_len, src, NULL);
		if (rc < 0)
			return rc;
		rc = dl_toml_get(&R->project, dl_toml_doc_root(R->toml), "project", DL_TOML_TABLE, false);
		if (rc < 0)
			return rc;
		if (R->project != NULL) {
			rc = dl_toml_get(&R->dynamic, R->project, "dynamic", DL_TOML_ARRAY, false);
			if (rc < 0)
				return rc;
			struct strs tmp = {0};
			if (R->dynamic != NULL && (rc = toml_strings(R, R->dynamic, &tmp)) < 0)
				return rc;
		}
	}
	rc = read_build_system(R);
	if (rc < 0)
		return rc;
	R->setup_py_present = sd->setup_py != NULL;
	if (sd->setuptools_backend) {
		rc = read_setup_files(R);
		if (rc < 0)
			return rc;
	}
	rc = scalar(R, &sd->name, "name", NULL, R->pi.name, "name", offsetof(dl_setup_args, name));
	if (rc == 0)
		rc = scalar(R, &sd->version, "version", NULL, R->pi.version, "version", offsetof(dl_setup_args, version));
	if (rc == 0)
		rc = scalar(R, &sd->requires_python, "requires-python", "Requires-Python", R->pi.requires_python,
		            "requires-python", offsetof(dl_setup_args, python_requires));
	if (rc == 0)
		rc = runtime_requirements(R);
	if (rc == 0)
		rc = setup_requires(R);
	if (rc < 0)
		return rc;
	sd->unknowable = R->unknowable.v;
	sd->unknowable_count = R->unknowable.n;
	return 0;
}

int dl_sdist_read(dl_sdist **out, const dl_archive *ar, const dl_sdist_options *opts)
{
	if (out == NULL || ar == NULL)
		return dl_error_set(DL_EINVAL, "dl_sdist_read: NULL argument");
	if (opts != NULL && opts->version != DL_SDIST_OPTIONS_VERSION)
		return dl_error_set(DL_EINVAL, "dl_sdist_options: version %u, expected %u", opts->version,
		                    DL_SDIST_OPTIONS_VERSION);
	size_t tlen = 0;
	const char *top = dl_archive_topdir(ar, &tlen);
	if (top == NULL)
		return dl_error_set(DL_EPARSE, "archive '%s': not an sdist: its members do not share one top-level directory",
		                    dl_archive_name(ar));
	dl_sdist *sd = dl_calloc(1, sizeof(*sd));
	if (sd == NULL)
		return dl_error_oom();
	int rc = dl_arena_new(&sd->arena);
	if (rc < 0) {
		dl_free(sd);
		return rc;
	}
	struct rd R;
	memset(&R, 0, sizeof(R));
	R.sd = sd;
	R.a = sd->arena;
	R.ar = ar;
	R.max = opts != NULL && opts->max_member != 0 ? opts->max_member : DEFAULT_MAX_MEMBER;
	R.top = dl_arena_strndup(sd->arena, top, tlen);
	sd->topdir = R.top;
	rc = R.top != NULL ? sdist_read(&R) : dl_error_oom();
	dl_toml_doc_free(R.toml);
	dl_metadata_free(R.pi.md);
	dl_setup_args_free(R.cfg_args);
	dl_setup_args_free(R.py_args);
	if (rc < 0) {
		dl_error_context("reading the sdist '%s'", dl_archive_name(ar));
		dl_sdist_free(sd);
		return rc;
	}
	*out = sd;
	return 0;
}
