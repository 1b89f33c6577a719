"""Issue 8 point 7: server text never reaches a shell, and a server cannot break the contract.

* ``error.recovery.runnable_command`` is rebuilt from the words of the server's
  ``suggested_command`` with our renderer; text holding ``$(...)``, backticks, operators or
  redirections gets none (and a warning). Whatever is offered, run through ``bash``, runs
  no injected word.
* ``x-image-skill-exit-code: 42`` (or any value outside 0-9) is not the exit code: the HTTP
  status map decides.
* A reply whose ``ok`` is not a boolean, or whose ``error`` is not an object, is not
  relayed: stdout is our failure envelope, with the reply kept under ``error.raw_reply``.

For reads (whoami, models list) and spends (create).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clitools import invoke
from faults import Fault, FaultServer, ProxiedReply
from image_skill.models import parse_envelope
from upstreamtools import local_serve, run_printed, saved_agent, shell_env

TOKEN = "isk_r_servertext00000000000000000000000"
CANARY = "PWNED"
HOSTILE = {
    "dollar-paren": f"image-skill whoami --json $(touch {CANARY})",
    "dollar-paren-in-double-quotes": f'image-skill create --prompt "$(touch {CANARY})" --json',
    "backticks": f"image-skill jobs show `touch {CANARY}` --json",
    "semicolon": f"image-skill whoami --json; touch {CANARY}",
    "and-and": f"image-skill whoami --json && touch {CANARY}",
    "pipe": f"image-skill whoami --json | tee {CANARY}",
    "redirect": f"image-skill whoami --json > {CANARY}",
    "newline": f"image-skill whoami --json\ntouch {CANARY}",
    "variable": f"image-skill jobs show ${{IFS}}x --json > {CANARY}",
}
COMMANDS = {
    "whoami": ("GET", "/v1/whoami", ["whoami"]),
    "create": ("POST", "/v1/create", ["create", "--prompt", "p", "--idempotency-key", "st-1"]),
}


def _failure(suggested: str | None = None, **error: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"code": "CAPABILITY_DENIED", "message": "no", "retryable": False}
    if suggested is not None:
        body["recovery"] = {"suggested_command": suggested}
    body.update(error)
    return {
        "ok": False,
        "command": "x",
        "trace_id": "trace_0000000000000000",
        "actor": None,
        "data": None,
        "warnings": [],
        "error": body,
    }


@pytest.fixture
def fs() -> Iterator[FaultServer]:
    with FaultServer() as server:
        yield server


def _run(fs: FaultServer, command: str, fault: Fault) -> Any:
    method, path, argv = COMMANDS[command]
    fs.script(method, path, fault)
    return invoke(*argv, "--token", TOKEN, "--api-base-url", fs.url)


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_suggested_command_is_never_made_runnable(
    fs: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, name: str
) -> None:
    monkeypatch.chdir(tmp_path)
    suggested = HOSTILE[name]
    res = _run(fs, command, Fault.json(_failure(suggested), status=403))
    recovery = res.json["error"]["recovery"]
    assert recovery["suggested_command"] == suggested  # the server's text, relayed
    offered = recovery.get("runnable_command")
    if offered is not None:  # whatever is offered must run no injected word
        run_printed(offered, env=shell_env(tmp_path / "cfg.json"), stdin=None)
    assert not (tmp_path / CANARY).exists()
    assert offered is None
    assert any("no runnable_command" in warning for warning in res.json["warnings"])


@pytest.mark.parametrize("command", list(COMMANDS))
def test_plain_suggested_command_is_rebuilt_from_its_words(fs: FaultServer, command: str) -> None:
    suggested = "image-skill jobs show 'job_1' --api-base-url https://elsewhere.example --json"
    res = _run(fs, command, Fault.json(_failure(suggested), status=403))
    recovery = res.json["error"]["recovery"]
    runnable = recovery["runnable_command"]
    # Our prefix and quoting, and the server this CLI was pointed at, not the one named.
    assert runnable.endswith(f" jobs show job_1 --api-base-url {fs.url} --json")
    assert "elsewhere" not in runnable


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize(
    ("status", "header", "expected"),
    [(200, "42", 1), (402, "42", 5), (403, "130", 3), (500, "-1", 7), (422, "6", 6)],
)
def test_exit_code_header_outside_the_contract_is_not_taken(
    fs: FaultServer, command: str, status: int, header: str, expected: int
) -> None:
    fault = Fault.json(_failure(), status=status, headers=[("x-image-skill-exit-code", header)])
    res = _run(fs, command, fault)
    assert res.json["error"]["code"] == "CAPABILITY_DENIED"
    assert res.exit_code == expected


MALFORMED = {
    "ok-yes": {"ok": "yes", "data": {"x": 1}},
    "ok-string-false": {"ok": "false", "error": {"code": "X"}},
    "ok-one": {"ok": 1},
    "error-string": {"ok": False, "error": "boom"},
    "error-list": {"ok": False, "error": ["boom"]},
    "error-code-number": {"ok": False, "error": {"code": 5, "message": "m"}},
    "no-error": {"ok": False},
}


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_envelope_is_wrapped_with_the_raw_reply(
    fs: FaultServer, command: str, name: str
) -> None:
    reply = MALFORMED[name]
    res = _run(fs, command, Fault.json(reply))
    envelope = res.json
    parse_envelope(envelope)  # a valid envelope: ok boolean, error an object
    assert envelope["ok"] is False
    error = envelope["error"]
    assert error["code"] == "HOSTED_API_NON_JSON_RESPONSE"
    assert error["raw_reply"] == reply
    assert res.exit_code == 1
    # A spend's outcome stays unknown (retryable, same key); a read follows the contract.
    assert error["retryable"] is (command == "create")


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with local_serve(tmp_path_factory.mktemp("upstream")) as base:
        yield base


def _mangle_ok(reply: ProxiedReply) -> ProxiedReply:
    envelope = json.loads(reply.body)
    envelope["ok"] = "yes"
    return ProxiedReply(reply.status, reply.headers, json.dumps(envelope).encode())


@pytest.mark.parametrize(
    ("argv", "path"), [(["whoami"], "/v1/whoami"), (["models", "list"], "/v1/models")]
)
def test_real_read_reply_with_a_non_boolean_ok_is_wrapped(
    upstream: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str], path: str
) -> None:
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(tmp_path / "cfg" / "config.json"))
    with FaultServer(upstream=upstream) as proxy:
        saved_agent(proxy.url)  # a saved token is only sent to the base URL it was saved for
        proxy.script("GET", path, Fault(proxy=True, edit=_mangle_ok))
        res = invoke(*argv, "--api-base-url", proxy.url)
    assert res.exit_code == 1
    envelope = res.json
    assert envelope["ok"] is False and envelope["error"]["code"] == "HOSTED_API_NON_JSON_RESPONSE"
    raw = envelope["error"]["raw_reply"]
    assert raw["ok"] == "yes" and raw["data"]  # the backend's whole reply, kept
