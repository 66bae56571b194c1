/*
 * pylock_write.c - the lock model written out: pylock.toml (PEP 751 with
 * deeplock's tool tables), requirements and build-constraints exports.
 *
 * Everything goes through sorted index arrays over the model, so the
 * caller's arrays stay as they are and the output depends only on the
 * content.  The TOML is built as a document tree and written by the TOML
 * writer, so quoting and escaping are the writer's (tested) business and
 * the output always parses back; file entries are inline tables in
 * one-per-line arrays, the layout of the PEP's own example, so a changed
 * hash is a one-line diff.
 */
#include <stdlib.h>
#include <string.h>

#include "deeplock/hash.h"
#include "deeplock/lock.h"
#include "deeplock/name.h"
#include "deeplock/toml.h"

/* ------------------------------------------------------------------ */
/* Orders                                                               */

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_pkg_ptr(const void *a, const void *b)
{
	const dl_lock_pkg *x = *(const dl_lock_pkg *const *)a, *y = *(const dl_lock_pkg *const *)b;
	int r = strcmp(x->name, y->name);
	if (r != 0)
		return r;
	r = strcmp(x->version, y->version);
	if (r != 0)
		return r;
	return strcmp(x->marker != NULL ? x->marker : "", y->marker != NULL ? y->marker : "");
}

static int cmp_file_ptr(const void *a, const void *b)
{
	const dl_lock_file *x = *(const dl_lock_file *const *)a, *y = *(const dl_lock_file *const *)b;
	return strcmp(x->name, y->name);
}

static int cmp_env_ptr(const void *a, const void *b)
{
	const dl_lock_env *x = *(const dl_lock_env *const *)a, *y = *(const dl_lock_env *const *)b;
	return strcmp(x->id, y->id);
}

/* Sorted pointers to n elements of `size` bytes at base; NULL on OOM (and
 * for n == 0 a valid empty allocation). */
static const void **sorted_ptrs(const void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	const void **v = dl_calloc(n + 1, sizeof(*v));
	if (v == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		v[i] = (const char *)base + i * size;
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp);
	return v;
}

static const char **sorted_strs(const char *const *s, size_t n)
{
	const char **v = dl_calloc(n + 1, sizeof(*v));
	if (v == NULL)
		return NULL;
	if (n > 0)
		memcpy(v, s, n * sizeof(*v));
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_cstr);
	return v;
}

/* ------------------------------------------------------------------ */
/* Environment ids                                                      */

int dl_lock_env_id(char **out, const char *const *reqs, size_t n)
{
	const char **s = sorted_strs(reqs, n);
	if (s == NULL)
		return dl_error_oom();
	dl_buf all = DL_BUF_INIT, id = DL_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		dl_buf_puts(&all, s[i]);
		dl_buf_putc(&all, '\n');
	}
	/* Names: the leading name characters of each requirement. */
	size_t shown = 0;
	for (size_t i = 0; i < n && shown < 3; i++) {
		size_t k = 0;
		while (s[i][k] != '\0' && (dl_isalnum((unsigned char)s[i][k]) || s[i][k] == '-' || s[i][k] == '_' ||
		                           s[i][k] == '.'))
			k++;
		if (k == 0)
			continue;
		char norm[256];
		if (k >= sizeof norm)
			k = sizeof norm - 1;
		norm[dl_name_normalize_into(norm, s[i], k)] = '\0';
		if (shown > 0)
			dl_buf_putc(&id, '+');
		dl_buf_puts(&id, norm);
		shown++;
	}
	if (shown == 0)
		dl_buf_puts(&id, "empty");
	char hex[DL_SHA256_HEX_LEN + 1];
	int rc = dl_sha256_hex(hex, all.ptr != NULL ? all.ptr : "", all.len);
	if (rc == 0)
		dl_buf_printf(&id, "-%.8s", hex);
	dl_buf_free(&all);
	dl_free(s);
	if (rc != 0) {
		dl_buf_free(&id);
		return rc;
	}
	*out = dl_buf_detach(&id, NULL);
	return *out != NULL ? 0 : dl_error_oom();
}

/* ------------------------------------------------------------------ */
/* pylock.toml                                                          */

typedef struct writer {
	dl_toml_doc *doc;
	int rc;
} writer;

/* The helpers below do nothing once an error happened, so a builder is a
 * straight sequence of calls with one check at the end. */
