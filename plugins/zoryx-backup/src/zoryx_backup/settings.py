"""The plugin's settings (``plugin_settings.zoryx-backup.*`` in ``config.json``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from zoryx_core import Setting

__all__ = ["SETTINGS", "BackupSettings"]


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "max_backups",
        25,
        "int",
        "Most backups kept per server (pinned ones included).",
        minimum=1,
        maximum=100,
    ),
    Setting(
        "cooldown_seconds",
        300,
        "int",
        "Seconds a server waits between two manual backups (bot owners are exempt).",
        minimum=0,
        maximum=86400,
    ),
    Setting(
        "auto_backup_hours",
        0,
        "int",
        "Hours between automatic backups for servers that turn their schedule on without an interval; "
        "0 turns automatic backups off everywhere.",
        minimum=0,
        maximum=168,
    ),
    Setting(
        "retention_days",
        0,
        "int",
        "Days an unpinned backup is kept before it is deleted; 0 keeps backups until rotated out.",
        minimum=0,
        maximum=3650,
    ),
    Setting(
        "member_roles",
        True,
        "bool",
        "Save member role assignments in snapshots (needs the Server Members intent).",
    ),
    Setting(
        "restore_concurrency",
        4,
        "int",
        "Requests a restore keeps in flight at once (Discord's rate limits still pace them).",
        minimum=1,
        maximum=16,
    ),
    Setting(
        "restore_retry_attempts",
        4,
        "int",
        "Tries of one restore request that fails transiently (429, 5xx, dropped connection, timeout), "
        "the first included; 1 never retries.",
        minimum=1,
        maximum=10,
    ),
    Setting(
        "restore_retry_seconds",
        60.0,
        "float",
        "Most seconds spent retrying one restore request, waits included.",
        minimum=0.0,
        maximum=600.0,
    ),
    Setting(
        "progress_interval",
        2.0,
        "float",
        "Least seconds between two progress reports of a running restore (besides phase starts and ends).",
        minimum=0.0,
        maximum=60.0,
    ),
    Setting(
        "schedule_check_seconds",
        60.0,
        "float",
        "Seconds between two checks for servers whose automatic backup is due.",
        minimum=1.0,
        maximum=3600.0,
    ),
)


@dataclass(frozen=True, slots=True)
class BackupSettings:
    max_backups: int = 25
    cooldown_seconds: int = 300
    auto_backup_hours: int = 0
    retention_days: int = 0
    member_roles: bool = True
    restore_concurrency: int = 4
    restore_retry_attempts: int = 4
    restore_retry_seconds: float = 60.0
    progress_interval: float = 2.0
    schedule_check_seconds: float = 60.0

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> BackupSettings:
        return cls(
            max_backups=int(values["max_backups"]),
            cooldown_seconds=int(values["cooldown_seconds"]),
            auto_backup_hours=int(values["auto_backup_hours"]),
            retention_days=int(values["retention_days"]),
            member_roles=bool(values["member_roles"]),
            restore_concurrency=int(values["restore_concurrency"]),
            restore_retry_attempts=int(values["restore_retry_attempts"]),
            restore_retry_seconds=float(values["restore_retry_seconds"]),
            progress_interval=float(values["progress_interval"]),
            schedule_check_seconds=float(values["schedule_check_seconds"]),
        )
