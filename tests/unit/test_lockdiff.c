/*
 * test_lockdiff.c - the lock diff: every kind of change with the exact
 * entries expected (each entry rendered as one line, so a wrong field shows
 * in the message), the same version with a different hash, mixed formats
 * (poetry.lock against pylock.toml, Pipfile.lock bare hashes), deeplock
 * locks whose build environments change (written by deeplock's own writer,
 * so the layout is the real one), input errors with their positions, and
 * every allocation failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/lock.h"
#include "deeplock/lockdiff.h"
#include "dltest.h"

#define H(c) #c #c #c #c #c #c #c #c #c #c #c #c #c #c #c #c #c #c #c #c #c #c #c #c #c #c #c #c #c #c #c #c \
	#c #c #c #c #c #c #c #c #c #c #c #c #c #c #c #c #c #c #c #c #c #c #c #c #c #c #c #c #c #c #c #c

/* One line per entry: kind env name old->new, then what the kind adds. */
static char *render(const dl_lockdiff *d)
{
	dl_buf b = DL_BUF_INIT;
	for (size_t i = 0; i < d->n_entries; i++) {
		const dl_lockdiff_entry *e = &d->entries[i];
		dl_buf_printf(&b, "%s %s %s %s->%s", dl_lockdiff_kind_name(e->kind), e->env ? e->env : "-",
		              e->name ? e->name : "-", e->old_version ? e->old_version : "", e->new_version ? e->new_version : "");
		if (e->old_value != NULL || e->new_value != NULL)
			dl_buf_printf(&b, " [%s|%s]", e->old_value ? e->old_value : "", e->new_value ? e->new_value : "");
		if (e->reason != NULL)
			dl_buf_printf(&b, " (%s)", e->reason);
		for (size_t k = 0; k < e->n_requires; k++)
			dl_buf_printf(&b, "%s%s", k ? "," : " requires=", e->requires[k]);
		if (e->kind == DL_LOCKDIFF_HASH_CHANGED)
			dl_buf_printf(&b, " mismatch=%d", e->hash_mismatch);
		for (size_t k = 0; k < e->n_files; k++) {
			const dl_lockdiff_file *f = &e->files[k];
			dl_buf_printf(&b, " {%s %s:%.4s>%.4s}", f->name ? f->name : "?", f->algorithm,
			              f->old_hash ? f->old_hash : "", f->new_hash ? f->new_hash : "");
		}
		dl_buf_putc(&b, '\n');
	}
	char *s = dl_buf_detach(&b, NULL);
	assert_non_null(s);
	return s;
}

static int diff(dl_lockdiff **out, const char *old_doc, const char *old_name, const char *new_doc,
                const char *new_name)
{
	dl_lockdiff_input o = {old_doc, strlen(old_doc), old_name, NULL, DL_LOCKFILE_UNKNOWN_FORMAT};
	dl_lockdiff_input n = {new_doc, strlen(new_doc), new_name, NULL, DL_LOCKFILE_UNKNOWN_FORMAT};
	return dl_lockdiff_compute(out, &o, &n);
}

static void expect(const char *old_doc, const char *old_name, const char *new_doc, const char *new_name,
                   const char *expected)
{
	dl_lockdiff *d = NULL;
	int rc = diff(&d, old_doc, old_name, new_doc, new_name);
	if (rc != 0)
		fail_msg("diff failed: %s", dl_error_last()->message);
	char *got = render(d);
	dl_lockdiff_free(d);
	if (strcmp(got, expected) != 0) {
		print_error("got:\n%s\nexpected:\n%s", got, expected);
		dl_free(got);
		fail();
	}
	dl_free(got);
}

/* ------------------------------------------------------------------ */
/* pylock.toml against pylock.toml: every kind of runtime change         */

#define PYLOCK_HEAD "lock-version = \"1.0\"\ncreated-by = \"test\"\n"
#define WHEEL(n, v, h) "wheels = [{ name = \"" n "-" v "-py3-none-any.whl\", url = \"https://f/" n "-" v "-py3-none-any.whl\", hashes = { sha256 = \"" h "\" } }]\n"
#define SDIST(n, v, h) "sdist = { name = \"" n "-" v ".tar.gz\", url = \"https://f/" n "-" v ".tar.gz\", hashes = { sha256 = \"" h "\" } }\n"
#define PKG(n, v) "[[packages]]\nname = \"" n "\"\nversion = \"" v "\"\n"

