/*
 * lockfile.c - the lock-file model's common half: format names and
 * detection, the parse entry point that hands a document to one reader per
 * format (lockfile_<format>.c), and the checks they share.
 *
 * The model lives in one arena, created here and handed to the reader, so a
 * reader never frees anything: on any failure the whole arena goes, which
 * keeps the error paths of five readers trivially leak-free.  Arrays whose
 * length the input tells in advance (a TOML array, a JSON object) are
 * allocated once at that length; the few lists that grow while reading
 * (indexes, groups) double inside the arena.
 *
 * Hash checks know the digest lengths of hashlib's guaranteed algorithms;
 * another algorithm is accepted when its value is an even number of hex
 * digits, because formats may add algorithms and refusing a whole lock for
 * that would help nobody.
 */
#include <stdio.h>
#include <string.h>

#include "deeplock/name.h"
#include "deeplock/version.h"
#include "lock/lockfile_int.h"

static const struct {
	dl_lockfile_format fmt;
	const char *short_name;
	const char *file_name;
} formats[] = {
	{DL_LOCKFILE_PYLOCK, "pylock", "pylock.toml"},
	{DL_LOCKFILE_POETRY, "poetry", "poetry.lock"},
	{DL_LOCKFILE_PDM, "pdm", "pdm.lock"},
	{DL_LOCKFILE_PIPFILE, "pipfile", "Pipfile.lock"},
	{DL_LOCKFILE_UV, "uv", "uv.lock"},
	{DL_LOCKFILE_REQUIREMENTS, "requirements", "requirements.txt"},
};

#define N_FORMATS (sizeof(formats) / sizeof(formats[0]))

const char *dl_lockfile_format_name(dl_lockfile_format fmt)
{
	for (size_t i = 0; i < N_FORMATS; i++)
		if (formats[i].fmt == fmt)
			return formats[i].short_name;
	return "unknown";
}

int dl_lockfile_format_from_name(dl_lockfile_format *out, const char *name)
{
	if (name == NULL)
		return dl_error_set(DL_EINVAL, "no lock-file format named");
	for (size_t i = 0; i < N_FORMATS; i++) {
		if (dl_slice_ieq(name, strlen(name), formats[i].short_name) ||
		    dl_slice_ieq(name, strlen(name), formats[i].file_name)) {
			*out = formats[i].fmt;
			return 0;
		}
	}
	return dl_error_set(DL_EINVAL,
	                    "unknown lock-file format '%.100s': expected pylock, poetry, pdm, pipfile, uv or requirements",
	                    name);
}

const char *dl_lockfile_source_kind_name(dl_lockfile_source_kind kind)
{
	switch (kind) {
	case DL_LOCKFILE_SOURCE_REGISTRY: return "registry";
	case DL_LOCKFILE_SOURCE_URL: return "url";
	case DL_LOCKFILE_SOURCE_PATH: return "path";
	case DL_LOCKFILE_SOURCE_DIRECTORY: return "directory";
	case DL_LOCKFILE_SOURCE_VCS: return "vcs";
	case DL_LOCKFILE_SOURCE_VIRTUAL: return "virtual";
	default: return "unknown";
	}
}

const char *dl_lockfile_file_kind_name(dl_lockfile_file_kind kind)
{
	switch (kind) {
	case DL_LOCKFILE_FILE_WHEEL: return "wheel";
	case DL_LOCKFILE_FILE_SDIST: return "sdist";
	case DL_LOCKFILE_FILE_ARCHIVE: return "archive";
	default: return "unknown";
	}
}

/* ------------------------------------------------------------------ */
/* Detection                                                            */

static bool ends_with_i(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);
	return len >= n && dl_slice_ieq(s + len - n, n, suffix);
}

/* The format a file name says, or UNKNOWN.  A canonical name may also
 * follow a '.' ("app.poetry.lock"), the way copies of locks are kept. */
