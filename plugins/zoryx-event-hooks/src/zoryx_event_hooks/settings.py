"""The plugin's settings: declared for ``zoryx_settings`` and read into one typed object."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from zoryx_core import Setting

__all__ = ["SETTINGS", "HookSettings"]

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "queue_size",
        1000,
        "int",
        "Events waiting for the workers at most; a full queue drops new events (counted and logged).",
        minimum=1,
        maximum=1_000_000,
    ),
    Setting(
        "workers",
        2,
        "int",
        "Worker tasks taking events from the queue; one event's callbacks always run one after another.",
        minimum=1,
        maximum=64,
    ),
    Setting(
        "callback_timeout",
        10.0,
        "float",
        "Seconds one async callback may run before it is cancelled and recorded as a timeout.",
        minimum=0.05,
        maximum=3600,
    ),
    Setting(
        "breaker.failures",
        5,
        "int",
        "Failures (errors or timeouts) within breaker.window seconds that disable a callback.",
        minimum=1,
        maximum=10_000,
    ),
    Setting(
        "breaker.window",
        300.0,
        "float",
        "Seconds over which a callback's failures are counted for the circuit breaker.",
        minimum=0.1,
        maximum=86_400,
    ),
    Setting(
        "breaker.cooldown",
        60.0,
        "float",
        "Seconds a tripped callback stays disabled before it runs again by itself.",
        minimum=0.05,
        maximum=86_400,
    ),
    Setting(
        "history.total",
        100,
        "int",
        "Callback executions kept in the history, all events together (the most recent).",
        minimum=1,
        maximum=100_000,
    ),
    Setting(
        "history.per_event",
        20,
        "int",
        "Callback executions kept in the history for each event (the most recent).",
        minimum=1,
        maximum=100_000,
    ),
    Setting(
        "drain_timeout",
        5.0,
        "float",
        "Seconds shutdown and unload wait for queued events to be handled before cancelling the workers.",
        minimum=0,
        maximum=600,
    ),
)
"""Every setting, under ``plugin_settings.zoryx-event-hooks`` in ``config.json``."""


@dataclass(frozen=True)
class HookSettings:
    """The effective settings, typed."""

    queue_size: int = 1000
    workers: int = 2
    callback_timeout: float = 10.0
    breaker_failures: int = 5
    breaker_window: float = 300.0
    breaker_cooldown: float = 60.0
    history_total: int = 100
    history_per_event: int = 20
    drain_timeout: float = 5.0

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> HookSettings:
        """Read the plugin's validated settings (``plugin.settings``)."""
        return cls(
            queue_size=int(values["queue_size"]),
            workers=int(values["workers"]),
            callback_timeout=float(values["callback_timeout"]),
            breaker_failures=int(values["breaker.failures"]),
            breaker_window=float(values["breaker.window"]),
            breaker_cooldown=float(values["breaker.cooldown"]),
            history_total=int(values["history.total"]),
            history_per_event=int(values["history.per_event"]),
            drain_timeout=float(values["drain_timeout"]),
        )
