"""The PostgreSQL backend: documents, raw SQL, migrations and upkeep in one database shared by any
number of processes and machines, over a bounded asyncpg pool.

The global tables live in the schema ``storage.pg_schema`` (default ``zoryx``); a guild's own tables
(plugins' guild migrations, raw SQL given ``guild_id``) in ``<schema>_g<guild id>``, created the
first time this process uses them. Documents of every scope share one table.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from .. import documents
from ..atomic_json import AtomicJsonFiles
from ..backend import (
    BackupsUnavailable,
    Listener,
    MigrationSteps,
    Params,
    Row,
    StorageBackend,
    StorageUnavailable,
    steps_for,
)
from ..base import StorageOptions
from ..documents import Scope, check_id
from ..lifecycle import DatabaseCheck
from ..migrations import MigrationError, MigrationStep
from . import statements
from .dsn import DsnError, check_url, connect_error, database_url, mask_dsn, target_of
from .notifier import Notifier
from .statements import DocumentSql, guild_schema_name, quote_ident
from .sync_connection import SyncConnection, positional, rowcount_of

__all__ = ["PostgresStorage"]

log = logging.getLogger("zoryx.storage.postgresql")

T = TypeVar("T")
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,39}$")
CONNECT_TIMEOUT = 10.0


def _asyncpg() -> Any:
    try:
        import asyncpg
    except ImportError:
        raise DsnError(
            'storage.backend is "postgresql" but asyncpg is not installed; install the extra: '
            "pip install 'zoryx-core[postgresql]'"
        ) from None
    return asyncpg


def _transient(error: BaseException) -> bool:
    """Whether ``error`` means the server could not be reached or the connection dropped."""
    asyncpg = _asyncpg()
    if isinstance(error, OSError | TimeoutError | asyncpg.PostgresConnectionError):
        return True
    if isinstance(error, asyncpg.exceptions.OperatorInterventionError):  # shutdown, restarting
        return True
    if isinstance(error, asyncpg.exceptions.InternalClientError):  # protocol state after a drop
        return True
    return isinstance(error, asyncpg.InterfaceError) and "closed" in str(error)


class PgPool:
    """The asyncpg pool's figures, and counters of retries and failures."""

    def __init__(self, max_size: int) -> None:
        self.raw: Any = None
        self.max_size = max_size
        self.retries = 0
        self.gave_up = 0
        self.lost_in_flight = 0

    def stats(self) -> dict[str, int]:
        raw = self.raw
        size = 0 if raw is None else int(raw.get_size())
        idle = 0 if raw is None else int(raw.get_idle_size())
        return {
            "open": size,
            "busy": size - idle,
            "idle": idle,
            "max_open": self.max_size,
            "retries": self.retries,
            "gave_up": self.gave_up,
            "lost_in_flight": self.lost_in_flight,
        }

    async def close_idle(self, idle_seconds: float) -> int:
        """asyncpg closes connections idle past ``max_inactive_connection_lifetime`` itself."""
        return 0


