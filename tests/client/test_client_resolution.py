"""The Python client finds its base URL and token as the CLI does, checks a token before any
request is built, and keeps errors as data (``reply.data`` is never None)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from image_skill import ImageSkillClient, InvalidToken
from image_skill.config import resolve_token, save_token


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cfg" / "config.json"
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(path))
    return path


def _local_token() -> str:
    with ImageSkillClient(base_url="local", token=None) as client:
        reply = client.signup(
            {
                "agent_contact": "r@example.com",
                "agent_name": "r",
                "runtime": "t",
                "return_token": True,
            }
        )
    assert reply.ok, reply.envelope
    token = reply.data["token"]
    assert isinstance(token, str)
    return token


def test_the_saved_config_gives_base_url_and_token(config: Path) -> None:
    save_token(config, _local_token(), "local")
    with ImageSkillClient() as client:
        assert client.base_url_source == "config" and client.configured_base_url == "local"
        assert client.token_source == "config"
        assert client.whoami().ok


def test_the_order_argument_env_hosted_env_config(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_token(config, "isk_r_saved", "local")
    assert ImageSkillClient(base_url="local").token == "isk_r_saved"
    monkeypatch.setenv("IMAGE_SKILL_HOSTED_TOKEN", "isk_r_hosted")
    assert ImageSkillClient(base_url="local").token == "isk_r_hosted"
    monkeypatch.setenv("IMAGE_SKILL_TOKEN", " isk_r_env ")
    client = ImageSkillClient(base_url="local")
    assert (client.token, client.token_source) == ("isk_r_env", "env")
    client = ImageSkillClient(base_url="local", token="isk_r_arg")
    assert (client.token, client.token_source) == ("isk_r_arg", "argument")
    assert ImageSkillClient(base_url="local", token=None).token is None
    monkeypatch.setenv("IMAGE_SKILL_API_BASE_URL", "http://127.0.0.1:9")
    client = ImageSkillClient()
    assert (client.configured_base_url, client.base_url_source) == ("http://127.0.0.1:9", "env")


def test_the_cli_and_the_client_share_one_resolver(config: Path) -> None:
    save_token(config, "isk_r_saved", "http://127.0.0.1:8000/")
    same = resolve_token(stdin_token=None, flag_token=None, api_base_url="http://127.0.0.1:8000")
    assert same.token == "isk_r_saved"
    other = resolve_token(stdin_token=None, flag_token=None, api_base_url="http://127.0.0.1:8001")
    assert other.token is None and other.withheld_for == "http://127.0.0.1:8000/"
    client = ImageSkillClient(base_url="http://127.0.0.1:8001")
    assert client.token is None and client.withheld_token_base_url == "http://127.0.0.1:8000/"


def test_a_config_without_a_base_url_keeps_its_token_for_the_hosted_api(config: Path) -> None:
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps({"token": "isk_r_old"}))
    assert ImageSkillClient().token == "isk_r_old"  # the hosted default; nothing is sent
    assert ImageSkillClient(base_url="local").token is None


@pytest.mark.parametrize(
    ("token", "problem"),
    [
        ("isk_r_…", "non-ASCII character (U+2026)"),
        ("isk_r_a b", "whitespace (U+0020)"),
        ("isk_r_\x7f", "control character (U+007F)"),
        ("x" * 5000, "5000 characters long"),
    ],
)
def test_a_token_that_cannot_be_sent_is_a_value_error(token: str, problem: str) -> None:
    with pytest.raises(InvalidToken) as caught:
        ImageSkillClient(base_url="local", token=token)
    assert isinstance(caught.value, ValueError)
    assert problem in str(caught.value) and token not in str(caught.value)
    client = ImageSkillClient(base_url="local", token=None)
    with pytest.raises(InvalidToken):
        client.token = token
    with pytest.raises(InvalidToken):
        client.request("GET", "/v1/whoami", token=token)
    with pytest.raises(InvalidToken):
        client.with_token(token)


def test_a_bad_env_token_is_refused_before_any_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGE_SKILL_TOKEN", "isk_r_…")
    with pytest.raises(InvalidToken, match=r"\(env\)"):
        ImageSkillClient(base_url="local")


def test_a_failed_reply_has_empty_data_not_none() -> None:
    with ImageSkillClient(base_url="local", token="isk_r_not_a_real_token") as client:
        reply = client.quota()
    assert not reply.ok and reply.error is not None and reply.error.code == "AUTH_REQUIRED"
    assert reply.envelope["data"] is None
    assert reply.data == {} and reply.data.get("limits") is None
