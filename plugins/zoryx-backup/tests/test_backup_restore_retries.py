"""A restore meets transient faults (dropped connections, 503s, 429s that outlast discord.py's own
tries, a create whose answer is lost after Discord carried it out): it retries them within its
bounds, creates nothing twice, and reports only what really failed, saying how many items needed
retries."""

from __future__ import annotations

from dataclasses import replace

from conftest import BackupBot, assert_matches_snapshot, build_world, settle
from zoryx_backup import Component, Outcome

from zoryx_core.testing import DiscordEmulator

CREATE_CHANNEL = "POST /guilds/{guild_id}/channels"
CREATE_ROLE = "POST /guilds/{guild_id}/roles"
CREATE_EMOJI = "POST /guilds/{guild_id}/emojis"
CREATE_STICKER = "POST /guilds/{guild_id}/stickers"
EDIT_MEMBER = "PATCH /guilds/{guild_id}/members/{user_id}"


async def test_transient_faults_are_retried_and_only_real_failures_reported(
    discord_emulator: DiscordEmulator, backup_bot: BackupBot
) -> None:
    emu = discord_emulator
    world = build_world(emu, roles=6, categories=2, channels=8, members=12, emojis=2, stickers=1)
    bot, service = await backup_bot(
        config={
            # one request at a time, so that each fault meets the request it is meant for
            "plugin_settings.zoryx-backup.restore_concurrency": 1,
            "plugin_settings.zoryx-backup.restore_retry_attempts": 6,
            "plugin_settings.zoryx-backup.restore_retry_seconds": 5.0,
        }
    )
    guild = bot.get_guild(world.guild.id)
    assert guild is not None
    record = await service.create(guild, "before", author_id=world.owner.id)
    snapshot = await service.load(guild.id, record.id)
    deleted_roles = world.roles[::2]
    for role in deleted_roles:
        emu.delete_role(world.guild, role)
    for channel in world.channels[::2]:
        emu.delete_channel(channel)
    emu.delete_emoji(world.guild, world.emojis[0])
    emu.delete_sticker(world.guild, world.stickers[0])
    await settle(
        lambda: (
            len(guild.roles) == len(snapshot.roles) - 3
            and len(guild.channels) == len(snapshot.channels) - 4
            and not guild.stickers
        ),
        "the deletions",
    )

    # the first channel create: two dropped connections, then more 429s than discord.py tries
    emu.faults.drop_connection(CREATE_CHANNEL, times=2)
    emu.faults.rate_limit(CREATE_CHANNEL, retry_after=0.05, times=6)
    # a role is created, but the answer never arrives: sending it again would make a second one
    emu.faults.drop_connection(CREATE_ROLE, times=1, after_processing=True)
    emu.faults.server_error(CREATE_EMOJI, status=503, times=1)
    emu.faults.server_error(EDIT_MEMBER, status=503, times=2)
    # and one that is not transient at all: the sticker keeps failing past the bounds
    sticker_fault = emu.faults.server_error(CREATE_STICKER, status=503, times=1000)

    report = await service.restore(guild, record.id, user_id=world.owner.id)

    assert [(i.component, i.name) for i in report.failed] == [(Component.STICKERS, world.stickers[0].name)]
    failure = report.failed[0]
    assert failure.error is not None and failure.error.status == 503
    assert "still failing after" in failure.detail and failure.retries >= 2
    assert sticker_fault.hits == failure.retries + 1  # every try reached Discord, none was skipped

    retried = {(i.component, i.outcome) for i in report.retried}
    assert (Component.CHANNELS, Outcome.CREATED) in retried
    assert (Component.ROLES, Outcome.CREATED) in retried
    assert (Component.EMOJIS, Outcome.CREATED) in retried
    assert (Component.MEMBER_ROLES, Outcome.UPDATED) in retried
    channel_item = next(i for i in report.retried if i.component == Component.CHANNELS)
    assert channel_item.retries == 3  # two drops, one 429 that outlasted discord.py's five tries
    assert report.retry_line().startswith(f"{len(report.retried)} items needed retries (")
    assert report.retry_line().endswith("; 1 still failed")
    refused = [r.status for r in emu.requests_to(CREATE_CHANNEL)]
    assert refused.count(499) == 2 and refused.count(429) == 6

    # the server is as backed up (no role twice), the sticker apart
    names = [r.name for r in world.guild.roles.values()]
    assert sorted(names) == sorted(r.name for r in snapshot.roles)
    assert_matches_snapshot(emu, world.guild, replace(snapshot, stickers=()), dict(report.id_map))
    assert not world.guild.stickers

    # the audit entry and the report say it too
    audit = await service.audit_log(guild.id, limit=1)
    assert "items needed retries" in audit[0].details and "1 still failed" in audit[0].details
