"""Document operations per second on the SQLite and the PostgreSQL backend, in the same run.

For each backend: ``set`` (a small JSON document), ``get`` and ``increment`` on server-scoped
documents spread over ``--guilds`` servers, ``--ops`` operations per row from 1 and ``--tasks``
concurrent asyncio tasks, after the servers were warmed (so database/schema creation is not
counted). SQLite: a temporary data folder, default options (pool of 64 connections on 4 worker
threads). PostgreSQL: ``--dsn`` (else ``ZORYX_DATABASE_URL``, else 127.0.0.1:5432), a schema of
the run's own, dropped afterwards; pool of ``storage.pg_pool_size`` (10) connections.

    python bench/storage_backends.py
    python bench/storage_backends.py --ops 5000 --tasks 16 --guilds 50 --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from zoryx_core.storage import StorageBackend, StorageOptions, create_storage

NS = "bench"


@dataclass
class Row:
    backend: str
    operation: str
    ops: int
    tasks: int
    ops_per_s: float
    ms_per_op: float


async def _drive(total: int, tasks: int, op: Callable[[int], Awaitable[object]]) -> float:
    pending = iter(range(total))

    async def worker() -> None:
        for index in pending:
            await op(index)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(tasks)))
    return time.perf_counter() - started


def _operations(store: StorageBackend, guilds: int) -> dict[str, Callable[[int], Awaitable[object]]]:
    async def put(i: int) -> None:
        await store.set(NS, f"k{i % 100}", {"n": i, "s": "x" * 40}, guild_id=i % guilds + 1)

    async def get(i: int) -> object:
        return await store.get(NS, f"k{i % 100}", guild_id=i % guilds + 1)

    async def increment(i: int) -> object:
        return await store.increment(NS, "counter", guild_id=i % guilds + 1)

    return {"set": put, "get": get, "increment": increment}


async def _bench(store: StorageBackend, label: str, ops: int, tasks: int, guilds: int) -> list[Row]:
    rows = []
    await store.open()
    try:
        for guild_id in range(1, guilds + 1):
            await store.set(NS, "k0", 0, guild_id=guild_id)
        for name, op in _operations(store, guilds).items():
            for task_count in sorted({1, tasks}):
                elapsed = await _drive(ops, task_count, op)
                rows.append(
                    Row(label, name, ops, task_count, ops / elapsed, elapsed * 1000 * task_count / ops)
                )
    finally:
        await store.close()
    return rows


async def _drop_schema(dsn: str, schema: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


async def run(ops: int, tasks: int, guilds: int, dsn: str) -> list[Row]:
    quiet = StorageOptions(backup_on_shutdown=False)
    with tempfile.TemporaryDirectory(prefix="zoryx-bench-backends-") as folder:
        rows = await _bench(create_storage(Path(folder), quiet), "sqlite", ops, tasks, guilds)
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        options = StorageOptions(backend="postgresql", pg_schema=schema, backup_on_shutdown=False)
        try:
            rows += await _bench(
                create_storage(Path(folder), options, dsn=dsn), "postgresql", ops, tasks, guilds
            )
        finally:
            await _drop_schema(dsn, schema)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ops", type=int, default=3000, help="operations per row (default 3000)")
    parser.add_argument("--tasks", type=int, default=16, help="concurrent tasks besides 1 (default 16)")
    parser.add_argument(
        "--guilds", type=int, default=50, help="servers the documents spread over (default 50)"
    )
    parser.add_argument(
        "--dsn", default=None, help="PostgreSQL URL (default ZORYX_DATABASE_URL or the local one)"
    )
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    dsn = args.dsn or os.environ.get("ZORYX_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
    rows = asyncio.run(run(args.ops, args.tasks, args.guilds, dsn))
    if args.json:
        print(json.dumps([asdict(row) for row in rows], indent=2))
        return 0
    print(f"Python {sys.version.split()[0]}; {args.guilds} servers, {args.ops} operations per row")
    header = f"{'backend':<12}{'op':<11}{'tasks':>6}{'ops/s':>10}{'ms/op':>9}"
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row.backend:<12}{row.operation:<11}{row.tasks:>6}{row.ops_per_s:>10.0f}{row.ms_per_op:>9.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
