"""Inputs that used to reach an internal error (exit 1, PUBLIC_CLI_FAILED) now give
INVALID_ARGUMENTS, exit 2, with a message naming the flag (issue 8, point 9)."""

from __future__ import annotations

import os
import resource
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from clitools import SIGNUP, CliResult, invoke
from e2etools import script

LOCAL = ("--api-base-url", "local")
#: The largest --prompt-file read (image_skill.cli.inputs.MAX_PROMPT_FILE_BYTES).
MAX_PROMPT_FILE_BYTES = 1024 * 1024


@pytest.fixture
def signed_up() -> None:
    assert invoke(*SIGNUP, *LOCAL).exit_code == 0


def refused(res: CliResult, *needles: str) -> dict[str, Any]:
    """The envelope of an INVALID_ARGUMENTS failure whose message holds every needle."""
    assert res.exit_code == 2, res.stdout
    envelope = res.json
    assert envelope["ok"] is False and envelope["error"]["code"] == "INVALID_ARGUMENTS"
    for needle in needles:
        assert needle in envelope["error"]["message"]
    return envelope


def dry_create(*args: str) -> CliResult:
    return invoke("create", "--prompt", "a red cube", "--dry-run", *LOCAL, *args)


# -- JSON flags -------------------------------------------------------------------------------


def test_a_60000_deep_json_flag_is_invalid_arguments() -> None:
    deep = "[" * 60_000 + "]" * 60_000
    refused(dry_create("--model-parameters-json", deep), "--model-parameters-json", "deeper")


def test_a_deep_json_object_under_the_recursion_limit_is_still_refused() -> None:
    deep = '{"a":' * 200 + "1" + "}" * 200
    refused(dry_create("--model-parameters-json", deep), "deeper than 64 levels")


def test_a_lone_surrogate_in_a_json_flag_is_invalid_arguments() -> None:
    for value in ('{"seed": "\\ud800"}', '{"\\udfff": 1}', '{"a": ["x\\ud83d"]}'):
        refused(dry_create("--model-parameters-json", value), "lone surrogate")


def test_non_finite_and_oversized_numbers_in_a_json_flag_are_invalid_arguments() -> None:
    refused(dry_create("--model-parameters-json", '{"seed": 1e400}'), "too large for JSON")
    refused(dry_create("--model-parameters-json", '{"seed": NaN}'), "must be a JSON object")
    digits = '{"seed": ' + "9" * 5000 + "}"
    refused(dry_create("--model-parameters-json", digits), "4300 digits")


# -- integer indexes and numbers -----------------------------------------------------------


def test_a_5000_digit_reference_index_is_out_of_range(signed_up: None) -> None:
    refused(
        dry_create("--reference-image", "ref.png@" + "9" * 5000),
        "--reference-image index must be between 0 and 9",
    )
    refused(
        dry_create("--element-frontal", "f.png", "--element-reference", "r.png@0:" + "9" * 5000),
        "reference index must be between 0 and 2",
    )
    refused(
        dry_create("--element-frontal", "f.png@" + "0" * 5000 + "10"),
        "element index must be between 0 and 9",
    )


@pytest.mark.parametrize(
    "args",
    [
        ("credits", "quote", "--credits", "0x" + "f" * 300),
        ("jobs", "wait", "job_x", "--timeout-ms", "0x" + "f" * 300),
        ("activity", "list", "--limit", "0b" + "1" * 2000),
    ],
    ids=["credits", "timeout-ms", "limit"],
)
def test_a_hex_number_beyond_a_double_is_not_an_internal_error(
    signed_up: None, args: tuple[str, ...]
) -> None:
    res = invoke(*args, *LOCAL)
    assert res.code != "PUBLIC_CLI_FAILED", res.stdout
    assert "OverflowError" not in res.stdout


# -- paths -------------------------------------------------------------------------------------


def test_a_5000_character_output_path_is_invalid_arguments(signed_up: None) -> None:
    long_name = "a" * 5000
    refused(invoke("create", "--prompt", "x", *LOCAL, "--output", long_name), "--output", "255")
    refused(invoke("assets", "get", "image_x", *LOCAL, "--output", long_name), "--output")
    refused(dry_create("--reference-image", long_name + "@0"), "--reference-image")
    refused(invoke("upload", long_name, *LOCAL), "5000 bytes")


def test_a_long_url_is_not_taken_for_a_path(signed_up: None) -> None:
    res = invoke("upload", "https://example.invalid/" + "a" * 5000, *LOCAL)
    assert "5000 bytes" not in res.stdout


