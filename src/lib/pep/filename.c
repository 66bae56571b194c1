/*
 * filename.c - wheel and sdist file names, and the extension classifier.
 *
 * Both parsers first check every byte (printable ASCII, no space), then cut
 * the name at its '-' separators and check each part with its own rule, so
 * that an error can name the exact column and the part it was in.  Versions
 * go through the version module; tag sets are validated here with absolute
 * columns before dl_tagset_parse builds them, so its only failures left are
 * limits and memory.
 *
 * The sdist name/version split is documented in filename.h: with an
 * expected project it is pip's prefix match, without one the last '-'
 * followed by a valid version.
 */
#include <stdio.h>
#include <string.h>

#include "deeplock/filename.h"
#include "deeplock/name.h"

#define QUOTE_MAX 200

static int name_error(int code, const char *kind, const char *s, size_t len, size_t col, const char *fmt, ...)
	DL_PRINTF(6, 7);

/* "invalid <kind> file name '<s>': <what> at column <col>" (no column
 * when col is 0: the message places itself). */
static int name_error(int code, const char *kind, const char *s, size_t len, size_t col, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (col == 0)
		return dl_error_set(code, "invalid %s file name '%.*s': %s", kind, (int)(len > QUOTE_MAX ? QUOTE_MAX : len), s,
		                    what);
	return dl_error_set(code, "invalid %s file name '%.*s': %s at column %zu", kind,
	                    (int)(len > QUOTE_MAX ? QUOTE_MAX : len), s, what, col);
}

static bool ends_with_ci(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);
	return len >= n && dl_slice_ieq(s + len - n, n, suffix);
}

static const struct {
	const char *ext;
	dl_sdist_format format;
} sdist_exts[] = {
	{".tar.gz", DL_SDIST_TAR_GZ},   {".tgz", DL_SDIST_TAR_GZ}, {".zip", DL_SDIST_ZIP},
	{".tar.bz2", DL_SDIST_TAR_BZ2}, {".tbz", DL_SDIST_TAR_BZ2}, {".tar.xz", DL_SDIST_TAR_XZ},
	{".txz", DL_SDIST_TAR_XZ},      {".tar", DL_SDIST_TAR},
};
#define N_SDIST_EXTS (sizeof(sdist_exts) / sizeof(sdist_exts[0]))

static const char *const unsupported_exts[] = {".egg", ".exe", ".msi", ".rpm", ".dmg", ".deb"};

dl_dist_kind dl_filename_classify(const char *s, size_t len)
{
	if (len >= 4 && memcmp(s + len - 4, ".whl", 4) == 0)
		return DL_DIST_WHEEL;
	for (size_t i = 0; i < N_SDIST_EXTS; i++) {
		if (ends_with_ci(s, len, sdist_exts[i].ext))
			return DL_DIST_SDIST;
	}
	for (size_t i = 0; i < sizeof(unsupported_exts) / sizeof(unsupported_exts[0]); i++) {
		if (ends_with_ci(s, len, unsupported_exts[i]))
			return DL_DIST_UNSUPPORTED;
	}
	return DL_DIST_OTHER;
}

const char *dl_dist_kind_name(dl_dist_kind kind)
{
	switch (kind) {
	case DL_DIST_WHEEL:
		return "wheel";
	case DL_DIST_SDIST:
		return "sdist";
	case DL_DIST_UNSUPPORTED:
		return "unsupported";
	case DL_DIST_OTHER:
		break;
	}
	return "other";
}

const char *dl_sdist_format_name(dl_sdist_format format)
{
	static const char *const names[] = {"tar.gz", "zip", "tar.bz2", "tar.xz", "tar"};
	if ((unsigned)format < sizeof(names) / sizeof(names[0]))
		return names[format];
	return "unknown";
}

static bool is_sep(char c)
{
	return c == '-' || c == '_' || c == '.';
}

int dl_filename_escape_name(char **out, const char *s, size_t len)
{
	if (!dl_name_is_valid(s, len))
		return dl_error_set(DL_EPARSE, "invalid project name '%.*s'", (int)(len > QUOTE_MAX ? QUOTE_MAX : len), s);
	char *p = dl_malloc(len + 1);
	if (p == NULL)
		return dl_error_oom();
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (is_sep(s[i])) {
			if (n == 0 || p[n - 1] != '_')
				p[n++] = '_';
		} else {
			p[n++] = (char)dl_tolower((unsigned char)s[i]);
		}
	}
	p[n] = '\0';
	*out = p;
	return 0;
}

