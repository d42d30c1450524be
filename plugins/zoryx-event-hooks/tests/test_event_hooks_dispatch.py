"""Event hooks in a running bot: priority order, framework events, one delivery per emit,
callbacks leaving with their plugin, clean teardown."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from zoryx_event_hooks import event_hooks

from zoryx_core import CommandEvent, PluginStatus, ZoryxBot
from zoryx_core.testing import DiscordEmulator
from zoryx_core.testing.zoryx_bots import make_zoryx_bot

Runner = Callable[..., Awaitable[Any]]

PLUGIN = "zoryx-event-hooks"

EMITTER_EXTENSION = '''
from discord.ext import commands
from zoryx_core import hookimpl


class Emitter(commands.Cog):
    """Emits a custom event from a command; its callbacks record the order they ran in."""

    def __init__(self, bot, plugin):
        self.bot = bot
        self.plugin = plugin
        self.calls = []
        self.ready_user = None

    @commands.command()
    async def fire(self, ctx, value: str):
        await self.plugin.emit("order_test", value=value)
        await ctx.send(f"fired {value}")

    @commands.command()
    async def breakdown(self, ctx):
        raise RuntimeError("broken on purpose")

    async def low(self, bot, value, **kwargs):
        self.calls.append(("low", value))

    async def first_zero(self, bot, value, **kwargs):
        self.calls.append(("first_zero", value))

    async def high(self, bot, value, **kwargs):
        self.calls.append(("high", value))

    def second_zero(self, bot, value, **kwargs):  # a plain function works too
        self.calls.append(("second_zero", value))

    async def on_ready_hook(self, bot, bot_user, **kwargs):
        self.ready_user = bot_user


@hookimpl
async def zoryx_setup(bot, plugin):
    cog = Emitter(bot, plugin)
    await bot.add_cog(cog)
    bot.register_hook("order_test", cog.low, priority=-5)
    bot.register_hook("order_test", cog.first_zero)
    bot.register_hook("order_test", cog.high, priority=10)
    bot.register_hook("order_test", cog.second_zero)
    bot.register_hook("bot_ready", cog.on_ready_hook)
'''


async def until(predicate: Callable[[], bool], what: str, *, tries: int = 500) -> None:
    """Poll ``predicate`` (every 20 ms, a bounded number of times) until it holds."""
    for _ in range(tries):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"never happened: {what}")


async def start(
    tmp_path: Path, bot_runner: Runner, *, settings: dict[str, Any] | None = None, **options: Any
) -> ZoryxBot:
    (tmp_path / "extensions").mkdir(exist_ok=True)
    (tmp_path / "extensions" / "emitter.py").write_text(EMITTER_EXTENSION)
    config: dict[str, Any] = {"cooldowns.default_rate": 0}
    config.update({f"plugin_settings.{PLUGIN}.{key}": value for key, value in (settings or {}).items()})
    bot = make_zoryx_bot(tmp_path, plugins=[PLUGIN, "emitter"], config=config, **options)
    await bot_runner(bot)
    assert bot.plugins.outcomes[PLUGIN].status is PluginStatus.LOADED, bot.plugins.outcomes[PLUGIN].reason
    assert bot.plugins.outcomes["emitter"].status is PluginStatus.LOADED, bot.plugins.outcomes[
        "emitter"
    ].reason
    return bot


async def test_custom_event_from_a_command_runs_callbacks_by_priority(
    discord_emulator: DiscordEmulator, bot_runner: Runner, tmp_path: Path
) -> None:
    emu = discord_emulator
    alice = emu.create_user("alice")
    guild = emu.create_guild("Hooks", members=[alice])
    general = emu.channel_named(guild, "general")
    bot = await start(tmp_path, bot_runner)
    cog: Any = bot.get_cog("Emitter")

    assert bot.list_hooks()["order_test"] == [  # type: ignore[attr-defined]
        "Emitter.high",
        "Emitter.first_zero",
        "Emitter.second_zero",
        "Emitter.low",
    ]
    assert (await emu.converse(general, alice, "!fire one")).content == "fired one"
    await until(lambda: len(cog.calls) == 4, "four callbacks ran")
    assert cog.calls == [("high", "one"), ("first_zero", "one"), ("second_zero", "one"), ("low", "one")]

    # registering the same callback again keeps one registration, with the new priority
    hooks = event_hooks(bot)
    first_id = hooks.entries("order_test")[-1].id
    assert bot.register_hook("order_test", cog.low, priority=20) == first_id  # type: ignore[attr-defined]
    assert bot.list_hooks()["order_test"][0] == "Emitter.low"  # type: ignore[attr-defined]
    assert len(hooks.entries("order_test")) == 4

    # framework events: bot_ready got the bot user; the extension's callbacks belong to it
    assert cog.ready_user is not None and cog.ready_user.id == bot.user.id  # type: ignore[union-attr]
    assert {entry.plugin for entry in hooks.entries()} == {"emitter"}
    health = next(r for r in await bot.plugins.health_checks() if r.plugin == PLUGIN)
    assert health.status == "healthy" and "2/2 workers, queue 0/1000, 0 dropped" in health.detail
    history = bot.get_hook_history(limit=5)  # type: ignore[attr-defined]
    assert history[0]["event"] == "order_test" and history[0]["plugin"] == "emitter"
    assert history[0]["outcome"] == "ok" and history[0]["started"].endswith("+00:00")


async def test_command_and_extension_events_carry_their_arguments(
    discord_emulator: DiscordEmulator, bot_runner: Runner, tmp_path: Path
) -> None:
    emu = discord_emulator
    alice = emu.create_user("alice")
    guild = emu.create_guild("Hooks", members=[alice])
    general = emu.channel_named(guild, "general")
    bot = await start(tmp_path, bot_runner)
    hooks = event_hooks(bot)
    seen: list[tuple[str, dict[str, Any]]] = []

    def recorder(name: str) -> Callable[..., Awaitable[None]]:
        async def record(bot: ZoryxBot, **kwargs: Any) -> None:
            seen.append((name, kwargs))

        record.__qualname__ = f"record_{name}"
        return record

    # With no callback for the per-command events, the core builds no CommandEvent for them.
    assert not bot.plugins.hooks.implemented("zoryx_command_executed")
    assert not bot.plugins.hooks.implemented("zoryx_command_error")
    assert (await emu.converse(general, alice, "!fire one")).content == "fired one"

    recorders = {
        name: recorder(name)
        for name in ("command_executed", "command_error", "extension_loaded", "extension_unloaded")
    }
    for name, callback in recorders.items():
        hooks.register(name, callback)
    assert bot.plugins.hooks.implemented("zoryx_command_executed")

    await emu.converse(general, alice, "!fire two")
    await until(lambda: any(name == "command_executed" for name, _ in seen), "command_executed")
    executed = next(kwargs for name, kwargs in seen if name == "command_executed")
    assert executed["command_name"] == "fire"
    assert executed["author"].id == alice.id and executed["guild"].id == guild.id
    assert isinstance(executed["event"], CommandEvent) and executed["event"].plugin == "emitter"

    await emu.converse(general, alice, "!breakdown")
    await until(lambda: any(name == "command_error" for name, _ in seen), "command_error")
    failed = next(kwargs for name, kwargs in seen if name == "command_error")
    assert failed["command_name"] == "breakdown" and "broken on purpose" in str(failed["error"])
    assert failed["author"].id == alice.id and failed["guild"].id == guild.id

    # a reload: the plugin's callbacks are registered afresh, once, by its new code
    before = len(hooks.entries("order_test"))
    await bot.plugins.reload("emitter")
    assert len(hooks.entries("order_test")) == before
    assert all(entry.owner is bot.plugins.contexts["emitter"] for entry in hooks.entries("order_test"))
    await until(lambda: any(name == "extension_unloaded" for name, _ in seen), "extension_unloaded")
    names = [(name, kwargs.get("extension_name")) for name, kwargs in seen]
    assert ("extension_loaded", "emitter") in names and ("extension_unloaded", "emitter") in names
    reloaded = next(kwargs for name, kwargs in seen if name == "extension_unloaded")
    assert reloaded["reason"] == "reload"

    hooks.unregister("command_executed", recorders["command_executed"])
    assert not bot.plugins.hooks.implemented("zoryx_command_executed")
    assert bot.plugins.hooks.implemented("zoryx_command_error")


async def test_unloading_a_plugin_drops_its_callbacks(
    discord_emulator: DiscordEmulator, bot_runner: Runner, tmp_path: Path
) -> None:
    emu = discord_emulator
    alice = emu.create_user("alice")
    emu.create_guild("Hooks", members=[alice])
    bot = await start(tmp_path, bot_runner)
    hooks = event_hooks(bot)
    ran: list[str] = []

    async def outsider(bot: ZoryxBot, value: str, **kwargs: Any) -> None:
        ran.append(value)

    hooks.register("order_test", outsider, priority=-100)
    assert len(hooks.list_hooks()["order_test"]) == 5

    await bot.plugins.unload("emitter")
    assert hooks.list_hooks() == {
        "order_test": ["test_unloading_a_plugin_drops_its_callbacks.<locals>.outsider"]
    }
    assert all(entry.plugin is None for entry in hooks.entries())
    assert await bot.emit_hook("order_test", value="after unload")  # type: ignore[attr-defined]
    await until(lambda: ran == ["after unload"], "the remaining callback ran")


async def test_each_emit_is_delivered_once_whichever_path_it_takes(
    discord_emulator: DiscordEmulator, bot_runner: Runner, tmp_path: Path
) -> None:
    emu = discord_emulator
    alice = emu.create_user("alice")
    emu.create_guild("Hooks", members=[alice])
    bot = await start(tmp_path, bot_runner, settings={"workers": 1})
    received: list[Any] = []

    async def on_dup(bot: ZoryxBot, n: int, **kwargs: Any) -> None:
        received.append(n)

    bot.register_hook("dup", on_dup)  # type: ignore[attr-defined]
    assert await bot.emit_hook("dup", n=1)  # type: ignore[attr-defined]
    await bot.plugins.context("emitter").emit("dup", n=2)  # through the core's custom events
    await bot.events.emit("dup", n=3)
    await bot.emit_hook("dup", n=4)  # type: ignore[attr-defined]
    await until(lambda: 4 in received, "the last emit arrived")
    await event_hooks(bot).drain(5)
    assert received == [1, 2, 3, 4]

    with pytest.raises(ValueError, match="non-empty"):
        await bot.emit_hook("", n=5)  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="'bot'"):
        await bot.emit_hook("dup", bot=5)  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="priority must be an integer"):
        bot.register_hook("dup", on_dup, priority="high")  # type: ignore[attr-defined]


async def test_guild_and_shutdown_events_then_teardown_removes_the_api(
    discord_emulator: DiscordEmulator, bot_runner: Runner, tmp_path: Path
) -> None:
    emu = discord_emulator
    alice = emu.create_user("alice")
    guild = emu.create_guild("Hooks", members=[alice])
    bot = await start(tmp_path, bot_runner)
    hooks = event_hooks(bot)
    events: list[str] = []

    async def on_guild_left(bot: ZoryxBot, guild: Any, **kwargs: Any) -> None:
        events.append(f"left {guild.name}")

    async def on_shutdown(bot: ZoryxBot, **kwargs: Any) -> None:
        events.append("shutdown")

    async def on_guild_joined(bot: ZoryxBot, guild: Any, **kwargs: Any) -> None:
        events.append(f"joined {guild.name}")

    bot.register_hook("guild_left", on_guild_left)  # type: ignore[attr-defined]
    bot.register_hook("guild_joined", on_guild_joined)  # type: ignore[attr-defined]
    bot.register_hook("shutdown", on_shutdown)  # type: ignore[attr-defined]
    emu.remove_bot_from_guild(guild)
    await until(lambda: events == ["left Hooks"], "guild_left")
    emu.add_bot_to_guild(guild)
    await until(lambda: events == ["left Hooks", "joined Hooks"], "guild_joined")

    workers = list(hooks._workers)
    await bot.close()
    assert events == ["left Hooks", "joined Hooks", "shutdown"]
    assert all(task.done() for task in workers)
    for name in ("event_hooks", "register_hook", "unregister_hook", "emit_hook", "list_hooks"):
        assert not hasattr(bot, name), name
    assert not hooks.running and not await hooks.emit("late")
    with pytest.raises(LookupError, match="not loaded"):
        event_hooks(bot)


async def test_settings_out_of_range_fail_the_load_with_the_allowed_range(
    discord_emulator: DiscordEmulator, bot_runner: Runner, tmp_path: Path
) -> None:
    discord_emulator.create_guild("Hooks")
    config = {f"plugin_settings.{PLUGIN}.queue_size": 0}
    bot = make_zoryx_bot(tmp_path, plugins=[PLUGIN], config=config)
    await bot_runner(bot)
    outcome = bot.plugins.outcomes[PLUGIN]
    assert outcome.status is PluginStatus.FAILED
    assert f"plugin_settings.{PLUGIN}.queue_size = 0 is not allowed" in outcome.reason
    assert "an integer from 1 to 1000000" in outcome.reason
    assert not hasattr(bot, "register_hook")
