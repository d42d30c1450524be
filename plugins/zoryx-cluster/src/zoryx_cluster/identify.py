"""IDENTIFY across every process of the bot: one IDENTIFY per bucket (``shard_id %
max_concurrency``) per window, through a lock in Redis per bucket, for discord.py's documented
``before_identify_hook`` (installed as ``bot.gates.identify``).

When Redis cannot be reached, the gate paces this process's own IDENTIFYs per bucket instead, so
that the shards keep coming back; it says so in the log.
"""

from __future__ import annotations

import asyncio
import logging
import time

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from .keys import Keys

__all__ = ["IdentifyGate"]

log = logging.getLogger("zoryx.plugin.zoryx-cluster")


class IdentifyGate:
    """``await gate(shard_id, initial)`` returns when the shard's bucket is free for the whole bot."""

    def __init__(
        self, redis: aioredis.Redis, keys: Keys, *, max_concurrency: int, hold: float, holder: str
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.max_concurrency = max(max_concurrency, 1)
        self.hold_ms = max(int(hold * 1000), 1)
        self.holder = holder
        self.identified: list[tuple[int, float]] = []
        """(shard id, time.time()) of every IDENTIFY this gate let through."""
        self._local_last: dict[int, float] = {}

    def bucket(self, shard_id: int) -> int:
        return shard_id % self.max_concurrency

    async def __call__(self, shard_id: int, initial: bool) -> None:
        bucket = self.bucket(shard_id)
        key = self.keys.identify(bucket)
        while True:
            try:
                if await self.redis.set(key, f"{self.holder}:{shard_id}", nx=True, px=self.hold_ms):
                    break
                wait_ms = int(await self.redis.pttl(key))
            except (RedisError, OSError) as error:
                log.warning("identify of shard %s: Redis unreachable (%s); pacing locally", shard_id, error)
                await self._local(bucket)
                break
            await asyncio.sleep(max(wait_ms, 5) / 1000)
        self._local_last[bucket] = time.monotonic()
        self.identified.append((shard_id, time.time()))

    async def _local(self, bucket: int) -> None:
        last = self._local_last.get(bucket)
        if last is not None:
            await asyncio.sleep(max(last + self.hold_ms / 1000 - time.monotonic(), 0.0))
