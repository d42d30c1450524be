"""The Redis connection: the URL from ``ZORYX_REDIS_URL`` (``rediss://`` for TLS), shown only
with its password masked, and a client of redis-py's asyncio API."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

__all__ = ["RedisUnavailable", "client_for", "connect", "mask_url"]


class RedisUnavailable(Exception):
    """Redis cannot be reached; the message is one line without credentials."""


def mask_url(url: str) -> str:
    """``url`` with its password (and a user-only credential) replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(an unreadable Redis URL)"
    if parts.password is None and parts.username is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = parts.username if parts.password is not None else None
    credentials = f"{user}:***" if user else "***"
    return urlunsplit((parts.scheme, f"{credentials}@{host}", parts.path, parts.query, parts.fragment))


def client_for(url: str) -> aioredis.Redis:
    """A client for ``url``; ``RedisUnavailable`` when the URL is not a Redis URL."""
    scheme = urlsplit(url).scheme if "://" in url else ""
    if scheme not in ("redis", "rediss", "unix"):
        raise RedisUnavailable(
            f"ZORYX_REDIS_URL must start with redis://, rediss:// (TLS) or unix://, not {mask_url(url)!r}"
        )
    # A pooled connection that died while Redis was away fails on its next use: it is reconnected
    # and the command sent once more, so the first command after Redis returns does not fail.
    return aioredis.Redis.from_url(
        url,
        decode_responses=True,
        socket_connect_timeout=3,
        socket_timeout=5,
        health_check_interval=10,
        retry=Retry(NoBackoff(), 1),
        retry_on_error=[RedisConnectionError],
    )


async def connect(url: str) -> aioredis.Redis:
    """A client that answered PING; ``RedisUnavailable`` (one line, password masked) otherwise."""
    client = client_for(url)
    try:
        await client.ping()
    except (RedisError, OSError) as error:
        await client.aclose()
        reason = str(error).split("\n", 1)[0].replace(url, mask_url(url))
        raise RedisUnavailable(f"cannot reach Redis at {mask_url(url)}: {reason}") from None
    return client
