"""Framework events: the arguments of the core's hooks turned into event keyword arguments."""

from __future__ import annotations

from typing import Any

from zoryx_core import CommandEvent, ZoryxBot

__all__ = ["FRAMEWORK_EVENTS", "command_kwargs"]

FRAMEWORK_EVENTS: dict[str, tuple[str, ...]] = {
    "bot_ready": ("bot_user",),
    "guild_joined": ("guild",),
    "guild_left": ("guild",),
    "command_executed": ("command_name", "author", "guild", "event"),
    "command_error": ("command_name", "error", "author", "guild", "event"),
    "extension_loaded": ("extension_name",),
    "extension_unloaded": ("extension_name", "reason"),
    "shutdown": (),
}
"""Every framework event and the keyword arguments its callbacks receive (after ``bot``)."""


def command_kwargs(bot: ZoryxBot, event: CommandEvent) -> dict[str, Any]:
    """``command_name``, ``author`` (the user or member who ran it), ``guild`` (``None`` in a
    DM) and the core's ``event``."""
    author: Any = None
    if event.ctx is not None:
        author = event.ctx.author
    elif event.interaction is not None:
        author = event.interaction.user
    if author is None:
        author = bot.get_user(event.user_id)
    guild = bot.get_guild(event.guild_id) if event.guild_id is not None else None
    return {"command_name": event.name, "author": author, "guild": guild, "event": event}
