"""The built distributions: complete metadata, and a wheel that runs from a fresh virtualenv.

`python -m build --no-isolation` (the dev extra brings build and hatchling, so no network is
needed) makes the sdist and then the wheel *from that sdist*, which also proves the sdist is
complete. The wheel is installed non-editable into a new virtualenv with `installer`; the
third-party dependencies come from this test's own environment through a `.pth` line (a path
added that way is not a site dir, so the editable hook that points at `src/` never runs
there), and the test checks that the package which runs is the one inside the new venv.
"""

from __future__ import annotations

import email.parser
import importlib.metadata
import json
import os
import shlex
import subprocess
import sys
import sysconfig
import tarfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from image_skill._constants import GUIDE_PROMPT_ENV
from image_skill.cli.prefix import PIPX_RUN_PREFIX, UVX_PREFIX

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
VERSION = PROJECT["version"]
DIST = f"image_skill-{VERSION}"
PROMPT = "a red cube on a wooden desk"
# Variables of the host that would change which prefix is detected, or what gets imported.
HOST_ONLY = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "UV", "UV_CACHE_DIR", "PIPX_HOME")


@dataclass(frozen=True)
class Built:
    wheel: Path
    sdist: Path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=180,
        env={k: v for k, v in os.environ.items() if k not in HOST_ONLY},
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    wheels = sorted(out.glob("*.whl"))
    sdists = sorted(out.glob("*.tar.gz"))
    assert [w.name for w in wheels] == [f"{DIST}-py3-none-any.whl"]
    assert [s.name for s in sdists] == [f"{DIST}.tar.gz"]
    return Built(wheels[0], sdists[0])


def _metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read(f"{DIST}.dist-info/METADATA").decode("utf-8")
    return email.parser.Parser().parsestr(text)


def test_wheel_metadata_is_complete(built: Built) -> None:
    meta = _metadata(built.wheel)
    assert meta["Name"] == "image-skill" and meta["Version"] == VERSION
    assert meta["Summary"] == PROJECT["description"]
    assert meta["Requires-Python"] == PROJECT["requires-python"]
    assert meta["License-Expression"] == "MIT"
    assert meta.get_all("License-File") == ["LICENSE"]
    assert meta["Description-Content-Type"] == "text/markdown"
    assert meta.get_payload().strip() == (ROOT / "README.md").read_text(encoding="utf-8").strip()
    assert meta.get_all("Classifier") == PROJECT["classifiers"]
    assert "Typing :: Typed" in meta.get_all("Classifier")
    assert sorted(meta["Keywords"].split(",")) == sorted(PROJECT["keywords"])
    assert meta.get_all("Project-URL"), "at least one project URL"
    assert meta["Author"]
    extras = set(meta.get_all("Provides-Extra"))
    assert extras == set(PROJECT["optional-dependencies"]) and {"local", "dev"} <= extras
    base = {str(Requirement(r)) for r in meta.get_all("Requires-Dist") if ";" not in r}
    assert base == {str(Requirement(r)) for r in PROJECT["dependencies"]}
    local = {
        str(Requirement(r.split(";")[0]))
        for r in meta.get_all("Requires-Dist")
        if r.endswith("extra == 'local'")
    }
    assert local == {str(Requirement(r)) for r in PROJECT["optional-dependencies"]["local"]}


def test_wheel_and_sdist_contents(built: Built) -> None:
    with zipfile.ZipFile(built.wheel) as archive:
        names = set(archive.namelist())
        license_text = archive.read(f"{DIST}.dist-info/licenses/LICENSE").decode("utf-8")
        entry_points = archive.read(f"{DIST}.dist-info/entry_points.txt").decode("utf-8")
    assert license_text == (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in license_text
    assert "[console_scripts]\nimage-skill = image_skill.cli:main" in entry_points
    assert "image_skill/py.typed" in names and "image_skill/local/app.py" in names
    assert {name.split("/")[0] for name in names} == {"image_skill", f"{DIST}.dist-info"}
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in names)

    with tarfile.open(built.sdist) as archive:
        members = {m.name.removeprefix(f"{DIST}/") for m in archive.getmembers() if m.isfile()}
    for needed in ("LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml", "PKG-INFO"):
        assert needed in members
    assert "src/image_skill/py.typed" in members
    # The wheel (built from the sdist) holds every package file of the sdist, nothing else.
    package = {m.removeprefix("src/") for m in members if m.startswith("src/image_skill/")}
    assert package == {n for n in names if n.startswith("image_skill/")}
    assert not any(m.startswith((".venv/", ".git/")) or "__pycache__" in m for m in members)


def test_declared_dependencies_are_what_the_fresh_venv_gets(built: Built) -> None:
    # The fresh venv borrows this environment's packages: they must satisfy what the wheel
    # declares for `image-skill[local]`, or the runs below would prove nothing.
    for line in _metadata(built.wheel).get_all("Requires-Dist"):
        req = Requirement(line)
        if req.marker is not None and not req.marker.evaluate({"extra": "local"}):
            continue
        installed = importlib.metadata.version(req.name)
        assert req.specifier.contains(installed, prereleases=True), (req, installed)


# --- a fresh virtualenv --------------------------------------------------------------------


@dataclass(frozen=True)
class FreshVenv:
    root: Path
    python: Path
    script: Path


