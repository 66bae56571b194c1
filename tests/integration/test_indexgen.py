"""The generated index that every end-to-end test and benchmark relies on:
reproducible bytes, correct PEP 503/691/658 content, and nginx serving it on
127.0.0.1 with content negotiation, ETags and ranges."""
import hashlib
import io
import json
import os
import sys
import tarfile
import urllib.request
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fixtures"))
import indexgen  # noqa: E402

SPEC = {"projects": {
    "Demo_Pkg": {"versions": {"1.0": {"requires": ["b>=1"], "extras": {"t": ["c; os_name == 'posix'"]},
                                      "requires_python": ">=3.8", "sdist": True}}},
    "b": {"versions": {
        "1.0": {"wheel": False, "build": {"requires": ["setuptools>=61", "setuptools-rust"],
                                          "backend": "setuptools.build_meta"}},
        "0.9": {"yanked": "broken"}}},
}}


def build(tmp_path, name="idx"):
    out = tmp_path / name
    summary = indexgen.build(SPEC, str(out))
    return out, summary


def test_reproducible(tmp_path):
    a, sa = build(tmp_path, "a")
    b, sb = build(tmp_path, "b")
    assert sa == sb
    for root, _, files in os.walk(a):
        for f in files:
            rel = os.path.relpath(os.path.join(root, f), a)
            assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def test_artifacts(tmp_path):
    out, summary = build(tmp_path)
    assert sorted(summary) == ["b", "demo-pkg"]
    whl = out / "files" / "Demo_Pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(whl) as zf:
        meta = zf.read("Demo_Pkg-1.0.dist-info/METADATA")
        assert zf.read("Demo_Pkg-1.0.dist-info/WHEEL").startswith(b"Wheel-Version: 1.0")
    assert (out / "files" / (whl.name + ".metadata")).read_bytes() == meta
    assert b"Requires-Dist: c; (os_name == 'posix') and extra == \"t\"" in meta
    with tarfile.open(out / "files" / "b-1.0.tar.gz") as tf:
        names = tf.getnames()
        pyproject = tf.extractfile("b-1.0/pyproject.toml").read().decode()
    assert "b-1.0/PKG-INFO" in names
    assert 'requires = ["setuptools>=61", "setuptools-rust"]' in pyproject
    assert summary["b"]["b-1.0.tar.gz"] == hashlib.sha256((out / "files" / "b-1.0.tar.gz").read_bytes()).hexdigest()


def get(url, accept=None, rng=None):
    req = urllib.request.Request(url)
    if accept:
        req.add_header("Accept", accept)
    if rng:
        req.add_header("Range", rng)
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status, resp.headers, resp.read()


def test_served(tmp_path):
    out, summary = build(tmp_path)
    with indexgen.Server(str(out)) as srv:
        assert srv.url.startswith("http://127.0.0.1:")
        status, headers, body = get(srv.url + "b/")
        assert status == 200 and headers["Content-Type"] == "text/html"
        assert b'data-yanked="broken"' in body
        status, headers, body = get(srv.url + "b/", accept="application/vnd.pypi.simple.v1+json")
        assert headers["Content-Type"] == "application/vnd.pypi.simple.v1+json"
        page = json.loads(body)
        assert page["name"] == "b" and page["meta"]["api-version"] == "1.1"
        assert {f["filename"] for f in page["files"]} == set(summary["b"])
        assert headers["ETag"]
        status, headers, body = get(srv.url + "../files/b-1.0.tar.gz", rng="bytes=0-9")
        assert status == 206 and len(body) == 10
