/*
 * test_index_pages.c - every Simple API page under
 * ../shared/data/index-pages (pip's and poetry's test fixtures), read in
 * place.
 *
 * Each HTML page is parsed as text/html and each PEP 691 page (those
 * directly in a "json" or "mocked" folder) as the v1 JSON type, against the
 * URL "https://index.example/<path>" so that relative links resolve the
 * same on every machine.  Every page must parse with no warning, and every
 * file must satisfy the model's invariants (absolute http(s) URL without a
 * fragment, a plain file name, well-formed hashes).  The per-release JSON
 * files of PyPI's older JSON API that sit next to them (json/<name>/<v>.json)
 * are not Simple API pages: they must be refused with DL_EPARSE naming the
 * missing "meta", never crash.  .metadata files belong to the metadata
 * parser and are skipped, as are licences and archives.
 *
 * Then exact values: the file count of every page (cross-checked against
 * Python's html.parser and json modules when the table was written), and
 * hashes, yank reasons, requires-python strings, metadata availability,
 * sizes and URLs for a sample that covers every feature the fixtures use.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "deeplock/index.h"
#include "dltest.h"

#define BASE "https://index.example/"

static const char *pages_dir;

struct page_entry {
	char *rel;
	dl_index_page *page;
};

static struct page_entry *pages;
static size_t n_pages;
static size_t n_html, n_json, n_legacy, n_skipped;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The name of the folder holding `rel`. */
static void parent_name(const char *rel, char *out, size_t cap)
{
	const char *slash = strrchr(rel, '/');
	size_t end = slash != NULL ? (size_t)(slash - rel) : 0;
	size_t start = end;
	while (start > 0 && rel[start - 1] != '/')
		start--;
	snprintf(out, cap, "%.*s", (int)(end - start), rel + start);
}

static void check_invariants(const char *rel, const dl_index_page *p)
{
	if (p->warning_count != 0)
		fail_msg("%s: unexpected warning: %s", rel, p->warnings[0]);
	if (strncmp(p->url, BASE, strlen(BASE)) != 0 || strcmp(p->url + strlen(BASE), rel) != 0)
		fail_msg("%s: page URL %s", rel, p->url);
	for (size_t i = 0; i < p->file_count; i++) {
		const dl_index_file *f = &p->files[i];
		if (strncmp(f->url, "https://", 8) != 0 && strncmp(f->url, "http://", 7) != 0)
			fail_msg("%s: file %zu: URL %s is not absolute http(s)", rel, i, f->url);
		if (strchr(f->url, '#') != NULL)
			fail_msg("%s: file %zu: URL %s keeps a fragment", rel, i, f->url);
		if (f->filename[0] == '\0' || strchr(f->filename, '/') != NULL)
			fail_msg("%s: file %zu: bad file name '%s'", rel, i, f->filename);
		for (size_t h = 0; h < f->hashes.count; h++) {
			const dl_index_hash *x = &f->hashes.items[h];
			if (h > 0 && f->hashes.items[h - 1].alg >= x->alg)
				fail_msg("%s: file %zu: hashes not sorted", rel, i);
			for (const char *c = x->hex; *c != '\0'; c++) {
				if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
					fail_msg("%s: file %zu: %s hash %s not lower-case hex", rel, i, x->name,
					         x->hex);
			}
		}
		if (f->yanked_reason != NULL && !f->yanked)
			fail_msg("%s: file %zu: a yank reason without yanked", rel, i);
		if (!f->core_metadata.available && f->core_metadata.hashes.count != 0)
			fail_msg("%s: file %zu: metadata hashes without metadata", rel, i);
	}
}

