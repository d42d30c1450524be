"""pytest fixtures for end-to-end tests on the emulator, registered through the ``pytest11`` entry point.

Any project that installs ``zoryx-core[testing]`` gets:

- ``discord_emulator``: a started :class:`DiscordEmulator` with discord.py pointed at it;
- ``bot_runner``: ``await bot_runner(bot)`` starts a bot on the emulator, waits until it is
  ready, and closes it when the test ends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

__all__ = ["bot_runner", "discord_emulator"]

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - only without the testing extra

    @pytest.fixture
    def discord_emulator() -> Any:
        pytest.fail("the discord_emulator fixture needs pytest-asyncio: pip install 'zoryx-core[testing]'")

    @pytest.fixture
    def bot_runner() -> Any:
        pytest.fail("the bot_runner fixture needs pytest-asyncio: pip install 'zoryx-core[testing]'")

else:
    from ..discord_redirect import point_discord_at, restore_discord_defaults
    from .bots import start_bot, stop_bot
    from .server import DiscordEmulator

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
