"""A bot stopped right after READY, while its ``zoryx_bot_ready`` hooks still run: the hooks finish
(within the hook timeout) before the plugins and the storage go away, or are cancelled past it;
nothing fails with "storage is not open". Real bot, the emulator over sockets, plugins shaped like
third-party single-file extensions."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from zoryx_core import ZoryxBot
from zoryx_core.storage import Storage, StorageOptions
from zoryx_core.testing import DiscordEmulator
from zoryx_core.testing.bots import skip_identify_delay
from zoryx_core.testing.zoryx_bots import make_zoryx_bot

SLOW_READY_EXTENSION = """
import asyncio

from zoryx_core import hookimpl

PAUSE = {pause}


@hookimpl
async def zoryx_bot_ready(bot):
    await asyncio.sleep(PAUSE)  # READY work that takes a while: a first sync, a cache warm-up
    await bot.storage.set("slow_ready", "finished", True)


async def setup(bot):
    pass
"""


def _bot(home: Path, pause: float, hook_timeout: float) -> ZoryxBot:
    (home / "extensions").mkdir(parents=True, exist_ok=True)
    (home / "extensions" / "slow_ready.py").write_text(SLOW_READY_EXTENSION.format(pause=pause))
    return make_zoryx_bot(home, config={"plugins.hook_timeout": hook_timeout})


async def _stop_at_ready(emu: DiscordEmulator, bot: ZoryxBot) -> None:
    skip_identify_delay(bot)
    task = asyncio.create_task(bot.start(emu.token))
    await asyncio.wait_for(bot.wait_until_ready(), 15)
    await bot.close()  # READY's hooks have only just started
    await asyncio.wait_for(task, 15)


async def _stored(data_dir: Path) -> object:
    store = Storage(data_dir, StorageOptions(backup_on_shutdown=False))
    await store.open()
    try:
        return await store.get("slow_ready", "finished")
    finally:
        await store.close()


async def test_readys_hooks_finish_before_the_storage_closes(
    discord_emulator: DiscordEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    discord_emulator.create_guild("Quick", members=[discord_emulator.create_user("owner")])
    bot = _bot(tmp_path, pause=0.3, hook_timeout=10)
    with caplog.at_level(logging.WARNING, logger="zoryx"):
        await _stop_at_ready(discord_emulator, bot)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    assert await _stored(bot.storage.data_dir) is True


async def test_readys_hooks_past_the_hook_timeout_are_cancelled_at_stop(
    discord_emulator: DiscordEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    discord_emulator.create_guild("Quick", members=[discord_emulator.create_user("owner")])
    bot = _bot(tmp_path, pause=30, hook_timeout=0.3)
    with caplog.at_level(logging.WARNING, logger="zoryx"):
        await asyncio.wait_for(_stop_at_ready(discord_emulator, bot), 10)
    assert "READY's hooks had not finished when the bot stopped; cancelled" in caplog.text
    assert "storage is not open" not in caplog.text
    assert await _stored(bot.storage.data_dir) is None
