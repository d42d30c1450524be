"""A restore under Discord's rate limits (429s, tight buckets, a global limit) loses nothing; a
restore without Manage Channels reports every refused item with Discord's error."""

from __future__ import annotations

from conftest import BackupBot, assert_matches_snapshot, build_world, settle
from zoryx_backup import Component, Outcome, RestoreOptions

from zoryx_core.testing import DEFAULT_BOT_PERMISSIONS, DiscordEmulator, P


async def test_restore_through_429s_loses_nothing(
    discord_emulator: DiscordEmulator, backup_bot: BackupBot
) -> None:
    emu = discord_emulator
    world = build_world(emu, roles=10, categories=3, channels=16, members=40, emojis=4, stickers=2)
    bot, service = await backup_bot()
    guild = bot.get_guild(world.guild.id)
    assert guild is not None
    record = await service.create(guild, "before", author_id=world.owner.id)
    snapshot = await service.load(guild.id, record.id)
    for role in world.roles[::2]:
        emu.delete_role(world.guild, role)
    for channel in world.categories[::2] + world.channels[::2]:
        emu.delete_channel(channel)
    for emoji in world.emojis[::2]:
        emu.delete_emoji(world.guild, emoji)
    await settle(lambda: len(guild.roles) == 12 - 5 and len(guild.channels) == 20 - 10, "the deletions")

    # Discord-like buckets on the busiest routes, 429s on the first requests, and a global limit
    emu.rate_limits.set_route_limit("POST /guilds/{guild_id}/channels", limit=3, per=0.3)
    emu.rate_limits.set_route_limit("PATCH /guilds/{guild_id}/members/{user_id}", limit=5, per=0.2)
    emu.faults.rate_limit("POST /guilds/{guild_id}/roles", retry_after=0.2, times=2)
    emu.faults.rate_limit("POST /guilds/{guild_id}/emojis", retry_after=0.1, times=1)
    emu.faults.rate_limit("PATCH /guilds/{guild_id}/roles", retry_after=0.1, times=1)
    emu.faults.rate_limit(None, retry_after=0.2, is_global=True, times=1)

    report = await service.restore(guild, record.id, user_id=world.owner.id)
    assert report.ok, [f"{i.name}: {i.detail}" for i in report.failed]
    refused = [r for r in emu.requests if r.status == 429]
    assert len(refused) >= 5  # the faults above were served, and the client waited them out
    assert {r.route for r in refused} >= {"POST /guilds/{guild_id}/roles", "POST /guilds/{guild_id}/emojis"}
    assert_matches_snapshot(emu, world.guild, snapshot, dict(report.id_map))


async def test_missing_manage_channels_is_reported_per_item(
    discord_emulator: DiscordEmulator, backup_bot: BackupBot
) -> None:
    emu = discord_emulator
    world = build_world(emu, roles=4, categories=2, channels=6, members=5, emojis=0, stickers=0)
    bot, service = await backup_bot()
    guild = bot.get_guild(world.guild.id)
    assert guild is not None
    record = await service.create(guild, "before", author_id=world.owner.id)
    deleted = [world.categories[0], world.channels[0], world.channels[1], world.channels[2]]
    for channel in deleted:
        emu.delete_channel(channel)
    emu.set_bot_permissions(world.guild, DEFAULT_BOT_PERMISSIONS & ~P.MANAGE_CHANNELS)
    await settle(
        lambda: len(guild.channels) == 9 - 4 and not guild.me.guild_permissions.manage_channels,
        "the deletions and the permission change",
    )

    options = RestoreOptions.of([Component.CATEGORIES, Component.CHANNELS])
    report = await service.restore(guild, record.id, options, user_id=world.owner.id)
    failed = report.failed
    assert {i.name for i in failed if i.new_id is None} >= {c.name for c in deleted}
    for item in failed:
        assert item.outcome == Outcome.FAILED
        assert item.error is not None, item
        assert (item.error.status, item.error.code, item.error.message) == (403, 50013, "Missing Permissions")
        assert "403 (code 50013): Missing Permissions" in item.detail
    created = [i for i in report.items if i.outcome == Outcome.CREATED]
    assert created == []
    assert {c.name for c in emu.state.guild_channels(world.guild)}.isdisjoint({c.name for c in deleted})
