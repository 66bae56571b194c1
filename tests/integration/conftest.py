"""Shared fixtures for the integration tests: they run the real deeplock binary."""
import json
import os
import subprocess

import pytest


@pytest.fixture(scope="session")
def deeplock_bin():
    path = os.environ.get("DEEPLOCK")
    if not path or not os.path.exists(path):
        pytest.fail("set DEEPLOCK to the built deeplock binary (ctest does this)")
    return path


@pytest.fixture(scope="session")
def shared_dir():
    path = os.environ.get("DL_SHARED_DIR") or os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared")
    return path if os.path.isdir(path) else None


class Run:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def json(self):
        return json.loads(self.out)


# Every test serves its own index on 127.0.0.1; anything else must fail fast
# instead of reaching a public index: proxies point at a dead loopback port.
NO_PUBLIC_NETWORK = {"http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
                     "all_proxy": "http://127.0.0.1:9", "no_proxy": "127.0.0.1,localhost"}
os.environ.update(NO_PUBLIC_NETWORK)


@pytest.fixture
def run(deeplock_bin):
    def _run(*args, input=None, env=None):
        if env is not None:
            env = dict(env, **NO_PUBLIC_NETWORK)
        proc = subprocess.run([deeplock_bin, *args], input=input, capture_output=True,
                              env=env, timeout=60)
        return Run(proc)
    return _run
