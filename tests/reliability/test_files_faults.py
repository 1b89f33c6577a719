"""Files under faults (issue 8, points 4, 6 and the download timeout of 10).

The real local backend serves on a loopback port in a thread; a FaultServer sits in front of it
(it is the ``--api-base-url`` and the media base), so media downloads can be slowed, stalled or
rewritten while the spend itself runs for real. A watcher thread changes the output path once
the download's temporary ``.NAME.*.part`` file exists, which opens the race window on demand.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import signal
import socket
import stat
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from clitools import invoke
from e2etools import script
from faults import Fault, ProxiedReply
from proxiedtools import ProxiedBackend, signed_up_backend

#: A slow media download (about 1 s for the local backend's smallest image).
DRIP = Fault(proxy=True, drip_interval=0.02, drip_size=512)


class Backend(ProxiedBackend):
    def drip_media(self, fault: Fault = DRIP) -> None:
        self.fs.script("GET", "/a/", fault, repeat=True)

    def media_gets(self) -> int:
        return len(self.fs.requests_to("/a/", "GET"))


@pytest.fixture
def backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Backend]:
    """A signed-up agent on a served local backend behind a FaultServer; cwd is tmp_path/work."""
    with signed_up_backend(tmp_path, monkeypatch, Backend) as found:
        assert isinstance(found, Backend)
        yield found


@pytest.fixture
def child_env(backend: Backend, tmp_path: Path) -> dict[str, str]:
    """The environment for a CLI subprocess: the same config, no other IMAGE_SKILL_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMAGE_SKILL_")}
    env["IMAGE_SKILL_CONFIG_PATH"] = os.environ["IMAGE_SKILL_CONFIG_PATH"]
    env["PATH"] = str(Path(script()).parent) + os.pathsep + env.get("PATH", "")
    return env


