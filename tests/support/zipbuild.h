/*
 * zipbuild.h - writes zip archives into memory for the zip reader's tests
 * and its fuzz seeds: stored and deflate members, ZIP64 (forced), data
 * descriptors, comments, and the knobs that make each kind of corruption.
 * Header-only (static functions) so that a test or a tool can include it
 * without another library; it uses malloc and zlib directly, since it is
 * test code, not the library.
 */
#ifndef DL_ZIPBUILD_H
#define DL_ZIPBUILD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

typedef struct zb_member {
	const char *name;
	const void *data;
	size_t len;
	int method;             /* 0 stored, 8 deflate, other: stored bytes, that method number */
	bool descriptor;        /* flag bit 3: zero local sizes, a data descriptor after the data */
	bool zip64;             /* ZIP64 extra fields in the local and central headers */
	uint16_t flags;         /* extra flag bits (1 = encrypted) */
	uint32_t crc_xor;       /* corrupt the recorded CRC-32 */
	int64_t usize_delta;    /* corrupt the recorded uncompressed size */
	const char *local_name; /* a different name in the local header */
	size_t local_extra;     /* bytes of padding extra field in the local header */
	size_t name_len;        /* bytes of name when it holds a NUL (0: strlen) */
} zb_member;

typedef struct zb_opts {
	const char *comment;
	size_t comment_len;
	bool zip64_end;       /* a ZIP64 end record and locator */
	bool zip64_markers;   /* with 0xFFFF.. markers in the 32-bit end record */
	size_t trailing;      /* garbage bytes after the comment */
} zb_opts;

typedef struct zb_zip {
	unsigned char *data;
	size_t len, cap;
	size_t local_off[64];
	size_t central_off[64];
	size_t cd_off, cd_size, eocd_off, eocd64_off;
} zb_zip;

static inline void zb_put(zb_zip *z, const void *p, size_t n)
{
	if (z->len + n > z->cap) {
		size_t cap = z->cap ? z->cap : 4096;
		while (cap < z->len + n)
			cap *= 2;
		z->data = realloc(z->data, cap);
		if (z->data == NULL)
			abort();
		z->cap = cap;
	}
	if (n > 0)
		memcpy(z->data + z->len, p, n);
	z->len += n;
}

static inline void zb_u16(zb_zip *z, uint32_t v)
{
	unsigned char b[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
	zb_put(z, b, 2);
}

static inline void zb_u32(zb_zip *z, uint32_t v)
{
	zb_u16(z, v & 0xFFFF);
	zb_u16(z, v >> 16);
}

static inline void zb_u64(zb_zip *z, uint64_t v)
{
	zb_u32(z, (uint32_t)v);
	zb_u32(z, (uint32_t)(v >> 32));
}

/* Raw deflate of [p, p+n) into a new malloc'd buffer. */
static inline unsigned char *zb_deflate(const void *p, size_t n, size_t *out_len)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	size_t cap = deflateBound(&zs, (uLong)n) + 16;
	unsigned char *out = malloc(cap);
	zs.next_in = (unsigned char *)(uintptr_t)p;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
		abort();
	*out_len = cap - zs.avail_out;
	deflateEnd(&zs);
	return out;
}

