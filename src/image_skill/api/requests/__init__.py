"""Typed request bodies, shared by the CLI (which builds them) and the local backend (which
validates them).

One class per JSON body the client sends: create, edit, upload, credit quote, credit buy,
feedback, signup and claim. Field names, types and optionality follow the contract; field
order is the order of the keys on the wire, and :meth:`to_body` gives the exact JSON object
the CLI sends (unset optional fields are left out, as the npm client leaves them out).

Why plain dataclasses and not pydantic models: the CLI builds these bodies on every call and
must not import pydantic (it costs about 160 ms of start-up, see the import-budget test). A
stdlib dataclass with a plain-dict ``__pydantic_config__`` costs nothing to import, yet
pydantic validates it as it would a model: the backend runs
``pydantic.TypeAdapter(CreateRequest)`` over each body (``extra: "forbid"`` refuses unknown
keys) and ``TypeAdapter(CreateRequest).json_schema()`` is the schema the OpenAPI document and
the MCP server publish. Standard library only at import time.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from image_skill.api.requests._body import RequestBody
    from image_skill.api.requests.account import (
        DISCOVERY_SOURCE_PATTERN,
        EMAIL_PATTERN,
        MAX_SIGNUP_TEXT,
        BuyRequest,
        ClaimRequest,
        FeedbackRequest,
        QuoteRequest,
        SignupRequest,
    )
    from image_skill.api.requests.edit import EditRequest
    from image_skill.api.requests.jobs import CreateRequest, Reference
    from image_skill.api.requests.upload import UploadMetadata, UploadRequest

__all__ = [
    "DISCOVERY_SOURCE_PATTERN",
    "EMAIL_PATTERN",
    "MAX_SIGNUP_TEXT",
    "REQUEST_MODELS",
    "BuyRequest",
    "ClaimRequest",
    "CreateRequest",
    "EditRequest",
    "FeedbackRequest",
    "QuoteRequest",
    "Reference",
    "RequestBody",
    "SignupRequest",
    "UploadMetadata",
    "UploadRequest",
]

#: Where each name lives. A name loads its module on first use (PEP 562), so ``create``
#: builds only its own body classes, not the edit, upload and account ones (each stdlib
#: dataclass costs start-up time to build).
_HOMES = {
    "RequestBody": "_body",
    **dict.fromkeys(
        (
            "DISCOVERY_SOURCE_PATTERN",
            "EMAIL_PATTERN",
            "MAX_SIGNUP_TEXT",
            "BuyRequest",
            "ClaimRequest",
            "FeedbackRequest",
            "QuoteRequest",
            "SignupRequest",
        ),
        "account",
    ),
    "CreateRequest": "jobs",
    "Reference": "jobs",
    "EditRequest": "edit",
    "UploadMetadata": "upload",
    "UploadRequest": "upload",
}


def _request_models() -> dict[str, type[RequestBody]]:
    """Every request class, by the name the OpenAPI document and the MCP server use."""
    from image_skill.api.requests import account, edit, jobs, upload

    return {
        cls.__name__: cls
        for cls in (
            jobs.CreateRequest,
            edit.EditRequest,
            upload.UploadRequest,
            account.QuoteRequest,
            account.BuyRequest,
            account.FeedbackRequest,
            account.SignupRequest,
            account.ClaimRequest,
            jobs.Reference,
        )
    }


def __getattr__(name: str) -> object:
    if name == "REQUEST_MODELS":
        value: object = _request_models()
    elif name in _HOMES:
        import importlib

        value = getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


if TYPE_CHECKING:
    REQUEST_MODELS: dict[str, type[RequestBody]] = _request_models()
