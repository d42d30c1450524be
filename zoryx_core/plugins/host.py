"""The plugin host: discovery, resolution, load / unload / reload with rollback, hook calls."""

from __future__ import annotations

import asyncio
import importlib
import logging
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any

import pluggy
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from .. import hookspecs
from ..heap import HeapFreezer
from ..redact import redact_text
from .context import PluginContext, no_plugin
from .contributions import HealthResult
from .hooks import HookCall, HookRunner
from .loader import drop_bytecode, import_plugin, module_root, purge_modules, restore_modules
from .manager import ZoryxPluginManager
from .metadata import PluginSpec, discover, scan_distributions
from .outcome import PluginOutcome, PluginStatus
from .resolution import InstalledVersions, Selection, resolve, unmet
from .stray_tasks import describe_task, module_loops, started_by, still_running_code_of

if TYPE_CHECKING:
    from ..bot import ZoryxBot

__all__ = ["HostOptions", "PluginError", "PluginHost"]

log = logging.getLogger("zoryx.plugins")


class PluginError(Exception):
    """A load, unload or reload request that cannot be carried out (the message says why)."""


@dataclass(frozen=True)
class HostOptions:
    """Where the host looks for plugins and how long it lets them take."""

    extensions_dir: Path | None = Path("extensions")
    search_path: Sequence[str] | None = None
    """Folders searched for distributions; ``None`` means ``sys.path``."""
    selection: Selection = field(default_factory=Selection)
    setup_timeout: float = 30.0
    teardown_timeout: float = 10.0
    hook_timeout: float = 10.0
    data_root: Path = Path("data")
    builtins: Sequence[tuple[str, str, str]] = ()
    """The core's built-in plugins as ``(name, module, summary)``."""
    heap: HeapFreezer = field(default_factory=lambda: HeapFreezer(False))
    """Frozen again once plugins are loaded; thawed and collected after one is unloaded."""


