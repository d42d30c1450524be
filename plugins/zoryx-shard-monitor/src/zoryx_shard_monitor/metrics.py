"""What the monitor knows of one shard (:class:`ShardMetrics`): latency history, event counters,
connection history and uptime. Plain data with a JSON form, so it survives restarts."""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

__all__ = ["COUNTERS", "HISTORY_SIZE", "TIMELINE_SIZE", "LatencyStats", "ShardMetrics"]

HISTORY_SIZE = 120
"""Latency samples kept per shard (a rolling window)."""
TIMELINE_SIZE = 50
"""Connection events (connect, disconnect, resume, ready) kept per shard."""
COUNTERS = ("messages", "commands", "guild_joins", "guild_leaves", "connects", "disconnects", "resumes")


@dataclass(frozen=True, slots=True)
class LatencyStats:
    """Milliseconds over the samples kept (``None`` when there is no good sample)."""

    last: float | None
    minimum: float | None
    average: float | None
    maximum: float | None
    samples: int


@dataclass
class ShardMetrics:
    """One shard. Times are Unix times (``time.time()``), so they mean something after a restart."""

    shard_id: int
    first_seen: float = field(default_factory=time.time)
    latencies: deque[tuple[float, float | None]] = field(default_factory=lambda: deque(maxlen=HISTORY_SIZE))
    """``(when, milliseconds)``; ``None`` for a sample the shard could not give (not connected)."""
    counters: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    connected: bool = False
    changed_at: float = field(default_factory=time.time)
    """When :attr:`connected` last changed."""
    connected_seconds: float = 0.0
    """Time spent connected before :attr:`changed_at`."""
    last_activity: float | None = None
    """The last event seen on the shard (a message, a command, a guild event)."""
    consecutive_failures: int = 0
    last_error: str | None = None
    last_error_at: float | None = None
    timeline: deque[tuple[float, str]] = field(default_factory=lambda: deque(maxlen=TIMELINE_SIZE))

    # --- events -------------------------------------------------------------------------------------

    def count(self, counter: str, now: float | None = None) -> None:
        self.counters[counter] = self.counters.get(counter, 0) + 1
        self.last_activity = time.time() if now is None else now

    def _set_connected(self, connected: bool, now: float) -> None:
        if self.connected:
            self.connected_seconds += max(0.0, now - self.changed_at)
        self.connected = connected
        self.changed_at = now

    def connect(self, kind: str = "connect", now: float | None = None) -> None:
        """The shard connected (``kind``: ``connect``, ``ready`` or ``resume``)."""
        moment = time.time() if now is None else now
        if kind == "resume":
            self.counters["resumes"] += 1
        elif kind == "connect":
            self.counters["connects"] += 1
        self.timeline.append((moment, kind))
        if not self.connected:
            self._set_connected(True, moment)

    def disconnect(self, now: float | None = None) -> None:
        moment = time.time() if now is None else now
        self.counters["disconnects"] += 1
        self.timeline.append((moment, "disconnect"))
        if self.connected:
            self._set_connected(False, moment)

    def sample(
        self, latency_seconds: float | None, now: float | None = None, error: str | None = None
    ) -> None:
        """Record one latency sample; a missing or infinite one counts as a failure."""
        moment = time.time() if now is None else now
        if latency_seconds is None or not math.isfinite(latency_seconds):
            self.latencies.append((moment, None))
            self.consecutive_failures += 1
            self.last_error = error or "no heartbeat acknowledged (not connected)"
            self.last_error_at = moment
            return
        self.latencies.append((moment, round(latency_seconds * 1000, 2)))
        self.consecutive_failures = 0

    # --- figures ------------------------------------------------------------------------------------

    def latency_stats(self) -> LatencyStats:
        good = [ms for _, ms in self.latencies if ms is not None]
        last = self.latencies[-1][1] if self.latencies else None
        if not good:
            return LatencyStats(last, None, None, None, 0)
        return LatencyStats(last, min(good), round(sum(good) / len(good), 2), max(good), len(good))

    def uptime_seconds(self, now: float | None = None) -> float:
        moment = time.time() if now is None else now
        current = max(0.0, moment - self.changed_at) if self.connected else 0.0
        return self.connected_seconds + current

    def uptime_percent(self, now: float | None = None) -> float:
        """Share of the time since the shard was first seen that it was connected."""
        moment = time.time() if now is None else now
        observed = max(moment - self.first_seen, 1e-9)
        return round(min(100.0, 100.0 * self.uptime_seconds(moment) / observed), 2)

    def reset(self, now: float | None = None) -> None:
        """Forget the figures (counters, samples, timeline, failures), keeping whether it is connected."""
        moment = time.time() if now is None else now
        connected = self.connected
        fresh = ShardMetrics(self.shard_id, first_seen=moment, connected=connected, changed_at=moment)
        self.__dict__.update(fresh.__dict__)

    # --- JSON ---------------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "shard_id": self.shard_id,
            "first_seen": self.first_seen,
            "latencies": [list(sample) for sample in self.latencies],
            "counters": dict(self.counters),
            "connected_seconds": self.uptime_seconds(),
            "last_activity": self.last_activity,
            "consecutive_failures": self.consecutive_failures,
            "last_error": self.last_error,
            "last_error_at": self.last_error_at,
            "timeline": [list(event) for event in self.timeline],
            "saved_at": time.time(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ShardMetrics:
        """Metrics saved by :meth:`to_json`. The shard starts disconnected: the time the bot was
        down counts against its uptime."""
        metrics = cls(int(data["shard_id"]), first_seen=float(data["first_seen"]))
        metrics.latencies.extend((float(t), None if ms is None else float(ms)) for t, ms in data["latencies"])
        metrics.counters.update({k: int(v) for k, v in data["counters"].items() if k in COUNTERS})
        metrics.connected_seconds = float(data["connected_seconds"])
        metrics.changed_at = float(data.get("saved_at", time.time()))
        metrics.last_activity = data.get("last_activity")
        metrics.consecutive_failures = int(data.get("consecutive_failures", 0))
        metrics.last_error = data.get("last_error")
        metrics.last_error_at = data.get("last_error_at")
        metrics.timeline.extend((float(t), str(kind)) for t, kind in data.get("timeline", []))
        return metrics
