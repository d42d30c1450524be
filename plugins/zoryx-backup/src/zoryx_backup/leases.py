"""Restore leases (table ``zoryx_backup_restore_leases``): at most one restore per server across
every process that shares the database. A lease names its holder and expires, so a process that
died mid-restore does not block the server for ever; the running restore renews it between
phases. Functions taking ``conn`` run in a storage worker inside the caller's transaction."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .errors import RestoreInProgress

__all__ = ["LEASE_SECONDS", "RestoreLease", "acquire_lease", "release_lease", "renew_lease"]

LEASE_SECONDS = 15 * 60.0


@dataclass(frozen=True, slots=True)
class RestoreLease:
    guild_id: int
    holder: str
    backup_id: int
    user_id: int


def acquire_lease(conn: sqlite3.Connection, lease: RestoreLease, now_ts: float) -> None:
    row = conn.execute(
        "SELECT holder, backup_id, user_id, expires_ts FROM zoryx_backup_restore_leases WHERE guild_id = ?",
        (lease.guild_id,),
    ).fetchone()
    if row is not None and row["expires_ts"] > now_ts and row["holder"] != lease.holder:
        raise RestoreInProgress(
            lease.guild_id, f"backup #{row['backup_id']}, started by user {row['user_id']} in another process"
        )
    conn.execute(
        "INSERT OR REPLACE INTO zoryx_backup_restore_leases"
        " (guild_id, holder, backup_id, user_id, started_ts, expires_ts) VALUES (?, ?, ?, ?, ?, ?)",
        (lease.guild_id, lease.holder, lease.backup_id, lease.user_id, now_ts, now_ts + LEASE_SECONDS),
    )


def renew_lease(conn: sqlite3.Connection, lease: RestoreLease, now_ts: float) -> None:
    conn.execute(
        "UPDATE zoryx_backup_restore_leases SET expires_ts = ? WHERE guild_id = ? AND holder = ?",
        (now_ts + LEASE_SECONDS, lease.guild_id, lease.holder),
    )


def release_lease(conn: sqlite3.Connection, lease: RestoreLease) -> None:
    conn.execute(
        "DELETE FROM zoryx_backup_restore_leases WHERE guild_id = ? AND holder = ?",
        (lease.guild_id, lease.holder),
    )
