"""Special-purpose --human renderers (tables for lists, panels for the guide...).

`render_special` returns True when it rendered the result itself.
"""

from __future__ import annotations

from typing import Any

from .envelope import Result


def render_special(console: Any, result: Result) -> bool:
    del console, result
    return False
