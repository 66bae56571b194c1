/*
 * deeplock/resolvelib.h - resolvelib's frozen PyPI snapshots and test cases
 * as in-memory resolution inputs.
 *
 * ../shared/data/resolvelib holds dependency snapshots of PyPI (JSON
 * `{name: {version: {dependencies: [PEP 508 ...]}}}`) and cases
 * (`{index, requested, resolved | conflicted}`).  The snapshots know no
 * files, so every release becomes one with no file list (a compatible
 * universal wheel is assumed) and no requires-python; markers other than
 * `extra` are meant for CPython 3.8 on Linux (dl_resolvelib_target).
 * The snapshots have quirks the loader accepts: a top-level key whose
 * value is not an object is a flag, not a project, and is skipped;
 * `"dependencies": {}` means none; a version that is not PEP 440 (a conda
 * build string) is skipped, as installers skip it on an index.
 * Tests and benchmarks share this loader.  It parses with jansson, whose
 * own allocations do not go through the dl allocator hook.
 */
#ifndef DEEPLOCK_RESOLVELIB_H
#define DEEPLOCK_RESOLVELIB_H

#include "deeplock/common.h"
#include "deeplock/pyresolve.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Read the snapshot [data, data+len) into a new in-memory source *out
 * (free with dl_py_memsource_free).  `source` names the input in messages.
 * Returns DL_EPARSE for invalid JSON ("<source>:<line>:<column>: ...") or
 * a wrong shape (naming the project and version), DL_EPARSE for an
 * invalid project name or version, or DL_ENOMEM.  Dependency strings are
 * not parsed here (the resolver does, and makes a release with a bad one
 * unusable).
 */
int dl_resolvelib_index_load(dl_py_memsource **out, const char *data, size_t len, const char *source);

typedef struct dl_resolvelib_pin {
	const char *name; /* PEP 503 normal form */
	const char *version;
} dl_resolvelib_pin;

typedef struct dl_resolvelib_case {
	const char *index;                /* the snapshot's file name without ".json" */
	const char *const *requested;     /* PEP 508 strings */
	size_t nrequested;
	bool has_resolved;                /* the case lists an expected resolution */
	const dl_resolvelib_pin *resolved; /* sorted by name */
	size_t nresolved;
	bool conflicted;                  /* the case expects no resolution */
	const char *const *conflict_names; /* the projects it names, normal form, sorted */
	size_t nconflict_names;
} dl_resolvelib_case;

/* Read a case file into *out (free with dl_resolvelib_case_free).  Errors
 * as for dl_resolvelib_index_load. */
int dl_resolvelib_case_load(dl_resolvelib_case **out, const char *data, size_t len, const char *source);
void dl_resolvelib_case_free(dl_resolvelib_case *c);

/* The snapshots' target: CPython 3.8 (3.8.0) on manylinux x86_64.  As
 * dl_py_target_init. */
int dl_resolvelib_target(dl_py_target *t);

#ifdef __cplusplus
}
#endif
#endif
