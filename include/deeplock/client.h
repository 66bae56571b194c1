/*
 * deeplock/client.h - the index client: what deeplock learns about a
 * project and each of its files, from one or several package indexes and
 * find-links locations, through the cache, without running package code.
 *
 * It joins the pieces below it: the transfer engine (fetch.h) for many
 * requests at once, the cache (cache.h) for revalidation and
 * content-addressed artifacts, the page parsers (index.h), and the readers
 * of wheels and sdists (metadata.h, archive.h, sdist.h).  Everything is
 * asynchronous on the engine's one thread: a question queues the requests
 * it needs and its callback runs, from inside dl_fetch_run (or
 * dl_client_wait), once the answer is known.  Answers are memoised for the
 * client's lifetime, so asking twice costs nothing and concurrent askers
 * share one set of requests.
 *
 * Where a project's files come from (pip's and uv's rules):
 *   - Indexes are asked in the order given.  By default the project's files
 *     come from the FIRST index that has the project (answers 200), and the
 *     later indexes are not consulted for it: merging versions across
 *     indexes lets whoever registers the name on any of them win with a
 *     higher version number (dependency confusion).  DL_CLIENT_MERGE asks
 *     every index and keeps every file, for users who accept that risk.
 *     An index that fails (not 404/410) is an error for the project: it is
 *     never silently skipped, since the next index may hold an impostor.
 *   - Find-links locations (a local directory, or an HTML page of links)
 *     always add their files, as pip does; files whose names do not parse
 *     as this project's wheel or sdist are ignored.
 *   - With no index at all (--no-index) only find-links are used.
 *
 * How a file's metadata is read, cheapest first:
 *   wheels: the PEP 658 ".metadata" file when the page offers it (checked
 *   against its hash when the page gives one, and cached by that hash so a
 *   warm run asks nothing); otherwise, over http(s), the zip's central
 *   directory and the METADATA member only, with HTTP range requests (what
 *   pip calls a lazy wheel; zipread.h), the result cached under the wheel's
 *   sha256; a server that ignores ranges just sends the whole wheel, which
 *   is then read as such; any other failure of the range protocol falls
 *   back to downloading the whole wheel through the artifact cache, with a
 *   warning.  sdists: the whole archive through the artifact cache, its
 *   hash checked, then read statically (sdist.h): PKG-INFO, pyproject.toml,
 *   setup.cfg, setup.py, never executed.  A file whose page sha256 does not
 *   match its bytes is an error naming the file; a file without a sha256
 *   is still read (some indexes give none, or only weaker or other
 *   algorithms, which are not checked here) but flagged unhashed, and its
 *   bytes go through the HTTP cache (revalidated) instead of the
 *   content-addressed one.
 */
#ifndef DEEPLOCK_CLIENT_H
#define DEEPLOCK_CLIENT_H

#include "deeplock/cache.h"
#include "deeplock/common.h"
#include "deeplock/fetch.h"
#include "deeplock/filename.h"
#include "deeplock/index.h"
#include "deeplock/metadata.h"
#include "deeplock/sdist.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dl_client dl_client;

typedef enum dl_client_strategy {
	DL_CLIENT_FIRST_INDEX = 0, /* a project's files come from the first index that has it */
	DL_CLIENT_MERGE            /* every index's files, merged (unsafe: dependency confusion) */
} dl_client_strategy;

#define DL_CLIENT_OPTS_VERSION 1

typedef struct dl_client_opts {
	unsigned version; /* DL_CLIENT_OPTS_VERSION */
	/* Index base URLs (".../simple/"), first = --index-url, then each
	 * --extra-index-url.  Zero indexes means --no-index. */
	const char *const *indexes;
	size_t n_indexes;
	/* Find-links: local directories (a path or a file:// URL naming a
	 * directory) or URLs of HTML pages whose anchors link to files. */
	const char *const *find_links;
	size_t n_find_links;
	dl_client_strategy strategy;
	size_t max_page;     /* bytes of one index page; 0 = 64 MiB */
	size_t max_metadata; /* bytes of one metadata file; 0 = 16 MiB */
	size_t max_artifact; /* bytes of one downloaded wheel or sdist; 0 = 512 MiB */
	/* Direct URLs (PEP 508 `name @ URL`): a project named here has exactly
	 * one file, the wheel or sdist at that URL (http, https or file), and
	 * no index or find-links location is asked about it.  Its metadata is
	 * read from the whole file, whose sha256 is then the file's hash (a
	 * `#sha256=` fragment in the URL is checked against the bytes).  Names
	 * in any spelling; everything is copied. */
	const char *const *direct_names;
	const char *const *direct_urls;
	size_t n_direct;
} dl_client_opts;

#define DL_CLIENT_OPTS_INIT {DL_CLIENT_OPTS_VERSION, NULL, 0, NULL, 0, DL_CLIENT_FIRST_INDEX, 0, 0, 0, NULL, NULL, 0}

/* One distribution file of a project. */
typedef struct dl_client_file {
	const dl_index_file *file; /* as the page gave it (URL, hashes, yanked, ...) */
	dl_dist_kind kind;         /* DL_DIST_WHEEL or DL_DIST_SDIST (others are dropped) */
	const char *version_text;  /* from the file name */
	dl_version version;
	const dl_wheel_filename *wheel; /* wheels only */
	/* Where it was found: an index (its position in opts.indexes) or a
	 * find-links location (n_indexes + its position). */
	size_t origin;
} dl_client_file;

