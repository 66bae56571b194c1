/*
 * netopts.c - the index, network and cache options every command that
 * talks to an index shares, and the objects they configure.
 *
 * Each command loops over its arguments and offers each one to
 * dl_cli_net_arg first, so the options are spelled and documented once
 * (dl_cli_net_help).  Environment variables with the DEEPLOCK_ prefix give
 * defaults that the command line overrides; pip's PIP_* variables are
 * deliberately not read, since a machine's pip configuration (this image
 * sets PIP_FIND_LINKS, for one) must not change what deeplock locks
 * without the user saying so.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "deeplock/common.h"

#define DEFAULT_INDEX "https://pypi.org/simple/"

const char dl_cli_net_help[] =
    "Index options:\n"
    "  -i, --index-url URL        the package index (default " DEFAULT_INDEX ";\n"
    "                             env DEEPLOCK_INDEX_URL)\n"
    "      --extra-index-url URL  another index, asked after the ones before it\n"
    "                             (repeatable; env DEEPLOCK_EXTRA_INDEX_URL, space-separated)\n"
    "      --no-index             use no index, only --find-links\n"
    "  -f, --find-links PATH|URL  a directory of distributions or an HTML page of links\n"
    "                             (repeatable; env DEEPLOCK_FIND_LINKS, space-separated)\n"
    "      --index-strategy S     first-index (default): a project's files come only from\n"
    "                             the first index that has it; unsafe-merge: from all\n"
    "                             (exposes you to dependency confusion)\n"
    "Network and cache options:\n"
    "      --offline              no network; answer from the cache or fail\n"
    "      --refresh              revalidate every cached page\n"
    "      --no-cache             neither read nor write the cache\n"
    "      --cache-dir DIR        cache location (env DEEPLOCK_CACHE_DIR; default\n"
    "                             $XDG_CACHE_HOME/deeplock or ~/.cache/deeplock)\n"
    "      --cert FILE            CA bundle (PEM) to verify HTTPS servers with\n"
    "      --netrc                take credentials from ~/.netrc for URLs without any\n"
    "      --concurrency N        transfers at once (default 32)\n"
    "      --retries N            retries of a failed transfer (default 3)\n"
    "      --timeout SECONDS      connect timeout (default 15)\n";

void dl_cli_net_init(dl_cli_net *n)
{
	memset(n, 0, sizeof *n);
	n->mode = DL_CACHE_NORMAL;
	n->retries = -2; /* "not given" */
}

static int push(const char ***arr, size_t *n, const char *v)
{
	const char **a = realloc((void *)*arr, (*n + 1) * sizeof(**arr));
	if (a == NULL)
		return -1;
	a[(*n)++] = v;
	*arr = a;
	return 0;
}

/* The value of option `name` at argv[*i]: "--name=value" or "--name value". */
static const char *opt_value(const char *cmd, int argc, char **argv, int *i, const char *name, bool *err)
{
	const char *a = argv[*i];
	size_t n = strlen(name);
	if (a[n] == '=')
		return a + n + 1;
	if (*i + 1 >= argc) {
		dl_cli_usage_error(cmd, "option %s needs a value", name);
		*err = true;
		return NULL;
	}
	return argv[++*i];
}

static bool is_opt(const char *a, const char *name)
{
	size_t n = strlen(name);
	return strncmp(a, name, n) == 0 && (a[n] == '\0' || a[n] == '=');
}

static int parse_uint(const char *cmd, const char *name, const char *v, long max, long *out)
{
	char *end = NULL;
	long x = strtol(v, &end, 10);
	if (end == v || *end != '\0' || x < 0 || x > max)
		return dl_cli_usage_error(cmd, "%s needs a whole number from 0 to %ld, not '%s'", name, max, v);
	*out = x;
	return 0;
}

