"""The index: concurrent creates, rotation at the limit, retention, pins, notes, the audit trail,
schedules, the persisted cooldown, and two processes writing the same database."""

from __future__ import annotations

import asyncio
import sys
import textwrap
import time
from functools import partial
from pathlib import Path

import pytest
from conftest import BackupBot, build_world, live_api
from zoryx_backup.errors import BackupLimitReached
from zoryx_backup.migrations import MIGRATIONS
from zoryx_backup.models import SnapshotCounts
from zoryx_backup.records import NewRecord, insert_record

from zoryx_core.storage import Storage
from zoryx_core.testing import DiscordEmulator


async def test_concurrent_creates_keep_index_and_files_in_agreement(
    discord_emulator: DiscordEmulator, backup_bot: BackupBot
) -> None:
    world = build_world(discord_emulator, roles=5, categories=2, channels=6, members=30, emojis=2, stickers=1)
    bot, service = await backup_bot()
    guild = bot.get_guild(world.guild.id)
    assert guild is not None

    creates = [service.create(guild, f"manual {i}", author_id=world.owner.id) for i in range(8)]
    creates.append(service.create(guild, None, author_id=0, automatic=True))
    records = await asyncio.gather(*creates)

    ids = [r.id for r in records]
    assert len(set(ids)) == 9
    listed = await service.list_backups(guild.id)
    assert sorted(r.id for r in listed) == sorted(ids) and await service.count(guild.id) == 9
    assert len({r.file for r in listed}) == 9
    report = await service.consistency()
    assert report.consistent and report.records == report.files == 9
    for record in records:
        assert (await service.verify(guild.id, record.id, None)).ok
    creates_logged = [e for e in await service.audit_log(guild.id) if e.action == "create"]
    assert sorted(e.backup_id for e in creates_logged if e.backup_id is not None) == sorted(ids)
    assert [r.label for r in records if r.automatic] == ["Automatic backup"]


async def test_rotation_retention_and_pins(discord_emulator: DiscordEmulator, backup_bot: BackupBot) -> None:
    world = build_world(discord_emulator, roles=2, categories=1, channels=2, members=2, emojis=0, stickers=0)
    config = {
        "plugin_settings.zoryx-backup.max_backups": 4,
        "plugin_settings.zoryx-backup.retention_days": 30,
    }
    bot, service = await backup_bot(config=config)
    guild = bot.get_guild(world.guild.id)
    assert guild is not None
    author = world.owner.id
    auto = await service.create(guild, None, author_id=0, automatic=True)
    pinned = await service.create(guild, "keep me", author_id=author)
    await service.pin(guild.id, pinned.id, author)
    manual = [await service.create(guild, f"m{i}", author_id=author) for i in range(2)]
    assert await service.count(guild.id) == 4

    # at the limit a manual backup rotates the automatic one out...
    newest = await service.create(guild, "newest", author_id=author)
    ids = {r.id for r in await service.list_backups(guild.id)}
    assert ids == {pinned.id, manual[0].id, manual[1].id, newest.id}
    assert not service.files.path(auto.file).exists()
    # ...but never a manual one
    with pytest.raises(live_api().BackupLimitReached, match="already keeps 4 backups"):
        await service.create(guild, "one too many", author_id=author)
    # an automatic backup rotates the oldest unpinned one; the pinned one stays
    await service.create(guild, None, author_id=0, automatic=True)
    ids = {r.id for r in await service.list_backups(guild.id)}
    assert pinned.id in ids and manual[0].id not in ids and len(ids) == 4
    assert (await service.consistency()).consistent

    # deleting a pinned backup is refused until it is unpinned
    with pytest.raises(live_api().BackupPinned, match="is pinned"):
        await service.delete(guild.id, pinned.id, author)
    # retention: backups older than 30 days go, pinned ones survive
    old = time.time() - 40 * 86400
    await bot.storage.execute(
        "UPDATE zoryx_backup_records SET created_ts = ? WHERE guild_id = ?", (old, guild.id)
    )
    removed = await service.apply_retention()
    assert pinned.id not in {r.id for r in removed} and len(removed) == 3
    assert [r.id for r in await service.list_backups(guild.id)] == [pinned.id]
    assert (await service.consistency()).consistent
    actions = [e.action for e in await service.audit_log(guild.id)]
    assert actions[:3] == ["retention"] * 3 and "rotate" in actions and "pin" in actions

    await service.unpin(guild.id, pinned.id, author)
    deleted = await service.delete(guild.id, pinned.id, author)
    assert deleted.id == pinned.id and await service.count(guild.id) == 0
    with pytest.raises(live_api().BackupNotFound, match=f"no backup #{pinned.id}"):
        await service.get(guild.id, pinned.id)


