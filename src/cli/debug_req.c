/*
 * debug_req.c - `deeplock debug requirement` and `deeplock debug marker`:
 * the PEP 508 parsers on the command line, with JSON output.
 *
 *   deeplock debug requirement REQ...
 *     one object per input: {input, valid, name, normalized_name, extras,
 *     specifier, url, marker, normalized}, or {input, valid: false, error};
 *     exit 1 when any input is invalid.
 *
 *   deeplock debug marker MARKER [--env KEY=VALUE]... [--extra NAME]...
 *                                [--group NAME]... [--env-json FILE]
 *     {input, valid, normalized, value}.  "value" is left out when no
 *     environment is given at all; when evaluation fails (a variable the
 *     marker needs is missing, an undefined comparison) "error" replaces it
 *     and the exit status is 1.  --env-json reads an object of variable
 *     names to strings ("extras" and "dependency_groups" may be arrays);
 *     --env, --extra and --group apply after it, whatever their order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "deeplock/common.h"
#include "deeplock/marker.h"
#include "deeplock/requirement.h"

#define ENV_JSON_MAX (1024 * 1024)

/* A JSON string of `s`; input that is not UTF-8 is shown with its non-ASCII
 * bytes as '?', rather than dropped. */
static json_t *jstr(const char *s)
{
	json_t *j = json_string(s);
	if (j != NULL)
		return j;
	size_t n = strlen(s);
	char *copy = malloc(n + 1);
	if (copy == NULL)
		return NULL;
	for (size_t i = 0; i <= n; i++)
		copy[i] = (unsigned char)s[i] >= 0x80 ? '?' : s[i];
	j = json_string(copy);
	free(copy);
	return j;
}

static void requirement_help(FILE *out)
{
	fprintf(out,
	        "Usage: deeplock debug requirement REQ...\n"
	        "\n"
	        "Parse each PEP 508 requirement and print a JSON array with, per input:\n"
	        "  {input, valid, name, normalized_name, extras, specifier, url, marker, normalized}\n"
	        "or {input, valid: false, error}.  Exit status 1 when any input is invalid.\n");
}

static json_t *requirement_json(const char *input)
{
	json_t *o = json_object();
	json_object_set_new(o, "input", jstr(input));
	dl_requirement *r = NULL;
	if (dl_requirement_parse(&r, input, strlen(input)) != 0) {
		json_object_set_new(o, "valid", json_false());
		json_object_set_new(o, "error", jstr(dl_error_last()->message));
		return o;
	}
	json_object_set_new(o, "valid", json_true());
	json_object_set_new(o, "name", jstr(r->name));
	json_object_set_new(o, "normalized_name", jstr(r->normalized_name));
	json_t *ex = json_array();
	for (size_t i = 0; i < r->n_extras; i++)
		json_array_append_new(ex, jstr(r->extras[i]));
	json_object_set_new(o, "extras", ex);
	dl_buf b = DL_BUF_INIT;
	dl_buf_put(&b, "", 0);
	dl_requirement_format_specifier(r, &b);
	json_object_set_new(o, "specifier", jstr(dl_buf_cstr(&b)));
	json_object_set_new(o, "url", r->url != NULL ? jstr(r->url) : json_null());
	if (r->marker != NULL) {
		dl_buf_reset(&b);
		dl_buf_put(&b, "", 0);
		dl_marker_format(r->marker, &b);
		json_object_set_new(o, "marker", jstr(dl_buf_cstr(&b)));
	} else {
		json_object_set_new(o, "marker", json_null());
	}
	dl_buf_reset(&b);
	dl_buf_put(&b, "", 0);
	dl_requirement_format(r, &b);
	json_object_set_new(o, "normalized", jstr(dl_buf_cstr(&b)));
	dl_buf_free(&b);
	dl_requirement_free(r);
	return o;
}

