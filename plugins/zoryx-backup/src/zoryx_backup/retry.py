"""Which failed restore requests are worth trying again, and after how long.

discord.py already retries a 429 five times and a 500, 502, 504 or 524 five times within one
request; what still reaches the restore is a rate limit that outlasted those tries, another
server error (503), a connection dropped or reset, or a request that timed out. Those are
transient: the request is tried again within :class:`RetryPolicy`'s bounds (attempts and total
time per request), after Discord's ``Retry-After`` for a 429 or an exponential backoff otherwise.
Anything else (403, 404, 400, a bad value) fails at once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp
import discord

__all__ = ["RetryPolicy", "is_ambiguous", "retry_after"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounds of the retries of one request: ``attempts`` in all (1: never retry), within
    ``total_seconds`` from the first try; waits of ``base_delay`` doubling up to ``max_delay``
    unless Discord says how long (``Retry-After``)."""

    attempts: int = 4
    total_seconds: float = 60.0
    base_delay: float = 0.5
    max_delay: float = 10.0

    def wait(self, error: BaseException, tries: int) -> float | None:
        """Seconds to wait before try ``tries + 1`` after ``error``, or ``None`` when the error
        is not transient."""
        asked = retry_after(error)
        if asked is not None:
            return asked
        if not is_ambiguous(error):  # besides 429s, the transient failures are the ambiguous ones
            return None
        return min(self.max_delay, self.base_delay * float(2 ** (tries - 1)))


def retry_after(error: BaseException) -> float | None:
    """How long Discord asked to wait, for a 429 (``None`` for anything else)."""
    if isinstance(error, discord.RateLimited):
        return float(error.retry_after)
    if isinstance(error, discord.HTTPException) and error.status == 429:
        header: str | None = getattr(error.response, "headers", {}).get("Retry-After")
        try:
            return max(0.0, float(header)) if header is not None else 1.0
        except ValueError:
            return 1.0
    return None


def is_ambiguous(error: BaseException) -> bool:
    """Whether Discord may have carried the request out although it failed (the connection
    dropped, the request timed out or the server errored): a create is checked for before it is
    sent again."""
    if isinstance(error, discord.HTTPException):
        return error.status >= 500
    return isinstance(error, aiohttp.ClientConnectionError | ConnectionError | asyncio.TimeoutError)
