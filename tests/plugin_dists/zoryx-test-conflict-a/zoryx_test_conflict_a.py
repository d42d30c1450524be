"""Declares a conflict with zoryx-test-conflict-b."""

from discord.ext import commands

from zoryx_core import ZoryxBot, hookimpl


@hookimpl
def zoryx_conflicts() -> list[str]:
    return ["zoryx-test-conflict-b>=1"]


@hookimpl
def zoryx_setup(bot: ZoryxBot) -> None:
    @commands.command(name="side")
    async def side(ctx: commands.Context[ZoryxBot]) -> None:
        await ctx.send("side a")

    bot.add_command(side)
