"""In-flight breadcrumbs: location, the 0.1.70 file shape, atomic 0600 writes, sanitized
names, the stderr notice and the removal rules."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest

from image_skill import envelope as E
from image_skill.cli import inflight

KEY = "create-1796149654362-cd722590b4d6"
ARGV = ["--prompt", "a cat", "--model", "local.image", "--idempotency-key", KEY, "--json"]


def _write(directory: Path, key: str = KEY, **kw: object) -> Path:
    args: dict[str, object] = {"operation": "create", "argv": ARGV, "api_base_url": "local"}
    args.update(kw)
    return inflight.write(key, directory=directory, **args)  # type: ignore[arg-type]


def test_default_directory_is_next_to_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(tmp_path / "cfg" / "config.json"))
    assert inflight.in_flight_dir() == tmp_path / "cfg" / "in-flight"
    path = inflight.write("k1", operation="edit", argv=[])
    assert path == tmp_path / "cfg" / "in-flight" / "k1.json"
    reads = inflight.read_folder(inflight.in_flight_dir())
    assert reads is not None
    assert [r.record["idempotency_key"] for r in reads] == ["k1"]


def test_file_is_the_0_1_70_breadcrumb(tmp_path: Path) -> None:
    path = _write(tmp_path / "in-flight")
    text = path.read_text()
    record = json.loads(text)
    # 0.1.70's keys in 0.1.70's order, then ours.
    assert list(record) == [
        "schema",
        "command",
        "operation",
        "idempotency_key",
        "recover_command",
        "argv",
        "started_at",
        "api_base_url",
    ]
    assert record["schema"] == "image-skill.in-flight-spend.v1"
    assert record["command"] == "image-skill create"
    assert record["operation"] == "create"
    assert record["recover_command"] == (
        f"image-skill create --idempotency-key {KEY} <same arguments> --json"
    )
    assert record["argv"] == ARGV
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["started_at"])
    # JSON.stringify(obj, null, 2) + "\n"
    assert text == json.dumps(record, indent=2, ensure_ascii=False) + "\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".tmp-")]


def test_token_note_and_redaction(tmp_path: Path) -> None:
    note = {"token_source": "flag", "token_hint": "pipe the same token in"}
    pasted = "isk_r_" + "Q" * 30
    path = _write(
        tmp_path / "in-flight",
        argv=["--prompt", f"use {pasted}", "--token-stdin", "--idempotency-key", KEY, "--json"],
        token_note=note,
    )
    record = json.loads(path.read_text())
    assert record["token_source"] == "flag" and record["token_hint"] == note["token_hint"]
    assert record["argv"][1] == "use [REDACTED]" and record["redacted"] is True
    assert pasted not in path.read_text()


def test_write_takes_no_token() -> None:
    with pytest.raises(TypeError):
        inflight.write("k", operation="create", argv=[], token="x")  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "key", ["../config", "../../etc/passwd", "a/b", ".hidden", "..", "", "k\x00y", "é" * 200]
)
def test_hostile_keys_stay_inside_the_directory(tmp_path: Path, key: str) -> None:
    directory = tmp_path / "in-flight"
    path = _write(directory, key)
    assert path.parent == directory
    assert not path.name.startswith(".")
    assert json.loads(path.read_text())["idempotency_key"] == key
    assert inflight.remove(key, directory)
    assert not path.exists()


def test_file_names_follow_0_1_70_for_safe_keys() -> None:
    # Every key we generate is made of safe characters: the name is the key itself.
    assert inflight.sanitize_key(KEY) == KEY
    assert inflight.sanitize_key("a_b.c-d") == "a_b.c-d"
    assert inflight.breadcrumb_path(KEY, Path("/x")) == Path(f"/x/{KEY}.json")
    # Changed keys: 0.1.70's stem (replace, strip leading dots, 120 characters) + a hash.
    assert inflight.sanitize_key("..a/b").startswith("a_b-")
    assert inflight.sanitize_key("x" * 200).startswith("x" * 120 + "-")


def test_distinct_keys_never_share_a_file() -> None:
    assert inflight.sanitize_key("a/b") != inflight.sanitize_key("a_b")
    assert inflight.sanitize_key("x" * 200) != inflight.sanitize_key("x" * 201)


def test_outcome_rules() -> None:
    assert inflight.outcome_known(E.ok_result("image-skill create", {}))
    final = E.error_result("image-skill create", "BUDGET_EXCEEDED", "over", exit_code=5)
    assert inflight.outcome_known(final)
    for code in (E.HOSTED_API_REQUEST_FAILED, E.TIMEOUT, E.HOSTED_API_NON_JSON_RESPONSE):
        assert not inflight.outcome_known(E.error_result("c", code, "m", retryable=True))
        assert not inflight.outcome_known(E.error_result("c", code, "m", retryable=False))
    assert not inflight.outcome_known(E.error_result("c", "PROVIDER_FAILURE", "m", retryable=True))


def test_start_settle_and_the_0_1_70_notice(tmp_path: Path) -> None:
    directory = tmp_path / "in-flight"
    crumb = inflight.start("edit-1-aa", operation="edit", argv=["--json"], directory=directory)
    assert crumb.path is not None and crumb.path.exists()
    line = crumb.notice()
    assert "\n" not in line and ", " not in line.split('"note"')[0]  # compact JSON
    notice = json.loads(line)
    assert list(notice) == ["in_flight"]
    assert list(notice["in_flight"]) == ["command", "idempotency_key", "recover_command", "note"]
    assert notice["in_flight"]["command"] == "image-skill edit"
    assert notice["in_flight"]["idempotency_key"] == "edit-1-aa"
    file_command = json.loads(crumb.path.read_text())["recover_command"]
    assert notice["in_flight"]["recover_command"] == file_command
    assert crumb.warning() is None
    assert not crumb.settle(E.error_result("c", E.TIMEOUT, "m", retryable=True))
    assert crumb.path.exists()
    assert crumb.settle(E.ok_result("image-skill edit", {}))
    assert not crumb.path.exists()


def test_unwritable_directory_is_a_warning_not_an_error(tmp_path: Path) -> None:
    # A regular file where the config directory should be: no permission trick, so the
    # test also holds when run as root.
    blocker = tmp_path / "cfg"
    blocker.write_text("not a directory")
    crumb = inflight.start("k", operation="create", argv=[], directory=blocker / "in-flight")
    assert crumb.path is None
    warning = crumb.warning()
    assert warning is not None and "--idempotency-key k" in warning
    # The notice is printed all the same.
    assert json.loads(crumb.notice())["in_flight"]["idempotency_key"] == "k"
    assert not crumb.settle(E.ok_result("c", {}))


def test_read_folder_reports_corrupt_files_and_skips_temp_files(tmp_path: Path) -> None:
    directory = tmp_path / "in-flight"
    _write(directory, "good")
    (directory / "bad.json").write_text("{not json")
    (directory / ".tmp-x.json").write_text("{")
    (directory / "notes.txt").write_text("ignored")
    reads = inflight.read_folder(directory)
    assert reads is not None
    assert [r.name for r in reads] == ["bad.json", "good.json"]
    assert reads[0].record is None and reads[1].record["idempotency_key"] == "good"
    assert reads[1].mtime_ms is not None
    assert inflight.read_folder(tmp_path / "missing") is None
