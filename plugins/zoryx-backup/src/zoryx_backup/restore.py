"""Running a restore against Discord, phase by phase, with per-item results.

Every request goes through discord.py's HTTP client (``bot.http``), which paces requests from
Discord's rate-limit headers and retries 429 answers. Requests go to discord.py's HTTP layer
directly because its models offer no bulk channel-position call and because the snapshot already
holds Discord's own field names. A request that still fails transiently (a 429 that outlasted
discord.py's tries, a 5xx, a dropped connection, a timeout) is tried again within the
:class:`RetryPolicy` (see :mod:`.retry`); a create that failed in a way Discord may have carried
out is looked for before it is sent again, so it is never made twice. A refused item is reported
with Discord's status, code and message, and the restore goes on with the next one.
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import discord

from .capture import capture_guild
from .models import Snapshot
from .options import Component, ProgressCallback, RestoreOptions
from .planner import Action, GuildState, PlannedItem, RestorePlanner
from .report import DiscordFailure, ItemResult, Outcome, RestoreReport
from .retry import RetryPolicy, is_ambiguous

if TYPE_CHECKING:
    from zoryx_core import ZoryxBot

__all__ = ["RestoreRunner", "read_guild_state"]

log = logging.getLogger("zoryx.plugin.zoryx-backup.restore")

_STICKER_FILE_EXT = {"image/png": "png", "image/gif": "gif", "application/json": "json"}

T = TypeVar("T")
Found = Callable[[], Awaitable[dict[str, Any] | None]]


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
        retry: RetryPolicy | None = None,
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
        self.retry = retry or RetryPolicy()
        self.results: list[ItemResult] = []
        self._retries: dict[int, int] = {}
        """Requests sent again, per item (by ``id``)."""
        self._known_ids: set[int] = {
            thing.id
            for group in (state.roles, state.channels, state.emojis, state.stickers)
            for thing in group
        }
        """Ids of objects that are not to be taken for a create's result: those there at the start
        and those the restore made."""

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
        self._retries[id(item)] = 0  # (an id is unique only while its item lives: reset it)
        try:
            result = await handler(item)
        except discord.HTTPException as exc:
            failure = DiscordFailure(exc.status, exc.code, exc.text or str(exc))
            return self._failed(item, str(failure), failure)
        except Exception as exc:  # a network error after every retry, a bad value...
            log.warning("restoring %s %r failed", item.component.value, item.name, exc_info=True)
            return self._failed(item, f"{type(exc).__name__}: {exc}", None)
        finally:
            retries = self._retries.pop(id(item), 0)
        return replace(result, retries=retries) if retries else result

    def _failed(self, item: PlannedItem, detail: str, failure: DiscordFailure | None) -> ItemResult:
        retries = self._retries.get(id(item), 0)  # (read before _attempt's finally clause drops it)
        if retries:
            detail = f"{detail} (still failing after {retries} {'retry' if retries == 1 else 'retries'})"
        return ItemResult(
            item.component, item.name, Outcome.FAILED, detail, failure, item.source_id, retries=retries
        )

    async def _request(
        self, item: PlannedItem, call: Callable[[], Awaitable[T]], *, created: Found | None = None
    ) -> T | dict[str, Any]:
        """Send one request for ``item``, again after a transient failure within the retry
        policy. For a create, ``created`` looks for what it would have made: after a failure that
        Discord may have carried out, that is checked before the request is sent again."""
        policy = self.retry
        started = time.monotonic()
        tries = 0
        look_first = False
        while True:
            tries += 1
            try:
                if look_first and created is not None:
                    found = await created()
                    if found is not None:
                        log.info("%s %r was created although its request failed", item.component, item.name)
                        return found
                    look_first = False
                return await call()
            except Exception as exc:
                wait = policy.wait(exc, tries)
                if (
                    wait is None
                    or tries >= policy.attempts
                    or time.monotonic() - started + wait > policy.total_seconds
                ):
                    raise
                self._retries[id(item)] = self._retries.get(id(item), 0) + 1
                look_first = look_first or (created is not None and is_ambiguous(exc))
                log.info(
                    "restoring %s %r: %s; trying again in %.2f s (try %d of %d)",
                    item.component.value,
                    item.name,
                    _short(exc),
                    wait,
                    tries + 1,
                    policy.attempts,
                )
                await asyncio.sleep(wait)

    def _new_object(self, listing: Callable[[], Awaitable[Any]], **wanted: Any) -> Found:
        """A look-up of an object the restore did not know of whose fields equal ``wanted``."""

        async def find() -> dict[str, Any] | None:
            for entry in await listing():
                if int(entry["id"]) in self._known_ids:
                    continue
                if all(_same_id_or_value(entry.get(key), value) for key, value in wanted.items()):
                    return dict(entry)
            return None

        return find

    def _done(self, item: PlannedItem, outcome: Outcome, new_id: int | None = None) -> ItemResult:
        detail = ", ".join(item.changes)
        if item.reason:
            detail = f"{detail}; {item.reason}" if detail else item.reason
        return ItemResult(
            item.component, item.name, outcome, detail, None, item.source_id, new_id or item.live_id
        )

    async def _do_role(self, item: PlannedItem) -> ItemResult:
        if item.action == Action.CREATE:
            data = await self._request(
                item,
                lambda: self.http.create_role(self.guild.id, reason=self.reason, **item.payload),
                created=self._new_object(
                    lambda: self.http.get_roles(self.guild.id), name=item.payload["name"]
                ),
            )
            self._known_ids.add(int(data["id"]))
            assert item.source_id is not None
            source = next(r for r in self.snapshot.roles if r.id == item.source_id)
            live = replace(source, id=int(data["id"]), position=int(data.get("position", 1)), managed=False)
            self.planner.record_role(item.source_id, live)
            return self._done(item, Outcome.CREATED, live.id)
        live_id = item.live_id
        assert live_id is not None
        await self._request(
            item, lambda: self.http.edit_role(self.guild.id, live_id, reason=self.reason, **item.payload)
        )
        return self._done(item, Outcome.UPDATED)

    async def _do_role_positions(self, item: PlannedItem) -> ItemResult:
        positions = list(item.payload["positions"])
        await self._request(
            item, lambda: self.http.move_role_position(self.guild.id, positions, reason=self.reason)
        )
        self.planner.apply_role_positions(item)
        return self._done(item, Outcome.UPDATED)

    async def _do_emoji(self, item: PlannedItem) -> ItemResult:
        payload = item.payload
        roles: list[str | int] = [int(r) for r in payload["roles"]]
        if item.action == Action.CREATE:
            data = await self._request(
                item,
                lambda: self.http.create_custom_emoji(
                    self.guild.id, payload["name"], payload["image"], roles=roles, reason=self.reason
                ),
                created=self._new_object(
                    lambda: self.http.get_all_custom_emojis(self.guild.id), name=payload["name"]
                ),
            )
            assert item.source_id is not None and data["id"] is not None
            self._known_ids.add(int(data["id"]))
            self.planner.record_emoji(item.source_id, int(data["id"]))
            return self._done(item, Outcome.CREATED, int(data["id"]))
        live_id = item.live_id
        assert live_id is not None
        await self._request(
            item,
            lambda: self.http.edit_custom_emoji(
                self.guild.id, live_id, payload={"name": payload["name"], "roles": roles}, reason=self.reason
            ),
        )
        return self._done(item, Outcome.UPDATED)

    async def _do_sticker(self, item: PlannedItem) -> ItemResult:
        fields = {k: item.payload[k] for k in ("name", "description", "tags")}
        if item.action == Action.CREATE:
            image = item.payload["file"]
            name = f"sticker.{_STICKER_FILE_EXT.get(image.content_type, 'png')}"

            def create() -> Awaitable[Any]:  # a fresh file for every try
                file = discord.File(io.BytesIO(image.data), filename=name)
                return self.http.create_guild_sticker(self.guild.id, fields, file, self.reason)

            data = await self._request(
                item,
                create,
                created=self._new_object(
                    lambda: self.http.get_all_guild_stickers(self.guild.id), name=fields["name"]
                ),
            )
            self._known_ids.add(int(data["id"]))
            return self._done(item, Outcome.CREATED, int(data["id"]))
        live_id = item.live_id
        assert live_id is not None
        await self._request(
            item, lambda: self.http.modify_guild_sticker(self.guild.id, live_id, fields, self.reason)
        )
        return self._done(item, Outcome.UPDATED)

    async def _do_channel(self, item: PlannedItem) -> ItemResult:
        if item.action == Action.CREATE:
            payload = dict(item.payload)
            kind = payload.pop("type")
            data: dict[str, Any] = dict(
                await self._request(
                    item,
                    lambda: self.http.create_channel(self.guild.id, kind, reason=self.reason, **payload),
                    created=self._new_object(
                        lambda: self.http.get_all_guild_channels(self.guild.id),
                        name=payload["name"],
                        type=kind,
                        parent_id=payload.get("parent_id"),
                    ),
                )
            )
            self._known_ids.add(int(data["id"]))
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
                await self._request(
                    item,
                    lambda: self.http.edit_channel(live.id, reason=self.reason, permission_overwrites=wanted),
                )
            return self._done(item, Outcome.CREATED, live.id)
        live_id = item.live_id
        assert live_id is not None
        await self._request(item, lambda: self.http.edit_channel(live_id, reason=self.reason, **item.payload))
        return self._done(item, Outcome.UPDATED)

    async def _do_channel_positions(self, item: PlannedItem) -> ItemResult:
        positions = list(item.payload["positions"])
        await self._request(
            item, lambda: self.http.bulk_channel_update(self.guild.id, positions, reason=self.reason)
        )
        self.planner.apply_channel_positions(item)
        return self._done(item, Outcome.UPDATED)

    async def _do_server_settings(self, item: PlannedItem) -> ItemResult:
        await self._request(
            item, lambda: self.http.edit_guild(self.guild.id, reason=self.reason, **item.payload)
        )
        return self._done(item, Outcome.UPDATED)

    async def _do_member(self, item: PlannedItem) -> ItemResult:
        live_id = item.live_id
        assert live_id is not None
        roles: list[Any] = list(item.payload["roles"])
        await self._request(
            item, lambda: self.http.edit_member(self.guild.id, live_id, reason=self.reason, roles=roles)
        )
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


def _same_id_or_value(found: Any, wanted: Any) -> bool:
    """Field equality where Discord answers ids as strings and the request held them as ids."""
    if wanted is None or found is None:
        return wanted is None and found is None
    return str(found) == str(wanted)


def _short(error: BaseException) -> str:
    if isinstance(error, discord.HTTPException):
        return f"{error.status} {error.text or type(error).__name__}".strip()
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
