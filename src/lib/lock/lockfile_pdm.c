/*
 * lockfile_pdm.c - pdm.lock, lock_version 4.x.
 *
 * PDM writes [metadata] (groups, strategy, lock_version, content_hash and,
 * since 4.5, [[metadata.targets]] with requires_python / platform /
 * implementation) and one [[package]] per locked candidate.  A package that
 * stands for a project with extras ("coverage[toml]") is a separate entry
 * with `extras`, so the same name may appear twice.  Files are
 * [{file = NAME, hash = "sha256:..."}] or, with the static_urls strategy,
 * [{url = URL, hash = ...}].  Dependencies are PEP 508 strings, kept whole
 * in `text` and split into name, extras, specifier and marker here with a
 * small scanner (PDM writes them normalised; the requirement parser is not
 * used because a lock may hold URL forms it rejects, and a dependency that
 * does not start with a valid name is the only error).
 *
 * Sources: `git` (with `ref` and `revision`), `hg`, `svn`, `bzr`; `url` (a
 * direct archive); `path` (a directory, or a local archive when the path
 * ends like one) with `editable`; none of these means the configured index.
 * With exactly one target, its requires_python is the lock's; targets with a
 * platform or implementation become descriptive environment strings
 * ("requires_python >=3.10; platform manylinux_2_17_x86_64").  Versions
 * before 4.0 used a different layout and are refused.
 */
#include <string.h>

#include "lock/lockfile_int.h"

static size_t skip_ws(const char *s, size_t i, size_t len)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

/* Split a PEP 508 string into the parts the model keeps. */
static int read_requirement(lf_ctx *ctx, dl_lockfile_dep *dep, const dl_toml_value *v)
{
	size_t len;
	const char *s = dl_toml_value_string(v, &len);
	int rc;
	if ((rc = dl_lf_toml_strv(ctx, v, &dep->text)) != 0)
		return rc;
	size_t i = skip_ws(s, 0, len), start = i;
	while (i < len && (dl_isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '_' || s[i] == '.'))
		i++;
	if ((rc = dl_lf_name(ctx, s + start, i - start, &dep->name, &dep->normalized_name, dl_lf_pos(v))) != 0)
		return rc;
	/* The marker: after the first ';' that is not inside the URL of a
	 * "name @ URL" form (which needs whitespace before its ';'). */
	const char *semi = NULL;
	for (size_t j = i; j < len; j++) {
		if (s[j] == ';' && (memchr(s + i, '@', j - i) == NULL || s[j - 1] == ' ' || s[j - 1] == '\t')) {
			semi = s + j;
			break;
		}
	}
	size_t rest_end = semi != NULL ? (size_t)(semi - s) : len;
	if (semi != NULL) {
		size_t m = skip_ws(s, rest_end + 1, len), mend = len;
		while (mend > m && (s[mend - 1] == ' ' || s[mend - 1] == '\t'))
			mend--;
		if (mend > m && (dep->marker = dl_lf_strndup(ctx, s + m, mend - m)) == NULL)
			return DL_ENOMEM;
	}
	i = skip_ws(s, i, rest_end);
	if (i < rest_end && s[i] == '[') {
		const char *close = memchr(s + i, ']', rest_end - i);
		if (close == NULL)
			return dl_toml_value_error(v, DL_EPARSE, "dependency '%.*s': '[' without ']'",
			                           (int)(len > 100 ? 100 : len), s);
		size_t n = 1;
		for (const char *c = s + i; c < close; c++)
			n += *c == ',';
		const char **extras = dl_lf_array(ctx, n, sizeof *extras);
		if (extras == NULL)
			return DL_ENOMEM;
		size_t k = 0, j = i + 1, end = (size_t)(close - s);
		while (j <= end) {
			size_t e = j;
			while (e < end && s[e] != ',')
				e++;
			size_t a = skip_ws(s, j, e), b = e;
			while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
				b--;
			if (b > a && (extras[k++] = dl_lf_strndup(ctx, s + a, b - a)) == NULL)
				return DL_ENOMEM;
			j = e + 1;
		}
		dep->extras = extras;
		dep->n_extras = k;
		i = skip_ws(s, end + 1, rest_end);
	}
	size_t e = rest_end;
	while (e > i && (s[e - 1] == ' ' || s[e - 1] == '\t'))
		e--;
	if (e > i && (dep->specifier = dl_lf_strndup(ctx, s + i, e - i)) == NULL)
		return DL_ENOMEM;
	return 0;
}

