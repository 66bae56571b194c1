/*
 * audit_cmd.c - `deeplock audit LOCKFILE...`: what other tools' lock files
 * leave open, as text (grouped by severity, coloured on a terminal unless
 * NO_COLOR is set), JSON (docs/audit-schema.json) or SARIF 2.1.0; the exit
 * status gates CI through --fail-on.  `--fix` writes a deeplock lock that
 * keeps the audited runtime pins and adds the missing build environments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "deeplock/audit.h"
#include "deeplock/fs.h"
#include "deeplock/lockfile.h"
#include "deeplock/pyindex.h"

#define AUDIT_SCHEMA_VERSION 1

static void help(FILE *out)
{
	fprintf(out,
	        "Usage: deeplock audit LOCKFILE... [options]\n\n"
	        "Show what a lock file leaves open: packages that run code at install time and\n"
	        "their unpinned build environments (resolved recursively against the index),\n"
	        "entries without hashes or versions, pinned yanked versions, names one edit away\n"
	        "from popular projects, and projects offered by more than one index.\n"
	        "Formats: pylock.toml, poetry.lock, pdm.lock, Pipfile.lock, uv.lock and\n"
	        "requirements files (pip-compile, uv pip compile, pdm export), by name and content.\n\n"
	        "Options:\n"
	        "      --lock-format F       read every LOCKFILE as F (pylock, poetry, pdm, pipfile, uv,\n"
	        "                            requirements)\n"
	        "      --format F            text (default), json or sarif\n"
	        "      --fail-on LIST        severities (error, warning, note) or rule ids that make the\n"
	        "                            exit status 1; 'none' never does (default: error)\n"
	        "      --fix                 write a deeplock lock keeping the pins and adding the build\n"
	        "                            environments (-o PATH, default pylock.toml beside the lock)\n"
	        "      --python X.Y, --python-platform TAG   the target (default 3.11, manylinux_2_36_x86_64)\n\n"
	        "%s\n"
	        "Rules: build-env-unpinned, build-dep-from-source, build-reqs-unknowable, build-cycle,\n"
	        "no-hash, unpinned, yanked-pinned, typosquat-suspect, dependency-confusion, not-installable,\n"
	        "not-on-index.\n",
	        dl_cli_net_help);
}

typedef struct one {
	const char *file;
	dl_lockfile *lock;
	dl_audit *audit;
} one;

static bool fails(const dl_audit_finding *f, const char *fail_on)
{
	if (strcmp(fail_on, "none") == 0)
		return false;
	char buf[512];
	snprintf(buf, sizeof buf, "%s", fail_on);
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
		if (strcmp(t, dl_audit_severity_name(f->severity)) == 0 || strcmp(t, f->rule) == 0)
			return true;
		/* "warning" also fails on errors, "note" on everything */
		if (strcmp(t, "warning") == 0 && f->severity == DL_AUDIT_ERROR)
			return true;
		if (strcmp(t, "note") == 0)
			return true;
	}
	return false;
}

static void print_text(const one *o, bool colour)
{
	const dl_audit_summary *s = dl_audit_get_summary(o->audit);
	size_t n = 0;
	const dl_audit_finding *f = dl_audit_findings(o->audit, &n);
	printf("%s (%s): %zu packages; %zu run code at install time; %zu build environment%s with %zu packages "
	       "the lock does not pin\n",
	       o->file, dl_lockfile_format_name(o->lock->format), s->packages, s->builders, s->build_envs,
	       s->build_envs == 1 ? "" : "s", s->build_pins);
	static const char *const col[] = {"\033[1;31m", "\033[1;33m", "\033[1;36m"};
	for (size_t i = 0; i < n; i++) {
		const char *sev = dl_audit_severity_name(f[i].severity);
		printf("%s%s[%s]%s ", colour ? col[f[i].severity] : "", sev, f[i].rule, colour ? "\033[0m" : "");
		if (f[i].pos.line > 0)
			printf("%s:%u:%u: ", o->file, f[i].pos.line, f[i].pos.column);
		printf("%s\n", f[i].message);
		if (f[i].path != NULL)
			printf("    path: %s\n", f[i].path);
		if (f[i].n_unpinned > 0) {
			printf("    unpinned build environment:");
			for (size_t k = 0; k < f[i].n_unpinned; k++)
				printf("%s %s", k == 0 ? "" : ",", f[i].unpinned[k]);
			printf("\n");
		}
	}
	printf("%zu error%s, %zu warning%s, %zu note%s\n", s->errors, s->errors == 1 ? "" : "s", s->warnings,
	       s->warnings == 1 ? "" : "s", s->notes, s->notes == 1 ? "" : "s");
}

