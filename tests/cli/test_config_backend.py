"""Config remembers the backend: a later command without a base URL goes where signup went,
says so (whoami, doctor), and a token saved for one base URL is never sent to another.

Two served local backends on loopback: A (where the agent signs up) and B, behind a
recording proxy, so the test sees every header that reached B.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from clitools import invoke
from faults import FaultServer
from image_skill import ImageSkillClient
from image_skill.local.server import serve_in_thread
from image_skill.local.settings import LocalSettings


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cfg" / "config.json"
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(path))
    return path


@pytest.fixture
def backends(tmp_path: Path) -> Iterator[tuple[str, FaultServer]]:
    """(A's base URL, a recording proxy in front of B)."""
    with (
        serve_in_thread(LocalSettings(data_dir=tmp_path / "a")) as (a_url, _),
        serve_in_thread(LocalSettings(data_dir=tmp_path / "b")) as (b_url, _),
        FaultServer(upstream=b_url) as proxy,
    ):
        yield a_url, proxy


def _signup(*flags: str) -> str:
    res = invoke(
        *("signup", "--agent", "--agent-contact", "cfg@example.com", "--agent-name", "cfg"),
        *("--runtime", "pytest", *flags),
    )
    assert res.exit_code == 0, res.stdout
    return str(res.data["storage"]["config_path"])


def test_signup_against_local_makes_later_commands_use_local(config: Path) -> None:
    _signup("--api-base-url", "local")
    assert json.loads(config.read_text())["api_base_url"] == "local"
    res = invoke("whoami")
    assert res.exit_code == 0, res.stdout
    assert res.data["api_base_url"] == "local"
    assert res.data["api_base_url_source"] == "config"
    res = invoke("create", "--prompt", "a red cube")
    assert res.exit_code == 0, res.stdout
    doctor = invoke("doctor")
    assert doctor.data["api_base_url"] == "local"
    assert doctor.data["api_base_url_source"] == "config"
    assert doctor.data["hosted_api"]["reachable"] is True
    assert doctor.data["auth"]["saved_token_api_base_url"] == "local"
    assert doctor.data["auth"]["saved_token_applies"] is True


def test_without_a_config_the_source_is_the_default(config: Path) -> None:
    res = invoke("whoami", "--api-base-url", "local")
    assert res.exit_code == 3  # no token at all
    doctor = invoke("doctor", "--api-base-url", "local")
    assert doctor.data["api_base_url_source"] == "flag"
    assert "saved_token_api_base_url" not in doctor.data["auth"]


def test_a_saved_token_is_never_sent_to_another_base_url(
    config: Path, backends: tuple[str, FaultServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    a_url, proxy = backends
    _signup("--api-base-url", a_url)
    token = json.loads(config.read_text())["token"]

    mine = invoke("whoami")  # the saved backend, A
    assert mine.exit_code == 0 and mine.data["api_base_url"] == a_url
    assert mine.data["api_base_url_source"] == "config"
    # The same server spelled with a trailing slash and an upper-case scheme is still A.
    same = invoke("whoami", "--api-base-url", "HTTP" + a_url.removeprefix("http") + "/")
    assert same.exit_code == 0, same.stdout

    for res in (
        invoke("whoami", "--api-base-url", proxy.url),
        invoke("create", "--prompt", "p", "--api-base-url", proxy.url),
        invoke("whoami", env={"IMAGE_SKILL_API_BASE_URL": proxy.url}),
    ):
        assert res.exit_code == 3, res.stdout
        error = res.json["error"]
        assert error["code"] == "AUTH_REQUIRED"
        assert error["recovery"]["saved_token_api_base_url"] == a_url
        assert error["recovery"]["api_base_url"] == proxy.url
        assert "not sent" in error["message"]
        assert token not in res.stdout + res.stderr
    assert proxy.requests == []  # nothing reached B at all

    # The Python client follows the same rule: B gets the request, but no token.
    with ImageSkillClient(base_url=proxy.url) as client:
        assert client.token is None and client.withheld_token_base_url == a_url
        reply = client.whoami()
    assert reply.error is not None and reply.error.code == "AUTH_REQUIRED"
    [seen] = proxy.requests
    assert "authorization" not in {name.lower() for name in seen.headers}
    assert all(token not in value for value in seen.headers.values())

    # A token given explicitly (the environment) does go to B: it is the caller's choice.
    monkeypatch.setenv("IMAGE_SKILL_TOKEN", "isk_r_for_b")
    invoke("whoami", "--api-base-url", proxy.url)
    assert proxy.requests[-1].headers.get("authorization") == "Bearer isk_r_for_b"


def test_flag_and_env_win_over_the_saved_backend(
    config: Path, backends: tuple[str, FaultServer]
) -> None:
    a_url, proxy = backends
    _signup("--api-base-url", a_url)
    env_run = invoke("doctor", env={"IMAGE_SKILL_API_BASE_URL": proxy.url})
    assert env_run.data["api_base_url"] == proxy.url
    assert env_run.data["api_base_url_source"] == "env"
    assert env_run.data["auth"]["saved_token_applies"] is False
    flag_run = invoke("doctor", "--api-base-url", "local")
    assert flag_run.data["api_base_url_source"] == "flag"
    assert [r.path for r in proxy.requests] == ["/healthz"]


def test_an_unusable_saved_base_url_falls_back_to_the_default(config: Path) -> None:
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps({"api_base_url": "ftp://nowhere", "token": "isk_r_x"}))
    doctor = invoke("doctor", "--api-base-url", "local")
    assert doctor.data["auth"]["saved_token_applies"] is False
    res = invoke("whoami", "--api-base-url", "local")
    assert res.exit_code == 3
    assert res.json["error"]["recovery"]["saved_token_api_base_url"] == "ftp://nowhere"
