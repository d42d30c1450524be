"""The pieces on real Redis: leases, the identify lock per bucket, the shared REST limiter, the
invalid-request count; shard layouts, masked URLs, the bus's preset requests, and the launcher's
refusals before anything starts."""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import sys
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from conftest import delete_namespace, free_port
from yarl import URL
from zoryx_cluster import (
    ClusterIdentity,
    Keys,
    Launcher,
    LauncherOptions,
    LaunchError,
    Lease,
    LeaseLost,
    ShardLayoutError,
    check_ranges,
    mask_url,
    plan_ranges,
)
from zoryx_cluster.bus import BusMessage, parse_message
from zoryx_cluster.identify import IdentifyGate
from zoryx_cluster.rest_limits import GlobalRestLimiter, InvalidRequestCounter, counts_towards_global

from zoryx_core.discord_redirect import point_discord_at, restore_discord_defaults
from zoryx_core.testing import DiscordEmulator
from zoryx_core.testing.zoryx_bots import make_zoryx_bot


@pytest.fixture
async def keys(redis_url: str):  # type: ignore[no-untyped-def]
    application_id = secrets.randbelow(10**12) + 10**15
    yield Keys(application_id)
    await delete_namespace(redis_url, application_id)


def test_shard_ranges_are_contiguous_and_checked() -> None:
    assert plan_ranges(16, 4) == [range(0, 4), range(4, 8), range(8, 12), range(12, 16)]
    assert plan_ranges(10, 3) == [range(0, 4), range(4, 7), range(7, 10)]
    with pytest.raises(ShardLayoutError, match="--clusters 5: must be from 1 to the number of shards"):
        plan_ranges(4, 5)
    with pytest.raises(ShardLayoutError, match="shard 3 is in cluster 0 and cluster 1"):
        check_ranges(8, [range(0, 4), range(3, 8)])
    with pytest.raises(ShardLayoutError, match="shard 8 is out of range; shards are 0 to 7"):
        check_ranges(8, [range(0, 4), range(4, 9)])
    with pytest.raises(ValueError, match="ZORYX_CLUSTER_ID=3: must be from 0 to 2"):
        ClusterIdentity.from_environ({"ZORYX_CLUSTER_ID": "3", "ZORYX_CLUSTER_COUNT": "3"})


def test_redis_passwords_are_masked() -> None:
    assert mask_url("redis://user:s3cret@host:6380/2") == "redis://user:***@host:6380/2"
    assert mask_url("rediss://:s3cret@host/0") == "rediss://***@host/0"
    assert mask_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def test_only_preset_requests_travel() -> None:
    message = BusMessage.new("reload", 2, plugin="zoryx-backup")
    assert parse_message(message.encode()) == message
    assert (
        parse_message(json.dumps({"kind": "exec", "sender": 1, "request_id": "ab", "text": "import os"}))
        is None
    )
    assert parse_message(BusMessage.new("reload", 1, plugin="../../etc").encode()) is None
    assert parse_message("x" * 10_000) is None
    assert parse_message(b"\x00") is None


async def test_a_live_lease_cannot_be_taken_and_an_expired_one_can(
    redis_client: aioredis.Redis, keys: Keys
) -> None:
    first = Lease(redis_client, keys, 1, "machine-a", ttl=0.3)
    second = Lease(redis_client, keys, 1, "machine-b", ttl=0.3)
    assert await first.claim()
    assert not await second.claim()
    with pytest.raises(LeaseLost):
        await second.renew()
    assert await first.renew() is False  # still ours
    for _ in range(200):  # machine A stops renewing
        if not await redis_client.exists(first.key):
            break
        await asyncio.sleep(0.05)
    assert await second.claim()
    with pytest.raises(LeaseLost, match="cluster 1 is now held by another process"):
        await first.renew()
    await second.release()
    assert await second.holder() is None


async def test_identify_lock_lets_one_shard_per_bucket_per_window(
    redis_client: aioredis.Redis, keys: Keys
) -> None:
    hold = 0.4
    gates = [
        IdentifyGate(redis_client, keys, max_concurrency=2, hold=hold, holder=f"process-{i}")
        for i in range(3)
    ]

    async def process(gate: IdentifyGate, shards: list[int]) -> None:
        for shard in shards:
            await gate(shard, shard == shards[0])

    await asyncio.gather(process(gates[0], [0, 1]), process(gates[1], [2, 3]), process(gates[2], [4, 5]))
    by_bucket: dict[int, list[float]] = {}
    for gate in gates:
        for shard, at in gate.identified:
            by_bucket.setdefault(shard % 2, []).append(at)
    assert sorted(len(times) for times in by_bucket.values()) == [3, 3]
    for times in by_bucket.values():
        times.sort()
        assert all(b - a >= hold * 0.5 for a, b in itertools.pairwise(times))


