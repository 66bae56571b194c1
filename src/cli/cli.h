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

/* Print a JSON value to stdout, indented, keys in insertion order, and a
 * final newline.  Returns 0, or DL_EXIT_FAIL on a write error. */
int dl_cli_print_json(json_t *value);

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
int dl_cli_debug_scenario(int argc, char **argv);     /* debug_scenario.c */
int dl_cli_debug_reqfile(int argc, char **argv);      /* debug_inputs.c */
int dl_cli_debug_project(int argc, char **argv);      /* debug_inputs.c */

#endif
