"""Markup of the gallery: one agent's recent jobs with image previews and audio players.

Images get an ``<img>`` and audio an ``<audio controls>`` pointing at the asset's media
URL; video (Motion-JPEG MP4, which browsers do not play) and 3D (GLB) files are links.
The login pages explain how to get a link, with the command aimed at this backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from image_skill.local.pages.html import (
    code,
    command_block,
    definitions,
    document,
    para,
    plural,
    post_button,
    size,
)
from image_skill.local.store.gallery import GalleryJob, GalleryPage

TITLE = "Image Skill gallery"


@dataclass(frozen=True)
class Viewer:
    """The signed-in agent, as shown in the page header."""

    agent_name: str
    actor_id: str
    organization_id: str
    total_balance: int
    paid_balance: int
    free_balance: int


def _dims(asset: dict[str, Any]) -> str:
    parts = [escape(str(asset["mime_type"])), size(int(asset["content_length"]))]
    if asset.get("width") and asset.get("height"):
        parts.append(f"{asset['width']}×{asset['height']}")
    if asset.get("duration_seconds") is not None:
        parts.append(f"{float(asset['duration_seconds']):.1f} s")
    return " · ".join(parts)


def asset_markup(asset: dict[str, Any]) -> str:
    """One asset card: a preview for images, a player for audio, a link for the rest."""
    url = escape(str(asset["url"]), quote=True)
    asset_id = escape(str(asset["asset_id"]), quote=True)
    mime = str(asset["mime_type"])
    major = mime.partition("/")[0]
    if major == "image":
        size_attrs = ""
        if asset.get("width") and asset.get("height"):
            size_attrs = f" width={int(asset['width'])} height={int(asset['height'])}"
        preview = f"<a href='{url}'><img src='{url}' alt='{asset_id}'{size_attrs}></a>"
    elif major == "audio":
        preview = f"<audio controls preload=metadata src='{url}'></audio>"
    else:
        kind = {"video": "video", "model": "3D model"}.get(major, "file")
        preview = f"<a href='{url}' download>Download the {kind}</a>"
    return (
        f"<figure class=asset data-asset-id='{asset_id}' data-kind={escape(major)}>{preview}"
        f"<figcaption><a href='{url}'>{code(asset['asset_id'])}</a>"
        f"<div class=meta>{_dims(asset)}</div></figcaption></figure>"
    )


def _job_markup(job: GalleryJob) -> str:
    status = escape(job.status)
    facts = [job.operation, job.model_id or "no model", job.created_at]
    if job.credits_debited:
        facts.append(f"{job.credits_debited} credits")
    if job.error_code:
        facts.append(job.error_code)
    assets = "".join(asset_markup(a) for a in job.assets)
    if not assets and job.status == "planned":
        assets = para("Dry run: planned only, nothing was made.")
    return (
        f"<li class=job data-job-id='{escape(job.job_id, quote=True)}'>"
        f"<div>{code(job.job_id)} <strong class=status-{status}>{status}</strong> "
        f"<span class=meta>{escape(' · '.join(facts))}</span></div>"
        f"<div class=assets>{assets}</div></li>"
    )


def _pager(page: GalleryPage) -> str:
    links = []
    if page.page > 1:
        links.append(f"<a href='/?page={page.page - 1}' rel=prev>Newer</a>")
    if page.has_more:
        links.append(f"<a href='/?page={page.page + 1}' rel=next>Older</a>")
    return f"<nav>{''.join(links)}</nav>" if links else ""


def gallery_page(viewer: Viewer, page: GalleryPage) -> str:
    header = (
        "<div class=bar>"
        + definitions(
            [
                ("Agent", f"{escape(viewer.agent_name)} {code(viewer.actor_id)}"),
                (
                    "Credits",
                    f"<span id=balance>{viewer.total_balance}</span> "
                    f"({viewer.paid_balance} paid, {viewer.free_balance} free)",
                ),
                (
                    "Made here",
                    f"{plural(page.total_jobs, 'job')}, {plural(page.total_assets, 'file')}",
                ),
            ]
        )
        + post_button("/logout", "Log out", name="logout")
        + "</div>"
    )
    if page.jobs:
        jobs = "<ul class=jobs>" + "".join(_job_markup(j) for j in page.jobs) + "</ul>"
    elif page.page > 1:
        jobs = para("No older jobs.")
    else:
        jobs = para("Nothing made yet: run image-skill create, and the result shows up here.")
    return document(TITLE, header + jobs + _pager(page), narrow=False)


def signed_out_page(command: str) -> str:
    """``/`` without a session: how to get a login link."""
    body = (
        para(
            "This page shows what an agent made on this local backend. To open it, ask for "
            "a one-time login link from the agent's terminal:"
        )
        + command_block(command)
        + para(
            "and open the URL it prints (data.url) in this browser within five minutes. "
            "The link works once and holds no token. If you just opened one from another "
            "site, reload this page."
        )
    )
    return document(TITLE, body)


_REFUSED = {
    "used": ("Login link already used", "This login link has already been used."),
    "expired": ("Login link expired", "This login link has expired."),
    "unknown": ("Login link not valid", "This login link is unknown or no longer valid."),
}


def link_refused_page(reason: str, command: str) -> str:
    title, text = _REFUSED.get(reason, _REFUSED["unknown"])
    body = para(
        text + " Links work once, for five minutes. Ask for a new one with:"
    ) + command_block(command)
    return document(title, body)
