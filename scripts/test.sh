#!/usr/bin/env bash
# Install the project with its dev extra into .venv and run every quality gate:
# ruff (lint + format), mypy --strict on src/, the import-linter layer contracts, the
# docs/cli.md freshness check, pytest.
# Exits non-zero when any gate fails, including when pytest collects no tests.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'

echo "== ruff check"
.venv/bin/ruff check src tests scripts benchmarks examples
echo "== ruff format --check"
.venv/bin/ruff format --check src tests scripts benchmarks examples
echo "== mypy (strict: src/ and examples/)"
.venv/bin/mypy
echo "== import-linter (layers, no cycles: .importlinter)"
.venv/bin/lint-imports --no-cache
echo "== docs/cli.md is current"
.venv/bin/python scripts/gen_cli_docs.py --check
echo "== bytecode for src/"
# Many tests start the CLI as a subprocess; where PYTHONDONTWRITEBYTECODE is set (as on our CI
# machines) each of them would compile the package from source again (about 0.3 s for an
# in-process backend call). Compiling once up front lets them load it.
.venv/bin/python -m compileall -q src
echo "== pytest"
set +e
# -n 2: both cores of the CI machine (pytest-xdist); pass -n 0 to run in one process.
# --dist worksteal: an idle worker takes queued tests from the busy one, so a few long e2e
# tests at the end do not leave a core idle.
.venv/bin/python -m pytest -q -p no:cacheprovider -n 2 --dist worksteal "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: treating that as a failure" >&2
  exit 1
fi
exit "$status"
