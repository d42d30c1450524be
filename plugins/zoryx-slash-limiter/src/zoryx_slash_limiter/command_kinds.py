"""What an application command is: its type, the scopes it lands in, and its prefix form."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands
from discord.ext.commands.hybrid import HybridAppCommand

from zoryx_core.plugins.registrations import AppCommandLike

__all__ = [
    "CONTEXT_MENU_LIMIT",
    "GLOBAL",
    "KIND_NAMES",
    "AnyBot",
    "Scope",
    "command_type",
    "kind_name",
    "prefix_form",
    "scope_object",
    "scopes_of",
    "tree_commands",
]

AnyBot = commands.Bot | commands.AutoShardedBot
"""A discord.py bot (a ZoryxBot is an auto-sharded one)."""

Scope = int | None
"""A guild id, or ``None`` for the global scope."""

GLOBAL: tuple[Scope, ...] = (None,)

CONTEXT_MENU_LIMIT = 5
"""Context menus of one type per scope that discord.py's command tree accepts."""

KIND_NAMES: dict[discord.AppCommandType, str] = {
    discord.AppCommandType.chat_input: "slash",
    discord.AppCommandType.user: "user",
    discord.AppCommandType.message: "message",
}


def command_type(command: AppCommandLike) -> discord.AppCommandType:
    """Chat input for slash commands and groups; the menu's own type for context menus."""
    if isinstance(command, app_commands.ContextMenu):
        return command.type
    return discord.AppCommandType.chat_input


def kind_name(kind: discord.AppCommandType) -> str:
    """``slash``, ``user`` or ``message``."""
    return KIND_NAMES.get(kind, kind.name)


def scopes_of(command: AppCommandLike, guild_ids: Sequence[Scope]) -> tuple[Scope, ...]:
    """Where the command is added: the guilds it was added for, or, when added without any, the
    guilds it declares with ``@app_commands.guilds`` (global when it declares none)."""
    ids = tuple(guild_ids) or GLOBAL
    if ids == GLOBAL:
        declared = getattr(command, "_guild_ids", None)
        if declared:
            return tuple(sorted(int(guild_id) for guild_id in declared))
    return ids


def scope_object(scope: Scope) -> discord.Object | None:
    """The ``guild=`` argument of the command tree for ``scope``."""
    return None if scope is None else discord.Object(id=scope)


def tree_commands(
    tree: app_commands.CommandTree[Any], kind: discord.AppCommandType, scope: Scope
) -> list[Any]:
    """The top-level commands of ``kind`` the tree holds for ``scope`` (guild commands without
    the global ones)."""
    return list(tree.get_commands(guild=scope_object(scope), type=kind))


def prefix_form(bot: AnyBot, command: AppCommandLike) -> commands.Command[Any, ..., Any] | None:
    """The prefix command ``command`` is the slash form of (a hybrid command or group), if any."""
    if isinstance(command, HybridAppCommand):
        wrapped: commands.Command[Any, ..., Any] = command.wrapped
        return wrapped
    if isinstance(command, app_commands.Group):
        candidate = bot.all_commands.get(command.name)
        if isinstance(candidate, commands.HybridGroup) and candidate.app_command is command:
            return candidate
    return None
