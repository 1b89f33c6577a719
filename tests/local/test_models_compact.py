"""``GET /v1/models`` compact by default, ``details=true``, ``query=`` and alias lookup
(contract 0.1.70 §3 and §0.3), against the in-process app and a served backend."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from createtools import ok
from image_skill.cli.summary import summary_row
from image_skill.local.registry import models as registry
from summarytools import SUMMARY_ROW_KEYS

#: contract 0.1.70 §3.3, in this order (the same row the CLI's summary writes).
COMPACT_KEYS = SUMMARY_ROW_KEYS
INPUT_IMAGE_MODELS = {"local.image-edit", "local.image-edit-usage-priced", "local.image-to-3d"}


def _list(client: httpx.Client, **params: str) -> dict[str, Any]:
    return ok(client.get("/v1/models", params=params))


def test_default_list_is_compact_executable_first_with_one_default(
    local_client: httpx.Client,
) -> None:
    data = _list(local_client)
    summary, rows = data["summary"], data["models"]
    assert summary["result_shape"] == "compact_model_summary"
    assert summary["full_list_command"] == (
        "image-skill models list --details --api-base-url local --json"
    )
    assert [row["default"] for row in rows].count(True) == 1
    assert next(row["id"] for row in rows if row["default"]) == "local.image"
    assert all(row["model_execution_status"] == "executable" for row in rows)  # no catalog rows
    assert summary["catalog_inclusion"]["excluded_catalog_only_count"] > 0
    for row in rows:
        extra = [key for key in row if key not in COMPACT_KEYS]
        assert [key for key in row if key in COMPACT_KEYS] == COMPACT_KEYS
        expected_extra = []
        if row["id"] in INPUT_IMAGE_MODELS:
            expected_extra.append("accepts_input_images")
        if row["modality"] == "video":
            expected_extra.append("aspect_ratios")
        assert extra == expected_extra, row["id"]
        assert row.get("accepts_input_images", True) is True
        assert row["show_command"] == (
            f"image-skill models show {row['id']} --api-base-url local --json"
        )
        assert "parameters" not in row and "media" not in row
    video = next(row for row in rows if row["id"] == "local.video")
    full_video = registry.get_model("local.video")
    assert full_video is not None
    assert video["aspect_ratios"] == full_video["media"]["input"]["aspect_ratios"]["values"]


def test_runnable_rows_come_before_the_others_in_every_view(local_client: httpx.Client) -> None:
    for params in ({}, {"executable": "true"}, {"details": "true"}, {"query": "image"}):
        rows = _list(local_client, **params)["models"]
        ranks = [
            0 if row["status"] == "available" else 1
            for row in (registry.get_model(r["id"]) or {} for r in rows)
        ]
        assert ranks == sorted(ranks), params


def test_details_gives_the_full_0130_rows(local_client: httpx.Client) -> None:
    data = _list(local_client, details="true")
    assert "result_shape" not in data["summary"]
    assert "full_list_command" not in data["summary"]
    rows = data["models"]
    assert [row["id"] for row in rows] == [row["id"] for row in _list(local_client)["models"]]
    for row in rows:
        assert row == registry.get_model(row["id"])  # the nested registry row, unchanged
        assert row["execution"]["model_execution_status"] == "executable"
        assert "credit_pricing" in row["economics"]
        assert "aspect_ratios" in row["media"]["input"]
    assert _list(local_client, details="false")["summary"]["result_shape"] == (
        "compact_model_summary"
    )


def test_compact_rows_agree_with_the_clients_own_compaction(local_client: httpx.Client) -> None:
    """What a 0.1.30 client makes of full rows with ``--summary`` matches the server's rows."""
    full = {row["id"]: row for row in _list(local_client, details="true")["models"]}
    for compact in _list(local_client)["models"]:
        mine = summary_row(full[compact["id"]], lambda argv: " ".join(["image-skill", *argv]))
        for key, value in mine.items():
            if key != "show_command":
                assert compact[key] == value, (compact["id"], key)
        assert compact["default"] is (full[compact["id"]]["default"] is True)
        assert compact["modality"] == full[compact["id"]]["modality"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"query": "local video"}, ["local.video"]),
        ({"query": "  Local-Audio "}, ["local.audio"]),
        ({"query": "image-to-3d"}, ["local.image-to-3d"]),
        ({"query": "text-to-image"}, ["local.image"]),
        ({"query": "edit usage"}, ["local.image-edit-usage-priced"]),
        ({"query": "   "}, [r["id"] for r in registry.list_models(base="local")["models"]]),
        ({"query": "nano-banana"}, []),  # only catalog rows match: left out by default
        (
            {"query": "nano-banana", "catalog_only": "true"},
            [
                "fal.nano-banana-2",
                "fal.nano-banana-pro",
                "fal.nano-banana-pro-edit",
                "fal.nano-banana-2-edit",
            ],
        ),
        (
            {"query": "fal-ai/nano-banana-2/edit", "catalog_only": "true"},
            ["fal.nano-banana-2-edit"],
        ),
        ({"query": "imagen 4", "catalog_only": "true"}, []),
        (
            {"query": "grok", "catalog_only": "true", "operation": "image.edit"},
            ["xai.grok-imagine-image-edit"],
        ),
        ({"query": "zzz-nothing"}, []),
    ],
)
def test_query_filters_on_the_backend(
    local_client: httpx.Client, params: dict[str, str], expected: list[str]
) -> None:
    for shape in ({}, {"details": "true"}):
        data = _list(local_client, **params, **shape)
        assert [row["id"] for row in data["models"]] == expected, shape
        assert data["summary"]["returned"] == len(expected)
        query = params["query"].strip() or None
        assert data["summary"]["filters"]["query"] == query


