"""The ``diagnostics`` commands (hybrid, bot owners only)."""

from __future__ import annotations

from discord.ext import commands

from zoryx_core import ZoryxBot, owner_only
from zoryx_core.hybrid import hybrid_group
from zoryx_core.storage import CorruptJsonError
from zoryx_core.ui import Paginator, error_embed

from .service import COG_NAME, Diagnostics

__all__ = ["DiagnosticsCog"]


class DiagnosticsCog(commands.Cog, name=COG_NAME):
    """Health of the bot: system, rates, lag, plugins, database; history and recent errors."""

    def __init__(self, service: Diagnostics) -> None:
        self.diagnostics_service = service

    @hybrid_group(name="diagnostics", invoke_without_command=True, fallback="show")
    @owner_only()
    async def diagnostics(self, ctx: commands.Context[ZoryxBot]) -> None:
        """The bot's health now: system, bot, rates, lag, latency, plugins, database, status."""
        from .render import report_embed  # the embeds are imported when first shown

        if ctx.interaction is not None:
            await ctx.defer(ephemeral=True)
        report = await self.diagnostics_service.report()
        blocked = self.diagnostics_service.blocked_loops()
        await ctx.send(embed=report_embed(report, blocked), ephemeral=True)

    # discord.py types HybridGroup.command for pyright; mypy reduces its ParamSpec to Never
    @diagnostics.command(name="history")  # type: ignore[arg-type]
    @owner_only()
    async def history(self, ctx: commands.Context[ZoryxBot]) -> None:
        """Past diagnostics reports, newest first."""
        from .render import history_pages

        service = self.diagnostics_service
        try:
            reports = await service.read_history()
        except CorruptJsonError as error:
            await ctx.send(embed=error_embed("History unreadable", str(error)), ephemeral=True)
            return
        pages = history_pages(reports, service.settings.report_interval_seconds)
        await Paginator(pages, author=ctx.author, command_name="diagnostics").send(ctx, ephemeral=True)

    @diagnostics.command(name="errors")  # type: ignore[arg-type]
    @owner_only()
    async def errors(self, ctx: commands.Context[ZoryxBot]) -> None:
        """The most recent command errors: when, which command, the error's type and message."""
        from .render import error_pages

        service = self.diagnostics_service
        pages = error_pages(service.recent_errors(), service.errors.total)
        await Paginator(pages, author=ctx.author, command_name="diagnostics").send(ctx, ephemeral=True)

    @diagnostics.command(name="stalls")  # type: ignore[arg-type]
    @owner_only()
    async def stalls(self, ctx: commands.Context[ZoryxBot]) -> None:
        """The last times the event loop was blocked: how long, in which plugin, where."""
        from .render import blocked_loop_pages

        service = self.diagnostics_service
        threshold = service.bot.watchdog.threshold
        pages = blocked_loop_pages(service.blocked_loops(), threshold)
        await Paginator(pages, author=ctx.author, command_name="diagnostics").send(ctx, ephemeral=True)
