"""Issue 8, point 10: the config folder is private (0700), a token given with --token gets
a one-time notice on stderr, and nothing token-shaped is stored in a breadcrumb or printed
back (doctor, error messages)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from clitools import SIGNUP, free_port, invoke

LOCAL = ("--api-base-url", "local")
#: A token of the local backend's shape (isk_r_ + 43 URL-safe characters).
PASTED = "isk_r_" + "Zq7" * 14 + "x"
NOTICE_KEY = "token_on_command_line"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def token_notices(stderr: str) -> list[dict[str, object]]:
    found = []
    for line in stderr.splitlines():
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict) and NOTICE_KEY in value:
            found.append(value[NOTICE_KEY])
    return found


# -- the config folder ------------------------------------------------------------------------


def test_a_new_config_folder_and_its_missing_parents_are_0700(isolated_env: Path) -> None:
    home = isolated_env
    assert invoke(*SIGNUP, *LOCAL).exit_code == 0
    config = home / ".config" / "image-skill" / "config.json"
    assert config.exists() and mode(config) == 0o600
    assert mode(config.parent) == 0o700
    assert mode(home / ".config") == 0o700


def test_a_first_breadcrumb_creates_private_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "fresh" / "cfg" / "config.json"
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(config))
    monkeypatch.setenv("IMAGE_SKILL_TOKEN", "isk_r_env-token-for-a-dead-server")
    dead = f"http://127.0.0.1:{free_port()}"
    res = invoke("create", "--prompt", "a cube", "--api-base-url", dead, "--idempotency-key", "k1")
    assert res.exit_code != 0
    crumb = config.parent / "in-flight" / "k1.json"
    assert crumb.exists()
    assert mode(crumb.parent) == 0o700
    assert mode(config.parent) == 0o700
    assert mode(config.parent.parent) == 0o700


def test_an_existing_config_folder_holding_only_our_files_is_tightened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "old"
    folder.mkdir()
    os.chmod(folder, 0o755)  # as an older version left it
    (folder / "config.json").write_text("{}\n")
    (folder / "in-flight").mkdir()
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(folder / "config.json"))
    assert invoke(*SIGNUP, *LOCAL).exit_code == 0
    assert mode(folder) == 0o700


def test_a_folder_that_holds_other_files_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    os.chmod(project, 0o755)
    (project / "README.md").write_text("mine\n")
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(project / "config.json"))
    assert invoke(*SIGNUP, *LOCAL).exit_code == 0
    assert (project / "config.json").exists()
    assert mode(project) == 0o755


# -- the --token notice ---------------------------------------------------------------------


def test_a_token_on_the_command_line_gets_one_notice_on_stderr() -> None:
    res = invoke("--token", PASTED, "whoami", *LOCAL, "--token", PASTED)
    notices = token_notices(res.stderr)
    assert len(notices) == 1
    assert notices[0]["flag"] == "--token" and notices[0]["use_instead"] == "--token-stdin"
    assert "--token-stdin" in str(notices[0]["message"])
    # One JSON line, nothing else about it on stderr; stdout still holds one envelope.
    line = next(line for line in res.stderr.splitlines() if NOTICE_KEY in line)
    assert json.loads(line) == {NOTICE_KEY: notices[0]}
    assert json.loads(res.stdout)["command"] == "image-skill whoami"
    assert PASTED not in res.stderr


def test_no_notice_for_token_stdin_env_or_config(monkeypatch: pytest.MonkeyPatch) -> None:
    assert invoke(*SIGNUP, *LOCAL).exit_code == 0
    assert token_notices(invoke("whoami", *LOCAL).stderr) == []  # saved config
    assert token_notices(invoke("whoami", "--token-stdin", *LOCAL, input=PASTED).stderr) == []
    monkeypatch.setenv("IMAGE_SKILL_TOKEN", PASTED)
    assert token_notices(invoke("whoami", *LOCAL).stderr) == []


# -- redaction ----------------------------------------------------------------------------


def test_a_token_pasted_into_a_prompt_is_not_stored_in_the_breadcrumb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "cfg" / "config.json"
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(config))
    monkeypatch.setenv("IMAGE_SKILL_TOKEN", "isk_r_the-agents-own-token-0001")
    dead = f"http://127.0.0.1:{free_port()}"
    prompt = f"a poster that reads {PASTED} in big letters"
    res = invoke("create", "--prompt", prompt, "--api-base-url", dead, "--idempotency-key", "p1")
    crumb = config.parent / "in-flight" / "p1.json"
    text = crumb.read_text()
    assert PASTED not in text
    record = json.loads(text)
    assert record["redacted"] is True
    assert "[REDACTED]" in " ".join(record["argv"])
    assert PASTED not in res.stdout and PASTED not in res.stderr
    assert any("[REDACTED]" in w for w in res.json["warnings"])

    doctor = invoke("doctor", *LOCAL)
    assert PASTED not in doctor.stdout
    listed = doctor.data["in_flight"]["entries"]
    assert [item["idempotency_key"] for item in listed] == ["p1"]
    assert "[REDACTED]" in listed[0]["recover_command"]


def test_doctor_does_not_echo_a_token_from_an_older_breadcrumb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "cfg" / "config.json"
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(config))
    folder = config.parent / "in-flight"
    folder.mkdir(parents=True)
    # As written before redaction existed: the prompt verbatim in the recovery command.
    (folder / "old-1.json").write_text(
        json.dumps(
            {
                "schema": "image-skill.in-flight.v1",
                "idempotency_key": "old-1",
                "command": "image-skill create",
                "api_base_url": "local",
                "started_at": "2025-01-01T00:00:00.000Z",
                "pid": 1,
                "recovery_command": f"image-skill create --prompt 'logo {PASTED}' "
                "--idempotency-key old-1 --json",
                "request": {"endpoint": "/v1/create"},
            }
        )
    )
    doctor = invoke("doctor", *LOCAL)
    assert doctor.exit_code == 0, doctor.stdout
    assert PASTED not in doctor.stdout
    (item,) = doctor.data["in_flight"]["entries"]
    assert item["recover_command"].startswith("image-skill create --prompt 'logo [REDACTED]'")


def test_error_messages_do_not_echo_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    # A token pasted where a command word goes is echoed by the unknown-command message.
    res = invoke(PASTED, *LOCAL)
    assert res.code == "PUBLIC_CLI_COMMAND_NOT_AVAILABLE"
    assert PASTED not in res.stdout and "[REDACTED]" in res.json["error"]["message"]
    # A token of another shape is redacted too when this run knows it (here: the env).
    hosted = "hosted-format-secret-7f3a9c2e11"
    monkeypatch.setenv("IMAGE_SKILL_TOKEN", hosted)
    res = invoke(hosted, *LOCAL)
    assert hosted not in res.stdout


def test_signup_show_token_still_hands_the_token_over() -> None:
    res = invoke(*SIGNUP, *LOCAL, "--show-token", "--no-save")
    assert res.exit_code == 0, res.stdout
    token = res.data["token"]
    assert isinstance(token, str) and token.startswith("isk_r_") and len(token) > 20
    assert res.data["token_presented"] is True
    assert not any("[REDACTED]" in w for w in res.json["warnings"])
