#!/usr/bin/env python3
"""Lock benchmark (issue 5): `deeplock lock` on a realistic generated index,
cold and warm, with each build policy, against the peer lockers run on the
same tree.

The index (generated from ../shared, served by nginx on 127.0.0.1):
- projects, versions and runtime dependencies of the real PyPI snapshot
  data/resolvelib/index/pypi-2020-02-15-pandas.json;
- every release of a project that data/build-systems knows ships an sdist
  whose [build-system].requires are the mapped build systems; 25% of those
  releases (chosen by sha256 of seed, name, version; SEED below) ship ONLY
  the sdist, so an installer must build them and their build environments
  must be resolved, recursively;
- the build backends those sdists name (setuptools, wheel, flit-core,
  hatchling, setuptools-scm, poetry-core, cython, pbr, meson-python, ...)
  with wheels and sdists, and their own runtime dependencies and build
  requirements: real ones from data/real-dists where it has them (see
  snapshotgen.add_build_backends), so backend-path bootstraps and build
  cycles are there too.
Root set: every project of the snapshot that can be installed at all on
CPython 3.11/Linux (some version whose dependencies exist, to a fixed point;
the snapshot also names projects with no releases or with dependencies
outside it), less the 16 in EXCLUDED whose addition makes the set conflict
(pip's resolver then backtracks for many minutes; `--roots all` keeps them).

deeplock runs in four modes: the default policy (build environments of what
an installer would build), --build-deps all (every package with an sdist),
--build-deps none (runtime only), and --universal (one lock for every
platform and Python >= 3.11, where a package without a pure-Python wheel
counts as built).  Cold: a new empty cache per run; warm: the
same cache, filled by one run first.  Caches live on tmpfs (/dev/shm): this
machine's virtual disk costs ~0.5 ms per file created (see index_bench.py).

The peers lock the same root set on a "peer view" of the index: the same
projects, releases and dependencies, where every release also has its
wheel.  The generated sdists' build backends are inert stubs, so a peer that
builds an sdist to learn its metadata (all of them do) would fail; with
wheels everywhere the peers resolve the same runtime tree while building
nothing, the cheapest case for them.  deeplock --build-deps none runs on the
peer view too, as the like-for-like row.  Pipenv gets the peer view without
PEP 658 attributes (its vendored pip rejects them, see ../shared/README.md).
Each peer's lock is checked to hold the whole runtime tree before it is
timed; a peer that fails or locks less is reported with the reason.

Usage: bench/lock_bench.py DEEPLOCK SHARED_DIR [--runs N] [--peer-runs N]
           [--peers pip,pip-lock,pip-compile,pip-compile-build,poetry,pdm,pipenv|none]
           [--peer-src DIR] [--peer-timeout SECONDS] [--roots all] [--latency MS]
--latency (default 20; 0 leaves it out) adds a table of cold locks through a
proxy that delays every request by MS milliseconds (tests/fixtures/latency_proxy.py).
--peer-src holds unpacked checkouts of pypa/pip (pip/), jazzband/pip-tools
(pip-tools/), pypa/build (build/) and pypa/pyproject-hooks (pyproject-hooks/),
for `pip lock` and pip-compile; without them those rows say so.
Prints Markdown; bench/run calls it.
"""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "fixtures"))
import indexgen  # noqa: E402
from latency_proxy import LatencyProxy  # noqa: E402
import snapshotgen  # noqa: E402
from packaging.requirements import InvalidRequirement, Requirement  # noqa: E402
from packaging.version import InvalidVersion, Version  # noqa: E402

SNAPSHOT = "data/resolvelib/index/pypi-2020-02-15-pandas.json"
GROWTH = (10, 30, 100)  # root-set sizes for the growth table; the full set is the last row
SDIST_ONLY = 0.25
SEED = 5
PY = "/usr/bin/python3"
TARGET = {"python_version": "3.11", "python_full_version": "3.11.2", "sys_platform": "linux",
          "platform_system": "Linux", "os_name": "posix", "platform_machine": "x86_64",
          "platform_python_implementation": "CPython", "implementation_name": "cpython", "extra": ""}
