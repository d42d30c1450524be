"""A marketplace test plugin: `!mptecho` answers with its version; set-up writes a file into the
plugin's data folder, which an uninstall may keep or delete."""

from __future__ import annotations

from discord.ext import commands

from zoryx_core import PluginContext, ZoryxBot, hookimpl

VERSION = "0.1.0"


class Echo(commands.Cog):
    @commands.command()
    async def mptecho(self, ctx: commands.Context[ZoryxBot]) -> None:
        await ctx.send(f"echo {VERSION}")


@hookimpl
async def zoryx_setup(bot: ZoryxBot, plugin: PluginContext) -> None:
    await bot.storage.json.write(plugin.storage.json_path("state.json"), {"version": VERSION})
    await bot.add_cog(Echo())
