"""Application commands reach Discord without `sync`: at start-up when they changed, and after a
hot reload adds one; a restart with the same commands sends no sync request."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from zoryx_core import ZoryxBot
from zoryx_core.testing import DiscordEmulator
from zoryx_core.testing.bots import start_bot, stop_bot
from zoryx_core.testing.zoryx_bots import make_zoryx_bot

BotFactory = Callable[..., Awaitable[ZoryxBot]]

WITHOUT_SLASH = """
from discord.ext import commands


class Tools(commands.Cog):
    @commands.command()
    async def roll(self, ctx):
        await ctx.send("rolled")


async def setup(bot):
    await bot.add_cog(Tools())
"""

WITH_SLASH = """
import discord
from discord import app_commands
from discord.ext import commands


class Tools(commands.Cog):
    @commands.command()
    async def roll(self, ctx):
        await ctx.send("rolled")

    @app_commands.command(name="flip", description="Flip a coin")
    async def flip(self, interaction: discord.Interaction):
        await interaction.response.send_message("heads")


async def setup(bot):
    await bot.add_cog(Tools())
"""


def _syncs(emu: DiscordEmulator) -> list[str]:
    return [r.path for r in emu.requests if r.method == "PUT" and r.path.endswith("/commands")]


async def test_a_restart_with_the_same_commands_sends_no_sync(
    discord_emulator: DiscordEmulator, tmp_path: Path
) -> None:
    emu = discord_emulator
    member = emu.create_user("member")
    general = emu.channel_named(emu.create_guild("Sync", members=[member]), "general")
    home = tmp_path / "bot"
    bot = make_zoryx_bot(home, no_plugins=True)
    await start_bot(emu, bot)
    assert len(_syncs(emu)) == 1, "the first start syncs the built-ins' commands"
    assert "Zoryx" in (await emu.run_slash("about", channel=general, user=member)).embeds[0]["title"]
    await stop_bot(bot)

    again = make_zoryx_bot(home, no_plugins=True)
    await start_bot(emu, again)
    try:
        assert len(_syncs(emu)) == 1, "unchanged commands: no second sync request"
        assert again.command_sync.summary() == "slash commands unchanged since the last sync"
    finally:
        await stop_bot(again)

    # Turning auto-sync off with changed commands is not silent either.
    changed = make_zoryx_bot(home, plugins=["zoryx-hello"], config={"commands.auto_sync": False})
    await start_bot(emu, changed)
    try:
        assert len(_syncs(emu)) == 1
        assert changed.command_sync.pending_failure is not None
        assert "not synced" in (changed.command_sync.summary() or "")
    finally:
        await stop_bot(changed)


async def test_a_slash_command_added_by_hot_reload_is_usable_without_sync(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory, tmp_path: Path
) -> None:
    emu = discord_emulator
    member = emu.create_user("member")
    general = emu.channel_named(emu.create_guild("Reload", members=[member]), "general")
    folder = tmp_path / "extensions"
    folder.mkdir()
    tools = folder / "tools.py"
    tools.write_text(WITHOUT_SLASH)
    await zoryx_bot(
        hot_reload=True,
        extensions_dir=folder,
        plugins=["tools"],
        config={"hot_reload.debounce_ms": 50, "commands.sync_debounce_seconds": 0.2},
    )
    before = len(_syncs(emu))
    assert (await emu.converse(general, member, "!roll")).content == "rolled"

    tools.write_text(WITH_SLASH)
    deadline = time.monotonic() + 15
    while len(_syncs(emu)) == before:
        assert time.monotonic() < deadline, "the new slash command was never synced"
        await asyncio.sleep(0.05)
    assert (await emu.run_slash("flip", channel=general, user=member)).content == "heads"
    assert len(_syncs(emu)) == before + 1, "one reload, one sync"