async def test_the_rest_limiter_is_shared_and_atomic(redis_client: aioredis.Redis, keys: Keys) -> None:
    url = URL("http://127.0.0.1/api/v10/channels/1/messages")
    # a window of a minute: what is admitted is what the limit allows, not what the clock allowed
    limiters = [
        GlobalRestLimiter(redis_client, keys, limit=20, window_ms=60_000, holder=f"p{i}", local_share=7)
        for i in range(3)
    ]
    requests = [asyncio.create_task(limiters[i % 3]("POST", url)) for i in range(50)]
    try:
        for _ in range(600):
            if sum(task.done() for task in requests) >= 20:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # the other 30 are waiting for a slot, whatever process they are in
        assert sum(task.done() for task in requests) == 20
        assert await redis_client.zcard(keys.rest_global) == 20
        assert sum(limiter.sent for limiter in limiters) == 20
    finally:
        for task in requests:
            task.cancel()
        await asyncio.gather(*requests, return_exceptions=True)
    assert counts_towards_global(url)
    assert not counts_towards_global(URL("http://x/api/v10/interactions/1/token/callback"))
    assert not counts_towards_global(URL("http://x/api/v10/webhooks/1/token"))


async def test_invalid_requests_are_counted_for_the_whole_bot(
    redis_client: aioredis.Redis, keys: Keys
) -> None:
    counters = [InvalidRequestCounter(redis_client, keys, window_seconds=600) for _ in range(2)]
    url = URL("http://x/api/v10/users/@me")
    counters[0].observe("GET", url, 401, {})
    counters[0].observe("GET", url, 200, {})
    counters[1].observe("GET", url, 429, {"X-RateLimit-Scope": "user"})
    counters[1].observe("GET", url, 429, {"X-RateLimit-Scope": "shared"})  # Discord does not count these
    counters[1].observe("GET", url, 403, {})
    for counter in counters:
        await counter.flush()
    assert await counters[0].total() == 3


def _options(emu: DiscordEmulator, url: str, **overrides: object) -> LauncherOptions:
    base: dict[str, object] = {
        "shards": 4,
        "clusters": 2,
        "environ": {
            "DISCORD_TOKEN": emu.token,
            "BOT_OWNER_ID": str(emu.app_owner.id),
            "ZORYX_REDIS_URL": url,
            "ZORYX_DISCORD_URL": emu.base_url,
        },
        "bot_command": (sys.executable, "-c", "pass"),
    }
    base.update(overrides)
    return LauncherOptions(**base)  # type: ignore[arg-type]


async def _refusal(options: LauncherOptions) -> str:
    launcher = Launcher(options)
    try:
        with pytest.raises(LaunchError) as caught:
            await launcher.prepare()
    finally:
        if launcher.redis is not None:
            await launcher.redis.aclose()
    message = str(caught.value)
    assert "\n" not in message
    return message


async def test_the_launcher_refuses_before_starting_anything(
    emulator: DiscordEmulator, redis_url: str
) -> None:
    emu = emulator
    down = f"redis://admin:hunter2@127.0.0.1:{free_port()}/0"
    message = await _refusal(_options(emu, down))
    assert (
        message.startswith("cannot reach Redis at redis://admin:***@127.0.0.1:") and "hunter2" not in message
    )

    no_owner = _options(emu, redis_url)
    del no_owner.environ["BOT_OWNER_ID"]  # type: ignore[attr-defined]
    assert "BOT_OWNER_ID" in await _refusal(no_owner)

    message = await _refusal(_options(emu, redis_url, shards=4, clusters=6))
    assert message == "--clusters 6: must be from 1 to the number of shards (4)"

    emu.identify_limits.configure(total=1000, remaining=3, enforced=False)
    message = await _refusal(_options(emu, redis_url))
    assert "starting 4 shards needs 4 session starts but Discord allows 3 more today" in message
    emu.identify_limits.configure(remaining=1000, enforced=False)

    try:
        first = Launcher(_options(emu, redis_url))
        await first.prepare()  # 4 shards in 2 clusters: this bot's layout now
        assert first.redis is not None
        await first.redis.aclose()
        message = await _refusal(_options(emu, redis_url, shards=4, clusters=4))
        assert "another launcher of this bot runs 4 shards in 2 clusters" in message and "overlap" in message
        wrong_token = _options(emu, redis_url)
        wrong_token.environ["DISCORD_TOKEN"] = "not-the-token"  # type: ignore[index]
        assert "Discord refused DISCORD_TOKEN (401 Unauthorized)" in await _refusal(wrong_token)
    finally:
        await delete_namespace(redis_url, emu.application_id)


