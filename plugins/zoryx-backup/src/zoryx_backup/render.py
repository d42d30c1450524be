"""Embeds of the backup commands and dashboard: pure functions of the engine's records, reports
and figures (no Discord calls), so every screen is built the same way wherever it is shown."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import discord

from zoryx_core.ui import EmbedKind, info_embed, make_embed, plural, progress_bar, truncate

from .audit_trail import AuditAction, AuditEntry
from .capture import live_counts
from .diffing import SectionDiff, SnapshotDiff
from .models import SnapshotCounts
from .options import Component, RestoreOptions
from .planner import Action, RestorePlan
from .records import BackupRecord, BackupStats
from .report import Outcome, RestoreReport
from .schedules import Schedule

__all__ = [
    "AUDIT_EMOJI",
    "PER_PAGE",
    "analytics_embed",
    "audit_embed",
    "backups_embed",
    "compare_embed",
    "counts_text",
    "diff_embed",
    "global_stats_embed",
    "overview_embed",
    "page_count",
    "paged_records",
    "plan_embed",
    "progress_embed",
    "record_embed",
    "record_line",
    "report_embed",
    "report_text",
    "schedule_embed",
    "sentence",
    "size_text",
    "when",
]

PER_PAGE = 5
"""Backups or audit entries on one page of the dashboard and of ``backuplist``."""

PIN = "📌"
AUTO = "🔁"

AUDIT_EMOJI: dict[AuditAction, str] = {
    AuditAction.CREATE: "🆕",
    AuditAction.DELETE: "🗑️",
    AuditAction.PIN: PIN,
    AuditAction.UNPIN: "📍",
    AuditAction.NOTE: "📝",
    AuditAction.VERIFY: "🔐",
    AuditAction.EXPORT: "📤",
    AuditAction.RESTORE: "♻️",
    AuditAction.ROTATE: "🔃",
    AuditAction.RETENTION: "⌛",
    AuditAction.SCHEDULE: "⏰",
    AuditAction.VIEW: "👁️",
    AuditAction.DIFF: "🔍",
}

PHASE_LABELS: dict[str, str] = {
    "roles": "Roles",
    "role_positions": "Role positions",
    "emojis": "Emojis",
    "stickers": "Stickers",
    "categories": "Categories",
    "channels": "Channels",
    "channel_positions": "Channel positions",
    "server_settings": "Server settings",
    "member_roles": "Member roles",
    "bot_settings": "Bot settings",
}


def sentence(error: BaseException | str) -> str:
    """An error's message as a sentence: capitalised, ending in a full stop (never two)."""
    text = str(error).strip()
    if not text:
        return "Something went wrong."
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def when(moment: datetime, style: str = "R") -> str:
    """Discord's timestamp markup: every reader sees it in their own time zone."""
    return discord.utils.format_dt(moment, style)  # type: ignore[arg-type]


def size_text(size: int) -> str:
    """``512 B``, ``3.4 KB``, ``12.0 MB``."""
    value = float(size)
    for unit in ("B", "KB", "MB"):
        if value < 1024 or unit == "MB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"  # pragma: no cover - unreachable


def record_line(record: BackupRecord) -> str:
    """One line of a listing: id, markers, label, age, size."""
    marks = (PIN if record.pinned else "") + (AUTO if record.automatic else "")
    prefix = f"`#{record.id}` {marks + ' ' if marks else ''}"
    age, size = when(record.created_at), size_text(record.size_bytes)
    return f"{prefix}**{truncate(record.label, 60)}** · {age} · {size}"


def counts_text(record: BackupRecord) -> str:
    """What a backup holds, in one line: ``3 roles · 0 categories · ...``."""
    return counts_line(record.counts)


def counts_line(c: SnapshotCounts) -> str:
    """Counts in one line, the same words for a backup and for the server now."""
    members = _plural(c.members, "member") if c.members_included else "no member roles"
    parts = [
        _plural(c.roles, "role"),
        _plural(c.categories, "category", "categories"),
        _plural(c.channels, "channel"),
        _plural(c.emojis, "emoji"),
        _plural(c.stickers, "sticker"),
        members,
    ]
    return " · ".join(parts)


