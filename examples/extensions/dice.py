"""An ordinary single-file discord.py extension: Zoryx loads it unchanged from ./extensions.

Copy it into your bot's ``extensions/`` folder; with hot reload on, saving the file reloads it.
"""

from __future__ import annotations

import random

from discord.ext import commands


class Dice(commands.Cog):
    """Dice rolls."""

    @commands.command()
    async def roll(self, ctx: commands.Context[commands.Bot], sides: int = 6) -> None:
        """Rolls a die with the given number of sides (2 to 1000)."""
        if not 2 <= sides <= 1000:
            await ctx.send("A die needs 2 to 1000 sides.")
            return
        await ctx.send(f"🎲 {random.randint(1, sides)} (d{sides})")


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Dice())
