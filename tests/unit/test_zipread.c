/*
 * test_zipread.c - the I/O-free zip reader behind lazy wheels.  Every
 * archive is written here in memory (tests/support/zipbuild.h): the
 * incremental tail protocol from every possible first tail size, every
 * truncation, the longest comment, forced ZIP64, data descriptors, each
 * corruption with its exact code and message, the wheel .dist-info rules,
 * a decompression bomb, and allocation failures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dltest.h"
#include "zipbuild.h"
#include "deeplock/zipread.h"

#define NAME "t-1.0-py3-none-any.whl"

static const char METADATA[] = "Metadata-Version: 2.1\nName: Foo_Bar\nVersion: 1.0\nSummary: a test\n"
                               "Requires-Dist: attrs>=22\nRequires-Dist: packaging\n\nLong description.\n";
static const char WHEEL[] = "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n";
static const char CODE[] = "def f():\n    return 42\n";

static void expect_err(int rc, int code, const char *fragment)
{
	const char *msg = dl_error_last()->message;
	if (rc != code || strstr(msg, fragment) == NULL)
		fail_msg("expected code %d with '%s', got %d: %s", code, fragment, rc, msg);
}

/* A small wheel: package code, METADATA (deflate), WHEEL, RECORD. */
static void make_wheel(zb_zip *z, const zb_opts *o, bool zip64, bool descriptor)
{
	zb_member m[] = {
		{.name = "foo_bar/__init__.py", .data = CODE, .len = sizeof(CODE) - 1, .method = 8, .zip64 = zip64},
		{.name = "foo_bar/data.txt", .data = "stored", .len = 6, .method = 0, .zip64 = zip64, .descriptor = descriptor},
		{.name = "Foo_Bar-1.0.dist-info/METADATA", .data = METADATA, .len = sizeof(METADATA) - 1, .method = 8,
		 .zip64 = zip64, .descriptor = descriptor},
		{.name = "Foo_Bar-1.0.dist-info/WHEEL", .data = WHEEL, .len = sizeof(WHEEL) - 1, .method = 8, .zip64 = zip64},
		{.name = "Foo_Bar-1.0.dist-info/RECORD", .data = "", .len = 0, .method = 0, .zip64 = zip64},
	};
	zb_build(z, m, sizeof(m) / sizeof(m[0]), o);
}

static int parse_whole(dl_zipdir **d, const zb_zip *z)
{
	dl_zip_range need = {0, 0};
	return dl_zipdir_parse(d, &need, z->data, z->len, 0, z->len, NAME, NULL);
}

/* Run the tail protocol from a first tail of `first` bytes; returns the
 * code and counts the extra rounds.  Each "need more" must extend the tail
 * to the end of the file and ask for more than was held. */
static int protocol(dl_zipdir **d, const unsigned char *data, size_t len, size_t first, int *rounds)
{
	uint64_t off = first >= len ? 0 : len - first;
	*rounds = 0;
	for (;;) {
		dl_zip_range need = {0, 0};
		int rc = dl_zipdir_parse(d, &need, data + off, (size_t)(len - off), off, len, NAME, NULL);
		if (rc != DL_ZIP_NEED_MORE)
			return rc;
		assert_true(need.offset < off);
		assert_int_equal(need.offset + need.len, len);
		off = need.offset;
		++*rounds;
		assert_true(*rounds <= 3);
	}
}

/* Extract through dl_zipdir_member_range, following one "need more". */
static int extract_ranged(dl_buf *out, const dl_zipdir *d, const dl_zip_entry *e, const unsigned char *data,
                          size_t max, int *rounds)
{
	dl_zip_range r = dl_zipdir_member_range(d, e);
	dl_zip_range need = {0, 0};
	int rc = dl_zip_member_extract(out, &need, d, e, data + r.offset, (size_t)r.len, r.offset, max);
	*rounds = 0;
	if (rc == DL_ZIP_NEED_MORE) {
		*rounds = 1;
		assert_int_equal(need.offset, e->local_offset);
		rc = dl_zip_member_extract(out, &need, d, e, data + need.offset, (size_t)need.len, need.offset, max);
		assert_int_not_equal(rc, DL_ZIP_NEED_MORE);
	}
	return rc;
}

static void check_metadata(const dl_zipdir *d, const unsigned char *data)
{
	const dl_zip_entry *e = NULL;
	assert_int_equal(dl_zipdir_find_wheel_metadata(&e, d, "foo-bar", "1.0"), 0);
	assert_string_equal(e->name, "Foo_Bar-1.0.dist-info/METADATA");
	dl_buf b = DL_BUF_INIT;
	int rounds = 0;
	assert_int_equal(extract_ranged(&b, d, e, data, 1 << 20, &rounds), 0);
	assert_int_equal(rounds, 0);
	assert_int_equal(b.len, sizeof(METADATA) - 1);
	assert_memory_equal(b.ptr, METADATA, b.len);
	dl_buf_free(&b);
}

