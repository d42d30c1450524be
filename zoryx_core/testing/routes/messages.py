"""Messages: create, edit, delete, bulk delete, fetch, history, reactions, pins, typing."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ..access import bot_has_channel_permission, require_channel_permission
from ..audit import AuditAction, record_audit
from ..errors import DiscordError, ErrorCode, Forbidden, InvalidFormBody, NotFound
from ..http_utils import Request, RouteSet, read_body, snowflake
from ..models import Channel, ChannelType, Message, iso_now
from ..mutations import (
    attachments_from,
    build_message,
    delete_message,
    emit_channel_event,
    hidden_from_bot,
    post_message,
    publish_message,
    update_message,
)
from ..permissions import P
from ..snowflake import snowflake_time_ms
from ..validation import validate_message_body
from .threads import reopen_for_message

if TYPE_CHECKING:
    from ..server import DiscordEmulator

routes = RouteSet()

BULK_DELETE_MAX_AGE_MS = 14 * 24 * 3600 * 1000


def _message_channel(emu: DiscordEmulator, request: Request) -> Channel:
    channel = emu.state.channel(snowflake(request, "channel_id"))
    if channel.type not in ChannelType.TEXT_TYPES:
        raise DiscordError(400, 50024, "Cannot execute action on this channel type")
    return channel


def _render(emu: DiscordEmulator, message: Message) -> dict[str, Any]:
    return emu.state.message_payload(message, viewer_id=emu.bot_user.id)


@routes.get("/channels/{channel_id}/messages")
async def history(emu: DiscordEmulator, request: Request) -> Any:
    channel = _message_channel(emu, request)
    require_channel_permission(emu, channel, P.VIEW_CHANNEL)
    try:
        limit = int(request.query.get("limit", 50))
    except ValueError:
        raise InvalidFormBody("limit", "NUMBER_TYPE_COERCE", "Value is not int.") from None
    if not 1 <= limit <= 100:
        raise InvalidFormBody("limit", "NUMBER_TYPE_MAX", "int value should be between 1 and 100")
    if not bot_has_channel_permission(emu, channel, P.READ_MESSAGE_HISTORY):
        return []  # Discord: without Read Message History no messages are returned (no error)
    messages = [m for m in emu.state.messages[channel.id].values() if not m.ephemeral]
    if "around" in request.query:
        around = int(request.query["around"])
        # Discord answers limit // 2 messages on each side plus the target itself (limit 100 gives 101)
        half = limit // 2
        older = [m for m in messages if m.id < around][-half:] if half else []
        target = [m for m in messages if m.id == around]
        newer = [m for m in messages if m.id > around][:half]
        selected = older + target + newer
    elif "after" in request.query:
        after = int(request.query["after"])
        selected = [m for m in messages if m.id > after][:limit]
    else:
        before = int(request.query.get("before", 1 << 63))
        selected = [m for m in messages if m.id < before][-limit:]
    return [_render(emu, m) for m in reversed(selected)]


@routes.post("/channels/{channel_id}/messages")
async def create_message(emu: DiscordEmulator, request: Request) -> Any:
    channel = _message_channel(emu, request)
    body, files = await read_body(request)
    needed = P.VIEW_CHANNEL | P.SEND_MESSAGES | (P.ATTACH_FILES if files else 0)
    require_channel_permission(emu, channel, needed)
    validate_message_body(body, has_files=bool(files))
    if channel.type == ChannelType.DM:
        _require_dm_reachable(emu, channel)
    elif channel.thread is not None:
        reopen_for_message(emu, channel, emu.bot_user.id)
    reference = body.get("message_reference")
    if reference and reference.get("message_id") and reference.get("fail_if_not_exists", True):
        emu.state.message(int(reference.get("channel_id") or channel.id), int(reference["message_id"]))
    return publish_message(emu, build_message(emu, channel, emu.bot_user.id, body, files))


def _require_dm_reachable(emu: DiscordEmulator, channel: Channel) -> None:
    """Discord's 50007: a bot can DM only users that share a guild with it, and never another bot."""
    for user_id in channel.recipient_ids:
        recipient = emu.state.users.get(user_id)
        shares_guild = any(
            user_id in g.members and emu.bot_user.id in g.members for g in emu.state.guilds.values()
        )
        if recipient is None or recipient.bot or not shares_guild:
            raise DiscordError(403, 50007, "Cannot send messages to this user")


