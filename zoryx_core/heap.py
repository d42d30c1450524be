"""Keeping the long-lived heap out of the cyclic garbage collector's way.

A running bot holds a large, stable heap: discord.py's caches (servers, members, channels), every
imported module, every plugin's objects. CPython's collector walks all of it on each full
collection although almost none of it ever becomes garbage. :class:`HeapFreezer` moves what is
alive at stable points (READY, after plugins are loaded) into the permanent generation with
:func:`gc.freeze`, so collections only walk what was made since.

A frozen object that later becomes cyclic garbage (a plugin unloaded, a server left) is not
collected while frozen. So each freeze first thaws the heap and makes one full collection; freezes
happen after a plugin is loaded or unloaded and once per maintenance run. Once start-up has loaded
every plugin, and at READY when the heap is at its largest, only the young generations are
collected before freezing, so neither brings a pause that grows with the heap. Objects freed by
reference counting (most of them) are freed at once, frozen or not.
"""

from __future__ import annotations

import gc
import logging
import time
from dataclasses import dataclass

__all__ = ["HeapFigures", "HeapFreezer"]

log = logging.getLogger("zoryx.heap")


@dataclass(frozen=True)
class HeapFigures:
    """What the freezer has done so far."""

    enabled: bool
    frozen_objects: int
    """Objects in the permanent generation right now."""
    freezes: int
    reclaimed: int
    """Unreachable objects the collections before each freeze found."""
    last_freeze_ms: float


class HeapFreezer:
    """Freezes the heap at stable points; a no-op when ``enabled`` is false."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.freezes = 0
        self.reclaimed = 0
        self.last_freeze_ms = 0.0

    def freeze(self, reason: str, *, full: bool = True) -> int:
        """Thaw what was frozen before, collect cyclic garbage among everything (so none of it is
        frozen), then freeze every object left; returns the unreachable objects found. A full
        collection on the calling thread, as CPython itself makes from time to time.

        ``full=False`` only collects the young generations before freezing: no pause that grows
        with the heap (at READY the heap is at its largest), at the price of keeping whatever
        cyclic garbage the old generation holds until the next full freeze (the next plugin
        unload or maintenance run)."""
        if not self.enabled:
            return 0
        started = time.perf_counter()
        if full:
            gc.unfreeze()
            found = gc.collect()
        else:
            found = gc.collect(1)
        gc.freeze()
        self.freezes += 1
        self.reclaimed += found
        self.last_freeze_ms = (time.perf_counter() - started) * 1000
        log.debug(
            "heap frozen (%s): %d unreachable objects collected, %.1f ms, %d objects frozen",
            reason, found, self.last_freeze_ms, gc.get_freeze_count(),
        )  # fmt: skip
        return found

    def release(self) -> None:
        """Give every frozen object back to the collector (the bot is closing)."""
        if self.enabled and gc.get_freeze_count():
            gc.unfreeze()

    def figures(self) -> HeapFigures:
        return HeapFigures(
            enabled=self.enabled,
            frozen_objects=gc.get_freeze_count(),
            freezes=self.freezes,
            reclaimed=self.reclaimed,
            last_freeze_ms=self.last_freeze_ms,
        )
