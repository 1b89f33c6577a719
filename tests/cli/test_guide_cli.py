"""`image-skill create --guide` in-process against the local backend (issue 5).

The pure algorithm has its own unit tests (tests/unit/test_guide_*.py); these check the
I/O side: which snapshots are gathered, what the guide reports on the real local backend,
and that it writes nothing.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from clitools import CliResult, invoke
from clitools import free_port as closed_port
from statetools import file_tree, row_counts

SIGNUP = (
    "signup",
    "--agent",
    "--agent-contact",
    "agent@example.com",
    "--agent-name",
    "guide-test",
    "--runtime",
    "pytest",
)
KEY = re.compile(r"create-guide-\d{13}-[0-9a-f]{8}")


def guide(*args: str, input: str | None = None) -> CliResult:
    return invoke("create", "--guide", *args, input=input)


@pytest.fixture
def cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh agent on the in-process local backend: no config file yet."""
    path = tmp_path / "cfg" / "config.json"
    monkeypatch.setenv("IMAGE_SKILL_API_BASE_URL", "local")
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(path))
    monkeypatch.setenv("IMAGE_SKILL_COMMAND_PREFIX", "image-skill")
    return path


@pytest.fixture
def signed_up(cfg: Path) -> Path:
    res = invoke(*SIGNUP)
    assert res.exit_code == 0, res.stdout
    assert cfg.exists()
    return cfg


def ok_guide(res: CliResult) -> dict:
    assert res.exit_code == 0, res.stdout
    env = res.json
    assert list(env) == ["ok", "command", "trace_id", "actor", "data", "warnings", "error"]
    assert env["ok"] is True and env["error"] is None
    assert env["command"] == "image-skill create --guide"
    assert env["data"]["schema"] == "image-skill.create-guide.v1"
    assert env["data"]["mutation"] == dict.fromkeys(
        (
            "provider_call",
            "hosted_create",
            "hosted_signup",
            "payment_object",
            "credit_debit",
            "media_write",
        ),
        False,
    )
    return env


def test_fresh_agent_gets_signup_and_nothing_is_created(cfg: Path):
    env = ok_guide(guide("--prompt", "a lighthouse at dawn"))
    data = env["data"]
    assert env["actor"] is None
    assert data["stage"] == "auth_required" and data["ready"] is False
    assert data["checks"]["hosted_api"] == {
        "reachable": True,
        "status": "ok",
        "api_base_url": "local",
        "error_code": None,
    }
    assert data["checks"]["auth"]["source"] == "none"
    assert data["checks"]["auth"]["saved_config_path"] == str(cfg)
    assert data["checks"]["auth"]["config_write"] == {
        "writable": True,
        "config_path": str(cfg),
        "parent_path": str(cfg.parent),
        "parent_directories_prepared": True,
        "error_message": None,
        "recovery": None,
    }
    assert data["checks"]["quota"]["checked"] is False
    assert data["checks"]["quota"]["reason"] == "auth_required"
    assert data["checks"]["models"]["reachable"] is True
    assert data["checks"]["models"]["executable_count"] >= 4
    # the local rails are simulated, and still offered (our documented difference)
    assert data["checks"]["payments"]["preferred_method"] == "stripe_x402.exact.usdc"
    assert data["selection"]["model_id"] == "local.image"
    assert data["cost"]["estimated_credits"] == 9
    assert data["next_command"] == (
        "image-skill signup --agent --agent-contact AGENT_OR_OPERATOR_INBOX "
        "--agent-name AGENT_NAME --runtime RUNTIME_NAME --json"
    )
    assert data["after_next"] == "image-skill create --guide --prompt 'a lighthouse at dawn' --json"
    # the probe prepared nothing: the config directory still does not exist
    assert not cfg.parent.exists()


def test_explicit_api_base_url_is_carried_into_commands(cfg: Path, monkeypatch):
    monkeypatch.delenv("IMAGE_SKILL_API_BASE_URL")
    data = ok_guide(guide("--prompt", "a cat", "--api-base-url", "local"))["data"]
    assert data["stage"] == "auth_required"
    assert shlex.split(data["next_command"])[-3:] == ["--api-base-url", "local", "--json"]
    assert shlex.split(data["after_next"]) == [
        "image-skill",
        "create",
        "--guide",
        "--prompt",
        "a cat",
        "--api-base-url",
        "local",
        "--json",
    ]
    assert data["escape_hatches"]["doctor"] == "image-skill doctor --api-base-url local --json"


