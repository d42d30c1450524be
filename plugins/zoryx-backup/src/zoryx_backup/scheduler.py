"""Automatic backups: every ``schedule_check_seconds`` the scheduler asks the engine which
servers' schedules are due and makes their backups (``automatic=True``, flagged 🔁).

Automatic backups go through the same index transaction as manual ones, so a scheduled backup
at the moment two admins run ``backupcreate`` leaves the index consistent; they rotate out
older automatic backups at the limit and never a manual one.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

import discord

from .errors import BackupError
from .records import BackupRecord
from .service import BackupService

__all__ = ["AutoBackups", "SchedulerRun", "runs_here"]

log = logging.getLogger("zoryx.plugin.zoryx-backup.scheduler")


def runs_here(bot: discord.Client, guild_id: int) -> bool:
    """Whether this process runs the shard of ``guild_id``: with the shards split over processes
    (``shard_ids``), a server's once-per-bot work belongs to the process holding its shard."""
    shard_ids = getattr(bot, "shard_ids", None)
    shard_count = bot.shard_count
    if not shard_ids or not shard_count:
        return True
    return (guild_id >> 22) % shard_count in shard_ids


@dataclass(slots=True)
class SchedulerRun:
    """What one pass of the scheduler did."""

    made: list[BackupRecord] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    """Server id -> why its backup was not made."""


class AutoBackups:
    """The scheduler loop of one bot (started by the plugin, stopped with it)."""

    def __init__(self, service: BackupService, check_seconds: float) -> None:
        self.service = service
        self.check_seconds = check_seconds
        self.passes = 0
        """Checks completed by the loop."""
        self.first_pass = asyncio.Event()
        """Set once the loop's first check (right after READY) is done."""
        self._running = asyncio.Lock()

    async def run_due(self) -> SchedulerRun:
        """Make the backups of every server whose schedule is due, then mark each run. One check
        at a time: a check asked for while the loop's is running waits for it, and then finds the
        servers it backed up no longer due (never two backups for one due schedule)."""
        async with self._running:
            return await self._run_due()

    async def _run_due(self) -> SchedulerRun:
        service = self.service
        result = SchedulerRun()
        for schedule in await service.due_schedules():
            if not runs_here(service.bot, schedule.guild_id):
                continue  # another process of the bot (a cluster) holds the server's shard
            guild = service.bot.get_guild(schedule.guild_id)
            try:
                if guild is None:
                    result.failed[schedule.guild_id] = "the bot is not in that server"
                    continue
                record = await service.create(
                    guild,
                    f"Automatic backup (every {schedule.interval_hours} h)",
                    schedule.set_by,
                    automatic=True,
                )
                result.made.append(record)
            except BackupError as error:
                result.failed[schedule.guild_id] = str(error)
                log.warning("automatic backup of server %s not made: %s", schedule.guild_id, error)
            except Exception as error:
                result.failed[schedule.guild_id] = f"{type(error).__name__}: {error}"
                log.exception("automatic backup of server %s failed", schedule.guild_id)
            finally:
                # The next run is one interval on, also after a failure: no retry storm.
                await service.mark_schedule_run(schedule.guild_id)
        return result

    async def loop(self) -> None:
        await self.service.bot.wait_until_ready()
        while True:
            try:
                await self.run_due()
            except Exception:
                log.exception("the automatic backup check failed")
            self.passes += 1
            self.first_pass.set()
            await asyncio.sleep(self.check_seconds)
