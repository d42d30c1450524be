"""The shard monitor on a two-shard bot against the emulator: per-shard counters and latency,
a dropped connection (critical, then resumed), slow heartbeats (warning, critical, alerts and
their rate limit), the owner-only commands and dashboard, and metrics that survive a restart."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from conftest import Starter, World, measured, until
from zoryx_shard_monitor import ShardMonitor, Tier, shard_monitor

from zoryx_core import PluginStatus, ZoryxBot
from zoryx_core.testing import Message


def titles(world: World, shard: int | None = None) -> list[str]:
    """Titles of the alerts posted so far (about ``shard`` only, if given)."""
    found = [str(m.embeds[0].get("title", "")) for m in world.emu.messages_in(world.alerts) if m.embeds]
    return [t for t in found if shard is None or f"Shard {shard} " in t]


async def test_events_and_latency_are_counted_per_shard(world: World, start: Starter) -> None:
    emu = world.emu
    bot, monitor = await start()
    await until(lambda: all(monitor.metrics(s).connected for s in (0, 1)), "both shards connected")
    assert all(monitor.metrics(s).counters["connects"] >= 1 for s in (0, 1))

    for _ in range(3):
        await emu.send_message(world.channels[0], world.plain, "hello")
    await emu.send_message(world.channels[1], world.plain, "hi")
    await emu.converse(world.channels[1], world.boss, "!shardhealth")
    await until(lambda: monitor.metrics(1).counters["commands"] == 1, "the command")
    await until(lambda: monitor.metrics(0).counters["messages"] == 3, "three messages on shard 0")
    # shard 1: "hi", the command, and the bot's own answer
    await until(lambda: monitor.metrics(1).counters["messages"] == 3, "three messages on shard 1")
    assert monitor.metrics(0).counters["commands"] == 0

    await measured(bot, 0)
    await measured(bot, 1)
    await monitor.collect()
    for shard in (0, 1):
        stats = monitor.metrics(shard).latency_stats()
        assert stats.samples == 1 and stats.last is not None and stats.last < 1000
    assert [v.tier for v in await monitor.check()] == [Tier.HEALTHY, Tier.HEALTHY]


async def test_a_dropped_shard_is_critical_until_it_resumes(world: World, start: Starter) -> None:
    emu = world.emu
    bot, monitor = await start()
    await until(lambda: all(monitor.metrics(s).connected for s in (0, 1)), "both shards connected")
    await measured(bot, 1)
    await monitor.collect()

    await emu.gateway.drop_connections(1)
    await until(lambda: monitor.metrics(1).counters["resumes"] == 1, "shard 1 to resume")
    metrics = monitor.metrics(1)
    kinds = [kind for _, kind in metrics.timeline]
    assert kinds[-2:] == ["disconnect", "resume"]
    assert metrics.counters["disconnects"] == 1 and metrics.connected
    assert monitor.metrics(0).counters["disconnects"] == 0

    # a shard marked disconnected is critical; failed samples count until a good one arrives
    metrics.disconnect()
    verdict = {v.shard_id: v for v in monitor.verdicts()}[1]
    assert verdict.tier == Tier.CRITICAL and "disconnected" in verdict.reasons
    for _ in range(5):
        metrics.sample(None)
    metrics.connect("resume")
    verdict = {v.shard_id: v for v in monitor.verdicts()}[1]
    assert verdict.tier == Tier.CRITICAL and verdict.reasons == ("5 failed samples in a row",)
    await measured(bot, 1)
    await monitor.collect()
    assert metrics.consecutive_failures == 0
    assert {v.shard_id: v.tier for v in monitor.verdicts()}[1] == Tier.HEALTHY
    assert metrics.uptime_percent() < 100.0


async def test_slow_heartbeats_raise_warning_then_critical_and_alert_once(
    world: World, start: Starter
) -> None:
    emu = world.emu
    emu.gateway.heartbeat_interval_ms = 700  # longer than the slowest ack, so each is measured
    bot, monitor = await start(warning_latency_ms=100, critical_latency_ms=250, alert_cooldown_seconds=0)
    await until(lambda: all(monitor.metrics(s).connected for s in (0, 1)), "both shards connected")
    configured = await emu.converse(world.channels[0], world.boss, f"!shardalerts <#{world.alerts.id}> 2")
    assert configured.embeds[0]["title"] == "✅ Shard alerts set"

    emu.gateway.delay_heartbeat_acks(0.15, shard_id=0)
    await sampled(monitor, bot, 0, lambda ms: 120 <= ms <= 250)
    verdicts = {v.shard_id: v for v in await monitor.check()}
    assert verdicts[0].tier == Tier.WARNING and verdicts[0].reasons[0].startswith("latency")
    assert titles(world, 0) == []  # a warning alone does not alert
    # (shard 1 is left alone: on a loaded machine its own latency can pass these low thresholds)

    emu.gateway.delay_heartbeat_acks(0.35, shard_id=0)
    await sampled(monitor, bot, 0, lambda ms: ms > 250)
    await monitor.check()
    await monitor.check()  # still critical: announced once
    await until(lambda: titles(world, 0) == ["⚠️ Shard 0 is critical"], "the alert")
    alert = next(m for m in emu.messages_in(world.alerts) if "Shard 0" in m.embeds[0]["title"])
    assert "latency" in alert.embeds[0]["description"]

    emu.gateway.delay_heartbeat_acks(0, shard_id=0)
    await sampled(monitor, bot, 0, lambda ms: ms < 100)
    await monitor.check()
    await until(lambda: titles(world, 0)[-1:] == ["✅ Shard 0 recovered"], "the recovery")
    assert monitor.alerts.states[0].sent == 2


async def sampled(
    monitor: ShardMonitor, bot: ZoryxBot, shard_id: int, wanted: Callable[[float], bool]
) -> None:
    """Sample the shard's latency (each time discord.py has a new one) until a sample is wanted."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    seen = None
    while True:
        shard = bot.get_shard(shard_id)
        assert shard is not None
        if shard.latency != seen and shard.latency != float("inf"):
            seen = shard.latency
            await monitor.collect()
            last = monitor.metrics(shard_id).latency_stats().last
            if last is not None and wanted(last):
                return
        assert loop.time() < deadline, f"no wanted latency sample of shard {shard_id} (last: {seen})"
        await asyncio.sleep(0.02)


