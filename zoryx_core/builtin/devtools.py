"""Built-in plugin ``core.devtools``: owner tools with real figures — cachestats, dbstats,
integritycheck, cleanup and atomictest. All of them are on the fixed owner-only list."""

from __future__ import annotations

import asyncio
import math
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from discord.ext import commands

from zoryx_core import PluginContext, PluginStatus, ZoryxBot, hookimpl
from zoryx_core.hybrid import hybrid_command
from zoryx_core.storage import BackupsUnavailable
from zoryx_core.ui import error_embed, info_embed, plural, success_embed

__all__ = ["Check", "DevToolsCog", "atomic_selftest", "integrity_checks"]

MIN_FREE_BYTES = 100 * 2**20
MAX_MEMORY_PERCENT = 95.0


@dataclass(frozen=True)
class Check:
    """One line of ``integritycheck``."""

    name: str
    ok: bool
    detail: str


async def integrity_checks(bot: ZoryxBot) -> list[Check]:
    """File system, every database, caches, plugins, shards and memory; each can fail."""
    return [
        await _check_files(bot),
        *await _check_databases(bot),
        await _check_caches(bot),
        await _check_plugins(bot),
        _check_shards(bot),
        await _check_memory(),
    ]


async def _check_files(bot: ZoryxBot) -> Check:
    probe = bot.data_dir / ".integrity-probe.json"
    try:
        token = {"probe": time.time_ns()}
        await bot.storage.json.write(probe, token)
        back = await bot.storage.json.read(probe, use_cache=False)
        await bot.storage.json.delete(probe)
        usage = await asyncio.to_thread(shutil.disk_usage, bot.data_dir)
    except Exception as error:
        return Check("File system", False, f"{bot.data_dir}: {type(error).__name__}: {error}")
    if back != token:
        return Check("File system", False, f"{probe} read back different content")
    if usage.free < MIN_FREE_BYTES:
        return Check("File system", False, f"only {usage.free / 2**20:.0f} MiB free under {bot.data_dir}")
    return Check("File system", True, f"writable, {usage.free / 2**30:.1f} GiB free")


async def _check_databases(bot: ZoryxBot) -> list[Check]:
    results = await bot.storage.integrity_check()
    bad = [r for r in results if not r.ok]
    if not bad:
        return [Check("Databases", True, f"{len(results)} checked, all sound")]
    return [Check("Databases", False, f"{len(bad)} of {len(results)} failed")] + [
        Check(f"Database {_short(bot, Path(r.path))}", False, r.detail[:300]) for r in bad[:10]
    ]


async def _check_caches(bot: ZoryxBot) -> Check:
    probe = bot.data_dir / ".cache-probe.json"
    try:
        await bot.storage.json.write(probe, {"n": 1})
        first = await bot.storage.json.read(probe)
        await bot.storage.json.write(probe, {"n": 2})
        second = await bot.storage.json.read(probe)
        await bot.storage.json.delete(probe)
    except Exception as error:
        return Check("Caches", False, f"{type(error).__name__}: {error}")
    if first != {"n": 1} or second != {"n": 2}:
        return Check("Caches", False, "the JSON cache served a stale value after a write")
    stats = bot.storage.json.stats()
    return Check(
        "Caches",
        True,
        f"JSON cache {plural(int(stats.get('cache_entries', 0)), 'entry')}, invalidation works",
    )


async def _check_plugins(bot: ZoryxBot) -> Check:
    failed = [o for o in bot.plugins.outcomes.values() if o.status is PluginStatus.FAILED]
    unhealthy = [h for h in await bot.plugins.health_checks() if h.status != "healthy"]
    problems = [f"{o.name}: {o.reason}" for o in failed] + [
        f"{h.plugin or h.name}: {h.status} {h.detail}" for h in unhealthy
    ]
    if problems:
        return Check("Plugins", False, "; ".join(problems)[:900])
    return Check("Plugins", True, f"{len(bot.plugins.loaded)} loaded, none failed or unhealthy")


def _check_shards(bot: ZoryxBot) -> Check:
    down = [sid for sid, shard in bot.shards.items() if shard.is_closed() or math.isinf(shard.latency)]
    if down:
        return Check("Shards", False, f"shard(s) {', '.join(map(str, sorted(down)))} not connected")
    return Check("Shards", True, f"{len(bot.shards)} connected")


async def _check_memory() -> Check:
    def measure() -> tuple[float, float]:
        import psutil  # only this check needs it: not imported at start-up

        return psutil.Process(os.getpid()).memory_info().rss, psutil.virtual_memory().percent

    rss, percent = await asyncio.to_thread(measure)
    detail = f"bot {rss / 2**20:.0f} MiB, machine {percent:.0f}% used"
    return Check("Memory", percent < MAX_MEMORY_PERCENT, detail)


def _short(bot: ZoryxBot, path: Path) -> str:
    try:
        return str(path.relative_to(bot.data_dir))
    except ValueError:
        return str(path)


