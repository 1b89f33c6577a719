"""Results of ``benchmarks/mutation.py`` and the ``docs/mutation.md`` report it writes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from mutation_equivalents import TRACKED
from mutation_ops import Mutant

KILLED = ("failed", "timeout")


@dataclass
class Entry:
    mutant: Mutant
    status: str  # passed (survived) | failed | timeout
    judgment: str | None


@dataclass
class ModuleResult:
    target: str
    goal: float
    focus: dict[str, tuple[tuple[str, ...], float]] = field(default_factory=dict)
    entries: list[Entry] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, mutant: Mutant, status: str, judgment: str | None) -> None:
        self.entries.append(Entry(mutant, status, judgment))

    @property
    def total(self) -> int:
        return len(self.entries)

    @property
    def killed(self) -> int:
        return sum(e.status in KILLED for e in self.entries)

    @property
    def timeouts(self) -> int:
        return sum(e.status == "timeout" for e in self.entries)

    @property
    def survivors(self) -> list[Entry]:
        return [e for e in self.entries if e.status not in KILLED]

    @property
    def unjudged(self) -> list[Entry]:
        return [e for e in self.survivors if e.judgment is None]

    @property
    def rate(self) -> float:
        return self.killed / self.total if self.total else 1.0

    def focus_rates(self) -> list[tuple[str, int, int, float, float]]:
        """(name, mutants, killed, rate, goal) for each focus part of the module."""
        out = []
        for name, (scopes, goal) in self.focus.items():
            part = [e for e in self.entries if _in_scopes(e.mutant.scope, scopes)]
            killed = sum(e.status in KILLED for e in part)
            out.append((name, len(part), killed, killed / len(part) if part else 1.0, goal))
        return out

    def meets_goals(self) -> bool:
        return self.rate >= self.goal and all(r >= g for _, _, _, r, g in self.focus_rates())


def _in_scopes(scope: str, scopes: tuple[str, ...]) -> bool:
    return any(scope == s or scope.startswith(s + ".") for s in scopes)


def _pct(value: float) -> str:
    return f"{value:.1%}"


def _code(text: str) -> str:
    return text.replace("|", "\\|")


def write_report(path: Path, results: list[ModuleResult], *, elapsed: float, context: str) -> None:
    lines = [
        "# Mutation testing",
        "",
        "Written by `benchmarks/mutation.py` from a real run; do not edit by hand. Each mutant is",
        "one small edit of a module (operator, comparison, `and`/`or`, `not`, a number + 1,",
        "`True`/`False`, an assigned value replaced by `None`, a statement replaced by `pass`);",
        "it is killed when the module's test subset fails (or times out) with the edit in place.",
        "Rerun: `.venv/bin/python benchmarks/mutation.py` (not part of the normal test command).",
        "",
        f"Run of {dt.date.today().isoformat()}: {elapsed / 60:.1f} min, {context}.",
        "",
        "## Kill rate per module",
        "",
        "| module | mutants | killed | of which timeouts | survived (all equivalent?) "
        "| kill rate | goal |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        judged = "yes" if not r.unjudged else f"**{len(r.unjudged)} not judged**"
        lines.append(
            f"| `{r.target}` | {r.total} | {r.killed} | {r.timeouts} | "
            f"{len(r.survivors)} ({judged}) | {_pct(r.rate)} | {_pct(r.goal)} |"
        )
    total = sum(r.total for r in results)
    killed = sum(r.killed for r in results)
    lines.append(f"| **all** | {total} | {killed} | | | {_pct(killed / total if total else 1)} | |")
    focus = [(r.target, f) for r in results for f in r.focus_rates()]
    if focus:
        lines += ["", "Parts of a module with a stricter goal:", ""]
        lines += [
            "| module part | mutants | killed | kill rate | goal |",
            "|---|---:|---:|---:|---:|",
        ]
        for target, (name, count, hit, rate, goal) in focus:
            lines.append(f"| `{target}`: {name} | {count} | {hit} | {_pct(rate)} | {_pct(goal)} |")
    lines += _tracked(results)
    lines += ["", "## Surviving mutants", ""]
    lines += [
        "Every survivor must be equivalent (no test could tell it from the real code); the",
        "reason is kept in `benchmarks/mutation_equivalents.py`. Anything else gets a test.",
    ]
    for r in results:
        if not r.survivors:
            continue
        lines += ["", f"### `{r.target}`", ""]
        for e in r.survivors:
            m = e.mutant
            why = e.judgment or "**NOT JUDGED: add a test, or a reason if it is equivalent**"
            if e.status == "uncovered":
                why += " (no test runs this line)"
            lines.append(
                f"- `src/image_skill/{m.module}:{m.line}` ({m.scope}) {_code(m.change)}: {why}"
            )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _tracked(results: list[ModuleResult]) -> list[str]:
    by_key = {e.mutant.key: e for r in results for e in r.entries}
    lines = [
        "",
        "## The mutants of issue 14",
        "",
        "Each survived the whole suite before the tests written for them.",
        "",
        "| mutant | where | outcome |",
        "|---|---|---|",
    ]
    for label, key in TRACKED:
        entry = by_key.get(key)
        if entry is None:
            outcome, where = "not generated in this run", "-"
        else:
            outcome = "killed" if entry.status in KILLED else "**survived**"
            where = f"`{entry.mutant.module}:{entry.mutant.line}`"
        lines.append(f"| {label} | {where} | {outcome} |")
    return lines
