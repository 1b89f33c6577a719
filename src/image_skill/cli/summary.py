"""Client-side compact model menu: the default ``models list`` output (contract §10.7,
0.1.70 §3.2/§3.3).

Pure and stdlib-only: the CLI imports it lazily after a successful ``GET /v1/models``.
:func:`summarize_models` rewrites a full list into compact rows (built by
:func:`image_skill.guide.compact.summary_row`, which the local backend uses too). A list the
server already compacted (``summary.result_shape == "compact_model_summary"``, every 0.1.70
server by default) is passed through unchanged; a 0.1.30 server's full rows are compacted
here.
"""

from __future__ import annotations

from typing import Any

from image_skill.guide.compact import (
    FULL_LIST_ARGV,
    RESULT_SHAPE,
    Renderer,
    default_render,
    summary_row,
    task_tags,
)

__all__ = ["RESULT_SHAPE", "is_compact", "summarize_models", "summary_row", "task_tags"]


def is_compact(data: Any) -> bool:
    """True when the server already sent compact rows (``summary.result_shape``)."""
    summary = data.get("summary") if isinstance(data, dict) else None
    return isinstance(summary, dict) and summary.get("result_shape") == RESULT_SHAPE


def summarize_models(data: Any, render: Renderer | None = None) -> Any:
    """Rewrite a ``/v1/models`` ``data`` object into the compact summary shape.

    Anything that is not an object with a ``models`` array, and a list the server already
    compacted, is returned unchanged. Existing keys keep their position; ``summary`` is
    added after them when missing.
    """
    if not isinstance(data, dict) or not isinstance(data.get("models"), list):
        return data
    if is_compact(data):
        return data
    render_fn = render or default_render
    previous = data.get("summary")
    summary: dict[str, Any] = dict(previous) if isinstance(previous, dict) else {}
    summary["result_shape"] = RESULT_SHAPE
    summary["full_list_command"] = render_fn(list(FULL_LIST_ARGV))
    out = dict(data)
    out["summary"] = summary
    out["models"] = [summary_row(model, render_fn) for model in data["models"]]
    return out
