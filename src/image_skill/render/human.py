"""The --human view: the same envelope, rendered with rich for a person at a terminal.

Nothing that a person may copy is ever cut: ids, URLs and commands are printed whole on
lines of their own (``soft_wrap``: rich neither wraps nor crops them; a terminal that is
too narrow wraps them visually, and copying gives the whole value back). Tables shrink
other columns first (see :mod:`image_skill.render.views`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from image_skill.envelope import Result

if TYPE_CHECKING:
    from rich.console import Console


def _scalar(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def outline(data: Any, indent: int = 0) -> list[str]:
    """``data`` as indented ``key: value`` lines (rich markup), lists as ``- `` items; no
    index numbers, every value whole."""
    pad = "  " * indent
    lines: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            name = f"{pad}[bold]{_escape(str(key))}[/bold]"
            if isinstance(value, (dict, list)) and value:
                lines.append(f"{name}:")
                lines.extend(outline(value, indent + 1))
            else:
                empty = "{}" if isinstance(value, dict) else "[]"
                shown = empty if isinstance(value, (dict, list)) else _scalar(value)
                lines.append(f"{name}: {_escape(shown)}")
    elif isinstance(data, list):
        for item in data:
            if isinstance(item, (dict, list)) and item:
                inner = outline(item, indent + 1)
                # the first line of the item goes after its dash
                lines.append(f"{pad}- {inner[0].lstrip()}")
                lines.extend(inner[1:])
            else:
                lines.append(f"{pad}- {_escape(_scalar(item))}")
    else:
        lines.append(f"{pad}{_escape(_scalar(data))}")
    return lines


def render_human(console: Console, result: Result, *, ran: str | None = None) -> None:
    """Print the human view of ``result`` on ``console`` (the CLI's Output owns it).

    ``ran`` is the command line's own command (``image-skill assets get``); titles name it,
    since the envelope's ``command`` may be the server's label for the same operation.
    """
    from image_skill.render.views import render_special

    env = result.envelope
    command = ran or _scalar(env.get("command"))
    if render_special(console, result, ran=command):
        return
    if env.get("ok"):
        console.print(f"[green]ok[/green] {_escape(command)}", soft_wrap=True)
        for line in outline(env.get("data")):
            console.print(line, soft_wrap=True)
    else:
        render_error(console, env, command)
    for warning in env.get("warnings") or []:
        console.print(f"[yellow]warning:[/yellow] {_escape(str(warning))}")
    console.print(f"[dim]exit {result.exit_code}[/dim]")


def render_error(console: Console, env: dict[str, Any], command: str) -> None:
    """The code and message in a red panel titled with the command that ran; the recovery
    below it, one ``key: value`` per line, so a command stays on one copyable line."""
    from rich.panel import Panel

    error = env.get("error") if isinstance(env.get("error"), dict) else {}
    assert isinstance(error, dict)
    lines = [f"[bold]{_escape(_scalar(error.get('code')))}[/bold]"]
    lines.append(_escape(_scalar(error.get("message"))))
    console.print(Panel("\n".join(lines), title=f"failed: {_escape(command)}", border_style="red"))
    recovery = error.get("recovery")
    if isinstance(recovery, dict) and recovery:
        console.print("[bold]recovery[/bold]")
        for line in outline(recovery, 1):
            console.print(line, soft_wrap=True)
