"""Who may run a command: the one check every command path goes through.

Tiers, highest first: bot owners (``BOT_OWNER_ID`` / ``BOT_OWNER_IDS`` / ``owner_ids``) > the
server's owner > roles granted per server with ``config <command> <role>`` > Discord permissions
the command declares. Commands on the owner-only list are for bot owners only, whatever is granted.

A requirement declared on a group covers everything under it (subcommands and nested groups, on
every path), and one declared on a cog class covers every command of the cog: a command asks the
strictest of its own requirement and those of its parents and cog. That is worked out once per
command object, so the per-command check does no walking.

Prefix and hybrid commands (typed or slashed) meet the check as a global bot check; application
commands that are not hybrid meet it in the command tree's ``interaction_check``; component
callbacks of :class:`zoryx_core.ui.ZoryxView` ask :meth:`Permissions.component_refusal`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

if TYPE_CHECKING:
    from .bot import ZoryxBot
    from .guild_config import GuildConfig

__all__ = [
    "OWNER_ONLY_COMMANDS",
    "Access",
    "AccessDenied",
    "CommandAccess",
    "Decision",
    "Permissions",
    "Refusal",
    "Requirement",
    "effective_requirement",
    "guild_owner_only",
    "owner_only",
    "require_permissions",
    "requirement_of",
]

T = TypeVar("T")

OWNER_ONLY_COMMANDS: frozenset[str] = frozenset(
    {"load", "unload", "reload", "sync", "cachestats", "dbstats", "integritycheck", "cleanup", "atomictest"}
)
"""Commands only bot owners may run; no role grant opens them. Plugins add theirs with
:func:`owner_only` (install and cluster commands do)."""

_ATTRIBUTE = "__zoryx_requirement__"
_ACCESS_ATTRIBUTE = "__zoryx_access__"  # a command's CommandAccess, once worked out


class Access(StrEnum):
    """What a command asks of the user when no role is granted for it in the server."""

    PUBLIC = "public"
    PERMISSIONS = "permissions"
    """Discord permissions in the channel (``Requirement.permissions``)."""
    GUILD_OWNER = "guild owner"
    BOT_OWNER = "bot owner"


@dataclass(frozen=True)
class Requirement:
    """A command's declared access level and, for ``PERMISSIONS``, the Discord permission names."""

    access: Access = Access.PUBLIC
    permissions: tuple[str, ...] = ()

    @property
    def strictness(self) -> int:
        """Higher is stricter: who passes a stricter requirement passes the looser ones too."""
        return _STRICTNESS[self.access]

    def combined(self, other: Requirement) -> Requirement:
        """What passing both ``self`` and ``other`` asks: the stricter access; the permissions of
        both when both ask for permissions."""
        if self.access is Access.PERMISSIONS and other.access is Access.PERMISSIONS:
            return Requirement(Access.PERMISSIONS, tuple(dict.fromkeys(self.permissions + other.permissions)))
        return other if other.strictness > self.strictness else self

    def describe(self) -> str:
        if self.access is Access.PERMISSIONS:
            return "needs " + ", ".join(_permission_label(p) for p in self.permissions)
        return {
            Access.PUBLIC: "everyone",
            Access.GUILD_OWNER: "the server owner",
            Access.BOT_OWNER: "bot owners only",
        }[self.access]


_STRICTNESS = {Access.PUBLIC: 0, Access.PERMISSIONS: 1, Access.GUILD_OWNER: 2, Access.BOT_OWNER: 3}


class CommandAccess(NamedTuple):
    """What the check needs to know about a command, worked out once per command object."""

    name: str
    """The grant name: the top-level command's name (grants and the owner-only list use it)."""
    shown: str
    """The qualified name, for refusals."""
    requirement: Requirement
    """The command's own requirement combined with those of its parent groups and its cog."""
    source: str
    """Where the deciding requirement is declared when it is not on the command itself
    (``the `secret` group``, ``the `Vault` cog``); empty otherwise."""


class AccessDenied(commands.CheckFailure, app_commands.CheckFailure):
    """Raised by the permission check; its message is shown to the user. ``tier`` says which rule
    refused (``"bot owner"``, ``"server"``, ``"granted role"``, ``"server owner"``,
    ``"permissions"``), for the reply's title."""

    def __init__(self, message: str, *, tier: str = "") -> None:
        super().__init__(message)
        self.tier = tier


