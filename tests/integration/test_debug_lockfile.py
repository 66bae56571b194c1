"""`deeplock debug lockfile`: the lock-file model as JSON, from the outside."""
import os

import pytest


UV_LOCK = """version = 1
requires-python = ">=3.12"

[[package]]
name = "Anyio"
version = "4.6"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://f/anyio-4.6.tar.gz", hash = "sha256:%s", size = 10 }
""" % ("ab" * 32)

POETRY_LOCK = """[[package]]
name = "six"
version = "1.16.0"
groups = ["main"]
files = [
    {file = "six-1.16.0-py2.py3-none-any.whl", hash = "sha256:%s"},
]

[metadata]
lock-version = "2.1"
python-versions = ">=3.9"
content-hash = "x"
""" % ("cd" * 32)

PIPFILE_LOCK = """{
    "_meta": {"pipfile-spec": 6, "sources": [{"name": "pypi", "url": "https://pypi.org/simple"}]},
    "default": {
        "six": {"hashes": ["sha256:%s"], "index": "pypi", "version": "==1.16.0"}
    },
    "develop": {}
}
""" % ("ef" * 32)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_uv_lock_model(run, tmp_path):
    r = run("debug", "lockfile", write(tmp_path, "uv.lock", UV_LOCK))
    assert r.rc == 0, r.err
    out = r.json()
    assert list(out)[:4] == ["format", "format_version", "format_version_at", "source"]
    assert out["format"] == "uv"
    assert out["requires_python"] == ">=3.12"
    assert out["indexes"] == [{"name": None, "url": "https://pypi.org/simple", "at": "7:23"}]
    (pkg,) = out["packages"]
    assert pkg["name"] == "Anyio"
    assert pkg["normalized_name"] == "anyio"
    assert pkg["version"] == "4.6" and pkg["version_valid"] is True
    assert pkg["has_sdist"] is True
    assert pkg["source"]["kind"] == "registry"
    assert pkg["at"] == "4:1"
    assert pkg["files"] == [{
        "kind": "sdist", "filename": "anyio-4.6.tar.gz", "url": "https://f/anyio-4.6.tar.gz", "path": None,
        "hashes": [{"algorithm": "sha256", "hex": "ab" * 32, "at": "8:54"}],
        "size": 10, "upload_time": None, "at": "8:9",
    }]


def test_poetry_and_pipfile(run, tmp_path):
    r = run("debug", "lockfile", write(tmp_path, "poetry.lock", POETRY_LOCK))
    assert r.rc == 0, r.err
    pkg = r.json()["packages"][0]
    assert (pkg["version"], pkg["has_sdist"], pkg["dev"]) == ("1.16.0", False, False)
    assert pkg["groups"] == [{"name": "main", "marker": None}]

    r = run("debug", "lockfile", write(tmp_path, "Pipfile.lock", PIPFILE_LOCK))
    assert r.rc == 0, r.err
    out = r.json()
    assert out["format"] == "pipfile" and out["groups"] == ["default", "develop"]
    pkg = out["packages"][0]
    assert pkg["has_sdist"] == "unknown"
    assert pkg["source"]["url"] == "https://pypi.org/simple"
    assert pkg["files"][0]["filename"] is None
    assert pkg["at"] == "4:9"


def test_format_option_and_stdin(run, tmp_path):
    path = write(tmp_path, "whatever.txt", UV_LOCK)
    r = run("debug", "lockfile", path, "--format", "uv")
    assert r.rc == 0, r.err
    assert r.json()["format"] == "uv"
    r = run("debug", "lockfile", "-", input=UV_LOCK.encode())
    assert r.rc == 0, r.err
    assert r.json()["source"] == "<stdin>"
    r = run("debug", "lockfile", path, "--format", "cargo")
    assert r.rc == 2
    assert "unknown lock-file format 'cargo'" in r.err.decode()


def test_errors_are_positioned(run, tmp_path):
    bad = POETRY_LOCK.replace('version = "1.16.0"', "version = 1")
    r = run("debug", "lockfile", write(tmp_path, "poetry.lock", bad))
    assert r.rc == 1
    assert "poetry.lock:3:11: 'package[0].version' must be a string, found integer" in r.err.decode()
    r = run("debug", "lockfile", write(tmp_path, "requirements.txt", "six==1.0\n-r other.txt\n"))
    assert r.rc == 1
    assert "requirements.txt:2:1: '-r other.txt' includes another file" in r.err.decode()
    r = run("debug", "lockfile", write(tmp_path, "mystery", "[tool]\nx = 1\n"))
    assert r.rc == 1
    assert "cannot tell the lock-file format" in r.err.decode()


SHARED_LOCKS = ["poetry.poetry.lock", "pdm.pdm.lock", "pipenv.Pipfile.lock", "uv.uv.lock", "pex-issue-2887.pylock.toml"]


@pytest.mark.parametrize("name", SHARED_LOCKS)
def test_shared_locks(run, shared_dir, name):
    if shared_dir is None:
        pytest.skip("SKIPPED: ../shared is absent; the shared lock files cannot be read")
    path = os.path.join(shared_dir, "data", "lockfiles", name)
    r = run("debug", "lockfile", path)
    assert r.rc == 0, r.err
    out = r.json()
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if name.endswith("Pipfile.lock"):
        import json
        doc = json.loads(text)
        want = sum(len(v) for k, v in doc.items() if k != "_meta")
    else:
        header = "[[packages]]" if name.endswith("pylock.toml") else "[[package]]"
        want = sum(1 for line in text.splitlines() if line.strip() == header)
    assert len(out["packages"]) == want
    # the output is stable: a second run prints the same bytes
    assert run("debug", "lockfile", path).out == r.out
