"""The command templates of ``create --guide`` (digest §8.3), rendered with our prefix.

Every command goes through :func:`image_skill.commands.render` (shlex quoting, our program
prefix, ``--api-base-url`` only when the user passed that flag).

Deliberate difference from the npm guide: an explicit ``--api-base-url`` is carried into
*every* command we render, including the inspection escape hatches, the generic dry run, the
config-write recovery commands and the payment ``next_command`` at ``quota_required``. The
npm guide drops it there (digest §8.4), so an agent following those commands would talk to
the default hosted API instead of the server it was guided against. The quota-stage steps
the agent follows (``self_fund_handoff.payment_commands``) go through :meth:`GuideCommands.pay`
too; only the raw summary ``checks.payments.suggested_commands`` stays verbatim.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from image_skill._constants import SIGNUP_SUGGESTED_ARGS
from image_skill.commands import (
    CONFIG_PATH_ENV,
    SUGGESTED_CONFIG_PATH,
    localize,
    render,
)
from image_skill.guide import fields as f
from image_skill.guide.js import coalesce, display, format_usd
from image_skill.guide.selection import needs_input_image, pricing_of, suggested_aspect_ratio
from image_skill.guide.state import GuideInputs, GuideState

CREATE_KEY_PREFIX = "create-guide-"
EDIT_KEY_PREFIX = "edit-guide-"


class GuideCommands:
    """Renders the guide's command templates (digest §8.3) with our prefix."""

    def __init__(self, inputs: GuideInputs, st: GuideState) -> None:
        api = coalesce(inputs.explicit_api_base_url, inputs.command_ctx.api_base_url)
        self.ctx = replace(inputs.command_ctx, api_base_url=api)
        self.inputs = inputs
        self.st = st
        self.pricing = pricing_of(st.model)

    def guide(self, prompt: str, *, config_fallback: bool = False) -> str:
        env = [(CONFIG_PATH_ENV, SUGGESTED_CONFIG_PATH)] if config_fallback else []
        return render(["create", "--guide", "--prompt", prompt, "--json"], self.ctx, env=env)

    def signup(self, writable: bool) -> str:
        args = ["signup", "--agent", "--agent-contact", "AGENT_OR_OPERATOR_INBOX"]
        args += ["--agent-name", "AGENT_NAME", "--runtime", "RUNTIME_NAME", "--json"]
        env = [] if writable else [(CONFIG_PATH_ENV, SUGGESTED_CONFIG_PATH)]
        return render(args, self.ctx, env=env)

    def recovery(self) -> dict[str, Any]:
        env = [(CONFIG_PATH_ENV, SUGGESTED_CONFIG_PATH)]
        suggested = render(list(SIGNUP_SUGGESTED_ARGS), self.ctx, env=env)
        fallback = render([*SIGNUP_SUGGESTED_ARGS, "--show-token", "--no-save"], self.ctx)
        return f.config_write_recovery(suggested, fallback)

    def pay(self, server_command: str) -> str:
        """A server-provided ``image-skill credits ...`` command, run with our prefix.

        The server's text is kept verbatim; the explicit ``--api-base-url`` goes before a
        trailing ``--json`` (or at the end), unless the server already names one (the local
        backend aims its commands at itself): a second flag is never added.
        """
        return localize(server_command, self.ctx)

    def simple(self, *args: str) -> str:
        return render(list(args), self.ctx)

    def media(self, *, dry_run: bool) -> str:
        model = self.st.model
        assert model is not None
        model_id = word(model.get("id"))
        usd = format_usd(self.pricing.budget_guard(self.st.max_usd))
        key = None if dry_run else self.inputs.idempotency_key
        if needs_input_image(model):
            args = ["edit", *(["--dry-run"] if dry_run else []), "--input", "image_..."]
            args += ["--model", model_id, "--max-estimated-usd-per-image", usd]
            if key is not None:
                args += ["--idempotency-key", edit_key(key)]
        else:
            args = ["create", *(["--dry-run"] if dry_run else [])]
            if self.inputs.provider is not None:
                args += ["--provider", self.inputs.provider]
            args += ["--model", model_id, "--prompt", self.st.prompt]
            args += ["--intent", self.st.intent]
            ratio = suggested_aspect_ratio(model)
            if ratio is not None:
                args += ["--aspect-ratio", word(ratio)]
            args += ["--max-estimated-usd-per-image", usd]
            if key is not None:
                args += ["--idempotency-key", key]
        return render([*args, "--json"], self.ctx)

    def dry_run_hatch(self) -> str:
        if self.st.model is None or self.st.prompt == "":
            return self.simple("create", "--dry-run", "--prompt", "PROMPT", "--json")
        return self.media(dry_run=True)

    def escape_hatches(self) -> dict[str, str]:
        model = self.st.model
        inspection = (
            self.simple("models", "show", word(model.get("id")), "--json")
            if model is not None
            else self.simple("models", "list", "--json")
        )
        return {
            "doctor": self.simple("doctor", "--json"),
            "model_inspection": inspection,
            "payment_methods": self.simple("credits", "methods", "--json"),
            "quota": self.simple("usage", "quota", "--json"),
            "dry_run": self.dry_run_hatch(),
        }


def word(value: Any) -> str:
    return value if isinstance(value, str) else display(value)


def edit_key(key: str) -> str:
    if key.startswith(CREATE_KEY_PREFIX):
        return EDIT_KEY_PREFIX + key[len(CREATE_KEY_PREFIX) :]
    return key
