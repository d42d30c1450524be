"""The bot's storage handle: a data folder and the global SQLite database, opened and closed
with the bot. All file and database work runs off the event loop (aiosqlite's thread)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import aiosqlite

__all__ = ["Storage"]

log = logging.getLogger("zoryx.storage")


class Storage:
    """``data_dir/main.db`` in WAL mode with a busy timeout; closed with a WAL checkpoint so
    the folder is consistent after a clean shutdown."""

    def __init__(self, data_dir: Path, *, busy_timeout_ms: int = 5000) -> None:
        self.data_dir = data_dir
        self.busy_timeout_ms = busy_timeout_ms
        self._db: aiosqlite.Connection | None = None

    @property
    def main_db_path(self) -> Path:
        return self.data_dir / "main.db"

    @property
    def is_open(self) -> bool:
        return self._db is not None

    @property
    def db(self) -> aiosqlite.Connection:
        """The open global database connection."""
        if self._db is None:
            raise RuntimeError("storage is not open")
        return self._db

    async def open(self) -> None:
        """Create the data folder and open the global database."""
        if self._db is not None:
            return
        await asyncio.to_thread(self.data_dir.mkdir, parents=True, exist_ok=True)
        db = await aiosqlite.connect(self.main_db_path)
        try:
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_ms)}")
            await db.execute(
                "CREATE TABLE IF NOT EXISTS zoryx_runs (started TEXT NOT NULL, stopped TEXT, clean INTEGER)"
            )
            cursor = await db.execute("INSERT INTO zoryx_runs (started) VALUES (datetime('now'))")
            self._run_id = cursor.lastrowid
            await db.commit()
        except BaseException:
            await db.close()
            raise
        self._db = db

    async def close(self) -> None:
        """Record a clean stop, checkpoint the WAL into the main file and close."""
        db, self._db = self._db, None
        if db is None:
            return
        try:
            await db.execute(
                "UPDATE zoryx_runs SET stopped = datetime('now'), clean = 1 WHERE rowid = ?", (self._run_id,)
            )
            await db.commit()
            await db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            await db.close()
        log.info("storage closed (%s)", self.main_db_path)
