"""`image-skill create --guide` in-process against the local backend (issue 5, contract 0.1.70).

The pure algorithm has its own unit tests (tests/unit/test_guide_*.py); these check the
I/O side: which snapshots are gathered, what the guide reports on the real local backend,
the environment its commands carry (§0.1), and that it writes nothing.
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

# The 0.1.30 signup form (with a contact), still accepted in 0.1.70 (§1.1).
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
#: Environment variables the signup runtime is detected from (cleared for stable output).
RUNTIME_HINTS = (
    "CLAUDECODE",
    "CODEX_SANDBOX",
    "CODEX_SANDBOX_NETWORK_DISABLED",
    "CURSOR_AGENT",
    "GITHUB_ACTIONS",
    "GITLAB_CI",
    "CI",
)
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=.*", re.S)


def guide(*args: str, input: str | None = None) -> CliResult:
    return invoke("create", "--guide", *args, input=input)


def split(command: str) -> tuple[dict[str, str], list[str]]:
    """The leading ``NAME=value`` assignments of a printed command, and its other words."""
    words = shlex.split(command)
    env: dict[str, str] = {}
    while words and _ASSIGNMENT.fullmatch(words[0]):
        name, value = words.pop(0).split("=", 1)
        env[name] = value
    return env, words


def run_printed(command: str) -> CliResult:
    """Run a printed command in-process: its assignments as the environment, then the words
    after the program prefix (``image-skill`` here, from IMAGE_SKILL_COMMAND_PREFIX)."""
    env, words = split(command)
    assert words[0] == "image-skill", command
    return invoke(*words[1:], env=env)


@pytest.fixture
def cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh agent on the in-process local backend: no config file yet."""
    path = tmp_path / "cfg" / "config.json"
    monkeypatch.setenv("IMAGE_SKILL_API_BASE_URL", "local")
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(path))
    monkeypatch.setenv("IMAGE_SKILL_COMMAND_PREFIX", "image-skill")
    for name in RUNTIME_HINTS:
        monkeypatch.delenv(name, raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
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
    # §4.9: the set IMAGE_SKILL_CONFIG_PATH is carried into every command. Ours: the
    # anonymous signup names a real agent and runtime, so it runs as printed.
    carried = f"IMAGE_SKILL_CONFIG_PATH={shlex.quote(str(cfg))} "
    assert data["next_command"] == carried + (
        "IMAGE_SKILL_GUIDE_PROMPT='a lighthouse at dawn' "
        "image-skill signup --agent --agent-name image-skill-python-agent --runtime python --json"
    )
    assert data["next_command_copy_runnable"] is True
    assert data["next_command_missing_inputs"] == []
    assert data["next_command_effect"]["copy_runnable"] is True
    assert data["after_next"] == (
        carried + "image-skill create --guide --prompt 'a lighthouse at dawn' --json"
    )
    assert data["agent_skill"]["recommended_start_command"] == (
        carried + "image-skill create --guide --prompt PROMPT --json"
    )
    assert data["guide_recovery"]["no_spend_command_field"] == "next_command"
    assert data["guide_recovery"]["double_spend_guard"]["required"] is False
    assert data["checks"]["quota"]["top_up"] is None
    assert data["self_fund_preparation"] is None
    # the probe prepared nothing: the config directory still does not exist
    assert not cfg.parent.exists()


def test_runtime_is_detected_and_discovery_source_carried(cfg: Path, monkeypatch):
    monkeypatch.setenv("CLAUDECODE", "1")
    monkeypatch.setenv("IMAGE_SKILL_DISCOVERY_SOURCE", "  clawhub ")
    data = ok_guide(guide("--prompt", "a cat"))["data"]
    env, words = split(data["next_command"])
    # §0.1: config path first, then the trimmed discovery source; ours: signup also gets the
    # guide's prompt, for its next_step
    carried = [
        ("IMAGE_SKILL_CONFIG_PATH", str(cfg)),
        ("IMAGE_SKILL_DISCOVERY_SOURCE", "clawhub"),
    ]
    assert list(env.items()) == [*carried, ("IMAGE_SKILL_GUIDE_PROMPT", "a cat")]
    assert words[words.index("--runtime") + 1] == "claude-code"
    for command in (data["after_next"], *data["escape_hatches"].values()):
        assert list(split(command)[0].items()) == carried
    monkeypatch.delenv("IMAGE_SKILL_DISCOVERY_SOURCE")
    monkeypatch.setenv("IMAGE_SKILL_DISCOVERY_SOURCE", "   ")
    blank = ok_guide(guide("--prompt", "a cat"))["data"]
    assert "IMAGE_SKILL_DISCOVERY_SOURCE" not in blank["next_command"]


def test_explicit_api_base_url_is_carried_into_commands(cfg: Path, monkeypatch):
    monkeypatch.delenv("IMAGE_SKILL_API_BASE_URL")
    data = ok_guide(guide("--prompt", "a cat", "--api-base-url", "local"))["data"]
    assert data["stage"] == "auth_required"
    assert shlex.split(data["next_command"])[-3:] == ["--api-base-url", "local", "--json"]
    assert split(data["after_next"])[1] == [
        "image-skill",
        "create",
        "--guide",
        "--prompt",
        "a cat",
        "--api-base-url",
        "local",
        "--json",
    ]
    assert split(data["escape_hatches"]["doctor"])[1] == shlex.split(
        "image-skill doctor --api-base-url local --json"
    )


def test_prompt_sources(cfg: Path):
    empty = ok_guide(guide())["data"]
    assert empty["stage"] == "prompt_required"
    assert split(empty["next_command"])[1] == shlex.split(
        "image-skill create --guide --prompt PROMPT --json"
    )
    assert empty["next_command_copy_runnable"] is False
    assert [m["placeholder"] for m in empty["next_command_missing_inputs"]] == ["PROMPT"]
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
    env, words = split(data["next_command"])
    assert env == {"IMAGE_SKILL_CONFIG_PATH": str(signed_up)}
    assert words[:7] == ["image-skill", "create", "--model", "local.image", "--prompt"] + [
        "a red bicycle",
        "--intent",
    ]
    assert words[words.index("--max-estimated-usd-per-image") + 1] == "0.09"
    assert KEY.fullmatch(words[words.index("--idempotency-key") + 1])
    assert words[-3:] == ["--output", ".", "--json"]
    assert data["next_command_copy_runnable"] is True
    assert data["no_spend_next_command"] == data["recommended_no_spend_command"]
    assert "--dry-run" in shlex.split(data["no_spend_next_command"])
    assert "--idempotency-key" not in data["no_spend_next_command"]
    assert "--output" not in data["no_spend_next_command"]
    assert data["auth_ready"]["ready"] is True
    # §4.4 cost keys; local.image has no model-parameter defaults
    assert data["cost"]["model_parameter_defaults_applied"] == []
    assert list(data["cost"])[-2:] == ["pricing_source", "model_parameter_defaults_applied"]
    # §4.11 at ready: the dry run is the safe rerun, next_command is the live create
    recovery = data["guide_recovery"]
    assert recovery["no_spend_command"] == data["recommended_no_spend_command"]
    assert recovery["live_create_command_field"] == "next_command"
    assert recovery["double_spend_guard"]["required"] is True
    # §4.14: the local rails can be quoted; no top_up from the local quota, so not
    # recommended and no pre-wall command
    preparation = data["self_fund_preparation"]
    assert preparation["available"] is True and preparation["recommended"] is False
    assert data["self_fund_next_command"] is None
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
    words = split(data["next_command"])[1]
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
    assert split(nope["data"]["next_command"])[1] == ["image-skill", "models", "list", "--json"]
    assert nope["actor"] is not None
    # a catalog-only hosted mirror is listed but cannot run here
    mirror = ok_guide(guide("--prompt", "x", "--model", "xai.grok-imagine-image-quality"))
    assert mirror["data"]["stage"] == "no_executable_model"
    # §3.6/§4.3: "default" names the default row; a unique fuzzy name resolves too
    default = ok_guide(guide("--prompt", "x", "--model", "default"))["data"]
    assert default["selection"]["model_id"] == "local.image"
    fuzzy = ok_guide(guide("--prompt", "x", "--model", "Local Audio"))["data"]
    assert fuzzy["selection"]["model_id"] == "local.audio"
    # §4.3: an input-image edit model asked for by name is proposed, as an edit
    edit = ok_guide(guide("--prompt", "make it blue", "--model", "local.image-edit"))["data"]
    assert edit["selection"]["operation"] == "edit"
    assert split(edit["next_command"])[1][1] == "edit"
    assert edit["next_command_copy_runnable"] is False
    assert [m["flag"] for m in edit["next_command_missing_inputs"]] == ["--input"]


def test_replayed_commands_carry_the_users_flags(signed_up: Path):
    flags = (
        "--model",
        "default",
        "--provider",
        "local",
        "--intent",
        "final",
        "--max-estimated-usd-per-image",
        "0.2",
        "--model-parameters-json",
        '{"seed": 7, "style": "flat"}',
    )
    empty = ok_guide(guide(*flags))["data"]
    assert empty["stage"] == "prompt_required"
    # §4.7/§4.16: GUIDE repeats --model as typed, the provider, the intent, the budget
    # (formatted) and the user's JSON (compact, key order kept)
    assert split(empty["next_command"])[1] == [
        "image-skill",
        "create",
        "--guide",
        "--prompt",
        "PROMPT",
        "--model",
        "default",
        "--provider",
        "local",
        "--intent",
        "final",
        "--max-estimated-usd-per-image",
        "0.20",
        "--model-parameters-json",
        '{"seed":7,"style":"flat"}',
        "--json",
    ]
    ready = ok_guide(guide("--prompt", "a kite", *flags))["data"]
    assert ready["stage"] == "ready_to_create"
    words = split(ready["next_command"])[1]
    assert words[words.index("--model") + 1] == "local.image"  # the resolved id
    assert words[words.index("--provider") + 1] == "local"
    assert words[words.index("--intent") + 1] == "final"
    assert words[words.index("--max-estimated-usd-per-image") + 1] == "0.20"
    assert words[words.index("--model-parameters-json") + 1] == '{"seed":7,"style":"flat"}'


def test_ready_command_leaves_the_file_in_the_working_directory(signed_up: Path):
    work = Path.cwd()
    (work / "taken.png").write_bytes(b"not an image; must survive")
    data = ok_guide(guide("--prompt", "a blue kite"))["data"]
    before = {p.name for p in work.iterdir()}
    created = run_printed(data["next_command"])
    assert created.exit_code == 0, created.stdout
    downloads = created.data["downloads"]
    assert len(downloads) == 1
    saved = Path(downloads[0]["output_path"])
    assert saved.parent == work and saved.name not in before
    assert saved.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert (work / "taken.png").read_bytes() == b"not an image; must survive"
    # the same command again makes a new file next to the first, never over it
    again = ok_guide(guide("--prompt", "a blue kite"))["data"]
    second = run_printed(again["next_command"])
    assert second.exit_code == 0, second.stdout
    other = Path(second.data["downloads"][0]["output_path"])
    assert other != saved and other.exists() and saved.exists()


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
        'IMAGE_SKILL_CONFIG_PATH="$PWD/.image-skill/config.json" '
        "IMAGE_SKILL_GUIDE_PROMPT='a cat' image-skill signup "
    )
    # §4.9: the fallback replaces the unwritable path in every guide command
    assert str(path) not in data["next_command"]
    for command in data["escape_hatches"].values():
        assert command.startswith('IMAGE_SKILL_CONFIG_PATH="$PWD/.image-skill/config.json" ')
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
    assert split(data["next_command"])[1] == shlex.split(
        f"image-skill models list --api-base-url {base} --json"
    )
    assert split(data["escape_hatches"]["doctor"])[1] == shlex.split(
        f"image-skill doctor --api-base-url {base} --json"
    )
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
