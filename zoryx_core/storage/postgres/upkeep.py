"""The upkeep half of the PostgreSQL backend: departed guilds, erasing a user's data, integrity
checks, figures; backups are left to ``pg_dump``."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any

from ...ui.text import plural
from ..backend import BackupsUnavailable
from ..documents import check_id
from ..lifecycle import DatabaseCheck
from .base import PostgresBase
from .dsn import mask_dsn
from .statements import guild_schema_name, quote_ident
from .sync_connection import rowcount_of

__all__ = ["PostgresUpkeep"]

log = logging.getLogger("zoryx.storage.postgresql")


class PostgresUpkeep(PostgresBase):
    """Departed guilds, ``purge_user``, ``integrity_check``, ``stats`` and ``describe``."""

    async def backup(self, *, guild_ids: Iterable[int] | None = None) -> Path:
        raise BackupsUnavailable(
            "the PostgreSQL store is backed up with pg_dump (see docs/storage.md, Backups); the bot makes no "
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


async def _read_all_tables(conn: Any, schema: str) -> str:
    tables = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY 1", schema)
    rows = 0
    for table in tables:
        rows += int(
            await conn.fetchval(f"SELECT count(*) FROM {quote_ident(schema)}.{quote_ident(table[0])}")
        )
    return f"ok ({plural(len(tables), 'table')}, {plural(rows, 'row')})"
