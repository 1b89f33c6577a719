"""Click options shared by `create` and `edit` (reference flags, budget flags, the spend set).

Standard library and click only at import time (the CLI imports this module at start-up).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click


def reference_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The three repeatable reference flags of create and edit (contract §10.3)."""
    for name, metavar, text in reversed(
        [
            ("--element-frontal", "IMAGE[@ELEMENT]", "Frontal image of an element (repeatable)."),
            (
                "--element-reference",
                "IMAGE[@ELEMENT[:REF]]",
                "Extra view of an element (repeatable, up to 3 per element).",
            ),
            (
                "--reference-image",
                "IMAGE[@INDEX[:TASK]]",
                "Reference image; TASK is ip, id or style (repeatable).",
            ),
        ]
    ):
        func = click.option(name, multiple=True, metavar=metavar, help=text)(func)
    return func


def budget_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--max-estimated-usd-per-image",
            metavar="USD",
            help="Refuse to run when one output would debit more than this.",
        ),
        click.option(
            "--max-usd",
            metavar="USD",
            help="Refuse to run when the whole job would debit more than this.",
        ),
        click.option(
            "--accept-unknown-cost",
            is_flag=True,
            help="Allow models whose cost is not known before running.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def spend_options(noun: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The options create and edit share after their own ones, from --model-parameters-json
    to --overwrite; ``noun`` ("created", "edited") goes into the help of --output."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        func = click.option(
            "--overwrite", is_flag=True, help="Let --output replace existing files."
        )(func)
        func = click.option(
            "--output",
            metavar="PATH_OR_DIR",
            help=f"Download the {noun} assets here (file or dir).",
        )(func)
        func = reference_options(func)
        func = click.option(
            "--idempotency-key", metavar="KEY", help="Reuse to retry without a second charge."
        )(func)
        func = click.option("--dry-run", is_flag=True, help="Validate and plan without spending.")(
            func
        )
        func = budget_options(func)
        return click.option(
            "--model-parameters-json", metavar="JSON", help="Model parameters as a JSON object."
        )(func)

    return decorate
