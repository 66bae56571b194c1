/*
 * test_project.c - what a project asks to lock: pyproject.toml [project],
 * [dependency-groups] and [build-system], the setuptools fallbacks
 * (setup.cfg, setup.py, [tool.setuptools.dynamic]), requirements files as
 * projects, positioned errors, and allocation failures.
 */
#include <stdio.h>
#include <string.h>

#include "dltest.h"
#include "deeplock/project.h"

struct mfile {
	const char *path;
	const char *text;
};

static const struct mfile *g_files;

static int mem_read(void *ctx, const char *path, dl_buf *out)
{
	(void)ctx;
	for (const struct mfile *f = g_files; f != NULL && f->path != NULL; f++)
		if (strcmp(f->path, path) == 0)
			return dl_buf_puts(out, f->text) < 0 ? dl_error_oom() : 0;
	return dl_error_set(DL_ENOTFOUND, "%s: no such file", path);
}

static dl_project *read_ok(const char *dir, const struct mfile *files)
{
	g_files = files;
	dl_project_options o = DL_PROJECT_OPTIONS_INIT;
	o.read = mem_read;
	dl_project *p = NULL;
	int rc = dl_project_read_dir(&p, dir, &o);
	if (rc != 0)
		fail_msg("read failed: %d %s", rc, dl_error_last()->message);
	return p;
}

/* pyproject.toml alone in directory "p". */
static void pyproject_fails(const char *toml, int code, const char *want)
{
	const struct mfile files[] = {{"p/pyproject.toml", toml}, {NULL, NULL}};
	g_files = files;
	dl_project_options o = DL_PROJECT_OPTIONS_INIT;
	o.read = mem_read;
	dl_project *p = NULL;
	int rc = dl_project_read_dir(&p, "p", &o);
	if (rc != code)
		fail_msg("expected %d, got %d (%s)", code, rc, dl_error_last()->message);
	assert_null(p);
	assert_string_equal(dl_error_last()->message, want);
}

static const char *req(const dl_project_req *r)
{
	static char buf[512];
	char *s = NULL;
	assert_int_equal(dl_requirement_to_string(&s, r->req), 0);
	snprintf(buf, sizeof(buf), "%s", s);
	dl_free(s);
	return buf;
}

static const char full_toml[] = "[build-system]\n"
                                "requires = [\"hatchling>=1.20\", \"hatch-vcs\"]\n"
                                "build-backend = \"hatchling.build\"\n"
                                "\n"
                                "[project]\n"
                                "name = \"Demo.Pkg\"\n"
                                "version = \"1.0.post1\"\n"
                                "requires-python = \">=3.9\"\n"
                                "dependencies = [\n"
                                "  \"requests[socks]>=2\",\n"
                                "  \"idna ; python_version < '3.10'\",\n"
                                "]\n"
                                "\n"
                                "[project.optional-dependencies]\n"
                                "Dev_Tools = [\"black\", \"mypy\"]\n"
                                "docs = []\n"
                                "\n"
                                "[dependency-groups]\n"
                                "Test = [\"pytest>=8\", {include-group = \"lint.all\"}, \"coverage\"]\n"
                                "lint_all = [\"ruff\", {include-group = \"typing\"}]\n"
                                "typing = [\"mypy>=1\"]\n";

