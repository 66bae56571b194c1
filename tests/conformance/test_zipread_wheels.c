/*
 * test_zipread_wheels.c - the lazy-wheel reader on real wheel content.
 *
 * ../shared/data/real-dists/<wheel file name>/ holds the .dist-info files
 * of 14 real wheels (unpacked: the shared data keeps no archives).  Each is
 * packed here into a wheel-shaped zip (deflate, with a few package files
 * around it), then read the lazy way: the last 64 KiB, the tail protocol,
 * the METADATA member's range only.  The result must be the file's bytes
 * exactly, and the project and version of the wheel's file name must find
 * it (pip's .dist-info rule with PEP 503 normalisation).
 *
 * Real archives written by real tools: Debian's python3-pip-whl ships
 * wheels in /usr/share/python-wheels.  When present, each is read the lazy
 * way from a 64 KiB tail and must give the same METADATA as the
 * whole-file path and as libarchive (an independent zip reader).  When the
 * directory is absent that part says so and is skipped.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dltest.h"
#include "zipbuild.h"
#include "deeplock/archive.h"
#include "deeplock/filename.h"
#include "deeplock/version.h"
#include "deeplock/zipread.h"

#define SYSTEM_WHEELS "/usr/share/python-wheels"

static const char *shared;

/* Run the tail protocol from the first 64 KiB. */
static dl_zipdir *lazy_parse(const unsigned char *data, size_t len, const char *name, int *rounds)
{
	uint64_t off = len > DL_ZIP_TAIL_INITIAL ? len - DL_ZIP_TAIL_INITIAL : 0;
	*rounds = 0;
	for (;;) {
		dl_zipdir *d = NULL;
		dl_zip_range need = {0, 0};
		int rc = dl_zipdir_parse(&d, &need, data + off, (size_t)(len - off), off, len, name, NULL);
		if (rc == 0)
			return d;
		if (rc != DL_ZIP_NEED_MORE)
			fail_msg("%s: %s", name, dl_error_last()->message);
		assert_true(need.offset < off);
		off = need.offset;
		++*rounds;
		assert_true(*rounds <= 3);
	}
}

/* Find the METADATA for the wheel file name and extract it through its
 * range; returns a malloc'd copy. */
