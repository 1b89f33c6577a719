"""The keys 0.1.70 added to the guide's ``data`` and the rules they follow (§0.2, §4.6-§4.16)."""

from __future__ import annotations

import copy
import shlex
from typing import Any

import pytest
from guide_fixtures import (
    CHECKOUT_METHOD,
    CONFIG_PATH,
    PROMPT,
    QUOTA_BROKE,
    QUOTA_RICH,
    X402_METHOD,
    build,
    payments_envelope,
    quota_envelope,
)

from image_skill._js import js_stringify
from image_skill.commands import CommandContext, carried_env
from image_skill.guide import text as T
from image_skill.guide.build import ConfigWriteStatus
from image_skill.guide.placeholders import copy_runnable, missing_inputs
from image_skill.guide.recovery import detect_runtime
from image_skill.payments import urgency_fields

# --- §0.2 placeholders ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "tokens"),
    [
        ('image-skill create --prompt "PROMPT" --json', ["PROMPT"]),
        ("IMAGE_SKILL_TOKEN=x image-skill credits quote --idempotency-key k --json", []),
        ("image-skill credits buy --quote-id QUOTE_ID --idempotency-key KEY --json", []),
        ("image-skill edit --input image_... --prompt PROMPT", ["PROMPT", "image_..."]),
        ("image-skill edit --input image_...x", []),
        ("image-skill edit --input image_abc", []),
        ("image-skill x KEY_ID PROMPTS", []),
        (
            "image-skill credits status --payment-attempt-id PAYMENT_ATTEMPT_ID --quote-id "
            "QUOTE_ID --json",
            ["QUOTE_ID", "PAYMENT_ATTEMPT_ID"],
        ),
        ("é" + "KEY", ["KEY"]),  # non-ASCII letters are boundaries (re.ASCII, as in JS)
    ],
)
def test_placeholder_detection(command: str, tokens: list[str]) -> None:
    if "QUOTE_ID --idempotency-key KEY" in command:
        tokens = ["KEY", "QUOTE_ID"]  # table order, not the order in the command
    assert [m["placeholder"] for m in missing_inputs(command)] == tokens
    assert copy_runnable(command) is (not tokens)


def test_missing_inputs_shape() -> None:
    assert missing_inputs("image-skill edit --input image_...") == [
        {
            "flag": "--input",
            "placeholder": "image_...",
            "value_description": missing_inputs("image_...")[0]["value_description"],
            "example": None,
        }
    ]
    assert list(missing_inputs("PROMPT")[0]) == [
        "flag",
        "placeholder",
        "value_description",
        "example",
    ]
    assert missing_inputs("PROMPT")[0]["example"] == (
        "a compact field camera on a stainless workbench"
    )


def test_effect_copy_runnable_keys_sit_before_warning() -> None:
    out = build(prompt="")
    effect = out.data["next_command_effect"]
    assert list(effect)[-4:] == [
        "copy_runnable",
        "requires_placeholder_substitution",
        "placeholders",
        "warning",
    ]
    assert effect["placeholders"] == [
        {"token": "PROMPT", "description": "real creative prompt", "required": True}
    ]
    assert out.data["next_command_copy_runnable"] is False


# --- §4.12 checks.quota.top_up and §7.2 urgency -----------------------------------------------

TOP_UP = {
    "available": True,
    "recommended": True,
    "recommendation_reason": "low_remaining_credits",
    "path": "browserless_x402",
    "preferred_payment_method": "stripe_x402.exact.usdc",
    "first_command": "image-skill credits methods --json",
    "quote_command": "image-skill credits quote --pack starter-500 --payment-method "
    "stripe_x402.exact.usdc --json",
    "quote_command_copy_runnable": True,
    "commands": {
        "inspect_methods": "image-skill credits methods --json",
        "inspect_packs": "image-skill credits packs list --json",
        "quote": "image-skill credits quote --pack starter-500 --json",
        "buy": "image-skill credits buy --quote-id QUOTE_ID --json",
        "status": "image-skill credits status --payment-attempt-id PAYMENT_ATTEMPT_ID --json",
        "fallback_quote": "image-skill credits quote --payment-method stripe_checkout --json",
        "fallback_buy": "image-skill credits buy --provider stripe --json",
        "extra": "image-skill not touched --json",
    },
    "workflow": {"steps": [{"step": "inspect", "command": "image-skill credits methods --json"}]},
}


def ours(command: str) -> str:
    return "/py -m image_skill " + command.removeprefix("image-skill ")


