"""Which bot runs which cluster: looked up by the plugin's hooks and by other plugins without
importing the runtime (and redis with it) in a bot that runs no cluster."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import discord

    from .runtime import Cluster

__all__ = ["cluster_of", "find_cluster", "forget_cluster", "remember_cluster"]

_clusters: weakref.WeakKeyDictionary[discord.Client, Cluster] = weakref.WeakKeyDictionary()


def remember_cluster(bot: discord.Client, cluster: Cluster) -> None:
    """Make :func:`find_cluster` find ``cluster`` on ``bot``."""
    _clusters[bot] = cluster


def forget_cluster(bot: discord.Client, cluster: Cluster) -> None:
    """Undo :func:`remember_cluster` (when ``cluster`` is still the one registered)."""
    if _clusters.get(bot) is cluster:
        del _clusters[bot]


def find_cluster(bot: discord.Client) -> Cluster | None:
    """The bot's cluster, or ``None`` when zoryx-cluster is not running in it."""
    return _clusters.get(bot)


def cluster_of(bot: discord.Client) -> Cluster:
    """The bot's cluster; ``LookupError`` when zoryx-cluster is not running in it."""
    cluster = find_cluster(bot)
    if cluster is None:
        raise LookupError("zoryx-cluster is not running in this bot")
    return cluster