int dl_cli_debug_requirement(int argc, char **argv)
{
	if (argc < 2) {
		requirement_help(stderr);
		return DL_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		requirement_help(stdout);
		return DL_EXIT_OK;
	}
	json_t *arr = json_array();
	int status = DL_EXIT_OK;
	for (int i = 1; i < argc; i++) {
		json_t *o = requirement_json(argv[i]);
		if (!json_is_true(json_object_get(o, "valid")))
			status = DL_EXIT_FAIL;
		json_array_append_new(arr, o);
	}
	int rc = dl_cli_print_json(arr);
	json_decref(arr);
	return rc != 0 ? rc : status;
}

static void marker_help(FILE *out)
{
	fprintf(out,
	        "Usage: deeplock debug marker MARKER [--env KEY=VALUE]... [--extra NAME]...\n"
	        "                               [--group NAME]... [--env-json FILE]\n"
	        "\n"
	        "Parse a PEP 508 marker and print {input, valid, normalized, value}.\n"
	        "\n"
	        "  --env KEY=VALUE   set a marker variable (python_version, sys_platform, ...)\n"
	        "  --extra NAME      add an active extra (for `extra` and `extras`)\n"
	        "  --group NAME      add an active dependency group (for `dependency_groups`)\n"
	        "  --env-json FILE   read variables from a JSON object ('-' for stdin); \"extras\"\n"
	        "                    and \"dependency_groups\" may be arrays of names\n"
	        "\n"
	        "Without any environment option the marker is only parsed and \"value\" is left\n"
	        "out.  A variable the marker needs but the environment lacks is an error.\n"
	        "Exit status 1 when the marker is invalid or cannot be evaluated.\n");
}

/* Apply an --env-json file to env.  Prints and returns DL_EXIT_FAIL on a
 * bad file. */
static int load_env_json(dl_marker_env *env, const char *path)
{
	size_t len = 0;
	char *text = dl_cli_read_input(path, ENV_JSON_MAX, &len);
	if (text == NULL)
		return DL_EXIT_FAIL;
	json_error_t jerr;
	json_t *root = json_loadb(text, len, 0, &jerr);
	free(text);
	if (root == NULL || !json_is_object(root)) {
		if (root == NULL)
			dl_cli_error("%s: invalid JSON at line %d, column %d: %s", path, jerr.line, jerr.column, jerr.text);
		else
			dl_cli_error("%s: expected a JSON object of marker variables", path);
		json_decref(root);
		return DL_EXIT_FAIL;
	}
	int status = DL_EXIT_OK;
	const char *key;
	json_t *val;
	json_object_foreach(root, key, val) {
		int var = dl_marker_var_lookup(key, strlen(key));
		int rc = 0;
		if (var < 0) {
			dl_cli_error("%s: unknown marker variable '%s'", path, key);
			status = DL_EXIT_FAIL;
			break;
		}
		if (json_is_array(val) &&
		    (var == DL_MARKER_EXTRA || var == DL_MARKER_EXTRAS || var == DL_MARKER_DEPENDENCY_GROUPS)) {
			size_t i;
			json_t *item;
			json_array_foreach(val, i, item) {
				if (!json_is_string(item)) {
					dl_cli_error("%s: '%s' must hold strings", path, key);
					status = DL_EXIT_FAIL;
					break;
				}
				const char *s = json_string_value(item);
				size_t n = json_string_length(item);
				rc = var == DL_MARKER_DEPENDENCY_GROUPS ? dl_marker_env_add_group(env, s, n)
				                                        : dl_marker_env_add_extra(env, s, n);
				if (rc < 0)
					break;
			}
		} else if (json_is_string(val) && var != DL_MARKER_EXTRAS && var != DL_MARKER_DEPENDENCY_GROUPS) {
			rc = dl_marker_env_set(env, (dl_marker_var)var, json_string_value(val), json_string_length(val));
		} else {
			dl_cli_error("%s: '%s' must be a %s", path, key,
			             var == DL_MARKER_EXTRAS || var == DL_MARKER_DEPENDENCY_GROUPS ? "list of strings"
			                                                                           : "string");
			status = DL_EXIT_FAIL;
		}
		if (rc < 0) {
			dl_cli_lib_error(path);
			status = DL_EXIT_FAIL;
		}
		if (status != DL_EXIT_OK)
			break;
	}
	json_decref(root);
	return status;
}

