/*
 * test_reqfile.c - pip's requirements-file format: line handling in pip's
 * order (join, comments, ${VAR}), requirement forms, options with
 * optparse's rules, includes and their cycles, pip-compile annotations,
 * positioned errors, and allocation failures.
 */
#include <stdio.h>
#include <string.h>

#include "dltest.h"
#include "deeplock/reqfile.h"

/* An in-memory file system for includes. */
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

static const char *mem_env(void *ctx, const char *name)
{
	(void)ctx;
	if (strcmp(name, "VER") == 0)
		return "2.0";
	if (strcmp(name, "HOST") == 0)
		return "example.org";
	if (strcmp(name, "EMPTY") == 0)
		return "";
	if (strcmp(name, "BAD") == 0)
		return ">>>";
	return NULL;
}

static dl_reqfile *parse_ok_files(const char *text, const struct mfile *files)
{
	g_files = files;
	dl_reqfile_options o = DL_REQFILE_OPTIONS_INIT;
	o.read = mem_read;
	o.env = mem_env;
	dl_reqfile *rf = NULL;
	int rc = dl_reqfile_parse(&rf, text, strlen(text), "requirements.txt", &o);
	if (rc != 0)
		fail_msg("parse failed: %d %s", rc, dl_error_last()->message);
	return rf;
}

static dl_reqfile *parse_ok(const char *text)
{
	return parse_ok_files(text, NULL);
}

static void parse_fails_files(const char *text, const struct mfile *files, int code, const char *want)
{
	g_files = files;
	dl_reqfile_options o = DL_REQFILE_OPTIONS_INIT;
	o.read = mem_read;
	o.env = mem_env;
	dl_reqfile *rf = NULL;
	int rc = dl_reqfile_parse(&rf, text, strlen(text), "requirements.txt", &o);
	if (rc != code)
		fail_msg("expected %d for %s, got %d (%s)", code, text, rc, dl_error_last()->message);
	assert_null(rf);
	assert_string_equal(dl_error_last()->message, want);
}

static void parse_fails(const char *text, const char *want)
{
	parse_fails_files(text, NULL, DL_EPARSE, want);
}

static char *req_str(const dl_reqfile_entry *e)
{
	static char buf[512];
	char *s = NULL;
	if (e->req == NULL) {
		snprintf(buf, sizeof(buf), "(none)");
		return buf;
	}
	assert_int_equal(dl_requirement_to_string(&s, e->req), 0);
	snprintf(buf, sizeof(buf), "%s", s);
	dl_free(s);
	return buf;
}

static void test_lines(void **state)
{
	(void)state;
	dl_reqfile *rf = parse_ok("# a comment\n"
	                          "\n"
	                          "   # indented comment\n"
	                          "foo>=1.0   # trailing comment\n"
	                          "bar \\\n"
	                          "  >=2 \\\n"
	                          "  ; python_version >= '3.8'\n"
	                          "baz\\\n"
	                          "# a comment line ends the join \\\n"
	                          "https://x.org/p.zip#egg=qux\r\n"
	                          "last \\");
	assert_int_equal(rf->n_entries, 5);
	const dl_reqfile_entry *e = &rf->entries[0];
	assert_int_equal(e->kind, DL_REQFILE_REQUIREMENT);
	assert_int_equal(e->form, DL_REQFILE_FORM_PEP508);
	assert_string_equal(e->text, "foo>=1.0");
	assert_string_equal(e->name, "foo");
	assert_string_equal(e->file, "requirements.txt");
	assert_int_equal(e->line, 4);
	assert_int_equal(e->column, 1);
	e = &rf->entries[1];
	assert_string_equal(e->text, "bar   >=2   ; python_version >= '3.8'");
	assert_string_equal(req_str(e), "bar>=2; python_version >= \"3.8\"");
	assert_int_equal(e->line, 5);
	assert_non_null(e->marker);
	/* "baz\" joined with a comment line: the comment is stripped */
	assert_string_equal(rf->entries[2].text, "baz");
	assert_int_equal(rf->entries[2].line, 8);
	/* '#' not after whitespace is not a comment */
	assert_string_equal(rf->entries[3].text, "https://x.org/p.zip#egg=qux");
	assert_string_equal(rf->entries[3].name, "qux");
	assert_int_equal(rf->entries[3].line, 10);
	/* a trailing backslash on the last line */
	assert_string_equal(rf->entries[4].text, "last");
	assert_int_equal(rf->entries[4].line, 11);
	assert_int_equal(rf->n_files, 1);
	assert_string_equal(rf->files[0], "requirements.txt");
	dl_reqfile_free(rf);
}

