"""The local model registry, pricing, parameter validation and capability catalog."""

from __future__ import annotations

from typing import Any

import pytest

from image_skill.local.registry import capabilities, pricing
from image_skill.local.registry import models as registry
from image_skill.local.registry.models import RegistryError

LOCAL_IDS = [
    "local.image",
    "local.image-edit",
    "local.image-edit-usage-priced",
    "local.video",
    "local.audio",
    "local.image-to-3d",
]
HOSTED_IDS = [
    "xai.grok-imagine-image-quality",
    "xai.grok-imagine-image",
    "openai.gpt-image-2",
    "openai.gpt-image-2-edit",
    "fal.flux-dev",
    "fal.flux-pro-kontext",
    "fal.ltx-video-13b-distilled",
    "fal.stable-audio-25-text-to-audio",
    "fal.trellis-image-to-3d",
    "fal.nano-banana-2-edit",
]


def row(model_id: str) -> dict[str, Any]:
    found = registry.get_model(model_id)
    assert found is not None, model_id
    return found


# ------------------------------------------------------------------ rows and lookup


def test_exactly_one_default_and_it_is_local_image() -> None:
    every = registry.all_models()
    assert [m["id"] for m in every if m["default"] is True] == ["local.image"]
    assert len({m["id"] for m in every}) == len(every)
    assert registry.default_model()["id"] == "local.image"
    assert row("default")["id"] == "local.image"
    assert registry.get_model("nope.model") is None


def test_default_list_is_local_rows_in_order_with_the_default() -> None:
    data = registry.list_models(base="local")
    assert [m["id"] for m in data["models"]] == LOCAL_IDS
    assert sum(1 for m in data["models"] if m["default"]) == 1


def test_local_rows_are_runnable_and_marked_local() -> None:
    for model_id in LOCAL_IDS:
        model = row(model_id)
        assert registry.is_runnable(model), model_id
        assert model["local"] is True and model["provider_id"] == "local"
        assert model["provider"]["id"] == "local"


@pytest.mark.parametrize("model_id", HOSTED_IDS)
def test_hosted_mirrors_are_catalog_only(model_id: str) -> None:
    model = row(model_id)
    assert model["status"] == "catalog_only"
    assert model["execution"]["model_execution_status"] == "cataloged_not_wired"
    assert model["local"] is False
    assert not registry.is_runnable(model)
    assert "cannot" in model["availability_reason"]


def test_guide_fields_present_on_every_default_row() -> None:
    for model in registry.list_models(base="local")["models"]:
        assert isinstance(model["id"], str)
        assert model["status"] == "available"
        assert isinstance(model["supports"], list)
        assert model["modality"] in registry.MODALITIES
        assert model["execution"]["model_execution_status"] == "executable"
        assert model["execution"]["artifact_storage"] == "image_skill_owned"
        pricing_block = model["economics"]["credit_pricing"]
        assert isinstance(pricing_block["credits_required"], int)
        assert pricing_block["credit_unit_usd"] == 0.01
        for key in ("estimated_provider_cost_usd", "fallback_provider_cost_usd"):
            assert key in pricing_block
        assert "estimated_usd_per_image" in model["economics"]
        assert isinstance(model["media"]["input"]["images"]["required"], bool)
        assert isinstance(model["media"]["input"]["aspect_ratios"]["values"], list)
        params = model["parameters"]
        assert params["type"] == "object" and params["additionalProperties"] is False


def test_specific_local_model_shapes() -> None:
    image = row("local.image")
    assert image["supports"] == ["create"] and image["operations"] == ["image.generate"]
    assert image["media"]["input"]["aspect_ratios"]["values"] == [
        "1:1",
        "16:9",
        "9:16",
        "4:3",
        "3:4",
        "3:2",
        "2:3",
    ]
    assert image["media"]["output"]["max_outputs_per_request"] == 4
    assert image["parameters"]["properties"]["resolution"]["enum"] == ["1k", "2k"]
    edit = row("local.image-edit")
    assert edit["media"]["input"]["mask"]["supported"] is True
    refs = edit["media"]["input"]["references"]
    assert refs["supported"] is True and refs["max"] == 2 and refs["roles"] == ["reference_image"]
    assert edit["media"]["input"]["images"]["required"] is True
    video = row("local.video")
    assert video["media"]["output"]["mime_types"] == ["video/mp4"]
    assert set(video["media"]["input"]["aspect_ratios"]["values"]) == {"16:9", "9:16", "1:1"}
    audio = row("local.audio")
    assert audio["media"]["output"]["mime_types"] == ["audio/wav"]
    assert audio["media"]["input"]["aspect_ratios"]["values"] == []
    mesh = row("local.image-to-3d")
    assert mesh["modality"] == "3d" and "variation" in mesh["supports"]
    assert mesh["media"]["input"]["images"]["required"] is True
    assert mesh["media"]["input"]["prompt"] == {"supported": False, "required": False}
    assert mesh["media"]["output"]["mime_types"] == ["model/gltf-binary"]