static void t_basic(void **state)
{
	(void)state;
	zb_zip z;
	make_wheel(&z, NULL, false, false);
	dl_zipdir *d = NULL;
	assert_int_equal(parse_whole(&d, &z), 0);
	assert_int_equal(dl_zipdir_count(d), 5);
	assert_string_equal(dl_zipdir_name(d), NAME);
	assert_int_equal(dl_zipdir_file_size(d), z.len);
	assert_int_equal(dl_zipdir_cd_offset(d), z.cd_off);
	const dl_zip_entry *e = dl_zipdir_entry(d, 2);
	assert_string_equal(e->name, "Foo_Bar-1.0.dist-info/METADATA");
	assert_int_equal(e->index, 2);
	assert_int_equal(e->method, DL_ZIP_DEFLATE);
	assert_int_equal(e->usize, sizeof(METADATA) - 1);
	assert_int_equal(e->local_offset, z.local_off[2]);
	assert_int_equal(e->end_bound, z.local_off[3]);
	assert_null(dl_zipdir_entry(d, 5));
	assert_ptr_equal(dl_zipdir_find(d, "foo_bar/data.txt", 16), dl_zipdir_entry(d, 1));
	assert_null(dl_zipdir_find(d, "foo_bar/data.tx", 15));
	assert_null(dl_zipdir_find(d, "FOO_BAR/data.txt", 16));
	check_metadata(d, z.data);

	/* The range: local header + name + slack + data, clipped at the next member. */
	dl_zip_range r = dl_zipdir_member_range(d, dl_zipdir_entry(d, 2));
	assert_int_equal(r.offset, z.local_off[2]);
	assert_int_equal(r.len, z.local_off[3] - z.local_off[2]);

	/* The whole file as the window (the 200-instead-of-206 fallback). */
	dl_buf b = DL_BUF_INIT;
	assert_int_equal(dl_zip_member_extract(&b, NULL, d, dl_zipdir_entry(d, 1), z.data, z.len, 0, 100), 0);
	assert_string_equal(dl_buf_cstr(&b), "stored");
	assert_int_equal(dl_zip_member_extract(&b, NULL, d, dl_zipdir_entry(d, 4), z.data, z.len, 0, 100), 0);
	assert_int_equal(b.len, 0);
	assert_int_equal(dl_zip_member_extract(&b, NULL, d, dl_zipdir_entry(d, 0), z.data, z.len, 0, 100), 0);
	assert_string_equal(dl_buf_cstr(&b), CODE);

	const dl_zip_entry *w = NULL;
	assert_int_equal(dl_zipdir_find_wheel_file(&w, d, "FOO.bar", NULL, "WHEEL"), 0);
	assert_int_equal(dl_zip_member_extract(&b, NULL, d, w, z.data, z.len, 0, 100), 0);
	assert_string_equal(dl_buf_cstr(&b), WHEEL);
	/* A window that misses the member asks for its range. */
	dl_zip_range need = {0, 0};
	assert_int_equal(dl_zip_member_extract(&b, &need, d, w, z.data, 10, 0, 100), DL_ZIP_NEED_MORE);
	assert_int_equal(need.offset, w->local_offset);
	assert_int_equal(need.len, dl_zipdir_member_range(d, w).len);
	dl_buf_free(&b);
	dl_zipdir_free(d);
	free(z.data);
}

static void t_protocol_every_tail(void **state)
{
	(void)state;
	for (int variant = 0; variant < 3; variant++) {
		zb_zip z;
		zb_opts o = {.comment = "a comment", .comment_len = 9, .zip64_end = variant == 2, .zip64_markers = variant == 2};
		make_wheel(&z, variant == 0 ? NULL : &o, variant == 2, variant == 1);
		int max_rounds = 0;
		for (size_t first = 1; first <= z.len + 1; first++) {
			dl_zipdir *d = NULL;
			int rounds = 0;
			int rc = protocol(&d, z.data, z.len, first, &rounds);
			if (rc != 0)
				fail_msg("variant %d, first tail %zu: %d %s", variant, first, rc, dl_error_last()->message);
			if (first >= z.len - z.cd_off)
				assert_int_equal(rounds, 0);
			else
				assert_true(rounds >= 1);
			/* One round for the directory, one more for the ZIP64 records,
			 * one more when the first tail misses the last 22 bytes. */
			assert_true(rounds <= (variant == 2 ? 2 : 1) + (first < 22));
			if (rounds > max_rounds)
				max_rounds = rounds;
			assert_int_equal(dl_zipdir_count(d), 5);
			check_metadata(d, z.data);
			dl_zipdir_free(d);
		}
		/* The record's 76 bytes of ZIP64 context are asked for at once. */
		assert_int_equal(max_rounds, 2);
		free(z.data);
	}
}

static void t_truncated_every_prefix(void **state)
{
	(void)state;
	zb_zip z;
	make_wheel(&z, NULL, false, false);
	for (size_t k = 0; k < z.len; k++) {
		dl_zipdir *d = NULL;
		dl_zip_range need = {0, 0};
		int rc = dl_zipdir_parse(&d, &need, z.data, k, 0, k, NAME, NULL);
		const char *want = k < 22 ? "is too short for a zip archive"
		                   : k >= z.eocd_off + 4 ? "leaves no room for the record"
		                                         : "no end of central directory record (PK\\5\\6) in the last";
		expect_err(rc, DL_EPARSE, want);
		assert_null(d);
	}
	expect_err(dl_zipdir_parse(&(dl_zipdir *){NULL}, NULL, z.data, 21, 0, 21, NAME, NULL), DL_EPARSE,
	           NAME ": 21 bytes is too short for a zip archive (the end record alone is 22 bytes)");
	/* A tail that does not end at the end of the file is the caller's bug. */
	expect_err(dl_zipdir_parse(&(dl_zipdir *){NULL}, NULL, z.data, 100, 0, z.len, NAME, NULL), DL_EINVAL,
	           "are not the tail of a");
	char want[200];
	snprintf(want, sizeof(want), NAME ": the last end of central directory signature (PK\\5\\6), at offset %zu, leaves no room for the record (21 of 22 bytes)",
	         z.eocd_off);
	expect_err(dl_zipdir_parse(&(dl_zipdir *){NULL}, NULL, z.data, z.len - 1, 0, z.len - 1, NAME, NULL), DL_EPARSE, want);
	free(z.data);

	/* A signature in the last 21 bytes after a real record (zipfile takes
	 * the last one, which cannot hold a record): refused too. */
	zb_opts o = {.comment = "xxPK\x05\x06yy", .comment_len = 8};
	make_wheel(&z, &o, false, false);
	snprintf(want, sizeof(want), "signature (PK\\5\\6), at offset %zu, leaves no room for the record (6 of 22 bytes)", z.len - 6);
	expect_err(parse_whole(&(dl_zipdir *){NULL}, &z), DL_EPARSE, want);
	free(z.data);
	/* ... unless the last 22 bytes are a record without a comment, which
	 * zipfile looks at first: then a signature inside it does not count. */
	make_wheel(&z, NULL, false, false);
	memcpy(z.data + z.len - 8, "PK\x05\x06", 4); /* the directory's offset field */
	expect_err(parse_whole(&(dl_zipdir *){NULL}, &z), DL_EPARSE, "does not end where the end record begins");
	free(z.data);
}

