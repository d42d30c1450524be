"""A process for the crash test: on the PostgreSQL store, stores backups (snapshot file, then the
index row, as the service does) and increments a counter, printing each acknowledgement, until it
is killed.

    python killed_writer.py <data dir> <postgresql dsn> <schema> <guild id>
"""

from __future__ import annotations

import asyncio
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

from zoryx_backup.migrations import MIGRATIONS
from zoryx_backup.models import SnapshotCounts
from zoryx_backup.records import NewRecord, insert_record
from zoryx_backup.stored_files import StoredSnapshots

from zoryx_core.storage import StorageOptions, create_storage


async def main(data_dir: Path, dsn: str, schema: str, guild_id: int) -> None:
    options = StorageOptions(backend="postgresql", pg_schema=schema, backup_on_shutdown=False)
    storage = create_storage(data_dir, options, dsn=dsn)
    await storage.open()
    await storage.migrate("zoryx-backup", MIGRATIONS)
    files = StoredSnapshots(storage)
    print("ready", flush=True)
    counts = SnapshotCounts(1, 0, 1, 0, 0, 1, True)
    number = 0
    while True:
        number += 1
        await storage.increment("crash", "hits", guild_id=guild_id)
        print(f"inc {number}", flush=True)
        created = time.time()
        document: dict[str, Any] = {"number": number, "filler": "x" * 2000, "at": created}
        relative = files.new_relative_path(guild_id, created)
        written = await files.write(relative, document)
        new = NewRecord(guild_id, "Crash", f"#{number}", 1, False, created, relative, written.size,
                        written.sha256, 1, counts)  # fmt: skip
        store = partial(insert_record, new=new, max_backups=100_000, retention_days=0, now_ts=created)
        outcome = await storage.transaction(store)
        print(f"backup {outcome.record.id}", flush=True)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])))
