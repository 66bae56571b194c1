/*
 * deeplock/lockfile.h - readers for the lock files other tools write, into
 * one in-memory model.
 *
 * `deeplock audit` and `deeplock diff` look at what a lock leaves unpinned:
 * packages with no hashes, sdists that will be built with unpinned build
 * requirements, VCS dependencies without a commit, editable paths.  They
 * should not care which tool wrote the lock, so every reader here fills the
 * same model: a dl_lockfile with its packages, each with its source, the
 * files the lock records for it (with hashes), its dependencies as written,
 * and its groups.  What a format does not record is marked as unknown
 * (NULL, -1 or DL_LOCKFILE_UNKNOWN) rather than guessed, so an audit can
 * tell "no sdist" from "cannot tell".
 *
 * Formats: pylock.toml (PEP 751, lock-version 1.x), poetry.lock (lock-version
 * 1.x and 2.x), pdm.lock (lock_version 4.x), Pipfile.lock (pipfile-spec up to
 * 6), uv.lock (version 1) and requirements files as lock tools write them
 * (pip-compile, `uv pip compile`, `pdm export`, pip freeze: one requirement
 * per logical line, `--hash` options, `# via` annotations, which become the
 * dependency edges of the packages they name; nested -r/-c files are not
 * followed, since a lock must stand alone, and are reported instead).
 *
 * Every package, file, hash, dependency and most fields carry the 1-based
 * line and column they came from (0:0 when the format or the field gives
 * none), so an audit message can point into the file.  Columns count
 * characters, as the TOML reader and jansson do.
 *
 * Reading is strict about shape and lenient about growth: a value of the
 * wrong type, an invalid project name or a malformed hash is an error naming
 * the file, the line and the column; unknown keys are ignored; a newer minor
 * format version is read, a newer major version refused (DL_EUNSUPPORTED).
 * A version that is not PEP 440 is kept as written with version_valid false
 * (some locks pin such versions).  Hash hex digits are stored lower case.
 *
 * A dl_lockfile owns everything in it through one arena: strings and arrays
 * are borrowed pointers valid until dl_lockfile_free.
 */
#ifndef DEEPLOCK_LOCKFILE_H
#define DEEPLOCK_LOCKFILE_H

#include "deeplock/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest lock file read, in bytes. */
#define DL_LOCKFILE_MAX_INPUT ((size_t)64 << 20)

typedef enum dl_lockfile_format {
	DL_LOCKFILE_UNKNOWN_FORMAT = 0,
	DL_LOCKFILE_PYLOCK,      /* pylock.toml, pylock.<name>.toml (PEP 751) */
	DL_LOCKFILE_POETRY,      /* poetry.lock */
	DL_LOCKFILE_PDM,         /* pdm.lock */
	DL_LOCKFILE_PIPFILE,     /* Pipfile.lock (JSON) */
	DL_LOCKFILE_UV,          /* uv.lock */
	DL_LOCKFILE_REQUIREMENTS /* requirements.txt: read by the requirements-file reader */
} dl_lockfile_format;

/* Three-valued facts: what the lock says, or that it does not say. */
typedef enum dl_lockfile_tristate {
	DL_LOCKFILE_UNKNOWN = -1,
	DL_LOCKFILE_NO = 0,
	DL_LOCKFILE_YES = 1
} dl_lockfile_tristate;

/* Where something came from in the file; 0:0 when not known. */
typedef struct dl_lockfile_pos {
	uint32_t line;
	uint32_t column;
} dl_lockfile_pos;

/* Where a package comes from. */
typedef enum dl_lockfile_source_kind {
	DL_LOCKFILE_SOURCE_UNKNOWN = 0,
	DL_LOCKFILE_SOURCE_REGISTRY,  /* an index; url is its URL, NULL for the tool's default */
	DL_LOCKFILE_SOURCE_URL,       /* a direct URL to an archive */
	DL_LOCKFILE_SOURCE_PATH,      /* a local archive file (path) */
	DL_LOCKFILE_SOURCE_DIRECTORY, /* a local source tree (path); see `editable` */
	DL_LOCKFILE_SOURCE_VCS,       /* a repository (vcs, url or path, commit) */
	DL_LOCKFILE_SOURCE_VIRTUAL    /* uv: a project root that is not itself installed */
} dl_lockfile_source_kind;

