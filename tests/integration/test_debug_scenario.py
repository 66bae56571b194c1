"""`deeplock debug scenario`: packse scenarios resolved through the real
binary, with the exact explanation text of a few unsatisfiable ones."""
import json
import os

import pytest

GOLDEN = {
    "extras/extra-incompatible-with-root.toml": (
        "(1) Because a[extra] ==1.0.0 depends on b ==1.0.0 and the requirements include a[extra], "
        "not b ==1.0.0 is required.\n"
        "(2) Because not b ==1.0.0 is required (1) and the requirements include b ==2.0.0, "
        "the requirements cannot be satisfied.\n"
    ),
    "requires_python/python-greater-than-current.toml": (
        "(1) Because a ==1.0.0 cannot be used (it requires Python >=3.10, the target is 3.9.0) and the "
        "requirements include a ==1.0.0, the requirements cannot be satisfied.\n"
    ),
    "wheels/no-wheels-no-build.toml": (
        "(1) Because a ==1.0.0 cannot be used (building from source is disabled and it has no wheels) and "
        "the requirements include a, the requirements cannot be satisfied.\n"
    ),
    "incompatible_versions/direct-incompatible-versions.toml": (
        "(1) Because the requirements include a ==1.0.0 and the requirements include a ==2.0.0, "
        "the requirements cannot be satisfied.\n"
    ),
}


def packse(shared_dir, rel):
    if shared_dir is None:
        pytest.skip("../shared is not available")
    return os.path.join(shared_dir, "scenarios", "packse", rel)


@pytest.mark.parametrize("rel", sorted(GOLDEN))
def test_golden_explanations(run, shared_dir, rel):
    r = run("debug", "scenario", packse(shared_dir, rel))
    assert r.rc == 0, r.err
    [o] = r.json()
    assert o["satisfiable"] is False
    assert o["expected_satisfiable"] is False
    assert o["pass"] is True
    assert o["packages"] == {}
    assert o["explanation"] == GOLDEN[rel]


def test_pins_and_universal(run, shared_dir):
    r = run("debug", "scenario", packse(shared_dir, "extras/all-extras-required.toml"),
            packse(shared_dir, "fork/basic.toml"))
    assert r.rc == 0, r.err
    a, b = r.json()
    assert a["name"] == "all-extras-required"
    assert a["satisfiable"] is True
    assert a["packages"] == {"a": "1.0.0", "b": "1.0.0", "c": "1.0.0"}
    assert list(a["packages"]) == ["a", "b", "c"]
    assert a["expected_packages"] == a["packages"]
    assert a["pass"] is True and a["reason"] == ""
    assert "explanation" not in a
    # fork/basic: a>=2 on linux, a<2 on darwin; nothing elsewhere
    assert b["pass"] is True and b["satisfiable"] is True
    assert b["forks"] == 3
    assert b["packages"] == [
        {"name": "a", "version": "1.0.0", "marker": 'sys_platform == "darwin"'},
        {"name": "a", "version": "2.0.0", "marker": 'sys_platform == "linux"'},
    ]


def test_target_python_override(run, shared_dir):
    # resolver_options.python (3.11) wins over the interpreter of [environment] (3.9)
    r = run("debug", "scenario", packse(shared_dir, "requires_python/incompatible-python-compatible-override.toml"))
    assert r.rc == 0, r.err
    [o] = r.json()
    assert o["python"] == "3.11.0"
    assert o["packages"] == {"a": "1.0.0"}


def test_failing_scenario_exits_1(run, tmp_path):
    p = tmp_path / "wrong.toml"
    p.write_text('name = "wrong"\n[root]\nrequires = ["a>1"]\n[expected]\nsatisfiable = true\n'
                 '[expected.packages]\na = "2"\n'
                 '[packages.a.versions."1"]\n[packages.a.versions."3"]\n')
    ok = tmp_path / "ok.toml"
    ok.write_text('[root]\nrequires = ["a"]\n[expected]\nsatisfiable = false\n')
    r = run("debug", "scenario", str(ok), str(p))
    assert r.rc == 1
    first, second = r.json()
    assert first["pass"] is True
    assert first["explanation"] == ("(1) Because there are no versions of a and the requirements include a, "
                                    "the requirements cannot be satisfied.\n")
    assert second == {
        "file": str(p),
        "name": "wrong",
        "python": "3.12.0",
        "satisfiable": True,
        "packages": {"a": "3"},
        "expected_satisfiable": True,
        "expected_packages": {"a": "2"},
        "pass": False,
        "reason": "a 2 expected, got 3",
    }


def test_bad_input(run, tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text('[expected]\nsatisfiable = true\n[root]\nrequires = ["a >"]\n')
    r = run("debug", "scenario", str(p), str(tmp_path / "missing.toml"))
    assert r.rc == 1
    bad, missing = r.json()
    assert bad["pass"] is False
    assert bad["reason"].startswith("invalid requirement 'a >'")
    assert "while reading %s line 4, column 13" % p in bad["reason"]
    assert missing["pass"] is False
    assert b"deeplock: error:" in r.err


def test_usage(run):
    r = run("debug", "scenario")
    assert r.rc == 2
    r = run("debug", "scenario", "--help")
    assert r.rc == 0
    assert r.out.startswith(b"Usage: deeplock debug scenario")