static dl_lockfile_format format_from_file_name(const char *path)
{
	if (path == NULL)
		return DL_LOCKFILE_UNKNOWN_FORMAT;
	const char *base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	size_t len = strlen(base);
	/* PEP 751: pylock.toml or pylock.<name>.toml with no '.' in <name>. */
	if (len >= 11 && strncmp(base, "pylock.", 7) == 0 && strcmp(base + len - 5, ".toml") == 0) {
		const char *mid = base + 7;
		size_t midlen = len - 12;
		if (len == 11 || (len > 12 && memchr(mid, '.', midlen) == NULL))
			return DL_LOCKFILE_PYLOCK;
	}
	for (size_t i = 0; i < N_FORMATS; i++) {
		const char *fn = formats[i].file_name;
		if (formats[i].fmt == DL_LOCKFILE_REQUIREMENTS)
			continue;
		size_t n = strlen(fn);
		if (len == n && dl_slice_ieq(base, len, fn))
			return formats[i].fmt;
		if (len > n && ends_with_i(base, len, fn) && base[len - n - 1] == '.')
			return formats[i].fmt;
	}
	if (ends_with_i(base, len, ".txt"))
		return DL_LOCKFILE_REQUIREMENTS;
	return DL_LOCKFILE_UNKNOWN_FORMAT;
}

/* First significant line of a text, for the requirements heuristic. */
static bool looks_like_requirements(const char *data, size_t len)
{
	size_t i = 0;
	while (i < len) {
		size_t start = i;
		while (i < len && data[i] != '\n')
			i++;
		size_t end = i;
		i++;
		while (start < end && dl_isspace((unsigned char)data[start]))
			start++;
		if (start == end || data[start] == '#')
			continue;
		/* An option ("-r", "--hash", "-e") or a name followed by a
		 * specifier, '[', '@', ';' or the end of the line. */
		if (data[start] == '-')
			return true;
		if (!dl_isalnum((unsigned char)data[start]))
			return false;
		size_t j = start;
		while (j < end && (dl_isalnum((unsigned char)data[j]) || data[j] == '-' || data[j] == '_' ||
		                   data[j] == '.'))
			j++;
		while (j < end && (data[j] == ' ' || data[j] == '\t'))
			j++;
		if (j == end || data[j] == '\r')
			return true;
		return strchr("=<>!~[@;", data[j]) != NULL;
	}
	return false;
}

static dl_lockfile_format format_from_toml(const dl_toml_value *root)
{
	const dl_toml_value *meta = dl_toml_table_get(root, "metadata");
	bool lock_version = dl_toml_table_get(root, "lock-version") != NULL;
	bool created_by = dl_toml_table_get(root, "created-by") != NULL;
	if ((lock_version && created_by) || ((lock_version || created_by) && dl_toml_table_get(root, "packages") != NULL))
		return DL_LOCKFILE_PYLOCK;
	if (meta != NULL && dl_toml_value_type(meta) == DL_TOML_TABLE) {
		if (dl_toml_table_get(meta, "lock-version") != NULL || dl_toml_table_get(meta, "content-hash") != NULL)
			return DL_LOCKFILE_POETRY;
		if (dl_toml_table_get(meta, "lock_version") != NULL || dl_toml_table_get(meta, "content_hash") != NULL)
			return DL_LOCKFILE_PDM;
	}
	const dl_toml_value *version = dl_toml_table_get(root, "version");
	if (version != NULL && dl_toml_value_type(version) == DL_TOML_INTEGER &&
	    dl_toml_table_get(root, "package") != NULL)
		return DL_LOCKFILE_UV;
	return DL_LOCKFILE_UNKNOWN_FORMAT;
}

