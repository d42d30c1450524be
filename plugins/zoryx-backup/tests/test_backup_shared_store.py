"""zoryx-backup on the PostgreSQL store: two bots with separate data folders share one database, so
a backup made through one is listed, verified and restored through the other; the index, the
audit trail, schedules, restore leases and the snapshot files are all in the store."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from conftest import BackupBot, build_world, settle
from zoryx_backup import backup_service

from zoryx_core.storage.transfer import migrate_sqlite_to_postgresql
from zoryx_core.testing import DiscordEmulator, start_bot, stop_bot
from zoryx_core.testing.zoryx_bots import make_zoryx_bot


@pytest.fixture
async def shared_store(postgres_dsn: str) -> AsyncIterator[dict[str, Any]]:
    """Settings and environment of bots that share a schema of this test's own (dropped after)."""
    schema = f"t_{uuid.uuid4().hex[:10]}"
    yield {
        "config": {
            "storage.backend": "postgresql",
            "storage.pg_schema": schema,
            "plugin_settings.zoryx-backup.auto_backup_hours": 24,
        },
        "environ": {"ZORYX_DATABASE_URL": postgres_dsn},
    }
    import asyncpg

    conn = await asyncpg.connect(postgres_dsn)
    try:
        for row in await conn.fetch(
            "SELECT nspname FROM pg_namespace WHERE nspname = $1 OR nspname LIKE $2", schema, schema + "\\_g%"
        ):
            await conn.execute(f'DROP SCHEMA "{row[0]}" CASCADE')
    finally:
        await conn.close()


async def test_a_backup_made_through_one_bot_is_listed_verified_and_restored_by_another(
    shared_store: dict[str, Any], discord_emulator: DiscordEmulator, backup_bot: BackupBot
) -> None:  # shared_store first: its schema is dropped after the bots have stopped
    world = build_world(discord_emulator, roles=3, categories=1, channels=4, members=5, emojis=0, stickers=0)
    first, made_by = await backup_bot(**shared_store)
    second, other = await backup_bot(**shared_store)
    assert first.data_dir != second.data_dir and first.storage.dialect == "postgresql"
    guild = first.get_guild(world.guild.id)
    assert guild is not None
    record = await made_by.create(guild, "before the raid", author_id=world.owner.id)

    listed = await other.list_backups(world.guild.id)
    assert [(r.id, r.label, r.sha256) for r in listed] == [(record.id, "before the raid", record.sha256)]
    verified = await other.verify(world.guild.id, record.id, world.owner.id)
    assert verified.ok and verified.actual_sha256 == record.sha256
    assert not (second.data_dir / "plugins" / "zoryx-backup" / "snapshots").exists()  # not a local file
    stats = await other.stats(world.guild.id)
    assert (stats.backups, stats.member_assignments) == (1, record.counts.members)

    await other.set_schedule(world.guild.id, 12, world.owner.id)
    schedule = await made_by.get_schedule(world.guild.id)
    assert schedule is not None and schedule.interval_hours == 12

    doomed = world.channels[0]
    discord_emulator.delete_channel(doomed)
    await settle(lambda: second.get_channel(doomed.id) is None, "the deleted channel to leave the cache")
    live = second.get_guild(world.guild.id)
    assert live is not None
    report = await other.restore(live, record.id, user_id=world.owner.id)
    assert report.ok, [str(item) for item in report.failed]
    assert any(c.name == doomed.name for c in discord_emulator.state.guild_channels(world.guild))
    actions = [entry.action.value for entry in await made_by.audit_log(world.guild.id)]
    assert {"create", "verify", "schedule"} <= set(actions)


async def test_backups_come_along_when_a_bot_moves_from_sqlite_to_postgresql(
    shared_store: dict[str, Any], discord_emulator: DiscordEmulator, tmp_path: Path
) -> None:
    world = build_world(discord_emulator, roles=2, categories=0, channels=2, members=3, emojis=0, stickers=0)
    home = tmp_path / "bot"
    before = make_zoryx_bot(home, plugins=["zoryx-backup"])
    await start_bot(discord_emulator, before)
    try:
        guild = before.get_guild(world.guild.id)
        assert guild is not None
        record = await backup_service(before).create(guild, "on sqlite", author_id=world.owner.id)
    finally:
        await stop_bot(before)

    dsn = shared_store["environ"]["ZORYX_DATABASE_URL"]
    schema = shared_store["config"]["storage.pg_schema"]
    report = await migrate_sqlite_to_postgresql(home / "data", dsn, schema=schema)
    assert report.ok and report.copied >= 1

    after = make_zoryx_bot(home, plugins=["zoryx-backup"], **shared_store)
    await start_bot(discord_emulator, after)
    try:
        service = backup_service(after)
        assert type(service.files).__name__ == "StoredSnapshots"  # the plugin was loaded afresh
        assert [r.id for r in await service.list_backups(world.guild.id)] == [record.id]
        verified = await service.verify(world.guild.id, record.id, world.owner.id)
        assert verified.ok, verified.problem
    finally:
        await stop_bot(after)


