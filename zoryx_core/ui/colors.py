"""The Zoryx colour scheme and the emojis its messages use."""

from __future__ import annotations

from enum import IntEnum

__all__ = ["Colors", "Emojis"]


class Colors(IntEnum):
    """Embed colours; each member is an ``int`` that ``discord.Embed(color=...)`` accepts."""

    SUCCESS = 0x00FF00
    ERROR = 0xFF0000
    WARNING = 0xFFFF00
    INFO = 0x5865F2
    MAIN_MENU = 0x2B2D31
    CREDITS = 0xFFD700


class Emojis:
    """Unicode emojis shared by the built-in commands and plugins."""

    SUCCESS = "✅"
    ERROR = "❌"
    WARNING = "⚠️"
    INFO = "\u2139\ufe0f"  # information source

    RELOAD = "🔄"
    STATS = "📊"
    SETTINGS = "⚙️"
    TOOLS = "🔧"

    FIRST = "⏮"
    PREVIOUS = "◀"
    NEXT = "▶"
    LAST = "⏭"
    HOME = "🏠"

    HELP = "📚"
    CATEGORY = "📂"
    EXTENSIONS = "📦"
    DATABASE = "🗄️"
    CREDITS = "🏆"
