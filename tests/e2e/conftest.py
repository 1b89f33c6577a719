"""Fixtures for end-to-end tests."""

from e2etools import e2e_env, served  # noqa: F401