static void parse_one(const char *rel)
{
	char parent[256];
	bool html = ends_with(rel, ".html");
	bool json = ends_with(rel, ".json");
	if (!html && !json) {
		n_skipped++;
		return;
	}
	parent_name(rel, parent, sizeof(parent));
	bool simple_json = json && (strcmp(parent, "json") == 0 || strcmp(parent, "mocked") == 0);
	size_t len = 0;
	char *data = dltest_read_file(dltest_path(pages_dir, rel), &len);
	char *url = NULL;
	assert_true(asprintf(&url, "%s%s", BASE, rel) > 0);
	dl_index_page *page = NULL;
	const char *ct = html ? "text/html" : "application/vnd.pypi.simple.v1+json";
	int rc = dl_index_page_parse(&page, data, len, ct, url, NULL);
	free(data);
	char *want = NULL;
	assert_true(asprintf(&want, "index page %s: meta: missing (expected an object with \"api-version\")", url) > 0);
	free(url);
	if (json && !simple_json) {
		/* PyPI's per-release JSON API: not a Simple API page. */
		if (rc != DL_EPARSE)
			fail_msg("%s: expected DL_EPARSE, got %d", rel, rc);
		if (strcmp(dl_error_last()->message, want) != 0)
			fail_msg("%s: message '%s'", rel, dl_error_last()->message);
		free(want);
		n_legacy++;
		return;
	}
	free(want);
	if (rc != 0)
		fail_msg("%s: %s", rel, dl_error_last()->message);
	check_invariants(rel, page);
	if (html)
		n_html++;
	else
		n_json++;
	pages = realloc(pages, (n_pages + 1) * sizeof(*pages));
	pages[n_pages].rel = strdup(rel);
	pages[n_pages].page = page;
	n_pages++;
}

static void walk(const char *rel)
{
	char *dir = NULL;
	assert_true(asprintf(&dir, "%s/%s", pages_dir, rel) > 0);
	DIR *d = opendir(dir);
	if (d == NULL)
		fail_msg("cannot open %s", dir);
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	free(dir);
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char *child = NULL, *path = NULL;
		assert_true(asprintf(&child, "%s%s%s", rel, rel[0] != '\0' ? "/" : "", names[i]) > 0);
		assert_true(asprintf(&path, "%s/%s", pages_dir, child) > 0);
		struct stat st;
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			walk(child);
		else
			parse_one(child);
		free(child);
		free(path);
		free(names[i]);
	}
	free(names);
}

static int setup(void **state)
{
	(void)state;
	const char *shared = dltest_require_shared("the index page fixtures");
	static char dir[4096];
	snprintf(dir, sizeof(dir), "%s/data/index-pages", shared);
	pages_dir = dir;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < n_pages; i++) {
		dl_index_page_free(pages[i].page);
		free(pages[i].rel);
	}
	free(pages);
	return 0;
}

static const dl_index_page *page(const char *rel)
{
	for (size_t i = 0; i < n_pages; i++) {
		if (strcmp(pages[i].rel, rel) == 0)
			return pages[i].page;
	}
	fail_msg("page %s was not parsed", rel);
	return NULL;
}

static const char *hash_hex(const dl_index_hashes *h, dl_index_hash_alg alg)
{
	const dl_index_hash *x = dl_index_hashes_find(h, alg);
	return x != NULL ? x->hex : "(none)";
}

static void test_all_pages(void **state)
{
	(void)state;
	walk("");
	printf("parsed %zu HTML and %zu JSON pages, refused %zu per-release JSON files, skipped %zu other files\n",
	       n_html, n_json, n_legacy, n_skipped);
	assert_int_equal(n_html, 35);
	assert_int_equal(n_json, 46);
	assert_int_equal(n_legacy, 52);
}

