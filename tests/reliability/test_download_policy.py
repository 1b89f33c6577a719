"""Asset downloads obey the address policy of URL inputs (issue 8, point 5, for downloads).

`create --output` and `assets get` fetch the asset from the ``url`` the API's reply names.
A FaultServer sits in front of a served local backend (it is the ``--api-base-url`` and the
media base) and rewrites that URL, or redirects the media GET, towards private and metadata
addresses. Every test runs under the network guard (tests/nettools.py): a connect to
anything but loopback is blocked and recorded, and only fake names resolve, so "refused"
means refused before any connect, and nothing here leaves the machine.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import nettools
from clitools import SIGNUP, CliResult, invoke
from faults import Fault, FaultServer, ProxiedReply
from nettools import OPT_IN, NetGuard, assert_address_refused
from proxiedtools import ProxiedBackend, signed_up_backend

guard = nettools.guard


Backend = ProxiedBackend


@pytest.fixture
def backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Backend]:
    """A signed-up agent on a served local backend behind a FaultServer; cwd is tmp_path/work."""
    with signed_up_backend(tmp_path, monkeypatch, Backend) as found:
        assert isinstance(found, Backend)
        yield found


def _with_url(url: Callable[[str], str]) -> Fault:
    """Relay the backend's reply with every asset's ``url`` replaced by ``url(asset_id)``."""

    def edit(reply: ProxiedReply) -> ProxiedReply:
        envelope = json.loads(reply.body)
        data = envelope["data"]
        found = data.get("assets") or [data["asset"]]
        for asset in found:
            asset["url"] = url(asset["asset_id"])
        return ProxiedReply(reply.status, reply.headers, json.dumps(envelope).encode())

    return Fault(proxy=True, edit=edit)


def _created(backend: Backend) -> dict[str, Any]:
    res = invoke("create", "--prompt", "a cube", *backend.args)
    assert res.exit_code == 0, res.stdout
    asset = res.data["assets"][0]
    assert isinstance(asset, dict)
    return asset


def _credits(backend: Backend) -> int:
    res = invoke("quota", *backend.args)
    assert res.exit_code == 0, res.stdout
    value = res.data["limits"]["remaining_credits"]
    assert isinstance(value, int)
    return value


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_refused(res: CliResult, address_class: str) -> dict[str, Any]:
    assert (res.exit_code, res.code) == (2, "INVALID_ARGUMENTS"), res.stdout
    recovery: dict[str, Any] = assert_address_refused(res.json, address_class, "download the asset")
    return recovery


def _no_file(work: Path) -> None:
    assert [p.name for p in work.iterdir()] == []


# -- the backend's own URLs keep working -----------------------------------------------------


def test_served_and_in_process_downloads_keep_working(
    backend: Backend, guard: NetGuard, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    made = invoke("create", "--prompt", "a cube", "--output", "served.png", *backend.args)
    assert made.exit_code == 0, made.stdout
    asset = made.data["assets"][0]
    assert _sha256(work / "served.png") == asset["sha256"]
    got = invoke("assets", "get", asset["asset_id"], "--output", "again.png", *backend.args)
    assert got.exit_code == 0, got.stdout
    assert _sha256(work / "again.png") == asset["sha256"]
    assert len(backend.fs.requests_to("/a/", "GET")) == 2
    # In-process: every URL is answered inside the process, nothing connects.
    before = len(guard.connects)
    local = ("--api-base-url", "local")
    assert invoke(*SIGNUP, *local).exit_code == 0
    inproc = invoke("create", "--prompt", "a cube", "--output", "inproc.png", *local)
    assert inproc.exit_code == 0, inproc.stdout
    assert _sha256(work / "inproc.png") == inproc.data["assets"][0]["sha256"]
    assert guard.connects[before:] == [] and guard.blocked == []


def test_the_in_process_client_never_connects_for_a_foreign_url(guard: NetGuard) -> None:
    from image_skill.api.client import ImageSkillClient

    with ImageSkillClient.local() as client:
        with client.stream("http://169.254.169.254/latest/meta-data/") as response:
            assert response.status_code == 404  # the local backend answered it
    assert guard.connects == [] and guard.lookups == []


# -- a reply that names another place --------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "address_class"),
    [
        ("http://169.254.169.254/latest/meta-data/{}.png", "metadata"),
        ("http://[::ffff:169.254.169.254]/{}.png", "metadata"),
        ("http://10.0.0.1/a/{}.png", "private"),
        ("http://0x7f000001:9/a/{}.png", "loopback"),
        ("http://metadata.google.internal/{}.png", "metadata"),
    ],
)
def test_create_output_refuses_a_rewritten_asset_url_but_reports_what_was_bought(
    backend: Backend, guard: NetGuard, tmp_path: Path, url: str, address_class: str
) -> None:
    work = tmp_path / "work"
    before = _credits(backend)
    backend.fs.script("POST", "/v1/create", _with_url(url.format))
    res = invoke("create", "--prompt", "a cube", "--output", "out.png", *backend.args)
    recovery = assert_refused(res, address_class)
    assert guard.blocked == [] and guard.lookups == []
    assert backend.fs.requests_to("/a/") == []
    _no_file(work)
    # Money first: the job is reported as bought, with the free command that fetches it.
    data = res.data
    [asset] = data["assets"]
    assert data["job_id"].startswith("job_") and recovery["job_id"] == data["job_id"]
    assert f"job {data['job_id']} succeeded" in res.json["error"]["message"]
    assert "charged" in recovery["note"]
    assert _credits(backend) < before
    in_flight = Path(os.environ["IMAGE_SKILL_CONFIG_PATH"]).parent / "in-flight"
    assert not in_flight.exists() or list(in_flight.glob("*.json")) == []
    words = shlex.split(recovery["suggested_command"])
    words = words[words.index("assets") :]
    assert words[:3] == ["assets", "get", asset["asset_id"]]
    again = invoke(*words)  # the metadata reply is no longer rewritten: the API's own URL
    assert again.exit_code == 0, again.stdout
    assert _sha256(work / "out.png") == asset["sha256"]


def test_assets_get_refuses_a_name_that_resolves_to_a_private_address(
    backend: Backend, guard: NetGuard, tmp_path: Path
) -> None:
    asset = _created(backend)
    guard.dns["cdn.example.test"] = ["93.184.216.34", "10.0.0.7"]
    backend.fs.script("GET", "/v1/assets/", _with_url("http://cdn.example.test/a/{}.png".format))
    res = invoke("assets", "get", asset["asset_id"], "--output", "x.png", *backend.args)
    recovery = assert_refused(res, "private")
    assert (recovery["refused_host"], recovery["refused_address"]) == (
        "cdn.example.test",
        "10.0.0.7",
    )
    assert guard.lookups == ["cdn.example.test"] and guard.blocked == []
    _no_file(tmp_path / "work")


# -- a redirect from the media URL -----------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "address_class", "opt_in"),
    [
        ("http://10.0.0.1/x.png", "private", False),
        ("http://[fd00::5]/x.png", "private", False),
        ("http://169.254.169.254/latest/", "metadata", False),
        ("http://169.254.169.254/latest/", "metadata", True),
        ("http://[fd00:ec2::254]/latest/", "metadata", True),
    ],
)
def test_a_redirect_from_the_media_url_is_vetted_before_it_is_followed(
    backend: Backend, guard: NetGuard, tmp_path: Path, target: str, address_class: str, opt_in: bool
) -> None:
    asset = _created(backend)
    backend.fs.script("GET", "/a/", Fault.redirect(target, status=302))
    flags = (OPT_IN,) if opt_in else ()
    res = invoke("assets", "get", asset["asset_id"], "--output", "x.png", *flags, *backend.args)
    assert_refused(res, address_class)
    assert len(backend.fs.requests_to("/a/")) == 1
    assert guard.blocked == []
    _no_file(tmp_path / "work")


# -- the opt-in ------------------------------------------------------------------------------


def test_the_opt_in_allows_a_private_media_host_and_no_token_goes_there(
    backend: Backend, guard: NetGuard, tmp_path: Path
) -> None:
    """A media host on another (loopback-mapped) origin: refused, then allowed with the
    opt-in, and the download request carries no Authorization header."""
    work = tmp_path / "work"
    asset = _created(backend)
    with FaultServer(upstream=backend.upstream) as media:
        guard.dns["media.example.test"] = ["127.0.0.1"]
        elsewhere = f"http://media.example.test:{media.port}/a/{{}}.png".format
        backend.fs.script("GET", "/v1/assets/", _with_url(elsewhere), repeat=True)
        refused = invoke("assets", "get", asset["asset_id"], "--output", "x.png", *backend.args)
        recovery = assert_refused(refused, "loopback")
        assert recovery["refused_address"] == "127.0.0.1"
        assert media.requests == []
        allowed = invoke(
            "assets", "get", asset["asset_id"], "--output", "x.png", OPT_IN, *backend.args
        )
        assert allowed.exit_code == 0, allowed.stdout
        assert _sha256(work / "x.png") == asset["sha256"]
        [fetched] = media.requests
        assert fetched.path == f"/a/{asset['asset_id']}.png"
        assert fetched.headers["host"] == f"media.example.test:{media.port}"
        assert "authorization" not in fetched.headers
        # A redirect from the API's media URL to that host is allowed the same way.
        backend.fs.clear()
        backend.fs.script("GET", "/a/", Fault.redirect(elsewhere(asset["asset_id"])))
        hop = invoke("assets", "get", asset["asset_id"], "--output", "y.png", OPT_IN, *backend.args)
        assert hop.exit_code == 0, hop.stdout
        assert _sha256(work / "y.png") == asset["sha256"]
        assert all("authorization" not in r.headers for r in media.requests)
    assert guard.blocked == []
    # The API's own media GETs carry no token either.
    assert all("authorization" not in r.headers for r in backend.fs.requests_to("/a/"))


def test_the_hosted_media_host_is_fetched_by_name(backend: Backend, guard: NetGuard) -> None:
    """media.image-skill.com is allowed as the API origin is (sent by name, not vetted as a
    public address): mapped to loopback here, it is tried (nothing listens on 443) and fails
    as a network error, not as a refusal."""
    asset = _created(backend)
    guard.dns["media.image-skill.com"] = ["127.0.0.1"]
    hosted = "https://media.image-skill.com/a/{}.png".format
    backend.fs.script("GET", "/v1/assets/", _with_url(hosted))
    res = invoke("assets", "get", asset["asset_id"], "--output", "x.png", *backend.args)
    assert (res.exit_code, res.code) == (7, "ASSET_DOWNLOAD_FAILED"), res.stdout
    assert "media.image-skill.com" in guard.lookups
    assert ("127.0.0.1", 443) in guard.connects and guard.blocked == []
