/*
 * lockfile_uv.c - uv.lock (version 1, any revision).
 *
 * uv writes one [[package]] per resolved distribution, with its source as
 * an inline table whose single key says the kind: registry (the index URL),
 * git (the repository URL with ?rev=/tag=/branch= and #commit), direct (an
 * archive URL), path (a local archive), directory, editable, virtual (a
 * project root that is not installed).  Files are `sdist` (one table) and
 * `wheels`, each with url/path/filename, a "sha256:..." hash, size and
 * upload-time, so whether an sdist exists is explicit.
 *
 * Dependencies come in three tables: `dependencies` (always), 
 * `optional-dependencies` (per extra) and `dev-dependencies` (per group);
 * each entry is read with the extra or group it belongs to.  A package's
 * `resolution-markers` (the forks of the resolution it belongs to) become its
 * marker, joined with "or", which is when it is selected.  The project
 * itself is marked root: a [manifest] member, or a package whose source is
 * editable or virtual ".".  [manifest] requirements, [options] and
 * [package.metadata] are not read.
 */
#include <stdio.h>
#include <string.h>

#include "deeplock/name.h"
#include "lock/lockfile_int.h"

/* Read a git source string "URL?rev=R#COMMIT" (also tag=, branch=, and
 * subdirectory=) into src. */
static int read_git(lf_ctx *ctx, dl_lockfile_source *src, const char *s)
{
	size_t len = strlen(s);
	const char *hash = strchr(s, '#');
	size_t end = hash != NULL ? (size_t)(hash - s) : len;
	const char *q = memchr(s, '?', end);
	size_t url_end = q != NULL ? (size_t)(q - s) : end;
	src->url = dl_lf_strndup(ctx, s, url_end);
	if (src->url == NULL)
		return DL_ENOMEM;
	if (hash != NULL && hash[1] != '\0' && (src->commit = dl_lf_strndup(ctx, hash + 1, len - end - 1)) == NULL)
		return DL_ENOMEM;
	size_t i = url_end;
	while (q != NULL && i < end) {
		i++; /* past '?' or '&' */
		size_t start = i;
		while (i < end && s[i] != '&')
			i++;
		const char *eq = memchr(s + start, '=', i - start);
		if (eq == NULL)
			continue;
		size_t klen = (size_t)(eq - (s + start));
		const char *val = eq + 1;
		size_t vlen = (size_t)(s + i - val);
		const char **slot = NULL;
		if (dl_slice_ieq(s + start, klen, "rev") || dl_slice_ieq(s + start, klen, "tag") ||
		    dl_slice_ieq(s + start, klen, "branch"))
			slot = &src->requested_revision;
		else if (dl_slice_ieq(s + start, klen, "subdirectory"))
			slot = &src->subdirectory;
		if (slot != NULL && (*slot = dl_lf_strndup(ctx, val, vlen)) == NULL)
			return DL_ENOMEM;
	}
	src->vcs = "git";
	return 0;
}

static int read_source(lf_ctx *ctx, dl_lockfile_package *p, const dl_toml_value *pkg)
{
	const dl_toml_value *t = NULL;
	int rc = dl_toml_get(&t, pkg, "source", DL_TOML_TABLE, false);
	if (rc != 0 || t == NULL)
		return rc;
	dl_lockfile_source *src = &p->source;
	src->pos = dl_lf_pos(t);
	static const struct {
		const char *key;
		dl_lockfile_source_kind kind;
	} kinds[] = {
		{"registry", DL_LOCKFILE_SOURCE_REGISTRY}, {"git", DL_LOCKFILE_SOURCE_VCS},
		{"direct", DL_LOCKFILE_SOURCE_URL},        {"path", DL_LOCKFILE_SOURCE_PATH},
		{"directory", DL_LOCKFILE_SOURCE_DIRECTORY}, {"editable", DL_LOCKFILE_SOURCE_DIRECTORY},
		{"virtual", DL_LOCKFILE_SOURCE_VIRTUAL},
	};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const char *s = NULL;
		dl_lockfile_pos pos;
		if ((rc = dl_lf_toml_str(ctx, t, kinds[i].key, false, &s, &pos)) != 0)
			return rc;
		if (s == NULL)
			continue;
		src->kind = kinds[i].kind;
		switch (kinds[i].kind) {
		case DL_LOCKFILE_SOURCE_VCS: rc = read_git(ctx, src, s); break;
		case DL_LOCKFILE_SOURCE_REGISTRY:
			/* A registry may be a local directory of files (a "flat" index). */
			src->url = s;
			rc = dl_lf_add_index(ctx, NULL, s, pos);
			break;
		case DL_LOCKFILE_SOURCE_URL: src->url = s; break;
		default:
			src->path = s;
			src->editable = strcmp(kinds[i].key, "editable") == 0;
			p->root = (src->editable || kinds[i].kind == DL_LOCKFILE_SOURCE_VIRTUAL) && strcmp(s, ".") == 0;
			break;
		}
		if (rc != 0)
			return rc;
		return dl_lf_toml_str(ctx, t, "subdirectory", false,
		                      src->subdirectory != NULL ? &s : &src->subdirectory, NULL);
	}
	return dl_toml_value_error(t, DL_EPARSE,
	                           "'source' must name one of registry, git, direct, path, directory, editable, "
	                           "virtual");
}