static void t_comment_max(void **state)
{
	(void)state;
	char *comment = malloc(65535);
	memset(comment, 'c', 65535);
	zb_opts o = {.comment = comment, .comment_len = 65535};
	zb_zip z;
	make_wheel(&z, &o, false, false);
	dl_zipdir *d = NULL;
	assert_int_equal(parse_whole(&d, &z), 0);
	dl_zipdir_free(d);
	/* From the 64 KiB tail, the end record is out of reach: the whole
	 * search window is asked for, then everything is there. */
	dl_zip_range need = {0, 0};
	size_t first = (size_t)DL_ZIP_TAIL_INITIAL;
	assert_int_equal(dl_zipdir_parse(&d, &need, z.data + z.len - first, first, z.len - first, z.len, NAME, NULL),
	                 DL_ZIP_NEED_MORE);
	assert_int_equal(need.offset, z.len - 22 - 65535);
	int rounds = 0;
	assert_int_equal(protocol(&d, z.data, z.len, first, &rounds), 0);
	assert_int_equal(rounds, 2);
	check_metadata(d, z.data);
	dl_zipdir_free(d);
	free(z.data);

	/* A fake end record inside the comment is the last signature: it is
	 * taken (as zipfile does) and its comment length cannot match. */
	memcpy(comment + 100, "PK\x05\x06", 4);
	make_wheel(&z, &o, false, false);
	expect_err(parse_whole(&d, &z), DL_EPARSE, "declares a 25443-byte comment but 65413 bytes follow it");
	free(z.data);
	free(comment);

	/* Trailing bytes after the end record. */
	zb_opts t = {.trailing = 5};
	make_wheel(&z, &t, false, false);
	expect_err(parse_whole(&d, &z), DL_EPARSE, "declares a 0-byte comment but 5 bytes follow it (truncated or trailing data)");
	free(z.data);
}

static void t_zip64(void **state)
{
	(void)state;
	zb_opts o = {.zip64_end = true, .zip64_markers = true};
	zb_zip z;
	make_wheel(&z, &o, true, true);
	dl_zipdir *d = NULL;
	assert_int_equal(parse_whole(&d, &z), 0);
	const dl_zip_entry *e = dl_zipdir_entry(d, 1);
	assert_int_equal(e->usize, 6);
	assert_int_equal(e->csize, 6);
	assert_int_equal(e->local_offset, z.local_off[1]);
	assert_int_equal(dl_zipdir_cd_offset(d), z.cd_off);
	check_metadata(d, z.data);
	dl_buf b = DL_BUF_INIT;
	assert_int_equal(dl_zip_member_extract(&b, NULL, d, e, z.data, z.len, 0, 100), 0);
	assert_string_equal(dl_buf_cstr(&b), "stored");
	dl_buf_free(&b);
	dl_zipdir_free(d);

	/* The locator must point right before itself. */
	size_t loc = z.eocd_off - 20;
	zb_set32(&z, loc + 8, (uint32_t)z.eocd64_off - 1);
	expect_err(parse_whole(&d, &z), DL_EPARSE, "ZIP64 end record must end where the locator begins");
	zb_set32(&z, loc + 8, (uint32_t)z.eocd64_off);
	/* Multi-disk. */
	zb_set32(&z, loc + 16, 3);
	expect_err(parse_whole(&d, &z), DL_EUNSUPPORTED, "describes a multi-disk archive (3 disks)");
	zb_set32(&z, loc + 16, 1);
	/* A 32-bit value that is not a marker must agree with the ZIP64 one. */
	zb_set16(&z, z.eocd_off + 10, 4);
	expect_err(parse_whole(&d, &z), DL_EPARSE, "and the ZIP64 end record at offset");
	zb_set16(&z, z.eocd_off + 10, 0xFFFF);
	/* Extensible data. */
	zb_set32(&z, z.eocd64_off + 4, 45);
	expect_err(parse_whole(&d, &z), DL_EUNSUPPORTED, "is 45 bytes, not 44");
	zb_set32(&z, z.eocd64_off + 4, 44);
	z.data[z.eocd64_off] = 'X';
	expect_err(parse_whole(&d, &z), DL_EPARSE, "no ZIP64 end record signature (PK\\6\\6) at offset");
	free(z.data);

	/* A marker without the extra field. */
	make_wheel(&z, NULL, false, false);
	zb_set32(&z, z.central_off[1] + 20, 0xFFFFFFFF);
	expect_err(parse_whole(&d, &z), DL_EPARSE,
	           "central directory entry 1 ('foo_bar/data.txt') has a size or offset of 0xFFFFFFFF but no ZIP64 extra field");
	free(z.data);
}

