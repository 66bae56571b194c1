/*
 * test_archive.c - the hardened archive reader.  Every archive is generated
 * here with libarchive's writer, in memory: normal ones in each container
 * and compression, then each kind of hostile member, a decompression bomb,
 * too many members, truncation and non-archives.
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dltest.h"
#include "deeplock/archive.h"

/* ------------------------------------------------------------------ */
/* Writing archives into memory                                        */

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

/* kind: "tar", "tgz", "tbz", "txz", "zip" */
static struct archive *w_new(membuf *mb, const char *kind)
{
	memset(mb, 0, sizeof(*mb));
	struct archive *w = archive_write_new();
	if (strcmp(kind, "zip") == 0) {
		assert_int_equal(archive_write_set_format_zip(w), ARCHIVE_OK);
	} else {
		assert_int_equal(archive_write_set_format_pax_restricted(w), ARCHIVE_OK);
		if (strcmp(kind, "tgz") == 0)
			assert_int_equal(archive_write_add_filter_gzip(w), ARCHIVE_OK);
		else if (strcmp(kind, "tbz") == 0)
			assert_int_equal(archive_write_add_filter_bzip2(w), ARCHIVE_OK);
		else if (strcmp(kind, "txz") == 0)
			assert_int_equal(archive_write_add_filter_xz(w), ARCHIVE_OK);
	}
	assert_int_equal(archive_write_set_bytes_in_last_block(w, 1), ARCHIVE_OK);
	assert_int_equal(archive_write_open2(w, mb, NULL, mb_write, NULL, NULL), ARCHIVE_OK);
	return w;
}

static void w_entry(struct archive *w, const char *path, mode_t type, const void *data, size_t len,
                    const char *symlink, const char *hardlink)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
	archive_entry_set_mtime(e, 1700000000, 0);
	if (symlink != NULL)
		archive_entry_set_symlink(e, symlink);
	if (hardlink != NULL)
		archive_entry_set_hardlink(e, hardlink);
	archive_entry_set_size(e, (la_int64_t)len);
	assert_int_equal(archive_write_header(w, e), ARCHIVE_OK);
	if (len > 0)
		assert_int_equal(archive_write_data(w, data, len), (la_ssize_t)len);
	archive_entry_free(e);
}

static void w_file(struct archive *w, const char *path, const char *text)
{
	w_entry(w, path, AE_IFREG, text, strlen(text), NULL, NULL);
}

static void w_dir(struct archive *w, const char *path)
{
	w_entry(w, path, AE_IFDIR, NULL, 0, NULL, NULL);
}

static void w_zeros(struct archive *w, const char *path, size_t size)
{
	static char zeros[1 << 20];
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)size);
	assert_int_equal(archive_write_header(w, e), ARCHIVE_OK);
	for (size_t done = 0; done < size;) {
		size_t n = size - done > sizeof(zeros) ? sizeof(zeros) : size - done;
		assert_int_equal(archive_write_data(w, zeros, n), (la_ssize_t)n);
		done += n;
	}
	archive_entry_free(e);
}

static void w_close(struct archive *w)
{
	assert_int_equal(archive_write_close(w), ARCHIVE_OK);
	archive_write_free(w);
}

/* A small sdist-shaped archive of the given kind. */
static void make_sdist(membuf *mb, const char *kind)
{
	struct archive *w = w_new(mb, kind);
	w_dir(w, "pkg-1.0/");
	w_file(w, "pkg-1.0/PKG-INFO", "Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n");
	w_file(w, "pkg-1.0/setup.py", "from setuptools import setup\nsetup()\n");
	w_dir(w, "pkg-1.0/src/");
	w_file(w, "pkg-1.0/src/a.py", "");
	w_close(w);
}

/* Open, expecting failure with `code`; returns the message (borrowed). */
static const char *open_fails(const membuf *mb, const char *name, const dl_archive_limits *lim, int code)
{
	dl_archive *ar = NULL;
	int rc = dl_archive_open_memory(&ar, mb->data, mb->len, name, lim);
	if (rc != code)
		fail_msg("expected %d, got %d (%s)", code, rc, dl_error_last()->message);
	assert_null(ar);
	return dl_error_last()->message;
}

/* ------------------------------------------------------------------ */
/* Normal archives                                                      */

