"""Faults are named after the plugin that caused them: a blocked event loop (the watchdog), tasks
a plugin's commands and listeners started (cancelled with the plugin), and exceptions in a
plugin's discord.py listeners. The plugins are plain discord.py extensions, as community cogs are
written."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from zoryx_core import ZoryxBot
from zoryx_core.testing import DiscordEmulator, Guild, User

BotFactory = Callable[..., Awaitable[ZoryxBot]]

STALLER = """
import time

from discord.ext import commands


class Staller(commands.Cog):
    @commands.command()
    async def stall(self, ctx, seconds: float):
        time.sleep(seconds)  # blocks the event loop, as a careless command does
        await ctx.send("done stalling")


async def setup(bot):
    await bot.add_cog(Staller())
"""

SLOW_HOOK = """
import time

from zoryx_core import hookimpl


@hookimpl
def zoryx_setup(bot):
    pass


@hookimpl
def zoryx_command_executed(event):
    if event.name == "slowhook":
        time.sleep(1.2)
"""

HOOK_TRIGGER = """
from discord.ext import commands


@commands.command()
async def slowhook(ctx):
    await ctx.send("hook next")


async def setup(bot):
    bot.add_command(slowhook)
"""

SPAWNER = """
import asyncio

from discord.ext import commands, tasks


async def forever(label):
    await asyncio.Event().wait()


@tasks.loop(seconds=3600)
async def hourly():
    pass


class Spawner(commands.Cog):
    def __init__(self, bot):
        self.bot = bot

    @commands.command()
    async def spawn(self, ctx):
        self.bot.spawned.append(asyncio.create_task(forever("command")))
        await ctx.send("spawned")

    @commands.command()
    async def startloop(self, ctx):
        hourly.start()
        self.bot.loops.append(hourly)
        await ctx.send("looping")

    @commands.command()
    async def wrapped(self, ctx):
        # started with another library's coroutine: cannot be told apart, only named
        self.bot.spawned.append(asyncio.create_task(asyncio.wait_for(forever("wrapped"), None)))
        await ctx.send("wrapped")

    @commands.Cog.listener()
    async def on_message(self, message):
        if message.content == "listen and spawn":
            self.bot.spawned.append(asyncio.create_task(self.watch_channel()))

    async def watch_channel(self):
        await asyncio.Event().wait()


async def setup(bot):
    await bot.add_cog(Spawner(bot))
"""

GRUMPY = """
from discord.ext import commands


class Grumpy(commands.Cog):
    @commands.Cog.listener()
    async def on_message(self, message):
        if message.content == "boom":
            raise RuntimeError("the cog listener is grumpy")


async def on_message_edit_like(message):
    if message.content == "bang":
        raise LookupError("the added listener is grumpy")


async def setup(bot):
    await bot.add_cog(Grumpy())
    bot.add_listener(on_message_edit_like, "on_message")