typedef struct dl_lockfile_source {
	dl_lockfile_source_kind kind;
	const char *url;                /* index URL, archive URL or repository URL */
	const char *index_name;         /* the name the lock gives the index (Pipfile, poetry) */
	const char *path;               /* archive file, directory, or local repository */
	const char *vcs;                /* "git", "hg", "svn", "bzr" for VCS */
	const char *requested_revision; /* the branch, tag or ref asked for */
	const char *commit;             /* the resolved commit; NULL when the lock has none */
	const char *subdirectory;
	/* Editable install of a directory (or, in Pipfile.lock, of a VCS
	 * checkout).  A flag rather than a kind, because it qualifies both. */
	bool editable;
	dl_lockfile_pos pos;
} dl_lockfile_source;

typedef struct dl_lockfile_hash {
	const char *algorithm; /* as written ("sha256") */
	const char *hex;       /* lower-case hex digits, the right length for a known algorithm */
	dl_lockfile_pos pos;
} dl_lockfile_hash;

typedef enum dl_lockfile_file_kind {
	DL_LOCKFILE_FILE_UNKNOWN = 0, /* no name and no structure says (Pipfile.lock hashes) */
	DL_LOCKFILE_FILE_WHEEL,
	DL_LOCKFILE_FILE_SDIST,
	DL_LOCKFILE_FILE_ARCHIVE /* pylock [packages.archive] that is not a wheel: a source archive */
} dl_lockfile_file_kind;

/* A file the lock records for a package.  Pipfile.lock and the oldest
 * poetry locks record bare hashes: each becomes a file with no name. */
typedef struct dl_lockfile_file {
	dl_lockfile_file_kind kind;
	const char *filename;    /* NULL when the lock gives none and no URL/path implies one */
	const char *url;
	const char *path;
	dl_lockfile_hash *hashes;
	size_t n_hashes;
	int64_t size;            /* bytes; -1 when not recorded */
	const char *upload_time; /* RFC 3339 as written or formatted; NULL when not recorded */
	dl_lockfile_pos pos;
} dl_lockfile_file;

/* A dependency of a package as the lock writes it. */
typedef struct dl_lockfile_dep {
	const char *name;            /* as written */
	const char *normalized_name; /* PEP 503 */
	const char *specifier;       /* as written (poetry's own syntax for poetry); NULL when none */
	const char *version;         /* the pinned version the entry names (uv, pylock); NULL */
	const char *marker;          /* NULL when none */
	const char *const *extras;   /* as written */
	size_t n_extras;
	/* The extra (uv optional-dependencies, poetry extras) or dependency
	 * group (uv dev-dependencies) this edge belongs to; NULL for the
	 * package's own dependencies. */
	const char *extra;
	const char *group;
	const char *text;            /* the whole requirement string when the lock writes one (pdm) */
	dl_lockfile_pos pos;
} dl_lockfile_dep;

/* A group (poetry groups, pdm groups, Pipfile.lock category), with the
 * marker poetry 2 may attach per group. */
typedef struct dl_lockfile_group {
	const char *name;
	const char *marker; /* NULL when none */
	dl_lockfile_pos pos;
} dl_lockfile_group;

typedef struct dl_lockfile_package {
	const char *name;            /* as written */
	const char *normalized_name; /* PEP 503 */
	const char *version;         /* as written; NULL for unversioned path or VCS entries */
	bool version_valid;          /* version is present and PEP 440 */
	const char *marker;          /* when to install it; NULL when always (see the readers) */
	const char *requires_python;
	const char *const *extras;   /* the extras this entry stands for (pdm "coverage[toml]") */
	size_t n_extras;
	dl_lockfile_source source;
	dl_lockfile_file *files;
	size_t n_files;
	/* Is an sdist among the files?  YES when a file is known to be one (or
	 * a source archive); UNKNOWN when some file is of unknown kind; NO
	 * otherwise, including when no file is recorded. */
	dl_lockfile_tristate has_sdist;
	dl_lockfile_dep *deps;
	size_t n_deps;
	dl_lockfile_group *groups;
	size_t n_groups;
	dl_lockfile_tristate dev;      /* poetry category/groups, Pipfile develop */
	dl_lockfile_tristate optional; /* poetry `optional` */
	dl_lockfile_tristate yanked;   /* none of the five formats records it today */
	bool root;                     /* the project itself (uv workspace members) */
	dl_lockfile_pos pos;           /* the package's header or key */
	dl_lockfile_pos name_pos;
	dl_lockfile_pos version_pos;
	dl_lockfile_pos marker_pos;
} dl_lockfile_package;

