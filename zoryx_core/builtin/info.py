"""Built-in plugin ``core.info``: stats, extensions, about (alias discordbotframework), shardinfo."""

from __future__ import annotations

import asyncio
import os

from discord.ext import commands

from zoryx_core import PluginContext, ZoryxBot, hookimpl
from zoryx_core.command_counts import count_commands
from zoryx_core.hybrid import hybrid_command
from zoryx_core.ui import Paginator, about_embed, field_pages, info_embed, plural

__all__ = ["InfoCog"]

_KIND_TITLES = {"builtin": "Built-in", "distribution": "Installed plugins", "extension": "Extensions"}


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{minutes}m" if minutes else ""]
    return " ".join(p for p in parts if p) + f" {secs}s" if any(parts) else f"{secs}s"


def _resident_bytes() -> int:
    """This process's resident memory (psutil is imported here: ~15 ms no start-up should pay)."""
    import psutil

    return int(psutil.Process(os.getpid()).memory_info().rss)


class InfoCog(commands.Cog, name="Information"):
    """What the bot is and how it is doing."""

    def __init__(self, bot: ZoryxBot) -> None:
        self.bot = bot

    @hybrid_command(name="stats")
    async def stats(self, ctx: commands.Context[ZoryxBot]) -> None:
        """Bot statistics: servers, users, commands run, errors, uptime and top commands."""
        bot = self.bot
        snapshot = bot.metrics.snapshot(top=5)
        all_time = await bot.metrics.usage(bot.storage, limit=5)
        memory = await asyncio.to_thread(_resident_bytes)
        counts = count_commands(bot)
        users = sum(guild.member_count or 0 for guild in bot.guilds)
        embed = info_embed("Bot statistics")
        embed.add_field(name="Servers", value=f"{len(bot.guilds):,}")
        embed.add_field(name="Users", value=str(users))
        embed.add_field(name="Uptime", value=_duration(snapshot.uptime))
        embed.add_field(name="Messages seen", value=str(snapshot.messages))
        embed.add_field(name="Commands run", value=str(snapshot.commands))
        embed.add_field(name="Errors", value=f"{snapshot.errors} ({snapshot.error_rate:.1%} of commands)")
        embed.add_field(name="Commands", value=counts.summary())
        embed.add_field(name="Plugins loaded", value=str(len(bot.plugins.loaded)))
        latency = bot.latency
        embed.add_field(name="Latency", value=f"{latency * 1000:.0f} ms" if latency == latency else "unknown")
        embed.add_field(name="Memory", value=f"{memory / 2**20:.1f} MiB")
        top_now = "\n".join(f"`{name}` {count}" for name, count in snapshot.top_commands) or "none yet"
        top_ever = "\n".join(f"`{name}` {count}" for name, count in all_time) or "none yet"
        embed.add_field(name="Top commands (this run)", value=top_now, inline=False)
        embed.add_field(name="Top commands (all time)", value=top_ever, inline=False)
        await ctx.send(embed=embed)

    @hybrid_command(name="extensions")
    async def extensions(self, ctx: commands.Context[ZoryxBot]) -> None:
        """Loaded plugins and extensions, grouped by kind, with versions and load times."""
        groups: dict[str, list[str]] = {}
        for name in self.bot.plugins.loaded:
            outcome = self.bot.plugins.outcomes[name]
            took = f"{outcome.load_time * 1000:.0f} ms" if outcome.load_time is not None else "-"
            line = f"✅ **{name}** {outcome.spec.version or ''} · {took}"
            groups.setdefault(outcome.spec.kind, []).append(line)
        others = [o for o in self.bot.plugins.outcomes.values() if o.name not in self.bot.plugins.loaded]
        for outcome in others:
            groups.setdefault("not loaded", []).append(
                f"❌ **{outcome.name}** {outcome.status}: {outcome.reason}"
            )
        lines: list[tuple[str, str]] = []
        for kind in ("builtin", "distribution", "extension", "not loaded"):
            if kind in groups:
                lines.append((_KIND_TITLES.get(kind, "Not loaded"), "\n".join(groups[kind])))
        pages = field_pages(lines, title="📦 Extensions", per_page=4)
        await Paginator(
            pages, author=ctx.author, command_name=ctx.command.qualified_name if ctx.command else None
        ).send(ctx)

    @hybrid_command(name="about", aliases=["discordbotframework"])
    async def about(self, ctx: commands.Context[ZoryxBot]) -> None:
        """What Zoryx is, its version and credits."""
        await ctx.send(embed=about_embed(self.bot))

    @hybrid_command(name="shardinfo")
    async def shardinfo(self, ctx: commands.Context[ZoryxBot]) -> None:
        """Shards of this process: latency and servers per shard, and this server's shard."""
        bot = self.bot
        per_shard: dict[int, int] = {}
        for guild in bot.guilds:
            per_shard[guild.shard_id] = per_shard.get(guild.shard_id, 0) + 1
        embed = info_embed(
            "Shards",
            f"{len(bot.shards)} of {plural(bot.shard_count or 1, 'shard')} run in this process.",
        )
        for shard_id, shard in sorted(bot.shards.items()):
            latency = shard.latency
            shown = f"{latency * 1000:.0f} ms" if latency == latency else "unknown"
            state = "closed" if shard.is_closed() else "connected"
            embed.add_field(
                name=f"Shard {shard_id}",
                value=f"{state} · {shown} · {plural(per_shard.get(shard_id, 0), 'server')}",
            )
        if ctx.guild is not None:
            embed.set_footer(text=f"This server is on shard {ctx.guild.shard_id}")
        await ctx.send(embed=embed)


@hookimpl
async def zoryx_setup(bot: ZoryxBot, plugin: PluginContext) -> None:
    await bot.add_cog(InfoCog(bot))
