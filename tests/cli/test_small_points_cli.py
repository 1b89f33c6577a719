"""Issue 12's small points, each against the real local backend: no "retry with
--idempotency-key" advice on a create the server refused for certain, a did-you-mean for a
mistyped command, --prompt-file named when the prompt is missing, the quota blocker's
sentence after some images, and simulated rails kept out of ``live_money_methods``."""

from __future__ import annotations

from pathlib import Path

import pytest

from clitools import invoke
from spendtools import LOCAL, png

KEY_ADVICE = "so a retry cannot charge twice"


def _key_advice(res_warnings: list[str]) -> list[str]:
    return [w for w in res_warnings if KEY_ADVICE in w]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("--model", "no-such.model"), "MODEL_NOT_FOUND"),
        (("--max-usd", "0.00001"), "BUDGET_GUARD_EXCEEDED"),
    ],
)
def test_a_refused_create_gives_no_retry_advice(
    account: Path, args: tuple[str, ...], code: str
) -> None:
    res = invoke("create", "--prompt", "a fox", *args, *LOCAL)
    assert res.exit_code != 0
    assert res.code == code
    assert res.json["error"]["retryable"] is False
    assert _key_advice(res.json["warnings"]) == []


def test_a_refused_edit_gives_no_retry_advice(account: Path) -> None:
    Path("in.png").write_bytes(png(8, 8))
    res = invoke("edit", "--input", "in.png", "--prompt", "x", "--model", "nope.m", *LOCAL)
    assert res.code == "MODEL_NOT_FOUND", res.stdout
    assert _key_advice(res.json["warnings"]) == []


def test_a_create_that_ran_still_names_its_key(account: Path) -> None:
    res = invoke("create", "--prompt", "a fox", *LOCAL)
    assert res.exit_code == 0, res.stdout
    key = res.data["request"]["idempotency_key"]
    [advice] = _key_advice(res.json["warnings"])
    assert key in advice


def test_a_mistyped_command_gets_a_did_you_mean() -> None:
    res = invoke("crate", "--prompt", "x")
    assert res.exit_code == 2
    assert res.code == "PUBLIC_CLI_COMMAND_NOT_AVAILABLE"
    assert res.json["error"]["recovery"]["did_you_mean"] == "create"
    far = invoke("zzqqxx")
    assert "did_you_mean" not in far.json["error"]["recovery"]


def test_a_missing_prompt_names_prompt_file() -> None:
    create = invoke("create", *LOCAL)
    assert create.exit_code == 2 and "--prompt-file" in create.json["error"]["message"]
    edit = invoke("edit", "--input", "image_a", *LOCAL)
    assert edit.exit_code == 2 and "--prompt-file" in edit.json["error"]["message"]


def test_the_quota_blocker_does_not_call_a_later_image_the_first(account: Path) -> None:
    # 30 free local credits: spend until the guide blocks on quota
    for index in range(10):
        guide = invoke("create", "--guide", "--prompt", "a fox", *LOCAL)
        if guide.data["stage"] == "quota_required":
            break
        assert invoke("create", "--prompt", f"fox {index}", *LOCAL).exit_code == 0
    assert index > 0 and guide.data["stage"] == "quota_required"
    message = guide.data["blocker"]["message"]
    assert "first image" not in message
    assert message.startswith("Creating this image needs ")
    assert "hosted service" not in guide.stdout


def test_simulated_rails_are_not_live_money_methods(account: Path) -> None:
    methods = invoke("credits", "methods", *LOCAL).data["methods"]
    assert methods and all(m["live_money"] is False for m in methods)
    for index in range(10):
        guide = invoke("create", "--guide", "--prompt", "a fox", *LOCAL)
        if guide.data["stage"] == "quota_required":
            break
        invoke("create", "--prompt", f"fox {index}", *LOCAL)
    payments = guide.data["checks"]["payments"]
    assert payments["checked"] is True
    assert payments["live_money_methods"] == []
    assert payments["preferred_method"] is not None  # still usable, just not live money
