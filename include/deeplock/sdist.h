/*
 * deeplock/sdist.h - what a source distribution says about itself, read
 * statically: name, version, Requires-Python, runtime requirements and
 * extras, build requirements and backend, and the facts that cannot be
 * known without running the package's code.
 *
 * No package code is ever run.  Four files are read from the archive:
 *   PKG-INFO        core metadata; from Metadata-Version 2.2 on, every field
 *                   not listed as Dynamic is guaranteed to match the wheel
 *                   (PEP 643);
 *   pyproject.toml  [build-system] (PEP 517/518) and [project] (PEP 621);
 *   setup.cfg       read the way setuptools reads it (configparser);
 *   setup.py        tokenised and evaluated as literals only.
 * Where a fact depends on code (a function call in setup.py, an attr:
 * directive, a field a backend computes), it is marked dynamic with a reason
 * that names the construct and its line; nothing is guessed.
 *
 * Three layers, usable on their own:
 *   dl_setupcfg_*  the INI reader with configparser's semantics;
 *   dl_setuppy_*   the setup.py tokenizer and literal evaluator;
 *   dl_setup_args  the setuptools view both of them produce;
 *   dl_sdist_*     everything together over an opened archive.
 * Requirements stay raw PEP 508 strings (after setuptools' own splitting
 * into lines, comment and continuation handling); parsing them is the
 * requirement module's job.
 */
#ifndef DEEPLOCK_SDIST_H
#define DEEPLOCK_SDIST_H

#include "deeplock/archive.h"
#include "deeplock/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* setup.cfg: configparser as setuptools configures it                 */

/*
 * setuptools reads setup.cfg with `configparser.ConfigParser()` and
 * `optionxform = str`, so the rules are configparser's defaults:
 *   - the file is UTF-8 (a byte order mark is not skipped and makes the
 *     first line a non-header); lines end at "\n", "\r\n" or "\r";
 *   - "[name]" starts a section (the name runs to the last ']' of the line);
 *     options are `key = value` or `key: value`, split at the first '=' or
 *     ':'; keys keep their case;
 *   - a line whose first non-blank character is '#' or ';' is a comment,
 *     also inside a multi-line value; inline comments are NOT stripped
 *     ("pip>=19.1 # why" keeps " # why": setuptools' requirement splitting
 *     drops it later, see dl_setup_split_requirements);
 *   - a line indented deeper than its key continues the value; blank lines
 *     inside a value are kept, trailing ones dropped; values are stripped;
 *   - a section or option repeated in one file is an error (strict mode);
 *     [DEFAULT] may repeat, and its options appear in every section;
 *   - values go through BasicInterpolation: "%%" is '%', "%(key)s" is
 *     another option of the section (or [DEFAULT]), any other '%' is an
 *     error.  setuptools reads every option of every section, so an
 *     interpolation error anywhere makes it fail; it is reported per option
 *     (dl_setupcfg_option.error) rather than failing the parse, because a
 *     project whose backend is not setuptools may keep such a setup.cfg.
 */
typedef struct dl_setupcfg dl_setupcfg;

typedef struct dl_setupcfg_option {
	const char *key; /* as written, case kept, NUL-terminated */
	size_t key_len;
	const char *raw; /* the stored value: lines joined by '\n', stripped */
	size_t raw_len;
	const char *value; /* after interpolation; NULL when it failed */
	size_t value_len;
	const char *error;  /* why interpolation failed ("line 7: ..."); NULL otherwise */
	unsigned long line; /* 1-based line of the key */
	bool inherited;     /* comes from [DEFAULT] */
} dl_setupcfg_option;

#define DL_SETUPCFG_MAX_INPUT ((size_t)16 << 20)

/*
 * Parse a setup.cfg held in [data, data+len) (not NUL-terminated, not
 * referenced after the call).  `source` names it in messages (NULL:
 * "setup.cfg").  Returns 0 and *out (free with dl_setupcfg_free), or
 * DL_EPARSE with "<source>:<line>:<column>: <problem>" for what configparser
 * rejects (invalid UTF-8, text before the first section, a line that is
 * neither a section, an option nor a continuation, a repeated section or
 * option), DL_ELIMIT beyond DL_SETUPCFG_MAX_INPUT bytes, or DL_ENOMEM.  It
 * does not read the files that file: directives name.
 */
int dl_setupcfg_parse(dl_setupcfg **out, const char *data, size_t len, const char *source) DL_WARN_UNUSED;

