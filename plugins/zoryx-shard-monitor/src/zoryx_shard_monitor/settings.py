"""The shard monitor's settings (``plugin_settings.zoryx-shard-monitor``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from zoryx_core import Setting

__all__ = ["SETTINGS", "MonitorSettings"]

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "collect_seconds", 30.0, "float", "Seconds between two latency samples of every shard.",
        minimum=0.05, maximum=3600.0,
    ),
    Setting(
        "health_seconds", 60.0, "float", "Seconds between two health checks (and alerts).",
        minimum=0.05, maximum=3600.0,
    ),
    Setting(
        "save_seconds", 300.0, "float", "Seconds between two saves of the metrics to disk.",
        minimum=1.0, maximum=86400.0,
    ),
    Setting(
        "warning_latency_ms", 1000, "int", "Latency above which a shard is in warning.",
        minimum=1, maximum=60000,
    ),
    Setting(
        "critical_latency_ms", 2000, "int", "Latency above which a shard is critical.",
        minimum=1, maximum=60000,
    ),
    Setting(
        "idle_warning_seconds", 300, "int",
        "Seconds without any event on a shard after which it is in warning; 0 turns that off.",
        minimum=0, maximum=86400,
    ),
    Setting(
        "critical_failures", 5, "int", "Consecutive failed samples that make a shard critical.",
        minimum=1, maximum=100,
    ),
    Setting(
        "alert_threshold", 3, "int",
        "Consecutive failed samples before an alert fires (shardalerts changes it per bot).",
        minimum=1, maximum=20,
    ),
    Setting(
        "alert_cooldown_seconds", 300.0, "float", "Least seconds between two alerts about one shard.",
        minimum=0.0, maximum=86400.0,
    ),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class MonitorSettings:
    collect_seconds: float = 30.0
    health_seconds: float = 60.0
    save_seconds: float = 300.0
    warning_latency_ms: int = 1000
    critical_latency_ms: int = 2000
    idle_warning_seconds: int = 300
    critical_failures: int = 5
    alert_threshold: int = 3
    alert_cooldown_seconds: float = 300.0

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> MonitorSettings:
        settings = cls(
            collect_seconds=float(values["collect_seconds"]),
            health_seconds=float(values["health_seconds"]),
            save_seconds=float(values["save_seconds"]),
            warning_latency_ms=int(values["warning_latency_ms"]),
            critical_latency_ms=int(values["critical_latency_ms"]),
            idle_warning_seconds=int(values["idle_warning_seconds"]),
            critical_failures=int(values["critical_failures"]),
            alert_threshold=int(values["alert_threshold"]),
            alert_cooldown_seconds=float(values["alert_cooldown_seconds"]),
        )
        if settings.critical_latency_ms <= settings.warning_latency_ms:
            raise ValueError(
                "plugin_settings.zoryx-shard-monitor.critical_latency_ms "
                f"({settings.critical_latency_ms}) must be above warning_latency_ms "
                f"({settings.warning_latency_ms})"
            )
        return settings
