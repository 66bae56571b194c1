/*
 * project.c - what a project asks to lock (see deeplock/project.h).
 *
 * The reading order is the one the build frontends and backends use:
 *   1. [build-system] decides the backend (PEP 517/518; without the table,
 *      pip's fallback: setuptools>=40.8.0 and the legacy backend);
 *   2. [project] gives every field it does not list in `dynamic` (PEP 621,
 *      which also forbids a field both given and dynamic);
 *   3. for a setuptools backend, dynamic fields (or all of them without
 *      [project]) come from [tool.setuptools.dynamic] files, then setup.py's
 *      setup() arguments when truthy, then setup.cfg (setuptools' own
 *      precedence), through the static readers of deeplock/sdist.h;
 *   4. anything else is unknowable, with a reason naming the construct.
 * [dependency-groups] (PEP 735) is independent of the backend: groups are
 * normalised, checked for duplicates, and their includes expanded in place
 * with cycle detection.
 *
 * The result lives in one arena; the parsed requirements, which have their
 * own allocations, are listed in the private part of the struct so that
 * dl_project_free releases them.
 */
#include <stdio.h>
#include <string.h>

#include "deeplock/name.h"
#include "deeplock/project.h"
#include "deeplock/sdist.h"
#include "deeplock/specifier.h"
#include "deeplock/toml.h"
#include "deeplock/version.h"

#define FALLBACK_REQUIRES "setuptools>=40.8.0"
#define FALLBACK_BACKEND "setuptools.build_meta:__legacy__"
#define MAX_GROUP_DEPTH 64

struct vec {
	void *items;
	size_t n, cap;
};

/* The public struct and what only this file sees. */
struct impl {
	dl_project pub;
	struct vec owned; /* dl_requirement * to free */
	dl_reqfile *rf;
};

struct PR {
	const dl_project_options *o;
	struct impl *I;
	dl_project *p;
	dl_arena *A;
	struct vec extras, groups, unknowable;
	const char *pyproject_name, *setup_cfg_name, *setup_py_name;
	dl_toml_doc *doc;
	const dl_toml_value *project, *dynamic;
	dl_setup_args *cfg_args, *py_args;
	bool have_setup_py;
};

static void *vec_push(dl_arena *A, struct vec *v, size_t elem)
{
	if (v->n == v->cap) {
		size_t ncap = v->cap ? v->cap * 2 : 8;
		if (ncap < v->cap || ncap > SIZE_MAX / elem)
			return NULL;
		void *n = dl_arena_alloc(A, ncap * elem);
		if (n == NULL)
			return NULL;
		if (v->n)
			memcpy(n, v->items, v->n * elem);
		v->items = n;
		v->cap = ncap;
	}
	char *slot = (char *)v->items + v->n * elem;
	memset(slot, 0, elem);
	v->n++;
	return slot;
}

static int unknowable(struct PR *R, const char *fmt, ...) DL_PRINTF(2, 3);
static int unknowable(struct PR *R, const char *fmt, ...)
{
	char msg[800];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	const char **slot = vec_push(R->A, &R->unknowable, sizeof(char *));
	if (slot == NULL || (*slot = dl_arena_strndup(R->A, msg, strlen(msg))) == NULL)
		return dl_error_oom();
	return 0;
}

static char *astr(struct PR *R, const char *s)
{
	return s == NULL ? NULL : dl_arena_strndup(R->A, s, strlen(s));
}

/* dir joined with a file name ("" and "." mean the current directory). */
static char *join(struct PR *R, const char *dir, const char *name)
{
	if (dir[0] == '\0' || strcmp(dir, ".") == 0)
		return astr(R, name);
	size_t dl = strlen(dir), nl = strlen(name);
	bool slash = dir[dl - 1] == '/';
	char *s = dl_arena_alloc(R->A, dl + nl + 2);
	if (s == NULL)
		return NULL;
	memcpy(s, dir, dl);
	if (!slash)
		s[dl++] = '/';
	memcpy(s + dl, name, nl + 1);
	return s;
}

/* Read an optional file: 1 and its bytes in *out, 0 when it does not
 * exist, or a negative code. */
static int read_optional(struct PR *R, const char *path, dl_buf *out)
{
	dl_buf_init(out, (size_t)16 << 20);
	int rc = R->o->read(R->o->read_ctx, path, out);
	if (rc == DL_ENOTFOUND) {
		dl_buf_free(out);
		dl_error_clear();
		return 0;
	}
	if (rc == 0 && out->failed)
		rc = out->failed == DL_ENOMEM ? dl_error_oom() : dl_error_set(DL_ELIMIT, "%s: larger than 16 MiB", path);
	if (rc < 0) {
		dl_buf_free(out);
		return rc;
	}
	if (out->ptr == NULL && dl_buf_put(out, "", 0) != 0) {
		dl_buf_free(out);
		return dl_error_oom();
	}
	return 1;
}

/* Parse one requirement string into a new item of `items`. */
static int add_req(struct PR *R, struct vec *items, const char *s, size_t len, const char *file, unsigned long line,
                   unsigned long col, const dl_toml_value *where, const char *from_group)
{
	dl_requirement *req = NULL;
	int rc = dl_requirement_parse(&req, s, len);
	if (rc == DL_ENOMEM)
		return rc;
	if (rc != 0) {
		char msg[700];
		snprintf(msg, sizeof(msg), "%s", dl_error_last()->message);
		if (where != NULL)
			return dl_toml_value_error(where, rc, "%s", msg);
		if (col > 0)
			return dl_error_set(rc, "%s:%lu:%lu: %s", file, line, col, msg);
		return dl_error_set(rc, "%s:%lu: %s", file, line, msg);
	}
	dl_requirement **own = vec_push(R->A, &R->I->owned, sizeof(*own));
	if (own == NULL) {
		dl_requirement_free(req);
		return dl_error_oom();
	}
	*own = req;
	dl_project_req *it = vec_push(R->A, items, sizeof(*it));
	if (it == NULL)
		return dl_error_oom();
	it->text = dl_arena_strndup(R->A, s, len);
	if (it->text == NULL)
		return dl_error_oom();
	it->req = req;
	it->file = file;
	it->line = line;
	it->column = col;
	it->from_group = from_group;
	return 0;
}

