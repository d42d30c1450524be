"""Built-in behaviour end to end: prefixes, the error handler, cooldowns, the registry, data
deletion, maintenance tools and presence."""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from discord.ext import commands

from zoryx_core import ZoryxBot
from zoryx_core.cooldowns import PerUserCooldown
from zoryx_core.testing import Channel, DiscordEmulator, Guild, User
from zoryx_core.testing.zoryx_bots import make_zoryx_bot

BotFactory = Callable[..., Awaitable[ZoryxBot]]
Runner = Callable[..., Awaitable[Any]]

FAILING_EXTENSION = '''
from discord.ext import commands


class Failing(commands.Cog):
    @commands.hybrid_command()
    async def explode(self, ctx):
        """Always fails."""
        raise RuntimeError("kaboom in explode")

    @commands.command()
    async def handled(self, ctx):
        raise RuntimeError("handled locally")

    @handled.error
    async def handled_error(self, ctx, error):
        await ctx.send("my own handler saw it")

    @commands.command()
    async def needsint(self, ctx, number: int):
        await ctx.send(f"got {number}")


async def setup(bot):
    await bot.add_cog(Failing())
'''


@pytest.fixture
def people(discord_emulator: DiscordEmulator) -> tuple[Guild, Channel, User, User, User]:
    emu = discord_emulator
    boss, owner, plain = emu.create_user("boss"), emu.create_user("gowner"), emu.create_user("plain")
    guild = emu.create_guild("Core", owner=owner, members=[boss, plain])
    return guild, emu.channel_named(guild, "general"), boss, owner, plain


async def _no_reply(emu: DiscordEmulator, channel: Channel, user: User, text: str) -> None:
    sent = await emu.send_message(channel, user, text)
    with pytest.raises(TimeoutError):
        await emu.wait_for_message(channel, after=sent, timeout=0.6)


async def test_setprefix_applies_to_the_next_message(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory, people: tuple[Guild, Channel, User, User, User]
) -> None:
    emu = discord_emulator
    _, channel, _, owner, plain = people
    await zoryx_bot(no_plugins=True, config={"cooldowns.default_rate": 0})
    too_long = await emu.converse(channel, owner, "!setprefix abcdef")
    assert "1 to 5 characters" in too_long.embeds[0]["description"]
    reply = await emu.converse(channel, owner, "!setprefix ?")
    assert "`?`" in reply.embeds[0]["description"]
    assert (await emu.converse(channel, plain, "?about")).embeds  # the very next message
    await _no_reply(emu, channel, plain, "!about")
    assert (await emu.converse(channel, plain, "?ABOUT")).embeds  # commands are case-insensitive
    await emu.converse(channel, owner, "?setprefix default")
    assert (await emu.converse(channel, plain, "!about")).embeds
    await _no_reply(emu, channel, plain, "?about")


async def test_mention_prefix_toggle(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory, people: tuple[Guild, Channel, User, User, User]
) -> None:
    emu = discord_emulator
    _, channel, _, owner, plain = people
    await zoryx_bot(no_plugins=True, config={"cooldowns.default_rate": 0})
    mention = f"<@{emu.bot_user.id}>"
    assert (await emu.converse(channel, plain, f"{mention} about")).embeds
    status = await emu.converse(channel, owner, "!mentionprefix status")
    assert "On (the global default)" in status.embeds[0]["description"]
    await emu.converse(channel, owner, "!mentionprefix disable")
    await _no_reply(emu, channel, plain, f"{mention} about")
    status = await emu.converse(channel, owner, "!mentionprefix status")
    assert "Off (this server's choice)" in status.embeds[0]["description"]
    await emu.converse(channel, owner, "!mentionprefix enable")
    assert (await emu.converse(channel, plain, f"{mention} about")).embeds


