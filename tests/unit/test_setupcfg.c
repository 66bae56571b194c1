/*
 * test_setupcfg.c - setup.cfg read with configparser's rules as setuptools
 * configures them, setuptools' key mapping and list splitting, and the
 * extraction of the dependency fields (with file: and attr:).
 */
#include <stdio.h>
#include <string.h>

#include "dltest.h"
#include "deeplock/sdist.h"

static dl_setupcfg *parse_ok(const char *text)
{
	dl_setupcfg *cfg = NULL;
	int rc = dl_setupcfg_parse(&cfg, text, strlen(text), NULL);
	if (rc != 0)
		fail_msg("parse failed: %d %s", rc, dl_error_last()->message);
	return cfg;
}

static void parse_fails(const char *text, size_t len, const char *want)
{
	dl_setupcfg *cfg = NULL;
	int rc = dl_setupcfg_parse(&cfg, text, len, "x/setup.cfg");
	if (rc != DL_EPARSE)
		fail_msg("expected DL_EPARSE for %s, got %d", text, rc);
	assert_null(cfg);
	assert_string_equal(dl_error_last()->message, want);
}

static const char *val(const dl_setupcfg *cfg, const char *section, const char *key)
{
	const dl_setupcfg_option *o = dl_setupcfg_get(cfg, section, key);
	if (o == NULL)
		fail_msg("no option %s.%s", section, key);
	return o->value;
}

static void test_configparser_rules(void **state)
{
	(void)state;
	dl_setupcfg *cfg = parse_ok("# leading comment\n"
	                            "; another\n"
	                            "[metadata]\n"
	                            "Name = Demo-Pkg\n"
	                            "version: 1.0  \n"
	                            "description = a # not a comment ; neither\n"
	                            "key with spaces   =   spaced value\n"
	                            "colon:in = first delimiter wins\n"
	                            "equals=in: value\n"
	                            "empty =\n"
	                            "\n"
	                            "[options]\n"
	                            "install_requires =\n"
	                            "    requests>=2\n"
	                            "    # an indented comment is dropped\n"
	                            "\n"
	                            "    idna ; python_version<'3'\n"
	                            "\t\n"
	                            "  deeper\n"
	                            "    \n"
	                            "zip_safe = false\n"
	                            "  [not a section, a continuation]\n"
	                            "[a]b]\n"
	                            "x = 1\n"
	                            "[c] trailing\n"
	                            "y = 2\n");
	assert_int_equal(dl_setupcfg_section_count(cfg), 4);
	assert_string_equal(dl_setupcfg_section_name(cfg, 0, NULL), "metadata");
	assert_string_equal(dl_setupcfg_section_name(cfg, 1, NULL), "options");
	size_t nlen = 0;
	assert_string_equal(dl_setupcfg_section_name(cfg, 2, &nlen), "a]b");
	assert_int_equal(nlen, 3);
	assert_string_equal(dl_setupcfg_section_name(cfg, 3, NULL), "c");
	assert_null(dl_setupcfg_section_name(cfg, 4, NULL));

	/* Keys keep their case (optionxform = str). */
	assert_null(dl_setupcfg_get(cfg, "metadata", "name"));
	assert_string_equal(val(cfg, "metadata", "Name"), "Demo-Pkg");
	assert_string_equal(val(cfg, "metadata", "version"), "1.0");
	/* Inline comments are not comments. */
	assert_string_equal(val(cfg, "metadata", "description"), "a # not a comment ; neither");
	assert_string_equal(val(cfg, "metadata", "key with spaces"), "spaced value");
	assert_string_equal(val(cfg, "metadata", "colon"), "in = first delimiter wins");
	assert_string_equal(val(cfg, "metadata", "equals"), "in: value");
	assert_string_equal(val(cfg, "metadata", "empty"), "");
	/* Indented comments vanish, blank lines stay, trailing ones go. */
	const dl_setupcfg_option *o = dl_setupcfg_get(cfg, "options", "install_requires");
	assert_non_null(o);
	assert_string_equal(o->value, "\nrequests>=2\n\nidna ; python_version<'3'\n\ndeeper");
	assert_string_equal(o->raw, o->value);
	assert_int_equal(o->line, 13);
	assert_false(o->inherited);
	assert_null(o->error);
	assert_string_equal(val(cfg, "options", "zip_safe"), "false\n[not a section, a continuation]");
	assert_string_equal(val(cfg, "a]b", "x"), "1");
	assert_string_equal(val(cfg, "c", "y"), "2");
	assert_int_equal(dl_setupcfg_option_count(cfg, 0), 7);
	assert_string_equal(dl_setupcfg_option_at(cfg, 0, 6)->key, "empty");
	assert_null(dl_setupcfg_option_at(cfg, 0, 7));
	assert_null(dl_setupcfg_get(cfg, "nope", "x"));
	dl_setupcfg_free(cfg);
}

