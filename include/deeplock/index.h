/*
 * deeplock/index.h - pages of the Python Simple Repository API, parsed into
 * one in-memory model whatever their format.
 *
 * An index answers two kinds of page: the root (the list of projects) and a
 * project page (the files of one project).  Each comes as HTML (PEP 503,
 * with PEP 592 yanking, PEP 629 versioning, PEP 658/714 metadata files) or
 * as JSON (PEP 691, with PEP 700 versions/size/upload-time).  The parsers are
 * pure functions from (bytes, Content-Type, final URL after redirects) to a
 * model: no network, no files, no printing.
 *
 * Supported API version: 1.4.  Beyond PEP 700 (1.1) the model carries PEP 708
 * "tracks" and "alternate-locations" (1.2), the PEP 740 provenance URL of
 * each file (1.3) and the PEP 792 project status (1.4).  A page that declares
 * a newer 1.x is parsed, with a warning in the model, since a minor version
 * only adds fields; a page of another major version is refused with
 * DL_EUNSUPPORTED.
 *
 * Everything a page holds is untrusted.  Every URL in the model is absolute
 * (resolved per RFC 3986 against the page URL, or its <base href>), has the
 * scheme http, https or file, and carries no fragment: a hash written as a
 * fragment ("#sha256=...") moves into the file's hashes.  Links that cannot
 * be used (another scheme, a malformed URL, a file name that could leave a
 * directory) are skipped and described in the page's warnings; malformed
 * pages, over-long strings and too many files are errors that name the page.
 * Credentials in URLs are kept, since fetching needs them; every message
 * the library writes shows URLs through dl_index_url_redact().
 *
 * A parsed page is one allocation tree (an arena) released by its _free
 * function; every pointer in it is borrowed from the page.
 */
#ifndef DEEPLOCK_INDEX_H
#define DEEPLOCK_INDEX_H

#include "deeplock/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The newest Simple API version this library understands. */
#define DL_INDEX_API_MAJOR 1
#define DL_INDEX_API_MINOR 4

/* The Accept header a client should send for index pages: JSON preferred,
 * then the versioned HTML type, then plain HTML from older servers. */
#define DL_INDEX_ACCEPT                                                                                                \
	"application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, "                             \
	"text/html;q=0.01"

/* Default bounds for hostile pages (see dl_index_parse_opts). */
#define DL_INDEX_DEFAULT_MAX_FILES  ((size_t)1000000)
#define DL_INDEX_DEFAULT_MAX_STRING ((size_t)65536)
/* At most this many warnings are kept; the last one then says how many more
 * there were. */
#define DL_INDEX_MAX_WARNINGS 100

typedef enum dl_index_format {
	DL_INDEX_HTML = 1, /* PEP 503: text/html or application/vnd.pypi.simple.v1+html */
	DL_INDEX_JSON = 2  /* PEP 691: application/vnd.pypi.simple.v1+json */
} dl_index_format;

/* Hash algorithms an index may name, weakest first.  Only these are kept;
 * any other name in a page is ignored. */
typedef enum dl_index_hash_alg {
	DL_INDEX_MD5 = 0,
	DL_INDEX_SHA1,
	DL_INDEX_SHA224,
	DL_INDEX_SHA256,
	DL_INDEX_SHA384,
	DL_INDEX_SHA512
} dl_index_hash_alg;
#define DL_INDEX_HASH_ALG_COUNT 6

typedef struct dl_index_hash {
	dl_index_hash_alg alg;
	const char *name; /* "sha256" and so on: static */
	const char *hex;  /* lower-case hex, exactly the algorithm's digest length */
	bool weak;        /* md5, sha1, sha224: recorded, never enough to trust a file */
} dl_index_hash;

/* At most one hash per algorithm, sorted by algorithm (weakest first). */
typedef struct dl_index_hashes {
	const dl_index_hash *items;
	size_t count;
} dl_index_hashes;

/* PEP 658/714: whether "<file url>.metadata" may be fetched, and its hashes
 * when the page gives them. */
typedef struct dl_index_core_metadata {
	bool available;
	dl_index_hashes hashes;
} dl_index_core_metadata;

