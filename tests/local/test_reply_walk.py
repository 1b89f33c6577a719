"""Reply encoding walks into the envelope only where a cached registry text waits: a reply
without one (a dry run's) is encoded in one call, one with one reuses that text."""

from __future__ import annotations

from typing import Any

import pytest

from image_skill.local import errors
from image_skill.local.errors import build_envelope, envelope_json


class _Cached(dict[str, Any]):
    """A value carrying its own text, as the frozen registry rows do."""

    def cached_json(self) -> str:
        return '{"cached":true}'


def _body(data: Any) -> dict[str, Any]:
    return build_envelope(ok=True, command="image-skill create", actor=None, data=data)


def _count_encodes(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    calls: list[Any] = []
    real = errors._ENCODE

    def counting(value: Any) -> str:
        calls.append(value)
        return real(value)

    monkeypatch.setattr(errors, "_ENCODE", counting)
    return calls


def test_a_reply_without_cached_text_is_encoded_in_one_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = {"job_id": "job_1", "quota": {"top_up": {"commands": ["a", "b"]}}, "assets": []}
    calls = _count_encodes(monkeypatch)
    text = envelope_json(_body(data))
    assert len(calls) == 1
    assert text.startswith('{"ok":true,') and '"quota":{"top_up":{"commands":["a","b"]}}' in text


def test_cached_text_in_a_list_of_data_is_still_used(monkeypatch: pytest.MonkeyPatch) -> None:
    data = {"models": [_Cached(id="x"), {"id": "y"}], "count": 2}
    calls = _count_encodes(monkeypatch)
    text = envelope_json(_body(data))
    assert '"models":[{"cached":true},{"id":"y"}]' in text  # its own text, not its keys
    assert not any(isinstance(value, _Cached) for value in calls)
