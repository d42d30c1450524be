"""Guild scheduled events: create, list, get, modify, delete, subscribers; their gateway events."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..access import require_bot_in_guild, require_guild_permission
from ..audit import AuditAction, change, record_audit
from ..entities import ScheduledEvent
from ..errors import InvalidFormBody, NotFound
from ..http_utils import Request, RouteSet, read_body, snowflake
from ..models import ChannelType, Guild
from ..permissions import P
from ..state import scheduled_event_payload

if TYPE_CHECKING:
    from ..server import DiscordEmulator

__all__ = ["routes", "subscribe", "unsubscribe"]

routes = RouteSet()

_ENTITY_CHANNEL_TYPES = {1: ChannelType.GUILD_STAGE_VOICE, 2: ChannelType.GUILD_VOICE}


def _event(guild: Guild, request: Request) -> ScheduledEvent:
    event = guild.scheduled_events.get(snowflake(request, "guild_scheduled_event_id"))
    if event is None:
        raise NotFound(10070, "Guild Scheduled Event")
    return event


def _render(emu: DiscordEmulator, event: ScheduledEvent, *, with_counts: bool = False) -> dict[str, Any]:
    data = scheduled_event_payload(event)
    data["creator"] = emu.state.users[event.creator_id].payload()
    if not with_counts:
        data.pop("user_count")
    return data


def _emit(emu: DiscordEmulator, name: str, event: ScheduledEvent) -> None:
    emu.dispatch(name, _render(emu, event, with_counts=True), guild_id=event.guild_id)


def _apply(
    emu: DiscordEmulator, guild: Guild, event: ScheduledEvent, body: dict[str, Any]
) -> list[dict[str, Any]]:
    changes = []
    if "name" in body and (not isinstance(body["name"], str) or not 1 <= len(body["name"]) <= 100):
        raise InvalidFormBody("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    entity_type = int(body.get("entity_type", event.entity_type))
    channel_id = event.channel_id
    if entity_type in _ENTITY_CHANNEL_TYPES and body.get("channel_id") is not None:
        channel = emu.state.channel(int(body["channel_id"]))
        if channel.guild_id != guild.id or channel.type != _ENTITY_CHANNEL_TYPES[entity_type]:
            raise InvalidFormBody(
                "channel_id", "CHANNEL_TYPE_INVALID", "Channel type does not match entity_type"
            )
        channel_id = channel.id
    location = (body.get("entity_metadata") or {}).get("location", event.location)
    if entity_type == 3:
        channel_id = None
        if not location:
            raise InvalidFormBody("entity_metadata.location", "BASE_TYPE_REQUIRED", "This field is required")
        if not (body.get("scheduled_end_time") or event.scheduled_end_time):
            raise InvalidFormBody("scheduled_end_time", "BASE_TYPE_REQUIRED", "This field is required")
    elif channel_id is None:
        raise InvalidFormBody("channel_id", "BASE_TYPE_REQUIRED", "This field is required")
    for key in (
        "name",
        "description",
        "scheduled_start_time",
        "scheduled_end_time",
        "status",
        "privacy_level",
        "image",
    ):
        if key in body and body[key] != getattr(event, key):
            changes.append(change(key, getattr(event, key), body[key]))
            setattr(event, key, body[key])
    event.entity_type, event.channel_id, event.location = entity_type, channel_id, location
    return changes


@routes.get("/guilds/{guild_id}/scheduled-events")
async def list_events(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_bot_in_guild(emu, guild)
    counts = request.query.get("with_user_count", "false").lower() in ("true", "1")
    return [_render(emu, e, with_counts=counts) for e in guild.scheduled_events.values()]


@routes.post("/guilds/{guild_id}/scheduled-events")
async def create_event(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_guild_permission(emu, guild, P.MANAGE_EVENTS)
    body, _ = await read_body(request)
    for key in ("name", "scheduled_start_time", "entity_type"):
        if body.get(key) is None:
            raise InvalidFormBody(key, "BASE_TYPE_REQUIRED", "This field is required")
    event = ScheduledEvent(
        id=emu.state.ids.next(),
        guild_id=guild.id,
        name=str(body["name"]),
        creator_id=emu.bot_user.id,
        scheduled_start_time=str(body["scheduled_start_time"]),
        entity_type=int(body["entity_type"]),
    )
    _apply(emu, guild, event, body)
    guild.scheduled_events[event.id] = event
    _emit(emu, "GUILD_SCHEDULED_EVENT_CREATE", event)
    record_audit(
        emu,
        guild,
        AuditAction.GUILD_SCHEDULED_EVENT_CREATE,
        event.id,
        request=request,
        changes=[change("name", None, event.name)],
    )
    return _render(emu, event)


@routes.get("/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}")
async def get_event(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_bot_in_guild(emu, guild)
    counts = request.query.get("with_user_count", "false").lower() in ("true", "1")
    return _render(emu, _event(guild, request), with_counts=counts)


@routes.patch("/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}")
async def edit_event(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_guild_permission(emu, guild, P.MANAGE_EVENTS)
    event = _event(guild, request)
    body, _ = await read_body(request)
    changes = _apply(emu, guild, event, body)
    _emit(emu, "GUILD_SCHEDULED_EVENT_UPDATE", event)
    record_audit(
        emu, guild, AuditAction.GUILD_SCHEDULED_EVENT_UPDATE, event.id, request=request, changes=changes
    )
    return _render(emu, event)


@routes.delete("/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}")
async def delete_event(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_guild_permission(emu, guild, P.MANAGE_EVENTS)
    event = _event(guild, request)
    del guild.scheduled_events[event.id]
    _emit(emu, "GUILD_SCHEDULED_EVENT_DELETE", event)
    record_audit(emu, guild, AuditAction.GUILD_SCHEDULED_EVENT_DELETE, event.id, request=request)
    return None


@routes.get("/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}/users")
async def event_users(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_bot_in_guild(emu, guild)
    event = _event(guild, request)
    limit = int(request.query.get("limit", 100))
    with_member = request.query.get("with_member", "false").lower() in ("true", "1")
    users = sorted(event.user_ids)
    if request.query.get("before"):
        users = [u for u in users if u < int(request.query["before"])][-limit:]
    else:
        users = [u for u in users if u > int(request.query.get("after", 0))][:limit]
    result = []
    for user_id in users:
        entry: dict[str, Any] = {
            "guild_scheduled_event_id": str(event.id),
            "user_id": str(user_id),
            "user": emu.state.users[user_id].payload(),
            "guild_scheduled_event_exception_id": None,
            "response": 1,  # interested
        }
        member = guild.members.get(user_id)
        if with_member and member is not None:
            entry["member"] = emu.state.member_payload(member)
        result.append(entry)
    return result


def subscribe(emu: DiscordEmulator, event: ScheduledEvent, user_id: int) -> None:
    """A user marks themselves interested: GUILD_SCHEDULED_EVENT_USER_ADD."""
    if user_id in event.user_ids:
        return
    event.user_ids.append(user_id)
    data = {
        "guild_scheduled_event_id": str(event.id),
        "user_id": str(user_id),
        "guild_id": str(event.guild_id),
    }
    emu.dispatch("GUILD_SCHEDULED_EVENT_USER_ADD", data, guild_id=event.guild_id)


def unsubscribe(emu: DiscordEmulator, event: ScheduledEvent, user_id: int) -> None:
    if user_id not in event.user_ids:
        return
    event.user_ids.remove(user_id)
    data = {
        "guild_scheduled_event_id": str(event.id),
        "user_id": str(user_id),
        "guild_id": str(event.guild_id),
    }
    emu.dispatch("GUILD_SCHEDULED_EVENT_USER_REMOVE", data, guild_id=event.guild_id)
