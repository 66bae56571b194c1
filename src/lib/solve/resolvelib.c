/*
 * resolvelib.c - resolvelib snapshots and cases (see deeplock/resolvelib.h).
 *
 * The documents are small enough (a few MiB) to parse whole with jansson;
 * the snapshot's projects and versions are added in the document's order
 * (jansson keeps insertion order), so the in-memory source, and with it
 * every resolution over it, is deterministic.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "deeplock/name.h"
#include "deeplock/resolvelib.h"
#include "deeplock/version.h"

static int json_fail(const json_error_t *e, const char *source)
{
	return dl_error_set(DL_EPARSE, "%s:%d:%d: invalid JSON: %s", source, e->line, e->column, e->text);
}

static int load_doc(json_t **out, const char *data, size_t len, const char *source)
{
	json_error_t e;
	*out = json_loadb(data, len, JSON_REJECT_DUPLICATES, &e);
	if (*out == NULL)
		return json_fail(&e, source);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return dl_error_set(DL_EPARSE, "%s: the top level must be an object", source);
	}
	return 0;
}

int dl_resolvelib_index_load(dl_py_memsource **out, const char *data, size_t len, const char *source)
{
	if (source == NULL)
		source = "<input>";
	json_t *doc = NULL;
	dl_py_memsource *ms = NULL;
	int rc = load_doc(&doc, data, len, source);
	if (rc < 0)
		return rc;
	if ((rc = dl_py_memsource_new(&ms)) < 0)
		goto done;
	const char *name;
	json_t *versions;
	json_object_foreach(doc, name, versions) {
		if (!json_is_object(versions))
			continue; /* a flag such as "needs_optimistic": true, not a project */
		const char *ver;
		json_t *info;
		json_object_foreach(versions, ver, info) {
			size_t rel = 0;
			json_t *deps = json_is_object(info) ? json_object_get(info, "dependencies") : NULL;
			if (json_is_object(deps) && json_object_size(deps) == 0)
				deps = NULL; /* `{}` stands for no dependencies in one snapshot */
			else if (deps == NULL || !json_is_array(deps)) {
				rc = dl_error_set(DL_EPARSE, "%s: %s %s needs a 'dependencies' array", source, name, ver);
				goto done;
			}
			if (!dl_version_is_valid(ver, strlen(ver)))
				continue; /* as installers skip what an index lists under a bad version */
			if ((rc = dl_py_memsource_add_release(ms, name, ver, &rel)) < 0) {
				dl_error_context("reading %s", source);
				goto done;
			}
			size_t i;
			json_t *d;
			json_array_foreach(deps, i, d) { /* a NULL array has no elements */
				if (!json_is_string(d)) {
					rc = dl_error_set(DL_EPARSE, "%s: %s %s: dependency %zu is not a string", source, name,
					                  ver, i + 1);
					goto done;
				}
				if ((rc = dl_py_memsource_add_requires(ms, name, rel, json_string_value(d))) < 0)
					goto done;
			}
		}
	}
done:
	json_decref(doc);
	if (rc < 0) {
		dl_py_memsource_free(ms);
		return rc;
	}
	*out = ms;
	return 0;
}

/* The case with its strings in one arena. */
typedef struct case_box {
	dl_resolvelib_case pub;
	dl_arena *arena;
} case_box;

