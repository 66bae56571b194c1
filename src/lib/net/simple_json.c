/*
 * simple_json.c - PEP 691 JSON pages (with PEP 700, 708, 714, 740 and 792
 * fields) read with jansson.
 *
 * The document is decoded whole (jansson bounds nesting depth itself) with
 * duplicate keys refused, since two "url"s for one file would be read
 * differently by different clients.  The shape is then checked as it is
 * read: a value of the wrong type is an error naming its path
 * ("files[3].yanked: expected a boolean or a string, got an integer"),
 * because jansson keeps no positions once the text is decoded and a path
 * is what a reader can find in the page.  Unknown keys are ignored, as PEP
 * 691 asks, so that newer minor versions parse.  Absent and null optional
 * values mean the same; "hashes" is treated as optional although PEP 691
 * requires it, since real fixtures (poetry's) omit it.
 *
 * Two leniencies follow the installers: the metadata key is read as
 * "core-metadata", then "dist-info-metadata" (PEP 714), then the
 * "data-dist-info-metadata" that PyPI wrote in JSON before PEP 714 was
 * settled; and a "yanked" string that is empty still means yanked (PEP 691
 * asks for a non-empty reason; erring towards yanked is the safe side).
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "simple_page.h"

enum { T_STRING = 1, T_BOOL = 2, T_OBJECT = 4, T_ARRAY = 8, T_INT = 16 };

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "a value";
}

static int type_bit(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING: return T_STRING;
	case JSON_TRUE:
	case JSON_FALSE: return T_BOOL;
	case JSON_OBJECT: return T_OBJECT;
	case JSON_ARRAY: return T_ARRAY;
	case JSON_INTEGER: return T_INT;
	default: return 0;
	}
}

/*
 * Fetch obj[key] into *out, checking that its type is one of `types`
 * (described by `expected` for the message).  Absent or null gives NULL,
 * which is an error when `required`.  `prefix` is the JSON path of obj.
 */
static int member(dl_simple_ctx *ctx, json_t *obj, const char *key, int types, const char *expected, bool required,
                  const char *prefix, json_t **out)
{
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	const char *dot = prefix[0] != '\0' ? "." : "";
	if (v == NULL || json_is_null(v)) {
		if (required)
			return dl_simple_fail(ctx, DL_EPARSE, "%s%s%s: missing (expected %s)", prefix, dot, key,
			                      expected);
		return 0;
	}
	if ((type_bit(v) & types) == 0)
		return dl_simple_fail(ctx, DL_EPARSE, "%s%s%s: expected %s, got %s", prefix, dot, key, expected,
		                      type_name(v));
	*out = v;
	return 0;
}

/* Decode the text; a syntax error names jansson's line and column. */
static int load(dl_simple_ctx *ctx, const char *data, size_t len, json_t **root)
{
	json_error_t err;
	*root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err);
	if (*root != NULL)
		return 0;
	if (json_error_code(&err) == json_error_out_of_memory)
		return dl_error_oom();
	/* jansson quotes the input near the error: keep it printable. */
	char text[JSON_ERROR_TEXT_LENGTH];
	size_t i;
	for (i = 0; i + 1 < sizeof(text) && err.text[i] != '\0'; i++) {
		unsigned char c = (unsigned char)err.text[i];
		text[i] = (c < 0x20 || c == 0x7F) ? '?' : (char)c;
	}
	text[i] = '\0';
	return dl_simple_fail(ctx, DL_EPARSE, "invalid JSON at line %d, column %d: %s", err.line, err.column, text);
}

/* The "meta" object: PEP 629 version, and PyPI's serial. */
static int read_meta(dl_simple_ctx *ctx, json_t *root)
{
	json_t *meta, *v;
	int rc = member(ctx, root, "meta", T_OBJECT, "an object with \"api-version\"", true, "", &meta);
	if (rc == 0)
		rc = member(ctx, meta, "api-version", T_STRING, "a string", true, "meta", &v);
	if (rc == 0)
		rc = dl_simple_api_version(ctx, json_string_value(v), json_string_length(v), "meta.api-version");
	if (rc == 0)
		rc = member(ctx, meta, "_last-serial", T_INT, "an integer", false, "meta", &v);
	if (rc == 0 && v != NULL)
		ctx->last_serial = (int64_t)json_integer_value(v);
	return rc;
}