def _mutations(row: dict[str, Any]) -> list[Any]:
    """Ways a caller could try to change a shared row, at every depth."""
    return [
        lambda: row.__setitem__("status", "broken"),
        lambda: row.update(status="broken"),
        lambda: row.pop("status"),
        lambda: row.setdefault("new_key", 1),
        lambda: row["operations"].append("image.upscale"),
        lambda: row["operations"].__setitem__(0, "image.upscale"),
        lambda: row["media"]["input"]["aspect_ratios"]["values"].clear(),
        lambda: row["parameters"]["properties"].__delitem__("seed"),
        lambda: row["economics"]["credit_pricing"].update(credits_required=0),
    ]


def test_rows_are_shared_read_only_data_that_no_caller_can_change() -> None:
    import copy
    import json

    before = json.dumps(registry.list_models(base="local"), sort_keys=True)
    for get in (
        lambda: registry.list_models(base="local")["models"][0],
        lambda: registry.get_model("local.image"),
        lambda: registry.default_model(),
        lambda: registry.all_models()[0],
    ):
        row = get()
        assert row is not None
        for mutate in _mutations(row):
            with pytest.raises(TypeError, match="read-only"):
                mutate()
    summary = registry.list_models(available=True, base="local")["summary"]
    with pytest.raises(TypeError, match="read-only"):
        summary["returned"] = 0
    with pytest.raises(TypeError, match="read-only"):
        summary["first_actionable_model_ids"].append("x")
    # Nothing leaked into the next call, and the lists around the rows are the caller's own.
    assert json.dumps(registry.list_models(base="local"), sort_keys=True) == before
    listed = registry.list_models(base="local")["models"]
    listed.clear()
    assert registry.list_models(base="local")["models"]
    # A deep copy is plain data: editing it changes nothing shared.
    mine = copy.deepcopy(registry.get_model("local.image"))
    assert type(mine) is dict and type(mine["operations"]) is list
    mine["status"] = "broken"
    mine["operations"].append("image.upscale")
    fresh = registry.get_model("local.image")
    assert fresh is not None and fresh["status"] == "available"
    assert "image.upscale" not in fresh["operations"]


def test_capabilities_share_read_only_registry_data() -> None:
    cap = capabilities.get_capability(
        registry.get_model("local.image")["capability"]["id"],  # type: ignore[index]
        base="local",
    )
    assert cap is not None
    with pytest.raises(TypeError):
        cap["model_parameters_schema"]["properties"].clear()
    with pytest.raises(TypeError):
        cap["normalized_controls"]["dry_run"]["default"] = True
    cap["runnable"] = False  # the capability dict itself is built per call
    again = capabilities.get_capability(cap["id"], base="local")
    assert again is not None and again["runnable"] is True
    assert again["model_parameters_schema"]["properties"]


# ------------------------------------------------------------------ filters and summary


def test_available_implies_executable_and_runnable() -> None:
    models = registry.list_models(available=True, base="local")["models"]
    assert models
    assert all(registry.is_runnable(m) for m in models)


def test_catalog_only_filter_never_runnable() -> None:
    data = registry.list_models(catalog_only=True, base="local")
    ids = {m["id"] for m in data["models"]}
    assert set(HOSTED_IDS) <= ids
    assert not any(registry.is_runnable(m) for m in data["models"])
    assert data["summary"]["catalog_inclusion"]["includes_catalog_only"] is True