static const char OLD_PYLOCK[] = PYLOCK_HEAD
    PKG("a", "1.0") WHEEL("a", "1.0", H(1))
    PKG("b", "2.0") WHEEL("b", "2.0", H(2))
    PKG("c", "3.0") WHEEL("c", "3.0", H(3))
    PKG("d", "1.0") WHEEL("d", "1.0", H(4))
    PKG("f", "1.0") WHEEL("f", "1.0", H(5))
    PKG("g", "1.0") WHEEL("g", "1.0", H(6))
    PKG("h", "nightly-1") WHEEL("h", "nightly-1", H(7))
    PKG("i", "1.0") "index = \"https://private.example/simple/\"\n" WHEEL("i", "1.0", H(8))
    PKG("j", "1.0") "marker = \"os_name=='nt'\"\n"
    PKG("l", "1.0") WHEEL("l", "1.0", H(9))
    PKG("m", "1.0") SDIST("m", "1.0", H(a))
    PKG("n", "1.0") SDIST("n", "1.0", H(b))
    PKG("o", "1.0")
    PKG("p", "1.0") WHEEL("p", "1.0", H(c));

static const char NEW_PYLOCK[] = PYLOCK_HEAD
    PKG("a", "1.0") WHEEL("a", "1.0", H(1))
    PKG("b", "2.1") WHEEL("b", "2.1", H(2))
    PKG("c", "2.9") WHEEL("c", "2.9", H(3))
    PKG("e", "0.1") WHEEL("e", "0.1", H(4))
    PKG("f", "1.0") WHEEL("f", "1.0", H(d))
    PKG("g", "1.0") WHEEL("g", "1.0", H(6)) SDIST("g", "1.0", H(e))
    PKG("h", "nightly-2") WHEEL("h", "nightly-2", H(7))
    PKG("i", "1.0") "index = \"https://pypi.org/simple\"\n" WHEEL("i", "1.0", H(8))
    PKG("j", "1.0") "marker = \"os_name == \\\"posix\\\"\"\n"
    PKG("k", "5.0") SDIST("k", "5.0", H(f))
    PKG("l", "2.0") SDIST("l", "2.0", H(9))
    PKG("m", "1.0") SDIST("m", "1.0", H(a))
    PKG("n", "1.1") SDIST("n", "1.1", H(b))
    PKG("o", "1.0.0")
    PKG("p", "1.0") "wheels = [{ name = \"p-1.0-py3-none-any.whl\", url = \"https://f/p\", hashes = { sha256 = \"" H(c) "\" } },\n"
    "  { name = \"p-1.0-cp313-cp313-linux_x86_64.whl\", url = \"https://f/p2\", hashes = { sha256 = \"" H(0) "\" } }]\n";

static void test_every_kind(void **state)
{
	(void)state;
	expect(OLD_PYLOCK, "old/pylock.toml", NEW_PYLOCK, "new/pylock.toml",
	       "build-from-source - k ->5.0 (only an sdist is locked)\n"
	       "build-from-source - l 1.0->2.0 (only an sdist is locked)\n"
	       "build-from-source - n 1.0->1.1 (only an sdist is locked)\n"
	       "sdist-added - g 1.0->1.0 (an sdist is locked where only wheels were)\n"
	       "hash-changed - f 1.0->1.0 mismatch=1 {f-1.0-py3-none-any.whl sha256:5555>dddd}\n"
	       "hash-changed - p 1.0->1.0 mismatch=0 {p-1.0-cp313-cp313-linux_x86_64.whl sha256:>0000}\n"
	       "added - e ->0.1\n"
	       "added - k ->5.0\n"
	       "removed - d 1.0->\n"
	       "upgraded - b 2.0->2.1\n"
	       "upgraded - l 1.0->2.0\n"
	       "upgraded - n 1.0->1.1\n"
	       "downgraded - c 3.0->2.9\n"
	       "version-changed - h nightly-1->nightly-2\n"
	       "source-changed - i 1.0->1.0 [https://private.example/simple/|https://pypi.org/simple]\n"
	       "marker-changed - j 1.0->1.0 [os_name=='nt'|os_name == \"posix\"]\n");
}

