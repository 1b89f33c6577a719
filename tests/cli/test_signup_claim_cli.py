"""Anonymous signup, --discovery-source and `claim request` through the CLI (contract 0.1.70
§1.1-§1.3), against the in-process local backend; plus the 0.1.30 signup form."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from clitools import invoke
from image_skill.cli.signup import resolve_discovery_source, signup_body
from image_skill.local.settings import LocalSettings

ANON = ("signup", "--agent", "--agent-name", "anon", "--runtime", "pytest")
SIGNUP_HINT = "signup --agent --agent-name NAME --runtime RUNTIME --json"
CLAIM_HINT = "claim request --contact AGENT_OR_OPERATOR_INBOX --json"
SIGNUP_DOCS = "https://image-skill.com/cli.md#image-skill-signup-agent"
CLAIM_DOCS = "https://image-skill.com/cli.md#image-skill-claim-request"


@pytest.fixture
def cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cfg" / "config.json"
    monkeypatch.setenv("IMAGE_SKILL_API_BASE_URL", "local")
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(path))
    return path


def _sources(actor_id: str) -> tuple[str | None, str | None]:
    """(actor, organization) discovery source as the local backend stored them."""
    with sqlite3.connect(LocalSettings.from_env().db_path) as conn:
        row = conn.execute(
            "SELECT a.discovery_source, o.discovery_source FROM actors a"
            " JOIN organizations o ON o.organization_id = a.organization_id"
            " WHERE a.actor_id = ?",
            (actor_id,),
        ).fetchone()
    return row[0], row[1]


# ---------------------------------------------------------------- the request body (pure)


def test_body_key_order_and_omitted_keys() -> None:
    assert list(signup_body(None, "a", "r", True, None, {})) == [
        "agent_name",
        "runtime",
        "return_token",
    ]
    body = signup_body("x@example.com", " a ", "r", False, " clawhub ", {})
    assert body == {
        "agent_contact": "x@example.com",
        "agent_name": " a ",  # name and runtime go as given (0.1.30 rule)
        "runtime": "r",
        "return_token": False,
        "discovery_source": "clawhub",
    }
    assert list(body) == [
        "agent_contact",
        "agent_name",
        "runtime",
        "return_token",
        "discovery_source",
    ]


@pytest.mark.parametrize(
    ("flag", "env", "expected"),
    [
        ("npm", "clawhub", "npm"),  # the flag wins
        ("  ", " clawhub ", "clawhub"),  # a blank flag falls through to the env
        (None, " skills-sh ", "skills-sh"),
        (None, "   ", None),
        (None, None, None),
        ("Not_Checked_Here", None, "Not_Checked_Here"),  # no client-side rule, no lower-casing
    ],
)
def test_discovery_source_resolution(flag: str | None, env: str | None, expected: str | None):
    environ = {} if env is None else {"IMAGE_SKILL_DISCOVERY_SOURCE": env}
    assert resolve_discovery_source(flag, environ) == expected


# ---------------------------------------------------------------- signup through the CLI


def test_anonymous_signup_saves_a_token_and_makes_a_new_agent_each_time(cfg: Path) -> None:
    first = invoke(*ANON)
    assert first.exit_code == 0, first.stdout
    assert first.json["command"] == "image-skill signup"
    assert first.data["agent_contact"] is None and first.data["token"] is None
    assert first.data["auth_handoff"]["status"] == "saved_config_ready"
    token = json.loads(cfg.read_text())["token"]
    assert token.startswith("isk_r_") and token not in first.stdout
    who = invoke("whoami")
    assert who.exit_code == 0 and who.json["actor"]["actor_id"] == first.data["actor_id"]
    second = invoke(*ANON)
    assert second.exit_code == 0
    assert second.data["actor_id"] != first.data["actor_id"]


def test_the_0130_form_with_an_agent_contact_still_works(cfg: Path) -> None:
    args = ["--agent-name", "old", "--runtime", "pytest"]
    old = invoke("signup", "--agent", "--agent-contact", " Old@Example.com ", *args)
    assert old.exit_code == 0, old.stdout
    assert old.data["agent_contact"] == "old@example.com"
    # the same inbox and name again is the same agent, as before 0.1.38
    again = invoke("signup", "--agent", "--agent-contact", "old@example.com", *args)
    assert again.exit_code == 0 and again.data["actor_id"] == old.data["actor_id"]
    alias = invoke("signup", "--agent", "--human-email", "OLD@example.com", *args)
    assert alias.exit_code == 0 and alias.data["actor_id"] == old.data["actor_id"]
    both = invoke(
        "signup",
        "--agent",
        "--agent-contact",
        "old@example.com",
        "--human-email",
        "old@EXAMPLE.com",
    )
    assert both.code == "INVALID_ARGUMENTS"  # same inbox twice is fine; name/runtime missing
    assert "--agent-name and --runtime" in both.json["error"]["message"]


def test_a_contact_the_server_refuses_gets_the_optional_contact_advice(cfg: Path) -> None:
    res = invoke(*ANON, "--agent-contact", "not-an-inbox")
    assert res.exit_code == 2 and res.code == "INVALID_ARGUMENTS"
    error = res.json["error"]
    assert "leave it out" in error["message"]
    assert error["recovery"]["suggested_command"].endswith(SIGNUP_HINT)
    assert error["recovery"]["docs_url"] == SIGNUP_DOCS
    assert not cfg.parent.exists()


def test_missing_name_or_runtime(cfg: Path) -> None:
    res = invoke("signup", "--agent", "--runtime", "pytest")
    assert res.exit_code == 2 and res.code == "INVALID_ARGUMENTS"
    error = res.json["error"]
    assert error["message"].startswith("signup requires --agent-name and --runtime. ")
    assert "claim request" in error["message"]
    recovery = error["recovery"]
    assert list(recovery) == [
        "required_flags",
        "optional_flags",
        "accepted_aliases",
        "suggested_command",
        "docs_url",
    ]
    assert recovery["required_flags"] == ["--agent-name", "--runtime"]
    assert recovery["optional_flags"] == ["--agent-contact", "--discovery-source"]
    assert recovery["accepted_aliases"] == {"--human-email": "--agent-contact"}
    assert recovery["suggested_command"].endswith(SIGNUP_HINT)
    assert "AGENT_OR_OPERATOR_INBOX" not in recovery["suggested_command"]
    # an empty name still counts as given (the server decides)
    assert invoke("signup", "--agent", "--agent-name", "", "--runtime", "r").exit_code != 0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--agent-contact"], "agent-contact requires a value"),
        (["--agent-contact", "--json"], "agent-contact requires a value"),
        (["--human-email"], "human-email requires a value"),
        (
            ["--agent-contact", "a@example.com", "--human-email", "b@example.com"],
            "--agent-contact and --human-email name different inboxes; pass one",
        ),
    ],
)
def test_contact_flag_errors_come_first(cfg: Path, extra: list[str], message: str) -> None:
    res = invoke("signup", "--agent", *extra)  # no name/runtime: the contact check is first
    assert res.exit_code == 2 and res.json["error"]["message"] == message
    recovery = res.json["error"]["recovery"]
    assert list(recovery) == ["required_flags", "optional_flags", "suggested_command", "docs_url"]
    assert not cfg.parent.exists()


def test_agent_is_still_checked_first(cfg: Path) -> None:
    res = invoke("signup", "--agent-contact")
    assert (
        res.exit_code == 2 and res.json["error"]["message"] == "signup currently requires --agent"
    )


def test_every_auth_failure_suggests_the_anonymous_signup(cfg: Path) -> None:
    for argv in (
        ["whoami"],
        ["usage", "quota"],
        ["jobs", "show", "job_x"],
        ["create", "--prompt", "p"],
    ):
        res = invoke(*argv)
        assert res.exit_code == 3 and res.code == "AUTH_REQUIRED", argv
        assert res.json["error"]["recovery"]["suggested_command"].endswith(SIGNUP_HINT), argv


def test_discovery_source_is_sent_and_first_touch_wins(
    cfg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flagged = invoke(*ANON, "--discovery-source", " clawhub ")
    assert flagged.exit_code == 0, flagged.stdout
    assert _sources(flagged.data["actor_id"]) == ("clawhub", "clawhub")
    assert "clawhub" not in flagged.stdout  # never echoed

    monkeypatch.setenv("IMAGE_SKILL_DISCOVERY_SOURCE", "skills-sh")
    from_env = invoke(*ANON, "--discovery-source")  # a flag without a value: the env decides
    assert from_env.exit_code == 0
    assert _sources(from_env.data["actor_id"]) == ("skills-sh", "skills-sh")

    # a known agent signing up again keeps its first source
    contact = ["--agent-contact", "src@example.com"]
    first = invoke(*ANON, *contact)
    assert _sources(first.data["actor_id"]) == ("skills-sh", "skills-sh")
    again = invoke(*ANON, *contact, "--discovery-source", "npm")
    assert again.data["actor_id"] == first.data["actor_id"]
    assert _sources(first.data["actor_id"]) == ("skills-sh", "skills-sh")


def test_a_bad_slug_is_refused_by_the_server(cfg: Path) -> None:
    res = invoke(*ANON, "--discovery-source", "Not A Slug")
    assert res.exit_code == 2 and res.code == "INVALID_ARGUMENTS"
    assert res.json["command"] == "image-skill signup"
    assert not cfg.parent.exists()


# ---------------------------------------------------------------- claim request


def test_claim_request_attaches_then_reports_unchanged(cfg: Path) -> None:
    assert invoke(*ANON).exit_code == 0
    first = invoke("claim", "request", "--contact", "  Inbox@Example.com ")
    assert first.exit_code == 0, first.stdout
    assert first.json["command"] == "image-skill claim request"
    data = first.data
    assert data["state"] == "attached"
    assert data["claim_state"] == "unclaimed" and data["claim_request_state"] == "requested"
    assert "inbox@example.com" not in first.stdout.lower()  # echoed only redacted
    same = invoke("claim", "request", "--contact", "inbox@example.com")
    assert same.exit_code == 0 and same.data["state"] == "unchanged"
    other = invoke("claim", "request", "--contact", "other@example.com")
    assert other.exit_code == 0 and other.data["state"] == "attached"
    assert invoke("whoami").data["claim_request_state"] == "requested"
    assert invoke("usage", "quota").data["claim_request_state"] == "requested"


@pytest.mark.parametrize("extra", [[], ["--contact"], ["--contact", "  "], ["--contact", "--json"]])
def test_claim_request_checks_come_before_the_token(cfg: Path, extra: list[str]) -> None:
    res = invoke("claim", "request", *extra)  # no token anywhere
    assert res.exit_code == 2 and res.code == "INVALID_ARGUMENTS"
    assert res.json["command"] == "image-skill claim request"
    recovery = res.json["error"]["recovery"]
    assert list(recovery) == ["required_flags", "suggested_command", "docs_url"]
    assert recovery["required_flags"] == ["--contact"]
    assert recovery["suggested_command"].endswith(CLAIM_HINT)
    assert recovery["docs_url"] == CLAIM_DOCS


@pytest.mark.parametrize(
    "words", [["claim"], ["claim", "approve"], ["claim", "--contact", "a@b.c"]]
)
def test_claim_without_request_is_an_argument_error(cfg: Path, words: list[str]) -> None:
    res = invoke(*words)
    assert res.exit_code == 2 and res.code == "INVALID_ARGUMENTS"
    assert res.json["command"] == "image-skill claim"
    recovery = res.json["error"]["recovery"]
    assert list(recovery) == ["suggested_command", "docs_url"]
    assert recovery["suggested_command"].endswith(CLAIM_HINT)


def test_claim_request_needs_a_token_then(cfg: Path) -> None:
    res = invoke("claim", "request", "--contact", "a@example.com")
    assert res.exit_code == 3 and res.code == "AUTH_REQUIRED"
    assert res.json["command"] == "image-skill claim"  # the npm client's group label
    assert res.json["error"]["recovery"]["suggested_command"].endswith(SIGNUP_HINT)
    bad = invoke("claim", "request", "--contact", "a@example.com", "--token", "isk_r_nope")
    assert bad.exit_code == 3 and bad.code == "AUTH_REQUIRED"


def test_claim_request_with_a_bad_inbox_and_a_piped_token(cfg: Path) -> None:
    signup = invoke(*ANON, "--show-token", "--no-save")
    token = signup.data["token"]
    res = invoke("claim", "request", "--contact", "nope", "--token-stdin", input=token + "\n")
    assert res.exit_code == 2 and res.code == "INVALID_ARGUMENTS"
    ok = invoke("claim", "request", "--contact", "a@example.com", "--token-stdin", input=token)
    assert ok.exit_code == 0 and ok.data["state"] == "attached"