static int read_file(lf_ctx *ctx, dl_lockfile_file *f, const dl_toml_value *t, dl_lockfile_file_kind kind)
{
	int rc;
	if ((rc = dl_toml_expect(t, DL_TOML_TABLE)) != 0)
		return rc;
	f->pos = dl_lf_pos(t);
	f->kind = kind;
	f->size = -1;
	if ((rc = dl_lf_toml_str(ctx, t, "url", false, &f->url, NULL)) != 0 ||
	    (rc = dl_lf_toml_str(ctx, t, "path", false, &f->path, NULL)) != 0 ||
	    (rc = dl_lf_toml_str(ctx, t, "filename", false, &f->filename, NULL)) != 0 ||
	    (rc = dl_lf_toml_str(ctx, t, "upload-time", false, &f->upload_time, NULL)) != 0)
		return rc;
	if (f->filename == NULL && (rc = dl_lf_basename(ctx, f->url != NULL ? f->url : f->path, &f->filename)) != 0)
		return rc;
	const dl_toml_value *size = NULL, *hash = NULL;
	if ((rc = dl_toml_get(&size, t, "size", DL_TOML_INTEGER, false)) != 0 ||
	    (rc = dl_toml_get(&hash, t, "hash", DL_TOML_STRING, false)) != 0)
		return rc;
	if (size != NULL) {
		if (dl_toml_value_integer(size) < 0)
			return dl_toml_value_error(size, DL_EPARSE, "'size' must not be negative");
		f->size = dl_toml_value_integer(size);
	}
	if (hash != NULL) {
		f->hashes = dl_lf_array(ctx, 1, sizeof *f->hashes);
		if (f->hashes == NULL)
			return DL_ENOMEM;
		size_t len;
		const char *s = dl_toml_value_string(hash, &len);
		if ((rc = dl_lf_hash_colon(ctx, &f->hashes[0], s, len, NULL, dl_lf_pos(hash))) != 0)
			return rc;
		f->n_hashes = 1;
	}
	return 0;
}

static int read_files(lf_ctx *ctx, dl_lockfile_package *p, const dl_toml_value *pkg)
{
	const dl_toml_value *sdist = NULL, *wheels = NULL;
	int rc;
	if ((rc = dl_toml_get(&sdist, pkg, "sdist", DL_TOML_TABLE, false)) != 0 ||
	    (rc = dl_toml_get(&wheels, pkg, "wheels", DL_TOML_ARRAY, false)) != 0)
		return rc;
	size_t nw = wheels != NULL ? dl_toml_array_len(wheels) : 0;
	p->files = dl_lf_array(ctx, nw + (sdist != NULL), sizeof *p->files);
	if (p->files == NULL)
		return DL_ENOMEM;
	if (sdist != NULL) {
		if ((rc = read_file(ctx, &p->files[0], sdist, DL_LOCKFILE_FILE_SDIST)) != 0)
			return rc;
		p->n_files = 1;
	}
	for (size_t i = 0; i < nw; i++) {
		if ((rc = read_file(ctx, &p->files[p->n_files], dl_toml_array_at(wheels, i), DL_LOCKFILE_FILE_WHEEL)) != 0)
			return rc;
		p->n_files++;
	}
	return 0;
}

