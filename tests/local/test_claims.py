"""Anonymous signup, discovery source and claim requests (contract 0.1.70 §1.1-§1.3),
plus the store upgrade that makes them possible (schema version 3)."""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

import httpx
import pytest

from image_skill.local.settings import LocalSettings
from image_skill.local.store.db import Store, authenticate
from image_skill.local.store.schema import GALLERY_SCHEMA, SCHEMA_VERSION
from storetools import version_1_data_dir

EXIT = "x-image-skill-exit-code"
ANONYMOUS = {"agent_name": "anon", "runtime": "pytest", "return_token": True}


def _signup(client: httpx.Client, **body: Any) -> dict[str, Any]:
    reply = client.post("/v1/agent-signups", json={**ANONYMOUS, **body})
    assert reply.status_code == 200, reply.text
    data: dict[str, Any] = reply.json()["data"]
    return data


def _auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def _claim(client: httpx.Client, token: str | None, body: Any) -> httpx.Response:
    return client.post("/v1/agent-claims", json=body, headers=_auth(token) if token else {})


def _stored_source(settings: LocalSettings, actor_id: str) -> tuple[str | None, str | None]:
    with sqlite3.connect(settings.db_path) as conn:
        row = conn.execute(
            "SELECT a.discovery_source, o.discovery_source FROM actors a"
            " JOIN organizations o ON o.organization_id = a.organization_id"
            " WHERE a.actor_id = ?",
            (actor_id,),
        ).fetchone()
    return row[0], row[1]


# ------------------------------------------------------------------ anonymous signup


def test_anonymous_signups_mint_a_new_agent_every_call(local_client: httpx.Client) -> None:
    first, second = _signup(local_client), _signup(local_client)
    assert first["created"] is True and second["created"] is True
    assert first["actor_id"] != second["actor_id"]
    assert first["organization_id"] != second["organization_id"]
    assert first["agent_contact"] is None and first["claim_state"] == "unclaimed"
    for data in (first, second):
        assert data["quota"]["limits"]["free_preview_credits_granted"] == 30
        who = local_client.get("/v1/whoami", headers=_auth(data["token"])).json()["data"]
        assert who["actor"]["actor_id"] == data["actor_id"]
        assert who["agent_contact_redacted"] is None
        assert who["claim_request_state"] is None
    # the legacy alias absent too: still anonymous, never an error
    body = {"agent_name": "anon", "runtime": "pytest"}
    assert local_client.post("/v1/agent-signups", json=body).json()["ok"] is True


def test_the_0130_signup_form_with_a_contact_still_finds_the_same_agent(
    local_client: httpx.Client,
) -> None:
    """The four keys a 0.1.30 client always sends; same contact + name is the same agent."""
    body = {
        "agent_contact": "keeper@example.com",
        "agent_name": "keeper",
        "runtime": "codex",
        "return_token": True,
    }
    first = local_client.post("/v1/agent-signups", json=body).json()
    again = local_client.post("/v1/agent-signups", json=body).json()
    assert first["ok"] and again["ok"]
    assert first["data"]["created"] is True and again["data"]["rotated"] is True
    assert first["data"]["actor_id"] == again["data"]["actor_id"]
    assert first["data"]["agent_contact"] == "keeper@example.com"
    bad = local_client.post("/v1/agent-signups", json={**body, "agent_contact": "nope"})
    assert bad.status_code == 400 and bad.headers[EXIT] == "2"
    assert bad.json()["error"]["message"] == (
        "agent_contact must be an email-shaped durable contact inbox"
    )


# ------------------------------------------------------------------- discovery source


@pytest.mark.parametrize(
    "value", ["", "ClawHub", "claw hub", "x" * 65, "clawhub\n", "ü", 7, True, ["npm"], {"a": 1}]
)
def test_a_bad_discovery_source_is_an_argument_error(
    local_client: httpx.Client, value: Any
) -> None:
    reply = local_client.post("/v1/agent-signups", json={**ANONYMOUS, "discovery_source": value})
    assert reply.status_code == 400 and reply.headers[EXIT] == "2"
    error = reply.json()["error"]
    assert error["code"] == "INVALID_ARGUMENTS"
    assert error["message"].startswith("discovery_source must be a channel slug")
    assert "--discovery-source" in error["recovery"]["optional_flags"]


