"""Read-only JSON data: the registry rows are built once and shared by every request.

:func:`freeze` turns nested dicts and lists into :class:`FrozenDict` and
:class:`FrozenList`, subclasses of ``dict`` and ``list`` whose mutating methods raise
``TypeError``. They are still a ``dict`` and a ``list`` for everything that reads them:
``json.dumps`` writes the same bytes, ``==`` compares with plain data, ``dict(row)`` and
``list(items)`` give plain shallow copies, and ``copy.deepcopy`` gives a plain, mutable
deep copy. So a request can hand out registry data without copying it, and one that tried
to change it would fail loudly instead of changing what the next request sees.

Because they never change, their JSON text never changes either: :func:`json_text` works it
out once per frozen value and keeps it on the value, so a reply that carries the same
registry rows on every request (``GET /v1/models``) does not encode them again.

Pure: no I/O, stdlib only.
"""

from __future__ import annotations

import copy
import json
from typing import Any, NoReturn, SupportsIndex

__all__ = ["FrozenDict", "FrozenList", "freeze", "json_text"]

#: The JSON form of every reply (the same options as Starlette's ``JSONResponse``).
_ENCODE = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode


def _read_only(*_args: object, **_kwargs: object) -> NoReturn:
    raise TypeError("registry data is read-only; copy.deepcopy() it to get a mutable copy")


class FrozenDict(dict[str, Any]):
    """A ``dict`` that refuses every change after :func:`freeze` built it."""

    __slots__ = ("_json",)

    def cached_json(self) -> str:
        """This value's compact JSON text, worked out on the first call (see :func:`json_text`)."""
        return _cached(self)

    __setitem__ = _read_only
    __delitem__ = _read_only
    __ior__ = _read_only
    clear = _read_only
    pop = _read_only
    popitem = _read_only
    setdefault = _read_only
    update = _read_only

    def __copy__(self) -> dict[str, Any]:
        return dict(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        return {key: copy.deepcopy(value, memo) for key, value in self.items()}

    def __reduce__(self) -> tuple[Any, ...]:
        return (dict, (dict(self),))


class FrozenList(list[Any]):
    """A ``list`` that refuses every change after :func:`freeze` built it."""

    __slots__ = ("_json",)

    def cached_json(self) -> str:
        """This value's compact JSON text, worked out on the first call (see :func:`json_text`)."""
        return _cached(self)

    __setitem__ = _read_only
    __delitem__ = _read_only
    __iadd__ = _read_only
    __imul__ = _read_only
    append = _read_only
    extend = _read_only
    insert = _read_only
    remove = _read_only
    clear = _read_only
    sort = _read_only
    reverse = _read_only

    def pop(self, index: SupportsIndex = -1) -> NoReturn:
        del index
        _read_only()

    def __copy__(self) -> list[Any]:
        return list(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> list[Any]:
        return [copy.deepcopy(value, memo) for value in self]

    def __reduce__(self) -> tuple[Any, ...]:
        return (list, (list(self),))


def freeze(value: Any) -> Any:
    """A read-only deep copy of JSON-shaped ``value`` (dicts, lists, tuples, scalars).

    Tuples become :class:`FrozenList` too, so the result compares and serialises exactly
    like the JSON it stands for.
    """
    if isinstance(value, dict):
        return FrozenDict({key: freeze(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return FrozenList(freeze(item) for item in value)
    return value


def json_text(value: Any) -> str:
    """``value`` as compact JSON text (``ensure_ascii=False``, no NaN), as Starlette writes it.

    A :class:`FrozenDict` or :class:`FrozenList` is encoded once and the text kept on it
    (it can never change); anything else is encoded on every call.
    """
    if isinstance(value, FrozenDict | FrozenList):
        return _cached(value)
    return _ENCODE(value)


def _cached(value: FrozenDict | FrozenList) -> str:
    text: str | None = getattr(value, "_json", None)
    if text is None:
        text = _ENCODE(value)
        object.__setattr__(value, "_json", text)
    return text
