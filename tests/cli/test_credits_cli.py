"""`credits ...` and `local settle` against the in-process local backend, plus a recorder."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from clitools import CliResult, invoke
from image_skill.payments import CREDENTIAL_FLAGS

LOCAL = ("--api-base-url", "local")


class Recorder:
    """A tiny HTTP server on 127.0.0.1:0 that records every request it receives."""

    def __init__(self, reply: dict[str, Any]) -> None:
        self.requests: list[dict[str, Any]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                recorder.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": self.rfile.read(length) if length else b"",
                    }
                )
                payload = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _answer  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> Recorder:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


OK_REPLY = {
    "ok": True,
    "command": "x",
    "trace_id": "trace_0",
    "actor": None,
    "data": {},
    "warnings": [],
    "error": None,
}


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    with Recorder(OK_REPLY) as rec:
        yield rec


@pytest.fixture
def agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A signed-up agent on the in-process backend, token saved in a temp config."""
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(tmp_path / "cfg" / "config.json"))
    res = invoke(
        "signup",
        "--agent",
        "--agent-contact",
        "agent@example.com",
        "--agent-name",
        "payer",
        "--runtime",
        "pytest",
        *LOCAL,
    )
    assert res.exit_code == 0, res.stdout
    return "agent"


def run(*args: str) -> CliResult:
    return invoke(*args, *LOCAL)


def balance() -> int:
    res = run("credits", "status")
    assert res.exit_code == 0, res.stdout
    value = res.data["limits"]["payment_backed_remaining_credits"]
    assert isinstance(value, int)
    return value


def failure(res: CliResult, code: str, exit_code: int, command: str) -> dict[str, Any]:
    assert res.exit_code == exit_code, res.stdout
    assert res.code == code
    assert res.json["command"] == command
    error = res.json["error"]
    assert isinstance(error, dict)
    return error


# ------------------------------------------------------------------ discovery


def test_methods_and_packs_need_no_token() -> None:
    res = run("credits", "methods")
    assert res.exit_code == 0 and res.json["command"] == "image-skill credits methods"
    assert {m["method_id"] for m in res.data["methods"]} == {
        "stripe_checkout",
        "stripe_x402.exact.usdc",
    }
    assert all(m["live_money"] is False and m["simulated"] is True for m in res.data["methods"])
    packs = run("credits", "packs", "list")
    assert packs.exit_code == 0
    assert [p["pack_id"] for p in packs.data["packs"]] == [
        "starter-500",
        "builder-2000",
        "studio-5000",
    ]


def test_no_auth_token_handoff_and_strictness(recorder: Recorder) -> None:
    base = ("--api-base-url", recorder.url)
    res = invoke("credits", "methods", "--token", "t", "--token-stdin", *base, input="x\n")
    failure(res, "INVALID_ARGUMENTS", 2, "image-skill credits methods")
    # a piped token is read and dropped: never sent
    res = invoke("credits", "packs", "list", "--token-stdin", *base, input="isk_r_secret\n")
    assert res.exit_code == 0
    assert [r["path"] for r in recorder.requests] == ["/v1/credit-packs"]
    assert "authorization" not in {k.lower() for k in recorder.requests[0]["headers"]}
    failure(
        invoke("credits", "methods", "extra", *base),
        "INVALID_ARGUMENTS",
        2,
        "image-skill credits methods",
    )
    failure(invoke("credits", "packs", *base), "INVALID_ARGUMENTS", 2, "image-skill credits packs")
    failure(
        invoke("credits", "packs", "show", *base),
        "INVALID_ARGUMENTS",
        2,
        "image-skill credits packs",
    )
    failure(invoke("credits", *base), "INVALID_ARGUMENTS", 2, "image-skill credits")
    failure(invoke("credits", "refund", *base), "INVALID_ARGUMENTS", 2, "image-skill credits")
    assert len(recorder.requests) == 1


