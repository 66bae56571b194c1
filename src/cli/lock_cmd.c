/*
 * lock_cmd.c - `deeplock lock`: read what the project asks for, resolve it
 * and every build environment to a fixed point, write pylock.toml
 * atomically, and say what was locked and what will run code at install
 * time.
 *
 * Inputs come through the library's project reader (project.h): a project
 * directory (pyproject.toml's [project] dependencies, --extra optional
 * dependencies, --group PEP 735 dependency groups, requires-python, and the
 * project's own build requirements when it is a package; setup.cfg and
 * setup.py read statically; or, without any of those, requirements.txt), a
 * project file or requirements file given directly, and any number of -r /
 * -c files, read as pip reads them (requirements files: reqfile.h).
 *
 * The lock is written only after everything succeeded, through a temporary
 * file renamed over the target: an error never leaves a partial or broken
 * lock, and the previous one stays as it was.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "deeplock/fs.h"
#include "deeplock/lock.h"
#include "deeplock/name.h"
#include "deeplock/project.h"
#include "deeplock/pyindex.h"
#include "deeplock/pyresolve.h"
#include "deeplock/requirement.h"

#define INPUT_MAX ((size_t)16 << 20)

typedef struct strv {
	char **v;
	size_t n;
} strv;

static int strv_push(strv *s, const char *x)
{
	char **v = realloc(s->v, (s->n + 1) * sizeof(*v));
	if (v == NULL)
		return -1;
	s->v = v;
	if ((v[s->n] = strdup(x)) == NULL)
		return -1;
	s->n++;
	return 0;
}

static void strv_free(strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* Global options found in requirements files (pip honours them there). */
typedef struct fileopts {
	char *index_url;
	strv extra, links, only_binary, no_binary;
	bool no_index, pre;
} fileopts;

typedef struct inputs {
	fileopts fo;
	strv roots;
	strv constraints;
	strv build; /* the project's own build requirements */
	strv extras;
	strv direct_names, direct_urls; /* `name @ URL` roots */
	char *requires_python;
	char *project_name;
	char *dir; /* where pylock.toml goes by default */
} inputs;

static void inputs_free(inputs *in)
{
	free(in->fo.index_url);
	strv_free(&in->fo.extra);
	strv_free(&in->fo.links);
	strv_free(&in->fo.only_binary);
	strv_free(&in->fo.no_binary);
	strv_free(&in->roots);
	strv_free(&in->direct_names);
	strv_free(&in->direct_urls);
	strv_free(&in->constraints);
	strv_free(&in->build);
	strv_free(&in->extras);
	free(in->requires_python);
	free(in->project_name);
	free(in->dir);
}

/* ------------------------------------------------------------------ */
/* Inputs, through the library's project and requirements-file readers  */

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		return strdup(".");
	return strndup(path, (size_t)(slash - path) == 0 ? 1 : (size_t)(slash - path));
}

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Is `url` an archive URL deeplock can fetch (not a VCS or a directory)? */
static bool archive_url(const char *url)
{
	return strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0 || strncmp(url, "file://", 7) == 0;
}

/* Append a list's requirements as canonical strings; an entry the
 * resolver cannot use (a path, a URL without a name) is an error naming
 * its position.  With `in`, `name @ URL` entries (an http, https or file
 * URL of a wheel or sdist) are taken and remembered there; without it
 * (constraints, build requirements) they are an error. */
static int take_list_in(const dl_project_list *l, strv *out, const char *what, inputs *in)
{
	if (l->dynamic != NULL) {
		dl_cli_error("%s cannot be known without running code (%s); give them with -r", what, l->dynamic);
		return -1;
	}
	for (size_t i = 0; i < l->count; i++) {
		const dl_project_req *r = &l->items[i];
		if (r->req == NULL) {
			dl_cli_error("%s:%lu:%lu: '%s': local paths are not supported by deeplock lock yet; give a file:// URL "
			             "with the project's name (name @ file:///path/to/archive)",
			             r->file, r->line, r->column, r->text);
			return -1;
		}
		if (r->req->url != NULL && (in == NULL || !archive_url(r->req->url))) {
			dl_cli_error("%s:%lu:%lu: '%s': %s", r->file, r->line, r->column, r->text,
			             in == NULL ? "direct URLs are only supported in the requirements to lock, not in "
			                          "constraints or build requirements"
			                        : "only http, https and file URLs of a wheel or sdist are supported "
			                          "(no VCS or directory URLs yet)");
			return -1;
		}
		if (r->req->url != NULL) {
			for (size_t k = 0; k < in->direct_names.n; k++) {
				if (strcmp(in->direct_names.v[k], r->req->normalized_name) == 0 &&
				    strcmp(in->direct_urls.v[k], r->req->url) != 0) {
					dl_cli_error("%s:%lu:%lu: '%s': %s is already required from %s", r->file, r->line, r->column,
					             r->text, r->req->name, in->direct_urls.v[k]);
					return -1;
				}
			}
			if (strv_push(&in->direct_names, r->req->normalized_name) != 0 ||
			    strv_push(&in->direct_urls, r->req->url) != 0)
				return -1;
		}
		char *s = NULL;
		if (dl_requirement_to_string(&s, r->req) != 0) {
			dl_cli_lib_error(NULL);
			return -1;
		}
		int rc = strv_push(out, s);
		dl_free(s);
		if (rc != 0)
			return -1;
	}
	return 0;
}

