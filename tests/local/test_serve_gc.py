"""``local serve`` takes its start-up objects out of the garbage collector's reach."""

from __future__ import annotations

import gc

import pytest

from image_skill.local import server
from image_skill.local.settings import LocalSettings


def test_serve_freezes_the_startup_objects_before_it_serves(
    local_settings: LocalSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    seen: list[int] = []
    monkeypatch.setattr(
        uvicorn.Server, "run", lambda self, sockets=None: seen.append(gc.get_freeze_count())
    )
    before = gc.get_freeze_count()
    try:
        server.serve(port=0, settings=local_settings)
    finally:
        gc.unfreeze()
    # The app (its routes, models and modules) was frozen before serving began.
    assert len(seen) == 1 and seen[0] > before + 10_000
