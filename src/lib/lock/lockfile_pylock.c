/*
 * lockfile_pylock.c - pylock.toml (PEP 751, lock-version 1.x).
 *
 * The format is the closest to the model: each [[packages]] entry names
 * exactly one source among vcs, directory, archive, or distribution files
 * (sdist and/or wheels, with `index`), so the source kind comes from which
 * table is present and the sdist question has an explicit answer.  PEP 751
 * makes vcs, directory and archive mutually exclusive with each other and
 * with sdist/wheels; an entry that mixes them is refused, since an installer
 * could not tell which one the locker meant.  Files without an index and
 * with only local paths are a PATH source (pip's test locks), those with a
 * URL or an index a REGISTRY.  [[packages.dependencies]] entries are
 * informational in the PEP; they are read as name plus whatever else they
 * pin (version, marker).  [tool] and [packages.tool] are ignored.
 */
#include <string.h>

#include "lock/lockfile_int.h"

/* Read `hashes = { alg = "hex", ... }` (at least one entry) into f. */
static int read_hashes(lf_ctx *ctx, dl_lockfile_file *f, const dl_toml_value *tbl)
{
	const dl_toml_value *hashes = NULL;
	int rc = dl_toml_get(&hashes, tbl, "hashes", DL_TOML_TABLE, true);
	if (rc != 0)
		return dl_lf_required(rc);
	size_t n = dl_toml_table_len(hashes);
	if (n == 0)
		return dl_toml_value_error(hashes, DL_EPARSE, "'hashes' must hold at least one hash");
	f->hashes = dl_lf_array(ctx, n, sizeof *f->hashes);
	if (f->hashes == NULL)
		return DL_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *alg;
		size_t alen, hlen;
		const dl_toml_value *v = dl_toml_table_at(hashes, i, &alg, &alen);
		if ((rc = dl_toml_expect(v, DL_TOML_STRING)) != 0)
			return rc;
		const char *hex = dl_toml_value_string(v, &hlen);
		if ((rc = dl_lf_hash_set(ctx, &f->hashes[i], alg, alen, hex, hlen, dl_lf_pos(v))) != 0)
			return rc;
	}
	f->n_hashes = n;
	return 0;
}

/* Read one file table (sdist, a wheel, or the archive). */
static int read_file(lf_ctx *ctx, dl_lockfile_file *f, const dl_toml_value *tbl, dl_lockfile_file_kind kind)
{
	int rc;
	f->pos = dl_lf_pos(tbl);
	f->size = -1;
	if ((rc = dl_lf_toml_str(ctx, tbl, "name", false, &f->filename, NULL)) != 0 ||
	    (rc = dl_lf_toml_str(ctx, tbl, "url", false, &f->url, NULL)) != 0 ||
	    (rc = dl_lf_toml_str(ctx, tbl, "path", false, &f->path, NULL)) != 0)
		return rc;
	if (f->url == NULL && f->path == NULL)
		return dl_toml_value_error(tbl, DL_EPARSE, "a file needs 'url' or 'path'");
	const dl_toml_value *size = NULL;
	if ((rc = dl_toml_get(&size, tbl, "size", DL_TOML_INTEGER, false)) != 0)
		return rc;
	if (size != NULL) {
		if (dl_toml_value_integer(size) < 0)
			return dl_toml_value_error(size, DL_EPARSE, "'size' must not be negative");
		f->size = dl_toml_value_integer(size);
	}
	const dl_toml_value *when = dl_toml_table_get(tbl, "upload-time");
	if (when != NULL) {
		const dl_toml_datetime *dt = dl_toml_value_datetime(when);
		if (dt == NULL)
			return dl_toml_value_error(when, DL_EPARSE, "'upload-time' must be a date-time, found %s",
			                           dl_toml_type_name(dl_toml_value_type(when)));
		dl_buf b = DL_BUF_INIT;
		rc = dl_toml_datetime_format(&b, dl_toml_value_type(when), dt);
		if (rc == 0) {
			f->upload_time = dl_lf_strndup(ctx, dl_buf_cstr(&b), b.len);
			rc = f->upload_time == NULL ? DL_ENOMEM : 0;
		} else if (rc != DL_ENOMEM) {
			rc = dl_toml_value_error(when, DL_EPARSE, "'upload-time' is not a valid date-time");
		} else {
			dl_error_oom();
		}
		dl_buf_free(&b);
		if (rc != 0)
			return rc;
	}
	if ((rc = read_hashes(ctx, f, tbl)) != 0)
		return rc;
	if (f->filename == NULL && (rc = dl_lf_basename(ctx, f->url != NULL ? f->url : f->path, &f->filename)) != 0)
		return rc;
	if (kind == DL_LOCKFILE_FILE_ARCHIVE && dl_lf_kind_from_name(f->filename) == DL_LOCKFILE_FILE_WHEEL)
		kind = DL_LOCKFILE_FILE_WHEEL; /* an archive that is a wheel needs no build */
	f->kind = kind;
	return 0;
}

