"""The one error handler: every command error is reported once, to the user and to the log.

Text commands get a reply that deletes itself after ``errors.delete_after`` seconds; slash
commands get an ephemeral reply. Unexpected failures are logged with their traceback and a short
reference the user can quote. A command or cog with its own error handler (``@cmd.error`` or
``cog_command_error`` / ``cog_app_command_error``) handles its errors itself: the global reply is
not sent, though the ``zoryx_command_error`` hook and the counters still see the error.

The handler never raises: a reply that cannot be sent (an HTTP error, a dropped connection, a
timeout) is logged with the command and its plugin. Every text it sends goes through
:func:`~zoryx_core.redact.redact_text`, so URL credentials and DSN passwords never reach a user. A
full disk is named as such, with the path that could not be written.
"""

from __future__ import annotations

import difflib
import logging
import secrets
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from .disk_full import find_disk_full
from .redact import redact_text
from .ui.embeds import error_embed, warning_embed

if TYPE_CHECKING:
    from .bot import ZoryxBot

__all__ = ["REFUSAL_TITLES", "ErrorReporter", "describe_error", "error_title", "refusal_title"]

log = logging.getLogger("zoryx.errors")


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value < 60 else f"{value / 60:.1f} min"


_TIER_TITLES = {
    "bot owner": "Owners only",
    "server": "Servers only",
    "granted role": "Role needed",
    "server owner": "Server owner only",
    "permissions": "Permission needed",
    "gone": "No longer available",
}
REFUSAL_TITLES = frozenset(
    {
        *_TIER_TITLES.values(),
        "Not allowed",
        "Slow down",
        "Busy",
        "Wrong place",
        "Missing argument",
        "Check the arguments",
        "Disabled",
        "Bot lacks a permission",
        "Unknown command",
    }
)
"""The titles of replies that refuse a command (as opposed to "Command failed", a bug)."""


def refusal_title(tier: str) -> str:
    """The title of a refusal by the permission check's ``tier`` (see :class:`AccessDenied`)."""
    return _TIER_TITLES.get(tier, "Not allowed")


def error_title(error: BaseException) -> str:
    """The title of the reply to ``error``: what kind of refusal it is, or "Command failed"."""
    if isinstance(error, commands.CommandOnCooldown | app_commands.CommandOnCooldown):
        return "Slow down"
    if isinstance(error, commands.MaxConcurrencyReached):
        return "Busy"
    if isinstance(
        error, commands.NoPrivateMessage | app_commands.NoPrivateMessage | commands.PrivateMessageOnly
    ):
        return "Wrong place"
    if isinstance(error, commands.MissingPermissions | app_commands.MissingPermissions):
        return "Permission needed"
    if isinstance(error, commands.BotMissingPermissions | app_commands.BotMissingPermissions):
        return "Bot lacks a permission"
    if isinstance(error, commands.NotOwner):
        return "Owners only"
    if isinstance(error, commands.MissingRequiredArgument):
        return "Missing argument"
    if isinstance(error, commands.UserInputError | app_commands.TransformerError):
        return "Check the arguments"
    if isinstance(error, commands.DisabledCommand):
        return "Disabled"
    if isinstance(error, commands.CheckFailure | app_commands.CheckFailure):
        return refusal_title(str(getattr(error, "tier", "")))
    if find_disk_full(error) is not None:
        return "Disk full"
    return "Command failed"


