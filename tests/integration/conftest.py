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


@pytest.fixture
def run(deeplock_bin):
    def _run(*args, input=None, env=None):
        proc = subprocess.run([deeplock_bin, *args], input=input, capture_output=True,
                              env=env, timeout=60)
        return Run(proc)
    return _run
