"""``backuprestore`` as an administrator uses it: component toggles and role sync change the
preview, two clicks start it, progress and the report live on a channel message the bot edits
with its own token (so a restore outlives the 15-minute interaction token), and only the invoker
may press the buttons."""

from __future__ import annotations

import time

from conftest import BackupBot, build_world, settle

from zoryx_core.testing import DEFAULT_BOT_PERMISSIONS, DiscordEmulator, Message, P

CONFIG = {"cooldowns.default_rate": 0, "errors.delete_after": 0}
CHANNEL_EDIT = "PATCH /channels/{channel_id}/messages/{message_id}"


def fields_of(message: Message) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message.embeds[0].get("fields", [])}


async def test_restore_from_the_command_with_toggles_and_a_channel_progress_message(
    discord_emulator: DiscordEmulator, backup_bot: BackupBot
) -> None:
    emu = discord_emulator
    world = build_world(emu, roles=8, categories=3, channels=12, members=30, emojis=2, stickers=1)
    general = emu.channel_named(world.guild, "general")
    bot, service = await backup_bot(config={**CONFIG, "plugin_settings.zoryx-backup.progress_interval": 0})
    await bot.tree.sync()
    guild = bot.get_guild(world.guild.id)
    assert guild is not None
    record = await service.create(guild, "before", author_id=world.owner.id)

    # two roles and three channels are deleted; a member gets a role they did not have
    for role in world.roles[:2]:
        emu.delete_role(world.guild, role)
    for channel in world.channels[:3]:
        emu.delete_channel(channel)
    member = world.users[3]  # holds role-03, role-00 (deleted below) and role-05
    extra = world.roles[7]
    emu.set_member_roles(world.guild, member, [extra])
    await settle(lambda: len(guild.roles) == 10 - 2 and len(guild.channels) == 16 - 3, "the deletions")

    slashed = await emu.run_slash(
        "backuprestore", channel=general, user=world.owner, options={"backup_id": record.id}
    )
    [setup] = await slashed.wait_for_followup()
    assert setup.embeds[0]["title"] == "⚠️ Restore backup #1: before"
    preview = fields_of(setup)
    assert preview["Roles"].startswith("2 to create")
    assert preview["Channels"].startswith("3 to create")
    assert "Role sync:** off" in setup.embeds[0]["description"]

    # another member cannot press anything
    intruder = await emu.click(setup, user=world.users[1], label="Restore")
    assert intruder.ephemeral and "can use these controls" in intruder.content

    # only roles, channels and member roles; role sync on
    await emu.choose(setup, ["roles", "channels", "member_roles"], user=world.owner)
    setup = await edited(emu, setup, lambda m: "Emojis" not in fields_of(m))
    assert set(fields_of(setup)) == {"Roles", "Channels", "Member Roles"}
    await emu.click(setup, user=world.owner, label="Role sync: off")
    setup = await edited(emu, setup, lambda m: "Role sync:** on" in m.embeds[0]["description"])

    # the command's own token expires: nothing that follows depends on it
    slashed.record.created_at -= 16 * 60
    assert slashed.record.expired

    await emu.click(setup, user=world.owner, label="Restore")
    setup = emu.state.messages[general.id][setup.id]
    assert "Click Restore again to start" in setup.embeds[0]["description"]
    assert service.running_restore(guild.id) is None  # one click changes nothing
    before_start = time.monotonic()
    await emu.click(setup, user=world.owner, label="Click again to restore")

    def report_shown() -> Message | None:
        for message in emu.messages_in(general):
            if message.embeds and message.embeds[0].get("title", "").startswith("✅ Restore of backup #1"):
                return message
        return None

    await settle(lambda: report_shown() is not None, "the report", timeout=20)
    report_message = report_shown()
    assert report_message is not None and report_message.interaction_metadata is None
    summary = fields_of(report_message)["Summary"]
    assert "roles: 2 created" in summary and "channels: 3 created" in summary
    assert "member roles:" in summary
    # every progress update and the report went through the channel message, with the bot's token
    edits = [
        r for r in emu.requests_to(CHANNEL_EDIT) if r.at >= before_start and str(report_message.id) in r.path
    ]
    assert len(edits) >= 3
    assert all(r.status == 200 for r in edits)
    # the member has the roles of backup time again and, with role sync, not the extra one
    snapshot = await service.load(guild.id, record.id)
    id_map = service.last_reports[guild.id].id_map
    wanted = {id_map.get(r, r) for r in snapshot.members.roles[member.id]}
    assert set(world.guild.members[member.id].roles) == wanted
    assert extra.id not in wanted and len(wanted) == 3
    assert id_map[world.roles[0].id] in wanted  # the deleted role, by its new id
    # the whole report, item by item, went to the owner privately; the channel says so
    full_report = fields_of(report_message)["Full report"]
    assert full_report.endswith(f"sent to <@{world.owner.id}> by direct message.")
    direct = await emu.wait_for_message(emu.state.dm_channel(emu.bot_user.id, world.owner.id))
    [attachment] = direct.attachments
    assert attachment.filename == f"restore-report-{world.guild.id}-1.txt"
    lines = attachment.data.decode().splitlines()
    assert lines[0] == f"Restore of backup #1 (before) into {world.guild.name}"
    new_role = id_map[world.roles[0].id]
    assert any(
        line.startswith("roles") and " created " in line and f"({world.roles[0].id} -> {new_role})" in line
        for line in lines
    ), lines
    assert sum(" created " in line for line in lines if line.startswith("channels")) == 3
    assert not any(m.attachments for m in emu.messages_in(general))
    started = emu.state.messages[general.id][setup.id]
    assert started.embeds[0]["title"].endswith("Restore of backup #1 started")
    assert all(c.get("disabled") for row in started.components for c in row.get("components", []))


