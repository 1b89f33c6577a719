"""File-order turns for `batch create --max-total-usd`.

Lines are planned (priced) concurrently, but each takes its share of the budget in file
order: line 3 reserves only after lines 1 and 2 reserved, were skipped, or failed. So the
lines a budget covers are the first ones of the file that fit, on every run and at any
``--concurrency``, not whichever plan happened to answer first. A line's turn is passed as
soon as its reservation is decided, so the spends themselves still overlap.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

__all__ = ["Turns"]

#: How often a waiting worker looks at the stop flag (Ctrl-C).
POLL_SECONDS = 0.1


class Turns:
    """Turns over ``numbers`` (line numbers in file order), on the runner's ``lock``.

    Every method expects the caller to hold that lock.
    """

    def __init__(self, lock: threading.Lock, numbers: Iterable[int]) -> None:
        self._changed = threading.Condition(lock)
        self._order = list(numbers)
        self._index = {number: index for index, number in enumerate(self._order)}
        self._turn = 0
        self._passed: set[int] = set()

    def wait(self, number: int, stopped: Callable[[], bool]) -> None:
        """Wait until it is ``number``'s turn (or the batch is stopping)."""
        while self._turn < self._index[number] and not stopped():
            self._changed.wait(POLL_SECONDS)

    def done(self, number: int, stopped: Callable[[], bool]) -> None:
        """Pass ``number``'s turn on, once: waits for it first if needed (a line that ended
        before it reserved, say on a failed plan)."""
        if number in self._passed:
            return
        self.wait(number, stopped)
        self._passed.add(number)
        if self._turn == self._index[number]:
            self._turn += 1
            # Later lines whose turn came while this one ended out of order catch up too.
            while self._turn < len(self._order) and self._order[self._turn] in self._passed:
                self._turn += 1
        self._changed.notify_all()