async def test_notes_labels_audit_cap_stats_and_cooldown(
    discord_emulator: DiscordEmulator, backup_bot: BackupBot
) -> None:
    world = build_world(discord_emulator, roles=2, categories=1, channels=2, members=4, emojis=0, stickers=0)
    bot, service = await backup_bot(config={"plugin_settings.zoryx-backup.cooldown_seconds": 600})
    guild = bot.get_guild(world.guild.id)
    assert guild is not None
    with pytest.raises(live_api().InvalidBackupInput, match="at most 100 characters"):
        await service.create(guild, "x" * 101, author_id=world.owner.id)
    record = await service.create(guild, "  spaced   label ", author_id=world.owner.id)
    assert record.label == "spaced label"
    noted = await service.note(guild.id, record.id, world.owner.id, "before the raid")
    assert noted.note == "before the raid"
    assert (await service.note(guild.id, record.id, world.owner.id, "   ")).note is None
    with pytest.raises(live_api().InvalidBackupInput, match="at most 500 characters"):
        await service.note(guild.id, record.id, world.owner.id, "y" * 501)

    # the cooldown comes from the index: a service started afresh (a restart) sees it
    remaining = await service.cooldown_remaining(guild.id)
    assert 0 < remaining <= 600
    fresh = type(service)(bot, service.plugin, service.settings)
    assert 0 < await fresh.cooldown_remaining(guild.id) <= remaining
    assert await fresh.last_created(guild.id) == record.created_at

    for i in range(210):
        await service.record_audit(guild.id, live_api().AuditAction.VIEW, world.owner.id, details=str(i))
    entries = await service.audit_log(guild.id)
    assert len(entries) == 200 and entries[0].details == "209" and entries[-1].details == "10"

    stats = await service.stats(guild.id)
    assert (stats.backups, stats.guilds, stats.pinned, stats.automatic) == (1, 1, 0, 0)
    assert stats.total_bytes == record.size_bytes and stats.member_assignments == 5
    assert stats.top_authors == ((world.owner.id, 1),) and len(stats.per_day) == 1
    assert (await service.stats()).backups == 1


async def test_schedules(discord_emulator: DiscordEmulator, backup_bot: BackupBot) -> None:
    world = build_world(discord_emulator, roles=1, categories=0, channels=1, members=1, emojis=0, stickers=0)
    _, service = await backup_bot(config={"plugin_settings.zoryx-backup.auto_backup_hours": 24})
    guild_id, user = world.guild.id, world.owner.id
    assert await service.get_schedule(guild_id) is None
    with pytest.raises(live_api().InvalidBackupInput, match="1 to 168 hours, got 200"):
        await service.set_schedule(guild_id, 200, user)
    default = await service.set_schedule(guild_id, None, user)
    assert default.interval_hours == 24
    schedule = await service.set_schedule(guild_id, 6, user)
    assert schedule.interval_hours == 6 and schedule.last_run_at is None
    assert await service.due_schedules() == []
    later = schedule.next_run_at
    due = await service.due_schedules(later)
    assert [s.guild_id for s in due] == [guild_id]
    ran = await service.mark_schedule_run(guild_id, later)
    assert (
        ran is not None and ran.last_run_at == later and (ran.next_run_at - later).total_seconds() == 6 * 3600
    )
    assert await service.clear_schedule(guild_id, user) and not await service.clear_schedule(guild_id, user)
    actions = [e.details for e in await service.audit_log(guild_id) if e.action == "schedule"]
    assert actions == ["off", "every 6 h", "every 24 h"]


async def test_schedules_refused_when_automatic_backups_are_off(
    discord_emulator: DiscordEmulator, backup_bot: BackupBot
) -> None:
    world = build_world(discord_emulator, roles=1, categories=0, channels=1, members=1, emojis=0, stickers=0)
    _, service = await backup_bot()
    with pytest.raises(live_api().InvalidBackupInput, match="auto_backup_hours is 0"):
        await service.set_schedule(world.guild.id, 12, world.owner.id)


_OTHER_PROCESS = textwrap.dedent(
    """
    import asyncio, sys, time
    from pathlib import Path
    from functools import partial
    from zoryx_backup.migrations import MIGRATIONS
    from zoryx_backup.models import SnapshotCounts
    from zoryx_backup.records import NewRecord, insert_record
    from zoryx_core.storage import Storage

    async def main():
        storage = Storage(Path(sys.argv[1]))
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
)


async def test_two_processes_never_break_the_limit(tmp_path: Path) -> None:
    storage = Storage(tmp_path)
    await storage.open()
    await storage.migrate("zoryx-backup", MIGRATIONS)
    pipe = asyncio.subprocess.PIPE
    other = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _OTHER_PROCESS, str(tmp_path), stdin=pipe, stdout=pipe
    )
    assert other.stdout is not None and other.stdin is not None
    assert (await asyncio.wait_for(other.stdout.readline(), 30)).strip() == b"ready"
    other.stdin.write(b"go\n")
    await other.stdin.drain()
    counts = SnapshotCounts(1, 0, 1, 0, 0, 1, True)
    for i in range(15):
        path = f"snapshots/42/a-{i}.json"
        new = NewRecord(42, "g", f"a{i}", 1, True, time.time(), path, 1, "0" * 64, 1, counts)
        insert = partial(insert_record, new=new, max_backups=6, retention_days=0, now_ts=time.time())
        await storage.transaction(insert)
    assert await asyncio.wait_for(other.wait(), 60) == 0
    rows = await storage.fetchall("SELECT id, label FROM zoryx_backup_records WHERE guild_id = 42")
    assert len(rows) == 6
    audit = await storage.fetchall("SELECT action, COUNT(*) AS n FROM zoryx_backup_audit GROUP BY action")
    assert {row["action"]: row["n"] for row in audit} == {"create": 30, "rotate": 24}
    # once every backup kept is pinned, nothing can make room, not even for an automatic backup
    await storage.execute("UPDATE zoryx_backup_records SET pinned = 1")
    new = NewRecord(42, "g", "late", 1, True, time.time(), "snapshots/42/late.json", 1, "0" * 64, 1, counts)
    insert = partial(insert_record, new=new, max_backups=6, retention_days=0, now_ts=time.time())
    with pytest.raises(BackupLimitReached, match="already keeps 6 backups"):
        await storage.transaction(insert)
    assert len(await storage.fetchall("SELECT id FROM zoryx_backup_records")) == 6
    await storage.close()