static void check_sdist(const membuf *mb, dl_archive_format fmt, dl_archive_compression comp)
{
	dl_archive *ar = NULL;
	assert_int_equal(dl_archive_open_memory(&ar, mb->data, mb->len, "pkg-1.0.x", NULL), 0);
	assert_int_equal(dl_archive_get_format(ar), fmt);
	assert_int_equal(dl_archive_get_compression(ar), comp);
	assert_string_equal(dl_archive_name(ar), "pkg-1.0.x");
	assert_int_equal(dl_archive_count(ar), 5);
	const char *want[] = {"pkg-1.0", "pkg-1.0/PKG-INFO", "pkg-1.0/setup.py", "pkg-1.0/src", "pkg-1.0/src/a.py"};
	dl_archive_member_type types[] = {DL_MEMBER_DIR, DL_MEMBER_FILE, DL_MEMBER_FILE, DL_MEMBER_DIR, DL_MEMBER_FILE};
	for (size_t i = 0; i < 5; i++) {
		const dl_archive_member *m = dl_archive_member_at(ar, i);
		assert_non_null(m);
		assert_string_equal(m->path, want[i]);
		assert_int_equal(m->path_len, strlen(want[i]));
		assert_int_equal(m->type, types[i]);
		assert_null(m->link);
	}
	assert_null(dl_archive_member_at(ar, 5));
	assert_int_equal(dl_archive_member_at(ar, 1)->size, 45);
	assert_int_equal(dl_archive_member_at(ar, 1)->mode, 0644);

	size_t tlen = 0;
	assert_string_equal(dl_archive_topdir(ar, &tlen), "pkg-1.0");
	assert_int_equal(tlen, 7);

	const dl_archive_member *m = dl_archive_find(ar, "*/PKG-INFO");
	assert_non_null(m);
	assert_string_equal(m->path, "pkg-1.0/PKG-INFO");
	assert_ptr_equal(dl_archive_lookup(ar, "pkg-1.0/setup.py", 16), dl_archive_member_at(ar, 2));
	assert_null(dl_archive_lookup(ar, "pkg-1.0/setup.p", 15));
	assert_null(dl_archive_find(ar, "PKG-INFO"));
	assert_null(dl_archive_find(ar, "*/*/PKG-INFO"));
	assert_string_equal(dl_archive_find(ar, "*/src/?.py")->path, "pkg-1.0/src/a.py");
	assert_string_equal(dl_archive_find(ar, "*")->path, "pkg-1.0");

	dl_buf b = DL_BUF_INIT;
	assert_int_equal(dl_archive_read(ar, "pkg-1.0/PKG-INFO", &b, 0), 0);
	assert_string_equal(dl_buf_cstr(&b), "Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n");
	dl_buf_reset(&b);
	assert_int_equal(dl_archive_read(ar, "pkg-1.0/src/a.py", &b, 0), 0);
	assert_int_equal(b.len, 0);

	/* Several in one pass, in any order. */
	dl_buf outs[2] = {DL_BUF_INIT, DL_BUF_INIT};
	const char *paths[2] = {"pkg-1.0/setup.py", "pkg-1.0/PKG-INFO"};
	assert_int_equal(dl_archive_read_many(ar, paths, 2, outs, 1000), 0);
	assert_string_equal(dl_buf_cstr(&outs[0]), "from setuptools import setup\nsetup()\n");
	assert_string_equal(dl_buf_cstr(&outs[1]), "Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n");
	dl_buf_free(&outs[0]);
	dl_buf_free(&outs[1]);

	assert_int_equal(dl_archive_read(ar, "pkg-1.0/nope", &b, 0), DL_ENOTFOUND);
	assert_string_equal(dl_error_last()->message, "archive 'pkg-1.0.x': no member 'pkg-1.0/nope'");
	assert_int_equal(dl_archive_read(ar, "pkg-1.0/src", &b, 0), DL_EUNSUPPORTED);
	assert_string_equal(dl_error_last()->message, "archive 'pkg-1.0.x': member 'pkg-1.0/src' is a directory");
	assert_int_equal(dl_archive_read(ar, "pkg-1.0/PKG-INFO", &b, 10), DL_ELIMIT);
	assert_string_equal(dl_error_last()->message,
	                    "archive 'pkg-1.0.x': member 'pkg-1.0/PKG-INFO' is 45 bytes, more than the 10 allowed");
	/* The buffer's own cap applies too. */
	dl_buf small;
	dl_buf_init(&small, 8);
	assert_int_equal(dl_archive_read(ar, "pkg-1.0/PKG-INFO", &small, 0), DL_ELIMIT);
	dl_buf_free(&small);
	dl_buf_free(&b);
	dl_archive_free(ar);
}

