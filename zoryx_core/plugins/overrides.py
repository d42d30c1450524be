"""The rule for commands that share a name.

- A plugin's command takes the place of a built-in command of the same name (or alias): the
  built-in is set aside, prefix and slash form together, and comes back when that plugin is
  unloaded. Community cogs commonly bring their own ``help``, ``stats`` or ``sync``.
- A clash between two plugins that are not built-in fails the later one, with a message naming
  both (the first one keeps its command).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from discord import app_commands
from discord.ext import commands

if TYPE_CHECKING:
    from ..bot import ZoryxBot
    from .context import PluginContext

__all__ = ["CommandClash", "CommandOverrides", "SetAside"]

log = logging.getLogger("zoryx.plugins")


class CommandClash(commands.CommandRegistrationError):
    """Two plugins that are not built-in register a command of the same name."""

    def __init__(self, name: str, plugin: str | None, holder: str | None) -> None:
        super().__init__(name)
        self.plugin = plugin
        self.holder = holder
        first = f"plugin {holder}" if holder else "code outside any plugin"
        self.args = (
            f"the command `{name}` of {plugin or 'this code'} clashes with `{name}` of {first} "
            "(loaded first); rename one of them, or disable one with plugins.disabled",
        )


@dataclass(frozen=True)
class SetAside:
    """A built-in command taken out while a plugin's command of the same name is in place."""

    command: commands.Command[Any, ..., Any]
    builtin: str
    """The built-in plugin it belongs to."""
    by: str
    """The plugin whose command took its place."""

    def describe(self) -> str:
        return f"built-in `{self.command.qualified_name}` ({self.builtin}) set aside for {self.by}'s"


class CommandOverrides:
    """Applies the rule for one bot (``bot.command_overrides``); :attr:`set_aside` lists what
    is set aside now, by command name."""

    def __init__(self, bot: ZoryxBot) -> None:
        self.bot = bot
        self.set_aside: dict[str, SetAside] = {}

    # --- who owns what -----------------------------------------------------------------------------

    def _owner(self, command: Any) -> str | None:
        module = getattr(command, "module", None) or getattr(
            getattr(command, "callback", None), "__module__", None
        )
        return self.bot.plugins.plugin_of_module(module)

    def _is_builtin(self, plugin: str | None) -> bool:
        if plugin is None:
            return False
        ctx = self.bot.plugins.contexts.get(plugin)
        return ctx is not None and ctx.spec.kind == "builtin"

    # --- prefix and hybrid commands ------------------------------------------------------------

    def admit(self, command: commands.Command[Any, ..., Any], plugin: PluginContext | None) -> bool:
        """Make room for ``command`` before it is added to the bot; ``False`` when it must not be
        added (a built-in coming back while a plugin's command holds its name). Raises
        :class:`CommandClash` when another plugin holds the name."""
        clashing = self._clashing(command.name, command.aliases)
        if not clashing or plugin is None:
            return True  # discord.py's own error for code outside any plugin
        adder_builtin = plugin.spec.kind == "builtin"
        for existing in clashing:
            holder = self._owner(existing)
            if adder_builtin and not self._is_builtin(holder) and holder is not None:
                self.set_aside[command.name] = SetAside(command, plugin.name, holder)
                log.info("%s command", self.set_aside[command.name].describe())
                return False
            if not adder_builtin and self._is_builtin(holder):
                assert holder is not None
                self._take_out(existing, holder, plugin.name)
                continue
            raise CommandClash(command.name, plugin.name, holder)
        return True

    def _clashing(self, name: str, aliases: Iterable[str]) -> list[commands.Command[Any, ..., Any]]:
        found: dict[int, commands.Command[Any, ..., Any]] = {}
        for key in (name, *aliases):
            existing = self.bot.all_commands.get(key)
            if existing is not None:
                found[id(existing)] = existing
        return list(found.values())

    def _take_out(self, existing: commands.Command[Any, ..., Any], builtin: str, by: str) -> None:
        self.bot.remove_command(existing.name)
        entry = SetAside(existing, builtin, by)
        self.set_aside[existing.name] = entry
        log.info("%s command", entry.describe())

    # --- application commands ------------------------------------------------------------------

    def admit_app_command(
        self, command: Any, plugin: PluginContext | None, guild_ids: Iterable[int | None]
    ) -> None:
        """Before a plugin's slash command or context menu goes into the tree: set aside the
        built-in hybrid command whose slash form has its name. Clashes between plugins are left
        to discord.py's error."""
        if (
            plugin is None
            or plugin.spec.kind == "builtin"
            or not isinstance(command, app_commands.Command | app_commands.Group)
        ):
            return
        if any(guild_id is not None for guild_id in guild_ids):
            return  # guild commands do not clash with the built-ins' global ones
        existing = self.bot.tree.get_command(command.name)
        if existing is None:
            return
        for prefix_command in list(self.bot.commands):
            if getattr(prefix_command, "app_command", None) is existing:
                holder = self._owner(prefix_command)
                if self._is_builtin(holder):
                    assert holder is not None
                    self._take_out(prefix_command, holder, plugin.name)
                return

    # --- unloading -----------------------------------------------------------------------------

    def restore_for(self, plugin: str) -> list[str]:
        """Put back the built-in commands set aside for ``plugin`` (it is being unloaded, its own
        commands already removed); returns their names."""
        restored = []
        for name, entry in list(self.set_aside.items()):
            if entry.by != plugin:
                continue
            del self.set_aside[name]
            if self._clashing(entry.command.name, entry.command.aliases):
                log.warning("built-in `%s` stays set aside: its name is taken again", name)
                continue
            self.bot.add_command(entry.command)
            restored.append(name)
            log.info("built-in `%s` (%s) restored: %s was unloaded", name, entry.builtin, plugin)
        return restored

    def forget_builtin(self, builtin: str) -> None:
        """A built-in plugin is unloaded: what it had set aside goes with it."""
        for name, entry in list(self.set_aside.items()):
            if entry.builtin == builtin:
                del self.set_aside[name]

    def involving(self, plugin: str) -> list[SetAside]:
        """What ``plugin`` set aside (a plugin) or had set aside (a built-in)."""
        return [e for _, e in sorted(self.set_aside.items()) if plugin in (e.by, e.builtin)]

    def lines(self) -> list[str]:
        """One line per command set aside, for listings and the start-up panel."""
        return [
            f"built-in `{name}` ({entry.builtin}) set aside: {entry.by} has its own"
            for name, entry in sorted(self.set_aside.items())
        ]