static void t_descriptor(void **state)
{
	(void)state;
	zb_zip z;
	make_wheel(&z, NULL, false, true);
	dl_zipdir *d = NULL;
	assert_int_equal(parse_whole(&d, &z), 0);
	assert_true(dl_zipdir_entry(d, 2)->flags & 8);
	check_metadata(d, z.data);
	dl_buf b = DL_BUF_INIT;
	assert_int_equal(dl_zip_member_extract(&b, NULL, d, dl_zipdir_entry(d, 1), z.data, z.len, 0, 100), 0);
	assert_string_equal(dl_buf_cstr(&b), "stored");
	dl_buf_free(&b);
	dl_zipdir_free(d);
	free(z.data);
}

/* Build `m` and expect parsing to fail with code and fragment. */
static void parse_fails(const zb_member *m, size_t n, int code, const char *fragment)
{
	zb_zip z;
	zb_build(&z, m, n, NULL);
	dl_zipdir *d = NULL;
	expect_err(parse_whole(&d, &z), code, fragment);
	assert_null(d);
	free(z.data);
}

/* Build `m`, parse it, and expect extracting member `i` to fail. */
static void extract_fails(const zb_member *m, size_t n, size_t i, size_t max, int code, const char *fragment)
{
	zb_zip z;
	zb_build(&z, m, n, NULL);
	dl_zipdir *d = NULL;
	assert_int_equal(parse_whole(&d, &z), 0);
	dl_buf b = DL_BUF_INIT;
	dl_buf_puts(&b, "old");
	expect_err(dl_zip_member_extract(&b, NULL, d, dl_zipdir_entry(d, i), z.data, z.len, 0, max), code, fragment);
	assert_int_equal(b.len, 0);
	dl_buf_free(&b);
	dl_zipdir_free(d);
	free(z.data);
}

static void t_corrupt_members(void **state)
{
	(void)state;
	zb_member ok = {.name = "a.txt", .data = "hello", .len = 5, .method = 8};
	zb_member m[2] = {ok, {.name = "b.txt", .data = "world", .len = 5}};

	m[0].crc_xor = 1;
	extract_fails(m, 2, 0, 100, DL_EPARSE, NAME ": member 'a.txt' (entry 0) has CRC-32");
	m[0] = ok;
	m[1].crc_xor = 0x10;
	extract_fails(m, 2, 1, 100, DL_EPARSE, "member 'b.txt' (entry 1) has CRC-32 3a771143, the central directory says 3a771153");
	m[1].crc_xor = 0;

	m[0].flags = 1;
	parse_fails(m, 2, DL_EUNSUPPORTED, NAME ": central directory entry 0 ('a.txt') is encrypted (flags 0x0001)");
	m[0].flags = 0x20;
	extract_fails(m, 2, 0, 100, DL_EUNSUPPORTED, "member 'a.txt' (entry 0) holds compressed patched data (flag bit 5)");
	m[0].flags = 0x40;
	parse_fails(m, 2, DL_EUNSUPPORTED, "is encrypted (flags 0x0040)");
	m[0] = ok;

	m[1].name = "a.txt";
	parse_fails(m, 2, DL_EUNSUPPORTED, "member 'a.txt' appears twice (central directory entries 0 and 1)");
	m[1].name = "b.txt";

	m[0].name = "a\0b";
	m[0].name_len = 3;
	parse_fails(m, 2, DL_EPARSE, "central directory entry 0 ('a?b') has a NUL byte in its name at byte 2");
	m[0] = ok;
	m[0].name = "dir\\a.txt";
	parse_fails(m, 2, DL_EUNSUPPORTED, "entry 0 ('dir\\a.txt') has a backslash in its name");
	m[0] = ok;

	m[0].local_name = "A.txt";
	extract_fails(m, 2, 0, 100, DL_EPARSE, "member 'a.txt' (entry 0): its local header at offset 0 names 'A.txt'");
	m[0] = ok;

	m[0].method = 12;
	extract_fails(m, 2, 0, 100, DL_EUNSUPPORTED,
	              "member 'a.txt' (entry 0) uses compression method 12 (bzip2); only stored (0) and deflate (8) are supported");
	m[0] = ok;

	m[1].usize_delta = 1;
	extract_fails(m, 2, 1, 100, DL_EPARSE, "member 'b.txt' (entry 1) is stored but its compressed size 5 differs from its size 6");
	m[1].usize_delta = 0;
	m[0].usize_delta = 2;
	extract_fails(m, 2, 0, 100, DL_EPARSE, "member 'a.txt' (entry 0) holds 5 bytes, the central directory says 7");
	m[0].usize_delta = -1;
	extract_fails(m, 2, 0, 100, DL_EPARSE, "member 'a.txt' (entry 0) inflates to more than its declared 4 bytes");
	m[0] = ok;
	extract_fails(m, 2, 0, 4, DL_ELIMIT, "member 'a.txt' (entry 0) is 5 bytes uncompressed, more than the limit of 4");

	/* Entries pointing outside the file, into the directory, at each other. */
	zb_zip z;
	zb_build(&z, m, 2, NULL);
	dl_zipdir *d = NULL;
	zb_set32(&z, z.central_off[1] + 42, 100000);
	char want[200];
	snprintf(want, sizeof(want), NAME ": central directory entry 1 ('b.txt') points past the end of the file (offset 100000, file size %zu)", z.len);
	expect_err(parse_whole(&d, &z), DL_EPARSE, want);
	zb_set32(&z, z.central_off[1] + 42, (uint32_t)z.cd_off - 10);
	expect_err(parse_whole(&d, &z), DL_EPARSE, "central directory entry 1 ('b.txt') at offset");
	expect_err(parse_whole(&d, &z), DL_EPARSE, "with 5 compressed bytes runs into the central directory at offset");
	zb_set32(&z, z.central_off[1] + 42, 3);
	expect_err(parse_whole(&d, &z), DL_EUNSUPPORTED,
	           "members 'a.txt' (entry 0, offset 0, at least 42 bytes) and 'b.txt' (entry 1, offset 3) overlap");
	zb_set32(&z, z.central_off[1] + 42, 0);
	expect_err(parse_whole(&d, &z), DL_EUNSUPPORTED, "overlap");
	zb_set32(&z, z.central_off[1] + 42, (uint32_t)z.local_off[1]);

	/* A wrong local signature, a local method that disagrees. */
	assert_int_equal(parse_whole(&d, &z), 0);
	dl_buf b = DL_BUF_INIT;
	z.data[z.local_off[1]] = 'Q';
	expect_err(dl_zip_member_extract(&b, NULL, d, dl_zipdir_entry(d, 1), z.data, z.len, 0, 100), DL_EPARSE,
	           "member 'b.txt' (entry 1): no local header signature (PK\\3\\4) at offset");
	z.data[z.local_off[1]] = 'P';
	zb_set16(&z, z.local_off[1] + 8, 8);
	expect_err(dl_zip_member_extract(&b, NULL, d, dl_zipdir_entry(d, 1), z.data, z.len, 0, 100), DL_EPARSE,
	           "its local header says compression method 8, the central directory 0");
	zb_set16(&z, z.local_off[1] + 8, 0);
	zb_set16(&z, z.local_off[1] + 6, 1);
	expect_err(dl_zip_member_extract(&b, NULL, d, dl_zipdir_entry(d, 1), z.data, z.len, 0, 100), DL_EUNSUPPORTED,
	           "member 'b.txt' (entry 1) is encrypted (local flags 0x0001)");
	zb_set16(&z, z.local_off[1] + 6, 0);
	/* A local extra field that pushes the data into the directory. */
	zb_set16(&z, z.local_off[1] + 28, 200);
	expect_err(dl_zip_member_extract(&b, NULL, d, dl_zipdir_entry(d, 1), z.data, z.len, 0, 100), DL_EPARSE,
	           "its local header (235 bytes) and 5 bytes of data run past offset");
	zb_set16(&z, z.local_off[1] + 28, 0);
	/* Corrupt deflate data. */
	z.data[z.local_off[0] + 30 + 5] ^= 0xFF;
	int rc = dl_zip_member_extract(&b, NULL, d, dl_zipdir_entry(d, 0), z.data, z.len, 0, 100);
	assert_int_equal(rc, DL_EPARSE);
	z.data[z.local_off[0] + 30 + 5] ^= 0xFF;
	assert_int_equal(dl_zip_member_extract(&b, NULL, d, dl_zipdir_entry(d, 0), z.data, z.len, 0, 100), 0);
	assert_string_equal(dl_buf_cstr(&b), "hello");
	dl_buf_free(&b);
	dl_zipdir_free(d);
	free(z.data);
}

