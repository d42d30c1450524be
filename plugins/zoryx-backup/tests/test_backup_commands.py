"""The backup commands as members use them: who may run what, the cooldown (also across a
restart), pins, notes, verify, diff, the schedule, export by direct message and the owner's stats."""

from __future__ import annotations

from pathlib import Path

from commands_world import BotStarter, Staff
from conftest import settle

from zoryx_core.testing import DiscordEmulator
from zoryx_core.ui import Emojis

INFO = Emojis.INFO


async def test_an_admin_makes_lists_views_pins_and_notes_backups(
    staff: Staff, start_staff_bot: BotStarter, tmp_path: Path
) -> None:
    emu = staff.emu
    bot, service = await start_staff_bot(tmp_path, cooldown_seconds=0)

    made = await emu.converse(staff.general, staff.admin, "!backupcreate before the event")
    embed = staff.embed(made)
    assert embed["title"] == "✅ Backup #1 made"
    assert "before the event" in embed["description"]
    contents = next(f["value"] for f in embed["fields"] if f["name"] == "Contents")
    assert "3 roles · 0 categories · 2 channels" in contents  # admins, helpers, the bot's (not @everyone)
    assert "4 members" in contents  # owner, admin, plain, boss: members who are not bots

    await emu.converse(staff.general, staff.admin, "!backupcreate second one")
    listing = staff.embed(await emu.converse(staff.general, staff.admin, "!backuplist"))
    assert listing["description"].index("second one") < listing["description"].index("before the event")
    assert "2/25 backups" in listing["footer"]["text"]

    pinned = staff.embed(await emu.converse(staff.general, staff.admin, "!backuppin 1"))
    assert pinned["title"] == "✅ Backup #1 pinned"
    noted = staff.embed(await emu.converse(staff.general, staff.admin, "!backupnote 1 keep for the audit"))
    assert noted["title"] == "✅ Note on backup #1 saved"
    view = staff.embed(await emu.converse(staff.general, staff.admin, "!backupview 1"))
    assert view["title"] == f"{INFO} Backup #1 📌: before the event"
    fields = {f["name"]: f["value"] for f in view["fields"]}
    assert fields["Note"] == "keep for the audit"
    assert fields["Pinned"].startswith("yes")
    assert fields["SHA-256"] == f"`{(await service.get(staff.guild.id, 1)).sha256}`"
    viewed = [e for e in await service.audit_log(staff.guild.id) if e.action == "view"]
    assert [(e.backup_id, e.user_id) for e in viewed] == [(1, staff.admin.id)]

    refused = staff.embed(await emu.converse(staff.general, staff.admin, "!backupdelete 1"))
    assert refused["title"] == "❌ Pinned backups are protected"
    assert (await service.count(staff.guild.id)) == 2

    unpinned = staff.embed(await emu.converse(staff.general, staff.admin, "!backuppin 1"))
    assert unpinned["title"] == "✅ Backup #1 unpinned"
    cleared = staff.embed(await emu.converse(staff.general, staff.admin, "!backupnote 1"))
    assert cleared["title"] == "✅ Note on backup #1 cleared"
    assert (await service.get(staff.guild.id, 1)).note is None

    missing = staff.embed(await emu.converse(staff.general, staff.admin, "!backupview 99"))
    assert missing["title"] == "❌ Backup not shown"
    assert "99" in missing["description"]
    too_long = staff.embed(await emu.converse(staff.general, staff.admin, "!backupcreate " + "x" * 101))
    assert "at most 100 characters" in too_long["description"]
    assert bot.get_cog("Backups") is not None


async def test_members_without_administrator_are_refused(
    staff: Staff, start_staff_bot: BotStarter, tmp_path: Path
) -> None:
    emu = staff.emu
    _, service = await start_staff_bot(tmp_path)
    for text in (
        "!backup",
        "!backupcreate",
        "!backuprestore 1",
        "!backuplist",
        "!backupview 1",
        "!backupverify 1",
        "!backuppin 1",
        "!backupnote 1 x",
        "!backupschedule status",
        "!backupdiff 1 2",
    ):
        reply = staff.embed(await emu.converse(staff.general, staff.plain, text))
        name = text[1:].split()[0]
        assert f"`{name}` needs the Administrator permission" in reply["description"], text
    for text in ("!backupexport 1", "!backupstats"):
        reply = staff.embed(await emu.converse(staff.general, staff.admin, text))
        assert "is for the bot's owners only" in reply["description"], text
    assert await service.count(staff.guild.id) == 0