# Installable projects left out of the root set: adding any of them makes
# the set conflict (deeplock's resolver reports conflicts and backtracks;
# found by adding the installable projects one at a time, top-level ones
# first).  With them, pip's and `pip lock`'s resolvers backtracked for more
# than 5 minutes here without an answer; `--roots all` keeps them.
EXCLUDED = {"docutils", "jsonschema", "keyring", "monkeytype", "openstacksdk", "os-client-config", "oslo-config",
            "oslo-context", "pre-commit", "pytest-checkdocs", "readme-renderer", "requirementslib",
            "sphinxcontrib-spelling", "tox", "twine", "virtualenv"}
ALL_PEERS = ["pip", "pip-lock", "pip-compile", "pip-compile-build", "poetry", "pdm", "pipenv"]


def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def installable(snapshot):
    """Projects with a final release whose dependencies (markers evaluated
    for the target, extras left out) are met by installable releases, to a
    fixed point.  Co-installability is the resolver's job, not this one's."""
    deps = {}
    for name, versions in snapshot.items():
        out = {}
        for v, info in versions.items():
            try:
                ver = Version(v)
            except InvalidVersion:
                continue
            if ver.is_prerelease:
                continue
            reqs = []
            for r in (info or {}).get("dependencies", []):
                try:
                    req = Requirement(r)
                except InvalidRequirement:
                    continue
                if req.marker is None or req.marker.evaluate(TARGET):
                    reqs.append(req)
            out[ver] = reqs
        deps[norm(name)] = out
    ok = {n: set(vs) for n, vs in deps.items()}
    changed = True
    while changed:
        changed = False
        for n, vs in deps.items():
            for ver in list(ok[n]):
                for req in vs[ver]:
                    if not any(req.specifier.contains(x, prereleases=True) for x in ok.get(norm(req.name), ())):
                        ok[n].discard(ver)
                        changed = True
                        break
    return sorted(n for n, vs in ok.items() if vs)


def peer_view(spec):
    """The same index with every release's wheel back."""
    out = {"projects": {}}
    for name, proj in spec["projects"].items():
        out["projects"][name] = {"versions": {v: {k: x for k, x in info.items() if k != "wheel"}
                                              for v, info in proj["versions"].items()}}
    return out


def rewrite_pages(src, dst, html_fn, json_fn):
    """A copy of an index's project pages, each passed through html_fn
    (text) or json_fn (a file entry dict, changed in place); the files
    directory is shared through a symlink."""
    os.makedirs(dst)
    os.symlink(os.path.join(src, "files"), os.path.join(dst, "files"))
    for root, _, files in os.walk(os.path.join(src, "simple")):
        out = os.path.join(dst, os.path.relpath(root, src))
        os.makedirs(out, exist_ok=True)
        for f in files:
            with open(os.path.join(root, f)) as fh:
                text = fh.read()
            if f == "index.html":
                text = html_fn(text)
            elif f == "index.json":
                data = json.loads(text)
                for e in data.get("files", []):
                    json_fn(e)
                text = json.dumps(data)
            with open(os.path.join(out, f), "w") as fh:
                fh.write(text)


def without_pep658(src, dst):
    """For Pipenv 2022.12, whose vendored pip rejects a .metadata file whose
    Name is spelled otherwise than the project: no PEP 658/714 at all."""
    def js(e):
        e.pop("core-metadata", None)
        e.pop("dist-info-metadata", None)
    rewrite_pages(src, dst, lambda t: re.sub(r' data-(dist-info-metadata|core-metadata)="[^"]*"', "", t), js)


def json_without_pep658(src, dst):
    """For Debian's pip 23.0.1, which crashes on PEP 691's dict form of
    "dist-info-metadata" (TypeError: unhashable type: 'dict') and on its
    boolean form too: JSON pages without it, so it downloads the (small)
    wheels to read their metadata; the HTML pages keep it."""
    def js(e):
        e.pop("core-metadata", None)
        e.pop("dist-info-metadata", None)
    rewrite_pages(src, dst, lambda t: t, js)


