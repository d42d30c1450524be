"""What each cluster publishes about itself with every heartbeat."""

from __future__ import annotations

import math
import os
import socket
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import discord
import psutil

__all__ = ["ClusterStats", "collect_stats"]


@dataclass
class ClusterStats:
    """One cluster's figures; ``shards`` maps shard id to latency in ms (``None``: not connected)."""

    cluster_id: int
    shard_ids: list[int]
    shard_count: int
    guilds: int = 0
    users: int = 0
    shards: dict[str, float | None] = field(default_factory=dict)
    memory_mb: float = 0.0
    started_at: float = 0.0
    heartbeat_at: float = 0.0
    version: str = ""
    host: str = ""
    pid: int = 0
    ready: bool = False

    @property
    def uptime(self) -> float:
        return max(self.heartbeat_at - self.started_at, 0.0)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClusterStats:
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)


def collect_stats(
    bot: discord.AutoShardedClient,
    cluster_id: int,
    shard_ids: list[int],
    shard_count: int,
    *,
    started_at: float,
    version: str,
) -> ClusterStats:
    """This process's figures now."""
    shards: dict[str, float | None] = {}
    for shard_id in shard_ids:
        shard = bot.get_shard(shard_id)
        latency = None if shard is None or shard.is_closed() else shard.latency
        shards[str(shard_id)] = (
            round(latency * 1000, 1) if latency is not None and math.isfinite(latency) else None
        )
    return ClusterStats(
        cluster_id=cluster_id,
        shard_ids=shard_ids,
        shard_count=shard_count,
        guilds=len(bot.guilds),
        users=sum(guild.member_count or 0 for guild in bot.guilds),
        shards=shards,
        memory_mb=round(psutil.Process().memory_info().rss / 2**20, 1),
        started_at=started_at,
        heartbeat_at=time.time(),
        version=version,
        host=socket.gethostname(),
        pid=os.getpid(),
        ready=bot.is_ready(),
    )