def record_embed(record: BackupRecord, *, title: str | None = None) -> discord.Embed:
    """Everything the index knows of one backup (``backupview``)."""
    kind = "automatic" if record.automatic else f"by <@{record.author_id}>"
    fields: list[tuple[str, str, bool]] = [
        ("Made", f"{when(record.created_at, 'f')} ({when(record.created_at)}), {kind}", False),
        ("Contents", counts_text(record), False),
        ("Size", size_text(record.size_bytes), True),
        ("Pinned", "yes, kept through cleanup" if record.pinned else "no", True),
        ("Schema", f"version {record.schema_version}", True),
        ("SHA-256", f"`{record.sha256}`", False),
    ]
    if record.note:
        fields.append(("Note", truncate(record.note, 1000), False))
    marks = (f" {PIN}" if record.pinned else "") + (f" {AUTO}" if record.automatic else "")
    return info_embed(title or f"Backup #{record.id}{marks}: {truncate(record.label, 80)}", fields=fields)


def backups_embed(
    records: Sequence[BackupRecord], *, page: int, pages: int, total: int, limit: int, title: str
) -> discord.Embed:
    """One page of backups, newest first."""
    if not records:
        body = "No backups yet. Make one with `backupcreate`."
    else:
        body = "\n".join(
            record_line(r) + (f"\n  ↳ {truncate(r.note, 80)}" if r.note else "") for r in records
        )
    return make_embed(
        EmbedKind.INFO,
        title,
        body,
        footer=f"{total}/{plural(limit, 'backup')} · {PIN} pinned · {AUTO} automatic · Page {page}/{pages}",
    )


def overview_embed(
    guild: discord.Guild,
    records: Sequence[BackupRecord],
    *,
    limit: int,
    cooldown_left: float,
    schedule: Schedule | None,
    running: str | None,
) -> discord.Embed:
    """The dashboard's first tab: storage used, the latest backup, the server now, the cooldown."""
    total = len(records)
    used = sum(r.size_bytes for r in records)
    latest = records[0] if records else None
    fields: list[tuple[str, str, bool]] = [
        (
            "Storage",
            f"{progress_bar(total, limit)}\n{total} of {plural(limit, 'backup')} · {size_text(used)} · "
            f"{sum(r.pinned for r in records)} pinned",
            False,
        ),
        ("Latest backup", record_line(latest) if latest else "none yet", False),
        (
            "This server now",
            counts_line(live_counts(guild)),
            False,
        ),
        (
            "Cooldown",
            f"next manual backup in {_duration(cooldown_left)}" if cooldown_left > 0 else "ready",
            True,
        ),
        (
            "Schedule",
            f"every {schedule.interval_hours} h, next {when(schedule.next_run_at)}" if schedule else "off",
            True,
        ),
    ]
    if running:
        fields.append(("Restore running", running, False))
    return make_embed(EmbedKind.MENU, f"💾 Backups of {truncate(guild.name, 80)}", fields=fields)


def _section_lines(name: str, section: SectionDiff, limit: int = 5) -> list[str]:
    lines = []
    for label, items, mark in (("added", section.added, "+"), ("removed", section.removed, "-")):
        for item in items[:limit]:
            lines.append(f"{mark} {name[:-1] if name.endswith('s') else name} **{truncate(item.name, 50)}**")
        if len(items) > limit:
            lines.append(f"{mark} … and {len(items) - limit} more {label}")
    for item in section.changed[:limit]:
        fields = ", ".join(c.field for c in item.changes)
        lines.append(f"~ **{truncate(item.name, 50)}**: {truncate(fields, 80)}")
    if len(section.changed) > limit:
        lines.append(f"~ … and {len(section.changed) - limit} more changed")
    return lines


