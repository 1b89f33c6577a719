"""`image-skill signup --agent`: create a restricted agent token and save it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from image_skill import _constants as C
from image_skill import envelope as E
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
REQUIRED = ["--agent-contact", "--agent-name", "--runtime"]
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
                    "suggested_command": app.render(list(C.SIGNUP_SUGGESTED_ARGS)),
                    "docs_url": ANCHOR,
                },
            )
        )

    if agent_contact is not None and human_email is not None:
        if agent_contact.strip().lower() != human_email.strip().lower():
            raise fail("--agent-contact and --human-email name different inboxes; pass one")
    value = agent_contact if agent_contact is not None else human_email
    return value.strip().lower() if value is not None else None


@click.command("signup")
@click.option("--agent", is_flag=True, help="Sign up as an agent (required).")
@click.option("--agent-contact", metavar="INBOX", help="Durable inbox of the agent or operator.")
@click.option("--human-email", metavar="INBOX", help="Legacy alias of --agent-contact.")
@click.option("--agent-name", metavar="NAME", help="A name for this agent.")
@click.option("--runtime", metavar="RUNTIME", help="Where the agent runs (e.g. codex, ci).")
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
    if contact is None or agent_name is None or runtime is None:
        return E.invalid(
            LABEL,
            "signup requires --agent-contact, --agent-name, and --runtime. The contact is a "
            "durable inbox the agent or its operator reads; it need not be a person's email.",
            recovery={
                "required_flags": REQUIRED,
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
    body = {
        "agent_contact": contact,
        "agent_name": agent_name,
        "runtime": runtime,
        "return_token": should_save or show_token,
    }
    result = app.call(client.signup(body))
    env = E.with_command(result.envelope, LABEL)
    error = env.get("error")
    if isinstance(error, dict) and error.get("message") in LEGACY_CONTACT_MESSAGES:
        error["message"] = (
            "signup needs an email-shaped durable inbox for --agent-contact; it can be the "
            "agent's own inbox or its operator's"
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
    guide = app.render(["create", "--guide", "--prompt", "PROMPT", "--json"])
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
