"""Registered callbacks: stable ids, run order by priority, the plugin owning each."""

from __future__ import annotations

import functools
import hashlib
import itertools
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .breaker import BreakerPolicy, CircuitBreaker

if TYPE_CHECKING:
    from zoryx_core import PluginContext

__all__ = ["Callback", "HookEntry", "HookRegistry", "callback_name"]

Callback = Callable[..., Awaitable[Any] | Any]
"""``async def cb(bot, **kwargs)`` (a plain ``def`` works too)."""


def callback_name(callback: Callback) -> str:
    """A readable name: ``Class.method`` or ``function`` (``functools.partial`` unwrapped)."""
    target: Any = callback
    while isinstance(target, functools.partial):
        target = target.func
    return str(getattr(target, "__qualname__", None) or getattr(target, "__name__", None) or repr(target))


def callback_module(callback: Callback) -> str | None:
    """The module defining ``callback`` (``functools.partial`` unwrapped)."""
    target: Any = callback
    while isinstance(target, functools.partial):
        target = target.func
    module = getattr(target, "__module__", None)
    return module if isinstance(module, str) else None


@dataclass(eq=False)
class HookEntry:
    """One registered callback for one event, with its state and counters."""

    id: str
    event: str
    callback: Callback
    priority: int
    sequence: int
    """Registration order, which breaks ties between equal priorities."""
    name: str
    owner: PluginContext | None
    """The context of the plugin owning the callback (``None``: no plugin)."""
    breaker: CircuitBreaker
    disabled: bool = False
    """Switched off by an owner (``hook disable``) until enabled again."""
    active: bool = True
    """False once unregistered (a run already under way skips it)."""
    runs: int = 0
    errors: int = 0
    timeouts: int = 0
    skips: int = 0
    last_error: str | None = None

    @property
    def plugin(self) -> str | None:
        """The name of the plugin owning the callback."""
        return self.owner.name if self.owner is not None else None

    @property
    def state(self) -> str:
        """``enabled``, ``disabled`` or ``tripped``."""
        if self.disabled:
            return "disabled"
        if self.breaker.tripped:
            return "tripped"
        return "enabled"

    def order_key(self) -> tuple[int, int]:
        return (-self.priority, self.sequence)


class HookRegistry:
    """Callbacks per event in run order (higher priority first; equal priorities in registration
    order), found by id. Registering the same callback for the same event again does not add a
    second entry: it returns the first (with the new priority)."""

    def __init__(self, policy: BreakerPolicy) -> None:
        self.policy = policy
        self._by_event: dict[str, list[HookEntry]] = {}
        self._by_id: dict[str, HookEntry] = {}
        self._sequence = itertools.count()

    def add(self, event: str, callback: Callback, priority: int, owner: PluginContext | None) -> HookEntry:
        entries = self._by_event.setdefault(event, [])
        for entry in entries:
            if entry.callback == callback:
                entry.owner = owner
                if entry.priority != priority:
                    entry.priority = priority
                    entries.sort(key=HookEntry.order_key)
                return entry
        entry = HookEntry(
            id=self._new_id(event, callback, owner),
            event=event,
            callback=callback,
            priority=priority,
            sequence=next(self._sequence),
            name=callback_name(callback),
            owner=owner,
            breaker=CircuitBreaker(self.policy),
        )
        entries.append(entry)
        entries.sort(key=HookEntry.order_key)
        self._by_id[entry.id] = entry
        return entry

    def remove(self, event: str, callback: Callback) -> HookEntry | None:
        """Unregister ``callback`` from ``event``; the removed entry, or ``None``."""
        for entry in self._by_event.get(event, ()):
            if entry.callback == callback:
                self.discard(entry)
                return entry
        return None

    def discard(self, entry: HookEntry) -> None:
        entry.active = False
        entries = self._by_event.get(entry.event, [])
        if entry in entries:
            entries.remove(entry)
        if not entries:
            self._by_event.pop(entry.event, None)
        if self._by_id.get(entry.id) is entry:
            del self._by_id[entry.id]

    def remove_where(self, predicate: Callable[[HookEntry], bool]) -> list[HookEntry]:
        """Unregister every entry ``predicate`` accepts; the removed entries."""
        removed = [entry for entry in self._by_id.values() if predicate(entry)]
        for entry in removed:
            self.discard(entry)
        return removed

    def for_event(self, event: str) -> list[HookEntry]:
        """The event's entries in run order (a copy)."""
        return list(self._by_event.get(event, ()))

    def has_callbacks(self, event: str) -> bool:
        return event in self._by_event

    def get(self, hook_id: str) -> HookEntry | None:
        return self._by_id.get(hook_id)

    def events(self) -> dict[str, list[HookEntry]]:
        """Every event with callbacks, sorted by name, each list in run order (copies)."""
        return {event: list(self._by_event[event]) for event in sorted(self._by_event)}

    def entries(self) -> Iterable[HookEntry]:
        return list(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def _new_id(self, event: str, callback: Callback, owner: PluginContext | None) -> str:
        """Derived from the event, the owning plugin and the callback's module and name, so the
        same callback gets the same id on every run; a suffix separates look-alikes."""
        seed = "\0".join(
            (event, owner.name if owner else "", callback_module(callback) or "", callback_name(callback))
        )
        base = hashlib.sha1(seed.encode(), usedforsecurity=False).hexdigest()[:6]
        candidate, number = base, 1
        while candidate in self._by_id:
            number += 1
            candidate = f"{base}-{number}"
        return candidate
