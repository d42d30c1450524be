"""Refusals name the command the user typed, subcommands included."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from zoryx_core import ZoryxBot
from zoryx_core.testing import DiscordEmulator
from zoryx_core.testing.zoryx_bots import make_zoryx_bot

Runner = Callable[..., Awaitable[Any]]

TOOLS_EXTENSION = '''
from discord.ext import commands
from zoryx_core import owner_only


class Tools(commands.Cog):
    @commands.hybrid_group(fallback="list")
    async def tools(self, ctx):
        """Public tools."""
        await ctx.send("tools listed")

    @tools.command()
    @owner_only()
    async def secret(self, ctx):
        """Owners only."""
        await ctx.send("secret done")


async def setup(bot):
    await bot.add_cog(Tools())
'''


async def test_an_owner_only_subcommand_of_a_public_group_is_named_in_the_refusal(
    discord_emulator: DiscordEmulator, bot_runner: Runner, tmp_path: Path
) -> None:
    emu = discord_emulator
    boss, member = emu.create_user("boss"), emu.create_user("member")
    guild = emu.create_guild("Tools", members=[boss, member])
    channel = emu.channel_named(guild, "general")
    (tmp_path / "extensions").mkdir()
    (tmp_path / "extensions" / "tools.py").write_text(TOOLS_EXTENSION)
    bot: ZoryxBot = make_zoryx_bot(tmp_path, owner_id=boss.id, config={"cooldowns.default_rate": 0})
    await bot_runner(bot)
    assert (await emu.converse(channel, member, "!tools")).content == "tools listed"
    refused = await emu.converse(channel, member, "!tools secret")
    assert refused.embeds[0]["description"] == "`tools secret` is for the bot's owners only."
    assert (await emu.converse(channel, boss, "!tools secret")).content == "secret done"
