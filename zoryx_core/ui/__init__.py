"""The Zoryx UI kit: colours, consistent embeds, progress bars and views every plugin can use.

- :class:`Colors`, :class:`Emojis`: the colour scheme and shared emojis.
- :func:`make_embed` and :func:`success_embed` / :func:`error_embed` / :func:`warning_embed` /
  :func:`info_embed`: coloured, timestamped, footed embeds kept within Discord's limits.
- :func:`progress_bar`: ``▰▰▰▰▰▰▱▱▱▱ 60%``.
- :class:`ZoryxView`: a view only its invoker may use, disabled on timeout, errors reported.
- :class:`Paginator` and :func:`field_pages`: paged embeds.
- :class:`ConfirmView` and :func:`confirm`: two-step confirmation.
- :func:`tab_buttons`: a row of dashboard tabs.
- :func:`about_embed`: the About / credits embed.
"""

from __future__ import annotations

from .about import about_embed
from .colors import Colors, Emojis
from .confirm import ConfirmView, confirm
from .embeds import (
    EMBED_LIMITS,
    EmbedKind,
    FieldSpec,
    default_footer,
    error_embed,
    fit_embed,
    info_embed,
    make_embed,
    success_embed,
    truncate,
    warning_embed,
)
from .paginator import Paginator, chunked, field_pages, with_page_footer
from .progress import progress_bar, progress_ratio
from .tabs import tab_buttons
from .text import plural
from .views import ActionButton, ActionSelect, Target, ZoryxView, respond_ephemeral

__all__ = [
    "EMBED_LIMITS",
    "ActionButton",
    "ActionSelect",
    "Colors",
    "ConfirmView",
    "EmbedKind",
    "Emojis",
    "FieldSpec",
    "Paginator",
    "Target",
    "ZoryxView",
    "about_embed",
    "chunked",
    "confirm",
    "default_footer",
    "error_embed",
    "field_pages",
    "fit_embed",
    "info_embed",
    "make_embed",
    "plural",
    "progress_bar",
    "progress_ratio",
    "respond_ephemeral",
    "success_embed",
    "tab_buttons",
    "truncate",
    "warning_embed",
    "with_page_footer",
]