void dl_setupcfg_free(dl_setupcfg *cfg);

/* Sections in file order, [DEFAULT] excluded.  A name is NUL-terminated
 * but may contain NUL bytes (configparser allows them): *len, when `len` is
 * not NULL, gets its true length.  NULL when out of range. */
size_t dl_setupcfg_section_count(const dl_setupcfg *cfg);
const char *dl_setupcfg_section_name(const dl_setupcfg *cfg, size_t section, size_t *len);

/* Options of a section: its own in file order, then the [DEFAULT] options
 * it does not override (configparser's order). */
size_t dl_setupcfg_option_count(const dl_setupcfg *cfg, size_t section);
const dl_setupcfg_option *dl_setupcfg_option_at(const dl_setupcfg *cfg, size_t section, size_t i);

/* The option `key` (exact, case-sensitive) of `section`, [DEFAULT]
 * included; NULL when absent. */
const dl_setupcfg_option *dl_setupcfg_get(const dl_setupcfg *cfg, const char *section, const char *key);

/*
 * The option as setuptools names it: in [metadata] and [options*] sections
 * (other than [options.extras_require] and [options.data_files]) '-' in a
 * key becomes '_' (deprecated since setuptools 54.1, refused briefly by
 * 78.0.0, accepted again by 78.0.2), and in [metadata] a key is lowercased.
 * When several keys map to the same name, the last one in the section
 * wins, as it does in setuptools' option dictionary.  NULL when absent.
 */
const dl_setupcfg_option *dl_setupcfg_setuptools_get(const dl_setupcfg *cfg, const char *section, const char *key);

/* ------------------------------------------------------------------ */
/* What setuptools' setup() receives                                   */

typedef enum dl_setup_state {
	DL_SETUP_ABSENT = 0, /* not given */
	DL_SETUP_STATIC,     /* known without running code */
	DL_SETUP_DYNAMIC     /* depends on code; `reason` says what */
} dl_setup_state;

typedef struct dl_setup_extra {
	const char *name; /* as written; setup.py keys may carry ":marker" */
	const char *const *reqs;
	size_t count;
} dl_setup_extra;

typedef struct dl_setup_value {
	dl_setup_state state;
	const char *reason; /* DYNAMIC: a sentence naming the construct and its line */
	unsigned long line; /* where it was given; 0 when absent */
	const char *str;    /* STATIC name / version / python_requires */
	const char *const *list; /* STATIC install_requires / setup_requires */
	size_t count;
	const dl_setup_extra *extras; /* STATIC extras_require */
	size_t extras_count;
} dl_setup_value;

/* The arguments of setuptools' setup() that decide dependencies, as one
 * source (setup.cfg or setup.py) gives them. */
typedef struct dl_setup_args {
	dl_setup_value name, version, python_requires;
	dl_setup_value install_requires, setup_requires, extras_require;
	/* setup.py only: why setup() could not be analysed at all (no call, a
	 * call inside a function or an if-block, several calls); NULL when it
	 * could.  Every field is then DYNAMIC with this reason. */
	const char *whole_reason;
	dl_arena *arena; /* owns everything above */
} dl_setup_args;

void dl_setup_args_free(dl_setup_args *args);

/*
 * Split requirement strings the way setuptools does before handing them to
 * packaging (jaraco.text's yield_lines, drop_comment and join_continuation,
 * which setuptools applies to install_requires, extras_require and
 * setup_requires): split each string into lines, strip them, drop empty
 * lines and lines starting with '#', cut each line at " #", and join a line
 * ending in '\' to the next one after dropping the backslash and the
 * character before it (setuptools' own quirk: "a;\" loses the ';').
 * Appends arena copies to *items and *count (a growable array allocated with
 * dl_realloc_array; the caller frees the array with dl_free).  Returns 0 or
 * DL_ENOMEM.
 */
int dl_setup_split_requirements(const char ***items, size_t *count, size_t *cap, dl_arena *arena,
                                const char *const *strs, size_t n);

/*
 * Read a file named by a file: directive; return 0 and append its bytes to
 * `out`, DL_ENOTFOUND when it does not exist, or another negative code.
 * Given to dl_setupcfg_extract so that file: can be resolved from an
 * archive without the reader knowing about archives.
 */
typedef int (*dl_setup_file_fn)(void *ctx, const char *path, dl_buf *out);