static int read_files(lf_ctx *ctx, dl_lockfile_package *p, const dl_toml_value *pkg)
{
	const dl_toml_value *arr = NULL;
	int rc = dl_toml_get(&arr, pkg, "files", DL_TOML_ARRAY, false);
	if (rc != 0)
		return rc;
	size_t n = arr != NULL ? dl_toml_array_len(arr) : 0;
	p->files = dl_lf_array(ctx, n, sizeof *p->files);
	if (p->files == NULL)
		return DL_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const dl_toml_value *e = dl_toml_array_at(arr, i);
		dl_lockfile_file *f = &p->files[i];
		if ((rc = dl_toml_expect(e, DL_TOML_TABLE)) != 0)
			return rc;
		f->pos = dl_lf_pos(e);
		f->size = -1;
		if ((rc = dl_lf_toml_str(ctx, e, "file", false, &f->filename, NULL)) != 0 ||
		    (rc = dl_lf_toml_str(ctx, e, "url", false, &f->url, NULL)) != 0)
			return rc;
		if (f->filename == NULL && f->url == NULL)
			return dl_toml_value_error(e, DL_EPARSE, "a file needs 'file' or 'url'");
		if (f->filename == NULL && (rc = dl_lf_basename(ctx, f->url, &f->filename)) != 0)
			return rc;
		const dl_toml_value *hash = NULL;
		if ((rc = dl_toml_get(&hash, e, "hash", DL_TOML_STRING, true)) != 0)
			return dl_lf_required(rc);
		f->hashes = dl_lf_array(ctx, 1, sizeof *f->hashes);
		if (f->hashes == NULL)
			return DL_ENOMEM;
		size_t hlen;
		const char *s = dl_toml_value_string(hash, &hlen);
		if ((rc = dl_lf_hash_colon(ctx, &f->hashes[0], s, hlen, NULL, dl_lf_pos(hash))) != 0)
			return rc;
		f->n_hashes = 1;
		f->kind = dl_lf_kind_from_name(f->filename);
		p->n_files++;
	}
	return 0;
}

static int read_source(lf_ctx *ctx, dl_lockfile_package *p, const dl_toml_value *pkg)
{
	dl_lockfile_source *src = &p->source;
	dl_lockfile_tristate editable = DL_LOCKFILE_NO;
	int rc;
	if ((rc = dl_lf_toml_bool(pkg, "editable", &editable)) != 0 ||
	    (rc = dl_lf_toml_str(ctx, pkg, "subdirectory", false, &src->subdirectory, NULL)) != 0)
		return rc;
	src->editable = editable == DL_LOCKFILE_YES;
	static const char *const vcs[] = {"git", "hg", "svn", "bzr"};
	for (size_t i = 0; i < sizeof(vcs) / sizeof(vcs[0]); i++) {
		if ((rc = dl_lf_toml_str(ctx, pkg, vcs[i], false, &src->url, &src->pos)) != 0)
			return rc;
		if (src->url != NULL) {
			src->kind = DL_LOCKFILE_SOURCE_VCS;
			src->vcs = vcs[i];
			if ((rc = dl_lf_toml_str(ctx, pkg, "ref", false, &src->requested_revision, NULL)) != 0 ||
			    (rc = dl_lf_toml_str(ctx, pkg, "revision", false, &src->commit, NULL)) != 0)
				return rc;
			return 0;
		}
	}
	if ((rc = dl_lf_toml_str(ctx, pkg, "url", false, &src->url, &src->pos)) != 0)
		return rc;
	if (src->url != NULL) {
		src->kind = DL_LOCKFILE_SOURCE_URL;
		return 0;
	}
	if ((rc = dl_lf_toml_str(ctx, pkg, "path", false, &src->path, &src->pos)) != 0)
		return rc;
	if (src->path != NULL) {
		src->kind = dl_lf_kind_from_name(src->path) != DL_LOCKFILE_FILE_UNKNOWN ? DL_LOCKFILE_SOURCE_PATH
		                                                                       : DL_LOCKFILE_SOURCE_DIRECTORY;
		return 0;
	}
	src->kind = DL_LOCKFILE_SOURCE_REGISTRY;
	return 0;
}

static int read_package(lf_ctx *ctx, dl_lockfile_package *p, const dl_toml_value *pkg)
{
	int rc;
	if ((rc = dl_lf_toml_package_head(ctx, p, pkg, false)) != 0)
		return rc;
	if ((rc = dl_lf_toml_str(ctx, pkg, "requires_python", false, &p->requires_python, NULL)) != 0 ||
	    (rc = dl_lf_toml_str(ctx, pkg, "marker", false, &p->marker, &p->marker_pos)) != 0 ||
	    (rc = dl_lf_toml_strs(ctx, pkg, "extras", &p->extras, &p->n_extras)) != 0 ||
	    (rc = read_source(ctx, p, pkg)) != 0 || (rc = read_files(ctx, p, pkg)) != 0)
		return rc;

	const dl_toml_value *groups = NULL, *deps = NULL;
	if ((rc = dl_toml_get(&groups, pkg, "groups", DL_TOML_ARRAY, false)) != 0 ||
	    (rc = dl_toml_get(&deps, pkg, "dependencies", DL_TOML_ARRAY, false)) != 0)
		return rc;
	size_t ng = groups != NULL ? dl_toml_array_len(groups) : 0;
	p->groups = dl_lf_array(ctx, ng, sizeof *p->groups);
	if (p->groups == NULL)
		return DL_ENOMEM;
	for (size_t i = 0; i < ng; i++) {
		const dl_toml_value *g = dl_toml_array_at(groups, i);
		if ((rc = dl_toml_expect(g, DL_TOML_STRING)) != 0)
			return rc;
		p->groups[i].pos = dl_lf_pos(g);
		if ((rc = dl_lf_toml_strv(ctx, g, &p->groups[i].name)) != 0)
			return rc;
	}
	p->n_groups = ng;
	size_t nd = deps != NULL ? dl_toml_array_len(deps) : 0;
	p->deps = dl_lf_array(ctx, nd, sizeof *p->deps);
	if (p->deps == NULL)
		return DL_ENOMEM;
	for (size_t i = 0; i < nd; i++) {
		const dl_toml_value *d = dl_toml_array_at(deps, i);
		if ((rc = dl_toml_expect(d, DL_TOML_STRING)) != 0)
			return rc;
		p->deps[i].pos = dl_lf_pos(d);
		if ((rc = read_requirement(ctx, &p->deps[i], d)) != 0)
			return rc;
	}
	p->n_deps = nd;
	return 0;
}

