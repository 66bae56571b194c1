/*
 * test_lockfiles.c - the lock-file readers on real locks: every file of
 * ../shared/data/lockfiles (requirements files excepted: they belong to the
 * requirements-file reader) and every fixture of ../shared/data/pylock.
 *
 * Each lock must parse, and its package count must equal a count made
 * here without the readers: for TOML locks the `[[package]]` /
 * `[[packages]]` header lines (or, for an inline `packages = [...]` array,
 * the `{ name = ` lines in it); for Pipfile.lock the members of every
 * category object, counted by jansson.  Then a few entries per file are
 * checked against values copied by hand from the file's text.
 *
 * Of the pylock fixtures (pip's test data), only pip-pylock.invalid.toml is
 * an invalid lock (no lock-version).  pip-pylock.invalidhash.toml is a
 * well-formed lock whose sha256 does not match the archive it names, which
 * pip finds only when it downloads the file; as a document it is valid.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "deeplock/lockfile.h"
#include "dltest.h"

static const char *lockdir(void)
{
	static char buf[4096];
	snprintf(buf, sizeof buf, "%s/data/lockfiles", dltest_require_shared("data/lockfiles"));
	return buf;
}

static const char *pylockdir(void)
{
	static char buf[4096];
	snprintf(buf, sizeof buf, "%s/data/pylock", dltest_require_shared("data/pylock"));
	return buf;
}

static bool line_starts(const char *line, size_t len, const char *prefix)
{
	size_t i = 0;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	size_t n = strlen(prefix);
	return len - i >= n && memcmp(line + i, prefix, n) == 0;
}

/* Count package entries from the raw text (see the file comment). */
static size_t independent_count(const char *data, size_t len, bool pipfile)
{
	if (pipfile) {
		json_error_t err;
		json_t *root = json_loadb(data, len, 0, &err);
		assert_non_null(root);
		size_t n = 0;
		const char *key;
		json_t *v;
		json_object_foreach(root, key, v) {
			if (strcmp(key, "_meta") != 0 && json_is_object(v))
				n += json_object_size(v);
		}
		json_decref(root);
		return n;
	}
	size_t headers = 0, inline_entries = 0;
	bool in_inline = false;
	for (size_t i = 0; i < len;) {
		size_t end = i;
		while (end < len && data[end] != '\n')
			end++;
		const char *line = data + i;
		size_t l = end - i;
		if (line_starts(line, l, "[[package]]") || line_starts(line, l, "[[packages]]"))
			headers++;
		if (line_starts(line, l, "packages = ["))
			in_inline = true;
		else if (in_inline && line_starts(line, l, "]"))
			in_inline = false;
		else if (in_inline && line_starts(line, l, "{ name = "))
			inline_entries++;
		i = end + 1;
	}
	return headers + inline_entries;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static dl_lockfile *parse_file(const char *dir, const char *name, int *rc_out)
{
	size_t len;
	char *data = dltest_read_file(dltest_path(dir, name), &len);
	dl_lockfile_format fmt;
	int rc = dl_lockfile_detect(name, data, len, &fmt);
	dl_lockfile *lock = NULL;
	if (rc == 0)
		rc = dl_lockfile_parse(&lock, fmt, data, len, name);
	if (rc == 0) {
		size_t want = independent_count(data, len, fmt == DL_LOCKFILE_PIPFILE);
		if (lock->n_packages != want)
			fail_msg("%s: %zu packages read, %zu entries in the file", name, lock->n_packages, want);
	}
	free(data);
	*rc_out = rc;
	return lock;
}

/* A requirements lock: its package count against the lines that start with
 * a name and pin with "==" (counted here, not by the reader), and pip-tools'
 * "# via" blocks as dependency edges. */
static void check_requirements_lock(const char *dir, const char *name)
{
	size_t len = 0;
	char *data = dltest_read_file(dltest_path(dir, name), &len);
	size_t pins = 0;
	for (const char *l = data; l != NULL && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *e = strchr(l, '\n');
		size_t n = e != NULL ? (size_t)(e - l) : strlen(l);
		if (n > 0 && ((l[0] >= 'a' && l[0] <= 'z') || (l[0] >= 'A' && l[0] <= 'Z')) && memmem(l, n, "==", 2) != NULL)
			pins++;
	}
	dl_lockfile *lock = NULL;
	int rc = dl_lockfile_parse(&lock, DL_LOCKFILE_REQUIREMENTS, data, len, name);
	if (rc != 0)
		fail_msg("%s: %s", name, dl_error_last()->message);
	assert_int_equal(lock->n_packages, pins);
	if (strcmp(name, "pip-tools-docs.requirements.txt") == 0) {
		/* "click==8.3.1 # via click-extra, cloup, pip-tools (pyproject.toml), towncrier" */
		const dl_lockfile_package *ce = NULL, *click = NULL;
		for (size_t i = 0; i < lock->n_packages; i++) {
			if (strcmp(lock->packages[i].normalized_name, "click-extra") == 0)
				ce = &lock->packages[i];
			if (strcmp(lock->packages[i].normalized_name, "click") == 0)
				click = &lock->packages[i];
		}
		assert_non_null(ce);
		assert_non_null(click);
		assert_string_equal(click->version, "8.3.1");
		bool edge = false;
		for (size_t d = 0; d < ce->n_deps; d++)
			edge = edge || strcmp(ce->deps[d].normalized_name, "click") == 0;
		assert_true(edge);
	}
	printf("%s: %zu pinned requirements\n", name, lock->n_packages);
	dl_lockfile_free(lock);
	free(data);
}

static void test_every_shared_lock_parses(void **state)
{
	(void)state;
	const char *dir = lockdir();
	DIR *d = opendir(dir);
	assert_non_null(d);
	int parsed = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || strcmp(e->d_name, "SOURCES.txt") == 0)
			continue;
		if (ends_with(e->d_name, ".requirements.txt")) {
			check_requirements_lock(dir, e->d_name);
			parsed++;
			continue;
		}
		int rc;
		dl_lockfile *lock = parse_file(dir, e->d_name, &rc);
		if (rc != 0)
			fail_msg("%s: %s", e->d_name, dl_error_last()->message);
		for (size_t i = 0; i < lock->n_packages; i++) {
			const dl_lockfile_package *p = &lock->packages[i];
			assert_non_null(p->name);
			for (size_t j = 0; j < p->n_files; j++)
				assert_true(p->files[j].n_hashes > 0 || lock->format == DL_LOCKFILE_UV);
			assert_true(p->pos.line > 0);
		}
		dl_lockfile_free(lock);
		parsed++;
	}
	closedir(d);
	assert_int_equal(parsed, 14);
}

