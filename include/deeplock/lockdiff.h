/*
 * deeplock/lockdiff.h - what changed between two lock files, of any
 * supported format, put so that a reviewer sees the dangerous part first.
 *
 * A lock review is mostly about code that will run.  So the diff puts
 * apart, before everything else, what is new at build time: packages that
 * an installer will now build from source (deeplock's builds-from-source or
 * build-env; in other tools' locks an entry whose only recorded file is an
 * sdist, or a VCS, directory or source-archive source), packages that gained
 * an sdist where only wheels were locked, new build environments and new
 * packages (or versions) inside build environments.  Then the red flag of a
 * same version whose files or hashes changed (how a tampered re-upload
 * shows), then the ordinary changes: added, removed, upgraded, downgraded,
 * version changed (a version that is not PEP 440 on either side, compared
 * as a string), source changed (e.g. a private index to the public one) and
 * marker changed.
 *
 * Both inputs go through dl_lockfile_parse (lockfile.h), except deeplock's
 * own pylock.toml (created-by "deeplock"), which is read with
 * dl_lock_read_pylock (lock.h) so its build environments are compared too:
 * environments are matched by their requirement set (deeplock derives the
 * id from it), and each matched pair is diffed like the runtime set.
 *
 * Packages are matched by PEP 503 name.  When a name appears several times
 * (one entry per marker or per Python version), entries are paired by equal
 * version and marker first, then equal version, then equal marker, then in
 * version order; what is left over is added or removed.  Markers are
 * compared in the marker module's normal form; sources as canonical keys in
 * which the tool's default index and PyPI's URLs are the same thing; files
 * by name, or by hash alone when either side records bare hashes
 * (Pipfile.lock).  A file only recorded by the old lock is not a change by
 * itself (tools record different subsets of a release's files); a file new
 * to the same version, or a file name whose hash changed, is.
 *
 * The result is plain data: every string is borrowed from the inputs'
 * models, which the result owns until dl_lockdiff_free.
 */
#ifndef DEEPLOCK_LOCKDIFF_H
#define DEEPLOCK_LOCKDIFF_H

#include "deeplock/common.h"
#include "deeplock/lockfile.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Kinds of change, in the order they are reported. */
typedef enum dl_lockdiff_kind {
	/* Runs at build time (new). */
	DL_LOCKDIFF_BUILD_FROM_SOURCE = 0, /* the new entry is built from source, the old one was not (or was another version) */
	DL_LOCKDIFF_BUILD_SDIST_ADDED,     /* a package locked with wheels only now has an sdist too */
	DL_LOCKDIFF_BUILD_ENV_ADDED,       /* a new build environment (requirement set) */
	DL_LOCKDIFF_BUILD_ENV_PACKAGE,     /* a package or version new to a build environment */
	/* The red flag. */
	DL_LOCKDIFF_HASH_CHANGED,          /* the same version with a new file or a file whose hash changed */
	/* Ordinary changes. */
	DL_LOCKDIFF_ADDED,
	DL_LOCKDIFF_REMOVED,
	DL_LOCKDIFF_UPGRADED,
	DL_LOCKDIFF_DOWNGRADED,
	DL_LOCKDIFF_VERSION_CHANGED,       /* a version that is not PEP 440 (or missing) on either side */
	DL_LOCKDIFF_SOURCE_CHANGED,
	DL_LOCKDIFF_MARKER_CHANGED,
	DL_LOCKDIFF_BUILD_ENV_REMOVED,
	DL_LOCKDIFF_KIND_COUNT
} dl_lockdiff_kind;

/* One file of a DL_LOCKDIFF_HASH_CHANGED entry. */
typedef struct dl_lockdiff_file {
	const char *name;      /* file name; NULL when a lock records bare hashes */
	const char *algorithm; /* "sha256" */
	const char *old_hash;  /* hex digits; NULL when the file is new */
	const char *new_hash;  /* hex digits; NULL when only the old lock records it */
} dl_lockdiff_file;

