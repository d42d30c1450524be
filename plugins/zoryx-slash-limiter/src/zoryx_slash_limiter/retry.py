"""Plugins that failed to load with discord.py's ``CommandLimitReached`` before the limiter was
there: found, cleaned up after, and loaded again once the limiter admits commands."""

from __future__ import annotations

import logging
from typing import Any

from discord.app_commands import CommandLimitReached

from zoryx_core import PluginError, PluginOutcome, PluginStatus
from zoryx_core.plugins.loader import module_root

__all__ = ["limit_failures", "load_again", "release_leftovers"]


def limit_failures(bot: Any) -> list[PluginOutcome]:
    """The plugins whose last load failed because the command tree was full, in the order the
    host tried them."""
    return [
        outcome
        for outcome in bot.plugins.outcomes.values()
        if outcome.status is PluginStatus.FAILED and CommandLimitReached.__name__ in outcome.reason
    ]


def release_leftovers(bot: Any, outcome: PluginOutcome) -> list[str]:
    """Remove prefix commands a failed load left behind (discord.py adds a hybrid's prefix form
    before its slash form is refused, and a cog's undo skips the command that failed), so that
    loading the plugin again does not collide with them. Only commands of the plugin's modules
    that no loaded plugin owns are removed. Returns their names."""
    root = module_root(outcome.spec)
    removed: list[str] = []
    for command in list(bot.commands):
        module = command.module or ""
        if module != root and not module.startswith(root + "."):
            continue
        if bot.plugins.plugin_of_module(module) is not None:
            continue
        bot.remove_command(command.name)
        removed.append(command.name)
    return removed


async def load_again(bot: Any, names: list[str], log: logging.Logger) -> list[PluginOutcome]:
    """Load each plugin again (one after another, in the order given); returns the outcomes."""
    outcomes: list[PluginOutcome] = []
    for name in names:
        log.warning(
            "loading %s again: it failed with CommandLimitReached before the slash limiter was loaded",
            name,
        )
        try:
            outcome = await bot.plugins.load(name)
        except PluginError as error:
            log.warning("could not load %s again: %s", name, error)
            continue
        if outcome.status is PluginStatus.LOADED:
            log.warning("%s is loaded now (commands beyond the safe limit are prefix-only)", name)
        else:
            log.error("%s still does not load: %s", name, outcome.reason)
        outcomes.append(outcome)
    return outcomes
