"""Guild features beyond the core: preview, vanity URL, welcome screen, widget, role member counts,
onboarding, incident actions, templates, integrations, stage instances and the soundboard."""

from __future__ import annotations

import base64
import secrets
from typing import TYPE_CHECKING, Any

from ..access import require_bot_in_guild, require_channel_permission, require_guild_permission
from ..errors import DiscordError, InvalidFormBody, NotFound
from ..http_utils import Request, RouteSet, json_response, read_body, snowflake
from ..models import ChannelType, Guild, iso_now
from ..permissions import P

if TYPE_CHECKING:
    from ..server import DiscordEmulator

__all__ = ["add_integration", "routes", "set_sounds_available", "update_integration"]

routes = RouteSet()


def _guild(emu: DiscordEmulator, request: Request, permission: int = 0) -> Guild:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    if permission:
        require_guild_permission(emu, guild, permission)
    else:
        require_bot_in_guild(emu, guild)
    return guild


def _store(guild: Guild, name: str) -> dict[Any, Any]:
    store: dict[Any, Any] = guild.extras.setdefault(name, {})
    return store


# -- preview, vanity URL, welcome screen, widget, counts ----------------------------------------------------
@routes.get("/guilds/{guild_id}/preview")
async def preview(emu: DiscordEmulator, request: Request) -> Any:
    guild = _guild(emu, request)
    settings = emu.state.guild_settings_payload(guild)
    return {
        "id": str(guild.id),
        "name": guild.name,
        "icon": settings["icon"],
        "description": settings["description"],
        "home_header": None,
        "splash": None,
        "discovery_splash": None,
        "features": list(settings["features"]),
        "approximate_member_count": len(guild.members),
        "approximate_presence_count": 0,
        "emojis": [e.payload() for e in guild.emojis.values()],
        "stickers": [s.payload() for s in guild.stickers.values()],
    }


@routes.get("/guilds/{guild_id}/vanity-url")
async def vanity_url(emu: DiscordEmulator, request: Request) -> Any:
    guild = _guild(emu, request, P.MANAGE_GUILD)
    return {"code": guild.settings.get("vanity_url_code"), "uses": 0}


def _welcome(guild: Guild) -> dict[str, Any]:
    screen = guild.extras.get("welcome_screen") or {"description": None, "welcome_channels": []}
    return dict(screen)


@routes.get("/guilds/{guild_id}/welcome-screen")
async def get_welcome_screen(emu: DiscordEmulator, request: Request) -> Any:
    return _welcome(_guild(emu, request))


@routes.patch("/guilds/{guild_id}/welcome-screen")
async def edit_welcome_screen(emu: DiscordEmulator, request: Request) -> Any:
    guild = _guild(emu, request, P.MANAGE_GUILD)
    body, _ = await read_body(request)
    screen = _welcome(guild)
    if "description" in body:
        screen["description"] = body["description"]
    if body.get("welcome_channels") is not None:
        channels = []
        for index, entry in enumerate(body["welcome_channels"]):
            channel = emu.state.channels.get(int(entry.get("channel_id") or 0))
            if channel is None or channel.guild_id != guild.id:
                raise InvalidFormBody(
                    f"welcome_channels.{index}.channel_id", "CHANNEL_INVALID", "Unknown channel"
                )
            channels.append(
                {
                    "channel_id": str(channel.id),
                    "description": str(entry.get("description") or ""),
                    "emoji_id": str(entry["emoji_id"]) if entry.get("emoji_id") else None,
                    "emoji_name": entry.get("emoji_name"),
                }
            )
        screen["welcome_channels"] = channels
    guild.extras["welcome_screen"] = screen
    return screen


def _widget(guild: Guild) -> dict[str, Any]:
    return {
        "enabled": bool(guild.settings.get("widget_enabled")),
        "channel_id": _str(guild.settings.get("widget_channel_id")),
    }


def _str(value: Any) -> str | None:
    return str(value) if value is not None else None


@routes.patch("/guilds/{guild_id}/widget")
async def edit_widget(emu: DiscordEmulator, request: Request) -> Any:
    guild = _guild(emu, request, P.MANAGE_GUILD)
    body, _ = await read_body(request)
    if "channel_id" in body and body["channel_id"] is not None:
        channel = emu.state.channels.get(int(body["channel_id"]))
        if channel is None or channel.guild_id != guild.id:
            raise InvalidFormBody("channel_id", "CHANNEL_INVALID", "Unknown channel")
        guild.settings["widget_channel_id"] = channel.id
    elif "channel_id" in body:
        guild.settings["widget_channel_id"] = None
    if "enabled" in body:
        guild.settings["widget_enabled"] = bool(body["enabled"])
    return _widget(guild)


