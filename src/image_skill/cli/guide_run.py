"""I/O side of ``create --guide`` and ``edit --guide``: gather the snapshots, build the guide.

The algorithm itself is the pure :func:`image_skill.guide.build.build_guide`. This module does,
in the contract's order (the guide contract digest, guide.md §2.2 and §8.6):

1. ``GET /healthz``, ``GET /v1/models`` and ``GET /v1/payment-methods``, all without auth;
2. token resolution with a missing token allowed (a ``--token-stdin`` or config failure
   aborts with that failure, after the three reads, like the npm guide);
3. ``GET /v1/quota`` with the token, only when one was found;
4. the config-write probe, only when the stage is ``auth_required``. Unlike the npm guide,
   the probe creates nothing: no directory, and no probe file is left behind
   (:func:`image_skill.config.probe_writable_no_create`).

The guide never sends anything but these GETs, and it answers ``ok: true`` with exit 0 at
every stage, including ``service_unreachable``.

What the pure guide may not read itself is gathered here: the environment the suggested
commands carry (:func:`image_skill.commands.carried_env`), the runtime named in the signup
command (:func:`image_skill.guide.recovery.detect_runtime`), the clock and randomness of the
idempotency key. ``edit --guide`` (0.1.70 §5) runs the same guide with operation ``edit``;
its own pre-flight checks are :func:`run_edit_guide`.
"""

from __future__ import annotations

import dataclasses
import os
from typing import TYPE_CHECKING, Any

from image_skill import envelope as E
from image_skill.envelope import Result

if TYPE_CHECKING:
    from image_skill.cli._app import AppState
    from image_skill.commands import CommandContext
    from image_skill.guide.build import ConfigWriteStatus

LABEL = "image-skill create --guide"
EDIT_LABEL = "image-skill edit --guide"
EDIT_PARAMETERS_LABEL = "image-skill edit"


def _envelope(result: Result) -> dict[str, Any]:
    return result.envelope


def _transport_failed(envelope: dict[str, Any]) -> bool:
    error = envelope.get("error")
    return isinstance(error, dict) and error.get("code") == E.HOSTED_API_REQUEST_FAILED


def guide_command_ctx(app: AppState) -> CommandContext:
    """Our program prefix and explicit ``--api-base-url``, plus the environment every
    suggested command repeats: a set ``IMAGE_SKILL_CONFIG_PATH`` (so the command reads the
    same config) and ``IMAGE_SKILL_DISCOVERY_SOURCE`` (0.1.70 §0.1). A config path that is
    the ``$PWD/.image-skill/config.json`` fallback the guide suggests for an unwritable
    config directory is written in that ``$PWD`` form, as the guide wrote it."""
    from image_skill._constants import CONFIG_PATH_ENV
    from image_skill.commands import SUGGESTED_CONFIG_PATH, carried_env

    ctx = app.command_ctx()
    fallback = os.path.realpath(os.path.join(os.getcwd(), ".image-skill", "config.json"))
    known = {name for name, _ in ctx.env}
    extra = []
    for name, value in carried_env(os.environ):
        if name in known:
            continue
        if name == CONFIG_PATH_ENV and os.path.realpath(value) == fallback:
            value = SUGGESTED_CONFIG_PATH
        extra.append((name, value))
    return ctx._replace(env=(*ctx.env, *extra))


def _probe(path_text: str) -> ConfigWriteStatus:
    from pathlib import Path

    from image_skill.config import probe_writable_no_create
    from image_skill.guide.build import ConfigWriteStatus

    path = Path(path_text)
    reason = probe_writable_no_create(path)
    return ConfigWriteStatus(
        config_path=path_text,
        writable=reason is None,
        error_message=reason,
        parent_path=str(path.parent),
    )


def run_edit_guide(
    app: AppState,
    *,
    positional: tuple[str, ...],
    input_reference: str | None,
    prompt: str | None,
    model: str | None,
    provider: str | None,
    intent: str | None,
    max_usd_per_image: str | None,
    model_parameters_json: str | None,
    dry_run: bool,
    has_references: bool,
    output: str | None,
) -> Result:
    """``edit --guide``: its pre-flight checks (§5), then the guide with operation ``edit``.

    The input is ``--input``, else the first argument; the prompt is ``--prompt``, else the
    next argument. (The npm client takes the first argument as both the prompt and the input
    when neither flag is given; we do not copy that.) ``--mask`` is ignored.
    """
    from image_skill.cli import _spend as S
    from image_skill.guide import text

    if dry_run:
        return E.invalid(EDIT_LABEL, text.E_EDIT_GUIDE_DRY_RUN)
    if has_references:
        return E.invalid(EDIT_LABEL, text.E_EDIT_GUIDE_REFS)
    if output is not None:
        return E.invalid(EDIT_LABEL, text.E_EDIT_GUIDE_OUTPUT)
    parameters = S.json_object(
        EDIT_PARAMETERS_LABEL, "model-parameters-json", model_parameters_json
    )
    rest = positional
    if input_reference is None and rest:
        input_reference, rest = rest[0], rest[1:]
    return run_guide(
        app,
        prompt=prompt,
        positional=rest,
        model=model,
        provider=provider,
        intent=intent,
        max_usd_per_image=max_usd_per_image,
        model_parameters=parameters,
        operation="edit",
        input_reference=input_reference,
    )


def run_guide(
    app: AppState,
    *,
    prompt: str | None,
    positional: tuple[str, ...],
    model: str | None,
    provider: str | None,
    intent: str | None,
    max_usd_per_image: str | None,
    model_parameters: dict[str, Any] | None = None,
    operation: str = "create",
    input_reference: str | None = None,
) -> Result:
    """Run the guide for the current invocation and return its envelope (exit 0)."""
    from image_skill.guide.build import (
        GuideInputs,
        build_guide,
        needs_config_probe,
    )
    from image_skill.guide.recovery import detect_runtime
    from image_skill.payments import new_idempotency_key

    if prompt is None:
        prompt = positional[0] if positional else ""
    client = app.client()
    health = _envelope(app.call(client.health(), label=LABEL))
    unreachable = _transport_failed(health)
    if unreachable:
        # The server did not answer at all: the next reads are still made (the contract
        # reports each of them), but without waiting through the retry back-off again.
        client.max_retries = 0
    models = _envelope(app.call(client.models(), label=LABEL))
    payments = _envelope(app.call(client.payment_methods(), label=LABEL))
    resolution = app.resolve_token(LABEL, allow_missing=True)
    quota = None
    if resolution.token is not None:
        quota_client = app.client(resolution.token)
        if unreachable:
            quota_client.max_retries = 0
        quota = _envelope(app.call(quota_client.quota(), label=LABEL))
    config_path = str(app.config_path())
    inputs = GuideInputs(
        prompt=prompt,
        model=model,
        provider=provider,
        intent=intent,
        max_usd_per_image=max_usd_per_image,
        api_base_url=app.base_url(),
        explicit_api_base_url=app.api_base_url,
        health=health,
        models=models,
        payments=payments,
        token_source=resolution.source if resolution.token is not None else None,
        quota=quota,
        saved_config_path=config_path,
        command_ctx=guide_command_ctx(app),
        idempotency_key=new_idempotency_key("create-guide"),
        operation=operation,
        input_reference=input_reference,
        model_parameters=model_parameters,
        runtime=detect_runtime(os.environ),
    )
    if needs_config_probe(inputs):
        inputs = dataclasses.replace(inputs, config_write=_probe(config_path))
    output = build_guide(inputs)
    label = EDIT_LABEL if operation == "edit" else LABEL
    return E.ok_result(label, output.data, actor=output.actor)
