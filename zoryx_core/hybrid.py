"""``hybrid_command`` / ``hybrid_group`` with signatures mypy can check.

discord.py types its hybrid decorators for pyright; mypy cannot solve their ParamSpec on a cog
method and reports every use. These wrappers return the same objects with plain types, so plugin
code type-checks without an ignore on each command.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from discord.ext import commands

__all__ = ["hybrid_command", "hybrid_group"]

CommandCallback = Callable[..., Coroutine[Any, Any, Any]]


def hybrid_command(
    name: str | None = None, **attrs: Any
) -> Callable[[CommandCallback], commands.HybridCommand[Any, ..., Any]]:
    """Same as :func:`discord.ext.commands.hybrid_command`."""
    decorator: Any = commands.hybrid_command(name=name or commands.core.MISSING, **attrs)
    return decorator  # type: ignore[no-any-return]


def hybrid_group(
    name: str | None = None, **attrs: Any
) -> Callable[[CommandCallback], commands.HybridGroup[Any, ..., Any]]:
    """Same as :func:`discord.ext.commands.hybrid_group`. A Zoryx mark on the group
    (``owner_only``, ``require_permissions``...) covers its subcommands, typed or slashed."""
    decorator: Any = commands.hybrid_group(name=name or commands.core.MISSING, **attrs)
    return decorator  # type: ignore[no-any-return]
