"""Issue 2 acceptance: the CLI spine against the in-process local backend."""

from __future__ import annotations

import json
import stat
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from clitools import SIGNUP, invoke
from clitools import free_port as closed_port


@pytest.fixture
def local_env(tmp_path, monkeypatch):
    cfg = tmp_path / "cfg" / "config.json"
    monkeypatch.setenv("IMAGE_SKILL_API_BASE_URL", "local")
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(cfg))
    return cfg


def test_version_envelope():
    for argv in (["version"], ["--version"], ["-v"]):
        res = invoke(*argv)
        assert res.exit_code == 0
        assert res.json["ok"] is True
        assert res.data["version"] == "0.1.30"
        assert res.data["package"] == "image-skill"
        assert res.json["trace_id"].startswith("trace_") and len(res.json["trace_id"]) == 22
        assert res.stderr == ""


def test_unknown_command():
    res = invoke("nosuch")
    assert res.exit_code == 2
    assert res.code == "PUBLIC_CLI_COMMAND_NOT_AVAILABLE"
    assert res.json["command"] == "image-skill nosuch"
    assert res.json["error"]["retryable"] is False


@pytest.mark.parametrize(
    ("argv", "suggested"),
    [
        (["nosuch"], "help --json"),
        (["usage", "foo"], "usage --help"),
        (["models", "list", "--bogus"], "models list --help"),
    ],
)
def test_usage_error_recoveries_use_the_program_prefix(argv, suggested, monkeypatch):
    # A plain "image-skill ..." does not run when the venv's bin is not on PATH.
    monkeypatch.setenv("IMAGE_SKILL_COMMAND_PREFIX", "/opt/py -m image_skill")
    res = invoke(*argv)
    assert res.exit_code == 2
    assert (
        res.json["error"]["recovery"]["suggested_command"] == f"/opt/py -m image_skill {suggested}"
    )


