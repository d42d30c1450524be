"""A marketplace test plugin that needs a library from the package index: `!mptdice`."""

from __future__ import annotations

from discord.ext import commands
from mpt_dicelib import FACES

from zoryx_core import PluginContext, ZoryxBot, hookimpl


class Dice(commands.Cog):
    @commands.command()
    async def mptdice(self, ctx: commands.Context[ZoryxBot]) -> None:
        await ctx.send(f"dice with {FACES} faces")


@hookimpl
async def zoryx_setup(bot: ZoryxBot, plugin: PluginContext) -> None:
    await bot.add_cog(Dice())
