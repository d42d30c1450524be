"""The About / credits embed shown by ``about`` and the help menu."""

from __future__ import annotations

import platform
from typing import Any

import discord

from .colors import Emojis
from .embeds import EmbedKind, make_embed

__all__ = ["FRAMEWORK_SUMMARY", "about_embed"]

FRAMEWORK_SUMMARY = (
    "Zoryx is a Discord bot framework on discord.py 2.x in which every feature is a plugin: "
    "installable distributions discovered through entry points, loaded, reloaded and unloaded "
    "at run time, each isolated from the others."
)

CREDITS = (
    "**Zoryx** core and framework plugins by the Zoryx contributors.\n"
    "Built on [discord.py](https://github.com/Rapptz/discord.py) by Rapptz and contributors, "
    "[pluggy](https://github.com/pytest-dev/pluggy) from the pytest project, and "
    "[packaging](https://github.com/pypa/packaging) from the PyPA."
)


def _loaded_plugins(bot: discord.Client) -> int | None:
    outcomes: Any = getattr(getattr(bot, "plugins", None), "outcomes", None)
    if not isinstance(outcomes, dict):
        return None
    return sum(1 for outcome in outcomes.values() if str(getattr(outcome.status, "value", "")) == "loaded")


def _runs_on(name: str) -> str:
    """``Mybot runs on **Zoryx**.``; for a bot that is itself called Zoryx, what it is instead."""
    if name.strip().lower().startswith("zoryx"):
        return f"{name} is a bot built with the **Zoryx** framework."
    return f"{name} runs on **Zoryx**."


def about_embed(bot: discord.Client) -> discord.Embed:
    """What this bot runs on: Zoryx and its version, discord.py, Python, what the framework is,
    and the credits. Works on any discord.py client; a Zoryx bot also shows its loaded plugins."""
    from .. import __version__

    fields: list[tuple[str, str, bool]] = [
        ("Zoryx", f"v{__version__}", True),
        ("discord.py", f"v{discord.__version__}", True),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}", True),
    ]
    plugins = _loaded_plugins(bot)
    if plugins is not None:
        fields.append(("Plugins loaded", str(plugins), True))
    fields.append(("Servers", str(len(bot.guilds)), True))
    fields.append((f"{Emojis.CREDITS} Credits", CREDITS, False))
    name = bot.user.display_name if bot.user else "This bot"
    avatar = bot.user.display_avatar.url if bot.user else None
    return make_embed(
        EmbedKind.CREDITS,
        f"{Emojis.INFO} About {name}",
        f"{_runs_on(name)}\n{FRAMEWORK_SUMMARY}",
        fields=fields,
        thumbnail=avatar,
    )
