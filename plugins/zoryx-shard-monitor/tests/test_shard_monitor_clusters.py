"""With the bot's shards in several processes, the dashboard's Clusters tab shows every
cluster's shards, from the ``cluster_stats`` event a cluster plugin (zoryx-cluster) emits."""

from __future__ import annotations

from conftest import Starter, World, until

from zoryx_core.testing import Message


async def test_the_dashboard_shows_the_shards_of_every_cluster(world: World, start: Starter) -> None:
    emu = world.emu
    bot, monitor = await start()
    await until(lambda: all(monitor.metrics(s).connected for s in (0, 1)), "both shards connected")
    dashboard = await emu.converse(world.channels[0], world.boss, "!shardmonitor")
    labels = [c["label"] for row in dashboard.components for c in row["components"]]
    assert "Clusters" not in labels  # one process: no such tab

    # what a cluster plugin emits on every stats refresh (here: this process is cluster 0 of 3)
    await bot.events.emit(
        "cluster_stats",
        cluster_count=3,
        this_cluster=0,
        clusters=[
            {"cluster_id": 0, "shards": {0: 41.5, 1: 38.0}, "guilds": 2, "host": "alpha", "pid": 11},
            {"cluster_id": 1, "shards": {2: 55.0, 3: None}, "guilds": 7, "host": "beta", "pid": 12},
        ],
    )
    dashboard = await emu.converse(world.channels[0], world.boss, "!shardmonitor")
    await emu.click(dashboard, user=world.boss, label="Clusters")
    shown: Message = emu.state.messages[world.channels[0].id][dashboard.id]
    embed = shown.embeds[0]
    assert embed["title"] == "🌐 Clusters: 2/3 up, 3/4 shards connected"
    assert "**Cluster 0** (this one) · 2 servers · alpha pid 11" in embed["description"]
    assert "shards 2 55 ms · 3 -" in embed["description"].replace("—", "-")
    assert "🔴 **Cluster 2** · gone" in embed["description"]