typedef struct dl_lockdiff_entry {
	dl_lockdiff_kind kind;
	const char *env;         /* the new (for BUILD_ENV_REMOVED the old) build environment's id; NULL: runtime set */
	const char *name;        /* PEP 503 name; NULL for BUILD_ENV_ADDED and BUILD_ENV_REMOVED */
	const char *old_version; /* NULL when absent (added) or not recorded */
	const char *new_version; /* NULL when absent (removed) or not recorded */
	/* SOURCE_CHANGED: the sources ("https://pypi.org/simple", "(default
	 * index)", "git+https://...@commit", "directory ../x"); MARKER_CHANGED:
	 * the markers as written (NULL: none).  NULL for other kinds. */
	const char *old_value;
	const char *new_value;
	/* Build-time kinds: why this runs at build time ("only an sdist is
	 * locked", "builds-from-source", ...).  NULL for other kinds. */
	const char *reason;
	/* BUILD_ENV_ADDED and BUILD_ENV_REMOVED: the environment's requirement set. */
	const char *const *requires;
	size_t n_requires;
	/* HASH_CHANGED: the files that differ, sorted by name then hash. */
	const dl_lockdiff_file *files;
	size_t n_files;
	/* HASH_CHANGED: a file kept its name and changed its hash. */
	bool hash_mismatch;
} dl_lockdiff_entry;

typedef struct dl_lockdiff_priv dl_lockdiff_priv;

typedef struct dl_lockdiff {
	dl_lockfile_format old_format, new_format;
	/* Read as deeplock locks, so their build environments were compared. */
	bool old_deeplock, new_deeplock;
	/* Sorted by kind (the order above), environment (runtime first), name,
	 * then versions. */
	const dl_lockdiff_entry *entries;
	size_t n_entries;
	size_t counts[DL_LOCKDIFF_KIND_COUNT];
	dl_lockdiff_priv *priv; /* the memory the result owns; not for callers */
} dl_lockdiff;

/* One side of a diff. */
typedef struct dl_lockdiff_input {
	const char *data; /* the lock file's bytes, not NUL-terminated */
	size_t len;
	const char *name;          /* names it in messages ("HEAD~1:pylock.toml"); NULL: "<old>"/"<new>" */
	const char *path;          /* its file name, for format detection; NULL: `name` */
	dl_lockfile_format format; /* DL_LOCKFILE_UNKNOWN_FORMAT: detect with dl_lockfile_detect */
} dl_lockdiff_input;

/*
 * Compare lock `old_lock` with lock `new_lock` into *out (free with
 * dl_lockdiff_free).  Each input is detected (unless its format is given)
 * and parsed; errors are those of dl_lockfile_detect, dl_lockfile_parse and
 * dl_lock_read_pylock (naming the input, line and column), with context
 * saying which side failed, or DL_ENOMEM.  *out is untouched on failure.
 * It does not fetch anything or check a hash against a file: it compares
 * what the two locks say.  The inputs are not referenced after the call.
 */
int dl_lockdiff_compute(dl_lockdiff **out, const dl_lockdiff_input *old_lock,
                        const dl_lockdiff_input *new_lock) DL_WARN_UNUSED;

/* Free a diff and everything it owns.  NULL is ignored. */
void dl_lockdiff_free(dl_lockdiff *d);

/* The stable name of a kind, as the JSON output uses it:
 * "build-from-source", "sdist-added", "build-env-added",
 * "build-env-package", "hash-changed", "added", "removed", "upgraded",
 * "downgraded", "version-changed", "source-changed", "marker-changed",
 * "build-env-removed"; "unknown" otherwise.  Static. */
const char *dl_lockdiff_kind_name(dl_lockdiff_kind kind);

/* Whether a kind is one of the "runs at build time (new)" kinds. */
bool dl_lockdiff_kind_is_build(dl_lockdiff_kind kind);

#ifdef __cplusplus
}
#endif
#endif
