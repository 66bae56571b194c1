/*
 * test_sdist.c - whole sdists, generated here as .tar.gz archives with
 * libarchive's writer: pyproject-only (hatchling), setup.cfg-only, setup.py
 * with literals, setup.py with computed setup_requires, PKG-INFO 2.2 with
 * Dynamic, no pyproject (the PEP 517 fallback), a self-bootstrapping
 * backend (backend-path), unknown backends, file: directives, and broken
 * inputs.  The real sdists of ../shared are in
 * tests/conformance/test_sdist_real.c.
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#include "dltest.h"
#include "deeplock/sdist.h"

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

/* Build "<top>/<name>" members from NULL-terminated name/content pairs. */
static void make(membuf *mb, const char *top, const char *const *files)
{
	memset(mb, 0, sizeof(*mb));
	struct archive *w = archive_write_new();
	archive_write_set_format_pax_restricted(w);
	archive_write_add_filter_gzip(w);
	assert_int_equal(archive_write_open2(w, mb, NULL, mb_write, NULL, NULL), ARCHIVE_OK);
	for (size_t i = 0; files[i] != NULL; i += 2) {
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", top, files[i]);
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, path);
		const char *text = files[i + 1];
		if (strncmp(text, "->", 2) == 0) {
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_symlink(e, text + 2);
			archive_entry_set_size(e, 0);
		} else {
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_size(e, (la_int64_t)strlen(text));
		}
		archive_entry_set_perm(e, 0644);
		assert_int_equal(archive_write_header(w, e), ARCHIVE_OK);
		if (text[0] != '-' || text[1] != '>')
			archive_write_data(w, text, strlen(text));
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(w), ARCHIVE_OK);
	archive_write_free(w);
}

struct fixture {
	membuf mb;
	dl_archive *ar;
	dl_sdist *sd;
};

static dl_sdist *read_ok(struct fixture *f, const char *top, const char *const *files)
{
	make(&f->mb, top, files);
	assert_int_equal(dl_archive_open_memory(&f->ar, f->mb.data, f->mb.len, "test.tar.gz", NULL), 0);
	f->sd = NULL;
	int rc = dl_sdist_read(&f->sd, f->ar, NULL);
	if (rc != 0)
		fail_msg("dl_sdist_read: %d %s", rc, dl_error_last()->message);
	return f->sd;
}

static const char *read_fails(const char *top, const char *const *files, int code)
{
	struct fixture f;
	make(&f.mb, top, files);
	assert_int_equal(dl_archive_open_memory(&f.ar, f.mb.data, f.mb.len, "test.tar.gz", NULL), 0);
	dl_sdist *sd = NULL;
	int rc = dl_sdist_read(&sd, f.ar, NULL);
	if (rc != code)
		fail_msg("expected %d, got %d (%s)", code, rc, dl_error_last()->message);
	assert_null(sd);
	dl_archive_free(f.ar);
	free(f.mb.data);
	return dl_error_last()->message;
}

static void done(struct fixture *f)
{
	dl_sdist_free(f->sd);
	dl_archive_free(f->ar);
	free(f->mb.data);
}

static void assert_reqs(const dl_sdist_reqs *r, dl_sdist_source src, const char *const *want, const char *const *extras,
                        size_t n)
{
	if (r->dynamic != NULL)
		fail_msg("dynamic: %s", r->dynamic);
	assert_int_equal(r->source, src);
	assert_int_equal(r->count, n);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(r->items[i].req, want[i]);
		if (extras == NULL)
			assert_null(r->items[i].extra);
		else
			assert_string_equal(r->items[i].extra, extras[i]);
		assert_int_equal(r->items[i].source, src);
	}
}

static void assert_unknowable(const dl_sdist *sd, const char *const *want, size_t n)
{
	for (size_t i = 0; i < sd->unknowable_count && i < n; i++)
		assert_string_equal(sd->unknowable[i], want[i]);
	if (sd->unknowable_count != n) {
		for (size_t i = 0; i < sd->unknowable_count; i++)
			print_message("unknowable[%zu]: %s\n", i, sd->unknowable[i]);
		fail_msg("%zu unknowable facts, expected %zu", sd->unknowable_count, n);
	}
}