def _diff_fields(result: SnapshotDiff) -> list[tuple[str, str, bool]]:
    fields: list[tuple[str, str, bool]] = []
    for name, section in result.sections.items():
        if section.change_count:
            header = f"{name.title()}: +{len(section.added)} -{len(section.removed)} ~{len(section.changed)}"
            fields.append((header, truncate("\n".join(_section_lines(name, section)), 1024), False))
    if result.settings:
        fields.append(("Server settings", truncate(", ".join(c.field for c in result.settings), 1024), False))
    members = result.members
    if members.compared and members.change_count:
        fields.append(
            (
                "Members",
                f"{len(members.joined)} joined · {len(members.left)} left · "
                f"roles changed for {len(members.changed)}",
                False,
            )
        )
    elif not members.compared and members.reason:
        fields.append(("Members", f"not compared: {members.reason}", False))
    if result.bot_settings:
        fields.append(("Bot settings", ", ".join(result.bot_settings), False))
    return fields


def compare_embed(record: BackupRecord | None, result: SnapshotDiff | None) -> discord.Embed:
    """Drift: what changed in the server since its latest backup."""
    if record is None or result is None:
        return info_embed("Compare", "No backup to compare with yet.")
    if result.is_empty:
        return make_embed(
            EmbedKind.SUCCESS,
            "Compare: no drift",
            f"The server matches backup `#{record.id}` ({when(record.created_at)}).",
        )
    return make_embed(
        EmbedKind.WARNING,
        f"Compare: {_plural(result.change_count, 'change')} since backup #{record.id}",
        f"Backup `#{record.id}` **{truncate(record.label, 60)}** ({when(record.created_at)}) → now.",
        fields=_diff_fields(result),
    )


def diff_embed(first: BackupRecord, second: BackupRecord, result: SnapshotDiff) -> discord.Embed:
    """``backupdiff``: what changed from the first backup to the second."""
    head = f"`#{first.id}` ({when(first.created_at)}) → `#{second.id}` ({when(second.created_at)})"
    if result.is_empty:
        return make_embed(EmbedKind.SUCCESS, "The backups are the same", head)
    title = _plural(result.change_count, "difference")
    return make_embed(EmbedKind.INFO, title, head, fields=_diff_fields(result))


def audit_embed(entries: Sequence[AuditEntry], *, page: int, pages: int) -> discord.Embed:
    if not entries:
        body = "Nothing recorded yet."
    else:
        lines = []
        for entry in entries:
            who = f"<@{entry.user_id}>" if entry.user_id else "the bot"
            target = f" `#{entry.backup_id}`" if entry.backup_id is not None else ""
            details = f": {truncate(entry.details, 90)}" if entry.details else ""
            emoji = AUDIT_EMOJI.get(entry.action, "•")
            lines.append(f"{emoji} {when(entry.at)} **{entry.action.value}**{target} by {who}{details}")
        body = "\n".join(lines)
    return make_embed(EmbedKind.INFO, "Audit log", body, footer=f"Newest first · Page {page}/{pages}")


def _top(pairs: Sequence[tuple[int, int]], mention: bool) -> str:
    if not pairs:
        return "none yet"
    return "\n".join(f"{f'<@{key}>' if mention else f'`{key}`'}: {count}" for key, count in pairs)


def _per_day(stats: BackupStats) -> str:
    if not stats.per_day:
        return "none in the last 30 days"
    peak = max(count for _, count in stats.per_day)
    rows = [
        f"`{day}` {progress_bar(count, peak, width=8, show_percent=False)} {count}"
        for day, count in stats.per_day[-10:]
    ]
    return "\n".join(rows)


