"""EventHooks: the queue, its workers, callback runs with timeout and circuit breaker, history."""

from __future__ import annotations

import asyncio
import datetime as dt
import difflib
import inspect
import logging
import math
import time
from typing import TYPE_CHECKING, Any

from zoryx_core.cancellation import cancel_and_wait
from zoryx_core.plugins.context import current_plugin

from .breaker import BreakerPolicy
from .history import ExecutionHistory, HookExecution, Outcome
from .registry import Callback, HookEntry, HookRegistry, callback_module
from .settings import HookSettings

if TYPE_CHECKING:
    from zoryx_core import PluginContext, ZoryxBot
    from zoryx_core.plugins.contributions import HealthStatus

__all__ = ["DISABLED_KEY", "EVENT_NAME_MAX", "EventHooks", "UnknownHookError"]

log = logging.getLogger("zoryx.plugin.zoryx-event-hooks")

EVENT_NAME_MAX = 100
"""Longest event name accepted."""
DISABLED_KEY = "disabled_hooks"
"""Storage key (the plugin's global namespace) of the ids an owner disabled."""
DROP_REPORT_SECONDS = 10.0
PER_COMMAND_HOOKS = {"command_executed": "zoryx_command_executed", "command_error": "zoryx_command_error"}
"""Framework events fed from a core hook the core calls once per command."""
"""At most one warning about a full queue per this many seconds (the count covers them all)."""

QueueItem = tuple[str, dict[str, Any]]


class UnknownHookError(LookupError):
    """No registered callback has this id; the message says how to find ids."""

    def __init__(self, hook_id: str, known: list[str]) -> None:
        close = difflib.get_close_matches(hook_id, known, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(f'`{c}`' for c in close)}?" if close else ""
        super().__init__(
            f"No hook callback has the id `{hook_id}`.{hint} Run `hooks` to see every callback with its id."
        )
        self.hook_id = hook_id