static const char WHEEL_NOTE[] = "build requirements: setuptools older than 70.1 also asks for 'wheel' through "
                                 "get_requires_for_build_wheel; whether it does depends on the setuptools version "
                                 "chosen";

static const char pkg_info_21[] = "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nRequires-Dist: ignored\n\nbody\n";

static void test_pyproject_hatchling(void **state)
{
	(void)state;
	struct fixture f;
	const char *files[] = {"PKG-INFO", pkg_info_21, "pyproject.toml",
	                       "[build-system]\n"
	                       "requires = [\"hatchling>=1.0\"]\n"
	                       "build-backend = \"hatchling.build\"\n"
	                       "[project]\n"
	                       "name = \"demo\"\n"
	                       "dynamic = [\"version\"]\n"
	                       "requires-python = \">=3.8\"\n"
	                       "dependencies = [\"requests>=2\", \"tomli; python_version < '3.11'\"]\n"
	                       "[project.optional-dependencies]\n"
	                       "test = [\"pytest\"]\n"
	                       "docs = [\"sphinx\", \"furo\"]\n",
	                       "setup.py", "this is not even Python (",
	                       NULL};
	dl_sdist *sd = read_ok(&f, "demo-1.0", files);
	assert_string_equal(sd->topdir, "demo-1.0");
	assert_non_null(sd->pkg_info);
	assert_non_null(sd->pyproject);
	assert_null(sd->setup_cfg);
	assert_non_null(sd->setup_py);
	assert_string_equal(sd->metadata_version, "2.1");
	assert_string_equal(sd->name.value, "demo");
	assert_int_equal(sd->name.source, DL_SDIST_SRC_PKG_INFO);
	assert_string_equal(sd->version.value, "1.0");
	assert_int_equal(sd->version.source, DL_SDIST_SRC_PKG_INFO);
	assert_string_equal(sd->requires_python.value, ">=3.8");
	assert_int_equal(sd->requires_python.source, DL_SDIST_SRC_PYPROJECT);
	const char *req[] = {"requests>=2", "tomli; python_version < '3.11'"};
	assert_reqs(&sd->requires, DL_SDIST_SRC_PYPROJECT, req, NULL, 2);
	const char *ext[] = {"pytest", "sphinx", "furo"};
	const char *extn[] = {"test", "docs", "docs"};
	assert_reqs(&sd->extras, DL_SDIST_SRC_PYPROJECT, ext, extn, 3);
	assert_int_equal(sd->extra_names_count, 2);
	assert_string_equal(sd->extra_names[0], "test");
	assert_string_equal(sd->extra_names[1], "docs");
	const char *breq[] = {"hatchling>=1.0"};
	assert_reqs(&sd->build_requires, DL_SDIST_SRC_PYPROJECT, breq, NULL, 1);
	assert_string_equal(sd->build_backend, "hatchling.build");
	assert_int_equal(sd->build_backend_source, DL_SDIST_SRC_PYPROJECT);
	assert_false(sd->setuptools_backend);
	assert_int_equal(sd->backend_path_count, 0);
	/* setup.py is irrelevant to hatchling: not read. */
	assert_int_equal(sd->setup_requires.count, 0);
	assert_null(sd->setup_requires.dynamic);
	assert_unknowable(sd, NULL, 0);
	done(&f);
}

