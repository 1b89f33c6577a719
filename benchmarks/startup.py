"""Start-up benchmark: how long `image-skill version` and `--help` take, and which heavy
modules they import (they must import none of httpx, pydantic, rich).

    python benchmarks/startup.py [--runs 10]

It runs each command in fresh interpreters (`python -X importtime -m image_skill ...`),
reports the median wall time and the cumulative import time of the package, and exits 1
if a forbidden module was imported.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

FORBIDDEN = ("httpx", "pydantic", "rich")
COMMANDS = (["version"], ["--help"], ["create", "--help"])


def imported_modules(args: list[str]) -> tuple[set[str], int]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "image_skill", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    names: set[str] = set()
    total_us = 0
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = [p.strip() for p in line[len("import time:") :].split("|")]
        if not parts[0].isdigit():
            continue
        name = parts[2]
        names.add(name.split(".")[0])
        if name == "image_skill":
            total_us = int(parts[1])
    return names, total_us


def wall_time(args: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "image_skill", *args], capture_output=True, check=False
        )
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    opts = parser.parse_args()
    failed = False
    for args in COMMANDS:
        names, cumulative = imported_modules(args)
        bad = sorted(set(FORBIDDEN) & names)
        median = wall_time(args, opts.runs)
        label = " ".join(args)
        print(
            f"{label:>16}: median {median * 1000:6.1f} ms, image_skill imports "
            f"{cumulative / 1000:6.1f} ms, forbidden imports: {bad or 'none'}"
        )
        failed = failed or bool(bad)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
