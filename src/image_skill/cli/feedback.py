"""`image-skill feedback create`: report friction, bugs or wishes to the Image Skill team.

The server redacts secrets before storing anything; the client sends the fields as given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from image_skill import envelope as E
from image_skill.cli._app import CommandFailed, common_options, state
from image_skill.cli._token_first import TokenFirstGroup, require_subcommand
from image_skill.envelope import Result

if TYPE_CHECKING:
    from image_skill.api.requests import FeedbackRequest

GROUP_LABEL = "image-skill feedback"
F = TypeVar("F", bound=Callable[..., Any])

# (click value, body key) of the text fields; unset ones take the model's default or are
# left out of the body.
_FIELDS = (
    ("type_", "type"),
    ("title", "title"),
    ("body", "body"),
    ("severity", "severity"),
    ("confidence", "confidence"),
    ("next_state", "next_state"),
    ("command", "command"),
    ("expected", "expected"),
    ("actual", "actual"),
    ("friction", "friction"),
    ("proof_needed", "proof_needed"),
    ("strategic_reason", "strategic_reason"),
    ("dedupe_key", "dedupe_key"),
    ("source", "source"),
    ("trace_id", "trace_id"),
)


@click.group("feedback", cls=TokenFirstGroup, unknown=(GROUP_LABEL, "feedback requires create"))
@common_options
@click.pass_context
def feedback(ctx: click.Context) -> None:
    """Send feedback about Image Skill (create)."""
    require_subcommand(ctx)


def csv_list(value: str | None, default: list[str]) -> list[str]:
    """Split a comma list, trimming items and dropping empty ones; absent gives ``default``."""
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def feedback_request(flags: dict[str, Any]) -> FeedbackRequest:
    """The `POST /v1/feedback` request from the click values (defaults from the model)."""
    from image_skill.api.requests import FeedbackRequest

    given = {key: flags[flag] for flag, key in _FIELDS if flags.get(flag) is not None}
    surface, evidence = flags.get("surface"), flags.get("evidence")
    return FeedbackRequest(
        **given,
        surface=csv_list(surface, ["cli"]),
        evidence=csv_list(evidence, []),
        allow_weak_signal=bool(flags.get("allow_weak_signal")),
    )


def feedback_body(flags: dict[str, Any]) -> dict[str, Any]:
    """The `POST /v1/feedback` body, keys in the contract's order."""
    return feedback_request(flags).to_body()


def _text(name: str, help_: str) -> Callable[[F], F]:
    return click.option(f"--{name}", metavar="TEXT", help=help_)


@feedback.command("create")
@click.option("--type", "type_", metavar="TYPE", help="Kind of feedback (default user_feedback).")
@_text("title", "One-line summary.")
@_text("body", "Full description.")
@_text("severity", "low, medium (default), high or critical.")
@_text("confidence", "How sure you are: low, medium (default) or high.")
@_text("next-state", "Suggested next state (default watch).")
@_text("command", "The command that was run.")
@_text("expected", "What you expected.")
@_text("actual", "What happened instead.")
@_text("friction", "What got in the way.")
@_text("proof-needed", "What would prove it fixed.")
@_text("strategic-reason", "Why it matters.")
@_text("dedupe-key", "Key that merges repeated reports.")
@_text("source", "Who or what is reporting.")
@_text("trace-id", "trace_id of a related envelope.")
@click.option("--surface", metavar="CSV", help="Affected surfaces, comma separated (default cli).")
@click.option("--evidence", metavar="CSV", help="Evidence items, comma separated.")
@click.option("--allow-weak-signal", is_flag=True, help="Accept a report with little evidence.")
@common_options
def feedback_create(**flags: Any) -> Result:
    """Send one feedback report; --title or --body is required."""
    label = "image-skill feedback create"
    app = state()
    token = app.resolve_token(GROUP_LABEL).token
    if flags.get("title") is None and flags.get("body") is None:
        raise CommandFailed(E.invalid(label, "feedback create requires --title or --body"))
    return app.call(app.client(token).feedback(feedback_body(flags)))


COMMANDS = [feedback]
