/*
 * dltest.c - shared helpers for the C tests (see dltest.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#include "dltest.h"

const char *dltest_shared_dir(void)
{
	const char *dir = getenv("DL_SHARED_DIR");
	if (dir == NULL || dir[0] == '\0')
		dir = DL_DEFAULT_SHARED_DIR;
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return NULL;
	return dir;
}

const char *dltest_require_shared(const char *what)
{
	const char *dir = dltest_shared_dir();
	if (dir == NULL) {
		printf("SKIPPED: %s needs the shared reference data (../shared or $DL_SHARED_DIR), which is absent\n", what);
		fflush(stdout);
		exit(DLTEST_SKIP);
	}
	return dir;
}

char *dltest_read_file(const char *path, size_t *len_out)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fail_msg("cannot open %s", path);
		return NULL;
	}
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (len + 1 >= cap) {
			cap *= 2;
			buf = realloc(buf, cap);
		}
		size_t n = fread(buf + len, 1, cap - len - 1, f);
		if (n == 0)
			break;
		len += n;
	}
	fclose(f);
	buf[len] = '\0';
	if (len_out != NULL)
		*len_out = len;
	return buf;
}

const char *dltest_path(const char *dir, const char *rel)
{
	static char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return path;
}

static long alloc_count;
static long alloc_fail_at = -1;
static long alloc_live;

static void *hook_malloc(size_t size, void *ctx)
{
	(void)ctx;
	alloc_count++;
	if (alloc_fail_at >= 0 && alloc_count >= alloc_fail_at)
		return NULL;
	void *p = malloc(size);
	if (p != NULL)
		alloc_live++;
	return p;
}

static void *hook_realloc(void *ptr, size_t size, void *ctx)
{
	(void)ctx;
	alloc_count++;
	if (alloc_fail_at >= 0 && alloc_count >= alloc_fail_at)
		return NULL;
	void *p = realloc(ptr, size);
	if (p != NULL && ptr == NULL)
		alloc_live++;
	return p;
}

static void hook_free(void *ptr, void *ctx)
{
	(void)ctx;
	if (ptr != NULL)
		alloc_live--;
	free(ptr);
}

void dltest_alloc_install(void)
{
	static const dl_allocator a = {hook_malloc, hook_realloc, hook_free, NULL};
	dl_allocator_set(&a);
	dltest_alloc_reset();
}

void dltest_alloc_fail_at(long n)
{
	alloc_count = 0;
	alloc_fail_at = n;
}

void dltest_alloc_reset(void)
{
	alloc_count = 0;
	alloc_fail_at = -1;
}

long dltest_alloc_count(void)
{
	return alloc_count;
}

long dltest_alloc_live(void)
{
	return alloc_live;
}

void dltest_each_alloc_failure(int (*fn)(void *ctx), void *ctx)
{
	dltest_alloc_install();
	long live0 = dltest_alloc_live();
	int rc = fn(ctx);
	assert_int_equal(rc, 0);
	long total = dltest_alloc_count();
	assert_int_equal(dltest_alloc_live(), live0);
	for (long i = 1; i <= total; i++) {
		dltest_alloc_fail_at(i);
		rc = fn(ctx);
		if (rc == 0)
			continue; /* the failed allocation was optional and handled */
		if (rc != DL_ENOMEM)
			fail_msg("allocation %ld of %ld failed: expected DL_ENOMEM, got %d (%s)", i, total, rc,
			         dl_error_last()->message);
		if (dltest_alloc_live() != live0)
			fail_msg("allocation %ld of %ld failed: %ld allocations leaked", i, total,
			         dltest_alloc_live() - live0);
	}
	dltest_alloc_reset();
	dl_allocator_set(NULL);
}

static pid_t faultserver_pid = -1;

int dltest_faultserver_start(void)
{
	const char *py = "/usr/bin/python3";
	if (access(py, X_OK) != 0) {
		printf("SKIPPED: %s is missing\n", py);
		exit(DLTEST_SKIP);
	}
	static const char *const proxies[] = {"http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"};
	for (size_t i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++)
		unsetenv(proxies[i]);
	setenv("no_proxy", "127.0.0.1", 1);
	int fds[2];
	if (pipe(fds) != 0)
		return -1;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	char *argv[] = {(char *)py, (char *)DL_SOURCE_DIR "/tests/integration/faultserver.py", NULL};
	int rc = posix_spawn(&faultserver_pid, py, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (rc != 0) {
		close(fds[0]);
		return -1;
	}
	char line[32] = {0};
	size_t n = 0;
	while (n + 1 < sizeof line) {
		ssize_t r = read(fds[0], line + n, 1);
		if (r <= 0 || line[n] == '\n')
			break;
		n++;
	}
	close(fds[0]);
	line[n] = '\0';
	long port = strtol(line, NULL, 10);
	return port > 0 && port < 65536 ? (int)port : -1;
}

void dltest_faultserver_stop(void)
{
	if (faultserver_pid > 0) {
		kill(faultserver_pid, SIGTERM);
		waitpid(faultserver_pid, NULL, 0);
		faultserver_pid = -1;
	}
}
