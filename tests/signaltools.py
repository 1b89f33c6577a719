"""A real ``local serve`` subprocess, fresh agents on it, and the signal harness.

``run_signal_case`` starts ``python -m image_skill create ... --api-base-url <served URL>``
as a subprocess for a fresh agent, sends SIGINT or SIGTERM after a delay (counted from the
moment the interpreter can take a signal at all; once, or twice a few ms apart) and returns
every broken invariant (issue 8 point 8):

* stdout is exactly one valid envelope and the exit code is 130 or the real outcome's (0);
* the in-flight breadcrumb is kept exactly while the outcome is unknown: present after an
  exit 130 that followed the request being sent (the ``in_flight`` notice), absent after a
  known outcome;
* an unknown outcome prints a recovery command that runs at once (as printed, through
  ``bash -c``), succeeds, removes the breadcrumb and does not charge twice (the balance
  from ``quota`` is the starting one minus one create's price).

Used by ``tests/reliability/test_signals.py`` and ``benchmarks/reliability.py``.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clitools import invoke
from envelopetools import envelope_problems, parse_one_envelope
from faults import Fault, FaultServer

PYTHON = sys.executable
#: How long a printed recovery command may take ("runnable at once").
RECOVERY_LIMIT = 20.0
_ANNOUNCE = re.compile(r"http://127\.0\.0\.1:(\d+)")


def child_env(home: Path, config: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment of a CLI subprocess: no IMAGE_SKILL_* from outside, temp HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMAGE_SKILL_")}
    env.pop("XDG_CONFIG_HOME", None)
    env["HOME"] = str(home)
    env["NO_COLOR"] = "1"
    if config is not None:
        env["IMAGE_SKILL_CONFIG_PATH"] = str(config)
    env.update(extra)
    return env


@contextmanager
def local_serve(root: Path) -> Iterator[str]:
    """``python -m image_skill local serve --port 0`` with its own data dir; yields its URL."""
    root.mkdir(parents=True, exist_ok=True)
    env = child_env(root / "serve-home", IMAGE_SKILL_LOCAL_DIR=str(root / "local-data"))
    log = open(root / "serve.log", "w+")  # noqa: SIM115 (kept open while the server runs)
    proc = subprocess.Popen(
        [PYTHON, "-m", "image_skill", "local", "serve", "--port", "0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        text=True,
    )
    try:
        base = _wait_for_announce(proc, root / "serve.log")
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _wait_for_announce(proc: subprocess.Popen[str], log: Path) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = _ANNOUNCE.search(log.read_text())
        if found:
            base = f"http://127.0.0.1:{found.group(1)}"
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as reply:
                    if reply.status == 200:
                        return base
            except OSError:
                pass
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError(f"local serve did not start: {log.read_text()[-2000:]}")


@dataclass
class Agent:
    """A signed-up agent whose token is saved in its own config file."""

    base_url: str
    config: Path
    home: Path

    def env(self, **extra: str) -> dict[str, str]:
        return child_env(self.home, self.config, **extra)

    def invoke(self, *args: str, input: str | None = None) -> Any:
        """Run the CLI in-process as this agent against its server."""
        env = {"IMAGE_SKILL_CONFIG_PATH": str(self.config), "HOME": str(self.home)}
        return invoke(*args, "--api-base-url", self.base_url, input=input, env=env)

    def balance(self) -> int:
        quota = self.invoke("usage", "quota")
        assert quota.exit_code == 0, quota.stdout
        value = quota.data["limits"]["total_remaining_credits"]
        assert isinstance(value, int)
        return value

    def in_flight(self) -> list[Path]:
        folder = self.config.parent / "in-flight"
        return sorted(folder.glob("*.json")) if folder.exists() else []


def new_agent(base_url: str, root: Path, name: str) -> Agent:
    folder = root / name
    home = folder / "home"
    home.mkdir(parents=True, exist_ok=True)
    agent = Agent(base_url, folder / "cfg" / "config.json", home)
    res = agent.invoke(
        "signup",
        "--agent",
        "--agent-contact",
        f"{name}@example.com",
        "--agent-name",
        name,
        "--runtime",
        "reliability",
    )
    assert res.exit_code == 0, res.stdout
    return agent


def in_flight_notices(stderr: str) -> list[dict[str, Any]]:
    notices = []
    for line in stderr.splitlines():
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict) and isinstance(value.get("in_flight"), dict):
            notices.append(value["in_flight"])
    return notices


def create_argv(prompt: str, base_url: str) -> list[str]:
    return [PYTHON, "-m", "image_skill", "create", "--prompt", prompt, "--api-base-url", base_url]


@dataclass
class Link:
    """A slow link in front of the server: a :class:`faults.FaultServer` proxy that lets the
    real backend perform each create, then holds its reply for ``hold`` seconds, so the
    window in which the outcome is unknown to the client is wide enough to hit."""

    proxy: FaultServer
    hold: float

    def arm(self) -> str:
        """Queue the hold for the next create (dropping any unused one); the URL to use."""
        self.proxy.clear()
        self.proxy.script("POST", "/v1/create", Fault(proxy=True, delay=self.hold))
        return self.proxy.url


@dataclass(frozen=True)
class Calibration:
    startup: float  # from exec until the interpreter catches SIGINT
    duration: float  # from then until one undisturbed create exits
    price: int  # the credits that create cost


def calibrate(base_url: str, root: Path, link: Link | None = None) -> Calibration:
    """Time one undisturbed create subprocess and the credits it costs."""
    # a saved token is only sent to the base URL it was saved for: sign up where creates go
    agent = new_agent(link.proxy.url if link else base_url, root, "calibration")
    before = agent.balance()
    target = link.arm() if link else base_url
    proc = subprocess.Popen(
        create_argv("a calibration lighthouse", target),
        env=agent.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    startup = wait_until_catching(proc)
    started = time.monotonic()
    stdout, stderr = proc.communicate(timeout=120)
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, stdout + stderr
    return Calibration(startup, elapsed, before - agent.balance())


@dataclass(frozen=True)
class SignalCase:
    delay: float
    signum: int
    double: bool
    gap: float = 0.005

    @property
    def label(self) -> str:
        name = signal.Signals(self.signum).name
        return f"{name}{'x2' if self.double else ''}@{self.delay:.3f}s"


def wait_until_catching(proc: subprocess.Popen[str], limit: float = 10.0) -> float:
    """Wait until the child catches SIGINT (Linux ``/proc/PID/status`` ``SigCgt``); the
    seconds waited.

    A signal sent sooner reaches the child before CPython has installed any handler (the
    kernel's default action kills it), which no Python program can change; so every delay
    of the sweep counts from this moment."""
    started = time.monotonic()
    status = Path(f"/proc/{proc.pid}/status")
    while time.monotonic() - started < limit and proc.poll() is None:
        try:
            text = status.read_text()
        except OSError:
            break
        found = re.search(r"^SigCgt:\s*([0-9a-fA-F]+)", text, re.MULTILINE)
        if found and int(found.group(1), 16) & (1 << (signal.SIGINT - 1)):
            break
        time.sleep(0.0005)
    return time.monotonic() - started


def sweep(duration: float, delays: int) -> list[SignalCase]:
    """``delays`` evenly spaced delays from 0 to ``duration``; the signal and single/double
    rotate so that a small sweep still covers all four kinds."""
    kinds = [(signal.SIGINT, False), (signal.SIGTERM, True), (signal.SIGTERM, False)]
    kinds.append((signal.SIGINT, True))
    step = duration / max(1, delays - 1)
    return [SignalCase(round(i * step, 3), *kinds[i % len(kinds)]) for i in range(delays)]


@dataclass
class SignalOutcome:
    case: SignalCase
    exit_code: int
    problems: list[str] = field(default_factory=list)
    recovered: bool = False
    #: The signal landed while CPython was still starting up (see :func:`before_program`).
    pre_start: bool = False


_FRAME = re.compile(r'^\s*File "([^"]*)"', re.MULTILINE)


def before_program(stdout: str, stderr: str) -> bool:
    """Whether a run was interrupted before any of the package's code ran: nothing on stdout
    and a KeyboardInterrupt traceback without a single frame from ``image_skill`` (CPython's
    own start-up, ``site`` and ``runpy``, which no program can guard)."""
    if stdout.strip() or not stderr.rstrip().endswith("KeyboardInterrupt"):
        return False
    frames = _FRAME.findall(stderr)
    return bool(frames) and not any("image_skill" in name for name in frames)


def run_signal_case(
    base_url: str,
    root: Path,
    case: SignalCase,
    price: int,
    index: int,
    link: Link | None = None,
) -> SignalOutcome:
    """One create for a fresh agent, signalled as ``case`` says; through ``link`` if given."""
    agent = new_agent(link.proxy.url if link else base_url, root, f"signal{index}")
    before = agent.balance()
    target = link.arm() if link else base_url
    proc = subprocess.Popen(
        create_argv(f"signal case {index}: a red kite", target),
        env=agent.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_until_catching(proc)
    time.sleep(case.delay)
    for shot in range(2 if case.double else 1):
        if shot:
            time.sleep(case.gap)
        if proc.poll() is None:
            proc.send_signal(case.signum)
    try:
        stdout, stderr = proc.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
        return SignalOutcome(case, -9, ["create did not exit within 90 s of the signal"])
    outcome = SignalOutcome(case, proc.returncode)
    if before_program(stdout, stderr):
        outcome.pre_start = True
        if agent.in_flight() or agent.balance() != before:
            outcome.problems.append("interrupted during start-up, yet something was spent")
        return outcome
    outcome.problems = envelope_problems(stdout, stderr, proc.returncode)
    envelope, _ = parse_one_envelope(stdout)
    if proc.returncode not in (0, 130):
        outcome.problems.append(f"exit {proc.returncode}: neither 130 nor the real outcome (0)")
    if envelope is None:
        return outcome
    sent = bool(in_flight_notices(stderr))
    crumbs = agent.in_flight()
    interrupted = proc.returncode == 130
    if proc.returncode == 0 and crumbs:
        outcome.problems.append("the create succeeded but its breadcrumb was kept")
    if interrupted and sent and not crumbs:
        outcome.problems.append("exit 130 after the request was sent but no breadcrumb")
    if interrupted and sent:
        outcome.problems += _recover(agent, envelope, outcome)
    if proc.returncode == 0 or outcome.recovered or (interrupted and not sent):
        expected = before if interrupted and not sent else before - price
        after = agent.balance()
        if after != expected:
            outcome.problems.append(f"balance {before} -> {after}, expected {expected}")
    return outcome


def recovery_command(envelope: Mapping[str, Any]) -> str | None:
    error = envelope.get("error")
    recovery = error.get("recovery") if isinstance(error, dict) else None
    if not isinstance(recovery, dict):
        return None
    for key in ("runnable_command", "suggested_command"):
        if isinstance(recovery.get(key), str):
            return str(recovery[key])
    return None


def _recover(agent: Agent, envelope: Mapping[str, Any], outcome: SignalOutcome) -> list[str]:
    command = recovery_command(envelope)
    if command is None:
        return ["exit 130 with an unknown outcome but no recovery command"]
    started = time.monotonic()
    try:
        proc = subprocess.run(
            ["bash", "-c", command],
            env=agent.env(),
            capture_output=True,
            text=True,
            timeout=RECOVERY_LIMIT + 60,
        )
    except subprocess.TimeoutExpired:
        return [f"the recovery command did not finish in {RECOVERY_LIMIT + 60:.0f} s"]
    elapsed = time.monotonic() - started
    problems = [
        f"recovery: {p}" for p in envelope_problems(proc.stdout, proc.stderr, proc.returncode)
    ]
    if elapsed > RECOVERY_LIMIT:
        problems.append(f"the recovery command took {elapsed:.1f} s")
    if proc.returncode != 0:
        recovered, _ = parse_one_envelope(proc.stdout)
        code = (recovered or {}).get("error") or {}
        problems.append(f"the recovery command failed (exit {proc.returncode}, {code})")
    else:
        outcome.recovered = True
    if agent.in_flight():
        problems.append("the breadcrumb is still there after a successful recovery")
    return problems
