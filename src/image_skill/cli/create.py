"""`image-skill create`: generate media, plan a zero-cost dry run, or run the guide.

Checks run in the contract's order (§8.15): prompt, token, reference plan, model parameters,
output count; then reference uploads and ``POST /v1/create``. Every check that can fail runs
before anything is uploaded or spent.

A live create always carries an idempotency key (``--idempotency-key`` or a generated
``create-<ms>-<12 hex>``, named in a warning). Its breadcrumb is written before the request
and its recovery command re-runs the same create with the same key (see
:mod:`image_skill.cli._spend` and :mod:`image_skill.cli.inflight`). Dry runs need no key.

``--output PATH_OR_DIR`` (our addition) downloads the resulting assets in the same call;
the verified downloads are reported under ``data.downloads``.
"""

from __future__ import annotations

import os
from typing import Any

import click

from image_skill import envelope as E
from image_skill.cli import _outputs as O
from image_skill.cli import _spend as S
from image_skill.cli._app import common_options, state
from image_skill.cli._recovery import spend_command
from image_skill.cli.spend_options import spend_options
from image_skill.envelope import Result

LABEL = "image-skill create"
GUIDE_LABEL = "image-skill create --guide"


@click.command("create")
@click.argument("positional", nargs=-1, metavar="[PROMPT]")
@click.option("--guide", is_flag=True, help="Check readiness and suggest the next command.")
@click.option("--prompt", help="What to create.")
@click.option("--prompt-file", metavar="PATH", help="Read the prompt from a UTF-8 file.")
@click.option("--model", help="Model id (see `models list`).")
@click.option("--provider", help="Provider id.")
@click.option("--intent", help="explore, final, ... (guides the default model choice).")
@click.option("--aspect-ratio", metavar="W:H", help='Aspect ratio, default "1:1".')
@click.option("--output-count", metavar="N", help="Number of outputs (positive integer).")
@spend_options("created")
@common_options
def create(
    positional: tuple[str, ...],
    guide: bool,
    prompt: str | None,
    prompt_file: str | None,
    model: str | None,
    provider: str | None,
    intent: str | None,
    aspect_ratio: str | None,
    output_count: str | None,
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
    """Create images, video, audio or 3D from a prompt (or --dry-run to plan at no cost)."""
    app = state()
    has_references = bool(element_frontal or element_reference or reference_image)
    if guide:
        if dry_run:
            return E.invalid(
                GUIDE_LABEL,
                "create --guide never spends, so it takes no --dry-run; run the guide "
                "without it and use the no-spend command it suggests",
            )
        if has_references:
            return E.invalid(
                GUIDE_LABEL,
                "create --guide does not take reference flags; add them to the create "
                "command the guide suggests",
            )
        if output is not None:
            return E.invalid(GUIDE_LABEL, "create --guide writes no media; drop --output")
        parameters = S.json_object(
            app.argv_label(LABEL), "model-parameters-json", model_parameters_json
        )
        from image_skill.cli.guide_run import run_guide

        return run_guide(
            app,
            prompt=prompt,
            positional=positional,
            model=model,
            provider=provider,
            intent=intent,
            max_usd_per_image=max_estimated_usd_per_image,
            model_parameters=parameters,
        )

    if positional:
        return E.invalid(
            LABEL,
            "create takes its prompt from --prompt or --prompt-file, not as an argument "
            "(a bare prompt works only with --guide)",
        )
    if prompt is not None and prompt_file is not None:
        return E.invalid(LABEL, "provide either --prompt or --prompt-file, not both")
    if prompt is None and prompt_file is None:
        return E.invalid(LABEL, "create/edit requires --prompt (or --prompt-file)")
    text = prompt if prompt is not None else S.read_prompt_file(LABEL, str(prompt_file))
    if dry_run and has_references:
        app.resolve_token(app.argv_label(LABEL))
    plans = S.reference_plan(LABEL, element_frontal, element_reference, reference_image)
    token = app.resolve_token(app.argv_label(LABEL), allow_missing=dry_run and not plans).token
    parameters = S.json_object(
        app.argv_label(LABEL), "model-parameters-json", model_parameters_json
    )
    count = S.positive_int(LABEL, "output-count", output_count)
    per_image = S.number(LABEL, "max-estimated-usd-per-image", max_estimated_usd_per_image)
    job_cap = S.number(LABEL, "max-usd", max_usd)
    if output is not None and dry_run:
        return E.invalid(LABEL, "--output downloads created assets; a dry run creates none")
    O.precheck_output(LABEL, output, overwrite, count)

    client = app.client(token)
    warnings: list[str] = []
    resolved = S.resolve_references(app, client, plans, warnings) if token is not None else []

    key = S.live_key("create", idempotency_key, dry_run, warnings)
    body: dict[str, Any] = {"prompt": text}
    S.set_present(body, (("provider", provider), ("model", model), ("intent", intent)))
    body["aspect_ratio"] = aspect_ratio if aspect_ratio is not None else "1:1"
    if resolved:
        body["references"] = [plan.to_reference(asset_id) for plan, asset_id in resolved]
    S.set_present(
        body,
        (
            ("output_count", count),
            ("max_estimated_usd_per_image", per_image),
            ("max_usd", job_cap),
            ("model_parameters", parameters),
            ("idempotency_key", key),
        ),
    )
    body["dry_run"] = dry_run
    body["accept_unknown_cost"] = accept_unknown_cost

    if dry_run:
        result = app.call(client.create(body, auth=token is not None))
        S.add_warnings(result, warnings)
        return result

    assert key is not None
    words = ["create"]
    if prompt_file is not None:
        words += ["--prompt-file", os.path.abspath(prompt_file)]
    else:
        words += ["--prompt", text]
    words += S.flag_words(
        (
            ("--provider", provider),
            ("--model", model),
            ("--intent", intent),
            ("--aspect-ratio", aspect_ratio),
            ("--output-count", output_count),
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
        send=lambda: app.call(client.create(body), recovery_command=recovery_command),
        warnings=warnings,
        output=output,
        overwrite=overwrite,
    )


COMMANDS = [create]