class PostgresStorage(StorageBackend):
    """The PostgreSQL backend (``dialect`` is ``"postgresql"``). ``dsn`` defaults to
    ``ZORYX_DATABASE_URL``; JSON files stay in ``data_dir`` (they are per machine)."""

    dialect = "postgresql"
    pool: PgPool

    def __init__(
        self, data_dir: Path, options: StorageOptions | None = None, *, dsn: str | None = None
    ) -> None:
        self.data_dir = Path(data_dir)
        self.options = options or StorageOptions(backend="postgresql")
        if not _SCHEMA_NAME.match(self.options.pg_schema):
            raise ValueError(
                f"storage.pg_schema must be lower-case letters, digits and '_' (at most 40, not starting "
                f"with a digit), got {self.options.pg_schema!r}"
            )
        self.schema = self.options.pg_schema
        self.json = AtomicJsonFiles(
            cache_ttl=self.options.json_cache_ttl, cache_size=self.options.json_cache_size
        )
        self.pool = PgPool(self.options.pg_pool_size)
        self._dsn = dsn
        self._sql = DocumentSql(self.schema)
        self._state = "closed"
        self._run_id = 0
        self._guild_migrations: dict[str, tuple[MigrationStep, ...]] = {}
        self._generation = 0
        self._prepared: dict[int, int] = {}
        self._paths: dict[int, str] = {}  # server pid of a pooled connection -> its search_path
        self._notifier: Notifier | None = None

    # --- lifecycle ---------------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self._state == "open"

    @property
    def where(self) -> str:
        """``host:port/database`` (no credentials)."""
        return target_of(self._dsn or "")

    async def open(self) -> None:
        """Connect (a :class:`~zoryx_core.storage.postgres.dsn.DsnError` naming the host if that fails),
        create the core tables and record the start of this run."""
        if self._state != "closed":
            return
        asyncpg = _asyncpg()
        self._dsn = database_url() if self._dsn is None else check_url(self._dsn)
        try:
            self.pool.raw = await asyncpg.create_pool(
                self._dsn,
                min_size=1,
                max_size=self.options.pg_pool_size,
                timeout=CONNECT_TIMEOUT,
                reset=_keep_session,
                server_settings={"search_path": self.schema, "application_name": "zoryx"},
            )
        except Exception as exc:
            raise connect_error(self._dsn, exc) from None
        try:
            self._run_id = await self._use(self._create_core, idempotent=False)
        except BaseException:
            await self.pool.raw.close()
            self.pool.raw = None
            raise
        self._state = "open"
        log.info("storage open: PostgreSQL at %s, schema %s", mask_dsn(self._dsn), self.schema)

    async def close(self) -> None:
        """Record a clean stop, stop listening and close the pool. Idempotent."""
        if self._state != "open":
            return
        self._state = "closing"
        try:
            try:
                await self._use(self._finish_run, idempotent=True)
            except Exception:
                log.exception("could not record the clean stop in PostgreSQL at %s", self.where)
            if self._notifier is not None:
                await self._notifier.close()
                self._notifier = None
        finally:
            pool, self.pool.raw = self.pool.raw, None
            if pool is not None:
                try:
                    await asyncio.wait_for(pool.close(), timeout=10)
                except (TimeoutError, Exception):
                    pool.terminate()
            self._paths.clear()
            self._prepared.clear()
            self._state = "closed"
        log.info("storage closed (PostgreSQL at %s)", self.where)

    async def _create_core(self, conn: Any) -> int:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"zoryx-schema:{self.schema}")
            for statement in statements.core_schema(self.schema):
                await conn.execute(statement)
            run_id = await conn.fetchval(
                f"INSERT INTO {quote_ident(self.schema)}.zoryx_runs DEFAULT VALUES RETURNING id"
            )
        self._paths.pop(conn.get_server_pid(), None)  # the schema may not have existed at connect
        return int(run_id)

    async def _finish_run(self, conn: Any) -> None:
        await conn.execute(
            f"UPDATE {quote_ident(self.schema)}.zoryx_runs SET stopped = now(), clean = 1 WHERE id = $1",
            self._run_id,
        )

    # --- running work with bounded retries ---------------------------------------------------------

    def _require_open(self) -> None:
        if self._state != "open":
            raise RuntimeError(f"storage is not open (PostgreSQL at {self.where})")

    async def _use(
        self,
        work: Callable[[Any], Awaitable[T]],
        *,
        guild_id: int | None = None,
        idempotent: bool,
        prepare: bool = True,
    ) -> T:
        """``work(conn)`` on a pooled connection whose search_path is the main or the guild's schema.

        While the server cannot be reached the attempt is repeated for ``pg_retry_seconds``. A
        connection lost after a change was sent is retried only when repeating it is harmless
        (``idempotent``); otherwise :class:`StorageUnavailable` says the change was not acknowledged.
        """
        pool = self.pool.raw
        if pool is None:
            raise RuntimeError(f"storage is not open (PostgreSQL at {self.where})")
        deadline = time.monotonic() + self.options.pg_retry_seconds
        attempt = 0
        while True:
            attempt += 1
            sent = False
            try:
                conn = await pool.acquire(timeout=CONNECT_TIMEOUT)
                pid = conn.get_server_pid()
                try:
                    await self._enter(conn, guild_id, prepare)
                    sent = True
                    result = await work(conn)
                except Exception as exc:
                    if _transient(exc):
                        self._paths.pop(pid, None)
                        with contextlib.suppress(Exception):
                            conn.terminate()  # never hand a half-broken connection out again
                    raise
                finally:
                    await pool.release(conn)
            except Exception as exc:
                if not _transient(exc):
                    raise
                if sent and not idempotent:
                    self.pool.lost_in_flight += 1
                    raise StorageUnavailable(
                        f"lost the connection to PostgreSQL at {self.where} while a change was in flight "
                        f"({type(exc).__name__}); it was not acknowledged and may not have been applied"
                    ) from None
                if time.monotonic() >= deadline:
                    self.pool.gave_up += 1
                    raise StorageUnavailable(
                        f"PostgreSQL at {self.where} could not be reached for "
                        f"{self.options.pg_retry_seconds:g} s ({type(exc).__name__}: {exc})"
                    ) from None
                self.pool.retries += 1
                if attempt == 1:
                    log.warning(
                        "lost the connection to PostgreSQL at %s (%s); retrying for up to %g s",
                        self.where, type(exc).__name__, self.options.pg_retry_seconds,
                    )  # fmt: skip
                await asyncio.sleep(min(0.05 * 2**attempt, 1.0))
                continue
            if attempt > 1:
                log.warning("PostgreSQL at %s answers again (after %d attempts)", self.where, attempt)
            return result

    async def _enter(self, conn: Any, guild_id: int | None, prepare: bool) -> None:
        path = self.schema if guild_id is None else guild_schema_name(self.schema, guild_id)
        pid = conn.get_server_pid()
        if self._paths.get(pid) != path:
            await conn.execute(f"SET search_path TO {quote_ident(path)}")
            self._paths[pid] = path
        if guild_id is not None and prepare:
            await self._prepare_guild(conn, guild_id)  # its migrations run with the guild's search_path

    async def _prepare_guild(self, conn: Any, guild_id: int) -> None:
        """The guild's schema with the registered guild migrations, once per process and generation."""
        generation = self._generation
        if self._prepared.get(guild_id) == generation:
            return
        schema = guild_schema_name(self.schema, guild_id)
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"zoryx-schema:{schema}")
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(schema)}")
            await conn.execute(statements.migrations_table(schema))
            await conn.execute(
                f"INSERT INTO {quote_ident(self.schema)}.zoryx_guild_schemas (guild_id, created_at) "
                "VALUES ($1, $2) ON CONFLICT (guild_id) DO NOTHING",
                guild_id, time.time(),
            )  # fmt: skip
        for namespace, steps in list(self._guild_migrations.items()):
            await self._apply(conn, schema, namespace, steps)
        self._prepared[guild_id] = generation

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
            lambda conn: conn.fetchval(self._sql.get, *args), guild_id=self._doc_guild(scope), idempotent=True
        )
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
            lambda conn: conn.fetch(self._sql.items, *args), guild_id=self._doc_guild(scope), idempotent=True
        )
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

    async def _apply(self, conn: Any, schema: str, namespace: str, steps: tuple[MigrationStep, ...]) -> int:
        table = f"{quote_ident(schema)}.zoryx_migrations"
        version_sql = f"SELECT COALESCE(MAX(version), 0) FROM {table} WHERE namespace = $1"
        version = int(await conn.fetchval(version_sql, namespace))
        loop = asyncio.get_running_loop()
        for number in range(version + 1, len(steps) + 1):
            try:
                async with conn.transaction():
                    lock = f"zoryx-migrate:{schema}:{namespace}"
                    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", lock)
                    if int(await conn.fetchval(version_sql, namespace)) >= number:
                        continue  # another process applied it meanwhile
                    step = steps[number - 1]
                    if isinstance(step, str):
                        await conn.execute(step)
                    elif asyncio.iscoroutinefunction(step):
                        await step(conn)
                    else:
                        sync_step: Callable[[Any], None] = step
                        await asyncio.to_thread(sync_step, SyncConnection(conn, loop))
                    await conn.execute(
                        f"INSERT INTO {table} (namespace, version, applied_at) VALUES ($1, $2, $3)",
                        namespace, number, time.time(),
                    )  # fmt: skip
            except Exception as exc:
                if _transient(exc):
                    raise
                raise MigrationError(namespace, number, exc) from exc
        return max(version, len(steps))

    # --- upkeep ----------------------------------------------------------------------------------------

    async def backup(self, *, guild_ids: Iterable[int] | None = None) -> Path:
        raise BackupsUnavailable(
            "the PostgreSQL store is backed up with pg_dump (see the README, Storage); the bot makes no "
            "backup sets of it"
        )

    def backup_sets(self) -> list[Path]:
        return []

    async def guild_departed(self, guild_id: int) -> None:
        self._require_open()
        guild = check_id(guild_id, "guild_id")
        await self._use(
            lambda conn: conn.execute(
                "INSERT INTO zoryx_departed_guilds (guild_id, left_at) VALUES ($1, $2) "
                "ON CONFLICT (guild_id) DO NOTHING", guild, time.time(),
            ),
            idempotent=True,
        )  # fmt: skip

    async def guild_returned(self, guild_id: int) -> None:
        self._require_open()
        guild = check_id(guild_id, "guild_id")
        await self._use(
            lambda conn: conn.execute("DELETE FROM zoryx_departed_guilds WHERE guild_id = $1", guild),
            idempotent=True,
        )

    async def cleanup_departed(self, *, now: float | None = None) -> list[int]:
        """Delete the documents and the schema of guilds left longer than the grace period ago."""
        self._require_open()
        cutoff = (time.time() if now is None else now) - self.options.departed_grace_seconds

        async def clean(conn: Any) -> list[int]:
            cleaned = []
            rows = await conn.fetch(
                "SELECT guild_id FROM zoryx_departed_guilds WHERE left_at <= $1 ORDER BY guild_id", cutoff
            )
            for row in rows:
                guild_id = int(row[0])
                async with conn.transaction():
                    still = await conn.fetchval(
                        "DELETE FROM zoryx_departed_guilds WHERE guild_id = $1 AND left_at <= $2 "
                        "RETURNING guild_id", guild_id, cutoff,
                    )  # fmt: skip
                    if still is None:
                        continue  # it came back meanwhile
                    await conn.execute(self._sql.delete_guild, guild_id)
                    schema = guild_schema_name(self.schema, guild_id)
                    await conn.execute(f"DROP SCHEMA IF EXISTS {quote_ident(schema)} CASCADE")
                    await conn.execute("DELETE FROM zoryx_guild_schemas WHERE guild_id = $1", guild_id)
                self._prepared.pop(guild_id, None)
                cleaned.append(guild_id)
            return cleaned

        cleaned = await self._use(clean, idempotent=True)
        if cleaned:
            log.info("deleted the data of %d guilds left more than the grace period ago", len(cleaned))
        return cleaned

    async def purge_user(self, user_id: int) -> int:
        self._require_open()
        user = check_id(user_id, "user_id")
        sql = self._sql.purge_user
        removed = rowcount_of(await self._use(lambda conn: conn.execute(sql, user), idempotent=True))
        log.info("purged %d documents of user %d", removed, user)
        return removed

    async def guild_ids(self) -> list[int]:
        """Guilds with documents or a schema of their own."""
        rows = await self.fetchall(
            f"SELECT guild_id FROM zoryx_guild_schemas UNION {self._sql.guild_ids} ORDER BY 1"
        )
        return [int(row[0]) for row in rows]

    async def guild_schema_ids(self) -> list[int]:
        """Guilds whose own schema exists."""
        rows = await self.fetchall("SELECT guild_id FROM zoryx_guild_schemas ORDER BY guild_id")
        return [int(row[0]) for row in rows]

    async def integrity_check(self) -> list[DatabaseCheck]:
        """Reads every table of the main schema and of each guild schema in full (page checksums are
        verified on read when the cluster has them on). Never raises."""
        try:
            ids = await self.guild_schema_ids()
        except Exception as exc:
            return [DatabaseCheck(Path(self.where), False, f"{type(exc).__name__}: {exc}")]
        checks = []
        for schema in [self.schema, *(guild_schema_name(self.schema, g) for g in ids)]:
            where = Path(self.where) / schema
            try:
                detail = await self._use(partial(_read_all_tables, schema=schema), idempotent=True)
                checks.append(DatabaseCheck(where, True, detail))
            except Exception as exc:
                log.error("integrity check failed for %s: %s", where, exc)
                checks.append(DatabaseCheck(where, False, f"{type(exc).__name__}: {exc}"))
        return checks

    async def close_idle(self, idle_seconds: float) -> int:
        return await self.pool.close_idle(idle_seconds)

    def stats(self) -> dict[str, Any]:
        return {
            "backend": "postgresql",
            "open": self.is_open,
            "pool": self.pool.stats(),
            "json": self.json.stats(),
            "guild_schemas_prepared": len(self._prepared),
            "notifications": 0 if self._notifier is None else self._notifier.delivered,
        }

    async def describe(self) -> dict[str, Any]:
        self._require_open()

        async def read(conn: Any) -> dict[str, Any]:
            like = self.schema.replace("_", r"\_") + r"\_g%"
            size = await conn.fetchval(
                "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'm') "
                "AND (n.nspname = $1 OR n.nspname LIKE $2)", self.schema, like,
            )  # fmt: skip
            return {
                "server_version": ".".join(str(part) for part in conn.get_server_version()[:2]),
                "database_bytes": int(await conn.fetchval("SELECT pg_database_size(current_database())")),
                "zoryx_bytes": int(size),
                "documents": int(await conn.fetchval("SELECT count(*) FROM zoryx_documents")),
                "guild_schemas": int(await conn.fetchval("SELECT count(*) FROM zoryx_guild_schemas")),
            }

        figures = await self._use(read, idempotent=True)
        return {
            "backend": "postgresql",
            "location": mask_dsn(self._dsn or ""),
            "schema": self.schema,
            **figures,
            "pool": self.pool.stats(),
        }

    # --- notifications between processes ----------------------------------------------------------

    async def subscribe(self, channel: str, listener: Listener) -> None:
        self._require_open()
        if self._notifier is None:
            asyncpg = _asyncpg()
            dsn = self._dsn
            self._notifier = Notifier(lambda: asyncpg.connect(dsn, timeout=CONNECT_TIMEOUT), self.where)
        await self._notifier.subscribe(self._channel(channel), listener)

    async def notify(self, channel: str, payload: str) -> None:
        self._require_open()
        name = self._channel(channel)
        await self._use(lambda conn: conn.execute("SELECT pg_notify($1, $2)", name, payload), idempotent=True)

    def _channel(self, channel: str) -> str:
        return f"{self.schema}.{channel}"


async def _keep_session(conn: Any) -> None:
    """Pool reset: roll back a transaction left open, keep the session (its search_path) as is."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


async def _read_all_tables(conn: Any, schema: str) -> str:
    tables = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY 1", schema)
    rows = 0
    for table in tables:
        rows += int(
            await conn.fetchval(f"SELECT count(*) FROM {quote_ident(schema)}.{quote_ident(table[0])}")
        )
    return f"ok ({len(tables)} tables, {rows} rows)"


def _to_json(namespace: str, key: str, value: Any) -> str:
    stored = documents.encode(namespace, key, value)
    return stored if isinstance(stored, str) else json.dumps(stored)
