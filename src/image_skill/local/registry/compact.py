"""Compact model rows: the default ``GET /v1/models`` shape since contract 0.1.41.

A compact row keeps what a first-run agent picks a model by (id, status, prices, limits,
storage, task tags and the command that shows the full row) and drops the parameter
schemas. Keys come in the 0.1.70 order (contract 0.1.70 §3.3), plus the two keys only a
server can add (§0.3): ``accepts_input_images`` on models that need an input image (edit,
variation and image-to-3D models) and ``aspect_ratios`` on video models, so a guide reading
compact rows routes as it would with full rows.

The row itself is :func:`image_skill.guide.compact.summary_row`, the same compaction the
CLI applies to a 0.1.30 server's full list. Pure; rows are the registry's read-only ones
and the result is a new dict.
"""

from __future__ import annotations

from typing import Any

from image_skill._js import get
from image_skill.guide.compact import summary_row
from image_skill.local.cli_commands import cli_command

Row = dict[str, Any]

FULL_LIST_COMMAND = "image-skill models list --details --json"


def needs_input_image(row: Row) -> bool:
    """An edit or variation model that must be given an input image."""
    supports = row.get("supports") or []
    required = get(row, "media", "input", "images", "required") is True
    return required and ("edit" in supports or "variation" in supports)


def compact_row(row: Row, base: str) -> Row:
    """One compact row (the client's own compaction of a full row) plus the server-only
    keys; its ``show_command`` runs against the backend of ``base``."""
    out = summary_row(row, lambda argv: cli_command(base, argv))
    if needs_input_image(row):
        out["accepts_input_images"] = True
    if out["modality"] == "video":
        out["aspect_ratios"] = list(get(row, "media", "input", "aspect_ratios", "values") or [])
    return out
