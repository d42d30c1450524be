"""Built-in plugin ``core.privacy``: ``mydata forget`` asks every plugin, through the
``zoryx_delete_user_data`` hook, to delete what it stores about the user; the core's own share
(documents stored for the user in any plugin's namespace) is deleted by this plugin's hook."""

from __future__ import annotations

from discord.ext import commands

from zoryx_core import PluginContext, ZoryxBot, hookimpl
from zoryx_core.hybrid import hybrid_group
from zoryx_core.ui import ConfirmView, info_embed, success_embed, warning_embed

__all__ = ["PrivacyCog"]


class PrivacyCog(commands.Cog, name="Privacy"):
    """Your data and how to have it deleted."""

    def __init__(self, bot: ZoryxBot) -> None:
        self.bot = bot

    @hybrid_group(name="mydata", invoke_without_command=True, fallback="info")
    async def mydata(self, ctx: commands.Context[ZoryxBot]) -> None:
        """What the bot may keep about you, and how to delete it."""
        await ctx.send(
            embed=info_embed(
                "Your data",
                "Plugins may keep settings or records about you. "
                "`mydata forget` asks every plugin to delete them, in every server.",
            ),
            ephemeral=True,
        )

    # discord.py types HybridGroup.command for pyright; mypy reduces its ParamSpec to Never
    @mydata.command(name="forget")  # type: ignore[arg-type]
    async def forget(self, ctx: commands.Context[ZoryxBot]) -> None:
        """Delete what every plugin stores about you (asks for confirmation twice)."""
        view = ConfirmView(author=ctx.author, timeout=60, command_name="mydata")
        await view.send(
            ctx,
            embed=warning_embed(
                "Delete your data?",
                "Every plugin will delete what it stores about you, in every server. This cannot be undone.",
            ),
            ephemeral=True,
        )
        if not await view.wait_result():
            await ctx.send(
                embed=info_embed("Nothing deleted", "Your data was left as it is."), ephemeral=True
            )
            return
        report = await self.bot.plugins.delete_user_data(ctx.author.id)
        lines = [f"**{plugin}**: {answer}" for plugin, answer in report.items() if answer is not None]
        await ctx.send(
            embed=success_embed(
                "Your data was deleted", "\n".join(lines) or "No plugin held data about you."
            ),
            ephemeral=True,
        )


@hookimpl
async def zoryx_setup(bot: ZoryxBot, plugin: PluginContext) -> None:
    await bot.add_cog(PrivacyCog(bot))


@hookimpl
async def zoryx_delete_user_data(bot: ZoryxBot, user_id: int) -> str | None:
    removed = await bot.storage.purge_user(user_id)
    return f"{removed} stored records deleted" if removed else None
