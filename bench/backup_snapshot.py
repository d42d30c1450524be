"""zoryx-backup on a large server: snapshot time and event-loop stalls; REST calls of a restore.

One process runs the Discord emulator and a ZoryxBot with the zoryx-backup plugin (the members
intent on, so discord.py holds every member). The emulator's server has ``--channels`` channels
(one category per 10, every channel with two permission overwrites), ``--roles`` roles and
``--members`` members holding two roles each, plus a few emojis and stickers.

Snapshot (``BackupService.create``: cache walk, image downloads, serialisation, SHA-256 and an
atomic file write, index row): wall time, snapshot size, and the **longest event-loop stall**
while it runs, measured by a ticker task that sleeps 1 ms in a loop and records how late it wakes
up. The goal is a longest stall <= 50 ms. The ticker's own idle figure is printed first for
reference. The emulator sits idle during the snapshot (it only serves the few image downloads).

Restore: ``--restore-channels`` (100) text channels, each with overwrites, are deleted from the
server as an admin would, then restored (categories and channels only). The emulator counts every
request the bot made; the minimum is one ``POST /guilds/{id}/channels`` per missing channel (the
overwrites and position go in the create body) plus at most one bulk position update. Last, the
dry run of a full restore (every component, the 50,000 members included) with its longest stall.

    python bench/backup_snapshot.py                      # 500 channels, 250 roles, 50,000 members
    python bench/backup_snapshot.py --members 5000 --repeat 1
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from zoryx_backup import RestoreOptions, backup_service

from zoryx_core.discord_redirect import point_discord_at, restore_discord_defaults
from zoryx_core.testing import ChannelType, DiscordEmulator, P
from zoryx_core.testing.bots import start_bot, stop_bot
from zoryx_core.testing.models import Member
from zoryx_core.testing.zoryx_bots import make_zoryx_bot


class StallMeter:
    """A task that wakes every ``tick`` seconds and records how late each wake-up is."""

    def __init__(self, tick: float = 0.001) -> None:
        self.tick = tick
        self.worst = 0.0
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(self.tick)
            late = loop.time() - before - self.tick
            self.samples.append(late)
            self.worst = max(self.worst, late)

    @contextlib.asynccontextmanager
    async def measuring(self) -> AsyncIterator[StallMeter]:
        self.worst, self.samples = 0.0, []
        self._task = asyncio.create_task(self._run())
        await asyncio.sleep(0)
        try:
            yield self
        finally:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def p99(self) -> float:
        if len(self.samples) < 2:
            return self.worst
        return statistics.quantiles(self.samples, n=100, method="inclusive")[98]


def build_server(emu: DiscordEmulator, channels: int, roles: int, members: int) -> tuple[Any, Any]:
    owner = emu.create_user("bench-owner")
    guild = emu.create_guild("Backup bench", owner=owner)
    role_models = [
        emu.create_role(
            guild, f"role-{i:03d}", permissions=P.SEND_MESSAGES if i % 2 else P.VIEW_CHANNEL, color=i
        )
        for i in range(roles - 2)  # with @everyone and the bot's role
    ]
    categories = [
        emu.create_channel(guild, f"category-{i}", type=ChannelType.GUILD_CATEGORY, position=i)
        for i in range(channels // 10)
    ]
    for index in range(channels - len(categories) - 1):  # #general exists
        kind = ChannelType.GUILD_VOICE if index % 5 == 4 else ChannelType.GUILD_TEXT
        options = {"topic": f"topic {index}"} if kind == ChannelType.GUILD_TEXT else {"bitrate": 64000}
        parent = categories[index % len(categories)]
        channel = emu.create_channel(
            guild, f"channel-{index:03d}", type=kind, parent=parent, position=index, **options
        )
        emu.set_overwrite(channel, role_models[index % len(role_models)], allow=P.SEND_MESSAGES)
        emu.set_overwrite(channel, role_models[(index * 7) % len(role_models)], deny=P.ADD_REACTIONS)
    for index in range(8):
        emu.create_emoji(guild, f"emoji_{index}", animated=index == 0)
    for index in range(3):
        emu.create_sticker(guild, f"sticker-{index}")
    for index in range(members):  # straight into the state: no events before the bot connects
        user = emu.create_user(f"member-{index:05d}")
        held = [role_models[index % len(role_models)].id, role_models[(index * 31) % len(role_models)].id]
        guild.members[user.id] = Member(user_id=user.id, guild_id=guild.id, roles=held)
    return guild, owner


async def settle(condition: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the bot's cache did not catch up")
        await asyncio.sleep(0.05)


async def run(args: argparse.Namespace) -> int:
    """Runs the benchmark with the bot's folder in a temporary directory, removed afterwards
    whatever happens (the snapshots in it are tens of megabytes)."""
    with tempfile.TemporaryDirectory(prefix="zoryx-backup-bench-") as folder:
        emu = DiscordEmulator()
        await emu.start()
        try:
            point_discord_at(emu.api_url, emu.gateway_url)
            return await measure(args, emu, Path(folder))
        finally:
            await emu.stop()
            restore_discord_defaults()


async def measure(args: argparse.Namespace, emu: DiscordEmulator, home: Path) -> int:
    build_start = time.perf_counter()
    guild_model, owner = build_server(emu, args.channels, args.roles, args.members)
    print(
        f"server: {len(emu.state.guild_channels(guild_model))} channels, {len(guild_model.roles)} roles, "
        f"{len(guild_model.members):,} members (built in {time.perf_counter() - build_start:.1f} s)"
    )
    config = {
        "plugin_settings.zoryx-backup.max_backups": 100,
        "startup.guild_ready_timeout": 0.5,
        "logging.level": "WARNING",
    }
    bot = make_zoryx_bot(home, plugins=["zoryx-backup"], config=config)
    try:
        started = time.perf_counter()
        await start_bot(emu, bot, timeout=600)
        guild = bot.get_guild(guild_model.id)
        assert guild is not None
        await settle(lambda: guild.chunked)
        print(
            f"bot ready with {len(guild.members):,} members cached in {time.perf_counter() - started:.1f} s"
        )
        service = backup_service(bot)
        meter = StallMeter()
        async with meter.measuring():
            await asyncio.sleep(2.0)
        print(f"idle ticker: longest stall {meter.worst * 1000:.1f} ms, p99 {meter.p99() * 1000:.2f} ms")

        print("\nsnapshot (BackupService.create):")
        times, stalls = [], []
        for round_ in range(args.repeat):
            async with meter.measuring():
                t0 = time.perf_counter()
                record = await service.create(guild, f"bench {round_}", author_id=owner.id)
                elapsed = time.perf_counter() - t0
            times.append(elapsed)
            stalls.append(meter.worst)
            print(
                f"  round {round_ + 1}: {elapsed:.2f} s, {record.size_bytes / 1e6:.1f} MB, "
                f"longest stall {meter.worst * 1000:.1f} ms (p99 {meter.p99() * 1000:.2f} ms, "
                f"{len(meter.samples)} ticks); {record.counts.members:,} members, {record.counts.channels} "
                f"channels, {record.counts.roles} roles"
            )
        goal = "met" if max(stalls) <= 0.050 else "NOT met"
        print(
            f"  median {statistics.median(times):.2f} s; longest stall over all rounds "
            f"{max(stalls) * 1000:.1f} ms (goal <= 50 ms: {goal})"
        )

        print(f"\nrestore of {args.restore_channels} deleted channels:")
        snapshot_record = await service.create(guild, "before the deletion", author_id=owner.id)
        victims = [
            c
            for c in emu.state.guild_channels(guild_model)
            if c.type == ChannelType.GUILD_TEXT and c.overwrites
        ][: args.restore_channels]
        for channel in victims:
            emu.delete_channel(channel)
        expected = len(emu.state.guild_channels(guild_model))
        await settle(lambda: len(guild.channels) == expected)
        first_request = len(emu.requests)
        async with meter.measuring():
            t0 = time.perf_counter()
            report = await service.restore(
                guild, snapshot_record.id, RestoreOptions.of(["categories", "channels"]), user_id=owner.id
            )
            elapsed = time.perf_counter() - t0
        made = emu.requests[first_request:]
        by_route = Counter(r.route for r in made)
        created = sum(1 for i in report.items if i.outcome == "created")
        minimum = len(victims)
        print(f"  {elapsed:.2f} s, {created} channels created, {len(report.failed)} failed")
        print(f"  REST calls made: {len(made)} (minimum {minimum} creates + at most 1 position update)")
        for route, count in by_route.most_common():
            print(f"    {count:5d}  {route}")
        print(f"  longest event-loop stall during the restore: {meter.worst * 1000:.1f} ms")

        async with meter.measuring():
            t0 = time.perf_counter()
            plan = await service.preview(guild, snapshot_record.id)
            elapsed = time.perf_counter() - t0
        print(
            f"\npreview of a full restore (every component, {len(plan.items):,} items): {elapsed:.2f} s, "
            f"longest event-loop stall {meter.worst * 1000:.1f} ms"
        )
    finally:
        await stop_bot(bot)
    print(f"\ncommand: {' '.join([Path(sys.executable).name, *sys.argv])}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--channels", type=int, default=500, help="channels, categories included (500)")
    parser.add_argument(
        "--roles", type=int, default=250, help="roles, @everyone and the bot's included (250)"
    )
    parser.add_argument("--members", type=int, default=50_000, help="members (50,000)")
    parser.add_argument("--repeat", type=int, default=3, help="snapshots measured (3)")
    parser.add_argument(
        "--restore-channels", type=int, default=100, help="channels deleted and restored (100)"
    )
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
