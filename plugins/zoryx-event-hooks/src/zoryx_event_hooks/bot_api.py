"""The seed-style API on the bot instance (``bot.register_hook`` ...) and typed access to it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from .service import EventHooks

__all__ = ["BOT_ATTRIBUTE", "SEED_METHODS", "event_hooks", "install", "uninstall"]

BOT_ATTRIBUTE = "event_hooks"
"""``bot.event_hooks``: the :class:`EventHooks` object."""

SEED_METHODS: dict[str, Callable[[EventHooks], Callable[..., Any]]] = {
    "register_hook": lambda hooks: hooks.register,
    "unregister_hook": lambda hooks: hooks.unregister,
    "emit_hook": lambda hooks: hooks.emit,
    "list_hooks": lambda hooks: hooks.list_hooks,
    "get_hook_history": lambda hooks: hooks.get_hook_history,
}
"""Bot attribute -> the :class:`EventHooks` method it is bound to."""


def event_hooks(bot: Any) -> EventHooks:
    """The event hooks of ``bot``, for typed callers; ``LookupError`` when the plugin is not loaded.

    The object is not checked with ``isinstance``: after the plugin is reloaded its class is a
    new one, while callers may still hold this function from the previous import.
    """
    hooks = getattr(bot, BOT_ATTRIBUTE, None)
    if hooks is None or type(hooks).__name__ != EventHooks.__name__:
        raise LookupError("zoryx-event-hooks is not loaded on this bot (install and enable it first)")
    return cast(EventHooks, hooks)


def install(bot: Any, hooks: EventHooks) -> None:
    """Put ``hooks`` and its seed-style methods on ``bot``; refuses to replace someone else's."""
    names = [BOT_ATTRIBUTE, *SEED_METHODS]
    taken = [name for name in names if getattr(bot, name, None) is not None]
    if taken:
        raise RuntimeError(
            f"the bot already has {', '.join(taken)}: another event hook system is active; "
            "unload it before loading zoryx-event-hooks"
        )
    setattr(bot, BOT_ATTRIBUTE, hooks)
    for name, method in SEED_METHODS.items():
        setattr(bot, name, method(hooks))


def uninstall(bot: Any, hooks: EventHooks) -> None:
    """Remove what :func:`install` put on ``bot`` (only if it still belongs to ``hooks``)."""
    if getattr(bot, BOT_ATTRIBUTE, None) is hooks:
        delattr(bot, BOT_ATTRIBUTE)
    for name, method in SEED_METHODS.items():
        if getattr(bot, name, None) == method(hooks):
            delattr(bot, name)
