"""Snowflake ids as Discord makes them: milliseconds since the Discord epoch, shifted left 22 bits."""

from __future__ import annotations

import itertools
import os
import threading
import time

DISCORD_EPOCH_MS = 1_420_070_400_000

__all__ = ["DISCORD_EPOCH_MS", "SnowflakeGenerator", "snowflake_time_ms"]


class SnowflakeGenerator:
    """Makes unique, strictly increasing snowflakes.

    Every id gets its own millisecond (the timestamp part moves forward by at least one each
    time), so ids made one after another spread evenly over shards: ``(id >> 22) % shards``.
    As in Discord's ids, bits 12-16 hold the process id (its low five bits, by default this
    process's): emulators started at the same millisecond in parallel test processes, which share
    a Redis or a database keyed by the bot's id, still get different ids.
    """

    def __init__(self, worker_id: int = 1, process_id: int | None = None) -> None:
        self._worker = worker_id & 0x1F
        self._process = (os.getpid() if process_id is None else process_id) & 0x1F
        self._last_ms = 0
        self._increment = itertools.count()
        self._lock = threading.Lock()

    def next(self, *, residue: int | None = None, modulus: int = 16) -> int:
        """The next id; with ``residue``, the first whose ``(id >> 22) % modulus == residue``.

        Guilds use that so consecutive guilds rotate through shards (for any power-of-two shard
        count up to ``modulus``) while ids stay close to the current time.
        """
        with self._lock:
            now = int(time.time() * 1000) - DISCORD_EPOCH_MS
            self._last_ms = max(now, self._last_ms + 1)
            if residue is not None:
                self._last_ms += (residue - self._last_ms) % modulus
            low_bits = (self._worker << 17) | (self._process << 12) | (next(self._increment) & 0xFFF)
            return (self._last_ms << 22) | low_bits


def snowflake_time_ms(snowflake: int) -> int:
    """Unix time in milliseconds encoded in a snowflake."""
    return (snowflake >> 22) + DISCORD_EPOCH_MS
