"""zoryx-cluster: a Zoryx bot's shards over several processes and machines, coordinated through Redis.

``zoryx cluster run --shards 16 --clusters 4`` (or ``python -m zoryx_cluster run ...``) starts
one bot process per cluster, each with a contiguous range of the shards, and supervises them.
Inside each process this plugin:

- holds the cluster's lease in Redis (a second process cannot run the same cluster);
- lets at most one IDENTIFY per bucket (``shard_id % max_concurrency``) per window go out for the
  whole bot (a Redis lock per bucket, through ``before_identify_hook``);
- shares Discord's global REST limit and counts the invalid-request budget for the whole bot
  (through discord.py's ``http_trace``);
- heartbeats with its stats; clusters that stop are announced (``zoryx_cluster_left``) and
  alerted, clusters that start are announced (``zoryx_cluster_joined``);
- answers the owner commands ``clusters``, ``ipcstatus``, ``broadcastmsg`` and ``clusterreload``.

Redis comes from ``ZORYX_REDIS_URL`` (``rediss://`` for TLS); keys start with
``zoryx:<application id>:``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from zoryx_core import HealthResult, PluginContext, Setting, ZoryxBot, hookimpl
from zoryx_core.lazy_exports import lazy_exports

from .registry import cluster_of, find_cluster
from .settings import ENV_REDIS_URL, SETTINGS, ClusterIdentity, ClusterSettings
from .shards import ShardLayoutError, check_ranges, plan_ranges

# The runtime, the commands and the launcher need redis (and psutil): they are imported once a
# Redis URL is configured (or when a name below is first used), never in a bot without one.
_LAZY = {
    ".bus": ["BusMessage", "BusReply"],
    ".cog": ["COG_NAME", "ClusterCog"],
    ".keys": ["Keys"],
    ".launcher": ["Launcher", "LauncherOptions", "LaunchError"],
    ".lease": ["Lease", "LeaseLost"],
    ".link": ["RedisUnavailable", "mask_url"],
    ".runtime": ["Cluster", "refuse_to_connect"],
    ".stats": ["ClusterStats"],
}

if TYPE_CHECKING:
    import click

    from .bus import BusMessage, BusReply
    from .cog import COG_NAME, ClusterCog
    from .keys import Keys
    from .launcher import Launcher, LauncherOptions, LaunchError
    from .lease import Lease, LeaseLost
    from .link import RedisUnavailable, mask_url
    from .runtime import Cluster, refuse_to_connect
    from .stats import ClusterStats
else:
    __getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY)

__all__ = [
    "COG_NAME",
    "SETTINGS",
    "BusMessage",
    "BusReply",
    "Cluster",
    "ClusterCog",
    "ClusterIdentity",
    "ClusterSettings",
    "ClusterStats",
    "Keys",
    "LaunchError",
    "Launcher",
    "LauncherOptions",
    "Lease",
    "LeaseLost",
    "RedisUnavailable",
    "ShardLayoutError",
    "check_ranges",
    "cluster_of",
    "find_cluster",
    "mask_url",
    "plan_ranges",
    "refuse_to_connect",
]


@hookimpl
def zoryx_settings() -> list[Setting]:
    return list(SETTINGS)


@hookimpl
async def zoryx_setup(bot: ZoryxBot, plugin: PluginContext) -> None:
    url = os.environ.get(ENV_REDIS_URL, "").strip()
    if not url:
        raise RuntimeError(
            f"{ENV_REDIS_URL} is not set: zoryx-cluster needs Redis (e.g. redis://127.0.0.1:6379/0); "
            "without it the bot runs as one process"
        )
    from .cog import ClusterCog
    from .lease import LeaseLost
    from .runtime import Cluster, refuse_to_connect

    try:
        identity = ClusterIdentity.from_environ(os.environ)
        cluster = Cluster(bot, plugin, ClusterSettings.from_mapping(plugin.settings), identity, url)
        await cluster.start()
    except (ShardLayoutError, LeaseLost, ValueError) as error:
        refuse_to_connect(bot, str(error))
        raise
    await bot.add_cog(ClusterCog(cluster))


@hookimpl
async def zoryx_teardown(bot: ZoryxBot) -> None:
    cluster = find_cluster(bot)
    if cluster is not None:
        await cluster.stop()


@hookimpl
def zoryx_health_check(bot: ZoryxBot) -> HealthResult | None:
    cluster = find_cluster(bot)
    if cluster is None:
        return None
    if not cluster.link_up:
        return HealthResult("cluster", "degraded", f"Redis link to {cluster.masked_url} is down; retrying")
    gone = set(range(cluster.identity.cluster_count)) - set(cluster.peers)
    if gone:
        listed = ", ".join(map(str, sorted(gone)))
        return HealthResult("cluster", "degraded", f"cluster(s) {listed} without heartbeat")
    return HealthResult("cluster", "healthy", f"{len(cluster.peers)} cluster(s) up")


@hookimpl
def zoryx_register_commands(cli: click.Group) -> None:
    from .cli import cluster

    cli.add_command(cluster)
