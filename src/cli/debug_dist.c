/*
 * debug_dist.c - `deeplock debug wheel-name`, `sdist-name`, `metadata` and
 * `tags`: distribution file names, core metadata and wheel tags on the
 * command line, as JSON, so that tests and users can see what deeplock
 * makes of a file an index lists.
 *
 *   deeplock debug wheel-name [TARGET OPTIONS] FILE...
 *     per input {input, valid, name, normalized_name, version, version_text,
 *     build, build_number, tags: [{python, abi, platform}]} and, when a
 *     target was described, {compatible, rank}; or {input, valid: false,
 *     error}.  A path is reduced to its last component.
 *   deeplock debug sdist-name [--project NAME] FILE...
 *     per input {input, valid, name, normalized_name, version, version_text,
 *     format, extension, pep625} or {input, valid: false, error}.
 *   deeplock debug metadata [--lenient] [--wheel-file] [FILE|-]
 *     the PEP 566 JSON form (or, with --wheel-file, the WHEEL fields); an
 *     invalid document prints the library's positioned error and exits 1.
 *   deeplock debug tags [TARGET OPTIONS] [--limit N]
 *     {count, tags: ["cp311-cp311-manylinux_2_35_x86_64", ...]} in priority
 *     order, the first N when --limit is given.
 * TARGET OPTIONS: --target KEY=VALUE (any key of dl_tag_target_set),
 * --python X.Y[t], --platform TAG, --implementation NAME, --abi TAG.
 *
 * Exit status 1 when any input is invalid, 2 for usage errors.  Only the
 * library's public API is used.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "deeplock/common.h"
#include "deeplock/filename.h"
#include "deeplock/metadata.h"
#include "deeplock/tags.h"
#include "deeplock/version.h"

#define METADATA_MAX_INPUT ((size_t)64 << 20)

/* A JSON string of `s`; bytes that are not UTF-8 become '?' rather than
 * losing the whole string (error messages quote raw input). */
static json_t *jstr(const char *s)
{
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

static json_t *jversion(const dl_version *v)
{
	dl_buf b = DL_BUF_INIT;
	dl_buf_put(&b, "", 0);
	dl_version_format(v, &b);
	json_t *j = b.failed ? json_null() : jstr(dl_buf_cstr(&b));
	dl_buf_free(&b);
	return j;
}

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash != NULL ? slash + 1 : path;
}

static bool want_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
		if (strcmp(argv[i], "--") == 0)
			break;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* Target options                                                      */

struct target_opts {
	dl_tag_target target;
	bool given;
};

/* Consume a target option at argv[*i]; 1 when it was one, 0 when not,
 * DL_EXIT_USAGE (negated) on a bad value. */
static int target_option(const char *cmd, struct target_opts *t, int argc, char **argv, int *i)
{
	static const struct {
		const char *opt;
		const char *key;
	} shorthands[] = {{"--python", "python"},
	                  {"--platform", "platform"},
	                  {"--implementation", "implementation"},
	                  {"--abi", "abi"}};
	const char *arg = argv[*i];
	const char *key = NULL;
	const char *value = NULL;
	char keybuf[64];
	for (size_t k = 0; k < sizeof(shorthands) / sizeof(shorthands[0]); k++) {
		size_t n = strlen(shorthands[k].opt);
		if (strncmp(arg, shorthands[k].opt, n) == 0 && (arg[n] == '\0' || arg[n] == '=')) {
			key = shorthands[k].key;
			value = arg[n] == '=' ? arg + n + 1 : NULL;
		}
	}
	bool generic = strncmp(arg, "--target", 8) == 0 && (arg[8] == '\0' || arg[8] == '=');
	if (key == NULL && !generic)
		return 0;
	if (generic)
		value = arg[8] == '=' ? arg + 9 : NULL;
	if (value == NULL) {
		if (*i + 1 >= argc) {
			dl_cli_usage_error(cmd, "%s needs a value", arg);
			return -DL_EXIT_USAGE;
		}
		value = argv[++*i];
	}
	if (generic) {
		const char *eq = strchr(value, '=');
		if (eq == NULL || eq == value || (size_t)(eq - value) >= sizeof(keybuf)) {
			dl_cli_usage_error(cmd, "--target takes KEY=VALUE, not '%s'", value);
			return -DL_EXIT_USAGE;
		}
		memcpy(keybuf, value, (size_t)(eq - value));
		keybuf[eq - value] = '\0';
		key = keybuf;
		value = eq + 1;
	}
	if (dl_tag_target_set(&t->target, key, value, strlen(value)) < 0) {
		dl_cli_usage_error(cmd, "%s", dl_error_last()->message);
		return -DL_EXIT_USAGE;
	}
	t->given = true;
	return 1;
}

