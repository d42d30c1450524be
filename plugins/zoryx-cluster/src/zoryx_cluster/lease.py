"""Cluster ids held with an expiring lease in Redis: a second process cannot take a live
cluster's id, and a dead machine's clusters become free when their leases expire."""

from __future__ import annotations

import secrets

import redis.asyncio as aioredis

from .keys import Keys

__all__ = ["Lease", "LeaseLost", "new_token"]

# 1: renewed, 2: was free (expired or lost with Redis) and is ours again, 0: another holder has it
_RENEW = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 2
end
return 0
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class LeaseLost(Exception):
    """Another process holds the cluster's lease."""


def new_token() -> str:
    """A lease token unique to one holder."""
    return secrets.token_hex(12)


class Lease:
    """The lease on one cluster id, held under ``token`` for ``ttl`` seconds at a time."""

    def __init__(self, redis: aioredis.Redis, keys: Keys, cluster_id: int, token: str, ttl: float) -> None:
        self.redis = redis
        self.keys = keys
        self.cluster_id = cluster_id
        self.token = token
        self.ttl_ms = max(int(ttl * 1000), 1)
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    @property
    def key(self) -> str:
        return self.keys.lease(self.cluster_id)

    async def claim(self) -> bool:
        """Takes the lease if it is free or already ours; False when someone else holds it."""
        return int(await self._renew(keys=[self.key], args=[self.token, self.ttl_ms])) != 0

    async def renew(self) -> bool:
        """Extends the lease (re-taking it when it expired); ``LeaseLost`` when another holds it.
        True when it had to be taken again."""
        result = int(await self._renew(keys=[self.key], args=[self.token, self.ttl_ms]))
        if result == 0:
            raise LeaseLost(f"cluster {self.cluster_id} is now held by another process")
        return result == 2

    async def holder(self) -> str | None:
        value = await self.redis.get(self.key)
        return None if value is None else str(value)

    async def remaining_ms(self) -> int:
        return int(await self.redis.pttl(self.key))

    async def release(self) -> None:
        await self._release(keys=[self.key], args=[self.token])