static void test_setup_cfg_only(void **state)
{
	(void)state;
	struct fixture f;
	const char *files[] = {"PKG-INFO", pkg_info_21, "setup.cfg",
	                       "[metadata]\n"
	                       "name = demo\n"
	                       "[options]\n"
	                       "python_requires = >=3.7\n"
	                       "install_requires =\n"
	                       "    requests>=2  # HTTP\n"
	                       "    idna\n"
	                       "setup_requires = setuptools_scm>=6\n"
	                       "[options.extras_require]\n"
	                       "test = file: requirements/test.txt\n",
	                       "requirements/test.txt", "pytest\ncoverage\n", NULL};
	dl_sdist *sd = read_ok(&f, "demo-1.0", files);
	assert_null(sd->pyproject);
	assert_string_equal(sd->requires_python.value, ">=3.7");
	assert_int_equal(sd->requires_python.source, DL_SDIST_SRC_SETUP_CFG);
	const char *req[] = {"requests>=2 ", "idna"};
	assert_reqs(&sd->requires, DL_SDIST_SRC_SETUP_CFG, req, NULL, 2);
	const char *ext[] = {"pytest", "coverage"};
	const char *extn[] = {"test", "test"};
	assert_reqs(&sd->extras, DL_SDIST_SRC_SETUP_CFG, ext, extn, 2);
	/* No pyproject.toml: the PEP 517/518 fallback. */
	const char *breq[] = {"setuptools>=40.8.0"};
	assert_reqs(&sd->build_requires, DL_SDIST_SRC_FALLBACK, breq, NULL, 1);
	assert_string_equal(sd->build_backend, "setuptools.build_meta:__legacy__");
	assert_int_equal(sd->build_backend_source, DL_SDIST_SRC_FALLBACK);
	assert_true(sd->setuptools_backend);
	const char *sreq[] = {"setuptools_scm>=6"};
	assert_reqs(&sd->setup_requires, DL_SDIST_SRC_SETUPTOOLS, sreq, NULL, 1);
	assert_int_equal(sd->setup_requires.items[0].origin, DL_SDIST_SRC_SETUP_CFG);
	const char *unk[] = {WHEEL_NOTE};
	assert_unknowable(sd, unk, 1);
	done(&f);
}

static void test_setup_py_literals(void **state)
{
	(void)state;
	struct fixture f;
	const char *files[] = {"PKG-INFO", pkg_info_21, "pyproject.toml",
	                       "[build-system]\nrequires = [\"setuptools>=61\", \"wheel\"]\n"
	                       "build-backend = \"setuptools.build_meta\"\n[tool.black]\nline-length = 100\n",
	                       "setup.cfg", "[options]\ninstall_requires = overridden\npython_requires = >=3.9\n",
	                       "setup.py",
	                       "from setuptools import setup\n"
	                       "DEPS = ['click>=8', 'rich']\n"
	                       "setup(\n"
	                       "    install_requires=DEPS + ['attrs'],\n"
	                       "    setup_requires=['cffi>=1.0'],\n"
	                       "    extras_require={\n"
	                       "        'test': ['pytest; python_version >= \"3.8\"'],\n"
	                       "        ':sys_platform == \"win32\"': ['colorama'],\n"
	                       "        'fast:platform_python_implementation == \"CPython\"': ['ujson'],\n"
	                       "    },\n"
	                       ")\n",
	                       NULL};
	dl_sdist *sd = read_ok(&f, "demo-1.0", files);
	const char *req[] = {"click>=8", "rich", "attrs", "colorama; sys_platform == \"win32\""};
	assert_reqs(&sd->requires, DL_SDIST_SRC_SETUP_PY, req, NULL, 4);
	assert_int_equal(sd->extras.count, 2);
	assert_string_equal(sd->extras.items[0].req, "pytest; python_version >= \"3.8\"");
	assert_string_equal(sd->extras.items[0].extra, "test");
	assert_string_equal(sd->extras.items[1].req, "ujson; platform_python_implementation == \"CPython\"");
	assert_string_equal(sd->extras.items[1].extra, "fast");
	assert_int_equal(sd->extras.source, DL_SDIST_SRC_SETUP_PY);
	assert_int_equal(sd->extra_names_count, 2);
	/* setup.py gives no python_requires: setup.cfg's applies. */
	assert_string_equal(sd->requires_python.value, ">=3.9");
	assert_int_equal(sd->requires_python.source, DL_SDIST_SRC_SETUP_CFG);
	const char *breq[] = {"setuptools>=61", "wheel"};
	assert_reqs(&sd->build_requires, DL_SDIST_SRC_PYPROJECT, breq, NULL, 2);
	assert_string_equal(sd->build_backend, "setuptools.build_meta");
	const char *sreq[] = {"cffi>=1.0"};
	assert_reqs(&sd->setup_requires, DL_SDIST_SRC_SETUPTOOLS, sreq, NULL, 1);
	assert_int_equal(sd->setup_requires.items[0].origin, DL_SDIST_SRC_SETUP_PY);
	assert_int_equal(sd->unknowable_count, 1);
	done(&f);
}

