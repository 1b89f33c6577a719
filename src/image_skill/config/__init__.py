"""Config file location, token resolution and safe writes.

The config file is shared with the npm client, so its location follows the same rule on
every OS:

1. ``IMAGE_SKILL_CONFIG_PATH`` when set and non-empty;
2. ``$XDG_CONFIG_HOME/image-skill/config.json`` when ``XDG_CONFIG_HOME`` is set and non-empty
   (an empty value is treated as unset, unlike the npm client, which would write a relative
   path);
3. ``~/.config/image-skill/config.json``.

Token order (first hit wins): ``--token-stdin`` > ``--token`` > ``IMAGE_SKILL_TOKEN`` >
``IMAGE_SKILL_HOSTED_TOKEN`` (only when ``IMAGE_SKILL_TOKEN`` is unset) > the config file.
Base URL order: ``--api-base-url`` (or the client's ``base_url=``) >
``IMAGE_SKILL_API_BASE_URL`` > the saved config's ``api_base_url`` > the hosted API. A saved
token belongs to the saved ``api_base_url`` (the hosted API when the file names none) and is
used for no other base URL.
The pure rules are in :mod:`image_skill.config.connection`; these resolvers are shared by the
CLI and the Python client.

Writes are atomic (a temporary file in the same folder, created with mode 0600, then
``os.replace``). A config file that exists but is not valid JSON is reported as an error
instead of being read as "no token", and it is never overwritten silently.

Folders: the config folder, and any missing folder above it, are created with mode 0700
(the XDG base-directory rule), so nobody else can list the in-flight breadcrumbs or see
that a config exists. An existing config folder that holds nothing but this CLI's own files
(an older version created it 0755) is tightened to 0700; a folder with anything else in it
(a project directory named by ``IMAGE_SKILL_CONFIG_PATH``) is left as it is.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from image_skill._constants import BASE_URL_ENV, DEFAULT_BASE_URL, HOSTED_TOKEN_ENV, TOKEN_ENV
from image_skill._constants import CONFIG_PATH_ENV as CONFIG_ENV
from image_skill.config.connection import base_url_problem, resolve_base_url, same_backend

SUGGESTED_CONFIG_PATH = "$PWD/.image-skill/config.json"


class ConfigError(Exception):
    """The config file exists but cannot be read or parsed."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"config file at {path} cannot be used: {reason}")
        self.path = path
        self.reason = reason