/* Hashes from a JSON object: unknown names ignored, bad values skip. */
static int read_hashes(dl_simple_ctx *ctx, json_t *obj, dl_simple_hashset *set, const char *path)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v)
	{
		if (!json_is_string(v))
			return dl_simple_fail(ctx, DL_EPARSE, "%s.%s: expected a string, got %s", path, key,
			                      type_name(v));
		int rc =
		    dl_simple_hash_add(ctx, set, key, strlen(key), json_string_value(v), json_string_length(v), path);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int read_metadata(dl_simple_ctx *ctx, json_t *file, const char *path, dl_index_core_metadata *out)
{
	static const char *const keys[] = {"core-metadata", "dist-info-metadata", "data-dist-info-metadata"};
	char sub[96];
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		json_t *v;
		int rc =
		    member(ctx, file, keys[k], T_BOOL | T_OBJECT, "a boolean or an object of hashes", false, path, &v);
		if (rc != 0)
			return rc;
		if (v == NULL)
			continue;
		if (json_is_boolean(v)) {
			out->available = json_is_true(v);
			return 0;
		}
		snprintf(sub, sizeof(sub), "%s.%s", path, keys[k]);
		dl_simple_hashset set = {{NULL}};
		rc = read_hashes(ctx, v, &set, sub);
		if (rc == DL_SIMPLE_SKIP)
			return 0; /* a bad metadata hash: fetch the file instead */
		if (rc != 0)
			return rc;
		out->available = true;
		return dl_simple_hashes_finish(ctx, &set, &out->hashes);
	}
	return 0;
}

/* One entry of "files".  Returns 0 (added or skipped) or an error. */
static int read_file(dl_simple_ctx *ctx, json_t *file, size_t index)
{
	char path[48];
	snprintf(path, sizeof(path), "files[%zu]", index);
	if (!json_is_object(file))
		return dl_simple_fail(ctx, DL_EPARSE, "%s: expected an object, got %s", path, type_name(file));
	dl_index_file f;
	memset(&f, 0, sizeof(f));
	f.size = -1;
	dl_simple_hashset set = {{NULL}};
	char *frag = NULL;
	json_t *v;
	int rc = member(ctx, file, "filename", T_STRING, "a string", true, path, &v);
	if (rc == 0)
		rc = dl_simple_check_filename(ctx, json_string_value(v), json_string_length(v), path);
	if (rc == 0)
		rc = dl_simple_str(ctx, &f.filename, json_string_value(v), json_string_length(v), "filename", path);
	if (rc == 0)
		rc = member(ctx, file, "url", T_STRING, "a string", true, path, &v);
	if (rc == 0)
		rc = dl_simple_resolve(ctx, json_string_value(v), json_string_length(v), path, &f.url, &frag, NULL);
	if (rc == 0)
		rc = member(ctx, file, "hashes", T_OBJECT, "an object", false, path, &v);
	if (rc == 0 && v != NULL) {
		char sub[64];
		snprintf(sub, sizeof(sub), "%s.hashes", path);
		rc = read_hashes(ctx, v, &set, sub);
	}
	/* A hash in the URL's fragment counts too, and must agree. */
	if (rc == 0 && frag != NULL)
		rc = dl_simple_fragment_hashes(ctx, &set, frag, path);
	dl_free(frag);
	if (rc == 0)
		rc = dl_simple_hashes_finish(ctx, &set, &f.hashes);
	if (rc == 0)
		rc = member(ctx, file, "requires-python", T_STRING, "a string", false, path, &v);
	if (rc == 0 && v != NULL)
		rc = dl_simple_str(ctx, &f.requires_python, json_string_value(v), json_string_length(v),
		                   "requires-python", path);
	if (rc == 0)
		rc = member(ctx, file, "yanked", T_BOOL | T_STRING, "a boolean or a string", false, path, &v);
	if (rc == 0 && v != NULL) {
		if (json_is_string(v)) {
			f.yanked = true;
			if (json_string_length(v) > 0)
				rc = dl_simple_str(ctx, &f.yanked_reason, json_string_value(v), json_string_length(v),
				                   "yanked reason", path);
		} else {
			f.yanked = json_is_true(v);
		}
	}
	if (rc == 0)
		rc = read_metadata(ctx, file, path, &f.core_metadata);
	if (rc == 0)
		rc = member(ctx, file, "gpg-sig", T_BOOL, "a boolean", false, path, &v);
	if (rc == 0 && v != NULL)
		f.gpg_sig = json_is_true(v);
	if (rc == 0)
		rc = member(ctx, file, "size", T_INT, "an integer", false, path, &v);
	if (rc == 0 && v != NULL) {
		if (json_integer_value(v) < 0)
			rc = dl_simple_fail(ctx, DL_EPARSE, "%s.size: expected a size in bytes, got %lld", path,
			                    (long long)json_integer_value(v));
		else
			f.size = (int64_t)json_integer_value(v);
	}
	if (rc == 0)
		rc = member(ctx, file, "upload-time", T_STRING, "a string", false, path, &v);
	if (rc == 0 && v != NULL)
		rc = dl_simple_str(ctx, &f.upload_time, json_string_value(v), json_string_length(v), "upload-time",
		                   path);
	if (rc == 0)
		rc = member(ctx, file, "provenance", T_STRING, "a string", false, path, &v);
	if (rc == 0 && v != NULL) {
		rc = dl_simple_resolve(ctx, json_string_value(v), json_string_length(v), path, &f.provenance, NULL,
		                       NULL);
		if (rc == DL_SIMPLE_SKIP)
			rc = 0; /* keep the file, drop the unusable provenance link */
	}
	if (rc == 0)
		rc = dl_simple_push_file(ctx, &f);
	return rc == DL_SIMPLE_SKIP ? 0 : rc;
}

