"""The cluster commands, all for bot owners: clusters, ipcstatus, broadcastmsg, clusterreload."""

from __future__ import annotations

import time

from discord import app_commands
from discord.ext import commands
from redis.exceptions import RedisError

from zoryx_core import ZoryxBot, owner_only
from zoryx_core.hybrid import hybrid_command
from zoryx_core.ui import error_embed, info_embed

from .bus import MAX_BROADCAST_LENGTH, PLUGIN_NAME
from .render import clusters_embed, replies_embed, span
from .runtime import Cluster

__all__ = ["COG_NAME", "ClusterCog"]

COG_NAME = "Cluster"

Context = commands.Context[ZoryxBot]


class ClusterCog(commands.Cog, name=COG_NAME):
    """The bot's clusters: processes and machines sharing its shards (bot owners)."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    async def _redis_down(self, ctx: Context, error: Exception) -> None:
        await ctx.send(
            embed=error_embed(
                "Redis unreachable",
                f"{self.cluster.masked_url} does not answer ({type(error).__name__}); this cluster "
                "keeps serving its shards and retries.",
            )
        )

    @owner_only()
    @hybrid_command(name="clusters")
    async def clusters(self, ctx: Context) -> None:
        """Every cluster of the bot with its shards, servers, users, memory and uptime, and totals."""
        try:
            members = await self.cluster.read_members()
        except (RedisError, OSError) as error:
            await self._redis_down(ctx, error)
            return
        await ctx.send(
            embed=clusters_embed(self.cluster.identity.cluster_count, members, self.cluster.cluster_id)
        )

    @owner_only()
    @hybrid_command(name="ipcstatus")
    async def ipcstatus(self, ctx: Context) -> None:
        """The Redis link of this cluster: address, round trip, pub/sub, lease, last heartbeat."""
        cluster = self.cluster
        lines = [
            f"Cluster **{cluster.cluster_id}** of {cluster.identity.cluster_count}, "
            f"shards {span(cluster.shard_ids)} of {cluster.shard_count}",
            f"Redis: `{cluster.masked_url}`",
        ]
        try:
            rtt = await cluster.round_trip_ms()
            lease_ms = await cluster.lease.remaining_ms() if cluster.lease else -2
            holder = await cluster.lease.holder() if cluster.lease else None
        except (RedisError, OSError) as error:
            lines.append(
                f"Link: **down** since {time.time() - cluster.link_changed_at:.0f}s ({type(error).__name__})"
            )
        else:
            lines.append(f"Link: **up**, round trip {rtt:.1f} ms")
            mine = (
                "this process"
                if holder == cluster.token
                else ("nobody" if holder is None else "another process")
            )
            lines.append(f"Lease: held by {mine}, {max(lease_ms, 0) / 1000:.1f}s left")
        lines.append(f"Pub/sub: {cluster.pubsub_state}")
        beat = cluster.last_heartbeat
        lines.append(f"Last heartbeat: {time.time() - beat:.1f}s ago" if beat else "Last heartbeat: none yet")
        lines.append(f"Clusters seen: {', '.join(map(str, sorted(cluster.peers))) or 'none'}")
        if cluster.limiter is not None:
            lines.append(
                f"REST: {cluster.limiter.limit}/s for the whole bot; this process sent "
                f"{cluster.limiter.sent} requests and waited {cluster.limiter.waited:.1f}s for slots"
            )
        await ctx.send(embed=info_embed("IPC status", "\n".join(lines)))

    @owner_only()
    @hybrid_command(name="broadcastmsg")
    @app_commands.describe(message="The text every cluster receives")
    async def broadcastmsg(self, ctx: Context, *, message: str) -> None:
        """Send a text to every cluster; each one logs it and answers."""
        if len(message) > MAX_BROADCAST_LENGTH:
            await ctx.send(
                embed=error_embed("Too long", f"A broadcast holds up to {MAX_BROADCAST_LENGTH} characters."),
                ephemeral=True,
            )
            return
        try:
            replies, missing = await self.cluster.ask("broadcast", text=message)
        except (RedisError, OSError) as error:
            await self._redis_down(ctx, error)
            return
        await ctx.send(embed=replies_embed("Broadcast", replies, missing))

    @owner_only()
    @hybrid_command(name="clusterreload")
    @app_commands.describe(plugin="The plugin to reload in every cluster")
    async def clusterreload(self, ctx: Context, plugin: str) -> None:
        """Reload a plugin in every cluster; each cluster reports its own outcome."""
        if not PLUGIN_NAME.match(plugin):
            await ctx.send(
                embed=error_embed(
                    "Not a plugin name", "Plugin names are letters, digits, `.`, `_` and `-` (up to 100)."
                ),
                ephemeral=True,
            )
            return
        if ctx.interaction is not None:
            await ctx.defer()
        try:
            replies, missing = await self.cluster.ask("reload", plugin=plugin)
        except (RedisError, OSError) as error:
            await self._redis_down(ctx, error)
            return
        await ctx.send(embed=replies_embed(f"Reload of {plugin}", replies, missing))
