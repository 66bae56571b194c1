/*
 * diff_cmd.c - `deeplock diff OLD NEW`: what changed between two locks,
 * what runs at build time first.
 *
 * The comparison is the library's (lockdiff.h); this file reads the two
 * inputs and renders the result three ways: text for a terminal (grouped
 * sections, colour when stdout is a terminal and NO_COLOR is not set), JSON
 * following docs/diff-schema.json (stable: the schema is tested), and
 * Markdown for a pull-request comment (a one-line summary, then a table per
 * section).
 *
 * An argument that names no existing file and contains ':' is a git
 * revision spec, REV:path, read with `git show REV:path` in the current
 * directory.  git is spawned without a shell (posix_spawnp), so the spec
 * is never interpreted by anything but git; git's own error reaches stderr
 * unchanged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "deeplock/lockdiff.h"

#define DIFF_INPUT_MAX ((size_t)64 << 20)

enum output { OUT_TEXT, OUT_JSON, OUT_MARKDOWN };
enum fail_on { FAIL_NONE, FAIL_BUILD, FAIL_ANY };

/* ------------------------------------------------------------------ */
/* Reading an input                                                     */

/* `git show SPEC` into a new buffer (free with free()); NULL after
 * printing why. */
static char *git_show(const char *spec, size_t *len_out)
{
	char *argv[] = {"git", "show", (char *)spec, NULL};
	char *out = NULL;
	int status = 0;
	int err = dl_cli_capture(argv, DIFF_INPUT_MAX, &out, len_out, &status);
	if (err == ENOENT)
		dl_cli_error("cannot run git to read %s: git is not installed", spec);
	else if (err == EFBIG)
		dl_cli_error("%s: larger than %zu bytes", spec, DIFF_INPUT_MAX);
	else if (err != 0) {
		char eb[128];
		dl_cli_error("cannot run git to read %s: %s", spec, strerror_r(err, eb, sizeof eb));
	} else if (status != 0)
		dl_cli_error("git show %s failed (see git's message above)", spec);
	else
		return out;
	dl_free(out);
	return NULL;
}

/* Read a file, "-", or REV:path; *path_hint gets the file name to detect
 * the format by. */
static char *read_side(const char *arg, size_t *len, const char **path_hint)
{
	struct stat st;
	const char *colon = strchr(arg, ':');
	*path_hint = arg;
	if (strcmp(arg, "-") == 0 || stat(arg, &st) == 0 || colon == NULL)
		return dl_cli_read_input(arg, DIFF_INPUT_MAX, len);
	*path_hint = colon + 1;
	return git_show(arg, len);
}

/* ------------------------------------------------------------------ */
/* Shared by the renderers                                              */

typedef struct section {
	const char *title;
	dl_lockdiff_kind first, last; /* inclusive */
} section;

static const section SECTIONS[] = {
    {"Runs at build time (new)", DL_LOCKDIFF_BUILD_FROM_SOURCE, DL_LOCKDIFF_BUILD_ENV_PACKAGE},
    {"Hash changed for the same version (red flag: a re-uploaded or tampered file?)", DL_LOCKDIFF_HASH_CHANGED,
     DL_LOCKDIFF_HASH_CHANGED},
    {"Added", DL_LOCKDIFF_ADDED, DL_LOCKDIFF_ADDED},
    {"Removed", DL_LOCKDIFF_REMOVED, DL_LOCKDIFF_REMOVED},
    {"Upgraded", DL_LOCKDIFF_UPGRADED, DL_LOCKDIFF_UPGRADED},
    {"Downgraded", DL_LOCKDIFF_DOWNGRADED, DL_LOCKDIFF_DOWNGRADED},
    {"Version changed (not comparable as PEP 440)", DL_LOCKDIFF_VERSION_CHANGED, DL_LOCKDIFF_VERSION_CHANGED},
    {"Source changed", DL_LOCKDIFF_SOURCE_CHANGED, DL_LOCKDIFF_SOURCE_CHANGED},
    {"Marker changed", DL_LOCKDIFF_MARKER_CHANGED, DL_LOCKDIFF_MARKER_CHANGED},
    {"Build environments removed", DL_LOCKDIFF_BUILD_ENV_REMOVED, DL_LOCKDIFF_BUILD_ENV_REMOVED},
};
#define N_SECTIONS (sizeof(SECTIONS) / sizeof(SECTIONS[0]))