/* Append the entries of one dependency array, tagged with extra/group. */
static int read_dep_array(lf_ctx *ctx, dl_lockfile_package *p, size_t *cap, const dl_toml_value *arr,
                          const char *extra, const char *group)
{
	int rc;
	if ((rc = dl_toml_expect(arr, DL_TOML_ARRAY)) != 0)
		return rc;
	for (size_t i = 0; i < dl_toml_array_len(arr); i++) {
		const dl_toml_value *d = dl_toml_array_at(arr, i);
		if ((rc = dl_toml_expect(d, DL_TOML_TABLE)) != 0)
			return rc;
		dl_lockfile_dep *deps = dl_lf_grow(ctx, p->deps, p->n_deps, cap, sizeof *deps);
		if (deps == NULL)
			return DL_ENOMEM;
		p->deps = deps;
		dl_lockfile_dep *dep = &deps[p->n_deps];
		dep->pos = dl_lf_pos(d);
		dep->extra = extra;
		dep->group = group;
		const dl_toml_value *name = NULL;
		if ((rc = dl_toml_get(&name, d, "name", DL_TOML_STRING, true)) != 0)
			return dl_lf_required(rc);
		size_t len;
		const char *s = dl_toml_value_string(name, &len);
		if ((rc = dl_lf_name(ctx, s, len, &dep->name, &dep->normalized_name, dl_lf_pos(name))) != 0 ||
		    (rc = dl_lf_toml_str(ctx, d, "version", false, &dep->version, NULL)) != 0 ||
		    (rc = dl_lf_toml_str(ctx, d, "marker", false, &dep->marker, NULL)) != 0 ||
		    (rc = dl_lf_toml_strs(ctx, d, "extra", &dep->extras, &dep->n_extras)) != 0)
			return rc;
		p->n_deps++;
	}
	return 0;
}

/* `optional-dependencies` or `dev-dependencies`: name -> array. */
static int read_dep_tables(lf_ctx *ctx, dl_lockfile_package *p, size_t *cap, const dl_toml_value *pkg,
                           const char *key, bool is_group)
{
	const dl_toml_value *t = NULL;
	int rc = dl_toml_get(&t, pkg, key, DL_TOML_TABLE, false);
	if (rc != 0 || t == NULL)
		return rc;
	for (size_t i = 0; i < dl_toml_table_len(t); i++) {
		const char *k;
		size_t klen;
		const dl_toml_value *arr = dl_toml_table_at(t, i, &k, &klen);
		const char *name = dl_lf_strndup(ctx, k, klen);
		if (name == NULL)
			return DL_ENOMEM;
		if (is_group && p->root && (rc = dl_lf_add_group(ctx, name)) != 0)
			return rc;
		if ((rc = read_dep_array(ctx, p, cap, arr, is_group ? NULL : name, is_group ? name : NULL)) != 0)
			return rc;
	}
	return 0;
}

