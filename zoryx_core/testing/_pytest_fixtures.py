"""The emulator fixtures themselves; :mod:`.pytest_plugin` exposes them when pytest-asyncio is present."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio

from ..bot import ZoryxBot
from ..discord_redirect import point_discord_at, restore_discord_defaults
from .bots import start_bot, stop_bot
from .server import DiscordEmulator
from .zoryx_bots import make_zoryx_bot

__all__ = ["bot_runner", "discord_emulator", "zoryx_bot"]


@pytest_asyncio.fixture
async def discord_emulator() -> AsyncIterator[DiscordEmulator]:
    """A running emulator on a free loopback port; discord.py talks to it for the test's duration."""
    emulator = DiscordEmulator()
    await emulator.start()
    point_discord_at(emulator.api_url, emulator.gateway_url)
    try:
        yield emulator
    finally:
        await emulator.stop()
        restore_discord_defaults()


@pytest_asyncio.fixture
async def bot_runner(discord_emulator: DiscordEmulator) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """``await bot_runner(bot, timeout=15)``: the bot, ready; closed at the end of the test."""
    started: list[Any] = []

    async def run(bot: Any, *, timeout: float = 15.0) -> Any:
        await start_bot(discord_emulator, bot, timeout=timeout)
        started.append(bot)
        return bot

    try:
        yield run
    finally:
        for bot in reversed(started):
            await stop_bot(bot)


@pytest_asyncio.fixture
async def zoryx_bot(
    discord_emulator: DiscordEmulator, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Callable[..., Awaitable[ZoryxBot]]]:
    """``await zoryx_bot(plugins=["zoryx-hello"], config={...})``: a started ZoryxBot in its own
    folder (see :func:`make_zoryx_bot` for the options); closed at the end of the test."""
    started: list[ZoryxBot] = []

    async def run(*, timeout: float = 15.0, **options: Any) -> ZoryxBot:
        bot = make_zoryx_bot(tmp_path_factory.mktemp("zoryx-bot"), **options)
        await start_bot(discord_emulator, bot, timeout=timeout)
        started.append(bot)
        return bot

    try:
        yield run
    finally:
        for bot in reversed(started):
            await stop_bot(bot)