static void test_counts_and_formats(void **state)
{
	(void)state;
	dl_lockdiff *d = NULL;
	assert_int_equal(diff(&d, OLD_PYLOCK, "old/pylock.toml", NEW_PYLOCK, "new/pylock.toml"), 0);
	assert_int_equal(d->old_format, DL_LOCKFILE_PYLOCK);
	assert_int_equal(d->new_format, DL_LOCKFILE_PYLOCK);
	assert_false(d->old_deeplock);
	assert_int_equal(d->n_entries, 16);
	assert_int_equal(d->counts[DL_LOCKDIFF_BUILD_FROM_SOURCE], 3);
	assert_int_equal(d->counts[DL_LOCKDIFF_HASH_CHANGED], 2);
	assert_int_equal(d->counts[DL_LOCKDIFF_UPGRADED], 3);
	assert_int_equal(d->counts[DL_LOCKDIFF_BUILD_ENV_ADDED], 0);
	dl_lockdiff_free(d);

	/* The same lock against itself: nothing. */
	assert_int_equal(diff(&d, NEW_PYLOCK, "pylock.toml", NEW_PYLOCK, "pylock.toml"), 0);
	assert_int_equal(d->n_entries, 0);
	dl_lockdiff_free(d);
}

/* Several entries of one name are paired by version and marker. */
static void test_same_name_entries(void **state)
{
	(void)state;
	static const char old_doc[] = PYLOCK_HEAD
	    PKG("numpy", "1.24.0") "marker = \"python_version < '3.9'\"\n"
	    PKG("numpy", "2.0.0") "marker = \"python_version >= '3.9'\"\n";
	static const char new_doc[] = PYLOCK_HEAD
	    PKG("numpy", "1.24.0") "marker = \"python_version < \\\"3.9\\\"\"\n"
	    PKG("numpy", "2.1.0") "marker = \"python_version >= '3.9'\"\n"
	    PKG("numpy", "2.2.0") "marker = \"python_version >= '3.14'\"\n";
	expect(old_doc, "pylock.toml", new_doc, "pylock.toml",
	       "added - numpy ->2.2.0\n"
	       "upgraded - numpy 2.0.0->2.1.0\n");
}

/* ------------------------------------------------------------------ */
/* Mixed formats                                                         */

static const char OLD_POETRY[] =
    "[[package]]\n"
    "name = \"Requests\"\n"
    "version = \"2.31.0\"\n"
    "description = \"\"\n"
    "optional = false\n"
    "python-versions = \">=3.7\"\n"
    "files = [\n"
    "    {file = \"requests-2.31.0-py3-none-any.whl\", hash = \"sha256:" H(1) "\"},\n"
    "    {file = \"requests-2.31.0.tar.gz\", hash = \"sha256:" H(2) "\"},\n"
    "]\n"
    "\n"
    "[[package]]\n"
    "name = \"internal-lib\"\n"
    "version = \"1.0\"\n"
    "description = \"\"\n"
    "optional = false\n"
    "python-versions = \"*\"\n"
    "files = [\n"
    "    {file = \"internal_lib-1.0-py3-none-any.whl\", hash = \"sha256:" H(3) "\"},\n"
    "]\n"
    "\n"
    "[package.source]\n"
    "type = \"legacy\"\n"
    "url = \"https://pkgs.corp.example/simple\"\n"
    "reference = \"corp\"\n"
    "\n"
    "[[package]]\n"
    "name = \"idna\"\n"
    "version = \"3.4\"\n"
    "description = \"\"\n"
    "optional = false\n"
    "python-versions = \"*\"\n"
    "files = [\n"
    "    {file = \"idna-3.4-py3-none-any.whl\", hash = \"sha256:" H(4) "\"},\n"
    "]\n"
    "\n"
    "[metadata]\n"
    "lock-version = \"2.0\"\n"
    "python-versions = \"^3.8\"\n"
    "content-hash = \"00\"\n";

