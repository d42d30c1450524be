"""Which guilds may have a database, from one listing of the guilds folder instead of a ``stat`` per
guild: a server's first message after a start asks for its settings, and most servers have none."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

__all__ = ["GuildFolders", "list_guild_folders"]

LISTING_MAX_AGE = 10.0
"""Seconds a listing answers for: another process may create a guild's database meanwhile."""


def list_guild_folders(guilds_dir: Path) -> frozenset[int]:
    """The ids of the ``guilds/<id>/`` folders (blocking: one directory read, no ``stat`` each)."""
    try:
        with os.scandir(guilds_dir) as entries:
            return frozenset(
                int(entry.name)
                for entry in entries
                if entry.name.isascii() and entry.name.isdigit() and entry.is_dir()
            )
    except FileNotFoundError:
        return frozenset()


class GuildFolders:
    """The guild folders found by the latest listing, plus every guild whose database this process
    has opened for writing since it started. A guild in neither has no database while the listing
    is younger than ``max_age``; an older listing is taken again (on a worker thread, through
    ``run_blocking``) by the next question, and concurrent questions share that one listing."""

    def __init__(
        self,
        guilds_dir: Path,
        run_blocking: Callable[[Callable[[Path], frozenset[int]], Path], Awaitable[frozenset[int]]],
        *,
        max_age: float = LISTING_MAX_AGE,
    ) -> None:
        self.guilds_dir = guilds_dir
        self.max_age = max_age
        self.listings = 0
        """How many listings were taken (for tests and diagnostics)."""
        self._run_blocking = run_blocking
        self._listed: frozenset[int] | None = None
        self._listed_at = 0.0
        self._written: set[int] = set()
        self._listing: asyncio.Future[frozenset[int]] | None = None

    def writing(self, guild_id: int) -> None:
        """This process is about to open the guild's database for writing (it may create it)."""
        self._written.add(guild_id)

    async def may_have_database(self, guild_id: int) -> bool:
        """``False`` only when the guild certainly had no folder when the listing was taken."""
        if guild_id in self._written:
            return True
        listed = self._listed
        if listed is None or time.monotonic() - self._listed_at > self.max_age:
            try:
                listed = await asyncio.shield(self._relisted())
            except Exception:  # cannot tell: the caller looks at the guild's own files
                return True
        return guild_id in listed or guild_id in self._written

    def _relisted(self) -> asyncio.Future[frozenset[int]]:
        if self._listing is None:
            self._listing = asyncio.ensure_future(self._list())
        return self._listing

    async def _list(self) -> frozenset[int]:
        started = time.monotonic()  # a folder made after the read started may be missing from it
        try:
            listed = await self._run_blocking(list_guild_folders, self.guilds_dir)
        finally:
            self._listing = None
        self._listed, self._listed_at = listed, started
        self.listings += 1
        return listed
