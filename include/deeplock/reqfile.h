/*
 * deeplock/reqfile.h - pip's requirements-file format, read the way pip 24
 * reads it, into a model of entries and global options.
 *
 * pip's order of work, which decides every corner case, is kept:
 *   1. the file is split into lines (Python's str.splitlines);
 *   2. a line ending in '\' is joined to the next one, unless it is a
 *      comment line (first non-blank character '#'); the backslashes at
 *      both ends of a joined piece are dropped; a comment line met while
 *      joining ends the join (it is appended, then stripped as a comment);
 *   3. comments are removed: '#' at the start of the line or after
 *      whitespace, up to the end (so "url#egg=x" and "--hash=sha256:.."
 *      keep their '#'), and the line is stripped; empty lines are dropped;
 *   4. "${NAME}" (NAME of A-Z, 0-9 and '_') is replaced by the value the
 *      caller's lookup gives; an unset or empty value leaves it as written;
 *   5. the line is split at the first space-separated token starting with
 *      '-': what precedes it is the requirement, the rest is split like a
 *      POSIX shell (shlex) and read as options (optparse: long options may
 *      be abbreviated to a unique prefix, "--opt=value" or "--opt value",
 *      "-rFILE" or "-r FILE").
 * Nested files (-r, -c) are named relative to the including file and read
 * through the caller's reader, so the library does no I/O; an include
 * cycle, or nesting deeper than the limit, is an error naming the chain.
 *
 * pip-compile, `uv pip compile` and `pdm export` annotations ("# via x",
 * or "# via" followed by "#   a" lines) are kept as the "via" list of the
 * requirement they follow; other comments are dropped.
 *
 * Errors read "<file>:<line>:<column>: <problem>", naming the file that
 * holds the line (an included one, with "while reading ... included from"
 * context); columns count characters from 1 in the physical line.
 */
#ifndef DEEPLOCK_REQFILE_H
#define DEEPLOCK_REQFILE_H

#include "deeplock/common.h"
#include "deeplock/marker.h"
#include "deeplock/requirement.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What an entry asks for. */
typedef enum dl_reqfile_kind {
	DL_REQFILE_REQUIREMENT = 1, /* a requirement line of a -r file */
	DL_REQFILE_EDITABLE,        /* -e / --editable */
	DL_REQFILE_CONSTRAINT       /* a requirement line of a -c file */
} dl_reqfile_kind;

/* How the entry names what it wants. */
typedef enum dl_reqfile_form {
	DL_REQFILE_FORM_PEP508 = 1, /* "name[extras] spec ; marker" or "name @ url" */
	DL_REQFILE_FORM_URL,        /* a plain URL (http, file, VCS ...) */
	DL_REQFILE_FORM_PATH        /* a local directory or archive */
} dl_reqfile_form;

typedef struct dl_reqfile_entry {
	dl_reqfile_kind kind;
	dl_reqfile_form form;
	const char *file;       /* the file holding the line, as named */
	unsigned long line;     /* first physical line of the entry */
	unsigned long column;   /* where the requirement text starts */
	const char *text;       /* the requirement text (after ${VAR}), e.g. "foo>=1" */
	/* PEP508: the parsed requirement.  URL and PATH: a requirement made of
	 * the name a "#egg=" fragment or a wheel file name gives ("name==1.0"
	 * for a wheel), with the extras and marker; NULL when the name is
	 * unknown until the project is built. */
	const dl_requirement *req;
	const char *name;       /* the project name as written; NULL when unknown */
	const char *location;   /* URL or PATH: the URL or path (no marker, no extras) */
	const char *subdirectory; /* the URL's "#subdirectory=" fragment, or NULL */
	const dl_marker *marker;  /* the marker, or NULL (borrowed from req when there is one) */
	const char *const *extras; /* PEP 685 normal form, sorted */
	size_t n_extras;
	const char *const *hashes; /* "--hash" values "alg:hex", in order */
	size_t n_hashes;
	const char *const *config_settings; /* "-C" / "--config-settings" "KEY=VALUE" */
	size_t n_config_settings;
	const char *const *global_options; /* "--global-option" values (deprecated in pip) */
	size_t n_global_options;
	const char *const *via; /* pip-compile "# via" names as written */
	size_t n_via;
} dl_reqfile_entry;

