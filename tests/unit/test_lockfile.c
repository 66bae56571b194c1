/*
 * test_lockfile.c - the lock-file readers on small inline documents: one
 * of each format read into the model, every error path with its exact
 * message position, detection, and allocation failures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deeplock/lockfile.h"
#include "dltest.h"

static dl_lockfile *parse_ok(dl_lockfile_format fmt, const char *doc, const char *source)
{
	dl_lockfile *lock = NULL;
	int rc = dl_lockfile_parse(&lock, fmt, doc, strlen(doc), source);
	if (rc != 0)
		fail_msg("unexpected failure: %s", dl_error_last()->message);
	return lock;
}

/* Parse must fail with `code` and a message starting with `prefix`. */
static void parse_fails(dl_lockfile_format fmt, const char *doc, const char *source, int code, const char *prefix)
{
	dl_lockfile *lock = (dl_lockfile *)0x1;
	int rc = dl_lockfile_parse(&lock, fmt, doc, strlen(doc), source);
	if (rc != code)
		fail_msg("expected %d, got %d (%s)", code, rc, dl_error_last()->message);
	assert_ptr_equal(lock, (dl_lockfile *)0x1);
	assert_int_equal(dl_error_last()->code, code);
	const char *msg = dl_error_last()->message;
	if (strncmp(msg, prefix, strlen(prefix)) != 0)
		fail_msg("message\n  %s\ndoes not start with\n  %s", msg, prefix);
}

/* ------------------------------------------------------------------ */

static const char pylock_doc[] =
	"lock-version = \"1.0\"\n"
	"created-by = \"test\"\n"
	"requires-python = \">=3.9\"\n"
	"environments = [\"sys_platform == 'linux'\"]\n"
	"dependency-groups = [\"dev\"]\n"
	"default-groups = [\"default\"]\n"
	"\n"
	"[[packages]]\n"
	"name = \"Foo.Bar\"\n"
	"version = \"1.0\"\n"
	"marker = \"python_version >= '3.9'\"\n"
	"index = \"https://example.org/simple\"\n"
	"sdist = { url = \"https://example.org/foo.bar-1.0.tar.gz\", size = 10, hashes = { sha256 = \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\" } }\n"
	"wheels = [{ name = \"foo_bar-1.0-py3-none-any.whl\", url = \"https://example.org/w.whl\", upload-time = 2025-01-02T03:04:05Z, hashes = { sha256 = \"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\", md5 = \"cccccccccccccccccccccccccccccccc\" } }]\n"
	"dependencies = [{ name = \"dep\", version = \"2\" }]\n"
	"\n"
	"[[packages]]\n"
	"name = \"gitpkg\"\n"
	"vcs = { type = \"git\", url = \"https://g/x.git\", requested-revision = \"main\", commit-id = \"abc\" }\n"
	"\n"
	"[[packages]]\n"
	"name = \"local\"\n"
	"directory = { path = \"src\", editable = true }\n"
	"[tool.x]\n"
	"anything = 1\n";

