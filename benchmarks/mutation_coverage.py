"""Which tests run which lines of a module, so a mutant only runs the tests that reach it.

One traced pytest run per module records, for each test, the lines of the module it executes
(only frames of that file are line-traced, so the rest of the run keeps its speed), and the
lines executed outside any test (module import, class bodies, ``def`` defaults). A mutant on
an import-time line runs the module's whole subset; a mutant elsewhere runs the tests that
execute one of its lines; a mutant no test reaches survives without a run (no test can see it).
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import pytest


@dataclass(frozen=True)
class LineMap:
    outside: frozenset[int]
    by_test: dict[str, frozenset[int]]

    def tests_for(self, first: int, last: int) -> list[str] | None:
        """Test ids reaching lines first..last; None means "run the whole subset"."""
        span = set(range(first, last + 1))
        if span & self.outside:
            return None
        return [test for test, lines in self.by_test.items() if span & lines]


class Recorder:
    """A pytest plugin that line-traces one file and files each line under the running test."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.current: str | None = None
        self.by_test: dict[str, set[int]] = {}
        self.outside: set[int] = set()

    def _global(self, frame: FrameType, _event: str, _arg: Any) -> Any:
        return self._local if frame.f_code.co_filename == self.filename else None

    def _local(self, frame: FrameType, event: str, _arg: Any) -> Any:
        if event == "line":
            lines = self.outside if self.current is None else self.by_test[self.current]
            lines.add(frame.f_lineno)
        return self._local

    def start(self) -> None:
        sys.settrace(self._global)
        threading.settrace(self._global)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: Any) -> Iterator[None]:
        self.current = item.nodeid
        self.by_test.setdefault(item.nodeid, set())
        yield
        self.current = None

    def dump(self, path: Path) -> None:
        data = {
            "outside": sorted(self.outside),
            "tests": {test: sorted(lines) for test, lines in self.by_test.items()},
        }
        path.write_text(json.dumps(data), encoding="utf-8")


def load(path: Path) -> LineMap:
    data = json.loads(path.read_text(encoding="utf-8"))
    return LineMap(
        outside=frozenset(data["outside"]),
        by_test={test: frozenset(lines) for test, lines in data["tests"].items()},
    )
