"""Embeds of the shard monitor: overview, health, latency, events and one shard in detail."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import discord

from zoryx_core.ui import EmbedKind, make_embed, plural, progress_bar, truncate

from .alerts import AlertConfig
from .health import Tier, Verdict
from .metrics import ShardMetrics
from .settings import MonitorSettings

__all__ = ["details_embed", "events_embed", "health_embed", "latency_embed", "overview_embed"]


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def _when(moment: float | None) -> str:
    if moment is None:
        return "never"
    return discord.utils.format_dt(datetime.fromtimestamp(moment, UTC), "R")


def _kind(tier: Tier) -> EmbedKind:
    return {Tier.HEALTHY: EmbedKind.SUCCESS, Tier.WARNING: EmbedKind.WARNING, Tier.CRITICAL: EmbedKind.ERROR}[
        tier
    ]


def overview_embed(
    shards: list[ShardMetrics], verdicts: list[Verdict], config: AlertConfig, guilds: dict[int, int]
) -> discord.Embed:
    """Every shard in one line, the totals, and where alerts go."""
    by_id = {v.shard_id: v for v in verdicts}
    lines = []
    for metrics in shards:
        verdict = by_id[metrics.shard_id]
        stats = metrics.latency_stats()
        lines.append(
            f"{verdict.tier.emoji} **Shard {metrics.shard_id}** · {_ms(stats.last)} · "
            f"{plural(guilds.get(metrics.shard_id, 0), 'server')} · up {metrics.uptime_percent():.1f}%"
        )
    counts = {tier: sum(v.tier is tier for v in verdicts) for tier in Tier}
    messages = sum(m.counters["messages"] for m in shards)
    commands = sum(m.counters["commands"] for m in shards)
    alerts = f"<#{config.channel_id}> after {config.threshold} failed samples" if config.channel_id else "off"
    return make_embed(
        EmbedKind.MENU,
        f"📊 Shard monitor: {len(shards)} shard{'s' if len(shards) != 1 else ''}",
        "\n".join(lines) or "No shard seen yet.",
        fields=[
            (
                "Health",
                f"🟢 {counts[Tier.HEALTHY]} healthy · 🟡 {counts[Tier.WARNING]} warning · "
                f"🔴 {counts[Tier.CRITICAL]} critical",
                False,
            ),
            (
                "Totals",
                f"{plural(sum(guilds.values()), 'server')} · {plural(messages, 'message')} · "
                f"{plural(commands, 'command')}",
                False,
            ),
            ("Alerts", alerts, False),
        ],
    )


def health_embed(verdicts: list[Verdict]) -> discord.Embed:
    """The health report: critical shards first, each with its reasons."""
    ordered = sorted(verdicts, key=lambda v: (-v.tier.rank, v.shard_id))
    worst = ordered[0].tier if ordered else Tier.HEALTHY
    lines = [
        f"{v.tier.emoji} **Shard {v.shard_id}**: {v.tier.value}"
        + (f" ({truncate('; '.join(v.reasons), 200)})" if v.reasons else "")
        for v in ordered
    ]
    return make_embed(_kind(worst), f"Shard health: {worst.value}", "\n".join(lines) or "No shard seen yet.")


def latency_embed(shards: list[ShardMetrics], settings: MonitorSettings) -> discord.Embed:
    """A bar per shard against the critical latency, with min/avg/max over the kept samples."""
    lines = []
    for metrics in shards:
        stats = metrics.latency_stats()
        bar = progress_bar(stats.last or 0.0, settings.critical_latency_ms, width=12, show_percent=False)
        lines.append(
            f"**Shard {metrics.shard_id}** `{bar}` {_ms(stats.last)}\n"
            f"  min {_ms(stats.minimum)} · avg {_ms(stats.average)} · max {_ms(stats.maximum)} · "
            f"{stats.samples}/{len(metrics.latencies)} good samples"
        )
    footer = (
        f"Bars fill at {settings.critical_latency_ms} ms (critical); "
        f"warning above {settings.warning_latency_ms} ms"
    )
    return make_embed(EmbedKind.INFO, "Latency", "\n".join(lines) or "No sample yet.", footer=footer)


def events_embed(shards: list[ShardMetrics]) -> discord.Embed:
    lines = []
    for metrics in shards:
        c = metrics.counters
        lines.append(
            f"**Shard {metrics.shard_id}**: {plural(c['messages'], 'message')} · "
            f"{plural(c['commands'], 'command')} · {plural(c['connects'], 'connect')} · "
            f"{plural(c['disconnects'], 'disconnect')} · {plural(c['resumes'], 'resume')} · "
            f"servers +{c['guild_joins']}/-{c['guild_leaves']} · "
            f"{plural(metrics.consecutive_failures, 'failure')} in a row"
        )
    return make_embed(EmbedKind.INFO, "Events", "\n".join(lines) or "No shard seen yet.")


def details_embed(metrics: ShardMetrics, verdict: Verdict, guilds: int, connected_now: bool) -> discord.Embed:
    """``sharddetails``: everything about one shard."""
    stats = metrics.latency_stats()
    now = time.time()
    recent = [f"{_when(at)} {kind}" for at, kind in list(metrics.timeline)[-5:]]
    c = metrics.counters
    fields = [
        (
            "Health",
            f"{verdict.tier.emoji} {verdict.tier.value}"
            + (f": {'; '.join(verdict.reasons)}" if verdict.reasons else ""),
            False,
        ),
        (
            "Connection",
            ("connected" if connected_now else "disconnected") + f" since {_when(metrics.changed_at)}",
            True,
        ),
        ("Uptime", f"{metrics.uptime_percent(now):.2f}% since {_when(metrics.first_seen)}", True),
        ("Servers", str(guilds), True),
        (
            "Latency",
            f"now {_ms(stats.last)} · min {_ms(stats.minimum)} · avg {_ms(stats.average)} · "
            f"max {_ms(stats.maximum)} ({stats.samples} good of {plural(len(metrics.latencies), 'sample')})",
            False,
        ),
        (
            "Counters",
            f"{plural(c['messages'], 'message')} · {plural(c['commands'], 'command')} · "
            f"servers +{c['guild_joins']}/-{c['guild_leaves']}",
            False,
        ),
        (
            "Connections",
            f"{c['connects']} connects · {c['disconnects']} disconnects · {c['resumes']} resumes",
            False,
        ),
        ("Recent", "\n".join(recent) or "nothing yet", False),
    ]
    if metrics.last_error:
        fields.append(
            (
                "Failures",
                f"{metrics.consecutive_failures} in a row; last {_when(metrics.last_error_at)}: "
                f"{truncate(metrics.last_error, 200)}",
                False,
            )
        )
    return make_embed(_kind(verdict.tier), f"Shard {metrics.shard_id}", fields=fields)


def clusters_embed(view: dict[str, Any]) -> discord.Embed:
    """Every cluster's shards with their latency, from zoryx-cluster's ``cluster_stats`` event."""
    clusters = {int(c["cluster_id"]): c for c in view.get("clusters", [])}
    count = int(view.get("cluster_count", len(clusters)))
    here = view.get("this_cluster")
    lines = []
    total = up = 0
    for cluster_id in range(count):
        cluster = clusters.get(cluster_id)
        marker = " (this one)" if cluster_id == here else ""
        if cluster is None:
            lines.append(f"🔴 **Cluster {cluster_id}**{marker} · gone")
            continue
        shards = {int(k): v for k, v in cluster.get("shards", {}).items()}
        total += len(shards)
        up += sum(v is not None for v in shards.values())
        listed = " · ".join(f"{shard_id} {_ms(shards[shard_id])}" for shard_id in sorted(shards))
        lines.append(
            f"🟢 **Cluster {cluster_id}**{marker} · {cluster.get('guilds', 0)} servers · "
            f"{cluster.get('host', '?')} pid {cluster.get('pid', '?')}\n└ shards {listed}"
        )
    return make_embed(
        EmbedKind.MENU,
        f"🌐 Clusters: {len(clusters)}/{count} up, {up}/{total} shards connected",
        truncate("\n".join(lines) or "No cluster seen yet.", 4000),
    )