int dl_lockfile_detect(const char *path, const char *data, size_t len, dl_lockfile_format *out)
{
	const char *what = path != NULL ? path : "<input>";
	dl_lockfile_format fmt = format_from_file_name(path);
	if (fmt != DL_LOCKFILE_UNKNOWN_FORMAT) {
		*out = fmt;
		return 0;
	}
	if (data == NULL)
		return dl_error_set(DL_EINVAL,
		                    "%s: cannot tell the lock-file format from the name (expected pylock.toml, "
		                    "pylock.NAME.toml, poetry.lock, pdm.lock, Pipfile.lock, uv.lock or *.txt); "
		                    "use --format",
		                    what);
	size_t i = 0;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < len && dl_isspace((unsigned char)data[i]))
		i++;
	if (i < len && data[i] == '{') {
		/* A JSON object: Pipfile.lock is the only JSON lock.  Looking for
		 * the key is enough to choose; the reader checks the rest. */
		static const char key[] = "\"_meta\"";
		for (size_t j = i; j + sizeof(key) - 1 <= len; j++) {
			if (memcmp(data + j, key, sizeof(key) - 1) == 0) {
				*out = DL_LOCKFILE_PIPFILE;
				return 0;
			}
		}
		return dl_error_set(DL_EINVAL, "%s: cannot tell the lock-file format: a JSON object without "
		                               "\"_meta\" is not a Pipfile.lock; use --format",
		                    what);
	}
	dl_toml_doc *doc = NULL;
	dl_toml_parse_options opts = DL_TOML_PARSE_OPTIONS_INIT;
	opts.max_input = DL_LOCKFILE_MAX_INPUT;
	int rc = dl_toml_parse(&doc, data, len, what, &opts);
	if (rc == DL_ENOMEM)
		return rc;
	if (rc == 0) {
		fmt = format_from_toml(dl_toml_doc_root(doc));
		dl_toml_doc_free(doc);
		if (fmt != DL_LOCKFILE_UNKNOWN_FORMAT) {
			*out = fmt;
			return 0;
		}
		return dl_error_set(DL_EINVAL,
		                    "%s: cannot tell the lock-file format: a TOML document with none of "
		                    "lock-version + created-by (pylock), [metadata] lock-version or content-hash "
		                    "(poetry), [metadata] lock_version or content_hash (pdm), version + "
		                    "[[package]] (uv); use --format",
		                    what);
	}
	if (looks_like_requirements(data + i, len - i)) {
		*out = DL_LOCKFILE_REQUIREMENTS;
		return 0;
	}
	return dl_error_set(DL_EINVAL,
	                    "%s: cannot tell the lock-file format: the name is not a known lock-file name and "
	                    "the content is neither a Pipfile.lock JSON object, nor TOML, nor a requirements "
	                    "file; use --format",
	                    what);
}

/* ------------------------------------------------------------------ */
/* Shared helpers                                                       */

int dl_lf_required(int rc)
{
	if (rc != DL_ENOTFOUND)
		return rc;
	char msg[1024];
	snprintf(msg, sizeof msg, "%s", dl_error_last()->message);
	return dl_error_set(DL_EPARSE, "%s", msg);
}

dl_lockfile_pos dl_lf_pos(const dl_toml_value *v)
{
	dl_lockfile_pos p = {0, 0};
	if (v != NULL) {
		unsigned long l = dl_toml_value_line(v), c = dl_toml_value_column(v);
		p.line = l > UINT32_MAX ? UINT32_MAX : (uint32_t)l;
		p.column = c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
	}
	return p;
}

char *dl_lf_strndup(lf_ctx *ctx, const char *s, size_t len)
{
	char *p = dl_arena_strndup(ctx->arena, s, len);
	if (p == NULL)
		dl_error_oom();
	return p;
}

void *dl_lf_array(lf_ctx *ctx, size_t n, size_t size)
{
	void *p = dl_arena_calloc(ctx->arena, n, size);
	if (p == NULL)
		dl_error_oom();
	return p;
}

void *dl_lf_grow(lf_ctx *ctx, void *arr, size_t n, size_t *cap, size_t size)
{
	if (arr != NULL && n < *cap) {
		memset((char *)arr + n * size, 0, size);
		return arr;
	}
	size_t ncap = *cap < 4 ? 4 : *cap;
	while (ncap <= n) {
		if (ncap > SIZE_MAX / 2) {
			dl_error_oom();
			return NULL;
		}
		ncap *= 2;
	}
	void *p = dl_lf_array(ctx, ncap, size);
	if (p == NULL)
		return NULL;
	if (arr != NULL && n > 0)
		memcpy(p, arr, n * size);
	*cap = ncap;
	return p;
}

int dl_lf_error(lf_ctx *ctx, int code, dl_lockfile_pos pos, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (pos.line == 0)
		return dl_error_set(code, "%s: %s", ctx->source, msg);
	return dl_error_set(code, "%s:%lu:%lu: %s", ctx->source, (unsigned long)pos.line, (unsigned long)pos.column,
	                    msg);
}