class PluginHost:
    """Owns the pluggy manager, the plugins' contexts and their outcomes for one bot."""

    def __init__(self, bot: ZoryxBot, options: HostOptions, core_version: str) -> None:
        self.bot = bot
        self.options = options
        self.core_version = core_version
        self.manager = ZoryxPluginManager(hookspecs.PROJECT_NAME)
        self.manager.add_hookspecs(hookspecs)
        self.hooks = HookRunner(self.manager, lambda: self.options.hook_timeout)
        self.outcomes: dict[str, PluginOutcome] = {}
        self.contexts: dict[str, PluginContext] = {}
        self._module_owners: dict[str, str | None] = {}
        self.listener_errors: dict[tuple[str, str], int] = {}
        """Exceptions raised by plugins' discord.py listeners, per (plugin, event)."""
        self.load_order: list[str] = []
        self._specs: dict[str, PluginSpec] = {}
        self._versions = InstalledVersions()
        self._lock = asyncio.Lock()

    # --- queries ---------------------------------------------------------------------------------

    @property
    def loaded(self) -> list[str]:
        """Names of loaded plugins in load order."""
        return list(self.load_order)

    def context(self, name: str) -> PluginContext:
        """The context of a loaded plugin (``PluginError`` when it is not loaded)."""
        try:
            return self.contexts[self._name(name)]
        except KeyError:
            raise PluginError(f"plugin {name!r} is not loaded") from None

    def plugin_of_module(self, module: str | None) -> str | None:
        """The loaded plugin a module belongs to, if any (remembered until a plugin is loaded or
        unloaded). Safe to call from another thread (the loop watchdog does)."""
        if not module:
            return None
        owners = self._module_owners
        if module in owners:
            return owners[module]
        found = None
        for name, ctx in tuple(self.contexts.items()):  # a copy: another thread may be asking
            root = ctx.module_root
            if module == root or module.startswith(root + "."):
                found = name
                break
        owners[module] = found
        return found

    def plugin_of_traceback(self, tb: TracebackType | None) -> tuple[str, str] | None:
        """The plugin whose code is outermost in a traceback, with ``file:line in function`` of
        that frame; ``None`` when no frame belongs to a loaded plugin."""
        while tb is not None:
            frame = tb.tb_frame
            owner = self.plugin_of_module(frame.f_globals.get("__name__"))
            if owner is not None:
                code = frame.f_code
                return owner, f"{code.co_filename}:{tb.tb_lineno} in {code.co_name}"
            tb = tb.tb_next
        return None

    def discover(self) -> list[PluginSpec]:
        """Read installed distributions and extension files afresh."""
        importlib.invalidate_caches()
        installed = scan_distributions(self.options.search_path)
        specs = discover(
            self.options.search_path,
            self.options.extensions_dir,
            builtins=self.options.builtins,
            core_version=self.core_version,
            installed=installed,
        )
        # Libraries are looked up on sys.path: the same scan unless plugins come from elsewhere.
        self._versions = InstalledVersions(installed if self.options.search_path is None else None)
        self._specs = {spec.name: spec for spec in specs}
        return specs

    # --- loading ---------------------------------------------------------------------------------

    async def load_all(self) -> list[PluginOutcome]:
        """Discover, resolve and load every selected plugin in dependency order."""
        async with self._lock:
            specs = await asyncio.to_thread(self.discover)
            resolution = resolve(specs, self.options.selection, self.core_version, self._versions)
            for spec in specs:
                if spec.name in resolution.failed:
                    self._set(PluginOutcome(spec, PluginStatus.FAILED, resolution.failed[spec.name]))
                elif spec.name in resolution.skipped:
                    self._set(PluginOutcome(spec, PluginStatus.SKIPPED, resolution.skipped[spec.name]))
            settings = self.bot.settings
            try:
                with settings.deferred_writes():  # config.json written once, not once per plugin
                    for spec in resolution.order:
                        if reason := self._dependency_problem(spec):
                            self._set(PluginOutcome(spec, PluginStatus.SKIPPED, reason))
                            continue
                        await self._load_spec(spec)
            finally:
                await asyncio.to_thread(settings.flush)
            # Before READY fills the caches: the collections READY brings (a server's members are
            # many objects) then walk only what was made since. Young generations only: a full
            # collection here would cost every start as much as it saves.
            self.options.heap.freeze("plugins loaded", full=False)
            return [self.outcomes[spec.name] for spec in specs]

    async def load(self, name: str, *, respect_selection: bool = False) -> PluginOutcome:
        """Load one plugin by name (discovering again, so new installs and files are found).

        An explicit load ignores the enable/disable lists unless ``respect_selection`` is set
        (the file watcher sets it, so a disabled extension stays off when its file changes).
        """
        outcome = await self._load(name, respect_selection=respect_selection)
        self.options.heap.freeze(f"{outcome.spec.name} loaded")
        return outcome

    async def _load(self, name: str, *, respect_selection: bool) -> PluginOutcome:
        async with self._lock:
            await asyncio.to_thread(self.discover)
            key = self._name(name)
            if key in self.contexts:
                raise PluginError(f"plugin {key!r} is already loaded; use reload")
            spec = self._specs.get(key)
            if spec is None:
                raise PluginError(
                    f"no plugin named {name!r}; known: {', '.join(sorted(self._specs)) or 'none'}"
                )
            if spec.problem:
                return self._set(PluginOutcome(spec, PluginStatus.FAILED, spec.problem))
            selection = self.options.selection if respect_selection else Selection()
            resolution = resolve([spec], selection, self.core_version, self._versions)
            if spec.name in resolution.skipped:
                return self._set(PluginOutcome(spec, PluginStatus.SKIPPED, resolution.skipped[spec.name]))
            if reason := self._dependency_problem(spec):
                return self._set(PluginOutcome(spec, PluginStatus.SKIPPED, reason))
            return await self._load_spec(spec)

    async def unload(self, name: str, *, reason: str = "unload") -> PluginOutcome:
        """Tear a plugin down and remove everything it registered. Plugins that depend on it must
        be unloaded first."""
        outcome = await self._unload(name, reason)
        if reason != "shutdown":  # collects the plugin's cycles, now that nothing refers to it
            self.options.heap.freeze(f"{outcome.spec.name} unloaded")
        return outcome

    async def _unload(self, name: str, reason: str) -> PluginOutcome:
        async with self._lock:
            key = self._name(name)
            ctx = self.context(key)
            dependents = self._loaded_dependents(key)
            if dependents and reason != "shutdown":
                raise PluginError(
                    f"cannot unload {key}: {', '.join(dependents)} depend on it; unload them first"
                )
            await self._take_down(ctx)
            purge_modules(module_root(ctx.spec))
            outcome = self._set(PluginOutcome(ctx.spec, PluginStatus.UNLOADED, f"unloaded ({reason})"))
            await self.notify("zoryx_plugin_unloaded", outcome=outcome, reason=reason)
            return outcome

    async def reload(self, name: str) -> PluginOutcome:
        """Load a plugin's code afresh. If the new code fails to import or set up, the old
        version is restored and keeps serving; ``last_reload_error`` says what went wrong."""
        outcome = await self._reload(name)
        self.options.heap.freeze(f"{outcome.spec.name} reloaded")
        return outcome

    async def _reload(self, name: str) -> PluginOutcome:
        async with self._lock:
            key = self._name(name)
            old = self.context(key)
            await asyncio.to_thread(self.discover)
            spec = self._specs.get(key)
            if spec is None:
                raise PluginError(f"plugin {key!r} is no longer installed; unload it instead")
            await self._take_down(old)
            snapshot = purge_modules(module_root(old.spec))
            await asyncio.to_thread(drop_bytecode, snapshot)
            if spec.problem:
                new = PluginOutcome(spec, PluginStatus.FAILED, spec.problem)
            else:
                new = await self._load_spec(spec, record=False)
            if new.status is PluginStatus.LOADED:
                await self.notify("zoryx_plugin_unloaded", outcome=new, reason="reload")
                return new
            log.error("reload of %s failed (%s); restoring the previous version", key, new.reason)
            restore_modules(snapshot)
            assert old.module is not None
            restored = await self._load_spec(old.spec, module=old.module)
            restored.last_reload_error = new.reason
            restored.traceback = new.traceback
            return restored

    async def shutdown(self) -> None:
        """Fire ``zoryx_shutdown``, then tear plugins down in reverse load order."""
        await self.notify("zoryx_shutdown", bot=self.bot)
        for name in reversed(self.load_order):
            try:
                await self.unload(name, reason="shutdown")
            except Exception:
                log.exception("tearing down %s failed", name)

    # --- hooks -----------------------------------------------------------------------------------

    async def notify(self, hook: str, /, **kwargs: Any) -> list[HookCall]:
        """Call a fan-out hook on every loaded plugin, isolated; ``bot`` is passed automatically."""
        kwargs.setdefault("bot", self.bot)
        return await self.hooks.call(hook, **kwargs)

    async def health_checks(self) -> list[HealthResult]:
        """Every plugin's health results; a check that raises or times out counts as unhealthy."""
        results: list[HealthResult] = []
        for call in await self.notify("zoryx_health_check"):
            if call.error:
                results.append(
                    HealthResult(f"{call.plugin} health check", "unhealthy", call.error, call.plugin)
                )
                continue
            values = call.value if isinstance(call.value, list) else [call.value]
            for value in values:
                if isinstance(value, HealthResult):
                    results.append(HealthResult(value.name, value.status, value.detail, call.plugin))
        return results

    async def delete_user_data(self, user_id: int) -> dict[str, Any]:
        """Ask every plugin to delete what it stores about ``user_id``; per-plugin answers."""
        report: dict[str, Any] = {}
        for call in await self.notify("zoryx_delete_user_data", user_id=user_id):
            report[call.plugin] = call.value if call.ok else f"failed: {call.error}"
        return report

    async def export_guild_data(self, guild_id: int) -> tuple[dict[str, Any], dict[str, str]]:
        """Every plugin's ``zoryx_export_guild_data`` answer for ``guild_id``, by plugin name
        (``None`` answers left out), and the plugins whose export failed, with why."""
        data: dict[str, Any] = {}
        failures: dict[str, str] = {}
        for call in await self.notify("zoryx_export_guild_data", guild_id=guild_id):
            if not call.ok:
                failures[call.plugin] = call.error or "failed"
            elif call.value is not None:
                data[call.plugin] = call.value
        return data, failures

    async def import_guild_data(
        self, guild_id: int, data: dict[str, Any], id_map: dict[int, int]
    ) -> dict[str, tuple[bool, str]]:
        """Give each plugin back its part of ``data`` (as exported) through its own
        ``zoryx_import_guild_data``: per plugin, whether it worked and what it said (or why not).
        A plugin that is not loaded, or does not implement the hook, is reported as skipped."""
        report: dict[str, tuple[bool, str]] = {}
        for name, part in data.items():
            if name not in self.contexts:
                report[name] = (False, "skipped: the plugin is not loaded")
                continue
            if not self.hooks.has("zoryx_import_guild_data", name):
                report[name] = (False, "skipped: the plugin cannot import server data")
                continue
            calls = await self.hooks.call(
                "zoryx_import_guild_data",
                only=name,
                bot=self.bot,
                guild_id=guild_id,
                data=part,
                id_map=id_map,
            )
            for call in calls:
                if call.ok:
                    report[name] = (True, str(call.value) if call.value is not None else "restored")
                else:
                    report[name] = (False, call.error or "failed")
        return report

    # --- internals -------------------------------------------------------------------------------

    def _name(self, name: str) -> str:
        if name in self.contexts or name in self._specs or name in self.outcomes:
            return name
        canonical = str(canonicalize_name(name))
        return canonical if canonical in self._specs or canonical in self.outcomes else name

    def _set(self, outcome: PluginOutcome) -> PluginOutcome:
        self.outcomes[outcome.name] = outcome
        return outcome

    def _dependency_problem(self, spec: PluginSpec) -> str | None:
        for req in spec.plugin_requirements:
            dep = str(canonicalize_name(req.name))
            if dep not in self.contexts:
                previous = self.outcomes.get(dep)
                detail = f"{previous.status.value}: {previous.reason}" if previous else "not loaded"
                return f"requires {req}, which is {detail}"
        return None

    def _loaded_dependents(self, name: str) -> list[str]:
        return [
            other
            for other, ctx in self.contexts.items()
            if any(str(canonicalize_name(r.name)) == name for r in ctx.spec.plugin_requirements)
        ]

    def _conflict(self, ctx: PluginContext) -> str | None:
        """A conflict between ``ctx`` and a loaded plugin, declared by either side."""
        for text in ctx.conflicts:
            req = Requirement(text)
            other = self.contexts.get(str(canonicalize_name(req.name)))
            if other is not None and not unmet(req, other.spec.version or "0"):
                return (
                    f"conflicts with {other.name} {other.spec.version or ''}".rstrip() + f" (declares {text})"
                )
        for other in self.contexts.values():
            for text in other.conflicts:
                req = Requirement(text)
                if str(canonicalize_name(req.name)) == ctx.name and not unmet(req, ctx.spec.version or "0"):
                    return f"conflicts with {other.name}, which is loaded and declares {text}"
        return None

    async def _load_spec(
        self, spec: PluginSpec, *, module: ModuleType | None = None, record: bool = True
    ) -> PluginOutcome:
        """Import (unless ``module`` is given), check, configure and set up one plugin."""
        started = time.perf_counter()
        ctx = PluginContext(self.bot, spec, settings={}, data_root=self.options.data_root)
        try:
            ctx.module = module or await asyncio.to_thread(import_plugin, spec)
        except BaseException as error:
            if isinstance(error, asyncio.CancelledError | KeyboardInterrupt):
                raise
            purge_modules(module_root(spec))
            return self._finish(
                spec, PluginStatus.FAILED, f"import failed: {_describe(error)}", error, record
            )
        try:
            try:
                self.manager.register(ctx.module, name=spec.name)
            finally:
                self.hooks.invalidate()  # also after a partial registration
        except (pluggy.PluginValidationError, ValueError) as error:
            self._unregister(spec.name)
            purge_modules(module_root(spec))
            return self._finish(
                spec, PluginStatus.FAILED, f"invalid hook implementation: {error}", error, record
            )
        problem = await self._prepare(ctx)
        if problem is not None:
            status, reason = problem
            self._unregister(spec.name)
            purge_modules(module_root(spec))
            return self._finish(spec, status, reason, None, record)
        failure = await self._run_setup(ctx)
        if failure is not None:
            reason, exc = failure
            await ctx.registrations.remove_from(self.bot)
            self._unregister(spec.name)
            purge_modules(module_root(spec))
            return self._finish(spec, PluginStatus.FAILED, reason, exc, record)
        ctx.module_root = module_root(spec)
        self.contexts[spec.name] = ctx
        self._module_owners.clear()
        self.load_order.append(spec.name)
        hooks = tuple(sorted(caller.name for caller in self.manager.get_hookcallers(ctx.module) or []))
        outcome = self._set(
            PluginOutcome(spec, PluginStatus.LOADED, "", load_time=time.perf_counter() - started, hooks=hooks)
        )
        log.info("loaded plugin %s %s in %.3f s", spec.name, spec.version or "", outcome.load_time or 0.0)
        await self.notify("zoryx_plugin_loaded", outcome=outcome)
        return outcome

    async def _prepare(self, ctx: PluginContext) -> tuple[PluginStatus, str] | None:
        """Conflicts and settings, after import and before set-up."""
        conflicts: list[str] = []
        for call in self.hooks.call_sync("zoryx_conflicts", only=ctx.name):
            if call.error:
                return PluginStatus.FAILED, f"zoryx_conflicts raised {call.error}"
            conflicts.extend(call.value or [])
        for text in conflicts:
            try:
                Requirement(text)
            except InvalidRequirement as error:
                return PluginStatus.FAILED, f"zoryx_conflicts returned {text!r}, not a requirement: {error}"
        ctx.conflicts = tuple(conflicts)
        if reason := self._conflict(ctx):
            return PluginStatus.SKIPPED, reason
        declared: list[Any] = []
        for call in self.hooks.call_sync("zoryx_settings", only=ctx.name):
            if call.error:
                return PluginStatus.FAILED, f"zoryx_settings raised {call.error}"
            declared.extend(call.value or [])
        try:  # validates, and may add missing keys to config.json: off the event loop
            ctx.settings = await asyncio.to_thread(self.bot.settings.declare_plugin, ctx.name, declared)
        except Exception as error:
            return PluginStatus.FAILED, f"settings: {error}"
        if not self.hooks.has("zoryx_setup", ctx.name) and not callable(getattr(ctx.module, "setup", None)):
            return PluginStatus.FAILED, "defines neither a zoryx_setup hook implementation nor setup(bot)"
        return None

    async def _call_own(self, ctx: PluginContext, hook: str, fallback: str, limit: float) -> None:
        """Run the plugin's own ``hook`` implementation, or its discord.py-style module function
        ``fallback(bot)``, awaiting a coroutine within ``limit`` seconds; exceptions propagate."""
        if self.hooks.has(hook, ctx.name):
            impl = self.hooks.implementations(hook, ctx.name)[0]
            args = {"bot": self.bot, "plugin": ctx}
            value = impl.function(*[args[n] for n in impl.argnames])
        elif callable(function := getattr(ctx.module, fallback, None)):
            value = function(self.bot)
        else:
            return
        if asyncio.iscoroutine(value):
            task = asyncio.get_running_loop().create_task(value)  # the plugin's code, in its context
            with no_plugin():  # the timeout's timer must not hold the plugin until it would fire
                await asyncio.wait_for(task, limit)

    async def _run_setup(self, ctx: PluginContext) -> tuple[str, BaseException | None] | None:
        limit = self.options.setup_timeout
        before = asyncio.all_tasks()
        try:
            with ctx.active():
                await self._call_own(ctx, "zoryx_setup", "setup", limit)
        except TimeoutError as error:
            return f"set-up did not finish within {limit:g} s (plugins.setup_timeout)", error
        except Exception as error:
            return f"set-up raised {_describe(error)}", error
        finally:
            for task in asyncio.all_tasks() - before:
                if not task.done():
                    ctx.registrations.add_task(task)
        return None

    async def _take_down(self, ctx: PluginContext) -> None:
        """Teardown hook (or an extension's ``teardown(bot)``), then remove its registrations."""
        limit = self.options.teardown_timeout
        try:
            with ctx.active():
                await self._call_own(ctx, "zoryx_teardown", "teardown", limit)
        except TimeoutError:
            log.error("plugin %s: teardown did not finish within %g s", ctx.name, limit)
        except Exception:
            log.exception("plugin %s: teardown failed", ctx.name)
        cancelled = self._adopt_stray_tasks(ctx)
        for problem in await ctx.registrations.remove_from(self.bot):
            log.warning("plugin %s: %s", ctx.name, problem)
        for task in still_running_code_of(ctx.module_root, exclude=cancelled):
            log.warning(
                "plugin %s: task %s is still running the plugin's code but was not started with one "
                "of its coroutines, so it was not cancelled; it runs until it finishes",
                ctx.name,
                describe_task(task),
            )
        overrides = self.bot.command_overrides
        if ctx.spec.kind == "builtin":
            overrides.forget_builtin(ctx.name)
        else:
            overrides.restore_for(ctx.name)
        self._unregister(ctx.name)
        self.contexts.pop(ctx.name, None)
        self._module_owners.clear()
        if ctx.name in self.load_order:
            self.load_order.remove(ctx.name)

    def _adopt_stray_tasks(self, ctx: PluginContext) -> set[asyncio.Task[Any]]:
        """Hand the tasks the plugin's code started after set-up (and the ``tasks.loop``s in its
        module globals) to its registrations, so they are cancelled with it; log which. Returns
        every task the registrations will cancel."""
        stray = started_by(ctx.module_root, exclude=ctx.registrations.tasks)
        for task in stray:
            ctx.registrations.add_task(task)
        loops = module_loops(ctx.module_root)
        for loop in loops:
            loop_task = loop.get_task()
            loop.cancel()
            if loop_task is not None:
                ctx.registrations.add_task(loop_task)
        if stray or loops:
            names = [describe_task(task) for task in stray]
            names += [f"tasks.loop {getattr(loop.coro, '__qualname__', '?')}" for loop in loops]
            log.info("plugin %s: cancelling what its code started: %s", ctx.name, ", ".join(names))
        return set(ctx.registrations.tasks)

    def _unregister(self, name: str) -> None:
        if self.manager.get_plugin(name) is not None or self.manager.is_blocked(name):
            self.manager.unregister(name=name)
            self.hooks.forget(name)

    def _finish(
        self,
        spec: PluginSpec,
        status: PluginStatus,
        reason: str,
        error: BaseException | None,
        record: bool,
    ) -> PluginOutcome:
        trace = "".join(traceback.format_exception(error)) if error is not None else None
        outcome = PluginOutcome(spec, status, reason, traceback=trace)
        (log.error if status is PluginStatus.FAILED else log.warning)(
            "plugin %s %s: %s", spec.name, status.value, reason
        )
        return self._set(outcome) if record else outcome


def _describe(error: BaseException) -> str:
    """``Type: message (file.py, line N)``: the line is the innermost frame outside the core and
    the standard library, usually the plugin's own code."""
    if isinstance(error, SyntaxError):
        return f"SyntaxError: {error.msg} ({Path(error.filename or '?').name}, line {error.lineno})"
    where = ""
    frames = traceback.extract_tb(error.__traceback__)
    core = str(Path(__file__).resolve().parents[1])
    for frame in reversed(frames):
        filename = str(Path(frame.filename).resolve())
        library = "site-packages" in filename or "/lib/python" in filename
        if not filename.startswith(core) and not library:
            where = f" ({Path(frame.filename).name}, line {frame.lineno})"
            break
    return redact_text(f"{type(error).__name__}: {error}{where}")  # shown in plugininfo and the panel
