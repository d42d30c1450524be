"""The PostgreSQL backend: documents, raw SQL, migrations and upkeep in one database shared by any
number of processes and machines, over a bounded asyncpg pool.

The global tables live in the schema ``storage.pg_schema`` (default ``zoryx``); a guild's own tables
(plugins' guild migrations, raw SQL given ``guild_id``) in ``<schema>_g<guild id>``, created the
first time this process uses them. Documents of every scope share one table.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from .. import documents
from ..backend import Listener, MigrationSteps, Params, Row, steps_for
from ..documents import Scope, check_id
from .base import CONNECT_TIMEOUT, load_asyncpg
from .notifier import Notifier
from .statements import guild_schema_name
from .sync_connection import SyncConnection, positional, rowcount_of
from .upkeep import PostgresUpkeep

__all__ = ["PostgresStorage"]

T = TypeVar("T")


class PostgresStorage(PostgresUpkeep):
    """The PostgreSQL backend (``dialect`` is ``"postgresql"``). ``dsn`` defaults to
    ``ZORYX_DATABASE_URL``; JSON files stay in ``data_dir`` (they are per machine)."""

    # --- documents -----------------------------------------------------------------------------------

    def _doc_guild(self, scope: Scope) -> int | None:
        """Where a document operation runs: in the guild (prepared) only if guild migrations exist."""
        return scope.guild_id if scope.guild_id is not None and self._guild_migrations else None

    @staticmethod
    def _key(namespace: str, scope: Scope, key: str) -> tuple[Any, ...]:
        return (namespace, scope.name, scope.guild_id or 0, scope.scope_id, key)

    async def get(
        self,
        namespace: str,
        key: str,
        default: Any = None,
        *,
        guild_id: int | None = None,
        user_id: int | None = None,
    ) -> Any:
        self._require_open()
        documents.check_name(namespace, key)
        scope = documents.scope_for(guild_id, user_id)
        args = self._key(namespace, scope, key)
        text = await self._use(
            lambda conn: conn.fetchval(self._sql.get, *args), idempotent=True
        )  # the documents table is in the main schema: reading prepares no guild schema
        return default if text is None else json.loads(text)

    async def set(
        self, namespace: str, key: str, value: Any, *, guild_id: int | None = None, user_id: int | None = None
    ) -> None:
        self._require_open()
        documents.check_name(namespace, key)
        scope = documents.scope_for(guild_id, user_id)
        args = (*self._key(namespace, scope, key), _to_json(namespace, key, value), time.time())
        await self._use(
            lambda conn: conn.execute(self._sql.put, *args), guild_id=self._doc_guild(scope), idempotent=True
        )

    async def set_many(
        self,
        namespace: str,
        values: Mapping[str, Any],
        *,
        guild_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        self._require_open()
        for key in values:
            documents.check_name(namespace, key)
        scope = documents.scope_for(guild_id, user_id)
        now = time.time()
        puts = [
            (*self._key(namespace, scope, k), _to_json(namespace, k, v), now)
            for k, v in values.items()
            if v is not None
        ]
        deletes = [self._key(namespace, scope, k) for k, v in values.items() if v is None]

        async def write(conn: Any) -> None:
            async with conn.transaction():
                if puts:
                    await conn.executemany(self._sql.put, puts)
                if deletes:
                    await conn.executemany(self._sql.delete, deletes)

        await self._use(write, guild_id=self._doc_guild(scope), idempotent=True)

    async def delete(
        self, namespace: str, key: str, *, guild_id: int | None = None, user_id: int | None = None
    ) -> bool:
        self._require_open()
        documents.check_name(namespace, key)
        scope = documents.scope_for(guild_id, user_id)
        args = self._key(namespace, scope, key)
        status = await self._use(
            lambda conn: conn.execute(self._sql.delete, *args),
            guild_id=self._doc_guild(scope),
            idempotent=True,
        )
        return rowcount_of(status) > 0

    async def increment(
        self,
        namespace: str,
        key: str,
        amount: int | float = 1,
        *,
        guild_id: int | None = None,
        user_id: int | None = None,
    ) -> int | float:
        """One upsert, exact under concurrency from any number of processes. A connection lost while
        it is in flight raises :class:`StorageUnavailable` (never counted twice)."""
        self._require_open()
        documents.check_name(namespace, key)
        amount = documents.check_amount(amount)
        scope = documents.scope_for(guild_id, user_id)
        args = (*self._key(namespace, scope, key), json.dumps(amount), time.time(), isinstance(amount, int))
        text = await self._use(
            lambda conn: conn.fetchval(self._sql.increment, *args),
            guild_id=self._doc_guild(scope),
            idempotent=False,
        )
        if text is None:
            raise TypeError(f"cannot increment {namespace}/{key}: it does not hold a number")
        result: int | float = json.loads(text)
        return result

    async def items(
        self, namespace: str, *, guild_id: int | None = None, user_id: int | None = None
    ) -> dict[str, Any]:
        self._require_open()
        documents.check_name(namespace, "")
        scope = documents.scope_for(guild_id, user_id)
        args = (namespace, scope.name, scope.guild_id or 0, scope.scope_id)
        rows = await self._use(
            lambda conn: conn.fetch(self._sql.items, *args), idempotent=True
        )  # the documents table is in the main schema: reading prepares no guild schema
        return {row[0]: json.loads(row[1]) for row in rows}

    # --- raw SQL (PostgreSQL dialect, $n placeholders) ---------------------------------------------

    async def execute(self, sql: str, params: Params = (), *, guild_id: int | None = None) -> int:
        self._require_open()
        args = positional(params)
        status = await self._use(lambda conn: conn.execute(sql, *args), guild_id=guild_id, idempotent=False)
        return rowcount_of(status)

    async def executemany(self, sql: str, seq: Iterable[Params], *, guild_id: int | None = None) -> int:
        """All in one transaction; returns the number of parameter sets (PostgreSQL does not report
        a row count for a batch)."""
        self._require_open()
        rows = [positional(params) for params in seq]

        async def run(conn: Any) -> int:
            async with conn.transaction():
                await conn.executemany(sql, rows)
            return len(rows)

        return await self._use(run, guild_id=guild_id, idempotent=False)

    async def fetchall(self, sql: str, params: Params = (), *, guild_id: int | None = None) -> list[Row]:
        self._require_open()
        args = positional(params)
        rows = await self._use(lambda conn: conn.fetch(sql, *args), guild_id=guild_id, idempotent=True)
        return list(rows)

    async def fetchone(self, sql: str, params: Params = (), *, guild_id: int | None = None) -> Row | None:
        self._require_open()
        args = positional(params)
        return await self._use(lambda conn: conn.fetchrow(sql, *args), guild_id=guild_id, idempotent=True)

    async def transaction(self, fn: Callable[[Any], T], *, guild_id: int | None = None) -> T:
        """``fn(conn)`` in a worker thread inside one transaction; ``conn`` is a
        :class:`~zoryx_core.storage.postgres.sync_connection.SyncConnection` (``$n`` placeholders).

        Like SQLite's ``BEGIN IMMEDIATE``, these transactions run one at a time per schema (main or
        the guild's) across every process sharing the database (a transaction-level advisory lock),
        so a check-then-write inside ``fn`` holds."""
        self._require_open()
        loop = asyncio.get_running_loop()
        where = self.schema if guild_id is None else guild_schema_name(self.schema, guild_id)

        async def run(conn: Any) -> T:
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"zoryx-transaction:{where}")
                return await asyncio.to_thread(fn, SyncConnection(conn, loop))

        return await self._use(run, guild_id=guild_id, idempotent=False)

    # --- migrations ----------------------------------------------------------------------------------

    async def migrate(self, namespace: str, steps: MigrationSteps, *, guild_id: int | None = None) -> int:
        """Apply the steps not yet recorded in the schema's ``zoryx_migrations``, each in its own
        transaction under an advisory lock (safe when several processes start at once)."""
        self._require_open()
        documents.check_name(namespace, "")
        chosen = steps_for(steps, "postgresql", f"migrations of {namespace!r}")
        schema = (
            self.schema
            if guild_id is None
            else guild_schema_name(self.schema, check_id(guild_id, "guild_id"))
        )
        return await self._use(
            lambda conn: self._apply(conn, schema, namespace, chosen), guild_id=guild_id, idempotent=True
        )

    def register_guild_migrations(self, namespace: str, steps: MigrationSteps) -> None:
        if not isinstance(namespace, str) or not namespace:
            raise ValueError(f"namespace must be a non-empty str, got {namespace!r}")
        self._guild_migrations[namespace] = steps_for(steps, "postgresql", f"migrations of {namespace!r}")
        self._generation += 1

    # --- notifications between processes ----------------------------------------------------------

    async def subscribe(self, channel: str, listener: Listener) -> None:
        self._require_open()
        if self._notifier is None:
            asyncpg = load_asyncpg()
            dsn = self._dsn
            self._notifier = Notifier(
                lambda: asyncpg.connect(
                    dsn, timeout=CONNECT_TIMEOUT, server_settings={"application_name": "zoryx-listen"}
                ),
                self.where,
            )
        await self._notifier.subscribe(self._channel(channel), listener)

    async def notify(self, channel: str, payload: str) -> None:
        self._require_open()
        name = self._channel(channel)
        await self._use(lambda conn: conn.execute("SELECT pg_notify($1, $2)", name, payload), idempotent=True)

    def _channel(self, channel: str) -> str:
        return f"{self.schema}.{channel}"


def _to_json(namespace: str, key: str, value: Any) -> str:
    stored = documents.encode(namespace, key, value)
    return stored if isinstance(stored, str) else json.dumps(stored)
