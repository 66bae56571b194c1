/*
 * test_fs.c - atomic file replacement, mkdir -p, capped reads, SHA-256 and
 * hex helpers.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#include "dltest.h"
#include "deeplock/fs.h"
#include "deeplock/hash.h"

static char tmpdir[256];

static int setup(void **state)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/dltest-fs-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* Entries in the test directory, excluding . and .. */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void check_contents(const char *path, const char *want)
{
	char *data = NULL;
	size_t len = 0;
	assert_int_equal(dl_fs_read_file(&data, &len, path, 0), 0);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(data, want, len);
	dl_free(data);
}

static void test_write_and_read(void **state)
{
	char path[300];
	snprintf(path, sizeof path, "%s/a.txt", tmpdir);
	assert_int_equal(dl_fs_write_atomic(path, "hello", 5, 0640), 0);
	check_contents(path, "hello");
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(dl_fs_write_atomic(path, "bye", 3, 0644), 0);
	check_contents(path, "bye");
	assert_int_equal(count_entries(tmpdir), 1);
	assert_int_equal(dl_fs_write_atomic(path, "", 0, 0644), 0);
	check_contents(path, "");
}

static void test_abort_keeps_old(void **state)
{
	char path[300];
	snprintf(path, sizeof path, "%s/keep.txt", tmpdir);
	assert_int_equal(dl_fs_write_atomic(path, "old contents", 12, 0644), 0);
	dl_fs_atomic a;
	assert_int_equal(dl_fs_atomic_begin(&a, path, 0644), 0);
	assert_int_equal(dl_fs_atomic_write(&a, "new but half", 12), 0);
	assert_int_equal(count_entries(tmpdir), 2); /* the temporary is there */
	check_contents(path, "old contents");
	dl_fs_atomic_abort(&a);
	dl_fs_atomic_abort(&a); /* twice is harmless */
	check_contents(path, "old contents");
	assert_int_equal(count_entries(tmpdir), 1);
}

static void test_commit_failure_keeps_old(void **state)
{
	/* Renaming a file over a non-empty directory fails: the directory and
	 * its contents must survive and no temporary may be left behind. */
	char dir[300], inner[320];
	snprintf(dir, sizeof dir, "%s/target", tmpdir);
	snprintf(inner, sizeof inner, "%s/inner", dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(dl_fs_write_atomic(inner, "x", 1, 0644), 0);
	int rc = dl_fs_write_atomic(dir, "data", 4, 0644);
	assert_int_equal(rc, DL_EIO);
	assert_non_null(strstr(dl_error_last()->message, "cannot replace '"));
	assert_non_null(strstr(dl_error_last()->message, "/target'"));
	check_contents(inner, "x");
	assert_int_equal(count_entries(tmpdir), 1);
}

static void test_write_failure_keeps_old(void **state)
{
	/* A write that fails half way (here: the file-size limit, as a full
	 * disk would) leaves the old file and no temporary. */
	char path[300];
	snprintf(path, sizeof path, "%s/big.bin", tmpdir);
	assert_int_equal(dl_fs_write_atomic(path, "old", 3, 0644), 0);
	static char data[20000];
	memset(data, 'n', sizeof data);
	struct rlimit old, small;
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = old;
	small.rlim_cur = 4096;
	void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	int rc = dl_fs_write_atomic(path, data, sizeof data, 0644);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, prev);
	assert_int_equal(rc, DL_EIO);
	char want[400];
	snprintf(want, sizeof want, "cannot write '%s': File too large", path);
	assert_string_equal(dl_error_last()->message, want);
	check_contents(path, "old");
	assert_int_equal(count_entries(tmpdir), 1);

	/* A later write and a commit after a failed write both refuse. */
	dl_fs_atomic a;
	assert_int_equal(dl_fs_atomic_begin(&a, path, 0644), 0);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	signal(SIGXFSZ, SIG_IGN);
	rc = dl_fs_atomic_write(&a, data, sizeof data);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, prev);
	assert_int_equal(rc, DL_EIO);
	assert_int_equal(dl_fs_atomic_write(&a, "x", 1), DL_EIO);
	snprintf(want, sizeof want, "cannot write '%s': an earlier write failed", path);
	assert_string_equal(dl_error_last()->message, want);
	assert_int_equal(dl_fs_atomic_commit(&a), DL_EIO);
	check_contents(path, "old");
	assert_int_equal(count_entries(tmpdir), 1);
}

