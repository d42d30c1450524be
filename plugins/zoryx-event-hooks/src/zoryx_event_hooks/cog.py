"""The owners' commands: ``hooks``, ``hookhistory [limit] [event]``, ``hook enable|disable <id>``."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from zoryx_core import ZoryxBot, owner_only
from zoryx_core.hybrid import hybrid_command, hybrid_group
from zoryx_core.ui import Paginator, error_embed, info_embed, success_embed

from .service import EventHooks, UnknownHookError

__all__ = ["EventHooksCog"]


class EventHooksCog(commands.Cog, name="Event Hooks"):
    """Callbacks on framework events: what is registered, what ran, switching callbacks off."""

    def __init__(self, hooks: EventHooks) -> None:
        self.hooks = hooks

    async def _page(self, ctx: commands.Context[ZoryxBot], pages: list[discord.Embed]) -> None:
        name = ctx.command.qualified_name if ctx.command else None
        await Paginator(pages, author=ctx.author, command_name=name).send(ctx)

    @hybrid_command(name="hooks")
    @owner_only()
    async def hooks_command(self, ctx: commands.Context[ZoryxBot]) -> None:
        """Events with their callbacks in run order, their state, failures and the queue."""
        from .render import hooks_pages  # the pages are imported when first shown

        await self._page(ctx, hooks_pages(self.hooks))

    @hybrid_command(name="hookhistory")
    @owner_only()
    @app_commands.describe(
        limit="how many executions to show, most recent first (default 20)",
        event="only this event's executions",
    )
    async def hookhistory(
        self, ctx: commands.Context[ZoryxBot], limit: int = 20, event: str | None = None
    ) -> None:
        """The most recent callback runs: event, callback, plugin, start, duration, outcome."""
        kept = self.hooks.history_size
        if not 1 <= limit <= kept:
            await ctx.send(
                embed=error_embed(
                    "Invalid limit",
                    f"`limit` must be a whole number from 1 to {kept} (the history keeps the last "
                    f"{kept} executions); you gave {limit}.",
                ),
                ephemeral=True,
            )
            return
        from .render import history_pages

        executions = self.hooks.history(limit, event=event)
        await self._page(ctx, history_pages(executions, self.hooks, event))

    @hybrid_group(name="hook", invoke_without_command=True)
    @owner_only()
    async def hook(self, ctx: commands.Context[ZoryxBot]) -> None:
        """Switch one hook callback off or on by its id."""
        await ctx.send(
            embed=info_embed(
                "Hook callbacks",
                "`hook disable <id>` switches a callback off until `hook enable <id>`; enabling also "
                "resets a tripped circuit breaker. `hooks` lists every callback with its id.",
            )
        )

    # discord.py types HybridGroup.command for pyright; mypy reduces its ParamSpec to Never
    @hook.command(name="enable")  # type: ignore[arg-type]
    @owner_only()
    @app_commands.describe(hook_id="the callback's id, as `hooks` shows it")
    async def enable(self, ctx: commands.Context[ZoryxBot], hook_id: str) -> None:
        """Switch a callback on again (and reset its circuit breaker)."""
        await self._switch(ctx, hook_id, enable=True)

    @hook.command(name="disable")  # type: ignore[arg-type]
    @owner_only()
    @app_commands.describe(hook_id="the callback's id, as `hooks` shows it")
    async def disable(self, ctx: commands.Context[ZoryxBot], hook_id: str) -> None:
        """Switch a callback off until it is enabled again (kept across restarts)."""
        await self._switch(ctx, hook_id, enable=False)

    async def _switch(self, ctx: commands.Context[ZoryxBot], hook_id: str, *, enable: bool) -> None:
        from .render import describe_state, plugin_label

        try:
            entry = self.hooks.get(hook_id)
        except UnknownHookError as error:
            await ctx.send(embed=error_embed("Unknown hook", str(error)), ephemeral=True)
            return
        was = describe_state(entry)
        entry = await (self.hooks.enable(entry.id) if enable else self.hooks.disable(entry.id))
        verb = "enabled" if enable else "disabled"
        await ctx.send(
            embed=success_embed(
                f"Hook {verb}",
                f"`{entry.id}`: `{entry.name}` on `{entry.event}` ({plugin_label(entry.plugin)}).\n"
                f"Was: {was}\nNow: {describe_state(entry)}",
            )
        )