static void test_setup_py_computed(void **state)
{
	(void)state;
	struct fixture f;
	const char *files[] = {"PKG-INFO", pkg_info_21, "setup.py",
	                       "from setuptools import setup\n"
	                       "\n"
	                       "def get_requirements():\n"
	                       "    return open('requirements.txt').read().splitlines()\n"
	                       "\n"
	                       "if True:\n"
	                       "    extra = ['x']\n"
	                       "setup(\n"
	                       "    install_requires=['six'],\n"
	                       "    extras_require={'x': extra},\n"
	                       "    python_requires='>=3.6',\n"
	                       "    setup_requires=get_requirements(),\n"
	                       ")\n",
	                       NULL};
	dl_sdist *sd = read_ok(&f, "demo-1.0", files);
	const char *req[] = {"six"};
	assert_reqs(&sd->requires, DL_SDIST_SRC_SETUP_PY, req, NULL, 1);
	assert_string_equal(sd->extras.dynamic, "extras_require uses 'extra', which is assigned inside an 'if' block at "
	                                        "line 6");
	assert_int_equal(sd->extras.count, 0);
	assert_string_equal(sd->setup_requires.dynamic,
	                    "setup_requires is computed by a call to get_requirements() at line 12");
	assert_int_equal(sd->setup_requires.count, 0);
	const char *unk[] = {
	    "extras: extras_require uses 'extra', which is assigned inside an 'if' block at line 6",
	    WHEEL_NOTE,
	    "build requirements: setup_requires is computed by a call to get_requirements() at line 12",
	};
	assert_unknowable(sd, unk, 3);
	done(&f);
}

static void test_pkg_info_22(void **state)
{
	(void)state;
	struct fixture f;
	const char *files[] = {"PKG-INFO",
	                       "Metadata-Version: 2.2\n"
	                       "Name: demo\n"
	                       "Version: 2.0\n"
	                       "Dynamic: Requires-Python\n"
	                       "Requires-Dist: requests>=2\n"
	                       "Requires-Dist: pytest; extra == \"test\"\n"
	                       "Requires-Dist: cov>=1; python_version < \"3.8\" and extra == 'test'\n"
	                       "Requires-Dist: both; extra == \"a\" or extra == \"b\"\n"
	                       "Requires-Dist: w; sys_platform == \"win32\" or os_name == \"nt\" and extra == \"x\"\n"
	                       "Provides-Extra: test\n"
	                       "Provides-Extra: a\n"
	                       "Description-Content-Type: text/plain\n"
	                       "\n"
	                       "Requires-Dist: not-a-header\n",
	                       "setup.py",
	                       "from setuptools import setup\nsetup(install_requires=['other'], python_requires='>=3.10')\n",
	                       NULL};
	dl_sdist *sd = read_ok(&f, "demo-2.0", files);
	assert_string_equal(sd->metadata_version, "2.2");
	/* Requires-Dist is static in PKG-INFO 2.2: setup.py is not consulted. */
	const char *req[] = {"requests>=2", "both; extra == \"a\" or extra == \"b\"",
	                     "w; sys_platform == \"win32\" or os_name == \"nt\" and extra == \"x\""};
	assert_reqs(&sd->requires, DL_SDIST_SRC_PKG_INFO, req, NULL, 3);
	const char *ext[] = {"pytest", "cov>=1; python_version < \"3.8\""};
	const char *extn[] = {"test", "test"};
	assert_reqs(&sd->extras, DL_SDIST_SRC_PKG_INFO, ext, extn, 2);
	assert_int_equal(sd->extra_names_count, 2);
	/* Requires-Python is Dynamic: it comes from setup.py. */
	assert_string_equal(sd->requires_python.value, ">=3.10");
	assert_int_equal(sd->requires_python.source, DL_SDIST_SRC_SETUP_PY);
	assert_string_equal(sd->version.value, "2.0");
	done(&f);
}

