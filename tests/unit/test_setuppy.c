/*
 * test_setuppy.c - static reading of setup.py: the tokenizer's errors with
 * positions, literal evaluation (strings, concatenation, lists, tuples,
 * dicts, names, +, +=), and every construct that must be reported as
 * dynamic with its reason instead of being guessed.
 */
#include <string.h>

#include "dltest.h"
#include "deeplock/sdist.h"

static dl_setup_args *analyze(const char *text)
{
	dl_setup_args *args = NULL;
	int rc = dl_setuppy_analyze(&args, text, strlen(text), NULL);
	if (rc != 0)
		fail_msg("analyze failed: %d %s", rc, dl_error_last()->message);
	return args;
}

static void analyze_fails(const char *text, int code, const char *want)
{
	dl_setup_args *args = NULL;
	int rc = dl_setuppy_analyze(&args, text, strlen(text), "pkg/setup.py");
	if (rc != code)
		fail_msg("expected %d, got %d (%s)", code, rc, dl_error_last()->message);
	assert_null(args);
	assert_string_equal(dl_error_last()->message, want);
}

static void assert_list(const dl_setup_value *v, const char *const *want, size_t n)
{
	if (v->state != DL_SETUP_STATIC)
		fail_msg("not static: %s", v->reason ? v->reason : "(absent)");
	assert_int_equal(v->count, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(v->list[i], want[i]);
}

static void assert_dynamic(const dl_setup_value *v, const char *reason)
{
	if (v->state != DL_SETUP_DYNAMIC)
		fail_msg("expected dynamic (%s), state %d", reason, v->state);
	assert_string_equal(v->reason, reason);
}

static const char literal_py[] =
    "#!/usr/bin/env python\n"
    "# -*- coding: utf-8 -*-\n"
    "from setuptools import setup, find_packages\n"
    "\n"
    "NAME = \"demo\"\n"
    "VERSION = '1.' '2' \"\"\".3\"\"\"\n"
    "BASE = [\"requests>=2\", 'idna',]\n"
    "EXTRA: list = BASE + [\"rich; python_version >= '3.8'\"]\n"
    "EXTRA += ('click',)\n"
    "DESCRIPTION = open('README.md').read()  # irrelevant\n"
    "\n"
    "setup(\n"
    "    name=NAME,\n"
    "    version=VERSION,\n"
    "    description=DESCRIPTION,\n"
    "    python_requires=\">=3.8\",\n"
    "    packages=find_packages(exclude=[\"tests\"]),\n"
    "    install_requires=EXTRA,\n"
    "    setup_requires=['setuptools_scm>=6', \\\n"
    "                    \"wheel\"],\n"
    "    extras_require={\n"
    "        \"test\": [\"pytest\", r\"cov\\erage\", u'\\x41b\\u00e9'],\n"
    "        'docs': \"sphinx\\nfuro  # theme\",\n"
    "        \":python_version<'3.8'\": [\"importlib_metadata\"],\n"
    "        'none': None,\n"
    "    },\n"
    ")\n";

static void test_literals(void **state)
{
	(void)state;
	dl_setup_args *args = analyze(literal_py);
	assert_null(args->whole_reason);
	assert_int_equal(args->name.state, DL_SETUP_STATIC);
	assert_string_equal(args->name.str, "demo");
	assert_int_equal(args->name.line, 13);
	assert_string_equal(args->version.str, "1.2.3");
	assert_string_equal(args->python_requires.str, ">=3.8");
	const char *inst[] = {"requests>=2", "idna", "rich; python_version >= '3.8'", "click"};
	assert_list(&args->install_requires, inst, 4);
	const char *setup[] = {"setuptools_scm>=6", "wheel"};
	assert_list(&args->setup_requires, setup, 2);
	assert_int_equal(args->setup_requires.line, 19);
	assert_int_equal(args->extras_require.state, DL_SETUP_STATIC);
	assert_int_equal(args->extras_require.extras_count, 4);
	const dl_setup_extra *x = args->extras_require.extras;
	assert_string_equal(x[0].name, "test");
	assert_int_equal(x[0].count, 3);
	assert_string_equal(x[0].reqs[0], "pytest");
	assert_string_equal(x[0].reqs[1], "cov\\erage");
	assert_string_equal(x[0].reqs[2], "Ab\xc3\xa9");
	assert_string_equal(x[1].name, "docs");
	assert_int_equal(x[1].count, 2);
	assert_string_equal(x[1].reqs[0], "sphinx");
	assert_string_equal(x[1].reqs[1], "furo ");
	assert_string_equal(x[2].name, ":python_version<'3.8'");
	assert_string_equal(x[2].reqs[0], "importlib_metadata");
	assert_string_equal(x[3].name, "none");
	assert_int_equal(x[3].count, 0);
	dl_setup_args_free(args);
}

static void test_variants(void **state)
{
	(void)state;
	/* setuptools.setup under the main guard, dict(), tuple, aliases,
	 * one-line compound statements and semicolons elsewhere. */
	dl_setup_args *args = analyze("import setuptools as st\n"
	                              "import os; HERE = os.path.dirname(__file__)\n"
	                              "if HERE: pass\n"
	                              "reqs = ('a', 'b')\n"
	                              "reqs = reqs + ('c',)\n"
	                              "if __name__ == '__main__':\n"
	                              "    st.setup(install_requires=reqs,\n"
	                              "             extras_require=dict(dev=['x'], doc='y'),\n"
	                              "             name=f'plain{{braces}}', version=None)\n");
	assert_null(args->whole_reason);
	const char *inst[] = {"a", "b", "c"};
	assert_list(&args->install_requires, inst, 3);
	assert_int_equal(args->extras_require.extras_count, 2);
	assert_string_equal(args->extras_require.extras[0].name, "dev");
	assert_string_equal(args->extras_require.extras[1].reqs[0], "y");
	assert_string_equal(args->name.str, "plain{braces}");
	assert_int_equal(args->version.state, DL_SETUP_ABSENT);
	assert_int_equal(args->setup_requires.state, DL_SETUP_ABSENT);
	assert_int_equal(args->python_requires.state, DL_SETUP_ABSENT);
	dl_setup_args_free(args);

	/* distutils.core.setup() and a try/except import. */
	args = analyze("try:\n"
	               "    from setuptools import setup\n"
	               "except ImportError:\n"
	               "    from distutils.core import setup\n"
	               "setup(name='x')\n");
	assert_null(args->whole_reason);
	assert_string_equal(args->name.str, "x");
	dl_setup_args_free(args);
	args = analyze("import distutils.core\ndistutils.core.setup(name='y')\n");
	assert_string_equal(args->name.str, "y");
	dl_setup_args_free(args);
	/* A shim: nothing given at all. */
	args = analyze("import setuptools\nsetuptools.setup()\n");
	assert_null(args->whole_reason);
	assert_int_equal(args->install_requires.state, DL_SETUP_ABSENT);
	assert_int_equal(args->extras_require.state, DL_SETUP_ABSENT);
	dl_setup_args_free(args);
	/* An assignment in a `with` body is straight-line code; an exec()
	 * before the assignment cannot change it. */
	args = analyze("from setuptools import setup\n"
	               "exec(open('v.py').read())\n"
	               "with open('README') as f:\n"
	               "    deps = ['a']\n"
	               "setup(install_requires=deps, version=__version__)\n");
	const char *one[] = {"a"};
	assert_list(&args->install_requires, one, 1);
	assert_dynamic(&args->version, "version uses '__version__', which could be rebound by the exec() call at line 2");
	dl_setup_args_free(args);
}

static const char computed_py[] = "from setuptools import setup\n"
                                  "\n"
                                  "def get_requirements():\n"
                                  "    with open('requirements.txt') as f:\n"
                                  "        return f.read().splitlines()\n"
                                  "\n"
                                  "setup(\n"
                                  "    name='computed',\n"
                                  "    setup_requires=get_requirements(),\n"
                                  "    install_requires=[l.strip() for l in open('r.txt')],\n"
                                  "    extras_require=EXTRAS,\n"
                                  "    python_requires='>=3.' + str(8),\n"
                                  "    version=VERSION if VERSION else '0',\n"
                                  ")\n";

static void test_computed(void **state)
{
	(void)state;
	dl_setup_args *args = analyze(computed_py);
	assert_null(args->whole_reason);
	assert_string_equal(args->name.str, "computed");
	assert_dynamic(&args->setup_requires, "setup_requires is computed by a call to get_requirements() at line 9");
	assert_int_equal(args->setup_requires.line, 9);
	assert_dynamic(&args->install_requires, "install_requires is computed by a list comprehension at line 10");
	assert_dynamic(&args->extras_require,
	               "extras_require uses 'EXTRAS' (line 11), which is not assigned before setup() is called");
	assert_dynamic(&args->python_requires, "python_requires is computed by a call to str() at line 12");
	assert_dynamic(&args->version, "version is a conditional expression at line 13");
	dl_setup_args_free(args);
}

static void test_not_guessed(void **state)
{
	(void)state;
	dl_setup_args *args = analyze("import sys\n"
	                              "from setuptools import setup\n"
	                              "deps = ['a']\n"
	                              "if sys.version_info < (3, 8):\n"
	                              "    deps = deps + ['importlib_metadata']\n"
	                              "extra = ['x']\n"
	                              "extra.append('y')\n"
	                              "from mod import pinned\n"
	                              "for lib in ['z']: pass\n"
	                              "a, tup = 1, 2\n"
	                              "n = 1\n"
	                              "kw = {}\n"
	                              "setup(install_requires=deps, extras_require={'e': extra}, setup_requires=pinned,\n"
	                              "      python_requires=lib, version=tup, name=n, **kw)\n");
	assert_dynamic(&args->install_requires,
	               "install_requires uses 'deps', which is assigned inside an 'if' block at line 4");
	assert_dynamic(&args->extras_require,
	               "extras_require uses 'extra', which may be changed by extra.append at line 7");
	assert_dynamic(&args->setup_requires, "setup_requires uses 'pinned', which is imported from mod at line 8");
	assert_dynamic(&args->python_requires, "python_requires uses 'lib', which is bound by a 'for' loop at line 9");
	assert_dynamic(&args->version, "version uses 'tup', which is assigned by unpacking at line 10");
	assert_dynamic(&args->name, "name uses 'n' (assigned at line 11), which is the number 1 at line 11");
	dl_setup_args_free(args);

	/* **kwargs supplies anything not given explicitly. */
	args = analyze("from setuptools import setup\n"
	               "cfg = dict(name='x')\n"
	               "setup(version='1', **cfg)\n");
	assert_string_equal(args->version.str, "1");
	assert_dynamic(&args->name, "name may be supplied by the '**' argument of setup() at line 3");
	assert_dynamic(&args->install_requires,
	               "install_requires may be supplied by the '**' argument of setup() at line 3");
	dl_setup_args_free(args);

	/* Mutation inside a function, passing to a call, exec in a function,
	 * global, augmented assignment in a block. */
	args = analyze("from setuptools import setup\n"
	               "a = ['1']\n"
	               "b = ['2']\n"
	               "c = ['3']\n"
	               "d = ['4']\n"
	               "e = ['5']\n"
	               "def f():\n"
	               "    a.extend(['x'])\n"
	               "    global d\n"
	               "add(b)\n"
	               "if 1:\n"
	               "    e += ['6']\n"
	               "setup(install_requires=a, setup_requires=b, extras_require={'c': c},\n"
	               "      name=d[0], version=e)\n");
	assert_dynamic(&args->install_requires, "install_requires uses 'a', which a function may change (a.extend at line 8)");
	assert_dynamic(&args->setup_requires, "setup_requires uses 'b', which may be changed by passing it to add() at line 10");
	assert_int_equal(args->extras_require.state, DL_SETUP_STATIC);
	assert_string_equal(args->extras_require.extras[0].reqs[0], "3");
	assert_dynamic(&args->name, "name is computed by a subscript of d at line 14");
	assert_dynamic(&args->version, "version uses 'e', which is assigned inside an 'if' block at line 11");
	dl_setup_args_free(args);

	/* exec() inside a function may run at any time and rebind anything. */
	args = analyze("from setuptools import setup\n"
	               "c = ['3']\n"
	               "def g():\n"
	               "    exec('c = 1')\n"
	               "setup(install_requires=c, name='literal')\n");
	assert_dynamic(&args->install_requires, "install_requires uses 'c', which could be rebound by the exec() call at line 4");
	assert_string_equal(args->name.str, "literal");
	dl_setup_args_free(args);

	args = analyze("from setuptools import setup\nx = ['a']\ndef f():\n    global x\n    x = []\nsetup(install_requires=x)\n");
	assert_dynamic(&args->install_requires, "install_requires uses 'x', which a function declares global at line 4");
	dl_setup_args_free(args);

	/* Other expressions. */
	args = analyze("from setuptools import setup\n"
	               "setup(name=b'x', version=f'{v}', python_requires='>=' + ['3'],\n"
	               "      install_requires=[*base], setup_requires={'a', 'b'}, extras_require={**e})\n");
	assert_dynamic(&args->name, "name is a bytes literal at line 2");
	assert_dynamic(&args->version, "version is an f-string with replacement fields at line 2");
	assert_dynamic(&args->python_requires, "python_requires adds values of different types at line 2, which Python "
	                                       "rejects");
	assert_dynamic(&args->install_requires, "install_requires is computed by unpacking with '*' at line 3");
	assert_dynamic(&args->setup_requires, "setup_requires is a set display at line 3 (its order is not defined)");
	assert_dynamic(&args->extras_require, "extras_require is computed by unpacking with '**' at line 3");
	dl_setup_args_free(args);

	args = analyze("from setuptools import setup\n"
	               "setup(name='\\N{DASH}', version='a'.upper(), install_requires=['a', None],\n"
	               "      extras_require=['x'], setup_requires=lambda: [], python_requires=x.y)\n");
	assert_dynamic(&args->name, "name is a string with a \\N{...} escape at line 2");
	assert_dynamic(&args->version, "version is computed by a method call on a string at line 2");
	assert_dynamic(&args->install_requires, "install_requires has an item that is not a plain string at line 2");
	assert_dynamic(&args->extras_require, "extras_require is not a dict");
	assert_dynamic(&args->setup_requires, "setup_requires is a lambda at line 3");
	assert_dynamic(&args->python_requires, "python_requires is the attribute x.y at line 3");
	dl_setup_args_free(args);
}

static void test_setup_call_context(void **state)
{
	(void)state;
	struct {
		const char *src;
		const char *reason;
	} cases[] = {
	    {"from setuptools import setup\ndef main():\n    setup(name='x')\nmain()\n",
	     "setup() is called inside function 'main' (line 2), so what it receives depends on how that is called"},
	    {"import sys\nfrom setuptools import setup\nif sys.argv:\n    setup(name='x')\n",
	     "setup() is called inside an 'if' block (line 3)"},
	    {"from setuptools import setup\ntry:\n    setup(name='x')\nexcept Exception:\n    pass\n",
	     "setup() is called inside a 'try' block (line 2)"},
	    {"from setuptools import setup\nsetup(name='a')\nsetup(name='b')\n", "setup() is called 2 times (lines 2 and 3)"},
	    {"print('hello')\n", "setup.py has no call to setup() that deeplock recognises"},
	    {"from skbuild import setup\nsetup(name='x')\n", "setup() is imported from skbuild, which may change its arguments"},
	    {"setup(name='x')\n", "setup is not imported from setuptools or distutils.core"},
	    {"from setuptools import setup as _s\ndef setup(**kw):\n    _s(**kw)\nsetup(name='x')\n",
	     "setup.py defines its own setup() at line 2"},
	    {"from setuptools import setup\nsetup(name='a', name='b')\n",
	     "setup() is given 'name' twice (line 2), which Python rejects"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dl_setup_args *args = analyze(cases[i].src);
		if (args->whole_reason == NULL)
			fail_msg("case %zu: no whole reason", i);
		assert_string_equal(args->whole_reason, cases[i].reason);
		assert_dynamic(&args->install_requires, cases[i].reason);
		assert_dynamic(&args->name, cases[i].reason);
		dl_setup_args_free(args);
	}
	/* An aliased setup from setuptools is fine; `else` of the main guard
	 * is not. */
	dl_setup_args *args = analyze("from setuptools import setup as S\nS(name='ok')\n");
	assert_string_equal(args->name.str, "ok");
	dl_setup_args_free(args);
	args = analyze("from setuptools import setup\nif __name__ == '__main__':\n    pass\nelse:\n    setup()\n");
	assert_string_equal(args->whole_reason, "setup() is called inside an 'else' block (line 4)");
	dl_setup_args_free(args);
}

static void test_tokenizer(void **state)
{
	(void)state;
	/* Strings of every kind tokenise, including f-strings with nested
	 * quotes (PEP 701) and comments that look like code. */
	dl_setup_args *args = analyze("from setuptools import setup\n"
	                              "x = f\"{d['k']!r:>{w}}\"  # setup(name='no')\n"
	                              "y = rb'\\d' + Rb\"\"\"a\n"
	                              "b\"\"\" + F'''{x}\n"
	                              "'''\n"
	                              "s = 'a\\\n"
	                              "b'\n"
	                              "setup(name=s, version='''1\\\n"
	                              ".0''')\n");
	assert_string_equal(args->name.str, "ab");
	assert_string_equal(args->version.str, "1.0");
	dl_setup_args_free(args);

	analyze_fails("x = 'abc\nsetup()\n", DL_EPARSE, "pkg/setup.py:1:5: unterminated string literal");
	analyze_fails("x = 1\ny = '''abc\n\n", DL_EPARSE, "pkg/setup.py:2:5: unterminated triple-quoted string literal");
	analyze_fails("setup(name='x'))\n", DL_EPARSE, "pkg/setup.py:1:16: unmatched ')'");
	analyze_fails("setup(\n  name=['x')\n", DL_EPARSE,
	              "pkg/setup.py:2:12: closing bracket ')' does not match the '[' opened at line 2");
	analyze_fails("x = [1,\n  2\n", DL_EPARSE, "pkg/setup.py:1:5: '[' was never closed");
	analyze_fails("if x:\n    y = 1\n  z = 2\n", DL_EPARSE,
	              "pkg/setup.py:3:3: unindent does not match any outer indentation level");
	analyze_fails("x = 1 \\ y\n", DL_EPARSE,
	              "pkg/setup.py:1:7: unexpected character after a line continuation character");
	analyze_fails("x = 1 $\n", DL_EPARSE, "pkg/setup.py:1:7: invalid character '$' (U+0024)");
	const char nul[] = "x = 1\ny = '\0'\n";
	dl_setup_args *a2 = NULL;
	assert_int_equal(dl_setuppy_analyze(&a2, nul, sizeof(nul) - 1, NULL), DL_EPARSE);
	assert_string_equal(dl_error_last()->message, "setup.py:2:6: source code cannot contain null bytes");
	analyze_fails("f'{'\n", DL_EPARSE, "pkg/setup.py:1:4: unterminated string literal");
	/* Bracket depth is bounded like CPython's. */
	char deep[420];
	memset(deep, '(', 201);
	memset(deep + 201, ')', 201);
	deep[402] = '\n';
	deep[403] = '\0';
	dl_setup_args *a3 = NULL;
	assert_int_equal(dl_setuppy_analyze(&a3, deep, strlen(deep), NULL), DL_ELIMIT);
	assert_string_equal(dl_error_last()->message, "setup.py:1:201: brackets nested more than 200 deep");
	/* Tabs, form feeds, CRLF and a BOM. */
	args = analyze("\xef\xbb\xbf" "from setuptools import setup\r\n"
	               "if __name__ == '__main__':\r\n"
	               "\tsetup(\r\n"
	               "        name='tabs')\r\n");
	assert_string_equal(args->name.str, "tabs");
	dl_setup_args_free(args);
}

static void test_empty(void **state)
{
	(void)state;
	dl_setup_args *args = NULL;
	assert_int_equal(dl_setuppy_analyze(&args, "", 0, NULL), 0);
	assert_string_equal(args->whole_reason, "setup.py has no call to setup() that deeplock recognises");
	dl_setup_args_free(args);
}

static int analyze_rich(void *ctx)
{
	(void)ctx;
	dl_setup_args *args = NULL;
	int rc = dl_setuppy_analyze(&args, literal_py, sizeof(literal_py) - 1, NULL);
	if (rc == 0) {
		if (args->install_requires.count != 4)
			rc = DL_ERROR;
		dl_setup_args_free(args);
	}
	if (rc < 0)
		return rc;
	rc = dl_setuppy_analyze(&args, computed_py, sizeof(computed_py) - 1, NULL);
	if (rc == 0)
		dl_setup_args_free(args);
	return rc;
}

static void test_alloc_failures(void **state)
{
	(void)state;
	dltest_each_alloc_failure(analyze_rich, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_literals),
	    cmocka_unit_test(test_variants),
	    cmocka_unit_test(test_computed),
	    cmocka_unit_test(test_not_guessed),
	    cmocka_unit_test(test_setup_call_context),
	    cmocka_unit_test(test_tokenizer),
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
