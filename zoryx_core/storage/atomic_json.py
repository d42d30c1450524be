"""JSON files written atomically (temp file, fsync, rename, fsync of the folder), locked per path
within the process and across processes, with a small LRU + TTL read cache.

All file I/O runs in worker threads (``asyncio.to_thread``); the ``*_sync`` variants do the same
work in the calling thread for code that has no event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import os
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock

from ..disk_full import raise_named
from ..private_files import PRIVATE_FILE_MODE, private_dir

__all__ = ["AtomicJsonFiles", "CorruptJsonError"]

log = logging.getLogger("zoryx.storage.json")

# Cached texts at least this long are parsed in a worker thread, not on the event loop.
_PARSE_OFF_LOOP_CHARS = 256 * 1024
# How often a worker waiting for another process's lock on a file tries again (holds last milliseconds).
_LOCK_POLL_SECONDS = 0.01


class CorruptJsonError(Exception):
    """A JSON file did not parse. Its bytes were kept: the file was moved to ``moved_to``."""

    def __init__(self, path: Path, moved_to: Path | None, reason: str) -> None:
        self.path = path
        self.moved_to = moved_to
        self.reason = reason
        where = f"in {moved_to}" if moved_to else "by another reader, next to it"
        super().__init__(f"{path} is not valid JSON ({reason}); the data was kept aside {where}")


@dataclass
class _PathLock:
    thread_lock: threading.Lock = field(default_factory=threading.Lock)
    async_lock: asyncio.Lock | None = None
    loop: asyncio.AbstractEventLoop | None = None
    users: int = 0


@dataclass
class _CacheEntry:
    text: str
    expires: float


class AtomicJsonFiles:
    """Reads and writes JSON documents so that a crash never leaves a half-written file.

    The read cache keeps each file's text for ``cache_ttl`` seconds (at most ``cache_size``
    files, least recently used dropped first) and every read returns a fresh copy. Writes,
    updates and deletes through this instance refresh it at once; a write made by *another
    process* is only seen when the entry expires, so pass ``use_cache=False`` where that
    matters. ``update`` always reads the file itself.

    Each file has a ``<name>.lock`` sidecar for the cross-process lock (filelock: ``flock``, or
    ``msvcrt`` on Windows, where it is removed on release); ``delete`` leaves it in place. Files are
    written owner-only.
    """

    def __init__(
        self,
        *,
        cache_ttl: float = 300.0,
        cache_size: int = 1000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cache_ttl = cache_ttl
        self.cache_size = cache_size
        self._clock = clock
        self._cache: OrderedDict[str, _CacheEntry] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._locks: dict[str, _PathLock] = {}
        self._locks_guard = threading.Lock()
        self._counts = {"hits": 0, "misses": 0, "expired": 0, "reads": 0, "writes": 0, "corrupt": 0}

    # --- async API -------------------------------------------------------------------------------

    async def read(self, path: Path | str, default: Any = None, *, use_cache: bool = True) -> Any:
        """The document at ``path``, or ``default`` when the file does not exist.

        Raises :class:`CorruptJsonError` (after moving the file aside) when it does not parse.
        """
        path = Path(path)
        if use_cache and (text := self._cache_get(_key(path))) is not None:
            if len(text) >= _PARSE_OFF_LOOP_CHARS:
                return await asyncio.to_thread(json.loads, text)
            return json.loads(text)
        return await asyncio.to_thread(self.read_sync, path, default, use_cache=False)

    async def write(self, path: Path | str, data: Any) -> None:
        """Replace the file with ``data`` atomically; creates missing parent folders.

        Do not mutate ``data`` until this returns (it is serialized in a worker thread).
        """
        path = Path(path)
        async with self._async_locked(path) as entry:
            await asyncio.to_thread(self._write, entry, path, data)

    async def update(self, path: Path | str, fn: Callable[[Any], Any], default: Any = None) -> Any:
        """Read-modify-write under the path's lock (in this process and across processes).

        ``fn`` gets the current document (a copy of ``default`` when the file is missing) and
        returns the new one, which is written and returned. It runs in a worker thread.
        """
        path = Path(path)
        async with self._async_locked(path) as entry:
            return await asyncio.to_thread(self._update, entry, path, fn, default)

    async def delete(self, path: Path | str) -> bool:
        """Remove the file; False when it did not exist."""
        path = Path(path)
        async with self._async_locked(path) as entry:
            return await asyncio.to_thread(self._delete, entry, path)

    # --- sync API --------------------------------------------------------------------------------

    def read_sync(self, path: Path | str, default: Any = None, *, use_cache: bool = True) -> Any:
        """:meth:`read` in the calling thread."""
        path = Path(path)
        key = _key(path)
        if use_cache and (text := self._cache_get(key)) is not None:
            return json.loads(text)
        with self._held(path) as entry, entry.thread_lock:
            state, value, text = self._parse(path)
            if state == "corrupt":  # look again under the cross-process lock before moving it
                with _file_lock(path):
                    state, value, text = self._parse(path)
                    if state == "missing":
                        reason = "another process moved it aside while this read waited"
                        raise CorruptJsonError(path, _latest_aside(path), reason)
                    if state == "corrupt":
                        self._quarantine(path, text)
            if state == "missing":
                return default
            self._cache_put(key, text)
        return value

    def write_sync(self, path: Path | str, data: Any) -> None:
        """:meth:`write` in the calling thread."""
        path = Path(path)
        with self._held(path) as entry:
            self._write(entry, path, data)

    def update_sync(self, path: Path | str, fn: Callable[[Any], Any], default: Any = None) -> Any:
        """:meth:`update` in the calling thread."""
        path = Path(path)
        with self._held(path) as entry:
            return self._update(entry, path, fn, default)

    # --- upkeep ----------------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Cache and I/O counters."""
        with self._cache_lock:
            counts = dict(self._counts)
            entries = len(self._cache)
        looked_up = counts["hits"] + counts["misses"]
        return {
            "cache_entries": entries,
            "hits": counts["hits"],
            "misses": counts["misses"],
            "hit_rate": counts["hits"] / looked_up if looked_up else 0.0,
            "expired": counts["expired"],
            "reads": counts["reads"],
            "writes": counts["writes"],
            "locks": len(self._locks),
            "corrupt_files": counts["corrupt"],
        }

    def expire(self) -> int:
        """Drop expired cache entries; returns how many."""
        now = self._clock()
        with self._cache_lock:
            stale = [key for key, entry in self._cache.items() if entry.expires <= now]
            for key in stale:
                del self._cache[key]
            self._counts["expired"] += len(stale)
        return len(stale)

    def prune_locks(self) -> int:
        """Forget the lock objects of paths nobody is using; returns how many."""
        with self._locks_guard:
            idle = [key for key, entry in self._locks.items() if entry.users == 0]
            for key in idle:
                del self._locks[key]
        return len(idle)

    def invalidate(self, path: Path | str) -> None:
        """Drop one file from the read cache (e.g. after another process changed it)."""
        with self._cache_lock:
            self._cache.pop(_key(Path(path)), None)

    # --- worker-side operations ------------------------------------------------------------------

    def _write(self, entry: _PathLock, path: Path, data: Any) -> None:
        text = _serialize(path, data)
        with entry.thread_lock, _file_lock(path):
            _replace_atomically(path, text.encode("utf-8"))
            self._cache_put(_key(path), text, wrote=True)

    def _update(self, entry: _PathLock, path: Path, fn: Callable[[Any], Any], default: Any) -> Any:
        with entry.thread_lock, _file_lock(path):
            state, value, text = self._parse(path)
            if state == "corrupt":
                self._quarantine(path, text)
            new = fn(value if state == "ok" else copy.deepcopy(default))
            text = _serialize(path, new)
            _replace_atomically(path, text.encode("utf-8"))
            self._cache_put(_key(path), text, wrote=True)
        return new

    def _delete(self, entry: _PathLock, path: Path) -> bool:
        with entry.thread_lock, _file_lock(path):
            self.invalidate(path)
            try:
                path.unlink()
            except FileNotFoundError:
                return False
        _fsync_directory(path.parent)
        return True

    def _parse(self, path: Path) -> tuple[str, Any, str]:
        """("missing", None, ""), ("ok", value, text) or ("corrupt", None, reason)."""
        self._count("reads")
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return "missing", None, ""
        if not raw.strip():
            return "corrupt", None, "the file is empty"
        try:
            text = raw.decode("utf-8")
            return "ok", json.loads(text), text
        except (ValueError, RecursionError) as exc:
            return "corrupt", None, f"{type(exc).__name__}: {exc}"

    def _quarantine(self, path: Path, reason: str) -> None:
        """Move a corrupt file aside (the caller holds its locks) and raise CorruptJsonError."""
        moved_to = _move_aside(path)
        self._count("corrupt")
        self.invalidate(path)
        log.error("%s is not valid JSON (%s); moved it to %s, the data is kept there", path, reason, moved_to)
        raise CorruptJsonError(path, moved_to, reason)

    # --- locks and cache -------------------------------------------------------------------------

    @contextlib.contextmanager
    def _held(self, path: Path) -> Iterator[_PathLock]:
        """The path's lock entry, kept from pruning while in use."""
        key = _key(path)
        with self._locks_guard:
            entry = self._locks.get(key)
            if entry is None:
                entry = self._locks[key] = _PathLock()
            entry.users += 1
        try:
            yield entry
        finally:
            with self._locks_guard:
                entry.users -= 1

    @contextlib.asynccontextmanager
    async def _async_locked(self, path: Path) -> AsyncIterator[_PathLock]:
        """The path's asyncio lock: one worker thread per path per process at a time."""
        loop = asyncio.get_running_loop()
        with self._held(path) as entry:
            with self._locks_guard:
                if entry.async_lock is None or entry.loop is not loop:
                    entry.async_lock, entry.loop = asyncio.Lock(), loop
                lock = entry.async_lock
            async with lock:
                yield entry

    def _cache_get(self, key: str) -> str | None:
        with self._cache_lock:
            entry = self._cache.get(key)
            if entry is not None and entry.expires <= self._clock():
                del self._cache[key]
                self._counts["expired"] += 1
                entry = None
            if entry is None:
                self._counts["misses"] += 1
                return None
            self._cache.move_to_end(key)
            self._counts["hits"] += 1
            return entry.text

    def _cache_put(self, key: str, text: str, *, wrote: bool = False) -> None:
        with self._cache_lock:
            if wrote:
                self._counts["writes"] += 1
            if self.cache_size <= 0 or self.cache_ttl <= 0:
                return
            self._cache[key] = _CacheEntry(text, self._clock() + self.cache_ttl)
            self._cache.move_to_end(key)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)

    def _count(self, name: str) -> None:
        with self._cache_lock:
            self._counts[name] += 1