def credits(backend: Backend) -> int:
    res = invoke("quota", *backend.args)
    assert res.exit_code == 0, res.stdout
    value = res.data["limits"]["remaining_credits"]
    assert isinstance(value, int)
    return value


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(folder: Path) -> list[str]:
    """Temporary download files left in ``folder`` (there must never be any)."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


@contextmanager
def when_download_starts(folder: Path, name: str, action: Callable[[], None]) -> Iterator[None]:
    """Run ``action`` (in a thread) as soon as the download of ``name`` into ``folder`` has
    started, i.e. its temporary file exists; assert on exit that it ran."""
    fired = threading.Event()
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            if any(folder.glob(f".{name}.*.part")):
                action()
                fired.set()
                return
            time.sleep(0.002)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
    assert fired.is_set(), "the download never started"


def created_asset(backend: Backend) -> dict[str, Any]:
    res = invoke("create", "--prompt", "a cube", *backend.args)
    assert res.exit_code == 0, res.stdout
    asset = res.data["assets"][0]
    assert isinstance(asset, dict)
    return asset


# -- point 6: something appears at the output path during the download -------------------


def _plant_file(target: Path) -> Callable[[], None]:
    return lambda: target.write_bytes(b"written by someone else")


def _plant_symlink(target: Path) -> Callable[[], None]:
    victim = target.parent.parent / "victim.txt"
    victim.write_bytes(b"the link's target")
    return lambda: target.symlink_to(victim)


def _assert_planted_kept(target: Path, planted: str) -> None:
    if planted == "file":
        assert target.read_bytes() == b"written by someone else"
    else:
        assert target.is_symlink()
        assert (target.parent.parent / "victim.txt").read_bytes() == b"the link's target"


@pytest.mark.parametrize("planted", ["file", "symlink"])
def test_assets_get_keeps_what_appeared_at_the_output_during_the_download(
    backend: Backend, tmp_path: Path, planted: str
) -> None:
    asset = created_asset(backend)
    target = tmp_path / "work" / "out.png"
    plant = _plant_file(target) if planted == "file" else _plant_symlink(target)
    backend.drip_media()
    with when_download_starts(target.parent, "out.png", plant):
        res = invoke("assets", "get", asset["asset_id"], "--output", "out.png", *backend.args)
    assert (res.exit_code, res.code) == (9, "OUTPUT_EXISTS"), res.stdout
    assert res.json["error"]["retryable"] is False
    assert "appeared while the download ran" in res.json["error"]["message"]
    _assert_planted_kept(target, planted)
    assert leftovers(target.parent) == []


@pytest.mark.parametrize("planted", ["file", "symlink"])
def test_create_output_keeps_what_appeared_and_offers_the_paid_asset_elsewhere(
    backend: Backend, tmp_path: Path, planted: str
) -> None:
    target = tmp_path / "work" / "out.png"
    plant = _plant_file(target) if planted == "file" else _plant_symlink(target)
    before = credits(backend)
    backend.drip_media()
    with when_download_starts(target.parent, "out.png", plant):
        res = invoke("create", "--prompt", "a cube", "--output", "out.png", *backend.args)
    assert (res.exit_code, res.code) == (9, "OUTPUT_EXISTS"), res.stdout
    _assert_planted_kept(target, planted)
    assert leftovers(target.parent) == []
    [asset] = res.data["assets"]  # the paid job is still reported
    recovery = res.json["error"]["recovery"]
    assert recovery["job_id"] == res.data["job_id"]
    words = shlex.split(recovery["suggested_command"])
    start = words.index("assets")
    assert words[start : start + 5] == [
        "assets",
        "get",
        asset["asset_id"],
        "--output",
        str(tmp_path / "work" / "out-2.png"),
    ]
    spent = credits(backend)
    assert spent < before
    backend.fs.clear()
    fetched = invoke(*words[words.index("assets") :])
    assert fetched.exit_code == 0, fetched.stdout
    assert sha256(tmp_path / "work" / "out-2.png") == asset["sha256"]
    _assert_planted_kept(target, planted)
    assert credits(backend) == spent  # fetching spends nothing


def test_two_assets_get_to_one_path_cannot_both_succeed(
    backend: Backend, tmp_path: Path, child_env: dict[str, str]
) -> None:
    asset = created_asset(backend)
    path = urlsplit(asset["url"]).path
    with urllib.request.urlopen(backend.upstream + path) as reply:
        body = reply.read()
        headers = [(k, v) for k, v in reply.getheaders() if k.lower() == "content-type"]

    def body_once_both_asked() -> list[bytes]:
        # Hold each reply until both downloads have asked: both passed their checks by then.
        deadline = time.monotonic() + 60
        while backend.media_gets() < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        return [body]

    backend.fs.script("GET", "/a/", Fault(headers=headers, body=body_once_both_asked), repeat=True)
    argv = [script(), "assets", "get", asset["asset_id"], "--output", "same.png", *backend.args]
    procs = [
        subprocess.Popen(argv, env=child_env, cwd=tmp_path / "work", stdout=subprocess.PIPE)
        for _ in range(2)
    ]
    outcomes = []
    for proc in procs:
        out, _ = proc.communicate(timeout=90)
        outcomes.append((proc.returncode, json.loads(out)["error"]))
    assert backend.media_gets() == 2
    codes = sorted((code, (error or {}).get("code")) for code, error in outcomes)
    assert codes == [(0, None), (9, "OUTPUT_EXISTS")]
    assert sha256(tmp_path / "work" / "same.png") == asset["sha256"]
    assert leftovers(tmp_path / "work") == []


def _same_file_names(backend: Backend) -> Callable[[ProxiedReply], ProxiedReply]:
    """Rewrite a create reply so that its assets' URLs all end in ``/image.png``; each new URL
    serves the real asset's bytes."""

    def edit(reply: ProxiedReply) -> ProxiedReply:
        envelope = json.loads(reply.body)
        for number, asset in enumerate(envelope["data"]["assets"]):
            with urllib.request.urlopen(backend.upstream + urlsplit(asset["url"]).path) as got:
                backend.fs.script(
                    "GET",
                    f"/same/{number}/",
                    Fault(headers=[("content-type", "image/png")], body=got.read()),
                )
            asset["url"] = f"{backend.fs.url}/same/{number}/image.png"
        return ProxiedReply(reply.status, reply.headers, json.dumps(envelope).encode())

    return edit


