/*
 * deeplock/audit.h - what another tool's lock file leaves open: the
 * packages that run code at install time, their build environments (which
 * the lock does not pin), build requirements that are themselves built from
 * source, entries without hashes or versions, and supply-chain signals
 * (pinned yanked versions, names one edit away from a popular project, a
 * project offered by more than one index).
 *
 * The audit reuses the lock engine: the audited lock's pins become the
 * roots ("name==version"), the engine resolves the build environment of
 * every package an installer would build, recursively, and the audit
 * compares the result with what the lock records.  "Would build" uses the
 * lock's own file list where it has one (an installer that checks hashes
 * can only use the files the lock lists) and the index otherwise.
 */
#ifndef DEEPLOCK_AUDIT_H
#define DEEPLOCK_AUDIT_H

#include "deeplock/client.h"
#include "deeplock/lock.h"
#include "deeplock/lockfile.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dl_audit_severity {
	DL_AUDIT_ERROR = 0,
	DL_AUDIT_WARNING,
	DL_AUDIT_NOTE
} dl_audit_severity;

/* "error", "warning", "note".  Static. */
const char *dl_audit_severity_name(dl_audit_severity s);

/* The rules, with their ids (stable: they appear in JSON and SARIF). */
#define DL_AUDIT_RULE_BUILD_UNPINNED "build-env-unpinned"   /* an sdist builds with unpinned requirements */
#define DL_AUDIT_RULE_BUILD_SDIST "build-dep-from-source"   /* a build requirement is itself built */
#define DL_AUDIT_RULE_BUILD_UNKNOWABLE "build-reqs-unknowable" /* only running code tells */
#define DL_AUDIT_RULE_BUILD_CYCLE "build-cycle"
#define DL_AUDIT_RULE_NO_HASH "no-hash"                     /* an entry without any hash */
#define DL_AUDIT_RULE_UNPINNED "unpinned"                   /* no version, or VCS without a commit */
#define DL_AUDIT_RULE_YANKED "yanked-pinned"
#define DL_AUDIT_RULE_TYPOSQUAT "typosquat-suspect"
#define DL_AUDIT_RULE_CONFUSION "dependency-confusion"
#define DL_AUDIT_RULE_UNRESOLVABLE "not-installable"        /* the pins cannot be installed for the target */
#define DL_AUDIT_RULE_MISSING "not-on-index"                /* the pinned project or version is not offered */

typedef struct dl_audit_finding {
	const char *rule;
	dl_audit_severity severity;
	const char *package; /* normalised name; NULL for lock-wide findings */
	const char *version;
	const char *message; /* one sentence, self-contained */
	const char *path;    /* "<project> -> a==1 -> b==2" (build paths included); NULL */
	/* For build findings: the environment's pins ("name==version"), each
	 * followed by " (built from source)" when it is. */
	const char *const *unpinned;
	size_t n_unpinned;
	dl_lockfile_pos pos; /* where in the audited file; 0:0 when unknown */
} dl_audit_finding;

typedef struct dl_audit_summary {
	size_t packages;     /* entries audited */
	size_t builders;     /* packages that run code at install time (runtime set) */
	size_t build_envs;   /* environments resolved */
	size_t build_pins;   /* distinct name==version across them: none pinned by the lock */
	size_t errors, warnings, notes;
} dl_audit_summary;

#define DL_AUDIT_OPTS_VERSION 1

typedef struct dl_audit_opts {
	unsigned version;
	const dl_lockfile *lock;
	dl_client *client;                 /* the configured indexes, first-index strategy */
	const dl_lock_resolver *resolver;  /* pyindex over `client` */
	/* One client per configured index (for the confusion check); may be
	 * empty when only one index is configured. */
	dl_client *const *index_clients;
	const char *const *index_urls;
	size_t n_index_clients;
	const char *const *popular; /* normalised names of very popular projects */
	size_t n_popular;
} dl_audit_opts;

typedef struct dl_audit dl_audit;

/*
 * Audit `opts->lock`.  Returns 0 and *out (free with dl_audit_free) even
 * when the lock cannot be installed for the target (that is a finding);
 * negative codes are failures to audit (the index unreachable, no memory),
 * with the stored error saying which.
 */
int dl_audit_run(dl_audit **out, const dl_audit_opts *opts);
void dl_audit_free(dl_audit *a);

/* Findings sorted by severity, rule, package. */
const dl_audit_finding *dl_audit_findings(const dl_audit *a, size_t *n);
const dl_audit_summary *dl_audit_get_summary(const dl_audit *a);
/* The engine's result behind the audit (for `audit --fix`); NULL when the
 * pins could not be resolved. */
const dl_lock_result *dl_audit_lock_result(const dl_audit *a);

/* The shipped list of very popular project names (normalised, sorted;
 * see popular.c for where it comes from). */
const char *const *dl_audit_popular(size_t *n);

/* Damerau-Levenshtein distance of two strings, capped: returns `cap` + 1
 * as soon as it must exceed `cap`.  Exposed for tests. */
size_t dl_audit_edit_distance(const char *a, const char *b, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
