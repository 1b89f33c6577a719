"""Runners for hostile input: one random command line in-process, and the inputs issue 8
names (point 9, plus the blocking prompt files of point 8) with the codes they must end in.

The blocking ones (``/dev/zero``, a FIFO with no writer) run as subprocesses with a time and
memory limit, so a regression cannot hang or exhaust the machine.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from clitools import invoke
from envelopetools import envelope_problems, parse_one_envelope
from hostiletools import DEEP_ARRAY, DEEP_OBJECT, fill, loopback_only

FUZZ_TOKENS = {
    "env": "isk_r_fuzzenv0000000000000000000000000",
    "flag": "isk_r_fuzzflag000000000000000000000000",
}


def run_hostile_argv(
    argv: list[str], *, base: str, token_way: str, stdin: str | None, fault_url: str
) -> list[str]:
    """Run one hostile command line in-process (``base`` is "fault" or "local"); the broken
    invariants (empty: it behaved)."""
    words = fill(argv, fault_url)
    prefix = ["--api-base-url", fault_url if base == "fault" else "local"]
    env: dict[str, str] = {}
    if token_way == "env":
        env["IMAGE_SKILL_TOKEN"] = FUZZ_TOKENS["env"]
    elif token_way == "flag":
        prefix += ["--token", FUZZ_TOKENS["flag"]]
    with loopback_only() as attempts:
        result = invoke(*prefix, *words, input=stdin, env=env)
    if words[:2] == ["mcp", "serve"] and result.exit_code == 0 and result.stdout == "":
        # The MCP server speaks only the protocol on stdout: once it is serving, stdin at its
        # end stops it with nothing written. A failure before serving is one envelope.
        problems = []
    else:
        problems = envelope_problems(result.stdout, result.stderr, result.exit_code)
    problems += [f"left loopback: {attempt}" for attempt in attempts]
    return problems


@dataclass(frozen=True)
class NamedInput:
    """One input issue 8 names, with the error codes it may end in."""

    name: str
    argv: tuple[str, ...]
    codes: frozenset[str] = frozenset({"INVALID_ARGUMENTS"})
    #: Run as a subprocess with a time and memory limit (it could block or eat memory).
    isolated: bool = False


NAMED_INPUTS = (
    NamedInput(
        "60000-deep JSON flag",
        ("create", "--prompt", "p", "--dry-run", "--model-parameters-json", DEEP_ARRAY),
    ),
    NamedInput(
        "60000-deep JSON object flag",
        ("create", "--prompt", "p", "--dry-run", "--model-parameters-json", DEEP_OBJECT),
    ),
    NamedInput(
        "lone surrogate in JSON",
        ("create", "--prompt", "p", "--dry-run", "--model-parameters-json", '{"a": "\\ud800"}'),
    ),
    NamedInput(
        "5000-digit reference index",
        ("create", "--prompt", "p", "--dry-run", "--reference-image", "image_a@" + "9" * 5000),
    ),
    NamedInput(
        "5000-digit element index",
        ("create", "--prompt", "p", "--dry-run", "--element-frontal", "image_a@" + "9" * 5000),
    ),
    NamedInput(
        "5000-character --output",
        ("create", "--prompt", "p", "--output", "o" * 5000),
        frozenset({"INVALID_ARGUMENTS", "OUTPUT_NOT_WRITABLE"}),
    ),
    NamedInput(
        "5000-character assets get --output",
        ("assets", "get", "image_abc", "--output", "o" * 5000),
        frozenset({"INVALID_ARGUMENTS", "OUTPUT_NOT_WRITABLE"}),
    ),
    NamedInput("70000-character job id", ("jobs", "show", "j" * 70_000)),
    NamedInput("newline in --api-base-url", ("whoami", "--api-base-url", "http://127.0.0.1:9\n")),
    NamedInput("empty --api-base-url", ("whoami", "--api-base-url", "")),
    NamedInput(
        "/dev/zero as a prompt file",
        ("create", "--prompt-file", "/dev/zero", "--dry-run"),
        frozenset({"INVALID_ARGUMENTS", "INPUT_FILE_UNREADABLE"}),
        isolated=True,
    ),
    NamedInput(
        "a FIFO with no writer as a prompt file",
        ("create", "--prompt-file", "{FIFO}", "--dry-run"),
        frozenset({"INVALID_ARGUMENTS", "INPUT_FILE_UNREADABLE"}),
        isolated=True,
    ),
)


def run_named_input(item: NamedInput, work: Path, fault_url: str) -> list[str]:
    """Run one named input (against the local backend, saved token); broken invariants."""
    if not item.isolated:
        result = invoke("--api-base-url", "local", *fill(list(item.argv), fault_url))
        stdout, stderr, code = result.stdout, result.stderr, result.exit_code
    else:
        fifo = work / "prompt.fifo"
        if not fifo.exists():
            os.mkfifo(fifo)
        argv = [word.replace("{FIFO}", str(fifo)) for word in item.argv]
        started = time.monotonic()
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "image_skill", "--api-base-url", "local", *argv],
                capture_output=True,
                text=True,
                timeout=10,
                preexec_fn=_limit_memory,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            return [f"{item.name}: no answer within 10 s"]
        stdout, stderr, code = proc.stdout, proc.stderr, proc.returncode
        if time.monotonic() - started > 8:
            return [f"{item.name}: took {time.monotonic() - started:.1f} s"]
    problems = [f"{item.name}: {p}" for p in envelope_problems(stdout, stderr, code)]
    envelope, _ = parse_one_envelope(stdout)
    error = envelope.get("error") if envelope else None
    got = error.get("code") if isinstance(error, dict) else None
    if envelope is not None and got not in item.codes:
        problems.append(f"{item.name}: error code {got!r}, expected one of {sorted(item.codes)}")
    return problems


def _limit_memory() -> None:
    limit = 1 << 30
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
