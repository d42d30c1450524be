"""zoryx-slash-limiter: keeps the bot under Discord's 100 global slash commands.

The module is the plugin. Through ``zoryx_admit_app_command`` it admits application commands
while the global scope holds fewer than ``safe_limit`` chat-input commands (each guild and each
context-menu type are counted apart), and keeps the others out: a hybrid command then answers
by prefix only, with all its checks; a plain application command is not registered. When a
plugin unloads, the freed slots go back to kept-out commands in load order. ``slashlimit``
shows the usage; the help marks the commands the limit made prefix-only; other plugins read
the same figures with ``slash_limiter(bot).usage()``.
"""

from __future__ import annotations

from typing import Any

from zoryx_core import PluginContext, Setting, ZoryxBot, hookimpl

from .bot_api import install, slash_limiter, uninstall
from .cog import SlashLimitCog
from .limiter import LIMIT_MARKER, SETTING_MARKER, SlashLimiter
from .retry import limit_failures, load_again, release_leftovers
from .settings import SETTINGS, LimiterSettings, ThresholdError
from .usage import LimitedCommand, LimitState, PluginUsage, Reason, SlashUsage

__all__ = [
    "LIMIT_MARKER",
    "SETTING_MARKER",
    "LimitState",
    "LimitedCommand",
    "LimiterSettings",
    "PluginUsage",
    "Reason",
    "SlashLimitCog",
    "SlashLimiter",
    "SlashUsage",
    "ThresholdError",
    "slash_limiter",
]


def _running(bot: Any) -> SlashLimiter | None:
    try:
        return slash_limiter(bot)
    except LookupError:
        return None


@hookimpl
def zoryx_settings() -> list[Setting]:
    return list(SETTINGS)


@hookimpl
async def zoryx_setup(bot: ZoryxBot, plugin: PluginContext) -> None:
    """Check the thresholds, bring what loaded earlier within the limits, add ``slashlimit``, and
    load again the plugins that failed with ``CommandLimitReached`` before the limiter was here."""
    settings = LimiterSettings.from_mapping(plugin.settings)
    limiter = SlashLimiter(bot, settings, plugin.log)
    install(bot, limiter)
    try:
        limiter.adopt()
        limiter.enforce()
        await bot.add_cog(SlashLimitCog(limiter))
    except BaseException:
        uninstall(bot, limiter)
        raise
    failed = limit_failures(bot)
    for outcome in failed:
        if removed := release_leftovers(bot, outcome):
            plugin.log.info("removed what the failed load of %s left behind: %s", outcome.name, removed)
    if failed:
        names = [outcome.name for outcome in failed]
        limiter.retry_task = plugin.create_task(
            load_again(bot, names, plugin.log), name="zoryx-slash-limiter:load-again"
        )
    usage = limiter.usage()
    plugin.log.info(
        "%d/%d global slash commands (warning %d, safe limit %d): %s",
        usage.global_commands,
        usage.max_limit,
        usage.warning_threshold,
        usage.safe_limit,
        usage.state.value,
    )


@hookimpl
def zoryx_teardown(bot: ZoryxBot) -> None:
    """Take the limiter off the bot; commands keep the form they have (a limiter loaded again
    finds the prefix-only ones and records them again)."""
    limiter = _running(bot)
    if limiter is not None:
        uninstall(bot, limiter)


@hookimpl
def zoryx_admit_app_command(
    bot: ZoryxBot, command: Any, plugin: str | None, guild_ids: tuple[int | None, ...]
) -> bool | None:
    limiter = _running(bot)
    if limiter is None or limiter.admit(command, plugin, guild_ids):
        return None
    return False


@hookimpl
def zoryx_help_marker(bot: ZoryxBot, command: Any) -> str | None:
    limiter = _running(bot)
    return limiter.marker(command) if limiter is not None else None


@hookimpl
def zoryx_plugin_loaded(bot: ZoryxBot) -> None:
    """Forget what a failed or replaced load left, and fill any slot that is free."""
    limiter = _running(bot)
    if limiter is not None:
        limiter.rebalance()


@hookimpl
def zoryx_plugin_unloaded(bot: ZoryxBot, reason: str) -> None:
    """A plugin left: drop its records and give its slots to the commands waiting for one."""
    limiter = _running(bot)
    if limiter is not None and reason != "shutdown":
        limiter.rebalance()