static void test_pylock(void **state)
{
	(void)state;
	dl_lockfile *lock = parse_ok(DL_LOCKFILE_PYLOCK, pylock_doc, "pylock.toml");
	assert_int_equal(lock->format, DL_LOCKFILE_PYLOCK);
	assert_string_equal(lock->format_version, "1.0");
	assert_int_equal(lock->format_version_pos.line, 1);
	assert_int_equal(lock->format_version_pos.column, 16);
	assert_string_equal(lock->created_by, "test");
	assert_string_equal(lock->requires_python, ">=3.9");
	assert_int_equal(lock->n_environments, 1);
	assert_int_equal(lock->n_groups, 1);
	assert_string_equal(lock->default_groups[0], "default");
	assert_int_equal(lock->n_indexes, 1);
	assert_string_equal(lock->indexes[0].url, "https://example.org/simple");
	assert_int_equal(lock->n_packages, 3);

	const dl_lockfile_package *p = &lock->packages[0];
	assert_string_equal(p->name, "Foo.Bar");
	assert_string_equal(p->normalized_name, "foo-bar");
	assert_string_equal(p->version, "1.0");
	assert_true(p->version_valid);
	assert_int_equal(p->pos.line, 8);
	assert_int_equal(p->name_pos.line, 9);
	assert_int_equal(p->name_pos.column, 8);
	assert_int_equal(p->source.kind, DL_LOCKFILE_SOURCE_REGISTRY);
	assert_int_equal(p->has_sdist, DL_LOCKFILE_YES);
	assert_int_equal(p->n_files, 2);
	assert_int_equal(p->files[0].kind, DL_LOCKFILE_FILE_SDIST);
	assert_string_equal(p->files[0].filename, "foo.bar-1.0.tar.gz");
	assert_int_equal(p->files[0].size, 10);
	/* hex is stored lower case */
	assert_string_equal(p->files[0].hashes[0].hex, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	assert_int_equal(p->files[1].kind, DL_LOCKFILE_FILE_WHEEL);
	assert_int_equal(p->files[1].n_hashes, 2);
	assert_string_equal(p->files[1].hashes[1].algorithm, "md5");
	assert_string_equal(p->files[1].upload_time, "2025-01-02T03:04:05Z");
	assert_int_equal(p->files[1].size, -1);
	assert_int_equal(p->n_deps, 1);
	assert_string_equal(p->deps[0].version, "2");

	p = &lock->packages[1];
	assert_null(p->version);
	assert_false(p->version_valid);
	assert_int_equal(p->source.kind, DL_LOCKFILE_SOURCE_VCS);
	assert_string_equal(p->source.vcs, "git");
	assert_string_equal(p->source.commit, "abc");
	assert_string_equal(p->source.requested_revision, "main");
	assert_int_equal(p->has_sdist, DL_LOCKFILE_NO);

	p = &lock->packages[2];
	assert_int_equal(p->source.kind, DL_LOCKFILE_SOURCE_DIRECTORY);
	assert_true(p->source.editable);
	assert_string_equal(p->source.path, "src");
	dl_lockfile_free(lock);
}

static void test_pylock_errors(void **state)
{
	(void)state;
	parse_fails(DL_LOCKFILE_PYLOCK, "created-by = \"x\"\npackages = []\n", "pylock.toml", DL_EPARSE,
	            "pylock.toml:1:1: missing key 'lock-version'");
	parse_fails(DL_LOCKFILE_PYLOCK, "lock-version = \"2.0\"\ncreated-by = \"x\"\npackages = []\n", "pylock.toml",
	            DL_EUNSUPPORTED, "pylock.toml:1:16: lock-version 2.0 is not supported");
	parse_fails(DL_LOCKFILE_PYLOCK, "lock-version = \"one\"\ncreated-by = \"x\"\npackages = []\n", "pylock.toml",
	            DL_EPARSE, "pylock.toml:1:16: 'lock-version' must be a version");
	parse_fails(DL_LOCKFILE_PYLOCK, "lock-version = 1\ncreated-by = \"x\"\npackages = []\n", "pylock.toml",
	            DL_EPARSE, "pylock.toml:1:16: 'lock-version' must be a string, found integer");
	parse_fails(DL_LOCKFILE_PYLOCK,
	            "lock-version = \"1.0\"\ncreated-by = \"x\"\n[[packages]]\nname = \"a\"\nversion = 3\n",
	            "pylock.toml", DL_EPARSE, "pylock.toml:5:11: 'packages[0].version' must be a string, found integer");
	parse_fails(DL_LOCKFILE_PYLOCK, "lock-version = \"1.0\"\ncreated-by = \"x\"\n[[packages]]\nname = \"-bad\"\n",
	            "pylock.toml", DL_EPARSE, "pylock.toml:4:8: invalid project name '-bad'");
	parse_fails(DL_LOCKFILE_PYLOCK,
	            "lock-version = \"1.0\"\ncreated-by = \"x\"\n[[packages]]\nname = \"a\"\n"
	            "sdist = { url = \"u\", hashes = { sha256 = \"abc\" } }\n",
	            "pylock.toml", DL_EPARSE, "pylock.toml:5:42: invalid hash 'sha256:abc': the hash value has the wrong length");
	parse_fails(DL_LOCKFILE_PYLOCK,
	            "lock-version = \"1.0\"\ncreated-by = \"x\"\n[[packages]]\nname = \"a\"\n"
	            "sdist = { url = \"u\", hashes = {} }\n",
	            "pylock.toml", DL_EPARSE, "pylock.toml:5:31: 'hashes' must hold at least one hash");
	parse_fails(DL_LOCKFILE_PYLOCK,
	            "lock-version = \"1.0\"\ncreated-by = \"x\"\n[[packages]]\nname = \"a\"\n"
	            "sdist = { hashes = { sha1 = \"0000000000000000000000000000000000000000\" } }\n",
	            "pylock.toml", DL_EPARSE, "pylock.toml:5:9: a file needs 'url' or 'path'");
	parse_fails(DL_LOCKFILE_PYLOCK,
	            "lock-version = \"1.0\"\ncreated-by = \"x\"\n[[packages]]\nname = \"a\"\n"
	            "directory = { path = \".\" }\nvcs = { type = \"git\", url = \"u\", commit-id = \"c\" }\n",
	            "pylock.toml", DL_EPARSE, "pylock.toml:3:1: package 'a' names more than one source");
	parse_fails(DL_LOCKFILE_PYLOCK,
	            "lock-version = \"1.0\"\ncreated-by = \"x\"\n[[packages]]\nname = \"a\"\n"
	            "vcs = { type = \"git\", url = \"u\" }\n",
	            "pylock.toml", DL_EPARSE, "pylock.toml:5:7: missing key 'commit-id' in 'packages[0].vcs'");
	parse_fails(DL_LOCKFILE_PYLOCK,
	            "lock-version = \"1.0\"\ncreated-by = \"x\"\n[[packages]]\nname = \"a\"\n"
	            "sdist = { url = \"u\", upload-time = \"yesterday\", hashes = { x = \"00\" } }\n",
	            "pylock.toml", DL_EPARSE, "pylock.toml:5:36: 'upload-time' must be a date-time, found string");
	/* a TOML syntax error keeps the TOML reader's position */
	parse_fails(DL_LOCKFILE_PYLOCK, "lock-version = \"1.0\"\ncreated-by = \n", "pylock.toml", DL_EPARSE,
	            "pylock.toml:2:");
	/* a newer minor version is read */
	dl_lockfile *lock = parse_ok(DL_LOCKFILE_PYLOCK, "lock-version = \"1.7\"\ncreated-by = \"x\"\npackages = []\nnew-key = 1\n",
	                             "pylock.toml");
	assert_string_equal(lock->format_version, "1.7");
	dl_lockfile_free(lock);
}

/* ------------------------------------------------------------------ */

static const char poetry2_doc[] =
	"[[package]]\n"
	"name = \"requests\"\n"
	"version = \"2.0\"\n"
	"description = \"\"\n"
	"optional = false\n"
	"python-versions = \">=3.8\"\n"
	"groups = [\"main\", \"dev\"]\n"
	"markers = {main = \"os_name == 'nt'\"}\n"
	"files = [\n"
	"    {file = \"requests-2.0.tar.gz\", hash = \"sha256:1111111111111111111111111111111111111111111111111111111111111111\"},\n"
	"]\n"
	"\n"
	"[package.dependencies]\n"
	"idna = \">=2\"\n"
	"six = {version = \"*\", markers = \"python_version < '3'\", extras = [\"x\"]}\n"
	"multi = [{version = \"<2\", markers = \"a\"}, {version = \">=2\", markers = \"b\"}]\n"
	"\n"
	"[[package]]\n"
	"name = \"devonly\"\n"
	"version = \"not-pep-440\"\n"
	"optional = true\n"
	"groups = [\"dev\"]\n"
	"files = []\n"
	"develop = true\n"
	"\n"
	"[package.source]\n"
	"type = \"directory\"\n"
	"url = \"../devonly\"\n"
	"\n"
	"[[package]]\n"
	"name = \"private\"\n"
	"version = \"1\"\n"
	"files = []\n"
	"[package.source]\n"
	"type = \"legacy\"\n"
	"url = \"https://private/simple\"\n"
	"reference = \"corp\"\n"
	"\n"
	"[metadata]\n"
	"lock-version = \"2.1\"\n"
	"python-versions = \"^3.8\"\n"
	"content-hash = \"abc\"\n";

static void test_poetry2(void **state)
{
	(void)state;
	dl_lockfile *lock = parse_ok(DL_LOCKFILE_POETRY, poetry2_doc, "poetry.lock");
	assert_string_equal(lock->format_version, "2.1");
	assert_int_equal(lock->format_version_pos.line, 40);
	assert_string_equal(lock->requires_python, "^3.8");
	assert_string_equal(lock->content_hash, "abc");
	assert_int_equal(lock->n_packages, 3);
	assert_int_equal(lock->n_groups, 2);
	const dl_lockfile_package *p = &lock->packages[0];
	assert_int_equal(p->source.kind, DL_LOCKFILE_SOURCE_REGISTRY);
	assert_null(p->source.url);
	assert_int_equal(p->has_sdist, DL_LOCKFILE_YES);
	assert_int_equal(p->dev, DL_LOCKFILE_NO);
	assert_int_equal(p->optional, DL_LOCKFILE_NO);
	assert_string_equal(p->groups[0].marker, "os_name == 'nt'");
	assert_null(p->groups[1].marker);
	assert_int_equal(p->n_deps, 4);
	assert_string_equal(p->deps[0].specifier, ">=2");
	assert_int_equal(p->deps[0].pos.line, 14);
	assert_int_equal(p->deps[0].pos.column, 8);
	assert_string_equal(p->deps[1].marker, "python_version < '3'");
	assert_int_equal(p->deps[1].n_extras, 1);
	assert_string_equal(p->deps[2].name, "multi");
	assert_string_equal(p->deps[3].marker, "b");
	p = &lock->packages[1];
	assert_false(p->version_valid);
	assert_string_equal(p->version, "not-pep-440");
	assert_int_equal(p->dev, DL_LOCKFILE_YES);
	assert_int_equal(p->optional, DL_LOCKFILE_YES);
	assert_int_equal(p->source.kind, DL_LOCKFILE_SOURCE_DIRECTORY);
	assert_true(p->source.editable);
	assert_int_equal(p->has_sdist, DL_LOCKFILE_NO);
	p = &lock->packages[2];
	assert_string_equal(p->source.url, "https://private/simple");
	assert_string_equal(p->source.index_name, "corp");
	assert_int_equal(lock->n_indexes, 1);
	assert_string_equal(lock->indexes[0].name, "corp");
	dl_lockfile_free(lock);
}

static void test_poetry1(void **state)
{
	(void)state;
	const char *doc = "[[package]]\nname = \"Six\"\nversion = \"1.0\"\ncategory = \"dev\"\n"
	                  "[[package]]\nname = \"old\"\nversion = \"2\"\ncategory = \"main\"\n"
	                  "[metadata]\nlock-version = \"1.1\"\ncontent-hash = \"x\"\n"
	                  "[metadata.files]\nsix = [\n"
	                  "  {file = \"six-1.0-py3-none-any.whl\", hash = \"sha256:2222222222222222222222222222222222222222222222222222222222222222\"},\n"
	                  "]\n"
	                  "[metadata.hashes]\nold = [\"3333333333333333333333333333333333333333333333333333333333333333\"]\n";
	dl_lockfile *lock = parse_ok(DL_LOCKFILE_POETRY, doc, "poetry.lock");
	const dl_lockfile_package *p = &lock->packages[0];
	assert_int_equal(p->dev, DL_LOCKFILE_YES);
	assert_int_equal(p->n_files, 1);
	assert_int_equal(p->has_sdist, DL_LOCKFILE_NO);
	assert_string_equal(p->groups[0].name, "dev");
	p = &lock->packages[1];
	assert_int_equal(p->dev, DL_LOCKFILE_NO);
	assert_int_equal(p->n_files, 1);
	assert_null(p->files[0].filename);
	assert_string_equal(p->files[0].hashes[0].algorithm, "sha256");
	assert_int_equal(p->has_sdist, DL_LOCKFILE_UNKNOWN);
	assert_int_equal(p->files[0].pos.line, 17);
	dl_lockfile_free(lock);
}

static void test_poetry_errors(void **state)
{
	(void)state;
	parse_fails(DL_LOCKFILE_POETRY, "[[package]]\nname = \"a\"\nversion = \"1\"\n", "poetry.lock", DL_EPARSE,
	            "poetry.lock:1:1: missing table [metadata]");
	parse_fails(DL_LOCKFILE_POETRY, "[metadata]\nlock-version = \"3.0\"\n", "poetry.lock", DL_EUNSUPPORTED,
	            "poetry.lock:2:16: poetry.lock lock-version 3.0 is not supported");
	parse_fails(DL_LOCKFILE_POETRY,
	            "[[package]]\nname = \"a\"\nversion = 1\n[metadata]\nlock-version = \"2.0\"\n", "poetry.lock",
	            DL_EPARSE, "poetry.lock:3:11: 'package[0].version' must be a string, found integer");
	parse_fails(DL_LOCKFILE_POETRY,
	            "[[package]]\nname = \"a\"\nversion = \"1\"\n"
	            "files = [{file = \"a.whl\", hash = \"sha256-nocolon\"}]\n[metadata]\nlock-version = \"2.0\"\n",
	            "poetry.lock", DL_EPARSE, "poetry.lock:4:34: invalid hash 'sha256-nocolon': expected 'algorithm:hexdigits'");
	parse_fails(DL_LOCKFILE_POETRY,
	            "[[package]]\nname = \"a\"\nversion = \"1\"\n[package.dependencies]\nb = 3\n"
	            "[metadata]\nlock-version = \"2.0\"\n",
	            "poetry.lock", DL_EPARSE, "poetry.lock:5:5: dependency 'b' must be a constraint string or a table");
	parse_fails(DL_LOCKFILE_POETRY,
	            "[[package]]\nname = \"a\"\nversion = \"1\"\nmarkers = 1\n[metadata]\nlock-version = \"2.0\"\n",
	            "poetry.lock", DL_EPARSE, "poetry.lock:4:11: 'markers' must be a string or a table, found integer");
	parse_fails(DL_LOCKFILE_POETRY,
	            "[[package]]\nname = \"a\"\nversion = \"1\"\n[package.source]\nurl = \"x\"\n"
	            "[metadata]\nlock-version = \"2.0\"\n",
	            "poetry.lock", DL_EPARSE, "poetry.lock:4:1: missing key 'type' in 'package[0].source'");
}

/* ------------------------------------------------------------------ */

static const char pdm_doc[] =
	"[metadata]\n"
	"groups = [\"default\", \"test\"]\n"
	"lock_version = \"4.5.0\"\n"
	"content_hash = \"sha256:00\"\n"
	"[[metadata.targets]]\n"
	"requires_python = \">=3.10\"\n"
	"[[package]]\n"
	"name = \"coverage\"\n"
	"version = \"7.0\"\n"
	"extras = [\"toml\"]\n"
	"groups = [\"test\"]\n"
	"marker = \"python_version >= '3.10'\"\n"
	"dependencies = [\"coverage==7.0\", \"tomli[a, b]>=1; python_full_version <= \\\"3.11.0a6\\\"\", \"x @ https://h/x.zip ; os_name == 'nt'\"]\n"
	"files = [{url = \"https://h/coverage-7.0.tar.gz\", hash = \"sha256:4444444444444444444444444444444444444444444444444444444444444444\"}]\n"
	"[[package]]\n"
	"name = \"gitdep\"\n"
	"version = \"0.1\"\n"
	"git = \"https://g/r.git\"\n"
	"ref = \"main\"\n"
	"revision = \"deadbeef\"\n"
	"[[package]]\n"
	"name = \"localdep\"\n"
	"version = \"0.1\"\n"
	"path = \"./local\"\n"
	"editable = true\n";

static void test_pdm(void **state)
{
	(void)state;
	dl_lockfile *lock = parse_ok(DL_LOCKFILE_PDM, pdm_doc, "pdm.lock");
	assert_string_equal(lock->format_version, "4.5.0");
	assert_string_equal(lock->requires_python, ">=3.10");
	assert_int_equal(lock->requires_python_pos.line, 6);
	assert_int_equal(lock->n_groups, 2);
	assert_string_equal(lock->content_hash, "sha256:00");
	const dl_lockfile_package *p = &lock->packages[0];
	assert_int_equal(p->n_extras, 1);
	assert_string_equal(p->extras[0], "toml");
	assert_string_equal(p->files[0].filename, "coverage-7.0.tar.gz");
	assert_int_equal(p->has_sdist, DL_LOCKFILE_YES);
	assert_int_equal(p->n_deps, 3);
	assert_string_equal(p->deps[0].specifier, "==7.0");
	assert_null(p->deps[0].marker);
	assert_string_equal(p->deps[1].name, "tomli");
	assert_int_equal(p->deps[1].n_extras, 2);
	assert_string_equal(p->deps[1].extras[1], "b");
	assert_string_equal(p->deps[1].specifier, ">=1");
	assert_string_equal(p->deps[1].marker, "python_full_version <= \"3.11.0a6\"");
	assert_string_equal(p->deps[2].specifier, "@ https://h/x.zip");
	assert_string_equal(p->deps[2].marker, "os_name == 'nt'");
	assert_int_equal(p->dev, DL_LOCKFILE_UNKNOWN);
	p = &lock->packages[1];
	assert_int_equal(p->source.kind, DL_LOCKFILE_SOURCE_VCS);
	assert_string_equal(p->source.commit, "deadbeef");
	assert_string_equal(p->source.requested_revision, "main");
	assert_int_equal(p->source.pos.line, 18);
	p = &lock->packages[2];
	assert_int_equal(p->source.kind, DL_LOCKFILE_SOURCE_DIRECTORY);
	assert_true(p->source.editable);
	dl_lockfile_free(lock);
}

static void test_pdm_errors(void **state)
{
	(void)state;
	parse_fails(DL_LOCKFILE_PDM, "[metadata]\nlock_version = \"5.0\"\n", "pdm.lock", DL_EUNSUPPORTED,
	            "pdm.lock:2:16: pdm.lock lock_version 5.0 is not supported");
	parse_fails(DL_LOCKFILE_PDM, "[metadata]\nlock_version = \"3.1\"\n", "pdm.lock", DL_EUNSUPPORTED,
	            "pdm.lock:2:16: pdm.lock lock_version 3.1 is not supported");
	parse_fails(DL_LOCKFILE_PDM, "[metadata]\ngroups = []\n", "pdm.lock", DL_EPARSE,
	            "pdm.lock:1:1: missing key 'lock_version' in 'metadata'");
	parse_fails(DL_LOCKFILE_PDM,
	            "[metadata]\nlock_version = \"4.0\"\n[[package]]\nname = \"a\"\ndependencies = [\"!bad\"]\n",
	            "pdm.lock", DL_EPARSE, "pdm.lock:5:17: invalid project name ''");
	parse_fails(DL_LOCKFILE_PDM,
	            "[metadata]\nlock_version = \"4.0\"\n[[package]]\nname = \"a\"\ndependencies = [\"b[x\"]\n",
	            "pdm.lock", DL_EPARSE, "pdm.lock:5:17: dependency 'b[x': '[' without ']'");
	parse_fails(DL_LOCKFILE_PDM,
	            "[metadata]\nlock_version = \"4.0\"\n[[package]]\nname = \"a\"\nfiles = [{hash = \"sha256:00\"}]\n",
	            "pdm.lock", DL_EPARSE, "pdm.lock:5:10: a file needs 'file' or 'url'");
}

/* ------------------------------------------------------------------ */

static const char pipfile_doc[] =
	"{\n"
	"    \"_meta\": {\n"
	"        \"hash\": {\"sha256\": \"ff\"},\n"
	"        \"pipfile-spec\": 6,\n"
	"        \"requires\": {\"python_version\": \"3.11\"},\n"
	"        \"sources\": [{\"name\": \"pypi\", \"url\": \"https://pypi.org/simple\", \"verify_ssl\": true}]\n"
	"    },\n"
	"    \"default\": {\n"
	"        \"requests\": {\n"
	"            \"hashes\": [\"sha256:5555555555555555555555555555555555555555555555555555555555555555\",\n"
	"                       \"sha256:6666666666666666666666666666666666666666666666666666666666666666\"],\n"
	"            \"index\": \"pypi\",\n"
	"            \"markers\": \"python_version >= '3.7'\",\n"
	"            \"version\": \"==2.31.0\"\n"
	"        },\n"
	"        \"loc\\u0061l\": {\"editable\": true, \"path\": \".\"}\n"
	"    },\n"
	"    \"develop\": {\n"
	"        \"vcs\": {\"git\": \"https://g/r.git\", \"ref\": \"0123456789abcdef0123456789abcdef01234567\"}\n"
	"    },\n"
	"    \"custom\": {}\n"
	"}\n";

static void test_pipfile(void **state)
{
	(void)state;
	dl_lockfile *lock = parse_ok(DL_LOCKFILE_PIPFILE, pipfile_doc, "Pipfile.lock");
	assert_string_equal(lock->format_version, "6");
	assert_int_equal(lock->format_version_pos.line, 4);
	assert_int_equal(lock->format_version_pos.column, 25);
	assert_string_equal(lock->requires_python, "==3.11.*");
	assert_string_equal(lock->content_hash, "sha256:ff");
	assert_int_equal(lock->n_groups, 3);
	assert_int_equal(lock->n_packages, 3);
	const dl_lockfile_package *p = &lock->packages[0];
	assert_int_equal(p->pos.line, 9);
	assert_int_equal(p->pos.column, 9);
	assert_string_equal(p->version, "2.31.0");
	assert_int_equal(p->version_pos.line, 14);
	assert_int_equal(p->version_pos.column, 24);
	assert_int_equal(p->n_files, 2);
	assert_null(p->files[0].filename);
	assert_int_equal(p->files[1].pos.line, 11);
	assert_int_equal(p->files[1].pos.column, 24);
	assert_int_equal(p->has_sdist, DL_LOCKFILE_UNKNOWN);
	assert_string_equal(p->source.url, "https://pypi.org/simple");
	assert_string_equal(p->source.index_name, "pypi");
	assert_int_equal(p->dev, DL_LOCKFILE_NO);
	p = &lock->packages[1];
	assert_string_equal(p->name, "local"); /* the key was written with an escape */
	assert_int_equal(p->pos.line, 16);
	assert_int_equal(p->source.kind, DL_LOCKFILE_SOURCE_DIRECTORY);
	assert_true(p->source.editable);
	assert_int_equal(p->has_sdist, DL_LOCKFILE_NO);
	p = &lock->packages[2];
	assert_int_equal(p->dev, DL_LOCKFILE_YES);
	assert_int_equal(p->source.kind, DL_LOCKFILE_SOURCE_VCS);
	assert_string_equal(p->source.commit, "0123456789abcdef0123456789abcdef01234567");
	dl_lockfile_free(lock);
}

static void test_pipfile_errors(void **state)
{
	(void)state;
	parse_fails(DL_LOCKFILE_PIPFILE, "{\"_meta\": {}, \"default\": {\"a\": {\"version\": 3}}}", "Pipfile.lock",
	            DL_EPARSE, "Pipfile.lock:1:44: 'default.a.version' must be a string, found integer");
	parse_fails(DL_LOCKFILE_PIPFILE, "{\"_meta\": {},\n \"default\": {\"a\": {\"hashes\": [\"md5:00\"]}}}",
	            "Pipfile.lock", DL_EPARSE, "Pipfile.lock:2:31: invalid hash 'md5:00': the hash value has the wrong length");
	parse_fails(DL_LOCKFILE_PIPFILE, "{\"_meta\": {}, \"default\": {\"a\": []}}", "Pipfile.lock", DL_EPARSE,
	            "Pipfile.lock:1:32: 'default.a' must be an object, found array");
	parse_fails(DL_LOCKFILE_PIPFILE, "{\"_meta\": {\"pipfile-spec\": 7}}", "Pipfile.lock", DL_EUNSUPPORTED,
	            "Pipfile.lock:1:28: pipfile-spec 7 is not supported");
	parse_fails(DL_LOCKFILE_PIPFILE, "{\"default\": {}}", "Pipfile.lock", DL_EPARSE,
	            "Pipfile.lock:1:1: missing key '_meta'");
	parse_fails(DL_LOCKFILE_PIPFILE, "[1]", "Pipfile.lock", DL_EPARSE,
	            "Pipfile.lock:1:1: a Pipfile.lock must be a JSON object, found array");
	parse_fails(DL_LOCKFILE_PIPFILE, "{\"_meta\": {}, \"_meta\": {}}", "Pipfile.lock", DL_EPARSE,
	            "Pipfile.lock:1:");
	parse_fails(DL_LOCKFILE_PIPFILE, "{\"_meta\": {},\n \"default\": {\"a\": {\"version\": \"1\",}}}",
	            "Pipfile.lock", DL_EPARSE, "Pipfile.lock:2:");
	parse_fails(DL_LOCKFILE_PIPFILE, "{\"_meta\": {\"sources\": [{\"name\": \"x\"}]}}", "Pipfile.lock", DL_EPARSE,
	            "Pipfile.lock:1:24: '_meta.sources[0]' has no 'url'");
}

/* ------------------------------------------------------------------ */

static const char uv_doc[] =
	"version = 1\n"
	"revision = 2\n"
	"requires-python = \">=3.12\"\n"
	"supported-markers = [\"sys_platform == 'linux'\"]\n"
	"\n"
	"[manifest]\n"
	"members = [\"App_One\"]\n"
	"\n"
	"[[package]]\n"
	"name = \"app-one\"\n"
	"version = \"0.1\"\n"
	"source = { virtual = \"packages/app\" }\n"
	"dependencies = [{ name = \"lib\", marker = \"os_name == 'nt'\", extra = [\"x\"] }]\n"
	"[package.optional-dependencies]\n"
	"cli = [{ name = \"click\" }]\n"
	"[package.dev-dependencies]\n"
	"test = [{ name = \"pytest\" }]\n"
	"\n"
	"[[package]]\n"
	"name = \"lib\"\n"
	"version = \"1.0\"\n"
	"source = { git = \"https://g/lib.git?rev=v1&subdirectory=py#cafe\" }\n"
	"resolution-markers = [\"a\", \"b\"]\n"
	"\n"
	"[[package]]\n"
	"name = \"click\"\n"
	"version = \"8.0\"\n"
	"source = { registry = \"https://pypi.org/simple\" }\n"
	"wheels = [{ url = \"https://f/click-8.0-py3-none-any.whl\", hash = \"sha256:7777777777777777777777777777777777777777777777777777777777777777\", size = 5 }]\n";

static void test_uv(void **state)
{
	(void)state;
	dl_lockfile *lock = parse_ok(DL_LOCKFILE_UV, uv_doc, "uv.lock");
	assert_string_equal(lock->format_version, "1 (revision 2)");
	assert_int_equal(lock->n_environments, 1);
	assert_int_equal(lock->n_indexes, 1);
	assert_int_equal(lock->n_groups, 1);
	assert_string_equal(lock->groups[0], "test");
	const dl_lockfile_package *p = &lock->packages[0];
	assert_true(p->root);
	assert_int_equal(p->source.kind, DL_LOCKFILE_SOURCE_VIRTUAL);
	assert_int_equal(p->n_deps, 3);
	assert_string_equal(p->deps[0].marker, "os_name == 'nt'");
	assert_string_equal(p->deps[0].extras[0], "x");
	assert_string_equal(p->deps[1].extra, "cli");
	assert_string_equal(p->deps[2].group, "test");
	assert_int_equal(p->deps[2].pos.line, 17);
	p = &lock->packages[1];
	assert_false(p->root);
	assert_int_equal(p->source.kind, DL_LOCKFILE_SOURCE_VCS);
	assert_string_equal(p->source.url, "https://g/lib.git");
	assert_string_equal(p->source.requested_revision, "v1");
	assert_string_equal(p->source.subdirectory, "py");
	assert_string_equal(p->source.commit, "cafe");
	assert_string_equal(p->marker, "(a) or (b)");
	p = &lock->packages[2];
	assert_int_equal(p->has_sdist, DL_LOCKFILE_NO);
	assert_string_equal(p->files[0].filename, "click-8.0-py3-none-any.whl");
	assert_int_equal(p->files[0].size, 5);
	dl_lockfile_free(lock);
}

static void test_uv_errors(void **state)
{
	(void)state;
	parse_fails(DL_LOCKFILE_UV, "version = 2\n", "uv.lock", DL_EUNSUPPORTED,
	            "uv.lock:1:11: uv.lock version 2 is not supported");
	parse_fails(DL_LOCKFILE_UV, "revision = 1\n", "uv.lock", DL_EPARSE, "uv.lock:1:1: missing key 'version'");
	parse_fails(DL_LOCKFILE_UV, "version = 1\n[[package]]\nname = \"a\"\nsource = { somewhere = \"x\" }\n", "uv.lock",
	            DL_EPARSE, "uv.lock:4:10: 'source' must name one of registry");
	parse_fails(DL_LOCKFILE_UV,
	            "version = 1\n[[package]]\nname = \"a\"\nsdist = { url = \"u\", hash = \"sha256:xyz\" }\n", "uv.lock",
	            DL_EPARSE, "uv.lock:4:29: invalid hash 'sha256:xyz': the hash value must be hexadecimal digits");
	parse_fails(DL_LOCKFILE_UV, "version = 1\n[[package]]\nname = \"a\"\nwheels = [{ size = -1 }]\n", "uv.lock",
	            DL_EPARSE, "uv.lock:4:20: 'size' must not be negative");
	parse_fails(DL_LOCKFILE_UV, "version = 1\n[[package]]\nversion = \"1\"\n", "uv.lock", DL_EPARSE,
	            "uv.lock:2:1: missing key 'name' in 'package[0]'");
}

/* ------------------------------------------------------------------ */

static void test_requirements_and_bad_format(void **state)
{
	(void)state;
	static const char reqs[] = "# generated\n-i https://pypi.org/simple\n"
	                           "a==1.0 ; python_version < \"3.12\" \\\n"
	                           "    --hash=sha256:" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef \\\n"
	                           "    --hash=sha256:" "1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
	                           "    # via b\n"
	                           "b==2  # via -r requirements.in\n"
	                           "c>=1\n"
	                           "    # via\n    #   a\n    #   b\n"
	                           "-e ./local\n";
	dl_lockfile *lk = NULL;
	assert_int_equal(dl_lockfile_parse(&lk, DL_LOCKFILE_REQUIREMENTS, reqs, sizeof reqs - 1, "r.txt"), 0);
	assert_int_equal(lk->n_packages, 4);
	assert_string_equal(lk->packages[0].name, "a");
	assert_string_equal(lk->packages[0].version, "1.0");
	assert_string_equal(lk->packages[0].marker, "python_version < \"3.12\"");
	assert_int_equal(lk->packages[0].pos.line, 3);
	assert_int_equal(lk->packages[0].n_files, 1);
	assert_int_equal(lk->packages[0].files[0].n_hashes, 2);
	assert_null(lk->packages[2].version);
	assert_int_equal(lk->packages[2].pos.line, 8);
	assert_int_equal(lk->packages[3].source.kind, DL_LOCKFILE_SOURCE_DIRECTORY);
	assert_true(lk->packages[3].source.editable);
	/* via: b requires a and c; a requires c */
	assert_int_equal(lk->packages[1].n_deps, 2);
	assert_string_equal(lk->packages[1].deps[0].normalized_name, "a");
	assert_string_equal(lk->packages[1].deps[1].normalized_name, "c");
	assert_int_equal(lk->packages[0].n_deps, 1);
	assert_int_equal(lk->n_indexes, 1);
	assert_string_equal(lk->indexes[0].url, "https://pypi.org/simple");
	dl_lockfile_free(lk);
	parse_fails(DL_LOCKFILE_REQUIREMENTS, "a==1\n-r base.txt\n", "requirements.txt", DL_EUNSUPPORTED,
	            "requirements.txt:2:1: '-r base.txt' includes another file");
	parse_fails(DL_LOCKFILE_REQUIREMENTS, "a==1\n  --frobnicate\n", "requirements.txt", DL_EPARSE,
	            "requirements.txt:2:3: unknown option '--frobnicate'");
	parse_fails(DL_LOCKFILE_REQUIREMENTS, "a==1 --hash=sha256:xyz\n", "requirements.txt", DL_EPARSE,
	            "requirements.txt:1:1: invalid hash");
	parse_fails(DL_LOCKFILE_REQUIREMENTS, "a ==\n", "requirements.txt", DL_EPARSE, "requirements.txt:1:1: ");
	parse_fails((dl_lockfile_format)42, "", "x", DL_EINVAL, "x: unknown lock-file format 42");
	char big = 'x';
	dl_lockfile *lock = NULL;
	assert_int_equal(dl_lockfile_parse(&lock, DL_LOCKFILE_UV, &big, DL_LOCKFILE_MAX_INPUT + 1, "uv.lock"),
	                 DL_ELIMIT);
	assert_int_equal(dl_lockfile_parse(NULL, DL_LOCKFILE_UV, "", 0, NULL), DL_EINVAL);
	/* not NUL-terminated input: only `len` bytes are read */
	const char doc[] = "version = 1\nXXXX";
	assert_int_equal(dl_lockfile_parse(&lock, DL_LOCKFILE_UV, doc, 12, NULL), 0);
	assert_string_equal(lock->source, "<input>");
	dl_lockfile_free(lock);
	dl_lockfile_free(NULL);
}

static void test_detect(void **state)
{
	(void)state;
	dl_lockfile_format f;
	static const struct {
		const char *path;
		dl_lockfile_format want;
	} names[] = {
		{"pylock.toml", DL_LOCKFILE_PYLOCK},         {"dir/pylock.dev.toml", DL_LOCKFILE_PYLOCK},
		{"poetry.lock", DL_LOCKFILE_POETRY},         {"a/b/pdm.lock", DL_LOCKFILE_PDM},
		{"Pipfile.lock", DL_LOCKFILE_PIPFILE},       {"x.Pipfile.lock", DL_LOCKFILE_PIPFILE},
		{"uv.lock", DL_LOCKFILE_UV},                 {"app.uv.lock", DL_LOCKFILE_UV},
		{"requirements.txt", DL_LOCKFILE_REQUIREMENTS}, {"demo.pylock.toml", DL_LOCKFILE_PYLOCK},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(dl_lockfile_detect(names[i].path, NULL, 0, &f), 0);
		assert_int_equal(f, names[i].want);
	}
	/* pylock.a.b.toml is not a pylock name; xuv.lock is not uv.lock */
	assert_int_equal(dl_lockfile_detect("pylock.a.b.toml", NULL, 0, &f), DL_EINVAL);
	assert_int_equal(dl_lockfile_detect("xuv.lock", NULL, 0, &f), DL_EINVAL);
	assert_non_null(strstr(dl_error_last()->message, "xuv.lock: cannot tell the lock-file format from the name"));

	static const struct {
		const char *data;
		dl_lockfile_format want;
	} contents[] = {
		{"lock-version = \"1.0\"\ncreated-by = \"x\"\n", DL_LOCKFILE_PYLOCK},
		{"created-by = \"x\"\n[[packages]]\nname = \"a\"\n", DL_LOCKFILE_PYLOCK},
		{"[[package]]\nname = \"a\"\n[metadata]\nlock-version = \"2.0\"\n", DL_LOCKFILE_POETRY},
		{"[metadata]\ncontent-hash = \"x\"\n", DL_LOCKFILE_POETRY},
		{"[metadata]\nlock_version = \"4.4\"\n", DL_LOCKFILE_PDM},
		{"version = 1\n[[package]]\nname = \"a\"\n", DL_LOCKFILE_UV},
		{"\xEF\xBB\xBF  {\n \"_meta\": {}}", DL_LOCKFILE_PIPFILE},
		{"# comment\n\nrequests==2.0 \\\n  --hash=sha256:00\n", DL_LOCKFILE_REQUIREMENTS},
		{"-r base.txt\n", DL_LOCKFILE_REQUIREMENTS},
	};
	for (size_t i = 0; i < sizeof(contents) / sizeof(contents[0]); i++) {
		if (dl_lockfile_detect("lockfile", contents[i].data, strlen(contents[i].data), &f) != 0)
			fail_msg("content %zu: %s", i, dl_error_last()->message);
		assert_int_equal(f, contents[i].want);
	}
	const char *unknown[] = {"{\"a\": 1}", "[tool]\nx = 1\n", "<html>", ""};
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		assert_int_equal(dl_lockfile_detect("lockfile", unknown[i], strlen(unknown[i]), &f), DL_EINVAL);
		assert_non_null(strstr(dl_error_last()->message, "lockfile: cannot tell the lock-file format"));
	}
}

