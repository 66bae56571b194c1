/*
 * simple_page_check.h - the body shared by fuzz_simple_html.c and
 * fuzz_simple_json.c: each defines FORMAT and includes this, so that a link
 * is checked the same way whichever format carried it.
 *
 * The input is parsed as a project page and as the root list, each against
 * a fixed page URL with credentials.  A failure must be one of the
 * parser's documented codes with a message naming the page, redacted.  A
 * success must honour the model's promises: every URL (files, provenance,
 * PEP 708 lists, projects) is absolute, http/https/file, without a
 * fragment, and resolves to itself; every file name is plain; every hash
 * is lower-case hex of its algorithm's length, sorted, one per algorithm;
 * at most DL_INDEX_MAX_WARNINGS warnings, none with a control character.
 * Each parse is repeated under other credentials of the same length and
 * must say exactly the same things, which shows that no message carries
 * the password whatever the page spells.  A parsed page must survive the
 * cache's encoding unchanged, and the input itself is also given to that
 * encoding's decoder.  Any violation aborts.
 * Deterministic and leak-free.
 */
#ifndef FORMAT
#error "define FORMAT (DL_INDEX_HTML or DL_INDEX_JSON) before including simple_page_check.h"
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/index.h"
#include "deeplock/name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PAGE_URL "https://user:hunter2@index.example/simple/pkg/"

/* The same page under other credentials (same length): every warning
 * and error must come out byte for byte the same, which proves that no
 * message carries the page URL's password, whatever the page spells. */
#define OTHER_URL "https://user:swordfi@index.example/simple/pkg/"

static void check_url(const char *url)
{
	if (url == NULL)
		return;
	if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0 && strncmp(url, "file://", 7) != 0)
		abort();
	if (strchr(url, '#') != NULL)
		abort();
	char *again = NULL;
	if (dl_index_url_resolve(&again, NULL, "http://elsewhere.example/a/b", url, strlen(url)) != 0)
		abort();
	if (strcmp(again, url) != 0)
		abort();
	dl_free(again);
}

static void check_hashes(const dl_index_hashes *h)
{
	static const size_t hexlen[DL_INDEX_HASH_ALG_COUNT] = {32, 40, 56, 64, 96, 128};
	for (size_t i = 0; i < h->count; i++) {
		const dl_index_hash *x = &h->items[i];
		if ((unsigned)x->alg >= DL_INDEX_HASH_ALG_COUNT || strlen(x->hex) != hexlen[x->alg])
			abort();
		if (i > 0 && h->items[i - 1].alg >= x->alg)
			abort();
		if (x->weak != (x->alg < DL_INDEX_SHA256) || strcmp(x->name, dl_index_hash_alg_name(x->alg)) != 0)
			abort();
		for (const char *c = x->hex; *c != '\0'; c++) {
			if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
				abort();
		}
	}
}

static void check_warnings(const char *const *w, size_t n)
{
	if (n > DL_INDEX_MAX_WARNINGS)
		abort();
	for (size_t i = 0; i < n; i++) {
		for (const unsigned char *c = (const unsigned char *)w[i]; *c != '\0'; c++) {
			if (*c < 0x20 || *c == 0x7F)
				abort();
		}
	}
}

static void check_error(int rc, const void *out)
{
	if (out != NULL)
		abort();
	if (rc != DL_EPARSE && rc != DL_ELIMIT && rc != DL_EUNSUPPORTED)
		abort();
	const char *msg = dl_error_last()->message;
	if (strncmp(msg, "index page https://****@index.example/simple/pkg/: ", 51) != 0)
		abort();
}

static void check_page(const dl_index_page *p)
{
	check_warnings(p->warnings, p->warning_count);
	if (p->api_major != DL_INDEX_API_MAJOR)
		abort();
	if ((p->name == NULL) != (p->normalized == NULL))
		abort();
	if (p->name != NULL && !dl_name_is_valid(p->name, strlen(p->name)))
		abort();
	for (size_t i = 0; i < p->track_count; i++)
		check_url(p->tracks[i]);
	for (size_t i = 0; i < p->alternate_location_count; i++)
		check_url(p->alternate_locations[i]);
	for (size_t i = 0; i < p->file_count; i++) {
		const dl_index_file *f = &p->files[i];
		check_url(f->url);
		check_url(f->provenance);
		size_t n = strlen(f->filename);
		if (n == 0 || strcmp(f->filename, ".") == 0 || strcmp(f->filename, "..") == 0)
			abort();
		for (size_t k = 0; k < n; k++) {
			unsigned char c = (unsigned char)f->filename[k];
			if (c == '/' || c == '\\' || c < 0x20 || c == 0x7F)
				abort();
		}
		check_hashes(&f->hashes);
		check_hashes(&f->core_metadata.hashes);
		if (!f->core_metadata.available && f->core_metadata.hashes.count != 0)
			abort();
		if (f->yanked_reason != NULL && (!f->yanked || f->yanked_reason[0] == '\0'))
			abort();
		if (f->size < -1)
			abort();
	}
}

