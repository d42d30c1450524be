"""Typed access to the limiter of a bot (``bot.slash_limiter``)."""

from __future__ import annotations

from typing import Any, cast

from .limiter import SlashLimiter

__all__ = ["BOT_ATTRIBUTE", "install", "slash_limiter", "uninstall"]

BOT_ATTRIBUTE = "slash_limiter"


def slash_limiter(bot: Any) -> SlashLimiter:
    """The slash limiter of ``bot``; ``LookupError`` when the plugin is not loaded on it.

    The object is matched by class name, not ``isinstance``: after a reload of the plugin its
    class is a new one, while callers may still hold this function from the previous import.
    """
    service = getattr(bot, BOT_ATTRIBUTE, None)
    if service is None or type(service).__name__ != SlashLimiter.__name__:
        raise LookupError("zoryx-slash-limiter is not loaded on this bot (install and enable it first)")
    return cast(SlashLimiter, service)


def install(bot: Any, service: SlashLimiter) -> None:
    """Put ``service`` on ``bot``; refuses to replace another limiter."""
    if getattr(bot, BOT_ATTRIBUTE, None) is not None:
        raise RuntimeError(f"the bot already has a {BOT_ATTRIBUTE}; unload it first")
    setattr(bot, BOT_ATTRIBUTE, service)


def uninstall(bot: Any, service: SlashLimiter) -> None:
    """Remove what :func:`install` put on ``bot`` (only if it is still ``service``)."""
    if getattr(bot, BOT_ATTRIBUTE, None) is service:
        delattr(bot, BOT_ATTRIBUTE)
