"""The gallery's login links, sessions and cookie, without a browser (httpx, in-process)."""

from __future__ import annotations

from datetime import timedelta
from http.cookies import SimpleCookie
from typing import Any

import httpx
import pytest

from createtools import create, ok
from image_skill.local.settings import LocalSettings
from image_skill.local.store.db import Store, authenticate, utc_now
from image_skill.local.store.sessions import LinkRefused, create_link, redeem_link, session_actor
from storetools import version_1_data_dir

COOKIE = "image_skill_gallery"  # in-process requests carry no port


def link(client: httpx.Client, headers: dict[str, str]) -> dict[str, Any]:
    reply = client.post("/v1/local/gallery-links", headers=headers)
    assert reply.json()["command"] == "image-skill local gallery"
    return ok(reply)


def login(client: httpx.Client, url: str) -> tuple[httpx.Response, str]:
    """Open a login link; the reply and the session cookie it set (the jar is cleared)."""
    reply = client.get(url)
    client.cookies.clear()
    cookie = SimpleCookie(reply.headers.get("set-cookie", ""))
    return reply, cookie[COOKIE].value if COOKIE in cookie else ""


def page(client: httpx.Client, session: str | None, path: str = "/") -> httpx.Response:
    headers = {"cookie": f"{COOKIE}={session}"} if session else {}
    reply = client.get(path, headers=headers)
    assert reply.headers["content-type"].startswith("text/html")
    return reply


def auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def db(settings: LocalSettings) -> Any:
    """A connection to the test's data dir, closed at the end of the ``with`` block."""
    return Store(settings).connection()


def test_link_needs_a_token_and_holds_a_one_time_code(
    local_client: httpx.Client, agent_token: str, local_settings: LocalSettings
) -> None:
    refused = local_client.post("/v1/local/gallery-links")
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "AUTH_REQUIRED"
    data = link(local_client, auth(agent_token))
    assert data["url"].startswith(str(local_client.base_url.join("/login/")))
    code = data["url"].rsplit("/", 1)[1]
    assert len(code) >= 32 and agent_token not in data["url"]
    assert data["single_use"] is True and data["expires_in_seconds"] == 300
    other = link(local_client, auth(agent_token))["url"]
    assert other != data["url"]
    with db(local_settings) as conn:
        stored = [tuple(r) for r in conn.execute("SELECT * FROM gallery_links")]
    assert len(stored) == 2 and code not in repr(stored)  # only hashes are kept


def test_login_sets_a_strict_httponly_cookie_and_redirects_home(
    local_client: httpx.Client, agent_token: str, local_settings: LocalSettings
) -> None:
    url = link(local_client, auth(agent_token))["url"]
    reply, session = login(local_client, url)
    assert reply.status_code == 303 and reply.headers["location"] == "/"
    assert reply.headers["cache-control"] == "no-store"
    attributes = reply.headers["set-cookie"].lower()
    assert "httponly" in attributes and "samesite=strict" in attributes
    assert "path=/" in attributes and "max-age=28800" in attributes
    assert "secure" not in attributes  # plain http on loopback
    code = url.rsplit("/", 1)[1]
    assert session and session not in (code, agent_token)
    with db(local_settings) as conn:
        stored = repr([tuple(r) for r in conn.execute("SELECT * FROM gallery_sessions")])
    assert session not in stored and "agt_" in stored
    home = page(local_client, session)
    assert home.status_code == 200 and "Log out" in home.text


