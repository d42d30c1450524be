"""Storage owned by the bot: the data folder and the global SQLite database."""

from __future__ import annotations

from .handle import Storage

__all__ = ["Storage"]