static void test_pyproject(void **state)
{
	(void)state;
	const struct mfile files[] = {{"proj/pyproject.toml", full_toml}, {NULL, NULL}};
	dl_project *p = read_ok("proj", files);
	assert_string_equal(p->dir, "proj");
	assert_string_equal(p->root, "proj/pyproject.toml");
	assert_string_equal(p->name.value, "Demo.Pkg");
	assert_int_equal(p->name.source, DL_PROJECT_SRC_PYPROJECT);
	assert_string_equal(p->name.file, "proj/pyproject.toml");
	assert_int_equal(p->name.line, 6);
	assert_int_equal(p->name.column, 8);
	assert_string_equal(p->version.value, "1.0.post1");
	assert_string_equal(p->requires_python.value, ">=3.9");
	assert_int_equal(p->requires_python.line, 8);
	assert_int_equal(p->requires_python.column, 19);

	assert_int_equal(p->runtime.count, 2);
	assert_int_equal(p->runtime.source, DL_PROJECT_SRC_PYPROJECT);
	assert_null(p->runtime.dynamic);
	assert_string_equal(req(&p->runtime.items[0]), "requests[socks]>=2");
	assert_int_equal(p->runtime.items[0].line, 10);
	assert_int_equal(p->runtime.items[0].column, 3);
	assert_string_equal(p->runtime.items[1].text, "idna ; python_version < '3.10'");
	assert_int_equal(p->runtime.items[1].line, 11);

	assert_int_equal(p->n_extras, 2);
	assert_string_equal(p->extras[0].name, "dev-tools");
	assert_string_equal(p->extras[0].written, "Dev_Tools");
	assert_int_equal(p->extras[0].count, 2);
	assert_string_equal(req(&p->extras[0].items[1]), "mypy");
	assert_int_equal(p->extras[0].items[1].line, 15);
	assert_int_equal(p->extras[0].items[1].column, 23);
	assert_string_equal(p->extras[1].name, "docs");
	assert_int_equal(p->extras[1].count, 0);
	assert_null(p->extras_dynamic);

	assert_int_equal(p->n_groups, 3);
	const dl_project_list *g = &p->groups[0];
	assert_string_equal(g->name, "test");
	assert_string_equal(g->written, "Test");
	assert_int_equal(g->n_includes, 1);
	assert_string_equal(g->includes[0], "lint-all");
	assert_int_equal(g->count, 4);
	const char *want[] = {"pytest>=8", "ruff", "mypy>=1", "coverage"};
	const char *from[] = {NULL, "lint-all", "typing", NULL};
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(req(&g->items[i]), want[i]);
		if (from[i] == NULL)
			assert_null(g->items[i].from_group);
		else
			assert_string_equal(g->items[i].from_group, from[i]);
	}
	assert_int_equal(g->items[2].line, 21);
	assert_int_equal(g->items[2].column, 11);
	assert_string_equal(p->groups[1].name, "lint-all");
	assert_int_equal(p->groups[1].count, 2);

	assert_int_equal(p->build_requires.count, 2);
	assert_int_equal(p->build_requires.source, DL_PROJECT_SRC_PYPROJECT);
	assert_string_equal(req(&p->build_requires.items[0]), "hatchling>=1.20");
	assert_string_equal(p->build_backend.value, "hatchling.build");
	assert_int_equal(p->build_backend.line, 3);
	assert_false(p->setuptools_backend);
	assert_int_equal(p->setup_requires.count, 0);
	assert_int_equal(p->n_unknowable, 0);
	assert_null(p->reqfile);
	assert_string_equal(dl_project_source_name(p->build_backend.source), "pyproject.toml");
	dl_project_free(p);
}