static json_t *finding_json(const dl_audit_finding *f)
{
	json_t *o = json_object();
	json_object_set_new(o, "rule", json_string(f->rule));
	json_object_set_new(o, "severity", json_string(dl_audit_severity_name(f->severity)));
	json_object_set_new(o, "package", f->package != NULL ? json_string(f->package) : json_null());
	json_object_set_new(o, "version", f->version != NULL ? json_string(f->version) : json_null());
	json_object_set_new(o, "message", json_string(f->message));
	json_object_set_new(o, "path", f->path != NULL ? json_string(f->path) : json_null());
	json_t *u = json_array();
	for (size_t k = 0; k < f->n_unpinned; k++)
		json_array_append_new(u, json_string(f->unpinned[k]));
	json_object_set_new(o, "unpinned", u);
	if (f->pos.line > 0)
		json_object_set_new(o, "location", json_pack("{s:i,s:i}", "line", (int)f->pos.line, "column",
		                                             (int)f->pos.column));
	else
		json_object_set_new(o, "location", json_null());
	return o;
}

static json_t *json_report(const one *all, size_t n_all)
{
	json_t *locks = json_array();
	for (size_t i = 0; i < n_all; i++) {
		const dl_audit_summary *s = dl_audit_get_summary(all[i].audit);
		json_t *o = json_object();
		json_object_set_new(o, "file", json_string(all[i].file));
		json_object_set_new(o, "format", json_string(dl_lockfile_format_name(all[i].lock->format)));
		json_object_set_new(o, "summary",
		                    json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "packages", (json_int_t)s->packages, "builders",
		                              (json_int_t)s->builders, "build_envs", (json_int_t)s->build_envs,
		                              "build_pins_unpinned", (json_int_t)s->build_pins, "errors",
		                              (json_int_t)s->errors, "warnings", (json_int_t)s->warnings, "notes",
		                              (json_int_t)s->notes));
		json_t *fs = json_array();
		size_t n = 0;
		const dl_audit_finding *f = dl_audit_findings(all[i].audit, &n);
		for (size_t k = 0; k < n; k++)
			json_array_append_new(fs, finding_json(&f[k]));
		json_object_set_new(o, "findings", fs);
		json_array_append_new(locks, o);
	}
	return json_pack("{s:i,s:s,s:o}", "schema_version", AUDIT_SCHEMA_VERSION, "tool", "deeplock " DL_VERSION_STRING,
	                 "locks", locks);
}

static const struct {
	const char *id, *text;
	dl_audit_severity level;
} RULES[] = {
    {DL_AUDIT_RULE_BUILD_UNPINNED, "A package is built from source at install time with an unpinned build environment",
     DL_AUDIT_ERROR},
    {DL_AUDIT_RULE_BUILD_SDIST, "A build requirement is itself built from source", DL_AUDIT_ERROR},
    {DL_AUDIT_RULE_BUILD_UNKNOWABLE, "Build requirements that only running code reveals", DL_AUDIT_WARNING},
    {DL_AUDIT_RULE_BUILD_CYCLE, "A build cycle", DL_AUDIT_WARNING},
    {DL_AUDIT_RULE_NO_HASH, "A locked entry without any hash", DL_AUDIT_ERROR},
    {DL_AUDIT_RULE_UNPINNED, "A locked entry without a fixed version or commit", DL_AUDIT_ERROR},
    {DL_AUDIT_RULE_YANKED, "A yanked version is pinned", DL_AUDIT_ERROR},
    {DL_AUDIT_RULE_TYPOSQUAT, "A name one edit away from a very popular project", DL_AUDIT_WARNING},
    {DL_AUDIT_RULE_CONFUSION, "A project offered by more than one configured index", DL_AUDIT_ERROR},
    {DL_AUDIT_RULE_UNRESOLVABLE, "The pins cannot be installed for the target", DL_AUDIT_ERROR},
    {DL_AUDIT_RULE_MISSING, "A pinned project or version is not on the configured index", DL_AUDIT_ERROR},
};

