"""Searching the catalog: terms matched case-insensitively in name, summary and tags, a status
filter, and pages."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from zoryx_core.ui.text import plural

from .models import Catalog, CatalogPlugin, ListingStatus

__all__ = ["SearchPage", "parse_status", "search"]


@dataclass(frozen=True)
class SearchPage:
    """One page of search results; ``page`` counts from 1, ``pages`` is at least 1."""

    items: tuple[CatalogPlugin, ...]
    page: int
    pages: int
    total: int
    per_page: int
    query: str
    status: ListingStatus | None


def parse_status(text: str | ListingStatus | None) -> ListingStatus | None:
    """``"Beta"`` -> :attr:`ListingStatus.BETA`; ``None`` or ``""`` -> no filter; anything else raises
    :class:`ValueError` naming the allowed values."""
    if text is None or isinstance(text, ListingStatus):
        return text
    if not text.strip():
        return None
    try:
        return ListingStatus(text.strip().lower())
    except ValueError:
        allowed = ", ".join(status.value for status in ListingStatus)
        raise ValueError(f"unknown status {text!r}; use one of {allowed}") from None


def search(
    catalog: Catalog | Iterable[CatalogPlugin],
    query: str = "",
    *,
    status: ListingStatus | str | None = None,
    page: int = 1,
    per_page: int = 5,
) -> SearchPage:
    """Plugins matching every whitespace-separated term of ``query`` (in the name, the summary or a
    tag, ignoring case), optionally only those with ``status``; best matches first (name, then
    tag, then summary matches), ties by name. An empty query lists everything.

    Raises :class:`ValueError` for a page below 1 or past the last page, or ``per_page`` outside
    1..100.
    """
    if not 1 <= per_page <= 100:
        raise ValueError(f"per_page must be from 1 to 100, got {per_page}")
    wanted = parse_status(status)
    plugins = catalog.plugins if isinstance(catalog, Catalog) else tuple(catalog)
    terms = [term.casefold() for term in query.split()]
    scored: list[tuple[int, str, CatalogPlugin]] = []
    for plugin in plugins:
        if wanted is not None and plugin.status is not wanted:
            continue
        score = _score(plugin, terms)
        if score is not None:
            scored.append((score, plugin.name, plugin))
    scored.sort(key=lambda item: (-item[0], item[1]))
    total = len(scored)
    pages = max(1, math.ceil(total / per_page))
    if page < 1 or page > pages:
        raise ValueError(
            f"page {page} is out of range; there {'is' if pages == 1 else 'are'} {plural(pages, 'page')}"
        )
    start = (page - 1) * per_page
    items = tuple(plugin for _, _, plugin in scored[start : start + per_page])
    return SearchPage(items, page, pages, total, per_page, query, wanted)


def _score(plugin: CatalogPlugin, terms: list[str]) -> int | None:
    """3 per term found in the name, 2 in a tag, 1 in the summary; None if a term is nowhere."""
    name = plugin.name.casefold()
    tags = [tag.casefold() for tag in plugin.tags]
    summary = plugin.summary.casefold()
    score = 0
    for term in terms:
        if term in name:
            score += 3
        elif any(term in tag for tag in tags):
            score += 2
        elif term in summary:
            score += 1
        else:
            return None
    return score
