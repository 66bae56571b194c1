"""deeplock diff: the binary on pairs of small lock files written here in
several formats, in all three outputs, the JSON validated against
docs/diff-schema.json (JSON Schema 2020-12, with Debian's python3-jsonschema),
--fail-on exit codes, git REV:path inputs in a temporary repository, colour
on a terminal, and every pair of the real lock files in
../shared/data/lockfiles."""
import json
import os
import pty
import shutil
import subprocess

import pytest

jsonschema = pytest.importorskip("jsonschema")

HERE = os.path.dirname(__file__)
SCHEMA = json.load(open(os.path.join(HERE, "..", "..", "docs", "diff-schema.json")))


def validate(doc):
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)


def h(c):
    return c * 64


def wheel(name, version, digest):
    return (f'wheels = [{{ name = "{name}-{version}-py3-none-any.whl", '
            f'url = "https://f/{name}-{version}.whl", hashes = {{ sha256 = "{digest}" }} }}]\n')


def sdist(name, version, digest):
    return (f'sdist = {{ name = "{name}-{version}.tar.gz", url = "https://f/{name}-{version}.tar.gz", '
            f'hashes = {{ sha256 = "{digest}" }} }}\n')


def pylock(*packages, created_by="test", tail=""):
    out = f'lock-version = "1.0"\ncreated-by = "{created_by}"\n\n'
    for name, version, extra in packages:
        out += f'[[packages]]\nname = "{name}"\nversion = "{version}"\n{extra}\n'
    return out + tail


OLD = pylock(("attrs", "23.1.0", wheel("attrs", "23.1.0", h("1"))),
             ("certifi", "2023.7.22", wheel("certifi", "2023.7.22", h("2"))),
             ("idna", "3.4", wheel("idna", "3.4", h("3"))),
             ("six", "1.16.0", wheel("six", "1.16.0", h("4"))),
             ("corp", "1.0", 'index = "https://pkgs.corp.example/simple"\n' + wheel("corp", "1.0", h("5"))))
NEW = pylock(("attrs", "23.2.0", wheel("attrs", "23.2.0", h("1"))),
             ("certifi", "2023.7.22", wheel("certifi", "2023.7.22", h("9"))),
             ("idna", "3.4", wheel("idna", "3.4", h("3"))),
             ("evil", "0.1", sdist("evil", "0.1", h("6"))),
             ("corp", "1.0", 'index = "https://pypi.org/simple"\n' + wheel("corp", "1.0", h("5"))))


@pytest.fixture
def pair(tmp_path):
    def _pair(old, new, old_name="old.pylock.toml", new_name="new.pylock.toml"):
        (tmp_path / old_name).write_text(old)
        (tmp_path / new_name).write_text(new)
        return str(tmp_path / old_name), str(tmp_path / new_name)
    return _pair


def test_text_sections_in_order(run, pair):
    o, n = pair(OLD, NEW)
    r = run("diff", o, n)
    assert r.rc == 0, r.err
    out = r.out.decode()
    assert "\033[" not in out  # not a terminal: no colour
    first = out.splitlines()[0]
    assert first.endswith("(pylock): 1 run at build time, 1 hash changed, 1 added, 1 removed, 1 upgraded, "
                          "1 source changed"), first
    titles = [t for t in ("Runs at build time (new)", "Hash changed for the same version", "Added", "Removed",
                          "Upgraded", "Source changed") if t in out]
    assert len(titles) == 6
    assert [out.index(t) for t in titles] == sorted(out.index(t) for t in titles)
    assert "! evil 0.1  (only an sdist is locked)" in out
    assert f"changed     certifi-2023.7.22-py3-none-any.whl sha256:{h('2')} -> {h('9')}" in out
    assert "~ corp 1.0: https://pkgs.corp.example/simple -> https://pypi.org/simple" in out
    assert "~ attrs 23.1.0 -> 23.2.0" in out
    assert "- six 1.16.0" in out