static dl_toml_value *add_table(writer *w, dl_toml_value *parent, const char *key)
{
	dl_toml_value *t = NULL;
	if (w->rc == 0)
		w->rc = dl_toml_table_add_table(&t, w->doc, parent, key);
	return t;
}

static dl_toml_value *add_array(writer *w, dl_toml_value *parent, const char *key)
{
	dl_toml_value *a = NULL;
	if (w->rc == 0)
		w->rc = dl_toml_table_add_array(&a, w->doc, parent, key);
	return a;
}

static dl_toml_value *append_table(writer *w, dl_toml_value *array)
{
	dl_toml_value *t = NULL;
	if (w->rc == 0)
		w->rc = dl_toml_array_add_table(&t, w->doc, array);
	return t;
}

static void set_str(writer *w, dl_toml_value *t, const char *key, const char *s)
{
	if (w->rc == 0 && s != NULL)
		w->rc = dl_toml_table_set_string(w->doc, t, key, s);
}

static void set_int(writer *w, dl_toml_value *t, const char *key, int64_t i)
{
	if (w->rc == 0)
		w->rc = dl_toml_table_set_integer(w->doc, t, key, i);
}

static void set_bool(writer *w, dl_toml_value *t, const char *key, bool b)
{
	if (w->rc == 0)
		w->rc = dl_toml_table_set_boolean(w->doc, t, key, b);
}

static void set_strs(writer *w, dl_toml_value *t, const char *key, const char *const *s, size_t n, bool sort,
                     bool multiline)
{
	if (w->rc != 0)
		return;
	const char **v = sort ? sorted_strs(s, n) : NULL;
	if (sort && v == NULL) {
		w->rc = dl_error_oom();
		return;
	}
	dl_toml_value *a = add_array(w, t, key);
	for (size_t i = 0; i < n && w->rc == 0; i++)
		w->rc = dl_toml_array_append_string(w->doc, a, sort ? v[i] : s[i]);
	if (a != NULL)
		dl_toml_value_set_style(a, multiline && n > 1 ? DL_TOML_STYLE_MULTILINE : DL_TOML_STYLE_INLINE);
	dl_free(v);
}

/* upload-time is a TOML offset date-time in PEP 751; an index string that
 * does not parse as one is left out rather than written wrong. */
static void set_time(writer *w, dl_toml_value *t, const char *s)
{
	if (w->rc != 0 || s == NULL)
		return;
	dl_toml_datetime dt;
	dl_toml_type type;
	if (dl_toml_datetime_parse(&dt, &type, s, strlen(s)) != 0 || type != DL_TOML_DATETIME)
		return;
	dl_toml_value *v = NULL;
	w->rc = dl_toml_new_datetime(&v, w->doc, type, &dt);
	if (w->rc == 0)
		w->rc = dl_toml_table_set(w->doc, t, "upload-time", 11, v);
}

static void fill_file(writer *w, dl_toml_value *t, const dl_lock_file *f)
{
	set_str(w, t, "name", f->name);
	set_time(w, t, f->upload_time);
	set_str(w, t, "url", f->url);
	if (f->size >= 0)
		set_int(w, t, "size", f->size);
	dl_toml_value *h = add_table(w, t, "hashes");
	set_str(w, h, "sha256", f->sha256);
	if (h != NULL)
		dl_toml_value_set_style(h, DL_TOML_STYLE_INLINE);
}

static bool env_defined(const dl_lock *lock, const char *id)
{
	for (size_t i = 0; i < lock->n_envs; i++)
		if (strcmp(lock->envs[i].id, id) == 0)
			return true;
	return false;
}

