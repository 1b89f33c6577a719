"""Where a client sends its requests and with which token, found as the CLI finds them.

:func:`resolve_connection` applies :mod:`image_skill.config`'s resolvers (the same ones the
CLI uses) to the arguments of :class:`~image_skill.api.client.ImageSkillClient`: an explicit
``base_url`` or ``token`` wins; left out, they come from the environment and the saved
config, and a saved token only for the base URL it was saved for.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from pathlib import Path
from typing import Final, NamedTuple

from image_skill.config import config_path as default_config_path
from image_skill.config import probe_writable, resolve_api_base_url, resolve_token, save_token
from image_skill.config.connection import check_token

__all__ = [
    "FROM_ENVIRONMENT",
    "Connection",
    "FromEnvironment",
    "resolve_connection",
    "save_for",
]


class FromEnvironment(enum.Enum):
    """The type of :data:`FROM_ENVIRONMENT`."""

    FROM_ENVIRONMENT = "from the environment or the saved config"


#: The default of ``token=``: look for one as the CLI does (environment, saved config).
FROM_ENVIRONMENT: Final = FromEnvironment.FROM_ENVIRONMENT


class Connection(NamedTuple):
    base_url: str
    #: "argument" | "env" | "config" | "default"
    base_url_source: str
    token: str | None
    #: "argument" | "env" | "config" | None
    token_source: str | None
    #: The base URL of a saved token that was not used because it belongs to another one.
    withheld_token_base_url: str | None


def resolve_connection(
    base_url: str | None,
    token: str | None | FromEnvironment,
    *,
    config_path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Connection:
    """Resolve a client's base URL and token. Raises ``InvalidBaseUrl`` or ``InvalidToken``
    (both ``ValueError``), and ``ConfigError`` when a corrupt saved config is consulted."""
    path = Path(config_path) if config_path is not None else None
    where = resolve_api_base_url(base_url, env=env, path=path, explicit_source="argument")
    if not isinstance(token, FromEnvironment):
        source = None if token is None else "argument"
        if token is not None:
            check_token(token, "argument")
        return Connection(where.url, where.source, token, source, None)
    found = resolve_token(
        stdin_token=None, flag_token=None, env=env, path=path, api_base_url=where.url
    )
    if found.token is not None:
        check_token(found.token, str(found.source))
    return Connection(where.url, where.source, found.token, found.source, found.withheld_for)


def save_for(base_url: str, token: str, config_path: str | Path | None = None) -> Path:
    """Write the config file (the same shape the CLI and the npm client write) holding
    ``token`` for ``base_url``. Raises ``ConfigWriteError`` when it cannot be written."""
    path = Path(config_path) if config_path is not None else default_config_path()
    probe_writable(path)
    save_token(path, token, base_url)
    return path