def test_top_up_commands_run_with_our_prefix_and_urgency_is_derived() -> None:
    ctx = CommandContext(prefix=("/py", "-m", "image_skill"))
    quota = quota_envelope(100, top_up=copy.deepcopy(TOP_UP))
    out = build(token_source="env", quota=quota, command_ctx=ctx)
    top_up = out.data["checks"]["quota"]["top_up"]
    assert list(out.data["checks"]["quota"])[-3:] == ["daily_jobs_remaining", "top_up", "reason"]
    assert top_up["first_command"] == ours(TOP_UP["first_command"])
    assert top_up["quote_command"] == ours(TOP_UP["quote_command"])
    for key, value in TOP_UP["commands"].items():
        expected = value if key == "extra" else ours(value)
        assert top_up["commands"][key] == expected, key
    assert top_up["workflow"]["steps"] == [
        {"step": "inspect", "command": ours("image-skill credits methods --json")}
    ]
    assert top_up["path"] == "browserless_x402"
    # urgency appended (the server sent none), derived from the reason
    assert list(top_up)[-3:] == ["urgency", "urgency_score", "urgency_reasons"]
    assert (top_up["urgency"], top_up["urgency_score"], top_up["urgency_reasons"]) == (
        "near_wall",
        80,
        ["low_remaining_credits"],
    )


@pytest.mark.parametrize(
    ("top_up", "expected"),
    [
        ({}, ("available", 0, [])),
        ({"recommendation_reason": "credits_depleted"}, ("blocked", 100, ["credits_depleted"])),
        (
            {"recommendation_reason": "daily_job_cap_reached"},
            ("blocked", 100, ["daily_job_cap_reached"]),
        ),
        (
            {"recommendation_reason": "self_fund_setup_missing"},
            ("setup_recommended", 60, ["self_fund_setup_missing"]),
        ),
        ({"recommendation_reason": "other"}, ("available", 0, ["other"])),
        (
            {"recommendation_reason": "credits_depleted", "urgency": "", "urgency_score": "9"},
            ("blocked", 100, ["credits_depleted"]),
        ),
        (
            {"urgency": "soon", "urgency_score": 5, "urgency_reasons": ["a", "", 3, "b"]},
            ("soon", 5, ["a", "b"]),
        ),
    ],
)
def test_urgency_fields(top_up: dict, expected: tuple) -> None:
    out = urgency_fields(top_up)
    assert (out["urgency"], out["urgency_score"], out["urgency_reasons"]) == expected


def test_server_urgency_is_overwritten_in_place() -> None:
    sent = dict(TOP_UP, urgency="", urgency_score=None, urgency_reasons=None, recommended=False)
    out = build(token_source="env", quota=quota_envelope(100, top_up=sent))
    top_up = out.data["checks"]["quota"]["top_up"]
    assert list(top_up).index("urgency") == list(sent).index("urgency")
    assert top_up["urgency"] == "near_wall" and top_up["urgency_reasons"] == [
        "low_remaining_credits"
    ]
    assert build(token_source="env", quota=QUOTA_RICH).data["checks"]["quota"]["top_up"] is None


# --- §4.13/§4.14 self-fund at quota and before the wall ----------------------------------------


def keyless(method: dict) -> dict:
    out = copy.deepcopy(method)
    out["recovery"]["quote_command"] = out["recovery"]["quote_command"].replace(
        " --idempotency-key KEY", ""
    )
    return out


def test_quota_handoff_carries_the_top_up_urgency() -> None:
    quota = quota_envelope(0, top_up=dict(TOP_UP, recommendation_reason="credits_depleted"))
    handoff = build(token_source="env", quota=quota).data["self_fund_handoff"]
    assert (handoff["urgency"], handoff["urgency_score"], handoff["urgency_reasons"]) == (
        "blocked",
        100,
        ["credits_depleted"],
    )
    assert handoff["first_safe_command"] == handoff["inspect_methods_command"]
    assert handoff["first_safe_command"] == "image-skill credits methods --json"
    assert handoff["warning"].startswith("Run first_safe_command first")


