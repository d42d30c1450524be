"""Embeds for the commands: the report, the history pages and the error pages (UI kit styles)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import discord

from zoryx_core import BlockedLoop
from zoryx_core.ui import EmbedKind, field_pages, fit_embed, make_embed, plural

from .error_log import CommandErrorRecord
from .figures import DiagnosticsReport, PluginLoad
from .status import format_duration

__all__ = ["blocked_loop_pages", "error_pages", "history_pages", "report_embed", "when"]

HEALTH_MARK = {"healthy": "✅", "degraded": "⚠️", "unhealthy": "❌"}
SLOWEST_PLUGINS = 10
HISTORY_PER_PAGE = 6
ERRORS_PER_PAGE = 6
BLOCKS_PER_PAGE = 4


def when(timestamp: float) -> str:
    """``2024-06-10 14:03:07 UTC``."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


def _mib(value: int | None) -> str:
    return "n/a" if value is None else f"{value / 2**20:.1f} MiB"


def _status_line(report: DiagnosticsReport) -> str:
    if report.healthy:
        return "**Healthy**: every check is within its limits."
    return "**Degraded**\n" + "\n".join(f"• {reason}" for reason in report.reasons)


def _plugins(plugins: Sequence[PluginLoad]) -> str:
    counts: dict[str, int] = {}
    for plugin in plugins:
        counts[plugin.status] = counts.get(plugin.status, 0) + 1
    summary = ", ".join(f"{count} {status}" for status, count in sorted(counts.items())) or "none"
    timed = [p for p in plugins if p.load_time_ms is not None and p.status == "loaded"]
    lines = [summary, *(f"`{p.name}` {_ms(p.load_time_ms)}" for p in timed[:SLOWEST_PLUGINS])]
    if len(timed) > SLOWEST_PLUGINS:
        lines.append(f"… {len(timed) - SLOWEST_PLUGINS} more")
    lines += [f"❌ `{p.name}` {p.status}: {p.reason}" for p in plugins if p.status == "failed"]
    return "\n".join(lines)


def _blocked_loop_line(blocks: Sequence[BlockedLoop]) -> str:
    if not blocks:
        return "None seen."
    last = blocks[0]
    return f"{len(blocks)} kept; last {when(last.started_at)}: {last.describe()}"


def report_embed(report: DiagnosticsReport, blocked: Sequence[BlockedLoop] | None = None) -> discord.Embed:
    """One embed with the whole report (with ``blocked``, newest first, a line on the loop
    watchdog's last incident)."""
    system, bot, rates, lag, db = report.system, report.bot, report.rates, report.lag, report.database
    kind = EmbedKind.SUCCESS if report.healthy else EmbedKind.WARNING
    embed = make_embed(kind, f"Diagnostics: {report.status}", _status_line(report))
    embed.add_field(
        name="System",
        value=f"CPU {_pct(system.cpu_percent)} (machine {_pct(system.machine_cpu_percent)})\n"
        f"Memory {_mib(system.memory_rss_bytes)} RSS, {_pct(system.memory_percent)} "
        f"(machine {_pct(system.machine_memory_percent)})\n"
        f"Threads {system.threads if system.threads is not None else 'n/a'}",
    )
    embed.add_field(
        name="Platform",
        value=f"Python {system.python_version} ({system.python_implementation})\n"
        f"{system.platform} {system.architecture}\n"
        f"discord.py {system.discord_py_version}, Zoryx {system.zoryx_version}",
    )
    embed.add_field(
        name="Bot",
        value=f"Uptime {format_duration(round(bot.uptime_seconds))}\n"
        f"Guilds {bot.guilds}, channels {bot.channels}\n"
        f"Members {bot.members}, users cached {bot.cached_users}\n"
        f"Shards {bot.shards}",
    )
    embed.add_field(
        name="Commands",
        value=f"Registered: {bot.prefix_commands} text, {bot.slash_commands} slash, "
        f"{plural(bot.context_menus, 'context menu')}\n"
        f"Run since start: {bot.commands_run}, errors {bot.command_errors}\n"
        f"Messages seen: {bot.messages_seen}",
    )
    counts_from = f"counts from {plural(rates.min_commands, 'command')}"
    embed.add_field(
        name=f"Rates (last {format_duration(rates.window_seconds)})",
        value=f"Commands {rates.completed + rates.failures + rates.user_errors} "
        f"({rates.per_minute:.1f}/min)\n"
        f"Failures {rates.failures}, user errors {rates.user_errors}\n"
        f"Error rate {rates.error_rate:.1%} of {rates.counted} "
        f"(threshold {rates.threshold:.1%}, {counts_from})",
    )
    worst = f" at {when(lag.worst_at)}" if lag.worst_at is not None else ""
    embed.add_field(
        name="Event-loop lag",
        value=f"Now {_ms(lag.current_ms)}, max {_ms(lag.recent_max_ms)} in the last "
        f"{format_duration(lag.window_seconds)}\n"
        f"Worst {_ms(lag.worst_ms)}{worst}\n"
        f"Threshold {lag.threshold_ms:g} ms, sampled every {format_duration(lag.interval_seconds)}",
    )
    if blocked is not None:
        embed.add_field(name="Blocked event loop", value=_blocked_loop_line(blocked), inline=False)
    shards = report.latency.shards
    per_shard = (
        "\n".join(f"Shard {s.shard_id}: {_ms(s.latency_ms)}" for s in shards) if len(shards) > 1 else ""
    )
    embed.add_field(
        name="Gateway latency",
        value=f"{_ms(report.latency.average_ms)} average" + (f"\n{per_shard}" if per_shard else ""),
    )
    embed.add_field(name="Plugins and load times", value=_plugins(report.plugins), inline=False)
    pool = db.pool
    embed.add_field(
        name="Database",
        value=f"{'✅' if db.ok else '❌'} {db.detail} ({_ms(db.check_ms)})\n"
        f"Pool {pool.get('open', 0):.0f}/{pool.get('max_open', 0):.0f} open, "
        f"{pool.get('busy', 0):.0f} busy, {pool.get('waits', 0):.0f} waits\n"
        f"Guild databases on disk: {db.guild_databases if db.guild_databases is not None else 'n/a'}\n"
        f"JSON cache {plural(int(db.json_cache.get('cache_entries', 0)), 'file')}, "
        f"{db.json_cache.get('hit_rate', 0.0):.0%} hits",
        inline=False,
    )
    ordered = sorted(report.health, key=lambda h: (h.status == "healthy", h.plugin or "", h.name))
    health = "\n".join(
        f"{HEALTH_MARK.get(h.status, '❔')} `{h.plugin or '?'}` {h.name}"
        + (f": {h.detail}" if h.detail else "")
        for h in ordered
    )
    embed.add_field(name="Health checks", value=health or "No plugin reports a health check.", inline=False)
    embed.set_footer(text=f"Report of {when(report.generated_at)}")
    return fit_embed(embed)


