"""The ``backup`` dashboard: Overview, Backups, Compare, Audit log and Analytics tabs on one
message, with pagination, refresh, and deleting a backup through a dropdown and a two-step
confirmation. Only the invoker may click, and only while they may still run ``backup``."""

from __future__ import annotations

import logging
from typing import Any, Literal

import discord

from zoryx_core.ui import (
    ActionButton,
    ActionSelect,
    ConfirmView,
    Emojis,
    ZoryxView,
    error_embed,
    respond_ephemeral,
    success_embed,
    tab_buttons,
    truncate,
    warning_embed,
)

from .audit_trail import AUDIT_KEEP, AuditEntry
from .diffing import SnapshotDiff
from .errors import BackupError
from .records import BackupRecord
from .render import (
    PER_PAGE,
    analytics_embed,
    audit_embed,
    backups_embed,
    compare_embed,
    overview_embed,
    page_count,
    record_line,
    sentence,
)
from .service import BackupService

__all__ = ["TABS", "BackupDashboard", "Tab"]

log = logging.getLogger("zoryx.plugin.zoryx-backup.dashboard")

Tab = Literal["overview", "backups", "compare", "audit", "analytics"]

TABS: tuple[tuple[Tab, str, str], ...] = (
    ("overview", "Overview", "📊"),
    ("backups", "Backups", "📦"),
    ("compare", "Compare", "🔍"),
    ("audit", "Audit log", "📜"),
    ("analytics", "Analytics", "📈"),
)