def test_json_exact_and_valid(run, pair):
    o, n = pair(OLD, NEW)
    r = run("diff", o, n, "--output", "json")
    assert r.rc == 0, r.err
    doc = r.json()
    validate(doc)
    assert doc["old"] == {"source": o, "format": "pylock", "build_environments": False}
    assert doc["summary"]["total"] == 6 and doc["summary"]["build"] == 1
    assert doc["build"] == [{"kind": "build-from-source", "name": "evil", "build_env": None, "old_version": None,
                             "new_version": "0.1", "reason": "only an sdist is locked"}]
    assert doc["hash_changed"] == [{
        "kind": "hash-changed", "name": "certifi", "build_env": None, "old_version": "2023.7.22",
        "new_version": "2023.7.22", "hash_mismatch": True,
        "files": [{"name": "certifi-2023.7.22-py3-none-any.whl", "algorithm": "sha256", "old_hash": h("2"),
                   "new_hash": h("9")}]}]
    assert [(c["kind"], c["name"]) for c in doc["changes"]] == [
        ("added", "evil"), ("removed", "six"), ("upgraded", "attrs"), ("source-changed", "corp")]
    assert doc["changes"][3]["old"] == "https://pkgs.corp.example/simple"


def test_markdown(run, pair):
    o, n = pair(OLD, NEW)
    r = run("diff", o, n, "--output", "markdown")
    assert r.rc == 0, r.err
    lines = r.out.decode().splitlines()
    assert lines[0].startswith("**deeplock diff**: :warning: 1 run at build time, 1 hash changed")
    assert "### Runs at build time (new)" in lines
    assert "| Change | Package | Build environment | Old | New | Why |" in lines
    assert "| build-from-source | `evil` |  |  | 0.1 | only an sdist is locked |" in lines
    assert f"| `certifi` |  | 2023.7.22 | `certifi-2023.7.22-py3-none-any.whl` | `{h('2')}` | `{h('9')}` |" in lines
    # Every table row has the header's number of cells.
    for i, line in enumerate(lines):
        if line.startswith("|---"):
            cells = line.count("|")
            for row in lines[i + 1:]:
                if not row.startswith("|"):
                    break
                assert row.replace("\\|", "").count("|") == cells, row


def test_fail_on(run, pair):
    o, n = pair(OLD, NEW)
    assert run("diff", o, n, "--fail-on", "build").rc == 1
    assert run("diff", o, n, "--fail-on", "any").rc == 1
    assert run("diff", o, n, "--fail-on", "none").rc == 0
    assert run("diff", o, n).rc == 0
    # Changes, none of them at build time.
    o2, n2 = pair(OLD, OLD.replace('"3.4"', '"3.5"'), "a.pylock.toml", "b.pylock.toml")
    assert run("diff", o2, n2, "--fail-on", "build").rc == 0
    assert run("diff", o2, n2, "--fail-on", "any").rc == 1
    r = run("diff", o2, o2, "--fail-on", "any")
    assert r.rc == 0 and b"no changes" in r.out


def test_usage_errors(run, pair):
    o, n = pair(OLD, NEW)
    assert run("diff").rc == 2
    assert run("diff", o).rc == 2
    assert run("diff", o, n, "x").rc == 2
    assert run("diff", o, n, "--output", "yaml").rc == 2
    assert run("diff", o, n, "--fail-on", "sometimes").rc == 2
    assert run("diff", o, n, "--format", "cargo").rc == 2
    assert run("diff", o, n, "--bogus").rc == 2
    r = run("diff", o, "/nonexistent/pylock.toml")
    assert r.rc == 1 and b"cannot open /nonexistent/pylock.toml" in r.err
    r = run("diff", "--help")
    assert r.rc == 0 and b"REV:path" in r.out


POETRY = """[[package]]
name = "Attrs"
version = "23.1.0"
description = ""
optional = false
python-versions = ">=3.7"
files = [
    {file = "attrs-23.1.0-py3-none-any.whl", hash = "sha256:%s"},
]

[[package]]
name = "lib"
version = "1.0"
description = ""
optional = false
python-versions = "*"
files = [
    {file = "lib-1.0-py3-none-any.whl", hash = "sha256:%s"},
]

[metadata]
lock-version = "2.0"
python-versions = "^3.8"
content-hash = "00"
""" % (h("1"), h("7"))

UV = """version = 1
requires-python = ">=3.8"

[[package]]
name = "attrs"
version = "23.1.0"
source = { registry = "https://pypi.org/simple" }
wheels = [{ url = "https://f/attrs-23.1.0-py3-none-any.whl", hash = "sha256:%s", size = 5 }]

[[package]]
name = "lib"
version = "1.1"
source = { git = "https://git.example/lib.git?rev=main#cafe" }
""" % h("1")


