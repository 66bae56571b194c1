/*
 * lockfile_pipfile.c - Pipfile.lock (pipenv's JSON lock, pipfile-spec <= 6).
 *
 * jansson decodes and validates the document (duplicate keys refused, as
 * two "version"s for one package would be read differently by different
 * tools) but keeps no positions.  So a second, small scanner walks the same
 * bytes and records where each object member and array element of the
 * first four levels starts (category -> package -> field -> hash), in
 * document order.  jansson iterates an object's keys in insertion order,
 * which is document order, so the two walks can be zipped: the k-th key of
 * an object is the k-th recorded child.  The scanner runs only on text
 * jansson accepted, but it is still written to stop safely at any byte.
 *
 * Every top-level key other than `_meta` (and other keys starting with '_')
 * whose value is an object is a category: "default", "develop", or a
 * custom one (pipenv 2023+).  A package in two categories is two entries.
 * The lock's hashes name no files: each becomes a file with no name and
 * unknown kind, so whether an sdist is among them is unknown.  `version` is
 * "==X" (or "===X"); the operator is dropped.  pipenv writes the resolved
 * commit of a VCS dependency as `ref`: a 40- or 64-digit hex ref is read as
 * the commit, anything else as the requested revision.  _meta.requires
 * python_version "3.11" becomes the requires-python "==3.11.*",
 * python_full_version "3.11.4" becomes "==3.11.4".
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "lock/lockfile_int.h"

#define SCAN_DEPTH 4            /* levels whose positions are recorded */
#define SCAN_MAX_NESTING 4096   /* deeper than jansson accepts */
#define NONE ((size_t)-1)

typedef struct scan_rec {
	uint8_t depth;
	dl_lockfile_pos key_pos;   /* 0:0 for array elements */
	dl_lockfile_pos value_pos;
} scan_rec;

typedef struct scan {
	scan_rec *recs;
	size_t n, cap;
} scan;

static int scan_push(lf_ctx *ctx, scan *s, uint8_t depth, dl_lockfile_pos key, dl_lockfile_pos value)
{
	scan_rec *r = dl_lf_grow(ctx, s->recs, s->n, &s->cap, sizeof *r);
	if (r == NULL)
		return DL_ENOMEM;
	s->recs = r;
	r[s->n].depth = depth;
	r[s->n].key_pos = key;
	r[s->n].value_pos = value;
	s->n++;
	return 0;
}

static int scan_json(lf_ctx *ctx, scan *s, const char *data, size_t len)
{
	char stack[SCAN_MAX_NESTING]; /* 'o' or 'a' per open container */
	size_t depth = 0;
	bool expect_key = false;
	size_t pending = NONE; /* record whose value comes next */
	dl_lockfile_pos pos = {1, 1};
	size_t i = 0;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < len) {
		unsigned char c = (unsigned char)data[i];
		if (c == '\n') {
			pos.line++;
			pos.column = 1;
			i++;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r') {
			pos.column++;
			i++;
			continue;
		}
		if (c == ',' || c == ':' || c == '}' || c == ']') {
			if (c == ',')
				expect_key = depth > 0 && stack[depth - 1] == 'o';
			else if (c == ':')
				expect_key = false;
			else if (depth > 0)
				depth--;
			pos.column++;
			i++;
			continue;
		}
		dl_lockfile_pos start = pos;
		bool is_key = c == '"' && depth > 0 && stack[depth - 1] == 'o' && expect_key;
		if (!is_key) {
			/* A value starts here. */
			if (pending != NONE) {
				s->recs[pending].value_pos = start;
				pending = NONE;
			} else if (depth > 0 && depth <= SCAN_DEPTH && stack[depth - 1] == 'a') {
				dl_lockfile_pos none = {0, 0};
				int rc = scan_push(ctx, s, (uint8_t)depth, none, start);
				if (rc != 0)
					return rc;
			}
		}
		if (c == '{' || c == '[') {
			if (depth == SCAN_MAX_NESTING)
				return 0; /* cannot happen after jansson; stop recording */
			stack[depth++] = c == '{' ? 'o' : 'a';
			expect_key = c == '{';
			pos.column++;
			i++;
			continue;
		}
		if (c == '"') {
			i++;
			pos.column++;
			while (i < len && data[i] != '"') {
				if (data[i] == '\\' && i + 1 < len) {
					i++;
					pos.column++;
				}
				if (((unsigned char)data[i] & 0xC0) != 0x80)
					pos.column++;
				i++;
			}
			i++;
			pos.column++;
			if (is_key) {
				expect_key = false;
				if (depth <= SCAN_DEPTH) {
					dl_lockfile_pos none = {0, 0};
					int rc = scan_push(ctx, s, (uint8_t)depth, start, none);
					if (rc != 0)
						return rc;
					pending = s->n - 1;
				}
			}
			continue;
		}
		/* A number, true, false or null: up to the next delimiter. */
		while (i < len && strchr(",:}] \t\r\n", data[i]) == NULL && data[i] != '\0') {
			if (((unsigned char)data[i] & 0xC0) != 0x80)
				pos.column++;
			i++;
		}
		if (i < len && data[i] == '\0')
			return 0;
	}
	return 0;
}