static void test_bad_pkg_info(void **state)
{
	(void)state;
	struct fixture f;
	/* Metadata-Version 2.2, but an invalid Version: nothing in it is
	 * trusted under PEP 643; the lenient parse still names the sdist. */
	const char *files[] = {"PKG-INFO", "Metadata-Version: 2.2\nName: demo\nVersion: not-a-version\n"
	                                   "Requires-Dist: trusted-only-if-valid\n",
	                       "pyproject.toml",
	                       "[build-system]\nrequires = [\"flit_core\"]\nbuild-backend = \"flit_core.buildapi\"\n"
	                       "[project]\nname = \"demo\"\nversion = \"1.0\"\ndependencies = [\"from-pyproject\"]\n",
	                       NULL};
	dl_sdist *sd = read_ok(&f, "demo-1.0", files);
	assert_string_equal(sd->name.value, "demo");
	assert_int_equal(sd->name.source, DL_SDIST_SRC_PKG_INFO);
	assert_string_equal(sd->version.value, "not-a-version");
	const char *req[] = {"from-pyproject"};
	assert_reqs(&sd->requires, DL_SDIST_SRC_PYPROJECT, req, NULL, 1);
	assert_int_equal(sd->unknowable_count, 1);
	assert_string_equal(sd->unknowable[0],
	                    "PKG-INFO: the core-metadata parser rejects it (invalid version 'not-a-version': expected a "
	                    "release number at column 1; while reading the Version field on line 3 of the core metadata), "
	                    "so none of its fields is trusted");
	done(&f);
}

static void test_backend_path(void **state)
{
	(void)state;
	struct fixture f;
	const char *files[] = {"PKG-INFO", pkg_info_21, "pyproject.toml",
	                       "[build-system]\nrequires = []\nbuild-backend = \"flit_core.buildapi\"\nbackend-path = [\".\"]\n"
	                       "[project]\nname = \"flit_core\"\ndynamic = [\"version\", \"description\"]\n"
	                       "dependencies = []\nrequires-python = \">=3.6\"\n",
	                       NULL};
	dl_sdist *sd = read_ok(&f, "flit_core-3.9.0", files);
	assert_int_equal(sd->build_requires.count, 0);
	assert_int_equal(sd->build_requires.source, DL_SDIST_SRC_PYPROJECT);
	assert_string_equal(sd->build_backend, "flit_core.buildapi");
	assert_int_equal(sd->backend_path_count, 1);
	assert_string_equal(sd->backend_path[0], ".");
	assert_int_equal(sd->requires.count, 0);
	assert_int_equal(sd->requires.source, DL_SDIST_SRC_PYPROJECT);
	/* optional-dependencies is neither given nor dynamic: statically none. */
	assert_int_equal(sd->extras.count, 0);
	assert_null(sd->extras.dynamic);
	assert_unknowable(sd, NULL, 0);
	done(&f);

	const char *bad[] = {"PKG-INFO", pkg_info_21, "pyproject.toml",
	                     "[build-system]\nrequires = []\nbuild-backend = \"x\"\nbackend-path = [\"src\", \"../up\"]\n",
	                     NULL};
	assert_string_equal(read_fails("p-1", bad, DL_EPARSE),
	                    "p-1/pyproject.toml:4:24: backend-path entry '../up' points outside the source tree (PEP 517)\n"
	                    "  while reading the sdist 'test.tar.gz'");
}

