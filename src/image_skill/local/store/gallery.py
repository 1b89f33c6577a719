"""What the gallery page lists: one organization's jobs, newest first, with their assets.

Every query is scoped by ``organization_id``: the gallery never lists another agent's
jobs or media URLs. Prompts are not stored, so none can be shown.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from image_skill.local.store.assets import asset_public

#: Jobs per gallery page.
PAGE_SIZE = 12


@dataclass(frozen=True)
class GalleryJob:
    job_id: str
    operation: str
    status: str
    model_id: str | None
    created_at: str
    credits_debited: int
    error_code: str | None
    assets: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class GalleryPage:
    jobs: list[GalleryJob]
    page: int
    has_more: bool
    total_jobs: int
    total_assets: int


def gallery_page(
    conn: sqlite3.Connection,
    organization_id: str,
    media_base: str,
    *,
    page: int = 1,
    page_size: int | None = None,
) -> GalleryPage:
    """Page ``page`` (1-based) of the organization's jobs, each with its public assets."""
    page = max(1, page)
    page_size = page_size or PAGE_SIZE
    rows = conn.execute(
        "SELECT job_id, operation, status, model_id, created_at, credits_debited, error_code"
        " FROM jobs WHERE organization_id = ? ORDER BY created_at DESC, rowid DESC"
        " LIMIT ? OFFSET ?",
        (organization_id, page_size + 1, (page - 1) * page_size),
    ).fetchall()
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    by_job: dict[str, list[dict[str, Any]]] = {r["job_id"]: [] for r in rows}
    if by_job:
        marks = ", ".join("?" for _ in by_job)
        for asset in conn.execute(
            f"SELECT * FROM assets WHERE organization_id = ? AND job_id IN ({marks})"
            " ORDER BY created_at, rowid",
            (organization_id, *by_job),
        ):
            by_job[asset["job_id"]].append(asset_public(asset, media_base))
    jobs = [
        GalleryJob(
            job_id=r["job_id"],
            operation=r["operation"],
            status=r["status"],
            model_id=r["model_id"],
            created_at=r["created_at"],
            credits_debited=int(r["credits_debited"]),
            error_code=r["error_code"],
            assets=by_job[r["job_id"]],
        )
        for r in rows
    ]
    totals = conn.execute(
        "SELECT (SELECT COUNT(*) FROM jobs WHERE organization_id = ?),"
        " (SELECT COUNT(*) FROM assets WHERE organization_id = ?)",
        (organization_id, organization_id),
    ).fetchone()
    return GalleryPage(
        jobs=jobs,
        page=page,
        has_more=has_more,
        total_jobs=int(totals[0]),
        total_assets=int(totals[1]),
    )
