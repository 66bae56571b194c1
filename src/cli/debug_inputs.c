/*
 * debug_inputs.c - `deeplock debug reqfile` and `deeplock debug project`:
 * what deeplock reads as the inputs of a lock, as JSON.
 *
 *   deeplock debug reqfile FILE
 *     {files, entries, options, warnings}; nested -r / -c files are read
 *     from disk relative to the including file, and ${VAR} comes from the
 *     real environment (the library itself does neither).
 *   deeplock debug project PATH
 *     PATH is a project directory (pyproject.toml, setup.cfg, setup.py),
 *     one of those files, or a requirements file.
 *
 * Exit status 1 when the input is invalid (the positioned error is
 * printed), 2 for usage errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "deeplock/common.h"
#include "deeplock/fs.h"
#include "deeplock/marker.h"
#include "deeplock/project.h"
#include "deeplock/reqfile.h"

/* A JSON string; bytes that are not UTF-8 become '?'. */
static json_t *jstr(const char *s)
{
	if (s == NULL)
		return json_null();
	json_t *j = json_string(s);
	if (j != NULL)
		return j;
	size_t n = strlen(s);
	char *copy = malloc(n + 1);
	if (copy == NULL)
		return json_null();
	for (size_t i = 0; i <= n; i++)
		copy[i] = (unsigned char)s[i] >= 0x80 ? '?' : s[i];
	j = json_string(copy);
	free(copy);
	return j != NULL ? j : json_null();
}

static json_t *jlist(const char *const *items, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, jstr(items[i]));
	return a;
}

/* The file reader the commands give the library: the disk. */
int dl_cli_read_disk(void *ctx, const char *path, dl_buf *out)
{
	(void)ctx;
	char *data = NULL;
	size_t len = 0;
	int rc = dl_fs_read_file(&data, &len, path, DL_REQFILE_MAX_INPUT);
	if (rc != 0)
		return rc;
	rc = dl_buf_put(out, data, len);
	dl_free(data);
	return rc;
}

