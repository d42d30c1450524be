"""AtomicJsonFiles on real files: atomic writes under SIGKILL, corrupt files kept aside, the read
cache, and read-modify-write across tasks and processes."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from storage_helpers.hammer import run_together

from zoryx_core.storage import AtomicJsonFiles, CorruptJsonError


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


# --- basics ----------------------------------------------------------------------------------------


async def test_write_creates_folders_and_read_returns_copies(tmp_path: Path) -> None:
    files = AtomicJsonFiles()
    path = tmp_path / "a" / "b" / "doc.json"
    await files.write(path, {"items": [1, 2], "name": "zoryx"})
    assert json.loads(path.read_text(encoding="utf-8")) == {"items": [1, 2], "name": "zoryx"}
    first = await files.read(path)
    first["items"].append(3)  # a caller mutating its result must not change the cache
    assert await files.read(path) == {"items": [1, 2], "name": "zoryx"}
    assert files.stats()["hits"] >= 1
    assert not list(path.parent.glob("*.tmp"))


async def test_missing_file_gives_the_default_and_is_not_cached(tmp_path: Path) -> None:
    files = AtomicJsonFiles()
    path = tmp_path / "missing.json"
    assert await files.read(path) is None
    assert await files.read(path, {"d": 1}) == {"d": 1}
    path.write_text("[1]", encoding="utf-8")  # appears later: seen at once, no stale "missing"
    assert await files.read(path) == [1]
    assert await files.delete(path) is True
    assert await files.delete(path) is False
    assert await files.read(path, "gone") == "gone"


async def test_non_serializable_value_raises_and_writes_nothing(tmp_path: Path) -> None:
    files = AtomicJsonFiles()
    path = tmp_path / "doc.json"
    with pytest.raises(TypeError, match=r"doc\.json"):
        await files.write(path, {"when": object()})
    assert not path.exists()
    await files.write(path, {"ok": True})
    with pytest.raises(TypeError, match=r"doc\.json"):
        await files.write(path, {"nan": float("nan")})
    with pytest.raises(TypeError, match=r"doc\.json"):
        await files.update(path, lambda doc: {**doc, "bad": {1, 2}})
    assert await files.read(path, use_cache=False) == {"ok": True}
    assert _names(tmp_path) == ["doc.json", "doc.json.lock"]


def test_sync_variants(tmp_path: Path) -> None:
    files = AtomicJsonFiles()
    path = tmp_path / "sync.json"
    assert files.read_sync(path, 0) == 0
    files.write_sync(path, 5)
    assert files.update_sync(path, lambda n: n * 2) == 10
    assert files.read_sync(path) == 10


# --- corrupt files -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [b'{"coins": 12, "name": "zo', b"", b"not json at all", b"\xff\xfe{}"],
    ids=["truncated", "empty", "garbage", "bad-utf8"],
)
async def test_corrupt_file_is_moved_aside_and_reported(tmp_path: Path, content: bytes) -> None:
    files = AtomicJsonFiles()
    path = tmp_path / "data.json"
    path.write_bytes(content)
    with pytest.raises(CorruptJsonError) as caught:
        await files.read(path, {"default": True})
    error = caught.value
    assert error.path == path
    assert error.moved_to is not None and error.moved_to.name.startswith("data.json.corrupt-")
    assert error.moved_to.read_bytes() == content  # the bytes are kept
    assert str(path) in str(error) and str(error.moved_to) in str(error) and "kept aside" in str(error)
    assert error.reason
    assert not path.exists()  # not replaced by a default
    assert files.stats()["corrupt_files"] == 1
    await files.write(path, {"fresh": 1})
    assert await files.read(path) == {"fresh": 1}


async def test_corrupt_file_found_by_update_and_sync_read(tmp_path: Path) -> None:
    files = AtomicJsonFiles()
    path = tmp_path / "counter.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(CorruptJsonError):
        await files.update(path, lambda n: n + 1, 0)
    path.write_text("[", encoding="utf-8")  # a second one in the same second gets a counter
    with pytest.raises(CorruptJsonError) as caught:
        files.read_sync(path)
    assert len([name for name in _names(tmp_path) if name.startswith("counter.json.corrupt-")]) == 2
    assert caught.value.moved_to is not None and caught.value.moved_to.read_text(encoding="utf-8") == "["
    assert await files.update(path, lambda n: n + 1, 0) == 1


# --- cache ---------------------------------------------------------------------------------------


async def test_cache_ttl(tmp_path: Path) -> None:
    clock = FakeClock()
    files = AtomicJsonFiles(cache_ttl=10, clock=clock)
    path = tmp_path / "ttl.json"
    await files.write(path, {"v": 1})
    path.write_text('{"v": 2}', encoding="utf-8")  # another process's write
    assert await files.read(path) == {"v": 1}  # cached
    assert await files.read(path, use_cache=False) == {"v": 2}
    path.write_text('{"v": 3}', encoding="utf-8")
    clock.now += 9
    assert await files.read(path) == {"v": 2}
    clock.now += 2
    assert await files.read(path) == {"v": 3}  # expired: read from disk
    assert files.stats()["expired"] == 1
    clock.now += 11
    assert files.expire() == 1
    assert files.stats()["cache_entries"] == 0


async def test_cache_lru_eviction(tmp_path: Path) -> None:
    files = AtomicJsonFiles(cache_size=2)
    paths = [tmp_path / f"{name}.json" for name in "abc"]
    for index, path in enumerate(paths):
        path.write_text(json.dumps(index), encoding="utf-8")
    assert [await files.read(p) for p in paths[:2]] == [0, 1]
    await files.read(paths[0])  # a is now the most recently used
    await files.read(paths[2])  # evicts b
    for path in paths:
        path.write_text('"changed"', encoding="utf-8")
    assert await files.read(paths[0]) == 0
    assert await files.read(paths[2]) == 2
    assert await files.read(paths[1]) == "changed"  # b was evicted
    assert files.stats()["cache_entries"] == 2


async def test_write_and_delete_invalidate_and_update_reads_fresh(tmp_path: Path) -> None:
    files = AtomicJsonFiles()
    path = tmp_path / "doc.json"
    await files.write(path, {"n": 1})
    assert await files.read(path) == {"n": 1}
    await files.write(path, {"n": 2})
    assert await files.read(path) == {"n": 2}
    path.write_text('{"n": 40}', encoding="utf-8")  # changed behind the cache's back
    assert await files.read(path) == {"n": 2}
    assert await files.update(path, lambda doc: {"n": doc["n"] + 2}) == {"n": 42}
    assert await files.read(path) == {"n": 42}
    await files.delete(path)
    assert await files.read(path, "none") == "none"


async def test_stats_and_lock_pruning(tmp_path: Path) -> None:
    files = AtomicJsonFiles()
    for index in range(5):
        await files.write(tmp_path / f"{index}.json", index)
    assert files.stats()["locks"] == 5
    assert files.prune_locks() == 5
    assert files.stats()["locks"] == 0
    stats = files.stats()
    assert stats["writes"] == 5 and stats["cache_entries"] == 5
    assert set(stats) >= {"cache_entries", "hits", "misses", "hit_rate", "expired", "reads", "locks"}


# --- concurrency ---------------------------------------------------------------------------------


async def test_tasks_updating_one_file_lose_nothing(tmp_path: Path) -> None:
    files = AtomicJsonFiles()
    path = tmp_path / "count.json"

    async def bump(times: int) -> None:
        for _ in range(times):
            await files.update(path, lambda n: n + 1, 0)

    await asyncio.gather(*(bump(25) for _ in range(8)))
    assert await files.read(path, use_cache=False) == 200


def test_two_processes_updating_one_file_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "shared" / "count.json"
    command = ["json", str(path), "300", str(tmp_path / "go")]
    run_together(tmp_path / "go", command, command)
    assert AtomicJsonFiles().read_sync(path) == 600


# --- crash safety --------------------------------------------------------------------------------


def _payload(version: int) -> str:
    return hashlib.sha256(f"{version:010d}".encode()).hexdigest() * 780  # ~50 KB


def _document(version: int) -> dict[str, Any]:
    payload = _payload(version)
    return {"version": version, "payload": payload, "sha256": hashlib.sha256(payload.encode()).hexdigest()}


def _check(document: Any) -> int:
    """The document's version, after checking it is one complete, unmixed version."""
    assert isinstance(document, dict) and set(document) == {"version", "payload", "sha256"}
    version = document["version"]
    assert hashlib.sha256(document["payload"].encode()).hexdigest() == document["sha256"]
    assert document["payload"] == _payload(version)
    return int(version)


