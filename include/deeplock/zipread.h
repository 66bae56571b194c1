/*
 * deeplock/zipread.h - an I/O-free zip reader for "lazy wheels": reading a
 * wheel's METADATA with a few HTTP Range requests instead of downloading the
 * whole wheel (pip's lazy_wheel, uv).
 *
 * The reader never does I/O.  It is told which bytes the caller holds and
 * answers either with a result or with the byte range it still needs:
 *
 *   1. fetch the last DL_ZIP_TAIL_INITIAL bytes (or the whole file when it
 *      is smaller) and call dl_zipdir_parse on them;
 *   2. when it returns DL_ZIP_NEED_MORE, fetch the bytes [need.offset,
 *      tail_offset) that are missing, prepend them to the tail and call it
 *      again (the new tail starts at need.offset).  Each answer asks for
 *      strictly more than was held, and there are at most three: the
 *      comment's search window (only for comments near 64 KiB), the ZIP64
 *      end records, the central directory;
 *   3. find the member (dl_zipdir_find_wheel_metadata), ask which bytes it
 *      occupies (dl_zipdir_member_range), fetch them unless the tail already
 *      covers them, and decode them with dl_zip_member_extract, which may in
 *      turn say DL_ZIP_NEED_MORE when the local header's extra field was
 *      larger than the range's slack.
 * A caller that holds the whole file (a server that ignored Range and sent
 * 200) passes it as the tail with tail_offset 0: nothing more is ever
 * needed.
 *
 * Every byte is hostile.  The reader accepts only archives that Python's
 * zipfile (which pip installs with) reads the same way, so that what
 * deeplock locks is what an installer sees:
 *   - the end record is the LAST "PK\5\6" signature in the final 64 KiB +
 *     22 bytes (zipfile's choice) and its comment must end exactly at the
 *     end of the file (no trailing bytes, no truncated comment);
 *   - a ZIP64 locator right before it must point at a ZIP64 end record that
 *     immediately precedes it, with no extensible data (zipfile looks there
 *     without reading the pointer);
 *   - the central directory must end exactly where the end record (or the
 *     ZIP64 end record) begins, so no prepended data or gaps, and its
 *     entries must fill it exactly (zipfile reads entries until the size is
 *     used up, others read `count` entries: here both agree);
 *   - multi-disk archives, encryption (flag bits 0, 6 and 13) and names with
 *     a NUL or a backslash (Windows' zipfile reads '\' as '/', so two tools
 *     would see different trees) are refused; every name appears once
 *     (unzip tools differ in which copy of a duplicate they take: a wheel
 *     with two METADATA entries has no single meaning);
 *   - no two members' local records overlap (the overlapping-file zip bomb)
 *     and every member lies before the central directory;
 *   - decompression stops as soon as the output passes the declared size or
 *     the caller's maximum, and the size and CRC-32 are checked.
 * Only "stored" and "deflate" members are decoded (all a wheel uses), and
 * neither members needing a zip version above 6.3 nor "compressed patched
 * data" (flag bit 5), which zipfile refuses too.
 *
 * Error messages start with the archive's name as given by the caller (a
 * redacted URL or a file name) and name the entry and the offsets involved.
 */
#ifndef DEEPLOCK_ZIPREAD_H
#define DEEPLOCK_ZIPREAD_H

#include "deeplock/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Size of the first tail to fetch.  The end record is 22 bytes plus a
 * comment of up to 65535; 64 KiB covers the end record of every archive
 * whose comment is under 64 KiB - 22 (wheels have none) and, for most
 * wheels, the whole central directory too (about 100 bytes per member:
 * a wheel of up to ~600 members needs one request).  pip starts with
 * 10 KiB and then fetches more; one 64 KiB request costs about the same
 * round trip and saves the second in the common case.
 */
#define DL_ZIP_TAIL_INITIAL ((uint64_t)64 << 10)

/* Bytes beyond the central directory's idea of a member's local header that
 * dl_zipdir_member_range adds, for a local extra field larger than the
 * central one (some writers add padding or timestamps there only). */