static void test_fallback_and_setuptools(void **state)
{
	(void)state;
	/* No [build-system], no [project]: setuptools reads setup.cfg and setup.py. */
	const struct mfile files[] = {
	    {"pyproject.toml", "[tool.black]\nline-length = 100\n"},
	    {"setup.cfg", "[metadata]\nname = legacy\nversion = 2.0\n[options]\npython_requires = >=3.8\n"
	                  "install_requires =\n    six\n    attrs>=20\n[options.extras_require]\nTests = pytest\n"},
	    {"setup.py", "from setuptools import setup\nsetup(setup_requires=['cython>=3'])\n"},
	    {NULL, NULL},
	};
	dl_project *p = read_ok("", files);
	assert_string_equal(p->root, "pyproject.toml");
	assert_int_equal(p->build_requires.count, 1);
	assert_int_equal(p->build_requires.source, DL_PROJECT_SRC_FALLBACK);
	assert_string_equal(req(&p->build_requires.items[0]), "setuptools>=40.8.0");
	assert_string_equal(p->build_backend.value, "setuptools.build_meta:__legacy__");
	assert_int_equal(p->build_backend.source, DL_PROJECT_SRC_FALLBACK);
	assert_true(p->setuptools_backend);
	assert_string_equal(p->name.value, "legacy");
	assert_int_equal(p->name.source, DL_PROJECT_SRC_SETUP_CFG);
	assert_string_equal(p->name.file, "setup.cfg");
	assert_int_equal(p->name.line, 2);
	assert_string_equal(p->version.value, "2.0");
	assert_string_equal(p->requires_python.value, ">=3.8");
	assert_int_equal(p->runtime.count, 2);
	assert_int_equal(p->runtime.source, DL_PROJECT_SRC_SETUP_CFG);
	assert_string_equal(req(&p->runtime.items[1]), "attrs>=20");
	assert_int_equal(p->n_extras, 1);
	assert_string_equal(p->extras[0].name, "tests");
	assert_string_equal(req(&p->extras[0].items[0]), "pytest");
	assert_int_equal(p->setup_requires.count, 1);
	assert_int_equal(p->setup_requires.source, DL_PROJECT_SRC_SETUP_PY);
	assert_string_equal(req(&p->setup_requires.items[0]), "cython>=3");
	assert_string_equal(p->setup_requires.items[0].file, "setup.py");
	assert_int_equal(p->setup_requires.items[0].line, 2);
	assert_int_equal(p->n_unknowable, 0);
	dl_project_free(p);

	/* setup.py computing its requirements: unknowable, with the reason. */
	const struct mfile dyn[] = {
	    {"d/setup.py", "from setuptools import setup\n"
	                   "def reqs():\n    return ['a']\n"
	                   "setup(name='dyn', version='1', install_requires=reqs(),\n"
	                   "      extras_require={'x:python_version<\"3.9\"': ['b']})\n"},
	    {NULL, NULL},
	};
	p = read_ok("d/", dyn);
	assert_string_equal(p->root, "d/setup.py");
	assert_string_equal(p->name.value, "dyn");
	assert_int_equal(p->name.source, DL_PROJECT_SRC_SETUP_PY);
	assert_int_equal(p->name.line, 4);
	assert_int_equal(p->runtime.count, 0);
	assert_string_equal(p->runtime.dynamic, "install_requires is computed by a call to reqs() at line 4");
	assert_int_equal(p->n_extras, 1);
	assert_string_equal(req(&p->extras[0].items[0]), "b; python_version < \"3.9\"");
	assert_int_equal(p->n_unknowable, 1);
	assert_string_equal(p->unknowable[0], "dependencies: install_requires is computed by a call to reqs() at line 4");
	dl_project_free(p);

	/* ":marker" keys join the runtime list, and-ed with each own marker */
	const struct mfile cond[] = {
	    {"setup.py", "import setuptools\nsetuptools.setup(install_requires=['z'],\n"
	                 "  extras_require={':os_name==\"nt\"': ['c; python_version<\"3\" or python_version>\"3.5\"']})\n"},
	    {NULL, NULL},
	};
	p = read_ok(".", cond);
	assert_int_equal(p->runtime.count, 2);
	assert_string_equal(req(&p->runtime.items[1]),
	                    "c; (python_version < \"3\" or python_version > \"3.5\") and os_name == \"nt\"");
	assert_int_equal(p->n_extras, 0);
	assert_null(p->name.value);
	dl_project_free(p);
}

