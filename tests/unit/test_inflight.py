"""In-flight breadcrumbs: location, atomic 0600 writes, sanitized names, removal rules."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from image_skill import envelope as E
from image_skill.cli import inflight


def _write(directory: Path, key: str = "create-1-abcd1234", **kw: object) -> Path:
    args: dict[str, object] = {
        "command_label": "image-skill create",
        "recovery_command": f"image-skill create --prompt 'a cat' --idempotency-key {key} --json",
        "api_base_url": "local",
        "request_summary": {"endpoint": "/v1/create", "model": "local.image", "prompt": "a cat"},
    }
    args.update(kw)
    return inflight.write(key, directory=directory, **args)  # type: ignore[arg-type]


def test_default_directory_is_next_to_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(tmp_path / "cfg" / "config.json"))
    assert inflight.in_flight_dir() == tmp_path / "cfg" / "in-flight"
    path = inflight.write(
        "k1",
        command_label="image-skill edit",
        recovery_command=None,
        api_base_url="local",
        request_summary={},
    )
    assert path == tmp_path / "cfg" / "in-flight" / "k1.json"
    assert [item["idempotency_key"] for item in inflight.list_breadcrumbs()] == ["k1"]


def test_breadcrumb_content_mode_and_no_secrets(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "in-flight",
        request_summary={
            "endpoint": "/v1/create",
            "model": "local.image",
            "prompt": "a cat",
            "token": "tok_secret",
        },
    )
    record = json.loads(path.read_text())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert record["schema"] == inflight.SCHEMA
    assert record["idempotency_key"] == "create-1-abcd1234"
    assert record["command"] == "image-skill create"
    assert record["pid"] == os.getpid()
    assert record["request"] == {"endpoint": "/v1/create", "model": "local.image"}
    assert "--idempotency-key create-1-abcd1234" in record["recovery_command"]
    # The prompt lives only inside the recovery command; the token nowhere.
    text = path.read_text()
    assert text.count("a cat") == 1
    assert "tok_secret" not in text
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".tmp-")]


def test_write_rejects_unknown_keyword(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        _write(tmp_path, token="x")  # there is no way to hand a token to write()


@pytest.mark.parametrize(
    "key", ["../config", "../../etc/passwd", "a/b", ".hidden", "..", "", "k\x00y", "é" * 200]
)
def test_hostile_keys_stay_inside_the_directory(tmp_path: Path, key: str) -> None:
    directory = tmp_path / "in-flight"
    path = _write(directory, key)
    assert path.parent == directory
    assert not path.name.startswith(".")
    assert path.read_text()
    assert json.loads(path.read_text())["idempotency_key"] == key
    assert inflight.remove(key, directory)
    assert not path.exists()


def test_distinct_keys_never_share_a_file() -> None:
    assert inflight.sanitize_key("a/b") != inflight.sanitize_key("a_b")
    assert inflight.sanitize_key("a_b") == "a_b"
    assert inflight.sanitize_key("x" * 200) != inflight.sanitize_key("x" * 201)


def test_outcome_rules() -> None:
    assert inflight.outcome_known(E.ok_result("image-skill create", {}))
    final = E.error_result("image-skill create", "BUDGET_EXCEEDED", "over", exit_code=5)
    assert inflight.outcome_known(final)
    for code in (E.HOSTED_API_REQUEST_FAILED, E.TIMEOUT, E.HOSTED_API_NON_JSON_RESPONSE):
        assert not inflight.outcome_known(E.error_result("c", code, "m", retryable=True))
        assert not inflight.outcome_known(E.error_result("c", code, "m", retryable=False))
    assert not inflight.outcome_known(E.error_result("c", "PROVIDER_FAILURE", "m", retryable=True))


def test_start_settle_and_notice(tmp_path: Path) -> None:
    directory = tmp_path / "in-flight"
    crumb = inflight.start(
        "edit-1-aa",
        command_label="image-skill edit",
        recovery_command="image-skill edit --idempotency-key edit-1-aa --json",
        api_base_url="local",
        request_summary={},
        directory=directory,
    )
    assert crumb.path is not None and crumb.path.exists()
    notice = json.loads(crumb.notice())
    assert notice == {"in_flight": {"idempotency_key": "edit-1-aa", "breadcrumb": str(crumb.path)}}
    assert "\n" not in crumb.notice()
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
    crumb = inflight.start(
        "k",
        command_label="image-skill create",
        recovery_command=None,
        api_base_url="local",
        request_summary={},
        directory=blocker / "in-flight",
    )
    assert crumb.path is None
    warning = crumb.warning()
    assert warning is not None and "--idempotency-key k" in warning
    assert json.loads(crumb.notice())["in_flight"]["breadcrumb"] is None
    assert not crumb.settle(E.ok_result("c", {}))


def test_list_breadcrumbs_reports_corrupt_files(tmp_path: Path) -> None:
    directory = tmp_path / "in-flight"
    _write(directory, "good")
    (directory / "bad.json").write_text("{not json")
    items = inflight.list_breadcrumbs(directory)
    assert {Path(i["path"]).name for i in items} == {"good.json", "bad.json"}
    assert [i for i in items if "error" in i][0]["path"].endswith("bad.json")
    assert inflight.list_breadcrumbs(tmp_path / "missing") == []