@routes.get("/channels/{channel_id}/messages/pins")
async def list_pins(emu: DiscordEmulator, request: Request) -> Any:
    channel = _message_channel(emu, request)
    require_channel_permission(emu, channel, P.VIEW_CHANNEL)
    readable = bot_has_channel_permission(emu, channel, P.READ_MESSAGE_HISTORY)  # else no pins are returned
    pinned = [m for m in reversed(emu.state.messages[channel.id].values()) if m.pinned and readable]
    return {
        "items": [{"pinned_at": iso_now(), "message": _render(emu, m)} for m in pinned],
        "has_more": False,
    }


async def _set_pinned(emu: DiscordEmulator, request: Request, pinned: bool) -> None:
    channel = _message_channel(emu, request)
    require_channel_permission(emu, channel, P.VIEW_CHANNEL | P.MANAGE_MESSAGES)
    message = emu.state.message(channel.id, snowflake(request, "message_id"))
    if message.pinned == pinned:
        return
    message.pinned = pinned
    update_message(emu, message)
    if channel.guild_id is not None:
        action = AuditAction.MESSAGE_PIN if pinned else AuditAction.MESSAGE_UNPIN
        options = {"channel_id": channel.id, "message_id": message.id}
        guild = emu.state.guilds[channel.guild_id]
        record_audit(emu, guild, action, message.author_id, request=request, options=options)
    pins: dict[str, Any] = {"channel_id": str(channel.id), "last_pin_timestamp": None}
    if channel.guild_id is not None:
        pins["guild_id"] = str(channel.guild_id)
    if any(m.pinned for m in emu.state.messages[channel.id].values()):
        pins["last_pin_timestamp"] = iso_now()
    emu.dispatch("CHANNEL_PINS_UPDATE", pins, guild_id=channel.guild_id)
    if pinned:  # Discord posts "<user> pinned a message to this channel." (type 6) pointing at the message
        reference: dict[str, Any] = {"type": 0, "channel_id": str(channel.id), "message_id": str(message.id)}
        if channel.guild_id is not None:
            reference["guild_id"] = str(channel.guild_id)
        post_message(
            emu,
            Message(
                id=emu.state.ids.next(),
                channel_id=channel.id,
                guild_id=channel.guild_id,
                author_id=emu.bot_user.id,
                type=6,
                message_reference=reference,
            ),
        )


@routes.put("/channels/{channel_id}/messages/pins/{message_id}")
async def pin(emu: DiscordEmulator, request: Request) -> Any:
    await _set_pinned(emu, request, True)


@routes.delete("/channels/{channel_id}/messages/pins/{message_id}")
async def unpin(emu: DiscordEmulator, request: Request) -> Any:
    await _set_pinned(emu, request, False)


@routes.post("/channels/{channel_id}/messages/bulk-delete")
async def bulk_delete(emu: DiscordEmulator, request: Request) -> Any:
    channel = _message_channel(emu, request)
    require_channel_permission(emu, channel, P.VIEW_CHANNEL | P.MANAGE_MESSAGES)
    body, _ = await read_body(request)
    ids = [int(i) for i in body.get("messages") or []]
    if not 2 <= len(ids) <= 100:
        raise InvalidFormBody("messages", "BASE_TYPE_BAD_LENGTH", "Must be between 2 and 100 in length.")
    now_ms = time.time() * 1000
    if any(now_ms - snowflake_time_ms(i) > BULK_DELETE_MAX_AGE_MS for i in ids):
        raise DiscordError(
            400,
            ErrorCode.BULK_DELETE_TOO_OLD,
            "You can only bulk delete messages that are under 14 days old.",
        )
    deleted = []
    for message_id in ids:
        if emu.state.messages[channel.id].pop(message_id, None) is not None:
            deleted.append(str(message_id))
    emit_channel_event(emu, "MESSAGE_DELETE_BULK", channel.id, channel.guild_id, ids=deleted)
    if channel.guild_id is not None:
        guild = emu.state.guilds[channel.guild_id]
        options = {"count": len(deleted)}
        record_audit(
            emu, guild, AuditAction.MESSAGE_BULK_DELETE, channel.id, request=request, options=options
        )
    return None


@routes.get("/channels/{channel_id}/messages/{message_id}")
async def get_message(emu: DiscordEmulator, request: Request) -> Any:
    channel = _message_channel(emu, request)
    require_channel_permission(emu, channel, P.VIEW_CHANNEL | P.READ_MESSAGE_HISTORY)
    return _render(emu, emu.state.message(channel.id, snowflake(request, "message_id")))