static void t_truncated_deflate(void **state)
{
	(void)state;
	/* Compressed size one byte short: the stream never ends. */
	static char text[4000];
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (char)('a' + (i * 7919) % 26);
	zb_member m[1] = {{.name = "t.txt", .data = text, .len = sizeof(text), .method = 8}};
	zb_zip z;
	zb_build(&z, m, 1, NULL);
	uint32_t csize = (uint32_t)(z.cd_off - 30 - 5);
	zb_set32(&z, z.central_off[0] + 20, csize - 1);
	dl_zipdir *d = NULL;
	assert_int_equal(parse_whole(&d, &z), 0);
	dl_buf b = DL_BUF_INIT;
	expect_err(dl_zip_member_extract(&b, NULL, d, dl_zipdir_entry(d, 0), z.data, z.len, 0, 1 << 20), DL_EPARSE,
	           "bytes of deflate data end before the deflate stream does");
	dl_zipdir_free(d);
	/* One byte too many: the stream ends first. */
	zb_set32(&z, z.central_off[0] + 20, csize + 1);
	zb_set32(&z, z.central_off[0] + 42, 0);
	/* (the extra byte is the central directory's first: shift the directory
	 * start by patching the end record is not possible, so the member
	 * reaches into it and parse refuses) */
	expect_err(parse_whole(&d, &z), DL_EPARSE, "runs into the central directory");
	dl_buf_free(&b);
	free(z.data);

	/* A data descriptor follows the data, so one byte more still fits. */
	zb_member two[2] = {{.name = "t.txt", .data = text, .len = sizeof(text), .method = 8, .descriptor = true},
	                    {.name = "u.txt", .data = "x", .len = 1}};
	zb_build(&z, two, 2, NULL);
	csize = (uint32_t)(z.local_off[1] - 30 - 5 - 16);
	zb_set32(&z, z.central_off[0] + 20, csize + 1);
	assert_int_equal(parse_whole(&d, &z), 0);
	expect_err(dl_zip_member_extract(&b, NULL, d, dl_zipdir_entry(d, 0), z.data, z.len, 0, 1 << 20), DL_EPARSE,
	           "the deflate stream ends 1 bytes before its compressed data does");
	dl_buf_free(&b);
	dl_zipdir_free(d);
	free(z.data);
}

