"""A blocking, ``sqlite3``-shaped view of one asyncpg connection, for functions given to
``transaction`` and for migration steps written as functions: they run in a worker thread and each
statement is handed to the event loop, which stays free while the thread waits."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import asyncpg

__all__ = ["SyncConnection", "SyncCursor", "rowcount_of"]

T = TypeVar("T")


def rowcount_of(status: str | None) -> int:
    """The row count in a command tag such as ``INSERT 0 3`` or ``UPDATE 2`` (-1 when it has none)."""
    last = (status or "").rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else -1


def positional(params: Sequence[Any] | dict[str, Any]) -> tuple[Any, ...]:
    if isinstance(params, dict):
        raise TypeError(
            "named parameters are SQLite-only; on PostgreSQL write $1, $2, ... and pass a sequence"
        )
    return tuple(params)


class SyncCursor:
    """The result of one statement: its rows and row count."""

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self._next = 0
        self.rowcount = rowcount
        self.lastrowid: int | None = None

    def fetchone(self) -> Any:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def fetchall(self) -> list[Any]:
        rest, self._next = self._rows[self._next :], len(self._rows)
        return rest

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


class SyncConnection:
    """``execute``/``executemany`` on an asyncpg connection from a worker thread (PostgreSQL SQL,
    ``$n`` placeholders). Only valid while the function it was given to runs."""

    dialect = "postgresql"

    def __init__(self, conn: asyncpg.Connection, loop: asyncio.AbstractEventLoop) -> None:
        self.raw = conn
        self._loop = loop

    def _wait(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result()

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> SyncCursor:
        return self._wait(_run(self.raw, sql, positional(params)))

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> SyncCursor:
        rows = [positional(params) for params in seq]
        self._wait(self.raw.executemany(sql, rows))
        return SyncCursor([], len(rows))


async def _run(conn: asyncpg.Connection, sql: str, params: tuple[Any, ...]) -> SyncCursor:
    if not params and ";" in sql.strip().rstrip(";"):
        return SyncCursor([], rowcount_of(await conn.execute(sql)))  # a script: several statements
    statement = await conn.prepare(sql)
    rows = await statement.fetch(*params)
    return SyncCursor(list(rows), rowcount_of(statement.get_statusmsg()))
