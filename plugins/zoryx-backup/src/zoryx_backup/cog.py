"""The backup commands, all hybrid (``!backupcreate`` and ``/backupcreate``).

Server administrators manage their own server's backups (bot owners and the server owner pass
too, and ``config <command> <role>`` can grant a command to a role); ``backupdelete`` is open to
every member for the backups they made themselves; ``backupexport`` and ``backupstats`` are for
bot owners. Errors of the engine (a pinned backup, the cooldown, a bad checksum) are answered
with what was wrong and what is allowed.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from zoryx_core import ZoryxBot, owner_only, require_permissions
from zoryx_core.converters import IntegerArgument
from zoryx_core.hybrid import hybrid_command
from zoryx_core.ui import ConfirmView, Paginator, error_embed, info_embed, success_embed, warning_embed

from .audit_trail import AuditAction
from .errors import BackupError
from .records import BackupRecord
from .service import BackupService

# The embeds, the dashboard and the restore flow (and the snapshot code under them) are imported by
# the commands that show them, when first used: loading the plugin stays cheap.

__all__ = ["COG_NAME", "BackupCog"]

COG_NAME = "Backups"

Context = commands.Context[ZoryxBot]

BackupId = Annotated[int, IntegerArgument(1, what="a backup number")]
"""A backup's number: digits 0-9 only, within what Discord and SQLite can hold."""
Hours = Annotated[int | None, IntegerArgument(1, what="a number of hours")]


def _guild(ctx: Context) -> discord.Guild:
    guild = ctx.guild
    if guild is None:  # guild_only() has refused already
        raise commands.NoPrivateMessage()
    return guild


@contextlib.asynccontextmanager
async def reported(ctx: Context, title: str) -> AsyncIterator[None]:
    """Answer a :class:`BackupError` raised inside with ``title`` and the error's message."""
    try:
        yield
    except BackupError as error:
        from .render import sentence

        await ctx.send(embed=error_embed(title, sentence(error)), ephemeral=True)


def _may_delete_any(bot: ZoryxBot, user: discord.abc.User, guild: discord.Guild | None) -> bool:
    """Bot owners, the server's owner and administrators may delete anyone's backups."""
    if bot.permissions.is_bot_owner(user.id):
        return True
    if guild is not None and guild.owner_id == user.id:
        return True
    return isinstance(user, discord.Member) and user.guild_permissions.administrator


