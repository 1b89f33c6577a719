"""The base of the request classes: their pydantic config and ``to_body()``.

Standard library only (the CLI imports it at start-up).
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

#: Pydantic reads this plain dict as the model config of every request class: unknown
#: keys are refused, and attribute docstrings become schema descriptions.
CONFIG: dict[str, Any] = {"extra": "forbid", "use_attribute_docstrings": True}

Number = int | float


def documented(**rules: dict[str, Any]) -> dict[str, Any]:
    """The model config plus JSON-schema keywords for some properties: value rules the
    server checks itself (so that a refusal carries the contract's own message)."""

    def extra(schema: dict[str, Any]) -> None:
        for name, keywords in rules.items():
            schema["properties"][name].update(keywords)

    return {**CONFIG, "json_schema_extra": extra}


def _wire(value: Any) -> Any:
    """A field value as JSON data (nested request objects become their bodies)."""
    if isinstance(value, RequestBody):
        return value.to_body()
    if isinstance(value, list):
        return [_wire(item) for item in value]
    if isinstance(value, dict):
        return dict(value)
    return value


class RequestBody:
    """``to_body()`` for the request dataclasses: every field in declaration order, except
    a ``None`` (unless the field is in ``_KEEP_NONE``) and a ``False`` flag named in
    ``_OMIT_FALSE``."""

    _KEEP_NONE: ClassVar[frozenset[str]] = frozenset()
    _OMIT_FALSE: ClassVar[frozenset[str]] = frozenset()

    def to_body(self) -> dict[str, Any]:
        """The JSON object sent on the wire, keys in the contract's order."""
        body: dict[str, Any] = {}
        for item in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, item.name)
            if value is None and item.name not in self._KEEP_NONE:
                continue
            if value is False and item.name in self._OMIT_FALSE:
                continue
            body[item.name] = _wire(value)
        return body
