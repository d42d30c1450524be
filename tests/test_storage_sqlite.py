"""What only the SQLite backend has, on real files: the bounded ConnectionPool over 10,000 guilds,
two processes creating one data folder, backups, guild folders of departed guilds, damaged
database files, and an event loop that is never blocked. The storage contract both backends share
is tested once for both in test_storage_backends.py."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
import threading
import time
from pathlib import Path

import pytest
from storage_helpers.hammer import run_together

from zoryx_core.storage import ConnectionPool, Storage, StorageOptions

QUIET = StorageOptions(backup_on_shutdown=False)


def _size(path: Path) -> int:
    """The file's size, 0 when it does not exist."""
    return path.stat().st_size if path.exists() else 0


# --- open / close --------------------------------------------------------------------------------


async def test_open_close_records_runs_and_is_idempotent(tmp_path: Path) -> None:
    store = Storage(tmp_path / "data", QUIET)
    assert not store.is_open
    with pytest.raises(RuntimeError, match="not open"):
        await store.get("ns", "key")
    await store.open()
    await store.open()
    assert store.is_open and store.main_db_path == tmp_path / "data" / "main.db"
    assert store.guild_db_path(42) == tmp_path / "data" / "guilds" / "42" / "guild.db"
    await store.close()
    await store.close()
    assert not store.is_open and store.pool.open_count == 0
    await store.open()  # reopening after a close works (new worker threads)
    rows = await store.fetchall("SELECT clean FROM zoryx_runs ORDER BY rowid")
    assert [row["clean"] for row in rows] == [1, None]
    await store.close()


# --- documents -----------------------------------------------------------------------------------


@pytest.mark.long_running
def test_two_processes_creating_the_databases_at_once_both_open(tmp_path: Path) -> None:
    # Both switch the new main.db to WAL at the same moment; SQLite answers one of them "database
    # is locked" at once (no busy wait, to avoid a deadlock), which the pool retries.
    for round_number in range(8):
        data = tmp_path / f"data-{round_number}"
        go = tmp_path / f"go-{round_number}"
        command = ["open", str(data), str(go)]
        run_together(go, command, command)
        assert (data / "main.db").exists()


# --- raw SQL -------------------------------------------------------------------------------------


# --- the pool ------------------------------------------------------------------------------------


async def test_pool_pragmas_lru_and_counters(tmp_path: Path) -> None:
    pool = ConnectionPool(max_open=2, busy_timeout_ms=1234)
    a, b, c = (tmp_path / f"{name}.db" for name in "abc")
    try:

        def pragmas(conn: sqlite3.Connection) -> tuple[object, ...]:
            names = ("journal_mode", "busy_timeout", "synchronous", "foreign_keys")
            return tuple(conn.execute(f"PRAGMA {name}").fetchone()[0] for name in names)

        assert await pool.run(a, pragmas) == ("wal", 1234, 1, 1)
        await pool.run(b, pragmas)
        await pool.run(a, pragmas)  # b is now the least recently used
        await pool.run(c, pragmas)
        assert pool.has_connection(a) and pool.has_connection(c) and not pool.has_connection(b)
        assert (pool.open_count, pool.peak_open, pool.opened_total, pool.closed_total) == (2, 2, 3, 1)
        assert await pool.close_idle(3600) == 0
        assert await pool.close_idle(0) == 2
        with pytest.raises(FileNotFoundError):
            await pool.run(tmp_path / "nope.db", pragmas, create=False)
        assert not (tmp_path / "nope.db").exists()
    finally:
        await pool.close_all()
        pool.shutdown()


async def test_pool_waits_when_every_connection_is_busy(tmp_path: Path) -> None:
    pool = ConnectionPool(max_open=1, workers=4)
    inside: dict[str, int] = {}
    worst = {"per_path": 0, "open": 0}
    guard = threading.Lock()

    def slow(conn: sqlite3.Connection) -> None:
        name = conn.execute("PRAGMA database_list").fetchone()[2]
        with guard:
            inside[name] = inside.get(name, 0) + 1
            worst["per_path"] = max(worst["per_path"], inside[name])
            worst["open"] = max(worst["open"], pool.open_count)
        time.sleep(0.05)
        with guard:
            inside[name] -= 1

    try:
        paths = [tmp_path / "x.db", tmp_path / "y.db"] * 3
        await asyncio.gather(*(pool.run(path, slow) for path in paths))
        assert worst == {"per_path": 1, "open": 1}  # one thread per connection, never 2 open
        assert pool.peak_open == 1 and pool.stats()["waits"] >= 1
    finally:
        await pool.close_all()
        pool.shutdown()


async def test_close_all_checkpoints(tmp_path: Path) -> None:
    pool = ConnectionPool()
    path = tmp_path / "wal.db"
    await pool.run(path, lambda conn: conn.execute("CREATE TABLE t (x)"))
    await pool.run(
        path, lambda conn: conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(500)])
    )
    assert _size(Path(f"{path}-wal")) > 0
    assert await pool.close_all(checkpoint=True) == 1
    assert _size(Path(f"{path}-wal")) == 0
    pool.shutdown()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 500


