"""Generate docs/cli.md from the click command tree.

python scripts/gen_cli_docs.py          # rewrite docs/cli.md
python scripts/gen_cli_docs.py --check  # exit 1 when docs/cli.md is stale
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from image_skill.cli import root
from image_skill.cli.help import GLOBAL_OPTION_NAMES, HELP_TABLE

OUT = Path(__file__).resolve().parent.parent / "docs" / "cli.md"

HEADER = """# image-skill command reference

Generated from the click command tree by `scripts/gen_cli_docs.py`; do not edit by hand
(CI fails when this file is stale). Every command prints one JSON envelope on stdout
(`--human` renders it for people) and exits 0-9 (130 on Ctrl-C). `--help`, `-h` or
`help WORDS` return the same information as JSON.

## Options every command accepts

"""


def _option_rows(command: click.Command, *, global_only: bool) -> list[str]:
    rows = []
    for param in command.params:
        if not isinstance(param, click.Option) or param.hidden:
            continue
        if (param.name in GLOBAL_OPTION_NAMES) != global_only:
            continue
        flags = ", ".join(f"`{opt}`" for opt in param.opts)
        if not param.is_flag:
            flags += f" `{param.metavar or (param.name or '').upper()}`"
        notes = []
        if param.required:
            notes.append("required")
        if param.multiple:
            notes.append("repeatable")
        if param.default not in (None, False, ()) and param.show_default:
            notes.append(f"default `{param.default}`")
        help_text = (param.help or "").replace("|", "\\|")
        suffix = f" ({', '.join(notes)})" if notes else ""
        rows.append(f"| {flags} | {help_text}{suffix} |")
    return rows


def _arguments(command: click.Command) -> list[str]:
    return [
        (p.human_readable_name or "").upper()
        for p in command.params
        if isinstance(p, click.Argument)
    ]


def _walk(command: click.Command, path: list[str], out: list[str]) -> None:
    if path:
        key = " ".join(path)
        out.append(f"## `image-skill {key}`\n")
        if command.help:
            out.append(command.help.strip() + "\n")
        usage = HELP_TABLE.get(key, (None, "", {}))[0]
        args = " ".join(_arguments(command))
        shown = usage or " ".join(["image-skill", *path, args, "--json"]).replace("  ", " ")
        out.append(f"Usage: `{shown}`\n")
        rows = _option_rows(command, global_only=False)
        if rows:
            out.append("| option | meaning |\n|---|---|")
            out.extend(rows)
            out.append("")
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            _walk(command.commands[name], [*path, name], out)


def render() -> str:
    out = [HEADER.rstrip("\n") + "\n", "| option | meaning |\n|---|---|"]
    out.extend(_option_rows(root, global_only=True))
    out.append("")
    _walk(root, [], out)
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != text:
            sys.stderr.write("docs/cli.md is stale: run python scripts/gen_cli_docs.py\n")
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