def _key(path: Path) -> str:
    return os.path.abspath(path)


def _serialize(path: Path, data: Any) -> str:
    try:
        return json.dumps(data, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"cannot write {path}: the value is not JSON-serializable ({exc})") from None


def _replace_atomically(path: Path, data: bytes) -> None:
    folder = path.parent
    try:
        private_dir(folder)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)  # 0600
    except OSError as error:
        raise_named(error, path)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise_named(error, path)
    _fsync_directory(folder)


def _fsync_directory(folder: Path) -> None:
    if sys.platform == "win32":
        return
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Exclusive cross-process lock on ``<name>.lock`` next to the file (filelock: ``flock``, or
    ``msvcrt`` on Windows). Blocking: it waits, polling every few milliseconds, for another holder."""
    private_dir(path.parent)
    lock = FileLock(path.with_name(path.name + ".lock"), mode=PRIVATE_FILE_MODE)
    with lock.acquire(poll_interval=_LOCK_POLL_SECONDS):
        yield


def _move_aside(path: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{counter}")
    os.replace(path, target)
    _fsync_directory(path.parent)
    return target


def _latest_aside(path: Path) -> Path | None:
    asides = list(path.parent.glob(f"{path.name}.corrupt-*"))
    return max(asides, key=lambda p: p.stat().st_ctime) if asides else None
