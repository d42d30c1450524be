"""A snapshot changed after it was made fails verify and is refused by restore; so is one with an
unknown schema version, a damaged file and a missing file. Nothing reaches Discord then."""

from __future__ import annotations

import json

import pytest
from conftest import BackupBot, build_world, live_api, settle

from zoryx_core.testing import DiscordEmulator


def mutating_requests(emulator: DiscordEmulator, since: int) -> list[str]:
    return [f"{r.method} {r.path}" for r in emulator.requests[since:] if r.method != "GET"]


async def test_tampered_snapshot_fails_verify_and_is_refused(
    discord_emulator: DiscordEmulator, backup_bot: BackupBot
) -> None:
    world = build_world(discord_emulator, roles=4, categories=1, channels=3, members=3, emojis=1, stickers=1)
    bot, service = await backup_bot()
    guild = bot.get_guild(world.guild.id)
    assert guild is not None
    record = await service.create(guild, "clean", author_id=world.owner.id)
    assert (await service.verify(guild.id, record.id, world.owner.id)).ok

    path = service.files.path(record.file)
    raw = path.read_bytes()
    assert b'"role-01"' in raw
    path.write_bytes(raw.replace(b'"role-01"', b'"role-0X"'))  # someone edits the file by hand

    result = await service.verify(guild.id, record.id, world.owner.id)
    assert not result.ok
    assert result.actual_sha256 != result.expected_sha256 == record.sha256
    assert result.problem is not None and "integrity check" in result.problem

    since = len(discord_emulator.requests)
    with pytest.raises(live_api().ChecksumMismatch, match="failed its integrity check"):
        await service.restore(guild, record.id, user_id=world.owner.id)
    with pytest.raises(live_api().ChecksumMismatch):
        await service.preview(guild, record.id)
    with pytest.raises(live_api().ChecksumMismatch):
        await service.export(guild.id, record.id, world.owner.id)
    assert mutating_requests(discord_emulator, since) == []
    assert service.running_restore(guild.id) is None  # the refusal left no restore behind
    entries = await service.audit_log(guild.id)
    assert entries[0].action == "verify" and entries[0].details.startswith("FAILED")

    path.write_bytes(raw[: len(raw) // 2])  # a damaged, truncated file
    damaged = await service.verify(guild.id, record.id, world.owner.id)
    assert not damaged.ok and damaged.problem is not None and "not valid JSON" in damaged.problem
    with pytest.raises(live_api().SnapshotFormatError):
        await service.restore(guild, record.id, user_id=world.owner.id)

    path.unlink()
    gone = await service.verify(guild.id, record.id, world.owner.id)
    assert not gone.ok and gone.problem is not None and "missing" in gone.problem
    with pytest.raises(live_api().BackupFileMissing):
        await service.load(guild.id, record.id)
    assert (await service.consistency()).missing_files == (record.id,)
    [health] = [h for h in await bot.plugins.health_checks() if h.plugin == "zoryx-backup"]
    assert health.status == "degraded" and f"#{record.id}" in health.detail


async def test_unknown_schema_version_is_refused(
    discord_emulator: DiscordEmulator, backup_bot: BackupBot
) -> None:
    world = build_world(discord_emulator, roles=2, categories=1, channels=2, members=2, emojis=0, stickers=0)
    bot, service = await backup_bot()
    guild = bot.get_guild(world.guild.id)
    assert guild is not None
    record = await service.create(guild, None, author_id=world.owner.id)
    document = json.loads(service.files.path(record.file).read_bytes())["snapshot"]
    document["schema_version"] = 99
    written = service.files.write_sync(record.file, document)  # a newer format, properly sealed
    await bot.storage.execute(
        "UPDATE zoryx_backup_records SET sha256 = ? WHERE id = ?", (written.sha256, record.id)
    )

    result = await service.verify(guild.id, record.id, world.owner.id)
    assert not result.ok and result.problem is not None and "schema version 99" in result.problem
    since = len(discord_emulator.requests)
    with pytest.raises(
        live_api().UnknownSchemaVersion, match="schema version 99; this version of zoryx-backup reads 1"
    ):
        await service.restore(guild, record.id, user_id=world.owner.id)
    assert mutating_requests(discord_emulator, since) == []


async def test_one_restore_per_server(discord_emulator: DiscordEmulator, backup_bot: BackupBot) -> None:
    world = build_world(discord_emulator, roles=6, categories=2, channels=6, members=20, emojis=0, stickers=0)
    bot, service = await backup_bot()
    guild = bot.get_guild(world.guild.id)
    assert guild is not None
    record = await service.create(guild, None, author_id=world.owner.id)
    for role in world.roles[:3]:
        discord_emulator.delete_role(world.guild, role)
    await settle(lambda: len(guild.roles) == 8 - 3, "the deletions")
    discord_emulator.faults.latency = 0.02  # every request takes a little while

    first = await service.start_restore(guild, record.id, user_id=world.owner.id)
    with pytest.raises(
        live_api().RestoreInProgress, match=f"already running in this server .*backup #{record.id}"
    ):
        await service.start_restore(guild, record.id, user_id=world.owner.id)
    status = service.running_restore(guild.id)
    assert status is not None and status.backup_id == record.id
    report = await first
    assert report.ok and service.running_restore(guild.id) is None
    assert len([i for i in report.items if i.outcome == "created"]) == 3

    # a restore held by another process (its lease in the shared database) also refuses
    await bot.storage.execute(
        "INSERT INTO zoryx_backup_restore_leases VALUES (?, 'other-process', ?, 7, 0, 4102444800)",
        (guild.id, record.id),
    )
    with pytest.raises(live_api().RestoreInProgress, match="another process"):
        await service.start_restore(guild, record.id, user_id=world.owner.id)
    # a lease whose process died expires
    await bot.storage.execute(
        "UPDATE zoryx_backup_restore_leases SET expires_ts = 1 WHERE guild_id = ?", (guild.id,)
    )
    discord_emulator.faults.latency = 0.0
    assert (await service.restore(guild, record.id, user_id=world.owner.id)).ok
    leases = await bot.storage.fetchall("SELECT * FROM zoryx_backup_restore_leases")
    assert leases == []