def history_pages(reports: Sequence[DiagnosticsReport], every: float) -> list[discord.Embed]:
    """Past reports, newest first, a few per page."""
    items = []
    for report in reversed(reports):
        rates, lag = report.rates, report.lag
        summary = (
            f"Error rate {rates.error_rate:.1%} of {rates.counted} • lag max {_ms(lag.recent_max_ms)} • "
            f"CPU {_pct(report.system.cpu_percent)} • {_mib(report.system.memory_rss_bytes)}"
        )
        reasons = "".join(f"\n• {reason}" for reason in report.reasons[:3])
        mark = "✅" if report.healthy else "⚠️"
        items.append((f"{mark} {when(report.generated_at)}: {report.status}", summary + reasons))
    return field_pages(
        items,
        title="Diagnostics history",
        description=f"{len(reports)} reports, newest first; one every {format_duration(every)}.",
        per_page=HISTORY_PER_PAGE,
        empty="No report yet: the first is written one interval after start.",
    )


def error_pages(errors: Sequence[CommandErrorRecord], total: int) -> list[discord.Embed]:
    """The recent command errors, newest first, a few per page."""
    items = [
        (
            f"{'⚠️' if e.user_error else '❌'} {e.command}: {e.error_type}",
            f"{e.message or '(no message)'}\n{when(e.at)} • {e.kind} • "
            f"{'user error' if e.user_error else 'failure'} • user {e.user_id}",
        )
        for e in errors
    ]
    return field_pages(
        items,
        title="Recent command errors",
        description=f"{len(errors)} kept of {total} since start, newest first.",
        per_page=ERRORS_PER_PAGE,
        kind=EmbedKind.WARNING if errors else EmbedKind.INFO,
        empty="No command has failed since the plugin started.",
    )


def blocked_loop_pages(blocks: Sequence[BlockedLoop], threshold: float) -> list[discord.Embed]:
    """The watchdog's last incidents, newest first: when, how long, whose code, where, and the
    innermost lines of the loop thread's stack."""
    items = []
    for block in blocks:
        owner = f"plugin `{block.plugin}`" if block.plugin else "no plugin's code"
        length = "still blocked" if block.duration is None else f"{block.duration:.1f} s"
        tail = "\n".join(block.stack.rstrip().splitlines()[-4:])
        items.append(
            (
                f"⏸️ {when(block.started_at)}: {length}",
                f"In {owner} at `{block.location}`\n```\n{tail[-700:]}\n```",
            )
        )
    if threshold > 0:
        description = (
            f"{len(blocks)} kept, newest first; the watchdog reports blocks of {threshold:g} s or more."
        )
    else:
        description = "The watchdog is off (watchdog.blocked_loop_seconds = 0)."
    return field_pages(
        items,
        title="Blocked event loop",
        description=description,
        per_page=BLOCKS_PER_PAGE,
        kind=EmbedKind.WARNING if blocks else EmbedKind.INFO,
        empty="The event loop has not been blocked since start.",
    )
