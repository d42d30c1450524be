"""main.db bookkeeping (runs, departed guilds), the guild folders on disk and integrity checks.
These functions block: they run on the pool's worker threads."""

from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from .guild_folders import list_guild_folders

__all__ = ["DatabaseCheck"]

MAIN_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS zoryx_runs (started TEXT NOT NULL, stopped TEXT, clean INTEGER)",
    "CREATE TABLE IF NOT EXISTS zoryx_departed_guilds (guild_id INTEGER PRIMARY KEY, left_at REAL NOT NULL)",
)


@dataclass(frozen=True)
class DatabaseCheck:
    """The result of ``PRAGMA quick_check`` on one database file."""

    path: Path
    ok: bool
    detail: str


def start_run(conn: sqlite3.Connection) -> int:
    for statement in MAIN_SCHEMA:
        conn.execute(statement)
    cursor = conn.execute("INSERT INTO zoryx_runs (started) VALUES (datetime('now'))")
    return int(cursor.lastrowid or 0)


def finish_run(conn: sqlite3.Connection, run_id: int) -> None:
    conn.execute("UPDATE zoryx_runs SET stopped = datetime('now'), clean = 1 WHERE rowid = ?", (run_id,))


def mark_departed(conn: sqlite3.Connection, guild_id: int, now: float) -> None:
    """Record that the bot left; an existing record keeps the first time."""
    conn.execute(
        "INSERT INTO zoryx_departed_guilds (guild_id, left_at) VALUES (?, ?) "
        "ON CONFLICT (guild_id) DO NOTHING",
        (guild_id, now),
    )


def mark_returned(conn: sqlite3.Connection, guild_id: int) -> bool:
    return conn.execute("DELETE FROM zoryx_departed_guilds WHERE guild_id = ?", (guild_id,)).rowcount > 0


def departed_before(conn: sqlite3.Connection, cutoff: float) -> list[int]:
    rows = conn.execute(
        "SELECT guild_id FROM zoryx_departed_guilds WHERE left_at <= ? ORDER BY guild_id", (cutoff,)
    ).fetchall()
    return [int(row[0]) for row in rows]


def still_departed(conn: sqlite3.Connection, guild_id: int, cutoff: float) -> bool:
    row = conn.execute(
        "SELECT 1 FROM zoryx_departed_guilds WHERE guild_id = ? AND left_at <= ?", (guild_id, cutoff)
    ).fetchone()
    return row is not None


def guild_ids_on_disk(guilds_dir: Path, db_name: str) -> list[int]:
    """Ids of the ``guilds/<id>/`` folders that hold a database, sorted."""
    return sorted(
        guild_id
        for guild_id in list_guild_folders(guilds_dir)
        if guild_id > 0 and os.path.isfile(guilds_dir / str(guild_id) / db_name)
    )


def remove_folder(folder: Path) -> None:
    if folder.exists():
        shutil.rmtree(folder)


def quick_check(conn: sqlite3.Connection) -> list[str]:
    return [str(row[0]) for row in conn.execute("PRAGMA quick_check").fetchall()]


def describe_check(path: Path, result: list[str] | BaseException) -> DatabaseCheck:
    if isinstance(result, BaseException):
        return DatabaseCheck(path, False, f"{type(result).__name__}: {result}")
    if result == ["ok"]:
        return DatabaseCheck(path, True, "ok")
    return DatabaseCheck(path, False, "; ".join(result[:20]) or "no result")
