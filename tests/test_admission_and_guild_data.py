"""Two plugin contracts of the core end to end: ``zoryx_admit_app_command`` (a plugin keeps an
application command out of the tree; a hybrid stays a prefix command with its checks) and
``zoryx_export_guild_data`` / ``zoryx_import_guild_data`` (server data carried by backups)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from zoryx_core import ZoryxBot
from zoryx_core.testing import DiscordEmulator
from zoryx_core.testing.zoryx_bots import make_zoryx_bot

Runner = Callable[..., Awaitable[Any]]

GATE_EXTENSION = '''
from zoryx_core import hookimpl

ASKED = []


@hookimpl
def zoryx_setup(bot, plugin):
    """Nothing to set up: this plugin only answers the admission hook."""


@hookimpl
def zoryx_admit_app_command(bot, command, plugin, guild_ids):
    ASKED.append((command.name, plugin, guild_ids))
    return False if command.name.startswith("quiet") else None
'''

COMMANDS_EXTENSION = '''
from discord.ext import commands
from zoryx_core import owner_only


class Pings(commands.Cog):
    @commands.hybrid_command()
    async def loudping(self, ctx):
        """Answers by prefix and by slash."""
        await ctx.send("loud pong")

    @commands.hybrid_command()
    @owner_only()
    async def quietping(self, ctx):
        """Kept out of the tree by the gate: prefix only, owners only."""
        await ctx.send("quiet pong")


async def setup(bot):
    await bot.add_cog(Pings())
'''

GUILD_SCOPED_EXTENSION = '''
import os

import discord
from discord import app_commands


@app_commands.command()
@app_commands.guilds(int(os.environ["SCOPED_GUILD"]))
async def localping(interaction: discord.Interaction) -> None:
    """Only in one server."""
    await interaction.response.send_message("local pong")


async def setup(bot):
    bot.tree.add_command(localping)
'''

FILL_THE_TREE_EXTENSION = '''
import discord
from discord import app_commands


def make(name):
    async def callback(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(name)

    return app_commands.Command(name=name, description="filler", callback=callback)


async def setup(bot):
    free = 100 - len(bot.tree.get_commands(type=discord.AppCommandType.chat_input))
    for index in range(free):
        bot.tree.add_command(make(f"filler{index}"))
'''

ONE_MORE_EXTENSION = '''
from discord.ext import commands


class OneMore(commands.Cog):
    @commands.hybrid_command()
    async def onemore(self, ctx):
        """The 101st."""
        await ctx.send("one more")


async def setup(bot):
    await bot.add_cog(OneMore())
'''

KEEPER_EXTENSION = '''
from zoryx_core import hookimpl

IMPORTED = []


@hookimpl
def zoryx_setup(bot, plugin):
    """Nothing to set up: this plugin only keeps server data."""


@hookimpl
def zoryx_export_guild_data(bot, guild_id):
    return {"welcome": f"hello {guild_id}"}


@hookimpl
def zoryx_import_guild_data(bot, guild_id, data, id_map):
    if "welcome" not in data:
        raise ValueError("no welcome text in the backup")
    IMPORTED.append((guild_id, data, dict(id_map)))
    return "welcome text restored"
'''


async def test_a_refused_hybrid_command_stays_a_prefix_command_with_its_checks(
    discord_emulator: DiscordEmulator, bot_runner: Runner, tmp_path: Path
) -> None:
    emu = discord_emulator
    boss, member = emu.create_user("boss"), emu.create_user("member")
    guild = emu.create_guild("Gate", members=[boss, member])
    channel = emu.channel_named(guild, "general")
    (tmp_path / "extensions").mkdir()
    (tmp_path / "extensions" / "a_gate.py").write_text(GATE_EXTENSION)
    (tmp_path / "extensions" / "b_pings.py").write_text(COMMANDS_EXTENSION)
    bot: ZoryxBot = make_zoryx_bot(tmp_path, owner_id=boss.id, config={"cooldowns.default_rate": 0})
    await bot_runner(bot)
    await bot.tree.sync()

    synced = {c.name for c in emu.state.global_commands.values()}
    assert "loudping" in synced and "quietping" not in synced
    assert bot.tree.get_command("quietping") is None
    assert bot.get_command("quietping") is not None

    gate = bot.plugins.context("a_gate").module
    assert ("quietping", "b_pings", (None,)) in gate.ASKED
    assert ("loudping", "b_pings", (None,)) in gate.ASKED

    assert (await emu.converse(channel, boss, "!quietping")).content == "quiet pong"
    refused = await emu.converse(channel, member, "!quietping")
    assert "owners only" in refused.embeds[0]["description"]
    assert (await emu.run_slash("loudping", channel=channel, user=member)).content == "loud pong"

    # Unloading the plugin removes the prefix command; the refused slash form was never there.
    await bot.plugins.unload("b_pings")
    assert bot.get_command("quietping") is None and bot.tree.get_command("loudping") is None


async def test_guild_scoped_commands_are_asked_about_and_removed_for_their_guild(
    discord_emulator: DiscordEmulator, bot_runner: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = discord_emulator
    guild = emu.create_guild("Scoped")
    monkeypatch.setenv("SCOPED_GUILD", str(guild.id))
    (tmp_path / "extensions").mkdir()
    (tmp_path / "extensions" / "a_gate.py").write_text(GATE_EXTENSION)
    (tmp_path / "extensions" / "b_scoped.py").write_text(GUILD_SCOPED_EXTENSION)
    bot: ZoryxBot = make_zoryx_bot(tmp_path)
    await bot_runner(bot)
    gate = bot.plugins.context("a_gate").module
    assert ("localping", "b_scoped", (guild.id,)) in gate.ASKED
    assert bot.tree.get_command("localping", guild=guild) is not None
    await bot.plugins.unload("b_scoped")
    assert bot.tree.get_command("localping", guild=guild) is None


async def test_a_hybrid_refused_by_a_full_tree_leaves_no_prefix_command_behind(
    discord_emulator: DiscordEmulator, bot_runner: Runner, tmp_path: Path
) -> None:
    discord_emulator.create_guild("Full")
    (tmp_path / "extensions").mkdir()
    (tmp_path / "extensions" / "a_fill.py").write_text(FILL_THE_TREE_EXTENSION)
    (tmp_path / "extensions" / "b_more.py").write_text(ONE_MORE_EXTENSION)
    bot: ZoryxBot = make_zoryx_bot(tmp_path)
    await bot_runner(bot)
    outcome = bot.plugins.outcomes["b_more"]
    assert outcome.status.value == "failed" and "CommandLimitReached" in outcome.reason
    assert bot.get_command("onemore") is None, "the prefix half of the refused hybrid must go too"
    await bot.plugins.unload("a_fill")
    assert (await bot.plugins.load("b_more")).status.value == "loaded"
    assert bot.get_command("onemore") is not None and bot.tree.get_command("onemore") is not None


async def test_guild_data_round_trips_through_export_and_import(
    discord_emulator: DiscordEmulator, bot_runner: Runner, tmp_path: Path
) -> None:
    emu = discord_emulator
    owner, member = emu.create_user("owner"), emu.create_user("member")
    guild = emu.create_guild("Data", owner=owner, members=[member])
    channel = emu.channel_named(guild, "general")
    helpers = emu.create_role(guild, "Helpers")
    (tmp_path / "extensions").mkdir()
    (tmp_path / "extensions" / "keeper.py").write_text(KEEPER_EXTENSION)
    bot: ZoryxBot = make_zoryx_bot(tmp_path, config={"cooldowns.default_rate": 0})
    await bot_runner(bot)

    await emu.converse(channel, owner, "!setprefix ?")
    await emu.converse(channel, owner, f"?config serversettings <@&{helpers.id}>")
    data, failures = await bot.plugins.export_guild_data(guild.id)
    assert failures == {}
    assert data["keeper"] == {"welcome": f"hello {guild.id}"}
    assert data["core.guild"] == {
        "prefix": "?",
        "mention_prefix": None,
        "grants": {"serversettings": [helpers.id]},
    }

    # The server is reset; the role was recreated with a new id.
    await bot.guild_configs.replace(guild.id, prefix=None, mention_prefix=None, grants={})
    new_helpers = emu.create_role(guild, "Helpers")
    report = await bot.plugins.import_guild_data(
        guild.id, {**data, "ghost": {"x": 1}}, {helpers.id: new_helpers.id}
    )
    assert report["core.guild"] == (True, "prefix ?, mention prefix default, 1 grant")
    assert report["keeper"] == (True, "welcome text restored")
    assert report["ghost"] == (False, "skipped: the plugin is not loaded")
    config = await bot.guild_configs.get(guild.id)
    assert config.prefix == "?" and config.grants == {"serversettings": (new_helpers.id,)}
    reply = await emu.converse(channel, owner, "?setprefix default")
    assert reply.embeds[0]["title"] == "✅ Prefix reset", "the restored prefix answers at once"

    bad = await bot.plugins.import_guild_data(guild.id, {"keeper": {}, "core.guild": {"prefix": 7}}, {})
    assert bad["keeper"] == (False, "ValueError: no welcome text in the backup")
    ok, why = bad["core.guild"]
    assert not ok and "prefix 7 cannot be restored" in why


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ("not an object", "server settings must be an object"),
        ({"prefix": "a b"}, "cannot contain spaces"),
        ({"mention_prefix": "yes"}, "mention_prefix must be true, false or null"),
        ({"grants": {"config": ["x"]}}, "must be a list of role ids"),
    ],
)
async def test_core_guild_import_names_what_is_wrong(
    discord_emulator: DiscordEmulator, bot_runner: Runner, tmp_path: Path, data: Any, problem: str
) -> None:
    guild = discord_emulator.create_guild("Bad data")
    bot: ZoryxBot = make_zoryx_bot(tmp_path, no_plugins=True)
    await bot_runner(bot)
    report = await bot.plugins.import_guild_data(guild.id, {"core.guild": data}, {})
    ok, why = report["core.guild"]
    assert not ok and problem in why
    assert (await bot.guild_configs.get(guild.id)).prefix is None