static void test_line_endings(void **state)
{
	(void)state;
	/* BOM, \r, \r\n, form feed, U+2028: Python's splitlines */
	dl_reqfile *rf = parse_ok("\xEF\xBB\xBF" "a\rb\r\nc\fd\xE2\x80\xA8" "e\n");
	assert_int_equal(rf->n_entries, 5);
	const char *names[] = {"a", "b", "c", "d", "e"};
	for (size_t i = 0; i < 5; i++) {
		assert_string_equal(rf->entries[i].name, names[i]);
		assert_int_equal(rf->entries[i].line, i + 1);
		assert_int_equal(rf->entries[i].column, 1);
	}
	dl_reqfile_free(rf);
	rf = parse_ok("");
	assert_int_equal(rf->n_entries, 0);
	assert_int_equal(rf->n_options, 0);
	dl_reqfile_free(rf);
}

static void test_env(void **state)
{
	(void)state;
	dl_reqfile *rf = parse_ok("pkg==${VER}\n"
	                          "other ; python_version > '${lower}'\n"
	                          "-i https://${HOST}/simple\n");
	assert_int_equal(rf->n_entries, 2);
	assert_string_equal(rf->entries[0].text, "pkg==2.0");
	assert_string_equal(req_str(&rf->entries[0]), "pkg==2.0");
	assert_string_equal(rf->entries[1].text, "other ; python_version > '${lower}'");
	assert_int_equal(rf->n_options, 1);
	assert_int_equal(rf->options[0].opt, DL_REQFILE_OPT_INDEX_URL);
	assert_string_equal(rf->options[0].value, "https://example.org/simple");
	assert_int_equal(rf->options[0].line, 3);
	assert_int_equal(rf->options[0].column, 1);
	dl_reqfile_free(rf);
	/* an unset variable stays as written, and packaging rejects it */
	parse_fails("other==${UNSET}\n", "requirements.txt:1:6: invalid requirement 'other==${UNSET}': invalid version "
	                                 "'${UNSET}': expected a release number at column 1\n"
	                                 "  while in specifier '==${UNSET}', in the version specifier");
	/* an error inside a substituted value points at its '$' */
	parse_fails("abc  ${BAD}1\n", "requirements.txt:1:6: invalid requirement 'abc  >>>1': invalid version '>>1': "
	                              "expected a release number at column 1\n"
	                              "  while in specifier '>>>1', in the version specifier");
	/* without a lookup nothing is substituted */
	dl_reqfile *r2 = NULL;
	assert_int_equal(dl_reqfile_parse(&r2, "x${EMPTY}y", 10, NULL, NULL), DL_EPARSE);
	assert_null(r2);
}

