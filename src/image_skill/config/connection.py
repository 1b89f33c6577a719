"""Pure rules for where requests go and which token may travel with them.

Shared by the CLI and the Python client (:mod:`image_skill.config` applies them to the
environment and the saved config). No I/O.

* :func:`base_url_problem` / :class:`InvalidBaseUrl`: a usable API base URL is an http(s)
  URL with a host, or the alias ``local`` (the in-process offline backend).
* :func:`same_backend`: whether two base URLs name the same server (scheme and host case,
  a default port and a trailing slash do not matter), so a token saved for one is never
  sent to another.
* :func:`token_problem` / :class:`InvalidToken`: a token goes into an HTTP header, so it
  must be printable ASCII with no whitespace; checked before any request is built, so a
  pasted placeholder (``isk_r_…``) is a clear error instead of an encoding error from deep
  inside the HTTP library.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from image_skill import _constants as C

__all__ = [
    "MAX_TOKEN_CHARS",
    "InvalidBaseUrl",
    "InvalidToken",
    "base_url_problem",
    "check_token",
    "resolve_base_url",
    "same_backend",
    "token_problem",
]

#: The longest token accepted (real ones are well under 100 characters).
MAX_TOKEN_CHARS = 4096

_DEFAULT_PORTS = {"http": 80, "https": 443}


class InvalidBaseUrl(ValueError):
    """An explicitly given API base URL that cannot be used (``source`` names where from)."""

    def __init__(self, source: str, value: str, problem: str) -> None:
        super().__init__(
            f"{source} {value!r} is not usable: {problem}; give an http(s) URL with a host, "
            f"or {C.LOCAL_BASE_URL_ALIAS!r} for the in-process local backend"
        )
        self.source = source
        self.value = value
        self.problem = problem


class InvalidToken(ValueError):
    """A token that cannot be sent: not printable ASCII, holding whitespace, or too long.

    ``source`` says where it came from (``"argument"``, ``"env"``, ``"config"``, ...);
    the token itself is never part of the message.
    """

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(
            f"the token ({source}) cannot be used: {problem}; an Image Skill token is "
            "printable ASCII with no spaces (paste the real token, not a placeholder)"
        )
        self.source = source
        self.problem = problem


def base_url_problem(value: str) -> str | None:
    """Why ``value`` is not a usable API base URL, or None (``local`` is one)."""
    if value == C.LOCAL_BASE_URL_ALIAS:
        return None
    if not value.strip():
        return "it is empty"
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in value):
        return "it contains a control character (such as a newline)"
    if any(char.isspace() for char in value):
        return "it contains whitespace"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return "it is not a valid URL"
    if parts.scheme.lower() not in ("http", "https"):
        return "it is not an http or https URL"
    if not parts.hostname:
        return "it has no host"
    return None


def resolve_base_url(flag: str | None, env: Mapping[str, str] | None = None) -> str:
    """`--api-base-url` > `IMAGE_SKILL_API_BASE_URL` > the hosted default (no saved config:
    :func:`image_skill.config.resolve_api_base_url` adds it).

    An explicit ``flag`` must be usable (an empty one is an error, never "use the default":
    that would send the saved token to the hosted API). An empty or blank environment
    variable counts as unset, like an empty ``XDG_CONFIG_HOME``; any other unusable value is
    an error too. Raises :class:`InvalidBaseUrl`.
    """
    env = os.environ if env is None else env
    if flag is not None:
        problem = base_url_problem(flag)
        if problem is not None:
            raise InvalidBaseUrl("the API base URL", flag, problem)
        return flag
    value = env.get(C.BASE_URL_ENV)
    if value is not None and value.strip():
        problem = base_url_problem(value)
        if problem is not None:
            raise InvalidBaseUrl(C.BASE_URL_ENV, value, problem)
        return value
    return C.DEFAULT_BASE_URL


def _backend_key(url: str) -> str:
    if url == C.LOCAL_BASE_URL_ALIAS:
        return url
    try:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        port = parts.port if parts.port is not None else _DEFAULT_PORTS.get(scheme)
        host = (parts.hostname or "").lower()
    except ValueError:
        return url
    return f"{scheme}://{host}:{port}{parts.path.rstrip('/')}"


def same_backend(first: str, second: str) -> bool:
    """Whether two base URLs name the same server and path."""
    return _backend_key(first) == _backend_key(second)


def token_problem(token: str) -> str | None:
    """Why ``token`` cannot go into an Authorization header, or None.

    An empty token is no problem here (it is sent, and the server answers AUTH_REQUIRED,
    as the npm client does for ``--token ""``).
    """
    if len(token) > MAX_TOKEN_CHARS:
        return f"it is {len(token)} characters long (at most {MAX_TOKEN_CHARS})"
    for index, char in enumerate(token):
        if "\x21" <= char <= "\x7e":
            continue
        if char.isspace():
            kind = "whitespace"
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            kind = "a control character"
        else:
            kind = "a non-ASCII character"
        return f"it contains {kind} (U+{ord(char):04X}) at position {index}"
    return None


def check_token(token: str, source: str) -> str:
    """``token`` unchanged when it can be sent; else raises :class:`InvalidToken`."""
    if not isinstance(token, str):
        raise InvalidToken(source, f"it is {type(token).__name__}, not a string")
    problem = token_problem(token)
    if problem is not None:
        raise InvalidToken(source, problem)
    return token
