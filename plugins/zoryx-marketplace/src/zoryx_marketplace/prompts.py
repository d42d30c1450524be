"""Questions the marketplace asks: accept the terms, keep or delete a plugin's data; and replies to
a command context or an interaction alike."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from zoryx_core.ui import ActionButton, Target, ZoryxView, info_embed, success_embed, warning_embed

from .render import terms_embed
from .terms import TermsBook

if TYPE_CHECKING:
    from marketplace_client import Catalog

__all__ = ["DataChoiceView", "TermsView", "ensure_terms", "reply"]


async def reply(target: Target, *, embed: discord.Embed, ephemeral: bool = False) -> None:
    """Answer through a command context or an interaction (its response, or a follow-up once it
    was answered). ``ephemeral`` applies to interactions and slash commands."""
    if isinstance(target, discord.Interaction):
        if target.response.is_done():
            await target.followup.send(embed=embed, ephemeral=ephemeral)
        else:
            await target.response.send_message(embed=embed, ephemeral=ephemeral)
        return
    await target.send(embed=embed, ephemeral=ephemeral)


class TermsView(ZoryxView):
    """Accept / Decline for the marketplace's terms; only the user asked may answer. An
    acceptance is stored before the message says so."""

    def __init__(
        self, author: discord.abc.User, catalog: Catalog, book: TermsBook, *, timeout: float
    ) -> None:
        super().__init__(author, timeout=timeout)
        self.catalog = catalog
        self.book = book
        self.result: bool | None = None
        self.add_item(
            ActionButton(self._accept, label="Accept", emoji="✅", style=discord.ButtonStyle.success)
        )
        self.add_item(ActionButton(self._decline, label="Decline", style=discord.ButtonStyle.danger))

    async def _accept(self, interaction: discord.Interaction[Any]) -> None:
        if self.result is not None:
            await interaction.response.defer()
            return
        await self.book.accept(self.author.id, self.catalog)
        self.result = True
        self.disable_all()
        embed = success_embed(
            "Terms accepted",
            f"{self.author.display_name} accepted the terms of {self.catalog.name} "
            f"(version `{self.catalog.terms.version}`).",
        )
        try:
            await interaction.response.edit_message(embed=embed, view=self)
        finally:
            self.stop()

    async def _decline(self, interaction: discord.Interaction[Any]) -> None:
        if self.result is not None:
            await interaction.response.defer()
            return
        self.result = False
        self.disable_all()
        embed = info_embed(
            "Terms declined", "The marketplace stays closed to you until you accept its terms."
        )
        try:
            await interaction.response.edit_message(embed=embed, view=self)
        finally:
            self.stop()

    async def on_timeout(self) -> None:
        if self.result is None:
            self.result = False
            self.disable_all()
            await self.update_message(
                embed=info_embed("No answer", "The terms were not accepted; nothing was done.")
            )

    async def wait_result(self) -> bool:
        """True once accepted; False when declined or not answered in time."""
        await self.wait()
        return self.result is True


async def ensure_terms(
    target: Target, user: discord.abc.User, catalog: Catalog, book: TermsBook, *, timeout: float
) -> bool:
    """True when ``user`` has accepted the catalog's current terms, asking first if needed."""
    if await book.has_accepted(user.id, catalog):
        return True
    view = TermsView(user, catalog, book, timeout=timeout)
    await view.send(target, embed=terms_embed(catalog))
    return await view.wait_result()


class DataChoiceView(ZoryxView):
    """Keep or delete a plugin's data folder; no answer in time keeps it."""

    def __init__(self, author: discord.abc.User, *, timeout: float, command_name: str | None = None) -> None:
        super().__init__(author, timeout=timeout, command_name=command_name)
        self.delete: bool | None = None
        self.add_item(ActionButton(self._keep, label="Keep data", emoji="📁"))
        self.add_item(
            ActionButton(self._delete, label="Delete data", emoji="🗑️", style=discord.ButtonStyle.danger)
        )

    @staticmethod
    def question(name: str, folder: str) -> discord.Embed:
        return warning_embed(
            f"{name} is unloaded: keep its data?",
            f"Its data folder `{folder}` can stay (for a later install) or be deleted with the plugin.",
        )

    async def _answer(self, interaction: discord.Interaction[Any], delete: bool) -> None:
        if self.delete is not None:
            await interaction.response.defer()
            return
        self.delete = delete
        self.clear_items()
        text = "The data folder will be deleted." if delete else "The data folder stays."
        try:
            await interaction.response.edit_message(embed=info_embed("Removing the plugin", text), view=None)
        finally:
            self.stop()

    async def _keep(self, interaction: discord.Interaction[Any]) -> None:
        await self._answer(interaction, False)

    async def _delete(self, interaction: discord.Interaction[Any]) -> None:
        await self._answer(interaction, True)

    async def on_timeout(self) -> None:
        if self.delete is None:
            self.delete = False

    async def wait_choice(self) -> bool:
        """True to delete the data folder; False to keep it (also when not answered)."""
        await self.wait()
        return self.delete is True
