"""Start-up figures: wall time of one CLI call, ours against the node client when available.

    python benchmarks/startup.py [--runs 10] [--json OUT]

Every command runs in a fresh interpreter (what an agent pays per call) after one warm-up
run, so bytecode is cached. The API commands (``whoami``, ``usage quota``, ``models list``,
``create --dry-run``, ``create --guide``) talk to one ``image-skill local serve`` on a
loopback port; the in-process rows use ``--api-base-url local`` on the same data dir.

With ``IMAGE_SKILL_NODE_CLI`` pointing at a node ``image-skill.mjs`` each command is paired
with the node client, A B A B, and the figure is the ratio of the medians (the in-process
rows are compared with node over HTTP). Without it the script reports absolute medians, the
Python floor (``python -c pass``, ``python -S -c pass``) and node's own start-up
(``node -e 0``): a node client can never start faster than node itself, so a ratio against
that floor that meets the target proves the target; one that does not leaves it open.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _bench import (
    PYTHON,
    Child,
    Figure,
    Tokens,
    cli,
    emit_json,
    envelope,
    floors,
    header,
    node_cli,
    run_child,
    served,
    show,
    signup,
)

PROMPT = "a lighthouse at dusk, oil painting"
#: (key, label, args, target ratio to node)
HTTP_ROWS: tuple[tuple[str, str, list[str], float], ...] = (
    ("startup.version", "version", ["version"], 0.4),
    ("startup.help", "--help", ["--help"], 0.6),
    ("startup.whoami", "whoami", ["whoami"], 0.75),
    ("startup.quota", "usage quota", ["usage", "quota"], 0.75),
    ("startup.models", "models list", ["models", "list"], 0.75),
    ("startup.dry_run", "create --dry-run", ["create", "--dry-run", "--prompt", PROMPT], 0.75),
    ("startup.guide", "create --guide", ["create", "--guide", "--prompt", PROMPT], 0.75),
)
LOCAL = ["--api-base-url", "local"]
#: Time budget of one row in seconds (0: none); ``--row-seconds`` sets it.
ROW_SECONDS = 0.0
#: The modules defining the CLI's commands (``image_skill.cli.<name>``).
COMMAND_MODULES = frozenset(
    "doctor trust signup auth usage credits models capabilities create upload edit assets jobs "
    "activity feedback local".split()
)
#: Packages whose import cost the report breaks out (cumulative, first import only).
HEAVY = ("httpx", "pydantic", "rich", "fastapi", "starlette", "click", "image_skill")


_PROBE = """
import json, os, sys
from image_skill.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
with open(os.environ["BENCH_MODULES_OUT"], "w") as handle:
    json.dump(sorted(sys.modules), handle)