async def test_alerts_are_rate_limited_per_shard(world: World, start: Starter) -> None:
    emu = world.emu
    _, monitor = await start(alert_cooldown_seconds=3600)
    await until(lambda: all(monitor.metrics(s).connected for s in (0, 1)), "both shards connected")
    await monitor.alerts.configure(channel_id=world.alerts.id, threshold=2)
    metrics = monitor.metrics(1)
    for _ in range(2):
        metrics.sample(None, error="no heartbeat acknowledged")
    await monitor.check()
    await until(lambda: titles(world) == ["⚠️ Shard 1 is failing"], "the first alert")
    metrics.sample(0.05)
    await monitor.check()  # recovered inside the cooldown: not announced, counted
    metrics.sample(None)
    metrics.sample(None)
    await monitor.check()  # alerting again: the channel was never told otherwise
    assert monitor.alerts.states[1].suppressed == 1
    assert titles(world) == ["⚠️ Shard 1 is failing"]
    alert = emu.messages_in(world.alerts)[-1].embeds[0]
    assert "2 failed samples in a row" in alert["description"]


async def test_commands_are_for_owners_and_the_dashboard_switches_tabs(world: World, start: Starter) -> None:
    emu = world.emu
    bot, monitor = await start()
    await until(lambda: all(monitor.metrics(s).connected for s in (0, 1)), "both shards connected")
    for text in ("!shardmonitor", "!sharddetails 0", "!shardhealth", "!shardalerts", "!shardreset"):
        refused = await emu.converse(world.channels[0], world.plain, text)
        assert "is for the bot's owners only" in refused.embeds[0]["description"], text

    dashboard = await emu.converse(world.channels[0], world.boss, "!shardmonitor")
    assert dashboard.embeds[0]["title"] == "📊 Shard monitor: 2 shards"
    assert "🟢 **Shard 0**" in dashboard.embeds[0]["description"]
    intruder = await emu.click(dashboard, user=world.plain, label="Health")
    assert intruder.ephemeral
    for label, title in (("Health", "Shard health: healthy"), ("Latency", "Latency"), ("Events", "Events")):
        await emu.click(dashboard, user=world.boss, label=label)
        shown: Message = emu.state.messages[world.channels[0].id][dashboard.id]
        assert title in shown.embeds[0]["title"], label
    await emu.click(dashboard, user=world.boss, label="Refresh")

    details = await emu.converse(world.channels[0], world.boss, "!sharddetails 1")
    fields = {f["name"]: f["value"] for f in details.embeds[0]["fields"]}
    assert details.embeds[0]["title"].endswith("Shard 1")
    assert fields["Connection"].startswith("connected") and fields["Servers"] == "1"
    unknown = await emu.converse(world.channels[0], world.boss, "!sharddetails 7")
    assert "There is no shard 7; this bot's shards are: 0, 1." in unknown.embeds[0]["description"]
    wrong = await emu.converse(world.channels[0], world.boss, "!shardalerts 25")
    assert "1 to 20 failed samples, got 25" in wrong.embeds[0]["description"]
    shown_config = await emu.converse(world.channels[0], world.boss, "!shardalerts")
    assert "off (no channel)" in shown_config.embeds[0]["description"]

    assert monitor.metrics(0).counters["commands"] > 0
    reset = await emu.converse(world.channels[0], world.boss, "!shardreset 0")
    assert "shard 0 (1)" in reset.embeds[0]["description"]
    after = monitor.metrics(0)  # (the reset command's own on_command may land just after it)
    assert after.counters["connects"] == 0 and not after.latencies and not after.timeline
    assert after.connected and monitor.metrics(1).counters["connects"] >= 1
    everything = await emu.converse(world.channels[0], world.boss, "!shardreset")
    assert "every shard (2)" in everything.embeds[0]["description"]

    await bot.tree.sync()
    slash = await emu.run_slash("shardhealth", channel=world.channels[0], user=world.boss)
    assert slash.embeds[0]["title"].endswith("Shard health: healthy")