static void test_other_backends(void **state)
{
	(void)state;
	struct fixture f;
	/* A backend deeplock does not model, without [project]. */
	const char *files[] = {"PKG-INFO", pkg_info_21, "pyproject.toml",
	                       "[build-system]\nrequires = [\"poetry-core>=1\"]\nbuild-backend = \"poetry.core.masonry.api\"\n"
	                       "[tool.poetry]\nname = \"demo\"\n",
	                       NULL};
	dl_sdist *sd = read_ok(&f, "demo-1.0", files);
	assert_string_equal(sd->requires.dynamic, "there is no [project] table, and the backend 'poetry.core.masonry.api' "
	                                          "reads its own configuration");
	assert_string_equal(sd->requires_python.dynamic, "there is no [project] table, and the backend "
	                                                 "'poetry.core.masonry.api' reads its own configuration");
	const char *unk[] = {
	    "requires-python: there is no [project] table, and the backend 'poetry.core.masonry.api' reads its own "
	    "configuration",
	    "runtime requirements: there is no [project] table, and the backend 'poetry.core.masonry.api' reads its own "
	    "configuration",
	    "extras: there is no [project] table, and the backend 'poetry.core.masonry.api' reads its own configuration",
	};
	assert_unknowable(sd, unk, 3);
	done(&f);

	const char *files2[] = {"PKG-INFO", pkg_info_21, "pyproject.toml",
	                        "[build-system]\nrequires = [\"maturin>=1,<2\"]\nbuild-backend = \"maturin\"\n"
	                        "[project]\nname = \"demo\"\ndynamic = [\"dependencies\"]\n",
	                        NULL};
	sd = read_ok(&f, "demo-1.0", files2);
	const char *unk2[] = {
	    "build requirements: the backend 'maturin' may ask for more through get_requires_for_build_wheel, which only "
	    "running it can tell",
	    "runtime requirements: pyproject.toml lists 'dependencies' in [project].dynamic, and the backend 'maturin' "
	    "computes it",
	};
	assert_unknowable(sd, unk2, 2);
	assert_null(sd->requires_python.value);
	assert_int_equal(sd->requires_python.source, DL_SDIST_SRC_PYPROJECT);
	done(&f);

	/* pyproject.toml without [build-system] and without build-backend. */
	const char *files3[] = {"PKG-INFO", pkg_info_21, "pyproject.toml", "[tool.black]\n", NULL};
	sd = read_ok(&f, "demo-1.0", files3);
	assert_int_equal(sd->build_requires.source, DL_SDIST_SRC_FALLBACK);
	assert_string_equal(sd->build_backend, "setuptools.build_meta:__legacy__");
	done(&f);
	const char *files4[] = {"PKG-INFO", pkg_info_21, "pyproject.toml", "[build-system]\nrequires = [\"setuptools\"]\n",
	                        NULL};
	sd = read_ok(&f, "demo-1.0", files4);
	assert_int_equal(sd->build_requires.source, DL_SDIST_SRC_PYPROJECT);
	assert_string_equal(sd->build_backend, "setuptools.build_meta:__legacy__");
	assert_int_equal(sd->build_backend_source, DL_SDIST_SRC_FALLBACK);
	assert_true(sd->setuptools_backend);
	done(&f);
}