static size_t section_count(const dl_lockdiff *d, const section *s)
{
	size_t n = 0;
	for (int k = (int)s->first; k <= (int)s->last; k++)
		n += d->counts[k];
	return n;
}

static size_t build_count(const dl_lockdiff *d)
{
	return section_count(d, &SECTIONS[0]);
}

/* "2 run at build time, 1 hash changed, 3 added" or "no changes". */
static void summary_line(const dl_lockdiff *d, dl_buf *b)
{
	static const char *const words[] = {"run at build time", "hash changed", "added", "removed", "upgraded",
	                                    "downgraded", "version changed", "source changed", "marker changed",
	                                    "build environments removed"};
	bool any = false;
	for (size_t i = 0; i < N_SECTIONS; i++) {
		size_t n = section_count(d, &SECTIONS[i]);
		if (n == 0)
			continue;
		dl_buf_printf(b, "%s%zu %s", any ? ", " : "", n, words[i]);
		any = true;
	}
	if (!any)
		dl_buf_puts(b, "no changes");
}

static const char *orq(const char *s)
{
	return s != NULL ? s : "?";
}

static const char *side_desc(dl_lockfile_format f, bool deeplock)
{
	return deeplock ? "deeplock pylock with build environments" : dl_lockfile_format_name(f);
}

/* ------------------------------------------------------------------ */
/* Text                                                                 */

typedef struct colors {
	const char *bold, *red, *green, *yellow, *cyan, *off;
} colors;

static void text_entry(const dl_lockdiff_entry *e, const colors *c)
{
	const char *env_pre = e->env != NULL && e->name != NULL ? "[build env " : "";
	const char *env_id = e->env != NULL && e->name != NULL ? e->env : "";
	const char *env_post = e->env != NULL && e->name != NULL ? "] " : "";
	switch (e->kind) {
	case DL_LOCKDIFF_BUILD_FROM_SOURCE:
	case DL_LOCKDIFF_BUILD_SDIST_ADDED:
	case DL_LOCKDIFF_BUILD_ENV_PACKAGE:
		printf("  %s!%s %s%s%s%s ", c->red, c->off, env_pre, env_id, env_post, e->name);
		if (e->old_version != NULL)
			printf("%s -> ", e->old_version);
		printf("%s  (%s)\n", orq(e->new_version), e->reason != NULL ? e->reason : "");
		break;
	case DL_LOCKDIFF_BUILD_ENV_ADDED:
	case DL_LOCKDIFF_BUILD_ENV_REMOVED:
		printf("  %s%s%s build environment %s (", e->kind == DL_LOCKDIFF_BUILD_ENV_ADDED ? c->red : c->yellow,
		       e->kind == DL_LOCKDIFF_BUILD_ENV_ADDED ? "!" : "-", c->off, e->env);
		for (size_t i = 0; i < e->n_requires; i++)
			printf("%s%s", i ? ", " : "", e->requires[i]);
		printf(")\n");
		break;
	case DL_LOCKDIFF_HASH_CHANGED:
		printf("  %s!%s %s%s%s%s %s%s\n", c->red, c->off, env_pre, env_id, env_post, e->name, orq(e->new_version),
		       e->hash_mismatch ? "  (a file kept its name and changed its hash)" : "");
		for (size_t i = 0; i < e->n_files; i++) {
			const dl_lockdiff_file *f = &e->files[i];
			const char *what = f->old_hash == NULL ? "new file" : f->new_hash == NULL ? "only in old" : "changed";
			printf("      %-11s %s %s:%s%s%s\n", what, f->name != NULL ? f->name : "(unnamed)", f->algorithm,
			       f->old_hash != NULL ? f->old_hash : "", f->old_hash != NULL && f->new_hash != NULL ? " -> " : "",
			       f->new_hash != NULL ? f->new_hash : "");
		}
		break;
	case DL_LOCKDIFF_ADDED:
		printf("  %s+%s %s%s%s%s %s\n", c->green, c->off, env_pre, env_id, env_post, e->name, orq(e->new_version));
		break;
	case DL_LOCKDIFF_REMOVED:
		printf("  %s-%s %s%s%s%s %s\n", c->yellow, c->off, env_pre, env_id, env_post, e->name, orq(e->old_version));
		break;
	case DL_LOCKDIFF_UPGRADED:
	case DL_LOCKDIFF_DOWNGRADED:
	case DL_LOCKDIFF_VERSION_CHANGED:
		printf("  %s~%s %s%s%s%s %s -> %s\n", c->cyan, c->off, env_pre, env_id, env_post, e->name,
		       orq(e->old_version), orq(e->new_version));
		break;
	case DL_LOCKDIFF_SOURCE_CHANGED:
	case DL_LOCKDIFF_MARKER_CHANGED:
		printf("  %s~%s %s%s%s%s %s: %s -> %s\n", c->cyan, c->off, env_pre, env_id, env_post, e->name,
		       orq(e->new_version), e->old_value != NULL ? e->old_value : "(none)",
		       e->new_value != NULL ? e->new_value : "(none)");
		break;
	default:
		break;
	}
}

