"""The marketplace menu: home (counts by status), result pages of five with a dropdown to a
plugin's details, search through a modal, a status per button, refresh; the details screen
starts installs, updates and uninstalls. Every click edits the one message in place."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Literal

import discord
from packaging.version import Version

from marketplace_client import CatalogError, ListingStatus, PluginNotFoundError, search
from zoryx_core.ui import ActionButton, ActionSelect, Emojis, Target, ZoryxView, error_embed, truncate

from .operations import Operations
from .prompts import ensure_terms, reply
from .render import STATUS_EMOJI, details_embed, home_embed, page_embed
from .service import SELF, MarketplaceService

if TYPE_CHECKING:
    from marketplace_client import Catalog, CatalogPlugin, SearchPage

__all__ = ["PER_PAGE", "MarketplaceMenu", "SearchModal", "open_menu"]

log = logging.getLogger("zoryx.plugin.zoryx-marketplace")

PER_PAGE = 5
"""Plugins on one page of results."""

Mode = Literal["home", "list", "details"]


class SearchModal(discord.ui.Modal):
    """Words to search for in names, tags and summaries."""

    def __init__(self, menu: MarketplaceMenu) -> None:
        super().__init__(title="Search the marketplace", timeout=menu.timeout)
        self.menu = menu
        self.words: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="marketplace-search-words",
            placeholder="name, tag or words of the summary",
            min_length=1,
            max_length=100,
        )
        self.add_item(discord.ui.Label(text="Words to find", component=self.words))

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        return await self.menu.interaction_check(interaction)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        await self.menu.show_results(interaction, query=str(self.words.value).strip(), status=None)


class MarketplaceMenu(ZoryxView):
    """The interactive marketplace of one user (others are refused), on a catalog snapshot taken
    when it opened (Refresh takes a new one)."""

    def __init__(
        self,
        service: MarketplaceService,
        operations: Operations,
        catalog: Catalog,
        *,
        author: discord.abc.User,
        installed: dict[str, str],
    ) -> None:
        super().__init__(author, timeout=service.ui.menu_timeout, command_name="marketplace")
        self.service = service
        self.operations = operations
        self.catalog = catalog
        self.installed = installed
        self.mode: Mode = "home"
        self.query = ""
        self.status: ListingStatus | None = None
        self.page = 1
        self.selected: CatalogPlugin | None = None
        self.from_list = False
        self.render()

    # --- screens ---------------------------------------------------------------------------------------

    def _results(self) -> SearchPage:
        try:
            return search(self.catalog, self.query, status=self.status, page=self.page, per_page=PER_PAGE)
        except ValueError:  # the page is past the end (the catalog changed): back to the first
            self.page = 1
            return search(self.catalog, self.query, status=self.status, page=1, per_page=PER_PAGE)

    def current_embed(self) -> discord.Embed:
        if self.mode == "details" and self.selected is not None:
            return details_embed(
                self.selected, self.installed.get(self.selected.name), self.service.core_version()
            )
        if self.mode == "list":
            return page_embed(self._results(), self.installed)
        return home_embed(self.catalog, self.service.recovery)

    def render(self) -> None:
        """Lay out the controls of the current screen."""
        self.clear_items()
        if self.mode == "home":
            self._home_controls()
        elif self.mode == "list":
            self._list_controls()
        else:
            self._details_controls()

    def _home_controls(self) -> None:
        self.add_item(
            ActionButton(self._browse, label="Browse", emoji="📦", style=discord.ButtonStyle.primary, row=0)
        )
        self.add_item(ActionButton(self._search, label="Search", emoji="🔎", row=0))
        self.add_item(ActionButton(self._refresh_catalog, label="Refresh", emoji=Emojis.RELOAD, row=0))
        for status in ListingStatus:
            self.add_item(
                ActionButton(
                    self._status_handler(status),
                    label=status.value.title(),
                    emoji=STATUS_EMOJI[status],
                    row=1,
                )
            )

    def _list_controls(self) -> None:
        page = self._results()
        if page.items:
            options = [
                discord.SelectOption(
                    label=truncate(plugin.name, 100),
                    value=plugin.name,
                    description=truncate(plugin.summary or plugin.status.value, 100),
                    emoji=STATUS_EMOJI[plugin.status],
                )
                for plugin in page.items
            ]
            self.add_item(
                ActionSelect(self._chosen, options, placeholder="Choose a plugin for details…", row=0)
            )
        self.add_item(
            ActionButton(
                self._previous, label="Previous", emoji=Emojis.PREVIOUS, disabled=page.page <= 1, row=1
            )
        )
        self.add_item(
            ActionButton(self._next, label="Next", emoji=Emojis.NEXT, disabled=page.page >= page.pages, row=1)
        )
        self.add_item(ActionButton(self._search, label="Search", emoji="🔎", row=1))
        self.add_item(
            ActionButton(
                self._home, label="Back", emoji=Emojis.HOME, style=discord.ButtonStyle.primary, row=1
            )
        )

    def _details_controls(self) -> None:
        plugin = self.selected
        assert plugin is not None
        installed = self.installed.get(plugin.name)
        if plugin.name != SELF:
            if installed is None:
                self.add_item(
                    ActionButton(
                        self._install, label="Install", emoji="📥", style=discord.ButtonStyle.success
                    )
                )
            else:
                best = plugin.latest_compatible(self.service.core_version())
                if best is not None and best.parsed > Version(installed):
                    self.add_item(
                        ActionButton(
                            self._update,
                            label=f"Update to {best.version}",
                            emoji=Emojis.RELOAD,
                            style=discord.ButtonStyle.success,
                        )
                    )
                self.add_item(
                    ActionButton(
                        self._uninstall, label="Uninstall", emoji="🗑️", style=discord.ButtonStyle.danger
                    )
                )
        back = self._back_to_list if self.from_list else self._home
        self.add_item(
            ActionButton(back, label="Back", emoji=Emojis.PREVIOUS, style=discord.ButtonStyle.primary)
        )

    async def show(self, interaction: discord.Interaction[Any]) -> None:
        """Answer ``interaction`` by showing the current screen on the menu's message."""
        self.render()
        await interaction.response.edit_message(embed=self.current_embed(), view=self)

    async def show_results(
        self, interaction: discord.Interaction[Any], *, query: str, status: ListingStatus | None
    ) -> None:
        self.mode, self.query, self.status, self.page = "list", query, status, 1
        await self.show(interaction)

    async def show_details(self, interaction: discord.Interaction[Any] | None, plugin: CatalogPlugin) -> None:
        self.mode, self.selected = "details", plugin
        self.installed = await self.service.installed_versions()
        if interaction is not None:
            await self.show(interaction)
        else:
            self.render()

    # --- callbacks ---------------------------------------------------------------------------------------

    async def _browse(self, interaction: discord.Interaction[Any]) -> None:
        await self.show_results(interaction, query="", status=None)

    def _status_handler(self, status: ListingStatus) -> Callable[[discord.Interaction[Any]], Awaitable[None]]:
        async def handler(interaction: discord.Interaction[Any]) -> None:
            await self.show_results(interaction, query="", status=status)

        return handler

    async def _search(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_modal(SearchModal(self))

    async def _previous(self, interaction: discord.Interaction[Any]) -> None:
        self.page = max(1, self.page - 1)
        await self.show(interaction)

    async def _next(self, interaction: discord.Interaction[Any]) -> None:
        self.page += 1
        await self.show(interaction)

    async def _home(self, interaction: discord.Interaction[Any]) -> None:
        self.mode = "home"
        await self.show(interaction)

    async def _back_to_list(self, interaction: discord.Interaction[Any]) -> None:
        self.mode = "list"
        await self.show(interaction)

    async def _chosen(self, interaction: discord.Interaction[Any], values: list[str]) -> None:
        try:
            plugin = self.catalog.get(values[0]) if values else None
        except PluginNotFoundError:
            plugin = None
        if plugin is None:
            await interaction.response.defer()
            return
        self.from_list = True
        await self.show_details(interaction, plugin)

    async def _refresh_catalog(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer()
        try:
            catalog = await self.service.catalog(refresh=True)
        except CatalogError as error:
            await interaction.followup.send(
                embed=error_embed("The catalog could not be refreshed", str(error)), ephemeral=True
            )
            return
        self.catalog = catalog
        self.installed = await self.service.installed_versions()
        self.mode = "home"
        self.render()
        await self.update_message(embed=self.current_embed())
        if not await ensure_terms(
            interaction, self.author, catalog, self.service.terms, timeout=self.service.ui.confirm_timeout
        ):
            self.disable_all()
            await self.update_message()
            self.stop()

    async def _install(self, interaction: discord.Interaction[Any]) -> None:
        assert self.selected is not None
        await self.operations.install(interaction, interaction.user, self.selected.name, catalog=self.catalog)

    async def _update(self, interaction: discord.Interaction[Any]) -> None:
        assert self.selected is not None
        await self.operations.update(interaction, interaction.user, self.selected.name)

    async def _uninstall(self, interaction: discord.Interaction[Any]) -> None:
        assert self.selected is not None
        await self.operations.uninstall(interaction, interaction.user, self.selected.name)


async def open_menu(
    service: MarketplaceService,
    operations: Operations,
    target: Target,
    user: discord.abc.User,
    *,
    query: str = "",
    status: ListingStatus | None = None,
    listing: bool = False,
    plugin: str | None = None,
) -> None:
    """Show the marketplace to ``user``: after the terms, the home screen, a list (``listing``, with
    ``query`` and ``status``) or one plugin's details (``plugin``)."""
    catalog = await operations.catalog_for(target, allow_stale=True)
    if catalog is None or not await operations.terms_accepted(target, user, catalog):
        return
    selected = None
    if plugin is not None:
        try:
            selected = catalog.get(plugin)
        except PluginNotFoundError as error:
            await reply(target, embed=error_embed("Not in the marketplace", str(error)), ephemeral=True)
            return
    menu = MarketplaceMenu(
        service, operations, catalog, author=user, installed=await service.installed_versions()
    )
    if selected is not None:
        await menu.show_details(None, selected)
    elif listing:
        menu.mode, menu.query, menu.status = "list", query, status
        menu.render()
    await menu.send(target, embed=menu.current_embed())
