/*
 * lock_cmd.c - `deeplock lock`: read what the project asks for, resolve it
 * and every build environment to a fixed point, write pylock.toml
 * atomically, and say what was locked and what will run code at install
 * time.
 *
 * Inputs: a project directory (its pyproject.toml: [project] dependencies,
 * optional dependencies named with --extra, requires-python, and the
 * project's own [build-system] when [project] names a package; or, without
 * pyproject.toml, its requirements.txt), a pyproject.toml or requirements
 * file given directly, and any number of -r / -c files.  Requirements files
 * are read line by line: comments, blank lines, line continuations, nested
 * -r/-c; per-requirement --hash options are accepted and ignored (the lock
 * records its own hashes); other option lines are refused with the file and
 * line, rather than silently changing what gets locked.
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
#include "deeplock/pyindex.h"
#include "deeplock/toml.h"

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

typedef struct inputs {
	strv roots;
	strv constraints;
	strv build; /* the project's own build requirements */
	strv extras;
	char *requires_python;
	char *project_name;
	char *dir; /* where pylock.toml goes by default */
} inputs;

static void inputs_free(inputs *in)
{
	strv_free(&in->roots);
	strv_free(&in->constraints);
	strv_free(&in->build);
	strv_free(&in->extras);
	free(in->requires_python);
	free(in->project_name);
	free(in->dir);
}

/* ------------------------------------------------------------------ */
/* Requirements files                                                   */

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		return strdup(".");
	return strndup(path, (size_t)(slash - path) == 0 ? 1 : (size_t)(slash - path));
}

static int read_reqfile(const char *path, strv *out, strv *constraints, int depth);

/* A nested -r/-c: relative to the including file's directory. */
static int nested(const char *from, const char *arg, strv *out, strv *constraints, int depth)
{
	char *dir = dir_of(from);
	char full[4096];
	if (arg[0] == '/')
		snprintf(full, sizeof full, "%s", arg);
	else
		snprintf(full, sizeof full, "%s/%s", dir, arg);
	free(dir);
	return read_reqfile(full, out, constraints, depth + 1);
}

static int read_reqfile(const char *path, strv *out, strv *constraints, int depth)
{
	if (depth > 16) {
		dl_cli_error("%s: requirements files nest more than 16 deep (an include cycle?)", path);
		return -1;
	}
	size_t len = 0;
	char *data = dl_cli_read_input(path, INPUT_MAX, &len);
	if (data == NULL)
		return -1;
	/* Join continuation lines first (pip's order), keeping line numbers. */
	int rc = 0;
	unsigned line = 0;
	char *p = data;
	dl_buf logical = DL_BUF_INIT;
	unsigned start_line = 1;
	while (rc == 0 && *p != '\0') {
		char *e = strchr(p, '\n');
		size_t n = e != NULL ? (size_t)(e - p) : strlen(p);
		line++;
		if (logical.len == 0)
			start_line = line;
		bool cont = n > 0 && p[n - 1] == '\\';
		dl_buf_put(&logical, p, cont ? n - 1 : n);
		p = e != NULL ? e + 1 : p + n;
		if (cont && *p != '\0')
			continue;
		char *l = logical.ptr != NULL ? logical.ptr : (char *)"";
		/* A comment starts at '#' at the line's start or after whitespace. */
		for (char *c = l; *c; c++)
			if (*c == '#' && (c == l || c[-1] == ' ' || c[-1] == '\t')) {
				*c = '\0';
				break;
			}
		char *t = trim(l);
		if (*t == '\0') {
			dl_buf_reset(&logical);
			continue;
		}
		if (strncmp(t, "-r", 2) == 0 || strncmp(t, "--requirement", 13) == 0 || strncmp(t, "-c", 2) == 0 ||
		    strncmp(t, "--constraint", 12) == 0) {
			bool is_c = t[1] == 'c' || t[2] == 'c';
			char *arg = t + (t[1] == '-' ? (is_c ? 12 : 13) : 2);
			arg = trim(arg[0] == '=' ? arg + 1 : arg);
			rc = nested(path, arg, is_c ? constraints : out, constraints, depth);
		} else if (t[0] == '-') {
			dl_cli_error("%s:%u: option '%s' is not supported in requirements files read by deeplock lock", path,
			             start_line, t);
			rc = -1;
		} else {
			/* Drop per-requirement options (--hash=...): the lock records its own. */
			char *opt = strstr(t, " --");
			if (opt != NULL) {
				if (strncmp(opt + 1, "--hash", 6) != 0) {
					dl_cli_error("%s:%u: option '%s' is not supported", path, start_line, trim(opt));
					rc = -1;
					break;
				}
				*opt = '\0';
				t = trim(t);
			}
			if (strv_push(out, t) != 0)
				rc = -1;
		}
		dl_buf_reset(&logical);
	}
	dl_buf_free(&logical);
	free(data);
	return rc;
}

