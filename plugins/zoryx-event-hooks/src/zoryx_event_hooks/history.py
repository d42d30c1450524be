"""The execution history: the most recent callback runs, overall and per event."""

from __future__ import annotations

import datetime as dt
from collections import deque
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["ExecutionHistory", "HookExecution", "Outcome"]


class Outcome(StrEnum):
    """How one callback run ended."""

    OK = "ok"
    ERROR = "error"
    """The callback raised; ``detail`` holds the exception's type and message."""
    TIMEOUT = "timeout"
    """The callback ran past ``callback_timeout`` and was cancelled."""
    SKIPPED = "skipped"
    """Not run: disabled by an owner, or its circuit breaker was tripped (``detail`` says which)."""


@dataclass(frozen=True)
class HookExecution:
    """One callback run (or skip) for one event."""

    event: str
    hook_id: str
    callback: str
    plugin: str | None
    """The plugin owning the callback, if any."""
    started: dt.datetime
    """When the run started, in UTC."""
    duration: float
    """Seconds the run took (0 for a skip)."""
    outcome: Outcome
    detail: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready description (the shape ``bot.get_hook_history`` returns)."""
        return {
            "event": self.event,
            "hook_id": self.hook_id,
            "callback": self.callback,
            "plugin": self.plugin,
            "started": self.started.isoformat(),
            "duration": self.duration,
            "outcome": self.outcome.value,
            "detail": self.detail,
        }


class ExecutionHistory:
    """The last ``total`` executions, and the last ``per_event`` of each event."""

    def __init__(self, total: int, per_event: int) -> None:
        if total < 1 or per_event < 1:
            raise ValueError("history sizes must be at least 1")
        self.total = total
        self.per_event = per_event
        self._all: deque[HookExecution] = deque(maxlen=total)
        self._by_event: dict[str, deque[HookExecution]] = {}

    def add(self, execution: HookExecution) -> None:
        self._all.append(execution)
        bucket = self._by_event.get(execution.event)
        if bucket is None:
            bucket = self._by_event[execution.event] = deque(maxlen=self.per_event)
        bucket.append(execution)

    def recent(self, limit: int | None = None, *, event: str | None = None) -> list[HookExecution]:
        """The most recent executions first, at most ``limit`` (default: all kept), optionally of
        one ``event`` only."""
        source = self._all if event is None else self._by_event.get(event, deque())
        items = list(reversed(source))
        return items if limit is None else items[: max(limit, 0)]

    def __len__(self) -> int:
        return len(self._all)

    def events(self) -> list[str]:
        """Events with recorded executions."""
        return list(self._by_event)
