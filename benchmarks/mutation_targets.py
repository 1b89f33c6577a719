"""What ``benchmarks/mutation.py`` mutates: each module, the tests meant to catch its mutants
(fast and targeted first, since ``-x`` stops at the first failure) and its goal."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Target:
    """One module to mutate, the tests that should catch its mutants and the goal."""

    module: str
    tests: tuple[str, ...]
    goal: float = 0.90
    #: Named parts of the module (sets of scopes) with their own, stricter goal.
    focus: dict[str, tuple[tuple[str, ...], float]] = field(default_factory=dict)


_GUIDE_TESTS = (
    "tests/unit/test_guide_pricing.py",
    "tests/unit/test_guide_selection_mutants.py",
    "tests/unit/test_guide_selection.py",
    "tests/unit/test_guide_reprice.py",
    "tests/unit/test_guide_keys.py",
    "tests/unit/test_guide_edit.py",
    "tests/unit/test_guide_commands.py",
    "tests/unit/test_guide_stages.py",
)
#: Modules, their test subsets (fast and targeted first: ``-x`` stops at the first failure)
#: and goals. A module missing from the tree is skipped and said so.
TARGETS: tuple[Target, ...] = (
    Target(
        "commands.py",
        (
            "tests/unit/test_commands_mutants.py",
            "tests/unit/test_commands.py",
            "tests/unit/test_server_text_rules.py",
            "tests/unit/test_guide_keys.py",
            "tests/unit/test_guide_commands.py",
        ),
    ),
    Target(
        "cli/references.py",
        (
            "tests/unit/test_references_limits.py",
            "tests/unit/test_references.py",
            "tests/unit/test_references_completeness.py",
            "tests/fuzz/test_parser_properties.py::test_build_plan_either_validates_or_raises_its_own_error",
        ),
        goal=0.95,
    ),
    Target(
        "guide/selection.py",
        _GUIDE_TESTS,
        focus={
            "pricing and budget": (("budget_usd", "within_budget", "Pricing", "pricing_of"), 0.95)
        },
    ),
    Target("guide/pricing.py", _GUIDE_TESTS, goal=0.95),
    Target("guide/rows.py", ("tests/unit/test_guide_rows.py", *_GUIDE_TESTS)),
    Target("guide/payments.py", ("tests/unit/test_guide_payments.py", *_GUIDE_TESTS), goal=0.95),
    Target("cli/summary.py", ("tests/unit/test_summary_mutants.py", "tests/unit/test_summary.py")),
    Target("cli/batch_lines.py", ("tests/unit/test_batch_plan.py",)),
    Target("cli/batch_plan.py", ("tests/unit/test_batch_plan.py",)),
    Target(
        "guide/compact.py", ("tests/unit/test_summary_mutants.py", "tests/unit/test_summary.py")
    ),
    Target("files/sniff.py", ("tests/unit/test_sniff_mutants.py", "tests/unit/test_sniff.py")),
    Target(
        "local/registry/pricing.py",
        ("tests/local/test_pricing_mutants.py", "tests/local/test_registry.py"),
        goal=0.95,
    ),
    Target(
        "local/billing/ledger.py",
        ("tests/local/test_ledger_mutants.py", "tests/local/test_store.py"),
        goal=0.95,
    ),
)
