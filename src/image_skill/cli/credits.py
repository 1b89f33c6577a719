"""`image-skill credits ...`: payment rails, packs, quotes, purchases and payment status.

Any flag that looks like a payment credential (``--card-number``, ``--private-key``,
``--seed-phrase``, ``--payment-signature``, ``--stripe-secret-key`` ...) is refused with
``PAYMENT_CREDENTIAL_FLAG_REJECTED`` (exit 2) on every credits subcommand, before click
parses anything and before any request or token lookup. Checkout URLs are relayed
verbatim; only a ``checkout_compact_url`` copy is added (contract §10.6).

`credits fake-purchase` (a compatibility command) only runs against the offline local
backend, where it settles a quote at once through ``POST /v1/credit-purchases``; against
any other API it stops with ``PUBLIC_CLI_COMMAND_NOT_AVAILABLE`` after a health check, so
nothing that could spend is ever sent to a hosted service.
"""

from __future__ import annotations

import click

from image_skill import _constants as C
from image_skill import envelope as E
from image_skill._js import js_number
from image_skill.cli._app import CommandFailed, common_options, group_label, state
from image_skill.cli.models import StrictGroup
from image_skill.envelope import Result
from image_skill.payments import (
    BUY_PROVIDERS,
    CREDENTIAL_DOCS_URL,
    CREDITS_DOCS_URL,
    QUOTE_PAYMENT_METHODS,
    credential_flag_in,
    credential_message,
    new_idempotency_key,
    status_params,
    with_checkout_compact_url,
)

GROUP_LABEL = "image-skill credits"
UNKNOWN_SUBCOMMAND = "credits requires methods, packs, quote, buy, status or fake-purchase"


def _guard_label(args: list[str]) -> str:
    for index, word in enumerate(args):
        if word == "packs":
            rest = args[index + 1 : index + 2]
            return f"{GROUP_LABEL} packs list" if rest == ["list"] else f"{GROUP_LABEL} packs"
        if word in ("methods", "quote", "buy", "status", "fake-purchase"):
            return f"{GROUP_LABEL} {word}"
    return GROUP_LABEL


