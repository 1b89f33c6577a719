"""Judgments for ``benchmarks/mutation.py``: surviving mutants that are equivalent, and the
mutants of issue 14 the report follows by name.

A key is ``Mutant.key`` (module | enclosing scope | before -> after [#n]); ``--list`` prints
them. Only a mutant no test could tell from the real code belongs in ``EQUIVALENT``; any
other survivor needs a test.
"""

from __future__ import annotations

_ALIAS = (
    "a type alias used only in annotations, which are never evaluated "
    "(from __future__ import annotations)"
)

_LAST = "the last statement of the function: falling off the end returns None too"

#: ``Mutant.key`` -> why no test can tell this mutant from the real code.
EQUIVALENT: dict[str, str] = {
    "guide/selection.py | <module> | dict[str, Any] -> None": _ALIAS,
    "guide/pricing.py | <module> | dict[str, Any] -> None": _ALIAS,
    "guide/rows.py | <module> | dict[str, Any] -> None": _ALIAS,
    "guide/compact.py | <module> | Callable[[list[str]], str] -> None": _ALIAS,
    "guide/payments.py | <module> | Callable[[str], str | None] -> None": _ALIAS,
    "guide/rows.py | needs_input | return False -> pass": (
        "for None the code after the early return gives False as well (get() of None is None)"
    ),
    "guide/payments.py | local_settle_command | return None -> pass": _LAST,
    "guide/payments.py | command_by_kind | return None -> pass": _LAST,
    "local/billing/ledger.py | <module> | Literal['free_preview', 'payment_backed'] -> None": (
        _ALIAS
    ),
    "local/billing/ledger.py | _apply | raise InsufficientCredits(-delta, row['balance']) -> pass": (  # noqa: E501
        "a second guard no public function reaches (debit checks the total first, release "
        "only adds, revoke_granted takes at most the balance); the table's CHECK stays a third"
    ),
    "local/registry/pricing.py | max_outputs | 0 -> 1": (
        "value > 1 instead of value > 0: the only value in between, 1, is also the fallback"
    ),
    "commands.py | swap_prefix | 1 -> 2": (
        "count=2 for a pattern anchored at ^ (no MULTILINE): it can only match once"
    ),
    "commands.py | command_words | 1 -> 2 #3": (
        "words[-1:-2] = extra: a slice whose stop is before its start is empty at its start, "
        "so the words are inserted before the last one exactly as words[-1:-1] does"
    ),
    "guide/pricing.py | xai_provider_cost | output_usd * 1 -> output_usd / 1": (
        "x * 1 and x / 1 are the same float"
    ),
    "guide/pricing.py | xai_provider_cost | 6 -> 7": (
        "rounding to 7 places instead of 6: every reachable cost is a sum of two of "
        "0.002, 0.01, 0.02, 0.05, 0.07, which both roundings bring to the same float"
    ),
    "files/sniff.py | _jpeg_size | pos + 4 <= end -> pos + 4 < end": (
        "with exactly 4 bytes left every branch ends in None (a frame header needs 9 bytes, "
        "other segments move past the end), so leaving the loop early also gives None"
    ),
    "files/sniff.py | sniff_mime | return None -> pass": _LAST,
    "files/sniff.py | _jpeg_size | return None -> pass": _LAST,
    "files/sniff.py | _webp_size | return None -> pass": _LAST,
    "files/sniff.py | _ftyp_brands | size > len(data) -> size >= len(data)": (
        "the data is at most the 64-byte head, so for size == len(data) min(len(data), 64) "
        "is that same size"
    ),
    "commands.py | _without_api_base_url | False -> None": "None and False are both false",
    "commands.py | _without_api_base_url | False -> None #2": "None and False are both false",
    "files/sniff.py | _jpeg_size | 4 -> 5": (
        "the loop test pos + 5 <= end: with exactly 4 bytes left every branch ends in None "
        "anyway (see pos + 4 < end)"
    ),
    "files/sniff.py | sniff_mime | 64 -> 65": (
        "a 65-byte head: brands are still read to byte 64 at most (min(len, 64), a 4-byte "
        "step from 16) and every other signature lies in the first 16 bytes"
    ),
    "commands.py | rerender_server_command | return None -> pass #4": (
        "shlex.split cannot fail on text _plain_shell_words accepted: unterminated quotes "
        "and a trailing backslash are refused before it"
    ),
    "files/sniff.py | _ftyp_brands | 64 -> 65": (
        "min(len(data), 65): the data is the head, at most 64 bytes, so both give len(data)"
    ),
    "files/sniff.py | _webp_size | 25 -> 26": (
        "a fifth little-endian byte only sets bits 32-39, which neither 14-bit field reads"
    ),
    "files/sniff.py | extension_for_mime | 1 -> 2": (
        "split(';', 2)[0] is the same first part as split(';', 1)[0]"
    ),
    "guide/pricing.py | xai_credit_pricing | 2 -> 3": (
        "credits * 0.01 for a whole number of credits rounds to the same float at 3 places as at 2"
    ),
    "local/billing/ledger.py | utc_day_window | 0 -> 1 #4": (
        "microsecond=1: every time the window is compared or shown as goes through iso(), "
        "which keeps milliseconds, so the window is unchanged"
    ),
    "guide/pricing.py | xai_credit_pricing | 6 -> 7": (
        "the rounding before ceil only removes float noise: for every reachable cost the "
        "quotient rounded at 7 places has the same ceiling as at 6"
    ),
    "files/sniff.py | <module> | 208 -> 209": (
        "0xD0 joins the start-of-frame set, but 0xD0 is a standalone marker handled first"
    ),
    "guide/payments.py | _suggested_commands | continue -> pass": (
        "the preferred rail's recovery strings were all added by the first loop, so the "
        "second loop's `not in commands` test skips each of them anyway"
    ),
    "guide/payments.py | _suggested_commands | True -> False": (
        "zip(strict=False): the recovery keys and their defaults are two constant tuples "
        "of three, so strict never has a shorter one to refuse"
    ),
}

