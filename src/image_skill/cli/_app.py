"""Shared CLI plumbing: the per-invocation state, the options every command accepts,
token resolution and client construction.

Nothing heavy is imported at module level: httpx and pydantic load only when a command
actually talks to the API.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from image_skill import _constants as C
from image_skill import envelope as E
from image_skill.envelope import Result

if TYPE_CHECKING:
    from image_skill.api.client import ImageSkillClient
    from image_skill.api.reply import Reply
    from image_skill.cli.output import Output
    from image_skill.commands import CommandContext
    from image_skill.config import TokenResolution

F = TypeVar("F", bound=Callable[..., Any])


class CommandFailed(Exception):
    """Raised inside a command to stop with a ready failure result."""

    def __init__(self, result: Result) -> None:
        super().__init__(result.envelope.get("error"))
        self.result = result


@dataclass
class AppState:
    api_base_url: str | None = None
    token: str | None = None
    token_stdin: bool = False
    #: Whether the one-time "--token is visible to others" notice was printed.
    token_warned: bool = False
    timeout: float | None = None
    #: ``--allow-private-network``: URL inputs and asset downloads may use loopback and private
    #: addresses.
    allow_private_network: bool = False
    fmt: str = "json"
    #: Where the last resolved token came from ("stdin", "flag", "env", "config" or None);
    #: spend recovery commands use it to reach the same account (see cli/_recovery.py).
    token_source: str | None = None
    #: The modality alias word the command line started with (``video`` for
    #: ``video create ...``), or None; see :meth:`argv_label`.
    alias_word: str | None = None
    #: The command line after the alias rewrite (``create --intent video ...``): what a
    #: breadcrumb's ``argv`` records.
    argv: tuple[str, ...] = ()
    _stdin_token: str | None = None
    _stdin_read: bool = False
    _clients: list[Any] = field(default_factory=list)
    _resolved_base_url: str | None = None
    #: Where the base URL came from: "flag", "env", "config" or "default".
    base_url_source: str | None = None

    # -- base URL and rendering ----------------------------------------------------
    def base_url(self) -> str:
        """The API base URL of this invocation, resolved once (``--api-base-url``, else
        ``IMAGE_SKILL_API_BASE_URL``, else the saved config's, else the hosted API; ``local``
        stays ``local``: :func:`image_skill.config.resolve_api_base_url`). The client,
        breadcrumbs, saved configs and reports all take it from here; :attr:`api_base_url`
        is only the explicit flag, which rendered commands repeat."""
        if self._resolved_base_url is None:
            from image_skill.config import resolve_api_base_url
            from image_skill.config.connection import InvalidBaseUrl

            try:
                where = resolve_api_base_url(self.api_base_url)
            except InvalidBaseUrl as exc:
                raise CommandFailed(E.invalid(label(), str(exc))) from None
            self._resolved_base_url, self.base_url_source = where.url, where.source
        return self._resolved_base_url

    def private_network_allowed(self) -> bool:
        """``--allow-private-network`` or ``IMAGE_SKILL_ALLOW_PRIVATE_NETWORK=1``."""
        return self.allow_private_network or env_flag(C.ALLOW_PRIVATE_NETWORK_ENV)

    def command_ctx(self) -> CommandContext:
        from image_skill.cli.prefix import detect_prefix
        from image_skill.commands import CommandContext

        return CommandContext(prefix=detect_prefix(), api_base_url=self.api_base_url)

    def render(self, args: list[str], *, env: list[tuple[str, str]] | None = None) -> str:
        from image_skill.commands import render

        return render(args, self.command_ctx(), env=env or [])

    def argv_label(self, label: str) -> str:
        """``label``, or ``image-skill <alias word>`` under a modality alias: the npm client
        labels a token failure or a bad ``--model-parameters-json`` by the first word of the
        raw command line (0.1.70 §2), so ``video create`` without a token is
        ``image-skill video``."""
        return f"image-skill {self.alias_word}" if self.alias_word else label

    @property
    def out(self) -> Output:
        """Where this run writes (:class:`image_skill.cli.output.Output`)."""
        from image_skill.cli.output import Output

        return Output(self.fmt)

    # -- config and tokens ------------------------------------------------------------
    def config_path(self) -> Path:
        from image_skill.config import config_path

        return config_path()

    def read_stdin_token(self, label: str) -> str:
        """Read the token piped on stdin once; fail on a TTY or on empty input."""
        if self._stdin_read:
            assert self._stdin_token is not None
            return self._stdin_token
        stream = sys.stdin
        if is_tty_stdin():
            raise CommandFailed(E.invalid(label, "--token-stdin requires a token piped on stdin"))
        value = stream.read().strip().lstrip("\ufeff").strip()
        if not value:
            raise CommandFailed(
                E.error_result(label, E.AUTH_REQUIRED, "--token-stdin received empty stdin")
            )
        self._stdin_token = value
        self._stdin_read = True
        return value

    def resolve_token(
        self, label: str, *, allow_missing: bool = False, allow_saved: bool = True
    ) -> TokenResolution:
        from image_skill.cli._auth_failures import invalid_token
        from image_skill.config import ConfigError, resolve_token
        from image_skill.config.connection import token_problem

        stdin_token = self.read_stdin_token(label) if self.token_stdin else None
        try:
            resolution = resolve_token(
                stdin_token=stdin_token,
                flag_token=self.token,
                allow_saved=allow_saved,
                api_base_url=self.base_url() if allow_saved else None,
            )
        except ConfigError as exc:
            raise CommandFailed(config_invalid(label, exc.path, exc.reason)) from None
        self.token_source = resolution.source
        problem = None if resolution.token is None else token_problem(resolution.token)
        if problem is not None:
            raise CommandFailed(invalid_token(label, resolution.source, problem))
        if resolution.token is None and not allow_missing:
            raise CommandFailed(auth_required(label, self, resolution.withheld_for))
        return resolution

    # -- client ----------------------------------------------------------------------
    def client(self, token: str | None = None) -> ImageSkillClient:
        from image_skill.api.client import ImageSkillClient, LocalBackendUnavailable

        base_url, private = self.base_url(), self.private_network_allowed()
        for made in self._clients:  # one HTTP client (and connection pool) per invocation
            if (made.configured_base_url, made.allow_private_network) == (base_url, private):
                shared: ImageSkillClient = made.with_token(token)
                self._clients.append(shared)
                return shared
        try:
            client = ImageSkillClient(
                base_url=base_url,
                token=token,
                timeout=self.timeout,
                allow_private_network=private,
            )
        except LocalBackendUnavailable as exc:
            raise CommandFailed(local_extra_missing(label(), str(exc))) from None
        self._clients.append(client)
        return client

    def call(
        self, reply: Reply, *, recovery_command: str | None = None, label: str | None = None
    ) -> Result:
        """The result to print for an API reply (:func:`image_skill.cli.calls.to_result`).

        Failures the client built carry the label of this invocation, taken from the click
        context (``image-skill credits buy``); ``label`` overrides it where the contract
        names another (uploads made for create/edit are ``image-skill upload``).
        """
        from image_skill.cli.calls import to_result

        return to_result(
            reply,
            label=label or _current_label(),
            recovery_command=recovery_command,
            doctor_command=lambda: self.render(["doctor", "--json"]),
        )

    def close(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()


def state() -> AppState:
    ctx = click.get_current_context()
    root = ctx.find_root()
    if root.obj is None:
        root.obj = AppState()
    assert isinstance(root.obj, AppState)
    return root.obj


def label() -> str:
    """The command label of the running command: `image-skill <words>`."""
    return _current_label()


def _current_label(ctx: click.Context | None = None) -> str:
    ctx = ctx if ctx is not None else click.get_current_context()
    words = []
    node: click.Context | None = ctx
    while node is not None and node.parent is not None:
        if node.info_name:
            words.append(node.info_name)
        node = node.parent
    return " ".join(["image-skill", *reversed(words)])


def group_label() -> str:
    """`image-skill <first word>`: the npm client's label for auth failures in groups."""
    parts = label().split()
    return " ".join(parts[:2])


