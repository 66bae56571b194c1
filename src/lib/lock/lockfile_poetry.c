/*
 * lockfile_poetry.c - poetry.lock, lock-version 1.x and 2.x.
 *
 * Poetry has written three layouts over the years, all read here:
 *   2.x  files = [{file, hash}] inside each [[package]]; `groups` and
 *        `markers` (a string, or a table of group -> marker) per package;
 *   1.x  files in [metadata.files] as package name -> [{file, hash}] and a
 *        `category` ("main" / "dev") per package;
 *   the oldest 1.0 locks [metadata.hashes] as name -> ["hex", ...] with no
 *        file names (sha256 is implied), read as files without names.
 * Files under [metadata] are keyed by name, not by version, so when a lock
 * holds two versions of one project each gets the whole list; that is what
 * the lock says.
 *
 * A package without [package.source] comes from the tool's default index
 * (REGISTRY with no URL).  Source types: legacy (a named index), git (and
 * hg), directory, file, url.  `develop` marks an editable directory.
 * Dependencies are read from [package.dependencies] as poetry writes them:
 * a constraint string in poetry's own syntax ("^1.2", ">=1,<2 || >3"), a
 * table with version/markers/extras, or an array of such tables (one
 * dependency entry each).  [package.extras] only repeats which of those
 * dependencies an extra enables, so it is not read.
 */
#include <string.h>

#include "deeplock/name.h"
#include "lock/lockfile_int.h"

static int read_dep_table(lf_ctx *ctx, dl_lockfile_dep *dep, const dl_toml_value *t)
{
	int rc;
	if ((rc = dl_lf_toml_str(ctx, t, "version", false, &dep->specifier, NULL)) != 0 ||
	    (rc = dl_lf_toml_str(ctx, t, "markers", false, &dep->marker, NULL)) != 0 ||
	    (rc = dl_lf_toml_strs(ctx, t, "extras", &dep->extras, &dep->n_extras)) != 0)
		return rc;
	return 0;
}

static int read_deps(lf_ctx *ctx, dl_lockfile_package *p, const dl_toml_value *pkg)
{
	const dl_toml_value *t = NULL;
	int rc = dl_toml_get(&t, pkg, "dependencies", DL_TOML_TABLE, false);
	if (rc != 0)
		return rc;
	size_t n = t != NULL ? dl_toml_table_len(t) : 0, total = 0;
	for (size_t i = 0; i < n; i++) {
		const dl_toml_value *v = dl_toml_table_at(t, i, NULL, NULL);
		total += dl_toml_value_type(v) == DL_TOML_ARRAY ? dl_toml_array_len(v) : 1;
	}
	p->deps = dl_lf_array(ctx, total, sizeof *p->deps);
	if (p->deps == NULL)
		return DL_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *key;
		size_t klen;
		const dl_toml_value *v = dl_toml_table_at(t, i, &key, &klen);
		dl_toml_type type = dl_toml_value_type(v);
		size_t count = type == DL_TOML_ARRAY ? dl_toml_array_len(v) : 1;
		for (size_t j = 0; j < count; j++) {
			const dl_toml_value *item = type == DL_TOML_ARRAY ? dl_toml_array_at(v, j) : v;
			dl_lockfile_dep *dep = &p->deps[p->n_deps];
			dep->pos = dl_lf_pos(item);
			if ((rc = dl_lf_name(ctx, key, klen, &dep->name, &dep->normalized_name, dl_lf_pos(v))) != 0)
				return rc;
			switch (dl_toml_value_type(item)) {
			case DL_TOML_STRING: rc = dl_lf_toml_strv(ctx, item, &dep->specifier); break;
			case DL_TOML_TABLE: rc = read_dep_table(ctx, dep, item); break;
			default:
				rc = dl_toml_value_error(item, DL_EPARSE,
				                         "dependency '%s' must be a constraint string or a table, found %s",
				                         dep->name, dl_toml_type_name(dl_toml_value_type(item)));
			}
			if (rc != 0)
				return rc;
			p->n_deps++;
		}
	}
	return 0;
}