async def test_sigkill_during_backups_and_increments_loses_nothing_acknowledged(
    shared_store: dict[str, Any], tmp_path: Path
) -> None:
    """A writer storing backups and incrementing on PostgreSQL is killed with SIGKILL again and
    again (``ZORYX_TEST_KILLS`` times, 10 by default): every acknowledged increment is there and
    every backup in the index verifies (its snapshot is whole and matches the recorded SHA-256)."""
    import asyncio
    import os
    import signal
    import subprocess
    import sys

    from zoryx_backup.files import parse_envelope

    from zoryx_core.storage import StorageOptions, create_storage

    dsn = shared_store["environ"]["ZORYX_DATABASE_URL"]
    schema = shared_store["config"]["storage.pg_schema"]
    writer = Path(__file__).parent / "killed_writer.py"
    kills = int(os.environ.get("ZORYX_TEST_KILLS", "10"))
    increments = 0
    backups: set[int] = set()
    for round_number in range(kills):
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(writer), str(tmp_path), dsn, schema, "77", stdout=subprocess.PIPE
        )
        assert proc.stdout is not None
        assert (await asyncio.wait_for(proc.stdout.readline(), timeout=60)).strip() == b"ready"
        seen = 0
        while seen < 6 + 3 * (round_number % 5):  # killed at a different step each round
            line = (await asyncio.wait_for(proc.stdout.readline(), timeout=60)).decode().split()
            seen += 1
            if line[0] == "inc":
                increments += 1
            else:
                backups.add(int(line[1]))
        proc.send_signal(signal.SIGKILL)
        for line in (await proc.stdout.read()).decode().splitlines():  # printed before the kill landed
            kind, number = line.split()
            if kind == "inc":
                increments += 1
            else:
                backups.add(int(number))
        await proc.wait()

    options = StorageOptions(backend="postgresql", pg_schema=schema, backup_on_shutdown=False)
    store = create_storage(tmp_path / "check", options, dsn=dsn)
    await store.open()
    try:
        counted = await store.get("crash", "hits", guild_id=77)
        assert increments <= counted <= increments + kills
        rows = await store.fetchall(
            "SELECT r.id, r.sha256, f.data FROM zoryx_backup_records r "
            "LEFT JOIN zoryx_backup_files f ON f.file = r.file"
        )
        listed = {int(row["id"]) for row in rows}
        assert backups <= listed and len(listed) <= len(backups) + kills
        for row in rows:
            assert row["data"] is not None, f"backup {row['id']} has no snapshot"
            assert parse_envelope(bytes(row["data"])).computed_sha256 == row["sha256"]
        print(f"{kills} kills: {increments} increments and {len(backups)} backups acknowledged; "
              f"{counted} increments and {len(listed)} backups stored, all verified")  # fmt: skip
    finally:
        await store.close()


_RACING_PROCESS = """
import asyncio, sys, time
from functools import partial
from pathlib import Path
from zoryx_backup.migrations import MIGRATIONS
from zoryx_backup.models import SnapshotCounts
from zoryx_backup.records import NewRecord, insert_record
from zoryx_core.storage import StorageOptions, create_storage

async def main():
    options = StorageOptions(backend="postgresql", pg_schema=sys.argv[3], backup_on_shutdown=False)
    storage = create_storage(Path(sys.argv[1]), options, dsn=sys.argv[2])
    await storage.open()
    await storage.migrate("zoryx-backup", MIGRATIONS)
    print("ready", flush=True)
    sys.stdin.readline()
    counts = SnapshotCounts(1, 0, 1, 0, 0, 1, True)
    for i in range(15):
        path = f"snapshots/42/b-{i}.json"
        new = NewRecord(42, "g", f"b{i}", 2, True, time.time(), path, 1, "0" * 64, 1, counts)
        insert = partial(insert_record, new=new, max_backups=6, retention_days=0, now_ts=time.time())
        await storage.transaction(insert)
    await storage.close()

asyncio.run(main())
"""


async def test_two_machines_never_break_the_limit(shared_store: dict[str, Any], tmp_path: Path) -> None:
    """The limit check and the insert are one transaction; on PostgreSQL such transactions run one
    at a time across processes, so two racing writers never keep more than ``max_backups``."""
    import asyncio
    import sys
    import time
    from functools import partial

    from zoryx_backup.migrations import MIGRATIONS
    from zoryx_backup.models import SnapshotCounts
    from zoryx_backup.records import NewRecord, insert_record

    from zoryx_core.storage import StorageOptions, create_storage

    dsn = shared_store["environ"]["ZORYX_DATABASE_URL"]
    schema = shared_store["config"]["storage.pg_schema"]
    options = StorageOptions(backend="postgresql", pg_schema=schema, backup_on_shutdown=False)
    storage = create_storage(tmp_path / "a", options, dsn=dsn)
    await storage.open()
    try:
        await storage.migrate("zoryx-backup", MIGRATIONS)
        pipe = asyncio.subprocess.PIPE
        other = await asyncio.create_subprocess_exec(
            sys.executable, "-c", _RACING_PROCESS, str(tmp_path / "b"), dsn, schema, stdin=pipe, stdout=pipe
        )
        assert other.stdout is not None and other.stdin is not None
        assert (await asyncio.wait_for(other.stdout.readline(), 60)).strip() == b"ready"
        other.stdin.write(b"go\n")
        await other.stdin.drain()
        counts = SnapshotCounts(1, 0, 1, 0, 0, 1, True)
        for i in range(15):
            new = NewRecord(
                42, "g", f"a{i}", 1, True, time.time(), f"snapshots/42/a-{i}.json", 1, "0" * 64, 1, counts
            )
            insert = partial(insert_record, new=new, max_backups=6, retention_days=0, now_ts=time.time())
            await storage.transaction(insert)
        assert await asyncio.wait_for(other.wait(), 120) == 0
        rows = await storage.fetchall("SELECT id FROM zoryx_backup_records WHERE guild_id = 42")
        assert len(rows) == 6
        audit = await storage.fetchall("SELECT action, COUNT(*) AS n FROM zoryx_backup_audit GROUP BY action")
        assert {row["action"]: row["n"] for row in audit} == {"create": 30, "rotate": 24}
    finally:
        await storage.close()