#: (label, ``Mutant.key``) of mutants that survived the whole suite when issue 14 was filed.
TRACKED: tuple[tuple[str, str], ...] = (
    ("budget guard `credits / 100` -> `credits * 100`",
     "guide/pricing.py | Pricing.budget_guard | credits / 100 -> credits * 100"),
    ("budget guard default `0.07` -> `1.07`",
     "guide/pricing.py | Pricing.budget_guard | 0.07 -> 1.07"),
    ("`pricing = None` in `budget_usd`",
     "guide/selection.py | budget_usd | credit_pricing(model) -> None"),
    ("`credit_unit_usd` default `0.01` -> `1.01`",
     "guide/pricing.py | <module> | 0.01 -> 1.01"),
    ("element index `>` -> `>=`",
     "cli/references.py | _check_value | plan.index > MAX_ELEMENT_INDEX -> "
     "plan.index >= MAX_ELEMENT_INDEX"),
    ("references per element `>` -> `>=` (3 rejected)",
     "cli/references.py | _check_plan | references_per_element[element] > "
     "MAX_REFERENCES_PER_ELEMENT -> references_per_element[element] >= MAX_REFERENCES_PER_ELEMENT"),
    ("reference index `>` -> `>=`",
     "cli/references.py | _check_value | plan.reference_index > MAX_ELEMENT_REFERENCE_INDEX -> "
     "plan.reference_index >= MAX_ELEMENT_REFERENCE_INDEX"),
    ("reference-image index `>` -> `>=`",
     "cli/references.py | _check_value | plan.index > MAX_REFERENCE_IMAGE_INDEX -> "
     "plan.index >= MAX_REFERENCE_IMAGE_INDEX"),
    ("per-element count starting at 1",
     "cli/references.py | _check_plan | 0 -> 1"),
    ("selection reason `modality == \"audio\" and ...` -> `or`",
     "guide/selection.py | selection_reason | modality == 'audio' and implies_audio(haystack) -> "
     "modality == 'audio' or implies_audio(haystack)"),
    ("selection reason `needs_input and implies_3d` -> `or`",
     "guide/selection.py | selection_reason | needs_input(model) and implies_3d(haystack) -> "
     "needs_input(model) or implies_3d(haystack)"),
    ("`needs_input_image` `and` -> `or` (now `needs_input` in guide/rows.py)",
     "guide/rows.py | needs_input | required and supports(model, 'edit', 'variation') -> "
     "required or supports(model, 'edit', 'variation')"),
    ("image-to-3D check `and` -> `or`",
     "guide/selection.py | exec_img_to_3d | model.get('modality') == '3d' and "
     "exec_input_edit(model) -> model.get('modality') == '3d' or exec_input_edit(model)"),
    ("the 3D branch's budget-filtered list",
     "guide/selection.py | select_model | within_budget([m for m in rows if exec_img_to_3d(m)], "
     "max_usd) -> None"),
    ("audio modality fallback (non-empty rows)",
     "guide/selection.py | _modality_fallback | ('audio',) -> None"),
    ("video modality fallback (non-empty rows)",
     "guide/selection.py | _modality_fallback | ('video',) -> None"),
    ("3D modality fallback (non-empty rows)",
     "guide/selection.py | _modality_fallback | ('3d',) -> None"),
)  # fmt: skip