static void test_format_names(void **state)
{
	(void)state;
	dl_lockfile_format f;
	assert_int_equal(dl_lockfile_format_from_name(&f, "Pipfile.lock"), 0);
	assert_int_equal(f, DL_LOCKFILE_PIPFILE);
	assert_int_equal(dl_lockfile_format_from_name(&f, "UV"), 0);
	assert_int_equal(f, DL_LOCKFILE_UV);
	assert_int_equal(dl_lockfile_format_from_name(&f, "cargo"), DL_EINVAL);
	assert_string_equal(dl_lockfile_format_name(DL_LOCKFILE_PDM), "pdm");
	assert_string_equal(dl_lockfile_format_name((dl_lockfile_format)99), "unknown");
	assert_string_equal(dl_lockfile_source_kind_name(DL_LOCKFILE_SOURCE_VIRTUAL), "virtual");
	assert_string_equal(dl_lockfile_file_kind_name(DL_LOCKFILE_FILE_ARCHIVE), "archive");
}

/* ------------------------------------------------------------------ */

typedef struct alloc_case {
	dl_lockfile_format fmt;
	const char *doc;
} alloc_case;

static int parse_for_alloc(void *ctx)
{
	const alloc_case *c = ctx;
	dl_lockfile *lock = NULL;
	int rc = dl_lockfile_parse(&lock, c->fmt, c->doc, strlen(c->doc), "lock");
	dl_lockfile_free(lock);
	return rc;
}

