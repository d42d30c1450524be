"""A row of tab buttons for dashboards: the current tab highlighted and disabled."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import discord

from .views import ActionButton, ButtonHandler

__all__ = ["tab_buttons"]

T = TypeVar("T", bound=str)


def tab_buttons(
    tabs: Sequence[tuple[T, str, str]],
    current: T,
    handler: Callable[[T], ButtonHandler],
    *,
    row: int | None = None,
) -> list[ActionButton]:
    """One button per ``(key, label, emoji)`` in ``tabs``; ``handler(key)`` answers its clicks.
    The button of ``current`` is primary and disabled, the others secondary."""
    buttons = []
    for key, label, emoji in tabs:
        selected = key == current
        buttons.append(
            ActionButton(
                handler(key),
                label=label,
                emoji=emoji,
                style=discord.ButtonStyle.primary if selected else discord.ButtonStyle.secondary,
                disabled=selected,
                row=row,
            )
        )
    return buttons
