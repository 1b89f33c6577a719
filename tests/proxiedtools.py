"""A served local backend behind a FaultServer, as the file and download reliability tests
use it: the FaultServer is the ``--api-base-url`` and the media base, so media downloads
can be slowed, stalled, rewritten or redirected while the spend itself runs for real."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from clitools import SIGNUP, invoke
from faults import FaultServer


@dataclass
class ProxiedBackend:
    fs: FaultServer
    upstream: str

    @property
    def args(self) -> tuple[str, str]:
        return ("--api-base-url", self.fs.url)


@contextmanager
def signed_up_backend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make: type[ProxiedBackend] = ProxiedBackend
) -> Iterator[ProxiedBackend]:
    """A signed-up agent on a served local backend behind a FaultServer; cwd is tmp_path/work.
    ``make`` builds the handle (a subclass with a test module's own helpers)."""
    from image_skill.local.server import serve_in_thread
    from image_skill.local.settings import LocalSettings

    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(tmp_path / "cfg" / "config.json"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    with FaultServer() as fs:
        with serve_in_thread(LocalSettings.from_env(media_base_url=fs.url)) as (upstream, _):
            fs.upstream = upstream
            found = make(fs, upstream)
            signed = invoke(*SIGNUP, *found.args)
            assert signed.exit_code == 0, signed.stdout
            yield found