class Refusal(str):
    """The reason a command is refused (shown to the user), with the ``tier`` that refused it."""

    tier: str

    def __new__(cls, reason: str, tier: str = "") -> Refusal:
        made = super().__new__(cls, reason)
        made.tier = tier
        return made


@dataclass(frozen=True)
class Decision:
    """The answer of the check: allowed or not, through which tier, and why."""

    allowed: bool
    tier: str
    reason: str = ""


def _mark(requirement: Requirement) -> Callable[[T], T]:
    def decorate(func: T) -> T:
        # commands already built, or plain callbacks; app_commands.Group and cog classes have no
        # callback and carry the mark themselves
        target = getattr(func, "callback", func)
        setattr(target, _ATTRIBUTE, requirement)
        return func

    return decorate


def owner_only() -> Callable[[T], T]:
    """Mark a command bot-owner-only (like the fixed list: grants cannot open it). Put it above
    or below ``@commands.hybrid_command``. On a group (prefix, hybrid or an ``app_commands.Group``
    class) it covers every subcommand; on a cog class, every command of the cog."""
    return _mark(Requirement(Access.BOT_OWNER))


def guild_owner_only() -> Callable[[T], T]:
    """Mark a command for the server's owner (and bot owners, and roles granted with ``config``).
    Covers subcommands and cogs as :func:`owner_only` does."""
    return _mark(Requirement(Access.GUILD_OWNER))


def require_permissions(**permissions: bool) -> Callable[[T], T]:
    """Mark a command as needing Discord permissions in the channel, e.g.
    ``@require_permissions(manage_guild=True)``. Unlike ``commands.has_permissions``, bot owners,
    the server owner and granted roles pass too. Covers subcommands and cogs as :func:`owner_only`
    does; a subcommand declaring other permissions needs those of its group as well."""
    unknown = sorted(name for name in permissions if name not in discord.Permissions.VALID_FLAGS)
    if unknown:
        raise ValueError(f"unknown Discord permission(s) {', '.join(unknown)}")
    wanted = tuple(name for name, value in permissions.items() if value)
    return _mark(Requirement(Access.PERMISSIONS, wanted))


def requirement_of(command: Any) -> Requirement:
    """The requirement declared on a command (or its callback, or a cog) itself; public when none
    is. :meth:`Permissions.requirement` adds what its groups and cog declare."""
    for target in (command, getattr(command, "callback", None)):
        found = getattr(target, _ATTRIBUTE, None)
        if isinstance(found, Requirement):
            return found
    return Requirement()


def effective_requirement(command: Any) -> tuple[Requirement, str]:
    """The requirement ``command`` is held to: its own, its parent groups' (any depth) and its
    cog's, combined; with where the deciding one is declared (empty: on the command itself)."""
    requirement = requirement_of(command)
    source = ""
    for holder, label in _holders(command):
        declared = requirement_of(holder)
        if declared.access is Access.PUBLIC:
            continue
        merged = requirement.combined(declared)
        if merged.strictness > requirement.strictness:
            source = label
        requirement = merged
    return requirement, source


def _holders(command: Any) -> list[tuple[Any, str]]:
    """The groups above ``command``, nearest first, then its cog, each with a label for messages."""
    found: list[tuple[Any, str]] = []
    parent = getattr(command, "parent", None)
    while parent is not None:
        found.append((parent, f"the `{getattr(parent, 'qualified_name', parent)}` group"))
        parent = getattr(parent, "parent", None)
    cog = _cog_of(command)
    if cog is not None:
        found.append((cog, f"the `{cog.qualified_name}` cog"))
    return found


def _cog_of(command: Any) -> commands.Cog | None:
    cog = getattr(command, "cog", None)  # prefix and hybrid commands
    if isinstance(cog, commands.Cog):
        return cog
    binding = getattr(command, "binding", None)  # application commands
    if isinstance(binding, commands.Cog):
        return binding
    if isinstance(command, app_commands.Group):  # a GroupCog's group: its commands are bound to the cog
        for child in command.walk_commands():
            binding = getattr(child, "binding", None)
            if isinstance(binding, commands.Cog):
                return binding
    return None


def root_name(command: Any) -> str:
    """The name grants and the owner-only list use: the top-level command's name."""
    if isinstance(command, str):
        qualified = command
    else:
        qualified = str(getattr(command, "qualified_name", None) or getattr(command, "name", ""))
    return qualified.split(" ", 1)[0].lower()


