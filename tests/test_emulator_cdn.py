"""Images through the emulator's CDN: discord.py's own asset URLs lead there once redirected."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import discord

from zoryx_core.testing import DiscordEmulator, sample_png

Runner = Callable[..., Awaitable[Any]]


async def test_emoji_sticker_and_icon_images_download_through_discord_py(
    discord_emulator: DiscordEmulator, bot_runner: Runner
) -> None:
    emu = discord_emulator
    guild = emu.create_guild("Pictures")
    emoji = emu.create_emoji(guild, "wave", image=sample_png(7))
    sticker = emu.create_sticker(guild, "star", image=sample_png(8))
    emu.edit_guild(guild, icon=sample_png(9))
    assert emu.cdn_url == discord.Asset.BASE

    bot = discord.Client(intents=discord.Intents.default())
    await bot_runner(bot)
    cached = bot.get_guild(guild.id)
    assert cached is not None
    assert await cached.emojis[0].read() == sample_png(7)
    assert emoji.id == cached.emojis[0].id
    fetched = await cached.fetch_sticker(sticker.id)
    assert await fetched.read() == sample_png(8)
    assert cached.icon is not None and await cached.icon.read() == sample_png(9)