static const char NEW_PYLOCK_MIXED[] = PYLOCK_HEAD
    PKG("requests", "2.31.0") "index = \"https://pypi.org/simple/\"\n"
    WHEEL("requests", "2.31.0", H(1)) "sdist = { name = \"requests-2.31.0.tar.gz\", url = \"https://f/r.tgz\", hashes = { sha256 = \"" H(9) "\" } }\n"
    PKG("internal-lib", "1.0") "index = \"https://pypi.org/simple\"\n" WHEEL("internal_lib", "1.0", H(3))
    PKG("idna", "3.7") SDIST("idna", "3.7", H(4));

static void test_poetry_against_pylock(void **state)
{
	(void)state;
	dl_lockdiff *d = NULL;
	assert_int_equal(diff(&d, OLD_POETRY, "poetry.lock", NEW_PYLOCK_MIXED, "pylock.toml"), 0);
	assert_int_equal(d->old_format, DL_LOCKFILE_POETRY);
	assert_int_equal(d->new_format, DL_LOCKFILE_PYLOCK);
	dl_lockdiff_free(d);
	expect(OLD_POETRY, "poetry.lock", NEW_PYLOCK_MIXED, "pylock.toml",
	       "build-from-source - idna 3.4->3.7 (only an sdist is locked)\n"
	       "hash-changed - requests 2.31.0->2.31.0 mismatch=1 {requests-2.31.0.tar.gz sha256:2222>9999}\n"
	       "upgraded - idna 3.4->3.7\n"
	       "source-changed - internal-lib 1.0->1.0 [https://pkgs.corp.example/simple|https://pypi.org/simple]\n");
}

static const char OLD_PIPFILE[] =
    "{\"_meta\": {\"hash\": {\"sha256\": \"ff\"}, \"pipfile-spec\": 6, \"requires\": {},\n"
    "  \"sources\": [{\"name\": \"pypi\", \"url\": \"https://pypi.org/simple\", \"verify_ssl\": true}]},\n"
    " \"default\": {\"six\": {\"hashes\": [\"sha256:" H(1) "\", \"sha256:" H(2) "\"], \"version\": \"==1.16.0\"},\n"
    "             \"attrs\": {\"hashes\": [\"sha256:" H(3) "\"], \"version\": \"==23.1.0\"}},\n"
    " \"develop\": {}}\n";
static const char NEW_PIPFILE[] =
    "{\"_meta\": {\"hash\": {\"sha256\": \"ff\"}, \"pipfile-spec\": 6, \"requires\": {},\n"
    "  \"sources\": [{\"name\": \"pypi\", \"url\": \"https://pypi.org/simple\", \"verify_ssl\": true}]},\n"
    " \"default\": {\"six\": {\"hashes\": [\"sha256:" H(1) "\"], \"version\": \"==1.16.0\"},\n"
    "             \"attrs\": {\"hashes\": [\"sha256:" H(3) "\", \"sha256:" H(7) "\"], \"version\": \"==23.1.0\"}},\n"
    " \"develop\": {}}\n";

/* Bare hashes: a hash dropped is no finding, a hash new to a version is. */
static void test_pipfile_bare_hashes(void **state)
{
	(void)state;
	expect(OLD_PIPFILE, "Pipfile.lock", NEW_PIPFILE, "Pipfile.lock",
	       "hash-changed - attrs 23.1.0->23.1.0 mismatch=0 {? sha256:>7777}\n");
	/* Pipfile.lock's bare hashes against pylock's named files. */
	static const char pylock[] = PYLOCK_HEAD PKG("six", "1.16.0") WHEEL("six", "1.16.0", H(2))
	    PKG("attrs", "23.1.0") WHEEL("attrs", "23.1.0", H(8));
	expect(OLD_PIPFILE, "Pipfile.lock", pylock, "pylock.toml",
	       "hash-changed - attrs 23.1.0->23.1.0 mismatch=0 {? sha256:3333>} {attrs-23.1.0-py3-none-any.whl sha256:>8888}\n");
}

/* pipenv's pylock writes one wheel entry per hash, all with one name: a
 * name is a multi-map, and only a hash none of them has is a change. */
