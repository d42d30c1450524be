"""How many commands the bot has, counted one way everywhere (stats, diagnostics, presence)."""

from __future__ import annotations

from dataclasses import dataclass

import discord
from discord.ext import commands

__all__ = ["CommandCounts", "count_commands"]


@dataclass(frozen=True)
class CommandCounts:
    """Top-level commands by kind; subcommands of text groups are counted apart."""

    text: int
    """Prefix and hybrid commands one can type (a group counts once)."""
    slash: int
    """Global slash commands (a group counts once)."""
    context_menus: int
    """Global user and message context-menu commands."""
    subcommands: int
    """Commands inside text groups, at any depth."""

    def summary(self) -> str:
        """``46 text · 46 slash · 2 context menus``, with the right plural for each figure."""
        from .ui.text import plural

        parts = [f"{self.text} text", f"{self.slash} slash"]
        if self.context_menus:
            parts.append(plural(self.context_menus, "context menu"))
        return " · ".join(parts)


def count_commands(bot: commands.Bot | commands.AutoShardedBot) -> CommandCounts:
    """The bot's commands as users meet them."""
    tree = bot.tree
    text = list(bot.commands)
    return CommandCounts(
        text=len(text),
        slash=len(tree.get_commands(type=discord.AppCommandType.chat_input)),
        context_menus=len(tree.get_commands(type=discord.AppCommandType.user))
        + len(tree.get_commands(type=discord.AppCommandType.message)),
        subcommands=len(list(bot.walk_commands())) - len(text),
    )