static void test_formats(void **state)
{
	(void)state;
	struct {
		const char *kind;
		dl_archive_format fmt;
		dl_archive_compression comp;
	} cases[] = {
	    {"tar", DL_ARCHIVE_TAR, DL_ARCHIVE_UNCOMPRESSED}, {"tgz", DL_ARCHIVE_TAR, DL_ARCHIVE_GZIP},
	    {"tbz", DL_ARCHIVE_TAR, DL_ARCHIVE_BZIP2},        {"txz", DL_ARCHIVE_TAR, DL_ARCHIVE_XZ},
	    {"zip", DL_ARCHIVE_ZIP, DL_ARCHIVE_UNCOMPRESSED},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		membuf mb;
		make_sdist(&mb, cases[i].kind);
		check_sdist(&mb, cases[i].fmt, cases[i].comp);
		free(mb.data);
	}
}

static void test_wheel_and_glob(void **state)
{
	(void)state;
	membuf mb;
	struct archive *w = w_new(&mb, "zip");
	w_file(w, "pkg/__init__.py", "");
	w_file(w, "pkg-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\n");
	w_file(w, "pkg-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: pkg\n");
	w_close(w);
	dl_archive *ar = NULL;
	assert_int_equal(dl_archive_open_memory(&ar, mb.data, mb.len, "pkg-1.0-py3-none-any.whl", NULL), 0);
	assert_int_equal(dl_archive_get_format(ar), DL_ARCHIVE_ZIP);
	assert_null(dl_archive_topdir(ar, NULL));
	const dl_archive_member *m = dl_archive_find(ar, "*.dist-info/METADATA");
	assert_non_null(m);
	assert_string_equal(m->path, "pkg-1.0.dist-info/METADATA");
	assert_null(dl_archive_find(ar, "*.dist-info"));
	dl_buf b = DL_BUF_INIT;
	assert_int_equal(dl_archive_read(ar, m->path, &b, 0), 0);
	assert_string_equal(dl_buf_cstr(&b), "Metadata-Version: 2.1\nName: pkg\n");
	dl_buf_free(&b);
	dl_archive_free(ar);
	free(mb.data);
}

static void test_normalised_names(void **state)
{
	(void)state;
	membuf mb;
	struct archive *w = w_new(&mb, "tgz");
	w_dir(w, "./");
	w_dir(w, "./pkg-2/");
	w_file(w, "./pkg-2/./a//b.txt", "b");
	w_close(w);
	dl_archive *ar = NULL;
	assert_int_equal(dl_archive_open_memory(&ar, mb.data, mb.len, NULL, NULL), 0);
	assert_string_equal(dl_archive_name(ar), "<memory>");
	assert_int_equal(dl_archive_count(ar), 2);
	assert_string_equal(dl_archive_member_at(ar, 0)->path, "pkg-2");
	assert_string_equal(dl_archive_member_at(ar, 1)->path, "pkg-2/a/b.txt");
	assert_string_equal(dl_archive_topdir(ar, NULL), "pkg-2");
	dl_archive_free(ar);
	free(mb.data);

	/* A file at the top level: no common top directory. */
	w = w_new(&mb, "tar");
	w_file(w, "pkg/a", "a");
	w_file(w, "README", "r");
	w_close(w);
	assert_int_equal(dl_archive_open_memory(&ar, mb.data, mb.len, NULL, NULL), 0);
	assert_null(dl_archive_topdir(ar, NULL));
	dl_archive_free(ar);
	free(mb.data);

	/* "pkg" and "pkg2" share a prefix but not a directory. */
	w = w_new(&mb, "tar");
	w_file(w, "pkg/a", "a");
	w_file(w, "pkg2/b", "b");
	w_close(w);
	assert_int_equal(dl_archive_open_memory(&ar, mb.data, mb.len, NULL, NULL), 0);
	assert_null(dl_archive_topdir(ar, NULL));
	dl_archive_free(ar);
	free(mb.data);
}