static void test_dynamic(void **state)
{
	(void)state;
	/* dynamic dependencies with a non-setuptools backend */
	const struct mfile hatch[] = {
	    {"pyproject.toml", "[build-system]\nrequires = ['hatchling']\nbuild-backend = 'hatchling.build'\n"
	                       "[project]\nname = 'h'\ndynamic = ['version', 'dependencies', 'optional-dependencies']\n"},
	    {NULL, NULL},
	};
	dl_project *p = read_ok("", hatch);
	assert_null(p->version.value);
	assert_string_equal(p->version.dynamic,
	                    "pyproject.toml lists 'version' in [project].dynamic, and the backend 'hatchling.build' computes it");
	assert_string_equal(p->runtime.dynamic, "pyproject.toml lists 'dependencies' in [project].dynamic, and the "
	                                        "backend 'hatchling.build' computes them");
	assert_string_equal(p->extras_dynamic, "the backend 'hatchling.build' computes the extras");
	assert_int_equal(p->n_unknowable, 3);
	assert_string_equal(p->unknowable[0], "version: pyproject.toml lists 'version' in [project].dynamic, and the "
	                                      "backend 'hatchling.build' computes it");
	dl_project_free(p);

	/* setuptools with [tool.setuptools.dynamic] files, backend-path, and
	 * an unknown backend's warning */
	const struct mfile st[] = {
	    {"x/pyproject.toml", "[build-system]\nrequires = ['setuptools>=61']\nbuild-backend = 'setuptools.build_meta'\n"
	                         "[project]\nname = 's'\nversion = '1'\ndynamic = ['dependencies']\n"
	                         "[tool.setuptools.dynamic]\ndependencies = {file = ['req.txt', 'missing.txt']}\n"},
	    {"x/req.txt", "# comment\nalpha>=1\n\nbeta ; os_name == 'nt'  # why\n"},
	    {NULL, NULL},
	};
	p = read_ok("x", st);
	assert_true(p->setuptools_backend);
	assert_int_equal(p->runtime.count, 2);
	assert_string_equal(req(&p->runtime.items[0]), "alpha>=1");
	assert_string_equal(req(&p->runtime.items[1]), "beta; os_name == \"nt\"");
	assert_string_equal(p->runtime.items[1].file, "x/req.txt");
	assert_int_equal(p->n_unknowable, 0);
	dl_project_free(p);

	const struct mfile own[] = {
	    {"pyproject.toml", "[build-system]\nrequires = []\nbuild-backend = 'backend'\nbackend-path = ['.', 'tools/b']\n"},
	    {NULL, NULL},
	};
	p = read_ok("", own);
	assert_int_equal(p->build_requires.count, 0);
	assert_int_equal(p->n_backend_path, 2);
	assert_string_equal(p->backend_path[1], "tools/b");
	assert_false(p->setuptools_backend);
	assert_string_equal(p->runtime.dynamic, "there is no [project] table, and the backend 'backend' reads its own "
	                                        "configuration");
	assert_int_equal(p->n_unknowable, 6);
	assert_string_equal(p->unknowable[0], "build requirements: the backend 'backend' may ask for more through "
	                                      "get_requires_for_build_wheel, which only running it can tell");
	dl_project_free(p);
}

