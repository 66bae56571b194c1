/*
 * simple_page.h - what the Simple API parsers share (private to src/lib/net).
 *
 * simple_page.c owns the model under construction (a dl_simple_ctx): the
 * arena, the growing lists, the warnings, URL resolution and every check
 * that does not depend on the format.  simple_html.c and simple_json.c only
 * walk their documents and feed values in, so that a link means the same
 * thing whichever format carried it.
 *
 * Functions that may skip an item return DL_SIMPLE_SKIP after recording a
 * warning; 0 means use it; a negative DL_E* code is an error already stored.
 */
#ifndef DL_NET_SIMPLE_PAGE_H
#define DL_NET_SIMPLE_PAGE_H

#include <curl/curl.h>

#include "deeplock/index.h"

#define DL_SIMPLE_SKIP 1

/* A growable array of `size`-byte items, copied into the arena at the end
 * (dl_realloc_array underneath, so allocation failures are injectable). */
typedef struct dl_simple_vec {
	void *items;
	size_t count;
	size_t cap;
	size_t size;
} dl_simple_vec;

/* The hashes of one file while it is read: one slot per algorithm. */
typedef struct dl_simple_hashset {
	const char *hex[DL_INDEX_HASH_ALG_COUNT]; /* arena strings, lower-case */
} dl_simple_hashset;

typedef struct dl_simple_ctx {
	dl_arena *arena;
	const char *url;     /* the page URL, arena copy */
	const char *shown;   /* the page URL redacted, for messages */
	const char *project; /* opts->project, borrowed */
	size_t max_files;
	size_t max_string;
	CURLU *base; /* what relative links resolve against */
	int api_major, api_minor;
	const char *name;
	const char *status, *status_reason;
	int64_t last_serial;
	bool has_versions;
	dl_simple_vec warnings; /* const char * */
	size_t warnings_dropped;
	dl_simple_vec files;                        /* dl_index_file */
	dl_simple_vec projects;                     /* dl_index_project */
	dl_simple_vec versions, tracks, alternates; /* const char * */
} dl_simple_ctx;

/* Fail with `code`: the message is "index page <redacted url>: <fmt>". */
int dl_simple_fail(dl_simple_ctx *ctx, int code, const char *fmt, ...) DL_PRINTF(3, 4);

/* Hex digits of an algorithm's digest; 0 for a bad value. */
size_t dl_simple_hash_hexlen(dl_index_hash_alg alg);

/* Record a warning (formatted into the arena).  Fails only with DL_ENOMEM. */
int dl_simple_warn(dl_simple_ctx *ctx, const char *fmt, ...) DL_PRINTF(2, 3);

/* Copy [s, s+len) into the arena, refusing more than max_string bytes with
 * DL_ELIMIT; `what` and `where` name the value in the message. */
int dl_simple_str(dl_simple_ctx *ctx, const char **out, const char *s, size_t len, const char *what, const char *where);

/* Parse an api-version value ("1.1") and apply PEP 629: another major is
 * DL_EUNSUPPORTED, a newer minor a warning, garbage DL_EPARSE. */
int dl_simple_api_version(dl_simple_ctx *ctx, const char *s, size_t len, const char *where);

/* Make an HTML <base href> the base of later links (itself resolved against
 * the page URL).  An unusable one is ignored with a warning. */
int dl_simple_set_base(dl_simple_ctx *ctx, const char *href, size_t len, const char *where);

/* Make the base end in '/', so that "name/" resolves below it (PEP 691
 * project lists give names, and the root URL may lack its slash). */
int dl_simple_base_as_directory(dl_simple_ctx *ctx);

/* Resolve a link against the base.  *url_out gets the absolute URL without
 * fragment (arena); *frag_out, when not NULL, the raw fragment or NULL
 * (dl_malloc'd, the caller frees); *filename_out, when not NULL, the
 * percent-decoded last path segment, checked like dl_simple_check_filename.
 * Returns DL_SIMPLE_SKIP, with a warning, for an unusable link. */
int dl_simple_resolve(dl_simple_ctx *ctx, const char *ref, size_t len, const char *where, const char **url_out,
                      char **frag_out, const char **filename_out);

/* Add the hash "name=value" to `set`.  Unknown algorithms are ignored (0);
 * a value that is not hex of the right length, or that contradicts one
 * already in the set, is DL_SIMPLE_SKIP with a warning. */
int dl_simple_hash_add(dl_simple_ctx *ctx, dl_simple_hashset *set, const char *name, size_t name_len, const char *value,
                       size_t value_len, const char *where);

/* Add the hashes of a URL fragment ("sha256=...", several joined by '&'). */
int dl_simple_fragment_hashes(dl_simple_ctx *ctx, dl_simple_hashset *set, const char *frag, const char *where);

/* Turn a hash set into the model's sorted array (arena). */
int dl_simple_hashes_finish(dl_simple_ctx *ctx, const dl_simple_hashset *set, dl_index_hashes *out);

/* Interpret an HTML data-core-metadata / data-dist-info-metadata value
 * (NULL for a bare attribute). */
int dl_simple_metadata_attr(dl_simple_ctx *ctx, const char *value, dl_index_core_metadata *out, const char *where);

/* DL_SIMPLE_SKIP, with a warning, for a file name that is empty, "." or
 * "..", holds '/', '\\' or a control character, or is not UTF-8. */
int dl_simple_check_filename(dl_simple_ctx *ctx, const char *name, size_t len, const char *where);

/* Append a file (its strings already in the arena); DL_ELIMIT past max_files. */
int dl_simple_push_file(dl_simple_ctx *ctx, const dl_index_file *file);

/* Append a project of the root page; a name that is not valid is skipped
 * with a warning.  `url` is already resolved (arena). */
int dl_simple_push_project(dl_simple_ctx *ctx, const char *name, size_t len, const char *url, const char *where);

/* Append a copy of a string to one of the ctx's string lists. */
int dl_simple_push_string(dl_simple_ctx *ctx, dl_simple_vec *vec, const char *s, size_t len, const char *what,
                          const char *where);

/* Append a PEP 708 URL (resolved; skipped with a warning when unusable). */
int dl_simple_push_url(dl_simple_ctx *ctx, dl_simple_vec *vec, const char *s, size_t len, const char *where);

/* Take the page's own name for the project (JSON "name"). */
int dl_simple_set_name(dl_simple_ctx *ctx, const char *s, size_t len);

/* The format-specific halves. */
int dl_simple_html_page(dl_simple_ctx *ctx, const char *data, size_t len);
int dl_simple_html_list(dl_simple_ctx *ctx, const char *data, size_t len);
int dl_simple_json_page(dl_simple_ctx *ctx, const char *data, size_t len);
int dl_simple_json_list(dl_simple_ctx *ctx, const char *data, size_t len);

#endif
