"""Guild key/value reads and writes per second through :class:`zoryx_core.storage.Storage`.

A real ``Storage`` in a temporary folder (default options: pool of 64 connections on 4 worker
threads, WAL, ``synchronous=NORMAL``; no backup on close). Each scenario runs ``--ops``
operations from ``--tasks`` asyncio tasks sharing one queue of work, after its guild databases
were created and warmed (so database creation is not counted, except in the "new guilds" row):

- 1 guild: every operation on the same guild database (one connection, serialized on it);
- 50 guilds: spread over 50 guilds, all of whose connections stay open in the pool;
- 500 guilds: spread over 500 guilds with the pool of 64, so most operations first close the
  least recently used connection and open another (LRU churn);
- new guilds: a ``set`` on a guild never seen before: creates the folder and the database.

Operations: ``set`` (a small JSON document), ``get``, ``increment``. Figures are wall-clock
operations per second and the mean wall time per operation seen by one task.

    python bench/storage_ops.py
    python bench/storage_ops.py --ops 20000 --tasks 32 --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from zoryx_core.storage import Storage, StorageOptions

NS = "bench"


@dataclass
class Row:
    scenario: str
    operation: str
    ops: int
    tasks: int
    ops_per_s: float
    ms_per_op: float
    connections_opened: int


async def _drive(
    store: Storage, total: int, tasks: int, op: Callable[[int], Awaitable[object]]
) -> tuple[float, int]:
    pending = iter(range(total))
    opened = store.pool.opened_total

    async def worker() -> None:
        for index in pending:
            await op(index)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(tasks)))
    return time.perf_counter() - started, store.pool.opened_total - opened


async def run(ops: int, tasks: int) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="zoryx-bench-storage-") as folder:
        store = Storage(Path(folder), StorageOptions(backup_on_shutdown=False))
        await store.open()
        try:
            for guilds, label in ((1, "1 guild"), (50, "50 guilds"), (500, "500 guilds, pool 64")):
                for guild_id in range(1, guilds + 1):  # create and warm the databases
                    await store.set(NS, "k0", 0, guild_id=guild_id)
                operations = _operations(store, guilds)
                for name, op in operations.items():
                    for task_count in sorted({1, tasks}):
                        elapsed, opened = await _drive(store, ops, task_count, op)
                        rows.append(_row(label, name, ops, task_count, elapsed, opened))
            fresh = min(ops, 2000)
            elapsed, opened = await _drive(
                store, fresh, tasks, lambda i: store.set(NS, "k", i, guild_id=1_000_000 + i)
            )
            rows.append(_row("new guilds", "set", fresh, tasks, elapsed, opened))
        finally:
            await store.close()
    return rows


def _operations(store: Storage, guilds: int) -> dict[str, Callable[[int], Awaitable[object]]]:
    """The timed operations; operation ``i`` goes to guild ``i % guilds + 1``, key ``i % 100``."""

    async def put(i: int) -> None:
        await store.set(NS, f"k{i % 100}", {"n": i, "s": "x" * 40}, guild_id=i % guilds + 1)

    async def get(i: int) -> object:
        return await store.get(NS, f"k{i % 100}", guild_id=i % guilds + 1)

    async def increment(i: int) -> object:
        return await store.increment(NS, "counter", guild_id=i % guilds + 1)

    return {"set": put, "get": get, "increment": increment}


def _row(scenario: str, operation: str, ops: int, tasks: int, elapsed: float, opened: int) -> Row:
    return Row(scenario, operation, ops, tasks, ops / elapsed, elapsed * 1000 * tasks / ops, opened)


def _print_table(rows: list[Row]) -> None:
    header = f"{'scenario':<22}{'op':<11}{'tasks':>6}{'ops':>8}{'ops/s':>10}{'ms/op':>9}{'opened':>8}"
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row.scenario:<22}{row.operation:<11}{row.tasks:>6}{row.ops:>8}"
            f"{row.ops_per_s:>10.0f}{row.ms_per_op:>9.3f}{row.connections_opened:>8}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ops", type=int, default=5000, help="operations per row (default 5000)")
    parser.add_argument("--tasks", type=int, default=16, help="concurrent tasks besides 1 (default 16)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    rows = asyncio.run(run(args.ops, args.tasks))
    if args.json:
        print(json.dumps([asdict(row) for row in rows], indent=2))
    else:
        print(f"Python {sys.version.split()[0]}; pool of 64 connections on 4 worker threads")
        _print_table(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
