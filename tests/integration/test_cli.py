"""The command line's front: version, help, usage errors and exit codes."""


def test_version(run):
    r = run("--version")
    assert r.rc == 0
    assert r.out.decode().startswith("deeplock ")


def test_help_lists_no_hidden_commands(run):
    r = run("--help")
    assert r.rc == 0
    assert b"Usage: deeplock" in r.out
    assert b"debug" not in r.out


def test_unknown_command_is_usage_error(run):
    r = run("frobnicate")
    assert r.rc == 2
    assert b"unknown command 'frobnicate'" in r.err


def test_no_arguments_is_usage_error(run):
    assert run().rc == 2


def test_debug_unknown_parser(run):
    r = run("debug", "nope")
    assert r.rc == 2
    assert b"unknown parser 'nope'" in r.err


def test_debug_name(run):
    r = run("debug", "name", "Foo.Bar", "bad name")
    assert r.rc == 1
    assert r.json() == [
        {"input": "Foo.Bar", "valid": True, "normalized": "foo-bar"},
        {"input": "bad name", "valid": False},
    ]


def test_every_command_has_help_and_is_in_the_man_page(run):
    import os
    import re
    r = run("--help")
    assert r.rc == 0
    commands = re.findall(r"^  ([a-z]+) ", r.out.decode(), re.M)
    assert {"lock", "export", "tree", "why", "graph", "audit", "diff", "cache"} <= set(commands)
    man = open(os.path.join(os.path.dirname(__file__), "..", "..", "docs", "deeplock.1")).read()
    for c in commands:
        h = run(c, "--help")
        assert h.rc == 0, c
        assert b"Usage: deeplock " + c.encode() in h.out, c
        assert f".B deeplock {c}" in man or f".BR {c} " in man or f"{c}\"" in man or f".B {c}\n" in man, c
