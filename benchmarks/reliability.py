"""Reliability figures of issue 8: fault, signal, secret and hostile-input classes plus load.

    python benchmarks/reliability.py [--scale 1.0] [--output docs/reliability.md]

Runs the same checks as ``tests/reliability`` with bigger counts (their helpers are imported
from ``tests/``): hostile argv for every command and the inputs issue 8 names, hostile server
replies per command class (read, spend, download, upload) from a loopback fault server, URL
inputs and redirects aimed at places the client must not reach,
SIGINT/SIGTERM (single and double) swept over a create against a real ``local serve``, the
whole-flow secrets scan for each way of giving the token, and a mixed load (16 clients) with
its latency figures and the ledger check. Everything runs under a fresh temporary HOME,
config and data dir, on loopback only. Writes a Markdown report and exits 1 unless every row
shows zero misbehaviour. ``--scale`` multiplies the counts (0.2 for a quick look).
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from clitools import invoke  # noqa: E402
from faults import Fault, FaultServer  # noqa: E402
from hostileruns import NAMED_INPUTS, run_hostile_argv, run_named_input  # noqa: E402
from hostiletools import REFUSAL, argv_for, command_specs, reply_faults  # noqa: E402
from loadtools import LoadFigures, run_load  # noqa: E402
from networktools import network_cases, run_network_case  # noqa: E402
from replytools import CLASSES, asset_bytes_fault, no_retry_sleep, run_reply_case  # noqa: E402
from secrettools import WAYS, scan_flows  # noqa: E402
from signaltools import Link, SignalCase, calibrate, local_serve, run_signal_case  # noqa: E402

SIGNAL_KINDS = [(signal.SIGINT, False), (signal.SIGINT, True)]
SIGNAL_KINDS += [(signal.SIGTERM, False), (signal.SIGTERM, True)]


@dataclass
class Row:
    name: str
    what: str
    tried: int = 0
    misbehaved: int = 0
    samples: list[str] = field(default_factory=list)
    note: str = ""
    seconds: float = 0.0

    def record(self, label: str, problems: list[str]) -> None:
        self.tried += 1
        if problems:
            self.misbehaved += 1
            if len(self.samples) < 8:
                self.samples.append(f"{label}: {'; '.join(problems)[:400]}")


def _settings(examples: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return settings(
        max_examples=max(1, examples),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


@contextmanager
def isolated(root: Path) -> Iterator[None]:
    """A fresh HOME, config and local data dir, no IMAGE_SKILL_* from outside, cwd in root."""
    saved = dict(os.environ)
    previous = Path.cwd()
    for name in list(os.environ):
        if name.startswith("IMAGE_SKILL_") or name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME"):
            del os.environ[name]
    home = root / "home"
    home.mkdir(parents=True, exist_ok=True)
    os.environ.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        IMAGE_SKILL_LOCAL_DIR=str(root / "local-data"),
        IMAGE_SKILL_CONFIG_PATH=str(root / "cfg" / "config.json"),
        NO_COLOR="1",
    )
    work = root / "work" / "here"
    work.mkdir(parents=True, exist_ok=True)
    os.chdir(work)
    try:
        yield
    finally:
        os.chdir(previous)
        os.environ.clear()
        os.environ.update(saved)


def _signup_local() -> None:
    res = invoke(
        *("signup", "--agent", "--agent-contact", "bench@example.com", "--agent-name", "bench"),
        *("--runtime", "benchmark", "--api-base-url", "local"),
    )
    assert res.exit_code == 0, res.stdout


def hostile_inputs(root: Path, per_command: int) -> Row:
    row = Row("hostile input", "random argv for every command + the inputs issue 8 names")
    with isolated(root / "hostile"), FaultServer(default=REFUSAL) as server:
        _signup_local()
        for spec in command_specs():

            @given(
                argv=argv_for(spec),
                base=st.sampled_from(["fault", "fault", "fault", "local"]),
                token_way=st.sampled_from(["config", "env", "flag"]),
                stdin=st.sampled_from([None, "", "isk_r_benchstdinxxxxxxxxxxxxxxxxxxxxxx\n"]),
            )
            @_settings(per_command)
            def probe(argv: list[str], base: str, token_way: str, stdin: str | None) -> None:
                problems = run_hostile_argv(
                    argv, base=base, token_way=token_way, stdin=stdin, fault_url=server.url
                )
                row.record(" ".join(argv)[:120], problems)

            probe()
        _signup_local()  # the random runs may have logged out
        for item in NAMED_INPUTS:
            row.record("named", run_named_input(item, Path.cwd(), server.url))
    row.note = (
        f"{per_command} random command lines for each of {len(command_specs())} commands "
        f"(fault server or in-process backend), then the {len(NAMED_INPUTS)} inputs issue 8 names"
    )
    return row


NAMED_REPLIES = [
    Fault.json({"ok": "false", "error": {"code": "X", "message": "m", "retryable": False}}),
    Fault.json({"ok": "yes", "data": {}}),
    Fault.json({"ok": 1, "data": {}}),
    Fault.json([{"ok": True}]),
    Fault(body=b""),
    Fault(body=b'{"ok": true, "data": {"job_id": "job_1"', content_length=-1),
    Fault(body=b'{"ok": true}', content_length=400),
    Fault(body=b'{"ok": true, "data": {}}', content_length=5),
    Fault.huge(50 * 1024 * 1024),
    Fault.json({"ok": False, "error": "boom"}),
    Fault.json(
        {"ok": False, "error": {"code": "X", "message": "m", "retryable": False}},
        status=400,
        headers={"x-image-skill-exit-code": "42"},
    ),
    Fault(reset=True),
    Fault(body=b'{"ok": true, "data": {}}', drip_interval=0.05, drip_size=1),
]


def _reply_probe(
    kind: str, row: Row, server: FaultServer, work: Path, counter: Iterator[int], examples: int
) -> Callable[[], None]:
    @given(fault=reply_faults(), real_bytes=st.booleans())
    @_settings(examples)
    def probe(fault: Fault, real_bytes: bool) -> None:
        if kind == "download" and real_bytes:
            fault = asset_bytes_fault(fault)
        problems = run_reply_case(kind, fault, server, work, next(counter))
        row.record(f"{kind} {fault!r}"[:160], problems)

    return probe


def hostile_replies(root: Path, per_class: int) -> Row:
    row = Row("server faults", "hostile replies per command class (read, spend, download, upload)")
    counter = itertools.count()
    with isolated(root / "replies"), FaultServer() as server, no_retry_sleep():
        work = Path.cwd()
        for kind in CLASSES:
            _reply_probe(kind, row, server, work, counter, per_class)()
        for kind in ("spend-create", "spend-buy", "read"):
            for fault in NAMED_REPLIES:
                problems = run_reply_case(kind, fault, server, work, next(counter))
                row.record(f"{kind} named {fault!r}"[:160], problems)
    row.note = (
        f"{per_class} random replies per class, then {len(NAMED_REPLIES)} named ones (non-boolean "
        "ok, array, empty, truncated, wrong Content-Length, 50 MB, exit code 42, reset, drip) "
        "for create, credits buy and whoami"
    )
    return row


def network(root: Path) -> Row:
    row = Row("network", "URL inputs, redirects and spends aimed at refused places")
    with isolated(root / "network"), FaultServer(default=REFUSAL) as api, FaultServer() as secret:
        for case in network_cases(api.url, secret.url):
            row.record(case.name, run_network_case(case, api, secret))
    row.note = (
        "upload and create --reference-image of metadata, private, loopback, odd-notation and "
        "non-http URLs, redirects to them, and a create moved to another origin; refused "
        "before any connection (checked by an in-process socket guard)"
    )
    return row


def signals(root: Path, delays: int) -> Row:
    row = Row("signals", "SIGINT/SIGTERM, single and double, swept over a create")
    pre_start = 0
    with isolated(root / "signals"):
        base_root = Path.cwd()
        with local_serve(base_root / "server") as base, FaultServer(upstream=base) as proxy:
            link = Link(proxy, 0.6)
            calibration = calibrate(base, base_root, link)
            step = calibration.duration / max(1, delays - 1)
            index = 0
            for number in range(delays):
                # At delay 0 the child is still inside CPython's own start-up: a SIGTERM there
                # kills it before any package code can run and leaves no trace to tell it
                # apart, so the first instant is probed with SIGINT only (see before_program).
                kinds = SIGNAL_KINDS[:2] if number == 0 else SIGNAL_KINDS
                for signum, double in kinds:
                    case = SignalCase(round(number * step, 3), signum, double)
                    outcome = run_signal_case(base, base_root, case, calibration.price, index, link)
                    index += 1
                    pre_start += outcome.pre_start
                    row.record(case.label, outcome.problems)
    row.note = (
        f"{delays} delays from 0 to {calibration.duration:.2f} s (counted from the moment the "
        "interpreter catches SIGINT) x SIGINT/SIGTERM single/double (SIGINT only at 0); "
        f"replies held {link.hold} s after the charge; "
        f"{pre_start} landed during CPython's own start-up (before any package code)"
    )
    return row


def secrets(root: Path) -> Row:
    row = Row("secrets", "main flows x token given by env, --token, --token-stdin, config")
    flows = 0
    with isolated(root / "secrets"):
        base_root = Path.cwd()
        with local_serve(base_root / "server") as base, FaultServer(upstream=base) as proxy:
            for way in WAYS:
                scan, leaks = scan_flows(base, proxy, base_root, way)
                flows += scan.flows
                problems = leaks + [f"flow did not run: {f}" for f in scan.failures]
                row.record(way, problems)
    row.note = f"{flows} flow runs scanned (every stream and every file written)"
    return row


def load(root: Path, clients: int, per_client: int) -> tuple[Row, LoadFigures]:
    row = Row("load", f"{clients} clients x {per_client} mixed requests against local serve")
    with isolated(root / "load"):
        server_root = Path.cwd() / "server"
        with local_serve(server_root) as base:
            figures = run_load(
                base, server_root / "local-data", clients=clients, per_client=per_client
            )
        locked_in_log = (server_root / "serve.log").read_text().count("database is locked")
    figures.locked += locked_in_log
    row.tried = figures.requests + figures.errors
    row.misbehaved = figures.errors + figures.locked + len(figures.ledger_problems)
    row.samples = figures.problems()[:8]
    return row, figures


def report(rows: list[Row], figures: LoadFigures, scale: float, seconds: float) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Reliability figures",
        "",
        "Written by `benchmarks/reliability.py` (issue 8: money, files and secrets under "
        "faults). Every case runs on loopback under a fresh temporary HOME, config and data "
        "dir; a case misbehaves when it breaks any invariant the matching test in "
        "`tests/reliability` checks.",
        "",
        f"Run: {when}, Python {platform.python_version()} on {platform.system()}, "
        f"scale {scale}, {seconds:.0f} s in all.",
        "",
        "| Class | What was tried | Cases tried | Cases that misbehaved |",
        "|---|---|---:|---:|",
    ]
    lines += [f"| {r.name} | {r.what} | {r.tried} | {r.misbehaved} |" for r in rows]
    lines += [
        "",
        "## Load",
        "",
        "| Figure | Value |",
        "|---|---:|",
        f"| Client threads | {figures.clients} |",
        f"| Requests | {figures.requests} |",
        f"| Errors | {figures.errors} |",
        f'| "database is locked" | {figures.locked} |',
        f"| Creates (fresh keys) / replays | {figures.creates} / {figures.replays} |",
        f"| p50 latency | {figures.p50_ms:.1f} ms |",
        f"| p99 latency | {figures.p99_ms:.1f} ms |",
        f"| Wall time | {figures.seconds:.1f} s |",
        f"| Ledger equals balance | {'yes' if figures.ledger_equals_balance else 'no'} |",
        "",
        "## Notes",
        "",
    ]
    lines += [f"- {r.name} ({r.seconds:.0f} s): {r.note}." for r in rows]
    bad = [r for r in rows if r.samples]
    if bad:
        lines += ["", "## Misbehaviour samples", ""]
        for r in bad:
            lines += [f"- {r.name}: `{sample}`" for sample in r.samples]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every count")
    parser.add_argument("--output", default=str(REPO / "docs" / "reliability.md"))
    args = parser.parse_args(argv)
    scale = args.scale

    def n(count: int) -> int:
        return max(1, round(count * scale))

    started = time.monotonic()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="image-skill-reliability-") as tmp:
        root = Path(tmp)
        steps: list[tuple[str, Callable[[], Row]]] = [
            ("hostile input", lambda: hostile_inputs(root, n(12))),
            ("server faults", lambda: hostile_replies(root, n(30))),
            ("network", lambda: network(root)),
            ("signals", lambda: signals(root, n(4))),
            ("secrets", lambda: secrets(root)),
        ]
        for name, step in steps:
            began = time.monotonic()
            print(f"reliability: {name} ...", file=sys.stderr, flush=True)
            row = step()
            row.seconds = time.monotonic() - began
            rows.append(row)
            print(f"  {row.tried} tried, {row.misbehaved} misbehaved", file=sys.stderr)
        print("reliability: load ...", file=sys.stderr, flush=True)
        began = time.monotonic()
        load_row, figures = load(root, 16, n(80))
        load_row.seconds = time.monotonic() - began
        load_row.note = f"p50 {figures.p50_ms:.1f} ms, p99 {figures.p99_ms:.1f} ms"
        rows.append(load_row)
    text = report(rows, figures, scale, time.monotonic() - started)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(text, encoding="utf-8")
    print(text)
    return 0 if all(r.misbehaved == 0 for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
