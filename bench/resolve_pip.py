#!/usr/bin/env python3
"""deeplock's resolver against pip's, on the same data (issue 4).

For each real PyPI snapshot of ../shared/data/resolvelib with satisfiable
cases, an index is generated from the snapshot (wheels only, PEP 658
metadata) and served by nginx on 127.0.0.1; the root set is every project
named by the snapshot's cases (as bench_resolve uses).  Both tools resolve
it for CPython 3.11 on Linux from a cold cache:
  deeplock lock -r roots.txt --build-deps none --python 3.11
  python3 -m pip install --dry-run --ignore-installed --report R -r roots.txt
(pip from the python3 on PATH; PIP_FIND_LINKS unset, no config, proxies
pointed at a dead port).  Both include fetching every page and metadata
file they need.  Prints a Markdown table with medians of RUNS runs and
whether the two pin sets agree.

Usage: bench/resolve_pip.py DEEPLOCK SHARED_DIR [RUNS]
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "fixtures"))
import indexgen  # noqa: E402
import snapshotgen  # noqa: E402


def roots_by_snapshot(shared):
    cases = os.path.join(shared, "data/resolvelib/case")
    out = {}
    for f in sorted(os.listdir(cases)):
        c = json.load(open(os.path.join(cases, f)))
        idx = c.get("index", "")
        if not idx.startswith("pypi-") or "conflicted" in c or not c.get("resolved"):
            continue
        names = out.setdefault(idx, set())
        for r in c["requested"]:
            names.add(r.split("[")[0].split("=")[0].split("<")[0].split(">")[0].split("!")[0].split("~")[0].strip())
        names.update(c["resolved"])
    return out


def timed(cmd, env):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    return time.perf_counter() - t0, p


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    deeplock, shared = os.path.abspath(argv[1]), argv[2]
    runs = int(argv[3]) if len(argv) > 3 else 3
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(PIP_CONFIG_FILE="/dev/null", http_proxy="http://127.0.0.1:9", https_proxy="http://127.0.0.1:9",
               no_proxy="127.0.0.1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    pip = [shutil.which("python3") or "python3", "-m", "pip"]
    pipv = subprocess.run(pip + ["--version"], capture_output=True, text=True, env=env).stdout.split(" from")[0]
    print(f"pip: {pipv}; median of {runs} cold runs each (fresh caches).\n")
    print("| snapshot | roots | pins | deeplock | pip | pip / deeplock | same pins |")
    print("|---|---|---|---|---|---|---|")
    for idx, names in sorted(roots_by_snapshot(shared).items()):
        snap = snapshotgen.load(os.path.join(shared, "data/resolvelib/index", idx + ".json"))
        spec, _ = snapshotgen.spec_from_snapshot(snap)
        names = sorted(n for n in names if n in spec["projects"])
        work = tempfile.mkdtemp(prefix="deeplock-resolve-pip-")
        try:
            indexgen.build(spec, os.path.join(work, "index"))
            reqs = os.path.join(work, "roots.txt")
            with open(reqs, "w") as f:
                f.write("\n".join(names) + "\n")
            with indexgen.Server(os.path.join(work, "index")) as srv:
                dt, pt, dpins, ppins = [], [], None, None
                for i in range(runs):
                    out = os.path.join(work, f"pylock-{i}.toml")
                    t, p = timed([deeplock, "lock", "-r", reqs, "-o", out, "--build-deps", "none", "--python", "3.11",
                                  "-i", srv.url, "--cache-dir", os.path.join(work, f"dc{i}"), "-q"], env)
                    if p.returncode != 0:
                        sys.exit(f"deeplock failed on {idx}:\n{p.stderr[-3000:]}")
                    dt.append(t)
                    import tomllib
                    dpins = {x["name"]: x["version"] for x in tomllib.load(open(out, "rb"))["packages"]}
                    report = os.path.join(work, f"report-{i}.json")
                    t, p = timed(pip + ["install", "--dry-run", "--ignore-installed", "--quiet", "--report", report,
                                        "--index-url", srv.url, "--cache-dir", os.path.join(work, f"pc{i}"),
                                        "-r", reqs], env)
                    if p.returncode != 0:
                        ppins = None
                        pt.append(float("nan"))
                        perr = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else "failed"
                        continue
                    pt.append(t)
                    ppins = {x["metadata"]["name"].lower().replace("_", "-").replace(".", "-"): x["metadata"]["version"]
                             for x in json.load(open(report))["install"]}
            d = statistics.median(dt)
            if ppins is None:
                print(f"| {idx[5:]} | {len(names)} | {len(dpins)} | {d * 1000:.0f} ms | failed: {perr} | | |")
                continue
            pm = statistics.median(pt)
            diff = sorted(set(dpins) | set(ppins))
            diff = [f"{n} {dpins.get(n, '-')}/{ppins.get(n, '-')}" for n in diff if dpins.get(n) != ppins.get(n)]
            same = "yes" if not diff else "no: " + ", ".join(diff) + " (deeplock/pip)"
            print(f"| {idx[5:]} | {len(names)} | {len(dpins)} | {d * 1000:.0f} ms | {pm * 1000:.0f} ms | {pm / d:.1f}x | {same} |")
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv)
