"""A restore whose process died (a crash, a kill) does not block the server until its lease
expires: the restarted bot sees the holder's process is gone, frees the server and notes the
interrupted restore in the audit log. A holder whose process is alive still blocks."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from commands_world import BotStarter, Staff
from conftest import live_api
from zoryx_backup import BackupService


def dead_pid() -> int:
    """The pid of a process that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


async def insert_lease(
    service: BackupService, guild_id: int, holder: str, backup_id: int, user_id: int
) -> None:
    """A lease as a restore running in ``holder`` would have left it, 14 minutes from expiring."""

    def write(conn: sqlite3.Connection) -> None:
        now = time.time()
        conn.execute(
            "INSERT OR REPLACE INTO zoryx_backup_restore_leases"
            " (guild_id, holder, backup_id, user_id, started_ts, expires_ts) VALUES (?, ?, ?, ?, ?, ?)",
            (guild_id, holder, backup_id, user_id, now - 60, now + 14 * 60),
        )

    await service.bot.storage.transaction(write)


async def test_a_restore_left_by_a_dead_process_is_noted_and_frees_the_server(
    staff: Staff, start_staff_bot: BotStarter, tmp_path: Path
) -> None:
    bot, service = await start_staff_bot(tmp_path, cooldown_seconds=0)
    guild = bot.get_guild(staff.guild.id)
    assert guild is not None
    record = await service.create(guild, "before", author_id=staff.admin.id)
    host = socket.gethostname()

    # a holder whose process is alive (this one, under another name) blocks the server
    await insert_lease(service, guild.id, f"{host}:{os.getpid()}:elsewhere", record.id, staff.admin.id)
    with pytest.raises(live_api().RestoreInProgress, match="in another process"):
        await service.start_restore(guild, record.id, user_id=staff.admin.id)

    # the bot "crashed" mid-restore: its lease names a process that no longer exists
    await insert_lease(service, guild.id, f"{host}:{dead_pid()}:crashed", record.id, staff.admin.id)
    await bot.close()
    bot, service = await start_staff_bot(tmp_path, cooldown_seconds=0)
    guild = bot.get_guild(staff.guild.id)
    assert guild is not None
    latest = (await service.audit_log(guild.id))[0]
    assert (latest.action, latest.backup_id, latest.user_id) == ("restore", record.id, staff.admin.id)
    assert latest.details.startswith("interrupted: the bot stopped during the restore started")
    report = await service.restore(guild, record.id, user_id=staff.admin.id)
    assert report.ok


async def test_a_dead_holder_does_not_block_a_new_restore_even_before_a_restart(
    staff: Staff, start_staff_bot: BotStarter, tmp_path: Path
) -> None:
    bot, service = await start_staff_bot(tmp_path, cooldown_seconds=0)
    guild = bot.get_guild(staff.guild.id)
    assert guild is not None
    record = await service.create(guild, "before", author_id=staff.admin.id)
    await insert_lease(
        service, guild.id, f"{socket.gethostname()}:{dead_pid()}:gone", record.id, staff.admin.id
    )
    report = await service.restore(guild, record.id, user_id=staff.admin.id)
    assert report.ok
