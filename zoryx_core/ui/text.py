"""Words around numbers: one pluralisation rule for every figure the bot shows."""

from __future__ import annotations

__all__ = ["plural"]

_IRREGULAR = {"entry": "entries", "category": "categories", "reply": "replies", "process": "processes"}


def plural(count: int | float, word: str, many: str | None = None) -> str:
    """``1 server``, ``2 servers``, ``0 servers``; ``many`` for an irregular plural
    (``plural(n, "category")`` knows the common ones)."""
    if count == 1:
        return f"{count} {word}"
    if many is None:
        many = _IRREGULAR.get(word, f"{word}s")
    return f"{count:,} {many}" if isinstance(count, int) else f"{count} {many}"