/* An optional array of strings ("versions", "tracks", ...). */
static int read_strings(dl_simple_ctx *ctx, json_t *root, const char *key, bool urls, dl_simple_vec *vec, bool *present)
{
	json_t *arr;
	int rc = member(ctx, root, key, T_ARRAY, "an array of strings", false, "", &arr);
	if (rc != 0 || arr == NULL)
		return rc;
	if (present != NULL)
		*present = true;
	size_t i;
	json_t *v;
	char path[64];
	json_array_foreach(arr, i, v)
	{
		snprintf(path, sizeof(path), "%s[%zu]", key, i);
		if (!json_is_string(v))
			return dl_simple_fail(ctx, DL_EPARSE, "%s: expected a string, got %s", path, type_name(v));
		if (urls)
			rc = dl_simple_push_url(ctx, vec, json_string_value(v), json_string_length(v), path);
		else
			rc = dl_simple_push_string(ctx, vec, json_string_value(v), json_string_length(v), key, path);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int read_status(dl_simple_ctx *ctx, json_t *root)
{
	json_t *st, *v;
	int rc = member(ctx, root, "project-status", T_OBJECT, "an object", false, "", &st);
	if (rc != 0 || st == NULL)
		return rc;
	rc = member(ctx, st, "status", T_STRING, "a string", false, "project-status", &v);
	if (rc == 0 && v != NULL)
		rc = dl_simple_str(ctx, &ctx->status, json_string_value(v), json_string_length(v), "project status",
		                   "project-status.status");
	if (rc == 0)
		rc = member(ctx, st, "reason", T_STRING, "a string", false, "project-status", &v);
	if (rc == 0 && v != NULL)
		rc = dl_simple_str(ctx, &ctx->status_reason, json_string_value(v), json_string_length(v),
		                   "project status reason", "project-status.reason");
	return rc;
}

static int load_object(dl_simple_ctx *ctx, const char *data, size_t len, json_t **root)
{
	int rc = load(ctx, data, len, root);
	if (rc != 0)
		return rc;
	if (!json_is_object(*root)) {
		rc = dl_simple_fail(ctx, DL_EPARSE, "expected a JSON object at the top, got %s", type_name(*root));
		json_decref(*root);
		*root = NULL;
		return rc;
	}
	return read_meta(ctx, *root);
}

int dl_simple_json_page(dl_simple_ctx *ctx, const char *data, size_t len)
{
	json_t *root, *v;
	int rc = load_object(ctx, data, len, &root);
	if (root == NULL)
		return rc;
	if (rc == 0)
		rc = member(ctx, root, "name", T_STRING, "a string", false, "", &v);
	if (rc == 0 && v != NULL)
		rc = dl_simple_set_name(ctx, json_string_value(v), json_string_length(v));
	if (rc == 0)
		rc = read_strings(ctx, root, "versions", false, &ctx->versions, &ctx->has_versions);
	if (rc == 0)
		rc = read_strings(ctx, root, "tracks", true, &ctx->tracks, NULL);
	if (rc == 0)
		rc = read_strings(ctx, root, "alternate-locations", true, &ctx->alternates, NULL);
	if (rc == 0)
		rc = read_status(ctx, root);
	if (rc == 0)
		rc = member(ctx, root, "files", T_ARRAY, "an array", true, "", &v);
	if (rc == 0 && json_array_size(v) > ctx->max_files)
		rc = dl_simple_fail(ctx, DL_ELIMIT, "files: %zu entries, more than the limit of %zu",
		                    json_array_size(v), ctx->max_files);
	for (size_t i = 0; rc == 0 && i < json_array_size(v); i++)
		rc = read_file(ctx, json_array_get(v, i), i);
	json_decref(root);
	return rc;
}

int dl_simple_json_list(dl_simple_ctx *ctx, const char *data, size_t len)
{
	json_t *root, *arr;
	int rc = load_object(ctx, data, len, &root);
	if (root == NULL)
		return rc;
	if (rc == 0)
		rc = member(ctx, root, "projects", T_ARRAY, "an array", true, "", &arr);
	if (rc == 0)
		rc = dl_simple_base_as_directory(ctx);
	if (rc == 0 && json_array_size(arr) > ctx->max_files)
		rc = dl_simple_fail(ctx, DL_ELIMIT, "projects: %zu entries, more than the limit of %zu",
		                    json_array_size(arr), ctx->max_files);
	char path[48];
	for (size_t i = 0; rc == 0 && i < json_array_size(arr); i++) {
		json_t *p = json_array_get(arr, i), *name;
		snprintf(path, sizeof(path), "projects[%zu]", i);
		if (!json_is_object(p)) {
			rc = dl_simple_fail(ctx, DL_EPARSE, "%s: expected an object, got %s", path, type_name(p));
			break;
		}
		rc = member(ctx, p, "name", T_STRING, "a string", true, path, &name);
		if (rc == 0)
			rc = dl_simple_push_project(ctx, json_string_value(name), json_string_length(name), NULL, path);
		if (rc == DL_SIMPLE_SKIP)
			rc = 0;
	}
	json_decref(root);
	return rc;
}
