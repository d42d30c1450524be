"""One event-loop timer for every pending wait of the driver, instead of a timer per wait.

A driver waits for a reply to every message it sends. asyncio keeps each ``call_later`` in a heap of
``TimerHandle`` objects compared by a Python ``__lt__``, and a cancelled one stays there until it
would have fired; at thousands of waits a second that is a noticeable share of the emulator's CPU.
Here the deadlines are ``(time, sequence, future)`` tuples in a heap of their own (compared in C),
and a single timer is armed for the earliest. A wait that ends early leaves its entry behind, to be
dropped when its time comes; to keep those from waking the loop once each, a timer set again after
firing is set no sooner than :data:`GRANULARITY` later. A wait therefore times out at its deadline,
or at most :data:`GRANULARITY` after it.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
from typing import Any

__all__ = ["GRANULARITY", "Deadlines"]

GRANULARITY = 0.05
"""Seconds a timeout may come late: the shortest interval between two firings of the timer."""


class Deadlines:
    """Fails each future still pending at its deadline with :class:`TimeoutError` (one loop at a
    time: the entries of a loop that is no longer running are dropped when another loop adds one)."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, asyncio.Future[Any]]] = []
        self._numbers = itertools.count()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._armed_for = math.inf

    def __len__(self) -> int:
        return len(self._heap)

    def add(self, future: asyncio.Future[Any], timeout: float) -> None:
        """Expire ``future`` ``timeout`` seconds from now unless it is done by then."""
        loop = future.get_loop()
        if loop is not self._loop:
            self._reset(loop)
        deadline = loop.time() + timeout
        heapq.heappush(self._heap, (deadline, next(self._numbers), future))
        if deadline < self._armed_for:
            self._arm(deadline)

    def _reset(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._heap.clear()
        self._loop, self._timer, self._armed_for = loop, None, math.inf

    def _arm(self, when: float) -> None:
        assert self._loop is not None
        if self._timer is not None:
            self._timer.cancel()
        self._armed_for = when
        self._timer = self._loop.call_at(when, self._fire)

    def _fire(self) -> None:
        assert self._loop is not None
        self._timer, self._armed_for = None, math.inf
        now = self._loop.time()
        heap = self._heap
        while heap and (heap[0][0] <= now or heap[0][2].done()):
            future = heapq.heappop(heap)[2]
            if not future.done():
                future.set_exception(TimeoutError())
        if heap:
            self._arm(max(heap[0][0], now + GRANULARITY))
