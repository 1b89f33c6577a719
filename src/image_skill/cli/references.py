"""The reference-image flags of `create` and `edit` (contract §10.3). Pure, no I/O.

Three repeatable flags name extra input images, each value being ``IMAGE[@SUFFIX]`` where
IMAGE is an asset id, an owned media URL, a local path or an http(s) URL:

=========================================  ===================  =============================
flag                                       role                 suffix
=========================================  ===================  =============================
``--element-frontal IMAGE[@E]``            ``element_frontal``  element index E (default 0)
``--element-reference IMAGE[@E[:R]]``      ``element_reference``  E, plus ``reference_index`` R
``--reference-image IMAGE[@I[:TASK]]``     ``reference_image``  index I, plus ``reference_task``
                                                                TASK in ``ip``/``id``/``style``
=========================================  ===================  =============================

The value is split at its **last** ``@``. When the text after it is not a valid suffix for
the flag, the whole value (``@`` included) is the image and the index is 0, so
``photo@2x.png`` is simply a file name.

:func:`build_plan` validates every value and the plan as a whole and returns the entries in
the order the API receives them: element frontals, element references, reference images
(each in flag order). Uploading and asset-id resolution happen elsewhere; a
:class:`ReferencePlan` turns into the request's ``references[]`` item with
:meth:`ReferencePlan.to_reference`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ELEMENT_FRONTAL",
    "ELEMENT_REFERENCE",
    "REFERENCE_FLAGS",
    "REFERENCE_IMAGE",
    "REFERENCE_TASKS",
    "ReferenceFlagError",
    "ReferencePlan",
    "build_plan",
    "format_value",
    "parse_value",
]

ELEMENT_FRONTAL = "element-frontal"
ELEMENT_REFERENCE = "element-reference"
REFERENCE_IMAGE = "reference-image"
#: Flag names (without dashes) in the order their entries are sent.
REFERENCE_FLAGS: tuple[str, ...] = (ELEMENT_FRONTAL, ELEMENT_REFERENCE, REFERENCE_IMAGE)
REFERENCE_TASKS: tuple[str, ...] = ("ip", "id", "style")

_ROLES = {
    ELEMENT_FRONTAL: "element_frontal",
    ELEMENT_REFERENCE: "element_reference",
    REFERENCE_IMAGE: "reference_image",
}
# ASCII digits only (JavaScript's \d), not every Unicode digit Python's \d accepts.
_ELEMENT_SUFFIX = re.compile(r"([0-9]+)(?::([0-9]+))?")
_REFERENCE_IMAGE_SUFFIX = re.compile(r"([0-9]+)(?::(ip|id|style))?")

MAX_ELEMENT_INDEX = 9
MAX_ELEMENT_REFERENCE_INDEX = 2
MAX_REFERENCE_IMAGE_INDEX = 9
MAX_REFERENCES_PER_ELEMENT = 3


class ReferenceFlagError(ValueError):
    """A reference flag value or the combination of values is invalid.

    ``str(error)`` is the contract's message, meant for ``INVALID_ARGUMENTS``.
    """


@dataclass(frozen=True)
class ReferencePlan:
    """One parsed reference flag value, before its image is resolved to an asset id."""

    flag: str
    image: str
    index: int
    reference_index: int | None = None
    reference_task: str | None = None

    @property
    def role(self) -> str:
        return _ROLES[self.flag]

    def to_reference(self, asset_id: str) -> dict[str, Any]:
        """The ``references[]`` item for the request body, keys in contract order."""
        item: dict[str, Any] = {"asset_id": asset_id, "role": self.role, "index": self.index}
        if self.reference_index is not None:
            item["reference_index"] = self.reference_index
        if self.reference_task is not None:
            item["reference_task"] = self.reference_task
        return item


#: Indexes longer than this are out of range whatever their value (and ``int()`` of a
#: 5,000-digit string would raise instead of giving the range error).
_MAX_INDEX_DIGITS = 6


def _index(digits: str) -> int:
    """The value of an ASCII digit string, capped so that a huge one is just out of range."""
    significant = digits.lstrip("0") or "0"
    return int(significant) if len(significant) <= _MAX_INDEX_DIGITS else 10**_MAX_INDEX_DIGITS


def parse_value(flag: str, value: str) -> ReferencePlan:
    """Split one value at its last ``@``; no range checks (see :func:`build_plan`)."""
    if flag not in _ROLES:
        raise ValueError(f"not a reference flag: {flag!r}")
    image, index, second = value, 0, None
    at = value.rfind("@")
    if at >= 0:
        pattern = _REFERENCE_IMAGE_SUFFIX if flag == REFERENCE_IMAGE else _ELEMENT_SUFFIX
        match = pattern.fullmatch(value[at + 1 :])
        if match is not None:
            image, index, second = value[:at], _index(match.group(1)), match.group(2)
    if flag == REFERENCE_IMAGE:
        return ReferencePlan(flag, image, index, reference_task=second)
    return ReferencePlan(
        flag, image, index, reference_index=_index(second) if second is not None else None
    )


def format_value(plan: ReferencePlan) -> str:
    """The flag value that parses back to ``plan`` (always with an explicit suffix)."""
    suffix = str(plan.index)
    if plan.reference_index is not None:
        suffix += f":{plan.reference_index}"
    if plan.reference_task is not None:
        suffix += f":{plan.reference_task}"
    return f"{plan.image}@{suffix}"


def _check_value(plan: ReferencePlan) -> None:
    name = f"--{plan.flag}"
    if plan.image == "":
        raise ReferenceFlagError(f"{name} requires an image")
    if plan.flag == ELEMENT_FRONTAL and plan.reference_index is not None:
        raise ReferenceFlagError(
            "--element-frontal accepts IMAGE[@ELEMENT_INDEX], not a reference index"
        )
    if plan.flag in (ELEMENT_FRONTAL, ELEMENT_REFERENCE):
        if plan.index > MAX_ELEMENT_INDEX:
            raise ReferenceFlagError(
                f"{name} element index must be between 0 and {MAX_ELEMENT_INDEX}"
            )
        if plan.reference_index is not None and plan.reference_index > MAX_ELEMENT_REFERENCE_INDEX:
            raise ReferenceFlagError(
                f"{name} reference index must be between 0 and {MAX_ELEMENT_REFERENCE_INDEX}"
            )
    elif plan.index > MAX_REFERENCE_IMAGE_INDEX:
        raise ReferenceFlagError(
            f"--reference-image index must be between 0 and {MAX_REFERENCE_IMAGE_INDEX}"
        )


def _contiguous(indexes: set[int]) -> bool:
    return indexes == set(range(len(indexes)))


def _unique_indexes(plans: Sequence[ReferencePlan], flag: str, noun: str) -> set[int]:
    """The indexes of the ``flag`` plans; an index given twice is an error."""
    seen: set[int] = set()
    for plan in plans:
        if plan.flag == flag:
            if plan.index in seen:
                raise ReferenceFlagError(f"only one --{flag} is allowed for {noun} {plan.index}")
            seen.add(plan.index)
    return seen


def _check_plan(plans: Sequence[ReferencePlan]) -> None:
    frontals = _unique_indexes(plans, ELEMENT_FRONTAL, "element")
    references_per_element: dict[int, int] = {}
    for plan in plans:
        if plan.flag == ELEMENT_REFERENCE:
            references_per_element[plan.index] = references_per_element.get(plan.index, 0) + 1
    if not _contiguous(frontals | set(references_per_element)):
        raise ReferenceFlagError("element indexes must be contiguous starting at 0")
    for element in sorted(references_per_element):
        if element not in frontals:
            raise ReferenceFlagError(
                f"--element-reference for element {element} requires --element-frontal "
                "for the same element"
            )
        if references_per_element[element] > MAX_REFERENCES_PER_ELEMENT:
            raise ReferenceFlagError(
                f"element {element} accepts at most {MAX_REFERENCES_PER_ELEMENT} "
                "--element-reference images"
            )
    if not _contiguous(_unique_indexes(plans, REFERENCE_IMAGE, "index")):
        raise ReferenceFlagError("reference image indexes must be contiguous starting at 0")


def build_plan(
    element_frontal: Sequence[str] = (),
    element_reference: Sequence[str] = (),
    reference_image: Sequence[str] = (),
) -> list[ReferencePlan]:
    """Parse and validate all reference flag values; raise :class:`ReferenceFlagError`.

    Values are checked frontals first, then element references, then reference images,
    each in the order given; then the plan as a whole. The result is in the same order.
    """
    plans: list[ReferencePlan] = []
    for flag, values in (
        (ELEMENT_FRONTAL, element_frontal),
        (ELEMENT_REFERENCE, element_reference),
        (REFERENCE_IMAGE, reference_image),
    ):
        for value in values:
            plan = parse_value(flag, value)
            _check_value(plan)
            plans.append(plan)
    _check_plan(plans)
    return plans