static const char TARGET_HELP[] =
	"Target options (describe the environment to check wheels against):\n"
	"  --python X.Y[t]        Python version (t: free-threaded), default 3.12\n"
	"  --platform TAG         platform tag: manylinux_2_35_x86_64, manylinux2014_aarch64,\n"
	"                         musllinux_1_2_x86_64, macosx_14_0_arm64, win_amd64, win32, any\n"
	"  --implementation NAME  cp (default), pp, or another interpreter tag prefix\n"
	"  --abi TAG              explicit ABI tag (e.g. pypy310_pp73)\n"
	"  --target KEY=VALUE     any target key: python, implementation, abi, platform, os,\n"
	"                         glibc, musl, macos, arch, free-threaded, debug\n";

/* ------------------------------------------------------------------ */
/* wheel-name                                                          */

static void wheel_help(FILE *out)
{
	fprintf(out, "Usage: deeplock debug wheel-name [TARGET OPTIONS] FILE...\n\n"
	             "Parse wheel file names and print their parts as JSON; with a target, also\n"
	             "whether each wheel is compatible and its rank (lower is better).\n\n%s",
	        TARGET_HELP);
}

static json_t *wheel_json(const char *input, const dl_tag_list *list, bool *valid)
{
	json_t *o = json_object();
	json_object_set_new(o, "input", jstr(input));
	const char *file = basename_of(input);
	dl_wheel_filename *w = NULL;
	if (dl_filename_parse_wheel(&w, file, strlen(file)) < 0) {
		*valid = false;
		json_object_set_new(o, "valid", json_false());
		json_object_set_new(o, "error", jstr(dl_error_last()->message));
		return o;
	}
	*valid = true;
	json_object_set_new(o, "valid", json_true());
	json_object_set_new(o, "name", jstr(w->name));
	json_object_set_new(o, "normalized_name", jstr(w->normalized_name));
	json_object_set_new(o, "version", jversion(&w->version));
	json_object_set_new(o, "version_text", jstr(w->version_text));
	json_object_set_new(o, "build", w->build ? jstr(w->build) : json_null());
	if (w->build != NULL && w->build_number <= (uint64_t)INT64_MAX)
		json_object_set_new(o, "build_number", json_integer((json_int_t)w->build_number));
	json_t *tags = json_array();
	for (size_t i = 0; i < dl_tagset_count(w->tags); i++) {
		dl_tag t;
		if (dl_tagset_get(w->tags, i, &t) < 0)
			break;
		json_t *tj = json_object();
		json_object_set_new(tj, "python", jstr(t.python));
		json_object_set_new(tj, "abi", jstr(t.abi));
		json_object_set_new(tj, "platform", jstr(t.platform));
		json_array_append_new(tags, tj);
	}
	json_object_set_new(o, "tags", tags);
	if (list != NULL) {
		size_t rank = 0;
		bool ok = dl_tag_list_match(list, w->tags, &rank) == 1;
		json_object_set_new(o, "compatible", json_boolean(ok));
		json_object_set_new(o, "rank", ok ? json_integer((json_int_t)rank) : json_null());
	}
	dl_wheel_filename_free(w);
	return o;
}

int dl_cli_debug_wheel_name(int argc, char **argv)
{
	static const char cmd[] = "debug wheel-name";
	if (want_help(argc, argv)) {
		wheel_help(stdout);
		return DL_EXIT_OK;
	}
	struct target_opts t = {DL_TAG_TARGET_INIT, false};
	const char **files = calloc((size_t)argc, sizeof(char *));
	if (files == NULL)
		return DL_EXIT_FAIL;
	int nfiles = 0;
	bool only_files = false;
	for (int i = 1; i < argc; i++) {
		if (!only_files && strcmp(argv[i], "--") == 0) {
			only_files = true;
			continue;
		}
		if (!only_files && argv[i][0] == '-' && argv[i][1] != '\0') {
			int rc = target_option(cmd, &t, argc, argv, &i);
			if (rc < 0) {
				free(files);
				return -rc;
			}
			if (rc == 0) {
				free(files);
				return dl_cli_usage_error(cmd, "unknown option '%s'", argv[i]);
			}
			continue;
		}
		files[nfiles++] = argv[i];
	}
	if (nfiles == 0) {
		free(files);
		wheel_help(stderr);
		return DL_EXIT_USAGE;
	}
	dl_tag_list *list = NULL;
	if (t.given && dl_tag_list_new(&list, &t.target) < 0) {
		free(files);
		return dl_cli_usage_error(cmd, "%s", dl_error_last()->message);
	}
	json_t *arr = json_array();
	int status = DL_EXIT_OK;
	for (int i = 0; i < nfiles; i++) {
		bool valid = false;
		json_array_append_new(arr, wheel_json(files[i], list, &valid));
		if (!valid)
			status = DL_EXIT_FAIL;
	}
	int rc = dl_cli_print_json(arr);
	json_decref(arr);
	dl_tag_list_free(list);
	free(files);
	return rc != 0 ? rc : status;
}