def test_pre_wall_quote_when_recommended_and_runnable() -> None:
    quota = quota_envelope(20, top_up=copy.deepcopy(TOP_UP))
    payments = payments_envelope([CHECKOUT_METHOD, keyless(X402_METHOD)])
    out = build(token_source="config", quota=quota, payments=payments)
    assert out.data["stage"] == "ready_to_create"
    prep = out.data["self_fund_preparation"]
    assert prep["available"] is True and prep["recommended"] is True
    assert prep["recommendation_reason"] == "low_remaining_credits"
    assert (prep["urgency"], prep["urgency_score"]) == ("near_wall", 80)
    assert prep["quote_command_copy_runnable"] is True
    assert prep["quote_command"] == X402_METHOD["recovery"]["quote_command"].replace(
        " --idempotency-key KEY", ""
    )
    assert prep["quote_command_effect"]["requires_wallet_for_buy"] is True
    assert prep["auth"]["token_source"] == "config"
    assert out.data["self_fund_next_command"] == prep["quote_command"]
    assert out.data["self_fund_next_command_label"] == "pre_wall_browserless_agent_payable_quote"
    # the live create stays next_command; the quote is only offered alongside
    assert shlex.split(out.data["next_command"])[1] == "create"


def test_pre_wall_label_for_a_checkout_rail() -> None:
    quota = quota_envelope(20, top_up=copy.deepcopy(TOP_UP))
    out = build(
        token_source="env", quota=quota, payments=payments_envelope([keyless(CHECKOUT_METHOD)])
    )
    assert out.data["self_fund_next_command_label"] == "pre_wall_human_handoff_payment_quote"
    assert (
        out.data["self_fund_preparation"]["quote_command_effect"]["requires_wallet_for_buy"]
        is False
    )


@pytest.mark.parametrize(
    ("top_up", "methods"),
    [
        (dict(TOP_UP, recommended=False), [keyless(X402_METHOD)]),  # not recommended
        (TOP_UP, [X402_METHOD]),  # the quote holds KEY
        (None, [keyless(X402_METHOD)]),  # no top_up at all
    ],
)
def test_no_pre_wall_command(top_up: Any, methods: list[dict]) -> None:
    quota = quota_envelope(20, **({"top_up": copy.deepcopy(top_up)} if top_up else {}))
    out = build(token_source="env", quota=quota, payments=payments_envelope(methods))
    assert out.data["self_fund_preparation"]["available"] is True
    assert out.data["self_fund_next_command"] is None
    assert out.data["self_fund_next_command_label"] is None


def test_preparation_without_a_rail_and_outside_ready() -> None:
    none = build(token_source="env", quota=QUOTA_RICH, payments=payments_envelope([]))
    prep = none.data["self_fund_preparation"]
    assert prep["available"] is False and prep["quote_command"] is None
    assert prep["quote_command_copy_runnable"] is False
    assert prep["quote_command_effect"] is None and prep["warning"] == T.SP_UNAVAILABLE
    for out in (build(), build(prompt=""), build(token_source="env", quota=QUOTA_BROKE)):
        assert out.data["self_fund_preparation"] is None


# --- §4.11 guide_recovery ------------------------------------------------------------------------


def test_guide_recovery_at_quota_required() -> None:
    out = build(token_source="env", quota=QUOTA_BROKE)
    recovery = out.data["guide_recovery"]
    assert recovery == {
        "schema": "image-skill.guide-recovery.v1",
        "stage": "quota_required",
        "precondition_code": "quota_required",
        "precondition_message": out.data["blocker"]["message"],
        "no_spend_command": "image-skill usage quota --json",
        "no_spend_command_field": "escape_hatches.quota",
        "no_spend_command_copy_runnable": True,
        "no_spend_command_missing_inputs": [],
        "after_success_command": out.data["after_next"],
        "after_success_command_field": "after_next",
        "live_create_command_field": None,
        "live_payment_command_field": "self_fund_next_command",
        "double_spend_guard": {
            "required": True,
            "safe_rerun_command_field": "escape_hatches.quota",
            "warning": T.GR_LIVE_PAYMENT,
        },
    }


def test_guide_recovery_at_prompt_required_names_the_missing_prompt() -> None:
    recovery = build(prompt="").data["guide_recovery"]
    assert recovery["no_spend_command_field"] == "next_command"
    assert recovery["no_spend_command_copy_runnable"] is False
    assert [m["placeholder"] for m in recovery["no_spend_command_missing_inputs"]] == ["PROMPT"]
    assert recovery["after_success_command"] is None
    assert recovery["double_spend_guard"] == {
        "required": False,
        "safe_rerun_command_field": "next_command",
        "warning": T.GR_NOTHING_LIVE,
    }


# --- §4.5 promptless models ---------------------------------------------------------------------


