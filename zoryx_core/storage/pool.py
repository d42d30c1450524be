"""A bounded pool of ``sqlite3`` connections used from a small, fixed set of worker threads.

Connections are keyed by database path. At most ``max_open`` are open at once: when the pool is
full the least recently used idle connection is closed first, and when every connection is busy
the caller waits. Each connection is used by one thread at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from ..disk_full import raise_named
from ..private_files import private_file

__all__ = ["ConnectionPool", "NoDatabase"]

T = TypeVar("T")


class NoDatabase(FileNotFoundError):
    """Work asked not to create a database (``create=False``) and there is none at the path."""


@dataclass
class _Slot:
    lock: threading.Lock = field(default_factory=threading.Lock)
    conn: sqlite3.Connection | None = None
    users: int = 0  # tasks holding or waiting for this slot; 0 = idle, may be closed
    last_used: float = field(default_factory=time.monotonic)


class ConnectionPool:
    """``sqlite3`` connections (WAL, ``busy_timeout``, ``synchronous=NORMAL``, foreign keys on,
    rows as :class:`sqlite3.Row`, autocommit: ``isolation_level=None``) run on ``workers``
    threads owned by the pool.

    A function given to :meth:`run` must not itself wait on the pool (that can deadlock).
    """

    def __init__(self, *, max_open: int = 64, workers: int = 4, busy_timeout_ms: int = 5000) -> None:
        if max_open < 1 or workers < 1:
            raise ValueError("max_open and workers must be at least 1")
        self.max_open = max_open
        self.workers = workers
        self.busy_timeout_ms = busy_timeout_ms
        self._executor: ThreadPoolExecutor | None = None
        self._executor_guard = threading.Lock()
        self._slots: OrderedDict[str, _Slot] = OrderedDict()
        self._cond = threading.Condition()
        self._closing = 0  # connections taken out of _slots and being closed
        self.open_count = 0
        """Connections open right now."""
        self.peak_open = 0
        self.opened_total = 0
        self.closed_total = 0
        self.waits = 0
        """Times a caller waited because every connection was busy."""
        self.operations = 0
        """Functions run on a connection."""

    # --- running work ----------------------------------------------------------------------------

    async def run(
        self,
        path: Path | str,
        fn: Callable[[sqlite3.Connection], T],
        *,
        fresh: bool = False,
        create: bool = True,
    ) -> T:
        """``fn(conn)`` in a worker with exclusive use of the connection to ``path``.

        ``fresh`` closes the pooled connection first and opens a new one (nothing cached).
        With ``create=False`` a missing database raises :class:`NoDatabase` (a FileNotFoundError)
        instead of being created.
        An open transaction left by ``fn`` is rolled back.
        """
        loop = asyncio.get_running_loop()
        job = partial(self.run_sync, Path(path), fn, fresh=fresh, create=create)
        return await loop.run_in_executor(self._get_executor(), job)

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """A plain function (file work, no connection) on the pool's worker threads."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._get_executor(), partial(fn, *args))

    def run_sync(
        self,
        path: Path,
        fn: Callable[[sqlite3.Connection], T],
        *,
        fresh: bool = False,
        create: bool = True,
    ) -> T:
        """:meth:`run` in the calling thread (blocks; for worker threads and non-async code)."""
        key = str(path)
        self.operations += 1
        if not create and not self.has_connection(key) and not path.exists():
            raise NoDatabase(f"no database at {path}")  # before taking a slot: nothing is evicted
        slot = self._reserve(key)
        try:
            with slot.lock:
                if fresh and slot.conn is not None:
                    self._close(slot.conn)
                    slot.conn = None
                if slot.conn is None:
                    if not create and not path.exists():
                        raise NoDatabase(f"no database at {path}")
                    slot.conn = self._connect(path)
                conn = slot.conn
                try:
                    return fn(conn)
                except (OSError, sqlite3.Error) as error:
                    raise_named(error, path)
                finally:
                    if conn.in_transaction:
                        with contextlib.suppress(sqlite3.Error):
                            conn.execute("ROLLBACK")
                    slot.last_used = time.monotonic()
        finally:
            self._release(key, slot)

    # --- closing ---------------------------------------------------------------------------------

    async def close_idle(self, idle_seconds: float) -> int:
        """Close connections unused for ``idle_seconds``; returns how many."""
        if self._executor is None:
            return 0
        return await self.call(self._close_idle, idle_seconds)

    async def close_path(self, path: Path | str) -> bool:
        """Close the connection to ``path`` (waiting for its current user); False if none was open."""
        if self._executor is None:
            return False
        return bool(await self.call(self._close_key, str(path), False))

    async def close_all(self, checkpoint: bool = True) -> int:
        """Close every connection, after ``PRAGMA wal_checkpoint(TRUNCATE)`` when ``checkpoint``."""
        if self._executor is None:
            return 0
        with self._cond:
            keys = list(self._slots)
        closed = 0
        for key in keys:
            closed += await self.call(self._close_key, key, checkpoint)
        return closed

    def shutdown(self) -> None:
        """Close any connection left (no checkpoint) and stop the worker threads (blocks)."""
        with self._executor_guard:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)
        with self._cond:
            keys = list(self._slots)
        for key in keys:
            self._close_key(key, False)

    # --- figures ---------------------------------------------------------------------------------

    def has_connection(self, path: Path | str) -> bool:
        """Whether a connection to ``path`` is open (or being opened)."""
        with self._cond:
            return str(path) in self._slots

    def stats(self) -> dict[str, int]:
        """Open, peak, opened/closed totals, busy connections, waits and limits."""
        with self._cond:
            busy = sum(1 for slot in self._slots.values() if slot.users)
            return {
                "open": self.open_count,
                "peak_open": self.peak_open,
                "opened_total": self.opened_total,
                "closed_total": self.closed_total,
                "busy": busy,
                "waits": self.waits,
                "operations": self.operations,
                "max_open": self.max_open,
                "workers": self.workers,
            }

    # --- internals -------------------------------------------------------------------------------

    def _get_executor(self) -> ThreadPoolExecutor:
        with self._executor_guard:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="zoryx-sqlite")
            return self._executor

    def _reserve(self, key: str) -> _Slot:
        """The slot for ``key``, making room (closing the least recently used idle one) if needed."""
        while True:
            with self._cond:
                while True:
                    slot = self._slots.get(key)
                    if slot is not None:
                        slot.users += 1
                        self._slots.move_to_end(key)
                        return slot
                    if len(self._slots) + self._closing < self.max_open:
                        slot = self._slots[key] = _Slot(users=1)
                        return slot
                    victim = next((k for k, s in self._slots.items() if not s.users), None)
                    if victim is not None:
                        evicted = self._slots.pop(victim)
                        self._closing += 1
                        break
                    self.waits += 1
                    self._cond.wait()
            self._close_evicted(evicted)

    def _release(self, key: str, slot: _Slot) -> None:
        with self._cond:
            slot.users -= 1
            if not slot.users and slot.conn is None and self._slots.get(key) is slot:
                del self._slots[key]
            self._cond.notify_all()

    def _close_evicted(self, slot: _Slot) -> None:
        try:
            if slot.conn is not None:
                self._close(slot.conn)
                slot.conn = None
        finally:
            with self._cond:
                self._closing -= 1
                self._cond.notify_all()

    def _close_idle(self, idle_seconds: float) -> int:
        cutoff = time.monotonic() - idle_seconds
        with self._cond:
            keys = [k for k, s in self._slots.items() if not s.users and s.last_used <= cutoff]
            evicted = [self._slots.pop(k) for k in keys]
            self._closing += len(evicted)
        for slot in evicted:
            self._close_evicted(slot)
        return len(evicted)

    def _close_key(self, key: str, checkpoint: bool) -> int:
        with self._cond:
            slot = self._slots.get(key)
            if slot is None:
                return 0
            slot.users += 1
        try:
            with slot.lock:
                conn, slot.conn = slot.conn, None
                if conn is None:
                    return 0
                if checkpoint:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
                self._close(conn)
                return 1
        finally:
            self._release(key, slot)

    def _connect(self, path: Path) -> sqlite3.Connection:
        timeout = self.busy_timeout_ms / 1000
        try:
            if not path.exists():
                private_file(path)  # 0600 in a 0700 folder; SQLite's -wal and -shm files copy its mode
            conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as error:
            raise_named(error, path)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_ms)}")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._enable_wal(conn)
            conn.execute("PRAGMA foreign_keys=ON")
        except BaseException as error:
            conn.close()
            raise_named(error, path)
        with self._cond:
            self.open_count += 1
            self.opened_total += 1
            self.peak_open = max(self.peak_open, self.open_count)
        return conn

    def _enable_wal(self, conn: sqlite3.Connection) -> None:
        """Switch the database to WAL, retrying while another process holds it.

        Two processes opening a new database at once both try to change its journal mode; SQLite
        answers one of them SQLITE_BUSY at once, without the busy handler, when waiting could
        deadlock. WAL is a property of the file, so once either has switched it the other finds
        it set. Retried in this worker thread for up to the busy timeout."""
        deadline = time.monotonic() + self.busy_timeout_ms / 1000
        delay = 0.005
        while True:
            try:
                conn.execute("PRAGMA journal_mode=WAL").fetchall()
                return
            except sqlite3.OperationalError as error:
                text = str(error).lower()
                if ("locked" not in text and "busy" not in text) or time.monotonic() >= deadline:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 0.1)

    def _close(self, conn: sqlite3.Connection) -> None:
        try:
            conn.close()
        finally:
            with self._cond:
                self.open_count -= 1
                self.closed_total += 1
