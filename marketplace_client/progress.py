"""Progress reports for front ends: which step runs, and bytes done of total while downloading."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from .errors import InstallStep

__all__ = ["Progress", "ProgressCallback", "report"]


@dataclass(frozen=True)
class Progress:
    """``step`` is running; ``done``/``total`` count bytes while downloading (``total`` None when
    unknown) and are 0/None for steps without a measure. ``message`` is a short human text."""

    step: InstallStep
    message: str
    done: int = 0
    total: int | None = None


ProgressCallback = Callable[[Progress], Awaitable[None] | None]
"""A plain function or a coroutine function; its exceptions propagate (and abort the operation)."""


async def report(callback: ProgressCallback | None, progress: Progress) -> None:
    """Call ``callback`` with ``progress``, awaiting it if it is async."""
    if callback is None:
        return
    result = callback(progress)
    if inspect.isawaitable(result):
        await result