def timed(cmd, env=None, cwd=None, timeout=None):
    """Run cmd under /usr/bin/time -v; (wall seconds, max RSS KiB, process).
    On timeout the whole process group is killed and TimeoutExpired raised."""
    t0 = time.perf_counter()
    with subprocess.Popen(["/usr/bin/time", "-v", *cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, env=env, cwd=cwd, start_new_session=True) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.communicate()
            raise
    p = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    wall = time.perf_counter() - t0
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    return wall, int(m.group(1)) if m else 0, p


# ---------------------------------------------------------------- deeplock

SUMMARY_RE = re.compile(r"Locked (\d+) runtime packages? and (\d+) build environments? "
                        r"\((\d+) packages? needed only to build\)")


def deeplock_once(deeplock, url, roots, cache, mode, out, env=None):
    cmd = [deeplock, "lock", roots, "-i", url, "--cache-dir", cache, "-o", out]
    if mode == "universal":
        cmd += ["--universal"]
    elif mode != "needed":
        cmd += ["--build-deps", mode]
    wall, rss, p = timed(cmd, env=env)
    if p.returncode != 0:
        sys.exit(f"deeplock lock failed ({p.returncode}):\n{p.stderr[-3000:]}")
    m = SUMMARY_RE.search(p.stderr)
    r = re.search(r"(\d+) resolutions? \((\d+) decisions?, (\d+) conflicts?\), (\d+) requests? \((\d+) from cache\)",
                  p.stderr)
    b = re.search(r"(\d+) packages? will run code at install time", p.stderr)
    return {"wall": wall, "rss": rss, "runtime": int(m.group(1)), "envs": int(m.group(2)),
            "build_only": int(m.group(3)), "resolutions": int(r.group(1)), "decisions": int(r.group(2)),
            "requests": int(r.group(4)), "cached": int(r.group(5)), "built": int(b.group(1)) if b else 0}


def bench_deeplock(deeplock, url, roots, work, mode, runs, env=None, warm=True):
    res = {}
    cold = []
    for i in range(runs):
        cache = os.path.join(work, f"dl-{mode}-cold-{i}")
        cold.append(deeplock_once(deeplock, url, roots, cache, mode, os.path.join(work, f"pylock-{mode}.toml"), env))
        if i < runs - 1 or not warm:
            shutil.rmtree(cache)
    res["cold"] = cold
    if not warm:
        return res
    # The last cold run's cache is the warm one.
    warm = [deeplock_once(deeplock, url, roots, cache, mode, os.path.join(work, f"pylock-{mode}.toml"), env)
            for _ in range(runs)]
    shutil.rmtree(cache)
    res["warm"] = warm
    return res


# ---------------------------------------------------------------- peers

class PeerFailed(Exception):
    pass


def peer_env(home, extra=None):
    dead = "http://127.0.0.1:9"  # discard port: nothing listens, nothing leaks out
    env = {"PATH": "/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8", "PIP_CONFIG_FILE": "/dev/null",
           "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1", "http_proxy": dead, "https_proxy": dead,
           "HTTP_PROXY": dead, "HTTPS_PROXY": dead, "no_proxy": "127.0.0.1", "NO_PROXY": "127.0.0.1",
           "XDG_CACHE_HOME": os.path.join(home, "cache"), "XDG_CONFIG_HOME": os.path.join(home, "config"),
           "XDG_DATA_HOME": os.path.join(home, "data"), "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    env.update(extra or {})
    return env


def count_toml_tables(path, header):
    with open(path) as f:
        return sum(1 for line in f if line.strip() == header)


def count_pinned(path):
    with open(path) as f:
        return sum(1 for line in f if re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*==", line))


def make_peer(name, urls, roots, src):
    """(setup(dir), command(dir, cache), count(dir)) for one peer, or a
    reason string when it cannot run here."""
    url = urls["peer"]
    req_lines = "\n".join(roots) + "\n"
    pysrc = os.path.join(src, "pip", "src") if src else None
    tools_path = None
    if src:
        tools_path = ":".join(os.path.join(src, p) for p in ("pip-tools", "build/src", "pyproject-hooks/src",
                                                             "pip/src"))

    def write(d, fname, text):
        with open(os.path.join(d, fname), "w") as f:
            f.write(text)

    if name == "pip":
        def setup(d):
            write(d, "roots.txt", req_lines)

        def cmd(d, cache):
            return [PY, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--break-system-packages",
                    "--quiet", "--report", "report.json", "--index-url", urls["bool"], "--cache-dir", cache,
                    "-r", "roots.txt"], {}

        def count(d):
            with open(os.path.join(d, "report.json")) as f:
                return len(json.load(f)["install"])
        return setup, cmd, count
    if name == "pip-lock":
        if not (pysrc and os.path.isdir(pysrc)):
            return "no pypa/pip checkout given (--peer-src DIR with DIR/pip)"

        def setup(d):
            write(d, "roots.txt", req_lines)

        def cmd(d, cache):
            return [PY, pysrc + "/pip", "lock", "--quiet", "--index-url", url, "--cache-dir", cache,
                    "-r", "roots.txt", "-o", "pylock.toml"], {}

        def count(d):
            return count_toml_tables(os.path.join(d, "pylock.toml"), "[[packages]]")
        return setup, cmd, count
    if name in ("pip-compile", "pip-compile-build"):
        if not (src and all(os.path.isdir(os.path.join(src, p)) for p in ("pip-tools", "build", "pyproject-hooks",
                                                                            "pip"))):
            return ("no jazzband/pip-tools, pypa/build, pypa/pyproject-hooks and pypa/pip checkouts given "
                    "(pip-tools 7 needs build >= 1.0, newer than Debian 12 has)")

        def setup(d):
            if name == "pip-compile":
                write(d, "roots.in", req_lines)
            else:
                # --all-build-deps pins the build requirements of the
                # project being compiled (not of its dependencies): a
                # pyproject.toml naming the roots, built with the host's
                # setuptools because the index's setuptools is a stub.
                deps = ",\n".join(json.dumps(r) for r in roots)
                write(d, "pyproject.toml",
                      '[build-system]\nrequires = ["setuptools>=40.8.0"]\nbuild-backend = "setuptools.build_meta"\n\n'
                      f'[project]\nname = "bench-root"\nversion = "1.0"\ndependencies = [\n{deps}\n]\n'
                      '[tool.setuptools]\npy-modules = []\n')

        def cmd(d, cache):
            args = [PY, "-m", "piptools", "compile", "--quiet", "--no-header", "--no-annotate", "--allow-unsafe",
                    "--index-url", url, "--cache-dir", os.path.join(cache, "pip-tools"), "-o", "out.txt"]
            if name == "pip-compile":
                args.append("roots.in")
            else:
                args += ["--all-build-deps", "--no-build-isolation", "pyproject.toml"]
            return args, {"PYTHONPATH": tools_path, "PIP_CACHE_DIR": os.path.join(cache, "pip")}

        def count(d):
            return count_pinned(os.path.join(d, "out.txt"))
        return setup, cmd, count
    if name == "poetry":
        def setup(d):
            deps = "".join(f'{json.dumps(r)} = "*"\n' for r in roots)
            write(d, "pyproject.toml",
                  '[tool.poetry]\nname = "bench-root"\nversion = "1.0"\ndescription = ""\nauthors = ["b <b@b>"]\n\n'
                  f'[tool.poetry.dependencies]\npython = "~3.11"\n{deps}\n'
                  f'[[tool.poetry.source]]\nname = "local"\nurl = "{url}"\ndefault = true\n\n'
                  '[build-system]\nrequires = ["poetry-core"]\nbuild-backend = "poetry.core.masonry.api"\n')

        def cmd(d, cache):
            return ["/usr/bin/poetry", "lock", "--no-interaction"], {
                "POETRY_CACHE_DIR": cache, "POETRY_VIRTUALENVS_CREATE": "false"}

        def count(d):
            return count_toml_tables(os.path.join(d, "poetry.lock"), "[[package]]")
        return setup, cmd, count
    if name == "pdm":
        def setup(d):
            deps = ",\n".join(json.dumps(r) for r in roots)
            write(d, "pyproject.toml",
                  f'[project]\nname = "bench-root"\nversion = "1.0"\nrequires-python = ">=3.11"\n'
                  f'dependencies = [\n{deps}\n]\n\n'
                  f'[[tool.pdm.source]]\nname = "pypi"\nurl = "{url}"\nverify_ssl = false\n')

        def cmd(d, cache):
            return ["/usr/bin/pdm", "lock"], {"PDM_CACHE_DIR": cache, "PDM_USE_VENV": "false",
                                              "PDM_PYTHON": PY, "PDM_CHECK_UPDATE": "false"}

        def count(d):
            return count_toml_tables(os.path.join(d, "pdm.lock"), "[[package]]")
        return setup, cmd, count
    if name == "pipenv":
        def setup(d):
            deps = "".join(f'{json.dumps(r)} = "*"\n' for r in roots)
            write(d, "Pipfile", f'[[source]]\nurl = "{urls["nometa"]}"\nverify_ssl = false\nname = "local"\n\n'
                                f'[packages]\n{deps}\n[requires]\npython_version = "3.11"\n')

        def cmd(d, cache):
            return ["/usr/bin/pipenv", "lock"], {"PIPENV_CACHE_DIR": cache, "PIP_CACHE_DIR": cache,
                                                 "WORKON_HOME": os.path.join(cache, "venvs"),
                                                 "PIPENV_PYTHON": PY, "PIPENV_NOSPIN": "1",
                                                 "PIPENV_YES": "1", "PIPENV_VERBOSITY": "-1"}

        def count(d):
            with open(os.path.join(d, "Pipfile.lock")) as f:
                return len(json.load(f)["default"])
        return setup, cmd, count
    raise ValueError(name)


def bench_peer(name, peer, work, runs, expected, timeout):
    """Cold runs (own new cache each), then warm runs on the last cache.
    The first cold run's lock must hold the whole runtime tree."""
    setup, cmd, count = peer
    base = os.path.join(work, "peer-" + name)
    os.makedirs(base)
    home = os.path.join(base, "home")
    os.makedirs(home)
    res = {"cold": [], "warm": []}
    for phase in ("cold", "warm"):
        for i in range(runs):
            d = os.path.join(base, f"{phase}-{i}")
            os.makedirs(d)
            setup(d)
            if phase == "cold":
                cache = os.path.join(base, f"cache-{i}")
                if os.path.exists(home):
                    shutil.rmtree(home)
                    os.makedirs(home)
            args, extra = cmd(d, cache)
            try:
                wall, rss, p = timed(args, env=peer_env(home, extra), cwd=d, timeout=timeout)
            except subprocess.TimeoutExpired:
                raise PeerFailed(f"no lock after {timeout:.0f} s ({phase} cache); stopped") from None
            if p.returncode != 0:
                # /usr/bin/time -v appends its report (tab-indented) and an
                # exit-status line; keep the peer's own words.
                tail = "\n".join(line for line in p.stderr.splitlines() if line.strip() and
                                 not line.startswith("\t") and not line.startswith("Command exited"))[-1500:]
                raise PeerFailed(f"exit status {p.returncode}: {tail.strip()}")
            n = count(d)
            if n < expected:
                raise PeerFailed(f"locked {n} packages, the runtime tree has {expected}")
            res[phase].append({"wall": wall, "rss": rss, "count": n})
            shutil.rmtree(d)
    return res


def peer_versions(src):
    def deb(pkg):
        p = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", pkg], capture_output=True, text=True)
        return p.stdout.strip() or "not installed"

    def pip_src():
        try:
            with open(os.path.join(src, "pip", "src", "pip", "__init__.py")) as f:
                return re.search(r'__version__ = "([^"]+)"', f.read()).group(1)
        except (OSError, TypeError, AttributeError):
            return None
    pv = pip_src()
    return {"pip": f"Debian pip {deb('python3-pip')}",
            "pip-lock": f"pip {pv} from a checkout" if pv else "no pip checkout",
            "pip-compile": f"pip-tools from a checkout, on pip {pv}" if pv else "no pip-tools checkout",
            "pip-compile-build": "the same, --all-build-deps --no-build-isolation",
            "poetry": f"Poetry {deb('python3-poetry')}", "pdm": f"PDM {deb('python3-pdm')}",
            "pipenv": f"Pipenv {deb('pipenv')}"}


# ---------------------------------------------------------------- report

def med(samples, key):
    return statistics.median(s[key] for s in samples)


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    deeplock, shared = os.path.abspath(argv[1]), argv[2]

    def opt(name, default):
        return argv[argv.index(name) + 1] if name in argv else default
    runs = int(opt("--runs", "5"))
    peer_runs = int(opt("--peer-runs", "1"))
    peers = [p for p in opt("--peers", ",".join(ALL_PEERS)).split(",") if p and p != "none"]
    peer_src = opt("--peer-src", None)
    peer_timeout = float(opt("--peer-timeout", "300"))
    all_roots = opt("--roots", "default") == "all"
    latency_ms = float(opt("--latency", "20"))

    snap = snapshotgen.load(os.path.join(shared, SNAPSHOT))
    bsys = snapshotgen.load(os.path.join(shared, "data/build-systems/poetry2nix-build-systems.json"))
    spec, notes = snapshotgen.spec_from_snapshot(snap, bsys, sdist_every=1, sdist_only=SDIST_ONLY, seed=SEED)
    backends = snapshotgen.add_build_backends(spec, os.path.join(shared, "data/real-dists"), notes)
    roots = [r for r in installable(snap) if all_roots or r not in EXCLUDED]
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else None
    work = tempfile.mkdtemp(prefix="deeplock-lock-bench-", dir=shm)
    try:
        t0 = time.perf_counter()
        indexgen.build(spec, os.path.join(work, "index"))
        indexgen.build(peer_view(spec), os.path.join(work, "index-peer"))
        without_pep658(os.path.join(work, "index-peer"), os.path.join(work, "index-nometa"))
        json_without_pep658(os.path.join(work, "index-peer"), os.path.join(work, "index-bool"))
        gen = time.perf_counter() - t0
        roots_file = os.path.join(work, "roots.txt")
        with open(roots_file, "w") as f:
            f.write("\n".join(roots) + "\n")
        rows, peer_rows, failures = {}, {}, {}
        with indexgen.Server(os.path.join(work, "index")) as srv, \
                indexgen.Server(os.path.join(work, "index-peer")) as peer_srv, \
                indexgen.Server(os.path.join(work, "index-nometa")) as nometa_srv, \
                indexgen.Server(os.path.join(work, "index-bool")) as bool_srv:
            for mode in ("needed", "all", "none"):
                rows[mode] = bench_deeplock(deeplock, srv.url, roots_file, work, mode, runs)
            rows["none, peer view"] = bench_deeplock(deeplock, peer_srv.url, roots_file, work, "none", runs)
            rows["universal"] = bench_deeplock(deeplock, srv.url, roots_file, work, "universal", runs)
            expected = rows["none, peer view"]["cold"][0]["runtime"]
            # Growth: the same lock on the first N roots (sorted), deeplock's
            # default against pip's resolver on the peer view.
            growth = []
            for n in GROWTH:
                if n >= len(roots):
                    continue
                sub = os.path.join(work, f"roots-{n}.txt")
                with open(sub, "w") as f:
                    f.write("\n".join(sorted(roots)[:n]) + "\n")
                g = {"n": n, "dl": bench_deeplock(deeplock, srv.url, sub, work, "needed", runs)}
                exp = bench_deeplock(deeplock, peer_srv.url, sub, work, "none", 1)["cold"][0]["runtime"]
                if "pip" in peers:
                    urls = {"peer": peer_srv.url, "nometa": nometa_srv.url, "bool": bool_srv.url}
                    try:
                        g["pip"] = bench_peer(f"pip-{n}", make_peer("pip", urls, sorted(roots)[:n], peer_src), work,
                                              peer_runs, exp, peer_timeout)
                    except PeerFailed as e:
                        g["pip_failed"] = str(e)
                growth.append(g)
            growth.append({"n": len(roots), "dl": rows["needed"], "pip": None})
            # A simulated round trip per request (latency_proxy.py): what the
            # closure costs when every request waits, as on a real network.
            lat = {}
            if latency_ms > 0:
                with LatencyProxy(latency_ms) as px:
                    env = {k: v for k, v in os.environ.items() if k.lower() not in ("no_proxy", "http_proxy")}
                    env["http_proxy"] = px.url
                    for mode in ("needed", "all", "none"):
                        lat[mode] = bench_deeplock(deeplock, srv.url, roots_file, work, mode, min(runs, 3), env,
                                                   warm=False)
                    if "pip-lock" in peers:
                        urls = {"peer": peer_srv.url, "nometa": nometa_srv.url, "bool": bool_srv.url}
                        peer = make_peer("pip-lock", urls, roots, peer_src)
                        if not isinstance(peer, str):
                            setup, cmd, count = peer

                            def via_proxy(d, cache, cmd=cmd):
                                args, extra = cmd(d, cache)
                                return args, dict(extra, http_proxy=px.url, no_proxy="", NO_PROXY="",
                                                  HTTP_PROXY=px.url)
                            try:
                                lat["pip-lock"] = bench_peer("pip-lock-latency", (setup, via_proxy, count), work, 1,
                                                             rows["none, peer view"]["cold"][0]["runtime"],
                                                             peer_timeout)
                            except PeerFailed as e:
                                lat["pip-lock-failed"] = str(e)
                    lat["requests"] = px.proxy.requests
            for name in peers:
                urls = {"peer": peer_srv.url, "nometa": nometa_srv.url, "bool": bool_srv.url}
                peer = make_peer(name, urls, roots, peer_src)
                if isinstance(peer, str):
                    failures[name] = peer
                    continue
                try:
                    peer_rows[name] = bench_peer(name, peer, work, peer_runs, expected, peer_timeout)
                except PeerFailed as e:
                    failures[name] = str(e)

        n_proj = len(spec["projects"])
        print(f"Index: {n_proj} projects ({len(backends)} build backends and their dependencies among them), "
              f"{notes['releases']} releases, {notes['sdists']} with an sdist, {notes['sdist_only']} of them "
              f"sdist-only (seed {SEED}); generated and written in {gen:.0f} s. "
              f"Roots: {len(roots)} projects of {os.path.basename(SNAPSHOT)} "
              f"({'every installable one' if all_roots else 'the installable ones that do not conflict'}). "
              f"deeplock: median of {runs} runs; peers: median of {peer_runs}.\n")
        print("| tool, mode | packages | build envs | resolutions | cold | warm | peak RSS cold/warm |")
        print("|---|---|---|---|---|---|---|")
        labels = {"needed": "deeplock (default: what an installer builds)", "all": "deeplock --build-deps all",
                  "none": "deeplock --build-deps none (runtime only)",
                  "none, peer view": "deeplock --build-deps none, peer view",
                  "universal": "deeplock --universal (every platform, Python >=3.11; built: no pure wheel)"}
        for mode, r in rows.items():
            c = r["cold"][0]
            pk = c["runtime"] + c["build_only"]
            print(f"| {labels[mode]} | {pk} ({c['runtime']} runtime + {c['build_only']} build-only) | {c['envs']} "
                  f"| {c['resolutions']} | {med(r['cold'], 'wall') * 1000:.0f} ms | {med(r['warm'], 'wall') * 1000:.0f} ms "
                  f"| {med(r['cold'], 'rss') / 1024:.0f} / {med(r['warm'], 'rss') / 1024:.0f} MiB |")
        for name, r in peer_rows.items():
            print(f"| {name} (runtime only, peer view) | {r['cold'][0]['count']} | – | – "
                  f"| {med(r['cold'], 'wall') * 1000:.0f} ms | {med(r['warm'], 'wall') * 1000:.0f} ms "
                  f"| {med(r['cold'], 'rss') / 1024:.0f} / {med(r['warm'], 'rss') / 1024:.0f} MiB |")
        for name, why in failures.items():
            print(f"| {name} | not run: {why.splitlines()[-1] if why else ''} | | | | | |")
        full = med(rows["all"]["cold"], "wall")
        need = med(rows["needed"]["cold"], "wall")
        same = med(rows["none, peer view"]["cold"], "wall")
        warm = med(rows["needed"]["warm"], "wall")
        if peer_rows:
            print("\nRatios, peer time / deeplock time (higher: deeplock faster):\n")
            print("| peer | cold, vs deeplock default (full closure) | cold, vs --build-deps all "
                  "| cold, vs --build-deps none, peer view | warm, vs deeplock default |")
            print("|---|---|---|---|---|")
        for name, r in peer_rows.items():
            pc, pw = med(r["cold"], "wall"), med(r["warm"], "wall")
            print(f"| {name} | {pc / need:.1f}x | {pc / full:.1f}x | {pc / same:.1f}x | {pw / warm:.1f}x |")
        c = rows["needed"]["cold"][0]
        print(f"\ndeeplock's default lock builds {c['built']} sdist-only packages; "
              f"--build-deps all resolves {rows['all']['cold'][0]['envs']} build environments "
              f"({rows['all']['cold'][0]['resolutions']} resolutions). Warm re-lock: "
              f"{rows['needed']['warm'][0]['requests']} requests, {rows['needed']['warm'][0]['cached']} answered "
              f"from the cache (revalidated).")
        for name, why in failures.items():
            print(f"\n{name} could not be timed: {why}")
        if "pip" in peer_rows:
            growth[-1]["pip"] = peer_rows["pip"]
        print("\nGrowth with the size of the tree: the first N roots (sorted), deeplock's default lock "
              "(build closure included) against pip's resolver (runtime only, peer view), cold:\n")
        print("| roots | packages (build envs) | deeplock cold | deeplock peak RSS | pip cold | pip peak RSS | ratio |")
        print("|---|---|---|---|---|---|---|")
        for g in growth:
            c = g["dl"]["cold"][0]
            dl = med(g["dl"]["cold"], "wall")
            line = (f"| {g['n']} | {c['runtime'] + c['build_only']} ({c['envs']}) | {dl * 1000:.0f} ms "
                    f"| {med(g['dl']['cold'], 'rss') / 1024:.0f} MiB ")
            if g.get("pip"):
                pc = med(g["pip"]["cold"], "wall")
                line += (f"| {pc * 1000:.0f} ms | {med(g['pip']['cold'], 'rss') / 1024:.0f} MiB "
                         f"| {pc / dl:.1f}x |")
            else:
                line += f"| not run{': ' + g['pip_failed'] if g.get('pip_failed') else ''} | | |"
            print(line)
        if lat:
            print(f"\nWith {latency_ms:.0f} ms added to every request (tests/fixtures/latency_proxy.py on 127.0.0.1), "
                  f"cold, median of {min(runs, 3)}:\n")
            print("| tool, mode | packages | resolutions | cold |")
            print("|---|---|---|---|")
            for mode in ("needed", "all", "none"):
                c = lat[mode]["cold"][0]
                print(f"| {labels[mode]} | {c['runtime'] + c['build_only']} | {c['resolutions']} "
                      f"| {med(lat[mode]['cold'], 'wall') * 1000:.0f} ms |")
            if "pip-lock" in lat:
                print(f"| pip-lock (runtime only, peer view; one run, cold) | {lat['pip-lock']['cold'][0]['count']} | – "
                      f"| {med(lat['pip-lock']['cold'], 'wall') * 1000:.0f} ms |")
            elif "pip-lock-failed" in lat:
                print(f"| pip-lock | not run: {lat['pip-lock-failed'].splitlines()[-1]} | | |")
        versions = peer_versions(peer_src)
        print("\nPeers: " + "; ".join(f"{n}: {versions[n]}" for n in peers) + ".")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv)