# ------------------------------------------------------------------ validation


def test_quote_validation_happens_before_any_request(recorder: Recorder) -> None:
    base = ("--api-base-url", recorder.url, "--token", "isk_r_x")
    label = "image-skill credits quote"
    failure(
        invoke("credits", "quote", "--payment-method", "stripe_checkout", *base),
        "INVALID_ARGUMENTS",
        2,
        label,
    )
    failure(
        invoke(
            "credits",
            "quote",
            "--credits",
            "Infinity",
            "--payment-method",
            "stripe_checkout",
            *base,
        ),
        "INVALID_ARGUMENTS",
        2,
        label,
    )
    err = failure(
        invoke("credits", "quote", "--pack", "starter-500", *base), "INVALID_ARGUMENTS", 2, label
    )
    assert err["recovery"]["required_flag"] == "--payment-method"
    failure(
        invoke("credits", "quote", "--pack", "starter-500", "--payment-method", "fake", *base),
        "INVALID_ARGUMENTS",
        2,
        label,
    )
    assert recorder.requests == []
    # a valid quote sends the body in the contract key order, integral credits as integers
    res = invoke(
        "credits",
        "quote",
        "--credits",
        "10.0",
        "--pack",
        "p",
        "--payment-method",
        "stripe_checkout",
        "--idempotency-key",
        "k",
        *base,
    )
    assert res.exit_code == 0
    assert recorder.requests[0]["body"] == (
        b'{"credits":10,"pack_id":"p","payment_method":"stripe_checkout","idempotency_key":"k"}'
    )


def test_quote_needs_a_token() -> None:
    res = run("credits", "quote", "--pack", "starter-500", "--payment-method", "stripe_checkout")
    failure(res, "AUTH_REQUIRED", 3, "image-skill credits")


def test_buy_and_status_validation(recorder: Recorder) -> None:
    base = ("--api-base-url", recorder.url, "--token", "isk_r_x")
    label = "image-skill credits buy"
    failure(
        invoke("credits", "buy", "--quote-id", "q", "--idempotency-key", "k", *base),
        "INVALID_ARGUMENTS",
        2,
        label,
    )
    failure(
        invoke("credits", "buy", "--provider", "paypal", "--quote-id", "q", *base),
        "INVALID_ARGUMENTS",
        2,
        label,
    )
    failure(invoke("credits", "buy", "--provider", "stripe", *base), "INVALID_ARGUMENTS", 2, label)
    err = failure(
        invoke("credits", "buy", "--provider", "stripe", "--quote-id", "q", *base),
        "INVALID_ARGUMENTS",
        2,
        label,
    )
    assert err["recovery"]["required_flag"] == "--idempotency-key"
    assert "--idempotency-key KEY" in err["recovery"]["suggested_command"]
    failure(
        invoke("credits", "status", "--quote-id", "q", "--receipt-id", "r", *base),
        "INVALID_ARGUMENTS",
        2,
        "image-skill credits status",
    )
    assert recorder.requests == []
    res = invoke("credits", "status", "--checkout-session-id", "cs_1", *base)
    assert res.exit_code == 0
    assert recorder.requests[0]["path"] == "/v1/credit-purchases/status?checkout_session_id=cs_1"


CREDENTIAL_CASES = [
    ("credits", "buy", "--provider", "stripe", "--quote-id", "q", "--idempotency-key", "k"),
    ("credits", "quote", "--pack", "starter-500", "--payment-method", "stripe_checkout"),
    ("credits", "status"),
    ("credits", "methods"),
    ("credits", "packs", "list"),
    ("credits", "fake-purchase", "--quote-id", "q", "--idempotency-key", "k"),
]


# The card-like value holds letters, so a random hex trace id can never contain it.
SECRET = "4242-card-secret-4242"
FORMS = (("{flag}", SECRET), ("{flag}=" + SECRET,), ("{flag}",))


