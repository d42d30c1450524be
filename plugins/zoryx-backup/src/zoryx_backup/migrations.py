"""The plugin's tables in the bot's main database, as ordered migration steps (never edit a
released step: add a new one)."""

from __future__ import annotations

__all__ = ["MIGRATIONS"]

MIGRATIONS: list[str] = [
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