/* Read [{file = NAME, hash = "alg:hex"}, ...] into *files. */
static int read_file_list(lf_ctx *ctx, const dl_toml_value *arr, dl_lockfile_file **files, size_t *n)
{
	int rc;
	if ((rc = dl_toml_expect(arr, DL_TOML_ARRAY)) != 0)
		return rc;
	size_t len = dl_toml_array_len(arr);
	dl_lockfile_file *f = dl_lf_array(ctx, len, sizeof *f);
	if (f == NULL)
		return DL_ENOMEM;
	for (size_t i = 0; i < len; i++) {
		const dl_toml_value *e = dl_toml_array_at(arr, i);
		if ((rc = dl_toml_expect(e, DL_TOML_TABLE)) != 0)
			return rc;
		f[i].pos = dl_lf_pos(e);
		f[i].size = -1;
		const dl_toml_value *hash = NULL;
		if ((rc = dl_lf_toml_str(ctx, e, "file", true, &f[i].filename, NULL)) != 0 ||
		    (rc = dl_lf_toml_str(ctx, e, "url", false, &f[i].url, NULL)) != 0)
			return rc;
		if ((rc = dl_toml_get(&hash, e, "hash", DL_TOML_STRING, true)) != 0)
			return dl_lf_required(rc);
		f[i].hashes = dl_lf_array(ctx, 1, sizeof *f[i].hashes);
		if (f[i].hashes == NULL)
			return DL_ENOMEM;
		size_t hlen;
		const char *s = dl_toml_value_string(hash, &hlen);
		if ((rc = dl_lf_hash_colon(ctx, &f[i].hashes[0], s, hlen, NULL, dl_lf_pos(hash))) != 0)
			return rc;
		f[i].n_hashes = 1;
		f[i].kind = dl_lf_kind_from_name(f[i].filename);
	}
	*files = f;
	*n = len;
	return 0;
}

/* The oldest layout: ["hex", "sha256:hex", ...] without file names. */
static int read_hash_list(lf_ctx *ctx, const dl_toml_value *arr, dl_lockfile_file **files, size_t *n)
{
	int rc;
	if ((rc = dl_toml_expect(arr, DL_TOML_ARRAY)) != 0)
		return rc;
	size_t len = dl_toml_array_len(arr);
	dl_lockfile_file *f = dl_lf_array(ctx, len, sizeof *f);
	if (f == NULL)
		return DL_ENOMEM;
	for (size_t i = 0; i < len; i++) {
		const dl_toml_value *e = dl_toml_array_at(arr, i);
		if ((rc = dl_toml_expect(e, DL_TOML_STRING)) != 0)
			return rc;
		f[i].pos = dl_lf_pos(e);
		f[i].size = -1;
		f[i].hashes = dl_lf_array(ctx, 1, sizeof *f[i].hashes);
		if (f[i].hashes == NULL)
			return DL_ENOMEM;
		size_t hlen;
		const char *s = dl_toml_value_string(e, &hlen);
		if ((rc = dl_lf_hash_colon(ctx, &f[i].hashes[0], s, hlen, "sha256", f[i].pos)) != 0)
			return rc;
		f[i].n_hashes = 1;
	}
	*files = f;
	*n = len;
	return 0;
}

static int read_source(lf_ctx *ctx, dl_lockfile_package *p, const dl_toml_value *pkg, bool develop)
{
	dl_lockfile_source *src = &p->source;
	const dl_toml_value *t = NULL;
	int rc = dl_toml_get(&t, pkg, "source", DL_TOML_TABLE, false);
	if (rc != 0)
		return rc;
	if (t == NULL) {
		src->kind = DL_LOCKFILE_SOURCE_REGISTRY; /* the default index */
		return 0;
	}
	src->pos = dl_lf_pos(t);
	const char *type = NULL, *url = NULL, *reference = NULL;
	dl_lockfile_pos url_pos = src->pos;
	if ((rc = dl_lf_toml_str(ctx, t, "type", true, &type, NULL)) != 0 ||
	    (rc = dl_lf_toml_str(ctx, t, "url", false, &url, &url_pos)) != 0 ||
	    (rc = dl_lf_toml_str(ctx, t, "reference", false, &reference, NULL)) != 0 ||
	    (rc = dl_lf_toml_str(ctx, t, "resolved_reference", false, &src->commit, NULL)) != 0 ||
	    (rc = dl_lf_toml_str(ctx, t, "subdirectory", false, &src->subdirectory, NULL)) != 0)
		return rc;
	if (strcmp(type, "legacy") == 0 || strcmp(type, "pypi") == 0) {
		src->kind = DL_LOCKFILE_SOURCE_REGISTRY;
		src->url = url;
		src->index_name = reference;
		return dl_lf_add_index(ctx, reference, url, url_pos);
	}
	if (strcmp(type, "git") == 0 || strcmp(type, "hg") == 0 || strcmp(type, "svn") == 0 ||
	    strcmp(type, "bzr") == 0) {
		src->kind = DL_LOCKFILE_SOURCE_VCS;
		src->vcs = type;
		src->url = url;
		src->requested_revision = reference;
		src->editable = develop;
		return 0;
	}
	if (strcmp(type, "directory") == 0) {
		src->kind = DL_LOCKFILE_SOURCE_DIRECTORY;
		src->path = url;
		src->editable = develop;
	} else if (strcmp(type, "file") == 0) {
		src->kind = DL_LOCKFILE_SOURCE_PATH;
		src->path = url;
	} else if (strcmp(type, "url") == 0) {
		src->kind = DL_LOCKFILE_SOURCE_URL;
		src->url = url;
	} else {
		/* A source type newer than this reader: keep what it says. */
		src->kind = DL_LOCKFILE_SOURCE_UNKNOWN;
		src->url = url;
	}
	return 0;
}

