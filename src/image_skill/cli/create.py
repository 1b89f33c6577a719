"""`image-skill create`: generate media, plan a zero-cost dry run, or run the guide.

Checks run in the contract's order (§8.15): prompt, token, reference plan, model parameters,
output count; then reference uploads and ``POST /v1/create``. Every check that can fail runs
before anything is uploaded or spent.

A live create always carries an idempotency key (``--idempotency-key`` or a generated
``create-<ms>-<12 hex>``, named in a warning). Its breadcrumb is written before the request
and its recovery command re-runs the same create with the same key (see
:mod:`image_skill.cli._spend` and :mod:`image_skill.cli.inflight`). Dry runs need no key.

``--output PATH_OR_DIR`` (our addition) downloads the resulting assets in the same call;
the verified downloads are reported under ``data.downloads``. The options and the shared
request fields are in :mod:`image_skill.cli.job_options`, the body in
:class:`image_skill.api.requests.CreateRequest`.
"""

from __future__ import annotations

from image_skill import envelope as E
from image_skill.cli import _outputs as O
from image_skill.cli import _spend as S
from image_skill.cli import job_options as J
from image_skill.cli._app import AppState, state
from image_skill.envelope import Result

LABEL = "image-skill create"
GUIDE_LABEL = "image-skill create --guide"


@J.job_command("create")
def create(flags: J.JobFlags) -> Result:
    """Create images, video, audio or 3D from a prompt (or --dry-run to plan at no cost)."""
    app = state()
    if flags.guide:
        return _guide(app, flags)
    if flags.positional:
        return E.invalid(
            LABEL,
            "create takes its prompt from --prompt or --prompt-file, not as an argument "
            "(a bare prompt works only with --guide)",
        )
    prompt, prompt_file, dry_run = flags.prompt, flags.prompt_file, flags.dry_run
    if prompt is not None and prompt_file is not None:
        return E.invalid(LABEL, "provide either --prompt or --prompt-file, not both")
    if prompt is None and prompt_file is None:
        return E.invalid(LABEL, "create/edit requires --prompt (or --prompt-file)")
    text = prompt if prompt is not None else S.read_prompt_file(LABEL, str(prompt_file))
    if dry_run and flags.has_references:
        app.resolve_token(app.argv_label(LABEL))
    plans = S.reference_plan(
        LABEL, flags.element_frontal, flags.element_reference, flags.reference_image
    )
    token = app.resolve_token(app.argv_label(LABEL), allow_missing=dry_run and not plans).token
    parameters = J.model_parameters(app, LABEL, flags)
    count = S.positive_int(LABEL, "output-count", flags.output_count)
    limits = J.budgets(LABEL, flags)
    if flags.output is not None and dry_run:
        return E.invalid(LABEL, "--output downloads created assets; a dry run creates none")
    O.precheck_output(LABEL, flags.output, flags.overwrite, count)

    from image_skill.api.requests import CreateRequest

    client = app.client(token)
    warnings: list[str] = []
    resolved = S.resolve_references(app, client, plans, warnings) if token is not None else []
    key = S.live_key("create", flags.idempotency_key, dry_run, warnings)
    request = CreateRequest(
        prompt=text,
        aspect_ratio=flags.aspect_ratio if flags.aspect_ratio is not None else "1:1",
        output_count=count,
        **J.job_fields(flags, parameters=parameters, limits=limits, resolved=resolved, key=key),
    )
    body = request.to_body()
    if dry_run:
        result = app.call(client.create(body, auth=token is not None))
        S.add_warnings(result, warnings)
        return result
    assert key is not None
    return J.spend(
        app,
        client,
        name="create",
        flags=flags,
        head=["create", *J.prompt_words(flags, text)],
        resolved=resolved,
        key=key,
        send=lambda: client.create(body),
        warnings=warnings,
    )


def _guide(app: AppState, flags: J.JobFlags) -> Result:
    if flags.dry_run:
        return E.invalid(
            GUIDE_LABEL,
            "create --guide never spends, so it takes no --dry-run; run the guide "
            "without it and use the no-spend command it suggests",
        )
    if flags.has_references:
        return E.invalid(
            GUIDE_LABEL,
            "create --guide does not take reference flags; add them to the create "
            "command the guide suggests",
        )
    if flags.output is not None:
        return E.invalid(GUIDE_LABEL, "create --guide writes no media; drop --output")
    parameters = J.model_parameters(app, LABEL, flags)
    from image_skill.cli.guide_run import run_guide

    return run_guide(app, **J.guide_inputs(flags), model_parameters=parameters)


COMMANDS = [create]