/* ------------------------------------------------------------------ */
/* sdist-name                                                          */

static void sdist_help(FILE *out)
{
	fprintf(out, "Usage: deeplock debug sdist-name [--project NAME] FILE...\n\n"
	             "Parse source distribution file names and print project, version and format\n"
	             "as JSON.  Without --project a name with '-' is split at the last '-' that is\n"
	             "followed by a valid version; --project NAME splits after that project's name.\n");
}

int dl_cli_debug_sdist_name(int argc, char **argv)
{
	static const char cmd[] = "debug sdist-name";
	if (want_help(argc, argv)) {
		sdist_help(stdout);
		return DL_EXIT_OK;
	}
	const char *project = NULL;
	const char **files = calloc((size_t)argc, sizeof(char *));
	if (files == NULL)
		return DL_EXIT_FAIL;
	int nfiles = 0;
	bool only_files = false;
	for (int i = 1; i < argc; i++) {
		if (!only_files && strcmp(argv[i], "--") == 0) {
			only_files = true;
		} else if (!only_files && strncmp(argv[i], "--project", 9) == 0 &&
		           (argv[i][9] == '\0' || argv[i][9] == '=')) {
			if (argv[i][9] == '=') {
				project = argv[i] + 10;
			} else if (i + 1 < argc) {
				project = argv[++i];
			} else {
				free(files);
				return dl_cli_usage_error(cmd, "--project needs a value");
			}
		} else if (!only_files && argv[i][0] == '-' && argv[i][1] != '\0') {
			free(files);
			return dl_cli_usage_error(cmd, "unknown option '%s'", argv[i]);
		} else {
			files[nfiles++] = argv[i];
		}
	}
	if (nfiles == 0) {
		free(files);
		sdist_help(stderr);
		return DL_EXIT_USAGE;
	}
	json_t *arr = json_array();
	int status = DL_EXIT_OK;
	for (int i = 0; i < nfiles; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "input", jstr(files[i]));
		const char *file = basename_of(files[i]);
		dl_sdist_filename *sd = NULL;
		if (dl_filename_parse_sdist(&sd, file, strlen(file), project, project ? strlen(project) : 0) < 0) {
			if (dl_error_last()->code == DL_EINVAL) {
				json_decref(o);
				json_decref(arr);
				free(files);
				return dl_cli_usage_error(cmd, "%s", dl_error_last()->message);
			}
			json_object_set_new(o, "valid", json_false());
			json_object_set_new(o, "error", jstr(dl_error_last()->message));
			status = DL_EXIT_FAIL;
		} else {
			json_object_set_new(o, "valid", json_true());
			json_object_set_new(o, "name", jstr(sd->name));
			json_object_set_new(o, "normalized_name", jstr(sd->normalized_name));
			json_object_set_new(o, "version", jversion(&sd->version));
			json_object_set_new(o, "version_text", jstr(sd->version_text));
			json_object_set_new(o, "format", jstr(dl_sdist_format_name(sd->format)));
			json_object_set_new(o, "extension", jstr(sd->extension));
			json_object_set_new(o, "pep625", json_boolean(sd->pep625));
			dl_sdist_filename_free(sd);
		}
		json_array_append_new(arr, o);
	}
	int rc = dl_cli_print_json(arr);
	json_decref(arr);
	free(files);
	return rc != 0 ? rc : status;
}

/* ------------------------------------------------------------------ */
/* metadata                                                            */

static void metadata_help(FILE *out)
{
	fprintf(out, "Usage: deeplock debug metadata [--lenient] [--wheel-file] [FILE|-]\n\n"
	             "Parse core metadata (METADATA, PKG-INFO) from FILE or standard input and print\n"
	             "its PEP 566 JSON form.  --lenient accepts a missing or invalid Name, Version or\n"
	             "Metadata-Version.  --wheel-file parses a WHEEL file instead.  Exits 1 with a\n"
	             "positioned error when the input is invalid.\n");
}

static int print_wheel_info(const dl_wheel_info *wi)
{
	json_t *o = json_object();
	json_object_set_new(o, "wheel_version", jstr(wi->wheel_version));
	json_object_set_new(o, "generator", wi->generator ? jstr(wi->generator) : json_null());
	json_object_set_new(o, "root_is_purelib", json_boolean(wi->root_is_purelib));
	json_t *tags = json_array();
	for (size_t i = 0; i < wi->n_tags; i++)
		json_array_append_new(tags, jstr(wi->tags[i]));
	json_object_set_new(o, "tag", tags);
	json_object_set_new(o, "build", wi->build ? jstr(wi->build) : json_null());
	int rc = dl_cli_print_json(o);
	json_decref(o);
	return rc;
}

