"""The guild audit log: entries written by the emulator's own mutations, with the request's reason."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from .entities import AuditLogEntry
from .models import Guild
from .permissions import P, guild_permissions

if TYPE_CHECKING:
    from .http_utils import Request
    from .server import DiscordEmulator

__all__ = ["AuditAction", "audit_reason", "change", "record_audit"]


class AuditAction:
    """Discord's audit log event numbers for what the emulator records."""

    GUILD_UPDATE = 1
    CHANNEL_CREATE = 10
    CHANNEL_UPDATE = 11
    CHANNEL_DELETE = 12
    CHANNEL_OVERWRITE_CREATE = 13
    CHANNEL_OVERWRITE_UPDATE = 14
    CHANNEL_OVERWRITE_DELETE = 15
    MEMBER_KICK = 20
    MEMBER_PRUNE = 21
    MEMBER_BAN_ADD = 22
    MEMBER_BAN_REMOVE = 23
    MEMBER_UPDATE = 24
    MEMBER_ROLE_UPDATE = 25
    MEMBER_MOVE = 26
    MEMBER_DISCONNECT = 27
    ROLE_CREATE = 30
    ROLE_UPDATE = 31
    ROLE_DELETE = 32
    INVITE_CREATE = 40
    INVITE_DELETE = 42
    WEBHOOK_CREATE = 50
    WEBHOOK_UPDATE = 51
    WEBHOOK_DELETE = 52
    EMOJI_CREATE = 60
    EMOJI_UPDATE = 61
    EMOJI_DELETE = 62
    MESSAGE_DELETE = 72
    MESSAGE_BULK_DELETE = 73
    MESSAGE_PIN = 74
    MESSAGE_UNPIN = 75
    STICKER_CREATE = 90
    STICKER_UPDATE = 91
    STICKER_DELETE = 92
    GUILD_SCHEDULED_EVENT_CREATE = 100
    GUILD_SCHEDULED_EVENT_UPDATE = 101
    GUILD_SCHEDULED_EVENT_DELETE = 102
    THREAD_CREATE = 110
    THREAD_UPDATE = 111
    THREAD_DELETE = 112
    AUTO_MODERATION_RULE_CREATE = 140
    AUTO_MODERATION_RULE_UPDATE = 141
    AUTO_MODERATION_RULE_DELETE = 142
    AUTO_MODERATION_BLOCK_MESSAGE = 143


def audit_reason(request: Request | None) -> str | None:
    """The ``X-Audit-Log-Reason`` header, URL-decoded as discord.py encodes it."""
    if request is None:
        return None
    raw = request.headers.get("X-Audit-Log-Reason")
    return unquote(raw) if raw else None


def change(key: str, old: Any, new: Any) -> dict[str, Any]:
    """One entry of an audit log entry's ``changes`` (a missing side is left out, as Discord does)."""
    data: dict[str, Any] = {"key": key}
    if old is not None:
        data["old_value"] = old
    if new is not None:
        data["new_value"] = new
    return data


def record_audit(
    emu: DiscordEmulator,
    guild: Guild,
    action: int,
    target_id: int | None,
    *,
    request: Request | None = None,
    user_id: int | None = None,
    reason: str | None = None,
    changes: list[dict[str, Any]] | None = None,
    options: dict[str, Any] | None = None,
) -> AuditLogEntry:
    """Appends an entry (by the bot unless ``user_id`` says otherwise) and sends
    GUILD_AUDIT_LOG_ENTRY_CREATE to bots with the moderation intent."""
    entry = AuditLogEntry(
        id=emu.state.ids.next(),
        guild_id=guild.id,
        action_type=action,
        user_id=user_id if user_id is not None else emu.bot_user.id,
        target_id=target_id,
        reason=reason if reason is not None else audit_reason(request),
        changes=changes or [],
        options={k: str(v) for k, v in options.items()} if options else None,
    )
    guild.audit_log.append(entry)
    if guild_permissions(guild, emu.bot_user.id) & P.VIEW_AUDIT_LOG:  # Discord's condition for sending it
        data = entry.payload() | {"guild_id": str(guild.id)}
        emu.dispatch("GUILD_AUDIT_LOG_ENTRY_CREATE", data, guild_id=guild.id)
    return entry