int dl_cli_net_arg(dl_cli_net *n, const char *cmd, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	bool err = false;
	const char *v;
	long x = 0;
	if (is_opt(a, "--index-url") || is_opt(a, "-i")) {
		v = opt_value(cmd, argc, argv, i, is_opt(a, "-i") ? "-i" : "--index-url", &err);
		if (err)
			return -1;
		n->index_url = v;
	} else if (is_opt(a, "--extra-index-url")) {
		v = opt_value(cmd, argc, argv, i, "--extra-index-url", &err);
		if (err || push(&n->extra, &n->n_extra, v) != 0)
			return -1;
	} else if (is_opt(a, "--find-links") || is_opt(a, "-f")) {
		v = opt_value(cmd, argc, argv, i, is_opt(a, "-f") ? "-f" : "--find-links", &err);
		if (err || push(&n->find_links, &n->n_find_links, v) != 0)
			return -1;
	} else if (strcmp(a, "--no-index") == 0) {
		n->no_index = true;
	} else if (is_opt(a, "--index-strategy")) {
		v = opt_value(cmd, argc, argv, i, "--index-strategy", &err);
		if (err)
			return -1;
		if (strcmp(v, "first-index") == 0)
			n->merge = false;
		else if (strcmp(v, "unsafe-merge") == 0)
			n->merge = true;
		else
			return dl_cli_usage_error(cmd, "--index-strategy is first-index or unsafe-merge, not '%s'", v), -1;
	} else if (strcmp(a, "--offline") == 0) {
		n->mode = DL_CACHE_OFFLINE;
	} else if (strcmp(a, "--refresh") == 0) {
		n->mode = DL_CACHE_REFRESH;
	} else if (strcmp(a, "--no-cache") == 0) {
		n->mode = DL_CACHE_NO_CACHE;
	} else if (is_opt(a, "--cache-dir")) {
		v = opt_value(cmd, argc, argv, i, "--cache-dir", &err);
		if (err)
			return -1;
		n->cache_dir = v;
	} else if (is_opt(a, "--cert")) {
		v = opt_value(cmd, argc, argv, i, "--cert", &err);
		if (err)
			return -1;
		n->cert = v;
	} else if (strcmp(a, "--netrc") == 0) {
		n->netrc = true;
	} else if (is_opt(a, "--concurrency")) {
		v = opt_value(cmd, argc, argv, i, "--concurrency", &err);
		if (err || parse_uint(cmd, "--concurrency", v, 1024, &x) != 0)
			return -1;
		if (x == 0)
			return dl_cli_usage_error(cmd, "--concurrency must be at least 1"), -1;
		n->concurrency = (unsigned)x;
	} else if (is_opt(a, "--retries")) {
		v = opt_value(cmd, argc, argv, i, "--retries", &err);
		if (err || parse_uint(cmd, "--retries", v, 100, &x) != 0)
			return -1;
		n->retries = (int)x;
	} else if (is_opt(a, "--timeout")) {
		v = opt_value(cmd, argc, argv, i, "--timeout", &err);
		if (err || parse_uint(cmd, "--timeout", v, 86400, &x) != 0)
			return -1;
		n->timeout_ms = x * 1000;
	} else {
		return 0;
	}
	return 1;
}

int dl_cli_cache_root(const dl_cli_net *n, char **out)
{
	dl_buf b = DL_BUF_INIT;
	const char *env;
	if (n != NULL && n->cache_dir != NULL)
		dl_buf_puts(&b, n->cache_dir);
	else if ((env = getenv("DEEPLOCK_CACHE_DIR")) != NULL && env[0] != '\0')
		dl_buf_puts(&b, env);
	else if ((env = getenv("XDG_CACHE_HOME")) != NULL && env[0] == '/')
		dl_buf_printf(&b, "%s/deeplock", env);
	else if ((env = getenv("HOME")) != NULL && env[0] != '\0')
		dl_buf_printf(&b, "%s/.cache/deeplock", env);
	else {
		dl_cli_error("no cache directory: set --cache-dir, DEEPLOCK_CACHE_DIR, XDG_CACHE_HOME or HOME");
		return -1;
	}
	*out = dl_buf_detach(&b, NULL);
	return *out == NULL ? -1 : 0;
}

/* Split a space-separated environment value into the array (the strings
 * stay in a private copy freed by dl_cli_net_close). */