static void test_setuptools_dynamic_files(void **state)
{
	(void)state;
	struct fixture f;
	const char *files[] = {"PKG-INFO", pkg_info_21, "pyproject.toml",
	                       "[build-system]\nrequires = [\"setuptools>=64\"]\nbuild-backend = \"setuptools.build_meta\"\n"
	                       "[project]\nname = \"demo\"\ndynamic = [\"dependencies\", \"optional-dependencies\"]\n"
	                       "[tool.setuptools.dynamic]\ndependencies = {file = [\"requirements.txt\"]}\n"
	                       "optional-dependencies.dev = {file = \"dev.txt\"}\n",
	                       "requirements.txt", "# pinned\nrequests==2.31.0\nidna\n", "dev.txt", "pytest\n", NULL};
	dl_sdist *sd = read_ok(&f, "demo-1.0", files);
	const char *req[] = {"requests==2.31.0", "idna"};
	assert_reqs(&sd->requires, DL_SDIST_SRC_PYPROJECT, req, NULL, 2);
	const char *ext[] = {"pytest"};
	const char *extn[] = {"dev"};
	assert_reqs(&sd->extras, DL_SDIST_SRC_PYPROJECT, ext, extn, 1);
	done(&f);
}

static void test_unreadable_inputs(void **state)
{
	(void)state;
	struct fixture f;
	/* A setup.cfg setuptools rejects, an interpolation error, and a
	 * setup.py that does not tokenise only make facts unknowable. */
	const char *files[] = {"PKG-INFO", pkg_info_21, "setup.cfg", "[options]\ninstall_requires = a\ninstall_requires = b\n",
	                       "setup.py", "setup(name='x'\n", NULL};
	dl_sdist *sd = read_ok(&f, "demo-1.0", files);
	assert_string_equal(sd->requires.dynamic, "setup.py cannot be read statically: demo-1.0/setup.py:1:6: '(' was never "
	                                          "closed");
	const char *unk[] = {
	    "setup.cfg: setuptools cannot read it: demo-1.0/setup.cfg:3:1: option 'install_requires' in section [options] "
	    "already exists (configparser is strict about duplicates, so setuptools fails)",
	    "requires-python: setup.py cannot be read statically: demo-1.0/setup.py:1:6: '(' was never closed",
	    "runtime requirements: setup.py cannot be read statically: demo-1.0/setup.py:1:6: '(' was never closed",
	    "extras: setup.py cannot be read statically: demo-1.0/setup.py:1:6: '(' was never closed",
	    WHEEL_NOTE,
	    "build requirements: setup.py cannot be read statically: demo-1.0/setup.py:1:6: '(' was never closed",
	};
	assert_unknowable(sd, unk, 6);
	done(&f);

	const char *files3[] = {"PKG-INFO", pkg_info_21, "setup.cfg",
	                        "[tool:pytest]\nlog_format = %(asctime)s\n[options]\ninstall_requires = a\n", NULL};
	sd = read_ok(&f, "demo-1.0", files3);
	const char *req[] = {"a"};
	assert_reqs(&sd->requires, DL_SDIST_SRC_SETUP_CFG, req, NULL, 1);
	assert_string_equal(sd->unknowable[0], "setup.cfg: setuptools will fail reading section [tool:pytest]: line 2: "
	                                       "option 'log_format': '%(asctime)s' names no option of the section or "
	                                       "[DEFAULT] (configparser: InterpolationMissingOptionError)");
	done(&f);

	/* A setup.py that is a link is not followed. */
	const char *files4[] = {"PKG-INFO", pkg_info_21, "real.py", "x = 1\n", "setup.py", "->real.py", NULL};
	sd = read_ok(&f, "demo-1.0", files4);
	assert_null(sd->setup_py);
	assert_string_equal(sd->unknowable[0], "setup.py: it is a link, which deeplock does not follow");
	done(&f);
}

