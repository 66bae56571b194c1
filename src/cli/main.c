/*
 * main.c - the deeplock command: option parsing common to every command and
 * dispatch to the command functions.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "deeplock/common.h"

static const dl_cli_command commands[] = {
	{"lock", "lock a project and every build environment into pylock.toml", dl_cli_lock},
	{"audit", "show what other tools' lock files leave unpinned, build environments first", dl_cli_audit},
	{"export", "write a lock as requirements, build constraints or one build environment", dl_cli_export},
	{"tree", "show the locked packages as a tree, build environments included", dl_cli_tree},
	{"why", "show every path from the project to a package", dl_cli_why},
	{"graph", "print the lock as a Graphviz graph", dl_cli_graph},
	{"diff", "compare two locks of any format, what runs at build time first", dl_cli_diff},
	{"cache", "show or clean deeplock's cache", dl_cli_cache},
	/* Hidden: the parsers on the command line, for testing from outside. */
	{"debug", NULL, dl_cli_debug},
};

static void print_help(FILE *out)
{
	fprintf(out,
	        "deeplock %s - Python lock files with every build requirement pinned\n"
	        "\n"
	        "Usage: deeplock [--version] [--help] <command> [<args>]\n"
	        "\n"
	        "Commands:\n",
	        DL_VERSION_STRING);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (commands[i].summary != NULL)
			fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	}
	fprintf(out,
	        "\n"
	        "Run 'deeplock <command> --help' for a command's options.\n"
	        "Exit status: 0 success, 1 failure, 2 usage error.\n");
}

void dl_cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("deeplock: error: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void dl_cli_lib_error(const char *doing)
{
	const dl_error *e = dl_error_last();
	if (doing != NULL && doing[0] != '\0')
		fprintf(stderr, "deeplock: error: %s: %s\n", doing, e->message);
	else
		fprintf(stderr, "deeplock: error: %s\n", e->message);
}

int dl_cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "deeplock %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\nTry 'deeplock %s --help'.\n", cmd);
	va_end(ap);
	return DL_EXIT_USAGE;
}

char *dl_cli_read_input(const char *path, size_t max, size_t *len_out)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (f == NULL) {
		dl_cli_error("cannot open %s", path);
		return NULL;
	}
	dl_buf b;
	dl_buf_init(&b, max);
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (dl_buf_put(&b, chunk, n) < 0)
			break;
	}
	int read_error = ferror(f);
	if (f != stdin)
		fclose(f);
	if (b.failed) {
		dl_cli_error("%s: larger than %zu bytes", strcmp(path, "-") == 0 ? "standard input" : path, max);
		dl_buf_free(&b);
		return NULL;
	}
	if (read_error) {
		dl_cli_error("cannot read %s", path);
		dl_buf_free(&b);
		return NULL;
	}
	size_t len = 0;
	char *s = dl_buf_detach(&b, &len);
	if (s == NULL) {
		dl_cli_error("out of memory reading %s", path);
		return NULL;
	}
	/* The CLI frees with free(); the library allocator is libc's here. */
	if (len_out != NULL)
		*len_out = len;
	return s;
}

int dl_cli_print_json(json_t *value)
{
	int rc = json_dumpf(value, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	fputc('\n', stdout);
	if (rc != 0 || fflush(stdout) != 0)
		return DL_EXIT_FAIL;
	return DL_EXIT_OK;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		print_help(stderr);
		return DL_EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
		printf("deeplock %s\n", DL_VERSION_STRING);
		return DL_EXIT_OK;
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		print_help(stdout);
		return DL_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, cmd) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "deeplock: unknown command '%s'\nTry 'deeplock --help'.\n", cmd);
	return DL_EXIT_USAGE;
}
