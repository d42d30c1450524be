"""The per-plugin context handed to set-up: identity, settings, logger, data folder, records."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

from .metadata import PluginSpec
from .registrations import Registrations

if TYPE_CHECKING:
    from ..bot import ZoryxBot
    from ..storage import PluginStorage

__all__ = ["PluginContext", "current_plugin", "no_plugin"]

T = TypeVar("T")

_current: ContextVar[PluginContext | None] = ContextVar("zoryx_current_plugin", default=None)


def current_plugin() -> PluginContext | None:
    """The plugin whose code is running now (its set-up, or a task it started), if any."""
    return _current.get()


class PluginContext:
    """What a plugin gets at set-up, and the host's record of what it registered.

    Registrations made while the plugin's set-up runs, or from tasks started then or through
    :meth:`create_task`, are attributed to the plugin automatically, whether it calls
    ``bot.add_cog`` / ``bot.add_command`` / ``bot.tree.add_command`` / ``bot.add_listener`` /
    ``bot.add_view`` directly or not. Unload removes exactly those.
    """

    def __init__(
        self,
        bot: ZoryxBot,
        spec: PluginSpec,
        *,
        settings: Mapping[str, Any],
        data_root: Path,
    ) -> None:
        self.bot = bot
        self.spec = spec
        self.settings: Mapping[str, Any] = settings
        self.log = logging.getLogger(f"zoryx.plugin.{spec.name}")
        self.data_dir = data_root / "plugins" / spec.name
        """The plugin's own folder for files (created on first use by the plugin)."""
        self.registrations = Registrations()
        self.module: ModuleType | None = None
        self.conflicts: tuple[str, ...] = ()
        self.module_root = spec.module
        """The module prefix owned by the plugin (set by the host when it loads)."""

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def storage(self) -> PluginStorage:
        """The plugin's own namespace in the bot's storage: key/value documents by guild, member,
        user or global, raw SQL for its own tables, and schema migrations."""
        return self.bot.storage.for_plugin(self.name)

    @contextmanager
    def active(self) -> Iterator[None]:
        """Attribute registrations made inside this block (and tasks it starts) to the plugin."""
        token = _current.set(self)
        try:
            yield
        finally:
            _current.reset(token)

    def create_task(self, coro: Coroutine[Any, Any, T], *, name: str | None = None) -> asyncio.Task[T]:
        """Start a background task owned by the plugin; unload cancels it."""
        with self.active():
            task = asyncio.get_running_loop().create_task(coro, name=name or f"{self.name}:task")
        self.registrations.add_task(task)
        return task

    def pause_hook(self, hook: str) -> None:
        """Say that this plugin's implementation of the fan-out hook ``hook`` has nothing to do
        for now: it is not called until :meth:`resume_hook`, and when no implementation is left the
        core does not even build the hook's arguments (a ``CommandEvent`` per command, say)."""
        self.bot.plugins.hooks.pause(_pausable(hook), self.name)

    def resume_hook(self, hook: str) -> None:
        """Call this plugin's implementation of ``hook`` again."""
        self.bot.plugins.hooks.resume(_pausable(hook), self.name)

    async def emit(self, event: str, /, **payload: Any) -> None:
        """Emit a custom event (``zoryx_custom_event``) with this plugin as its source."""
        with self.active():
            await self.bot.events.emit(event, **payload)

    def __repr__(self) -> str:
        return f"<PluginContext {self.name}>"


@contextmanager
def no_plugin() -> Iterator[None]:
    """Run the block as no plugin's code (the host waiting on a plugin, say): timers and tasks
    made here do not carry, and so do not keep alive, the plugin whose code is running."""
    token = _current.set(None)
    try:
        yield
    finally:
        _current.reset(token)


_NOT_PAUSABLE = frozenset({"zoryx_settings", "zoryx_conflicts", "zoryx_setup", "zoryx_teardown"})


def _pausable(hook: str) -> str:
    from .. import hookspecs

    if hook in _NOT_PAUSABLE or not hook.startswith("zoryx_") or not callable(getattr(hookspecs, hook, None)):
        known = sorted(
            name for name in dir(hookspecs) if name.startswith("zoryx_") and name not in _NOT_PAUSABLE
        )
        raise ValueError(f"{hook!r} is not a hook that can be paused; these can: {', '.join(known)}")
    return hook
