"""The index of backups (table ``zoryx_backup_records`` in the main database).

Functions taking ``conn`` run in a storage worker inside one ``BEGIN IMMEDIATE`` transaction
opened by the caller, so the checks they make (limit, pin) and the changes they write (rows,
audit entries) are one step even when several processes share the database.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from zoryx_core.ui import plural

from .audit_trail import AuditAction, add_entry
from .errors import BackupLimitReached, BackupNotFound, BackupOnCooldown, BackupPinned

if TYPE_CHECKING:
    from .models import SnapshotCounts

__all__ = [
    "BackupRecord",
    "BackupStats",
    "InsertOutcome",
    "NewRecord",
    "count_records",
    "delete_record",
    "expire_records",
    "get_record",
    "has_room",
    "insert_record",
    "last_manual_ts",
    "list_records",
    "read_stats",
    "set_note",
    "set_pinned",
]


@dataclass(frozen=True, slots=True)
class BackupRecord:
    """One backup as the index knows it (the snapshot itself is in :attr:`file`)."""

    id: int
    guild_id: int
    guild_name: str
    label: str
    author_id: int
    """Who made it (for an automatic backup, who set the schedule up, or 0)."""
    automatic: bool
    pinned: bool
    note: str | None
    created_at: datetime
    file: str
    """Path of the snapshot file relative to the plugin's data folder."""
    size_bytes: int
    sha256: str
    schema_version: int
    counts: SnapshotCounts


@dataclass(frozen=True, slots=True)
class NewRecord:
    guild_id: int
    guild_name: str
    label: str
    author_id: int
    automatic: bool
    created_ts: float
    file: str
    size_bytes: int
    sha256: str
    schema_version: int
    counts: SnapshotCounts


@dataclass(frozen=True, slots=True)
class InsertOutcome:
    record: BackupRecord
    removed: tuple[BackupRecord, ...]
    """Backups removed in the same step: rotated out to make room, or past the retention period."""


@dataclass(frozen=True, slots=True)
class BackupStats:
    backups: int
    guilds: int
    pinned: int
    automatic: int
    total_bytes: int
    largest_bytes: int
    oldest_at: datetime | None
    newest_at: datetime | None
    member_assignments: int
    """Member role assignments held across these backups."""
    top_authors: tuple[tuple[int, int], ...]
    """``(user id, backups made)``, most first (at most 5; automatic backups not counted)."""
    top_guilds: tuple[tuple[int, int], ...]
    """``(server id, backups kept)``, most first (at most 5)."""
    per_day: tuple[tuple[str, int], ...]
    """``("YYYY-MM-DD", backups made that day)`` for the last 30 days that had any, oldest first."""


def _record(row: sqlite3.Row) -> BackupRecord:
    from .models import SnapshotCounts  # with the snapshot model, imported when a record is first read

    counts: dict[str, Any] = json.loads(row["counts"])
    return BackupRecord(
        id=row["id"],
        guild_id=row["guild_id"],
        guild_name=row["guild_name"],
        label=row["label"],
        author_id=row["author_id"],
        automatic=bool(row["automatic"]),
        pinned=bool(row["pinned"]),
        note=row["note"],
        created_at=datetime.fromtimestamp(row["created_ts"], UTC),
        file=row["file"],
        size_bytes=row["size_bytes"],
        sha256=row["sha256"],
        schema_version=row["schema_version"],
        counts=SnapshotCounts(**counts),
    )


def get_record(conn: sqlite3.Connection, backup_id: int, guild_id: int | None = None) -> BackupRecord | None:
    if guild_id is None:
        row = conn.execute("SELECT * FROM zoryx_backup_records WHERE id = ?", (backup_id,)).fetchone()
    else:
        row = conn.execute(
            "SELECT * FROM zoryx_backup_records WHERE id = ? AND guild_id = ?", (backup_id, guild_id)
        ).fetchone()
    return _record(row) if row is not None else None


def _require(conn: sqlite3.Connection, backup_id: int, guild_id: int) -> BackupRecord:
    record = get_record(conn, backup_id, guild_id)
    if record is None:
        raise BackupNotFound(backup_id, guild_id)
    return record


def list_records(
    conn: sqlite3.Connection, guild_id: int | None, limit: int | None = None, offset: int = 0
) -> list[BackupRecord]:
    """Newest first; every server when ``guild_id`` is None."""
    where, params = ("WHERE guild_id = ?", [guild_id]) if guild_id is not None else ("", [])
    rows = conn.execute(
        f"SELECT * FROM zoryx_backup_records {where} ORDER BY created_ts DESC, id DESC LIMIT ? OFFSET ?",
        (*params, 2**62 if limit is None else limit, offset),  # no limit, in both SQL dialects
    ).fetchall()
    return [_record(row) for row in rows]


def count_records(conn: sqlite3.Connection, guild_id: int) -> int:
    row = conn.execute("SELECT COUNT(*) FROM zoryx_backup_records WHERE guild_id = ?", (guild_id,)).fetchone()
    return int(row[0])


