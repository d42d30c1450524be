"""Alerts about unhealthy shards, posted to a configured channel and rate-limited per shard.

A shard alerts when it is critical or has failed ``threshold`` samples in a row; it is announced
once when it starts alerting and once when it recovers. At most one message per shard per
``alert_cooldown_seconds``: a change inside that time is counted and the next message says so.
The channel and threshold (``shardalerts``) are a global document of the plugin in the bot's store,
so every process sharing the store (PostgreSQL: several machines) alerts to the same channel; a
process re-reads it at most every ``CONFIG_REFRESH_SECONDS``. An ``alert_config.json`` left by an
earlier version is read once and moved into the store.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import discord

from zoryx_core.ui import success_embed, warning_embed

from .health import Tier, Verdict
from .metrics import ShardMetrics
from .settings import MonitorSettings

if TYPE_CHECKING:
    from zoryx_core import ZoryxBot
    from zoryx_core.storage import PluginStorage

__all__ = ["CONFIG_KEY", "AlertConfig", "Alerts", "ShardAlertState"]

CONFIG_KEY = "alert_config"
CONFIG_REFRESH_SECONDS = 30.0

log = logging.getLogger("zoryx.plugin.zoryx-shard-monitor")


@dataclass(frozen=True, slots=True)
class AlertConfig:
    channel_id: int = 0
    """0: alerts off."""
    threshold: int = 3
    """Consecutive failed samples before a shard alerts (1-20)."""


@dataclass(slots=True)
class ShardAlertState:
    alerting: bool = False
    """Whether the channel was last told this shard is unhealthy."""
    last_sent: float | None = None
    suppressed: int = 0
    sent: int = 0


@dataclass(slots=True)
class Alerts:
    bot: ZoryxBot
    store: PluginStorage
    legacy_path: Path
    """Where an earlier version kept the set-up (a JSON file in this process's data folder)."""
    settings: MonitorSettings
    config: AlertConfig = field(default_factory=AlertConfig)
    states: dict[int, ShardAlertState] = field(default_factory=dict)
    failed_sends: int = 0
    loaded_at: float = float("-inf")

    async def load(self) -> None:
        data = await self.store.get(CONFIG_KEY)
        if data is None:
            data = await self.bot.storage.json.read(self.legacy_path, default=None)
            if isinstance(data, dict):
                await self.store.set(CONFIG_KEY, data)
                await self.bot.storage.json.delete(self.legacy_path)
        threshold = self.settings.alert_threshold
        if isinstance(data, dict):
            self.config = AlertConfig(int(data.get("channel_id", 0)), int(data.get("threshold", threshold)))
        else:
            self.config = AlertConfig(0, threshold)
        self.loaded_at = time.monotonic()

    async def configure(self, *, channel_id: int | None = None, threshold: int | None = None) -> AlertConfig:
        """Change the channel (0 turns alerts off) and/or the threshold (1-20); saved at once."""
        if threshold is not None and not 1 <= threshold <= 20:
            raise ValueError(f"the alert threshold must be 1 to 20 failed samples, got {threshold}")
        self.config = AlertConfig(
            self.config.channel_id if channel_id is None else channel_id,
            self.config.threshold if threshold is None else threshold,
        )
        await self.store.set(
            CONFIG_KEY, {"channel_id": self.config.channel_id, "threshold": self.config.threshold}
        )
        return self.config

    def is_alerting(self, verdict: Verdict, metrics: ShardMetrics) -> bool:
        return verdict.tier is Tier.CRITICAL or metrics.consecutive_failures >= self.config.threshold

    async def observe(self, verdicts: list[Verdict], metrics: dict[int, ShardMetrics]) -> None:
        """Announce the shards that started or stopped alerting, within the rate limit."""
        now = time.monotonic()
        if now - self.loaded_at >= CONFIG_REFRESH_SECONDS:  # another process may have changed it
            try:
                await self.load()
            except Exception:
                log.exception("could not re-read the alert set-up; keeping the last one")
                self.loaded_at = now
        for verdict in verdicts:
            state = self.states.setdefault(verdict.shard_id, ShardAlertState())
            alerting = self.is_alerting(verdict, metrics[verdict.shard_id])
            if alerting == state.alerting:
                continue
            if not self.config.channel_id:
                state.alerting = alerting  # nobody to tell; follow the state quietly
                continue
            cooldown = self.settings.alert_cooldown_seconds
            if state.last_sent is not None and now - state.last_sent < cooldown:
                state.suppressed += 1
                continue
            if await self._send(verdict, metrics[verdict.shard_id], alerting, state):
                state.alerting, state.last_sent, state.suppressed = alerting, now, 0
                state.sent += 1

    async def _send(
        self, verdict: Verdict, metrics: ShardMetrics, alerting: bool, state: ShardAlertState
    ) -> bool:
        channel = self.bot.get_channel(self.config.channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            log.warning(
                "the shard alert channel %s is not a text channel the bot sees", self.config.channel_id
            )
            self.failed_sends += 1
            return False
        if alerting:
            reasons = list(verdict.reasons)
            failures = f"{metrics.consecutive_failures} failed samples in a row"
            if metrics.consecutive_failures >= self.config.threshold and failures not in reasons:
                reasons.append(failures)
            state_word = verdict.tier.value if verdict.tier is not Tier.HEALTHY else "failing"
            embed = warning_embed(
                f"Shard {verdict.shard_id} is {state_word}", "\n".join(f"• {r}" for r in reasons)
            )
        else:
            embed = success_embed(f"Shard {verdict.shard_id} recovered", "Its checks are back within limits.")
        if state.suppressed:
            embed.add_field(
                name="Rate limit",
                value=f"{state.suppressed} change(s) were not announced at the time "
                f"(one message per shard every {self.settings.alert_cooldown_seconds:g} s).",
                inline=False,
            )
        try:
            await channel.send(embed=embed)
        except discord.HTTPException as error:
            log.warning("could not send a shard alert: %s", error)
            self.failed_sends += 1
            return False
        return True
