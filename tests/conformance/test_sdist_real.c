/*
 * test_sdist_real.c - the sdist reader on the metadata of real sdists
 * (../shared/data/real-dists/<name>.tar.gz/ holds their PKG-INFO,
 * pyproject.toml and setup.cfg).  Each directory is packed into a .tar.gz
 * in memory at test time, read with dl_sdist_read and checked against
 * exact expectations; where the requirements come from setup.cfg, they are
 * also cross-checked against the Requires-Dist lines that setuptools wrote
 * into the real PKG-INFO from that same setup.cfg.
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dltest.h"
#include "deeplock/sdist.h"

static const char *shared;

typedef struct membuf {
	unsigned char *data;
	size_t len, cap;
} membuf;

static la_ssize_t mb_write(struct archive *a, void *ctx, const void *buf, size_t n)
{
	(void)a;
	membuf *mb = ctx;
	if (mb->len + n > mb->cap) {
		size_t cap = mb->cap ? mb->cap : 4096;
		while (cap < mb->len + n)
			cap *= 2;
		mb->data = realloc(mb->data, cap);
		mb->cap = cap;
	}
	memcpy(mb->data + mb->len, buf, n);
	mb->len += n;
	return (la_ssize_t)n;
}

struct real {
	membuf mb;
	dl_archive *ar;
	dl_sdist *sd;
	char *pkg_info;
};

/* Pack real-dists/<dist>.tar.gz/{PKG-INFO,pyproject.toml,setup.cfg} under
 * <dist>/ and read it. */
static void load(struct real *r, const char *dist)
{
	memset(r, 0, sizeof(*r));
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/data/real-dists/%s.tar.gz", shared, dist);
	struct archive *w = archive_write_new();
	archive_write_set_format_pax_restricted(w);
	archive_write_add_filter_gzip(w);
	assert_int_equal(archive_write_open2(w, &r->mb, NULL, mb_write, NULL, NULL), ARCHIVE_OK);
	static const char *const names[] = {"PKG-INFO", "pyproject.toml", "setup.cfg"};
	for (size_t i = 0; i < 3; i++) {
		char path[1200];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		FILE *f = fopen(path, "rb");
		if (f == NULL)
			continue;
		fclose(f);
		size_t len = 0;
		char *text = dltest_read_file(path, &len);
		char member[512];
		snprintf(member, sizeof(member), "%s/%s", dist, names[i]);
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, member);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)len);
		assert_int_equal(archive_write_header(w, e), ARCHIVE_OK);
		archive_write_data(w, text, len);
		archive_entry_free(e);
		if (i == 0)
			r->pkg_info = text;
		else
			free(text);
	}
	assert_int_equal(archive_write_close(w), ARCHIVE_OK);
	archive_write_free(w);
	assert_non_null(r->pkg_info);
	char name[300];
	snprintf(name, sizeof(name), "%s.tar.gz", dist);
	assert_int_equal(dl_archive_open_memory(&r->ar, r->mb.data, r->mb.len, name, NULL), 0);
	int rc = dl_sdist_read(&r->sd, r->ar, NULL);
	if (rc != 0)
		fail_msg("%s: %s", dist, dl_error_last()->message);
}

static void unload(struct real *r)
{
	dl_sdist_free(r->sd);
	dl_archive_free(r->ar);
	free(r->mb.data);
	free(r->pkg_info);
}

