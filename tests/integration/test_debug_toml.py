"""`deeplock debug toml-decode` and `toml-encode`: toml-test's decoder and
encoder interfaces, driven through the real binary."""
import json
import math
import os

import pytest

PYLOCK_JSON = {
    "lock-version": {"type": "string", "value": "1.0"},
    "created-by": {"type": "string", "value": "deeplock"},
    "packages": [
        {
            "name": {"type": "string", "value": "attrs"},
            "version": {"type": "string", "value": "23.1.0"},
            "wheels": [
                {
                    "name": {"type": "string", "value": "attrs-23.1.0-py3-none-any.whl"},
                    "upload-time": {"type": "datetime", "value": "2023-05-01T12:00:00.5Z"},
                    "size": {"type": "integer", "value": "61160"},
                    "hashes": {"sha256": {"type": "string", "value": "1f28"}},
                },
            ],
        },
        {
            "name": {"type": "string", "value": "odd \"name\"\n\u00e9"},
            "weights": [{"type": "float", "value": "0.1"}, {"type": "float", "value": "-inf"}],
            "flags": {"on": {"type": "bool", "value": "true"}, "when": {"type": "date-local", "value": "2024-02-29"}},
        },
    ],
    "tool": {"deeplock": {"a.b": {"at": {"type": "time-local", "value": "07:32:00.999"}}}},
}

PYLOCK_TOML = """\
lock-version = "1.0"
created-by = "deeplock"

[[packages]]
name = "attrs"
version = "23.1.0"

[[packages.wheels]]
name = "attrs-23.1.0-py3-none-any.whl"
upload-time = 2023-05-01T12:00:00.5Z
size = 61160

[packages.wheels.hashes]
sha256 = "1f28"

[[packages]]
name = "odd \\"name\\"\\n\u00e9"
weights = [0.1, -inf]

[packages.flags]
on = true
when = 2024-02-29

[tool.deeplock."a.b"]
at = 07:32:00.999
"""


def norm_datetime(s):
    """RFC 3339 with 'T', 'Z', upper case and the shortest fraction."""
    s = s.upper().replace(" ", "T", 1)
    s = s.replace("+00:00", "Z").replace("-00:00", "Z")
    if "." in s:
        head, rest = s.split(".", 1)
        n = 0
        while n < len(rest) and rest[n].isdigit():
            n += 1
        digits, tail = rest[:n], rest[n:]
        digits = digits.rstrip("0")
        s = head + ("." + digits if digits else "") + tail
    return s


def same(want, got):
    """Semantic equality of two tagged-JSON trees, as toml-test's runner has it."""
    if isinstance(want, list):
        return isinstance(got, list) and len(want) == len(got) and all(same(a, b) for a, b in zip(want, got))
    if set(want) == {"type", "value"} and isinstance(want["value"], str):
        if not (isinstance(got, dict) and got.get("type") == want["type"]):
            return False
        a, b = want["value"], got["value"]
        t = want["type"]
        if t == "integer":
            return int(a) == int(b)
        if t == "float":
            x, y = float(a), float(b)
            return (math.isnan(x) and math.isnan(y)) or x == y
        if t in ("datetime", "datetime-local", "date-local", "time-local"):
            return norm_datetime(a) == norm_datetime(b)
        return a == b
    return isinstance(got, dict) and set(want) == set(got) and all(same(want[k], got[k]) for k in want)


def test_decode(run):
    r = run("debug", "toml-decode", input=b'a = 1\n[t]\ns = "x\\ty"\nd = 1979-05-27 07:32:00z\nf = [nan, 1e3]\n')
    assert r.rc == 0, r.err
    assert r.json() == {
        "a": {"type": "integer", "value": "1"},
        "t": {
            "s": {"type": "string", "value": "x\ty"},
            "d": {"type": "datetime", "value": "1979-05-27T07:32:00Z"},
            "f": [{"type": "float", "value": "nan"}, {"type": "float", "value": "1000.0"}],
        },
    }


def test_decode_invalid_is_positioned(run):
    r = run("debug", "toml-decode", input=b"a = 1\n[t]\nb = 2\nb = 3\n")
    assert r.rc == 1
    assert r.out == b""
    assert r.err == b"deeplock: error: <stdin>:4:1: duplicate key 't.b' (first defined at line 3)\n"
    r = run("debug", "toml-decode", input=b"x = \"\xff\"\n")
    assert r.rc == 1
    assert b"<stdin>:1:6: invalid UTF-8 (byte 0xFF)" in r.err


