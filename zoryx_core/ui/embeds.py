"""Consistent embeds: colour and emoji by kind, a UTC timestamp, a footer, and Discord's limits kept."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from enum import StrEnum

import discord

from .colors import Colors, Emojis

__all__ = [
    "EMBED_LIMITS",
    "EmbedKind",
    "FieldSpec",
    "default_footer",
    "error_embed",
    "fit_embed",
    "info_embed",
    "make_embed",
    "success_embed",
    "truncate",
    "warning_embed",
]

FieldSpec = tuple[str, str] | tuple[str, str, bool]
"""``(name, value)`` or ``(name, value, inline)``; fields are not inline unless they say so."""

ELLIPSIS = "…"
BLANK = "\u200b"  # Discord refuses empty field names and values

EMBED_LIMITS: dict[str, int] = {
    "title": 256,
    "description": 4096,
    "fields": 25,
    "field_name": 256,
    "field_value": 1024,
    "footer": 2048,
    "author": 256,
    "total": 6000,
}
"""Discord's embed limits, in characters (``fields``: how many)."""


class EmbedKind(StrEnum):
    """What an embed says; decides its colour and the emoji before its title."""

    SUCCESS = "success"
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    MENU = "menu"
    CREDITS = "credits"


_STYLES: dict[EmbedKind, tuple[Colors, str | None]] = {
    EmbedKind.SUCCESS: (Colors.SUCCESS, Emojis.SUCCESS),
    EmbedKind.ERROR: (Colors.ERROR, Emojis.ERROR),
    EmbedKind.WARNING: (Colors.WARNING, Emojis.WARNING),
    EmbedKind.INFO: (Colors.INFO, Emojis.INFO),
    EmbedKind.MENU: (Colors.MAIN_MENU, None),
    EmbedKind.CREDITS: (Colors.CREDITS, None),
}


def default_footer() -> str:
    """``Zoryx v<version>``: the footer every embed gets unless it names its own."""
    from .. import __version__

    return f"Zoryx v{__version__}"


def truncate(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in an ellipsis when it was cut."""
    if limit <= 0:
        return ""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def _starts_with_emoji(text: str) -> bool:
    """Whether ``text`` already opens with a symbol of its own (an emoji), so that the kind's
    emoji is not stacked in front of it."""
    first = text.lstrip()[:1]
    return bool(first) and unicodedata.category(first) in ("So", "Sk", "Cn") and not first.isalnum()


def make_embed(
    kind: EmbedKind | str,
    title: str,
    description: str | None = None,
    *,
    fields: Iterable[FieldSpec] = (),
    footer: str | None = None,
    color: int | None = None,
    thumbnail: str | None = None,
    url: str | None = None,
) -> discord.Embed:
    """An embed of ``kind``: its colour (unless ``color`` is given), its status emoji before the
    title (success ✅, error ❌, warning ⚠️, info: the information sign), a UTC timestamp and a footer (default
    :func:`default_footer`). Anything over Discord's limits is truncated (see :func:`fit_embed`)."""
    style_color, emoji = _STYLES[EmbedKind(kind)]
    if emoji and title and not _starts_with_emoji(title):
        title = f"{emoji} {title}"
    embed = discord.Embed(
        title=title or None,
        description=description or None,
        color=style_color if color is None else color,
        timestamp=discord.utils.utcnow(),
        url=url,
    )
    for spec in fields:
        name, value = spec[0], spec[1]
        inline = bool(spec[2]) if len(spec) > 2 else False
        embed.add_field(name=name, value=value, inline=inline)
    embed.set_footer(text=default_footer() if footer is None else footer)
    if thumbnail:
        embed.set_thumbnail(url=thumbnail)
    return fit_embed(embed)


def success_embed(
    title: str,
    description: str | None = None,
    *,
    fields: Iterable[FieldSpec] = (),
    footer: str | None = None,
    thumbnail: str | None = None,
) -> discord.Embed:
    """A green embed titled ``✅ title``."""
    return make_embed(
        EmbedKind.SUCCESS, title, description, fields=fields, footer=footer, thumbnail=thumbnail
    )


def error_embed(
    title: str,
    description: str | None = None,
    *,
    fields: Iterable[FieldSpec] = (),
    footer: str | None = None,
    thumbnail: str | None = None,
) -> discord.Embed:
    """A red embed titled ``❌ title``."""
    return make_embed(EmbedKind.ERROR, title, description, fields=fields, footer=footer, thumbnail=thumbnail)


def warning_embed(
    title: str,
    description: str | None = None,
    *,
    fields: Iterable[FieldSpec] = (),
    footer: str | None = None,
    thumbnail: str | None = None,
) -> discord.Embed:
    """A yellow embed titled ``⚠️ title``."""
    return make_embed(
        EmbedKind.WARNING, title, description, fields=fields, footer=footer, thumbnail=thumbnail
    )


def info_embed(
    title: str,
    description: str | None = None,
    *,
    fields: Iterable[FieldSpec] = (),
    footer: str | None = None,
    thumbnail: str | None = None,
) -> discord.Embed:
    """A blurple embed titled ``title`` after the information sign."""
    return make_embed(EmbedKind.INFO, title, description, fields=fields, footer=footer, thumbnail=thumbnail)


def fit_embed(embed: discord.Embed) -> discord.Embed:
    """Bring ``embed`` within Discord's limits in place (and return it), so Discord never refuses it.

    Texts over their limit end in an ellipsis; past 25 fields the last one says how many were left
    out; empty field names or values become a zero-width space. Over 6000 characters in all, the
    description is shortened first, then trailing fields are dropped, then the title is shortened.
    """
    limits = EMBED_LIMITS
    if embed.title:
        embed.title = truncate(embed.title, limits["title"])
    if embed.description:
        embed.description = truncate(embed.description, limits["description"])

    fields = [(f.name or "", f.value or "", bool(f.inline)) for f in embed.fields]
    if len(fields) > limits["fields"]:
        left_out = len(fields) - (limits["fields"] - 1)
        fields = [*fields[: limits["fields"] - 1], (ELLIPSIS, f"{left_out} more not shown", False)]
    embed.clear_fields()
    for name, value, inline in fields:
        embed.add_field(
            name=truncate(name, limits["field_name"]) or BLANK,
            value=truncate(value, limits["field_value"]) or BLANK,
            inline=inline,
        )

    if embed.footer.text:
        embed.set_footer(text=truncate(embed.footer.text, limits["footer"]), icon_url=embed.footer.icon_url)
    if embed.author.name:
        embed.set_author(
            name=truncate(embed.author.name, limits["author"]),
            url=embed.author.url,
            icon_url=embed.author.icon_url,
        )

    overflow = len(embed) - limits["total"]
    if overflow > 0 and embed.description:
        keep = max(len(embed.description) - overflow, 1)
        embed.description = truncate(embed.description, keep)
        overflow = len(embed) - limits["total"]
    while overflow > 0 and embed.fields:
        embed.remove_field(len(embed.fields) - 1)
        overflow = len(embed) - limits["total"]
    if overflow > 0 and embed.title:
        embed.title = truncate(embed.title, max(len(embed.title) - overflow, 1))
    return embed
