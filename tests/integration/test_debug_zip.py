"""`deeplock debug wheel-metadata`: a wheel's METADATA read through the lazy
tail/range protocol, on wheels written here by Python's zipfile (an
independent zip writer): the bytes it reads, ZIP64 local headers, data
descriptors, the refusals, and the real .dist-info files of ../shared."""
import io
import os
import random
import warnings
import zipfile

import pytest

METADATA = ("Metadata-Version: 2.1\nName: Foo_Bar\nVersion: 1.0\n"
            "Requires-Dist: attrs>=22\n\nA description.\n")
WHEEL = "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


class _Unseekable:
    """A write-only stream: zipfile then writes data descriptors."""

    def __init__(self):
        self.buf = io.BytesIO()

    def write(self, data):
        return self.buf.write(data)

    def flush(self):
        pass


def make_wheel(path, members, unseekable=False, force_zip64=False):
    """members: list of (name, bytes-or-str, compress_type)."""
    sink = _Unseekable() if unseekable else open(path, "wb")
    with zipfile.ZipFile(sink, "w") as zf:
        for name, data, ctype in members:
            if isinstance(data, str):
                data = data.encode()
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = ctype
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # duplicate names, on purpose
                with zf.open(info, "w", force_zip64=force_zip64) as f:
                    f.write(data)
    if unseekable:
        with open(path, "wb") as f:
            f.write(sink.buf.getvalue())
    else:
        sink.close()
    return path


def standard(big=0):
    noise = random.Random(0).randbytes(big) if big else b""
    return [
        ("foo_bar/__init__.py", "x = 1\n", zipfile.ZIP_DEFLATED),
        ("foo_bar/blob.bin", noise, zipfile.ZIP_STORED),
        ("foo_bar-1.0.dist-info/METADATA", METADATA, zipfile.ZIP_DEFLATED),
        ("foo_bar-1.0.dist-info/WHEEL", WHEEL, zipfile.ZIP_DEFLATED),
        ("foo_bar-1.0.dist-info/RECORD", "", zipfile.ZIP_DEFLATED),
    ]


def test_prints_metadata(run, tmp_path):
    whl = make_wheel(tmp_path / "foo_bar-1.0-py3-none-any.whl", standard())
    r = run("debug", "wheel-metadata", str(whl))
    assert r.rc == 0, r.err
    assert r.out.decode() == METADATA


def test_small_wheel_is_one_read(run, tmp_path):
    whl = make_wheel(tmp_path / "foo_bar-1.0-py3-none-any.whl", standard())
    r = run("debug", "wheel-metadata", "--ranges", str(whl))
    assert r.rc == 0, r.err
    out = r.json()
    size = os.path.getsize(whl)
    assert out["ranges"] == [{"offset": 0, "length": size, "purpose": "tail"}]
    assert out["requests"] == 1 and out["total_bytes"] == size
    assert out["dist_info"] == "foo_bar-1.0.dist-info"
    assert out["member"] == "foo_bar-1.0.dist-info/METADATA"
    assert out["metadata"] == METADATA


def test_large_wheel_reads_tail_and_member_only(run, tmp_path):
    whl = make_wheel(tmp_path / "foo_bar-1.0-py3-none-any.whl", standard(big=500_000))
    size = os.path.getsize(whl)
    with zipfile.ZipFile(whl) as zf:
        info = zf.getinfo("foo_bar-1.0.dist-info/METADATA")
        nxt = zf.getinfo("foo_bar-1.0.dist-info/WHEEL").header_offset
    r = run("debug", "wheel-metadata", "--ranges", str(whl))
    assert r.rc == 0, r.err
    out = r.json()
    tail = 64 * 1024
    # METADATA follows the blob, so the 64 KiB tail already holds it.
    assert info.header_offset > size - tail and nxt > info.header_offset
    assert out["ranges"] == [{"offset": size - tail, "length": tail, "purpose": "tail"}]
    assert out["metadata"] == METADATA
    assert out["total_bytes"] == tail < size / 5


def test_metadata_before_big_blob_needs_a_member_range(run, tmp_path):
    members = standard()
    blob = ("foo_bar/blob.bin", random.Random(1).randbytes(300_000), zipfile.ZIP_STORED)
    members = [m for m in members if m[0] != "foo_bar/blob.bin"] + [blob]
    whl = make_wheel(tmp_path / "foo_bar-1.0-py3-none-any.whl", members)
    with zipfile.ZipFile(whl) as zf:
        info = zf.getinfo("foo_bar-1.0.dist-info/METADATA")
        nxt = zf.getinfo("foo_bar-1.0.dist-info/WHEEL").header_offset
    r = run("debug", "wheel-metadata", "--ranges", str(whl))
    assert r.rc == 0, r.err
    out = r.json()
    assert [x["purpose"] for x in out["ranges"]] == ["tail", "member"]
    member = out["ranges"][1]
    assert member["offset"] == info.header_offset
    # clipped at the next member: local header + name + data, nothing more
    assert member["length"] == nxt - info.header_offset
    assert out["metadata"] == METADATA


def test_small_first_tail_takes_another_round(run, tmp_path):
    whl = make_wheel(tmp_path / "foo_bar-1.0-py3-none-any.whl", standard(big=100_000))
    size = os.path.getsize(whl)
    with zipfile.ZipFile(whl) as zf:
        cd_offset = zf.start_dir
    r = run("debug", "wheel-metadata", "--ranges", "--tail", "30", str(whl))
    assert r.rc == 0, r.err
    out = r.json()
    assert out["ranges"][:2] == [
        {"offset": size - 30, "length": 30, "purpose": "tail"},
        {"offset": cd_offset, "length": size - 30 - cd_offset, "purpose": "more of the tail"},
    ]
    assert out["metadata"] == METADATA


