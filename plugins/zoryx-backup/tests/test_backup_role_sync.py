"""Member roles: added back by default; role-sync mode also takes away roles given after the backup,
never roles at or above the bot's highest role, nor managed roles."""

from __future__ import annotations

from conftest import BackupBot, settle
from zoryx_backup import Component, Outcome, RestoreOptions

from zoryx_core.testing import DiscordEmulator


async def test_member_roles_come_back_and_role_sync_rewinds(
    discord_emulator: DiscordEmulator, backup_bot: BackupBot
) -> None:
    emu = discord_emulator
    owner = emu.create_user("owner")
    guild_model = emu.create_guild("Sync", owner=owner)
    helper, artist = emu.create_role(guild_model, "helper"), emu.create_role(guild_model, "artist")
    bot_role = emu.bot_role(guild_model)
    high = emu.create_role(guild_model, "high", position=bot_role.position + 1)  # above the bot
    alice = emu.add_member(guild_model, "alice", roles=[helper])
    bob = emu.add_member(guild_model, "bob", roles=[artist, high])
    bot, service = await backup_bot()
    guild = bot.get_guild(guild_model.id)
    assert guild is not None
    record = await service.create(guild, "members", author_id=owner.id)

    # after the backup: alice loses helper and gets a new role, the high role and an integration's role
    late = emu.create_role(guild_model, "late")
    integration = emu.create_role(guild_model, "integration")
    integration.managed = True
    emu.edit_role(guild_model, integration)
    emu.set_member_roles(guild_model, alice, [late, high, integration])
    emu.set_member_roles(guild_model, bob, [high])  # bob loses artist, keeps high
    alice_member = guild.get_member(alice.user_id)
    await settle(lambda: alice_member is not None and len(alice_member.roles) == 4, "alice's new roles")

    members_only = RestoreOptions.of([Component.MEMBER_ROLES])
    report = await service.restore(guild, record.id, members_only, user_id=owner.id)
    assert report.ok
    assert set(alice.roles) == {helper.id, late.id, high.id, integration.id}  # additive: nothing taken away
    assert set(bob.roles) == {artist.id, high.id}

    synced = RestoreOptions.of([Component.MEMBER_ROLES], role_sync=True)
    await settle(lambda: alice_member is not None and len(alice_member.roles) == 5, "alice's restored role")
    report = await service.restore(guild, record.id, synced, user_id=owner.id)
    assert report.ok
    # the role given after the backup is gone; the role above the bot and the managed role stay
    assert set(alice.roles) == {helper.id, high.id, integration.id}
    assert set(bob.roles) == {artist.id, high.id}
    [alice_result] = [i for i in report.items if i.source_id == alice.user_id]
    assert alice_result.outcome == Outcome.UPDATED
    assert "-late" in alice_result.detail
    assert "high" in alice_result.detail and "integration" in alice_result.detail  # named as left alone
    assert all(r.status == 200 for r in emu.requests_to("PATCH /guilds/{guild_id}/members/{user_id}"))


async def test_member_who_left_is_reported(discord_emulator: DiscordEmulator, backup_bot: BackupBot) -> None:
    emu = discord_emulator
    owner = emu.create_user("owner")
    guild_model = emu.create_guild("Leavers", owner=owner)
    role = emu.create_role(guild_model, "regular")
    carol = emu.add_member(guild_model, "carol", roles=[role])
    bot, service = await backup_bot()
    guild = bot.get_guild(guild_model.id)
    assert guild is not None
    record = await service.create(guild, None, author_id=owner.id)
    emu.remove_member(guild_model, carol)
    await settle(lambda: guild.get_member(carol.user_id) is None, "carol leaving")
    report = await service.restore(guild, record.id, RestoreOptions.of(["member roles"]), user_id=owner.id)
    [result] = [i for i in report.items if i.source_id == carol.user_id]
    assert (result.outcome, result.detail) == (Outcome.SKIPPED, "no longer a member")
