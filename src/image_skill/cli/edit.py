"""`image-skill edit --input ASSET_ID_OR_PATH_OR_URL`: edit an owned image (contract §8.18).

Order: input present, prompt (model-aware), token, reference plan, every remaining argument
check, then uploads (input, mask, references in plan order) and ``POST /v1/edit``. Unlike the
npm client, ``--model-parameters-json`` and the budgets are checked before any upload, so a
typo never leaves orphan uploads behind.

Local paths and URLs are uploaded first; only asset ids reach ``/v1/edit``. A live edit
carries an idempotency key (given or ``edit-<ms>-<12 hex>``) under a breadcrumb, and its
recovery command re-runs the same edit with the resolved asset ids and the same key.
"""

from __future__ import annotations

import os
from typing import Any

import click

from image_skill import envelope as E
from image_skill.cli import _outputs as O
from image_skill.cli import _spend as S
from image_skill.cli._app import CommandFailed, common_options, state
from image_skill.cli._recovery import spend_command
from image_skill.cli.spend_options import spend_options
from image_skill.envelope import Result

LABEL = "image-skill edit"
#: Models that take no prompt (contract §10.4) plus the local backend's image-to-3D model.
PROMPTLESS_MODELS = frozenset(
    {
        "fal.flux-dev-redux",
        "fal.flux-krea-redux",
        "fal.flux-schnell-redux",
        "fal.trellis-image-to-3d",
        "local.image-to-3d",
    }
)


def _prompt(prompt: str | None, prompt_file: str | None, model: str | None) -> str | None:
    """The prompt to send (trimmed), or None for a promptless model."""
    if prompt is not None and prompt_file is not None:
        raise _fail("provide either --prompt or --prompt-file, not both")
    text = prompt if prompt_file is None else S.read_prompt_file(LABEL, prompt_file)
    if model in PROMPTLESS_MODELS:
        if text is not None and text.strip():
            raise _fail(f"model {model} does not accept --prompt")
        return None
    if text is None:
        raise _fail("edit requires --prompt (or --prompt-file)")
    if not text.strip():
        raise _fail("edit prompt cannot be empty")
    return text.strip()


def _fail(message: str) -> CommandFailed:
    return CommandFailed(E.invalid(LABEL, message))


