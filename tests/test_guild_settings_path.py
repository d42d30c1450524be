"""The message path's server settings: a server with nothing stored costs no database (reading its
settings creates none), a settings refresh past the cache's TTL opens no connection when nothing
was written, a write by another process sharing the data folder still applies after the TTL, and
a cached server's commands make no database operation at all, on SQLite and on PostgreSQL. Real
bot, real SQLite files, a real PostgreSQL server, the emulator over sockets."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from zoryx_core import ZoryxBot
from zoryx_core.storage import Storage, StorageOptions
from zoryx_core.testing import DiscordEmulator
from zoryx_core.testing.zoryx_bots import make_zoryx_bot

Runner = Callable[..., Awaitable[Any]]

PING_EXTENSION = '''
from discord.ext import commands


class Ping(commands.Cog):
    @commands.command()
    async def ping(self, ctx):
        await ctx.send("pong")


async def setup(bot):
    await bot.add_cog(Ping())
'''


def _bot(home: Path, owner_id: int, *, cooldown: bool = False, **options: Any) -> ZoryxBot:
    (home / "extensions").mkdir(parents=True, exist_ok=True)
    (home / "extensions" / "ping.py").write_text(PING_EXTENSION)
    config = {} if cooldown else {"cooldowns.default_rate": 0}
    config.update(options.pop("config", {}))
    return make_zoryx_bot(home, owner_id=owner_id, config=config, **options)


async def _until(condition: Callable[[], bool], what: str, limit: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + limit
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def test_servers_never_written_to_get_no_database(
    discord_emulator: DiscordEmulator, bot_runner: Runner, tmp_path: Path
) -> None:
    emu = discord_emulator
    owner, member = emu.create_user("owner"), emu.create_user("member")
    guilds = [emu.create_guild(f"Quiet {n}", members=[owner, member]) for n in range(6)]
    bot = _bot(tmp_path, owner.id)
    await bot_runner(bot)

    for guild in guilds:
        channel = emu.channel_named(guild, "general")
        await emu.send_message(channel, member, "just chatting")
        assert (await emu.converse(channel, member, "!ping")).content == "pong"

    for guild in guilds:
        assert not bot.storage.guild_db_path(guild.id).exists(), "reading settings created a database"
    stats = bot.guild_configs.stats()
    assert stats["misses"] >= len(guilds) and stats["reads"] == 0  # no database was even queried

    # The first write creates the database; the settings apply at once.
    first = emu.channel_named(guilds[0], "general")
    assert "?" in (await emu.converse(first, owner, "!setprefix ?")).embeds[0]["description"]
    assert bot.storage.guild_db_path(guilds[0].id).exists()
    assert (await emu.converse(first, member, "?ping")).content == "pong"


async def test_a_settings_refresh_opens_no_connection_unless_something_was_written(
    discord_emulator: DiscordEmulator, bot_runner: Runner, tmp_path: Path
) -> None:
    emu = discord_emulator
    owner, member = emu.create_user("owner"), emu.create_user("member")
    guild = emu.create_guild("Busy", members=[owner, member])
    channel = emu.channel_named(guild, "general")
    bot = _bot(tmp_path, owner.id)
    await bot_runner(bot)
    configs = bot.guild_configs
    configs.ttl = 0.2
    await emu.converse(channel, owner, "!setprefix ?")

    # One refresh reads the documents and notes the database's marker.
    await asyncio.sleep(0.25)
    reads = configs.reads
    assert (await emu.converse(channel, member, "?ping")).content == "pong"  # the stale entry serves
    await _until(lambda: configs.reads > reads, "the first refresh to read")

    # Idle connections are closed (as upkeep does): the checkpoint on closing moves the write into
    # the database file, which the next refresh reads once. After that nothing is written.
    await bot.storage.pool.close_idle(0)
    await asyncio.sleep(0.25)
    reads = configs.reads
    await emu.send_message(channel, member, "chatting")
    await _until(lambda: configs.reads > reads, "the refresh after the checkpoint")
    await bot.storage.pool.close_idle(0)
    opened = bot.storage.pool.opened_total
    for _ in range(3):
        await asyncio.sleep(0.25)
        unchanged = configs.unchanged
        assert (await emu.converse(channel, member, "?ping")).content == "pong"
        await _until(lambda: configs.unchanged > unchanged, "a refresh answered by the marker")  # noqa: B023
    assert bot.storage.pool.opened_total == opened, "a settings refresh reopened the database"
    assert not bot.storage.pool.has_connection(bot.storage.guild_db_path(guild.id))

    # Another process sharing the data folder changes the prefix: seen after the TTL.
    other = Storage(bot.storage.data_dir, StorageOptions(backup_on_shutdown=False))
    await other.open()
    try:
        await other.set("core", "prefix", "$", guild_id=guild.id)
    finally:
        await other.close()
    await asyncio.sleep(0.25)
    reads = configs.reads
    await emu.send_message(channel, member, "still chatting")  # served stale; starts the refresh
    await _until(lambda: configs.reads > reads, "the refresh to read the changed settings")
    assert (await emu.converse(channel, member, "$ping")).content == "pong"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_cached_servers_commands_make_no_database_operation(
    discord_emulator: DiscordEmulator,
    bot_runner: Runner,
    tmp_path: Path,
    backend: str,
    request: pytest.FixtureRequest,
) -> None:
    emu = discord_emulator
    owner = emu.create_user("owner")
    members = [emu.create_user(f"member{n}") for n in range(8)]
    guild = emu.create_guild("Cached", members=[owner, *members])
    channel = emu.channel_named(guild, "general")
    options: dict[str, Any] = {}
    if backend == "postgresql":
        dsn = request.getfixturevalue("postgres_dsn")
        schema = f"zoryx_t{secrets.token_hex(4)}"
        options = {
            "config": {"storage.backend": "postgresql", "storage.pg_schema": schema},
            "environ": {"ZORYX_DATABASE_URL": dsn},
        }
    # The default per-user cooldown stays on: each member runs the command twice.
    bot = _bot(tmp_path, owner.id, cooldown=True, **options)
    await bot_runner(bot)
    assert bot.storage.dialect == backend
    await emu.converse(channel, owner, "!setprefix ?")  # the server has settings stored
    assert (await emu.converse(channel, members[0], "?ping")).content == "pong"

    before = bot.storage.pool.stats()["operations"]  # READY's own writes are done (wait_until_settled)
    for member in members * 2:
        assert (await emu.converse(channel, member, "?ping")).content == "pong"
        await emu.send_message(channel, member, "and a chat line")
    assert (await emu.converse(channel, owner, "?ping")).content == "pong"  # the last line was read
    assert bot.storage.pool.stats()["operations"] == before
