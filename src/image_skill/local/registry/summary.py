"""The ``summary`` object of ``GET /v1/models`` (server.md §1.12; alias hints and discovery
groups from contract 0.1.70 §3.4, whose key names the public docs leave open).

Counting rules: ``total`` and the four status counters cover the *scope*, i.e. every
registry row matching the operation/modality/provider filters, catalog-only rows
included; ``returned`` is the number of rows actually listed after the inclusion flags
(``available``/``executable``/``catalog_only`` or the default "no catalog-only" view).
``returned_counts`` repeats the status counters over the listed rows only. The commands
it holds are aimed at the backend that answered (``base``, see :mod:`.cli_commands`).
"""

from __future__ import annotations

from typing import Any

from image_skill.guide.lookup import MODEL_ALIASES
from image_skill.local.cli_commands import cli_command

Row = dict[str, Any]

_LIST = "image-skill models list"
_RECOMMENDED = [
    f"{_LIST} --available --operation image.generate --json",
    f"{_LIST} --available --operation image.edit --json",
    f"{_LIST} --available --modality video --operation video.generate --json",
    f"{_LIST} --available --modality audio --operation audio.generate --json",
    f"{_LIST} --available --modality 3d --operation 3d.generate --json",
    f"{_LIST} --catalog-only --json",
    "image-skill models show default --json",
]


def _status(row: Row) -> str:
    return str((row.get("execution") or {}).get("model_execution_status"))


def _runnable(row: Row) -> bool:
    return row.get("status") == "available" and _status(row) == "executable"


def _counts(rows: list[Row]) -> dict[str, int]:
    return {
        "available": sum(1 for row in rows if _runnable(row)),
        "executable": sum(1 for row in rows if _status(row) == "executable"),
        "cataloged_not_wired": sum(1 for row in rows if _status(row) == "cataloged_not_wired"),
        "unavailable": sum(1 for row in rows if row.get("status") != "available"),
    }


def _providers(scope: list[Row], returned: list[Row]) -> list[dict[str, Any]]:
    order: list[str] = []
    for row in scope:
        if row["provider_id"] not in order:
            order.append(row["provider_id"])
    out = []
    for provider_id in order:
        mine = [row for row in scope if row["provider_id"] == provider_id]
        provider = mine[0].get("provider") or {}
        entry: dict[str, Any] = {
            "provider_id": provider_id,
            "display_name": provider.get("display_name"),
            "reachable": provider.get("reachable") is True,
            "total": len(mine),
            "returned": sum(1 for row in returned if row["provider_id"] == provider_id),
        }
        entry.update(_counts(mine))
        out.append(entry)
    return out


def _recovery_command(operation: str | None, modality: str | None, base: str) -> str:
    parts = ["models", "list", "--available"]
    if operation is None and modality is not None:
        parts += ["--modality", modality]
    if operation is not None:
        parts += ["--operation", operation]
    return cli_command(base, [*parts, "--json"])


def _execution_availability(
    scope: list[Row], providers: list[dict[str, Any]], filters: dict[str, Any], base: str
) -> dict[str, Any]:
    operation = filters.get("operation")
    modality = filters.get("modality")
    what = " and ".join(
        part
        for part in (
            f"operation {operation}" if operation else "",
            f"modality {modality}" if modality else "",
            f"provider {filters['provider']}" if filters.get("provider") else "",
            f"query {filters['query']!r}" if filters.get("query") else "",
        )
        if part
    )
    what = what or "this registry"
    runnable_ids = [row["id"] for row in scope if _runnable(row)]
    idle = [entry["provider_id"] for entry in providers if entry["available"] == 0]
    recovery = _recovery_command(operation, modality, base)
    if not scope:
        message = f"No model in the local registry matches {what}, so nothing can run for it."
    elif not runnable_ids:
        message = (
            f"No runnable model matches {what}: the matching rows are catalog-only and the "
            f"offline backend cannot execute them. Run `{recovery}` for runnable local models."
        )
    elif idle:
        message = (
            f"{len(runnable_ids)} runnable model(s) match {what}. Provider(s) "
            f"{', '.join(idle)} have no runnable model here (catalog-only in the offline "
            "backend); use the local.* models instead."
        )
    else:
        message = f"{len(runnable_ids)} runnable model(s) match {what}."
    return {
        "status": "runnable_models_available" if runnable_ids else "no_runnable_models",
        "operation": operation,
        "modality": modality,
        "provider": filters.get("provider"),
        "runnable_count": len(runnable_ids),
        "runnable_model_ids": runnable_ids,
        "providers_without_runnable_models": idle,
        "message": message,
        "recovery_command": recovery,
    }