async def test_default_cooldown_shows_remaining_time_and_spares_owners(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory, people: tuple[Guild, Channel, User, User, User]
) -> None:
    emu = discord_emulator
    _, channel, boss, _, plain = people
    bot = await zoryx_bot(
        no_plugins=True, owner_id=boss.id, config={"cooldowns.default_rate": 1, "cooldowns.default_per": 60}
    )
    await bot.tree.sync()
    assert "Zoryx" in (await emu.converse(channel, plain, "!about")).embeds[0]["title"]
    slow = await emu.converse(channel, plain, "!about")
    assert "try again in" in slow.embeds[0]["description"]
    result = await emu.run_slash("about", channel=channel, user=plain)
    assert result.ephemeral and "try again in" in result.embeds[0]["description"]
    await emu.converse(channel, boss, "!about")
    assert "Zoryx" in (await emu.converse(channel, boss, "!about")).embeds[0]["title"]


PLAIN_EXTENSION = """
from discord.ext import commands


class Echo(commands.Cog):
    @commands.command()
    async def echo(self, ctx, *, text: str):
        await ctx.send(f"echo {text}")


async def setup(bot):
    await bot.add_cog(Echo())
"""


async def test_default_cooldown_gives_each_member_their_own_allowance(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory, tmp_path: Path
) -> None:
    """With the default settings (3 uses per 5 s, per user), five members using one command
    within the same period are each served their three uses; only a fourth use is refused."""
    emu = discord_emulator
    members = [emu.create_user(f"member{i}") for i in range(5)]
    guild = emu.create_guild("Busy", owner=emu.create_user("gowner"), members=members)
    channel = emu.channel_named(guild, "general")
    extensions = tmp_path / "extensions"
    extensions.mkdir()
    (extensions / "echo.py").write_text(PLAIN_EXTENSION)
    bot = await zoryx_bot(plugins=["echo"], extensions_dir=extensions)
    assert bot.settings["cooldowns.default_rate"] == 3 and bot.settings["cooldowns.default_per"] == 5.0
    await bot.tree.sync()
    for round_ in range(3):
        for member in members:
            reply = await emu.converse(channel, member, f"!echo {member.username} {round_}")
            assert reply.content == f"echo {member.username} {round_}", reply
    for member in members[:2]:
        about = await emu.run_slash("about", channel=channel, user=member)
        assert "Zoryx" in about.embeds[0]["title"]
    refused = await emu.converse(channel, members[0], "!echo once more")
    assert "try again in" in refused.embeds[0]["description"]
    # Another command has its own allowance, and so does every other member.
    assert "Zoryx" in (await emu.run_slash("about", channel=channel, user=members[4])).embeds[0]["title"]


def test_the_default_allowance_counts_as_discord_py_cooldowns_do() -> None:
    """The default cooldown's buckets (one call per use instead of discord.py's two) give the
    same answers and keep the same state as discord.py's Cooldown, use after use."""
    mapping = PerUserCooldown(3, 5.0, lambda user_id: False)
    ours = mapping._cooldown
    assert ours is not None
    for seed in range(20):
        rng = random.Random(seed)
        theirs, mine = commands.Cooldown(3, 5.0), ours.copy()
        now = 1_700_000_000.0
        for _ in range(200):
            now += rng.choice((0.0, 0.1, 0.7, 1.9, 5.0, 5.01, 12.0))
            tokens = rng.choice((1, 1, 1, 2))
            assert mine.update_rate_limit(now, tokens=tokens) == theirs.update_rate_limit(now, tokens=tokens)
            assert (mine._tokens, mine._window, mine._last) == (theirs._tokens, theirs._window, theirs._last)
            assert mine.get_retry_after(now) == theirs.get_retry_after(now)
        assert type(mine.copy()) is type(mine)