static int take_list(const dl_project_list *l, strv *out, const char *what)
{
	return take_list_in(l, out, what, NULL);
}

static const dl_project_list *find_list(const dl_project_list *lists, size_t n, const char *name)
{
	char norm[256];
	size_t len = strlen(name);
	if (len >= sizeof norm || !dl_name_is_valid(name, len))
		return NULL;
	norm[dl_name_normalize_into(norm, name, len)] = '\0';
	for (size_t i = 0; i < n; i++)
		if (lists[i].name != NULL && strcmp(lists[i].name, norm) == 0)
			return &lists[i];
	return NULL;
}

static int split_names(strv *out, const char *v);

/* Take what a requirements file says globally; report what deeplock does
 * not act on. */
static int take_options(const dl_project *p, inputs *in, bool quiet)
{
	const dl_reqfile *rf = p->reqfile;
	for (size_t i = 0; rf != NULL && i < rf->n_options; i++) {
		const dl_reqfile_option *o = &rf->options[i];
		int rc = 0;
		switch (o->opt) {
		case DL_REQFILE_OPT_INDEX_URL:
			free(in->fo.index_url);
			in->fo.index_url = strdup(o->value);
			break;
		case DL_REQFILE_OPT_EXTRA_INDEX_URL: rc = strv_push(&in->fo.extra, o->value); break;
		case DL_REQFILE_OPT_FIND_LINKS: rc = strv_push(&in->fo.links, o->value); break;
		case DL_REQFILE_OPT_NO_INDEX: in->fo.no_index = true; break;
		case DL_REQFILE_OPT_PRE: in->fo.pre = true; break;
		case DL_REQFILE_OPT_ONLY_BINARY: rc = split_names(&in->fo.only_binary, o->value); break;
		case DL_REQFILE_OPT_NO_BINARY: rc = split_names(&in->fo.no_binary, o->value); break;
		default:
			if (!quiet)
				fprintf(stderr, "%s:%lu:%lu: note: this option does not change what deeplock locks\n", o->file,
				        o->line, o->column);
			break;
		}
		if (rc != 0)
			return -1;
	}
	for (size_t i = 0; rf != NULL && i < rf->n_warnings && !quiet; i++)
		fprintf(stderr, "%s:%lu:%lu: warning: %s\n", rf->warnings[i].file, rf->warnings[i].line,
		        rf->warnings[i].column, rf->warnings[i].message);
	return 0;
}

static int read_project(dl_project **out, const char *path, bool reqfile)
{
	dl_project_options po = DL_PROJECT_OPTIONS_INIT;
	po.read = dl_cli_read_disk;
	po.env = dl_cli_getenv;
	int rc = reqfile ? dl_project_read_requirements(out, path, &po)
	                 : is_dir(path) ? dl_project_read_dir(out, path, &po) : dl_project_read_file(out, path, &po);
	if (rc != 0)
		dl_cli_lib_error(NULL);
	return rc;
}