static int read_package(lf_ctx *ctx, dl_lockfile_package *p, const dl_toml_value *pkg,
                        const char *const *members, size_t n_members)
{
	int rc;
	if ((rc = dl_lf_toml_package_head(ctx, p, pkg, false)) != 0)
		return rc;
	if ((rc = read_source(ctx, p, pkg)) != 0)
		return rc;
	for (size_t i = 0; i < n_members; i++)
		if (strcmp(members[i], p->normalized_name) == 0)
			p->root = true;

	const dl_toml_value *forks = NULL;
	if ((rc = dl_toml_get(&forks, pkg, "resolution-markers", DL_TOML_ARRAY, false)) != 0)
		return rc;
	if (forks != NULL && dl_toml_array_len(forks) > 0) {
		dl_buf b = DL_BUF_INIT;
		size_t n = dl_toml_array_len(forks);
		for (size_t i = 0; i < n; i++) {
			const dl_toml_value *m = dl_toml_array_at(forks, i);
			if ((rc = dl_toml_expect(m, DL_TOML_STRING)) != 0) {
				dl_buf_free(&b);
				return rc;
			}
			size_t len;
			const char *ms = dl_toml_value_string(m, &len);
			if (n == 1)
				dl_buf_put(&b, ms, len);
			else
				dl_buf_printf(&b, "%s(%.*s)", i > 0 ? " or " : "", (int)len, ms);
		}
		if (b.failed != 0) {
			dl_buf_free(&b);
			return dl_error_oom();
		}
		p->marker = dl_lf_strndup(ctx, dl_buf_cstr(&b), b.len);
		p->marker_pos = dl_lf_pos(forks);
		dl_buf_free(&b);
		if (p->marker == NULL)
			return DL_ENOMEM;
	}
	if ((rc = read_files(ctx, p, pkg)) != 0)
		return rc;
	size_t cap = 0;
	const dl_toml_value *deps = NULL;
	if ((rc = dl_toml_get(&deps, pkg, "dependencies", DL_TOML_ARRAY, false)) != 0)
		return rc;
	if (deps != NULL && (rc = read_dep_array(ctx, p, &cap, deps, NULL, NULL)) != 0)
		return rc;
	if ((rc = read_dep_tables(ctx, p, &cap, pkg, "optional-dependencies", false)) != 0 ||
	    (rc = read_dep_tables(ctx, p, &cap, pkg, "dev-dependencies", true)) != 0)
		return rc;
	if (p->deps == NULL && (p->deps = dl_lf_array(ctx, 0, sizeof *p->deps)) == NULL)
		return DL_ENOMEM;
	return 0;
}

int dl_lf_read_uv(lf_ctx *ctx, const dl_toml_value *root)
{
	dl_lockfile *lock = ctx->lock;
	const dl_toml_value *v = NULL;
	dl_lockfile_pos start = {1, 1};
	if (dl_toml_table_get(root, "version") == NULL)
		return dl_lf_error(ctx, DL_EPARSE, start, "missing key 'version' (expected version = 1)");
	int rc = dl_toml_get(&v, root, "version", DL_TOML_INTEGER, true);
	if (rc != 0)
		return rc;
	lock->format_version_pos = dl_lf_pos(v);
	int64_t version = dl_toml_value_integer(v);
	if (version != 1)
		return dl_toml_value_error(v, DL_EUNSUPPORTED,
		                           "uv.lock version %lld is not supported: this reader knows version 1",
		                           (long long)version);
	const dl_toml_value *revision = NULL;
	if ((rc = dl_toml_get(&revision, root, "revision", DL_TOML_INTEGER, false)) != 0)
		return rc;
	char text[48];
	if (revision != NULL)
		snprintf(text, sizeof text, "1 (revision %lld)", (long long)dl_toml_value_integer(revision));
	else
		snprintf(text, sizeof text, "1");
	if ((lock->format_version = dl_lf_strndup(ctx, text, strlen(text))) == NULL)
		return DL_ENOMEM;
	if ((rc = dl_lf_toml_str(ctx, root, "requires-python", false, &lock->requires_python,
	                         &lock->requires_python_pos)) != 0 ||
	    (rc = dl_lf_toml_strs(ctx, root, "supported-markers", &lock->environments, &lock->n_environments)) != 0)
		return rc;

	const char *const *members = NULL;
	size_t n_members = 0;
	const dl_toml_value *manifest = NULL;
	if ((rc = dl_toml_get(&manifest, root, "manifest", DL_TOML_TABLE, false)) != 0)
		return rc;
	if (manifest != NULL && (rc = dl_lf_toml_strs(ctx, manifest, "members", &members, &n_members)) != 0)
		return rc;
	for (size_t i = 0; i < n_members; i++) {
		/* Compared with normalised package names below. */
		char *m = (char *)members[i];
		dl_name_normalize_into(m, m, strlen(m));
	}

	const dl_toml_value *packages = NULL;
	if ((rc = dl_toml_get(&packages, root, "package", DL_TOML_ARRAY, false)) != 0)
		return rc;
	size_t n = packages != NULL ? dl_toml_array_len(packages) : 0;
	lock->packages = dl_lf_array(ctx, n, sizeof *lock->packages);
	if (lock->packages == NULL)
		return DL_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if ((rc = read_package(ctx, &lock->packages[i], dl_toml_array_at(packages, i), members, n_members)) != 0)
			return rc;
		lock->n_packages++;
	}
	return 0;
}
