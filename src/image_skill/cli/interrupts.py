"""How the CLI answers SIGINT (Ctrl-C) and SIGTERM. Standard library only.

:func:`image_skill.cli.main` installs this policy before it imports click or any command
module, so a signal during start-up is reported like any other interrupt. For one run:

* SIGTERM is treated exactly like SIGINT.
* The **first** signal interrupts: ``KeyboardInterrupt`` is raised where the program is and
  the run reports ``INTERRUPTED`` (exit 130), with a recovery when a spend was in flight.
* Every **later** signal is recorded and ignored: the run is already on its way to print its
  one envelope, and a second Ctrl-C a few milliseconds after the first must not cut that
  envelope in half.
* **The real outcome wins once known.** The moment a command returns its result, signals are
  recorded and ignored: the envelope printed is that result and the exit code is its own
  (an ``ok: true`` envelope always exits 0). Printing the envelope is never interrupted.
* Once the envelope is out, the process entry point blocks both signals until the process
  has exited, so that the exit code stays the envelope's while Python shuts down.
* A signal that arrives before the interpreter runs our entry point (the first few
  milliseconds of the process, while Python itself starts) ends the process as it ends any
  program: killed by the signal, no envelope (a shell reports exit 130).

Code that must not be cut in the middle (writing a breadcrumb, settling an outcome) can run
under :func:`deferred`: a first signal that arrives inside is delivered when it ends.

Only ``signal`` is imported here (no typing, threading or contextlib), so that the policy is
in place a few milliseconds after the interpreter starts running the package.
"""

from __future__ import annotations

import signal

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import FrameType, TracebackType
    from typing import Any

__all__ = ["HANDLED_SIGNALS", "Interrupts", "current", "deferred", "outcome_known"]

#: The signals the CLI handles (SIGTERM behaves like SIGINT).
HANDLED_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM)

_current: Interrupts | None = None


class Interrupts:
    """The signal policy of one CLI run (see the module docstring)."""

    def __init__(self) -> None:
        #: While armed, the next signal raises KeyboardInterrupt (then it disarms itself).
        self.armed = True
        #: Every signal received during the run, in order.
        self.received: list[int] = []
        self._deferring = 0
        self._pending = False
        self._previous: dict[int, Any] = {}

    def _handler(self, signum: int, _frame: FrameType | None) -> None:
        self.received.append(signum)
        if not self.armed:
            return
        if self._deferring:
            self._pending = True
            return
        self.armed = False
        raise KeyboardInterrupt

    def install(self) -> Interrupts:
        """Take over SIGINT and SIGTERM (main thread only; elsewhere this does nothing)."""
        global _current
        for signum in HANDLED_SIGNALS:
            try:
                self._previous[signum] = signal.signal(signum, self._handler)
            except ValueError:  # not the main thread: leave signals alone
                return self
            except OSError:  # pragma: no cover - a platform without this signal
                continue
        _current = self
        return self

    def hold(self) -> None:
        """The outcome is known: from now on signals are recorded and ignored."""
        self.armed = False

    def block_until_exit(self) -> None:
        """For the process entry point, once the envelope is out: block both signals.

        Python resets its signal handlers to the defaults while it shuts down, so a signal
        landing then would still kill the process and turn the exit code into -2/-15. A
        blocked signal stays pending and dies with the process.
        """
        self.armed = False
        block = getattr(signal, "pthread_sigmask", None)
        if block is not None:
            try:
                block(signal.SIG_BLOCK, HANDLED_SIGNALS)
            except (OSError, ValueError):  # pragma: no cover
                pass

    def restore(self) -> None:
        """Give the signals back to whoever had them before :meth:`install`."""
        global _current
        for signum, previous in self._previous.items():
            try:
                signal.signal(signum, previous)
            except (OSError, ValueError, TypeError):  # pragma: no cover
                continue
        self._previous.clear()
        if _current is self:
            _current = None


def current() -> Interrupts | None:
    """The policy of the running CLI invocation, if one is installed."""
    return _current


def outcome_known() -> None:
    """Mark the running command's outcome as known (signals no longer interrupt it)."""
    guard = _current
    if guard is not None:
        guard.armed = False


class deferred:  # noqa: N801 (used like a function: ``with deferred():``)
    """Run a block that a first signal must not cut; the signal is delivered when it ends
    (even when the block raised: the interrupt wins)."""

    def __enter__(self) -> None:
        self._guard = _current
        if self._guard is not None:
            self._guard._deferring += 1

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        guard = self._guard
        if guard is None:
            return
        guard._deferring -= 1
        if not guard._deferring and guard._pending and guard.armed:
            guard._pending = False
            guard.armed = False
            raise KeyboardInterrupt
