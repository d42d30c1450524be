"""The plugin host: discovery, resolution, loading, hooks and hot reload."""

from __future__ import annotations

from .context import PluginContext, current_plugin
from .contributions import HealthResult, HealthStatus
from .hooks import HookCall, HookRunner, HookStats
from .host import HostOptions, PluginError, PluginHost
from .metadata import ENTRY_POINT_GROUP, PluginSpec, discover
from .outcome import PluginOutcome, PluginStatus
from .overrides import CommandClash, CommandOverrides, SetAside
from .resolution import Resolution, Selection, resolve
from .watcher import HotReloader

__all__ = [
    "ENTRY_POINT_GROUP",
    "CommandClash",
    "CommandOverrides",
    "HealthResult",
    "HealthStatus",
    "HookCall",
    "HookRunner",
    "HookStats",
    "HostOptions",
    "HotReloader",
    "PluginContext",
    "PluginError",
    "PluginHost",
    "PluginOutcome",
    "PluginSpec",
    "PluginStatus",
    "Resolution",
    "Selection",
    "SetAside",
    "current_plugin",
    "discover",
    "resolve",
]