async def test_the_report_lists_what_discord_refused(
    discord_emulator: DiscordEmulator, backup_bot: BackupBot
) -> None:
    emu = discord_emulator
    world = build_world(emu, roles=4, categories=2, channels=6, members=5, emojis=0, stickers=0)
    general = emu.channel_named(world.guild, "general")
    bot, service = await backup_bot(config=CONFIG)
    guild = bot.get_guild(world.guild.id)
    assert guild is not None
    await service.create(guild, "before", author_id=world.owner.id)
    for channel in world.channels[:2]:
        emu.delete_channel(channel)
    emu.set_bot_permissions(world.guild, DEFAULT_BOT_PERMISSIONS & ~P.MANAGE_CHANNELS)
    await settle(lambda: not guild.me.guild_permissions.manage_channels, "the permission change")

    setup = await emu.converse(general, world.owner, "!backuprestore 1")
    await emu.choose(setup, ["channels"], user=world.owner)
    setup = await edited(emu, setup, lambda m: set(fields_of(m)) == {"Channels"})
    await emu.click(setup, user=world.owner, label="Restore")
    await emu.click(setup, user=world.owner, label="Click again to restore")

    def report() -> Message | None:
        for message in emu.messages_in(general):
            if message.embeds and "finished with failures" in message.embeds[0].get("title", ""):
                return message
        return None

    await settle(lambda: report() is not None, "the report", timeout=20)
    shown = report()
    assert shown is not None
    failed = next(v for k, v in fields_of(shown).items() if k.startswith("Failed ("))
    for channel in world.channels[:2]:
        assert f"**{channel.name}**: 403 (code 50013): Missing Permissions" in failed


async def edited(emu: DiscordEmulator, message: Message, condition: object) -> Message:
    """The message once the bot's edit satisfies ``condition(message)``."""
    messages = emu.state.messages[message.channel_id]
    assert callable(condition)
    await settle(lambda: bool(condition(messages[message.id])), "the message's edit")
    return messages[message.id]
