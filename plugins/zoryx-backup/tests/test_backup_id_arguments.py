"""Backup numbers (and hours) are plain whole numbers: other Unicode digits, underscores, signs,
and numbers beyond what Discord or SQLite holds get a format error naming what is allowed, by
prefix and by slash, never "Something went wrong"."""

from __future__ import annotations

from pathlib import Path

from commands_world import BotStarter, Staff

from zoryx_core.testing.argument_audit import plain_integer_parameters

BAD_NUMBERS = [
    "٣",  # Arabic-Indic three: int() accepts it
    "²",  # superscript two: str.isdigit() says yes, int() says no
    "99999999999999999999999999",  # beyond SQLite's INTEGER
    "9007199254740992",  # 2**53: beyond Discord's integer options
    "1_0",
    "+1",
    "-1",
    "0",
    "1.0",
]


async def test_bad_backup_numbers_get_a_format_error(
    staff: Staff, start_staff_bot: BotStarter, tmp_path: Path
) -> None:
    emu = staff.emu
    bot, service = await start_staff_bot(tmp_path, cooldown_seconds=0)
    assert plain_integer_parameters(bot) == []
    await bot.tree.sync()
    made = staff.embed(await emu.converse(staff.general, staff.admin, "!backupcreate one"))
    assert made["title"] == "✅ Backup #1 made"
    for text in BAD_NUMBERS:
        for command in (f"!backupview {text}", f"!backupdiff 1 {text}", f"!backupnote {text} hi"):
            reply = staff.embed(await emu.converse(staff.general, staff.admin, command))
            description = reply["description"]
            assert "Something went wrong" not in description, (command, description)
            assert "must be a backup number from 1 to 9007199254740991 (digits 0-9)" in description, (
                command,
                description,
            )
        schedule = staff.embed(
            await emu.converse(staff.general, staff.admin, f"!backupschedule enable {text}")
        )
        if text not in ("0", "-1"):
            assert "`hours` must be a number of hours from 1" in schedule["description"], schedule
    viewed = staff.embed(await emu.converse(staff.general, staff.admin, "!backupview 0001"))
    assert viewed["title"].endswith("Backup #1: one")

    result = await emu.run_slash(
        "backupview", channel=staff.general, user=staff.admin, options={"backup_id": 1}
    )
    assert result.embeds[0]["title"].endswith("Backup #1: one")
    registered = emu.find_command("backupview", guild_id=staff.guild.id)
    option = registered.payload()["options"][0]
    assert (option["type"], option["min_value"], option["max_value"]) == (4, 1, 2**53 - 1)
    for number in (2**63, 0):  # Discord refuses these itself; the bot does not rely on it
        result = await emu.run_slash(
            "backupview", channel=staff.general, user=staff.admin, options={"backup_id": number}
        )
        assert result.ephemeral
        assert (
            f"`backup_id` must be a backup number from 1 to 9007199254740991 (digits 0-9); `{number}` is not."
            in (result.embeds[0]["description"])
        )
    assert (await service.count(staff.guild.id)) == 1