static void test_line_endings(void **state)
{
	(void)state;
	const char text[] = "[s]\r\na = 1\r\n  2\rb = 3\r\r  4";
	dl_setupcfg *cfg = NULL;
	assert_int_equal(dl_setupcfg_parse(&cfg, text, sizeof(text) - 1, NULL), 0);
	assert_string_equal(val(cfg, "s", "a"), "1\n2");
	assert_string_equal(val(cfg, "s", "b"), "3\n\n4");
	assert_int_equal(dl_setupcfg_get(cfg, "s", "b")->line, 4);
	dl_setupcfg_free(cfg);

	/* Unicode whitespace is whitespace to Python: U+00A0 and U+3000. */
	cfg = parse_ok("[s]\n"
	               "k = \xc2\xa0v\xe3\x80\x80\n"
	               "\xe3\x80\x80" "cont\n");
	assert_string_equal(val(cfg, "s", "k"), "v\ncont");
	dl_setupcfg_free(cfg);
}

static void test_parse_errors(void **state)
{
	(void)state;
	parse_fails("name = x\n", 9,
	            "x/setup.cfg:1:1: expected a [section] header before anything else (configparser: "
	            "MissingSectionHeaderError)");
	/* A byte order mark is not skipped by Python's utf-8 codec. */
	parse_fails("\xef\xbb\xbf[metadata]\n", 14,
	            "x/setup.cfg:1:1: expected a [section] header before anything else (configparser: "
	            "MissingSectionHeaderError)");
	parse_fails("[m]\na = 1\njunk\n", 15,
	            "x/setup.cfg:3:1: expected 'key = value', 'key: value', a [section] header or a comment "
	            "(configparser: ParsingError)");
	parse_fails("[m]\n  junk\n", 11,
	            "x/setup.cfg:2:3: expected 'key = value', 'key: value', a [section] header or a comment "
	            "(configparser: ParsingError)");
	parse_fails("[]\n", 3,
	            "x/setup.cfg:1:1: expected a [section] header before anything else (configparser: "
	            "MissingSectionHeaderError)");
	parse_fails("[m]\n = x\n", 9,
	            "x/setup.cfg:2:2: an option needs a name before '=' or ':' (configparser: ParsingError)");
	parse_fails("[m]\na = 1\n[o]\n[m]\n", 18,
	            "x/setup.cfg:4:1: section [m] already exists (configparser is strict about duplicates, so "
	            "setuptools fails)");
	parse_fails("[m]\na = 1\nb = 2\na: 3\n", 20,
	            "x/setup.cfg:4:1: option 'a' in section [m] already exists (configparser is strict about "
	            "duplicates, so setuptools fails)");
	parse_fails("[DEFAULT]\na = 1\n[DEFAULT]\na = 2\n", 32,
	            "x/setup.cfg:4:1: option 'a' in section [DEFAULT] already exists (configparser is strict about "
	            "duplicates, so setuptools fails)");
	parse_fails("[m]\na = \xc3\xa9\xff\n", 11, "x/setup.cfg:2:6: invalid UTF-8 (setuptools reads setup.cfg as UTF-8)");
	parse_fails("[m]\na = \xed\xa0\x80\n", 11, "x/setup.cfg:2:5: invalid UTF-8 (setuptools reads setup.cfg as UTF-8)");

	/* Keys differing in case are different keys. */
	dl_setupcfg *cfg = parse_ok("[m]\nname = a\nName = b\n");
	assert_string_equal(val(cfg, "m", "name"), "a");
	assert_string_equal(val(cfg, "m", "Name"), "b");
	dl_setupcfg_free(cfg);
	/* [DEFAULT] may be reopened. */
	cfg = parse_ok("[DEFAULT]\na = 1\n[DEFAULT]\nb = 2\n[s]\n");
	assert_int_equal(dl_setupcfg_option_count(cfg, 0), 2);
	dl_setupcfg_free(cfg);
	/* An empty file has no sections. */
	cfg = parse_ok("");
	assert_int_equal(dl_setupcfg_section_count(cfg), 0);
	dl_setupcfg_free(cfg);
}

