"""What the `models` summary tests share: the key order of a compact row (contract §10.7,
with ``default`` and ``modality`` added in 0.1.70 §3.3)."""

from __future__ import annotations

#: Every key of a full summary row, in the contract's order.
SUMMARY_ROW_KEYS = [
    "id",
    "default",
    "display_name",
    "provider_id",
    "mode",
    "status",
    "availability_reason",
    "modality",
    "supports",
    "operations",
    "task_tags",
    "estimated_usd_per_image",
    "credits_required",
    "pricing_confidence",
    "cost_known",
    "budget_required_for_live",
    "max_outputs_per_request",
    "max_resolution",
    "artifact_storage",
    "model_execution_status",
    "grants_required",
    "show_command",
]
