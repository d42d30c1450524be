"""Hot reload: watch extension files and editable plugins' sources, reload what changed."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import watchfiles

from ..events import HotReloadResult
from .loader import module_root
from .metadata import extension_name
from .outcome import PluginStatus

if TYPE_CHECKING:
    from .host import PluginHost

__all__ = ["HotReloader", "editable_source_roots"]

log = logging.getLogger("zoryx.hot_reload")


def editable_source_roots(host: PluginHost) -> dict[str, Path]:
    """Source folders (or single files) of loaded plugins installed in editable mode."""
    roots: dict[str, Path] = {}
    for name, ctx in host.contexts.items():
        if ctx.spec.kind != "distribution" or not ctx.spec.editable:
            continue
        found = importlib.util.find_spec(module_root(ctx.spec))
        if found is None:
            continue
        if found.submodule_search_locations:
            roots[name] = Path(next(iter(found.submodule_search_locations))).resolve()
        elif found.origin:
            roots[name] = Path(found.origin).resolve()
    return roots


class HotReloader:
    """Runs ``watchfiles.awatch`` over the extensions folder and editable plugin sources; each
    debounced batch of changes becomes one load, reload or unload per plugin, logged and emitted
    as ``zoryx_hot_reload``."""

    def __init__(self, host: PluginHost, *, debounce_ms: int = 300) -> None:
        self.host = host
        self.debounce_ms = debounce_ms
        self.results: list[HotReloadResult] = []
        self.listeners: list[Callable[[HotReloadResult], None]] = []
        """Called with each result as it happens (the sandbox prints them)."""
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._roots: dict[str, Path] = {}

    @property
    def extensions_dir(self) -> Path | None:
        directory = self.host.options.extensions_dir
        return directory.resolve() if directory is not None else None

    def watched_paths(self) -> list[Path]:
        paths = list(self._roots.values())
        if self.extensions_dir is not None and self.extensions_dir.is_dir():
            paths.append(self.extensions_dir)
        return paths

    async def start(self) -> None:
        """Start watching (a no-op when there is nothing to watch)."""
        self._roots = editable_source_roots(self.host)
        paths = self.watched_paths()
        if not paths:
            log.info("hot reload: nothing to watch")
            return
        self._stop.clear()
        ready = asyncio.Event()
        self._task = asyncio.create_task(self._watch(paths, ready), name="zoryx:hot-reload")
        await ready.wait()
        log.info("hot reload watching %s", ", ".join(str(p) for p in paths))

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await asyncio.wait([self._task], timeout=5)
            if not self._task.done():
                self._task.cancel()
            self._task = None

    async def _watch(self, paths: list[Path], ready: asyncio.Event) -> None:
        watcher = watchfiles.awatch(
            *paths,
            watch_filter=watchfiles.PythonFilter(),
            debounce=self.debounce_ms,
            step=20,
            stop_event=self._stop,
            yield_on_timeout=False,
        )
        ready.set()
        async for changes in watcher:
            try:
                await self.handle(path for _, path in changes)
            except Exception:
                log.exception("hot reload failed to handle %s", changes)

    async def handle(self, changed: Iterable[str]) -> list[HotReloadResult]:
        """Act on a batch of changed paths; returns one result per affected plugin."""
        plan = await asyncio.to_thread(self._plan, list(changed))
        return [await self._apply(name, exists, paths) for name, exists, paths in plan]

    def _plan(self, changed: list[str]) -> list[tuple[str, bool, tuple[str, ...]]]:
        """Group changed paths by plugin; for extensions, whether the file still exists."""
        touched: dict[str, set[str]] = {}
        extensions: set[str] = set()
        for raw in changed:
            path = Path(raw).resolve()
            if self.extensions_dir is not None and path.parent == self.extensions_dir:
                if path.suffix == ".py" and not path.name.startswith("_"):
                    name = extension_name(path)
                    extensions.add(name)
                    touched.setdefault(name, set()).add(str(path))
                continue
            for plugin, root in self._roots.items():
                if path == root or root in path.parents:
                    touched.setdefault(plugin, set()).add(str(path))
        return [
            (name, name not in extensions or any(Path(p).exists() for p in paths), tuple(sorted(paths)))
            for name, paths in touched.items()
        ]

    async def _apply(self, name: str, exists: bool, paths: tuple[str, ...]) -> HotReloadResult:
        loaded = name in self.host.contexts
        action: Literal["load", "reload", "unload"] = ("reload" if loaded else "load") if exists else "unload"
        started = time.perf_counter()
        error: str | None = None
        if action == "unload" and not loaded:
            error = None
        else:
            try:
                if action == "reload":
                    outcome = await self.host.reload(name)
                    error = (
                        outcome.last_reload_error if outcome.status is PluginStatus.LOADED else outcome.reason
                    )
                elif action == "load":
                    outcome = await self.host.load(name, respect_selection=True)
                    error = None if outcome.status is PluginStatus.LOADED else outcome.reason
                else:
                    await self.host.unload(name)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
        result = HotReloadResult(name, action, error is None, error, time.perf_counter() - started, paths)
        self.results.append(result)
        for listener in list(self.listeners):
            try:
                listener(result)
            except Exception:
                log.exception("a hot-reload listener failed")
        if result.ok:
            log.info("hot reload: %s %s in %.3f s", action, name, result.duration)
        else:
            log.error("hot reload: %s %s failed: %s", action, name, error)
        await self.host.notify("zoryx_hot_reload", result=result)
        return result
