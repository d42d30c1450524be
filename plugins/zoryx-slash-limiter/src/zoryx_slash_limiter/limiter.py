"""The limiter: admits application commands while there is room, keeps the rest out, and gives
freed slots back to them in load order."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import discord
from discord import app_commands

from zoryx_core import PluginOutcome
from zoryx_core.plugins import PluginContext, current_plugin
from zoryx_core.plugins.registrations import AppCommandLike

from .command_kinds import (
    CONTEXT_MENU_LIMIT,
    GLOBAL,
    AnyBot,
    Scope,
    command_type,
    kind_name,
    prefix_form,
    scope_object,
    scopes_of,
    tree_commands,
)
from .settings import LimiterSettings
from .usage import LimitedCommand, LimitState, PluginUsage, Reason, SlashUsage

__all__ = ["LIMIT_MARKER", "SETTING_MARKER", "SlashLimiter"]

LIMIT_MARKER = "🔹 prefix-only (slash limit)"
"""The help marker of a hybrid command made prefix-only by the slash limit."""
SETTING_MARKER = "🔸 prefix-only (prefix_only_plugins)"
"""The help marker of a hybrid command whose plugin is listed in ``prefix_only_plugins``."""

CHAT_INPUT = discord.AppCommandType.chat_input
_RecordKey = tuple[str | None, discord.AppCommandType, str, tuple[Scope, ...]]


@dataclass
class _Record:
    info: LimitedCommand
    owner: PluginContext | None
    sequence: int
    kind: discord.AppCommandType

    @property
    def key(self) -> _RecordKey:
        return (self.info.plugin, self.kind, self.info.name, self.info.guild_ids)


@dataclass(frozen=True)
class _Entry:
    """An application command in the tree, with the plugin that added it."""

    command: AppCommandLike
    owner: PluginContext | None
    scopes: tuple[Scope, ...]
    kind: discord.AppCommandType


class SlashLimiter:
    """Keeps the bot's command tree within Discord's limits for one bot.

    - :meth:`admit` answers ``zoryx_admit_app_command``: a command is admitted while its scope
      holds fewer than ``safe_limit`` chat-input commands (``5`` context menus of its type), or
      when it replaces a command of the same name; otherwise it is kept out and recorded.
    - :meth:`enforce` applies the limits to what is already in the tree (the newest go first).
    - :meth:`rebalance` gives freed slots back to kept-out commands, oldest plugin first.
    - :meth:`usage` reports counts, thresholds and the commands kept out.
    """

    def __init__(self, bot: AnyBot, settings: LimiterSettings, log: logging.Logger) -> None:
        self.bot = bot
        self.settings = settings
        self.log = log
        self._records: dict[_RecordKey, _Record] = {}
        self._sequence = itertools.count()
        self._promoting: AppCommandLike | None = None
        self._warned = False
        self._at_safe_limit = False
        self.retry_task: asyncio.Task[list[PluginOutcome]] | None = None
        """Loading again the plugins that failed with ``CommandLimitReached`` before the limiter."""

    async def settled(self) -> list[PluginOutcome]:
        """Wait until the plugins the limiter loads again at its set-up are loaded (or failed);
        their outcomes (empty when there were none)."""
        if self.retry_task is None:
            return []
        return await asyncio.shield(self.retry_task)

    # --- admission ---------------------------------------------------------------------------------

    def admit(self, command: AppCommandLike, plugin: str | None, guild_ids: tuple[Scope, ...]) -> bool:
        """Whether ``command`` may enter the tree now; a refusal is recorded (and logged)."""
        if command is self._promoting:
            return True
        kind = command_type(command)
        scopes = scopes_of(command, guild_ids)
        owner = self._owner(plugin)
        if self.settings.is_prefix_only_plugin(plugin):
            self._keep_out(command, owner, plugin, kind, scopes, Reason.PLUGIN_SETTING)
            return False
        if not all(self._has_room(kind, scope, command.name) for scope in scopes):
            self._keep_out(command, owner, plugin, kind, scopes, Reason.SLASH_LIMIT)
            return False
        self._records.pop((plugin, kind, command.name, scopes), None)
        if kind is CHAT_INPUT and None in scopes:
            present = self._present(kind, None, command.name)
            self._observe(self.global_count() + (0 if present else 1))
        return True

    def _owner(self, plugin: str | None) -> PluginContext | None:
        if plugin is None:
            return None
        running = current_plugin()
        if running is not None and running.name == plugin:
            return running
        return self._contexts().get(plugin)

    def _capacity(self, kind: discord.AppCommandType) -> int:
        return self.settings.safe_limit if kind is CHAT_INPUT else CONTEXT_MENU_LIMIT

    def _present(self, kind: discord.AppCommandType, scope: Scope, name: str) -> bool:
        return self.bot.tree.get_command(name, guild=scope_object(scope), type=kind) is not None

    def _count(self, kind: discord.AppCommandType, scope: Scope) -> int:
        return len(tree_commands(self.bot.tree, kind, scope))

    def _has_room(self, kind: discord.AppCommandType, scope: Scope, name: str) -> bool:
        """Room for ``name``: a free slot, or a command of that name to replace."""
        return self._present(kind, scope, name) or self._count(kind, scope) < self._capacity(kind)

    def _keep_out(
        self,
        command: AppCommandLike,
        owner: PluginContext | None,
        plugin: str | None,
        kind: discord.AppCommandType,
        scopes: tuple[Scope, ...],
        reason: Reason,
    ) -> LimitedCommand:
        has_prefix = prefix_form(self.bot, command) is not None
        info = LimitedCommand(
            name=command.name,
            plugin=plugin,
            kind=kind_name(kind),
            guild_ids=scopes,
            prefix_only=has_prefix,
            reason=reason,
            command=command,
        )
        record = _Record(info, owner, next(self._sequence), kind)
        self._records[record.key] = record
        where = "global" if scopes == GLOBAL else "guild " + ", ".join(str(s) for s in scopes)
        self.log.info(
            "%s command %s of %s (%s) is %s",
            kind_name(kind),
            _shown(info),
            plugin or "no plugin",
            where,
            info.status,
        )
        if kind is CHAT_INPUT and None in scopes:
            self._observe(self.global_count())
        return info

    def _observe(self, count: int) -> None:
        """Log once each time the global count crosses the warning threshold or the safe limit."""
        settings = self.settings
        if count >= settings.warning_threshold:
            if not self._warned:
                self._warned = True
                self.log.warning(
                    "%d global slash commands of Discord's %d: past the warning threshold (%d)",
                    count,
                    settings.max_limit,
                    settings.warning_threshold,
                )
        else:
            self._warned = False
        if count >= settings.safe_limit:
            if not self._at_safe_limit:
                self._at_safe_limit = True
                self.log.warning(
                    "%d global slash commands: at the safe limit (%d); commands loaded from now on "
                    "are prefix-only (hybrid) or not registered (slash-only)",
                    count,
                    settings.safe_limit,
                )
        else:
            self._at_safe_limit = False

    # --- what is already there ---------------------------------------------------------------------

    def adopt(self) -> list[LimitedCommand]:
        """Record the commands of loaded plugins that have no slash form in the tree although
        they have one to give (a hybrid command's, or a plain one defined in a cog): kept out
        before this limiter was loaded (by a previous instance, before a reload). They are
        prefix-only (or not registered) and wait for a free slot like any other."""
        adopted: list[LimitedCommand] = []
        known = {id(record.info.command) for record in self._records.values()}
        contexts = self._contexts()
        for name in self._load_order():
            ctx = contexts.get(name)
            if ctx is None:
                continue
            for command in self._slash_forms(ctx):
                kind = command_type(command)
                scopes = scopes_of(command, GLOBAL)
                if id(command) in known or any(
                    self.bot.tree.get_command(command.name, guild=scope_object(scope), type=kind) is command
                    for scope in scopes
                ):
                    continue
                known.add(id(command))
                reason = (
                    Reason.PLUGIN_SETTING if self.settings.is_prefix_only_plugin(name) else Reason.SLASH_LIMIT
                )
                adopted.append(self._keep_out(command, ctx, name, kind, scopes, reason))
        return adopted

    def _slash_forms(self, ctx: PluginContext) -> Iterator[AppCommandLike]:
        """The top-level application commands a plugin's live commands and cogs define."""
        registrations = ctx.registrations
        prefix_commands = list(registrations.prefix_commands)
        for cog in registrations.cogs:
            if self.bot.get_cog(cog.qualified_name) is not cog:
                continue
            prefix_commands.extend(cog.get_commands())
            group = getattr(cog, "__cog_app_commands_group__", None)
            yield from ([group] if group is not None else cog.get_app_commands())
        seen: set[int] = set()
        for command in prefix_commands:
            app = getattr(command, "app_command", None)
            if (
                app is None
                or id(app) in seen
                or command.parent is not None
                or getattr(app, "parent", None) is not None
                or self.bot.all_commands.get(command.name) is not command
            ):
                continue
            seen.add(id(app))
            yield app

    def enforce(self) -> list[LimitedCommand]:
        """Apply the limits to the tree as it stands: commands of plugins in
        ``prefix_only_plugins`` leave it, and while a scope holds more than its limit its newest
        commands (last loaded plugin first) leave it. Returns what was taken out."""
        taken: list[LimitedCommand] = []
        entries = self._entries()
        for entry in entries:
            plugin = entry.owner.name if entry.owner is not None else None
            if self.settings.is_prefix_only_plugin(plugin):
                taken.append(self._take_out(entry, Reason.PLUGIN_SETTING))
        for entry in reversed(entries):
            capacity = self._capacity(entry.kind)
            if not self._in_tree(entry):
                continue
            if any(self._count(entry.kind, scope) > capacity for scope in entry.scopes):
                taken.append(self._take_out(entry, Reason.SLASH_LIMIT))
        if taken:
            self.log.warning(
                "took %d application commands out of the tree to stay within the limits: %s",
                len(taken),
                ", ".join(_shown(info) for info in taken),
            )
        self._observe(self.global_count())
        return taken

    def _entries(self) -> list[_Entry]:
        """Application commands in the tree, oldest first: those added outside any plugin, then
        each plugin's in load order and in the order it added them."""
        contexts = self._contexts()
        attributed: list[_Entry] = []
        seen: set[int] = set()
        for name in self._load_order():
            ctx = contexts.get(name)
            if ctx is None:
                continue
            for command, guild_ids in ctx.registrations.app_commands:
                entry = _Entry(command, ctx, scopes_of(command, guild_ids), command_type(command))
                if id(command) not in seen and self._in_tree(entry):
                    seen.add(id(command))
                    attributed.append(entry)
        loose: list[_Entry] = []
        for scope in self._scopes():
            for kind in (CHAT_INPUT, discord.AppCommandType.user, discord.AppCommandType.message):
                for command in tree_commands(self.bot.tree, kind, scope):
                    if id(command) not in seen:
                        seen.add(id(command))
                        loose.append(_Entry(command, None, (scope,), kind))
        return loose + attributed

    def _in_tree(self, entry: _Entry) -> bool:
        tree = self.bot.tree
        return all(
            tree.get_command(entry.command.name, guild=scope_object(scope), type=entry.kind) is entry.command
            for scope in entry.scopes
        )

    def _take_out(self, entry: _Entry, reason: Reason) -> LimitedCommand:
        for scope in entry.scopes:
            self.bot.tree.remove_command(entry.command.name, guild=scope_object(scope), type=entry.kind)
        plugin = entry.owner.name if entry.owner is not None else None
        return self._keep_out(entry.command, entry.owner, plugin, entry.kind, entry.scopes, reason)

    # --- giving slots back -------------------------------------------------------------------------

    def rebalance(self) -> list[LimitedCommand]:
        """Forget records of plugins that are gone, then put commands kept out by the slash
        limit back into the tree while their scopes have free slots below the limit, oldest
        plugin first. Returns those put back."""
        self.prune()
        promoted = self._give_back()
        if promoted:
            self.log.info(
                "slots were freed: %d commands are slash commands again: %s",
                len(promoted),
                ", ".join(_shown(info) for info in promoted),
            )
        self._observe(self.global_count())
        return promoted

    def _give_back(self) -> list[LimitedCommand]:
        order = {name: index for index, name in enumerate(self._load_order())}
        waiting = sorted(
            (r for r in self._records.values() if r.info.reason is Reason.SLASH_LIMIT),
            key=lambda r: (order.get(r.info.plugin, -1) if r.info.plugin else -1, r.sequence),
        )
        promoted: list[LimitedCommand] = []
        for record in waiting:
            name = record.info.name
            scopes = record.info.guild_ids
            if all(self._free_slot(record.kind, s, name) for s in scopes) and self._promote(record):
                promoted.append(record.info)
        return promoted

    def _free_slot(self, kind: discord.AppCommandType, scope: Scope, name: str) -> bool:
        return not self._present(kind, scope, name) and self._count(kind, scope) < self._capacity(kind)

    def _promote(self, record: _Record) -> bool:
        """Add the command back, on behalf of its plugin so that the plugin's unload removes it."""
        command: AppCommandLike = record.info.command
        owner = record.owner
        scopes = record.info.guild_ids
        if owner is not None:
            owner.registrations.app_commands[:] = [
                entry for entry in owner.registrations.app_commands if entry[0] is not command
            ]
        self._promoting = command
        try:
            with owner.active() if owner is not None else contextlib.nullcontext():
                if scopes == GLOBAL:
                    self.bot.tree.add_command(command)
                else:
                    self.bot.tree.add_command(
                        command, guilds=[discord.Object(id=s) for s in scopes if s is not None]
                    )
        except app_commands.AppCommandError as error:
            self.log.warning("could not give %s its slash form back: %s", _shown(record.info), error)
            return False
        finally:
            self._promoting = None
        entry = _Entry(command, owner, scopes, record.kind)
        if not self._in_tree(entry):  # another plugin's admission hook refused it
            return False
        self._records.pop(record.key, None)
        return True

    def prune(self) -> None:
        """Drop the records of commands whose plugin is no longer loaded (or was reloaded), and
        of hybrid commands whose prefix form is gone."""
        for key, record in list(self._records.items()):
            if not self._alive(record):
                del self._records[key]

    def _alive(self, record: _Record) -> bool:
        owner = record.owner
        if (
            owner is not None
            and self._contexts().get(owner.name) is not owner
            and current_plugin() is not owner
        ):
            return False
        if record.info.prefix_only:
            form = prefix_form(self.bot, record.info.command)
            return form is not None and self.bot.all_commands.get(form.name) is form
        return True

    # --- reporting ---------------------------------------------------------------------------------

    def global_count(self) -> int:
        """Global chat-input commands in the tree: what a global sync sends."""
        return self._count(CHAT_INPUT, None)

    def guild_count(self, guild_id: int) -> int:
        """Chat-input commands the tree holds for one guild only."""
        return self._count(CHAT_INPUT, guild_id)

    def state(self, count: int | None = None) -> LimitState:
        """``ok``, ``warning`` (at or past the warning threshold) or ``at safe limit``."""
        value = self.global_count() if count is None else count
        if value >= self.settings.safe_limit:
            return LimitState.AT_SAFE_LIMIT
        if value >= self.settings.warning_threshold:
            return LimitState.WARNING
        return LimitState.OK

    def kept_out(self) -> list[LimitedCommand]:
        """Every command the limiter keeps out of the tree now, oldest first."""
        live = sorted((r for r in self._records.values() if self._alive(r)), key=lambda r: r.sequence)
        return [record.info for record in live]

    def usage(self) -> SlashUsage:
        """Counts, thresholds, each plugin's share and the commands kept out, as of now."""
        count = self.global_count()
        kept = self.kept_out()
        limited = [info for info in kept if info.reason is Reason.SLASH_LIMIT]
        guilds: dict[int, int] = {}
        for scope in self._scopes():
            if scope is not None and (n := self.guild_count(scope)):
                guilds[scope] = n
        return SlashUsage(
            global_commands=count,
            max_limit=self.settings.max_limit,
            warning_threshold=self.settings.warning_threshold,
            safe_limit=self.settings.safe_limit,
            state=self.state(count),
            context_menus={
                kind_name(kind): self._count(kind, None)
                for kind in (discord.AppCommandType.user, discord.AppCommandType.message)
            },
            context_menu_limit=CONTEXT_MENU_LIMIT,
            guild_commands=guilds,
            plugins=tuple(self._plugin_usage(kept)),
            prefix_only=tuple(info for info in limited if info.prefix_only),
            not_registered=tuple(info for info in limited if not info.prefix_only),
            by_setting=tuple(info for info in kept if info.reason is Reason.PLUGIN_SETTING),
        )

    def _plugin_usage(self, kept: list[LimitedCommand]) -> Iterator[PluginUsage]:
        slash: dict[str | None, int] = {}
        for entry in self._entries():
            if entry.kind is CHAT_INPUT:
                plugin = entry.owner.name if entry.owner is not None else None
                slash[plugin] = slash.get(plugin, 0) + 1
        names: list[str | None] = [None, *self._load_order()]
        names.extend(info.plugin for info in kept if info.plugin not in names)
        for plugin in names:
            prefix_only = sum(1 for info in kept if info.plugin == plugin and info.prefix_only)
            missing = sum(1 for info in kept if info.plugin == plugin and not info.prefix_only)
            counts = (slash.get(plugin, 0), prefix_only, missing)
            if any(counts):
                yield PluginUsage(plugin, *counts)

    def marker(self, command: Any) -> str | None:
        """The help marker of a prefix command whose slash form the limiter keeps out, else None."""
        root = command
        while getattr(root, "parent", None) is not None:
            root = root.parent
        app = getattr(root, "app_command", None)
        if app is None:
            return None
        for record in self._records.values():
            if record.info.command is app and self._alive(record):
                return LIMIT_MARKER if record.info.reason is Reason.SLASH_LIMIT else SETTING_MARKER
        return None

    # --- the bot's plugins -------------------------------------------------------------------------

    def _contexts(self) -> Mapping[str, PluginContext]:
        host = getattr(self.bot, "plugins", None)
        return host.contexts if host is not None else {}

    def _load_order(self) -> list[str]:
        host = getattr(self.bot, "plugins", None)
        return list(host.load_order) if host is not None else []

    def _scopes(self) -> list[Scope]:
        """The global scope and every guild the bot is in or a plugin added commands for."""
        found: dict[Scope, None] = {None: None}
        for guild in self.bot.guilds:
            found[guild.id] = None
        for ctx in self._contexts().values():
            for _, guild_ids in ctx.registrations.app_commands:
                found.update(dict.fromkeys(guild_ids))
        for record in self._records.values():
            found.update(dict.fromkeys(record.info.guild_ids))
        return list(found)


def _shown(info: LimitedCommand) -> str:
    return f"/{info.name}" if info.kind == "slash" else f"{info.name} ({info.kind} menu)"
