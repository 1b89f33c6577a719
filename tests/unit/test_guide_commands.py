"""``GuideCommands.pay``: server payment commands rebuilt like every reply command: our prefix,
our explicit ``--api-base-url`` (never the server's), and nothing that is not plain words."""

from __future__ import annotations

import copy
import shlex

import pytest
from guide_fixtures import (
    CHECKOUT_METHOD,
    CONFIG_PATH,
    KEY,
    X402_METHOD,
    build,
    payments_envelope,
    quota_envelope,
)

from image_skill.commands import CommandContext
from image_skill.guide.commands import GuideCommands
from image_skill.guide.state import GuideInputs, GuideState

PREFIX = ("/venv/bin/python", "-m", "image_skill")


def commands(ctx: CommandContext, explicit: str | None = None) -> GuideCommands:
    inputs = GuideInputs(
        saved_config_path=CONFIG_PATH,
        idempotency_key=KEY,
        command_ctx=ctx,
        explicit_api_base_url=explicit,
    )
    state = GuideState("", "", None, {}, {}, {}, None, None, "quota_required")
    return GuideCommands(inputs, state)


def flag_values(command: str) -> list[str]:
    words = shlex.split(command)
    return [words[i + 1] for i, word in enumerate(words) if word == "--api-base-url"]


def test_pay_adds_the_explicit_base_to_a_bare_server_command() -> None:
    cmds = commands(CommandContext(prefix=PREFIX, api_base_url="http://127.0.0.1:8787"))
    out = cmds.pay("image-skill credits methods --json")
    assert out == (
        "/venv/bin/python -m image_skill credits methods"
        " --api-base-url http://127.0.0.1:8787 --json"
    )


@pytest.mark.parametrize(
    ("server", "expected_tail"),
    [
        (
            "image-skill local settle --payment-attempt-id PAYMENT_ATTEMPT_ID"
            " --api-base-url local --json",
            "local settle --payment-attempt-id PAYMENT_ATTEMPT_ID --api-base-url local --json",
        ),
        (
            "image-skill credits status --api-base-url=http://127.0.0.1:9 --json",
            "credits status --api-base-url local --json",
        ),
        (
            "image-skill credits quote --help --api-base-url local",
            "credits quote --help --api-base-url local",
        ),
    ],
)
def test_pay_puts_our_base_in_place_of_the_servers_and_never_two(
    server: str, expected_tail: str
) -> None:
    cmds = commands(CommandContext(prefix=PREFIX, api_base_url="local"))
    out = cmds.pay(server)
    assert out == "/venv/bin/python -m image_skill " + expected_tail
    words = shlex.split(out)
    assert sum(w.startswith("--api-base-url") for w in words) == 1


def test_pay_without_an_explicit_base_drops_the_servers_base() -> None:
    # With no explicit base the command reaches the server this CLI resolves by itself,
    # never one a reply names.
    cmds = commands(CommandContext(prefix=PREFIX))
    assert cmds.pay("image-skill usage quota --api-base-url http://127.0.0.1:1 --json") == (
        "/venv/bin/python -m image_skill usage quota --json"
    )
    assert cmds.pay("image-skill usage quota --json") == (
        "/venv/bin/python -m image_skill usage quota --json"
    )


@pytest.mark.parametrize(
    "server",
    [
        'image-skill credits buy --pack "$(touch pwned)" --json',
        "image-skill credits status --id P; rm -rf ~ --json",
        "image-skill credits status --id `id` --json",
    ],
)
def test_pay_refuses_a_server_command_that_is_not_plain_image_skill_words(server: str) -> None:
    cmds = commands(CommandContext(prefix=PREFIX, api_base_url="local"))
    assert cmds.pay(server) is None
    assert cmds.env_pay(server) is None


def test_pay_leaves_text_that_is_not_an_image_skill_command() -> None:
    cmds = commands(CommandContext(prefix=PREFIX, api_base_url="local"))
    assert cmds.pay("open the checkout page") == "open the checkout page"


def aimed(command: str, base: str) -> str:
    """A server command as the local backend writes it: aimed at itself."""
    head, sep, _ = command.rpartition(" --json")
    return f"{head} --api-base-url {base}{sep}" if sep else f"{command} --api-base-url {base}"


def test_quota_stage_payment_commands_from_a_self_aimed_server_name_one_base() -> None:
    # The local backend writes its rails' commands with --api-base-url already in them;
    # a guide run with the same explicit base must not add it a second time.
    base = "http://127.0.0.1:8787"
    methods = []
    for method in (CHECKOUT_METHOD, X402_METHOD):
        method = copy.deepcopy(method)
        method["recovery"] = {k: aimed(v, base) for k, v in method["recovery"].items()}
        method["recovery"]["local_settle_command"] = aimed(
            "image-skill local settle --payment-attempt-id PAYMENT_ATTEMPT_ID --json", base
        )
        methods.append(method)
    out = build(
        token_source="config",
        quota=quota_envelope(0),
        payments=payments_envelope(methods),
        command_ctx=CommandContext(prefix=PREFIX, api_base_url=base),
    )
    assert out.data["stage"] == "quota_required"
    handed = [out.data["next_command"], *out.data["self_fund_handoff"]["payment_commands"].values()]
    assert len(handed) == 5
    for command in handed:
        assert command.startswith("/venv/bin/python -m image_skill ")
        assert flag_values(command) == [base], command
        assert command.endswith(" --json")
