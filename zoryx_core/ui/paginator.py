"""Paging through embeds with first / previous / next / last buttons."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

import discord

from .colors import Emojis
from .embeds import EmbedKind, fit_embed, make_embed
from .views import ActionButton, Target, ZoryxView

__all__ = ["Paginator", "chunked", "field_pages", "with_page_footer"]

T = TypeVar("T")


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the last may be shorter)."""
    if size < 1:
        raise ValueError("size must be at least 1")
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def field_pages(
    items: Sequence[tuple[str, str]],
    *,
    title: str,
    description: str | None = None,
    per_page: int = 10,
    kind: EmbedKind | str = EmbedKind.INFO,
    inline: bool = False,
    footer: str | None = None,
    empty: str = "Nothing to show.",
) -> list[discord.Embed]:
    """Embeds of ``per_page`` fields each from ``(name, value)`` pairs (at most 25 a page, as
    Discord allows); one page saying ``empty`` when there are none."""
    per_page = min(max(per_page, 1), 25)
    pages = [
        make_embed(
            kind,
            title,
            description,
            fields=[(name, value, inline) for name, value in batch],
            footer=footer,
        )
        for batch in chunked(items, per_page)
    ]
    return pages or [make_embed(kind, title, empty, footer=footer)]


_PAGE_MARKER = re.compile(r"\s*[•·]?\s*Page \d+/\d+")


def with_page_footer(embed: discord.Embed, number: int, count: int) -> discord.Embed:
    """A copy of ``embed`` whose footer ends in ``Page number/count`` (once: a page marker
    already in the footer is replaced; a single page gets none)."""
    page = embed.copy()
    text = _PAGE_MARKER.sub("", page.footer.text or "").strip(" •·")
    if count > 1:
        marker = f"Page {number}/{count}"
        text = f"{text} • {marker}" if text else marker
    page.set_footer(text=text or None, icon_url=page.footer.icon_url)
    return fit_embed(page)


class Paginator(ZoryxView):
    """Pages of embeds, ``Page i/n`` in each footer, with ⏮ First, ◀ Previous, Next ▶ and Last ⏭
    buttons disabled at the ends. A single page is sent without buttons.

    ``await Paginator(pages, author=ctx.author).send(ctx)``.
    """

    def __init__(
        self,
        pages: Sequence[discord.Embed],
        *,
        author: discord.abc.User,
        timeout: float | None = 180.0,
        start: int = 0,
        allowed_user_ids: Iterable[int] = (),
        command_name: str | None = None,
    ) -> None:
        super().__init__(
            author, timeout=timeout, allowed_user_ids=allowed_user_ids, command_name=command_name
        )
        if not pages:
            raise ValueError("a Paginator needs at least one page")
        self.pages = list(pages)
        self.index = min(max(start, 0), len(self.pages) - 1)
        self.first_button = ActionButton(self._first, label="First", emoji=Emojis.FIRST)
        self.previous_button = ActionButton(self._previous, label="Previous", emoji=Emojis.PREVIOUS)
        self.next_button = ActionButton(self._next, label="Next", emoji=Emojis.NEXT)
        self.last_button = ActionButton(self._last, label="Last", emoji=Emojis.LAST)
        if len(self.pages) > 1:
            for button in (self.first_button, self.previous_button, self.next_button, self.last_button):
                self.add_item(button)
        self._update_buttons()

    @property
    def page_count(self) -> int:
        return len(self.pages)

    def current_embed(self) -> discord.Embed:
        """The current page with its ``Page i/n`` footer."""
        return with_page_footer(self.pages[self.index], self.index + 1, self.page_count)

    def _update_buttons(self) -> None:
        at_start = self.index == 0
        at_end = self.index == self.page_count - 1
        self.first_button.disabled = self.previous_button.disabled = at_start
        self.next_button.disabled = self.last_button.disabled = at_end

    async def show_page(self, interaction: discord.Interaction[Any], index: int) -> None:
        """Show page ``index`` (clamped), editing the message in place."""
        self.index = min(max(index, 0), self.page_count - 1)
        self._update_buttons()
        await interaction.response.edit_message(embed=self.current_embed(), view=self)

    async def _first(self, interaction: discord.Interaction[Any]) -> None:
        await self.show_page(interaction, 0)

    async def _previous(self, interaction: discord.Interaction[Any]) -> None:
        await self.show_page(interaction, self.index - 1)

    async def _next(self, interaction: discord.Interaction[Any]) -> None:
        await self.show_page(interaction, self.index + 1)

    async def _last(self, interaction: discord.Interaction[Any]) -> None:
        await self.show_page(interaction, self.page_count - 1)

    async def send(self, target: Target, content: str | None = None, **kwargs: Any) -> discord.Message:
        """Send the current page (see :meth:`ZoryxView.send`)."""
        kwargs.setdefault("embed", self.current_embed())
        return await super().send(target, content, **kwargs)
