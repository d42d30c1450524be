"""Calling hook implementations one at a time: awaited, isolated, timed, attributed."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import pluggy

__all__ = ["HookCall", "HookRunner", "HookStats"]

log = logging.getLogger("zoryx.hooks")


@dataclass
class HookCall:
    """The result of one implementation's call."""

    plugin: str
    hook: str
    value: Any = None
    error: str | None = None
    traceback: str | None = None
    timed_out: bool = False
    duration: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class HookStats:
    """Running totals for one (plugin, hook) pair."""

    calls: int = 0
    failures: int = 0
    timeouts: int = 0
    total_time: float = 0.0
    last_error: str | None = None


class HookRunner:
    """Runs a hook's implementations in pluggy's order, each on its own: exceptions and timeouts
    are caught, logged and attributed to the plugin; every call is timed."""

    def __init__(self, manager: pluggy.PluginManager, default_timeout: Callable[[], float]) -> None:
        self.manager = manager
        self._default_timeout = default_timeout
        self.stats: dict[tuple[str, str], HookStats] = {}
        self._ordered: dict[str, tuple[tuple[pluggy.HookImpl, ...], bool]] = {}
        self._paused: set[tuple[str, str]] = set()  # (plugin, hook)

    def default_timeout(self) -> float:
        """Seconds each implementation of an async hook gets (the ``plugins.hook_timeout`` setting)."""
        return self._default_timeout()

    def pause(self, hook: str, plugin: str) -> None:
        """Leave ``plugin``'s implementation of ``hook`` out of every call until :meth:`resume`."""
        self._paused.add((plugin, hook))
        self._ordered.pop(hook, None)

    def resume(self, hook: str, plugin: str) -> None:
        self._paused.discard((plugin, hook))
        self._ordered.pop(hook, None)

    def paused(self, plugin: str) -> list[str]:
        """The hooks ``plugin`` paused."""
        return sorted(hook for owner, hook in self._paused if owner == plugin)

    def forget(self, plugin: str) -> None:
        """Drop ``plugin``'s pauses (it is unregistered)."""
        self._paused = {(owner, hook) for owner, hook in self._paused if owner != plugin}
        self.invalidate()

    def invalidate(self) -> None:
        """Forget the cached call order; the host calls this after registering or unregistering
        a plugin with the manager."""
        self._ordered.clear()

    def _order(self, hook: str) -> tuple[tuple[pluggy.HookImpl, ...], bool]:
        found = self._ordered.get(hook)
        if found is None:
            caller: pluggy.HookCaller = getattr(self.manager.hook, hook)
            paused = self._paused
            impls = tuple(
                impl for impl in reversed(caller.get_hookimpls()) if (impl.plugin_name, hook) not in paused
            )
            found = self._ordered[hook] = (impls, any(inspect.iscoroutinefunction(i.function) for i in impls))
        return found

    def implementations(self, hook: str, plugin: str | None = None) -> list[pluggy.HookImpl]:
        """Implementations in call order (pluggy calls its list back to front)."""
        impls = self._order(hook)[0]
        if plugin is not None:
            return [impl for impl in impls if impl.plugin_name == plugin]
        return list(impls)

    def implemented(self, hook: str) -> bool:
        """Whether any plugin implements ``hook`` (from the cached call order, no copy)."""
        return bool(self._order(hook)[0])

    def has_async(self, hook: str) -> bool:
        """Whether any implementation of ``hook`` is a coroutine function."""
        return self._order(hook)[1]

    def mode(self, hook: str) -> Literal["none", "sync", "async"]:
        """How ``hook`` would run now: no implementation, only plain functions, or some coroutine
        functions (one lookup for what :meth:`implemented` and :meth:`has_async` answer)."""
        impls, has_async = self._order(hook)
        return "async" if has_async else "sync" if impls else "none"

    def has(self, hook: str, plugin: str) -> bool:
        return bool(self.implementations(hook, plugin))

    async def call(
        self, hook: str, /, *, only: str | None = None, timeout: float | None = None, **kwargs: Any
    ) -> list[HookCall]:
        """Await every implementation of ``hook`` (only the plugin ``only``'s, if given) in turn;
        ``kwargs`` are the hook's arguments."""
        limit = self._default_timeout() if timeout is None else timeout
        results = []
        for impl in self.implementations(hook, only):
            results.append(await self._call_one(impl, hook, kwargs, limit))
        return results

    def call_sync(self, hook: str, /, *, only: str | None = None, **kwargs: Any) -> list[HookCall]:
        """Call a synchronous hook's implementations (only the plugin ``only``'s, if given) in
        turn (no event loop needed); ``kwargs`` are the hook's arguments."""
        results = []
        for impl in self.implementations(hook, only):
            started = time.perf_counter()
            result = HookCall(impl.plugin_name, hook)
            try:
                value = impl.function(*self._arguments(impl, kwargs))
                if inspect.isawaitable(value):
                    if inspect.iscoroutine(value):
                        value.close()
                    raise TypeError(f"{hook} must be a plain function, not async")
                result.value = value
            except Exception as error:
                self._failed(result, error)
            result.duration = time.perf_counter() - started
            self._account(result)
            results.append(result)
        return results

    def fire_sync(self, hook: str, /, **kwargs: Any) -> None:
        """:meth:`call_sync` for a notification whose results nobody reads (the per-command hooks):
        the same calls, timing, accounting and error reports, without a result per call."""
        impls = self._order(hook)[0]
        if not impls:
            return
        for impl in impls:
            started = time.perf_counter()
            try:
                value = impl.function(*map(kwargs.__getitem__, impl.argnames))  # no comprehension frame
                if value is not None and inspect.isawaitable(value):
                    if inspect.iscoroutine(value):
                        value.close()
                    raise TypeError(f"{hook} must be a plain function, not async")
            except Exception as error:
                failed = HookCall(impl.plugin_name, hook)
                self._failed(failed, error)
                failed.duration = time.perf_counter() - started
                self._account(failed)
                continue
            stats = self.stats.get((impl.plugin_name, hook)) or self._stats_of(impl.plugin_name, hook)
            stats.calls += 1
            stats.total_time += time.perf_counter() - started

    async def _call_one(
        self, impl: pluggy.HookImpl, hook: str, kwargs: dict[str, Any], limit: float
    ) -> HookCall:
        result = HookCall(impl.plugin_name, hook)
        started = time.perf_counter()
        try:
            value = impl.function(*self._arguments(impl, kwargs))
            if inspect.isawaitable(value):
                async with asyncio.timeout(limit):  # unlike wait_for, no extra task per call
                    value = await value
            result.value = value
        except TimeoutError:
            result.timed_out = True
            result.error = f"{hook} did not finish within {limit:g} s"
            log.error("plugin %s: %s", impl.plugin_name, result.error)
        except Exception as error:
            self._failed(result, error)
        result.duration = time.perf_counter() - started
        self._account(result)
        return result

    @staticmethod
    def _arguments(impl: pluggy.HookImpl, kwargs: dict[str, Any]) -> list[Any]:
        return [kwargs[name] for name in impl.argnames]

    @staticmethod
    def _failed(result: HookCall, error: Exception) -> None:
        result.error = f"{type(error).__name__}: {error}"
        result.traceback = "".join(traceback.format_exception(error))
        log.error(
            "plugin %s: hook %s raised %s\n%s", result.plugin, result.hook, result.error, result.traceback
        )

    def _stats_of(self, plugin: str, hook: str) -> HookStats:
        stats = self.stats.get((plugin, hook))
        if stats is None:
            stats = self.stats[(plugin, hook)] = HookStats()
        return stats

    def _account(self, result: HookCall) -> None:
        stats = self._stats_of(result.plugin, result.hook)
        stats.calls += 1
        stats.total_time += result.duration
        if result.timed_out:
            stats.timeouts += 1
        if result.error:
            stats.failures += 1
            stats.last_error = result.error