@pytest.mark.parametrize(("index", "flag"), list(enumerate(CREDENTIAL_FLAGS)))
def test_credential_flags_never_reach_the_network(
    recorder: Recorder, index: int, flag: str
) -> None:
    base = ("--api-base-url", recorder.url, "--token", "isk_r_x")
    forms = FORMS if flag == "card-number" else (FORMS[index % len(FORMS)],)
    for case in CREDENTIAL_CASES:
        label = "image-skill " + " ".join(case[:3] if case[1] == "packs" else case[:2])
        for form in forms:
            extra = tuple(word.format(flag=f"--{flag}") for word in form)
            res = invoke(*case, *extra, *base)
            err = failure(res, "PAYMENT_CREDENTIAL_FLAG_REJECTED", 2, label)
            assert err["retryable"] is False
            assert err["recovery"]["docs_url"].endswith("#image-skill-credits-buy")
            assert f"--{flag}" in err["message"]
            assert SECRET not in res.stdout
    assert recorder.requests == []
    # the recorder does record: a clean command goes through
    assert invoke("credits", "methods", *base).exit_code == 0
    assert len(recorder.requests) == 1


def test_card_number_rejected_even_before_the_subcommand(recorder: Recorder) -> None:
    res = invoke("credits", "--card-number", "4242", "buy", "--api-base-url", recorder.url)
    failure(res, "PAYMENT_CREDENTIAL_FLAG_REJECTED", 2, "image-skill credits buy")
    assert recorder.requests == []


def test_fake_purchase_refuses_a_hosted_api(recorder: Recorder) -> None:
    res = invoke(
        "credits",
        "fake-purchase",
        "--quote-id",
        "q",
        "--idempotency-key",
        "k",
        "--api-base-url",
        recorder.url,
        "--token",
        "isk_r_x",
    )
    failure(res, "PUBLIC_CLI_COMMAND_NOT_AVAILABLE", 2, "image-skill credits fake-purchase")
    assert [(r["method"], r["path"]) for r in recorder.requests] == [("GET", "/healthz")]


# ------------------------------------------------------------------ the loop


def test_quote_replay_and_conflict(agent: str) -> None:
    args = ("credits", "quote", "--pack", "starter-500", "--payment-method", "stripe_checkout")
    generated = run(*args)
    assert generated.exit_code == 0
    assert any(w.startswith("generated idempotency key quote-") for w in generated.json["warnings"])
    first = run(*args, "--idempotency-key", "q-run-1")
    second = run(*args, "--idempotency-key", "q-run-1")
    assert first.data["quote_id"] == second.data["quote_id"] != generated.data["quote_id"]
    assert not any("generated" in w for w in first.json["warnings"])
    conflict = run(
        "credits",
        "quote",
        "--credits",
        "137",
        "--payment-method",
        "stripe_checkout",
        "--idempotency-key",
        "q-run-1",
    )
    err = failure(conflict, "CREDIT_QUOTE_CONFLICT", 2, "image-skill credits quote")
    assert "--credits 137" in err["recovery"]["suggested_command"]
    assert err["recovery"]["idempotency_key"] != "q-run-1"
    assert balance() == 0


