"""Model-registry counting for the trust packet (pure; see :mod:`image_skill.trust.packet`).

Counts run over the record entries of ``data.models`` from ``GET /v1/models``; a finite
number in ``data.summary`` for the same key wins over the count (contract §8.2).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from image_skill._js import truthy

MODEL_RULES = [
    "Only a model whose status is executable or available can run a job; pick from those.",
    "A cataloged_not_wired model is listed for reference and cannot be run yet.",
    "These counts describe one /v1/models reply at checked_at; check again before spending.",
]


def _model_status(model: Mapping[str, Any]) -> str:
    candidates = (
        record(model.get("execution")).get("model_execution_status"),
        model.get("availability_reason"),
        model.get("status"),
    )
    for value in candidates:
        if isinstance(value, str) and value:
            return value
    return "unknown"


def _model_provider(model: Mapping[str, Any]) -> str | None:
    for value in (model.get("provider_id"), record(model.get("provider")).get("id")):
        if isinstance(value, str) and value:
            return value
    model_id = model.get("id")
    if isinstance(model_id, str) and model_id:
        return model_id.split(".", 1)[0]
    return None


def availability_summary(data: Mapping[str, Any]) -> dict[str, Any]:
    """Counts over ``data.models``; a finite number in ``data.summary`` wins per key."""
    raw = data.get("models")
    models = [m for m in raw if isinstance(m, dict)] if isinstance(raw, list) else []
    status_counts: dict[str, int] = {}
    providers: set[str] = set()
    executable = cataloged = unavailable = 0
    for model in models:
        status = _model_status(model)
        status_counts[status] = status_counts.get(status, 0) + 1
        provider = _model_provider(model)
        if provider is not None:
            providers.add(provider)
        if status in ("executable", "available"):
            executable += 1
        if status == "cataloged_not_wired":
            cataloged += 1
        if model.get("status") == "unavailable" or status == "unavailable":
            unavailable += 1
    counted = {
        "total": len(models),
        "returned": len(models),
        "executable": executable,
        "cataloged_not_wired": cataloged,
        "unavailable": unavailable,
    }
    summary = record(data.get("summary"))
    result: dict[str, Any] = {}
    for key, fallback in counted.items():
        value = summary.get(key)
        result[key] = value if _finite_number(value) else fallback
    result["providers"] = sorted(providers)
    result["status_counts"] = status_counts
    return result


def model_registry_block(envelope: Mapping[str, Any], url: str, now: str) -> dict[str, Any]:
    ok = truthy(envelope.get("ok"))
    return {
        "status": "available" if ok else "unreachable",
        "checked_at": now,
        "url": url,
        "freshness": {"source": "hosted /v1/models", "checked_at": now},
        "availability_summary": availability_summary(record(envelope.get("data"))),
        "rules": list(MODEL_RULES),
        "error": envelope.get("error"),
    }


def record(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _finite_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value)