@pytest.mark.parametrize("overwrite", [False, True])
def test_assets_of_one_job_with_the_same_file_name_are_all_kept(
    backend: Backend, tmp_path: Path, overwrite: bool
) -> None:
    out = tmp_path / "work" / "out"
    out.mkdir()
    (out / "image.png").write_bytes(b"an earlier file")
    backend.fs.script("POST", "/v1/create", Fault(proxy=True, edit=_same_file_names(backend)))
    args = ["create", "--prompt", "two cubes", "--output-count", "2", "--output", "out/"]
    res = invoke(*args, *(["--overwrite"] if overwrite else []), *backend.args)
    assert res.exit_code == 0, res.stdout
    first, second = res.data["assets"]
    paths = [Path(d["output_path"]) for d in res.data["downloads"]]
    if overwrite:  # the earlier file goes, but neither asset replaces the other
        assert paths == [out / "image.png", out / "image-2.png"]
    else:
        assert paths == [out / "image-2.png", out / "image-3.png"]
        assert (out / "image.png").read_bytes() == b"an earlier file"
    assert [sha256(p) for p in paths] == [first["sha256"], second["sha256"]]
    assert first["sha256"] != second["sha256"]
    assert leftovers(out) == []


# -- point 6: targets that are not regular files -------------------------------------------


def _make_special(kind: str, path: Path) -> socket.socket | None:
    if kind == "char-device":
        try:
            os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # like /dev/null
        except PermissionError:
            pytest.skip("this machine does not let the tests create device nodes")
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        held = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        held.bind(str(path))
        return held
    return None


KIND_TEST = {"char-device": stat.S_ISCHR, "fifo": stat.S_ISFIFO, "socket": stat.S_ISSOCK}


@pytest.mark.parametrize("kind", ["char-device", "fifo", "socket"])
def test_overwrite_never_replaces_a_device_pipe_or_socket(
    backend: Backend, tmp_path: Path, kind: str
) -> None:
    asset = created_asset(backend)
    target = tmp_path / "work" / "node"
    held = _make_special(kind, target)
    try:
        get = invoke(
            "assets", "get", asset["asset_id"], "--output", "node", "--overwrite", *backend.args
        )
        assert (get.exit_code, get.code) == (9, "OUTPUT_NOT_WRITABLE"), get.stdout
        assert "--overwrite replaces regular files only" in get.json["error"]["message"]
        assert backend.media_gets() == 0  # refused before fetching
        before = credits(backend)
        create = invoke("create", "--prompt", "p", "--output", "node", "--overwrite", *backend.args)
        assert (create.exit_code, create.code) == (9, "OUTPUT_NOT_WRITABLE"), create.stdout
        assert credits(backend) == before  # refused before spending
        assert KIND_TEST[kind](os.lstat(target).st_mode)
        assert leftovers(target.parent) == []
    finally:
        if held is not None:
            held.close()


# -- point 10: a download that stalls is a TIMEOUT -------------------------------------------


def test_a_stalled_download_is_timeout_exit_8_with_a_fetch_recovery(
    backend: Backend, tmp_path: Path
) -> None:
    asset = created_asset(backend)
    backend.drip_media(Fault(proxy=True, drip_interval=30, drip_size=100))
    got = invoke(
        "assets",
        "get",
        asset["asset_id"],
        "--output",
        "slow.png",
        "--timeout",
        "1",
        *backend.args,
    )
    assert (got.exit_code, got.code) == (8, "TIMEOUT"), got.stdout
    error = got.json["error"]
    assert error["retryable"] is True
    assert "timed out" in error["message"]
    assert " assets get " in f" {error['recovery']['suggested_command']} "
    assert not (tmp_path / "work" / "slow.png").exists()
    assert leftovers(tmp_path / "work") == []

    made = invoke(
        "create", "--prompt", "a cube", "--output", "made.png", "--timeout", "3", *backend.args
    )
    assert (made.exit_code, made.code) == (8, "TIMEOUT"), made.stdout
    recovery = made.json["error"]["recovery"]
    assert recovery["job_id"] == made.data["job_id"]
    words = shlex.split(recovery["suggested_command"])
    assert words[words.index("assets") : words.index("assets") + 2] == ["assets", "get"]
    backend.fs.clear()
    again = invoke(*words[words.index("assets") :])
    assert again.exit_code == 0, again.stdout
    assert sha256(tmp_path / "work" / "made.png") == made.data["assets"][0]["sha256"]


