/*
 * pylock_read.c - pylock.toml back into the lock model.
 *
 * The TOML reader keeps every value's position, so each check is a
 * dl_toml_get with the key's type and the error already names the file,
 * line and column.  Strings are copied into one arena (the TOML document is
 * freed before returning), so the model outlives the parse.
 */
#include <string.h>

#include "deeplock/lock.h"
#include "deeplock/toml.h"

struct dl_lock_doc {
	dl_arena *a;
	dl_lock lock;
};

typedef struct rd {
	dl_arena *a;
	int rc;
} rd;

static const char *copy(rd *r, const char *s)
{
	if (r->rc != 0 || s == NULL)
		return NULL;
	char *c = dl_arena_strndup(r->a, s, strlen(s));
	if (c == NULL)
		r->rc = dl_error_oom();
	return c;
}

static const char *opt_str(rd *r, const dl_toml_value *t, const char *key)
{
	const dl_toml_value *v = NULL;
	if (r->rc == 0)
		r->rc = dl_toml_get(&v, t, key, DL_TOML_STRING, false);
	return v != NULL ? copy(r, dl_toml_value_string(v, NULL)) : NULL;
}

static const char *req_str(rd *r, const dl_toml_value *t, const char *key)
{
	const dl_toml_value *v = NULL;
	if (r->rc == 0)
		r->rc = dl_toml_get(&v, t, key, DL_TOML_STRING, true);
	return v != NULL ? copy(r, dl_toml_value_string(v, NULL)) : NULL;
}

/* An optional array of strings. */
static const char *const *str_array(rd *r, const dl_toml_value *t, const char *key, size_t *n)
{
	const dl_toml_value *a = NULL;
	*n = 0;
	if (r->rc == 0)
		r->rc = dl_toml_get(&a, t, key, DL_TOML_ARRAY, false);
	if (a == NULL)
		return NULL;
	size_t len = dl_toml_array_len(a);
	const char **v = dl_arena_calloc(r->a, len + 1, sizeof(*v));
	if (v == NULL && r->rc == 0)
		r->rc = dl_error_oom();
	for (size_t i = 0; i < len && r->rc == 0; i++) {
		const dl_toml_value *e = dl_toml_array_at(a, i);
		if ((r->rc = dl_toml_expect(e, DL_TOML_STRING)) == 0)
			v[i] = copy(r, dl_toml_value_string(e, NULL));
	}
	*n = r->rc == 0 ? len : 0;
	return v;
}

static void read_file(rd *r, const dl_toml_value *t, dl_lock_file *f)
{
	f->name = opt_str(r, t, "name");
	f->url = opt_str(r, t, "url");
	if (f->url == NULL && r->rc == 0)
		f->url = opt_str(r, t, "path");
	f->size = -1;
	const dl_toml_value *v = NULL;
	if (r->rc == 0 && f->url == NULL) {
		/* PEP 751: a file is found by its url or its path. */
		r->rc = dl_toml_get(&v, t, "url", DL_TOML_STRING, true);
		if (r->rc != 0)
			dl_error_context("reading a file entry, which needs 'url' or 'path'");
		return;
	}
	if (r->rc == 0 && (r->rc = dl_toml_get(&v, t, "size", DL_TOML_INTEGER, false)) == 0 && v != NULL)
		f->size = dl_toml_value_integer(v);
	if (r->rc == 0 && (r->rc = dl_toml_get(&v, t, "upload-time", DL_TOML_DATETIME, false)) == 0 && v != NULL) {
		dl_buf b = DL_BUF_INIT;
		dl_toml_datetime_format(&b, DL_TOML_DATETIME, dl_toml_value_datetime(v));
		f->upload_time = b.failed ? NULL : copy(r, b.ptr);
		dl_buf_free(&b);
	}
	const dl_toml_value *h = NULL;
	if (r->rc == 0)
		r->rc = dl_toml_get(&h, t, "hashes", DL_TOML_TABLE, true);
	if (h != NULL)
		f->sha256 = opt_str(r, h, "sha256");
	if (r->rc == 0 && f->name == NULL && f->url != NULL) {
		const char *slash = strrchr(f->url, '/');
		f->name = copy(r, slash != NULL ? slash + 1 : f->url);
	}
}

