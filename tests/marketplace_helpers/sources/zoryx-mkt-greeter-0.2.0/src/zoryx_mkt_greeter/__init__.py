"""A marketplace test plugin: `!greet` answers with its version and a word from mkt-tinylib."""

from __future__ import annotations

from discord.ext import commands
from mkt_tinylib import WORD

from zoryx_core import PluginContext, ZoryxBot, hookimpl

VERSION = "0.2.0"


class Greeter(commands.Cog):
    @commands.command()
    async def greet(self, ctx: commands.Context[ZoryxBot]) -> None:
        await ctx.send(f"greeter {VERSION} says {WORD}")


@hookimpl
async def zoryx_setup(bot: ZoryxBot, plugin: PluginContext) -> None:
    await bot.add_cog(Greeter())