/* Reject the first byte that no file name part may hold. */
static int check_bytes(const char *kind, const char *s, size_t len)
{
	if (len > DL_FILENAME_MAX)
		return dl_error_set(DL_ELIMIT, "%s file name of %zu bytes is longer than the limit of %d", kind, len,
		                    DL_FILENAME_MAX);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f)
			return name_error(DL_EPARSE, kind, s, len, i + 1, "unexpected %s 0x%02x",
			                  c == ' ' ? "space" : "byte", (unsigned)c);
	}
	return 0;
}

/* Parse the version part [v, v+vlen) at 0-based offset `at` of the name. */
static int parse_version(dl_version *out, const char *kind, const char *s, size_t len, size_t at, size_t vlen)
{
	if (vlen == 0)
		return name_error(DL_EPARSE, kind, s, len, at + 1, "empty version");
	int rc = dl_version_parse_into(out, s + at, vlen);
	if (rc == 0)
		return 0;
	if (rc == DL_ENOMEM)
		return rc;
	char detail[256];
	snprintf(detail, sizeof(detail), "%s", dl_error_last()->message);
	/* The version module's column counts within the version; say where
	 * the version starts so both positions are clear. */
	return name_error(rc, kind, s, len, 0, "version '%.*s' (from column %zu) is not a valid PEP 440 version: %s",
	                  (int)(vlen > QUOTE_MAX ? QUOTE_MAX : vlen), s + at, at + 1, detail);
}

/* ------------------------------------------------------------------ */
/* Wheels                                                              */

static const char WHEEL[] = "wheel";

void dl_wheel_filename_free(dl_wheel_filename *w)
{
	if (w == NULL)
		return;
	dl_free(w->name);
	dl_free(w->normalized_name);
	dl_free(w->version_text);
	dl_version_clear(&w->version);
	dl_free(w->build);
	dl_free(w->build_suffix);
	dl_tagset_free(w->tags);
	dl_free(w);
}

/* Check one '-'-separated tag component [b, e) of the wheel name. */
static int check_tag_component(const char *s, size_t len, size_t b, size_t e, const char *what)
{
	size_t start = b;
	for (size_t i = b; i <= e; i++) {
		if (i == e || s[i] == '.') {
			if (i == start)
				return name_error(DL_EPARSE, WHEEL, s, len, i + 1, "empty %s tag", what);
			start = i + 1;
			continue;
		}
		unsigned char c = (unsigned char)s[i];
		if (!dl_isalnum(c) && c != '_')
			return name_error(DL_EPARSE, WHEEL, s, len, i + 1,
			                  "unexpected '%c' in the %s tag (tags have letters, digits and '_')", (char)c, what);
	}
	return 0;
}

static int check_wheel_name_part(const char *s, size_t len, size_t nlen)
{
	if (nlen == 0)
		return name_error(DL_EPARSE, WHEEL, s, len, 1, "empty project name");
	for (size_t i = 0; i < nlen; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!dl_isalnum(c) && c != '_' && c != '.')
			return name_error(DL_EPARSE, WHEEL, s, len, i + 1,
			                  "unexpected '%c' in the project name (letters, digits, '_' and '.')", (char)c);
		if (c == '_' && i + 1 < nlen && s[i + 1] == '_')
			return name_error(DL_EPARSE, WHEEL, s, len, i + 1,
			                  "'__' in the project name (PEP 427 escapes runs of separators to one '_')");
	}
	if (!dl_isalnum((unsigned char)s[0]))
		return name_error(DL_EPARSE, WHEEL, s, len, 1, "the project name must start with a letter or digit");
	if (!dl_isalnum((unsigned char)s[nlen - 1]))
		return name_error(DL_EPARSE, WHEEL, s, len, nlen, "the project name must end with a letter or digit");
	return 0;
}

