"""Alerts to a channel when the status turns degraded and when it recovers, rate-limited.

At most one alert is sent per ``cooldown`` seconds. A status change inside that period is not
announced at the time; it is counted, and the next alert says how many went unannounced. When the
period is over and the status still differs from the last one announced, that alert is sent then.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import discord

from zoryx_core.ui import success_embed, warning_embed

from .figures import Status
from .status import Verdict, format_duration

if TYPE_CHECKING:
    from zoryx_core import ZoryxBot

__all__ = ["AlertNotifier", "alert_embed"]

log = logging.getLogger("zoryx.plugin.zoryx-diagnostics")


def alert_embed(verdict: Verdict, *, unannounced: int, cooldown: float) -> discord.Embed:
    """The alert for ``verdict``; mentions the changes the rate limit kept back."""
    if verdict.healthy:
        embed = success_embed("Bot recovered", "Every diagnostics check is back within its limits.")
    else:
        lines = "\n".join(f"• {reason}" for reason in verdict.reasons)
        embed = warning_embed("Bot degraded", lines or "A diagnostics check is outside its limits.")
    if unannounced:
        changes = "status change was" if unannounced == 1 else "status changes were"
        embed.add_field(
            name="Rate limit",
            value=f"{unannounced} {changes} not announced at the time "
            f"(at most one alert per {format_duration(cooldown)}).",
            inline=False,
        )
    return embed


class AlertNotifier:
    """Follows the status and posts alerts to ``channel_id`` (0: alerts off)."""

    def __init__(
        self,
        bot: ZoryxBot,
        channel_id: int,
        cooldown: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bot = bot
        self.channel_id = channel_id
        self.cooldown = cooldown
        self._clock = clock
        self.announced: Status = "healthy"
        """The status the channel was last told about (healthy at start)."""
        self.seen: Status = "healthy"
        """The status at the last observation."""
        self.suppressed = 0
        """Status changes not announced because of the rate limit, since the last alert."""
        self.suppressed_total = 0
        self.sent = 0
        self.failed = 0
        self.last_sent_at: float | None = None
        self._lock = asyncio.Lock()

    @property
    def enabled(self) -> bool:
        return self.channel_id != 0

    def in_cooldown(self) -> bool:
        last = self.last_sent_at
        return last is not None and self._clock() - last < self.cooldown

    async def observe(self, verdict: Verdict) -> bool:
        """Take the latest verdict into account; returns whether an alert was sent."""
        async with self._lock:
            previous, self.seen = self.seen, verdict.status
            if not self.enabled:
                self.announced = verdict.status
                return False
            changed = verdict.status != previous
            if verdict.status == self.announced:
                if changed and self.in_cooldown():
                    self._suppress()  # it flapped back before anyone was told
                return False
            if self.in_cooldown():
                if changed:
                    self._suppress()
                return False
            self.last_sent_at = self._clock()
            embed = alert_embed(verdict, unannounced=self.suppressed, cooldown=self.cooldown)
            if not await self._send(embed):
                self.failed += 1
                return False  # tried again once the cooldown is over
            self.announced = verdict.status
            self.suppressed = 0
            self.sent += 1
            return True

    def _suppress(self) -> None:
        self.suppressed += 1
        self.suppressed_total += 1

    async def _send(self, embed: discord.Embed) -> bool:
        channel: Any = self.bot.get_channel(self.channel_id)
        try:
            if channel is None:
                channel = await self.bot.fetch_channel(self.channel_id)
            if not isinstance(channel, discord.abc.Messageable):
                log.warning(
                    "alert_channel_id %s is a %s, not a channel messages can be sent to",
                    self.channel_id,
                    type(channel).__name__,
                )
                return False
            await channel.send(embed=embed)
        except discord.HTTPException as error:
            log.warning("could not send the diagnostics alert to channel %s: %s", self.channel_id, error)
            return False
        return True
