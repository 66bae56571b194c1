/*
 * deeplock/archive.h - a hardened, read-only view of a distribution archive
 * (an sdist's .tar.gz / .tar.bz2 / .tar.xz / .tar or .zip, a wheel's .whl).
 *
 * deeplock reads archives only to look at a few small text members
 * (PKG-INFO, pyproject.toml, setup.cfg, setup.py, METADATA).  It never
 * extracts anything: no member is ever written to disk, not even to a
 * private temporary directory, so there is no path on which a hostile
 * member name could land.  Static reading needs nothing more; building a
 * package (which does need a tree on disk) is a different component's job.
 *
 * Everything in an archive is untrusted.  Opening one scans every member
 * once and refuses the archive (DL_EUNSUPPORTED, naming the archive and the
 * member) when a member
 *   - has an absolute path, a drive letter, a '..' component, a backslash or
 *     a control character in its name, or an empty name;
 *   - is a symbolic link whose target leaves the archive's root, or a hard
 *     link whose target is not a plain path inside it;
 *   - lies below a member that is a symbolic link (the classic "write
 *     through a link" trick);
 *   - is a device node, a FIFO or a socket;
 *   - appears twice (which copy a tool extracts depends on the tool, so a
 *     scanner and an installer could see different files);
 * and stops with DL_ELIMIT, naming the member, when the archive has too many
 * members, a member is too large, the uncompressed total is too large, or
 * the data expands more than `max_ratio` times its compressed size (a
 * decompression bomb).  Links are listed, never followed.  The container is
 * recognised by its content, never by its file name; only tar (ustar, pax,
 * GNU) and zip, compressed with gzip, bzip2 or xz or not at all, are read.
 *
 * A NUL byte inside a stored name cannot be seen: libarchive ends names at
 * the first NUL, so "a\0b" is listed as "a".  That is harmless here because
 * nothing is extracted and the shortened name goes through every check.
 *
 * Member paths are normalised: "./" prefixes, empty and "." components and a
 * trailing "/" are dropped ("./pkg-1.0//PKG-INFO" is "pkg-1.0/PKG-INFO").  A
 * member naming the root itself ("./") is counted but not listed.
 *
 * libarchive does the decoding and allocates through the C library, outside
 * deeplock's allocator hook; deeplock's own tables go through dl_malloc.
 */
#ifndef DEEPLOCK_ARCHIVE_H
#define DEEPLOCK_ARCHIVE_H

#include "deeplock/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dl_archive dl_archive;

/* Limits applied while scanning and reading.  A zero field means its
 * default. */
typedef struct dl_archive_limits {
	unsigned int version;
	size_t max_input;         /* bytes of a file opened with dl_archive_open_file; 1 GiB */
	size_t max_members;       /* entries, directories and links included; 100000 */
	uint64_t max_member_size; /* uncompressed bytes of one member; 1 GiB */
	uint64_t max_total_size;  /* uncompressed bytes of the whole archive; 4 GiB */
	unsigned int max_ratio;   /* uncompressed / compressed bytes; 200 */
	uint64_t ratio_grace;     /* the ratio is enforced past this many uncompressed bytes; 16 MiB */
	size_t max_path;          /* bytes in one member name; 4096 */
} dl_archive_limits;

#define DL_ARCHIVE_LIMITS_VERSION 1
#define DL_ARCHIVE_LIMITS_INIT {DL_ARCHIVE_LIMITS_VERSION, 0, 0, 0, 0, 0, 0, 0}

#define DL_ARCHIVE_DEFAULT_MAX_INPUT ((size_t)1 << 30)
#define DL_ARCHIVE_DEFAULT_MAX_MEMBERS ((size_t)100000)
#define DL_ARCHIVE_DEFAULT_MAX_MEMBER_SIZE ((uint64_t)1 << 30)
#define DL_ARCHIVE_DEFAULT_MAX_TOTAL_SIZE ((uint64_t)4 << 30)
#define DL_ARCHIVE_DEFAULT_MAX_RATIO 200u
#define DL_ARCHIVE_DEFAULT_RATIO_GRACE ((uint64_t)16 << 20)
#define DL_ARCHIVE_DEFAULT_MAX_PATH ((size_t)4096)

typedef enum dl_archive_format {
	DL_ARCHIVE_TAR = 1, /* any tar dialect; wheels are never tar */
	DL_ARCHIVE_ZIP      /* zip, including wheels */
} dl_archive_format;

typedef enum dl_archive_compression {
	DL_ARCHIVE_UNCOMPRESSED = 0, /* a plain tar, or a zip (which compresses per member) */
	DL_ARCHIVE_GZIP,
	DL_ARCHIVE_BZIP2,
	DL_ARCHIVE_XZ
} dl_archive_compression;