/* Try to replace `path` in a read-only directory: 0 when that fails cleanly
 * with the expected message. */
static int read_only_attempt(const char *path)
{
	char want[400];
	int rc = dl_fs_write_atomic(path, "new", 3, 0644);
	snprintf(want, sizeof want, "cannot create a temporary file for '%s': Permission denied", path);
	if (rc != DL_EIO || strcmp(dl_error_last()->message, want) != 0) {
		fprintf(stderr, "got %d: %s\n", rc, dl_error_last()->message);
		return 1;
	}
	return 0;
}

static void test_read_only_dir(void **state)
{
	char dir[300], path[320];
	snprintf(dir, sizeof dir, "%s/ro", tmpdir);
	snprintf(path, sizeof path, "%s/f", dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(dl_fs_write_atomic(path, "old", 3, 0644), 0);
	assert_int_equal(chmod(dir, 0555), 0);
	if (geteuid() != 0) {
		assert_int_equal(read_only_attempt(path), 0);
	} else {
		/* root writes anywhere: try as nobody, in a child. */
		assert_int_equal(chmod(tmpdir, 0711), 0);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			if (setgid(65534) != 0 || setuid(65534) != 0)
				_exit(3);
			_exit(read_only_attempt(path));
		}
		int status = 0;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(chmod(dir, 0755), 0);
	check_contents(path, "old");
	assert_int_equal(count_entries(dir), 1);
}

static void test_begin_missing_dir(void **state)
{
	char path[300];
	snprintf(path, sizeof path, "%s/no/such/file", tmpdir);
	dl_fs_atomic a;
	assert_int_equal(dl_fs_atomic_begin(&a, path, 0644), DL_EIO);
	assert_non_null(strstr(dl_error_last()->message, "no/such/file"));
	dl_fs_atomic_abort(&a);
	assert_int_equal(dl_fs_atomic_begin(&a, "/tmp/", 0644), DL_EINVAL);
}

struct alloc_ctx {
	char path[300];
};

static int write_alloc(void *p)
{
	struct alloc_ctx *c = p;
	int rc = dl_fs_write_atomic(c->path, "new", 3, 0644);
	if (rc != 0) {
		/* The old file must be intact after any failure. */
		char *data = NULL;
		size_t len = 0;
		dltest_alloc_reset();
		assert_int_equal(dl_fs_read_file(&data, &len, c->path, 0), 0);
		assert_int_equal(len, 3);
		assert_true(memcmp(data, "old", 3) == 0 || memcmp(data, "new", 3) == 0);
		dl_free(data);
		return rc;
	}
	return dl_fs_write_atomic(c->path, "old", 3, 0644);
}

static void test_write_alloc_failures(void **state)
{
	struct alloc_ctx c;
	snprintf(c.path, sizeof c.path, "%s/alloc.txt", tmpdir);
	assert_int_equal(dl_fs_write_atomic(c.path, "old", 3, 0644), 0);
	dltest_each_alloc_failure(write_alloc, &c);
	assert_int_equal(count_entries(tmpdir), 1);
}

static int read_alloc(void *p)
{
	struct alloc_ctx *c = p;
	char *data = NULL;
	int rc = dl_fs_read_file(&data, NULL, c->path, 0);
	dl_free(data);
	return rc;
}

static void test_read_alloc_failures(void **state)
{
	struct alloc_ctx c;
	snprintf(c.path, sizeof c.path, "%s/r.txt", tmpdir);
	assert_int_equal(dl_fs_write_atomic(c.path, "some bytes", 10, 0644), 0);
	dltest_each_alloc_failure(read_alloc, &c);
}

static void test_read_errors(void **state)
{
	char path[300];
	char *data = NULL;
	size_t len = 0;
	snprintf(path, sizeof path, "%s/missing", tmpdir);
	assert_int_equal(dl_fs_read_file(&data, &len, path, 0), DL_ENOTFOUND);
	assert_non_null(strstr(dl_error_last()->message, "/missing"));
	snprintf(path, sizeof path, "%s/ten", tmpdir);
	assert_int_equal(dl_fs_write_atomic(path, "0123456789", 10, 0644), 0);
	assert_int_equal(dl_fs_read_file(&data, &len, path, 9), DL_ELIMIT);
	assert_non_null(strstr(dl_error_last()->message, "limit of 9 bytes"));
	assert_int_equal(dl_fs_read_file(&data, &len, path, 10), 0);
	assert_int_equal(len, 10);
	assert_int_equal(data[10], '\0');
	dl_free(data);
	assert_int_equal(dl_fs_read_file(&data, &len, tmpdir, 0), DL_EIO);
	assert_non_null(strstr(dl_error_last()->message, "not a regular file"));
}

static void test_mkdir_p(void **state)
{
	char path[300], file[320];
	snprintf(path, sizeof path, "%s/a/b//c/", tmpdir);
	assert_int_equal(dl_fs_mkdir_p(path, 0755), 0);
	assert_int_equal(dl_fs_mkdir_p(path, 0755), 0);
	struct stat st;
	snprintf(path, sizeof path, "%s/a/b/c", tmpdir);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	snprintf(file, sizeof file, "%s/f", path);
	assert_int_equal(dl_fs_write_atomic(file, "x", 1, 0644), 0);
	snprintf(file, sizeof file, "%s/f/g", path);
	assert_int_equal(dl_fs_mkdir_p(file, 0755), DL_EIO);
	assert_non_null(strstr(dl_error_last()->message, "/a/b/c/f': a file of that name exists"));
	assert_int_equal(dl_fs_mkdir_p("", 0755), DL_EINVAL);
	assert_string_equal(dl_error_last()->message, "cannot create a directory with an empty name");
}

static void test_sha256_vectors(void **state)
{
	char hex[65];
	assert_int_equal(dl_sha256_hex(hex, "", 0), 0);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(dl_sha256_hex(hex, "abc", 3), 0);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

	/* One million 'a', fed in uneven pieces to exercise streaming. */
	char chunk[997];
	memset(chunk, 'a', sizeof chunk);
	dl_sha256 h = DL_SHA256_INIT;
	assert_int_equal(dl_sha256_init(&h), 0);
	size_t left = 1000000;
	while (left > 0) {
		size_t n = left < sizeof chunk ? left : sizeof chunk;
		assert_int_equal(dl_sha256_update(&h, chunk, n), 0);
		left -= n;
	}
	uint8_t d[32];
	assert_int_equal(dl_sha256_final(&h, d), 0);
	dl_hex_encode(hex, d, 32);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	/* Finished hashers refuse updates until restarted. */
	assert_int_equal(dl_sha256_update(&h, "x", 1), DL_EINVAL);
	assert_int_equal(dl_sha256_init(&h), 0);
	assert_int_equal(dl_sha256_init(&h), 0); /* restart discards */
	assert_int_equal(dl_sha256_update(&h, "abc", 3), 0);
	assert_int_equal(dl_sha256_final(&h, d), 0);
	dl_hex_encode(hex, d, 32);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	dl_sha256_dispose(&h);
}

static void test_hex(void **state)
{
	uint8_t out[3];
	assert_int_equal(dl_hex_decode(out, 3, "0aFf10", 6), 0);
	assert_int_equal(out[0], 0x0a);
	assert_int_equal(out[1], 0xff);
	assert_int_equal(out[2], 0x10);
	assert_int_equal(dl_hex_decode(out, 3, "0aFg10", 6), DL_EPARSE);
	assert_string_equal(dl_error_last()->message, "hex string: position 4: expected a hex digit");
	assert_int_equal(dl_hex_decode(out, 3, "0aF", 3), DL_EPARSE);
	assert_string_equal(dl_error_last()->message, "hex string has 3 digits, expected 6");
	char s[7];
	dl_hex_encode(s, (const uint8_t *)"\x00\x7f\xff", 3);
	assert_string_equal(s, "007fff");
	assert_true(dl_sha256_hex_valid("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852B855", 64));
	assert_false(dl_sha256_hex_valid("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85", 63));
	assert_false(dl_sha256_hex_valid("g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 64));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_write_and_read, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_abort_keeps_old, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_commit_failure_keeps_old, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_failure_keeps_old, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_only_dir, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_begin_missing_dir, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_alloc_failures, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_alloc_failures, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mkdir_p, setup, teardown),
	    cmocka_unit_test(test_sha256_vectors),
	    cmocka_unit_test(test_hex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
