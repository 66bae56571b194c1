/*
 * deeplock/project.h - what the user asks to lock, read from a project
 * without running any of its code.
 *
 * A project is a directory holding pyproject.toml (PEP 621 [project],
 * PEP 735 [dependency-groups], PEP 517/518 [build-system]) and perhaps
 * setup.cfg / setup.py, or a plain requirements file ("deeplock lock -r
 * requirements.txt").  When [project] is absent, or lists its dependencies
 * as dynamic, and the backend is setuptools, setup.cfg and setup.py are
 * read statically (deeplock/sdist.h); whatever depends on code is recorded
 * as unknowable with a reason, never guessed.
 *
 * Every requirement keeps the file, line and column it was written at, so
 * that a resolution failure can point at the user's own text.  Files are
 * read through a caller-supplied reader: the library does no I/O.
 */
#ifndef DEEPLOCK_PROJECT_H
#define DEEPLOCK_PROJECT_H

#include "deeplock/common.h"
#include "deeplock/reqfile.h"
#include "deeplock/requirement.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where a fact came from. */
typedef enum dl_project_source {
	DL_PROJECT_SRC_NONE = 0,
	DL_PROJECT_SRC_PYPROJECT,    /* pyproject.toml */
	DL_PROJECT_SRC_SETUP_CFG,    /* setup.cfg */
	DL_PROJECT_SRC_SETUP_PY,     /* setup.py */
	DL_PROJECT_SRC_REQUIREMENTS, /* a requirements file */
	DL_PROJECT_SRC_FALLBACK      /* PEP 517/518 default build system */
} dl_project_source;

/* "pyproject.toml", "setup.cfg", "setup.py", "requirements", "pep517-fallback"
 * or "none".  Static. */
const char *dl_project_source_name(dl_project_source src);

/* One requirement the project states. */
typedef struct dl_project_req {
	const char *text;           /* as written */
	const dl_requirement *req;  /* parsed; owned by the project */
	const char *file;           /* where it is written */
	unsigned long line, column; /* 0 when the source gives no position (setup.py lists) */
	/* Dependency groups: the group whose own list holds it, when it comes
	 * in through {include-group = ...}; NULL otherwise. */
	const char *from_group;
} dl_project_req;

/* A list of requirements: runtime, one extra, one group, build. */
typedef struct dl_project_list {
	const char *name;    /* extra or group in normal form; NULL for the others */
	const char *written; /* the name as written */
	const dl_project_req *items;
	size_t count;
	dl_project_source source;
	const char *dynamic; /* why the list cannot be known statically (items empty), or NULL */
	const char *const *includes; /* groups: the groups it includes, normalised, in order */
	size_t n_includes;
} dl_project_list;

/* A scalar: known (value), absent (both NULL) or dynamic (reason). */
typedef struct dl_project_field {
	const char *value;
	const char *dynamic;
	dl_project_source source;
	const char *file;
	unsigned long line, column;
} dl_project_field;

typedef struct dl_project {
	const char *dir;  /* the project directory as given ("" for the current one) */
	const char *root; /* the file that defined the project (pyproject.toml, setup.py, a requirements file) */
	dl_project_field name, version, requires_python;
	dl_project_list runtime;
	const dl_project_list *extras; /* optional-dependencies / extras_require, in order */
	size_t n_extras;
	const char *extras_dynamic; /* why the extras cannot be known, or NULL */
	const dl_project_list *groups; /* [dependency-groups], includes expanded, in order */
	size_t n_groups;
	dl_project_list constraints; /* requirements-file projects: -c entries */

	/* Build: [build-system].requires or the fallback "setuptools>=40.8.0". */
	dl_project_list build_requires;
	dl_project_field build_backend; /* as given, or "setuptools.build_meta:__legacy__" */
	const char *const *backend_path;
	size_t n_backend_path;
	bool setuptools_backend;
	dl_project_list setup_requires; /* what setuptools adds for a build (setup_requires) */

	const dl_reqfile *reqfile; /* requirements-file projects: the whole model */
	const char *const *unknowable; /* one sentence each */
	size_t n_unknowable;
	dl_arena *arena;
} dl_project;

typedef struct dl_project_options {
	unsigned int version;
	/* Read a file (pyproject.toml, setup.cfg, setup.py, requirements files
	 * and their includes); DL_ENOTFOUND when it does not exist. */
	dl_reqfile_read_fn read;
	void *read_ctx;
	dl_reqfile_env_fn env; /* ${VAR} in requirements files; may be NULL */
	void *env_ctx;
} dl_project_options;

#define DL_PROJECT_OPTIONS_VERSION 1
#define DL_PROJECT_OPTIONS_INIT {DL_PROJECT_OPTIONS_VERSION, NULL, NULL, NULL, NULL}

/*
 * Read the project in directory `dir` ("" or "." for the current one):
 * pyproject.toml, then setup.cfg and setup.py when the backend is
 * setuptools and [project] does not say everything.  At least one of the
 * three must exist (DL_ENOTFOUND otherwise).  Returns 0 and *out (free with
 * dl_project_free) or DL_EPARSE with "<file>:<line>:<column>: <problem>"
 * (bad TOML; a field of the wrong type, "'project.dependencies' must be an
 * array of strings, found integer"; an invalid PEP 508 string, naming its
 * position; a field both given and listed in `dynamic`; a dependency-group
 * include cycle or unknown group), DL_ELIMIT, the reader's code, or
 * DL_ENOMEM.  It runs nothing and resolves nothing.
 */
int dl_project_read_dir(dl_project **out, const char *dir, const dl_project_options *opts) DL_WARN_UNUSED;

/* Read a requirements file as the project: its -r entries (and -e) are
 * the runtime requirements, its -c entries the constraints.  Entries
 * whose name is unknown until they are built become unknowable facts. */
int dl_project_read_requirements(dl_project **out, const char *path, const dl_project_options *opts) DL_WARN_UNUSED;

/* A path to a file: pyproject.toml, setup.cfg or setup.py means its
 * directory (dl_project_read_dir); any other file is a requirements file. */
int dl_project_read_file(dl_project **out, const char *path, const dl_project_options *opts) DL_WARN_UNUSED;

/* Release a project.  NULL is ignored. */
void dl_project_free(dl_project *p);

#ifdef __cplusplus
}
#endif
#endif
