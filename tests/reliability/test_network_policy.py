"""URL inputs never reach places they must not go (issue 8, point 5).

Every test runs under the network guard (tests/nettools.py): a connect to anything but
loopback is blocked and recorded, and only fake names resolve. "Refused" therefore means
refused before any connect, and nothing here ever leaves the machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import nettools
import spendtools
from clitools import CliResult, invoke
from faults import Fault, FaultServer
from nettools import OPT_IN, NetGuard, assert_address_refused
from spendtools import LOCAL, png

guard = nettools.guard
account = spendtools.account

PNG = png(24, 16)
SECRET = b"\x89PNG\r\n\x1a\n" + b"TOP-SECRET-" * 40


@pytest.fixture
def site() -> Iterator[FaultServer]:
    """A loopback web server with a picture and a 'secret' (both sniff as PNG)."""
    with FaultServer() as server:
        picture = Fault(body=PNG, headers={"content-type": "image/png"})
        server.script("GET", "/pic.png", picture, repeat=True)
        server.script("GET", "/secret.png", Fault(body=SECRET), repeat=True)
        yield server


def assert_refused(res: CliResult, address_class: str) -> dict[str, object]:
    assert (res.exit_code, res.code) == (2, "INVALID_ARGUMENTS"), res.stdout
    recovery: dict[str, object] = assert_address_refused(
        res.json, address_class, "fetch the URL input"
    )
    assert res.json["error"]["message"].startswith("refused to fetch the URL input: ")
    # the only stderr line allowed is the documented one-time notice for a --token token
    other = [ln for ln in res.stderr.splitlines() if not ln.startswith('{"token_on_command_line"')]
    assert other == []
    return recovery


@pytest.mark.parametrize(
    ("url", "address_class"),
    [
        ("http://169.254.169.254/latest/meta-data/iam/security-credentials/", "metadata"),
        ("http://[::ffff:169.254.169.254]/", "metadata"),
        ("http://[::ffff:a9fe:a9fe]/latest", "metadata"),
        ("http://0x7f000001/", "loopback"),
        ("http://2130706433/x.png", "loopback"),
        ("http://127.1/x.png", "loopback"),
        ("http://[::1]:9/x.png", "loopback"),
        ("http://10.0.0.1/", "private"),
        ("http://192.168.0.10/cam.jpg", "private"),
        ("http://[fd00::5]/x.png", "private"),
        ("http://169.254.10.20/x.png", "link_local"),
        ("http://0.0.0.0:80/x.png", "unspecified"),
        ("http://metadata.google.internal/computeMetadata/v1/", "metadata"),
        ("https://localhost/x.png", "loopback"),
    ],
)
def test_upload_refuses_internal_destinations_before_connecting(
    account: Path, guard: NetGuard, url: str, address_class: str
) -> None:
    res = invoke("upload", url, *LOCAL)
    assert_refused(res, address_class)
    assert guard.connects == [] and guard.lookups == []


def test_every_address_of_a_name_is_checked(account: Path, guard: NetGuard) -> None:
    guard.dns["images.example.test"] = ["93.184.216.34", "10.0.0.7"]
    res = invoke("upload", "http://images.example.test/pic.png", *LOCAL)
    recovery = assert_refused(res, "private")
    assert recovery["refused_address"] == "10.0.0.7"
    assert guard.lookups == ["images.example.test"] and guard.connects == []


def test_a_name_mapped_to_the_metadata_address_is_refused(account: Path, guard: NetGuard) -> None:
    guard.dns["cdn.example.test"] = ["::ffff:169.254.169.254"]
    res = invoke("upload", "--input", "http://cdn.example.test/a.png", *LOCAL)
    assert_refused(res, "metadata")
    assert guard.connects == []


def test_create_dry_run_does_not_fetch_a_private_reference(
    account: Path, guard: NetGuard, site: FaultServer
) -> None:
    """The reported leak: a secret on a loopback server must not go to the API."""
    for value in (f"{site.url}/secret.png", "http://10.0.0.1/secret.png"):
        res = invoke("create", "--dry-run", "--prompt", "p", "--reference-image", value, *LOCAL)
        assert_refused(res, "loopback" if "127.0.0.1" in value else "private")
    assert site.requests == [] and guard.connects == []


def test_edit_input_and_element_references_are_checked_too(
    account: Path, guard: NetGuard, site: FaultServer
) -> None:
    edit = invoke("edit", "--input", f"{site.url}/pic.png", "--prompt", "p", "--dry-run", *LOCAL)
    assert_refused(edit, "loopback")
    frontal = invoke(
        "create",
        "--dry-run",
        "--prompt",
        "p",
        "--element-frontal",
        "http://[fe80::1]/face.png",
        *LOCAL,
    )
    assert_refused(frontal, "link_local")
    assert site.requests == [] and guard.connects == []


def test_opt_in_lets_a_loopback_url_through(
    account: Path, guard: NetGuard, site: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    res = invoke("upload", f"{site.url}/pic.png", OPT_IN, *LOCAL)
    assert res.exit_code == 0, res.stdout
    assert res.data["asset"]["content_length"] == len(PNG)
    # The global flag works before the command words too, and so does the env var.
    before = invoke(OPT_IN, "upload", f"{site.url}/pic.png", *LOCAL)
    assert before.exit_code == 0, before.stdout
    monkeypatch.setenv("IMAGE_SKILL_ALLOW_PRIVATE_NETWORK", "1")
    by_env = invoke("upload", f"{site.url}/pic.png", *LOCAL)
    assert by_env.exit_code == 0, by_env.stdout
    assert len(site.requests_to("/pic.png")) == 3
    # Metadata endpoints stay refused even with the opt-in.
    meta = invoke("upload", "http://169.254.169.254/latest/", OPT_IN, *LOCAL)
    assert_refused(meta, "metadata")
    assert guard.blocked == []


def test_the_fetch_connects_to_the_vetted_address_with_the_real_host_header(
    account: Path, guard: NetGuard, site: FaultServer
) -> None:
    """The name is resolved once, by the policy; the connection goes to that very address.

    The fake name maps to loopback on the first lookup and to a private address afterwards
    (DNS rebinding): only the first answer is ever used.
    """
    answers = iter([["127.0.0.1"], ["10.9.9.9"], ["10.9.9.9"]])

    class Rebinding(dict[str, list[str]]):
        def __contains__(self, name: object) -> bool:
            return name == "images.example.test"

        def __getitem__(self, name: str) -> list[str]:
            return next(answers)

    guard.dns = Rebinding()
    url = f"http://images.example.test:{site.port}/pic.png"
    res = invoke("upload", url, OPT_IN, *LOCAL)
    assert res.exit_code == 0, res.stdout
    assert res.data["request"]["remote_origin"] == f"http://images.example.test:{site.port}"
    [seen] = site.requests
    assert seen.headers["host"] == f"images.example.test:{site.port}"
    assert guard.lookups == ["images.example.test"]
    assert guard.connects == [("127.0.0.1", site.port)]


# -- redirects: every hop is vetted --------------------------------------------------------


@pytest.fixture
def api_site(site: FaultServer, account: Path) -> FaultServer:
    """``site`` doubles as the configured API, so its own origin is allowed (the rule that
    keeps ``local serve`` working); the hops it redirects to are not."""
    return site


def test_the_api_origin_is_allowed_but_a_redirect_away_from_it_is_vetted(
    api_site: FaultServer, guard: NetGuard
) -> None:
    with FaultServer() as other:
        other.script("GET", "/", Fault(body=SECRET), repeat=True)
        guard.dns["images.example.test"] = ["10.0.0.7"]
        targets = [
            ("http://169.254.169.254/latest/meta-data/", "metadata"),
            ("http://[::ffff:169.254.169.254]/", "metadata"),
            (f"{other.url}/secret", "loopback"),
            (f"http://localhost:{other.port}/secret", "loopback"),
            ("http://images.example.test/x.png", "private"),
        ]
        for target, address_class in targets:
            api_site.script("GET", "/start", Fault.redirect(target, status=302))
            res = invoke(
                "upload", f"{api_site.url}/start", "--api-base-url", api_site.url, "--token", "t"
            )
            assert_refused(res, address_class)
        assert other.requests == []
    assert len(api_site.requests_to("/start")) == len(targets)
    assert api_site.requests_to("/v1/upload") == []
    assert guard.blocked == []
    assert set(guard.connected_ports()) == {api_site.port}


def test_redirect_to_metadata_is_refused_even_with_the_opt_in(
    site: FaultServer, account: Path, guard: NetGuard
) -> None:
    site.script("GET", "/hop", Fault.redirect("http://169.254.169.254/latest/", status=307))
    res = invoke("upload", f"{site.url}/hop", OPT_IN, *LOCAL)
    assert_refused(res, "metadata")
    assert guard.blocked == []


def test_a_redirect_between_allowed_hosts_is_followed(
    site: FaultServer, account: Path, guard: NetGuard
) -> None:
    site.script("GET", "/hop", Fault.redirect("/pic.png", status=301))
    res = invoke("upload", f"{site.url}/hop", OPT_IN, *LOCAL)
    assert res.exit_code == 0, res.stdout
    assert [r.path for r in site.requests] == ["/hop", "/pic.png"]
