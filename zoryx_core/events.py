"""Event objects handed to hook implementations."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import discord
    from discord.ext import commands

__all__ = ["CommandEvent", "CommandKind", "CustomEvent", "HotReloadResult"]

CommandKind = Literal["prefix", "hybrid", "slash", "context_menu"]


@dataclass(frozen=True, init=False)
class CommandEvent:
    """One command invocation, whatever path it came through."""

    name: str
    """Qualified command name, e.g. ``"config"`` or ``"backup create"``."""
    kind: CommandKind
    user_id: int
    guild_id: int | None
    channel_id: int | None
    plugin: str | None
    """The plugin that registered the command, if any."""
    ctx: commands.Context[Any] | None = None
    """The prefix or hybrid context; ``None`` for pure application commands."""
    interaction: discord.Interaction[Any] | None = None
    """The interaction for slash, hybrid-as-slash and context-menu commands."""

    def __init__(
        self,
        name: str,
        kind: CommandKind,
        user_id: int,
        guild_id: int | None,
        channel_id: int | None,
        plugin: str | None,
        ctx: commands.Context[Any] | None = None,
        interaction: discord.Interaction[Any] | None = None,
    ) -> None:
        # Built for every command: one assignment rather than a frozen dataclass's call per field.
        object.__setattr__(
            self,
            "__dict__",
            {
                "name": name,
                "kind": kind,
                "user_id": user_id,
                "guild_id": guild_id,
                "channel_id": channel_id,
                "plugin": plugin,
                "ctx": ctx,
                "interaction": interaction,
            },
        )


@dataclass(frozen=True)
class CustomEvent:
    """An event a plugin emitted by name, with free-form keyword payload."""

    name: str
    payload: dict[str, Any]
    source: str | None
    """The emitting plugin, or ``None`` when emitted outside any plugin."""
    created: float = field(default_factory=time.time)


@dataclass(frozen=True)
class HotReloadResult:
    """What the file watcher did about one plugin after a change on disk."""

    plugin: str
    action: Literal["load", "reload", "unload"]
    ok: bool
    error: str | None
    duration: float
    paths: tuple[str, ...]
