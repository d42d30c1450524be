"""Counters kept in memory (commands, errors, messages, uptime, top commands) and per-command
usage counts persisted to the global database in batches, off the event loop."""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .storage import StorageBackend

__all__ = ["Metrics", "MetricsSnapshot", "ShardActivity"]

log = logging.getLogger("zoryx.metrics")

USAGE_MIGRATIONS = {
    "sqlite": [
        "CREATE TABLE zoryx_command_usage ("
        " command TEXT PRIMARY KEY, uses INTEGER NOT NULL DEFAULT 0, last_used REAL)"
    ],
    "postgresql": [
        "CREATE TABLE zoryx_command_usage ("
        " command TEXT PRIMARY KEY, uses BIGINT NOT NULL DEFAULT 0, last_used DOUBLE PRECISION)"
    ],
}
_ADD_USAGE = (
    "INSERT INTO zoryx_command_usage (command, uses, last_used) VALUES ({}) "
    "ON CONFLICT (command) DO UPDATE SET uses = zoryx_command_usage.uses + excluded.uses, "
    "last_used = excluded.last_used"
)


@dataclass(frozen=True)
class MetricsSnapshot:
    """A consistent copy of the counters at one moment."""

    uptime: float
    messages: int
    commands: int
    errors: int
    top_commands: list[tuple[str, int]]

    @property
    def error_rate(self) -> float:
        """Errors per command run (0 when nothing ran)."""
        return self.errors / self.commands if self.commands else 0.0


class ShardActivity:
    """What the core has seen on one shard since the bot started: messages received, commands
    completed, and when the last of either happened (Unix time, ``0.0`` before any).

    Plugins read these counters (:meth:`Metrics.shard_activity`) instead of adding their own
    ``on_message`` or ``on_command`` listeners: discord.py starts a task for every listener call,
    while the core counts in line. Take differences between two readings to count an interval.
    """

    __slots__ = ("commands", "last_at", "messages")

    def __init__(self) -> None:
        self.messages = 0
        self.commands = 0
        self.last_at = 0.0

    def __repr__(self) -> str:
        return f"ShardActivity(messages={self.messages}, commands={self.commands}, last_at={self.last_at})"


class Metrics:
    """The bot's counters (``bot.metrics``). Counting is a few integer additions; the usage counts
    reach the database when :meth:`flush` runs (periodically and at shutdown)."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.messages = 0
        self.commands = 0
        self.errors = 0
        self.per_command: Counter[str] = Counter()
        self._unsaved: Counter[str] = Counter()
        self._last_used: dict[str, float] = {}
        self._shards: dict[int, ShardActivity] = {}

    def _activity(self, shard_id: int) -> ShardActivity:
        found = self._shards.get(shard_id)
        if found is None:
            found = self._shards[shard_id] = ShardActivity()
        return found

    def message_seen(self, shard_id: int) -> None:
        """Count one message received on ``shard_id`` (direct messages arrive on shard 0)."""
        self.messages += 1
        activity = self._shards.get(shard_id) or self._activity(shard_id)  # one call per message
        activity.messages += 1
        activity.last_at = time.time()

    def command_ran(self, name: str, shard_id: int = 0) -> None:
        """Count one command that completed, invoked from ``shard_id``."""
        now = time.time()
        self.commands += 1
        self.per_command[name] += 1
        self._unsaved[name] += 1
        self._last_used[name] = now
        activity = self._shards.get(shard_id) or self._activity(shard_id)
        activity.commands += 1
        activity.last_at = now

    def shard_activity(self) -> dict[int, ShardActivity]:
        """Each shard's counters so far, by shard id (the live objects: read, do not change)."""
        return dict(self._shards)

    def command_failed(self) -> None:
        self.errors += 1

    @property
    def uptime(self) -> float:
        return time.monotonic() - self.started

    def snapshot(self, top: int = 10) -> MetricsSnapshot:
        return MetricsSnapshot(
            uptime=self.uptime,
            messages=self.messages,
            commands=self.commands,
            errors=self.errors,
            top_commands=self.per_command.most_common(top),
        )

    async def prepare(self, storage: StorageBackend) -> None:
        """Create the usage table (a core migration) in the global database."""
        await storage.migrate("core.metrics", USAGE_MIGRATIONS)

    async def flush(self, storage: StorageBackend) -> int:
        """Add the counts gathered since the last flush to the database; returns commands written."""
        if not self._unsaved:
            return 0
        pending, self._unsaved = self._unsaved, Counter()
        rows = [(name, count, self._last_used.get(name)) for name, count in pending.items()]
        try:
            sql = storage.sql(sqlite=_ADD_USAGE.format("?, ?, ?"), postgresql=_ADD_USAGE.format("$1, $2, $3"))
            await storage.executemany(sql, rows)
        except Exception:
            self._unsaved.update(pending)  # keep them for the next flush
            log.exception("could not save command usage counts; will retry")
            raise
        return len(rows)

    async def usage(self, storage: StorageBackend, limit: int = 10) -> list[tuple[str, int]]:
        """Most used commands over all runs (saved counts plus those not yet flushed)."""
        rows = await storage.fetchall("SELECT command, uses FROM zoryx_command_usage")
        totals: Counter[str] = Counter({str(row[0]): int(row[1]) for row in rows})
        totals.update(self._unsaved)
        return totals.most_common(limit)