static void fill_pkg(writer *w, const dl_lock *lock, dl_toml_value *t, const dl_lock_pkg *p)
{
	if (w->rc != 0)
		return;
	if (p->name == NULL || p->version == NULL) {
		w->rc = dl_error_set(DL_EINVAL, "lock package '%s' has no %s", p->name != NULL ? p->name : "?",
		                     p->name == NULL ? "name" : "version");
		return;
	}
	if (p->build_env != NULL && !env_defined(lock, p->build_env)) {
		w->rc = dl_error_set(DL_EINVAL, "lock package '%s' %s refers to build environment '%s', which is not in the lock",
		                     p->name, p->version, p->build_env);
		return;
	}
	set_str(w, t, "name", p->name);
	set_str(w, t, "version", p->version);
	set_str(w, t, "marker", p->marker);
	set_str(w, t, "requires-python", p->requires_python);
	set_str(w, t, "index", p->index);
	if (p->n_dependencies > 0) {
		const char **d = sorted_strs(p->dependencies, p->n_dependencies);
		if (d == NULL) {
			w->rc = dl_error_oom();
			return;
		}
		dl_toml_value *a = add_array(w, t, "dependencies");
		for (size_t i = 0; i < p->n_dependencies && w->rc == 0; i++) {
			if (i > 0 && strcmp(d[i], d[i - 1]) == 0)
				continue;
			dl_toml_value *e = append_table(w, a);
			set_str(w, e, "name", d[i]);
			if (e != NULL)
				dl_toml_value_set_style(e, DL_TOML_STYLE_INLINE);
		}
		if (a != NULL)
			dl_toml_value_set_style(a, DL_TOML_STYLE_MULTILINE);
		dl_free(d);
	}
	if (p->sdist != NULL) {
		dl_toml_value *s = add_table(w, t, "sdist");
		fill_file(w, s, p->sdist);
		if (s != NULL)
			dl_toml_value_set_style(s, DL_TOML_STYLE_INLINE);
	}
	if (p->n_wheels > 0) {
		const void **files = sorted_ptrs(p->wheels, p->n_wheels, sizeof(*p->wheels), cmp_file_ptr);
		if (files == NULL) {
			w->rc = dl_error_oom();
			return;
		}
		dl_toml_value *a = add_array(w, t, "wheels");
		for (size_t i = 0; i < p->n_wheels && w->rc == 0; i++) {
			dl_toml_value *e = append_table(w, a);
			fill_file(w, e, files[i]);
			if (e != NULL)
				dl_toml_value_set_style(e, DL_TOML_STYLE_INLINE);
		}
		if (a != NULL)
			dl_toml_value_set_style(a, DL_TOML_STYLE_MULTILINE);
		dl_free(files);
	}
	if (p->n_required_by > 0 || p->build_env != NULL || p->builds_from_source || p->direct) {
		dl_toml_value *tool = add_table(w, t, "tool");
		dl_toml_value *dl = add_table(w, tool, "deeplock");
		if (p->n_required_by > 0)
			set_strs(w, dl, "required-by", p->required_by, p->n_required_by, true, false);
		if (p->builds_from_source)
			set_bool(w, dl, "builds-from-source", true);
		if (p->direct)
			set_bool(w, dl, "direct-url", true);
		set_str(w, dl, "build-env", p->build_env);
	}
}

static void fill_pkgs(writer *w, const dl_lock *lock, dl_toml_value *parent, const dl_lock_pkg *pkgs, size_t n)
{
	if (w->rc != 0)
		return;
	const void **v = sorted_ptrs(pkgs, n, sizeof(*pkgs), cmp_pkg_ptr);
	if (v == NULL) {
		w->rc = dl_error_oom();
		return;
	}
	dl_toml_value *a = add_array(w, parent, "packages");
	for (size_t i = 0; i < n && w->rc == 0; i++)
		fill_pkg(w, lock, append_table(w, a), v[i]);
	dl_free(v);
}

static const char HEADER[] = "# This file is generated by deeplock (https://github.com/deeplock): do not edit.\n"
                             "# Runtime packages are PEP 751 [[packages]]; the isolated build environment of\n"
                             "# every sdist that may be built is pinned under [[tool.deeplock.build-envs]].\n";

