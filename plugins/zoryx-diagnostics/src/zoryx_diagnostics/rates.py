"""Command outcomes over a sliding window, counted in one-second buckets (memory bounded by the
window's length, not by the command rate)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Literal

from .figures import RateFigures

__all__ = ["CommandRates", "Outcome"]

Outcome = Literal["completed", "failure", "user_error"]

_COLUMN: dict[Outcome, int] = {"completed": 1, "failure": 2, "user_error": 3}


class CommandRates:
    """Counts of completed commands, failures and user errors over the last ``window`` seconds."""

    def __init__(self, window: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if window <= 0:
            raise ValueError(f"the window must be a positive number of seconds, got {window}")
        self.window = window
        self._clock = clock
        self._started = clock()
        self._buckets: deque[list[int]] = deque()  # [second, completed, failures, user errors]
        self._completed_source: Callable[[], int] | None = None
        self._completed_seen = 0

    def record(self, outcome: Outcome, count: int = 1) -> None:
        """Count ``count`` commands that ended with ``outcome`` now."""
        second = int(self._clock())
        buckets = self._buckets
        if not buckets or buckets[-1][0] != second:
            buckets.append([second, 0, 0, 0])
            self._prune(second)
        buckets[-1][_COLUMN[outcome]] += count

    def follow_completed(self, total: Callable[[], int]) -> None:
        """Take completed commands from a running total (the core's ``bot.metrics.commands``)
        instead of one :meth:`record` call per command; :meth:`catch_up` adds what it grew by."""
        self._completed_source = total
        self._completed_seen = total()

    def catch_up(self) -> None:
        """Count the completed commands the followed total gained since the last call, now (call
        it about once a second so that each lands in the right part of the window)."""
        if self._completed_source is None:
            return
        total = self._completed_source()
        if total > self._completed_seen:
            self.record("completed", total - self._completed_seen)
        self._completed_seen = total

    def counts(self) -> tuple[int, int, int]:
        """Completed commands, failures and user errors within the window."""
        self.catch_up()
        self._prune(int(self._clock()))
        completed = failures = user_errors = 0
        for _, ok, failed, refused in self._buckets:
            completed += ok
            failures += failed
            user_errors += refused
        return completed, failures, user_errors

    def figures(self, *, min_commands: int, threshold: float, count_user_errors: bool) -> RateFigures:
        """The window's figures; the error rate is failures (plus user errors when they count) over
        the commands counted."""
        completed, failures, user_errors = self.counts()
        errors = failures + (user_errors if count_user_errors else 0)
        counted = completed + errors
        span = min(self.window, max(self._clock() - self._started, 1.0))
        return RateFigures(
            window_seconds=self.window,
            completed=completed,
            failures=failures,
            user_errors=user_errors,
            counted=counted,
            error_rate=errors / counted if counted else 0.0,
            per_minute=(completed + failures + user_errors) * 60.0 / span,
            min_commands=min_commands,
            threshold=threshold,
        )

    def _prune(self, now_second: int) -> None:
        cutoff = now_second - self.window
        buckets = self._buckets
        while buckets and buckets[0][0] <= cutoff:
            buckets.popleft()
