/*
 * page_codec.c - a parsed project page in a compact binary form, so that a
 * page whose bytes the cache already holds is not parsed again (a warm
 * re-lock otherwise spends most of its time in the JSON parser and in URL
 * resolution).
 *
 * Layout (integers little-endian; a string is a u32 length, 0xffffffff for
 * NULL, then its bytes):
 *   "dlpage1\n"
 *   u8 format, i32 api_major, i32 api_minor, u8 has_versions, i64 last_serial
 *   str url, name, normalized, project_status, project_status_reason
 *   list versions, tracks, alternate_locations, warnings (u32 count, strs)
 *   u32 file count, then per file:
 *     str filename, url, requires_python, yanked_reason, upload_time,
 *         provenance
 *     u8 flags (1 yanked, 2 core metadata available, 4 gpg signature)
 *     i64 size, hashes, core metadata hashes (u8 count, then u8 algorithm
 *     and str hex each)
 * The decoder trusts nothing: every length is checked against what is
 * left, every hash against its algorithm, and the input must end exactly
 * where the page does.  (The cache also verifies each entry's sha256.)
 */
#include <stdint.h>
#include <string.h>

#include "deeplock/index.h"
#include "simple_page.h"

#define MAGIC     "dlpage1\n"
#define MAGIC_LEN 8
#define NO_STRING 0xffffffffu

/* ------------------------------------------------------------------ */
/* Encoding                                                             */

static void put_u32(dl_buf *b, uint32_t v)
{
	unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
	                      (unsigned char)(v >> 24)};
	dl_buf_put(b, x, 4);
}

static void put_i64(dl_buf *b, int64_t v)
{
	uint64_t u = (uint64_t)v;
	put_u32(b, (uint32_t)u);
	put_u32(b, (uint32_t)(u >> 32));
}

static void put_str(dl_buf *b, const char *s)
{
	if (s == NULL) {
		put_u32(b, NO_STRING);
		return;
	}
	size_t n = strlen(s);
	if (n >= NO_STRING) {
		b->failed = DL_ELIMIT;
		return;
	}
	put_u32(b, (uint32_t)n);
	dl_buf_put(b, s, n);
}

