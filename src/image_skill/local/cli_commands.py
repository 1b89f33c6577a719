"""Shell commands the local backend hands out, aimed at the backend that answered.

The hosted service writes plain ``image-skill ...`` commands. An agent rehearsing offline
reaches this backend in-process (``--api-base-url local``) or over HTTP
(``image-skill local serve``), so a bare command, run as printed, would talk to the hosted
API instead. Every command in a local reply is therefore rendered by :func:`cli_command`
with an explicit ``--api-base-url``:

* ``local`` when the request came through the in-process transport (its base URL is
  :data:`image_skill._constants.IN_PROCESS_ORIGIN`);
* the request's public base URL (``http://127.0.0.1:8787``) when it was served over HTTP.

The leading program word stays ``image-skill`` (clients swap it for their own prefix), the
flag goes before a trailing ``--json`` (or at the end), and every word goes through
``shlex.quote``, so upper-case placeholders such as ``QUOTE_ID`` stay bare.

Pure: no FastAPI. Route handlers get the base with ``deps.cli_base_of(request)`` and pass
it down; :func:`cli_base` accepts a raw request base URL as well.
"""

from __future__ import annotations

import functools
import shlex
from collections.abc import Sequence

from image_skill._constants import IN_PROCESS_ORIGIN

PROGRAM = "image-skill"
API_BASE_URL_FLAG = "--api-base-url"
JSON_FLAG = "--json"
IN_PROCESS_BASE = "local"


def cli_base(request_base_url: str) -> str:
    """The ``--api-base-url`` value naming the backend a request reached.

    ``local`` for the in-process origin (and for ``local`` itself), else the URL without a
    trailing slash.
    """
    base = request_base_url.strip().rstrip("/")
    if base in (IN_PROCESS_ORIGIN.rstrip("/"), IN_PROCESS_BASE):
        return IN_PROCESS_BASE
    return base


def _has_base_flag(words: Sequence[str]) -> bool:
    return any(w == API_BASE_URL_FLAG or w.startswith(API_BASE_URL_FLAG + "=") for w in words)


def cli_command(base: str, command: str | Sequence[str]) -> str:
    """``image-skill WORDS --api-base-url BASE [--json]`` as shell text.

    ``command`` is either shell text (``"image-skill models show local.image --json"``,
    split with ``shlex.split``) or a list of words; a leading ``image-skill`` word is
    optional. ``base`` is a request base URL or ``local`` (see :func:`cli_base`). A command
    that already names an ``--api-base-url`` keeps its own.
    """
    if isinstance(command, str):
        return _render_text(base, command)
    return _render_words(base, tuple(command))


@functools.lru_cache(maxsize=2048)
def _render_text(base: str, command: str) -> str:
    """:func:`cli_command` of shell text, cached: replies hand out the same few commands
    again and again, and ``shlex.split`` costs far more than the lookup (strings in, a
    string out, so a cached result can never be changed by a caller)."""
    return _render(base, shlex.split(command))


@functools.lru_cache(maxsize=2048)
def _render_words(base: str, words: tuple[str, ...]) -> str:
    """:func:`cli_command` of a list of words, cached as :func:`_render_text` (every
    create/edit reply renders the same two quote commands)."""
    return _render(base, list(words))


def _render(base: str, words: list[str]) -> str:
    if words and words[0] == PROGRAM:
        words = words[1:]
    if not _has_base_flag(words):
        flag = [API_BASE_URL_FLAG, cli_base(base)]
        if words and words[-1] == JSON_FLAG:
            words[-1:-1] = flag
        else:
            words.extend(flag)
    return " ".join([PROGRAM, *(shlex.quote(word) for word in words)])


def render_recovery(base: str, recovery: dict[str, object] | None) -> dict[str, object] | None:
    """``recovery`` with its ``suggested_command(s)`` rendered by :func:`cli_command`.

    For the pure registry modules, which state commands as plain ``image-skill ...`` text
    and leave the HTTP-facing conversion (which knows the request) to aim them.
    """
    if recovery is None:
        return None
    out = dict(recovery)
    single = out.get("suggested_command")
    if isinstance(single, str):
        out["suggested_command"] = cli_command(base, single)
    several = out.get("suggested_commands")
    if isinstance(several, list):
        out["suggested_commands"] = [
            cli_command(base, item) if isinstance(item, str) else item for item in several
        ]
    return out