def _store(name: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value is None or value is False:
            return
        if isinstance(value, str) and value.startswith("--"):
            # `--api-base-url --json` would otherwise take the next flag as its value.
            flag = param.opts[0] if param.opts else name
            raise click.BadParameter(f"{flag} requires a value, got the flag {value}")
        if name == "api_base_url":
            _check_base_url(value)
        root = ctx.find_root()
        if root.obj is None:
            root.obj = AppState()
        setattr(root.obj, name, value)
        if name == "token" and value and not root.obj.token_warned:
            root.obj.token_warned = True
            from image_skill.cli.output import token_flag_notice

            root.obj.out.notice(token_flag_notice())

    return callback


def _check_base_url(value: str) -> None:
    """An explicit --api-base-url must be usable: an empty one never means the default."""
    from image_skill.api.wire import base_url_problem

    problem = base_url_problem(value)
    if problem is not None:
        raise click.BadParameter(
            f"{value!r} is not usable: {problem}; give an http(s) URL with a host, or "
            f"{C.LOCAL_BASE_URL_ALIAS!r} for the in-process local backend"
        )


class TimeoutSeconds(click.FloatRange):
    """Seconds > 0 and finite: 0, negatives, nan and inf would crash httpx mid-request."""

    name = "number of seconds"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        seconds = super().convert(value, param, ctx)
        if seconds != seconds:  # nan slips through the range comparisons
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        return seconds


def common_options(func: F) -> F:
    """Options every command accepts, before or after the command words (the table is
    :data:`image_skill.cli.global_flags.GLOBAL_FLAGS`; here each gets its click wiring)."""
    from image_skill.cli.global_flags import GLOBAL_FLAGS

    for flag in reversed(GLOBAL_FLAGS):
        extra: dict[str, Any] = {}
        if flag.name == "timeout":
            extra["type"] = TimeoutSeconds(min=0, min_open=True, max=C.MAX_TIMEOUT)
        if flag.name not in ("json_", "human"):
            extra["callback"] = _store(flag.name)
        if flag.is_flag:
            # Only ever True: click 8.5 reads an explicit is_flag=False as "may also be given
            # without a value", so a value option would swallow no value at all.
            extra["is_flag"] = True
        func = click.option(
            flag.flag,
            flag.name,
            expose_value=False,
            metavar=flag.metavar,
            help=flag.help,
            **extra,
        )(func)
    return func


def local_extra_missing(label_: str, message: str) -> Result:
    """LOCAL_BACKEND_UNAVAILABLE, with install commands for *this* Python environment."""
    python = _q(sys.executable)
    return E.error_result(
        label_,
        E.LOCAL_BACKEND_UNAVAILABLE,
        message,
        recovery={
            "suggested_command": f"{python} -m pip install 'image-skill[local]'",
            "from_a_checkout": f"{python} -m pip install -e '.[local]'",
        },
    )


def auth_required(label_: str, app: AppState, withheld_for: str | None = None) -> Result:
    """AUTH_REQUIRED (:func:`image_skill.cli._auth_failures.auth_required`)."""
    from image_skill.cli import _auth_failures

    base = app.base_url() if withheld_for is not None else None
    return _auth_failures.auth_required(label_, app.render, withheld_for, base)


def config_invalid(label_: str, path: Path, reason: str) -> Result:
    return E.error_result(
        label_,
        E.PUBLIC_CLI_CONFIG_INVALID,
        f"the config file at {path} cannot be read ({reason}); it was left untouched",
        recovery={
            "config_path": str(path),
            "config_path_env": C.CONFIG_PATH_ENV,
            "fix": "repair or move the file aside, or point IMAGE_SKILL_CONFIG_PATH elsewhere",
            "suggested_command": f"mv {_q(str(path))} {_q(str(path) + '.corrupt')}",
            "docs_url": f"{C.DOCS_URL}#local-config-and-install",
        },
    )


def _q(text: str) -> str:
    import shlex

    return shlex.quote(text)


def is_tty_stdin() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes"}
