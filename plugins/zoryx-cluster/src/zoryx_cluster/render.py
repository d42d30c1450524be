"""Embeds of the cluster commands."""

from __future__ import annotations

import time

import discord

from zoryx_core.ui import info_embed

from .bus import BusReply
from .stats import ClusterStats

__all__ = ["MAX_FIELDS", "clusters_embed", "duration", "replies_embed", "span"]

MAX_FIELDS = 25
"""Discord's limit of fields in one embed."""


def span(shards: list[int]) -> str:
    if not shards:
        return "none"
    return f"{shards[0]}-{shards[-1]}" if len(shards) > 1 else str(shards[0])


def duration(seconds: float) -> str:
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"


def _latency(stats: ClusterStats) -> str:
    values = [v for v in stats.shards.values() if v is not None]
    if not values:
        return "no latency yet"
    return f"{sum(values) / len(values):.0f} ms avg"


def clusters_embed(cluster_count: int, members: dict[int, ClusterStats], this_cluster: int) -> discord.Embed:
    """Every cluster: live ones with their figures, missing ones as gone; totals at the top."""
    now = time.time()
    live = [members[i] for i in sorted(members)]
    connected = sum(1 for s in live for v in s.shards.values() if v is not None)
    shard_total = live[0].shard_count if live else 0
    embed = info_embed(
        "Clusters",
        f"**{len(live)}/{cluster_count}** clusters up · **{sum(s.guilds for s in live)}** servers · "
        f"**{sum(s.users for s in live)}** users · **{connected}/{shard_total}** shards connected · "
        f"**{sum(s.memory_mb for s in live):.0f} MB**",
    )
    shown = range(min(cluster_count, MAX_FIELDS - 1)) if cluster_count > MAX_FIELDS else range(cluster_count)
    for cluster_id in shown:
        stats = members.get(cluster_id)
        here = " (this one)" if cluster_id == this_cluster else ""
        if stats is None:
            embed.add_field(name=f"Cluster {cluster_id}{here}", value="gone: no heartbeat", inline=False)
            continue
        up = sum(1 for v in stats.shards.values() if v is not None)
        embed.add_field(
            name=f"Cluster {cluster_id}{here}: up",
            value=(
                f"shards {span(stats.shard_ids)} ({up}/{len(stats.shard_ids)} connected, {_latency(stats)})\n"
                f"{stats.guilds} servers · {stats.users} users · {stats.memory_mb:.0f} MB · "
                f"up {duration(stats.uptime)} · v{stats.version}\n"
                f"{stats.host} pid {stats.pid} · last beat {max(now - stats.heartbeat_at, 0):.1f}s ago"
            ),
            inline=False,
        )
    if len(shown) < cluster_count:
        rest = range(len(shown), cluster_count)
        gone = [str(i) for i in rest if i not in members]
        embed.add_field(
            name=f"Clusters {rest[0]}-{rest[-1]}",
            value=f"{len(rest) - len(gone)} up" + (f"; gone: {', '.join(gone)}"[:900] if gone else ""),
            inline=False,
        )
    return embed


def replies_embed(title: str, replies: list[BusReply], missing: set[int]) -> discord.Embed:
    """One line per cluster: its outcome, or that it did not answer."""
    lines = [f"{'✅' if r.ok else '❌'} cluster {r.cluster_id}: {r.detail}" for r in replies]
    lines += [f"⌛ cluster {c}: no answer" for c in sorted(missing)]
    ok = sum(1 for r in replies if r.ok)
    return info_embed(title, f"{ok}/{len(replies) + len(missing)} clusters OK\n" + "\n".join(lines))
