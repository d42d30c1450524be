"""zoryx-backup: versioned, checksummed snapshots of a Discord server and a selective restore.

The engine is :class:`~zoryx_backup.service.BackupService`; the commands and the ``backup``
dashboard (:class:`BackupCog`) and the automatic backup scheduler (:class:`AutoBackups`) are
built on it. Other code (other plugins) reaches a bot's service with :func:`backup_service`::

    service = backup_service(bot)
    record = await service.create(guild, "before the reorganisation", author_id=ctx.author.id)
    plan = await service.preview(guild, record.id, RestoreOptions.of(["roles", "channels"]))
    report = await service.restore(guild, record.id, user_id=ctx.author.id, progress=show_progress)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from zoryx_core import HealthResult, PluginContext, Setting, ZoryxBot, hookimpl
from zoryx_core.lazy_exports import lazy_exports

from .cog import COG_NAME, BackupCog
from .scheduler import AutoBackups
from .service import BackupService, find_backup_service
from .settings import SETTINGS, BackupSettings

# What starting the plugin needs is imported above; the rest of the public API (the snapshot codec,
# the planner, the diff, the dashboard, ...) is imported when first used.
_LAZY = {
    ".audit_trail": ["AUDIT_KEEP", "AuditAction", "AuditEntry"],
    ".codec": [
        "SCHEMA_PATH",
        "SCHEMA_VERSION",
        "SUPPORTED_SCHEMA_VERSIONS",
        "snapshot_from_json",
        "snapshot_to_json",
    ],
    ".dashboard": ["TABS", "BackupDashboard"],
    ".diffing": [
        "FieldChange",
        "ItemChange",
        "MemberRoleChange",
        "MembersDiff",
        "SectionDiff",
        "SnapshotDiff",
        "diff",
    ],
    ".errors": [
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
    ],
    ".models": [
        "ChannelData",
        "EmojiData",
        "GuildSettingsData",
        "ImageData",
        "MembersSection",
        "OverwriteData",
        "RoleData",
        "Snapshot",
        "SnapshotCounts",
        "StickerData",
    ],
    ".options": ["ALL_COMPONENTS", "Component", "ProgressCallback", "RestoreOptions"],
    ".planner": ["Action", "PlannedItem", "RestorePlan"],
    ".records": ["BackupRecord", "BackupStats"],
    ".report": ["DiscordFailure", "ItemResult", "Outcome", "RestoreReport"],
    ".restore_flow": ["ProgressMessage", "RestoreSetup"],
    ".scheduler": ["SchedulerRun"],
    ".schedules": ["MAX_INTERVAL_HOURS", "MIN_INTERVAL_HOURS", "Schedule"],
    ".service": [
        "MAX_LABEL_LENGTH",
        "MAX_NOTE_LENGTH",
        "ConsistencyReport",
        "RestoreStatus",
        "VerifyResult",
        "backup_service",
    ],
}

if TYPE_CHECKING:
    from .audit_trail import AUDIT_KEEP, AuditAction, AuditEntry
    from .codec import (
        SCHEMA_PATH,
        SCHEMA_VERSION,
        SUPPORTED_SCHEMA_VERSIONS,
        snapshot_from_json,
        snapshot_to_json,
    )
    from .dashboard import TABS, BackupDashboard
    from .diffing import (
        FieldChange,
        ItemChange,
        MemberRoleChange,
        MembersDiff,
        SectionDiff,
        SnapshotDiff,
        diff,
    )
    from .errors import (
        BackupError,
        BackupFileMissing,
        BackupLimitReached,
        BackupNotFound,
        BackupOnCooldown,
        BackupPinned,
        ChecksumMismatch,
        InvalidBackupInput,
        RestoreInProgress,
        SnapshotFormatError,
        UnknownSchemaVersion,
    )
    from .models import (
        ChannelData,
        EmojiData,
        GuildSettingsData,
        ImageData,
        MembersSection,
        OverwriteData,
        RoleData,
        Snapshot,
        SnapshotCounts,
        StickerData,
    )
    from .options import ALL_COMPONENTS, Component, ProgressCallback, RestoreOptions
    from .planner import Action, PlannedItem, RestorePlan
    from .records import BackupRecord, BackupStats
    from .report import DiscordFailure, ItemResult, Outcome, RestoreReport
    from .restore_flow import ProgressMessage, RestoreSetup
    from .scheduler import SchedulerRun
    from .schedules import MAX_INTERVAL_HOURS, MIN_INTERVAL_HOURS, Schedule
    from .service import (
        MAX_LABEL_LENGTH,
        MAX_NOTE_LENGTH,
        ConsistencyReport,
        RestoreStatus,
        VerifyResult,
        backup_service,
    )
else:
    __getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY)

__all__ = [
    "ALL_COMPONENTS",
    "AUDIT_KEEP",
    "COG_NAME",
    "MAX_INTERVAL_HOURS",
    "MAX_LABEL_LENGTH",
    "MAX_NOTE_LENGTH",
    "MIN_INTERVAL_HOURS",
    "SCHEMA_PATH",
    "SCHEMA_VERSION",
    "SUPPORTED_SCHEMA_VERSIONS",
    "TABS",
    "Action",
    "AuditAction",
    "AuditEntry",
    "AutoBackups",
    "BackupCog",
    "BackupDashboard",
    "BackupError",
    "BackupFileMissing",
    "BackupLimitReached",
    "BackupNotFound",
    "BackupOnCooldown",
    "BackupPinned",
    "BackupRecord",
    "BackupService",
    "BackupSettings",
    "BackupStats",
    "ChannelData",
    "ChecksumMismatch",
    "Component",
    "ConsistencyReport",
    "DiscordFailure",
    "EmojiData",
    "FieldChange",
    "GuildSettingsData",
    "ImageData",
    "InvalidBackupInput",
    "ItemChange",
    "ItemResult",
    "MemberRoleChange",
    "MembersDiff",
    "MembersSection",
    "Outcome",
    "OverwriteData",
    "PlannedItem",
    "ProgressCallback",
    "ProgressMessage",
    "RestoreInProgress",
    "RestoreOptions",
    "RestorePlan",
    "RestoreReport",
    "RestoreSetup",
    "RestoreStatus",
    "RoleData",
    "Schedule",
    "SchedulerRun",
    "SectionDiff",
    "Snapshot",
    "SnapshotCounts",
    "SnapshotDiff",
    "SnapshotFormatError",
    "StickerData",
    "UnknownSchemaVersion",
    "VerifyResult",
    "backup_service",
    "diff",
    "find_backup_service",
    "snapshot_from_json",
    "snapshot_to_json",
]


@hookimpl
def zoryx_settings() -> list[Setting]:
    return list(SETTINGS)


@hookimpl
async def zoryx_setup(bot: ZoryxBot, plugin: PluginContext) -> None:
    service = BackupService(bot, plugin, BackupSettings.from_mapping(plugin.settings))
    await service.prepare()
    service.start()
    scheduler = AutoBackups(service, service.settings.schedule_check_seconds)
    service.scheduler = scheduler
    plugin.create_task(scheduler.loop(), name="zoryx-backup:scheduler")
    await bot.add_cog(BackupCog(service))


@hookimpl
def zoryx_teardown(bot: ZoryxBot) -> None:
    service = find_backup_service(bot)
    if service is not None:
        service.stop()


@hookimpl
async def zoryx_health_check(bot: ZoryxBot) -> list[HealthResult]:
    service = find_backup_service(bot)
    return [await service.health()] if service is not None else []


@hookimpl
async def zoryx_delete_user_data(bot: ZoryxBot, user_id: int) -> None:
    service = find_backup_service(bot)
    if service is not None:
        await service.forget_user(user_id)
