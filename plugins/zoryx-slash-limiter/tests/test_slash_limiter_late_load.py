"""The limiter loaded after plugins that failed with discord.py's CommandLimitReached: it loads
them again, and they come up with their commands beyond the safe limit prefix-only."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import discord
import pytest
from slash_limiter_helpers.extensions import command_names, hybrid_extension, write
from zoryx_slash_limiter import slash_limiter

from zoryx_core import PluginStatus, ZoryxBot
from zoryx_core.testing import DiscordEmulator

BotFactory = Callable[..., Awaitable[ZoryxBot]]
LIMITER = "zoryx-slash-limiter"
PLUGINS = ["alpha", "bravo", "charlie", "delta"]


async def test_plugins_that_hit_the_limit_are_loaded_again(
    discord_emulator: DiscordEmulator,
    zoryx_bot: BotFactory,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    emu = discord_emulator
    boss, member = emu.create_user("boss"), emu.create_user("member")
    guild = emu.create_guild("Late", members=[boss, member])
    channel = emu.channel_named(guild, "general")
    folder = tmp_path / "extensions"
    for name in PLUGINS:
        write(folder, name, hybrid_extension(name, 30, checked=name == "delta"))
    bot = await zoryx_bot(
        plugins=PLUGINS, extensions_dir=folder, owner_id=boss.id, config={"cooldowns.default_rate": 0}
    )
    # without the limiter, discord.py refuses the 101st global command and the load fails
    outcomes = bot.plugins.outcomes
    assert outcomes[LIMITER].status is PluginStatus.SKIPPED
    assert [outcomes[name].status for name in PLUGINS] == [
        PluginStatus.LOADED,
        PluginStatus.LOADED,
        PluginStatus.FAILED,
        PluginStatus.FAILED,
    ]
    assert "CommandLimitReached" in outcomes["charlie"].reason
    before = len(bot.tree.get_commands(type=discord.AppCommandType.chat_input))
    # discord.py leaves the prefix form of the hybrid whose slash form was refused behind
    leftovers = sorted(c.name for c in bot.commands if c.module == "zoryx_extensions.charlie")

    caplog.set_level(logging.INFO, logger=f"zoryx.plugin.{LIMITER}")
    assert (await bot.plugins.load(LIMITER)).status is PluginStatus.LOADED
    retried = await slash_limiter(bot).settled()
    assert [(o.name, o.status) for o in retried] == [
        ("charlie", PluginStatus.LOADED),
        ("delta", PluginStatus.LOADED),
    ]
    logged = [r.getMessage() for r in caplog.records]
    for name in ("charlie", "delta"):
        assert any(
            text.startswith(f"loading {name} again: it failed with CommandLimitReached") for text in logged
        )

    usage = slash_limiter(bot).usage()
    assert usage.global_commands == 95
    shares = {p.plugin: (p.slash, p.prefix_only) for p in usage.plugins}
    free = 95 - before - 1  # slashlimit took one slot
    assert shares["charlie"] == (free, 30 - free) and shares["delta"] == (0, 30)
    await bot.tree.sync()
    assert len([c for c in emu.state.global_commands.values() if c.type == 1]) == 95

    # what the failed load left behind was cleared: those names are charlie's commands again
    for name in [*leftovers, command_names("charlie", 30)[-1]]:
        assert (await emu.converse(channel, member, f"!{name}")).content == f"{name} ran"
    assert "owners only" in (await emu.converse(channel, member, "!delta00")).embeds[0]["description"]
    assert (await emu.converse(channel, boss, "!delta00")).content == "delta00 ran"
