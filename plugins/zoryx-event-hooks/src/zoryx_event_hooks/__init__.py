"""zoryx-event-hooks: priority-ordered callbacks on every framework event and on custom events.

The module is the plugin. Its set-up starts the queue's workers, puts the seed-style API on the
bot (``bot.register_hook``, ``bot.unregister_hook``, ``bot.emit_hook``, ``bot.list_hooks``,
``bot.get_hook_history``, and ``bot.event_hooks`` for typed callers, also reachable with
:func:`event_hooks`) and adds the owners' commands. The core's hooks below feed the framework
events; teardown drains the queue, stops the workers and removes the bot attributes.
"""

from __future__ import annotations

import logging

import discord

from zoryx_core import (
    CommandEvent,
    CustomEvent,
    HealthResult,
    PluginContext,
    PluginOutcome,
    Setting,
    ZoryxBot,
    hookimpl,
)

from .bot_api import event_hooks, install, uninstall
from .breaker import BreakerPolicy, CircuitBreaker
from .cog import EventHooksCog
from .feeds import FRAMEWORK_EVENTS, command_kwargs
from .history import HookExecution, Outcome
from .registry import Callback, HookEntry
from .service import EventHooks, UnknownHookError
from .settings import SETTINGS, HookSettings

__all__ = [
    "FRAMEWORK_EVENTS",
    "BreakerPolicy",
    "Callback",
    "CircuitBreaker",
    "EventHooks",
    "EventHooksCog",
    "HookEntry",
    "HookExecution",
    "HookSettings",
    "Outcome",
    "UnknownHookError",
    "event_hooks",
]


log = logging.getLogger("zoryx.plugin.zoryx-event-hooks")


def _running(bot: ZoryxBot) -> EventHooks | None:
    try:
        return event_hooks(bot)
    except LookupError:
        return None


@hookimpl
def zoryx_settings() -> list[Setting]:
    return list(SETTINGS)


@hookimpl
async def zoryx_setup(bot: ZoryxBot, plugin: PluginContext) -> None:
    hooks = EventHooks(bot, HookSettings.from_mapping(plugin.settings), plugin)
    await hooks.load_disabled()
    install(bot, hooks)
    try:
        hooks.start()
        await bot.add_cog(EventHooksCog(hooks))
    except BaseException:
        uninstall(bot, hooks)
        raise


@hookimpl
async def zoryx_teardown(bot: ZoryxBot, plugin: PluginContext) -> None:
    hooks = _running(bot)
    if hooks is None:
        return
    try:
        await hooks.stop()
    finally:
        uninstall(bot, hooks)


@hookimpl
def zoryx_health_check(bot: ZoryxBot) -> HealthResult:
    hooks = _running(bot)
    if hooks is None:
        return HealthResult("event hooks", "unhealthy", "not installed on the bot")
    status, detail = hooks.health()
    return HealthResult("event hooks", status, detail)


# --- framework events ------------------------------------------------------------------------------


@hookimpl
def zoryx_bot_ready(bot: ZoryxBot) -> None:
    if hooks := _running(bot):
        hooks.feed("bot_ready", bot_user=bot.user)


@hookimpl
def zoryx_guild_joined(bot: ZoryxBot, guild: discord.Guild) -> None:
    if hooks := _running(bot):
        hooks.feed("guild_joined", guild=guild)


@hookimpl
def zoryx_guild_left(bot: ZoryxBot, guild: discord.Guild) -> None:
    if hooks := _running(bot):
        hooks.feed("guild_left", guild=guild)


@hookimpl
def zoryx_command_executed(bot: ZoryxBot, event: CommandEvent) -> None:
    if (hooks := _running(bot)) and hooks.registry.has_callbacks("command_executed"):
        hooks.feed("command_executed", **command_kwargs(bot, event))


@hookimpl
def zoryx_command_error(bot: ZoryxBot, event: CommandEvent, error: BaseException) -> None:
    if (hooks := _running(bot)) and hooks.registry.has_callbacks("command_error"):
        hooks.feed("command_error", error=error, **command_kwargs(bot, event))


@hookimpl
def zoryx_plugin_loaded(bot: ZoryxBot, outcome: PluginOutcome) -> None:
    if hooks := _running(bot):
        hooks.drop_stale_callbacks()  # a plugin restored after a failed reload registered afresh
        hooks.feed("extension_loaded", extension_name=outcome.name)


@hookimpl
def zoryx_plugin_unloaded(bot: ZoryxBot, outcome: PluginOutcome, reason: str) -> None:
    if hooks := _running(bot):
        hooks.drop_stale_callbacks()
        hooks.feed("extension_unloaded", extension_name=outcome.name, reason=reason)


@hookimpl
async def zoryx_shutdown(bot: ZoryxBot) -> None:
    hooks = _running(bot)
    if hooks is not None and hooks.feed("shutdown"):  # run while plugins and connection are up
        await hooks.drain(hooks.settings.drain_timeout)


@hookimpl
def zoryx_custom_event(bot: ZoryxBot, event: CustomEvent) -> None:
    """Custom events emitted through the core (``plugin.emit`` / ``bot.events.emit``) reach the
    callbacks under their own name. ``bot.emit_hook`` queues directly and never passes here, so
    no event is delivered twice."""
    hooks = _running(bot)
    if hooks is None or not hooks.registry.has_callbacks(event.name):
        return
    try:
        hooks.feed(event.name, **event.payload)
    except ValueError as error:
        log.warning(
            "custom event %r from %s not delivered: %s", event.name, event.source or "outside plugins", error
        )
