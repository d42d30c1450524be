"""Running a restore against Discord, phase by phase, with per-item results.

Every request goes through discord.py's HTTP client (``bot.http``), which paces requests from
Discord's rate-limit headers and retries 429 answers; nothing here sleeps on a timer. Requests go
to discord.py's HTTP layer directly because its models offer no bulk channel-position call and
because the snapshot already holds Discord's own field names. A refused item is reported with
Discord's status, code and message, and the restore goes on with the next one.
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import discord

from .capture import capture_guild
from .models import Snapshot
from .options import Component, ProgressCallback, RestoreOptions
from .planner import Action, GuildState, PlannedItem, RestorePlanner
from .report import DiscordFailure, ItemResult, Outcome, RestoreReport

if TYPE_CHECKING:
    from zoryx_core import ZoryxBot

__all__ = ["RestoreRunner", "read_guild_state"]

log = logging.getLogger("zoryx.plugin.zoryx-backup.restore")

_STICKER_FILE_EXT = {"image/png": "png", "image/gif": "gif", "application/json": "json"}


async def read_guild_state(bot: ZoryxBot, guild: discord.Guild, *, members: bool = True) -> GuildState:
    """The server as the bot's cache has it now, in the planner's terms (``members=False``: without
    member roles, which a restore that does not touch them does not need)."""
    live = await capture_guild(bot, guild, images=None, generator="live", include_members=members)
    member_roles = dict(live.members.roles) if live.members.included else None
    me = guild.me
    bot_is_owner = bot.user is not None and guild.owner_id == bot.user.id
    return GuildState(
        guild_id=guild.id,
        roles=list(live.roles),
        channels=list(live.channels),
        emojis=list(live.emojis),
        stickers=list(live.stickers),
        settings=live.settings,
        members=member_roles,
        member_names={m.id: m.display_name for m in guild.members} if member_roles is not None else {},
        bot_top_position=me.top_role.position if me is not None else 0,
        bot_is_owner=bot_is_owner,
        plugins_loaded=frozenset(bot.plugins.contexts),
        plugins_importing=frozenset(
            name for name in bot.plugins.contexts if bot.plugins.hooks.has("zoryx_import_guild_data", name)
        ),
        bot_settings=dict(live.bot_settings),
    )


def _overwrite_set(overwrites: Sequence[Any]) -> set[tuple[int, int, int, int]]:
    return {
        (int(o["id"]), int(o["type"]), int(o.get("allow") or 0), int(o.get("deny") or 0)) for o in overwrites
    }


class _Progress:
    """Calls the front end's progress callback at phase start, at phase end and at most every
    ``interval`` seconds in between; its failures are logged, never raised."""

    def __init__(self, callback: ProgressCallback | None, interval: float) -> None:
        self.callback = callback
        self.interval = interval
        self.phase = ""
        self.done = 0
        self.total = 0
        self._last = 0.0

    async def report(self, phase: str, done: int, total: int, *, force: bool = False) -> None:
        self.phase, self.done, self.total = phase, done, total
        now = time.monotonic()
        if self.callback is None or (not force and now - self._last < self.interval):
            return
        self._last = now
        try:
            await self.callback(phase, done, total)
        except Exception:
            log.exception("the restore progress callback failed (phase %s, %s/%s)", phase, done, total)


class RestoreRunner:
    """Restores ``snapshot`` into ``guild``; :meth:`run` returns the report."""

    def __init__(
        self,
        bot: ZoryxBot,
        guild: discord.Guild,
        snapshot: Snapshot,
        backup_id: int,
        options: RestoreOptions,
        state: GuildState,
        *,
        progress: ProgressCallback | None = None,
        progress_interval: float = 2.0,
        concurrency: int = 4,
        between_phases: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.bot = bot
        self.guild = guild
        self.http = bot.http
        self.snapshot = snapshot
        self.backup_id = backup_id
        self.options = options
        self.planner = RestorePlanner(snapshot, state, options)
        self.progress = _Progress(progress, progress_interval)
        self.concurrency = concurrency
        self.between_phases = between_phases
        self.results: list[ItemResult] = []

    @property
    def reason(self) -> str:
        return self.options.reason

    async def run(self) -> RestoreReport:
        started = datetime.now(UTC)
        chosen = self.options.components
        planner = self.planner
        if Component.ROLES in chosen:
            await self._phase(Component.ROLES.value, planner.roles(), self._do_role)
            positions = planner.role_positions()
            await self._phase("role_positions", [positions], self._do_role_positions)
        else:
            planner.roles()
        if Component.EMOJIS in chosen:
            await self._phase(Component.EMOJIS.value, planner.emojis(), self._do_emoji)
        if Component.STICKERS in chosen:
            await self._phase(Component.STICKERS.value, planner.stickers(), self._do_sticker)
        for component in (Component.CATEGORIES, Component.CHANNELS):
            if component in chosen:
                await self._phase(component.value, planner.channels(component), self._do_channel)
            else:
                planner.channels(component)
        if chosen & {Component.CATEGORIES, Component.CHANNELS}:
            await self._phase(
                "channel_positions", [planner.channel_positions(chosen)], self._do_channel_positions
            )
        if Component.SERVER_SETTINGS in chosen:
            await self._phase(
                Component.SERVER_SETTINGS.value, [planner.server_settings()], self._do_server_settings
            )
        if Component.MEMBER_ROLES in chosen:
            planner.state.members = await self._member_roles_now()
            await self._phase(Component.MEMBER_ROLES.value, await planner.members(), self._do_member)
        if Component.BOT_SETTINGS in chosen:
            await self._phase(Component.BOT_SETTINGS.value, planner.bot_settings(), self._do_bot_settings)
        return RestoreReport(
            backup_id=self.backup_id,
            guild_id=self.guild.id,
            options=self.options,
            started_at=started,
            finished_at=datetime.now(UTC),
            items=tuple(self.results),
            id_map=dict(planner.id_map),
        )

    async def _member_roles_now(self) -> dict[int, tuple[int, ...]] | None:
        if not self.bot.intents.members:
            return None
        current: dict[int, tuple[int, ...]] = {}
        default_id = self.guild.id
        for index, member in enumerate(self.guild.members, start=1):
            if not member.bot:
                current[member.id] = tuple(r.id for r in member.roles if r.id != default_id)
            if index % 500 == 0:
                await asyncio.sleep(0)
        return current

    # --- phases ----------------------------------------------------------------------------------

    async def _phase(
        self,
        phase: str,
        items: Sequence[PlannedItem],
        handler: Callable[[PlannedItem], Awaitable[ItemResult]],
    ) -> None:
        if self.between_phases is not None:
            await self.between_phases()
        total = len(items)
        await self.progress.report(phase, 0, total, force=True)
        gate = asyncio.Semaphore(self.concurrency)
        done = 0

        async def one(item: PlannedItem) -> ItemResult:
            nonlocal done
            async with gate:
                result = await self._attempt(item, handler)
            done += 1
            await self.progress.report(phase, done, total)
            return result

        results = await asyncio.gather(*(one(item) for item in items))
        self.results.extend(results)
        await self.progress.report(phase, total, total, force=True)

    async def _attempt(
        self, item: PlannedItem, handler: Callable[[PlannedItem], Awaitable[ItemResult]]
    ) -> ItemResult:
        if item.action == Action.KEEP:
            return ItemResult(
                item.component, item.name, Outcome.UNCHANGED, item.reason, None, item.source_id, item.live_id
            )
        if item.action == Action.SKIP:
            return ItemResult(
                item.component, item.name, Outcome.SKIPPED, item.reason, None, item.source_id, item.live_id
            )
        try:
            return await handler(item)
        except discord.HTTPException as exc:
            failure = DiscordFailure(exc.status, exc.code, exc.text or str(exc))
            return ItemResult(
                item.component, item.name, Outcome.FAILED, str(failure), failure, item.source_id
            )
        except Exception as exc:  # a network error after discord.py's retries, a bad value...
            log.warning("restoring %s %r failed", item.component.value, item.name, exc_info=True)
            detail = f"{type(exc).__name__}: {exc}"
            return ItemResult(item.component, item.name, Outcome.FAILED, detail, None, item.source_id)

    def _done(self, item: PlannedItem, outcome: Outcome, new_id: int | None = None) -> ItemResult:
        detail = ", ".join(item.changes)
        if item.reason:
            detail = f"{detail}; {item.reason}" if detail else item.reason
        return ItemResult(
            item.component, item.name, outcome, detail, None, item.source_id, new_id or item.live_id
        )

    async def _do_role(self, item: PlannedItem) -> ItemResult:
        if item.action == Action.CREATE:
            data = await self.http.create_role(self.guild.id, reason=self.reason, **item.payload)
            assert item.source_id is not None
            source = next(r for r in self.snapshot.roles if r.id == item.source_id)
            live = replace(source, id=int(data["id"]), position=int(data.get("position", 1)), managed=False)
            self.planner.record_role(item.source_id, live)
            return self._done(item, Outcome.CREATED, live.id)
        assert item.live_id is not None
        await self.http.edit_role(self.guild.id, item.live_id, reason=self.reason, **item.payload)
        return self._done(item, Outcome.UPDATED)

    async def _do_role_positions(self, item: PlannedItem) -> ItemResult:
        await self.http.move_role_position(self.guild.id, list(item.payload["positions"]), reason=self.reason)
        self.planner.apply_role_positions(item)
        return self._done(item, Outcome.UPDATED)

    async def _do_emoji(self, item: PlannedItem) -> ItemResult:
        payload = item.payload
        roles: list[str | int] = [int(r) for r in payload["roles"]]
        if item.action == Action.CREATE:
            data = await self.http.create_custom_emoji(
                self.guild.id, payload["name"], payload["image"], roles=roles, reason=self.reason
            )
            assert item.source_id is not None and data["id"] is not None
            self.planner.record_emoji(item.source_id, int(data["id"]))
            return self._done(item, Outcome.CREATED, int(data["id"]))
        assert item.live_id is not None
        await self.http.edit_custom_emoji(
            self.guild.id, item.live_id, payload={"name": payload["name"], "roles": roles}, reason=self.reason
        )
        return self._done(item, Outcome.UPDATED)

    async def _do_sticker(self, item: PlannedItem) -> ItemResult:
        fields = {k: item.payload[k] for k in ("name", "description", "tags")}
        if item.action == Action.CREATE:
            image = item.payload["file"]
            name = f"sticker.{_STICKER_FILE_EXT.get(image.content_type, 'png')}"
            file = discord.File(io.BytesIO(image.data), filename=name)
            data = await self.http.create_guild_sticker(self.guild.id, fields, file, self.reason)
            return self._done(item, Outcome.CREATED, int(data["id"]))
        assert item.live_id is not None
        await self.http.modify_guild_sticker(self.guild.id, item.live_id, fields, self.reason)
        return self._done(item, Outcome.UPDATED)

    async def _do_channel(self, item: PlannedItem) -> ItemResult:
        if item.action == Action.CREATE:
            payload = dict(item.payload)
            kind = payload.pop("type")
            data: dict[str, Any] = dict(
                await self.http.create_channel(self.guild.id, kind, reason=self.reason, **payload)
            )
            assert item.source_id is not None
            source = next(c for c in self.snapshot.channels if c.id == item.source_id)
            parent = data.get("parent_id")
            live = replace(
                source,
                id=int(data["id"]),
                position=int(data.get("position", source.position)),
                parent_id=int(parent) if parent else None,
            )
            self.planner.record_channel(item.source_id, live)
            wanted = payload.get("permission_overwrites") or []
            if _overwrite_set(data.get("permission_overwrites") or []) != _overwrite_set(wanted):
                # made inside a category without overwrites of its own, Discord synced it with the category
                await self.http.edit_channel(live.id, reason=self.reason, permission_overwrites=wanted)
            return self._done(item, Outcome.CREATED, live.id)
        assert item.live_id is not None
        await self.http.edit_channel(item.live_id, reason=self.reason, **item.payload)
        return self._done(item, Outcome.UPDATED)

    async def _do_channel_positions(self, item: PlannedItem) -> ItemResult:
        await self.http.bulk_channel_update(
            self.guild.id, list(item.payload["positions"]), reason=self.reason
        )
        self.planner.apply_channel_positions(item)
        return self._done(item, Outcome.UPDATED)

    async def _do_server_settings(self, item: PlannedItem) -> ItemResult:
        await self.http.edit_guild(self.guild.id, reason=self.reason, **item.payload)
        return self._done(item, Outcome.UPDATED)

    async def _do_member(self, item: PlannedItem) -> ItemResult:
        assert item.live_id is not None
        roles: list[Any] = list(item.payload["roles"])
        await self.http.edit_member(self.guild.id, item.live_id, reason=self.reason, roles=roles)
        return self._done(item, Outcome.UPDATED)

    async def _do_bot_settings(self, item: PlannedItem) -> ItemResult:
        id_map = {old: new for old, new in self.planner.id_map.items() if new > 0}
        report = await self.bot.plugins.import_guild_data(
            self.guild.id, {item.name: item.payload["data"]}, id_map
        )
        ok, text = report.get(item.name, (False, "the plugin did not answer"))
        if ok:
            return ItemResult(item.component, item.name, Outcome.UPDATED, text)
        outcome = Outcome.SKIPPED if text.startswith("skipped") else Outcome.FAILED
        return ItemResult(item.component, item.name, outcome, text)