class CreditsGroup(StrictGroup):
    """Refuses payment-credential flags anywhere in the credits command line."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        name = credential_flag_in(args)
        if name is not None:
            raise CommandFailed(
                E.error_result(
                    _guard_label(args),
                    E.PAYMENT_CREDENTIAL_FLAG_REJECTED,
                    credential_message(name),
                    recovery={"docs_url": CREDENTIAL_DOCS_URL},
                )
            )
        return super().parse_args(ctx, args)


def _no_auth_handoff(label: str) -> None:
    """Token flags on no-auth commands: validated, a piped token read and dropped (§5.1)."""
    app = state()
    if app.token_stdin and app.token is not None:
        raise CommandFailed(E.invalid(label, "use either --token or --token-stdin, not both"))
    if app.token_stdin:
        app.read_stdin_token(label)


def _token() -> str:
    resolution = state().resolve_token(group_label())
    assert resolution.token is not None
    return resolution.token


def _compact(result: Result) -> Result:
    data = result.envelope.get("data")
    if isinstance(data, dict):
        result.envelope["data"] = with_checkout_compact_url(data)
    return result


@click.group(
    "credits",
    cls=CreditsGroup,
    unknown=(GROUP_LABEL, UNKNOWN_SUBCOMMAND),
    invoke_without_command=True,
)
@common_options
@click.pass_context
def credits(ctx: click.Context) -> None:
    """Buy credits (1 credit = $0.01): methods, packs, quote, buy, status."""
    if ctx.invoked_subcommand is None:
        raise CommandFailed(E.invalid(GROUP_LABEL, UNKNOWN_SUBCOMMAND))


@credits.command("methods")
@common_options
def credits_methods() -> Result:
    """Payment rails: availability, live money, browser/human needs, next commands."""
    label = f"{GROUP_LABEL} methods"
    _no_auth_handoff(label)
    app = state()
    return app.call(app.client().payment_methods())


@credits.group(
    "packs",
    cls=StrictGroup,
    unknown=(f"{GROUP_LABEL} packs", "credits packs requires the list subcommand"),
    invoke_without_command=True,
)
@common_options
@click.pass_context
def credits_packs(ctx: click.Context) -> None:
    """Credit packs (`credits packs list`)."""
    if ctx.invoked_subcommand is None:
        raise CommandFailed(
            E.invalid(f"{GROUP_LABEL} packs", "credits packs requires the list subcommand")
        )


@credits_packs.command("list")
@common_options
def credits_packs_list() -> Result:
    """The recommended packs and the custom-quote range."""
    label = f"{GROUP_LABEL} packs list"
    _no_auth_handoff(label)
    app = state()
    return app.call(app.client().credit_packs())


@credits.command("quote")
@click.option("--pack", metavar="PACK_ID", help="A pack id from `credits packs list`.")
@click.option("--credits", "credits_", metavar="N", help="An exact number of credits.")
@click.option(
    "--payment-method",
    metavar="METHOD",
    help="stripe_checkout or stripe_x402.exact.usdc (see `credits methods`).",
)
@click.option("--idempotency-key", metavar="KEY", help="Stable key for retries (else generated).")
@common_options
def credits_quote(
    pack: str | None,
    credits_: str | None,
    payment_method: str | None,
    idempotency_key: str | None,
) -> Result:
    """Ask for a bounded quote. A quote never grants credits."""
    label = f"{GROUP_LABEL} quote"
    amount = js_number(credits_) if credits_ is not None else None
    if amount is None and not pack:
        return E.invalid(label, "credits quote requires --pack PACK_ID or --credits N")
    if payment_method is None:
        return E.invalid(
            label,
            "credits quote requires --payment-method: use stripe_x402.exact.usdc or "
            "stripe_checkout as listed by credits methods",
            recovery={
                "required_flag": "--payment-method",
                "suggested_command": state().render(["credits", "methods", "--json"]),
                "docs_url": CREDITS_DOCS_URL,
            },
        )
    if payment_method not in QUOTE_PAYMENT_METHODS:
        return E.invalid(
            label,
            "credits quote supports --payment-method stripe_checkout or stripe_x402.exact.usdc",
        )
    generated = idempotency_key is None
    key = idempotency_key if idempotency_key is not None else new_idempotency_key("quote")
    try:
        token = _token()
    except CommandFailed as exc:
        raise CommandFailed(
            _with_after_auth(exc.result, pack, amount, payment_method, key)
        ) from None
    from image_skill.api.requests import QuoteRequest

    body = QuoteRequest(
        credits=amount, pack_id=pack or None, payment_method=payment_method, idempotency_key=key
    ).to_body()
    app = state()
    result = app.call(app.client(token).credit_quote(body))
    if generated:
        warnings = result.envelope.get("warnings")
        if not isinstance(warnings, list):
            warnings = []
            result.envelope["warnings"] = warnings
        warnings.append(
            f"generated idempotency key {key}; pass --idempotency-key for stable retries"
        )
    return result


def _with_after_auth(
    result: Result, pack: str | None, amount: float | None, method: str, key: str
) -> Result:
    """A token failure of ``credits quote`` with ``error.recovery.after_auth`` (0.1.70 §7.6):
    the same quote, runnable here once a token is given."""
    import os

    from image_skill._js import number_to_string
    from image_skill.cli.quote_auth import TOKEN_ERROR_CODES, after_auth, quote_words
    from image_skill.commands import render
    from image_skill.guide.placeholders import copy_runnable
    from image_skill.reply_commands import reply_context

    error = result.envelope.get("error")
    if not isinstance(error, dict) or error.get("code") not in TOKEN_ERROR_CODES:
        return result
    credits_text = number_to_string(amount) if amount is not None else None
    words = quote_words(pack=pack, credits_text=credits_text, payment_method=method, key=key)
    command = render(words, reply_context(state().command_ctx(), os.environ))
    recovery = error.get("recovery")
    merged = dict(recovery) if isinstance(recovery, dict) else {}
    merged["after_auth"] = after_auth(command, copy_runnable=copy_runnable(command))
    error["recovery"] = merged
    return result


@credits.command("buy")
@click.option("--provider", metavar="PROVIDER", help="stripe (Checkout) or stripe_x402 (USDC).")
@click.option("--quote-id", metavar="QUOTE_ID", help="The quote to pay.")
@click.option("--idempotency-key", metavar="KEY", help="Required: replays, never pays twice.")
@common_options
def credits_buy(provider: str | None, quote_id: str | None, idempotency_key: str | None) -> Result:
    """Start paying a quote: a Checkout link or x402 deposit instructions. Grants nothing."""
    label = f"{GROUP_LABEL} buy"
    app = state()
    if provider not in BUY_PROVIDERS:
        return E.invalid(
            label,
            "credits buy requires --provider stripe_x402 (browserless USDC deposit) or "
            "--provider stripe (human Checkout)",
        )
    assert provider is not None
    if not quote_id:
        return E.invalid(label, "credits buy requires --quote-id")
    token = _token()
    words = ["credits", "buy", "--provider", provider, "--quote-id", quote_id]
    if idempotency_key is None:
        return E.error_result(
            label,
            E.INVALID_ARGUMENTS,
            "credits buy creates or replays a purchase and needs --idempotency-key KEY; reuse "
            "the same key when retrying so a purchase is never made twice",
            recovery={
                "required_flag": "--idempotency-key",
                "suggested_command": app.render([*words, "--idempotency-key", "KEY", "--json"]),
                "docs_url": CREDITS_DOCS_URL,
            },
        )
    from image_skill.api.requests import BuyRequest
    from image_skill.cli._recovery import spend_command
    from image_skill.cli._spend import run_spend

    replay = [*words, "--idempotency-key", idempotency_key, "--json"]
    retry = spend_command(app, replay)
    body = BuyRequest(quote_id=quote_id, idempotency_key=idempotency_key).to_body()
    client = app.client(token)
    result = run_spend(
        app,
        label=label,
        key=idempotency_key,
        words=replay,
        recovery_command=retry,
        send=lambda: app.call(client.credit_buy(provider, body), recovery_command=retry),
    )
    return _compact(result)


@credits.command("status")
@click.option("--quote-id", metavar="QUOTE_ID")
@click.option("--payment-attempt-id", metavar="PAYMENT_ATTEMPT_ID")
@click.option("--checkout-session-id", metavar="CHECKOUT_SESSION_ID")
@click.option("--receipt-id", metavar="RECEIPT_ID")
@common_options
def credits_status(
    quote_id: str | None,
    payment_attempt_id: str | None,
    checkout_session_id: str | None,
    receipt_id: str | None,
) -> Result:
    """Payment state by one reference; with none, the credit balance (quota view)."""
    label = f"{GROUP_LABEL} status"
    try:
        params = status_params(
            {
                "--quote-id": quote_id,
                "--payment-attempt-id": payment_attempt_id,
                "--checkout-session-id": checkout_session_id,
                "--receipt-id": receipt_id,
            }
        )
    except ValueError as exc:
        return E.invalid(label, str(exc))
    token = _token()
    app = state()
    return _compact(app.call(app.client(token).credit_status(params)))


@credits.command("fake-purchase")
@click.option("--quote-id", metavar="QUOTE_ID", help="The quote to settle.")
@click.option("--idempotency-key", metavar="KEY", help="Required: replays the same receipt.")
@common_options
def credits_fake_purchase(quote_id: str | None, idempotency_key: str | None) -> Result:
    """Offline local backend only: settle a quote at once (simulated, no money moves)."""
    label = f"{GROUP_LABEL} fake-purchase"
    if not quote_id:
        return E.invalid(label, "credits fake-purchase requires --quote-id")
    if not idempotency_key:
        return E.invalid(label, "credits fake-purchase requires --idempotency-key KEY")
    app = state()
    token = _token()
    client = app.client(token)
    if not client.in_process:
        health = app.call(client.health())
        data = health.envelope.get("data")
        offline = health.ok and isinstance(data, dict) and data.get("offline") is True
        if not offline:
            return E.error_result(
                label,
                E.PUBLIC_CLI_COMMAND_NOT_AVAILABLE,
                "credits fake-purchase only works against the offline local backend; hosted "
                "credits are bought with credits quote, credits buy and credits status",
                exit_code=2,
                recovery={
                    "suggested_command": app.render(["credits", "methods", "--json"]),
                    "docs_url": C.DOCS_URL + "#image-skill-credits",
                },
            )
    from image_skill.api.requests import BuyRequest

    body = BuyRequest(quote_id=quote_id, idempotency_key=idempotency_key).to_body()
    return app.call(client.credit_fake_purchase(body))


COMMANDS = [credits]
