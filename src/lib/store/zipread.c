/*
 * zipread.c - the I/O-free zip reader behind lazy wheels (see
 * deeplock/zipread.h for the protocol and the refusal rules).
 *
 * How it works.  The caller's bytes are a "view": a window [off, off+len)
 * of the file.  Every read goes through view_at(), which answers NULL when
 * the window does not hold the bytes asked for, so a missing byte becomes
 * a "need more" answer (or, for a window that should have held it, a parse
 * error) and never an out-of-bounds read.  All offsets are uint64_t file
 * offsets; a sum of two of them is formed only after checking it cannot
 * wrap (every offset is first bounded by the file size, which is at most
 * UINT64_MAX, and each addend by what is left).
 *
 * The directory owns one array of entries in central-directory order, one
 * buffer holding every name NUL-terminated (its size is bounded by the
 * central directory's size, since each entry spends 46 bytes of header on
 * a name), and an index sorted by name for binary search and for finding
 * duplicates.  Overlap is found by sorting a temporary index by local
 * header offset: each member's local record, at least 30 bytes + name +
 * compressed size, must end before the next one begins, and that next
 * offset is kept as the member's end bound so that extraction can check a
 * local header whose extra field pushes the data further.
 *
 * Decompression uses zlib's raw inflate with deeplock's allocator hook (so
 * allocation-failure tests reach zlib too) and a 16 KiB stack chunk; the
 * output is checked against the declared size after every chunk, which
 * bounds the work of a bomb by the caller's `max`.
 */
#include "deeplock/zipread.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "deeplock/name.h"
#include "deeplock/version.h"

#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_EOCD 0x06054b50u
#define SIG_EOCD64 0x06064b50u
#define SIG_LOCATOR64 0x07064b50u

#define EOCD_SIZE 22u
#define LOCATOR64_SIZE 20u
#define EOCD64_SIZE 56u
#define CENTRAL_SIZE 46u
#define LOCAL_SIZE 30u
#define MAX_COMMENT 65535u

/* Flag bits that mean some form of encryption. */
#define FLAG_ENCRYPTED 0x0001u
#define FLAG_STRONG 0x0040u
#define FLAG_CD_MASKED 0x2000u
#define FLAG_PATCHED 0x0020u

struct dl_zipdir {
	char *name;
	uint64_t file_size;
	uint64_t cd_offset;
	size_t count;
	dl_zip_entry *entries;
	const dl_zip_entry **by_name;
	char *names;
};

typedef struct view {
	const unsigned char *p;
	uint64_t off;
	uint64_t len;
} view;

/* Pointer to [off, off+n) if the view holds all of it, else NULL. */
static const unsigned char *view_at(const view *v, uint64_t off, uint64_t n)
{
	if (off < v->off)
		return NULL;
	uint64_t rel = off - v->off;
	if (rel > v->len || n > v->len - rel)
		return NULL;
	return v->p + rel;
}

