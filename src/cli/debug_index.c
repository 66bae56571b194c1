/*
 * debug_index.c - the index client on the command line.
 *
 *   deeplock debug index-page FILE --url URL [--content-type TYPE] [--list]
 *       parse a saved page as the client would, against the URL it was
 *       served from (relative links resolve against it), and print the
 *       model as JSON;
 *   deeplock debug index NAME... [--metadata none|best|all] [--stats] [index options]
 *       ask the configured indexes for projects, optionally read the
 *       metadata of the best file of each version or of every file, and
 *       print what was learned as JSON; --stats adds the engine's and the
 *       client's counters (requests, bytes, cache hits), which is what the
 *       index benchmark reads.
 * URLs are printed redacted: these outputs end up in bug reports.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "deeplock/index.h"

#define PAGE_MAX_INPUT ((size_t)64 << 20)

static json_t *jstr_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *redacted(const char *url)
{
	char *r = NULL;
	if (dl_index_url_redact(&r, url) != 0)
		return json_null();
	json_t *j = json_string(r);
	dl_free(r);
	return j;
}

static json_t *hashes_json(const dl_index_hashes *h)
{
	json_t *o = json_object();
	for (size_t i = 0; i < h->count; i++)
		json_object_set_new(o, h->items[i].name, json_string(h->items[i].hex));
	return o;
}

static json_t *strs_json(const char *const *s, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(s[i]));
	return a;
}

static json_t *file_json(const dl_index_file *f)
{
	json_t *o = json_object();
	json_object_set_new(o, "filename", json_string(f->filename));
	json_object_set_new(o, "url", redacted(f->url));
	json_object_set_new(o, "hashes", hashes_json(&f->hashes));
	json_object_set_new(o, "requires-python", jstr_or_null(f->requires_python));
	if (f->yanked)
		json_object_set_new(o, "yanked", f->yanked_reason != NULL ? json_string(f->yanked_reason) : json_true());
	else
		json_object_set_new(o, "yanked", json_false());
	if (f->core_metadata.available)
		json_object_set_new(o, "core-metadata", hashes_json(&f->core_metadata.hashes));
	else
		json_object_set_new(o, "core-metadata", json_false());
	json_object_set_new(o, "size", f->size >= 0 ? json_integer(f->size) : json_null());
	json_object_set_new(o, "upload-time", jstr_or_null(f->upload_time));
	return o;
}

static json_t *page_json(const dl_index_page *p)
{
	json_t *o = json_object();
	json_object_set_new(o, "format", json_string(p->format == DL_INDEX_JSON ? "json" : "html"));
	json_object_set_new(o, "name", jstr_or_null(p->name));
	char api[32];
	snprintf(api, sizeof api, "%d.%d", p->api_major, p->api_minor);
	json_object_set_new(o, "api-version", json_string(api));
	if (p->has_versions)
		json_object_set_new(o, "versions", strs_json(p->versions, p->version_count));
	json_t *files = json_array();
	for (size_t i = 0; i < p->file_count; i++)
		json_array_append_new(files, file_json(&p->files[i]));
	json_object_set_new(o, "files", files);
	if (p->project_status != NULL)
		json_object_set_new(o, "project-status", json_string(p->project_status));
	json_object_set_new(o, "warnings", strs_json(p->warnings, p->warning_count));
	return o;
}

static json_t *list_json(const dl_index_list *l)
{
	json_t *o = json_object();
	json_object_set_new(o, "format", json_string(l->format == DL_INDEX_JSON ? "json" : "html"));
	json_t *a = json_array();
	for (size_t i = 0; i < l->project_count; i++) {
		json_t *p = json_object();
		json_object_set_new(p, "name", json_string(l->projects[i].name));
		json_object_set_new(p, "url", redacted(l->projects[i].url));
		json_array_append_new(a, p);
	}
	json_object_set_new(o, "projects", a);
	json_object_set_new(o, "warnings", strs_json(l->warnings, l->warning_count));
	return o;
}

int dl_cli_debug_index_page(int argc, char **argv)
{
	const char *file = NULL, *url = NULL, *type = NULL;
	bool list = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			printf("Usage: deeplock debug index-page FILE --url URL [--content-type TYPE] [--list]\n\n"
			       "Parse a saved index page as if served from URL (default type: by the file's\n"
			       "extension, .json = PEP 691 JSON, else HTML).  --list reads a root page.\n");
			return DL_EXIT_OK;
		} else if (strcmp(argv[i], "--url") == 0 && i + 1 < argc) {
			url = argv[++i];
		} else if (strcmp(argv[i], "--content-type") == 0 && i + 1 < argc) {
			type = argv[++i];
		} else if (strcmp(argv[i], "--list") == 0) {
			list = true;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			return dl_cli_usage_error("debug index-page", "unknown option or missing value '%s'", argv[i]);
		} else if (file == NULL) {
			file = argv[i];
		} else {
			return dl_cli_usage_error("debug index-page", "unexpected argument '%s'", argv[i]);
		}
	}
	if (file == NULL || url == NULL)
		return dl_cli_usage_error("debug index-page", "FILE and --url are required");
	if (type == NULL) {
		size_t n = strlen(file);
		type = n > 5 && strcmp(file + n - 5, ".json") == 0 ? "application/vnd.pypi.simple.v1+json" : "text/html";
	}
	size_t len = 0;
	char *data = dl_cli_read_input(file, PAGE_MAX_INPUT, &len);
	if (data == NULL)
		return DL_EXIT_FAIL;
	json_t *out = NULL;
	int rc;
	if (list) {
		dl_index_list *l = NULL;
		rc = dl_index_list_parse(&l, data, len, type, url, NULL);
		if (rc == 0)
			out = list_json(l);
		dl_index_list_free(l);
	} else {
		dl_index_page *p = NULL;
		rc = dl_index_page_parse(&p, data, len, type, url, NULL);
		if (rc == 0)
			out = page_json(p);
		dl_index_page_free(p);
	}
	free(data);
	if (rc != 0) {
		dl_cli_lib_error(file);
		return DL_EXIT_FAIL;
	}
	rc = dl_cli_print_json(out);
	json_decref(out);
	return rc;
}

/* ------------------------------------------------------------------ */
/* debug index                                                          */