static void render_text(const dl_lockdiff *d, const char *old_name, const char *new_name, bool colour)
{
	colors c = {"", "", "", "", "", ""};
	if (colour)
		c = (colors){"\033[1m", "\033[31m", "\033[32m", "\033[33m", "\033[36m", "\033[0m"};
	dl_buf b = DL_BUF_INIT;
	summary_line(d, &b);
	printf("%s%s%s (%s) -> %s (%s): %s\n", c.bold, old_name, c.off, side_desc(d->old_format, d->old_deeplock),
	       new_name, side_desc(d->new_format, d->new_deeplock), dl_buf_cstr(&b));
	dl_buf_free(&b);
	for (size_t s = 0; s < N_SECTIONS; s++) {
		if (section_count(d, &SECTIONS[s]) == 0)
			continue;
		printf("\n%s%s%s%s\n", c.bold, s <= 1 ? c.red : "", SECTIONS[s].title, c.off);
		for (size_t i = 0; i < d->n_entries; i++)
			if (d->entries[i].kind >= SECTIONS[s].first && d->entries[i].kind <= SECTIONS[s].last)
				text_entry(&d->entries[i], &c);
	}
}

/* ------------------------------------------------------------------ */
/* Markdown                                                             */

/* A table cell: '|' and line breaks would end the cell or the row. */
static void md_cell(const char *s, bool code)
{
	fputs("| ", stdout);
	if (s == NULL || s[0] == '\0') {
		fputs(" ", stdout);
		return;
	}
	if (code)
		fputc('`', stdout);
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '|')
			fputs("\\|", stdout);
		else if (*p == '\n' || *p == '\r')
			fputc(' ', stdout);
		else if (*p == '`' && code)
			fputc('\'', stdout);
		else
			fputc(*p, stdout);
	}
	if (code)
		fputc('`', stdout);
	fputc(' ', stdout);
}