static void test_forms(void **state)
{
	(void)state;
	dl_reqfile *rf = parse_ok("requests[Socks,security] >= 2.8.1, == 2.8.* ; python_version < \"2.7\"\n"
	                          "foo @ https://x.org/foo-1.0.tar.gz;sys_platform=='linux'\n"
	                          "https://x.org/pkg-1.0-py3-none-any.whl; python_version < '3'\n"
	                          "git+https://github.com/a/b.git@v1#egg=Bee&subdirectory=src\n"
	                          "https://x.org/archive.zip\n"
	                          "./local/pkg[Ex1, ex2]\n"
	                          "../dist/thing-2.0-py3-none-any.whl\n"
	                          "pkg-1.0.tar.gz\n"
	                          "./dir ; os_name == 'nt'\n"
	                          "name@file:///tmp/x.whl\n");
	assert_int_equal(rf->n_entries, 10);
	const dl_reqfile_entry *e = rf->entries;
	assert_int_equal(e[0].form, DL_REQFILE_FORM_PEP508);
	assert_string_equal(req_str(&e[0]), "requests[security,socks]==2.8.*,>=2.8.1; python_version < \"2.7\"");
	assert_int_equal(e[0].n_extras, 2);
	assert_string_equal(e[0].extras[0], "security");
	assert_string_equal(e[0].extras[1], "socks");
	assert_null(e[0].location);

	assert_int_equal(e[1].form, DL_REQFILE_FORM_PEP508);
	assert_string_equal(req_str(&e[1]), "foo @ https://x.org/foo-1.0.tar.gz ; sys_platform == \"linux\"");
	assert_string_equal(e[1].req->url, "https://x.org/foo-1.0.tar.gz");

	assert_int_equal(e[2].form, DL_REQFILE_FORM_URL);
	assert_string_equal(e[2].location, "https://x.org/pkg-1.0-py3-none-any.whl");
	assert_string_equal(e[2].name, "pkg");
	assert_string_equal(req_str(&e[2]), "pkg==1.0; python_version < \"3\"");
	assert_non_null(e[2].marker);

	assert_int_equal(e[3].form, DL_REQFILE_FORM_URL);
	assert_string_equal(e[3].name, "Bee");
	assert_string_equal(e[3].subdirectory, "src");
	assert_string_equal(e[3].location, "git+https://github.com/a/b.git@v1#egg=Bee&subdirectory=src");

	assert_int_equal(e[4].form, DL_REQFILE_FORM_URL);
	assert_null(e[4].name);
	assert_null(e[4].req);

	assert_int_equal(e[5].form, DL_REQFILE_FORM_PATH);
	assert_string_equal(e[5].location, "./local/pkg");
	assert_null(e[5].name);
	assert_int_equal(e[5].n_extras, 2);
	assert_string_equal(e[5].extras[0], "ex1");
	assert_string_equal(e[5].extras[1], "ex2");

	assert_int_equal(e[6].form, DL_REQFILE_FORM_PATH);
	assert_string_equal(req_str(&e[6]), "thing==2.0");

	assert_int_equal(e[7].form, DL_REQFILE_FORM_PATH);
	assert_string_equal(e[7].location, "pkg-1.0.tar.gz");
	assert_null(e[7].req);

	assert_int_equal(e[8].form, DL_REQFILE_FORM_PATH);
	assert_string_equal(e[8].location, "./dir");
	assert_non_null(e[8].marker);
	assert_null(e[8].req);

	assert_int_equal(e[9].form, DL_REQFILE_FORM_PEP508);
	assert_string_equal(e[9].req->url, "file:///tmp/x.whl");
	dl_reqfile_free(rf);
}

static void test_editables(void **state)
{
	(void)state;
	dl_reqfile *rf = parse_ok("-e ./src/pkg[dev]\n"
	                          "--editable=git+https://g.org/r.git#egg=repo\n"
	                          "-e git://g.org/r.git#egg=old\n"
	                          "-efile:///tmp/p#egg=filepkg\n"
	                          "-e . -C k=v --hash=sha256:00\n");
	assert_int_equal(rf->n_entries, 5);
	const dl_reqfile_entry *e = rf->entries;
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(e[i].kind, DL_REQFILE_EDITABLE);
	assert_int_equal(e[0].form, DL_REQFILE_FORM_PATH);
	assert_string_equal(e[0].location, "./src/pkg");
	assert_string_equal(e[0].extras[0], "dev");
	assert_int_equal(e[0].column, 4);
	assert_int_equal(e[1].form, DL_REQFILE_FORM_URL);
	assert_string_equal(e[1].name, "repo");
	assert_int_equal(e[1].column, 12);
	assert_string_equal(e[2].location, "git+git://g.org/r.git#egg=old");
	assert_string_equal(e[2].name, "old");
	assert_int_equal(e[3].form, DL_REQFILE_FORM_URL);
	assert_string_equal(e[3].name, "filepkg");
	assert_int_equal(e[3].column, 3);
	assert_int_equal(e[4].n_config_settings, 1);
	assert_string_equal(e[4].config_settings[0], "k=v");
	assert_int_equal(e[4].n_hashes, 0);
	assert_int_equal(rf->n_warnings, 2);
	assert_string_equal(rf->warnings[0].message, "--hash value '00' is not 64 hex digits: no file will match it");
	assert_int_equal(rf->warnings[0].column, 20);
	assert_string_equal(rf->warnings[1].message, "--hash is ignored on a -e line");
	assert_int_equal(rf->warnings[1].line, 5);
	assert_int_equal(rf->warnings[1].column, 13);
	dl_reqfile_free(rf);

	parse_fails("-e https://x.org/p.zip\n",
	            "requirements.txt:1:4: https://x.org/p.zip is not a valid editable requirement: it should be a path to a "
	            "local project or a VCS URL (beginning with git+, hg+, svn+ or bzr+)");
	parse_fails("\n  -e   git+https://x.org/r.git\n",
	            "requirements.txt:2:8: could not detect the requirement name for 'git+https://x.org/r.git': specify one "
	            "with #egg=your_package_name");
	parse_fails("-e ''\n", "requirements.txt:1:4: empty editable requirement");
}

