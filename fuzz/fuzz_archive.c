/*
 * fuzz_archive.c - libarchive on hostile bytes, through deeplock's limits.
 *
 * Opens the input as an archive with small limits (so that a bomb is cut
 * short quickly), then checks what the scan promises: every listed path is
 * normalised and safe, lookups find each member, links are never readable,
 * and reading every regular member either succeeds within its declared size
 * or fails with a clean code.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/archive.h"

static void check_path(const dl_archive_member *m)
{
	if (m->path_len == 0 || strlen(m->path) != m->path_len)
		abort();
	if (m->path[0] == '/' || m->path[m->path_len - 1] == '/')
		abort();
	if (strstr(m->path, "//") != NULL || strchr(m->path, '\\') != NULL)
		abort();
	/* no "." or ".." component */
	const char *p = m->path;
	while (*p != '\0') {
		const char *s = strchr(p, '/');
		size_t n = s != NULL ? (size_t)(s - p) : strlen(p);
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			abort();
		p += n;
		if (*p == '/')
			p++;
	}
	for (size_t i = 0; i < m->path_len; i++) {
		unsigned char c = (unsigned char)m->path[i];
		if (c < 0x20 || c == 0x7f)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dl_archive_limits lim = DL_ARCHIVE_LIMITS_INIT;
	lim.max_members = 500;
	lim.max_member_size = 4 << 20;
	lim.max_total_size = 8 << 20;
	lim.max_ratio = 100;
	lim.ratio_grace = 1 << 20;
	lim.max_path = 1024;
	dl_archive *ar = NULL;
	int rc = dl_archive_open_memory(&ar, data, size, "fuzz", &lim);
	if (rc < 0) {
		if (ar != NULL)
			abort();
		if (rc != DL_EPARSE && rc != DL_EUNSUPPORTED && rc != DL_ELIMIT && rc != DL_ENOMEM)
			abort();
		if (strncmp(dl_error_last()->message, "archive 'fuzz'", 14) != 0)
			abort();
		return 0;
	}
	size_t n = dl_archive_count(ar);
	if (n > lim.max_members)
		abort();
	size_t tlen = 0;
	const char *top = dl_archive_topdir(ar, &tlen);
	for (size_t i = 0; i < n; i++) {
		const dl_archive_member *m = dl_archive_member_at(ar, i);
		check_path(m);
		if (top != NULL && (m->path_len < tlen || memcmp(m->path, top, tlen) != 0))
			abort();
		const dl_archive_member *l = dl_archive_lookup(ar, m->path, m->path_len);
		if (l == NULL || strcmp(l->path, m->path) != 0)
			abort();
		if (l != m && !(l->type == DL_MEMBER_DIR && m->type == DL_MEMBER_DIR))
			abort(); /* duplicates other than directories are refused */
		if ((m->type == DL_MEMBER_SYMLINK || m->type == DL_MEMBER_HARDLINK) != (m->link != NULL))
			abort();
		if (dl_archive_find(ar, m->path) == NULL)
			abort();
		if (i >= 20)
			continue; /* reading every member of a large archive is slow */
		dl_buf b = DL_BUF_INIT;
		rc = dl_archive_read(ar, m->path, &b, 1 << 20);
		if (m->type == DL_MEMBER_FILE) {
			/* A tar member's data never exceeds its declared size. */
			if (rc == 0 && dl_archive_get_format(ar) == DL_ARCHIVE_TAR && b.len > m->size)
				abort();
			if (rc == 0 && b.len > (1u << 20))
				abort();
			if (rc < 0 && rc != DL_ELIMIT && rc != DL_EPARSE && rc != DL_ENOMEM)
				abort();
		} else if (rc != DL_EUNSUPPORTED) {
			abort();
		}
		dl_buf_free(&b);
	}
	if (n >= 2) {
		const char *paths[2] = {dl_archive_member_at(ar, 0)->path, dl_archive_member_at(ar, n - 1)->path};
		dl_buf outs[2] = {DL_BUF_INIT, DL_BUF_INIT};
		(void)dl_archive_read_many(ar, paths, 2, outs, 4096);
		dl_buf_free(&outs[0]);
		dl_buf_free(&outs[1]);
	}
	dl_archive_free(ar);
	return 0;
}
