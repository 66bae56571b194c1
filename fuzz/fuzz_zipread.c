/*
 * fuzz_zipread.c - the lazy-wheel zip reader on hostile bytes.
 *
 * The input is a whole file.  It is parsed twice: from memory in one piece
 * (the 200-instead-of-206 fallback) and through the tail protocol from a
 * small first tail (its size taken from the input's last byte), and both
 * must give the same answer.  Then every member (the first 64) is
 * extracted with a small maximum, from the whole file and from its member
 * range, and both must agree again.  Invariants of the directory (names,
 * bounds, lookups) are checked along the way; any breach aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/zipread.h"

#define MAX_OUT 65536

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_rc(int rc)
{
	if (rc != 0 && rc != DL_EPARSE && rc != DL_EUNSUPPORTED && rc != DL_ELIMIT && rc != DL_ENOMEM)
		abort();
}

static int parse_tail(dl_zipdir **d, const uint8_t *data, size_t size, size_t first)
{
	uint64_t off = first >= size ? 0 : size - first;
	for (int round = 0;; round++) {
		dl_zip_range need = {0, 0};
		int rc = dl_zipdir_parse(d, &need, data + off, size - (size_t)off, off, size, "fuzz", NULL);
		if (rc != DL_ZIP_NEED_MORE)
			return rc;
		if (*d != NULL || round >= 3 || need.offset >= off || need.offset + need.len != size)
			abort();
		off = need.offset;
	}
}

static void check_entry(const dl_zipdir *d, const dl_zip_entry *e, size_t i, uint64_t size)
{
	if (e->index != i || e->name_len == 0 || strlen(e->name) != e->name_len)
		abort();
	if (memchr(e->name, '\\', e->name_len) != NULL)
		abort();
	if (e->local_offset >= dl_zipdir_cd_offset(d) || e->end_bound > dl_zipdir_cd_offset(d) ||
	    e->end_bound <= e->local_offset || dl_zipdir_cd_offset(d) > size)
		abort();
	if (e->csize > e->end_bound - e->local_offset)
		abort();
	if (dl_zipdir_find(d, e->name, e->name_len) != e)
		abort(); /* names are unique */
	dl_zip_range r = dl_zipdir_member_range(d, e);
	if (r.offset != e->local_offset || r.len == 0 || r.len > e->end_bound - e->local_offset)
		abort();
}

static void extract_both(const dl_zipdir *d, const dl_zip_entry *e, const uint8_t *data, size_t size)
{
	dl_buf whole = DL_BUF_INIT, ranged = DL_BUF_INIT;
	dl_zip_range need = {0, 0};
	int rc = dl_zip_member_extract(&whole, &need, d, e, data, size, 0, MAX_OUT);
	check_rc(rc);
	if (rc == 0 && (whole.len != e->usize || whole.len > MAX_OUT))
		abort();
	if (rc < 0 && whole.len != 0)
		abort();
	dl_zip_range r = dl_zipdir_member_range(d, e);
	int rc2 = dl_zip_member_extract(&ranged, &need, d, e, data + r.offset, (size_t)r.len, r.offset, MAX_OUT);
	if (rc2 == DL_ZIP_NEED_MORE) {
		if (need.offset != e->local_offset || need.len <= r.len || need.len > e->end_bound - e->local_offset)
			abort();
		rc2 = dl_zip_member_extract(&ranged, &need, d, e, data + need.offset, (size_t)need.len, need.offset, MAX_OUT);
	}
	if (rc2 != rc)
		abort();
	if (rc == 0 && (ranged.len != whole.len || (whole.len > 0 && memcmp(ranged.ptr, whole.ptr, whole.len) != 0)))
		abort();
	dl_buf_free(&whole);
	dl_buf_free(&ranged);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dl_zipdir *d = NULL;
	dl_zip_range need = {0, 0};
	int rc = dl_zipdir_parse(&d, &need, data, size, 0, size, "fuzz", NULL);
	check_rc(rc);
	if (rc < 0) {
		if (d != NULL || strncmp(dl_error_last()->message, "fuzz: ", 6) != 0)
			abort();
	}
	dl_zipdir *t = NULL;
	size_t first = size > 0 ? 22 + data[size - 1] : 1;
	int rc2 = parse_tail(&t, data, size, first);
	if (rc2 != rc)
		abort();
	if (rc < 0)
		return 0;
	if (dl_zipdir_count(t) != dl_zipdir_count(d))
		abort();
	dl_zipdir_free(t);

	size_t n = dl_zipdir_count(d);
	for (size_t i = 0; i < n; i++) {
		const dl_zip_entry *e = dl_zipdir_entry(d, i);
		check_entry(d, e, i, size);
		if (i < 64)
			extract_both(d, e, data, size);
	}
	if (dl_zipdir_entry(d, n) != NULL)
		abort();
	const dl_zip_entry *m = NULL;
	rc = dl_zipdir_find_wheel_metadata(&m, d, NULL, NULL);
	if (rc == 0 && (m->name_len < 20 || memcmp(m->name + m->name_len - 19, ".dist-info/METADATA", 19) != 0))
		abort();
	if (rc != 0 && rc != DL_ENOTFOUND && rc != DL_EPARSE)
		abort();
	const char *di = NULL;
	size_t dlen = 0;
	rc = dl_zipdir_wheel_dist_info(&di, &dlen, d, "a", "1.0");
	if (rc != 0 && rc != DL_ENOTFOUND && rc != DL_EPARSE && rc != DL_ENOMEM)
		abort();
	dl_zipdir_free(d);
	return 0;
}