"""


@pytest.fixture
def scene(discord_emulator: DiscordEmulator) -> tuple[Guild, User]:
    owner = discord_emulator.create_user("faulty-owner")
    return discord_emulator.create_guild("Faults", owner=owner), owner


def _extensions(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "extensions"
    folder.mkdir()
    for name, source in files.items():
        (folder / f"{name}.py").write_text(source, encoding="utf-8")
    return folder


async def _until(condition: Callable[[], Any], what: str, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


def _messages(caplog: pytest.LogCaptureFixture, logger: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == logger]


async def test_watchdog_names_the_plugin_blocking_the_loop_and_how_long(
    discord_emulator: DiscordEmulator,
    zoryx_bot: BotFactory,
    scene: tuple[Guild, User],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    guild, owner = scene
    general = discord_emulator.channel_named(guild, "general")
    folder = _extensions(tmp_path, staller=STALLER, slow_hook=SLOW_HOOK, hook_trigger=HOOK_TRIGGER)
    caplog.set_level(logging.INFO, logger="zoryx")
    bot = await zoryx_bot(
        extensions_dir=folder,
        plugins=["staller", "slow_hook", "hook_trigger"],
        config={"watchdog.blocked_loop_seconds": 0.5, "cooldowns.default_rate": 0},
    )
    assert bot.watchdog.running

    reply = await discord_emulator.converse(general, owner, "!stall 1.5", timeout=30)
    assert reply.content == "done stalling"
    await _until(lambda: any(not i.ongoing for i in bot.watchdog.incidents()), "the incident to close")
    incident = next(i for i in bot.watchdog.incidents() if i.plugin == "staller")
    assert incident.duration is not None and incident.duration >= 0.5
    assert "staller.py" in incident.location and "in stall" in incident.location
    assert "time.sleep(seconds)" in incident.stack
    logged = _messages(caplog, "zoryx.watchdog")
    assert any("has been blocked" in m and "plugin staller" in m and "time.sleep" in m for m in logged)
    assert any(m.startswith("the event loop was blocked for") and "plugin staller" in m for m in logged)

    # a hook implementation blocking the loop is attributed to its own plugin, not the command's
    assert (await discord_emulator.converse(general, owner, "!slowhook", timeout=30)).content == "hook next"
    await _until(
        lambda: any(i.plugin == "slow_hook" and not i.ongoing for i in bot.watchdog.incidents()),
        "the hook's incident",
    )
    hook_incident = next(i for i in bot.watchdog.incidents() if i.plugin == "slow_hook")
    assert "zoryx_command_executed" in hook_incident.location


async def test_watchdog_off_at_zero(zoryx_bot: BotFactory) -> None:
    bot = await zoryx_bot(no_plugins=True, config={"watchdog.blocked_loop_seconds": 0})
    assert not bot.watchdog.enabled and not bot.watchdog.running and bot.watchdog.incidents() == []


async def test_tasks_started_by_commands_and_listeners_go_with_the_plugin(
    discord_emulator: DiscordEmulator,
    zoryx_bot: BotFactory,
    scene: tuple[Guild, User],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    guild, owner = scene
    general = discord_emulator.channel_named(guild, "general")
    folder = _extensions(tmp_path, spawner=SPAWNER)
    caplog.set_level(logging.INFO, logger="zoryx")
    bot = await zoryx_bot(extensions_dir=folder, plugins=["spawner"], config={"cooldowns.default_rate": 0})
    spawned: list[asyncio.Task[Any]] = []
    loops: list[Any] = []
    bot.spawned = spawned  # type: ignore[attr-defined]
    bot.loops = loops  # type: ignore[attr-defined]

    async def start_both() -> list[asyncio.Task[Any]]:
        before = len(spawned)
        assert (await discord_emulator.converse(general, owner, "!spawn")).content == "spawned"
        await discord_emulator.send_message(general, owner, "listen and spawn")
        await _until(lambda: len(spawned) == before + 2, "the listener's task")
        return spawned[before:]

    first = await start_both()
    assert (await discord_emulator.converse(general, owner, "!startloop")).content == "looping"
    assert loops[0].is_running()
    await bot.plugins.unload("spawner")
    assert all(task.cancelled() for task in first)
    await _until(lambda: not loops[0].is_running(), "the module's tasks.loop to stop")
    cancelled = [m for m in _messages(caplog, "zoryx.plugins") if "cancelling what its code started" in m]
    assert len(cancelled) == 1
    assert "plugin spawner" in cancelled[0] and "(forever)" in cancelled[0]
    assert "(Spawner.watch_channel)" in cancelled[0] and "tasks.loop hourly" in cancelled[0]

    await bot.plugins.load("spawner")
    second = await start_both()
    caplog.clear()
    await bot.plugins.reload("spawner")
    assert all(task.cancelled() for task in second)
    assert any("plugin spawner: cancelling" in m for m in _messages(caplog, "zoryx.plugins"))

    # a task made from another library's coroutine that runs the plugin's code: named, not cancelled
    assert (await discord_emulator.converse(general, owner, "!wrapped")).content == "wrapped"
    wrapped = spawned[-1]
    caplog.clear()
    await bot.plugins.unload("spawner")
    assert not wrapped.done()
    warnings = [m for m in _messages(caplog, "zoryx.plugins") if "still running the plugin's code" in m]
    # (the command's own invocation may still be finishing its reply: it is named too)
    named = [m for m in warnings if "(wait_for)" in m]
    assert len(named) == 1 and named[0].startswith(f"plugin spawner: task {wrapped.get_name()} (wait_for)")
    wrapped.cancel()


async def test_listener_exceptions_name_their_plugin(
    discord_emulator: DiscordEmulator,
    zoryx_bot: BotFactory,
    scene: tuple[Guild, User],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    guild, owner = scene
    general = discord_emulator.channel_named(guild, "general")
    folder = _extensions(tmp_path, grumpy=GRUMPY)
    caplog.set_level(logging.INFO, logger="zoryx")
    bot = await zoryx_bot(extensions_dir=folder, plugins=["grumpy"])

    def failures() -> list[str]:
        return _messages(caplog, "zoryx.listeners")

    await discord_emulator.send_message(general, owner, "boom")
    await _until(lambda: len(failures()) == 1, "the cog listener's error")
    assert failures()[0].startswith(
        "plugin grumpy: listener on_message raised RuntimeError: the cog listener is grumpy (at "
    )
    assert "grumpy.py" in failures()[0] and "Traceback" in failures()[0]
    await discord_emulator.send_message(general, owner, "bang")
    await _until(lambda: len(failures()) == 2, "the added listener's error")
    assert failures()[1].startswith(
        "plugin grumpy: listener on_message raised LookupError: the added listener is grumpy"
    )
    assert bot.plugins.listener_errors == {("grumpy", "on_message"): 2}
