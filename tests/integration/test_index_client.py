"""The index client end to end: the real binary (`deeplock debug index`,
`deeplock cache`) against nginx serving generated indexes on 127.0.0.1, a
file:// index, find-links directories, and the fault server for what nginx
will not do.  Expected answers come from the generated index itself."""
import hashlib
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(__file__)
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))
import indexgen  # noqa: E402

SPEC_A = {"projects": {
    "alpha": {"versions": {
        "1.0": {"requires": ["beta>=1"]},
        "2.0": {"requires": ["beta>=2"], "extras": {"x": ["gamma"]}, "sdist": True,
                "requires_python": ">=3.8"}}},
    "beta": {"versions": {
        "1.0": {},
        "2.0": {"wheel": False, "build": {"requires": ["setuptools>=61", "wheel"],
                                          "backend": "setuptools.build_meta"}}}},
    "gamma": {"versions": {"0.1": {"yanked": "broken"}}},
    "shared": {"versions": {"1.0": {}}},
}}
# A second index: "shared" exists on both (an impostor with a higher
# version), "only-b" only here.
SPEC_B = {"projects": {
    "shared": {"versions": {"99.0": {"requires": ["evil"]}}},
    "only-b": {"versions": {"3.0": {}}},
}}


@pytest.fixture(scope="module")
def indexes(tmp_path_factory):
    root = tmp_path_factory.mktemp("indexes")
    a, b = root / "a", root / "b"
    sa = indexgen.build(SPEC_A, str(a))
    sb = indexgen.build(SPEC_B, str(b))
    with indexgen.Server(str(a)) as srv_a, indexgen.Server(str(b)) as srv_b:
        yield {"a": srv_a, "b": srv_b, "dir_a": a, "dir_b": b, "sum_a": sa, "sum_b": sb}


@pytest.fixture
def faults():
    proc = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "faultserver.py")],
                            stdout=subprocess.PIPE, text=True)
    port = int(proc.stdout.readline())
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait()


@pytest.fixture
def run(run):
    """The shared fixture with text output: these tests compare strings."""
    def _run(*args, **kw):
        r = run(*args, **kw)
        r.out, r.err = r.out.decode(), r.err.decode()
        return r
    return _run


def index(run, cache, *args):
    return run("debug", "index", "--cache-dir", str(cache), "--stats", *args)


def files_of(data, name):
    return [f["filename"] for f in data["projects"][name]["files"]]


def test_files_order_hashes_and_fields(run, indexes, tmp_path):
    r = index(run, tmp_path / "c", "-i", indexes["a"].url, "alpha", "beta", "gamma")
    assert r.rc == 0, r.err
    d = r.json()
    # Newest first, wheels before the sdist of a version.
    assert files_of(d, "alpha") == ["alpha-2.0-py3-none-any.whl", "alpha-2.0.tar.gz",
                                    "alpha-1.0-py3-none-any.whl"]
    for f in d["projects"]["alpha"]["files"]:
        assert f["hashes"]["sha256"] == indexes["sum_a"]["alpha"][f["filename"]]
        assert f["url"].startswith(indexes["a"].url.replace("/simple/", "/files/"))
    by_name = {f["filename"]: f for f in d["projects"]["alpha"]["files"]}
    assert by_name["alpha-2.0-py3-none-any.whl"]["requires-python"] == ">=3.8"
    assert by_name["alpha-2.0-py3-none-any.whl"]["core-metadata"] != False  # noqa: E712
    assert d["projects"]["gamma"]["files"][0]["yanked"] == "broken"


def test_metadata_pep658_and_sdist_static_reading(run, indexes, tmp_path):
    r = index(run, tmp_path / "c", "-i", indexes["a"].url, "--metadata", "all", "alpha", "beta")
    assert r.rc == 0, r.err
    d = r.json()
    meta = {f["filename"]: f["metadata"] for p in d["projects"].values() for f in p["files"]}
    assert meta["alpha-2.0-py3-none-any.whl"]["via"] == "pep658"
    assert "beta>=2" in meta["alpha-2.0-py3-none-any.whl"]["requires-dist"]
    assert meta["alpha-2.0-py3-none-any.whl"]["requires-python"] == ">=3.8"
    sd = meta["beta-2.0.tar.gz"]
    assert sd["via"] == "sdist"
    assert sd["build-requires"] == ["setuptools>=61", "wheel"]
    assert sd["build-backend"] == "setuptools.build_meta"
    assert d["stats"]["via-pep658"] == 3 and d["stats"]["via-download"] == 2


