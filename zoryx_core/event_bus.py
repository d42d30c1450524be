"""Custom events between plugins, delivered through the ``zoryx_custom_event`` hook."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .events import CustomEvent
from .plugins.context import current_plugin

if TYPE_CHECKING:
    from .plugins.hooks import HookCall
    from .plugins.host import PluginHost

__all__ = ["EventBus"]


class EventBus:
    """Emits named events with a keyword payload to every plugin implementing
    ``zoryx_custom_event``; the source is the emitting plugin when there is one."""

    def __init__(self, host: PluginHost) -> None:
        self._host = host
        self.emitted = 0

    async def emit(self, name: str, /, **payload: Any) -> list[HookCall]:
        """Deliver ``name`` to every implementation, one after another, isolated."""
        if not name:
            raise ValueError("an event needs a non-empty name")
        plugin = current_plugin()
        event = CustomEvent(name, payload, plugin.name if plugin else None)
        self.emitted += 1
        return await self._host.notify("zoryx_custom_event", event=event)
