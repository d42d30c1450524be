"""A circuit breaker per callback: too many failures in a window switch it off for a while."""

from __future__ import annotations

import datetime as dt
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["BreakerPolicy", "CircuitBreaker"]


@dataclass(frozen=True)
class BreakerPolicy:
    """``failures`` within ``window`` seconds trip the breaker for ``cooldown`` seconds."""

    failures: int = 5
    window: float = 300.0
    cooldown: float = 60.0


class CircuitBreaker:
    """Counts one callback's failures in a sliding window and trips when there are too many.

    While tripped, :meth:`allows` answers ``False``; once the cool-down has passed it answers
    ``True`` again and the failure count starts afresh. Times come from ``clock`` (monotonic);
    :attr:`until_utc` gives the end of the cool-down as a wall-clock time for display.
    """

    def __init__(self, policy: BreakerPolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self._clock = clock
        self._failures: deque[float] = deque()
        self._open_until: float | None = None
        self.until_utc: dt.datetime | None = None
        """When the current cool-down ends (UTC), while tripped."""
        self.trips = 0
        """How many times the breaker tripped."""

    def allows(self) -> bool:
        """Whether the callback may run now; closes the breaker when its cool-down is over."""
        if self._open_until is None:
            return True
        if self._clock() < self._open_until:
            return False
        self.reset()
        return True

    @property
    def tripped(self) -> bool:
        """Tripped and still cooling down."""
        return self._open_until is not None and self._clock() < self._open_until

    def record_failure(self) -> bool:
        """Count a failure; ``True`` when this failure trips the breaker."""
        now = self._clock()
        self._prune(now)
        self._failures.append(now)
        if self._open_until is None and len(self._failures) >= self.policy.failures:
            self._open_until = now + self.policy.cooldown
            self.until_utc = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self.policy.cooldown)
            self._failures.clear()
            self.trips += 1
            return True
        return False

    def recent_failures(self) -> int:
        """Failures counted in the current window."""
        self._prune(self._clock())
        return len(self._failures)

    def reset(self) -> None:
        """Close the breaker and forget the counted failures."""
        self._open_until = None
        self.until_utc = None
        self._failures.clear()

    def _prune(self, now: float) -> None:
        horizon = now - self.policy.window
        while self._failures and self._failures[0] <= horizon:
            self._failures.popleft()
