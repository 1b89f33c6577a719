"""Pure helpers of the credits and models commands."""

from __future__ import annotations

import re

import pytest

from image_skill._js import js_number, string_to_number
from image_skill.cli.models import models_query
from image_skill.payments import (
    CREDENTIAL_FIELDS,
    CREDENTIAL_FLAGS,
    credential_fields_in,
    credential_flag_in,
    new_idempotency_key,
    status_params,
    with_checkout_compact_url,
)

CONTRACT_LIST = (
    "payment-token payment-secret payment-required payment-signature payment-response "
    "authorization bearer-token wallet-private-key private-key mnemonic seed-phrase card "
    "card-number card-token stripe-secret-key stripe-webhook-secret provider-key "
    "provider-receipt"
).split()


def test_credential_list_is_the_contract_list() -> None:
    assert list(CREDENTIAL_FLAGS) == CONTRACT_LIST
    assert "card_number" in CREDENTIAL_FIELDS and "seed_phrase" in CREDENTIAL_FIELDS


@pytest.mark.parametrize("name", CONTRACT_LIST)
def test_every_credential_flag_is_caught_in_both_forms(name: str) -> None:
    assert credential_flag_in(["buy", f"--{name}"]) == name
    assert credential_flag_in(["buy", "--quote-id", "q", f"--{name}=secret"]) == name


def test_credential_scan_details() -> None:
    # first offender in order; case and underscores do not hide a flag
    assert credential_flag_in(["--mnemonic", "--card"]) == "mnemonic"
    assert credential_flag_in(["--Card_Number", "4242"]) == "Card_Number"
    # a flag whose value names a credential is fine; so are positionals and safe flags
    assert credential_flag_in(["--prompt=--card", "card-number", "--quote-id", "x"]) is None
    assert credential_flag_in(["--cardinal", "--card-numbers"]) is None
    # a flag in value position is still a flag (as the npm parser reads it)
    assert credential_flag_in(["--quote-id", "--private-key"]) == "private-key"
    # after `--` nothing is an option
    assert credential_flag_in(["--", "--card"]) is None


def test_credential_fields_in_bodies() -> None:
    body = {"quote_id": "q", "card-number": "4242", "Private_Key": "x", "credits": 1}
    assert credential_fields_in(body) == ["Private_Key", "card-number"]
    assert credential_fields_in({"quote_id": "q", "idempotency_key": "k"}) == []


STRIPE = "https://checkout.stripe.com/c/pay/cs_test_1#fidkdWxOYHwnPyd1blpxYHZxWjA0"


def test_compact_url_prefers_handoff_and_never_touches_the_raw_url() -> None:
    data = {
        "checkout_handoff_url": "https://api/pay/payatt_1",
        "checkout_url": STRIPE,
        "next": {"human_action": "open_checkout_url", "fallback_checkout_url": STRIPE},
    }
    out = with_checkout_compact_url(data)
    assert out["checkout_compact_url"] == "https://api/pay/payatt_1"
    assert out["checkout_url"] == STRIPE  # fragment intact
    # next has no handoff: its own fallback URL becomes its compact URL
    assert out["next"]["checkout_compact_url"] == STRIPE
    assert "checkout_compact_url" not in data  # shallow copies, input untouched
    assert list(out)[-1] == "checkout_compact_url"  # new keys are appended


def test_compact_url_from_raw_checkout_url_keeps_fragment_and_trims() -> None:
    out = with_checkout_compact_url({"checkout_url": "  " + STRIPE + "\n", "next": {}})
    assert out["checkout_compact_url"] == STRIPE
    assert out["next"]["checkout_compact_url"] == STRIPE
    assert "#fid" in out["checkout_compact_url"]
    # an empty checkout_url stops the search (no fallback used)
    data = {"checkout_url": "", "fallback_checkout_url": STRIPE}
    assert with_checkout_compact_url(data) is data


def test_compact_url_from_payment_attempt_into_next() -> None:
    data = {
        "state": "action_required",
        "payment_attempt": {"checkout_handoff_url": "https://api/pay/payatt_2"},
        "next": {"human_action": "open_checkout_url", "retry_after_seconds": 10},
    }
    out = with_checkout_compact_url(data)
    assert out["payment_attempt"]["checkout_compact_url"] == "https://api/pay/payatt_2"
    assert out["next"]["checkout_compact_url"] == "https://api/pay/payatt_2"
    # without the human action, next is left alone
    data["next"] = {"agent_action": "pay_stripe_crypto_deposit"}
    out = with_checkout_compact_url(data)
    assert "checkout_compact_url" not in out["next"]


def test_compact_url_unchanged_objects_are_returned_as_is() -> None:
    data = {"state": "succeeded", "receipt": {"receipt_id": "receipt_1"}}
    assert with_checkout_compact_url(data) is data
    assert with_checkout_compact_url(None) is None
    assert with_checkout_compact_url(["x"]) == ["x"]


def test_status_params_order_and_validation() -> None:
    assert status_params({}) == []
    assert status_params({"--receipt-id": "receipt_1"}) == [("receipt_id", "receipt_1")]
    assert status_params({"--quote-id": ""}) == [("quote_id", "")]  # empty still counts
    with pytest.raises(ValueError, match="--quote-id, --payment-attempt-id"):
        status_params({"--payment-attempt-id": "p", "--quote-id": "q"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10", 10),
        ("10.0", 10),
        (" 1e3 ", 1000),
        ("", 0),
        ("0x1F", 31),
        ("0b11", 3),
        ("2.5", 2.5),
        ("-5", -5),
        ("Infinity", None),
        ("NaN", None),
        ("1_0", None),
        ("12abc", None),
        ("-0x10", None),
        # JavaScript's Number(): its own whitespace set, ASCII digits only, huge hex is Infinity.
        ("\ufeff7\u3000", 7),
        ("\x1c7", None),
        ("\u0661\u0662", None),
        ("\uff11", None),
        ("0x" + "f" * 300, None),
    ],
)
def test_js_number(text: str, expected: int | float | None) -> None:
    value = js_number(text)
    assert value == expected
    if expected is not None:
        assert type(value) is type(expected)


def test_a_hex_literal_past_the_double_range_is_infinity() -> None:
    assert string_to_number("0x" + "f" * 300) == float("inf")
    assert string_to_number("-0x1") != string_to_number("-0x1")  # NaN, as in JavaScript


def test_generated_keys_have_the_contract_shape() -> None:
    key = new_idempotency_key("quote")
    assert re.fullmatch(r"quote-\d{13}-[0-9a-f]{8}", key)
    assert new_idempotency_key("quote") != key
    # The guide's commands carry a create-guide key (the edit command swaps the prefix).
    assert re.fullmatch(r"create-guide-\d{13}-[0-9a-f]{8}", new_idempotency_key("create-guide"))


def test_models_query_order_trimming_and_blanks() -> None:
    assert models_query() == []
    assert models_query(
        provider=" fal ",
        modality="video",
        operation="video.generate",
        catalog_only=True,
        executable=True,
        available=True,
    ) == [
        ("available", "true"),
        ("executable", "true"),
        ("catalog_only", "true"),
        ("operation", "video.generate"),
        ("modality", "video"),
        ("provider", "fal"),
    ]
    assert models_query(operation="  ", provider="") == []