enum { META_NONE, META_BEST, META_ALL };

typedef struct run {
	dl_cli_net *net;
	int meta;
	size_t outstanding;
	int failures;
	json_t *projects; /* name -> object */
} run;

typedef struct meta_ctx {
	run *r;
	json_t *file; /* the file's object, borrowed from the output */
} meta_ctx;

static json_t *reqs_json(const dl_sdist_reqs *r)
{
	if (r->dynamic != NULL)
		return json_pack("{s:s}", "dynamic", r->dynamic);
	json_t *a = json_array();
	for (size_t i = 0; i < r->count; i++)
		json_array_append_new(a, json_string(r->items[i].req));
	return a;
}

static void on_meta(dl_client *c, const dl_client_meta *m, int rc, void *user)
{
	(void)c;
	meta_ctx *mc = user;
	run *r = mc->r;
	r->outstanding--;
	json_t *o = json_object();
	if (rc != 0) {
		json_object_set_new(o, "error", json_string(dl_error_last()->message));
		r->failures++;
	} else {
		json_object_set_new(o, "via", json_string(dl_client_meta_via_name(m->via)));
		json_object_set_new(o, "from-cache", json_boolean(m->from_cache));
		json_object_set_new(o, "unhashed", json_boolean(m->unhashed));
		if (m->warning != NULL)
			json_object_set_new(o, "warning", json_string(m->warning));
		if (m->metadata != NULL) {
			json_object_set_new(o, "requires-python", jstr_or_null(m->metadata->requires_python));
			json_object_set_new(o, "requires-dist",
			                    strs_json(m->metadata->requires_dist, m->metadata->n_requires_dist));
			json_object_set_new(o, "provides-extra",
			                    strs_json(m->metadata->provides_extra, m->metadata->n_provides_extra));
		}
		if (m->sdist != NULL) {
			json_object_set_new(o, "build-requires", reqs_json(&m->sdist->build_requires));
			json_object_set_new(o, "build-backend", jstr_or_null(m->sdist->build_backend));
			if (m->sdist->setuptools_backend)
				json_object_set_new(o, "setup-requires", reqs_json(&m->sdist->setup_requires));
			json_object_set_new(o, "unknowable", strs_json(m->sdist->unknowable, m->sdist->unknowable_count));
		}
	}
	json_object_set_new(mc->file, "metadata", o);
	free(mc);
}