def test_zip64_local_headers_and_data_descriptors(run, tmp_path):
    # force_zip64 puts a ZIP64 extra in each local header only: the local
    # extra is longer than the central one.
    a = make_wheel(tmp_path / "foo_bar-1.0-py3-none-any.whl",
                   standard(), force_zip64=True)
    r = run("debug", "wheel-metadata", str(a))
    assert r.rc == 0, r.err
    assert r.out.decode() == METADATA
    os.makedirs(tmp_path / "dd")
    b = make_wheel(tmp_path / "dd" / "foo_bar-1.0-py3-none-any.whl", standard(big=10), unseekable=True)
    with zipfile.ZipFile(b) as zf:
        assert zf.getinfo("foo_bar-1.0.dist-info/METADATA").flag_bits & 0x08
    r = run("debug", "wheel-metadata", str(b))
    assert r.rc == 0, r.err
    assert r.out.decode() == METADATA


def test_project_rules(run, tmp_path):
    whl = make_wheel(tmp_path / "foo_bar-1.0-py3-none-any.whl", standard())
    r = run("debug", "wheel-metadata", "--project", "FOO.BAR", "--version", "1.0.0", str(whl))
    assert r.rc == 0, r.err
    r = run("debug", "wheel-metadata", "--project", "foo", str(whl))
    assert r.rc == 1
    assert b"foo_bar-1.0-py3-none-any.whl: the .dist-info directory 'foo_bar-1.0.dist-info' is not named for project 'foo'" in r.err
    r = run("debug", "wheel-metadata", "--version", "2.0", str(whl))
    assert r.rc == 1
    assert b"is for version 1.0, not 2.0" in r.err


def test_refusals(run, tmp_path):
    two = standard() + [("other-1.0.dist-info/METADATA", METADATA, zipfile.ZIP_STORED)]
    whl = make_wheel(tmp_path / "foo_bar-1.0-py3-none-any.whl", two)
    r = run("debug", "wheel-metadata", str(whl))
    assert r.rc == 1
    assert b"more than one .dist-info directory ('foo_bar-1.0.dist-info' and 'other-1.0.dist-info')" in r.err

    os.makedirs(tmp_path / "dup")
    dup = standard() + [("foo_bar-1.0.dist-info/METADATA", "Name: evil\n", zipfile.ZIP_STORED)]
    whl = make_wheel(tmp_path / "dup" / "foo_bar-1.0-py3-none-any.whl", dup)
    r = run("debug", "wheel-metadata", str(whl))
    assert r.rc == 1
    assert b"member 'foo_bar-1.0.dist-info/METADATA' appears twice (central directory entries 2 and 5)" in r.err

    junk = tmp_path / "junk-1.0-py3-none-any.whl"
    junk.write_bytes(b"not a zip at all" * 10)
    r = run("debug", "wheel-metadata", str(junk))
    assert r.rc == 1
    assert b"junk-1.0-py3-none-any.whl: no end of central directory record" in r.err

    # Trailing bytes after the end record (zipfile would still read it).
    os.makedirs(tmp_path / "trail")
    whl = make_wheel(tmp_path / "trail" / "foo_bar-1.0-py3-none-any.whl", standard())
    with open(whl, "ab") as f:
        f.write(b"trailer")
    r = run("debug", "wheel-metadata", str(whl))
    assert r.rc == 1
    assert b"declares a 0-byte comment but 7 bytes follow it" in r.err


def test_usage(run, tmp_path):
    assert run("debug", "wheel-metadata").rc == 2
    r = run("debug", "wheel-metadata", "--bogus", "x.whl")
    assert r.rc == 2 and b"unknown option '--bogus'" in r.err
    r = run("debug", "wheel-metadata", "--tail", "0", "x.whl")
    assert r.rc == 2
    r = run("debug", "wheel-metadata", str(tmp_path / "missing.whl"))
    assert r.rc == 1 and b"cannot open" in r.err


def test_real_dist_info(run, tmp_path, shared_dir):
    if shared_dir is None:
        pytest.skip("../shared is absent")
    root = os.path.join(shared_dir, "data", "real-dists")
    count = 0
    for whl_name in sorted(os.listdir(root)):
        if not whl_name.endswith(".whl"):
            continue
        src = os.path.join(root, whl_name)
        (dist_info,) = [d for d in os.listdir(src) if d.endswith(".dist-info")]
        members = [("pkg/__init__.py", "", zipfile.ZIP_DEFLATED)]
        for fn in sorted(os.listdir(os.path.join(src, dist_info))):
            with open(os.path.join(src, dist_info, fn), "rb") as f:
                members.append((f"{dist_info}/{fn}", f.read(), zipfile.ZIP_DEFLATED))
        out_dir = tmp_path / str(count)
        os.makedirs(out_dir)
        whl = make_wheel(out_dir / whl_name, members)
        r = run("debug", "wheel-metadata", str(whl))
        assert r.rc == 0, r.err
        with open(os.path.join(src, dist_info, "METADATA"), "rb") as f:
            assert r.out == f.read()
        assert r.out.startswith(b"Metadata-Version: ")
        count += 1
    assert count >= 14
