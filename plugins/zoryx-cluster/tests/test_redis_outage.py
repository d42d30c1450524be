"""Redis stopped mid-run and started again (a redis-server of this test alone): no process exits
or restarts, every cluster keeps answering its servers, and the clusters rejoin. Two machines
(two launchers): the second takes over the clusters of the first when it dies."""

from __future__ import annotations

import os
import signal

import psutil
from conftest import Launch, ThrowawayRedis, all_shards_ready, description, make_world, reply_to, until
from test_cluster_processes import _pids

from zoryx_core.testing import DiscordEmulator


async def test_clusters_serve_through_a_redis_outage_and_rejoin(
    emulator: DiscordEmulator, launch: Launch, throwaway_redis: ThrowawayRedis
) -> None:
    emu = emulator
    emu.identify_limits.configure(max_concurrency=2, window=0.3)
    world = make_world(emu, 4)
    launched = await launch(world, throwaway_redis.url, shards=4, clusters=2)
    await until(lambda: all_shards_ready(emu, 4), "4 shards connected", timeout=90)

    async def whole() -> str | None:
        text = description(await reply_to(world, 0, "!clusters"))
        return text if "**2/2** clusters up" in text and "**4/4** shards connected" in text else None

    before = _pids(await until(whole, "both clusters up", timeout=60))

    throwaway_redis.stop()
    await until(lambda: launched.log_has("Redis link lost"), "the launcher to notice", timeout=60)
    down = description(await reply_to(world, 0, "!clusters"))
    assert "Redis unreachable" in down and "keeps serving" in down
    status = description(await reply_to(world, 2, "!ipcstatus"))
    assert "Link: **down**" in status
    for shard_id in range(4):  # every cluster keeps answering while Redis is away
        answer = await reply_to(world, shard_id, "!where")
        assert answer.content.startswith(f"cluster {shard_id // 2} shard {shard_id} ")

    throwaway_redis.start()  # same port, empty: every key has to be written again
    after = _pids(await until(whole, "both clusters back in Redis", timeout=90))
    assert after == before
    assert launched.process.returncode is None
    assert not launched.log_has("restarting")
    await until(lambda: launched.log_has("Redis link back"), "the launcher to see Redis again")
    status = description(await reply_to(world, 2, "!ipcstatus"))
    assert "Link: **up**" in status and "held by this process" in status
    broadcast = description(await reply_to(world, 3, "!broadcastmsg back again"))
    assert "2/2 clusters OK" in broadcast


async def test_a_second_machine_takes_over_the_clusters_of_a_dead_one(
    emulator: DiscordEmulator, launch: Launch, redis_url: str
) -> None:
    emu = emulator
    emu.identify_limits.configure(max_concurrency=2, window=0.3)
    world = make_world(emu, 4)
    machine_a = await launch(world, redis_url, shards=4, clusters=2, extra=("--processes", "1"))
    await until(lambda: machine_a.log_has("claimed cluster 0"), "machine A to hold cluster 0")
    machine_b = await launch(world, redis_url, shards=4, clusters=2)  # room for both clusters
    await until(lambda: all_shards_ready(emu, 4), "4 shards connected", timeout=90)

    async def whole() -> str | None:
        text = description(await reply_to(world, 2, "!clusters"))  # cluster 1 answers
        return text if "**2/2** clusters up" in text and "**4/4** shards connected" in text else None

    before = _pids(await until(whole, "both clusters up", timeout=60))
    assert machine_b.log_has("claimed cluster 1") and not machine_b.log_has("claimed cluster 0")

    # machine A dies: its launcher and its bot process, without a word
    machine_a.process.kill()
    os.kill(before[0], signal.SIGKILL)
    await until(
        lambda: machine_b.log_has("claimed cluster 0"), "machine B to take cluster 0 over", timeout=60
    )
    after = _pids(await until(whole, "cluster 0 back, on machine B", timeout=120))
    assert after[1] == before[1] and after[0] != before[0]
    assert psutil.Process(after[0]).parent().pid == machine_b.process.pid  # type: ignore[union-attr]
    answer = await reply_to(world, 1, "!where")
    assert answer.content.startswith("cluster 0 shard 1 ")
