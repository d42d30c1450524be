"""The backup engine's API: :class:`BackupService`, one per bot, reached with :func:`backup_service`.

Every change to a server's backups (create, delete, pin, note, retention, rotation, schedule)
happens under that server's lock in this process *and* inside one ``BEGIN IMMEDIATE`` transaction
of the main database, which also writes the audit entry; so neither tasks of this process nor
other processes sharing the data folder can interleave them. Snapshot files are written before
their index row and deleted after theirs; :meth:`BackupService.reconcile` removes files a crash
left without a row.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import sqlite3
import sys
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, TypeVar

import discord

from zoryx_core import HealthResult
from zoryx_core.ui import plural

from .audit_trail import AuditAction, AuditEntry, add_entry, read_entries
from .errors import (
    BackupError,
    BackupFileMissing,
    BackupLimitReached,
    BackupNotFound,
    BackupOnCooldown,
    ChecksumMismatch,
    InvalidBackupInput,
    RestoreInProgress,
    SnapshotFormatError,
)
from .files import SnapshotFiles
from .leases import (
    RestoreLease,
    StaleLease,
    acquire_lease,
    new_holder,
    release_lease,
    remove_stale_leases,
    renew_lease,
)
from .migrations import MIGRATIONS
from .options import Component, ProgressCallback, RestoreOptions
from .records import (
    BackupRecord,
    BackupStats,
    NewRecord,
    count_records,
    delete_record,
    expire_records,
    get_record,
    has_room,
    insert_record,
    list_records,
    read_stats,
    set_note,
    set_pinned,
)
from .schedules import (
    MAX_INTERVAL_HOURS,
    MIN_INTERVAL_HOURS,
    Schedule,
    clear_schedule,
    due_schedules,
    mark_run,
    read_schedule,
    write_schedule,
)
from .settings import BackupSettings
from .stored_files import StoredSnapshots

if TYPE_CHECKING:
    from zoryx_core import PluginContext, ZoryxBot

    from .diffing import SnapshotDiff
    from .models import Snapshot
    from .planner import RestorePlan
    from .report import RestoreReport
    from .scheduler import AutoBackups

__all__ = [
    "MAX_LABEL_LENGTH",
    "MAX_NOTE_LENGTH",
    "BackupService",
    "ConsistencyReport",
    "RestoreStatus",
    "VerifyResult",
    "backup_service",
    "find_backup_service",
]

log = logging.getLogger("zoryx.plugin.zoryx-backup")

T = TypeVar("T")

MAX_LABEL_LENGTH = 100
MAX_NOTE_LENGTH = 500
RETENTION_INTERVAL = 3600.0
ORPHAN_MIN_AGE = 600.0
LEASE_RENEW_SECONDS = 60.0

try:
    _VERSION = version("zoryx-backup")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    _VERSION = "0.0.0"

_services: weakref.WeakKeyDictionary[discord.Client, BackupService] = weakref.WeakKeyDictionary()


def _registry() -> weakref.WeakKeyDictionary[discord.Client, BackupService]:
    # After a reload of zoryx-backup this module is a new object: look the registry up in the
    # current one, so functions imported before the reload keep finding the service.
    module = sys.modules.get(__name__)
    registry: weakref.WeakKeyDictionary[discord.Client, BackupService] = getattr(
        module, "_services", _services
    )
    return registry


def find_backup_service(bot: discord.Client) -> BackupService | None:
    """The bot's backup service, or ``None`` when zoryx-backup is not loaded in it."""
    return _registry().get(bot)


def backup_service(bot: discord.Client) -> BackupService:
    """The bot's backup service; ``LookupError`` when zoryx-backup is not loaded in it.
    Safe to keep a reference to this function across reloads of the plugin."""
    service = find_backup_service(bot)
    if service is None:
        raise LookupError("zoryx-backup is not loaded in this bot")
    return service


