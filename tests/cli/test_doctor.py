"""`doctor`: always exit 0; reports reachability, auth sources and unfinished spends."""

from __future__ import annotations

import socket

from clitools import invoke
from image_skill.cli import inflight


def test_doctor_on_local_backend(tmp_path, monkeypatch):
    cfg = tmp_path / "cfg" / "config.json"
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(cfg))
    res = invoke("doctor", "--api-base-url", "local")
    assert res.exit_code == 0
    data = res.data
    assert data["hosted_api"]["reachable"] is True and data["hosted_api"]["status"] == "ok"
    assert data["auth"] == {"config_path": str(cfg), "saved_token": False, "env_token": False}
    assert data["in_flight"]["count"] == 0 and res.json["warnings"] == []
    assert data["local_backend"]["installed"] is True


def test_doctor_lists_unfinished_spends(tmp_path, monkeypatch):
    cfg = tmp_path / "cfg" / "config.json"
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(cfg))
    inflight.write(
        "create-1-abc",
        command_label="image-skill create",
        recovery_command="image-skill create --prompt x --idempotency-key create-1-abc --json",
        api_base_url="local",
        request_summary={"model": "local.image", "prompt": "secret words"},
        directory=inflight.in_flight_dir(cfg),
    )
    res = invoke("doctor", "--api-base-url", "local")
    assert res.exit_code == 0
    crumbs = res.data["in_flight"]["breadcrumbs"]
    assert res.data["in_flight"]["count"] == 1
    assert crumbs[0]["idempotency_key"] == "create-1-abc"
    assert "--idempotency-key create-1-abc" in crumbs[0]["recovery_command"]
    assert "secret words" not in res.stdout
    assert res.json["warnings"]


def test_doctor_unreachable_is_still_exit_zero():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    res = invoke("doctor", "--api-base-url", f"http://127.0.0.1:{port}")
    assert res.exit_code == 0
    assert res.data["hosted_api"]["reachable"] is False
    assert res.data["hosted_api"]["error"]["code"] == "HOSTED_API_REQUEST_FAILED"
