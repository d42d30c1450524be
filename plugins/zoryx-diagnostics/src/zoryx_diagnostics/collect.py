"""Gathering the report's figures from the process, the bot, the plugin host and the storage."""

from __future__ import annotations

import os
import platform
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import discord

from zoryx_core import HealthResult, ZoryxBot
from zoryx_core import __version__ as zoryx_version
from zoryx_core.command_counts import count_commands

if TYPE_CHECKING:
    import psutil

from .figures import (
    BotFigures,
    DatabaseHealth,
    HealthEntry,
    LatencyFigures,
    PluginLoad,
    ShardLatency,
    SystemFigures,
    finite,
)

__all__ = [
    "ProcessSampler",
    "bot_figures",
    "database_health",
    "health_entries",
    "latency_figures",
    "plugin_loads",
]

T = TypeVar("T")


def _safely(read: Callable[[], T]) -> T | None:
    import psutil

    try:
        return read()
    except (psutil.Error, OSError):
        return None


class ProcessSampler:
    """CPU, memory and threads of this process and the machine. The methods block (they read
    ``/proc`` or its equivalent, and the first one imports psutil): call them through
    ``asyncio.to_thread``."""

    def __init__(self) -> None:
        self._process: psutil.Process | None = None
        self._lock = threading.Lock()  # CPU percentages are deltas from the previous call

    def prime(self) -> None:
        """Start the CPU counters so that the first real sample measures something."""
        import psutil

        with self._lock:
            process = self._cpu_process()
            _safely(lambda: process.cpu_percent(None))
            _safely(lambda: psutil.cpu_percent(None))

    def _cpu_process(self) -> psutil.Process:
        import psutil

        if self._process is None:
            self._process = psutil.Process(os.getpid())
        return self._process

    def sample(self) -> SystemFigures:
        import psutil

        with self._lock:
            process = self._cpu_process()
            with process.oneshot():
                cpu = _safely(lambda: process.cpu_percent(None))
                memory = _safely(process.memory_info)
                memory_percent = _safely(process.memory_percent)
                threads = _safely(process.num_threads)
            machine_cpu = _safely(lambda: psutil.cpu_percent(None))
            machine_memory = _safely(psutil.virtual_memory)
        return SystemFigures(
            cpu_percent=cpu,
            memory_rss_bytes=memory.rss if memory is not None else None,
            memory_percent=memory_percent,
            threads=threads,
            machine_cpu_percent=machine_cpu,
            machine_memory_percent=machine_memory.percent if machine_memory is not None else None,
            pid=process.pid,
            python_version=platform.python_version(),
            python_implementation=platform.python_implementation(),
            platform=platform.platform(terse=True),
            architecture=platform.machine(),
            discord_py_version=discord.__version__,
            zoryx_version=zoryx_version,
        )


def bot_figures(bot: ZoryxBot) -> BotFigures:
    """Counts from the bot's cache and counters (a pass over the guilds, no I/O)."""
    guilds = bot.guilds
    counts = count_commands(bot)
    return BotFigures(
        uptime_seconds=bot.metrics.uptime,
        guilds=len(guilds),
        members=sum(guild.member_count or 0 for guild in guilds),
        cached_users=len(bot.users),
        channels=sum(len(guild.channels) for guild in guilds),
        shards=len(bot.shards),
        messages_seen=bot.metrics.messages,
        commands_run=bot.metrics.commands,
        command_errors=bot.metrics.errors,
        prefix_commands=counts.text,
        slash_commands=counts.slash,
        context_menus=counts.context_menus,
    )


def latency_figures(bot: ZoryxBot) -> LatencyFigures:
    """Heartbeat latency per shard and on average (``None`` before the first acknowledgement)."""
    shards = tuple(
        ShardLatency(shard_id, None if (ms := finite(latency)) is None else ms * 1000)
        for shard_id, latency in sorted(bot.latencies)
    )
    known = [shard.latency_ms for shard in shards if shard.latency_ms is not None]
    return LatencyFigures(average_ms=sum(known) / len(known) if known else None, shards=shards)


def plugin_loads(bot: ZoryxBot) -> tuple[PluginLoad, ...]:
    """Every plugin the host knows, slowest load first (those never loaded last)."""
    loads = [
        PluginLoad(
            name=outcome.name,
            kind=outcome.spec.kind,
            status=outcome.status.value,
            version=outcome.spec.version,
            load_time_ms=None if outcome.load_time is None else outcome.load_time * 1000,
            reason=outcome.reason,
        )
        for outcome in bot.plugins.outcomes.values()
    ]
    loads.sort(key=lambda p: (p.load_time_ms is None, -(p.load_time_ms or 0.0), p.name))
    return tuple(loads)


def health_entries(results: list[HealthResult]) -> tuple[HealthEntry, ...]:
    return tuple(HealthEntry(r.plugin, r.name, r.status, r.detail) for r in results)


async def database_health(bot: ZoryxBot, *, quick_check: bool) -> DatabaseHealth:
    """main.db answers ``PRAGMA quick_check`` (or a plain query), the connection pool and JSON
    cache figures, and how many guild databases are on disk. Never raises."""
    storage = bot.storage
    pool = {key: float(value) for key, value in storage.pool.stats().items()}
    json_cache = {
        key: float(value)
        for key, value in storage.json.stats().items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    }
    if not storage.is_open:
        return DatabaseHealth(False, "the storage is closed", None, pool, json_cache)
    sql = storage.sql(
        sqlite="PRAGMA quick_check(1)" if quick_check else "SELECT 'ok'", postgresql="SELECT 'ok'"
    )
    started = time.perf_counter()
    try:
        row = await storage.fetchone(sql)
        elapsed = (time.perf_counter() - started) * 1000
        guild_databases = len(await storage.guild_ids())
    except Exception as error:
        detail = f"main.db: {type(error).__name__}: {error}"
        return DatabaseHealth(False, detail, None, pool, json_cache)
    answer = str(row[0]) if row is not None else "no answer"
    check = "quick_check" if quick_check else "query"
    if answer != "ok":
        return DatabaseHealth(False, f"main.db {check}: {answer}", elapsed, pool, json_cache, guild_databases)
    return DatabaseHealth(True, f"main.db {check} ok", elapsed, pool, json_cache, guild_databases)
