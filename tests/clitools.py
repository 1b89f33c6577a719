"""Run the CLI in-process for tests: `invoke("whoami", ...)` -> CliResult."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from click.testing import CliRunner


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> dict[str, Any]:
        parsed = json.loads(self.stdout)
        assert isinstance(parsed, dict)
        return parsed

    @property
    def data(self) -> Any:
        return self.json["data"]

    @property
    def code(self) -> str | None:
        error = self.json.get("error")
        return error.get("code") if isinstance(error, dict) else None


def invoke(
    *args: str, input: str | bytes | None = None, env: dict[str, str] | None = None
) -> CliResult:
    """Run `image-skill ARGS` in-process through main(), capturing stdout and stderr apart."""
    from image_skill.cli import main

    runner = CliRunner()
    with runner.isolation(input=input, env=env) as (out, err, _):
        code = main(list(args))
        stdout = out.getvalue().decode("utf-8")
        stderr = err.getvalue().decode("utf-8")
    return CliResult(code, stdout, stderr)