class ConfigWriteError(Exception):
    """The config path cannot be written."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"could not write auth config at {path}: {reason}")
        self.path = path
        self.reason = reason


def config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    explicit = env.get(CONFIG_ENV)
    if explicit:
        return Path(explicit).expanduser().absolute()
    xdg = env.get("XDG_CONFIG_HOME")
    base = Path(xdg) if xdg else Path(env.get("HOME") or Path.home()) / ".config"
    return (base / "image-skill" / "config.json").absolute()


def config_dir(env: Mapping[str, str] | None = None) -> Path:
    return config_path(env).parent


def read_config(path: Path) -> dict[str, Any] | None:
    """The parsed config, or ``None`` when no file exists. Raises ConfigError if corrupt."""
    try:
        raw = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except IsADirectoryError:
        raise ConfigError(path, "the path is a directory") from None
    except OSError as exc:
        raise ConfigError(path, exc.strerror or str(exc)) from None
    try:
        text = raw.decode("utf-8-sig")
        parsed = json.loads(text) if text.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(path, f"not valid JSON ({exc.__class__.__name__})") from None
    if not isinstance(parsed, dict):
        raise ConfigError(path, "the top level is not a JSON object")
    return parsed


def saved_token(path: Path) -> str | None:
    cfg = read_config(path)
    if not cfg:
        return None
    token = cfg.get("token")
    if isinstance(token, str) and token.strip():
        return token.strip()
    return None


PRIVATE_DIR_MODE = 0o700
#: Entries that this CLI itself puts into the config folder.
IN_FLIGHT_DIRNAME = "in-flight"


def _config_entry(config_name: str) -> Callable[[str], bool]:
    def ours(name: str) -> bool:
        return name in (
            config_name,
            IN_FLIGHT_DIRNAME,
            f"{config_name}.corrupt",
        ) or name.startswith((f".{config_name}.", f"{config_name}.write-test-"))

    return ours


def ensure_private_dir(folder: Path, ours: Callable[[str], bool] | None = None) -> None:
    """Create ``folder`` and its missing parents with mode 0700; when it already exists and
    every entry in it passes ``ours``, tighten it to 0700. Raises OSError on failure."""
    missing: list[Path] = []
    current = folder
    while not os.path.lexists(current):
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        try:
            os.mkdir(path, PRIVATE_DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(path, PRIVATE_DIR_MODE)  # exactly 0700, whatever the umask
    if not missing and ours is not None:
        _tighten(folder, ours)


def _tighten(folder: Path, ours: Callable[[str], bool]) -> None:
    getuid = getattr(os, "getuid", None)
    try:
        info = os.lstat(folder)
        if getuid is None or not stat.S_ISDIR(info.st_mode) or info.st_uid != getuid():
            return
        if not info.st_mode & 0o077 or not all(ours(name) for name in os.listdir(folder)):
            return
        os.chmod(folder, PRIVATE_DIR_MODE)
    except OSError:
        return


def ensure_config_dir(path: Path) -> None:
    """The folder of the config file ``path``, private (see the module docstring)."""
    ensure_private_dir(path.parent, _config_entry(path.name))


def probe_writable(path: Path) -> None:
    """Check that a file can be created next to ``path``; leave nothing behind."""
    probe = path.with_name(f"{path.name}.write-test-{os.getpid()}-{os.urandom(4).hex()}")
    try:
        ensure_config_dir(path)
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
    except OSError as exc:
        raise ConfigWriteError(path, exc.strerror or str(exc)) from None
    finally:
        try:
            probe.unlink()
        except OSError:
            pass


def probe_writable_no_create(path: Path) -> str | None:
    """Like :func:`probe_writable` but never creates the config directory.

    Returns ``None`` when a config file could be written, else the reason. Used by the
    guide, which must leave no trace: when the directory does not exist yet, the nearest
    existing ancestor must be writable.
    """
    target = path.parent
    while not target.exists():
        if target.parent == target:
            return "no existing parent directory"
        target = target.parent
    if not target.is_dir():
        return f"{target} is not a directory"
    if path.exists() and not os.access(path, os.W_OK):
        return "permission denied"
    if target != path.parent:
        return None if os.access(target, os.W_OK | os.X_OK) else "permission denied"
    probe = target / f".{path.name}.write-test-{os.getpid()}-{os.urandom(4).hex()}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
    except OSError as exc:
        return exc.strerror or str(exc)
    try:
        probe.unlink()
    except OSError:
        pass
    return None


def write_config(path: Path, data: Mapping[str, Any]) -> None:
    """Atomically write ``data`` as the config file with mode 0600 from creation."""
    text = json.dumps(dict(data), indent=2, ensure_ascii=False) + "\n"
    try:
        ensure_config_dir(path)
        from image_skill._atomic import write_atomic  # tempfile: only when writing

        write_atomic(path, text.encode("utf-8"), mode=0o600)
        os.chmod(path, 0o600)
    except OSError as exc:
        raise ConfigWriteError(path, exc.strerror or str(exc)) from None


def save_token(path: Path, token: str, api_base_url: str) -> None:
    import datetime as _dt

    write_config(
        path,
        {
            "api_base_url": api_base_url,
            "token": token,
            "saved_at": _dt.datetime.now(_dt.UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "actor": None,
        },
    )


def delete_config(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


class TokenResolution(NamedTuple):
    token: str | None
    source: str | None  # "stdin" | "flag" | "env" | "config" | None
    #: When a saved token exists but belongs to another base URL (and so was not used):
    #: the base URL it was saved for.
    withheld_for: str | None = None


def token_base_url(cfg: Mapping[str, Any]) -> str:
    """The base URL a saved token belongs to: the config's ``api_base_url`` (written with
    the token by signup and auth save, by this client and the npm one), or the hosted API
    when the file names none."""
    value = cfg.get("api_base_url")
    return value if isinstance(value, str) else DEFAULT_BASE_URL


def saved_base_url(path: Path) -> str | None:
    """The usable ``api_base_url`` of the saved config, or None (no file, none recorded,
    unusable, or a corrupt file: the token resolver reports that one)."""
    try:
        cfg = read_config(path)
    except ConfigError:
        return None
    value = (cfg or {}).get("api_base_url")
    if isinstance(value, str) and base_url_problem(value) is None:
        return value
    return None


class BaseUrlResolution(NamedTuple):
    url: str
    #: "flag" (or the caller's own name for an explicit value) | "env" | "config" | "default"
    source: str


def resolve_api_base_url(
    explicit: str | None,
    *,
    env: Mapping[str, str] | None = None,
    path: Path | None = None,
    explicit_source: str = "flag",
) -> BaseUrlResolution:
    """``explicit`` > ``IMAGE_SKILL_API_BASE_URL`` > the saved config's base URL > the
    hosted API. Raises :class:`image_skill.config.connection.InvalidBaseUrl` for an unusable
    explicit or environment value."""
    env = os.environ if env is None else env
    url = resolve_base_url(explicit, env)
    if explicit is not None:
        return BaseUrlResolution(url, explicit_source)
    if (env.get(BASE_URL_ENV) or "").strip():
        return BaseUrlResolution(url, "env")
    saved = saved_base_url(path if path is not None else config_path(env))
    if saved is not None:
        return BaseUrlResolution(saved, "config")
    return BaseUrlResolution(url, "default")


def resolve_token(
    *,
    stdin_token: str | None,
    flag_token: str | None,
    env: Mapping[str, str] | None = None,
    path: Path | None = None,
    allow_saved: bool = True,
    api_base_url: str | None = None,
) -> TokenResolution:
    """Pick the token by the documented order. Reading stdin is the caller's job.

    With ``api_base_url``, a saved token is used only when it was saved for that base URL
    (:func:`token_base_url`); otherwise the result has no token and says in
    ``withheld_for`` which base URL the saved one belongs to.

    Raises ConfigError when the saved config is consulted and is corrupt.
    """
    env = os.environ if env is None else env
    if stdin_token is not None:
        return TokenResolution(stdin_token, "stdin")
    if flag_token is not None:
        return TokenResolution(flag_token, "flag")
    env_value = env.get(TOKEN_ENV)
    if env_value is None:
        env_value = env.get(HOSTED_TOKEN_ENV)
    if env_value is not None and env_value.strip():
        return TokenResolution(env_value.strip(), "env")
    if allow_saved:
        cfg = read_config(path if path is not None else config_path(env)) or {}
        token = cfg.get("token")
        if isinstance(token, str) and token.strip():
            owner = token_base_url(cfg)
            if api_base_url is not None and not same_backend(owner, api_base_url):
                return TokenResolution(None, None, withheld_for=owner)
            return TokenResolution(token.strip(), "config")
    return TokenResolution(None, None)