def test_warm_run_sends_only_revalidations(run, indexes, tmp_path):
    cache = tmp_path / "c"
    cold = index(run, cache, "-i", indexes["a"].url, "--metadata", "all", "alpha", "beta", "gamma").json()
    entries = {f: f.stat().st_mtime_ns for f in cache.rglob("*") if f.is_file()}
    warm = index(run, cache, "-i", indexes["a"].url, "--metadata", "all", "alpha", "beta", "gamma").json()
    assert cold["stats"]["artifact-hits"] == 0
    # A 304 that changes no header of an entry without a max-age leaves the
    # entry alone: a re-lock of an unchanged index writes no file.
    assert {f: f.stat().st_mtime_ns for f in cache.rglob("*") if f.is_file()} == entries
    # Every metadata file and artifact is addressed by its sha256: no request.
    assert warm["stats"]["artifact-hits"] == warm["stats"]["metadata"] == cold["stats"]["metadata"]
    # The only requests are the three project pages, each a revalidation
    # (nginx sends validators but no max-age), and they moved no body.
    assert warm["stats"]["requests"] == 3
    assert warm["stats"]["revalidations"] == 3
    assert warm["stats"]["bytes"] == 0
    # Unchanged pages are not parsed again: their parse comes from the cache.
    assert cold["stats"]["pages-from-cache"] == 0
    assert warm["stats"]["pages-from-cache"] == warm["stats"]["pages"] == 3
    for p in warm["projects"].values():
        for f in p["files"]:
            assert f["metadata"].pop("from-cache") is True
    for p in cold["projects"].values():
        for f in p["files"]:
            assert f["metadata"].pop("from-cache") is False
    assert warm["projects"] == cold["projects"]  # the same answers


def test_offline_uses_the_cache_and_fails_clearly_without_it(run, indexes, tmp_path):
    cache = tmp_path / "c"
    r = index(run, cache, "-i", indexes["a"].url, "--offline", "alpha")
    assert r.rc == 1
    assert "offline and not in the cache" in r.err and "/simple/alpha/" in r.err
    index(run, cache, "-i", indexes["a"].url, "--metadata", "all", "alpha")
    r = index(run, cache, "-i", indexes["a"].url, "--offline", "--metadata", "all", "alpha")
    assert r.rc == 0, r.err
    stats = r.json()["stats"]
    assert stats["requests"] == 0 and stats["cache-hits"] == 1 and stats["artifact-hits"] == 3


def test_first_index_wins_and_merge_is_opt_in(run, indexes, tmp_path):
    a, b = indexes["a"].url, indexes["b"].url
    d = index(run, tmp_path / "c", "-i", a, "--extra-index-url", b, "shared", "only-b").json()
    assert files_of(d, "shared") == ["shared-1.0-py3-none-any.whl"]
    assert d["projects"]["shared"]["index"] == a
    assert files_of(d, "only-b") == ["only_b-3.0-py3-none-any.whl"]
    assert d["projects"]["only-b"]["index"] == b
    d = index(run, tmp_path / "c", "-i", a, "--extra-index-url", b, "--index-strategy", "unsafe-merge",
              "shared").json()
    assert files_of(d, "shared") == ["shared-99.0-py3-none-any.whl", "shared-1.0-py3-none-any.whl"]


def test_find_links_directory_and_no_index(run, indexes, tmp_path):
    links = indexes["dir_a"] / "files"
    d = index(run, tmp_path / "c", "--no-index", "-f", str(links), "--metadata", "all", "beta").json()
    assert files_of(d, "beta") == ["beta-2.0.tar.gz", "beta-1.0-py3-none-any.whl"]
    assert d["projects"]["beta"]["files"][0]["url"].startswith("file://")
    assert d["projects"]["beta"]["files"][0]["metadata"]["build-requires"] == ["setuptools>=61", "wheel"]
    # With an index too, find-links add their files (pip's behaviour).
    d = index(run, tmp_path / "c", "-i", indexes["b"].url, "-f", str(links), "beta").json()
    assert files_of(d, "beta") == ["beta-2.0.tar.gz", "beta-1.0-py3-none-any.whl"]