static void test_repeated_file_names(void **state)
{
	(void)state;
	#define TWO(a, b) "wheels = [{ name = \"x-1.0-py3-none-any.whl\", url = \"u\", hashes = { sha256 = \"" a "\" } },\n" \
	                  "  { name = \"x-1.0-py3-none-any.whl\", url = \"u\", hashes = { sha256 = \"" b "\" } }]\n"
	static const char old_doc[] = PYLOCK_HEAD PKG("x", "1.0") TWO(H(1), H(2));
	static const char same[] = PYLOCK_HEAD PKG("x", "1.0") TWO(H(2), H(1));
	static const char changed[] = PYLOCK_HEAD PKG("x", "1.0") TWO(H(1), H(3));
	#undef TWO
	expect(old_doc, "pylock.toml", same, "pylock.toml", "");
	expect(old_doc, "pylock.toml", changed, "pylock.toml",
	       "hash-changed - x 1.0->1.0 mismatch=1 {x-1.0-py3-none-any.whl sha256:1111>3333}\n");
}

/* ------------------------------------------------------------------ */
/* deeplock locks with build environments                                */

static const dl_lock_file W_ALPHA[] = {{"alpha-1.0-py3-none-any.whl", "http://i/alpha.whl", 1, NULL, H(1)}};
static const dl_lock_file S_BETA = {"beta-2.0.tar.gz", "http://i/beta.tgz", 1, NULL, H(2)};
static const dl_lock_file S_GAMMA = {"gamma-1.0.tar.gz", "http://i/gamma.tgz", 1, NULL, H(3)};
static const dl_lock_file W_ST69[] = {{"setuptools-69.0.2-py3-none-any.whl", "http://i/st.whl", 1, NULL, H(4)}};
static const dl_lock_file W_ST691[] = {{"setuptools-69.1.0-py3-none-any.whl", "http://i/st1.whl", 1, NULL, H(5)}};
static const dl_lock_file W_WHEEL[] = {{"wheel-0.42.0-py3-none-any.whl", "http://i/wheel.whl", 1, NULL, H(6)}};
static const dl_lock_file W_FLIT[] = {{"flit_core-3.9.0-py3-none-any.whl", "http://i/flit.whl", 1, NULL, H(7)}};
static const char *const ROOT[] = {"<project>"};
static const char *const ST_REQS[] = {"setuptools>=61", "wheel"};
static const char *const FLIT_REQS[] = {"flit_core>=3"};
static const char *const BY_ST[] = {"build-env:setuptools+wheel-x"};
static const char *const BY_FLIT[] = {"build-env:flit-core-y"};
static const char *const BETA_B[] = {"beta==2.0"};
static const char *const GAMMA_B[] = {"gamma==1.0"};

static char *write_lock(const dl_lock *l)
{
	dl_buf b = DL_BUF_INIT;
	assert_int_equal(dl_lock_write_pylock(l, &b), 0);
	return dl_buf_detach(&b, NULL);
}

static char *old_deeplock, *new_deeplock;

static void make_deeplock_locks(void)
{
	if (old_deeplock != NULL)
		return;
	dl_lock_pkg rt[3], env1[2], env2[1];
	dl_lock_env envs[2];
	rt[0] = (dl_lock_pkg){.name = "alpha", .version = "1.0", .wheels = W_ALPHA, .n_wheels = 1,
	                      .required_by = ROOT, .n_required_by = 1};
	rt[1] = (dl_lock_pkg){.name = "beta", .version = "2.0", .sdist = &S_BETA, .required_by = ROOT,
	                      .n_required_by = 1, .build_env = "setuptools+wheel-x", .builds_from_source = true};
	rt[2] = (dl_lock_pkg){.name = "gamma", .version = "1.0", .sdist = &S_GAMMA, .required_by = ROOT,
	                      .n_required_by = 1, .build_env = "flit-core-y", .builds_from_source = true};
	env1[0] = (dl_lock_pkg){.name = "setuptools", .version = "69.0.2", .wheels = W_ST69, .n_wheels = 1,
	                        .required_by = BY_ST, .n_required_by = 1};
	env1[1] = (dl_lock_pkg){.name = "wheel", .version = "0.42.0", .wheels = W_WHEEL, .n_wheels = 1,
	                        .required_by = BY_ST, .n_required_by = 1};
	env2[0] = (dl_lock_pkg){.name = "flit-core", .version = "3.9.0", .wheels = W_FLIT, .n_wheels = 1,
	                        .required_by = BY_FLIT, .n_required_by = 1};
	envs[0] = (dl_lock_env){"setuptools+wheel-x", ST_REQS, 2, BETA_B, 1, env1, 2};
	envs[1] = (dl_lock_env){"flit-core-y", FLIT_REQS, 1, GAMMA_B, 1, env2, 1};
	dl_lock old = {.packages = rt, .n_packages = 2, .envs = envs, .n_envs = 1, .build_policy = "needed"};
	old_deeplock = write_lock(&old);
	/* New: gamma (built in a new flit environment) and setuptools 69.1.0. */
	env1[0].version = "69.1.0";
	env1[0].wheels = W_ST691;
	dl_lock new = {.packages = rt, .n_packages = 3, .envs = envs, .n_envs = 2, .build_policy = "needed"};
	new_deeplock = write_lock(&new);
}