static void render_markdown(const dl_lockdiff *d, const char *old_name, const char *new_name)
{
	dl_buf b = DL_BUF_INIT;
	summary_line(d, &b);
	printf("**deeplock diff**: %s%s (`%s` → `%s`)\n", build_count(d) > 0 ? ":warning: " : "", dl_buf_cstr(&b),
	       old_name, new_name);
	dl_buf_free(&b);
	for (size_t s = 0; s < N_SECTIONS; s++) {
		const section *sec = &SECTIONS[s];
		if (section_count(d, sec) == 0)
			continue;
		printf("\n### %s\n\n", sec->title);
		if (s == 0)
			printf("| Change | Package | Build environment | Old | New | Why |\n|---|---|---|---|---|---|\n");
		else if (sec->first == DL_LOCKDIFF_HASH_CHANGED)
			printf("| Package | Build environment | Version | File | Old hash | New hash |\n"
			       "|---|---|---|---|---|---|\n");
		else if (sec->first == DL_LOCKDIFF_BUILD_ENV_REMOVED)
			printf("| Build environment | Requires |\n|---|---|\n");
		else if (sec->first == DL_LOCKDIFF_SOURCE_CHANGED || sec->first == DL_LOCKDIFF_MARKER_CHANGED)
			printf("| Package | Build environment | Version | Old | New |\n|---|---|---|---|---|\n");
		else
			printf("| Package | Build environment | Old | New |\n|---|---|---|---|\n");
		for (size_t i = 0; i < d->n_entries; i++) {
			const dl_lockdiff_entry *e = &d->entries[i];
			if (e->kind < sec->first || e->kind > sec->last)
				continue;
			const char *env = e->name != NULL ? e->env : NULL;
			if (s == 0) {
				md_cell(dl_lockdiff_kind_name(e->kind), false);
				if (e->kind == DL_LOCKDIFF_BUILD_ENV_ADDED) {
					dl_buf r = DL_BUF_INIT;
					for (size_t k = 0; k < e->n_requires; k++)
						dl_buf_printf(&r, "%s%s", k ? ", " : "", e->requires[k]);
					md_cell(NULL, false);
					md_cell(e->env, true);
					md_cell(NULL, false);
					md_cell(dl_buf_cstr(&r), true);
					dl_buf_free(&r);
				} else {
					md_cell(e->name, true);
					md_cell(env, true);
					md_cell(e->old_version, false);
					md_cell(e->new_version, false);
				}
				md_cell(e->reason, false);
			} else if (e->kind == DL_LOCKDIFF_HASH_CHANGED) {
				for (size_t k = 0; k < e->n_files; k++) {
					const dl_lockdiff_file *f = &e->files[k];
					md_cell(e->name, true);
					md_cell(env, true);
					md_cell(e->new_version, false);
					md_cell(f->name != NULL ? f->name : "(unnamed)", true);
					md_cell(f->old_hash, true);
					md_cell(f->new_hash, true);
					if (k + 1 < e->n_files)
						printf("|\n");
				}
			} else if (e->kind == DL_LOCKDIFF_BUILD_ENV_REMOVED) {
				dl_buf r = DL_BUF_INIT;
				for (size_t k = 0; k < e->n_requires; k++)
					dl_buf_printf(&r, "%s%s", k ? ", " : "", e->requires[k]);
				md_cell(e->env, true);
				md_cell(dl_buf_cstr(&r), true);
				dl_buf_free(&r);
			} else if (e->kind == DL_LOCKDIFF_SOURCE_CHANGED || e->kind == DL_LOCKDIFF_MARKER_CHANGED) {
				md_cell(e->name, true);
				md_cell(env, true);
				md_cell(e->new_version, false);
				md_cell(e->old_value != NULL ? e->old_value : "(none)", true);
				md_cell(e->new_value != NULL ? e->new_value : "(none)", true);
			} else {
				md_cell(e->name, true);
				md_cell(env, true);
				md_cell(e->old_version, false);
				md_cell(e->new_version, false);
			}
			printf("|\n");
		}
	}
}

/* ------------------------------------------------------------------ */
/* JSON (docs/diff-schema.json)                                         */

