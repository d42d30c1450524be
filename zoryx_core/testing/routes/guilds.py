"""Guilds: get and modify, emojis and stickers."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader

from ..access import require_bot_in_guild, require_guild_permission
from ..audit import AuditAction, change, record_audit
from ..errors import DiscordError, ErrorCode, Forbidden, InvalidFormBody, NotFound
from ..http_utils import Request, RouteSet, json_response, read_body, snowflake
from ..models import ChannelType, Emoji, Guild, Sticker
from ..mutations import emit_emojis_update, emit_guild_update, emit_stickers_update
from ..permissions import P, guild_permissions
from ..state import DEFAULT_GUILD_SETTINGS, GUILD_ID_SETTINGS

if TYPE_CHECKING:
    from ..server import DiscordEmulator

routes = RouteSet()

MAX_EMOJIS = 50  # per kind (static / animated) at boost tier 0
MAX_STICKERS = 5
MAX_EMOJI_BYTES = 256 * 1024
MAX_STICKER_BYTES = 512 * 1024
_EMOJI_NAME = re.compile(r"^\w{2,32}$")
_IMAGE_SETTINGS = ("icon", "banner", "splash", "discovery_splash")
# Allowed values for settings with a closed set of choices.
_CHOICES: dict[str, tuple[int, ...]] = {
    "verification_level": (0, 1, 2, 3, 4),
    "default_message_notifications": (0, 1),
    "explicit_content_filter": (0, 1, 2),
    "afk_timeout": (60, 300, 900, 1800, 3600),
}
# Channel settings that only take one channel type (text for notices, voice for AFK).
_CHANNEL_SETTING_TYPES = {
    "system_channel_id": ChannelType.GUILD_TEXT,
    "rules_channel_id": ChannelType.GUILD_TEXT,
    "public_updates_channel_id": ChannelType.GUILD_TEXT,
    "safety_alerts_channel_id": ChannelType.GUILD_TEXT,
    "afk_channel_id": ChannelType.GUILD_VOICE,
}
_EDITABLE = (
    set(_CHOICES)
    | set(GUILD_ID_SETTINGS)
    | set(_IMAGE_SETTINGS)
    | {"system_channel_flags", "preferred_locale", "description", "features", "premium_progress_bar_enabled"}
) - {"application_id", "widget_channel_id"}


def decode_image(value: Any, field: str, max_bytes: int) -> bytes:
    """Decodes a ``data:image/...;base64,`` URI as Discord accepts them."""
    if not isinstance(value, str) or not value.startswith("data:") or ";base64," not in value:
        raise InvalidFormBody(field, "IMAGE_INVALID", "Invalid image data")
    try:
        data = base64.b64decode(value.split(";base64,", 1)[1], validate=True)
    except (binascii.Error, ValueError):
        raise InvalidFormBody(field, "IMAGE_INVALID", "Invalid image data") from None
    if len(data) > max_bytes:
        raise InvalidFormBody(
            field, "BINARY_TYPE_MAX_SIZE", f"File cannot be larger than {max_bytes // 1024} kb."
        )
    return data


def image_hash(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


@routes.get("/guilds/{guild_id}")
async def get_guild(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_bot_in_guild(emu, guild)
    return emu.state.guild_payload(guild)


@routes.patch("/guilds/{guild_id}")
async def edit_guild(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_guild_permission(emu, guild, P.MANAGE_GUILD)
    body, _ = await read_body(request)
    before = emu.state.guild_payload(guild)
    apply_guild_settings(emu, guild, body)
    emit_guild_update(emu, guild)
    after = emu.state.guild_payload(guild)
    changes = [
        change(k, before.get(k), after.get(k)) for k in body if k in after and before.get(k) != after[k]
    ]
    record_audit(emu, guild, AuditAction.GUILD_UPDATE, guild.id, request=request, changes=changes)
    return after


def apply_guild_settings(emu: DiscordEmulator, guild: Guild, body: dict[str, Any]) -> None:
    """Validates every key first, then applies them all: a bad body changes nothing."""
    updates: dict[str, Any] = {}
    if "name" in body:
        name = body["name"]
        if not isinstance(name, str) or not 2 <= len(name) <= 100:
            raise InvalidFormBody("name", "BASE_TYPE_BAD_LENGTH", "Must be between 2 and 100 in length.")
        updates["name"] = name
    images: dict[str, bytes | None] = {}
    for key, value in body.items():
        if key == "name" or key not in _EDITABLE:
            continue
        if key in _CHOICES and value not in _CHOICES[key]:
            raise InvalidFormBody(key, "BASE_TYPE_CHOICES", f"Value must be one of {_CHOICES[key]}.")
        if key in GUILD_ID_SETTINGS and value is not None:
            channel = emu.state.channels.get(int(value))
            if channel is None or channel.guild_id != guild.id:
                raise InvalidFormBody(key, "CHANNEL_INVALID", "Unknown channel")
            wanted = _CHANNEL_SETTING_TYPES.get(key)
            if wanted is not None and channel.type != wanted:
                raise InvalidFormBody(key, "CHANNEL_TYPE_INVALID", "Channel is not of the required type")
            value = int(value)
        if key in _IMAGE_SETTINGS:
            data = decode_image(value, key, 10 * 1024 * 1024) if value is not None else None
            images[key] = data
            value = image_hash(data) if data is not None else None
        updates[key] = value
    # every key passed: apply
    for key, data in images.items():
        if data is None:
            guild.images.pop(key, None)
        else:
            guild.images[key] = data
    if "name" in updates:
        guild.name = updates.pop("name")
    guild.settings.update(updates)


def require_expression_permission(emu: DiscordEmulator, guild: Guild) -> None:
    """Creating an emoji or sticker takes Create Expressions or Manage Expressions."""
    require_bot_in_guild(emu, guild)
    if not guild_permissions(guild, emu.bot_user.id) & (
        P.CREATE_GUILD_EXPRESSIONS | P.MANAGE_GUILD_EXPRESSIONS
    ):
        raise Forbidden()


def _emoji(guild: Guild, emoji_id: int) -> Emoji:
    try:
        return guild.emojis[emoji_id]
    except KeyError:
        raise NotFound(ErrorCode.UNKNOWN_EMOJI, "Emoji") from None


def _check_emoji_name(name: Any) -> str:
    if not isinstance(name, str) or not _EMOJI_NAME.match(name):
        raise InvalidFormBody(
            "name",
            "BASE_TYPE_BAD_LENGTH",
            "Must be between 2 and 32 in length and contain only letters, digits and _.",
        )
    return name


@routes.get("/guilds/{guild_id}/emojis")
async def list_emojis(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_bot_in_guild(emu, guild)
    return [e.payload(emu.state.users) for e in guild.emojis.values()]


@routes.get("/guilds/{guild_id}/emojis/{emoji_id}")
async def get_emoji(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_bot_in_guild(emu, guild)
    return _emoji(guild, snowflake(request, "emoji_id")).payload(emu.state.users)


@routes.post("/guilds/{guild_id}/emojis")
async def create_emoji(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_expression_permission(emu, guild)
    body, _ = await read_body(request)
    name = _check_emoji_name(body.get("name"))
    image = decode_image(body.get("image"), "image", MAX_EMOJI_BYTES)
    animated = str(body.get("image", "")).startswith("data:image/gif")
    if sum(1 for e in guild.emojis.values() if e.animated == animated) >= MAX_EMOJIS:
        raise DiscordError(400, ErrorCode.MAX_EMOJIS, f"Maximum number of emojis reached ({MAX_EMOJIS})")
    emoji = Emoji(
        id=emu.state.ids.next(),
        guild_id=guild.id,
        name=name,
        image=image,
        animated=animated,
        roles=[int(r) for r in body.get("roles") or []],
        creator_id=emu.bot_user.id,
    )
    guild.emojis[emoji.id] = emoji
    emit_emojis_update(emu, guild)
    changes = [change("name", None, name)]
    record_audit(emu, guild, AuditAction.EMOJI_CREATE, emoji.id, request=request, changes=changes)
    return json_response(emoji.payload(emu.state.users), status=201)


@routes.patch("/guilds/{guild_id}/emojis/{emoji_id}")
async def edit_emoji(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_guild_permission(emu, guild, P.MANAGE_GUILD_EXPRESSIONS)
    emoji = _emoji(guild, snowflake(request, "emoji_id"))
    body, _ = await read_body(request)
    old_name = emoji.name
    if "name" in body:
        emoji.name = _check_emoji_name(body["name"])
    if "roles" in body:
        emoji.roles = [int(r) for r in body["roles"] or []]
    emit_emojis_update(emu, guild)
    changes = [change("name", old_name, emoji.name)] if old_name != emoji.name else []
    record_audit(emu, guild, AuditAction.EMOJI_UPDATE, emoji.id, request=request, changes=changes)
    return emoji.payload(emu.state.users)


@routes.delete("/guilds/{guild_id}/emojis/{emoji_id}")
async def delete_emoji(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_guild_permission(emu, guild, P.MANAGE_GUILD_EXPRESSIONS)
    emoji = _emoji(guild, snowflake(request, "emoji_id"))
    del guild.emojis[emoji.id]
    emit_emojis_update(emu, guild)
    changes = [change("name", emoji.name, None)]
    record_audit(emu, guild, AuditAction.EMOJI_DELETE, emoji.id, request=request, changes=changes)
    return None


def _sticker(guild: Guild, sticker_id: int) -> Sticker:
    try:
        return guild.stickers[sticker_id]
    except KeyError:
        raise NotFound(ErrorCode.UNKNOWN_STICKER, "Sticker") from None


@routes.get("/guilds/{guild_id}/stickers")
async def list_stickers(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_bot_in_guild(emu, guild)
    return [s.payload(emu.state.users) for s in guild.stickers.values()]


@routes.get("/guilds/{guild_id}/stickers/{sticker_id}")
async def get_sticker(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_bot_in_guild(emu, guild)
    return _sticker(guild, snowflake(request, "sticker_id")).payload(emu.state.users)


@routes.post("/guilds/{guild_id}/stickers")
async def create_sticker(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_expression_permission(emu, guild)
    if request.content_type != "multipart/form-data":
        raise InvalidFormBody("file", "BASE_TYPE_REQUIRED", "This field is required")
    fields: dict[str, str] = {}
    image: bytes | None = None
    content_type = "image/png"
    reader = await request.multipart()
    async for part in reader:
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "file":
            image = bytes(await part.read())
            content_type = part.headers.get("Content-Type", content_type)
        elif part.name:
            fields[part.name] = await part.text()
    name = fields.get("name", "")
    if not 2 <= len(name) <= 30:
        raise InvalidFormBody("name", "BASE_TYPE_BAD_LENGTH", "Must be between 2 and 30 in length.")
    if not fields.get("tags"):
        raise InvalidFormBody("tags", "BASE_TYPE_REQUIRED", "This field is required")
    if image is None:
        raise InvalidFormBody("file", "BASE_TYPE_REQUIRED", "This field is required")
    if len(image) > MAX_STICKER_BYTES:
        raise InvalidFormBody("file", "BINARY_TYPE_MAX_SIZE", "File cannot be larger than 512 kb.")
    if len(guild.stickers) >= MAX_STICKERS:
        raise DiscordError(
            400, ErrorCode.MAX_STICKERS, f"Maximum number of stickers reached ({MAX_STICKERS})"
        )
    format_type = {"image/png": 1, "image/apng": 2, "application/json": 3, "image/gif": 4}.get(
        content_type, 1
    )
    sticker = Sticker(
        id=emu.state.ids.next(),
        guild_id=guild.id,
        name=name,
        tags=fields["tags"],
        image=image,
        description=fields.get("description") or None,
        format_type=format_type,
        creator_id=emu.bot_user.id,
    )
    guild.stickers[sticker.id] = sticker
    emit_stickers_update(emu, guild)
    changes = [change("name", None, sticker.name)]
    record_audit(emu, guild, AuditAction.STICKER_CREATE, sticker.id, request=request, changes=changes)
    return json_response(sticker.payload(emu.state.users), status=201)


@routes.patch("/guilds/{guild_id}/stickers/{sticker_id}")
async def edit_sticker(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_guild_permission(emu, guild, P.MANAGE_GUILD_EXPRESSIONS)
    sticker = _sticker(guild, snowflake(request, "sticker_id"))
    body, _ = await read_body(request)
    if "name" in body:
        sticker.name = str(body["name"])
    if "description" in body:
        sticker.description = body["description"]
    if "tags" in body:
        sticker.tags = str(body["tags"])
    emit_stickers_update(emu, guild)
    record_audit(emu, guild, AuditAction.STICKER_UPDATE, sticker.id, request=request)
    return sticker.payload(emu.state.users)


@routes.delete("/guilds/{guild_id}/stickers/{sticker_id}")
async def delete_sticker(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_guild_permission(emu, guild, P.MANAGE_GUILD_EXPRESSIONS)
    sticker = _sticker(guild, snowflake(request, "sticker_id"))
    del guild.stickers[sticker.id]
    emit_stickers_update(emu, guild)
    changes = [change("name", sticker.name, None)]
    record_audit(emu, guild, AuditAction.STICKER_DELETE, sticker.id, request=request, changes=changes)
    return None


__all__ = ["DEFAULT_GUILD_SETTINGS", "apply_guild_settings", "decode_image", "routes"]
