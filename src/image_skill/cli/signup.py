"""`image-skill signup --agent`: create a restricted agent token and save it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from image_skill import _constants as C
from image_skill import envelope as E
from image_skill._js import js_trim
from image_skill.cli._app import AppState, CommandFailed, common_options, state
from image_skill.envelope import Result

LABEL = "image-skill signup"
SERVER_TOKEN_WARNING = (
    "hosted restricted token is returned once; store it in the agent runtime secret store "
    "and never paste it into prompts, logs, issues, or product feedback"
)
LEGACY_CONTACT_MESSAGES = {
    "agent_contact must be an email-shaped durable contact inbox",
    "human_email must be a valid email address",
    "human_email is a legacy alias for agent_contact and must be an email-shaped durable "
    "contact inbox",
}
REQUIRED = ["--agent-name", "--runtime"]
OPTIONAL = ["--agent-contact", "--discovery-source"]
#: What click hands over for a value flag given without a value (``--agent-contact`` last,
#: or followed by another flag); no real value looks like this.
NO_VALUE = "__image_skill_flag_without_value__"
CONTACT_GUIDANCE = (
    "Signup is anonymous: --agent-contact is optional. Pass it only when a durable inbox the "
    "agent or its operator reads already exists, or attach one later with claim request; "
    "never invent an inbox."
)
ANCHOR = f"{C.DOCS_URL}#image-skill-signup-agent"


def _signup_cmd(app: AppState, *extra: str) -> str:
    return app.render([*C.SIGNUP_SUGGESTED_ARGS[:-1], *extra, "--json"])


def refuse_corrupt_config(label: str, path: Path) -> Result | None:
    """A corrupt config is reported, never silently replaced."""
    from image_skill.cli._app import config_invalid
    from image_skill.config import ConfigError, read_config

    try:
        read_config(path)
    except ConfigError as exc:
        return config_invalid(label, exc.path, exc.reason)
    return None


def config_write_failed(label: str, app: AppState, path: str, reason: str) -> Result:
    """PUBLIC_CLI_CONFIG_WRITE_FAILED with the writable fallback path as recovery."""
    env = [(C.CONFIG_PATH_ENV, "$PWD/.image-skill/config.json")]
    recovery: dict[str, Any] = {
        "config_path_env": C.CONFIG_PATH_ENV,
        "suggested_config_path": "$PWD/.image-skill/config.json",
    }
    if label == "image-skill auth save":
        recovery["suggested_command"] = app.render(
            ["auth", "save", "--token-stdin", "--json"], env=env
        )
    else:
        recovery["suggested_command"] = app.render(list(C.SIGNUP_SUGGESTED_ARGS), env=env)
        recovery["fallback_command"] = _signup_cmd(app, "--show-token", "--no-save")
        recovery["fallback_auth_method"] = "--token-stdin"
    recovery["docs_url"] = f"{C.DOCS_URL}#local-config-and-install"
    return E.error_result(
        label,
        E.PUBLIC_CLI_CONFIG_WRITE_FAILED,
        f"public CLI could not write auth config at {path}: {reason}",
        retryable=True,
        recovery=recovery,
    )


def _contact(agent_contact: str | None, human_email: str | None, app: AppState) -> str | None:
    def fail(message: str) -> CommandFailed:
        return CommandFailed(
            E.invalid(
                LABEL,
                message,
                recovery={
                    "required_flags": REQUIRED,
                    "optional_flags": OPTIONAL,
                    "suggested_command": app.render(list(C.SIGNUP_SUGGESTED_ARGS)),
                    "docs_url": ANCHOR,
                },
            )
        )

    for flag, given in (("agent-contact", agent_contact), ("human-email", human_email)):
        if given == NO_VALUE:
            raise fail(f"{flag} requires a value")
    if agent_contact is not None and human_email is not None:
        if agent_contact.strip().lower() != human_email.strip().lower():
            raise fail("--agent-contact and --human-email name different inboxes; pass one")
    value = agent_contact if agent_contact is not None else human_email
    # An empty inbox is no inbox: the signup stays anonymous.
    return value.strip().lower() if value is not None and value.strip() else None


def resolve_discovery_source(
    flag: str | None, environ: Mapping[str, str] | None = None
) -> str | None:
    """``--discovery-source`` trimmed, else ``IMAGE_SKILL_DISCOVERY_SOURCE`` trimmed, else None
    (a blank flag falls through to the environment; the server checks the slug)."""
    if flag is not None and flag != NO_VALUE and flag.strip():
        return flag.strip()
    env = (os.environ if environ is None else environ).get(C.DISCOVERY_SOURCE_ENV, "")
    return env.strip() or None


@click.command("signup")
@click.option("--agent", is_flag=True, help="Sign up as an agent (required).")
@click.option(
    "--agent-contact",
    metavar="INBOX",
    is_flag=False,
    flag_value=NO_VALUE,
    help="Optional durable inbox of the agent or its operator (omit it rather than invent one).",
)
@click.option(
    "--human-email",
    metavar="INBOX",
    is_flag=False,
    flag_value=NO_VALUE,
    help="Legacy alias of --agent-contact.",
)
@click.option("--agent-name", metavar="NAME", help="A name for this agent.")
@click.option("--runtime", metavar="RUNTIME", help="Where the agent runs (e.g. codex, ci).")
@click.option(
    "--discovery-source",
    metavar="SLUG",
    is_flag=False,
    flag_value=NO_VALUE,
    help="Optional: where you found Image Skill (e.g. npm); else $IMAGE_SKILL_DISCOVERY_SOURCE.",
)
@click.option("--show-token", is_flag=True, help="Print the token once in the result.")
@click.option("--no-save", is_flag=True, help="Do not write the token to the config file.")
@click.option("--save", is_flag=True, help="Compatibility no-op: saving is the default.")
@common_options
def signup(
    agent: bool,
    agent_contact: str | None,
    human_email: str | None,
    agent_name: str | None,
    runtime: str | None,
    discovery_source: str | None,
    show_token: bool,
    no_save: bool,
    save: bool,
) -> Result:
    """Create a restricted agent identity and token, saved to the config file by default."""
    from image_skill.config import ConfigWriteError, probe_writable_no_create, save_token

    app = state()
    if not agent:
        return E.invalid(LABEL, "signup currently requires --agent")
    contact = _contact(agent_contact, human_email, app)
    if agent_name is None or runtime is None:
        return E.invalid(
            LABEL,
            "signup requires --agent-name and --runtime. " + CONTACT_GUIDANCE,
            recovery={
                "required_flags": REQUIRED,
                "optional_flags": OPTIONAL,
                "accepted_aliases": {"--human-email": "--agent-contact"},
                "suggested_command": app.render(list(C.SIGNUP_SUGGESTED_ARGS)),
                "docs_url": ANCHOR,
            },
        )
    if save and no_save:
        return E.invalid(LABEL, "use either --save or --no-save, not both")
    should_save = not no_save
    path = app.config_path()
    if should_save:
        corrupt = refuse_corrupt_config(LABEL, path)
        if corrupt is not None:
            return corrupt
        # Check without creating anything: a signup the server refuses leaves no folder.
        reason = probe_writable_no_create(path)
        if reason is not None:
            return config_write_failed(LABEL, app, str(path), reason)

    client = app.client()
    body = signup_body(contact, agent_name, runtime, should_save or show_token, discovery_source)
    result = app.call(client.signup(body))
    env = E.with_command(result.envelope, LABEL)
    error = env.get("error")
    if isinstance(error, dict) and error.get("message") in LEGACY_CONTACT_MESSAGES:
        error["message"] = (
            "--agent-contact, when given, must be an email-shaped durable inbox (the agent's "
            "own or its operator's); leave it out when no such inbox exists"
        )
        recovery = error.get("recovery") if isinstance(error.get("recovery"), dict) else {}
        assert isinstance(recovery, dict)
        error["recovery"] = {
            **recovery,
            "suggested_command": app.render(list(C.SIGNUP_SUGGESTED_ARGS)),
            "docs_url": ANCHOR,
        }
    warnings = env.get("warnings") if isinstance(env.get("warnings"), list) else []
    assert isinstance(warnings, list)
    env["warnings"] = [w for w in warnings if w != SERVER_TOKEN_WARNING]
    data = env.get("data")
    raw_token = data.get("token") if isinstance(data, dict) else None

    if env.get("ok") and should_save:
        if not isinstance(raw_token, str) or not raw_token.strip():
            return E.error_result(
                LABEL,
                E.AUTH_REQUIRED,
                "signup succeeded but returned no token to save",
                recovery={
                    "suggested_command": _signup_cmd(app, "--show-token", "--no-save"),
                    "docs_url": ANCHOR,
                },
            )
        try:
            save_token(path, raw_token.strip(), app.base_url())
        except ConfigWriteError as exc:
            return config_write_failed(LABEL, app, str(path), exc.reason)
    if env.get("ok") and show_token:
        env["warnings"].append(
            "the token is shown once in data.token; keep it in a secret store and never paste "
            "it into prompts, logs or feedback"
            + ("" if should_save else "; it was not saved, pass it with --token-stdin")
        )
    if isinstance(data, dict):
        env["data"] = _public_data(data, raw_token, show_token, should_save, str(path), app)
    return Result(env, result.exit_code)


def signup_body(
    contact: str | None,
    agent_name: str,
    runtime: str,
    return_token: bool,
    source_flag: str | None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """``POST /v1/agent-signups`` body in the contract's key order (0.1.70 §1.1): no
    ``agent_contact`` for an anonymous signup, ``discovery_source`` only when known."""
    from image_skill.api.requests import SignupRequest

    return SignupRequest(
        agent_contact=contact,
        agent_name=agent_name,
        runtime=runtime,
        return_token=return_token,
        discovery_source=resolve_discovery_source(source_flag, environ),
    ).to_body()


def _public_data(
    data: dict[str, Any],
    raw_token: Any,
    show_token: bool,
    should_save: bool,
    path: str,
    app: AppState,
) -> dict[str, Any]:
    out = {k: v for k, v in data.items() if k != "human_email"}
    if not isinstance(out.get("agent_contact"), str) and isinstance(data.get("human_email"), str):
        out["agent_contact"] = data["human_email"]
    if should_save:
        reason = "token saved to the config file; later commands find it there"
        status = "saved_config_ready"
    elif show_token:
        reason = "token shown once and not saved; hand it over with --token-stdin"
        status = "manual_token_handoff"
    else:
        reason = "token neither saved nor shown; sign up again to get a usable token"
        status = "not_saved"
    storage = out.get("storage") if isinstance(out.get("storage"), dict) else {}
    assert isinstance(storage, dict)
    out["token"] = raw_token if show_token else None
    out["token_presented"] = show_token
    out["storage"] = {
        **storage,
        "saved": should_save,
        "config_path": path if should_save else None,
        "reason": reason,
    }
    # The guide's own signup command passes its prompt along (IMAGE_SKILL_GUIDE_PROMPT).
    prompt = js_trim(os.environ.get(C.GUIDE_PROMPT_ENV, "")) or "PROMPT"
    guide = app.render(["create", "--guide", "--prompt", prompt, "--json"])
    out["auth_handoff"] = {
        "status": status,
        "saved_auth_ready": should_save,
        "accepted_methods": ["config", "IMAGE_SKILL_TOKEN", "--token-stdin"],
        "token_source_after_signup": "config" if should_save else "not_saved",
        "secret_value_included": show_token,
        "raw_token_copy_required": not should_save,
        "rerun_guide_hint": (
            "rerun the guide; it will find the saved token"
            if should_save
            else "rerun the guide with the token on stdin (--token-stdin) or in IMAGE_SKILL_TOKEN"
        ),
        "next_step": guide,
    }
    return out


COMMANDS = [signup]
