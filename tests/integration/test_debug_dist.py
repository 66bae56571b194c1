"""`deeplock debug wheel-name`, `sdist-name`, `metadata` and `tags` from the outside."""
import json
import os

import pytest


def test_wheel_name_parts(run):
    r = run("debug", "wheel-name", "dist/Foo.Bar-1.0_RC1-7b-py2.py3-none-any.whl")
    assert r.rc == 0, r.err
    assert r.json() == [{
        "input": "dist/Foo.Bar-1.0_RC1-7b-py2.py3-none-any.whl",
        "valid": True,
        "name": "Foo.Bar",
        "normalized_name": "foo-bar",
        "version": "1.0rc1",
        "version_text": "1.0_RC1",
        "build": "7b",
        "build_number": 7,
        "tags": [
            {"python": "py2", "abi": "none", "platform": "any"},
            {"python": "py3", "abi": "none", "platform": "any"},
        ],
    }]


def test_wheel_name_compatibility_and_rank(run):
    r = run("debug", "wheel-name", "--python", "3.11", "--platform", "manylinux_2_35_x86_64",
            "numpy-1.26.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "pip-24.0-py3-none-any.whl",
            "foo-1.0-cp311-cp311-win_amd64.whl",
            "foo-1.0-cp39-abi3-manylinux2014_x86_64.whl")
    assert r.rc == 0, r.err
    out = r.json()
    assert [(o["compatible"], o["rank"]) for o in out] == [(True, 18), (True, 877), (False, None), (True, 4 * 35 + 19)]


def test_wheel_name_target_key_values(run):
    r = run("debug", "wheel-name", "--target", "python=3.13t", "--target", "macos=14.0", "--target", "arch=arm64",
            "foo-1.0-cp313-cp313t-macosx_11_0_arm64.whl", "foo-1.0-cp313-abi3-macosx_11_0_arm64.whl")
    assert r.rc == 0, r.err
    assert [(o["compatible"], o["rank"]) for o in r.json()] == [(True, 6), (False, None)]


def test_wheel_name_invalid(run):
    r = run("debug", "wheel-name", "pip-24.0-py3-none-any.whl", "foo-1.0x-py3-none-any.whl", "foo.whl")
    assert r.rc == 1
    out = r.json()
    assert out[0]["valid"] is True
    assert out[1] == {"input": "foo-1.0x-py3-none-any.whl", "valid": False,
                      "error": out[1]["error"]}
    assert "version '1.0x' (from column 5) is not a valid PEP 440 version" in out[1]["error"]
    assert out[2]["error"].endswith("found 0 '-' where 4 or 5 are needed: expected "
                                    "{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl at column 4")


def test_wheel_name_usage(run):
    assert run("debug", "wheel-name").rc == 2
    r = run("debug", "wheel-name", "--bogus", "x.whl")
    assert r.rc == 2 and b"unknown option '--bogus'" in r.err
    r = run("debug", "wheel-name", "--python", "three", "x.whl")
    assert r.rc == 2 and b"invalid value 'three' for target key 'python'" in r.err
    r = run("debug", "wheel-name", "--target", "nokey", "x.whl")
    assert r.rc == 2 and b"--target takes KEY=VALUE" in r.err
    r = run("debug", "wheel-name", "--help")
    assert r.rc == 0 and b"Usage: deeplock debug wheel-name" in r.out and b"--platform" in r.out


def test_sdist_name(run):
    r = run("debug", "sdist-name", "foo_bar-1.0.tar.gz", "trove-classifiers-2023.11.29.tar.gz", "Foo-1.0.ZIP",
            "foo-1.0-1.tar.gz")
    assert r.rc == 0, r.err
    out = r.json()
    assert out[0] == {"input": "foo_bar-1.0.tar.gz", "valid": True, "name": "foo_bar", "normalized_name": "foo-bar",
                      "version": "1.0", "version_text": "1.0", "format": "tar.gz", "extension": ".tar.gz",
                      "pep625": True}
    assert (out[1]["name"], out[1]["version"], out[1]["pep625"]) == ("trove-classifiers", "2023.11.29", False)
    assert (out[2]["format"], out[2]["extension"]) == ("zip", ".ZIP")
    # Without the project, the last '-' before a version splits.
    assert (out[3]["name"], out[3]["version"]) == ("foo-1.0", "1")


def test_sdist_name_with_project(run):
    r = run("debug", "sdist-name", "--project", "foo", "foo-1.0-1.tar.gz")
    assert r.rc == 0, r.err
    assert (r.json()[0]["name"], r.json()[0]["version"]) == ("foo", "1.0.post1")
    r = run("debug", "sdist-name", "--project=bar", "foo-1.0.tar.gz")
    assert r.rc == 1
    assert "does not belong to project 'bar'" in r.json()[0]["error"]
    r = run("debug", "sdist-name", "--project", "-bad", "foo-1.0.tar.gz")
    assert r.rc == 2 and b"invalid expected project name" in r.err


def test_sdist_name_invalid_and_help(run):
    r = run("debug", "sdist-name", "foo-1.0.egg", "foo.tar.gz")
    assert r.rc == 1
    errors = [o["error"] for o in r.json()]
    assert "expected an sdist extension" in errors[0] and errors[0].endswith("at column 12")
    assert errors[1].endswith("no '-': expected {name}-{version} at column 4")
    assert run("debug", "sdist-name").rc == 2
    r = run("debug", "sdist-name", "--help")
    assert r.rc == 0 and b"--project NAME" in r.out