def test_mixed_formats(run, pair):
    # poetry.lock against pylock.toml: the same attrs is no change.
    o, n = pair(POETRY, OLD, "poetry.lock", "pylock.toml")
    doc = run("diff", o, n, "--output", "json").json()
    validate(doc)
    assert doc["old"]["format"] == "poetry" and doc["new"]["format"] == "pylock"
    assert ("removed", "lib") in [(c["kind"], c["name"]) for c in doc["changes"]]
    assert "attrs" not in [c["name"] for c in doc["changes"]]
    # poetry.lock against uv.lock: a git source runs at build time.
    o, n = pair(POETRY, UV, "poetry.lock", "uv.lock")
    r = run("diff", o, n, "--output", "json", "--fail-on", "build")
    assert r.rc == 1
    doc = r.json()
    validate(doc)
    assert doc["build"] == [{"kind": "build-from-source", "name": "lib", "build_env": None, "old_version": "1.0",
                             "new_version": "1.1", "reason": "built from a VCS checkout"}]
    kinds = {(c["kind"], c["name"]) for c in doc["changes"]}
    assert ("source-changed", "lib") in kinds and ("upgraded", "lib") in kinds
    # --format overrides detection for both sides.
    o, n = pair(POETRY, UV, "a.lock", "b.lock")
    r = run("diff", o, n, "--format-old", "poetry", "--format-new", "uv", "--output", "json")
    assert r.rc == 0, r.err
    assert r.json()["new"]["format"] == "uv"
    r = run("diff", o, n, "--format", "poetry")
    assert r.rc == 1 and b"b.lock" in r.err


DEEPLOCK_ENV = """
[tool.deeplock]
build-policy = "needed"

[[tool.deeplock.build-envs]]
id = "setuptools+wheel-x"
requires = ["setuptools>=61", "wheel"]
builds = ["beta==2.0"]

[[tool.deeplock.build-envs.packages]]
name = "setuptools"
version = "%s"
wheels = [
  { name = "setuptools-%s-py3-none-any.whl", url = "https://f/st.whl", hashes = { sha256 = "%s" } },
]

[tool.deeplock.build-envs.packages.tool.deeplock]
required-by = ["build-env:setuptools+wheel-x"]
"""


def deeplock_lock(setuptools, with_env=True):
    beta = sdist("beta", "2.0", h("b"))
    if with_env:
        beta += '\n[packages.tool.deeplock]\nbuilds-from-source = true\nbuild-env = "setuptools+wheel-x"\n'
    tail = DEEPLOCK_ENV % (setuptools, setuptools, h("c")) if with_env else ""
    return pylock(("beta", "2.0", beta), created_by="deeplock", tail=tail)


def test_deeplock_build_environments(run, pair):
    o, n = pair(deeplock_lock("69.0.2"), deeplock_lock("69.1.0"))
    r = run("diff", o, n, "--output", "json")
    assert r.rc == 0, r.err
    doc = r.json()
    validate(doc)
    assert doc["new"]["build_environments"] is True
    assert doc["build"] == [{"kind": "build-env-package", "name": "setuptools", "build_env": "setuptools+wheel-x",
                             "old_version": "69.0.2", "new_version": "69.1.0",
                             "reason": "a new version in the build environment"}]
    text = run("diff", o, n).out.decode()
    assert "! [build env setuptools+wheel-x] setuptools 69.0.2 -> 69.1.0" in text
    # A lock without the environment against one with it.
    o, n = pair(deeplock_lock("69.0.2", with_env=False), deeplock_lock("69.0.2"), "c.pylock.toml", "d.pylock.toml")
    doc = run("diff", o, n, "--output", "json").json()
    validate(doc)
    assert [(b["kind"], b["build_env"], b["name"]) for b in doc["build"]] == [
        ("build-from-source", None, "beta"),
        ("build-env-added", "setuptools+wheel-x", None),
        ("build-env-package", "setuptools+wheel-x", "setuptools")]
    assert doc["build"][1]["requires"] == ["setuptools>=61", "wheel"]
    md = run("diff", o, n, "--output", "markdown").out.decode()
    assert "| build-env-added |  | `setuptools+wheel-x` |  | `setuptools>=61, wheel` | a new build environment |" in md