static void test_not_an_sdist(void **state)
{
	(void)state;
	const char *none[] = {"setup.py", "", NULL};
	assert_string_equal(read_fails("demo-1.0", none, DL_EPARSE),
	                    "archive 'test.tar.gz': not an sdist: there is no 'demo-1.0/PKG-INFO'\n"
	                    "  while reading the sdist 'test.tar.gz'");
	const char *bad_toml[] = {"PKG-INFO", pkg_info_21, "pyproject.toml", "[build-system\n", NULL};
	const char *msg = read_fails("demo-1.0", bad_toml, DL_EPARSE);
	assert_true(strncmp(msg, "demo-1.0/pyproject.toml:1:", 26) == 0);
	assert_non_null(strstr(msg, "\n  while reading the sdist 'test.tar.gz'"));
	const char *no_req[] = {"PKG-INFO", pkg_info_21, "pyproject.toml", "[build-system]\nbuild-backend = \"x\"\n", NULL};
	msg = read_fails("demo-1.0", no_req, DL_EPARSE);
	assert_string_equal(msg, "demo-1.0/pyproject.toml:1:1: missing key 'requires' in 'build-system' (pip requires it)\n"
	                         "  while reading the sdist 'test.tar.gz'");
	const char *bad_req[] = {"PKG-INFO", pkg_info_21, "pyproject.toml", "[build-system]\nrequires = [\"a\", 1]\n", NULL};
	msg = read_fails("demo-1.0", bad_req, DL_EPARSE);
	assert_true(strncmp(msg, "demo-1.0/pyproject.toml:2:18: ", 30) == 0);

	/* No common top directory. */
	membuf mb;
	memset(&mb, 0, sizeof(mb));
	struct archive *w = archive_write_new();
	archive_write_set_format_pax_restricted(w);
	archive_write_open2(w, &mb, NULL, mb_write, NULL, NULL);
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, "PKG-INFO");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_size(e, 0);
	archive_write_header(w, e);
	archive_entry_free(e);
	archive_write_close(w);
	archive_write_free(w);
	dl_archive *ar = NULL;
	assert_int_equal(dl_archive_open_memory(&ar, mb.data, mb.len, "flat.tar", NULL), 0);
	dl_sdist *sd = NULL;
	assert_int_equal(dl_sdist_read(&sd, ar, NULL), DL_EPARSE);
	assert_string_equal(dl_error_last()->message,
	                    "archive 'flat.tar': not an sdist: its members do not share one top-level directory");
	dl_archive_free(ar);
	free(mb.data);
}

static dl_archive *alloc_ar;

static int read_for_alloc(void *ctx)
{
	(void)ctx;
	dl_sdist *sd = NULL;
	int rc = dl_sdist_read(&sd, alloc_ar, NULL);
	if (rc == 0) {
		if (sd->requires.count != 4)
			rc = DL_ERROR;
		dl_sdist_free(sd);
	}
	return rc;
}

static void test_alloc_failures(void **state)
{
	(void)state;
	membuf mb;
	const char *files[] = {"PKG-INFO", pkg_info_21, "pyproject.toml",
	                       "[build-system]\nrequires = [\"setuptools>=61\"]\nbuild-backend = \"setuptools.build_meta\"\n",
	                       "setup.cfg", "[options]\nsetup_requires = x\n[options.extras_require]\nt = file: t.txt\n",
	                       "t.txt", "pytest\n", "setup.py",
	                       "from setuptools import setup\nD = ['a', 'b']\n"
	                       "setup(install_requires=D + ['c'], extras_require={':os_name == \"nt\"': ['d']})\n",
	                       NULL};
	make(&mb, "demo-1.0", files);
	assert_int_equal(dl_archive_open_memory(&alloc_ar, mb.data, mb.len, "alloc.tar.gz", NULL), 0);
	dltest_each_alloc_failure(read_for_alloc, NULL);
	dl_archive_free(alloc_ar);
	free(mb.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pyproject_hatchling),
	    cmocka_unit_test(test_setup_cfg_only),
	    cmocka_unit_test(test_setup_py_literals),
	    cmocka_unit_test(test_setup_py_computed),
	    cmocka_unit_test(test_pkg_info_22),
	    cmocka_unit_test(test_bad_pkg_info),
	    cmocka_unit_test(test_backend_path),
	    cmocka_unit_test(test_other_backends),
	    cmocka_unit_test(test_setuptools_dynamic_files),
	    cmocka_unit_test(test_unreadable_inputs),
	    cmocka_unit_test(test_not_an_sdist),
	    cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