static uint16_t rd16(const unsigned char *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint64_t rd64(const unsigned char *p)
{
	return (uint64_t)rd32(p) | ((uint64_t)rd32(p + 4) << 32);
}

/* A member name fit for a message: at most 120 bytes, control bytes as
 * '?', into the caller's buffer. */
static const char *show(char buf[128], const char *s, size_t len)
{
	size_t n = len > 120 ? 117 : len;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		buf[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (n < len) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

static const char *method_name(unsigned m)
{
	switch (m) {
	case 0: return "stored";
	case 1: return "shrink";
	case 6: return "implode";
	case 8: return "deflate";
	case 9: return "deflate64";
	case 12: return "bzip2";
	case 14: return "lzma";
	case 93: return "zstandard";
	case 95: return "xz";
	case 98: return "ppmd";
	case 99: return "aes";
	default: return "unknown";
	}
}

void dl_zipdir_free(dl_zipdir *dir)
{
	if (dir == NULL)
		return;
	dl_free(dir->name);
	dl_free(dir->entries);
	dl_free(dir->by_name);
	dl_free(dir->names);
	dl_free(dir);
}

static int cmp_by_name(const void *a, const void *b)
{
	const dl_zip_entry *x = *(const dl_zip_entry *const *)a;
	const dl_zip_entry *y = *(const dl_zip_entry *const *)b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->name, y->name, n);
	if (c != 0)
		return c;
	if (x->name_len != y->name_len)
		return x->name_len < y->name_len ? -1 : 1;
	/* Stable for equal names, so "entries i and j" come out in order. */
	return x->index < y->index ? -1 : (x->index > y->index);
}

static int cmp_by_offset(const void *a, const void *b)
{
	const dl_zip_entry *x = *(const dl_zip_entry *const *)a;
	const dl_zip_entry *y = *(const dl_zip_entry *const *)b;
	if (x->local_offset != y->local_offset)
		return x->local_offset < y->local_offset ? -1 : 1;
	return x->index < y->index ? -1 : (x->index > y->index);
}

/* The ZIP64 extended information extra field (0x0001) of a central entry:
 * each value is present only when its 32-bit (or 16-bit) field is all ones,
 * in the order usize, csize, offset, disk.  Blocks must be well formed; up
 * to 3 trailing bytes are ignored, as zipfile does. */
static int parse_extra(const dl_zipdir *d, size_t i, const char *nm, const unsigned char *x, size_t xlen,
                       uint64_t *usize, uint64_t *csize, uint64_t *offset, uint32_t *disk)
{
	bool need_u = *usize == 0xFFFFFFFFu, need_c = *csize == 0xFFFFFFFFu;
	bool need_o = *offset == 0xFFFFFFFFu, need_d = *disk == 0xFFFFu;
	bool seen = false;
	size_t pos = 0;
	while (xlen - pos >= 4) {
		unsigned id = rd16(x + pos), sz = rd16(x + pos + 2);
		if (sz > xlen - pos - 4)
			return dl_error_set(DL_EPARSE, "%s: central directory entry %zu ('%s'): extra field 0x%04x (%u bytes) runs past the end of the extra data (%zu bytes)",
			                    d->name, i, nm, id, sz, xlen - pos - 4);
		if (id == 0x0001) {
			if (seen)
				return dl_error_set(DL_EPARSE, "%s: central directory entry %zu ('%s') has two ZIP64 extra fields", d->name, i, nm);
			seen = true;
			size_t want = 8u * (need_u + need_c + need_o) + 4u * need_d;
			if (sz < want)
				return dl_error_set(DL_EPARSE, "%s: central directory entry %zu ('%s'): the ZIP64 extra field has %u bytes, %zu are needed",
				                    d->name, i, nm, sz, want);
			const unsigned char *q = x + pos + 4;
			if (need_u) {
				*usize = rd64(q);
				q += 8;
			}
			if (need_c) {
				*csize = rd64(q);
				q += 8;
			}
			if (need_o) {
				*offset = rd64(q);
				q += 8;
			}
			if (need_d)
				*disk = rd32(q);
		}
		pos += 4u + sz;
	}
	if ((need_u || need_c || need_o || need_d) && !seen)
		return dl_error_set(DL_EPARSE, "%s: central directory entry %zu ('%s') has a size or offset of 0xFFFFFFFF but no ZIP64 extra field",
		                    d->name, i, nm);
	return 0;
}

/* Parse `count` entries from the central directory held in `v`. */
static int parse_entries(dl_zipdir *d, const view *v, uint64_t cd_size, const dl_zip_limits *lim)
{
	char nb[128];
	uint64_t pos = 0;
	size_t names_used = 0;
	for (size_t i = 0; i < d->count; i++) {
		uint64_t at = d->cd_offset + pos;
		const unsigned char *h = cd_size - pos >= CENTRAL_SIZE ? view_at(v, at, CENTRAL_SIZE) : NULL;
		if (h == NULL)
			return dl_error_set(DL_EPARSE, "%s: central directory entry %zu at offset %" PRIu64 " is cut off by the end of the central directory (offset %" PRIu64 ")",
			                    d->name, i, at, d->cd_offset + cd_size);
		if (rd32(h) != SIG_CENTRAL)
			return dl_error_set(DL_EPARSE, "%s: central directory entry %zu at offset %" PRIu64 " does not start with the signature PK\\1\\2",
			                    d->name, i, at);
		uint16_t needed = rd16(h + 6), flags = rd16(h + 8), method = rd16(h + 10);
		uint32_t crc = rd32(h + 16);
		uint64_t csize = rd32(h + 20), usize = rd32(h + 24);
		size_t nlen = rd16(h + 28), xlen = rd16(h + 30), clen = rd16(h + 32);
		uint32_t disk = rd16(h + 34);
		uint64_t loff = rd32(h + 42);
		uint64_t total = (uint64_t)CENTRAL_SIZE + nlen + xlen + clen;
		if (total > cd_size - pos)
			return dl_error_set(DL_EPARSE, "%s: central directory entry %zu at offset %" PRIu64 " (%" PRIu64 " bytes with its name, extra field and comment) runs past the end of the central directory (offset %" PRIu64 ")",
			                    d->name, i, at, total, d->cd_offset + cd_size);
		const unsigned char *rest = view_at(v, at + CENTRAL_SIZE, total - CENTRAL_SIZE);
		if (rest == NULL) /* the view holds the whole directory: cannot happen */
			return dl_error_set(DL_EPARSE, "%s: central directory entry %zu is not in the bytes given", d->name, i);
		const char *raw = (const char *)rest;
		if (nlen == 0)
			return dl_error_set(DL_EPARSE, "%s: central directory entry %zu at offset %" PRIu64 " has an empty name", d->name, i, at);
		if (nlen > lim->max_name)
			return dl_error_set(DL_ELIMIT, "%s: central directory entry %zu ('%s') has a %zu-byte name, more than the limit of %zu",
			                    d->name, i, show(nb, raw, nlen), nlen, lim->max_name);
		const char *nul = memchr(raw, '\0', nlen);
		if (nul != NULL)
			return dl_error_set(DL_EPARSE, "%s: central directory entry %zu ('%s') has a NUL byte in its name at byte %zu",
			                    d->name, i, show(nb, raw, nlen), (size_t)(nul - raw) + 1);
		show(nb, raw, nlen);
		if (memchr(raw, '\\', nlen) != NULL)
			return dl_error_set(DL_EUNSUPPORTED, "%s: central directory entry %zu ('%s') has a backslash in its name, which Windows tools read as '/'",
			                    d->name, i, nb);
		if (flags & (FLAG_ENCRYPTED | FLAG_STRONG | FLAG_CD_MASKED))
			return dl_error_set(DL_EUNSUPPORTED, "%s: central directory entry %zu ('%s') is encrypted (flags 0x%04x)",
			                    d->name, i, nb, flags);
		/* zipfile refuses an archive whose members need a zip version
		 * above 6.3 (the low byte; the high byte is reserved there). */
		if ((needed & 0xFF) > 63)
			return dl_error_set(DL_EUNSUPPORTED, "%s: central directory entry %zu ('%s') needs zip version %u.%u to extract; Python's zipfile reads up to 6.3",
			                    d->name, i, nb, (needed & 0xFF) / 10, (needed & 0xFF) % 10);
		int rc = parse_extra(d, i, nb, rest + nlen, xlen, &usize, &csize, &loff, &disk);
		if (rc < 0)
			return rc;
		if (disk != 0)
			return dl_error_set(DL_EUNSUPPORTED, "%s: central directory entry %zu ('%s') is on disk %" PRIu32 " of a multi-disk archive",
			                    d->name, i, nb, disk);
		if (loff >= d->file_size)
			return dl_error_set(DL_EPARSE, "%s: central directory entry %zu ('%s') points past the end of the file (offset %" PRIu64 ", file size %" PRIu64 ")",
			                    d->name, i, nb, loff, d->file_size);
		uint64_t room = loff < d->cd_offset ? d->cd_offset - loff : 0;
		if (room < LOCAL_SIZE + nlen || csize > room - LOCAL_SIZE - nlen)
			return dl_error_set(DL_EPARSE, "%s: central directory entry %zu ('%s') at offset %" PRIu64 " with %" PRIu64 " compressed bytes runs into the central directory at offset %" PRIu64,
			                    d->name, i, nb, loff, csize, d->cd_offset);
		dl_zip_entry *e = &d->entries[i];
		memcpy(d->names + names_used, raw, nlen);
		d->names[names_used + nlen] = '\0';
		e->name = d->names + names_used;
		e->name_len = nlen;
		names_used += nlen + 1;
		e->index = i;
		e->method = method;
		e->flags = flags;
		e->crc32 = crc;
		e->csize = csize;
		e->usize = usize;
		e->local_offset = loff;
		e->end_bound = d->cd_offset;
		e->central_extra_len = (uint16_t)xlen;
		pos += total;
	}
	if (pos != cd_size)
		return dl_error_set(DL_EPARSE, "%s: the central directory has %" PRIu64 " bytes after its %zu entries (offset %" PRIu64 "); its size and entry count disagree",
		                    d->name, cd_size - pos, d->count, d->cd_offset + pos);
	return 0;
}

/* Sort the name index, refuse duplicates and overlapping members, and set
 * each member's end bound. */
static int check_members(dl_zipdir *d)
{
	char n1[128], n2[128];
	if (d->count == 0)
		return 0;
	for (size_t i = 0; i < d->count; i++)
		d->by_name[i] = &d->entries[i];
	qsort(d->by_name, d->count, sizeof(*d->by_name), cmp_by_name);
	for (size_t i = 1; i < d->count; i++) {
		const dl_zip_entry *a = d->by_name[i - 1], *b = d->by_name[i];
		if (a->name_len == b->name_len && memcmp(a->name, b->name, a->name_len) == 0)
			return dl_error_set(DL_EUNSUPPORTED, "%s: member '%s' appears twice (central directory entries %zu and %zu); unzip tools differ in which copy they read",
			                    d->name, show(n1, a->name, a->name_len), a->index, b->index);
	}
	const dl_zip_entry **by_off = dl_calloc(d->count, sizeof(*by_off));
	if (by_off == NULL)
		return dl_error_oom();
	for (size_t i = 0; i < d->count; i++)
		by_off[i] = &d->entries[i];
	qsort(by_off, d->count, sizeof(*by_off), cmp_by_offset);
	int rc = 0;
	for (size_t i = 0; i + 1 < d->count; i++) {
		const dl_zip_entry *a = by_off[i], *b = by_off[i + 1];
		/* parse_entries checked that this sum stays below cd_offset */
		uint64_t a_end = a->local_offset + LOCAL_SIZE + a->name_len + a->csize;
		if (a_end > b->local_offset) {
			rc = dl_error_set(DL_EUNSUPPORTED, "%s: members '%s' (entry %zu, offset %" PRIu64 ", at least %" PRIu64 " bytes) and '%s' (entry %zu, offset %" PRIu64 ") overlap",
			                  d->name, show(n1, a->name, a->name_len), a->index, a->local_offset,
			                  a_end - a->local_offset, show(n2, b->name, b->name_len), b->index, b->local_offset);
			break;
		}
		d->entries[a->index].end_bound = b->local_offset;
	}
	dl_free(by_off);
	return rc;
}

static void set_need(dl_zip_range *need, uint64_t from, uint64_t file_size)
{
	if (need != NULL) {
		need->offset = from;
		need->len = file_size - from;
	}
}

int dl_zipdir_parse(dl_zipdir **out, dl_zip_range *need, const void *tail, size_t tail_len,
                    uint64_t tail_offset, uint64_t file_size, const char *name,
                    const dl_zip_limits *limits)
{
	if (name == NULL)
		name = "<zip>";
	dl_zip_limits lim = DL_ZIP_LIMITS_INIT;
	if (limits != NULL) {
		if (limits->version != DL_ZIP_LIMITS_VERSION)
			return dl_error_set(DL_EINVAL, "%s: zip limits of version %u, expected %u", name, limits->version, DL_ZIP_LIMITS_VERSION);
		lim = *limits;
	}
	if (lim.max_entries == 0)
		lim.max_entries = DL_ZIP_DEFAULT_MAX_ENTRIES;
	if (lim.max_name == 0)
		lim.max_name = DL_ZIP_DEFAULT_MAX_NAME;
	if (lim.max_cd_size == 0)
		lim.max_cd_size = DL_ZIP_DEFAULT_MAX_CD_SIZE;
	if ((tail == NULL && tail_len > 0) || tail_offset > file_size || file_size - tail_offset != tail_len)
		return dl_error_set(DL_EINVAL, "%s: the bytes given (offset %" PRIu64 ", %zu bytes) are not the tail of a %" PRIu64 "-byte file",
		                    name, tail_offset, tail_len, file_size);
	if (file_size < EOCD_SIZE)
		return dl_error_set(DL_EPARSE, "%s: %" PRIu64 " bytes is too short for a zip archive (the end record alone is 22 bytes)",
		                    name, file_size);
	view v = {tail, tail_offset, tail_len};

	/* The end record, found as zipfile finds it: a record without comment
	 * in the last 22 bytes, else the last signature in the search window
	 * (which must leave room for a whole record). */
	uint64_t window = file_size - EOCD_SIZE > MAX_COMMENT ? file_size - EOCD_SIZE - MAX_COMMENT : 0;
	uint64_t eocd = UINT64_MAX;
	const unsigned char *last = view_at(&v, file_size - EOCD_SIZE, EOCD_SIZE);
	if (last == NULL) {
		set_need(need, file_size - EOCD_SIZE, file_size);
		return DL_ZIP_NEED_MORE;
	}
	if (rd32(last) == SIG_EOCD && rd16(last + 20) == 0)
		eocd = file_size - EOCD_SIZE;
	uint64_t lo = window > tail_offset ? window : tail_offset;
	for (uint64_t pos = file_size - 4 + 1; eocd == UINT64_MAX && pos-- > lo;) {
		const unsigned char *p = view_at(&v, pos, 4);
		if (p != NULL && rd32(p) == SIG_EOCD) {
			if (file_size - pos < EOCD_SIZE)
				return dl_error_set(DL_EPARSE, "%s: the last end of central directory signature (PK\\5\\6), at offset %" PRIu64 ", leaves no room for the record (%" PRIu64 " of 22 bytes)",
				                    name, pos, file_size - pos);
			eocd = pos;
		}
	}
	if (eocd == UINT64_MAX) {
		if (tail_offset > window) {
			set_need(need, window, file_size);
			return DL_ZIP_NEED_MORE;
		}
		return dl_error_set(DL_EPARSE, "%s: no end of central directory record (PK\\5\\6) in the last %" PRIu64 " bytes: not a zip archive, or truncated",
		                    name, file_size - window);
	}
	const unsigned char *e = view_at(&v, eocd, EOCD_SIZE);
	uint16_t comment_len = rd16(e + 20);
	if (comment_len != file_size - eocd - EOCD_SIZE)
		return dl_error_set(DL_EPARSE, "%s: the end record at offset %" PRIu64 " declares a %u-byte comment but %" PRIu64 " bytes follow it (truncated or trailing data)",
		                    name, eocd, comment_len, file_size - eocd - EOCD_SIZE);
	uint32_t disk = rd16(e + 4), cd_disk = rd16(e + 6);
	uint64_t disk_entries = rd16(e + 8), count = rd16(e + 10);
	uint64_t cd_size = rd32(e + 12), cd_offset = rd32(e + 16);
	uint64_t cd_end = eocd;

	/* ZIP64: a locator right before the end record. */
	if (eocd >= LOCATOR64_SIZE) {
		uint64_t loc = eocd - LOCATOR64_SIZE;
		const unsigned char *l = view_at(&v, loc, LOCATOR64_SIZE);
		if (l == NULL) {
			/* Ask for the ZIP64 record too, and the central directory when
			 * its 32-bit offset looks real. */
			uint64_t want = loc >= EOCD64_SIZE ? loc - EOCD64_SIZE : 0;
			if (cd_offset != 0xFFFFFFFFu && cd_offset < want)
				want = cd_offset;
			set_need(need, want, file_size);
			return DL_ZIP_NEED_MORE;
		}
		if (rd32(l) == SIG_LOCATOR64) {
			uint32_t z_disk = rd32(l + 4), disks = rd32(l + 16);
			uint64_t z_off = rd64(l + 8);
			if (z_disk != 0 || disks > 1)
				return dl_error_set(DL_EUNSUPPORTED, "%s: the ZIP64 locator at offset %" PRIu64 " describes a multi-disk archive (%" PRIu32 " disks)",
				                    name, loc, disks);
			if (loc < EOCD64_SIZE || z_off != loc - EOCD64_SIZE)
				return dl_error_set(DL_EPARSE, "%s: the ZIP64 locator at offset %" PRIu64 " points at offset %" PRIu64 ", but the ZIP64 end record must end where the locator begins",
				                    name, loc, z_off);
			const unsigned char *z = view_at(&v, z_off, EOCD64_SIZE);
			if (z == NULL) {
				set_need(need, z_off, file_size);
				return DL_ZIP_NEED_MORE;
			}
			if (rd32(z) != SIG_EOCD64)
				return dl_error_set(DL_EPARSE, "%s: no ZIP64 end record signature (PK\\6\\6) at offset %" PRIu64, name, z_off);
			if (rd64(z + 4) != EOCD64_SIZE - 12)
				return dl_error_set(DL_EUNSUPPORTED, "%s: the ZIP64 end record at offset %" PRIu64 " is %" PRIu64 " bytes, not 44 (extensible data is not supported)",
				                    name, z_off, rd64(z + 4));
			uint32_t z_d = rd32(z + 16), z_cd = rd32(z + 20);
			uint64_t z_de = rd64(z + 24), z_n = rd64(z + 32), z_size = rd64(z + 40), z_cdoff = rd64(z + 48);
			/* A 32-bit field that is not the "see ZIP64" marker must agree,
			 * or a reader that ignores ZIP64 would see another archive. */
			if ((disk != 0xFFFF && disk != z_d) || (cd_disk != 0xFFFF && cd_disk != z_cd) ||
			    (disk_entries != 0xFFFF && disk_entries != z_de) || (count != 0xFFFF && count != z_n) ||
			    (cd_size != 0xFFFFFFFFu && cd_size != z_size) || (cd_offset != 0xFFFFFFFFu && cd_offset != z_cdoff))
				return dl_error_set(DL_EPARSE, "%s: the end record at offset %" PRIu64 " and the ZIP64 end record at offset %" PRIu64 " disagree",
				                    name, eocd, z_off);
			disk = z_d;
			cd_disk = z_cd;
			disk_entries = z_de;
			count = z_n;
			cd_size = z_size;
			cd_offset = z_cdoff;
			cd_end = z_off;
		}
	}
	if (disk != 0 || cd_disk != 0 || disk_entries != count)
		return dl_error_set(DL_EUNSUPPORTED, "%s: multi-disk archives are not supported (disk %" PRIu32 ", central directory on disk %" PRIu32 ", %" PRIu64 " of %" PRIu64 " entries on this disk)",
		                    name, disk, cd_disk, disk_entries, count);
	if (cd_offset > cd_end || cd_end - cd_offset != cd_size)
		return dl_error_set(DL_EPARSE, "%s: the central directory (offset %" PRIu64 ", %" PRIu64 " bytes) does not end where the end record begins (offset %" PRIu64 ")",
		                    name, cd_offset, cd_size, cd_end);
	if (cd_size > lim.max_cd_size)
		return dl_error_set(DL_ELIMIT, "%s: the central directory is %" PRIu64 " bytes, more than the limit of %" PRIu64,
		                    name, cd_size, lim.max_cd_size);
	if (count > lim.max_entries)
		return dl_error_set(DL_ELIMIT, "%s: the archive has %" PRIu64 " members, more than the limit of %zu", name, count, lim.max_entries);
	if (count > cd_size / CENTRAL_SIZE)
		return dl_error_set(DL_EPARSE, "%s: %" PRIu64 " members cannot fit in a %" PRIu64 "-byte central directory (46 bytes each at least)",
		                    name, count, cd_size);
	if (cd_offset < tail_offset) {
		set_need(need, cd_offset, file_size);
		return DL_ZIP_NEED_MORE;
	}

	dl_zipdir *d = dl_calloc(1, sizeof(*d));
	if (d == NULL)
		return dl_error_oom();
	int rc = 0;
	d->file_size = file_size;
	d->cd_offset = cd_offset;
	d->count = (size_t)count;
	d->name = dl_strdup(name);
	/* cd_size is held in memory, so it fits in size_t. */
	d->names = dl_malloc((size_t)cd_size + 1);
	d->entries = dl_calloc(d->count ? d->count : 1, sizeof(*d->entries));
	d->by_name = dl_calloc(d->count ? d->count : 1, sizeof(*d->by_name));
	if (d->name == NULL || d->names == NULL || d->entries == NULL || d->by_name == NULL) {
		rc = dl_error_oom();
		goto done;
	}
	rc = parse_entries(d, &v, cd_size, &lim);
	if (rc == 0)
		rc = check_members(d);
done:
	if (rc < 0) {
		dl_zipdir_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

size_t dl_zipdir_count(const dl_zipdir *dir)
{
	return dir->count;
}

const dl_zip_entry *dl_zipdir_entry(const dl_zipdir *dir, size_t i)
{
	return i < dir->count ? &dir->entries[i] : NULL;
}

const char *dl_zipdir_name(const dl_zipdir *dir)
{
	return dir->name;
}

uint64_t dl_zipdir_file_size(const dl_zipdir *dir)
{
	return dir->file_size;
}

uint64_t dl_zipdir_cd_offset(const dl_zipdir *dir)
{
	return dir->cd_offset;
}

const dl_zip_entry *dl_zipdir_find(const dl_zipdir *dir, const char *path, size_t len)
{
	size_t lo = 0, hi = dir->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const dl_zip_entry *e = dir->by_name[mid];
		size_t n = e->name_len < len ? e->name_len : len;
		int c = memcmp(e->name, path, n);
		if (c == 0 && e->name_len != len)
			c = e->name_len < len ? -1 : 1;
		if (c == 0)
			return e;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

#define DIST_INFO ".dist-info"
#define DIST_INFO_LEN (sizeof(DIST_INFO) - 1)

/* Compare the version part of a .dist-info name with the expected one. */
static int check_version(const dl_zipdir *dir, const char *comp, size_t clen, const char *ver, size_t vlen,
                         const char *version)
{
	char nb[128];
	dl_version a, b;
	int rc = dl_version_parse_into(&b, version, strlen(version));
	if (rc < 0)
		return rc == DL_ENOMEM ? rc : dl_error_set(DL_EINVAL, "%s: '%s' is not a valid version to look for", dir->name, version);
	rc = dl_version_parse_into(&a, ver, vlen);
	if (rc < 0) {
		dl_version_clear(&b);
		if (rc == DL_ENOMEM)
			return rc;
		return dl_error_set(DL_EPARSE, "%s: the .dist-info directory '%s' has no valid version after the project name",
		                    dir->name, show(nb, comp, clen));
	}
	bool same = dl_version_eq(&a, &b);
	dl_version_clear(&a);
	dl_version_clear(&b);
	if (!same)
		return dl_error_set(DL_EPARSE, "%s: the .dist-info directory '%s' is for version %.*s, not %s",
		                    dir->name, show(nb, comp, clen), (int)(vlen > 64 ? 64 : vlen), ver, version);
	return 0;
}

int dl_zipdir_wheel_dist_info(const char **dist_info, size_t *dist_info_len, const dl_zipdir *dir,
                              const char *project, const char *version)
{
	char n1[128], n2[128];
	const char *found = NULL;
	size_t found_len = 0;
	for (size_t i = 0; i < dir->count; i++) {
		const dl_zip_entry *e = &dir->entries[i];
		const char *slash = memchr(e->name, '/', e->name_len);
		size_t clen = slash != NULL ? (size_t)(slash - e->name) : e->name_len;
		if (clen <= DIST_INFO_LEN || memcmp(e->name + clen - DIST_INFO_LEN, DIST_INFO, DIST_INFO_LEN) != 0)
			continue;
		if (found == NULL) {
			found = e->name;
			found_len = clen;
		} else if (clen != found_len || memcmp(found, e->name, clen) != 0) {
			return dl_error_set(DL_EPARSE, "%s: the wheel has more than one .dist-info directory ('%s' and '%s')",
			                    dir->name, show(n1, found, found_len), show(n2, e->name, clen));
		}
	}
	if (found == NULL)
		return dl_error_set(DL_ENOTFOUND, "%s: the wheel has no .dist-info directory", dir->name);
	if (project != NULL) {
		size_t stem = found_len - DIST_INFO_LEN, plen = strlen(project);
		size_t k = 0;
		for (; k < stem; k++) {
			if (found[k] == '-' && dl_name_eq(found, k, project, plen))
				break;
		}
		if (k >= stem)
			return dl_error_set(DL_EPARSE, "%s: the .dist-info directory '%s' is not named for project '%s' (expected '<name>-<version>.dist-info' with the name equal to '%s' after normalisation)",
			                    dir->name, show(n1, found, found_len), project, project);
		if (version != NULL) {
			int rc = check_version(dir, found, found_len, found + k + 1, stem - k - 1, version);
			if (rc < 0)
				return rc;
		}
	}
	*dist_info = found;
	*dist_info_len = found_len;
	return 0;
}

int dl_zipdir_find_wheel_file(const dl_zip_entry **out, const dl_zipdir *dir, const char *project,
                              const char *version, const char *file)
{
	const char *di = NULL;
	size_t dlen = 0;
	int rc = dl_zipdir_wheel_dist_info(&di, &dlen, dir, project, version);
	if (rc < 0)
		return rc;
	size_t flen = strlen(file);
	char path[512];
	char nb[128];
	if (dlen + 1 + flen >= sizeof(path))
		return dl_error_set(DL_ENOTFOUND, "%s: no member '%s/%s'", dir->name, show(nb, di, dlen), file);
	memcpy(path, di, dlen);
	path[dlen] = '/';
	memcpy(path + dlen + 1, file, flen);
	const dl_zip_entry *e = dl_zipdir_find(dir, path, dlen + 1 + flen);
	if (e == NULL)
		return dl_error_set(DL_ENOTFOUND, "%s: the wheel has no member '%s/%s'", dir->name, show(nb, di, dlen), file);
	*out = e;
	return 0;
}

int dl_zipdir_find_wheel_metadata(const dl_zip_entry **out, const dl_zipdir *dir, const char *project,
                                  const char *version)
{
	return dl_zipdir_find_wheel_file(out, dir, project, version, "METADATA");
}

dl_zip_range dl_zipdir_member_range(const dl_zipdir *dir, const dl_zip_entry *e)
{
	(void)dir;
	/* Each addend is below the file size (parse checked csize, names and
	 * extras are 16-bit), so the sum cannot wrap. */
	uint64_t len = LOCAL_SIZE + (uint64_t)e->name_len + e->central_extra_len + DL_ZIP_RANGE_SLACK + e->csize;
	uint64_t room = e->end_bound - e->local_offset;
	dl_zip_range r = {e->local_offset, len < room ? len : room};
	return r;
}

static void *z_alloc(void *opaque, uInt items, uInt size)
{
	(void)opaque;
	if (size != 0 && items > SIZE_MAX / size)
		return NULL;
	return dl_malloc((size_t)items * size);
}

static void z_free(void *opaque, void *p)
{
	(void)opaque;
	dl_free(p);
}

static int inflate_member(dl_buf *out, const dl_zipdir *dir, const dl_zip_entry *e, const char *nm,
                          const unsigned char *data, uLong *crc)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	zs.zalloc = z_alloc;
	zs.zfree = z_free;
	int zr = inflateInit2(&zs, -MAX_WBITS);
	if (zr == Z_MEM_ERROR)
		return dl_error_oom();
	if (zr != Z_OK)
		return dl_error_set(DL_ERROR, "%s: zlib could not start inflating (%d)", dir->name, zr);
	unsigned char chunk[16384];
	uint64_t in_left = e->csize, total = 0;
	int rc = 0;
	for (;;) {
		if (zs.avail_in == 0 && in_left > 0) {
			uInt n = in_left > (1u << 30) ? (1u << 30) : (uInt)in_left;
			zs.next_in = (unsigned char *)(uintptr_t)data; /* zlib does not write through it */
			zs.avail_in = n;
			data += n;
			in_left -= n;
		}
		zs.next_out = chunk;
		zs.avail_out = sizeof(chunk);
		zr = inflate(&zs, Z_NO_FLUSH);
		size_t got = sizeof(chunk) - zs.avail_out;
		if (got > 0) {
			if (got > e->usize - total) {
				rc = dl_error_set(DL_EPARSE, "%s: member '%s' (entry %zu) inflates to more than its declared %" PRIu64 " bytes",
				                  dir->name, nm, e->index, e->usize);
				break;
			}
			*crc = crc32(*crc, chunk, (uInt)got);
			total += got;
			if ((rc = dl_buf_put(out, chunk, got)) < 0)
				break;
		}
		if (zr == Z_STREAM_END)
			break;
		if (zr == Z_MEM_ERROR) {
			rc = dl_error_oom();
			break;
		}
		if (zr == Z_DATA_ERROR || zr == Z_NEED_DICT || zr == Z_STREAM_ERROR) {
			rc = dl_error_set(DL_EPARSE, "%s: member '%s' (entry %zu) has corrupt deflate data after %" PRIu64 " output bytes: %s",
			                  dir->name, nm, e->index, total, zs.msg != NULL ? zs.msg : "invalid stream");
			break;
		}
		if (got == 0 && zs.avail_in == 0 && in_left == 0) {
			rc = dl_error_set(DL_EPARSE, "%s: member '%s' (entry %zu): its %" PRIu64 " bytes of deflate data end before the deflate stream does",
			                  dir->name, nm, e->index, e->csize);
			break;
		}
	}
	if (rc == 0 && (zs.avail_in > 0 || in_left > 0))
		rc = dl_error_set(DL_EPARSE, "%s: member '%s' (entry %zu): the deflate stream ends %" PRIu64 " bytes before its compressed data does",
		                  dir->name, nm, e->index, (uint64_t)zs.avail_in + in_left);
	inflateEnd(&zs);
	return rc;
}

static int extract(dl_buf *out, dl_zip_range *need, const dl_zipdir *dir, const dl_zip_entry *e,
                   const void *bytes, size_t len, uint64_t bytes_offset, size_t max)
{
	char nb[128], lb[128];
	const char *nm = show(nb, e->name, e->name_len);
	/* What the central directory alone can refuse, before any fetch. */
	if (e->method != DL_ZIP_STORED && e->method != DL_ZIP_DEFLATE)
		return dl_error_set(DL_EUNSUPPORTED, "%s: member '%s' (entry %zu) uses compression method %u (%s); only stored (0) and deflate (8) are supported",
		                    dir->name, nm, e->index, e->method, method_name(e->method));
	/* zipfile refuses to read "compressed patched data" (flag bit 5). */
	if (e->flags & FLAG_PATCHED)
		return dl_error_set(DL_EUNSUPPORTED, "%s: member '%s' (entry %zu) holds compressed patched data (flag bit 5)",
		                    dir->name, nm, e->index);
	if (e->usize > max)
		return dl_error_set(DL_ELIMIT, "%s: member '%s' (entry %zu) is %" PRIu64 " bytes uncompressed, more than the limit of %zu",
		                    dir->name, nm, e->index, e->usize, max);
	if (e->method == DL_ZIP_STORED && e->csize != e->usize)
		return dl_error_set(DL_EPARSE, "%s: member '%s' (entry %zu) is stored but its compressed size %" PRIu64 " differs from its size %" PRIu64,
		                    dir->name, nm, e->index, e->csize, e->usize);

	view v = {bytes, bytes_offset, bytes != NULL ? len : 0};
	uint64_t lo = e->local_offset;
	const unsigned char *h = view_at(&v, lo, LOCAL_SIZE);
	if (h == NULL) {
		if (need != NULL)
			*need = dl_zipdir_member_range(dir, e);
		return DL_ZIP_NEED_MORE;
	}
	if (rd32(h) != SIG_LOCAL)
		return dl_error_set(DL_EPARSE, "%s: member '%s' (entry %zu): no local header signature (PK\\3\\4) at offset %" PRIu64,
		                    dir->name, nm, e->index, lo);
	uint16_t lflags = rd16(h + 6), lmethod = rd16(h + 8);
	uint64_t lname = rd16(h + 26), lextra = rd16(h + 28);
	uint64_t head = LOCAL_SIZE + lname + lextra;
	uint64_t room = e->end_bound - lo;
	if (head > room || e->csize > room - head)
		return dl_error_set(DL_EPARSE, "%s: member '%s' (entry %zu) at offset %" PRIu64 ": its local header (%" PRIu64 " bytes) and %" PRIu64 " bytes of data run past offset %" PRIu64 " where the next member or the central directory starts",
		                    dir->name, nm, e->index, lo, head, e->csize, e->end_bound);
	const unsigned char *all = view_at(&v, lo, head + e->csize);
	if (all == NULL) {
		if (need != NULL) {
			need->offset = lo;
			need->len = head + e->csize;
		}
		return DL_ZIP_NEED_MORE;
	}
	if (lname != e->name_len || memcmp(all + LOCAL_SIZE, e->name, e->name_len) != 0)
		return dl_error_set(DL_EPARSE, "%s: member '%s' (entry %zu): its local header at offset %" PRIu64 " names '%s'",
		                    dir->name, nm, e->index, lo, show(lb, (const char *)all + LOCAL_SIZE, (size_t)lname));
	if (lflags & (FLAG_ENCRYPTED | FLAG_STRONG))
		return dl_error_set(DL_EUNSUPPORTED, "%s: member '%s' (entry %zu) is encrypted (local flags 0x%04x)",
		                    dir->name, nm, e->index, lflags);
	if (lmethod != e->method)
		return dl_error_set(DL_EPARSE, "%s: member '%s' (entry %zu): its local header says compression method %u, the central directory %u",
		                    dir->name, nm, e->index, lmethod, e->method);

	const unsigned char *data = all + head;
	dl_buf_reset(out);
	uLong crc = crc32(0L, Z_NULL, 0);
	int rc = 0;
	if (e->method == DL_ZIP_STORED) {
		/* crc32 takes uInt lengths: feed it in pieces. */
		for (uint64_t done = 0; done < e->csize;) {
			uInt n = e->csize - done > (1u << 30) ? (1u << 30) : (uInt)(e->csize - done);
			crc = crc32(crc, data + done, n);
			done += n;
		}
		rc = dl_buf_put(out, data, (size_t)e->csize);
	} else {
		rc = inflate_member(out, dir, e, nm, data, &crc);
	}
	if (rc == 0 && out->len != e->usize)
		rc = dl_error_set(DL_EPARSE, "%s: member '%s' (entry %zu) holds %zu bytes, the central directory says %" PRIu64,
		                  dir->name, nm, e->index, out->len, e->usize);
	if (rc == 0 && (uint32_t)crc != e->crc32)
		rc = dl_error_set(DL_EPARSE, "%s: member '%s' (entry %zu) has CRC-32 %08" PRIx32 ", the central directory says %08" PRIx32,
		                  dir->name, nm, e->index, (uint32_t)crc, e->crc32);
	return rc;
}

int dl_zip_member_extract(dl_buf *out, dl_zip_range *need, const dl_zipdir *dir, const dl_zip_entry *e,
                          const void *bytes, size_t len, uint64_t bytes_offset, size_t max)
{
	int rc = extract(out, need, dir, e, bytes, len, bytes_offset, max);
	if (rc < 0)
		dl_buf_reset(out);
	return rc;
}