static json_t *sarif_report(const one *all, size_t n_all)
{
	json_t *rules = json_array();
	for (size_t i = 0; i < sizeof RULES / sizeof RULES[0]; i++)
		json_array_append_new(
		    rules, json_pack("{s:s,s:{s:s},s:{s:s}}", "id", RULES[i].id, "shortDescription", "text", RULES[i].text,
		                     "defaultConfiguration", "level", dl_audit_severity_name(RULES[i].level)));
	json_t *results = json_array();
	for (size_t i = 0; i < n_all; i++) {
		size_t n = 0;
		const dl_audit_finding *f = dl_audit_findings(all[i].audit, &n);
		for (size_t k = 0; k < n; k++) {
			json_t *phys = json_pack("{s:{s:s}}", "artifactLocation", "uri", all[i].file);
			if (f[k].pos.line > 0)
				json_object_set_new(phys, "region", json_pack("{s:i,s:i}", "startLine", (int)f[k].pos.line,
				                                              "startColumn", (int)(f[k].pos.column > 0 ? f[k].pos.column : 1)));
			json_t *r = json_pack("{s:s,s:s,s:{s:s},s:[{s:o}]}", "ruleId", f[k].rule, "level",
			                      dl_audit_severity_name(f[k].severity), "message", "text", f[k].message, "locations",
			                      "physicalLocation", phys);
			json_array_append_new(results, r);
		}
	}
	json_t *run = json_pack("{s:{s:{s:s,s:s,s:s,s:o}},s:o}", "tool", "driver", "name", "deeplock", "version",
	                        DL_VERSION_STRING, "informationUri", "https://github.com/deeplock/deeplock", "rules", rules,
	                        "results", results);
	return json_pack("{s:s,s:s,s:[o]}", "$schema", "https://json.schemastore.org/sarif-2.1.0.json", "version",
	                 "2.1.0", "runs", run);
}