def test_a_query_that_only_catalog_rows_match_says_how_to_see_them(
    local_client: httpx.Client,
) -> None:
    summary = _list(local_client, query="nano banana")["summary"]
    inclusion = summary["catalog_inclusion"]
    assert inclusion["excluded_catalog_only_count"] == 4
    assert inclusion["catalog_only_command"] == (
        "image-skill models list --catalog-only --query 'nano banana' --api-base-url local --json"
    )
    availability = summary["execution_availability"]
    assert availability["status"] == "no_runnable_models"
    assert "query 'nano banana'" in availability["message"]


@pytest.mark.parametrize(
    ("requested", "model_id", "how"),
    [
        ("default", "local.image", "default"),
        ("local.image-edit", "local.image-edit", "id"),
        ("nano-banana", "fal.nano-banana-2", "alias"),
        ("Nano Banana", "fal.nano-banana-2", "alias"),
        ("fal-ai/nano-banana/edit", "fal.nano-banana-2-edit", "alias"),
        ("nano-banana-pro-edit", "fal.nano-banana-pro-edit", "alias"),
        ("LOCAL-IMAGE", "local.image", "normalized_id"),
        ("trellis", "fal.trellis-image-to-3d", "query"),
    ],
)
def test_models_show_resolves_default_aliases_and_unique_names(
    local_client: httpx.Client, requested: str, model_id: str, how: str
) -> None:
    data = ok(local_client.get(f"/v1/models/{requested}"))
    assert data["id"] == model_id and data["model"]["id"] == model_id
    assert data["requested_id"] == requested and data["resolved_by"] == how
    assert data["model"] == registry.get_model(model_id)  # the full row


@pytest.mark.parametrize(
    "requested", ["imagen4", "video", "audio", "image", "nope", "nano-banana-3"]
)
def test_models_show_refuses_unknown_or_ambiguous_names(
    local_client: httpx.Client, requested: str
) -> None:
    reply = local_client.get(f"/v1/models/{requested}")
    assert reply.status_code == 404 and reply.headers["x-image-skill-exit-code"] == "2"
    assert reply.json()["error"]["code"] == "MODEL_NOT_FOUND"


def test_full_rows_name_their_aliases(local_client: httpx.Client) -> None:
    row = ok(local_client.get("/v1/models/nano-banana"))["model"]
    assert row["migration"]["aliases"][:2] == ["nano-banana", "nano banana"]
    assert ok(local_client.get("/v1/models/local.image"))["model"]["migration"]["aliases"] == []


def test_summary_alias_hints_and_discovery_groups(local_client: httpx.Client) -> None:
    summary = _list(local_client)["summary"]
    hints = {hint["alias"]: hint for hint in summary["alias_hints"]}
    # only aliases whose model this registry has
    assert set(hints) == {
        "nano-banana",
        "nano-banana-edit",
        "nano-banana-pro",
        "nano-banana-pro-edit",
    }
    assert hints["nano-banana"]["model_id"] == "fal.nano-banana-2"
    assert hints["nano-banana"]["show_command"] == (
        "image-skill models show nano-banana --api-base-url local --json"
    )
    groups = summary["discovery_groups"]
    assert groups["providers"][0] == {
        "provider_id": "local",
        "total": 6,
        "available": 6,
        "list_command": "image-skill models list --provider local --api-base-url local --json",
    }
    modalities = {group["modality"]: group for group in groups["modalities"]}
    assert set(modalities) == {"image", "video", "audio", "3d"}
    assert modalities["video"]["available"] == 1


def test_compact_rows_are_shared_read_only_data() -> None:
    first = registry.list_models(compact=True, base="local")["models"]
    again = registry.list_models(compact=True, base="local")["models"]
    assert first[0] is again[0]
    with pytest.raises(TypeError):
        first[0]["id"] = "changed"
    with pytest.raises(TypeError):
        first[0]["task_tags"].append("x")


def test_served_backend_aims_the_list_commands_at_itself(live_server: str) -> None:
    with httpx.Client(base_url=live_server) as client:
        data = _list(client, query="local image")
        assert data["summary"]["full_list_command"] == (
            f"image-skill models list --details --api-base-url {live_server} --json"
        )
        assert data["models"][0]["show_command"].endswith(f"--api-base-url {live_server} --json")
        shown = ok(client.get("/v1/models/nano-banana"))
        assert shown["id"] == "fal.nano-banana-2"