def describe_error(error: BaseException, *, usage: str | None = None) -> tuple[str, bool]:
    """A message for the user, and whether the error is unexpected (a bug: log the traceback)."""
    if isinstance(error, commands.CommandOnCooldown | app_commands.CommandOnCooldown):
        return f"⏳ Please try again in {_seconds(error.retry_after)}.", False
    if isinstance(error, commands.MaxConcurrencyReached):
        return "⏳ This command is already running as often as it may; try again shortly.", False
    if isinstance(error, commands.NoPrivateMessage | app_commands.NoPrivateMessage):
        return "This command can only be used in a server.", False
    if isinstance(error, commands.PrivateMessageOnly):
        return "This command can only be used in direct messages.", False
    if isinstance(error, commands.MissingPermissions | app_commands.MissingPermissions):
        names = ", ".join(p.replace("_", " ").replace("guild", "server") for p in error.missing_permissions)
        return f"You need the {names} permission for this.", False
    if isinstance(error, commands.BotMissingPermissions | app_commands.BotMissingPermissions):
        names = ", ".join(p.replace("_", " ").replace("guild", "server") for p in error.missing_permissions)
        return f"I need the {names} permission for this.", False
    if isinstance(error, commands.NotOwner):
        return "This command is for the bot's owners only.", False
    if isinstance(error, commands.MissingRequiredArgument):
        hint = f"\nUsage: `{usage}`" if usage else ""
        return f"Missing the `{error.param.name}` argument.{hint}", False
    if isinstance(error, commands.TooManyArguments):
        hint = f"\nUsage: `{usage}`" if usage else ""
        return f"Too many arguments.{hint}", False
    if isinstance(error, commands.UserInputError | app_commands.TransformerError):
        hint = f"\nUsage: `{usage}`" if usage else ""
        return f"{error}{hint}", False
    if isinstance(error, commands.DisabledCommand):
        return "This command is disabled.", False
    if isinstance(error, commands.CheckFailure | app_commands.CheckFailure):
        text = str(error)
        if not text or text.startswith("The check functions") or text.startswith("The global check"):
            text = "You cannot use this command here."
        return text, False
    full = find_disk_full(error)
    if full is not None:
        where = f" ({full.path} could not be written)" if full.path else ""
        return f"💾 The bot's disk is full{where}; nothing was saved. The bot's owner must free space.", True
    return "Something went wrong while running this command.", True