/* A project as the client knows it, sorted by version (newest first), then
 * wheels before sdists, then file name.  Borrowed from the client; valid
 * until dl_client_free. */
typedef struct dl_client_project {
	const char *normalized;
	const char *index_url;     /* the index that answered, redacted; NULL when none did */
	const dl_client_file *files;
	size_t n_files;
	bool found;                /* some index or find-links location knows the project */
	bool direct;               /* a direct URL's project (opts.direct_urls): one file */
	/* Versions named only by a PEP 700 "versions" list, or files skipped
	 * (unparsable names), with why. */
	const char *const *warnings;
	size_t n_warnings;
} dl_client_project;

typedef enum dl_client_meta_via {
	DL_CLIENT_VIA_PEP658 = 0, /* the index's .metadata file */
	DL_CLIENT_VIA_WHEEL,      /* read from the downloaded wheel */
	DL_CLIENT_VIA_SDIST,      /* read statically from the downloaded sdist */
	DL_CLIENT_VIA_RANGE       /* read out of the wheel with HTTP range requests ("lazy wheel") */
} dl_client_meta_via;

/* "pep658", "wheel", "sdist" or "range".  Static. */
const char *dl_client_meta_via_name(dl_client_meta_via via);

/* What one file says about its release.  Borrowed from the client. */
typedef struct dl_client_meta {
	dl_client_meta_via via;
	/* Wheels (and sdists whose PKG-INFO parsed): the core metadata. */
	const dl_metadata *metadata;
	/* Sdists: the static reading, build requirements included. */
	const dl_sdist *sdist;
	bool from_cache; /* answered without any request */
	bool unhashed;   /* the page gave no sha256 for the bytes read */
	const char *warning; /* why a .metadata file was passed over; NULL */
} dl_client_meta;

/*
 * Create a client over `fetch` and `cache` (both borrowed; they must outlive
 * the client, and the cache's mode decides offline and refresh behaviour).
 * Index URLs get a trailing '/' when they lack one.  Fails with DL_EINVAL
 * for an index or find-links URL that is not http, https or file (naming
 * it, redacted), DL_ENOMEM.  Sends nothing.
 */
int dl_client_new(dl_client **out, dl_fetch *fetch, dl_cache *cache, const dl_client_opts *opts);

/* Release the client and every answer it gave.  Questions still in flight
 * (prefetches nobody waited for) are dropped with their contexts; their
 * callbacks never run, provided the engine is not run again afterwards:
 * free the engine next (dl_fetch_free drops the transfers).  NULL is fine. */
void dl_client_free(dl_client *c);

typedef void (*dl_client_project_fn)(dl_client *c, const dl_client_project *p, int rc, void *user);
typedef void (*dl_client_meta_fn)(dl_client *c, const dl_client_meta *m, int rc, void *user);

/*
 * Ask for a project's files.  `name` is any spelling of a valid project
 * name (DL_EINVAL otherwise, and fn is not called).  fn runs once, from the
 * engine's loop, with rc 0 and the project (found or not: an unknown
 * project is not an error), or with a negative rc when an index failed;
 * dl_error_last() then holds the message naming the page.  A project
 * already known is answered on the next turn of the loop, without requests.
 */
int dl_client_project_get(dl_client *c, const char *name, dl_client_project_fn fn, void *user);

/*
 * Ask for the metadata of file `index` of project `p` (from this client).
 * fn runs once, as for projects.  Errors (rc < 0, message naming the file's
 * redacted URL): the download or .metadata fetch failed, a hash mismatch
 * (DL_EPARSE), metadata that does not parse, a wheel or sdist whose name or
 * version disagrees with the file name, an archive the safety limits
 * reject.  A PEP 658 file that fails its hash or does not parse falls back
 * to the wheel itself, as pip does, with a warning in the answer.
 */
int dl_client_meta_get(dl_client *c, const dl_client_project *p, size_t index, dl_client_meta_fn fn, void *user);

/* The answers already known, without queuing anything: NULL when the
 * question has not been answered yet (or failed). */
const dl_client_project *dl_client_project_peek(dl_client *c, const char *normalized);
const dl_client_meta *dl_client_meta_peek(dl_client *c, const dl_client_project *p, size_t index);

/* Run the engine until *flag becomes true or nothing is left to do.  For a
 * synchronous caller (the resolver's provider) that has queued questions
 * whose callbacks set flags.  Fails only as dl_fetch_run fails. */
int dl_client_wait(dl_client *c, const bool *flag);

/* Counters of the client's own work, beside the engine's. */
typedef struct dl_client_stats {
	uint64_t projects;       /* project questions answered */
	uint64_t pages;          /* index and find-links pages read */
	uint64_t pages_from_cache; /* of those, index pages whose parse came from the cache */
	uint64_t metadata;       /* metadata questions answered */
	uint64_t via_pep658;     /* of those, answered by .metadata files */
	uint64_t via_download;   /* of those, by downloading the whole file */
	uint64_t via_range;      /* of those, by range requests into the wheel */
	uint64_t range_requests; /* range requests made */
	uint64_t artifact_hits;  /* whole files or .metadata found in the artifact cache */
	uint64_t bytes_artifacts;/* bytes of downloaded wheels and sdists */
} dl_client_stats;

void dl_client_get_stats(const dl_client *c, dl_client_stats *out);

#ifdef __cplusplus
}
#endif
#endif