static void test_open_file(void **state)
{
	(void)state;
	membuf mb;
	make_sdist(&mb, "txz");
	char path[] = "/tmp/dltest-archive-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, mb.data, mb.len), (ssize_t)mb.len);
	close(fd);
	dl_archive *ar = NULL;
	assert_int_equal(dl_archive_open_file(&ar, path, NULL), 0);
	assert_string_equal(dl_archive_name(ar), path);
	assert_int_equal(dl_archive_get_compression(ar), DL_ARCHIVE_XZ);
	dl_buf b = DL_BUF_INIT;
	assert_int_equal(dl_archive_read(ar, "pkg-1.0/setup.py", &b, 0), 0);
	assert_string_equal(dl_buf_cstr(&b), "from setuptools import setup\nsetup()\n");
	dl_buf_free(&b);
	dl_archive_free(ar);

	/* max_input caps the file itself. */
	dl_archive_limits lim = DL_ARCHIVE_LIMITS_INIT;
	lim.max_input = 100;
	assert_int_equal(dl_archive_open_file(&ar, path, &lim), DL_ELIMIT);
	char want[256];
	snprintf(want, sizeof(want), "archive '%s': larger than 100 bytes", path);
	assert_string_equal(dl_error_last()->message, want);
	unlink(path);
	free(mb.data);

	assert_int_equal(dl_archive_open_file(&ar, "/nonexistent/x.tar.gz", NULL), DL_EIO);
	assert_string_equal(dl_error_last()->message,
	                    "archive '/nonexistent/x.tar.gz': cannot open it (No such file or directory)");
}

/* ------------------------------------------------------------------ */
/* Hostile members                                                      */