static void test_default_and_interpolation(void **state)
{
	(void)state;
	dl_setupcfg *cfg = parse_ok("[DEFAULT]\n"
	                            "base = 1.0\n"
	                            "shared = from default\n"
	                            "[metadata]\n"
	                            "version = %(base)s.post1\n"
	                            "shared = own\n"
	                            "percent = 100%%\n"
	                            "chain = %(version)s+%(percent)s\n"
	                            "bad = 50%\n"
	                            "missing = %(nope)s\n"
	                            "badref = %(unclosed\n"
	                            "loop = %(loop2)s\n"
	                            "loop2 = %(loop)s\n"
	                            "[other]\n"
	                            "base = 2.0\n"
	                            "via = %(base)s\n");
	assert_string_equal(val(cfg, "metadata", "version"), "1.0.post1");
	assert_string_equal(dl_setupcfg_get(cfg, "metadata", "version")->raw, "%(base)s.post1");
	assert_string_equal(val(cfg, "metadata", "shared"), "own");
	assert_string_equal(val(cfg, "metadata", "percent"), "100%");
	assert_string_equal(val(cfg, "metadata", "chain"), "1.0.post1+100%");
	const dl_setupcfg_option *o = dl_setupcfg_get(cfg, "metadata", "bad");
	assert_null(o->value);
	assert_string_equal(o->error, "line 9: option 'bad': '%' must be followed by '%' or '(', found '%' (configparser: "
	                              "InterpolationSyntaxError)");
	o = dl_setupcfg_get(cfg, "metadata", "missing");
	assert_string_equal(o->error, "line 10: option 'missing': '%(nope)s' names no option of the section or [DEFAULT] "
	                              "(configparser: InterpolationMissingOptionError)");
	o = dl_setupcfg_get(cfg, "metadata", "badref");
	assert_string_equal(o->error, "line 11: option 'badref': bad interpolation variable reference '%(unclosed' "
	                              "(configparser: InterpolationSyntaxError)");
	o = dl_setupcfg_get(cfg, "metadata", "loop");
	assert_string_equal(o->error, "line 12: option 'loop': interpolation goes deeper than 10 levels (configparser: "
	                              "InterpolationDepthError)");
	/* [DEFAULT] options appear in every section, after its own; a
	 * section's own value shadows them, also inside interpolation. */
	assert_int_equal(dl_setupcfg_option_count(cfg, 0), 10);
	o = dl_setupcfg_option_at(cfg, 0, 9);
	assert_string_equal(o->key, "base");
	assert_true(o->inherited);
	assert_string_equal(val(cfg, "other", "via"), "2.0");
	assert_int_equal(dl_setupcfg_option_count(cfg, 1), 3);
	assert_string_equal(dl_setupcfg_option_at(cfg, 1, 2)->key, "shared");
	assert_string_equal(dl_setupcfg_option_at(cfg, 1, 2)->value, "from default");
	dl_setupcfg_free(cfg);

	/* Nested references that would explode are cut short. */
	dl_buf b = DL_BUF_INIT;
	dl_buf_puts(&b, "[s]\n");
	for (int level = 0; level < 9; level++) {
		dl_buf_printf(&b, "v%d = ", level);
		for (int k = 0; k < 20; k++)
			dl_buf_printf(&b, "%%(v%d)s", level + 1);
		dl_buf_puts(&b, "\n");
	}
	dl_buf_puts(&b, "v9 = %%\n");
	cfg = NULL;
	assert_int_equal(dl_setupcfg_parse(&cfg, b.ptr, b.len, NULL), 0);
	o = dl_setupcfg_get(cfg, "s", "v0");
	assert_string_equal(o->error, "line 2: option 'v0': interpolation follows more than 100000 references");
	dl_setupcfg_free(cfg);
	dl_buf_free(&b);
}

