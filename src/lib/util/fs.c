/*
 * fs.c - atomic file replacement, mkdir -p and capped whole-file reads.
 *
 * The temporary file lives in the destination's directory because rename(2)
 * is atomic only within one file system; it is created with mkostemp (a
 * unique name, O_EXCL) so concurrent writers of the same path never share a
 * temporary.  Durability order matters: the data is fsynced before the
 * rename, and the directory after it, so a crash cannot leave the new name
 * pointing at an empty file.  Every error names the path and errno's reason
 * (strerror_r, since strerror is not thread-safe).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deeplock/fs.h"

/* errno's text, through the GNU strerror_r (returns the string). */
static const char *reason(int err, char *buf, size_t size)
{
	return strerror_r(err, buf, size);
}

static int io_error(int err, const char *what, const char *path)
{
	char rb[128];
	return dl_error_set(DL_EIO, "cannot %s '%s': %s", what, path, reason(err, rb, sizeof rb));
}

int dl_fs_mkdir_p(const char *path, unsigned mode)
{
	size_t len = strlen(path);
	if (len == 0)
		return dl_error_set(DL_EINVAL, "cannot create a directory with an empty name");
	char *p = dl_strndup(path, len);
	int rc = 0;
	if (p == NULL)
		return dl_error_oom();
	/* Create each prefix ending before a '/', then the whole path. */
	for (size_t i = 1; i <= len; i++) {
		if (i < len && p[i] != '/')
			continue;
		if (i < len && p[i - 1] == '/')
			continue; /* "//" */
		char saved = p[i];
		p[i] = '\0';
		if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST) {
			rc = io_error(errno, "create directory", p);
			goto done;
		}
		struct stat st;
		if (stat(p, &st) != 0) {
			rc = io_error(errno, "stat", p);
			goto done;
		}
		if (!S_ISDIR(st.st_mode)) {
			rc = dl_error_set(DL_EIO, "cannot create directory '%s': a file of that name exists", p);
			goto done;
		}
		p[i] = saved;
	}
done:
	dl_free(p);
	return rc;
}

/* Index of the first character of the last path component. */
static size_t base_start(const char *path, size_t len)
{
	size_t i = len;
	while (i > 0 && path[i - 1] != '/')
		i--;
	return i;
}

int dl_fs_atomic_begin(dl_fs_atomic *a, const char *path, unsigned mode)
{
	dl_fs_atomic z = DL_FS_ATOMIC_INIT;
	*a = z;
	size_t len = strlen(path), b = base_start(path, len);
	if (b == len)
		return dl_error_set(DL_EINVAL, "cannot write '%s': not a file name", path);
	dl_buf t = DL_BUF_INIT;
	dl_buf_put(&t, path, b);
	dl_buf_putc(&t, '.');
	dl_buf_put(&t, path + b, len - b);
	dl_buf_puts(&t, ".tmp-XXXXXX");
	char *tmp = dl_buf_detach(&t, NULL);
	char *dest = tmp != NULL ? dl_strndup(path, len) : NULL;
	if (dest == NULL) {
		dl_buf_free(&t);
		dl_free(tmp);
		return dl_error_oom();
	}
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		dl_free(tmp);
		dl_free(dest);
		return io_error(err, "create a temporary file for", path);
	}
	if (fchmod(fd, (mode_t)mode) != 0) {
		int err = errno;
		close(fd);
		unlink(tmp);
		dl_free(tmp);
		dl_free(dest);
		return io_error(err, "set the mode of", path);
	}
	a->fd = fd;
	a->tmp = tmp;
	a->path = dest;
	return 0;
}