static int read_optional_table(const dl_toml_value *pkg, const char *key, const dl_toml_value **out)
{
	return dl_toml_get(out, pkg, key, DL_TOML_TABLE, false);
}

static int read_deps(lf_ctx *ctx, dl_lockfile_package *p, const dl_toml_value *pkg)
{
	const dl_toml_value *deps = NULL;
	int rc = dl_toml_get(&deps, pkg, "dependencies", DL_TOML_ARRAY, false);
	if (rc != 0 || deps == NULL)
		return rc;
	size_t n = dl_toml_array_len(deps);
	p->deps = dl_lf_array(ctx, n, sizeof *p->deps);
	if (p->deps == NULL)
		return DL_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const dl_toml_value *d = dl_toml_array_at(deps, i);
		dl_lockfile_dep *dep = &p->deps[i];
		if ((rc = dl_toml_expect(d, DL_TOML_TABLE)) != 0)
			return rc;
		dep->pos = dl_lf_pos(d);
		const dl_toml_value *name = NULL;
		if ((rc = dl_toml_get(&name, d, "name", DL_TOML_STRING, true)) != 0)
			return dl_lf_required(rc);
		size_t len;
		const char *s = dl_toml_value_string(name, &len);
		if ((rc = dl_lf_name(ctx, s, len, &dep->name, &dep->normalized_name, dl_lf_pos(name))) != 0 ||
		    (rc = dl_lf_toml_str(ctx, d, "version", false, &dep->version, NULL)) != 0 ||
		    (rc = dl_lf_toml_str(ctx, d, "marker", false, &dep->marker, NULL)) != 0)
			return rc;
	}
	p->n_deps = n;
	return 0;
}