def _writer_child(path: Path, start: int) -> None:
    """Runs in the forked child: writes newer versions until killed."""
    try:
        files = AtomicJsonFiles(cache_size=0)
        version = start
        while True:
            version += 1
            files.write_sync(path, _document(version))
    finally:
        os._exit(1)


@pytest.mark.long_running
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_sigkill_during_writes_never_leaves_a_partial_file(tmp_path: Path) -> None:
    files = AtomicJsonFiles(cache_size=0)
    path = tmp_path / "state.json"
    files.write_sync(path, _document(0))
    rng = random.Random(20240601)
    last = 0
    advanced = 0
    for _ in range(200):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child never returns
            _writer_child(path, last)
        time.sleep(rng.uniform(0, 0.020))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        version = _check(files.read_sync(path, use_cache=False))
        assert version >= last, "the file went back to an older version"
        advanced += version > last
        last = version
    assert advanced > 20, "the writer hardly ever got a write in; the test proves little"
    # A temp file left by a kill (or a half-written one) does not disturb reading or writing.
    (tmp_path / ".state.json.half.tmp").write_text('{"version": 99999, "payl', encoding="utf-8")
    assert _check(files.read_sync(path)) == last
    files.write_sync(path, _document(last + 1))
    assert _check(files.read_sync(path, use_cache=False)) == last + 1
