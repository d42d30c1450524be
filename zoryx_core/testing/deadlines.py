"""One event-loop timer for every pending wait of the driver, instead of a timer per wait.

A driver waits for a reply to every message it sends. asyncio keeps each ``call_later`` in a heap of
``TimerHandle`` objects compared by a Python ``__lt__``, and a cancelled one stays there until it
would have fired; at thousands of waits a second that is a noticeable share of the emulator's CPU.
Here time is cut into slots of :data:`GRANULARITY` seconds: a wait joins the set of futures of the
slot its deadline falls in, and leaves it as soon as it is answered (:meth:`Deadlines.discard`), so
an answered wait keeps nothing alive (a future kept for its whole timeout would live long enough to
reach the garbage collector's oldest generation). A single timer is armed for the earliest slot; a
wait therefore times out at its deadline, or at most :data:`GRANULARITY` after it.
"""

from __future__ import annotations

import asyncio
import heapq
import math
from typing import Any

__all__ = ["GRANULARITY", "Deadlines"]

GRANULARITY = 0.05
"""Seconds a timeout may come late: the length of one slot."""

_NEVER = -1  # the ticket of a wait without a deadline: no slot has that number


class Deadlines:
    """Fails each future still pending at its deadline with :class:`TimeoutError` (one loop at a
    time: the entries of a loop that is no longer running are dropped when another loop adds one)."""

    def __init__(self) -> None:
        self._slots: dict[int, dict[asyncio.Future[Any], None]] = {}
        """Slot number (deadline / GRANULARITY, rounded up) -> its pending futures, in order."""
        self._order: list[int] = []  # heap of the numbers of the slots in _slots
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._armed_for = math.inf  # the slot the timer fires for

    def __len__(self) -> int:
        return sum(len(futures) for futures in self._slots.values())

    def add(self, future: asyncio.Future[Any], timeout: float) -> int:
        """Expire ``future`` ``timeout`` seconds from now unless it is done by then; returns the
        ticket that :meth:`discard` takes. An infinite timeout never expires."""
        if timeout == math.inf:
            return _NEVER
        loop = future.get_loop()
        if loop is not self._loop:
            self._reset(loop)
        slot = math.ceil((loop.time() + timeout) / GRANULARITY)
        futures = self._slots.get(slot)
        if futures is None:
            futures = self._slots[slot] = {}
            heapq.heappush(self._order, slot)
            if slot < self._armed_for:
                self._arm(slot)
        futures[future] = None
        return slot

    def discard(self, future: asyncio.Future[Any], ticket: int) -> None:
        """Forget ``future`` (answered, or given up); ``ticket`` is what :meth:`add` returned."""
        futures = self._slots.get(ticket)
        if futures is not None:
            futures.pop(future, None)  # an emptied slot goes when the timer next fires

    def _reset(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._slots.clear()
        self._order.clear()
        self._loop, self._timer, self._armed_for = loop, None, math.inf

    def _arm(self, slot: int) -> None:
        assert self._loop is not None
        if self._timer is not None:
            self._timer.cancel()
        self._armed_for = slot
        self._timer = self._loop.call_at(slot * GRANULARITY, self._fire)

    def _fire(self) -> None:
        assert self._loop is not None
        # call_at may run a callback up to the clock's resolution early: the armed slot is due
        due = max(self._armed_for, math.floor(self._loop.time() / GRANULARITY))
        self._timer, self._armed_for = None, math.inf
        order, slots = self._order, self._slots
        while order and (order[0] <= due or not slots[order[0]]):
            for future in slots.pop(heapq.heappop(order)):
                if not future.done():
                    future.set_exception(TimeoutError())
        if order:
            self._arm(order[0])
