"""`deeplock debug requirement` and `deeplock debug marker`: the PEP 508 parsers from outside."""
import json


def test_requirement_parts(run):
    r = run("debug", "requirement", "Foo.Bar [Test, a] (>=1.0, <2) ; python_version >= '3.8' and extra == 'A_b'")
    assert r.rc == 0, r.err
    assert r.json() == [{
        "input": "Foo.Bar [Test, a] (>=1.0, <2) ; python_version >= '3.8' and extra == 'A_b'",
        "valid": True,
        "name": "Foo.Bar",
        "normalized_name": "foo-bar",
        "extras": ["a", "test"],
        "specifier": "<2,>=1.0",
        "url": None,
        "marker": 'python_version >= "3.8" and extra == "a-b"',
        "normalized": 'Foo.Bar[a,test]<2,>=1.0; python_version >= "3.8" and extra == "a-b"',
    }]


def test_requirement_url(run):
    r = run("debug", "requirement", "pkg @ https://example.com/pkg-1.0.tar.gz ; os_name == 'nt'")
    assert r.rc == 0
    (o,) = r.json()
    assert o["url"] == "https://example.com/pkg-1.0.tar.gz"
    assert o["specifier"] == ""
    assert o["marker"] == 'os_name == "nt"'
    assert o["normalized"] == 'pkg @ https://example.com/pkg-1.0.tar.gz ; os_name == "nt"'


def test_requirement_several_and_invalid(run):
    r = run("debug", "requirement", "a", "foo bar", "b>=1")
    assert r.rc == 1
    out = r.json()
    assert [o["valid"] for o in out] == [True, False, True]
    assert out[1] == {
        "input": "foo bar",
        "valid": False,
        "error": "invalid requirement 'foo bar': expected '[', a version specifier, '@', ';' or end of input at column 5",
    }
    assert out[2]["normalized"] == "b>=1"


def test_requirement_no_marker_url_space(run):
    r = run("debug", "requirement", "name @ https://example.com/; extra == 'x'")
    assert r.rc == 1
    assert "expected ';' (after the URL and whitespace) or end of input at column 30" in r.json()[0]["error"]


def test_requirement_help_and_usage(run):
    r = run("debug", "requirement", "--help")
    assert r.rc == 0
    assert b"Usage: deeplock debug requirement REQ..." in r.out
    assert run("debug", "requirement").rc == 2


def test_marker_parse_only(run):
    r = run("debug", "marker", "(os.name=='nt' and python_version<'3') or sys_platform=='linux'")
    assert r.rc == 0
    assert r.json() == {
        "input": "(os.name=='nt' and python_version<'3') or sys_platform=='linux'",
        "valid": True,
        "normalized": 'os_name == "nt" and python_version < "3" or sys_platform == "linux"',
    }


def test_marker_invalid(run):
    r = run("debug", "marker", "python_version")
    assert r.rc == 1
    o = r.json()
    assert o["valid"] is False
    assert o["error"].startswith("invalid marker 'python_version': expected a marker operator")
    assert o["error"].endswith("at column 15")


def test_marker_evaluate_env(run):
    r = run("debug", "marker", "python_version >= '3.8' and sys_platform == 'linux'",
            "--env", "python_version=3.11", "--env", "sys_platform=linux")
    assert r.rc == 0, r.err
    assert r.json()["value"] is True
    r = run("debug", "marker", "python_version >= '3.12'", "--env", "python_version=3.11")
    assert r.rc == 0
    assert r.json()["value"] is False


def test_marker_missing_variable(run):
    r = run("debug", "marker", "os_name == 'nt' or platform_release >= '6'", "--env", "os_name=posix")
    assert r.rc == 1
    o = r.json()
    assert "value" not in o
    assert o["error"] == "marker variable 'platform_release' is not set in the environment"


def test_marker_undefined_comparison(run):
    r = run("debug", "marker", "os_name < 'posix'", "--env", "os_name=posix")
    assert r.rc == 1
    assert r.json()["error"].startswith("undefined marker comparison 'posix' < 'posix'")


def test_marker_extras(run):
    m = "extra == 'socks' or 'dev' in dependency_groups"
    assert run("debug", "marker", m, "--extra", "SOCKS").json()["value"] is True
    assert run("debug", "marker", m, "--group", "Dev").json()["value"] is True
    assert run("debug", "marker", m, "--extra", "other").json()["value"] is False
    r = run("debug", "marker", "'a-b' in extras", "--extra", "A_B")
    assert r.json()["value"] is True


def test_marker_env_json(run, tmp_path):
    env = tmp_path / "env.json"
    env.write_text(json.dumps({
        "python_version": "3.11", "python_full_version": "3.11.4", "os_name": "posix",
        "sys_platform": "linux", "platform_machine": "x86_64", "extras": ["test"],
        "dependency_groups": ["lint"],
    }))
    m = "python_full_version >= '3.11.1' and platform_machine == 'x86_64' and extra == 'test' and 'lint' in dependency_groups"
    r = run("debug", "marker", m, "--env-json", str(env))
    assert r.rc == 0, r.err
    assert r.json()["value"] is True
    # --env applies after the file, whatever the order
    r = run("debug", "marker", "platform_machine == 'x86_64'", "--env", "platform_machine=arm64", "--env-json", str(env))
    assert r.json()["value"] is False
    # from stdin
    r = run("debug", "marker", "os_name == 'posix'", "--env-json", "-", input=b'{"os_name": "posix"}')
    assert r.json()["value"] is True


def test_marker_env_json_errors(run, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"not_a_var": "x"}')
    r = run("debug", "marker", "os_name == 'a'", "--env-json", str(bad))
    assert r.rc == 1
    assert b"unknown marker variable 'not_a_var'" in r.err
    bad.write_text("[1, 2]")
    assert run("debug", "marker", "os_name == 'a'", "--env-json", str(bad)).rc == 1
    bad.write_text('{"os_name": 3}')
    r = run("debug", "marker", "os_name == 'a'", "--env-json", str(bad))
    assert r.rc == 1
    assert b"'os_name' must be a string" in r.err


def test_marker_usage(run):
    assert run("debug", "marker").rc == 2
    r = run("debug", "marker", "os_name == 'a'", "--env", "os_name")
    assert r.rc == 2
    assert b"--env takes KEY=VALUE" in r.err
    assert run("debug", "marker", "os_name == 'a'", "--env").rc == 2
    assert run("debug", "marker", "os_name == 'a'", "--bogus").rc == 2
    assert run("debug", "marker", "os_name == 'a'", "os_name == 'b'").rc == 2
    r = run("debug", "marker", "os_name == 'a'", "--env", "nope=1")
    assert r.rc == 2
    assert b"unknown marker variable 'nope'" in r.err
    r = run("debug", "marker", "--help")
    assert r.rc == 0
    assert b"--env-json FILE" in r.out