def test_checkout_loop_end_to_end(agent: str) -> None:
    assert balance() == 0
    q = run(
        "credits",
        "quote",
        "--pack",
        "builder-2000",
        "--payment-method",
        "stripe_checkout",
        "--idempotency-key",
        "loop-q",
    )
    quote_id = q.data["quote_id"]
    bought = run(
        "credits",
        "buy",
        "--provider",
        "stripe",
        "--quote-id",
        quote_id,
        "--idempotency-key",
        "loop-b",
    )
    assert bought.exit_code == 0 and bought.data["state"] == "action_required"
    data = bought.data
    assert data["checkout_compact_url"] == data["checkout_handoff_url"]
    assert data["next"]["checkout_compact_url"] == data["checkout_handoff_url"]
    assert (
        "#fid" in data["checkout_url"]
        and data["next"]["fallback_checkout_url"] == (data["checkout_url"])
    )
    attempt_id = data["payment_attempt_id"]
    assert balance() == 0
    pending = run("credits", "status", "--payment-attempt-id", attempt_id)
    assert pending.data["state"] == "action_required"
    assert pending.data["payment_attempt"]["checkout_compact_url"] == data["checkout_handoff_url"]

    settled = run("local", "settle", "--payment-attempt-id", attempt_id)
    assert settled.exit_code == 0 and settled.json["command"] == "image-skill local settle"
    assert settled.data["granted_now"] is True
    done = run("credits", "status", "--payment-attempt-id", attempt_id)
    assert done.data["state"] == "succeeded"
    receipt_id = done.data["receipt"]["receipt_id"]
    assert balance() == 2000

    again = run("local", "settle", "--payment-attempt-id", attempt_id)
    assert again.exit_code == 0 and again.data["granted_now"] is False
    replay = run(
        "credits",
        "buy",
        "--provider",
        "stripe",
        "--quote-id",
        quote_id,
        "--idempotency-key",
        "loop-b",
    )
    assert replay.data["payment_attempt_id"] == attempt_id
    assert run("credits", "status", "--receipt-id", receipt_id).data["state"] == "succeeded"
    assert run("credits", "status", "--quote-id", quote_id).data["state"] == "succeeded"
    assert balance() == 2000


def test_x402_loop_and_fake_purchase(agent: str) -> None:
    q = run(
        "credits",
        "quote",
        "--pack",
        "starter-500",
        "--payment-method",
        "stripe_x402.exact.usdc",
        "--idempotency-key",
        "x-q",
    )
    bought = run(
        "credits",
        "buy",
        "--provider",
        "stripe_x402",
        "--quote-id",
        q.data["quote_id"],
        "--idempotency-key",
        "x-b",
    )
    assert bought.exit_code == 0
    pay = bought.data["stripe_x402"]["payable_instructions"]
    assert pay["token_amount_atomic"] == "5000000" and pay["simulated"] is True
    assert "checkout_compact_url" not in bought.data
    wrong = run(
        "credits",
        "buy",
        "--provider",
        "stripe",
        "--quote-id",
        q.data["quote_id"],
        "--idempotency-key",
        "x-b2",
    )
    failure(wrong, "PAYMENT_METHOD_MISMATCH", 2, "image-skill credits buy")
    assert (
        run("local", "settle", "--payment-attempt-id", bought.data["payment_attempt_id"]).exit_code
        == 0
    )
    assert balance() == 500

    q2 = run(
        "credits",
        "quote",
        "--credits",
        "42",
        "--payment-method",
        "stripe_checkout",
        "--idempotency-key",
        "f-q",
    )
    fake = run(
        "credits", "fake-purchase", "--quote-id", q2.data["quote_id"], "--idempotency-key", "f-1"
    )
    assert fake.exit_code == 0 and fake.data["credits_granted"] == 42
    fake_again = run(
        "credits", "fake-purchase", "--quote-id", q2.data["quote_id"], "--idempotency-key", "f-1"
    )
    assert fake_again.data["receipt_id"] == fake.data["receipt_id"]
    assert balance() == 542


def test_local_settle_errors(agent: str) -> None:
    res = run("local", "settle", "--payment-attempt-id", "payatt_nope")
    failure(res, "PAYMENT_ATTEMPT_NOT_FOUND", 1, "image-skill local settle")
    missing = run("local", "settle")
    assert missing.exit_code == 2 and missing.code == "INVALID_ARGUMENTS"


def test_local_settle_needs_a_token() -> None:
    res = run("local", "settle", "--payment-attempt-id", "payatt_x")
    failure(res, "AUTH_REQUIRED", 3, "image-skill local")
