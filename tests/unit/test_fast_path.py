"""The start-up fast path (:mod:`image_skill.cli.fast`) answers ``version`` and the root
help exactly as the full click CLI does, and only those command lines."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from typing import Any

import pytest

from image_skill.cli import _root, main
from image_skill.cli.fast import fast_result
from image_skill.cli.global_flags import help_rows
from image_skill.cli.help import _options

FAST_LINES = [
    ["version"],
    ["--version"],
    ["-v"],
    ["version", "--json"],
    ["-v", "--json"],
    [],
    ["--help"],
    ["-h"],
    ["help"],
    ["help", "--json"],
    ["--help", "--json"],
]
#: Lines that look alike but mean something else, so the full CLI must answer them.
FULL_LINES = [
    ["--json"],  # no command: an INVALID_ARGUMENTS envelope
    ["--json", "version"],
    ["version", "extra"],
    ["help", "create"],
    ["create", "--help"],
    ["--human", "version"],
    ["version", "--human"],
    ["--help", "--human"],
    ["whoami"],
    ["video", "--help"],
]


def _without_trace(envelope: dict[str, Any]) -> dict[str, Any]:
    assert envelope["trace_id"].startswith("trace_") and len(envelope["trace_id"]) == 22
    return {key: value for key, value in envelope.items() if key != "trace_id"}


@pytest.mark.parametrize("argv", FAST_LINES, ids=lambda a: " ".join(a) or "(nothing)")
def test_the_fast_answer_is_the_full_cli_answer(argv: list[str]) -> None:
    fast = fast_result(argv, {})
    assert fast is not None
    full = _root.run(list(argv))
    assert fast.exit_code == full.exit_code == 0
    assert _without_trace(fast.envelope) == _without_trace(full.envelope)


@pytest.mark.parametrize("argv", FULL_LINES, ids=" ".join)
def test_other_lines_take_the_full_path(argv: list[str]) -> None:
    assert fast_result(argv, {}) is None


def test_human_format_and_completion_take_the_full_path() -> None:
    assert fast_result(["version"], {"IMAGE_SKILL_FORMAT": " Human "}) is None
    assert fast_result(["--help"], {"_IMAGE_SKILL_COMPLETE": "bash_source"}) is None
    assert fast_result(["version"], {"IMAGE_SKILL_FORMAT": "json"}) is not None


def test_the_global_option_table_is_what_click_parses() -> None:
    assert help_rows() == _options(_root.root, include_global=True)
    parsed = {param.opts[0]: param.name for param in _root.root.params}
    assert parsed == {
        "--json": "json_",
        "--human": "human",
        "--api-base-url": "api_base_url",
        "--token": "token",
        "--token-stdin": "token_stdin",
        "--timeout": "timeout",
        "--allow-private-network": "allow_private_network",
    }


def test_main_prints_the_fast_envelope(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    assert main(["-v", "--json"]) == 0
    envelope = json.loads(out.getvalue())
    assert envelope["ok"] is True and envelope["data"]["implementation"] == "python"


def test_the_installed_entry_point_exits_cleanly_after_freezing_the_collector() -> None:
    """The real entry (``argv=None``) freezes the heap before exit; the process still
    flushes its output and exits with the envelope's code."""
    for argv, code in ((["version"], 0), (["no-such-command"], 2)):
        proc = subprocess.run(
            [sys.executable, "-m", "image_skill", *argv], capture_output=True, text=True
        )
        assert proc.returncode == code, proc.stderr
        assert json.loads(proc.stdout)["ok"] is (code == 0)
        assert proc.stderr == ""


def test_a_run_calms_the_collector_and_an_embedded_call_restores_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While a command line runs, generation 0 is collected every 10^5 allocations (start-up
    imports make only long-lived objects); ``main(argv)`` puts the thresholds back."""
    import gc

    from image_skill import cli

    seen: list[tuple[int, int, int]] = []

    def fake_root_main(argv: list[str] | None, guard: object) -> int:
        seen.append(gc.get_threshold())
        return 0

    before = gc.get_threshold()
    monkeypatch.setattr(_root, "main", fake_root_main)
    assert main(["whoami"]) == 0
    assert seen == [(cli.CALM_GEN0_THRESHOLD, before[1], before[2])]
    assert gc.get_threshold() == before
    # The fast path needs no calming: version never reaches the full CLI.
    assert main(["version"]) == 0 and len(seen) == 1


def test_restore_collector_is_idempotent() -> None:
    import gc

    from image_skill import cli

    before = gc.get_threshold()
    cli._calm_collector()
    assert gc.get_threshold()[0] == max(cli.CALM_GEN0_THRESHOLD, before[0])
    cli.restore_collector()
    cli.restore_collector()
    assert gc.get_threshold() == before