static int write_doc(const dl_lock *lock, const dl_lock_pkg *pkgs, size_t n_pkgs, bool with_tool, dl_buf *out)
{
	writer w = {0};
	w.rc = dl_toml_doc_new(&w.doc, "pylock.toml");
	if (w.rc != 0)
		return w.rc;
	dl_toml_value *root = dl_toml_doc_root(w.doc);
	set_str(&w, root, "lock-version", "1.0");
	if (lock->n_environments > 0)
		set_strs(&w, root, "environments", lock->environments, lock->n_environments, true, true);
	set_str(&w, root, "requires-python", lock->requires_python);
	set_str(&w, root, "created-by", "deeplock");
	fill_pkgs(&w, lock, root, pkgs, n_pkgs);
	if (with_tool && (lock->n_envs > 0 || lock->n_notes > 0 || lock->build_policy != NULL)) {
		dl_toml_value *tool = add_table(&w, root, "tool");
		dl_toml_value *dl = add_table(&w, tool, "deeplock");
		set_str(&w, dl, "build-policy", lock->build_policy);
		if (lock->n_notes > 0)
			set_strs(&w, dl, "notes", lock->notes, lock->n_notes, true, true);
		if (lock->n_envs > 0 && w.rc == 0) {
			const void **envs = sorted_ptrs(lock->envs, lock->n_envs, sizeof(*lock->envs), cmp_env_ptr);
			if (envs == NULL)
				w.rc = dl_error_oom();
			dl_toml_value *a = add_array(&w, dl, "build-envs");
			for (size_t i = 0; i < lock->n_envs && w.rc == 0; i++) {
				const dl_lock_env *e = envs[i];
				if (i > 0 && strcmp(e->id, ((const dl_lock_env *)envs[i - 1])->id) == 0) {
					w.rc = dl_error_set(DL_EINVAL, "two build environments share the id '%s'", e->id);
					break;
				}
				dl_toml_value *t = append_table(&w, a);
				set_str(&w, t, "id", e->id);
				set_strs(&w, t, "requires", e->requires, e->n_requires, true, false);
				set_strs(&w, t, "builds", e->builds, e->n_builds, true, true);
				fill_pkgs(&w, lock, t, e->packages, e->n_packages);
			}
			dl_free(envs);
		}
	}
	if (w.rc == 0) {
		if (with_tool)
			dl_buf_puts(out, HEADER);
		else
			dl_buf_puts(out, "# A build environment exported from a deeplock lock by 'deeplock export'.\n");
		dl_buf_putc(out, '\n');
		w.rc = out->failed ? out->failed : dl_toml_write(out, root);
	}
	dl_toml_doc_free(w.doc);
	return w.rc;
}

int dl_lock_write_pylock(const dl_lock *lock, dl_buf *out)
{
	return write_doc(lock, lock->packages, lock->n_packages, true, out);
}

static const dl_lock_env *find_env(const dl_lock *lock, const char *id)
{
	for (size_t i = 0; i < lock->n_envs; i++)
		if (strcmp(lock->envs[i].id, id) == 0)
			return &lock->envs[i];
	return NULL;
}

