"""Three-tier health of a shard: healthy, warning or critical, with the reasons."""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum

from .metrics import ShardMetrics
from .settings import MonitorSettings

__all__ = ["Tier", "Verdict", "assess", "worst"]


class Tier(StrEnum):
    HEALTHY = "healthy"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return {"healthy": 0, "warning": 1, "critical": 2}[self.value]

    @property
    def emoji(self) -> str:
        return {"healthy": "🟢", "warning": "🟡", "critical": "🔴"}[self.value]


@dataclass(frozen=True, slots=True)
class Verdict:
    shard_id: int
    tier: Tier
    reasons: tuple[str, ...]


def assess(metrics: ShardMetrics, settings: MonitorSettings, now: float | None = None) -> Verdict:
    """Critical: disconnected, latency above ``critical_latency_ms``, or ``critical_failures``
    failed samples in a row. Warning: latency above ``warning_latency_ms``, no event for
    ``idle_warning_seconds``, or ``alert_threshold`` (at least 3) failures in a row."""
    moment = time.time() if now is None else now
    critical: list[str] = []
    warning: list[str] = []
    if not metrics.connected:
        critical.append("disconnected")
    latency = metrics.latency_stats().last
    if latency is not None:
        if latency > settings.critical_latency_ms:
            critical.append(f"latency {latency:.0f} ms > {settings.critical_latency_ms} ms")
        elif latency > settings.warning_latency_ms:
            warning.append(f"latency {latency:.0f} ms > {settings.warning_latency_ms} ms")
    failures = metrics.consecutive_failures
    if failures >= settings.critical_failures:
        critical.append(f"{failures} failed samples in a row")
    elif failures >= min(3, settings.critical_failures):
        warning.append(f"{failures} failed samples in a row")
    idle_limit = settings.idle_warning_seconds
    if idle_limit and metrics.connected:
        since = metrics.last_activity if metrics.last_activity is not None else metrics.changed_at
        idle = moment - since
        if idle >= idle_limit:
            warning.append(f"no activity for {idle / 60:.0f} min")
    if critical:
        return Verdict(metrics.shard_id, Tier.CRITICAL, tuple(critical + warning))
    if warning:
        return Verdict(metrics.shard_id, Tier.WARNING, tuple(warning))
    return Verdict(metrics.shard_id, Tier.HEALTHY, ())


def worst(verdicts: list[Verdict]) -> Tier:
    return max((v.tier for v in verdicts), key=lambda t: t.rank, default=Tier.HEALTHY)
