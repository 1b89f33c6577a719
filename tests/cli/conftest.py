"""Fixtures shared by the CLI tests (a module may still define its own of the same name)."""

from spendtools import account  # noqa: F401
