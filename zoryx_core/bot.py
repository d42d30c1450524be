"""ZoryxBot: a discord.py AutoShardedBot that owns its settings, storage, plugin host and events."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands
from discord.ext.commands.hybrid import HybridAppCommand
from discord.ui.view import BaseView

from . import __version__
from .builtin import BUILTIN_PLUGINS
from .cancellation import cancel_and_wait
from .command_sync import CommandSync
from .config_checks import setting_typos
from .connection_gates import ConnectionGates
from .cooldowns import apply_default_cooldown
from .error_handler import ErrorReporter
from .event_bus import EventBus
from .events import CommandEvent, CommandKind
from .guild_config import GuildConfig, GuildConfigs
from .heap import HeapFreezer
from .maintenance import Maintenance
from .metrics import Metrics
from .permissions import Permissions
from .plugins.context import current_plugin
from .plugins.host import HostOptions, PluginHost
from .plugins.overrides import CommandOverrides
from .plugins.registrations import AppCommandLike
from .plugins.resolution import Selection
from .plugins.watcher import HotReloader
from .private_files import tighten_and_report
from .settings import Deployment, Settings
from .storage import StorageOptions, create_storage
from .watchdog import LoopWatchdog

__all__ = ["ZoryxBot", "ZoryxCommandTree"]

log = logging.getLogger("zoryx.bot")
listener_log = logging.getLogger("zoryx.listeners")

# isinstance with a tuple is faster than with a union, and command_event runs for every command
_HYBRID_TYPES = (commands.HybridCommand, commands.HybridGroup, HybridAppCommand)
_SLASH_TYPES = (app_commands.Command, app_commands.Group)


class ZoryxCommandTree(app_commands.CommandTree["ZoryxBot"]):
    """A command tree that attributes application commands to the plugin adding them and reports
    errors through the bot's one error path."""

    def add_command(
        self,
        command: AppCommandLike,
        /,
        *,
        guild: discord.abc.Snowflake | None = discord.utils.MISSING,
        guilds: Sequence[discord.abc.Snowflake] = discord.utils.MISSING,
        override: bool = False,
    ) -> None:
        plugin = current_plugin()
        ids = _scope_ids(command, guild, guilds)
        if not self._admitted(command, plugin.name if plugin is not None else None, ids):
            return
        overrides: CommandOverrides | None = getattr(self.client, "command_overrides", None)
        if overrides is not None:
            overrides.admit_app_command(command, plugin, ids)
        syncing: CommandSync | None = getattr(self.client, "command_sync", None)
        if syncing is not None:
            syncing.note_scopes(ids)
        super().add_command(command, guild=guild, guilds=guilds, override=override)
        if plugin is not None:
            plugin.registrations.app_commands.append((command, ids))

    def _admitted(
        self, command: AppCommandLike, plugin: str | None, guild_ids: tuple[int | None, ...]
    ) -> bool:
        """Whether every ``zoryx_admit_app_command`` implementation lets ``command`` in."""
        host: PluginHost | None = getattr(self.client, "plugins", None)
        if host is None:
            return True
        calls = host.hooks.call_sync(
            "zoryx_admit_app_command", bot=self.client, command=command, plugin=plugin, guild_ids=guild_ids
        )
        refused_by = [call.plugin for call in calls if call.value is False]
        if refused_by:
            log.info("application command %r kept out of the tree by %s", command.name, ", ".join(refused_by))
            return False
        return True

    async def interaction_check(self, interaction: discord.Interaction[ZoryxBot], /) -> bool:
        """The permission check of application commands that are not hybrid."""
        refusal = await self.client.permissions.interaction_refusal(interaction)
        if refusal is None:
            return True
        if interaction.type is not discord.InteractionType.autocomplete:  # no message can answer those
            await self.client.errors.send_ephemeral(interaction, refusal)
        return False

    async def on_error(
        self, interaction: discord.Interaction[ZoryxBot], error: app_commands.AppCommandError
    ) -> None:
        await self.client.errors.interaction_error(interaction, error)


