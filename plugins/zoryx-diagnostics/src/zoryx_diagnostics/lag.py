"""Event-loop lag, sampled by a task: how much later than asked the sampler's sleep ends.

A blocked loop delays every wake-up, so a sample taken while (or right after) the loop is blocked
shows the delay. A block shorter than the sampling interval that ends between two wake-ups can go
unseen: sample more often (``lag_interval_seconds``) to catch shorter ones.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

from .figures import LagFigures

__all__ = ["LagSampler"]

MAX_SAMPLES = 100_000


class LagSampler:
    """Samples the lag every ``interval`` seconds; keeps the samples of the last ``window`` seconds
    and the worst one ever."""

    def __init__(self, interval: float, window: float) -> None:
        if interval <= 0 or window <= 0:
            raise ValueError(f"interval and window must be positive, got {interval} and {window}")
        self.interval = interval
        self.window = window
        self.samples_taken = 0
        self.current: float | None = None
        self.worst: float | None = None
        self.worst_at: float | None = None
        self.last_sample_at: float | None = None
        """Monotonic time of the last sample."""
        self._recent: deque[tuple[float, float]] = deque(maxlen=min(MAX_SAMPLES, int(window / interval) + 2))

    async def run(self) -> None:
        """Sample until cancelled."""
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            await asyncio.sleep(self.interval)
            self.record(max(0.0, loop.time() - started - self.interval))

    def record(self, lag: float) -> None:
        """Add one sample (seconds)."""
        now = time.monotonic()
        self.samples_taken += 1
        self.current = lag
        self.last_sample_at = now
        self._recent.append((now, lag))
        if self.worst is None or lag > self.worst:
            self.worst = lag
            self.worst_at = time.time()

    def recent_max(self) -> float | None:
        """The largest sample within the window (seconds), or ``None`` before the first one."""
        cutoff = time.monotonic() - self.window
        recent = self._recent
        while recent and recent[0][0] < cutoff:
            recent.popleft()
        return max((lag for _, lag in recent), default=None)

    def figures(self, threshold_ms: float) -> LagFigures:
        recent = self.recent_max()
        return LagFigures(
            interval_seconds=self.interval,
            window_seconds=self.window,
            threshold_ms=threshold_ms,
            current_ms=None if self.current is None else self.current * 1000,
            recent_max_ms=None if recent is None else recent * 1000,
            worst_ms=None if self.worst is None else self.worst * 1000,
            worst_at=self.worst_at,
            samples=self.samples_taken,
        )