@click.command("edit")
@click.argument("positional", nargs=-1, metavar="[ASSET_ID_OR_PATH_OR_URL]")
@click.option("--guide", is_flag=True, help="Check readiness and suggest the next edit command.")
@click.option("--input", "input_", metavar="ASSET_ID_OR_PATH_OR_URL", help="Image to edit.")
@click.option("--prompt", help="What to change.")
@click.option("--prompt-file", metavar="PATH", help="Read the prompt from a UTF-8 file.")
@click.option("--mask", metavar="ASSET_ID_OR_PATH_OR_URL", help="Mask: edit only where white.")
@click.option("--model", help="Edit model id (see `models list --operation image.edit`).")
@click.option("--provider", help="Provider id.")
@click.option("--intent", help="Intent (guides the default model choice).")
@click.option("--aspect-ratio", metavar="W:H", help='Aspect ratio, default "auto".')
@spend_options("edited")
@common_options
def edit(
    positional: tuple[str, ...],
    guide: bool,
    input_: str | None,
    prompt: str | None,
    prompt_file: str | None,
    mask: str | None,
    model: str | None,
    provider: str | None,
    intent: str | None,
    aspect_ratio: str | None,
    model_parameters_json: str | None,
    max_estimated_usd_per_image: str | None,
    max_usd: str | None,
    accept_unknown_cost: bool,
    dry_run: bool,
    idempotency_key: str | None,
    element_frontal: tuple[str, ...],
    element_reference: tuple[str, ...],
    reference_image: tuple[str, ...],
    output: str | None,
    overwrite: bool,
) -> Result:
    """Edit an image (asset id, owned URL, local path or URL), optionally inside a mask."""
    app = state()
    if guide:  # before the input check: the guide says how to get an input (0.1.70 §5)
        from image_skill.cli.guide_run import run_edit_guide

        return run_edit_guide(
            app,
            positional=positional,
            input_reference=input_,
            prompt=prompt,
            model=model,
            provider=provider,
            intent=intent,
            max_usd_per_image=max_estimated_usd_per_image,
            model_parameters_json=model_parameters_json,
            dry_run=dry_run,
            has_references=bool(element_frontal or element_reference or reference_image),
            output=output,
        )
    source = input_ if input_ is not None else (positional[0] if positional else None)
    if source is None or source == "":
        return E.invalid(LABEL, "edit requires --input ASSET_ID_OR_PATH_OR_URL")
    if len(positional) > (0 if input_ is not None else 1):
        return E.invalid(LABEL, "edit takes one input image; pass extra images as references")
    text = _prompt(prompt, prompt_file, model)
    token = app.resolve_token(app.argv_label(LABEL)).token
    plans = S.reference_plan(LABEL, element_frontal, element_reference, reference_image)
    parameters = S.json_object(
        app.argv_label(LABEL), "model-parameters-json", model_parameters_json
    )
    per_image = S.number(LABEL, "max-estimated-usd-per-image", max_estimated_usd_per_image)
    job_cap = S.number(LABEL, "max-usd", max_usd)
    if output is not None and dry_run:
        return E.invalid(LABEL, "--output downloads edited assets; a dry run creates none")
    O.precheck_output(LABEL, output, overwrite, None)

    client = app.client(token)
    warnings: list[str] = []
    input_id = S.resolve_asset(app, client, source, warnings)
    mask_id = S.resolve_asset(app, client, mask, warnings) if mask is not None else None
    resolved = S.resolve_references(app, client, plans, warnings)

    key = S.live_key("edit", idempotency_key, dry_run, warnings)
    body: dict[str, Any] = {"input_asset_id": input_id}
    if mask_id is not None:
        body["mask_asset_id"] = mask_id
    if resolved:
        body["references"] = [plan.to_reference(asset_id) for plan, asset_id in resolved]
    S.set_present(
        body, (("prompt", text), ("provider", provider), ("model", model), ("intent", intent))
    )
    body["aspect_ratio"] = aspect_ratio if aspect_ratio is not None else "auto"
    S.set_present(
        body,
        (
            ("max_estimated_usd_per_image", per_image),
            ("max_usd", job_cap),
            ("model_parameters", parameters),
        ),
    )
    if dry_run:
        body["dry_run"] = True
    S.set_present(body, (("idempotency_key", key),))
    body["accept_unknown_cost"] = accept_unknown_cost

    if dry_run:
        result = app.call(client.edit(body))
        S.add_warnings(result, warnings)
        return result

    assert key is not None
    words = ["edit", "--input", input_id]
    if mask_id is not None:
        words += ["--mask", mask_id]
    if prompt_file is not None and text is not None:
        words += ["--prompt-file", os.path.abspath(prompt_file)]
    elif text is not None:
        words += ["--prompt", text]
    words += S.flag_words(
        (
            ("--model", model),
            ("--provider", provider),
            ("--intent", intent),
            ("--aspect-ratio", aspect_ratio),
            ("--max-estimated-usd-per-image", max_estimated_usd_per_image),
            ("--max-usd", max_usd),
            ("--model-parameters-json", model_parameters_json),
        )
    )
    words += S.recovery_tail(
        resolved,
        accept_unknown_cost=accept_unknown_cost,
        output=output,
        overwrite=overwrite,
        key=key,
    )
    recovery_command = spend_command(app, words)
    return S.spend_and_download(
        app,
        client,
        label=LABEL,
        key=key,
        words=words,
        recovery_command=recovery_command,
        send=lambda: app.call(client.edit(body), recovery_command=recovery_command),
        warnings=warnings,
        output=output,
        overwrite=overwrite,
    )


COMMANDS = [edit]