static void test_setuptools_names(void **state)
{
	(void)state;
	dl_setupcfg *cfg = parse_ok("[metadata]\n"
	                            "Name = first\n"
	                            "NAME = second\n"
	                            "[options]\n"
	                            "install-requires = a\n"
	                            "Setup_Requires = not lowered here\n"
	                            "[options.extras_require]\n"
	                            "with-dash = x\n");
	assert_string_equal(dl_setupcfg_setuptools_get(cfg, "metadata", "name")->value, "second");
	assert_string_equal(dl_setupcfg_setuptools_get(cfg, "options", "install_requires")->value, "a");
	assert_null(dl_setupcfg_setuptools_get(cfg, "options", "setup_requires"));
	assert_null(dl_setupcfg_setuptools_get(cfg, "options.extras_require", "with_dash"));
	assert_string_equal(dl_setupcfg_setuptools_get(cfg, "options.extras_require", "with-dash")->value, "x");
	dl_setupcfg_free(cfg);
}

static void split(const char *const *in, size_t n, const char *const *want, size_t nwant)
{
	dl_arena *arena = NULL;
	assert_int_equal(dl_arena_new(&arena), 0);
	const char **items = NULL;
	size_t count = 0, cap = 0;
	assert_int_equal(dl_setup_split_requirements(&items, &count, &cap, arena, in, n), 0);
	assert_int_equal(count, nwant);
	for (size_t i = 0; i < nwant; i++)
		assert_string_equal(items[i], want[i]);
	dl_free(items);
	dl_arena_free(arena);
}

static void test_split_requirements(void **state)
{
	(void)state;
	/* The behaviour of jaraco.text's yield_lines, drop_comment and
	 * join_continuation, as their docstrings state it. */
	const char *a[] = {"foo \\", "bar", "baz"};
	const char *wa[] = {"foobar", "baz"};
	split(a, 3, wa, 2);
	const char *b[] = {"foo \\", "bar \\", "baz"};
	const char *wb[] = {"foobarbaz"};
	split(b, 3, wb, 1);
	const char *c[] = {"goo\\", "dar", "baz"};
	const char *wc[] = {"godar", "baz"};
	split(c, 3, wc, 2);
	const char *d[] = {"foo", "bar\\"};
	const char *wd[] = {"foo"};
	split(d, 2, wd, 1);
	const char *e[] = {"\nfoo\n#bar\nbaz #comment", "http://example.com/foo#bar", "x  # two spaces"};
	const char *we[] = {"foo", "baz", "http://example.com/foo#bar", "x "};
	split(e, 3, we, 4);
	const char *f[] = {"foo\nbar", "baz", "bing\n\n\n", "  ", "a\r\nb\x0b" "c\xe2\x80\xa8" "d"};
	const char *wf[] = {"foo", "bar", "baz", "bing", "a", "b", "c", "d"};
	split(f, 5, wf, 8);
	split(NULL, 0, NULL, 0);
}

/* An in-memory file table for file: directives. */
struct files {
	const char *paths[4];
	const char *texts[4];
};

