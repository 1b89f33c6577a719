"""image-skill: command-line and Python client for the Image Skill creative-media API.

This module is the composition root: it registers the ``local`` base-URL alias (the
offline backend, in-process) with the API client's transport registry, importing the
backend only when a client first asks for it, so :mod:`image_skill.api` never imports
:mod:`image_skill.local`.
"""

from __future__ import annotations

from image_skill._constants import CONTRACT_VERSION, LOCAL_BASE_URL_ALIAS, __version__
from image_skill.api.transports import register_transport

# No `typing` import at run time: the CLI's entry point passes through here before it can
# install its signal handling, so this module must stay as quick to import as possible.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    import httpx

    from image_skill.api.client import ImageSkillClient
    from image_skill.api.reply import Reply, ReplyError
    from image_skill.config.connection import InvalidToken

__all__ = [
    "CONTRACT_VERSION",
    "ImageSkillClient",
    "InvalidToken",
    "Reply",
    "ReplyError",
    "__version__",
]


def _local_transport() -> httpx.BaseTransport:
    """The in-process transport of the offline backend (ImportError without the extra)."""
    from image_skill.local import make_in_process_transport, require_extra

    require_extra()
    transport: httpx.BaseTransport = make_in_process_transport()
    return transport


register_transport(LOCAL_BASE_URL_ALIAS, _local_transport)


def __getattr__(name: str) -> Any:
    # Lazy so that `import image_skill` (and so `image-skill version`) stays cheap.
    if name == "ImageSkillClient":
        from image_skill.api.client import ImageSkillClient

        return ImageSkillClient
    if name in ("Reply", "ReplyError"):
        from image_skill.api import reply

        return getattr(reply, name)
    if name == "InvalidToken":
        from image_skill.config.connection import InvalidToken

        return InvalidToken
    raise AttributeError(name)