def analytics_embed(stats: BackupStats) -> discord.Embed:
    """Trends of one server: how many, how often, by whom, how big."""
    average = stats.total_bytes // stats.backups if stats.backups else 0
    fields = [
        (
            "Backups",
            f"{stats.backups} kept · {stats.pinned} pinned · {stats.automatic} automatic",
            False,
        ),
        ("Size", f"{size_text(stats.total_bytes)} in all, {size_text(average)} on average", False),
        ("Member role assignments saved", str(stats.member_assignments), True),
        ("Oldest", when(stats.oldest_at) if stats.oldest_at else "-", True),
        ("Newest", when(stats.newest_at) if stats.newest_at else "-", True),
        ("Top creators", _top(stats.top_authors, mention=True), False),
        ("Made per day (last 30 days)", _per_day(stats), False),
    ]
    return make_embed(EmbedKind.INFO, "Analytics", fields=fields)


def global_stats_embed(stats: BackupStats) -> discord.Embed:
    """``backupstats``: every server's backups (bot owners)."""
    fields = [
        ("Backups", f"{stats.backups} in {plural(stats.guilds, 'server')} · {stats.pinned} pinned", False),
        ("Automatic", str(stats.automatic), True),
        ("Storage", f"{size_text(stats.total_bytes)} (largest {size_text(stats.largest_bytes)})", True),
        ("Member role assignments", str(stats.member_assignments), True),
        ("Oldest", when(stats.oldest_at) if stats.oldest_at else "-", True),
        ("Newest", when(stats.newest_at) if stats.newest_at else "-", True),
        ("Servers with the most backups", _top(stats.top_guilds, mention=False), False),
        ("Top creators", _top(stats.top_authors, mention=True), False),
        ("Made per day (last 30 days)", _per_day(stats), False),
    ]
    return make_embed(EmbedKind.INFO, "Backup statistics (every server)", fields=fields)


def schedule_embed(schedule: Schedule | None, *, default_hours: int) -> discord.Embed:
    if default_hours <= 0:
        return info_embed(
            "Automatic backups",
            "Automatic backups are turned off for this bot (`auto_backup_hours` is 0); "
            "the bot owner can turn them on.",
        )
    if schedule is None:
        return info_embed(
            "Automatic backups: off",
            f"Turn them on with `backupschedule enable [hours]` (1 to 168; default {default_hours}).",
        )
    last = when(schedule.last_run_at) if schedule.last_run_at else "not yet"
    return info_embed(
        f"Automatic backups: every {schedule.interval_hours} h",
        fields=[
            ("Next", f"{when(schedule.next_run_at, 'f')} ({when(schedule.next_run_at)})", False),
            ("Last", last, True),
            ("Set by", f"<@{schedule.set_by}>" if schedule.set_by else "-", True),
        ],
    )


def _options_text(options: RestoreOptions) -> str:
    chosen = [c.label for c in Component if c in options.components]
    sync = "on: roles members did not have at backup time are taken away" if options.role_sync else "off"
    return f"**Components:** {', '.join(chosen)}\n**Role sync:** {sync}"


def plan_embed(record: BackupRecord, plan: RestorePlan, *, armed: bool = False) -> discord.Embed:
    """The preview of a restore: per component, what would be created, changed and left alone."""
    fields: list[tuple[str, str, bool]] = []
    for component in plan.counts():
        lines = [plan.describe(component)]
        for item in plan.items_for(component)[:50]:
            if item.action in (Action.CREATE, Action.UPDATE) and len(lines) < 6:
                changed = f" ({truncate(', '.join(item.changes), 60)})" if item.changes else ""
                lines.append(
                    f"{'+' if item.action == Action.CREATE else '~'} {truncate(item.name, 50)}{changed}"
                )
        fields.append((component.label.title(), truncate("\n".join(lines), 1024), False))
    note = (
        "**Click Restore again to start.**"
        if armed
        else "Nothing has changed yet. Choose components, then click Restore twice to start."
    )
    return make_embed(
        EmbedKind.WARNING,
        f"Restore backup #{record.id}: {truncate(record.label, 60)}",
        f"Made {when(record.created_at)}.\n{_options_text(plan.options)}\n\n{note}",
        fields=fields or [("Nothing to do", "The server already matches the backup.", False)],
    )