class BackupCog(commands.Cog, name=COG_NAME):
    """Server backups: snapshots, selective restore, schedules and the dashboard."""

    def __init__(self, service: BackupService) -> None:
        self.service = service

    # --- autocomplete -------------------------------------------------------------------------------

    async def backup_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[int]]:
        """The server's backups whose id or label contains what was typed, newest first."""
        if interaction.guild_id is None:
            return []
        typed = current.strip().lower().lstrip("#")
        # backupdelete is open to every member, for their own backups: list only those to them
        only_own = (
            interaction.command is not None
            and interaction.command.name == "backupdelete"
            and not _may_delete_any(self.service.bot, interaction.user, interaction.guild)
        )
        choices = []
        for record in await self.service.list_backups(interaction.guild_id):
            if only_own and record.author_id != interaction.user.id:
                continue
            if typed and typed not in str(record.id) and typed not in record.label.lower():
                continue
            mark = "📌 " if record.pinned else ""
            text = f"#{record.id} {mark}{record.label} ({record.created_at:%Y-%m-%d %H:%M} UTC)"
            choices.append(app_commands.Choice(name=text[:100], value=record.id))
            if len(choices) == 25:
                break
        return choices

    # --- the dashboard ------------------------------------------------------------------------------

    @require_permissions(administrator=True)
    @commands.guild_only()
    @hybrid_command(name="backup")
    async def backup(self, ctx: Context) -> None:
        """The backup dashboard: overview, backups, drift since the latest, audit log, analytics."""
        from .dashboard import BackupDashboard

        await ctx.defer()
        dashboard = BackupDashboard(self.service, _guild(ctx), ctx.author)
        await dashboard.load()
        dashboard.render()
        await dashboard.send(ctx, embed=await dashboard.current_embed())

    # --- making and reading backups -------------------------------------------------------------------

    @require_permissions(administrator=True)
    @commands.guild_only()
    @hybrid_command(name="backupcreate")
    @app_commands.describe(label="A name for the backup (up to 100 characters)")
    async def backupcreate(self, ctx: Context, *, label: str | None = None) -> None:
        """Snapshot this server: roles, channels, emojis, stickers, settings, member roles, bot settings."""
        from .render import counts_text, record_line

        guild = _guild(ctx)
        service = self.service
        owner = ctx.bot.permissions.is_bot_owner(ctx.author.id)
        bypassed = await service.cooldown_remaining(guild.id) if owner else 0.0
        await ctx.defer()
        async with reported(ctx, "No backup made"):
            record = await service.create(guild, label, ctx.author.id, enforce_cooldown=not owner)
            notes = []
            if bypassed > 0:
                notes.append(
                    f"⏳ Cooldown bypassed (bot owner): others could make the next backup in "
                    f"{round(bypassed)} s."
                )
            if not record.counts.members_included:
                reason = (
                    "the bot lacks the Server Members intent"
                    if not ctx.bot.intents.members
                    else "saving member roles is turned off (member_roles)"
                )
                notes.append(f"Member roles were not saved: {reason}.")
            embed = success_embed(f"Backup #{record.id} made", record_line(record))
            embed.add_field(name="Contents", value=counts_text(record), inline=False)
            if notes:
                embed.add_field(name="Notes", value="\n".join(notes), inline=False)
            await ctx.send(embed=embed)

    @require_permissions(administrator=True)
    @commands.guild_only()
    @hybrid_command(name="backuplist")
    async def backuplist(self, ctx: Context) -> None:
        """Every backup of this server, newest first, five a page."""
        from .render import paged_records

        guild = _guild(ctx)
        records = await self.service.list_backups(guild.id)
        pages = paged_records(
            records, title="Backups", total=len(records), limit=self.service.settings.max_backups
        )
        await Paginator(pages, author=ctx.author, command_name="backuplist").send(ctx)

    @require_permissions(administrator=True)
    @commands.guild_only()
    @hybrid_command(name="backupview")
    @app_commands.describe(backup_id="The backup's number")
    @app_commands.autocomplete(backup_id=backup_choices)
    async def backupview(self, ctx: Context, backup_id: BackupId) -> None:
        """A backup in detail: when, by whom, what it holds, its size and checksum."""
        from .render import record_embed

        async with reported(ctx, "Backup not shown"):
            guild = _guild(ctx)
            record = await self.service.get(guild.id, backup_id)
            await self.service.record_audit(guild.id, AuditAction.VIEW, ctx.author.id, backup_id=backup_id)
            await ctx.send(embed=record_embed(record))

    @require_permissions(administrator=True)
    @commands.guild_only()
    @hybrid_command(name="backupverify")
    @app_commands.describe(backup_id="The backup's number")
    @app_commands.autocomplete(backup_id=backup_choices)
    async def backupverify(self, ctx: Context, backup_id: BackupId) -> None:
        """Check a backup's file against the SHA-256 recorded when it was made."""
        await ctx.defer()
        async with reported(ctx, "Backup not verified"):
            result = await self.service.verify(_guild(ctx).id, backup_id, ctx.author.id)
            if result.ok:
                await ctx.send(
                    embed=success_embed(
                        f"Backup #{backup_id} is intact",
                        f"SHA-256 `{result.actual_sha256}` matches the one recorded when it was made.",
                    )
                )
                return
            await ctx.send(
                embed=error_embed(
                    f"Backup #{backup_id} failed verification",
                    f"{result.problem or 'the checksum does not match'}.\n"
                    f"Recorded: `{result.expected_sha256}`\nNow: `{result.actual_sha256 or 'unreadable'}`\n"
                    "It will not be restored.",
                )
            )

    @require_permissions(administrator=True)
    @commands.guild_only()
    @hybrid_command(name="backupdiff")
    @app_commands.describe(first="The older backup's number", second="The newer backup's number")
    @app_commands.autocomplete(first=backup_choices, second=backup_choices)
    async def backupdiff(self, ctx: Context, first: BackupId, second: BackupId) -> None:
        """What changed between two backups: roles, channels, emojis, stickers, settings, members."""
        from .render import diff_embed

        guild = _guild(ctx)
        await ctx.defer()
        async with reported(ctx, "Backups not compared"):
            a = await self.service.get(guild.id, first)
            b = await self.service.get(guild.id, second)
            result = await self.service.diff_backups(guild.id, first, second)
            await self.service.record_audit(
                guild.id, AuditAction.DIFF, ctx.author.id, backup_id=second, details=f"#{first} -> #{second}"
            )
            await ctx.send(embed=diff_embed(a, b, result))

    # --- changing backups ---------------------------------------------------------------------------

    @require_permissions(administrator=True)
    @commands.guild_only()
    @hybrid_command(name="backuppin")
    @app_commands.describe(backup_id="The backup's number")
    @app_commands.autocomplete(backup_id=backup_choices)
    async def backuppin(self, ctx: Context, backup_id: BackupId) -> None:
        """Pin a backup (kept through deletion, rotation and retention), or unpin a pinned one."""
        from .render import record_line

        guild = _guild(ctx)
        async with reported(ctx, "Pin not changed"):
            record = await self.service.get(guild.id, backup_id)
            if record.pinned:
                record = await self.service.unpin(guild.id, backup_id, ctx.author.id)
                await ctx.send(embed=success_embed(f"Backup #{backup_id} unpinned", record_line(record)))
            else:
                record = await self.service.pin(guild.id, backup_id, ctx.author.id)
                await ctx.send(
                    embed=success_embed(
                        f"Backup #{backup_id} pinned",
                        f"{record_line(record)}\nIt cannot be deleted and survives cleanup until unpinned.",
                    )
                )

    @require_permissions(administrator=True)
    @commands.guild_only()
    @hybrid_command(name="backupnote")
    @app_commands.describe(
        backup_id="The backup's number", text="The note (up to 500 characters); empty clears it"
    )
    @app_commands.autocomplete(backup_id=backup_choices)
    async def backupnote(self, ctx: Context, backup_id: BackupId, *, text: str | None = None) -> None:
        """Write a note on a backup, or clear it by giving none."""
        from .render import record_line

        async with reported(ctx, "Note not saved"):
            record = await self.service.note(_guild(ctx).id, backup_id, ctx.author.id, text)
            title = f"Note on backup #{backup_id} {'saved' if record.note else 'cleared'}"
            await ctx.send(embed=success_embed(title, record.note or record_line(record)))

    @commands.guild_only()
    @hybrid_command(name="backupdelete")
    @app_commands.describe(backup_id="The backup's number")
    @app_commands.autocomplete(backup_id=backup_choices)
    async def backupdelete(self, ctx: Context, backup_id: BackupId) -> None:
        """Delete a backup after a two-step confirmation (administrators: any; others: their own)."""
        from .render import record_line

        guild = _guild(ctx)
        async with reported(ctx, "Backup not deleted"):
            record = await self.service.get(guild.id, backup_id)
            if not _may_delete_any(ctx.bot, ctx.author, guild) and record.author_id != ctx.author.id:
                await ctx.send(
                    embed=error_embed(
                        "Backup not deleted",
                        f"Backup #{backup_id} was made by someone else; without the Administrator "
                        "permission you may only delete backups you made.",
                    ),
                    ephemeral=True,
                )
                return
            if record.pinned:
                await ctx.send(
                    embed=error_embed(
                        "Pinned backups are protected",
                        f"Backup #{backup_id} is pinned; unpin it with `backuppin {backup_id}` first.",
                    ),
                    ephemeral=True,
                )
                return
            view = ConfirmView(author=ctx.author, command_name="backupdelete")
            await view.send(
                ctx,
                embed=warning_embed(
                    f"Delete backup #{backup_id}?", f"{record_line(record)}\nThis cannot be undone."
                ),
            )
            if not await view.wait_result():
                await ctx.send(embed=info_embed("Nothing deleted", f"Backup #{backup_id} is kept."))
                return
            deleted = await self.service.delete(guild.id, backup_id, ctx.author.id)
            await ctx.send(embed=success_embed(f"Backup #{backup_id} deleted", record_line(deleted)))

    # --- restore and schedule -------------------------------------------------------------------------

    @require_permissions(administrator=True)
    @commands.guild_only()
    @hybrid_command(name="backuprestore")
    @app_commands.describe(backup_id="The backup's number")
    @app_commands.autocomplete(backup_id=backup_choices)
    async def backuprestore(self, ctx: Context, backup_id: BackupId) -> None:
        """Restore a backup: choose components and role sync, read the preview, confirm twice."""
        from .restore_flow import RestoreSetup

        guild = _guild(ctx)
        await ctx.defer()
        async with reported(ctx, "Restore not started"):
            record = await self.service.get(guild.id, backup_id)
            running = self.service.running_restore(guild.id)
            if running is not None:
                await ctx.send(
                    embed=error_embed(
                        "A restore is already running",
                        f"Backup #{running.backup_id} is being restored ({running.phase} "
                        f"{running.done}/{running.total}); one restore per server at a time.",
                    ),
                    ephemeral=True,
                )
                return
            plan = await self.service.preview(guild, backup_id)
            setup = RestoreSetup(self.service, guild, record, ctx.author, ctx.channel, plan)
            await setup.send(ctx, embed=setup.embed())

    @require_permissions(administrator=True)
    @commands.guild_only()
    @hybrid_command(name="backupschedule")
    @app_commands.describe(action="enable, disable or status", hours="Hours between backups, 1 to 168")
    async def backupschedule(
        self,
        ctx: Context,
        action: Literal["enable", "disable", "status"] = "status",
        hours: Hours = None,
    ) -> None:
        """Automatic backups of this server: enable [hours], disable, or status."""
        from .render import schedule_embed

        guild = _guild(ctx)
        service = self.service
        default = service.settings.auto_backup_hours
        async with reported(ctx, "Schedule not changed"):
            if action == "enable":
                schedule = await service.set_schedule(guild.id, hours, ctx.author.id)
                await ctx.send(embed=schedule_embed(schedule, default_hours=default))
            elif action == "disable":
                removed = await service.clear_schedule(guild.id, ctx.author.id)
                text = "No more automatic backups of this server." if removed else "They were not on."
                await ctx.send(embed=success_embed("Automatic backups off", text))
            else:
                current = await service.get_schedule(guild.id)
                await ctx.send(embed=schedule_embed(current, default_hours=default))

    # --- bot owners -----------------------------------------------------------------------------------

    @owner_only()
    @hybrid_command(name="backupexport")
    @app_commands.describe(backup_id="The backup's number")
    @app_commands.autocomplete(backup_id=backup_choices)
    async def backupexport(self, ctx: Context, backup_id: BackupId) -> None:
        """Send a backup's verified JSON file to you by direct message (bot owners)."""
        await ctx.defer(ephemeral=True)
        async with reported(ctx, "Backup not exported"):
            record: BackupRecord = (
                await self.service.get(ctx.guild.id, backup_id)
                if ctx.guild is not None
                else await self.service.find(backup_id)
            )
            data = await self.service.export(record.guild_id, backup_id, ctx.author.id)
            name = f"zoryx-backup-{record.guild_id}-{record.id}.json"
            try:
                await ctx.author.send(
                    content=f"Backup #{record.id} of **{record.guild_name}** ({record.sha256[:16]}…).",
                    file=discord.File(io.BytesIO(data), filename=name),
                )
            except discord.HTTPException as error:
                await ctx.send(
                    embed=error_embed(
                        "Backup not exported",
                        f"Your direct messages could not be reached ({error.text or error.status}); "
                        "the file is only ever sent privately. Allow direct messages from this "
                        "server and retry.",
                    ),
                    ephemeral=True,
                )
                return
            where = "here" if ctx.guild is None else "to you by direct message"
            await ctx.send(
                embed=success_embed(f"Backup #{record.id} exported", f"`{name}` was sent {where}."),
                ephemeral=True,
            )

    @owner_only()
    @hybrid_command(name="backupstats")
    async def backupstats(self, ctx: Context) -> None:
        """Figures across every server's backups (bot owners)."""
        from .render import global_stats_embed

        await ctx.send(embed=global_stats_embed(await self.service.stats()))
