/*
 * test_real_metadata.c - the metadata and file-name parsers on real data
 * from ../shared, read in place:
 *   conformance/everything.metadata  every field of the core metadata spec,
 *                                    each value checked exactly;
 *   data/real-dists/                 the METADATA, PKG-INFO and WHEEL files of
 *                                    22 real distributions, in directories
 *                                    named after the real files; files.json
 *                                    lists those files.
 * For each distribution the directory name is parsed as a wheel or sdist
 * file name, and the name and version it gives must agree with the
 * metadata inside (and a wheel's WHEEL tags with its file name's tags).
 * Skipped visibly when ../shared is absent.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "deeplock/filename.h"
#include "deeplock/metadata.h"
#include "deeplock/name.h"
#include "dltest.h"

static const char *shared;

static dl_metadata *parse_file(const char *path, size_t *len_out)
{
	size_t len = 0;
	char *data = dltest_read_file(path, &len);
	dl_metadata *md = NULL;
	int rc = dl_metadata_parse(&md, data, len, NULL);
	free(data);
	if (rc != 0)
		fail_msg("%s: %s", path, dl_error_last()->message);
	if (len_out != NULL)
		*len_out = len;
	return md;
}

static void test_everything(void **state)
{
	(void)state;
	static const char *const expected[][2] = {
		{"Metadata-Version", "2.6"},
		{"Name", "BeagleVote"},
		{"Version", "1.0a2"},
		{"Platform", "ObscureUnix"},
		{"Platform", "RareDOS"},
		{"Supported-Platform", "RedHat 7.2"},
		{"Supported-Platform", "i386-win32-2791"},
		{"Summary", "A module for collecting votes from beagles."},
		{"Description-Content-Type", "text/markdown; charset=UTF-8; variant=GFM"},
		{"Keywords", "dog,puppy,voting,election"},
		{"Home-page", "http://www.example.com/~cschultz/bvote/"},
		{"Download-URL", "\xe2\x80\xa6/BeagleVote-0.45.tgz"},
		{"Author", "C. Schultz, Universal Features Syndicate,\nLos Angeles, CA <cschultz@peanuts.example.com>"},
		{"Author-email", "\"C. Schultz\" <cschultz@example.com>"},
		{"Maintainer", "C. Schultz, Universal Features Syndicate,\nLos Angeles, CA <cschultz@peanuts.example.com>"},
		{"Maintainer-email", "\"C. Schultz\" <cschultz@example.com>"},
		{"License", "This software may only be obtained by sending the\nauthor a postcard, and then the user "
		            "promises not\nto redistribute it."},
		{"License-Expression", "Apache-2.0 OR BSD-2-Clause"},
		{"License-File", "LICENSE.APACHE"},
		{"License-File", "LICENSE.BSD"},
		{"Classifier", "Development Status :: 4 - Beta"},
		{"Classifier", "Environment :: Console (Text Based)"},
		{"Provides-Extra", "pdf"},
		{"Requires-Dist", "reportlab; extra == 'pdf'"},
		{"Requires-Dist", "pkginfo"},
		{"Requires-Dist", "PasteDeploy"},
		{"Requires-Dist", "zope.interface (>3.5.0)"},
		{"Requires-Dist", "pywin32 >1.0; sys_platform == 'win32'"},
		{"Requires-Python", ">=3"},
		{"Requires-External", "C"},
		{"Requires-External", "libpng (>=1.5)"},
		{"Requires-External", "make; sys_platform != \"win32\""},
		{"Project-URL", "Bug Tracker, http://bitbucket.org/tarek/distribute/issues/"},
		{"Project-URL", "Documentation, https://example.com/BeagleVote"},
		{"Provides-Dist", "OtherProject"},
		{"Provides-Dist", "AnotherProject (3.4)"},
		{"Provides-Dist", "virtual_package; python_version >= \"3.4\""},
		{"Dynamic", "Obsoletes-Dist"},
		{"Import-Name", "beaglevote"},
		{"Import-Name", "_beaglevote ; private"},
		{"Import-Namespace", "spam"},
		{"Import-Namespace", "_bacon ; private"},
		{"ThisIsNotReal", "Hello!"},
	};
	const size_t n = sizeof(expected) / sizeof(expected[0]);
	dl_metadata *md = parse_file(dltest_path(shared, "conformance/everything.metadata"), NULL);
	assert_int_equal(md->n_fields, n);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(md->fields[i].name, expected[i][0]) != 0 || strcmp(md->fields[i].value, expected[i][1]) != 0)
			fail_msg("field %zu (line %lu): got %s: '%s', expected %s: '%s'", i, md->fields[i].line, md->fields[i].name,
			         md->fields[i].value, expected[i][0], expected[i][1]);
	}
	assert_int_equal(md->fields[12].line, 13); /* Author */
	assert_int_equal(md->fields[17].line, 22); /* License-Expression, after the 3-line License */
	assert_int_equal(md->mv_major, 2);
	assert_int_equal(md->mv_minor, 6);
	assert_true(md->mv_newer); /* newer than 2.5: read, flagged */
	assert_string_equal(md->normalized_name, "beaglevote");
	assert_true(md->version_valid);
	assert_int_equal(md->version.pre_kind, DL_VERSION_PRE_A);
	assert_string_equal(md->requires_python, ">=3");
	assert_int_equal(md->n_requires_dist, 5);
	assert_int_equal(md->n_provides_extra, 1);
	assert_string_equal(md->provides_extra_normalized[0], "pdf");
	assert_int_equal(md->n_dynamic, 1);
	assert_true(dl_metadata_is_dynamic(md, "obsoletes-dist"));
	assert_true(dl_metadata_field_is_static(md, "Requires-Dist"));
	assert_false(dl_metadata_field_is_static(md, "Obsoletes-Dist"));
	assert_string_equal(md->body, "This description intentionally left blank.\n");
	assert_string_equal(md->description, md->body);

	json_t *j = NULL;
	assert_int_equal(dl_metadata_to_json(&j, md), 0);
	json_t *kw = json_object_get(j, "keywords");
	assert_int_equal(json_array_size(kw), 4);
	assert_string_equal(json_string_value(json_array_get(kw, 3)), "election");
	assert_int_equal(json_array_size(json_object_get(j, "license_file")), 2);
	assert_int_equal(json_array_size(json_object_get(j, "import_namespace")), 2);
	assert_string_equal(json_string_value(json_object_get(j, "thisisnotreal")), "Hello!");
	assert_string_equal(json_string_value(json_object_get(j, "description")), md->body);
	assert_string_equal(json_string_value(json_object_get(j, "requires_python")), ">=3");
	json_decref(j);

	/* Written back and read again: the same fields. */
	dl_buf b = DL_BUF_INIT;
	assert_int_equal(dl_metadata_write(md, &b), 0);
	dl_metadata *again = NULL;
	assert_int_equal(dl_metadata_parse(&again, b.ptr, b.len, NULL), 0);
	assert_int_equal(again->n_fields, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(again->fields[i].value, md->fields[i].value);
	assert_string_equal(again->body, md->body);
	dl_metadata_free(again);
	dl_buf_free(&b);
	dl_metadata_free(md);
}

