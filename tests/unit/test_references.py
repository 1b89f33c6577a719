"""Reference flag grammar and validation (contract §10.3)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from image_skill.cli.references import (
    ELEMENT_FRONTAL,
    ELEMENT_REFERENCE,
    REFERENCE_IMAGE,
    ReferenceFlagError,
    ReferencePlan,
    build_plan,
    format_value,
    parse_value,
)


def test_plain_image_defaults_to_index_zero() -> None:
    plan = parse_value(REFERENCE_IMAGE, "./identity.png")
    assert plan == ReferencePlan(REFERENCE_IMAGE, "./identity.png", 0)
    assert plan.to_reference("image_a") == {
        "asset_id": "image_a",
        "role": "reference_image",
        "index": 0,
    }


def test_suffixes_are_split_at_the_last_at() -> None:
    assert parse_value(ELEMENT_REFERENCE, "me@host/side.webp@0:2") == ReferencePlan(
        ELEMENT_REFERENCE, "me@host/side.webp", 0, reference_index=2
    )
    assert parse_value(REFERENCE_IMAGE, "style.webp@1:style").reference_task == "style"
    assert parse_value(ELEMENT_FRONTAL, "front.png@3").index == 3


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        (REFERENCE_IMAGE, "a@2x.png"),
        (REFERENCE_IMAGE, "img@0:bad"),
        (REFERENCE_IMAGE, "img@0:1"),
        (ELEMENT_REFERENCE, "img@0:id"),
        (ELEMENT_FRONTAL, "img@"),
        (ELEMENT_FRONTAL, "img@\u0663"),  # a non-ASCII digit is not an index
    ],
)
def test_a_suffix_that_does_not_match_stays_part_of_the_image(flag: str, value: str) -> None:
    plan = parse_value(flag, value)
    assert plan.image == value
    assert plan.index == 0
    assert plan.reference_index is None and plan.reference_task is None


def test_output_order_is_frontals_then_element_references_then_reference_images() -> None:
    plans = build_plan(
        element_frontal=["f0.png", "f1.png@1"],
        element_reference=["r.png@1:0", "s.png@0"],
        reference_image=["b.png@1:ip", "a.png"],
    )
    refs = [p.to_reference(f"image_{i}") for i, p in enumerate(plans)]
    assert refs == [
        {"asset_id": "image_0", "role": "element_frontal", "index": 0},
        {"asset_id": "image_1", "role": "element_frontal", "index": 1},
        {"asset_id": "image_2", "role": "element_reference", "index": 1, "reference_index": 0},
        {"asset_id": "image_3", "role": "element_reference", "index": 0},
        {"asset_id": "image_4", "role": "reference_image", "index": 1, "reference_task": "ip"},
        {"asset_id": "image_5", "role": "reference_image", "index": 0},
    ]
    assert list(refs[2]) == ["asset_id", "role", "index", "reference_index"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"element_frontal": ["@0"]}, "--element-frontal requires an image"),
        ({"element_reference": [""]}, "--element-reference requires an image"),
        ({"reference_image": ["@1:id"]}, "--reference-image requires an image"),
        (
            {"element_frontal": ["f.png@0:1"]},
            "--element-frontal accepts IMAGE[@ELEMENT_INDEX], not a reference index",
        ),
        (
            {"element_frontal": ["f.png@10"]},
            "--element-frontal element index must be between 0 and 9",
        ),
        (
            {"element_reference": ["r.png@10"]},
            "--element-reference element index must be between 0 and 9",
        ),
        (
            {"element_reference": ["r.png@0:3"]},
            "--element-reference reference index must be between 0 and 2",
        ),
        ({"reference_image": ["i.png@10"]}, "--reference-image index must be between 0 and 9"),
        (
            {"element_frontal": ["a.png", "b.png@0"]},
            "only one --element-frontal is allowed for element 0",
        ),
        ({"element_frontal": ["a.png@1"]}, "element indexes must be contiguous starting at 0"),
        (
            {"element_frontal": ["a.png"], "element_reference": ["r.png@2"]},
            "element indexes must be contiguous starting at 0",
        ),
        (
            {"element_reference": ["r.png@0"]},
            "--element-reference for element 0 requires --element-frontal for the same element",
        ),
        (
            {"element_frontal": ["f.png"], "element_reference": ["a", "b", "c", "d"]},
            "element 0 accepts at most 3 --element-reference images",
        ),
        (
            {"reference_image": ["a.png", "b.png@0:id"]},
            "only one --reference-image is allowed for index 0",
        ),
        (
            {"reference_image": ["a.png@0", "b.png@2"]},
            "reference image indexes must be contiguous starting at 0",
        ),
    ],
)
def test_validation_messages(kwargs: dict[str, list[str]], message: str) -> None:
    with pytest.raises(ReferenceFlagError) as info:
        build_plan(**kwargs)
    assert str(info.value) == message


def test_value_errors_come_before_plan_errors_and_frontals_are_checked_first() -> None:
    with pytest.raises(ReferenceFlagError, match="^--element-frontal requires an image$"):
        build_plan(
            element_frontal=["@0"],
            element_reference=["r.png@5"],
            reference_image=["x@11"],
        )
    with pytest.raises(ReferenceFlagError, match="^--reference-image index"):
        # Duplicate frontals are a plan error, reported after every value passed.
        build_plan(element_frontal=["a", "a"], reference_image=["x@11"])


def test_duplicate_reference_indexes_are_allowed() -> None:
    plans = build_plan(element_frontal=["f"], element_reference=["a@0:1", "b@0:1"])
    assert [p.reference_index for p in plans] == [None, 1, 1]


def test_no_flags_is_an_empty_plan() -> None:
    assert build_plan() == []


images = st.text(min_size=1, max_size=30).filter(lambda s: "@" not in s) | st.text(
    min_size=1, max_size=30
).map(lambda s: s + "@x")


@given(
    image=images,
    index=st.integers(0, 9),
    extra=st.one_of(st.none(), st.integers(0, 2)),
)
def test_element_reference_round_trip(image: str, index: int, extra: int | None) -> None:
    plan = ReferencePlan(ELEMENT_REFERENCE, image, index, reference_index=extra)
    assert parse_value(ELEMENT_REFERENCE, format_value(plan)) == plan


@given(
    image=images,
    index=st.integers(0, 9),
    task=st.one_of(st.none(), st.sampled_from(["ip", "id", "style"])),
)
def test_reference_image_round_trip(image: str, index: int, task: str | None) -> None:
    plan = ReferencePlan(REFERENCE_IMAGE, image, index, reference_task=task)
    assert parse_value(REFERENCE_IMAGE, format_value(plan)) == plan
    if index == 0:
        assert build_plan(reference_image=[format_value(plan)]) == [plan]


@given(value=st.text(max_size=40))
def test_parsing_never_crashes_and_only_strips_a_valid_suffix(value: str) -> None:
    for flag in (ELEMENT_FRONTAL, ELEMENT_REFERENCE, REFERENCE_IMAGE):
        plan = parse_value(flag, value)
        assert value.startswith(plan.image)
        rest = value[len(plan.image) :]
        if rest:
            suffix = rest[1:]
            assert rest[0] == "@" and "@" not in suffix
            assert int(suffix.split(":")[0]) == plan.index
