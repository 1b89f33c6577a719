"""Shared helpers of the benchmark scripts (not a benchmark itself).

Every script in this folder measures one figure of the performance issue with public tools
only: child processes of this interpreter, a ``local serve`` subprocess on a loopback
ephemeral port, ``/proc`` for the server's memory and ``os.wait4`` for a child's peak RSS.
Each keeps its state in a fresh temporary directory (HOME, config and local data dir), so a
run never reads or writes the real user's files.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PYTHON = sys.executable
#: Environment variable naming a node ``image-skill.mjs`` to pair the start-up figures with.
NODE_ENV = "IMAGE_SKILL_NODE_CLI"


# ------------------------------------------------------------------------- figures


@dataclass
class Figure:
    """One measured figure: samples, its target and the verdict."""

    key: str
    figure: str
    target: str
    unit: str
    samples: list[float]
    #: ``True`` met, ``False`` missed, ``None`` not decidable in this run (no reference).
    passed: bool | None
    measured: str
    bound: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def spread(samples: Sequence[float]) -> tuple[float, float, float]:
    """``(min, median, max)``."""
    return min(samples), statistics.median(samples), max(samples)


def show(label: str, samples: Sequence[float], unit: str = "ms", scale: float = 1000.0) -> None:
    """Print ``label: min / median / max`` of ``samples`` (seconds scaled to ``unit``)."""
    lo, mid, hi = spread(samples)
    print(
        f"  {label:<34} min {lo * scale:9.1f}  median {mid * scale:9.1f}  "
        f"max {hi * scale:9.1f} {unit}  (n={len(samples)})"
    )


def machine() -> dict[str, Any]:
    """Core count, load and versions, printed by every script and kept in the report."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        usable = os.cpu_count() or 1
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "cores": os.cpu_count() or 1,
        "usable_cores": usable,
        "load": [round(x, 2) for x in load],
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }


def header(title: str) -> dict[str, Any]:
    info = machine()
    print(
        f"== {title}: {info['cores']} cores ({info['usable_cores']} usable), load "
        f"{info['load'][0]:.2f} {info['load'][1]:.2f} {info['load'][2]:.2f}, "
        f"Python {info['python']}"
    )
    return info


def emit_json(figures: list[Figure], path: str | None) -> None:
    if path:
        Path(path).write_text(json.dumps([f.as_dict() for f in figures], indent=2) + "\n")


# ----------------------------------------------------------------- child processes


def cli() -> list[str]:
    """The installed ``image-skill`` entry point next to this interpreter, else ``-m``."""
    script = Path(PYTHON).parent / "image-skill"
    return [str(script)] if script.exists() else [PYTHON, "-m", "image_skill"]


def node_cli() -> list[str] | None:
    """``[node, image-skill.mjs]`` when :data:`NODE_ENV` names a file, else ``None``."""
    path = os.environ.get(NODE_ENV, "").strip()
    node = shutil.which("node")
    if not path or node is None or not Path(path).is_file():
        return None
    return [node, path]


@dataclass
class Child:
    seconds: float
    max_rss_kb: int
    returncode: int
    stdout: bytes


#: Runs argv[1:] with ``posix_spawnp`` and reports wall time, peak RSS and exit status. A
#: separate small launcher keeps the child's peak RSS its own: a child spawned straight
#: from this process (vfork) would inherit this process's peak as its ``ru_maxrss`` floor.
_LAUNCHER = """
import os, sys, time
null = os.open(os.devnull, os.O_WRONLY)
start = time.perf_counter()
pid = os.posix_spawnp(sys.argv[1], sys.argv[1:], os.environ,
                      file_actions=[(os.POSIX_SPAWN_DUP2, null, 2)])
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
sys.stderr.write(f"{seconds!r} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""


def run_child(
    argv: Sequence[str], env: dict[str, str], *, cwd: str | None = None, stdin: bytes = b""
) -> Child:
    """Run ``argv`` to completion: wall time, peak RSS (``wait4``), exit code and stdout.

    The child's stderr is discarded; its stdin is ``stdin``.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as inp:
        inp.write(stdin)
        inp.seek(0)
        proc = subprocess.run(
            [PYTHON, "-S", "-c", _LAUNCHER, *argv],
            stdin=inp,
            stdout=out,
            stderr=subprocess.PIPE,
            env=env,
            cwd=cwd,
            check=False,
        )
        out.seek(0)
        data = out.read()
    try:
        seconds, rss, code = proc.stderr.decode().split()
    except ValueError:
        raise RuntimeError(f"launcher failed: {proc.stderr.decode(errors='replace')}") from None
    return Child(float(seconds), int(rss), int(code), data)