"""


def import_profile(argv: list[str], env: dict[str, str], cwd: str) -> dict[str, Any]:
    """One ``-X importtime`` run: cumulative ms of the :data:`HEAVY` packages, and the
    command modules in ``sys.modules`` at the end (``importlib.import_module`` imports do
    not show in ``-X importtime``, so they are read from ``sys.modules``).

    A package's figure is the largest cumulative time of any of its modules that was
    imported first by someone outside the package (so nested imports are not counted twice).
    """
    out = Path(cwd) / "modules.json"
    proc = subprocess.run(
        [PYTHON, "-X", "importtime", "-c", _PROBE, *argv],
        capture_output=True,
        text=True,
        env={**env, "BENCH_MODULES_OUT": str(out)},
        cwd=cwd,
        check=False,
    )
    cost: dict[str, float] = {}
    stack: list[str] = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _self, cumulative, raw = line[len("import time:") :].split("|", 2)
        if not cumulative.strip().isdigit():
            continue
        name = raw.strip()
        depth = (len(raw) - len(raw.lstrip()) - 1) // 2
        del stack[depth:]
        stack.append(name.split(".")[0])
        root = stack[-1]
        outer = stack[-2] if len(stack) > 1 else None
        if root in HEAVY and outer != root:
            cost[root] = cost.get(root, 0.0) + int(cumulative) / 1000
    modules = json.loads(out.read_text()) if out.exists() else []
    commands = sorted(
        m.rsplit(".", 1)[1]
        for m in modules
        if m.startswith("image_skill.cli.") and m.rsplit(".", 1)[1] in COMMAND_MODULES
    )
    return {"import_ms": {k: round(v, 1) for k, v in cost.items()}, "cli_modules": commands}


def _bound(profile: dict[str, Any], floor_ms: float) -> str:
    parts = ", ".join(f"{name} {ms:.0f}" for name, ms in profile["import_ms"].items() if ms >= 5)
    return (
        f"Python floor {floor_ms:.0f} ms; imports (ms, cumulative, nested ones overlap): "
        f"{parts}; {len(profile['cli_modules'])} of 16 command modules loaded"
    )


def _check(child: Child, label: str) -> None:
    if child.returncode != 0 or envelope(child).get("ok") is not True:
        code = (envelope(child).get("error") or {}).get("code")
        raise RuntimeError(f"{label} failed (exit {child.returncode}, {code})")


def _pair(
    ours: Callable[[], Child],
    theirs: Callable[[], Child] | None,
    runs: int,
    label: str,
) -> tuple[list[float], list[float]]:
    """Warm up once, then ``runs`` rounds of ours, theirs (A B A B).

    With a :data:`ROW_SECONDS` budget, a row stops early (after at least three rounds) once
    its time is spent, so a busy machine stretches the run less.
    """
    started = time.monotonic()
    _check(ours(), label)
    if theirs is not None:
        _check(theirs(), label + " (node)")
    a: list[float] = []
    b: list[float] = []
    for i in range(runs):
        if i >= 3 and ROW_SECONDS and time.monotonic() - started > ROW_SECONDS:
            break
        child = ours()
        _check(child, label)
        a.append(child.seconds)
        if theirs is not None:
            # A node call that failed fast would flatter neither side honestly: both must
            # answer ok, every round.
            other = theirs()
            _check(other, label + " (node)")
            b.append(other.seconds)
    return a, b


def guide_stages(ours: Child, theirs: Child) -> str:
    """A note when the two guides end at different stages (so do different work), else ''.

    The node client named by ``IMAGE_SKILL_NODE_CLI`` may be older than the contract the
    backend speaks: 0.1.28's guide reads ``execution.model_execution_status`` only, so with
    0.1.70's compact model rows it stops at ``no_executable_model`` after the same reads.
    """
    stage_ours = (envelope(ours).get("data") or {}).get("stage")
    stage_node = (envelope(theirs).get("data") or {}).get("stage")
    if stage_ours == stage_node:
        return ""
    return (
        f"the node guide ends at stage `{stage_node}`, ours at `{stage_ours}` (ours selects a "
        "model and builds the ready command: more work than node's)"
    )


def _verdict(
    key: str,
    label: str,
    target: float,
    reference: str,
    ours: list[float],
    node: list[float],
    node_floor: float | None,
) -> Figure:
    median = statistics.median(ours)
    text = f"≤ {target:g} × node {reference}".rstrip()
    if node:
        ratio = median / statistics.median(node)
        passed: bool | None = ratio <= target
        node_ms = statistics.median(node) * 1000
        measured = f"{median * 1000:.0f} ms = {ratio:.2f} × node ({node_ms:.0f} ms)"
    elif node_floor:
        ratio = median / node_floor
        passed = True if ratio <= target else None
        measured = f"{median * 1000:.0f} ms = {ratio:.2f} × node's own start-up"
    else:
        ratio, passed, measured = 0.0, None, f"{median * 1000:.0f} ms"
    return Figure(
        key=key,
        figure=label,
        target=text,
        unit="ms",
        samples=ours,
        passed=passed,
        measured=measured,
        extra={"ratio": round(ratio, 3), "node_samples": node, "paired": bool(node)},
    )


#: Rows also timed from source alone (no ``.pyc`` for our package), their keys.
NO_BYTECODE_KEYS = ("startup.version", "startup.whoami", "startup.guide")


def no_bytecode_ms(args: list[str], env: dict[str, str], cwd: str, runs: int) -> float:
    """Median ms of ``args`` run from a copy of ``src/`` with no bytecode, as an editable
    install runs under ``PYTHONDONTWRITEBYTECODE=1`` (the dependencies keep theirs)."""
    import shutil
    import tempfile

    import image_skill

    source = Path(image_skill.__file__).parent
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(source, Path(tmp) / "image_skill", ignore=shutil.ignore_patterns("*.pyc"))
        plain = {**env, "PYTHONPATH": tmp, "PYTHONDONTWRITEBYTECODE": "1"}
        command = [PYTHON, "-c", "import sys; from image_skill.cli import main; sys.exit(main())"]
        samples = [run_child([*command, *args], plain, cwd=cwd).seconds for _ in range(runs)]
    return round(statistics.median(samples) * 1000, 1)


def measure(runs: int) -> list[Figure]:
    node = node_cli()
    figures: list[Figure] = []
    with served() as (box, server):
        token = str(signup(server.base)["token"])
        env = box.env(IMAGE_SKILL_API_BASE_URL=server.base, IMAGE_SKILL_TOKEN=token)
        cwd = str(box.work)
        floor = floors(env, runs)
        print("  floors (no image-skill code):")
        for name, samples in floor.items():
            show(name, samples)
        node_floor = statistics.median(floor["node -e 0"]) if "node -e 0" in floor else None
        for key, label, args, target in HTTP_ROWS:
            ours, theirs = _pair(
                lambda a=args: run_child([*cli(), *a], env, cwd=cwd),
                (lambda a=args: run_child([*node, *a], env, cwd=cwd)) if node else None,
                runs,
                label,
            )
            figure = _verdict(key, label, target, "", ours, theirs, node_floor)
            figure.extra["profile"] = import_profile(args, env, cwd)
            if key in NO_BYTECODE_KEYS:
                figure.extra["no_bytecode_ms"] = no_bytecode_ms(args, env, cwd, max(3, runs // 2))
            if node and key == "startup.guide":
                mine = run_child([*cli(), *args], env, cwd=cwd)
                note = guide_stages(mine, run_child([*node, *args], env, cwd=cwd))
                if note:
                    figure.extra["note"] = note
            figures.append(figure)
            show(label, ours)
            if theirs:
                show(label + " (node)", theirs)
        # In-process: same data dir, no server in the path; node is timed over HTTP.
        ours, theirs = _pair(
            lambda: run_child([*cli(), "whoami", *LOCAL], env, cwd=cwd),
            (lambda: run_child([*node, "whoami"], env, cwd=cwd)) if node else None,
            runs,
            "whoami (in-process)",
        )
        figures.append(
            _verdict(
                "startup.local_whoami",
                "whoami --api-base-url local",
                1.0,
                "whoami over HTTP",
                ours,
                theirs,
                node_floor,
            )
        )
        figures[-1].extra["profile"] = import_profile(["whoami", *LOCAL], env, cwd)
        show("whoami --api-base-url local", ours)
        tokens = Tokens(server.base)
        create = ["create", "--prompt", PROMPT]

        def ours_create() -> Child:
            return run_child(
                [*cli(), *create, *LOCAL], box.env(IMAGE_SKILL_TOKEN=tokens.next()), cwd=cwd
            )

        def node_create() -> Child:
            assert node is not None
            live = box.env(IMAGE_SKILL_API_BASE_URL=server.base, IMAGE_SKILL_TOKEN=tokens.next())
            return run_child([*node, *create], live, cwd=cwd)

        ours, theirs = _pair(
            ours_create, node_create if node else None, max(3, runs // 2), "create (in-process)"
        )
        figures.append(
            _verdict(
                "startup.local_create",
                "image create --api-base-url local",
                1.5,
                "create over HTTP",
                ours,
                theirs,
                node_floor,
            )
        )
        figures[-1].extra["profile"] = import_profile([*create, *LOCAL], env, cwd)
        show("create --api-base-url local", ours)
    python_floor = statistics.median(floor["python -c pass"]) * 1000
    for figure in figures:
        if figure.passed is not True and "profile" in figure.extra:
            figure.bound = _bound(figure.extra["profile"], python_floor)
        if "note" in figure.extra:
            figure.bound = "; ".join(filter(None, [figure.bound, figure.extra["note"]]))
        figure.extra["floors_ms"] = {
            name: round(statistics.median(samples) * 1000, 1) for name, samples in floor.items()
        }
        figure.extra["reference"] = "node client" if node else "node -e 0 (no node client)"
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument(
        "--row-seconds", type=float, default=0.0, help="stop a row after this long (min 3 runs)"
    )
    parser.add_argument("--json", help="also write the figures as JSON to this file")
    opts = parser.parse_args()
    global ROW_SECONDS
    ROW_SECONDS = opts.row_seconds
    header("start-up")
    figures = measure(opts.runs)
    for figure in figures:
        status = {True: "pass", False: "MISS", None: "open"}[figure.passed]
        print(f"  {figure.figure:<36} {figure.measured:<46} target {figure.target}: {status}")
    emit_json(figures, opts.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
