"""One marketplace operation at a time per data folder, across processes (the bot and the CLI)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator
from pathlib import Path

from filelock import FileLock, Timeout

__all__ = ["LOCK_FILE", "exclusive"]

LOCK_FILE = "install.lock"

# A waiting worker looks whether its waiter was cancelled this often, and polls the lock in between.
_CHECK_CANCELLED_SECONDS = 0.5
_POLL_SECONDS = 0.05


def _acquire(marketplace_dir: Path, cancelled: threading.Event) -> FileLock | None:
    """Wait for the folder's lock (blocking); None when the waiter was cancelled first."""
    marketplace_dir.mkdir(parents=True, exist_ok=True)
    # thread_local=False: the lock is taken in this worker thread and given back on the loop's thread.
    lock = FileLock(marketplace_dir / LOCK_FILE, mode=0o600, thread_local=False)
    while not cancelled.is_set():
        try:
            lock.acquire(timeout=_CHECK_CANCELLED_SECONDS, poll_interval=_POLL_SECONDS)
        except Timeout:
            continue
        return lock
    return None


def _release_if_acquired(waiting: asyncio.Future[FileLock | None]) -> None:
    if not waiting.cancelled() and waiting.exception() is None and (lock := waiting.result()) is not None:
        lock.release()


@contextlib.asynccontextmanager
async def exclusive(marketplace_dir: Path) -> AsyncIterator[None]:
    """Hold the exclusive lock on ``marketplace_dir/install.lock`` (filelock: ``flock``, or ``msvcrt``
    on Windows), waiting for it in a worker thread so the event loop keeps running.

    A cancelled waiter stops waiting within half a second, and gives the lock back if it got it.
    """
    cancelled = threading.Event()
    waiting = asyncio.ensure_future(asyncio.to_thread(_acquire, marketplace_dir, cancelled))
    try:
        lock = await asyncio.shield(waiting)
    except asyncio.CancelledError:
        cancelled.set()
        waiting.add_done_callback(_release_if_acquired)
        raise
    assert lock is not None  # only a cancelled waiter gets None, and it does not get here
    try:
        yield
    finally:
        lock.release()  # unlock and close the file: nothing to wait for
