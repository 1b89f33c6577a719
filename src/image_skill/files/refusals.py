"""The recovery block of a URL the network policy refused, shared by URL inputs and asset
downloads (nothing connected to the refused address)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from image_skill._constants import ALLOW_PRIVATE_NETWORK_ENV, ALLOW_PRIVATE_NETWORK_FLAG

if TYPE_CHECKING:
    from image_skill.api.netpolicy import DestinationRefused


def refusal_recovery(
    exc: DestinationRefused, *, opt_in_fix: str, refused_fix: str
) -> dict[str, Any]:
    """Where the refused URL pointed, and the fix: ``opt_in_fix`` (with the opt-in flag and
    variable named) when ``--allow-private-network`` would allow it, else ``refused_fix``."""
    recovery: dict[str, Any] = {
        "refused_host": exc.host,
        "refused_address": exc.address,
        "address_class": exc.address_class,
    }
    if exc.allowed_with_opt_in:
        recovery["fix"] = opt_in_fix
        recovery["opt_in_flag"] = ALLOW_PRIVATE_NETWORK_FLAG
        recovery["opt_in_env"] = ALLOW_PRIVATE_NETWORK_ENV
    else:
        recovery["fix"] = refused_fix
    return recovery
