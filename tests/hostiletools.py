"""Hostile input for the reliability properties: argv built from the real click tree, random
server replies (as :class:`faults.Fault`), and a guard that keeps every connection on
loopback. The runners are in :mod:`hostileruns`.

Used by ``tests/reliability`` (small example counts) and ``benchmarks/reliability.py``
(bigger ones). Values never name ``/dev`` files, FIFOs or non-loopback hosts: the in-process
runs must not block, eat memory or reach the network whatever the code under test does (the
blocking inputs of issue 8 point 9 are run in subprocesses with limits instead).
"""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import click
from hypothesis import strategies as st

from faults import Fault

#: Options every command accepts; the builders set these themselves.
COMMON_OPTIONS = frozenset(
    {"--json", "--human", "--api-base-url", "--token", "--token-stdin", "--timeout"}
)
#: Placeholder replaced by the fault server's URL when an argv is run.
FAULT_URL = "{FAULT_URL}"


@dataclass(frozen=True)
class OptionSpec:
    flag: str
    is_flag: bool
    multiple: bool


@dataclass(frozen=True)
class CommandSpec:
    words: tuple[str, ...]
    options: tuple[OptionSpec, ...]
    positionals: int  # how many positional parameters (nargs=-1 counts as one)

    @property
    def name(self) -> str:
        return " ".join(self.words)


def command_specs() -> list[CommandSpec]:
    """Every leaf command of the real CLI with its own options (common ones excluded)."""
    from image_skill.cli import root

    specs: list[CommandSpec] = []

    def walk(command: click.Command, words: tuple[str, ...]) -> None:
        if isinstance(command, click.Group):
            for name, sub in sorted(command.commands.items()):
                walk(sub, (*words, name))
            return
        options = tuple(
            OptionSpec(p.opts[0], bool(p.is_flag), bool(p.multiple))
            for p in command.params
            if isinstance(p, click.Option) and p.opts[0] not in COMMON_OPTIONS
        )
        positionals = sum(isinstance(p, click.Argument) for p in command.params)
        specs.append(CommandSpec(words, options, positionals))

    walk(root, ())
    return specs


# ---------------------------------------------------------------------------- values

DEEP_ARRAY = "[" * 60_000 + "]" * 60_000
DEEP_OBJECT = '{"a":' * 20_000 + "1" + "}" * 20_000
SPECIAL_VALUES = (
    "",
    " ",
    "-",
    "--",
    "-1",
    "0",
    "1",
    "2",
    "4",
    "1.5",
    "1e400",
    "-1e400",
    "nan",
    "inf",
    "0x10",
    "9" * 5000,
    "a" * 5000,
    "x/" * 3000,
    "{}",
    "[]",
    "null",
    "true",
    '{"seed": 1}',
    '{"a": "\\ud800"}',
    '"\\udfff"',
    '{"a": 1e999999}',
    DEEP_ARRAY,
    DEEP_OBJECT,
    "image_abc",
    "image_abc@1",
    "image_abc@" + "9" * 5000,
    "image_abc@1:ip",
    "image_abc@0:zz",
    "photo.png@2:style",
    "a:b@c",
    "job_abc",
    "payatt_x",
    "quote_x",
    "starter-500",
    "stripe",
    "stripe_x402",
    "local.image",
    "1:1",
    "16:9",
    "0:0",
    "explore",
    "missing.png",
    "./missing/dir/",
    ".",
    "..",
    "~",
    "~/out.png",
    "/proc/nonexistent/x.png",
    "/nonexistent-dir/x.png",
    FAULT_URL + "/a/image_abc.png",
    FAULT_URL + "/x?y=$(id)",
    "a\nb",
    "line\r\n",
    "\t",
    "é",
    "🙂",
    "$(touch pwned)",
    "`id`",
    "'; rm -rf x; '",
    "\udcff",  # an undecodable argv byte (surrogateescape)
    "--json",
    "--help",
    "-h",
    "--unknown-flag",
)
_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
    max_size=24,
)
VALUES = st.one_of(st.sampled_from(SPECIAL_VALUES), _TEXT)
#: Ports ``local serve`` can never bind, so its fuzzing never starts a server.
BAD_PORTS = ("-1", "65536", "70000", "abc", "", "1e400", "9" * 5000, "0x50")


@st.composite
def argv_for(draw: st.DrawFn, spec: CommandSpec) -> list[str]:
    """``spec``'s words followed by a random mix of its options, values and stray words."""
    words: list[str] = list(spec.words)
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.integers(0, 9))
        if kind <= 5 and spec.options:
            option = draw(st.sampled_from(spec.options))
            words.append(option.flag)
            if not option.is_flag and draw(st.integers(0, 15)) > 0:
                words.append(draw(VALUES))
        elif kind <= 7:
            words.append(draw(VALUES))
        elif kind == 8:
            words += ["--timeout", draw(VALUES)]
        else:
            words.append(draw(st.sampled_from(["--", "--json", "--token-stdin", "-x"])))
    if spec.words == ("local", "serve"):
        words += ["--port", draw(st.sampled_from(BAD_PORTS))]
    return [w for w in words if w != "--human"]


def fill(argv: list[str], fault_url: str) -> list[str]:
    return [word.replace(FAULT_URL, fault_url) for word in argv]


# ---------------------------------------------------------------------------- replies

