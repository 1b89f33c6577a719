"""`create` on the local backend: assets, dry runs, one debit per key, budgets, validation."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from clitools import invoke
from spendtools import LOCAL, in_flight_files, notices, png, remaining_credits, signup


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cfg" / "config.json"
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(path))
    monkeypatch.chdir(tmp_path)
    return path


@pytest.fixture
def account(config: Path) -> Path:
    signup()
    return config


def test_create_returns_an_asset_and_clears_its_breadcrumb(account: Path) -> None:
    before = remaining_credits()
    res = invoke("create", "--prompt", "a red cube", "--json", *LOCAL)
    assert res.exit_code == 0, res.stdout
    [asset] = res.data["assets"]
    assert asset["asset_id"].startswith("image_") and asset["mime_type"] == "image/png"
    key = res.data["request"]["idempotency_key"]
    assert key.startswith("create-")
    assert any(key in w for w in res.json["warnings"])
    [notice] = notices(res)
    assert notice["in_flight"]["idempotency_key"] == key
    assert notice["in_flight"]["command"] == "image-skill create"
    assert notice["in_flight"]["recover_command"] == (
        f"image-skill create --idempotency-key {key} <same arguments> --json"
    )
    assert in_flight_files(account) == []
    assert remaining_credits() < before


def test_dry_run_spends_nothing_and_needs_no_key(account: Path) -> None:
    before = remaining_credits()
    res = invoke("create", "--prompt", "a red cube", "--dry-run", *LOCAL)
    assert res.exit_code == 0, res.stdout
    assert res.data["dry_run"] is True
    assert res.data["assets"] == [] or all("url" not in a for a in res.data["assets"])
    assert res.stderr == "" and res.json["warnings"] == []
    assert remaining_credits() == before
    assert in_flight_files(account) == []


def test_anonymous_dry_run_without_a_token(config: Path) -> None:
    res = invoke("create", "--prompt", "a cube", "--dry-run", *LOCAL)
    assert res.exit_code == 0, res.stdout
    assert res.json["actor"] is None
    refs = invoke("create", "--prompt", "a cube", "--dry-run", "--reference-image", "x.png", *LOCAL)
    assert (refs.exit_code, refs.code) == (3, "AUTH_REQUIRED")


def test_same_idempotency_key_twice_is_one_job_and_one_debit(account: Path) -> None:
    before = remaining_credits()
    args = ("create", "--prompt", "a red cube", "--idempotency-key", "run-001", *LOCAL)
    first = invoke(*args)
    after_first = remaining_credits()
    second = invoke(*args)
    assert first.exit_code == second.exit_code == 0, second.stdout
    assert first.data["job_id"] == second.data["job_id"]
    assert first.data["assets"][0]["asset_id"] == second.data["assets"][0]["asset_id"]
    assert second.data["request"]["replayed"] is True
    assert remaining_credits() == after_first < before
    assert first.json["warnings"] == []  # a given key needs no warning
    assert in_flight_files(account) == []


def test_budget_guard_below_the_price_fails_without_a_debit(account: Path) -> None:
    before = remaining_credits()
    res = invoke("create", "--prompt", "a cube", "--max-estimated-usd-per-image", "0.01", *LOCAL)
    assert res.exit_code != 0 and res.json["ok"] is False
    assert res.code == "BUDGET_GUARD_EXCEEDED"
    capped = invoke("create", "--prompt", "a cube", "--max-usd", "0.001", *LOCAL)
    assert capped.exit_code != 0 and capped.json["ok"] is False
    assert remaining_credits() == before
    # A definite refusal settles the outcome: no breadcrumb stays behind.
    assert in_flight_files(account) == []


def test_output_downloads_verified_files(account: Path, tmp_path: Path) -> None:
    res = invoke(
        "create", "--prompt", "a cube", "--aspect-ratio", "16:9", "--output", "out/", *LOCAL
    )
    assert res.exit_code == 0, res.stdout
    [asset] = res.data["assets"]
    [download] = res.data["downloads"]
    path = Path(download["output_path"])
    assert path.parent == tmp_path / "out"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == asset["sha256"]
    assert download["asset_id"] == asset["asset_id"]


def test_output_onto_an_existing_file_fails_before_spending(account: Path, tmp_path: Path) -> None:
    target = tmp_path / "taken.png"
    target.write_bytes(b"keep me")
    before = remaining_credits()
    res = invoke("create", "--prompt", "a cube", "--output", str(target), *LOCAL)
    assert (res.exit_code, res.code) == (9, "OUTPUT_EXISTS")
    assert target.read_bytes() == b"keep me"
    assert remaining_credits() == before
    many = invoke("create", "--prompt", "a", "--output", "one.png", "--output-count", "2", *LOCAL)
    assert (many.exit_code, many.code) == (2, "INVALID_ARGUMENTS")


def test_output_where_no_file_can_be_written_fails_before_spending(
    account: Path, tmp_path: Path
) -> None:
    (tmp_path / "plain-file").write_bytes(b"not a directory")
    before = remaining_credits()
    for output in ("plain-file/out.png", "plain-file/sub/", "plain-file/a/b/c.png"):
        res = invoke("create", "--prompt", "a cube", "--output", output, *LOCAL)
        assert (res.exit_code, res.code) == (9, "OUTPUT_NOT_WRITABLE"), res.stdout
        assert "is not a directory" in res.json["error"]["message"]
    edit = invoke("edit", "--input", "image_x", "--prompt", "p", "--output", "plain-file/", *LOCAL)
    assert (edit.exit_code, edit.code) == (9, "OUTPUT_NOT_WRITABLE"), edit.stdout
    assert remaining_credits() == before
    assert in_flight_files(account) == []
    assert (tmp_path / "plain-file").read_bytes() == b"not a directory"


def test_prompt_file(account: Path, tmp_path: Path) -> None:
    (tmp_path / "prompt.txt").write_text("a blue sphere\n", encoding="utf-8")
    res = invoke("create", "--prompt-file", "prompt.txt", "--dry-run", *LOCAL)
    assert res.exit_code == 0, res.stdout
    missing = invoke("create", "--prompt-file", "nope.txt", *LOCAL)
    assert (missing.exit_code, missing.code) == (9, "INPUT_FILE_UNREADABLE")
    assert "nope.txt" in missing.json["error"]["message"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--prompt", "a", "--prompt-file", "p.txt"),
            "provide either --prompt or --prompt-file, not both",
        ),
        ((), "create/edit requires --prompt (or --prompt-file)"),
        (("--output-count", "0", "--prompt", "a"), "output-count must be a positive integer"),
        (("--output-count", "1.5", "--prompt", "a"), "output-count must be a positive integer"),
        (
            ("--prompt", "a", "--model-parameters-json", "[1]"),
            "--model-parameters-json must be a JSON object",
        ),
        (("--prompt", "a", "--max-usd", "lots"), "--max-usd must be a number"),
        (
            ("--prompt", "a", "--element-frontal", "f.png@1"),
            "element indexes must be contiguous starting at 0",
        ),
    ],
)
def test_argument_errors(account: Path, args: tuple[str, ...], message: str) -> None:
    before = remaining_credits()
    res = invoke("create", *args, *LOCAL)
    assert (res.exit_code, res.code) == (2, "INVALID_ARGUMENTS")
    assert res.json["command"] == "image-skill create"
    assert res.json["error"]["message"] == message
    assert remaining_credits() == before


def test_positional_prompt_is_only_for_the_guide(account: Path) -> None:
    res = invoke("create", "a red cube", *LOCAL)
    assert (res.exit_code, res.code) == (2, "INVALID_ARGUMENTS")
    assert "--prompt" in res.json["error"]["message"]
    guide = invoke("create", "--guide", "a red cube", *LOCAL)
    assert guide.exit_code == 0, guide.stdout
    assert guide.data["schema"] == "image-skill.create-guide.v1"


@pytest.mark.parametrize(
    "extra",
    [("--dry-run",), ("--reference-image", "x.png"), ("--element-frontal", "image_a")],
)
def test_guide_rejects_dry_run_and_references(account: Path, extra: tuple[str, ...]) -> None:
    res = invoke("create", "--guide", "--prompt", "a", *extra, *LOCAL)
    assert (res.exit_code, res.code) == (2, "INVALID_ARGUMENTS")
    assert res.json["command"] == "image-skill create --guide"


def test_guide_validates_model_parameters_with_the_create_label(account: Path) -> None:
    res = invoke("create", "--guide", "--prompt", "a", "--model-parameters-json", "nope", *LOCAL)
    assert (res.exit_code, res.code) == (2, "INVALID_ARGUMENTS")
    assert res.json["command"] == "image-skill create"


def test_reference_uploads_happen_before_the_create(account: Path, tmp_path: Path) -> None:
    (tmp_path / "ref.png").write_bytes(png(32, 32))
    res = invoke("create", "--prompt", "a", "--dry-run", "--reference-image", "ref.png", *LOCAL)
    # The local file went up first and the server judged the references[] entry (no local
    # create model takes references); a missing file would have failed client-side.
    assert res.json["command"] == "image-skill create"
    assert res.json["error"]["message"] == "model local.image does not accept references"
    missing = invoke("create", "--prompt", "a", "--reference-image", "gone.png", *LOCAL)
    assert (missing.exit_code, missing.code) == (9, "INPUT_FILE_UNREADABLE")
    assert missing.json["command"] == "image-skill upload"
    assert in_flight_files(account) == []


def test_a_failed_download_keeps_the_job_and_never_suggests_a_second_create(
    account: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from image_skill.files import downloads

    def disk_full(*args: object, **kwargs: object) -> None:
        raise downloads.DownloadError(
            "ASSET_DOWNLOAD_FAILED", "No space left on device", exit_code=9, retryable=True
        )

    monkeypatch.setattr(downloads, "download_asset", disk_full)  # fails after the spend
    before = remaining_credits()
    res = invoke("create", "--prompt", "a cube", "--output", "out.png", *LOCAL)
    assert res.exit_code == 9 and res.json["ok"] is False
    assert res.data["job_id"] and res.data["assets"]  # the paid job is still reported
    recovery = res.json["error"]["recovery"]
    assert recovery["job_id"] == res.data["job_id"]
    assert " assets get " in recovery["suggested_command"]
    assert " create " not in recovery["suggested_command"]
    assert remaining_credits() < before
    assert in_flight_files(account) == []  # the create's outcome is known
