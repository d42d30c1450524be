"""The shard monitor's commands (all for bot owners) and the listeners that count events."""

from __future__ import annotations

from typing import Annotated

import discord
from discord import app_commands
from discord.ext import commands

from zoryx_core import ZoryxBot, owner_only
from zoryx_core.converters import IntegerArgument
from zoryx_core.hybrid import hybrid_command
from zoryx_core.ui import error_embed, success_embed

from .health import assess
from .monitor import ShardMonitor

__all__ = ["COG_NAME", "ShardMonitorCog"]

COG_NAME = "Shard monitor"

Context = commands.Context[ZoryxBot]

ShardId = Annotated[int, IntegerArgument(0, what="a shard number")]
ShardOrAll = Annotated[int, IntegerArgument(-1, what="a shard number (or -1 for every shard)")]
Threshold = Annotated[int | None, IntegerArgument(1, what="a number of failed samples")]


class ShardMonitorCog(commands.Cog, name=COG_NAME):
    """Shard health: latency, events, uptime and alerts (bot owners)."""

    def __init__(self, monitor: ShardMonitor) -> None:
        self.monitor = monitor

    # --- listeners ------------------------------------------------------------------------------------
    # Messages and commands are not counted here: the monitor reads the core's per-shard counters
    # (``bot.metrics.shard_activity()``), which cost no listener task per event.

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        self.monitor.metrics(guild.shard_id).count("guild_joins")

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        self.monitor.metrics(guild.shard_id).count("guild_leaves")

    @commands.Cog.listener()
    async def on_shard_connect(self, shard_id: int) -> None:
        self.monitor.on_shard_event(shard_id, "connect")

    @commands.Cog.listener()
    async def on_shard_ready(self, shard_id: int) -> None:
        self.monitor.on_shard_event(shard_id, "ready")

    @commands.Cog.listener()
    async def on_shard_resumed(self, shard_id: int) -> None:
        self.monitor.on_shard_event(shard_id, "resume")

    @commands.Cog.listener()
    async def on_shard_disconnect(self, shard_id: int) -> None:
        self.monitor.on_shard_event(shard_id, "disconnect")

    # --- commands -------------------------------------------------------------------------------------

    def _check_shard(self, shard_id: int) -> str | None:
        known = self.monitor.known_shard_ids()
        if shard_id in known:
            return None
        listed = ", ".join(map(str, known)) or "none yet"
        return f"There is no shard {shard_id}; this bot's shards are: {listed}."

    @owner_only()
    @hybrid_command(name="shardmonitor")
    async def shardmonitor(self, ctx: Context) -> None:
        """The shard dashboard: overview, health, latency and events of every shard."""
        from .dashboard import ShardDashboard  # the dashboard and embeds are imported when first shown

        dashboard = ShardDashboard(self.monitor, ctx.author)
        await dashboard.send(ctx, embed=dashboard.embed())

    @owner_only()
    @hybrid_command(name="sharddetails")
    @app_commands.describe(shard_id="The shard's number")
    async def sharddetails(self, ctx: Context, shard_id: ShardId) -> None:
        """Everything about one shard: health, uptime, latency, counters, recent connections."""
        from .dashboard import guild_counts
        from .render import details_embed

        problem = self._check_shard(shard_id)
        if problem:
            await ctx.send(embed=error_embed("Unknown shard", problem), ephemeral=True)
            return
        metrics = self.monitor.metrics(shard_id)
        shard = ctx.bot.get_shard(shard_id)
        embed = details_embed(
            metrics,
            assess(metrics, self.monitor.settings),
            guild_counts(ctx.bot).get(shard_id, 0),
            connected_now=shard is not None and not shard.is_closed(),
        )
        await ctx.send(embed=embed)

    @owner_only()
    @hybrid_command(name="shardhealth")
    async def shardhealth(self, ctx: Context) -> None:
        """The health of every shard: healthy, warning or critical, and why."""
        from .render import health_embed

        await ctx.send(embed=health_embed(self.monitor.verdicts()))

    @owner_only()
    @hybrid_command(name="shardalerts")
    @app_commands.describe(
        channel="Where alerts go (leave out to keep it)", threshold="Failed samples before an alert, 1 to 20"
    )
    async def shardalerts(
        self,
        ctx: Context,
        channel: discord.TextChannel | None = None,
        threshold: Threshold = None,
    ) -> None:
        """Set the alert channel and threshold; without arguments, show them."""
        if channel is None and threshold is None:
            config = self.monitor.config()
            where = f"<#{config.channel_id}>" if config.channel_id else "off (no channel)"
            await ctx.send(
                embed=success_embed(
                    "Shard alerts", f"Channel: {where}\nThreshold: {config.threshold} failed samples in a row"
                )
            )
            return
        try:
            config = await self.monitor.alerts.configure(
                channel_id=channel.id if channel is not None else None, threshold=threshold
            )
        except ValueError as error:
            await ctx.send(embed=error_embed("Alerts not changed", f"{error}."), ephemeral=True)
            return
        await ctx.send(
            embed=success_embed(
                "Shard alerts set",
                f"Channel: <#{config.channel_id}>\nThreshold: {config.threshold} failed samples in a row"
                if config.channel_id
                else f"No channel yet (alerts off)\nThreshold: {config.threshold} failed samples in a row",
            )
        )

    @owner_only()
    @hybrid_command(name="shardreset")
    @app_commands.describe(shard_id="The shard to reset; -1 (the default) resets every shard")
    async def shardreset(self, ctx: Context, shard_id: ShardOrAll = -1) -> None:
        """Forget the figures of one shard, or of every shard (-1)."""
        if shard_id != -1:
            problem = self._check_shard(shard_id)
            if problem:
                await ctx.send(embed=error_embed("Unknown shard", problem), ephemeral=True)
                return
        reset = self.monitor.reset(None if shard_id == -1 else shard_id)
        which = "every shard" if shard_id == -1 else f"shard {shard_id}"
        await ctx.send(
            embed=success_embed("Shard metrics reset", f"The figures of {which} ({len(reset)}) start afresh.")
        )