static void list_set(dl_project_list *l, const struct vec *v)
{
	l->items = v->items;
	l->count = v->n;
}

/* A TOML array of PEP 508 strings into list `l`. */
static int toml_reqs(struct PR *R, dl_project_list *l, const dl_toml_value *arr, const char *what)
{
	if (dl_toml_value_type(arr) != DL_TOML_ARRAY)
		return dl_toml_value_error(arr, DL_EPARSE, "'%s' must be an array of strings, found %s", what,
		                           dl_toml_type_name(dl_toml_value_type(arr)));
	struct vec v = {0};
	for (size_t i = 0; i < dl_toml_array_len(arr); i++) {
		const dl_toml_value *e = dl_toml_array_at(arr, i);
		int rc = dl_toml_expect(e, DL_TOML_STRING);
		if (rc < 0)
			return rc;
		size_t len;
		const char *s = dl_toml_value_string(e, &len);
		rc = add_req(R, &v, s, len, R->pyproject_name, dl_toml_value_line(e), dl_toml_value_column(e), e, NULL);
		if (rc < 0)
			return rc;
	}
	list_set(l, &v);
	l->source = DL_PROJECT_SRC_PYPROJECT;
	return 0;
}

/* A TOML array of strings kept as strings (backend-path, dynamic). */
static int toml_strings(struct PR *R, const dl_toml_value *arr, const char *what, const char *const **out, size_t *n)
{
	if (dl_toml_value_type(arr) != DL_TOML_ARRAY)
		return dl_toml_value_error(arr, DL_EPARSE, "'%s' must be an array of strings, found %s", what,
		                           dl_toml_type_name(dl_toml_value_type(arr)));
	size_t k = dl_toml_array_len(arr);
	const char **v = dl_arena_calloc(R->A, k ? k : 1, sizeof(char *));
	if (v == NULL)
		return dl_error_oom();
	for (size_t i = 0; i < k; i++) {
		const dl_toml_value *e = dl_toml_array_at(arr, i);
		int rc = dl_toml_expect(e, DL_TOML_STRING);
		if (rc < 0)
			return rc;
		size_t len;
		const char *s = dl_toml_value_string(e, &len);
		if ((v[i] = dl_arena_strndup(R->A, s, len)) == NULL)
			return dl_error_oom();
	}
	*out = v;
	*n = k;
	return 0;
}

static void field_at(struct PR *R, dl_project_field *f, const dl_toml_value *v)
{
	f->file = R->pyproject_name;
	f->line = dl_toml_value_line(v);
	f->column = dl_toml_value_column(v);
	f->source = DL_PROJECT_SRC_PYPROJECT;
}