def _fresh_venv(built: Built, root: Path) -> FreshVenv:
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=60
    )
    python = root / "bin" / "python"
    probe = "import json, sysconfig; print(json.dumps(sysconfig.get_paths()))"
    paths = json.loads(
        subprocess.run(
            [str(python), "-c", probe], check=True, capture_output=True, text=True, timeout=30
        ).stdout
    )
    from installer import install
    from installer.destinations import SchemeDictionaryDestination
    from installer.sources import WheelFile

    scheme = {key: paths[key] for key in ("purelib", "platlib", "scripts", "data")}
    scheme["headers"] = paths["include"]
    destination = SchemeDictionaryDestination(scheme, interpreter=str(python), script_kind="posix")
    with WheelFile.open(built.wheel) as source:
        install(source, destination, {"INSTALLER": b"image-skill-tests\n"})
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(paths["purelib"]) / "_image_skill_test_deps.pth").write_text(
        "".join(f"{p}\n" for p in sorted(ours)), encoding="utf-8"
    )
    return FreshVenv(root, python, root / "bin" / "image-skill")


def _env(tmp_path: Path, path: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("IMAGE_SKILL_") and k not in HOST_ONLY
    }
    env.update(
        HOME=str(tmp_path / "home"),
        XDG_CONFIG_HOME=str(tmp_path / "home" / ".config"),
        IMAGE_SKILL_LOCAL_DIR=str(tmp_path / "local-data"),
        NO_COLOR="1",
        PATH=path,
    )
    return env


def _run(argv: list[str], env: dict[str, str], cwd: Path) -> dict[str, object]:
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=60)
    assert "Traceback" not in proc.stderr, proc.stderr
    envelope = json.loads(proc.stdout)
    assert proc.returncode == 0 and envelope["ok"] is True, proc.stdout + proc.stderr
    return envelope


def _guide(venv: FreshVenv, env: dict[str, str], cwd: Path) -> dict[str, object]:
    argv = [str(venv.script), "create", "--guide", "--prompt", PROMPT]
    envelope = _run([*argv, "--api-base-url", "local", "--json"], env, cwd)
    data = envelope["data"]
    assert isinstance(data, dict) and isinstance(data["next_command"], str)
    return data


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "home").mkdir(exist_ok=True)
    work = tmp_path / "work"
    work.mkdir()
    return work


def test_the_wheel_runs_from_a_fresh_venv(built: Built, tmp_path: Path, workdir: Path) -> None:
    venv = _fresh_venv(built, tmp_path / "fresh")
    # Its own image_skill runs, not the checkout's src/.
    where = subprocess.run(
        [str(venv.python), "-c", "import image_skill; print(image_skill.__file__)"],
        env=_env(tmp_path, "/usr/bin:/bin"),
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.strip()
    assert Path(where).is_relative_to(venv.root), where
    assert not Path(where).is_relative_to(ROOT / "src"), where
    assert venv.script.read_text(encoding="utf-8").startswith(f"#!{venv.python}\n")

    # Its script is not on PATH: the guide names the venv's interpreter.
    env = _env(tmp_path, "/usr/bin:/bin")
    version = _run([str(venv.script), "version"], env, workdir)
    assert version["data"]["version"] == VERSION  # type: ignore[index]
    data = _guide(venv, env, workdir)
    assert data["stage"] == "auth_required"
    # The guide's signup hands its prompt on in one assignment, then the program words.
    words = shlex.split(str(data["next_command"]))
    assert words[0] == f"{GUIDE_PROMPT_ENV}={PROMPT}"
    words = words[1:]
    assert words[:3] == [str(venv.python), "-m", "image_skill"]
    assert words[3] == "signup" and "local" in words

    # That prefix, pasted into a shell, runs this installation.
    pasted = subprocess.run(
        ["/bin/sh", "-c", shlex.join(words[:3]) + " version"],
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert pasted.returncode == 0, pasted.stdout + pasted.stderr
    assert json.loads(pasted.stdout)["data"]["version"] == VERSION

    # With the venv's scripts on PATH the plain program name is enough (an argument error's
    # recovery command is rendered by the same code as the guide's, without a backend).
    on_path = _env(tmp_path, f"{venv.root / 'bin'}:/usr/bin:/bin")
    refused = subprocess.run(
        [str(venv.script), "signup", "--agent", "--api-base-url", "local", "--json"],
        env=on_path,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2, refused.stdout + refused.stderr
    error = json.loads(refused.stdout)["error"]
    assert error["code"] == "INVALID_ARGUMENTS"
    assert shlex.split(error["recovery"]["suggested_command"])[:2] == ["image-skill", "signup"]


@pytest.mark.parametrize(
    ("layout", "prefix"),
    [
        # Where `uvx` and `pipx run` keep their throw-away environments (under HOME here).
        ("home/.cache/uv/archive-v0/Xy12ab34cd56ef78", UVX_PREFIX),
        ("home/.local/share/pipx/.cache/0123456789abcde", PIPX_RUN_PREFIX),
    ],
)
def test_runner_environments_suggest_the_runner(
    built: Built, tmp_path: Path, workdir: Path, layout: str, prefix: tuple[str, ...]
) -> None:
    venv = _fresh_venv(built, tmp_path / layout)
    # The runner puts the environment's scripts on PATH for the process it starts; the
    # user's shell has no `image-skill`, so the guide must hand back the runner's words.
    env = _env(tmp_path, f"{venv.root / 'bin'}:/usr/bin:/bin")
    data = _guide(venv, env, workdir)
    assignment = f"{GUIDE_PROMPT_ENV}={shlex.quote(PROMPT)} "  # the guide's prompt, for signup
    command = str(data["next_command"])
    assert command.startswith(assignment + shlex.join(prefix) + " ")
    command = command[len(assignment) :]
    assert shlex.split(command)[: len(prefix)] == list(prefix)
    assert str(venv.root) not in command
