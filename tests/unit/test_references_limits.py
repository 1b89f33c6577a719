"""Every limit of the reference-flag grammar, at the limit and one past it (contract §10.3).

The limits: element index 0-9, reference index 0-2, at most 3 element references per
element, reference-image index 0-9; indexes contiguous from 0.
"""

from __future__ import annotations

import dataclasses

import pytest

from image_skill.cli.references import (
    ELEMENT_FRONTAL,
    ELEMENT_REFERENCE,
    REFERENCE_IMAGE,
    REFERENCE_TASKS,
    ReferenceFlagError,
    ReferencePlan,
    build_plan,
    parse_value,
)


def frontals(count: int) -> list[str]:
    return [f"front{i}.png@{i}" for i in range(count)]


def rejected(**kwargs: list[str]) -> str:
    with pytest.raises(ReferenceFlagError) as info:
        build_plan(**kwargs)
    return str(info.value)


# --- element index: 9 is the last one ------------------------------------------------------


def test_ten_elements_are_accepted_with_indexes_0_to_9() -> None:
    plans = build_plan(element_frontal=frontals(10))
    assert [p.index for p in plans] == list(range(10))


def test_element_index_10_is_rejected_for_a_frontal() -> None:
    message = rejected(element_frontal=[*frontals(10), "front10.png@10"])
    assert message == "--element-frontal element index must be between 0 and 9"


def test_an_element_reference_for_element_9_is_accepted_and_10_is_rejected() -> None:
    plans = build_plan(element_frontal=frontals(10), element_reference=["side.png@9"])
    assert plans[-1] == ReferencePlan(ELEMENT_REFERENCE, "side.png", 9)
    message = rejected(element_frontal=frontals(10), element_reference=["side.png@10"])
    assert message == "--element-reference element index must be between 0 and 9"


# --- reference index: 2 is the last one ------------------------------------------------------


@pytest.mark.parametrize("reference_index", [0, 1, 2])
def test_reference_indexes_0_to_2_are_accepted(reference_index: int) -> None:
    plans = build_plan(element_frontal=["f.png"], element_reference=[f"r.png@0:{reference_index}"])
    assert plans[1].reference_index == reference_index
    assert plans[1].to_reference("image_r")["reference_index"] == reference_index


def test_reference_index_3_is_rejected() -> None:
    message = rejected(element_frontal=["f.png"], element_reference=["r.png@0:3"])
    assert message == "--element-reference reference index must be between 0 and 2"


# --- references per element: 3 accepted, 4 rejected ----------------------------------------


def test_three_element_references_on_one_element_are_accepted() -> None:
    plans = build_plan(element_frontal=["f.png"], element_reference=["a.png", "b.png", "c.png"])
    assert [p.image for p in plans] == ["f.png", "a.png", "b.png", "c.png"]


def test_the_count_is_per_element_and_starts_at_zero() -> None:
    # Three on element 0 and three on element 1: six in all, each element at its limit.
    refs = [f"r{i}.png@{i % 2}" for i in range(6)]
    plans = build_plan(element_frontal=frontals(2), element_reference=refs)
    assert len(plans) == 8
    # A single reference on a second element is fine next to three on the first.
    build_plan(element_frontal=frontals(2), element_reference=["a", "b", "c", "d@1"])


def test_a_fourth_element_reference_is_rejected_with_its_element_named() -> None:
    refs = ["a.png@1", "b.png@1", "c.png@1", "d.png@1"]
    message = rejected(element_frontal=frontals(2), element_reference=refs)
    assert message == "element 1 accepts at most 3 --element-reference images"


# --- reference-image index: 9 is the last one ----------------------------------------------


def test_ten_reference_images_are_accepted_with_indexes_0_to_9() -> None:
    plans = build_plan(reference_image=[f"ref{i}.png@{i}" for i in range(10)])
    assert [p.index for p in plans] == list(range(10))


def test_reference_image_index_10_is_rejected() -> None:
    values = [f"ref{i}.png@{i}" for i in range(11)]
    assert rejected(reference_image=values) == "--reference-image index must be between 0 and 9"


# --- the parts of the grammar around the limits --------------------------------------------


def test_reference_tasks_are_exactly_the_contract_tasks() -> None:
    assert REFERENCE_TASKS == ("ip", "id", "style")
    for task in REFERENCE_TASKS:
        assert parse_value(REFERENCE_IMAGE, f"x.png@0:{task}").reference_task == task
    # Any other word (or case) after the index is part of the file name.
    assert parse_value(REFERENCE_IMAGE, "x.png@0:IP").image == "x.png@0:IP"


def test_an_unknown_flag_name_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="not a reference flag: 'reference'"):
        parse_value("reference", "x.png")
    with pytest.raises(ValueError, match="not a reference flag"):
        parse_value("--reference-image", "x.png")


def test_a_leading_at_sign_is_a_suffix_and_leaves_no_image() -> None:
    # The split is at the last "@", even when it is the first character.
    assert parse_value(ELEMENT_FRONTAL, "@3") == ReferencePlan(ELEMENT_FRONTAL, "", 3)


def test_an_index_is_read_exactly_up_to_six_digits_and_capped_past_that() -> None:
    # Leading zeros do not count: the value is what the digits say.
    assert parse_value(ELEMENT_FRONTAL, "f.png@999999").index == 999_999
    assert parse_value(ELEMENT_REFERENCE, "r.png@0000999999:000002").index == 999_999
    assert parse_value(ELEMENT_REFERENCE, "r.png@0:0000999999").reference_index == 999_999
    # Seven significant digits or more all read as the one value 1,000,000, however long the
    # text (int() of a 5,000-digit string would raise): out of range, never a crash.
    for digits in ("1000000", "1234567", "9999999", "0" * 9 + "12345678", "9" * 5000):
        assert parse_value(REFERENCE_IMAGE, f"x.png@{digits}").index == 1_000_000
        element = parse_value(ELEMENT_REFERENCE, f"r.png@0:{digits}")
        assert element.reference_index == 1_000_000
    message = rejected(reference_image=["x.png@" + "9" * 5000])
    assert message == "--reference-image index must be between 0 and 9"


def test_plans_are_immutable_values() -> None:
    plan = parse_value(REFERENCE_IMAGE, "x.png@1:style")
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.index = 2  # type: ignore[misc]
    assert {plan, parse_value(REFERENCE_IMAGE, "x.png@1:style")} == {plan}
