"""cli.registry.LazyGroup and the root's explicit command map: commands load on first use,
the map is the whole registry, and a module that fails to import is an error."""

from __future__ import annotations

import subprocess
import sys
import types

import click
import pytest

from image_skill.cli.registry import LazyGroup


@pytest.fixture
def fake_modules(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    module = types.ModuleType("fake_cmds")
    module.hello = click.Command("hello", callback=lambda: "hi")  # type: ignore[attr-defined]
    module.GROUPS = {"x": click.Group("x"), "y": click.Group("y")}  # type: ignore[attr-defined]
    module.not_a_command = 42  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_cmds", module)
    return module


def test_names_come_from_the_map_and_commands_load_one_at_a_time(fake_modules) -> None:
    prepared: list[str] = []
    group = LazyGroup(
        "root",
        lazy_commands={
            "hello": "fake_cmds:hello",
            "x": "fake_cmds:GROUPS",
            "y": "fake_cmds:GROUPS",
        },
        prepare=lambda command, name: prepared.append(name),
    )
    ctx = click.Context(group)
    assert group.list_commands(ctx) == ["hello", "x", "y"] and prepared == []
    assert group.get_command(ctx, "x") is fake_modules.GROUPS["x"]
    assert prepared == ["x"]
    assert group.get_command(ctx, "x") is fake_modules.GROUPS["x"] and prepared == ["x"]
    assert group.get_command(ctx, "nope") is None
    assert list(group.commands) == ["hello", "x", "y"]  # the whole tree, in map order
    assert prepared == ["x", "hello", "y"]


@pytest.mark.parametrize(
    ("target", "error"),
    [
        ("no_such_module_for_the_registry_test:cmd", ModuleNotFoundError),
        ("fake_cmds:missing", AttributeError),
        ("fake_cmds:not_a_command", TypeError),
        ("fake_cmds", ValueError),
    ],
)
def test_a_command_that_cannot_load_is_an_error_not_a_gap(fake_modules, target, error) -> None:
    group = LazyGroup("root", lazy_commands={"broken": target, "hello": "fake_cmds:hello"})
    with pytest.raises(error):
        group.get_command(None, "broken")
    with pytest.raises(error):
        group.load_all()


def test_the_root_map_names_every_command_and_running_one_imports_only_its_module() -> None:
    probe = (
        "import io, sys, contextlib\n"
        "from image_skill.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['whoami', '--api-base-url', 'local'])\n"
        "from image_skill.cli._root import COMMANDS\n"
        "mods = {m.rsplit('.', 1)[1] for m in sys.modules if m.startswith('image_skill.cli.')}\n"
        "targets = {t.split(':')[0].rsplit('.', 1)[1] for t in COMMANDS.values()}\n"
        "print(sorted(mods & targets))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "['auth']"
    from image_skill.cli._root import COMMANDS, root

    assert list(root.commands) == list(COMMANDS)  # every entry loads, none is skipped
