"""SQLite: which servers have a database is read from one listing of ``data/guilds/`` (not a stat
per server), servers this process writes to count at once, and a database another process creates
is seen once the listing is older than its age limit. Real SQLite files; the last test runs a real
bot against the emulator."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from zoryx_core.storage import NO_DATA, Storage, StorageOptions
from zoryx_core.storage import base as storage_base
from zoryx_core.storage.guild_folders import list_guild_folders
from zoryx_core.testing import DiscordEmulator
from zoryx_core.testing.zoryx_bots import make_zoryx_bot

QUIET = StorageOptions(backup_on_shutdown=False)
Runner = Callable[..., Awaitable[Any]]

PING_EXTENSION = """
from discord.ext import commands


@commands.command()
async def ping(ctx):
    await ctx.send("pong")


async def setup(bot):
    bot.add_command(ping)
"""


@pytest.fixture
def file_stats(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every guild database whose files ``scope_version`` looked at."""
    looked: list[Path] = []
    original = storage_base._file_version

    def counted(path: Path) -> Any:
        looked.append(path)
        return original(path)

    monkeypatch.setattr(storage_base, "_file_version", counted)
    return looked


async def test_servers_without_a_folder_are_answered_from_one_listing(
    tmp_path: Path, file_stats: list[Path]
) -> None:
    store = Storage(tmp_path / "data", QUIET)
    await store.open()
    try:
        await store.set("core", "prefix", "?", guild_id=1)
        versions = await asyncio.gather(*(store.scope_version(guild_id) for guild_id in range(2, 202)))
        assert set(versions) == {NO_DATA}
        assert file_stats == [], "a server without a folder had its files looked at"
        assert store.guild_folders.listings == 1  # 200 concurrent questions, one listing
        stored = await store.scope_version(1)
        assert stored != NO_DATA and stored is not None
        assert file_stats == [store.guild_db_path(1)]
        assert not (tmp_path / "data" / "guilds" / "2").exists()  # asking created nothing
    finally:
        await store.close()


async def test_a_server_written_after_the_listing_counts_at_once(tmp_path: Path) -> None:
    store = Storage(tmp_path / "data", QUIET)
    await store.open()
    try:
        assert await store.scope_version(7) == NO_DATA  # the listing is taken now
        await store.set("core", "prefix", "?", guild_id=7)
        assert await store.scope_version(7) not in (NO_DATA, None)
        assert store.guild_folders.listings == 1
    finally:
        await store.close()


async def test_another_process_database_is_seen_once_the_listing_has_aged(tmp_path: Path) -> None:
    store = Storage(tmp_path / "data", QUIET)
    other = Storage(tmp_path / "data", QUIET)  # another process sharing the data folder
    await store.open()
    await other.open()
    try:
        store.guild_folders.max_age = 0.3
        assert await store.scope_version(9) == NO_DATA
        await other.set("core", "prefix", "$", guild_id=9)
        assert await store.scope_version(9) == NO_DATA  # the listing is younger than its limit
        await asyncio.sleep(0.35)
        assert await store.scope_version(9) not in (NO_DATA, None)
        assert store.guild_folders.listings == 2
    finally:
        await other.close()
        await store.close()


def test_the_listing_reads_only_numbered_folders(tmp_path: Path) -> None:
    guilds = tmp_path / "guilds"
    for name in ("12", "345", "notes", "-4"):
        (guilds / name).mkdir(parents=True)
    (guilds / "678").write_text("a file, not a folder")
    assert list_guild_folders(guilds) == frozenset({12, 345})
    assert list_guild_folders(tmp_path / "missing") == frozenset()


async def test_a_prefix_another_process_sets_in_a_never_written_server_is_used(
    discord_emulator: DiscordEmulator, bot_runner: Runner, tmp_path: Path
) -> None:
    """The bot has read the server's settings (none stored) from the listing; another process then
    stores a prefix there: after the settings cache's and the listing's ages the bot uses it."""
    emu = discord_emulator
    owner, member = emu.create_user("owner"), emu.create_user("member")
    guild = emu.create_guild("Quiet", members=[owner, member])
    channel = emu.channel_named(guild, "general")
    (tmp_path / "extensions").mkdir()
    (tmp_path / "extensions" / "ping.py").write_text(PING_EXTENSION)
    bot = make_zoryx_bot(tmp_path, owner_id=owner.id, config={"cooldowns.default_rate": 0})
    await bot_runner(bot)
    assert isinstance(bot.storage, Storage)
    bot.guild_configs.ttl = 0.2
    bot.storage.guild_folders.max_age = 0.2
    assert (await emu.converse(channel, member, "!ping")).content == "pong"

    other = Storage(bot.storage.data_dir, QUIET)
    await other.open()
    try:
        await other.set("core", "prefix", "$", guild_id=guild.id)
    finally:
        await other.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        await asyncio.sleep(0.25)
        await emu.send_message(channel, member, "chatting")  # a stale entry starts a refresh
        try:
            reply = await emu.converse(channel, member, "$ping", timeout=1)
        except TimeoutError:
            continue  # not seen yet: "$" is no prefix there so far
        assert reply.content == "pong"
        return
    pytest.fail("the prefix another process stored was never used")
