/*
 * debug.c - `deeplock debug`: each parser of the library on the command
 * line, with JSON output, so that it can be tested from outside and a user
 * can ask "what does deeplock make of this?".  Left out of the main help.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "deeplock/common.h"
#include "deeplock/name.h"

static const dl_cli_command debug_commands[] = {
	{"toml-decode", "TOML on stdin -> toml-test tagged JSON on stdout", dl_cli_debug_toml_decode},
	{"toml-encode", "toml-test tagged JSON on stdin -> TOML on stdout", dl_cli_debug_toml_encode},
	{"version", "PEP 440 versions: canonical form, parts, ordering", dl_cli_debug_version},
	{"specifier", "PEP 440 specifier set: normal form, membership of versions", dl_cli_debug_specifier},
	{"range", "PEP 440 specifier set as a canonical version range", dl_cli_debug_range},
	{"requirement", "PEP 508 requirement: parsed parts", dl_cli_debug_requirement},
	{"marker", "PEP 508 marker: normal form and value in an environment", dl_cli_debug_marker},
	{"name", "PEP 503 normal form of project names", dl_cli_debug_name},
	{"wheel-name", "wheel file name: parts and tags", dl_cli_debug_wheel_name},
	{"sdist-name", "sdist file name: project and version", dl_cli_debug_sdist_name},
	{"metadata", "core metadata (METADATA, PKG-INFO) as JSON", dl_cli_debug_metadata},
	{"tags", "wheel tags a target supports, in priority order", dl_cli_debug_tags},
	{"index-page", "parse a saved index page (PEP 503 HTML or PEP 691 JSON) as JSON", dl_cli_debug_index_page},
	{"index", "ask the index for projects (and their metadata); JSON out", dl_cli_debug_index},
	{"scenario", "resolve packse scenario files and check the expected outcome", dl_cli_debug_scenario},
	{"lockfile", "another tool's lock file as deeplock's lock-file model", dl_cli_debug_lockfile},
	{"wheel-metadata", "a local wheel's METADATA read through the lazy tail/range protocol", dl_cli_debug_wheel_metadata},
	{"reqfile", "pip requirements file (with its includes) as JSON", dl_cli_debug_reqfile},
	{"project", "what a project asks to lock (pyproject.toml, setup.cfg/py, requirements)", dl_cli_debug_project},
};

#define N_DEBUG (sizeof(debug_commands) / sizeof(debug_commands[0]))

static void debug_help(FILE *out)
{
	fprintf(out, "Usage: deeplock debug <parser> [<args>]\n\nParsers:\n");
	for (size_t i = 0; i < N_DEBUG; i++)
		fprintf(out, "  %-12s %s\n", debug_commands[i].name, debug_commands[i].summary);
	fprintf(out, "\nEach prints JSON on stdout and exits 1 when its input is invalid.\n");
}

int dl_cli_debug(int argc, char **argv)
{
	if (argc < 2) {
		debug_help(stderr);
		return DL_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		debug_help(stdout);
		return DL_EXIT_OK;
	}
	for (size_t i = 0; i < N_DEBUG; i++) {
		if (strcmp(debug_commands[i].name, argv[1]) == 0)
			return debug_commands[i].fn(argc - 1, argv + 1);
	}
	return dl_cli_usage_error("debug", "unknown parser '%s'", argv[1]);
}

/* deeplock debug name NAME... : {"input": ..., "valid": bool, "normalized": ...} per name. */
int dl_cli_debug_name(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		fprintf(argc < 2 ? stderr : stdout, "Usage: deeplock debug name NAME...\n");
		return argc < 2 ? DL_EXIT_USAGE : DL_EXIT_OK;
	}
	json_t *arr = json_array();
	int status = DL_EXIT_OK;
	for (int i = 1; i < argc; i++) {
		size_t len = strlen(argv[i]);
		bool valid = dl_name_is_valid(argv[i], len);
		json_t *o = json_object();
		json_object_set_new(o, "input", json_string(argv[i]));
		json_object_set_new(o, "valid", json_boolean(valid));
		if (valid) {
			char *norm = NULL;
			if (dl_name_normalize(&norm, argv[i], len) == 0)
				json_object_set_new(o, "normalized", json_string(norm));
			dl_free(norm);
		} else {
			status = DL_EXIT_FAIL;
		}
		json_array_append_new(arr, o);
	}
	int rc = dl_cli_print_json(arr);
	json_decref(arr);
	return rc != 0 ? rc : status;
}