def has_room(conn: sqlite3.Connection, guild_id: int, *, max_backups: int, automatic: bool) -> bool:
    """Whether a new backup would fit, rotating out what :func:`insert_record` would (a quick
    check before the work of a snapshot; :func:`insert_record` decides)."""
    total = count_records(conn, guild_id)
    if total < max_backups:
        return True
    only_automatic = "" if automatic else " AND automatic = 1"
    row = conn.execute(
        f"SELECT COUNT(*) FROM zoryx_backup_records WHERE guild_id = ? AND pinned = 0{only_automatic}",
        (guild_id,),
    ).fetchone()
    return int(row[0]) >= total - max_backups + 1


def _remove(
    conn: sqlite3.Connection, records: list[BackupRecord], action: AuditAction, now_ts: float
) -> None:
    for record in records:
        conn.execute("DELETE FROM zoryx_backup_records WHERE id = ?", (record.id,))
        add_entry(
            conn,
            guild_id=record.guild_id,
            action=action,
            user_id=None,
            backup_id=record.id,
            details=f"{record.label} ({record.created_at:%Y-%m-%d %H:%M} UTC)",
            at_ts=now_ts,
        )


def expire_records(
    conn: sqlite3.Connection, guild_id: int | None, retention_days: int, now_ts: float
) -> list[BackupRecord]:
    """Delete unpinned backups older than ``retention_days`` (0: keep forever)."""
    if retention_days <= 0:
        return []
    cutoff = now_ts - timedelta(days=retention_days).total_seconds()
    where = "pinned = 0 AND created_ts < ?" + (" AND guild_id = ?" if guild_id is not None else "")
    params: tuple[Any, ...] = (cutoff, guild_id) if guild_id is not None else (cutoff,)
    rows = conn.execute(f"SELECT * FROM zoryx_backup_records WHERE {where}", params).fetchall()
    expired = [_record(row) for row in rows]
    _remove(conn, expired, AuditAction.RETENTION, now_ts)
    return expired


def last_manual_ts(conn: sqlite3.Connection, guild_id: int) -> float | None:
    """When the server's latest manual backup was made (a Unix time), or ``None``."""
    row = conn.execute(
        "SELECT MAX(created_ts) FROM zoryx_backup_records WHERE guild_id = ? AND automatic = 0", (guild_id,)
    ).fetchone()
    return float(row[0]) if row is not None and row[0] is not None else None


def insert_record(
    conn: sqlite3.Connection,
    new: NewRecord,
    *,
    max_backups: int,
    retention_days: int,
    now_ts: float,
    cooldown_seconds: float = 0.0,
) -> InsertOutcome:
    """Add ``new`` after applying retention and, at the limit, rotating out the oldest unpinned
    backups (automatic ones first; a manual backup only rotates automatic ones out).

    With ``cooldown_seconds``, a manual backup is refused (:class:`BackupOnCooldown`) when the
    server's latest manual backup is more recent than that: checked in the same transaction as
    the insert, so two backups racing (in one process or several) cannot both pass."""
    if cooldown_seconds > 0 and not new.automatic:
        last = last_manual_ts(conn, new.guild_id)
        if last is not None and now_ts - last < cooldown_seconds:
            raise BackupOnCooldown(new.guild_id, cooldown_seconds - (now_ts - last), cooldown_seconds)
    removed = expire_records(conn, new.guild_id, retention_days, now_ts)
    existing = count_records(conn, new.guild_id)
    if existing >= max_backups:
        need = existing - max_backups + 1
        only_automatic = "" if new.automatic else " AND automatic = 1"
        rows = conn.execute(
            "SELECT * FROM zoryx_backup_records WHERE guild_id = ? AND pinned = 0"
            f"{only_automatic} ORDER BY automatic DESC, created_ts ASC, id ASC LIMIT ?",
            (new.guild_id, need),
        ).fetchall()
        if len(rows) < need:
            raise BackupLimitReached(new.guild_id, max_backups)
        rotated = [_record(row) for row in rows]
        _remove(conn, rotated, AuditAction.ROTATE, now_ts)
        removed += rotated
    inserted = conn.execute(
        "INSERT INTO zoryx_backup_records (guild_id, guild_name, label, author_id, automatic, created_ts,"
        " file, size_bytes, sha256, schema_version, counts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " RETURNING id",
        (
            new.guild_id,
            new.guild_name,
            new.label,
            new.author_id,
            int(new.automatic),
            new.created_ts,
            new.file,
            new.size_bytes,
            new.sha256,
            new.schema_version,
            json.dumps(asdict(new.counts), sort_keys=True),
        ),
    )
    backup_id = int(inserted.fetchone()[0])
    counts = new.counts
    add_entry(
        conn,
        guild_id=new.guild_id,
        action=AuditAction.CREATE,
        user_id=None if new.automatic else new.author_id,
        backup_id=backup_id,
        details=(
            f"{'automatic' if new.automatic else 'manual'}: {new.label}; {plural(counts.roles, 'role')}, "
            f"{plural(counts.categories, 'category')}, {plural(counts.channels, 'channel')}, "
            f"{plural(counts.members, 'member')}"
        ),
        at_ts=now_ts,
    )
    record = get_record(conn, backup_id)
    assert record is not None
    return InsertOutcome(record, tuple(removed))


