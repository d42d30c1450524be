"""Keeping Discord's copy of the application commands in step with the bot's command tree.

At start-up, and a moment after plugins are loaded, unloaded or reloaded (hot reload included),
each scope (global, or one server) is synced when its commands differ from what was last synced
recorded in the bot's storage. The comparison is by a fingerprint of the commands' JSON, so a restart with
the same commands sends nothing: Discord limits how many commands a bot may create a day. A sync
that fails is logged as a warning saying what to do, never silently skipped.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import discord

if TYPE_CHECKING:
    from .bot import ZoryxBot

__all__ = ["NAMESPACE", "CommandSync", "SyncResult"]

log = logging.getLogger("zoryx.sync")

NAMESPACE = "core.sync"
"""The global documents holding, per application, the fingerprint of each scope's last sync."""
GLOBAL = "global"


@dataclass(frozen=True)
class SyncResult:
    """What one scope's sync did: ``synced`` (commands sent), ``unchanged`` or ``failed``."""

    scope: str
    outcome: str
    commands: int
    detail: str = ""


class CommandSync:
    """Syncs the bot's application commands when they changed (``bot.command_sync``)."""

    def __init__(self, bot: ZoryxBot, *, enabled: bool, debounce: float) -> None:
        self.bot = bot
        self.enabled = enabled
        self.debounce = debounce
        self.guild_scopes: set[int] = set()
        """Servers that have (or had) commands of their own in the tree."""
        self.last_results: list[SyncResult] = []
        self.pending_failure: str | None = None
        """Why the commands on Discord may differ from the bot's, until a sync succeeds."""
        self._timer: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._started = False
        self._stopped = False

    # --- fingerprints --------------------------------------------------------------------------

    def fingerprint(self, guild_id: int | None) -> tuple[str, int]:
        """A digest of the commands the tree would sync for one scope, and how many there are."""
        tree = self.bot.tree
        scope = discord.Object(id=guild_id) if guild_id is not None else None
        payloads = [command.to_dict(tree) for command in tree.get_commands(guild=scope)]
        payloads.sort(key=lambda p: (int(p.get("type", 1)), str(p.get("name"))))
        text = json.dumps(payloads, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest(), len(payloads)

    async def _stored(self) -> dict[str, str]:
        found = await self.bot.storage.get(NAMESPACE, str(self.bot.application_id), {})
        return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}

    async def _store(self, fingerprints: dict[str, str]) -> None:
        await self.bot.storage.set(NAMESPACE, str(self.bot.application_id), fingerprints)

    # --- syncing -------------------------------------------------------------------------------

    def scopes(self) -> list[int | None]:
        return [None, *sorted(self.guild_scopes)]

    async def sync_changed(self, reason: str, *, force: bool = False) -> list[SyncResult]:
        """Sync every scope whose commands differ from the last sync (all of them with ``force``)."""
        if self.bot.application_id is None:
            return []
        async with self._lock:
            stored = await self._stored()
            results = [await self._sync_scope(guild_id, stored, reason, force) for guild_id in self.scopes()]
            await self._store(stored)
        self._started = True
        self.last_results = results
        failures = [r for r in results if r.outcome == "failed"]
        self.pending_failure = "; ".join(f"{r.scope}: {r.detail}" for r in failures) or None
        return results

    async def _sync_scope(
        self, guild_id: int | None, stored: dict[str, str], reason: str, force: bool
    ) -> SyncResult:
        key = GLOBAL if guild_id is None else str(guild_id)
        digest, count = self.fingerprint(guild_id)
        if not force and stored.get(key) == digest:
            return SyncResult(key, "unchanged", count)
        try:
            synced = await self.bot.tree.sync(guild=discord.Object(id=guild_id) if guild_id else None)
        except discord.HTTPException as error:
            detail = _failure_text(error, guild_id)
            log.warning("application commands (%s) not synced after %s: %s", key, reason, detail)
            stored.pop(key, None)
            return SyncResult(key, "failed", count, detail)
        stored[key] = digest
        log.info("synced %d application commands (%s) after %s", len(synced), key, reason)
        return SyncResult(key, "synced", len(synced))

    async def report_unsynced(self) -> list[str]:
        """With syncing off: warn about each scope whose commands differ from the last sync."""
        if self.bot.application_id is None:
            return []
        stored = await self._stored()
        changed = [
            GLOBAL if g is None else str(g)
            for g in self.scopes()
            if stored.get(GLOBAL if g is None else str(g)) != self.fingerprint(g)[0]
        ]
        if changed:
            self.pending_failure = f"commands changed since the last sync ({', '.join(changed)})"
            log.warning(
                "application commands differ from the last sync (%s) and commands.auto_sync is off: "
                "run `sync` so that Discord shows them",
                ", ".join(changed),
            )
        return changed

    def summary(self) -> str | None:
        """One line for the start-up panel: what the last sync did, or why commands may be missing."""
        if self.pending_failure:
            return f"slash commands not synced: {self.pending_failure}"
        synced = [r for r in self.last_results if r.outcome == "synced"]
        if synced:
            return "slash commands synced: " + ", ".join(f"{r.commands} ({r.scope})" for r in synced)
        if self.last_results:
            return "slash commands unchanged since the last sync"
        return None

    def schedule(self, reason: str) -> None:
        """Sync what changed ``debounce`` seconds from now; a later call starts the wait again, so
        a burst of loads and reloads costs one sync."""
        if not self.enabled or not self._started or self._stopped or self.bot.is_closed():
            return  # the start-up sync covers what start-up loads
        if self._timer is not None and not self._timer.done():
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().create_task(self._after_delay(reason), name="zoryx:sync")

    async def _after_delay(self, reason: str) -> None:
        await asyncio.sleep(self.debounce)
        try:
            await self.sync_changed(reason)
        except Exception:
            log.exception("syncing application commands after %s failed", reason)

    async def stop(self) -> None:
        """No more syncing (the bot is shutting down)."""
        self._stopped = True
        if self._timer is not None and not self._timer.done():
            self._timer.cancel()

    def note_scopes(self, guild_ids: Iterable[int | None]) -> None:
        """Remember servers that get commands of their own, so their scope is synced too."""
        self.guild_scopes.update(g for g in guild_ids if g is not None)


def _failure_text(error: discord.HTTPException, guild_id: int | None) -> str:
    if error.status == 429:
        return "Discord's rate limit for creating commands was reached (200 a day); try `sync` tomorrow"
    if error.status == 403 and guild_id is not None:
        return (
            "the bot may not create commands in that server: invite it with the applications.commands "
            "scope, then run `sync guild` there"
        )
    return f"Discord answered {error.status}: {error.text or error}; run `sync` to try again"
