"""A large server is backed up, half of it deleted as an admin would, then restored: the server
matches the snapshot field by field, overwrites point at the new role ids, members have their roles."""

from __future__ import annotations

import asyncio
from typing import Any

from conftest import BackupBot, assert_matches_snapshot, build_world, settle
from zoryx_backup import Action, Component, Outcome, RestoreOptions

from zoryx_core.testing import DiscordEmulator


async def test_half_deleted_server_is_restored_field_by_field(
    discord_emulator: DiscordEmulator, backup_bot: BackupBot
) -> None:
    world = build_world(
        discord_emulator
    )  # 40 roles, 10 categories, 80 channels, 6 emojis, 3 stickers, 500 members
    bot, service = await backup_bot()
    guild = bot.get_guild(world.guild.id)
    assert guild is not None and guild.chunked and guild.member_count == 502

    record = await service.create(guild, "before the accident", author_id=world.owner.id)
    snapshot = await service.load(guild.id, record.id)
    counts = snapshot.counts()
    assert (counts.roles, counts.categories, counts.channels) == (41, 10, 81)  # + the bot's role, #general
    assert (counts.emojis, counts.stickers, counts.members) == (6, 3, 501)  # 500 members and the owner

    # an admin deletes half of everything and changes a few things
    g = world.guild
    deleted_roles = world.roles[::2]
    for role in deleted_roles:
        discord_emulator.delete_role(g, role)
    for channel in world.categories[::2] + world.channels[::2]:
        discord_emulator.delete_channel(channel)
    for emoji in world.emojis[::2]:
        discord_emulator.delete_emoji(g, emoji)
    for sticker in world.stickers[::2]:
        discord_emulator.delete_sticker(g, sticker)
    kept_role = discord_emulator.edit_role(g, world.roles[1], color=0x123456, hoist=not world.roles[1].hoist)
    kept_channel = discord_emulator.edit_channel(world.channels[5], topic="vandalised", name="renamed")
    discord_emulator.edit_guild(g, verification_level=0, icon=None, afk_timeout=60)
    await settle(lambda: len(guild.roles) == 42 - 20 and len(guild.channels) == 91 - 45, "the deletions")
    await settle(lambda: len(guild.emojis) == 3 and guild.icon is None, "the emoji and settings changes")
    await settle(
        lambda: getattr(guild.get_channel(kept_channel.id), "name", "") == "renamed", "the channel edit"
    )

    requests_before = len(discord_emulator.requests)
    plan = await service.preview(guild, record.id)
    assert len(plan.items_for(Component.ROLES, Action.CREATE)) == 20
    assert len(plan.items_for(Component.CATEGORIES, Action.CREATE)) == 5
    assert len(plan.items_for(Component.CHANNELS, Action.CREATE)) == 40
    assert len(plan.items_for(Component.EMOJIS, Action.CREATE)) == 3
    assert len(plan.items_for(Component.STICKERS, Action.CREATE)) == 2
    # the system and rules channel (#channel-00) was deleted: they point at its re-creation
    assert [i.changes for i in plan.items_for(Component.SERVER_SETTINGS)] == [
        ("verification_level", "afk_timeout", "system_channel_id", "rules_channel_id", "icon")
    ]
    [role_update] = [i for i in plan.items_for(Component.ROLES, Action.UPDATE) if i.live_id == kept_role.id]
    assert role_update.changes == ("colour", "hoist")
    [channel_update] = [
        i for i in plan.items_for(Component.CHANNELS, Action.UPDATE) if i.live_id == kept_channel.id
    ]
    assert set(channel_update.changes) == {"name", "topic"}
    assert len(plan.items_for(Component.MEMBER_ROLES, Action.UPDATE)) > 200
    assert discord_emulator.requests[requests_before:] == []  # a dry run asks Discord nothing

    progress: list[tuple[str, int, int]] = []

    async def on_progress(phase: str, done: int, total: int) -> None:
        progress.append((phase, done, total))

    report = await service.restore(guild, record.id, user_id=world.owner.id, progress=on_progress)
    assert report.ok, [str(i) for i in report.failed]
    counts_by = report.counts()
    assert counts_by[Component.ROLES][Outcome.CREATED] == 20
    assert counts_by[Component.CHANNELS][Outcome.CREATED] == 40
    assert counts_by[Component.CATEGORIES][Outcome.CREATED] == 5
    assert counts_by[Component.EMOJIS][Outcome.CREATED] == 3
    assert counts_by[Component.STICKERS][Outcome.CREATED] == 2
    assert ("roles", 0, 41 + 1) in progress and ("roles", 42, 42) in progress
    member_items = [i for i in report.items if i.component == Component.MEMBER_ROLES]
    assert [p for p in progress if p[0] == "member_roles"][-1] == (
        "member_roles",
        len(member_items),
        len(member_items),
    )
    updated_members = [i for i in member_items if i.outcome == Outcome.UPDATED]
    [unchanged] = [i for i in member_items if i.outcome == Outcome.UNCHANGED]
    assert unchanged.name == f"{501 - len(updated_members)} members who have their roles already"
    assert [p for p in progress if p[0] == "channels"][-1] == ("channels", 81, 81)

    id_map = dict(report.id_map)
    assert_matches_snapshot(discord_emulator, g, snapshot, id_map)

    # overwrites of re-created channels name the new roles, never the deleted ones
    deleted_ids = {r.id for r in deleted_roles}
    new_role_ids = {id_map[r.id] for r in deleted_roles}
    assert not deleted_ids & set(g.roles)
    targets = {o.id for c in discord_emulator.state.guild_channels(g) for o in c.overwrites}
    assert not targets & deleted_ids and targets & new_role_ids

    # positions went in one bulk request each, not one per item
    assert len(discord_emulator.requests_to("PATCH /guilds/{guild_id}/roles")) == 1
    assert len(discord_emulator.requests_to("PATCH /guilds/{guild_id}/channels")) <= 1

    # the bot's view agrees: no drift left once the gateway events are in
    def no_drift() -> bool:
        return bool(drift_box) and drift_box[-1].is_empty

    drift_box: list[Any] = []
    for _ in range(100):
        drift_box.append(await service.drift(guild, snapshot))
        if no_drift():
            break
        await asyncio.sleep(0.05)
    assert drift_box[-1].is_empty, drift_box[-1].summary()
    log = await service.audit_log(guild.id)
    assert log[0].action == "restore" and "roles: " in log[0].details


async def test_selected_components_only(discord_emulator: DiscordEmulator, backup_bot: BackupBot) -> None:
    world = build_world(discord_emulator, roles=6, categories=2, channels=6, members=10, emojis=2, stickers=1)
    bot, service = await backup_bot()
    guild = bot.get_guild(world.guild.id)
    assert guild is not None
    record = await service.create(guild, None, author_id=world.owner.id)
    discord_emulator.delete_role(world.guild, world.roles[0])
    discord_emulator.delete_channel(world.channels[0])
    await settle(lambda: len(guild.roles) == 7 and len(guild.channels) == 8, "the deletions")

    options = RestoreOptions.of(["roles"])
    report = await service.restore(guild, record.id, options, user_id=world.owner.id)
    assert report.ok
    assert {i.component for i in report.items} == {Component.ROLES}
    assert discord_emulator.role_named(world.guild, world.roles[0].name)
    names = {c.name for c in discord_emulator.state.guild_channels(world.guild)}
    assert world.channels[0].name not in names  # channels were not selected
    assert not discord_emulator.requests_to("POST /guilds/{guild_id}/channels")