static int read_file(void *ctx, const char *path, dl_buf *out)
{
	const struct files *f = ctx;
	for (int i = 0; i < 4 && f->paths[i] != NULL; i++) {
		if (strcmp(f->paths[i], path) == 0) {
			if (f->texts[i] == NULL)
				return dl_error_set(DL_EUNSUPPORTED, "member '%s' is a symbolic link", path);
			return dl_buf_puts(out, f->texts[i]);
		}
	}
	return dl_error_set(DL_ENOTFOUND, "no member '%s'", path);
}

static void assert_list(const dl_setup_value *v, const char *const *want, size_t n)
{
	assert_int_equal(v->state, DL_SETUP_STATIC);
	assert_int_equal(v->count, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(v->list[i], want[i]);
}

static const char rich_cfg[] = "[metadata]\n"
                               "name = demo\n"
                               "version = file: VERSION\n"
                               "\n"
                               "[options]\n"
                               "python_requires = >=3.8\n"
                               "install_requires =\n"
                               "\trequests >= 2.0  # HTTP\n"
                               "\tpytest-black >= 0.3.7; \\\n"
                               "\tpython_implementation != \"PyPy\"\n"
                               "\t# a comment line\n"
                               "\n"
                               "\tidna\n"
                               "setup_requires = setuptools_scm>=6; wheel\n"
                               "\n"
                               "[options.extras_require]\n"
                               "test = file: requirements/test.txt, requirements/missing.txt, ./requirements/../extra.txt\n"
                               "docs =\n"
                               "ssl = pyopenssl; python_version < \"3.8\"\n";

static void test_extract(void **state)
{
	(void)state;
	struct files files = {{"VERSION", "requirements/test.txt", "extra.txt", NULL},
	                      {"  2.5.1\n", "pytest\r\n# comment\r\ncoverage[toml]\n", "hypothesis", NULL}};
	dl_setupcfg *cfg = parse_ok(rich_cfg);
	dl_setup_args *args = NULL;
	assert_int_equal(dl_setupcfg_extract(&args, cfg, read_file, &files), 0);
	assert_null(args->whole_reason);
	assert_int_equal(args->name.state, DL_SETUP_STATIC);
	assert_string_equal(args->name.str, "demo");
	assert_int_equal(args->name.line, 2);
	assert_string_equal(args->version.str, "2.5.1");
	assert_string_equal(args->python_requires.str, ">=3.8");
	const char *inst[] = {"requests >= 2.0 ", "pytest-black >= 0.3.7;python_implementation != \"PyPy\"", "idna"};
	assert_list(&args->install_requires, inst, 3);
	assert_int_equal(args->install_requires.line, 7);
	/* One line: split at ';' exactly as setuptools does. */
	const char *setup[] = {"setuptools_scm>=6", "wheel"};
	assert_list(&args->setup_requires, setup, 2);
	assert_int_equal(args->extras_require.state, DL_SETUP_STATIC);
	assert_int_equal(args->extras_require.extras_count, 3);
	const dl_setup_extra *x = args->extras_require.extras;
	assert_string_equal(x[0].name, "test");
	assert_int_equal(x[0].count, 3);
	assert_string_equal(x[0].reqs[0], "pytest");
	assert_string_equal(x[0].reqs[1], "coverage[toml]");
	assert_string_equal(x[0].reqs[2], "hypothesis");
	assert_string_equal(x[1].name, "docs");
	assert_int_equal(x[1].count, 0);
	assert_string_equal(x[2].name, "ssl");
	assert_int_equal(x[2].count, 2);
	assert_string_equal(x[2].reqs[0], "pyopenssl");
	assert_string_equal(x[2].reqs[1], "python_version < \"3.8\"");
	dl_setup_args_free(args);

	/* Without a way to read files, file: fields are dynamic. */
	assert_int_equal(dl_setupcfg_extract(&args, cfg, NULL, NULL), 0);
	assert_int_equal(args->version.state, DL_SETUP_DYNAMIC);
	assert_string_equal(args->version.reason,
	                    "version: it is read from 'file: VERSION', and no archive was given to read it from");
	assert_int_equal(args->extras_require.state, DL_SETUP_DYNAMIC);
	assert_string_equal(args->extras_require.reason,
	                    "extras_require[test]: it is read from 'file: requirements/test.txt, requirements/missing.txt, "
	                    "./requirements/../extra.txt', and no archive was given to read it from");
	assert_int_equal(args->install_requires.state, DL_SETUP_STATIC);
	dl_setup_args_free(args);
	dl_setupcfg_free(cfg);
}

static void test_extract_dynamic(void **state)
{
	(void)state;
	struct files files = {{"link.txt", NULL, NULL, NULL}, {NULL, NULL, NULL, NULL}};
	dl_setupcfg *cfg = parse_ok("[metadata]\n"
	                            "version = attr: demo.__version__\n"
	                            "[options]\n"
	                            "install_requires = file: ../outside.txt\n"
	                            "python_requires = >=3.%(x)s\n"
	                            "[options.extras_require]\n"
	                            "l = file: link.txt\n");
	dl_setup_args *args = NULL;
	assert_int_equal(dl_setupcfg_extract(&args, cfg, read_file, &files), 0);
	assert_int_equal(args->name.state, DL_SETUP_ABSENT);
	assert_int_equal(args->setup_requires.state, DL_SETUP_ABSENT);
	assert_int_equal(args->version.state, DL_SETUP_DYNAMIC);
	assert_string_equal(args->version.reason, "version is 'attr: demo.__version__' (setup.cfg line 2), which reads "
	                                          "an attribute of a module and may import the package");
	assert_int_equal(args->version.line, 2);
	assert_int_equal(args->install_requires.state, DL_SETUP_DYNAMIC);
	assert_string_equal(args->install_requires.reason,
	                    "install_requires: 'file: ../outside.txt' names a path outside the project, which setuptools "
	                    "refuses");
	assert_int_equal(args->python_requires.state, DL_SETUP_DYNAMIC);
	assert_string_equal(args->python_requires.reason,
	                    "python_requires: setuptools cannot read setup.cfg: line 5: option 'python_requires': "
	                    "'%(x)s' names no option of the section or [DEFAULT] (configparser: "
	                    "InterpolationMissingOptionError)");
	assert_int_equal(args->extras_require.state, DL_SETUP_DYNAMIC);
	assert_string_equal(args->extras_require.reason,
	                    "extras_require[l]: 'file: link.txt' cannot be read: member 'link.txt' is a symbolic link");
	dl_setup_args_free(args);
	dl_setupcfg_free(cfg);
}

/* Allocation failures: parse, interpolate and extract a rich file. */
static int parse_and_extract(void *ctx)
{
	(void)ctx;
	static const char text[] = "[DEFAULT]\nbase = 1\n[metadata]\nname = x\nversion = %(base)s.0\n"
	                           "bad = %(nope)s\n"
	                           "[options]\ninstall_requires =\n  a\n  b \\\n  c\n[options.extras_require]\n"
	                           "t = file: VERSION\nu = v; w\n";
	struct files files = {{"VERSION", NULL, NULL, NULL}, {"q\nr", NULL, NULL, NULL}};
	dl_setupcfg *cfg = NULL;
	int rc = dl_setupcfg_parse(&cfg, text, sizeof(text) - 1, NULL);
	if (rc < 0)
		return rc;
	dl_setup_args *args = NULL;
	rc = dl_setupcfg_extract(&args, cfg, read_file, &files);
	if (rc == 0) {
		if (args->extras_require.state != DL_SETUP_STATIC || args->install_requires.count != 2)
			rc = DL_ERROR;
		dl_setup_args_free(args);
	}
	dl_setupcfg_free(cfg);
	return rc;
}

static void test_alloc_failures(void **state)
{
	(void)state;
	dltest_each_alloc_failure(parse_and_extract, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_configparser_rules),
	    cmocka_unit_test(test_line_endings),
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_default_and_interpolation),
	    cmocka_unit_test(test_setuptools_names),
	    cmocka_unit_test(test_split_requirements),
	    cmocka_unit_test(test_extract),
	    cmocka_unit_test(test_extract_dynamic),
	    cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
