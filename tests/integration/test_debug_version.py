"""`deeplock debug version`, `debug specifier` and `debug range`: the PEP 440 code from outside."""


def test_version_parts_and_errors(run):
    r = run("debug", "version", "1.0-1", "v2.0RC1.dev3+Local_01", "1!0", "1.0x")
    assert r.rc == 1
    assert r.json() == {
        "versions": [
            {"input": "1.0-1", "valid": True, "canonical": "1.0.post1", "epoch": 0, "release": [1, 0],
             "pre": None, "post": 1, "dev": None, "local": None, "public": "1.0.post1",
             "base_version": "1.0", "is_prerelease": False, "is_devrelease": False,
             "is_postrelease": True},
            {"input": "v2.0RC1.dev3+Local_01", "valid": True, "canonical": "2.0rc1.dev3+local.1",
             "epoch": 0, "release": [2, 0], "pre": ["rc", 1], "post": None, "dev": 3,
             "local": "local.1", "public": "2.0rc1.dev3", "base_version": "2.0", "is_prerelease": True,
             "is_devrelease": True, "is_postrelease": False},
            {"input": "1!0", "valid": True, "canonical": "1!0", "epoch": 1, "release": [0], "pre": None,
             "post": None, "dev": None, "local": None, "public": "1!0", "base_version": "1!0",
             "is_prerelease": False, "is_devrelease": False, "is_postrelease": False},
            {"input": "1.0x", "valid": False,
             "error": "invalid version '1.0x': unexpected character at column 4"},
        ],
        "sorted": ["1.0.post1", "2.0rc1.dev3+local.1", "1!0"],
    }


def test_version_sorted(run):
    r = run("debug", "version", "0.9", "1.0.post1", "1.0", "1.0a1", "1!0.1", "1.0+abc", "1.0.0", "1.0.dev0")
    assert r.rc == 0, r.err
    # equal versions ("1.0", "1.0.0") keep their input order
    assert r.json()["sorted"] == ["0.9", "1.0.dev0", "1.0a1", "1.0", "1.0.0", "1.0+abc", "1.0.post1", "1!0.1"]


def test_version_limit_and_big_numbers(run):
    r = run("debug", "version", "18446744073709551615.1", "18446744073709551616")
    assert r.rc == 1
    out = r.json()["versions"]
    # beyond 2^63-1 a number is a decimal string
    assert out[0]["release"] == ["18446744073709551615", 1]
    assert out[1] == {
        "input": "18446744073709551616", "valid": False,
        "error": "invalid version '18446744073709551616': the number at column 1 is too large "
                 "(deeplock limits version numbers to 64 bits)",
    }


def test_specifier_membership(run):
    r = run("debug", "specifier", ">=1.0, !=1.5.*, <2", "1.5.1", "1.4", "2.0a1", "1.0+local")
    assert r.rc == 0, r.err
    assert r.json() == {
        "input": ">=1.0, !=1.5.*, <2",
        "valid": True,
        "normalized": ">=1.0,!=1.5.*,<2",
        "names_prerelease": False,
        "range": ">=1.0, <1.5 | >=1.6.dev0, <2",
        "contains": [
            {"version": "1.5.1", "contained": False},
            {"version": "1.4", "contained": True},
            {"version": "2.0a1", "contained": False},
            {"version": "1.0+local", "contained": True},
        ],
    }


def test_specifier_prerelease_policy(run):
    args = ("debug", "specifier", ">=1.0", "2.0a1", "2.0")
    default = run(*args)
    deny = run(*args, "--prereleases=deny")
    allow = run(*args[:3], "--prereleases=allow", *args[3:])
    assert [c["contained"] for c in default.json()["contains"]] == [True, True]
    assert [c["contained"] for c in deny.json()["contains"]] == [False, True]
    assert [c["contained"] for c in allow.json()["contains"]] == [True, True]
    assert default.json()["names_prerelease"] is False
    assert run("debug", "specifier", ">=1.0b1").json()["names_prerelease"] is True


def test_specifier_invalid(run):
    r = run("debug", "specifier", ">=1.0 2")
    assert r.rc == 1
    assert r.json() == {
        "input": ">=1.0 2",
        "valid": False,
        "error": "invalid specifier '>=1.0 2': unexpected space inside the version at column 6",
    }
    r = run("debug", "specifier", "~=1")
    assert r.rc == 1
    assert r.json()["error"] == \
        "invalid specifier '~=1': ~= needs a version with at least two release numbers at column 3"


def test_specifier_arbitrary_and_invalid_version(run):
    r = run("debug", "specifier", "===foobar", "FooBar", "1.0")
    assert r.rc == 1  # "FooBar" is not a version
    assert r.json() == {
        "input": "===foobar",
        "valid": True,
        "normalized": "===foobar",
        "names_prerelease": False,
        "range": "<empty>",
        "contains": [
            {"version": "FooBar", "valid": False,
             "error": "invalid version 'FooBar': expected a release number at column 1", "contained": True},
            {"version": "1.0", "contained": False},
        ],
    }


def test_range_combination(run):
    r = run("debug", "range", "==1.*", "--and", "!=1.5.*", "--or", ">=3")
    assert r.rc == 0, r.err
    assert r.json() == {
        "range": ">=1.dev0, <1.5 | >=1.6.dev0, <2 | >=3",
        "intervals": [
            {"lower": "1.MIN", "lower_inclusive": True, "upper": "1.5.MIN", "upper_inclusive": False},
            {"lower": "1.6.MIN", "lower_inclusive": True, "upper": "2.MIN", "upper_inclusive": False},
            {"lower": "3", "lower_inclusive": True, "upper": None, "upper_inclusive": None},
        ],
        "empty": False,
        "full": False,
        "has_final": True,
    }


def test_range_not(run):
    r = run("debug", "range", "==1.0", "--not")
    assert r.rc == 0, r.err
    assert r.json() == {
        "range": "!=1.0",
        "intervals": [
            {"lower": None, "lower_inclusive": None, "upper": "1.0", "upper_inclusive": False},
            {"lower": "1.0+MAX", "lower_inclusive": False, "upper": None, "upper_inclusive": None},
        ],
        "empty": False,
        "full": False,
        "has_final": True,
    }
    # left to right: (>=1 | <=1) is everything, and its complement nothing
    r = run("debug", "range", ">=1", "--or", "<=1", "--not")
    assert r.json() == {"range": "<empty>", "intervals": [], "empty": True, "full": False, "has_final": False}


def test_range_empty_full_prerelease_only(run):
    assert run("debug", "range", ">2,<1").json()["empty"] is True
    full = run("debug", "range", ">=0.dev0").json()
    assert full["full"] is True and full["range"] == "*"
    pre = run("debug", "range", ">=1.0a1,<1.0b1").json()
    assert pre["empty"] is False and pre["has_final"] is False


def test_help_and_usage(run):
    for cmd in ("version", "specifier", "range"):
        r = run("debug", cmd, "--help")
        assert r.rc == 0
        assert r.out.startswith(b"Usage: deeplock debug " + cmd.encode())
        assert run("debug", cmd).rc == 2
    assert run("debug", "specifier", ">=1", "--prereleases=maybe").rc == 2
    assert run("debug", "specifier", ">=1", "--bogus").rc == 2
    assert run("debug", "range", ">=1", "--and").rc == 2
    assert run("debug", "range", ">=1", "extra").rc == 2
    bad = run("debug", "range", ">=1", "--or", "nope")
    assert bad.rc == 1
    assert bad.json()["error"].startswith("invalid specifier 'nope'")
