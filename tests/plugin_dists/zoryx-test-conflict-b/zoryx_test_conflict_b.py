"""Conflicts with zoryx-test-conflict-a (declared by a, not by b)."""

from discord.ext import commands

from zoryx_core import ZoryxBot, hookimpl


@hookimpl
def zoryx_setup(bot: ZoryxBot) -> None:
    @commands.command(name="side")
    async def side(ctx: commands.Context[ZoryxBot]) -> None:
        await ctx.send("side b")

    bot.add_command(side)
