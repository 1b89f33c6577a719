"""Hypothesis on the pure parsers and renderers: reference flags, asset references, summaries.

tests/unit already covers ``parse_value`` round trips; these add whole-plan validation,
asset-reference recognition and ``models --summary`` rows built from arbitrary JSON.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from image_skill.api.client import ImageSkillClient
from image_skill.cli.references import (
    ELEMENT_FRONTAL,
    ELEMENT_REFERENCE,
    REFERENCE_FLAGS,
    REFERENCE_IMAGE,
    ReferenceFlagError,
    build_plan,
    format_value,
)
from image_skill.cli.summary import RESULT_SHAPE, summarize_models, task_tags
from image_skill.files.refs import (
    HOSTED_MEDIA_HOST,
    AssetReference,
    is_asset_id,
    recognize_asset_reference,
)
from summarytools import SUMMARY_ROW_KEYS

FAST = settings(max_examples=200, deadline=None, derandomize=True, database=None)

# ------------------------------------------------------------------ reference flags

_SUFFIX_TEXT = st.sampled_from(
    ["", "0", "1", "2", "3", "9", "10", "007", "99999999999999999999", "٣", "-1", "1.5", " 1"]
)
_SECOND = st.sampled_from(["", ":0", ":1", ":2", ":3", ":ip", ":id", ":style", ":IP", ":", "::"])


@st.composite
def _flag_values(draw: st.DrawFn) -> str:
    image = draw(st.sampled_from(["", "image_abc", "photo@2x.png", "a:b", "@", "https://x/y.png"]))
    image = draw(st.just(image) | st.text(max_size=12))
    if draw(st.booleans()):
        return image
    return f"{image}@{draw(_SUFFIX_TEXT)}{draw(_SECOND)}"


_VALUE_LISTS = st.lists(_flag_values(), max_size=5)


@given(frontal=_VALUE_LISTS, reference=_VALUE_LISTS, image=_VALUE_LISTS)
@FAST
def test_build_plan_either_validates_or_raises_its_own_error(
    frontal: list[str], reference: list[str], image: list[str]
) -> None:
    try:
        plans = build_plan(frontal, reference, image)
    except ReferenceFlagError as error:
        assert str(error)  # the contract message, never empty
        return
    flags = [plan.flag for plan in plans]
    assert flags == [ELEMENT_FRONTAL] * len(frontal) + [ELEMENT_REFERENCE] * len(reference) + [
        REFERENCE_IMAGE
    ] * len(image)
    for plan in plans:
        assert plan.flag in REFERENCE_FLAGS and plan.image != ""
        assert 0 <= plan.index <= 9
        item = plan.to_reference("image_x")
        assert list(item)[:3] == ["asset_id", "role", "index"]
    images = [plan.index for plan in plans if plan.flag == REFERENCE_IMAGE]
    assert sorted(images) == list(range(len(images)))
    # Every accepted plan survives a trip through its canonical flag values.
    again = build_plan(
        [format_value(p) for p in plans if p.flag == ELEMENT_FRONTAL],
        [format_value(p) for p in plans if p.flag == ELEMENT_REFERENCE],
        [format_value(p) for p in plans if p.flag == REFERENCE_IMAGE],
    )
    assert again == plans


# ------------------------------------------------------------------ asset references

_ID_BODY = st.text(
    alphabet="ABCxyz0189._-",
    min_size=1,
    max_size=20,
)
_ASSET_IDS = st.builds(
    "{}_{}".format,
    st.sampled_from(["asset", "image", "video", "audio", "mask", "thumb", "file"]),
    _ID_BODY,
)
_OWN = "http://127.0.0.1:8765"


@st.composite
def _references(draw: st.DrawFn) -> str:
    asset_id = draw(_ASSET_IDS)
    host = draw(st.sampled_from([HOSTED_MEDIA_HOST, "MEDIA.image-skill.com", "evil.example"]))
    shapes = [
        asset_id,
        f"https://{host}/a/{asset_id}.png",
        f"https://{host}:{draw(st.integers(0, 70000))}/a/{asset_id}.webp?x=1#f",
        f"http://{host}/a/{asset_id}.png",
        f"{_OWN}/a/{asset_id}.mp4",
        f"{_OWN}/v1/{asset_id}.png",
        f"http://127.0.0.1:{draw(st.integers(1, 65535))}/a/{asset_id}.png",
        f"https://[::1/a/{asset_id}.png",
        draw(st.text(max_size=40)),
    ]
    return draw(st.sampled_from(shapes))


def _raising_predicate(url: str) -> bool:
    raise ValueError(f"cannot parse {url}")


@pytest.fixture(scope="module")
def own_client() -> Iterator[ImageSkillClient]:
    with ImageSkillClient(base_url=_OWN, max_retries=0) as client:
        yield client


@given(reference=_references(), predicate=st.sampled_from(["none", "client", "raises"]))
@FAST
def test_asset_reference_recognition_never_raises_and_names_a_real_id(
    own_client: ImageSkillClient, reference: str, predicate: str
) -> None:
    is_own = {"none": None, "client": own_client.is_own_url, "raises": _raising_predicate}[
        predicate
    ]
    found = recognize_asset_reference(reference, is_own)
    if found is None:
        assert not is_asset_id(reference)
        return
    assert isinstance(found, AssetReference) and is_asset_id(found.asset_id)
    if found.reference_type == "asset_id":
        assert found.asset_id == reference
    else:
        assert found.reference_type == "url" and "/a/" + found.asset_id in reference
        assert reference.lower().startswith(("https://media.image-skill.com", _OWN))


@given(asset_id=_ASSET_IDS, ext=st.sampled_from(["png", "PNG", "mp4", "glb", "wav"]))
@FAST
def test_hosted_media_urls_give_back_their_asset_id(asset_id: str, ext: str) -> None:
    url = f"https://{HOSTED_MEDIA_HOST}/a/{asset_id}.{ext}"
    found = recognize_asset_reference(url)
    assert found is not None and found.reference_type == "url"
    # The extension is one trailing ".alnum" run; an id ending in ".x" keeps the rest.
    assert asset_id.startswith(found.asset_id)


# ------------------------------------------------------------------ models --summary

_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(allow_nan=True)
    | st.text(max_size=8)
    | st.sampled_from(["image.generate", "image.edit", "video", "image_skill_owned"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=8,
)
_PATHS = [
    ("id",),
    ("display_name",),
    ("provider_id",),
    ("mode",),
    ("status",),
    ("availability_reason",),
    ("supports",),
    ("operations",),
    ("capability", "intents"),
    ("capability", "grants_required"),
    ("economics", "estimated_usd_per_image"),
    ("economics", "cost_known"),
    ("economics", "credit_pricing", "credits_required"),
    ("media", "input", "images", "required"),
    ("media", "input", "mask", "supported"),
    ("media", "input", "references", "max"),
    ("media", "input", "references", "supported"),
    ("media", "output", "max_outputs_per_request"),
    ("media", "output", "transparent_background"),
    ("execution", "artifact_storage"),
]


@st.composite
def _model_rows(draw: st.DrawFn) -> Any:
    """Mostly dicts with random values (of any type) at the paths the summary reads."""
    if draw(st.integers(0, 9)) == 0:
        return draw(_JSON)
    row: dict[str, Any] = {}
    for path in draw(st.lists(st.sampled_from(_PATHS), max_size=8)):
        node = row
        for key in path[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                child = node[key] = {} if draw(st.integers(0, 5)) else draw(_JSON)
            if not isinstance(child, dict):
                break
            node = child
        else:
            node[path[-1]] = draw(_JSON)
    return row


@given(
    models=st.lists(_model_rows(), max_size=4),
    extra=st.dictionaries(st.sampled_from(["count", "summary", "next"]), _JSON, max_size=2),
)
@FAST
def test_summarize_models_never_crashes_and_keeps_the_key_order(
    models: list[Any], extra: dict[str, Any]
) -> None:
    data = {**extra, "models": models}
    out = summarize_models(data)
    assert list(out)[: len(data)] == list(data)  # existing keys keep their place
    assert out["summary"]["result_shape"] == RESULT_SHAPE
    assert len(out["models"]) == len(models)
    for source, row in zip(models, out["models"], strict=True):
        present = source if isinstance(source, dict) else {}
        raw = {"id", "display_name", "provider_id", "mode", "status"}
        assert list(row) == [k for k in SUMMARY_ROW_KEYS if k not in raw or k in present]
        tags = row["task_tags"]
        assert all(tags.count(tag) == 1 for tag in tags)
        assert tags == task_tags(present)
        assert row["show_command"].startswith("image-skill models show ")


@given(data=_JSON)
@FAST
def test_anything_without_a_models_list_passes_through_untouched(data: Any) -> None:
    if isinstance(data, dict) and isinstance(data.get("models"), list):
        return
    assert summarize_models(data) is data