@pytest.mark.parametrize("second", ["same link", "after expiry"])
def test_a_link_works_once_and_not_after_five_minutes(
    local_client: httpx.Client, agent_token: str, local_settings: LocalSettings, second: str
) -> None:
    if second == "same link":
        url = link(local_client, auth(agent_token))["url"]
        first, session = login(local_client, url)
        assert first.status_code == 303 and session
        title = "Login link already used"
    else:
        with db(local_settings) as conn:
            actor = authenticate(conn, agent_token)
            assert actor is not None
            made = create_link(conn, actor, now=utc_now() - timedelta(minutes=5, seconds=1))
        url = str(local_client.base_url.join("/login/" + made.code))
        title = "Login link expired"
    again, cookie = login(local_client, url)
    assert again.status_code == 410 and cookie == ""
    assert f"<title>{title}</title>" in again.text
    assert "image-skill local gallery --api-base-url local" in again.text
    unknown, cookie = login(local_client, str(local_client.base_url.join("/login/nope")))
    assert unknown.status_code == 404 and cookie == "" and "not valid" in unknown.text


def test_concurrent_redeems_open_one_session(
    local_client: httpx.Client, agent_token: str, local_settings: LocalSettings
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    code = link(local_client, auth(agent_token))["url"].rsplit("/", 1)[1]

    def redeem(_: int) -> str:
        with db(local_settings) as conn:
            try:
                return redeem_link(conn, code).session_id
            except LinkRefused as refused:
                return refused.reason

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(redeem, range(4)))
    assert sorted(o == "used" for o in outcomes) == [False, True, True, True]


def test_home_without_a_session_says_how_to_log_in(
    local_client: httpx.Client, agent_token: str
) -> None:
    for session in (None, "made-up-session-id"):
        home = page(local_client, session)
        assert home.status_code == 200 and "<title>Image Skill gallery</title>" in home.text
        assert "image-skill local gallery --api-base-url local" in home.text
        assert "Log out" not in home.text
    assert "script-src" not in page(local_client, None).headers["content-security-policy"]
    assert "default-src 'none'" in page(local_client, None).headers["content-security-policy"]
    # JSON API routes keep their envelopes.
    missing = local_client.get("/v1/no-such-route")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "NOT_FOUND"


def test_gallery_lists_own_media_only(local_client: httpx.Client, signup: Any) -> None:
    alice = auth(signup(local_client, "alice@example.com", "alice"))
    bob = auth(signup(local_client, "bob@example.com", "bob"))
    image = ok(create(local_client, alice))["assets"][0]
    sound = ok(create(local_client, alice, model="local.audio", aspect_ratio=None))["assets"][0]
    bobs = ok(create(local_client, bob))["assets"][0]
    _reply, alice_session = login(local_client, link(local_client, alice)["url"])
    _reply, bob_session = login(local_client, link(local_client, bob)["url"])

    mine = page(local_client, alice_session).text
    assert f"<img src='{image['url']}'" in mine
    assert f"<audio controls preload=metadata src='{sound['url']}'>" in mine
    assert bobs["asset_id"] not in mine and bobs["url"] not in mine and "bob" not in mine
    theirs = page(local_client, bob_session).text
    assert bobs["url"] in theirs
    for asset in (image, sound):
        assert asset["asset_id"] not in theirs and asset["job_id"] not in theirs


def test_video_and_3d_files_are_links(local_client: httpx.Client, agent_token: str) -> None:
    headers = auth(agent_token)
    video = ok(create(local_client, headers, model="local.video"))["assets"][0]
    _reply, session = login(local_client, link(local_client, headers)["url"])
    html = page(local_client, session).text
    assert f"<a href='{video['url']}' download>Download the video</a>" in html
    assert "<video" not in html


def test_logout_and_revoked_tokens_end_the_session(
    local_client: httpx.Client, agent_token: str, local_settings: LocalSettings
) -> None:
    headers = auth(agent_token)
    _reply, first = login(local_client, link(local_client, headers)["url"])
    _reply, second = login(local_client, link(local_client, headers)["url"])
    out = local_client.post("/logout", headers={"cookie": f"{COOKIE}={first}"})
    local_client.cookies.clear()
    assert out.status_code == 303 and out.headers["location"] == "/"
    assert f'{COOKIE}=""' in out.headers["set-cookie"] and "Max-Age=0" in out.headers["set-cookie"]
    assert "Log out" not in page(local_client, first).text
    assert "Log out" in page(local_client, second).text
    with db(local_settings) as conn:
        conn.execute("UPDATE tokens SET status = 'revoked'")
    assert "Log out" not in page(local_client, second).text


