"""The application's own resources: editing it, its emojis, entitlements and subscriptions (with a
driver to grant them), application command permissions, and sticker lookups."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from ..access import require_bot_in_guild, require_guild_permission
from ..errors import ErrorCode, InvalidFormBody, NotFound
from ..http_utils import Request, RouteSet, json_response, read_body, snowflake
from ..models import Emoji
from ..permissions import P
from .application import application_payload
from .guilds import decode_image

if TYPE_CHECKING:
    from ..server import DiscordEmulator

__all__ = ["cancel_subscription", "grant_entitlement", "routes", "start_subscription"]

routes = RouteSet()


def _app(emu: DiscordEmulator, request: Request) -> None:
    if snowflake(request, "application_id") != emu.application_id:
        raise NotFound(ErrorCode.UNKNOWN_APPLICATION, "Application")


def _store(emu: DiscordEmulator, name: str) -> dict[Any, Any]:
    store: dict[Any, Any] = emu.state.app_extras.setdefault(name, {})
    return store


@routes.patch("/applications/@me")
async def edit_application(emu: DiscordEmulator, request: Request) -> Any:
    body, _ = await read_body(request)
    settings = _store(emu, "settings")
    for key in ("description", "interactions_endpoint_url", "role_connections_verification_url", "tags"):
        if key in body:
            settings[key] = body[key]
    if "icon" in body:
        settings["icon"] = None if body["icon"] is None else "a" * 32
        if body["icon"] is not None:
            decode_image(body["icon"], "icon", 10 * 1024 * 1024)
    return application_payload(emu)


# -- application emojis -------------------------------------------------------------------------------
def _emoji(emu: DiscordEmulator, request: Request) -> Emoji:
    emoji = _store(emu, "emojis").get(snowflake(request, "emoji_id"))
    if emoji is None:
        raise NotFound(ErrorCode.UNKNOWN_EMOJI, "Emoji")
    return emoji  # type: ignore[no-any-return]


@routes.get("/applications/{application_id}/emojis")
async def list_app_emojis(emu: DiscordEmulator, request: Request) -> Any:
    _app(emu, request)
    return {"items": [e.payload(emu.state.users) for e in _store(emu, "emojis").values()]}


@routes.get("/applications/{application_id}/emojis/{emoji_id}")
async def get_app_emoji(emu: DiscordEmulator, request: Request) -> Any:
    _app(emu, request)
    return _emoji(emu, request).payload(emu.state.users)


@routes.post("/applications/{application_id}/emojis")
async def create_app_emoji(emu: DiscordEmulator, request: Request) -> Any:
    _app(emu, request)
    body, _ = await read_body(request)
    name = body.get("name")
    if not isinstance(name, str) or not 2 <= len(name) <= 32:
        raise InvalidFormBody("name", "BASE_TYPE_BAD_LENGTH", "Must be between 2 and 32 in length.")
    image = decode_image(body.get("image"), "image", 256 * 1024)
    emoji = Emoji(
        id=emu.state.ids.next(),
        guild_id=0,
        name=name,
        image=image,
        animated=str(body.get("image")).startswith("data:image/gif"),
        creator_id=emu.app_owner.id,
    )
    _store(emu, "emojis")[emoji.id] = emoji
    return json_response(emoji.payload(emu.state.users), status=201)


@routes.patch("/applications/{application_id}/emojis/{emoji_id}")
async def edit_app_emoji(emu: DiscordEmulator, request: Request) -> Any:
    _app(emu, request)
    emoji = _emoji(emu, request)
    body, _ = await read_body(request)
    if "name" in body:
        emoji.name = str(body["name"])
    return emoji.payload(emu.state.users)


@routes.delete("/applications/{application_id}/emojis/{emoji_id}")
async def delete_app_emoji(emu: DiscordEmulator, request: Request) -> Any:
    _app(emu, request)
    del _store(emu, "emojis")[_emoji(emu, request).id]
    return None


# -- entitlements and subscriptions ------------------------------------------------------------------------
def grant_entitlement(
    emu: DiscordEmulator,
    sku_id: int,
    *,
    user_id: int | None = None,
    guild_id: int | None = None,
    test: bool = False,
) -> dict[str, Any]:
    """A user or guild gets an entitlement to a SKU (a test one has no start); ENTITLEMENT_CREATE."""
    entitlement_id = emu.state.ids.next()
    entitlement: dict[str, Any] = {
        "id": str(entitlement_id),
        "sku_id": str(sku_id),
        "application_id": str(emu.application_id),
        "user_id": str(user_id) if user_id is not None else None,
        "guild_id": str(guild_id) if guild_id is not None else None,
        "deleted": False,
        "starts_at": None if test else dt.datetime.now(dt.UTC).isoformat(),
        "ends_at": None,
        "type": 8,  # APPLICATION_SUBSCRIPTION
        "consumed": False,
    }
    _store(emu, "entitlements")[entitlement_id] = entitlement
    emu.dispatch("ENTITLEMENT_CREATE", entitlement, guild_id=guild_id)
    return entitlement


def start_subscription(emu: DiscordEmulator, sku_id: int, user_id: int) -> dict[str, Any]:
    """A user subscribes to a SKU: an entitlement and SUBSCRIPTION_CREATE."""
    entitlement = grant_entitlement(emu, sku_id, user_id=user_id)
    now = dt.datetime.now(dt.UTC)
    subscription_id = emu.state.ids.next()
    subscription: dict[str, Any] = {
        "id": str(subscription_id),
        "user_id": str(user_id),
        "sku_ids": [str(sku_id)],
        "renewal_sku_ids": [str(sku_id)],
        "entitlement_ids": [entitlement["id"]],
        "current_period_start": now.isoformat(),
        "current_period_end": (now + dt.timedelta(days=30)).isoformat(),
        "status": 0,
        "canceled_at": None,
    }
    _store(emu, "subscriptions")[subscription_id] = subscription
    emu.dispatch("SUBSCRIPTION_CREATE", subscription)
    return subscription


def cancel_subscription(emu: DiscordEmulator, subscription_id: int) -> None:
    """The user cancels: SUBSCRIPTION_UPDATE (status 1, ending), then at the period's end
    SUBSCRIPTION_DELETE and the entitlement ends (ENTITLEMENT_UPDATE)."""
    subscription = _store(emu, "subscriptions")[subscription_id]
    subscription["status"] = 1
    subscription["canceled_at"] = dt.datetime.now(dt.UTC).isoformat()
    emu.dispatch("SUBSCRIPTION_UPDATE", subscription)
    for entitlement_id in subscription["entitlement_ids"]:
        entitlement = _store(emu, "entitlements")[int(entitlement_id)]
        entitlement["ends_at"] = subscription["canceled_at"]
        emu.dispatch("ENTITLEMENT_UPDATE", entitlement)
    del _store(emu, "subscriptions")[subscription_id]
    emu.dispatch("SUBSCRIPTION_DELETE", subscription)


def _entitlement(emu: DiscordEmulator, request: Request) -> dict[str, Any]:
    _app(emu, request)
    entitlement = _store(emu, "entitlements").get(snowflake(request, "entitlement_id"))
    if entitlement is None or entitlement["deleted"]:
        raise NotFound(10029, "Entitlement")
    return entitlement  # type: ignore[no-any-return]


@routes.get("/applications/{application_id}/entitlements")
async def list_entitlements(emu: DiscordEmulator, request: Request) -> Any:
    _app(emu, request)
    query = request.query
    found = [e for e in _store(emu, "entitlements").values() if not e["deleted"]]
    if query.get("user_id"):
        found = [e for e in found if e["user_id"] == query["user_id"]]
    if query.get("guild_id"):
        found = [e for e in found if e["guild_id"] == query["guild_id"]]
    if query.get("sku_ids"):
        skus = set(query["sku_ids"].split(","))
        found = [e for e in found if e["sku_id"] in skus]
    if query.get("exclude_ended", "false").lower() in ("true", "1"):
        found = [e for e in found if e["ends_at"] is None]
    return found[: int(query.get("limit", 100))]


@routes.get("/applications/{application_id}/entitlements/{entitlement_id}")
async def get_entitlement(emu: DiscordEmulator, request: Request) -> Any:
    return _entitlement(emu, request)


@routes.post("/applications/{application_id}/entitlements")
async def create_test_entitlement(emu: DiscordEmulator, request: Request) -> Any:
    _app(emu, request)
    body, _ = await read_body(request)
    owner_type = int(body.get("owner_type") or 0)
    if owner_type not in (1, 2) or not body.get("owner_id") or not body.get("sku_id"):
        raise InvalidFormBody(
            "owner_type", "BASE_TYPE_CHOICES", "Give sku_id, owner_id and owner_type 1 (guild) or 2 (user)."
        )
    owner = int(body["owner_id"])
    if owner_type == 1:
        return grant_entitlement(emu, int(body["sku_id"]), guild_id=owner, test=True)
    return grant_entitlement(emu, int(body["sku_id"]), user_id=owner, test=True)


@routes.delete("/applications/{application_id}/entitlements/{entitlement_id}")
async def delete_test_entitlement(emu: DiscordEmulator, request: Request) -> Any:
    entitlement = _entitlement(emu, request)
    entitlement["deleted"] = True
    emu.dispatch("ENTITLEMENT_DELETE", entitlement)
    return None


@routes.post("/applications/{application_id}/entitlements/{entitlement_id}/consume")
async def consume_entitlement(emu: DiscordEmulator, request: Request) -> Any:
    entitlement = _entitlement(emu, request)
    entitlement["consumed"] = True
    emu.dispatch("ENTITLEMENT_UPDATE", entitlement)
    return None


@routes.get("/skus/{sku_id}/subscriptions")
async def list_subscriptions(emu: DiscordEmulator, request: Request) -> Any:
    sku = str(snowflake(request, "sku_id"))
    user = request.query.get("user_id")
    return [
        s
        for s in _store(emu, "subscriptions").values()
        if sku in s["sku_ids"] and (user is None or s["user_id"] == user)
    ]


@routes.get("/skus/{sku_id}/subscriptions/{subscription_id}")
async def get_subscription(emu: DiscordEmulator, request: Request) -> Any:
    subscription = _store(emu, "subscriptions").get(snowflake(request, "subscription_id"))
    if subscription is None or str(snowflake(request, "sku_id")) not in subscription["sku_ids"]:
        raise NotFound(10028, "Subscription")
    return subscription


# -- application command permissions ---------------------------------------------------------------------
def _permissions(emu: DiscordEmulator, guild_id: int, command_id: int) -> dict[str, Any]:
    stored = _store(emu, "command_permissions").get((guild_id, command_id), [])
    return {
        "id": str(command_id),
        "application_id": str(emu.application_id),
        "guild_id": str(guild_id),
        "permissions": stored,
    }


@routes.get("/applications/{application_id}/guilds/{guild_id}/commands/permissions")
async def all_command_permissions(emu: DiscordEmulator, request: Request) -> Any:
    _app(emu, request)
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_bot_in_guild(emu, guild)
    return [_permissions(emu, g, c) for (g, c) in _store(emu, "command_permissions") if g == guild.id]


@routes.get("/applications/{application_id}/guilds/{guild_id}/commands/{command_id}/permissions")
async def command_permissions(emu: DiscordEmulator, request: Request) -> Any:
    _app(emu, request)
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_bot_in_guild(emu, guild)
    key = (guild.id, snowflake(request, "command_id"))
    if key not in _store(emu, "command_permissions"):
        raise NotFound(10066, "Application command permissions")
    return _permissions(emu, *key)


@routes.put("/applications/{application_id}/guilds/{guild_id}/commands/{command_id}/permissions")
async def set_command_permissions(emu: DiscordEmulator, request: Request) -> Any:
    """Discord takes this only with a user's Bearer token; the emulator takes the bot's, to test
    what bots do with APPLICATION_COMMAND_PERMISSIONS_UPDATE."""
    _app(emu, request)
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_guild_permission(emu, guild, P.MANAGE_GUILD | P.MANAGE_ROLES)
    body, _ = await read_body(request)
    entries = []
    for index, entry in enumerate(body.get("permissions") or []):
        if int(entry.get("type") or 0) not in (1, 2, 3):
            raise InvalidFormBody(
                f"permissions.{index}.type", "BASE_TYPE_CHOICES", "Value must be one of (1, 2, 3)."
            )
        entries.append(
            {"id": str(entry["id"]), "type": int(entry["type"]), "permission": bool(entry.get("permission"))}
        )
    command_id = snowflake(request, "command_id")
    _store(emu, "command_permissions")[(guild.id, command_id)] = entries
    data = _permissions(emu, guild.id, command_id)
    emu.dispatch("APPLICATION_COMMAND_PERMISSIONS_UPDATE", data, guild_id=guild.id)
    return data


# -- stickers ---------------------------------------------------------------------------------------------
STANDARD_PACK_ID = 847199849233514549
STANDARD_STICKERS = [
    {
        "id": str(749054660769218631 + index),
        "name": name,
        "tags": tag,
        "type": 1,
        "format_type": 1,
        "description": f"{name} sticker",
        "pack_id": str(STANDARD_PACK_ID),
        "sort_value": index,
    }
    for index, (name, tag) in enumerate((("Wave", "wave"), ("Thumbs Up", "thumbsup"), ("Party", "party")))
]
STANDARD_PACK = {
    "id": str(STANDARD_PACK_ID),
    "sku_id": "847199849233514547",
    "name": "Wumpus Beyond",
    "description": "Standard stickers",
    "stickers": STANDARD_STICKERS,
    "cover_sticker_id": STANDARD_STICKERS[0]["id"],
}


@routes.get("/sticker-packs")
async def sticker_packs(emu: DiscordEmulator, request: Request) -> Any:
    return {"sticker_packs": [STANDARD_PACK]}


@routes.get("/sticker-packs/{sticker_pack_id}")
async def sticker_pack(emu: DiscordEmulator, request: Request) -> Any:
    if snowflake(request, "sticker_pack_id") != STANDARD_PACK_ID:
        raise NotFound(ErrorCode.UNKNOWN_STICKER, "Sticker Pack")
    return STANDARD_PACK


@routes.get("/stickers/{sticker_id}")
async def get_any_sticker(emu: DiscordEmulator, request: Request) -> Any:
    sticker_id = snowflake(request, "sticker_id")
    for standard in STANDARD_STICKERS:
        if standard["id"] == str(sticker_id):
            return standard
    for guild in emu.state.guilds.values():
        if sticker_id in guild.stickers:
            return guild.stickers[sticker_id].payload(emu.state.users)
    raise NotFound(ErrorCode.UNKNOWN_STICKER, "Sticker")
