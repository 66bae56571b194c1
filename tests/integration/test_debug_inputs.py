"""`deeplock debug reqfile` and `deeplock debug project`: the inputs of a lock, read from disk."""
import os


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def test_reqfile_includes_env_and_via(run, tmp_path):
    top = tmp_path / "requirements.txt"
    write(str(top), "# header\n"
                    "-i https://${IDX_HOST}/simple\n"
                    "click==8.1.7 --hash=sha256:" + "a" * 64 + "\n"
                    "    # via\n"
                    "    #   black\n"
                    "-r sub/base.txt\n"
                    "pkg==${PKG_VER}\n")
    write(str(tmp_path / "sub" / "base.txt"), "six\n-c ../constraints.txt\n")
    write(str(tmp_path / "constraints.txt"), "idna<3\n")
    env = dict(os.environ, IDX_HOST="example.org", PKG_VER="2.5")
    r = run("debug", "reqfile", str(top), env=env)
    assert r.rc == 0, r.err.decode()
    out = r.json()
    assert out["files"] == [str(top), str(tmp_path / "sub" / "base.txt"), str(tmp_path / "constraints.txt")]
    assert [(e["name"], e["kind"], e["line"]) for e in out["entries"]] == [
        ("click", "requirement", 3), ("six", "requirement", 1), ("idna", "constraint", 1), ("pkg", "requirement", 7)]
    click = out["entries"][0]
    assert click["requirement"] == "click==8.1.7"
    assert click["hashes"] == ["sha256:" + "a" * 64]
    assert click["via"] == ["black"]
    assert out["entries"][3]["requirement"] == "pkg==2.5"
    assert out["options"] == [{"option": "index-url", "value": "https://example.org/simple", "file": str(top),
                               "line": 2, "column": 1}]
    assert out["warnings"] == []


def test_reqfile_forms(run, tmp_path):
    top = tmp_path / "r.txt"
    write(str(top), "-e git+https://g.org/r.git#egg=repo&subdirectory=sub\n"
                    "./local[x]\n"
                    "https://x.org/p-1.0-py3-none-any.whl ; python_version < '3'\n"
                    "foo --global-option=--no-ext\n")
    r = run("debug", "reqfile", str(top))
    assert r.rc == 0, r.err.decode()
    e = r.json()["entries"]
    assert (e[0]["kind"], e[0]["form"], e[0]["name"], e[0]["subdirectory"]) == ("editable", "url", "repo", "sub")
    assert (e[1]["form"], e[1]["location"], e[1]["name"], e[1]["extras"]) == ("path", "./local", None, ["x"])
    assert e[2]["requirement"] == 'p==1.0; python_version < "3"'
    assert e[3]["global_options"] == ["--no-ext"]
    assert r.json()["warnings"][0].startswith(str(top) + ":4:5: --global-option is deprecated")


def test_reqfile_errors(run, tmp_path):
    top = tmp_path / "r.txt"
    write(str(top), "ok\nfoo --bogus\n")
    r = run("debug", "reqfile", str(top))
    assert r.rc == 1
    assert r.out == b""
    assert r.err.decode() == "deeplock: error: reading requirements: %s:2:5: no such option: --bogus\n" % top

    write(str(tmp_path / "a.txt"), "-r b.txt\n")
    write(str(tmp_path / "b.txt"), "x\n-r a.txt\n")
    r = run("debug", "reqfile", str(tmp_path / "a.txt"))
    assert r.rc == 1
    b = str(tmp_path / "b.txt")
    a = str(tmp_path / "a.txt")
    assert r.err.decode().startswith("deeplock: error: reading requirements: %s:2:4: include cycle: %s -> %s -> %s\n"
                            % (b, a, b, a))

    r = run("debug", "reqfile", str(tmp_path / "missing.txt"))
    assert r.rc == 1
    assert "missing.txt" in r.err.decode()
    r = run("debug", "reqfile")
    assert r.rc == 2
    r = run("debug", "reqfile", "--help")
    assert r.rc == 0 and r.out.decode().startswith("Usage: deeplock debug reqfile FILE")