int dl_lf_toml_strv(lf_ctx *ctx, const dl_toml_value *v, const char **out)
{
	size_t len = 0;
	const char *s = dl_toml_value_string(v, &len);
	char *p = dl_lf_strndup(ctx, s, len);
	if (p == NULL)
		return DL_ENOMEM;
	*out = p;
	return 0;
}

int dl_lf_toml_str(lf_ctx *ctx, const dl_toml_value *tbl, const char *key, bool required, const char **out,
                   dl_lockfile_pos *pos)
{
	const dl_toml_value *v = NULL;
	int rc = dl_toml_get(&v, tbl, key, DL_TOML_STRING, required);
	if (rc != 0)
		return dl_lf_required(rc);
	*out = NULL;
	if (v == NULL)
		return 0;
	if (pos != NULL)
		*pos = dl_lf_pos(v);
	return dl_lf_toml_strv(ctx, v, out);
}

int dl_lf_toml_bool(const dl_toml_value *tbl, const char *key, dl_lockfile_tristate *out)
{
	const dl_toml_value *v = NULL;
	int rc = dl_toml_get(&v, tbl, key, DL_TOML_BOOLEAN, false);
	if (rc != 0)
		return rc;
	if (v != NULL)
		*out = dl_toml_value_boolean(v) ? DL_LOCKFILE_YES : DL_LOCKFILE_NO;
	return 0;
}

int dl_lf_toml_strs(lf_ctx *ctx, const dl_toml_value *tbl, const char *key, const char *const **out, size_t *n)
{
	const dl_toml_value *arr = NULL;
	int rc = dl_toml_get(&arr, tbl, key, DL_TOML_ARRAY, false);
	if (rc != 0)
		return rc;
	*n = 0;
	if (arr == NULL) {
		*out = NULL;
		return 0;
	}
	size_t len = dl_toml_array_len(arr);
	const char **items = dl_lf_array(ctx, len, sizeof *items);
	if (items == NULL)
		return DL_ENOMEM;
	for (size_t i = 0; i < len; i++) {
		const dl_toml_value *item = dl_toml_array_at(arr, i);
		if ((rc = dl_toml_expect(item, DL_TOML_STRING)) != 0)
			return rc;
		if ((rc = dl_lf_toml_strv(ctx, item, &items[i])) != 0)
			return rc;
	}
	*out = items;
	*n = len;
	return 0;
}

int dl_lf_name(lf_ctx *ctx, const char *s, size_t len, const char **name, const char **normalized,
               dl_lockfile_pos pos)
{
	if (!dl_name_is_valid(s, len))
		return dl_lf_error(ctx, DL_EPARSE, pos,
		                   "invalid project name '%.*s': expected letters, digits, '-', '_' and '.', "
		                   "starting and ending with a letter or digit",
		                   (int)(len > 100 ? 100 : len), s);
	char *n = dl_lf_strndup(ctx, s, len);
	char *norm = dl_arena_alloc(ctx->arena, len + 1);
	if (n == NULL || norm == NULL)
		return dl_error_oom();
	dl_name_normalize_into(norm, s, len);
	*name = n;
	*normalized = norm;
	return 0;
}

int dl_lf_version(lf_ctx *ctx, dl_lockfile_package *pkg, const char *s, size_t len)
{
	char *v = dl_lf_strndup(ctx, s, len);
	if (v == NULL)
		return DL_ENOMEM;
	pkg->version = v;
	dl_version parsed;
	int rc = dl_version_parse_into(&parsed, s, len);
	if (rc == DL_ENOMEM)
		return rc;
	if (rc == 0)
		dl_version_clear(&parsed);
	else
		dl_error_clear(); /* not PEP 440: recorded in the flag, not an error */
	pkg->version_valid = rc == 0;
	return 0;
}