class ZoryxBot(commands.AutoShardedBot):
    """The Zoryx bot. Everything it needs is on the instance (no module-global state), so one
    process can run several bots, as the tests do.

    - ``settings``: validated :class:`Settings`; ``deployment``: token, owners, shards.
    - ``plugins``: the :class:`PluginHost` (discover, load, unload, reload, hooks).
    - ``events``: the :class:`EventBus` for custom events.
    - ``storage``: JSON files and SQLite databases under the data folder, opened in ``setup_hook``.
    - ``permissions``, ``guild_configs`` (prefix, mention prefix, grants), ``metrics``, ``errors``:
      the core services every command path uses.
    - ``watchdog``: the :class:`LoopWatchdog` (blocked event loop incidents).

    Relative paths in the settings (data folder, extensions folder) resolve against ``base_dir``
    (default: the current folder); ``extensions_dir`` overrides the configured folder.
    """

    def __init__(
        self,
        settings: Settings,
        deployment: Deployment | None = None,
        *,
        selection: Selection | None = None,
        search_path: Sequence[str] | None = None,
        hot_reload: bool | None = None,
        base_dir: Path | None = None,
        extensions_dir: Path | None = None,
        **options: Any,
    ) -> None:
        self.settings = settings
        self.deployment = deployment or Deployment.from_environ({})
        base = base_dir or Path.cwd()
        self.base_dir = base
        intents = discord.Intents.default()
        intents.members = bool(settings["intents.members"])
        intents.presences = bool(settings["intents.presences"])
        intents.message_content = bool(settings["intents.message_content"])
        owners = set(settings["owner_ids"]) | set(self.deployment.owner_ids)
        if self.deployment.owner_id:
            owners.add(self.deployment.owner_id)
        self.all_owner_ids: frozenset[int] = frozenset(owners)
        """Bot owners: ``BOT_OWNER_ID``, ``BOT_OWNER_IDS`` and the ``owner_ids`` setting."""
        self.permissions = Permissions(self)
        self.metrics = Metrics()
        self.errors = ErrorReporter(self)
        self.command_sync = CommandSync(
            self,
            enabled=bool(settings["commands.auto_sync"]),
            debounce=float(settings["commands.sync_debounce_seconds"]),
        )
        """Syncs application commands with Discord when they changed."""
        self.command_overrides = CommandOverrides(self)
        """Built-in commands set aside for a plugin's command of the same name."""
        # discord.py warns at every start that PyNaCl and davey are missing, noise for the many bots
        # without voice; connecting to a voice channel without them still fails with a clear error.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        options.setdefault("intents", intents)
        options.setdefault("guild_ready_timeout", float(settings["startup.guild_ready_timeout"]))
        self.gates = ConnectionGates()
        """Identify and REST gates plugins fill in (see :mod:`zoryx_core.connection_gates`)."""
        options.setdefault("http_trace", self.gates.trace_config())
        options.setdefault("case_insensitive", True)
        options.setdefault("help_command", None)  # the built-in help plugin provides `help`
        if owners:
            options.setdefault("owner_ids", owners)
        if self.deployment.shard_count is not None:
            options.setdefault("shard_count", self.deployment.shard_count)
        if self.deployment.shard_ids is not None:
            options.setdefault("shard_ids", list(self.deployment.shard_ids))
        super().__init__(command_prefix=_prefix, tree_cls=ZoryxCommandTree, **options)
        extensions = extensions_dir or Path(settings["plugins.extensions_dir"])
        self.heap = HeapFreezer(bool(settings["performance.freeze_heap"]))
        self.plugins = PluginHost(
            self,
            HostOptions(
                extensions_dir=extensions if extensions.is_absolute() else base / extensions,
                search_path=search_path,
                selection=selection or _configured_selection(settings),
                setup_timeout=float(settings["plugins.setup_timeout"]),
                teardown_timeout=float(settings["plugins.teardown_timeout"]),
                hook_timeout=float(settings["plugins.hook_timeout"]),
                data_root=self.data_dir,
                builtins=BUILTIN_PLUGINS,
                heap=self.heap,
            ),
            __version__,
        )
        self.events = EventBus(self.plugins)
        self.watchdog = LoopWatchdog(
            float(settings["watchdog.blocked_loop_seconds"]), self.plugins.plugin_of_module
        )
        self.storage = create_storage(
            self.data_dir, storage_options(settings), dsn=self.deployment.database_url
        )
        self.guild_configs = GuildConfigs(self.storage)
        self.maintenance = Maintenance(self)
        self._prefix_lists: dict[int, tuple[GuildConfig, list[str]]] = {}
        self.hot_reload_enabled = bool(settings["hot_reload.enabled"]) if hot_reload is None else hot_reload
        self.reloader: HotReloader | None = None
        self._ready_fired = False
        self._ready_hooks_done = asyncio.Event()
        self._ready_task: asyncio.Task[Any] | None = None  # running zoryx_bot_ready
        self._closing = False
        self.add_listener(self._fire_ready, "on_ready")
        self.add_listener(self._guild_joined, "on_guild_join")
        self.add_listener(self._guild_left, "on_guild_remove")
        self._reports: set[asyncio.Task[Any]] = set()

    @property
    def data_dir(self) -> Path:
        path = Path(self.settings["data_dir"])
        return path if path.is_absolute() else self.base_dir / path

    # --- lifecycle -------------------------------------------------------------------------------

    async def setup_hook(self) -> None:
        # Data and config.json of earlier versions were created readable by everyone.
        await asyncio.to_thread(tighten_and_report, [self.data_dir, self.settings.path], log)
        self.watchdog.start()
        await self.storage.open()
        await self.guild_configs.start()
        await self.metrics.prepare(self.storage)
        await self.plugins.load_all()
        for warning in setting_typos(self.settings, self.settings.environ):
            log.warning("%s", warning)
        await self._first_sync()
        self.maintenance.start()
        if self.hot_reload_enabled:
            self.reloader = HotReloader(
                self.plugins, debounce_ms=int(self.settings["hot_reload.debounce_ms"])
            )
            await self.reloader.start()

    async def _first_sync(self) -> None:
        try:
            if self.command_sync.enabled:
                await self.command_sync.sync_changed("start-up")
            else:
                await self.command_sync.report_unsynced()
        except Exception:  # the bot can serve prefix commands without it
            log.exception("checking the application commands at start-up failed")

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Waits for ``bot.gates.identify`` when a plugin set one, else for discord.py's pause."""
        if not await self.gates.before_identify(shard_id or 0, initial):
            await super().before_identify_hook(shard_id, initial=initial)

    async def close(self) -> None:
        """Shut down in order: ``zoryx_shutdown`` hook, plugins torn down in reverse load order,
        storage closed, then the connection."""
        if self._closing:
            await super().close()
            return
        self._closing = True
        log.info("shutting down")
        await self._end_ready_hooks()
        await self.command_sync.stop()
        if self.reloader is not None:
            await self.reloader.stop()
        try:
            await self.plugins.shutdown()
        finally:
            await self.maintenance.stop()
            try:
                await self.storage.close()
            finally:
                self.watchdog.stop()
                self.heap.release()
                await super().close()

    async def _end_ready_hooks(self) -> None:
        """A stop right after READY: its hooks may still be running. They get one hook timeout
        to finish (they use the storage and the plugins that closing takes away), then are
        cancelled; not when a READY hook itself is closing the bot."""
        task = self._ready_task
        if task is None or task.done() or task is asyncio.current_task():
            return
        await asyncio.wait({task}, timeout=self.plugins.hooks.default_timeout())
        if not task.done():
            log.warning("READY's hooks had not finished when the bot stopped; cancelled")
            if await cancel_and_wait([task]):
                log.warning("READY's hooks did not stop when cancelled; closing without them")

    # --- attribution of what plugins register -----------------------------------------------------

    async def add_cog(self, cog: commands.Cog, /, *, override: bool = False, **kwargs: Any) -> None:
        await super().add_cog(cog, override=override, **kwargs)
        if (plugin := current_plugin()) is not None:
            plugin.registrations.cogs.append(cog)

    def add_command(self, command: commands.Command[Any, ..., Any], /) -> None:
        plugin = current_plugin()
        if not self.command_overrides.admit(command, plugin):
            return  # a built-in whose name a plugin's command holds: set aside until it unloads
        try:
            super().add_command(command)
        except Exception:
            # discord.py adds the prefix form of a hybrid before its slash form; when the tree
            # refuses the latter, take the former away too so that nothing half-registered stays.
            if self.all_commands.get(command.name) is command:
                self.remove_command(command.name)
            raise
        apply_default_cooldown(self, command)
        if plugin is not None:
            plugin.registrations.prefix_commands.append(command)

    def add_listener(self, func: Any, /, name: str = discord.utils.MISSING) -> None:
        super().add_listener(func, name)
        if (plugin := current_plugin()) is not None:
            plugin.registrations.listeners.append(
                (func.__name__ if name is discord.utils.MISSING else name, func)
            )

    def add_view(self, view: BaseView, *, message_id: int | None = None) -> None:
        super().add_view(view, message_id=message_id)
        if (plugin := current_plugin()) is not None:
            plugin.registrations.views.append(view)

    async def can_run(self, ctx: commands.Context[Any], /, *, call_once: bool = False) -> bool:
        """The global checks: Zoryx's permission decision (raises :class:`AccessDenied`) comes
        first, then the checks added with ``bot.check``/``add_check``, as discord.py runs them."""
        if call_once:
            if not self._check_once:  # discord.py asks once per invocation; usually nothing to run
                return True
            return await super().can_run(ctx, call_once=True)
        allowed = self.permissions.check_context(ctx)  # True, or a coroutine reading the config
        if not isinstance(allowed, bool):
            await allowed
        if not self._checks:
            return True
        return await super().can_run(ctx)

    # --- framework events as hooks ----------------------------------------------------------------

    async def _fire_ready(self) -> None:
        if self._ready_fired:
            return
        self._ready_fired = True
        self._ready_task = asyncio.current_task()
        try:
            # the caches discord.py filled at start-up are the bulk of the heap; no full collection
            # here (it would pause the loop for a time that grows with the members cached)
            self.heap.freeze("READY", full=False)
            await self.plugins.notify("zoryx_bot_ready")
            # and what READY's hooks made (a plugin's deferred imports, its first readings): left
            # in the collected generations it cost every later message (bench/README.md)
            self.heap.freeze("READY hooks", full=False)
        finally:
            self._ready_hooks_done.set()

    async def wait_until_settled(self) -> None:
        """Wait until the bot is ready and every ``zoryx_bot_ready`` implementation has run (the
        plugin registry is written, plugins have done their READY work)."""
        await self.wait_until_ready()
        await self._ready_hooks_done.wait()

    async def _guild_joined(self, guild: discord.Guild) -> None:
        await self.storage.guild_returned(guild.id)
        await self.plugins.notify("zoryx_guild_joined", guild=guild)

    async def _guild_left(self, guild: discord.Guild) -> None:
        self.guild_configs.forget(guild.id)
        self._prefix_lists.pop(guild.id, None)
        await self.storage.guild_departed(guild.id)
        await self.plugins.notify("zoryx_guild_left", guild=guild)

    # --- prefixes and messages ----------------------------------------------------------------------

    async def get_prefix(self, message: discord.Message, /) -> list[str]:
        """The prefixes a message may use: the server's prefix (or the global one) and, when the
        mention prefix is on, the bot's mention. Served from a cache; a change through
        ``guild_configs`` applies to the next message."""
        guild = message.guild
        if guild is None:
            return self._prefix_list(GuildConfig(0))
        config = self.guild_configs.cached(guild.id) or await self.guild_configs.get(guild.id)
        entry = self._prefix_lists.get(guild.id)
        if entry is not None and entry[0] is config:
            return entry[1]
        prefixes = self._prefix_list(config)
        self._prefix_lists[guild.id] = (config, prefixes)
        return prefixes

    def _prefix_list(self, config: GuildConfig) -> list[str]:
        prefix = config.prefix or str(self.settings["prefix"])
        mention = self.settings["mention_prefix"] if config.mention_prefix is None else config.mention_prefix
        if mention and self.user is not None:
            mentions = [f"<@{self.user.id}> ", f"<@!{self.user.id}> "]
            if any(form.startswith(prefix) or prefix.startswith(form) for form in mentions):
                return [*mentions, prefix]  # discord.py takes the first that matches: the mention
            return [prefix, *mentions]  # the common case first: one comparison per message
        return [prefix]

    async def on_message(self, message: discord.Message, /) -> None:
        guild = message.guild
        self.metrics.message_seen(guild.shard_id if guild is not None else 0)
        await self.process_commands(message)

    def command_event(
        self,
        *,
        ctx: commands.Context[Any] | None = None,
        interaction: discord.Interaction[Any] | None = None,
        command: Any = None,
    ) -> CommandEvent:
        """Describe an invocation the same way whichever path it took."""
        command = command or (ctx.command if ctx else None) or (interaction.command if interaction else None)
        name, kind, module = _command_info(command)
        user: discord.abc.User | None
        guild_id: int | None
        channel_id: int | None
        if ctx is not None:
            if interaction is None:
                interaction = ctx.interaction
            message = ctx.message  # what Context.author, .guild and .channel read
            user, guild, channel_id = message.author, message.guild, message.channel.id
            guild_id = guild.id if guild is not None else None
        elif interaction is not None:
            user, guild_id, channel_id = interaction.user, interaction.guild_id, interaction.channel_id
        else:
            user, guild_id, channel_id = None, None, None
        return CommandEvent(
            name=name,
            kind=kind,
            user_id=user.id if user else 0,
            guild_id=guild_id,
            channel_id=channel_id,
            plugin=self.plugins.plugin_of_module(module),
            ctx=ctx,
            interaction=interaction,
        )

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        # Completed commands are counted here, in line, rather than by a listener: a listener
        # costs a task per command. A task is made only when a plugin implements the hook.
        if event_name == "command_completion":
            self._command_completed(args[0])
        elif event_name == "app_command_completion":
            self._app_command_completed(args[0], args[1])
        _dispatch(self, event_name, *args, **kwargs)  # super().dispatch without a super object per event

    def _command_completed(self, ctx: commands.Context[Any]) -> None:
        if ctx.command is not None:
            guild = ctx.message.guild
            shard_id = guild.shard_id if guild is not None else 0
            self.metrics.command_ran(_command_info(ctx.command)[0], shard_id)
        mode = self.plugins.hooks.mode("zoryx_command_executed")
        if mode != "none":
            self._report(self.command_event(ctx=ctx), mode)

    def _app_command_completed(self, interaction: discord.Interaction[Any], command: Any) -> None:
        if isinstance(command, HybridAppCommand):
            return  # reported as command_completion, with its context
        guild = interaction.guild
        shard_id = guild.shard_id if guild is not None else 0
        self.metrics.command_ran(_command_info(command)[0], shard_id)
        mode = self.plugins.hooks.mode("zoryx_command_executed")
        if mode != "none":
            self._report(self.command_event(interaction=interaction, command=command), mode)

    def _report(self, event: CommandEvent, mode: str) -> None:
        """``zoryx_command_executed``: plain functions are called at once; a task is made only
        when an implementation is a coroutine function (it is awaited with the hook timeout)."""
        if mode == "sync":
            self.plugins.hooks.fire_sync("zoryx_command_executed", bot=self, event=event)
            return
        task = asyncio.create_task(self.plugins.notify("zoryx_command_executed", event=event))
        self._reports.add(task)
        task.add_done_callback(self._reports.discard)

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        """A discord.py listener raised: logged with the plugin whose listener it was (the
        outermost frame of plugin code in the traceback) and counted in
        ``plugins.listener_errors``."""
        error = sys.exc_info()[1]
        if error is None:
            listener_log.error("listener %s failed (no exception information)", event_method)
            return
        text = "".join(traceback.format_exception(error))
        summary = f"{type(error).__name__}: {error}"
        owner = self.plugins.plugin_of_traceback(error.__traceback__)
        if owner is None:
            listener_log.error("listener %s raised %s\n%s", event_method, summary, text)
            return
        plugin, where = owner
        key = (plugin, event_method)
        self.plugins.listener_errors[key] = self.plugins.listener_errors.get(key, 0) + 1
        listener_log.error(
            "plugin %s: listener %s raised %s (at %s)\n%s", plugin, event_method, summary, where, text
        )

    async def on_command_error(self, ctx: commands.Context[Any], error: commands.CommandError, /) -> None:
        """Every prefix and hybrid command error, reported once (see :mod:`zoryx_core.error_handler`)."""
        await self.errors.context_error(ctx, error)