static void test_errors(void **state)
{
	(void)state;
	pyproject_fails("[project]\nname = 'a'\nversion = '1'\n\n\n\ndependencies = 5\n", DL_EPARSE,
	                "p/pyproject.toml:7:16: 'project.dependencies' must be an array of strings, found integer");
	pyproject_fails("[project]\nname = 'a'\nversion = '1'\ndependencies = ['ok', 3]\n", DL_EPARSE,
	                "p/pyproject.toml:4:23: 'project.dependencies[1]' must be a string, found integer");
	pyproject_fails("[project]\nname = 'a'\nversion = '1'\ndependencies = [\n  'ok',\n  'foo >>= 1',\n]\n", DL_EPARSE,
	                "p/pyproject.toml:6:3: invalid requirement 'foo >>= 1': expected ',' (between version specifiers), "
	                "';' or end of input at column 9");
	pyproject_fails("[project]\nname = 'a'\nversion = '1'\ndynamic = ['dependencies']\ndependencies = []\n", DL_EPARSE,
	                "p/pyproject.toml:5:16: 'project.dependencies' is given and also listed in 'project.dynamic'");
	pyproject_fails("[project]\nname = 'a'\nversion = '1'\ndynamic = ['version']\n", DL_EPARSE,
	                "p/pyproject.toml:3:11: 'project.version' is given and also listed in 'project.dynamic'");
	pyproject_fails("[project]\nname = 'a'\n", DL_EPARSE,
	                "p/pyproject.toml:1:1: 'project.version' is missing and not listed in 'project.dynamic'");
	pyproject_fails("[project]\nversion = '1'\n", DL_ENOTFOUND, "p/pyproject.toml:1:1: missing key 'name' in 'project'");
	pyproject_fails("[project]\nname = '-bad'\nversion = '1'\n", DL_EPARSE,
	                "p/pyproject.toml:2:8: invalid project name '-bad'");
	pyproject_fails("[project]\nname = 'a'\nversion = 'one'\n", DL_EPARSE, "p/pyproject.toml:3:11: invalid version 'one'");
	pyproject_fails("[project]\nname = 'a'\nversion = '1'\nrequires-python = '>=3.x'\n", DL_EPARSE,
	                "p/pyproject.toml:4:19: invalid 'project.requires-python': invalid version '3.x': unexpected "
	                "character at column 2\n  while in specifier '>=3.x'");
	pyproject_fails("[project]\nname = 'a'\nversion = '1'\n[project.optional-dependencies]\nA_b = []\na-B = []\n",
	                DL_EPARSE, "p/pyproject.toml:6:7: extra 'a-B' is the same as 'A_b' after normalisation");
	pyproject_fails("[project]\nname = 'a'\nversion = '1'\noptional-dependencies = ['x']\n", DL_EPARSE,
	                "p/pyproject.toml:4:25: 'project.optional-dependencies' must be a table, found array");
	pyproject_fails("[dependency-groups]\na = [{include-group = 'b'}]\nb = ['x', {include-group = 'C'}]\nc = "
	                "[{include-group = 'A'}]\n",
	                DL_EPARSE, "p/pyproject.toml:4:23: dependency group include cycle: a -> b -> c -> a");
	pyproject_fails("[dependency-groups]\na = [{include-group = 'nope'}]\n", DL_EPARSE,
	                "p/pyproject.toml:2:23: dependency group 'a' includes 'nope', which does not exist");
	pyproject_fails("[dependency-groups]\nFoo = []\nfoo = []\n", DL_EPARSE,
	                "p/pyproject.toml:3:7: dependency group 'foo' is the same as 'Foo' after normalisation");
	pyproject_fails("[dependency-groups]\na = [1]\n", DL_EPARSE,
	                "p/pyproject.toml:2:6: a dependency group entry must be a string or {include-group = \"...\"}, found "
	                "integer");
	pyproject_fails("[dependency-groups]\na = [{include-group = 'a', x = 1}]\n", DL_EPARSE,
	                "p/pyproject.toml:2:6: a dependency group table must have exactly one key, 'include-group'");
	pyproject_fails("[dependency-groups]\na = 'x'\n", DL_EPARSE,
	                "p/pyproject.toml:2:5: 'dependency-groups.a' must be an array, found string");
	pyproject_fails("[dependency-groups]\n'a b' = []\n", DL_EPARSE,
	                "p/pyproject.toml:2:9: invalid dependency group name 'a b'");
	pyproject_fails("[build-system]\nbuild-backend = 'x'\n", DL_EPARSE,
	                "p/pyproject.toml:1:1: missing key 'requires' in 'build-system' (pip requires it)");
	pyproject_fails("[build-system]\nrequires = []\nbackend-path = ['../out']\n", DL_EPARSE,
	                "p/pyproject.toml:3:17: backend-path entry '../out' points outside the project (PEP 517)");
	pyproject_fails("[build-system]\nrequires = 'setuptools'\n", DL_EPARSE,
	                "p/pyproject.toml:2:12: 'build-system.requires' must be an array, found string");
	pyproject_fails("[project\n", DL_EPARSE, "p/pyproject.toml:1:9: expected ']' to close the table header, found end of line");

	g_files = NULL;
	dl_project_options o = DL_PROJECT_OPTIONS_INIT;
	o.read = mem_read;
	dl_project *p = NULL;
	assert_int_equal(dl_project_read_dir(&p, "empty", &o), DL_ENOTFOUND);
	assert_string_equal(dl_error_last()->message, "empty: no pyproject.toml, setup.cfg or setup.py");
	assert_int_equal(dl_project_read_dir(&p, "", NULL), DL_EINVAL);
	assert_null(p);
}