/* Build the archive of `n` members; free z->data with free(). */
static inline void zb_build(zb_zip *z, const zb_member *m, size_t n, const zb_opts *o)
{
	static const zb_opts none = {0};
	if (o == NULL)
		o = &none;
	memset(z, 0, sizeof(*z));
	unsigned char *comp[64];
	size_t clen[64];
	uint32_t crc[64];
	for (size_t i = 0; i < n; i++) {
		crc[i] = (uint32_t)crc32(0, (const unsigned char *)m[i].data, (uInt)m[i].len) ^ m[i].crc_xor;
		if (m[i].method == 8) {
			comp[i] = zb_deflate(m[i].data, m[i].len, &clen[i]);
		} else {
			comp[i] = malloc(m[i].len + 1);
			if (m[i].len > 0)
				memcpy(comp[i], m[i].data, m[i].len);
			clen[i] = m[i].len;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const zb_member *e = &m[i];
		const char *lname = e->local_name ? e->local_name : e->name;
		size_t lnlen = e->local_name ? strlen(lname) : (e->name_len ? e->name_len : strlen(lname));
		uint16_t flags = (uint16_t)(e->flags | (e->descriptor ? 8 : 0));
		uint64_t usize = (uint64_t)((int64_t)e->len + e->usize_delta);
		z->local_off[i] = z->len;
		zb_u32(z, 0x04034b50);
		zb_u16(z, e->zip64 ? 45 : 20);
		zb_u16(z, flags);
		zb_u16(z, (uint32_t)e->method);
		zb_u16(z, 0);
		zb_u16(z, 0x21);
		zb_u32(z, e->descriptor ? 0 : crc[i]);
		if (e->zip64) {
			zb_u32(z, 0xFFFFFFFF);
			zb_u32(z, 0xFFFFFFFF);
		} else {
			zb_u32(z, e->descriptor ? 0 : (uint32_t)clen[i]);
			zb_u32(z, e->descriptor ? 0 : (uint32_t)usize);
		}
		zb_u16(z, (uint32_t)lnlen);
		zb_u16(z, (uint32_t)(e->local_extra + (e->zip64 ? 20 : 0)));
		zb_put(z, lname, lnlen);
		if (e->zip64) {
			zb_u16(z, 1);
			zb_u16(z, 16);
			zb_u64(z, e->descriptor ? 0 : usize);
			zb_u64(z, e->descriptor ? 0 : clen[i]);
		}
		if (e->local_extra >= 4) {
			zb_u16(z, 0xCAFE);
			zb_u16(z, (uint32_t)(e->local_extra - 4));
			for (size_t k = 4; k < e->local_extra; k++)
				zb_put(z, "", 1);
		}
		zb_put(z, comp[i], clen[i]);
		if (e->descriptor) {
			zb_u32(z, 0x08074b50);
			zb_u32(z, crc[i]);
			if (e->zip64) {
				zb_u64(z, clen[i]);
				zb_u64(z, usize);
			} else {
				zb_u32(z, (uint32_t)clen[i]);
				zb_u32(z, (uint32_t)usize);
			}
		}
	}
	z->cd_off = z->len;
	for (size_t i = 0; i < n; i++) {
		const zb_member *e = &m[i];
		size_t nlen = e->name_len ? e->name_len : strlen(e->name);
		uint64_t usize = (uint64_t)((int64_t)e->len + e->usize_delta);
		z->central_off[i] = z->len;
		zb_u32(z, 0x02014b50);
		zb_u16(z, 0x031e);
		zb_u16(z, e->zip64 ? 45 : 20);
		zb_u16(z, (uint16_t)(e->flags | (e->descriptor ? 8 : 0)));
		zb_u16(z, (uint32_t)e->method);
		zb_u16(z, 0);
		zb_u16(z, 0x21);
		zb_u32(z, crc[i]);
		zb_u32(z, e->zip64 ? 0xFFFFFFFF : (uint32_t)clen[i]);
		zb_u32(z, e->zip64 ? 0xFFFFFFFF : (uint32_t)usize);
		zb_u16(z, (uint32_t)nlen);
		zb_u16(z, e->zip64 ? 28 : 0);
		zb_u16(z, 0);
		zb_u16(z, 0);
		zb_u16(z, 0);
		zb_u32(z, 0644u << 16);
		zb_u32(z, e->zip64 ? 0xFFFFFFFF : (uint32_t)z->local_off[i]);
		zb_put(z, e->name, nlen);
		if (e->zip64) {
			zb_u16(z, 1);
			zb_u16(z, 24);
			zb_u64(z, usize);
			zb_u64(z, clen[i]);
			zb_u64(z, z->local_off[i]);
		}
	}
	z->cd_size = z->len - z->cd_off;
	if (o->zip64_end) {
		z->eocd64_off = z->len;
		zb_u32(z, 0x06064b50);
		zb_u64(z, 44);
		zb_u16(z, 45);
		zb_u16(z, 45);
		zb_u32(z, 0);
		zb_u32(z, 0);
		zb_u64(z, n);
		zb_u64(z, n);
		zb_u64(z, z->cd_size);
		zb_u64(z, z->cd_off);
		zb_u32(z, 0x07064b50);
		zb_u32(z, 0);
		zb_u64(z, z->eocd64_off);
		zb_u32(z, 1);
	}
	z->eocd_off = z->len;
	zb_u32(z, 0x06054b50);
	zb_u16(z, 0);
	zb_u16(z, 0);
	zb_u16(z, o->zip64_markers ? 0xFFFF : (uint32_t)n);
	zb_u16(z, o->zip64_markers ? 0xFFFF : (uint32_t)n);
	zb_u32(z, o->zip64_markers ? 0xFFFFFFFF : (uint32_t)z->cd_size);
	zb_u32(z, o->zip64_markers ? 0xFFFFFFFF : (uint32_t)z->cd_off);
	zb_u16(z, (uint32_t)o->comment_len);
	zb_put(z, o->comment, o->comment_len);
	for (size_t k = 0; k < o->trailing; k++)
		zb_put(z, "x", 1);
	for (size_t i = 0; i < n; i++)
		free(comp[i]);
}

/* Overwrite little-endian values at an offset of a built archive. */
static inline void zb_set16(zb_zip *z, size_t off, uint32_t v)
{
	z->data[off] = (unsigned char)v;
	z->data[off + 1] = (unsigned char)(v >> 8);
}

static inline void zb_set32(zb_zip *z, size_t off, uint32_t v)
{
	zb_set16(z, off, v & 0xFFFF);
	zb_set16(z, off + 2, v >> 16);
}

#endif
