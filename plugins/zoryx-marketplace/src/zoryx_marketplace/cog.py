"""The ``marketplace`` commands (hybrid: ``!marketplace ...`` and ``/marketplace ...``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord import app_commands
from discord.ext import commands

from marketplace_client import CatalogError, parse_status
from zoryx_core import ZoryxBot, owner_only
from zoryx_core.hybrid import hybrid_group
from zoryx_core.ui import error_embed, success_embed

from .service import MarketplaceService

if TYPE_CHECKING:
    from .operations import Operations

__all__ = ["COG_NAME", "MarketplaceCog"]

COG_NAME = "Marketplace"


class MarketplaceCog(commands.Cog, name=COG_NAME):
    """Browse and search the plugin marketplace; bot owners install, update and remove plugins."""

    def __init__(self, service: MarketplaceService, operations: Operations | None = None) -> None:
        self.service = service
        self._operations = operations

    @property
    def operations(self) -> Operations:
        """Install, update, uninstall and their replies: made (and imported, with the embeds,
        prompts and result types they use) when a command first needs them."""
        if self._operations is None:
            from .operations import Operations

            self._operations = Operations(self.service)
        return self._operations

    @hybrid_group(name="marketplace", invoke_without_command=True, fallback="menu")
    async def marketplace(self, ctx: commands.Context[ZoryxBot]) -> None:
        """Open the marketplace: browse, search, plugins by status, refresh."""
        from .menu import open_menu

        await ctx.defer()
        await open_menu(self.service, self.operations, ctx, ctx.author)

    # discord.py types HybridGroup.command for pyright; mypy reduces its ParamSpec to Never
    @marketplace.command(name="browse")  # type: ignore[arg-type]
    @app_commands.describe(status="Only plugins with this status: working, beta or broken")
    async def browse(self, ctx: commands.Context[ZoryxBot], status: str | None = None) -> None:
        """Every plugin, five a page (or only those with a status: working, beta, broken)."""
        from .menu import open_menu

        try:
            wanted = parse_status(status)
        except ValueError as error:
            await ctx.send(embed=error_embed("Unknown status", f"{error}."), ephemeral=True)
            return
        await ctx.defer()
        await open_menu(self.service, self.operations, ctx, ctx.author, listing=True, status=wanted)

    @marketplace.command(name="search")  # type: ignore[arg-type]
    @app_commands.describe(query="Words that must all appear in a plugin's name, tags or summary")
    async def search(self, ctx: commands.Context[ZoryxBot], *, query: str) -> None:
        """Plugins whose name, tags or summary contain every word given."""
        from .menu import open_menu

        await ctx.defer()
        await open_menu(self.service, self.operations, ctx, ctx.author, listing=True, query=query.strip())

    @marketplace.command(name="info")  # type: ignore[arg-type]
    @app_commands.describe(plugin="The plugin's name")
    async def info(self, ctx: commands.Context[ZoryxBot], *, plugin: str) -> None:
        """A plugin's details: status, versions, what this bot runs, dependencies."""
        from .menu import open_menu

        await ctx.defer()
        await open_menu(self.service, self.operations, ctx, ctx.author, plugin=plugin.strip())

    @owner_only()
    @marketplace.command(name="install")  # type: ignore[arg-type]
    @app_commands.describe(plugin="NAME, or NAME==VERSION")
    async def install(self, ctx: commands.Context[ZoryxBot], *, plugin: str) -> None:
        """Install a plugin and load it at once (bot owners; asks for confirmation)."""
        await ctx.defer()
        await self.operations.install(ctx, ctx.author, plugin.strip())

    @owner_only()
    @marketplace.command(name="uninstall")  # type: ignore[arg-type]
    @app_commands.describe(plugin="The installed plugin's name")
    async def uninstall(self, ctx: commands.Context[ZoryxBot], *, plugin: str) -> None:
        """Unload and remove a plugin, keeping or deleting its data (bot owners; confirmation)."""
        await ctx.defer()
        await self.operations.uninstall(ctx, ctx.author, plugin.strip())

    @owner_only()
    @marketplace.command(name="update")  # type: ignore[arg-type]
    @app_commands.describe(plugin="One installed plugin; leave out to update every outdated one")
    async def update(self, ctx: commands.Context[ZoryxBot], *, plugin: str | None = None) -> None:
        """Update one plugin, or every outdated one, and reload it live (bot owners; confirmation)."""
        await ctx.defer()
        await self.operations.update(ctx, ctx.author, plugin.strip() if plugin else None)

    @marketplace.command(name="refresh")  # type: ignore[arg-type]
    @commands.cooldown(1, 30.0, commands.BucketType.user)
    async def refresh(self, ctx: commands.Context[ZoryxBot]) -> None:
        """Fetch the catalog now instead of using the cached copy."""
        await ctx.defer()
        try:
            catalog = await self.service.catalog(refresh=True)
        except CatalogError as error:
            await ctx.send(
                embed=error_embed("The catalog could not be refreshed", str(error)), ephemeral=True
            )
            return
        count = len(catalog.plugins)
        await ctx.send(
            embed=success_embed(
                "Catalog refreshed",
                f"{catalog.name}: {count} plugin{'' if count == 1 else 's'}, terms version "
                f"`{catalog.terms.version}`.",
            )
        )

    @owner_only()
    @marketplace.command(name="fixdeps")  # type: ignore[arg-type]
    async def fixdeps(self, ctx: commands.Context[ZoryxBot]) -> None:
        """Install what installed plugins declare but lack, read from their metadata (bot owners)."""
        await ctx.defer()
        await self.operations.fixdeps(ctx, ctx.author)

    @owner_only()
    @marketplace.command(name="myid")  # type: ignore[arg-type]
    async def myid(self, ctx: commands.Context[ZoryxBot]) -> None:
        """Send this bot's marketplace instance id to you by direct message (bot owners)."""
        await ctx.defer(ephemeral=True)
        await self.operations.send_instance_id(ctx, ctx.author)