static bool in_dynamic(const struct PR *R, const char *field)
{
	for (size_t i = 0; R->dynamic != NULL && i < dl_toml_array_len(R->dynamic); i++) {
		const char *s = dl_toml_value_string(dl_toml_array_at(R->dynamic, i), NULL);
		if (s != NULL && strcmp(s, field) == 0)
			return true;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* [build-system]                                                       */

static bool quiet_backend(const char *b)
{
	static const char *const quiet[] = {"flit_core.buildapi", "hatchling.build", "pdm.backend", "poetry.core.masonry.api",
	                                    "setuptools.build_meta", FALLBACK_BACKEND};
	for (size_t i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++)
		if (strcmp(b, quiet[i]) == 0)
			return true;
	return false;
}

static bool path_inside(const char *p)
{
	if (p[0] == '/' || p[0] == '\\')
		return false;
	size_t i = 0;
	while (p[i] != '\0') {
		size_t j = i;
		while (p[j] != '\0' && p[j] != '/' && p[j] != '\\')
			j++;
		if (j - i == 2 && p[i] == '.' && p[i + 1] == '.')
			return false;
		i = p[j] != '\0' ? j + 1 : j;
	}
	return true;
}

static int read_build_system(struct PR *R)
{
	dl_project *p = R->p;
	const dl_toml_value *bs = NULL;
	int rc;
	if (R->doc != NULL && (rc = dl_toml_get(&bs, dl_toml_doc_root(R->doc), "build-system", DL_TOML_TABLE, false)) < 0)
		return rc;
	if (bs == NULL) {
		struct vec v = {0};
		rc = add_req(R, &v, FALLBACK_REQUIRES, strlen(FALLBACK_REQUIRES), "pep517-fallback", 0, 0, NULL, NULL);
		if (rc < 0)
			return rc;
		list_set(&p->build_requires, &v);
		p->build_requires.source = DL_PROJECT_SRC_FALLBACK;
		p->build_backend.value = FALLBACK_BACKEND;
		p->build_backend.source = DL_PROJECT_SRC_FALLBACK;
	} else {
		const dl_toml_value *arr = NULL;
		rc = dl_toml_get(&arr, bs, "requires", DL_TOML_ARRAY, true);
		if (rc == DL_ENOTFOUND)
			return dl_error_set(DL_EPARSE, "%s (pip requires it)", dl_error_last()->message);
		if (rc < 0 || (rc = toml_reqs(R, &p->build_requires, arr, "build-system.requires")) < 0)
			return rc;
		const dl_toml_value *be = NULL;
		if ((rc = dl_toml_get(&be, bs, "build-backend", DL_TOML_STRING, false)) < 0)
			return rc;
		if (be != NULL) {
			if ((p->build_backend.value = astr(R, dl_toml_value_string(be, NULL))) == NULL)
				return dl_error_oom();
			field_at(R, &p->build_backend, be);
		} else {
			p->build_backend.value = FALLBACK_BACKEND;
			p->build_backend.source = DL_PROJECT_SRC_FALLBACK;
		}
		const dl_toml_value *bp = NULL;
		if ((rc = dl_toml_get(&bp, bs, "backend-path", DL_TOML_ARRAY, false)) < 0)
			return rc;
		if (bp != NULL) {
			if ((rc = toml_strings(R, bp, "build-system.backend-path", &p->backend_path, &p->n_backend_path)) < 0)
				return rc;
			for (size_t i = 0; i < p->n_backend_path; i++)
				if (!path_inside(p->backend_path[i]))
					return dl_toml_value_error(dl_toml_array_at(bp, i), DL_EPARSE,
					                           "backend-path entry '%s' points outside the project (PEP 517)",
					                           p->backend_path[i]);
		}
	}
	p->setuptools_backend = strcmp(p->build_backend.value, "setuptools.build_meta") == 0 ||
	                        strcmp(p->build_backend.value, FALLBACK_BACKEND) == 0;
	if (!quiet_backend(p->build_backend.value))
		return unknowable(R, "build requirements: the backend '%s' may ask for more through "
		                     "get_requires_for_build_wheel, which only running it can tell",
		                  p->build_backend.value);
	return 0;
}

/* ------------------------------------------------------------------ */
/* setuptools' view                                                     */

struct file_ctx {
	struct PR *R;
	const char *dir;
};

/* file: directives of setup.cfg, relative to the project directory. */
static int read_rel(void *ctx, const char *path, dl_buf *out)
{
	struct file_ctx *fc = ctx;
	char *full = join(fc->R, fc->dir, path);
	if (full == NULL)
		return dl_error_oom();
	return fc->R->o->read(fc->R->o->read_ctx, full, out);
}

static bool truthy(const dl_setup_value *v)
{
	if (v->state != DL_SETUP_STATIC)
		return v->state == DL_SETUP_DYNAMIC;
	if (v->str != NULL)
		return v->str[0] != '\0';
	return v->count > 0 || v->extras_count > 0;
}

/* The setup() argument setuptools ends up with: setup.py's when truthy or
 * dynamic, else setup.cfg's. */
static const dl_setup_value *setup_value(const struct PR *R, size_t off, dl_project_source *src, const char **file)
{
	static const dl_setup_value absent = {DL_SETUP_ABSENT, NULL, 0, NULL, NULL, 0, NULL, 0};
	if (R->py_args != NULL) {
		const dl_setup_value *py = (const dl_setup_value *)((const char *)R->py_args + off);
		if (truthy(py)) {
			*src = DL_PROJECT_SRC_SETUP_PY;
			*file = R->setup_py_name;
			return py;
		}
	}
	if (R->cfg_args != NULL) {
		const dl_setup_value *cfg = (const dl_setup_value *)((const char *)R->cfg_args + off);
		if (cfg->state != DL_SETUP_ABSENT) {
			*src = DL_PROJECT_SRC_SETUP_CFG;
			*file = R->setup_cfg_name;
			return cfg;
		}
	}
	*src = R->have_setup_py ? DL_PROJECT_SRC_SETUP_PY : DL_PROJECT_SRC_SETUP_CFG;
	*file = R->have_setup_py ? R->setup_py_name : R->setup_cfg_name;
	return &absent;
}

static int set_dynamic(struct PR *R, const char **slot, const char *what, const char *reason)
{
	if ((*slot = astr(R, reason)) == NULL)
		return dl_error_oom();
	return unknowable(R, "%s: %s", what, reason);
}

/* A scalar from [project] or setuptools. */
static int scalar(struct PR *R, dl_project_field *f, const char *key, const char *what, size_t off)
{
	if (R->project != NULL && !in_dynamic(R, key)) {
		const dl_toml_value *v = NULL;
		int rc = dl_toml_get(&v, R->project, key, DL_TOML_STRING, false);
		if (rc < 0)
			return rc;
		if (v != NULL) {
			if ((f->value = astr(R, dl_toml_value_string(v, NULL))) == NULL)
				return dl_error_oom();
			field_at(R, f, v);
		}
		return 0;
	}
	char reason[600];
	if (!R->p->setuptools_backend) {
		if (R->project != NULL)
			snprintf(reason, sizeof(reason), "pyproject.toml lists '%s' in [project].dynamic, and the backend '%s' computes it",
			         key, R->p->build_backend.value);
		else
			snprintf(reason, sizeof(reason), "there is no [project] table, and the backend '%s' reads its own configuration",
			         R->p->build_backend.value);
		return set_dynamic(R, &f->dynamic, what, reason);
	}
	dl_project_source src;
	const char *file;
	const dl_setup_value *v = setup_value(R, off, &src, &file);
	if (v->state == DL_SETUP_DYNAMIC)
		return set_dynamic(R, &f->dynamic, what, v->reason);
	if (v->state == DL_SETUP_STATIC && v->str != NULL) {
		if ((f->value = astr(R, v->str)) == NULL)
			return dl_error_oom();
		f->source = src;
		f->file = file;
		f->line = v->line;
	}
	return 0;
}

/* [tool.setuptools.dynamic] <key> = {file = "x" | [...]}: the files' requirement lines. */
static int setuptools_dynamic_file(struct PR *R, const char *key, const char *dir, struct vec *v, bool *found,
                                   const char **reason)
{
	*found = false;
	const dl_toml_value *dyn = R->doc ? dl_toml_get_path(dl_toml_doc_root(R->doc), "tool.setuptools.dynamic") : NULL;
	const dl_toml_value *spec = dyn ? dl_toml_table_get(dyn, key) : NULL;
	if (spec == NULL)
		return 0;
	*found = true;
	const dl_toml_value *files = dl_toml_table_get(spec, "file");
	if (files == NULL) {
		*reason = "[tool.setuptools.dynamic] gives it in a form deeplock does not read";
		return 0;
	}
	size_t n = dl_toml_value_type(files) == DL_TOML_ARRAY ? dl_toml_array_len(files) : 1;
	for (size_t i = 0; i < n; i++) {
		const dl_toml_value *f = dl_toml_value_type(files) == DL_TOML_ARRAY ? dl_toml_array_at(files, i) : files;
		const char *name = dl_toml_value_string(f, NULL);
		if (name == NULL)
			return dl_toml_value_error(f, DL_EPARSE, "'tool.setuptools.dynamic.%s.file' must be a string or an array of strings", key);
		if (!path_inside(name)) {
			*reason = "[tool.setuptools.dynamic] reads a file outside the project";
			return 0;
		}
		char *full = join(R, dir, name);
		if (full == NULL)
			return dl_error_oom();
		dl_buf b;
		int rc = read_optional(R, full, &b);
		if (rc < 0)
			return rc;
		if (rc == 0)
			continue; /* setuptools skips missing files */
		const char *strs[1] = {b.ptr};
		const char **items = NULL;
		size_t count = 0, cap = 0;
		rc = dl_setup_split_requirements(&items, &count, &cap, R->A, strs, 1);
		dl_buf_free(&b);
		for (size_t k = 0; rc == 0 && k < count; k++)
			rc = add_req(R, v, items[k], strlen(items[k]), full, 0, 0, NULL, NULL);
		dl_free(items);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int setup_list(struct PR *R, dl_project_list *l, const dl_setup_value *v, dl_project_source src,
                      const char *file, const char *what)
{
	l->source = src;
	if (v->state == DL_SETUP_DYNAMIC)
		return set_dynamic(R, &l->dynamic, what, v->reason);
	struct vec items = {0};
	for (size_t i = 0; v->state == DL_SETUP_STATIC && i < v->count; i++) {
		int rc = add_req(R, &items, v->list[i], strlen(v->list[i]), file, v->line, 0, NULL, NULL);
		if (rc < 0)
			return rc;
	}
	list_set(l, &items);
	l->source = src;
	return 0;
}

static int read_runtime(struct PR *R, const char *dir)
{
	dl_project *p = R->p;
	int rc;
	if (R->project != NULL) {
		const dl_toml_value *deps = dl_toml_table_get(R->project, "dependencies");
		if (deps != NULL && in_dynamic(R, "dependencies"))
			return dl_toml_value_error(deps, DL_EPARSE, "'project.dependencies' is given and also listed in 'project.dynamic'");
		if (!in_dynamic(R, "dependencies")) {
			if (deps != NULL)
				return toml_reqs(R, &p->runtime, deps, "project.dependencies");
			p->runtime.source = DL_PROJECT_SRC_PYPROJECT;
			return 0;
		}
	}
	if (!p->setuptools_backend) {
		char reason[600];
		snprintf(reason, sizeof(reason),
		         R->project != NULL ? "pyproject.toml lists 'dependencies' in [project].dynamic, and the backend '%s' computes them"
		                            : "there is no [project] table, and the backend '%s' reads its own configuration",
		         p->build_backend.value);
		return set_dynamic(R, &p->runtime.dynamic, "dependencies", reason);
	}
	if (R->project != NULL) {
		struct vec v = {0};
		bool found;
		const char *reason = NULL;
		if ((rc = setuptools_dynamic_file(R, "dependencies", dir, &v, &found, &reason)) < 0)
			return rc;
		if (found) {
			if (reason != NULL)
				return set_dynamic(R, &p->runtime.dynamic, "dependencies", reason);
			list_set(&p->runtime, &v);
			p->runtime.source = DL_PROJECT_SRC_PYPROJECT;
			return 0;
		}
	}
	dl_project_source src;
	const char *file;
	const dl_setup_value *v = setup_value(R, offsetof(dl_setup_args, install_requires), &src, &file);
	return setup_list(R, &p->runtime, v, src, file, "dependencies");
}

static int new_extra(struct PR *R, dl_project_list **out, const char *written, size_t len, const dl_toml_value *where,
                     const char *file, unsigned long line)
{
	char *norm = NULL;
	int rc = dl_name_normalize(&norm, written, len);
	if (rc == DL_ENOMEM)
		return rc;
	if (rc != 0) {
		if (where != NULL)
			return dl_toml_value_error(where, DL_EPARSE, "invalid extra name '%.*s'", (int)(len > 200 ? 200 : len), written);
		return dl_error_set(DL_EPARSE, "%s:%lu: invalid extra name '%.*s'", file, line, (int)(len > 200 ? 200 : len),
		                    written);
	}
	for (size_t i = 0; i < R->extras.n; i++) {
		const dl_project_list *e = &((const dl_project_list *)R->extras.items)[i];
		if (strcmp(e->name, norm) == 0) {
			dl_free(norm);
			if (where != NULL)
				return dl_toml_value_error(where, DL_EPARSE, "extra '%.*s' is the same as '%s' after normalisation",
				                           (int)(len > 200 ? 200 : len), written, e->written);
			return dl_error_set(DL_EPARSE, "%s:%lu: extra '%.*s' is given twice", file, line, (int)(len > 200 ? 200 : len), written);
		}
	}
	dl_project_list *l = vec_push(R->A, &R->extras, sizeof(*l));
	if (l == NULL || (l->name = astr(R, norm)) == NULL || (l->written = dl_arena_strndup(R->A, written, len)) == NULL) {
		dl_free(norm);
		return dl_error_oom();
	}
	dl_free(norm);
	*out = l;
	return 0;
}

static int read_extras(struct PR *R)
{
	dl_project *p = R->p;
	int rc;
	if (R->project != NULL) {
		const dl_toml_value *od = dl_toml_table_get(R->project, "optional-dependencies");
		if (od != NULL && in_dynamic(R, "optional-dependencies"))
			return dl_toml_value_error(od, DL_EPARSE,
			                           "'project.optional-dependencies' is given and also listed in 'project.dynamic'");
		if (!in_dynamic(R, "optional-dependencies")) {
			if (od == NULL)
				return 0;
			if (dl_toml_value_type(od) != DL_TOML_TABLE)
				return dl_toml_value_error(od, DL_EPARSE, "'project.optional-dependencies' must be a table, found %s",
				                           dl_toml_type_name(dl_toml_value_type(od)));
			for (size_t i = 0; i < dl_toml_table_len(od); i++) {
				const char *key;
				size_t klen;
				const dl_toml_value *arr = dl_toml_table_at(od, i, &key, &klen);
				dl_project_list *l;
				if ((rc = new_extra(R, &l, key, klen, arr, NULL, 0)) < 0)
					return rc;
				char what[300];
				snprintf(what, sizeof(what), "project.optional-dependencies.%.*s", (int)(klen > 200 ? 200 : klen), key);
				if ((rc = toml_reqs(R, l, arr, what)) < 0)
					return rc;
			}
			return 0;
		}
	}
	if (!p->setuptools_backend) {
		char reason[600];
		snprintf(reason, sizeof(reason), "the backend '%s' computes the extras", p->build_backend.value);
		return set_dynamic(R, &p->extras_dynamic, "optional-dependencies", reason);
	}
	dl_project_source src;
	const char *file;
	const dl_setup_value *v = setup_value(R, offsetof(dl_setup_args, extras_require), &src, &file);
	if (v->state == DL_SETUP_DYNAMIC)
		return set_dynamic(R, &p->extras_dynamic, "optional-dependencies", v->reason);
	for (size_t i = 0; v->state == DL_SETUP_STATIC && i < v->extras_count; i++) {
		const dl_setup_extra *x = &v->extras[i];
		/* "name:marker" keys: the marker applies to each requirement */
		const char *colon = strchr(x->name, ':');
		size_t nlen = colon ? (size_t)(colon - x->name) : strlen(x->name);
		dl_project_list *l = NULL;
		if (nlen == 0) {
			/* ":marker" keys add conditional runtime requirements */
			if (p->runtime.dynamic != NULL)
				continue;
			l = &p->runtime;
		} else if ((rc = new_extra(R, &l, x->name, nlen, NULL, file, v->line)) < 0) {
			return rc;
		}
		struct vec items = {0};
		for (size_t k = 0; k < l->count; k++) {
			dl_project_req *it = vec_push(R->A, &items, sizeof(*it));
			if (it == NULL)
				return dl_error_oom();
			*it = l->items[k];
		}
		for (size_t k = 0; k < x->count; k++) {
			dl_buf b = DL_BUF_INIT;
			const char *semi = colon != NULL ? strchr(x->reqs[k], ';') : NULL;
			if (semi != NULL) {
				/* (its own marker) and (the key's marker) */
				dl_buf_put(&b, x->reqs[k], (size_t)(semi - x->reqs[k]));
				dl_buf_puts(&b, " ; (");
				dl_buf_puts(&b, semi + 1);
				dl_buf_puts(&b, ") and (");
				dl_buf_puts(&b, colon + 1);
				dl_buf_putc(&b, ')');
			} else {
				dl_buf_puts(&b, x->reqs[k]);
				if (colon != NULL) {
					dl_buf_puts(&b, " ; (");
					dl_buf_puts(&b, colon + 1);
					dl_buf_putc(&b, ')');
				}
			}
			if (b.failed) {
				dl_buf_free(&b);
				return dl_error_oom();
			}
			rc = add_req(R, &items, b.ptr, b.len, file, v->line, 0, NULL, NULL);
			dl_buf_free(&b);
			if (rc < 0)
				return rc;
		}
		list_set(l, &items);
		if (nlen > 0)
			l->source = src;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* [dependency-groups] (PEP 735)                                        */

struct group_src {
	const char *written;
	char *norm;
	const dl_toml_value *arr;
	const dl_toml_value *key_at;
	int state; /* 0 new, 1 expanding, 2 done */
};

static int expand_group(struct PR *R, struct group_src *gs, size_t ng, size_t gi, struct vec *items,
                        struct vec *includes, size_t *stack, size_t depth)
{
	struct group_src *g = &gs[gi];
	if (depth >= MAX_GROUP_DEPTH)
		return dl_toml_value_error(g->arr, DL_ELIMIT, "dependency groups include each other more than %d levels deep",
		                           MAX_GROUP_DEPTH);
	stack[depth] = gi;
	for (size_t i = 0; i < dl_toml_array_len(g->arr); i++) {
		const dl_toml_value *e = dl_toml_array_at(g->arr, i);
		int rc;
		if (dl_toml_value_type(e) == DL_TOML_STRING) {
			size_t len;
			const char *s = dl_toml_value_string(e, &len);
			if ((rc = add_req(R, items, s, len, R->pyproject_name, dl_toml_value_line(e), dl_toml_value_column(e), e,
			                  NULL)) < 0)
				return rc;
			if (depth > 0)
				((dl_project_req *)items->items)[items->n - 1].from_group = astr(R, g->norm);
			if (depth > 0 && ((dl_project_req *)items->items)[items->n - 1].from_group == NULL)
				return dl_error_oom();
			continue;
		}
		if (dl_toml_value_type(e) != DL_TOML_TABLE)
			return dl_toml_value_error(e, DL_EPARSE,
			                           "a dependency group entry must be a string or {include-group = \"...\"}, found %s",
			                           dl_toml_type_name(dl_toml_value_type(e)));
		const dl_toml_value *inc = dl_toml_table_get(e, "include-group");
		if (inc == NULL || dl_toml_table_len(e) != 1)
			return dl_toml_value_error(e, DL_EPARSE, "a dependency group table must have exactly one key, 'include-group'");
		if ((rc = dl_toml_expect(inc, DL_TOML_STRING)) < 0)
			return rc;
		size_t len;
		const char *name = dl_toml_value_string(inc, &len);
		char *norm = NULL;
		rc = dl_name_normalize(&norm, name, len);
		if (rc == DL_ENOMEM)
			return rc;
		if (rc != 0)
			return dl_toml_value_error(inc, DL_EPARSE, "invalid dependency group name '%.*s'", (int)(len > 200 ? 200 : len), name);
		size_t target = ng;
		for (size_t k = 0; k < ng; k++)
			if (strcmp(gs[k].norm, norm) == 0)
				target = k;
		dl_free(norm);
		if (target == ng)
			return dl_toml_value_error(inc, DL_EPARSE, "dependency group '%s' includes '%.*s', which does not exist",
			                           g->written, (int)(len > 200 ? 200 : len), name);
		for (size_t k = 0; k <= depth; k++) {
			if (stack[k] == target) {
				dl_buf chain = DL_BUF_INIT;
				for (size_t m = k; m <= depth; m++) {
					dl_buf_puts(&chain, gs[stack[m]].norm);
					dl_buf_puts(&chain, " -> ");
				}
				dl_buf_puts(&chain, gs[target].norm);
				rc = chain.failed ? dl_error_oom()
				                  : dl_toml_value_error(inc, DL_EPARSE, "dependency group include cycle: %s", chain.ptr);
				dl_buf_free(&chain);
				return rc;
			}
		}
		if (depth == 0) {
			const char **slot = vec_push(R->A, includes, sizeof(char *));
			if (slot == NULL || (*slot = astr(R, gs[target].norm)) == NULL)
				return dl_error_oom();
		}
		if ((rc = expand_group(R, gs, ng, target, items, includes, stack, depth + 1)) < 0)
			return rc;
	}
	return 0;
}

static int read_groups(struct PR *R)
{
	const dl_toml_value *dg = NULL;
	int rc;
	if (R->doc == NULL || (rc = dl_toml_get(&dg, dl_toml_doc_root(R->doc), "dependency-groups", DL_TOML_TABLE, false)) < 0)
		return R->doc == NULL ? 0 : rc;
	if (dg == NULL)
		return 0;
	size_t ng = dl_toml_table_len(dg);
	struct group_src *gs = dl_arena_calloc(R->A, ng ? ng : 1, sizeof(*gs));
	if (gs == NULL)
		return dl_error_oom();
	rc = 0;
	for (size_t i = 0; i < ng && rc == 0; i++) {
		const char *key;
		size_t klen;
		const dl_toml_value *arr = dl_toml_table_at(dg, i, &key, &klen);
		gs[i].written = key;
		gs[i].arr = arr;
		rc = dl_name_normalize(&gs[i].norm, key, klen);
		if (rc != 0 && rc != DL_ENOMEM)
			rc = dl_toml_value_error(arr, DL_EPARSE, "invalid dependency group name '%.*s'", (int)(klen > 200 ? 200 : klen), key);
		if (rc == 0 && dl_toml_value_type(arr) != DL_TOML_ARRAY)
			rc = dl_toml_value_error(arr, DL_EPARSE, "'dependency-groups.%.*s' must be an array, found %s",
			                         (int)(klen > 200 ? 200 : klen), key, dl_toml_type_name(dl_toml_value_type(arr)));
		for (size_t k = 0; rc == 0 && k < i; k++)
			if (strcmp(gs[k].norm, gs[i].norm) == 0)
				rc = dl_toml_value_error(arr, DL_EPARSE, "dependency group '%s' is the same as '%s' after normalisation",
				                         key, gs[k].written);
	}
	size_t stack[MAX_GROUP_DEPTH + 1];
	for (size_t i = 0; i < ng && rc == 0; i++) {
		struct vec items = {0}, includes = {0};
		rc = expand_group(R, gs, ng, i, &items, &includes, stack, 0);
		if (rc < 0)
			break;
		dl_project_list *l = vec_push(R->A, &R->groups, sizeof(*l));
		if (l == NULL || (l->name = astr(R, gs[i].norm)) == NULL || (l->written = astr(R, gs[i].written)) == NULL) {
			rc = dl_error_oom();
			break;
		}
		list_set(l, &items);
		l->includes = includes.items;
		l->n_includes = includes.n;
		l->source = DL_PROJECT_SRC_PYPROJECT;
	}
	for (size_t i = 0; i < ng; i++)
		dl_free(gs[i].norm);
	return rc;
}

/* ------------------------------------------------------------------ */
/* [project] checks                                                     */

static int read_project_table(struct PR *R)
{
	int rc;
	const dl_toml_value *proj = NULL;
	if ((rc = dl_toml_get(&proj, dl_toml_doc_root(R->doc), "project", DL_TOML_TABLE, false)) < 0)
		return rc;
	R->project = proj;
	if (proj == NULL)
		return 0;
	const dl_toml_value *dyn = NULL;
	if ((rc = dl_toml_get(&dyn, proj, "dynamic", DL_TOML_ARRAY, false)) < 0)
		return rc;
	for (size_t i = 0; dyn != NULL && i < dl_toml_array_len(dyn); i++)
		if ((rc = dl_toml_expect(dl_toml_array_at(dyn, i), DL_TOML_STRING)) < 0)
			return rc;
	R->dynamic = dyn;
	const dl_toml_value *name = NULL;
	if ((rc = dl_toml_get(&name, proj, "name", DL_TOML_STRING, true)) < 0)
		return rc;
	if (in_dynamic(R, "name"))
		return dl_toml_value_error(dyn, DL_EPARSE, "'name' cannot be dynamic (PEP 621)");
	size_t nlen;
	const char *ns = dl_toml_value_string(name, &nlen);
	if (!dl_name_is_valid(ns, nlen))
		return dl_toml_value_error(name, DL_EPARSE, "invalid project name '%.*s'", (int)(nlen > 200 ? 200 : nlen), ns);
	const dl_toml_value *ver = dl_toml_table_get(proj, "version");
	if (ver != NULL && in_dynamic(R, "version"))
		return dl_toml_value_error(ver, DL_EPARSE, "'project.version' is given and also listed in 'project.dynamic'");
	if (ver == NULL && !in_dynamic(R, "version"))
		return dl_toml_value_error(proj, DL_EPARSE, "'project.version' is missing and not listed in 'project.dynamic'");
	if (ver != NULL) {
		if ((rc = dl_toml_expect(ver, DL_TOML_STRING)) < 0)
			return rc;
		size_t vl;
		const char *vs = dl_toml_value_string(ver, &vl);
		dl_version *v = NULL;
		rc = dl_version_parse(&v, vs, vl);
		dl_version_free(v);
		if (rc == DL_ENOMEM)
			return rc;
		if (rc != 0)
			return dl_toml_value_error(ver, DL_EPARSE, "invalid version '%.*s'", (int)(vl > 200 ? 200 : vl), vs);
	}
	const dl_toml_value *rp = dl_toml_table_get(proj, "requires-python");
	if (rp != NULL) {
		if ((rc = dl_toml_expect(rp, DL_TOML_STRING)) < 0)
			return rc;
		size_t sl;
		const char *ss = dl_toml_value_string(rp, &sl);
		dl_specset *set = NULL;
		rc = dl_specset_parse(&set, ss, sl);
		dl_specset_free(set);
		if (rc == DL_ENOMEM)
			return rc;
		if (rc != 0) {
			char msg[600];
			snprintf(msg, sizeof(msg), "%s", dl_error_last()->message);
			return dl_toml_value_error(rp, DL_EPARSE, "invalid 'project.requires-python': %s", msg);
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */

static int start(struct PR *R, const dl_project_options *opts)
{
	memset(R, 0, sizeof(*R));
	if (opts == NULL || opts->version != DL_PROJECT_OPTIONS_VERSION || opts->read == NULL)
		return dl_error_set(DL_EINVAL, "dl_project: options with a file reader are needed");
	R->o = opts;
	if (dl_arena_new(&R->A) != 0)
		return dl_error_oom();
	R->I = dl_arena_calloc(R->A, 1, sizeof(struct impl));
	if (R->I == NULL) {
		dl_arena_free(R->A);
		return dl_error_oom();
	}
	R->p = &R->I->pub;
	R->p->arena = R->A;
	return 0;
}

static int finish(struct PR *R, dl_project **out, int rc)
{
	dl_project *p = R->p;
	p->extras = R->extras.items;
	p->n_extras = R->extras.n;
	p->groups = R->groups.items;
	p->n_groups = R->groups.n;
	p->unknowable = R->unknowable.items;
	p->n_unknowable = R->unknowable.n;
	dl_toml_doc_free(R->doc);
	dl_setup_args_free(R->cfg_args);
	dl_setup_args_free(R->py_args);
	if (rc < 0) {
		dl_project_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

int dl_project_read_dir(dl_project **out, const char *dir, const dl_project_options *opts)
{
	struct PR R;
	int rc = start(&R, opts);
	if (rc < 0)
		return rc;
	dl_project *p = R.p;
	if (dir == NULL)
		dir = "";
	dl_buf py = DL_BUF_INIT, cfg = DL_BUF_INIT, spy = DL_BUF_INIT;
	int have_py = 0, have_cfg = 0, have_spy = 0;
	if ((p->dir = astr(&R, dir)) == NULL || (R.pyproject_name = join(&R, dir, "pyproject.toml")) == NULL ||
	    (R.setup_cfg_name = join(&R, dir, "setup.cfg")) == NULL || (R.setup_py_name = join(&R, dir, "setup.py")) == NULL) {
		rc = dl_error_oom();
		goto done;
	}
	if ((rc = have_py = read_optional(&R, R.pyproject_name, &py)) < 0 ||
	    (rc = have_cfg = read_optional(&R, R.setup_cfg_name, &cfg)) < 0 ||
	    (rc = have_spy = read_optional(&R, R.setup_py_name, &spy)) < 0)
		goto done;
	rc = 0;
	if (!have_py && !have_cfg && !have_spy) {
		rc = dl_error_set(DL_ENOTFOUND, "%s: no pyproject.toml, setup.cfg or setup.py", dir[0] ? dir : ".");
		goto done;
	}
	R.have_setup_py = have_spy;
	p->root = have_py ? R.pyproject_name : have_spy ? R.setup_py_name : R.setup_cfg_name;
	if (have_py) {
		if ((rc = dl_toml_parse(&R.doc, py.ptr, py.len, R.pyproject_name, NULL)) < 0 ||
		    (rc = read_project_table(&R)) < 0)
			goto done;
	}
	if ((rc = read_build_system(&R)) < 0)
		goto done;
	/* setup.cfg and setup.py matter only to setuptools; reading them is
	 * cheap and static, so they are read whenever it is the backend. */
	bool need_setup = p->setuptools_backend;
	if (need_setup && have_cfg) {
		dl_setupcfg *c = NULL;
		rc = dl_setupcfg_parse(&c, cfg.ptr, cfg.len, R.setup_cfg_name);
		if (rc == DL_ENOMEM)
			goto done;
		if (rc < 0) {
			rc = unknowable(&R, "setup.cfg cannot be read: %s", dl_error_last()->message);
		} else {
			struct file_ctx fc = {&R, dir};
			rc = dl_setupcfg_extract(&R.cfg_args, c, read_rel, &fc);
			dl_setupcfg_free(c);
		}
		if (rc < 0)
			goto done;
	}
	if (need_setup && have_spy) {
		rc = dl_setuppy_analyze(&R.py_args, spy.ptr, spy.len, R.setup_py_name);
		if (rc == DL_ENOMEM)
			goto done;
		if (rc < 0)
			rc = unknowable(&R, "setup.py cannot be analysed: %s", dl_error_last()->message);
		if (rc < 0)
			goto done;
		if (R.py_args != NULL && R.py_args->whole_reason != NULL && R.project == NULL &&
		    (rc = unknowable(&R, "setup.py: %s", R.py_args->whole_reason)) < 0)
			goto done;
	}
	if ((rc = scalar(&R, &p->name, "name", "name", offsetof(dl_setup_args, name))) < 0 ||
	    (rc = scalar(&R, &p->version, "version", "version", offsetof(dl_setup_args, version))) < 0 ||
	    (rc = scalar(&R, &p->requires_python, "requires-python", "requires-python",
	                 offsetof(dl_setup_args, python_requires))) < 0 ||
	    (rc = read_runtime(&R, dir)) < 0 || (rc = read_extras(&R)) < 0 || (rc = read_groups(&R)) < 0)
		goto done;
	if (p->setuptools_backend) {
		dl_project_source src;
		const char *file;
		const dl_setup_value *v = setup_value(&R, offsetof(dl_setup_args, setup_requires), &src, &file);
		rc = setup_list(&R, &p->setup_requires, v, src, file, "setup_requires");
	}
done:
	dl_buf_free(&py);
	dl_buf_free(&cfg);
	dl_buf_free(&spy);
	return finish(&R, out, rc);
}

int dl_project_read_requirements(dl_project **out, const char *path, const dl_project_options *opts)
{
	struct PR R;
	int rc = start(&R, opts);
	if (rc < 0)
		return rc;
	dl_project *p = R.p;
	dl_reqfile_options ro = DL_REQFILE_OPTIONS_INIT;
	ro.read = opts->read;
	ro.read_ctx = opts->read_ctx;
	ro.env = opts->env;
	ro.env_ctx = opts->env_ctx;
	rc = dl_reqfile_load(&R.I->rf, path, &ro);
	if (rc < 0)
		return finish(&R, out, rc);
	const dl_reqfile *rf = R.I->rf;
	p->reqfile = rf;
	p->dir = "";
	p->root = rf->files[0];
	p->runtime.source = DL_PROJECT_SRC_REQUIREMENTS;
	p->constraints.source = DL_PROJECT_SRC_REQUIREMENTS;
	struct vec run = {0}, con = {0};
	for (size_t i = 0; i < rf->n_entries && rc == 0; i++) {
		const dl_reqfile_entry *e = &rf->entries[i];
		if (e->req == NULL) {
			rc = unknowable(&R, "%s:%lu:%lu: the name and dependencies of '%s' are known only after building it",
			                e->file, e->line, e->column, e->location);
			continue;
		}
		dl_project_req *it = vec_push(R.A, e->kind == DL_REQFILE_CONSTRAINT ? &con : &run, sizeof(*it));
		if (it == NULL) {
			rc = dl_error_oom();
			break;
		}
		it->text = e->text;
		it->req = e->req;
		it->file = e->file;
		it->line = e->line;
		it->column = e->column;
	}
	list_set(&p->runtime, &run);
	list_set(&p->constraints, &con);
	return finish(&R, out, rc);
}

int dl_project_read_file(dl_project **out, const char *path, const dl_project_options *opts)
{
	if (path == NULL)
		return dl_error_set(DL_EINVAL, "dl_project_read_file: NULL path");
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (strcmp(base, "pyproject.toml") != 0 && strcmp(base, "setup.cfg") != 0 && strcmp(base, "setup.py") != 0)
		return dl_project_read_requirements(out, path, opts);
	size_t dl = (size_t)(base - path);
	char *dir = dl_strndup(path, dl > 1 ? dl - 1 : dl);
	if (dir == NULL)
		return dl_error_oom();
	int rc = dl_project_read_dir(out, dir, opts);
	dl_free(dir);
	return rc;
}

void dl_project_free(dl_project *p)
{
	if (p == NULL)
		return;
	struct impl *I = (struct impl *)p;
	for (size_t i = 0; i < I->owned.n; i++)
		dl_requirement_free(((dl_requirement **)I->owned.items)[i]);
	dl_reqfile_free(I->rf);
	dl_arena_free(p->arena);
}

const char *dl_project_source_name(dl_project_source src)
{
	switch (src) {
	case DL_PROJECT_SRC_PYPROJECT: return "pyproject.toml";
	case DL_PROJECT_SRC_SETUP_CFG: return "setup.cfg";
	case DL_PROJECT_SRC_SETUP_PY: return "setup.py";
	case DL_PROJECT_SRC_REQUIREMENTS: return "requirements";
	case DL_PROJECT_SRC_FALLBACK: return "pep517-fallback";
	case DL_PROJECT_SRC_NONE: break;
	}
	return "none";
}