static void check_build(const dl_sdist *sd, const char *backend, const char *const *reqs, size_t n,
                        const char *backend_path)
{
	assert_string_equal(sd->build_backend, backend);
	assert_int_equal(sd->build_backend_source, DL_SDIST_SRC_PYPROJECT);
	assert_int_equal(sd->build_requires.source, DL_SDIST_SRC_PYPROJECT);
	assert_int_equal(sd->build_requires.count, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(sd->build_requires.items[i].req, reqs[i]);
	if (backend_path == NULL) {
		assert_int_equal(sd->backend_path_count, 0);
	} else {
		assert_int_equal(sd->backend_path_count, 1);
		assert_string_equal(sd->backend_path[0], backend_path);
	}
}

static void check_identity(const dl_sdist *sd, const char *name, const char *version, const char *rp,
                           dl_sdist_source rp_src)
{
	assert_string_equal(sd->metadata_version, "2.1");
	assert_string_equal(sd->name.value, name);
	assert_int_equal(sd->name.source, DL_SDIST_SRC_PKG_INFO);
	assert_string_equal(sd->version.value, version);
	assert_int_equal(sd->version.source, DL_SDIST_SRC_PKG_INFO);
	if (rp == NULL)
		assert_null(sd->requires_python.value);
	else
		assert_string_equal(sd->requires_python.value, rp);
	assert_int_equal(sd->requires_python.source, rp_src);
	assert_null(sd->requires_python.dynamic);
}

/* The project name at the start of a requirement, normalised to lower case
 * with '-' for runs of '-', '_', '.'. */
static void req_name(const char *req, char *out, size_t size)
{
	size_t n = 0;
	for (const char *p = req; *p != '\0' && n + 1 < size; p++) {
		char c = *p;
		if (dl_isalnum((unsigned char)c))
			out[n++] = (char)dl_tolower((unsigned char)c);
		else if (c == '-' || c == '_' || c == '.') {
			if (n == 0 || out[n - 1] != '-')
				out[n++] = '-';
		} else
			break;
	}
	out[n] = '\0';
}

/* Every requirement of `extra` in the result, by name and in order, equals
 * the Requires-Dist lines of the real PKG-INFO with that extra. */
static void cross_check_extra(const struct real *r, const char *extra)
{
	char quoted[200];
	snprintf(quoted, sizeof(quoted), "extra == \"%s\"", extra);
	size_t k = 0;
	for (const char *line = r->pkg_info; line != NULL && *line != '\0';) {
		const char *nl = strchr(line, '\n');
		size_t len = nl != NULL ? (size_t)(nl - line) : strlen(line);
		if (len == 0)
			break; /* body */
		char buf[1000];
		snprintf(buf, sizeof(buf), "%.*s", (int)len, line);
		const char *tail = strstr(buf, quoted);
		if (strncmp(buf, "Requires-Dist: ", 15) == 0 && tail != NULL && strlen(tail) == strlen(quoted)) {
			while (k < r->sd->extras.count && strcmp(r->sd->extras.items[k].extra, extra) != 0)
				k++;
			if (k == r->sd->extras.count)
				fail_msg("extra %s: PKG-INFO has more requirements than deeplock found (%s)", extra, buf);
			char a[200], b[200];
			req_name(buf + 15, a, sizeof(a));
			req_name(r->sd->extras.items[k].req, b, sizeof(b));
			if (strcmp(a, b) != 0)
				fail_msg("extra %s: PKG-INFO has %s where deeplock has %s", extra, a, b);
			k++;
		}
		line = nl != NULL ? nl + 1 : NULL;
	}
	for (; k < r->sd->extras.count; k++) {
		if (strcmp(r->sd->extras.items[k].extra, extra) == 0)
			fail_msg("extra %s: deeplock found more requirements than PKG-INFO lists", extra);
	}
}

static void test_setuptools(void **state)
{
	(void)state;
	struct real r;
	load(&r, "setuptools-69.0.2");
	const dl_sdist *sd = r.sd;
	check_identity(sd, "setuptools", "69.0.2", ">=3.8", DL_SDIST_SRC_SETUP_CFG);
	/* self-bootstrapping: no build requirements, the backend from the tree */
	check_build(sd, "setuptools.build_meta", NULL, 0, ".");
	assert_true(sd->setuptools_backend);
	assert_int_equal(sd->requires.count, 0);
	assert_int_equal(sd->requires.source, DL_SDIST_SRC_SETUP_CFG);
	assert_int_equal(sd->extras.source, DL_SDIST_SRC_SETUP_CFG);
	assert_int_equal(sd->extras.count, 45);
	const char *names[] = {"testing", "testing-integration", "docs", "ssl", "certs"};
	assert_int_equal(sd->extra_names_count, 5);
	for (size_t i = 0; i < 5; i++) {
		assert_string_equal(sd->extra_names[i], names[i]);
		cross_check_extra(&r, names[i]);
	}
	/* setuptools' own splitting: a backslash continuation loses the
	 * character before it, " #" starts a comment. */
	assert_string_equal(sd->extras.items[2].req, "pytest-black >= 0.3.7;python_implementation != \"PyPy\"");
	assert_string_equal(sd->extras.items[10].req, "pip>=19.1");
	assert_string_equal(sd->extras.items[44].req, "sphinx-notfound-page >=1,<2");
	assert_string_equal(sd->extras.items[44].extra, "docs");
	assert_int_equal(sd->setup_requires.count, 0);
	assert_null(sd->setup_requires.dynamic);
	assert_int_equal(sd->unknowable_count, 1);
	unload(&r);
}

static void test_pluggy(void **state)
{
	(void)state;
	struct real r;
	load(&r, "pluggy-1.3.0");
	const dl_sdist *sd = r.sd;
	check_identity(sd, "pluggy", "1.3.0", ">=3.8", DL_SDIST_SRC_SETUP_CFG);
	const char *build[] = {"setuptools>=45.0", "setuptools-scm[toml]>=6.2.3"};
	check_build(sd, "setuptools.build_meta", build, 2, NULL);
	assert_int_equal(sd->requires.count, 0);
	assert_int_equal(sd->extras.count, 4);
	assert_string_equal(sd->extras.items[0].req, "pre-commit");
	assert_string_equal(sd->extras.items[0].extra, "dev");
	assert_string_equal(sd->extras.items[3].req, "pytest-benchmark");
	assert_string_equal(sd->extras.items[3].extra, "testing");
	assert_int_equal(sd->extra_names_count, 2);
	/* setup_requires from setup.cfg, added by get_requires_for_build_wheel */
	assert_int_equal(sd->setup_requires.count, 1);
	assert_string_equal(sd->setup_requires.items[0].req, "setuptools-scm");
	assert_int_equal(sd->setup_requires.items[0].source, DL_SDIST_SRC_SETUPTOOLS);
	assert_int_equal(sd->setup_requires.items[0].origin, DL_SDIST_SRC_SETUP_CFG);
	unload(&r);
}

static void test_trove_classifiers(void **state)
{
	(void)state;
	struct real r;
	load(&r, "trove-classifiers-2023.11.29");
	const dl_sdist *sd = r.sd;
	check_identity(sd, "trove-classifiers", "2023.11.29", NULL, DL_SDIST_SRC_SETUP_CFG);
	const char *build[] = {"setuptools", "calver"};
	check_build(sd, "setuptools.build_meta", build, 2, NULL);
	assert_int_equal(sd->requires.count, 0);
	assert_int_equal(sd->extras.count, 0);
	unload(&r);
}

static void test_flit_projects(void **state)
{
	(void)state;
	struct {
		const char *dist, *name, *version, *rp, *build;
	} cases[] = {
	    {"editables-0.5", "editables", "0.5", ">=3.7", "flit_core >=3.3"},
	    {"packaging-23.2", "packaging", "23.2", ">=3.7", "flit_core >=3.3"},
	    {"pathspec-0.12.1", "pathspec", "0.12.1", ">=3.8", "flit_core >=3.2,<4"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct real r;
		load(&r, cases[i].dist);
		const dl_sdist *sd = r.sd;
		check_identity(sd, cases[i].name, cases[i].version, cases[i].rp, DL_SDIST_SRC_PYPROJECT);
		const char *build[] = {cases[i].build};
		check_build(sd, "flit_core.buildapi", build, 1, NULL);
		assert_false(sd->setuptools_backend);
		/* [project] is static: no dependencies, no extras, nothing unknowable
		 * (pathspec's setup.cfg is ignored: flit does not read it) */
		assert_int_equal(sd->requires.count, 0);
		assert_int_equal(sd->requires.source, DL_SDIST_SRC_PYPROJECT);
		assert_int_equal(sd->extras.count, 0);
		assert_int_equal(sd->unknowable_count, 0);
		unload(&r);
	}
}

static void test_hatchling(void **state)
{
	(void)state;
	struct real r;
	load(&r, "hatchling-1.20.0");
	const dl_sdist *sd = r.sd;
	check_identity(sd, "hatchling", "1.20.0", ">=3.8", DL_SDIST_SRC_PYPROJECT);
	check_build(sd, "hatchling.ouroboros", NULL, 0, "src");
	const char *deps[] = {"editables>=0.3", "packaging>=21.3", "pathspec>=0.10.1", "pluggy>=1.0.0",
	                      "tomli>=1.2.2; python_version < '3.11'", "trove-classifiers"};
	assert_int_equal(sd->requires.count, 6);
	assert_int_equal(sd->requires.source, DL_SDIST_SRC_PYPROJECT);
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(sd->requires.items[i].req, deps[i]);
	assert_int_equal(sd->unknowable_count, 0);
	unload(&r);
}

int main(void)
{
	shared = dltest_require_shared("test_sdist_real (real sdists' metadata in data/real-dists)");
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_setuptools),   cmocka_unit_test(test_pluggy),  cmocka_unit_test(test_trove_classifiers),
	    cmocka_unit_test(test_flit_projects), cmocka_unit_test(test_hatchling),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