def test_discovery_source_is_stored_first_touch_and_never_echoed(
    local_client: httpx.Client, local_settings: LocalSettings
) -> None:
    contact = {"agent_contact": "src@example.com", "agent_name": "src"}
    reply = local_client.post(
        "/v1/agent-signups", json={**ANONYMOUS, **contact, "discovery_source": "clawhub"}
    )
    assert "clawhub" not in reply.text
    actor_id = reply.json()["data"]["actor_id"]
    assert _stored_source(local_settings, actor_id) == ("clawhub", "clawhub")
    # later signups of the same agent never relabel it, with or without a source
    _signup(local_client, **contact, discovery_source="npm")
    _signup(local_client, **contact)
    assert _stored_source(local_settings, actor_id) == ("clawhub", "clawhub")
    # an agent that named no channel at first takes the first one it names later
    late = _signup(local_client, agent_contact="late@example.com", agent_name="late")
    assert _stored_source(local_settings, late["actor_id"]) == (None, None)
    _signup(
        local_client,
        agent_contact="late@example.com",
        agent_name="late",
        discovery_source="a.b_c-1",
    )
    assert _stored_source(local_settings, late["actor_id"]) == ("a.b_c-1", "a.b_c-1")
    assert "a.b_c-1" not in local_client.get("/v1/whoami", headers=_auth(late["token"])).text
    edge = _signup(local_client, discovery_source="x" * 64)
    assert _stored_source(local_settings, edge["actor_id"]) == ("x" * 64, "x" * 64)


# ---------------------------------------------------------------------- claim request


def test_claim_request_needs_a_token(local_client: httpx.Client) -> None:
    for token in (None, "isk_r_unknown"):
        reply = _claim(local_client, token, {"contact": "a@example.com"})
        assert reply.status_code == 401 and reply.headers[EXIT] == "3"
        env = reply.json()
        assert env["error"]["code"] == "AUTH_REQUIRED"
        assert env["command"] == "image-skill claim request"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"contact": None},
        {"contact": ""},
        {"contact": "  "},
        {"contact": "nope"},
        {"contact": 5},
        {"contact": ["a@example.com"]},
        {"inbox": "a@example.com"},
    ],
)
def test_claim_request_validates_the_contact_like_signup(
    local_client: httpx.Client, body: dict[str, Any]
) -> None:
    token = _signup(local_client)["token"]
    reply = _claim(local_client, token, body)
    assert reply.status_code == 400 and reply.headers[EXIT] == "2"
    error = reply.json()["error"]
    assert error["code"] == "INVALID_ARGUMENTS"
    assert error["message"] == "contact must be an email-shaped durable contact inbox"
    assert error["recovery"] == {
        "required_flags": ["--contact"],
        "suggested_command": (
            "image-skill claim request --contact AGENT_OR_OPERATOR_INBOX"
            " --api-base-url local --json"
        ),
        "docs_url": "https://image-skill.com/cli.md#image-skill-claim-request",
    }


def test_claim_request_attaches_replaces_and_repeats(local_client: httpx.Client) -> None:
    signup = _signup(local_client)
    token = signup["token"]
    first = _claim(local_client, token, {"contact": " Owner@Example.com "})
    assert first.status_code == 200 and first.headers[EXIT] == "0"
    env = first.json()
    assert env["command"] == "image-skill claim request"
    assert env["actor"]["actor_id"] == signup["actor_id"]
    data = env["data"]
    assert list(data)[:4] == ["state", "claim_state", "claim_request_state", "contact_redacted"]
    assert data["state"] == "attached"
    assert data["claim_state"] == "unclaimed" and data["claim_request_state"] == "requested"
    assert data["contact_redacted"] == "o***@example.com"
    assert "owner@example.com" not in first.text.lower()
    same = _claim(local_client, token, {"contact": "owner@example.com"}).json()["data"]
    assert same["state"] == "unchanged" and same["claim_requested_at"] == data["claim_requested_at"]
    other = _claim(local_client, token, {"contact": "team@example.org"}).json()["data"]
    assert other["state"] == "attached" and other["contact_redacted"] == "t***@example.org"
    assert (
        _claim(local_client, token, {"contact": "owner@example.com"}).json()["data"]["state"]
        == "attached"
    )  # back to the first one is a change again
    for route in ("/v1/whoami", "/v1/quota"):
        reply = local_client.get(route, headers=_auth(token))
        assert reply.json()["data"]["claim_request_state"] == "requested"
        assert reply.json()["data"]["claim_state"] == "unclaimed"
    who = local_client.get("/v1/whoami", headers=_auth(token)).json()["data"]
    assert who["agent_contact_redacted"] == "o***@example.com"


