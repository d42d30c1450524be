"""The status end to end: the error rate, the alert channel and its rate limit, event-loop lag and
other plugins' health checks, on a real bot talking to the emulator."""

from __future__ import annotations

from typing import TYPE_CHECKING

from zoryx_diagnostics import diagnostics

if TYPE_CHECKING:
    from conftest import Poll, Starter, World


def _bot_messages(world: World, channel_id: int) -> list[str]:
    return [
        m.embeds[0]["title"] if m.embeds else m.content
        for m in world.emu.messages_in(channel_id)
        if m.author_id == world.emu.bot_user.id
    ]


async def test_error_rate_turns_degraded_then_healthy_with_rate_limited_alerts(
    world: World, start_bot: Starter, poll: Poll
) -> None:
    emu = world.emu
    bot = await start_bot(
        extensions=["workload"],
        settings={
            "window_seconds": 600,
            "min_commands": 10,
            "check_interval_seconds": 0.05,
            "alert_channel_id": world.alerts.id,
            "alert_cooldown_seconds": 3,
        },
    )
    diag = diagnostics(bot)
    for _ in range(10):
        assert (await emu.converse(world.general, world.plain, "!ok")).content == "ok"
    await poll(lambda: diag.rate_figures().completed == 10, what="10 completed commands counted")
    assert (await diag.report()).status == "healthy"

    failed = await emu.converse(world.general, world.plain, "!boom")  # 1 of 11 failed: 9.1% > 5%
    assert "logged as" in failed.embeds[0]["description"]
    alert = await emu.wait_for_message(world.alerts, timeout=10)
    assert "Bot degraded" in alert.embeds[0]["title"]
    assert "error rate 9.1%" in alert.embeds[0]["description"]
    assert "(1 of 11 commands failed) is above 5.0%" in alert.embeds[0]["description"]
    report = await diag.report()
    assert report.status == "degraded" and any("error rate" in r for r in report.reasons)
    shown = await emu.converse(world.general, world.boss, "!diagnostics")
    assert shown.embeds[0]["title"].endswith("Diagnostics: degraded")
    assert "error rate" in shown.embeds[0]["description"]

    for _ in range(10):  # 1 of 22 (the diagnostics command counts too): 4.5%
        await emu.converse(world.general, world.plain, "!ok")
    await poll(lambda: diag.last_verdict.healthy, what="the status check to see the recovery")
    await poll(lambda: diag.alerts.suppressed == 1, what="the recovery to be held back by the rate limit")
    assert _bot_messages(world, world.alerts.id) == [alert.embeds[0]["title"]], "one alert per cooldown"

    recovered = await emu.wait_for_message(world.alerts, after=alert, timeout=15)
    assert "Bot recovered" in recovered.embeds[0]["title"]
    note = {f["name"]: f["value"] for f in recovered.embeds[0]["fields"]}["Rate limit"]
    assert note.startswith("1 status change was not announced at the time")
    await poll(lambda: diag.alerts.sent == 2, what="the alert to be counted as sent")
    assert diag.alerts.suppressed == 0
    assert (await diag.report()).healthy
    assert len(_bot_messages(world, world.alerts.id)) == 2


async def test_a_blocked_event_loop_is_recorded_and_degrades_the_status(
    world: World, start_bot: Starter, poll: Poll
) -> None:
    emu = world.emu
    bot = await start_bot(
        extensions=["workload"],
        settings={"lag_interval_seconds": 0.05, "lag_threshold_ms": 200, "check_interval_seconds": 0.05},
    )
    diag = diagnostics(bot)
    await poll(lambda: diag.lag.samples_taken >= 5, what="lag samples")
    assert not diag.lag_figures().over_threshold

    assert (await emu.converse(world.general, world.plain, "!block")).content == "blocked"
    await poll(lambda: diag.lag_figures().over_threshold, what="the sampler to record the block")
    lag = diag.lag_figures()
    assert lag.recent_max_ms is not None and lag.recent_max_ms > 200
    assert lag.worst_ms == lag.recent_max_ms and lag.worst_at is not None
    await poll(
        lambda: any("event-loop lag" in r for r in diag.last_verdict.reasons),
        what="the status check to report the lag",
    )
    report = await diag.report()
    assert report.status == "degraded"
    assert any(r.startswith("event-loop lag reached") and "(threshold 200 ms)" in r for r in report.reasons)

    shown = await emu.converse(world.general, world.boss, "!diagnostics")
    fields = {f["name"]: f["value"] for f in shown.embeds[0]["fields"]}
    assert "event-loop lag reached" in shown.embeds[0]["description"]
    assert "Threshold 200 ms" in fields["Event-loop lag"] and "Worst" in fields["Event-loop lag"]


async def test_an_unhealthy_plugin_health_check_degrades_the_status(
    world: World, start_bot: Starter, poll: Poll
) -> None:
    emu = world.emu
    bot = await start_bot(extensions=["sickly"])
    diag = diagnostics(bot)
    shown = await emu.converse(world.general, world.boss, "!diagnostics")
    embed = shown.embeds[0]
    assert embed["title"].endswith("Diagnostics: degraded")
    assert "health check 'cache warmer' of sickly is unhealthy: upstream unreachable" in embed["description"]
    health = {f["name"]: f["value"] for f in embed["fields"]}["Health checks"]
    assert "❌ `sickly` cache warmer: upstream unreachable" in health
    assert "✅ `zoryx-diagnostics` lag sampler: running" in health

    report = await diag.report()
    entries = [(h.plugin, h.name, h.status, h.detail) for h in report.health]
    assert ("sickly", "cache warmer", "unhealthy", "upstream unreachable") in entries
    assert report.status == "degraded"

    await bot.plugins.unload("sickly")
    assert (await diag.report()).healthy
    await poll(lambda: diag.last_verdict.healthy, what="the status check to see the plugin gone")