def test_project_pyproject(run, tmp_path):
    write(str(tmp_path / "pyproject.toml"),
          "[build-system]\nrequires = ['flit_core>=3.4']\nbuild-backend = 'flit_core.buildapi'\n"
          "[project]\nname = 'demo'\nversion = '0.1'\ndependencies = ['attrs>=22']\n"
          "[project.optional-dependencies]\nTest = ['pytest']\n"
          "[dependency-groups]\ndev = ['ruff', {include-group = 'test'}]\ntest = ['coverage']\n")
    for path in (str(tmp_path), str(tmp_path / "pyproject.toml")):
        r = run("debug", "project", path)
        assert r.rc == 0, r.err.decode()
        out = r.json()
        assert out["name"]["value"] == "demo"
        assert out["name"]["line"] == 5 and out["name"]["column"] == 8
        assert [i["requirement"] for i in out["runtime"]["items"]] == ["attrs>=22"]
        assert out["extras"][0]["name"] == "test" and out["extras"][0]["written"] == "Test"
        dev = out["groups"][0]
        assert dev["includes"] == ["test"]
        assert [(i["requirement"], i.get("from_group")) for i in dev["items"]] == [("ruff", None), ("coverage", "test")]
        assert [i["requirement"] for i in out["build_requires"]["items"]] == ["flit_core>=3.4"]
        assert out["build_backend"]["value"] == "flit_core.buildapi"
        assert out["setuptools_backend"] is False
        assert out["unknowable"] == []


def test_project_setuptools_fallback(run, tmp_path):
    write(str(tmp_path / "setup.py"), "from setuptools import setup\n"
                                      "setup(name='legacy', version='1', install_requires=open('r.txt').read())\n")
    r = run("debug", "project", str(tmp_path))
    assert r.rc == 0, r.err.decode()
    out = r.json()
    assert out["build_backend"] == {"value": "setuptools.build_meta:__legacy__", "source": "pep517-fallback"}
    assert [i["requirement"] for i in out["build_requires"]["items"]] == ["setuptools>=40.8.0"]
    assert out["name"]["value"] == "legacy"
    assert out["runtime"]["items"] == []
    assert out["runtime"]["dynamic"] == "install_requires is computed by a call to open() at line 2"
    assert len(out["unknowable"]) == 1 and out["unknowable"][0].startswith("dependencies: ")


def test_project_requirements_file(run, tmp_path):
    write(str(tmp_path / "requirements.txt"), "flask>=2\n./local\n-c c.txt\n")
    write(str(tmp_path / "c.txt"), "werkzeug<3\n")
    r = run("debug", "project", str(tmp_path / "requirements.txt"))
    assert r.rc == 0, r.err.decode()
    out = r.json()
    assert out["runtime"]["source"] == "requirements"
    assert [i["requirement"] for i in out["runtime"]["items"]] == ["flask>=2"]
    assert [i["requirement"] for i in out["constraints"]["items"]] == ["werkzeug<3"]
    assert out["unknowable"] == ["%s:2:1: the name and dependencies of './local' are known only after building it"
                                 % (tmp_path / "requirements.txt")]


def test_project_errors(run, tmp_path):
    write(str(tmp_path / "pyproject.toml"), "[project]\nname = 'a'\nversion = '1'\n\n\n\ndependencies = 5\n")
    r = run("debug", "project", str(tmp_path))
    assert r.rc == 1
    assert r.err.decode() == ("deeplock: error: reading the project: %s:7:16: 'project.dependencies' must be an array of "
                     "strings, found integer\n" % (tmp_path / "pyproject.toml"))
    empty = tmp_path / "empty"
    empty.mkdir()
    r = run("debug", "project", str(empty))
    assert r.rc == 1
    assert "no pyproject.toml, setup.cfg or setup.py" in r.err.decode()
    r = run("debug", "project")
    assert r.rc == 2