_dispatch = commands.AutoShardedBot.dispatch
_INFO_ATTRIBUTE = "__zoryx_command_info__"
_KINDS: dict[type, CommandKind] = {}  # discord.py's own command classes (a plugin's would outlive it)


def _command_info(command: Any) -> tuple[str, CommandKind, str | None]:
    """A registered command's qualified name, kind and module: fixed for the command object, so
    worked out once and kept on it (a command reports itself on every use)."""
    info: tuple[str, CommandKind, str | None] | None = getattr(command, _INFO_ATTRIBUTE, None)
    if info is None:
        module = getattr(command, "module", None) or getattr(
            getattr(command, "callback", None), "__module__", None
        )
        info = (str(getattr(command, "qualified_name", "?")), _command_kind(type(command)), module)
        with contextlib.suppress(AttributeError, TypeError):
            setattr(command, _INFO_ATTRIBUTE, info)
    return info


def _command_kind(command_type: type) -> CommandKind:
    """How a command of this class is invoked (remembered for discord.py's classes)."""
    kind = _KINDS.get(command_type)
    if kind is not None:
        return kind
    if issubclass(command_type, _HYBRID_TYPES):
        kind = "hybrid"
    elif issubclass(command_type, app_commands.ContextMenu):
        kind = "context_menu"
    elif issubclass(command_type, _SLASH_TYPES):
        kind = "slash"
    else:
        kind = "prefix"
    if command_type.__module__.startswith("discord."):
        _KINDS[command_type] = kind
    return kind


