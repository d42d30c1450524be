"""Commands that share a name: a plugin's command takes the place of a built-in one (which comes
back when the plugin is unloaded); two plugins with the same command fail the later one, naming
both. The extensions are written the way community cogs for discord.py are."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from rich.console import Console

from zoryx_core import PluginStatus, ZoryxBot
from zoryx_core.panel import startup_panel
from zoryx_core.testing import DiscordEmulator

BotFactory = Callable[..., Awaitable[ZoryxBot]]

COMMUNITY_COG = '''
import discord
from discord import app_commands
from discord.ext import commands


class Utility(commands.Cog):
    """A community cog that brings its own help, sync and stats."""

    def __init__(self, bot):
        self.bot = bot

    @commands.command(name="help")
    async def help_(self, ctx, *, topic: str = ""):
        await ctx.send(f"utility help {topic}".strip())

    @commands.command()
    @commands.is_owner()
    async def sync(self, ctx):
        synced = await self.bot.tree.sync()
        await ctx.send(f"utility synced {len(synced)}")

    @commands.hybrid_command()
    async def stats(self, ctx):
        await ctx.send("utility stats")

    @app_commands.command(name="about")
    async def about(self, interaction: discord.Interaction):
        await interaction.response.send_message("utility about")


async def setup(bot):
    await bot.add_cog(Utility(bot))
'''

GREETER = """
from discord.ext import commands


class {cls}(commands.Cog):
    @commands.command()
    async def greet(self, ctx):
        await ctx.send("{reply}")


async def setup(bot):
    await bot.add_cog({cls}())
"""


def _extensions(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "extensions"
    folder.mkdir(exist_ok=True)
    for name, source in files.items():
        (folder / f"{name}.py").write_text(source)
    return folder


async def test_a_plugin_command_takes_the_place_of_a_builtin_and_gives_it_back(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory, tmp_path: Path
) -> None:
    emu = discord_emulator
    boss, member = emu.create_user("boss"), emu.create_user("member")
    guild = emu.create_guild("Overrides", owner=boss, members=[member])
    general = emu.channel_named(guild, "general")
    bot = await zoryx_bot(
        extensions_dir=_extensions(tmp_path, utility=COMMUNITY_COG),
        plugins=["utility"],
        owner_id=boss.id,
        config={"cooldowns.default_rate": 0},
    )
    assert bot.plugins.outcomes["utility"].status is PluginStatus.LOADED, bot.plugins.outcomes["utility"]
    assert set(bot.command_overrides.set_aside) == {"help", "sync", "stats", "about"}
    await bot.tree.sync()

    assert (await emu.converse(general, member, "!help")).content == "utility help"
    assert (await emu.converse(general, boss, "!sync")).content.startswith("utility synced")
    assert (await emu.converse(general, member, "!stats")).content == "utility stats"
    assert (await emu.run_slash("stats", channel=general, user=member)).content == "utility stats"
    assert (await emu.run_slash("about", channel=general, user=member)).content == "utility about"
    # The built-in `about` went with its slash form, its prefix form and its alias.
    assert bot.get_command("about") is None and bot.get_command("discordbotframework") is None

    listing = await emu.converse(general, boss, "!plugins")
    text = " ".join(f["value"] for f in listing.embeds[0]["fields"])
    assert "`help` set aside: utility has its own" in text
    info = await emu.converse(general, boss, "!plugininfo utility")
    fields = {f["name"]: f["value"] for f in info.embeds[0]["fields"]}
    assert "its `stats` takes the place of the built-in one" in fields["Commands set aside"]
    console = Console(record=True, width=200)
    console.print(startup_panel(bot, 0.1))
    assert "built-in `help` (core.help) set aside: utility has its own" in console.export_text()

    outcome = await bot.plugins.unload("utility")
    assert outcome.status is PluginStatus.UNLOADED
    assert bot.command_overrides.set_aside == {}
    assert (await emu.converse(general, member, "!help")).embeds, "the built-in help is back"
    assert "Zoryx" in (await emu.converse(general, member, "!about")).embeds[0]["title"]
    await bot.tree.sync()
    assert "Zoryx" in (await emu.run_slash("about", channel=general, user=member)).embeds[0]["title"]


async def test_the_same_command_in_two_plugins_fails_the_later_naming_both(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory, tmp_path: Path
) -> None:
    emu = discord_emulator
    boss = emu.create_user("boss")
    general = emu.channel_named(emu.create_guild("Clash", owner=boss), "general")
    folder = _extensions(
        tmp_path,
        first=GREETER.format(cls="First", reply="hello from first"),
        second=GREETER.format(cls="Second", reply="hello from second"),
    )
    bot = await zoryx_bot(
        extensions_dir=folder,
        plugins=["first", "second"],
        owner_id=boss.id,
        config={"cooldowns.default_rate": 0},
    )
    outcomes = bot.plugins.outcomes
    failed = [o for o in (outcomes["first"], outcomes["second"]) if o.status is PluginStatus.FAILED]
    loaded = [o for o in (outcomes["first"], outcomes["second"]) if o.status is PluginStatus.LOADED]
    assert len(failed) == 1 and len(loaded) == 1, outcomes
    reason = failed[0].reason
    assert f"`greet` of {failed[0].name}" in reason and f"`greet` of plugin {loaded[0].name}" in reason, (
        reason
    )
    assert (await emu.converse(general, boss, "!greet")).content == f"hello from {loaded[0].name}"
    info = await emu.converse(general, boss, f"!plugininfo {failed[0].name}")
    fields = {f["name"]: f["value"] for f in info.embeds[0]["fields"]}
    assert loaded[0].name in fields["Reason"] and "greet" in fields["Reason"]


def test_the_sandbox_loads_a_cog_with_its_own_help_and_sync_and_shows_what_was_set_aside(
    tmp_path: Path,
) -> None:
    _extensions(
        tmp_path,
        utility=COMMUNITY_COG,
        first=GREETER.format(cls="First", reply="hello from first"),
        second=GREETER.format(cls="Second", reply="hello from second"),
    )
    (tmp_path / "demo.txt").write_text("!help\n!sync\n/stats\n!greet\n")
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("ZORYX_", "DISCORD_", "BOT_OWNER"))}
    result = subprocess.run(
        [sys.executable, "-m", "zoryx_core.cli", "sandbox", "--script", "demo.txt", "--home", "home"],
        cwd=tmp_path,
        env=environ | {"COLUMNS": "250", "ZORYX_PLUGINS__ENABLED": "utility,first,second"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "built-in `help` (core.help) set aside: utility has its own" in out
    assert "built-in `sync` (core.plugins) set aside: utility has its own" in out
    # the panel's table wraps the reason over several lines
    assert "second (extension)" in out and "CommandClash: the" in out and "`greet` of plugin" in out
    assert "utility help" in out and "utility synced" in out and "utility stats" in out
    assert "hello from first" in out and "(no reply)" not in out
