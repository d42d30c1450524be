"""Zoryx: a Discord bot framework on discord.py 2.x built from pluggable distributions."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("zoryx-core")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

from .bot import ZoryxBot, ZoryxCommandTree
from .events import CommandEvent, CustomEvent, HotReloadResult
from .hookspecs import hookimpl, hookspec
from .metrics import Metrics, MetricsSnapshot, ShardActivity
from .permissions import AccessDenied, guild_owner_only, owner_only, require_permissions
from .plugins import (
    HealthResult,
    PluginContext,
    PluginError,
    PluginHost,
    PluginOutcome,
    PluginStatus,
    Selection,
)
from .settings import Deployment, Setting, Settings, SettingsError
from .watchdog import BlockedLoop, LoopWatchdog

__all__ = [
    "AccessDenied",
    "BlockedLoop",
    "CommandEvent",
    "CustomEvent",
    "Deployment",
    "HealthResult",
    "HotReloadResult",
    "LoopWatchdog",
    "Metrics",
    "MetricsSnapshot",
    "PluginContext",
    "PluginError",
    "PluginHost",
    "PluginOutcome",
    "PluginStatus",
    "Selection",
    "Setting",
    "Settings",
    "SettingsError",
    "ShardActivity",
    "ZoryxBot",
    "ZoryxCommandTree",
    "__version__",
    "guild_owner_only",
    "hookimpl",
    "hookspec",
    "owner_only",
    "require_permissions",
]
