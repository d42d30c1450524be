"""Embeds for ``hooks`` and ``hookhistory``, built with the core's UI kit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import discord

from zoryx_core.ui import EMBED_LIMITS, field_pages, plural, truncate

from .history import HookExecution, Outcome
from .registry import HookEntry
from .service import EventHooks

__all__ = [
    "HISTORY_PER_PAGE",
    "HOOK_FIELDS_PER_PAGE",
    "describe_state",
    "history_pages",
    "hooks_pages",
    "plugin_label",
]

HOOK_FIELDS_PER_PAGE = 6
HISTORY_PER_PAGE = 10
_OUTCOME_EMOJI = {Outcome.OK: "✅", Outcome.ERROR: "❌", Outcome.TIMEOUT: "⏱️", Outcome.SKIPPED: "⏭️"}


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def plugin_label(plugin: str | None) -> str:
    """``plugin `name` `` or ``no plugin``."""
    return f"plugin `{plugin}`" if plugin else "no plugin"


def describe_state(entry: HookEntry) -> str:
    """``enabled``, ``disabled (...)`` or ``tripped until HH:MM:SS UTC``."""
    if entry.disabled:
        return f"⛔ disabled (`hook enable {entry.id}`)"
    if entry.breaker.tripped and entry.breaker.until_utc is not None:
        return f"⚡ tripped until {entry.breaker.until_utc:%H:%M:%S} UTC"
    return "✅ enabled"


def _entry_text(entry: HookEntry, hooks: EventHooks) -> str:
    policy = hooks.registry.policy
    return (
        f"`{entry.id}` · priority **{entry.priority}** · `{entry.name}` · "
        f"{plugin_label(entry.plugin)}\n"
        f"{describe_state(entry)} · failures {entry.breaker.recent_failures()}/{policy.failures} "
        f"in {policy.window:g} s · {plural(entry.runs, 'run')}, {plural(entry.errors, 'error')}, "
        f"{plural(entry.timeouts, 'timeout')}, {plural(entry.skips, 'skip')}"
    )


def _fields(title: str, blocks: Iterable[str]) -> list[tuple[str, str]]:
    """``blocks`` packed into field values of at most 1024 characters, continuing under
    ``title (cont.)``."""
    limit = EMBED_LIMITS["field_value"]
    fields: list[tuple[str, str]] = []
    current = ""
    for block in blocks:
        block = truncate(block, limit)
        if current and len(current) + 1 + len(block) > limit:
            fields.append((title if not fields else f"{title} (cont.)", current))
            current = block
        else:
            current = f"{current}\n{block}" if current else block
    if current:
        fields.append((title if not fields else f"{title} (cont.)", current))
    return fields


def hooks_pages(hooks: EventHooks) -> list[discord.Embed]:
    """Every event with its callbacks in run order, the queue and the breaker policy."""
    settings = hooks.settings
    events = hooks.registry.events()
    count = sum(len(entries) for entries in events.values())
    summary = (
        f"Queue: **{hooks.queue_depth}/{settings.queue_size}** waiting · {settings.workers} workers · "
        f"{hooks.accepted} accepted · {hooks.processed} handled · **{hooks.dropped} dropped** (queue full)\n"
        f"Breaker: {plural(settings.breaker_failures, 'failure')} within {settings.breaker_window:g} s → "
        f"skipped for {settings.breaker_cooldown:g} s · callback timeout {settings.callback_timeout:g} s"
    )
    fields: list[tuple[str, str]] = []
    for event, entries in events.items():
        fields += _fields(f"{event} ({len(entries)})", (_entry_text(entry, hooks) for entry in entries))
    return field_pages(
        fields,
        title=f"Event hooks: {_count(count, 'callback')} on {_count(len(events), 'event')}",
        description=summary,
        per_page=HOOK_FIELDS_PER_PAGE,
        empty=f"{summary}\n\nNo callbacks registered. Plugins add them with "
        "`bot.register_hook(event, callback, priority=0)`.",
    )


def _execution_field(execution: HookExecution) -> tuple[str, str]:
    when = execution.started.strftime("%H:%M:%S.%f")[:-3]
    value = (
        f"{_OUTCOME_EMOJI[execution.outcome]} **{execution.outcome.value}** · `{execution.callback}` "
        f"(`{execution.hook_id}`) · {plugin_label(execution.plugin)} · {execution.duration * 1000:.1f} ms"
    )
    if execution.detail:
        value += f"\n{truncate(execution.detail, 400)}"
    return (f"{when} UTC · {execution.event}", value)


def history_pages(
    executions: Sequence[HookExecution], hooks: EventHooks, event: str | None = None
) -> list[discord.Embed]:
    """The executions given (most recent first), ten a page."""
    scope = f" of `{event}`" if event else ""
    settings = hooks.settings
    return field_pages(
        [_execution_field(execution) for execution in executions],
        title=f"Hook history: {len(executions)} most recent{scope}",
        description=(
            f"The last {settings.history_total} executions are kept, "
            f"and the last {settings.history_per_event} of each event."
        ),
        per_page=HISTORY_PER_PAGE,
        empty=f"No callback has run{scope} yet.",
    )