/*
 * The setuptools view of a parsed setup.cfg: [metadata] name and version,
 * [options] install_requires, setup_requires, python_requires, and
 * [options.extras_require].  Lists follow setuptools' _parse_list: a value
 * with a newline is split into lines, a one-line value at ';' (a one-line
 * "foo; python_version<'3.8'" becomes two requirements, exactly as
 * setuptools does it, with a warning there), then dl_setup_split_requirements.
 * `file:` (install_requires, extras, version) is resolved through
 * `read_file` when it is not NULL, joining several files with '\n' and
 * skipping missing ones as setuptools does; without `read_file`, or for a
 * path that leaves the project, the field is DYNAMIC.  `attr:` (version)
 * is always DYNAMIC: it may import the package.  A value whose
 * interpolation failed, or that holds a NUL byte, is DYNAMIC with that as
 * the reason.  A read_file error other than DL_ENOTFOUND and DL_ENOMEM (a
 * link, a file too large) makes the field DYNAMIC with the callback's
 * message.  Returns 0 and *out (free with dl_setup_args_free) or DL_ENOMEM.
 * Everything in *out is copied: it does not borrow from `cfg`.
 */
int dl_setupcfg_extract(dl_setup_args **out, const dl_setupcfg *cfg, dl_setup_file_fn read_file, void *ctx)
    DL_WARN_UNUSED;

/* ------------------------------------------------------------------ */
/* setup.py: literals only                                              */

#define DL_SETUPPY_MAX_INPUT ((size_t)16 << 20)

/*
 * Analyse a setup.py held in [src, src+len) without running it.  The file
 * is tokenised as Python 3 (strings of every kind, implicit concatenation,
 * comments, line continuations, brackets, indentation) and the single
 * module-level setup() call (also setuptools.setup(), distutils.core.setup()
 * or an imported alias; a call under `if __name__ == "__main__":` counts as
 * module level) is found.  Its keyword arguments name, version,
 * python_requires, install_requires, setup_requires and extras_require are
 * evaluated when they are literals: str (with implicit concatenation), a
 * list or tuple of str, a dict of str to str or list of str, `+` of such
 * values, and names bound once at module level to such values (followed
 * through a few levels of plain assignment, with `+=` of literals).
 * Anything else is DYNAMIC with a reason naming it and its line: a call
 * ("install_requires is computed by a call to get_requirements() at line
 * 12"), a comprehension, an attribute, a subscript, an f-string with fields,
 * a name assigned in an if-block, a function or a loop, a name mutated
 * (deps.append at line 9) or passed to a call, `**kwargs` in the call, or
 * a module that calls exec()/eval()/globals().  A field not given (and no
 * **kwargs) is ABSENT.
 *
 * Returns 0 and *out (free with dl_setup_args_free), DL_EPARSE with
 * "<source>:<line>:<column>: <problem>" when the file cannot be tokenised
 * (unterminated string, unbalanced bracket, bad indentation), DL_ELIMIT
 * beyond DL_SETUPPY_MAX_INPUT bytes or 200 nested brackets, or DL_ENOMEM.
 * `source` NULL means "setup.py".  It never imports, compiles or runs
 * anything.
 */
int dl_setuppy_analyze(dl_setup_args **out, const char *src, size_t len, const char *source) DL_WARN_UNUSED;

/* ------------------------------------------------------------------ */
/* The sdist                                                            */

typedef enum dl_sdist_source {
	DL_SDIST_SRC_NONE = 0,
	DL_SDIST_SRC_PKG_INFO,  /* PKG-INFO (PEP 643 static field) */
	DL_SDIST_SRC_PYPROJECT, /* pyproject.toml [project] or [build-system] */
	DL_SDIST_SRC_SETUP_CFG,
	DL_SDIST_SRC_SETUP_PY,
	DL_SDIST_SRC_FALLBACK,  /* the PEP 517/518 default for projects without [build-system] */
	DL_SDIST_SRC_SETUPTOOLS /* setuptools' get_requires_for_build_wheel adds setup_requires */
} dl_sdist_source;

/* "pkg-info", "pyproject", "setup.cfg", "setup.py", "pep517-fallback",
 * "setuptools-get-requires", or "none".  Static. */
const char *dl_sdist_source_name(dl_sdist_source src);

typedef struct dl_sdist_req {
	const char *req;   /* raw PEP 508 string */
	const char *extra; /* NULL for a runtime requirement; the extra's name otherwise */
	dl_sdist_source source;
	/* For setup_requires: where setuptools read them (setup.cfg or
	 * setup.py); DL_SDIST_SRC_NONE otherwise. */
	dl_sdist_source origin;
} dl_sdist_req;