int dl_lf_toml_package_head(lf_ctx *ctx, dl_lockfile_package *p, const dl_toml_value *pkg, bool version_required)
{
	int rc;
	if ((rc = dl_toml_expect(pkg, DL_TOML_TABLE)) != 0)
		return rc;
	p->pos = dl_lf_pos(pkg);
	p->dev = DL_LOCKFILE_UNKNOWN;
	p->optional = DL_LOCKFILE_UNKNOWN;
	p->yanked = DL_LOCKFILE_UNKNOWN;
	const dl_toml_value *name = NULL, *version = NULL;
	if ((rc = dl_toml_get(&name, pkg, "name", DL_TOML_STRING, true)) != 0 ||
	    (rc = dl_toml_get(&version, pkg, "version", DL_TOML_STRING, version_required)) != 0)
		return dl_lf_required(rc);
	size_t len;
	const char *s = dl_toml_value_string(name, &len);
	p->name_pos = dl_lf_pos(name);
	if ((rc = dl_lf_name(ctx, s, len, &p->name, &p->normalized_name, p->name_pos)) != 0)
		return rc;
	if (version == NULL)
		return 0;
	p->version_pos = dl_lf_pos(version);
	s = dl_toml_value_string(version, &len);
	return dl_lf_version(ctx, p, s, len);
}

static const struct {
	const char *name;
	size_t hex_len;
} hash_algorithms[] = {
	{"md5", 32},       {"sha1", 40},      {"sha224", 56},    {"sha256", 64},   {"sha384", 96},
	{"sha512", 128},   {"sha3_224", 56},  {"sha3_256", 64},  {"sha3_384", 96}, {"sha3_512", 128},
	{"blake2b", 128},  {"blake2s", 64},
};

/* Longest hash value accepted for an algorithm this reader does not know. */
#define MAX_HASH_HEX 1024

const char *dl_lf_hash_problem(const char *alg, size_t alen, const char *hex, size_t hlen)
{
	if (alen == 0)
		return "the hash algorithm is empty";
	for (size_t i = 0; i < alen; i++) {
		unsigned char c = (unsigned char)alg[i];
		if (!dl_isalnum(c) && c != '_' && c != '-')
			return "the hash algorithm must be letters, digits, '_' and '-'";
	}
	for (size_t i = 0; i < hlen; i++)
		if (!dl_isxdigit((unsigned char)hex[i]))
			return "the hash value must be hexadecimal digits";
	for (size_t i = 0; i < sizeof(hash_algorithms) / sizeof(hash_algorithms[0]); i++) {
		if (dl_slice_ieq(alg, alen, hash_algorithms[i].name)) {
			if (hlen != hash_algorithms[i].hex_len)
				return "the hash value has the wrong length for its algorithm";
			return NULL;
		}
	}
	if (hlen == 0 || hlen % 2 != 0 || hlen > MAX_HASH_HEX)
		return "the hash value must be a non-empty, even number of hexadecimal digits";
	return NULL;
}

int dl_lf_hash_set(lf_ctx *ctx, dl_lockfile_hash *h, const char *alg, size_t alen, const char *hex, size_t hlen,
                   dl_lockfile_pos pos)
{
	const char *problem = dl_lf_hash_problem(alg, alen, hex, hlen);
	if (problem != NULL) {
		if (hlen > 0 || alen > 0)
			return dl_lf_error(ctx, DL_EPARSE, pos, "invalid hash '%.*s:%.*s': %s", (int)(alen > 40 ? 40 : alen),
			                   alg, (int)(hlen > 140 ? 140 : hlen), hex, problem);
		return dl_lf_error(ctx, DL_EPARSE, pos, "invalid hash: %s", problem);
	}
	char *a = dl_lf_strndup(ctx, alg, alen);
	char *x = dl_lf_strndup(ctx, hex, hlen);
	if (a == NULL || x == NULL)
		return DL_ENOMEM;
	for (size_t i = 0; i < hlen; i++)
		x[i] = (char)dl_tolower((unsigned char)x[i]);
	h->algorithm = a;
	h->hex = x;
	h->pos = pos;
	return 0;
}