static void test_file_counts(void **state)
{
	(void)state;
	static const struct {
		const char *rel;
		size_t files;
	} counts[] = {
	    {"pip/datarequire/fakepackage/index.html", 5},
	    {"pip/dev/bar/index.html", 2},
	    {"pip/empty_with_pkg/index.html", 0},
	    {"pip/in_dex/simple/index.html", 1},
	    {"pip/invalid-version/invalid-version/index.html", 2},
	    {"pip/pre/bar/index.html", 3},
	    {"pip/require-invalid-version/invalid-version/index.html", 1},
	    {"pip/require-invalid-version/require-invalid-version/index.html", 3},
	    {"pip/simple/simple/index.html", 1},
	    {"pip/yanked/simple/index.html", 3},
	    {"pip/yanked_all/simple/index.html", 3},
	    {"poetry/legacy/absolute.html", 2},
	    {"poetry/legacy/black.html", 4},
	    {"poetry/legacy/clikit.html", 4},
	    {"poetry/legacy/demo.html", 1},
	    {"poetry/legacy/discord-py.html", 2},
	    {"poetry/legacy/futures-partial-yank.html", 2},
	    {"poetry/legacy/futures.html", 2},
	    {"poetry/legacy/invalid-version.html", 2},
	    {"poetry/legacy/ipython.html", 7},
	    {"poetry/legacy/isort-metadata.html", 1},
	    {"poetry/legacy/isort.html", 3},
	    {"poetry/legacy/jupyter.html", 1},
	    {"poetry/legacy/missing-version.html", 1},
	    {"poetry/legacy/pastel.html", 1},
	    {"poetry/legacy/poetry-test-py2-py3-metadata-merge.html", 2},
	    {"poetry/legacy/pytest-with-extra-packages.html", 5},
	    {"poetry/legacy/pytest.html", 2},
	    {"poetry/legacy/python-language-server.html", 1},
	    {"poetry/legacy/pyyaml.html", 3},
	    {"poetry/legacy/relative.html", 3},
	    {"poetry/legacy/sqlalchemy-legacy.html", 1},
	    {"poetry/legacy/tomlkit.html", 1},
	    {"poetry/single-page/jax_releases.html", 21},
	    {"poetry/single-page/mmcv_torch_releases.html", 104},
	    {"poetry/legacy/json/absolute.json", 2},
	    {"poetry/legacy/json/demo.json", 1},
	    {"poetry/legacy/json/invalid-version.json", 2},
	    {"poetry/legacy/json/isort-metadata.json", 1},
	    {"poetry/legacy/json/jupyter.json", 1},
	    {"poetry/legacy/json/poetry-test-py2-py3-metadata-merge.json", 2},
	    {"poetry/legacy/json/relative.json", 3},
	    {"poetry/legacy/json/sqlalchemy-legacy.json", 1},
	    {"poetry/pypi.org/json/attrs.json", 2},
	    {"poetry/pypi.org/json/black.json", 4},
	    {"poetry/pypi.org/json/cleo.json", 2},
	    {"poetry/pypi.org/json/clikit.json", 2},
	    {"poetry/pypi.org/json/colorama.json", 2},
	    {"poetry/pypi.org/json/discord-py.json", 2},
	    {"poetry/pypi.org/json/filecache.json", 2},
	    {"poetry/pypi.org/json/funcsigs.json", 2},
	    {"poetry/pypi.org/json/futures.json", 2},
	    {"poetry/pypi.org/json/hbmqtt.json", 3},
	    {"poetry/pypi.org/json/importlib-metadata.json", 2},
	    {"poetry/pypi.org/json/ipython.json", 8},
	    {"poetry/pypi.org/json/isodate.json", 2},
	    {"poetry/pypi.org/json/isort-metadata.json", 3},
	    {"poetry/pypi.org/json/isort.json", 3},
	    {"poetry/pypi.org/json/jupyter.json", 3},
	    {"poetry/pypi.org/json/more-itertools.json", 3},
	    {"poetry/pypi.org/json/pastel.json", 2},
	    {"poetry/pypi.org/json/pluggy.json", 3},
	    {"poetry/pypi.org/json/poetry-core.json", 4},
	    {"poetry/pypi.org/json/py.json", 2},
	    {"poetry/pypi.org/json/pylev.json", 2},
	    {"poetry/pypi.org/json/pytest.json", 4},
	    {"poetry/pypi.org/json/python-language-server.json", 1},
	    {"poetry/pypi.org/json/pyyaml.json", 11},
	    {"poetry/pypi.org/json/requests.json", 12},
	    {"poetry/pypi.org/json/setuptools.json", 4},
	    {"poetry/pypi.org/json/six.json", 2},
	    {"poetry/pypi.org/json/sqlalchemy.json", 1},
	    {"poetry/pypi.org/json/toga.json", 8},
	    {"poetry/pypi.org/json/tomlkit.json", 4},
	    {"poetry/pypi.org/json/twisted.json", 1},
	    {"poetry/pypi.org/json/wheel.json", 2},
	    {"poetry/pypi.org/json/zipp.json", 2},
	    {"poetry/pypi.org/json/mocked/invalid-version-package.json", 2},
	    {"poetry/pypi.org/json/mocked/six-unknown-version.json", 2},
	    {"poetry/pypi.org/json/mocked/with-extra-dependency.json", 1},
	    {"poetry/pypi.org/json/mocked/with-transitive-extra-dependency.json", 1},
	};
	size_t n = sizeof(counts) / sizeof(counts[0]);
	assert_int_equal(n, n_pages); /* the table covers every page */
	for (size_t i = 0; i < n; i++) {
		const dl_index_page *p = page(counts[i].rel);
		if (p->file_count != counts[i].files)
			fail_msg("%s: %zu files, expected %zu", counts[i].rel, p->file_count, counts[i].files);
	}
}

