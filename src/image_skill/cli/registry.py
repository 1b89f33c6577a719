"""Explicit, lazy command registration: click's documented lazy-loading group pattern.

The root group knows every command by name from an explicit ``name -> "module:attr"`` map
and imports a command's module only when that command is looked up, so ``version`` and
running one command import only what they need. The map is the registry: nothing is found
by scanning module names, and a module that fails to import is an error (the CLI reports it
as a crash envelope), never a command that silently goes missing.

``attr`` names a :class:`click.Command`; when it names a mapping instead, the command is
the mapping's entry for ``name`` (one module building several groups, such as the modality
aliases).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

import click

__all__ = ["LazyGroup"]

#: Called once for every command the group loads (with the name it is registered under).
Prepare = Callable[[click.Command, str], None]


class LazyGroup(click.Group):
    """A :class:`click.Group` whose subcommands load on first use from ``lazy_commands``.

    :meth:`list_commands` answers from the map (in its order) without importing anything;
    :meth:`get_command` imports one command; reading :attr:`commands` (the whole tree, as
    ``help --json`` needs) loads them all. ``prepare`` runs on each command as it loads.
    """

    def __init__(
        self,
        *args: Any,
        lazy_commands: Mapping[str, str] | None = None,
        prepare: Prepare | None = None,
        **kwargs: Any,
    ) -> None:
        self._loaded: dict[str, click.Command] = {}
        super().__init__(*args, **kwargs)
        self.lazy_commands: dict[str, str] = dict(lazy_commands or {})
        self.prepare = prepare

    # click.Group keeps its subcommands in ``self.commands``; here that is every command,
    # loaded on access, while lookups by name go through get_command and load only one.
    @property
    def commands(self) -> MutableMapping[str, click.Command]:
        self.load_all()
        return self._loaded

    @commands.setter
    def commands(self, value: MutableMapping[str, click.Command]) -> None:
        self._loaded = dict(value)

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        name = name or cmd.name
        if name is None:
            raise TypeError("Command has no name.")
        self._loaded[name] = cmd

    def command_names(self) -> list[str]:
        """Every command name, in registry order, without importing anything."""
        return [
            *self.lazy_commands,
            *(name for name in self._loaded if name not in self.lazy_commands),
        ]

    def list_commands(self, ctx: click.Context) -> list[str]:  # noqa: ARG002 (click's API)
        return self.command_names()

    def get_command(
        self,
        ctx: click.Context | None,  # noqa: ARG002 (click's API; the map needs no context)
        cmd_name: str,
    ) -> click.Command | None:
        command = self._loaded.get(cmd_name)
        if command is not None:
            return command
        target = self.lazy_commands.get(cmd_name)
        if target is None:
            return None
        command = _import_command(cmd_name, target)
        if self.prepare is not None:
            self.prepare(command, cmd_name)
        self._loaded[cmd_name] = command
        return command

    def load_all(self) -> None:
        """Import every registered command (raises on the first that fails to import)."""
        if all(name in self._loaded for name in self.lazy_commands):
            return
        for name in self.lazy_commands:
            self.get_command(None, name)
        order = self.command_names()
        self._loaded = {name: self._loaded[name] for name in order}


def _import_command(name: str, target: str) -> click.Command:
    module_name, _, attr = target.partition(":")
    if not module_name or not attr:
        raise ValueError(f"command {name!r}: {target!r} is not 'module:attr'")
    value = getattr(importlib.import_module(module_name), attr)
    if isinstance(value, Mapping):
        value = value[name]
    if not isinstance(value, click.Command):
        raise TypeError(f"command {name!r}: {target} is not a click command")
    return value