static int read_package(lf_ctx *ctx, dl_lockfile_package *p, const dl_toml_value *pkg)
{
	int rc;
	if ((rc = dl_lf_toml_package_head(ctx, p, pkg, false)) != 0)
		return rc;
	if ((rc = dl_lf_toml_str(ctx, pkg, "marker", false, &p->marker, &p->marker_pos)) != 0 ||
	    (rc = dl_lf_toml_str(ctx, pkg, "requires-python", false, &p->requires_python, NULL)) != 0)
		return rc;
	if ((rc = read_deps(ctx, p, pkg)) != 0)
		return rc;

	const dl_toml_value *vcs = NULL, *dir = NULL, *archive = NULL, *sdist = NULL, *wheels = NULL;
	if ((rc = read_optional_table(pkg, "vcs", &vcs)) != 0 || (rc = read_optional_table(pkg, "directory", &dir)) != 0 ||
	    (rc = read_optional_table(pkg, "archive", &archive)) != 0 ||
	    (rc = read_optional_table(pkg, "sdist", &sdist)) != 0 ||
	    (rc = dl_toml_get(&wheels, pkg, "wheels", DL_TOML_ARRAY, false)) != 0)
		return rc;
	int exclusive = (vcs != NULL) + (dir != NULL) + (archive != NULL);
	if (exclusive > 1 || (exclusive == 1 && (sdist != NULL || wheels != NULL)))
		return dl_toml_value_error(pkg, DL_EPARSE,
		                           "package '%s' names more than one source: 'vcs', 'directory', 'archive' "
		                           "and 'sdist'/'wheels' exclude each other",
		                           p->name);

	dl_lockfile_source *src = &p->source;
	if ((rc = dl_lf_toml_str(ctx, pkg, "index", false, &src->url, NULL)) != 0)
		return rc;
	if (vcs != NULL) {
		src->kind = DL_LOCKFILE_SOURCE_VCS;
		src->pos = dl_lf_pos(vcs);
		src->url = NULL;
		if ((rc = dl_lf_toml_str(ctx, vcs, "type", true, &src->vcs, NULL)) != 0 ||
		    (rc = dl_lf_toml_str(ctx, vcs, "url", false, &src->url, NULL)) != 0 ||
		    (rc = dl_lf_toml_str(ctx, vcs, "path", false, &src->path, NULL)) != 0 ||
		    (rc = dl_lf_toml_str(ctx, vcs, "requested-revision", false, &src->requested_revision, NULL)) != 0 ||
		    (rc = dl_lf_toml_str(ctx, vcs, "commit-id", true, &src->commit, NULL)) != 0 ||
		    (rc = dl_lf_toml_str(ctx, vcs, "subdirectory", false, &src->subdirectory, NULL)) != 0)
			return rc;
		if (src->url == NULL && src->path == NULL)
			return dl_toml_value_error(vcs, DL_EPARSE, "'vcs' needs 'url' or 'path'");
		p->files = dl_lf_array(ctx, 0, sizeof *p->files);
		return p->files == NULL ? DL_ENOMEM : 0;
	}
	if (dir != NULL) {
		dl_lockfile_tristate editable = DL_LOCKFILE_NO;
		src->kind = DL_LOCKFILE_SOURCE_DIRECTORY;
		src->pos = dl_lf_pos(dir);
		src->url = NULL;
		if ((rc = dl_lf_toml_str(ctx, dir, "path", true, &src->path, NULL)) != 0 ||
		    (rc = dl_lf_toml_str(ctx, dir, "subdirectory", false, &src->subdirectory, NULL)) != 0 ||
		    (rc = dl_lf_toml_bool(dir, "editable", &editable)) != 0)
			return rc;
		src->editable = editable == DL_LOCKFILE_YES;
		p->files = dl_lf_array(ctx, 0, sizeof *p->files);
		return p->files == NULL ? DL_ENOMEM : 0;
	}
	if (archive != NULL) {
		src->pos = dl_lf_pos(archive);
		src->url = NULL;
		p->files = dl_lf_array(ctx, 1, sizeof *p->files);
		if (p->files == NULL)
			return DL_ENOMEM;
		if ((rc = read_file(ctx, &p->files[0], archive, DL_LOCKFILE_FILE_ARCHIVE)) != 0 ||
		    (rc = dl_lf_toml_str(ctx, archive, "subdirectory", false, &src->subdirectory, NULL)) != 0)
			return rc;
		p->n_files = 1;
		src->kind = p->files[0].url != NULL ? DL_LOCKFILE_SOURCE_URL : DL_LOCKFILE_SOURCE_PATH;
		src->url = p->files[0].url;
		src->path = p->files[0].path;
		return 0;
	}
	size_t nwheels = wheels != NULL ? dl_toml_array_len(wheels) : 0;
	size_t nfiles = nwheels + (sdist != NULL);
	p->files = dl_lf_array(ctx, nfiles, sizeof *p->files);
	if (p->files == NULL)
		return DL_ENOMEM;
	bool any_url = false;
	if (sdist != NULL) {
		if ((rc = read_file(ctx, &p->files[p->n_files], sdist, DL_LOCKFILE_FILE_SDIST)) != 0)
			return rc;
		any_url |= p->files[p->n_files].url != NULL;
		p->n_files++;
	}
	for (size_t i = 0; i < nwheels; i++) {
		const dl_toml_value *w = dl_toml_array_at(wheels, i);
		if ((rc = dl_toml_expect(w, DL_TOML_TABLE)) != 0)
			return rc;
		if ((rc = read_file(ctx, &p->files[p->n_files], w, DL_LOCKFILE_FILE_WHEEL)) != 0)
			return rc;
		any_url |= p->files[p->n_files].url != NULL;
		p->n_files++;
	}
	if (src->url != NULL || any_url) {
		src->kind = DL_LOCKFILE_SOURCE_REGISTRY;
		if ((rc = dl_lf_add_index(ctx, NULL, src->url, dl_lf_pos(dl_toml_table_get(pkg, "index")))) != 0)
			return rc;
	} else if (nfiles > 0) {
		src->kind = DL_LOCKFILE_SOURCE_PATH;
		src->path = p->files[0].path;
	}
	return 0;
}