int dl_lf_hash_colon(lf_ctx *ctx, dl_lockfile_hash *h, const char *s, size_t len, const char *default_alg,
                     dl_lockfile_pos pos)
{
	const char *colon = memchr(s, ':', len);
	if (colon == NULL) {
		if (default_alg == NULL)
			return dl_lf_error(ctx, DL_EPARSE, pos,
			                   "invalid hash '%.*s': expected 'algorithm:hexdigits' such as 'sha256:...'",
			                   (int)(len > 140 ? 140 : len), s);
		return dl_lf_hash_set(ctx, h, default_alg, strlen(default_alg), s, len, pos);
	}
	size_t alen = (size_t)(colon - s);
	return dl_lf_hash_set(ctx, h, s, alen, colon + 1, len - alen - 1, pos);
}

dl_lockfile_file_kind dl_lf_kind_from_name(const char *name)
{
	if (name == NULL)
		return DL_LOCKFILE_FILE_UNKNOWN;
	size_t len = strlen(name);
	if (ends_with_i(name, len, ".whl"))
		return DL_LOCKFILE_FILE_WHEEL;
	static const char *const sdist_ext[] = {".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar.xz", ".tar", ".tbz",
	                                        ".txz", ".tar.lz", ".tar.Z"};
	for (size_t i = 0; i < sizeof(sdist_ext) / sizeof(sdist_ext[0]); i++)
		if (ends_with_i(name, len, sdist_ext[i]))
			return DL_LOCKFILE_FILE_SDIST;
	return DL_LOCKFILE_FILE_UNKNOWN;
}

int dl_lf_basename(lf_ctx *ctx, const char *s, const char **out)
{
	*out = NULL;
	if (s == NULL)
		return 0;
	size_t end = strcspn(s, "?#");
	size_t start = end;
	while (start > 0 && s[start - 1] != '/' && s[start - 1] != '\\')
		start--;
	if (start == end)
		return 0;
	char *p = dl_lf_strndup(ctx, s + start, end - start);
	if (p == NULL)
		return DL_ENOMEM;
	*out = p;
	return 0;
}

int dl_lf_add_index(lf_ctx *ctx, const char *name, const char *url, dl_lockfile_pos pos)
{
	if (url == NULL)
		return 0;
	for (size_t i = 0; i < ctx->n_indexes; i++)
		if (strcmp(ctx->indexes[i].url, url) == 0)
			return 0;
	dl_lockfile_index *arr = dl_lf_grow(ctx, ctx->indexes, ctx->n_indexes, &ctx->cap_indexes, sizeof *arr);
	if (arr == NULL)
		return DL_ENOMEM;
	ctx->indexes = arr;
	arr[ctx->n_indexes].name = name;
	arr[ctx->n_indexes].url = url;
	arr[ctx->n_indexes].pos = pos;
	ctx->n_indexes++;
	return 0;
}

int dl_lf_add_group(lf_ctx *ctx, const char *name)
{
	for (size_t i = 0; i < ctx->n_groups; i++)
		if (strcmp(ctx->groups[i], name) == 0)
			return 0;
	const char **arr = dl_lf_grow(ctx, ctx->groups, ctx->n_groups, &ctx->cap_groups, sizeof *arr);
	if (arr == NULL)
		return DL_ENOMEM;
	ctx->groups = arr;
	arr[ctx->n_groups++] = name;
	return 0;
}

void dl_lf_finish_package(dl_lockfile_package *pkg)
{
	bool unknown = false;
	pkg->has_sdist = DL_LOCKFILE_NO;
	for (size_t i = 0; i < pkg->n_files; i++) {
		dl_lockfile_file_kind k = pkg->files[i].kind;
		if (k == DL_LOCKFILE_FILE_SDIST || k == DL_LOCKFILE_FILE_ARCHIVE) {
			pkg->has_sdist = DL_LOCKFILE_YES;
			return;
		}
		if (k == DL_LOCKFILE_FILE_UNKNOWN)
			unknown = true;
	}
	if (unknown)
		pkg->has_sdist = DL_LOCKFILE_UNKNOWN;
}

