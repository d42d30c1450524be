"""Everything the bot writes under its data, log and config paths is readable by its user only
(files 0600, folders 0700), whatever the umask, and what earlier versions left readable by others
is tightened at start-up, with a log line saying so."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from zoryx_core.logs import LogConfig, setup_logging
from zoryx_core.private_files import private_dir, private_file, tighten_tree
from zoryx_core.testing import DiscordEmulator
from zoryx_core.testing.zoryx_bots import make_zoryx_bot

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The common default umask (022), under which plain open() and mkdir() make world-readable files."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def modes(*roots: Path) -> dict[str, int]:
    """The permission bits of every file and folder under ``roots`` (roots included)."""
    found: dict[str, int] = {}
    for root in roots:
        found[str(root)] = stat.S_IMODE(root.lstat().st_mode)
        if root.is_dir():
            for path in root.rglob("*"):
                found[str(path)] = stat.S_IMODE(path.lstat().st_mode)
    return found


def folders_in(found: dict[str, int]) -> set[str]:
    return {path for path in found if Path(path).is_dir()}


def exposed(found: dict[str, int]) -> dict[str, str]:
    """Entries that anyone but the owner can read, write or enter, with their mode."""
    return {path: oct(mode) for path, mode in found.items() if mode & 0o077}


def test_helpers_make_exact_modes_whatever_the_umask(tmp_path: Path, open_umask: None) -> None:
    folder = private_dir(tmp_path / "a" / "b")
    created = private_file(folder / "c" / "file.db")
    assert {k: oct(v) for k, v in modes(tmp_path / "a").items()} == {
        str(tmp_path / "a"): "0o700",
        str(tmp_path / "a" / "b"): "0o700",
        str(tmp_path / "a" / "b" / "c"): "0o700",
        str(created): "0o600",
    }
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("not ours to change")
    (tmp_path / "a" / "link").symlink_to(outside)
    (tmp_path / "a" / "b" / "old.json").write_text("{}")
    result = tighten_tree([tmp_path / "a", tmp_path / "missing"])
    assert [p.name for p in result.files] == ["old.json"] and not result.folders
    assert stat.S_IMODE(outside.stat().st_mode) == 0o644, "a symbolic link is not followed"


async def test_everything_the_running_bot_creates_is_private(
    discord_emulator: DiscordEmulator, bot_runner, tmp_path: Path, open_umask: None
) -> None:
    emu = discord_emulator
    owner = emu.create_user("owner")
    guild = emu.create_guild("Private", owner=owner)
    channel = emu.channel_named(guild, "general")
    home = tmp_path / "home"
    logs = setup_logging(LogConfig(directory=home / "logs", console=False, max_bytes=1024, backup_count=2))
    try:
        bot = make_zoryx_bot(home, no_plugins=True, config={"cooldowns.default_rate": 0})
        await bot_runner(bot)
        reply = await emu.converse(channel, owner, "!setprefix ?")  # creates the guild's database
        assert reply.embeds[0]["title"].endswith("Prefix changed")
        await bot.storage.set("community", "seen", {"n": 1}, guild_id=guild.id, user_id=owner.id)
        await bot.storage.json.write(bot.data_dir / "plugins" / "community" / "state.json", {"a": 1})
        backup_set = await bot.storage.backup()
        for number in range(40):  # a few rotations of a 1 KiB log (written by the log thread)
            logging.getLogger("community").warning("record %d %s", number, "x" * 60)
        # The log thread hands each record to permanent.log's handler, then to current_run.log's: once the
        # last record is in current_run.log, every rotation is over (none is half done while we look).
        logging.getLogger("community").warning("last record")
        for _ in range(3000):
            if "last record" in logs.current_run_log.read_text(encoding="utf-8"):
                break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError("the log thread did not write the records within 30 s")
        created = modes(bot.data_dir, home / "logs", home / "config.json")
        await bot.close()
    finally:
        logs.stop()

    names = {Path(p).name for p in created}
    for expected in ("main.db", "main.db-wal", "main.db-shm", "guild.db", "guild.db-wal", "state.json"):
        assert expected in names, f"{expected} was not created"
    assert (backup_set / "main.db").exists() and str(backup_set / "main.db") in created
    assert "permanent.log.1" in names and "current_run.log" in names and "permanent.log.start" in names
    assert exposed(created) == {}
    folders = folders_in(created)
    assert len(folders) >= 7  # data, guilds, <id>, plugins, community, backups, <set>, logs
    assert {oct(mode) for p, mode in created.items() if p not in folders} == {"0o600"}
    assert {oct(created[p]) for p in folders} == {"0o700"}
    assert exposed(modes(bot.data_dir, home / "logs", home / "config.json")) == {}, "after shutdown too"


async def test_start_up_tightens_what_an_earlier_version_left_readable(
    discord_emulator: DiscordEmulator, bot_runner, tmp_path: Path, open_umask: None
) -> None:
    home = tmp_path / "home"
    (home / "data" / "guilds" / "42").mkdir(parents=True)
    for database in (home / "data" / "main.db", home / "data" / "guilds" / "42" / "guild.db"):
        sqlite3.connect(database).close()
    (home / "logs").mkdir()
    (home / "logs" / "permanent.log").write_text("2025-01-01T00:00:00.000+00:00 INFO old: line\n")
    (home / "config.json").write_text("{}")
    before = modes(home / "data", home / "logs", home / "config.json")
    assert len(exposed(before)) == 8  # 4 folders 0755, 4 files 0644

    logs = setup_logging(LogConfig(directory=home / "logs", console=False))
    try:
        bot = make_zoryx_bot(home, no_plugins=True)
        await bot_runner(bot)
        await bot.close()
    finally:
        logs.stop()
    assert exposed(modes(home / "data", home / "logs", home / "config.json")) == {}
    text = (home / "logs" / "permanent.log").read_text(encoding="utf-8")
    assert "made 1 file and 1 folder under " + str(home / "logs") + " readable by the bot's user only" in text
    assert "made 2 files and 3 folders under " + str(home / "data") in text
