"""The upkeep half of the :class:`~zoryx_core.storage.Storage` façade: backups, guilds the bot
left, erasing a user's data, integrity checks and figures."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any

from . import backups, documents, lifecycle
from .base import GUILD_DB_NAME, StorageBase
from .documents import check_id
from .lifecycle import DatabaseCheck

__all__ = ["StorageUpkeep"]

log = logging.getLogger("zoryx.storage")


class StorageUpkeep(StorageBase):
    """Backups, departed guilds, ``purge_user``, ``integrity_check`` and ``stats``."""

    # --- backups ---------------------------------------------------------------------------------

    async def backup(self, *, guild_ids: Iterable[int] | None = None) -> Path:
        """One backup set, ``backups/<UTC timestamp>/`` with ``main.db`` and ``guilds/<id>.db`` (every
        guild database on disk when ``guild_ids`` is None), made with SQLite's online backup API
        while writers keep going; then the oldest sets beyond ``backup_count`` are deleted.
        Returns the set's folder."""
        self._require_open()
        return await self._make_backup(guild_ids)

    def backup_sets(self) -> list[Path]:
        """Complete backup sets, oldest first (lists a folder: blocking)."""
        return backups.backup_sets(self.backups_dir)

    async def _make_backup(self, guild_ids: Iterable[int] | None) -> Path:
        keep = self.options.backup_count
        if keep <= 0:
            raise RuntimeError("backups are turned off (backup_count is 0)")
        ids = [check_id(g, "guild_id") for g in guild_ids] if guild_ids is not None else None
        started = time.perf_counter()
        staging = await self.pool.call(backups.start_set, self.backups_dir)
        try:
            await self._run(None, partial(_copy_to, target=staging / "main.db"))
            if ids is None:
                ids = await self.pool.call(self.guild_ids_on_disk)

            async def one(guild_id: int) -> int:
                target = staging / "guilds" / f"{guild_id}.db"
                try:
                    await self._run(guild_id, partial(_copy_to, target=target), create=False, prepare=False)
                except FileNotFoundError:
                    return 0
                return 1

            copied = sum(await self._for_each(ids, one))
            final = await self.pool.call(backups.finish_set, staging)
        except BaseException:
            await self.pool.call(backups.remove_partial, staging)
            raise
        pruned = await self.pool.call(backups.prune, self.backups_dir, keep)
        log.info(
            "backup %s: main.db and %d guild databases in %.2f s; %d old sets removed",
            final.name, copied, time.perf_counter() - started, len(pruned),
        )  # fmt: skip
        return final

    # --- guilds the bot left ---------------------------------------------------------------------

    async def guild_departed(self, guild_id: int) -> None:
        """Note that the bot left ``guild_id``; its data is deleted after the grace period."""
        self._require_open()
        guild = check_id(guild_id, "guild_id")
        await self._run(None, partial(lifecycle.mark_departed, guild_id=guild, now=time.time()))

    async def guild_returned(self, guild_id: int) -> None:
        """The bot is back in ``guild_id``: keep its data."""
        self._require_open()
        guild = check_id(guild_id, "guild_id")
        await self._run(None, partial(lifecycle.mark_returned, guild_id=guild))

    async def cleanup_departed(self, *, now: float | None = None) -> list[int]:
        """Delete the data of guilds left longer than the grace period ago: close the pooled
        connection, delete ``guilds/<id>/``, forget the record. Returns their ids."""
        self._require_open()
        cutoff = (time.time() if now is None else now) - self.options.departed_grace_seconds
        due = await self._run(None, partial(lifecycle.departed_before, cutoff=cutoff))
        cleaned = []
        for guild_id in due:
            if not await self._run(None, partial(lifecycle.still_departed, guild_id=guild_id, cutoff=cutoff)):
                continue
            path = self.guild_db_path(guild_id)
            await self.pool.close_path(path)
            try:
                await self.pool.call(lifecycle.remove_folder, path.parent)
            except OSError:
                log.exception("could not delete the data of departed guild %d; will retry", guild_id)
                continue
            self._prepared.pop(str(path), None)
            await self._run(None, partial(lifecycle.mark_returned, guild_id=guild_id))
            cleaned.append(guild_id)
        if cleaned:
            log.info("deleted the data of %d guilds left more than the grace period ago", len(cleaned))
        return cleaned

    async def guild_ids(self) -> list[int]:
        """Guilds with a database in ``data_dir/guilds``."""
        return await self.pool.call(self.guild_ids_on_disk)

    def guild_ids_on_disk(self) -> list[int]:
        """Guilds with a database in ``data_dir/guilds`` (lists a folder: blocking)."""
        return lifecycle.guild_ids_on_disk(self.guilds_dir, GUILD_DB_NAME)

    # --- users -----------------------------------------------------------------------------------

    async def purge_user(self, user_id: int) -> int:
        """Delete every user- and member-scoped document of ``user_id`` (all namespaces, main.db
        and every guild database on disk); returns the number of documents removed."""
        self._require_open()
        user = check_id(user_id, "user_id")
        removed = await self._run(None, partial(documents.purge_owner, scope_name="user", owner_id=user))

        async def one(guild_id: int) -> int:
            try:
                job = partial(documents.purge_owner, scope_name="member", owner_id=user)
                return await self._run(guild_id, job, create=False)
            except FileNotFoundError:
                return 0

        removed += sum(await self._for_each(await self.pool.call(self.guild_ids_on_disk), one))
        log.info("purged %d documents of user %d", removed, user)
        return removed

    # --- checks and figures ----------------------------------------------------------------------

    async def integrity_check(self) -> list[DatabaseCheck]:
        """``PRAGMA quick_check`` on main.db and every guild database on disk, each on a freshly
        opened connection. Never raises: a failure is reported as ``ok=False`` with SQLite's message."""
        self._require_open()

        async def one(guild_id: int | None) -> DatabaseCheck:
            path = self.main_db_path if guild_id is None else self.guild_db_path(guild_id)
            try:
                result = await self._run(
                    guild_id, lifecycle.quick_check, create=False, fresh=True, prepare=False
                )
            except Exception as exc:
                return lifecycle.describe_check(path, exc)
            return lifecycle.describe_check(path, result)

        try:
            ids: list[int | None] = [None, *await self.pool.call(self.guild_ids_on_disk)]
        except OSError as exc:
            return [lifecycle.describe_check(self.guilds_dir, exc)]
        checks = await self._for_each(ids, one)
        bad = [check for check in checks if not check.ok]
        for check in bad:
            log.error("integrity check failed for %s: %s", check.path, check.detail)
        return sorted(checks, key=lambda check: (check.path != self.main_db_path, str(check.path)))

    async def close_idle(self, idle_seconds: float) -> int:
        """Close pooled connections unused for ``idle_seconds``; returns how many."""
        return await self.pool.close_idle(idle_seconds)

    async def describe(self) -> dict[str, Any]:
        """Backend, data folder, database sizes and pool figures (for ``zoryx storage info``)."""
        return await self.pool.call(self._describe)

    def _describe(self) -> dict[str, Any]:
        ids = self.guild_ids_on_disk()
        guild_bytes = sum(_file_size(self.guild_db_path(guild_id)) for guild_id in ids)
        return {
            "backend": "sqlite",
            "location": str(self.data_dir),
            "main_db_bytes": _file_size(self.main_db_path),
            "guild_databases": len(ids),
            "guild_db_bytes": guild_bytes,
            "backup_sets": len(self.backup_sets()),
            "pool": self.pool.stats(),
        }

    def stats(self) -> dict[str, Any]:
        """Pool and JSON cache figures, guild databases on disk, backup sets (lists folders: blocking)."""
        return {
            "backend": "sqlite",
            "open": self.is_open,
            "pool": self.pool.stats(),
            "json": self.json.stats(),
            "guild_dbs_on_disk": len(self.guild_ids_on_disk()),
            "backup_sets": len(self.backup_sets()),
        }


def _file_size(path: Path) -> int:
    """Bytes of a database with its write-ahead log (0 when missing)."""
    total = 0
    for candidate in (path, path.with_name(path.name + "-wal")):
        with contextlib.suppress(FileNotFoundError):
            total += candidate.stat().st_size
    return total


def _copy_to(conn: sqlite3.Connection, *, target: Path) -> None:
    backups.copy_database(conn, target)
