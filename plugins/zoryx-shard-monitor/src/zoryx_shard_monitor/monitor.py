"""The shard monitor of one bot: metrics per shard, the loops that sample latency, check health
and save, and the alert configuration. Reached with :func:`shard_monitor`."""

from __future__ import annotations

import asyncio
import logging
import sys
import time
import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import discord

from .alerts import AlertConfig, Alerts
from .health import Tier, Verdict, assess, worst
from .metrics import ShardMetrics
from .settings import MonitorSettings

if TYPE_CHECKING:
    from zoryx_core import PluginContext, ZoryxBot

__all__ = ["METRICS_FILE", "ShardMonitor", "find_shard_monitor", "shard_monitor"]

log = logging.getLogger("zoryx.plugin.zoryx-shard-monitor")

METRICS_FILE = "metrics.json"
METRICS_FORMAT = 1

_monitors: weakref.WeakKeyDictionary[discord.Client, ShardMonitor] = weakref.WeakKeyDictionary()


def _registry() -> weakref.WeakKeyDictionary[discord.Client, ShardMonitor]:
    module = sys.modules.get(__name__)  # the live module, also after a reload of the plugin
    found: weakref.WeakKeyDictionary[discord.Client, ShardMonitor] = getattr(module, "_monitors", _monitors)
    return found


def find_shard_monitor(bot: discord.Client) -> ShardMonitor | None:
    """The bot's shard monitor, or ``None`` when zoryx-shard-monitor is not loaded."""
    return _registry().get(bot)


def shard_monitor(bot: discord.Client) -> ShardMonitor:
    """The bot's shard monitor; ``LookupError`` when zoryx-shard-monitor is not loaded."""
    monitor = find_shard_monitor(bot)
    if monitor is None:
        raise LookupError("zoryx-shard-monitor is not loaded in this bot")
    return monitor


