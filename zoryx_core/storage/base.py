"""What every part of the :class:`~zoryx_core.storage.Storage` façade shares: options, paths, the
pool and JSON files, and running a function on the right database in a worker thread."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from . import documents
from .atomic_json import AtomicJsonFiles
from .backend import NO_DATA, MigrationSteps, StorageBackend, steps_for
from .documents import check_id
from .guild_folders import GuildFolders
from .migrations import MigrationStep, apply_migrations
from .pool import ConnectionPool

__all__ = ["StorageOptions"]

T = TypeVar("T")
K = TypeVar("K")

GUILD_DB_NAME = "guild.db"


@dataclass(frozen=True)
class StorageOptions:
    """Tuning for the storage backends (the ``storage.*`` settings)."""

    backend: str = "sqlite"
    """``sqlite`` (files in the data folder) or ``postgresql`` (DSN from ``ZORYX_DATABASE_URL``)."""
    pool_size: int = 64
    """Most SQLite connections open at once."""
    busy_timeout_ms: int = 5000
    json_cache_ttl: float = 300.0
    json_cache_size: int = 1000
    backup_count: int = 5
    """Backup sets kept; 0 turns backups off."""
    backup_on_shutdown: bool = True
    departed_grace_seconds: float = 7 * 24 * 3600
    """How long the data of a guild the bot left is kept before ``cleanup_departed`` deletes it."""
    pg_pool_size: int = 10
    """Most PostgreSQL connections open at once (per process)."""
    pg_schema: str = "zoryx"
    """PostgreSQL schema of the global tables; each guild's tables live in ``<schema>_g<id>``."""
    pg_retry_seconds: float = 30.0
    """How long a PostgreSQL operation is retried while the server cannot be reached."""


class StorageBase(StorageBackend):
    """Paths, the connection pool, JSON files and guild preparation (schema and registered
    guild migrations, applied the first time this process opens each guild database)."""

    dialect = "sqlite"
    pool: ConnectionPool

    def __init__(self, data_dir: Path, options: StorageOptions | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.options = options or StorageOptions()
        self.json = AtomicJsonFiles(
            cache_ttl=self.options.json_cache_ttl, cache_size=self.options.json_cache_size
        )
        self.pool = ConnectionPool(
            max_open=self.options.pool_size, busy_timeout_ms=self.options.busy_timeout_ms
        )
        self._state = "closed"  # "open", "closing"
        self._run_id = 0
        self._guild_migrations: dict[str, tuple[MigrationStep, ...]] = {}
        self._migrations_generation = 0
        self._prepared: dict[str, int] = {}  # guild db path -> migrations generation applied
        self.guild_folders = GuildFolders(self.guilds_dir, self.pool.call)
        """Which guilds may have a database (one listing of ``guilds/`` rather than a stat each)."""

    @property
    def main_db_path(self) -> Path:
        return self.data_dir / "main.db"

    @property
    def guilds_dir(self) -> Path:
        return self.data_dir / "guilds"

    @property
    def backups_dir(self) -> Path:
        return self.data_dir / "backups"

    def guild_db_path(self, guild_id: int) -> Path:
        """``data_dir/guilds/<id>/guild.db``."""
        return self.guilds_dir / str(check_id(guild_id, "guild_id")) / GUILD_DB_NAME

    @property
    def is_open(self) -> bool:
        return self._state == "open"

    def register_guild_migrations(self, namespace: str, steps: MigrationSteps) -> None:
        """Migrations applied to every guild database when this process first opens it (and to
        those already opened, on their next use)."""
        if not isinstance(namespace, str) or not namespace:
            raise ValueError(f"namespace must be a non-empty str, got {namespace!r}")
        chosen = steps_for(steps, "sqlite", f"migrations of {namespace!r}")
        self._guild_migrations[namespace] = tuple(chosen)
        self._migrations_generation += 1

    async def scope_version(self, guild_id: int) -> Hashable | None:
        """The guild database's file identity, size and modification time, with its write-ahead
        log's (every write changes one of them); :data:`NO_DATA` when it has no database. Two
        ``stat`` calls on a worker thread: no connection is opened. A guild without a folder in a
        recent listing of ``guilds/`` (:class:`GuildFolders`) has no database: no thread at all."""
        path = self.guild_db_path(guild_id)
        if not await self.guild_folders.may_have_database(guild_id):
            return NO_DATA
        return await self.pool.call(_file_version, path)

    # --- internals -------------------------------------------------------------------------------

    def _require_open(self) -> None:
        if self._state != "open":
            raise RuntimeError(f"storage is not open ({self.data_dir})")

    async def _run(
        self,
        guild_id: int | None,
        fn: Callable[[sqlite3.Connection], T],
        *,
        create: bool = True,
        fresh: bool = False,
        prepare: bool = True,
    ) -> T:
        """``fn(conn)`` on main.db (``guild_id`` None) or the guild's database, in a pool worker."""
        if guild_id is None:
            return await self.pool.run(self.main_db_path, fn, create=create, fresh=fresh)
        path = self.guild_db_path(guild_id)
        if create:
            self.guild_folders.writing(guild_id)
        if not prepare:
            return await self.pool.run(path, fn, create=create, fresh=fresh)

        def prepared(conn: sqlite3.Connection) -> T:
            self._prepare_guild(path, conn)
            return fn(conn)

        return await self.pool.run(path, prepared, create=create, fresh=fresh)

    def _prepare_guild(self, path: Path, conn: sqlite3.Connection) -> None:
        key = str(path)
        generation = self._migrations_generation
        if self._prepared.get(key) == generation:
            return
        documents.create_schema(conn)
        for namespace, steps in list(self._guild_migrations.items()):
            apply_migrations(conn, namespace, steps)
        self._prepared[key] = generation

    async def _for_each(self, items: Iterable[K], fn: Callable[[K], Awaitable[T]]) -> list[T]:
        """``fn`` over ``items``, as many at once as the pool has workers (times two)."""
        pending = iter(items)
        results: list[T] = []

        async def worker() -> None:
            for item in pending:
                results.append(await fn(item))

        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(self.pool.workers * 2):
                    group.create_task(worker())
        except BaseExceptionGroup as failed:  # the others were cancelled; raise the first error as is
            raise failed.exceptions[0] from None
        return results


def _file_version(path: Path) -> Hashable:
    """A commit lands in the write-ahead log, a checkpoint moves it into the database file. An empty
    log and no log are the same (opening a connection creates one, the last close deletes it), so
    connections coming and going for reads leave the marker as it was."""

    def stamp(file: Path) -> tuple[int, int, int, int] | None:
        try:
            found = os.stat(file)
        except FileNotFoundError:
            return None
        if not found.st_size:
            return None
        return (found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns)

    try:
        os.stat(path)
    except FileNotFoundError:
        return NO_DATA
    return (stamp(path), stamp(path.with_name(path.name + "-wal")))
