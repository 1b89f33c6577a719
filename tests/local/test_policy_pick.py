"""The default-policy model pick (now remembered per operation, provider and modality) gives
the same answers as it always did, refusals included, whatever order they are asked in."""

from __future__ import annotations

import pytest

from image_skill.local.errors import ApiError
from image_skill.local.registry.models import all_models, default_model, is_runnable
from image_skill.local.registry.selection import select_model


def _pick(operation: str, provider: str | None = None, intent: str | None = None) -> str:
    selection = select_model(operation, model=None, provider=provider, intent=intent, base="local")
    return str(selection.row["id"])


def test_the_default_pick_is_the_default_row_every_time() -> None:
    first = select_model("create", model=None, provider=None, intent=None, base="local")
    again = select_model("create", model=None, provider=None, intent=None, base="local")
    assert first.row is again.row is default_model()
    assert first.explicit is False and "picked the runnable image model (default)" in first.reason


def test_each_modality_gets_a_runnable_row_of_that_modality() -> None:
    for intent, modality in (("a short video", "video"), ("a song", "audio")):
        for _ in range(2):
            row_id = _pick("create", intent=intent)
            row = next(r for r in all_models() if r["id"] == row_id)
            assert is_runnable(row) and row["modality"] == modality, (intent, row_id)


@pytest.mark.parametrize("base", ["local", "http://127.0.0.1:9"])
def test_an_unknown_provider_is_refused_with_the_asking_backends_command(base: str) -> None:
    for _ in range(2):  # the second refusal comes after the pick was remembered
        with pytest.raises(ApiError) as refused:
            select_model("create", model=None, provider="nobody", intent=None, base=base)
        assert refused.value.code == "MODEL_NOT_EXECUTABLE"
        assert "from provider 'nobody'" in refused.value.message
        command = str((refused.value.recovery or {})["suggested_command"])
        assert command.endswith(f"--api-base-url {base} --json")
    assert _pick("create") == default_model()["id"]  # a refusal changes no later pick
