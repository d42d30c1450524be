"""LISTEN/NOTIFY on one dedicated connection: listeners per channel, and a reconnect (telling every
listener that notifications may have been missed) when that connection is lost."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from ..backend import Listener

__all__ = ["Notifier"]

log = logging.getLogger("zoryx.storage.postgresql")


class Notifier:
    """Delivers notifications of subscribed channels; ``connect`` opens a new asyncpg connection."""

    def __init__(self, connect: Callable[[], Coroutine[Any, Any, Any]], where: str) -> None:
        self._connect = connect
        self._where = where
        self._conn: Any = None
        self._listeners: dict[str, list[Listener]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._reconnecting: asyncio.Task[None] | None = None
        self._closed = False
        self.delivered = 0
        self.reconnects = 0

    async def subscribe(self, channel: str, listener: Listener) -> None:
        first = channel not in self._listeners
        self._listeners.setdefault(channel, []).append(listener)
        if self._reconnecting is not None and not self._reconnecting.done():
            return  # the reconnection listens on every channel, this one included
        if self._conn is None:
            await self._open()
        elif first:
            await self._conn.add_listener(channel, self._deliver)

    async def close(self) -> None:
        self._closed = True
        if self._reconnecting is not None:
            self._reconnecting.cancel()
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            await conn.close(timeout=5)
        for task in list(self._tasks):
            task.cancel()

    async def _open(self) -> None:
        conn = await self._connect()
        conn.add_termination_listener(self._lost)
        for channel in self._listeners:
            await conn.add_listener(channel, self._deliver)
        self._conn = conn

    def _deliver(self, _conn: Any, _pid: int, channel: str, payload: str) -> None:
        self.delivered += 1
        for listener in self._listeners.get(channel, ()):
            self._call(listener, payload)

    def _call(self, listener: Listener, payload: str | None) -> None:
        result = listener(payload)
        if inspect.isawaitable(result):
            task = asyncio.ensure_future(result)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _lost(self, _conn: Any) -> None:
        if self._closed:
            return
        self._conn = None
        log.warning("lost the notification connection to PostgreSQL at %s; reconnecting", self._where)
        if self._reconnecting is None or self._reconnecting.done():
            self._reconnecting = asyncio.ensure_future(self._reconnect())

    async def _reconnect(self) -> None:
        delay = 0.1
        while not self._closed:
            try:
                await self._open()
            except Exception as exc:  # the server may still be down; keep trying, calmly
                log.debug("notification connection to %s not back yet: %s", self._where, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            self.reconnects += 1
            log.warning("notification connection to PostgreSQL at %s restored", self._where)
            for listeners in self._listeners.values():
                for listener in listeners:
                    self._call(listener, None)  # anything may have changed meanwhile
            return