class ErrorReporter:
    """Formats and sends error replies; owned by the bot (``bot.errors``)."""

    def __init__(self, bot: ZoryxBot) -> None:
        self.bot = bot

    @property
    def delete_after(self) -> float | None:
        seconds = float(self.bot.settings["errors.delete_after"])
        return seconds or None

    async def context_error(self, ctx: commands.Context[Any], error: commands.CommandError) -> None:
        """The path of prefix commands and hybrid commands (typed or slashed); never raises."""
        if isinstance(error, commands.CommandNotFound):
            if self.bot.settings["errors.suggest_commands"]:
                try:
                    await self._suggest(ctx)
                except Exception:
                    log.exception("suggesting a command for %r failed", ctx.invoked_with)
            return
        try:
            await self._context_error(ctx, error)
        except Exception:
            log.exception("the error handler failed while reporting an error of %s", self._who(ctx.command))

    async def _context_error(self, ctx: commands.Context[Any], error: commands.CommandError) -> None:
        original = _unwrap(error)
        handled_locally = _has_own_handler(ctx.command, ctx.cog)
        message, unexpected = describe_error(original, usage=_usage(ctx))
        reference = self._log(original, unexpected, ctx.command, ctx.author, ctx.guild)
        if unexpected:
            message = f"{message} The error was logged as `{reference}`."
        self.bot.metrics.command_failed()
        if not handled_locally:
            await self._reply_context(ctx, message, unexpected, error_title(original))
        await self.bot.plugins.notify(
            "zoryx_command_error", event=self.bot.command_event(ctx=ctx), error=original
        )

    async def _suggest(self, ctx: commands.Context[Any]) -> None:
        """``!halp``: "did you mean `!help`?", when a command the author may run is that close."""
        typed = (ctx.invoked_with or "").lower()
        if len(typed) < 3:
            return
        names = {name: command for name, command in self.bot.all_commands.items() if not command.hidden}
        close = difflib.get_close_matches(typed, list(names), n=1, cutoff=0.75)
        if not close:
            return
        command = names[close[0]]
        decision = await self.bot.permissions.decide(
            command, user=ctx.author, guild=ctx.guild, channel=ctx.channel
        )
        if not decision.allowed:
            return
        text = f"There is no `{ctx.prefix}{typed}` command. Did you mean `{ctx.prefix}{close[0]}`?"
        await self._reply_context(ctx, text, False, "Unknown command")

    async def interaction_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        """The path of slash and context-menu commands that are not hybrid; never raises."""
        try:
            await self._interaction_error(interaction, error)
        except Exception:
            who = self._who(interaction.command)
            log.exception("the error handler failed while reporting an error of %s", who)

    async def _interaction_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        original = _unwrap(error)
        command = interaction.command
        binding = getattr(command, "binding", None)
        handled_locally = bool(getattr(command, "on_error", None)) or (
            binding is not None
            and commands.Cog._get_overridden_method(binding.cog_app_command_error) is not None
        )
        message, unexpected = describe_error(original)
        reference = self._log(original, unexpected, command, interaction.user, interaction.guild)
        if unexpected:
            message = f"{message} The error was logged as `{reference}`."
        self.bot.metrics.command_failed()
        if not handled_locally:
            await self.send_ephemeral(interaction, message, unexpected, title=error_title(original))
        event = self.bot.command_event(interaction=interaction)
        await self.bot.plugins.notify("zoryx_command_error", event=event, error=original)

    async def send_ephemeral(
        self,
        interaction: discord.Interaction[Any],
        message: str,
        unexpected: bool = False,
        *,
        title: str | None = None,
    ) -> None:
        """Answer an interaction privately, whether or not it was answered before; never raises.
        ``title`` defaults to the refusal title of ``message``'s tier when it is a
        :class:`~zoryx_core.permissions.Refusal`."""
        if title is None:
            tier = getattr(message, "tier", None)
            title = refusal_title(tier) if tier is not None else None
        embed = _embed(message, unexpected, title)
        try:
            if interaction.response.is_done():
                await interaction.followup.send(embed=embed, ephemeral=True)
            else:
                await interaction.response.send_message(embed=embed, ephemeral=True)
        except Exception as error:
            self._reply_failed(interaction.command, error)

    async def _reply_context(
        self, ctx: commands.Context[Any], message: str, unexpected: bool, title: str
    ) -> None:
        if ctx.interaction is not None:
            await self.send_ephemeral(ctx.interaction, message, unexpected, title=title)
            return
        embed = _embed(message, unexpected, title)
        try:
            if self.delete_after is None:
                await ctx.send(embed=embed)
            else:
                await ctx.send(embed=embed, delete_after=self.delete_after)
        except Exception as error:
            self._reply_failed(ctx.command, error)

    def _who(self, command: Any) -> str:
        """``command 'name' (plugin zoryx-x)``: the command and the plugin it belongs to."""
        name = getattr(command, "qualified_name", None) or "?"
        callback = getattr(command, "callback", None)
        module = getattr(callback, "__module__", None)
        plugin = None
        plugins = getattr(self.bot, "plugins", None)
        if plugins is not None:
            try:
                plugin = plugins.plugin_of_module(module)
            except Exception:  # attribution is best effort; never let it hide the real report
                plugin = None
        return f"command {name!r}" + (f" (plugin {plugin})" if plugin else "")

    def _reply_failed(self, command: Any, error: Exception) -> None:
        reason = redact_text(f"{type(error).__name__}: {error}".rstrip(": "))
        log.warning("could not send the error reply for %s: %s", self._who(command), reason)

    def _log(
        self,
        error: BaseException,
        unexpected: bool,
        command: Any,
        user: discord.abc.User,
        guild: discord.Guild | None,
    ) -> str:
        reference = secrets.token_hex(4)
        name = self._who(command)
        where = f"guild {guild.id}" if guild else "DM"
        if unexpected:
            log.error("%s failed for user %s in %s [%s]", name, user.id, where, reference, exc_info=error)
        else:
            log.info("%s refused for user %s in %s: %s", name, user.id, where, error)
        return reference


def _embed(message: str, unexpected: bool, title: str | None = None) -> discord.Embed:
    text = redact_text(message)
    if unexpected:
        return error_embed(title or "Command failed", text)
    return warning_embed(title or "Not allowed", text)


def _unwrap(error: BaseException) -> BaseException:
    """The exception the command raised, out of discord.py's wrappers (invoke and hybrid errors)."""
    for _ in range(5):
        inner = getattr(error, "original", None)
        if not isinstance(inner, BaseException) or inner is error:
            break
        error = inner
    return error


def _has_own_handler(command: Any, cog: commands.Cog | None) -> bool:
    if command is not None and getattr(command, "has_error_handler", None) and command.has_error_handler():
        return True
    return bool(cog is not None and cog.has_error_handler())


def _usage(ctx: commands.Context[Any]) -> str | None:
    command = ctx.command
    if command is None:
        return None
    prefix = ctx.clean_prefix if ctx.interaction is None else "/"
    return f"{prefix}{command.qualified_name} {command.signature}".strip()
