"""Run a command in a real terminal: a tmux pane on a private socket, watched while it runs.

The progress bars of ``--human`` mode are drawn only when stderr is a terminal, so they can
only be seen in one. :class:`Tmux` starts a detached tmux server on its own socket
(``tmux -L NAME``, no user config), runs a shell script in a 120 × 30 pane and captures the
pane repeatedly (``capture-pane -p``) until the script has written its exit code. The
script sends stdout to a file, so whatever the pane shows came from stderr.

tmux is a Debian package (``.ci/run`` installs it when missing); without it these tests fail
and say so, they never skip.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from clitools import free_port
from e2etools import script

#: What rich's transfer bar shows: bytes done of total ("1.2/3.0 MB") and a rate ("2.0 MB/s").
BYTES = re.compile(r"\d+(?:\.\d+)?/\d+(?:\.\d+)? (?:bytes|[kMG]B)\b")
RATE = re.compile(r"\d+(?:\.\d+)? (?:bytes|[kMG]B)/s\b")
#: Its time-left column ("0:00:02").
ETA = re.compile(r"\b\d:\d\d:\d\d\b")
#: The stderr lines JSON mode may write (README: in_flight, token_on_command_line).
DOCUMENTED_NOTICES = frozenset({"in_flight", "token_on_command_line"})
#: Variables the pane sets for itself (a TERM=dumb from CI must not reach the pane).
_PANE_OWN = frozenset({"TERM", "TMUX", "TMUX_PANE", "COLUMNS", "LINES"})


def tmux_binary() -> str:
    found = shutil.which("tmux")
    if found is None:
        pytest.fail(
            "tmux is not installed: the real-terminal tests need it "
            "(apt-get install tmux; .ci/run installs it when missing)",
            pytrace=False,
        )
    return found


@dataclass
class PaneRun:
    """One command run in the pane: its exit code, stdout (a file) and what the pane showed."""

    exit_code: int
    stdout: str
    frames: list[str]
    #: The same captures with the terminal's attributes as escape sequences (``-e``).
    styled: list[str]

    def frames_matching(self, *patterns: re.Pattern[str]) -> list[str]:
        return [frame for frame in self.frames if all(p.search(frame) for p in patterns)]

    def coloured(self) -> bool:
        """Whether any capture had a foreground or background colour set."""
        return any(has_colour(frame) for frame in self.styled)


_SGR = re.compile(r"\x1b\[([0-9;:]*)m")


def has_colour(text: str) -> bool:
    """Whether ``text`` sets a colour (SGR 30-49 or 90-107), not only bold or dim."""
    for found in _SGR.finditer(text):
        for part in found.group(1).replace(":", ";").split(";"):
            if part.isdigit() and (30 <= int(part) <= 49 or 90 <= int(part) <= 107):
                return True
    return False


class Tmux:
    """A private tmux server; :meth:`run` a command in a fresh pane of it."""

    def __init__(self, workdir: Path) -> None:
        self.binary = tmux_binary()
        self.socket = f"image-skill-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.workdir = workdir
        self.runs = 0

    def _tmux(self, *args: str) -> subprocess.CompletedProcess[str]:
        # The server (started by the first call) passes its own environment to every pane:
        # keep it minimal, so a pane sees only what :meth:`run` exports.
        env = {"PATH": os.environ.get("PATH", os.defpath), "LC_ALL": "C.UTF-8"}
        env.update({k: v for k, v in os.environ.items() if k == "TMUX_TMPDIR"})
        return subprocess.run(
            [self.binary, "-L", self.socket, "-f", os.devnull, *args],
            capture_output=True,
            text=True,
            timeout=10,
            env=env,
        )

    def run(
        self,
        argv: list[str],
        env: Mapping[str, str],
        *,
        term: str | None = None,
        timeout: float = 30.0,
    ) -> PaneRun:
        """Run ``argv`` in a new 120 × 30 session, stdout to a file, stderr on the pane.
        ``term`` replaces the pane's own ``TERM`` (``dumb``)."""
        self.runs += 1
        name = f"run{self.runs}"
        out = self.workdir / f"{name}.stdout"
        rc = self.workdir / f"{name}.rc"
        exports = "".join(
            f"export {key}={shlex.quote(value)}\n"
            for key, value in env.items()
            if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) and key not in _PANE_OWN
        )
        if term is not None:
            exports += f"export TERM={shlex.quote(term)}\n"
        body = (
            f"{exports}cd {shlex.quote(str(self.workdir))}\n"
            f"{shlex.join(argv)} >{shlex.quote(str(out))}\n"
            f"echo $? >{shlex.quote(str(rc))}.tmp && mv {shlex.quote(str(rc))}.tmp "
            f"{shlex.quote(str(rc))}\n"
            "sleep 60\n"  # keep the pane for the last captures; kill-server ends it
        )
        path = self.workdir / f"{name}.sh"
        path.write_text(body)
        started = self._tmux(
            "new-session", "-d", "-s", name, "-x", "120", "-y", "30", f"sh {shlex.quote(str(path))}"
        )
        assert started.returncode == 0, f"tmux new-session failed: {started.stderr}"
        frames: list[str] = []
        styled: list[str] = []
        deadline = time.monotonic() + timeout
        while True:
            done = rc.exists()
            shot = self._tmux("capture-pane", "-p", "-t", name)
            if shot.returncode == 0 and (not frames or frames[-1] != shot.stdout):
                frames.append(shot.stdout)
                styled.append(self._tmux("capture-pane", "-p", "-e", "-t", name).stdout)
            if done:
                break
            assert time.monotonic() < deadline, f"{argv} did not finish; pane: {frames[-1:]}"
            time.sleep(0.03)
        return PaneRun(int(rc.read_text().strip()), out.read_text(), frames, styled)

    def kill(self) -> None:
        self._tmux("kill-server")


@contextmanager
def tmux_session(workdir: Path) -> Iterator[Tmux]:
    """A private tmux server, killed on the way out."""
    workdir.mkdir(parents=True, exist_ok=True)
    tmux = Tmux(workdir)
    try:
        yield tmux
    finally:
        tmux.kill()


@contextmanager
def serve(env: Mapping[str, str], log: Path) -> Iterator[str]:
    """``image-skill local serve`` on a free loopback port with ``env``; yields its URL."""
    port = free_port()
    with log.open("wb") as stderr:
        proc = subprocess.Popen(
            [script(), "local", "serve", "--port", str(port)],
            env=dict(env),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=1) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"local serve did not start: {log.read_text()}") from None
                time.sleep(0.05)
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def notices_only(stderr: str) -> list[dict[str, Any]]:
    """The JSON lines on stderr, after checking each is one of the documented notices."""
    import json

    parsed = [json.loads(line) for line in stderr.splitlines() if line.strip()]
    for item in parsed:
        assert isinstance(item, dict) and set(item) <= DOCUMENTED_NOTICES and item, stderr
    return parsed