static void test_requirements_project(void **state)
{
	(void)state;
	static const struct mfile files[] = {
	    {"reqs/requirements.txt", "flask>=2\n-c constraints.txt\n./local\n-e git+https://g/r#egg=r\n"},
	    {"reqs/constraints.txt", "werkzeug<3\n"},
	    {"reqs/pyproject.toml", "[project]\nname = 'viafile'\nversion = '1'\n"},
	    {NULL, NULL},
	};
	g_files = files;
	dl_project_options o = DL_PROJECT_OPTIONS_INIT;
	o.read = mem_read;
	dl_project *p = NULL;
	assert_int_equal(dl_project_read_file(&p, "reqs/requirements.txt", &o), 0);
	assert_non_null(p->reqfile);
	assert_string_equal(p->root, "reqs/requirements.txt");
	assert_int_equal(p->runtime.source, DL_PROJECT_SRC_REQUIREMENTS);
	assert_int_equal(p->runtime.count, 2);
	assert_string_equal(req(&p->runtime.items[0]), "flask>=2");
	assert_string_equal(req(&p->runtime.items[1]), "r");
	assert_int_equal(p->constraints.count, 1);
	assert_string_equal(p->constraints.items[0].file, "reqs/constraints.txt");
	assert_int_equal(p->n_unknowable, 1);
	assert_string_equal(p->unknowable[0], "reqs/requirements.txt:3:1: the name and dependencies of './local' are known "
	                                      "only after building it");
	assert_int_equal(p->build_requires.count, 0);
	assert_null(p->build_backend.value);
	dl_project_free(p);

	/* a pyproject.toml path means its directory */
	assert_int_equal(dl_project_read_file(&p, "reqs/pyproject.toml", &o), 0);
	assert_string_equal(p->name.value, "viafile");
	assert_string_equal(p->dir, "reqs");
	dl_project_free(p);
	p = NULL;
	assert_int_equal(dl_project_read_file(&p, "reqs/nope.txt", &o), DL_ENOTFOUND);
	assert_null(p);
	assert_string_equal(dl_project_source_name(DL_PROJECT_SRC_FALLBACK), "pep517-fallback");
	assert_string_equal(dl_project_source_name(DL_PROJECT_SRC_NONE), "none");
	dl_project_free(NULL);
}

static int alloc_case(void *ctx)
{
	const struct mfile *files = ctx;
	g_files = files;
	dl_project_options o = DL_PROJECT_OPTIONS_INIT;
	o.read = mem_read;
	dl_project *p = NULL;
	int rc = dl_project_read_dir(&p, files[0].path[0] == 'p' ? "proj" : "", &o);
	dl_project_free(p);
	return rc;
}

static int alloc_reqs_case(void *ctx)
{
	(void)ctx;
	static const struct mfile files[] = {
	    {"r.txt", "a\n-c c.txt\n./p\n"}, {"c.txt", "b<2\n"}, {NULL, NULL},
	};
	g_files = files;
	dl_project_options o = DL_PROJECT_OPTIONS_INIT;
	o.read = mem_read;
	dl_project *p = NULL;
	int rc = dl_project_read_requirements(&p, "r.txt", &o);
	dl_project_free(p);
	return rc;
}

static int alloc_error_case(void *ctx)
{
	(void)ctx;
	static const struct mfile files[] = {
	    {"pyproject.toml", "[dependency-groups]\na = ['x', {include-group = 'b'}]\nb = [{include-group = 'a'}]\n"},
	    {NULL, NULL},
	};
	g_files = files;
	dl_project_options o = DL_PROJECT_OPTIONS_INIT;
	o.read = mem_read;
	dl_project *p = NULL;
	int rc = dl_project_read_dir(&p, "", &o);
	assert_null(p);
	return rc == DL_EPARSE ? 0 : rc;
}

static void test_alloc_failures(void **state)
{
	(void)state;
	const struct mfile full[] = {{"proj/pyproject.toml", full_toml}, {NULL, NULL}};
	dltest_each_alloc_failure(alloc_case, (void *)full);
	const struct mfile legacy[] = {
	    {"setup.cfg", "[metadata]\nname = legacy\n[options]\ninstall_requires =\n    six\n"
	                  "[options.extras_require]\nt = pytest\n"},
	    {"setup.py", "from setuptools import setup\nsetup(setup_requires=['cython'], "
	                 "extras_require={':os_name==\"nt\"': ['c']})\n"},
	    {NULL, NULL},
	};
	dltest_each_alloc_failure(alloc_case, (void *)legacy);
	dltest_each_alloc_failure(alloc_reqs_case, NULL);
	dltest_each_alloc_failure(alloc_error_case, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pyproject),
	    cmocka_unit_test(test_fallback_and_setuptools),
	    cmocka_unit_test(test_dynamic),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_requirements_project),
	    cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