static int read_groups(lf_ctx *ctx, dl_lockfile_package *p, const dl_toml_value *pkg)
{
	const dl_toml_value *groups = NULL, *markers = NULL, *category = NULL;
	int rc;
	if ((rc = dl_toml_get(&groups, pkg, "groups", DL_TOML_ARRAY, false)) != 0 ||
	    (rc = dl_toml_get(&category, pkg, "category", DL_TOML_STRING, false)) != 0)
		return rc;
	markers = dl_toml_table_get(pkg, "markers");
	if (markers != NULL && dl_toml_value_type(markers) == DL_TOML_STRING) {
		p->marker_pos = dl_lf_pos(markers);
		if ((rc = dl_lf_toml_strv(ctx, markers, &p->marker)) != 0)
			return rc;
	} else if (markers != NULL && dl_toml_value_type(markers) != DL_TOML_TABLE) {
		return dl_toml_value_error(markers, DL_EPARSE, "'markers' must be a string or a table, found %s",
		                           dl_toml_type_name(dl_toml_value_type(markers)));
	}
	if (groups != NULL) {
		size_t n = dl_toml_array_len(groups);
		p->groups = dl_lf_array(ctx, n, sizeof *p->groups);
		if (p->groups == NULL)
			return DL_ENOMEM;
		bool main = false;
		for (size_t i = 0; i < n; i++) {
			const dl_toml_value *g = dl_toml_array_at(groups, i);
			if ((rc = dl_toml_expect(g, DL_TOML_STRING)) != 0)
				return rc;
			dl_lockfile_group *grp = &p->groups[i];
			grp->pos = dl_lf_pos(g);
			if ((rc = dl_lf_toml_strv(ctx, g, &grp->name)) != 0 || (rc = dl_lf_add_group(ctx, grp->name)) != 0)
				return rc;
			main |= strcmp(grp->name, "main") == 0;
			if (markers != NULL && dl_toml_value_type(markers) == DL_TOML_TABLE &&
			    (rc = dl_lf_toml_str(ctx, markers, grp->name, false, &grp->marker, NULL)) != 0)
				return rc;
		}
		p->n_groups = n;
		if (n > 0)
			p->dev = main ? DL_LOCKFILE_NO : DL_LOCKFILE_YES;
	} else if (category != NULL) {
		p->groups = dl_lf_array(ctx, 1, sizeof *p->groups);
		if (p->groups == NULL)
			return DL_ENOMEM;
		p->groups[0].pos = dl_lf_pos(category);
		if ((rc = dl_lf_toml_strv(ctx, category, &p->groups[0].name)) != 0 ||
		    (rc = dl_lf_add_group(ctx, p->groups[0].name)) != 0)
			return rc;
		p->n_groups = 1;
		p->dev = strcmp(p->groups[0].name, "dev") == 0 ? DL_LOCKFILE_YES : DL_LOCKFILE_NO;
	}
	return 0;
}