/* ------------------------------------------------------------------ */

/* Per-distribution facts checked besides the name/version agreement. */
struct seen {
	int wheels, sdists, metadata_files, wheel_files;
};

static bool tagsets_equal(const dl_tagset *a, const dl_tagset *b)
{
	if (dl_tagset_count(a) != dl_tagset_count(b))
		return false;
	for (size_t i = 0; i < dl_tagset_count(a); i++) {
		dl_tag x, y;
		dl_tagset_get(a, i, &x);
		dl_tagset_get(b, i, &y);
		if (strcmp(x.python, y.python) != 0 || strcmp(x.abi, y.abi) != 0 || strcmp(x.platform, y.platform) != 0)
			return false;
	}
	return true;
}

static void check_exact_values(const char *dist, const dl_metadata *md, size_t len)
{
	if (strcmp(dist, "setuptools-69.0.2-py3-none-any.whl") == 0) {
		assert_string_equal(md->requires_python, ">=3.8");
		assert_int_equal(md->n_provides_extra, 5);
		assert_string_equal(md->provides_extra[4], "testing-integration");
		assert_int_equal(md->n_requires_dist, 45);
		assert_string_equal(md->requires_dist[0], "sphinx >=3.5 ; extra == 'docs'");
		assert_string_equal(dl_metadata_get(md, "Keywords"), "CPAN PyPI distutils eggs package management");
	} else if (strcmp(dist, "setuptools-69.0.2.tar.gz") == 0) {
		assert_string_equal(md->requires_python, ">=3.8");
		assert_string_equal(md->requires_dist[0], "pytest>=6; extra == \"testing\"");
	} else if (strcmp(dist, "hatchling-1.20.0-py3-none-any.whl") == 0 ||
	           strcmp(dist, "hatchling-1.20.0.tar.gz") == 0) {
		assert_int_equal(md->n_requires_dist, 6);
		assert_string_equal(md->requires_dist[4], "tomli>=1.2.2; python_version < '3.11'");
		assert_string_equal(dl_metadata_get(md, "License-Expression"), "MIT");
	} else if (strcmp(dist, "pip-24.0-py3-none-any.whl") == 0) {
		assert_int_equal(dl_metadata_count(md, "License-File"), 2);
		assert_string_equal(md->requires_python, ">=3.7");
		assert_int_equal(md->n_requires_dist, 0);
	} else if (strcmp(dist, "pluggy-1.3.0-py3-none-any.whl") == 0) {
		assert_int_equal(dl_metadata_count(md, "Platform"), 4);
		assert_int_equal(md->n_provides_extra, 2);
		assert_string_equal(md->requires_dist[0], "pre-commit ; extra == 'dev'");
	} else if (strcmp(dist, "setuptools_scm-8.0.4-py3-none-any.whl") == 0) {
		const char *lic = dl_metadata_get(md, "License");
		assert_non_null(lic);
		assert_true(strncmp(lic, "Permission is hereby granted", 28) == 0);
		assert_non_null(strstr(lic, "furnished to do so, subject to the following conditions:\n\nThe above"));
		assert_string_equal(lic + strlen(lic) - 13, "THE SOFTWARE.");
	} else if (strcmp(dist, "wheel-0.42.0-py3-none-any.whl") == 0) {
		assert_string_equal(dl_metadata_get(md, "Maintainer-email"), "Alex Gr\xc3\xb6nholm <alex.gronholm@nextday.fi>");
		assert_int_equal(md->n_provides_extra, 1);
	} else if (strcmp(dist, "install-1.3.5-py3-none-any.whl") == 0) {
		assert_string_equal(md->requires_python, ">=2.7, >=3.5");
	} else if (strcmp(dist, "pathspec-0.12.1-py3-none-any.whl") == 0) {
		assert_non_null(md->body);
		assert_true(md->body_len > len / 2); /* a long README as the body */
	}
}