/* The global options a requirements file may set. */
typedef enum dl_reqfile_opt {
	DL_REQFILE_OPT_INDEX_URL = 1,   /* -i, --index-url (value) */
	DL_REQFILE_OPT_EXTRA_INDEX_URL, /* --extra-index-url (value) */
	DL_REQFILE_OPT_NO_INDEX,        /* --no-index */
	DL_REQFILE_OPT_FIND_LINKS,      /* -f, --find-links (value) */
	DL_REQFILE_OPT_PRE,             /* --pre */
	DL_REQFILE_OPT_PREFER_BINARY,   /* --prefer-binary */
	DL_REQFILE_OPT_ONLY_BINARY,     /* --only-binary (":all:", ":none:" or names, comma-separated) */
	DL_REQFILE_OPT_NO_BINARY,       /* --no-binary (likewise) */
	DL_REQFILE_OPT_TRUSTED_HOST,    /* --trusted-host (value) */
	DL_REQFILE_OPT_USE_FEATURE,     /* --use-feature (value) */
	DL_REQFILE_OPT_REQUIRE_HASHES   /* --require-hashes */
} dl_reqfile_opt;

typedef struct dl_reqfile_option {
	dl_reqfile_opt opt;
	const char *value; /* NULL for flags */
	const char *file;
	unsigned long line, column; /* where the option is written */
} dl_reqfile_option;

/* Something pip accepts but ignores or deprecates, with its position. */
typedef struct dl_reqfile_warning {
	const char *file;
	unsigned long line, column;
	const char *message;
} dl_reqfile_warning;

typedef struct dl_reqfile {
	const dl_reqfile_entry *entries; /* in the order pip meets them */
	size_t n_entries;
	const dl_reqfile_option *options; /* in order, included files in place */
	size_t n_options;
	const dl_reqfile_warning *warnings;
	size_t n_warnings;
	const char *const *files; /* every file read, the top one first */
	size_t n_files;
	dl_arena *arena; /* owns everything above but the requirements and markers */
} dl_reqfile;

/* Read the file `path` (as the parser names it: the including file's
 * directory joined to the name written, or an absolute path or a URL as
 * written) and append its bytes to `out`.  Return 0, or a negative code
 * with the stored error set (DL_ENOTFOUND when it does not exist). */
typedef int (*dl_reqfile_read_fn)(void *ctx, const char *path, dl_buf *out);

/* The value of environment variable `name`, or NULL when unset.  Borrowed
 * until the parse returns. */
typedef const char *(*dl_reqfile_env_fn)(void *ctx, const char *name);

#define DL_REQFILE_DEFAULT_MAX_DEPTH 32
#define DL_REQFILE_MAX_INPUT ((size_t)16 << 20)

typedef struct dl_reqfile_options {
	unsigned int version;
	dl_reqfile_read_fn read; /* NULL: any -r / -c is an error */
	void *read_ctx;
	dl_reqfile_env_fn env; /* NULL: ${VAR} is left as written */
	void *env_ctx;
	unsigned int max_depth; /* nesting of -r / -c; 0 means the default */
	bool constraint;        /* the top file is a constraints file (-c) */
} dl_reqfile_options;

#define DL_REQFILE_OPTIONS_VERSION 1
#define DL_REQFILE_OPTIONS_INIT {DL_REQFILE_OPTIONS_VERSION, NULL, NULL, NULL, NULL, 0, false}

/*
 * Parse the requirements file held in [data, data+len) (not NUL-terminated,
 * not referenced after the call), named `source` in messages and used as
 * the base of relative includes (NULL: "requirements.txt").  Nested -r / -c
 * files are read through opts->read.  `opts` may be NULL for the defaults.
 *
 * Returns 0 and *out (free with dl_reqfile_free), or DL_EPARSE with
 * "<file>:<line>:<column>: <problem>" (an unknown option, a missing option
 * value, a bad --hash, an invalid requirement with the position of the
 * problem inside it, an include cycle with its chain), DL_ELIMIT (a file
 * over DL_REQFILE_MAX_INPUT, nesting deeper than max_depth), the reader's
 * code, or DL_ENOMEM.  *out is untouched on failure.  It does not check
 * that paths exist, fetch URLs, or decide whether a directory is a project.
 */
int dl_reqfile_parse(dl_reqfile **out, const char *data, size_t len, const char *source,
                     const dl_reqfile_options *opts) DL_WARN_UNUSED;

/* Like dl_reqfile_parse, but read the top file itself through opts->read
 * (which must be set: DL_EINVAL otherwise). */
int dl_reqfile_load(dl_reqfile **out, const char *path, const dl_reqfile_options *opts) DL_WARN_UNUSED;

/* Release a model.  NULL is ignored. */
void dl_reqfile_free(dl_reqfile *rf);

/* "requirement", "editable", "constraint"; "pep508", "url", "path";
 * "index-url", "extra-index-url", ... (the long option's name).  Static. */
const char *dl_reqfile_kind_name(dl_reqfile_kind kind);
const char *dl_reqfile_form_name(dl_reqfile_form form);
const char *dl_reqfile_opt_name(dl_reqfile_opt opt);

#ifdef __cplusplus
}
#endif
#endif
