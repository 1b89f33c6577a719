"""The whole-flow secrets scan (issue 8, "no raw token in any output").

``scan_flows`` signs up a fresh agent on a served backend, then runs the main flows with
its token given one way (``env`` IMAGE_SKILL_TOKEN, ``flag`` --token, ``stdin``
--token-stdin, ``config`` the saved config file), and looks for the raw token and its
non-prefix body in every captured stdout/stderr and in every file (and file name) written
under the agent's HOME, config folder, output folder and working directory. The only
allowed places are the stdout of ``signup --show-token`` and the config file itself.

Flows: signup, whoami, quota, models, credits quote/buy (+ local settle), create, create
--output, assets get, jobs show, activity, auth status, doctor, feedback, a failing create,
a create whose reply is lost (its breadcrumb and recovery stay behind, then doctor), a
create whose prompt holds the token pasted by mistake (issue 8 point 10: breadcrumb and
doctor must not repeat it), the guide, and a subprocess create through a lost reply.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clitools import CliResult, invoke
from faults import Fault, FaultServer
from signaltools import PYTHON, child_env

WAYS = ("env", "flag", "stdin", "config")


@dataclass
class Scan:
    way: str
    token: str = ""
    #: (flow label, text) for every captured stream that must not hold the token.
    captured: list[tuple[str, str]] = field(default_factory=list)
    #: (flow label, text) for streams that must not hold a token pasted into a prompt.
    pasted: list[tuple[str, str]] = field(default_factory=list)
    flows: int = 0
    failures: list[str] = field(default_factory=list)

    def needles(self) -> list[str]:
        body = self.token.split("_", 2)[-1] if self.token.count("_") >= 2 else self.token
        return [self.token, body]

    def leaks(self, folder: Path, allowed: set[Path]) -> list[str]:
        found: list[str] = []
        needles = self.needles()
        for label, text in self.captured + self.pasted:
            if any(needle in text for needle in needles):
                found.append(f"{self.way}: the token appears in {label}")
        for path in sorted(folder.rglob("*")):
            if any(needle in str(path) for needle in needles):
                found.append(f"{self.way}: the token appears in the file name {path}")
            if not path.is_file() or path in allowed:
                continue
            data = path.read_bytes()
            if any(needle.encode() in data for needle in needles):
                found.append(f"{self.way}: the token appears in {path.relative_to(folder)}")
        return found


@contextlib.contextmanager
def _cwd(path: Path) -> Iterator[None]:
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def scan_flows(base_url: str, proxy: FaultServer, root: Path, way: str) -> tuple[Scan, list[str]]:
    """Run every flow for ``way``; return the scan and the leaks found (empty: none)."""
    folder = root / f"secrets-{way}"
    home, config, out, work = (folder / n for n in ("home", "cfg", "out", "cwd"))
    for path in (home, config, out, work):
        path.mkdir(parents=True, exist_ok=True)
    config_file = config / "config.json"
    env = {"HOME": str(home), "IMAGE_SKILL_CONFIG_PATH": str(config_file)}
    scan = Scan(way)
    with _cwd(work):
        signup = invoke(
            *("signup", "--agent", "--agent-contact", f"secrets-{way}@example.com"),
            *("--agent-name", f"secrets-{way}", "--runtime", "reliability", "--show-token"),
            *(() if way == "config" else ("--no-save",)),
            *("--api-base-url", base_url),
            env=env,
        )
        assert signup.exit_code == 0, signup.stdout
        scan.token = signup.data["token"]
        assert isinstance(scan.token, str) and len(scan.token) > 16
        scan.captured.append(("signup stderr", signup.stderr))
        _run_flows(scan, base_url, proxy, env, out)
    allowed = {config_file} if way == "config" else set()
    return scan, scan.leaks(folder, allowed)


def _run_flows(
    scan: Scan, base_url: str, proxy: FaultServer, env: dict[str, str], out: Path
) -> None:
    token_env = dict(env)
    words: tuple[str, ...] = ()
    stdin: str | None = None
    if scan.way == "env":
        token_env["IMAGE_SKILL_TOKEN"] = scan.token
    elif scan.way == "flag":
        words = ("--token", scan.token)
    elif scan.way == "stdin":
        words, stdin = ("--token-stdin",), scan.token + "\n"

    def run(label: str, *args: str, base: str = base_url, pasted: bool = False) -> CliResult:
        res = invoke(*args, "--api-base-url", base, *words, input=stdin, env=token_env)
        target = scan.pasted if pasted else scan.captured
        target += [(f"{label} stdout", res.stdout), (f"{label} stderr", res.stderr)]
        scan.flows += 1
        return res

    def expect(label: str, res: CliResult, code: int = 0) -> Any:
        if res.exit_code != code:
            scan.failures.append(f"{label}: exit {res.exit_code}: {res.stdout[:300]}")
            return None
        return res.json.get("data")

    expect("whoami", run("whoami", "whoami"))
    expect("usage quota", run("usage quota", "usage", "quota"))
    expect("quota", run("quota", "quota"))
    expect("models list", run("models list", "models", "list"))
    quote = expect(
        "credits quote",
        run(
            "credits quote",
            *("credits", "quote", "--pack", "starter-500"),
            *("--payment-method", "stripe_checkout", "--idempotency-key", f"sq-{scan.way}"),
        ),
    )
    if quote:
        bought = expect(
            "credits buy",
            run(
                "credits buy",
                *("credits", "buy", "--provider", "stripe", "--quote-id", quote["quote_id"]),
                *("--idempotency-key", f"sb-{scan.way}"),
            ),
        )
        if bought:
            attempt = bought["payment_attempt_id"]
            expect(
                "local settle",
                run("local settle", "local", "settle", "--payment-attempt-id", attempt),
            )
            expect(
                "credits status",
                run("credits status", "credits", "status", "--payment-attempt-id", attempt),
            )
    created = expect(
        "create",
        run("create", "create", "--prompt", "a lighthouse", "--idempotency-key", f"c1-{scan.way}"),
    )
    expect(
        "create --output",
        run("create --output", "create", "--prompt", "a quiet harbour", "--output", f"{out}/"),
    )
    if created:
        asset = created["assets"][0]["asset_id"]
        got = run("assets get", "assets", "get", asset, "--output", str(out / "got.png"))
        expect("assets get", got)
        expect("assets show", run("assets show", "assets", "show", asset))
        expect("jobs show", run("jobs show", "jobs", "show", created["job_id"]))
    expect("activity list", run("activity list", "activity", "list"))
    expect("auth status", run("auth status", "auth", "status"))
    expect("doctor", run("doctor", "doctor"))
    expect(
        "feedback create",
        run("feedback", "feedback", "create", "--title", "secret scan", "--body", "all flows"),
    )
    failing = run("failing create", "create", "--prompt", "x", "--model", "no.such-model")
    if failing.exit_code == 0:
        scan.failures.append("a create with an unknown model succeeded")
    proxy.script("POST", "/v1/create", Fault(proxy=True, drop_reply=True))
    lost = run("lost create", "create", "--prompt", "a lost reply", base=proxy.url)
    if lost.exit_code == 0:
        scan.failures.append("a create whose reply was dropped reported success")
    proxy.script("POST", "/v1/create", Fault(proxy=True, drop_reply=True))
    run(
        "create with a pasted token",
        *("create", "--prompt", f"use {scan.token} as the style"),
        base=proxy.url,
        pasted=True,
    )
    scan.pasted = [item for item in scan.pasted if "stderr" in item[0]]  # point 10: echo/files
    expect("doctor after lost replies", run("doctor after lost replies", "doctor"))
    expect("guide", run("guide", "create", "--guide", "--prompt", "a guided fox"))
    _subprocess_create(scan, proxy, env)


def _subprocess_create(scan: Scan, proxy: FaultServer, env: dict[str, str]) -> None:
    """One create as a real process (real fds), through a dropped reply."""
    extra = {"IMAGE_SKILL_TOKEN": scan.token} if scan.way == "env" else {}
    args = [PYTHON, "-m", "image_skill", "create", "--prompt", "a process", "--api-base-url"]
    args.append(proxy.url)
    stdin = None
    if scan.way == "flag":
        args += ["--token", scan.token]
    elif scan.way == "stdin":
        args.append("--token-stdin")
        stdin = scan.token + "\n"
    proxy.script("POST", "/v1/create", Fault(proxy=True, drop_reply=True))
    proc = subprocess.run(
        args,
        env=child_env(Path(env["HOME"]), Path(env["IMAGE_SKILL_CONFIG_PATH"]), **extra),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    scan.flows += 1
    scan.captured += [
        ("process create stdout", proc.stdout),
        ("process create stderr", proc.stderr),
    ]
