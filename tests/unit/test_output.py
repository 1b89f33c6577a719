"""cli.output.Output: one envelope on stdout; notices, the spinner and progress on stderr,
the last two only in --human mode at a terminal."""

from __future__ import annotations

import io
import json

import pytest

from image_skill import envelope as E
from image_skill.cli.output import Output


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_emit_writes_one_json_document_on_stdout_only() -> None:
    out, err = io.StringIO(), io.StringIO()
    Output("json", stdout=out, stderr=err).emit(E.ok_result("image-skill x", {"n": 1.0}))
    document = json.loads(out.getvalue())
    assert document["data"] == {"n": 1} and out.getvalue().endswith("}\n")
    assert "1.0" not in out.getvalue() and err.getvalue() == ""


def test_emit_human_renders_the_view_on_stdout() -> None:
    out = io.StringIO()
    Output("human", stdout=out).emit(E.ok_result("image-skill x", {"answer": "forty-two"}))
    assert "forty-two" in out.getvalue() and "image-skill x" in out.getvalue()
    assert not out.getvalue().lstrip().startswith("{")


def test_notice_is_one_line_on_stderr() -> None:
    out, err = io.StringIO(), io.StringIO()
    Output("json", stdout=out, stderr=err).notice("hello\n")
    assert err.getvalue() == "hello\n" and out.getvalue() == ""


@pytest.mark.parametrize(
    ("fmt", "stream", "shown"),
    [("human", _Tty(), True), ("json", _Tty(), False), ("human", io.StringIO(), False)],
)
def test_progress_and_spinner_only_in_human_mode_at_a_terminal(
    fmt: str, stream: io.StringIO, shown: bool
) -> None:
    output = Output(fmt, stdout=io.StringIO(), stderr=stream)
    assert output.interactive() is shown
    with output.progress("downloading x.png") as update:
        assert (update is not None) is shown
        if update is not None:
            update(5, 10)
    with output.spinner("waiting"):
        pass
    assert bool(stream.getvalue()) is shown
