/*
 * deeplock/fs.h - the few file-system operations the library needs to get
 * exactly right: atomic replacement of a file, mkdir -p, and reading a whole
 * file with a size cap.
 *
 * Atomic replacement writes a temporary file in the destination's own
 * directory (so rename(2) never crosses a file system), fsyncs it, renames
 * it over the destination and fsyncs the directory.  A reader therefore sees
 * the old file or the new one, never a mixture, even when two processes
 * write the same path at once or the machine stops half way.  Temporary
 * files are named ".<name>.tmp-XXXXXX"; a crash can leave one behind, and
 * directory walkers (the cache) skip and clean names starting with '.'.
 */
#ifndef DEEPLOCK_FS_H
#define DEEPLOCK_FS_H

#include "deeplock/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An atomic write in progress.  Zero-initialise it (DL_FS_ATOMIC_INIT) so
 * that dl_fs_atomic_abort is always safe. */
typedef struct dl_fs_atomic {
	int fd;     /* the temporary file, -1 when none */
	char *tmp;  /* its path */
	char *path; /* the destination */
	int failed; /* first error of a write, kept so commit refuses */
	bool no_sync; /* skip both fsyncs (see DL_FS_NO_SYNC) */
} dl_fs_atomic;

#define DL_FS_ATOMIC_INIT {-1, NULL, NULL, 0, false}

/* For dl_fs_write_atomic_flags: rename without the two fsyncs.  Readers
 * still never see a mixture, but after a power loss the file may be empty
 * or missing.  For data that is verified on every read and can be fetched
 * again (the cache checks each entry's size and SHA-256), where an fsync
 * per entry would cost more than the whole download. */
#define DL_FS_NO_SYNC 1u

/* Create `path` and any missing parents with `mode` (e.g. 0755, before the
 * umask).  Existing directories are fine; an existing non-directory fails
 * with DL_EIO naming it.  Does not change the mode of existing ones. */
int dl_fs_mkdir_p(const char *path, unsigned mode);

/* Begin replacing `path`: create the temporary file next to it with
 * permissions `mode` (applied exactly, not through the umask).  The parent
 * directory must exist.  Fails with DL_EIO naming the path and errno's
 * reason, or DL_ENOMEM; `a` then holds nothing. */
int dl_fs_atomic_begin(dl_fs_atomic *a, const char *path, unsigned mode);

/* Append bytes to the temporary file (retrying short writes and EINTR).
 * After a failure every later write and the commit fail too. */
int dl_fs_atomic_write(dl_fs_atomic *a, const void *data, size_t len);

/* fsync the temporary file, rename it over the destination and fsync the
 * directory.  On any failure the temporary file is removed and the old
 * destination (if any) is left exactly as it was.  Releases `a` either way. */
int dl_fs_atomic_commit(dl_fs_atomic *a);

/* Give up: remove the temporary file and release `a`; the destination is
 * untouched.  Safe on an initialised or already released `a`. */
void dl_fs_atomic_abort(dl_fs_atomic *a);

/* Replace `path` with `len` bytes atomically (begin + write + commit). */
int dl_fs_write_atomic(const char *path, const void *data, size_t len, unsigned mode);

/* dl_fs_write_atomic with DL_FS_* flags. */
int dl_fs_write_atomic_flags(const char *path, const void *data, size_t len, unsigned mode, unsigned flags);

/* Read the whole of `path` into a new NUL-terminated buffer (free with
 * dl_free) and its length into *len_out.  A missing file fails with
 * DL_ENOTFOUND, one larger than `max` bytes (0: DL_BUF_DEFAULT_MAX) with
 * DL_ELIMIT, other errors with DL_EIO; every message names the path.
 * Reads regular files only; does not follow the file as it grows. */
int dl_fs_read_file(char **out, size_t *len_out, const char *path, size_t max);

#ifdef __cplusplus
}
#endif
#endif