@pytest.mark.long_running
async def test_ten_thousand_guilds_stay_within_the_pool(tmp_path: Path) -> None:
    store = Storage(tmp_path / "data", QUIET)
    await store.open()
    baseline_threads = threading.active_count()
    most_open = most_threads = 0
    started = time.perf_counter()
    guild_ids = iter(range(1, 10_001))

    async def touch() -> None:  # several tasks take the guilds in turn, each one after the other
        nonlocal most_open, most_threads
        for guild_id in guild_ids:
            await store.set("load", "seen", guild_id, guild_id=guild_id)
            assert await store.get("load", "seen", guild_id=guild_id) == guild_id
            most_open = max(most_open, store.pool.open_count)
            most_threads = max(most_threads, threading.active_count())

    try:
        await asyncio.gather(*(touch() for _ in range(8)))
        elapsed = time.perf_counter() - started
        assert most_open <= 64 and store.pool.peak_open <= 64
        assert store.pool.opened_total >= 10_000
        assert most_threads <= baseline_threads + store.pool.workers
        assert len(await asyncio.to_thread(store.guild_ids_on_disk)) == 10_000
        peak = store.pool.peak_open
        print(f"10,000 guilds touched in {elapsed:.1f} s; peak open {peak}; threads {most_threads}")
    finally:
        await store.close()


# --- backups -------------------------------------------------------------------------------------


async def test_backup_while_writing_and_pruning(tmp_path: Path) -> None:
    store = Storage(tmp_path / "data", StorageOptions(backup_count=2, backup_on_shutdown=False))
    await store.open()
    await store.execute("CREATE TABLE log (n INTEGER)", guild_id=1)
    await store.set("g", "name", "one", guild_id=1)
    await store.set("global", "k", "v")
    stop = threading.Event()
    written = [0]

    def outside_writer() -> None:  # another connection (a shard process, say) keeps writing
        conn = sqlite3.connect(store.guild_db_path(1), timeout=10, isolation_level=None)
        while not stop.is_set():
            conn.execute("INSERT INTO log VALUES (?)", (written[0],))
            written[0] += 1
            time.sleep(0.0005)  # busy, but not starving every other writer of the lock
        conn.close()

    async def inside_writer() -> None:
        while not stop.is_set():
            await store.increment("g", "ticks", guild_id=1)
            await asyncio.sleep(0)

    thread = threading.Thread(target=outside_writer)
    thread.start()
    task = asyncio.create_task(inside_writer())
    try:
        while written[0] < 50:
            await asyncio.sleep(0.01)
        before = written[0]
        sets = [await store.backup() for _ in range(4)]
    finally:
        stop.set()
        await task
        thread.join()
    assert store.backup_sets() == sets[2:]  # pruned to backup_count, oldest first
    assert all(not folder.exists() for folder in sets[:2])
    newest = sets[-1]
    with sqlite3.connect(newest / "guilds" / "1.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM log").fetchone()[0] >= before
        assert conn.execute("SELECT value FROM zoryx_documents WHERE key = 'name'").fetchone()[0] == '"one"'
    with sqlite3.connect(newest / "main.db") as conn:
        assert conn.execute("SELECT value FROM zoryx_documents WHERE key = 'k'").fetchone()[0] == '"v"'
    assert not [p for p in (tmp_path / "data" / "backups").iterdir() if p.name.startswith(".")]
    await store.close()
    assert store.backup_sets() == sets[2:]  # backup_on_shutdown is off


async def test_backup_on_close(tmp_path: Path) -> None:
    store = Storage(tmp_path / "data", StorageOptions(backup_count=3))
    await store.open()
    await store.set("g", "k", 1, guild_id=5)
    await store.close()
    (folder,) = store.backup_sets()
    assert sorted(p.name for p in (folder / "guilds").iterdir()) == ["5.db"]
    off = Storage(tmp_path / "other", StorageOptions(backup_count=0))
    await off.open()
    with pytest.raises(RuntimeError, match="turned off"):
        await off.backup()
    await off.close()
    assert off.backup_sets() == []


# --- departed guilds, users, integrity -----------------------------------------------------------


async def test_departed_guilds_are_cleaned_after_the_grace_period(tmp_path: Path) -> None:
    store = Storage(tmp_path / "data", StorageOptions(departed_grace_seconds=100, backup_on_shutdown=False))
    await store.open()
    try:
        for guild_id in (1, 2, 3):
            await store.set("g", "k", guild_id, guild_id=guild_id)
        await store.guild_departed(1)
        await store.guild_departed(2)
        await store.guild_returned(2)
        now = time.time()
        assert await store.cleanup_departed(now=now + 50) == []
        assert store.pool.has_connection(store.guild_db_path(1))
        assert await store.cleanup_departed(now=now + 200) == [1]
        assert not store.pool.has_connection(store.guild_db_path(1))
        assert not (tmp_path / "data" / "guilds" / "1").exists()
        assert await asyncio.to_thread(store.guild_ids_on_disk) == [2, 3]
        assert await store.get("g", "k", guild_id=2) == 2
        assert await store.cleanup_departed(now=now + 500) == []  # the record is forgotten
        assert await store.get("g", "k", guild_id=1) is None  # a returning guild starts afresh
    finally:
        await store.close()


