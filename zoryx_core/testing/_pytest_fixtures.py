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


def strict_routes_wanted(request: pytest.FixtureRequest) -> bool:
    """The ``emulator_strict_routes`` marker, else ``--emulator-strict-routes`` or the ini option."""
    marker = request.node.get_closest_marker("emulator_strict_routes")
    if marker is not None:
        return bool(marker.args[0]) if marker.args else True
    config = request.config
    return bool(config.getoption("emulator_strict_routes", False) or config.getini("emulator_strict_routes"))


@pytest_asyncio.fixture
async def discord_emulator(request: pytest.FixtureRequest) -> AsyncIterator[DiscordEmulator]:
    """A running emulator on a free loopback port; discord.py talks to it for the test's duration.

    With the ``emulator_strict_routes`` marker (or ``--emulator-strict-routes``), the test fails when
    the bot called any route the emulator does not serve, naming those routes.
    """
    emulator = DiscordEmulator()
    await emulator.start()
    point_discord_at(emulator.api_url, emulator.gateway_url)
    try:
        yield emulator
    finally:
        await emulator.stop()
        restore_discord_defaults()
    if emulator.not_emulated and strict_routes_wanted(request):
        routes = ", ".join(dict.fromkeys(emulator.not_emulated))
        pytest.fail(f"the bot called routes the Discord emulator does not serve: {routes}", pytrace=False)


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