EXIT_HEADER = "x-image-skill-exit-code"
_JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
_JSON = st.recursive(
    _JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=8,
)
_OK_VALUES = st.one_of(
    st.booleans(), st.sampled_from(["false", "true", "yes", 1, 0, None, [], {}]), _JSON
)


@st.composite
def reply_bodies(draw: st.DrawFn) -> bytes:
    """Envelope-like JSON (with hostile ``ok``/``error``), other JSON, and non-JSON bytes."""
    kind = draw(st.integers(0, 5))
    if kind <= 2:
        body: dict[str, Any] = {
            "ok": draw(_OK_VALUES),
            "command": draw(st.sampled_from(["image-skill create", 7, None])),
            "trace_id": "trace_0000000000000000",
            "actor": None,
            "data": draw(_JSON),
            "warnings": draw(st.sampled_from([[], ["w"], "not a list", None])),
            "error": draw(
                st.one_of(
                    st.none(),
                    st.sampled_from(["boom", 1, []]),
                    st.fixed_dictionaries(
                        {
                            "code": st.sampled_from(["X_FAILED", "", 5, None]),
                            "message": st.sampled_from(["m", None]),
                            "retryable": st.sampled_from([True, False, "no", None]),
                        },
                        optional={
                            "recovery": st.one_of(
                                st.none(),
                                st.just("x"),
                                st.fixed_dictionaries(
                                    {
                                        "suggested_command": st.sampled_from(
                                            ["image-skill whoami --json", "$(id)", "`id`", 5]
                                        )
                                    }
                                ),
                            )
                        },
                    ),
                )
            ),
        }
        return json.dumps(body).encode()
    if kind == 3:
        return json.dumps(draw(_JSON)).encode()
    if kind == 4:
        return draw(
            st.sampled_from(
                [
                    b"",
                    b"[1, 2]",
                    b"null",
                    b'{"ok": tr',
                    b"<html>502</html>",
                    b'{"ok": true}{"ok": false}',
                    b'{"ok": true, "n": ' + b"9" * 5000 + b"}",
                    b'{"ok": true, "data": ' + b"[" * 5000 + b"]" * 5000 + b"}",
                ]
            )
        )
    return draw(st.binary(max_size=48))


@st.composite
def reply_faults(draw: st.DrawFn) -> Fault:
    """A random reply: status, exit-code header, body and a transport-level misbehaviour."""
    status = draw(st.sampled_from([200, 200, 200, 201, 400, 401, 402, 404, 409, 429, 500, 503]))
    headers: list[tuple[str, str]] = [("content-type", "application/json")]
    header = draw(st.sampled_from([None, "0", "1", "2", "7", "9", "42", "130", "-1", "x", ""]))
    if header is not None:
        headers.append((EXIT_HEADER, header))
    body = draw(reply_bodies())
    mode = draw(st.integers(0, 9))
    if mode == 6:
        return Fault(status=status, headers=headers, body=body, content_length=len(body) + 40)
    if mode == 7 and body:
        return Fault(status=status, headers=headers, body=body, content_length=len(body) // 2)
    if mode == 8:
        return Fault(status=status, headers=headers, body=body + b" " * 64, close_after_bytes=3)
    if mode == 9:
        return Fault(reset=True)
    return Fault(status=status, headers=headers, body=body)


def well_formed(body: bytes) -> dict[str, Any] | None:
    """The server's envelope when ``body`` is one whose outcome is known, else None.

    Known means: a JSON object whose ``ok`` is exactly true or false, a failure carries an
    ``error`` object with a string ``code`` and a success's ``error`` is null or an object
    (issue 8, points 2 and 7)."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, dict) or not isinstance(value.get("ok"), bool):
        return None
    error = value.get("error")
    if value["ok"] is True:
        return value if error is None or isinstance(error, dict) else None
    if not (isinstance(error, dict) and isinstance(error.get("code"), str)):
        return None
    return value


# ---------------------------------------------------------------------------- network guard


def _is_loopback(host: Any) -> bool:
    if not isinstance(host, str):
        return False
    if host in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


@contextmanager
def loopback_only() -> Iterator[list[str]]:
    """Refuse (and record) every name lookup or connect that is not loopback, in-process."""
    attempts: list[str] = []
    real_getaddrinfo: Callable[..., Any] = socket.getaddrinfo
    real_connect = socket.socket.connect

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_loopback(host if not isinstance(host, bytes) else host.decode()):
            attempts.append(f"lookup {host!r}")
            raise socket.gaierror(socket.EAI_NONAME, "blocked by the test's loopback guard")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(self: socket.socket, address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else address
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(host):
            attempts.append(f"connect {address!r}")
            raise ConnectionRefusedError("blocked by the test's loopback guard")
        real_connect(self, address)

    setattr(socket, "getaddrinfo", getaddrinfo)  # noqa: B010 (patched for this block only)
    setattr(socket.socket, "connect", connect)  # noqa: B010
    try:
        yield attempts
    finally:
        setattr(socket, "getaddrinfo", real_getaddrinfo)  # noqa: B010
        setattr(socket.socket, "connect", real_connect)  # noqa: B010


#: The shape of a well-formed failure the fault server answers unscripted requests with.
REFUSAL = Fault.json(
    {
        "ok": False,
        "command": "image-skill",
        "trace_id": "trace_0000000000000000",
        "actor": None,
        "data": None,
        "warnings": [],
        "error": {"code": "FAULT_SERVER_REFUSED", "message": "refused", "retryable": False},
    },
    status=409,
)
