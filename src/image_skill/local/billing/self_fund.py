"""``next_actions.self_fund`` for read replies (jobs, activity, assets; contract 0.1.70 §8).

The hosted service adds the self-fund handoff to these replies whenever the caller's quota
shows a top-up path; here one always exists (simulated rails), so the action is always
there, with ``recommended`` saying whether to act now. See :mod:`.top_up` for the shape.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from image_skill.local.billing.ledger import quota_snapshot
from image_skill.local.billing.top_up import self_fund, top_up_for_quota
from image_skill.local.settings import LocalSettings
from image_skill.local.store.db import Actor


def self_fund_actions(
    conn: sqlite3.Connection, actor: Actor, settings: LocalSettings, base: str
) -> dict[str, Any]:
    """``{"self_fund": …}`` for ``actor``'s current quota, commands aimed at ``base``."""
    top = top_up_for_quota(quota_snapshot(conn, actor, settings), base)
    return {"self_fund": self_fund(top)} if top["available"] else {}
