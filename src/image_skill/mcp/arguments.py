"""Typed arguments of the MCP tools that only read (the spending tools take the API's own
request models, :mod:`image_skill.mcp.spend_args`).

Each is a frozen standard-library dataclass; :func:`parse` validates a tool call's
arguments with ``pydantic.TypeAdapter`` (unknown keys refused) and :func:`schema` is the
JSON schema the tool advertises, from the same adapter, so the two cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

from pydantic import ConfigDict, Field, TypeAdapter, ValidationError

from image_skill import envelope as E

T = TypeVar("T")

_STRICT = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class GuideArgs:
    """``create --guide`` (or ``edit --guide`` with ``operation: "edit"``)."""

    __pydantic_config__ = _STRICT

    prompt: Annotated[str, Field(description="What to create (may be empty).")] = ""
    model: Annotated[str | None, Field(description="Model id to check.")] = None
    provider: Annotated[str | None, Field(description="Provider id.")] = None
    intent: Annotated[str | None, Field(description="explore, final, ...")] = None
    max_usd_per_image: Annotated[
        float | None, Field(description="Budget per image, in USD, the guide checks against.")
    ] = None
    operation: Literal["create", "edit"] = "create"
    input_reference: Annotated[
        str | None, Field(description="For operation edit: the input asset id or URL.")
    ] = None
    model_parameters: dict[str, Any] | None = None


@dataclass(frozen=True)
class ModelsListArgs:
    """``models list``: the same filters, sent as the same query."""

    __pydantic_config__ = _STRICT

    available: bool = False
    executable: bool = False
    catalog_only: bool = False
    details: Annotated[bool, Field(description="Full rows with every schema.")] = False
    operation: Annotated[str | None, Field(description="e.g. image.generate, image.edit")] = None
    modality: Annotated[str | None, Field(description="image, video, audio or 3d")] = None
    provider: str | None = None
    query: Annotated[str | None, Field(description="Server-side search text.")] = None


@dataclass(frozen=True)
class ModelsShowArgs:
    __pydantic_config__ = _STRICT

    model_id: Annotated[str, Field(min_length=1, description="Model id (see models_list).")]


@dataclass(frozen=True)
class QuotaArgs:
    __pydantic_config__ = _STRICT


@dataclass(frozen=True)
class JobsWaitArgs:
    """``jobs wait``: poll a job until it is completed, failed or canceled."""

    __pydantic_config__ = _STRICT

    job_id: Annotated[str, Field(min_length=1)]
    timeout_ms: Annotated[int, Field(ge=0, le=600000)] = 30000
    poll_interval_ms: Annotated[int, Field(ge=50, le=60000)] = 1000


@dataclass(frozen=True)
class AssetsGetArgs:
    """``assets get``: metadata, and with ``output`` a verified download to that path."""

    __pydantic_config__ = _STRICT

    asset_id: Annotated[str, Field(min_length=1, description="Asset id or owned media URL.")]
    output: Annotated[
        str | None,
        Field(
            description="File, or directory (existing, or ending in /), to download to; "
            "without it only the metadata is returned.",
        ),
    ] = None
    overwrite: Annotated[bool, Field(description="Replace an existing file.")] = False


_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(model: type[Any]) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(model)
    if adapter is None:
        adapter = _ADAPTERS[model] = TypeAdapter(model)
    return adapter


def schema(model: type[Any]) -> dict[str, Any]:
    """The JSON schema of ``model`` (a fresh copy each time)."""
    result: dict[str, Any] = _adapter(model).json_schema()
    return result


def parse(model: type[T], arguments: dict[str, Any] | None, label: str) -> T:
    """``arguments`` validated as ``model``; an ``INVALID_ARGUMENTS`` failure otherwise."""
    from image_skill.mcp.session import ToolFailure

    try:
        value: T = _adapter(model).validate_python(arguments or {})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'arguments'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ToolFailure(
            E.failure(label, E.INVALID_ARGUMENTS, f"invalid tool arguments: {problems}")
        ) from None
    return value
