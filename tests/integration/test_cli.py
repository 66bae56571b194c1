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