async def test_integrity_check_finds_damaged_databases(tmp_path: Path) -> None:
    store = Storage(tmp_path / "data", QUIET)
    await store.open()
    for guild_id in (1, 2, 3):
        await store.execute("CREATE TABLE big (id INTEGER PRIMARY KEY, body TEXT)", guild_id=guild_id)
        rows = [(i, f"{guild_id}-{i}-" + "x" * 200) for i in range(2000)]
        await store.executemany("INSERT INTO big VALUES (?, ?)", rows, guild_id=guild_id)
    await store.close()
    damaged = store.guild_db_path(2)
    size = damaged.stat().st_size
    with damaged.open("r+b") as handle:  # three pages in the middle overwritten
        handle.seek((size // 2) // 4096 * 4096)
        handle.write(os.urandom(3 * 4096))
    store.guild_db_path(3).write_bytes(b"this is not a database" * 300)
    await store.open()
    try:
        checks = {check.path: check for check in await store.integrity_check()}
        assert next(iter(checks)) == store.main_db_path
        assert checks[store.main_db_path].ok and checks[store.guild_db_path(1)].ok
        assert not checks[damaged].ok and checks[damaged].detail
        garbage = checks[store.guild_db_path(3)]
        assert not garbage.ok and "not a database" in garbage.detail
    finally:
        await store.close()


# --- the event loop stays free -------------------------------------------------------------------


async def store_reopened_counts(tmp_path: Path) -> int:
    """How many servers' documents the workload left (read through a fresh store)."""
    store = Storage(tmp_path / "data", StorageOptions(backup_on_shutdown=False))
    await store.open()
    try:
        found = 0
        for guild_id in range(1, 301):
            found += (await store.get("load", "doc", guild_id=guild_id)) is not None
        return found
    finally:
        await store.close()


def _blocking_call(function: object) -> str | None:
    """The name of a C function that waits on the disk (SQLite, fsync, rename), else ``None``."""
    owner = getattr(function, "__self__", None)
    module = getattr(function, "__module__", None) or type(owner).__module__
    name = getattr(function, "__qualname__", None) or getattr(function, "__name__", "?")
    if module in ("sqlite3", "_sqlite3") or type(owner).__module__ in ("sqlite3", "_sqlite3"):
        return f"sqlite3 {name}"
    if function in (os.fsync, os.replace, os.fdatasync):
        return f"os.{name}"
    return None


async def test_storage_work_never_blocks_the_event_loop(tmp_path: Path) -> None:
    """Nothing that waits on the disk runs on the event loop's thread: every SQLite call, fsync and
    rename of a storage workload (documents over 300 databases, JSON files, a migration, a backup,
    an integrity check, a purge) happens on worker threads. Checked by watching the loop thread's C
    calls, not by timing it (the longest stall is printed for information)."""
    store = Storage(tmp_path / "data", StorageOptions(backup_count=2, backup_on_shutdown=False))
    await store.open()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    worst = 0.0
    on_loop: list[str] = []

    def watch(_frame: object, event: str, arg: object) -> None:
        if event == "c_call" and (found := _blocking_call(arg)) is not None:
            on_loop.append(found)

    async def ticker() -> None:
        nonlocal worst
        last = loop.time()
        while not stop.is_set():
            await asyncio.sleep(0.005)
            now = loop.time()
            worst = max(worst, now - last - 0.005)
            last = now

    async def guild_work(guild_id: int) -> None:
        await store.set("load", "doc", {"blob": "y" * 5000, "id": guild_id}, guild_id=guild_id)
        await store.increment("load", "n", guild_id=guild_id, user_id=guild_id)
        await store.items("load", guild_id=guild_id)

    async def json_work() -> None:
        document = {"rows": [{"i": i, "text": "z" * 100} for i in range(1000)]}
        for index in range(20):
            await store.json.write(tmp_path / "json" / f"{index % 4}.json", document)
            await store.json.read(tmp_path / "json" / f"{index % 4}.json", use_cache=False)

    tick = asyncio.create_task(ticker())
    sys.setprofile(watch)  # this thread only: the loop's
    try:
        started = time.perf_counter()
        await asyncio.gather(*(guild_work(guild_id) for guild_id in range(1, 301)), json_work())
        await store.migrate("load", ["CREATE TABLE t (x)", "INSERT INTO t VALUES (1)"])
        await store.backup()
        await store.integrity_check()
        await store.purge_user(5)
        busy = time.perf_counter() - started
    finally:
        sys.setprofile(None)
        stop.set()
        await tick
        await store.close()
    print(f"storage workload {busy:.2f} s; longest event loop stall {worst * 1000:.1f} ms")
    assert await store_reopened_counts(tmp_path) == 300, "the workload did not reach every database"
    assert on_loop == [], f"blocking calls on the event loop's thread: {sorted(set(on_loop))}"