def test_a_path_longer_than_the_path_limit_is_invalid_arguments() -> None:
    deep = "/".join(["d" * 200] * 30)  # short names, 6 KB in all
    res = invoke("create", "--prompt-file", deep, "--dry-run", *LOCAL)
    refused(res, "--prompt-file", "paths here can have at most")


# -- control characters ----------------------------------------------------------------------


def test_a_newline_in_the_base_url_is_invalid_arguments() -> None:
    res = invoke("create", "--prompt", "x", "--dry-run", "--api-base-url", "http://127.0.0.1:9/\nx")
    refused(res, "--api-base-url")


def test_an_over_long_one_line_value_is_invalid_arguments(signed_up: None) -> None:
    refused(invoke("jobs", "show", "j" * 70_000, *LOCAL), "JOB_ID", "70000 characters")
    refused(dry_create("--idempotency-key", "k" * 9000), "--idempotency-key", "at most 8192")


def test_control_characters_are_refused_in_every_one_line_flag(signed_up: None) -> None:
    refused(dry_create("--idempotency-key", "key\rwith-cr"), "--idempotency-key", "U+000D")
    refused(invoke("jobs", "show", "job\x1b[2J", *LOCAL), "JOB_ID", "U+001B")
    refused(invoke("whoami", "--token", "isk_r_tab\tbed", *LOCAL), "--token", "U+0009")


def test_free_text_flags_may_hold_newlines(signed_up: None) -> None:
    res = invoke("create", "--prompt", "line one\nline two\tend", "--dry-run", *LOCAL)
    assert res.exit_code == 0, res.stdout
    res = dry_create("--model-parameters-json", '{\n  "seed": 3\n}')
    assert res.exit_code == 0, res.stdout


# -- prompt files -----------------------------------------------------------------------------


def test_dev_zero_as_a_prompt_file_is_invalid_arguments() -> None:
    # A subprocess with a memory cap: the old code read /dev/zero until memory ran out.
    def cap_memory() -> None:
        limit = 2 * 1024**3
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    proc = subprocess.run(
        [script(), "create", "--prompt-file", "/dev/zero", "--dry-run", *LOCAL],
        capture_output=True,  # the isolated test environment is inherited
        text=True,
        timeout=120,
        preexec_fn=cap_memory,
    )
    res = CliResult(proc.returncode, proc.stdout, proc.stderr)
    refused(res, "--prompt-file /dev/zero", "character device")


def test_a_prompt_file_over_one_mebibyte_is_refused_before_sending(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * (MAX_PROMPT_FILE_BYTES + 1))
    refused(invoke("create", "--prompt-file", str(big), "--dry-run", *LOCAL), "larger than")
    exact = tmp_path / "exact.txt"
    exact.write_bytes(b"a" * 100)
    assert invoke("create", "--prompt-file", str(exact), "--dry-run", *LOCAL).exit_code == 0


@pytest.mark.timeout(60)
def test_a_fifo_with_no_writer_is_refused_after_a_bounded_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("image_skill.cli.inputs.PIPE_OPEN_SECONDS", 0.5)
    fifo = tmp_path / "prompt.fifo"
    os.mkfifo(fifo)
    stop = threading.Event()

    def watchdog() -> None:
        # Without the bounded wait the CLI blocks forever: let it go after 10 s.
        if not stop.wait(10):
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)

    guard = threading.Thread(target=watchdog, daemon=True)
    guard.start()
    started = time.monotonic()
    try:
        res = invoke("create", "--prompt-file", str(fifo), "--dry-run", *LOCAL)
    finally:
        stop.set()
    assert time.monotonic() - started < 8
    refused(res, "--prompt-file", "pipe", "nothing opened", "0.5 s")


def test_a_slow_writer_gets_more_time_than_the_open_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("image_skill.cli.inputs.PIPE_OPEN_SECONDS", 0.3)
    fifo = tmp_path / "prompt.fifo"
    os.mkfifo(fifo)

    def writer() -> None:  # opens at once, like <(generate), then takes its time
        with open(fifo, "w", encoding="utf-8") as handle:
            time.sleep(1.0)
            handle.write("late but complete")

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    from image_skill.cli.inputs import read_prompt_file

    assert read_prompt_file("image-skill create", str(fifo)) == "late but complete"
    thread.join(5)


def test_a_fifo_with_a_writer_is_read(tmp_path: Path) -> None:
    fifo = tmp_path / "prompt.fifo"
    os.mkfifo(fifo)

    def writer() -> None:
        with open(fifo, "w", encoding="utf-8") as handle:
            handle.write("a prompt through a pipe\n")

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    from image_skill.cli.inputs import read_prompt_file

    assert read_prompt_file("image-skill create", str(fifo)) == "a prompt through a pipe\n"
    thread.join(5)
