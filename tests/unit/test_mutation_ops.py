"""The mutant generator of benchmarks/mutation.py: which edits it makes and which code it
leaves alone (the mutation run itself is slow and not part of the test command)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from mutation_ops import baseline, generate  # noqa: E402

SOURCE = '''"""Docstring."""
from __future__ import annotations

__all__ = ["f"]
LIMIT: int = 9


def f(x: int = 1) -> bool:
    """Not mutated."""
    if x > LIMIT and not False:
        return x + 1 == 2
    x += 1  # pragma: no mutate
    return True
'''


def test_each_kind_of_edit_is_made_once_per_site() -> None:
    changes = {(m.kind, m.before, m.after) for m in generate("m.py", SOURCE)}
    assert ("comparison", "x > LIMIT", "x >= LIMIT") in changes
    assert ("boolean", "x > LIMIT and (not False)", "x > LIMIT or not False") in changes
    assert ("boolean", "not False", "False") in changes
    assert ("operator", "x + 1", "x - 1") in changes
    assert ("constant", "9", "10") in changes
    assert ("constant", "True", "False") in changes
    assert ("none-assign", "9", "None") in changes
    assert ("remove", "return True", "pass") in changes


def test_docstrings_all_and_pragma_lines_are_left_alone() -> None:
    mutants = generate("m.py", SOURCE)
    touched = " ".join(m.before for m in mutants)
    assert "Docstring" not in touched and "Not mutated" not in touched
    assert all(m.line != 12 for m in mutants)  # the pragma line
    assert not any(m.before == "['f']" for m in mutants)


def test_every_mutant_compiles_and_differs_from_the_baseline() -> None:
    base = baseline(SOURCE)
    mutants = generate("m.py", SOURCE)
    for mutant in mutants:
        compile(mutant.source, "m.py", "exec")
        assert mutant.source != base
    assert len({m.key for m in mutants}) == len(mutants)
