/*
 * cache_cmd.c - `deeplock cache dir|size|clean`.
 *
 * dir prints where the cache is (whether or not it exists yet, like
 * `uv cache dir`); size prints its bytes and entries; clean deletes every
 * entry, which is safe while other deeplock processes run (they see
 * misses), and says how much it freed.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "deeplock/cache.h"

static void help(FILE *out)
{
	fprintf(out, "Usage: deeplock cache <dir|size|clean> [--cache-dir DIR] [--bytes]\n\n"
	             "  dir     print the cache directory\n"
	             "  size    print the cache's size and number of entries (--bytes: the number only)\n"
	             "  clean   delete every cached page, metadata file and artifact\n\n"
	             "The cache lives in --cache-dir, else $DEEPLOCK_CACHE_DIR, else\n"
	             "$XDG_CACHE_HOME/deeplock, else ~/.cache/deeplock.\n");
}

static void human(char *out, size_t cap, uint64_t bytes)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)bytes;
	size_t u = 0;
	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, cap, "%llu B", (unsigned long long)bytes);
	else
		snprintf(out, cap, "%.1f %s", v, units[u]);
}

int dl_cli_cache(int argc, char **argv)
{
	const char *sub = NULL;
	bool bytes_only = false;
	dl_cli_net n;
	dl_cli_net_init(&n);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			help(stdout);
			return DL_EXIT_OK;
		}
		if (strncmp(a, "--cache-dir", 11) == 0 && (a[11] == '\0' || a[11] == '=')) {
			int r = dl_cli_net_arg(&n, "cache", argc, argv, &i);
			if (r < 0)
				return DL_EXIT_USAGE;
		} else if (strcmp(a, "--bytes") == 0) {
			bytes_only = true;
		} else if (a[0] == '-') {
			return dl_cli_usage_error("cache", "unknown option '%s'", a);
		} else if (sub == NULL) {
			sub = a;
		} else {
			return dl_cli_usage_error("cache", "unexpected argument '%s'", a);
		}
	}
	if (sub == NULL) {
		help(stderr);
		return DL_EXIT_USAGE;
	}
	if (strcmp(sub, "dir") != 0 && strcmp(sub, "size") != 0 && strcmp(sub, "clean") != 0)
		return dl_cli_usage_error("cache", "unknown subcommand '%s' (dir, size or clean)", sub);
	char *root = NULL;
	if (dl_cli_cache_root(&n, &root) != 0)
		return DL_EXIT_FAIL;
	if (strcmp(sub, "dir") == 0) {
		printf("%s\n", root);
		dl_free(root);
		return DL_EXIT_OK;
	}
	dl_cache *c = NULL;
	if (dl_cache_open(&c, root, DL_CACHE_NORMAL) != 0) {
		dl_cli_lib_error(NULL);
		dl_free(root);
		return DL_EXIT_FAIL;
	}
	dl_cache_usage u = {0};
	int rc = dl_cache_usage_get(c, &u);
	char h[32];
	human(h, sizeof h, u.bytes);
	if (rc == 0 && strcmp(sub, "size") == 0) {
		if (bytes_only)
			printf("%llu\n", (unsigned long long)u.bytes);
		else
			printf("%s in %llu entries (%s)\n", h, (unsigned long long)u.entries, root);
	} else if (rc == 0) {
		rc = dl_cache_clean(c);
		if (rc == 0)
			printf("removed %llu entries, %s, from %s\n", (unsigned long long)u.entries, h, root);
	}
	if (rc != 0)
		dl_cli_lib_error(strcmp(sub, "clean") == 0 ? "cleaning the cache" : "measuring the cache");
	dl_cache_free(c);
	dl_free(root);
	return rc == 0 ? DL_EXIT_OK : DL_EXIT_FAIL;
}