@routes.patch("/channels/{channel_id}/messages/{message_id}")
async def edit_message(emu: DiscordEmulator, request: Request) -> Any:
    channel = _message_channel(emu, request)
    require_channel_permission(emu, channel, P.VIEW_CHANNEL)
    message = emu.state.message(channel.id, snowflake(request, "message_id"))
    body, files = await read_body(request)
    if message.author_id != emu.bot_user.id:
        raise Forbidden(
            "Cannot edit a message authored by another user", ErrorCode.CANNOT_EDIT_OTHERS_MESSAGE
        )
    validate_message_body(body, has_files=bool(files), editing=True)
    apply_edit(emu, message, body, files)
    update_message(emu, message)
    return _render(emu, message)


def apply_edit(emu: DiscordEmulator, message: Message, body: dict[str, Any], files: list[Any]) -> None:
    """Applies an edit-message body: only the keys present change."""
    if "content" in body:
        message.content = body["content"] or ""
    if "embeds" in body:
        message.embeds = list(body["embeds"] or [])
    if "components" in body:
        message.components = list(body["components"] or [])
    if "flags" in body and body["flags"] is not None:
        message.flags = (message.flags & 64) | int(body["flags"])
    if "attachments" in body or files:
        kept_ids = {str(a.get("id")) for a in body.get("attachments") or []}
        kept = [a for a in message.attachments if str(a.id) in kept_ids]
        message.attachments = kept + attachments_from(emu, files, body.get("attachments") or [])
    message.edited_timestamp = iso_now()


@routes.delete("/channels/{channel_id}/messages/{message_id}")
async def remove_message(emu: DiscordEmulator, request: Request) -> Any:
    channel = _message_channel(emu, request)
    message = emu.state.message(channel.id, snowflake(request, "message_id"))
    if message.author_id != emu.bot_user.id:
        require_channel_permission(emu, channel, P.VIEW_CHANNEL | P.MANAGE_MESSAGES)
    delete_message(emu, message)
    if message.author_id != emu.bot_user.id and channel.guild_id is not None:
        options = {"channel_id": channel.id, "count": 1}
        guild = emu.state.guilds[channel.guild_id]
        record_audit(
            emu, guild, AuditAction.MESSAGE_DELETE, message.author_id, request=request, options=options
        )
    return None


# -- reactions -------------------------------------------------------------------------------------
def _emoji(raw: str) -> tuple[str, dict[str, Any]]:
    """Key and payload for a reaction emoji given as ``name:id`` or a unicode character."""
    parts = raw.split(":")
    if len(parts) >= 2 and parts[-1].isdigit():
        animated = len(parts) == 3 and parts[0] == "a"
        return parts[-1], {"id": parts[-1], "name": parts[-2], "animated": animated}
    return raw, {"id": None, "name": raw}


def add_reaction(emu: DiscordEmulator, message: Message, user_id: int, raw_emoji: str) -> None:
    key, emoji = _emoji(raw_emoji)
    users = message.reactions.setdefault(key, [])
    message.reaction_emojis[key] = emoji
    if user_id in users:
        return
    users.append(user_id)
    if hidden_from_bot(emu, message.channel_id, message.guild_id):
        return
    data: dict[str, Any] = {
        "user_id": str(user_id),
        "channel_id": str(message.channel_id),
        "message_id": str(message.id),
        "emoji": emoji,
        "burst": False,
        "type": 0,
        "message_author_id": str(message.author_id),
    }
    if message.guild_id is not None:
        data["guild_id"] = str(message.guild_id)
        member = emu.state.guilds[message.guild_id].members.get(user_id)
        if member is not None:
            data["member"] = emu.state.member_payload(member)
    emu.dispatch("MESSAGE_REACTION_ADD", data, guild_id=message.guild_id)


def remove_reaction(emu: DiscordEmulator, message: Message, user_id: int, raw_emoji: str) -> None:
    key, emoji = _emoji(raw_emoji)
    users = message.reactions.get(key, [])
    if user_id not in users:
        return
    users.remove(user_id)
    emit_channel_event(
        emu,
        "MESSAGE_REACTION_REMOVE",
        message.channel_id,
        message.guild_id,
        user_id=str(user_id),
        message_id=str(message.id),
        emoji=emoji,
        burst=False,
        type=0,
    )


def _reaction_target(emu: DiscordEmulator, request: Request) -> tuple[Channel, Message]:
    channel = _message_channel(emu, request)
    return channel, emu.state.message(channel.id, snowflake(request, "message_id"))


