"""Background upkeep the bot runs itself: usage counts flushed to the database, caches expired,
idle database connections closed, data of servers the bot left cleaned after the grace period."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .cancellation import cancel_and_wait

if TYPE_CHECKING:
    from .bot import ZoryxBot

__all__ = ["Maintenance", "MaintenanceReport"]

log = logging.getLogger("zoryx.maintenance")

IDLE_CONNECTION_SECONDS = 300.0


@dataclass
class MaintenanceReport:
    """What one maintenance run did."""

    json_cache_expired: int = 0
    file_locks_pruned: int = 0
    guild_cache_expired: int = 0
    heap_reclaimed: int = 0
    connections_closed: int = 0
    departed_guilds_noted: list[int] = field(default_factory=list)
    departed_guilds_cleaned: list[int] = field(default_factory=list)
    usage_rows_flushed: int = 0

    def lines(self) -> list[str]:
        return [
            f"JSON cache entries expired: {self.json_cache_expired}",
            f"idle file locks dropped: {self.file_locks_pruned}",
            f"server settings cache entries expired: {self.guild_cache_expired}",
            f"idle database connections closed: {self.connections_closed}",
            f"servers found gone while offline: {len(self.departed_guilds_noted)}",
            f"departed servers' data deleted: {len(self.departed_guilds_cleaned)}",
            f"command usage counts saved: {self.usage_rows_flushed}",
            f"unreachable objects collected: {self.heap_reclaimed}",
        ]


class Maintenance:
    """Owns the bot's two upkeep loops; ``run_once`` is also what the ``cleanup`` command calls."""

    def __init__(self, bot: ZoryxBot) -> None:
        self.bot = bot
        self._tasks: list[asyncio.Task[None]] = []
        self.last_report: MaintenanceReport | None = None

    def start(self) -> None:
        if self._tasks:
            return
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(
                self._every(float(self.bot.settings["metrics.flush_seconds"]), self.flush),
                name="zoryx maintenance: usage counts",
            ),
            loop.create_task(
                self._every(float(self.bot.settings["storage.maintenance_minutes"]) * 60, self._scheduled),
                name="zoryx maintenance: upkeep",
            ),
        ]

    async def stop(self) -> None:
        """Stop the loops and save the last usage counts."""
        tasks, self._tasks = self._tasks, []
        for task in await cancel_and_wait(tasks):
            log.warning("maintenance loop %s did not stop when cancelled; left running", task.get_name())
        if self.bot.storage.is_open:
            with contextlib.suppress(Exception):
                await self.flush()

    async def flush(self) -> int:
        return await self.bot.metrics.flush(self.bot.storage)

    async def run_once(self) -> MaintenanceReport:
        """One full maintenance pass."""
        storage = self.bot.storage
        report = MaintenanceReport()
        report.json_cache_expired = storage.json.expire()
        report.file_locks_pruned = storage.json.prune_locks()
        report.guild_cache_expired = self.bot.guild_configs.expire()
        report.connections_closed = await storage.close_idle(IDLE_CONNECTION_SECONDS)
        report.departed_guilds_noted = await self.note_absent_guilds()
        report.departed_guilds_cleaned = await storage.cleanup_departed()
        for guild_id in report.departed_guilds_cleaned:
            self.bot.guild_configs.forget(guild_id)
        report.usage_rows_flushed = await self.flush()
        report.heap_reclaimed = self.bot.heap.freeze("maintenance")
        self.last_report = report
        return report

    async def note_absent_guilds(self) -> list[int]:
        """Servers with data on disk that this bot is no longer in (left while it was offline).
        Only decided when this process runs every shard; otherwise other processes own them."""
        bot = self.bot
        if not bot.is_ready() or (bot.shard_ids is not None and len(bot.shard_ids) != bot.shard_count):
            return []
        present = {guild.id for guild in bot.guilds}
        on_disk = await bot.storage.guild_ids()
        absent = [gid for gid in on_disk if gid not in present]
        for guild_id in absent:
            await bot.storage.guild_departed(guild_id)
        return absent

    async def _scheduled(self) -> None:
        """The periodic pass; the departed-server record keeps the first time a server was missed."""
        report = await self.run_once()
        log.info("maintenance: %s", "; ".join(report.lines()))

    async def _every(self, seconds: float, job: Callable[[], Awaitable[object]]) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await job()
            except Exception:
                log.exception("maintenance job failed; it will run again in %.0f s", seconds)