static void check_dist(const char *dist, struct seen *seen)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s", dltest_path(shared, "data/real-dists"));
	char path[2048];
	dl_dist_kind kind = dl_filename_classify(dist, strlen(dist));
	if (kind == DL_DIST_WHEEL) {
		dl_wheel_filename *w = NULL;
		if (dl_filename_parse_wheel(&w, dist, strlen(dist)) != 0)
			fail_msg("%s: %s", dist, dl_error_last()->message);
		/* {name}-{version}.dist-info, as the spec spells it. */
		char info[512];
		snprintf(info, sizeof(info), "%s-%s.dist-info", w->name, w->version_text);
		snprintf(path, sizeof(path), "%s/%s/%s/METADATA", dir, dist, info);
		size_t len = 0;
		dl_metadata *md = parse_file(path, &len);
		if (strcmp(md->normalized_name, w->normalized_name) != 0 || !dl_version_eq(&md->version, &w->version))
			fail_msg("%s: METADATA says %s %s", dist, md->name, md->version_text);
		check_exact_values(dist, md, len);
		dl_metadata_free(md);
		seen->metadata_files++;

		snprintf(path, sizeof(path), "%s/%s/%s/WHEEL", dir, dist, info);
		char *data = dltest_read_file(path, &len);
		dl_wheel_info *wi = NULL;
		if (dl_metadata_parse_wheel_file(&wi, data, len, NULL) != 0)
			fail_msg("%s: %s", path, dl_error_last()->message);
		free(data);
		assert_string_equal(wi->wheel_version, "1.0");
		assert_true(wi->root_is_purelib);
		assert_int_equal(wi->n_tags, dl_tagset_count(w->tags));
		dl_tagset *from_wheel = NULL;
		assert_int_equal(dl_tagset_parse(&from_wheel, wi->tags[0], strlen(wi->tags[0])), 0);
		if (!tagsets_equal(from_wheel, w->tags))
			fail_msg("%s: WHEEL Tag %s differs from the file name", dist, wi->tags[0]);
		dl_tagset_free(from_wheel);
		dl_wheel_info_free(wi);
		seen->wheel_files++;
		seen->wheels++;
		dl_wheel_filename_free(w);
	} else if (kind == DL_DIST_SDIST) {
		dl_sdist_filename *sd = NULL;
		if (dl_filename_parse_sdist(&sd, dist, strlen(dist), NULL, 0) != 0)
			fail_msg("%s: %s", dist, dl_error_last()->message);
		assert_int_equal(sd->format, DL_SDIST_TAR_GZ);
		snprintf(path, sizeof(path), "%s/%s/PKG-INFO", dir, dist);
		size_t len = 0;
		dl_metadata *md = parse_file(path, &len);
		if (strcmp(md->normalized_name, sd->normalized_name) != 0 || !dl_version_eq(&md->version, &sd->version))
			fail_msg("%s: PKG-INFO says %s %s", dist, md->name, md->version_text);
		/* With the project known, the split is the same. */
		dl_sdist_filename *sd2 = NULL;
		assert_int_equal(dl_filename_parse_sdist(&sd2, dist, strlen(dist), md->name, strlen(md->name)), 0);
		assert_string_equal(sd2->name, sd->name);
		assert_string_equal(sd2->version_text, sd->version_text);
		dl_sdist_filename_free(sd2);
		check_exact_values(dist, md, len);
		dl_metadata_free(md);
		dl_sdist_filename_free(sd);
		seen->metadata_files++;
		seen->sdists++;
	} else {
		fail_msg("%s: neither a wheel nor an sdist name", dist);
	}
}

