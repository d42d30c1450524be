"""The limiter's settings are read and checked: thresholds, prefix_only_plugins; guild commands
and context menus are counted apart."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from slash_limiter_helpers.extensions import command_names, hybrid_extension, menu_extension, write
from zoryx_slash_limiter import LIMIT_MARKER, SETTING_MARKER, slash_limiter

from zoryx_core import PluginStatus, ZoryxBot
from zoryx_core.testing import DiscordEmulator

BotFactory = Callable[..., Awaitable[ZoryxBot]]
LIMITER = "zoryx-slash-limiter"
LOGGER = f"zoryx.plugin.{LIMITER}"


def limiter_config(**values: Any) -> dict[str, Any]:
    config: dict[str, Any] = {"cooldowns.default_rate": 0}
    config.update({f"plugin_settings.{LIMITER}.{key}": value for key, value in values.items()})
    return config


async def test_thresholds_come_from_the_settings(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    emu = discord_emulator
    alice = emu.create_user("alice")
    guild = emu.create_guild("Small", members=[alice])
    channel = emu.channel_named(guild, "general")
    caplog.set_level(logging.INFO, logger=LOGGER)
    bot = await zoryx_bot(plugins=[LIMITER], config=limiter_config(warning_threshold=5, safe_limit=8))
    assert bot.plugins.outcomes[LIMITER].status is PluginStatus.LOADED

    # the core's own commands loaded first: the newest were taken out down to the safe limit
    usage = slash_limiter(bot).usage()
    assert (usage.warning_threshold, usage.safe_limit, usage.max_limit) == (5, 8, 100)
    assert usage.global_commands == 8 and usage.state.value == "at safe limit"
    assert bot.tree.get_command("help") is not None  # core.help loads first
    assert bot.tree.get_command("mydata") is None and bot.get_command("mydata") is not None
    assert "slashlimit" in {c.name for c in usage.prefix_only}
    await bot.tree.sync()
    assert len([c for c in emu.state.global_commands.values() if c.type == 1]) == 8

    warnings = [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno == logging.WARNING]
    assert sum("past the warning threshold (5)" in text for text in warnings) == 1
    assert sum("at the safe limit (8)" in text for text in warnings) == 1

    reply = await emu.converse(channel, alice, "!slashlimit")
    assert "**8/100** global slash commands" in reply.embeds[0]["description"]
    fields = {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}
    assert fields["Thresholds"] == "warning 5 • safe limit 8 • Discord's limit 100"
    assert fields["State"].startswith("🛑 at safe limit")
    # mydata (a hybrid group) lost its slash form and still answers by prefix, marked in the help
    assert "Your data" in (await emu.converse(channel, alice, "!mydata")).embeds[0]["title"]
    help_reply = await emu.converse(channel, alice, "!help mydata forget")
    assert {"name": "Type", "value": f"`{LIMIT_MARKER}`", "inline": True} in help_reply.embeds[0]["fields"]


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        (
            {"warning_threshold": 96, "safe_limit": 95},
            "warning_threshold <= safe_limit <= max_limit <= 100; "
            "got warning_threshold=96, safe_limit=95, max_limit=100",
        ),
        (
            {"safe_limit": 99, "max_limit": 98},
            "got warning_threshold=90, safe_limit=99, max_limit=98",
        ),
        ({"max_limit": 101}, "max_limit"),
    ],
)
async def test_invalid_thresholds_fail_the_load_with_a_clear_message(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory, values: dict[str, Any], problem: str
) -> None:
    bot = await zoryx_bot(plugins=[LIMITER], config=limiter_config(**values))
    outcome = bot.plugins.outcomes[LIMITER]
    assert outcome.status is PluginStatus.FAILED
    assert problem in outcome.reason
    with pytest.raises(LookupError):
        slash_limiter(bot)
    assert bot.tree.get_command("help") is not None and bot.get_command("slashlimit") is None


async def test_prefix_only_plugins_never_get_their_slash_forms(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory, tmp_path: Path
) -> None:
    emu = discord_emulator
    alice = emu.create_user("alice")
    guild = emu.create_guild("Quiet", owner=alice)
    channel = emu.channel_named(guild, "general")
    folder = tmp_path / "extensions"
    write(folder, "alpha", hybrid_extension("alpha", 3, plain=1))
    write(folder, "bravo", hybrid_extension("bravo", 3))
    bot = await zoryx_bot(
        plugins=[LIMITER, "alpha", "bravo"],
        extensions_dir=folder,
        config=limiter_config(prefix_only_plugins=["alpha"]),
    )
    limiter = slash_limiter(bot)
    assert all(bot.tree.get_command(name) is None for name in command_names("alpha", 3))
    assert bot.tree.get_command("alphaplain0") is None
    assert all(bot.tree.get_command(name) is not None for name in command_names("bravo", 3))
    usage = limiter.usage()
    assert [(c.name, c.status) for c in usage.by_setting] == [
        ("alpha00", "prefix-only (prefix_only_plugins)"),
        ("alpha01", "prefix-only (prefix_only_plugins)"),
        ("alpha02", "prefix-only (prefix_only_plugins)"),
        ("alphaplain0", "not registered (prefix_only_plugins)"),
    ]
    assert usage.prefix_only == () and usage.state.value == "ok"

    assert (await emu.converse(channel, alice, "!alpha01")).content == "alpha01 ran"
    help_reply = await emu.converse(channel, alice, "!help alpha01")
    assert {"name": "Type", "value": f"`{SETTING_MARKER}`", "inline": True} in help_reply.embeds[0]["fields"]

    # free slots do not bring them back
    await bot.plugins.unload("bravo")
    assert all(bot.tree.get_command(name) is None for name in command_names("alpha", 3))
    assert len(limiter.usage().by_setting) == 4


async def test_guild_commands_and_context_menus_are_counted_apart(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory, tmp_path: Path
) -> None:
    emu = discord_emulator
    alice = emu.create_user("alice")
    guild = emu.create_guild("Menus", owner=alice)
    channel = emu.channel_named(guild, "general")
    folder = tmp_path / "extensions"
    write(folder, "menus", menu_extension(user_menus=7, guild_id=guild.id, guild_commands=3))
    bot = await zoryx_bot(plugins=[LIMITER, "menus"], extensions_dir=folder)
    assert bot.plugins.outcomes["menus"].status is PluginStatus.LOADED, bot.plugins.outcomes["menus"].reason

    usage = slash_limiter(bot).usage()
    assert usage.context_menus == {"user": 5, "message": 0}
    assert [(c.name, c.kind, c.prefix_only) for c in usage.not_registered] == [
        ("Inspect 5", "user", False),
        ("Inspect 6", "user", False),
    ]
    assert usage.guild_commands == {guild.id: 3}
    assert slash_limiter(bot).guild_count(guild.id) == 3
    global_before = usage.global_commands

    await bot.tree.sync()
    await bot.tree.sync(guild=guild)
    assert len([c for c in emu.state.global_commands.values() if c.type == 2]) == 5
    assert len(emu.state.guild_commands[guild.id]) == 3
    assert usage.global_commands == global_before  # guild commands are not global ones

    reply = await emu.converse(channel, alice, "!slashlimit")
    fields = {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}
    assert fields["Context menus"] == "user 5/5 • message 0/5"
    assert fields["This server"] == "3 guild slash commands"
    assert "`Inspect 5` (user menu): menus" in fields["Not registered (slash limit) (2)"]


async def test_each_guild_has_its_own_safe_limit(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory, tmp_path: Path
) -> None:
    emu = discord_emulator
    guild = emu.create_guild("Tight")
    folder = tmp_path / "extensions"
    write(folder, "menus", menu_extension(user_menus=0, guild_id=guild.id, guild_commands=3))
    bot = await zoryx_bot(
        plugins=[LIMITER, "menus"],
        extensions_dir=folder,
        config=limiter_config(warning_threshold=0, safe_limit=2),
    )
    usage = slash_limiter(bot).usage()
    assert usage.global_commands == 2  # the core's first two commands
    assert usage.guild_commands == {guild.id: 2}
    assert [(c.name, c.guild_ids) for c in usage.not_registered] == [("local2", (guild.id,))]
    await bot.tree.sync(guild=guild)
    assert sorted(c.name for c in emu.state.guild_commands[guild.id].values()) == ["local0", "local1"]
