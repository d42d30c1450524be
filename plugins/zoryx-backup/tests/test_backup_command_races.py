"""Two administrators run ``backupcreate`` at the same moment as the scheduler's automatic backup:
one manual backup is made (the cooldown refuses the other, decided in the storing transaction),
the automatic one too, and the index, the files and the audit trail agree."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from commands_world import BotStarter, Staff
from conftest import settle


async def test_racing_creates_and_a_scheduled_backup_keep_the_index_consistent(
    staff: Staff, start_staff_bot: BotStarter, tmp_path: Path
) -> None:
    emu = staff.emu
    second_admin = emu.create_user("second-admin")
    emu.add_member(staff.guild, second_admin, roles=[emu.role_named(staff.guild, "admins")])
    bot, service = await start_staff_bot(
        tmp_path, cooldown_seconds=300, auto_backup_hours=6, schedule_check_seconds=3600
    )
    guild = bot.get_guild(staff.guild.id)
    assert guild is not None
    await settle(lambda: guild.get_member(second_admin.id) is not None, "the second admin")
    assert service.scheduler is not None
    await service.set_schedule(guild.id, 6, staff.admin.id)
    await service.mark_schedule_run(guild.id, at=datetime.now(UTC) - timedelta(hours=7))
    assert [s.guild_id for s in await service.due_schedules()] == [guild.id]

    first, _ = await asyncio.gather(
        emu.send_message(staff.general, staff.admin, "!backupcreate from the first admin"),
        emu.send_message(staff.general, second_admin, "!backupcreate from the second admin"),
    )
    scheduled = await service.scheduler.run_due()
    assert [r.automatic for r in scheduled.made] == [True] and not scheduled.failed

    def answers() -> list[str]:
        return [
            str(m.embeds[0]["title"])
            for m in emu.messages_in(staff.general)
            if m.author_id == emu.bot_user.id and m.embeds and m.id > first.id
        ]

    await settle(lambda: len(answers()) == 2, "both answers")
    titles = answers()
    assert titles.count("❌ No backup made") == 1, titles
    assert sum(t.startswith("✅ Backup #") and t.endswith(" made") for t in titles) == 1, titles
    records = await service.list_backups(guild.id)
    assert sorted(r.automatic for r in records) == [False, True]
    report = await service.consistency()
    assert report.consistent and report.records == report.files == 2
    creates = [e for e in await service.audit_log(guild.id) if e.action == "create"]
    assert len(creates) == 2
    schedule = await service.get_schedule(guild.id)
    assert schedule is not None and schedule.last_run_at is not None
    assert schedule.next_run_at > datetime.now(UTC) + timedelta(hours=5)
    assert await service.due_schedules() == []


async def test_the_cooldown_is_decided_in_the_transaction_that_stores_the_backup(
    staff: Staff, start_staff_bot: BotStarter, tmp_path: Path
) -> None:
    bot, service = await start_staff_bot(tmp_path, cooldown_seconds=300)
    guild = bot.get_guild(staff.guild.id)
    assert guild is not None
    # both pass the early check (no backup yet); the transaction refuses the one stored second
    results = await asyncio.gather(
        service.create(guild, "a", staff.admin.id, enforce_cooldown=True),
        service.create(guild, "b", staff.admin.id, enforce_cooldown=True),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(refused) == 1 and type(refused[0]).__name__ == "BackupOnCooldown", results
    assert "can be made in" in str(refused[0])
    assert await service.count(guild.id) == 1
    report = await service.consistency()
    assert report.consistent and report.files == 1  # the refused backup's file is gone too