int dl_lock_write_env_pylock(const dl_lock *lock, const char *id, dl_buf *out)
{
	const dl_lock_env *e = find_env(lock, id);
	if (e == NULL)
		return dl_error_set(DL_ENOTFOUND, "the lock has no build environment '%s'", id);
	/* Inside a standalone lock the env's own build-env references would
	 * dangle; they are kept only when the full lock defines them, which it
	 * does, but a standalone file cannot: drop the tool tables. */
	dl_lock sub = *lock;
	sub.n_envs = 0;
	sub.envs = NULL;
	sub.n_notes = 0;
	sub.build_policy = NULL;
	dl_lock_pkg *copy = dl_calloc(e->n_packages + 1, sizeof(*copy));
	if (copy == NULL)
		return dl_error_oom();
	for (size_t i = 0; i < e->n_packages; i++) {
		copy[i] = e->packages[i];
		copy[i].build_env = NULL;
		copy[i].n_required_by = 0;
		copy[i].builds_from_source = false;
	}
	int rc = write_doc(&sub, copy, e->n_packages, false, out);
	dl_free(copy);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Requirements and constraints                                         */

int dl_lock_export_requirements(const dl_lock *lock, const char *env_id, dl_buf *out)
{
	const dl_lock_pkg *pkgs = lock->packages;
	size_t n = lock->n_packages;
	if (env_id != NULL) {
		const dl_lock_env *e = find_env(lock, env_id);
		if (e == NULL)
			return dl_error_set(DL_ENOTFOUND, "the lock has no build environment '%s'", env_id);
		pkgs = e->packages;
		n = e->n_packages;
	}
	const void **v = sorted_ptrs(pkgs, n, sizeof(*pkgs), cmp_pkg_ptr);
	if (v == NULL)
		return dl_error_oom();
	int rc = 0;
	dl_buf_puts(out, "# Generated by deeplock export: install with\n#   pip install --require-hashes -r <this file>\n");
	if (env_id != NULL)
		dl_buf_printf(out, "# Build environment %s.\n", env_id);
	for (size_t i = 0; i < n && rc == 0; i++) {
		const dl_lock_pkg *p = v[i];
		size_t hashes = (p->sdist != NULL && p->sdist->sha256 != NULL);
		for (size_t k = 0; k < p->n_wheels; k++)
			hashes += p->wheels[k].sha256 != NULL;
		if (hashes == 0) {
			rc = dl_error_set(DL_EINVAL, "cannot export '%s' %s: the lock has no hash for any of its files", p->name,
			                  p->version);
			break;
		}
		/* a direct URL's package is installed from its URL: the one
		 * file it has (pip checks the hash against those bytes) */
		const dl_lock_file *only = p->sdist != NULL ? p->sdist : p->n_wheels > 0 ? &p->wheels[0] : NULL;
		if (p->direct && only != NULL && only->url != NULL)
			dl_buf_printf(out, "%s @ %s", p->name, only->url);
		else
			dl_buf_printf(out, "%s==%s", p->name, p->version);
		if (p->marker != NULL)
			dl_buf_printf(out, " ; %s", p->marker); /* the space also ends a URL */
		const char **h = dl_calloc(hashes + 1, sizeof(*h));
		if (h == NULL) {
			rc = dl_error_oom();
			break;
		}
		size_t nh = 0;
		if (p->sdist != NULL && p->sdist->sha256 != NULL)
			h[nh++] = p->sdist->sha256;
		for (size_t k = 0; k < p->n_wheels; k++)
			if (p->wheels[k].sha256 != NULL)
				h[nh++] = p->wheels[k].sha256;
		qsort(h, nh, sizeof(*h), cmp_cstr);
		for (size_t k = 0; k < nh; k++)
			if (k == 0 || strcmp(h[k], h[k - 1]) != 0)
				dl_buf_printf(out, " \\\n    --hash=sha256:%s", h[k]);
		dl_free(h);
		dl_buf_putc(out, '\n');
		const char **via = sorted_strs(p->required_by, p->n_required_by);
		if (via == NULL) {
			rc = dl_error_oom();
			break;
		}
		for (size_t k = 0; k < p->n_required_by; k++)
			dl_buf_printf(out, "    # via %s\n", via[k]);
		if (p->build_env != NULL)
			dl_buf_printf(out, "    # built from source in build environment %s\n", p->build_env);
		dl_free(via);
	}
	dl_free(v);
	if (rc == 0 && out->failed)
		rc = out->failed;
	return rc;
}

typedef struct pin {
	const char *name, *version, *env;
} pin;

static int cmp_pin(const void *a, const void *b)
{
	const pin *x = a, *y = b;
	int r = strcmp(x->name, y->name);
	if (r == 0)
		r = strcmp(x->version, y->version);
	return r != 0 ? r : strcmp(x->env, y->env);
}

int dl_lock_export_build_constraints(const dl_lock *lock, dl_buf *out, size_t *conflicts)
{
	size_t n = 0;
	for (size_t i = 0; i < lock->n_envs; i++)
		n += lock->envs[i].n_packages;
	pin *pins = dl_calloc(n + 1, sizeof(*pins));
	if (pins == NULL)
		return dl_error_oom();
	size_t k = 0;
	for (size_t i = 0; i < lock->n_envs; i++)
		for (size_t j = 0; j < lock->envs[i].n_packages; j++)
			pins[k++] = (pin){lock->envs[i].packages[j].name, lock->envs[i].packages[j].version, lock->envs[i].id};
	qsort(pins, n, sizeof(*pins), cmp_pin);
	size_t bad = 0;
	dl_buf_puts(out, "# Generated by deeplock export --format build-constraints: pins of every build\n"
	                 "# environment, for pip/uv --build-constraint.\n");
	for (size_t i = 0; i < n;) {
		size_t j = i;
		bool same = true;
		while (j < n && strcmp(pins[j].name, pins[i].name) == 0) {
			if (strcmp(pins[j].version, pins[i].version) != 0)
				same = false;
			j++;
		}
		if (same) {
			dl_buf_printf(out, "%s==%s\n", pins[i].name, pins[i].version);
		} else {
			bad++;
			dl_buf_printf(out, "# %s: build environments need different versions, so it is not pinned here:\n",
			              pins[i].name);
			for (size_t x = i; x < j; x++)
				dl_buf_printf(out, "#   %s==%s in %s\n", pins[x].name, pins[x].version, pins[x].env);
		}
		i = j;
	}
	dl_free(pins);
	if (conflicts != NULL)
		*conflicts = bad;
	return out->failed ? out->failed : 0;
}