async def test_members_may_delete_only_their_own_backups(
    staff: Staff, start_staff_bot: BotStarter, tmp_path: Path
) -> None:
    emu = staff.emu
    bot, service = await start_staff_bot(tmp_path, cooldown_seconds=0)
    guild = bot.get_guild(staff.guild.id)
    assert guild is not None
    # the plain member made one while they were an administrator; the admin made the other
    theirs = await service.create(guild, "made while admin", author_id=staff.plain.id)
    admins = await service.create(guild, "the admin's", author_id=staff.admin.id)

    # the slash form suggests only their own backups to them, every backup to an administrator
    await bot.tree.sync()
    mine = await emu.autocomplete(
        "backupdelete", focused="backup_id", value="", channel=staff.general, user=staff.plain
    )
    assert [c["value"] for c in mine] == [theirs.id]
    every = await emu.autocomplete(
        "backupdelete", focused="backup_id", value="", channel=staff.general, user=staff.admin
    )
    assert [c["value"] for c in every] == [admins.id, theirs.id]
    assert every[0]["name"].startswith(f"#{admins.id} the admin's (")

    refused = staff.embed(await emu.converse(staff.general, staff.plain, f"!backupdelete {admins.id}"))
    assert "you may only delete backups you made" in refused["description"]

    prompt = await emu.converse(staff.general, staff.plain, f"!backupdelete {theirs.id}")
    assert staff.embed(prompt)["title"] == f"⚠️ Delete backup #{theirs.id}?"
    intruder = await emu.click(prompt, user=staff.admin, label="Confirm")
    assert intruder.ephemeral and "Only plain can use these controls" in intruder.content
    await emu.click(prompt, user=staff.plain, label="Confirm")  # arms
    assert await service.count(staff.guild.id) == 2
    await emu.click(prompt, user=staff.plain, label="Click again to confirm")
    deleted = f"✅ Backup #{theirs.id} deleted"
    await settle(
        lambda: any(m.embeds and m.embeds[0]["title"] == deleted for m in emu.messages_in(staff.general)),
        "the deletion's answer",
    )
    assert [r.id for r in await service.list_backups(staff.guild.id)] == [admins.id]


async def test_cooldown_holds_across_a_restart_and_bot_owners_are_told_they_bypass_it(
    staff: Staff, start_staff_bot: BotStarter, tmp_path: Path
) -> None:
    emu = staff.emu
    bot, _ = await start_staff_bot(tmp_path, cooldown_seconds=600)
    first = staff.embed(await emu.converse(staff.general, staff.admin, "!backupcreate one"))
    assert first["title"] == "✅ Backup #1 made"
    again = staff.embed(await emu.converse(staff.general, staff.admin, "!backupcreate two"))
    assert again["title"] == "❌ No backup made"
    assert "less than 10 min ago" in again["description"] and "can be made in" in again["description"]

    # the bot restarts on the same data folder: the cooldown comes from the index, not memory
    await bot.close()
    bot, service = await start_staff_bot(tmp_path, cooldown_seconds=600)
    after_restart = staff.embed(await emu.converse(staff.general, staff.admin, "!backupcreate three"))
    assert after_restart["title"] == "❌ No backup made"
    assert await service.count(staff.guild.id) == 1

    owner = staff.embed(await emu.converse(staff.general, staff.boss, "!backupcreate owner's"))
    assert owner["title"] == "✅ Backup #2 made"
    notes = next(f["value"] for f in owner["fields"] if f["name"] == "Notes")
    assert notes.startswith("⏳ Cooldown bypassed (bot owner)")


async def test_verify_reports_a_tampered_file_and_diff_compares_two_backups(
    staff: Staff, start_staff_bot: BotStarter, tmp_path: Path
) -> None:
    emu = staff.emu
    bot, service = await start_staff_bot(tmp_path, cooldown_seconds=0)
    guild = bot.get_guild(staff.guild.id)
    assert guild is not None
    await emu.converse(staff.general, staff.admin, "!backupcreate before")
    emu.create_role(staff.guild, "newcomers")
    emu.delete_channel(emu.channel_named(staff.guild, "lobby"))
    await settle(lambda: len(guild.roles) == 5 and len(guild.channels) == 1, "the changes")
    await emu.converse(staff.general, staff.admin, "!backupcreate after")

    diff = staff.embed(await emu.converse(staff.general, staff.admin, "!backupdiff 1 2"))
    assert diff["title"] == f"{INFO} 2 differences"
    fields = {f["name"]: f["value"] for f in diff["fields"]}
    assert "+ role **newcomers**" in fields["Roles: +1 -0 ~0"]
    assert "- channel **lobby**" in fields["Channels: +0 -1 ~0"]

    diffs = [e for e in await service.audit_log(staff.guild.id) if e.action == "diff"]
    assert [(e.backup_id, e.details, e.user_id) for e in diffs] == [(2, "#1 -> #2", staff.admin.id)]

    intact = staff.embed(await emu.converse(staff.general, staff.admin, "!backupverify 1"))
    assert intact["title"] == "✅ Backup #1 is intact"

    record = await service.get(staff.guild.id, 1)
    path = service.files.root / record.file
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"name":"helpers"', '"name":"helperz"'), encoding="utf-8")
    broken = staff.embed(await emu.converse(staff.general, staff.admin, "!backupverify 1"))
    assert broken["title"] == "❌ Backup #1 failed verification"
    assert f"Recorded: `{record.sha256}`" in broken["description"]
    refused = staff.embed(await emu.converse(staff.general, staff.admin, "!backuprestore 1"))
    assert refused["title"] == "❌ Restore not started"
    assert "failed its integrity check" in refused["description"]


