"""`image-skill local gallery`: a login link from a served backend, a clear refusal elsewhere."""

from __future__ import annotations

from typing import Any

import httpx

from clitools import invoke


def test_prints_a_single_use_link_from_a_served_backend(live_server: str, signup: Any) -> None:
    with httpx.Client(base_url=live_server) as client:
        token = signup(client)
    res = invoke("local", "gallery", "--api-base-url", live_server, "--token", token)
    assert res.exit_code == 0, res.stdout
    assert res.json["command"] == "image-skill local gallery"
    url = res.data["url"]
    assert url.startswith(live_server + "/login/") and token not in res.stdout
    opened = httpx.get(url)
    assert opened.status_code == 303 and opened.headers["location"] == "/"
    port = live_server.rsplit(":", 1)[1]
    assert opened.headers["set-cookie"].startswith(f"image_skill_gallery_{port}=")
    assert httpx.get(url).status_code == 410


def test_needs_a_token(live_server: str) -> None:
    res = invoke("local", "gallery", "--api-base-url", live_server)
    assert res.exit_code == 3 and res.code == "AUTH_REQUIRED"


def test_in_process_and_hosted_backends_are_refused_with_the_commands_to_run() -> None:
    for extra, where in ((["--api-base-url", "local"], "in-process"), ([], "hosted API")):
        res = invoke("local", "gallery", "--token", "isk_r_unused", *extra)
        assert res.exit_code == 2 and res.code == "INVALID_ARGUMENTS", res.stdout
        error = res.json["error"]
        assert where in error["message"] and "local serve" in error["message"]
        serve, gallery = error["recovery"]["suggested_commands"]
        assert serve.endswith("local serve")
        assert gallery.endswith("local gallery --api-base-url http://127.0.0.1:8787")
        assert error["recovery"]["suggested_command"] == gallery
