"""The command templates of the guide (0.1.70 §4.7-§4.9, §4.16), rendered with our prefix.

Every command goes through :func:`image_skill.commands.render` (shlex quoting, our program
prefix, ``--api-base-url`` only when the user passed that flag, and the environment
assignments of ``command_ctx.env``: a non-default ``IMAGE_SKILL_CONFIG_PATH`` and
``IMAGE_SKILL_DISCOVERY_SOURCE``, carried the way 0.1.70 carries them in its prefix).

Replayed guide commands keep what the user asked for: the prompt, the edit guide's
``--input``, ``--model`` as typed, ``--provider``, ``--intent`` (only when given),
``--max-estimated-usd-per-image`` and the user's ``--model-parameters-json``.

Deliberate differences from the npm guide:

* an explicit ``--api-base-url`` is carried into *every* command we render, including the
  inspection escape hatches, the generic dry run, the config-write recovery commands and the
  payment commands; the npm guide drops it there, so following them would reach the default
  hosted API instead of the server the guide was run against;
* the signup command names a real agent name and runtime instead of the ``AGENT_NAME`` /
  ``RUNTIME_NAME`` placeholders, so it runs as printed (signup is anonymous since 0.1.38);
* the ready-stage create/edit command carries ``--output .``: the result is saved in the
  working directory under a free file name, never over an existing file.
"""

from __future__ import annotations

from typing import Any

from image_skill._constants import CONFIG_PATH_ENV, GUIDE_PROMPT_ENV
from image_skill._js import coalesce, display, format_usd, js_stringify, js_trim
from image_skill.commands import (
    SUGGESTED_CONFIG_PATH,
    CommandContext,
    render,
    runnable_server_command,
)
from image_skill.guide import fields as f
from image_skill.guide.rows import needs_input, promptless
from image_skill.guide.selection import suggested_aspect_ratio
from image_skill.guide.state import DEFAULT_INTENT, GuideInputs, GuideState

CREATE_KEY_PREFIX = "create-guide-"
EDIT_KEY_PREFIX = "edit-guide-"
INPUT_PLACEHOLDER = "image_..."