int dl_cli_audit(int argc, char **argv)
{
	dl_cli_net net;
	dl_cli_net_init(&net);
	const char *fmt = "text", *fail_on = "error", *lock_format = NULL, *output = NULL, *python = NULL,
	           *platform = NULL;
	bool fix = false;
	const char **files = NULL;
	size_t n_files = 0;
	int status = DL_EXIT_USAGE;
	one *all = NULL;
	size_t n_all = 0;
	dl_pyindex *pi = NULL;
	dl_client **ic = NULL;
	size_t n_ic = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int k = dl_cli_net_arg(&net, "audit", argc, argv, &i);
		if (k < 0)
			goto done;
		if (k > 0)
			continue;
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			help(stdout);
			status = DL_EXIT_OK;
			goto done;
		} else if (strcmp(a, "--fix") == 0) {
			fix = true;
		} else if (v != NULL && strcmp(a, "--format") == 0) {
			fmt = v, i++;
		} else if (v != NULL && strcmp(a, "--fail-on") == 0) {
			fail_on = v, i++;
		} else if (v != NULL && strcmp(a, "--lock-format") == 0) {
			lock_format = v, i++;
		} else if (v != NULL && (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0)) {
			output = v, i++;
		} else if (v != NULL && strcmp(a, "--python") == 0) {
			python = v, i++;
		} else if (v != NULL && strcmp(a, "--python-platform") == 0) {
			platform = v, i++;
		} else if (a[0] == '-' && a[1] != '\0') {
			dl_cli_usage_error("audit", "unknown option or missing value '%s'", a);
			goto done;
		} else {
			const char **x = realloc((void *)files, (n_files + 1) * sizeof(*files));
			if (x == NULL)
				goto done;
			files = x;
			files[n_files++] = a;
		}
	}
	if (n_files == 0) {
		dl_cli_usage_error("audit", "name at least one lock file");
		goto done;
	}
	if (strcmp(fmt, "text") != 0 && strcmp(fmt, "json") != 0 && strcmp(fmt, "sarif") != 0) {
		dl_cli_usage_error("audit", "--format is text, json or sarif, not '%s'", fmt);
		goto done;
	}
	if (fix && n_files != 1) {
		dl_cli_usage_error("audit", "--fix works on one lock file at a time");
		goto done;
	}
	dl_lockfile_format forced = DL_LOCKFILE_UNKNOWN_FORMAT;
	if (lock_format != NULL && dl_lockfile_format_from_name(&forced, lock_format) != 0) {
		dl_cli_usage_error("audit", "%s", dl_error_last()->message);
		goto done;
	}
	status = DL_EXIT_FAIL;
	all = calloc(n_files, sizeof(*all));
	if (all == NULL)
		goto done;
	for (size_t i = 0; i < n_files; i++) {
		size_t len = 0;
		char *data = dl_cli_read_input(files[i], DL_LOCKFILE_MAX_INPUT, &len);
		if (data == NULL)
			goto done;
		dl_lockfile_format f = forced;
		int rc = f != DL_LOCKFILE_UNKNOWN_FORMAT ? 0 : dl_lockfile_detect(files[i], data, len, &f);
		if (rc == 0)
			rc = dl_lockfile_parse(&all[n_all].lock, f, data, len, files[i]);
		free(data);
		if (rc != 0) {
			dl_cli_lib_error(NULL);
			goto done;
		}
		all[n_all++].file = files[i];
	}
	if (dl_cli_net_open(&net) != DL_EXIT_OK)
		goto done;
	dl_pyindex_opts po = DL_PYINDEX_OPTS_INIT;
	po.client = net.client;
	po.python = python;
	po.platform = platform;
	if (dl_pyindex_new(&pi, &po) != 0) {
		dl_cli_lib_error(NULL);
		goto done;
	}
	dl_lock_resolver rv;
	dl_pyindex_resolver(pi, &rv);
	if (net.n_indexes > 1) {
		ic = calloc(net.n_indexes, sizeof(*ic));
		if (ic == NULL)
			goto done;
		for (size_t k = 0; k < net.n_indexes; k++) {
			dl_client_opts co = DL_CLIENT_OPTS_INIT;
			co.indexes = &net.indexes[k];
			co.n_indexes = 1;
			if (dl_client_new(&ic[k], net.fetch, net.cache, &co) != 0) {
				dl_cli_lib_error(NULL);
				goto done;
			}
			n_ic++;
		}
	}
	size_t n_pop = 0;
	const char *const *pop = dl_audit_popular(&n_pop);
	bool any_fail = false;
	for (size_t i = 0; i < n_all; i++) {
		dl_audit_opts ao = {DL_AUDIT_OPTS_VERSION, all[i].lock, net.client, &rv, ic, net.indexes, n_ic, pop, n_pop};
		if (dl_audit_run(&all[i].audit, &ao) != 0) {
			dl_cli_lib_error(all[i].file);
			goto done;
		}
		size_t n = 0;
		const dl_audit_finding *f = dl_audit_findings(all[i].audit, &n);
		for (size_t k = 0; k < n; k++)
			any_fail = any_fail || fails(&f[k], fail_on);
	}
	if (strcmp(fmt, "text") == 0) {
		bool colour = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
		for (size_t i = 0; i < n_all; i++)
			print_text(&all[i], colour);
	} else {
		json_t *j = strcmp(fmt, "json") == 0 ? json_report(all, n_all) : sarif_report(all, n_all);
		int rc = dl_cli_print_json(j);
		json_decref(j);
		if (rc != DL_EXIT_OK)
			goto done;
	}
	if (fix) {
		const dl_lock_result *res = dl_audit_lock_result(all[0].audit);
		if (res == NULL) {
			dl_cli_error("--fix: the audited pins cannot be installed for the target, so there is no lock to write");
			goto done;
		}
		dl_buf out = DL_BUF_INIT;
		char target[4096];
		if (output != NULL) {
			snprintf(target, sizeof target, "%s", output);
		} else {
			const char *slash = strrchr(all[0].file, '/');
			snprintf(target, sizeof target, "%.*s%spylock.toml", slash != NULL ? (int)(slash - all[0].file) : 0,
			         all[0].file, slash != NULL ? "/" : "");
		}
		int rc = dl_lock_write_pylock(dl_lock_result_lock(res), &out);
		if (rc == 0)
			rc = dl_fs_write_atomic(target, out.ptr, out.len, 0644);
		dl_buf_free(&out);
		if (rc != 0) {
			dl_cli_lib_error("--fix");
			goto done;
		}
		fprintf(stderr, "Wrote %s: the audited pins plus %zu build environment%s\n", target,
		        dl_lock_result_lock(res)->n_envs, dl_lock_result_lock(res)->n_envs == 1 ? "" : "s");
	}
	status = any_fail ? DL_EXIT_FAIL : DL_EXIT_OK;
done:
	for (size_t i = 0; all != NULL && i < n_files; i++) {
		dl_audit_free(all[i].audit);
		dl_lockfile_free(all[i].lock);
	}
	free(all);
	dl_pyindex_free(pi);
	for (size_t k = 0; k < n_ic; k++)
		dl_client_free(ic[k]);
	free(ic);
	dl_cli_net_close(&net);
	free((void *)files);
	return status;
}
