# mypy: disable-error-code="empty-body"
"""The Zoryx plugin contract: every hook a plugin may implement.

A plugin is a module (named by an entry point in the ``zoryx.plugins`` group, or a single file in
``./extensions``) holding functions marked with :data:`hookimpl`::

    from zoryx_core import hookimpl

    @hookimpl
    async def zoryx_setup(bot, plugin):
        await bot.add_cog(Greeter(bot))

Rules that hold for every hook:

- An implementation may be ``def`` or ``async def``; the host awaits coroutines.
- An implementation may accept any subset of the arguments listed in its spec, by name.
- Every call is isolated: an exception or a timeout (``plugins.hook_timeout`` seconds, set-up and
  teardown have their own limits) is logged, attributed to the plugin and counted; the other
  implementations still run and the bot carries on. Each call is timed.
- Implementations run one after another in registration order (the plugin loaded last runs
  first, as in pluggy), adjusted by ``@hookimpl(tryfirst=True)`` / ``@hookimpl(trylast=True)``.

Hooks marked *per plugin* are called only for the plugin they concern; the others fan out to
every loaded plugin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click
    import discord

    from .bot import ZoryxBot
    from .events import CommandEvent, CustomEvent, HotReloadResult
    from .plugins.context import PluginContext
    from .plugins.contributions import HealthResult
    from .plugins.outcome import PluginOutcome
    from .settings import Setting

__all__ = ["PROJECT_NAME", "hookimpl", "hookspec"]

PROJECT_NAME = "zoryx"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
"""Marks a function in this module as a hook specification."""

hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
"""Marks a plugin function as the implementation of the hook of the same name."""


# --- the plugin's own life -------------------------------------------------------------------------


@hookspec
def zoryx_settings() -> list[Setting]:
    """*Per plugin, sync.* Declare the plugin's settings, before its set-up.

    Return :class:`zoryx_core.Setting` objects (key, default, kind, limits, description). Their
    values are read from ``config.json`` under ``plugin_settings.<plugin name>`` and from
    ``ZORYX_PLUGIN_SETTINGS__<PLUGIN>__<KEY>``, validated, written to ``config.json`` with their
    defaults when missing, and given to the plugin as ``plugin.settings``. A value that fails
    validation fails the plugin's load with the key, the value and what is allowed.
    """


@hookspec
def zoryx_conflicts() -> list[str]:
    """*Per plugin, sync.* Declare conflicting plugins, checked after import and before set-up.

    Return requirement strings such as ``"zoryx-other"`` or ``"zoryx-other<2"``. If a loaded
    plugin matches, this plugin is skipped with a reason naming both; a plugin loaded later that
    matches a loaded plugin's declaration is skipped the same way.
    """


@hookspec
def zoryx_setup(bot: ZoryxBot, plugin: PluginContext) -> None:
    """*Per plugin, sync or async.* Set the plugin up: add cogs, commands, listeners, views, tasks.

    Called once per load, after its dependencies are loaded, within ``plugins.setup_timeout``
    seconds. Everything the plugin registers while this runs (and from tasks it starts) is
    recorded on ``plugin`` so that unload removes exactly that. Raising, or running past the
    timeout, fails the load: what was registered so far is removed and the reason is reported.
    """


@hookspec
def zoryx_teardown(bot: ZoryxBot, plugin: PluginContext) -> None:
    """*Per plugin, sync or async.* Release what set-up acquired, before the host removes the
    plugin's registrations. Called on unload, on reload and at shutdown (plugins in reverse load
    order), within ``plugins.teardown_timeout`` seconds.
    """


# --- lifecycle events ------------------------------------------------------------------------------


@hookspec
def zoryx_bot_ready(bot: ZoryxBot) -> None:
    """*Fan-out, sync or async.* The bot is connected and its guilds are cached.

    Fires once per start, on the first READY; reconnects and resumes do not fire it again.
    """


@hookspec
def zoryx_guild_joined(bot: ZoryxBot, guild: discord.Guild) -> None:
    """*Fan-out, sync or async.* The bot was added to ``guild`` (not fired for guilds it already
    had at start-up)."""


@hookspec
def zoryx_guild_left(bot: ZoryxBot, guild: discord.Guild) -> None:
    """*Fan-out, sync or async.* The bot was removed from ``guild`` or the guild was deleted."""


@hookspec
def zoryx_command_executed(bot: ZoryxBot, event: CommandEvent) -> None:
    """*Fan-out, sync or async.* A prefix, slash, hybrid or context-menu command completed
    without error; ``event`` names the command, its kind, who ran it and where. Plain functions
    are called as the command completes; when an implementation is ``async``, all run in a task
    (keep plain ones quick: they run on every command)."""


@hookspec
def zoryx_command_error(bot: ZoryxBot, event: CommandEvent, error: BaseException) -> None:
    """*Fan-out, sync or async.* A command of any kind raised; ``error`` is the original
    exception (unwrapped from discord.py's invoke errors)."""


@hookspec
def zoryx_plugin_loaded(bot: ZoryxBot, outcome: PluginOutcome) -> None:
    """*Fan-out, sync or async.* A plugin finished loading successfully (including the plugin
    itself, whose implementation runs right after its set-up)."""


@hookspec
def zoryx_plugin_unloaded(bot: ZoryxBot, outcome: PluginOutcome, reason: str) -> None:
    """*Fan-out, sync or async.* A plugin was unloaded; ``reason`` is ``"unload"``,
    ``"reload"`` or ``"shutdown"``. The unloaded plugin's own implementations no longer run."""


@hookspec
def zoryx_hot_reload(bot: ZoryxBot, result: HotReloadResult) -> None:
    """*Fan-out, sync or async.* The file watcher acted on a change: ``result`` says which plugin,
    which action (load, reload, unload), whether it worked and why not."""


@hookspec
def zoryx_shutdown(bot: ZoryxBot) -> None:
    """*Fan-out, sync or async.* The bot is shutting down (SIGINT, SIGTERM or ``close()``); runs
    before any plugin is torn down, while the connection and storage are still open."""


@hookspec
def zoryx_custom_event(bot: ZoryxBot, event: CustomEvent) -> None:
    """*Fan-out, sync or async.* A plugin emitted a custom event with
    ``plugin.emit(name, **payload)`` or ``bot.events.emit(name, **payload)``."""


# --- clusters (zoryx-cluster) ------------------------------------------------------------------------


@hookspec
def zoryx_cluster_joined(bot: ZoryxBot, cluster_id: int, stats: Any) -> None:
    """*Fan-out, sync or async.* Another cluster of this bot (another process, maybe on another
    machine) started heartbeating; ``stats`` is what it published (shards, servers, host). Fired
    in every cluster that sees it, by the zoryx-cluster plugin."""


@hookspec
def zoryx_cluster_left(bot: ZoryxBot, cluster_id: int, stats: Any) -> None:
    """*Fan-out, sync or async.* Another cluster of this bot missed its heartbeats for one expiry
    window (it stopped, crashed or lost Redis); ``stats`` is the last it published. Fired in every
    cluster that notices, by the zoryx-cluster plugin."""


# --- contributions ---------------------------------------------------------------------------------


@hookspec
def zoryx_health_check(bot: ZoryxBot) -> HealthResult | list[HealthResult] | None:
    """*Fan-out, sync or async.* Report the plugin's health when asked
    (``bot.plugins.health_checks()``): one or more :class:`zoryx_core.HealthResult`.
    A check that raises or times out counts as unhealthy, attributed to its plugin."""


@hookspec
def zoryx_register_commands(cli: click.Group) -> None:
    """*Fan-out, sync, no bot.* Add sub-commands to the ``zoryx`` command line (click), as in
    ``@cli.command()`` or ``cli.add_command(group)``. Called when ``zoryx`` lists its commands
    (``--help``, shell completion) or meets a name that is not built in. Plugins are asked in hook
    order; a name already taken by Zoryx or a plugin asked earlier is refused with a warning naming
    both. A command's exit code is what its function returns when that is an int (otherwise 0)."""


@hookspec
def zoryx_help_marker(bot: ZoryxBot, command: Any) -> str | None:
    """*Fan-out, sync.* A marker for ``command`` (a discord.py command object) in the help menu,
    or ``None``. The first non-``None`` answer is shown next to the command, in place of the
    built-in hybrid / prefix-only / slash-only marker (the slash-limit plugin uses this to mark
    commands it made prefix-only)."""


@hookspec
def zoryx_admit_app_command(
    bot: ZoryxBot, command: Any, plugin: str | None, guild_ids: tuple[int | None, ...]
) -> bool | None:
    """*Fan-out, sync.* Asked before an application command (``command``: a slash command, group
    or context menu) is added to the bot's command tree, for the guilds ``guild_ids`` (``None``
    meaning global), on behalf of ``plugin`` (the plugin whose set-up adds it, if any).

    Return ``False`` to keep it out of the tree: a hybrid command then stays a prefix command
    with every check it has; a plain application command is not registered. Any ``False`` wins;
    ``None`` or ``True`` admit. The slash-limit plugin uses this to stay under Discord's cap.
    """


@hookspec
def zoryx_export_guild_data(bot: ZoryxBot, guild_id: int) -> Any:
    """*Fan-out, sync or async.* What the plugin keeps for the server ``guild_id`` that a backup
    should carry: a JSON-serialisable value, or ``None`` for nothing. A backup stores each
    plugin's answer under the plugin's name."""


@hookspec
def zoryx_import_guild_data(bot: ZoryxBot, guild_id: int, data: Any, id_map: dict[int, int]) -> Any:
    """*Per plugin, sync or async.* Put back what :func:`zoryx_export_guild_data` gave for the
    server ``guild_id`` (called only for the plugin that exported ``data``). ``id_map`` maps old
    role and channel ids to the ids they have after a restore (ids not in it are unchanged).
    Return a short description of what was restored, or ``None``."""


@hookspec
def zoryx_delete_user_data(bot: ZoryxBot, user_id: int) -> Any:
    """*Fan-out, sync or async.* Delete everything the plugin stores about the user ``user_id``
    (every guild). Return a short description of what was deleted, or ``None`` if nothing."""
