"""Completeness of the reference-flag grammar: every valid combination of flags is accepted,
as given, in the order the API receives it (contract §10.3). tests/fuzz checks the other
direction (whatever is accepted is valid)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from image_skill.cli.references import (
    ELEMENT_FRONTAL,
    ELEMENT_REFERENCE,
    REFERENCE_IMAGE,
    REFERENCE_TASKS,
    ReferencePlan,
    build_plan,
    format_value,
    parse_value,
)

_IMAGES = st.text(min_size=1, max_size=12)


@st.composite
def valid_plans(draw: st.DrawFn) -> list[list[ReferencePlan]]:
    """A valid set of plans (frontals, element references, reference images) and the same
    plans shuffled within each flag, as a user may give them."""
    elements = draw(st.integers(0, 10))
    fronts = [ReferencePlan(ELEMENT_FRONTAL, draw(_IMAGES), e) for e in range(elements)]
    refs = [
        ReferencePlan(
            ELEMENT_REFERENCE,
            draw(_IMAGES),
            e,
            reference_index=draw(st.none() | st.integers(0, 2)),
        )
        for e in range(elements)
        for _ in range(draw(st.integers(0, 3)))
    ]
    images = [
        ReferencePlan(
            REFERENCE_IMAGE,
            draw(_IMAGES),
            i,
            reference_task=draw(st.none() | st.sampled_from(REFERENCE_TASKS)),
        )
        for i in range(draw(st.integers(0, 10)))
    ]
    return [
        draw(st.permutations(fronts)),
        draw(st.permutations(refs)),
        draw(st.permutations(images)),
    ]


def _value(plan: ReferencePlan, bare: bool) -> str:
    """The flag value; a plain image (no suffix) when that means the same plan."""
    plain = plan.index == 0 and plan.reference_index is None and plan.reference_task is None
    if bare and plain and parse_value(plan.flag, plan.image) == plan:
        return plan.image
    return format_value(plan)


@given(groups=valid_plans(), bare=st.booleans())
@settings(max_examples=100, deadline=None, derandomize=True, database=None)
def test_every_valid_plan_is_accepted_as_given(
    groups: list[list[ReferencePlan]], bare: bool
) -> None:
    fronts, refs, images = groups
    plans = build_plan(
        element_frontal=[_value(p, bare) for p in fronts],
        element_reference=[_value(p, bare) for p in refs],
        reference_image=[_value(p, bare) for p in images],
    )
    assert plans == [*fronts, *refs, *images]
