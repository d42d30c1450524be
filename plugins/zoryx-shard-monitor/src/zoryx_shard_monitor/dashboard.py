"""The ``shardmonitor`` dashboard: Overview, Health, Latency and Events tabs (and Clusters, every
cluster's shards, when zoryx-cluster runs the bot's shards in several processes) and Refresh, on
one message that only its invoker (a bot owner) may use."""

from __future__ import annotations

from typing import Any, Literal

import discord

from zoryx_core.ui import ActionButton, Emojis, ZoryxView, tab_buttons

from .monitor import ShardMonitor
from .render import clusters_embed, events_embed, health_embed, latency_embed, overview_embed

__all__ = ["ShardDashboard", "guild_counts"]

Tab = Literal["overview", "health", "latency", "events", "clusters"]
TABS: tuple[tuple[Tab, str, str], ...] = (
    ("overview", "Overview", "📊"),
    ("health", "Health", "🏥"),
    ("latency", "Latency", "📡"),
    ("events", "Events", "📈"),
)
CLUSTERS_TAB: tuple[Tab, str, str] = ("clusters", "Clusters", "🌐")
"""Shown when the bot's shards run in several processes (zoryx-cluster's ``cluster_stats``)."""


def guild_counts(bot: discord.Client) -> dict[int, int]:
    """Servers per shard."""
    counts: dict[int, int] = {}
    for guild in bot.guilds:
        counts[guild.shard_id] = counts.get(guild.shard_id, 0) + 1
    return counts


class ShardDashboard(ZoryxView):
    def __init__(self, monitor: ShardMonitor, author: discord.abc.User) -> None:
        super().__init__(author, timeout=180.0, command_name="shardmonitor")
        self.monitor = monitor
        self.tab: Tab = "overview"
        self.render()

    def embed(self) -> discord.Embed:
        monitor = self.monitor
        shards = [monitor.metrics(s) for s in monitor.known_shard_ids()]
        if self.tab == "health":
            return health_embed(monitor.verdicts())
        if self.tab == "latency":
            return latency_embed(shards, monitor.settings)
        if self.tab == "events":
            return events_embed(shards)
        if self.tab == "clusters" and monitor.cluster_view is not None:
            return clusters_embed(monitor.cluster_view)
        return overview_embed(shards, monitor.verdicts(), monitor.config(), guild_counts(monitor.bot))

    def render(self) -> None:
        self.clear_items()
        tabs = (*TABS, CLUSTERS_TAB) if self.monitor.cluster_view is not None else TABS
        for button in tab_buttons(tabs, self.tab, self._tab):
            self.add_item(button)
        self.add_item(ActionButton(self._refresh_clicked, label="Refresh", emoji=Emojis.RELOAD))

    def _tab(self, tab: Tab) -> Any:
        async def handler(interaction: discord.Interaction[Any]) -> None:
            self.tab = tab
            self.render()
            await interaction.response.edit_message(embed=self.embed(), view=self)

        return handler

    async def _refresh_clicked(self, interaction: discord.Interaction[Any]) -> None:
        self.render()
        await interaction.response.edit_message(embed=self.embed(), view=self)