typedef enum dl_archive_member_type {
	DL_MEMBER_FILE = 1,
	DL_MEMBER_DIR,
	DL_MEMBER_SYMLINK, /* target in `link`, relative to the member's directory */
	DL_MEMBER_HARDLINK /* target in `link`, relative to the archive's root */
} dl_archive_member_type;

/* One member as listed.  Borrowed from the archive; valid until
 * dl_archive_free. */
typedef struct dl_archive_member {
	const char *path; /* normalised, NUL-terminated */
	size_t path_len;
	dl_archive_member_type type;
	uint64_t size;    /* declared size in bytes; 0 for directories and links */
	const char *link; /* link target as stored; NULL unless a link */
	unsigned int mode; /* permission bits (0777 mask) */
} dl_archive_member;

/*
 * Open the archive held in [data, data+len) and scan it.  The memory is
 * borrowed, not copied: it must stay unchanged until dl_archive_free.
 * `name` names the archive in messages (a file name or URL; NULL means
 * "<memory>") and is copied.  `limits` may be NULL for the defaults.
 *
 * Returns 0 and *out (free with dl_archive_free); DL_EPARSE when the bytes
 * are not a tar or zip archive or are corrupt or truncated (the message
 * names the member being read); DL_EUNSUPPORTED when a member is refused
 * (see the file comment) or is encrypted; DL_ELIMIT when a limit is hit;
 * DL_ENOMEM; DL_EINVAL for bad limits.  Every message starts with
 * "archive '<name>'".  *out is untouched on failure.  It does not
 * write anything anywhere and does not follow links.
 */
int dl_archive_open_memory(dl_archive **out, const void *data, size_t len, const char *name,
                           const dl_archive_limits *limits) DL_WARN_UNUSED;

/*
 * Read the file at `path` into memory (at most limits->max_input bytes,
 * DL_ELIMIT beyond) and open it as dl_archive_open_memory does, naming it by
 * `path`.  Reading the file once means later reads see exactly the bytes
 * that were scanned even if the file changes.  DL_EIO when it cannot be
 * read.
 */
int dl_archive_open_file(dl_archive **out, const char *path, const dl_archive_limits *limits) DL_WARN_UNUSED;

/* Free an archive and everything borrowed from it.  NULL is ignored. */
void dl_archive_free(dl_archive *ar);

/* The name given at open time.  Borrowed. */
const char *dl_archive_name(const dl_archive *ar);

/* The container and compression found by content. */
dl_archive_format dl_archive_get_format(const dl_archive *ar);
dl_archive_compression dl_archive_get_compression(const dl_archive *ar);

/* Number of listed members, and member i in archive order (NULL when out
 * of range). */
size_t dl_archive_count(const dl_archive *ar);
const dl_archive_member *dl_archive_member_at(const dl_archive *ar, size_t i);

/* The member whose normalised path is exactly `path` (the caller's path is
 * not normalised); NULL when there is none.  O(1) on average. */
const dl_archive_member *dl_archive_lookup(const dl_archive *ar, const char *path, size_t len);

/*
 * The first member, in archive order, whose path matches `pattern`, where
 * '*' matches any run of characters other than '/' and '?' one character
 * other than '/': '*' followed by "/PKG-INFO" finds an sdist's PKG-INFO,
 * "*.dist-info/METADATA" a wheel's METADATA.  NULL when none matches.
 * There is no escaping, no '**' and no character classes.
 */
const dl_archive_member *dl_archive_find(const dl_archive *ar, const char *pattern);

/*
 * The single top-level directory that every member lies in ("pkg-1.0" for
 * a well-formed sdist), or NULL when the members do not share one (a file
 * at the top level, or two top-level names).  *len gets its length when
 * `len` is not NULL.  Borrowed.
 */
const char *dl_archive_topdir(const dl_archive *ar, size_t *len);

/*
 * Append the contents of the regular-file member `path` (exact normalised
 * path) to `out`, reading at most `max` bytes of it (0 means the archive's
 * max_member_size).  Returns 0; DL_ENOTFOUND when there is no such member;
 * DL_EUNSUPPORTED when it is a directory or a link (links are never
 * followed); DL_ELIMIT when the member is larger than `max`, when `out`
 * would pass its own cap, or when an archive limit is hit while getting
 * there; DL_EPARSE when the data turns out to be corrupt.  On failure `out`
 * may hold part of the member.
 */
int dl_archive_read(const dl_archive *ar, const char *path, dl_buf *out, size_t max);

/*
 * Read several members in one pass over the archive: member paths[i] is
 * appended to outs[i].  The same rules and errors as dl_archive_read; the
 * first failure stops the pass.  Faster than n calls because a compressed
 * archive is decompressed once.
 */
int dl_archive_read_many(const dl_archive *ar, const char *const *paths, size_t n, dl_buf *outs, size_t max);

#ifdef __cplusplus
}
#endif
#endif
