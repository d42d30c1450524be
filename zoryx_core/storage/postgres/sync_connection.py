"""A blocking, ``sqlite3``-shaped view of one asyncpg connection, for functions given to
``transaction`` and for migration steps written as functions: they run in a worker thread and each
statement is handed to the event loop, which stays free while the thread waits."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Coroutine, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import asyncpg

__all__ = ["SyncConnection", "SyncCursor", "numbered_placeholders", "rowcount_of"]

T = TypeVar("T")


def rowcount_of(status: str | None) -> int:
    """The row count in a command tag such as ``INSERT 0 3`` or ``UPDATE 2`` (-1 when it has none)."""
    last = (status or "").rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else -1


_NUMBERED = re.compile(r"\$[0-9]")


def numbered_placeholders(sql: str) -> str:
    """``sql`` with each qmark placeholder (``?`` outside quotes and comments) replaced by ``$1``,
    ``$2``, ... in order."""
    out: list[str] = []
    number = 0
    i, n = 0, len(sql)
    while i < n:
        char = sql[i]
        if char in "'\"":
            end = sql.find(char, i + 1)
            while end != -1 and end + 1 < n and sql[end + 1] == char:  # a doubled quote
                end = sql.find(char, end + 2)
            end = n - 1 if end == -1 else end
            out.append(sql[i : end + 1])
            i = end + 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end == -1 else end
            out.append(sql[i:end])
            i = end
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            end = n if end == -1 else end + 2
            out.append(sql[i:end])
            i = end
        elif char == "?":
            number += 1
            out.append(f"${number}")
            i += 1
        else:
            out.append(char)
            i += 1
    return "".join(out)


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
    """``execute``/``executemany`` on an asyncpg connection from a worker thread, in PostgreSQL's
    SQL. Placeholders are ``$1``, ``$2``, ...; a statement given parameters and no ``$n`` may use
    qmark ``?`` placeholders instead (so simple SQL written for ``sqlite3`` runs unchanged). Only
    valid while the function it was given to runs."""

    dialect = "postgresql"

    def __init__(self, conn: asyncpg.Connection, loop: asyncio.AbstractEventLoop) -> None:
        self.raw = conn
        self._loop = loop

    def _wait(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result()

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> SyncCursor:
        args = positional(params)
        return self._wait(_run(self.raw, _placeholders(sql, args), args))

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> SyncCursor:
        rows = [positional(params) for params in seq]
        self._wait(self.raw.executemany(_placeholders(sql, rows[0] if rows else ()), rows))
        return SyncCursor([], len(rows))


def _placeholders(sql: str, args: Sequence[Any]) -> str:
    return numbered_placeholders(sql) if args and not _NUMBERED.search(sql) else sql


async def _run(conn: asyncpg.Connection, sql: str, params: tuple[Any, ...]) -> SyncCursor:
    if not params and ";" in sql.strip().rstrip(";"):
        return SyncCursor([], rowcount_of(await conn.execute(sql)))  # a script: several statements
    statement = await conn.prepare(sql)
    rows = await statement.fetch(*params)
    return SyncCursor(list(rows), rowcount_of(statement.get_statusmsg()))
