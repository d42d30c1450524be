"""Hot reload with watchfiles: extension files edited, broken, added and deleted while the bot runs."""

from __future__ import annotations

import asyncio
import shutil
import site
import subprocess
import sys
import sysconfig
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from zoryx_core import PluginStatus, ZoryxBot
from zoryx_core.events import HotReloadResult
from zoryx_core.testing import Channel, DiscordEmulator, User

BotFactory = Callable[..., Awaitable[ZoryxBot]]
EXAMPLES = Path(__file__).parent.parent / "examples" / "extensions"


def extension(reply: str, command: str = "greet") -> str:
    return f'''
from discord.ext import commands


@commands.command(name="{command}")
async def answer(ctx):
    await ctx.send("{reply}")


async def setup(bot):
    bot.add_command(answer)
'''


async def wait_for_result(bot: ZoryxBot, count: int, timeout: float = 10.0) -> HotReloadResult:
    assert bot.reloader is not None
    deadline = time.monotonic() + timeout
    while len(bot.reloader.results) < count:
        assert time.monotonic() < deadline, f"no hot-reload result #{count} within {timeout} s"
        await asyncio.sleep(0.02)
    return bot.reloader.results[count - 1]


async def reply_to(emulator: DiscordEmulator, channel: Channel, user: User, text: str) -> str:
    return (await emulator.converse(channel, user, text)).content


async def test_edit_break_add_delete(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory, tmp_path: Path
) -> None:
    alice = discord_emulator.create_user("alice")
    guild = discord_emulator.create_guild("Reload", members=[alice])
    general = discord_emulator.channel_named(guild, "general")
    folder = tmp_path / "extensions"
    folder.mkdir()
    greet = folder / "greet.py"
    greet.write_text(extension("v1"))
    bot = await zoryx_bot(hot_reload=True, extensions_dir=folder, config={"hot_reload.debounce_ms": 50})
    assert bot.plugins.outcomes["greet"].status is PluginStatus.LOADED
    assert await reply_to(discord_emulator, general, alice, "!greet") == "v1"

    greet.write_text(extension("v2"))
    result = await wait_for_result(bot, 1)
    assert (result.plugin, result.action, result.ok) == ("greet", "reload", True)
    assert await reply_to(discord_emulator, general, alice, "!greet") == "v2"

    greet.write_text(extension("v3") + "\ndef broken(:\n")
    result = await wait_for_result(bot, 2)
    assert (result.action, result.ok) == ("reload", False)
    assert result.error is not None and "SyntaxError" in result.error and "greet.py, line" in result.error
    outcome = bot.plugins.outcomes["greet"]
    assert outcome.status is PluginStatus.LOADED and outcome.last_reload_error == result.error
    assert await reply_to(discord_emulator, general, alice, "!greet") == "v2"

    (folder / "extra stuff.py").write_text(extension("extra", command="extra"))
    result = await wait_for_result(bot, 3)
    assert (result.plugin, result.action, result.ok) == ("extra_stuff", "load", True)
    assert await reply_to(discord_emulator, general, alice, "!extra") == "extra"

    (folder / "extra stuff.py").unlink()
    result = await wait_for_result(bot, 4)
    assert (result.plugin, result.action, result.ok) == ("extra_stuff", "unload", True)
    assert "extra" not in bot.all_commands
    assert bot.plugins.outcomes["extra_stuff"].status is PluginStatus.UNLOADED


async def test_plain_discordpy_extension_loads_unchanged(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory, tmp_path: Path
) -> None:
    alice = discord_emulator.create_user("alice")
    guild = discord_emulator.create_guild("Dice", members=[alice])
    general = discord_emulator.channel_named(guild, "general")
    folder = tmp_path / "extensions"
    folder.mkdir()
    shutil.copy(EXAMPLES / "dice.py", folder / "dice roller.py")
    bot = await zoryx_bot(extensions_dir=folder, plugins=["dice_roller"])
    assert bot.plugins.outcomes["dice_roller"].status is PluginStatus.LOADED
    reply = await reply_to(discord_emulator, general, alice, "!roll 20")
    assert reply.startswith("🎲 ") and reply.endswith("(d20)")
    await bot.plugins.unload("dice_roller")
    assert bot.get_cog("Dice") is None and "roll" not in bot.all_commands