static void test_options(void **state)
{
	(void)state;
	dl_reqfile *rf = parse_ok("-i https://a/simple\n"
	                          "--index-url=https://b/simple\n"
	                          "--pypi-url https://c/simple\n"
	                          "--extra-index-url https://d/simple\n"
	                          "--extra-index https://e/simple\n"
	                          "--no-index\n"
	                          "-f ./wheels\n"
	                          "-f./more --find-links=https://x/links\n"
	                          "--pre\n"
	                          "--prefer-binary\n"
	                          "--only-binary :all:\n"
	                          "--no-binary=foo,bar\n"
	                          "--only-binary=:none:\n"
	                          "--trusted-host host.example\n"
	                          "--use-feature=truststore\n"
	                          "--require-hashes\n"
	                          "--pre --prefer-binary  # two on a line\n"
	                          "--index-url 'https://q/x y'\n");
	static const struct {
		dl_reqfile_opt opt;
		const char *value;
		unsigned long line, col;
	} want[] = {
	    {DL_REQFILE_OPT_INDEX_URL, "https://a/simple", 1, 1},
	    {DL_REQFILE_OPT_INDEX_URL, "https://b/simple", 2, 1},
	    {DL_REQFILE_OPT_INDEX_URL, "https://c/simple", 3, 1},
	    {DL_REQFILE_OPT_EXTRA_INDEX_URL, "https://d/simple", 4, 1},
	    {DL_REQFILE_OPT_EXTRA_INDEX_URL, "https://e/simple", 5, 1},
	    {DL_REQFILE_OPT_NO_INDEX, NULL, 6, 1},
	    {DL_REQFILE_OPT_FIND_LINKS, "./wheels", 7, 1},
	    {DL_REQFILE_OPT_FIND_LINKS, "./more", 8, 1},
	    {DL_REQFILE_OPT_FIND_LINKS, "https://x/links", 8, 10},
	    {DL_REQFILE_OPT_PRE, NULL, 9, 1},
	    {DL_REQFILE_OPT_PREFER_BINARY, NULL, 10, 1},
	    {DL_REQFILE_OPT_ONLY_BINARY, ":all:", 11, 1},
	    {DL_REQFILE_OPT_NO_BINARY, "foo,bar", 12, 1},
	    {DL_REQFILE_OPT_ONLY_BINARY, ":none:", 13, 1},
	    {DL_REQFILE_OPT_TRUSTED_HOST, "host.example", 14, 1},
	    {DL_REQFILE_OPT_USE_FEATURE, "truststore", 15, 1},
	    {DL_REQFILE_OPT_REQUIRE_HASHES, NULL, 16, 1},
	    {DL_REQFILE_OPT_PRE, NULL, 17, 1},
	    {DL_REQFILE_OPT_PREFER_BINARY, NULL, 17, 7},
	    {DL_REQFILE_OPT_INDEX_URL, "https://q/x y", 18, 1},
	};
	assert_int_equal(rf->n_options, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < rf->n_options; i++) {
		const dl_reqfile_option *o = &rf->options[i];
		assert_int_equal(o->opt, want[i].opt);
		if (want[i].value == NULL)
			assert_null(o->value);
		else
			assert_string_equal(o->value, want[i].value);
		assert_int_equal(o->line, want[i].line);
		assert_int_equal(o->column, want[i].col);
	}
	assert_int_equal(rf->n_entries, 0);
	assert_int_equal(rf->n_warnings, 0);
	assert_string_equal(dl_reqfile_opt_name(DL_REQFILE_OPT_EXTRA_INDEX_URL), "extra-index-url");
	dl_reqfile_free(rf);
}

