"""deeplock lock end to end: the real binary against nginx serving the demo
index (demo/index.json) and small hostile variants of it.

Completeness is checked against the index description itself, with pypa's
packaging library, not with deeplock's own code: every package an installer
would build for the target has a build environment whose packages satisfy
its build requirements, every environment is closed under its packages'
runtime requirements, recursively, and every locked file's hash is the
served file's."""
import copy
import hashlib
import json
import os
import shutil
import sys

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None

HERE = os.path.dirname(__file__)
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))
import indexgen  # noqa: E402
from latency_proxy import LatencyProxy  # noqa: E402

DEMO_SPEC = json.load(open(os.path.join(ROOT, "demo", "index.json")))
DEMO_PROJECT = os.path.join(ROOT, "demo", "project")
TARGET_ENV = {"python_version": "3.11", "python_full_version": "3.11.0", "sys_platform": "linux",
              "platform_machine": "x86_64", "platform_python_implementation": "CPython",
              "implementation_name": "cpython", "os_name": "posix", "platform_system": "Linux"}


def usable_tag(tag):
    """Whether a wheel tag installs on CPython 3.11, manylinux_2_36 x86_64."""
    for t in tag.split("-")[0].split("."):
        pass
    py, abi, plat = tag.split("-")
    plat_ok = plat == "any" or any(
        p.endswith("_x86_64") and (p.startswith("manylinux") or p == "linux_x86_64") for p in plat.split("."))
    py_ok = any(p in ("py3", "py2", "cp311") or (p.startswith("cp3") and abi == "abi3" and int(p[3:]) <= 11)
                for p in py.split("."))
    if py_ok and "py2" in py.split(".") and "py3" not in py.split("."):
        py_ok = False
    return plat_ok and py_ok


class Index:
    """The description of a generated index, queried the way a checker
    independent of deeplock would."""

    def __init__(self, spec):
        self.projects = {canonicalize_name(n): p for n, p in spec["projects"].items()}

    def info(self, name, version):
        for v, info in self.projects[canonicalize_name(name)]["versions"].items():
            if Version(v) == Version(version):
                return info or {}
        raise KeyError((name, version))

    def has_usable_wheel(self, name, version):
        wheel = self.info(name, version).get("wheel", True)
        if wheel is False:
            return False
        tags = wheel if isinstance(wheel, list) else ["py3-none-any"]
        return any(usable_tag(t) for t in tags)

    def runtime_requires(self, name, version):
        return [Requirement(r) for r in self.info(name, version).get("requires", [])]

    def build_requires(self, name, version):
        build = self.info(name, version).get("build", {})
        reqs = [Requirement(r) for r in build.get("requires", ["setuptools>=40.8.0"])]
        reqs += [Requirement(r) for r in build.get("setup_requires", [])]
        return reqs


def applies(req, extra=None):
    if req.marker is None:
        return True
    env = dict(TARGET_ENV, extra=extra or "")
    return req.marker.evaluate(env)


def check_closed(index, packages, roots, what):
    """Every root and every package's runtime requirement is satisfied by
    one package of the set."""
    by_name = {canonicalize_name(p["name"]): p for p in packages}
    assert len(by_name) == len(packages), f"{what}: a name is locked twice"
    todo = [r for r in roots if applies(r)]
    for p in packages:
        todo += [r for r in index.runtime_requires(p["name"], p["version"]) if applies(r)]
    for req in todo:
        got = by_name.get(canonicalize_name(req.name))
        assert got is not None, f"{what}: {req} is not satisfied: {req.name} is not locked"
        assert req.specifier.contains(got["version"], prereleases=True), \
            f"{what}: {req} is not satisfied by {got['version']}"


def check_lock(lock_path, index, index_dir, project_reqs):
    data = open(lock_path, "rb").read()
    doc = tomllib.loads(data.decode())
    check_pylock_schema(doc)
    envs = {e["id"]: e for e in doc.get("tool", {}).get("deeplock", {}).get("build-envs", [])}
    check_closed(index, doc["packages"], project_reqs, "runtime set")
    check_files(doc["packages"], index_dir)
    seen = set()

    def check_builds(pkgs, where):
        for p in pkgs:
            if index.has_usable_wheel(p["name"], p["version"]):
                continue
            tool = p.get("tool", {}).get("deeplock", {})
            assert tool.get("builds-from-source") is True, f"{where}: {p['name']} must be marked as built"
            env_id = tool.get("build-env")
            assert env_id in envs, f"{where}: {p['name']} {p['version']} is built but has no build environment"
            env = envs[env_id]
            reqs = index.build_requires(p["name"], p["version"])
            check_closed(index, env["packages"], reqs, f"build environment {env_id} of {p['name']}")
            check_files(env["packages"], index_dir)
            assert f"{canonicalize_name(p['name'])}=={p['version']}" in env["builds"]
            if env_id not in seen:
                seen.add(env_id)
                check_builds(env["packages"], f"build environment {env_id}")

    check_builds(doc["packages"], "runtime set")
    return doc, envs


def check_files(packages, index_dir):
    for p in packages:
        files = list(p.get("wheels", [])) + ([p["sdist"]] if "sdist" in p else [])
        assert files, f"{p['name']} has no file"
        for f in files:
            served = open(os.path.join(index_dir, "files", f["name"]), "rb").read()
            assert f["hashes"]["sha256"] == hashlib.sha256(served).hexdigest(), f["name"]
            assert f["size"] == len(served)
            assert f["url"].endswith("/files/" + f["name"])