static void test_pylock_fixtures(void **state)
{
	(void)state;
	const char *dir = pylockdir();
	DIR *d = opendir(dir);
	assert_non_null(d);
	int valid = 0, invalid = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (!ends_with(e->d_name, ".toml"))
			continue;
		size_t len;
		char *data = dltest_read_file(dltest_path(dir, e->d_name), &len);
		dl_lockfile *lock = NULL;
		int rc = dl_lockfile_parse(&lock, DL_LOCKFILE_PYLOCK, data, len, e->d_name);
		if (strcmp(e->d_name, "pip-pylock.invalid.toml") == 0) {
			assert_int_equal(rc, DL_EPARSE);
			assert_non_null(strstr(dl_error_last()->message,
			                       "pip-pylock.invalid.toml:1:1: missing key 'lock-version'"));
			invalid++;
		} else {
			if (rc != 0)
				fail_msg("%s: %s", e->d_name, dl_error_last()->message);
			assert_int_equal(lock->n_packages, independent_count(data, len, false));
			valid++;
		}
		dl_lockfile_free(lock);
		free(data);
	}
	closedir(d);
	assert_int_equal(valid, 13);
	assert_int_equal(invalid, 1);
}

static const dl_lockfile_package *find(const dl_lockfile *lock, const char *name, const char *version)
{
	for (size_t i = 0; i < lock->n_packages; i++) {
		const dl_lockfile_package *p = &lock->packages[i];
		if (strcmp(p->normalized_name, name) == 0 &&
		    (version == NULL || (p->version != NULL && strcmp(p->version, version) == 0)))
			return p;
	}
	fail_msg("%s %s not found in %s", name, version != NULL ? version : "", lock->source);
	return NULL;
}