static void test_requirement_options(void **state)
{
	(void)state;
	dl_reqfile *rf = parse_ok_files("foo==1.0 --hash=sha256:" /* 64 hex */
	                          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa \\\n"
	                          "    --hash sha512:xyz \\\n"
	                          "    -C key=value --config-settings=\"a=b c\" --global-option=--no-ext -i https://x\n"
	                          "--hash=sha384:00\n"
	                          "--use-feature=shiny\n"
	                          "-r a.txt --pre extra-arg\n",
	                          (const struct mfile[]){{"a.txt", "inc\n"}, {NULL, NULL}});
	assert_int_equal(rf->n_entries, 2);
	const dl_reqfile_entry *e = &rf->entries[0];
	assert_string_equal(e->text, "foo==1.0");
	assert_int_equal(e->n_hashes, 2);
	assert_string_equal(e->hashes[0], "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	assert_string_equal(e->hashes[1], "sha512:xyz");
	assert_int_equal(e->n_config_settings, 2);
	assert_string_equal(e->config_settings[1], "a=b c");
	assert_int_equal(e->n_global_options, 1);
	assert_string_equal(e->global_options[0], "--no-ext");
	assert_string_equal(rf->entries[1].name, "inc");
	assert_string_equal(rf->entries[1].file, "a.txt");
	const char *want[] = {
	    "requirements.txt:2:12: --hash value 'xyz' is not 128 hex digits: no file will match it",
	    "requirements.txt:3:44: --global-option is deprecated: pip passes it to setup.py only, and deeplock records "
	    "it without using it",
	    "requirements.txt:3:69: --index-url is ignored on a requirement line",
	    "requirements.txt:4:8: --hash value '00' is not 96 hex digits: no file will match it",
	    "requirements.txt:4:1: --hash without a requirement is ignored",
	    "requirements.txt:5:15: unknown --use-feature 'shiny'",
	    "requirements.txt:6:16: argument 'extra-arg' after the options is ignored",
	    "requirements.txt:6:10: --pre is ignored on a line that includes another file",
	};
	assert_int_equal(rf->n_warnings, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < rf->n_warnings; i++) {
		char got[600];
		snprintf(got, sizeof(got), "%s:%lu:%lu: %s", rf->warnings[i].file, rf->warnings[i].line,
		         rf->warnings[i].column, rf->warnings[i].message);
		assert_string_equal(got, want[i]);
	}
	assert_int_equal(rf->n_options, 1);
	assert_int_equal(rf->options[0].opt, DL_REQFILE_OPT_USE_FEATURE);
	dl_reqfile_free(rf);
}

static void test_errors(void **state)
{
	(void)state;
	parse_fails("foo --bogus\n", "requirements.txt:1:5: no such option: --bogus");
	parse_fails("-x y\n", "requirements.txt:1:1: no such option: -x");
	parse_fails("--no\n", "requirements.txt:1:1: ambiguous option: --no (--no-index, --no-binary?)");
	parse_fails("--pre=1\n", "requirements.txt:1:1: --pre option does not take a value");
	parse_fails("ok\n--index-url\n", "requirements.txt:2:1: --index-url option requires an argument");
	parse_fails("-r\n", "requirements.txt:1:1: -r option requires an argument");
	parse_fails("foo --hash=md5:abc\n", "requirements.txt:1:12: allowed hash algorithms for --hash are sha256, "
	                                    "sha384, sha512");
	parse_fails("foo \\\n  --hash abc\n", "requirements.txt:2:10: arguments to --hash must be a hash name followed "
	                                      "by a value, like --hash=sha256:abcde...");
	parse_fails("foo -C novalue\n", "requirements.txt:1:8: arguments to --config-settings must be of the form KEY=VAL");
	parse_fails("--no-binary -x\n", "requirements.txt:1:1: --no-binary / --only-binary option requires 1 argument");
	parse_fails("foo --hash 'sha256:a\n", "requirements.txt:1:12: could not split options: no closing quotation");
	parse_fails("foo --hash \\\n", "requirements.txt:1:5: --hash option requires an argument");
	parse_fails("qux==1#x\n", "requirements.txt:1:4: invalid requirement 'qux==1#x': invalid version '1#x': "
	                          "unexpected character at column 2\n"
	                          "  while in specifier '==1#x', in the version specifier");
	/* the position of a problem on a continuation line */
	parse_fails("first\n"
	            "bar \\\n"
	            "    [x ; \\\n"
	            "  python_version\n",
	            "requirements.txt:3:8: invalid requirement 'bar     [x ;   python_version': expected ',' or ']' (to close "
	            "the '[' of column 9)");
	parse_fails("foo; python_version <\n", "requirements.txt:1:22: invalid requirement 'foo; python_version <': "
	                                       "expected a marker variable or a quoted string, found end of input");
	parse_fails("https://x/y.zip; os_name ==\n", "requirements.txt:1:28: invalid marker 'os_name ==': expected a "
	                                             "marker variable or a quoted string, found end of input");
	parse_fails("./dist/bad_name-x.whl\n", "requirements.txt:1:8: bad_name-x.whl is not a valid wheel filename");
	parse_fails("https://x/a.tgz#egg=\n", "requirements.txt:1:17: empty #egg= fragment");
	parse_fails("./p[a b]\n", "requirements.txt:1:4: invalid extras '[a b]'");
	dl_reqfile *nulrf = NULL;
	assert_int_equal(dl_reqfile_parse(&nulrf, "ok # \0 in a comment\nab\0c\n", 27, NULL, NULL), DL_EPARSE);
	assert_string_equal(dl_error_last()->message,
	                    "requirements.txt:2:3: a NUL character cannot appear in a requirements file");
	parse_fails_files("-r a.txt\n", NULL, DL_ENOTFOUND, "requirements.txt:1:4: cannot read 'a.txt': a.txt: no such file");
	dl_reqfile *rf = NULL;
	assert_int_equal(dl_reqfile_parse(&rf, "-r x.txt", 8, "top.txt", NULL), DL_EPARSE);
	assert_string_equal(dl_error_last()->message, "top.txt:1:4: cannot include 'x.txt': no file reader was given");
	dl_reqfile_options bad = DL_REQFILE_OPTIONS_INIT;
	bad.version = 99;
	assert_int_equal(dl_reqfile_parse(&rf, "x", 1, NULL, &bad), DL_EINVAL);
	assert_int_equal(dl_reqfile_load(&rf, "x", NULL), DL_EINVAL);
	assert_null(rf);
}

static void test_includes(void **state)
{
	(void)state;
	static const struct mfile files[] = {
	    {"sub/base.txt", "# base\nsix==1.16\n-c ../constraints.txt\n-r ./more/extra.txt\n"},
	    {"constraints.txt", "urllib3<2\n-r sub/inner.txt\n"},
	    {"sub/inner.txt", "idna\n"},
	    {"sub/more/extra.txt", "--pre\nattrs\n"},
	    {NULL, NULL},
	};
	dl_reqfile *rf = parse_ok_files("top\n-r sub/base.txt\nend\n", files);
	const char *names[] = {"top", "six", "urllib3", "idna", "attrs", "end"};
	const dl_reqfile_kind kinds[] = {DL_REQFILE_REQUIREMENT, DL_REQFILE_REQUIREMENT, DL_REQFILE_CONSTRAINT,
	                                 DL_REQFILE_REQUIREMENT, DL_REQFILE_REQUIREMENT, DL_REQFILE_REQUIREMENT};
	const char *in[] = {"requirements.txt", "sub/base.txt", "constraints.txt", "sub/inner.txt", "sub/more/extra.txt",
	                    "requirements.txt"};
	const unsigned long lines[] = {1, 2, 1, 1, 2, 3};
	assert_int_equal(rf->n_entries, 6);
	for (size_t i = 0; i < 6; i++) {
		assert_string_equal(rf->entries[i].name, names[i]);
		assert_int_equal(rf->entries[i].kind, kinds[i]);
		assert_string_equal(rf->entries[i].file, in[i]);
		assert_int_equal(rf->entries[i].line, lines[i]);
	}
	assert_int_equal(rf->n_files, 5);
	assert_string_equal(rf->files[2], "constraints.txt");
	assert_int_equal(rf->n_options, 1);
	assert_string_equal(rf->options[0].file, "sub/more/extra.txt");
	dl_reqfile_free(rf);

	/* the top file as a constraints file */
	g_files = files;
	dl_reqfile_options o = DL_REQFILE_OPTIONS_INIT;
	o.read = mem_read;
	o.constraint = true;
	assert_int_equal(dl_reqfile_load(&rf, "sub/inner.txt", &o), 0);
	assert_int_equal(rf->n_entries, 1);
	assert_int_equal(rf->entries[0].kind, DL_REQFILE_CONSTRAINT);
	assert_string_equal(rf->entries[0].file, "sub/inner.txt");
	dl_reqfile_free(rf);
	assert_int_equal(dl_reqfile_load(&rf, "missing.txt", &o), DL_ENOTFOUND);
}

static void test_cycles(void **state)
{
	(void)state;
	static const struct mfile cyc[] = {
	    {"a.txt", "x\n-r b/b.txt\n"},
	    {"b/b.txt", "\n  -r ../a.txt\n"},
	    {"self.txt", "-c ./self.txt\n"},
	    {NULL, NULL},
	};
	parse_fails_files("-r a.txt\n", cyc, DL_EPARSE,
	                  "b/b.txt:2:6: include cycle: a.txt -> b/b.txt -> a.txt\n"
	                  "  while reading b/b.txt, included from a.txt:2\n"
	                  "  while reading a.txt, included from requirements.txt:1");
	parse_fails_files("-r self.txt", cyc, DL_EPARSE,
	                  "self.txt:1:4: include cycle: self.txt -> self.txt\n"
	                  "  while reading self.txt, included from requirements.txt:1");
	parse_fails_files("-r requirements.txt", cyc, DL_EPARSE,
	                  "requirements.txt:1:4: include cycle: requirements.txt -> requirements.txt");
	/* nesting limit: d0 -> d1 -> ... without a cycle */
	static const struct mfile deep[] = {
	    {"d1", "-r d2"}, {"d2", "-r d3"}, {"d3", "-r d4"}, {"d4", "ok"}, {NULL, NULL},
	};
	g_files = deep;
	dl_reqfile_options o = DL_REQFILE_OPTIONS_INIT;
	o.read = mem_read;
	o.max_depth = 3;
	dl_reqfile *rf = NULL;
	assert_int_equal(dl_reqfile_parse(&rf, "-r d1", 5, "d0", &o), DL_ELIMIT);
	assert_string_equal(dl_error_last()->message, "d3:1:4: requirements files nested deeper than 3 levels\n"
	                                               "  while reading d3, included from d2:1\n"
	                                               "  while reading d2, included from d1:1\n"
	                                               "  while reading d1, included from d0:1");
	o.max_depth = 4;
	assert_int_equal(dl_reqfile_parse(&rf, "-r d1", 5, "d0", &o), 0);
	assert_int_equal(rf->n_entries, 1);
	dl_reqfile_free(rf);
}

static void test_via(void **state)
{
	(void)state;
	dl_reqfile *rf = parse_ok("#\n"
	                          "# This file is autogenerated by pip-compile\n"
	                          "#\n"
	                          "click==8.1.7\n"
	                          "    # via\n"
	                          "    #   black\n"
	                          "    #   pip-tools (pyproject.toml)\n"
	                          "idna==3.6\n"
	                          "    # via -r requirements.in\n"
	                          "old==1.0                  # via a, b\n"
	                          "\n"
	                          "# The following packages are considered to be unsafe:\n"
	                          "#   not-a-via\n"
	                          "pip==24.0\n"
	                          "    # via pip-tools\n"
	                          "lonely==1\n"
	                          "\n"
	                          "    # via nobody\n");
	assert_int_equal(rf->n_entries, 5);
	const dl_reqfile_entry *e = rf->entries;
	assert_int_equal(e[0].n_via, 2);
	assert_string_equal(e[0].via[0], "black");
	assert_string_equal(e[0].via[1], "pip-tools (pyproject.toml)");
	assert_int_equal(e[1].n_via, 1);
	assert_string_equal(e[1].via[0], "-r requirements.in");
	assert_int_equal(e[2].n_via, 2);
	assert_string_equal(e[2].via[0], "a");
	assert_string_equal(e[2].via[1], "b");
	assert_int_equal(e[3].n_via, 1);
	assert_string_equal(e[3].via[0], "pip-tools");
	assert_int_equal(e[4].n_via, 0);
	dl_reqfile_free(rf);

	/* old pip-compile --generate-hashes (pip-tools issue 1063): a
	 * continuation into the "# via" line; the comment ends the join */
	rf = parse_ok("numpy==1.18.1 \\\n"
	              "    --hash=sha256:1786a08236f2c92ae0e70423c45e1e62788ed33028f94ca99c4df03f5be6b3c6 \\\n"
	              "    # via scipy\n"
	              "scipy==1.4.1\n");
	assert_int_equal(rf->n_entries, 2);
	assert_int_equal(rf->entries[0].n_hashes, 1);
	assert_int_equal(rf->entries[0].n_via, 1);
	assert_string_equal(rf->entries[0].via[0], "scipy");
	assert_int_equal(rf->entries[1].line, 4);
	assert_int_equal(rf->n_warnings, 0);
	dl_reqfile_free(rf);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(dl_reqfile_kind_name(DL_REQFILE_CONSTRAINT), "constraint");
	assert_string_equal(dl_reqfile_kind_name((dl_reqfile_kind)0), "unknown");
	assert_string_equal(dl_reqfile_form_name(DL_REQFILE_FORM_URL), "url");
	assert_string_equal(dl_reqfile_opt_name(DL_REQFILE_OPT_REQUIRE_HASHES), "require-hashes");
	dl_reqfile_free(NULL);
}

static int alloc_case(void *ctx)
{
	(void)ctx;
	static const struct mfile files[] = {
	    {"inc.txt", "six\n-c c.txt\n"}, {"c.txt", "idna<3\n"}, {NULL, NULL},
	};
	g_files = files;
	const char *text = "# c\n-i https://x/simple\nfoo[a]>=1 ; python_version > '3' --hash=sha256:ab \\\n"
	                   "  -C a=b --global-option=x\n    # via\n    #   bar\n-e git+https://g/r#egg=r\n"
	                   "./p[x]\nhttps://x/p-1.0-py3-none-any.whl\n-r inc.txt\npkg==${VER} # via q\n"
	                   "--use-feature=nope\n";
	dl_reqfile_options o = DL_REQFILE_OPTIONS_INIT;
	o.read = mem_read;
	o.env = mem_env;
	dl_reqfile *rf = NULL;
	int rc = dl_reqfile_parse(&rf, text, strlen(text), "r.txt", &o);
	if (rc == 0) {
		assert_int_equal(rf->n_entries, 7);
		dl_reqfile_free(rf);
	}
	return rc;
}

static int alloc_error_case(void *ctx)
{
	(void)ctx;
	static const struct mfile files[] = {{"a", "-r b"}, {"b", "-r a"}, {NULL, NULL}};
	g_files = files;
	dl_reqfile_options o = DL_REQFILE_OPTIONS_INIT;
	o.read = mem_read;
	dl_reqfile *rf = NULL;
	int rc = dl_reqfile_parse(&rf, "x\n-r a", 6, "r.txt", &o);
	assert_null(rf);
	return rc == DL_EPARSE ? 0 : rc;
}

static void test_alloc_failures(void **state)
{
	(void)state;
	dltest_each_alloc_failure(alloc_case, NULL);
	dltest_each_alloc_failure(alloc_error_case, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lines),    cmocka_unit_test(test_line_endings),
	    cmocka_unit_test(test_env),      cmocka_unit_test(test_forms),
	    cmocka_unit_test(test_editables), cmocka_unit_test(test_options),
	    cmocka_unit_test(test_requirement_options), cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_includes), cmocka_unit_test(test_cycles),
	    cmocka_unit_test(test_via),      cmocka_unit_test(test_names),
	    cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