def test_prompt_sources(cfg: Path):
    empty = ok_guide(guide())["data"]
    assert empty["stage"] == "prompt_required"
    assert empty["next_command"] == "image-skill create --guide --prompt PROMPT --json"
    assert empty["blocker"]["code"] == "prompt_required"
    positional = ok_guide(guide("a quiet harbour"))["data"]
    assert positional["stage"] == "auth_required"
    assert "'a quiet harbour'" in positional["after_next"]
    # an explicit empty --prompt wins over the positional (digest §1)
    assert ok_guide(guide("--prompt", "", "a cat"))["data"]["stage"] == "prompt_required"


def test_ready_after_signup(signed_up: Path):
    env = ok_guide(guide("--prompt", "a red bicycle"))
    data = env["data"]
    assert data["stage"] == "ready_to_create" and data["ready"] is True
    assert env["actor"]["actor_type"] == "agent"
    assert data["checks"]["auth"]["source"] == "config"
    assert data["checks"]["auth"]["authenticated"] is True
    assert data["checks"]["auth"]["config_write"] is None
    assert data["checks"]["quota"]["remaining_credits"] == 30
    assert data["checks"]["quota"]["required_credits"] == 9
    words = shlex.split(data["next_command"])
    assert words[:7] == ["image-skill", "create", "--model", "local.image", "--prompt"] + [
        "a red bicycle",
        "--intent",
    ]
    assert words[words.index("--max-estimated-usd-per-image") + 1] == "0.09"
    assert KEY.fullmatch(words[words.index("--idempotency-key") + 1])
    assert data["no_spend_next_command"] == data["recommended_no_spend_command"]
    assert "--dry-run" in shlex.split(data["no_spend_next_command"])
    assert "--idempotency-key" not in data["no_spend_next_command"]
    assert data["auth_ready"]["ready"] is True
    # a new idempotency key on every run
    again = ok_guide(guide("--prompt", "a red bicycle"))["data"]["next_command"]
    assert again != data["next_command"]


@pytest.mark.parametrize(
    ("prompt", "model_id", "modality", "verb"),
    [
        ("a 5 second video clip of waves at dusk", "local.video", "video", "create"),
        ("ambient rain sound for a podcast intro", "local.audio", "audio", "create"),
        ("a textured 3D model of a chair", "local.image-to-3d", "3d", "edit"),
        ("a watercolour fox", "local.image", "image", "create"),
    ],
)
def test_media_prompts_pick_the_local_models(signed_up: Path, prompt, model_id, modality, verb):
    data = ok_guide(guide("--prompt", prompt))["data"]
    assert data["stage"] == "ready_to_create"
    assert data["selection"]["model_id"] == model_id
    assert data["selection"]["modality"] == modality
    words = shlex.split(data["next_command"])
    assert words[1] == verb and words[words.index("--model") + 1] == model_id
    if modality == "video":
        assert data["selection"]["suggested_aspect_ratio"] == "16:9"
        assert words[words.index("--aspect-ratio") + 1] == "16:9"
    if modality == "3d":
        assert data["selection"]["operation"] == "edit"
        assert words[words.index("--input") + 1] == "image_..."
        key = words[words.index("--idempotency-key") + 1]
        assert re.fullmatch(r"edit-guide-\d+-[0-9a-f]{8}", key)


def test_explicit_model(signed_up: Path):
    data = ok_guide(guide("--prompt", "anything", "--model", "local.audio"))["data"]
    assert data["selection"]["model_id"] == "local.audio"
    nope = ok_guide(guide("--prompt", "anything", "--model", "nope.model"))
    assert nope["data"]["stage"] == "no_executable_model"
    assert nope["data"]["blocker"]["message"].endswith(": nope.model")
    assert nope["data"]["next_command"] == "image-skill models list --json"
    assert nope["actor"] is not None
    # a catalog-only hosted mirror is listed but cannot run here
    mirror = ok_guide(guide("--prompt", "x", "--model", "xai.grok-imagine-image-quality"))
    assert mirror["data"]["stage"] == "no_executable_model"


