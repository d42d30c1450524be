"""Running a discord.py bot against the emulator inside a test."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, TypeVar

import discord

from ..discord_redirect import skip_identify_delay

if TYPE_CHECKING:
    from .server import DiscordEmulator

__all__ = ["running_bot", "start_bot", "stop_bot"]

ClientT = TypeVar("ClientT", bound=discord.Client)


async def start_bot(emulator: DiscordEmulator, bot: ClientT, *, timeout: float = 15.0) -> ClientT:
    """Starts ``bot`` with the emulator's token and returns once it is ready (every shard); a
    ZoryxBot once its ``zoryx_bot_ready`` hooks have run too (``wait_until_settled``)."""
    skip_identify_delay(bot)
    task = asyncio.create_task(bot.start(emulator.token), name=f"bot:{bot.__class__.__name__}")
    bot.__dict__["_zoryx_task"] = task
    settled = getattr(bot, "wait_until_settled", None)
    ready = asyncio.create_task(settled() if callable(settled) else bot.wait_until_ready())
    done, _ = await asyncio.wait({task, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    if ready not in done:
        ready.cancel()
        if task in done:
            task.result()  # re-raises why the bot stopped
        await stop_bot(bot)
        raise TimeoutError(f"the bot was not ready within {timeout}s")
    return bot


async def stop_bot(bot: discord.Client) -> None:
    """Closes the bot and waits for its task to end."""
    await bot.close()
    task: asyncio.Task[None] | None = bot.__dict__.pop("_zoryx_task", None)
    if task is not None:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(task, 5)


@contextlib.asynccontextmanager
async def running_bot(
    emulator: DiscordEmulator, bot: ClientT, *, timeout: float = 15.0
) -> AsyncIterator[ClientT]:
    """``async with running_bot(emulator, bot):`` the bot is ready inside and closed after."""
    await start_bot(emulator, bot, timeout=timeout)
    try:
        yield bot
    finally:
        await stop_bot(bot)
