"""The MCP tools that send a body: create, edit, upload and feedback.

create and edit take the API's own request models (:mod:`image_skill.api.requests`) plus
one argument of ours, ``confirm_spend``. Money rules, the same as the CLI's:

* a live create or edit (``dry_run`` false) runs only with ``confirm_spend: true``; without
  it the tool refuses with ``INVALID_ARGUMENTS`` naming the argument, before any request;
* it always carries an idempotency key: the caller's ``idempotency_key``, else a new one,
  returned in the reply (``idempotency_key`` at the top of the envelope, and a warning), so
  a retry with it is replayed by the server and never debited twice;
* the breadcrumb the CLI writes (:mod:`image_skill.config.inflight`) is written before the
  request, its one ``in_flight`` line goes to stderr, and it is removed only once a
  well-formed reply settles the outcome;
* budget guards (``max_usd``, ``max_estimated_usd_per_image``) travel in the body and the
  server enforces them, as for the CLI.

Uploads and feedback debit nothing and need no confirmation.
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Any

from image_skill import envelope as E
from image_skill.api.requests import CreateRequest, EditRequest, FeedbackRequest
from image_skill.mcp.arguments import parse
from image_skill.mcp.session import Session, ToolFailure, finish

CONFIRM = "confirm_spend"
KEY_WARNING_START = "no idempotency_key given;"


@dataclasses.dataclass(frozen=True)
class UploadArgs:
    """``upload``: what the CLI's ``upload`` takes, a local path or an http(s) URL; the
    ``UploadRequest`` body is built from it by the same code (:mod:`image_skill.files.uploads`).
    """

    __pydantic_config__ = {"extra": "forbid", "use_attribute_docstrings": True}

    input: str
    """Local file path (read by the server process) or http(s) URL of an image."""


def _confirmed(arguments: dict[str, Any], label: str) -> tuple[bool, dict[str, Any]]:
    """``confirm_spend`` (which must be a boolean when given) and the other arguments."""
    rest = dict(arguments)
    value = rest.pop(CONFIRM, False)
    if not isinstance(value, bool):
        raise ToolFailure(E.failure(label, E.INVALID_ARGUMENTS, f"{CONFIRM} must be true or false"))
    return value, rest


def _refusal(tool: str, label: str) -> dict[str, Any]:
    return E.failure(
        label,
        E.INVALID_ARGUMENTS,
        f"{tool} spends credits: call it again with {CONFIRM}: true to run it, or with "
        "dry_run: true to plan it at no cost; nothing was sent",
        recovery={
            "required_argument": CONFIRM,
            "required_value": True,
            "no_spend_alternative": {"dry_run": True},
        },
    )


def create(session: Session, arguments: dict[str, Any]) -> dict[str, Any]:
    label = "image-skill create"
    confirmed, rest = _confirmed(arguments, label)
    request = parse(CreateRequest, rest, label)
    if not request.dry_run and not confirmed:
        return _refusal("create", label)
    if not request.prompt:
        raise ToolFailure(E.failure(label, E.INVALID_ARGUMENTS, "create requires a prompt"))
    if request.aspect_ratio is None:
        request = dataclasses.replace(request, aspect_ratio="1:1")
    if request.dry_run:
        client = session.client() if session.options.token is None else session.authed(label)
        envelope = finish(client.create(request.to_body(), auth=client.token is not None), label)
        session.remember(envelope.get("data"))
        return envelope
    client = session.authed(label)
    request, warnings = _with_key(request, "create")
    return _spend(session, "create", request.to_body(), warnings, lambda body: client.create(body))


def edit(session: Session, arguments: dict[str, Any]) -> dict[str, Any]:
    label = "image-skill edit"
    confirmed, rest = _confirmed(arguments, label)
    request = parse(EditRequest, rest, label)
    if not request.dry_run and not confirmed:
        return _refusal("edit", label)
    if not request.input_asset_id:
        raise ToolFailure(
            E.failure(
                label,
                E.INVALID_ARGUMENTS,
                "edit requires input_asset_id (upload a file or URL with the upload tool first)",
            )
        )
    if request.aspect_ratio is None:
        request = dataclasses.replace(request, aspect_ratio="auto")
    client = session.authed(label)
    if request.dry_run:
        envelope = finish(client.edit(request.to_body()), label)
        session.remember(envelope.get("data"))
        return envelope
    request, warnings = _with_key(request, "edit")
    return _spend(session, "edit", request.to_body(), warnings, lambda body: client.edit(body))


def upload(session: Session, arguments: dict[str, Any]) -> dict[str, Any]:
    from image_skill.envelope import Result
    from image_skill.files.uploads import UPLOAD_LABEL
    from image_skill.files.uploads import upload as send_upload

    args = parse(UploadArgs, arguments, UPLOAD_LABEL)
    client = session.authed(UPLOAD_LABEL)
    result = send_upload(
        client, args.input, finish=lambda reply: Result(finish(reply, UPLOAD_LABEL), 0)
    )
    session.remember(result.data)
    return result.envelope


def feedback(session: Session, arguments: dict[str, Any]) -> dict[str, Any]:
    label = "image-skill feedback create"
    request = parse(FeedbackRequest, arguments, label)
    if request.title is None and request.body is None:
        raise ToolFailure(
            E.failure(label, E.INVALID_ARGUMENTS, "feedback requires a title or a body")
        )
    return finish(session.authed(label).feedback(request.to_body()), label)


def _with_key(request: Any, operation: str) -> tuple[Any, list[str]]:
    if request.idempotency_key is not None:
        return request, []
    from image_skill.payments import SPEND_KEY_BYTES, new_idempotency_key

    key = new_idempotency_key(operation, random_bytes=SPEND_KEY_BYTES)
    warning = (
        f"{KEY_WARNING_START} this {operation} uses {key}. Retry with idempotency_key {key} "
        "so a retry cannot charge twice"
    )
    return dataclasses.replace(request, idempotency_key=key), [warning]


def _spend(
    session: Session,
    operation: str,
    body: dict[str, Any],
    warnings: list[str],
    send: Any,
) -> dict[str, Any]:
    """One live spend under a breadcrumb (see the module docstring)."""
    from image_skill.config import inflight

    label = f"image-skill {operation}"
    key = body["idempotency_key"]
    options = session.options
    if options.spend_replay is not None:
        argv, note = options.spend_replay(operation, body)
    else:
        argv, note = ["--idempotency-key", key, "--json"], None
    crumb = inflight.start(
        key,
        operation=operation,
        argv=argv,
        api_base_url=options.base_url,
        directory=inflight.in_flight_dir(options.config_path),
        token_note=note,
    )
    sys.stderr.write(crumb.notice() + "\n")
    sys.stderr.flush()
    envelope = finish(send(body), label)
    settled = inflight.outcome_known(E.Result(envelope, 0))
    crumb.settle(E.Result(envelope, 0))
    if envelope.get("ok") is not True and settled:
        # Refused for certain (a budget guard, say): nothing was spent, no retry advice.
        warnings = [w for w in warnings if not w.startswith(KEY_WARNING_START)]
    if not settled:
        _retry_advice(envelope, operation, key)
    problem = crumb.warning()
    extra = [*warnings, *([problem] if problem else [])]
    if extra:
        current = envelope.get("warnings")
        envelope["warnings"] = [*(current if isinstance(current, list) else []), *extra]
    envelope["idempotency_key"] = key
    session.remember(envelope.get("data"))
    return envelope


def _retry_advice(envelope: dict[str, Any], operation: str, key: str) -> None:
    """An unknown outcome: say how to find it out without paying twice."""
    error = envelope.get("error")
    if not isinstance(error, dict):
        return
    recovery = error.get("recovery")
    recovery = dict(recovery) if isinstance(recovery, dict) else {}
    recovery["suggested_tool"] = operation
    recovery["retry_arguments"] = {"idempotency_key": key, CONFIRM: True}
    recovery["note"] = (
        f"the outcome is unknown; call {operation} again with the same arguments and this "
        "idempotency_key: the server replays the original result and never charges twice"
    )
    error["recovery"] = recovery