/* Sibling navigation over the preorder records. */
static size_t child_first(const scan *s, size_t parent)
{
	size_t i = parent == NONE ? 0 : parent + 1;
	unsigned d = parent == NONE ? 1 : s->recs[parent].depth + 1u;
	if (parent != NONE && s->recs[parent].depth >= SCAN_DEPTH)
		return NONE;
	return i < s->n && s->recs[i].depth == d ? i : NONE;
}

static size_t child_next(const scan *s, size_t cur)
{
	if (cur == NONE)
		return NONE;
	size_t i = cur + 1;
	while (i < s->n && s->recs[i].depth > s->recs[cur].depth)
		i++;
	return i < s->n && s->recs[i].depth == s->recs[cur].depth ? i : NONE;
}

static dl_lockfile_pos rec_value(const scan *s, size_t r)
{
	dl_lockfile_pos none = {0, 0};
	return r == NONE ? none : s->recs[r].value_pos;
}

static dl_lockfile_pos rec_key(const scan *s, size_t r)
{
	dl_lockfile_pos none = {0, 0};
	return r == NONE ? none : s->recs[r].key_pos;
}

/* The record of member `key` of the object at record `parent` (whose
 * jansson value is `obj`), found by key order. */
static size_t member_rec(const scan *s, size_t parent, json_t *obj, const char *key)
{
	size_t r = child_first(s, parent);
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v) {
		if (r == NONE)
			return NONE;
		if (strcmp(k, key) == 0)
			return r;
		r = child_next(s, r);
	}
	return NONE;
}

static const char *json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	default: return "null";
	}
}

typedef struct pf {
	lf_ctx *ctx;
	scan sc;
} pf;

/* obj[key] checked against `type`; NULL (and 0) when absent or null. */
static int member(pf *p, json_t *obj, size_t obj_rec, const char *path, const char *key, json_type type,
                  json_t **out, size_t *rec)
{
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	size_t r = member_rec(&p->sc, obj_rec, obj, key);
	if (rec != NULL)
		*rec = r;
	if (v == NULL || json_is_null(v))
		return 0;
	bool ok = json_typeof(v) == type || (type == JSON_TRUE && json_is_boolean(v));
	if (!ok) {
		const char *want = type == JSON_STRING ? "a string"
		                 : type == JSON_OBJECT ? "an object"
		                 : type == JSON_ARRAY  ? "an array"
		                 : type == JSON_INTEGER ? "an integer"
		                                        : "a boolean";
		return dl_lf_error(p->ctx, DL_EPARSE, rec_value(&p->sc, r), "'%s%s%s' must be %s, found %s", path,
		                   path[0] != '\0' ? "." : "", key, want, json_type_name(v));
	}
	*out = v;
	return 0;
}

static int str_member(pf *p, json_t *obj, size_t obj_rec, const char *path, const char *key, const char **out,
                      dl_lockfile_pos *pos)
{
	json_t *v;
	size_t r;
	int rc = member(p, obj, obj_rec, path, key, JSON_STRING, &v, &r);
	*out = NULL;
	if (rc != 0 || v == NULL)
		return rc;
	if (pos != NULL)
		*pos = rec_value(&p->sc, r);
	char *c = dl_lf_strndup(p->ctx, json_string_value(v), json_string_length(v));
	if (c == NULL)
		return DL_ENOMEM;
	*out = c;
	return 0;
}