#define DL_ZIP_RANGE_SLACK ((uint64_t)1 << 10)

/* A positive return: not an error, but the caller must supply more bytes
 * (the range is in the `need` output) and call again. */
#define DL_ZIP_NEED_MORE 1

/* A byte range of the archive. */
typedef struct dl_zip_range {
	uint64_t offset;
	uint64_t len;
} dl_zip_range;

typedef struct dl_zip_limits {
	unsigned int version;
	size_t max_entries;   /* members in the central directory; 1,000,000 */
	size_t max_name;      /* bytes of one member name; 4096 */
	uint64_t max_cd_size; /* bytes of the central directory; 256 MiB */
} dl_zip_limits;

#define DL_ZIP_LIMITS_VERSION 1
#define DL_ZIP_LIMITS_INIT {DL_ZIP_LIMITS_VERSION, 0, 0, 0}
#define DL_ZIP_DEFAULT_MAX_ENTRIES ((size_t)1000000)
#define DL_ZIP_DEFAULT_MAX_NAME ((size_t)4096)
#define DL_ZIP_DEFAULT_MAX_CD_SIZE ((uint64_t)256 << 20)

/* Compression methods (the zip format's numbers). */
#define DL_ZIP_STORED 0
#define DL_ZIP_DEFLATE 8

/* One member as the central directory describes it.  Borrowed from the
 * directory; valid until dl_zipdir_free. */
typedef struct dl_zip_entry {
	const char *name;      /* NUL-terminated; never contains NUL or '\' */
	size_t name_len;
	size_t index;          /* 0-based position in the central directory */
	uint16_t method;       /* DL_ZIP_STORED, DL_ZIP_DEFLATE or another */
	uint16_t flags;        /* general purpose flags; bit 3: data descriptor */
	uint32_t crc32;
	uint64_t csize;        /* compressed bytes (ZIP64 extra applied) */
	uint64_t usize;        /* uncompressed bytes (ZIP64 extra applied) */
	uint64_t local_offset; /* of the local header */
	uint64_t end_bound;    /* where the next member (or the central directory) starts */
	uint16_t central_extra_len;
} dl_zip_entry;

typedef struct dl_zipdir dl_zipdir;

/*
 * Parse the central directory of a zip archive of `file_size` bytes from
 * its last bytes [tail, tail+tail_len), which sit at tail_offset in the
 * file (tail_offset + tail_len must equal file_size).  `name` names the
 * archive in messages (NULL means "<zip>") and is copied; `limits` may be
 * NULL for the defaults.
 *
 * Returns 0 and *out (free with dl_zipdir_free); or DL_ZIP_NEED_MORE with
 * *need set to the tail [need->offset, file_size) that a second call needs
 * (need->offset < tail_offset), *out untouched; or DL_EPARSE for a corrupt
 * or truncated archive, DL_EUNSUPPORTED for what the file comment lists as
 * refused, DL_ELIMIT when a limit is exceeded, DL_EINVAL for a tail that
 * does not end at file_size, DL_ENOMEM.  The tail is not kept: the result
 * owns copies of everything it needs.  It does not look at any member's
 * local header or data (dl_zip_member_extract does).
 */
int dl_zipdir_parse(dl_zipdir **out, dl_zip_range *need, const void *tail, size_t tail_len,
                    uint64_t tail_offset, uint64_t file_size, const char *name,
                    const dl_zip_limits *limits) DL_WARN_UNUSED;

void dl_zipdir_free(dl_zipdir *dir);

/* Number of members, and the member at central-directory position i
 * (NULL when out of range). */
size_t dl_zipdir_count(const dl_zipdir *dir);
const dl_zip_entry *dl_zipdir_entry(const dl_zipdir *dir, size_t i);
/* The name given to dl_zipdir_parse (borrowed), and the file size. */
const char *dl_zipdir_name(const dl_zipdir *dir);
uint64_t dl_zipdir_file_size(const dl_zipdir *dir);
/* Where the central directory starts: every member lies before it. */
uint64_t dl_zipdir_cd_offset(const dl_zipdir *dir);

