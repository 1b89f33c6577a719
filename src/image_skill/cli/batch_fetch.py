"""`batch create --output-dir` on a re-run: the assets of lines an earlier run finished.

A finished line is never sent again, but its files may be missing from this run's folder
(the earlier run had no ``--output-dir``, another one, or the files were moved away). Such a
line's assets are fetched as `assets get` fetches them: ``GET /v1/assets/{id}`` and a
verified download, which charge nothing. A file already holding the asset is kept
(:func:`image_skill.files.existing.existing_copy`); an occupied name otherwise becomes
``name-2.ext`` unless ``--overwrite``. A failure leaves the line succeeded (its job ran) and
becomes a warning; the next run tries again.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from image_skill.api.client import ImageSkillClient
    from image_skill.cli._app import AppState

ASSETS_LABEL = "image-skill assets get"


class _Refused(Exception):
    """The asset's metadata could not be had."""


def needs_files(record: dict[str, Any], folder: str | None) -> bool:
    """Whether a finished line's assets are not all, as files, in ``folder``."""
    if folder is None or not record.get("asset_ids"):
        return False
    inside = [
        f
        for f in record.get("files") or []
        if isinstance(f, str) and os.path.dirname(f) == folder.rstrip(os.sep) and os.path.isfile(f)
    ]
    return len(inside) < len(record["asset_ids"])


def fetch_files(
    app: AppState,
    client: ImageSkillClient,
    record: dict[str, Any],
    folder: str,
    *,
    overwrite: bool,
) -> tuple[dict[str, Any], str | None]:
    """``record`` with ``files`` naming its assets in ``folder``, and a warning when one of
    them could not be fetched (the record then keeps its earlier files)."""
    from image_skill.files.downloads import DownloadError, derive_output_path, download_asset
    from image_skill.files.existing import existing_copy

    files: list[str] = []
    for asset_id in record["asset_ids"]:
        try:
            shown = app.call(client.asset(str(asset_id)), label=ASSETS_LABEL)
            data = shown.data if isinstance(shown.data, dict) else {}
            asset = data.get("asset")
            if not shown.ok or not isinstance(asset, dict) or not asset.get("url"):
                code = (shown.error or {}).get("code") or "no download url"
                raise _Refused(f"its metadata was refused: {code}")
            target = derive_output_path(asset, folder, Path.cwd())
            present = existing_copy(target, asset)
            if present is None:
                present = download_asset(
                    client,
                    asset,
                    str(asset["url"]),
                    target,
                    overwrite=overwrite,
                    unique_name=not overwrite,
                    timeout=app.timeout,
                )
            files.append(str(present["output_path"]))
        except (_Refused, DownloadError, OSError) as exc:
            warning = (
                f"line {record['line']}: finished in an earlier run, but asset {asset_id} "
                f"could not be downloaded to {folder} ({exc}); run the same command again "
                "to retry (a finished line is never charged again)"
            )
            return record, warning
    return {**record, "files": files}, None
