"""Discord's REST limits that belong to the bot, shared by every process through Redis.

- :class:`GlobalRestLimiter`: at most ``limit`` requests in any window of one second (plus a
  margin) for the whole bot: an atomic sliding-window log in a Lua script. A request waits in
  discord.py's ``http_trace`` ``on_request_start`` until it has a slot, and its slot counts from
  the moment its answer arrived, not the moment it was let through: a request that reaches
  Discord late (a busy process, a slow link) cannot bunch up with later ones, so Discord never
  sees more than ``limit`` in one window, however late the requests travel.
- :class:`InvalidRequestCounter`: 401, 403 and 429 answers (shared-scope 429s excepted) counted
  per minute in Redis, summed over Discord's 10-minute window.

Without Redis, the limiter falls back to this process's share of the limit (``limit`` divided by
the number of clusters) and the counter keeps counting locally until Redis returns.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import logging
import time
from collections.abc import Mapping

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from yarl import URL

from zoryx_core.connection_gates import RequestDone

from .keys import Keys

__all__ = ["GlobalRestLimiter", "InvalidRequestCounter", "counts_towards_global"]

log = logging.getLogger("zoryx.plugin.zoryx-cluster")

# Takes a slot, scored as still in flight (now + ARGV[4] ms), and returns 0; or returns the
# milliseconds until the earliest slot leaves the window.
_TAKE_SLOT = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], (window + tonumber(ARGV[4])) * 2)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(tonumber(oldest[2]) + window - now, 1)
"""

# The request's answer arrived: its slot leaves the window one window from now.
_FINISH_SLOT = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
return redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])
"""

# A request still without an answer after this long frees its slot anyway (a process that died).
_IN_FLIGHT_MS = 15_000
_MAX_POLL = 0.1


def counts_towards_global(url: URL) -> bool:
    """Whether a request counts towards the global limit: API calls, not interaction answers or
    webhook calls with a token (Discord exempts those), nor CDN downloads."""
    path = url.path
    if "/api/" not in path:
        return False
    tail = path.split("/api/", 1)[1]
    route = tail.split("/", 1)[-1]  # past the version, "v10/"
    return not route.startswith(("interactions/", "webhooks/"))


class GlobalRestLimiter:
    """Waits until the whole bot has a free slot under its global REST limit."""

    def __init__(
        self, redis: aioredis.Redis, keys: Keys, *, limit: int, window_ms: int, holder: str, local_share: int
    ) -> None:
        self.redis = redis
        self.key = keys.rest_global
        self.limit = limit
        self.window_ms = window_ms
        self.holder = holder
        self.local_share = max(local_share, 1)
        self.waited = 0.0
        """Seconds requests of this process spent waiting for a slot."""
        self.sent = 0
        self._take = redis.register_script(_TAKE_SLOT)
        self._finish = redis.register_script(_FINISH_SLOT)
        self._counter = itertools.count()
        self._local: collections.deque[float] = collections.deque()
        self._local_lock = asyncio.Lock()
        self._degraded = False

    async def __call__(self, method: str, url: URL) -> RequestDone | None:
        if not counts_towards_global(url):
            return None
        started = time.monotonic()
        member = f"{self.holder}:{next(self._counter)}"
        shared = True
        while True:
            try:
                wait_ms = int(
                    await self._take(
                        keys=[self.key], args=[self.limit, self.window_ms, member, _IN_FLIGHT_MS]
                    )
                )
            except (RedisError, OSError) as error:
                if not self._degraded:
                    log.warning("REST limit: Redis unreachable (%s); using this process's share", error)
                    self._degraded = True
                await self._local_slot()
                shared = False
                break
            if self._degraded:
                log.info("REST limit: shared through Redis again")
                self._degraded = False
            if wait_ms <= 0:
                break
            await asyncio.sleep(min(wait_ms / 1000, _MAX_POLL))
        self.sent += 1
        self.waited += time.monotonic() - started
        if not shared:
            return None

        async def done(status: int | None) -> None:
            with contextlib.suppress(RedisError, OSError):
                await self._finish(keys=[self.key], args=[member])

        return done

    async def _local_slot(self) -> None:
        window = self.window_ms / 1000
        async with self._local_lock:
            times = self._local
            while True:
                now = time.monotonic()
                while times and now - times[0] >= window:
                    times.popleft()
                if len(times) < self.local_share:
                    times.append(now)
                    return
                await asyncio.sleep(times[0] + window - now)


class InvalidRequestCounter:
    """Counts invalid answers locally at once and adds them to Redis on :meth:`flush`."""

    def __init__(self, redis: aioredis.Redis, keys: Keys, *, window_seconds: int) -> None:
        self.redis = redis
        self.keys = keys
        self.window_minutes = max(window_seconds // 60, 1)
        self.seen = 0
        """Invalid answers this process received since it started."""
        self._pending: collections.Counter[int] = collections.Counter()

    def observe(self, method: str, url: URL, status: int, headers: Mapping[str, str]) -> None:
        if status in (401, 403) or (status == 429 and headers.get("X-RateLimit-Scope") != "shared"):
            self.seen += 1
            self._pending[int(time.time() // 60)] += 1

    async def flush(self) -> None:
        """Adds what was counted since the last flush; kept for the next one if Redis is away."""
        if not self._pending:
            return
        pending, self._pending = self._pending, collections.Counter()
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for minute, count in pending.items():
                    key = self.keys.rest_invalid(minute)
                    pipe.incrby(key, count)
                    pipe.expire(key, (self.window_minutes + 1) * 60)
                await pipe.execute()
        except (RedisError, OSError):
            self._pending.update(pending)
            raise

    async def total(self) -> int:
        """Invalid answers of the whole bot within the window (from Redis)."""
        now = int(time.time() // 60)
        keys = [self.keys.rest_invalid(now - i) for i in range(self.window_minutes)]
        values = await self.redis.mget(keys)
        return sum(int(v) for v in values if v is not None)
