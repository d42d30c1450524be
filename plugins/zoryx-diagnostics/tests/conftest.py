"""Shared set-up for the zoryx-diagnostics tests: a guild with an owner, a member and an alerts
channel; test extensions written into a temporary folder; a bot started with them; polling."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from zoryx_core import ZoryxBot
from zoryx_core.testing import Channel, DiscordEmulator, Guild, User

BotFactory = Callable[..., Awaitable[ZoryxBot]]

WORKLOAD_EXTENSION = """
import time

from discord.ext import commands


class Workload(commands.Cog):
    @commands.command()
    async def ok(self, ctx):
        await ctx.send("ok")

    @commands.command()
    async def boom(self, ctx):
        raise RuntimeError("boom on purpose")

    @commands.command()
    async def block(self, ctx):
        time.sleep(0.4)  # holds the event loop, as a careless plugin would
        await ctx.send("blocked")

    @commands.command()
    async def longblock(self, ctx):
        time.sleep(1.5)  # long enough for the core's loop watchdog
        await ctx.send("blocked long")


async def setup(bot):
    await bot.add_cog(Workload())
"""

SICKLY_EXTENSION = """
from zoryx_core import HealthResult, hookimpl


@hookimpl
def zoryx_health_check(bot):
    return HealthResult("cache warmer", "unhealthy", "upstream unreachable")


async def setup(bot):
    pass
"""

EXTENSIONS = {"workload": WORKLOAD_EXTENSION, "sickly": SICKLY_EXTENSION}
"""Test extensions by name: ``workload`` (``!ok``, ``!boom``, ``!block``, ``!longblock``) and ``sickly`` (an
unhealthy health check)."""

BASE_CONFIG: dict[str, Any] = {"cooldowns.default_rate": 0, "errors.delete_after": 0}


def plugin_config(**values: Any) -> dict[str, Any]:
    """Dotted config keys for zoryx-diagnostics settings."""
    return {f"plugin_settings.zoryx-diagnostics.{key}": value for key, value in values.items()}


@dataclass
class World:
    emu: DiscordEmulator
    guild: Guild
    general: Channel
    alerts: Channel
    boss: User
    """A bot owner."""
    plain: User
    """A member with no special rights."""


@pytest.fixture
def world(discord_emulator: DiscordEmulator) -> World:
    emu = discord_emulator
    boss, plain = emu.create_user("boss"), emu.create_user("plain")
    guild = emu.create_guild("Diagnostics", members=[boss, plain])
    alerts = emu.create_channel(guild, "alerts")
    return World(emu, guild, emu.channel_named(guild, "general"), alerts, boss, plain)


Starter = Callable[..., Awaitable[ZoryxBot]]


@pytest.fixture
def start_bot(zoryx_bot: BotFactory, world: World, tmp_path: Path) -> Starter:
    """``await start_bot(extensions=["workload"], settings={...})``: a running ZoryxBot with
    zoryx-diagnostics, those test extensions, the world's boss as owner and no default cooldown
    (``core``: more core settings by dotted key)."""

    async def start(
        *,
        extensions: Sequence[str] = (),
        settings: Mapping[str, Any] | None = None,
        core: Mapping[str, Any] | None = None,
    ) -> ZoryxBot:
        folder = tmp_path / "extensions"
        folder.mkdir(exist_ok=True)
        for name in extensions:
            (folder / f"{name}.py").write_text(EXTENSIONS[name], encoding="utf-8")
        config = {**BASE_CONFIG, **dict(core or {}), **plugin_config(**dict(settings or {}))}
        return await zoryx_bot(
            plugins=["zoryx-diagnostics", *extensions],
            extensions_dir=folder,
            owner_id=world.boss.id,
            config=config,
        )

    return start


Poll = Callable[..., Awaitable[None]]


async def _poll(predicate: Callable[[], bool], *, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


@pytest.fixture
def poll() -> Poll:
    """``await poll(predicate, what="...")``: wait until ``predicate()`` holds (checked every 20 ms),
    failing with ``what`` after ``timeout`` seconds (default 10)."""
    return _poll