int dl_fs_atomic_write(dl_fs_atomic *a, const void *data, size_t len)
{
	if (a->failed)
		return dl_error_set(a->failed, "cannot write '%s': an earlier write failed", a->path);
	if (a->fd < 0)
		return dl_error_set(DL_EINVAL, "atomic write used after it ended");
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(a->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			a->failed = DL_EIO;
			return io_error(n < 0 ? errno : EIO, "write", a->path);
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void release(dl_fs_atomic *a)
{
	if (a->fd >= 0)
		close(a->fd);
	dl_free(a->tmp);
	dl_free(a->path);
	dl_fs_atomic z = DL_FS_ATOMIC_INIT;
	*a = z;
}

void dl_fs_atomic_abort(dl_fs_atomic *a)
{
	if (a->tmp != NULL)
		unlink(a->tmp);
	release(a);
}

/* fsync the directory holding `path`, so the rename itself is durable.
 * Best effort: some file systems refuse fsync on directories. */
static void sync_dir(const char *path)
{
	size_t len = strlen(path), b = base_start(path, len);
	char dir[4096];
	if (b == 0) {
		dir[0] = '.';
		dir[1] = '\0';
	} else if (b < sizeof dir) {
		memcpy(dir, path, b);
		dir[b] = '\0';
	} else {
		return;
	}
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

int dl_fs_atomic_commit(dl_fs_atomic *a)
{
	int rc = 0;
	if (a->fd < 0) {
		rc = dl_error_set(DL_EINVAL, "atomic write committed after it ended");
	} else if (a->failed) {
		rc = dl_error_set(a->failed, "cannot write '%s': an earlier write failed", a->path);
	} else if (!a->no_sync && fsync(a->fd) != 0) {
		rc = io_error(errno, "flush", a->path);
	} else if (close(a->fd) != 0) {
		a->fd = -1;
		rc = io_error(errno, "close", a->path);
	} else {
		a->fd = -1;
		if (rename(a->tmp, a->path) != 0)
			rc = io_error(errno, "replace", a->path);
		else if (!a->no_sync)
			sync_dir(a->path);
	}
	if (rc != 0)
		dl_fs_atomic_abort(a);
	else
		release(a);
	return rc;
}

int dl_fs_write_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
	return dl_fs_write_atomic_flags(path, data, len, mode, 0);
}

int dl_fs_write_atomic_flags(const char *path, const void *data, size_t len, unsigned mode, unsigned flags)
{
	dl_fs_atomic a;
	int rc = dl_fs_atomic_begin(&a, path, mode);
	if (rc != 0)
		return rc;
	a.no_sync = (flags & DL_FS_NO_SYNC) != 0;
	rc = dl_fs_atomic_write(&a, data, len);
	if (rc != 0) {
		dl_fs_atomic_abort(&a);
		return rc;
	}
	return dl_fs_atomic_commit(&a);
}

int dl_fs_read_file(char **out, size_t *len_out, const char *path, size_t max)
{
	if (max == 0)
		max = DL_BUF_DEFAULT_MAX;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return dl_error_set(DL_ENOTFOUND, "cannot open '%s': no such file", path);
		return io_error(errno, "open", path);
	}
	int rc = 0;
	dl_buf b;
	dl_buf_init(&b, max);
	struct stat st;
	if (fstat(fd, &st) != 0) {
		rc = io_error(errno, "stat", path);
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = dl_error_set(DL_EIO, "cannot read '%s': not a regular file", path);
		goto done;
	}
	if ((uintmax_t)st.st_size > (uintmax_t)max) {
		rc = dl_error_set(DL_ELIMIT, "file '%s' is larger than the limit of %zu bytes", path, max);
		goto done;
	}
	char chunk[16384];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = io_error(errno, "read", path);
			goto done;
		}
		if (n == 0)
			break;
		if ((rc = dl_buf_put(&b, chunk, (size_t)n)) != 0) {
			if (rc == DL_ELIMIT)
				rc = dl_error_set(DL_ELIMIT, "file '%s' is larger than the limit of %zu bytes", path, max);
			goto done;
		}
	}
	size_t len = 0;
	char *data = dl_buf_detach(&b, &len);
	if (data == NULL) {
		rc = dl_error_oom();
		goto done;
	}
	*out = data;
	if (len_out != NULL)
		*len_out = len;
done:
	dl_buf_free(&b);
	close(fd);
	return rc;
}