METADATA = (b"Metadata-Version: 2.1\nName: Demo\nVersion: 1.0\nLicense: one\n        two\n"
            b"Keywords: a b\nRequires-Dist: x>=1\nRequires-Dist: y; extra == 't'\nProvides-Extra: t\n\nBody\n")


def test_metadata_stdin(run):
    r = run("debug", "metadata", input=METADATA)
    assert r.rc == 0, r.err
    assert r.json() == {
        "metadata_version": "2.1", "name": "Demo", "version": "1.0", "license": "one\ntwo",
        "keywords": ["a", "b"], "requires_dist": ["x>=1", "y; extra == 't'"], "provides_extra": ["t"],
        "description": "Body\n",
    }
    # Key order is the file's.
    assert list(json.loads(r.out)) == ["metadata_version", "name", "version", "license", "keywords",
                                       "requires_dist", "provides_extra", "description"]


def test_metadata_file_and_errors(run, tmp_path):
    p = tmp_path / "METADATA"
    p.write_bytes(METADATA)
    r = run("debug", "metadata", str(p))
    assert r.rc == 0 and r.json()["name"] == "Demo"
    r = run("debug", "metadata", input=b"Metadata-Version: 2.1\nName: a\nVersion: 1\nSummary: caf\xc3\n")
    assert r.rc == 1
    assert b"standard input: core metadata, line 4, column 13: invalid UTF-8 (byte 0xc3)" in r.err
    p.write_bytes(b"Metadata-Version: 2.1\nName a\n")
    r = run("debug", "metadata", str(p))
    assert r.rc == 1
    assert b"core metadata, line 2, column 5: expected 'Field-Name: value'" in r.err
    r = run("debug", "metadata", input=b"Name: a\n")
    assert r.rc == 1 and b"no Metadata-Version field" in r.err
    r = run("debug", "metadata", "--lenient", input=b"Name: a\n")
    assert r.rc == 0 and r.json() == {"name": "a"}
    assert run("debug", "metadata", str(tmp_path / "missing")).rc == 1
    assert run("debug", "metadata", "a", "b").rc == 2
    r = run("debug", "metadata", "--help")
    assert r.rc == 0 and b"--wheel-file" in r.out


def test_metadata_wheel_file(run):
    r = run("debug", "metadata", "--wheel-file",
            input=b"Wheel-Version: 1.0\nGenerator: flit 3.9.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
    assert r.rc == 0, r.err
    assert r.json() == {"wheel_version": "1.0", "generator": "flit 3.9.0", "root_is_purelib": True,
                        "tag": ["py3-none-any"], "build": None}
    r = run("debug", "metadata", "--wheel-file", input=b"Wheel-Version: 2.0\n")
    assert r.rc == 1 and b"only version 1.x wheels can be installed" in r.err


def test_tags(run):
    r = run("debug", "tags", "--python", "3.12", "--platform", "win_amd64", "--limit", "4")
    assert r.rc == 0, r.err
    assert r.json() == {"count": 42, "tags": ["cp312-cp312-win_amd64", "cp312-abi3-win_amd64",
                                              "cp312-none-win_amd64", "cp311-abi3-win_amd64"]}
    r = run("debug", "tags")
    assert r.json()["count"] == 15 and r.json()["tags"][0] == "cp312-none-any"
    r = run("debug", "tags", "--implementation", "pp", "--python", "3.10", "--platform", "manylinux_2_31_x86_64")
    assert r.json()["count"] == 447 and r.json()["tags"][434] == "pp3-none-any"
    r = run("debug", "tags", "--target", "os=manylinux", "--target", "arch=x86_64")
    assert r.rc == 2 and b"needs its version" in r.err
    assert run("debug", "tags", "--limit", "x").rc == 2
    r = run("debug", "tags", "--help")
    assert r.rc == 0 and b"Usage: deeplock debug tags" in r.out


def test_debug_help_lists_dist_commands(run):
    r = run("debug", "--help")
    assert r.rc == 0
    for name in (b"wheel-name", b"sdist-name", b"metadata", b"tags"):
        assert name in r.out


def test_real_dists(run, shared_dir):
    if shared_dir is None:
        pytest.skip("../shared is absent")
    base = os.path.join(shared_dir, "data", "real-dists")
    names = sorted(n for n in os.listdir(base) if n != "files.json")
    wheels = [n for n in names if n.endswith(".whl")]
    sdists = [n for n in names if not n.endswith(".whl")]
    r = run("debug", "wheel-name", "--python", "3.12", "--platform", "any", *wheels)
    assert r.rc == 0, r.err
    assert all(o["compatible"] and o["tags"] == [{"python": "py3", "abi": "none", "platform": "any"}]
               for o in r.json())
    r = run("debug", "sdist-name", *sdists)
    assert r.rc == 0, r.err
    for o in r.json():
        md = run("debug", "metadata", os.path.join(base, o["input"], "PKG-INFO"))
        assert md.rc == 0, md.err
        assert md.json()["version"] == o["version_text"]