static void test_unsafe_paths(void **state)
{
	(void)state;
	struct {
		const char *name;
		const char *want;
	} cases[] = {
	    {"../evil", "archive 'evil.tar.gz': member '../evil' is refused: it has a '..' component"},
	    {"pkg/../../evil", "archive 'evil.tar.gz': member 'pkg/../../evil' is refused: it has a '..' component"},
	    {"pkg/..", "archive 'evil.tar.gz': member 'pkg/..' is refused: it has a '..' component"},
	    {"/abs", "archive 'evil.tar.gz': member '/abs' is refused: it has an absolute path"},
	    {"//abs", "archive 'evil.tar.gz': member '//abs' is refused: it has an absolute path"},
	    {"pkg\\..\\evil",
	     "archive 'evil.tar.gz': member 'pkg\\..\\evil' is refused: it has a backslash in its name (a Windows path "
	     "separator)"},
	    {"C:/evil", "archive 'evil.tar.gz': member 'C:/evil' is refused: it has a path starting with a drive letter"},
	    {"pkg/a\nb", "archive 'evil.tar.gz': member 'pkg/a?b' is refused: it has a control character in its name"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		membuf mb;
		struct archive *w = w_new(&mb, "tgz");
		w_file(w, "pkg/ok", "fine");
		w_file(w, cases[i].name, "evil");
		w_close(w);
		assert_string_equal(open_fails(&mb, "evil.tar.gz", NULL, DL_EUNSUPPORTED), cases[i].want);
		free(mb.data);
	}
	/* The same in a zip. */
	membuf mb;
	struct archive *w = w_new(&mb, "zip");
	w_file(w, "../evil", "evil");
	w_close(w);
	assert_string_equal(open_fails(&mb, "evil.zip", NULL, DL_EUNSUPPORTED),
	                    "archive 'evil.zip': member '../evil' is refused: it has a '..' component");
	free(mb.data);
}

static void test_links(void **state)
{
	(void)state;
	/* Links that stay inside are listed, never followed. */
	membuf mb;
	struct archive *w = w_new(&mb, "tgz");
	w_dir(w, "pkg/");
	w_file(w, "pkg/README", "read me");
	w_entry(w, "pkg/sub/link", AE_IFLNK, NULL, 0, "../README", NULL);
	w_entry(w, "pkg/hard", AE_IFREG, NULL, 0, NULL, "pkg/README");
	w_close(w);
	dl_archive *ar = NULL;
	assert_int_equal(dl_archive_open_memory(&ar, mb.data, mb.len, "links.tgz", NULL), 0);
	const dl_archive_member *m = dl_archive_lookup(ar, "pkg/sub/link", 12);
	assert_non_null(m);
	assert_int_equal(m->type, DL_MEMBER_SYMLINK);
	assert_string_equal(m->link, "../README");
	m = dl_archive_lookup(ar, "pkg/hard", 8);
	assert_non_null(m);
	assert_int_equal(m->type, DL_MEMBER_HARDLINK);
	assert_string_equal(m->link, "pkg/README");
	dl_buf b = DL_BUF_INIT;
	assert_int_equal(dl_archive_read(ar, "pkg/sub/link", &b, 0), DL_EUNSUPPORTED);
	assert_string_equal(dl_error_last()->message, "archive 'links.tgz': member 'pkg/sub/link' is a symbolic link to "
	                                              "'../README'; deeplock does not follow links");
	assert_int_equal(dl_archive_read(ar, "pkg/hard", &b, 0), DL_EUNSUPPORTED);
	assert_string_equal(dl_error_last()->message,
	                    "archive 'links.tgz': member 'pkg/hard' is a hard link to 'pkg/README'; deeplock does not "
	                    "follow links");
	dl_buf_free(&b);
	dl_archive_free(ar);
	free(mb.data);

	struct {
		const char *path, *symlink, *hardlink;
		const char *want;
	} cases[] = {
	    {"pkg/link", "../../etc/passwd", NULL,
	     "archive 'links.tgz': member 'pkg/link' is refused: it is a symbolic link to '../../etc/passwd', outside "
	     "the archive's root"},
	    {"pkg/link", "/etc/passwd", NULL,
	     "archive 'links.tgz': member 'pkg/link' is refused: it is a symbolic link to '/etc/passwd', outside the "
	     "archive's root"},
	    {"pkg/a/link", "../b/../../..", NULL,
	     "archive 'links.tgz': member 'pkg/a/link' is refused: it is a symbolic link to '../b/../../..', outside "
	     "the archive's root"},
	    {"link", "..", NULL,
	     "archive 'links.tgz': member 'link' is refused: it is a symbolic link to '..', outside the archive's "
	     "root"},
	    {"pkg/hard", NULL, "../etc/passwd",
	     "archive 'links.tgz': member 'pkg/hard' is refused: its link target '../etc/passwd' has a '..' "
	     "component"},
	    {"pkg/hard", NULL, "/etc/passwd",
	     "archive 'links.tgz': member 'pkg/hard' is refused: its link target '/etc/passwd' has an absolute path"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		w = w_new(&mb, "tgz");
		w_file(w, "pkg/README", "r");
		w_entry(w, cases[i].path, cases[i].symlink ? AE_IFLNK : AE_IFREG, NULL, 0, cases[i].symlink,
		        cases[i].hardlink);
		w_close(w);
		assert_string_equal(open_fails(&mb, "links.tgz", NULL, DL_EUNSUPPORTED), cases[i].want);
		free(mb.data);
	}

	/* A member written through a symbolic link that itself stays inside. */
	w = w_new(&mb, "tar");
	w_entry(w, "pkg/d", AE_IFLNK, NULL, 0, ".", NULL);
	w_file(w, "pkg/d/x", "through the link");
	w_close(w);
	assert_string_equal(open_fails(&mb, "through.tar", NULL, DL_EUNSUPPORTED),
	                    "archive 'through.tar': member 'pkg/d/x' is refused: it lies below the symbolic link 'pkg/d'");
	free(mb.data);
}

static void test_special_files(void **state)
{
	(void)state;
	struct {
		mode_t type;
		const char *want;
	} cases[] = {
	    {AE_IFCHR, "archive 'dev.tar': member 'pkg/dev' is refused: it is a character device"},
	    {AE_IFBLK, "archive 'dev.tar': member 'pkg/dev' is refused: it is a block device"},
	    {AE_IFIFO, "archive 'dev.tar': member 'pkg/dev' is refused: it is a FIFO"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		membuf mb;
		struct archive *w = w_new(&mb, "tar");
		w_entry(w, "pkg/dev", cases[i].type, NULL, 0, NULL, NULL);
		w_close(w);
		assert_string_equal(open_fails(&mb, "dev.tar", NULL, DL_EUNSUPPORTED), cases[i].want);
		free(mb.data);
	}
}

static void test_duplicates(void **state)
{
	(void)state;
	membuf mb;
	struct archive *w = w_new(&mb, "tgz");
	w_dir(w, "pkg/");
	w_dir(w, "pkg/");
	w_file(w, "pkg/PKG-INFO", "Name: good\n");
	w_file(w, "./pkg//PKG-INFO", "Name: evil\n");
	w_close(w);
	assert_string_equal(open_fails(&mb, "dup.tgz", NULL, DL_EUNSUPPORTED),
	                    "archive 'dup.tgz': member 'pkg/PKG-INFO' is refused: it appears twice (entries 3 and 4), "
	                    "and which copy a tool extracts depends on the tool");
	free(mb.data);
}

/* ------------------------------------------------------------------ */
/* Limits                                                               */

static void test_bomb(void **state)
{
	(void)state;
	/* 200 MB of zeros compress to about 200 kB. */
	membuf mb;
	struct archive *w = w_new(&mb, "tgz");
	w_file(w, "bomb-1.0/PKG-INFO", "Name: bomb\n");
	w_zeros(w, "bomb-1.0/zeros.bin", (size_t)200 << 20);
	w_file(w, "bomb-1.0/setup.py", "");
	w_close(w);
	assert_true(mb.len < (1 << 20));

	/* The ratio stops it, naming the member, long before 200 MB. */
	dl_archive_limits lim = DL_ARCHIVE_LIMITS_INIT;
	lim.max_ratio = 100;
	lim.ratio_grace = 1 << 20;
	const char *msg = open_fails(&mb, "bomb.tar.gz", &lim, DL_ELIMIT);
	assert_non_null(strstr(msg, "archive 'bomb.tar.gz': member 'bomb-1.0/zeros.bin': "));
	assert_non_null(strstr(msg, "more than 100 times as much (a decompression bomb?)"));

	/* So do the default limits. */
	msg = open_fails(&mb, "bomb.tar.gz", NULL, DL_ELIMIT);
	assert_non_null(strstr(msg, "archive 'bomb.tar.gz': member 'bomb-1.0/zeros.bin': "));
	assert_non_null(strstr(msg, "more than 200 times as much"));

	/* A member-size cap stops it at the header. */
	lim = (dl_archive_limits)DL_ARCHIVE_LIMITS_INIT;
	lim.max_member_size = 10 << 20;
	msg = open_fails(&mb, "bomb.tar.gz", &lim, DL_ELIMIT);
	assert_string_equal(msg, "archive 'bomb.tar.gz': member 'bomb-1.0/zeros.bin' declares 209715200 bytes, more "
	                         "than the 10485760 allowed");

	/* And a total cap while the data flows. */
	lim = (dl_archive_limits)DL_ARCHIVE_LIMITS_INIT;
	lim.max_total_size = 50 << 20;
	lim.max_ratio = 100000;
	msg = open_fails(&mb, "bomb.tar.gz", &lim, DL_ELIMIT);
	assert_string_equal(msg, "archive 'bomb.tar.gz': member 'bomb-1.0/zeros.bin': the archive expands to more than "
	                         "52428800 bytes");
	free(mb.data);

	/* A zip bomb: the ratio is measured on the members' data. */
	w = w_new(&mb, "zip");
	w_zeros(w, "z/zeros.bin", (size_t)40 << 20);
	w_close(w);
	lim = (dl_archive_limits)DL_ARCHIVE_LIMITS_INIT;
	lim.max_ratio = 100;
	lim.ratio_grace = 1 << 20;
	msg = open_fails(&mb, "bomb.zip", &lim, DL_ELIMIT);
	assert_non_null(strstr(msg, "archive 'bomb.zip': member 'z/zeros.bin': "));
	assert_non_null(strstr(msg, "(a decompression bomb?)"));
	free(mb.data);
}

static void test_too_many_members(void **state)
{
	(void)state;
	membuf mb;
	struct archive *w = w_new(&mb, "tgz");
	for (int i = 0; i < 11; i++) {
		char name[32];
		snprintf(name, sizeof(name), "pkg/f%d", i);
		w_file(w, name, "x");
	}
	w_close(w);
	dl_archive_limits lim = DL_ARCHIVE_LIMITS_INIT;
	lim.max_members = 10;
	assert_string_equal(open_fails(&mb, "many.tgz", &lim, DL_ELIMIT),
	                    "archive 'many.tgz': more than 10 members (stopped after 'pkg/f9')");
	lim.max_members = 11;
	dl_archive *ar = NULL;
	assert_int_equal(dl_archive_open_memory(&ar, mb.data, mb.len, "many.tgz", &lim), 0);
	assert_int_equal(dl_archive_count(ar), 11);
	dl_archive_free(ar);

	lim.max_path = 5;
	assert_string_equal(open_fails(&mb, "many.tgz", &lim, DL_ELIMIT),
	                    "archive 'many.tgz': member 'pkg/f0...' has a name longer than 5 bytes");
	lim = (dl_archive_limits)DL_ARCHIVE_LIMITS_INIT;
	lim.version = 99;
	assert_int_equal(dl_archive_open_memory(&ar, mb.data, mb.len, "many.tgz", &lim), DL_EINVAL);
	free(mb.data);
}

static void test_truncated_and_garbage(void **state)
{
	(void)state;
	membuf mb;
	struct archive *w = w_new(&mb, "tgz");
	w_file(w, "pkg/PKG-INFO", "Name: pkg\n");
	/* Incompressible-ish content so that half the bytes is half the data. */
	size_t nlen = 1 << 20;
	char *noise = malloc(nlen);
	unsigned v = 1;
	for (size_t i = 0; i < nlen; i++) {
		v = v * 1103515245u + 12345u;
		noise[i] = (char)('a' + (v >> 16) % 26);
	}
	w_entry(w, "pkg/noise.txt", AE_IFREG, noise, nlen, NULL, NULL);
	w_close(w);
	free(noise);
	membuf cut = mb;
	cut.len = mb.len / 2;
	const char *msg = open_fails(&cut, "cut.tar.gz", NULL, DL_EPARSE);
	assert_true(strncmp(msg, "archive 'cut.tar.gz': member 'pkg/noise.txt': cannot read its data (", 68) == 0);
	free(mb.data);

	/* A truncated zip loses its central directory. */
	make_sdist(&mb, "zip");
	cut = mb;
	cut.len = mb.len - 30;
	msg = open_fails(&cut, "cut.zip", NULL, DL_EPARSE);
	assert_true(strncmp(msg, "archive 'cut.zip': ", 19) == 0);
	free(mb.data);

	/* Cut inside the first read-ahead, it fails at once. */
	make_sdist(&mb, "tgz");
	cut = mb;
	cut.len = 40;
	msg = open_fails(&cut, "short.tar.gz", NULL, DL_EPARSE);
	assert_string_equal(msg, "archive 'short.tar.gz': not a tar or zip archive, or a damaged one (truncated gzip input)");
	free(mb.data);

	membuf text = {(unsigned char *)"Name: not an archive\n", 21, 0};
	msg = open_fails(&text, "x.tar.gz", NULL, DL_EPARSE);
	assert_true(strncmp(msg, "archive 'x.tar.gz': not a tar or zip archive", 44) == 0);

	membuf empty = {NULL, 0, 0};
	msg = open_fails(&empty, "empty.tar.gz", NULL, DL_EPARSE);
	assert_true(strncmp(msg, "archive 'empty.tar.gz': not a tar or zip archive", 48) == 0);

	/* A gzip stream that is not a tar inside. */
	membuf gz;
	memset(&gz, 0, sizeof(gz));
	struct archive *g = archive_write_new();
	archive_write_set_format_raw(g);
	archive_write_add_filter_gzip(g);
	archive_write_open2(g, &gz, NULL, mb_write, NULL, NULL);
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_pathname(e, "x");
	archive_write_header(g, e);
	archive_write_data(g, "just some text, not a tar\n", 26);
	archive_entry_free(e);
	w_close(g);
	msg = open_fails(&gz, "text.gz", NULL, DL_EPARSE);
	assert_true(strncmp(msg, "archive 'text.gz': not a tar or zip archive", 43) == 0);
	free(gz.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_formats),
	    cmocka_unit_test(test_wheel_and_glob),
	    cmocka_unit_test(test_normalised_names),
	    cmocka_unit_test(test_open_file),
	    cmocka_unit_test(test_unsafe_paths),
	    cmocka_unit_test(test_links),
	    cmocka_unit_test(test_special_files),
	    cmocka_unit_test(test_duplicates),
	    cmocka_unit_test(test_bomb),
	    cmocka_unit_test(test_too_many_members),
	    cmocka_unit_test(test_truncated_and_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
