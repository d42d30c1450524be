"""A two-shard bot with zoryx-shard-monitor, a server on each shard, its owner and a member."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from zoryx_shard_monitor import ShardMonitor, shard_monitor

from zoryx_core import ZoryxBot
from zoryx_core.testing import Channel, DiscordEmulator, Guild, User, start_bot, stop_bot
from zoryx_core.testing.zoryx_bots import make_zoryx_bot

SHARDS = 2


@dataclass
class World:
    emu: DiscordEmulator
    guilds: dict[int, Guild]
    """A server per shard id."""
    channels: dict[int, Channel]
    """Its #general, per shard id."""
    alerts: Channel
    """#alerts in the shard 0 server."""
    boss: User
    """The bot's owner."""
    plain: User


@pytest.fixture
def world(discord_emulator: DiscordEmulator) -> World:
    emu = discord_emulator
    emu.gateway.heartbeat_interval_ms = 400  # latency figures within a second
    boss = emu.create_user("boss")
    plain = emu.create_user("plain")
    guilds: dict[int, Guild] = {}
    index = 0
    while len(guilds) < SHARDS:  # snowflakes decide the shard: make servers until each has one
        guild = emu.create_guild(f"Server {index}", owner=boss, members=[plain])
        guilds.setdefault((guild.id >> 22) % SHARDS, guild)
        index += 1
    channels = {shard: emu.channel_named(guild, "general") for shard, guild in guilds.items()}
    alerts = emu.create_channel(guilds[0], "alerts")
    return World(emu, guilds, channels, alerts, boss, plain)


Starter = Callable[..., Awaitable[tuple[ZoryxBot, ShardMonitor]]]


@pytest_asyncio.fixture
async def start(world: World, tmp_path: Path) -> AsyncIterator[Starter]:
    """``await start(home=None, **settings)``: the two-shard bot and its monitor (the same home
    twice is a restart); every bot is stopped at the end."""
    started: list[ZoryxBot] = []

    async def run(home: Path | None = None, **settings: Any) -> tuple[ZoryxBot, ShardMonitor]:
        config = {
            "cooldowns.default_rate": 0,
            "errors.delete_after": 0,
            **{f"plugin_settings.zoryx-shard-monitor.{k}": v for k, v in settings.items()},
        }
        bot = make_zoryx_bot(
            home or tmp_path / "bot",
            plugins=["zoryx-shard-monitor"],
            config=config,
            owner_id=world.boss.id,
            shard_count=SHARDS,
        )
        await start_bot(world.emu, bot)
        started.append(bot)
        return bot, shard_monitor(bot)

    try:
        yield run
    finally:
        for bot in reversed(started):
            await stop_bot(bot)


async def until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def measured(bot: ZoryxBot, shard_id: int, at_least_ms: float = 0.0) -> None:
    """Wait until discord.py has a latency for the shard (of at least ``at_least_ms``)."""
    def ready() -> bool:
        shard = bot.get_shard(shard_id)
        return shard is not None and shard.latency != float("inf") and shard.latency * 1000 >= at_least_ms

    await until(ready, f"a latency of shard {shard_id}")
