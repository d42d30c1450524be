"""zoryx-hello inside a real Zoryx bot, against the Discord emulator (fixtures from zoryx-core)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from zoryx_core import PluginStatus, ZoryxBot
from zoryx_core.testing import DiscordEmulator

BotFactory = Callable[..., Awaitable[ZoryxBot]]


async def test_hello_answers_by_prefix_and_slash(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory
) -> None:
    alice = discord_emulator.create_user("alice")
    guild = discord_emulator.create_guild("Hello Guild", members=[alice])
    general = discord_emulator.channel_named(guild, "general")
    bot = await zoryx_bot(plugins=["zoryx-hello"])
    assert bot.plugins.outcomes["zoryx-hello"].status is PluginStatus.LOADED

    reply = await discord_emulator.converse(general, alice, "!hello")
    assert reply.content == "Hello, alice!"

    await bot.tree.sync()
    result = await discord_emulator.run_slash("hello", channel=general, user=alice)
    assert result.content == "Hello, alice!"


async def test_greeting_setting_is_read(discord_emulator: DiscordEmulator, zoryx_bot: BotFactory) -> None:
    alice = discord_emulator.create_user("alice")
    guild = discord_emulator.create_guild("Hello Guild", members=[alice])
    general = discord_emulator.channel_named(guild, "general")
    config: dict[str, Any] = {"plugin_settings.zoryx-hello.greeting": "Howdy"}
    await zoryx_bot(plugins=["zoryx-hello"], config=config)
    reply = await discord_emulator.converse(general, alice, "!hello")
    assert reply.content == "Howdy, alice!"