typedef struct dl_index_file {
	/* HTML: the last path segment of the URL, percent-decoded (pip's rule;
	 * the anchor text is not trusted).  JSON: the "filename" key.  Never
	 * empty, ".", "..", and never holds '/', '\\' or control characters. */
	const char *filename;
	const char *url; /* absolute, no fragment, credentials kept */
	dl_index_hashes hashes;
	const char *requires_python; /* raw, entities decoded; NULL when absent */
	bool yanked;                 /* PEP 592 */
	const char *yanked_reason;   /* NULL when none was given (or it was empty) */
	dl_index_core_metadata core_metadata;
	int64_t size;            /* bytes (PEP 700); -1 when unknown */
	const char *upload_time; /* PEP 700 ISO 8601 string as given; NULL */
	bool gpg_sig;            /* the index says a ".asc" signature exists */
	const char *provenance;  /* PEP 740 provenance URL (absolute); NULL */
} dl_index_file;

typedef struct dl_index_page {
	dl_index_format format;
	const char *url; /* the final URL the page was parsed against, as given */
	/* The project's name as the page gives it (JSON "name"), else as the
	 * caller named it (dl_index_parse_opts.project), else the last path
	 * segment of the URL (PEP 503's /<project>/ layout); NULL when none of
	 * these is a valid name.  `normalized` is its PEP 503 form, or NULL. */
	const char *name;
	const char *normalized;
	int api_major, api_minor; /* 1.0 when an HTML page does not say */
	bool has_versions;        /* PEP 700 "versions" was present */
	const char *const *versions;
	size_t version_count;
	const dl_index_file *files; /* in page order */
	size_t file_count;
	const char *const *tracks; /* PEP 708, absolute URLs */
	size_t track_count;
	const char *const *alternate_locations; /* PEP 708, absolute URLs */
	size_t alternate_location_count;
	const char *project_status;        /* PEP 792 as given; NULL means active */
	const char *project_status_reason; /* NULL when none */
	int64_t last_serial;               /* JSON meta "_last-serial"; -1 */
	const char *const *warnings;       /* why links were skipped, and so on */
	size_t warning_count;
	dl_arena *arena; /* private */
} dl_index_page;

typedef struct dl_index_project {
	const char *name;       /* as the page gives it; always a valid name */
	const char *normalized; /* PEP 503 normal form */
	const char *url;        /* absolute URL of its project page */
} dl_index_project;

typedef struct dl_index_list {
	dl_index_format format;
	const char *url;
	int api_major, api_minor;
	const dl_index_project *projects; /* in page order */
	size_t project_count;
	int64_t last_serial;
	const char *const *warnings;
	size_t warning_count;
	dl_arena *arena; /* private */
} dl_index_list;

/* Options of the parsers (zero fields take the defaults).  Initialise with
 * DL_INDEX_PARSE_OPTS_INIT so that later versions can add fields. */
typedef struct dl_index_parse_opts {
	unsigned int version;
	/* The project the caller asked for, or NULL.  Names an HTML page that
	 * cannot name itself; a JSON page naming another project gets a
	 * warning. */
	const char *project;
	size_t max_files;  /* files, projects or versions per page */
	size_t max_string; /* bytes in any one attribute, string or URL */
} dl_index_parse_opts;

#define DL_INDEX_PARSE_OPTS_VERSION 1
#define DL_INDEX_PARSE_OPTS_INIT                                                                                       \
	{                                                                                                              \
		DL_INDEX_PARSE_OPTS_VERSION, NULL, 0, 0                                                                \
	}

/* Map a Content-Type header value (parameters such as "; charset=utf-8" are
 * ignored, case does not matter) to a page format.  Any type other than the
 * v1 JSON type, the v1 HTML type and text/html fails with DL_EUNSUPPORTED
 * naming `url` (redacted) and the type; a NULL type fails with DL_EINVAL.
 * Does not look at the body: the server's word decides. */
int dl_index_format_from_content_type(dl_index_format *out, const char *content_type, const char *url);

