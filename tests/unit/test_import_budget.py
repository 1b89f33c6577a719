"""Import budget of one CLI call: what each kind of command may load (a structural check).

Every call is a fresh interpreter an agent pays for, so:

* ``version`` and ``--help`` load none of httpx, pydantic or rich, none of the command
  modules (their output needs no command's code), and not even click: the fast path
  (:mod:`image_skill.cli.fast`) answers them;
* API commands (``whoami``, ``usage quota``, ``models list``, ``create --dry-run``,
  ``create --guide``) load no rich (only ``--human`` output needs it), not
  ``httpx._main``, httpx's own command-line tool, and not ``trio``, which httpcore imports
  for async code whenever it is installed.

Each case runs ``image_skill.cli.main`` in a subprocess and reads ``sys.modules`` at the end;
the API commands talk to a real local backend on a loopback port.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from image_skill.local.server import serve_in_thread
from image_skill.local.settings import LocalSettings

PROBE = """
import json, os, sys
from image_skill.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
with open(os.environ["IMPORT_BUDGET_REPORT"], "w") as handle:
    loaded = sorted(name for name, module in sys.modules.items() if module is not None)
    json.dump({"code": code, "modules": loaded}, handle)
"""
HEAVY = ("httpx", "pydantic", "rich")
#: The modules that define the CLI's commands (``image_skill.cli.<name>``).
COMMAND_MODULES = (
    "doctor",
    "trust",
    "signup",
    "auth",
    "usage",
    "credits",
    "models",
    "capabilities",
    "create",
    "upload",
    "edit",
    "assets",
    "jobs",
    "activity",
    "feedback",
    "local",
)
PROMPT = "a lighthouse at dusk"
API_COMMANDS = [
    ["whoami"],
    ["usage", "quota"],
    ["models", "list"],
    ["create", "--dry-run", "--prompt", PROMPT],
    ["create", "--guide", "--prompt", PROMPT],
]


def _loaded(argv: list[str], tmp_path: Path, env: dict[str, str] | None = None) -> set[str]:
    report = tmp_path / f"modules-{len(list(tmp_path.iterdir()))}.json"
    child_env = {**os.environ, **(env or {}), "IMPORT_BUDGET_REPORT": str(report)}
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env=child_env,
        check=False,
    )
    assert report.exists(), proc.stderr[-2000:]
    result = json.loads(report.read_text())
    assert result["code"] == 0, proc.stdout[-2000:]
    return set(result["modules"])


def _packages(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(m == n or m.startswith(n + ".") for m in modules))


@pytest.mark.parametrize("argv", [["version"], ["--help"]])
def test_version_and_help_load_no_heavy_package_and_no_command_module(
    argv: list[str], tmp_path: Path
) -> None:
    modules = _loaded(argv, tmp_path)
    assert _packages(modules, HEAVY) == []
    commands = sorted(n for n in COMMAND_MODULES if f"image_skill.cli.{n}" in modules)
    assert commands == [], f"{' '.join(argv)} loaded command modules it does not run"
    # The fast path (image_skill.cli.fast) answers both without the command tree: no click,
    # and no dataclasses (which imports inspect, ~5 ms).
    assert _packages(modules, ("click", "dataclasses", "inspect")) == []


def test_version_loads_not_even_typing(tmp_path: Path) -> None:
    """``version`` is constants and a trace id: nothing but the signal policy, the envelope
    and the JSON writer (typing alone would add ~3 ms to a ~25 ms call)."""
    modules = _loaded(["version"], tmp_path)
    assert _packages(modules, ("typing", "secrets", "pathlib", "image_skill.config")) == []


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A served local backend and a token on it, as environment variables for the CLI."""
    settings = LocalSettings(data_dir=tmp_path_factory.mktemp("budget-data"))
    with serve_in_thread(settings) as (base, _stop):
        body = {"agent_contact": "budget@example.com", "agent_name": "budget", "runtime": "t"}
        reply = httpx.post(base + "/v1/agent-signups", json={**body, "return_token": True})
        token = reply.json()["data"]["token"]
        yield {"IMAGE_SKILL_API_BASE_URL": base, "IMAGE_SKILL_TOKEN": token}