def check_pylock_schema(doc):
    """PEP 751's rules for the keys deeplock writes."""
    assert doc["lock-version"] == "1.0"
    assert isinstance(doc["created-by"], str)
    for env in doc.get("environments", []):
        Marker(env)
    assert isinstance(doc["packages"], list)
    for p in doc["packages"]:
        assert set(p) <= {"name", "version", "marker", "requires-python", "dependencies", "index", "vcs",
                          "directory", "archive", "sdist", "wheels", "attestation-identities", "tool"}, p
        assert canonicalize_name(p["name"]) == p["name"]
        Version(p["version"])
        assert "sdist" in p or "wheels" in p
        for f in p.get("wheels", []) + ([p["sdist"]] if "sdist" in p else []):
            assert set(f) <= {"name", "upload-time", "url", "path", "size", "hashes"}
            assert "url" in f or "path" in f
            assert f["hashes"] and all(len(h) == 64 for h in f["hashes"].values())
        for d in p.get("dependencies", []):
            assert set(d) <= {"name", "version", "marker", "index"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    d = tmp_path_factory.mktemp("demo")
    indexgen.build(DEMO_SPEC, str(d / "index"))
    with indexgen.Server(str(d / "index")) as srv:
        yield {"url": srv.url, "dir": d / "index", "index": Index(DEMO_SPEC)}


def project(tmp_path, deps=None):
    p = tmp_path / "project"
    shutil.copytree(DEMO_PROJECT, p)
    if deps is not None:
        (p / "pyproject.toml").write_text(
            '[project]\nname = "t"\nversion = "1"\ndependencies = ' + json.dumps(deps) + "\n")
    return p


def lock(run, tmp_path, url, *args):
    r = run("lock", *args, "-i", url, "--cache-dir", str(tmp_path / "cache"))
    r.out, r.err = r.out.decode(), r.err.decode()
    return r


@pytest.mark.skipif(tomllib is None, reason="needs Python 3.11's tomllib")
def test_demo_lock_is_complete_and_hashed(run, demo, tmp_path):
    p = project(tmp_path)
    r = lock(run, tmp_path, demo["url"], str(p))
    assert r.rc == 0, r.err
    roots = [Requirement(x) for x in tomllib.loads((p / "pyproject.toml").read_text())["project"]["dependencies"]]
    doc, envs = check_lock(p / "pylock.toml", demo["index"], demo["dir"], roots)
    names = {x["name"] for x in doc["packages"]}
    assert {"requests", "cryptography", "pyyaml", "demo-cycle-a", "cffi"} <= names
    # cryptography builds with setuptools-rust; pyyaml with Cython < 3.
    crypto = next(x for x in doc["packages"] if x["name"] == "cryptography")
    env = envs[crypto["tool"]["deeplock"]["build-env"]]
    assert "setuptools-rust" in {x["name"] for x in env["packages"]}
    # The project's own build environment (flit_core, which builds itself).
    assert any(e["builds"] == ["<project>"] for e in envs.values())
    assert "3 packages will run code at install time" in r.err
    assert "cryptography 41.0.7 (no compatible wheel): <project> -> cryptography==41.0.7" in r.err


@pytest.mark.skipif(tomllib is None, reason="needs Python 3.11's tomllib")
def test_build_deps_all_expands_everything_and_reports_the_cycle(run, demo, tmp_path):
    p = project(tmp_path)
    r = lock(run, tmp_path, demo["url"], str(p), "--build-deps", "all")
    assert r.rc == 0, r.err
    doc = tomllib.loads((p / "pylock.toml").read_text())
    for pkg in doc["packages"]:
        if "sdist" in pkg:
            assert "build-env" in pkg["tool"]["deeplock"], pkg["name"]
    notes = doc["tool"]["deeplock"]["notes"]
    assert "build cycle: demo-cycle-a==1.0 -> [build] demo-cycle-b==1.0 -> [build] demo-cycle-a==1.0" in notes
    assert doc["tool"]["deeplock"]["build-policy"] == "all"


def test_byte_identical_across_runs_and_caches(run, demo, tmp_path):
    p = project(tmp_path)
    assert lock(run, tmp_path, demo["url"], str(p)).rc == 0
    first = (p / "pylock.toml").read_bytes()
    assert lock(run, tmp_path, demo["url"], str(p)).rc == 0
    assert (p / "pylock.toml").read_bytes() == first
    shutil.rmtree(tmp_path / "cache")
    assert lock(run, tmp_path, demo["url"], str(p), "--no-cache").rc == 0
    assert (p / "pylock.toml").read_bytes() == first


def test_check_and_forbid_sdist(run, demo, tmp_path):
    p = project(tmp_path)
    r = lock(run, tmp_path, demo["url"], str(p), "--check")
    assert r.rc == 1 and "missing" in r.err
    assert lock(run, tmp_path, demo["url"], str(p)).rc == 0
    r = lock(run, tmp_path, demo["url"], str(p), "--check")
    assert r.rc == 0, r.err
    text = (p / "pyproject.toml").read_text().replace('"pyyaml>=6",\n', "")
    (p / "pyproject.toml").write_text(text)
    r = lock(run, tmp_path, demo["url"], str(p), "--check")
    assert r.rc == 1 and "out of date" in r.err
    before = (p / "pylock.toml").read_bytes()
    r = lock(run, tmp_path, demo["url"], str(p), "--forbid-sdist")
    assert r.rc == 1
    assert "--forbid-sdist: 2 packages would run code at install time" in r.err
    assert "cryptography 41.0.7 (no compatible wheel): <project> -> cryptography==41.0.7" in r.err
    assert (p / "pylock.toml").read_bytes() == before


def hostile(tmp_path, mutate):
    spec = copy.deepcopy(DEMO_SPEC)
    mutate(spec["projects"])
    d = tmp_path / "hostile-index"
    indexgen.build(spec, str(d))
    return d


def keep_old_lock(p):
    (p / "pylock.toml").write_text("# the previous lock\n")


def assert_old_lock(p):
    assert (p / "pylock.toml").read_text() == "# the previous lock\n"
    assert [f for f in os.listdir(p) if f.startswith(".pylock")] == []


def test_unsatisfiable_build_requirement_leaves_the_old_lock(run, tmp_path):
    def mutate(projects):
        projects["pyyaml"]["versions"]["6.0.1"]["build"]["requires"] = ["setuptools", "cython>=99"]
    d = hostile(tmp_path, mutate)
    p = project(tmp_path, ["pyyaml"])
    keep_old_lock(p)
    with indexgen.Server(str(d)) as srv:
        r = lock(run, tmp_path, srv.url, str(p))
    assert r.rc == 1
    assert "cannot resolve the build environment of pyyaml 6.0.1" in r.err
    assert "cython" in r.err
    assert_old_lock(p)


def test_cycle_without_wheels_fails_naming_it(run, tmp_path):
    def mutate(projects):
        projects["demo-cycle-b"]["versions"]["1.0"]["wheel"] = False
    d = hostile(tmp_path, mutate)
    p = project(tmp_path, ["demo-cycle-a"])
    keep_old_lock(p)
    with indexgen.Server(str(d)) as srv:
        r = lock(run, tmp_path, srv.url, str(p))
    assert r.rc == 1
    assert "build cycle: demo-cycle-a==1.0 -> [build] demo-cycle-b==1.0 -> [build] demo-cycle-a==1.0" in r.err
    assert "no installer can build" in r.err
    assert_old_lock(p)


def test_hash_mismatch_leaves_the_old_lock(run, tmp_path):
    d = hostile(tmp_path, lambda projects: None)
    sdist = d / "files" / "pyyaml-6.0.1.tar.gz"
    sdist.write_bytes(sdist.read_bytes() + b"tampered")
    p = project(tmp_path, ["pyyaml"])
    keep_old_lock(p)
    with indexgen.Server(str(d)) as srv:
        r = lock(run, tmp_path, srv.url, str(p))
    assert r.rc == 1
    assert "hash mismatch" in r.err and "pyyaml-6.0.1.tar.gz" in r.err
    assert_old_lock(p)


def test_index_down_midway_leaves_the_old_lock(run, tmp_path):
    d = hostile(tmp_path, lambda projects: None)
    p = project(tmp_path, ["pyyaml"])
    with indexgen.Server(str(d)) as srv:
        url = srv.url
        # Runtime pages cached, build environments not yet fetched.
        assert lock(run, tmp_path, url, str(p), "--build-deps", "none").rc == 0
    keep_old_lock(p)
    r = lock(run, tmp_path, url, str(p), "--retries", "0", "--timeout", "2")
    assert r.rc == 1
    assert "127.0.0.1" in r.err
    assert_old_lock(p)


def test_usage_and_input_errors(run, tmp_path):
    r = run("lock", "--build-deps", "some")
    assert r.rc == 2 and b"needed, all or none" in r.err
    (tmp_path / "req.txt").write_text("alpha\n--frobnicate\n")
    r = run("lock", "-r", str(tmp_path / "req.txt"), "--offline", "--cache-dir", str(tmp_path / "c"))
    assert r.rc == 1 and f"{tmp_path / 'req.txt'}:2:1".encode() in r.err and b"--frobnicate" in r.err
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1"\ndependencies = "requests"\n')
    r = run("lock", str(tmp_path), "--offline", "--cache-dir", str(tmp_path / "c"))
    assert r.rc == 1 and b"pyproject.toml:4:16" in r.err and b"must be an array" in r.err


@pytest.fixture(scope="module")
def demo_lock(demo, tmp_path_factory):
    from conftest import Run  # noqa: F401
    import subprocess
    d = tmp_path_factory.mktemp("demo-lock")
    p = d / "project"
    shutil.copytree(DEMO_PROJECT, p)
    proc = subprocess.run([os.environ["DEEPLOCK"], "lock", str(p), "-i", demo["url"], "--cache-dir", str(d / "c")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return p / "pylock.toml"


def text(run, *args):
    r = run(*args)
    r.out, r.err = r.out.decode(), r.err.decode()
    return r


def test_export_requirements_and_constraints(run, demo_lock, tmp_path):
    r = text(run, "export", "--lock", str(demo_lock))
    assert r.rc == 0, r.err
    assert "requests==2.31.0 \\\n    --hash=sha256:" in r.out
    assert "pyyaml==6.0.1 \\\n" in r.out and "# built from source in build environment cython+setuptools+wheel-" in r.out
    r = text(run, "export", "--lock", str(demo_lock), "--format", "build-constraints", "-o", str(tmp_path / "bc.txt"))
    assert r.rc == 0, r.err
    lines = (tmp_path / "bc.txt").read_text().splitlines()
    assert "setuptools==69.0.2" in lines and "setuptools-rust==1.8.1" in lines
    env_id = next(l.split('"')[1] for l in demo_lock.read_text().splitlines() if l.startswith('id = "cython+'))
    r = text(run, "export", "--lock", str(demo_lock), "--build-env", env_id, "--format", "pylock")
    assert r.rc == 0, r.err
    doc = tomllib.loads(r.out)
    check_pylock_schema(doc)
    assert {p["name"] for p in doc["packages"]} == {"cython", "setuptools", "wheel"}
    r = text(run, "export", "--lock", str(demo_lock), "--build-env", "nope", "--format", "pylock")
    assert r.rc == 1 and "no build environment 'nope'" in r.err
    r = text(run, "export", "--lock", str(demo_lock), "--format", "pylock")
    assert r.rc == 2


def test_export_flags_conflicting_build_pins(run, tmp_path):
    (tmp_path / "pylock.toml").write_text(
        'lock-version = "1.0"\ncreated-by = "deeplock"\npackages = []\n'
        '[[tool.deeplock.build-envs]]\nid = "a"\n[[tool.deeplock.build-envs.packages]]\n'
        'name = "setuptools"\nversion = "68.0.0"\nwheels = [{ name = "s.whl", url = "u", hashes = { sha256 = "'
        + "a" * 64 + '" } }]\n'
        '[[tool.deeplock.build-envs]]\nid = "b"\n[[tool.deeplock.build-envs.packages]]\n'
        'name = "setuptools"\nversion = "69.0.2"\nwheels = [{ name = "s.whl", url = "u", hashes = { sha256 = "'
        + "b" * 64 + '" } }]\n')
    r = text(run, "export", "--lock", str(tmp_path / "pylock.toml"), "--format", "build-constraints")
    assert r.rc == 0, r.err
    assert "setuptools==" not in "\n".join(l for l in r.out.splitlines() if not l.startswith("#"))
    assert "#   setuptools==68.0.0 in a" in r.out and "#   setuptools==69.0.2 in b" in r.out
    assert "1 package is pinned to different versions" in r.err


def test_tree_why_graph(run, demo_lock):
    r = text(run, "tree", "--lock", str(demo_lock))
    assert r.rc == 0, r.err
    assert "|-- cryptography 41.0.7  (built from source in cffi+setuptools-rust+setuptools-" in r.out
    assert "[build] setuptools-rust 1.8.1" in r.out
    r = text(run, "why", "semantic_version", "--lock", str(demo_lock))
    assert r.rc == 0, r.err
    assert r.out.splitlines() == [
        "<project> -> cryptography==41.0.7 -> [build in " + next(
            l.split('"')[1] for l in demo_lock.read_text().splitlines() if l.startswith('id = "cffi+'))
        + "] -> setuptools-rust==1.8.1 -> semantic-version==2.10.0"]
    r = text(run, "why", "nonexistent", "--lock", str(demo_lock))
    assert r.rc == 1 and "nonexistent is not in" in r.err
    r = text(run, "graph", "--lock", str(demo_lock))
    assert r.rc == 0 and r.out.startswith("digraph deeplock {")
    assert 'style=dashed, color=red, label="build"' in r.out
    assert r.out.count("subgraph") == demo_lock.read_text().splitlines().count("[[tool.deeplock.build-envs]]")
    r = text(run, "tree", "--lock", str(demo_lock), "--invert", "setuptools")
    assert "`-- required by setuptools-rust==1.8.1" in r.out
    r = text(run, "tree", "--lock", "/nonexistent/pylock.toml")
    assert r.rc == 1


def test_requirements_file_options_and_groups(run, demo, tmp_path):
    """pip honours global options inside requirements files; so does deeplock."""
    (tmp_path / "req.txt").write_text(f"--index-url {demo['url']}\n--only-binary :all:\nrequests\n")
    r = run("lock", "-r", str(tmp_path / "req.txt"), "-o", str(tmp_path / "pylock.toml"), "--cache-dir",
            str(tmp_path / "c"))
    assert r.rc == 0, r.err
    assert b"requests" in (tmp_path / "pylock.toml").read_bytes()
    (tmp_path / "req.txt").write_text(f"--index-url {demo['url']}\n--only-binary :all:\npyyaml\n")
    r = run("lock", "-r", str(tmp_path / "req.txt"), "-o", str(tmp_path / "p2.toml"), "--cache-dir", str(tmp_path / "c"))
    assert r.rc == 1 and b"building from source is disabled and it has no wheels" in r.err
    p = tmp_path / "proj"
    p.mkdir()
    (p / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1"\ndependencies = []\n'
                                      '[dependency-groups]\ndev = ["requests", {include-group = "lint"}]\nlint = ["idna"]\n')
    r = lock(run, tmp_path, demo["url"], str(p), "--group", "dev", "--build-deps", "none")
    assert r.rc == 0, r.err
    names = {x["name"] for x in tomllib.loads((p / "pylock.toml").read_text())["packages"]}
    assert {"requests", "idna", "urllib3"} <= names
    r = lock(run, tmp_path, demo["url"], str(p), "--group", "nope")
    assert r.rc == 1 and "no such group" in r.err


def test_relock_keeps_versions_unless_told_to_upgrade(run, demo, tmp_path):
    p = project(tmp_path, ["requests"])
    (tmp_path / "c.txt").write_text("urllib3<2\n")
    r = lock(run, tmp_path, demo["url"], str(p), "-c", str(tmp_path / "c.txt"))
    assert r.rc == 0, r.err

    def urllib3():
        doc = tomllib.loads((p / "pylock.toml").read_text())
        return next(x["version"] for x in doc["packages"] if x["name"] == "urllib3")

    assert urllib3() == "1.26.18"
    # Without the constraint, the existing lock's version still satisfies: kept.
    assert lock(run, tmp_path, demo["url"], str(p)).rc == 0
    assert urllib3() == "1.26.18"
    assert lock(run, tmp_path, demo["url"], str(p), "--check").rc == 0
    # Only the named package moves; then a full upgrade.
    assert lock(run, tmp_path, demo["url"], str(p), "-P", "urllib3").rc == 0
    assert urllib3() == "2.1.0"
    (tmp_path / "c.txt").write_text("urllib3<2\n")
    assert lock(run, tmp_path, demo["url"], str(p), "-c", str(tmp_path / "c.txt")).rc == 0
    assert urllib3() == "1.26.18"
    assert lock(run, tmp_path, demo["url"], str(p), "--upgrade").rc == 0
    assert urllib3() == "2.1.0"


def test_pip_installs_the_requirements_export_with_hashes(run, demo, tmp_path):
    """The export is what pip --require-hashes accepts: pip downloads every
    locked file from the loopback index and checks each hash; a changed hash
    makes it refuse."""
    import subprocess
    p = project(tmp_path, ["requests"])
    assert lock(run, tmp_path, demo["url"], str(p)).rc == 0
    r = run("export", "--lock", str(p / "pylock.toml"), "-o", str(tmp_path / "req.txt"))
    assert r.rc == 0, r.err
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(PIP_CONFIG_FILE="/dev/null", http_proxy="http://127.0.0.1:9", no_proxy="127.0.0.1",
               PIP_DISABLE_PIP_VERSION_CHECK="1")
    pip = ["/usr/bin/python3", "-m", "pip", "download", "--require-hashes", "--no-deps", "--only-binary", ":all:",
           "--index-url", demo["url"], "--no-cache-dir", "-r"]
    proc = subprocess.run(pip + [str(tmp_path / "req.txt"), "-d", str(tmp_path / "dl")], capture_output=True,
                          text=True, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    got = sorted(os.listdir(tmp_path / "dl"))
    assert got == sorted(["certifi-2023.11.17-py3-none-any.whl", "charset_normalizer-3.3.2-py3-none-any.whl",
                          "idna-3.6-py3-none-any.whl", "requests-2.31.0-py3-none-any.whl",
                          "urllib3-2.1.0-py3-none-any.whl"])
    text = (tmp_path / "req.txt").read_text()
    first = text.index("--hash=sha256:") + len("--hash=sha256:")
    (tmp_path / "bad.txt").write_text(text[:first] + ("0" if text[first] != "0" else "1") + text[first + 1:])
    proc = subprocess.run(pip + [str(tmp_path / "bad.txt"), "-d", str(tmp_path / "dl2")], capture_output=True,
                          text=True, env=env)
    assert proc.returncode != 0 and "HASHES" in proc.stdout + proc.stderr


def test_progress_on_a_terminal_and_colour_rules(demo, tmp_path):
    """On a terminal the lock shows a live progress line (erased at the end)
    and bold text unless NO_COLOR is set; piped output has neither."""
    import pty
    import subprocess
    p = project(tmp_path, ["requests", "pyyaml"])

    def on_tty(extra_env):
        master, slave = pty.openpty()
        env = dict(os.environ, **extra_env)
        proc = subprocess.Popen([os.environ["DEEPLOCK"], "lock", str(p), "-i", demo["url"], "--cache-dir",
                                 str(tmp_path / "c")], stdin=slave, stdout=slave, stderr=slave, env=env)
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
        proc.wait()
        os.close(master)
        return proc.returncode, out

    rc, out = on_tty({})
    assert rc == 0
    assert b"\r\x1b[K\x1b[1mResolving\x1b[0m: " in out and b"build environments" in out
    rc, out = on_tty({"NO_COLOR": "1"})
    assert rc == 0 and b"\x1b[1m" not in out and b"Resolving: " in out
    r = subprocess.run([os.environ["DEEPLOCK"], "lock", str(p), "-i", demo["url"], "--cache-dir", str(tmp_path / "c")],
                       capture_output=True)
    assert r.returncode == 0 and b"Resolving" not in r.stderr and b"\x1b" not in r.stderr


@pytest.mark.skipif(tomllib is None, reason="needs Python 3.11's tomllib")
def test_several_target_environments_in_one_lock(run, demo, tmp_path):
    """Linux x86_64 and macOS arm64 in one lock: each environment, selecting
    packages by marker as an installer does, gets a closed, complete set;
    cffi is built from source only on macOS (its only macOS wheel is for
    cp312) and cryptography only on Linux (its wheel is macOS-only)."""
    p = project(tmp_path)
    r = lock(run, tmp_path, demo["url"], str(p), "--python-platform", "manylinux_2_36_x86_64",
             "--python-platform", "macosx_11_0_arm64")
    assert r.rc == 0, r.err
    doc = tomllib.loads((p / "pylock.toml").read_text())
    assert len(doc["environments"]) == 2
    linux = dict(TARGET_ENV, python_full_version="3.11.7")
    mac = dict(linux, sys_platform="darwin", platform_machine="arm64", platform_system="Darwin")
    for env in (linux, mac):
        assert sum(Marker(m).evaluate(env) for m in doc["environments"]) == 1
        chosen = [x for x in doc["packages"] if "marker" not in x or Marker(x["marker"]).evaluate(env)]
        names = [x["name"] for x in chosen]
        assert len(names) == len(set(names)), names
        assert {"requests", "cryptography", "pyyaml", "cffi"} <= set(names)
    built = {(x["name"], x.get("marker", "")) for x in doc["packages"] if x.get("tool", {}).get("deeplock", {}).get("builds-from-source")}
    assert any(n == "cffi" and "darwin" in m for n, m in built)
    assert not any(n == "cffi" and "linux" in m for n, m in built)
    assert any(n == "cryptography" and "linux" in m for n, m in built)
    assert not any(n == "cryptography" and "darwin" in m for n, m in built)
    env_ids = {e["id"] for e in doc["tool"]["deeplock"]["build-envs"]}
    for x in doc["packages"]:
        be = x.get("tool", {}).get("deeplock", {}).get("build-env")
        assert be is None or be in env_ids


REAL_WHEELS = "/usr/share/python-wheels"


@pytest.mark.skipif(not os.path.isdir(REAL_WHEELS), reason="Debian's python3-setuptools-whl is not installed")
def test_pip_builds_with_the_build_constraints_export(run, tmp_path):
    """A real build: an sdist whose backend is setuptools, an index holding
    Debian's real setuptools and wheel wheels (no PEP 658 files, so deeplock
    reads them with range requests).  deeplock locks the build environment;
    pip builds the sdist with the build-constraints export as PIP_CONSTRAINT,
    which pip applies inside its isolated build environment.  A constraint
    naming a setuptools that does not exist makes the same build fail, which
    shows the constraints reach the build."""
    import glob
    import io
    import subprocess
    import tarfile
    root = tmp_path / "idx"
    files = root / "files"
    files.mkdir(parents=True)
    wheels = [w for w in glob.glob(os.path.join(REAL_WHEELS, "*.whl")) if "setuptools" in w or "wheel-" in w]
    for w in wheels:
        shutil.copy(w, files)
    sdist = io.BytesIO()
    with tarfile.open(fileobj=sdist, mode="w:gz") as tf:
        def add(name, text):
            data = text.encode()
            ti = tarfile.TarInfo(f"tinypkg-1.0/{name}")
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
        add("PKG-INFO", "Metadata-Version: 2.1\nName: tinypkg\nVersion: 1.0\n")
        add("pyproject.toml", '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n'
            '[project]\nname = "tinypkg"\nversion = "1.0"\n')
        add("tinypkg.py", "VALUE = 1\n")
    (files / "tinypkg-1.0.tar.gz").write_bytes(sdist.getvalue())
    by_project = {}
    for f in sorted(os.listdir(files)):
        by_project.setdefault(f.split("-")[0].replace("_", "-").lower(), []).append(f)
    for proj, fs in by_project.items():
        d = root / "simple" / proj
        d.mkdir(parents=True)
        links = "".join(f'<a href="../../files/{f}#sha256={hashlib.sha256((files / f).read_bytes()).hexdigest()}">{f}</a>\n'
                        for f in fs)
        (d / "index.html").write_text(links)
        (d / "index.json").write_text(json.dumps({"meta": {"api-version": "1.0"}, "name": proj, "files": [
            {"filename": f, "url": f"../../files/{f}", "hashes": {"sha256": hashlib.sha256((files / f).read_bytes()).hexdigest()}}
            for f in fs]}))
    p = project(tmp_path, ["tinypkg"])
    with indexgen.Server(str(root)) as srv:
        r = lock(run, tmp_path, srv.url, str(p))
        assert r.rc == 0, r.err
        doc = tomllib.loads((p / "pylock.toml").read_text())
        env = doc["tool"]["deeplock"]["build-envs"]
        pins = {x["name"]: x["version"] for e in env for x in e["packages"]}
        setuptools_v = next(os.path.basename(w).split("-")[1] for w in wheels if "setuptools" in w)
        assert pins.get("setuptools") == setuptools_v
        r = run("export", "--lock", str(p / "pylock.toml"), "--format", "build-constraints", "-o", str(tmp_path / "bc.txt"))
        assert r.returncode if hasattr(r, "returncode") else r.rc == 0
        assert f"setuptools=={setuptools_v}" in (tmp_path / "bc.txt").read_text().splitlines()
        env_vars = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
        env_vars.update(PIP_CONFIG_FILE="/dev/null", http_proxy="http://127.0.0.1:9", no_proxy="127.0.0.1",
                        PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_CACHE_DIR="1",
                        PIP_CONSTRAINT=str(tmp_path / "bc.txt"))
        cmd = ["/usr/bin/python3", "-m", "pip", "wheel", "--no-deps", "--index-url", srv.url, "tinypkg==1.0"]
        proc = subprocess.run(cmd + ["-w", str(tmp_path / "out")], capture_output=True, text=True, env=env_vars)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert os.path.exists(tmp_path / "out" / "tinypkg-1.0-py3-none-any.whl")
        (tmp_path / "bad.txt").write_text("setuptools==61.0.0\n")
        env_vars["PIP_CONSTRAINT"] = str(tmp_path / "bad.txt")
        proc = subprocess.run(cmd + ["-w", str(tmp_path / "out2")], capture_output=True, text=True, env=env_vars)
        assert proc.returncode != 0 and "setuptools" in proc.stdout + proc.stderr


def test_resolution_strategies_overrides_and_prerelease_modes(run, demo, tmp_path):
    def deps(d):
        (p / "pyproject.toml").write_text('[project]\nname = "t"\nversion = "1"\ndependencies = ' + json.dumps(d) + "\n")

    def versions(p):
        return {x["name"]: x["version"] for x in tomllib.loads((p / "pylock.toml").read_text())["packages"]}

    p = project(tmp_path, ["requests"])
    assert lock(run, tmp_path, demo["url"], str(p), "--build-deps", "none", "--resolution", "lowest").rc == 0
    assert versions(p)["urllib3"] == "1.26.18"
    # lowest-direct: lowest for what the project names, highest below it.
    deps(["urllib3", "requests"])
    r = lock(run, tmp_path, demo["url"], str(p), "--build-deps", "none", "--resolution", "lowest-direct")
    assert r.rc == 0, r.err
    assert versions(p)["urllib3"] == "1.26.18"
    deps(["requests"])
    r = lock(run, tmp_path, demo["url"], str(p), "--build-deps", "none", "--resolution", "lowest-direct", "--upgrade")
    assert r.rc == 0, r.err
    assert versions(p)["urllib3"] == "2.1.0"
    # An override replaces every requirement on its project, the project's own
    # included: a constraint with the same text would make this unsolvable.
    deps(["requests", "urllib3>=2"])
    (tmp_path / "o.txt").write_text("urllib3<2\n")
    r = lock(run, tmp_path, demo["url"], str(p), "--build-deps", "none", "--override", str(tmp_path / "o.txt"))
    assert r.rc == 0, r.err
    assert versions(p)["urllib3"] == "1.26.18"
    (tmp_path / "c.txt").write_text("urllib3<2\n")
    r = lock(run, tmp_path, demo["url"], str(p), "--build-deps", "none", "-c", str(tmp_path / "c.txt"))
    assert r.rc == 1 and "urllib3" in r.err, r.err
    (tmp_path / "o.txt").write_text("urllib3<2\nurllib3 ===\n")
    r = lock(run, tmp_path, demo["url"], str(p), "--override", str(tmp_path / "o.txt"))
    assert r.rc != 0 and "o.txt:2" in r.err
    r = lock(run, tmp_path, demo["url"], str(p), "--prerelease", "sometimes")
    assert r.rc == 2 and "--prerelease" in r.err
    r = lock(run, tmp_path, demo["url"], str(p), "--resolution", "newest")
    assert r.rc == 2 and "--resolution" in r.err
    for mode in ("disallow", "allow", "if-necessary", "if-necessary-or-explicit"):
        r = lock(run, tmp_path, demo["url"], str(p), "--build-deps", "none", "--prerelease", mode, "--upgrade")
        assert r.rc == 0, (mode, r.err)
        assert versions(p)["urllib3"] == "2.1.0"


def test_python_interpreter_gives_version_and_platform(run, demo, tmp_path):
    """--python PATH asks the interpreter, isolated and without site."""
    p = project(tmp_path, ["requests", "cffi"])
    r = lock(run, tmp_path, demo["url"], str(p), "--python", "/usr/bin/python3", "-o", str(tmp_path / "a.toml"))
    assert r.rc == 0, r.err
    import platform
    glibc = os.confstr("CS_GNU_LIBC_VERSION").split()[1].split(".")
    tag = f"manylinux_{glibc[0]}_{glibc[1]}_{platform.machine()}"
    r = lock(run, tmp_path, demo["url"], str(p), "--python", platform.python_version(), "--python-platform", tag,
             "-o", str(tmp_path / "b.toml"))
    assert r.rc == 0, r.err
    assert (tmp_path / "a.toml").read_bytes() == (tmp_path / "b.toml").read_bytes()

    def fake(answer, status=0):
        f = tmp_path / "fakepy"
        f.write_text(f"#!/bin/sh\necho '{answer}'\nexit {status}\n")
        f.chmod(0o755)
        return str(f)

    # A macOS interpreter: cffi has an arm64 macOS wheel there, and the lock says where it was made for.
    r = lock(run, tmp_path, demo["url"], str(p), "--python", fake("cpython 3.12.1 macosx_14_0_arm64"),
             "-o", str(tmp_path / "c.toml"))
    assert r.rc == 0, r.err
    text = (tmp_path / "c.toml").read_text()
    assert "3.12" in text and "darwin" in text and "macosx_11_0_arm64" in text
    # --python-platform wins over the interpreter's platform.
    r = lock(run, tmp_path, demo["url"], str(p), "--python", fake("cpython 3.12.1 macosx_14_0_arm64"),
             "--python-platform", tag, "-o", str(tmp_path / "d.toml"))
    assert r.rc == 0, r.err
    assert "darwin" not in (tmp_path / "d.toml").read_text()
    for answer, status, msg in [("pypy 3.10.13 manylinux_2_36_x86_64", 0, "CPython only"),
                                ("cpython 3.12.1", 0, "not a Python 3 interpreter"),
                                ("cpython 3.12.1 macosx_14_0_arm64 extra", 0, "not a Python 3 interpreter"),
                                ("cpython 3.12.1 ../../etc", 0, "not a Python 3 interpreter"),
                                ("", 3, "exited with status 3")]:
        r = lock(run, tmp_path, demo["url"], str(p), "--python", fake(answer, status), "-o", str(tmp_path / "e.toml"))
        assert r.rc == 1 and msg in r.err, (answer, r.err)
        assert not (tmp_path / "e.toml").exists()
    r = lock(run, tmp_path, demo["url"], str(p), "--python", "no-such-python3", "-o", str(tmp_path / "e.toml"))
    assert r.rc == 1 and "no such interpreter" in r.err


def test_slow_index_same_lock_and_clean_failures(deeplock_bin, demo, tmp_path):
    """Every request delayed 30 ms (a proxy on 127.0.0.1 that refuses any
    other host), so prefetches and sdist reads are still in flight when a
    resolution finishes or fails: the lock is the same as on a fast index,
    and a failure stops cleanly (the sanitizer build aborts on a leak)."""
    import subprocess
    with LatencyProxy(30) as px:
        env = dict(os.environ, http_proxy=px.url, no_proxy="", https_proxy="http://127.0.0.1:9",
                   all_proxy="http://127.0.0.1:9")

        def slow_lock(p, url, *args):
            return subprocess.run([deeplock_bin, "lock", str(p), "-i", url, "--cache-dir", str(tmp_path / "slow-cache"),
                                   *args], capture_output=True, text=True, env=env, timeout=120)

        p = project(tmp_path)
        r = slow_lock(p, demo["url"], "--build-deps", "all", "-o", str(tmp_path / "slow.toml"))
        assert r.returncode == 0, r.stderr
        assert px.proxy.requests > 0
        r = subprocess.run([deeplock_bin, "lock", str(p), "-i", demo["url"], "--build-deps", "all", "--cache-dir",
                            str(tmp_path / "fast-cache"), "-o", str(tmp_path / "fast.toml")], capture_output=True,
                           text=True)
        assert r.returncode == 0, r.stderr
        assert (tmp_path / "slow.toml").read_bytes() == (tmp_path / "fast.toml").read_bytes()

        # Unsatisfiable before any answer arrives, with hints in flight.
        (p / "pyproject.toml").write_text('[project]\nname = "t"\nversion = "1"\n'
                                          'dependencies = ["requests", "cffi", "urllib3>=2"]\n')
        (tmp_path / "c.txt").write_text("urllib3<2\n")
        r = slow_lock(p, demo["url"], "-c", str(tmp_path / "c.txt"), "--cache-dir", str(tmp_path / "cold"))
        assert r.returncode == 1, r.stderr
        # A build environment that fails while the sdists of others are still being read.
        def mutate(projects):
            projects["pyyaml"]["versions"]["6.0.1"]["build"]["requires"] = ["setuptools", "cython>=99"]
        d = hostile(tmp_path, mutate)
        p = project(tmp_path / "b", ["pyyaml", "cryptography", "cffi"])
        keep_old_lock(p)
        with indexgen.Server(str(d)) as srv:
            r = slow_lock(p, srv.url, "--build-deps", "all", "--cache-dir", str(tmp_path / "cold2"))
        assert r.returncode == 1, r.stderr
        assert "cannot resolve the build environment of pyyaml 6.0.1" in r.stderr
        assert_old_lock(p)


def test_reading_a_lock_whose_file_has_no_location(run, tmp_path):
    """Found by fuzzing: a file entry with neither url nor path."""
    sha = "0" * 64
    (tmp_path / "pylock.toml").write_text(
        'lock-version = "1.0"\ncreated-by = "x"\n[[packages]]\nname = "a"\nversion = "1"\n'
        f'wheels = [{{ name = "a-1-py3-none-any.whl", hashes = {{ sha256 = "{sha}" }} }}]\n')
    r = run("export", "--lock", str(tmp_path / "pylock.toml"))
    assert r.rc == 1
    assert b"pylock.toml:6:11: missing key 'url'" in r.err and b"needs 'url' or 'path'" in r.err


@pytest.mark.skipif(tomllib is None, reason="needs Python 3.11's tomllib")
def test_direct_url_requirements(run, demo, tmp_path):
    # an sdist over http and a wheel through file://, next to an index
    # requirement whose own dependency (requests -> urllib3) the URL serves
    base = demo["url"][: -len("simple/")]
    sdist_url = base + "files/pyyaml-6.0.1.tar.gz"
    wheel_url = "file://" + str(demo["dir"] / "files" / "urllib3-2.1.0-py3-none-any.whl")
    p = tmp_path / "direct"
    p.mkdir()
    reqs = [f"pyyaml @ {sdist_url}", f"urllib3 @ {wheel_url}", "requests"]
    (p / "requirements.txt").write_text("\n".join(reqs) + "\n")
    r = lock(run, tmp_path, demo["url"], str(p))
    assert r.rc == 0, r.err
    doc, envs = check_lock(p / "pylock.toml", demo["index"], demo["dir"], [Requirement(x) for x in reqs])
    pk = {x["name"]: x for x in doc["packages"]}
    assert pk["pyyaml"]["sdist"]["url"] == sdist_url
    assert pk["urllib3"]["wheels"][0]["url"] == wheel_url
    for name in ("pyyaml", "urllib3"):
        assert pk[name]["tool"]["deeplock"]["direct-url"] is True
        assert "index" not in pk[name]
    assert "direct-url" not in pk["requests"]["tool"]["deeplock"]
    assert "requests==2.31.0" in pk["urllib3"]["tool"]["deeplock"]["required-by"]
    assert pk["pyyaml"]["tool"]["deeplock"]["build-env"] in envs
    # the requirements export installs them from their URLs, hashes checked
    ex = run("export", "--lock", str(p / "pylock.toml"), "--format", "requirements")
    assert ex.rc == 0, ex.err
    text = ex.out.decode()
    sha = hashlib.sha256(open(demo["dir"] / "files" / "pyyaml-6.0.1.tar.gz", "rb").read()).hexdigest()
    assert f"pyyaml @ {sdist_url} \\\n    --hash=sha256:{sha}" in text
    assert f"urllib3 @ {wheel_url} \\\n" in text
    assert "requests==2.31.0 \\\n" in text
    # a re-lock is up to date
    r = lock(run, tmp_path, demo["url"], str(p), "--check")
    assert r.rc == 0, r.err

    # a #sha256= fragment is checked against the bytes; the old lock stays
    keep_old_lock(p)
    (p / "requirements.txt").write_text(f"pyyaml @ {sdist_url}#sha256={'0' * 64}\n")
    r = lock(run, tmp_path, demo["url"], str(p), "--no-cache")
    assert r.rc == 1
    assert f"hash mismatch for {sdist_url}: expected {'0' * 64}, got {sha}" in r.err
    assert_old_lock(p)
    # a URL that does not name a file of the project, two URLs for one
    # project, and a VCS URL
    for text, msg in [
        (f"pyyaml @ {base}files/idna-3.6-py3-none-any.whl\n", "does not end in the name of a wheel or sdist of pyyaml"),
        (f"pyyaml @ {sdist_url}\npyyaml @ {sdist_url}.2\n", "pyyaml is already required from " + sdist_url),
        ("pyyaml @ git+https://example.invalid/pyyaml.git\n", "no VCS or directory URLs yet"),
    ]:
        (p / "requirements.txt").write_text(text)
        r = lock(run, tmp_path, demo["url"], str(p))
        assert r.rc == 1 and msg in r.err, r.err
        assert_old_lock(p)


def test_direct_url_dependency_needs_the_root_to_name_it(run, tmp_path):
    # requests asks for urllib3 from a URL the project does not name (uv's
    # rule): that release cannot be used, and the explanation says why
    def mutate(projects):
        reqs = projects["requests"]["versions"]["2.31.0"]["requires"]
        projects["requests"]["versions"]["2.31.0"]["requires"] = [
            "urllib3 @ https://elsewhere.invalid/urllib3-2.1.0-py3-none-any.whl" if x.startswith("urllib3") else x
            for x in reqs]
    d = hostile(tmp_path, mutate)
    p = project(tmp_path, ["requests"])
    with indexgen.Server(str(d)) as srv:
        r = lock(run, tmp_path, srv.url, str(p))
    assert r.rc == 1
    assert "it depends on urllib3 from the direct URL https://elsewhere.invalid/urllib3-2.1.0-py3-none-any.whl, " \
           "which no root requirement names" in r.err, r.err


@pytest.mark.skipif(tomllib is None, reason="needs Python 3.11's tomllib")
def test_universal_lock_installs_on_every_platform(run, demo, tmp_path):
    # urllib3 forks by platform, pyyaml (sdist only) is needed on Windows only
    p = tmp_path / "universal"
    p.mkdir()
    reqs = ['urllib3>=2 ; sys_platform != "darwin"', 'urllib3<2 ; sys_platform == "darwin"', "requests",
            'pyyaml ; sys_platform == "win32"']
    (p / "requirements.txt").write_text("\n".join(reqs) + "\n")
    r = lock(run, tmp_path, demo["url"], str(p), "--universal", "--python", "3.9")
    assert r.rc == 0, r.err
    doc = tomllib.loads((p / "pylock.toml").read_text())
    check_pylock_schema(doc)
    check_files(doc["packages"], demo["dir"])
    assert doc["environments"] == ['python_full_version >= "3.9"']
    envs = {e["id"]: e for e in doc["tool"]["deeplock"]["build-envs"]}
    index = demo["index"]
    # install the lock, by its markers, into three platforms, and check
    # each installation against the index description
    for platform, system in (("linux", "Linux"), ("darwin", "Darwin"), ("win32", "Windows")):
        env = dict(TARGET_ENV, sys_platform=platform, platform_system=system, python_version="3.12",
                   python_full_version="3.12.1", os_name="nt" if platform == "win32" else "posix", extra="")
        got = [x for x in doc["packages"] if "marker" not in x or Marker(x["marker"]).evaluate(env)]
        names = [canonicalize_name(x["name"]) for x in got]
        assert len(names) == len(set(names)), f"{platform}: a project installed twice"
        by_name = dict(zip(names, got))
        todo = [Requirement(x) for x in reqs]
        for x in got:
            todo += index.runtime_requires(x["name"], x["version"])
        for req in todo:
            if req.marker is not None and not req.marker.evaluate(env):
                continue
            pin = by_name.get(canonicalize_name(req.name))
            assert pin is not None and req.specifier.contains(pin["version"], prereleases=True), (platform, str(req))
        assert by_name["urllib3"]["version"] == ("1.26.18" if platform == "darwin" else "2.1.0")
        assert ("pyyaml" in by_name) == (platform == "win32")
    pyyaml = next(x for x in doc["packages"] if x["name"] == "pyyaml")
    assert pyyaml["marker"] == 'sys_platform == "win32"'
    assert pyyaml["tool"]["deeplock"]["build-env"] in envs
    # the same bytes again, from a cold cache
    r = run("lock", str(p), "--universal", "--python", "3.9", "-i", demo["url"], "--cache-dir",
            str(tmp_path / "cache-again"), "-o", str(tmp_path / "again.toml"))
    assert r.rc == 0, r.err
    assert (tmp_path / "again.toml").read_bytes() == (p / "pylock.toml").read_bytes()
    # why and tree follow each version of urllib3 from the requests that chose it
    why = run("why", "urllib3", "--lock", str(p / "pylock.toml"))
    assert why.rc == 0, why.err
    assert why.out.decode().splitlines() == [
        "<project> -> requests==2.31.0 -> urllib3==1.26.18", "<project> -> requests==2.31.0 -> urllib3==2.1.0",
        "<project> -> urllib3==1.26.18", "<project> -> urllib3==2.1.0"]
    tree = run("tree", "--lock", str(p / "pylock.toml")).out.decode()
    assert '|   |-- urllib3 1.26.18  (where sys_platform == "darwin")' in tree
    # every target option but one lowest Python is refused
    r = lock(run, tmp_path, demo["url"], str(p), "--universal", "--python-platform", "win_amd64")
    assert r.rc == 2 and "--universal covers every platform" in r.err
