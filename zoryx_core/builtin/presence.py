"""Built-in plugin ``core.presence``: the bot's activity (``status.type`` + ``status.text`` with
``{guilds}``, ``{users}``, ``{commands}``), refreshed when servers come and go and, with
``status.rotation``, cycling through several texts every ``status.rotation_seconds``."""

from __future__ import annotations

import asyncio
import itertools
import logging
import re

import discord

from zoryx_core import PluginContext, ZoryxBot, hookimpl
from zoryx_core.command_counts import count_commands

__all__ = ["presence_text", "rotation_texts"]

log = logging.getLogger("zoryx.presence")

_TYPES = {
    "playing": discord.ActivityType.playing,
    "watching": discord.ActivityType.watching,
    "listening": discord.ActivityType.listening,
    "competing": discord.ActivityType.competing,
}


def presence_text(bot: ZoryxBot, template: str) -> str:
    """``template`` with the placeholders filled in; unknown placeholders are left as written."""
    values = {
        "guilds": len(bot.guilds),
        "users": sum(guild.member_count or 0 for guild in bot.guilds),
        "commands": count_commands(bot).text,
    }
    text = template
    for key, value in values.items():
        text = text.replace("{" + key + "}", f"{value:,}")
    # "{guilds} servers" with one server reads "1 server"
    text = re.sub(r"(?<![\d,])1 (server|guild|user|member|command)s\b", r"1 \1", text)
    return text[:128]


def rotation_texts(bot: ZoryxBot) -> list[str]:
    return [str(bot.settings["status.text"]), *(str(t) for t in bot.settings["status.rotation"])]


async def apply_presence(bot: ZoryxBot, template: str) -> None:
    activity = discord.Activity(
        type=_TYPES[str(bot.settings["status.type"])], name=presence_text(bot, template)
    )
    await bot.change_presence(activity=activity)


async def _rotate(bot: ZoryxBot) -> None:
    await bot.wait_until_ready()
    seconds = float(bot.settings["status.rotation_seconds"])
    for template in itertools.cycle(rotation_texts(bot)):
        try:
            await apply_presence(bot, template)
        except (discord.HTTPException, ConnectionError, RuntimeError):
            log.warning("could not update the presence", exc_info=True)
        await asyncio.sleep(seconds)


@hookimpl
async def zoryx_setup(bot: ZoryxBot, plugin: PluginContext) -> None:
    if bot.settings["status.rotation"]:
        plugin.create_task(_rotate(bot), name="core.presence:rotation")


@hookimpl
async def zoryx_bot_ready(bot: ZoryxBot) -> None:
    if not bot.settings["status.rotation"]:
        await apply_presence(bot, str(bot.settings["status.text"]))


@hookimpl
async def zoryx_guild_joined(bot: ZoryxBot) -> None:
    if not bot.settings["status.rotation"]:
        await apply_presence(bot, str(bot.settings["status.text"]))


@hookimpl
async def zoryx_guild_left(bot: ZoryxBot) -> None:
    if not bot.settings["status.rotation"]:
        await apply_presence(bot, str(bot.settings["status.text"]))