def envelope(child: Child) -> dict[str, Any]:
    try:
        value = json.loads(child.stdout)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def floors(env: dict[str, str], runs: int) -> dict[str, list[float]]:
    """Wall times of the bare interpreters: ``python -c pass``, ``python -S``, ``node -e 0``."""
    commands = {
        "python -c pass": [PYTHON, "-c", "pass"],
        "python -S -c pass": [PYTHON, "-S", "-c", "pass"],
    }
    node = shutil.which("node")
    if node is not None:
        commands["node -e 0"] = [node, "-e", "0"]
    out: dict[str, list[float]] = {name: [] for name in commands}
    for argv in commands.values():
        run_child(argv, env)  # warm the page cache
    for _ in range(runs):
        for name, argv in commands.items():
            out[name].append(run_child(argv, env).seconds)
    return out


# ------------------------------------------------------------------------ sandbox


class Sandbox:
    """A temporary HOME / config / local data dir and a clean environment for children."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="image-skill-bench-")
        self.root = Path(self._tmp.name)
        self.data_dir = self.root / "data"
        self.work = self.root / "work"
        self.work.mkdir()

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("IMAGE_SKILL_")}
        for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
            env.pop(name, None)
        env.update(
            HOME=str(self.root),
            XDG_CONFIG_HOME=str(self.root / "config"),
            XDG_DATA_HOME=str(self.root / "xdg-data"),
            IMAGE_SKILL_LOCAL_DIR=str(self.data_dir),
            NO_COLOR="1",
        )
        env.update(extra)
        return env

    def close(self) -> None:
        self._tmp.cleanup()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_NOTICE = re.compile(r"http://127\.0\.0\.1:(\d+)")


class LocalServe:
    """``image-skill local serve --port 0`` in a subprocess (one worker, loopback)."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self._log = open(sandbox.root / "serve.err", "w+b")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [*cli(), "local", "serve", "--port", "0", "--data-dir", str(sandbox.data_dir)],
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            env=sandbox.env(),
        )
        self.base = self._wait_for_port()

    def _wait_for_port(self) -> str:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            self._log.seek(0)
            found = _NOTICE.search(self._log.read().decode("utf-8", "replace"))
            if found:
                base = f"http://127.0.0.1:{found.group(1)}"
                get_json(base + "/healthz")
                return base
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        self.stop()
        raise RuntimeError("local serve did not start")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def status_kb(self, field_name: str) -> int:
        """A ``/proc/PID/status`` memory field (``VmRSS``, ``VmHWM``) in kB."""
        text = Path(f"/proc/{self.pid}/status").read_text()
        found = re.search(rf"^{field_name}:\s+(\d+) kB", text, re.M)
        return int(found.group(1)) if found else 0

    def cpu_seconds(self) -> float:
        """User + system CPU time the server has used so far (``/proc/PID/stat``)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def reset_peak(self) -> bool:
        """Reset the peak RSS mark (``VmHWM``) of the server; ``False`` if not allowed."""
        try:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")
        except OSError:
            return False
        return True

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()

    def __enter__(self) -> LocalServe:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ---------------------------------------------------------------------- loopback HTTP

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _request(url: str, body: Any = None, token: str | None = None) -> dict[str, Any]:
    data = None if body is None else json.dumps(body).encode()
    headers = {"content-type": "application/json"} if data is not None else {}
    if token:
        headers["authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, headers=headers)
    try:
        with _OPENER.open(req, timeout=60) as resp:
            result: dict[str, Any] = json.load(resp)
    except urllib.error.HTTPError as exc:
        result = json.load(exc)
    return result


def get_json(url: str, token: str | None = None) -> dict[str, Any]:
    return _request(url, None, token)


def post_json(url: str, body: Any, token: str | None = None) -> dict[str, Any]:
    return _request(url, body, token)


_counter = iter(range(1, 1_000_000))


def signup(base: str) -> dict[str, Any]:
    """A fresh agent on ``base``; returns the signup ``data`` (token, ids, quota)."""
    n = next(_counter)
    reply = post_json(
        base + "/v1/agent-signups",
        {
            "agent_contact": f"bench-{os.getpid()}-{n}@example.com",
            "agent_name": f"bench-{n}",
            "runtime": "benchmark",
            "return_token": True,
        },
    )
    if not reply.get("ok"):
        raise RuntimeError(f"signup failed: {reply.get('error')}")
    data: dict[str, Any] = reply["data"]
    return data


class Tokens:
    """Hands out tokens with credits for live creates: a new agent every ``per_agent`` uses.

    The default local model costs about 9 of the 30 free credits, so an agent funds three
    live images; the daily job cap (4) is never reached that way.
    """

    def __init__(self, base: str, per_agent: int = 3) -> None:
        self.base, self.per_agent = base, per_agent
        self._token, self._left = "", 0

    def next(self) -> str:
        if self._left == 0:
            self._token, self._left = str(signup(self.base)["token"]), self.per_agent
        self._left -= 1
        return self._token


@contextmanager
def served() -> Iterator[tuple[Sandbox, LocalServe]]:
    with Sandbox() as box, LocalServe(box) as server:
        yield box, server