class Permissions:
    """The bot's permission service (``bot.permissions``)."""

    def __init__(self, bot: ZoryxBot) -> None:
        self.bot = bot
        self.owner_only_names: set[str] = set(OWNER_ONLY_COMMANDS)

    # --- the decision ------------------------------------------------------------------------------

    def is_owner_only(self, command: Any) -> bool:
        """Whether only bot owners may run ``command`` (the fixed list, or a mark on the command,
        a group above it or its cog); no grant opens it."""
        name, _, requirement, _ = self._access(command)
        return name in self.owner_only_names or requirement.access is Access.BOT_OWNER

    def owner_only_reason(self, command: Any) -> str | None:
        """Why ``command`` is for bot owners only, as a clause for messages (``"`secret wipe` is
        for the bot's owners only, as the `secret` group is"``), or ``None`` when it is not."""
        name, shown, requirement, source = self._access(command)
        text = f"`{shown}` is for the bot's owners only"
        if requirement.access is Access.BOT_OWNER:
            return f"{text}, as {source} is" if source else text
        if name in self.owner_only_names:
            return text if name == shown else f"{text}, as the `{name}` command is"
        return None

    def requirement(self, command: Any) -> Requirement:
        """The requirement ``command`` is held to, its groups' and cog's included."""
        return self._access(command).requirement

    def find_command(self, name: str, guild: discord.abc.Snowflake | None = None) -> Any:
        """The prefix, hybrid or application command called ``name`` (a qualified name such as
        ``"vault wipe"`` reaches subcommands; ``guild``'s own application commands count), or
        ``None``."""
        wanted = " ".join(name.split())
        found: Any = self.bot.get_command(wanted)
        if found is not None:
            return found
        first, *rest = wanted.lower().split(" ")  # application command names are lower case
        for scope in (guild, None) if guild is not None else (None,):
            node: Any = self.bot.tree.get_command(first, guild=scope)
            for part in rest:
                node = node.get_command(part) if isinstance(node, app_commands.Group) else None
            if node is not None:
                return node
        return None

    def is_bot_owner(self, user_id: int) -> bool:
        return user_id in self.bot.all_owner_ids

    def _access(self, command: Any) -> CommandAccess:
        """A command's grant name, shown name and requirement (its groups' and cog's included):
        fixed once the command is registered (a cog, and a reload, make new command objects), so
        worked out once per command object."""
        found: CommandAccess | None = getattr(command, _ACCESS_ATTRIBUTE, None)
        if found is None:
            name = root_name(command)  # grants and the owner-only list are per top-level command
            shown = getattr(command, "qualified_name", None) or name  # refusals name the subcommand
            requirement, source = effective_requirement(command)
            found = CommandAccess(name, str(shown), requirement, source)
            # Kept on the command object itself (it goes away with it); one without a __dict__ is
            # worked out each time.
            with contextlib.suppress(AttributeError, TypeError):
                setattr(command, _ACCESS_ATTRIBUTE, found)
        return found

    async def decide(
        self,
        command: Any,
        *,
        user: discord.abc.User,
        guild: discord.Guild | None,
        channel: Any = None,
    ) -> Decision:
        """Whether ``user`` may run ``command`` in ``guild`` (``None``: a DM) and ``channel``."""
        access = self._access(command)
        decision = self._decide(access, user, guild, channel, None)
        if decision is None:
            assert guild is not None
            config = await self.bot.guild_configs.get(guild.id)
            decision = self._decide(access, user, guild, channel, config)
            assert decision is not None
        return decision

    def _decide(
        self,
        access: CommandAccess,
        user: discord.abc.User,
        guild: discord.Guild | None,
        channel: Any,
        config: GuildConfig | None,
    ) -> Decision | None:
        """The decision; ``None`` when it needs the server's config and none is cached (nor given)."""
        name, shown, requirement, _ = access
        if self.is_bot_owner(user.id):
            return _BOT_OWNER
        if name in self.owner_only_names or requirement.access is Access.BOT_OWNER:
            return Decision(False, "bot owner", f"`{shown}` is for the bot's owners only.")
        if guild is None:
            if requirement.access is not Access.PUBLIC:
                return Decision(False, "server", f"`{shown}` can only be used in a server.")
            return _EVERYONE
        if guild.owner_id == user.id:
            return _SERVER_OWNER
        if config is None:
            config = self.bot.guild_configs.cached(guild.id)
            if config is None:
                return None
        granted = config.grants.get(name)
        if granted:
            role_ids = {role.id for role in getattr(user, "roles", ())}
            if role_ids & set(granted):
                return _GRANTED
            roles = ", ".join(_role_label(guild, role_id) for role_id in granted)
            return Decision(False, "granted role", f"`{shown}` is limited to {roles} in this server.")
        if requirement.access is Access.GUILD_OWNER:
            return Decision(False, "server owner", f"`{shown}` is for the server owner.")
        if requirement.access is Access.PERMISSIONS:
            missing = _missing_permissions(user, guild, channel, requirement.permissions)
            if missing:
                labels = ", ".join(_permission_label(p) for p in missing)
                return Decision(
                    False,
                    "permissions",
                    f"`{shown}` needs the {labels} permission (or a role granted with `config`).",
                )
            return _PERMISSIONS
        return _EVERYONE

    # --- the paths ---------------------------------------------------------------------------------

    def check_context(self, ctx: commands.Context[Any]) -> bool | Coroutine[Any, Any, bool]:
        """The global check of prefix and hybrid commands; raises :class:`AccessDenied`.

        Decided at once when the server's config is cached (nearly always), so the usual
        command pays for no coroutine; otherwise it returns one that reads the config first
        (discord.py awaits what a check returns when it is awaitable)."""
        command = ctx.command
        if command is None:
            return True
        message = ctx.message  # what Context.author, .guild and .channel read (cached properties)
        decision = self._decide(self._access(command), message.author, message.guild, message.channel, None)
        if decision is None:
            return self._check_context_reading(ctx)
        if not decision.allowed:
            raise AccessDenied(decision.reason, tier=decision.tier)
        return True

    async def _check_context_reading(self, ctx: commands.Context[Any]) -> bool:
        decision = await self.decide(ctx.command, user=ctx.author, guild=ctx.guild, channel=ctx.channel)
        if not decision.allowed:
            raise AccessDenied(decision.reason, tier=decision.tier)
        return True

    async def interaction_refusal(self, interaction: discord.Interaction[Any]) -> Refusal | None:
        """For application commands that are not hybrid: the reason to refuse, or ``None``."""
        command = interaction.command
        if command is None or isinstance(command, commands.hybrid.HybridAppCommand):
            return None  # hybrids meet check_context through their Context
        decision = await self.decide(
            command, user=interaction.user, guild=interaction.guild, channel=interaction.channel
        )
        return None if decision.allowed else Refusal(decision.reason, decision.tier)

    async def component_refusal(
        self, interaction: discord.Interaction[Any], command_name: str
    ) -> Refusal | None:
        """For a button or select of a view a command created: may the clicker still run it?
        ``command_name`` may name a subcommand (``"vault wipe"``); a command that no longer
        exists (its plugin was unloaded) refuses the click."""
        command = self.find_command(command_name, interaction.guild)
        if command is None:
            return Refusal(f"`{command_name}` is no longer available.", "gone")
        decision = await self.decide(
            command, user=interaction.user, guild=interaction.guild, channel=interaction.channel
        )
        return None if decision.allowed else Refusal(decision.reason, decision.tier)

    async def can_run_app_command(self, ctx: commands.Context[Any], command: Any) -> bool:
        """Whether the author of ``ctx`` may run an application command (for listings)."""
        decision = await self.decide(command, user=ctx.author, guild=ctx.guild, channel=ctx.channel)
        return decision.allowed


_BOT_OWNER = Decision(True, "bot owner")
_SERVER_OWNER = Decision(True, "server owner")
_GRANTED = Decision(True, "granted role")
_PERMISSIONS = Decision(True, "permissions")
_EVERYONE = Decision(True, "everyone")


def _missing_permissions(
    user: discord.abc.User, guild: discord.Guild, channel: Any, wanted: Iterable[str]
) -> list[str]:
    if not isinstance(user, discord.Member):
        member = guild.get_member(user.id)
        if member is None:
            return list(wanted)
        user = member
    if channel is not None and hasattr(channel, "permissions_for"):
        have = channel.permissions_for(user)
    else:
        have = user.guild_permissions
    return [name for name in wanted if not getattr(have, name, False)]


def _permission_label(name: str) -> str:
    return name.replace("_", " ").replace("guild", "server").title()


def _role_label(guild: discord.Guild, role_id: int) -> str:
    role = guild.get_role(role_id)
    return f"@{role.name}" if role else f"role {role_id} (deleted)"
