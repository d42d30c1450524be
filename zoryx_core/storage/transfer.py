"""Copying a SQLite data folder into PostgreSQL (``zoryx storage migrate --to postgresql``).

The source is opened read-only and never changed. Each database (main.db, then every guild's) is
copied in one PostgreSQL transaction that first removes what an earlier, interrupted run left of
it, so a run can be repeated at any time; a database whose copy was verified is skipped when its
file has not changed since. After copying, every table and document namespace is compared: row
counts and a SHA-256 over the rows, read back from PostgreSQL.

Documents go to the shared documents table. Other tables (plugins' own, command usage) are
created in the target schema with mapped column types when missing, and their migration records
are copied so the plugins' migrations are not applied twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .lifecycle import guild_ids_on_disk
from .postgres.statements import core_schema, guild_schema_name, migrations_table, quote_ident

__all__ = ["TransferReport", "UnitResult", "file_checksum", "migrate_sqlite_to_postgresql"]

GUILD_DB_NAME = "guild.db"
_SKIPPED_TABLES = {"zoryx_documents", "zoryx_runs", "zoryx_migrations", "sqlite_sequence"}
_LITERAL = re.compile(r"^(-?[0-9]+(\.[0-9]+)?|'([^']|'')*')$")
_TYPES = {"INTEGER": "bigint", "INT": "bigint", "REAL": "double precision", "TEXT": "text", "BLOB": "bytea"}


@dataclass
class UnitResult:
    """One source database: what was compared and whether it matched."""

    name: str
    skipped: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    """``documents:<namespace>`` and ``table:<name>`` -> rows."""
    mismatches: list[str] = field(default_factory=list)


@dataclass
class TransferReport:
    units: list[UnitResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(not unit.mismatches for unit in self.units)

    @property
    def copied(self) -> int:
        return sum(1 for unit in self.units if not unit.skipped)


def file_checksum(path: Path) -> str:
    """SHA-256 of a file's bytes (with its ``-wal`` file, when present)."""
    digest = hashlib.sha256()
    for part in (path, path.with_name(path.name + "-wal")):
        if part.exists():
            with part.open("rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
    return digest.hexdigest()


# --- reading the source (read-only) ---------------------------------------------------------------


@contextlib.contextmanager
def _open_read_only(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection that cannot change ``path`` or add files next to it: ``immutable`` when there
    is no write-ahead log to replay, else a private copy of the database and its log."""
    wal = path.with_name(path.name + "-wal")
    with tempfile.TemporaryDirectory(prefix="zoryx-migrate-") as scratch:
        if wal.exists() and wal.stat().st_size > 0:
            copy = Path(scratch) / path.name
            shutil.copyfile(path, copy)
            shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
            conn = sqlite3.connect(copy, check_same_thread=False)
        else:
            conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        try:
            yield conn
        finally:
            conn.close()


@dataclass
class SourceTable:
    name: str
    columns: list[tuple[str, str]]  # name, declared type
    primary_key: list[str]
    rows: list[tuple[Any, ...]]
    not_null: set[str] = field(default_factory=set)
    defaults: dict[str, str] = field(default_factory=dict)
    """Column -> SQL literal default (numbers and quoted strings only)."""


@dataclass
class SourceDatabase:
    documents: list[tuple[str, str, int, str, str]]  # namespace, scope, scope_id, key, JSON text
    tables: list[SourceTable]
    migrations: list[tuple[str, int, float]]
    departed: list[tuple[int, float]]


def read_source(path: Path) -> SourceDatabase:
    """Everything to copy from one SQLite database (blocking)."""
    with _open_read_only(path) as conn:
        names = [row[0] for row in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")]
        documents = []
        if "zoryx_documents" in names:
            for row in conn.execute("SELECT namespace, scope, scope_id, key, value FROM zoryx_documents"):
                value = row[4]
                text = value if isinstance(value, str) else json.dumps(value)
                documents.append((row[0], row[1], int(row[2]), row[3], text))
        migrations = []
        if "zoryx_migrations" in names:
            migrations = [
                (r[0], int(r[1]), float(r[2]))
                for r in conn.execute("SELECT namespace, version, applied_at FROM zoryx_migrations")
            ]
        departed = []
        if "zoryx_departed_guilds" in names:
            departed = [
                (int(r[0]), float(r[1]))
                for r in conn.execute("SELECT guild_id, left_at FROM zoryx_departed_guilds")
            ]
        tables = []
        for name in names:
            if name in _SKIPPED_TABLES or name == "zoryx_departed_guilds" or name.startswith("sqlite_"):
                continue
            info = conn.execute(f"PRAGMA table_info({quote_ident(name)})").fetchall()
            columns = [(str(c["name"]), str(c["type"] or "")) for c in info]
            key = [str(c["name"]) for c in sorted(info, key=lambda c: c["pk"]) if c["pk"]]
            listed = ", ".join(quote_ident(c) for c, _ in columns)
            rows = [tuple(r) for r in conn.execute(f"SELECT {listed} FROM {quote_ident(name)}")]
            not_null = {str(c["name"]) for c in info if c["notnull"]}
            defaults = {
                str(c["name"]): str(c["dflt_value"])
                for c in info
                if c["dflt_value"] is not None and _LITERAL.match(str(c["dflt_value"]))
            }
            tables.append(SourceTable(name, columns, key, rows, not_null, defaults))
        return SourceDatabase(documents, tables, migrations, departed)


# --- checksums, the same on both sides ------------------------------------------------------------


def _canonical(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def rows_digest(rows: Iterable[Iterable[Any]]) -> str:
    """SHA-256 over rows in a stable order, values normalised (bytes as hex, whole floats as ints)."""
    lines = sorted(json.dumps([_canonical(v) for v in row], ensure_ascii=False) for row in rows)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def document_digests(docs: Iterable[tuple[str, str, int, str, str]]) -> dict[str, tuple[int, str]]:
    """Per namespace: (documents, digest) over scope, scope id, key and the value's canonical JSON."""
    grouped: dict[str, list[tuple[Any, ...]]] = {}
    for namespace, scope, scope_id, key, text in docs:
        value = json.dumps(json.loads(text), sort_keys=True, ensure_ascii=False)
        grouped.setdefault(namespace, []).append((scope, scope_id, key, value))
    return {ns: (len(rows), rows_digest(rows)) for ns, rows in grouped.items()}


# --- writing the target ------------------------------------------------------------------------------


def _pg_type(declared: str) -> str:
    word = declared.upper().split("(")[0].strip()
    if "INT" in word:
        return "bigint"
    return _TYPES.get(word, "double precision" if word in ("FLOAT", "DOUBLE", "NUMERIC") else "text")


def _convert(value: Any, pg_type: str) -> Any:
    if value is None:
        return None
    if pg_type == "text" and not isinstance(value, str):
        return str(value)
    if pg_type == "double precision" and isinstance(value, int):
        return float(value)
    return value


def _column_definitions(table: SourceTable) -> list[str]:
    """PostgreSQL columns for a SQLite table: mapped types, NOT NULL, literal defaults, the primary
    key; an INTEGER PRIMARY KEY (SQLite's row id) becomes an identity column."""
    row_id = len(table.primary_key) == 1 and "INT" in dict(table.columns)[table.primary_key[0]].upper()
    definitions = []
    for name, declared in table.columns:
        parts = [quote_ident(name), _pg_type(declared)]
        if row_id and name == table.primary_key[0]:
            parts.append("GENERATED BY DEFAULT AS IDENTITY")
        if name in table.not_null:
            parts.append("NOT NULL")
        if name in table.defaults:
            parts.append(f"DEFAULT {table.defaults[name]}")
        definitions.append(" ".join(parts))
    if table.primary_key:
        definitions.append(f"PRIMARY KEY ({', '.join(quote_ident(c) for c in table.primary_key)})")
    return definitions


async def _copy_tables(conn: Any, schema: str, tables: list[SourceTable]) -> None:
    for table in tables:
        target = f"{quote_ident(schema)}.{quote_ident(table.name)}"
        existing = await conn.fetch(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = $1 AND table_name = $2",
            schema, table.name,
        )  # fmt: skip
        types = {str(r[0]): str(r[1]) for r in existing}
        if not types:
            await conn.execute(f"CREATE TABLE {target} ({', '.join(_column_definitions(table))})")
            types = {c: _pg_type(t) for c, t in table.columns}
        else:
            await conn.execute(f"DELETE FROM {target}")
        names = [c for c, _ in table.columns]
        placeholders = ", ".join(f"${i}" for i in range(1, len(names) + 1))
        listed = ", ".join(quote_ident(c) for c in names)
        rows = [
            tuple(_convert(v, types.get(c, "text")) for v, c in zip(row, names, strict=True))
            for row in table.rows
        ]
        if rows:
            await conn.executemany(f"INSERT INTO {target} ({listed}) VALUES ({placeholders})", rows)
        for column in table.primary_key:  # a serial or identity key continues after the copied ids
            if types.get(column) not in ("bigint", "integer", "smallint"):
                continue
            highest = f"SELECT MAX({quote_ident(column)}) FROM {target}"
            await conn.execute(
                f"SELECT setval(CAST(seq AS regclass), COALESCE(({highest}), 0) + 1, false)"
                " FROM pg_get_serial_sequence($1, $2) AS seq WHERE seq IS NOT NULL",
                f"{quote_ident(schema)}.{quote_ident(table.name)}", column,
            )  # fmt: skip


async def _copy_unit(conn: Any, main: str, guild_id: int, source: SourceDatabase) -> None:
    """One database in one transaction: what an earlier run left of it is replaced."""
    schema = main if guild_id == 0 else guild_schema_name(main, guild_id)
    docs = f"{quote_ident(main)}.zoryx_documents"
    async with conn.transaction():
        await conn.execute(f"DELETE FROM {docs} WHERE guild_id = $1", guild_id)
        await conn.executemany(
            f"INSERT INTO {docs} (namespace, scope, guild_id, scope_id, key, value, updated_at) "
            "VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)",
            [
                (ns, scope, guild_id, sid, key, text, time.time())
                for ns, scope, sid, key, text in source.documents
            ],
        )
        if guild_id:
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(schema)}")
            await conn.execute(migrations_table(schema))
            await conn.execute(
                f"INSERT INTO {quote_ident(main)}.zoryx_guild_schemas (guild_id, created_at) VALUES ($1, $2) "
                "ON CONFLICT (guild_id) DO NOTHING",
                guild_id, time.time(),
            )  # fmt: skip
        else:
            await conn.execute(f"DELETE FROM {quote_ident(main)}.zoryx_departed_guilds")
            await conn.executemany(
                f"INSERT INTO {quote_ident(main)}.zoryx_departed_guilds (guild_id, left_at) VALUES ($1, $2)",
                source.departed,
            )
        migrations = f"{quote_ident(schema)}.zoryx_migrations"
        await conn.execute(f"DELETE FROM {migrations}")
        await conn.executemany(
            f"INSERT INTO {migrations} (namespace, version, applied_at) VALUES ($1, $2, $3)",
            source.migrations,
        )
        await _copy_tables(conn, schema, source.tables)


async def _verify(conn: Any, main: str, guild_id: int, source: SourceDatabase, result: UnitResult) -> None:
    schema = main if guild_id == 0 else guild_schema_name(main, guild_id)
    rows = await conn.fetch(
        f"SELECT namespace, scope, scope_id, key, value::text FROM {quote_ident(main)}.zoryx_documents "
        "WHERE guild_id = $1",
        guild_id,
    )
    target = document_digests((r[0], r[1], int(r[2]), r[3], r[4]) for r in rows)
    for namespace, (count, digest) in sorted(document_digests(source.documents).items()):
        result.counts[f"documents:{namespace}"] = count
        if target.pop(namespace, None) != (count, digest):
            result.mismatches.append(f"documents of {namespace!r} differ")
    result.mismatches.extend(f"unexpected documents of {ns!r}" for ns in target)
    for table in source.tables:
        listed = ", ".join(quote_ident(c) for c, _ in table.columns)
        copied = await conn.fetch(f"SELECT {listed} FROM {quote_ident(schema)}.{quote_ident(table.name)}")
        result.counts[f"table:{table.name}"] = len(table.rows)
        if len(copied) != len(table.rows) or rows_digest(tuple(r) for r in copied) != rows_digest(table.rows):
            result.mismatches.append(
                f"table {table.name}: {len(table.rows)} rows, {len(copied)} copied or differing"
            )


async def _ensure_progress(conn: Any, main: str) -> None:
    for statement in core_schema(main):
        await conn.execute(statement)
    await conn.execute(
        f"CREATE TABLE IF NOT EXISTS {quote_ident(main)}.zoryx_transfers ("
        "source text PRIMARY KEY, checksum text NOT NULL, verified_at double precision NOT NULL)"
    )


async def migrate_sqlite_to_postgresql(
    data_dir: Path,
    dsn: str,
    *,
    schema: str = "zoryx",
    progress: Callable[[str], None] = lambda line: None,
) -> TransferReport:
    """Copy ``data_dir`` (main.db and ``guilds/<id>/guild.db``) into PostgreSQL and verify it."""
    import asyncpg

    from .postgres.dsn import connect_error

    main_db = data_dir / "main.db"
    if not main_db.is_file():
        raise FileNotFoundError(f"no SQLite data folder at {data_dir} (main.db is missing)")
    started = time.perf_counter()
    try:
        conn = await asyncpg.connect(dsn, timeout=10)
    except Exception as exc:
        raise connect_error(dsn, exc) from None
    report = TransferReport()
    try:
        await _ensure_progress(conn, schema)
        units = [(0, main_db)] + [
            (gid, data_dir / "guilds" / str(gid) / GUILD_DB_NAME)
            for gid in await asyncio.to_thread(guild_ids_on_disk, data_dir / "guilds", GUILD_DB_NAME)
        ]
        for index, (guild_id, path) in enumerate(units, 1):
            name = "main.db" if guild_id == 0 else f"guilds/{guild_id}"
            result = UnitResult(name)
            checksum = await asyncio.to_thread(file_checksum, path)
            done = await conn.fetchval(
                f"SELECT checksum FROM {quote_ident(schema)}.zoryx_transfers WHERE source = $1", name
            )
            if done == checksum:
                result.skipped = True
                report.units.append(result)
                continue
            source = await asyncio.to_thread(read_source, path)
            await _copy_unit(conn, schema, guild_id, source)
            await _verify(conn, schema, guild_id, source, result)
            if not result.mismatches:
                await conn.execute(
                    f"INSERT INTO {quote_ident(schema)}.zoryx_transfers (source, checksum, verified_at) "
                    "VALUES ($1, $2, $3) ON CONFLICT (source) DO UPDATE SET checksum = excluded.checksum, "
                    "verified_at = excluded.verified_at",
                    name, checksum, time.time(),
                )  # fmt: skip
            report.units.append(result)
            if index % 100 == 0 or index == len(units):
                progress(f"{index}/{len(units)} databases copied and verified")
    finally:
        await conn.close()
    report.seconds = time.perf_counter() - started
    return report
