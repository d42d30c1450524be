"""``diagnostics errors`` shows what commands raised without URL credentials or query strings."""

from __future__ import annotations

from typing import TYPE_CHECKING

import conftest
from zoryx_diagnostics import diagnostics

if TYPE_CHECKING:
    from conftest import Poll, Starter, World

URL = "https://svc-user:pa55word@feeds.example.invalid/items?api_key=k-1234"
conftest.EXTENSIONS["leaky"] = f"""
from discord.ext import commands


class Leaky(commands.Cog):
    @commands.command()
    async def feed(self, ctx):
        raise RuntimeError("feed unreachable: {URL}")


async def setup(bot):
    await bot.add_cog(Leaky())
"""


async def test_the_error_log_keeps_no_url_credentials(world: World, start_bot: Starter, poll: Poll) -> None:
    emu = world.emu
    bot = await start_bot(extensions=["leaky"])
    diag = diagnostics(bot)
    await emu.converse(world.general, world.plain, "!feed")
    await poll(lambda: len(diag.errors) == 1, what="the failure to reach the error log")
    listing = await emu.converse(world.general, world.boss, "!diagnostics errors")
    shown = "\n".join(f["value"] for f in listing.embeds[0]["fields"])
    assert "feed unreachable: https://***@feeds.example.invalid/items?***" in shown
    assert "pa55word" not in shown and "k-1234" not in shown
