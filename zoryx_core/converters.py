"""Whole-number command arguments that accept only what they should.

Python's ``int()`` (discord.py's converter for ``int``) also takes ``٣`` (Arabic-Indic digits),
``1_000``, ``+5`` and numbers of any size, which then fail deep inside (SQLite cannot store an
integer above 2**63 - 1) and look like bugs. :class:`IntegerArgument` accepts only the ASCII digits
0-9 (and a leading ``-`` where negative numbers are allowed) within a range, and refuses the rest
with a :class:`BadIntegerArgument` naming the parameter and what is allowed. It works for prefix,
hybrid and slash commands alike (an integer option with the same bounds)::

    from typing import Annotated
    from zoryx_core.converters import IntegerArgument

    ID = IntegerArgument(1, what="a backup number")

    @hybrid_command()
    async def backupview(self, ctx, backup_id: Annotated[int, ID]) -> None: ...
"""

from __future__ import annotations

import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

__all__ = ["MAX_SAFE_INTEGER", "BadIntegerArgument", "IntegerArgument"]

MAX_SAFE_INTEGER = 2**53 - 1
"""The largest integer Discord accepts in an integer option (and JavaScript represents exactly)."""

_ASCII_INTEGER = re.compile(r"-?[0-9]+\Z")
_SHOWN_CHARS = 24


def _shown(text: str) -> str:
    """The user's input, short and safe inside inline code."""
    text = text.replace("`", "'").replace("\n", " ")
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


class BadIntegerArgument(commands.BadArgument, app_commands.AppCommandError):
    """An integer argument that is not a plain whole number within its range (a user error)."""

    def __init__(self, parameter: str, text: str, allowed: str) -> None:
        self.parameter = parameter
        self.text = text
        self.allowed = allowed
        super().__init__(f"`{parameter}` must be {allowed}; `{_shown(text)}` is not.")


class IntegerArgument(commands.Converter[int], app_commands.Transformer):
    """A whole number from ``minimum`` to ``maximum`` written with the digits 0-9.

    ``what`` names the kind of number in errors (``"a backup number"``). As an app command option it
    is an integer with the same bounds (at most :data:`MAX_SAFE_INTEGER` either way).
    """

    def __init__(
        self, minimum: int = 0, maximum: int = MAX_SAFE_INTEGER, *, what: str = "a whole number"
    ) -> None:
        if minimum > maximum:
            raise ValueError(f"minimum {minimum} is greater than maximum {maximum}")
        if max(abs(minimum), abs(maximum)) > MAX_SAFE_INTEGER:
            raise ValueError(f"the bounds must be within ±{MAX_SAFE_INTEGER} (Discord's integer options)")
        self.minimum = minimum
        self.maximum = maximum
        self.what = what

    @property
    def allowed(self) -> str:
        """What is allowed, in words: ``a backup number from 1 to 9007199254740991 (digits 0-9)``."""
        return f"{self.what} from {self.minimum} to {self.maximum} (digits 0-9)"

    def parse(self, text: str, parameter: str = "number") -> int:
        """``text`` as an int, or :class:`BadIntegerArgument` naming ``parameter``."""
        candidate = text.strip()
        if (self.minimum >= 0 and candidate.startswith("-")) or not _ASCII_INTEGER.match(candidate):
            raise BadIntegerArgument(parameter, text, self.allowed)
        digits = candidate.lstrip("-").lstrip("0")
        if len(digits) > len(str(MAX_SAFE_INTEGER)):  # never build a huge int from a huge input
            raise BadIntegerArgument(parameter, text, self.allowed)
        return self.check(int(candidate), parameter, text)

    def check(self, number: int, parameter: str = "number", text: str | None = None) -> int:
        """``number`` if it is within range, else :class:`BadIntegerArgument`."""
        if isinstance(number, bool) or not self.minimum <= number <= self.maximum:
            raise BadIntegerArgument(parameter, str(number) if text is None else text, self.allowed)
        return number

    # --- prefix commands (and hybrid commands typed as text) ---------------------------------------

    async def convert(self, ctx: commands.Context[Any], argument: str) -> int:
        parameter = ctx.current_parameter.name if ctx.current_parameter is not None else "number"
        return self.parse(argument, parameter)

    # --- application commands -------------------------------------------------------------------------

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.integer

    @property
    def min_value(self) -> int:
        return self.minimum

    @property
    def max_value(self) -> int:
        return self.maximum

    async def transform(self, interaction: discord.Interaction[Any], value: Any, /) -> int:
        namespace = interaction.namespace
        parameter = next((name for name, given in namespace if given is value), "number")
        if isinstance(value, int):
            return self.check(value, parameter)
        return self.parse(str(value), parameter)
