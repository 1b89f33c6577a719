"""Mutation testing of the pure core: does a wrong number, operator or condition fail a test?

    .venv/bin/python benchmarks/mutation.py            # every module; rewrites docs/mutation.md
    .venv/bin/python benchmarks/mutation.py --module cli/references.py   # one module, no report
    .venv/bin/python benchmarks/mutation.py --list --module commands.py  # mutants only, no tests
    .venv/bin/python benchmarks/mutation.py --show cli/references.py:12  # the diff of one mutant

For each module in ``TARGETS`` the runner makes every mutant of ``mutation_ops`` (one small
AST edit each), writes it into a temporary copy of ``src/`` that comes first on
``sys.path`` and ``PYTHONPATH`` (the real tree is never touched), and runs that module's test
subset with ``pytest -x -q -p no:cacheprovider``. A mutant is *killed* when a test fails or
the run exceeds its timeout, and *survives* when every test passes. Heavy third-party
imports are made once in the parent and each test run is a fork of it, so a mutant costs
its tests, not a fresh interpreter.

Survivors are matched against ``mutation_equivalents.EQUIVALENT`` (key -> one-line reason):
only genuinely equivalent mutants belong there. The exit status is 1 when a survivor has no
judgment or a module is below its target kill rate. This is slow on purpose and is not part
of the normal test command (``pytest`` collects ``tests/`` only).
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import difflib
import importlib
import os
import pickle
import platform
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from mutation_coverage import LineMap, Recorder, load
from mutation_equivalents import EQUIVALENT
from mutation_ops import Mutant, baseline, generate
from mutation_report import ModuleResult, write_report
from mutation_targets import TARGETS, Target

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "image_skill"
REPORT = ROOT / "docs" / "mutation.md"
#: Outcomes of the last run, for --rejudge (outside the tree).
LAST_RUN = Path(
    os.environ.get("MUTATION_LAST_RUN")
    or Path(tempfile.gettempdir()) / "image-skill-mutation-last-run.pickle"
)
PRELOAD = (
    "pytest",
    "pytest_timeout",
    "_hypothesis_pytestplugin",
    "hypothesis",
    "click",
    "httpx",
    "pydantic",
    "rich",
    "PIL.Image",
    "sqlite3",
)
# Plugins are named, not auto-loaded: schemathesis' and anyio's plugins cost seconds per run
# and none of the subsets needs them. The preloaded plugins cannot be assertion-rewritten.
PLUGINS = ("-p", "pytest_timeout", "-p", "_hypothesis_pytestplugin")
PYTEST_ARGS = (
    "-x",
    "-q",
    "-p",
    "no:cacheprovider",
    *PLUGINS,
    "-W",
    "ignore::pytest.PytestAssertRewriteWarning",
)


def _preload() -> None:
    """Import the heavy third-party modules once, before any fork (never image_skill)."""
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:  # an optional extra that is not installed
            pass
    if any(name == PACKAGE or name.startswith(PACKAGE + ".") for name in sys.modules):
        raise SystemExit("image_skill was imported before forking: the mutants would not load")


def _child_pytest(tests: Sequence[str], log: Path | None, trace: tuple[str, Path] | None) -> int:
    import pytest

    out = os.open(log or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.chdir(ROOT)
    if trace is None:
        return int(pytest.main([*tests, *PYTEST_ARGS]))
    recorder = Recorder(trace[0])
    recorder.start()
    code = int(pytest.main([*tests, *PYTEST_ARGS], plugins=[recorder]))
    recorder.dump(trace[1])
    return code


def run_forked(
    tests: Sequence[str],
    timeout: float,
    log: Path | None = None,
    trace: tuple[str, Path] | None = None,
) -> tuple[str, int, float]:
    """Run ``tests`` in a fork: ('passed' | 'failed' | 'timeout', exit code, seconds).
    Output goes to ``log`` (else nowhere); ``trace`` = (file, out) records a line map."""
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # child
        code = 99
        try:
            code = _child_pytest(tests, log, trace)
        finally:
            os._exit(code)
    deadline = started + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return "timeout", -1, time.monotonic() - started
        time.sleep(0.01)
    code = os.waitstatus_to_exitcode(status)
    return ("passed" if code == 0 else "failed"), code, time.monotonic() - started


def _import_path_check(copy_src: Path) -> None:
    """The forked children must import the package from the temporary copy."""
    pid = os.fork()
    if pid == 0:
        try:
            module = importlib.import_module(PACKAGE)
            inside = Path(module.__file__ or "").resolve().is_relative_to(copy_src.resolve())
            os._exit(0 if inside else 1)
        finally:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{PACKAGE} is not imported from {copy_src}: check the venv's paths")


def _setup_copy(workdir: Path) -> Path:
    copy_src = workdir / "src"
    shutil.copytree(ROOT / "src", copy_src, ignore=shutil.ignore_patterns("__pycache__"))
    compileall.compile_dir(copy_src, quiet=1)
    sys.path.insert(0, str(copy_src))
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(copy_src), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    return copy_src


_stamp = 1_000_000_000


def _write(path: Path, source: str) -> None:
    """Write a module with an mtime no earlier version had, so no stale .pyc is ever used
    (a .pyc records its source's mtime in whole seconds, and its size)."""
    global _stamp
    _stamp += 1
    path.write_text(source, encoding="utf-8")
    os.utime(path, (_stamp, _stamp))


def _existing_tests(target: Target) -> tuple[str, ...]:
    tests = tuple(t for t in target.tests if (ROOT / t.split("::")[0]).is_file())
    missing = sorted(set(target.tests) - set(tests))
    if missing:
        print(f"{target.module}: test file(s) not found, left out: {missing}", flush=True)
    return tests


def _spans(module: str, pristine: str, mutants: list[Mutant]) -> list[tuple[int, int]] | None:
    """Each mutant's lines in the module as written for the run (``baseline``)."""
    again = generate(module, baseline(pristine))
    if [m.key for m in again] != [m.key for m in mutants]:
        return None
    return [(m.line, m.end_line) for m in again]


def _run_mutant(
    target: Target, tests: list[str] | None, timeout: float
) -> tuple[str, list[str] | None]:
    """Outcome of one mutant already written: ('passed' | 'failed' | 'timeout' | 'uncovered')."""
    if tests == []:
        return "uncovered", tests
    status, code, _ = run_forked(tests or target.tests, timeout)
    if tests is not None and code in (4, 5):  # a test id pytest did not find: run them all
        status, code, _ = run_forked(target.tests, timeout)
        tests = None
    return status, tests


def run_target(target: Target, copy_src: Path, *, floor: float, verbose: bool) -> ModuleResult:
    path = copy_src / PACKAGE / target.module
    target = replace(target, tests=_existing_tests(target))
    pristine = path.read_text(encoding="utf-8")
    mutants = generate(target.module, pristine)
    spans = _spans(target.module, pristine, mutants)
    result = ModuleResult(target=target.module, goal=target.goal, focus=target.focus)
    try:
        _write(path, baseline(pristine))
        log, map_file = copy_src.parent / "baseline.log", copy_src.parent / "lines.json"
        status, _, took = run_forked(target.tests, 900, log=log, trace=(str(path), map_file))
        if status != "passed":
            tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
            raise SystemExit(f"{tail}\n{target.module}: the tests fail on the unmutated module")
        lines: LineMap | None = load(map_file) if spans is not None else None
        timeout = max(floor, 3 * took)
        print(f"{target.module}: {len(mutants)} mutants, traced baseline {took:.1f}s", flush=True)
        started = time.monotonic()
        for i, mutant in enumerate(mutants):
            selected = lines.tests_for(*spans[i]) if lines is not None and spans else None
            _write(path, mutant.source)
            status, _ = _run_mutant(target, selected, timeout)
            result.add(mutant, status, EQUIVALENT.get(mutant.key))
            if verbose or status in ("passed", "uncovered"):
                mark = "SURVIVED" if status == "passed" else status
                print(f"  {mark:9} {mutant.module}:{mutant.line} {mutant.key}", flush=True)
        result.seconds = time.monotonic() - started
    finally:
        _write(path, pristine)
    print(f"  killed {result.killed}/{result.total} ({result.rate:.1%})", flush=True)
    return result


def _present(target: Target) -> bool:
    if (ROOT / "src" / PACKAGE / target.module).is_file():
        return True
    print(f"{target.module}: not in the tree, skipped", flush=True)
    return False


def _select(names: Sequence[str]) -> list[Target]:
    if not names:
        return [t for t in TARGETS if _present(t)]
    by_name = {t.module: t for t in TARGETS}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise SystemExit(f"unknown module(s) {unknown}; choose from {sorted(by_name)}")
    return [by_name[n] for n in names]


def _source(module: str) -> str:
    return (ROOT / "src" / PACKAGE / module).read_text(encoding="utf-8")


def _show(spec: str) -> None:
    module, _, index = spec.rpartition(":")
    mutants = generate(module, _source(module))
    mutant: Mutant = mutants[int(index) - 1]
    old = baseline(_source(module)).splitlines(keepends=True)
    new = mutant.source.splitlines(keepends=True)
    print(mutant.key)
    sys.stdout.writelines(difflib.unified_diff(old, new, f"a/{module}", f"b/{module}"))


def _run_group(targets: Sequence[Target], floor: float, verbose: bool) -> list[ModuleResult]:
    with tempfile.TemporaryDirectory(prefix="image-skill-mutation-") as tmp:
        copy_src = _setup_copy(Path(tmp))
        _import_path_check(copy_src)
        return [run_target(t, copy_src, floor=floor, verbose=verbose) for t in targets]


def _run_parallel(
    targets: Sequence[Target], jobs: int, floor: float, verbose: bool
) -> list[ModuleResult]:
    """Modules shared out to ``jobs`` forked workers (largest first), results in target order."""
    groups: list[list[Target]] = [[] for _ in range(jobs)]
    loads = [0] * jobs
    for target in sorted(targets, key=lambda t: -len(generate(t.module, _source(t.module)))):
        i = loads.index(min(loads))
        groups[i].append(target)
        loads[i] += len(generate(target.module, _source(target.module)))
    with tempfile.TemporaryDirectory(prefix="image-skill-mutation-results-") as tmp:
        workers: dict[int, Path] = {}
        running: set[int] = set()
        for i, group in enumerate(g for g in groups if g):
            out = Path(tmp) / f"worker{i}.pickle"
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    out.write_bytes(pickle.dumps(_run_group(group, floor, verbose)))
                    code = 0
                except BaseException as error:  # say why before the worker ends
                    print(f"worker {i} stopped: {error}", flush=True)
                finally:
                    os._exit(code)
            workers[pid] = out
            running.add(pid)
        try:
            for pid in workers:
                _, status = os.waitpid(pid, 0)
                running.discard(pid)
                code = os.waitstatus_to_exitcode(status)
                if code != 0:  # a signal (e.g. the OOM killer) leaves no output of its own
                    how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit {code}"
                    raise SystemExit(f"mutation worker {pid} failed ({how}); see its output above")
        finally:
            for pid in running:  # only our own workers that have not been reaped
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
        by_module = {
            r.target: r for out in workers.values() for r in pickle.loads(out.read_bytes())
        }
    return [by_module[t.module] for t in targets]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", action="append", default=[], help="a module of TARGETS")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--show", metavar="MODULE:N", help="print the diff of one mutant")
    parser.add_argument("--timeout-floor", type=float, default=20.0, help="seconds per mutant")
    parser.add_argument(
        "--report", type=Path, help=f"write the report (default {REPORT} when every module runs)"
    )
    parser.add_argument("--verbose", action="store_true", help="print every mutant's outcome")
    parser.add_argument(
        "--jobs", type=int, default=1, help="modules run side by side (each its own copy)"
    )
    parser.add_argument(
        "--rejudge",
        action="store_true",
        help="rewrite the report of the last run with the "
        "current judgments (after adding a reason to mutation_equivalents.py)",
    )
    args = parser.parse_args(argv)
    if args.rejudge:
        return _rejudge(args.report)
    targets = _select(args.module)
    if args.show:
        _show(args.show)
        return 0
    if args.list:
        for target in targets:
            for mutant in generate(target.module, _source(target.module)):
                print(f"{mutant.module}:{mutant.index} line {mutant.line} {mutant.key}")
        return 0
    _preload()
    # SIGTERM unwinds like Ctrl-C: the temporary copy is removed, nothing else was touched
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    if args.jobs > 1:
        results = _run_parallel(targets, args.jobs, args.timeout_floor, args.verbose)
    else:
        results = _run_group(targets, args.timeout_floor, args.verbose)
    elapsed = time.monotonic() - started
    context = f"Python {platform.python_version()}, {os.cpu_count()} CPUs, --jobs {args.jobs}"
    if args.module and LAST_RUN.is_file():  # a rerun of some modules updates the last run
        earlier, earlier_elapsed, _, _ = pickle.loads(LAST_RUN.read_bytes())
        merged = {r.target: r for r in earlier} | {r.target: r for r in results}
        complete = all(t.module in merged for t in TARGETS if _present(t))
        ordered = [merged[t.module] for t in TARGETS if t.module in merged]
        context += "; modules rerun with --module on top of an earlier run (minutes added up)"
        LAST_RUN.write_bytes(pickle.dumps((ordered, earlier_elapsed + elapsed, context, complete)))
    else:
        LAST_RUN.write_bytes(pickle.dumps((results, elapsed, context, not args.module)))
    return _finish(results, elapsed, context, args.report or (REPORT if not args.module else None))


def _rejudge(report: Path | None) -> int:
    """The last run's outcomes with the judgments as they are now (no mutant is rerun)."""
    results, elapsed, context, full = pickle.loads(LAST_RUN.read_bytes())
    if report is None and not full:
        raise SystemExit("the last run covered only some modules: pass --report PATH")
    for result in results:
        for entry in result.entries:
            entry.judgment = EQUIVALENT.get(entry.mutant.key)
    return _finish(results, elapsed, context, report or REPORT)


def _finish(results: list[ModuleResult], elapsed: float, context: str, report: Path | None) -> int:
    if report is not None:
        write_report(report, results, elapsed=elapsed, context=context)
        print(f"report written to {report}")
    failing = [r.target for r in results if not r.meets_goals() or r.unjudged]
    if failing:
        print(f"below target or with unjudged survivors: {', '.join(failing)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