/* Parse a project page of `len` bytes (not NUL-terminated, UTF-8, an
 * optional BOM skipped) served with `content_type` from `url`, the final URL
 * after redirects (absolute; http, https or file), into *out (free with
 * dl_index_page_free).  `opts` may be NULL.  Fails with DL_EUNSUPPORTED for
 * an unknown content type or a page of another API major version,
 * DL_EPARSE for invalid UTF-8, malformed JSON (with jansson's line and
 * column) or JSON of the wrong shape (with the path of the bad value),
 * DL_ELIMIT when a bound of `opts` is exceeded, DL_EINVAL for a bad `url`;
 * every message names the page by its redacted URL.  Links it cannot use
 * are skipped with a warning, not an error.  Does not fetch anything, and
 * does not check that files belong to the project. */
int dl_index_page_parse(dl_index_page **out, const void *data, size_t len, const char *content_type, const char *url,
                        const dl_index_parse_opts *opts);

/* dl_index_page_parse for a caller that already knows the format. */
int dl_index_page_parse_format(dl_index_page **out, dl_index_format format, const void *data, size_t len,
                               const char *url, const dl_index_parse_opts *opts);

/* Release a page and everything it points to.  NULL is fine. */
void dl_index_page_free(dl_index_page *page);

/* A parsed page in a compact binary form (page_codec.c), for caching the
 * parse: dl_index_page_encode appends it to `out` (DL_ENOMEM, DL_ELIMIT);
 * dl_index_page_decode rebuilds an equal page (free with
 * dl_index_page_free), failing with DL_EPARSE on anything malformed or
 * truncated. */
int dl_index_page_encode(const dl_index_page *page, dl_buf *out);
int dl_index_page_decode(dl_index_page **out, const void *data, size_t len);

/* Parse the root page (the project list) like dl_index_page_parse.  HTML:
 * one anchor per project, its text the name.  JSON: "projects" entries,
 * whose URLs are the page URL joined with "<normalized name>/" (PEP 691
 * gives none).  Entries without a valid name are skipped with a warning. */
int dl_index_list_parse(dl_index_list **out, const void *data, size_t len, const char *content_type, const char *url,
                        const dl_index_parse_opts *opts);
int dl_index_list_parse_format(dl_index_list **out, dl_index_format format, const void *data, size_t len,
                               const char *url, const dl_index_parse_opts *opts);
void dl_index_list_free(dl_index_list *list);

/* Resolve the reference [ref, ref+len) against the absolute URL `base` per
 * RFC 3986 (with HTML's leniency: surrounding whitespace is trimmed, tabs and
 * newlines dropped, spaces percent-encoded) into *out (free with dl_free),
 * without its fragment; the fragment, if any, goes to *fragment_out (free
 * with dl_free) when that is not NULL.  Fails with DL_EUNSUPPORTED when the
 * result's scheme is not http, https or file, DL_EPARSE when either URL is
 * malformed, DL_ELIMIT past 1 MiB.  Credentials are kept. */
int dl_index_url_resolve(char **out, char **fragment_out, const char *base, const char *ref, size_t len);

/* Copy `url` into *out (free with dl_free) with any userinfo (user, or
 * user:password, before '@' in the authority) replaced by "****", for
 * messages and logs.  Works on malformed URLs too (never fails but for
 * DL_ENOMEM); does not otherwise change or validate the URL. */
int dl_index_url_redact(char **out, const char *url);

/* The name of an algorithm ("sha256"), static; NULL for a bad value. */
const char *dl_index_hash_alg_name(dl_index_hash_alg alg);

/* Look an algorithm up by its name (ASCII case-insensitive, as hashlib
 * names them).  False for any name not in dl_index_hash_alg. */
bool dl_index_hash_alg_from_name(dl_index_hash_alg *out, const char *name, size_t len);

/* The hash of algorithm `alg`, or NULL. */
const dl_index_hash *dl_index_hashes_find(const dl_index_hashes *hashes, dl_index_hash_alg alg);

/* The strongest hash that is not weak (sha512, then sha384, then sha256),
 * or NULL when there is none: a file with only md5 has no trustworthy hash. */
const dl_index_hash *dl_index_hashes_best(const dl_index_hashes *hashes);

#ifdef __cplusplus
}
#endif
#endif