@pytest.mark.parametrize("argv", API_COMMANDS, ids=" ".join)
def test_api_commands_load_no_rich_and_not_httpx_own_cli(
    argv: list[str], backend: dict[str, str], tmp_path: Path
) -> None:
    modules = _loaded(argv, tmp_path, backend)
    assert "httpx" in modules  # it did talk HTTP
    assert _packages(modules, ("rich",)) == []
    assert "httpx._main" not in modules
    assert _packages(modules, ("trio",)) == []


def test_in_process_backend_loads_no_server_and_no_rich(tmp_path: Path) -> None:
    """``--api-base-url local`` runs the backend in this process: no uvicorn (the HTTP
    server, with its logging configuration and process supervisors), no rich."""
    env = {"IMAGE_SKILL_LOCAL_DIR": str(tmp_path / "data")}
    modules = _loaded(["capabilities", "list", "--api-base-url", "local"], tmp_path, env)
    assert "image_skill.local.app" in modules  # it did run the backend in-process
    assert _packages(modules, ("uvicorn", "rich", "trio")) == []
    assert "httpx._main" not in modules


def test_local_extra_check_finds_modules_without_importing_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from image_skill import local

    monkeypatch.setattr(local, "EXTRA_MODULES", ("json", "image_skill_no_such_module"))
    with pytest.raises(ImportError) as caught:
        local.require_extra()
    assert getattr(caught.value, "name", None) == "image_skill_no_such_module"
    probe = "import sys; from image_skill.local import require_extra; require_extra(); "
    probe += "print(sorted({'fastapi', 'uvicorn', 'PIL'} & set(sys.modules)))"
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_the_in_process_guide_and_listings_load_no_web_framework(tmp_path: Path) -> None:
    """The README's main job (``create --guide --api-base-url local``) and ``models list``
    are answered by the in-process fast path: no FastAPI, Starlette or pydantic."""
    env = {"IMAGE_SKILL_LOCAL_DIR": str(tmp_path / "data")}
    for argv in (
        ["create", "--guide", "--prompt", PROMPT, "--api-base-url", "local"],
        ["models", "list", "--api-base-url", "local"],
    ):
        modules = _loaded(argv, tmp_path, env)
        assert "image_skill.local.direct" in modules
        assert _packages(modules, ("fastapi", "starlette", "pydantic", "uvicorn")) == [], argv


def test_an_in_process_create_that_saves_its_image_loads_no_web_framework(tmp_path: Path) -> None:
    """The guide's next steps, ``signup ... --api-base-url local`` and ``create ... --output
    DIR --api-base-url local``: the signup, the create and the download of its media all
    take the fast path."""
    env = {
        "IMAGE_SKILL_LOCAL_DIR": str(tmp_path / "data"),
        "IMAGE_SKILL_CONFIG_PATH": str(tmp_path / "cfg" / "config.json"),
    }
    signup = ["signup", "--agent", "--agent-name", "budget", "--runtime", "t"]
    modules = _loaded([*signup, "--api-base-url", "local"], tmp_path, env)
    assert "image_skill.local.direct" in modules
    assert _packages(modules, ("fastapi", "starlette", "uvicorn")) == []
    out = tmp_path / "out"
    out.mkdir()
    argv = ["create", "--prompt", PROMPT, "--output", str(out), "--api-base-url", "local"]
    modules = _loaded(argv, tmp_path, env)
    assert [p.suffix for p in out.iterdir()] == [".png"]
    assert _packages(modules, ("fastapi", "starlette", "uvicorn")) == []
    # Uploading that image (what an edit of a local file does first) takes it too.
    saved = next(out.iterdir())
    modules = _loaded(["upload", str(saved), "--api-base-url", "local"], tmp_path, env)
    assert _packages(modules, ("fastapi", "starlette", "uvicorn")) == []