static void t_directory_corruption(void **state)
{
	(void)state;
	zb_member m[3] = {{.name = "a.txt", .data = "hello", .len = 5},
	                  {.name = "b.txt", .data = "world", .len = 5},
	                  {.name = "c.txt", .data = "!", .len = 1}};
	zb_zip z;
	zb_build(&z, m, 3, NULL);
	dl_zipdir *d = NULL;
	size_t eo = z.eocd_off;
	/* Central directory offset off by one. */
	zb_set32(&z, eo + 16, (uint32_t)z.cd_off + 1);
	char want[256];
	snprintf(want, sizeof(want), "the central directory (offset %zu, %zu bytes) does not end where the end record begins (offset %zu)",
	         z.cd_off + 1, z.cd_size, z.eocd_off);
	expect_err(parse_whole(&d, &z), DL_EPARSE, want);
	zb_set32(&z, eo + 16, (uint32_t)z.cd_off);
	/* Entry count too small or too large. */
	zb_set16(&z, eo + 8, 2);
	zb_set16(&z, eo + 10, 2);
	expect_err(parse_whole(&d, &z), DL_EPARSE, "bytes after its 2 entries");
	zb_set16(&z, eo + 8, 9);
	zb_set16(&z, eo + 10, 9);
	expect_err(parse_whole(&d, &z), DL_EPARSE, "9 members cannot fit in a");
	zb_set16(&z, eo + 8, 3);
	/* Multi-disk. */
	zb_set16(&z, eo + 10, 3);
	zb_set16(&z, eo + 4, 1);
	expect_err(parse_whole(&d, &z), DL_EUNSUPPORTED, "multi-disk archives are not supported (disk 1");
	zb_set16(&z, eo + 4, 0);
	zb_set16(&z, z.central_off[2] + 34, 2);
	expect_err(parse_whole(&d, &z), DL_EUNSUPPORTED, "central directory entry 2 ('c.txt') is on disk 2");
	zb_set16(&z, z.central_off[2] + 34, 0);
	/* A member that needs a newer zip than zipfile reads. */
	zb_set16(&z, z.central_off[1] + 6, 75);
	expect_err(parse_whole(&d, &z), DL_EUNSUPPORTED,
	           "central directory entry 1 ('b.txt') needs zip version 7.5 to extract; Python's zipfile reads up to 6.3");
	zb_set16(&z, z.central_off[1] + 6, 0x1F3F); /* 6.3, and a high byte zipfile ignores */
	assert_int_equal(parse_whole(&d, &z), 0);
	dl_zipdir_free(d);
	/* A broken entry signature and an entry that overruns the directory. */
	z.data[z.central_off[1] + 1] = 'X';
	expect_err(parse_whole(&d, &z), DL_EPARSE, "central directory entry 1 at offset");
	expect_err(parse_whole(&d, &z), DL_EPARSE, "does not start with the signature PK\\1\\2");
	z.data[z.central_off[1] + 1] = 'K';
	zb_set16(&z, z.central_off[2] + 32, 10);
	expect_err(parse_whole(&d, &z), DL_EPARSE, "central directory entry 2 at offset");
	expect_err(parse_whole(&d, &z), DL_EPARSE, "(61 bytes with its name, extra field and comment) runs past the end of the central directory");
	zb_set16(&z, z.central_off[2] + 32, 0);
	zb_set16(&z, z.central_off[2] + 28, 0);
	expect_err(parse_whole(&d, &z), DL_EPARSE, "has an empty name");
	zb_set16(&z, z.central_off[2] + 28, 5);
	/* Extra field whose block overruns. */
	zb_set16(&z, z.central_off[2] + 30, 0);
	assert_int_equal(parse_whole(&d, &z), 0);
	dl_zipdir_free(d);

	/* Limits. */
	dl_zip_limits lim = DL_ZIP_LIMITS_INIT;
	lim.max_entries = 2;
	dl_zip_range need;
	expect_err(dl_zipdir_parse(&d, &need, z.data, z.len, 0, z.len, NAME, &lim), DL_ELIMIT,
	           "the archive has 3 members, more than the limit of 2");
	lim.max_entries = 0;
	lim.max_name = 4;
	expect_err(dl_zipdir_parse(&d, &need, z.data, z.len, 0, z.len, NAME, &lim), DL_ELIMIT,
	           "central directory entry 0 ('a.txt') has a 5-byte name, more than the limit of 4");
	lim.max_name = 0;
	lim.max_cd_size = 100;
	expect_err(dl_zipdir_parse(&d, &need, z.data, z.len, 0, z.len, NAME, &lim), DL_ELIMIT,
	           "the central directory is 153 bytes, more than the limit of 100");
	lim.version = 99;
	expect_err(dl_zipdir_parse(&d, &need, z.data, z.len, 0, z.len, NAME, &lim), DL_EINVAL, "zip limits of version 99");
	free(z.data);

	/* More entries than the directory holds, though they could fit. */
	zb_member ab[2] = {{.name = "a", .data = "1", .len = 1},
	                   {.name = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", .data = "2", .len = 1}};
	zb_build(&z, ab, 2, NULL);
	zb_set16(&z, z.eocd_off + 8, 3);
	zb_set16(&z, z.eocd_off + 10, 3);
	snprintf(want, sizeof(want), "central directory entry 2 at offset %zu is cut off by the end of the central directory (offset %zu)",
	         z.eocd_off, z.eocd_off);
	expect_err(parse_whole(&d, &z), DL_EPARSE, want);
	free(z.data);

	/* An extra field that overruns, and two ZIP64 blocks. */
	zb_member z64[1] = {{.name = "a.txt", .data = "hello", .len = 5, .zip64 = true}};
	zb_build(&z, z64, 1, NULL);
	size_t x = z.central_off[0] + 46 + 5;
	zb_set16(&z, x + 2, 25);
	expect_err(parse_whole(&d, &z), DL_EPARSE, "extra field 0x0001 (25 bytes) runs past the end of the extra data (24 bytes)");
	zb_set16(&z, x + 2, 16);
	expect_err(parse_whole(&d, &z), DL_EPARSE, "the ZIP64 extra field has 16 bytes, 24 are needed");
	/* Sizes in the 32-bit fields, only the offset in ZIP64 (8 bytes), twice. */
	zb_set32(&z, z.central_off[0] + 20, 5);
	zb_set32(&z, z.central_off[0] + 24, 5);
	zb_set16(&z, x + 2, 8);
	memset(z.data + x + 4, 0, 8);
	zb_set16(&z, x + 12, 1);
	zb_set16(&z, x + 14, 12);
	expect_err(parse_whole(&d, &z), DL_EPARSE, "has two ZIP64 extra fields");
	zb_set16(&z, x + 12, 0x5455);
	assert_int_equal(parse_whole(&d, &z), 0);
	assert_int_equal(dl_zipdir_entry(d, 0)->usize, 5);
	dl_zipdir_free(d);
	zb_set16(&z, x + 12, 1);
	expect_err(parse_whole(&d, &z), DL_EPARSE, "has two ZIP64 extra fields");
	free(z.data);

	/* An empty archive is fine. */
	zb_build(&z, NULL, 0, NULL);
	assert_int_equal(z.len, 22);
	assert_int_equal(parse_whole(&d, &z), 0);
	assert_int_equal(dl_zipdir_count(d), 0);
	const dl_zip_entry *e = NULL;
	expect_err(dl_zipdir_find_wheel_metadata(&e, d, NULL, NULL), DL_ENOTFOUND, "the wheel has no .dist-info directory");
	dl_zipdir_free(d);
	free(z.data);
}

static void t_local_extra_slack(void **state)
{
	(void)state;
	static char big[5000];
	memset(big, 'b', sizeof(big));
	zb_member m[2] = {{.name = "x-1.0.dist-info/METADATA", .data = METADATA, .len = sizeof(METADATA) - 1, .method = 8,
	                   .local_extra = 3000},
	                  {.name = "x/big.bin", .data = big, .len = sizeof(big)}};
	zb_zip z;
	zb_build(&z, m, 2, NULL);
	dl_zipdir *d = NULL;
	assert_int_equal(parse_whole(&d, &z), 0);
	const dl_zip_entry *e = NULL;
	assert_int_equal(dl_zipdir_find_wheel_metadata(&e, d, "x", "1.0"), 0);
	dl_zip_range r = dl_zipdir_member_range(d, e);
	assert_int_equal(r.offset, 0);
	assert_int_equal(r.len, 30 + 24 + 1024 + e->csize);
	dl_zip_range need = {0, 0};
	dl_buf b = DL_BUF_INIT;
	assert_int_equal(dl_zip_member_extract(&b, &need, d, e, z.data, (size_t)r.len, 0, 1 << 20), DL_ZIP_NEED_MORE);
	assert_int_equal(need.offset, 0);
	assert_int_equal(need.len, 30 + 24 + 3000 + e->csize);
	assert_int_equal(need.len, z.local_off[1]);
	int rounds = 0;
	assert_int_equal(extract_ranged(&b, d, e, z.data, 1 << 20, &rounds), 0);
	assert_int_equal(rounds, 1);
	assert_string_equal(dl_buf_cstr(&b), METADATA);
	dl_buf_free(&b);
	dl_zipdir_free(d);
	free(z.data);
}

static void t_bomb(void **state)
{
	(void)state;
	size_t n = 10u << 20;
	char *zeros = calloc(1, n);
	zb_member m[1] = {{.name = "bomb.bin", .data = zeros, .len = n, .method = 8}};
	zb_zip z;
	zb_build(&z, m, 1, NULL);
	assert_true(z.len < 20000);
	dl_zipdir *d = NULL;
	assert_int_equal(parse_whole(&d, &z), 0);
	dl_buf b = DL_BUF_INIT;
	expect_err(dl_zip_member_extract(&b, NULL, d, dl_zipdir_entry(d, 0), z.data, z.len, 0, 1 << 20), DL_ELIMIT,
	           "member 'bomb.bin' (entry 0) is 10485760 bytes uncompressed, more than the limit of 1048576");
	assert_null(b.ptr);
	dl_zipdir_free(d);
	free(z.data);
	/* The same bomb declaring 1000 bytes: inflation stops at once. */
	m[0].usize_delta = 1000 - (int64_t)n;
	zb_build(&z, m, 1, NULL);
	assert_int_equal(parse_whole(&d, &z), 0);
	expect_err(dl_zip_member_extract(&b, NULL, d, dl_zipdir_entry(d, 0), z.data, z.len, 0, 1 << 20), DL_EPARSE,
	           "inflates to more than its declared 1000 bytes");
	assert_int_equal(b.len, 0);
	assert_true(b.cap <= 4096);
	dl_buf_free(&b);
	dl_zipdir_free(d);
	free(z.data);
	free(zeros);
}

static void wheel_of(zb_zip *z, const char *const *names, size_t n)
{
	zb_member m[8];
	memset(m, 0, sizeof(m));
	for (size_t i = 0; i < n; i++) {
		m[i].name = names[i];
		m[i].data = METADATA;
		m[i].len = sizeof(METADATA) - 1;
	}
	zb_build(z, m, n, NULL);
}

static int find_in(const char *const *names, size_t n, const char *project, const char *version, const char **found)
{
	zb_zip z;
	wheel_of(&z, names, n);
	dl_zipdir *d = NULL;
	assert_int_equal(parse_whole(&d, &z), 0);
	const dl_zip_entry *e = NULL;
	int rc = dl_zipdir_find_wheel_metadata(&e, d, project, version);
	static char name[256];
	name[0] = '\0';
	if (rc == 0) {
		snprintf(name, sizeof(name), "%s", e->name);
		const char *di = NULL;
		size_t dl = 0;
		assert_int_equal(dl_zipdir_wheel_dist_info(&di, &dl, d, project, version), 0);
		assert_int_equal(dl + 9, strlen(name));
	}
	*found = name;
	dl_zipdir_free(d);
	free(z.data);
	return rc;
}

static void t_wheel_rules(void **state)
{
	(void)state;
	const char *found = NULL;
	const char *w1[] = {"foo/x.py", "Foo_Bar-1.0.dist-info/WHEEL", "Foo_Bar-1.0.dist-info/METADATA"};
	assert_int_equal(find_in(w1, 3, "foo-bar", "1.0", &found), 0);
	assert_string_equal(found, "Foo_Bar-1.0.dist-info/METADATA");
	assert_int_equal(find_in(w1, 3, "FOO.BAR", "1.0.0", &found), 0);
	assert_int_equal(find_in(w1, 3, "foo__bar", NULL, &found), 0);
	assert_int_equal(find_in(w1, 3, NULL, NULL, &found), 0);
	expect_err(find_in(w1, 3, "foo-bar", "1.1", &found), DL_EPARSE,
	           NAME ": the .dist-info directory 'Foo_Bar-1.0.dist-info' is for version 1.0, not 1.1");
	expect_err(find_in(w1, 3, "foo", NULL, &found), DL_EPARSE,
	           "the .dist-info directory 'Foo_Bar-1.0.dist-info' is not named for project 'foo'");
	expect_err(find_in(w1, 3, "foo-bar", "x.y", &found), DL_EINVAL, "'x.y' is not a valid version to look for");
	/* A legacy name with '-' in it. */
	const char *w2[] = {"foo-bar-2.0rc1.dist-info/METADATA"};
	assert_int_equal(find_in(w2, 1, "foo_bar", "2.0c1", &found), 0);
	const char *w3[] = {"foo-bar-2.0rc1x.dist-info/METADATA"};
	expect_err(find_in(w3, 1, "foo_bar", "2.0", &found), DL_EPARSE, "has no valid version after the project name");
	/* Two .dist-info directories, none, no METADATA. */
	const char *w4[] = {"a-1.dist-info/METADATA", "a/x.py", "b-1.dist-info/METADATA"};
	expect_err(find_in(w4, 3, "a", NULL, &found), DL_EPARSE,
	           "the wheel has more than one .dist-info directory ('a-1.dist-info' and 'b-1.dist-info')");
	const char *w5[] = {"a/x.py", "a-1.data/scripts/x"};
	expect_err(find_in(w5, 2, "a", NULL, &found), DL_ENOTFOUND, "the wheel has no .dist-info directory");
	const char *w6[] = {"a-1.dist-info/RECORD", "a-1.dist-info/metadata"};
	expect_err(find_in(w6, 2, "a", NULL, &found), DL_ENOTFOUND, "the wheel has no member 'a-1.dist-info/METADATA'");
	/* A nested .dist-info is not a top-level one (pip's rule). */
	const char *w7[] = {"a/b-1.dist-info/METADATA", "a-1.dist-info/METADATA"};
	assert_int_equal(find_in(w7, 2, "a", "1", &found), 0);
	assert_string_equal(found, "a-1.dist-info/METADATA");
	/* Two METADATA entries never get this far. */
	const char *w8[] = {"a-1.dist-info/METADATA", "a-1.dist-info/METADATA"};
	zb_zip z;
	wheel_of(&z, w8, 2);
	dl_zipdir *d = NULL;
	expect_err(parse_whole(&d, &z), DL_EUNSUPPORTED, "member 'a-1.dist-info/METADATA' appears twice (central directory entries 0 and 1)");
	free(z.data);
}

typedef struct alloc_ctx {
	zb_zip z;
	size_t first;
} alloc_ctx;

static int alloc_run(void *p)
{
	alloc_ctx *c = p;
	dl_zipdir *d = NULL;
	int rounds = 0;
	int rc = protocol(&d, c->z.data, c->z.len, c->first, &rounds);
	if (rc < 0)
		return rc;
	const dl_zip_entry *e = NULL;
	rc = dl_zipdir_find_wheel_metadata(&e, d, "foo-bar", "1.0");
	if (rc == 0) {
		dl_buf b = DL_BUF_INIT;
		rc = extract_ranged(&b, d, e, c->z.data, 1 << 20, &rounds);
		if (rc == 0 && (b.len != sizeof(METADATA) - 1 || memcmp(b.ptr, METADATA, b.len) != 0))
			rc = DL_ERROR;
		dl_buf_free(&b);
	}
	dl_zipdir_free(d);
	return rc;
}

static void t_alloc_failures(void **state)
{
	(void)state;
	alloc_ctx c;
	make_wheel(&c.z, NULL, false, false);
	c.first = 40;
	dltest_each_alloc_failure(alloc_run, &c);
	free(c.z.data);
	zb_opts o = {.zip64_end = true, .zip64_markers = true};
	make_wheel(&c.z, &o, true, true);
	c.first = 1 << 16;
	dltest_each_alloc_failure(alloc_run, &c);
	free(c.z.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_basic),
		cmocka_unit_test(t_protocol_every_tail),
		cmocka_unit_test(t_truncated_every_prefix),
		cmocka_unit_test(t_comment_max),
		cmocka_unit_test(t_zip64),
		cmocka_unit_test(t_descriptor),
		cmocka_unit_test(t_corrupt_members),
		cmocka_unit_test(t_truncated_deflate),
		cmocka_unit_test(t_directory_corruption),
		cmocka_unit_test(t_local_extra_slack),
		cmocka_unit_test(t_bomb),
		cmocka_unit_test(t_wheel_rules),
		cmocka_unit_test(t_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
