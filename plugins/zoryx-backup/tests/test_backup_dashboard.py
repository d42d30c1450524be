"""The ``backup`` dashboard: its five tabs, pagination, refresh, deleting through the dropdown with
a two-step confirmation (pins protected), and only the invoker may press its buttons."""

from __future__ import annotations

from pathlib import Path

from commands_world import BotStarter, Staff
from conftest import settle

from zoryx_core.testing import DiscordEmulator, Message


def title_of(message: Message) -> str:
    return str(message.embeds[0]["title"])


def field(message: Message, name: str) -> str:
    return next(str(f["value"]) for f in message.embeds[0]["fields"] if f["name"] == name)


async def edited(emu: DiscordEmulator, message: Message, title: str) -> Message:
    """The message once the bot has edited it to show ``title`` (after a deferred click)."""
    messages = emu.state.messages[message.channel_id]
    await settle(lambda: title_of(messages[message.id]) == title, f"the edit to {title!r}")
    return messages[message.id]


async def test_tabs_pagination_refresh_and_delete_from_the_dropdown(
    staff: Staff, start_staff_bot: BotStarter, tmp_path: Path
) -> None:
    emu = staff.emu
    bot, service = await start_staff_bot(tmp_path, cooldown_seconds=0, max_backups=10)
    guild = bot.get_guild(staff.guild.id)
    assert guild is not None
    for index in range(7):
        await service.create(guild, f"backup {index}", author_id=staff.admin.id)
    await service.pin(guild.id, 7, staff.admin.id)
    await bot.tree.sync()

    result = await emu.run_slash("backup", channel=staff.general, user=staff.admin)
    [dashboard] = await result.wait_for_followup()
    assert title_of(dashboard) == "💾 Backups of Staffed"
    assert "7 of 10 backups" in field(dashboard, "Storage") and "1 pinned" in field(dashboard, "Storage")
    assert "`#7` 📌 **backup 6**" in field(dashboard, "Latest backup")
    assert field(dashboard, "Cooldown") == "ready"
    # the server now and its newest backup are counted the same way (no @everyone, no bots)
    newest = await service.get(guild.id, 7)
    from zoryx_backup.render import counts_text

    assert field(dashboard, "This server now") == counts_text(newest)

    # someone else cannot press the buttons
    intruder = await emu.click(dashboard, user=staff.plain, label="Backups")
    assert intruder.ephemeral and "Only admin can use these controls" in intruder.content

    await emu.click(dashboard, user=staff.admin, label="Backups")
    page = emu.state.messages[staff.general.id][dashboard.id]
    assert title_of(page).endswith(" Backups")
    assert "Page 1/2" in page.embeds[0]["footer"]["text"]
    assert page.embeds[0]["description"].count("\n`#") == 4  # five lines, newest first
    assert page.embeds[0]["description"].startswith("`#7` 📌")
    await emu.click(page, user=staff.admin, label="Next")
    page = emu.state.messages[staff.general.id][dashboard.id]
    assert "Page 2/2" in page.embeds[0]["footer"]["text"]
    assert page.embeds[0]["description"].startswith("`#2`")

    # delete #1 through the dropdown: the confirmation is ephemeral and takes two clicks
    chosen = await emu.choose(page, ["1"], user=staff.admin)
    confirm = chosen.message
    assert confirm is not None and confirm.ephemeral
    assert title_of(confirm) == "⚠️ Delete backup #1?"
    await emu.click(confirm, user=staff.admin, label="Confirm")
    confirm = emu.state.messages[staff.general.id][confirm.id]
    assert await service.count(guild.id) == 7
    await emu.click(confirm, user=staff.admin, label="Click again to confirm")
    await settle(
        lambda: "#1`" not in str(emu.state.messages[staff.general.id][dashboard.id].embeds), "the edit"
    )
    assert [r.id for r in await service.list_backups(guild.id)] == [7, 6, 5, 4, 3, 2]
    page = emu.state.messages[staff.general.id][dashboard.id]
    assert "6/10 backups" in page.embeds[0]["footer"]["text"]

    # a pinned backup in the dropdown is refused
    await emu.click(page, user=staff.admin, label="Previous")
    page = emu.state.messages[staff.general.id][dashboard.id]
    refused = await emu.choose(page, ["7"], user=staff.admin)
    assert refused.ephemeral and title_of(refused.message) == "❌ Pinned backups are protected"  # type: ignore[arg-type]
    assert await service.count(guild.id) == 6

    # audit log, analytics, compare
    await emu.click(page, user=staff.admin, label="Audit log")
    page = emu.state.messages[staff.general.id][dashboard.id]
    assert "Audit log" in title_of(page)
    first_line = page.embeds[0]["description"].splitlines()[0]
    assert "**delete** `#1`" in first_line and f"<@{staff.admin.id}>" in first_line

    await emu.click(page, user=staff.admin, label="Analytics")
    page = emu.state.messages[staff.general.id][dashboard.id]
    assert "Analytics" in title_of(page)
    assert field(page, "Backups") == "6 kept · 1 pinned · 0 automatic"
    assert f"<@{staff.admin.id}>: 6" in field(page, "Top creators")

    await emu.click(page, user=staff.admin, label="Compare")
    page = await edited(emu, page, "✅ Compare: no drift")
    emu.create_role(staff.guild, "latecomers")
    await settle(lambda: any(r.name == "latecomers" for r in guild.roles), "the new role")
    await emu.click(page, user=staff.admin, label="Refresh")
    page = await edited(emu, page, "⚠️ Compare: 1 change since backup #7")
    assert "+ role **latecomers**" in field(page, "Roles: +1 -0 ~0")

    await emu.click(page, user=staff.admin, label="Overview")
    page = emu.state.messages[staff.general.id][dashboard.id]
    assert title_of(page) == "💾 Backups of Staffed"