int dl_cli_debug_metadata(int argc, char **argv)
{
	static const char cmd[] = "debug metadata";
	if (want_help(argc, argv)) {
		metadata_help(stdout);
		return DL_EXIT_OK;
	}
	const char *path = NULL;
	dl_metadata_options opts = DL_METADATA_OPTIONS_INIT;
	bool wheel_file = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--lenient") == 0) {
			opts.lenient = true;
		} else if (strcmp(argv[i], "--wheel-file") == 0) {
			wheel_file = true;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			return dl_cli_usage_error(cmd, "unknown option '%s'", argv[i]);
		} else if (path != NULL) {
			return dl_cli_usage_error(cmd, "only one FILE may be given");
		} else {
			path = argv[i];
		}
	}
	if (path == NULL)
		path = "-";
	size_t len = 0;
	char *data = dl_cli_read_input(path, METADATA_MAX_INPUT, &len);
	if (data == NULL)
		return DL_EXIT_FAIL;
	const char *what = strcmp(path, "-") == 0 ? "standard input" : path;
	int rc;
	if (wheel_file) {
		dl_wheel_info *wi = NULL;
		if (dl_metadata_parse_wheel_file(&wi, data, len, &opts) < 0) {
			dl_cli_error("%s: %s", what, dl_error_last()->message);
			free(data);
			return DL_EXIT_FAIL;
		}
		rc = print_wheel_info(wi);
		dl_wheel_info_free(wi);
	} else {
		dl_metadata *md = NULL;
		if (dl_metadata_parse(&md, data, len, &opts) < 0) {
			dl_cli_error("%s: %s", what, dl_error_last()->message);
			free(data);
			return DL_EXIT_FAIL;
		}
		json_t *j = NULL;
		if (dl_metadata_to_json(&j, md) < 0) {
			dl_cli_lib_error(what);
			dl_metadata_free(md);
			free(data);
			return DL_EXIT_FAIL;
		}
		rc = dl_cli_print_json(j);
		json_decref(j);
		dl_metadata_free(md);
	}
	free(data);
	return rc;
}

/* ------------------------------------------------------------------ */
/* tags                                                                */

static void tags_help(FILE *out)
{
	fprintf(out, "Usage: deeplock debug tags [TARGET OPTIONS] [--limit N]\n\n"
	             "Print the wheel tags a target supports, most preferred first (the order of\n"
	             "packaging.tags.sys_tags), as JSON: {count, tags}.\n\n%s",
	        TARGET_HELP);
}

int dl_cli_debug_tags(int argc, char **argv)
{
	static const char cmd[] = "debug tags";
	if (want_help(argc, argv)) {
		tags_help(stdout);
		return DL_EXIT_OK;
	}
	struct target_opts t = {DL_TAG_TARGET_INIT, false};
	size_t limit = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--limit") == 0 || strncmp(argv[i], "--limit=", 8) == 0) {
			const char *v = argv[i][7] == '=' ? argv[i] + 8 : (i + 1 < argc ? argv[++i] : NULL);
			char *end = NULL;
			unsigned long long n = v != NULL ? strtoull(v, &end, 10) : 0;
			if (v == NULL || *v == '\0' || *end != '\0' || *v == '-')
				return dl_cli_usage_error(cmd, "--limit needs a number");
			limit = (size_t)n;
			continue;
		}
		int rc = target_option(cmd, &t, argc, argv, &i);
		if (rc < 0)
			return -rc;
		if (rc == 0)
			return dl_cli_usage_error(cmd, "unknown argument '%s'", argv[i]);
	}
	dl_tag_list *list = NULL;
	if (dl_tag_list_new(&list, &t.target) < 0)
		return dl_cli_usage_error(cmd, "%s", dl_error_last()->message);
	size_t count = dl_tag_list_count(list);
	json_t *o = json_object();
	json_object_set_new(o, "count", json_integer((json_int_t)count));
	json_t *arr = json_array();
	for (size_t i = 0; i < count && (limit == 0 || i < limit); i++) {
		dl_tag tag;
		if (dl_tag_list_get(list, i, &tag) < 0)
			break;
		char line[256];
		snprintf(line, sizeof(line), "%s-%s-%s", tag.python, tag.abi, tag.platform);
		json_array_append_new(arr, jstr(line));
	}
	json_object_set_new(o, "tags", arr);
	int rc = dl_cli_print_json(o);
	json_decref(o);
	dl_tag_list_free(list);
	return rc;
}
