"""The ``slashlimit`` command (hybrid, everyone, once per 10 s per user)."""

from __future__ import annotations

from typing import Any

from discord.ext import commands

from zoryx_core.hybrid import hybrid_command
from zoryx_core.ui import Paginator

from .limiter import SlashLimiter

__all__ = ["COOLDOWN_SECONDS", "SlashLimitCog"]

COOLDOWN_SECONDS = 10.0


class SlashLimitCog(commands.Cog, name="Slash Limit"):
    """Discord's slash command limit: usage, thresholds and the commands kept prefix-only."""

    def __init__(self, limiter: SlashLimiter) -> None:
        self.limiter = limiter

    @hybrid_command(
        name="slashlimit",
        description="Show the slash command usage against Discord's limit and the prefix-only commands",
    )
    @commands.cooldown(1, COOLDOWN_SECONDS, commands.BucketType.user)
    async def slashlimit(self, ctx: commands.Context[Any]) -> None:
        """Show the slash command usage, its state and which commands are prefix-only."""
        from .render import usage_pages  # the pages are imported when first shown

        usage = self.limiter.usage()
        guild_commands = self.limiter.guild_count(ctx.guild.id) if ctx.guild is not None else 0
        prefix = ctx.clean_prefix if ctx.interaction is None and ctx.prefix else await _typed_prefix(ctx)
        pages = usage_pages(usage, guild=ctx.guild, guild_commands=guild_commands, prefix=prefix)
        await Paginator(pages, author=ctx.author, command_name="slashlimit").send(ctx)


async def _typed_prefix(ctx: commands.Context[Any]) -> str:
    """The prefix prefix-only commands are typed with here, when ``slashlimit`` was slashed."""
    found = await ctx.bot.get_prefix(ctx.message)
    candidates = [found] if isinstance(found, str) else list(found)
    for prefix in candidates:
        if prefix and not prefix.startswith("<@"):
            return str(prefix)
    return "!"