static void test_pip_pages(void **state)
{
	(void)state;
	const dl_index_page *p = page("pip/yanked/simple/index.html");
	assert_string_equal(p->files[0].url, BASE "packages/simple-1.0.tar.gz");
	assert_string_equal(p->files[0].filename, "simple-1.0.tar.gz");
	assert_false(p->files[0].yanked);
	assert_false(p->files[1].yanked);
	assert_true(p->files[2].yanked);
	assert_string_equal(p->files[2].yanked_reason, "test reason message");
	assert_int_equal(p->api_minor, 0);

	p = page("pip/yanked_all/simple/index.html");
	for (size_t i = 0; i < 3; i++)
		assert_string_equal(p->files[i].yanked_reason, "test reason message");

	p = page("pip/simple/simple/index.html");
	assert_string_equal(p->files[0].url, BASE "packages/simple-1.0.tar.gz");
	assert_int_equal(p->files[0].hashes.count, 1);
	assert_string_equal(hash_hex(&p->files[0].hashes, DL_INDEX_MD5), "4bdf78ebb7911f215c1972cf71b378f0");
	assert_true(p->files[0].hashes.items[0].weak);
	assert_null(dl_index_hashes_best(&p->files[0].hashes));

	/* requires-python with entities, an empty one and a nonsense one; an
	 * absolute-path href; a non-PEP 629 <meta> that must not set the API
	 * version. */
	p = page("pip/datarequire/fakepackage/index.html");
	static const char *const rp[] = {"", "<2.7", ">=2.7,<3", ">=3.3", "><X.y.z"};
	for (size_t i = 0; i < 5; i++) {
		assert_non_null(p->files[i].requires_python);
		assert_string_equal(p->files[i].requires_python, rp[i]);
		assert_string_equal(hash_hex(&p->files[i].hashes, DL_INDEX_MD5), "00000000000000000000000000000000");
	}
	assert_string_equal(p->files[0].url, BASE "fakepackage-1.0.0.tar.gz");
	assert_string_equal(p->files[4].filename, "fakepackage-9.9.9.tar.gz");
	assert_int_equal(p->api_major, 1);
	assert_int_equal(p->api_minor, 0);

	p = page("pip/pre/bar/index.html"); /* the anchor text lies; the URL decides */
	assert_string_equal(p->files[1].filename, "bar-2.0b1.tar.gz");
	assert_string_equal(p->files[1].url, BASE "pip/pre/bar/bar-2.0b1.tar.gz");
	assert_null(p->files[1].requires_python);

	p = page("pip/invalid-version/invalid-version/index.html");
	assert_string_equal(p->files[0].filename, "invalid_version-2010i-py3-none-any.whl");
	assert_string_equal(p->files[0].url, BASE "packages/invalid_version-2010i-py3-none-any.whl");
}