const char *dl_cli_getenv(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

static json_t *requirement_json(const dl_requirement *r)
{
	if (r == NULL)
		return json_null();
	char *s = NULL;
	if (dl_requirement_to_string(&s, r) != 0)
		return json_null();
	json_t *j = jstr(s);
	dl_free(s);
	return j;
}

static json_t *marker_json(const dl_marker *m)
{
	if (m == NULL)
		return json_null();
	char *s = NULL;
	if (dl_marker_to_string(&s, m) != 0)
		return json_null();
	json_t *j = jstr(s);
	dl_free(s);
	return j;
}

static json_t *reqfile_json(const dl_reqfile *rf)
{
	json_t *o = json_object();
	json_object_set_new(o, "files", jlist(rf->files, rf->n_files));
	json_t *es = json_array();
	for (size_t i = 0; i < rf->n_entries; i++) {
		const dl_reqfile_entry *e = &rf->entries[i];
		json_t *j = json_object();
		json_object_set_new(j, "file", jstr(e->file));
		json_object_set_new(j, "line", json_integer((json_int_t)e->line));
		json_object_set_new(j, "column", json_integer((json_int_t)e->column));
		json_object_set_new(j, "kind", json_string(dl_reqfile_kind_name(e->kind)));
		json_object_set_new(j, "form", json_string(dl_reqfile_form_name(e->form)));
		json_object_set_new(j, "text", jstr(e->text));
		json_object_set_new(j, "name", jstr(e->name));
		json_object_set_new(j, "requirement", requirement_json(e->req));
		json_object_set_new(j, "location", jstr(e->location));
		json_object_set_new(j, "subdirectory", jstr(e->subdirectory));
		json_object_set_new(j, "marker", marker_json(e->marker));
		json_object_set_new(j, "extras", jlist(e->extras, e->n_extras));
		json_object_set_new(j, "hashes", jlist(e->hashes, e->n_hashes));
		json_object_set_new(j, "config_settings", jlist(e->config_settings, e->n_config_settings));
		json_object_set_new(j, "global_options", jlist(e->global_options, e->n_global_options));
		json_object_set_new(j, "via", jlist(e->via, e->n_via));
		json_array_append_new(es, j);
	}
	json_object_set_new(o, "entries", es);
	json_t *os = json_array();
	for (size_t i = 0; i < rf->n_options; i++) {
		const dl_reqfile_option *p = &rf->options[i];
		json_t *j = json_object();
		json_object_set_new(j, "option", json_string(dl_reqfile_opt_name(p->opt)));
		json_object_set_new(j, "value", jstr(p->value));
		json_object_set_new(j, "file", jstr(p->file));
		json_object_set_new(j, "line", json_integer((json_int_t)p->line));
		json_object_set_new(j, "column", json_integer((json_int_t)p->column));
		json_array_append_new(os, j);
	}
	json_object_set_new(o, "options", os);
	json_t *ws = json_array();
	for (size_t i = 0; i < rf->n_warnings; i++) {
		const dl_reqfile_warning *w = &rf->warnings[i];
		char pos[64];
		snprintf(pos, sizeof(pos), ":%lu:%lu: ", w->line, w->column);
		dl_buf b = DL_BUF_INIT;
		dl_buf_puts(&b, w->file);
		dl_buf_puts(&b, pos);
		dl_buf_puts(&b, w->message);
		json_array_append_new(ws, jstr(dl_buf_cstr(&b)));
		dl_buf_free(&b);
	}
	json_object_set_new(o, "warnings", ws);
	return o;
}

int dl_cli_debug_reqfile(int argc, char **argv)
{
	if (argc != 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		bool help = argc == 2;
		fprintf(help ? stdout : stderr,
		        "Usage: deeplock debug reqfile FILE\n\n"
		        "Read a pip requirements file (with its -r / -c includes, relative to it, and\n"
		        "${VAR} from the environment) and print the model as JSON:\n"
		        "  {files, entries: [{file, line, column, kind, form, text, name, requirement,\n"
		        "   location, subdirectory, marker, extras, hashes, config_settings,\n"
		        "   global_options, via}], options: [{option, value, file, line, column}],\n"
		        "   warnings}\n");
		return help ? DL_EXIT_OK : DL_EXIT_USAGE;
	}
	dl_reqfile_options opts = DL_REQFILE_OPTIONS_INIT;
	opts.read = dl_cli_read_disk;
	opts.env = dl_cli_getenv;
	dl_reqfile *rf = NULL;
	if (dl_reqfile_load(&rf, argv[1], &opts) != 0) {
		dl_cli_lib_error("reading requirements");
		return DL_EXIT_FAIL;
	}
	json_t *o = reqfile_json(rf);
	dl_reqfile_free(rf);
	int rc = dl_cli_print_json(o);
	json_decref(o);
	return rc;
}

static json_t *field_json(const dl_project_field *f)
{
	json_t *o = json_object();
	json_object_set_new(o, "value", jstr(f->value));
	if (f->dynamic != NULL)
		json_object_set_new(o, "dynamic", jstr(f->dynamic));
	json_object_set_new(o, "source", json_string(dl_project_source_name(f->source)));
	if (f->file != NULL) {
		json_object_set_new(o, "file", jstr(f->file));
		json_object_set_new(o, "line", json_integer((json_int_t)f->line));
		json_object_set_new(o, "column", json_integer((json_int_t)f->column));
	}
	return o;
}

static json_t *list_json(const dl_project_list *l)
{
	json_t *o = json_object();
	if (l->name != NULL) {
		json_object_set_new(o, "name", jstr(l->name));
		json_object_set_new(o, "written", jstr(l->written));
	}
	json_object_set_new(o, "source", json_string(dl_project_source_name(l->source)));
	if (l->dynamic != NULL)
		json_object_set_new(o, "dynamic", jstr(l->dynamic));
	if (l->n_includes > 0)
		json_object_set_new(o, "includes", jlist(l->includes, l->n_includes));
	json_t *items = json_array();
	for (size_t i = 0; i < l->count; i++) {
		const dl_project_req *r = &l->items[i];
		json_t *j = json_object();
		json_object_set_new(j, "requirement", requirement_json(r->req));
		json_object_set_new(j, "text", jstr(r->text));
		json_object_set_new(j, "file", jstr(r->file));
		json_object_set_new(j, "line", json_integer((json_int_t)r->line));
		json_object_set_new(j, "column", json_integer((json_int_t)r->column));
		if (r->from_group != NULL)
			json_object_set_new(j, "from_group", jstr(r->from_group));
		json_array_append_new(items, j);
	}
	json_object_set_new(o, "items", items);
	return o;
}

int dl_cli_debug_project(int argc, char **argv)
{
	if (argc != 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		bool help = argc == 2;
		fprintf(help ? stdout : stderr,
		        "Usage: deeplock debug project PATH\n\n"
		        "Read what a project asks to lock, without running its code, and print JSON:\n"
		        "  {dir, root, name, version, requires_python, runtime, extras, extras_dynamic,\n"
		        "   groups, constraints, build_requires, build_backend, backend_path,\n"
		        "   setuptools_backend, setup_requires, unknowable}\n"
		        "PATH is a project directory, its pyproject.toml / setup.cfg / setup.py, or a\n"
		        "requirements file.\n");
		return help ? DL_EXIT_OK : DL_EXIT_USAGE;
	}
	dl_project_options opts = DL_PROJECT_OPTIONS_INIT;
	opts.read = dl_cli_read_disk;
	opts.env = dl_cli_getenv;
	dl_project *p = NULL;
	struct stat st;
	int rc;
	if (stat(argv[1], &st) == 0 && S_ISDIR(st.st_mode))
		rc = dl_project_read_dir(&p, argv[1], &opts);
	else
		rc = dl_project_read_file(&p, argv[1], &opts);
	if (rc != 0) {
		dl_cli_lib_error("reading the project");
		return DL_EXIT_FAIL;
	}
	json_t *o = json_object();
	json_object_set_new(o, "dir", jstr(p->dir));
	json_object_set_new(o, "root", jstr(p->root));
	json_object_set_new(o, "name", field_json(&p->name));
	json_object_set_new(o, "version", field_json(&p->version));
	json_object_set_new(o, "requires_python", field_json(&p->requires_python));
	json_object_set_new(o, "runtime", list_json(&p->runtime));
	json_t *ex = json_array();
	for (size_t i = 0; i < p->n_extras; i++)
		json_array_append_new(ex, list_json(&p->extras[i]));
	json_object_set_new(o, "extras", ex);
	json_object_set_new(o, "extras_dynamic", jstr(p->extras_dynamic));
	json_t *gr = json_array();
	for (size_t i = 0; i < p->n_groups; i++)
		json_array_append_new(gr, list_json(&p->groups[i]));
	json_object_set_new(o, "groups", gr);
	json_object_set_new(o, "constraints", list_json(&p->constraints));
	json_object_set_new(o, "build_requires", list_json(&p->build_requires));
	json_object_set_new(o, "build_backend", field_json(&p->build_backend));
	json_object_set_new(o, "backend_path", jlist(p->backend_path, p->n_backend_path));
	json_object_set_new(o, "setuptools_backend", json_boolean(p->setuptools_backend));
	json_object_set_new(o, "setup_requires", list_json(&p->setup_requires));
	json_object_set_new(o, "unknowable", jlist(p->unknowable, p->n_unknowable));
	dl_project_free(p);
	rc = dl_cli_print_json(o);
	json_decref(o);
	return rc;
}