def test_sessions_expire(
    local_client: httpx.Client, agent_token: str, local_settings: LocalSettings
) -> None:
    code = link(local_client, auth(agent_token))["url"].rsplit("/", 1)[1]
    with db(local_settings) as conn:
        session = redeem_link(conn, code)
        assert session_actor(conn, session.session_id) == session.actor
        later = utc_now() + timedelta(hours=8, seconds=1)
        assert session_actor(conn, session.session_id, now=later) is None


def test_gallery_pages_hold_the_newest_jobs(
    local_client: httpx.Client, agent_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from image_skill.local.store import gallery

    headers = auth(agent_token)
    jobs = [ok(create(local_client, headers, dry_run=True))["job_id"] for _ in range(3)]
    _reply, session = login(local_client, link(local_client, headers)["url"])
    monkeypatch.setattr(gallery, "PAGE_SIZE", 2)
    first = page(local_client, session).text
    older = page(local_client, session, "/?page=2").text
    assert jobs[2] in first and jobs[1] in first and jobs[0] not in first
    assert "href='/?page=2' rel=next" in first and "Dry run" in first
    assert jobs[0] in older and jobs[2] not in older and "rel=prev" in older
    assert "rel=next" not in older
    assert "No older jobs." in page(local_client, session, "/?page=9").text
    assert jobs[2] in page(local_client, session, "/?page=bad").text


def test_a_version_1_data_dir_gains_the_gallery_tables(local_settings: LocalSettings) -> None:
    from image_skill.local.store.schema import SCHEMA_VERSION

    made = version_1_data_dir(local_settings)
    with Store(local_settings).connection() as upgraded:
        assert upgraded.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        actor = authenticate(upgraded, made.token)
        assert actor is not None and actor.actor_id == made.actor_id
        session = redeem_link(upgraded, create_link(upgraded, actor).code)
        assert session_actor(upgraded, session.session_id) == actor


def test_a_separate_media_host_is_allowed_by_the_page_policy(
    local_settings: LocalSettings, signup: Any
) -> None:
    import dataclasses

    from image_skill._constants import IN_PROCESS_ORIGIN
    from image_skill.local.app import create_app
    from image_skill.local.transport import InProcessTransport

    settings = dataclasses.replace(local_settings, media_base_url="http://127.0.0.1:9/media")
    app = create_app(settings)
    with httpx.Client(transport=InProcessTransport(app), base_url=IN_PROCESS_ORIGIN) as client:
        headers = auth(signup(client))
        asset = ok(create(client, headers))["assets"][0]
        _reply, session = login(client, link(client, headers)["url"])
        home = page(client, session)
    assert asset["url"].startswith("http://127.0.0.1:9/media/a/")
    assert f"<img src='{asset['url']}'" in home.text
    assert "img-src 'self' http://127.0.0.1:9;" in home.headers["content-security-policy"]


def test_the_markup_escapes_what_it_shows() -> None:
    from image_skill.local.pages.gallery import Viewer, asset_markup, gallery_page
    from image_skill.local.store.gallery import GalleryJob, GalleryPage

    hostile = "<script>alert('x')</script>"
    asset = {
        "asset_id": "image_x'><b>",
        "url": "http://127.0.0.1/a/x.png' onerror='alert(1)",
        "mime_type": "image/png",
        "content_length": 10,
        "width": 2,
        "height": 2,
    }
    job = GalleryJob("job_1", "create", "completed", hostile, "2025-01-01T00:00:00.000Z", 9, None)
    viewer = Viewer(hostile, "agt_1", "org_1", 1, 0, 1)
    html = gallery_page(viewer, GalleryPage([job], 1, False, 1, 1)) + asset_markup(asset)
    assert "<script>" not in html and "onerror='" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and "&#x27; onerror=&#x27;" in html
