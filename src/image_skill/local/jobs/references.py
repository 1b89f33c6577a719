"""``references[]`` checks for create/edit: shape, roles/indexes, model limits, ownership.

The roles and index rules follow the client's reference flags (contract §10.3): elements
(``element_frontal`` / ``element_reference``) and ``reference_image`` items, indexes
contiguous from 0. Then the selected model's limits (``media.input.references``) and the
media rules for each owned asset (PNG/JPEG/WebP, size, dimensions, aspect range).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from image_skill.local.cli_commands import cli_command
from image_skill.local.errors import ApiError, invalid_arguments
from image_skill.local.registry.data import Row

ROLES = ("element_frontal", "element_reference", "reference_image")
REFERENCE_TASKS = ("ip", "id", "style")
MAX_ELEMENT_INDEX = 9
MAX_REFERENCE_INDEX = 2
MAX_ELEMENT_REFERENCES = 3


def _int(value: Any, name: str, *, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise invalid_arguments(f"{name} must be an integer between 0 and {maximum}")
    return value


def _normalise(item: dict[str, Any], position: int) -> dict[str, Any]:
    where = f"references[{position}]"
    asset_id = item.get("asset_id")
    if not isinstance(asset_id, str) or not asset_id.strip():
        raise invalid_arguments(f"{where}.asset_id must be an asset id (no URLs)")
    if "://" in asset_id:
        raise invalid_arguments(f"{where}.asset_id must be an asset id, not a URL")
    role = item.get("role")
    if role not in ROLES:
        raise invalid_arguments(f"{where}.role must be one of: {', '.join(ROLES)}")
    out: dict[str, Any] = {
        "asset_id": asset_id.strip(),
        "role": role,
        "index": _int(item.get("index", 0), f"{where}.index", maximum=MAX_ELEMENT_INDEX),
    }
    ref_index, task = item.get("reference_index"), item.get("reference_task")
    if ref_index is not None:
        if role != "element_reference":
            raise invalid_arguments(f"{where}.reference_index is only for element_reference")
        out["reference_index"] = _int(
            ref_index, f"{where}.reference_index", maximum=MAX_REFERENCE_INDEX
        )
    if task is not None:
        if role != "reference_image":
            raise invalid_arguments(f"{where}.reference_task is only for reference_image")
        if task not in REFERENCE_TASKS:
            raise invalid_arguments(
                f"{where}.reference_task must be one of: {', '.join(REFERENCE_TASKS)}"
            )
        out["reference_task"] = task
    return out


def _contiguous(indexes: set[int], what: str) -> None:
    if indexes and indexes != set(range(len(indexes))):
        raise invalid_arguments(f"{what} indexes must be contiguous starting at 0")


def _plan_rules(refs: list[dict[str, Any]]) -> None:
    frontals: dict[int, int] = {}
    element_refs: dict[int, int] = {}
    images: set[int] = set()
    for ref in refs:
        index = ref["index"]
        if ref["role"] == "element_frontal":
            if index in frontals:
                raise invalid_arguments(f"only one element_frontal is allowed for element {index}")
            frontals[index] = 1
        elif ref["role"] == "element_reference":
            element_refs[index] = element_refs.get(index, 0) + 1
        else:
            if index in images:
                raise invalid_arguments(f"only one reference_image is allowed for index {index}")
            images.add(index)
    _contiguous(set(frontals) | set(element_refs), "element")
    for index, count in element_refs.items():
        if index not in frontals:
            raise invalid_arguments(
                f"element_reference for element {index} needs an element_frontal for it"
            )
        if count > MAX_ELEMENT_REFERENCES:
            raise invalid_arguments(
                f"element {index} accepts at most {MAX_ELEMENT_REFERENCES} element_reference images"
            )
    _contiguous(images, "reference image")


def _model_rules(row: Row, refs: list[dict[str, Any]], base: str) -> dict[str, Any]:
    spec = row["media"]["input"]["references"]
    hint = {
        "model_id": row["id"],
        "suggested_command": cli_command(base, ["models", "show", row["id"], "--json"]),
    }
    if not spec["supported"]:
        raise invalid_arguments(f"model {row['id']} does not accept references", recovery=hint)
    if len(refs) > spec["max"]:
        raise invalid_arguments(
            f"model {row['id']} accepts at most {spec['max']} references", recovery=hint
        )
    rules: dict[str, Any] = spec.get("rules") or {}
    for ref in refs:
        if ref["role"] not in spec["roles"]:
            raise invalid_arguments(
                f"model {row['id']} does not accept {ref['role']} references", recovery=hint
            )
        if "reference_task" in ref and not rules.get("reference_task_allowed"):
            raise invalid_arguments(
                f"model {row['id']} does not accept reference_task", recovery=hint
            )
    return rules


def _media_rules(asset: dict[str, Any], rules: dict[str, Any], where: str) -> None:
    def deny(message: str) -> ApiError:
        return ApiError(
            422, "INPUT_POLICY_DENIED", f"{where}: {message}", recovery={"field": where}
        )

    mimes = rules.get("mime_types") or ["image/png", "image/jpeg", "image/webp"]
    if asset["mime_type"] not in mimes:
        raise deny(f"references must be one of {', '.join(mimes)}")
    size = asset.get("content_length") or 0
    if size <= 0 or size > rules.get("max_bytes", 10 * 1024 * 1024):
        raise deny("reference images must be non-empty and at most 10 MB")
    width, height = asset.get("width"), asset.get("height")
    if not isinstance(width, int) or not isinstance(height, int) or width < 1 or height < 1:
        raise deny("reference image dimensions are unknown")
    min_w, min_h = rules.get("min_width", 300), rules.get("min_height", 300)
    if width < min_w or height < min_h:
        raise deny(f"reference images must be at least {min_w}x{min_h} pixels")
    ratio = width / height
    low, high = rules.get("min_aspect_ratio", 0.40), rules.get("max_aspect_ratio", 2.50)
    if not low <= ratio <= high:
        raise deny(f"reference aspect ratio must be between {low} and {high}")


def check_references(
    conn: sqlite3.Connection,
    organization_id: str,
    row: Row,
    items: list[dict[str, Any]],
    *,
    base: str,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Validated references (normalised, in request order) and their asset rows.

    ``base`` aims the commands in refusals (see :mod:`.cli_commands`).
    """
    if not items:
        return [], []
    from image_skill.local.store.assets import get_asset

    refs = [_normalise(item, i) for i, item in enumerate(items)]
    _plan_rules(refs)
    rules = _model_rules(row, refs, base)
    assets: list[dict[str, Any]] = []
    for i, ref in enumerate(refs):
        where = f"references[{i}].asset_id"
        asset = get_asset(conn, organization_id, ref["asset_id"])
        if asset is None:
            raise ApiError(
                404,
                "ASSET_NOT_FOUND",
                f"{where} does not name an asset of your organization",
                recovery={"field": where},
            )
        _media_rules(asset, rules, where)
        assets.append(asset)
    return refs, assets
