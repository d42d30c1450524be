"""Snapshot files kept in the bot's store instead of the data folder: on PostgreSQL, so that every
machine sharing the store lists, verifies and restores the same backups. The same interface and the
same bytes as :class:`~zoryx_backup.files.SnapshotFiles`; each write is one upsert (whole or not at
all)."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from .files import SnapshotFile, SnapshotFiles, WrittenFile, envelope_bytes, parse_envelope

if TYPE_CHECKING:
    from typing import Any

    from zoryx_core.storage import StorageBackend

__all__ = ["StoredSnapshots"]


class StoredSnapshots:
    """Snapshot files as rows of ``zoryx_backup_files`` (PostgreSQL dialect)."""

    new_relative_path = staticmethod(SnapshotFiles.new_relative_path)

    def __init__(self, storage: StorageBackend) -> None:
        self.storage = storage

    async def write(self, relative_path: str, document: dict[str, Any]) -> WrittenFile:
        data, sha = await asyncio.to_thread(envelope_bytes, document)
        await self.storage.execute(
            "INSERT INTO zoryx_backup_files (file, data, written_ts) VALUES ($1, $2, $3)"
            " ON CONFLICT (file) DO UPDATE SET data = excluded.data, written_ts = excluded.written_ts",
            (relative_path, data, time.time()),
        )
        return WrittenFile(relative_path, sha, len(data))

    async def read(self, relative_path: str) -> SnapshotFile:
        return await asyncio.to_thread(parse_envelope, await self.read_bytes(relative_path))

    async def read_bytes(self, relative_path: str) -> bytes:
        row = await self.storage.fetchone(
            "SELECT data FROM zoryx_backup_files WHERE file = $1", (relative_path,)
        )
        if row is None:
            raise FileNotFoundError(f"no snapshot {relative_path} in the store")
        return bytes(row[0])

    async def delete(self, relative_paths: list[str]) -> int:
        if not relative_paths:
            return 0
        return await self.storage.execute(
            "DELETE FROM zoryx_backup_files WHERE file = ANY($1::text[])", (list(relative_paths),)
        )

    async def import_files(self, local: SnapshotFiles) -> int:
        """Copy snapshot files of a data folder that the index names and the store lacks (a bot
        moved from SQLite with ``zoryx storage migrate``); the local files are left as they are."""
        on_disk = await local.listing()
        if not on_disk:
            return 0
        rows = await self.storage.fetchall(
            "SELECT r.file FROM zoryx_backup_records r LEFT JOIN zoryx_backup_files f ON f.file = r.file"
            " WHERE f.file IS NULL"
        )
        wanted = [str(row[0]) for row in rows if str(row[0]) in on_disk]
        for relative_path in wanted:
            data = await local.read_bytes(relative_path)
            await self.storage.execute(
                "INSERT INTO zoryx_backup_files (file, data, written_ts) VALUES ($1, $2, $3)"
                " ON CONFLICT (file) DO NOTHING",
                (relative_path, data, on_disk[relative_path]),
            )
        return len(wanted)

    async def listing(self) -> dict[str, float]:
        rows = await self.storage.fetchall("SELECT file, written_ts FROM zoryx_backup_files")
        return {str(row[0]): float(row[1]) for row in rows}
