"""Generate docs/cli.md from the click command tree, and docs/commands.json (the public
command manifest, contract 0.1.70 §9.3) from the help table.

python scripts/gen_cli_docs.py          # rewrite docs/cli.md and docs/commands.json
python scripts/gen_cli_docs.py --check  # exit 1 when either file is stale
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from image_skill.cli import root
from image_skill.cli.alias_commands import AliasCommand, AliasGroup
from image_skill.cli.help import GLOBAL_OPTION_NAMES, HELP_TABLE

OUT = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
MANIFEST_OUT = OUT.parent / "commands.json"

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
    if path and isinstance(command, AliasCommand | AliasGroup):
        # A modality alias takes every option of its target: no second copy of the table,
        # and the word alone is no command (no usage line).
        out.append(f"## `image-skill {' '.join(path)}`\n")
        out.append((command.help or "").strip() + "\n")
        if isinstance(command, AliasGroup):
            for name in sorted(command.commands):
                _walk(command.commands[name], [*path, name], out)
        return
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


def render_manifest() -> str:
    from image_skill.cli.manifest import build_manifest

    return json.dumps(build_manifest(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    outputs = ((OUT, render()), (MANIFEST_OUT, render_manifest()))
    if "--check" in argv:
        stale = [
            path.name
            for path, text in outputs
            if (path.read_text(encoding="utf-8") if path.exists() else "") != text
        ]
        for name in stale:
            sys.stderr.write(f"docs/{name} is stale: run python scripts/gen_cli_docs.py\n")
        return 1 if stale else 0
    for path, text in outputs:
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