async def test_one_error_handler_reports_each_error_once(
    discord_emulator: DiscordEmulator,
    bot_runner: Runner,
    tmp_path: Path,
    people: tuple[Guild, Channel, User, User, User],
    caplog: pytest.LogCaptureFixture,
) -> None:
    emu = discord_emulator
    _, channel, _, _, plain = people
    (tmp_path / "extensions").mkdir()
    (tmp_path / "extensions" / "failing.py").write_text(FAILING_EXTENSION)
    bot = make_zoryx_bot(
        tmp_path, no_plugins=False, config={"cooldowns.default_rate": 0, "errors.delete_after": 1}
    )
    await bot_runner(bot)
    await bot.tree.sync()
    caplog.set_level(logging.INFO, logger="zoryx.errors")

    sent = await emu.send_message(channel, plain, "!explode")
    reply = await emu.wait_for_message(channel, after=sent)
    assert "logged as" in reply.embeds[0]["description"]
    await asyncio.sleep(1.5)
    assert reply.id not in emu.state.messages[channel.id], "the error reply should delete itself"
    replies = [m for m in emu.messages_in(channel) if m.id > sent.id and m.author_id == emu.bot_user.id]
    assert replies == [], "reported once, then deleted"
    tracebacks = [r for r in caplog.records if r.exc_info and "kaboom in explode" in str(r.exc_info[1])]
    assert len(tracebacks) == 1

    result = await emu.run_slash("explode", channel=channel, user=plain)
    assert result.ephemeral and "logged as" in result.embeds[0]["description"]
    assert len(result.followups) == 0

    sent = await emu.send_message(channel, plain, "!handled")
    local = await emu.wait_for_message(channel, after=sent)
    assert local.content == "my own handler saw it"
    with pytest.raises(TimeoutError):
        await emu.wait_for_message(channel, after=local, timeout=0.6)

    bad = await emu.converse(channel, plain, "!needsint seven")
    assert "Usage: `!needsint <number>`" in bad.embeds[0]["description"]
    assert bot.metrics.errors == 4  # explode twice, handled, needsint: each counted once


async def test_registry_view_and_persisted_json(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory, people: tuple[Guild, Channel, User, User, User]
) -> None:
    emu = discord_emulator
    _, channel, _, _, plain = people
    bot = await zoryx_bot(plugins=["zoryx-hello"], config={"cooldowns.default_rate": 0})
    info = await emu.converse(channel, plain, "!plugininfo zoryx-hello")
    fields = {f["name"]: f["value"] for f in info.embeds[0]["fields"]}
    assert fields["Status"] == "loaded" and fields["Version"]
    assert "`hello`" in fields["Commands"] and "setup" in fields["Hooks"]
    assert "ms" in fields["Load time"]
    unknown = await emu.converse(channel, plain, "!plugininfo zoryx-helo")
    assert "zoryx-hello" in unknown.embeds[0]["description"]
    listing = await emu.converse(channel, plain, "!plugins")
    text = json.dumps(listing.embeds)
    assert "core.info" in text and "zoryx-hello" in text
    registry = json.loads((bot.data_dir / "plugins.json").read_text())
    entries = {p["name"]: p for p in registry["plugins"]}
    assert entries["zoryx-hello"]["status"] == "loaded" and "hello" in entries["zoryx-hello"]["commands"]
    assert entries["core.help"]["kind"] == "builtin"


async def test_owner_loads_and_unloads_plugins_from_discord(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory, people: tuple[Guild, Channel, User, User, User]
) -> None:
    emu = discord_emulator
    _, channel, boss, _, plain = people
    bot = await zoryx_bot(plugins=["zoryx-hello"], owner_id=boss.id, config={"cooldowns.default_rate": 0})
    assert "unloaded" in (await emu.converse(channel, boss, "!unload zoryx-hello")).embeds[0]["title"]
    await _no_reply(emu, channel, plain, "!hello")
    registry = json.loads((bot.data_dir / "plugins.json").read_text())
    assert {p["name"]: p["status"] for p in registry["plugins"]}["zoryx-hello"] == "unloaded"
    assert "loaded" in (await emu.converse(channel, boss, "!load zoryx-hello")).embeds[0]["title"]
    assert (await emu.converse(channel, plain, "!hello")).content == "Hello, plain!"
    reload = await emu.converse(channel, boss, "!reload zoryx-hello")
    assert "reloaded" in reload.embeds[0]["title"]
    refused = await emu.converse(channel, boss, "!unload core.nothing")
    assert "Cannot unload" in refused.embeds[0]["title"]