/* ------------------------------------------------------------------ */
/* pyproject.toml                                                       */

static int toml_strings(const dl_toml_value *arr, const char *what, strv *out, const char *file)
{
	if (arr == NULL)
		return 0;
	if (dl_toml_value_type(arr) != DL_TOML_ARRAY) {
		dl_toml_value_error(arr, DL_EPARSE, "'%s' must be an array of strings", what);
		dl_cli_lib_error(file);
		return -1;
	}
	for (size_t i = 0; i < dl_toml_array_len(arr); i++) {
		const dl_toml_value *v = dl_toml_array_at(arr, i);
		if (dl_toml_value_type(v) != DL_TOML_STRING) {
			dl_toml_value_error(v, DL_EPARSE, "'%s' must hold strings, found %s", what,
			                    dl_toml_type_name(dl_toml_value_type(v)));
			dl_cli_lib_error(file);
			return -1;
		}
		if (strv_push(out, dl_toml_value_string(v, NULL)) != 0)
			return -1;
	}
	return 0;
}

static int read_pyproject(const char *path, inputs *in)
{
	size_t len = 0;
	char *data = dl_cli_read_input(path, INPUT_MAX, &len);
	if (data == NULL)
		return -1;
	dl_toml_doc *doc = NULL;
	int rc = dl_toml_parse(&doc, data, len, path, NULL);
	free(data);
	if (rc != 0) {
		dl_cli_lib_error(NULL);
		return -1;
	}
	const dl_toml_value *root = dl_toml_doc_root(doc);
	const dl_toml_value *project = dl_toml_get_path(root, "project");
	rc = 0;
	if (project != NULL) {
		const dl_toml_value *v = dl_toml_get_path(project, "name");
		if (v != NULL && dl_toml_value_type(v) == DL_TOML_STRING)
			in->project_name = strdup(dl_toml_value_string(v, NULL));
		v = dl_toml_get_path(project, "requires-python");
		if (v != NULL && dl_toml_value_type(v) == DL_TOML_STRING)
			in->requires_python = strdup(dl_toml_value_string(v, NULL));
		rc = toml_strings(dl_toml_get_path(project, "dependencies"), "project.dependencies", &in->roots, path);
		for (size_t i = 0; i < in->extras.n && rc == 0; i++) {
			const dl_toml_value *od = dl_toml_get_path(project, "optional-dependencies");
			const dl_toml_value *x = od != NULL ? dl_toml_table_get(od, in->extras.v[i]) : NULL;
			if (x == NULL) {
				dl_cli_error("%s: --extra '%s': [project.optional-dependencies] has no such extra", path,
				             in->extras.v[i]);
				rc = -1;
				break;
			}
			rc = toml_strings(x, "project.optional-dependencies", &in->roots, path);
		}
		/* The project itself gets built when it is a package. */
		const dl_toml_value *bs = dl_toml_get_path(root, "build-system.requires");
		if (rc == 0 && in->project_name != NULL) {
			if (bs != NULL)
				rc = toml_strings(bs, "build-system.requires", &in->build, path);
			else
				rc = strv_push(&in->build, "setuptools>=40.8.0");
		}
	} else {
		dl_cli_error("%s: no [project] table; give the requirements with -r", path);
		rc = -1;
	}
	dl_toml_doc_free(doc);
	return rc;
}

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool exists(const char *p)
{
	return access(p, F_OK) == 0;
}

