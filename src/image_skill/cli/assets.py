"""`image-skill assets show|get ASSET_ID_OR_URL`: inspect or download an owned asset.

A reference is an asset id, a hosted media URL, or a media URL of the configured backend
(contract §10.5 plus our owned-URL addition); anything else is ``INVALID_ARGUMENTS``.
`get` downloads through :mod:`image_skill.files.downloads`: verified and atomic, never over an
existing file without ``--overwrite``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from image_skill import envelope as E
from image_skill.cli._app import CommandFailed, common_options, state
from image_skill.cli._outputs import assets_get_words
from image_skill.cli._token_first import TokenFirstGroup, require_subcommand
from image_skill.envelope import Result

if TYPE_CHECKING:
    from image_skill.api.client import ImageSkillClient
    from image_skill.files.refs import AssetReference

GROUP_LABEL = "image-skill assets"


@click.group("assets", cls=TokenFirstGroup, unknown=(GROUP_LABEL, "assets requires show or get"))
@common_options
@click.pass_context
def assets(ctx: click.Context) -> None:
    """Inspect (show) or download (get) an asset by id or owned media URL."""
    require_subcommand(ctx)


def _reference_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--id", "id_", metavar="ASSET_ID_OR_URL", help="Same as the argument.")(
        func
    )
    return click.argument("reference", required=False, metavar="ASSET_ID_OR_URL")(func)


def _resolve(
    reference: str | None, id_: str | None
) -> tuple[ImageSkillClient, str, AssetReference]:
    """Validate the reference, then require a token; return the client and the reference."""
    from image_skill.files.refs import recognize_asset_reference

    app = state()
    raw = reference if reference is not None else id_
    if raw is None or raw == "":
        raise CommandFailed(E.invalid(GROUP_LABEL, "assets requires an asset id or URL"))
    client = app.client(None)
    recognized = recognize_asset_reference(raw, client.is_own_url)
    if recognized is None:
        raise CommandFailed(
            E.invalid(
                GROUP_LABEL,
                "assets accepts Image Skill asset ids, media.image-skill.com URLs and media "
                "URLs of the configured API",
            )
        )
    client.token = app.resolve_token(GROUP_LABEL).token
    return client, raw, recognized


@assets.command("show")
@_reference_options
@common_options
def assets_show(reference: str | None, id_: str | None) -> Result:
    """Show an asset's metadata (URL, MIME type, size, dimensions, sha256)."""
    client, _, recognized = _resolve(reference, id_)
    return state().call(client.asset(recognized.asset_id))


@assets.command("get")
@_reference_options
@click.option(
    "--output",
    metavar="PATH_OR_DIR",
    help="File to write, or a directory (existing, or ending in /) for a derived name.",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing file at the output path.")
@common_options
def assets_get(
    reference: str | None, id_: str | None, output: str | None, overwrite: bool
) -> Result:
    """Download an asset to a local file, verified against its size and sha256."""
    from image_skill.files.downloads import DownloadError, derive_output_path, download_asset

    label = "image-skill assets get"
    client, raw, recognized = _resolve(reference, id_)
    result = state().call(client.asset(recognized.asset_id))
    if not result.ok:
        return result
    data = result.data
    asset = data.get("asset", data) if isinstance(data, dict) else None
    url = asset.get("url") if isinstance(asset, dict) else None
    if not isinstance(asset, dict) or not isinstance(url, str) or not url:
        return E.error_result(
            label, E.PUBLIC_CLI_FAILED, "the asset metadata has no download url", retryable=True
        )
    target = derive_output_path(asset, output, Path.cwd())
    try:
        with state().out.progress(f"downloading {target.name}") as progress:
            info = download_asset(
                client,
                asset,
                url,
                target,
                overwrite=overwrite,
                progress=progress,
                timeout=state().timeout,
            )
    except DownloadError as exc:
        retry: dict[str, Any] = {}
        if exc.retryable:
            retry["suggested_command"] = state().render(assets_get_words(raw, target, overwrite))
        return exc.to_result(label, recovery=retry)
    envelope = E.with_command(result.envelope, label)
    rebuilt: dict[str, Any] = {
        "request": {"reference": raw, "reference_type": recognized.reference_type},
        "asset": asset,
        "download": info,
    }
    if isinstance(data, dict) and "next_actions" in data:
        # The metadata reply's next actions (a self-fund handoff) stay, last (0.1.70 §8).
        rebuilt["next_actions"] = data["next_actions"]
    envelope["data"] = rebuilt
    return Result(envelope, result.exit_code)


COMMANDS = [assets]