class BackupDashboard(ZoryxView):
    """One admin's dashboard of one server. Figures are read afresh on every tab change and on
    Refresh; the Compare tab captures the server (without images) and diffs it with the latest
    backup."""

    def __init__(self, service: BackupService, guild: discord.Guild, author: discord.abc.User) -> None:
        super().__init__(author, timeout=180.0, command_name="backup")
        self.service = service
        self.guild = guild
        self.tab: Tab = "overview"
        self.page = 1
        self.records: list[BackupRecord] = []
        self.entries: list[AuditEntry] = []
        self.drift: SnapshotDiff | None = None

    # --- data ---------------------------------------------------------------------------------------

    async def load(self) -> None:
        """Read what the current tab shows."""
        service = self.service
        self.records = await service.list_backups(self.guild.id)
        if self.tab == "audit":
            self.entries = await service.audit_log(self.guild.id, limit=AUDIT_KEEP)
        if self.tab == "compare":
            self.drift = None
            if self.records:
                latest = await service.load(self.guild.id, self.records[0].id)
                self.drift = await service.drift(self.guild, latest)
        self.page = min(self.page, self.page_count())

    def page_count(self) -> int:
        if self.tab == "backups":
            return page_count(len(self.records))
        if self.tab == "audit":
            return page_count(len(self.entries))
        return 1

    def page_records(self) -> list[BackupRecord]:
        start = (self.page - 1) * PER_PAGE
        return self.records[start : start + PER_PAGE]

    async def current_embed(self) -> discord.Embed:
        service = self.service
        limit = service.settings.max_backups
        if self.tab == "backups":
            return backups_embed(
                self.page_records(),
                page=self.page,
                pages=self.page_count(),
                total=len(self.records),
                limit=limit,
                title="Backups",
            )
        if self.tab == "compare":
            return compare_embed(self.records[0] if self.records else None, self.drift)
        if self.tab == "audit":
            start = (self.page - 1) * PER_PAGE
            return audit_embed(
                self.entries[start : start + PER_PAGE], page=self.page, pages=self.page_count()
            )
        if self.tab == "analytics":
            return analytics_embed(await service.stats(self.guild.id))
        running = service.running_restore(self.guild.id)
        return overview_embed(
            self.guild,
            self.records,
            limit=limit,
            cooldown_left=await service.cooldown_remaining(self.guild.id),
            schedule=await service.get_schedule(self.guild.id),
            running=(
                f"backup #{running.backup_id} by <@{running.user_id}>: {running.phase} "
                f"{running.done}/{running.total}"
                if running
                else None
            ),
        )

    # --- controls -----------------------------------------------------------------------------------

    def render(self) -> None:
        self.clear_items()
        for button in tab_buttons(TABS, self.tab, self._tab_handler, row=0):
            self.add_item(button)
        pages = self.page_count()
        self.add_item(
            ActionButton(
                self._previous, label="Previous", emoji=Emojis.PREVIOUS, disabled=self.page <= 1, row=1
            )
        )
        self.add_item(
            ActionButton(self._next, label="Next", emoji=Emojis.NEXT, disabled=self.page >= pages, row=1)
        )
        self.add_item(ActionButton(self._refresh_clicked, label="Refresh", emoji=Emojis.RELOAD, row=1))
        if self.tab == "backups" and self.page_records():
            options = [
                discord.SelectOption(
                    label=truncate(f"#{r.id} {r.label}", 100),
                    value=str(r.id),
                    description=truncate(
                        ("pinned: unpin it first · " if r.pinned else "")
                        + r.created_at.strftime("%Y-%m-%d %H:%M UTC"),
                        100,
                    ),
                    emoji="📌" if r.pinned else "🗑️",
                )
                for r in self.page_records()
            ]
            self.add_item(ActionSelect(self._delete_chosen, options, placeholder="Delete a backup…", row=2))

    async def show(self, interaction: discord.Interaction[Any]) -> None:
        """Read the current tab's data and show it on the dashboard's message. The Compare tab
        captures the server first, so its click is acknowledged before and edited after."""
        slow = self.tab == "compare"
        if slow:
            await interaction.response.defer()
        try:
            await self.load()
            embed = await self.current_embed()
        except BackupError as error:
            embed = error_embed("The dashboard could not read that", sentence(error))
        self.render()
        if slow:
            await interaction.edit_original_response(embed=embed, view=self)
        else:
            await interaction.response.edit_message(embed=embed, view=self)

    def _tab_handler(self, tab: Tab) -> Any:
        async def handler(interaction: discord.Interaction[Any]) -> None:
            self.tab, self.page = tab, 1
            await self.show(interaction)

        return handler

    async def _previous(self, interaction: discord.Interaction[Any]) -> None:
        self.page = max(1, self.page - 1)
        await self.show(interaction)

    async def _next(self, interaction: discord.Interaction[Any]) -> None:
        self.page += 1
        await self.show(interaction)

    async def _refresh_clicked(self, interaction: discord.Interaction[Any]) -> None:
        await self.show(interaction)

    async def _delete_chosen(self, interaction: discord.Interaction[Any], values: list[str]) -> None:
        backup_id = int(values[0])
        record = next((r for r in self.records if r.id == backup_id), None)
        if record is None:
            await respond_ephemeral(interaction, f"{Emojis.ERROR} Backup #{backup_id} is gone already.")
            return
        if record.pinned:
            await respond_ephemeral(
                interaction,
                embed=error_embed(
                    "Pinned backups are protected",
                    f"Backup #{record.id} is pinned; unpin it with `backuppin {record.id}` to delete it.",
                ),
            )
            return
        confirmation = ConfirmView(author=interaction.user, command_name="backupdelete", timeout=60.0)
        await confirmation.send(
            interaction,
            embed=warning_embed(
                f"Delete backup #{record.id}?", f"{record_line(record)}\nThis cannot be undone."
            ),
            ephemeral=True,
        )
        if not await confirmation.wait_result():
            return
        try:
            deleted = await self.service.delete(self.guild.id, record.id, interaction.user.id)
        except BackupError as error:
            await interaction.followup.send(embed=error_embed("Not deleted", sentence(error)), ephemeral=True)
            return
        await interaction.followup.send(
            embed=success_embed("Backup deleted", record_line(deleted)), ephemeral=True
        )
        await self.load()
        self.render()
        await self.update_message(embed=await self.current_embed())
