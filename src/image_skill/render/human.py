"""The --human view: the same envelope, rendered with rich for a person at a terminal."""

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


def _add_tree(tree: Any, data: Any, depth: int = 0) -> None:
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, (dict, list)) and value:
                branch = tree.add(f"[bold]{key}[/bold]")
                _add_tree(branch, value, depth + 1)
            else:
                tree.add(f"[bold]{key}[/bold]: {_escape(_scalar(value))}")
    elif isinstance(data, list):
        for index, item in enumerate(data):
            if isinstance(item, (dict, list)):
                label = item.get("id") if isinstance(item, dict) else None
                branch = tree.add(f"[dim]{index}[/dim] {_escape(_scalar(label)) if label else ''}")
                _add_tree(branch, item, depth + 1)
            else:
                tree.add(_escape(_scalar(item)))
    else:
        tree.add(_escape(_scalar(data)))


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def render_human(console: Console, result: Result) -> None:
    """Print the human view of ``result`` on ``console`` (the CLI's Output owns it)."""
    from rich.panel import Panel
    from rich.tree import Tree

    from image_skill.render.views import render_special

    env = result.envelope
    command = _scalar(env.get("command"))
    if render_special(console, result):
        return
    if env.get("ok"):
        tree = Tree(f"[green]ok[/green] {_escape(command)}")
        _add_tree(tree, env.get("data"))
        console.print(tree)
    else:
        error = env.get("error") if isinstance(env.get("error"), dict) else {}
        assert isinstance(error, dict)
        lines = [f"[bold]{_escape(_scalar(error.get('code')))}[/bold]"]
        lines.append(_escape(_scalar(error.get("message"))))
        recovery = error.get("recovery")
        if isinstance(recovery, dict):
            for key, value in recovery.items():
                lines.append(f"[dim]{key}:[/dim] {_escape(_scalar(value))}")
        console.print(
            Panel("\n".join(lines), title=f"failed: {_escape(command)}", border_style="red")
        )
    for warning in env.get("warnings") or []:
        console.print(f"[yellow]warning:[/yellow] {_escape(str(warning))}")
    console.print(f"[dim]exit {result.exit_code}[/dim]")
