"""Mutant generation for ``benchmarks/mutation.py``: small, deterministic AST edits.

Each mutant changes one node of a module:

* ``operator``: ``+`` <-> ``-``, ``*`` <-> ``/``, ``//`` -> ``/``, ``%`` -> ``//`` (also in
  augmented assignments);
* ``comparison``: ``<`` <-> ``<=``, ``>`` <-> ``>=``, ``==`` <-> ``!=``, ``is`` <-> ``is not``,
  ``in`` <-> ``not in``;
* ``boolean``: ``and`` <-> ``or``, ``not x`` -> ``x``;
* ``constant``: an int or float ``n`` -> ``n + 1``, ``True`` <-> ``False``;
* ``none-assign``: the value of an assignment replaced by ``None``;
* ``remove``: a simple statement (expression, return, raise, augmented or item assignment,
  break, continue) replaced by ``pass``.

Not mutated: docstrings, string literals, annotations (never evaluated under
``from __future__ import annotations``), ``__all__``, ``if TYPE_CHECKING:`` blocks and any
line carrying ``# pragma: no mutate``. Mutants are numbered in a stable order (the order of
``ast.walk`` over the module), so ``module:index`` names one mutant until the module changes;
the judgment key (``Mutant.key``) is built from the enclosing function and the change itself
and survives edits elsewhere in the file.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass

PRAGMA = "pragma: no mutate"

_BIN_SWAPS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Mod: ast.FloorDiv,
}
_CMP_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}
_REMOVABLE = (ast.Expr, ast.Return, ast.Raise, ast.AugAssign, ast.Break, ast.Continue)
_SHORT = 100


@dataclass(frozen=True)
class Mutant:
    """One mutant of ``module`` (a path relative to the package directory)."""

    module: str
    index: int
    line: int
    end_line: int
    scope: str
    kind: str
    before: str
    after: str
    occurrence: int
    source: str

    @property
    def change(self) -> str:
        return f"`{_short(self.before)}` -> `{_short(self.after)}`"

    @property
    def key(self) -> str:
        """Stable name for judgments: module, enclosing scope and the change."""
        tail = f" #{self.occurrence}" if self.occurrence > 1 else ""
        return f"{self.module} | {self.scope} | {_short(self.before)} -> {_short(self.after)}{tail}"


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _SHORT else flat[: _SHORT - 1] + "…"


def _is_docstring(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _skipped_subtrees(tree: ast.Module) -> set[int]:
    """ids of nodes never mutated (annotations, __all__, TYPE_CHECKING blocks, docstrings)."""
    skipped: set[int] = set()

    def skip(node: ast.AST | None) -> None:
        if node is not None:
            skipped.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        if isinstance(node, ast.arg):
            skip(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            skip(node.returns)
        elif isinstance(node, ast.AnnAssign):
            skip(node.annotation)
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            skip(node)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip(node)
        if _is_docstring(node):
            skip(node)
    return skipped


def _scopes(tree: ast.Module) -> dict[int, str]:
    """Map node id -> qualified name of the innermost enclosing def/class."""
    names: dict[int, str] = {}

    def visit(node: ast.AST, scope: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = scope
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                inner = child.name if scope == "<module>" else f"{scope}.{child.name}"
            names[id(child)] = inner
            visit(child, inner)

    visit(tree, "<module>")
    return names


Edit = Callable[[ast.AST], ast.AST | None]
"""Mutates the given (copied) node in place, or returns a replacement node."""


def _edits(node: ast.AST) -> Iterator[tuple[str, Edit]]:
    if isinstance(node, ast.BinOp | ast.AugAssign) and type(node.op) in _BIN_SWAPS:
        new_op = _BIN_SWAPS[type(node.op)]

        def swap_op(n: ast.AST, new_op: type[ast.operator] = new_op) -> None:
            n.op = new_op()  # type: ignore[attr-defined]

        yield "operator", swap_op
    if isinstance(node, ast.Compare):
        for position, op in enumerate(node.ops):
            if type(op) in _CMP_SWAPS:
                new_cmp = _CMP_SWAPS[type(op)]

                def swap_cmp(n: ast.AST, i: int = position, c: type[ast.cmpop] = new_cmp) -> None:
                    n.ops[i] = c()  # type: ignore[attr-defined]

                yield "comparison", swap_cmp
    if isinstance(node, ast.BoolOp):

        def swap_bool(n: ast.AST) -> None:
            n.op = ast.Or() if isinstance(n.op, ast.And) else ast.And()  # type: ignore[attr-defined]

        yield "boolean", swap_bool
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield "boolean", lambda n: n.operand  # type: ignore[attr-defined]
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            yield "constant", lambda n: ast.Constant(not n.value)  # type: ignore[attr-defined]
        elif isinstance(value, int | float):
            yield "constant", lambda n: ast.Constant(n.value + 1)  # type: ignore[attr-defined]
    if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
        if not (isinstance(node.value, ast.Constant) and node.value.value is None):

            def to_none(n: ast.AST) -> None:
                n.value = ast.Constant(None)  # type: ignore[attr-defined]

            yield "none-assign", to_none
    removable = isinstance(node, _REMOVABLE) or (
        isinstance(node, ast.Assign)
        and all(isinstance(t, ast.Subscript | ast.Attribute) for t in node.targets)
    )
    if removable:
        yield "remove", lambda _: ast.Pass()


def _describe(kind: str, old: ast.AST, new: ast.AST) -> tuple[str, str]:
    if kind == "remove":
        return ast.unparse(old), "pass"
    if kind == "none-assign":
        return ast.unparse(old.value), "None"  # type: ignore[attr-defined]
    return ast.unparse(old), ast.unparse(new)


def _replace(tree: ast.AST, target: ast.AST, new: ast.AST) -> None:
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is target:
                setattr(parent, field, new)
                return
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if item is target:
                        value[i] = new
                        return
    raise ValueError("node not found in its tree")


def generate(module: str, source: str) -> list[Mutant]:
    """Every mutant of ``source`` in a stable order."""
    tree = ast.parse(source)
    lines = source.splitlines()
    skipped = _skipped_subtrees(tree)
    scopes = _scopes(tree)
    originals = list(ast.walk(tree))
    pristine = ast.unparse(tree)
    mutants: list[Mutant] = []
    seen: dict[str, int] = {}
    for position, node in enumerate(originals):
        if id(node) in skipped or not hasattr(node, "lineno"):
            continue
        if PRAGMA in lines[node.lineno - 1]:
            continue
        for kind, edit in _edits(node):
            mutated_tree = copy.deepcopy(tree)
            target = list(ast.walk(mutated_tree))[position]
            before_copy = copy.deepcopy(target)
            replacement = edit(target)
            new = target if replacement is None else replacement
            if replacement is not None:
                _replace(mutated_tree, target, replacement)
            ast.fix_missing_locations(mutated_tree)
            mutated_source = ast.unparse(mutated_tree)
            if mutated_source == pristine:  # e.g. 1e21 + 1 == 1e21: no change at all
                continue
            before, after = _describe(kind, before_copy, new)
            scope = scopes.get(id(node), "<module>")
            base = f"{scope}|{_short(before)}|{_short(after)}"
            seen[base] = seen.get(base, 0) + 1
            mutants.append(
                Mutant(
                    module=module,
                    index=len(mutants) + 1,
                    line=node.lineno,
                    end_line=getattr(node, "end_lineno", None) or node.lineno,
                    scope=scope,
                    kind=kind,
                    before=before,
                    after=after,
                    occurrence=seen[base],
                    source=mutated_source,
                )
            )
    return mutants


def baseline(source: str) -> str:
    """The unmutated module as the mutants are written (``ast.unparse`` of the original)."""
    return ast.unparse(ast.parse(source))
