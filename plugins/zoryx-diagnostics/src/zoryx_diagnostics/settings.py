"""The plugin's settings: their declarations (defaults and limits) and a typed view of the values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from zoryx_core import Setting

__all__ = ["SETTINGS", "DiagnosticsSettings"]

MAX_CHANNEL_ID = 2**63 - 1

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "report_interval_seconds",
        300.0,
        "float",
        "Seconds between diagnostics reports written to the history file.",
        minimum=0.1,
        maximum=86400,
    ),
    Setting(
        "history_size",
        48,
        "int",
        "Most reports kept in the history file (oldest dropped first).",
        minimum=1,
        maximum=10000,
    ),
    Setting(
        "check_interval_seconds",
        30.0,
        "float",
        "Seconds between status checks (error rate, lag, plugin health) that drive the alerts.",
        minimum=0.05,
        maximum=3600,
    ),
    Setting(
        "window_seconds",
        300.0,
        "float",
        "Length in seconds of the sliding window over which command and error rates are counted.",
        minimum=1,
        maximum=86400,
    ),
    Setting(
        "min_commands",
        20,
        "int",
        "Commands needed in the window before the error rate can make the status degraded.",
        minimum=1,
        maximum=1000000,
    ),
    Setting(
        "error_rate_threshold",
        0.05,
        "float",
        "Share of failed commands in the window above which the status is degraded (0.05 = 5%).",
        minimum=0,
        maximum=1,
    ),
    Setting(
        "count_user_errors",
        False,
        "bool",
        "Count refusals, bad arguments and cooldowns as errors in the error rate (otherwise only failures).",
    ),
    Setting(
        "lag_interval_seconds",
        2.0,
        "float",
        "Seconds between event-loop lag samples.",
        minimum=0.01,
        maximum=60,
    ),
    Setting(
        "lag_window_seconds",
        60.0,
        "float",
        "Seconds of lag samples the recent maximum is taken over.",
        minimum=1,
        maximum=3600,
    ),
    Setting(
        "lag_threshold_ms",
        500.0,
        "float",
        "Event-loop lag in milliseconds above which the status is degraded.",
        minimum=1,
        maximum=600000,
    ),
    Setting(
        "database_quick_check",
        True,
        "bool",
        "Run SQLite's quick_check on main.db for each report (otherwise a plain query).",
    ),
    Setting(
        "alert_channel_id",
        0,
        "int",
        "Channel id that gets a message when the status turns degraded and when it recovers; 0 = off.",
        minimum=0,
        maximum=MAX_CHANNEL_ID,
    ),
    Setting(
        "alert_cooldown_seconds",
        300.0,
        "float",
        "At most one alert per this many seconds; changes in between are counted and mentioned next.",
        minimum=0,
        maximum=86400,
    ),
    Setting(
        "recent_errors_size",
        50,
        "int",
        "Most recent command errors kept in memory for `diagnostics errors`.",
        minimum=1,
        maximum=1000,
    ),
)
"""Every setting of the plugin, under ``plugin_settings.zoryx-diagnostics`` in config.json."""


@dataclass(frozen=True)
class DiagnosticsSettings:
    """The validated settings, typed."""

    report_interval_seconds: float = 300.0
    history_size: int = 48
    check_interval_seconds: float = 30.0
    window_seconds: float = 300.0
    min_commands: int = 20
    error_rate_threshold: float = 0.05
    count_user_errors: bool = False
    lag_interval_seconds: float = 2.0
    lag_window_seconds: float = 60.0
    lag_threshold_ms: float = 500.0
    database_quick_check: bool = True
    alert_channel_id: int = 0
    alert_cooldown_seconds: float = 300.0
    recent_errors_size: int = 50

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> DiagnosticsSettings:
        """Read the plugin's settings (``plugin.settings``), already validated by the core."""
        return cls(
            report_interval_seconds=float(values["report_interval_seconds"]),
            history_size=int(values["history_size"]),
            check_interval_seconds=float(values["check_interval_seconds"]),
            window_seconds=float(values["window_seconds"]),
            min_commands=int(values["min_commands"]),
            error_rate_threshold=float(values["error_rate_threshold"]),
            count_user_errors=bool(values["count_user_errors"]),
            lag_interval_seconds=float(values["lag_interval_seconds"]),
            lag_window_seconds=float(values["lag_window_seconds"]),
            lag_threshold_ms=float(values["lag_threshold_ms"]),
            database_quick_check=bool(values["database_quick_check"]),
            alert_channel_id=int(values["alert_channel_id"]),
            alert_cooldown_seconds=float(values["alert_cooldown_seconds"]),
            recent_errors_size=int(values["recent_errors_size"]),
        )
