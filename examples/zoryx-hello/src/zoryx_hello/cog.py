"""The plugin's cog: one hybrid command, usable as ``!hello`` and ``/hello``."""

from __future__ import annotations

from typing import Any

import discord
from discord.ext import commands


class Hello(commands.Cog):
    """Greetings."""

    def __init__(self, greeting: str) -> None:
        self.greeting = greeting
        self.greeted = 0

    @commands.hybrid_command(description="Greets you, or someone you name")
    async def hello(self, ctx: commands.Context[Any], member: discord.Member | None = None) -> None:
        """Greets you, or someone you name."""
        self.greeted += 1
        who = member or ctx.author
        await ctx.send(f"{self.greeting}, {who.display_name}!")