async def test_reload_of_a_distribution_keeps_serving(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory, test_plugins: Path
) -> None:
    alice = discord_emulator.create_user("alice")
    guild = discord_emulator.create_guild("Dist", members=[alice])
    general = discord_emulator.channel_named(guild, "general")
    bot = await zoryx_bot(plugins=["zoryx-test-recorder"])
    before = bot.plugins.context("zoryx-test-recorder").module
    outcome = await bot.plugins.reload("zoryx-test-recorder")
    assert outcome.status is PluginStatus.LOADED and outcome.last_reload_error is None
    assert bot.plugins.context("zoryx-test-recorder").module is not before
    assert await reply_to(discord_emulator, general, alice, "!recping") == "recpong"
    assert len([c for c in bot.cogs if c == "Recorder"]) == 1


EDITABLE_PYPROJECT = """
[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "zoryx-edit"
version = "1.0.0"
dependencies = ["zoryx-core"]

[project.entry-points."zoryx.plugins"]
zoryx-edit = "zoryx_edit"
"""


def editable_module(reply: str) -> str:
    return f'''
from discord.ext import commands

from zoryx_core import hookimpl


@commands.command(name="edit")
async def edit(ctx):
    await ctx.send("{reply}")


@hookimpl
def zoryx_setup(bot):
    bot.add_command(edit)
'''


async def test_editable_plugin_sources_are_watched(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "zoryx-edit"
    package = project / "src" / "zoryx_edit"
    package.mkdir(parents=True)
    (project / "pyproject.toml").write_text(EDITABLE_PYPROJECT)
    (package / "__init__.py").write_text(editable_module("first"))
    prefix = tmp_path / "prefix"
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation"]
    install = [*command, "--prefix", str(prefix), "-e", str(project)]
    await asyncio.to_thread(subprocess.run, install, check=True, capture_output=True)
    monkeypatch.setattr(sys, "path", list(sys.path))
    site.addsitedir(sysconfig.get_path("purelib", vars={"base": str(prefix), "platbase": str(prefix)}))
    monkeypatch.delitem(sys.modules, "zoryx_edit", raising=False)

    alice = discord_emulator.create_user("alice")
    guild = discord_emulator.create_guild("Editable", members=[alice])
    general = discord_emulator.channel_named(guild, "general")
    bot = await zoryx_bot(plugins=["zoryx-edit"], hot_reload=True, config={"hot_reload.debounce_ms": 50})
    spec = bot.plugins.outcomes["zoryx-edit"].spec
    assert spec.editable and spec.path == project.resolve()
    assert await reply_to(discord_emulator, general, alice, "!edit") == "first"

    (package / "__init__.py").write_text(editable_module("second"))
    result = await wait_for_result(bot, 1)
    assert (result.plugin, result.action, result.ok) == ("zoryx-edit", "reload", True)
    assert await reply_to(discord_emulator, general, alice, "!edit") == "second"


async def test_the_sandbox_line_for_each_reload_names_time_file_and_line(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory, tmp_path: Path
) -> None:
    from zoryx_core.sandbox.reload_report import reload_line

    folder = tmp_path / "extensions"
    folder.mkdir()
    greet = folder / "greet.py"
    greet.write_text(extension("v1"))
    bot = await zoryx_bot(hot_reload=True, extensions_dir=folder, config={"hot_reload.debounce_ms": 50})
    assert bot.reloader is not None
    shown: list[str] = []
    bot.reloader.listeners.append(lambda result: shown.append(reload_line(result).plain))

    greet.write_text(extension("v2"))
    await wait_for_result(bot, 1)
    assert shown[-1].startswith("↻ reloaded greet in ") and shown[-1].endswith(" ms (greet.py)"), shown

    greet.write_text(extension("v3") + "\ndef broken(:\n")
    await wait_for_result(bot, 2)
    assert shown[-1].startswith("✗ reload of greet failed after "), shown
    assert "SyntaxError" in shown[-1] and "(greet.py, line " in shown[-1]
    assert shown[-1].endswith("the previous version keeps serving")

    greet.write_text(extension("v4").replace("bot.add_command(answer)", "bot.add_command(answr)"))
    await wait_for_result(bot, 3)
    assert "NameError" in shown[-1] and "(greet.py, line " in shown[-1], shown[-1]
