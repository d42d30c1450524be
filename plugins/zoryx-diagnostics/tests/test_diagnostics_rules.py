"""The plain parts on their own: the sliding window, the status rules and the report's JSON form."""

from __future__ import annotations

import json
import math

import pytest
from zoryx_diagnostics.figures import (
    BotFigures,
    DatabaseHealth,
    DiagnosticsReport,
    HealthEntry,
    LagFigures,
    LatencyFigures,
    PluginLoad,
    RateFigures,
    ShardLatency,
    SystemFigures,
)
from zoryx_diagnostics.rates import CommandRates
from zoryx_diagnostics.status import evaluate


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _lag(recent_ms: float | None, threshold_ms: float = 500) -> LagFigures:
    return LagFigures(2.0, 60.0, threshold_ms, recent_ms, recent_ms, recent_ms, None, 10)


def test_the_window_forgets_old_commands_and_the_rate_needs_enough_of_them() -> None:
    clock = Clock()
    rates = CommandRates(60, clock=clock)
    for _ in range(18):
        rates.record("completed")
    rates.record("failure")
    rates.record("user_error")
    figures = rates.figures(min_commands=20, threshold=0.05, count_user_errors=False)
    assert (figures.completed, figures.failures, figures.user_errors, figures.counted) == (18, 1, 1, 19)
    assert not figures.meaningful and not figures.over_threshold  # 19 of the 20 needed
    counting = rates.figures(min_commands=20, threshold=0.05, count_user_errors=True)
    assert counting.counted == 20 and counting.error_rate == pytest.approx(0.1) and counting.over_threshold

    clock.now += 30
    rates.record("completed")
    clock.now += 31  # the first batch is now older than the window
    later = rates.figures(min_commands=1, threshold=0.05, count_user_errors=False)
    assert (later.completed, later.failures, later.user_errors) == (1, 0, 0)
    clock.now += 60
    assert rates.counts() == (0, 0, 0)
    with pytest.raises(ValueError, match="positive number of seconds"):
        CommandRates(0)


def test_status_rules_name_every_reason() -> None:
    quiet = RateFigures(300, 10, 0, 0, 10, 0.0, 2.0, 20, 0.05)
    assert evaluate(quiet, _lag(3.0), []).healthy
    failing = RateFigures(300, 19, 2, 0, 21, 2 / 21, 4.2, 20, 0.05)
    exactly = RateFigures(300, 19, 1, 0, 20, 0.05, 4.0, 20, 0.05)
    assert evaluate(exactly, _lag(3.0), []).healthy, "5% does not pass a 5% threshold"
    verdict = evaluate(
        failing,
        _lag(812.0),
        [
            HealthEntry("zoryx-a", "queue", "degraded", "backlog 900"),
            HealthEntry("zoryx-b", "feed", "healthy", ""),
        ],
        DatabaseHealth(False, "main.db quick_check: *** in database main ***", 3.0),
    )
    assert verdict.status == "degraded"
    assert verdict.reasons == (
        "error rate 9.5% over the last 5 min (2 of 21 commands failed) is above 5.0%",
        "event-loop lag reached 812 ms in the last 1 min (threshold 500 ms)",
        "health check 'queue' of zoryx-a is degraded: backlog 900",
        "database check failed: main.db quick_check: *** in database main ***",
    )


def test_a_report_round_trips_through_strict_json() -> None:
    report = DiagnosticsReport(
        generated_at=1_718_000_000.5,
        status="degraded",
        reasons=("event-loop lag reached 900 ms",),
        system=SystemFigures(
            1.5, 50 * 2**20, 0.7, 9, 12.0, 40.0, 42, "3.11.7", "CPython", "Linux", "x86_64", "2.7", "0.1"
        ),
        bot=BotFigures(12.0, 2, 10, 9, 8, 1, 100, 20, 1, 30, 28, 1),
        rates=RateFigures(300, 19, 1, 0, 20, 0.05, 4.0, 20, 0.05),
        lag=_lag(900.0),
        latency=LatencyFigures(math.inf, (ShardLatency(0, math.inf), ShardLatency(1, 41.5))),
        plugins=(PluginLoad("zoryx-diagnostics", "distribution", "loaded", "0.1.0", 12.5),),
        database=DatabaseHealth(True, "main.db quick_check ok", 1.2, {"open": 2}, {"hit_rate": 0.5}, 3),
        health=(HealthEntry("zoryx-diagnostics", "lag sampler", "healthy", "running"),),
    )
    text = json.dumps(report.to_dict(), allow_nan=False)  # infinite latencies become null
    back = DiagnosticsReport.from_dict(json.loads(text))
    assert back.latency == LatencyFigures(None, (ShardLatency(0, None), ShardLatency(1, 41.5)))
    assert back.system == report.system and back.bot == report.bot and back.rates == report.rates
    assert (
        back.plugins == report.plugins and back.database == report.database and back.health == report.health
    )
    assert (back.status, back.reasons, back.lag) == (report.status, report.reasons, report.lag)
    partial = DiagnosticsReport.from_dict({"status": "healthy", "rates": {"counted": "many"}})
    assert partial.healthy and partial.rates.counted == 0 and partial.plugins == ()
