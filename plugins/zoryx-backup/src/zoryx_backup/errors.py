"""The errors the backup engine raises; each message says what was wrong and what is allowed."""

from __future__ import annotations

from zoryx_core.ui import plural

__all__ = [
    "BackupError",
    "BackupFileMissing",
    "BackupLimitReached",
    "BackupNotFound",
    "BackupOnCooldown",
    "BackupPinned",
    "ChecksumMismatch",
    "InvalidBackupInput",
    "RestoreInProgress",
    "SnapshotFormatError",
    "UnknownSchemaVersion",
]


class BackupError(Exception):
    """Base class of every error of zoryx-backup; ``str(error)`` is meant for the user."""


class InvalidBackupInput(BackupError, ValueError):
    """An argument (label, note, interval, component name...) is not allowed."""


class BackupNotFound(BackupError, LookupError):
    """No backup with that id in that server."""

    def __init__(self, backup_id: int, guild_id: int | None = None) -> None:
        self.backup_id = backup_id
        self.guild_id = guild_id
        where = f" in server {guild_id}" if guild_id is not None else ""
        super().__init__(f"there is no backup #{backup_id}{where}")


class BackupPinned(BackupError):
    """A pinned backup cannot be deleted (unpin it first)."""

    def __init__(self, backup_id: int) -> None:
        self.backup_id = backup_id
        super().__init__(f"backup #{backup_id} is pinned; unpin it before deleting it")


class BackupLimitReached(BackupError):
    """The server already keeps the most backups allowed and none can make room."""

    def __init__(self, guild_id: int, limit: int) -> None:
        self.guild_id = guild_id
        self.limit = limit
        super().__init__(
            f"this server already keeps {plural(limit, 'backup')} (the most allowed) "
            "and none can be rotated out; "
            "delete or unpin one first"
        )


class BackupOnCooldown(BackupError):
    """The server made a manual backup less than ``cooldown_seconds`` ago."""

    def __init__(self, guild_id: int, retry_after: float, cooldown: float) -> None:
        self.guild_id = guild_id
        self.retry_after = retry_after
        self.cooldown = cooldown
        super().__init__(
            f"this server made a backup less than {_duration(cooldown)} ago; "
            f"the next one can be made in {_duration(retry_after)}"
        )


def _duration(seconds: float) -> str:
    whole = max(1, round(seconds))
    if whole < 60:
        return f"{whole} s"
    minutes, rest = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


class BackupFileMissing(BackupError):
    """The index lists a backup whose snapshot file is gone."""

    def __init__(self, backup_id: int, path: str) -> None:
        self.backup_id = backup_id
        self.path = path
        super().__init__(f"the snapshot file of backup #{backup_id} is missing ({path})")


class SnapshotFormatError(BackupError):
    """The snapshot does not follow the schema; ``where`` names the offending field."""

    def __init__(self, where: str, problem: str) -> None:
        self.where = where
        self.problem = problem
        super().__init__(f"the snapshot is not valid at {where}: {problem}")


class UnknownSchemaVersion(BackupError):
    """The snapshot was written with a schema version this engine does not read."""

    def __init__(self, found: object, supported: tuple[int, ...]) -> None:
        self.found = found
        self.supported = supported
        allowed = ", ".join(str(v) for v in supported)
        super().__init__(
            f"the snapshot has schema version {found!r}; this version of zoryx-backup reads {allowed}"
        )


class ChecksumMismatch(BackupError):
    """The snapshot's SHA-256 does not match the one recorded when it was made."""

    def __init__(self, backup_id: int | None, expected: str, actual: str) -> None:
        self.backup_id = backup_id
        self.expected = expected
        self.actual = actual
        name = f"backup #{backup_id}" if backup_id is not None else "the snapshot"
        super().__init__(
            f"{name} failed its integrity check: SHA-256 {actual[:12]}... does not match the recorded "
            f"{expected[:12]}...; it was changed or damaged after it was made and will not be used"
        )


class RestoreInProgress(BackupError):
    """Another restore is running for the server."""

    def __init__(self, guild_id: int, detail: str = "") -> None:
        self.guild_id = guild_id
        extra = f" ({detail})" if detail else ""
        super().__init__(
            f"a restore is already running in this server{extra}; "
            "wait for it to finish before starting another"
        )
