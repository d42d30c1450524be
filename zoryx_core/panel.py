"""Rich renderings for the terminal: the start-up panel and the plugin table."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .plugins.outcome import PluginOutcome, PluginStatus

if TYPE_CHECKING:
    from .bot import ZoryxBot

__all__ = ["plugin_table", "startup_panel"]

_STYLE = {
    PluginStatus.LOADED: "green",
    PluginStatus.FAILED: "red",
    PluginStatus.SKIPPED: "yellow",
    PluginStatus.UNLOADED: "dim",
    PluginStatus.AVAILABLE: "green",
}


def plugin_table(outcomes: Iterable[PluginOutcome], *, title: str | None = "Plugins") -> Table:
    """One row per plugin: name, kind, version, status, load time or reason, hooks, dependencies."""
    table = Table(title=title, box=box.SIMPLE_HEAVY, expand=False)
    table.add_column("plugin", style="bold")
    table.add_column("version")
    table.add_column("status")
    table.add_column("time / reason", overflow="fold", max_width=60)
    table.add_column("hooks", overflow="fold", max_width=40)
    table.add_column("requires", overflow="fold")
    for outcome in outcomes:
        spec = outcome.spec
        detail = f"{outcome.load_time * 1000:.0f} ms" if outcome.load_time is not None else ""
        if outcome.reason:
            detail = outcome.reason
        if outcome.last_reload_error:
            detail = f"{detail} (last reload failed: {outcome.last_reload_error})".strip()
        hooks = ", ".join(h.removeprefix("zoryx_") for h in outcome.hooks)
        requires = ", ".join(str(r) for r in spec.plugin_requirements)
        if spec.core_requirement is not None:
            requires = ", ".join(filter(None, [str(spec.core_requirement), requires]))
        name = spec.name + (f" ({spec.kind})" if spec.kind != "distribution" else "")
        status = Text(outcome.status.value, style=_STYLE[outcome.status])
        table.add_row(name, spec.version or "-", status, detail, hooks, requires or "-")
    return table


def startup_panel(bot: ZoryxBot, startup_seconds: float) -> Panel:
    """The panel shown once the bot is ready: guilds, shards, plugin outcomes, start-up time."""
    outcomes = list(bot.plugins.outcomes.values())
    shards = sorted(bot.shards)
    shard_count = bot.shard_count
    bot_name = str(bot.user)
    guilds = len(bot.guilds)
    counts = {status: sum(1 for o in outcomes if o.status is status) for status in PluginStatus}
    shard_list = ", ".join(str(s) for s in shards) or "-"
    summary = Text.assemble(
        ("guilds ", "dim"),
        (str(guilds), "bold"),
        ("   shards ", "dim"),
        (f"{shard_list} of {shard_count or '?'}", "bold"),
        ("   plugins ", "dim"),
        (f"{counts[PluginStatus.LOADED]} loaded", "green"),
        (" / ", "dim"),
        (f"{counts[PluginStatus.FAILED]} failed", "red" if counts[PluginStatus.FAILED] else "dim"),
        (" / ", "dim"),
        (f"{counts[PluginStatus.SKIPPED]} skipped", "yellow" if counts[PluginStatus.SKIPPED] else "dim"),
        ("   ready in ", "dim"),
        (f"{startup_seconds:.2f} s", "bold"),
    )
    parts: list[RenderableType] = [summary]
    if outcomes:
        parts.append(plugin_table(outcomes, title=None))
    for line in bot.command_overrides.lines():
        parts.append(Text(line, style="yellow"))
    if (sync_line := bot.command_sync.summary()) is not None:
        parts.append(Text(sync_line, style="yellow" if bot.command_sync.pending_failure else "dim"))
    return Panel(Group(*parts), title=f"[bold]{bot_name}[/] is online", border_style="cyan")
