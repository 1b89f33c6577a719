"""Run every benchmark of this folder and write ``docs/performance.md``.

    python benchmarks/run_all.py [--out docs/performance.md] [--json OUT] [--test-suite]

Runs the start-up, server load, image create, download and upload figures with their
default sizes (about three minutes on 2 cores; the budget is five) and writes the table:
figure, target, measured, min/median/max, status and, for a target not met, what bounds
it. ``--test-suite`` also times ``bash scripts/test.sh`` (about as long again), which is
left out by default. Set ``IMAGE_SKILL_NODE_CLI`` to a node ``image-skill.mjs`` to pair the
start-up rows with the node client (see ``startup.py``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import download_memory
import server_create
import server_load
import startup
import upload_memory
from _bench import Figure, header, machine, node_cli, spread

ROOT = Path(__file__).resolve().parent.parent
BUDGET_S = 300
STATUS = {True: "pass", False: "**miss**", None: "open"}


def _cell(value: float, unit: str) -> str:
    if unit == "ms":
        return f"{value * 1000:,.0f}"
    if unit in ("req/s", "MB/s"):
        return f"{value:,.0f}"
    return f"{value:,.2f}" if value < 10 else f"{value:,.1f}"


def _range(figure: Figure) -> str:
    lo, mid, hi = spread(figure.samples)
    unit = figure.unit
    return f"{_cell(lo, unit)} / {_cell(mid, unit)} / {_cell(hi, unit)} {unit}"


def _commit() -> str:
    """The measured tree's commit, marked when the tree had uncommitted changes."""

    def git(*args: str) -> str:
        proc = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return proc.stdout.strip() if proc.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "src")
    return f"`{head}`" + (" with uncommitted changes in src/" if dirty else "")


def _test_suite() -> Figure:
    start = time.perf_counter()
    proc = subprocess.run(["bash", "scripts/test.sh"], cwd=ROOT, capture_output=True, check=False)
    seconds = time.perf_counter() - start
    return Figure(
        key="tests.wall",
        figure="`bash scripts/test.sh` wall time",
        target="< 4 min",
        unit="ms",
        samples=[seconds],
        passed=seconds < 240 and proc.returncode == 0,
        measured=f"{seconds / 60:.1f} min (exit {proc.returncode})",
    )


def _suite_placeholder() -> Figure:
    return Figure(
        key="tests.wall",
        figure="`bash scripts/test.sh` wall time",
        target="< 4 min",
        unit="ms",
        samples=[0.0],
        passed=None,
        measured="not run (pass `--test-suite`)",
    )


def _no_bytecode(figures: list[Figure]) -> str:
    """The header line with the start-up rows timed from source alone."""
    timed = [(f.figure, f.extra["no_bytecode_ms"]) for f in figures if "no_bytecode_ms" in f.extra]
    if not timed:
        return "- Without bytecode: not measured."
    rows = ", ".join(f"{label} {ms:.0f} ms" for label, ms in timed)
    return (
        "- Without bytecode (our package run from source with `PYTHONDONTWRITEBYTECODE=1`, "
        f"as an editable install runs when it may not write `.pyc` files; medians): {rows}. "
        "The table's rows have the bytecode `pip install` writes."
    )


def node_reference(node: list[str]) -> str:
    """What the start-up rows were paired with: the node client's version and file hash,
    and ``IMAGE_SKILL_NODE_CLI_SOURCE`` (where that file came from) when set."""
    path = Path(node[-1])
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    proc = subprocess.run([*node, "version"], capture_output=True, text=True, check=False)
    try:
        version = json.loads(proc.stdout)["data"]["version"]
    except (ValueError, KeyError, TypeError):
        version = "unknown"
    source = os.environ.get("IMAGE_SKILL_NODE_CLI_SOURCE", "").strip()
    text = (
        f"the node client `image-skill` {version} (`IMAGE_SKILL_NODE_CLI`, "
        f"{path.name}, sha256 `{digest[:16]}…`), paired A B A B in the same run"
    )
    return text + (f". {source}" if source else ".")


def render(
    figures: list[Figure], before: dict[str, Any], after: dict[str, Any], took: float
) -> str:
    node = node_cli()
    floors: dict[str, float] = next(
        (f.extra["floors_ms"] for f in figures if "floors_ms" in f.extra), {}
    )
    load_before = " ".join(map(str, before["load"]))
    load_after = " ".join(map(str, after["load"]))
    lines = [
        "# Performance",
        "",
        "Written by `python benchmarks/run_all.py`; every figure below is the output of one run",
        "of that command (do not edit the table by hand: run it again). Each script in",
        "`benchmarks/` measures one figure on its own and prints min/median/max; see its",
        "docstring for the method.",
        "",
        f"- Run: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}, {took:.0f} s "
        f"(budget {BUDGET_S} s), code at commit {_commit()}.",
        f"- Machine: {before['cores']} cores ({before['usable_cores']} usable), "
        f"{before['platform']}, Python {before['python']}.",
        f"- Load average (1/5/15 min) before: {load_before}; after: {load_after}. Other work "
        "on the machine shows up as spread between min and max.",
        "- Start-up reference: "
        + (
            node_reference(node)
            if node
            else "no node client was available. The npm registry serves only `image-skill` "
            "0.1.73 (not 0.1.30), and 0.1.73 is a rename notice that prints a message and "
            "exits 1, so it cannot run the commands. The start-up rows therefore compare with "
            "node's own start-up (`node -e 0`): no node client starts faster than that, so a "
            "ratio against it that meets the target proves the target (pass), and one that "
            "does not leaves the row **open** until it is paired with a node client."
        ),
        _no_bytecode(figures),
        "- Floors: "
        + ", ".join(f"`{name}` {ms:.0f} ms" for name, ms in floors.items())
        + " (medians).",
        "",
        "| figure | target | measured (median) | min / median / max | status | what bounds it |",
        "|---|---|---|---|---|---|",
    ]
    for figure in figures:
        samples = _range(figure) if figure.samples != [0.0] else "-"
        bound = figure.bound if figure.passed is not True else figure.extra.get("note", "")
        lines.append(
            f"| {figure.figure} | {figure.target} | {figure.measured} | {samples} | "
            f"{STATUS[figure.passed]} | {bound} |"
        )
    lines += [
        "",
        "Status: pass = target met in this run; **miss** = not met; open = cannot be decided",
        "without the reference named above.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "performance.md"))
    parser.add_argument("--json", help="also write every figure as JSON to this file")
    parser.add_argument("--test-suite", action="store_true", help="also time scripts/test.sh")
    opts = parser.parse_args()
    before = header("all benchmarks")
    start = time.perf_counter()
    figures: list[Figure] = []
    startup.ROW_SECONDS = 12.0  # nine rows: about two minutes even on a busy machine
    figures += startup.measure(8)
    figures += server_load.measure(server_load.options(["--seconds", "3"]))
    figures += server_create.measure(12)
    figures += download_memory.measure(3, 200)
    figures += upload_memory.measure(3)
    figures.append(_test_suite() if opts.test_suite else _suite_placeholder())
    took = time.perf_counter() - start
    after = machine()
    Path(opts.out).write_text(render(figures, before, after, took), encoding="utf-8")
    if opts.json:
        Path(opts.json).write_text(json.dumps([f.as_dict() for f in figures], indent=2) + "\n")
    for figure in figures:
        print(f"  {STATUS[figure.passed]:<8} {figure.figure}: {figure.measured}")
    print(f"wrote {opts.out} in {took:.0f} s")
    return 0 if took < BUDGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