@dataclass(frozen=True, slots=True)
class VerifyResult:
    backup_id: int
    ok: bool
    expected_sha256: str
    """The SHA-256 recorded in the index when the backup was made."""
    actual_sha256: str | None
    """The SHA-256 of the file now (``None`` when it could not be read)."""
    size_bytes: int
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class ConsistencyReport:
    records: int
    files: int
    orphan_files: tuple[str, ...]
    """Snapshot files no index row points at."""
    missing_files: tuple[int, ...]
    """Ids of backups whose file is gone."""

    @property
    def consistent(self) -> bool:
        return not self.orphan_files and not self.missing_files


@dataclass(slots=True)
class RestoreStatus:
    """A running restore, for "a restore is already running" answers and status displays."""

    guild_id: int
    backup_id: int
    user_id: int
    started_at: datetime
    phase: str = "starting"
    done: int = 0
    total: int = 0
    task: asyncio.Task[RestoreReport] | None = field(default=None, repr=False)


def _reseal(conn: sqlite3.Connection, *, backup_id: int, sha256: str, size: int) -> None:
    """A snapshot lost one member's roles (a data deletion request): its new checksum and size."""
    if getattr(conn, "dialect", "sqlite") == "postgresql":
        counts = (
            "CAST(jsonb_set(CAST(counts AS jsonb), '{members}',"
            " to_jsonb(CAST(CAST(counts AS jsonb) ->> 'members' AS BIGINT) - 1)) AS TEXT)"
        )
    else:
        counts = "json_set(counts, '$.members', json_extract(counts, '$.members') - 1)"
    conn.execute(
        f"UPDATE zoryx_backup_records SET sha256 = ?, size_bytes = ?, counts = {counts} WHERE id = ?",
        (sha256, size, backup_id),
    )


