"""Live spend keys and the lost-request recovery (contract 0.1.70 §6.1), against the local
backend and a closed loopback port."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from clitools import free_port, invoke
from spendtools import LOCAL, in_flight_files, notices

SPEND_KEY = re.compile(r"(create|edit)-\d{13}-[0-9a-f]{12}")


def test_generated_keys_are_op_ms_and_12_hex(account: Path) -> None:
    created = invoke("create", "--prompt", "a key", *LOCAL)
    assert created.exit_code == 0, created.stdout
    key = created.data["request"]["idempotency_key"]
    assert SPEND_KEY.fullmatch(key) and key.startswith("create-")
    edited = invoke(
        *("edit", "--input", created.data["assets"][0]["asset_id"], "--prompt", "warmer"),
        *LOCAL,
    )
    assert edited.exit_code == 0, edited.stdout
    [notice] = notices(edited)
    assert SPEND_KEY.fullmatch(notice["in_flight"]["idempotency_key"])
    assert notice["in_flight"]["idempotency_key"].startswith("edit-")


def test_a_key_of_the_earlier_shape_is_still_taken(account: Path) -> None:
    old = "create-1763776000000-1a2b3c4d"  # 8 hex, as our earlier releases made them
    first = invoke("create", "--prompt", "old key", "--idempotency-key", old, *LOCAL)
    again = invoke("create", "--prompt", "old key", "--idempotency-key", old, *LOCAL)
    assert first.exit_code == again.exit_code == 0, first.stdout
    assert first.data["request"]["idempotency_key"] == old
    assert again.data["job_id"] == first.data["job_id"] and again.data["request"]["replayed"]


def test_a_lost_request_recovery_names_the_key_and_keeps_the_breadcrumb(account: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    # A saved token is sent only to the base URL it was saved for: save it for the dead one.
    saved = json.loads(account.read_text())
    account.write_text(json.dumps({**saved, "api_base_url": dead}))
    res = invoke("create", "--prompt", "never sent", "--api-base-url", dead)
    assert (res.exit_code, res.code) == (7, "HOSTED_API_REQUEST_FAILED"), res.stdout
    error = res.json["error"]
    assert error["retryable"] is True
    recovery = error["recovery"]
    assert list(recovery) == [
        "suggested_command",
        "idempotency_key",
        "docs_url",
        "retry_after_seconds",
    ]
    key = recovery["idempotency_key"]
    assert SPEND_KEY.fullmatch(key)
    assert recovery["docs_url"] == "https://image-skill.com/cli.md"
    assert recovery["retry_after_seconds"] == 30
    # Ours repeats the arguments too (0.1.70 prints only the key): it runs as printed.
    words = shlex.split(recovery["suggested_command"])
    assert words[words.index("--idempotency-key") + 1] == key
    assert words[words.index("--prompt") + 1] == "never sent"
    [crumb] = in_flight_files(account)
    assert json.loads(crumb.read_text())["idempotency_key"] == key