static void put_list(dl_buf *b, const char *const *v, size_t n)
{
	put_u32(b, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		put_str(b, v[i]);
}

static void put_hashes(dl_buf *b, const dl_index_hashes *h)
{
	unsigned char n = (unsigned char)h->count;
	dl_buf_put(b, &n, 1);
	for (size_t i = 0; i < h->count; i++) {
		unsigned char alg = (unsigned char)h->items[i].alg;
		dl_buf_put(b, &alg, 1);
		put_str(b, h->items[i].hex);
	}
}

int dl_index_page_encode(const dl_index_page *p, dl_buf *out)
{
	dl_buf_put(out, MAGIC, MAGIC_LEN);
	unsigned char fmt = (unsigned char)p->format, hv = p->has_versions;
	dl_buf_put(out, &fmt, 1);
	put_u32(out, (uint32_t)p->api_major);
	put_u32(out, (uint32_t)p->api_minor);
	dl_buf_put(out, &hv, 1);
	put_i64(out, p->last_serial);
	put_str(out, p->url);
	put_str(out, p->name);
	put_str(out, p->normalized);
	put_str(out, p->project_status);
	put_str(out, p->project_status_reason);
	put_list(out, p->versions, p->version_count);
	put_list(out, p->tracks, p->track_count);
	put_list(out, p->alternate_locations, p->alternate_location_count);
	put_list(out, p->warnings, p->warning_count);
	put_u32(out, (uint32_t)p->file_count);
	for (size_t i = 0; i < p->file_count; i++) {
		const dl_index_file *f = &p->files[i];
		put_str(out, f->filename);
		put_str(out, f->url);
		put_str(out, f->requires_python);
		put_str(out, f->yanked_reason);
		put_str(out, f->upload_time);
		put_str(out, f->provenance);
		unsigned char flags =
		    (unsigned char)((f->yanked ? 1 : 0) | (f->core_metadata.available ? 2 : 0) | (f->gpg_sig ? 4 : 0));
		dl_buf_put(out, &flags, 1);
		put_i64(out, f->size);
		put_hashes(out, &f->hashes);
		put_hashes(out, &f->core_metadata.hashes);
	}
	if (out->failed)
		return out->failed == DL_ENOMEM ? dl_error_oom() : dl_error_set(out->failed, "index page too large to encode");
	return 0;
}

/* ------------------------------------------------------------------ */
/* Decoding                                                             */

typedef struct reader {
	const unsigned char *p, *end;
	dl_arena *a;
	int rc; /* 0, DL_EPARSE or DL_ENOMEM */
} reader;

static bool need(reader *r, size_t n)
{
	if (r->rc == 0 && (size_t)(r->end - r->p) < n)
		r->rc = DL_EPARSE;
	return r->rc == 0;
}

static uint8_t get_u8(reader *r)
{
	return need(r, 1) ? *r->p++ : 0;
}

static uint32_t get_u32(reader *r)
{
	if (!need(r, 4))
		return 0;
	uint32_t v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
	r->p += 4;
	return v;
}

static int64_t get_i64(reader *r)
{
	uint64_t lo = get_u32(r), hi = get_u32(r);
	return (int64_t)(lo | hi << 32);
}

static const char *get_str(reader *r)
{
	uint32_t n = get_u32(r);
	if (r->rc != 0 || n == NO_STRING || !need(r, n))
		return NULL;
	if (memchr(r->p, '\0', n) != NULL) {
		r->rc = DL_EPARSE;
		return NULL;
	}
	char *s = dl_arena_strndup(r->a, (const char *)r->p, n);
	if (s == NULL)
		r->rc = DL_ENOMEM;
	r->p += n;
	return s;
}

/* A count of items that each take at least `min` bytes: bounded by what
 * is left, so a hostile count cannot ask for a huge allocation. */
static size_t get_count(reader *r, size_t min)
{
	uint32_t n = get_u32(r);
	if (r->rc == 0 && (size_t)n > (size_t)(r->end - r->p) / min)
		r->rc = DL_EPARSE;
	return r->rc == 0 ? n : 0;
}

static void *get_array(reader *r, size_t n, size_t size)
{
	if (r->rc != 0)
		return NULL;
	void *v = dl_arena_calloc(r->a, n + 1, size);
	if (v == NULL)
		r->rc = DL_ENOMEM;
	return v;
}

static const char *const *get_list(reader *r, size_t *n_out)
{
	size_t n = get_count(r, 4);
	const char **v = get_array(r, n, sizeof(*v));
	for (size_t i = 0; i < n && r->rc == 0; i++)
		if ((v[i] = get_str(r)) == NULL && r->rc == 0)
			r->rc = DL_EPARSE; /* lists hold no NULLs */
	*n_out = r->rc == 0 ? n : 0;
	return v;
}

static void get_hashes(reader *r, dl_index_hashes *h)
{
	size_t n = get_u8(r);
	if (n > DL_INDEX_HASH_ALG_COUNT)
		r->rc = DL_EPARSE;
	dl_index_hash *items = get_array(r, n, sizeof(*items));
	int last = -1;
	for (size_t i = 0; i < n && r->rc == 0; i++) {
		unsigned alg = get_u8(r);
		const char *hex = get_str(r);
		size_t want = dl_simple_hash_hexlen((dl_index_hash_alg)alg);
		if (r->rc != 0)
			break;
		/* one per algorithm, weakest first, lower-case hex of the right length */
		if (want == 0 || (int)alg <= last || hex == NULL || strlen(hex) != want) {
			r->rc = DL_EPARSE;
			break;
		}
		for (size_t k = 0; k < want; k++)
			if (!((hex[k] >= '0' && hex[k] <= '9') || (hex[k] >= 'a' && hex[k] <= 'f')))
				r->rc = DL_EPARSE;
		last = (int)alg;
		items[i] = (dl_index_hash){(dl_index_hash_alg)alg, dl_index_hash_alg_name((dl_index_hash_alg)alg), hex,
		                           alg <= DL_INDEX_SHA224};
	}
	h->items = items;
	h->count = r->rc == 0 ? n : 0;
}

int dl_index_page_decode(dl_index_page **out, const void *data, size_t len)
{
	*out = NULL;
	reader r = {data, (const unsigned char *)data + len, NULL, 0};
	if (len < MAGIC_LEN || memcmp(data, MAGIC, MAGIC_LEN) != 0)
		return dl_error_set(DL_EPARSE, "not an encoded index page");
	r.p += MAGIC_LEN;
	if (dl_arena_new(&r.a) != 0)
		return dl_error_oom();
	dl_index_page *p = dl_arena_calloc(r.a, 1, sizeof(*p));
	if (p == NULL)
		r.rc = DL_ENOMEM;
	if (r.rc == 0) {
		p->arena = r.a;
		unsigned fmt = get_u8(&r);
		p->format = (dl_index_format)fmt;
		if (fmt != DL_INDEX_HTML && fmt != DL_INDEX_JSON)
			r.rc = DL_EPARSE;
		p->api_major = (int)get_u32(&r);
		p->api_minor = (int)get_u32(&r);
		unsigned hv = get_u8(&r);
		p->has_versions = hv == 1;
		if (hv > 1)
			r.rc = DL_EPARSE;
		p->last_serial = get_i64(&r);
		p->url = get_str(&r);
		p->name = get_str(&r);
		p->normalized = get_str(&r);
		p->project_status = get_str(&r);
		p->project_status_reason = get_str(&r);
		if (r.rc == 0 && p->url == NULL)
			r.rc = DL_EPARSE;
		p->versions = get_list(&r, &p->version_count);
		p->tracks = get_list(&r, &p->track_count);
		p->alternate_locations = get_list(&r, &p->alternate_location_count);
		p->warnings = get_list(&r, &p->warning_count);
		size_t n = get_count(&r, 6 * 4 + 1 + 8 + 2);
		dl_index_file *files = get_array(&r, n, sizeof(*files));
		for (size_t i = 0; i < n && r.rc == 0; i++) {
			dl_index_file *f = &files[i];
			f->filename = get_str(&r);
			f->url = get_str(&r);
			f->requires_python = get_str(&r);
			f->yanked_reason = get_str(&r);
			f->upload_time = get_str(&r);
			f->provenance = get_str(&r);
			unsigned flags = get_u8(&r);
			f->yanked = (flags & 1) != 0;
			f->core_metadata.available = (flags & 2) != 0;
			f->gpg_sig = (flags & 4) != 0;
			f->size = get_i64(&r);
			get_hashes(&r, &f->hashes);
			get_hashes(&r, &f->core_metadata.hashes);
			if (r.rc == 0 && (f->filename == NULL || f->url == NULL || flags > 7 || f->size < -1 ||
			                  f->filename[0] == '\0' || strchr(f->filename, '/') != NULL))
				r.rc = DL_EPARSE;
		}
		p->files = files;
		p->file_count = r.rc == 0 ? n : 0;
		if (r.rc == 0 && r.p != r.end)
			r.rc = DL_EPARSE;
	}
	if (r.rc != 0) {
		dl_arena_free(r.a);
		return r.rc == DL_ENOMEM ? dl_error_oom() : dl_error_set(DL_EPARSE, "malformed encoded index page");
	}
	*out = p;
	return 0;
}