static int read_package(lf_ctx *ctx, dl_lockfile_package *p, const dl_toml_value *pkg)
{
	int rc;
	if ((rc = dl_lf_toml_package_head(ctx, p, pkg, true)) != 0)
		return rc;
	dl_lockfile_tristate develop = DL_LOCKFILE_NO;
	if ((rc = dl_lf_toml_str(ctx, pkg, "python-versions", false, &p->requires_python, NULL)) != 0 ||
	    (rc = dl_lf_toml_bool(pkg, "optional", &p->optional)) != 0 ||
	    (rc = dl_lf_toml_bool(pkg, "develop", &develop)) != 0 ||
	    (rc = read_groups(ctx, p, pkg)) != 0 || (rc = read_source(ctx, p, pkg, develop == DL_LOCKFILE_YES)) != 0 ||
	    (rc = read_deps(ctx, p, pkg)) != 0)
		return rc;
	const dl_toml_value *files = dl_toml_table_get(pkg, "files");
	if (files != NULL)
		return read_file_list(ctx, files, &p->files, &p->n_files);
	p->files = dl_lf_array(ctx, 0, sizeof *p->files);
	return p->files == NULL ? DL_ENOMEM : 0;
}

/* [metadata.files] / [metadata.hashes]: give each package the files under
 * its name. */
static int read_metadata_files(lf_ctx *ctx, const dl_toml_value *meta, const char *key, bool named)
{
	const dl_toml_value *t = NULL;
	int rc = dl_toml_get(&t, meta, key, DL_TOML_TABLE, false);
	if (rc != 0 || t == NULL)
		return rc;
	dl_lockfile *lock = ctx->lock;
	for (size_t i = 0; i < dl_toml_table_len(t); i++) {
		const char *k;
		size_t klen;
		const dl_toml_value *arr = dl_toml_table_at(t, i, &k, &klen);
		dl_lockfile_file *files = NULL;
		size_t n = 0;
		rc = named ? read_file_list(ctx, arr, &files, &n) : read_hash_list(ctx, arr, &files, &n);
		if (rc != 0)
			return rc;
		for (size_t j = 0; j < lock->n_packages; j++) {
			dl_lockfile_package *p = &lock->packages[j];
			if (p->n_files == 0 && dl_name_eq(p->name, strlen(p->name), k, klen)) {
				p->files = files;
				p->n_files = n;
			}
		}
	}
	return 0;
}

int dl_lf_read_poetry(lf_ctx *ctx, const dl_toml_value *root)
{
	dl_lockfile *lock = ctx->lock;
	const dl_toml_value *meta = NULL;
	dl_lockfile_pos start = {1, 1};
	if (dl_toml_table_get(root, "metadata") == NULL)
		return dl_lf_error(ctx, DL_EPARSE, start, "missing table [metadata] (expected [metadata] with lock-version)");
	int rc = dl_toml_get(&meta, root, "metadata", DL_TOML_TABLE, true);
	if (rc != 0)
		return rc;
	const dl_toml_value *v = NULL;
	if ((rc = dl_toml_get(&v, meta, "lock-version", DL_TOML_STRING, false)) != 0)
		return rc;
	if (v != NULL) {
		lock->format_version_pos = dl_lf_pos(v);
		if ((rc = dl_lf_toml_strv(ctx, v, &lock->format_version)) != 0)
			return rc;
		long major = dl_lf_major(lock->format_version);
		if (major < 0)
			return dl_toml_value_error(v, DL_EPARSE,
			                           "'lock-version' must be a version such as \"2.1\", found \"%.40s\"",
			                           lock->format_version);
		if (major < 1 || major > 2)
			return dl_toml_value_error(v, DL_EUNSUPPORTED,
			                           "poetry.lock lock-version %.40s is not supported: this reader knows "
			                           "lock-version 1.x and 2.x",
			                           lock->format_version);
	}
	if ((rc = dl_lf_toml_str(ctx, meta, "python-versions", false, &lock->requires_python,
	                         &lock->requires_python_pos)) != 0 ||
	    (rc = dl_lf_toml_str(ctx, meta, "content-hash", false, &lock->content_hash, NULL)) != 0)
		return rc;

	const dl_toml_value *packages = NULL;
	if ((rc = dl_toml_get(&packages, root, "package", DL_TOML_ARRAY, false)) != 0)
		return rc;
	size_t n = packages != NULL ? dl_toml_array_len(packages) : 0;
	lock->packages = dl_lf_array(ctx, n, sizeof *lock->packages);
	if (lock->packages == NULL)
		return DL_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if ((rc = read_package(ctx, &lock->packages[i], dl_toml_array_at(packages, i))) != 0)
			return rc;
		lock->n_packages++;
	}
	if ((rc = read_metadata_files(ctx, meta, "files", true)) != 0 ||
	    (rc = read_metadata_files(ctx, meta, "hashes", false)) != 0)
		return rc;
	return 0;
}