def _scope_ids(
    command: AppCommandLike,
    guild: discord.abc.Snowflake | None,
    guilds: Sequence[discord.abc.Snowflake],
) -> tuple[int | None, ...]:
    """Where ``tree.add_command`` puts ``command`` (``None``: global), as discord.py decides it:
    ``guild`` / ``guilds`` if given, else the ``@app_commands.guilds(...)`` of the command."""
    if guild is not discord.utils.MISSING:
        return (None,) if guild is None else (guild.id,)
    if isinstance(guilds, Sequence):  # MISSING is not one
        return tuple(g.id for g in guilds) or (None,)
    declared: set[int] | None = getattr(command, "_guild_ids", None)
    return tuple(sorted(declared)) if declared else (None,)


def _prefix(bot: Any, message: discord.Message) -> list[str]:
    """Unused: :meth:`ZoryxBot.get_prefix` replaces discord.py's prefix callable."""
    return [str(bot.settings["prefix"])]


def storage_options(settings: Settings) -> StorageOptions:
    """The ``storage.*`` settings as :class:`StorageOptions`."""
    return StorageOptions(
        backend=str(settings["storage.backend"]),
        pg_pool_size=int(settings["storage.pg_pool_size"]),
        pg_schema=str(settings["storage.pg_schema"]),
        pg_retry_seconds=float(settings["storage.pg_retry_seconds"]),
        pool_size=int(settings["storage.pool_size"]),
        busy_timeout_ms=int(settings["storage.busy_timeout_ms"]),
        json_cache_ttl=float(settings["storage.json_cache_ttl"]),
        json_cache_size=int(settings["storage.json_cache_size"]),
        backup_count=int(settings["storage.backup_count"]),
        backup_on_shutdown=bool(settings["storage.backup_on_shutdown"]),
        departed_grace_seconds=float(settings["storage.departed_guild_grace_hours"]) * 3600,
    )


def _configured_selection(settings: Settings) -> Selection:
    return Selection.of(settings["plugins.enabled"], settings["plugins.disabled"])