static int read_targets(lf_ctx *ctx, const dl_toml_value *meta)
{
	dl_lockfile *lock = ctx->lock;
	const dl_toml_value *targets = NULL;
	int rc = dl_toml_get(&targets, meta, "targets", DL_TOML_ARRAY, false);
	if (rc != 0 || targets == NULL)
		return rc;
	size_t n = dl_toml_array_len(targets);
	const char **envs = dl_lf_array(ctx, n, sizeof *envs);
	if (envs == NULL)
		return DL_ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const dl_toml_value *t = dl_toml_array_at(targets, i);
		if ((rc = dl_toml_expect(t, DL_TOML_TABLE)) != 0)
			return rc;
		const char *py = NULL, *platform = NULL, *impl = NULL;
		dl_lockfile_pos pos = {0, 0};
		if ((rc = dl_lf_toml_str(ctx, t, "requires_python", false, &py, &pos)) != 0 ||
		    (rc = dl_lf_toml_str(ctx, t, "platform", false, &platform, NULL)) != 0 ||
		    (rc = dl_lf_toml_str(ctx, t, "implementation", false, &impl, NULL)) != 0)
			return rc;
		if (n == 1 && lock->requires_python == NULL && py != NULL) {
			lock->requires_python = py;
			lock->requires_python_pos = pos;
		}
		if (platform == NULL && impl == NULL)
			continue;
		dl_buf b = DL_BUF_INIT;
		const char *sep = "";
		if (py != NULL) {
			dl_buf_printf(&b, "requires_python %s", py);
			sep = "; ";
		}
		if (platform != NULL) {
			dl_buf_printf(&b, "%splatform %s", sep, platform);
			sep = "; ";
		}
		if (impl != NULL)
			dl_buf_printf(&b, "%simplementation %s", sep, impl);
		if (b.failed != 0) {
			dl_buf_free(&b);
			return dl_error_oom();
		}
		envs[k] = dl_lf_strndup(ctx, dl_buf_cstr(&b), b.len);
		dl_buf_free(&b);
		if (envs[k++] == NULL)
			return DL_ENOMEM;
	}
	lock->environments = envs;
	lock->n_environments = k;
	return 0;
}

int dl_lf_read_pdm(lf_ctx *ctx, const dl_toml_value *root)
{
	dl_lockfile *lock = ctx->lock;
	const dl_toml_value *meta = NULL, *v = NULL;
	dl_lockfile_pos start = {1, 1};
	if (dl_toml_table_get(root, "metadata") == NULL)
		return dl_lf_error(ctx, DL_EPARSE, start, "missing table [metadata] (expected [metadata] with lock_version)");
	int rc = dl_toml_get(&meta, root, "metadata", DL_TOML_TABLE, true);
	if (rc != 0)
		return rc;
	if ((rc = dl_toml_get(&v, meta, "lock_version", DL_TOML_STRING, true)) != 0)
		return dl_lf_required(rc);
	lock->format_version_pos = dl_lf_pos(v);
	if ((rc = dl_lf_toml_strv(ctx, v, &lock->format_version)) != 0)
		return rc;
	long major = dl_lf_major(lock->format_version);
	if (major < 0)
		return dl_toml_value_error(v, DL_EPARSE, "'lock_version' must be a version such as \"4.5.0\", found \"%.40s\"",
		                           lock->format_version);
	if (major != 4)
		return dl_toml_value_error(v, DL_EUNSUPPORTED,
		                           "pdm.lock lock_version %.40s is not supported: this reader knows lock_version 4.x",
		                           lock->format_version);
	const char *const *groups = NULL;
	size_t ngroups = 0;
	if ((rc = dl_lf_toml_str(ctx, meta, "content_hash", false, &lock->content_hash, NULL)) != 0 ||
	    (rc = dl_lf_toml_str(ctx, meta, "requires_python", false, &lock->requires_python,
	                         &lock->requires_python_pos)) != 0 ||
	    (rc = dl_lf_toml_strs(ctx, meta, "groups", &groups, &ngroups)) != 0 || (rc = read_targets(ctx, meta)) != 0)
		return rc;
	for (size_t i = 0; i < ngroups; i++)
		if ((rc = dl_lf_add_group(ctx, groups[i])) != 0)
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
	return 0;
}