async def test_mydata_forget_runs_the_deletion_hook(
    discord_emulator: DiscordEmulator,
    zoryx_bot: BotFactory,
    people: tuple[Guild, Channel, User, User, User],
    test_plugins: Path,
) -> None:
    emu = discord_emulator
    guild, channel, _, _, plain = people
    bot = await zoryx_bot(
        plugins=["zoryx-test-recorder", "zoryx-test-second"], config={"cooldowns.default_rate": 0}
    )
    await bot.tree.sync()
    await bot.storage.set("notes", "favourite", "tea", user_id=plain.id)
    await bot.storage.set("notes", "nick", "p", guild_id=guild.id, user_id=plain.id)
    await bot.storage.set("notes", "favourite", "coffee", user_id=999)
    result = await emu.run_slash("mydata forget", channel=channel, user=plain)
    assert result.ephemeral
    message = result.message
    assert message is not None
    first = await emu.click(message, user=plain, label="Confirm")
    second = await emu.click(first.message or message, user=plain, label="Click again to confirm")
    assert second.response_type in (6, 7)
    report = (await result.wait_for_followup())[-1]
    text = report.embeds[0]["description"]
    assert f"forgot {plain.id}" in text and "2 stored records deleted" in text
    assert await bot.storage.get("notes", "favourite", user_id=plain.id) is None
    assert await bot.storage.get("notes", "favourite", user_id=999) == "coffee"


async def test_integritycheck_reports_a_corrupted_guild_database(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory, people: tuple[Guild, Channel, User, User, User]
) -> None:
    emu = discord_emulator
    guild, channel, boss, owner, _ = people
    bot = await zoryx_bot(no_plugins=True, owner_id=boss.id, config={"cooldowns.default_rate": 0})
    healthy = await emu.converse(channel, boss, "!integritycheck", timeout=15)
    assert "passed" in healthy.embeds[0]["title"], healthy.embeds
    await emu.converse(channel, owner, "!setprefix ?")  # writes the guild's database
    path = bot.storage.guild_db_path(guild.id)
    await bot.storage.pool.close_path(path)
    data = bytearray(path.read_bytes())
    data[100:4000] = b"\x13" * (min(len(data), 4000) - 100)
    path.write_bytes(bytes(data))
    broken = await emu.converse(channel, boss, "?integritycheck", timeout=15)
    assert "problem" in broken.embeds[0]["title"]
    names = [f["name"] for f in broken.embeds[0]["fields"]]
    assert any("guild.db" in n and "❌" in n for n in names), names


async def test_owner_tools_report_real_figures(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory, people: tuple[Guild, Channel, User, User, User]
) -> None:
    emu = discord_emulator
    _, channel, boss, _, _ = people
    await zoryx_bot(no_plugins=True, owner_id=boss.id, config={"cooldowns.default_rate": 0})
    atomic = await emu.converse(channel, boss, "!atomictest", timeout=15)
    assert "passed" in atomic.embeds[0]["title"]
    fields = {f["name"]: f["value"] for f in atomic.embeds[0]["fields"]}
    assert fields["10 concurrent updates"] == "✅" and fields["Write"].endswith("ms")
    cleanup = await emu.converse(channel, boss, "!cleanup")
    assert "idle database connections closed" in cleanup.embeds[0]["description"]
    stats = await emu.converse(channel, boss, "!cachestats")
    assert any(f["name"] == "JSON file cache" for f in stats.embeds[0]["fields"])
    backup = await emu.converse(channel, boss, "!dbstats backup")
    assert "Backup made" in backup.embeds[0]["title"]


async def test_presence_fills_placeholders_and_rotates(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory, people: tuple[Guild, Channel, User, User, User]
) -> None:
    emu = discord_emulator
    await zoryx_bot(
        no_plugins=True,
        config={
            "status.type": "playing",
            "status.text": "in {guilds} servers",
            "status.rotation": ["{users} users", "{commands} commands"],
            "status.rotation_seconds": 15,
        },
    )
    for _ in range(100):
        if emu.presences:
            break
        await asyncio.sleep(0.05)
    activity = emu.presences[0]["activities"][0]
    assert activity["name"] == "in 1 server" and activity["type"] == 0