@routes.get("/guilds/{guild_id}/widget.json", auth=False)
async def widget_json(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    if not guild.settings.get("widget_enabled"):
        raise DiscordError(403, 50004, "Widget Disabled")
    return {
        "id": str(guild.id),
        "name": guild.name,
        "instant_invite": None,
        "channels": [
            {"id": str(c.id), "name": c.name, "position": c.position}
            for c in emu.state.guild_channels(guild)
            if c.type == ChannelType.GUILD_VOICE
        ],
        "members": [],
        "presence_count": 0,
    }


@routes.get("/guilds/{guild_id}/roles/member-counts")
async def role_member_counts(emu: DiscordEmulator, request: Request) -> Any:
    guild = _guild(emu, request)
    counts = {str(r): 0 for r in guild.roles if r != guild.id}
    for member in guild.members.values():
        for role_id in member.roles:
            if str(role_id) in counts:
                counts[str(role_id)] += 1
    return counts


# -- onboarding and incident actions ---------------------------------------------------------------------
def _onboarding(guild: Guild) -> dict[str, Any]:
    stored = guild.extras.get("onboarding") or {}
    return {
        "guild_id": str(guild.id),
        "prompts": stored.get("prompts", []),
        "default_channel_ids": stored.get("default_channel_ids", []),
        "enabled": stored.get("enabled", False),
        "mode": stored.get("mode", 0),
    }


@routes.get("/guilds/{guild_id}/onboarding")
async def get_onboarding(emu: DiscordEmulator, request: Request) -> Any:
    return _onboarding(_guild(emu, request))


@routes.put("/guilds/{guild_id}/onboarding")
async def put_onboarding(emu: DiscordEmulator, request: Request) -> Any:
    guild = _guild(emu, request, P.MANAGE_GUILD | P.MANAGE_ROLES)
    body, _ = await read_body(request)
    stored = _onboarding(guild)
    if body.get("default_channel_ids") is not None:
        stored["default_channel_ids"] = [str(c) for c in body["default_channel_ids"]]
    for key in ("enabled", "mode"):
        if key in body:
            stored[key] = body[key]
    if body.get("prompts") is not None:
        prompts = []
        for prompt in body["prompts"]:
            options = [
                {
                    "id": str(option.get("id") or emu.state.ids.next()),
                    "title": option.get("title", ""),
                    "description": option.get("description") or "",
                    "emoji": {"id": None, "name": option.get("emoji_name"), "animated": False},
                    "role_ids": [str(r) for r in option.get("role_ids") or []],
                    "channel_ids": [str(c) for c in option.get("channel_ids") or []],
                }
                for option in prompt.get("options") or []
            ]
            prompts.append(
                {
                    "id": str(prompt.get("id") or emu.state.ids.next()),
                    "title": prompt.get("title", ""),
                    "options": options,
                    "single_select": bool(prompt.get("single_select", False)),
                    "required": bool(prompt.get("required", False)),
                    "in_onboarding": bool(prompt.get("in_onboarding", True)),
                    "type": int(prompt.get("type", 0)),
                }
            )
        stored["prompts"] = prompts
    guild.extras["onboarding"] = stored
    return stored


@routes.put("/guilds/{guild_id}/incident-actions")
async def incident_actions(emu: DiscordEmulator, request: Request) -> Any:
    guild = _guild(emu, request, P.MANAGE_GUILD)
    body, _ = await read_body(request)
    data = {
        "invites_disabled_until": body.get("invites_disabled_until"),
        "dms_disabled_until": body.get("dms_disabled_until"),
    }
    guild.extras["incidents"] = data
    return data


# -- templates ------------------------------------------------------------------------------------------
def _template(emu: DiscordEmulator, guild: Guild, code: str) -> dict[str, Any]:
    template = _store(guild, "templates").get(code)
    if template is None:
        raise NotFound(10057, "Guild Template")
    return template  # type: ignore[no-any-return]


def _template_payload(emu: DiscordEmulator, guild: Guild, template: dict[str, Any]) -> dict[str, Any]:
    return {
        **template,
        "creator": emu.state.users[int(template["creator_id"])].payload(),
        "serialized_source_guild": {
            "name": guild.name,
            "description": guild.settings.get("description"),
            "region": None,
            "verification_level": guild.settings.get("verification_level", 0),
            "default_message_notifications": guild.settings.get("default_message_notifications", 0),
            "explicit_content_filter": guild.settings.get("explicit_content_filter", 0),
            "preferred_locale": guild.settings.get("preferred_locale", "en-US"),
            "afk_channel_id": None,
            "afk_timeout": guild.settings.get("afk_timeout", 300),
            "system_channel_id": None,
            "system_channel_flags": 0,
            "roles": [
                {
                    "id": index,
                    "name": r.name,
                    "permissions": str(r.permissions),
                    "color": r.color,
                    "colors": {"primary_color": r.color, "secondary_color": None, "tertiary_color": None},
                    "hoist": r.hoist,
                    "mentionable": r.mentionable,
                    "icon": None,
                    "unicode_emoji": None,
                }
                for index, r in enumerate(sorted(guild.roles.values(), key=lambda r: r.position))
            ],
            "channels": [],
        },
    }


@routes.get("/guilds/templates/{code}")
async def template_by_code(emu: DiscordEmulator, request: Request) -> Any:
    code = request.match_info["code"]
    for guild in emu.state.guilds.values():
        if code in _store(guild, "templates"):
            return _template_payload(emu, guild, _template(emu, guild, code))
    raise NotFound(10057, "Guild Template")


@routes.get("/guilds/{guild_id}/templates")
async def list_templates(emu: DiscordEmulator, request: Request) -> Any:
    guild = _guild(emu, request, P.MANAGE_GUILD)
    return [_template_payload(emu, guild, t) for t in _store(guild, "templates").values()]


@routes.post("/guilds/{guild_id}/templates")
async def create_template(emu: DiscordEmulator, request: Request) -> Any:
    guild = _guild(emu, request, P.MANAGE_GUILD)
    body, _ = await read_body(request)
    name = body.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 100:
        raise InvalidFormBody("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    now = iso_now()
    template = {
        "code": secrets.token_urlsafe(9),
        "name": name,
        "description": body.get("description"),
        "usage_count": 0,
        "creator_id": str(emu.bot_user.id),
        "created_at": now,
        "updated_at": now,
        "source_guild_id": str(guild.id),
        "is_dirty": None,
    }
    _store(guild, "templates")[template["code"]] = template
    return _template_payload(emu, guild, template)


@routes.put("/guilds/{guild_id}/templates/{code}")
async def sync_template(emu: DiscordEmulator, request: Request) -> Any:
    guild = _guild(emu, request, P.MANAGE_GUILD)
    template = _template(emu, guild, request.match_info["code"])
    template["updated_at"] = iso_now()
    return _template_payload(emu, guild, template)


@routes.patch("/guilds/{guild_id}/templates/{code}")
async def edit_template(emu: DiscordEmulator, request: Request) -> Any:
    guild = _guild(emu, request, P.MANAGE_GUILD)
    template = _template(emu, guild, request.match_info["code"])
    body, _ = await read_body(request)
    for key in ("name", "description"):
        if key in body:
            template[key] = body[key]
    return _template_payload(emu, guild, template)


@routes.delete("/guilds/{guild_id}/templates/{code}")
async def delete_template(emu: DiscordEmulator, request: Request) -> Any:
    guild = _guild(emu, request, P.MANAGE_GUILD)
    template = _template(emu, guild, request.match_info["code"])
    del _store(guild, "templates")[template["code"]]
    return _template_payload(emu, guild, template)


# -- integrations ---------------------------------------------------------------------------------------
def add_integration(
    emu: DiscordEmulator, guild: Guild, name: str, *, application_id: int | None = None
) -> dict[str, Any]:
    """Adds a bot integration to a guild, as installing another app does: INTEGRATION_CREATE and
    GUILD_INTEGRATIONS_UPDATE."""
    integration_id = emu.state.ids.next()
    integration = {
        "id": str(integration_id),
        "type": "discord",
        "name": name,
        "account": {"id": str(application_id or integration_id), "name": name},
        "enabled": True,
        "application": {
            "id": str(application_id or integration_id),
            "name": name,
            "icon": None,
            "description": "",
            "summary": "",  # discord.py reads it
            "type": None,
            "flags": 0,
        },
        "scopes": ["bot", "applications.commands"],
        "user": emu.state.users[guild.owner_id].payload(),
    }
    _store(guild, "integrations")[integration_id] = integration
    emu.dispatch("INTEGRATION_CREATE", integration | {"guild_id": str(guild.id)}, guild_id=guild.id)
    emu.dispatch("GUILD_INTEGRATIONS_UPDATE", {"guild_id": str(guild.id)}, guild_id=guild.id)
    return integration


def update_integration(
    emu: DiscordEmulator, guild: Guild, integration_id: int, **fields: Any
) -> dict[str, Any]:
    """An installed app changes (``name``, ``scopes``, ``enabled``): INTEGRATION_UPDATE and
    GUILD_INTEGRATIONS_UPDATE."""
    integration: dict[str, Any] = _store(guild, "integrations")[integration_id]
    unknown = set(fields) - {"name", "scopes", "enabled"}
    if unknown:
        raise TypeError(
            f"update_integration() cannot change {sorted(unknown)}; it changes name, scopes, enabled"
        )
    integration.update(fields)
    emu.dispatch("INTEGRATION_UPDATE", integration | {"guild_id": str(guild.id)}, guild_id=guild.id)
    emu.dispatch("GUILD_INTEGRATIONS_UPDATE", {"guild_id": str(guild.id)}, guild_id=guild.id)
    return integration


def set_sounds_available(emu: DiscordEmulator, guild: Guild, available: bool) -> None:
    """Every guild sound becomes (un)available at once, as when the boost level changes:
    GUILD_SOUNDBOARD_SOUNDS_UPDATE."""
    sounds = list(_store(guild, "sounds").values())
    for sound in sounds:
        sound["available"] = available
    data = {"guild_id": str(guild.id), "soundboard_sounds": sounds}
    emu.dispatch("GUILD_SOUNDBOARD_SOUNDS_UPDATE", data, guild_id=guild.id)


@routes.get("/guilds/{guild_id}/integrations")
async def list_integrations(emu: DiscordEmulator, request: Request) -> Any:
    guild = _guild(emu, request, P.MANAGE_GUILD)
    return list(_store(guild, "integrations").values())


@routes.delete("/guilds/{guild_id}/integrations/{integration_id}")
async def delete_integration(emu: DiscordEmulator, request: Request) -> Any:
    guild = _guild(emu, request, P.MANAGE_GUILD)
    integration = _store(guild, "integrations").pop(snowflake(request, "integration_id"), None)
    if integration is None:
        raise NotFound(10005, "Integration")
    data = {
        "id": integration["id"],
        "guild_id": str(guild.id),
        "application_id": integration["application"]["id"],
    }
    emu.dispatch("INTEGRATION_DELETE", data, guild_id=guild.id)
    emu.dispatch("GUILD_INTEGRATIONS_UPDATE", {"guild_id": str(guild.id)}, guild_id=guild.id)
    return None


# -- stage instances --------------------------------------------------------------------------------------
def _stage_channel(emu: DiscordEmulator, channel_id: int) -> Any:
    channel = emu.state.channel(channel_id)
    if channel.type != ChannelType.GUILD_STAGE_VOICE or channel.guild_id is None:
        raise DiscordError(400, 50024, "Cannot execute action on this channel type")
    return channel


def _stage_instance(emu: DiscordEmulator, channel_id: int) -> tuple[Guild, dict[str, Any]]:
    channel = _stage_channel(emu, channel_id)
    guild = emu.state.guilds[channel.guild_id]
    instance = _store(guild, "stage_instances").get(channel.id)
    if instance is None:
        raise NotFound(10067, "Stage Instance")
    return guild, instance


@routes.post("/stage-instances")
async def start_stage(emu: DiscordEmulator, request: Request) -> Any:
    body, _ = await read_body(request)
    channel = _stage_channel(emu, int(body.get("channel_id") or 0))
    require_channel_permission(
        emu, channel, P.VIEW_CHANNEL | P.MANAGE_CHANNELS | P.MUTE_MEMBERS | P.MOVE_MEMBERS
    )
    topic = body.get("topic")
    if not isinstance(topic, str) or not 1 <= len(topic) <= 120:
        raise InvalidFormBody("topic", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 120 in length.")
    guild = emu.state.guilds[channel.guild_id]
    if channel.id in _store(guild, "stage_instances"):
        raise DiscordError(400, 150006, "Stage already has an instance")
    instance = {
        "id": str(emu.state.ids.next()),
        "guild_id": str(guild.id),
        "channel_id": str(channel.id),
        "topic": topic,
        "privacy_level": int(body.get("privacy_level") or 2),
        "discoverable_disabled": True,
        "guild_scheduled_event_id": _str(body.get("guild_scheduled_event_id")),
    }
    _store(guild, "stage_instances")[channel.id] = instance
    emu.dispatch("STAGE_INSTANCE_CREATE", instance, guild_id=guild.id)
    return instance


@routes.get("/stage-instances/{channel_id}")
async def get_stage(emu: DiscordEmulator, request: Request) -> Any:
    return _stage_instance(emu, snowflake(request, "channel_id"))[1]


@routes.patch("/stage-instances/{channel_id}")
async def edit_stage(emu: DiscordEmulator, request: Request) -> Any:
    guild, instance = _stage_instance(emu, snowflake(request, "channel_id"))
    require_channel_permission(emu, emu.state.channel(int(instance["channel_id"])), P.MANAGE_CHANNELS)
    body, _ = await read_body(request)
    if "topic" in body:
        instance["topic"] = str(body["topic"])
    if "privacy_level" in body:
        instance["privacy_level"] = int(body["privacy_level"])
    emu.dispatch("STAGE_INSTANCE_UPDATE", instance, guild_id=guild.id)
    return instance


@routes.delete("/stage-instances/{channel_id}")
async def end_stage(emu: DiscordEmulator, request: Request) -> Any:
    guild, instance = _stage_instance(emu, snowflake(request, "channel_id"))
    require_channel_permission(emu, emu.state.channel(int(instance["channel_id"])), P.MANAGE_CHANNELS)
    del _store(guild, "stage_instances")[int(instance["channel_id"])]
    emu.dispatch("STAGE_INSTANCE_DELETE", instance, guild_id=guild.id)
    return None


# -- the soundboard --------------------------------------------------------------------------------------
DEFAULT_SOUNDS = [
    {
        "name": name,
        "sound_id": str(index),
        "volume": 1.0,
        "emoji_id": None,
        "emoji_name": emoji,
        "available": True,
    }
    for index, (name, emoji) in enumerate((("quack", "🦆"), ("airhorn", "🔊"), ("cricket", "🦗")), start=1)
]


def _sound(guild: Guild, sound_id: int) -> dict[str, Any]:
    sound = _store(guild, "sounds").get(sound_id)
    if sound is None:
        raise NotFound(10097, "Soundboard Sound")
    return sound  # type: ignore[no-any-return]


def _sound_fields(body: dict[str, Any], sound: dict[str, Any]) -> None:
    if "name" in body:
        name = body["name"]
        if not isinstance(name, str) or not 2 <= len(name) <= 32:
            raise InvalidFormBody("name", "BASE_TYPE_BAD_LENGTH", "Must be between 2 and 32 in length.")
        sound["name"] = name
    if body.get("volume") is not None:
        volume = float(body["volume"])
        if not 0 <= volume <= 1:
            raise InvalidFormBody("volume", "NUMBER_TYPE_MAX", "Must be between 0 and 1")
        sound["volume"] = volume
    if "emoji_id" in body:
        sound["emoji_id"] = _str(body["emoji_id"])
    if "emoji_name" in body:
        sound["emoji_name"] = body["emoji_name"]


@routes.get("/soundboard-default-sounds")
async def default_sounds(emu: DiscordEmulator, request: Request) -> Any:
    return DEFAULT_SOUNDS


@routes.get("/guilds/{guild_id}/soundboard-sounds")
async def list_sounds(emu: DiscordEmulator, request: Request) -> Any:
    guild = _guild(emu, request)
    return {"items": list(_store(guild, "sounds").values())}


@routes.get("/guilds/{guild_id}/soundboard-sounds/{sound_id}")
async def get_sound(emu: DiscordEmulator, request: Request) -> Any:
    return _sound(_guild(emu, request), snowflake(request, "sound_id"))


@routes.post("/guilds/{guild_id}/soundboard-sounds")
async def create_sound(emu: DiscordEmulator, request: Request) -> Any:
    guild = _guild(emu, request, P.CREATE_GUILD_EXPRESSIONS)
    body, _ = await read_body(request)
    raw = body.get("sound")
    if not isinstance(raw, str) or ";base64," not in raw:
        raise InvalidFormBody("sound", "BASE_TYPE_REQUIRED", "A data URI of an mp3 or ogg file is required")
    size = len(base64.b64decode(raw.split(";base64,", 1)[1] + "==="))
    if size > 512 * 1024:
        raise InvalidFormBody("sound", "BINARY_TYPE_MAX_SIZE", "File cannot be larger than 512 kb.")
    sound_id = emu.state.ids.next()
    sound = {
        "name": "",
        "sound_id": str(sound_id),
        "volume": 1.0,
        "emoji_id": None,
        "emoji_name": None,
        "guild_id": str(guild.id),
        "available": True,
        "user": emu.bot_user.payload(),
    }
    _sound_fields({"name": body.get("name"), **body}, sound)
    _store(guild, "sounds")[sound_id] = sound
    emu.dispatch("GUILD_SOUNDBOARD_SOUND_CREATE", sound, guild_id=guild.id)
    return json_response(sound, status=201)


@routes.patch("/guilds/{guild_id}/soundboard-sounds/{sound_id}")
async def edit_sound(emu: DiscordEmulator, request: Request) -> Any:
    guild = _guild(emu, request, P.MANAGE_GUILD_EXPRESSIONS)
    sound = _sound(guild, snowflake(request, "sound_id"))
    body, _ = await read_body(request)
    _sound_fields(body, sound)
    emu.dispatch("GUILD_SOUNDBOARD_SOUND_UPDATE", sound, guild_id=guild.id)
    return sound


@routes.delete("/guilds/{guild_id}/soundboard-sounds/{sound_id}")
async def delete_sound(emu: DiscordEmulator, request: Request) -> Any:
    guild = _guild(emu, request, P.MANAGE_GUILD_EXPRESSIONS)
    sound = _sound(guild, snowflake(request, "sound_id"))
    del _store(guild, "sounds")[int(sound["sound_id"])]
    emu.dispatch(
        "GUILD_SOUNDBOARD_SOUND_DELETE",
        {"sound_id": sound["sound_id"], "guild_id": str(guild.id)},
        guild_id=guild.id,
    )
    return None


@routes.post("/channels/{channel_id}/send-soundboard-sound")
async def send_sound(emu: DiscordEmulator, request: Request) -> Any:
    channel = emu.state.channel(snowflake(request, "channel_id"))
    if channel.guild_id is None or channel.type != ChannelType.GUILD_VOICE:
        raise DiscordError(400, 50024, "Cannot execute action on this channel type")
    guild = emu.state.guilds[channel.guild_id]
    state = guild.voice_states.get(emu.bot_user.id)
    if state is None or state.channel_id != channel.id:
        raise DiscordError(400, 40032, "Target user is not connected to voice.")
    require_channel_permission(emu, channel, P.VIEW_CHANNEL | P.SPEAK)
    body, _ = await read_body(request)
    sound_id = str(body.get("sound_id") or "")
    source = body.get("source_guild_id")
    known = {s["sound_id"] for s in DEFAULT_SOUNDS} | {str(k) for k in _store(guild, "sounds")}
    if source is None and sound_id not in known:
        raise NotFound(10097, "Soundboard Sound")
    emu.dispatch(
        "VOICE_CHANNEL_EFFECT_SEND",
        {
            "channel_id": str(channel.id),
            "guild_id": str(guild.id),
            "user_id": str(emu.bot_user.id),
            "sound_id": sound_id,
            "sound_volume": 1.0,
            "animation_type": None,
            "animation_id": None,
            "emoji": None,
        },
        guild_id=guild.id,
    )
    return None


@routes.put("/channels/{channel_id}/voice-status")
async def voice_status(emu: DiscordEmulator, request: Request) -> Any:
    channel = emu.state.channel(snowflake(request, "channel_id"))
    if channel.type != ChannelType.GUILD_VOICE:
        raise DiscordError(400, 50024, "Cannot execute action on this channel type")
    require_channel_permission(emu, channel, P.VIEW_CHANNEL)
    body, _ = await read_body(request)
    status = body.get("status")
    if status is not None and (not isinstance(status, str) or len(status) > 500):
        raise InvalidFormBody("status", "BASE_TYPE_MAX_LENGTH", "Must be 500 or fewer in length.")
    channel.options["status"] = status
    return None
