"""The budget and count values of create: checked by the command, after its earlier checks.

They are plain checks (``cli/_spend.py``), not click parameter types, because click would
convert them while parsing, before a missing prompt or a missing token is reported; these
tests pin the order the npm client reports them in.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from clitools import invoke
from spendtools import LOCAL, remaining_credits, signup


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cfg" / "config.json"
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(path))
    monkeypatch.chdir(tmp_path)
    return path


def test_a_missing_prompt_is_reported_before_bad_values(config: Path) -> None:
    res = invoke("create", "--max-usd", "lots", "--output-count", "0", *LOCAL)
    assert (res.exit_code, res.code) == (2, "INVALID_ARGUMENTS")
    assert res.json["error"]["message"] == "create/edit requires --prompt (or --prompt-file)"


def test_a_missing_token_is_reported_before_a_bad_budget(config: Path) -> None:
    res = invoke("create", "--prompt", "a", "--max-usd", "lots", *LOCAL)
    assert (res.exit_code, res.code) == (3, "AUTH_REQUIRED")


def test_the_count_is_checked_before_the_budgets(config: Path) -> None:
    signup()
    before = remaining_credits()
    res = invoke("create", "--prompt", "a", "--max-usd", "lots", "--output-count", "-1", *LOCAL)
    assert (res.exit_code, res.code) == (2, "INVALID_ARGUMENTS")
    assert res.json["error"]["message"] == "output-count must be a positive integer"
    assert res.stdout.count('"code"') == 1  # one envelope, one error
    assert remaining_credits() == before


@pytest.mark.parametrize(
    "value", ["nan", "inf", "-Infinity", "", "  ", "1,5", "1_0", "\u0661", "12abc", "0x"]
)
def test_a_budget_that_is_not_a_finite_number_is_refused(config: Path, value: str) -> None:
    signup()
    res = invoke("create", "--prompt", "a", "--max-estimated-usd-per-image", value, *LOCAL)
    assert (res.exit_code, res.code) == (2, "INVALID_ARGUMENTS")
    assert res.json["error"]["message"] == "--max-estimated-usd-per-image must be a number"
    assert "Traceback" not in res.stdout + res.stderr


def test_a_budget_is_read_as_the_npm_client_reads_a_number(config: Path) -> None:
    # Number("0x10") is 16 and Number("0x0") is 0 (Python's float refuses both), while
    # "1_0" and Arabic-Indic digits, which float would accept, are NaN (refused above).
    signup()
    roomy = invoke("create", "--prompt", "a", "--dry-run", "--max-usd", "0x10", *LOCAL)
    assert roomy.exit_code == 0, roomy.stdout
    tight = invoke("create", "--prompt", "a", "--dry-run", "--max-usd", " 0x0 ", *LOCAL)
    assert tight.code == "BUDGET_GUARD_EXCEEDED", tight.stdout
    assert "max_usd cap of $0." in tight.json["error"]["message"]
