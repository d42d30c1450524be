"""The plugin host end to end: a real ZoryxBot with real installed distributions on the emulator."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from conftest import journal_lines

from zoryx_core import PluginError, PluginStatus, ZoryxBot
from zoryx_core.testing import DiscordEmulator, Guild, User

BotFactory = Callable[..., Awaitable[ZoryxBot]]

BAD_PLUGINS = [
    "zoryx-test-broken",
    "zoryx-test-needy",
    "zoryx-test-conflict-a",
    "zoryx-test-conflict-b",
    "zoryx-test-cycle-a",
    "zoryx-test-cycle-b",
    "zoryx-test-hang",
    "zoryx-test-future",
]


@pytest.fixture
def scene(discord_emulator: DiscordEmulator) -> tuple[Guild, User]:
    alice = discord_emulator.create_user("alice")
    return discord_emulator.create_guild("Plugins", members=[alice]), alice


async def test_bad_plugins_are_reported_while_hello_answers(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory, scene: tuple[Guild, User], test_plugins: Path
) -> None:
    guild, alice = scene
    bot = await zoryx_bot(plugins=["zoryx-hello", *BAD_PLUGINS], config={"plugins.setup_timeout": 0.5})
    outcomes = bot.plugins.outcomes

    def status(name: str) -> tuple[PluginStatus, str]:
        return outcomes[name].status, outcomes[name].reason

    assert status("zoryx-hello")[0] is PluginStatus.LOADED
    assert status("zoryx-test-broken") == (
        PluginStatus.FAILED,
        "import failed: ModuleNotFoundError: No module named 'zoryx_no_such_module' "
        "(zoryx_test_broken.py, line 3)",
    )
    assert "zoryx_no_such_module" in (outcomes["zoryx-test-broken"].traceback or "")
    assert status("zoryx-test-needy") == (
        PluginStatus.SKIPPED,
        "requires zoryx-hello>=9, but zoryx-hello 0.1.0 is installed",
    )
    assert status("zoryx-test-future")[0] is PluginStatus.SKIPPED
    assert "requires zoryx-core>=99, but zoryx-core" in status("zoryx-test-future")[1]
    assert status("zoryx-test-conflict-a")[0] is PluginStatus.LOADED
    assert status("zoryx-test-conflict-b") == (
        PluginStatus.SKIPPED,
        "conflicts with zoryx-test-conflict-a, which is loaded and declares zoryx-test-conflict-b>=1",
    )
    assert status("zoryx-test-cycle-a") == (
        PluginStatus.SKIPPED,
        "dependency cycle: zoryx-test-cycle-a -> zoryx-test-cycle-b -> zoryx-test-cycle-a",
    )
    assert status("zoryx-test-cycle-b")[1].startswith("dependency cycle: zoryx-test-cycle-b -> ")
    assert status("zoryx-test-hang") == (
        PluginStatus.FAILED,
        "set-up did not finish within 0.5 s (plugins.setup_timeout)",
    )

    general = discord_emulator.channel_named(guild, "general")
    assert (await discord_emulator.converse(general, alice, "!hello")).content == "Hello, alice!"
    assert (await discord_emulator.converse(general, alice, "!side")).content == "side a"


async def test_conflict_declared_by_the_later_plugin(zoryx_bot: BotFactory, test_plugins: Path) -> None:
    bot = await zoryx_bot(plugins=["zoryx-test-conflict-b"])
    assert bot.plugins.outcomes["zoryx-test-conflict-b"].status is PluginStatus.LOADED
    outcome = await bot.plugins.load("zoryx-test-conflict-a")
    assert outcome.status is PluginStatus.SKIPPED
    assert outcome.reason == "conflicts with zoryx-test-conflict-b 1.0.0 (declares zoryx-test-conflict-b>=1)"
    assert "zoryx_test_conflict_a" not in __import__("sys").modules


async def test_unload_removes_everything_and_load_brings_it_back(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory, scene: tuple[Guild, User], test_plugins: Path
) -> None:
    guild, alice = scene
    general = discord_emulator.channel_named(guild, "general")
    bot = await zoryx_bot(plugins=["zoryx-test-recorder"])
    ctx = bot.plugins.context("zoryx-test-recorder")
    summary = ctx.registrations.summary()
    assert summary["cogs"] == 1 and summary["app_commands"] == 1 and summary["tasks"] >= 2
    assert {"rec", "recping"} <= set(bot.all_commands)
    await bot.tree.sync()
    assert (await discord_emulator.run_slash("rec", channel=general, user=alice)).content == "recorder here"
    heartbeat = next(t for t in ctx.registrations.tasks if t.get_name() == "recorder:heartbeat")
    cog = bot.get_cog("Recorder")
    assert cog is not None
    ticker = cog.ticker  # type: ignore[attr-defined]
    assert ticker.is_running()

    await bot.plugins.unload("zoryx-test-recorder")
    assert "rec" not in bot.all_commands and "recping" not in bot.all_commands
    assert bot.tree.get_command("rec") is None
    assert "on_recorder_probe" not in bot.extra_events or not bot.extra_events["on_recorder_probe"]
    assert not any(getattr(f, "__self__", None) is cog for f in bot.extra_events.get("on_message", []))
    await asyncio.sleep(0.1)
    assert heartbeat.cancelled() and not ticker.is_running()
    await bot.tree.sync()
    with pytest.raises(LookupError):
        discord_emulator.find_command("rec")
    sent = await discord_emulator.send_message(general, alice, "!recping")
    with pytest.raises(TimeoutError):
        await discord_emulator.wait_for_message(general, after=sent, timeout=0.5)
    assert bot.plugins.outcomes["zoryx-test-recorder"].status is PluginStatus.UNLOADED

    outcome = await bot.plugins.load("zoryx-test-recorder")
    assert outcome.status is PluginStatus.LOADED
    assert (await discord_emulator.converse(general, alice, "!recping")).content == "recpong"
    await bot.tree.sync()
    assert (await discord_emulator.run_slash("rec", channel=general, user=alice)).content == "recorder here"
    bot.dispatch("recorder_probe", "x")
    await asyncio.sleep(0.05)
    assert "probe x" in journal_lines(test_plugins)


async def test_dependencies_load_first_and_guard_unload(zoryx_bot: BotFactory, test_plugins: Path) -> None:
    bot = await zoryx_bot(plugins=["zoryx-test-second", "zoryx-test-recorder"])
    third_party = [n for n in bot.plugins.loaded if not n.startswith("core.")]
    assert third_party == ["zoryx-test-recorder", "zoryx-test-second"]
    lines = journal_lines(test_plugins)
    assert lines.index("setup zoryx-test-recorder") < lines.index("setup zoryx-test-second")
    assert "event second_ready {'answer': 42} from zoryx-test-second" in lines
    with pytest.raises(PluginError, match="zoryx-test-second depend on it"):
        await bot.plugins.unload("zoryx-test-recorder")
    assert await bot.plugins.delete_user_data(7) == {"zoryx-test-second": "forgot 7", "core.privacy": None}


async def test_hook_failures_are_isolated_and_attributed(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory, scene: tuple[Guild, User], test_plugins: Path
) -> None:
    guild, alice = scene
    general = discord_emulator.channel_named(guild, "general")
    bot = await zoryx_bot(
        plugins=["zoryx-hello", "zoryx-test-faulty", "zoryx-test-recorder"],
        config={"plugins.hook_timeout": 0.2},
    )
    assert (await discord_emulator.converse(general, alice, "!hello")).content == "Hello, alice!"
    await asyncio.sleep(0.1)
    assert "executed hello hybrid zoryx-hello" in journal_lines(test_plugins)
    stats = bot.plugins.hooks.stats[("zoryx-test-faulty", "zoryx_command_executed")]
    assert stats.failures == 1 and stats.last_error == "RuntimeError: faulty plugin broke in command_executed"

    calls = await bot.events.emit("ping", n=1)
    by_plugin = {call.plugin: call for call in calls}
    assert by_plugin["zoryx-test-faulty"].timed_out
    assert by_plugin["zoryx-test-recorder"].ok
    assert "event ping {'n': 1} from None" in journal_lines(test_plugins)

    health = await bot.plugins.health_checks()
    assert ("zoryx-hello", "healthy") in {(h.plugin, h.status) for h in health}
    faulty = next(h for h in health if h.plugin == "zoryx-test-faulty")
    assert faulty.status == "unhealthy" and "health probe exploded" in faulty.detail
    report = await bot.plugins.delete_user_data(alice.id)
    assert report["zoryx-test-faulty"] == "failed: PermissionError: cannot delete"


async def test_selection_lists(zoryx_bot: BotFactory, test_plugins: Path) -> None:
    bot = await zoryx_bot(
        plugins=["zoryx-hello", "zoryx-test-recorder"], config={"plugins.disabled": ["zoryx-test-recorder"]}
    )
    assert bot.plugins.outcomes["zoryx-test-recorder"].reason == "disabled by plugins.disabled"
    bot2 = await zoryx_bot(no_plugins=True)
    assert all(n.startswith("core.") for n in bot2.plugins.loaded)  # built-ins stay
    assert bot2.plugins.outcomes["zoryx-hello"].reason == "plugins are switched off (--no-plugins)"


async def test_plugin_setting_validation_fails_only_that_plugin(
    zoryx_bot: BotFactory, test_plugins: Path
) -> None:
    bot = await zoryx_bot(
        plugins=["zoryx-hello", "zoryx-test-recorder"],
        config={"plugin_settings.zoryx-hello.greeting": ""},
    )
    outcome = bot.plugins.outcomes["zoryx-hello"]
    assert outcome.status is PluginStatus.FAILED
    assert "plugin_settings.zoryx-hello.greeting" in outcome.reason
    assert bot.get_cog("Hello") is None
    assert bot.plugins.outcomes["zoryx-test-recorder"].status is PluginStatus.LOADED


async def test_shutdown_tears_down_in_reverse_order(zoryx_bot: BotFactory, test_plugins: Path) -> None:
    bot = await zoryx_bot(plugins=["zoryx-test-recorder", "zoryx-test-second"])
    await bot.close()
    lines = journal_lines(test_plugins)
    tail = lines[lines.index("shutdown-hook zoryx-test-recorder") :]
    assert tail == [
        "shutdown-hook zoryx-test-recorder",
        "teardown zoryx-test-second",
        "teardown zoryx-test-recorder",
    ]
    assert not bot.storage.is_open


COUNTING_EXTENSION = '''
from discord.ext import commands

from zoryx_core import hookimpl


@commands.command()
async def tick(ctx):
    await ctx.send("tock")


@hookimpl
def zoryx_setup(bot):
    bot.add_command(tick)


@hookimpl
def zoryx_command_executed(bot, event):
    bot.counted_commands = getattr(bot, "counted_commands", 0) + 1
'''

WATCHING_EXTENSION = '''
from zoryx_core import hookimpl


@hookimpl
def zoryx_setup(bot):
    pass


@hookimpl
async def zoryx_command_executed(bot, event):
    bot.watched_commands = getattr(bot, "watched_commands", 0) + 1
'''


async def test_hook_callers_follow_loads_and_unloads(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory, tmp_path: Path
) -> None:
    # The call order of each hook is cached; loading or unloading a plugin must refresh it.
    folder = tmp_path / "extensions"
    folder.mkdir()
    (folder / "counting.py").write_text(COUNTING_EXTENSION, encoding="utf-8")
    (folder / "watching.py").write_text(WATCHING_EXTENSION, encoding="utf-8")
    owner = discord_emulator.create_user("counter-owner")
    guild = discord_emulator.create_guild("Counting", owner=owner)
    channel = discord_emulator.channel_named(guild, "general")
    bot = await zoryx_bot(extensions_dir=folder, plugins=["counting"], config={"cooldowns.default_rate": 0})

    async def run_tick() -> None:
        assert (await discord_emulator.converse(channel, owner, "!tick")).content == "tock"

    def seen() -> tuple[int, int]:
        return getattr(bot, "counted_commands", 0), getattr(bot, "watched_commands", 0)

    async def counts(counted: int, watched: int) -> None:
        deadline = asyncio.get_running_loop().time() + 5
        while seen() != (counted, watched):
            assert asyncio.get_running_loop().time() < deadline, seen()
            await asyncio.sleep(0.01)

    await run_tick()
    await counts(1, 0)
    assert (await bot.plugins.load("watching")).status is PluginStatus.LOADED  # an async one too
    await run_tick()
    await counts(2, 1)
    await bot.plugins.unload("watching")
    await run_tick()
    await counts(3, 1)
    assert bot.plugins.plugin_of_module("zoryx_extensions.counting") == "counting"
    await bot.plugins.unload("counting")
    assert bot.plugins.plugin_of_module("zoryx_extensions.counting") is None
    assert bot.plugins.hooks.implementations("zoryx_command_executed") == []