static int env_list(dl_cli_net *n, const char *var, const char ***arr, size_t *count)
{
	const char *v = getenv(var);
	if (v == NULL || *count > 0)
		return 0;
	char *copy = strdup(v);
	if (copy == NULL || push((const char ***)&n->env_strings, &n->n_env_strings, copy) != 0) {
		free(copy);
		return -1;
	}
	for (char *s = copy; *s;) {
		while (*s == ' ' || *s == '\t' || *s == '\n')
			*s++ = '\0';
		if (*s == '\0')
			break;
		if (push(arr, count, s) != 0)
			return -1;
		while (*s && *s != ' ' && *s != '\t' && *s != '\n')
			s++;
	}
	return 0;
}

int dl_cli_net_open(dl_cli_net *n)
{
	if (n->index_url == NULL && getenv("DEEPLOCK_INDEX_URL") != NULL && getenv("DEEPLOCK_INDEX_URL")[0] != '\0')
		n->index_url = getenv("DEEPLOCK_INDEX_URL");
	if (env_list(n, "DEEPLOCK_EXTRA_INDEX_URL", &n->extra, &n->n_extra) != 0 ||
	    env_list(n, "DEEPLOCK_FIND_LINKS", &n->find_links, &n->n_find_links) != 0) {
		dl_cli_error("out of memory");
		return DL_EXIT_FAIL;
	}
	if (getenv("DEEPLOCK_OFFLINE") != NULL && strcmp(getenv("DEEPLOCK_OFFLINE"), "1") == 0 &&
	    n->mode == DL_CACHE_NORMAL)
		n->mode = DL_CACHE_OFFLINE;
	if (!n->no_index) {
		if (push(&n->indexes, &n->n_indexes, n->index_url != NULL ? n->index_url : DEFAULT_INDEX) != 0)
			return DL_EXIT_FAIL;
		for (size_t i = 0; i < n->n_extra; i++)
			if (push(&n->indexes, &n->n_indexes, n->extra[i]) != 0)
				return DL_EXIT_FAIL;
	}
	char *root = NULL;
	if (dl_cli_cache_root(n, &root) != 0)
		return DL_EXIT_FAIL;
	int rc = dl_cache_open(&n->cache, root, n->mode);
	dl_free(root);
	if (rc != 0) {
		dl_cli_lib_error("cannot open the cache");
		return DL_EXIT_FAIL;
	}
	dl_fetch_opts fo = DL_FETCH_OPTS_INIT;
	fo.max_concurrency = n->concurrency;
	fo.max_retries = n->retries == -2 ? 0 : (n->retries == 0 ? -1 : n->retries);
	fo.connect_timeout_ms = n->timeout_ms;
	fo.ca_bundle = n->cert;
	fo.netrc = n->netrc;
	if (dl_fetch_new(&n->fetch, &fo) != 0) {
		dl_cli_lib_error("cannot start the network engine");
		return DL_EXIT_FAIL;
	}
	dl_client_opts co = DL_CLIENT_OPTS_INIT;
	co.indexes = n->indexes;
	co.n_indexes = n->n_indexes;
	co.find_links = n->find_links;
	co.n_find_links = n->n_find_links;
	co.strategy = n->merge ? DL_CLIENT_MERGE : DL_CLIENT_FIRST_INDEX;
	co.direct_names = n->direct_names;
	co.direct_urls = n->direct_urls;
	co.n_direct = n->n_direct;
	if (dl_client_new(&n->client, n->fetch, n->cache, &co) != 0) {
		dl_cli_lib_error(NULL);
		return DL_EXIT_FAIL;
	}
	return DL_EXIT_OK;
}

void dl_cli_net_close(dl_cli_net *n)
{
	dl_client_free(n->client);
	dl_fetch_free(n->fetch);
	dl_cache_free(n->cache);
	free((void *)n->indexes);
	free((void *)n->extra);
	free((void *)n->find_links);
	for (size_t i = 0; i < n->n_env_strings; i++)
		free(n->env_strings[i]);
	free(n->env_strings);
	memset(n, 0, sizeof *n);
}