async def test_counts_come_from_the_core_without_listeners_and_survive_a_reload(
    world: World, start: Starter
) -> None:
    """Messages and commands are read from the core's per-shard counters: the plugin adds no
    ``on_message`` or ``on_command`` listener (each would cost a task per event), and a reload of
    the plugin neither loses nor counts twice what was counted before it."""
    emu = world.emu
    bot, monitor = await start()
    await until(lambda: all(monitor.metrics(s).connected for s in (0, 1)), "both shards connected")
    for event in ("on_message", "on_command", "on_app_command_completion"):
        owners = [getattr(f, "__module__", "") for f in bot.extra_events.get(event, [])]
        assert not [m for m in owners if m.startswith("zoryx_shard_monitor")], (event, owners)
    await emu.send_message(world.channels[0], world.plain, "one")
    await emu.converse(world.channels[0], world.boss, "!shardhealth")
    await until(lambda: monitor.metrics(0).counters["commands"] == 1, "the command")
    messages = monitor.metrics(0).counters["messages"]
    assert messages == 3  # "one", the command and the bot's answer

    outcome = await bot.plugins.reload("zoryx-shard-monitor")
    assert outcome.status == PluginStatus.LOADED, outcome
    reloaded = shard_monitor(bot)
    assert reloaded is not monitor
    counters = reloaded.metrics(0).counters
    assert (counters["messages"], counters["commands"]) == (messages, 1)
    await emu.send_message(world.channels[0], world.plain, "two")
    await until(lambda: reloaded.metrics(0).counters["messages"] == messages + 1, "one more message")
    assert reloaded.metrics(0).counters["commands"] == 1


async def test_metrics_and_the_alert_channel_survive_a_restart(
    world: World, start: Starter, tmp_path: Path
) -> None:
    emu = world.emu
    home = tmp_path / "kept"
    bot, monitor = await start(home)
    await until(lambda: all(monitor.metrics(s).connected for s in (0, 1)), "both shards connected")
    await emu.converse(world.channels[0], world.boss, f"!shardalerts <#{world.alerts.id}> 4")
    await until(lambda: monitor.metrics(0).counters["commands"] == 1, "the command")
    await measured(bot, 0)
    await monitor.collect()
    before = monitor.metrics(0).counters["messages"]
    await bot.close()  # teardown saves the metrics

    stopped_at = time.time()
    bot, monitor = await start(home)
    metrics = monitor.metrics(0)
    assert metrics.counters["commands"] == 1 and metrics.counters["messages"] == before
    assert metrics.latency_stats().samples == 1
    assert metrics.first_seen < stopped_at
    assert (monitor.config().channel_id, monitor.config().threshold) == (world.alerts.id, 4)
    assert monitor.saves == 0
    await monitor.save()
    document = await bot.storage.json.read(monitor.metrics_path)
    assert document["format"] == 1 and [s["shard_id"] for s in document["shards"]] == [0, 1]


async def test_the_health_check_hook_reports_the_worst_shard(world: World, start: Starter) -> None:
    bot, monitor = await start()
    await until(lambda: all(monitor.metrics(s).connected for s in (0, 1)), "both shards connected")
    results = [r for r in await bot.plugins.health_checks() if r.name == "shards"]
    assert [(r.status, r.plugin) for r in results] == [("healthy", "zoryx-shard-monitor")]
    monitor.metrics(1).disconnect()
    [result] = [r for r in await bot.plugins.health_checks() if r.name == "shards"]
    assert result.status == "unhealthy" and "shard 1: disconnected" in result.detail


async def test_alert_set_up_is_in_the_store_and_an_old_file_moves_there(world: World, start: Starter) -> None:
    bot, monitor = await start()
    alerts = monitor.alerts
    await alerts.configure(channel_id=world.alerts.id, threshold=4)
    assert await monitor.plugin.storage.get("alert_config") == {"channel_id": world.alerts.id, "threshold": 4}
    assert not alerts.legacy_path.exists()
    # another process sharing the store reads the same set-up
    other = type(alerts)(bot, monitor.plugin.storage, alerts.legacy_path, alerts.settings)
    await other.load()
    assert other.config == alerts.config
    # a set-up an earlier version left in a JSON file is moved into the store once
    await monitor.plugin.storage.delete("alert_config")
    await bot.storage.json.write(alerts.legacy_path, {"channel_id": 42, "threshold": 7})
    await other.load()
    assert (other.config.channel_id, other.config.threshold) == (42, 7)
    assert await monitor.plugin.storage.get("alert_config") == {"channel_id": 42, "threshold": 7}
    assert not alerts.legacy_path.exists()
