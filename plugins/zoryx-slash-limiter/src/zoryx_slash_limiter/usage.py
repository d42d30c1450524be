"""What the limiter reports: the commands it kept out of the tree and the usage snapshot."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["LimitState", "LimitedCommand", "PluginUsage", "Reason", "SlashUsage"]


class Reason(StrEnum):
    """Why a command has no slash form."""

    SLASH_LIMIT = "slash limit"
    """The scope already held ``safe_limit`` commands (or context menus of the type) when it came."""
    PLUGIN_SETTING = "prefix_only_plugins"
    """Its plugin is listed in ``prefix_only_plugins``."""


class LimitState(StrEnum):
    """Where the global count stands against the thresholds."""

    OK = "ok"
    WARNING = "warning"
    AT_SAFE_LIMIT = "at safe limit"


@dataclass(frozen=True)
class LimitedCommand:
    """An application command the limiter kept out of the command tree.

    ``prefix_only`` is true for the slash form of a hybrid command (it still answers by prefix,
    with every check it has); false for a plain application command, which is simply not
    registered.
    """

    name: str
    plugin: str | None
    kind: str
    """``slash``, ``user`` or ``message``."""
    guild_ids: tuple[int | None, ...]
    """The scopes it was meant for; ``(None,)`` is global."""
    prefix_only: bool
    reason: Reason
    command: Any = field(default=None, compare=False, repr=False)
    """The application command object itself."""

    @property
    def is_global(self) -> bool:
        return self.guild_ids == (None,)

    @property
    def status(self) -> str:
        """``prefix-only (slash limit)``, ``not registered (slash limit)`` or the same for the
        plugin setting."""
        what = "prefix-only" if self.prefix_only else "not registered"
        return f"{what} ({self.reason.value})"


@dataclass(frozen=True)
class PluginUsage:
    """One plugin's share: slash commands in the tree, and those the limiter kept out."""

    plugin: str | None
    """``None`` for commands added outside any plugin."""
    slash: int
    prefix_only: int
    not_registered: int


@dataclass(frozen=True)
class SlashUsage:
    """A snapshot of the bot's application commands against Discord's limits."""

    global_commands: int
    """Global chat-input commands in the tree: what a global sync sends."""
    max_limit: int
    warning_threshold: int
    safe_limit: int
    state: LimitState
    context_menus: Mapping[str, int]
    """Global context menus per type (``user``, ``message``)."""
    context_menu_limit: int
    guild_commands: Mapping[int, int]
    """Chat-input commands per guild (guild-only commands; guilds with none are left out)."""
    plugins: tuple[PluginUsage, ...]
    prefix_only: tuple[LimitedCommand, ...]
    """Hybrid commands answering by prefix only because of the slash limit."""
    not_registered: tuple[LimitedCommand, ...]
    """Plain application commands left out because of the slash limit."""
    by_setting: tuple[LimitedCommand, ...]
    """Commands without a slash form because their plugin is in ``prefix_only_plugins``."""

    @property
    def free(self) -> int:
        """Global slots left before the safe limit."""
        return max(self.safe_limit - self.global_commands, 0)
