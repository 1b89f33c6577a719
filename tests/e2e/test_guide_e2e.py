"""`create --guide` end to end, as a fresh agent would use it (issues 5 and 10 acceptance).

The installed script runs as a subprocess, and every command the guide hands out is run
through a real shell (`bash -c`) exactly as printed. Since 0.1.70 the signup command holds
no placeholder (ours fills a real agent name and runtime), and the ready command saves the
file in the working directory. The only edits left are the payment placeholders the guide
itself lists in ``next_command_missing_inputs`` (KEY, QUOTE_ID, PAYMENT_ATTEMPT_ID).

The printed signup is the anonymous one of 0.1.38 (no inbox to invent); tests that start
signed up use the 0.1.30 form with ``--agent-contact``, which is still accepted.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest

from e2etools import free_port, run
from statetools import file_tree, row_counts

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PLACEHOLDERS: dict[str, str] = {}
#: The 0.1.30 signup form, still accepted in 0.1.70 (§1.1), for tests that start signed up.
CONTACT_SIGNUP = [
    "signup",
    "--agent",
    "--agent-contact",
    "agent@example.com",
    "--agent-name",
    "guide-e2e",
    "--runtime",
    "pytest",
]


def sh(command: str, env: dict[str, str], cwd: Path) -> tuple[int, dict[str, Any]]:
    """Run one suggested command through a real shell; return (exit code, envelope)."""
    proc = subprocess.run(
        ["bash", "-c", command], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )
    try:
        envelope = json.loads(proc.stdout)
    except ValueError:
        message = f"{command!r} printed no envelope: {proc.stdout}{proc.stderr}"
        raise AssertionError(message) from None
    return proc.returncode, envelope


def fill(command: str, **values: str) -> str:
    for name, value in {**PLACEHOLDERS, **values}.items():
        command = command.replace(name, value)
    return command


def first_asset_url(data: Any) -> str | None:
    """The first owned asset URL in a create/jobs envelope's data."""
    if isinstance(data, dict):
        assets = data.get("assets")
        if isinstance(assets, list):
            for asset in assets:
                if isinstance(asset, dict) and isinstance(asset.get("url"), str):
                    return str(asset["url"])
        for value in data.values():
            found = first_asset_url(value)
            if found:
                return found
    elif isinstance(data, list):
        for value in data:
            found = first_asset_url(value)
            if found:
                return found
    return None


def guide_data(proc_or_env: Any) -> dict[str, Any]:
    envelope = proc_or_env if isinstance(proc_or_env, dict) else proc_or_env.json
    assert envelope["ok"] is True and envelope["command"] == "image-skill create --guide"
    data = envelope["data"]
    assert isinstance(data, dict)
    return data


def follow_to_an_image(data: dict[str, Any], env: dict[str, str], work: Path) -> tuple[Path, int]:
    """Act on the guide like an agent, running every command exactly as printed: at most 4
    commands to an image file in the working directory."""
    commands = 0
    for _ in range(4):
        stage = data["stage"]
        assert data["next_command_copy_runnable"] is True, data["next_command_missing_inputs"]
        if stage == "auth_required":
            code, signup = sh(data["next_command"], env, work)
            commands += 1
            assert code == 0 and signup["ok"], signup
            # Signup's own next step reruns the guide with its prompt, as after_next does.
            assert signup["data"]["auth_handoff"]["next_step"] == data["after_next"]
            code, envelope = sh(data["after_next"], env, work)
            commands += 1
            assert code == 0
            data = guide_data(envelope)
        elif stage == "ready_to_create":
            before = set(work.iterdir())
            code, created = sh(data["next_command"], env, work)
            commands += 1
            assert code == 0 and created["ok"], created
            new = sorted(set(work.iterdir()) - before)
            assert [Path(d["output_path"]) for d in created["data"]["downloads"]] == new
            return new[0], commands
        else:
            raise AssertionError(f"unexpected stage {stage}: {data['blocker']}")
    raise AssertionError("no image after four commands")


def spend_down(env: dict[str, str], work: Path) -> None:
    """Use up the free allowance with direct creates (not part of the guided count)."""
    for index in range(10):
        quota = run("usage", "quota", env=env).json["data"]
        if quota["limits"]["remaining_credits"] < 9:
            return
        proc = run("create", "--model", "local.image", "--prompt", f"filler {index}", env=env)
        assert proc.exit_code == 0, proc.stdout
    raise AssertionError("the free allowance never ran out")


