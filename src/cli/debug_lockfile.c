/*
 * debug_lockfile.c - `deeplock debug lockfile FILE [--format NAME]`: the
 * lock-file model as JSON, so the readers can be checked from outside and a
 * user can see what deeplock makes of a lock.
 *
 * Keys are written in a fixed order (the order of the model's fields), and
 * every optional field is always present (null, -1 or "unknown" when the
 * lock does not say), so the output of two locks can be diffed.  Positions
 * are "line:column" strings, "" when unknown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "deeplock/common.h"
#include "deeplock/lockfile.h"

static json_t *str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *pos_json(dl_lockfile_pos p)
{
	char text[32];
	if (p.line == 0)
		return json_string("");
	snprintf(text, sizeof text, "%lu:%lu", (unsigned long)p.line, (unsigned long)p.column);
	return json_string(text);
}

static json_t *tristate(dl_lockfile_tristate t)
{
	return t == DL_LOCKFILE_UNKNOWN ? json_string("unknown") : json_boolean(t == DL_LOCKFILE_YES);
}

static json_t *strings(const char *const *items, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(items[i]));
	return a;
}

static json_t *source_json(const dl_lockfile_source *s)
{
	json_t *o = json_object();
	json_object_set_new(o, "kind", json_string(dl_lockfile_source_kind_name(s->kind)));
	json_object_set_new(o, "url", str_or_null(s->url));
	json_object_set_new(o, "index_name", str_or_null(s->index_name));
	json_object_set_new(o, "path", str_or_null(s->path));
	json_object_set_new(o, "vcs", str_or_null(s->vcs));
	json_object_set_new(o, "requested_revision", str_or_null(s->requested_revision));
	json_object_set_new(o, "commit", str_or_null(s->commit));
	json_object_set_new(o, "subdirectory", str_or_null(s->subdirectory));
	json_object_set_new(o, "editable", json_boolean(s->editable));
	json_object_set_new(o, "at", pos_json(s->pos));
	return o;
}

static json_t *file_json(const dl_lockfile_file *f)
{
	json_t *o = json_object();
	json_object_set_new(o, "kind", json_string(dl_lockfile_file_kind_name(f->kind)));
	json_object_set_new(o, "filename", str_or_null(f->filename));
	json_object_set_new(o, "url", str_or_null(f->url));
	json_object_set_new(o, "path", str_or_null(f->path));
	json_t *hashes = json_array();
	for (size_t i = 0; i < f->n_hashes; i++) {
		json_t *h = json_object();
		json_object_set_new(h, "algorithm", json_string(f->hashes[i].algorithm));
		json_object_set_new(h, "hex", json_string(f->hashes[i].hex));
		json_object_set_new(h, "at", pos_json(f->hashes[i].pos));
		json_array_append_new(hashes, h);
	}
	json_object_set_new(o, "hashes", hashes);
	json_object_set_new(o, "size", f->size >= 0 ? json_integer(f->size) : json_null());
	json_object_set_new(o, "upload_time", str_or_null(f->upload_time));
	json_object_set_new(o, "at", pos_json(f->pos));
	return o;
}

static json_t *dep_json(const dl_lockfile_dep *d)
{
	json_t *o = json_object();
	json_object_set_new(o, "name", json_string(d->name));
	json_object_set_new(o, "normalized_name", json_string(d->normalized_name));
	json_object_set_new(o, "specifier", str_or_null(d->specifier));
	json_object_set_new(o, "version", str_or_null(d->version));
	json_object_set_new(o, "marker", str_or_null(d->marker));
	json_object_set_new(o, "extras", strings(d->extras, d->n_extras));
	json_object_set_new(o, "extra", str_or_null(d->extra));
	json_object_set_new(o, "group", str_or_null(d->group));
	json_object_set_new(o, "text", str_or_null(d->text));
	json_object_set_new(o, "at", pos_json(d->pos));
	return o;
}

static json_t *package_json(const dl_lockfile_package *p)
{
	json_t *o = json_object();
	json_object_set_new(o, "name", json_string(p->name));
	json_object_set_new(o, "normalized_name", json_string(p->normalized_name));
	json_object_set_new(o, "version", str_or_null(p->version));
	json_object_set_new(o, "version_valid", json_boolean(p->version_valid));
	json_object_set_new(o, "marker", str_or_null(p->marker));
	json_object_set_new(o, "requires_python", str_or_null(p->requires_python));
	json_object_set_new(o, "extras", strings(p->extras, p->n_extras));
	json_object_set_new(o, "source", source_json(&p->source));
	json_object_set_new(o, "has_sdist", tristate(p->has_sdist));
	json_t *files = json_array();
	for (size_t i = 0; i < p->n_files; i++)
		json_array_append_new(files, file_json(&p->files[i]));
	json_object_set_new(o, "files", files);
	json_t *deps = json_array();
	for (size_t i = 0; i < p->n_deps; i++)
		json_array_append_new(deps, dep_json(&p->deps[i]));
	json_object_set_new(o, "dependencies", deps);
	json_t *groups = json_array();
	for (size_t i = 0; i < p->n_groups; i++) {
		json_t *g = json_object();
		json_object_set_new(g, "name", json_string(p->groups[i].name));
		json_object_set_new(g, "marker", str_or_null(p->groups[i].marker));
		json_array_append_new(groups, g);
	}
	json_object_set_new(o, "groups", groups);
	json_object_set_new(o, "dev", tristate(p->dev));
	json_object_set_new(o, "optional", tristate(p->optional));
	json_object_set_new(o, "yanked", tristate(p->yanked));
	json_object_set_new(o, "root", json_boolean(p->root));
	json_object_set_new(o, "at", pos_json(p->pos));
	json_object_set_new(o, "name_at", pos_json(p->name_pos));
	json_object_set_new(o, "version_at", pos_json(p->version_pos));
	json_object_set_new(o, "marker_at", pos_json(p->marker_pos));
	return o;
}

static json_t *lock_json(const dl_lockfile *l)
{
	json_t *o = json_object();
	json_object_set_new(o, "format", json_string(dl_lockfile_format_name(l->format)));
	json_object_set_new(o, "format_version", str_or_null(l->format_version));
	json_object_set_new(o, "format_version_at", pos_json(l->format_version_pos));
	json_object_set_new(o, "source", json_string(l->source));
	json_object_set_new(o, "created_by", str_or_null(l->created_by));
	json_object_set_new(o, "content_hash", str_or_null(l->content_hash));
	json_object_set_new(o, "requires_python", str_or_null(l->requires_python));
	json_object_set_new(o, "environments", strings(l->environments, l->n_environments));
	json_t *idx = json_array();
	for (size_t i = 0; i < l->n_indexes; i++) {
		json_t *x = json_object();
		json_object_set_new(x, "name", str_or_null(l->indexes[i].name));
		json_object_set_new(x, "url", json_string(l->indexes[i].url));
		json_object_set_new(x, "at", pos_json(l->indexes[i].pos));
		json_array_append_new(idx, x);
	}
	json_object_set_new(o, "indexes", idx);
	json_object_set_new(o, "groups", strings(l->groups, l->n_groups));
	json_object_set_new(o, "default_groups", strings(l->default_groups, l->n_default_groups));
	json_object_set_new(o, "extras", strings(l->extras, l->n_extras));
	json_t *pkgs = json_array();
	for (size_t i = 0; i < l->n_packages; i++)
		json_array_append_new(pkgs, package_json(&l->packages[i]));
	json_object_set_new(o, "packages", pkgs);
	return o;
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: deeplock debug lockfile FILE [--format NAME]\n\n"
	             "Read a lock file (pylock.toml, poetry.lock, pdm.lock, Pipfile.lock, uv.lock) and print\n"
	             "the model deeplock makes of it as JSON.  FILE may be '-' for standard input (then\n"
	             "--format is needed unless the content tells).  NAME: pylock, poetry, pdm, pipfile, uv.\n");
}

int dl_cli_debug_lockfile(int argc, char **argv)
{
	const char *path = NULL, *format = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return DL_EXIT_OK;
		} else if (strcmp(argv[i], "--format") == 0) {
			if (i + 1 >= argc)
				return dl_cli_usage_error("debug lockfile", "--format needs a value");
			format = argv[++i];
		} else if (strncmp(argv[i], "--format=", 9) == 0) {
			format = argv[i] + 9;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			return dl_cli_usage_error("debug lockfile", "unknown option '%s'", argv[i]);
		} else if (path == NULL) {
			path = argv[i];
		} else {
			return dl_cli_usage_error("debug lockfile", "more than one FILE");
		}
	}
	if (path == NULL) {
		usage(stderr);
		return DL_EXIT_USAGE;
	}
	dl_lockfile_format fmt = DL_LOCKFILE_UNKNOWN_FORMAT;
	if (format != NULL && dl_lockfile_format_from_name(&fmt, format) != 0)
		return dl_cli_usage_error("debug lockfile", "%s", dl_error_last()->message);
	size_t len = 0;
	char *data = dl_cli_read_input(path, DL_LOCKFILE_MAX_INPUT, &len);
	if (data == NULL)
		return DL_EXIT_FAIL;
	const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
	if (format == NULL && dl_lockfile_detect(strcmp(path, "-") == 0 ? NULL : path, data, len, &fmt) != 0) {
		dl_cli_lib_error("detecting the lock-file format");
		free(data);
		return DL_EXIT_FAIL;
	}
	dl_lockfile *lock = NULL;
	int rc = dl_lockfile_parse(&lock, fmt, data, len, name);
	free(data);
	if (rc != 0) {
		dl_cli_lib_error("reading the lock file");
		return DL_EXIT_FAIL;
	}
	json_t *out = lock_json(lock);
	dl_lockfile_free(lock);
	int status = dl_cli_print_json(out);
	json_decref(out);
	return status;
}