int dl_filename_parse_wheel(dl_wheel_filename **out, const char *s, size_t len)
{
	int rc = check_bytes(WHEEL, s, len);
	if (rc < 0)
		return rc;
	if (len < 4 || memcmp(s + len - 4, ".whl", 4) != 0)
		return name_error(DL_EPARSE, WHEEL, s, len, len + 1, "expected the extension '.whl'");
	size_t stem = len - 4;
	size_t dash[6];
	size_t ndash = 0;
	for (size_t i = 0; i < stem; i++) {
		if (s[i] != '-')
			continue;
		if (ndash == 5)
			return name_error(DL_EPARSE, WHEEL, s, len, i + 1,
			                  "too many '-': expected {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl");
		dash[ndash++] = i;
	}
	if (ndash < 4)
		return name_error(DL_EPARSE, WHEEL, s, len, stem + 1,
		                  "found %zu '-' where 4 or 5 are needed: expected "
		                  "{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl",
		                  ndash);
	rc = check_wheel_name_part(s, len, dash[0]);
	if (rc < 0)
		return rc;

	size_t tags_at = dash[ndash - 3] + 1;
	if (ndash == 5) {
		size_t b = dash[1] + 1, e = dash[2];
		if (b == e)
			return name_error(DL_EPARSE, WHEEL, s, len, b + 1, "empty build tag");
		if (!dl_isdigit((unsigned char)s[b]))
			return name_error(DL_EPARSE, WHEEL, s, len, b + 1, "the build tag must start with a digit");
		for (size_t i = b; i < e; i++) {
			unsigned char c = (unsigned char)s[i];
			if (!dl_isalnum(c) && c != '_' && c != '.')
				return name_error(DL_EPARSE, WHEEL, s, len, i + 1,
				                  "unexpected '%c' in the build tag (letters, digits, '_' and '.')", (char)c);
		}
	}
	static const char *const comp[3] = {"python", "abi", "platform"};
	for (int k = 0; k < 3; k++) {
		size_t b = dash[ndash - 3 + (size_t)k] + 1;
		size_t e = k < 2 ? dash[ndash - 2 + (size_t)k] : stem;
		rc = check_tag_component(s, len, b, e, comp[k]);
		if (rc < 0)
			return rc;
	}

	dl_wheel_filename *w = dl_calloc(1, sizeof(*w));
	if (w == NULL)
		return dl_error_oom();
	/* version must be clear-able even when parsing never ran */
	memset(&w->version, 0, sizeof(w->version));
	bool version_ok = false;
	rc = parse_version(&w->version, WHEEL, s, len, dash[0] + 1, dash[1] - dash[0] - 1);
	if (rc < 0)
		goto fail;
	version_ok = true;
	w->name = dl_strndup(s, dash[0]);
	w->normalized_name = dl_malloc(dash[0] + 1);
	w->version_text = dl_strndup(s + dash[0] + 1, dash[1] - dash[0] - 1);
	if (w->name == NULL || w->normalized_name == NULL || w->version_text == NULL) {
		rc = dl_error_oom();
		goto fail;
	}
	dl_name_normalize_into(w->normalized_name, s, dash[0]);
	if (ndash == 5) {
		size_t b = dash[1] + 1, e = dash[2];
		uint64_t num = 0;
		size_t i = b;
		for (; i < e && dl_isdigit((unsigned char)s[i]); i++) {
			if (__builtin_mul_overflow(num, (uint64_t)10, &num) ||
			    __builtin_add_overflow(num, (uint64_t)(s[i] - '0'), &num)) {
				rc = name_error(DL_ELIMIT, WHEEL, s, len, b + 1, "build number larger than 64 bits");
				goto fail;
			}
		}
		w->build_number = num;
		w->build = dl_strndup(s + b, e - b);
		w->build_suffix = dl_strndup(s + i, e - i);
		if (w->build == NULL || w->build_suffix == NULL) {
			rc = dl_error_oom();
			goto fail;
		}
	}
	rc = dl_tagset_parse(&w->tags, s + tags_at, stem - tags_at);
	if (rc < 0) {
		dl_error_context("reading the tags of wheel file name '%.*s'", (int)(len > QUOTE_MAX ? QUOTE_MAX : len), s);
		goto fail;
	}
	*out = w;
	return 0;
fail:
	if (!version_ok)
		memset(&w->version, 0, sizeof(w->version));
	dl_wheel_filename_free(w);
	return rc;
}

int dl_wheel_filename_format(const dl_wheel_filename *w, dl_buf *out)
{
	dl_buf_puts(out, w->name);
	dl_buf_putc(out, '-');
	dl_buf_puts(out, w->version_text);
	if (w->build != NULL) {
		dl_buf_putc(out, '-');
		dl_buf_puts(out, w->build);
	}
	dl_buf_putc(out, '-');
	dl_tagset_format(w->tags, out);
	return dl_buf_puts(out, ".whl");
}

int dl_wheel_filename_build_cmp(const dl_wheel_filename *a, const dl_wheel_filename *b)
{
	if (a->build == NULL || b->build == NULL)
		return (a->build != NULL) - (b->build != NULL);
	if (a->build_number != b->build_number)
		return a->build_number < b->build_number ? -1 : 1;
	int c = strcmp(a->build_suffix, b->build_suffix);
	return (c > 0) - (c < 0);
}

/* ------------------------------------------------------------------ */
/* Source distributions                                                */

static const char SDIST[] = "sdist";

void dl_sdist_filename_free(dl_sdist_filename *sd)
{
	if (sd == NULL)
		return;
	dl_free(sd->name);
	dl_free(sd->normalized_name);
	dl_free(sd->version_text);
	dl_version_clear(&sd->version);
	dl_free(sd->extension);
	dl_free(sd);
}

/* True when the name is already in the escaped form PEP 625 asks for. */
static bool is_escaped_name(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '_') {
			if (i + 1 < len && s[i + 1] == '_')
				return false;
		} else if (!dl_isdigit(c) && !(c >= 'a' && c <= 'z')) {
			return false;
		}
	}
	return true;
}