def with_config_fallback(env: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """``env`` with ``IMAGE_SKILL_CONFIG_PATH`` set to ``$PWD/.image-skill/config.json``
    (in place when it is already there, else first)."""
    pair = (CONFIG_PATH_ENV, SUGGESTED_CONFIG_PATH)
    if any(name == CONFIG_PATH_ENV for name, _ in env):
        return tuple(pair if name == CONFIG_PATH_ENV else (name, v) for name, v in env)
    return (pair, *env)


class GuideCommands:
    """Renders the guide's command templates with our prefix.

    ``config_fallback``: the config path cannot be written (``auth_required`` only), so every
    command carries ``IMAGE_SKILL_CONFIG_PATH="$PWD/.image-skill/config.json"`` (§4.9).
    """

    def __init__(self, inputs: GuideInputs, st: GuideState, *, config_fallback: bool = False):
        api = coalesce(inputs.explicit_api_base_url, inputs.command_ctx.api_base_url)
        #: the environment-only context (``checks.quota.top_up`` never gets the fallback)
        self.env_ctx = inputs.command_ctx._replace(api_base_url=api)
        env = self.env_ctx.env
        self.ctx = self.env_ctx._replace(env=with_config_fallback(env) if config_fallback else env)
        self.inputs = inputs
        self.st = st
        self.pricing = st.pricing
        self.op = "edit" if inputs.edit_guide else "create"

    # -- the user's own flags -----------------------------------------------------------------
    def _input(self) -> str | None:
        raw = self.inputs.input_reference
        if not self.inputs.edit_guide or raw is None:
            return None
        text = js_trim(raw)
        return text or None

    def _parameters_json(self) -> list[str]:
        params = self.inputs.model_parameters
        return [] if params is None else ["--model-parameters-json", js_stringify(params)]

    def _budget(self) -> str:
        return format_usd(self.pricing.budget_guard(self.st.max_usd))

    # -- templates ------------------------------------------------------------------------------
    def guide(self, prompt: str) -> str:
        """GUIDE(p): the guide again, with every flag the user gave."""
        args = [self.op, "--guide", "--prompt", prompt]
        source = self._input()
        if source is not None:
            args += ["--input", source]
        for flag, value in (
            ("--model", self.inputs.model),
            ("--provider", self.inputs.provider),
            ("--intent", self.inputs.intent),
        ):
            if value:
                args += [flag, value]
        if self.st.max_usd is not None:
            args += ["--max-estimated-usd-per-image", format_usd(self.st.max_usd)]
        args += self._parameters_json()
        return render([*args, "--json"], self.ctx)

    def _signup_args(self) -> list[str]:
        return [
            "signup",
            "--agent",
            "--agent-name",
            self.inputs.agent_name,
            "--runtime",
            self.inputs.runtime,
        ]

    def _with_prompt(self, ctx: CommandContext) -> CommandContext:
        """``ctx`` plus ``IMAGE_SKILL_GUIDE_PROMPT``, so signup's ``next_step`` reruns the
        create guide with this prompt instead of a ``PROMPT`` placeholder (ours)."""
        if self.op != "create" or not self.st.prompt:
            return ctx
        return ctx._replace(env=(*ctx.env, (GUIDE_PROMPT_ENV, self.st.prompt)))

    def signup(self) -> str:
        """SIGNUP with real values: an anonymous signup that runs as printed."""
        return render([*self._signup_args(), "--json"], self._with_prompt(self.ctx))

    def recovery(self) -> dict[str, Any]:
        """The config-write recovery (§4.9), with the same filled-in signup."""
        fallback_ctx = self.env_ctx._replace(env=with_config_fallback(self.env_ctx.env))
        suggested = render([*self._signup_args(), "--json"], self._with_prompt(fallback_ctx))
        no_save_args = [*self._signup_args(), "--json", "--show-token", "--no-save"]
        no_save = render(no_save_args, self._with_prompt(self.env_ctx))
        return f.config_write_recovery(suggested, no_save)

    def pay(self, server_command: str) -> str | None:
        """A server-provided ``image-skill ...`` command, made runnable here.

        Rebuilt from its words like every command of a reply (our prefix, our explicit
        ``--api-base-url`` in place of any the server named, each word quoted); None when it
        is not plain words or not one of our commands, so it is never offered as runnable.
        """
        return runnable_server_command(server_command, self.ctx)

    def env_pay(self, server_command: str) -> str | None:
        """:meth:`pay` with the environment-only context (``checks.quota.top_up``)."""
        return runnable_server_command(server_command, self.env_ctx)

    def simple(self, *args: str) -> str:
        return render(list(args), self.ctx)

    def media(self, *, dry_run: bool) -> str:
        """CREATE or EDITIMG for the selected model; the live form gets the key and --output."""
        model = self.st.model
        assert model is not None
        model_id = word(model.get("id"))
        key = None if dry_run else self.inputs.idempotency_key
        output = None if dry_run else self.inputs.output
        if needs_input(model):
            args = ["edit", *(["--dry-run"] if dry_run else [])]
            args += ["--input", self._input() or INPUT_PLACEHOLDER, "--model", model_id]
            if not promptless(model) and self.st.prompt:
                args += ["--prompt", self.st.prompt]
            args += ["--max-estimated-usd-per-image", self._budget(), *self._parameters_json()]
            if key is not None:
                args += ["--idempotency-key", edit_key(key)]
        else:
            args = ["create", *(["--dry-run"] if dry_run else [])]
            if self.inputs.provider:
                args += ["--provider", self.inputs.provider]
            args += ["--model", model_id, "--prompt", self.st.prompt]
            args += ["--intent", self.st.intent or DEFAULT_INTENT]
            ratio = suggested_aspect_ratio(model)
            if ratio is not None:
                args += ["--aspect-ratio", word(ratio)]
            args += ["--max-estimated-usd-per-image", self._budget(), *self._parameters_json()]
            if key is not None:
                args += ["--idempotency-key", key]
        if output is not None:
            args += ["--output", output]
        return render([*args, "--json"], self.ctx)

    def generic_dry_run(self) -> str:
        if self.inputs.edit_guide:
            args = ["edit", "--dry-run", "--input", INPUT_PLACEHOLDER, "--prompt", "PROMPT"]
        else:
            args = ["create", "--dry-run", "--prompt", "PROMPT"]
        return render([*args, "--json"], self.ctx)

    def dry_run_hatch(self) -> str:
        model = self.st.model
        if model is None or (self.st.prompt == "" and not promptless(model)):
            return self.generic_dry_run()
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
