"""ImageSkillClient.stream (asset downloads) under the download policy, as a library sees it.

Loopback FaultServers only; the network guard (tests/nettools.py) blocks and records any
connect off loopback, so a refusal is proven to come before any connect.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import httpcore
import pytest

import nettools
from faults import Fault, FaultServer
from image_skill.api.client import ImageSkillClient
from image_skill.api.deadline import BULK_READ
from image_skill.api.netpolicy import HOSTED_MEDIA_ORIGIN, DestinationRefused, NetworkPolicy
from image_skill.api.vetted import RedirectFailed
from image_skill.files.downloads import DownloadError, download
from nettools import NetGuard

guard = nettools.guard
TOKEN = "isk_" + "a" * 40


def test_downloads_also_allow_the_hosted_media_host_and_url_inputs_do_not() -> None:
    with ImageSkillClient(base_url="http://127.0.0.1:8123", token=None) as client:
        media = client.network_policy(media=True)
        inputs = client.network_policy()
    assert set(media.allowed_origins) == {("http", "127.0.0.1", 8123), HOSTED_MEDIA_ORIGIN}
    assert set(inputs.allowed_origins) == {("http", "127.0.0.1", 8123)}
    assert HOSTED_MEDIA_ORIGIN == ("https", "media.image-skill.com", 443)


def test_stream_refuses_before_connecting_and_sends_no_token_anywhere(guard: NetGuard) -> None:
    with FaultServer() as api, FaultServer() as other:
        api.script("GET", "/a/ok", Fault(body=b"bytes"), repeat=True)
        api.script("GET", "/a/meta", Fault.redirect("http://169.254.169.254/x"), repeat=True)
        api.script("GET", "/a/there", Fault.redirect(f"{other.url}/b"), repeat=True)
        other.script("GET", "/b", Fault(body=b"other bytes"), repeat=True)
        with ImageSkillClient(base_url=api.url, token=TOKEN, max_retries=0) as client:
            with client.stream(f"{api.url}/a/ok") as response:
                assert response.read() == b"bytes"
            for url in ("http://10.0.0.1/a/x.png", f"{api.url}/a/meta", f"{api.url}/a/there"):
                with pytest.raises(DestinationRefused), client.stream(url):
                    pass  # pragma: no cover - never reached
            assert other.requests == []
            # An explicit policy is used as given: the opt-in lets the loopback hop through...
            opened = NetworkPolicy(allow_private=True)
            with client.stream(f"{api.url}/a/there", policy=opened) as response:
                assert response.read() == b"other bytes"
            # ...but never the metadata one.
            with pytest.raises(DestinationRefused) as refused:
                with client.stream(f"{api.url}/a/meta", policy=opened):
                    pass  # pragma: no cover - never reached
        assert refused.value.address_class == "metadata"
        seen = api.requests + other.requests
        assert seen and all("authorization" not in r.headers for r in seen)
    assert guard.blocked == []


def test_a_redirect_loop_or_a_non_http_location_is_a_download_failure(
    guard: NetGuard, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with FaultServer() as api:
        api.script("GET", "/loop", Fault.redirect("/loop"), repeat=True)
        api.script("GET", "/ftp", Fault.redirect("ftp://example.test/x"), repeat=True)
        with ImageSkillClient(base_url=api.url, token=None, max_retries=0) as client:
            with pytest.raises(RedirectFailed, match="more than 5 redirects"):
                with client.stream(f"{api.url}/loop"):
                    pass  # pragma: no cover - never reached
            for path, why in (("/loop", "more than 5 redirects"), ("/ftp", "not http or https")):
                with pytest.raises(DownloadError) as failed:
                    download(client, f"{api.url}{path}", out / "x.png", overwrite=False)
                assert (failed.value.code, failed.value.exit_code) == ("ASSET_DOWNLOAD_FAILED", 7)
                assert failed.value.retryable is False and why in failed.value.message
        assert len(api.requests_to("/loop")) == 2 * 6
    assert list(out.iterdir()) == []
    assert guard.blocked == []


def test_a_download_reads_the_socket_in_large_pieces_and_an_api_call_does_not(
    guard: NetGuard, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[int] = []
    read = httpcore._backends.sync.SyncStream.read

    def spy(self: httpcore.NetworkStream, max_bytes: int, timeout: float | None = None) -> bytes:
        asked.append(max_bytes)
        return read(self, max_bytes, timeout)  # type: ignore[arg-type]

    monkeypatch.setattr(httpcore._backends.sync.SyncStream, "read", spy)
    body = os.urandom(3_000_000)
    with FaultServer() as api:
        api.script("GET", "/a/big.bin", Fault(body=body), repeat=True)
        api.script("GET", "/v1/whoami", Fault.json({"ok": True}), repeat=True)
        with ImageSkillClient(base_url=api.url, token=None, max_retries=0) as client:
            client.request("GET", "/v1/whoami")
            assert asked and set(asked) == {64 * 1024}  # httpcore's own size, as before
            asked.clear()
            info = download(client, f"{api.url}/a/big.bin", tmp_path / "big.bin", overwrite=False)
            assert asked and set(asked) == {BULK_READ}
            asked.clear()
            client.request("GET", "/v1/whoami")  # the large reads end with the download
            assert asked and set(asked) == {64 * 1024}
    assert BULK_READ > 64 * 1024
    assert info["bytes"] == len(body) and (tmp_path / "big.bin").read_bytes() == body
    assert info["sha256"] == hashlib.sha256(body).hexdigest()
    assert guard.blocked == []
