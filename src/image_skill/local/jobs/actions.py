"""``next_actions`` of a successful create/edit reply (contract 0.1.70 §7.9).

* ``inspect_job`` / ``inspect_asset``: no-spend commands that show the job and its first
  asset again (what to run after an interruption or to check the result);
* ``iterate_edit``: an edit of the first image asset, with the prompt left to fill in
  (``PROMPT``; its ``command_copy_runnable`` is false);
* ``self_fund``: the top-up handoff of :mod:`..billing.top_up`, and with it the top-level
  ``self_fund_next_command`` when a top-up is recommended now.

The inner shapes of the first three are not fixed by the public docs; each is an object
with ``purpose``, the id it is about and a ``command``. Pure.
"""

from __future__ import annotations

from typing import Any

from image_skill.local.billing.top_up import self_fund, self_fund_next
from image_skill.local.cli_commands import cli_command

PROMPT_PLACEHOLDER = {"token": "PROMPT", "description": "real creative prompt", "required": True}


def _action(purpose: str, key: str, value: str, command: str, *, no_spend: bool) -> dict[str, Any]:
    return {
        "purpose": purpose,
        key: value,
        "command": command,
        "command_copy_runnable": True,
        "no_spend": no_spend,
    }


def reply_actions(
    job_id: str, assets: list[dict[str, Any]], top_up: dict[str, Any], base: str
) -> dict[str, Any]:
    """``{"next_actions": …}`` plus, when recommended, ``self_fund_next_command(_effect)``."""
    actions: dict[str, Any] = {
        "inspect_job": _action(
            "inspect_job",
            "job_id",
            job_id,
            cli_command(base, ["jobs", "show", job_id, "--json"]),
            no_spend=True,
        )
    }
    if assets:
        asset_id = str(assets[0]["asset_id"])
        actions["inspect_asset"] = _action(
            "inspect_asset",
            "asset_id",
            asset_id,
            cli_command(base, ["assets", "show", asset_id, "--json"]),
            no_spend=True,
        )
    image = next((a for a in assets if str(a.get("mime_type", "")).startswith("image/")), None)
    if image is not None:
        edit = cli_command(
            base, ["edit", "--input", str(image["asset_id"]), "--prompt", "PROMPT", "--json"]
        )
        actions["iterate_edit"] = {
            **_action("iterate_edit", "asset_id", str(image["asset_id"]), edit, no_spend=False),
            "command_copy_runnable": False,
            "placeholders": [dict(PROMPT_PLACEHOLDER)],
        }
    out: dict[str, Any] = {"next_actions": actions}
    if top_up.get("available") is True:
        actions["self_fund"] = self_fund(top_up)
        out.update(self_fund_next(actions["self_fund"]))
    return out
