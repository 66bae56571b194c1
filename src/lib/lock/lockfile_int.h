/*
 * lockfile_int.h - what the lock-file readers share: the reading context,
 * arena-backed strings and growable arrays, TOML field helpers that copy
 * into the model and keep positions, and the checks every format needs
 * (project names, versions, hashes, file kinds).  Not a public header.
 */
#ifndef DL_LOCKFILE_INT_H
#define DL_LOCKFILE_INT_H

#include "deeplock/lockfile.h"
#include "deeplock/toml.h"

typedef struct lf_ctx {
	dl_lockfile *lock;
	dl_arena *arena;
	const char *source; /* for messages; never NULL */
	/* Lock-level lists that grow while reading; copied to lock at the end. */
	const char **groups;
	size_t n_groups, cap_groups;
	dl_lockfile_index *indexes;
	size_t n_indexes, cap_indexes;
} lf_ctx;

/* One reader per format; each fills ctx->lock from the input. */
int dl_lf_read_pylock(lf_ctx *ctx, const dl_toml_value *root);
int dl_lf_read_poetry(lf_ctx *ctx, const dl_toml_value *root);
int dl_lf_read_pdm(lf_ctx *ctx, const dl_toml_value *root);
int dl_lf_read_uv(lf_ctx *ctx, const dl_toml_value *root);
int dl_lf_read_pipfile(lf_ctx *ctx, const char *data, size_t len);
int dl_lf_read_requirements(lf_ctx *ctx, const char *data, size_t len);

/* A missing required key is malformed input: turn dl_toml_get's
 * DL_ENOTFOUND into DL_EPARSE, stored error included; other codes pass. */
int dl_lf_required(int rc);

/* Positions. */
dl_lockfile_pos dl_lf_pos(const dl_toml_value *v);

/* Arena copies; NULL with DL_ENOMEM stored on failure. */
char *dl_lf_strndup(lf_ctx *ctx, const char *s, size_t len);
/* An array of n zeroed elements in the arena (n may be 0: a non-NULL
 * pointer is still returned).  NULL with DL_ENOMEM stored on failure or
 * overflow. */
void *dl_lf_array(lf_ctx *ctx, size_t n, size_t size);
/* Make room for element n of an arena array that grows by doubling: returns
 * the array (moved when it grew, *cap updated) with element n zeroed, or
 * NULL with DL_ENOMEM stored. */
void *dl_lf_grow(lf_ctx *ctx, void *arr, size_t n, size_t *cap, size_t size);

/* Copy the string under `key` (optional unless `required`) into *out
 * (NULL when absent), its position into *pos when pos is not NULL. */
int dl_lf_toml_str(lf_ctx *ctx, const dl_toml_value *tbl, const char *key, bool required, const char **out,
                   dl_lockfile_pos *pos);
/* The optional boolean under `key` as a tristate. */
int dl_lf_toml_bool(const dl_toml_value *tbl, const char *key, dl_lockfile_tristate *out);
/* The optional array of strings under `key`, copied. */
int dl_lf_toml_strs(lf_ctx *ctx, const dl_toml_value *tbl, const char *key, const char *const **out, size_t *n);
/* Copy a string value that has been type-checked. */
int dl_lf_toml_strv(lf_ctx *ctx, const dl_toml_value *v, const char **out);

/* Check and store a project name: `where` is the value for the message
 * (TOML) or NULL, with `pos` used for JSON. */
int dl_lf_name(lf_ctx *ctx, const char *s, size_t len, const char **name, const char **normalized,
               dl_lockfile_pos pos);
/* Store a version and its PEP 440 validity; DL_ENOMEM only. */
int dl_lf_version(lf_ctx *ctx, dl_lockfile_package *pkg, const char *s, size_t len);

/* The start every TOML lock format's package table shares: check that
 * `pkg` is a table, record its position, mark dev/optional/yanked unknown,
 * and read "name" (required) and "version" (required when
 * `version_required`): checked and stored with their positions. */
int dl_lf_toml_package_head(lf_ctx *ctx, dl_lockfile_package *p, const dl_toml_value *pkg, bool version_required);

/* Why [alg, hex] is not an acceptable hash, or NULL when it is. */
const char *dl_lf_hash_problem(const char *alg, size_t alen, const char *hex, size_t hlen);
/* Fill *h from "algorithm:hex" (or bare hex with `default_alg`), failing
 * with a positioned DL_EPARSE. */
int dl_lf_hash_colon(lf_ctx *ctx, dl_lockfile_hash *h, const char *s, size_t len, const char *default_alg,
                     dl_lockfile_pos pos);
/* Fill *h from a checked algorithm and hex digits. */
int dl_lf_hash_set(lf_ctx *ctx, dl_lockfile_hash *h, const char *alg, size_t alen, const char *hex, size_t hlen,
                   dl_lockfile_pos pos);

/* A positioned DL_EPARSE (or other code) "<source>:<l>:<c>: <msg>". */
int dl_lf_error(lf_ctx *ctx, int code, dl_lockfile_pos pos, const char *fmt, ...) DL_PRINTF(4, 5);

/* The kind a file name implies: wheel, sdist, or unknown. */
dl_lockfile_file_kind dl_lf_kind_from_name(const char *name);
/* The last path component of a URL or path (without query or fragment),
 * copied; NULL when empty. */
int dl_lf_basename(lf_ctx *ctx, const char *s, const char **out);

/* Record an index the lock names, once per URL. */
int dl_lf_add_index(lf_ctx *ctx, const char *name, const char *url, dl_lockfile_pos pos);
/* Record a lock-level group name, once. */
int dl_lf_add_group(lf_ctx *ctx, const char *name);

/* Compute has_sdist from the files. */
void dl_lf_finish_package(dl_lockfile_package *pkg);

/* Parse "MAJOR[.MINOR...]" into its major number; -1 when malformed. */
long dl_lf_major(const char *s);

#endif