def test_promptless_model_skips_prompt_required() -> None:
    out = build(prompt="", model="fal.trellis-image-to-3d", token_source="env", quota=QUOTA_RICH)
    assert out.data["stage"] == "ready_to_create"
    words = shlex.split(out.data["next_command"])
    assert words[1] == "edit" and "--prompt" not in words
    assert "--prompt" not in shlex.split(out.data["escape_hatches"]["dry_run"])
    # a model that takes a prompt still stops at prompt_required
    assert build(prompt="", model="fal.flux-dev").data["stage"] == "prompt_required"
    # and a prompt given to a promptless model is left out of its command
    given = build(model="fal.trellis-image-to-3d", token_source="env", quota=QUOTA_RICH)
    assert "--prompt" not in shlex.split(given.data["next_command"])


# --- §4.7/§4.16 carry rules ----------------------------------------------------------------------


def flag(command: str, name: str) -> str | None:
    words = shlex.split(command)
    return words[words.index(name) + 1] if name in words else None


def test_guide_rerun_carries_the_users_flags_only() -> None:
    out = build(
        prompt="",
        model="xai.grok-imagine-image-quality",
        provider="xai",
        intent="final",
        max_usd_per_image="0.125",
        model_parameters={"seed": 1},
        explicit_api_base_url="local",
    )
    assert shlex.split(out.data["next_command"]) == [
        "image-skill",
        "create",
        "--guide",
        "--prompt",
        "PROMPT",
        "--model",
        "xai.grok-imagine-image-quality",
        "--provider",
        "xai",
        "--intent",
        "final",
        "--max-estimated-usd-per-image",
        "0.13",
        "--model-parameters-json",
        '{"seed":1}',
        "--api-base-url",
        "local",
        "--json",
    ]
    # an absent or empty --model/--provider/--intent is left out; so is the default intent
    bare = build(prompt="", model=None, provider="", intent=None)
    assert shlex.split(bare.data["next_command"])[1:] == [
        "create",
        "--guide",
        "--prompt",
        "PROMPT",
        "--json",
    ]


def test_after_next_carries_the_same_flags() -> None:
    out = build(intent="draft", max_usd_per_image="0.5", provider="fal")
    assert out.data["stage"] == "auth_required"
    after = out.data["after_next"]
    assert flag(after, "--prompt") == PROMPT
    assert flag(after, "--intent") == "draft"
    assert flag(after, "--provider") == "fal"
    assert flag(after, "--max-estimated-usd-per-image") == "0.50"
    quota = build(token_source="env", quota=QUOTA_BROKE, intent="draft")
    assert flag(quota.data["after_next"], "--intent") == "draft"
    assert quota.data["self_fund_handoff"]["after_next"] == quota.data["after_next"]


def test_create_and_edit_templates() -> None:
    create = build(token_source="env", quota=QUOTA_RICH, model_parameters={"seed": 2})
    live = create.data["next_command"]
    assert flag(live, "--intent") == "explore"  # the default, in create commands only
    assert flag(live, "--model-parameters-json") == '{"seed":2}'
    assert flag(live, "--output") == "."
    assert flag(create.data["no_spend_next_command"], "--model-parameters-json") == '{"seed":2}'
    edit = build(
        prompt="a glb of a lamp",
        token_source="env",
        quota=QUOTA_RICH,
        provider="fal",
        intent="final",
        model_parameters={"seed": 2},
    )
    words = shlex.split(edit.data["next_command"])
    assert words[1:4] == ["edit", "--input", "image_..."]
    assert "--provider" not in words and "--intent" not in words  # EDITIMG has neither
    assert flag(edit.data["next_command"], "--model-parameters-json") == '{"seed":2}'


def test_carried_environment_reaches_every_command() -> None:
    env = carried_env(
        {"IMAGE_SKILL_CONFIG_PATH": "/cfg dir/config.json", "IMAGE_SKILL_DISCOVERY_SOURCE": " hub "}
    )
    assert env == (
        ("IMAGE_SKILL_CONFIG_PATH", "/cfg dir/config.json"),
        ("IMAGE_SKILL_DISCOVERY_SOURCE", "hub"),
    )
    assert carried_env({"IMAGE_SKILL_CONFIG_PATH": "", "IMAGE_SKILL_DISCOVERY_SOURCE": " "}) == ()
    lead = "IMAGE_SKILL_CONFIG_PATH='/cfg dir/config.json' IMAGE_SKILL_DISCOVERY_SOURCE=hub "
    ctx = CommandContext(env=env)
    for kw in ({}, {"prompt": ""}, {"token_source": "env", "quota": QUOTA_BROKE}):
        out = build(command_ctx=ctx, **kw)
        data = out.data
        commands = [
            data["next_command"],
            data["after_next"],
            *data["escape_hatches"].values(),
            data["agent_skill"]["recommended_start_command"],
            *data["checks"]["payments"]["suggested_commands"],
        ]
        for command in filter(None, commands):
            assert command.startswith(lead), command


