"""Per-server settings of the core: prefix, mention prefix and command grants, cached.

Kept as documents of the ``core`` namespace in each server's scope. Reads are served from an
in-memory cache; a change made through this service updates the cache at once, so it applies to
the very next message. Other processes hear of it through the store's change notifications
(PostgreSQL LISTEN/NOTIFY: their next message); on SQLite, where there are none, another process
sharing the data folder sees it after ``ttl`` seconds.

A server with nothing stored costs no database: reading it creates none, and its defaults are
cached like any config. Past the TTL an entry is refreshed in the background; when the store can
tell that nothing was written since the entry was read (:meth:`StorageBackend.scope_version`, on
SQLite the database files' ``stat``), the entry is kept without opening a connection.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .storage.backend import NO_DATA

if TYPE_CHECKING:
    from .storage import StorageBackend

__all__ = ["GuildConfig", "GuildConfigs"]

NAMESPACE = "core"
CHANNEL = "guild_config"
"""Change notifications: the payload is ``<origin>:<guild id>``."""

log = logging.getLogger("zoryx.guild_config")


@dataclass(frozen=True)
class GuildConfig:
    """One server's choices; ``None`` means "use the global default"."""

    guild_id: int
    prefix: str | None = None
    mention_prefix: bool | None = None
    grants: dict[str, tuple[int, ...]] = field(default_factory=dict)
    """Command name -> role ids allowed to run it in this server."""

    @classmethod
    def from_documents(cls, guild_id: int, documents: dict[str, Any]) -> GuildConfig:
        grants = documents.get("grants") or {}
        return cls(
            guild_id,
            prefix=documents.get("prefix"),
            mention_prefix=documents.get("mention_prefix"),
            grants={str(k): tuple(int(r) for r in v) for k, v in grants.items() if v},
        )


