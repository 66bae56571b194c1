/*
 * cli.h - shared declarations of the deeplock command-line tool.
 *
 * The tool uses only libdeeplock's public headers.  Each command is a
 * function taking the arguments after its name (argv[0] is the command name)
 * and returning the process exit status:
 *   0  success
 *   1  the command ran and failed (invalid input, unsatisfiable, I/O error)
 *   2  usage error (unknown option, missing argument)
 */
#ifndef DL_CLI_H
#define DL_CLI_H

#include <stdio.h>

#include <jansson.h>

#include "deeplock/cache.h"
#include "deeplock/client.h"
#include "deeplock/fetch.h"

#define DL_EXIT_OK 0
#define DL_EXIT_FAIL 1
#define DL_EXIT_USAGE 2

typedef int (*dl_cli_fn)(int argc, char **argv);

typedef struct dl_cli_command {
	const char *name;
	const char *summary;
	dl_cli_fn fn;
} dl_cli_command;

/* Print "deeplock: error: <msg>" and the stored error's context to stderr. */
void dl_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print the library's stored error, prefixed by what the tool was doing. */
void dl_cli_lib_error(const char *doing);
/* Print a usage error for `cmd` and return DL_EXIT_USAGE. */
int dl_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Read all of a stream (stdin for "-") into a new buffer (free with free()),
 * capped at `max` bytes.  NULL with a printed error on failure. */
char *dl_cli_read_input(const char *path, size_t max, size_t *len_out);

/* Run argv[0] (looked up in PATH, no shell) with stdout captured into a new
 * NUL-terminated buffer (free with dl_free), at most `max` bytes; stderr is
 * left alone.  Returns 0 with *status_out the exit status (128 + signal
 * when killed), ENOENT when there is no such program, EFBIG when the output
 * exceeds `max`, or another errno value. */
int dl_cli_capture(char *const argv[], size_t max, char **out, size_t *len_out, int *status_out);

/* --python VALUE: true when VALUE names an interpreter rather than a
 * version X[.Y[.Z]]. */
bool dl_cli_is_interpreter(const char *python);
/* Ask the interpreter `exe` (a path or a name on PATH) for its version
 * X.Y.Z and most specific platform tag (interp.c).  0, or DL_EXIT_FAIL
 * after printing why. */
int dl_cli_probe_python(const char *exe, char version[static 64], char platform[static 64]);

/* The file reader and environment lookup the CLI gives the library's
 * requirements-file and project readers (debug_inputs.c). */
int dl_cli_read_disk(void *ctx, const char *path, dl_buf *out);
const char *dl_cli_getenv(void *ctx, const char *name);

/* Print a JSON value to stdout, indented, keys in insertion order, and a
 * final newline.  Returns 0, or DL_EXIT_FAIL on a write error. */
int dl_cli_print_json(json_t *value);

/* The shared index, network and cache options (netopts.c). */
typedef struct dl_cli_net {
	const char *index_url;
	const char **extra;
	size_t n_extra;
	const char **find_links;
	size_t n_find_links;
	bool no_index;
	bool merge;
	dl_cache_mode mode;
	const char *cache_dir;
	const char *cert;
	bool netrc;
	unsigned concurrency;
	int retries;
	long timeout_ms;
	/* Direct URLs (`name @ URL`) of the requirements, for the client. */
	const char *const *direct_names;
	const char *const *direct_urls;
	size_t n_direct;
	/* Set up by dl_cli_net_open. */
	const char **indexes;
	size_t n_indexes;
	char **env_strings;
	size_t n_env_strings;
	dl_cache *cache;
	dl_fetch *fetch;
	dl_client *client;
} dl_cli_net;

extern const char dl_cli_net_help[];
void dl_cli_net_init(dl_cli_net *n);
/* Offer argv[*i] to the shared options: 1 when it was one (and *i moved
 * past its value), 0 when not, -1 after printing a usage error. */
int dl_cli_net_arg(dl_cli_net *n, const char *cmd, int argc, char **argv, int *i);
/* Apply the environment's defaults and create cache, engine and client.
 * DL_EXIT_OK, or DL_EXIT_FAIL after printing why. */
int dl_cli_net_open(dl_cli_net *n);
void dl_cli_net_close(dl_cli_net *n);
/* The cache directory (--cache-dir, DEEPLOCK_CACHE_DIR, XDG_CACHE_HOME,
 * HOME); `n` may be NULL.  Free with dl_free.  -1 after printing why. */
int dl_cli_cache_root(const dl_cli_net *n, char **out);

/* `deeplock lock` (lock_cmd.c). */
int dl_cli_lock(int argc, char **argv);

/* `deeplock export|tree|why|graph` (export_cmd.c). */
int dl_cli_export(int argc, char **argv);
int dl_cli_tree(int argc, char **argv);
int dl_cli_why(int argc, char **argv);
int dl_cli_graph(int argc, char **argv);

/* `deeplock audit` (audit_cmd.c). */
int dl_cli_audit(int argc, char **argv);

/* `deeplock diff OLD NEW` (diff_cmd.c). */
int dl_cli_diff(int argc, char **argv);

/* `deeplock cache dir|size|clean` (cache_cmd.c). */
int dl_cli_cache(int argc, char **argv);

/* `deeplock debug ...` (hidden from the main help). */
int dl_cli_debug(int argc, char **argv);

/* The debug subcommands, one group per file. */
int dl_cli_debug_toml_decode(int argc, char **argv);  /* debug_toml.c */
int dl_cli_debug_toml_encode(int argc, char **argv);  /* debug_toml.c */
int dl_cli_debug_version(int argc, char **argv);      /* debug_version.c */
int dl_cli_debug_specifier(int argc, char **argv);    /* debug_version.c */
int dl_cli_debug_range(int argc, char **argv);        /* debug_version.c */
int dl_cli_debug_requirement(int argc, char **argv);  /* debug_req.c */
int dl_cli_debug_marker(int argc, char **argv);       /* debug_req.c */
int dl_cli_debug_wheel_name(int argc, char **argv);   /* debug_dist.c */
int dl_cli_debug_sdist_name(int argc, char **argv);   /* debug_dist.c */
int dl_cli_debug_metadata(int argc, char **argv);     /* debug_dist.c */
int dl_cli_debug_tags(int argc, char **argv);         /* debug_dist.c */
int dl_cli_debug_name(int argc, char **argv);         /* debug.c */
int dl_cli_debug_index_page(int argc, char **argv);   /* debug_index.c */
int dl_cli_debug_index(int argc, char **argv);        /* debug_index.c */
int dl_cli_debug_scenario(int argc, char **argv);     /* debug_scenario.c */
int dl_cli_debug_lockfile(int argc, char **argv);     /* debug_lockfile.c */
int dl_cli_debug_wheel_metadata(int argc, char **argv); /* debug_zip.c */
int dl_cli_debug_reqfile(int argc, char **argv);      /* debug_inputs.c */
int dl_cli_debug_project(int argc, char **argv);      /* debug_inputs.c */

#endif
