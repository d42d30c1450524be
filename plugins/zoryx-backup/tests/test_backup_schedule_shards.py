"""With the shards split over processes sharing one data folder (as zoryx-cluster runs them),
each server's automatic backup is made once, by the process holding the server's shard."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from commands_world import backup_config
from zoryx_backup import backup_service

from zoryx_core.testing import DiscordEmulator, start_bot, stop_bot
from zoryx_core.testing.zoryx_bots import make_zoryx_bot


async def test_each_server_is_backed_up_by_the_process_holding_its_shard(
    discord_emulator: DiscordEmulator, tmp_path: Path
) -> None:
    emu = discord_emulator
    boss = emu.create_user("boss")
    guilds = {}
    index = 0
    while len(guilds) < 2:
        guild = emu.create_guild(f"Server {index}", owner=boss)
        guilds.setdefault((guild.id >> 22) % 2, guild)
        index += 1
    config = backup_config(auto_backup_hours=6, schedule_check_seconds=3600)
    bots = [
        make_zoryx_bot(tmp_path, plugins=["zoryx-backup"], config=config, owner_id=boss.id,
                       shard_count=2, shard_ids=[shard])
        for shard in (0, 1)
    ]  # fmt: skip
    try:
        for bot in bots:
            await start_bot(emu, bot)
        services = [backup_service(bot) for bot in bots]
        for service in services:  # the loops' first checks (nothing due yet) are over
            assert service.scheduler is not None
            await asyncio.wait_for(service.scheduler.first_pass.wait(), 60)
        for guild in guilds.values():
            await services[0].set_schedule(guild.id, 6, boss.id)
            await services[0].mark_schedule_run(guild.id, at=datetime.now(UTC) - timedelta(hours=7))
        assert all(service.scheduler is not None for service in services)

        first = await services[0].scheduler.run_due()  # type: ignore[union-attr]
        assert [r.guild_id for r in first.made] == [guilds[0].id] and not first.failed
        due = [s.guild_id for s in await services[1].due_schedules()]
        assert due == [guilds[1].id]  # left for the process holding shard 1, not marked as run

        second = await services[1].scheduler.run_due()  # type: ignore[union-attr]
        assert [r.guild_id for r in second.made] == [guilds[1].id] and not second.failed
        assert await services[0].due_schedules() == []
        for guild in guilds.values():
            assert [r.automatic for r in await services[0].list_backups(guild.id)] == [True]
    finally:
        for bot in reversed(bots):
            await stop_bot(bot)
