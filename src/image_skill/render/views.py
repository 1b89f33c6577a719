"""Purpose-built --human renderers: tables for lists, panels for the guide and quota.

`render_special` returns True when it rendered the result itself; otherwise the generic
tree view in :mod:`image_skill.render.human` is used. Only called in --human mode, so importing
rich here is fine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from image_skill._js import get
from image_skill.envelope import Result

# list key in data -> columns to show (path segments joined by ".")
LIST_COLUMNS: dict[str, tuple[str, ...]] = {
    "models": (
        "id",
        "modality",
        "operations",
        "status",
        "economics.credit_pricing.credits_required",
    ),
    "capabilities": ("id", "operation", "modality", "model_ids"),
    "packs": ("pack_id", "display_name", "credits", "price_usd"),
    "methods": ("method_id", "available", "live_money", "requires_browser", "default_pack_id"),
    "events": ("occurred_at", "type", "subject.id", "status"),
    "assets": ("asset_id", "mime_type", "width", "height", "url"),
}


def _get(row: Any, path: str) -> Any:
    return get(row, *path.split("."))


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_cell(v) for v in value)
    return escape(str(value))


#: Columns whose values a person copies (ids, URLs): never cut, never folded.
WHOLE_COLUMNS = frozenset(
    {"id", "asset_id", "pack_id", "method_id", "subject.id", "url", "model_ids"}
)


def _table(title: str, rows: list[Any], columns: tuple[str, ...]) -> Table:
    table = Table(title=title, title_justify="left", show_lines=False)
    for column in columns:
        if column in WHOLE_COLUMNS:
            longest = max((len(_plain(_get(row, column))) for row in rows), default=0)
            table.add_column(column.split(".")[-1], no_wrap=True, min_width=longest)
        else:
            table.add_column(column.split(".")[-1], overflow="fold")
    for row in rows:
        table.add_row(*(_cell(_get(row, c)) for c in columns))
    return table


def _plain(value: Any) -> str:
    from rich.text import Text

    return Text.from_markup(_cell(value)).plain


def _fits(console: Console, table: Table) -> bool:
    """Whether ``table`` fits with no cell wrapped (else the rows print as records)."""
    from rich.measure import Measurement

    unbounded = console.options.update_width(1_000_000)
    return Measurement.get(console, unbounded, table).maximum <= console.width


def _records(console: Console, title: str, rows: list[Any], columns: tuple[str, ...]) -> None:
    """A list too wide for a table: one block per row, every value whole on its line."""
    console.print(f"[bold]{escape(title)}[/bold]")
    for row in rows:
        for index, column in enumerate(columns):
            lead = "- " if index == 0 else "  "
            name = column.split(".")[-1]
            console.print(f"{lead}[bold]{name}[/bold]: {_cell(_get(row, column))}", soft_wrap=True)


def _text(value: Any) -> str | None:
    """A sentence from a guide field: a string, or the ``warning`` of an object."""
    if isinstance(value, dict):
        value = value.get("warning")
    return escape(str(value)) if value else None


EDIT_GUIDE_SCHEMA = "image-skill.edit-guide.v1"
GUIDE_SCHEMAS = ("image-skill.create-guide.v1", EDIT_GUIDE_SCHEMA)


def _guide(console: Console, data: dict[str, Any]) -> None:
    stage = data.get("stage")
    ready = data.get("ready")
    lines = [f"[bold]stage:[/bold] {escape(str(stage))}  [bold]ready:[/bold] {_cell(ready)}"]
    selection = data.get("selection")
    blocker = data.get("blocker")
    if isinstance(blocker, dict) and blocker.get("message"):
        lines.append(f"[bold]blocked:[/bold] {escape(str(blocker['message']))}")
    for key in ("guide_warning", "next_command_effect"):
        text = _text(data.get(key))
        if text:
            lines.append(f"[yellow]{text}[/yellow]" if key == "guide_warning" else text)
    title = "edit --guide" if data.get("schema") == EDIT_GUIDE_SCHEMA else "create --guide"
    console.print(Panel("\n".join(lines), title=title, border_style="cyan"))
    if isinstance(selection, dict) and selection.get("model_id"):
        model = escape(str(selection.get("model_id")))
        console.print(f"[bold]model:[/bold] {model}", soft_wrap=True)
    for key, title in (
        ("next_command", "next command"),
        ("recommended_no_spend_command", "no-spend alternative"),
    ):
        if data.get(key):
            console.print(f"[bold]{title}[/bold]")
            console.print(escape(str(data[key])), soft_wrap=True)


def _quota(console: Console, data: dict[str, Any]) -> None:
    limits = data.get("limits") if isinstance(data.get("limits"), dict) else {}
    daily = data.get("daily_jobs") if isinstance(data.get("daily_jobs"), dict) else {}
    assert isinstance(limits, dict) and isinstance(daily, dict)
    table = Table(title="quota", title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("free credits left", _cell(limits.get("remaining_credits")))
    table.add_row("paid credits left", _cell(limits.get("payment_backed_remaining_credits")))
    table.add_row(
        "daily jobs left", f"{_cell(daily.get('remaining'))} of {_cell(daily.get('limit'))}"
    )
    table.add_row("daily reset", _cell(daily.get("resets_at")))
    console.print(table)


def _scalars(data: dict[str, Any]) -> Table | None:
    rows = [(k, v) for k, v in data.items() if not isinstance(v, (dict, list))]
    if not rows:
        return None
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column("key", style="bold")
    table.add_column("value")
    for key, value in rows:
        table.add_row(escape(key), _cell(value))
    return table


def _lists(console: Console, data: dict[str, Any]) -> bool:
    lists = []
    for key, columns in LIST_COLUMNS.items():
        rows = data.get(key)
        if isinstance(rows, list) and all(isinstance(r, dict) for r in rows):
            lists.append((f"{key} ({len(rows)})", rows, columns))
    if not lists:
        return False
    header = _scalars(data)
    if header is not None:
        console.print(header)
    for title, rows, columns in lists:
        table = _table(title, rows, columns)
        if _fits(console, table):
            console.print(table)
        else:
            _records(console, title, rows, columns)
    return True


SPECIAL: tuple[
    tuple[Callable[[dict[str, Any]], bool], Callable[[Console, dict[str, Any]], None]], ...
] = (
    (lambda d: d.get("schema") in GUIDE_SCHEMAS, _guide),
    (lambda d: isinstance(d.get("limits"), dict) and "daily_jobs" in d, _quota),
)


def render_special(console: Console, result: Result, *, ran: str | None = None) -> bool:
    env = result.envelope
    data = env.get("data")
    if not env.get("ok") or not isinstance(data, dict):
        return False
    for matches, render in SPECIAL:
        if matches(data):
            render(console, data)
            break
    else:
        if not _lists(console, data):
            return False
    for warning in env.get("warnings") or []:
        console.print(f"[yellow]warning:[/yellow] {escape(str(warning))}")
    command = ran or str(env.get("command"))
    console.print(f"[dim]{escape(command)} · exit {result.exit_code}[/dim]", soft_wrap=True)
    return True