int dl_cli_debug_marker(int argc, char **argv)
{
	const char *input = NULL, *env_json = NULL;
	int status = DL_EXIT_OK;
	bool have_env = false;
	if (argc < 2) {
		marker_help(stderr);
		return DL_EXIT_USAGE;
	}
	/* First pass: options and their syntax; the environment is built after,
	 * so that --env-json applies first whatever the order. */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			marker_help(stdout);
			return DL_EXIT_OK;
		}
		if (strcmp(a, "--env") == 0 || strcmp(a, "--extra") == 0 || strcmp(a, "--group") == 0 ||
		    strcmp(a, "--env-json") == 0) {
			if (i + 1 >= argc)
				return dl_cli_usage_error("debug marker", "%s needs a value", a);
			if (strcmp(a, "--env") == 0 && strchr(argv[i + 1], '=') == NULL)
				return dl_cli_usage_error("debug marker", "--env takes KEY=VALUE, got '%s'", argv[i + 1]);
			if (strcmp(a, "--env-json") == 0) {
				if (env_json != NULL)
					return dl_cli_usage_error("debug marker", "--env-json given twice");
				env_json = argv[i + 1];
			}
			have_env = true;
			i++;
			continue;
		}
		if (a[0] == '-' && a[1] == '-')
			return dl_cli_usage_error("debug marker", "unknown option '%s'", a);
		if (input != NULL)
			return dl_cli_usage_error("debug marker", "one marker at a time (got '%s' and '%s')", input, a);
		input = a;
	}
	if (input == NULL)
		return dl_cli_usage_error("debug marker", "no marker given");

	dl_marker_env *env = NULL;
	dl_marker *m = NULL;
	json_t *o = json_object();
	if (dl_marker_env_new(&env) != 0) {
		dl_cli_lib_error("debug marker");
		json_decref(o);
		return DL_EXIT_FAIL;
	}
	if (env_json != NULL) {
		status = load_env_json(env, env_json);
		if (status != DL_EXIT_OK)
			goto done;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int rc = 0;
		if (strcmp(a, "--env") == 0) {
			const char *kv = argv[++i];
			const char *eq = strchr(kv, '=');
			rc = dl_marker_env_set_by_name(env, kv, (size_t)(eq - kv), eq + 1, strlen(eq + 1));
		} else if (strcmp(a, "--extra") == 0) {
			rc = dl_marker_env_add_extra(env, argv[i + 1], strlen(argv[i + 1]));
			i++;
		} else if (strcmp(a, "--group") == 0) {
			rc = dl_marker_env_add_group(env, argv[i + 1], strlen(argv[i + 1]));
			i++;
		} else if (strcmp(a, "--env-json") == 0) {
			i++;
		}
		if (rc < 0) {
			dl_cli_lib_error("debug marker");
			status = rc == DL_EINVAL ? DL_EXIT_USAGE : DL_EXIT_FAIL;
			goto done;
		}
	}

	json_object_set_new(o, "input", jstr(input));
	if (dl_marker_parse(&m, input, strlen(input)) != 0) {
		json_object_set_new(o, "valid", json_false());
		json_object_set_new(o, "error", jstr(dl_error_last()->message));
		status = DL_EXIT_FAIL;
	} else {
		json_object_set_new(o, "valid", json_true());
		char *norm = NULL;
		if (dl_marker_to_string(&norm, m) == 0)
			json_object_set_new(o, "normalized", jstr(norm));
		dl_free(norm);
		if (have_env) {
			bool v = false;
			if (dl_marker_evaluate(m, env, &v) == 0) {
				json_object_set_new(o, "value", json_boolean(v));
			} else {
				json_object_set_new(o, "error", jstr(dl_error_last()->message));
				status = DL_EXIT_FAIL;
			}
		}
	}
	int prc = dl_cli_print_json(o);
	if (prc != 0)
		status = prc;
done:
	json_decref(o);
	dl_marker_free(m);
	dl_marker_env_free(env);
	return status;
}
