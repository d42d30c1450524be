"""The audit trail: every backup operation of a server, newest 200 kept (table
``zoryx_backup_audit`` in the main database). Functions taking ``conn`` run in a storage worker,
inside the caller's transaction."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

__all__ = ["AUDIT_KEEP", "AuditAction", "AuditEntry", "add_entry", "read_entries"]

AUDIT_KEEP = 200
"""Entries kept per server; older ones are dropped as new ones are added."""


class AuditAction(StrEnum):
    CREATE = "create"
    DELETE = "delete"
    PIN = "pin"
    UNPIN = "unpin"
    NOTE = "note"
    VERIFY = "verify"
    EXPORT = "export"
    RESTORE = "restore"
    ROTATE = "rotate"
    """Removed to make room for a new backup (the server was at its limit)."""
    RETENTION = "retention"
    """Removed because it was older than the retention period."""
    SCHEDULE = "schedule"
    VIEW = "view"
    DIFF = "diff"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    guild_id: int
    at: datetime
    user_id: int | None
    """Who did it; ``None`` for the bot itself (automatic backups, retention)."""
    action: AuditAction
    backup_id: int | None
    details: str


def add_entry(
    conn: sqlite3.Connection,
    *,
    guild_id: int,
    action: AuditAction,
    user_id: int | None,
    backup_id: int | None,
    details: str,
    at_ts: float,
) -> None:
    conn.execute(
        "INSERT INTO zoryx_backup_audit (guild_id, at_ts, user_id, action, backup_id, details)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (guild_id, at_ts, user_id, action.value, backup_id, details[:1000]),
    )
    conn.execute(
        "DELETE FROM zoryx_backup_audit WHERE guild_id = ? AND id NOT IN"
        " (SELECT id FROM zoryx_backup_audit WHERE guild_id = ? ORDER BY id DESC LIMIT ?)",
        (guild_id, guild_id, AUDIT_KEEP),
    )


def read_entries(conn: sqlite3.Connection, guild_id: int, limit: int, offset: int) -> list[AuditEntry]:
    rows = conn.execute(
        "SELECT * FROM zoryx_backup_audit WHERE guild_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
        (guild_id, limit, offset),
    ).fetchall()
    return [
        AuditEntry(
            id=row["id"],
            guild_id=row["guild_id"],
            at=datetime.fromtimestamp(row["at_ts"], UTC),
            user_id=row["user_id"],
            action=AuditAction(row["action"]),
            backup_id=row["backup_id"],
            details=row["details"],
        )
        for row in rows
    ]