def test_encode_golden(run):
    r = run("debug", "toml-encode", input=json.dumps(PYLOCK_JSON).encode())
    assert r.rc == 0, r.err
    assert r.out.decode() == PYLOCK_TOML


def test_encode_decode_round_trip(run):
    r = run("debug", "toml-encode", input=json.dumps(PYLOCK_JSON).encode())
    assert r.rc == 0, r.err
    back = run("debug", "toml-decode", input=r.out)
    assert back.rc == 0, back.err
    assert same(PYLOCK_JSON, back.json())
    # and writing what was read again gives the same bytes
    again = run("debug", "toml-encode", input=back.out)
    assert again.rc == 0 and again.out == r.out


def test_encode_nul_key(run):
    r = run("debug", "toml-encode", input=b'{"\\u0000": {"type": "string", "value": "a\\u0000b"}}')
    assert r.rc == 0, r.err
    assert r.out == b'"\\u0000" = "a\\u0000b"\n'


@pytest.mark.parametrize("bad, message", [
    (b"[]", b"the top level must be a JSON object"),
    (b'{"a": 1}', b"expected an object, an array or a tagged value"),
    (b'{"a": {"type": "integer", "value": "x"}}', b"invalid integer value 'x'"),
    (b'{"a": {"type": "date-local", "value": "2023-02-29"}}', b"day out of range"),
    (b'{"a": {"type": "datetime", "value": "2023-02-01"}}', b"is a local date, not a offset date-time"),
    (b'{"a": {"type": "integer"}}', b'exactly a "type" and a "value"'),
    (b'{"a": [', b"expected an object, an array"),
    (b'{"a": {}} x', b"text after the JSON value"),
    (b'{"a": {}, "a": {}}', b"duplicate key 'a'"),
    (b'{"a": {"type": "string", "value": "\\ud800"}}', b"unpaired surrogate"),
])
def test_encode_invalid(run, bad, message):
    r = run("debug", "toml-encode", input=bad)
    assert r.rc == 1
    assert message in r.err, r.err


def test_help_and_usage(run):
    for cmd in ("toml-decode", "toml-encode"):
        r = run("debug", cmd, "--help")
        assert r.rc == 0
        assert r.out.startswith(b"Usage: deeplock debug " + cmd.encode())
        r = run("debug", cmd, "file.toml")
        assert r.rc == 2
        assert b"unexpected argument 'file.toml'" in r.err


def suite_files(shared_dir):
    if shared_dir is None:
        pytest.skip("the shared reference data (../shared) is absent")
    root = os.path.join(shared_dir, "conformance", "toml-test")
    with open(os.path.join(root, "files-toml-1.0.0")) as f:
        names = [n.strip() for n in f if n.strip().endswith(".toml")]
    return root, names


def test_toml_test_decoder_interface(run, shared_dir):
    """The suite through the decoder interface, as toml-test's runner drives it."""
    root, names = suite_files(shared_dir)
    failures = []
    for name in names:
        with open(os.path.join(root, name), "rb") as f:
            r = run("debug", "toml-decode", input=f.read())
        if name.startswith("invalid/"):
            if r.rc != 1 or not r.err.startswith(b"deeplock: error: <stdin>:"):
                failures.append(name)
            continue
        with open(os.path.join(root, name[:-5] + ".json"), "rb") as f:
            want = json.load(f)
        if r.rc != 0 or not same(want, r.json()):
            failures.append(name)
    assert failures == []


def test_toml_test_encoder_interface(run, shared_dir):
    """Every valid case's JSON through the encoder, read back by the decoder."""
    root, names = suite_files(shared_dir)
    failures = []
    for name in names:
        if not name.startswith("valid/"):
            continue
        with open(os.path.join(root, name[:-5] + ".json"), "rb") as f:
            raw = f.read()
        enc = run("debug", "toml-encode", input=raw)
        dec = run("debug", "toml-decode", input=enc.out) if enc.rc == 0 else enc
        if dec.rc != 0 or not same(json.loads(raw), dec.json()):
            failures.append(name)
    assert failures == []