static void test_poetry_html(void **state)
{
	(void)state;
	const dl_index_page *p = page("poetry/legacy/black.html");
	assert_string_equal(p->files[0].filename, "black-19.10b0-py36-none-any.whl");
	assert_string_equal(hash_hex(&p->files[0].hashes, DL_INDEX_SHA256),
	                    "13001c5b7dbc81137164b43137320a1785e95ce84e4db849279786877ac6d7f6");
	assert_string_equal(
	    p->files[0].url,
	    "https://files.pythonhosted.org/packages/fd/bb/"
	    "ad34bbc93d1bea3de086d7c59e528d4a503ac8fe318bd1fa48605584c3d2/black-19.10b0-py36-none-any.whl");
	/* ">=3.6" raw and "&gt;=3.6" must read the same. */
	assert_string_equal(p->files[0].requires_python, ">=3.6");
	assert_string_equal(p->files[1].requires_python, ">=3.6");
	assert_false(p->files[1].yanked);
	assert_true(p->files[2].yanked);
	assert_string_equal(p->files[2].yanked_reason, "Broken regex dependency. Use 21.11b1 instead.");
	assert_string_equal(p->files[3].yanked_reason, "Broken regex dependency. Use 21.11b1 instead.");
	assert_string_equal(p->files[3].requires_python, ">=3.6.2");

	p = page("poetry/legacy/futures-partial-yank.html"); /* bare data-yanked */
	assert_true(p->files[0].yanked);
	assert_null(p->files[0].yanked_reason);
	assert_string_equal(p->files[0].requires_python, ">=2.6, <3");
	assert_false(p->files[1].yanked);

	p = page("poetry/legacy/isort-metadata.html"); /* data-dist-info-metadata="sha256=..." */
	assert_true(p->files[0].core_metadata.available);
	assert_int_equal(p->files[0].core_metadata.hashes.count, 1);
	assert_string_equal(hash_hex(&p->files[0].core_metadata.hashes, DL_INDEX_SHA256),
	                    "e360bf0ed8a06390513d50dd5b7e9d635c789853a93b84163f9de4ae0647580c");
	assert_string_equal(hash_hex(&p->files[0].hashes, DL_INDEX_SHA256),
	                    "1153601da39a25b14ddc54955dbbacbb6b2d19135386699e2ad58517953b34af");

	p = page("poetry/legacy/isort.html");
	for (size_t i = 0; i < p->file_count; i++)
		assert_false(p->files[i].core_metadata.available);

	p = page("poetry/legacy/clikit.html");
	assert_string_equal(p->files[3].requires_python, ">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*");
	assert_string_equal(hash_hex(&p->files[3].hashes, DL_INDEX_SHA256),
	                    "0fdd41e86e8b118a8b1e94ef2835925ada541d481c9b3b2fc635fa68713e6125");

	p = page("poetry/legacy/ipython.html"); /* md5 for some files, sha256 for others */
	assert_string_equal(hash_hex(&p->files[0].hashes, DL_INDEX_MD5), "2aff56d8e78341f64663bcbc81366376");
	assert_null(dl_index_hashes_best(&p->files[0].hashes));
	assert_string_equal(dl_index_hashes_best(&p->files[1].hashes)->hex,
	                    "efa3a5a676648cb18e2a2d3cd6353f3c83f0f704df8eb0eb6ae7d0dcbf187ea1");
	assert_null(p->files[2].requires_python);

	p = page("poetry/legacy/relative.html");
	assert_string_equal(p->files[2].filename, "poetry-0.1.1.tar.bz2"); /* text says .tar.bz */
	assert_string_equal(p->files[2].url, BASE "poetry/legacy/poetry-0.1.1.tar.bz2");

	p = page("poetry/legacy/invalid-version.html");
	assert_string_equal(p->files[0].filename,
	                    "poetry-21.07.28.5ffb65e2ff8067c732e2b178d03b707c7fb27855-py3-none-any.whl");

	p = page("poetry/legacy/pytest-with-extra-packages.html");
	assert_string_equal(p->files[0].filename, "pytest-3.5.0-py2.py3-none-any.whl");
	for (size_t i = 2; i < 5; i++)
		assert_string_equal(p->files[i].filename, "futures-3.2.0-py2-none-any.whl");

	p = page("poetry/legacy/jupyter.html");
	assert_int_equal(p->files[0].hashes.count, 0);

	p = page("poetry/single-page/jax_releases.html");
	assert_string_equal(p->files[0].filename, "jaxlib-0.3.0-cp310-none-manylinux2010_x86_64.whl");
	assert_string_equal(p->files[20].url, "https://storage.googleapis.com/jax-releases/jax/jax-0.3.7.tar.gz");

	p = page("poetry/single-page/mmcv_torch_releases.html");
	assert_string_equal(p->files[0].url, BASE "poetry/torch1.12.0/mmcv-2.0.0-cp310-cp310-manylinux1_x86_64.whl");
	assert_string_equal(p->files[103].filename, "mmcv_full-1.7.2-cp39-cp39-win_amd64.whl");
}