class BackupService:
    """Backups of every server of one bot: snapshots, the index, verify, diff, drift, restore,
    retention, schedules, the audit trail and statistics."""

    def __init__(self, bot: ZoryxBot, plugin: PluginContext, settings: BackupSettings) -> None:
        self.bot = bot
        self.plugin = plugin
        self.settings = settings
        shared = bot.storage.dialect == "postgresql"  # snapshots go where every machine sees them
        self.files: SnapshotFiles | StoredSnapshots = (
            StoredSnapshots(bot.storage) if shared else SnapshotFiles(plugin.data_dir)
        )
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()
        self._restoring: dict[int, RestoreStatus] = {}
        self._holder = new_holder(secrets.token_hex(6))
        self.last_reports: dict[int, RestoreReport] = {}
        """The latest restore report of each server (this process, since start)."""
        self.scheduler: AutoBackups | None = None
        """The automatic backup scheduler, once the plugin has started it."""

    @property
    def generator(self) -> str:
        return f"zoryx-backup {_VERSION}"

    # --- life cycle --------------------------------------------------------------------------------

    async def prepare(self) -> None:
        """Create or migrate the tables and remove files a crash left behind."""
        await self.plugin.storage.migrate(MIGRATIONS)
        if isinstance(self.files, StoredSnapshots):  # moved to PostgreSQL: bring local files along
            moved = await self.files.import_files(SnapshotFiles(self.plugin.data_dir))
            if moved:
                log.info("moved %d snapshot files from this data folder into the store", moved)
        for lease in await self._clear_stale_leases():
            log.warning(
                "the restore of backup #%s in server %s did not finish: its process stopped",
                lease.backup_id,
                lease.guild_id,
            )
        report = await self.reconcile()
        if report.missing_files:
            log.warning(
                "backups whose snapshot file is missing: %s", ", ".join(map(str, report.missing_files))
            )

    async def _clear_stale_leases(self) -> list[StaleLease]:
        """Drop leases of restores that cannot be running any more, each noted in its server's
        audit trail as interrupted."""

        def clear(conn: sqlite3.Connection) -> list[StaleLease]:
            now = time.time()
            stale = remove_stale_leases(conn, now)
            for lease in stale:
                started = datetime.fromtimestamp(lease.started_ts, UTC).isoformat(timespec="seconds")
                add_entry(
                    conn,
                    guild_id=lease.guild_id,
                    action=AuditAction.RESTORE,
                    user_id=lease.user_id,
                    backup_id=lease.backup_id,
                    details=f"interrupted: the bot stopped during the restore started {started}",
                    at_ts=now,
                )
            return stale

        return await self._read(clear)

    def start(self) -> None:
        """Register the service for :func:`backup_service` and start the retention loop."""
        _services[self.bot] = self
        self.plugin.create_task(self._retention_loop(), name="zoryx-backup:retention")

    def stop(self) -> None:
        if _services.get(self.bot) is self:
            del _services[self.bot]

    async def _retention_loop(self) -> None:
        while True:
            try:
                await self.apply_retention()
            except Exception:
                log.exception("retention cleanup failed")
            await asyncio.sleep(RETENTION_INTERVAL)

    # --- helpers -----------------------------------------------------------------------------------

    def _lock(self, guild_id: int) -> asyncio.Lock:
        lock = self._locks.get(guild_id)
        if lock is None:
            lock = self._locks[guild_id] = asyncio.Lock()
        return lock

    async def _write(self, guild_id: int, fn: Callable[[sqlite3.Connection], T]) -> T:
        """``fn`` in one transaction of the main database, under the server's lock."""
        async with self._lock(guild_id):
            return await self.bot.storage.transaction(fn)

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return await self.bot.storage.transaction(fn)

    @staticmethod
    def _clean_label(label: str | None, automatic: bool) -> str:
        text = " ".join((label or "").split())
        if not text:
            return "Automatic backup" if automatic else "Manual backup"
        if len(text) > MAX_LABEL_LENGTH:
            raise InvalidBackupInput(
                f"a label has at most {MAX_LABEL_LENGTH} characters, this one has {len(text)}"
            )
        return text

    # --- creating ----------------------------------------------------------------------------------

    async def capture(self, guild: discord.Guild, *, images: bool = True) -> Snapshot:
        """A snapshot of ``guild`` now, not stored (``images=False`` downloads no image)."""
        from .capture import ImageFetcher, capture_guild

        fetcher = ImageFetcher(self.bot.http) if images else None
        return await capture_guild(
            self.bot,
            guild,
            images=fetcher,
            generator=self.generator,
            include_members=self.settings.member_roles,
        )

    async def create(
        self,
        guild: discord.Guild,
        label: str | None,
        author_id: int,
        *,
        automatic: bool = False,
        enforce_cooldown: bool = False,
    ) -> BackupRecord:
        """Snapshot ``guild`` and store it; returns the new record.

        At the limit (``max_backups``) the oldest unpinned backup is rotated out (a manual backup
        only rotates automatic ones); :class:`BackupLimitReached` when none can go. With
        ``enforce_cooldown`` a manual backup made less than ``cooldown_seconds`` after the
        server's previous manual one is refused with :class:`BackupOnCooldown`, decided in the
        transaction that stores it (so of two racing backups one is refused).
        """
        clean = self._clean_label(label, automatic)
        limit = self.settings.max_backups
        cooldown = float(self.settings.cooldown_seconds) if enforce_cooldown and not automatic else 0.0
        if cooldown:
            remaining = await self.cooldown_remaining(guild.id)
            if remaining > 0:
                raise BackupOnCooldown(guild.id, remaining, cooldown)
        if not await self._read(
            lambda conn: has_room(conn, guild.id, max_backups=limit, automatic=automatic)
        ):
            raise BackupLimitReached(guild.id, limit)
        snapshot = await self.capture(guild)
        from .codec import snapshot_to_json

        document = await asyncio.to_thread(snapshot_to_json, snapshot)
        created_ts = snapshot.created_at.timestamp()
        relative = self.files.new_relative_path(guild.id, created_ts)
        written = await self.files.write(relative, document)
        new = NewRecord(
            guild_id=guild.id,
            guild_name=guild.name,
            label=clean,
            author_id=author_id,
            automatic=automatic,
            created_ts=created_ts,
            file=relative,
            size_bytes=written.size,
            sha256=written.sha256,
            schema_version=snapshot.schema_version,
            counts=snapshot.counts(),
        )
        settings = self.settings
        try:
            outcome = await self._write(
                guild.id,
                lambda conn: insert_record(
                    conn,
                    new,
                    max_backups=settings.max_backups,
                    retention_days=settings.retention_days,
                    now_ts=time.time(),
                    cooldown_seconds=cooldown,
                ),
            )
        except BaseException:
            await asyncio.shield(self.files.delete([relative]))
            raise
        await self.files.delete([r.file for r in outcome.removed])
        log.info(
            "backup #%s of %s (%s) made: %s bytes, %s",
            outcome.record.id,
            guild.name,
            guild.id,
            written.size,
            "automatic" if automatic else f"by {author_id}",
        )
        return outcome.record

    # --- reading the index -------------------------------------------------------------------------

    async def list_backups(
        self, guild_id: int, *, limit: int | None = None, offset: int = 0
    ) -> list[BackupRecord]:
        """The server's backups, newest first."""
        return await self._read(lambda conn: list_records(conn, guild_id, limit, offset))

    async def list_all_backups(self, *, limit: int | None = None, offset: int = 0) -> list[BackupRecord]:
        """Every server's backups, newest first (bot owner tools)."""
        return await self._read(lambda conn: list_records(conn, None, limit, offset))

    async def count(self, guild_id: int) -> int:
        return await self._read(lambda conn: count_records(conn, guild_id))

    async def get(self, guild_id: int, backup_id: int) -> BackupRecord:
        """The server's backup ``backup_id``; :class:`BackupNotFound` otherwise."""
        record = await self._read(lambda conn: get_record(conn, backup_id, guild_id))
        if record is None:
            raise BackupNotFound(backup_id, guild_id)
        return record

    async def find(self, backup_id: int) -> BackupRecord:
        """Backup ``backup_id`` of any server (bot owner tools); :class:`BackupNotFound` otherwise."""
        record = await self._read(lambda conn: get_record(conn, backup_id))
        if record is None:
            raise BackupNotFound(backup_id)
        return record

    async def last_created(self, guild_id: int, *, automatic: bool = False) -> datetime | None:
        """When the server's latest manual (or automatic) backup was made; survives restarts."""
        row = await self._read(
            lambda conn: conn.execute(
                "SELECT MAX(created_ts) FROM zoryx_backup_records WHERE guild_id = ? AND automatic = ?",
                (guild_id, int(automatic)),
            ).fetchone()
        )
        return datetime.fromtimestamp(row[0], UTC) if row is not None and row[0] is not None else None

    async def cooldown_remaining(self, guild_id: int, *, now: datetime | None = None) -> float:
        """Seconds before the server may make another manual backup (``cooldown_seconds``), from the
        index, so the cooldown survives restarts and is shared by every process."""
        last = await self.last_created(guild_id)
        if last is None:
            return 0.0
        elapsed = ((now or datetime.now(UTC)) - last).total_seconds()
        return max(0.0, self.settings.cooldown_seconds - elapsed)

    async def stats(self, guild_id: int | None = None) -> BackupStats:
        """Figures for one server, or for every server (``None``)."""
        return await self._read(lambda conn: read_stats(conn, guild_id, time.time()))

    # --- changing the index ------------------------------------------------------------------------

    async def delete(self, guild_id: int, backup_id: int, user_id: int) -> BackupRecord:
        """Delete a backup and its file; :class:`BackupPinned` when it is pinned."""
        record = await self._write(
            guild_id, lambda conn: delete_record(conn, guild_id, backup_id, user_id, time.time())
        )
        await self.files.delete([record.file])
        return record

    async def pin(self, guild_id: int, backup_id: int, user_id: int) -> BackupRecord:
        """Protect a backup from deletion, rotation and retention."""
        return await self._write(
            guild_id, lambda conn: set_pinned(conn, guild_id, backup_id, user_id, True, time.time())
        )

    async def unpin(self, guild_id: int, backup_id: int, user_id: int) -> BackupRecord:
        return await self._write(
            guild_id, lambda conn: set_pinned(conn, guild_id, backup_id, user_id, False, time.time())
        )

    async def note(self, guild_id: int, backup_id: int, user_id: int, text: str | None) -> BackupRecord:
        """Set (or with ``None`` / blank text, remove) a backup's note (at most 500 characters)."""
        clean = " ".join((text or "").split()) or None
        if clean is not None and len(clean) > MAX_NOTE_LENGTH:
            raise InvalidBackupInput(
                f"a note has at most {MAX_NOTE_LENGTH} characters, this one has {len(clean)}"
            )
        return await self._write(
            guild_id, lambda conn: set_note(conn, guild_id, backup_id, user_id, clean, time.time())
        )

    async def apply_retention(self, guild_id: int | None = None) -> list[BackupRecord]:
        """Delete unpinned backups older than ``retention_days`` (every server when ``None``)."""
        days = self.settings.retention_days
        if days <= 0:
            return []
        if guild_id is not None:
            guild_ids = [guild_id]
        else:
            rows = await self._read(
                lambda conn: conn.execute("SELECT DISTINCT guild_id FROM zoryx_backup_records").fetchall()
            )
            guild_ids = [row[0] for row in rows]
        removed: list[BackupRecord] = []
        for gid in guild_ids:
            expire = partial(expire_records, guild_id=gid, retention_days=days, now_ts=time.time())
            removed += await self._write(gid, expire)
        await self.files.delete([r.file for r in removed])
        return removed

    # --- audit -------------------------------------------------------------------------------------

    async def record_audit(
        self,
        guild_id: int,
        action: AuditAction,
        user_id: int | None,
        *,
        backup_id: int | None = None,
        details: str = "",
    ) -> None:
        """Add an entry to the server's audit trail (the front end records views and diffs)."""
        await self._write(
            guild_id,
            lambda conn: add_entry(
                conn,
                guild_id=guild_id,
                action=action,
                user_id=user_id,
                backup_id=backup_id,
                details=details,
                at_ts=time.time(),
            ),
        )

    async def audit_log(self, guild_id: int, *, limit: int = 200, offset: int = 0) -> list[AuditEntry]:
        """The server's audit trail, newest first (200 entries are kept)."""
        return await self._read(lambda conn: read_entries(conn, guild_id, limit, offset))

    # --- files: verify, load, export ---------------------------------------------------------------

    async def verify(self, guild_id: int, backup_id: int, user_id: int | None) -> VerifyResult:
        """Recompute the snapshot's SHA-256 (in a worker thread) and compare it with the index."""
        record = await self.get(guild_id, backup_id)
        result = await self._check(record)
        details = "ok" if result.ok else f"FAILED: {result.problem}"
        await self.record_audit(guild_id, AuditAction.VERIFY, user_id, backup_id=backup_id, details=details)
        return result

    async def _check(self, record: BackupRecord) -> VerifyResult:
        expected = record.sha256
        try:
            found = await self.files.read(record.file)
        except FileNotFoundError:
            return VerifyResult(
                record.id, False, expected, None, 0, f"the snapshot file is missing ({record.file})"
            )
        except SnapshotFormatError as exc:
            return VerifyResult(record.id, False, expected, None, 0, str(exc))
        problem = None
        if found.computed_sha256 != expected:
            problem = str(ChecksumMismatch(record.id, expected, found.computed_sha256))
        elif found.recorded_sha256 not in (None, expected):
            problem = "the checksum written in the file does not match the index"
        else:
            from .codec import check_schema_version

            try:
                check_schema_version(found.document)
            except BackupError as exc:
                problem = str(exc)
        return VerifyResult(record.id, problem is None, expected, found.computed_sha256, found.size, problem)

    async def load(self, guild_id: int, backup_id: int) -> Snapshot:
        """The verified snapshot of a backup: :class:`ChecksumMismatch` when the file changed since it
        was made, :class:`UnknownSchemaVersion` or :class:`SnapshotFormatError` when it cannot be read."""
        return await self._load(await self.get(guild_id, backup_id))

    async def _load(self, record: BackupRecord) -> Snapshot:
        try:
            found = await self.files.read(record.file)
        except FileNotFoundError:
            raise BackupFileMissing(record.id, record.file) from None
        if found.computed_sha256 != record.sha256:
            raise ChecksumMismatch(record.id, record.sha256, found.computed_sha256)
        from .codec import snapshot_from_json

        return await asyncio.to_thread(snapshot_from_json, found.document)

    async def export(self, guild_id: int, backup_id: int, user_id: int) -> bytes:
        """The snapshot file's bytes (canonical JSON with its checksum), after verifying it.

        It holds member ids: send it privately (a DM), never in a channel.
        """
        record = await self.get(guild_id, backup_id)
        data = await self.files.read_bytes(record.file)
        result = await self._check(record)
        if not result.ok:
            raise ChecksumMismatch(record.id, record.sha256, result.actual_sha256 or "none")
        await self.record_audit(
            guild_id, AuditAction.EXPORT, user_id, backup_id=backup_id, details=f"{len(data)} bytes"
        )
        return data

    # --- compare -----------------------------------------------------------------------------------

    async def diff_backups(self, guild_id: int, first_id: int, second_id: int) -> SnapshotDiff:
        """What changed from backup ``first_id`` to backup ``second_id``."""
        from .diffing import diff

        first = await self.load(guild_id, first_id)
        second = await self.load(guild_id, second_id)
        return await asyncio.to_thread(diff, first, second)

    async def drift(self, guild: discord.Guild, snapshot: Snapshot) -> SnapshotDiff:
        """What differs between ``snapshot`` and ``guild`` now (snapshot -> now)."""
        from .capture import capture_guild
        from .diffing import diff

        live = await capture_guild(
            self.bot,
            guild,
            images=None,
            generator="live",
            include_members=snapshot.members.included and self.settings.member_roles,
        )
        return await asyncio.to_thread(diff, snapshot, live)

    # --- restore -----------------------------------------------------------------------------------

    def running_restore(self, guild_id: int) -> RestoreStatus | None:
        """The restore running in this server from this process, if any."""
        return self._restoring.get(guild_id)

    async def preview(
        self, guild: discord.Guild, backup_id: int, options: RestoreOptions | None = None
    ) -> RestorePlan:
        """The dry run: what a restore with ``options`` would create, change and leave alone."""
        from .planner import preview
        from .restore import read_guild_state

        options = options or RestoreOptions()
        snapshot = await self.load(guild.id, backup_id)
        state = await read_guild_state(self.bot, guild, members=Component.MEMBER_ROLES in options.components)
        return await preview(snapshot, state, options, backup_id)

    async def start_restore(
        self,
        guild: discord.Guild,
        backup_id: int,
        options: RestoreOptions | None = None,
        *,
        user_id: int,
        progress: ProgressCallback | None = None,
    ) -> asyncio.Task[RestoreReport]:
        """Check and start a restore; returns the task running it (owned by the plugin, so it
        outlives the command or interaction that started it).

        Raises at once, before anything changes: :class:`RestoreInProgress` when the server
        already has one running (here or in another process), :class:`ChecksumMismatch`,
        :class:`UnknownSchemaVersion`, :class:`BackupNotFound`.
        """
        options = options or RestoreOptions()
        running = self._restoring.get(guild.id)
        if running is not None:
            raise RestoreInProgress(
                guild.id, f"backup #{running.backup_id}, {running.phase} {running.done}/{running.total}"
            )
        status = RestoreStatus(guild.id, backup_id, user_id, datetime.now(UTC))
        self._restoring[guild.id] = status
        lease = RestoreLease(guild.id, self._holder, backup_id, user_id)
        try:
            record = await self.get(guild.id, backup_id)
            snapshot = await self._load(record)
            await self._write(guild.id, lambda conn: acquire_lease(conn, lease, time.time()))
        except BaseException:
            del self._restoring[guild.id]
            raise
        task = self.plugin.create_task(
            self._run_restore(guild, snapshot, options, status, lease, progress),
            name=f"zoryx-backup:restore:{guild.id}",
        )
        status.task = task
        return task

    async def restore(
        self,
        guild: discord.Guild,
        backup_id: int,
        options: RestoreOptions | None = None,
        *,
        user_id: int,
        progress: ProgressCallback | None = None,
    ) -> RestoreReport:
        """:meth:`start_restore` and wait for the report (cancelling the wait leaves it running)."""
        task = await self.start_restore(guild, backup_id, options, user_id=user_id, progress=progress)
        return await asyncio.shield(task)

    async def _run_restore(
        self,
        guild: discord.Guild,
        snapshot: Snapshot,
        options: RestoreOptions,
        status: RestoreStatus,
        lease: RestoreLease,
        progress: ProgressCallback | None,
    ) -> RestoreReport:
        from .restore import RestoreRunner, read_guild_state
        from .retry import RetryPolicy

        renewed = time.monotonic()

        async def renew() -> None:
            nonlocal renewed
            renewed = time.monotonic()
            await self._read(lambda conn: renew_lease(conn, lease, time.time()))

        async def track(phase: str, done: int, total: int) -> None:
            status.phase, status.done, status.total = phase, done, total
            if time.monotonic() - renewed > LEASE_RENEW_SECONDS:  # a long phase (thousands of members)
                await renew()
            if progress is not None:
                await progress(phase, done, total)

        try:
            state = await read_guild_state(
                self.bot, guild, members=Component.MEMBER_ROLES in options.components
            )
            runner = RestoreRunner(
                self.bot,
                guild,
                snapshot,
                status.backup_id,
                options,
                state,
                progress=track,
                progress_interval=self.settings.progress_interval,
                concurrency=self.settings.restore_concurrency,
                between_phases=renew,
                retry=RetryPolicy(
                    attempts=self.settings.restore_retry_attempts,
                    total_seconds=self.settings.restore_retry_seconds,
                ),
            )
            report = await runner.run()
        except Exception as exc:
            await self.record_audit(
                guild.id,
                AuditAction.RESTORE,
                status.user_id,
                backup_id=status.backup_id,
                details=f"stopped by an error: {type(exc).__name__}: {exc}",
            )
            raise
        finally:
            del self._restoring[guild.id]
            try:
                await self._read(lambda conn: release_lease(conn, lease))
            except Exception:
                log.exception("could not release the restore lease of server %s", guild.id)
        self.last_reports[guild.id] = report
        await self.record_audit(
            guild.id,
            AuditAction.RESTORE,
            status.user_id,
            backup_id=status.backup_id,
            details="; ".join([*report.summary(), *([report.retry_line()] if report.retried else [])])
            or "nothing to do",
        )
        return report

    # --- schedules ---------------------------------------------------------------------------------

    async def get_schedule(self, guild_id: int) -> Schedule | None:
        return await self._read(lambda conn: read_schedule(conn, guild_id))

    async def set_schedule(self, guild_id: int, hours: int | None, user_id: int) -> Schedule:
        """Turn the server's automatic backups on every ``hours`` (1-168; ``None``: the
        ``auto_backup_hours`` setting). Refused while ``auto_backup_hours`` is 0 (off)."""
        if self.settings.auto_backup_hours <= 0:
            raise InvalidBackupInput(
                "automatic backups are turned off for this bot (auto_backup_hours is 0); "
                "the bot owner can turn them on"
            )
        interval = self.settings.auto_backup_hours if hours is None else hours
        if isinstance(interval, bool) or not MIN_INTERVAL_HOURS <= interval <= MAX_INTERVAL_HOURS:
            raise InvalidBackupInput(
                f"the interval must be {MIN_INTERVAL_HOURS} to {MAX_INTERVAL_HOURS} hours, got {interval}"
            )

        def write(conn: sqlite3.Connection) -> Schedule:
            now = time.time()
            schedule = write_schedule(conn, guild_id, interval, user_id, now)
            add_entry(
                conn,
                guild_id=guild_id,
                action=AuditAction.SCHEDULE,
                user_id=user_id,
                backup_id=None,
                details=f"every {interval} h",
                at_ts=now,
            )
            return schedule

        return await self._write(guild_id, write)

    async def clear_schedule(self, guild_id: int, user_id: int) -> bool:
        """Turn the server's automatic backups off; False when they were not on."""

        def write(conn: sqlite3.Connection) -> bool:
            removed = clear_schedule(conn, guild_id)
            if removed:
                add_entry(
                    conn,
                    guild_id=guild_id,
                    action=AuditAction.SCHEDULE,
                    user_id=user_id,
                    backup_id=None,
                    details="off",
                    at_ts=time.time(),
                )
            return removed

        return await self._write(guild_id, write)

    async def due_schedules(self, now: datetime | None = None) -> list[Schedule]:
        """Schedules whose next run is due (none while ``auto_backup_hours`` is 0)."""
        if self.settings.auto_backup_hours <= 0:
            return []
        moment = (now or datetime.now(UTC)).timestamp()
        return await self._read(lambda conn: due_schedules(conn, moment))

    async def mark_schedule_run(self, guild_id: int, at: datetime | None = None) -> Schedule | None:
        """Record that the scheduler ran the server's backup at ``at``; the next run is one interval on."""
        moment = (at or datetime.now(UTC)).timestamp()
        return await self._write(guild_id, lambda conn: mark_run(conn, guild_id, moment))

    # --- consistency -------------------------------------------------------------------------------

    async def consistency(self) -> ConsistencyReport:
        """Compare the index with the files on disk."""
        return await self._consistency(remove_orphans_older_than=None)

    async def reconcile(self, *, min_age_seconds: float = ORPHAN_MIN_AGE) -> ConsistencyReport:
        """Delete snapshot files that no index row names and that are older than ``min_age_seconds``
        (younger ones may belong to a backup being made by another process); returns what was seen."""
        return await self._consistency(remove_orphans_older_than=min_age_seconds)

    async def _consistency(self, remove_orphans_older_than: float | None) -> ConsistencyReport:
        on_disk = await self.files.listing()
        rows = await self._read(
            lambda conn: conn.execute("SELECT id, file FROM zoryx_backup_records").fetchall()
        )
        indexed = {row["file"]: row["id"] for row in rows}
        orphans = sorted(set(on_disk) - set(indexed))
        missing = tuple(sorted(indexed[f] for f in set(indexed) - set(on_disk)))
        if remove_orphans_older_than is not None:
            cutoff = time.time() - remove_orphans_older_than
            old = [f for f in orphans if on_disk[f] < cutoff]
            if old:
                await self.files.delete(old)
                log.info("removed %d snapshot files that no backup refers to", len(old))
        return ConsistencyReport(len(rows), len(on_disk), tuple(orphans), missing)

    async def health(self) -> HealthResult:
        """``degraded`` when backups have lost their snapshot file (``zoryx_health_check``)."""
        report = await self.consistency()
        if report.missing_files:
            ids = ", ".join(f"#{i}" for i in report.missing_files[:10])
            detail = (
                f"{len(report.missing_files)} of {plural(report.records, 'backup')} "
                f"lost their snapshot file: {ids}"
            )
            return HealthResult("backup files", "degraded", detail)
        extra = (
            f"; {plural(len(report.orphan_files), 'file')} without a backup" if report.orphan_files else ""
        )
        return HealthResult(
            "backup files", "healthy", f"{plural(report.records, 'backup')}, every file present{extra}"
        )

    # --- privacy -----------------------------------------------------------------------------------

    async def forget_user(self, user_id: int) -> int:
        """Remove ``user_id``'s member roles from every snapshot (re-sealed with a new checksum) and
        their id from the audit trail and the index; returns how many snapshots changed."""
        records = await self.list_all_backups()
        changed = 0
        for record in records:
            async with self._lock(record.guild_id):
                try:
                    found = await self.files.read(record.file)
                except (FileNotFoundError, SnapshotFormatError):
                    continue
                if found.computed_sha256 != record.sha256:
                    continue  # a damaged snapshot is left as evidence; it cannot be restored anyway
                document = found.document
                members = document.get("members")
                assignments = members.get("assignments") if isinstance(members, dict) else None
                if not isinstance(assignments, dict) or str(user_id) not in assignments:
                    continue
                del assignments[str(user_id)]
                written = await self.files.write(record.file, document)
                await self.bot.storage.transaction(
                    partial(_reseal, backup_id=record.id, sha256=written.sha256, size=written.size)
                )
                changed += 1
        await self.bot.storage.transaction(
            lambda conn: (
                conn.execute("UPDATE zoryx_backup_audit SET user_id = 0 WHERE user_id = ?", (user_id,)),
                conn.execute("UPDATE zoryx_backup_records SET author_id = 0 WHERE author_id = ?", (user_id,)),
                conn.execute("UPDATE zoryx_backup_schedules SET set_by = 0 WHERE set_by = ?", (user_id,)),
            )
        )
        return changed