/* An index the lock names. */
typedef struct dl_lockfile_index {
	const char *name; /* NULL when the lock gives no name */
	const char *url;
	dl_lockfile_pos pos;
} dl_lockfile_index;

typedef struct dl_lockfile {
	dl_lockfile_format format;
	const char *format_version;  /* "1.0", "2.1", "4.5.1", "6", "1" as the file says */
	dl_lockfile_pos format_version_pos;
	const char *source;          /* the name given to dl_lockfile_parse; never NULL */
	const char *created_by;      /* pylock created-by; NULL */
	const char *content_hash;    /* poetry, pdm, Pipfile.lock: the hash of the inputs */
	const char *requires_python; /* a PEP 440 specifier set; NULL */
	dl_lockfile_pos requires_python_pos;
	const char *const *environments; /* markers the lock supports (pylock, uv supported-markers) */
	size_t n_environments;
	dl_lockfile_index *indexes;
	size_t n_indexes;
	const char *const *groups;         /* groups the lock knows (pylock dependency-groups, pdm, Pipfile) */
	size_t n_groups;
	const char *const *default_groups; /* pylock default-groups */
	size_t n_default_groups;
	const char *const *extras;         /* pylock extras */
	size_t n_extras;
	dl_lockfile_package *packages;
	size_t n_packages;
} dl_lockfile;

/* The short name of a format: "pylock", "poetry", "pdm", "pipfile", "uv",
 * "requirements"; "unknown" otherwise.  Static. */
const char *dl_lockfile_format_name(dl_lockfile_format fmt);

/* The format named `name`: a short name above or the canonical file name
 * ("pylock.toml", "poetry.lock", "pdm.lock", "Pipfile.lock", "uv.lock",
 * "requirements.txt"), case-insensitively.  DL_EINVAL naming the choices
 * otherwise. */
int dl_lockfile_format_from_name(dl_lockfile_format *out, const char *name);

/*
 * Tell the format of a lock file, by the last component of `path` first
 * (pylock.toml and pylock.NAME.toml, poetry.lock, pdm.lock, Pipfile.lock,
 * uv.lock, also as a suffix after a '.' such as "app.poetry.lock"; *.txt is
 * a requirements file), then by the content [data, data+len): a JSON object
 * with "_meta" is Pipfile.lock; a TOML document with top-level lock-version
 * and created-by (or one of them and [[packages]]) is pylock.toml, with a
 * [metadata] table holding
 * lock-version or content-hash poetry.lock, holding lock_version or
 * content_hash pdm.lock, with an integer `version` and [[package]] uv.lock;
 * text whose first significant line reads like a requirement is a
 * requirements file.  `path` and `data` may be NULL.  Returns DL_EINVAL,
 * saying what was tried, when it cannot tell.  It does not check that the
 * file is valid; dl_lockfile_parse does.
 */
int dl_lockfile_detect(const char *path, const char *data, size_t len, dl_lockfile_format *out);

/*
 * Read the lock file [data, data+len) of format `fmt` into a new model
 * (*out, free with dl_lockfile_free).  `source` names the input in messages
 * and in the model ("poetry.lock"); NULL means "<input>".  The input need not
 * be NUL-terminated and is not referenced after the call.
 *
 * Returns DL_EPARSE with "<source>:<line>:<column>: <what was expected>" for
 * malformed input, DL_EUNSUPPORTED for a newer major format version or a
 * requirements file that includes others (-r, -c), DL_ELIMIT over DL_LOCKFILE_MAX_INPUT or a nesting
 * limit, DL_EINVAL for an unknown format, DL_ENOMEM.  *out is untouched on
 * failure.  It reads what the lock says; it does not resolve, fetch, check
 * hashes against files or check that dependencies name locked packages.
 */
int dl_lockfile_parse(dl_lockfile **out, dl_lockfile_format fmt, const char *data, size_t len,
                      const char *source) DL_WARN_UNUSED;

/* Free a model and everything in it.  NULL is ignored. */
void dl_lockfile_free(dl_lockfile *lock);

/* Names of the enum values for printing: "registry", "url", "path",
 * "directory", "vcs", "virtual", "unknown"; "wheel", "sdist", "archive",
 * "unknown".  Static. */
const char *dl_lockfile_source_kind_name(dl_lockfile_source_kind kind);
const char *dl_lockfile_file_kind_name(dl_lockfile_file_kind kind);

#ifdef __cplusplus
}
#endif
#endif