/* The cache's encoding of a parsed page (page_codec.c): decoding it gives
 * a page that encodes to the same bytes and keeps the model's promises. */
static void check_codec(const dl_index_page *p)
{
	dl_buf a = DL_BUF_INIT, b = DL_BUF_INIT;
	dl_index_page *q = NULL;
	if (dl_index_page_encode(p, &a) != 0 || dl_index_page_decode(&q, a.ptr, a.len) != 0)
		abort();
	check_page(q);
	if (dl_index_page_encode(q, &b) != 0 || a.len != b.len || memcmp(a.ptr, b.ptr, a.len) != 0)
		abort();
	dl_index_page_free(q);
	dl_buf_free(&a);
	dl_buf_free(&b);
}

/* Hostile bytes given to the decoder: a failure is DL_EPARSE; a success
 * is the canonical encoding of what it decoded. */
static void decode_raw(const uint8_t *data, size_t size)
{
	dl_index_page *q = NULL;
	int rc = dl_index_page_decode(&q, data, size);
	if (rc != 0) {
		if (rc != DL_EPARSE || q != NULL)
			abort();
		return;
	}
	dl_buf b = DL_BUF_INIT;
	if (dl_index_page_encode(q, &b) != 0 || b.len != size || memcmp(b.ptr, data, size) != 0)
		abort();
	dl_buf_free(&b);
	dl_index_page_free(q);
}

/* What a run said: its code and its error message or warnings. */
static void describe(dl_buf *b, int rc, const char *const *w, size_t n, size_t items)
{
	dl_buf_printf(b, "%d %zu\n", rc, items);
	if (rc != 0)
		dl_buf_puts(b, dl_error_last()->message);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		dl_buf_puts(b, w[i]);
		dl_buf_putc(b, '\n');
	}
	if (b->failed)
		abort();
}

static void parse_page(const uint8_t *data, size_t size, const dl_index_parse_opts *opts, dl_buf *said, const char *url,
                       bool check)
{
	dl_index_page *page = NULL;
	int rc = dl_index_page_parse_format(&page, FORMAT, data, size, url, opts);
	describe(said, rc, rc == 0 ? page->warnings : NULL, rc == 0 ? page->warning_count : 0,
	         rc == 0 ? page->file_count : 0);
	if (rc == 0) {
		if (check) {
			check_page(page);
			check_codec(page);
		}
		dl_index_page_free(page);
	} else {
		check_error(rc, page);
	}
}

static void parse_list(const uint8_t *data, size_t size, const dl_index_parse_opts *opts, dl_buf *said, const char *url,
                       bool check)
{
	dl_index_list *list = NULL;
	int rc = dl_index_list_parse_format(&list, FORMAT, data, size, url, opts);
	describe(said, rc, rc == 0 ? list->warnings : NULL, rc == 0 ? list->warning_count : 0,
	         rc == 0 ? list->project_count : 0);
	if (rc == 0) {
		check_warnings(list->warnings, list->warning_count);
		for (size_t i = 0; check && i < list->project_count; i++) {
			const dl_index_project *p = &list->projects[i];
			check_url(p->url);
			if (!dl_name_is_valid(p->name, strlen(p->name)))
				abort();
		}
		dl_index_list_free(list);
	} else {
		check_error(rc, list);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Small bounds, so that the limit paths are reachable. */
	dl_index_parse_opts opts = DL_INDEX_PARSE_OPTS_INIT;
	opts.max_files = 64;
	opts.max_string = 1024;
	dl_buf a = DL_BUF_INIT, b = DL_BUF_INIT;
	decode_raw(data, size);
	parse_page(data, size, &opts, &a, PAGE_URL, true);
	parse_page(data, size, &opts, &b, OTHER_URL, false);
	if (strcmp(dl_buf_cstr(&a), dl_buf_cstr(&b)) != 0)
		abort();
	dl_buf_reset(&a);
	dl_buf_reset(&b);
	parse_list(data, size, &opts, &a, PAGE_URL, true);
	parse_list(data, size, &opts, &b, OTHER_URL, false);
	if (strcmp(dl_buf_cstr(&a), dl_buf_cstr(&b)) != 0)
		abort();
	dl_buf_free(&a);
	dl_buf_free(&b);
	return 0;
}