def empty_machine(e2e_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """No config path set, a fresh HOME: the config goes to its default place."""
    env = {k: v for k, v in e2e_env.items() if k != "IMAGE_SKILL_CONFIG_PATH"}
    env.pop("XDG_CONFIG_HOME", None)
    Path(env["HOME"]).mkdir(parents=True, exist_ok=True)
    return env


@pytest.mark.parametrize("backend", ["in-process", "served"])
def test_every_next_command_runs_as_printed_to_an_image(e2e_env, tmp_path, request, backend):
    env = empty_machine(e2e_env, tmp_path)
    base = "local" if backend == "in-process" else request.getfixturevalue("served")
    work = tmp_path / "work"
    work.mkdir()
    first = run(
        "create", "--guide", "--prompt", "a paper boat", "--api-base-url", base, env=env, cwd=work
    )
    assert first.exit_code == 0 and first.stderr == ""
    data = guide_data(first)
    assert data["stage"] == "auth_required"
    # the prefix resolves to this installation's entry point (it is on PATH); the only
    # assignment is the prompt signup's next_step reruns the guide with
    assert data["next_command"].startswith(
        "IMAGE_SKILL_GUIDE_PROMPT='a paper boat' image-skill signup --agent --agent-name "
    )
    image, commands = follow_to_an_image(data, env, work)
    assert commands == 3  # signup, the guide again, the create
    assert image.parent == work and image.read_bytes().startswith(PNG_MAGIC)
    assert not (Path(env["HOME"]) / "work").exists()


def test_signed_up_agent_reaches_an_image_then_self_funds(e2e_env, served, tmp_path):
    # The agent's shell exports the server once; every printed command then runs as is.
    env = {**e2e_env, "IMAGE_SKILL_API_BASE_URL": served}
    work = tmp_path / "work"
    work.mkdir()
    assert run(*CONTACT_SIGNUP, env=env).exit_code == 0
    prompt = "a paper boat on a puddle"
    first = run("create", "--guide", "--prompt", prompt, env=env, cwd=work)
    assert first.exit_code == 0 and first.stderr == ""
    data = guide_data(first)
    assert data["stage"] == "ready_to_create"
    assert data["checks"]["hosted_api"]["api_base_url"] == served
    # the set config path is carried (§0.1), before our entry point on PATH
    carried = f"IMAGE_SKILL_CONFIG_PATH={shlex.quote(env['IMAGE_SKILL_CONFIG_PATH'])} "
    assert data["next_command"].startswith(carried + "image-skill create ")

    image, commands = follow_to_an_image(data, env, work)
    assert commands == 1
    assert image.read_bytes().startswith(PNG_MAGIC)

    # --- the free allowance runs out: quota_required, then the self-fund path -------------
    spend_down(env, work)
    data = guide_data(run("create", "--guide", "--prompt", prompt, env=env))
    assert data["stage"] == "quota_required"
    quota = data["checks"]["quota"]
    assert quota["remaining_credits"] < quota["required_credits"] == 9
    assert data["checks"]["payments"]["preferred_method"] == "stripe_x402.exact.usdc"
    assert data["self_fund_next_command"] == data["next_command"]
    handoff = data["self_fund_handoff"]
    assert handoff["preferred_method"] == "stripe_x402.exact.usdc"
    commands = handoff["payment_commands"]

    # the local rail's quote has no KEY placeholder (the CLI makes the key): as printed
    assert data["next_command_copy_runnable"] is True
    assert data["next_command_missing_inputs"] == []
    code, quote = sh(data["next_command"], env, work)
    assert code == 0 and quote["ok"], quote
    assert quote["data"]["live_money"] is False
    buy = fill(commands["buy"], QUOTE_ID=quote["data"]["quote_id"], KEY="buy-e2e-1")
    code, bought = sh(buy, env, work)
    assert code == 0 and bought["ok"], bought
    attempt = bought["data"]["payment_attempt_id"]
    code, settled = sh(fill(commands["local_settle"], PAYMENT_ATTEMPT_ID=attempt), env, work)
    assert code == 0 and settled["ok"], settled
    code, status = sh(fill(commands["status"], PAYMENT_ATTEMPT_ID=attempt), env, work)
    assert code == 0 and status["ok"], status

    code, envelope = sh(data["after_next"], env, work)
    assert code == 0
    again = guide_data(envelope)
    assert again["stage"] == "ready_to_create", again["blocker"]
    assert again["checks"]["quota"]["remaining_credits"] >= 500


def test_hostile_prompt_stays_inert_in_a_shell(e2e_env, served, tmp_path):
    # This agent passes the server as an explicit flag: the commands must carry it.
    env = e2e_env
    work = tmp_path / "work"
    work.mkdir()
    assert run(*CONTACT_SIGNUP, "--api-base-url", served, env=env).exit_code == 0
    prompt = "a cat $(touch pwned) and `touch pwned` ; touch pwned"
    proc = run("create", "--guide", "--prompt", prompt, "--api-base-url", served, env=env, cwd=work)
    data = guide_data(proc)
    assert data["stage"] == "ready_to_create"
    command = data["next_command"]
    assert "$(touch pwned)" in command and "`touch pwned`" in command
    words = shlex.split(command)
    assert words[words.index("--prompt") + 1] == prompt
    assert words[words.index("--api-base-url") + 1] == served
    code, dry = sh(data["no_spend_next_command"], env, work)
    assert code == 0 and dry["ok"], dry
    code, created = sh(command, env, work)
    assert code == 0 and created["ok"], created
    assert first_asset_url(created["data"]).startswith(served)
    assert not (work / "pwned").exists()
    assert not list(tmp_path.rglob("pwned"))


def test_guide_changes_nothing_in_the_backend_or_on_disk(e2e_env, served, tmp_path):
    env = e2e_env
    base = ["--api-base-url", served]
    # The backend creates its database lazily: a token check is the first use here.
    assert run("whoami", "--token", "isk_r_unknown", *base, env=env).exit_code == 3
    databases = [
        p for p in Path(env["IMAGE_SKILL_LOCAL_DIR"]).rglob("*") if p.suffix in (".sqlite3", ".db")
    ]
    assert databases, "the served backend has no database file"
    work = tmp_path / "work"
    work.mkdir()

    def snapshot() -> tuple[list[dict[str, int]], dict[str, Any]]:
        return [row_counts(db) for db in databases], file_tree(
            tmp_path, (".sqlite3", ".db", ".sqlite")
        )

    def guides() -> None:
        for args in (["--prompt", "a cat"], [], ["a video clip of rain"], ["--model", "nope"]):
            proc = run("create", "--guide", *args, *base, env=env, cwd=work)
            assert proc.exit_code == 0 and proc.json["ok"], proc.stdout

    before = snapshot()
    guides()  # no token: auth_required, with the config probe
    assert snapshot() == before
    assert not Path(env["IMAGE_SKILL_CONFIG_PATH"]).parent.exists()
    assert run(*CONTACT_SIGNUP, *base, env=env).exit_code == 0
    before = snapshot()
    guides()  # with a token: ready_to_create / no_executable_model
    assert snapshot() == before


def test_read_only_config_dir_gets_a_working_fallback(e2e_env, served, tmp_path):
    env = {**e2e_env, "IMAGE_SKILL_API_BASE_URL": served}
    blocked = tmp_path / "blocked"
    blocked.write_text("a regular file where the config directory should be\n")
    env["IMAGE_SKILL_CONFIG_PATH"] = str(blocked / "config.json")
    work = tmp_path / "work"
    work.mkdir()
    data = guide_data(run("create", "--guide", "--prompt", "a kite", env=env, cwd=work))
    assert data["stage"] == "auth_required"
    assert data["checks"]["auth"]["config_write"]["writable"] is False
    command = data["next_command"]
    assert command.startswith('IMAGE_SKILL_CONFIG_PATH="$PWD/.image-skill/config.json" ')
    assert data["next_command_copy_runnable"] is True
    code, signup = sh(command, env, work)
    assert code == 0 and signup["ok"], signup
    saved = work / ".image-skill" / "config.json"
    assert json.loads(saved.read_text())["token"]
    # the rerun and the create it suggests carry the same fallback path, so both find the
    # token without the agent exporting anything
    code, envelope = sh(data["after_next"], env, work)
    assert code == 0
    ready = guide_data(envelope)
    assert ready["stage"] == "ready_to_create", ready["blocker"]
    assert ready["checks"]["auth"]["source"] == "config"
    assert ready["next_command"].startswith(
        'IMAGE_SKILL_CONFIG_PATH="$PWD/.image-skill/config.json" image-skill create '
    )
    code, created = sh(ready["no_spend_next_command"], env, work)
    assert code == 0 and created["ok"], created
    code, created = sh(ready["next_command"], env, work)
    assert code == 0 and created["ok"], created
    assert blocked.read_text().startswith("a regular file")


def test_closed_port_is_service_unreachable_with_exit_0(e2e_env, tmp_path):
    base = f"http://127.0.0.1:{free_port()}"
    proc = run("create", "--guide", "--prompt", "a cat", "--api-base-url", base, env=e2e_env)
    assert proc.exit_code == 0 and proc.stderr == ""
    data = guide_data(proc)
    assert data["stage"] == "service_unreachable"
    assert data["checks"]["hosted_api"]["reachable"] is False
    assert data["blocker"]["code"] == "service_unreachable"
    hatch = data["escape_hatches"]["doctor"]
    assert shlex.split(hatch)[-4:] == ["doctor", "--api-base-url", base, "--json"]
    code, doctor = sh(hatch, e2e_env, tmp_path)
    assert doctor["command"] == "image-skill doctor"
    assert not Path(e2e_env["IMAGE_SKILL_CONFIG_PATH"]).parent.exists()
