"""Key/value documents in SQLite: the ``zoryx_documents`` table, scopes and the statements on it.

Values are JSON text, except numbers, which are stored as plain SQL numbers so that
``increment`` can add in SQL (exact, atomic, also across processes). Everything here runs in a
pool worker thread on a connection in autocommit mode.
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

__all__ = ["Scope", "check_id", "scope_for"]

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS zoryx_documents (
        namespace TEXT NOT NULL,
        scope TEXT NOT NULL,
        scope_id INTEGER NOT NULL,
        key TEXT NOT NULL,
        value NOT NULL,  -- JSON text, or an SQL number for numbers (no type: stored as given)
        updated_at REAL NOT NULL,
        PRIMARY KEY (namespace, scope, scope_id, key)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS zoryx_documents_owner ON zoryx_documents (scope, scope_id)",
)

_INT64 = range(-(2**63), 2**63)
_WHERE = "namespace = ? AND scope = ? AND scope_id = ? AND key = ?"


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a document lives: ``name`` is global, user, guild or member; ``guild_id`` picks the
    database (None: main.db)."""

    name: str
    scope_id: int
    guild_id: int | None


def check_id(value: object, what: str) -> int:
    """``value`` as a Discord id: a positive int that fits SQLite's 64-bit integers."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        raise ValueError(f"{what} must be a positive int, got {value!r}")
    return int(value)


def scope_for(guild_id: int | None, user_id: int | None) -> Scope:
    """No ids: global; user only: user; guild only: guild; both: member (in the guild's DB)."""
    user = None if user_id is None else check_id(user_id, "user_id")
    if guild_id is None:
        return Scope("global", 0, None) if user is None else Scope("user", user, None)
    guild = check_id(guild_id, "guild_id")
    return Scope("guild", guild, guild) if user is None else Scope("member", user, guild)


def create_schema(conn: sqlite3.Connection) -> None:
    """The documents table and its index, in one transaction (skipped when they exist)."""
    if conn.execute("SELECT 1 FROM sqlite_schema WHERE name = 'zoryx_documents_owner'").fetchone():
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in SCHEMA:
            conn.execute(statement)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def check_name(namespace: object, key: object) -> None:
    if not isinstance(namespace, str) or not namespace:
        raise ValueError(f"namespace must be a non-empty str, got {namespace!r}")
    if not isinstance(key, str):
        raise TypeError(f"{namespace}: key must be a str, got {key!r}")


def encode(namespace: str, key: str, value: Any) -> int | float | str:
    if isinstance(value, int) and not isinstance(value, bool) and value in _INT64:
        return int(value)
    if isinstance(value, float) and math.isfinite(value):
        return float(value)
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"cannot store {namespace}/{key}: the value is not JSON-serializable ({exc})"
        ) from None


def decode(stored: Any) -> Any:
    return stored if isinstance(stored, int | float) else json.loads(stored)


def get(conn: sqlite3.Connection, namespace: str, scope: Scope, key: str) -> tuple[bool, Any]:
    row = conn.execute(
        f"SELECT value FROM zoryx_documents WHERE {_WHERE}", (namespace, scope.name, scope.scope_id, key)
    ).fetchone()
    return (False, None) if row is None else (True, decode(row[0]))


def put(conn: sqlite3.Connection, namespace: str, scope: Scope, key: str, value: Any) -> None:
    conn.execute(
        "INSERT INTO zoryx_documents (namespace, scope, scope_id, key, value, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (namespace, scope, scope_id, key) "
        "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        (namespace, scope.name, scope.scope_id, key, encode(namespace, key, value), time.time()),
    )


def delete(conn: sqlite3.Connection, namespace: str, scope: Scope, key: str) -> bool:
    cursor = conn.execute(
        f"DELETE FROM zoryx_documents WHERE {_WHERE}", (namespace, scope.name, scope.scope_id, key)
    )
    return cursor.rowcount > 0


def check_amount(amount: object) -> int | float:
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        raise TypeError(f"amount must be an int or a float, got {amount!r}")
    if isinstance(amount, float) and not math.isfinite(amount):
        raise ValueError(f"amount must be finite, got {amount!r}")
    if isinstance(amount, int) and amount not in _INT64:
        raise ValueError(f"amount does not fit in 64 bits: {amount!r}")
    return amount


def increment(
    conn: sqlite3.Connection, namespace: str, scope: Scope, key: str, amount: int | float
) -> int | float:
    """One upsert: a missing document starts at ``amount``; a non-number raises TypeError."""
    rows = conn.execute(
        "INSERT INTO zoryx_documents (namespace, scope, scope_id, key, value, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (namespace, scope, scope_id, key) "
        "DO UPDATE SET value = zoryx_documents.value + excluded.value, updated_at = excluded.updated_at "
        "WHERE typeof(zoryx_documents.value) IN ('integer', 'real') RETURNING value",
        (namespace, scope.name, scope.scope_id, key, amount, time.time()),
    ).fetchall()
    if not rows:
        raise TypeError(f"cannot increment {namespace}/{key}: it does not hold a number")
    result: int | float = rows[0][0]
    return result


def items(conn: sqlite3.Connection, namespace: str, scope: Scope) -> dict[str, Any]:
    rows = conn.execute(
        "SELECT key, value FROM zoryx_documents WHERE namespace = ? AND scope = ? AND scope_id = ? "
        "ORDER BY key",
        (namespace, scope.name, scope.scope_id),
    ).fetchall()
    return {row[0]: decode(row[1]) for row in rows}


def purge_owner(conn: sqlite3.Connection, scope_name: str, owner_id: int) -> int:
    """Delete every document of one user (``scope_name`` user or member), all namespaces."""
    cursor = conn.execute(
        "DELETE FROM zoryx_documents WHERE scope = ? AND scope_id = ?", (scope_name, owner_id)
    )
    return cursor.rowcount