# -- point 4: Ctrl-C or SIGTERM during create --output's download, after the charge ---------


def _signal_when_downloading(
    proc: subprocess.Popen[str], folder: Path, name: str, signum: int, *, after: Path | None
) -> None:
    """Send ``signum`` once the download of ``name`` runs (and ``after`` exists, if given)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if any(folder.glob(f".{name}.*.part")) and (after is None or after.exists()):
            proc.send_signal(signum)
            return
        time.sleep(0.005)
    raise AssertionError(f"the download never started: {proc.communicate(timeout=10)}")


def _in_flight(config: Path) -> list[Path]:
    folder = config.parent / "in-flight"
    return sorted(folder.glob("*.json")) if folder.exists() else []


@pytest.mark.parametrize(
    ("signum", "count"), [(signal.SIGINT, 1), (signal.SIGTERM, 1), (signal.SIGINT, 2)]
)
def test_an_interrupted_download_reports_what_was_bought_and_how_to_fetch_it(
    backend: Backend, tmp_path: Path, child_env: dict[str, str], signum: int, count: int
) -> None:
    config = Path(os.environ["IMAGE_SKILL_CONFIG_PATH"])
    work = tmp_path / "work"
    before = credits(backend)
    backend.drip_media(Fault(proxy=True, drip_interval=0.05, drip_size=512))
    if count == 1:
        output, folder, name, after = "out.png", work, "out.png", None
    else:  # the first asset is in place, the second one is on its way
        output, folder, name, after = "out/", work / "out", "image_*", work / "out"
    argv = [script(), "create", "--prompt", "a cube", "--output", output, *backend.args]
    if count > 1:
        argv += ["--output-count", str(count)]
    proc = subprocess.Popen(
        argv, env=child_env, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    if count > 1:
        # Wait for the first asset to land, then interrupt the second one's download.
        deadline = time.monotonic() + 60
        while not (folder.exists() and any(folder.glob("image_*.png"))):
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.005)
    _signal_when_downloading(proc, folder, name, signum, after=after)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    envelope = json.loads(out)
    assert envelope["ok"] is False and envelope["command"] == "image-skill create"
    error = envelope["error"]
    assert error["code"] == "INTERRUPTED" and error["retryable"] is True
    data = envelope["data"]
    assets = data["assets"]
    assert len(assets) == count and data["job_id"].startswith("job_")
    recovery = error["recovery"]
    assert recovery["spend_succeeded"] is True
    assert recovery["job_id"] == data["job_id"]
    assert recovery["asset_ids"] == [a["asset_id"] for a in assets]
    assert recovery["asset_urls"] == [a["url"] for a in assets]
    assert "succeeded and was charged" in error["message"]
    done = data["downloads"]
    assert len(done) == count - 1
    pending = assets[len(done) :]
    commands = recovery["suggested_commands"]
    assert recovery["suggested_command"] == commands[0] and len(commands) == len(pending)
    # No partial file; the spend's outcome is known, so its breadcrumb is gone.
    assert leftovers(work) == [] and (count == 1 or leftovers(folder) == [])
    assert not (work / "out.png").exists()
    assert _in_flight(config) == []
    charged = credits(backend)
    assert charged < before

    backend.fs.clear()
    for command, asset in zip(commands, pending, strict=True):
        words = shlex.split(command)
        assert words[0] in ("image-skill", script()) or words[1:3] == ["-m", "image_skill"]
        assert asset["asset_id"] in words and "assets" in words
        fetched = subprocess.run(
            command, shell=True, env=child_env, cwd=work, capture_output=True, text=True, timeout=60
        )
        assert fetched.returncode == 0, fetched.stdout
        target = Path(json.loads(fetched.stdout)["data"]["download"]["output_path"])
        assert sha256(target) == asset["sha256"]
    for item in done:
        assert sha256(Path(item["output_path"])) == assets[0]["sha256"]
    assert credits(backend) == charged  # no second charge
    assert len(backend.fs.requests_to("/v1/create", "POST")) == 0  # nothing re-ran the create
