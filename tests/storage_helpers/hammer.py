"""A second process for the storage tests: hammers one JSON file or one guild counter.

    python hammer.py json <file> <count> <go-file>
    python hammer.py counter <data-dir> <guild-id> <count> <go-file> [<postgresql dsn> <schema>]
    python hammer.py open <data-dir> <go-file>
    python hammer.py acked <data-dir> <postgresql dsn> <schema>

``acked`` increments one PostgreSQL counter until killed, printing the number of increments
acknowledged so far after each one.

Prints "ready" once set up, waits for <go-file> to exist (so both processes start together),
then runs <count> increments and exits 0; ``open`` waits first, then opens the storage (a data
folder both processes create at the same moment) and closes it.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

from zoryx_core.storage import AtomicJsonFiles, Storage, StorageBackend, StorageOptions, create_storage


def _wait_for(go: Path) -> None:
    print("ready", flush=True)
    deadline = time.monotonic() + 60
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit("the go file never appeared")
        time.sleep(0.002)


async def hammer_json(path: Path, count: int, go: Path) -> None:
    files = AtomicJsonFiles()
    _wait_for(go)
    for _ in range(count):
        await files.update(path, lambda value: value + 1, 0)


async def hammer_counter(data_dir: Path, guild_id: int, count: int, go: Path, pg: list[str]) -> None:
    storage: StorageBackend = Storage(data_dir, StorageOptions(backup_on_shutdown=False))
    if pg:
        options = StorageOptions(backend="postgresql", pg_schema=pg[1], backup_on_shutdown=False)
        storage = create_storage(data_dir, options, dsn=pg[0])
    await storage.open()
    try:
        _wait_for(go)
        for _ in range(count):
            await storage.increment("hammer", "hits", guild_id=guild_id)
    finally:
        await storage.close()


async def open_storage(data_dir: Path, go: Path) -> None:
    _wait_for(go)
    storage = Storage(data_dir, StorageOptions(backup_on_shutdown=False))
    await storage.open()
    await storage.close()


async def acked_increments(data_dir: Path, dsn: str, schema: str) -> None:
    options = StorageOptions(backend="postgresql", pg_schema=schema, backup_on_shutdown=False)
    storage = create_storage(data_dir, options, dsn=dsn)
    await storage.open()
    print("ready", flush=True)
    acknowledged = 0
    while True:
        await storage.increment("killed", "hits", guild_id=9)
        acknowledged += 1
        print(acknowledged, flush=True)


def run_together(go: Path, *commands: list[str], timeout: float = 120) -> None:
    """Start one hammer process per argument list, release them together, wait for all to succeed."""
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, *command], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for command in commands
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline().strip()
            assert line == "ready", (
                f"hammer did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}"
            )
        go.touch()
        for proc in procs:
            _, err = proc.communicate(timeout=timeout)
            assert proc.returncode == 0, err
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def main(argv: list[str]) -> None:
    mode, *args = argv
    if mode == "json":
        asyncio.run(hammer_json(Path(args[0]), int(args[1]), Path(args[2])))
    elif mode == "counter":
        asyncio.run(hammer_counter(Path(args[0]), int(args[1]), int(args[2]), Path(args[3]), args[4:]))
    elif mode == "acked":
        asyncio.run(acked_increments(Path(args[0]), args[1], args[2]))
    elif mode == "open":
        asyncio.run(open_storage(Path(args[0]), Path(args[1])))
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