static char *lazy_metadata(const dl_zipdir *d, const unsigned char *data, const char *filename, size_t *len_out)
{
	dl_wheel_filename *w = NULL;
	assert_int_equal(dl_filename_parse_wheel(&w, filename, strlen(filename)), 0);
	const dl_zip_entry *e = NULL;
	if (dl_zipdir_find_wheel_metadata(&e, d, w->name, w->version_text) != 0)
		fail_msg("%s: %s", filename, dl_error_last()->message);
	dl_wheel_filename_free(w);
	dl_zip_range r = dl_zipdir_member_range(d, e);
	dl_zip_range need = {0, 0};
	dl_buf b = DL_BUF_INIT;
	int rc = dl_zip_member_extract(&b, &need, d, e, data + r.offset, (size_t)r.len, r.offset, 16 << 20);
	if (rc == DL_ZIP_NEED_MORE)
		rc = dl_zip_member_extract(&b, &need, d, e, data + need.offset, (size_t)need.len, need.offset, 16 << 20);
	if (rc != 0)
		fail_msg("%s: %s", filename, dl_error_last()->message);
	char *copy = malloc(b.len + 1);
	memcpy(copy, b.ptr != NULL ? b.ptr : "", b.len);
	copy[b.len] = '\0';
	*len_out = b.len;
	dl_buf_free(&b);
	return copy;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void t_shared_dist_info(void **state)
{
	(void)state;
	const char *root = dltest_path(shared, "data/real-dists");
	char rootbuf[1024];
	snprintf(rootbuf, sizeof(rootbuf), "%s", root);
	DIR *dir = opendir(rootbuf);
	assert_non_null(dir);
	int wheels = 0;
	struct dirent *de;
	while ((de = readdir(dir)) != NULL) {
		if (!ends_with(de->d_name, ".whl"))
			continue;
		char whl[1400], di_name[256];
		snprintf(whl, sizeof(whl), "%s/%s", rootbuf, de->d_name);
		/* The one .dist-info directory inside. */
		DIR *inner = opendir(whl);
		assert_non_null(inner);
		struct dirent *ie;
		di_name[0] = '\0';
		while ((ie = readdir(inner)) != NULL)
			if (ends_with(ie->d_name, ".dist-info"))
				snprintf(di_name, sizeof(di_name), "%s", ie->d_name);
		closedir(inner);
		assert_true(di_name[0] != '\0');
		/* Its files, plus package files before them, as a wheel is laid out. */
		static const char *files[] = {"METADATA", "WHEEL", "entry_points.txt"};
		char names[8][600];
		char *contents[8];
		zb_member m[8];
		memset(m, 0, sizeof(m));
		size_t n = 0;
		static char filler[40000];
		for (size_t i = 0; i < sizeof(filler); i++)
			filler[i] = (char)(' ' + (i * 2654435761u >> 7) % 90);
		snprintf(names[n], sizeof(names[n]), "pkg/__init__.py");
		m[n] = (zb_member){.name = names[n], .data = filler, .len = sizeof(filler), .method = 8};
		contents[n++] = NULL;
		char *metadata = NULL;
		size_t metadata_len = 0;
		for (size_t f = 0; f < 3; f++) {
			char path[2000];
			snprintf(path, sizeof(path), "%s/%s/%s", whl, di_name, files[f]);
			FILE *fp = fopen(path, "rb");
			if (fp == NULL)
				continue;
			fclose(fp);
			size_t len = 0;
			char *text = dltest_read_file(path, &len);
			snprintf(names[n], sizeof(names[n]), "%s/%s", di_name, files[f]);
			m[n] = (zb_member){.name = names[n], .data = text, .len = len, .method = 8};
			contents[n++] = text;
			if (f == 0) {
				metadata = text;
				metadata_len = len;
			}
		}
		assert_non_null(metadata);
		snprintf(names[n], sizeof(names[n]), "%s/RECORD", di_name);
		m[n] = (zb_member){.name = names[n], .data = "x", .len = 1, .method = 0, .descriptor = true};
		contents[n++] = NULL;
		zb_zip z;
		zb_build(&z, m, n, NULL);

		int rounds = 0;
		dl_zipdir *d = lazy_parse(z.data, z.len, de->d_name, &rounds);
		assert_int_equal(rounds, 0); /* a 64 KiB tail holds this directory */
		size_t got_len = 0;
		char *got = lazy_metadata(d, z.data, de->d_name, &got_len);
		assert_int_equal(got_len, metadata_len);
		assert_memory_equal(got, metadata, got_len);
		assert_int_equal(strncmp(got, "Metadata-Version: ", 18), 0);
		const dl_zip_entry *wheel = NULL;
		assert_int_equal(dl_zipdir_find_wheel_file(&wheel, d, NULL, NULL, "WHEEL"), 0);
		free(got);
		dl_zipdir_free(d);
		free(z.data);
		for (size_t i = 0; i < n; i++)
			free(contents[i]);
		wheels++;
	}
	closedir(dir);
	printf("read the METADATA of %d real wheels' .dist-info through the lazy protocol\n", wheels);
	assert_true(wheels >= 14);
}

static void t_system_wheels(void **state)
{
	(void)state;
	DIR *dir = opendir(SYSTEM_WHEELS);
	if (dir == NULL) {
		printf("SKIPPED (part): %s is absent (Debian's python3-pip-whl); no real archives to read\n", SYSTEM_WHEELS);
		skip();
	}
	int wheels = 0;
	struct dirent *de;
	while ((de = readdir(dir)) != NULL) {
		if (!ends_with(de->d_name, ".whl"))
			continue;
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", SYSTEM_WHEELS, de->d_name);
		size_t len = 0;
		unsigned char *data = (unsigned char *)dltest_read_file(path, &len);
		int rounds = 0;
		dl_zipdir *d = lazy_parse(data, len, de->d_name, &rounds);
		assert_true(dl_zipdir_count(d) > 10);
		size_t lazy_len = 0;
		char *lazy = lazy_metadata(d, data, de->d_name, &lazy_len);
		assert_int_equal(strncmp(lazy, "Metadata-Version: ", 18), 0);

		/* The whole-file path. */
		dl_zipdir *whole = NULL;
		assert_int_equal(dl_zipdir_parse(&whole, NULL, data, len, 0, len, de->d_name, NULL), 0);
		assert_int_equal(dl_zipdir_count(whole), dl_zipdir_count(d));
		const dl_zip_entry *e = NULL;
		assert_int_equal(dl_zipdir_find_wheel_metadata(&e, whole, NULL, NULL), 0);
		dl_buf b = DL_BUF_INIT;
		assert_int_equal(dl_zip_member_extract(&b, NULL, whole, e, data, len, 0, 16 << 20), 0);
		assert_int_equal(b.len, lazy_len);
		assert_memory_equal(b.ptr, lazy, lazy_len);

		/* libarchive's reading of the same member. */
		dl_archive *ar = NULL;
		assert_int_equal(dl_archive_open_memory(&ar, data, len, de->d_name, NULL), 0);
		dl_buf a = DL_BUF_INIT;
		assert_int_equal(dl_archive_read(ar, e->name, &a, 16 << 20), 0);
		assert_int_equal(a.len, lazy_len);
		assert_memory_equal(a.ptr, lazy, lazy_len);

		/* Every member decodes and checks out (sizes and CRC-32). */
		for (size_t i = 0; i < dl_zipdir_count(whole); i++) {
			const dl_zip_entry *x = dl_zipdir_entry(whole, i);
			if (dl_zip_member_extract(&b, NULL, whole, x, data, len, 0, 64 << 20) != 0)
				fail_msg("%s: %s", de->d_name, dl_error_last()->message);
		}
		printf("%s: %zu members, METADATA %zu bytes, %d extra round(s) after the 64 KiB tail\n", de->d_name,
		       dl_zipdir_count(d), lazy_len, rounds);
		dl_buf_free(&a);
		dl_archive_free(ar);
		dl_buf_free(&b);
		dl_zipdir_free(whole);
		free(lazy);
		dl_zipdir_free(d);
		free(data);
		wheels++;
	}
	closedir(dir);
	assert_true(wheels >= 1);
}

int main(void)
{
	shared = dltest_require_shared("the lazy-wheel conformance test");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_shared_dist_info),
		cmocka_unit_test(t_system_wheels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
