"""Server load: 16 concurrent keep-alive loopback clients against ``local serve`` (one worker).

    python benchmarks/server_load.py [--seconds 4] [--rounds 3] [--clients 16] [--json OUT]

Two figures: ``GET /v1/models`` and a dry-run ``POST /v1/create`` (signed in, the body
``image-skill create --dry-run`` sends). The load generator is a small asyncio client in
this process (raw HTTP/1.1 on keep-alive connections, one request in flight per
connection), so nothing but the standard library sits between it and the server; on a
2-core machine it takes one core and the server the other. Each round runs for a fixed
time after a one second warm-up; the script prints requests/s, p50 and p99 latency and the
error count (any reply that is not ``200``, or a dropped connection) per round, and the
server's CPU time per request (from ``/proc``), which other load on the machine does not
change much and so compares runs made at different times.

``--endpoint healthz|models|dry_run`` measures one endpoint only (no figures written).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from _bench import Figure, LocalServe, emit_json, header, served, show, signup

DRY_RUN_BODY = {
    "prompt": "a lighthouse at dusk, oil painting",
    "aspect_ratio": "1:1",
    "dry_run": True,
    "accept_unknown_cost": False,
}


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    recording: bool = False
    elapsed: float = 0.0
    replies: int = 0


class _Connection(asyncio.Protocol):
    """One keep-alive connection sending ``request`` again as soon as a reply is complete."""

    def __init__(self, request: bytes, tally: Tally, stop_at: float, done: asyncio.Future[None]):
        self.request, self.tally, self.stop_at, self.done = request, tally, stop_at, done
        self.buf = b""
        self.need: int | None = None
        self.status = 0
        self.sent = 0.0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._send()

    def _send(self) -> None:
        assert self.transport is not None
        self.sent = time.perf_counter()
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            if self.need is None:
                end = self.buf.find(b"\r\n\r\n")
                if end < 0:
                    return
                head = self.buf[:end].decode("latin-1").split("\r\n")
                self.status = int(head[0].split(" ", 2)[1])
                length = 0
                for line in head[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                self.need = end + 4 + length
            if len(self.buf) < self.need:
                return
            self.buf, self.need = self.buf[self.need :], None
            now = time.perf_counter()
            self.tally.replies += 1
            if self.tally.recording:
                self.tally.latencies.append(now - self.sent)
                if self.status != 200:
                    self.tally.errors += 1
            if now >= self.stop_at:
                assert self.transport is not None
                self.transport.close()
                if not self.done.done():
                    self.done.set_result(None)
                return
            self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        del exc  # a drop before the end of the round counts as an error either way
        if not self.done.done():
            if time.perf_counter() < self.stop_at:
                self.tally.errors += 1
            self.done.set_result(None)


async def _round(host: str, port: int, request: bytes, clients: int, seconds: float) -> Tally:
    loop = asyncio.get_running_loop()
    tally = Tally()
    start = time.perf_counter()
    stop_at = start + 1.0 + seconds
    done: list[asyncio.Future[None]] = []
    for _ in range(clients):
        future: asyncio.Future[None] = loop.create_future()
        await loop.create_connection(
            lambda f=future: _Connection(request, tally, stop_at, f), host, port
        )
        done.append(future)
    await asyncio.sleep(max(0.0, start + 1.0 - time.perf_counter()))
    tally.recording = True
    began = time.perf_counter()
    await asyncio.gather(*done)
    tally.recording = False
    tally.elapsed = time.perf_counter() - began
    if not tally.latencies:
        raise RuntimeError("no request completed")
    return tally


def _request(method: str, path: str, netloc: str, token: str | None, body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {netloc}", "Accept: application/json"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _load(
    label: str,
    key: str,
    target_rps: int,
    server: LocalServe,
    request: bytes,
    opts: argparse.Namespace,
) -> Figure:
    split = urlsplit(server.base)
    host, port = split.hostname or "127.0.0.1", split.port or 80
    clients, seconds, rounds = opts.clients, opts.seconds, opts.rounds
    rates: list[float] = []
    p50s: list[float] = []
    p99s: list[float] = []
    cpu: list[float] = []
    errors = 0
    for _ in range(rounds):
        used = server.cpu_seconds()
        tally = asyncio.run(_round(host, port, request, clients, seconds))
        # CPU of the whole round (warm-up included) over every reply it got.
        cpu.append((server.cpu_seconds() - used) / max(1, tally.replies))
        rates.append(len(tally.latencies) / tally.elapsed)
        p50s.append(_percentile(tally.latencies, 0.50))
        p99s.append(_percentile(tally.latencies, 0.99))
        errors += tally.errors
        print(
            f"  {label:<22} {rates[-1]:8.0f} req/s  p50 {p50s[-1] * 1000:6.1f} ms  "
            f"p99 {p99s[-1] * 1000:6.1f} ms  errors {tally.errors}  "
            f"server CPU {cpu[-1] * 1000:.2f} ms/req"
        )
    show(label + " req/s", rates, unit="req/s", scale=1.0)
    rate, p99 = statistics.median(rates), max(p99s)
    passed = rate >= target_rps and p99 < 0.050 and errors == 0
    return Figure(
        key=key,
        figure=f"{label}, {clients} keep-alive clients",
        target=f"≥ {target_rps:,} req/s, p99 < 50 ms, 0 errors",
        unit="req/s",
        samples=rates,
        passed=passed,
        measured=(
            f"{rate:,.0f} req/s, p50 {statistics.median(p50s) * 1000:.1f} ms, "
            f"p99 {p99 * 1000:.1f} ms, {errors} errors"
        ),
        extra={
            "p50_s": p50s,
            "p99_s": p99s,
            "errors": errors,
            "clients": clients,
            "server_cpu_ms_per_request": [round(c * 1000, 3) for c in cpu],
        },
    )


#: endpoint name -> (label, figure key, target req/s)
ENDPOINTS = {
    "models": ("GET /v1/models", "load.models", 1000),
    "dry_run": ("dry-run POST /v1/create", "load.dry_run", 500),
    "healthz": ("GET /healthz", "load.healthz", 0),
}


def measure(opts: argparse.Namespace) -> list[Figure]:
    with served() as (_box, server):
        netloc = urlsplit(server.base).netloc
        token = str(signup(server.base)["token"])
        requests = {
            "models": _request("GET", "/v1/models", netloc, None),
            "dry_run": _request(
                "POST", "/v1/create", netloc, token, json.dumps(DRY_RUN_BODY).encode()
            ),
            "healthz": _request("GET", "/healthz", netloc, None),
        }
        if opts.endpoint:
            return [_load(*ENDPOINTS[opts.endpoint], server, requests[opts.endpoint], opts)]
        # The framework's floor: an envelope and nothing else, under the same load.
        floor_opts = argparse.Namespace(**{**vars(opts), "rounds": 1})
        floor = _load(*ENDPOINTS["healthz"], server, requests["healthz"], floor_opts)
        floor_ms = statistics.median(floor.extra["server_cpu_ms_per_request"])
        figures = [_load(*ENDPOINTS[n], server, requests[n], opts) for n in ("models", "dry_run")]
    floor_rate = statistics.median(floor.samples)
    for figure in figures:
        cpu = statistics.median(figure.extra["server_cpu_ms_per_request"])
        figure.extra["healthz_cpu_ms_per_request"] = floor_ms
        figure.bound = (
            f"server CPU {cpu:.2f} ms per request (one worker, so at most {1000 / cpu:,.0f} "
            f"req/s on a free core); the framework floor, GET /healthz under the same load, "
            f"is {floor_ms:.2f} ms per request ({floor_rate:,.0f} req/s)"
        )
        if figure.key == "load.dry_run":
            figure.bound += "; a signed-in dry run stores its planned job and job.planned event"
    return figures


def options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--endpoint", choices=sorted(ENDPOINTS), help="measure only this one")
    parser.add_argument("--json", help="also write the figures as JSON to this file")
    return parser.parse_args(argv)


def main() -> int:
    opts = options()
    header("server load")
    figures = measure(opts)
    for figure in figures:
        status = "pass" if figure.passed else "MISS"
        print(f"  {figure.figure}: {figure.measured} (target {figure.target}): {status}")
    emit_json(figures, opts.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
