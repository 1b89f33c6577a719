"""`image-skill upload PATH_OR_URL`: turn a local image or an image URL into an owned asset.

The payload is built by :mod:`image_skill.files.uploads` (content-sniffed MIME type, size limit,
sha256; URLs are fetched here, client-side). ``--input`` wins over the positional argument.
"""

from __future__ import annotations

from pathlib import Path

import click

from image_skill import envelope as E
from image_skill.cli._app import common_options, state
from image_skill.envelope import Result

LABEL = "image-skill upload"


@click.command("upload")
@click.argument("positional", nargs=-1, metavar="PATH_OR_URL")
@click.option("--input", "input_", metavar="PATH_OR_URL", help="Same as the argument.")
@common_options
def upload(positional: tuple[str, ...], input_: str | None) -> Result:
    """Upload a local image or an http(s) image URL as an input asset."""
    from image_skill.files.uploads import upload as send_upload

    app = state()
    value = input_ if input_ is not None else (positional[0] if positional else None)
    if value is None or value == "":
        return E.invalid(LABEL, "upload requires PATH_OR_URL")
    if len(positional) > (0 if input_ is not None else 1):
        return E.invalid(LABEL, "upload takes exactly one PATH_OR_URL")
    token = app.resolve_token(LABEL).token
    # A bar (bytes, rate, ETA) on stderr in --human mode at a terminal; nothing otherwise.
    with app.out.progress(f"uploading {Path(value).name or value}") as progress:
        return send_upload(app.client(token), value, finish=app.call, progress=progress)


COMMANDS = [upload]