static bool is_hex_commit(const char *s)
{
	size_t n = strlen(s);
	if (n != 40 && n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!dl_isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static int read_package(pf *p, dl_lockfile_package *pkg, const char *category, const char *name, json_t *v,
                        size_t rec)
{
	lf_ctx *ctx = p->ctx;
	int rc;
	char path[256];
	snprintf(path, sizeof path, "%.100s.%.100s", category, name);
	pkg->pos = rec_key(&p->sc, rec);
	pkg->name_pos = pkg->pos;
	pkg->optional = DL_LOCKFILE_UNKNOWN;
	pkg->yanked = DL_LOCKFILE_UNKNOWN;
	pkg->dev = strcmp(category, "develop") == 0   ? DL_LOCKFILE_YES
	         : strcmp(category, "default") == 0 ? DL_LOCKFILE_NO
	                                              : DL_LOCKFILE_UNKNOWN;
	if (!json_is_object(v))
		return dl_lf_error(ctx, DL_EPARSE, rec_value(&p->sc, rec), "'%s' must be an object, found %s", path,
		                   json_type_name(v));
	if ((rc = dl_lf_name(ctx, name, strlen(name), &pkg->name, &pkg->normalized_name, pkg->pos)) != 0)
		return rc;
	pkg->groups = dl_lf_array(ctx, 1, sizeof *pkg->groups);
	if (pkg->groups == NULL)
		return DL_ENOMEM;
	pkg->groups[0].name = category;
	pkg->groups[0].pos = pkg->pos;
	pkg->n_groups = 1;

	const char *version = NULL;
	if ((rc = str_member(p, v, rec, path, "version", &version, &pkg->version_pos)) != 0)
		return rc;
	if (version != NULL) {
		const char *ver = version;
		if (strncmp(ver, "===", 3) == 0)
			ver += 3;
		else if (strncmp(ver, "==", 2) == 0)
			ver += 2;
		if ((rc = dl_lf_version(ctx, pkg, ver, strlen(ver))) != 0)
			return rc;
	}
	if ((rc = str_member(p, v, rec, path, "markers", &pkg->marker, &pkg->marker_pos)) != 0)
		return rc;

	/* hashes -> one nameless file per hash */
	json_t *hashes, *extras, *editable;
	size_t hrec, erec;
	if ((rc = member(p, v, rec, path, "hashes", JSON_ARRAY, &hashes, &hrec)) != 0 ||
	    (rc = member(p, v, rec, path, "extras", JSON_ARRAY, &extras, &erec)) != 0 ||
	    (rc = member(p, v, rec, path, "editable", JSON_TRUE, &editable, NULL)) != 0)
		return rc;
	size_t nh = hashes != NULL ? json_array_size(hashes) : 0;
	pkg->files = dl_lf_array(ctx, nh, sizeof *pkg->files);
	if (pkg->files == NULL)
		return DL_ENOMEM;
	size_t r = child_first(&p->sc, hrec);
	for (size_t i = 0; i < nh; i++, r = child_next(&p->sc, r)) {
		json_t *h = json_array_get(hashes, i);
		dl_lockfile_file *f = &pkg->files[i];
		f->pos = rec_value(&p->sc, r);
		f->size = -1;
		if (!json_is_string(h))
			return dl_lf_error(ctx, DL_EPARSE, f->pos, "'%s.hashes[%zu]' must be a string, found %s", path, i,
			                   json_type_name(h));
		f->hashes = dl_lf_array(ctx, 1, sizeof *f->hashes);
		if (f->hashes == NULL)
			return DL_ENOMEM;
		if ((rc = dl_lf_hash_colon(ctx, &f->hashes[0], json_string_value(h), json_string_length(h), NULL,
		                           f->pos)) != 0)
			return rc;
		f->n_hashes = 1;
		pkg->n_files++;
	}
	size_t ne = extras != NULL ? json_array_size(extras) : 0;
	const char **ex = dl_lf_array(ctx, ne, sizeof *ex);
	if (ex == NULL)
		return DL_ENOMEM;
	r = child_first(&p->sc, erec);
	for (size_t i = 0; i < ne; i++, r = child_next(&p->sc, r)) {
		json_t *e = json_array_get(extras, i);
		if (!json_is_string(e))
			return dl_lf_error(ctx, DL_EPARSE, rec_value(&p->sc, r), "'%s.extras[%zu]' must be a string, found %s",
			                   path, i, json_type_name(e));
		if ((ex[i] = dl_lf_strndup(ctx, json_string_value(e), json_string_length(e))) == NULL)
			return DL_ENOMEM;
	}
	pkg->extras = ex;
	pkg->n_extras = ne;

	dl_lockfile_source *src = &pkg->source;
	src->editable = editable != NULL && json_is_true(editable);
	if ((rc = str_member(p, v, rec, path, "subdirectory", &src->subdirectory, NULL)) != 0)
		return rc;
	static const char *const vcs[] = {"git", "hg", "svn", "bzr"};
	for (size_t i = 0; i < sizeof(vcs) / sizeof(vcs[0]); i++) {
		if ((rc = str_member(p, v, rec, path, vcs[i], &src->url, &src->pos)) != 0)
			return rc;
		if (src->url != NULL) {
			const char *ref = NULL;
			if ((rc = str_member(p, v, rec, path, "ref", &ref, NULL)) != 0)
				return rc;
			src->kind = DL_LOCKFILE_SOURCE_VCS;
			src->vcs = vcs[i];
			if (ref != NULL && is_hex_commit(ref))
				src->commit = ref;
			else
				src->requested_revision = ref;
			return 0;
		}
	}
	const char *file = NULL, *dir = NULL, *index = NULL;
	dl_lockfile_pos fpos = {0, 0};
	if ((rc = str_member(p, v, rec, path, "file", &file, &fpos)) != 0 ||
	    (rc = str_member(p, v, rec, path, "path", &dir, &src->pos)) != 0 ||
	    (rc = str_member(p, v, rec, path, "index", &index, &src->pos)) != 0)
		return rc;
	if (file != NULL) {
		src->pos = fpos;
		if (strstr(file, "://") != NULL && strncmp(file, "file:", 5) != 0) {
			src->kind = DL_LOCKFILE_SOURCE_URL;
			src->url = file;
		} else {
			src->kind = DL_LOCKFILE_SOURCE_PATH;
			src->path = file;
		}
		return 0;
	}
	if (dir != NULL) {
		src->path = dir;
		src->kind = dl_lf_kind_from_name(dir) != DL_LOCKFILE_FILE_UNKNOWN ? DL_LOCKFILE_SOURCE_PATH
		                                                                 : DL_LOCKFILE_SOURCE_DIRECTORY;
		return 0;
	}
	src->kind = DL_LOCKFILE_SOURCE_REGISTRY;
	src->index_name = index;
	if (index != NULL) {
		for (size_t i = 0; i < ctx->n_indexes; i++) {
			if (ctx->indexes[i].name != NULL && strcmp(ctx->indexes[i].name, index) == 0)
				src->url = ctx->indexes[i].url;
		}
	}
	return 0;
}

static int read_meta(pf *p, json_t *meta, size_t mrec)
{
	lf_ctx *ctx = p->ctx;
	dl_lockfile *lock = ctx->lock;
	json_t *spec, *hash, *requires, *sources;
	size_t spec_rec, hash_rec, req_rec, src_rec;
	int rc;
	if ((rc = member(p, meta, mrec, "_meta", "pipfile-spec", JSON_INTEGER, &spec, &spec_rec)) != 0 ||
	    (rc = member(p, meta, mrec, "_meta", "hash", JSON_OBJECT, &hash, &hash_rec)) != 0 ||
	    (rc = member(p, meta, mrec, "_meta", "requires", JSON_OBJECT, &requires, &req_rec)) != 0 ||
	    (rc = member(p, meta, mrec, "_meta", "sources", JSON_ARRAY, &sources, &src_rec)) != 0)
		return rc;
	if (spec != NULL) {
		json_int_t n = json_integer_value(spec);
		lock->format_version_pos = rec_value(&p->sc, spec_rec);
		if (n > 6 || n < 1)
			return dl_lf_error(ctx, DL_EUNSUPPORTED, lock->format_version_pos,
			                   "pipfile-spec %lld is not supported: this reader knows 1 to 6", (long long)n);
		char text[24];
		snprintf(text, sizeof text, "%lld", (long long)n);
		if ((lock->format_version = dl_lf_strndup(ctx, text, strlen(text))) == NULL)
			return DL_ENOMEM;
	}
	if (hash != NULL) {
		const char *sha = NULL;
		if ((rc = str_member(p, hash, hash_rec, "_meta.hash", "sha256", &sha, NULL)) != 0)
			return rc;
		if (sha != NULL) {
			size_t n = strlen(sha) + 8;
			char *c = dl_arena_alloc(ctx->arena, n);
			if (c == NULL)
				return dl_error_oom();
			snprintf(c, n, "sha256:%s", sha);
			lock->content_hash = c;
		}
	}
	if (requires != NULL) {
		const char *full = NULL, *minor = NULL;
		dl_lockfile_pos fpos = {0, 0}, mpos = {0, 0};
		if ((rc = str_member(p, requires, req_rec, "_meta.requires", "python_full_version", &full, &fpos)) != 0 ||
		    (rc = str_member(p, requires, req_rec, "_meta.requires", "python_version", &minor, &mpos)) != 0)
			return rc;
		const char *v = full != NULL ? full : minor;
		if (v != NULL) {
			size_t n = strlen(v) + 5;
			char *c = dl_arena_alloc(ctx->arena, n);
			if (c == NULL)
				return dl_error_oom();
			snprintf(c, n, full != NULL ? "==%s" : "==%s.*", v);
			lock->requires_python = c;
			lock->requires_python_pos = full != NULL ? fpos : mpos;
		}
	}
	size_t ns = sources != NULL ? json_array_size(sources) : 0;
	size_t r = child_first(&p->sc, src_rec);
	for (size_t i = 0; i < ns; i++, r = child_next(&p->sc, r)) {
		json_t *s = json_array_get(sources, i);
		char path[48];
		snprintf(path, sizeof path, "_meta.sources[%zu]", i);
		if (!json_is_object(s))
			return dl_lf_error(ctx, DL_EPARSE, rec_value(&p->sc, r), "'%s' must be an object, found %s", path,
			                   json_type_name(s));
		const char *name = NULL, *url = NULL;
		dl_lockfile_pos upos = {0, 0};
		if ((rc = str_member(p, s, r, path, "name", &name, NULL)) != 0 ||
		    (rc = str_member(p, s, r, path, "url", &url, &upos)) != 0)
			return rc;
		if (url == NULL)
			return dl_lf_error(ctx, DL_EPARSE, rec_value(&p->sc, r), "'%s' has no 'url'", path);
		if ((rc = dl_lf_add_index(ctx, name, url, upos)) != 0)
			return rc;
	}
	return 0;
}

int dl_lf_read_pipfile(lf_ctx *ctx, const char *data, size_t len)
{
	dl_lockfile *lock = ctx->lock;
	json_error_t err;
	json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL) {
		dl_lockfile_pos pos = {err.line > 0 ? (uint32_t)err.line : 0, err.column > 0 ? (uint32_t)err.column : 0};
		return dl_lf_error(ctx, DL_EPARSE, pos, "invalid JSON: %s", err.text);
	}
	pf p = {ctx, {NULL, 0, 0}};
	int rc = scan_json(ctx, &p.sc, data, len);
	if (rc != 0)
		goto done;
	if (!json_is_object(root)) {
		dl_lockfile_pos start = {1, 1};
		rc = dl_lf_error(ctx, DL_EPARSE, start, "a Pipfile.lock must be a JSON object, found %s",
		                 json_type_name(root));
		goto done;
	}
	json_t *meta = json_object_get(root, "_meta");
	size_t mrec = member_rec(&p.sc, NONE, root, "_meta");
	if (meta == NULL) {
		dl_lockfile_pos start = {1, 1};
		rc = dl_lf_error(ctx, DL_EPARSE, start, "missing key '_meta': expected a Pipfile.lock");
		goto done;
	}
	if (!json_is_object(meta)) {
		rc = dl_lf_error(ctx, DL_EPARSE, rec_value(&p.sc, mrec), "'_meta' must be an object, found %s",
		                 json_type_name(meta));
		goto done;
	}
	if ((rc = read_meta(&p, meta, mrec)) != 0)
		goto done;

	/* Count the packages of every category first, to allocate once. */
	size_t total = 0;
	const char *key;
	json_t *cat;
	json_object_foreach(root, key, cat) {
		if (key[0] != '_' && json_is_object(cat))
			total += json_object_size(cat);
	}
	lock->packages = dl_lf_array(ctx, total, sizeof *lock->packages);
	if (lock->packages == NULL) {
		rc = DL_ENOMEM;
		goto done;
	}
	size_t crec = child_first(&p.sc, NONE);
	json_object_foreach(root, key, cat) {
		size_t this_rec = crec;
		crec = child_next(&p.sc, crec);
		if (key[0] == '_' || !json_is_object(cat))
			continue;
		const char *category = dl_lf_strndup(ctx, key, strlen(key));
		if (category == NULL || (rc = dl_lf_add_group(ctx, category)) != 0) {
			rc = DL_ENOMEM;
			goto done;
		}
		const char *name;
		json_t *v;
		size_t prec = child_first(&p.sc, this_rec);
		json_object_foreach(cat, name, v) {
			rc = read_package(&p, &lock->packages[lock->n_packages], category, name, v, prec);
			if (rc != 0)
				goto done;
			lock->n_packages++;
			prec = child_next(&p.sc, prec);
		}
	}
	rc = 0;
done:
	json_decref(root);
	return rc;
}