def test_local_serve_on_a_busy_port_fails_with_a_runnable_recovery(tmp_path, monkeypatch):
    import socket

    monkeypatch.setenv("IMAGE_SKILL_LOCAL_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("IMAGE_SKILL_COMMAND_PREFIX", "/opt/py -m image_skill")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        res = invoke("local", "serve", "--port", str(busy.getsockname()[1]))
    assert res.exit_code == 1 and res.code == "LOCAL_SERVE_FAILED"
    assert "local backend on" not in res.stderr  # no "serving" banner for a failed bind
    recovery = res.json["error"]["recovery"]
    assert recovery["suggested_command"] == "/opt/py -m image_skill local serve --port 0"


@pytest.mark.parametrize("module", ["fastapi", "uvicorn", "PIL"])
def test_missing_local_extra_is_a_clear_error(module, tmp_path, monkeypatch):
    # Installed without '[local]': a named error with the install command, not a crash.
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` fail
    monkeypatch.setenv("IMAGE_SKILL_LOCAL_DIR", str(tmp_path / "data"))
    for argv in (["whoami", "--token", "x", "--api-base-url", "local"], ["local", "serve"]):
        res = invoke(*argv)
        assert res.exit_code == 1 and res.code == "LOCAL_BACKEND_UNAVAILABLE", res.stdout
        recovery = res.json["error"]["recovery"]
        # installs into this very environment, not whatever `pip` is first on PATH
        assert recovery["suggested_command"].endswith(" -m pip install 'image-skill[local]'")
        assert sys.executable in recovery["suggested_command"]
        assert recovery["from_a_checkout"].endswith(" -m pip install -e '.[local]'")
        assert res.json["command"] == "image-skill " + " ".join(
            argv[: 1 if argv[0] == "whoami" else 2]
        )


def test_envelope_key_order():
    res = invoke("nosuch")
    assert list(res.json) == ["ok", "command", "trace_id", "actor", "data", "warnings", "error"]


def test_create_help_with_closed_port():
    res = invoke("create", "--help", "--api-base-url", f"http://127.0.0.1:{closed_port()}")
    assert res.exit_code == 0
    assert res.json["command"] == "image-skill create help"
    flags = {f for opt in res.data["options"] for f in opt["flags"]}
    assert {"--prompt", "--guide", "--dry-run", "--idempotency-key"} <= flags


@pytest.mark.parametrize("argv", [["whoami", "--help"], ["whoami", "-h"], ["help", "whoami"]])
def test_help_never_touches_network(argv):
    port = closed_port()
    res = invoke(*argv, "--api-base-url", f"http://127.0.0.1:{port}")
    assert res.exit_code == 0
    assert res.data["command"] == "image-skill whoami help"
    assert res.data["usage"] == "image-skill whoami --json"


@pytest.mark.parametrize(
    "before", [["--api-base-url", "URL"], ["--token", "T"], ["--timeout", "3"]]
)
def test_help_after_global_options_is_the_command_help(before):
    # README: `image-skill --api-base-url URL whoami`; its help must not fall back to the root.
    port = closed_port()
    res = invoke(*[f"http://127.0.0.1:{port}" if w == "URL" else w for w in before], "whoami", "-h")
    assert res.exit_code == 0
    assert res.json["command"] == "image-skill whoami help"


def _command_paths() -> list[list[str]]:
    import click

    from image_skill.cli import root

    paths: list[list[str]] = []

    def walk(group: click.Group, prefix: list[str]) -> None:
        for name, command in sorted(group.commands.items()):
            paths.append([*prefix, name])
            if isinstance(command, click.Group):
                walk(command, [*prefix, name])

    walk(root, [])
    return paths


@pytest.mark.parametrize("path", _command_paths(), ids=" ".join)
def test_every_command_help_ignores_network_auth_and_config(path, tmp_path, monkeypatch):
    # A closed port, a corrupt config and --token-stdin with nothing piped: help needs none.
    cfg = tmp_path / "config.json"
    cfg.write_text("{not json")
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(cfg))
    monkeypatch.setenv("IMAGE_SKILL_API_BASE_URL", f"http://127.0.0.1:{closed_port()}")
    for argv in ([*path, "--help"], [*path, "-h", "--token-stdin"], ["help", *path]):
        res = invoke(*argv)
        assert res.exit_code == 0, (argv, res.stdout)
        assert res.json["ok"] is True and res.stderr == ""
        assert res.json["command"] == _help_label(path), argv
    assert cfg.read_text() == "{not json"


def _help_label(path: list[str]) -> str:
    """The help a command path gets: an alias pair is its target's help (`video create` is
    `create`), a lone alias word the root help (0.1.70 §2)."""
    from image_skill.cli.aliases import ALIAS_WORDS, ALIASES

    if len(path) == 1 and path[0] in ALIAS_WORDS:
        return "help"
    if tuple(path[:2]) in ALIASES:
        path = [path[1], *path[2:]]
    return f"image-skill {' '.join(path)} help"


def test_root_help_lists_commands():
    res = invoke("--help")
    assert res.exit_code == 0
    assert res.json["command"] == "help"  # 0.1.70 §9.2 (was "image-skill help")
    assert "create --guide" in res.data["commands"]


def test_unknown_option_is_invalid_arguments():
    res = invoke("whoami", "--no-such-flag")
    assert res.exit_code == 2
    assert res.code == "INVALID_ARGUMENTS"


def test_whoami_requires_auth_with_recovery(local_env):
    res = invoke("whoami")
    assert res.exit_code == 3
    assert res.code == "AUTH_REQUIRED"
    assert "signup --agent" in res.json["error"]["recovery"]["suggested_command"]


def test_signup_then_whoami_and_quota(local_env):
    res = invoke(*SIGNUP)
    assert res.exit_code == 0, res.stdout
    assert res.json["command"] == "image-skill signup"
    cfg = local_env
    token = json.loads(cfg.read_text())["token"]
    assert token.startswith("isk_r_")
    assert token not in res.stdout and token not in res.stderr
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o600
    assert res.data["token"] is None and res.data["storage"]["saved"] is True
    assert res.data["auth_handoff"]["status"] == "saved_config_ready"

    who = invoke("whoami")
    assert who.exit_code == 0 and who.data["authenticated"] is True
    assert token not in who.stdout
    quota = invoke("usage", "quota")
    assert quota.exit_code == 0
    assert quota.json["command"] == "image-skill usage quota"
    assert quota.data["authenticated"] is True
    assert quota.data["limits"]["remaining_credits"] > 0
    assert invoke("quota").json["command"] == "image-skill quota"
    status = invoke("auth", "status")
    assert status.data["auth_source"] == "config"


def test_show_token_no_save_prints_once_and_saves_nothing(local_env):
    res = invoke(*SIGNUP, "--show-token", "--no-save")
    assert res.exit_code == 0
    assert res.data["token"].startswith("isk_r_")
    assert not local_env.exists()
    who = invoke("whoami", "--token-stdin", input=res.data["token"] + "\n")
    assert who.exit_code == 0 and who.data["authenticated"] is True


def test_token_stdin_empty_is_rejected(local_env):
    res = invoke("whoami", "--token-stdin", input="  \n")
    assert res.exit_code == 3 and res.code == "AUTH_REQUIRED"


def test_bad_token_is_auth_required(local_env):
    res = invoke("whoami", "--token", "isk_r_not_a_real_token")
    assert res.exit_code == 3 and res.code == "AUTH_REQUIRED"


def test_auth_save_and_logout(local_env):
    signup = invoke(*SIGNUP, "--show-token", "--no-save")
    token = signup.data["token"]
    saved = invoke("auth", "save", "--token-stdin", input=token)
    assert saved.exit_code == 0 and saved.data["token_source"] == "stdin"
    assert json.loads(local_env.read_text())["token"] == token
    assert invoke("whoami").exit_code == 0
    out = invoke("auth", "logout")
    assert out.exit_code == 0 and not local_env.exists()
    assert invoke("whoami").exit_code == 3


def test_closed_port_is_request_failed_quickly():
    port = closed_port()
    start = time.monotonic()
    res = invoke("whoami", "--token", "x", "--api-base-url", f"http://127.0.0.1:{port}")
    assert time.monotonic() - start < 10
    assert res.exit_code == 7 and res.code == "HOSTED_API_REQUEST_FAILED"
    assert res.json["error"]["retryable"] is True


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "1e9", "abc"])
def test_timeout_must_be_positive_and_finite(value):
    # These once reached httpx and crashed the request (PUBLIC_CLI_FAILED, exit 1).
    port = closed_port()
    res = invoke(
        "whoami", "--token", "x", "--timeout", value, "--api-base-url", f"http://127.0.0.1:{port}"
    )
    assert res.exit_code == 2 and res.code == "INVALID_ARGUMENTS"
    assert "--timeout" in res.json["error"]["message"]


class _Html502(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        body = b"<html><body>502 Bad Gateway</body></html>"
        self.send_response(502)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_html_502_is_non_json_response():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Html502)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        res = invoke("whoami", "--token", "x", "--api-base-url", base)
    finally:
        server.shutdown()
    assert res.code == "HOSTED_API_NON_JSON_RESPONSE"
    assert res.json["error"]["retryable"] is True
    assert res.exit_code == 7


def test_unwritable_config_dir_gives_exit_9(tmp_path, monkeypatch):
    # A regular file where the config directory should be cannot be written through,
    # even as root.
    blocker = tmp_path / "blocker"
    blocker.write_text("not a directory")
    monkeypatch.setenv("IMAGE_SKILL_API_BASE_URL", "local")
    monkeypatch.setenv("IMAGE_SKILL_CONFIG_PATH", str(blocker / "config.json"))
    res = invoke(*SIGNUP)
    assert res.exit_code == 9
    assert res.code == "PUBLIC_CLI_CONFIG_WRITE_FAILED"
    recovery = res.json["error"]["recovery"]
    assert (
        'IMAGE_SKILL_CONFIG_PATH="$PWD/.image-skill/config.json"' in recovery["suggested_command"]
    )
    assert recovery["config_path_env"] == "IMAGE_SKILL_CONFIG_PATH"


def test_corrupt_config_is_an_error_and_is_kept(local_env):
    local_env.parent.mkdir(parents=True)
    local_env.write_text("{not json")
    res = invoke("whoami")
    assert res.code == "PUBLIC_CLI_CONFIG_INVALID"
    assert res.exit_code == 9
    assert res.json["error"]["recovery"]["suggested_command"]
    assert local_env.read_text() == "{not json"
    signup = invoke(*SIGNUP)
    # signup must not silently replace a corrupt file either
    assert signup.code == "PUBLIC_CLI_CONFIG_INVALID" and signup.exit_code == 9
    assert local_env.read_text() == "{not json"


def test_home_config_path_default(isolated_env, monkeypatch):
    monkeypatch.setenv("IMAGE_SKILL_API_BASE_URL", "local")
    res = invoke(*SIGNUP)
    assert res.exit_code == 0
    expected = Path(isolated_env) / ".config" / "image-skill" / "config.json"
    assert res.data["storage"]["config_path"] == str(expected)
    assert expected.exists()


@pytest.mark.parametrize("flag", ["--api-base-url", "--token"])
def test_value_flag_does_not_swallow_the_next_flag(flag):
    res = invoke("whoami", flag, "--json")
    assert res.exit_code == 2 and res.code == "INVALID_ARGUMENTS"
    assert flag in res.json["error"]["message"]


def test_help_wins_over_version():
    res = invoke("version", "--help")
    assert res.exit_code == 0 and res.json["command"] == "help"


def test_refused_signup_leaves_no_config_folder(local_env):
    res = invoke(
        "signup",
        "--agent",
        "--agent-contact",
        "not-an-inbox",
        "--agent-name",
        "d",
        "--runtime",
        "t",
    )
    assert res.exit_code == 2 and res.code == "INVALID_ARGUMENTS"
    assert not local_env.parent.exists()
