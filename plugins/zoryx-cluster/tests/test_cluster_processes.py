"""The launcher with real bot processes, real Redis and the emulator: three processes of four
shards share the identify buckets, answer each server once, report and broadcast to each other,
reload a plugin everywhere, survive a SIGKILL of one of them and share the global REST limit;
owner commands refuse everyone else, by prefix and by slash."""

from __future__ import annotations

import os
import re
import signal

from conftest import Launch, World, all_shards_ready, description, make_world, reply_to, until

from zoryx_core.testing import Channel, DiscordEmulator

SHARDS = 12
CLUSTERS = 3
MAX_CONCURRENCY = 4


def _pids(text: str) -> dict[int, int]:
    """Cluster id -> pid, from a ``clusters`` answer."""
    found: dict[int, int] = {}
    for block in text.split("Cluster ")[1:]:
        cluster = re.match(r"(\d+)", block)
        pid = re.search(r"pid (\d+)", block)
        if cluster and pid:
            found[int(cluster.group(1))] = int(pid.group(1))
    return found


async def test_three_processes_of_four_shards(
    emulator: DiscordEmulator, launch: Launch, redis_url: str
) -> None:
    emu = emulator
    emu.identify_limits.configure(max_concurrency=MAX_CONCURRENCY, window=0.5)
    world: World = make_world(emu, SHARDS)
    alerts = emu.create_channel(world.guilds[0], "alerts")
    # a restart 4 s after a crash: longer than the expiry (1.5 s), so the gap is there to be seen
    launched = await launch(
        world, redis_url, shards=SHARDS, clusters=CLUSTERS, extra=("--restart-backoff", "4"),
        alert_channel_id=alerts.id,
    )  # fmt: skip

    # -- every shard identified, within the buckets' limits --------------------------------------
    await until(lambda: all_shards_ready(emu, SHARDS), "all 12 shards connected", timeout=120)
    limits = emu.identify_limits
    assert limits.invalidated == []
    assert limits.most_in_one_window() <= MAX_CONCURRENCY
    assert sorted(r.shard_id for r in limits.log) == list(range(SHARDS))
    assert {r.shard_count for r in limits.log} == {SHARDS}
    assert limits.session_start_limit()["remaining"] == 1000 - SHARDS

    # -- every server's command answered once, by the cluster holding its shard --------------------
    answers = {}
    for shard_id in range(SHARDS):
        answer = await reply_to(world, shard_id, "!where")
        answers[shard_id] = answer.content
        assert answer.content.startswith(f"cluster {shard_id // 4} shard {shard_id} ")
    clusters_answer = await until(
        lambda: _whole(world), "clusters to show 3/3 up and 12/12 shards connected", timeout=60
    )
    for shard_id in range(SHARDS):
        bot_messages = [m for m in emu.messages_in(world.channel(shard_id)) if m.author_id == emu.bot_user.id]
        assert [m.content for m in bot_messages if m.content.startswith("cluster ")] == [answers[shard_id]]
    pids = _pids(clusters_answer)
    every_shard = f"stats of 3 clusters, shards {list(range(SHARDS))}"
    await until(lambda: every_shard in launched.journal(2), "cluster_stats with every cluster's shards")
    assert sorted(pids) == [0, 1, 2] and len(set(pids.values())) == 3

    # -- broadcast and a reload everywhere, one outcome per cluster -----------------------------------
    broadcast = description(await reply_to(world, 5, "!broadcastmsg maintenance at noon"))
    assert "3/3 clusters OK" in broadcast
    for cluster_id in range(CLUSTERS):
        assert f"cluster {cluster_id}: received" in broadcast
        await until(
            lambda c=cluster_id: "broadcast maintenance at noon" in launched.journal(c),
            f"cluster {cluster_id} to see the broadcast",
        )
    reload = description(await reply_to(world, 9, "!clusterreload where"))
    assert "3/3 clusters OK" in reload
    assert all(f"cluster {c}: reloaded where" in reload for c in range(CLUSTERS))
    assert all(launched.journal(c).count("setup") == 2 for c in range(CLUSTERS))
    unknown = description(await reply_to(world, 0, "!clusterreload no-such-plugin"))
    assert "0/3 clusters OK" in unknown and unknown.count("❌") == 3

    # -- owner commands refuse everyone else, by prefix and by slash -----------------------------------
    for command in ("!clusters", "!ipcstatus", "!broadcastmsg hi", "!clusterreload where"):
        refused = await reply_to(world, 1, command, author=world.plain)
        assert "owner" in description(refused).lower(), (command, description(refused))
    assert not any("broadcast hi" in launched.journal(c) for c in range(CLUSTERS))
    await reply_to(world, 0, "!sync")
    slash = await emu.run_slash("clusters", channel=world.channel(4), user=world.plain, timeout=30)
    assert slash.ephemeral and "owner" in str(slash.content or slash.embeds).lower()
    slash = await emu.run_slash("ipcstatus", channel=world.channel(4), user=world.boss, timeout=30)
    status = str(slash.embeds)
    assert "Cluster **1** of 3" in status and "Link: **up**" in status and "held by this process" in status
    assert redis_url.split("@")[-1].split("/")[0] in status

    # -- SIGKILL of one process: seen gone, restarted alone ------------------------------------------
    os.kill(pids[1], signal.SIGKILL)
    gone = await until(lambda: _clusters_text(world, "Cluster 1: gone"), "cluster 1 shown gone", timeout=60)
    assert "**2/3** clusters up" in gone
    await until(lambda: "left 1" in launched.journal(0), "cluster 0 told that cluster 1 left")
    await until(lambda: _titles(emu, alerts).count("Cluster 1 is gone") == 1, "one alert, from cluster 0")
    await until(
        lambda: launched.log_has("cluster 1 was killed by SIGKILL; restarting in 4.0 s"), "the restart log"
    )
    whole = await until(lambda: _whole(world), "cluster 1 back", timeout=120)
    after = _pids(whole)
    assert after[0] == pids[0] and after[2] == pids[2] and after[1] != pids[1]
    assert not launched.log_has("cluster 0 was") and not launched.log_has("cluster 2 was")
    answer = await reply_to(world, 6, "!where")
    assert answer.content.startswith("cluster 1 shard 6 ")
    assert emu.identify_limits.invalidated == []
    await until(lambda: "Cluster 1 joined" in _titles(emu, alerts), "the alert that it is back")
    assert _titles(emu, alerts).count("Cluster 1 is gone") == 1


