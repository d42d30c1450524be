"""The plugin's tables in the bot's main database, as ordered migration steps per SQL dialect
(never edit a released step: add a new one, to both lists)."""

from __future__ import annotations

__all__ = ["MIGRATIONS", "POSTGRESQL_MIGRATIONS", "SQLITE_MIGRATIONS"]

SQLITE_MIGRATIONS: list[str] = [
    # 1: the index of backups, the audit trail, schedules and restore leases
    """
    CREATE TABLE zoryx_backup_records (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        guild_id INTEGER NOT NULL,
        guild_name TEXT NOT NULL,
        label TEXT NOT NULL,
        author_id INTEGER NOT NULL,
        automatic INTEGER NOT NULL DEFAULT 0,
        pinned INTEGER NOT NULL DEFAULT 0,
        note TEXT,
        created_ts REAL NOT NULL,
        file TEXT NOT NULL UNIQUE,
        size_bytes INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        schema_version INTEGER NOT NULL,
        counts TEXT NOT NULL
    );
    CREATE INDEX zoryx_backup_records_guild ON zoryx_backup_records (guild_id, created_ts);
    CREATE TABLE zoryx_backup_audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        guild_id INTEGER NOT NULL,
        at_ts REAL NOT NULL,
        user_id INTEGER,
        action TEXT NOT NULL,
        backup_id INTEGER,
        details TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX zoryx_backup_audit_guild ON zoryx_backup_audit (guild_id, id);
    CREATE TABLE zoryx_backup_schedules (
        guild_id INTEGER PRIMARY KEY,
        interval_hours INTEGER NOT NULL,
        next_run_ts REAL NOT NULL,
        last_run_ts REAL,
        set_by INTEGER NOT NULL,
        set_ts REAL NOT NULL
    );
    CREATE TABLE zoryx_backup_restore_leases (
        guild_id INTEGER PRIMARY KEY,
        holder TEXT NOT NULL,
        backup_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        started_ts REAL NOT NULL,
        expires_ts REAL NOT NULL
    );
    """,
]

POSTGRESQL_MIGRATIONS: list[str] = [
    # 1: the same tables in PostgreSQL's types (several machines share them)
    """
    CREATE TABLE zoryx_backup_records (
        id BIGSERIAL PRIMARY KEY,
        guild_id BIGINT NOT NULL,
        guild_name TEXT NOT NULL,
        label TEXT NOT NULL,
        author_id BIGINT NOT NULL,
        automatic INTEGER NOT NULL DEFAULT 0,
        pinned INTEGER NOT NULL DEFAULT 0,
        note TEXT,
        created_ts DOUBLE PRECISION NOT NULL,
        file TEXT NOT NULL UNIQUE,
        size_bytes BIGINT NOT NULL,
        sha256 TEXT NOT NULL,
        schema_version INTEGER NOT NULL,
        counts TEXT NOT NULL
    );
    CREATE INDEX zoryx_backup_records_guild ON zoryx_backup_records (guild_id, created_ts);
    CREATE TABLE zoryx_backup_audit (
        id BIGSERIAL PRIMARY KEY,
        guild_id BIGINT NOT NULL,
        at_ts DOUBLE PRECISION NOT NULL,
        user_id BIGINT,
        action TEXT NOT NULL,
        backup_id BIGINT,
        details TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX zoryx_backup_audit_guild ON zoryx_backup_audit (guild_id, id);
    CREATE TABLE zoryx_backup_schedules (
        guild_id BIGINT PRIMARY KEY,
        interval_hours INTEGER NOT NULL,
        next_run_ts DOUBLE PRECISION NOT NULL,
        last_run_ts DOUBLE PRECISION,
        set_by BIGINT NOT NULL,
        set_ts DOUBLE PRECISION NOT NULL
    );
    CREATE TABLE zoryx_backup_restore_leases (
        guild_id BIGINT PRIMARY KEY,
        holder TEXT NOT NULL,
        backup_id BIGINT NOT NULL,
        user_id BIGINT NOT NULL,
        started_ts DOUBLE PRECISION NOT NULL,
        expires_ts DOUBLE PRECISION NOT NULL
    );
    """,
    # 2: the snapshot files themselves, so that every machine sharing the store sees them
    """
    CREATE TABLE zoryx_backup_files (
        file TEXT PRIMARY KEY,
        data BYTEA NOT NULL,
        written_ts DOUBLE PRECISION NOT NULL
    );
    """,
]

MIGRATIONS: dict[str, list[str]] = {"sqlite": SQLITE_MIGRATIONS, "postgresql": POSTGRESQL_MIGRATIONS}
