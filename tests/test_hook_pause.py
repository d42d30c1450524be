"""``PluginContext.pause_hook`` / ``resume_hook``: a plugin with nothing to do for a fan-out hook
is left out of its calls (and the core builds no per-command event for nobody); a name that is
not a pausable hook is refused with the list of those that are. Real bot, the emulator."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from zoryx_core.testing import DiscordEmulator
from zoryx_core.testing.zoryx_bots import make_zoryx_bot

Runner = Callable[..., Awaitable[Any]]

QUIET_EXTENSION = '''
from discord.ext import commands
from zoryx_core import hookimpl

SEEN = []


class Quiet(commands.Cog):
    @commands.command()
    async def hush(self, ctx):
        await ctx.send("shh")


@hookimpl
async def zoryx_setup(bot, plugin):
    plugin.pause_hook("zoryx_command_executed")  # nothing to report until asked
    await bot.add_cog(Quiet())


@hookimpl
def zoryx_command_executed(bot, event):
    SEEN.append(event.name)
'''


async def test_a_paused_hook_is_not_called_until_resumed(
    discord_emulator: DiscordEmulator, bot_runner: Runner, tmp_path: Path
) -> None:
    emu = discord_emulator
    member = emu.create_user("member")
    guild = emu.create_guild("Pause", members=[member])
    channel = emu.channel_named(guild, "general")
    (tmp_path / "extensions").mkdir()
    (tmp_path / "extensions" / "quiet.py").write_text(QUIET_EXTENSION)
    bot = make_zoryx_bot(tmp_path, plugins=["quiet"], config={"cooldowns.default_rate": 0})
    await bot_runner(bot)
    plugin = bot.plugins.context("quiet")
    seen = plugin.module.SEEN  # type: ignore[union-attr]

    assert not bot.plugins.hooks.implemented("zoryx_command_executed")
    assert bot.plugins.hooks.paused("quiet") == ["zoryx_command_executed"]
    assert (await emu.converse(channel, member, "!hush")).content == "shh"
    assert seen == []

    plugin.resume_hook("zoryx_command_executed")
    assert (await emu.converse(channel, member, "!hush")).content == "shh"
    for _ in range(250):  # the command completes just after its reply is sent
        if seen:
            break
        await asyncio.sleep(0.02)
    assert seen == ["hush"]

    refused = "'zoryx_setup' is not a hook that can be paused; these can: .*zoryx_command_executed"
    with pytest.raises(ValueError, match=refused):
        plugin.pause_hook("zoryx_setup")
    with pytest.raises(ValueError, match="'on_message' is not a hook"):
        plugin.pause_hook("on_message")

    plugin.pause_hook("zoryx_command_executed")
    await bot.plugins.unload("quiet")
    assert bot.plugins.hooks.paused("quiet") == []  # forgotten with the plugin