def _titles(emu: DiscordEmulator, channel: Channel) -> list[str]:
    return [str(m.embeds[0].get("title")) for m in emu.messages_in(channel) if m.embeds]


async def _clusters_text(world: World, wanted: str) -> str | None:
    text = description(await reply_to(world, 0, "!clusters"))
    return text if wanted in text else None


async def _whole(world: World) -> str | None:
    text = description(await reply_to(world, 0, "!clusters"))
    return text if "3/3** clusters up" in text and "12/12** shards connected" in text else None


async def test_three_processes_share_the_global_rest_limit(
    emulator: DiscordEmulator, launch: Launch, redis_url: str
) -> None:
    emu = emulator
    emu.identify_limits.configure(max_concurrency=4, window=0.3)
    world = make_world(emu, 3)
    alerts = emu.create_channel(world.guilds[0], "alerts")
    await launch(
        world, redis_url, shards=3, clusters=3, global_rest_limit=50,
        invalid_request_budget=6, alert_channel_id=alerts.id,
    )  # fmt: skip
    await until(lambda: all_shards_ready(emu, 3), "3 shards connected", timeout=90)
    emu.global_limit.per_second = 50
    first = len(emu.requests)
    sent = [await emu.send_message(world.channel(s), world.boss, "!flood 60") for s in range(3)]
    for shard_id, message in enumerate(sent):
        done = await emu.wait_for_message(world.channel(shard_id), after=message, timeout=60)
        while not done.content.startswith("flooded"):
            done = await emu.wait_for_message(world.channel(shard_id), after=done, timeout=60)
    flood = [r for r in emu.requests[first:] if r.route == "POST /channels/{channel_id}/messages"]
    assert len(flood) >= 3 * 61 and {r.status for r in flood} == {200}
    span = flood[-1].at - flood[0].at
    print(
        f"global REST limit 50/s: {len(flood)} requests from 3 processes at {(len(flood) - 1) / span:.1f}/s"
    )
    assert emu.invalid_requests.counts[429] == 0 and emu.global_limit.rejected == 0