static void read_pkg(rd *r, const dl_toml_value *t, dl_lock_pkg *p)
{
	p->name = req_str(r, t, "name");
	p->version = opt_str(r, t, "version");
	p->marker = opt_str(r, t, "marker");
	p->requires_python = opt_str(r, t, "requires-python");
	p->index = opt_str(r, t, "index");
	const dl_toml_value *a = NULL;
	if (r->rc == 0 && (r->rc = dl_toml_get(&a, t, "dependencies", DL_TOML_ARRAY, false)) == 0 && a != NULL) {
		size_t n = dl_toml_array_len(a);
		const char **d = dl_arena_calloc(r->a, n + 1, sizeof(*d));
		if (d == NULL)
			r->rc = dl_error_oom();
		for (size_t i = 0; i < n && r->rc == 0; i++) {
			const dl_toml_value *e = dl_toml_array_at(a, i);
			if ((r->rc = dl_toml_expect(e, DL_TOML_TABLE)) == 0)
				d[i] = req_str(r, e, "name");
		}
		p->dependencies = d;
		p->n_dependencies = r->rc == 0 ? n : 0;
	}
	const dl_toml_value *sd = NULL;
	if (r->rc == 0 && (r->rc = dl_toml_get(&sd, t, "sdist", DL_TOML_TABLE, false)) == 0 && sd != NULL) {
		dl_lock_file *f = dl_arena_calloc(r->a, 1, sizeof(*f));
		if (f == NULL)
			r->rc = dl_error_oom();
		else
			read_file(r, sd, f);
		p->sdist = f;
	}
	if (r->rc == 0 && (r->rc = dl_toml_get(&a, t, "wheels", DL_TOML_ARRAY, false)) == 0 && a != NULL) {
		size_t n = dl_toml_array_len(a);
		dl_lock_file *w = dl_arena_calloc(r->a, n + 1, sizeof(*w));
		if (w == NULL)
			r->rc = dl_error_oom();
		for (size_t i = 0; i < n && r->rc == 0; i++) {
			const dl_toml_value *e = dl_toml_array_at(a, i);
			if ((r->rc = dl_toml_expect(e, DL_TOML_TABLE)) == 0)
				read_file(r, e, &w[i]);
		}
		p->wheels = w;
		p->n_wheels = r->rc == 0 ? n : 0;
	}
	const dl_toml_value *tool = dl_toml_get_path(t, "tool.deeplock");
	if (tool != NULL && r->rc == 0) {
		if ((r->rc = dl_toml_expect(tool, DL_TOML_TABLE)) != 0)
			return;
		p->required_by = str_array(r, tool, "required-by", &p->n_required_by);
		p->build_env = opt_str(r, tool, "build-env");
		const dl_toml_value *b = NULL;
		const dl_toml_value *du = NULL;
		if (r->rc == 0 && (r->rc = dl_toml_get(&du, tool, "direct-url", DL_TOML_BOOLEAN, false)) == 0 && du != NULL)
			p->direct = dl_toml_value_boolean(du);
		if (r->rc == 0 && (r->rc = dl_toml_get(&b, tool, "builds-from-source", DL_TOML_BOOLEAN, false)) == 0 &&
		    b != NULL)
			p->builds_from_source = dl_toml_value_boolean(b);
	}
	if (r->rc == 0 && p->version == NULL)
		p->version = copy(r, "");
}