def progress_embed(
    record: BackupRecord, phase: str, done: int, total: int, *, user_id: int, started: datetime
) -> discord.Embed:
    """The progress message a running restore keeps up to date (a channel message)."""
    label = PHASE_LABELS.get(phase, phase.replace("_", " ").title())
    return make_embed(
        EmbedKind.INFO,
        f"Restoring backup #{record.id}",
        f"Started {when(started)} by <@{user_id}>.\n**{label}**: {done}/{total}\n"
        f"{progress_bar(done, total, width=16)}",
    )


def report_embed(record: BackupRecord, report: RestoreReport) -> discord.Embed:
    """The result of a restore: counts per component and every failure with Discord's error."""
    seconds = (report.finished_at - report.started_at).total_seconds()
    failed = report.failed
    skipped = report.with_outcome(Outcome.SKIPPED)
    fields: list[tuple[str, str, bool]] = [("Summary", "\n".join(report.summary()) or "nothing to do", False)]
    if failed:
        lines = [
            f"• {i.component.label}: **{truncate(i.name, 40)}**: {i.error or i.detail}" for i in failed[:15]
        ]
        if len(failed) > 15:
            lines.append(f"… and {len(failed) - 15} more (the audit log has the counts)")
        fields.append((f"Failed ({len(failed)})", truncate("\n".join(lines), 1024), False))
    if skipped:
        lines = [f"• {i.component.label}: **{truncate(i.name, 40)}**: {i.detail}" for i in skipped[:8]]
        if len(skipped) > 8:
            lines.append(f"… and {len(skipped) - 8} more")
        fields.append((f"Skipped ({len(skipped)})", truncate("\n".join(lines), 1024), False))
    kind = EmbedKind.SUCCESS if report.ok else EmbedKind.WARNING
    title = f"Restore of backup #{record.id} {'finished' if report.ok else 'finished with failures'}"
    retries = report.retry_line()
    description = f"Took {seconds:.1f} s." + (f" {retries}." if retries else "")
    return make_embed(kind, title, description, fields=fields)


def report_text(record: BackupRecord, report: RestoreReport, guild_name: str) -> str:
    """The whole report, one line per item, for the file sent to whoever started the restore."""
    seconds = (report.finished_at - report.started_at).total_seconds()
    chosen = ", ".join(c.label for c in Component if c in report.options.components)
    lines = [
        f"Restore of backup #{record.id} ({record.label}) into {guild_name}",
        f"started {report.started_at.isoformat()}, finished {report.finished_at.isoformat()}"
        f" ({seconds:.1f} s)",
        f"components: {chosen}; role sync: {'on' if report.options.role_sync else 'off'}",
        "",
        *report.summary(),
        *([report.retry_line()] if report.retried else []),
        "",
    ]
    for item in report.items:
        detail = f": {item.detail}" if item.detail else ""
        error = f" [Discord: {item.error}]" if item.error and str(item.error) not in item.detail else ""
        ids = f" ({item.source_id} -> {item.new_id})" if item.new_id and item.source_id else ""
        retried = f" [retried {item.retries}x]" if item.retries else ""
        lines.append(
            f"{item.component.value:16} {item.outcome.value:9} {item.name}{ids}{detail}{error}{retried}"
        )
    return "\n".join(lines) + "\n"


def page_count(items: int) -> int:
    """Pages of :data:`PER_PAGE` needed for ``items`` (at least one)."""
    return max(1, -(-items // PER_PAGE))


def paged_records(
    records: Sequence[BackupRecord], *, title: str, total: int, limit: int
) -> list[discord.Embed]:
    """Every page of a listing (``backuplist``)."""
    pages = page_count(len(records))
    return [
        backups_embed(
            records[i * PER_PAGE : (i + 1) * PER_PAGE],
            page=i + 1,
            pages=pages,
            total=total,
            limit=limit,
            title=title,
        )
        for i in range(pages)
    ]


def _plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {many or word + 's'}"


def _duration(seconds: float) -> str:
    whole = max(1, round(seconds))
    minutes, rest = divmod(whole, 60)
    if minutes == 0:
        return f"{rest} s"
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"
