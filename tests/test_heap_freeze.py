"""``performance.freeze_heap``: the heap alive once plugins are loaded and at READY is frozen
(gc.freeze), cyclic garbage of an unloaded plugin is still collected, the heap is given back when
the bot closes, and the setting turns it all off. Real bot, the emulator over sockets."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from zoryx_core import ZoryxBot
from zoryx_core.heap import HeapFreezer
from zoryx_core.testing import DiscordEmulator
from zoryx_core.testing.zoryx_bots import make_zoryx_bot

Runner = Callable[..., Awaitable[Any]]

CYCLIC_EXTENSION = '''
import weakref

from discord.ext import commands


class Node:
    """Two of these point at each other: only the cyclic collector can free them."""


FIRST = Node()
FIRST.other = Node()
FIRST.other.other = FIRST
WATCH = weakref.ref(FIRST.other)


class Cyclic(commands.Cog):
    @commands.command()
    async def cyclic(self, ctx):
        await ctx.send("alive")


async def setup(bot):
    await bot.add_cog(Cyclic())
'''


READY_WORK_EXTENSION = """
from zoryx_core import hookimpl

MADE = []


@hookimpl
async def zoryx_bot_ready(bot):
    # what a plugin's READY work leaves behind: a deferred import, its first readings
    MADE.append({"readings": [1.5, 2.5], "labels": {"cpu": "%"}})


async def setup(bot):
    pass
"""


@pytest.fixture(autouse=True)
def _thawed() -> Any:
    yield
    gc.unfreeze()  # whatever a test left frozen goes back to the collector


def _bot(home: Path, owner_id: int, freeze: bool) -> ZoryxBot:
    (home / "extensions").mkdir(parents=True, exist_ok=True)
    (home / "extensions" / "cyclic.py").write_text(CYCLIC_EXTENSION)
    return make_zoryx_bot(home, owner_id=owner_id, config={"performance.freeze_heap": freeze})


async def test_the_heap_is_frozen_at_ready_and_an_unloaded_plugins_cycles_are_collected(
    discord_emulator: DiscordEmulator, bot_runner: Runner, tmp_path: Path
) -> None:
    emu = discord_emulator
    owner = emu.create_user("owner")
    guild = emu.create_guild("Heap", members=[owner])
    channel = emu.channel_named(guild, "general")
    gc.unfreeze()
    bot = _bot(tmp_path, owner.id, True)
    await bot_runner(bot)
    assert bot.heap.figures().freezes >= 1
    assert gc.get_freeze_count() > 10_000  # discord.py, the plugins and the caches
    assert (await emu.converse(channel, owner, "!cyclic")).content == "alive"

    module = bot.plugins.context("cyclic").module
    assert module is not None
    watch = module.WATCH
    del module  # the test must not keep the plugin alive
    assert watch() is not None
    await asyncio.sleep(0.2)  # the command's task has finished
    assert gc.get_freeze_count() > 10_000
    await bot.plugins.unload("cyclic")
    assert watch() is None, "a frozen cycle of an unloaded plugin was never collected"
    assert gc.get_freeze_count() > 10_000  # frozen again after the collection

    await bot.close()
    assert gc.get_freeze_count() == 0


async def test_the_heap_is_frozen_once_plugins_are_loaded_before_the_bot_connects(
    discord_emulator: DiscordEmulator, tmp_path: Path
) -> None:
    """The caches READY brings (a large server's members) are then collected without walking the
    modules and objects of every plugin each time."""
    owner = discord_emulator.create_user("owner")
    gc.unfreeze()
    bot = _bot(tmp_path, owner.id, True)
    async with bot:
        await bot.login(discord_emulator.token)  # setup_hook: plugins loaded, not connected
        assert not bot.is_ready()
        assert bot.heap.figures().freezes == 1
        assert gc.get_freeze_count() > 10_000
    assert gc.get_freeze_count() == 0


async def test_what_readys_hooks_made_is_frozen_once_they_have_run(
    discord_emulator: DiscordEmulator, bot_runner: Runner, tmp_path: Path
) -> None:
    """Objects a plugin makes in ``zoryx_bot_ready`` (zoryx-diagnostics imports psutil there)
    are frozen too: left in the collected generations they cost every later message ~3 %."""
    owner = discord_emulator.create_user("owner")
    discord_emulator.create_guild("Heap", members=[owner])
    gc.unfreeze()
    bot = _bot(tmp_path, owner.id, True)
    (tmp_path / "extensions" / "ready_work.py").write_text(READY_WORK_EXTENSION)
    await bot_runner(bot)
    await bot.wait_until_settled()
    module = bot.plugins.context("ready_work").module
    assert module is not None and module.MADE, "the READY hook ran"
    made = module.MADE[0]
    del module
    young = {id(obj) for obj in gc.get_objects()}  # every generation but the permanent one
    assert id(made) not in young and id(made["readings"]) not in young and id(made["labels"]) not in young
    assert bot.heap.figures().freezes >= 3  # plugins loaded, READY, READY's hooks


async def test_the_setting_turns_freezing_off(
    discord_emulator: DiscordEmulator, bot_runner: Runner, tmp_path: Path
) -> None:
    emu = discord_emulator
    owner = emu.create_user("owner")
    emu.create_guild("Heap", members=[owner])
    gc.unfreeze()
    bot = _bot(tmp_path, owner.id, False)
    await bot_runner(bot)
    assert gc.get_freeze_count() == 0 and bot.heap.figures().freezes == 0
    report = await bot.maintenance.run_once()
    assert report.heap_reclaimed == 0 and gc.get_freeze_count() == 0


def test_the_freeze_at_ready_collects_only_the_young_generations() -> None:
    """READY's freeze makes no full collection (its pause would grow with the members cached):
    cyclic garbage already in the old generation stays, frozen, until the next full freeze."""
    gc.unfreeze()
    freezer = HeapFreezer(True)

    class Node:
        loop: object = None

    node = Node()
    node.loop = node
    watch = weakref.ref(node)
    gc.collect()  # the node survives into the oldest generation
    del node  # now cyclic garbage there
    try:
        freezer.freeze("READY", full=False)
        assert watch() is not None, "READY made a full collection"
        freezer.freeze("maintenance")
        assert watch() is None, "the next full freeze did not collect it"
    finally:
        gc.unfreeze()