def test_catalog_only_cannot_combine() -> None:
    with pytest.raises(RegistryError) as err:
        registry.list_models(catalog_only=True, available=True, base="local")
    assert err.value.code == "INVALID_ARGUMENTS"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"operation": "image.generate"}, ["local.image"]),
        ({"operation": "image.edit"}, ["local.image-edit", "local.image-edit-usage-priced"]),
        ({"modality": "video", "operation": "video.generate"}, ["local.video"]),
        ({"operation": "audio.generate"}, ["local.audio"]),
        ({"modality": "3d"}, ["local.image-to-3d"]),
        ({"provider": " local "}, LOCAL_IDS),
        ({"provider": "fal"}, []),
    ],
)
def test_filters(kwargs: dict[str, Any], expected: list[str]) -> None:
    assert [m["id"] for m in registry.list_models(**kwargs, base="local")["models"]] == expected


@pytest.mark.parametrize(
    "kwargs",
    [{"modality": "smell"}, {"operation": "image.dance"}, {"provider": "stability"}],
)
def test_unknown_filter_values_are_invalid(kwargs: dict[str, str]) -> None:
    with pytest.raises(RegistryError) as err:
        registry.list_models(**kwargs, base="local")
    assert err.value.code == "INVALID_ARGUMENTS"
    assert err.value.exit_code == 2


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"available": True},
        {"executable": True},
        {"catalog_only": True},
        {"operation": "image.edit"},
        {"provider": "xai", "catalog_only": True},
    ],
)
def test_summary_counts_agree_with_rows(kwargs: dict[str, Any]) -> None:
    data = registry.list_models(**kwargs, base="local")
    models, summary = data["models"], data["summary"]
    assert summary["returned"] == len(models)
    counts = summary["returned_counts"]
    assert counts["available"] == sum(1 for m in models if registry.is_runnable(m))
    assert counts["cataloged_not_wired"] == sum(1 for m in models if registry.is_catalog_only(m))
    assert summary["total"] == summary["executable"] + summary["cataloged_not_wired"]
    assert sum(p["returned"] for p in summary["providers"]) == len(models)
    assert sum(p["total"] for p in summary["providers"]) == summary["total"]
    runnable = [m["id"] for m in models if registry.is_runnable(m)]
    if runnable:
        assert summary["first_actionable_model_ids"] == runnable[:5]


def test_default_summary_reports_catalog_rows_it_left_out() -> None:
    summary = registry.list_models(base="local")["summary"]
    catalog = len(registry.list_models(catalog_only=True, base="local")["models"])
    assert summary["cataloged_not_wired"] == catalog
    assert summary["catalog_inclusion"]["excluded_catalog_only_count"] == catalog
    assert summary["catalog_inclusion"]["includes_catalog_only"] is False
    assert summary["default_model_id"] == "local.image"
    assert (
        "image-skill models list --available --operation image.generate"
        " --api-base-url local --json" in (summary["recommended_filter_commands"])
    )


def test_execution_availability_says_plainly_when_nothing_runs() -> None:
    summary = registry.list_models(provider="fal", operation="image.generate", base="local")[
        "summary"
    ]
    availability = summary["execution_availability"]
    assert availability["status"] == "no_runnable_models"
    assert availability["runnable_count"] == 0
    command = (
        "image-skill models list --available --operation image.generate --api-base-url local --json"
    )
    assert availability["recovery_command"] == command
    assert command in availability["message"]
    assert summary["first_actionable_model_ids"] == ["local.image"]


def test_execution_availability_when_runnable() -> None:
    availability = registry.list_models(operation="video.generate", base="local")["summary"][
        "execution_availability"
    ]
    assert availability["status"] == "runnable_models_available"
    assert availability["runnable_model_ids"] == ["local.video"]
    assert availability["providers_without_runnable_models"] == ["fal"]


# ------------------------------------------------------------------ pricing


@pytest.mark.parametrize(
    ("usd", "credits"),
    [(0.07, 12), (0.20, 34), (0.02, 4), (0.05, 9), (0.06, 10), (0.04, 7), (0.0, 1), (0.001, 1)],
)
def test_credits_formula(usd: float, credits: int) -> None:
    assert pricing.credits_for_usd(usd) == credits


def test_row_credit_pricing_matches_formula() -> None:
    for model in registry.all_models():
        block = model["economics"]["credit_pricing"]
        basis = model["economics"]["estimated_usd_per_image"]
        if basis is None:
            basis = block["fallback_provider_cost_usd"]
        assert block["credits_required"] == pricing.credits_for_usd(basis), model["id"]
        assert block["estimated_revenue_usd"] == pytest.approx(block["credits_required"] / 100)


