"""What `create` and `edit` share: their command-line options, the flag values as one
object, the request fields both bodies carry, and the live-spend tail.

Adding a flag that goes into the body:

1. the field, in wire order, in ``CreateRequest`` and/or ``EditRequest``
   (:mod:`image_skill.api.requests`; the backend then accepts and documents it);
2. here: its entry in :data:`OPTIONS`, its name in :data:`OPTION_ORDER` and, when a retry
   must repeat it, :data:`RECOVERY_FLAGS`; a :class:`JobFlags` field;
3. the value into the request: in :func:`job_fields` for both commands, or in the one
   ``CreateRequest(...)`` / ``EditRequest(...)`` call of ``create.py`` / ``edit.py``;
4. a value rule the types cannot state, if any: :mod:`image_skill.local.jobs.validation`.

The help and recovery orders are data because they differ as in the npm client (recovery
commands name ``--provider`` before ``--model`` for create, after it for edit).

Standard library and click only at import time (the CLI imports this module at start-up).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, TypedDict

import click

from image_skill.cli import _spend as S
from image_skill.cli._app import AppState, common_options
from image_skill.cli.spend_options import spend_options
from image_skill.envelope import Result

if TYPE_CHECKING:
    from image_skill.api.client import ImageSkillClient
    from image_skill.api.reply import Reply
    from image_skill.api.requests import Reference
    from image_skill.cli.references import ReferencePlan


class JobFlags(NamedTuple):
    """The raw values of every create/edit option (``None``: not given)."""

    positional: tuple[str, ...] = ()
    guide: bool = False
    prompt: str | None = None
    prompt_file: str | None = None
    model: str | None = None
    provider: str | None = None
    intent: str | None = None
    aspect_ratio: str | None = None
    output_count: str | None = None
    input_: str | None = None
    mask: str | None = None
    model_parameters_json: str | None = None
    max_estimated_usd_per_image: str | None = None
    max_usd: str | None = None
    accept_unknown_cost: bool = False
    dry_run: bool = False
    idempotency_key: str | None = None
    element_frontal: tuple[str, ...] = ()
    element_reference: tuple[str, ...] = ()
    reference_image: tuple[str, ...] = ()
    output: str | None = None
    overwrite: bool = False

    @property
    def has_references(self) -> bool:
        return bool(self.element_frontal or self.element_reference or self.reference_image)

    def given(self, flags: Sequence[str]) -> list[str]:
        """``[flag, value, ...]`` for each of ``flags`` (``--max-usd``) that was given."""
        return S.flag_words([(flag, getattr(self, _attr(flag))) for flag in flags])


def _attr(flag: str) -> str:
    name = flag.removeprefix("--").replace("-", "_")
    return "input_" if name == "input" else name


_Help = str | dict[str, str]

#: ``--flag``: (metavar, help; a dict gives the help per command).
OPTIONS: dict[str, tuple[str | None, _Help]] = {
    "--input": ("ASSET_ID_OR_PATH_OR_URL", "Image to edit."),
    "--prompt": (None, {"create": "What to create.", "edit": "What to change."}),
    "--prompt-file": ("PATH", "Read the prompt from a UTF-8 file."),
    "--mask": ("ASSET_ID_OR_PATH_OR_URL", "Mask: edit only where white."),
    "--model": (
        None,
        {
            "create": "Model id (see `models list`).",
            "edit": "Edit model id (see `models list --operation image.edit`).",
        },
    ),
    "--provider": (None, "Provider id."),
    "--intent": (
        None,
        {
            "create": "explore, final, ... (guides the default model choice).",
            "edit": "Intent (guides the default model choice).",
        },
    ),
    "--aspect-ratio": (
        "W:H",
        {"create": 'Aspect ratio, default "1:1".', "edit": 'Aspect ratio, default "auto".'},
    ),
    "--output-count": ("N", "Number of outputs (positive integer)."),
}
#: Each command's own options, in help order (the shared spend options follow them).
OPTION_ORDER = {
    "create": (
        "--prompt",
        "--prompt-file",
        "--model",
        "--provider",
        "--intent",
        "--aspect-ratio",
        "--output-count",
    ),
    "edit": (
        "--input",
        "--prompt",
        "--prompt-file",
        "--mask",
        "--model",
        "--provider",
        "--intent",
        "--aspect-ratio",
    ),
}
#: The flags a recovery command repeats as given, in its order, after the input and prompt.
RECOVERY_FLAGS = {
    "create": (
        "--provider",
        "--model",
        "--intent",
        "--aspect-ratio",
        "--output-count",
        "--max-estimated-usd-per-image",
        "--max-usd",
        "--model-parameters-json",
    ),
    "edit": (
        "--model",
        "--provider",
        "--intent",
        "--aspect-ratio",
        "--max-estimated-usd-per-image",
        "--max-usd",
        "--model-parameters-json",
    ),
}
_COMMAND = {
    "create": ("[PROMPT]", "Check readiness and suggest the next command.", "created"),
    "edit": (
        "[ASSET_ID_OR_PATH_OR_URL]",
        "Check readiness and suggest the next edit command.",
        "edited",
    ),
}


def job_command(name: str) -> Callable[[Callable[[JobFlags], Result]], click.Command]:
    """``@job_command("create")``: the click command ``name`` with its options; the
    function receives the values as one :class:`JobFlags`."""
    metavar, guide_help, noun = _COMMAND[name]

    def decorate(func: Callable[[JobFlags], Result]) -> click.Command:
        @functools.wraps(func)
        def callback(**values: Any) -> Result:
            return func(JobFlags(**values))

        wrapped: Callable[..., Any] = spend_options(noun)(common_options(callback))
        for flag in reversed(OPTION_ORDER[name]):
            option_metavar, text = OPTIONS[flag]
            wrapped = click.option(
                flag,
                _attr(flag),
                metavar=option_metavar,
                help=text if isinstance(text, str) else text[name],
            )(wrapped)
        wrapped = click.option("--guide", is_flag=True, help=guide_help)(wrapped)
        wrapped = click.argument("positional", nargs=-1, metavar=metavar)(wrapped)
        return click.command(name)(wrapped)

    return decorate


class GuideInputs(TypedDict):
    """What both guides read from the flags."""

    positional: tuple[str, ...]
    prompt: str | None
    model: str | None
    provider: str | None
    intent: str | None
    max_usd_per_image: str | None


def guide_inputs(flags: JobFlags) -> GuideInputs:
    return GuideInputs(
        positional=flags.positional,
        prompt=flags.prompt,
        model=flags.model,
        provider=flags.provider,
        intent=flags.intent,
        max_usd_per_image=flags.max_estimated_usd_per_image,
    )


# -- the request -----------------------------------------------------------------------


class Budgets(NamedTuple):
    """The parsed budget flags."""

    max_estimated_usd_per_image: int | float | None
    max_usd: int | float | None


def budgets(label: str, flags: JobFlags) -> Budgets:
    return Budgets(
        S.number(label, "max-estimated-usd-per-image", flags.max_estimated_usd_per_image),
        S.number(label, "max-usd", flags.max_usd),
    )


def model_parameters(app: AppState, label: str, flags: JobFlags) -> dict[str, Any] | None:
    return S.json_object(
        app.argv_label(label), "model-parameters-json", flags.model_parameters_json
    )


class JobFields(TypedDict):
    """The request fields create and edit share, as given or parsed."""

    provider: str | None
    model: str | None
    intent: str | None
    references: list[Reference] | None
    max_estimated_usd_per_image: int | float | None
    max_usd: int | float | None
    model_parameters: dict[str, Any] | None
    idempotency_key: str | None
    dry_run: bool
    accept_unknown_cost: bool


def job_fields(
    flags: JobFlags,
    *,
    parameters: dict[str, Any] | None,
    limits: Budgets,
    resolved: Sequence[tuple[ReferencePlan, str]],
    key: str | None,
) -> JobFields:
    """The shared fields of a :class:`~image_skill.api.requests.CreateRequest` or
    :class:`~image_skill.api.requests.EditRequest` body."""
    from image_skill.api.requests import Reference

    references = [Reference(**plan.to_reference(asset_id)) for plan, asset_id in resolved]
    return JobFields(
        provider=flags.provider,
        model=flags.model,
        intent=flags.intent,
        references=references or None,
        max_estimated_usd_per_image=limits.max_estimated_usd_per_image,
        max_usd=limits.max_usd,
        model_parameters=parameters,
        idempotency_key=key,
        dry_run=flags.dry_run,
        accept_unknown_cost=flags.accept_unknown_cost,
    )


# -- the live spend ---------------------------------------------------------------------


def prompt_words(flags: JobFlags, text: str | None) -> list[str]:
    """How a recovery command passes the prompt: the file (absolute) it came from, else the
    text; nothing for a promptless edit."""
    if text is None:
        return []
    if flags.prompt_file is not None:
        return ["--prompt-file", os.path.abspath(flags.prompt_file)]
    return ["--prompt", text]


def spend(
    app: AppState,
    client: ImageSkillClient,
    *,
    name: str,
    flags: JobFlags,
    head: Sequence[str],
    resolved: Sequence[tuple[ReferencePlan, str]],
    key: str,
    send: Callable[[], Reply],
    warnings: Sequence[str],
) -> Result:
    """Run a live create/edit under its breadcrumb and download ``--output``.

    ``head`` are the recovery words before the repeated flags (command, input, prompt);
    ``send()`` makes the request and returns the client's reply.
    """
    from image_skill.cli._recovery import spend_command

    words = [*head, *flags.given(RECOVERY_FLAGS[name])]
    words += S.recovery_tail(
        resolved,
        accept_unknown_cost=flags.accept_unknown_cost,
        output=flags.output,
        overwrite=flags.overwrite,
        key=key,
    )
    recovery_command = spend_command(app, words)
    return S.spend_and_download(
        app,
        client,
        label=f"image-skill {name}",
        key=key,
        words=words,
        recovery_command=recovery_command,
        send=lambda: app.call(send(), recovery_command=recovery_command),
        warnings=warnings,
        output=flags.output,
        overwrite=flags.overwrite,
    )