static int read_inputs(const char *path, strv *rfiles, strv *cfiles, strv *groups, inputs *in, bool quiet)
{
	int rc = 0;
	dl_project *p = NULL;
	if (path != NULL) {
		in->dir = is_dir(path) ? strdup(path) : dir_of(path);
		if (is_dir(path) && rfiles->n == 0) {
			char buf[4096];
			snprintf(buf, sizeof buf, "%s/pyproject.toml", path);
			char buf2[4096], buf3[4096];
			snprintf(buf2, sizeof buf2, "%s/setup.py", path);
			snprintf(buf3, sizeof buf3, "%s/setup.cfg", path);
			bool has_project = access(buf, F_OK) == 0 || access(buf2, F_OK) == 0 || access(buf3, F_OK) == 0;
			snprintf(buf, sizeof buf, "%s/requirements.txt", path);
			if (!has_project && access(buf, F_OK) == 0) {
				rc = read_project(&p, buf, true);
			} else if (!has_project) {
				dl_cli_error("%s: no pyproject.toml, setup.py, setup.cfg or requirements.txt; give requirements with -r",
				             path);
				return -1;
			} else {
				rc = read_project(&p, path, false);
			}
		} else if (!is_dir(path)) {
			if (access(path, F_OK) != 0) {
				dl_cli_error("%s: no such file or directory", path);
				return -1;
			}
			rc = read_project(&p, path, false);
		}
	} else {
		in->dir = strdup(".");
	}
	if (rc == 0 && p != NULL) {
		rc = take_options(p, in, quiet);
		if (rc == 0)
			rc = take_list_in(&p->runtime, &in->roots, "the project's dependencies", in);
		for (size_t i = 0; i < in->extras.n && rc == 0; i++) {
			const dl_project_list *x = find_list(p->extras, p->n_extras, in->extras.v[i]);
			if (x == NULL) {
				dl_cli_error("%s: --extra '%s': the project has no such extra", p->root, in->extras.v[i]);
				rc = -1;
			} else {
				rc = take_list_in(x, &in->roots, "the extra's requirements", in);
			}
		}
		for (size_t i = 0; i < groups->n && rc == 0; i++) {
			const dl_project_list *g = find_list(p->groups, p->n_groups, groups->v[i]);
			if (g == NULL) {
				dl_cli_error("%s: --group '%s': [dependency-groups] has no such group", p->root, groups->v[i]);
				rc = -1;
			} else {
				rc = take_list_in(g, &in->roots, "the group's requirements", in);
			}
		}
		if (rc == 0)
			rc = take_list(&p->constraints, &in->constraints, "the constraints");
		if (rc == 0 && p->requires_python.value != NULL)
			in->requires_python = strdup(p->requires_python.value);
		/* The project itself gets built when it is a package. */
		if (rc == 0 && p->name.value != NULL && p->reqfile == NULL) {
			in->project_name = strdup(p->name.value);
			rc = take_list(&p->build_requires, &in->build, "the project's build requirements");
			if (rc == 0 && p->setuptools_backend && p->setup_requires.dynamic == NULL)
				rc = take_list(&p->setup_requires, &in->build, "setup_requires");
		}
		for (size_t i = 0; i < p->n_unknowable && !quiet; i++)
			fprintf(stderr, "note: %s\n", p->unknowable[i]);
	}
	dl_project_free(p);
	for (size_t i = 0; i < rfiles->n && rc == 0; i++) {
		dl_project *r = NULL;
		if ((rc = read_project(&r, rfiles->v[i], true)) == 0 && (rc = take_options(r, in, quiet)) == 0) {
			rc = take_list_in(&r->runtime, &in->roots, rfiles->v[i], in);
			if (rc == 0)
				rc = take_list(&r->constraints, &in->constraints, rfiles->v[i]);
		}
		dl_project_free(r);
	}
	for (size_t i = 0; i < cfiles->n && rc == 0; i++) {
		dl_project *r = NULL;
		if ((rc = read_project(&r, cfiles->v[i], true)) == 0 && (rc = take_options(r, in, quiet)) == 0) {
			rc = take_list(&r->runtime, &in->constraints, cfiles->v[i]);
			if (rc == 0)
				rc = take_list(&r->constraints, &in->constraints, cfiles->v[i]);
		}
		dl_project_free(r);
	}
	if (rc == 0 && in->roots.n == 0 && in->build.n == 0) {
		dl_cli_error("nothing to lock: no requirements found");
		rc = -1;
	}
	return rc == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* The command                                                          */

static void help(FILE *out)
{
	fprintf(out,
	        "Usage: deeplock lock [PATH] [options]\n\n"
	        "Resolve a project and the isolated build environment of every sdist that may be\n"
	        "built, recursively, and write them to pylock.toml (PEP 751).\n\n"
	        "PATH is a project directory (pyproject.toml, else requirements.txt; default '.'),\n"
	        "a pyproject.toml, or a requirements file.\n\n"
	        "Lock options:\n"
	        "  -r, --requirement FILE    add the requirements of FILE (repeatable)\n"
	        "  -c, --constraint FILE     constrain versions with FILE (repeatable)\n"
	        "      --extra NAME          include [project.optional-dependencies] NAME\n"
	        "      --group NAME          include [dependency-groups] NAME (PEP 735)\n"
	        "  -o, --output PATH         where to write (default PATH/pylock.toml)\n"
	        "      --check               write nothing; exit 1 if the lock is out of date\n"
	        "  -U, --upgrade             ignore the existing lock's versions (by default they are kept\n"
	        "                            where they still satisfy the requirements)\n"
	        "  -P, --upgrade-package N   let N move to its newest allowed version (repeatable)\n"
	        "      --build-deps POLICY   needed (default): expand what an installer would build;\n"
	        "                            all: every package with an sdist; none: nothing\n"
	        "      --forbid-sdist        fail if any package would run code at install time\n"
	        "      --python X.Y[.Z]|PATH target Python, or the interpreter to ask for its\n"
	        "                            version and platform (default 3.11)\n"
	        "      --python-platform TAG target platform tag (default manylinux_2_36_x86_64)\n"
	        "      --universal           one lock for every platform and every Python the\n"
	        "                            project's requires-python allows (else --python and\n"
	        "                            later), forked where markers make requirements differ;\n"
	        "                            a package is built unless it has a pure-Python wheel\n"
	        "      --override FILE       requirements that replace every requirement on their\n"
	        "                            projects (repeatable)\n"
	        "      --prerelease MODE     if-necessary-or-explicit (default), allow, disallow,\n"
	        "                            if-necessary\n"
	        "      --resolution S        highest (default), lowest, lowest-direct\n"
	        "      --only-binary NAMES   never use sdists of these (comma list, or :all:)\n"
	        "      --no-binary NAMES     never use wheels of these (comma list, or :all:)\n"
	        "  -q, --quiet               print only errors\n"
	        "  -v, --verbose             say what each resolution found\n"
	        "A live progress line is shown on a terminal; colour follows NO_COLOR.\n\n"
	        "%s\n"
	        "Exit status: 0 locked (or up to date), 1 failure or out of date, 2 usage error.\n",
	        dl_cli_net_help);
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

static int split_names(strv *out, const char *v)
{
	char *copy = strdup(v);
	if (copy == NULL)
		return -1;
	int rc = 0;
	for (char *save = NULL, *t = strtok_r(copy, ",", &save); t != NULL && rc == 0; t = strtok_r(NULL, ",", &save))
		rc = strv_push(out, trim(t));
	free(copy);
	return rc;
}

typedef struct progress_ctx {
	bool tty, verbose, colour;
	dl_fetch *fetch;
} progress_ctx;

/* A live line on a terminal; with -v, one line per resolution anywhere. */
static void on_progress(void *ctx, const dl_lock_progress *p)
{
	progress_ctx *pc = ctx;
	dl_fetch_counters fc;
	dl_fetch_get_counters(pc->fetch, &fc);
	if (pc->verbose)
		fprintf(stderr, "%sresolved %s: %zu package%s%s\n", pc->tty ? "\r\033[K" : "", p->what, p->packages,
		        p->packages == 1 ? "" : "s", "");
	if (pc->tty)
		fprintf(stderr, "\r\033[K%sResolving%s: %zu resolutions, %zu/%zu build environments, %llu requests, %.1f MiB",
		        pc->colour ? "\033[1m" : "", pc->colour ? "\033[0m" : "", p->resolutions, p->envs_done, p->envs_known,
		        (unsigned long long)fc.requests, (double)fc.bytes / (1 << 20));
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void summary(const dl_lock_result *res, const char *out_path, double secs, const dl_pyindex_stats *st,
                    const dl_fetch_counters *fc)
{
	const dl_lock_report *r = dl_lock_result_report(res);
	const dl_lock *l = dl_lock_result_lock(res);
	fprintf(stderr, "Locked %zu runtime package%s and %zu build environment%s (%zu package%s needed only to build) in %.2f s\n",
	        r->runtime, r->runtime == 1 ? "" : "s", r->envs, r->envs == 1 ? "" : "s", r->build_only,
	        r->build_only == 1 ? "" : "s", secs);
	fprintf(stderr, "  %zu resolutions (%zu decisions, %zu conflicts), %llu requests (%llu from cache)\n",
	        r->resolutions, st->decisions, st->conflicts, (unsigned long long)fc->requests,
	        (unsigned long long)(fc->cache_hits + fc->cache_revalidations));
	if (r->n_builders > 0) {
		fprintf(stderr, "%zu package%s will run code at install time (built from source):\n", r->n_builders,
		        r->n_builders == 1 ? "" : "s");
		for (size_t i = 0; i < r->n_builders; i++)
			fprintf(stderr, "  %s %s (%s): %s\n", r->builders[i].name, r->builders[i].version, r->builders[i].reason,
			        r->builders[i].path);
	} else {
		fprintf(stderr, "No package runs code at install time: every one has a usable wheel.\n");
	}
	if (r->not_expanded > 0)
		fprintf(stderr, "%zu package%s could be built from source but %s not expanded (--build-deps all pins those builds too)\n",
		        r->not_expanded, r->not_expanded == 1 ? "" : "s", r->not_expanded == 1 ? "was" : "were");
	for (size_t i = 0; i < l->n_notes; i++)
		fprintf(stderr, "note: %s\n", l->notes[i]);
	if (out_path != NULL)
		fprintf(stderr, "Wrote %s\n", out_path);
}

int dl_cli_lock(int argc, char **argv)
{
	dl_cli_net net;
	dl_cli_net_init(&net);
	strv rfiles = {0}, cfiles = {0}, only_binary = {0}, no_binary = {0}, groups = {0};
	inputs in = {0};
	const char *path = NULL, *output = NULL;
	strv pythons = {0}, platforms = {0};
#define MAX_TARGETS 16
	dl_pyindex *pis[MAX_TARGETS] = {0};
	dl_lock_result *results[MAX_TARGETS] = {0};
	dl_lock_merged *merged = NULL;
	size_t n_targets = 0;
	bool check = false, forbid = false, quiet = false, pre = false, upgrade = false, verbose = false;
	bool universal = false;
	char universal_spec[96] = "";
	int pre_mode = -1, strategy = DL_PY_HIGHEST;
	strv ofiles = {0}, overrides = {0};
	strv upgrade_pkgs = {0}, pref_names = {0}, pref_versions = {0};
	dl_lock_doc *prev = NULL;
	bool extra_owned = false, links_owned = false;
	dl_build_policy policy = DL_BUILD_NEEDED;
	int status = DL_EXIT_USAGE;
	dl_lock_result *res = NULL;
	dl_buf out = DL_BUF_INIT;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int k = dl_cli_net_arg(&net, "lock", argc, argv, &i);
		if (k < 0)
			goto done;
		if (k > 0)
			continue;
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
#define NEEDS_VALUE()                                                                                                  \
	do {                                                                                                           \
		if (val == NULL) {                                                                                     \
			dl_cli_usage_error("lock", "option %s needs a value", a);                                       \
			goto done;                                                                                     \
		}                                                                                                      \
		i++;                                                                                                   \
	} while (0)
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			help(stdout);
			status = DL_EXIT_OK;
			goto done;
		} else if (strcmp(a, "-r") == 0 || strcmp(a, "--requirement") == 0) {
			NEEDS_VALUE();
			strv_push(&rfiles, val);
		} else if (strcmp(a, "-c") == 0 || strcmp(a, "--constraint") == 0) {
			NEEDS_VALUE();
			strv_push(&cfiles, val);
		} else if (strcmp(a, "--extra") == 0) {
			NEEDS_VALUE();
			strv_push(&in.extras, val);
		} else if (strcmp(a, "--group") == 0) {
			NEEDS_VALUE();
			strv_push(&groups, val);
		} else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
			NEEDS_VALUE();
			output = val;
		} else if (strcmp(a, "--check") == 0) {
			check = true;
		} else if (strcmp(a, "-U") == 0 || strcmp(a, "--upgrade") == 0) {
			upgrade = true;
		} else if (strcmp(a, "-P") == 0 || strcmp(a, "--upgrade-package") == 0) {
			NEEDS_VALUE();
			split_names(&upgrade_pkgs, val);
		} else if (strcmp(a, "--forbid-sdist") == 0) {
			forbid = true;
		} else if (strcmp(a, "--universal") == 0) {
			universal = true;
		} else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			quiet = true;
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			verbose = true;
		} else if (strcmp(a, "--build-deps") == 0) {
			NEEDS_VALUE();
			if (strcmp(val, "needed") == 0)
				policy = DL_BUILD_NEEDED;
			else if (strcmp(val, "all") == 0)
				policy = DL_BUILD_ALL;
			else if (strcmp(val, "none") == 0)
				policy = DL_BUILD_NONE;
			else {
				dl_cli_usage_error("lock", "--build-deps is needed, all or none, not '%s'", val);
				goto done;
			}
		} else if (strcmp(a, "--python") == 0) {
			NEEDS_VALUE();
			strv_push(&pythons, val);
		} else if (strcmp(a, "--python-platform") == 0) {
			NEEDS_VALUE();
			strv_push(&platforms, val);
		} else if (strcmp(a, "--prerelease") == 0) {
			NEEDS_VALUE();
			static const char *const modes[] = {"if-necessary-or-explicit", "disallow", "allow", "if-necessary"};
			pre_mode = -1;
			for (int m = 0; m < 4; m++)
				if (strcmp(val, modes[m]) == 0)
					pre_mode = m;
			if (pre_mode < 0) {
				dl_cli_usage_error("lock", "--prerelease is disallow, allow, if-necessary or if-necessary-or-explicit, "
				                           "not '%s'", val);
				goto done;
			}
		} else if (strcmp(a, "--resolution") == 0) {
			NEEDS_VALUE();
			static const char *const strategies[] = {"highest", "lowest", "lowest-direct"};
			strategy = -1;
			for (int m = 0; m < 3; m++)
				if (strcmp(val, strategies[m]) == 0)
					strategy = m;
			if (strategy < 0) {
				dl_cli_usage_error("lock", "--resolution is highest, lowest or lowest-direct, not '%s'", val);
				goto done;
			}
		} else if (strcmp(a, "--override") == 0) {
			NEEDS_VALUE();
			strv_push(&ofiles, val);
		} else if (strcmp(a, "--only-binary") == 0) {
			NEEDS_VALUE();
			split_names(&only_binary, val);
		} else if (strcmp(a, "--no-binary") == 0) {
			NEEDS_VALUE();
			split_names(&no_binary, val);
		} else if (a[0] == '-' && a[1] != '\0') {
			dl_cli_usage_error("lock", "unknown option '%s'", a);
			goto done;
		} else if (path == NULL) {
			path = a;
		} else {
			dl_cli_usage_error("lock", "unexpected argument '%s'", a);
			goto done;
		}
#undef NEEDS_VALUE
	}
	status = DL_EXIT_FAIL;
	if (path == NULL && rfiles.n == 0)
		path = ".";
	if (read_inputs(path, &rfiles, &cfiles, &groups, &in, quiet) != 0)
		goto done;
	/* Overrides: requirements files whose entries replace every
	 * requirement on their projects. */
	for (size_t i = 0; i < ofiles.n; i++) {
		dl_project *r = NULL;
		if (read_project(&r, ofiles.v[i], true) != 0 || take_list(&r->runtime, &overrides, ofiles.v[i]) != 0) {
			dl_project_free(r);
			goto done;
		}
		dl_project_free(r);
	}
	/* Options from requirements files, where the command line said nothing. */
	if (net.index_url == NULL && in.fo.index_url != NULL)
		net.index_url = in.fo.index_url;
	if (in.fo.extra.n > 0 && net.n_extra == 0) {
		net.extra = (const char **)in.fo.extra.v;
		net.n_extra = in.fo.extra.n;
		in.fo.extra.v = NULL;
		in.fo.extra.n = 0;
		extra_owned = true;
	}
	if (in.fo.links.n > 0 && net.n_find_links == 0) {
		net.find_links = (const char **)in.fo.links.v;
		net.n_find_links = in.fo.links.n;
		in.fo.links.v = NULL;
		in.fo.links.n = 0;
		links_owned = true;
	}
	net.no_index = net.no_index || in.fo.no_index;
	pre = pre || in.fo.pre;
	for (size_t i = 0; i < in.fo.only_binary.n; i++)
		strv_push(&only_binary, in.fo.only_binary.v[i]);
	for (size_t i = 0; i < in.fo.no_binary.n; i++)
		strv_push(&no_binary, in.fo.no_binary.v[i]);
	char target[4096];
	if (output != NULL)
		snprintf(target, sizeof target, "%s", output);
	else
		snprintf(target, sizeof target, "%s/pylock.toml", in.dir);
	/* Preferences: the versions of the lock being replaced, so a re-lock
	 * moves only what must move. */
	if (!upgrade && access(target, F_OK) == 0) {
		size_t olen = 0;
		char *odata = dl_cli_read_input(target, (size_t)256 << 20, &olen);
		if (odata != NULL && dl_lock_read_pylock(&prev, odata, olen, target) == 0) {
			const dl_lock *ol = dl_lock_doc_lock(prev);
			for (size_t e = 0; e <= ol->n_envs; e++) {
				const dl_lock_pkg *pk = e == 0 ? ol->packages : ol->envs[e - 1].packages;
				size_t np = e == 0 ? ol->n_packages : ol->envs[e - 1].n_packages;
				for (size_t k = 0; k < np; k++) {
					bool skip = false;
					for (size_t u = 0; u < upgrade_pkgs.n && !skip; u++)
						skip = strcmp(upgrade_pkgs.v[u], pk[k].name) == 0;
					for (size_t u = 0; u < pref_names.n && !skip; u++)
						skip = strcmp(pref_names.v[u], pk[k].name) == 0;
					if (!skip && pk[k].version != NULL && pk[k].version[0] != '\0') {
						strv_push(&pref_names, pk[k].name);
						strv_push(&pref_versions, pk[k].version);
					}
				}
			}
		} else if (odata != NULL && !quiet) {
			fprintf(stderr, "deeplock: warning: %s cannot be read (%s); locking from scratch\n", target,
			        dl_error_last()->message);
		}
		free(odata);
	}
	/* --python PATH|NAME: the interpreter says its version and, unless
	 * --python-platform is given, its platform. */
	char py_platform[MAX_TARGETS][64];
	for (size_t i = 0; i < pythons.n && i < MAX_TARGETS; i++) {
		py_platform[i][0] = '\0';
		if (!dl_cli_is_interpreter(pythons.v[i]))
			continue;
		char version[64];
		if (dl_cli_probe_python(pythons.v[i], version, py_platform[i]) != 0)
			goto done;
		if (verbose && !quiet)
			fprintf(stderr, "deeplock: %s is CPython %s on %s\n", pythons.v[i], version, py_platform[i]);
		char *v = strdup(version);
		if (v == NULL) {
			dl_cli_error("out of memory");
			goto done;
		}
		free(pythons.v[i]);
		pythons.v[i] = v;
	}
	net.direct_names = (const char *const *)in.direct_names.v;
	net.direct_urls = (const char *const *)in.direct_urls.v;
	net.n_direct = in.direct_names.n;
	if (dl_cli_net_open(&net) != DL_EXIT_OK)
		goto done;
	/* One resolution per target: every --python with every
	 * --python-platform; several targets are merged into one lock. */
	size_t npy = pythons.n > 0 ? pythons.n : 1, npl = platforms.n > 0 ? platforms.n : 1;
	if (universal && (pythons.n > 1 || platforms.n > 0)) {
		dl_cli_usage_error("lock", "--universal covers every platform: give at most one --python (the lowest "
		                           "Python) and no --python-platform");
		status = DL_EXIT_USAGE;
		goto done;
	}
	if (universal)
		snprintf(universal_spec, sizeof universal_spec, "%s%s", in.requires_python != NULL ? "" : ">=",
		         in.requires_python != NULL ? in.requires_python : pythons.n > 0 ? pythons.v[0] : "3.11");
	if (npy * npl > MAX_TARGETS) {
		dl_cli_usage_error("lock", "at most %d target environments", MAX_TARGETS);
		status = DL_EXIT_USAGE;
		goto done;
	}
	const char *markers[MAX_TARGETS];
	double t0 = now_s();
	progress_ctx pc = {isatty(STDERR_FILENO) && !quiet, verbose && !quiet,
	                   isatty(STDERR_FILENO) && getenv("NO_COLOR") == NULL, net.fetch};
	for (size_t ti = 0; ti < npy * npl; ti++) {
		dl_pyindex_opts po = DL_PYINDEX_OPTS_INIT;
		po.prefer_names = (const char *const *)pref_names.v;
		po.prefer_versions = (const char *const *)pref_versions.v;
		po.n_prefer = pref_names.n;
		po.client = net.client;
		po.python = pythons.n > 0 ? pythons.v[ti / npl] : NULL;
		po.platform = platforms.n > 0                                  ? platforms.v[ti % npl]
		              : pythons.n > 0 && py_platform[ti / npl][0] != '\0' ? py_platform[ti / npl]
		                                                                    : NULL;
		po.prerelease_mode = pre_mode >= 0 ? pre_mode : pre ? DL_PY_PRE_ALLOW : DL_PY_PRE_IF_NECESSARY_OR_EXPLICIT;
		po.only_binary = (const char *const *)only_binary.v;
		po.n_only_binary = only_binary.n;
		po.no_binary = (const char *const *)no_binary.v;
		po.n_no_binary = no_binary.n;
		po.constraints = (const char *const *)in.constraints.v;
		po.n_constraints = in.constraints.n;
		po.overrides = (const char *const *)overrides.v;
		po.n_overrides = overrides.n;
		po.strategy = strategy;
		po.universal = universal ? universal_spec : NULL;
		if (dl_pyindex_new(&pis[ti], &po) != 0) {
			dl_cli_lib_error(NULL);
			goto done;
		}
		n_targets = ti + 1;
		dl_lock_resolver rv;
		dl_pyindex_resolver(pis[ti], &rv);
		markers[ti] = dl_pyindex_environment(pis[ti]);
		dl_lock_opts lo = DL_LOCK_OPTS_INIT;
		lo.client = net.client;
		lo.resolver = &rv;
		lo.roots = (const char *const *)in.roots.v;
		lo.n_roots = in.roots.n;
		lo.project_build = (const char *const *)in.build.v;
		lo.n_project_build = policy == DL_BUILD_NONE ? 0 : in.build.n;
		lo.requires_python = in.requires_python;
		lo.environments = &markers[ti];
		lo.n_environments = 1;
		lo.policy = policy;
		if (pc.tty || pc.verbose) {
			lo.progress = on_progress;
			lo.progress_ctx = &pc;
		}
		int lrc = dl_lock_run(&results[ti], &lo);
		if (pc.tty)
			fputs("\r\033[K", stderr);
		if (lrc != 0) {
			dl_cli_lib_error(npy * npl > 1 ? markers[ti] : "lock failed");
			goto done;
		}
	}
	double secs = now_s() - t0;
	res = results[0];
	const dl_lock *final = dl_lock_result_lock(res);
	if (n_targets > 1) {
		const dl_lock *parts[MAX_TARGETS];
		for (size_t t = 0; t < n_targets; t++)
			parts[t] = dl_lock_result_lock(results[t]);
		if (dl_lock_merge(&merged, parts, markers, n_targets) != 0) {
			dl_cli_lib_error("merging the target environments");
			goto done;
		}
		final = dl_lock_merged_lock(merged);
	}
	if (dl_lock_write_pylock(final, &out) != 0) {
		dl_cli_lib_error("writing the lock");
		goto done;
	}
	dl_pyindex *pi = pis[0];
	for (size_t t = 0; forbid && t < n_targets; t++) {
		const dl_lock_report *rep = dl_lock_result_report(results[t]);
		if (rep->n_builders == 0)
			continue;
		dl_cli_error("--forbid-sdist: %zu package%s would run code at install time%s%s:", rep->n_builders,
		             rep->n_builders == 1 ? "" : "s", n_targets > 1 ? " on " : "", n_targets > 1 ? markers[t] : "");
		for (size_t i = 0; i < rep->n_builders; i++)
			fprintf(stderr, "  %s %s (%s): %s\n", rep->builders[i].name, rep->builders[i].version,
			        rep->builders[i].reason, rep->builders[i].path);
		goto done;
	}
	dl_pyindex_stats st;
	dl_pyindex_get_stats(pi, &st);
	dl_fetch_counters fc;
	dl_fetch_get_counters(net.fetch, &fc);
	if (check) {
		char *old = NULL;
		size_t old_len = 0;
		int rc = dl_fs_read_file(&old, &old_len, target, INPUT_MAX);
		bool same = rc == 0 && old_len == out.len && memcmp(old, out.ptr, out.len) == 0;
		dl_free(old);
		if (!same) {
			fprintf(stderr, "%s is %s: run 'deeplock lock' to update it\n", target,
			        rc == 0 ? "out of date" : "missing");
			goto done;
		}
		if (!quiet)
			fprintf(stderr, "%s is up to date\n", target);
		status = DL_EXIT_OK;
		goto done;
	}
	if (dl_fs_write_atomic(target, out.ptr, out.len, 0644) != 0) {
		dl_cli_lib_error(NULL);
		goto done;
	}
	if (!quiet) {
		for (size_t t = 0; t < n_targets; t++) {
			if (n_targets > 1)
				fprintf(stderr, "%sTarget %s:\n", t > 0 ? "\n" : "", markers[t]);
			dl_pyindex_get_stats(pis[t], &st);
			summary(results[t], t + 1 == n_targets ? target : NULL, secs, &st, &fc);
		}
	}
	status = DL_EXIT_OK;