static void test_poetry_json(void **state)
{
	(void)state;
	const dl_index_page *p = page("poetry/pypi.org/json/attrs.json");
	assert_string_equal(p->name, "attrs");
	assert_int_equal(p->api_major, 1);
	assert_int_equal(p->api_minor, 4);
	assert_int_equal(p->last_serial, 0);
	assert_true(p->has_versions);
	assert_int_equal(p->version_count, 1);
	assert_string_equal(p->versions[0], "17.4.0");
	assert_string_equal(p->project_status, "active");
	assert_int_equal(p->alternate_location_count, 0);
	const dl_index_file *f = &p->files[0];
	assert_string_equal(f->filename, "attrs-17.4.0-py2.py3-none-any.whl");
	assert_int_equal(f->size, 31658);
	assert_string_equal(f->upload_time, "2017-12-30T08:20:05.582456Z");
	assert_int_equal(f->hashes.count, 2);
	assert_string_equal(hash_hex(&f->hashes, DL_INDEX_MD5), "7fe37931797b16c7fa158017457a9ea9");
	assert_string_equal(dl_index_hashes_best(&f->hashes)->hex,
	                    "1fbfc10ebc8c876dcbab17f016b80ae1a4f0c1413461a695871427960795beb4");
	assert_true(f->core_metadata.available);
	assert_string_equal(hash_hex(&f->core_metadata.hashes, DL_INDEX_SHA256),
	                    "a1828f9b7a019e96302759189410f380814be1dd57a201a56c078f9e8e11a2e5");
	assert_null(f->requires_python);
	assert_false(f->yanked);
	assert_null(f->provenance);
	assert_false(p->files[1].core_metadata.available);
	assert_int_equal(p->files[1].size, 97071);

	p = page("poetry/pypi.org/json/black.json");
	assert_false(p->files[1].yanked);
	assert_true(p->files[2].yanked);
	assert_string_equal(p->files[2].yanked_reason, "Broken regex dependency. Use 21.11b1 instead.");
	assert_string_equal(p->files[2].requires_python, ">=3.6.2");
	assert_string_equal(hash_hex(&p->files[2].core_metadata.hashes, DL_INDEX_SHA256),
	                    "6b5b5209d6862dde7399150665655faa4526565c775f125ad004746fe96d4d4c");
	assert_int_equal(p->files[3].size, 593164);

	p = page("poetry/pypi.org/json/poetry-core.json");
	assert_null(p->files[1].provenance);
	assert_string_equal(
	    p->files[2].provenance,
	    "https://pypi.org/integrity/poetry-core/2.1.3/poetry_core-2.1.3-py3-none-any.whl/provenance");
	assert_string_equal(p->files[3].requires_python, "<4.0,>=3.9");

	p = page("poetry/pypi.org/json/toga.json");
	assert_int_equal(p->version_count, 4);
	assert_string_equal(p->versions[2], "0.3.0dev2");
	assert_int_equal(p->files[0].hashes.count, 1);
	assert_string_equal(p->files[7].upload_time, "2023-11-03T04:09:40.090279Z");

	p = page("poetry/pypi.org/json/isort-metadata.json"); /* "core-metadata": true, API 1.0 */
	assert_int_equal(p->api_minor, 0);
	assert_int_equal(p->last_serial, 3575149);
	assert_false(p->has_versions);
	assert_null(p->project_status);
	assert_true(p->files[0].core_metadata.available);
	assert_int_equal(p->files[0].core_metadata.hashes.count, 0);
	assert_false(p->files[2].core_metadata.available);

	p = page("poetry/pypi.org/json/mocked/six-unknown-version.json");
	assert_int_equal(p->api_minor, 1);
	assert_string_equal(p->files[1].filename, "six_unknown_version-unknown.tar.gz");

	p = page("poetry/legacy/json/isort-metadata.json"); /* the PEP 658 spelling */
	assert_true(p->files[0].core_metadata.available);
	assert_string_equal(hash_hex(&p->files[0].core_metadata.hashes, DL_INDEX_SHA256),
	                    "e360bf0ed8a06390513d50dd5b7e9d635c789853a93b84163f9de4ae0647580c");

	p = page("poetry/legacy/json/relative.json");
	assert_string_equal(p->name, "poetry");
	assert_string_equal(p->files[2].url, BASE "poetry/legacy/json/poetry-0.1.1.tar.bz2");
	assert_string_equal(p->files[2].requires_python, ">=3.6.0");

	p = page("poetry/legacy/json/demo.json"); /* no "hashes" at all */
	assert_int_equal(p->files[0].hashes.count, 0);
	assert_string_equal(p->files[0].url, "https://files.pythonhosted.org/distributions/demo-0.1.0.tar.gz");
}

