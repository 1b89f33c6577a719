"""downloads.py: output-path derivation and verified, atomic downloads.

The download tests talk to a real stdlib HTTP server on 127.0.0.1 that misbehaves on purpose
(short bodies, wrong hashes, errors, stalls); nothing may ever be left at the target.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from image_skill.api.client import ImageSkillClient
from image_skill.files.downloads import (
    DownloadError,
    derive_file_name,
    derive_output_path,
    download,
    is_safe_filename,
)
from image_skill.files.refs import recognize_asset_reference

BODY = bytes(range(256)) * 40  # 10 240 bytes
SHA = hashlib.sha256(BODY).hexdigest()


# -- derivation ------------------------------------------------------------------------


def test_derived_name_prefers_the_url_basename(tmp_path: Path) -> None:
    asset = {"asset_id": "image_abc", "url": "https://media.image-skill.com/a/image_abc.png"}
    assert derive_output_path(asset, None, tmp_path) == tmp_path / "image_abc.png"


def test_derived_name_percent_decodes_and_falls_back_to_id_and_mime() -> None:
    assert derive_file_name({"url": "http://h/a/my%2Dcat.webp"}) == "my-cat.webp"
    # No extension on the URL: id + MIME extension.
    asset = {"asset_id": "image_x1", "url": "http://h/a/image_x1", "mime_type": "image/JPEG; q=1"}
    assert derive_file_name(asset) == "image_x1.jpg"
    assert derive_file_name({"asset_id": "audio_1", "mime_type": "audio/wav"}) == "audio_1.wav"
    # Unknown MIME: the URL's own lower-cased extension when it is plausible.
    assert derive_file_name({"asset_id": "file_1", "url": "http://h/x/.GLB"}) == "file_1.glb"
    assert derive_file_name({}) == "asset"


@pytest.mark.parametrize(
    "url",
    [
        "https://media.image-skill.com/a/..%2F..%2Fetc%2Fpasswd.png",
        "https://media.image-skill.com/a/%2Fetc%2Fpasswd.png",
        "https://media.image-skill.com/a/.hidden.png",
        "https://media.image-skill.com/a/sub%5Cdir.png",
        "https://media.image-skill.com/a/bad%zz.png",
        "https://media.image-skill.com/a/caf%C3%A9.png",
    ],
)
def test_unsafe_url_names_are_never_used(url: str, tmp_path: Path) -> None:
    asset = {"asset_id": "../../evil", "url": url, "mime_type": "image/png"}
    path = derive_output_path(asset, None, tmp_path)
    assert path.parent == tmp_path
    assert path.name == "asset.png"


def test_unsafe_asset_id_falls_back_to_the_id_in_the_url(tmp_path: Path) -> None:
    asset = {
        "asset_id": "/abs/x",
        "url": "https://media.image-skill.com/a/image_ok",
        "mime_type": "",
    }
    assert derive_output_path(asset, None, tmp_path) == tmp_path / "image_ok"


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("a.png", True),
        ("A-1_b.c", True),
        (".", False),
        ("..", False),
        (".env", False),
        ("a/b", False),
        ("a\\b", False),
        ("/abs", False),
        ("", False),
        ("x" * 220, True),
        ("x" * 221, False),
        ("é.png", False),
    ],
)
def test_safe_filename_rule(name: str, safe: bool) -> None:
    assert is_safe_filename(name) is safe


def test_output_file_directory_and_trailing_separator(tmp_path: Path) -> None:
    asset = {"asset_id": "image_q", "mime_type": "image/png"}
    assert derive_output_path(asset, "out.png", tmp_path) == tmp_path / "out.png"
    assert derive_output_path(asset, str(tmp_path / "abs.png"), Path("/")) == tmp_path / "abs.png"
    (tmp_path / "existing").mkdir()
    assert derive_output_path(asset, "existing", tmp_path) == tmp_path / "existing" / "image_q.png"
    assert (
        derive_output_path(asset, "new/dir/", tmp_path) == tmp_path / "new" / "dir" / "image_q.png"
    )


# -- reference recognition -------------------------------------------------------------


def test_reference_recognition() -> None:
    ref = recognize_asset_reference("image_abc")
    assert ref is not None and (ref.asset_id, ref.reference_type) == ("image_abc", "asset_id")
    ref = recognize_asset_reference("https://MEDIA.image-skill.com:8443/a/video_9.MP4?x=1#f")
    assert ref is not None and (ref.asset_id, ref.reference_type) == ("video_9", "url")
    for bad in (
        "http://media.image-skill.com/a/image_abc.png",  # not https
        "https://media.image-skill.com/b/image_abc.png",  # not /a/
        "https://evil.example/a/image_abc.png",  # not ours
        "https://media.image-skill.com/a/notanid.png",
        "picture_abc",
        "image_",
        "image_" + "x" * 129,
        "./image_abc.png",
    ):
        assert recognize_asset_reference(bad) is None, bad


def test_owned_backend_urls_are_recognised_only_with_the_predicate() -> None:
    client = ImageSkillClient(base_url="http://127.0.0.1:8765")
    url = "http://127.0.0.1:8765/a/image_local1.png"
    assert recognize_asset_reference(url) is None
    ref = recognize_asset_reference(url, client.is_own_url)
    assert ref is not None and ref.asset_id == "image_local1"
    assert (
        recognize_asset_reference("http://127.0.0.1:9999/a/image_x.png", client.is_own_url) is None
    )
    assert (
        recognize_asset_reference("http://127.0.0.1:8765/v1/image_x.png", client.is_own_url) is None
    )
    client.close()


# -- downloads against a misbehaving server ------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        del format, args

    def _head(self, status: int, length: int | None, sha: str | None = None) -> None:
        self.send_response(status)
        self.send_header("content-type", "image/png")
        if length is not None:
            self.send_header("content-length", str(length))
        if sha is not None:
            self.send_header("x-image-skill-sha256", sha)
        self.end_headers()

    def do_GET(self) -> None:
        if self.path == "/ok":
            self._head(200, len(BODY), SHA)
            self.wfile.write(BODY)
        elif self.path == "/nosha":
            self._head(200, len(BODY))
            self.wfile.write(BODY)
        elif self.path == "/short":
            self._head(200, len(BODY), SHA)
            self.wfile.write(BODY[:100])
            self.wfile.flush()
            self.close_connection = True
        elif self.path == "/badsha":
            self._head(200, len(BODY), "0" * 64)
            self.wfile.write(BODY)
        elif self.path == "/missing":
            self._head(404, 2)
            self.wfile.write(b"{}")
        elif self.path == "/close-delimited":
            self._head(200, None)
            self.wfile.write(BODY[:500])
            self.wfile.flush()
            self.close_connection = True
        elif self.path == "/slow":
            self._head(200, len(BODY), SHA)
            self.wfile.write(BODY[:10])
            self.wfile.flush()
            time.sleep(1.0)
            self.close_connection = True


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def client(server: str) -> Iterator[ImageSkillClient]:
    with ImageSkillClient(base_url=server, max_retries=0) as c:
        yield c


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    path = tmp_path / "downloads"  # tmp_path also holds the isolated HOME
    path.mkdir()
    return path


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_verified_download_lands_atomically(
    client: ImageSkillClient, server: str, out_dir: Path
) -> None:
    target = out_dir / "sub" / "out.png"
    seen: list[tuple[int, int | None]] = []
    info = download(
        client,
        f"{server}/ok",
        target,
        overwrite=False,
        expected_length=len(BODY),
        expected_sha256=SHA.upper(),
        progress=lambda done, total: seen.append((done, total)),
    )
    assert target.read_bytes() == BODY
    assert info == {
        "output_path": str(target),
        "bytes": len(BODY),
        "content_type": "image/png",
        "content_length_header": len(BODY),
        "sha256": SHA,
        "verified": {"length": True, "sha256": True},
        "overwritten": False,
    }
    assert seen[-1] == (len(BODY), len(BODY))
    assert _leftovers(target.parent) == ["out.png"]
    umask = os.umask(0o022)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600


def test_unknown_hash_is_reported_as_unverified(
    client: ImageSkillClient, server: str, out_dir: Path
) -> None:
    info = download(client, f"{server}/nosha", out_dir / "x.png", overwrite=False)
    assert info["verified"] == {"length": True, "sha256": None}
    assert info["sha256"] == SHA


@pytest.mark.parametrize(
    ("path", "kwargs", "fragment"),
    [
        ("/short", {}, "after 100 bytes"),
        ("/badsha", {}, "sha256"),
        ("/ok", {"expected_sha256": "ab" * 32}, "asset record"),
        ("/ok", {"expected_length": len(BODY) + 1}, "asset record"),
        ("/close-delimited", {"expected_length": len(BODY)}, "500 bytes"),
        ("/missing", {}, "HTTP 404"),
    ],
)
def test_failures_leave_nothing_at_the_target(
    client: ImageSkillClient,
    server: str,
    out_dir: Path,
    path: str,
    kwargs: dict[str, object],
    fragment: str,
) -> None:
    target = out_dir / "out.png"
    with pytest.raises(DownloadError) as info:
        download(client, f"{server}{path}", target, overwrite=False, **kwargs)  # type: ignore[arg-type]
    err = info.value
    assert err.code == "ASSET_DOWNLOAD_FAILED"
    assert err.exit_code == 7 and err.retryable
    assert fragment in f"{err.code} {err.message}"
    assert _leftovers(out_dir) == []


def test_a_read_timeout_is_timeout_exit_8_and_leaves_nothing(
    client: ImageSkillClient, server: str, out_dir: Path
) -> None:
    with pytest.raises(DownloadError) as info:
        download(client, f"{server}/slow", out_dir / "out.png", overwrite=False, timeout=0.2)
    err = info.value
    assert (err.code, err.exit_code, err.retryable) == ("TIMEOUT", 8, True)
    assert "timed out after 10 bytes: ReadTimeout" in err.message
    assert _leftovers(out_dir) == []


def test_failed_overwrite_keeps_the_old_file(
    client: ImageSkillClient, server: str, out_dir: Path
) -> None:
    target = out_dir / "keep.png"
    target.write_bytes(b"old bytes")
    with pytest.raises(DownloadError):
        download(client, f"{server}/badsha", target, overwrite=True)
    assert target.read_bytes() == b"old bytes"
    assert _leftovers(out_dir) == ["keep.png"]
    info = download(client, f"{server}/ok", target, overwrite=True)
    assert info["overwritten"] is True
    assert target.read_bytes() == BODY


def test_existing_target_without_overwrite_is_refused_before_fetching(
    client: ImageSkillClient, out_dir: Path
) -> None:
    target = out_dir / "keep.png"
    target.write_bytes(b"precious")
    before = target.stat()
    # An unroutable URL proves no request is made: the check comes first.
    with pytest.raises(DownloadError) as info:
        download(client, "http://127.0.0.1:9/never", target, overwrite=False)
    assert (info.value.code, info.value.exit_code, info.value.retryable) == (
        "OUTPUT_EXISTS",
        9,
        False,
    )
    assert target.read_bytes() == b"precious"
    assert target.stat().st_mtime_ns == before.st_mtime_ns
    result = info.value.to_result("image-skill assets get")
    assert result.exit_code == 9
    assert result.envelope["error"]["code"] == "OUTPUT_EXISTS"


def test_directory_target_is_refused_even_with_overwrite(
    client: ImageSkillClient, server: str, out_dir: Path
) -> None:
    (out_dir / "d").mkdir()
    with pytest.raises(DownloadError) as info:
        download(client, f"{server}/ok", out_dir / "d", overwrite=True)
    assert (info.value.code, info.value.exit_code) == ("OUTPUT_NOT_WRITABLE", 9)
    assert _leftovers(out_dir) == ["d"]


def test_keyboard_interrupt_mid_stream_leaves_no_partial_file(
    client: ImageSkillClient, server: str, out_dir: Path
) -> None:
    def interrupt(done: int, total: int | None) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        download(client, f"{server}/ok", out_dir / "out.png", overwrite=False, progress=interrupt)
    assert _leftovers(out_dir) == []


def test_preloaded_short_body_is_caught_without_transport_help(out_dir: Path) -> None:
    """A transport that hands over a whole (short) body, like the in-process one, is checked too."""
    import httpx

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"content-length": str(len(BODY)), "x-image-skill-sha256": SHA}
        return httpx.Response(200, content=BODY[:64], headers=headers)

    http = httpx.Client(transport=httpx.MockTransport(handler))
    with ImageSkillClient(base_url="http://media.test", http_client=http) as client:
        with pytest.raises(DownloadError) as info:
            download(client, "http://media.test/a/image_1.png", out_dir / "x.png", overwrite=False)
    assert "got 64 bytes" in info.value.message
    assert _leftovers(out_dir) == []
    http.close()


def test_failed_download_removes_the_folders_it_created(
    client: ImageSkillClient, server: str, out_dir: Path
) -> None:
    target = out_dir / "new" / "deeper" / "out.png"
    with pytest.raises(DownloadError):
        download(client, f"{server}/missing", target, overwrite=False)
    assert not (out_dir / "new").exists()
    info = download(client, f"{server}/ok", target, overwrite=False)
    assert target.read_bytes() == BODY and info["bytes"] == len(BODY)


# -- the target changes while the download runs ------------------------------------------


def _plant(make: Callable[[], None]) -> Callable[[int, int | None], None]:
    """A progress callback that runs ``make`` once, on the first chunk (mid-download)."""
    done: list[bool] = []

    def progress(size: int, total: int | None) -> None:
        if not done:
            done.append(True)
            make()

    return progress


def test_a_file_that_appears_during_the_download_is_kept(
    client: ImageSkillClient, server: str, out_dir: Path
) -> None:
    target = out_dir / "out.png"
    with pytest.raises(DownloadError) as info:
        download(
            client,
            f"{server}/ok",
            target,
            overwrite=False,
            progress=_plant(lambda: target.write_bytes(b"someone else's")),
        )
    assert (info.value.code, info.value.exit_code) == ("OUTPUT_EXISTS", 9)
    assert "appeared while the download ran" in info.value.message
    assert target.read_bytes() == b"someone else's"
    assert _leftovers(out_dir) == ["out.png"]


def test_a_symlink_that_appears_during_the_download_is_not_followed_or_replaced(
    client: ImageSkillClient, server: str, out_dir: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"do not touch")
    target = out_dir / "out.png"
    with pytest.raises(DownloadError) as info:
        download(
            client,
            f"{server}/ok",
            target,
            overwrite=False,
            progress=_plant(lambda: target.symlink_to(victim)),
        )
    assert info.value.code == "OUTPUT_EXISTS"
    assert "a symbolic link" in info.value.message
    assert os.readlink(target) == str(victim)
    assert victim.read_bytes() == b"do not touch"
    assert _leftovers(out_dir) == ["out.png"]


def test_unique_name_moves_aside_for_a_file_that_appeared(
    client: ImageSkillClient, server: str, out_dir: Path
) -> None:
    target = out_dir / "out.png"
    info = download(
        client,
        f"{server}/ok",
        target,
        overwrite=False,
        unique_name=True,
        progress=_plant(lambda: target.write_bytes(b"theirs")),
    )
    assert info["output_path"] == str(out_dir / "out-2.png")
    assert (out_dir / "out-2.png").read_bytes() == BODY
    assert target.read_bytes() == b"theirs"


def test_overwrite_refuses_a_pipe_that_appeared_during_the_download(
    client: ImageSkillClient, server: str, out_dir: Path
) -> None:
    target = out_dir / "out.png"
    target.write_bytes(b"old")

    def swap() -> None:
        target.unlink()
        os.mkfifo(target)

    with pytest.raises(DownloadError) as info:
        download(client, f"{server}/ok", target, overwrite=True, progress=_plant(swap))
    assert (info.value.code, info.value.exit_code) == ("OUTPUT_NOT_WRITABLE", 9)
    assert stat.S_ISFIFO(os.lstat(target).st_mode)
    assert _leftovers(out_dir) == ["out.png"]


def test_special_files_are_refused_before_fetching_even_with_overwrite(
    client: ImageSkillClient, out_dir: Path
) -> None:
    fifo = out_dir / "pipe"
    os.mkfifo(fifo)
    link = out_dir / "link.png"
    link.symlink_to(out_dir / "elsewhere.png")
    for target, words in ((fifo, "a named pipe"), (link, "a symbolic link")):
        with pytest.raises(DownloadError) as info:
            # An unroutable URL proves no request is made: the check comes first.
            download(client, "http://127.0.0.1:9/never", target, overwrite=True)
        assert (info.value.code, info.value.exit_code) == ("OUTPUT_NOT_WRITABLE", 9)
        assert words in info.value.message
        with pytest.raises(DownloadError) as info:
            download(client, "http://127.0.0.1:9/never", target, overwrite=False)
        assert info.value.code == "OUTPUT_EXISTS"
        assert info.value.recovery == {"output_path": str(target), "fix": "choose another --output"}
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and link.is_symlink()
    assert not (out_dir / "elsewhere.png").exists()