/* Find the name/version separator of the stem [s, s+stem) (see
 * filename.h) and parse the version after it into *v. */
static int sdist_split(const char *s, size_t len, size_t stem, const char *project, size_t project_len,
                       size_t *sep, dl_version *v)
{
	if (project != NULL) {
		if (!dl_name_is_valid(project, project_len))
			return dl_error_set(DL_EINVAL, "invalid expected project name '%.*s'",
			                    (int)(project_len > QUOTE_MAX ? QUOTE_MAX : project_len), project);
		for (size_t i = 0; i < stem; i++) {
			if (s[i] == '-' && dl_name_is_valid(s, i) && dl_name_eq(s, i, project, project_len)) {
				*sep = i;
				return parse_version(v, SDIST, s, len, i + 1, stem - i - 1);
			}
		}
		return name_error(DL_EPARSE, SDIST, s, len, 1, "does not belong to project '%.*s' (expected '%.*s-{version}')",
		                  (int)(project_len > QUOTE_MAX ? QUOTE_MAX : project_len), project,
		                  (int)(project_len > QUOTE_MAX ? QUOTE_MAX : project_len), project);
	}
	size_t last = stem;
	for (size_t i = stem; i-- > 0;) {
		if (s[i] != '-')
			continue;
		if (last == stem)
			last = i;
		if (!dl_name_is_valid(s, i) || i + 1 == stem)
			continue;
		/* Parse for real rather than ask dl_version_is_valid, so that
		 * running out of memory is reported as such. */
		int rc = dl_version_parse_into(v, s + i + 1, stem - i - 1);
		if (rc == 0) {
			*sep = i;
			return 0;
		}
		if (rc == DL_ENOMEM)
			return rc;
	}
	if (last == stem)
		return name_error(DL_EPARSE, SDIST, s, len, stem + 1, "no '-': expected {name}-{version}");
	return name_error(DL_EPARSE, SDIST, s, len, last + 2,
	                  "no '-' is followed by a valid PEP 440 version and preceded by a valid project name "
	                  "(expected {name}-{version})");
}

int dl_filename_parse_sdist(dl_sdist_filename **out, const char *s, size_t len, const char *project,
                            size_t project_len)
{
	int rc = check_bytes(SDIST, s, len);
	if (rc < 0)
		return rc;
	size_t ext = N_SDIST_EXTS;
	for (size_t i = 0; i < N_SDIST_EXTS; i++) {
		if (ends_with_ci(s, len, sdist_exts[i].ext)) {
			ext = i;
			break;
		}
	}
	if (ext == N_SDIST_EXTS)
		return name_error(DL_EPARSE, SDIST, s, len, len + 1,
		                  "expected an sdist extension (.tar.gz, .zip, .tar.bz2, .tar.xz, .tar, .tgz, .tbz, .txz)");
	size_t ext_len = strlen(sdist_exts[ext].ext);
	size_t stem = len - ext_len;
	dl_sdist_filename *sd = dl_calloc(1, sizeof(*sd));
	if (sd == NULL)
		return dl_error_oom();
	size_t sep = 0;
	rc = sdist_split(s, len, stem, project, project_len, &sep, &sd->version);
	if (rc < 0) {
		memset(&sd->version, 0, sizeof(sd->version));
		dl_sdist_filename_free(sd);
		return rc;
	}
	sd->format = sdist_exts[ext].format;
	sd->name = dl_strndup(s, sep);
	sd->normalized_name = dl_malloc(sep + 1);
	sd->version_text = dl_strndup(s + sep + 1, stem - sep - 1);
	sd->extension = dl_strndup(s + stem, ext_len);
	dl_buf canon = DL_BUF_INIT;
	if (sd->name == NULL || sd->normalized_name == NULL || sd->version_text == NULL || sd->extension == NULL ||
	    dl_version_format(&sd->version, &canon) < 0) {
		dl_buf_free(&canon);
		dl_sdist_filename_free(sd);
		return dl_error_oom();
	}
	dl_name_normalize_into(sd->normalized_name, s, sep);
	sd->pep625 = strcmp(sd->extension, ".tar.gz") == 0 && is_escaped_name(sd->name, sep) &&
	             strcmp(dl_buf_cstr(&canon), sd->version_text) == 0;
	dl_buf_free(&canon);
	*out = sd;
	return 0;
}

int dl_sdist_filename_format(const dl_sdist_filename *sd, dl_buf *out)
{
	dl_buf_puts(out, sd->name);
	dl_buf_putc(out, '-');
	dl_buf_puts(out, sd->version_text);
	return dl_buf_puts(out, sd->extension);
}