/* A scalar fact: known (value and source), absent, or dynamic (reason). */
typedef struct dl_sdist_field {
	const char *value;
	dl_sdist_source source;
	const char *dynamic; /* reason when it cannot be known statically */
} dl_sdist_field;

/* A list of requirements: static (items, source; possibly empty) or
 * dynamic (reason, no items). */
typedef struct dl_sdist_reqs {
	const dl_sdist_req *items;
	size_t count;
	dl_sdist_source source;
	const char *dynamic;
} dl_sdist_reqs;

typedef struct dl_sdist {
	const char *topdir;
	/* Raw texts as found (NULL when absent), NUL-terminated. */
	const char *pkg_info, *pyproject, *setup_cfg, *setup_py;
	size_t pkg_info_len, pyproject_len, setup_cfg_len, setup_py_len;
	const char *metadata_version; /* from PKG-INFO; NULL when absent */

	dl_sdist_field name, version, requires_python;
	/* Runtime requirements (extra == NULL) and requirements of extras
	 * (extra != NULL).  From PKG-INFO, a Requires-Dist line goes to
	 * `extras` when its marker is `extra == "x"` alone or and-ed to a rest
	 * without a top-level `or`; the clause is removed and the rest kept as
	 * the marker.  Any other line stays in `requires` verbatim (its marker
	 * still mentions `extra`).  From setup.py, an extras key "x:marker"
	 * and-s the marker to each requirement, and a key ":marker" adds
	 * conditional runtime requirements, as setuptools does. */
	dl_sdist_reqs requires;
	dl_sdist_reqs extras;
	const char *const *extra_names; /* declared extras, in order */
	size_t extra_names_count;

	/* Build: [build-system].requires, or the fallback "setuptools>=40.8.0"
	 * (build_requires.source == DL_SDIST_SRC_FALLBACK). */
	dl_sdist_reqs build_requires;
	const char *build_backend; /* as given, or "setuptools.build_meta:__legacy__" */
	dl_sdist_source build_backend_source; /* PYPROJECT or FALLBACK */
	const char *const *backend_path;      /* [build-system].backend-path */
	size_t backend_path_count;
	bool setuptools_backend; /* the backend is setuptools.build_meta[:__legacy__] */
	/* Requirements a setuptools build adds through get_requires_for_build_wheel
	 * (setup_requires); dynamic when setup_requires is computed. */
	dl_sdist_reqs setup_requires;

	/* Facts deeplock cannot know statically, one sentence each. */
	const char *const *unknowable;
	size_t unknowable_count;
	dl_arena *arena;
} dl_sdist;

/* The unknowable fact recorded for every setuptools build: the lock
 * engine resolves it (it knows the setuptools version it chose), so it
 * compares with this text to leave the fact out of its notes. */
#define DL_SDIST_NOTE_SETUPTOOLS_WHEEL                                                                                 \
	"build requirements: setuptools older than 70.1 also asks for 'wheel' through "                                 \
	"get_requires_for_build_wheel; whether it does depends on the setuptools version chosen"

/* Limits on the members read from the archive. */
typedef struct dl_sdist_options {
	unsigned int version;
	size_t max_member; /* bytes of each file read; 0 means 4 MiB */
} dl_sdist_options;

#define DL_SDIST_OPTIONS_VERSION 1
#define DL_SDIST_OPTIONS_INIT {DL_SDIST_OPTIONS_VERSION, 0}

/*
 * Describe the sdist in `ar`.  The archive must have one top directory
 * holding PKG-INFO (DL_EPARSE otherwise, naming the archive).  A damaged
 * pyproject.toml (bad TOML, or [build-system] that pip would reject:
 * `requires` missing or not a list of strings, backend-path not a list of
 * strings or leaving the tree) is DL_EPARSE naming the file and position.
 * A setup.cfg or setup.py that cannot be read, or a PKG-INFO that the
 * metadata parser rejects, only makes the facts they would give dynamic
 * (an unknowable entry says why), since a build may not need them.
 * Returns 0 and *out (free with dl_sdist_free), or a negative code.  It
 * runs no code and writes nothing.
 */
int dl_sdist_read(dl_sdist **out, const dl_archive *ar, const dl_sdist_options *opts) DL_WARN_UNUSED;

void dl_sdist_free(dl_sdist *sd);

#ifdef __cplusplus
}
#endif
#endif