async def atomic_selftest(bot: ZoryxBot) -> dict[str, Any]:
    """Write/read/cache timings and 10 concurrent writes, verified; leaves no files behind."""
    folder = bot.data_dir / "atomictest"
    files = bot.storage.json
    document = {"items": list(range(1000)), "at": time.time()}
    main = folder / "main.json"
    started = time.perf_counter()
    await files.write(main, document)
    write_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    disk = await files.read(main, use_cache=False)
    read_ms = (time.perf_counter() - started) * 1000
    await files.read(main)
    started = time.perf_counter()
    cached = await files.read(main)
    cached_ms = (time.perf_counter() - started) * 1000
    counter = folder / "counter.json"
    await files.write(counter, {"writers": []})

    async def writer(n: int) -> None:
        await files.update(counter, lambda doc: {"writers": [*doc["writers"], n]}, default={"writers": []})

    targets = [folder / f"concurrent-{n}.json" for n in range(10)]
    await asyncio.gather(
        *(writer(n) for n in range(10)), *(files.write(t, {"n": i}) for i, t in enumerate(targets))
    )
    final = await files.read(counter, use_cache=False)
    singles = [await files.read(t, use_cache=False) for t in targets]
    for path in [main, counter, *targets]:
        await files.delete(path)
    await asyncio.to_thread(shutil.rmtree, folder, True)
    return {
        "write_ms": write_ms,
        "read_ms": read_ms,
        "cached_read_ms": cached_ms,
        "round_trip_ok": disk == document and cached == document,
        "concurrent_updates_ok": sorted(final["writers"]) == list(range(10)),
        "concurrent_writes_ok": singles == [{"n": i} for i in range(10)],
    }


class DevToolsCog(commands.Cog, name="Developer tools"):
    """Owner tools for looking inside the bot."""

    def __init__(self, bot: ZoryxBot) -> None:
        self.bot = bot

    @hybrid_command(name="cachestats")
    async def cachestats(self, ctx: commands.Context[ZoryxBot]) -> None:
        """Read caches, file locks, prefix cache and connection counts."""
        bot = self.bot
        json_stats = bot.storage.json.stats()
        embed = info_embed("Cache statistics")
        embed.add_field(name="JSON file cache", value=_pairs(json_stats), inline=False)
        embed.add_field(name="Server settings cache", value=_pairs(bot.guild_configs.stats()))
        embed.add_field(name="Database pool", value=_pairs(bot.storage.pool.stats()))
        embed.add_field(name="Commands tracked", value=str(len(bot.metrics.per_command)))
        await ctx.send(embed=embed)

    @hybrid_command(name="dbstats")
    async def dbstats(
        self, ctx: commands.Context[ZoryxBot], action: Literal["show", "backup"] = "show"
    ) -> None:
        """Database figures; `dbstats backup` makes an online backup now."""
        bot = self.bot
        if action == "backup":
            if ctx.interaction is not None:
                await ctx.defer()
            try:
                folder = await bot.storage.backup()
            except BackupsUnavailable as unavailable:
                await ctx.send(embed=error_embed("No backup made", str(unavailable)))
                return
            await ctx.send(embed=success_embed("Backup made", f"`{_short(bot, folder)}`"))
            return
        stats = await asyncio.to_thread(bot.storage.stats)
        embed = info_embed("Database statistics")
        for key, value in stats.items():
            shown = _pairs(value) if isinstance(value, dict) else str(value)
            embed.add_field(name=str(key).replace("_", " "), value=shown[:1024] or "-")
        await ctx.send(embed=embed)

    @hybrid_command(name="integritycheck")
    async def integritycheck(self, ctx: commands.Context[ZoryxBot]) -> None:
        """Check the file system, every database, caches, plugins, shards and memory."""
        if ctx.interaction is not None:
            await ctx.defer()
        checks = await integrity_checks(self.bot)
        failed = [c for c in checks if not c.ok]
        make = error_embed if failed else success_embed
        title = f"Integrity check: {len(failed)} problem(s)" if failed else "Integrity check passed"
        embed = make(title)
        for check in checks[:25]:
            embed.add_field(
                name=f"{'✅' if check.ok else '❌'} {check.name}", value=check.detail or "-", inline=False
            )
        await ctx.send(embed=embed)

    @hybrid_command(name="cleanup")
    async def cleanup(self, ctx: commands.Context[ZoryxBot]) -> None:
        """Expire caches, close idle connections, delete data of servers left long ago."""
        report = await self.bot.maintenance.run_once()
        await ctx.send(embed=success_embed("Cleanup done", "\n".join(report.lines())))

    @hybrid_command(name="atomictest")
    async def atomictest(self, ctx: commands.Context[ZoryxBot]) -> None:
        """Time atomic JSON writes and reads, and verify 10 concurrent writes."""
        if ctx.interaction is not None:
            await ctx.defer()
        result = await atomic_selftest(self.bot)
        ok = result["round_trip_ok"] and result["concurrent_updates_ok"] and result["concurrent_writes_ok"]
        embed = (success_embed if ok else error_embed)("Atomic file test " + ("passed" if ok else "FAILED"))
        embed.add_field(name="Write", value=f"{result['write_ms']:.2f} ms")
        embed.add_field(name="Read (disk)", value=f"{result['read_ms']:.2f} ms")
        embed.add_field(name="Read (cache)", value=f"{result['cached_read_ms']:.3f} ms")
        embed.add_field(name="Round trip", value="✅" if result["round_trip_ok"] else "❌")
        embed.add_field(name="10 concurrent updates", value="✅" if result["concurrent_updates_ok"] else "❌")
        embed.add_field(name="10 concurrent writes", value="✅" if result["concurrent_writes_ok"] else "❌")
        await ctx.send(embed=embed)


def _pairs(values: dict[str, Any]) -> str:
    def show(value: Any) -> str:
        return f"{value:.3g}" if isinstance(value, float) else str(value)

    return "\n".join(f"{key.replace('_', ' ')}: {show(value)}" for key, value in values.items()) or "-"


@hookimpl
async def zoryx_setup(bot: ZoryxBot, plugin: PluginContext) -> None:
    await bot.add_cog(DevToolsCog(bot))
