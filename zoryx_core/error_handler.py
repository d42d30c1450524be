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

__all__ = ["ErrorReporter", "describe_error"]

log = logging.getLogger("zoryx.errors")


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value < 60 else f"{value / 60:.1f} min"


def describe_error(error: BaseException, *, usage: str | None = None) -> tuple[str, bool]:
    """A message for the user, and whether the error is unexpected (a bug: log the traceback)."""
    if isinstance(error, commands.CommandOnCooldown | app_commands.CommandOnCooldown):
        return f"⏳ Slow down: try again in {_seconds(error.retry_after)}.", False
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
            await self._reply_context(ctx, message, unexpected)
        await self.bot.plugins.notify(
            "zoryx_command_error", event=self.bot.command_event(ctx=ctx), error=original
        )

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
            await self.send_ephemeral(interaction, message, unexpected)
        event = self.bot.command_event(interaction=interaction)
        await self.bot.plugins.notify("zoryx_command_error", event=event, error=original)

    async def send_ephemeral(
        self, interaction: discord.Interaction[Any], message: str, unexpected: bool = False
    ) -> None:
        """Answer an interaction privately, whether or not it was answered before; never raises."""
        embed = _embed(message, unexpected)
        try:
            if interaction.response.is_done():
                await interaction.followup.send(embed=embed, ephemeral=True)
            else:
                await interaction.response.send_message(embed=embed, ephemeral=True)
        except Exception as error:
            self._reply_failed(interaction.command, error)

    async def _reply_context(self, ctx: commands.Context[Any], message: str, unexpected: bool) -> None:
        if ctx.interaction is not None:
            await self.send_ephemeral(ctx.interaction, message, unexpected)
            return
        embed = _embed(message, unexpected)
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


def _embed(message: str, unexpected: bool) -> discord.Embed:
    text = redact_text(message)
    if unexpected:
        return error_embed("Command failed", text)
    return warning_embed("Not now", text)


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
