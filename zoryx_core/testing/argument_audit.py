"""Find command parameters converted with plain ``int()``, which accepts other Unicode digits
(``٣``), ``1_000`` and integers of any size: use :class:`zoryx_core.converters.IntegerArgument`."""

from __future__ import annotations

from typing import Any

from discord import AppCommandOptionType, app_commands
from discord.ext import commands

from ..converters import IntegerArgument

__all__ = ["plain_integer_parameters"]


def _is_plain_int(converter: Any) -> bool:
    if converter is int:
        return True
    if type(converter).__name__ == "Range" and type(converter).__module__.startswith("discord."):
        return getattr(converter, "annotation", None) is int  # commands.Range converts with int() too
    return any(_is_plain_int(arg) for arg in getattr(converter, "__args__", ()) if arg is not type(None))


def plain_integer_parameters(bot: commands.Bot) -> list[str]:
    """``"command parameter"`` for every prefix, hybrid or slash command parameter of ``bot``
    converted with plain ``int`` rather than an :class:`IntegerArgument`."""
    found: list[str] = []
    for command in bot.walk_commands():
        for name, parameter in command.clean_params.items():
            if _is_plain_int(parameter.converter):
                found.append(f"{command.qualified_name} {name}")
    for app_command in bot.tree.walk_commands():
        if not isinstance(app_command, app_commands.Command):
            continue
        for option in app_command.parameters:
            annotation = getattr(app_command._params.get(option.name), "_annotation", None)
            if option.type is AppCommandOptionType.integer and not isinstance(annotation, IntegerArgument):
                found.append(f"/{app_command.qualified_name} {option.name}")
    return found
