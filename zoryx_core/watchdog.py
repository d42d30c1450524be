"""The event-loop watchdog: notices a blocked loop and names where it is stuck and whose code it is.

The loop side costs one timer callback per heartbeat interval (at most one a second): it records
when the loop last ran it. A daemon thread wakes at the same interval and compares. When the
heartbeat is overdue by the threshold, the thread samples the loop thread's stack
(``sys._current_frames``), finds the innermost frame that belongs to a plugin, logs it and opens
an incident; the next heartbeat the loop runs closes it with the duration. Nothing runs on the
message path.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from types import FrameType

__all__ = ["BlockedLoop", "LoopWatchdog"]

log = logging.getLogger("zoryx.watchdog")

_MAX_INTERVAL = 1.0


@dataclass(frozen=True)
class BlockedLoop:
    """One time the event loop stopped running for at least the threshold."""

    started_at: float
    """Wall-clock time (``time.time()``) the loop last ran before the block."""
    plugin: str | None
    """The plugin whose code the loop was running when sampled; ``None``: no plugin's code."""
    location: str
    """``file:line in function`` of the innermost plugin frame (or of the innermost frame)."""
    stack: str
    """The loop thread's stack when it was sampled, formatted like a traceback."""
    duration: float | None = None
    """Seconds the loop did not run (to within a heartbeat interval); ``None`` while blocked."""

    @property
    def ongoing(self) -> bool:
        return self.duration is None

    def describe(self) -> str:
        """One line: how long, whose code, where."""
        owner = f"plugin {self.plugin}" if self.plugin else "no plugin's code"
        if self.duration is None:
            return f"blocked now, in {owner}, at {self.location}"
        return f"blocked for {self.duration:.1f} s, in {owner}, at {self.location}"


class LoopWatchdog:
    """Watches one event loop from a thread. ``owner_of(module)`` names the plugin a module
    belongs to (it is called from the watchdog thread). A ``threshold`` of 0 disables it."""

    def __init__(self, threshold: float, owner_of: Callable[[str], str | None], *, history: int = 20) -> None:
        self.threshold = threshold
        self.interval = min(_MAX_INTERVAL, threshold / 4) if threshold > 0 else 0.0
        self._owner_of = owner_of
        self._incidents: deque[BlockedLoop] = deque(maxlen=history)
        self._lock = threading.Lock()
        self._last_beat = 0.0
        self._last_beat_wall = 0.0
        self._open: BlockedLoop | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._timer: asyncio.TimerHandle | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def enabled(self) -> bool:
        return self.threshold > 0

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def incidents(self) -> list[BlockedLoop]:
        """The last incidents, oldest first (one still open is included, with no duration)."""
        with self._lock:
            return list(self._incidents)

    def start(self) -> None:
        """Start watching the running loop (call from the loop; does nothing when disabled or
        already running)."""
        if not self.enabled or self.running:
            return
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._stop.clear()
        self._beat()
        self._thread = threading.Thread(target=self._watch, name="zoryx-loop-watchdog", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the heartbeat and the thread (the thread ends within one interval)."""
        self._stop.set()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._thread = None

    # --- loop side -------------------------------------------------------------------------------

    def _beat(self) -> None:
        now = time.monotonic()
        with self._lock:
            incident, self._open = self._open, None
            blocked_for = now - self._last_beat
            self._last_beat = now
            self._last_beat_wall = time.time()
            if incident is not None:
                closed = replace(incident, duration=blocked_for)
                self._replace(incident, closed)
        if incident is not None:
            log.warning(
                "the event loop was blocked for %.1f s, in %s, at %s",
                blocked_for,
                f"plugin {incident.plugin}" if incident.plugin else "no plugin's code",
                incident.location,
            )
        if not self._stop.is_set() and self._loop is not None:
            self._timer = self._loop.call_later(self.interval, self._beat)

    def _replace(self, old: BlockedLoop, new: BlockedLoop) -> None:
        for index in range(len(self._incidents) - 1, -1, -1):
            if self._incidents[index] is old:
                self._incidents[index] = new
                return

    # --- watchdog thread -------------------------------------------------------------------------

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                overdue = time.monotonic() - (self._last_beat + self.interval)
                if self._open is not None or overdue < self.threshold:
                    continue
                started = self._last_beat_wall
            frame = sys._current_frames().get(self._loop_thread)
            if frame is None:
                continue
            incident = self._sample(frame, started)
            with self._lock:
                if self._last_beat_wall != started:
                    continue  # the loop ran again while the stack was being read
                self._open = incident
                self._incidents.append(incident)
            log.warning(
                "the event loop has been blocked for %.1f s, in %s, at %s; the loop thread's stack:\n%s",
                overdue + self.interval,
                f"plugin {incident.plugin}" if incident.plugin else "no plugin's code",
                incident.location,
                incident.stack,
            )

    def _sample(self, frame: FrameType, started: float) -> BlockedLoop:
        plugin: str | None = None
        where: FrameType | None = None
        current: FrameType | None = frame
        while current is not None:  # innermost first
            module = current.f_globals.get("__name__")
            owner = self._owner_of(module) if isinstance(module, str) else None
            if owner is not None:
                plugin, where = owner, current
                break
            current = current.f_back
        where = where or frame
        code = where.f_code
        location = f"{code.co_filename}:{where.f_lineno} in {code.co_name}"
        stack = "".join(traceback.format_stack(frame))
        return BlockedLoop(started_at=started, plugin=plugin, location=location, stack=stack)
