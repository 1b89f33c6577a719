"""In-flight breadcrumbs of live spends, as the CLI uses them.

The breadcrumb itself (its file format, when it is written and when it goes) lives in
:mod:`image_skill.config.inflight`, below the CLI, so the MCP server writes the very same
files; see that module for the format. This module re-exports it and adds
:func:`read_folder`, the listing ``doctor`` reports on
(:mod:`image_skill.cli.inflight_report`).
"""

from __future__ import annotations

import json
from pathlib import Path

from image_skill.cli.inflight_report import FileRead
from image_skill.config.inflight import (
    IN_FLIGHT_DIRNAME,
    LEGACY_SCHEMA,
    NOTE,
    SAME_ARGUMENTS,
    SCHEMA,
    UNKNOWN_OUTCOME_CODES,
    Breadcrumb,
    breadcrumb_path,
    in_flight_dir,
    notice_line,
    outcome_known,
    recover_template,
    remove,
    sanitize_key,
    start,
    write,
)

__all__ = [
    "Breadcrumb",
    "IN_FLIGHT_DIRNAME",
    "LEGACY_SCHEMA",
    "NOTE",
    "SAME_ARGUMENTS",
    "SCHEMA",
    "UNKNOWN_OUTCOME_CODES",
    "breadcrumb_path",
    "in_flight_dir",
    "notice_line",
    "outcome_known",
    "read_folder",
    "recover_template",
    "remove",
    "sanitize_key",
    "start",
    "write",
]


def read_folder(directory: Path) -> list[FileRead] | None:
    """Every ``*.json`` file of ``directory`` in name order; None when the folder does not
    exist.

    Raises OSError when it exists but cannot be listed. Hidden names (an atomic write's
    ``.tmp-`` file in progress) are skipped. A file that cannot be read, parsed or stat'ed
    is returned with ``record=None`` (the report counts it as invalid).
    """
    try:
        names = sorted(p.name for p in directory.iterdir() if p.name.endswith(".json"))
    except FileNotFoundError:
        return None
    reads = []
    for name in names:
        if name.startswith("."):
            continue
        path = directory / name
        try:
            mtime_ms: int | None = int(path.stat().st_mtime * 1000)
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            mtime_ms, record = None, None
        reads.append(FileRead(name, str(path), record, mtime_ms))
    return reads