class GuildConfigs:
    """Reads and writes :class:`GuildConfig` through the storage, with a cache in front."""

    def __init__(self, storage: StorageBackend, *, ttl: float = 60.0) -> None:
        self.storage = storage
        self.ttl = ttl
        self.origin = secrets.token_hex(8)
        self._cache: dict[int, tuple[float, GuildConfig, float]] = {}  # expires, config, stored
        self._versions: dict[int, Hashable] = {}  # guild -> the store's marker when it was read
        self._changes: dict[int, int] = {}  # guild -> changes heard of from other processes
        self._locks: dict[int, asyncio.Lock] = {}
        self._loading: dict[int, asyncio.Future[GuildConfig]] = {}
        self.hits = 0
        self.misses = 0
        self.remote_changes = 0
        self.reads = 0
        """Reads of a server's documents from the store, counted once done."""
        self.unchanged = 0
        """Refreshes answered by the store's marker alone (nothing written since the last read)."""

    async def start(self) -> None:
        """Listen for changes made by other processes sharing the store (call once it is open)."""
        await self.storage.subscribe(CHANNEL, self._heard)

    def _heard(self, payload: str | None) -> None:
        if payload is None:  # notifications may have been missed: forget everything
            for guild_id in list(self._cache):
                self._changed(guild_id)
            return
        origin, _, guild = payload.partition(":")
        if origin != self.origin and guild.isdigit():
            self.remote_changes += 1
            self._changed(int(guild))

    def _changed(self, guild_id: int) -> None:
        self._changes[guild_id] = self._changes.get(guild_id, 0) + 1
        self._cache.pop(guild_id, None)
        self._versions.pop(guild_id, None)

    async def _announce(self, guild_id: int) -> None:
        try:
            await self.storage.notify(CHANNEL, f"{self.origin}:{guild_id}")
        except Exception:  # the change is stored; others see it after their TTL at the latest
            log.exception("could not tell other processes about the settings change of %d", guild_id)

    def cached(self, guild_id: int) -> GuildConfig | None:
        """The cached config if it is fresh (no I/O)."""
        entry = self._cache.get(guild_id)
        if entry is not None and entry[0] > time.monotonic():
            self.hits += 1
            return entry[1]
        return None

    async def get(self, guild_id: int) -> GuildConfig:
        """The server's config: from the cache; past its TTL the stale entry is served while one
        background read refreshes it; on a miss, concurrent callers share one read."""
        entry = self._cache.get(guild_id)
        if entry is not None:
            self.hits += 1
            if entry[0] <= time.monotonic() and guild_id not in self._loading:
                self._loading[guild_id] = asyncio.ensure_future(self._load(guild_id))
            return entry[1]
        self.misses += 1
        pending = self._loading.get(guild_id)
        if pending is None:
            pending = self._loading[guild_id] = asyncio.ensure_future(self._load(guild_id))
        return await asyncio.shield(pending)

    async def _load(self, guild_id: int) -> GuildConfig:
        started = time.monotonic()
        heard = self._changes.get(guild_id, 0)
        try:
            version = await self.storage.scope_version(guild_id)
            entry = self._cache.get(guild_id)
            if entry is not None and entry[2] > started:
                return entry[1]  # a write through this service landed meanwhile; it is newer
            if (
                version is not None
                and entry is not None
                and self._versions.get(guild_id) == version
                and self._changes.get(guild_id, 0) == heard
            ):
                self.unchanged += 1
                return self._remember(entry[1])  # nothing written since it was read
            if version == NO_DATA:
                documents: dict[str, Any] = {}
            else:
                documents = await self.storage.items(NAMESPACE, guild_id=guild_id)
                self.reads += 1
            entry = self._cache.get(guild_id)
            if entry is not None and entry[2] > started:
                return entry[1]  # a write through this service landed meanwhile; it is newer
            config = GuildConfig.from_documents(guild_id, documents)
            if self._changes.get(guild_id, 0) != heard:
                return config  # another process changed it while this read ran: do not cache
            if version is None:
                self._versions.pop(guild_id, None)
            else:
                self._versions[guild_id] = version
            return self._remember(config)
        finally:
            self._loading.pop(guild_id, None)

    async def set_prefix(self, guild_id: int, prefix: str | None) -> GuildConfig:
        """Set the server's prefix (``None``: back to the global default)."""
        return await self._write(guild_id, "prefix", prefix)

    async def set_mention_prefix(self, guild_id: int, enabled: bool | None) -> GuildConfig:
        return await self._write(guild_id, "mention_prefix", enabled)

    async def grant(self, guild_id: int, command: str, role_id: int) -> GuildConfig:
        """Allow ``role_id`` to run ``command`` in the server (adds to earlier grants)."""
        async with self._lock(guild_id):
            grants = dict(await self.storage.get(NAMESPACE, "grants", {}, guild_id=guild_id) or {})
            roles = [int(r) for r in grants.get(command, [])]
            if role_id not in roles:
                roles.append(role_id)
            grants[command] = roles
            await self.storage.set(NAMESPACE, "grants", grants, guild_id=guild_id)
            return await self._refresh(guild_id, announce=True)

    async def clear_grants(self, guild_id: int, command: str) -> GuildConfig:
        """Remove every grant of ``command`` in the server."""
        async with self._lock(guild_id):
            grants = dict(await self.storage.get(NAMESPACE, "grants", {}, guild_id=guild_id) or {})
            grants.pop(command, None)
            await self.storage.set(NAMESPACE, "grants", grants, guild_id=guild_id)
            return await self._refresh(guild_id, announce=True)

    async def export(self, guild_id: int) -> dict[str, Any]:
        """The server's choices as plain JSON data (for backups)."""
        config = await self._refresh(guild_id)
        return {
            "prefix": config.prefix,
            "mention_prefix": config.mention_prefix,
            "grants": {command: list(roles) for command, roles in sorted(config.grants.items())},
        }

    async def replace(
        self,
        guild_id: int,
        *,
        prefix: str | None,
        mention_prefix: bool | None,
        grants: dict[str, list[int]],
    ) -> GuildConfig:
        """Set all of the server's choices at once (a restore); ``None`` means the default."""
        values: dict[str, Any] = {
            "prefix": prefix,
            "mention_prefix": mention_prefix,
            "grants": {str(k): [int(r) for r in v] for k, v in grants.items() if v} or None,
        }
        async with self._lock(guild_id):
            await self.storage.set_many(NAMESPACE, values, guild_id=guild_id)
            return await self._refresh(guild_id, announce=True)

    def forget(self, guild_id: int) -> None:
        """Drop the cached entry (the server's data is going away)."""
        self._cache.pop(guild_id, None)
        self._versions.pop(guild_id, None)
        self._locks.pop(guild_id, None)

    def expire(self) -> int:
        """Drop the entries of servers nobody asked about for a whole TTL past their expiry (an
        entry in use is refreshed whenever it is read stale); returns how many."""
        cutoff = time.monotonic() - self.ttl
        stale = [gid for gid, (expires, _, _) in self._cache.items() if expires <= cutoff]
        for gid in stale:
            del self._cache[gid]
            self._versions.pop(gid, None)
        return len(stale)

    def stats(self) -> dict[str, int]:
        return {
            "entries": len(self._cache),
            "hits": self.hits,
            "misses": self.misses,
            "remote_changes": self.remote_changes,
            "reads": self.reads,
            "unchanged": self.unchanged,
        }

    # --- internals ---------------------------------------------------------------------------------

    def _lock(self, guild_id: int) -> asyncio.Lock:
        return self._locks.setdefault(guild_id, asyncio.Lock())

    async def _write(self, guild_id: int, key: str, value: Any) -> GuildConfig:
        async with self._lock(guild_id):
            if value is None:
                await self.storage.delete(NAMESPACE, key, guild_id=guild_id)
            else:
                await self.storage.set(NAMESPACE, key, value, guild_id=guild_id)
            return await self._refresh(guild_id, announce=True)

    async def _refresh(self, guild_id: int, *, announce: bool = False) -> GuildConfig:
        if announce:
            await self._announce(guild_id)
        self._versions.pop(guild_id, None)  # the next refresh reads once and notes the marker
        documents = await self.storage.items(NAMESPACE, guild_id=guild_id)
        self.reads += 1
        return self._remember(GuildConfig.from_documents(guild_id, documents))

    def _remember(self, config: GuildConfig) -> GuildConfig:
        now = time.monotonic()
        self._cache[config.guild_id] = (now + self.ttl, config, now)
        return config
