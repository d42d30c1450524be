"""Restore leases (table ``zoryx_backup_restore_leases``): at most one restore per server across
every process that shares the database. A lease names its holder (``host:pid:token``) and
expires, so a process that died mid-restore does not block the server for ever; the running
restore renews it between phases. A lease whose holder ran on this machine in a process that no
longer exists is stale at once (the bot crashed or was killed and started again). Functions
taking ``conn`` run in a storage worker inside the caller's transaction."""

from __future__ import annotations

import os
import socket
import sqlite3
from dataclasses import dataclass

from .errors import RestoreInProgress

__all__ = [
    "LEASE_SECONDS",
    "RestoreLease",
    "StaleLease",
    "acquire_lease",
    "holder_is_dead",
    "new_holder",
    "release_lease",
    "remove_stale_leases",
    "renew_lease",
]

LEASE_SECONDS = 15 * 60.0


@dataclass(frozen=True, slots=True)
class RestoreLease:
    guild_id: int
    holder: str
    backup_id: int
    user_id: int


@dataclass(frozen=True, slots=True)
class StaleLease:
    """A lease left by a restore whose process stopped before it finished."""

    guild_id: int
    backup_id: int
    user_id: int
    started_ts: float


def new_holder(token: str) -> str:
    """This process's holder name: ``host:pid:token``."""
    return f"{socket.gethostname()}:{os.getpid()}:{token}"


def holder_is_dead(holder: str) -> bool:
    """Whether ``holder`` ran on this machine in a process that no longer exists (holders of
    other machines, or in another format, are never judged dead: they expire instead)."""
    host, _, rest = holder.partition(":")
    pid_text, _, _ = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # it exists, as another user's process
        return False
    return False


def acquire_lease(conn: sqlite3.Connection, lease: RestoreLease, now_ts: float) -> None:
    row = conn.execute(
        "SELECT holder, backup_id, user_id, expires_ts FROM zoryx_backup_restore_leases WHERE guild_id = ?",
        (lease.guild_id,),
    ).fetchone()
    if (
        row is not None
        and row["expires_ts"] > now_ts
        and row["holder"] != lease.holder
        and not holder_is_dead(row["holder"])
    ):
        raise RestoreInProgress(
            lease.guild_id, f"backup #{row['backup_id']}, started by user {row['user_id']} in another process"
        )
    conn.execute(
        "INSERT INTO zoryx_backup_restore_leases"
        " (guild_id, holder, backup_id, user_id, started_ts, expires_ts) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (guild_id) DO UPDATE SET holder = excluded.holder, backup_id = excluded.backup_id,"
        " user_id = excluded.user_id, started_ts = excluded.started_ts, expires_ts = excluded.expires_ts",
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


def remove_stale_leases(conn: sqlite3.Connection, now_ts: float) -> list[StaleLease]:
    """Remove the leases of restores that can no longer be running: expired ones, and ones
    whose holder's process is gone."""
    rows = conn.execute("SELECT * FROM zoryx_backup_restore_leases").fetchall()
    stale = [row for row in rows if row["expires_ts"] <= now_ts or holder_is_dead(row["holder"])]
    for row in stale:
        conn.execute(
            "DELETE FROM zoryx_backup_restore_leases WHERE guild_id = ? AND holder = ?",
            (row["guild_id"], row["holder"]),
        )
    return [StaleLease(row["guild_id"], row["backup_id"], row["user_id"], row["started_ts"]) for row in stale]
