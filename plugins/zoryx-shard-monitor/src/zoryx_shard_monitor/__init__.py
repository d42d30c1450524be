"""zoryx-shard-monitor: the health of every shard of a Zoryx bot.

Latency is sampled per shard every ``collect_seconds`` (120 samples kept), messages, commands,
server joins and leaves, connects, disconnects and resumes are counted per shard, and uptime is
the share of time each shard was connected. Each shard is healthy, warning or critical (see
:func:`assess`); unhealthy shards are announced in an alert channel, rate-limited. Metrics are
saved to an atomic JSON file every ``save_seconds`` and on unload, and read back at start.

Commands (bot owners): ``shardmonitor`` (dashboard), ``sharddetails <id>``, ``shardhealth``,
``shardalerts [#channel] [threshold]``, ``shardreset [id]``. Other plugins reach the monitor with
:func:`shard_monitor`; its worst tier also appears in the core's health checks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from zoryx_core import CustomEvent, HealthResult, PluginContext, Setting, ZoryxBot, hookimpl
from zoryx_core.lazy_exports import lazy_exports
from zoryx_core.plugins import HealthStatus

from .alerts import AlertConfig, Alerts
from .cog import COG_NAME, ShardMonitorCog
from .health import Tier, Verdict, assess, worst
from .metrics import HISTORY_SIZE, LatencyStats, ShardMetrics
from .monitor import ShardMonitor, find_shard_monitor, shard_monitor
from .settings import SETTINGS, MonitorSettings

if TYPE_CHECKING:
    from .dashboard import ShardDashboard
else:  # the dashboard is imported when the command first shows it
    __getattr__, __dir__ = lazy_exports(__name__, globals(), {".dashboard": ["ShardDashboard"]})

__all__ = [
    "COG_NAME",
    "HISTORY_SIZE",
    "SETTINGS",
    "AlertConfig",
    "Alerts",
    "LatencyStats",
    "MonitorSettings",
    "ShardDashboard",
    "ShardMetrics",
    "ShardMonitor",
    "ShardMonitorCog",
    "Tier",
    "Verdict",
    "assess",
    "find_shard_monitor",
    "shard_monitor",
    "worst",
]


@hookimpl
def zoryx_settings() -> list[Setting]:
    return list(SETTINGS)


@hookimpl
async def zoryx_setup(bot: ZoryxBot, plugin: PluginContext) -> None:
    monitor = ShardMonitor(bot, plugin, MonitorSettings.from_mapping(plugin.settings))
    await monitor.prepare()
    monitor.start()
    await bot.add_cog(ShardMonitorCog(monitor))


@hookimpl
async def zoryx_teardown(bot: ZoryxBot) -> None:
    monitor = find_shard_monitor(bot)
    if monitor is not None:
        await monitor.stop()


@hookimpl
def zoryx_custom_event(bot: ZoryxBot, event: CustomEvent) -> None:
    """zoryx-cluster's ``cluster_stats``: every cluster's shards, for the dashboard's Clusters tab."""
    if event.name != "cluster_stats":
        return
    monitor = find_shard_monitor(bot)
    if monitor is not None:
        monitor.cluster_view = dict(event.payload)


@hookimpl
def zoryx_health_check(bot: ZoryxBot) -> HealthResult | None:
    monitor = find_shard_monitor(bot)
    if monitor is None:
        return None
    verdicts = monitor.verdicts()
    tier = worst(verdicts)
    statuses: dict[Tier, HealthStatus] = {
        Tier.HEALTHY: "healthy",
        Tier.WARNING: "degraded",
        Tier.CRITICAL: "unhealthy",
    }
    status = statuses[tier]
    bad = [f"shard {v.shard_id}: {', '.join(v.reasons)}" for v in verdicts if v.tier is not Tier.HEALTHY]
    return HealthResult("shards", status, "; ".join(bad) or f"{len(verdicts)} shard(s) healthy")
