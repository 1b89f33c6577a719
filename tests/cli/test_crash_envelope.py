"""An unexpected exception becomes PUBLIC_CLI_FAILED with no traceback on stdout."""

from __future__ import annotations

from clitools import invoke
from image_skill.api.client import ImageSkillClient


def test_crash_inside_a_command_is_public_cli_failed(monkeypatch):
    def boom(self, *args, **kwargs):
        raise RuntimeError("simulated crash")

    monkeypatch.setattr(ImageSkillClient, "health", boom)
    res = invoke("doctor", "--api-base-url", "local")
    assert res.exit_code == 1
    assert res.code == "PUBLIC_CLI_FAILED"
    assert "simulated crash" in res.json["error"]["message"]
    assert "Traceback" not in res.stdout


def test_keyboard_interrupt_is_interrupted(monkeypatch):
    def interrupt(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ImageSkillClient, "health", interrupt)
    res = invoke("doctor", "--api-base-url", "local")
    assert res.exit_code == 130
    assert res.code == "INTERRUPTED"
