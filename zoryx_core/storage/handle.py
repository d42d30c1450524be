"""The bot's storage: ``data_dir/main.db`` (global and per-user data), one SQLite database per
guild (``data_dir/guilds/<id>/guild.db``) behind a bounded connection pool, and atomic JSON files.
Every file and database operation runs on worker threads, never on the event loop."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any, TypeVar

from . import documents, lifecycle
from .backend import MigrationSteps, Row, steps_for
from .base import StorageOptions
from .migrations import apply_migrations
from .pool import NoDatabase
from .upkeep import StorageUpkeep

__all__ = ["Storage", "StorageOptions"]

log = logging.getLogger("zoryx.storage")

T = TypeVar("T")
Params = Sequence[Any] | dict[str, Any]


class Storage(StorageUpkeep):
    """The SQLite backend: key/value documents, raw SQL, migrations, backups and upkeep over the
    bot's data folder (``dialect`` is ``"sqlite"``).

    Documents are JSON values namespaced by plugin. Their scope follows the ids given: none ->
    global and ``user_id`` -> user (both in main.db); ``guild_id`` -> guild and ``guild_id`` with
    ``user_id`` -> member (both in the guild's database). Several processes (shards) may share one
    data folder: SQLite's locking (WAL, ``busy_timeout``) and file locks keep their writes whole.
    """

    async def open(self) -> None:
        """Create the data folder and main.db's tables and record the start of this run."""
        if self._state != "closed":
            return

        def start(conn: sqlite3.Connection) -> int:
            documents.create_schema(conn)
            return lifecycle.start_run(conn)

        self._run_id = await self._run(None, start)
        self._state = "open"

    async def close(self) -> None:
        """Back up (when ``backup_on_shutdown`` and ``backup_count`` > 0), record a clean stop,
        checkpoint and close every connection and stop the worker threads. Idempotent."""
        if self._state != "open":
            return
        self._state = "closing"
        try:
            if self.options.backup_on_shutdown and self.options.backup_count > 0:
                try:
                    await self._make_backup(None)
                except Exception:
                    log.exception("backup on shutdown failed")
            try:
                await self._run(None, partial(lifecycle.finish_run, run_id=self._run_id))
            except Exception:
                log.exception("could not record the clean stop in %s", self.main_db_path)
            await self.pool.close_all(checkpoint=True)
        finally:
            await asyncio.to_thread(self.pool.shutdown)  # joins the workers once queued work is done
            self._state = "closed"
        log.info("storage closed (%s)", self.data_dir)

    # --- key/value documents ---------------------------------------------------------------------

    async def get(
        self,
        namespace: str,
        key: str,
        default: Any = None,
        *,
        guild_id: int | None = None,
        user_id: int | None = None,
    ) -> Any:
        """The document's value, or ``default`` when there is none (reading a guild that has no
        database yet does not create one)."""
        self._require_open()
        documents.check_name(namespace, key)
        scope = documents.scope_for(guild_id, user_id)
        try:
            found, value = await self._run(
                scope.guild_id,
                partial(documents.get, namespace=namespace, scope=scope, key=key),
                create=scope.guild_id is None,
            )
        except NoDatabase:  # a guild with nothing stored: reading creates no database
            return default
        return value if found else default

    async def set(
        self, namespace: str, key: str, value: Any, *, guild_id: int | None = None, user_id: int | None = None
    ) -> None:
        """Store ``value`` (JSON-serializable; TypeError naming namespace and key otherwise)."""
        self._require_open()
        documents.check_name(namespace, key)
        scope = documents.scope_for(guild_id, user_id)
        job = partial(documents.put, namespace=namespace, scope=scope, key=key, value=value)
        await self._run(scope.guild_id, job)

    async def set_many(
        self,
        namespace: str,
        values: Mapping[str, Any],
        *,
        guild_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        """Store several documents of one scope in one transaction; a None value deletes the key."""
        self._require_open()
        for key in values:
            documents.check_name(namespace, key)
        scope = documents.scope_for(guild_id, user_id)
        pairs = dict(values)

        def write_all(conn: sqlite3.Connection) -> None:
            for key, value in pairs.items():
                if value is None:
                    documents.delete(conn, namespace, scope, key)
                else:
                    documents.put(conn, namespace, scope, key, value)

        await self._run(scope.guild_id, partial(_in_transaction, fn=write_all))

    async def delete(
        self, namespace: str, key: str, *, guild_id: int | None = None, user_id: int | None = None
    ) -> bool:
        """Remove the document; False when there was none."""
        self._require_open()
        documents.check_name(namespace, key)
        scope = documents.scope_for(guild_id, user_id)
        return await self._run(
            scope.guild_id, partial(documents.delete, namespace=namespace, scope=scope, key=key)
        )

    async def increment(
        self,
        namespace: str,
        key: str,
        amount: int | float = 1,
        *,
        guild_id: int | None = None,
        user_id: int | None = None,
    ) -> int | float:
        """Add ``amount`` in one SQL upsert (a missing document starts at 0) and return the new value.
        Exact under concurrency, also across processes. TypeError if the document is not a number."""
        self._require_open()
        documents.check_name(namespace, key)
        amount = documents.check_amount(amount)
        scope = documents.scope_for(guild_id, user_id)
        job = partial(documents.increment, namespace=namespace, scope=scope, key=key, amount=amount)
        return await self._run(scope.guild_id, job)

    async def items(
        self, namespace: str, *, guild_id: int | None = None, user_id: int | None = None
    ) -> dict[str, Any]:
        """Every document of ``namespace`` in the scope, by key."""
        self._require_open()
        documents.check_name(namespace, "")
        scope = documents.scope_for(guild_id, user_id)
        try:
            return await self._run(
                scope.guild_id,
                partial(documents.items, namespace=namespace, scope=scope),
                create=scope.guild_id is None,
            )
        except NoDatabase:  # a guild with nothing stored: reading creates no database
            return {}

    # --- raw SQL (main.db, or the guild's database with guild_id) --------------------------------

    async def execute(self, sql: str, params: Params = (), *, guild_id: int | None = None) -> int:
        """One statement (autocommit); returns the row count."""
        self._require_open()
        return await self._run(guild_id, lambda conn: conn.execute(sql, params).rowcount)

    async def executemany(self, sql: str, seq: Iterable[Params], *, guild_id: int | None = None) -> int:
        """One statement over ``seq``, all in one transaction; returns the row count."""
        self._require_open()
        return await self._run(
            guild_id, partial(_in_transaction, fn=lambda conn: conn.executemany(sql, seq).rowcount)
        )

    async def fetchall(self, sql: str, params: Params = (), *, guild_id: int | None = None) -> list[Row]:
        """Every row of a query (rows index by name or position)."""
        self._require_open()
        rows: list[Row] = await self._run(guild_id, lambda conn: conn.execute(sql, params).fetchall())
        return rows

    async def fetchone(self, sql: str, params: Params = (), *, guild_id: int | None = None) -> Row | None:
        """The first row of a query, or None."""
        self._require_open()
        row: Row | None = await self._run(guild_id, lambda conn: conn.execute(sql, params).fetchone())
        return row

    async def transaction(self, fn: Callable[[sqlite3.Connection], T], *, guild_id: int | None = None) -> T:
        """``fn(conn)`` in a worker inside ``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` if it
        raises). ``fn`` must not use the event loop or wait on this storage."""
        self._require_open()
        return await self._run(guild_id, partial(_in_transaction, fn=fn))

    # --- migrations ------------------------------------------------------------------------------

    async def migrate(self, namespace: str, steps: MigrationSteps, *, guild_id: int | None = None) -> int:
        """Apply the steps of ``namespace`` not yet recorded in that database (``zoryx_migrations``),
        each in its own transaction; returns the version reached. A failing step is rolled back
        and raises :class:`~zoryx_core.storage.MigrationError`. For every guild database, use
        :meth:`register_guild_migrations` instead."""
        self._require_open()
        documents.check_name(namespace, "")
        chosen = steps_for(steps, "sqlite", f"migrations of {namespace!r}")
        return await self._run(guild_id, partial(apply_migrations, namespace=namespace, steps=tuple(chosen)))


def _in_transaction(conn: sqlite3.Connection, *, fn: Callable[[sqlite3.Connection], T]) -> T:
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = fn(conn)
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result