static int detect_for_alloc(void *ctx)
{
	const alloc_case *c = ctx;
	dl_lockfile_format f;
	return dl_lockfile_detect(NULL, c->doc, strlen(c->doc), &f);
}

static void test_alloc_failures(void **state)
{
	(void)state;
	alloc_case cases[] = {
		{DL_LOCKFILE_PYLOCK, pylock_doc}, {DL_LOCKFILE_POETRY, poetry2_doc}, {DL_LOCKFILE_PDM, pdm_doc},
		{DL_LOCKFILE_PIPFILE, "{\"_meta\": {\"pipfile-spec\": 6, \"hash\": {\"sha256\": \"ff\"}, "
		                      "\"requires\": {\"python_version\": \"3.11\"}, "
		                      "\"sources\": [{\"name\": \"p\", \"url\": \"u\"}]}, "
		                      "\"default\": {\"a\": {\"version\": \"==1\", \"index\": \"p\", \"extras\": [\"e\"], "
		                      "\"hashes\": [\"sha256:5555555555555555555555555555555555555555555555555555555555555555\"]}},"
		                      "\"develop\": {\"b\": {\"git\": \"g\", \"ref\": \"main\"}}}"},
		{DL_LOCKFILE_UV, uv_doc},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		dltest_each_alloc_failure(parse_for_alloc, &cases[i]);
	alloc_case d = {DL_LOCKFILE_UV, uv_doc};
	dltest_each_alloc_failure(detect_for_alloc, &d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pylock),        cmocka_unit_test(test_pylock_errors),
		cmocka_unit_test(test_poetry2),       cmocka_unit_test(test_poetry1),
		cmocka_unit_test(test_poetry_errors), cmocka_unit_test(test_pdm),
		cmocka_unit_test(test_pdm_errors),    cmocka_unit_test(test_pipfile),
		cmocka_unit_test(test_pipfile_errors), cmocka_unit_test(test_uv),
		cmocka_unit_test(test_uv_errors),     cmocka_unit_test(test_requirements_and_bad_format),
		cmocka_unit_test(test_detect),        cmocka_unit_test(test_format_names),
		cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