int dl_lf_read_pylock(lf_ctx *ctx, const dl_toml_value *root)
{
	dl_lockfile *lock = ctx->lock;
	const dl_toml_value *v = NULL;
	dl_lockfile_pos start = {1, 1};
	if (dl_toml_table_get(root, "lock-version") == NULL)
		return dl_lf_error(ctx, DL_EPARSE, start, "missing key 'lock-version' (expected lock-version = \"1.0\")");
	if (dl_toml_table_get(root, "created-by") == NULL)
		return dl_lf_error(ctx, DL_EPARSE, start, "missing key 'created-by' (the tool that wrote the lock)");
	if (dl_toml_table_get(root, "packages") == NULL)
		return dl_lf_error(ctx, DL_EPARSE, start, "missing key 'packages' (expected [[packages]] entries)");
	int rc = dl_toml_get(&v, root, "lock-version", DL_TOML_STRING, true);
	if (rc != 0)
		return rc;
	lock->format_version_pos = dl_lf_pos(v);
	if ((rc = dl_lf_toml_strv(ctx, v, &lock->format_version)) != 0)
		return rc;
	long major = dl_lf_major(lock->format_version);
	if (major < 0)
		return dl_toml_value_error(v, DL_EPARSE, "'lock-version' must be a version such as \"1.0\", found \"%.40s\"",
		                           lock->format_version);
	if (major != 1)
		return dl_toml_value_error(v, DL_EUNSUPPORTED,
		                           "lock-version %.40s is not supported: this reader knows lock-version 1.x",
		                           lock->format_version);
	if ((rc = dl_lf_toml_str(ctx, root, "created-by", true, &lock->created_by, NULL)) != 0 ||
	    (rc = dl_lf_toml_str(ctx, root, "requires-python", false, &lock->requires_python,
	                         &lock->requires_python_pos)) != 0 ||
	    (rc = dl_lf_toml_strs(ctx, root, "environments", &lock->environments, &lock->n_environments)) != 0 ||
	    (rc = dl_lf_toml_strs(ctx, root, "extras", &lock->extras, &lock->n_extras)) != 0 ||
	    (rc = dl_lf_toml_strs(ctx, root, "dependency-groups", &lock->groups, &lock->n_groups)) != 0 ||
	    (rc = dl_lf_toml_strs(ctx, root, "default-groups", &lock->default_groups, &lock->n_default_groups)) != 0)
		return rc;
	for (size_t i = 0; i < lock->n_groups; i++)
		if ((rc = dl_lf_add_group(ctx, lock->groups[i])) != 0)
			return rc;

	const dl_toml_value *packages = NULL;
	if ((rc = dl_toml_get(&packages, root, "packages", DL_TOML_ARRAY, true)) != 0)
		return dl_lf_required(rc);
	size_t n = dl_toml_array_len(packages);
	lock->packages = dl_lf_array(ctx, n, sizeof *lock->packages);
	if (lock->packages == NULL)
		return DL_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if ((rc = read_package(ctx, &lock->packages[i], dl_toml_array_at(packages, i))) != 0)
			return rc;
		lock->n_packages++;
	}
	return 0;
}