MAX_REACTIONS = 20  # unique emojis on one message


def _check_reaction_emoji(emu: DiscordEmulator, raw: str) -> None:
    """10014 Unknown Emoji for a custom emoji the bot cannot reach, or a name that is not an emoji at all."""
    key, emoji = _emoji(raw)
    if emoji["id"] is not None:
        guilds = [g for g in emu.state.guilds.values() if emu.bot_user.id in g.members]
        reachable = any(int(key) in g.emojis for g in guilds)
        if not reachable:
            raise NotFound(ErrorCode.UNKNOWN_EMOJI, "Emoji")
    elif not raw or raw.isascii():
        raise NotFound(ErrorCode.UNKNOWN_EMOJI, "Emoji")


@routes.put("/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me")
async def react(emu: DiscordEmulator, request: Request) -> Any:
    channel, message = _reaction_target(emu, request)
    raw = request.match_info["emoji_name"]
    key, _ = _emoji(raw)
    existing = bool(message.reactions.get(key))
    # Joining a reaction already on the message needs no Add Reactions; starting a new one does.
    require_channel_permission(
        emu, channel, P.VIEW_CHANNEL | P.READ_MESSAGE_HISTORY | (0 if existing else P.ADD_REACTIONS)
    )
    _check_reaction_emoji(emu, raw)
    if not existing and sum(1 for users in message.reactions.values() if users) >= MAX_REACTIONS:
        raise DiscordError(
            400, ErrorCode.MAX_REACTIONS, f"Maximum number of reactions reached ({MAX_REACTIONS})"
        )
    add_reaction(emu, message, emu.bot_user.id, raw)
    return None


@routes.delete("/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me")
async def unreact(emu: DiscordEmulator, request: Request) -> Any:
    _, message = _reaction_target(emu, request)
    remove_reaction(emu, message, emu.bot_user.id, request.match_info["emoji_name"])
    return None


@routes.delete("/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/{user_id}")
async def remove_user_reaction(emu: DiscordEmulator, request: Request) -> Any:
    channel, message = _reaction_target(emu, request)
    require_channel_permission(emu, channel, P.VIEW_CHANNEL | P.MANAGE_MESSAGES)
    remove_reaction(emu, message, snowflake(request, "user_id"), request.match_info["emoji_name"])
    return None


@routes.get("/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}")
async def reaction_users(emu: DiscordEmulator, request: Request) -> Any:
    channel, message = _reaction_target(emu, request)
    require_channel_permission(emu, channel, P.VIEW_CHANNEL | P.READ_MESSAGE_HISTORY)
    key, _ = _emoji(request.match_info["emoji_name"])
    limit = int(request.query.get("limit", 25))
    after = int(request.query.get("after", 0))
    users = sorted(u for u in message.reactions.get(key, []) if u > after)[:limit]  # Discord pages by user id
    return [emu.state.users[u].payload() for u in users]


@routes.delete("/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}")
async def clear_emoji(emu: DiscordEmulator, request: Request) -> Any:
    channel, message = _reaction_target(emu, request)
    require_channel_permission(emu, channel, P.VIEW_CHANNEL | P.MANAGE_MESSAGES)
    key, emoji = _emoji(request.match_info["emoji_name"])
    if not message.reactions.pop(key, None):
        return None
    emit_channel_event(
        emu,
        "MESSAGE_REACTION_REMOVE_EMOJI",
        channel.id,
        message.guild_id,
        message_id=str(message.id),
        emoji=emoji,
    )
    return None


@routes.delete("/channels/{channel_id}/messages/{message_id}/reactions")
async def clear_reactions(emu: DiscordEmulator, request: Request) -> Any:
    channel, message = _reaction_target(emu, request)
    require_channel_permission(emu, channel, P.VIEW_CHANNEL | P.MANAGE_MESSAGES)
    had_reactions = any(message.reactions.values())
    message.reactions.clear()
    if had_reactions:
        emit_channel_event(
            emu, "MESSAGE_REACTION_REMOVE_ALL", channel.id, message.guild_id, message_id=str(message.id)
        )
    return None


@routes.post("/channels/{channel_id}/typing")
async def typing(emu: DiscordEmulator, request: Request) -> Any:
    channel = _message_channel(emu, request)
    require_channel_permission(emu, channel, P.VIEW_CHANNEL | P.SEND_MESSAGES)
    return None