def test_file_url_index(run, indexes, tmp_path):
    url = "file://" + str(indexes["dir_a"] / "simple") + "/"
    d = index(run, tmp_path / "c", "-i", url, "--metadata", "best", "alpha").json()
    assert files_of(d, "alpha")[0] == "alpha-2.0-py3-none-any.whl"
    assert d["projects"]["alpha"]["files"][0]["metadata"]["requires-dist"][0] == "beta>=2"
    # A local index that is not there is an error, not "no such project".
    missing = "file://" + str(tmp_path / "nowhere" / "simple") + "/"
    r = run("debug", "index", "--cache-dir", str(tmp_path / "c"), "-i", missing, "alpha")
    assert r.rc == 1 and "is not a directory" in r.err and "nowhere" in r.err


def test_credentials_never_printed(run, indexes, tmp_path):
    url = indexes["a"].url.replace("http://", "http://user:s3cret@")
    r = index(run, tmp_path / "c", "-i", url, "--metadata", "all", "alpha")
    assert r.rc == 0, r.err
    assert "s3cret" not in r.out and "s3cret" not in r.err
    assert "****@" in r.out
    for root, _, files in os.walk(tmp_path / "c"):
        for f in files:
            assert b"s3cret" not in open(os.path.join(root, f), "rb").read()


@pytest.mark.parametrize("mode,message", [
    ("badjson", "JSON"),
    ("major2", "2.0"),
    ("badtype", "image/png"),
    ("500", "500"),
    ("truncate", ""),
])
def test_hostile_index_pages_fail_naming_the_page(run, faults, tmp_path, mode, message):
    r = index(run, tmp_path / "c", "-i", f"{faults}/index/{mode}/", "--retries", "1", "demo")
    assert r.rc == 1
    assert f"/index/{mode}/demo/" in r.err, r.err
    assert message in r.err
    assert "project 'demo'" in r.err
    # Nothing half-written: a failed page is never cached.
    http = tmp_path / "c" / "v1" / "http"
    assert not any(files for _, _, files in os.walk(http))


def test_retry_recovers_from_5xx(run, faults, tmp_path):
    r = index(run, tmp_path / "c", "-i", f"{faults}/index/flaky500/", "demo")
    assert r.rc == 0, r.err
    assert r.json()["stats"]["retries"] == 2


def test_hash_mismatch_is_an_error_and_nothing_is_stored(run, faults, tmp_path):
    r = index(run, tmp_path / "c", "-i", f"{faults}/index/badhash/", "--metadata", "all", "demo")
    assert r.rc == 1
    err = r.json()["projects"]["demo"]["files"][0]["metadata"]["error"]
    assert "hash mismatch" in err and "/index-files/x.tar.gz" in err
    assert not any(files for _, _, files in os.walk(tmp_path / "c" / "v1" / "sha256"))


def test_bad_pep658_hash_falls_back_to_the_wheel(run, faults, tmp_path):
    r = index(run, tmp_path / "c", "-i", f"{faults}/index/badmeta/", "--metadata", "all", "demo")
    # The wheel itself is not a zip either, so the fallback fails too, but
    # it was tried, and the warning says why the .metadata file was passed over.
    meta = r.json()["projects"]["demo"]["files"][0]["metadata"]
    assert "error" in meta and "x.whl" in meta["error"]
    assert r.rc == 1


def test_cache_command(run, indexes, tmp_path):
    cache = tmp_path / "c"
    r = run("cache", "dir", "--cache-dir", str(cache))
    assert r.rc == 0 and r.out.strip() == str(cache)
    index(run, cache, "-i", indexes["a"].url, "--metadata", "all", "alpha")
    r = run("cache", "size", "--bytes", "--cache-dir", str(cache))
    assert r.rc == 0 and int(r.out) > 0
    r = run("cache", "clean", "--cache-dir", str(cache))
    assert r.rc == 0 and "removed" in r.out
    r = run("cache", "size", "--bytes", "--cache-dir", str(cache))
    assert int(r.out) == 0
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "xdg"))
    env.pop("DEEPLOCK_CACHE_DIR", None)
    r = run("cache", "dir", env=env)
    assert r.out.strip() == str(tmp_path / "xdg" / "deeplock")
    r = run("cache", "frobnicate")
    assert r.rc == 2 and "unknown subcommand" in r.err


