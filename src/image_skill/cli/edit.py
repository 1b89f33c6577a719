"""`image-skill edit --input ASSET_ID_OR_PATH_OR_URL`: edit an owned image (contract §8.18).

Order: input present, prompt (model-aware), token, reference plan, every remaining argument
check, then uploads (input, mask, references in plan order) and ``POST /v1/edit``. Unlike the
npm client, ``--model-parameters-json`` and the budgets are checked before any upload, so a
typo never leaves orphan uploads behind.

Local paths and URLs are uploaded first; only asset ids reach ``/v1/edit``. A live edit
carries an idempotency key (given or ``edit-<ms>-<12 hex>``) under a breadcrumb, and its
recovery command re-runs the same edit with the resolved asset ids and the same key. The
options and the shared request fields are in :mod:`image_skill.cli.job_options`, the body in
:class:`image_skill.api.requests.EditRequest`.
"""

from __future__ import annotations

from image_skill import envelope as E
from image_skill.cli import _outputs as O
from image_skill.cli import _spend as S
from image_skill.cli import job_options as J
from image_skill.cli._app import CommandFailed, state
from image_skill.envelope import Result
from image_skill.guide.rows import PROMPTLESS_MODELS  # contract §10.4, plus local.image-to-3d

LABEL = "image-skill edit"


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


@J.job_command("edit")
def edit(flags: J.JobFlags) -> Result:
    """Edit an image (asset id, owned URL, local path or URL), optionally inside a mask."""
    app = state()
    if flags.guide:  # before the input check: the guide says how to get an input (0.1.70 §5)
        from image_skill.cli.guide_run import run_edit_guide

        return run_edit_guide(
            app,
            **J.guide_inputs(flags),
            input_reference=flags.input_,
            model_parameters_json=flags.model_parameters_json,
            dry_run=flags.dry_run,
            has_references=flags.has_references,
            output=flags.output,
        )
    positional, input_ = flags.positional, flags.input_
    source = input_ if input_ is not None else (positional[0] if positional else None)
    if source is None or source == "":
        return E.invalid(LABEL, "edit requires --input ASSET_ID_OR_PATH_OR_URL")
    if len(positional) > (0 if input_ is not None else 1):
        return E.invalid(LABEL, "edit takes one input image; pass extra images as references")
    text = _prompt(flags.prompt, flags.prompt_file, flags.model)
    token = app.resolve_token(app.argv_label(LABEL)).token
    plans = S.reference_plan(
        LABEL, flags.element_frontal, flags.element_reference, flags.reference_image
    )
    parameters = J.model_parameters(app, LABEL, flags)
    limits = J.budgets(LABEL, flags)
    if flags.output is not None and flags.dry_run:
        return E.invalid(LABEL, "--output downloads edited assets; a dry run creates none")
    O.precheck_output(LABEL, flags.output, flags.overwrite, None)

    from image_skill.api.requests import EditRequest

    client = app.client(token)
    warnings: list[str] = []
    input_id = S.resolve_asset(app, client, source, warnings)
    mask = flags.mask
    mask_id = S.resolve_asset(app, client, mask, warnings) if mask is not None else None
    resolved = S.resolve_references(app, client, plans, warnings)
    key = S.live_key("edit", flags.idempotency_key, flags.dry_run, warnings)
    request = EditRequest(
        input_asset_id=input_id,
        mask_asset_id=mask_id,
        prompt=text,
        aspect_ratio=flags.aspect_ratio if flags.aspect_ratio is not None else "auto",
        **J.job_fields(flags, parameters=parameters, limits=limits, resolved=resolved, key=key),
    )
    body = request.to_body()
    if flags.dry_run:
        result = app.call(client.edit(body))
        S.add_warnings(result, warnings)
        return result
    assert key is not None
    head = ["edit", "--input", input_id]
    if mask_id is not None:
        head += ["--mask", mask_id]
    return J.spend(
        app,
        client,
        name="edit",
        flags=flags,
        head=[*head, *J.prompt_words(flags, text)],
        resolved=resolved,
        key=key,
        send=lambda: client.edit(body),
        warnings=warnings,
    )


COMMANDS = [edit]