def delete_record(
    conn: sqlite3.Connection, guild_id: int, backup_id: int, user_id: int, now_ts: float
) -> BackupRecord:
    record = _require(conn, backup_id, guild_id)
    if record.pinned:
        raise BackupPinned(backup_id)
    conn.execute("DELETE FROM zoryx_backup_records WHERE id = ?", (backup_id,))
    add_entry(
        conn,
        guild_id=guild_id,
        action=AuditAction.DELETE,
        user_id=user_id,
        backup_id=backup_id,
        details=record.label,
        at_ts=now_ts,
    )
    return record


def set_pinned(
    conn: sqlite3.Connection, guild_id: int, backup_id: int, user_id: int, pinned: bool, now_ts: float
) -> BackupRecord:
    _require(conn, backup_id, guild_id)
    conn.execute("UPDATE zoryx_backup_records SET pinned = ? WHERE id = ?", (int(pinned), backup_id))
    add_entry(
        conn,
        guild_id=guild_id,
        action=AuditAction.PIN if pinned else AuditAction.UNPIN,
        user_id=user_id,
        backup_id=backup_id,
        details="",
        at_ts=now_ts,
    )
    return _require(conn, backup_id, guild_id)


def set_note(
    conn: sqlite3.Connection, guild_id: int, backup_id: int, user_id: int, note: str | None, now_ts: float
) -> BackupRecord:
    _require(conn, backup_id, guild_id)
    conn.execute("UPDATE zoryx_backup_records SET note = ? WHERE id = ?", (note, backup_id))
    add_entry(
        conn,
        guild_id=guild_id,
        action=AuditAction.NOTE,
        user_id=user_id,
        backup_id=backup_id,
        details=note or "(note removed)",
        at_ts=now_ts,
    )
    return _require(conn, backup_id, guild_id)


def read_stats(conn: sqlite3.Connection, guild_id: int | None, now_ts: float) -> BackupStats:
    where, params = ("WHERE guild_id = ?", (guild_id,)) if guild_id is not None else ("", ())
    postgresql = getattr(conn, "dialect", "sqlite") == "postgresql"
    # PostgreSQL's SUM of integers is numeric: bring it back to bigint
    total = "CAST(SUM({}) AS BIGINT)" if postgresql else "SUM({})"
    member_count = (
        "CAST(CAST(counts AS jsonb) ->> 'members' AS BIGINT)"
        if postgresql
        else "json_extract(counts, '$.members')"
    )
    members = total.format(member_count)
    row = conn.execute(
        f"SELECT COUNT(*) AS n, COUNT(DISTINCT guild_id) AS guilds, COALESCE({total.format('pinned')}, 0)"
        f" AS pinned, COALESCE({total.format('automatic')}, 0) AS automatic,"
        f" COALESCE({total.format('size_bytes')}, 0) AS bytes,"
        " COALESCE(MAX(size_bytes), 0) AS largest, MIN(created_ts) AS oldest, MAX(created_ts) AS newest,"
        f" COALESCE({members}, 0) AS members"
        f" FROM zoryx_backup_records {where}",
        params,
    ).fetchone()
    manual = "automatic = 0" + (" AND guild_id = ?" if guild_id is not None else "")
    authors = conn.execute(
        f"SELECT author_id, COUNT(*) AS n FROM zoryx_backup_records WHERE {manual}"
        " GROUP BY author_id ORDER BY n DESC, author_id LIMIT 5",
        params,
    ).fetchall()
    guilds = conn.execute(
        f"SELECT guild_id, COUNT(*) AS n FROM zoryx_backup_records {where}"
        " GROUP BY guild_id ORDER BY n DESC, guild_id LIMIT 5",
        params,
    ).fetchall()
    since = now_ts - timedelta(days=30).total_seconds()
    recent = "created_ts >= ?" + (" AND guild_id = ?" if guild_id is not None else "")
    day = (
        "to_char(to_timestamp(created_ts) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
        if postgresql
        else "strftime('%Y-%m-%d', created_ts, 'unixepoch')"
    )
    days = conn.execute(
        f"SELECT {day} AS day, COUNT(*) AS n"
        f" FROM zoryx_backup_records WHERE {recent} GROUP BY day ORDER BY day",
        (since, *params),
    ).fetchall()

    def moment(value: float | None) -> datetime | None:
        return datetime.fromtimestamp(value, UTC) if value is not None else None

    return BackupStats(
        backups=row["n"],
        guilds=row["guilds"],
        pinned=row["pinned"],
        automatic=row["automatic"],
        total_bytes=row["bytes"],
        largest_bytes=row["largest"],
        oldest_at=moment(row["oldest"]),
        newest_at=moment(row["newest"]),
        member_assignments=int(row["members"]),
        top_authors=tuple((r["author_id"], r["n"]) for r in authors),
        top_guilds=tuple((r["guild_id"], r["n"]) for r in guilds),
        per_day=tuple((r["day"], r["n"]) for r in days),
    )