def _catalog_only_argv(query: str | None) -> list[str]:
    """``models list --catalog-only [--query Q] --json``: the rows the default view left out."""
    return ["models", "list", "--catalog-only", *(["--query", query] if query else []), "--json"]


def _alias_hints(known_ids: frozenset[str], base: str) -> list[dict[str, Any]]:
    """Old or family names ``models show`` resolves, for the models this registry lists."""
    return [
        {
            "alias": alias,
            "model_id": target,
            "synonyms": list(synonyms),
            "show_command": cli_command(base, ["models", "show", alias, "--json"]),
        }
        for alias, target, synonyms in MODEL_ALIASES
        if target in known_ids
    ]


def _discovery_groups(scope: list[Row], base: str) -> dict[str, Any]:
    """The rows in scope grouped by provider and by modality, each with its list command."""
    groups: dict[str, Any] = {"providers": [], "modalities": []}
    for key, flag, name in (
        ("provider_id", "--provider", "providers"),
        ("modality", "--modality", "modalities"),
    ):
        order: list[str] = []
        for row in scope:
            if row[key] not in order:
                order.append(row[key])
        for value in order:
            mine = [row for row in scope if row[key] == value]
            groups[name].append(
                {
                    key: value,
                    "total": len(mine),
                    "available": sum(1 for row in mine if _runnable(row)),
                    "list_command": cli_command(base, [*_LIST.split()[1:], flag, value, "--json"]),
                }
            )
    return groups


def build_summary(
    *,
    scope: list[Row],
    returned: list[Row],
    fallback_actionable: list[str],
    filters: dict[str, Any],
    default_model_id: str,
    known_ids: frozenset[str],
    base: str,
) -> dict[str, Any]:
    """Build ``data.summary`` for one list request (see the module docstring)."""
    providers = _providers(scope, returned)
    actionable = [row["id"] for row in returned if _runnable(row)] or fallback_actionable
    catalog_in_scope = sum(1 for row in scope if _status(row) == "cataloged_not_wired")
    catalog_returned = sum(1 for row in returned if _status(row) == "cataloged_not_wired")
    summary: dict[str, Any] = {"total": len(scope), "returned": len(returned)}
    summary.update(_counts(scope))
    summary["returned_counts"] = _counts(returned)
    summary["providers"] = providers
    summary["provider_split"] = {entry["provider_id"]: entry["returned"] for entry in providers}
    summary["execution_availability"] = _execution_availability(scope, providers, filters, base)
    summary["first_actionable_model_ids"] = actionable[:5]
    summary["default_model_id"] = default_model_id
    summary["recommended_filter_commands"] = [cli_command(base, text) for text in _RECOMMENDED]
    summary["catalog_inclusion"] = {
        "includes_catalog_only": catalog_returned > 0,
        "catalog_only_requested": bool(filters.get("catalog_only")),
        "excluded_catalog_only_count": catalog_in_scope - catalog_returned,
        "catalog_only_command": cli_command(base, _catalog_only_argv(filters.get("query"))),
    }
    summary["alias_hints"] = _alias_hints(known_ids, base)
    summary["discovery_groups"] = _discovery_groups(scope, base)
    summary["filters"] = dict(filters)
    summary["backend"] = "local_offline"
    return summary