static int read_inputs(const char *path, strv *rfiles, strv *cfiles, inputs *in)
{
	char buf[4096];
	int rc = 0;
	if (path != NULL && is_dir(path)) {
		in->dir = strdup(path);
		snprintf(buf, sizeof buf, "%s/pyproject.toml", path);
		if (exists(buf) && rfiles->n == 0) {
			rc = read_pyproject(buf, in);
		} else if (rfiles->n == 0) {
			snprintf(buf, sizeof buf, "%s/requirements.txt", path);
			if (exists(buf)) {
				rc = read_reqfile(buf, &in->roots, &in->constraints, 0);
			} else {
				dl_cli_error("%s: no pyproject.toml or requirements.txt; give requirements with -r", path);
				return -1;
			}
		}
	} else if (path != NULL) {
		in->dir = dir_of(path);
		size_t n = strlen(path);
		if (n >= 14 && strcmp(path + n - 14, "pyproject.toml") == 0)
			rc = read_pyproject(path, in);
		else if (exists(path))
			rc = read_reqfile(path, &in->roots, &in->constraints, 0);
		else {
			dl_cli_error("%s: no such file or directory", path);
			return -1;
		}
	} else {
		in->dir = strdup(".");
	}
	for (size_t i = 0; i < rfiles->n && rc == 0; i++)
		rc = read_reqfile(rfiles->v[i], &in->roots, &in->constraints, 0);
	for (size_t i = 0; i < cfiles->n && rc == 0; i++)
		rc = read_reqfile(cfiles->v[i], &in->constraints, &in->constraints, 0);
	if (rc == 0 && in->roots.n == 0 && in->build.n == 0) {
		dl_cli_error("nothing to lock: no requirements found");
		rc = -1;
	}
	return rc;
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
	        "  -o, --output PATH         where to write (default PATH/pylock.toml)\n"
	        "      --check               write nothing; exit 1 if the lock is out of date\n"
	        "  -U, --upgrade             ignore the existing lock's versions (by default they are kept\n"
	        "                            where they still satisfy the requirements)\n"
	        "  -P, --upgrade-package N   let N move to its newest allowed version (repeatable)\n"
	        "      --build-deps POLICY   needed (default): expand what an installer would build;\n"
	        "                            all: every package with an sdist; none: nothing\n"
	        "      --forbid-sdist        fail if any package would run code at install time\n"
	        "      --python X.Y[.Z]      target Python (default 3.11)\n"
	        "      --python-platform TAG target platform tag (default manylinux_2_36_x86_64)\n"
	        "      --prerelease allow    allow pre-releases everywhere\n"
	        "      --resolution lowest   prefer the lowest versions\n"
	        "      --only-binary NAMES   never use sdists of these (comma list, or :all:)\n"
	        "      --no-binary NAMES     never use wheels of these (comma list, or :all:)\n"
	        "  -q, --quiet               print only errors\n\n"
	        "%s\n"
	        "Exit status: 0 locked (or up to date), 1 failure or out of date, 2 usage error.\n",
	        dl_cli_net_help);
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
	strv rfiles = {0}, cfiles = {0}, only_binary = {0}, no_binary = {0};
	inputs in = {0};
	const char *path = NULL, *output = NULL, *python = NULL, *platform = NULL;
	bool check = false, forbid = false, quiet = false, pre = false, lowest = false, upgrade = false;
	strv upgrade_pkgs = {0}, pref_names = {0}, pref_versions = {0};
	dl_lock_doc *prev = NULL;
	dl_build_policy policy = DL_BUILD_NEEDED;
	int status = DL_EXIT_USAGE;
	dl_pyindex *pi = NULL;
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
		} else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			quiet = true;
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
			python = val;
		} else if (strcmp(a, "--python-platform") == 0) {
			NEEDS_VALUE();
			platform = val;
		} else if (strcmp(a, "--prerelease") == 0) {
			NEEDS_VALUE();
			if (strcmp(val, "allow") == 0)
				pre = true;
			else if (strcmp(val, "if-necessary-or-explicit") != 0) {
				dl_cli_usage_error("lock", "--prerelease is allow or if-necessary-or-explicit, not '%s'", val);
				goto done;
			}
		} else if (strcmp(a, "--resolution") == 0) {
			NEEDS_VALUE();
			if (strcmp(val, "lowest") == 0)
				lowest = true;
			else if (strcmp(val, "highest") != 0) {
				dl_cli_usage_error("lock", "--resolution is highest or lowest, not '%s'", val);
				goto done;
			}
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
	if (read_inputs(path, &rfiles, &cfiles, &in) != 0)
		goto done;
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
	if (dl_cli_net_open(&net) != DL_EXIT_OK)
		goto done;
	dl_pyindex_opts po = DL_PYINDEX_OPTS_INIT;
	po.prefer_names = (const char *const *)pref_names.v;
	po.prefer_versions = (const char *const *)pref_versions.v;
	po.n_prefer = pref_names.n;
	po.client = net.client;
	po.python = python;
	po.platform = platform;
	po.prereleases = pre;
	po.lowest = lowest;
	po.only_binary = (const char *const *)only_binary.v;
	po.n_only_binary = only_binary.n;
	po.no_binary = (const char *const *)no_binary.v;
	po.n_no_binary = no_binary.n;
	po.constraints = (const char *const *)in.constraints.v;
	po.n_constraints = in.constraints.n;
	if (dl_pyindex_new(&pi, &po) != 0) {
		dl_cli_lib_error(NULL);
		goto done;
	}
	dl_lock_resolver rv;
	dl_pyindex_resolver(pi, &rv);
	const char *envs[1] = {dl_pyindex_environment(pi)};
	dl_lock_opts lo = DL_LOCK_OPTS_INIT;
	lo.client = net.client;
	lo.resolver = &rv;
	lo.roots = (const char *const *)in.roots.v;
	lo.n_roots = in.roots.n;
	lo.project_build = (const char *const *)in.build.v;
	lo.n_project_build = in.build.n;
	lo.requires_python = in.requires_python;
	lo.environments = envs;
	lo.n_environments = 1;
	lo.policy = policy;
	double t0 = now_s();
	if (dl_lock_run(&res, &lo) != 0) {
		dl_cli_lib_error("lock failed");
		goto done;
	}
	double secs = now_s() - t0;
	if (dl_lock_write_pylock(dl_lock_result_lock(res), &out) != 0) {
		dl_cli_lib_error("writing the lock");
		goto done;
	}
	const dl_lock_report *rep = dl_lock_result_report(res);
	if (forbid && rep->n_builders > 0) {
		dl_cli_error("--forbid-sdist: %zu package%s would run code at install time:", rep->n_builders,
		             rep->n_builders == 1 ? "" : "s");
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
	if (!quiet)
		summary(res, target, secs, &st, &fc);
	status = DL_EXIT_OK;
done:
	dl_buf_free(&out);
	dl_lock_result_free(res);
	dl_pyindex_free(pi);
	dl_cli_net_close(&net);
	inputs_free(&in);
	strv_free(&rfiles);
	strv_free(&cfiles);
	strv_free(&only_binary);
	strv_free(&no_binary);
	strv_free(&upgrade_pkgs);
	strv_free(&pref_names);
	strv_free(&pref_versions);
	dl_lock_doc_free(prev);
	return status;
}
