/*
 * spawn.c - run a program without a shell and capture its standard output.
 *
 * Used for `git show REV:path` (diff) and for asking a Python interpreter
 * its version and platform (lock --python PATH).  The program's stderr is
 * left alone, so its own messages reach the user unchanged.
 */
#include <errno.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

extern char **environ;

int dl_cli_capture(char *const argv[], size_t max, char **out, size_t *len_out, int *status_out)
{
	*out = NULL;
	*len_out = 0;
	*status_out = -1;
	int fds[2];
	if (pipe(fds) != 0)
		return EMFILE;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	posix_spawn_file_actions_addclose(&fa, fds[1]);
	pid_t pid;
	int err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (err != 0) {
		close(fds[0]);
		return err;
	}
	dl_buf b;
	dl_buf_init(&b, max);
	char chunk[65536];
	ssize_t n;
	/* Read to the end even past `max`, so the child never blocks on a
	 * full pipe; the buffer remembers that it overflowed. */
	while ((n = read(fds[0], chunk, sizeof chunk)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		(void)dl_buf_put(&b, chunk, (size_t)n);
	}
	close(fds[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	*status_out = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	if (b.failed) {
		dl_buf_free(&b);
		return EFBIG;
	}
	*out = dl_buf_detach(&b, len_out);
	return *out == NULL ? ENOMEM : 0;
}
