/*
 * test_reqfile_lockfiles.c - the requirements-file reader on the real
 * pip-compile and `pdm export` outputs in ../shared/data/lockfiles, read
 * in place (see SOURCES.txt there for where each came from).
 *
 * Each file's entry count and hash count are checked against a count made
 * here independently of the parser (a requirement line of these generated
 * files starts with a letter or digit; a hash is a "--hash=" token), and a
 * few entries are checked exactly: version, hashes, "# via" names.
 * Skipped visibly when ../shared is absent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dltest.h"
#include "deeplock/reqfile.h"

static const char *shared;

struct counts {
	size_t entries, hashes;
};

/* The independent count: lines starting with an ASCII letter or digit,
 * and occurrences of "--hash=". */
static struct counts count_raw(const char *data, size_t len)
{
	struct counts c = {0, 0};
	for (size_t i = 0; i < len; i++) {
		if ((i == 0 || data[i - 1] == '\n') && dl_isalnum((unsigned char)data[i]))
			c.entries++;
		if (i + 7 <= len && memcmp(data + i, "--hash=", 7) == 0)
			c.hashes++;
	}
	return c;
}

static dl_reqfile *load(const char *name, struct counts *raw)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s", dltest_path(shared, name));
	size_t len = 0;
	char *data = dltest_read_file(path, &len);
	*raw = count_raw(data, len);
	dl_reqfile *rf = NULL;
	int rc = dl_reqfile_parse(&rf, data, len, name, NULL);
	free(data);
	if (rc != 0)
		fail_msg("%s: %s", name, dl_error_last()->message);
	return rf;
}

static const dl_reqfile_entry *find(const dl_reqfile *rf, const char *name)
{
	for (size_t i = 0; i < rf->n_entries; i++)
		if (rf->entries[i].name != NULL && strcmp(rf->entries[i].name, name) == 0)
			return &rf->entries[i];
	fail_msg("no entry %s", name);
	return NULL;
}

static const char *pin(const dl_reqfile_entry *e)
{
	static char buf[256];
	dl_buf b = DL_BUF_INIT;
	assert_int_equal(dl_requirement_format_specifier(e->req, &b), 0);
	snprintf(buf, sizeof(buf), "%s", dl_buf_cstr(&b));
	dl_buf_free(&b);
	return buf;
}

static void test_pip_compile(void **state)
{
	(void)state;
	struct counts raw;
	dl_reqfile *rf = load("data/lockfiles/pip-tools-docs.requirements.txt", &raw);
	assert_int_equal(raw.entries, 58);
	assert_int_equal(rf->n_entries, raw.entries);
	assert_int_equal(rf->n_options, 0);
	assert_int_equal(rf->n_warnings, 0);
	size_t total_via = 0;
	for (size_t i = 0; i < rf->n_entries; i++) {
		const dl_reqfile_entry *e = &rf->entries[i];
		assert_int_equal(e->kind, DL_REQFILE_REQUIREMENT);
		assert_int_equal(e->form, DL_REQFILE_FORM_PEP508);
		assert_int_equal(e->n_hashes, 0);
		/* every pip-compile entry says why it is there */
		assert_true(e->n_via > 0);
		total_via += e->n_via;
	}
	const dl_reqfile_entry *e = &rf->entries[0];
	assert_string_equal(e->name, "accessible-pygments");
	assert_string_equal(pin(e), "==0.0.5");
	assert_int_equal(e->line, 7);
	assert_string_equal(e->via[0], "furo");

	e = find(rf, "click");
	assert_string_equal(pin(e), "==8.3.1");
	assert_int_equal(e->n_via, 4);
	assert_string_equal(e->via[0], "click-extra");
	assert_string_equal(e->via[2], "pip-tools (pyproject.toml)");
	assert_string_equal(e->via[3], "towncrier");

	e = find(rf, "sphinx");
	assert_string_equal(pin(e), "==9.1.0");
	assert_int_equal(e->n_via, 10);
	assert_string_equal(e->via[0], "-r docs/requirements.in");

	/* after the "unsafe packages" header */
	e = find(rf, "setuptools");
	assert_string_equal(pin(e), "==83.0.0");
	assert_int_equal(e->n_via, 3);
	assert_string_equal(e->via[1], "pip-tools (pyproject.toml)");
	assert_ptr_equal(e, &rf->entries[rf->n_entries - 1]);
	e = find(rf, "sphinx-basic-ng");
	assert_string_equal(pin(e), "==1.0.0b2");
	assert_true(total_via > rf->n_entries);
	dl_reqfile_free(rf);
}

static void test_pdm_export(void **state)
{
	(void)state;
	struct counts raw;
	dl_reqfile *rf = load("data/lockfiles/pdm-demo-package.requirements.txt", &raw);
	assert_int_equal(raw.entries, 6);
	assert_int_equal(rf->n_entries, raw.entries);
	size_t hashes = 0;
	for (size_t i = 0; i < rf->n_entries; i++) {
		hashes += rf->entries[i].n_hashes;
		assert_int_equal(rf->entries[i].n_via, 0);
	}
	assert_int_equal(hashes, raw.hashes);
	assert_int_equal(hashes, 74);
	const dl_reqfile_entry *e = find(rf, "markupsafe");
	assert_string_equal(pin(e), "==1.1.1");
	assert_int_equal(e->n_hashes, 62);
	assert_string_equal(e->hashes[0], "sha256:00bc623926325b26bb9605ae9eae8a215691f33cae5df11ca5424f06f2d1f473");
	assert_string_equal(e->hashes[61], "sha256:feb7b34d6325451ef96bc0e36e1a6c0c1c64bc1fbec4b854f4529e51887b1621");
	e = find(rf, "itsdangerous");
	assert_int_equal(e->n_hashes, 4);
	assert_int_equal(e->line, 10);
	e = find(rf, "flask");
	assert_string_equal(pin(e), "==1.1.4");
	assert_int_equal(e->n_hashes, 2);
	assert_int_equal(rf->n_options, 1);
	assert_int_equal(rf->options[0].opt, DL_REQFILE_OPT_EXTRA_INDEX_URL);
	assert_string_equal(rf->options[0].value, "https://test.pypi.org/simple");
	assert_int_equal(rf->n_warnings, 0);
	dl_reqfile_free(rf);
}

int main(void)
{
	shared = dltest_require_shared("data/lockfiles (requirements files)");
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pip_compile),
	    cmocka_unit_test(test_pdm_export),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
