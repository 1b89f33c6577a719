"""Judgments for ``benchmarks/mutation.py``: surviving mutants that are equivalent, and the
mutants of issue 14 the report follows by name."""

from __future__ import annotations

#: ``Mutant.key`` -> why no test can tell this mutant from the real code.
EQUIVALENT: dict[str, str] = {}

#: (label, ``Mutant.key``) of mutants that once survived every test.
TRACKED: tuple[tuple[str, str], ...] = ()
