"""Per-server automatic backup schedules (table ``zoryx_backup_schedules``).

The engine stores schedules and says which are due; the front end's scheduler loop calls
:meth:`~zoryx_backup.service.BackupService.due_schedules` and creates the backups. Functions taking
``conn`` run in a storage worker inside the caller's transaction.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = [
    "MAX_INTERVAL_HOURS",
    "MIN_INTERVAL_HOURS",
    "Schedule",
    "clear_schedule",
    "due_schedules",
    "mark_run",
    "read_schedule",
    "write_schedule",
]

MIN_INTERVAL_HOURS = 1
MAX_INTERVAL_HOURS = 168


@dataclass(frozen=True, slots=True)
class Schedule:
    guild_id: int
    interval_hours: int
    next_run_at: datetime
    last_run_at: datetime | None
    set_by: int
    set_at: datetime


def _schedule(row: sqlite3.Row) -> Schedule:
    return Schedule(
        guild_id=row["guild_id"],
        interval_hours=row["interval_hours"],
        next_run_at=datetime.fromtimestamp(row["next_run_ts"], UTC),
        last_run_at=datetime.fromtimestamp(row["last_run_ts"], UTC)
        if row["last_run_ts"] is not None
        else None,
        set_by=row["set_by"],
        set_at=datetime.fromtimestamp(row["set_ts"], UTC),
    )


def read_schedule(conn: sqlite3.Connection, guild_id: int) -> Schedule | None:
    row = conn.execute("SELECT * FROM zoryx_backup_schedules WHERE guild_id = ?", (guild_id,)).fetchone()
    return _schedule(row) if row is not None else None


def write_schedule(
    conn: sqlite3.Connection, guild_id: int, interval_hours: int, user_id: int, now_ts: float
) -> Schedule:
    """Turn the schedule on (or change its interval); the first run is one interval from now."""
    conn.execute(
        "INSERT INTO zoryx_backup_schedules"
        " (guild_id, interval_hours, next_run_ts, last_run_ts, set_by, set_ts) VALUES (?, ?, ?, NULL, ?, ?)"
        " ON CONFLICT (guild_id) DO UPDATE SET interval_hours = excluded.interval_hours,"
        " next_run_ts = excluded.next_run_ts, set_by = excluded.set_by, set_ts = excluded.set_ts",
        (guild_id, interval_hours, now_ts + interval_hours * 3600, user_id, now_ts),
    )
    schedule = read_schedule(conn, guild_id)
    assert schedule is not None
    return schedule


def clear_schedule(conn: sqlite3.Connection, guild_id: int) -> bool:
    return conn.execute("DELETE FROM zoryx_backup_schedules WHERE guild_id = ?", (guild_id,)).rowcount > 0


def due_schedules(conn: sqlite3.Connection, now_ts: float) -> list[Schedule]:
    rows = conn.execute(
        "SELECT * FROM zoryx_backup_schedules WHERE next_run_ts <= ? ORDER BY next_run_ts",
        (now_ts + 0.001,),  # a datetime holds microseconds: allow its rounding
    ).fetchall()
    return [_schedule(row) for row in rows]


def mark_run(conn: sqlite3.Connection, guild_id: int, now_ts: float) -> Schedule | None:
    """Record a run at ``now_ts``; the next is one interval later."""
    conn.execute(
        "UPDATE zoryx_backup_schedules SET last_run_ts = ?,"
        " next_run_ts = CAST(? AS DOUBLE PRECISION) + interval_hours * 3600"
        " WHERE guild_id = ?",
        (now_ts, now_ts, guild_id),
    )
    return read_schedule(conn, guild_id)