def test_quote_totals_and_tiers() -> None:
    image = row("local.image")
    one = registry.credit_quote_for(image, 1, {"resolution": "1k"})
    assert one["credit_pricing"]["credits_required"] == 9
    two_k = registry.credit_quote_for(image, 3, {"resolution": "2k"})
    assert two_k["credits_per_output"] == 12
    assert two_k["credit_pricing"]["credits_required"] == 36
    assert two_k["credit_pricing"]["estimated_revenue_usd"] == 0.36
    assert two_k["estimated_debit_usd_per_image"] == 0.12
    assert two_k["pricing_tier"] == "2k"


def test_quote_rejects_bad_output_count() -> None:
    image = row("local.image")
    for bad in (0, 5, True, 1.5):
        with pytest.raises(RegistryError) as err:
            registry.credit_quote_for(image, bad, {})
        assert err.value.code == "INVALID_ARGUMENTS"
    assert registry.validate_output_count(row("local.video"), None) == 1


def test_budget_guards() -> None:
    quote = registry.credit_quote_for(row("local.image"), 2, {"resolution": "2k"})
    registry.check_budget(quote, max_estimated_usd_per_image=0.12, max_usd=0.24)
    with pytest.raises(RegistryError) as err:
        registry.check_budget(quote, max_estimated_usd_per_image=0.11)
    assert err.value.code == "BUDGET_GUARD_EXCEEDED"
    assert err.value.details["needed_max_estimated_usd_per_image"] == 0.12
    with pytest.raises(RegistryError) as err:
        registry.check_budget(quote, max_usd=0.2)
    assert err.value.code == "BUDGET_GUARD_EXCEEDED"


def test_unknown_cost_needs_acceptance() -> None:
    usage = row("local.image-edit-usage-priced")
    assert registry.is_runnable(usage)
    assert usage["economics"]["cost_known"] is False
    assert usage["economics"]["budget_required_for_live"] is True
    assert usage["economics"]["credit_pricing"]["pricing_confidence"] == "unknown"
    quote = registry.credit_quote_for(usage, 1, {})
    with pytest.raises(RegistryError) as err:
        registry.check_budget(quote)
    assert err.value.code == "BUDGET_REQUIRES_CONFIRMATION"
    assert err.value.recovery == {"required_flag": "--accept-unknown-cost"}
    registry.check_budget(quote, accept_unknown_cost=True)


# ------------------------------------------------------------------ model_parameters


def test_defaults_applied_and_provenance() -> None:
    check = registry.validate_model_parameters(row("local.image"), {})
    assert check.accepted == {"seed": 0, "resolution": "1k"}
    assert check.defaults_applied == ["seed=0", "resolution=1k"]
    assert check.source == "model_defaults"
    mixed = registry.validate_model_parameters(row("local.image"), {"resolution": "2k"})
    assert mixed.accepted["resolution"] == "2k" and mixed.defaults_applied == ["seed=0"]
    assert mixed.source == "request_and_model_defaults"
    chosen = registry.validate_model_parameters(row("local.image"), None, source="default_policy")
    assert chosen.receipt() == {
        "keys": ["seed", "resolution"],
        "defaults_applied": ["seed=0", "resolution=1k"],
        "source": "default_policy",
    }


def _rejected(model_id: str, params: Any) -> RegistryError:
    with pytest.raises(RegistryError) as err:
        registry.validate_model_parameters(row(model_id), params)
    assert err.value.code == "MODEL_PARAMETERS_INVALID"
    assert err.value.recovery == {"suggested_command": f"image-skill models show {model_id} --json"}
    return err.value


def test_unknown_key_fails_closed() -> None:
    err = _rejected("local.image", {"style": "noir", "seed": 1})
    assert err.details["offending_keys"] == ["style"]
    assert "style" in err.message


def test_bad_enum_type_and_range() -> None:
    assert _rejected("local.image", {"resolution": "4k"}).details["problems"][0]["reason"] == (
        "not_in_enum"
    )
    assert _rejected("local.image", {"seed": "7"}).details["problems"][0]["reason"] == (
        "wrong_type"
    )
    assert _rejected("local.image", {"seed": True}).details["problems"][0]["reason"] == (
        "wrong_type"
    )
    assert _rejected("local.image", {"seed": -1}).details["problems"][0]["reason"] == (
        "below_minimum"
    )
    err = _rejected("local.video", {"duration_seconds": 9})
    assert err.details["problems"][0]["reason"] == "above_maximum"
    registry.validate_model_parameters(row("local.video"), {"duration_seconds": 4})


