"""Any project that installs zoryx-core gets the emulator fixtures through the pytest11 entry point."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest

pytest_plugins = ["pytester"]


def test_entry_point_is_registered() -> None:
    names = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert names.get("zoryx") == "zoryx_core.testing.pytest_plugin"


def test_a_plugin_authors_suite_uses_the_fixtures_without_any_conftest(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(
        test_author="""
import discord
from discord.ext import commands

async def test_my_bot_answers(discord_emulator, bot_runner):
    alice = discord_emulator.create_user("alice")
    guild = discord_emulator.create_guild("Author", members=[alice])
    intents = discord.Intents.default()
    intents.message_content = True
    bot = commands.Bot(command_prefix="?", intents=intents, guild_ready_timeout=0.05)

    @bot.command()
    async def hi(ctx):
        await ctx.send(f"hi {ctx.author.name}")

    await bot_runner(bot)
    reply = await discord_emulator.converse(discord_emulator.channel_named(guild, "general"), alice, "?hi")
    assert reply.content == "hi alice"
"""
    )
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
