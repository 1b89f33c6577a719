"""An unusable --api-base-url is refused before anything is sent (issue 8, point 5): an empty
one never falls back to the hosted API (which would receive the saved token)."""

from __future__ import annotations

from pathlib import Path

import pytest

import nettools
import spendtools
from clitools import invoke
from image_skill import _constants as C
from image_skill.api.client import ImageSkillClient
from image_skill.api.wire import InvalidBaseUrl, resolve_base_url
from nettools import NetGuard

guard = nettools.guard
account = spendtools.account


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "it is empty"),
        ("   ", "it is empty"),
        ("\t", "it is empty"),
        ("http://127.0.0.1:9\n", "control character"),
        ("http://127.0.0.1:9/\r\nx-evil: 1", "control character"),
        ("http://exa mple.test", "whitespace"),
        ("ftp://files.example.test", "not an http or https URL"),
        ("api.image-skill.com", "not an http or https URL"),
        ("http://", "no host"),
        ("http://127.0.0.1:99999", "not a valid URL"),
    ],
)
@pytest.mark.parametrize("command", [["whoami"], ["create", "--prompt", "p"], ["doctor"]])
def test_an_unusable_base_url_is_refused_without_any_request(
    account: Path, guard: NetGuard, value: str, problem: str, command: list[str]
) -> None:
    res = invoke(*command, "--api-base-url", value)
    assert (res.exit_code, res.code) == (2, "INVALID_ARGUMENTS"), res.stdout
    assert problem in res.json["error"]["message"]
    assert "--api-base-url" in res.json["error"]["message"]
    assert guard.connects == [] and guard.lookups == []
    # The equals form is the same flag.
    same = invoke(*command, f"--api-base-url={value}")
    assert (same.exit_code, same.code) == (2, "INVALID_ARGUMENTS"), same.stdout


def test_an_unusable_environment_value_is_refused_but_an_empty_one_is_unset(
    account: Path, guard: NetGuard, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMAGE_SKILL_API_BASE_URL", "http://127.0.0.1:9\n")
    res = invoke("whoami")
    assert (res.exit_code, res.code) == (2, "INVALID_ARGUMENTS"), res.stdout
    assert "IMAGE_SKILL_API_BASE_URL" in res.json["error"]["message"]
    assert guard.connects == [] and guard.lookups == []
    # Blank means unset (like an empty XDG_CONFIG_HOME); the flag still wins.
    for blank in ("", "  "):
        assert resolve_base_url(None, {"IMAGE_SKILL_API_BASE_URL": blank}) == C.DEFAULT_BASE_URL
    monkeypatch.setenv("IMAGE_SKILL_API_BASE_URL", "")
    assert invoke("whoami", "--api-base-url", "local").exit_code == 0


def test_the_library_refuses_an_empty_base_url_too() -> None:
    for value in ("", " ", "http://x\n"):
        with pytest.raises(InvalidBaseUrl):
            ImageSkillClient(base_url=value)
    assert resolve_base_url("local") == "local"
    assert resolve_base_url("http://127.0.0.1:8000/") == "http://127.0.0.1:8000/"
