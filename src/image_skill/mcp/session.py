"""What one ``mcp serve`` process knows: where the API is, which token it uses, the one API
client, and the assets it has seen (which become resources).

The CLI resolves the base URL and the token once, exactly as for any other command, and
hands the outcome over as :class:`ServerOptions`; nothing here reads flags. Tool failures
are raised as :class:`ToolFailure`, carrying the envelope to reply with.

Standard library only at import time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from image_skill import envelope as E

if TYPE_CHECKING:
    from image_skill.api.client import ImageSkillClient
    from image_skill.api.reply import Reply
    from image_skill.commands import CommandContext

#: The largest image whose bytes a resource read returns (base64 in the reply): 8 MiB.
#: Larger assets, and assets that are not images, are offered as metadata only.
DEFAULT_BYTES_CAP = 8 * 1024 * 1024

#: A spend's operation (``create``, ``edit``) and request body in; the breadcrumb's ``argv``
#: (the CLI words that replay it) and token note out, built by the CLI's own recovery rules.
SpendReplay = Callable[[str, dict[str, Any]], "tuple[list[str], dict[str, str] | None]"]


class ToolFailure(Exception):
    """A tool stops with this envelope as its reply."""

    def __init__(self, envelope: dict[str, Any]) -> None:
        super().__init__(envelope.get("error"))
        self.envelope = envelope


@dataclass(frozen=True)
class ServerOptions:
    """The connection ``mcp serve`` was started with (see :mod:`image_skill.cli.mcp`).

    ``token`` is None when none was found; ``auth_failure`` is then the ``AUTH_REQUIRED``
    envelope the CLI would print, returned by every tool that needs a token.
    """

    base_url: str
    config_path: Path
    token: str | None = None
    token_source: str | None = None
    auth_failure: dict[str, Any] | None = None
    explicit_base_url: str | None = None
    timeout: float | None = None
    allow_private_network: bool = False
    bytes_cap: int = DEFAULT_BYTES_CAP
    spend_replay: SpendReplay | None = None
    #: How the guide's suggested commands start (the CLI's prefix and carried env).
    command_ctx: CommandContext | None = None
    #: How every other command in a reply is rebuilt (our prefix, the explicit
    #: ``--api-base-url``, the carried env; :mod:`image_skill.reply_commands`), and the
    #: command words a rebuilt command may start with. None: replies are relayed as sent.
    reply_ctx: CommandContext | None = None
    command_words: frozenset[str] | None = None


@dataclass
class Session:
    """The state of one server process; tools run in worker threads, so it locks."""

    options: ServerOptions
    _client: ImageSkillClient | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    #: asset id -> the latest metadata seen for it (create, edit, upload, assets_get).
    assets: dict[str, dict[str, Any]] = field(default_factory=dict)

    def client(self) -> ImageSkillClient:
        """The one API client of this process (with the token, when there is one)."""
        with self._lock:
            if self._client is None:
                from image_skill.api.client import ImageSkillClient, LocalBackendUnavailable

                try:
                    self._client = ImageSkillClient(
                        base_url=self.options.base_url,
                        token=self.options.token,
                        timeout=self.options.timeout,
                        allow_private_network=self.options.allow_private_network,
                    )
                except LocalBackendUnavailable as exc:
                    raise ToolFailure(
                        E.failure("image-skill mcp serve", E.LOCAL_BACKEND_UNAVAILABLE, str(exc))
                    ) from None
            return self._client

    def authed(self, label: str) -> ImageSkillClient:
        """The client, or the ``AUTH_REQUIRED`` failure when no token was found."""
        if self.options.token is None:
            failure = dict(self.options.auth_failure or _no_token(label))
            raise ToolFailure(E.with_command(failure, label))
        return self.client()

    def remember(self, data: Any) -> None:
        """Keep the metadata of every asset in a reply's ``data`` (``assets`` or ``asset``)."""
        if not isinstance(data, dict):
            return
        found = list(data.get("assets") or []) if isinstance(data.get("assets"), list) else []
        if isinstance(data.get("asset"), dict):
            found.append(data["asset"])
        with self._lock:
            for asset in found:
                if isinstance(asset, dict) and isinstance(asset.get("asset_id"), str):
                    self.assets[asset["asset_id"]] = dict(asset)

    def known_assets(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(a) for a in self.assets.values()]

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None


def _no_token(label: str) -> dict[str, Any]:
    return E.failure(
        label,
        E.AUTH_REQUIRED,
        "no token was found when the MCP server started; sign up or save a token "
        "(image-skill signup --agent ... or image-skill auth save --token-stdin), then "
        "restart the server",
    )


def finish(reply: Reply, label: str) -> dict[str, Any]:
    """The envelope to reply with: the server's as it came, or the client's own failure
    labelled with the tool's command (the client names the HTTP request instead)."""
    envelope = reply.envelope
    if reply.client_built:
        envelope = E.with_command(dict(envelope), label)
    return envelope


def require_ok(reply: Reply, label: str) -> dict[str, Any]:
    """The envelope of a reply that must be ok, or a :class:`ToolFailure` with it."""
    envelope = finish(reply, label)
    if envelope.get("ok") is not True:
        raise ToolFailure(envelope)
    return envelope
