"""`image-skill models [list|show]`: the model registry (no auth, tokens are never sent)."""

from __future__ import annotations

from typing import Any

import click

from image_skill import envelope as E
from image_skill.cli._app import CommandFailed, common_options, state
from image_skill.envelope import Result


class StrictGroup(click.Group):
    """A group whose unknown subcommand word is an ``INVALID_ARGUMENTS`` envelope.

    ``unknown`` is ``(label, message)`` of that failure.
    """

    def __init__(self, *args: Any, unknown: tuple[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unknown = unknown

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.commands:
            raise CommandFailed(E.invalid(*self.unknown))
        return super().resolve_command(ctx, args)


def models_query(
    *,
    available: bool = False,
    executable: bool = False,
    catalog_only: bool = False,
    details: bool = False,
    operation: str | None = None,
    modality: str | None = None,
    provider: str | None = None,
    query: str | None = None,
) -> list[tuple[str, str]]:
    """`GET /v1/models` query pairs in the contract order (0.1.70 §3.1); blank strings are
    left out and ``--summary`` is never sent."""
    params: list[tuple[str, str]] = []
    for name, flag in (
        ("available", available),
        ("executable", executable),
        ("catalog_only", catalog_only),
        ("details", details),
    ):
        if flag:
            params.append((name, "true"))
    texts = (("operation", operation), ("modality", modality), ("provider", provider))
    for name, value in (*texts, ("query", query)):
        if value is not None and value.strip():
            params.append((name, value.strip()))
    return params


_FLAGS = ("available", "executable", "catalog_only", "summary", "details")


def _list_options(func: Any) -> Any:
    options = [
        click.option("--available", is_flag=True, help="Only rows that can run now."),
        click.option("--executable", is_flag=True, help="Rows wired to run, whatever status."),
        click.option("--catalog-only", is_flag=True, help="Only inspect-only catalog rows."),
        click.option("--operation", metavar="OPERATION", help="e.g. image.generate, image.edit."),
        click.option("--modality", metavar="MODALITY", help="image, video, audio or 3d."),
        click.option("--provider", metavar="PROVIDER", help="e.g. fal, xai, openai."),
        click.option(
            "--query",
            metavar="QUERY",
            help="Search ids, names, providers, operations, tags and aliases (server-side).",
        ),
        click.option(
            "--summary", is_flag=True, help="Compact rows (the default; kept for 0.1.30)."
        ),
        click.option("--details", is_flag=True, help="Full rows with every capability schema."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _list(label: str, flags: dict[str, Any]) -> Result:
    app = state()
    if flags.get("summary") and flags.get("details"):
        return E.invalid(label, "models list --summary cannot be combined with --details")
    if flags.get("catalog_only") and (flags.get("available") or flags.get("executable")):
        return E.invalid(
            label, "models list --catalog-only cannot be combined with --available or --executable"
        )
    params = models_query(
        available=bool(flags.get("available")),
        executable=bool(flags.get("executable")),
        catalog_only=bool(flags.get("catalog_only")),
        details=bool(flags.get("details")),
        operation=flags.get("operation"),
        modality=flags.get("modality"),
        provider=flags.get("provider"),
        query=flags.get("query"),
    )
    result = app.call(app.client().models(params))
    # Compact rows unless --details; a list the server compacted already passes through.
    if not flags.get("details") and isinstance(result.envelope.get("data"), dict):
        from image_skill.cli.summary import summarize_models

        result.envelope["data"] = summarize_models(result.envelope["data"], render=app.render)
    return result


def _merge(ctx: click.Context, own: dict[str, Any]) -> dict[str, Any]:
    """Flags given before `list` (on the group) plus the subcommand's own."""
    merged = dict(ctx.meta.get("models_flags", {}))
    for key, value in own.items():
        if key in _FLAGS:
            merged[key] = bool(merged.get(key)) or bool(value)
        elif value is not None:
            merged[key] = value
    return merged


@click.group(
    "models",
    cls=StrictGroup,
    unknown=("image-skill models", "models supports list or show"),
    invoke_without_command=True,
)
@_list_options
@common_options
@click.pass_context
def models(ctx: click.Context, /, **flags: Any) -> Result | None:
    """List models (bare `models` is `models list`) or show one model's full schema."""
    if ctx.invoked_subcommand is None:
        return _list("image-skill models", flags)
    ctx.meta["models_flags"] = flags
    return None


@models.command("list")
@_list_options
@common_options
@click.pass_context
def models_list(ctx: click.Context, /, **flags: Any) -> Result:
    """List models as compact rows (executable first); --details for full rows."""
    return _list("image-skill models list", _merge(ctx, flags))


@models.command("show")
@click.argument("model_id", nargs=-1)
@common_options
def models_show(model_id: tuple[str, ...]) -> Result:
    """Show one model (MODEL_ID, `default`, or a known alias such as nano-banana)."""
    label = "image-skill models show"
    if len(model_id) != 1:
        return E.invalid(label, "models show requires exactly one MODEL_ID")
    app = state()
    return app.call(app.client().model(model_id[0]))


COMMANDS = [models]