def test_unwritable_config_fallback_replaces_the_carried_path_in_place() -> None:
    ctx = CommandContext(
        env=(("IMAGE_SKILL_CONFIG_PATH", CONFIG_PATH), ("IMAGE_SKILL_DISCOVERY_SOURCE", "hub"))
    )
    status = ConfigWriteStatus(CONFIG_PATH, writable=False, error_message="EROFS")
    out = build(command_ctx=ctx, config_write=status)
    lead = (
        'IMAGE_SKILL_CONFIG_PATH="$PWD/.image-skill/config.json" IMAGE_SKILL_DISCOVERY_SOURCE=hub '
    )
    for command in (
        out.data["next_command"],
        out.data["after_next"],
        out.data["escape_hatches"]["doctor"],
    ):
        assert command.startswith(lead), command
    assert CONFIG_PATH not in out.data["next_command"]
    recovery = out.data["checks"]["auth"]["config_write"]["recovery"]
    assert recovery["suggested_command"].startswith(lead)


def test_auth_required_signup_runs_as_printed() -> None:
    out = build(agent_name="docs-bot", runtime="codex-cli")
    assert out.data["next_command"] == (
        "IMAGE_SKILL_GUIDE_PROMPT='a compact field camera on a stainless workbench' "
        "image-skill signup --agent --agent-name docs-bot --runtime codex-cli --json"
    )
    assert out.data["next_command_copy_runnable"] is True
    assert out.data["next_command_missing_inputs"] == []
    assert "--agent-contact" not in out.data["next_command"]
    assert out.data["blocker"]["message"] == T.B_AUTH
    assert out.data["guide_warning"]["warning"] == T.GW_SIGNUP  # no template variant
    assert out.data["auth_ready"]["warning"] == T.AR_NOT_READY


def test_the_edit_guide_passes_no_prompt_to_signup() -> None:
    # Signup's next_step reruns the create guide, so only that guide hands it a prompt.
    edit = build(agent_name="a", runtime="r", operation="edit", input_reference="image_x")
    assert edit.data["stage"] == "auth_required"
    assert edit.data["next_command"].startswith("image-skill signup ")


def test_agent_skill_uses_the_guide_prefix() -> None:
    ctx = CommandContext(prefix=("/py", "-m", "image_skill"), api_base_url="local")
    skill = build(command_ctx=ctx).data["agent_skill"]
    assert skill["recommended_start_command"] == (
        "/py -m image_skill create --guide --prompt PROMPT --api-base-url local --json"
    )
    assert skill["model_inspection_command"] == (
        "/py -m image_skill models show MODEL_ID --api-base-url local --json"
    )
    assert skill["read_command"] == "curl -fsSL https://image-skill.com/skill.md"
    assert skill["no_spend"] is True


# --- helpers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "runtime"),
    [
        ({}, "python"),
        ({"CLAUDECODE": "1"}, "claude-code"),
        ({"CLAUDECODE": "0", "CI": "true"}, "ci"),
        ({"CODEX_SANDBOX": "seatbelt"}, "codex-cli"),
        ({"GITHUB_ACTIONS": "true", "CI": "true"}, "github-actions"),
        ({"CI": "false"}, "python"),
        ({"CI": "0"}, "python"),
    ],
)
def test_detect_runtime(environ: dict[str, str], runtime: str) -> None:
    assert detect_runtime(environ) == runtime


def test_js_stringify() -> None:
    assert js_stringify({"b": 1.0, "a": [1e-7, True, None, "é\n"], "c": {"d": 1e21}}) == (
        '{"b":1,"a":[1e-7,true,null,"é\\n"],"c":{"d":1e+21}}'
    )
    assert js_stringify({"x": "\ud800"}) == '{"x":"\\ud800"}'
    assert js_stringify(float("nan")) == "null"
    assert js_stringify(2**60) == "1152921504606847000"
    with pytest.raises(TypeError):
        js_stringify(object())


def test_quota_stage_payment_commands_are_the_prefixed_summary() -> None:
    ctx = CommandContext(prefix=("/py", "-m", "image_skill"))
    out = build(token_source="env", quota=QUOTA_BROKE, command_ctx=ctx)
    suggested = out.data["checks"]["payments"]["suggested_commands"]
    assert all(c.startswith("/py -m image_skill credits ") for c in suggested)
    assert out.data["next_command"] in suggested
    assert out.data["next_command"] == out.data["self_fund_next_command"]
