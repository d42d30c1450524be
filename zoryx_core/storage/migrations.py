"""Per-namespace schema migrations, recorded in ``zoryx_migrations`` in each database."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence

__all__ = ["MigrationError", "MigrationStep", "apply_migrations", "schema_version"]

MigrationStep = str | Callable[[sqlite3.Connection], None]
"""SQL (one or more statements) or a function given the connection, inside the step's transaction."""

SCHEMA = """CREATE TABLE IF NOT EXISTS zoryx_migrations (
    namespace TEXT NOT NULL,
    version INTEGER NOT NULL,
    applied_at REAL NOT NULL,
    PRIMARY KEY (namespace, version)
)"""


class MigrationError(Exception):
    """A migration step failed and was rolled back; the recorded version is the last good step."""

    def __init__(self, namespace: str, step: int, error: BaseException) -> None:
        self.namespace = namespace
        self.step = step
        self.error = error
        super().__init__(
            f"migration step {step} of {namespace!r} failed and was rolled back "
            f"(schema stays at version {step - 1}): {type(error).__name__}: {error}"
        )


def schema_version(conn: sqlite3.Connection, namespace: str) -> int:
    """The last step of ``namespace`` applied to this database (0: none)."""
    conn.execute(SCHEMA)
    row = conn.execute(
        "SELECT MAX(version) FROM zoryx_migrations WHERE namespace = ?", (namespace,)
    ).fetchone()
    return int(row[0] or 0)


def apply_migrations(conn: sqlite3.Connection, namespace: str, steps: Sequence[MigrationStep]) -> int:
    """Apply ``steps[version:]``, each in its own ``BEGIN IMMEDIATE`` transaction; returns the version.

    Safe when several processes migrate the same database: each step re-reads the version
    inside its transaction.
    """
    version = schema_version(conn, namespace)
    for number in range(version + 1, len(steps) + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            if schema_version(conn, namespace) < number:  # another process may have done it
                step = steps[number - 1]
                if isinstance(step, str):
                    for statement in split_statements(step):
                        conn.execute(statement)
                else:
                    step(conn)
                conn.execute(
                    "INSERT INTO zoryx_migrations (namespace, version, applied_at) VALUES (?, ?, ?)",
                    (namespace, number, time.time()),
                )
            conn.execute("COMMIT")
        except Exception as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise MigrationError(namespace, number, exc) from exc
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return max(version, len(steps))


def split_statements(script: str) -> Iterator[str]:
    """The complete SQL statements in ``script`` (``executescript`` would commit first)."""
    buffer = ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \t\r\n;"):
                yield buffer
            buffer = ""
    if buffer.strip(" \t\r\n;"):
        yield buffer.rstrip(";")