static int cmp_pin(const void *a, const void *b)
{
	return strcmp(((const dl_resolvelib_pin *)a)->name, ((const dl_resolvelib_pin *)b)->name);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char *norm_name(dl_arena *a, const char *s)
{
	size_t len = strlen(s);
	char *out = dl_arena_alloc(a, len + 1);
	if (out != NULL)
		dl_name_normalize_into(out, s, len);
	return out;
}

static int load_case(case_box *b, json_t *doc, const char *source)
{
	dl_resolvelib_case *c = &b->pub;
	json_t *idx = json_object_get(doc, "index"), *req = json_object_get(doc, "requested");
	if (!json_is_string(idx) || !json_is_array(req))
		return dl_error_set(DL_EPARSE, "%s: a case needs an 'index' string and a 'requested' array", source);
	if ((c->index = dl_arena_strndup(b->arena, json_string_value(idx), strlen(json_string_value(idx)))) == NULL)
		return dl_error_oom();
	const char **reqs = dl_arena_calloc(b->arena, json_array_size(req) + 1, sizeof(char *));
	if (reqs == NULL)
		return dl_error_oom();
	size_t i;
	json_t *v;
	json_array_foreach(req, i, v) {
		if (!json_is_string(v))
			return dl_error_set(DL_EPARSE, "%s: requested entry %zu is not a string", source, i + 1);
		if ((reqs[i] = dl_arena_strndup(b->arena, json_string_value(v), strlen(json_string_value(v)))) == NULL)
			return dl_error_oom();
	}
	c->requested = reqs;
	c->nrequested = json_array_size(req);
	json_t *res = json_object_get(doc, "resolved"), *con = json_object_get(doc, "conflicted");
	if (res != NULL) {
		if (!json_is_object(res))
			return dl_error_set(DL_EPARSE, "%s: 'resolved' must be an object", source);
		dl_resolvelib_pin *pins = dl_arena_calloc(b->arena, json_object_size(res) + 1, sizeof(*pins));
		if (pins == NULL)
			return dl_error_oom();
		size_t n = 0;
		const char *name;
		json_object_foreach(res, name, v) {
			json_t *ver = json_is_object(v) ? json_object_get(v, "version") : v;
			if (!json_is_string(ver))
				return dl_error_set(DL_EPARSE, "%s: the resolved version of '%s' must be a string", source, name);
			pins[n].name = norm_name(b->arena, name);
			pins[n].version = dl_arena_strndup(b->arena, json_string_value(ver), strlen(json_string_value(ver)));
			if (pins[n].name == NULL || pins[n].version == NULL)
				return dl_error_oom();
			n++;
		}
		qsort(pins, n, sizeof(*pins), cmp_pin);
		c->has_resolved = true;
		c->resolved = pins;
		c->nresolved = n;
	}
	if (con != NULL) {
		if (!json_is_object(con))
			return dl_error_set(DL_EPARSE, "%s: 'conflicted' must be an object", source);
		const char **names = dl_arena_calloc(b->arena, json_object_size(con) + 1, sizeof(char *));
		if (names == NULL)
			return dl_error_oom();
		size_t n = 0;
		const char *name;
		json_object_foreach(con, name, v) {
			if ((names[n++] = norm_name(b->arena, name)) == NULL)
				return dl_error_oom();
		}
		qsort(names, n, sizeof(char *), cmp_str);
		c->conflicted = true;
		c->conflict_names = names;
		c->nconflict_names = n;
	}
	if (c->has_resolved == c->conflicted)
		return dl_error_set(DL_EPARSE, "%s: a case needs exactly one of 'resolved' and 'conflicted'", source);
	return 0;
}

int dl_resolvelib_case_load(dl_resolvelib_case **out, const char *data, size_t len, const char *source)
{
	if (source == NULL)
		source = "<input>";
	json_t *doc = NULL;
	int rc = load_doc(&doc, data, len, source);
	if (rc < 0)
		return rc;
	case_box *b = dl_calloc(1, sizeof(*b));
	if (b == NULL) {
		json_decref(doc);
		return dl_error_oom();
	}
	if ((rc = dl_arena_new(&b->arena)) == 0)
		rc = load_case(b, doc, source);
	json_decref(doc);
	if (rc < 0) {
		dl_arena_free(b->arena);
		dl_free(b);
		return rc;
	}
	*out = &b->pub;
	return 0;
}

void dl_resolvelib_case_free(dl_resolvelib_case *c)
{
	if (c == NULL)
		return;
	case_box *b = (case_box *)(void *)c;
	dl_arena_free(b->arena);
	dl_free(b);
}

int dl_resolvelib_target(dl_py_target *t)
{
	return dl_py_target_init(t, "3.8", 3, "manylinux_2_28_x86_64");
}