/* The member named exactly [path, path+len) (byte comparison, case
 * sensitive, as zipfile's getinfo), or NULL.  Never sets an error. */
const dl_zip_entry *dl_zipdir_find(const dl_zipdir *dir, const char *path, size_t len);

/*
 * Find the wheel's one top-level "*.dist-info" directory (pip's rule: the
 * first path component of every member name, ending in ".dist-info" exactly;
 * more than one such directory is an error) and return its name without the
 * trailing '/' in *dist_info (borrowed, not NUL-terminated) and
 * *dist_info_len.  When `project` is not NULL the directory must be named
 * "<P>-<V>.dist-info" where P equals `project` after PEP 503 normalisation
 * (so case, '-', '_' and '.' do not matter, as in pip); pip accepts any
 * name that merely starts with the project's normal form, deeplock also
 * wants the '-' after it, so "foo" does not claim "foobar-1.0.dist-info".
 * When `version` is not NULL, V must be a PEP 440 version equal to it
 * ("1.0" equals "1.0.0").  Returns 0, DL_ENOTFOUND (no .dist-info
 * directory), DL_EPARSE (several, or a name or version mismatch; the
 * message names them), DL_ENOMEM.
 */
int dl_zipdir_wheel_dist_info(const char **dist_info, size_t *dist_info_len, const dl_zipdir *dir,
                              const char *project, const char *version);

/* The member "<dist-info>/<file>" of the wheel (file is "METADATA",
 * "WHEEL", "RECORD", ...; exact case, as pip reads it), with the
 * .dist-info directory found and checked as dl_zipdir_wheel_dist_info
 * does.  Returns 0 and *out, DL_ENOTFOUND naming the missing path, or the
 * errors of dl_zipdir_wheel_dist_info. */
int dl_zipdir_find_wheel_file(const dl_zip_entry **out, const dl_zipdir *dir, const char *project,
                              const char *version, const char *file);

/* dl_zipdir_find_wheel_file(out, dir, project, version, "METADATA"). */
int dl_zipdir_find_wheel_metadata(const dl_zip_entry **out, const dl_zipdir *dir, const char *project,
                                  const char *version);

/*
 * The byte range to fetch for member `e`: from its local header to the end
 * of its compressed data, assuming the local name and extra field are as
 * long as the central ones plus DL_ZIP_RANGE_SLACK, clipped to where the
 * next member begins.  Never fails; the range may turn out short (then
 * dl_zip_member_extract asks for the exact rest).
 */
dl_zip_range dl_zipdir_member_range(const dl_zipdir *dir, const dl_zip_entry *e);

/*
 * Decode member `e` from [bytes, bytes+len), which sit at bytes_offset in
 * the file (any window that contains the member, e.g. the range above, a
 * tail or the whole file).  Checks the local header (signature, same name,
 * method and encryption flag as the central directory) and that the data
 * ends before the next member; inflates "deflate" or copies "stored" data
 * into `out` (its previous contents are replaced); stops with DL_ELIMIT as
 * soon as the member's declared size exceeds `max`, and with DL_EPARSE as
 * soon as the output exceeds the declared size; checks the size and CRC-32
 * against the central directory (so members with a data descriptor, whose
 * local sizes are zero, work).
 *
 * Returns 0; DL_ZIP_NEED_MORE with *need set to the member's exact range
 * when the window does not hold all of it (`out` untouched); DL_EPARSE for
 * corrupt data; DL_EUNSUPPORTED for a method other than stored or deflate
 * (the message names it); DL_ELIMIT; DL_ENOMEM.  On an error `out` is left
 * empty (but keeps its memory; the caller frees it).  It does not look at
 * the data descriptor itself (the central directory is authoritative).
 */
int dl_zip_member_extract(dl_buf *out, dl_zip_range *need, const dl_zipdir *dir, const dl_zip_entry *e,
                          const void *bytes, size_t len, uint64_t bytes_offset, size_t max) DL_WARN_UNUSED;

#ifdef __cplusplus
}
#endif
#endif