static const dl_lock_pkg *read_pkgs(rd *r, const dl_toml_value *t, bool required, size_t *n)
{
	const dl_toml_value *a = NULL;
	*n = 0;
	if (r->rc == 0)
		r->rc = dl_toml_get(&a, t, "packages", DL_TOML_ARRAY, required);
	if (a == NULL)
		return NULL;
	size_t len = dl_toml_array_len(a);
	dl_lock_pkg *v = dl_arena_calloc(r->a, len + 1, sizeof(*v));
	if (v == NULL && r->rc == 0)
		r->rc = dl_error_oom();
	for (size_t i = 0; i < len && r->rc == 0; i++) {
		const dl_toml_value *e = dl_toml_array_at(a, i);
		if ((r->rc = dl_toml_expect(e, DL_TOML_TABLE)) == 0)
			read_pkg(r, e, &v[i]);
	}
	*n = r->rc == 0 ? len : 0;
	return v;
}

int dl_lock_read_pylock(dl_lock_doc **out, const char *data, size_t len, const char *source)
{
	dl_toml_doc *doc = NULL;
	int rc = dl_toml_parse(&doc, data, len, source, NULL);
	if (rc != 0)
		return rc;
	dl_lock_doc *d = dl_calloc(1, sizeof *d);
	if (d == NULL || dl_arena_new(&d->a) != 0) {
		dl_free(d);
		dl_toml_doc_free(doc);
		return dl_error_oom();
	}
	rd r = {d->a, 0};
	const dl_toml_value *root = dl_toml_doc_root(doc);
	const dl_toml_value *lv = NULL;
	r.rc = dl_toml_get(&lv, root, "lock-version", DL_TOML_STRING, true);
	if (r.rc == 0 && strncmp(dl_toml_value_string(lv, NULL), "1.", 2) != 0)
		r.rc = dl_toml_value_error(lv, DL_EUNSUPPORTED, "lock-version '%s' is not supported (1.x is)",
		                           dl_toml_value_string(lv, NULL));
	dl_lock *l = &d->lock;
	l->requires_python = opt_str(&r, root, "requires-python");
	l->environments = str_array(&r, root, "environments", &l->n_environments);
	l->packages = read_pkgs(&r, root, true, &l->n_packages);
	const dl_toml_value *tool = dl_toml_get_path(root, "tool.deeplock");
	if (tool != NULL && r.rc == 0 && (r.rc = dl_toml_expect(tool, DL_TOML_TABLE)) == 0) {
		l->build_policy = opt_str(&r, tool, "build-policy");
		l->notes = str_array(&r, tool, "notes", &l->n_notes);
		const dl_toml_value *envs = NULL;
		if (r.rc == 0)
			r.rc = dl_toml_get(&envs, tool, "build-envs", DL_TOML_ARRAY, false);
		size_t n = dl_toml_array_len(envs);
		dl_lock_env *e = envs != NULL ? dl_arena_calloc(d->a, n + 1, sizeof(*e)) : NULL;
		if (envs != NULL && e == NULL && r.rc == 0)
			r.rc = dl_error_oom();
		for (size_t i = 0; i < n && r.rc == 0; i++) {
			const dl_toml_value *t = dl_toml_array_at(envs, i);
			if ((r.rc = dl_toml_expect(t, DL_TOML_TABLE)) != 0)
				break;
			e[i].id = req_str(&r, t, "id");
			e[i].requires = str_array(&r, t, "requires", &e[i].n_requires);
			e[i].builds = str_array(&r, t, "builds", &e[i].n_builds);
			e[i].packages = read_pkgs(&r, t, false, &e[i].n_packages);
		}
		l->envs = e;
		l->n_envs = r.rc == 0 ? n : 0;
	}
	dl_toml_doc_free(doc);
	if (r.rc != 0) {
		dl_lock_doc_free(d);
		return r.rc;
	}
	*out = d;
	return 0;
}

const dl_lock *dl_lock_doc_lock(const dl_lock_doc *d)
{
	return &d->lock;
}

void dl_lock_doc_free(dl_lock_doc *d)
{
	if (d == NULL)
		return;
	dl_arena_free(d->a);
	dl_free(d);
}
