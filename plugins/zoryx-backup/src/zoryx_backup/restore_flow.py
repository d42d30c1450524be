"""``backuprestore``: choose components and role sync, see the preview, confirm twice, then
follow the restore on a channel message.

Progress is shown on a regular message the bot posts in the channel and edits with its own
token, never on the interaction's response, whose token Discord expires after 15 minutes: a
restore of a large server outlives it. The restore itself runs in a task owned by the plugin.
"""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import UTC, datetime
from typing import Any

import discord

from zoryx_core.ui import ActionButton, ActionSelect, Emojis, ZoryxView, error_embed, info_embed, plural

from .errors import BackupError
from .options import Component, RestoreOptions
from .planner import RestorePlan
from .records import BackupRecord
from .render import plan_embed, progress_embed, report_embed, report_text, sentence
from .report import RestoreReport
from .service import BackupService

__all__ = ["ProgressMessage", "RestoreSetup"]

log = logging.getLogger("zoryx.plugin.zoryx-backup.restore")


class ProgressMessage:
    """A channel message that shows a restore's latest progress.

    :meth:`update` only records the latest figures and wakes one writer task, so a slow edit
    (Discord's rate limits) never holds the restore up, and edits never pile up: the writer
    always shows the newest figures."""

    def __init__(self, message: discord.Message, record: BackupRecord, user_id: int) -> None:
        self.message = message
        self.record = record
        self.user_id = user_id
        self.started = datetime.now(UTC)
        self.latest: tuple[str, int, int] = ("starting", 0, 0)
        self.shown: tuple[str, int, int] | None = None
        self.edits = 0
        self._changed = asyncio.Event()
        self._editing = asyncio.Lock()
        self._closed = False

    async def update(self, phase: str, done: int, total: int) -> None:
        """The engine's progress callback."""
        self.latest = (phase, done, total)
        self._changed.set()

    async def run(self) -> None:
        """Edit the message whenever the figures change, until :meth:`close`."""
        while not self._closed:
            await self._changed.wait()
            self._changed.clear()
            if self._closed:
                break
            await self._show()

    async def _show(self) -> None:
        async with self._editing:
            figures = self.latest
            if self._closed or figures == self.shown:
                return
            phase, done, total = figures
            embed = progress_embed(
                self.record, phase, done, total, user_id=self.user_id, started=self.started
            )
            try:
                await self.message.edit(embed=embed)
                self.shown = figures
                self.edits += 1
            except discord.HTTPException as error:
                log.warning("could not update the restore progress of backup #%s: %s", self.record.id, error)

    async def finish(self, embed: discord.Embed) -> None:
        """Stop following and show ``embed`` (the report) on the message, after any progress
        edit already on its way, so the report is what stays."""
        self._closed = True
        self._changed.set()
        async with self._editing:
            try:
                await self.message.edit(embed=embed)
                self.edits += 1
            except discord.HTTPException as error:
                log.warning("could not show the restore report of backup #%s: %s", self.record.id, error)