def test_a_claimed_contact_never_lets_a_signup_take_over_the_agent(
    local_client: httpx.Client,
) -> None:
    """A claim is not proof of owning the inbox: a contact signup with the claimed inbox and
    the same name is a different agent, and the claimed agent's token still works."""
    victim = _signup(local_client, agent_name="shared-name")
    _claim(local_client, victim["token"], {"contact": "boss@example.com"})
    other = _signup(local_client, agent_name="shared-name", agent_contact="boss@example.com")
    assert other["created"] is True and other["actor_id"] != victim["actor_id"]
    who = local_client.get("/v1/whoami", headers=_auth(victim["token"])).json()
    assert who["ok"] and who["data"]["actor"]["actor_id"] == victim["actor_id"]


def test_claim_on_a_contact_signup_is_recorded_too(local_client: httpx.Client) -> None:
    signup = _signup(local_client, agent_contact="first@example.com", agent_name="c")
    assert (
        local_client.get("/v1/quota", headers=_auth(signup["token"])).json()["data"][
            "claim_request_state"
        ]
        is None
    )
    data = _claim(local_client, signup["token"], {"contact": "first@example.com"}).json()["data"]
    assert data["state"] == "attached" and data["claim_request_state"] == "requested"


def test_claims_over_a_served_backend(live_server: str) -> None:
    with httpx.Client(base_url=live_server) as client:
        token = _signup(client)["token"]
        reply = _claim(client, token, {"contact": "served@example.com"})
        assert reply.json()["data"]["state"] == "attached"
        bad = _claim(client, token, {"contact": "x"}).json()["error"]["recovery"]
        assert bad["suggested_command"] == (
            "image-skill claim request --contact AGENT_OR_OPERATOR_INBOX"
            f" --api-base-url {live_server} --json"
        )


# ------------------------------------------------------------------------ store upgrade


def test_a_version_1_data_dir_upgrades_and_keeps_its_agents(local_settings: LocalSettings) -> None:
    old = version_1_data_dir(local_settings, contact="old@example.com", name="old", credits=21)
    store = Store(local_settings)
    with store.connection() as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
        actor = authenticate(conn, old.token)
        assert actor is not None
        assert (actor.actor_id, actor.organization_id) == (old.actor_id, old.organization_id)
        assert actor.agent_contact == "old@example.com" and actor.claim_request_state is None
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        # foreign keys hold on the rebuilt table (tokens -> actors)
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(
                "INSERT INTO tokens (token_id, actor_id, token_hash, token_prefix, token_hint,"
                " created_at) VALUES ('tok_x', 'agt_missing', 'h', 'p', 'h', 'now')"
            )
    from image_skill.local.app import create_app
    from image_skill.local.transport import InProcessTransport

    transport = InProcessTransport(create_app(local_settings))
    with httpx.Client(transport=transport, base_url="http://local.invalid") as client:
        quota = client.get("/v1/quota", headers=_auth(old.token)).json()["data"]
        assert quota["limits"]["remaining_credits"] == 21
        again = _signup(client, agent_contact="old@example.com", agent_name="old")
        assert again["created"] is False and again["actor_id"] == old.actor_id
        assert _signup(client)["agent_contact"] is None  # anonymous works after the upgrade
        claim = _claim(client, old.token, {"contact": "new@example.com"}).json()
        assert claim["data"]["state"] == "attached"


def test_a_version_2_data_dir_upgrades_too(local_settings: LocalSettings) -> None:
    old = version_1_data_dir(local_settings)
    with sqlite3.connect(local_settings.db_path, isolation_level=None) as conn:
        conn.executescript(GALLERY_SCHEMA)
        conn.execute("PRAGMA user_version = 2")
    with Store(local_settings).connection() as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert authenticate(conn, old.token) is not None


def test_processes_upgrading_one_data_dir_at_once_do_not_trip(
    local_settings: LocalSettings,
) -> None:
    old = version_1_data_dir(local_settings)
    stores = [Store(local_settings) for _ in range(4)]
    start = threading.Barrier(len(stores))
    errors: list[BaseException] = []

    def open_one(store: Store) -> None:
        start.wait()
        try:
            store.connect().close()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_one, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with stores[0].connection() as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert authenticate(conn, old.token) is not None
        assert conn.execute("SELECT COUNT(*) FROM actors").fetchone()[0] == 1
