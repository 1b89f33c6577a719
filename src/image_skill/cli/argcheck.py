"""The checks every option and argument value passes before any command runs.

Whatever the flag, a bad value ends as ``INVALID_ARGUMENTS`` (exit 2) with a message naming
the flag, instead of reaching an internal error further on:

* **control characters** (U+0000-U+001F, U+007F): refused in every one-line value (ids,
  keys, paths, model names, URLs of inputs...); free-text values (prompts, JSON, feedback
  text) may hold newlines and tabs. ``--api-base-url`` is checked by the client's own
  base-URL rules (:func:`image_skill.api.wire.base_url_problem`), which also cover these;
* **length**: a one-line value has at most :data:`MAX_ONE_LINE_CHARS` characters (an id
  of 70,000 characters would otherwise fail inside the HTTP library);
* **path lengths**: a value that names a local file (``--output``, ``--prompt-file``,
  ``--input``...) must fit this file system: no component longer than its file-name limit
  (usually 255 bytes) and no path longer than its path limit (usually 4096 bytes).

:func:`install` wraps the callback of every parameter of the command tree once, at start-up.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

import click

from image_skill._constants import FEEDBACK_TEXT_FIELDS

#: Parameters whose values are free text (they may span lines): by parameter name, and
#: ``(command, name)`` for the positional words that only some commands treat as text.
FREE_TEXT_NAMES = frozenset(
    {
        "prompt",
        "model_parameters_json",
        "title",
        "body",
        *FEEDBACK_TEXT_FIELDS,
        "evidence",
    }
)
FREE_TEXT_ARGUMENTS = frozenset({("create", "positional")})
#: Parameters whose values are local paths.
PATH_NAMES = frozenset({"output", "prompt_file", "data_dir"})
#: Parameters whose values are a local path or else an asset id or a URL.
IMAGE_NAMES = frozenset({"input_", "mask"})
#: Reference flags: ``IMAGE[@SUFFIX]``, where only IMAGE may be a path.
REFERENCE_NAMES = {
    "element_frontal": "element-frontal",
    "element_reference": "element-reference",
    "reference_image": "reference-image",
}
IMAGE_ARGUMENTS = frozenset({("edit", "positional"), ("upload", "positional")})

#: Checked by the client's base-URL rules instead (see the module docstring).
OWN_RULES = frozenset({"api_base_url"})
#: The longest one-line value (URLs of 8 KiB are what servers commonly accept).
MAX_ONE_LINE_CHARS = 8192

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MULTILINE_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
DEFAULT_NAME_MAX = 255
DEFAULT_PATH_MAX = 4096


def control_problem(value: str, *, free_text: bool, own_rules: bool = False) -> str | None:
    if not free_text and len(value) > MAX_ONE_LINE_CHARS:
        return (
            f"is {len(value)} characters long; a value of this flag can have at most "
            f"{MAX_ONE_LINE_CHARS}"
        )
    found = None if own_rules else (_MULTILINE_CONTROL if free_text else _CONTROL).search(value)
    if found is None:
        return None
    return (
        f"contains the control character U+{ord(found.group()):04X}; pass the value without "
        "control characters (on one line)"
    )


def _limit(path: str, name: str, default: int) -> int:
    """``os.pathconf`` of the nearest existing folder of ``path``, or ``default``."""
    folder = os.path.dirname(path) or os.sep
    while folder and not os.path.isdir(folder):
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    try:
        value = os.pathconf(folder or os.sep, name)
    except (AttributeError, OSError, ValueError):
        return default
    return value if isinstance(value, int) and value > 0 else default


def path_problem(value: str) -> str | None:
    """Why ``value`` cannot name a file here (too long for the file system), or None."""
    try:
        absolute = os.path.abspath(os.path.expanduser(value))
    except (OSError, ValueError):
        return None
    name_max = _limit(absolute, "PC_NAME_MAX", DEFAULT_NAME_MAX)
    for part in absolute.split(os.sep):
        size = len(os.fsencode(part))
        if size > name_max:
            return (
                f"has a file or folder name of {size} bytes; names here can have at most {name_max}"
            )
    size = len(os.fsencode(absolute))
    path_max = _limit(absolute, "PC_PATH_MAX", DEFAULT_PATH_MAX)
    if size > path_max:
        return f"is a path of {size} bytes; paths here can have at most {path_max}"
    return None


def value_problem(
    value: str,
    *,
    free_text: bool,
    path: bool,
    image: bool,
    reference: str | None = None,
    own_rules: bool = False,
) -> str | None:
    problem = control_problem(value, free_text=free_text, own_rules=own_rules)
    if problem is not None:
        return problem
    if reference is not None:
        from image_skill.cli.references import parse_value

        value, image = parse_value(reference, value).image, True
    if path or (image and "://" not in value):
        try:
            return path_problem(value)
        except UnicodeError:  # pragma: no cover - undecodable arguments are refused earlier
            return None
    return None


Callback = Callable[[click.Context, click.Parameter, Any], Any]


def _checked(
    original: Callback | None,
    *,
    free_text: bool,
    path: bool,
    image: bool,
    reference: str | None,
    own_rules: bool,
) -> Callback:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        values = value if isinstance(value, tuple | list) else (value,)
        for item in values:
            if isinstance(item, str):
                problem = value_problem(
                    item,
                    free_text=free_text,
                    path=path,
                    image=image,
                    reference=reference,
                    own_rules=own_rules,
                )
                if problem is not None:
                    raise click.BadParameter(problem, ctx=ctx, param=param)
        return value if original is None else original(ctx, param, value)

    callback._argcheck = True  # type: ignore[attr-defined]
    return callback


def install(command: click.Command, name: str = "", *, subcommands: bool = True) -> None:
    """Wrap the callback of every parameter of ``command`` and (unless ``subcommands`` is
    false: the lazy root group installs each command as it loads) its subcommands."""
    for param in command.params:
        if getattr(param.callback, "_argcheck", False) or param.name is None:
            continue
        if isinstance(param, click.Option) and param.is_flag:
            continue
        key = (name, param.name)
        is_argument = isinstance(param, click.Argument)
        param.callback = _checked(
            param.callback,
            free_text=param.name in FREE_TEXT_NAMES or (is_argument and key in FREE_TEXT_ARGUMENTS),
            path=param.name in PATH_NAMES,
            image=param.name in IMAGE_NAMES or (is_argument and key in IMAGE_ARGUMENTS),
            reference=REFERENCE_NAMES.get(param.name),
            own_rules=param.name in OWN_RULES,
        )
    if subcommands and isinstance(command, click.Group):
        for sub_name, sub in command.commands.items():
            install(sub, sub_name)