def test_colour_on_a_terminal(deeplock_bin, pair):
    o, n = pair(OLD, NEW)

    def on_tty(env):
        master, slave = pty.openpty()
        proc = subprocess.Popen([deeplock_bin, "diff", o, n], stdout=slave, stderr=subprocess.PIPE, env=env)
        os.close(slave)
        out = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        proc.wait(timeout=30)
        os.close(master)
        return out

    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    assert b"\033[31m" in on_tty(env)
    assert b"\033[" not in on_tty(dict(env, NO_COLOR="1"))


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_revisions(deeplock_bin, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@e", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@e", GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1")

    def git(*args):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)

    git("init", "-q")
    (repo / "pylock.toml").write_text(OLD)
    git("add", "pylock.toml")
    git("commit", "-qm", "old")
    (repo / "pylock.toml").write_text(NEW)
    git("commit", "-qam", "new")

    def diff(*args):
        return subprocess.run([deeplock_bin, "diff", *args], cwd=repo, env=env, capture_output=True, timeout=60)

    r = diff("HEAD~1:pylock.toml", "HEAD:pylock.toml", "--output", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    validate(doc)
    assert doc["old"]["source"] == "HEAD~1:pylock.toml"
    assert doc["summary"]["total"] == 6
    # The working tree against a revision.
    r = diff("HEAD~1:pylock.toml", "pylock.toml", "--fail-on", "build")
    assert r.returncode == 1 and b"evil" in r.stdout
    # git's own message is shown when it fails.
    r = diff("HEAD~5:pylock.toml", "pylock.toml")
    assert r.returncode == 1
    assert b"fatal:" in r.stderr and b"git show HEAD~5:pylock.toml failed" in r.stderr


REAL_PAIRS = [
    ("poetry-old_lock.poetry.lock", "poetry-up_to_date.poetry.lock"),
    ("poetry-up_to_date.poetry.lock", "poetry.poetry.lock"),
    ("pipenv.Pipfile.lock", "pipenv.pylock.toml"),
    ("pipenv-examples.Pipfile.lock", "pipenv.Pipfile.lock"),
    ("uv.uv.lock", "uv-built-by-uv.uv.lock"),
    ("pdm.pdm.lock", "pdm-demo.pylock.toml"),
    ("poetry.poetry.lock", "uv.uv.lock"),
    ("pex-issue-2887.pylock.toml", "pip-build-project.pylock.toml"),
]


@pytest.mark.parametrize("old,new", REAL_PAIRS)
def test_real_lock_files(run, shared_dir, old, new):
    if shared_dir is None:
        pytest.skip("../shared is absent: the real lock files cannot be diffed")
    d = os.path.join(shared_dir, "data", "lockfiles")
    for a, b in ((old, new), (new, old)):
        r = run("diff", os.path.join(d, a), os.path.join(d, b), "--output", "json")
        assert r.rc == 0, r.err
        doc = r.json()
        validate(doc)
        assert doc["summary"]["total"] == len(doc["build"]) + len(doc["hash_changed"]) + len(doc["changes"])
        for fmt in ("text", "markdown"):
            assert run("diff", os.path.join(d, a), os.path.join(d, b), "--output", fmt).rc == 0
    # Each lock against itself: nothing.
    for f in (old, new):
        r = run("diff", os.path.join(d, f), os.path.join(d, f), "--output", "json", "--fail-on", "any")
        assert r.rc == 0 and r.json()["summary"]["total"] == 0, r.out


def test_real_poetry_upgrade(run, shared_dir):
    if shared_dir is None:
        pytest.skip("../shared is absent: the real lock files cannot be diffed")
    d = os.path.join(shared_dir, "data", "lockfiles")
    doc = run("diff", os.path.join(d, "poetry-old_lock.poetry.lock"),
              os.path.join(d, "poetry-up_to_date.poetry.lock"), "--output", "json").json()
    assert doc["build"] == [] and doc["hash_changed"] == []
    assert [(c["kind"], c["name"], c["old_version"], c["new_version"]) for c in doc["changes"]] == [
        ("added", "certifi", None, "2020.12.5"), ("added", "chardet", None, "4.0.0"),
        ("added", "docker", None, "4.3.1"), ("added", "idna", None, "2.10"), ("added", "pywin32", None, "227"),
        ("added", "requests", None, "2.25.1"), ("added", "six", None, "1.15.0"),
        ("added", "urllib3", None, "1.26.3"), ("added", "websocket-client", None, "0.58.0"),
        ("removed", "sampleproject", "1.3.1", None)]