class EventHooks:
    """Priority-ordered callbacks on named events, run by worker tasks from a bounded queue.

    Callbacks are ``async def cb(bot, **kwargs)`` (plain functions work too, but cannot be
    timed out). For each event, its callbacks run one after another, higher priority first and
    equal priorities in registration order. Each async callback has ``callback_timeout``
    seconds; errors and timeouts count towards the callback's circuit breaker, which disables it
    for ``breaker.cooldown`` seconds after ``breaker.failures`` failures within
    ``breaker.window`` seconds. Every run (and every skip) goes to the history.
    """

    def __init__(self, bot: ZoryxBot, settings: HookSettings, plugin: PluginContext | None = None) -> None:
        self.bot = bot
        self.settings = settings
        self._plugin = plugin
        self.registry = HookRegistry(
            BreakerPolicy(settings.breaker_failures, settings.breaker_window, settings.breaker_cooldown)
        )
        self._history = ExecutionHistory(settings.history_total, settings.history_per_event)
        self._queue: asyncio.Queue[QueueItem] = asyncio.Queue(maxsize=settings.queue_size)
        self._workers: list[asyncio.Task[None]] = []
        self._accepting = False
        self._disabled_ids: set[str] = set()
        self.accepted = 0
        """Events taken into the queue."""
        self.processed = 0
        """Events whose callbacks have all run (or been skipped)."""
        self.dropped = 0
        """Events refused because the queue was full."""
        self._unreported_drops = 0
        self._last_drop_report = -math.inf

    # --- registration --------------------------------------------------------------------------

    def register(self, event: str, callback: Callback, priority: int = 0) -> str:
        """Run ``callback`` on ``event``; higher ``priority`` runs first. Returns the callback's id
        (stable: the same callback gets the same id on every run). Registering the same callback
        for the same event again keeps one registration (with the new priority)."""
        _check_event(event)
        if not callable(callback):
            raise TypeError(f"callback must be callable (async def cb(bot, **kwargs)), not {callback!r}")
        if isinstance(priority, bool) or not isinstance(priority, int):
            raise TypeError(f"priority must be an integer (higher runs first), not {priority!r}")
        entry = self.registry.add(event, callback, priority, self._owner_of(callback))
        if entry.id in self._disabled_ids:
            entry.disabled = True
        self._pause_idle_feeds()
        log.debug("registered %s (%s) for %s, priority %d", entry.name, entry.id, event, priority)
        return entry.id

    def unregister(self, event: str, callback: Callback) -> bool:
        """Stop running ``callback`` on ``event``; whether it was registered."""
        removed = self.registry.remove(event, callback) is not None
        self._pause_idle_feeds()
        return removed

    def drop_stale_callbacks(self) -> list[HookEntry]:
        """Unregister the callbacks of plugins that are no longer loaded (or were loaded again
        since they registered); the removed entries."""
        contexts = self.bot.plugins.contexts

        def stale(entry: HookEntry) -> bool:
            owner = entry.owner
            return owner is not None and contexts.get(owner.name) is not owner

        removed = self.registry.remove_where(stale)
        self._pause_idle_feeds()
        for plugin in sorted({entry.plugin or "" for entry in removed}):
            count = sum(1 for entry in removed if entry.plugin == plugin)
            log.info("dropped %d hook callback(s) of unloaded plugin %s", count, plugin)
        return removed

    def _pause_idle_feeds(self) -> None:
        """The core builds a ``CommandEvent`` for every command only for hooks someone listens
        to: the per-command hooks are paused while no callback is registered for their event."""
        if self._plugin is None:
            return
        for event, hook in PER_COMMAND_HOOKS.items():
            if self.registry.has_callbacks(event):
                self._plugin.resume_hook(hook)
            else:
                self._plugin.pause_hook(hook)

    def _owner_of(self, callback: Callback) -> PluginContext | None:
        """The plugin whose module defines ``callback``; otherwise the plugin running now (a
        plugin's own module is not mapped until its set-up has finished)."""
        host = self.bot.plugins
        name = host.plugin_of_module(callback_module(callback))
        if name is not None and name in host.contexts:
            return host.contexts[name]
        running = current_plugin()
        return running if running is not None and running is not self._plugin else None

    # --- queries -------------------------------------------------------------------------------

    def list_hooks(self) -> dict[str, list[str]]:
        """``{event: [callback names in run order]}``."""
        return {event: [entry.name for entry in entries] for event, entries in self.registry.events().items()}

    def entries(self, event: str | None = None) -> list[HookEntry]:
        """Registered callbacks (of one event, or of all, by event name) in run order."""
        if event is not None:
            return self.registry.for_event(event)
        return [entry for entries in self.registry.events().values() for entry in entries]

    def get(self, hook_id: str) -> HookEntry:
        """The callback with this id; :class:`UnknownHookError` when there is none."""
        entry = self.registry.get(hook_id.strip())
        if entry is None:
            raise UnknownHookError(hook_id, [e.id for e in self.registry.entries()])
        return entry

    def history(self, limit: int = 20, *, event: str | None = None) -> list[HookExecution]:
        """The most recent executions first (of one ``event`` if given), at most ``limit``."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be a positive integer, not {limit!r}")
        return self._history.recent(limit, event=event)

    def get_hook_history(self, limit: int = 20) -> list[dict[str, Any]]:
        """:meth:`history` as dictionaries (event, hook_id, callback, plugin, started as ISO 8601
        UTC, duration in seconds, outcome, detail), most recent first."""
        return [execution.as_dict() for execution in self.history(limit)]

    @property
    def history_size(self) -> int:
        return self._history.total

    @property
    def queue_depth(self) -> int:
        """Events waiting in the queue."""
        return self._queue.qsize()

    @property
    def running(self) -> bool:
        return self._accepting

    def health(self) -> tuple[HealthStatus, str]:
        """``unhealthy`` when a worker has stopped, ``degraded`` when the queue is at least 90%
        full or a callback's breaker is tripped, ``healthy`` otherwise; with the figures."""
        alive = sum(1 for task in self._workers if not task.done())
        tripped = sum(1 for entry in self.registry.entries() if entry.state == "tripped")
        detail = (
            f"{alive}/{self.settings.workers} workers, queue {self.queue_depth}/{self.settings.queue_size}, "
            f"{self.dropped} dropped, {tripped} tripped, {len(self.registry)} callbacks"
        )
        if alive < self.settings.workers:
            return "unhealthy", detail
        if self.queue_depth >= 0.9 * self.settings.queue_size or tripped:
            return "degraded", detail
        return "healthy", detail

    # --- enable / disable ------------------------------------------------------------------------

    async def disable(self, hook_id: str) -> HookEntry:
        """Switch a callback off until :meth:`enable`; kept across restarts."""
        entry = self.get(hook_id)
        entry.disabled = True
        self._disabled_ids.add(entry.id)
        await self._save_disabled()
        log.info("hook %s (%s on %s) disabled", entry.id, entry.name, entry.event)
        return entry

    async def enable(self, hook_id: str) -> HookEntry:
        """Switch a callback on again; also closes a tripped circuit breaker."""
        entry = self.get(hook_id)
        entry.disabled = False
        entry.breaker.reset()
        self._disabled_ids.discard(entry.id)
        await self._save_disabled()
        log.info("hook %s (%s on %s) enabled", entry.id, entry.name, entry.event)
        return entry

    async def load_disabled(self) -> None:
        """Read the ids owners disabled on earlier runs."""
        if self._plugin is not None:
            stored = await self._plugin.storage.get(DISABLED_KEY, [])
            self._disabled_ids = {str(hook_id) for hook_id in stored or []}

    async def _save_disabled(self) -> None:
        if self._plugin is not None:
            await self._plugin.storage.set(DISABLED_KEY, sorted(self._disabled_ids))

    # --- emitting ------------------------------------------------------------------------------

    async def emit(self, event: str, /, **kwargs: Any) -> bool:
        """Queue ``event`` for its callbacks, which get ``(bot, **kwargs)``. Never waits: returns
        ``False`` at once when the queue is full (the drop is counted and logged) or the plugin is
        stopping."""
        return self.emit_nowait(event, **kwargs)

    def emit_nowait(self, event: str, /, **kwargs: Any) -> bool:
        """:meth:`emit` for synchronous code."""
        _check_event(event)
        if "bot" in kwargs:
            raise ValueError("'bot' is passed to every callback already; name the value differently")
        if not self._accepting:
            log.debug("event %s not queued: event hooks are not running", event)
            return False
        try:
            self._queue.put_nowait((event, kwargs))
        except asyncio.QueueFull:
            self._report_drop(event)
            return False
        self.accepted += 1
        return True

    def feed(self, event: str, /, **kwargs: Any) -> bool:
        """Queue a framework event, unless no callback is registered for it (nothing would run)."""
        if not self.registry.has_callbacks(event):
            return False
        return self.emit_nowait(event, **kwargs)

    def _report_drop(self, event: str) -> None:
        self.dropped += 1
        self._unreported_drops += 1
        now = time.monotonic()
        if now - self._last_drop_report >= DROP_REPORT_SECONDS:
            log.warning(
                "event hook queue full (%d of %d waiting): dropped %s; %d dropped since the last "
                "report, %d since start (settings: queue_size, workers)",
                self._queue.qsize(),
                self.settings.queue_size,
                event,
                self._unreported_drops,
                self.dropped,
            )
            self._unreported_drops = 0
            self._last_drop_report = now

    # --- workers -------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the workers (owned by the plugin, so unloading it cancels them)."""
        if self._workers:
            return
        self._pause_idle_feeds()
        for number in range(self.settings.workers):
            name = f"zoryx-event-hooks:worker-{number + 1}"
            if self._plugin is not None:
                task = self._plugin.create_task(self._work(), name=name)
            else:
                task = asyncio.get_running_loop().create_task(self._work(), name=name)
            self._workers.append(task)
        self._accepting = True

    async def drain(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for every queued event to be handled; whether it was."""
        if not self._workers:
            return self._queue.empty()
        try:
            async with asyncio.timeout(timeout):
                await self._queue.join()
        except TimeoutError:
            return False
        return True

    async def stop(self) -> None:
        """Refuse new events, give queued ones ``drain_timeout`` seconds, then stop the workers."""
        self._accepting = False
        drained = await self.drain(self.settings.drain_timeout)
        if not drained:
            log.warning(
                "stopping with %d queued event(s) not handled after %g s (drain_timeout)",
                self._queue.qsize(),
                self.settings.drain_timeout,
            )
        for task in await cancel_and_wait(self._workers):
            log.warning("event hook worker %s did not stop when cancelled; left running", task.get_name())
        self._workers.clear()
        if self._unreported_drops:
            log.warning(
                "%d event(s) were dropped on a full queue since the last report", self._unreported_drops
            )
            self._unreported_drops = 0
        dropped = self.registry.remove_where(lambda entry: True)
        if dropped:
            owners = sorted({entry.plugin or "no plugin" for entry in dropped})
            log.info(
                "event hooks stopped: %d registered callback(s) dropped (%s); plugins register "
                "them again when they are set up next",
                len(dropped),
                ", ".join(owners),
            )

    async def _work(self) -> None:
        while True:
            event, kwargs = await self._queue.get()
            try:
                for entry in self.registry.for_event(event):
                    if entry.active:
                        await self._run(entry, event, kwargs)
                self.processed += 1
            except Exception:  # a bug here must not stop the worker
                log.exception("handling event %s failed", event)
            finally:
                self._queue.task_done()

    async def _run(self, entry: HookEntry, event: str, kwargs: dict[str, Any]) -> None:
        started = dt.datetime.now(dt.UTC)
        was_tripped = entry.breaker.until_utc is not None
        if entry.disabled or not entry.breaker.allows():
            entry.skips += 1
            reason = "disabled by an owner"
            if not entry.disabled and entry.breaker.until_utc is not None:
                reason = f"circuit breaker tripped until {entry.breaker.until_utc:%H:%M:%S} UTC"
            self._record(entry, event, started, 0.0, Outcome.SKIPPED, reason)
            return
        if was_tripped:
            log.info("hook %s (%s on %s) runs again after its cool-down", entry.id, entry.name, event)
        limit = self.settings.callback_timeout
        timer = asyncio.timeout(limit)
        clock = time.perf_counter()
        outcome, detail = Outcome.OK, None
        try:
            result = entry.callback(self.bot, **kwargs)
            if inspect.isawaitable(result):
                async with timer:
                    await result
        except TimeoutError as error:
            if timer.expired():
                outcome, detail = Outcome.TIMEOUT, f"did not finish within {limit:g} s (callback_timeout)"
            else:
                outcome, detail = Outcome.ERROR, _describe(error)
        except Exception as error:
            outcome, detail = Outcome.ERROR, _describe(error)
            log.error(
                "hook %s (%s on %s, plugin %s) raised %s",
                entry.id,
                entry.name,
                event,
                entry.plugin or "-",
                detail,
                exc_info=error,
            )
        duration = time.perf_counter() - clock
        entry.runs += 1
        if outcome is not Outcome.OK:
            self._failed(entry, outcome, detail)
        self._record(entry, event, started, duration, outcome, detail)

    def _failed(self, entry: HookEntry, outcome: Outcome, detail: str | None) -> None:
        if outcome is Outcome.TIMEOUT:
            entry.timeouts += 1
            log.warning("hook %s (%s on %s) %s", entry.id, entry.name, entry.event, detail)
        else:
            entry.errors += 1
        entry.last_error = detail
        if entry.breaker.record_failure():
            policy = self.registry.policy
            log.warning(
                "hook %s (%s on %s, plugin %s) failed %d times within %g s: skipped for %g s",
                entry.id,
                entry.name,
                entry.event,
                entry.plugin or "-",
                policy.failures,
                policy.window,
                policy.cooldown,
            )

    def _record(
        self,
        entry: HookEntry,
        event: str,
        started: dt.datetime,
        duration: float,
        outcome: Outcome,
        detail: str | None,
    ) -> None:
        self._history.add(
            HookExecution(event, entry.id, entry.name, entry.plugin, started, duration, outcome, detail)
        )


def _check_event(event: object) -> None:
    if not isinstance(event, str) or not event.strip():
        raise ValueError(f"an event name must be a non-empty string, not {event!r}")
    if len(event) > EVENT_NAME_MAX:
        raise ValueError(f"an event name may have at most {EVENT_NAME_MAX} characters, not {len(event)}")


def _describe(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
