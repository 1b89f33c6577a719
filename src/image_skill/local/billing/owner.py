"""Which process owns an in-progress spend claim, and whether that process is gone.

A create/edit claim (see :mod:`.spend`) records the process that runs it: the host, the
boot, the pid namespace, the pid and the process's start time (Linux ``/proc``). When that
process no longer runs (an in-process ``--api-base-url local`` CLI that was interrupted or
killed, a ``local serve`` that crashed), nothing will ever finish the job, so a same-key
request must not wait for it: the claim is settled as failed and refunded at once and the
request runs again (the "a failure is retried at most once more" rule).

The answer is ``True`` only when it is certain: another host, another pid namespace or a
platform without a safe liveness probe (Windows) all count as "still running", which falls
back to the old rule (a claim older than ``STALE_CLAIM_SECONDS`` is abandoned).
"""

from __future__ import annotations

import os
import socket
import sys
from typing import Any

_PROC = "/proc"


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


def _stat(pid: int) -> tuple[str, str] | None:
    """``(state, start time in clock ticks since boot)`` from ``/proc/PID/stat``."""
    text = _read(f"{_PROC}/{pid}/stat")
    if text is None or ")" not in text:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    if len(fields) < 20:
        return None
    return fields[0], fields[19]  # fields 3 (state) and 22 (starttime) of proc(5)


def _boot_id() -> str | None:
    text = _read(f"{_PROC}/sys/kernel/random/boot_id")
    return text.strip() if text else None


def _pid_namespace() -> str | None:
    try:
        return os.readlink(f"{_PROC}/self/ns/pid")
    except OSError:
        return None


def this_process() -> dict[str, Any]:
    """The identity stored with a claim made by this process."""
    pid = os.getpid()
    stat = _stat(pid)
    return {
        "host": socket.gethostname(),
        "boot_id": _boot_id(),
        "pid_namespace": _pid_namespace(),
        "pid": pid,
        "start_ticks": stat[1] if stat else None,
    }


def is_gone(owner: Any) -> bool:
    """Whether the process recorded as ``owner`` certainly no longer runs."""
    if not isinstance(owner, dict):
        return False
    pid = owner.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    if owner.get("host") != socket.gethostname():
        return False
    boot = owner.get("boot_id")
    current_boot = _boot_id()
    if boot and current_boot and boot != current_boot:
        return True  # the machine restarted since the claim was made
    if owner.get("pid_namespace") != _pid_namespace():
        return False  # another container: its processes are not visible from here
    if os.path.isdir(f"{_PROC}/self"):
        stat = _stat(pid)
        if stat is None:
            return True
        state, start = stat
        if state in ("Z", "X"):
            return True  # exited, waiting to be reaped
        recorded = owner.get("start_ticks")
        return bool(recorded) and recorded != start  # the pid now names another process
    if sys.platform == "win32":
        return False  # os.kill(pid, 0) would terminate the process on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False