/* The same project served both ways reads the same. */
static void test_html_json_agree(void **state)
{
	(void)state;
	static const char *const pairs[][2] = {
	    {"poetry/legacy/absolute.html", "poetry/legacy/json/absolute.json"},
	    {"poetry/legacy/relative.html", "poetry/legacy/json/relative.json"},
	    {"poetry/legacy/isort-metadata.html", "poetry/legacy/json/isort-metadata.json"},
	    {"poetry/legacy/black.html", "poetry/pypi.org/json/black.json"},
	};
	for (size_t k = 0; k < sizeof(pairs) / sizeof(pairs[0]); k++) {
		const dl_index_page *h = page(pairs[k][0]), *j = page(pairs[k][1]);
		assert_int_equal(h->file_count, j->file_count);
		for (size_t i = 0; i < h->file_count; i++) {
			const dl_index_file *a = &h->files[i], *b = &j->files[i];
			assert_string_equal(a->filename, b->filename);
			assert_string_equal(hash_hex(&a->hashes, DL_INDEX_SHA256),
			                    hash_hex(&b->hashes, DL_INDEX_SHA256));
			assert_int_equal(a->yanked, b->yanked);
			if (a->yanked_reason != NULL || b->yanked_reason != NULL)
				assert_string_equal(a->yanked_reason, b->yanked_reason);
			if (strstr(pairs[k][0], "relative") == NULL)
				assert_string_equal(a->url, b->url);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_all_pages),   cmocka_unit_test(test_file_counts),
	    cmocka_unit_test(test_pip_pages),   cmocka_unit_test(test_poetry_html),
	    cmocka_unit_test(test_poetry_json), cmocka_unit_test(test_html_json_agree),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