class ShardMonitor:
    """Metrics of every shard of ``bot``, its loops, and its alerts."""

    def __init__(self, bot: ZoryxBot, plugin: PluginContext, settings: MonitorSettings) -> None:
        self.bot = bot
        self.plugin = plugin
        self.settings = settings
        self.shards: dict[int, ShardMetrics] = {}
        self.metrics_path = plugin.storage.json_path(METRICS_FILE)
        self.alerts = Alerts(bot, plugin.storage, plugin.storage.json_path("alert_config.json"), settings)
        self.samples_taken = 0
        self.cluster_view: dict[str, Any] | None = None
        """The last ``cluster_stats`` event (zoryx-cluster): every cluster's shards, when the bot's
        shards run in several processes; ``None`` otherwise."""
        self.checks_run = 0
        self.saves = 0
        self._counted: dict[int, tuple[int, int]] = {}
        """Per shard, the core's (messages, commands) already added to the counters."""

    # --- life cycle ---------------------------------------------------------------------------------

    async def prepare(self) -> None:
        """Read the saved metrics and alert configuration; note shards already connected."""
        # What the core counted before this monitor existed was saved by an earlier monitor (or
        # happened while none was loaded): count from here on.
        self._counted = {
            shard_id: (activity.messages, activity.commands)
            for shard_id, activity in self.bot.metrics.shard_activity().items()
        }
        await self.alerts.load()
        document = await self.bot.storage.json.read(self.metrics_path, default=None)
        if isinstance(document, dict) and document.get("format") == METRICS_FORMAT:
            for data in document.get("shards", []):
                try:
                    metrics = ShardMetrics.from_json(data)
                except (KeyError, TypeError, ValueError) as error:
                    log.warning("ignoring saved metrics of a shard: %s", error)
                    continue
                self.shards[metrics.shard_id] = metrics
        for shard_id, connected in self._live_shards():
            metrics = self.metrics(shard_id)
            if connected and not metrics.connected:
                metrics.connect("ready")

    def start(self) -> None:
        _monitors[self.bot] = self
        self.plugin.create_task(
            self._every(self.settings.collect_seconds, self.collect), name="shards:collect"
        )
        self.plugin.create_task(self._every(self.settings.health_seconds, self.check), name="shards:health")
        self.plugin.create_task(self._every(self.settings.save_seconds, self.save), name="shards:save")

    async def stop(self) -> None:
        if _monitors.get(self.bot) is self:
            del _monitors[self.bot]
        try:
            await self.save()
        except Exception:
            log.exception("could not save the shard metrics")

    async def _every(self, seconds: float, job: Any) -> None:
        await self.bot.wait_until_ready()
        while True:
            await asyncio.sleep(seconds)
            try:
                await job()
            except Exception:
                log.exception("shard monitor: %s failed", getattr(job, "__name__", job))

    # --- shards -------------------------------------------------------------------------------------

    def _live_shards(self) -> Iterable[tuple[int, bool]]:
        shards = getattr(self.bot, "shards", None)
        if isinstance(shards, dict) and shards:
            for shard_id, info in shards.items():
                yield int(shard_id), not info.is_closed()
        elif self.bot.is_ready():
            yield 0, not self.bot.is_closed()

    def metrics(self, shard_id: int) -> ShardMetrics:
        """The metrics of ``shard_id``, created at first use, with the latest counts."""
        self.sync_activity()
        return self._metrics_of(shard_id)

    def _metrics_of(self, shard_id: int) -> ShardMetrics:
        found = self.shards.get(shard_id)
        if found is None:
            found = self.shards[shard_id] = ShardMetrics(shard_id)
        return found

    def sync_activity(self) -> None:
        """Add the messages and commands the core counted since the last call to each shard's
        counters (the core counts them in line, so the monitor needs no listener per event)."""
        for shard_id, activity in self.bot.metrics.shard_activity().items():
            messages, commands = self._counted.get(shard_id, (0, 0))
            if activity.messages == messages and activity.commands == commands:
                continue
            metrics = self._metrics_of(shard_id)
            metrics.counters["messages"] += activity.messages - messages
            metrics.counters["commands"] += activity.commands - commands
            metrics.last_activity = max(metrics.last_activity or 0.0, activity.last_at)
            self._counted[shard_id] = (activity.messages, activity.commands)

    def shard_of(self, guild: discord.Guild | None) -> int:
        return guild.shard_id if guild is not None else 0

    def known_shard_ids(self) -> list[int]:
        self.sync_activity()
        return sorted(set(self.shards) | {shard_id for shard_id, _ in self._live_shards()})

    # --- the loops' work ------------------------------------------------------------------------------

    async def collect(self) -> None:
        """Sample every shard's latency now (a shard that is not connected gives a failure)."""
        now = time.time()
        for shard_id in self.known_shard_ids():
            shard = self.bot.get_shard(shard_id)
            metrics = self.metrics(shard_id)
            if shard is None or shard.is_closed():
                metrics.sample(None, now, "the shard is not connected")
            else:
                metrics.sample(shard.latency, now)
        self.samples_taken += 1

    def verdicts(self, now: float | None = None) -> list[Verdict]:
        return [assess(self.metrics(s), self.settings, now) for s in self.known_shard_ids()]

    def overall(self) -> Tier:
        return worst(self.verdicts())

    async def check(self) -> list[Verdict]:
        """Assess every shard and send the alerts that are due."""
        verdicts = self.verdicts()
        await self.alerts.observe(verdicts, {s: self.metrics(s) for s in self.known_shard_ids()})
        self.checks_run += 1
        return verdicts

    async def save(self) -> None:
        """Write every shard's metrics to the plugin's JSON file (atomically)."""
        self.sync_activity()
        document = {
            "format": METRICS_FORMAT,
            "shards": [self.shards[s].to_json() for s in sorted(self.shards)],
        }
        await self.bot.storage.json.write(self.metrics_path, document)
        self.saves += 1

    def reset(self, shard_id: int | None = None) -> list[int]:
        """Forget the figures of one shard (``None``: all); returns the shards reset."""
        targets = self.known_shard_ids() if shard_id is None else [shard_id]
        for target in targets:
            self.metrics(target).reset()
        return targets

    # --- events (called by the cog's listeners) -------------------------------------------------------

    def on_shard_event(self, shard_id: int, kind: str) -> None:
        metrics = self.metrics(shard_id)
        if kind == "disconnect":
            metrics.disconnect()
        else:
            metrics.connect(kind)

    def config(self) -> AlertConfig:
        return self.alerts.config
