"""Bans (one, bulk), member prune and the audit log."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ..access import require_bot_in_guild, require_guild_permission
from ..audit import AuditAction, audit_reason, record_audit
from ..entities import Ban
from ..errors import DiscordError, ErrorCode, Forbidden, InvalidFormBody, NotFound
from ..http_utils import Request, RouteSet, read_body, snowflake
from ..models import Guild
from ..mutations import emit_channel_event, remove_member
from ..permissions import P
from ..snowflake import snowflake_time_ms
from .members import require_above

if TYPE_CHECKING:
    from ..server import DiscordEmulator

__all__ = ["ban_user", "delete_recent_messages", "routes", "unban_user"]

routes = RouteSet()

MAX_DELETE_SECONDS = 7 * 24 * 3600
MAX_BULK_BAN = 200


def _delete_seconds(body: dict[str, Any]) -> int:
    if body.get("delete_message_seconds") is not None:
        seconds = body["delete_message_seconds"]
    else:
        seconds = int(body.get("delete_message_days") or 0) * 86400
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 <= seconds <= MAX_DELETE_SECONDS:
        raise InvalidFormBody(
            "delete_message_seconds",
            "NUMBER_TYPE_MAX",
            f"int value should be between 0 and {MAX_DELETE_SECONDS}",
        )
    return seconds


def delete_recent_messages(emu: DiscordEmulator, guild: Guild, user_id: int, seconds: int) -> int:
    """Deletes ``user_id``'s messages of the last ``seconds`` in every channel of ``guild``;
    MESSAGE_DELETE_BULK per channel, as Discord sends on a ban. Returns how many went."""
    if seconds <= 0:
        return 0
    oldest_ms = time.time() * 1000 - seconds * 1000
    total = 0
    for channel in emu.state.guild_channels(guild):
        messages = emu.state.messages.get(channel.id)
        if not messages:
            continue
        doomed = [
            m.id
            for m in reversed(messages.values())
            if m.author_id == user_id and snowflake_time_ms(m.id) >= oldest_ms
        ]
        for message_id in doomed:
            del messages[message_id]
        if doomed:
            total += len(doomed)
            emit_channel_event(
                emu, "MESSAGE_DELETE_BULK", channel.id, guild.id, ids=[str(i) for i in reversed(doomed)]
            )
    return total


def ban_user(
    emu: DiscordEmulator,
    guild: Guild,
    user_id: int,
    *,
    reason: str | None = None,
    delete_message_seconds: int = 0,
    by: int | None = None,
) -> None:
    """Bans a user: the member (if any) leaves (GUILD_MEMBER_REMOVE), GUILD_BAN_ADD, recent messages
    deleted, an audit log entry. Banning again only updates nothing, as on Discord."""
    user = emu.state.user(user_id)
    if user_id in guild.bans:
        return
    if user_id in guild.members:
        remove_member(emu, guild, user_id)
    guild.bans[user_id] = Ban(user_id, reason)
    emu.dispatch("GUILD_BAN_ADD", {"guild_id": str(guild.id), "user": user.payload()}, guild_id=guild.id)
    delete_recent_messages(emu, guild, user_id, delete_message_seconds)
    record_audit(emu, guild, AuditAction.MEMBER_BAN_ADD, user_id, user_id=by, reason=reason)


def unban_user(
    emu: DiscordEmulator, guild: Guild, user_id: int, *, reason: str | None = None, by: int | None = None
) -> None:
    if guild.bans.pop(user_id, None) is None:
        raise NotFound(10026, "Ban")
    user = emu.state.user(user_id)
    emu.dispatch("GUILD_BAN_REMOVE", {"guild_id": str(guild.id), "user": user.payload()}, guild_id=guild.id)
    record_audit(emu, guild, AuditAction.MEMBER_BAN_REMOVE, user_id, user_id=by, reason=reason)


def _ban_payload(emu: DiscordEmulator, ban: Ban) -> dict[str, Any]:
    return {"user": emu.state.users[ban.user_id].payload(), "reason": ban.reason}


def _check_bannable(emu: DiscordEmulator, guild: Guild, user_id: int) -> None:
    if user_id == guild.owner_id or user_id == emu.bot_user.id:
        raise Forbidden()
    member = guild.members.get(user_id)
    if member is not None:
        require_above(emu, guild, member)


@routes.get("/guilds/{guild_id}/bans")
async def list_bans(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_guild_permission(emu, guild, P.BAN_MEMBERS)
    limit = int(request.query.get("limit", 1000))
    if not 1 <= limit <= 1000:
        raise InvalidFormBody("limit", "NUMBER_TYPE_MAX", "int value should be between 1 and 1000")
    bans = sorted(guild.bans.values(), key=lambda b: b.user_id)
    if "before" in request.query:
        before = int(request.query["before"])
        bans = [b for b in bans if b.user_id < before][-limit:]
    else:
        after = int(request.query.get("after", 0))
        bans = [b for b in bans if b.user_id > after][:limit]
    return [_ban_payload(emu, b) for b in bans]


@routes.get("/guilds/{guild_id}/bans/{user_id}")
async def get_ban(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_guild_permission(emu, guild, P.BAN_MEMBERS)
    ban = guild.bans.get(snowflake(request, "user_id"))
    if ban is None:
        raise NotFound(10026, "Ban")
    return _ban_payload(emu, ban)


@routes.put("/guilds/{guild_id}/bans/{user_id}")
async def put_ban(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_guild_permission(emu, guild, P.BAN_MEMBERS)
    user_id = snowflake(request, "user_id")
    emu.state.user(user_id)
    body, _ = await read_body(request)
    query = {k: int(v) for k, v in request.query.items() if k.startswith("delete_message_") and v.isdigit()}
    seconds = _delete_seconds({**query, **body})  # discord.py sends it in the query string
    _check_bannable(emu, guild, user_id)
    ban_user(emu, guild, user_id, reason=audit_reason(request), delete_message_seconds=seconds)
    return None


@routes.delete("/guilds/{guild_id}/bans/{user_id}")
async def delete_ban(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_guild_permission(emu, guild, P.BAN_MEMBERS)
    unban_user(emu, guild, snowflake(request, "user_id"), reason=audit_reason(request))
    return None


@routes.post("/guilds/{guild_id}/bulk-ban")
async def bulk_ban(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_guild_permission(emu, guild, P.BAN_MEMBERS | P.MANAGE_GUILD)
    body, _ = await read_body(request)
    user_ids = [int(u) for u in body.get("user_ids") or []]
    if not 1 <= len(user_ids) <= MAX_BULK_BAN:
        raise InvalidFormBody(
            "user_ids", "BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {MAX_BULK_BAN} in length."
        )
    seconds = _delete_seconds(body)
    banned, failed = [], []
    for user_id in dict.fromkeys(user_ids):
        try:
            _check_bannable(emu, guild, user_id)
            if user_id not in emu.state.users or user_id in guild.bans:
                raise NotFound(ErrorCode.UNKNOWN_USER, "User")
        except DiscordError:
            failed.append(str(user_id))
            continue
        ban_user(emu, guild, user_id, reason=audit_reason(request), delete_message_seconds=seconds)
        banned.append(str(user_id))
    if not banned:
        raise DiscordError(400, 500000, "Failed to ban users")
    return {"banned_users": banned, "failed_users": failed}


# -- prune ----------------------------------------------------------------------------------------
def _prunable(emu: DiscordEmulator, guild: Guild, request: Request, body: dict[str, Any]) -> list[int]:
    """Members Discord would prune: no roles (or only the roles named in ``include_roles``), never
    the owner or the bot. The emulator does not track activity, so ``days`` (1-30) only is checked."""
    raw_days = body.get("days", request.query.get("days", 7))
    days = int(raw_days)
    if not 1 <= days <= 30:
        raise InvalidFormBody("days", "NUMBER_TYPE_MAX", "int value should be between 1 and 30")
    raw_roles = body.get("include_roles", request.query.get("include_roles", ""))
    if isinstance(raw_roles, str):
        raw_roles = [r for r in raw_roles.split(",") if r]
    included = {int(r) for r in raw_roles}
    return [
        m.user_id
        for m in guild.members.values()
        if m.user_id not in (guild.owner_id, emu.bot_user.id) and set(m.roles) <= included
    ]


@routes.get("/guilds/{guild_id}/prune")
async def prune_count(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_guild_permission(emu, guild, P.KICK_MEMBERS | P.MANAGE_GUILD)
    return {"pruned": len(_prunable(emu, guild, request, {}))}


@routes.post("/guilds/{guild_id}/prune")
async def prune(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_guild_permission(emu, guild, P.KICK_MEMBERS | P.MANAGE_GUILD)
    body, _ = await read_body(request)
    doomed = _prunable(emu, guild, request, body)
    for user_id in doomed:
        remove_member(emu, guild, user_id)
    record_audit(
        emu,
        guild,
        AuditAction.MEMBER_PRUNE,
        None,
        request=request,
        options={"delete_member_days": body.get("days", 7), "members_removed": len(doomed)},
    )
    return {"pruned": len(doomed) if body.get("compute_prune_count", True) else None}


# -- the audit log --------------------------------------------------------------------------------
@routes.get("/guilds/{guild_id}/audit-logs")
async def audit_log(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_bot_in_guild(emu, guild)
    require_guild_permission(emu, guild, P.VIEW_AUDIT_LOG)
    query = request.query
    limit = int(query.get("limit", 50))
    if not 1 <= limit <= 100:
        raise InvalidFormBody("limit", "NUMBER_TYPE_MAX", "int value should be between 1 and 100")
    entries = guild.audit_log
    if query.get("user_id"):
        user_id = int(query["user_id"])
        entries = [e for e in entries if e.user_id == user_id]
    if query.get("action_type"):
        action = int(query["action_type"])
        entries = [e for e in entries if e.action_type == action]
    if query.get("before"):
        before = int(query["before"])
        entries = [e for e in entries if e.id < before]
    if query.get("after"):
        # with ``after`` Discord answers oldest first; otherwise newest first
        after = int(query["after"])
        selected = [e for e in entries if e.id > after][:limit]
    else:
        selected = list(reversed(entries))[:limit]
    user_ids = {e.user_id for e in selected if e.user_id is not None}
    user_ids |= {e.target_id for e in selected if e.target_id in emu.state.users}
    webhook_ids = {e.target_id for e in selected if e.target_id in emu.state.webhooks}
    threads = [emu.state.channels[e.target_id] for e in selected if e.target_id in emu.state.channels]
    return {
        "audit_log_entries": [e.payload() for e in selected],
        "users": [emu.state.users[u].payload() for u in sorted(user_ids) if u in emu.state.users],
        "webhooks": [
            emu.state.webhooks[w].payload(emu.state.users, emu.base_url, with_token=False)
            for w in sorted(webhook_ids)
        ],
        "threads": [t.payload() for t in threads if t.thread is not None],
        "integrations": [],
        "application_commands": [],
        "auto_moderation_rules": [r.payload() for r in guild.automod_rules.values()],
        "guild_scheduled_events": [],
    }
