"""The pluggy plugin manager, with a cheap look at plugin modules."""

from __future__ import annotations

from types import FunctionType, MethodType, ModuleType

import pluggy

__all__ = ["ZoryxPluginManager"]


class ZoryxPluginManager(pluggy.PluginManager):
    """A :class:`pluggy.PluginManager` that looks for hook implementations in a module's own
    namespace first.

    Registering asks about every name in ``dir(plugin)``, and pluggy answers each with
    :func:`inspect.getattr_static`: for a plugin module, which sees every name it imported, that
    was about a third of loading a small plugin. A module attribute can only be a hook
    implementation if it is a function (or a bound method) carrying the marker, which its
    ``__dict__`` shows without running anything; only those go on to pluggy's own checks, so what
    registers (and what is refused) is unchanged.
    """

    def __init__(self, project_name: str) -> None:
        super().__init__(project_name)
        self._marker = f"{project_name}_impl"

    def parse_hookimpl_opts(self, plugin: object, name: str) -> pluggy.HookimplOpts | None:
        if isinstance(plugin, ModuleType):
            value = plugin.__dict__.get(name)
            if not isinstance(value, FunctionType | MethodType) or getattr(value, self._marker, None) is None:
                return None
        return super().parse_hookimpl_opts(plugin, name)