class RestoreSetup(ZoryxView):
    """Component toggles (a multi-select, all chosen at first), the role-sync toggle (off at
    first), the preview of the chosen restore, and a Restore button that must be clicked twice."""

    def __init__(
        self,
        service: BackupService,
        guild: discord.Guild,
        record: BackupRecord,
        author: discord.abc.User,
        channel: discord.abc.Messageable,
        plan: RestorePlan,
    ) -> None:
        super().__init__(author, timeout=300.0, command_name="backuprestore")
        self.service = service
        self.guild = guild
        self.record = record
        self.channel = channel
        self.plan = plan
        self.options = plan.options
        self.armed = False
        self.started: asyncio.Task[RestoreReport] | None = None
        self.progress: ProgressMessage | None = None
        self.render()

    def embed(self) -> discord.Embed:
        return plan_embed(self.record, self.plan, armed=self.armed)

    def render(self) -> None:
        self.clear_items()
        chosen = self.options.components
        options = [
            discord.SelectOption(label=c.label.capitalize(), value=c.value, default=c in chosen)
            for c in Component
        ]
        self.add_item(
            ActionSelect(
                self._components_chosen,
                options,
                placeholder="Components to restore",
                custom_id="backup-restore-components",
                row=0,
            )
        )
        select = self.children[-1]
        assert isinstance(select, discord.ui.Select)
        select.min_values, select.max_values = 1, len(options)
        sync = self.options.role_sync
        self.add_item(
            ActionButton(
                self._toggle_sync,
                label=f"Role sync: {'on' if sync else 'off'}",
                emoji="🔁",
                style=discord.ButtonStyle.primary if sync else discord.ButtonStyle.secondary,
                custom_id="backup-restore-role-sync",
                row=1,
            )
        )
        self.add_item(
            ActionButton(
                self._restore,
                label="Click again to restore" if self.armed else "Restore",
                emoji=Emojis.WARNING if self.armed else "♻️",
                style=discord.ButtonStyle.danger,
                custom_id="backup-restore-start",
                row=1,
            )
        )
        self.add_item(ActionButton(self._cancel, label="Cancel", custom_id="backup-restore-cancel", row=1))

    async def _replan(self, interaction: discord.Interaction[Any], options: RestoreOptions) -> None:
        await interaction.response.defer()
        self.armed = False
        try:
            self.plan = await self.service.preview(self.guild, self.record.id, options)
            self.options = options
        except BackupError as error:
            self.render()
            await interaction.edit_original_response(
                embed=error_embed("The preview failed", sentence(error)), view=self
            )
            return
        self.render()
        await interaction.edit_original_response(embed=self.embed(), view=self)

    async def _components_chosen(self, interaction: discord.Interaction[Any], values: list[str]) -> None:
        components = [Component(v) for v in values]
        await self._replan(interaction, RestoreOptions.of(components, role_sync=self.options.role_sync))

    async def _toggle_sync(self, interaction: discord.Interaction[Any]) -> None:
        await self._replan(
            interaction, RestoreOptions.of(self.options.components, role_sync=not self.options.role_sync)
        )

    async def _cancel(self, interaction: discord.Interaction[Any]) -> None:
        self.disable_all()
        self.stop()
        await interaction.response.edit_message(
            embed=info_embed("Restore cancelled", "Nothing was changed."), view=self
        )

    async def _restore(self, interaction: discord.Interaction[Any]) -> None:
        if not self.armed:
            self.armed = True
            self.render()
            await interaction.response.edit_message(embed=self.embed(), view=self)
            return
        await interaction.response.defer()
        message = await self.channel.send(
            embed=progress_embed(
                self.record, "starting", 0, 0, user_id=interaction.user.id, started=datetime.now(UTC)
            )
        )
        progress = ProgressMessage(message, self.record, interaction.user.id)
        try:
            task = await self.service.start_restore(
                self.guild,
                self.record.id,
                self.options,
                user_id=interaction.user.id,
                progress=progress.update,
            )
        except BackupError as error:
            await progress.finish(error_embed("The restore did not start", sentence(error)))
            self.armed = False
            self.render()
            await interaction.edit_original_response(embed=self.embed(), view=self)
            return
        self.started, self.progress = task, progress
        plugin = self.service.plugin
        plugin.create_task(progress.run(), name=f"zoryx-backup:progress:{self.guild.id}")
        plugin.create_task(self._follow(task, progress), name=f"zoryx-backup:report:{self.guild.id}")
        self.disable_all()
        self.stop()
        await interaction.edit_original_response(
            embed=info_embed(
                f"Restore of backup #{self.record.id} started",
                f"Follow it on {message.jump_url}; the report will appear there.",
            ),
            view=self,
        )

    async def _follow(self, task: asyncio.Task[RestoreReport], progress: ProgressMessage) -> None:
        try:
            report = await asyncio.shield(task)
        except asyncio.CancelledError:
            await progress.finish(error_embed("Restore stopped", "The bot stopped the restore."))
            raise
        except Exception as error:
            log.exception("the restore of backup #%s failed", self.record.id)
            await progress.finish(
                error_embed("The restore stopped on an error", f"{type(error).__name__}: {error}")
            )
            return
        embed = report_embed(self.record, report)
        embed.add_field(name="Full report", value=await self._send_full_report(report), inline=False)
        await progress.finish(embed)

    async def _send_full_report(self, report: RestoreReport) -> str:
        """Every item of the report, as a file sent by direct message to whoever started the
        restore (it names members, so it is not posted in the channel); what to say about it."""
        text = report_text(self.record, report, self.guild.name)
        name = f"restore-report-{self.guild.id}-{self.record.id}.txt"
        user = self.guild.get_member(self.author.id) or self.service.bot.get_user(self.author.id)
        try:
            if user is None:
                raise LookupError("the member is no longer known to the bot")
            await user.send(
                content=f"Restore of backup #{self.record.id} in **{self.guild.name}**: every item.",
                file=discord.File(io.BytesIO(text.encode("utf-8")), filename=name),
            )
        except discord.HTTPException as error:
            return self._not_sent(report, error.text or str(error.status))
        except LookupError as error:
            return self._not_sent(report, str(error))
        return f"Every item ({len(report.items)}) was sent to <@{self.author.id}> by direct message."

    def _not_sent(self, report: RestoreReport, why: str) -> str:
        log.warning("could not send the restore report to %s: %s", self.author.id, why)
        count = len(report.items)
        return f"{plural(count, 'item')}; the item-by-item file could not be sent by direct message ({why})."