static void test_real_dists(void **state)
{
	(void)state;
	size_t len = 0;
	char *data = dltest_read_file(dltest_path(shared, "data/real-dists/files.json"), &len);
	json_error_t err;
	json_t *files = json_loadb(data, len, 0, &err);
	free(data);
	if (files == NULL)
		fail_msg("files.json: %s", err.text);
	assert_true(json_is_array(files));
	struct seen seen = {0, 0, 0, 0};
	for (size_t i = 0; i < json_array_size(files); i++) {
		const char *name = json_string_value(json_object_get(json_array_get(files, i), "filename"));
		assert_non_null(name);
		check_dist(name, &seen);
	}
	/* Every directory is listed in files.json, and nothing else is there. */
	DIR *d = opendir(dltest_path(shared, "data/real-dists"));
	assert_non_null(d);
	struct dirent *e;
	size_t dirs = 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || strcmp(e->d_name, "files.json") == 0)
			continue;
		bool listed = false;
		for (size_t i = 0; i < json_array_size(files); i++)
			listed |= strcmp(json_string_value(json_object_get(json_array_get(files, i), "filename")), e->d_name) == 0;
		if (!listed)
			fail_msg("%s is not listed in files.json", e->d_name);
		dirs++;
	}
	closedir(d);
	assert_int_equal(dirs, json_array_size(files));
	assert_int_equal(seen.wheels, 15);
	assert_int_equal(seen.sdists, 7);
	assert_int_equal(seen.metadata_files, 22);
	assert_int_equal(seen.wheel_files, 15);
	json_decref(files);
}

int main(void)
{
	shared = dltest_require_shared("test_real_metadata");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_everything),
		cmocka_unit_test(test_real_dists),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
