/*
 * debug_scenario.c - `deeplock debug scenario FILE.toml...`: resolve packse
 * scenario files with the solver and say, per file, whether the outcome is
 * the expected one.  The output is a JSON array with one object per file,
 * in the order given; the exit status is 1 when some scenario that was not
 * skipped failed (or could not be read), so the command works as a test
 * runner as well as a way to look at one resolution.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "deeplock/common.h"
#include "deeplock/scenario.h"

#define SCENARIO_MAX_INPUT ((size_t)16 << 20)

static json_t *pins_json(const dl_scenario_pin *pins, size_t n)
{
	json_t *o = json_object();
	for (size_t i = 0; i < n; i++)
		json_object_set_new(o, pins[i].name, json_string(pins[i].version));
	return o;
}

/* A universal resolution may lock several versions of a project, each
 * with a marker: a list of {name, version, marker} in name order. */
static json_t *upins_json(const dl_scenario_pin *pins, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "name", json_string(pins[i].name));
		json_object_set_new(o, "version", json_string(pins[i].version));
		json_object_set_new(o, "marker", pins[i].marker != NULL ? json_string(pins[i].marker) : json_null());
		json_array_append_new(a, o);
	}
	return a;
}

/* One file's object; *failed is set when it counts as a failure. */
static json_t *run_one(const char *path, bool *failed)
{
	json_t *o = json_object();
	json_object_set_new(o, "file", json_string(path));
	size_t len = 0;
	char *data = dl_cli_read_input(path, SCENARIO_MAX_INPUT, &len);
	if (data == NULL) {
		json_object_set_new(o, "pass", json_false());
		json_object_set_new(o, "reason", json_string("cannot read the file"));
		*failed = true;
		return o;
	}
	dl_scenario *sc = NULL;
	const dl_scenario_outcome *out = NULL;
	int rc = dl_scenario_load(&sc, data, len, strcmp(path, "-") == 0 ? "<stdin>" : path);
	if (rc == 0)
		rc = dl_scenario_resolve(sc, &out);
	free(data);
	if (rc < 0) {
		dl_cli_error("%s", dl_error_last()->message);
		json_object_set_new(o, "pass", json_false());
		json_object_set_new(o, "reason", json_string(dl_error_last()->message));
		dl_scenario_free(sc);
		*failed = true;
		return o;
	}
	json_object_set_new(o, "name", json_string(dl_scenario_name(sc)));
	json_object_set_new(o, "python", json_string(dl_scenario_target_python(sc)));
	if (out->status == DL_SCENARIO_SKIP) {
		json_object_set_new(o, "satisfiable", json_null());
		json_object_set_new(o, "packages", json_null());
	} else {
		json_object_set_new(o, "satisfiable", json_boolean(out->satisfiable));
		if (out->forks > 0) {
			json_object_set_new(o, "packages", upins_json(out->packages, out->n_packages));
			json_object_set_new(o, "forks", json_integer((json_int_t)out->forks));
		} else {
			json_object_set_new(o, "packages", pins_json(out->packages, out->n_packages));
		}
		if (!out->satisfiable)
			json_object_set_new(o, "explanation", json_string(out->explanation));
	}
	json_object_set_new(o, "expected_satisfiable", json_boolean(dl_scenario_expected_satisfiable(sc)));
	const dl_scenario_pin *pins = NULL;
	size_t n = 0;
	if (dl_scenario_expected_packages(sc, &pins, &n))
		json_object_set_new(o, "expected_packages", pins_json(pins, n));
	else
		json_object_set_new(o, "expected_packages", json_null());
	json_object_set_new(o, "pass", out->status == DL_SCENARIO_SKIP ? json_null()
	                                                                : json_boolean(out->status == DL_SCENARIO_PASS));
	json_object_set_new(o, "reason", json_string(out->reason));
	*failed = out->status == DL_SCENARIO_FAIL;
	dl_scenario_free(sc);
	return o;
}

int dl_cli_debug_scenario(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		fprintf(argc < 2 ? stderr : stdout,
		        "Usage: deeplock debug scenario FILE.toml...\n\n"
		        "Resolve packse scenario files and compare with their expected outcome.\n"
		        "Prints a JSON array, one object per file; exits 1 when a scenario fails.\n"
		        "Each object: file, name, python, satisfiable, packages ({name: version}; for a\n"
		        "universal scenario a list of {name, version, marker} and the number of forks),\n"
		        "explanation when unsatisfiable, expected_satisfiable, expected_packages, pass\n"
		        "and reason.\n");
		return argc < 2 ? DL_EXIT_USAGE : DL_EXIT_OK;
	}
	json_t *arr = json_array();
	bool any_failed = false;
	for (int i = 1; i < argc; i++) {
		bool failed = false;
		json_array_append_new(arr, run_one(argv[i], &failed));
		any_failed = any_failed || failed;
	}
	int rc = dl_cli_print_json(arr);
	json_decref(arr);
	return rc != 0 ? rc : any_failed ? DL_EXIT_FAIL : DL_EXIT_OK;
}
