#!/usr/bin/env python3
"""Index client benchmark (issue 3): fetch the metadata of every file of
every project of a real PyPI snapshot from a generated nginx index on
127.0.0.1, with a cold cache (in parallel, and one request at a time as the
sequential baseline) and with a warm cache.

The index: ../shared/data/resolvelib/index/pypi-2020-02-15-pandas.json
(331 projects with releases, 6,036 releases, every one with a wheel and its PEP 658 .metadata file),
plus an sdist for every 5th release of the projects that the build-system map
knows, so sdists are downloaded and read statically too.

The cache lives on tmpfs (/dev/shm) for the main rows: on this machine's
virtual disk creating a file costs about 0.5 ms (7,500 small files take 3.7 s
in a plain Python loop), which would measure the disk and hide the client.
One extra row puts the cache on that disk.

Usage: bench/index_bench.py DEEPLOCK SHARED_DIR [--runs N]
Prints a Markdown table; bench/run calls it.
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


def run(deeplock, url, names_file, cache, *extra):
    t0 = time.perf_counter()
    p = subprocess.run([deeplock, "debug", "index", "-i", url, "--cache-dir", cache, "--metadata", "all",
                        "--names-from", names_file, "--stats", "--quiet-files", *extra],
                       capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"deeplock failed ({p.returncode}):\n{p.stderr[-2000:]}")
    stats = json.loads(p.stdout)["stats"]
    stats["wall"] = wall
    return stats


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    deeplock, shared = argv[1], argv[2]
    runs = int(argv[argv.index("--runs") + 1]) if "--runs" in argv else 3
    snap = snapshotgen.load(os.path.join(shared, "data/resolvelib/index/pypi-2020-02-15-pandas.json"))
    bsys = snapshotgen.load(os.path.join(shared, "data/build-systems/poetry2nix-build-systems.json"))
    spec, notes = snapshotgen.spec_from_snapshot(snap, bsys, sdist_every=5)
    work = tempfile.mkdtemp(prefix="deeplock-index-bench-")
    fast = tempfile.mkdtemp(prefix="deeplock-index-bench-", dir="/dev/shm") if os.path.isdir("/dev/shm") else work
    try:
        summary = indexgen.build(spec, os.path.join(work, "index"))
        n_files = sum(len(v) for v in summary.values())
        names_file = os.path.join(work, "names.txt")
        with open(names_file, "w") as f:
            f.write("\n".join(sorted(spec["projects"])) + "\n")
        size = sum(os.path.getsize(os.path.join(r, x)) for r, _, fs in os.walk(os.path.join(work, "index"))
                   for x in fs)
        results = {}
        with indexgen.Server(os.path.join(work, "index")) as srv:
            for mode in ("sequential", "parallel", "warm", "parallel, cache on disk"):
                samples = []
                for i in range(runs):
                    cache = os.path.join(work if "disk" in mode else fast, f"cache-{i}")
                    if mode == "warm":
                        run(deeplock, srv.url, names_file, cache)  # fill it
                    extra = ["--concurrency", "1"] if mode == "sequential" else []
                    samples.append(run(deeplock, srv.url, names_file, cache, *extra))
                    shutil.rmtree(cache, ignore_errors=True)
                results[mode] = samples
        print(f"Index: {len(spec['projects'])} projects, {notes['releases']} releases, {n_files} files "
              f"({notes['sdists']} sdists), {size / 2**20:.1f} MiB on disk; "
              f"{notes['invalid_versions']} non-PEP 440 versions dropped. Median of {runs} runs.\n")
        print("| run | wall time | requests | requests/s | bytes received | revalidations | artifact cache hits |")
        print("|---|---|---|---|---|---|---|")
        med = {}
        for mode, samples in results.items():
            wall = statistics.median(s["wall"] for s in samples)
            med[mode] = wall
            s = samples[0]
            rps = s["requests"] / wall if wall > 0 else 0
            print(f"| {mode} | {wall * 1000:.0f} ms | {s['requests']} | {rps:.0f} | {s['bytes'] / 2**20:.2f} MiB "
                  f"| {s['revalidations']} | {s['artifact-hits']} |")
        print(f"\nSpeed-up of the parallel cold run over the sequential one: {med['sequential'] / med['parallel']:.2f}x; "
              f"warm run: {med['sequential'] / med['warm']:.1f}x faster than sequential cold.")
        warm = results["warm"][0]
        print(f"Warm run: {warm['requests']} requests, all revalidations of project pages "
              f"({warm['revalidations']}); {warm['artifact-hits']} metadata answers from the artifact cache.")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(fast, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv)