async def test_data_of_a_guild_the_bot_left_is_cleaned_after_the_grace_period(
    discord_emulator: DiscordEmulator, zoryx_bot: BotFactory, people: tuple[Guild, Channel, User, User, User]
) -> None:
    emu = discord_emulator
    guild, channel, boss, owner, _ = people
    second = emu.create_guild("Second", owner=owner, members=[boss])
    bot = await zoryx_bot(
        no_plugins=True,
        owner_id=boss.id,
        config={"cooldowns.default_rate": 0, "storage.departed_guild_grace_hours": 0},
    )
    await emu.converse(emu.channel_named(second, "general"), owner, "!setprefix ?")
    await emu.converse(channel, owner, "!setprefix $")
    folder = bot.storage.guild_db_path(second.id).parent
    assert folder.exists()
    emu.remove_bot_from_guild(second)
    for _ in range(100):
        if bot.get_guild(second.id) is None:
            break
        await asyncio.sleep(0.05)
    report = await emu.converse(channel, boss, "$cleanup")
    assert "departed servers' data deleted: 1" in report.embeds[0]["description"]
    assert not folder.exists()
    assert bot.storage.guild_db_path(guild.id).exists()  # the guild the bot is still in keeps its data
    assert (await emu.converse(channel, boss, "$about")).embeds


SLASH_ONLY_EXTENSION = """
import discord
from discord import app_commands
from zoryx_core import owner_only, require_permissions


@app_commands.command(description="Owner-only slash command")
@owner_only()
async def vault(interaction: discord.Interaction) -> None:
    await interaction.response.send_message("vault opened")


@app_commands.command(description="Needs Manage Messages")
@require_permissions(manage_messages=True)
async def tidy(interaction: discord.Interaction) -> None:
    await interaction.response.send_message("tidied")


async def setup(bot):
    bot.tree.add_command(vault)
    bot.tree.add_command(tidy)
"""


async def test_plain_slash_commands_meet_the_same_check(
    discord_emulator: DiscordEmulator,
    bot_runner: Runner,
    tmp_path: Path,
    people: tuple[Guild, Channel, User, User, User],
) -> None:
    emu = discord_emulator
    _, channel, boss, owner, plain = people
    (tmp_path / "extensions").mkdir()
    (tmp_path / "extensions" / "slashy.py").write_text(SLASH_ONLY_EXTENSION)
    bot = make_zoryx_bot(tmp_path, owner_id=boss.id, config={"cooldowns.default_rate": 0})
    await bot_runner(bot)
    await bot.tree.sync()
    refused = await emu.run_slash("vault", channel=channel, user=owner)
    assert refused.ephemeral and "owners only" in refused.embeds[0]["description"]
    assert (await emu.run_slash("vault", channel=channel, user=boss)).content == "vault opened"
    denied = await emu.run_slash("tidy", channel=channel, user=plain)
    assert denied.ephemeral and "Manage Messages" in denied.embeds[0]["description"]
    assert (await emu.run_slash("tidy", channel=channel, user=owner)).content == "tidied"
    await emu.converse(channel, owner, "!config tidy @everyone")
    assert (await emu.run_slash("tidy", channel=channel, user=plain)).content == "tidied"


async def test_guild_config_reads_coalesce_and_stale_entries_refresh_later(tmp_path: Path) -> None:
    from zoryx_core.guild_config import GuildConfigs
    from zoryx_core.storage import Storage

    storage = Storage(tmp_path / "data")
    await storage.open()
    try:
        await storage.set("core", "prefix", "?", guild_id=42)
        configs = GuildConfigs(storage, ttl=0.2)
        reads = 0
        original = storage.items

        async def counting_items(*args: Any, **kwargs: Any) -> dict[str, Any]:
            nonlocal reads
            reads += 1
            return await original(*args, **kwargs)

        storage.items = counting_items  # type: ignore[method-assign]
        results = await asyncio.gather(*(configs.get(42) for _ in range(200)))
        assert {r.prefix for r in results} == {"?"} and reads == 1
        await storage.set("core", "prefix", "%", guild_id=42)  # written by another process
        await asyncio.sleep(0.25)
        assert (await configs.get(42)).prefix == "?"  # stale, served at once while refreshing
        await asyncio.sleep(0.05)
        assert (await configs.get(42)).prefix == "%" and reads == 2
        await configs.set_prefix(42, "$")
        assert (await configs.get(42)).prefix == "$"
    finally:
        await storage.close()