static json_t *jstr(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *json_entry(const dl_lockdiff_entry *e)
{
	json_t *o = json_object();
	json_object_set_new(o, "kind", json_string(dl_lockdiff_kind_name(e->kind)));
	json_object_set_new(o, "name", jstr(e->name));
	json_object_set_new(o, "build_env", jstr(e->env));
	json_object_set_new(o, "old_version", jstr(e->old_version));
	json_object_set_new(o, "new_version", jstr(e->new_version));
	if (e->reason != NULL)
		json_object_set_new(o, "reason", json_string(e->reason));
	if (e->kind == DL_LOCKDIFF_SOURCE_CHANGED || e->kind == DL_LOCKDIFF_MARKER_CHANGED) {
		json_object_set_new(o, "old", jstr(e->old_value));
		json_object_set_new(o, "new", jstr(e->new_value));
	}
	if (e->kind == DL_LOCKDIFF_BUILD_ENV_ADDED || e->kind == DL_LOCKDIFF_BUILD_ENV_REMOVED) {
		json_t *r = json_array();
		for (size_t i = 0; i < e->n_requires; i++)
			json_array_append_new(r, json_string(e->requires[i]));
		json_object_set_new(o, "requires", r);
	}
	if (e->kind == DL_LOCKDIFF_HASH_CHANGED) {
		json_object_set_new(o, "hash_mismatch", json_boolean(e->hash_mismatch));
		json_t *fs = json_array();
		for (size_t i = 0; i < e->n_files; i++) {
			json_t *f = json_object();
			json_object_set_new(f, "name", jstr(e->files[i].name));
			json_object_set_new(f, "algorithm", json_string(e->files[i].algorithm));
			json_object_set_new(f, "old_hash", jstr(e->files[i].old_hash));
			json_object_set_new(f, "new_hash", jstr(e->files[i].new_hash));
			json_array_append_new(fs, f);
		}
		json_object_set_new(o, "files", fs);
	}
	return o;
}

static json_t *json_side(const char *name, dl_lockfile_format f, bool deeplock)
{
	json_t *o = json_object();
	json_object_set_new(o, "source", json_string(name));
	json_object_set_new(o, "format", json_string(dl_lockfile_format_name(f)));
	json_object_set_new(o, "build_environments", json_boolean(deeplock));
	return o;
}

static int render_json(const dl_lockdiff *d, const char *old_name, const char *new_name)
{
	json_t *root = json_object();
	json_object_set_new(root, "schema_version", json_integer(1));
	json_object_set_new(root, "old", json_side(old_name, d->old_format, d->old_deeplock));
	json_object_set_new(root, "new", json_side(new_name, d->new_format, d->new_deeplock));
	json_t *sum = json_object();
	json_object_set_new(sum, "total", json_integer((json_int_t)d->n_entries));
	json_object_set_new(sum, "build", json_integer((json_int_t)build_count(d)));
	for (int k = 0; k < DL_LOCKDIFF_KIND_COUNT; k++)
		json_object_set_new(sum, dl_lockdiff_kind_name((dl_lockdiff_kind)k), json_integer((json_int_t)d->counts[k]));
	json_object_set_new(root, "summary", sum);
	json_t *build = json_array(), *hash = json_array(), *other = json_array();
	for (size_t i = 0; i < d->n_entries; i++) {
		const dl_lockdiff_entry *e = &d->entries[i];
		json_t *to = dl_lockdiff_kind_is_build(e->kind)            ? build
		             : e->kind == DL_LOCKDIFF_HASH_CHANGED ? hash
		                                                           : other;
		json_array_append_new(to, json_entry(e));
	}
	json_object_set_new(root, "build", build);
	json_object_set_new(root, "hash_changed", hash);
	json_object_set_new(root, "changes", other);
	int rc = dl_cli_print_json(root);
	json_decref(root);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The command                                                          */

static const char HELP[] =
    "Usage: deeplock diff OLD NEW [--format-old F] [--format-new F] [--format F]\n"
    "                     [--output text|json|markdown] [--fail-on build|any|none]\n"
    "\n"
    "Compare two lock files of any supported format (pylock.toml, poetry.lock, pdm.lock,\n"
    "Pipfile.lock, uv.lock).  What will newly run at build time is listed first, then\n"
    "files or hashes that changed for the same version (a red flag), then added,\n"
    "removed, upgraded, downgraded, source and marker changes.  deeplock's own\n"
    "pylock.toml is compared with its build environments.\n"
    "\n"
    "  OLD, NEW            a file, '-' for standard input, or a git revision spec\n"
    "                      REV:path (read with `git show REV:path`), e.g. HEAD~1:pylock.toml\n"
    "  --format-old F      the old lock's format (pylock, poetry, pdm, pipfile, uv);\n"
    "  --format-new F      the new lock's; --format F sets both.  Default: detected\n"
    "  --output FORMAT     text (default), json (docs/diff-schema.json) or markdown\n"
    "  --fail-on WHAT      exit 1 when something new runs at build time (build), when\n"
    "                      anything changed (any), or never (none, the default)\n"
    "\n"
    "Colour is used on a terminal unless NO_COLOR is set.\n"
    "Exit status: 0 normally, 1 when --fail-on matches or a lock cannot be read, 2 usage.\n";

static int parse_format(const char *v, dl_lockfile_format *out)
{
	if (dl_lockfile_format_from_name(out, v) != 0)
		return dl_cli_usage_error("diff", "%s", dl_error_last()->message);
	return 0;
}

int dl_cli_diff(int argc, char **argv)
{
	const char *paths[2] = {NULL, NULL};
	dl_lockfile_format fmts[2] = {DL_LOCKFILE_UNKNOWN_FORMAT, DL_LOCKFILE_UNKNOWN_FORMAT};
	enum output output = OUT_TEXT;
	enum fail_on fail_on = FAIL_NONE;
	size_t npaths = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has_value = i + 1 < argc;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(HELP, stdout);
			return DL_EXIT_OK;
		} else if ((strcmp(a, "--format-old") == 0 || strcmp(a, "--format-new") == 0 || strcmp(a, "--format") == 0) &&
		           has_value) {
			dl_lockfile_format f;
			if (parse_format(argv[++i], &f) != 0)
				return DL_EXIT_USAGE;
			if (strcmp(a, "--format-new") != 0)
				fmts[0] = f;
			if (strcmp(a, "--format-old") != 0)
				fmts[1] = f;
		} else if (strcmp(a, "--output") == 0 && has_value) {
			const char *v = argv[++i];
			if (strcmp(v, "text") == 0)
				output = OUT_TEXT;
			else if (strcmp(v, "json") == 0)
				output = OUT_JSON;
			else if (strcmp(v, "markdown") == 0)
				output = OUT_MARKDOWN;
			else
				return dl_cli_usage_error("diff", "--output must be text, json or markdown, not '%s'", v);
		} else if (strcmp(a, "--fail-on") == 0 && has_value) {
			const char *v = argv[++i];
			if (strcmp(v, "build") == 0)
				fail_on = FAIL_BUILD;
			else if (strcmp(v, "any") == 0)
				fail_on = FAIL_ANY;
			else if (strcmp(v, "none") == 0)
				fail_on = FAIL_NONE;
			else
				return dl_cli_usage_error("diff", "--fail-on must be build, any or none, not '%s'", v);
		} else if (a[0] == '-' && a[1] != '\0') {
			return dl_cli_usage_error("diff", "unknown option '%s' (or it needs a value)", a);
		} else if (npaths < 2) {
			paths[npaths++] = a;
		} else {
			return dl_cli_usage_error("diff", "unexpected argument '%s': give OLD and NEW", a);
		}
	}
	if (npaths != 2)
		return dl_cli_usage_error("diff", "give the OLD and the NEW lock");
	if (strcmp(paths[0], "-") == 0 && strcmp(paths[1], "-") == 0)
		return dl_cli_usage_error("diff", "only one of OLD and NEW can be standard input");

	int status = DL_EXIT_FAIL;
	char *data[2] = {NULL, NULL};
	dl_lockdiff_input in[2];
	dl_lockdiff *d = NULL;
	for (int s = 0; s < 2; s++) {
		size_t len = 0;
		const char *hint = NULL;
		if ((data[s] = read_side(paths[s], &len, &hint)) == NULL)
			goto done;
		in[s] = (dl_lockdiff_input){data[s], len, paths[s], hint, fmts[s]};
	}
	if (dl_lockdiff_compute(&d, &in[0], &in[1]) != 0) {
		dl_cli_lib_error(NULL);
		goto done;
	}
	status = DL_EXIT_OK;
	if (output == OUT_JSON) {
		status = render_json(d, paths[0], paths[1]);
	} else if (output == OUT_MARKDOWN) {
		render_markdown(d, paths[0], paths[1]);
	} else {
		const char *nc = getenv("NO_COLOR");
		render_text(d, paths[0], paths[1], isatty(STDOUT_FILENO) && (nc == NULL || nc[0] == '\0'));
	}
	if (fflush(stdout) != 0)
		status = DL_EXIT_FAIL;
	if (status == DL_EXIT_OK && ((fail_on == FAIL_BUILD && build_count(d) > 0) ||
	                             (fail_on == FAIL_ANY && d->n_entries > 0)))
		status = DL_EXIT_FAIL;
done:
	dl_lockdiff_free(d);
	free(data[0]);
	free(data[1]);
	return status;
}
