"""Hypothesis over every command's flag parser: any argv gives one valid envelope.

For each leaf command of the real click tree, random mixes of its own options, hostile
values (deep JSON, lone surrogates, 5,000-digit numbers, shell words, newlines...) and stray
words run in-process against a loopback fault server that refuses everything, or against
the in-process local backend. Whatever the input, stdout must be exactly one valid JSON
envelope, the exit code a contract code agreeing with ``ok``, never ``PUBLIC_CLI_FAILED``
(issue 8 point 9), and no connection may leave loopback. The inputs issue 8 names (deep
JSON, a lone surrogate, 5,000-digit indexes, a 5,000-character --output, a newline in
--api-base-url, /dev/zero or a writerless FIFO as the prompt file) must end in an argument
error; the last two run as subprocesses with a time and memory limit.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clitools import invoke
from faults import FaultServer
from hostileruns import NAMED_INPUTS, NamedInput, run_hostile_argv, run_named_input
from hostiletools import REFUSAL, CommandSpec, argv_for, command_specs

SPECS = command_specs()
EXAMPLES = int(os.environ.get("IMAGE_SKILL_RELIABILITY_EXAMPLES", "10"))
LOCAL_SIGNUP = (
    "signup",
    "--agent",
    "--agent-contact",
    "fuzz@example.com",
    "--agent-name",
    "fuzz",
    "--runtime",
    "pytest",
    "--api-base-url",
    "local",
)


@pytest.fixture(scope="module")
def refusing_server() -> Iterator[FaultServer]:
    with FaultServer(default=REFUSAL) as server:
        yield server


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name.replace(" ", "-"))
def test_any_argv_gives_one_envelope_and_a_contract_exit_code(
    spec: CommandSpec,
    refusing_server: FaultServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    work = tmp_path / "work" / "here"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(tmp_path / "cfg" / "config.json"))
    assert invoke(*LOCAL_SIGNUP).exit_code == 0  # a saved token, so local runs go deeper

    @given(
        argv=argv_for(spec),
        base=st.sampled_from(["fault", "fault", "fault", "local"]),
        token_way=st.sampled_from(["config", "env", "flag"]),
        stdin=st.sampled_from([None, "", "isk_r_fuzzstdin00000000000000000000000\n"]),
    )
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    def check(argv: list[str], base: str, token_way: str, stdin: str | None) -> None:
        problems = run_hostile_argv(
            argv, base=base, token_way=token_way, stdin=stdin, fault_url=refusing_server.url
        )
        assert not problems, (argv[:12], problems)

    check()


@pytest.mark.parametrize("item", NAMED_INPUTS, ids=lambda item: item.name)
def test_the_inputs_issue_8_names_give_an_argument_error(
    item: NamedInput,
    refusing_server: FaultServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(tmp_path / "cfg" / "config.json"))
    assert invoke(*LOCAL_SIGNUP).exit_code == 0
    assert run_named_input(item, tmp_path, refusing_server.url) == []
