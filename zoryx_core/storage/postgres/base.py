"""What both halves of the PostgreSQL backend share: the pool, opening and closing, running work
with bounded retries on a connection whose search_path is the main or the guild's schema, guild
schemas and applying migrations."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from ..atomic_json import AtomicJsonFiles
from ..backend import StorageBackend, StorageUnavailable
from ..base import StorageOptions
from ..migrations import MigrationError, MigrationStep
from . import statements
from .dsn import DsnError, check_url, connect_error, database_url, mask_dsn, target_of
from .notifier import Notifier
from .statements import DocumentSql, guild_schema_name, quote_ident
from .sync_connection import SyncConnection

__all__ = ["CONNECT_TIMEOUT", "PgPool", "PostgresBase", "load_asyncpg"]

log = logging.getLogger("zoryx.storage.postgresql")

T = TypeVar("T")
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,39}$")
CONNECT_TIMEOUT = 10.0


def load_asyncpg() -> Any:
    """The asyncpg module, or a :class:`DsnError` naming the extra that installs it."""
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
    asyncpg = load_asyncpg()
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
        self.operations = 0
        """Operations run on a pooled connection (each is at least one round trip)."""

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
            "operations": self.operations,
        }

    async def close_idle(self, idle_seconds: float) -> int:
        """asyncpg closes connections idle past ``max_inactive_connection_lifetime`` itself."""
        return 0


class PostgresBase(StorageBackend):
    """Pool, lifecycle and the way every operation runs (see :class:`PostgresStorage`)."""

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
        asyncpg = load_asyncpg()
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
        self.pool.operations += 1
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


async def _keep_session(conn: Any) -> None:
    """Pool reset: roll back a transaction left open, keep the session (its search_path) as is."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")