def test_usage_errors(run, tmp_path):
    r = run("debug", "index", "--index-strategy", "yolo", "x")
    assert r.rc == 2 and "first-index or unsafe-merge" in r.err
    r = run("debug", "index", "-i", "ftp://example/simple/", "--cache-dir", str(tmp_path), "x")
    assert r.rc == 1 and "must start with http://, https:// or file://" in r.err
    r = run("debug", "index", "--concurrency", "0", "x")
    assert r.rc == 2


def test_lazy_wheels_read_metadata_with_range_requests(run, tmp_path):
    spec = {"pep658": False, "projects": {
        "alpha": {"versions": {"1.0": {"requires": ["beta>=1", "gamma; extra == 'x'"], "provides_extra": ["x"]}}},
        "beta": {"versions": {"1.0": {}}}}}
    summary = indexgen.build(spec, str(tmp_path / "idx"))
    wheel = tmp_path / "idx" / "files" / "alpha-1.0-py3-none-any.whl"
    assert not (tmp_path / "idx" / "files" / "alpha-1.0-py3-none-any.whl.metadata").exists()
    with indexgen.Server(str(tmp_path / "idx")) as srv:
        cold = index(run, tmp_path / "c", "-i", srv.url, "--metadata", "all", "alpha", "beta")
        assert cold.rc == 0, cold.err
        d = cold.json()
        meta = d["projects"]["alpha"]["files"][0]["metadata"]
        assert meta["via"] == "range" and "warning" not in meta
        assert meta["requires-dist"] == ["beta>=1", "gamma; extra == 'x'"]
        # A small wheel: one suffix request holds the whole central directory and member.
        assert d["stats"]["range-requests"] == 2 and d["stats"]["via-range"] == 2
        warm = index(run, tmp_path / "c", "-i", srv.url, "--metadata", "all", "alpha", "beta").json()
        assert warm["stats"]["range-requests"] == 0 and warm["stats"]["requests"] == 2  # two page revalidations
        assert warm["projects"]["alpha"]["files"][0]["metadata"]["from-cache"] is True
    # A server that ignores Range (Python's http.server) sends whole wheels.
    proc = subprocess.Popen(["/usr/bin/python3", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory",
                             str(tmp_path / "idx")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = proc.stdout.readline()
        port = int(line.split("port ")[1].split(" ")[0])
        r = index(run, tmp_path / "c2", "-i", f"http://127.0.0.1:{port}/simple/", "--metadata", "all", "alpha")
        assert r.rc == 0, r.err
        meta = r.json()["projects"]["alpha"]["files"][0]["metadata"]
        assert meta["via"] == "wheel" and meta["requires-dist"][0] == "beta>=1"
        assert hashlib.sha256(wheel.read_bytes()).hexdigest() == summary["alpha"][wheel.name]
    finally:
        proc.terminate()
        proc.wait()


def test_lazy_wheel_with_a_large_central_directory(run, tmp_path):
    """A wheel whose central directory is larger than the first 64 KiB tail and
    whose METADATA lies far before it: the client asks for more of the tail,
    then for the member, and reads much less than the wheel."""
    import zipfile
    root = tmp_path / "idx"
    (root / "files").mkdir(parents=True)
    (root / "simple" / "big").mkdir(parents=True)
    wheel = root / "files" / "big-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("big-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: big\nVersion: 1.0\n"
                    "Requires-Dist: six>=1\n\n")
        zf.writestr("big/blob.bin", os.urandom(300_000))  # stored bytes between METADATA and the directory
        for k in range(2500):
            zf.writestr(f"big/pkg/module_with_a_long_name_{k:05d}.py", "")
        zf.writestr("big-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
    sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
    (root / "simple" / "big" / "index.html").write_text(
        f'<a href="../../files/{wheel.name}#sha256={sha}">{wheel.name}</a>\n')
    (root / "simple" / "big" / "index.json").write_text(json.dumps(
        {"meta": {"api-version": "1.1"}, "name": "big",
         "files": [{"filename": wheel.name, "url": f"../../files/{wheel.name}", "hashes": {"sha256": sha}}]}))
    with indexgen.Server(str(root)) as srv:
        r = index(run, tmp_path / "c", "-i", srv.url, "--metadata", "all", "big")
    assert r.rc == 0, r.err
    d = r.json()
    meta = d["projects"]["big"]["files"][0]["metadata"]
    assert meta["via"] == "range" and meta["requires-dist"] == ["six>=1"], meta
    assert d["stats"]["range-requests"] == 3  # tail, the rest of the directory, the member
    assert d["stats"]["bytes"] < wheel.stat().st_size / 2
