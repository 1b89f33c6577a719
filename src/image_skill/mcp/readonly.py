"""The MCP tools that spend nothing: guide, models_list, models_show, quota, jobs_wait and
assets_get. Each takes its typed arguments (:mod:`image_skill.mcp.arguments`) and returns
the envelope the matching command prints (``command`` names that command).

These run in a worker thread (the API client is synchronous).
"""

from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path
from typing import Any

from image_skill import envelope as E
from image_skill.mcp.arguments import (
    AssetsGetArgs,
    GuideArgs,
    JobsWaitArgs,
    ModelsListArgs,
    ModelsShowArgs,
    QuotaArgs,
)
from image_skill.mcp.session import Session, ToolFailure, finish, require_ok

TERMINAL_STATUSES = frozenset({"completed", "failed", "canceled"})


def guide(session: Session, args: GuideArgs) -> dict[str, Any]:
    """The pure guide over the same four reads the CLI's ``create --guide`` makes."""
    from image_skill.guide.build import (
        ConfigWriteStatus,
        GuideInputs,
        build_guide,
        needs_config_probe,
    )
    from image_skill.guide.recovery import detect_runtime
    from image_skill.payments import new_idempotency_key

    label = "image-skill edit --guide" if args.operation == "edit" else "image-skill create --guide"
    options = session.options
    client = session.client()
    health = finish(client.health(), label)
    models = finish(client.models(), label)
    payments = finish(client.payment_methods(), label)
    quota = finish(client.quota(), label) if options.token is not None else None
    config_path = str(options.config_path)
    budget = args.max_usd_per_image
    inputs = GuideInputs(
        prompt=args.prompt,
        model=args.model,
        provider=args.provider,
        intent=args.intent,
        max_usd_per_image=int(budget) if budget is not None and budget.is_integer() else budget,
        api_base_url=options.base_url,
        explicit_api_base_url=options.explicit_base_url,
        health=health,
        models=models,
        payments=payments,
        token_source=options.token_source if options.token is not None else None,
        quota=quota,
        saved_config_path=config_path,
        idempotency_key=new_idempotency_key("create-guide"),
        operation=args.operation,
        input_reference=args.input_reference,
        model_parameters=args.model_parameters,
        runtime=detect_runtime(_environ()),
    )
    if options.command_ctx is not None:
        inputs = dataclasses.replace(inputs, command_ctx=options.command_ctx)
    if needs_config_probe(inputs):
        from image_skill.config import probe_writable_no_create

        reason = probe_writable_no_create(Path(config_path))
        status = ConfigWriteStatus(
            config_path=config_path,
            writable=reason is None,
            error_message=reason,
            parent_path=str(Path(config_path).parent),
        )
        inputs = dataclasses.replace(inputs, config_write=status)
    output = build_guide(inputs)
    return E.success(label, output.data, actor=output.actor)


def _environ() -> dict[str, str]:
    import os

    return dict(os.environ)


def models_list(session: Session, args: ModelsListArgs) -> dict[str, Any]:
    label = "image-skill models list"
    if args.catalog_only and (args.available or args.executable):
        raise ToolFailure(
            E.failure(
                label,
                E.INVALID_ARGUMENTS,
                "models_list catalog_only cannot be combined with available or executable",
            )
        )
    params: list[tuple[str, str]] = []
    for name in ("available", "executable", "catalog_only", "details"):
        if getattr(args, name):
            params.append((name, "true"))
    for name in ("operation", "modality", "provider", "query"):
        value = getattr(args, name)
        if value is not None and value.strip():
            params.append((name, value.strip()))
    return finish(session.client().models(params), label)


def models_show(session: Session, args: ModelsShowArgs) -> dict[str, Any]:
    return finish(session.client().model(args.model_id), "image-skill models show")


def quota(session: Session, _args: QuotaArgs) -> dict[str, Any]:
    """The quota reply with the CLI's ``next_actions.self_fund`` (0.1.70 §7.1)."""
    from image_skill.payments import with_self_fund

    label = "image-skill usage quota"
    envelope = finish(session.authed(label).quota(), label)
    data = envelope.get("data")
    if envelope.get("ok") is True and isinstance(data, dict):
        with_self_fund(data)
    return envelope


