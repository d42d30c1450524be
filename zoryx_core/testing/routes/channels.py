"""Guild channels: create, edit, delete, positions and permission overwrites."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..access import require_channel_permission, require_guild_permission
from ..errors import InvalidFormBody
from ..http_utils import RouteSet, read_body, snowflake
from ..models import CHANNEL_OPTIONAL_FIELDS, Channel, ChannelType, Guild, Overwrite
from ..mutations import create_channel, delete_channel, emit_channel_update
from ..permissions import P

if TYPE_CHECKING:
    from ..server import DiscordEmulator

routes = RouteSet()


def _overwrites(body: list[dict[str, Any]]) -> list[Overwrite]:
    result = []
    for index, raw in enumerate(body):
        try:
            result.append(Overwrite(int(raw["id"]), int(raw.get("type", 0)), int(raw.get("allow") or 0),
                                    int(raw.get("deny") or 0)))
        except (KeyError, TypeError, ValueError):
            raise InvalidFormBody(f"permission_overwrites.{index}", "BASE_TYPE_REQUIRED",
                                  "Overwrites need id, type, allow and deny") from None
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


def apply_channel_fields(emu: DiscordEmulator, guild: Guild, channel: Channel, body: dict[str, Any]) -> None:
    if "name" in body:
        channel.name = _check_name(body["name"])
    if "position" in body and body["position"] is not None:
        channel.position = int(body["position"])
    if "parent_id" in body:
        channel.parent_id = _check_parent(emu, guild, body["parent_id"])
    if "permission_overwrites" in body and body["permission_overwrites"] is not None:
        channel.overwrites = _overwrites(body["permission_overwrites"])
    for key in CHANNEL_OPTIONAL_FIELDS:
        if key in body:
            channel.options[key] = body[key]
    topic = channel.options.get("topic")
    if topic is not None and len(topic) > 1024:
        raise InvalidFormBody("topic", "BASE_TYPE_MAX_LENGTH", "Must be 1024 or fewer in length.")


def _guild_of(emu: DiscordEmulator, channel: Channel) -> Guild:
    if channel.guild_id is None:
        raise InvalidFormBody("channel_id", "CHANNEL_TYPE_INVALID", "Not a guild channel")
    return emu.state.guilds[channel.guild_id]


@routes.get("/channels/{channel_id}")
async def get_channel(emu: DiscordEmulator, request: web.Request) -> Any:
    channel = emu.state.channel(snowflake(request, "channel_id"))
    require_channel_permission(emu, channel, P.VIEW_CHANNEL)
    return channel.payload(emu.state.users)


@routes.patch("/channels/{channel_id}")
async def edit_channel(emu: DiscordEmulator, request: web.Request) -> Any:
    channel = emu.state.channel(snowflake(request, "channel_id"))
    guild = _guild_of(emu, channel)
    body, _ = await read_body(request)
    needed = P.MANAGE_CHANNELS | (P.MANAGE_ROLES if "permission_overwrites" in body else 0)
    require_channel_permission(emu, channel, needed)
    apply_channel_fields(emu, guild, channel, body)
    emit_channel_update(emu, channel)
    return channel.payload()


@routes.delete("/channels/{channel_id}")
async def remove_channel(emu: DiscordEmulator, request: web.Request) -> Any:
    channel = emu.state.channel(snowflake(request, "channel_id"))
    if channel.type == ChannelType.DM:
        return channel.payload(emu.state.users)
    require_channel_permission(emu, channel, P.MANAGE_CHANNELS)
    delete_channel(emu, channel)
    return channel.payload()


@routes.put("/channels/{channel_id}/permissions/{overwrite_id}")
async def put_overwrite(emu: DiscordEmulator, request: web.Request) -> Any:
    channel = emu.state.channel(snowflake(request, "channel_id"))
    _guild_of(emu, channel)
    require_channel_permission(emu, channel, P.MANAGE_ROLES)
    body, _ = await read_body(request)
    target = snowflake(request, "overwrite_id")
    new = Overwrite(target, int(body.get("type", 0)), int(body.get("allow") or 0), int(body.get("deny") or 0))
    channel.overwrites = [ow for ow in channel.overwrites if ow.id != target] + [new]
    emit_channel_update(emu, channel)
    return None


@routes.delete("/channels/{channel_id}/permissions/{overwrite_id}")
async def delete_overwrite(emu: DiscordEmulator, request: web.Request) -> Any:
    channel = emu.state.channel(snowflake(request, "channel_id"))
    _guild_of(emu, channel)
    require_channel_permission(emu, channel, P.MANAGE_ROLES)
    target = snowflake(request, "overwrite_id")
    channel.overwrites = [ow for ow in channel.overwrites if ow.id != target]
    emit_channel_update(emu, channel)
    return None


@routes.get("/guilds/{guild_id}/channels")
async def list_channels(emu: DiscordEmulator, request: web.Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_guild_permission(emu, guild, 0)
    return [c.payload() for c in emu.state.guild_channels(guild)]


@routes.post("/guilds/{guild_id}/channels")
async def new_channel(emu: DiscordEmulator, request: web.Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    body, _ = await read_body(request)
    needed = P.MANAGE_CHANNELS | (P.MANAGE_ROLES if body.get("permission_overwrites") else 0)
    require_guild_permission(emu, guild, needed)
    kind = int(body.get("type") or 0)
    if kind not in ChannelType.GUILD_TYPES:
        raise InvalidFormBody("type", "BASE_TYPE_CHOICES", f"Value must be one of {sorted(ChannelType.GUILD_TYPES)}.")
    if len(guild.channel_ids) >= 500:
        raise InvalidFormBody("name", "MAX_CHANNELS", "Maximum number of guild channels reached (500)")
    channel = Channel(id=emu.state.ids.next(), type=kind, guild_id=guild.id, name=_check_name(body.get("name")))
    channel.position = max((c.position for c in emu.state.guild_channels(guild)), default=-1) + 1
    apply_channel_fields(emu, guild, channel, {k: v for k, v in body.items() if k != "name"})
    create_channel(emu, guild, channel)
    return channel.payload()


@routes.patch("/guilds/{guild_id}/channels")
async def channel_positions(emu: DiscordEmulator, request: web.Request) -> Any:
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
            channel.overwrites = [Overwrite(o.id, o.type, o.allow, o.deny)
                                  for o in emu.state.channels[channel.parent_id].overwrites]
        changed.append(channel)
    for channel in changed:
        emit_channel_update(emu, channel)
    return None