/* One hand-checked entry: the package, its file count, its source kind,
 * whether an sdist is known, and the first hash of its first file. */
typedef struct sample {
	const char *file;
	const char *dir; /* "l" lockfiles, "p" pylock */
	const char *name;
	const char *version;
	size_t n_files;
	dl_lockfile_source_kind kind;
	dl_lockfile_tristate has_sdist;
	const char *first_hex; /* NULL: not checked */
	size_t line;           /* line of the package header or key */
} sample;

static const sample samples[] = {
	{"poetry-old_lock.poetry.lock", "l", "sampleproject", "1.3.1", 3, DL_LOCKFILE_SOURCE_REGISTRY, DL_LOCKFILE_YES,
	 "26c9172e08244873b0e09c574a229bf2c251c67723a05e08fd3ec0c5ee423796", 1},
	{"poetry-up_to_date.poetry.lock", "l", "requests", "2.25.1", 2, DL_LOCKFILE_SOURCE_REGISTRY, DL_LOCKFILE_YES,
	 "c210084e36a42ae6b9219e00e48287def368a26d03a048ddad7bfee44f75871e", 78},
	{"poetry.poetry.lock", "l", "poetry-core", "2.4.1", 0, DL_LOCKFILE_SOURCE_VCS, DL_LOCKFILE_NO, NULL, 1402},
	{"poetry.poetry.lock", "l", "anyio", "4.13.0", 2, DL_LOCKFILE_SOURCE_REGISTRY, DL_LOCKFILE_YES,
	 "08b310f9e24a9594186fd75b4f73f4a4152069e3853f1ed8bfbf58369f4ad708", 3},
	{"pdm.pdm.lock", "l", "rich", "15.0.0", 2, DL_LOCKFILE_SOURCE_REGISTRY, DL_LOCKFILE_YES,
	 "33bd4ef74232fb73fe9279a257718407f169c09b78a87ad3d296f548e27de0bb", 1595},
	{"pipenv-examples.Pipfile.lock", "l", "certifi", "2026.2.25", 2, DL_LOCKFILE_SOURCE_REGISTRY, DL_LOCKFILE_UNKNOWN,
	 "027692e4402ad994f1c42e52a4997a9763c646b73e4096e4d5d6db8af1d6f0fa", 19},
	{"pipenv.Pipfile.lock", "l", "exceptiongroup", "1.3.1", 2, DL_LOCKFILE_SOURCE_REGISTRY, DL_LOCKFILE_UNKNOWN,
	 "8b412432c6055b0b7d14c310000ae93352ed6754f70fa8f7c34141f91c4e3219", 0},
	{"uv-built-by-uv.uv.lock", "l", "anyio", "4.6.2.post1", 2, DL_LOCKFILE_SOURCE_REGISTRY, DL_LOCKFILE_YES,
	 "4c8bc31ccdb51c7f7bd251f51c609e038d63e34219b44aa86e47576389880b4c", 4},
	{"uv-built-by-uv.uv.lock", "l", "built-by-uv", "0.1.0", 0, DL_LOCKFILE_SOURCE_DIRECTORY, DL_LOCKFILE_NO, NULL, 17},
	{"uv.uv.lock", "l", "pydantic", "2.13.4", 2, DL_LOCKFILE_SOURCE_REGISTRY, DL_LOCKFILE_YES,
	 "c40756b57adaa8b1efeeced5c196f3f3b7c435f90e84ea7f443901bec8099ef6", 1055},
	{"pdm-demo.pylock.toml", "l", "certifi", "2025.1.31", 2, DL_LOCKFILE_SOURCE_REGISTRY, DL_LOCKFILE_YES,
	 "3d5da6925056f6f18f119200434a4780a94263f10d1c21d032a6f6b2baa20651", 10},
	{"pex-issue-2887.pylock.toml", "l", "certifi", "2022.12.7", 1, DL_LOCKFILE_SOURCE_REGISTRY, DL_LOCKFILE_NO,
	 "4ad3232f5e926d6718ec31cfc1fcadfde020920e278684144551c91769c7bc18", 21},
	{"pip-build-project.pylock.toml", "l", "build", "1.5.0", 1, DL_LOCKFILE_SOURCE_REGISTRY, DL_LOCKFILE_NO,
	 "13f3eecb844759ab66efec90ca17639bbf14dc06cb2fdf37a9010322d9c50a6f", 4},
	{"pipenv.pylock.toml", "l", "pytz", "2026.1.post1", 2, DL_LOCKFILE_SOURCE_REGISTRY, DL_LOCKFILE_NO,
	 "3378dde6a0c3d26719182142c56e60c7f9af7e968076f31aae569d72a0358ee1", 8},
	{"pip-pylock.onesdist.toml", "p", "simple", "2.0", 1, DL_LOCKFILE_SOURCE_PATH, DL_LOCKFILE_YES,
	 "3a084929238d13bcd3bb928af04f3bac7ca2357d419e29f01459dc848e2d69a4", 4},
	{"pip-pylock.onearchive.toml", "p", "simple2", NULL, 1, DL_LOCKFILE_SOURCE_PATH, DL_LOCKFILE_YES,
	 "3ad45e1e9aa48b4462af0123f6a7e44a9115db1ef945d4d92c123dfe21815a06", 4},
	{"pip-pylock.prerelease-archive.toml", "p", "pkg-prerelease", NULL, 1, DL_LOCKFILE_SOURCE_PATH, DL_LOCKFILE_NO,
	 "5b170526e52d17d1b2e0162c006142e792293a7975a1f51df39035f1b14768d5", 4},
	{"pip-pylock.directory.toml", "p", "singlemodule", NULL, 0, DL_LOCKFILE_SOURCE_DIRECTORY, DL_LOCKFILE_NO, NULL,
	 5},
	{"pylock.spec-example.toml", "p", "numpy", "2.2.3", 2, DL_LOCKFILE_SOURCE_REGISTRY, DL_LOCKFILE_NO,
	 "83807d445817326b4bcdaaaf8e8e9f1753da04341eceec705c001ff342002e5d", 47},
	{"pip-pylock.certifi-with-upload_time.toml", "p", "certifi", "2026.6.17", 2, DL_LOCKFILE_SOURCE_REGISTRY,
	 DL_LOCKFILE_YES, "024c88eeec92ca068db80f02b8b07c9cef7b9fe261d1d535abfd5abd6f6af432", 4},
};