def test_non_executable_parameter_rejected() -> None:
    err = _rejected("local.image", {"guidance_scale": 5})
    assert err.details["problems"][0]["reason"] == "not_executable"


@pytest.mark.parametrize(
    "key",
    [
        "n",
        "mask_url",
        "image_url",
        "image_urls",
        "elements",
        "frontal_image_url",
        "reference_image_urls",
        "first_image_url",
        "second_image_url",
        "images",
        "style_reference_task",
    ],
)
def test_provider_native_fields_rejected(key: str) -> None:
    err = _rejected("local.image-edit", {key: "x"})
    assert err.details["problems"][0]["reason"] == "forbidden_provider_field"
    assert "mask_asset_id" in err.message and "references" in err.message


def test_every_offending_key_listed_and_fixed_controls() -> None:
    err = _rejected("local.image", {"n": 2, "bogus": 1, "resolution": "8k"})
    assert err.details["offending_keys"] == ["n", "bogus", "resolution"]
    _rejected("local.image", {"output_format": "jpeg"})
    same = registry.validate_model_parameters(row("local.image"), {"output_format": "png"})
    assert same.accepted["output_format"] == "png"
    assert _rejected("local.image", ["seed"]).details["offending_keys"] == []


def test_models_without_parameters_reject_everything() -> None:
    assert _rejected("fal.trellis-image-to-3d", {"seed": 1}).details["offending_keys"] == ["seed"]


# ------------------------------------------------------------------ media helpers


def test_aspect_ratio_rules() -> None:
    assert registry.validate_aspect_ratio(row("local.image"), None) == "1:1"
    assert registry.validate_aspect_ratio(row("local.image-edit"), "auto") == "auto"
    assert registry.validate_aspect_ratio(row("local.audio"), "1:1") is None
    assert registry.validate_aspect_ratio(row("local.image-to-3d"), "16:9") is None
    with pytest.raises(RegistryError):
        registry.validate_aspect_ratio(row("local.video"), "4:3")


def test_expected_output() -> None:
    out = registry.expected_output(row("local.image"), {"resolution": "2k"}, "16:9")
    assert out == {
        "resolution_class": "2k",
        "expected_width": 2048,
        "expected_height": 1152,
        "expected_min_short_edge": 1152,
    }
    portrait = registry.expected_output(row("local.image"), {}, "2:3")
    assert (portrait["expected_width"], portrait["expected_height"]) == (680, 1024)
    assert registry.expected_output(row("local.audio"), {}, None)["resolution_class"] is None


# ------------------------------------------------------------------ capabilities


def test_capability_ids_consistent_with_rows() -> None:
    catalog = capabilities.list_capabilities(base="local")["capabilities"]
    by_id = {cap["id"]: cap for cap in catalog}
    assert len(by_id) == len(catalog)
    for model in registry.all_models():
        cap_id = model["capability"]["id"]
        assert cap_id in by_id, model["id"]
        cap = by_id[cap_id]
        assert model["id"] in cap["model_ids"]
        assert cap["operation"] in model["operations"]
        assert cap["modality"] == model["modality"]
        assert cap["grants_required"] == model["capability"]["grants_required"]
        assert cap["model_parameters_schema"] == model["parameters"]
        assert cap["runnable"] is registry.is_runnable(model)
    assert row("local.image")["capability"]["id"] == "is.image.generate.local-image.v1"
    quality = row("xai.grok-imagine-image-quality")["capability"]["id"]
    assert quality == "is.image.generate.xai-grok-imagine-image-quality.v1"


def test_get_capability() -> None:
    cap = capabilities.get_capability("is.image.edit.local-image-edit.v1", base="local")
    assert cap is not None
    assert cap["normalized_controls"]["mask_asset_id"]["supported"] is True
    assert cap["normalized_controls"]["output_count"]["maximum"] == 1
    assert cap["auth_required"] is True and cap["deprecation"]["deprecated"] is False
    assert capabilities.get_capability("is.nothing.v1", base="local") is None
