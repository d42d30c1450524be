"""Text progress bars for embeds and messages."""

from __future__ import annotations

import math

__all__ = ["progress_bar", "progress_ratio"]


def progress_ratio(value: float, total: float) -> float:
    """``value / total`` clamped to ``0..1``; ``0`` when ``total`` is not positive or a number is
    not finite."""
    if not (math.isfinite(value) and math.isfinite(total)) or total <= 0:
        return 0.0
    return min(max(value / total, 0.0), 1.0)


def progress_bar(
    value: float,
    total: float,
    *,
    width: int = 10,
    filled: str = "▰",
    empty: str = "▱",
    show_percent: bool = True,
) -> str:
    """A bar such as ``▰▰▰▰▰▰▱▱▱▱ 60%``.

    Values below zero show as 0 %, above ``total`` as 100 %, and a ``total`` of zero (or less) as
    an empty bar at 0 %. Blocks and percentage round down, so a full bar means done.
    """
    width = max(int(width), 1)
    ratio = progress_ratio(value, total)
    # round() first so that 0.29 * 100 (28.999...) reads as 29, then floor
    percent = math.floor(round(ratio * 100, 9))
    blocks = math.floor(round(ratio * width, 9))
    bar = filled * blocks + empty * (width - blocks)
    return f"{bar} {percent}%" if show_percent else bar