async def test_a_process_with_the_wrong_shard_range_never_connects(
    emulator: DiscordEmulator, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = emulator
    point_discord_at(emu.api_url, emu.gateway_url)
    monkeypatch.setenv("ZORYX_REDIS_URL", redis_url)
    monkeypatch.setenv("ZORYX_CLUSTER_ID", "1")
    monkeypatch.setenv("ZORYX_CLUSTER_COUNT", "2")
    bot = make_zoryx_bot(tmp_path, plugins=["zoryx-cluster"], shard_count=4, shard_ids=[0, 1])
    try:
        await asyncio.wait_for(bot.start(emu.token), 60)
    finally:
        await bot.close()
        restore_discord_defaults()
        await delete_namespace(redis_url, emu.application_id)
    outcome = bot.plugins.outcomes["zoryx-cluster"]
    assert "refusing to connect: cluster 1 of 2 runs shards 2-3 of 4, not 0-1" in outcome.reason
    assert emu.identify_limits.log == [] and not emu.gateway.sessions


def test_clusters_fit_one_embed_however_many() -> None:
    from zoryx_cluster.render import clusters_embed
    from zoryx_cluster.stats import ClusterStats

    members = {i: ClusterStats(i, [i], 40, shards={str(i): 20.0}) for i in range(40) if i != 33}
    embed = clusters_embed(40, members, 0)
    assert len(embed.fields) == 25
    assert embed.fields[-1].name == "Clusters 24-39" and embed.fields[-1].value == "15 up; gone: 33"
    assert "**39/40** clusters up" in (embed.description or "")


async def test_the_launcher_respawns_up_to_its_cap_and_stops_everything(
    emulator: DiscordEmulator, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    emu = emulator
    caplog.set_level("INFO", logger="zoryx.cluster.launcher")
    crashing = _options(
        emu, redis_url, bot_command=(sys.executable, "-c", "raise SystemExit(3)"),
        max_restarts=2, restart_backoff=0.2, renew_seconds=0.1,
    )  # fmt: skip
    try:
        launcher = Launcher(crashing)
        await launcher.prepare()
        assert await asyncio.wait_for(launcher.run(), 60) == 1  # every cluster gave up
        assert [slot.starts for slot in launcher.slots] == [3, 3]
        text = caplog.text
        assert text.count("cluster 0 exited with code 3; restarting in") == 2
        assert "restarting in 0.2 s" in text and "restarting in 0.4 s" in text  # the backoff doubles
        assert "cluster 0 exited with code 3; it stopped 3 times in 300 s: giving up (restart cap 2)" in text

        sleeping = _options(emu, redis_url, bot_command=(sys.executable, "-c", "import time; time.sleep(60)"))
        launcher = Launcher(sleeping)
        await launcher.prepare()
        running = asyncio.create_task(launcher.run())
        for _ in range(400):
            if all(s.process is not None for s in launcher.slots):
                break
            await asyncio.sleep(0.05)
        processes = [slot.process for slot in launcher.slots]
        launcher.stop()  # what SIGTERM does
        assert await asyncio.wait_for(running, 60) == 0
        assert all(p is not None and p.returncode == -15 for p in processes)
        assert "cluster 1 stopped (was killed by SIGTERM)" in caplog.text
        client = aioredis.Redis.from_url(redis_url, decode_responses=True)
        try:
            assert await client.get(Keys(emu.application_id).lease(0)) is None  # leases given back
        finally:
            await client.aclose()
    finally:
        await delete_namespace(redis_url, emu.application_id)


async def test_a_cluster_given_up_on_is_left_free_for_another_machine(
    emulator: DiscordEmulator, redis_url: str
) -> None:
    """The launcher stops renewing the lease of a cluster it gave up on (renewing would take it
    again), while it keeps the lease of the cluster that still runs."""
    emu = emulator
    crash_cluster_0 = (
        "import os, sys, time\n"
        "if os.environ['ZORYX_CLUSTER_ID'] == '0':\n"
        "    sys.exit(3)\n"
        "time.sleep(60)\n"
    )
    options = _options(
        emu, redis_url, bot_command=(sys.executable, "-c", crash_cluster_0),
        max_restarts=1, restart_backoff=0.1, renew_seconds=0.1, lease_seconds=1.0,
    )  # fmt: skip
    keys = Keys(emu.application_id)
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    launcher = Launcher(options)
    try:
        await launcher.prepare()
        running = asyncio.create_task(launcher.run())
        slot_0 = lambda: next(s for s in launcher.slots if s.cluster_id == 0)  # noqa: E731
        for _ in range(400):
            if any(s.cluster_id == 0 and s.given_up for s in launcher.slots):
                break
            await asyncio.sleep(0.05)
        assert slot_0().given_up
        await asyncio.sleep(0.6)  # six renewals
        assert await client.get(keys.lease(0)) is None
        assert await client.get(keys.lease(1)) is not None
        launcher.stop()
        assert await asyncio.wait_for(running, 60) == 0  # one cluster still ran until the stop
    finally:
        await client.aclose()
        await delete_namespace(redis_url, emu.application_id)


async def test_the_first_command_after_redis_restarts_succeeds(throwaway_redis: Any) -> None:
    """A pooled connection that died with the server is reconnected on its next use."""
    from zoryx_cluster.link import client_for

    client = client_for(throwaway_redis.url)
    try:
        await client.set("zoryx-test:before", "1")
        throwaway_redis.stop()
        throwaway_redis.start()  # same port, empty
        assert await client.publish("zoryx-test:bus", "hello") == 0  # nobody listens; no error
        assert await client.get("zoryx-test:before") is None
    finally:
        await client.aclose()