static void ask_meta(run *r, const dl_client_project *p, size_t i, json_t *file)
{
	meta_ctx *mc = malloc(sizeof *mc);
	if (mc == NULL) {
		r->failures++;
		return;
	}
	mc->r = r;
	mc->file = file;
	if (dl_client_meta_get(r->net->client, p, i, on_meta, mc) != 0) {
		json_object_set_new(file, "metadata", json_pack("{s:s}", "error", dl_error_last()->message));
		r->failures++;
		free(mc);
		return;
	}
	r->outstanding++;
}

static void on_project(dl_client *c, const dl_client_project *p, int rc, void *user)
{
	(void)c;
	run *r = user;
	r->outstanding--;
	if (rc != 0) {
		dl_cli_lib_error(NULL);
		r->failures++;
		return;
	}
	json_t *o = json_object();
	json_object_set_new(o, "found", json_boolean(p->found));
	json_object_set_new(o, "index", jstr_or_null(p->index_url));
	json_t *files = json_array();
	const char *last_version = NULL;
	for (size_t i = 0; i < p->n_files; i++) {
		const dl_client_file *f = &p->files[i];
		json_t *fo = file_json(f->file);
		json_object_set_new(fo, "version", json_string(f->version_text));
		json_object_set_new(fo, "kind", json_string(dl_dist_kind_name(f->kind)));
		json_array_append_new(files, fo);
		/* Files come best first within a version (wheels before the
		 * sdist), so "best" takes the first file of each version. */
		bool first_of_version = last_version == NULL || strcmp(last_version, f->version_text) != 0;
		last_version = f->version_text;
		if (r->meta == META_ALL || (r->meta == META_BEST && first_of_version))
			ask_meta(r, p, i, fo);
	}
	json_object_set_new(o, "files", files);
	json_object_set_new(o, "warnings", strs_json(p->warnings, p->n_warnings));
	json_object_set_new(r->projects, p->normalized, o);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void help_index(FILE *out)
{
	fprintf(out,
	        "Usage: deeplock debug index NAME... [--metadata none|best|all] [--stats] [--names-from FILE]\n"
	        "                             [index options]\n\n"
	        "Ask the indexes for projects and print their files (and metadata) as JSON.\n"
	        "  --metadata best   read the metadata of the best file of every version\n"
	        "  --metadata all    read the metadata of every file\n"
	        "  --names-from FILE read more project names, one per line\n"
	        "  --stats           add request, byte and cache counters and the wall time\n"
	        "  --quiet-files     print only the counters and errors, not the files\n\n"
	        "%s",
	        dl_cli_net_help);
}

static int read_names(const char *path, const char ***names, size_t *n, char **keep)
{
	size_t len = 0;
	char *data = dl_cli_read_input(path, (size_t)16 << 20, &len);
	if (data == NULL)
		return -1;
	*keep = data;
	for (char *s = data; *s;) {
		char *e = strchr(s, '\n');
		if (e != NULL)
			*e = '\0';
		if (*s != '\0' && *s != '#') {
			const char **a = realloc((void *)*names, (*n + 1) * sizeof(**names));
			if (a == NULL)
				return -1;
			a[(*n)++] = s;
			*names = a;
		}
		if (e == NULL)
			break;
		s = e + 1;
	}
	return 0;
}

int dl_cli_debug_index(int argc, char **argv)
{
	dl_cli_net net;
	dl_cli_net_init(&net);
	run r = {0};
	r.net = &net;
	r.meta = META_NONE;
	bool stats = false, quiet = false;
	const char **names = NULL;
	size_t n_names = 0;
	char *names_data = NULL;
	int status = DL_EXIT_USAGE;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int k = dl_cli_net_arg(&net, "debug index", argc, argv, &i);
		if (k < 0)
			goto out;
		if (k > 0)
			continue;
		if (strcmp(a, "--help") == 0) {
			help_index(stdout);
			status = DL_EXIT_OK;
			goto out;
		} else if (strcmp(a, "--metadata") == 0 && i + 1 < argc) {
			const char *v = argv[++i];
			if (strcmp(v, "none") == 0)
				r.meta = META_NONE;
			else if (strcmp(v, "best") == 0)
				r.meta = META_BEST;
			else if (strcmp(v, "all") == 0)
				r.meta = META_ALL;
			else {
				dl_cli_usage_error("debug index", "--metadata is none, best or all, not '%s'", v);
				goto out;
			}
		} else if (strcmp(a, "--names-from") == 0 && i + 1 < argc) {
			if (names_data != NULL) {
				dl_cli_usage_error("debug index", "--names-from given twice");
				goto out;
			}
			if (read_names(argv[++i], &names, &n_names, &names_data) != 0) {
				status = DL_EXIT_FAIL;
				goto out;
			}
		} else if (strcmp(a, "--stats") == 0) {
			stats = true;
		} else if (strcmp(a, "--quiet-files") == 0) {
			quiet = true;
		} else if (a[0] == '-') {
			dl_cli_usage_error("debug index", "unknown option or missing value '%s'", a);
			goto out;
		} else {
			const char **x = realloc((void *)names, (n_names + 1) * sizeof(*names));
			if (x == NULL) {
				status = DL_EXIT_FAIL;
				goto out;
			}
			names = x;
			names[n_names++] = a;
		}
	}
	if (n_names == 0) {
		dl_cli_usage_error("debug index", "name at least one project");
		goto out;
	}
	status = dl_cli_net_open(&net);
	if (status != DL_EXIT_OK)
		goto out;
	r.projects = json_object();
	double t0 = now_s();
	for (size_t i = 0; i < n_names; i++) {
		if (dl_client_project_get(net.client, names[i], on_project, &r) != 0) {
			dl_cli_lib_error(NULL);
			r.failures++;
			continue;
		}
		r.outstanding++;
	}
	if (dl_fetch_run(net.fetch) != 0) {
		dl_cli_lib_error("network engine");
		r.failures++;
	}
	double secs = now_s() - t0;
	json_t *out = json_object();
	if (!quiet)
		json_object_set_new(out, "projects", json_incref(r.projects));
	if (stats) {
		dl_fetch_counters fc;
		dl_client_stats cs;
		dl_fetch_get_counters(net.fetch, &fc);
		dl_client_get_stats(net.client, &cs);
		json_t *s = json_pack("{s:f,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "seconds", secs, "requests", (json_int_t)fc.requests,
		                      "attempts", (json_int_t)fc.attempts, "retries", (json_int_t)fc.retries, "failures",
		                      (json_int_t)fc.failures, "bytes", (json_int_t)fc.bytes, "cache-hits",
		                      (json_int_t)fc.cache_hits, "revalidations", (json_int_t)fc.cache_revalidations);
		json_object_set_new(s, "projects", json_integer((json_int_t)cs.projects));
		json_object_set_new(s, "pages", json_integer((json_int_t)cs.pages));
		json_object_set_new(s, "pages-from-cache", json_integer((json_int_t)cs.pages_from_cache));
		json_object_set_new(s, "metadata", json_integer((json_int_t)cs.metadata));
		json_object_set_new(s, "via-pep658", json_integer((json_int_t)cs.via_pep658));
		json_object_set_new(s, "via-download", json_integer((json_int_t)cs.via_download));
		json_object_set_new(s, "via-range", json_integer((json_int_t)cs.via_range));
		json_object_set_new(s, "range-requests", json_integer((json_int_t)cs.range_requests));
		json_object_set_new(s, "artifact-hits", json_integer((json_int_t)cs.artifact_hits));
		json_object_set_new(out, "stats", s);
	}
	json_object_set_new(out, "failures", json_integer(r.failures));
	status = dl_cli_print_json(out);
	json_decref(out);
	if (status == DL_EXIT_OK && r.failures > 0)
		status = DL_EXIT_FAIL;
out:
	json_decref(r.projects);
	dl_cli_net_close(&net);
	free((void *)names);
	free(names_data);
	return status;
}
