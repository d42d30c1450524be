"""Healthy or degraded, and why: the rules in one place."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zoryx_core.ui import plural

from .figures import DatabaseHealth, HealthEntry, LagFigures, RateFigures, Status

__all__ = ["Verdict", "evaluate", "format_duration"]


@dataclass(frozen=True)
class Verdict:
    """The status and the reasons it is degraded (none when healthy)."""

    status: Status
    reasons: tuple[str, ...] = ()

    @property
    def healthy(self) -> bool:
        return self.status == "healthy"


def format_duration(seconds: float) -> str:
    """``45 s``, ``5 min``, ``2.5 h``, ``3 d``."""
    if seconds < 60:
        return f"{seconds:g} s"
    if seconds < 3600:
        return f"{seconds / 60:.3g} min"
    if seconds < 86400:
        return f"{seconds / 3600:.3g} h"
    return f"{seconds / 86400:.3g} d"


def evaluate(
    rates: RateFigures,
    lag: LagFigures,
    health: Sequence[HealthEntry],
    database: DatabaseHealth | None = None,
) -> Verdict:
    """Degraded when the error rate over the window passes its threshold (once enough commands
    ran), when the event-loop lag within its window passes its threshold, when a plugin's health
    check is not healthy, or when the main database failed its check; healthy otherwise."""
    reasons: list[str] = []
    if rates.over_threshold:
        errors = rates.counted - rates.completed
        reasons.append(
            f"error rate {rates.error_rate:.1%} over the last {format_duration(rates.window_seconds)} "
            f"({errors} of {plural(rates.counted, 'command')} failed) is above {rates.threshold:.1%}"
        )
    if lag.over_threshold and lag.recent_max_ms is not None:
        reasons.append(
            f"event-loop lag reached {lag.recent_max_ms:.0f} ms in the last "
            f"{format_duration(lag.window_seconds)} (threshold {lag.threshold_ms:g} ms)"
        )
    for entry in health:
        if entry.status != "healthy":
            owner = f" of {entry.plugin}" if entry.plugin else ""
            detail = f": {entry.detail}" if entry.detail else ""
            reasons.append(f"health check '{entry.name}'{owner} is {entry.status}{detail}")
    if database is not None and not database.ok:
        reasons.append(f"database check failed: {database.detail}")
    return Verdict("degraded" if reasons else "healthy", tuple(reasons))
