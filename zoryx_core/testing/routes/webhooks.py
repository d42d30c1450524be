"""Webhooks: create, list, get, modify, delete, execute (``wait``, ``thread_id``), webhook messages;
channel following and crossposting (follower webhooks). WEBHOOKS_UPDATE on every change."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from ..access import require_channel_permission, require_guild_permission
from ..audit import AuditAction, change, record_audit
from ..entities import Webhook
from ..errors import DiscordError, ErrorCode, InvalidFormBody, NotFound
from ..http_utils import Request, RouteSet, read_body, snowflake
from ..models import Channel, ChannelType, Message, User
from ..mutations import build_message, delete_message, publish_message, update_message
from ..permissions import P
from ..validation import validate_message_body
from .guilds import decode_image, image_hash
from .messages import apply_edit
from .threads import create_thread

if TYPE_CHECKING:
    from ..server import DiscordEmulator

__all__ = [
    "create_webhook",
    "execute_route",
    "execute_webhook",
    "is_real_webhook",
    "routes",
    "webhook_message_route",
]

routes = RouteSet()

MAX_WEBHOOKS_PER_CHANNEL = 15
WEBHOOK_CHANNEL_TYPES = frozenset(
    {
        ChannelType.GUILD_TEXT,
        ChannelType.GUILD_ANNOUNCEMENT,
        ChannelType.GUILD_VOICE,
        ChannelType.GUILD_FORUM,
        ChannelType.GUILD_MEDIA,
        ChannelType.GUILD_STAGE_VOICE,
    }
)


def _render(emu: DiscordEmulator, webhook: Webhook, *, with_token: bool = True) -> dict[str, Any]:
    return webhook.payload(emu.state.users, emu.base_url, with_token=with_token)


def _emit_update(emu: DiscordEmulator, webhook: Webhook) -> None:
    emu.dispatch(
        "WEBHOOKS_UPDATE",
        {"guild_id": str(webhook.guild_id), "channel_id": str(webhook.channel_id)},
        guild_id=webhook.guild_id,
    )


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not 1 <= len(name) <= 80:
        raise InvalidFormBody("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 80 in length.")
    if "clyde" in name.lower() or "discord" in name.lower():
        raise InvalidFormBody("name", "WEBHOOK_INVALID_NAME", f"Webhook names cannot contain {name!r}")
    return name


def create_webhook(
    emu: DiscordEmulator,
    channel: Channel,
    name: str,
    creator_id: int,
    *,
    type: int = 1,
    source_channel_id: int | None = None,
) -> Webhook:
    """A webhook in ``channel``, with a user of its own that authors its messages; WEBHOOKS_UPDATE."""
    assert channel.guild_id is not None
    webhook = Webhook(
        id=emu.state.ids.next(),
        channel_id=channel.id,
        guild_id=channel.guild_id,
        name=name,
        token=secrets.token_urlsafe(48),
        creator_id=creator_id,
        type=type,
        source_channel_id=source_channel_id,
    )
    emu.state.webhooks[webhook.id] = webhook
    emu.state.users[webhook.id] = User(id=webhook.id, username=name, bot=True)
    _emit_update(emu, webhook)
    return webhook


def _by_id(emu: DiscordEmulator, request: Request) -> Webhook:
    webhook = emu.state.webhooks.get(snowflake(request, "webhook_id"))
    if webhook is None:
        raise NotFound(ErrorCode.UNKNOWN_WEBHOOK, "Webhook")
    return webhook


def _by_token(emu: DiscordEmulator, request: Request) -> Webhook:
    webhook = _by_id(emu, request)
    if not secrets.compare_digest(webhook.token, request.match_info["webhook_token"]):
        raise DiscordError(401, 50027, "Invalid Webhook Token")
    return webhook


@routes.post("/channels/{channel_id}/webhooks")
async def new_webhook(emu: DiscordEmulator, request: Request) -> Any:
    channel = emu.state.channel(snowflake(request, "channel_id"))
    if channel.type not in WEBHOOK_CHANNEL_TYPES:
        raise DiscordError(400, 50024, "Cannot execute action on this channel type")
    require_channel_permission(emu, channel, P.VIEW_CHANNEL | P.MANAGE_WEBHOOKS)
    body, _ = await read_body(request)
    name = _check_name(body.get("name"))
    if sum(1 for w in emu.state.webhooks.values() if w.channel_id == channel.id) >= MAX_WEBHOOKS_PER_CHANNEL:
        raise DiscordError(400, 30007, f"Maximum number of webhooks reached ({MAX_WEBHOOKS_PER_CHANNEL})")
    avatar = (
        image_hash(decode_image(body["avatar"], "avatar", 10 * 1024 * 1024)) if body.get("avatar") else None
    )
    webhook = create_webhook(emu, channel, name, emu.bot_user.id)
    webhook.avatar = avatar
    guild = emu.state.guilds[webhook.guild_id]
    record_audit(
        emu,
        guild,
        AuditAction.WEBHOOK_CREATE,
        webhook.id,
        request=request,
        changes=[change("name", None, name)],
    )
    return _render(emu, webhook)


@routes.get("/channels/{channel_id}/webhooks")
async def channel_webhooks(emu: DiscordEmulator, request: Request) -> Any:
    channel = emu.state.channel(snowflake(request, "channel_id"))
    require_channel_permission(emu, channel, P.VIEW_CHANNEL | P.MANAGE_WEBHOOKS)
    return [_render(emu, w) for w in emu.state.webhooks.values() if w.channel_id == channel.id]


@routes.get("/guilds/{guild_id}/webhooks")
async def guild_webhooks(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_guild_permission(emu, guild, P.MANAGE_WEBHOOKS)
    return [_render(emu, w) for w in emu.state.webhooks.values() if w.guild_id == guild.id]


@routes.get("/webhooks/{webhook_id}")
async def get_webhook(emu: DiscordEmulator, request: Request) -> Any:
    webhook = _by_id(emu, request)
    require_guild_permission(emu, emu.state.guild(webhook.guild_id), P.MANAGE_WEBHOOKS)
    return _render(emu, webhook)


@routes.get("/webhooks/{webhook_id}/{webhook_token}", auth=False)
async def get_webhook_by_token(emu: DiscordEmulator, request: Request) -> Any:
    webhook = _by_token(emu, request)
    data = _render(emu, webhook)
    data.pop("user", None)  # Discord leaves the creator out when asked with the token
    return data


async def _modify(emu: DiscordEmulator, request: Request, webhook: Webhook, *, with_token: bool) -> Any:
    body, _ = await read_body(request)
    changes = []
    name = _check_name(body["name"]) if "name" in body else webhook.name
    channel_id = webhook.channel_id
    if body.get("channel_id") is not None and not with_token:
        channel = emu.state.channel(int(body["channel_id"]))
        if channel.guild_id != webhook.guild_id or channel.type not in WEBHOOK_CHANNEL_TYPES:
            raise InvalidFormBody("channel_id", "CHANNEL_INVALID", "Unknown channel")
        require_channel_permission(emu, channel, P.VIEW_CHANNEL | P.MANAGE_WEBHOOKS)
        channel_id = channel.id
    if "avatar" in body:
        webhook.avatar = (
            image_hash(decode_image(body["avatar"], "avatar", 10 * 1024 * 1024)) if body["avatar"] else None
        )
    if name != webhook.name:
        changes.append(change("name", webhook.name, name))
        webhook.name = name
        emu.state.users[webhook.id].username = name
    if channel_id != webhook.channel_id:
        changes.append(change("channel_id", str(webhook.channel_id), str(channel_id)))
        old_channel, webhook.channel_id = webhook.channel_id, channel_id
        emu.dispatch(
            "WEBHOOKS_UPDATE",
            {"guild_id": str(webhook.guild_id), "channel_id": str(old_channel)},
            guild_id=webhook.guild_id,
        )
    _emit_update(emu, webhook)
    guild = emu.state.guilds[webhook.guild_id]
    record_audit(emu, guild, AuditAction.WEBHOOK_UPDATE, webhook.id, request=request, changes=changes)
    data = _render(emu, webhook)
    if with_token:
        data.pop("user", None)
    return data


@routes.patch("/webhooks/{webhook_id}")
async def modify_webhook(emu: DiscordEmulator, request: Request) -> Any:
    webhook = _by_id(emu, request)
    require_guild_permission(emu, emu.state.guild(webhook.guild_id), P.MANAGE_WEBHOOKS)
    return await _modify(emu, request, webhook, with_token=False)


@routes.patch("/webhooks/{webhook_id}/{webhook_token}", auth=False)
async def modify_webhook_by_token(emu: DiscordEmulator, request: Request) -> Any:
    return await _modify(emu, request, _by_token(emu, request), with_token=True)


def _delete(emu: DiscordEmulator, request: Request, webhook: Webhook) -> None:
    del emu.state.webhooks[webhook.id]
    _emit_update(emu, webhook)
    guild = emu.state.guilds[webhook.guild_id]
    record_audit(
        emu,
        guild,
        AuditAction.WEBHOOK_DELETE,
        webhook.id,
        request=request,
        changes=[change("name", webhook.name, None)],
    )


@routes.delete("/webhooks/{webhook_id}")
async def delete_webhook(emu: DiscordEmulator, request: Request) -> Any:
    webhook = _by_id(emu, request)
    require_guild_permission(emu, emu.state.guild(webhook.guild_id), P.MANAGE_WEBHOOKS)
    _delete(emu, request, webhook)
    return None


@routes.delete("/webhooks/{webhook_id}/{webhook_token}", auth=False)
async def delete_webhook_by_token(emu: DiscordEmulator, request: Request) -> Any:
    _delete(emu, request, _by_token(emu, request))
    return None


# -- executing and webhook messages -----------------------------------------------------------------------
def _target_channel(emu: DiscordEmulator, webhook: Webhook, thread_id: str | None) -> Channel:
    channel = emu.state.channel(webhook.channel_id)
    if thread_id:
        thread = emu.state.channel(int(thread_id))
        if thread.thread is None or thread.parent_id != channel.id:
            raise DiscordError(400, 10003, "Unknown Channel")
        return thread
    return channel


def execute_webhook(
    emu: DiscordEmulator,
    webhook: Webhook,
    body: dict[str, Any],
    files: list[Any],
    *,
    thread_id: str | None = None,
) -> dict[str, Any]:
    """Posts a webhook message (in a thread, or a new forum post with ``thread_name``); its payload."""
    validate_message_body(body, has_files=bool(files))
    channel = _target_channel(emu, webhook, thread_id)
    if channel.type in (ChannelType.GUILD_FORUM, ChannelType.GUILD_MEDIA):
        if not body.get("thread_name"):
            raise DiscordError(
                400, 220001, "Webhooks posted to forum channels must have a thread_name or thread_id"
            )
        channel = create_thread(
            emu, channel, webhook.id, body["thread_name"], applied_tags=body.get("applied_tags")
        )
    elif channel.thread is not None and channel.thread.locked:
        raise DiscordError(400, 50083, "Thread is locked")
    message = build_message(emu, channel, webhook.id, body, files, webhook_id=webhook.id)
    override: dict[str, Any] = {}
    if body.get("username"):
        override["username"] = str(body["username"])
    if body.get("avatar_url"):
        override["avatar"] = None
    message.author_override = override or None
    message.flags &= 4096 | 4  # only SUPPRESS_NOTIFICATIONS and SUPPRESS_EMBEDS may be set
    return publish_message(emu, message)


async def execute_route(emu: DiscordEmulator, request: Request) -> Any:
    """``POST /webhooks/{id}/{token}`` for a real webhook (the route is registered by
    :mod:`.interactions`, which serves interaction follow-ups on the same path and delegates here)."""
    webhook = _by_token(emu, request)
    body, files = await read_body(request)
    rendered = execute_webhook(emu, webhook, body, files, thread_id=request.query.get("thread_id"))
    if request.query.get("wait", "false").lower() in ("true", "1"):
        return rendered
    return None


def _webhook_message(emu: DiscordEmulator, request: Request, webhook: Webhook) -> Message:
    channel = _target_channel(emu, webhook, request.query.get("thread_id"))
    message = emu.state.message(channel.id, snowflake(request, "message_id"))
    if message.webhook_id != webhook.id:
        raise NotFound(ErrorCode.UNKNOWN_MESSAGE, "Message")
    return message


async def webhook_message_route(emu: DiscordEmulator, request: Request) -> Any:
    """GET, PATCH and DELETE ``/webhooks/{id}/{token}/messages/{message_id}`` for a real webhook."""
    webhook = _by_token(emu, request)
    message = _webhook_message(emu, request, webhook)
    rendered = emu.state.message_payload
    if request.method == "GET":
        return rendered(message, viewer_id=emu.bot_user.id)
    if request.method == "DELETE":
        delete_message(emu, message)
        return None
    body, files = await read_body(request)
    validate_message_body(body, has_files=bool(files), editing=True)
    apply_edit(emu, message, body, files)
    update_message(emu, message)
    return rendered(message, viewer_id=emu.bot_user.id)


def is_real_webhook(emu: DiscordEmulator, request: Request) -> bool:
    raw = request.match_info.get("webhook_id", "")
    return raw.isdigit() and int(raw) in emu.state.webhooks


# -- following and crossposting -----------------------------------------------------------------------------
@routes.post("/channels/{channel_id}/followers")
async def follow(emu: DiscordEmulator, request: Request) -> Any:
    source = emu.state.channel(snowflake(request, "channel_id"))
    if source.type != ChannelType.GUILD_ANNOUNCEMENT:
        raise DiscordError(400, 50024, "Cannot execute action on this channel type")
    body, _ = await read_body(request)
    target = emu.state.channel(int(body.get("webhook_channel_id") or 0))
    if target.guild_id is None or target.type not in (ChannelType.GUILD_TEXT, ChannelType.GUILD_ANNOUNCEMENT):
        raise InvalidFormBody("webhook_channel_id", "CHANNEL_TYPE_INVALID", "Not a text channel")
    require_channel_permission(emu, target, P.VIEW_CHANNEL | P.MANAGE_WEBHOOKS)
    source_guild = emu.state.guild(source.guild_id or 0)
    webhook = create_webhook(
        emu,
        target,
        f"{source_guild.name} #{source.name}"[:80],
        emu.bot_user.id,
        type=2,
        source_channel_id=source.id,
    )
    return {"channel_id": str(source.id), "webhook_id": str(webhook.id)}


@routes.post("/channels/{channel_id}/messages/{message_id}/crosspost")
async def crosspost(emu: DiscordEmulator, request: Request) -> Any:
    channel = emu.state.channel(snowflake(request, "channel_id"))
    if channel.type != ChannelType.GUILD_ANNOUNCEMENT:
        raise DiscordError(400, 50024, "Cannot execute action on this channel type")
    message = emu.state.message(channel.id, snowflake(request, "message_id"))
    own = message.author_id == emu.bot_user.id
    require_channel_permission(
        emu, channel, P.VIEW_CHANNEL | P.SEND_MESSAGES | (0 if own else P.MANAGE_MESSAGES)
    )
    if message.flags & 1:
        raise DiscordError(400, 40033, "This message has already been crossposted.")
    message.flags |= 1  # CROSSPOSTED
    update_message(emu, message)
    reference = {
        "channel_id": str(channel.id),
        "guild_id": str(channel.guild_id),
        "message_id": str(message.id),
    }
    for webhook in [w for w in emu.state.webhooks.values() if w.source_channel_id == channel.id]:
        target = emu.state.channels.get(webhook.channel_id)
        if target is None:
            continue
        copy = build_message(
            emu,
            target,
            webhook.id,
            {"content": message.content, "embeds": message.embeds},
            webhook_id=webhook.id,
        )
        copy.flags = 2  # IS_CROSSPOST
        copy.message_reference = {"type": 1, **reference}
        publish_message(emu, copy)
    return emu.state.message_payload(message, viewer_id=emu.bot_user.id)