def test_invalid_token_is_auth_required(cfg: Path, monkeypatch):
    monkeypatch.setenv("IMAGE_SKILL_TOKEN", "isk_r_not_a_real_token")
    env = ok_guide(guide("--prompt", "a cat"))
    data = env["data"]
    assert env["actor"] is None
    assert data["stage"] == "auth_required"
    assert data["checks"]["auth"]["source"] == "env"
    assert data["checks"]["quota"]["checked"] is True
    assert data["checks"]["quota"]["reason"] == "AUTH_REQUIRED"
    assert data["auth_handoff"]["token_source"] == "none"


def test_token_stdin(signed_up: Path):
    token = json.loads(signed_up.read_text())["token"]
    signed_up.unlink()
    data = ok_guide(guide("--prompt", "a cat", "--token-stdin", input=token + "\n"))["data"]
    assert data["stage"] == "ready_to_create"
    assert data["checks"]["auth"]["source"] == "stdin"
    assert token not in json.dumps(data)
    empty = guide("--prompt", "a cat", "--token-stdin", input="\n")
    assert empty.exit_code == 3
    assert empty.code == "AUTH_REQUIRED"
    assert empty.json["command"] == "image-skill create --guide"


def test_unwritable_config_gets_the_fallback(tmp_path: Path, monkeypatch):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a regular file where the config directory should be\n")
    path = blocker / "config.json"
    monkeypatch.setenv("IMAGE_SKILL_API_BASE_URL", "local")
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(path))
    monkeypatch.setenv("IMAGE_SKILL_COMMAND_PREFIX", "image-skill")
    data = ok_guide(guide("--prompt", "a cat"))["data"]
    write = data["checks"]["auth"]["config_write"]
    assert write["writable"] is False and write["error_message"]
    assert write["parent_directories_prepared"] is False
    assert write["recovery"]["suggested_config_path"] == "$PWD/.image-skill/config.json"
    assert data["next_command"].startswith(
        'IMAGE_SKILL_CONFIG_PATH="$PWD/.image-skill/config.json" image-skill signup '
    )
    signup = data["auth_handoff"]["signup"]
    assert signup["config_writable"] is False
    assert signup["preferred_save_config"]["command"] == data["next_command"]
    # unlike the npm guide, the rerun reads the config where signup saved it
    assert data["after_next"] == (
        'IMAGE_SKILL_CONFIG_PATH="$PWD/.image-skill/config.json" '
        "image-skill create --guide --prompt 'a cat' --json"
    )
    assert blocker.read_text().startswith("a regular file")


def test_closed_port_is_service_unreachable(cfg: Path, monkeypatch):
    from image_skill.api.client import ImageSkillClient

    monkeypatch.setattr(ImageSkillClient, "_backoff", lambda self, attempt: 0.0)
    base = f"http://127.0.0.1:{closed_port()}"
    env = ok_guide(guide("--prompt", "a cat", "--api-base-url", base))
    data = env["data"]
    assert data["stage"] == "service_unreachable"
    assert data["checks"]["hosted_api"]["reachable"] is False
    assert data["checks"]["hosted_api"]["error_code"] == "HOSTED_API_REQUEST_FAILED"
    assert data["checks"]["models"]["error_code"] == "HOSTED_API_REQUEST_FAILED"
    assert data["checks"]["payments"]["checked"] is False
    assert data["selection"] is None
    # every suggested command reaches the same (down) server
    assert data["next_command"] == f"image-skill models list --api-base-url {base} --json"
    assert data["escape_hatches"]["doctor"] == f"image-skill doctor --api-base-url {base} --json"
    assert data["blocker"]["code"] == "service_unreachable"
    assert not cfg.parent.exists()


@pytest.mark.parametrize("signed", [False, True])
def test_guide_changes_nothing(tmp_path: Path, cfg: Path, signed: bool):
    if signed:
        assert invoke(*SIGNUP).exit_code == 0
    else:
        # make the backend's database exist (it is created on first use, by a token check)
        assert invoke("whoami", "--token", "isk_r_unknown").exit_code == 3
    db = tmp_path / "local-data" / "image-skill.sqlite3"
    assert db.exists()
    counts, tree = row_counts(db), file_tree(tmp_path, (".sqlite3",))
    for prompt in ("a cat", "", "a video clip of rain", "a 3d model of a vase"):
        ok_guide(guide("--prompt", prompt))
    assert row_counts(db) == counts
    assert file_tree(tmp_path, (".sqlite3",)) == tree
