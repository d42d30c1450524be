"""What a plugin registered on the bot, and how to take exactly that away again."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands, tasks
from discord.ui.view import BaseView

from ..cancellation import cancel_and_wait

if TYPE_CHECKING:
    Bot = commands.Bot | commands.AutoShardedBot

__all__ = ["AppCommandLike", "Registrations"]

log = logging.getLogger("zoryx.plugins")

AppCommandLike = app_commands.Command[Any, ..., Any] | app_commands.Group | app_commands.ContextMenu
Listener = Callable[..., Coroutine[Any, Any, Any]]


@dataclass
class Registrations:
    """Everything one plugin added: cogs, prefix commands, application commands (with the guilds
    they were added for, ``None`` meaning global), listeners, persistent views and tasks."""

    cogs: list[commands.Cog] = field(default_factory=list)
    prefix_commands: list[commands.Command[Any, ..., Any]] = field(default_factory=list)
    app_commands: list[tuple[AppCommandLike, tuple[int | None, ...]]] = field(default_factory=list)
    listeners: list[tuple[str, Listener]] = field(default_factory=list)
    views: list[BaseView] = field(default_factory=list)
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def add_task(self, task: asyncio.Task[Any]) -> None:
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def summary(self) -> dict[str, int]:
        """Counts per kind, for listings."""
        return {
            "cogs": len(self.cogs),
            "commands": len(self.prefix_commands),
            "app_commands": len(self.app_commands),
            "listeners": len(self.listeners),
            "views": len(self.views),
            "tasks": len(self.tasks),
        }

    async def remove_from(self, bot: Bot) -> list[str]:
        """Remove every recorded registration that is still in place; returns problems met."""
        problems: list[str] = []
        await self._stop_tasks(problems)
        for view in self.views:
            view.stop()
        for cog in reversed(self.cogs):
            if bot.get_cog(cog.qualified_name) is cog:
                try:
                    await bot.remove_cog(cog.qualified_name)
                except Exception as error:  # cog_unload raised; the cog is removed regardless
                    problems.append(f"cog {cog.qualified_name}: cog_unload raised {error!r}")
        for prefix_command in reversed(self.prefix_commands):
            name = prefix_command.name
            if bot.all_commands.get(name) is prefix_command:
                bot.remove_command(name)
        for app_command, guild_ids in self.app_commands:
            _remove_app_command(bot, app_command, guild_ids)
        for event, listener in self.listeners:
            bot.remove_listener(listener, event)
        self.cogs.clear()
        self.prefix_commands.clear()
        self.app_commands.clear()
        self.listeners.clear()
        self.views.clear()
        return problems

    async def _stop_tasks(self, problems: list[str]) -> None:
        for cog in self.cogs:  # discord.ext.tasks loops bound to the cog instance
            for value in vars(cog).values():
                if isinstance(value, tasks.Loop) and value.is_running():
                    value.cancel()
        still = await cancel_and_wait(self.tasks, timeout=5)
        problems.extend(f"task {task.get_name()} ignored cancellation" for task in still)
        self.tasks.clear()


def _remove_app_command(bot: Bot, command: AppCommandLike, guild_ids: tuple[int | None, ...]) -> None:
    kind = (
        command.type if isinstance(command, app_commands.ContextMenu) else discord.AppCommandType.chat_input
    )
    for guild_id in guild_ids:
        guild = discord.Object(guild_id) if guild_id is not None else None
        if bot.tree.get_command(command.name, guild=guild, type=kind) is command:
            bot.tree.remove_command(command.name, guild=guild, type=kind)