def jobs_wait(session: Session, args: JobsWaitArgs) -> dict[str, Any]:
    """Poll ``GET /v1/jobs/{id}`` until the job is terminal, or ``TIMEOUT`` at the deadline."""
    label = "image-skill jobs wait"
    client = session.authed(label)
    deadline = time.monotonic() + args.timeout_ms / 1000
    status: Any = None
    while True:
        envelope = finish(client.job(args.job_id), label)
        if envelope.get("ok") is not True:
            return envelope
        data = envelope.get("data")
        job = data.get("job") if isinstance(data, dict) else None
        status = job.get("status") if isinstance(job, dict) else None
        if status in TERMINAL_STATUSES and isinstance(data, dict):
            request = data.get("request")
            data["request"] = {
                **(request if isinstance(request, dict) else {}),
                "timeout_ms": args.timeout_ms,
                "poll_interval_ms": args.poll_interval_ms,
            }
            session.remember(data)
            return envelope
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        time.sleep(min(args.poll_interval_ms / 1000, remaining))
    recovery: dict[str, Any] = {
        "retry_after_seconds": max(0, math.ceil(args.poll_interval_ms / 1000)),
        "suggested_tool": "jobs_wait",
    }
    if isinstance(status, str):
        recovery["last_status"] = status
    if status == "planned":
        recovery["note"] = (
            "this job is a dry-run plan and never runs; repeat the create or edit without "
            "dry_run to execute it"
        )
    return E.failure(
        label,
        E.TIMEOUT,
        f"job {args.job_id} did not reach a terminal state within {args.timeout_ms}ms",
        retryable=True,
        recovery=recovery,
    )


def asset_metadata(session: Session, reference: str, label: str) -> dict[str, Any]:
    """The ``GET /v1/assets/{id}`` envelope for an asset id or owned media URL."""
    from image_skill.files.refs import recognize_asset_reference

    client = session.client()
    recognized = recognize_asset_reference(reference, client.is_own_url)
    if recognized is None:
        raise ToolFailure(
            E.failure(
                label,
                E.INVALID_ARGUMENTS,
                "assets accepts Image Skill asset ids, media.image-skill.com URLs and media "
                "URLs of the configured API",
            )
        )
    envelope = require_ok(session.authed(label).asset(recognized.asset_id), label)
    session.remember(envelope.get("data"))
    return envelope


def assets_get(session: Session, args: AssetsGetArgs) -> dict[str, Any]:
    """Metadata; with ``output``, the verified download the CLI's ``assets get`` makes."""
    from image_skill.files.downloads import DownloadError, derive_output_path, download_asset
    from image_skill.files.refs import recognize_asset_reference

    label = "image-skill assets get" if args.output is not None else "image-skill assets show"
    envelope = asset_metadata(session, args.asset_id, label)
    if args.output is None:
        return envelope
    data = envelope.get("data")
    asset = data.get("asset", data) if isinstance(data, dict) else None
    url = asset.get("url") if isinstance(asset, dict) else None
    if not isinstance(asset, dict) or not isinstance(url, str) or not url:
        return E.failure(
            label, E.PUBLIC_CLI_FAILED, "the asset metadata has no download url", retryable=True
        )
    target = derive_output_path(asset, args.output, Path.cwd())
    try:
        info = download_asset(
            session.client(),
            asset,
            url,
            target,
            overwrite=args.overwrite,
            timeout=session.options.timeout,
        )
    except DownloadError as exc:
        return exc.to_result(label).envelope
    recognized = recognize_asset_reference(args.asset_id, session.client().is_own_url)
    rebuilt: dict[str, Any] = {
        "request": {
            "reference": args.asset_id,
            "reference_type": recognized.reference_type if recognized else "asset_id",
        },
        "asset": asset,
        "download": info,
    }
    if isinstance(data, dict) and "next_actions" in data:
        rebuilt["next_actions"] = data["next_actions"]
    envelope = E.with_command(envelope, label)
    envelope["data"] = rebuilt
    return envelope