async def test_schedule_enable_status_disable(
    staff: Staff, start_staff_bot: BotStarter, tmp_path: Path
) -> None:
    emu = staff.emu
    _, service = await start_staff_bot(tmp_path, auto_backup_hours=24)
    status = staff.embed(await emu.converse(staff.general, staff.admin, "!backupschedule"))
    assert status["title"] == f"{INFO} Automatic backups: off"
    wrong = staff.embed(await emu.converse(staff.general, staff.admin, "!backupschedule enable 200"))
    assert wrong["title"] == "❌ Schedule not changed"
    assert "1 to 168 hours, got 200" in wrong["description"]
    on = staff.embed(await emu.converse(staff.general, staff.admin, "!backupschedule enable 12"))
    assert on["title"].endswith("Automatic backups: every 12 h")
    schedule = await service.get_schedule(staff.guild.id)
    assert schedule is not None and schedule.interval_hours == 12 and schedule.set_by == staff.admin.id
    default = staff.embed(await emu.converse(staff.general, staff.admin, "!backupschedule enable"))
    assert default["title"].endswith("every 24 h")
    off = staff.embed(await emu.converse(staff.general, staff.admin, "!backupschedule disable"))
    assert off["title"] == "✅ Automatic backups off"
    assert await service.get_schedule(staff.guild.id) is None
    bad = await emu.converse(staff.general, staff.admin, "!backupschedule sometimes")
    assert "'enable', 'disable' or 'status'" in staff.embed(bad)["description"]


async def test_schedules_are_refused_while_automatic_backups_are_off(
    staff: Staff, start_staff_bot: BotStarter, tmp_path: Path
) -> None:
    emu = staff.emu
    await start_staff_bot(tmp_path)  # auto_backup_hours 0 by default
    refused = staff.embed(await emu.converse(staff.general, staff.admin, "!backupschedule enable 6"))
    assert "Automatic backups are turned off for this bot" in refused["description"]


async def test_export_goes_by_direct_message_and_stats_are_for_owners(
    discord_emulator: DiscordEmulator, staff: Staff, start_staff_bot: BotStarter, tmp_path: Path
) -> None:
    emu = discord_emulator
    _, service = await start_staff_bot(tmp_path, cooldown_seconds=0)
    await emu.converse(staff.general, staff.admin, "!backupcreate exported")
    reply = await emu.converse(staff.general, staff.boss, "!backupexport 1")
    assert staff.embed(reply)["title"] == "✅ Backup #1 exported"
    assert "sent to you by direct message" in staff.embed(reply)["description"]
    # nothing of the file in the channel: only the confirmation
    assert not any(m.attachments for m in emu.messages_in(staff.general))
    dm = emu.state.dm_channel(emu.bot_user.id, staff.boss.id)
    direct = await emu.wait_for_message(dm)
    [attachment] = direct.attachments
    assert attachment.filename == f"zoryx-backup-{staff.guild.id}-1.json"
    record = await service.get(staff.guild.id, 1)
    assert attachment.data == (service.files.root / record.file).read_bytes()

    stats = staff.embed(await emu.converse(staff.general, staff.boss, "!backupstats"))
    assert stats["title"] == f"{INFO} Backup statistics (every server)"
    fields = {f["name"]: f["value"] for f in stats["fields"]}
    assert fields["Backups"].startswith("1 in 1 server")
    entries = await service.audit_log(staff.guild.id)
    assert [e.action.value for e in entries][:2] == ["export", "create"]


async def test_backupcreate_says_when_member_roles_could_not_be_saved(
    staff: Staff, start_staff_bot: BotStarter, tmp_path: Path
) -> None:
    emu = staff.emu
    await start_staff_bot(tmp_path, core={"intents.members": False})
    made = staff.embed(await emu.converse(staff.general, staff.admin, "!backupcreate no members"))
    assert made["title"] == "✅ Backup #1 made"
    contents = next(f["value"] for f in made["fields"] if f["name"] == "Contents")
    assert contents.endswith("no member roles")
    notes = next(f["value"] for f in made["fields"] if f["name"] == "Notes")
    assert notes == "Member roles were not saved: the bot lacks the Server Members intent."