static void test_deeplock_build_envs(void **state)
{
	(void)state;
	make_deeplock_locks();
	dl_lockdiff *d = NULL;
	assert_int_equal(diff(&d, old_deeplock, "a/pylock.toml", new_deeplock, "b/pylock.toml"), 0);
	assert_true(d->old_deeplock);
	assert_true(d->new_deeplock);
	dl_lockdiff_free(d);
	expect(old_deeplock, "a/pylock.toml", new_deeplock, "b/pylock.toml",
	       "build-from-source - gamma ->1.0 (builds-from-source: an installer will build it)\n"
	       "build-env-added flit-core-y - -> (a new build environment) requires=flit_core>=3\n"
	       "build-env-package flit-core-y flit-core ->3.9.0 (new in the build environment)\n"
	       "build-env-package setuptools+wheel-x setuptools 69.0.2->69.1.0 (a new version in the build environment)\n"
	       "added - gamma ->1.0\n");
	/* Backwards: the environment goes away, the version goes back. */
	expect(new_deeplock, "b/pylock.toml", old_deeplock, "a/pylock.toml",
	       "build-env-package setuptools+wheel-x setuptools 69.1.0->69.0.2 (a new version in the build environment)\n"
	       "removed - gamma 1.0->\n"
	       "build-env-removed flit-core-y - -> requires=flit_core>=3\n");
}

/* A poetry lock replaced by a deeplock lock: every build environment is new. */
static void test_poetry_to_deeplock(void **state)
{
	(void)state;
	make_deeplock_locks();
	static const char poetry[] =
	    "[[package]]\nname = \"alpha\"\nversion = \"1.0\"\ndescription = \"\"\noptional = false\n"
	    "python-versions = \"*\"\nfiles = [{file = \"alpha-1.0-py3-none-any.whl\", hash = \"sha256:" H(1) "\"}]\n"
	    "[[package]]\nname = \"beta\"\nversion = \"2.0\"\ndescription = \"\"\noptional = false\n"
	    "python-versions = \"*\"\nfiles = [{file = \"beta-2.0.tar.gz\", hash = \"sha256:" H(2) "\"}]\n"
	    "[metadata]\nlock-version = \"2.0\"\npython-versions = \"*\"\ncontent-hash = \"00\"\n";
	expect(poetry, "poetry.lock", old_deeplock, "pylock.toml",
	       "build-env-added setuptools+wheel-x - -> (a new build environment) requires=setuptools>=61,wheel\n"
	       "build-env-package setuptools+wheel-x setuptools ->69.0.2 (new in the build environment)\n"
	       "build-env-package setuptools+wheel-x wheel ->0.42.0 (new in the build environment)\n");
}

/* ------------------------------------------------------------------ */
/* Errors                                                                */

