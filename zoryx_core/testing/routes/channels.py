"""Guild channels: create, edit, delete, positions and permission overwrites."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..access import bot_has_channel_permission, require_channel_permission, require_guild_permission
from ..audit import AuditAction, change, record_audit
from ..errors import Forbidden, InvalidFormBody
from ..http_utils import Request, RouteSet, json_response, read_body, snowflake
from ..models import CHANNEL_OPTIONAL_FIELDS, Channel, ChannelType, Guild, Overwrite
from ..mutations import create_channel, delete_channel, emit_channel_update
from ..permissions import ALL_PERMISSIONS, P, channel_permissions, guild_permissions
from .threads import edit_thread, remove_thread, sync_if_revealed

if TYPE_CHECKING:
    from ..server import DiscordEmulator

routes = RouteSet()


def _overwrites(body: list[dict[str, Any]]) -> list[Overwrite]:
    result = []
    for index, raw in enumerate(body):
        try:
            result.append(
                Overwrite(
                    int(raw["id"]),
                    int(raw.get("type", 0)),
                    int(raw.get("allow") or 0),
                    int(raw.get("deny") or 0),
                )
            )
        except (KeyError, TypeError, ValueError):
            raise InvalidFormBody(
                f"permission_overwrites.{index}",
                "BASE_TYPE_REQUIRED",
                "Overwrites need id, type, allow and deny",
            ) from None
    return result


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not 1 <= len(name) <= 100:
        raise InvalidFormBody("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    return name


def _check_parent(emu: DiscordEmulator, guild: Guild, parent: Any) -> int | None:
    if parent in (None, "", 0):
        return None
    parent_id = int(parent)
    channel = emu.state.channels.get(parent_id)
    if channel is None or channel.guild_id != guild.id or channel.type != ChannelType.GUILD_CATEGORY:
        raise InvalidFormBody("parent_id", "CHANNEL_PARENT_INVALID", "Category does not exist")
    return parent_id


# Bitrate ceilings by boost tier (Discord: 96 kbps unboosted, 128/256/384 kbps at tiers 1-3).
_MAX_BITRATE = {0: 96000, 1: 128000, 2: 256000, 3: 384000}
_ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)


def _check_int_range(key: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidFormBody(key, "NUMBER_TYPE_COERCE", f'Value "{value}" is not int.')
    if value < low:
        raise InvalidFormBody(key, "NUMBER_TYPE_MIN", f"int value should be greater than or equal to {low}.")
    if value > high:
        raise InvalidFormBody(key, "NUMBER_TYPE_MAX", f"int value should be less than or equal to {high}.")
    return value


MAX_FORUM_TAGS = 20


def forum_tags(emu: DiscordEmulator, channel: Channel, tags: Any) -> list[dict[str, Any]]:
    """``available_tags`` as Discord stores them: each tag with an id (kept when the tag already
    had one on this channel, new otherwise), ``name``, ``moderated``, ``emoji_id``, ``emoji_name``."""
    if not isinstance(tags, list):
        raise InvalidFormBody("available_tags", "BASE_TYPE_ARRAY", "Must be an array.")
    if len(tags) > MAX_FORUM_TAGS:
        raise InvalidFormBody(
            "available_tags", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_FORUM_TAGS} or fewer in length."
        )
    existing = {str(t.get("id")) for t in channel.option("available_tags") or [] if isinstance(t, dict)}
    result = []
    for index, tag in enumerate(tags):
        name = tag.get("name") if isinstance(tag, dict) else None
        if not isinstance(name, str) or not 1 <= len(name) <= 20:
            raise InvalidFormBody(
                f"available_tags.{index}.name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 20 in length."
            )
        tag_id = str(tag.get("id")) if tag.get("id") is not None and str(tag.get("id")) in existing else None
        emoji_id = tag.get("emoji_id")
        result.append(
            {
                "id": tag_id or str(emu.state.ids.next()),
                "name": name,
                "moderated": bool(tag.get("moderated", False)),
                "emoji_id": str(emoji_id) if emoji_id not in (None, "", 0) else None,
                "emoji_name": tag.get("emoji_name") or None,
            }
        )
    return result


def _check_options(
    emu: DiscordEmulator, guild: Guild, channel: Channel, body: dict[str, Any]
) -> dict[str, Any]:
    """The optional fields of a create/edit body, checked against Discord's limits for the channel's type."""
    options = {key: body[key] for key in CHANNEL_OPTIONAL_FIELDS if key in body}
    if options.get("available_tags") is not None:
        options["available_tags"] = forum_tags(emu, channel, options["available_tags"])
    forum = channel.type in (ChannelType.GUILD_FORUM, ChannelType.GUILD_MEDIA)
    topic = options.get("topic")
    if topic is not None:
        limit = 4096 if forum else 1024
        if not isinstance(topic, str) or len(topic) > limit:
            raise InvalidFormBody("topic", "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")
    for key in ("rate_limit_per_user", "default_thread_rate_limit_per_user"):
        if options.get(key) is not None:
            options[key] = _check_int_range(key, options[key], 0, 21600)
    if options.get("bitrate") is not None:
        ceiling = _MAX_BITRATE.get(int(guild.settings.get("premium_tier", 0)), 96000)
        if channel.type == ChannelType.GUILD_STAGE_VOICE:
            ceiling = 64000  # stage channels stop at 64 kbps whatever the boost tier
        options["bitrate"] = _check_int_range("bitrate", options["bitrate"], 8000, ceiling)
    if options.get("user_limit") is not None:
        most = 10000 if channel.type == ChannelType.GUILD_STAGE_VOICE else 99
        options["user_limit"] = _check_int_range("user_limit", options["user_limit"], 0, most)
    if options.get("video_quality_mode") is not None and options["video_quality_mode"] not in (1, 2):
        raise InvalidFormBody("video_quality_mode", "BASE_TYPE_CHOICES", "Value must be one of (1, 2).")
    duration = options.get("default_auto_archive_duration")
    if duration is not None and duration not in _ARCHIVE_DURATIONS:
        raise InvalidFormBody(
            "default_auto_archive_duration",
            "BASE_TYPE_CHOICES",
            f"Value must be one of {_ARCHIVE_DURATIONS}.",
        )
    if "nsfw" in options:
        options["nsfw"] = bool(options["nsfw"])
    return options


def require_grantable(emu: DiscordEmulator, guild: Guild, channel: Channel, new: list[Overwrite]) -> None:
    """Discord refuses overwrites that allow or deny permissions the bot itself lacks in the channel.

    Only bits that change are checked, and an explicit Manage Roles overwrite for the bot lifts the rule.
    """
    mine = guild_permissions(guild, emu.bot_user.id)
    if mine == ALL_PERMISSIONS:
        return
    bot_roles = set(guild.members[emu.bot_user.id].roles) | {guild.id}
    if any(
        ow.allow & P.MANAGE_ROLES and (ow.id == emu.bot_user.id or ow.id in bot_roles)
        for ow in channel.overwrites
    ):
        return
    in_channel = channel_permissions(guild, channel, emu.bot_user.id)
    old = {ow.id: ow for ow in channel.overwrites}
    for overwrite in new:
        before = old.get(overwrite.id) or Overwrite(overwrite.id, overwrite.type)
        changed = (overwrite.allow ^ before.allow) | (overwrite.deny ^ before.deny)
        if changed & ~in_channel:
            raise Forbidden()


def apply_channel_fields(emu: DiscordEmulator, guild: Guild, channel: Channel, body: dict[str, Any]) -> None:
    """Validates every field of a create/edit body first, then applies them: a bad body changes nothing."""
    name = _check_name(body["name"]) if "name" in body else channel.name
    position = int(body["position"]) if body.get("position") is not None else channel.position
    parent_id = _check_parent(emu, guild, body["parent_id"]) if "parent_id" in body else channel.parent_id
    overwrites = channel.overwrites
    if body.get("permission_overwrites") is not None:
        overwrites = _overwrites(body["permission_overwrites"])
        require_grantable(emu, guild, channel, overwrites)
    options = _check_options(emu, guild, channel, body)
    channel.name, channel.position, channel.parent_id = name, position, parent_id
    channel.overwrites = overwrites
    channel.options.update(options)


def _guild_of(emu: DiscordEmulator, channel: Channel) -> Guild:
    if channel.guild_id is None:
        raise InvalidFormBody("channel_id", "CHANNEL_TYPE_INVALID", "Not a guild channel")
    return emu.state.guilds[channel.guild_id]


@routes.get("/channels/{channel_id}")
async def get_channel(emu: DiscordEmulator, request: Request) -> Any:
    channel = emu.state.channel(snowflake(request, "channel_id"))
    require_channel_permission(emu, channel, P.VIEW_CHANNEL)
    return channel.payload(emu.state.users)


@routes.patch("/channels/{channel_id}")
async def edit_channel(emu: DiscordEmulator, request: Request) -> Any:
    channel = emu.state.channel(snowflake(request, "channel_id"))
    if channel.thread is not None:
        return await edit_thread(emu, request, channel)
    guild = _guild_of(emu, channel)
    body, _ = await read_body(request)
    needed = P.MANAGE_CHANNELS | (P.MANAGE_ROLES if "permission_overwrites" in body else 0)
    require_channel_permission(emu, channel, needed)
    before = {"name": channel.name, **{k: channel.option(k) for k in CHANNEL_OPTIONAL_FIELDS}}
    apply_channel_fields(emu, guild, channel, body)
    emit_channel_update(emu, channel)
    after = {"name": channel.name, **{k: channel.option(k) for k in CHANNEL_OPTIONAL_FIELDS}}
    changes = [change(k, before[k], after[k]) for k in before if before[k] != after[k]]
    record_audit(emu, guild, AuditAction.CHANNEL_UPDATE, channel.id, request=request, changes=changes)
    return channel.payload()


@routes.delete("/channels/{channel_id}")
async def remove_channel(emu: DiscordEmulator, request: Request) -> Any:
    channel = emu.state.channel(snowflake(request, "channel_id"))
    if channel.type == ChannelType.DM:
        return channel.payload(emu.state.users)
    if channel.thread is not None:
        return await remove_thread(emu, request, channel)
    require_channel_permission(emu, channel, P.MANAGE_CHANNELS)
    delete_channel(emu, channel)
    guild = emu.state.guilds[channel.guild_id or 0]
    changes = [change("name", channel.name, None), change("type", channel.type, None)]
    record_audit(emu, guild, AuditAction.CHANNEL_DELETE, channel.id, request=request, changes=changes)
    return channel.payload()


@routes.put("/channels/{channel_id}/permissions/{overwrite_id}")
async def put_overwrite(emu: DiscordEmulator, request: Request) -> Any:
    channel = emu.state.channel(snowflake(request, "channel_id"))
    _guild_of(emu, channel)
    require_channel_permission(emu, channel, P.MANAGE_ROLES)
    body, _ = await read_body(request)
    target = snowflake(request, "overwrite_id")
    new = Overwrite(target, int(body.get("type", 0)), int(body.get("allow") or 0), int(body.get("deny") or 0))
    require_grantable(emu, _guild_of(emu, channel), channel, [new])
    was_visible = bot_has_channel_permission(emu, channel, P.VIEW_CHANNEL)
    existed = any(ow.id == target for ow in channel.overwrites)
    channel.overwrites = [ow for ow in channel.overwrites if ow.id != target] + [new]
    emit_channel_update(emu, channel)
    sync_if_revealed(emu, channel, was_visible)
    action = AuditAction.CHANNEL_OVERWRITE_UPDATE if existed else AuditAction.CHANNEL_OVERWRITE_CREATE
    changes = [change("allow", None, str(new.allow)), change("deny", None, str(new.deny))]
    options = {"id": target, "type": str(new.type)}
    guild = _guild_of(emu, channel)
    record_audit(emu, guild, action, channel.id, request=request, changes=changes, options=options)
    return None


@routes.delete("/channels/{channel_id}/permissions/{overwrite_id}")
async def delete_overwrite(emu: DiscordEmulator, request: Request) -> Any:
    channel = emu.state.channel(snowflake(request, "channel_id"))
    _guild_of(emu, channel)
    require_channel_permission(emu, channel, P.MANAGE_ROLES)
    target = snowflake(request, "overwrite_id")
    was_visible = bot_has_channel_permission(emu, channel, P.VIEW_CHANNEL)
    removed = [ow for ow in channel.overwrites if ow.id == target]
    channel.overwrites = [ow for ow in channel.overwrites if ow.id != target]
    emit_channel_update(emu, channel)
    sync_if_revealed(emu, channel, was_visible)
    if removed:
        options = {"id": target, "type": str(removed[0].type)}
        guild = _guild_of(emu, channel)
        record_audit(
            emu, guild, AuditAction.CHANNEL_OVERWRITE_DELETE, channel.id, request=request, options=options
        )
    return None


@routes.get("/guilds/{guild_id}/channels")
async def list_channels(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_guild_permission(emu, guild, 0)
    return [c.payload() for c in emu.state.guild_channels(guild) if c.thread is None]


@routes.post("/guilds/{guild_id}/channels")
async def new_channel(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    body, _ = await read_body(request)
    needed = P.MANAGE_CHANNELS | (P.MANAGE_ROLES if body.get("permission_overwrites") else 0)
    require_guild_permission(emu, guild, needed)
    kind = int(body.get("type") or 0)
    if kind not in ChannelType.GUILD_TYPES:
        raise InvalidFormBody(
            "type", "BASE_TYPE_CHOICES", f"Value must be one of {sorted(ChannelType.GUILD_TYPES)}."
        )
    if len(guild.channel_ids) >= 500:
        raise InvalidFormBody("name", "MAX_CHANNELS", "Maximum number of guild channels reached (500)")
    channel = Channel(
        id=emu.state.ids.next(), type=kind, guild_id=guild.id, name=_check_name(body.get("name"))
    )
    channel.position = max((c.position for c in emu.state.guild_channels(guild)), default=-1) + 1
    apply_channel_fields(emu, guild, channel, {k: v for k, v in body.items() if k != "name"})
    if channel.parent_id is not None and not body.get("permission_overwrites"):
        # without overwrites of its own, a channel made in a category starts synced with it
        channel.overwrites = [
            Overwrite(o.id, o.type, o.allow, o.deny) for o in emu.state.channels[channel.parent_id].overwrites
        ]
    create_channel(emu, guild, channel)
    changes = [change("name", None, channel.name), change("type", None, channel.type)]
    record_audit(emu, guild, AuditAction.CHANNEL_CREATE, channel.id, request=request, changes=changes)
    return json_response(channel.payload(), status=201)


@routes.patch("/guilds/{guild_id}/channels")
async def channel_positions(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_guild_permission(emu, guild, P.MANAGE_CHANNELS)
    body, _ = await read_body(request)
    if not isinstance(body, list):
        raise InvalidFormBody("", "BASE_TYPE_ARRAY", "Expected a list of {id, position}")
    changed = []
    for index, entry in enumerate(body):
        channel = emu.state.channels.get(int(entry.get("id", 0)))
        if channel is None or channel.guild_id != guild.id:
            raise InvalidFormBody(f"{index}.id", "CHANNEL_INVALID", "Unknown channel in this guild")
        if entry.get("position") is not None:
            channel.position = int(entry["position"])
        if "parent_id" in entry:
            channel.parent_id = _check_parent(emu, guild, entry["parent_id"])
        if entry.get("lock_permissions") and channel.parent_id:
            channel.overwrites = [
                Overwrite(o.id, o.type, o.allow, o.deny)
                for o in emu.state.channels[channel.parent_id].overwrites
            ]
        changed.append(channel)
    for channel in changed:
        emit_channel_update(emu, channel)
    return None
