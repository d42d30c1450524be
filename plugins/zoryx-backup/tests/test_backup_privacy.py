"""A user's data deletion request reaches every snapshot: their member roles are taken out (the
snapshot re-sealed with a new checksum) and their id leaves the index and the audit trail."""

from __future__ import annotations

from conftest import BackupBot, build_world

from zoryx_core.testing import DiscordEmulator


async def test_forgetting_a_user(discord_emulator: DiscordEmulator, backup_bot: BackupBot) -> None:
    world = build_world(discord_emulator, roles=3, categories=1, channels=2, members=4, emojis=0, stickers=0)
    bot, service = await backup_bot()
    guild = bot.get_guild(world.guild.id)
    assert guild is not None
    leaving = world.users[1]
    first = await service.create(guild, "one", author_id=leaving.id)
    second = await service.create(guild, "two", author_id=world.owner.id)
    assert leaving.id in (await service.load(guild.id, first.id)).members.roles

    report = await bot.plugins.delete_user_data(leaving.id)
    assert "zoryx-backup" in report
    for record in (first, second):
        snapshot = await service.load(guild.id, record.id)  # verified against the new checksum
        assert leaving.id not in snapshot.members.roles and world.users[0].id in snapshot.members.roles
        after = await service.get(guild.id, record.id)
        assert after.sha256 != record.sha256 and after.counts.members == record.counts.members - 1
        assert (await service.verify(guild.id, record.id, None)).ok
    assert (await service.get(guild.id, first.id)).author_id == 0
    assert all(e.user_id != leaving.id for e in await service.audit_log(guild.id))