static void test_errors(void **state)
{
	(void)state;
	dl_lockdiff *d = NULL;
	static const char bad[] = PYLOCK_HEAD "[[packages]]\nname = 3\n";
	assert_int_equal(diff(&d, OLD_PYLOCK, "pylock.toml", bad, "new/pylock.toml"), DL_EPARSE);
	assert_null(d);
	const char *m = dl_error_last()->message;
	assert_non_null(strstr(m, "new/pylock.toml:4:8:"));
	assert_non_null(strstr(m, "while reading the new lock new/pylock.toml"));

	static const char what[] = "just some words\n";
	assert_int_equal(diff(&d, what, "notes.md", OLD_PYLOCK, "pylock.toml"), DL_EINVAL);
	assert_non_null(strstr(dl_error_last()->message, "notes.md: cannot tell the lock-file format"));
	assert_non_null(strstr(dl_error_last()->message, "while reading the old lock notes.md"));

	/* Requirements locks are read; one that includes other files is not a
	 * lock on its own and is refused. */
	static const char reqs[] = "requests==2.0\n-r base.txt\n";
	assert_int_equal(diff(&d, reqs, "requirements.txt", OLD_PYLOCK, "pylock.toml"), DL_EUNSUPPORTED);
	assert_non_null(strstr(dl_error_last()->message, "requirements.txt:2:1: '-r base.txt' includes another file"));

	/* A forced format wins over the name. */
	dl_lockdiff_input o = {OLD_PYLOCK, strlen(OLD_PYLOCK), "x", "poetry.lock", DL_LOCKFILE_PYLOCK};
	dl_lockdiff_input n = {NEW_PYLOCK, strlen(NEW_PYLOCK), "y", NULL, DL_LOCKFILE_PYLOCK};
	assert_int_equal(dl_lockdiff_compute(&d, &o, &n), 0);
	assert_int_equal(d->n_entries, 16);
	dl_lockdiff_free(d);
	o.format = DL_LOCKFILE_POETRY;
	assert_int_equal(dl_lockdiff_compute(&d, &o, &n), DL_EPARSE);
	assert_int_equal(dl_lockdiff_compute(&d, NULL, &n), DL_EINVAL);
	dl_lockdiff_free(NULL);
}

static void test_kind_names(void **state)
{
	(void)state;
	assert_string_equal(dl_lockdiff_kind_name(DL_LOCKDIFF_HASH_CHANGED), "hash-changed");
	assert_string_equal(dl_lockdiff_kind_name(DL_LOCKDIFF_BUILD_ENV_REMOVED), "build-env-removed");
	assert_string_equal(dl_lockdiff_kind_name(DL_LOCKDIFF_KIND_COUNT), "unknown");
	assert_true(dl_lockdiff_kind_is_build(DL_LOCKDIFF_BUILD_ENV_PACKAGE));
	assert_false(dl_lockdiff_kind_is_build(DL_LOCKDIFF_HASH_CHANGED));
}

/* ------------------------------------------------------------------ */
/* Allocation failures                                                   */

typedef struct pair_ctx {
	const char *o, *on, *n, *nn;
} pair_ctx;

static int run_pair(void *p)
{
	pair_ctx *c = p;
	dl_lockdiff *d = NULL;
	int rc = diff(&d, c->o, c->on, c->n, c->nn);
	dl_lockdiff_free(d);
	return rc;
}

static void test_alloc_failures(void **state)
{
	(void)state;
	make_deeplock_locks();
	pair_ctx cases[] = {
	    {OLD_PYLOCK, "pylock.toml", NEW_PYLOCK, "pylock.toml"},
	    {OLD_POETRY, "poetry.lock", NEW_PYLOCK_MIXED, "pylock.toml"},
	    {OLD_PIPFILE, "Pipfile.lock", NEW_PIPFILE, "Pipfile.lock"},
	    {old_deeplock, "pylock.toml", new_deeplock, "pylock.toml"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		dltest_each_alloc_failure(run_pair, &cases[i]);
}

static int teardown(void **state)
{
	(void)state;
	dl_free(old_deeplock);
	dl_free(new_deeplock);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_kind),        cmocka_unit_test(test_counts_and_formats),
	    cmocka_unit_test(test_same_name_entries), cmocka_unit_test(test_poetry_against_pylock),
	    cmocka_unit_test(test_pipfile_bare_hashes), cmocka_unit_test(test_repeated_file_names),
	    cmocka_unit_test(test_deeplock_build_envs),
	    cmocka_unit_test(test_poetry_to_deeplock), cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_kind_names),        cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