static void test_samples(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		const sample *s = &samples[i];
		int rc;
		dl_lockfile *lock = parse_file(s->dir[0] == 'l' ? lockdir() : pylockdir(), s->file, &rc);
		if (rc != 0)
			fail_msg("%s: %s", s->file, dl_error_last()->message);
		const dl_lockfile_package *p = find(lock, s->name, s->version);
		if (p->n_files != s->n_files || p->source.kind != s->kind || p->has_sdist != s->has_sdist)
			fail_msg("%s %s: %zu files, kind %d, sdist %d; expected %zu, %d, %d", s->file, s->name, p->n_files,
			         p->source.kind, p->has_sdist, s->n_files, s->kind, s->has_sdist);
		if (s->first_hex != NULL) {
			assert_int_equal(p->files[0].n_hashes, 1);
			assert_string_equal(p->files[0].hashes[0].algorithm, "sha256");
			assert_string_equal(p->files[0].hashes[0].hex, s->first_hex);
		}
		if (s->line != 0 && p->pos.line != s->line)
			fail_msg("%s %s: at line %u, expected %zu", s->file, s->name, p->pos.line, s->line);
		dl_lockfile_free(lock);
	}
}

/* Details that the table above does not cover. */
static void test_details(void **state)
{
	(void)state;
	int rc;
	dl_lockfile *lock = parse_file(lockdir(), "poetry.poetry.lock", &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(lock->format_version, "2.1");
	assert_string_equal(lock->requires_python, ">=3.10,<4.0");
	const dl_lockfile_package *p = find(lock, "poetry-core", NULL);
	assert_string_equal(p->source.commit, "e3998b0e111dc03e4aa721fd054c48e5c7de6fc5");
	assert_string_equal(p->source.requested_revision, "HEAD");
	assert_string_equal(p->source.url, "https://github.com/python-poetry/poetry-core.git");
	p = find(lock, "colorama", NULL);
	assert_int_equal(p->n_groups, 3);
	assert_string_equal(p->groups[1].name, "github-actions");
	assert_string_equal(p->groups[1].marker, "sys_platform == \"win32\"");
	p = find(lock, "anyio", NULL);
	assert_int_equal(p->n_deps, 3);
	assert_string_equal(p->deps[0].name, "exceptiongroup");
	assert_string_equal(p->deps[0].specifier, ">=1.0.2");
	assert_string_equal(p->deps[0].marker, "python_version < \"3.11\"");
	assert_int_equal(p->dev, DL_LOCKFILE_NO);
	dl_lockfile_free(lock);

	lock = parse_file(lockdir(), "poetry-up_to_date.poetry.lock", &rc);
	assert_int_equal(rc, 0);
	p = find(lock, "requests", NULL);
	assert_int_equal(p->n_deps, 4);
	assert_string_equal(p->deps[3].name, "urllib3");
	assert_string_equal(p->deps[3].specifier, ">=1.21.1,<1.27");
	dl_lockfile_free(lock);

	lock = parse_file(lockdir(), "pdm.pdm.lock", &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(lock->format_version, "4.5.1");
	assert_string_equal(lock->requires_python, ">=3.10");
	assert_int_equal(lock->n_groups, 8);
	p = find(lock, "rich", NULL);
	assert_int_equal(p->n_deps, 2);
	assert_string_equal(p->deps[1].name, "pygments");
	assert_string_equal(p->deps[1].specifier, "<3.0.0,>=2.13.0");
	dl_lockfile_free(lock);

	lock = parse_file(lockdir(), "pipenv.Pipfile.lock", &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(lock->format_version, "6");
	assert_int_equal(lock->n_indexes, 1);
	assert_string_equal(lock->indexes[0].url, "https://pypi.org/simple");
	p = find(lock, "alabaster", NULL);
	assert_int_equal(p->dev, DL_LOCKFILE_YES);
	assert_string_equal(p->version, "1.0.0");
	dl_lockfile_free(lock);

	lock = parse_file(lockdir(), "uv-built-by-uv.uv.lock", &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(lock->requires_python, ">=3.12");
	p = find(lock, "built-by-uv", NULL);
	assert_true(p->root);
	assert_true(p->source.editable);
	assert_string_equal(p->source.path, ".");
	assert_int_equal(p->n_deps, 2);
	assert_string_equal(p->deps[1].name, "pytest");
	assert_string_equal(p->deps[1].group, "dev");
	p = find(lock, "anyio", NULL);
	assert_int_equal(p->files[0].size, 173422);
	assert_int_equal(p->files[0].kind, DL_LOCKFILE_FILE_SDIST);
	dl_lockfile_free(lock);

	lock = parse_file(pylockdir(), "pylock.spec-example.toml", &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(lock->n_environments, 2);
	assert_string_equal(lock->created_by, "mousebender");
	p = find(lock, "attrs", NULL);
	assert_string_equal(p->files[0].upload_time, "2025-01-25T11:30:10.164985Z");
	assert_int_equal(p->files[0].size, 63152);
	dl_lockfile_free(lock);

	lock = parse_file(pylockdir(), "pip-pylock.directory.toml", &rc);
	assert_int_equal(rc, 0);
	p = find(lock, "simplewheel", NULL);
	assert_true(p->source.editable);
	assert_string_equal(p->source.path, "../src/simplewheel-2.0");
	dl_lockfile_free(lock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_shared_lock_parses),
		cmocka_unit_test(test_pylock_fixtures),
		cmocka_unit_test(test_samples),
		cmocka_unit_test(test_details),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