long dl_lf_major(const char *s)
{
	if (s == NULL || !dl_isdigit((unsigned char)s[0]))
		return -1;
	long v = 0;
	size_t i = 0;
	for (; dl_isdigit((unsigned char)s[i]); i++) {
		if (v > 100000)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	while (s[i] == '.' && dl_isdigit((unsigned char)s[i + 1])) {
		i++;
		while (dl_isdigit((unsigned char)s[i]))
			i++;
	}
	return s[i] == '\0' ? v : -1;
}

/* ------------------------------------------------------------------ */
/* Entry points                                                         */

/* The model and the arena that holds it (itself included): the lock is the
 * first member, so dl_lockfile_free can find the arena from it. */
typedef struct lf_owned {
	dl_lockfile lock;
	dl_arena *arena;
} lf_owned;

void dl_lockfile_free(dl_lockfile *lock)
{
	if (lock != NULL)
		dl_arena_free(((lf_owned *)lock)->arena);
}

int dl_lockfile_parse(dl_lockfile **out, dl_lockfile_format fmt, const char *data, size_t len, const char *source)
{
	if (out == NULL || (data == NULL && len > 0))
		return dl_error_set(DL_EINVAL, "dl_lockfile_parse: no output or no input");
	const char *src = source != NULL ? source : "<input>";
	switch (fmt) {
	case DL_LOCKFILE_PYLOCK:
	case DL_LOCKFILE_POETRY:
	case DL_LOCKFILE_PDM:
	case DL_LOCKFILE_PIPFILE:
	case DL_LOCKFILE_UV:
	case DL_LOCKFILE_REQUIREMENTS: break;
	default: return dl_error_set(DL_EINVAL, "%s: unknown lock-file format %d", src, (int)fmt);
	}
	if (len > DL_LOCKFILE_MAX_INPUT)
		return dl_error_set(DL_ELIMIT, "%s: %zu bytes is more than the %zu a lock file may have", src, len,
		                    DL_LOCKFILE_MAX_INPUT);

	lf_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	int rc = dl_arena_new(&ctx.arena);
	if (rc != 0)
		return rc;
	dl_toml_doc *doc = NULL;
	lf_owned *owned = dl_arena_calloc(ctx.arena, 1, sizeof *owned);
	char *src_copy = dl_arena_strndup(ctx.arena, src, strlen(src));
	if (owned == NULL || src_copy == NULL) {
		rc = dl_error_oom();
		goto done;
	}
	owned->arena = ctx.arena;
	dl_lockfile *lock = &owned->lock;
	lock->format = fmt;
	lock->source = src_copy;
	ctx.lock = lock;
	ctx.source = src_copy;
	if (fmt == DL_LOCKFILE_PIPFILE) {
		rc = dl_lf_read_pipfile(&ctx, data != NULL ? data : "", len);
	} else if (fmt == DL_LOCKFILE_REQUIREMENTS) {
		rc = dl_lf_read_requirements(&ctx, data != NULL ? data : "", len);
	} else {
		dl_toml_parse_options opts = DL_TOML_PARSE_OPTIONS_INIT;
		opts.max_input = DL_LOCKFILE_MAX_INPUT;
		rc = dl_toml_parse(&doc, data != NULL ? data : "", len, src_copy, &opts);
		if (rc != 0)
			goto done;
		const dl_toml_value *root = dl_toml_doc_root(doc);
		switch (fmt) {
		case DL_LOCKFILE_PYLOCK: rc = dl_lf_read_pylock(&ctx, root); break;
		case DL_LOCKFILE_POETRY: rc = dl_lf_read_poetry(&ctx, root); break;
		case DL_LOCKFILE_PDM: rc = dl_lf_read_pdm(&ctx, root); break;
		default: rc = dl_lf_read_uv(&ctx, root); break;
		}
	}
	if (rc != 0)
		goto done;
	lock->indexes = ctx.indexes;
	lock->n_indexes = ctx.n_indexes;
	if (ctx.n_groups > 0) {
		lock->groups = ctx.groups;
		lock->n_groups = ctx.n_groups;
	}
	for (size_t i = 0; i < lock->n_packages; i++)
		dl_lf_finish_package(&lock->packages[i]);
done:
	dl_toml_doc_free(doc);
	if (rc != 0) {
		if (rc != DL_ENOMEM)
			dl_error_context("reading %s as a %s lock file", src, dl_lockfile_format_name(fmt));
		dl_arena_free(ctx.arena);
		return rc;
	}
	*out = &owned->lock;
	return 0;
}