done:
	dl_buf_free(&out);
	dl_lock_merged_free(merged);
	for (size_t t = 0; t < MAX_TARGETS; t++) {
		dl_lock_result_free(results[t]);
		dl_pyindex_free(pis[t]);
	}
	strv_free(&pythons);
	strv_free(&platforms);
	strv_free(&ofiles);
	strv_free(&overrides);
	/* The net options took over arrays owned by strv lists: release them
	 * here, since dl_cli_net_close frees only the array, not the strings. */
	{
		strv e = {extra_owned ? (char **)net.extra : NULL, extra_owned ? net.n_extra : 0};
		strv l = {links_owned ? (char **)net.find_links : NULL, links_owned ? net.n_find_links : 0};
		if (extra_owned)
			net.extra = NULL, net.n_extra = 0;
		if (links_owned)
			net.find_links = NULL, net.n_find_links = 0;
		dl_cli_net_close(&net);
		strv_free(&e);
		strv_free(&l);
	}
	inputs_free(&in);
	strv_free(&rfiles);
	strv_free(&cfiles);
	strv_free(&only_binary);
	strv_free(&no_binary);
	strv_free(&groups);
	strv_free(&upgrade_pkgs);
	strv_free(&pref_names);
	strv_free(&pref_versions);
	dl_lock_doc_free(prev);
	return status;
}
