"""The bot's own user and application, the gateway address, DMs and guild membership."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..http_utils import Request, RouteSet, read_body, snowflake

if TYPE_CHECKING:
    from ..server import DiscordEmulator

routes = RouteSet()


def application_payload(emu: DiscordEmulator) -> dict[str, Any]:
    """The bot's application, with what ``PATCH /applications/@me`` changed."""
    settings: dict[str, Any] = emu.state.app_extras.get("settings", {})
    return _application(emu) | settings


def _application(emu: DiscordEmulator) -> dict[str, Any]:
    # Unset optional fields Discord types as non-nullable (cover_image, guild_id, the URLs...) are left out.
    return {
        "id": str(emu.application_id),
        "name": emu.bot_user.username,
        "icon": None,
        "description": "",
        "summary": "",
        "type": None,
        "bot": emu.bot_user.payload(),
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "flags": 0,
        "flags_new": "0",
        "owner": emu.app_owner.payload(),
        "team": None,
        "rpc_origins": [],
        "tags": [],
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "redirect_uris": [],
        "integration_types_config": {"0": {}},
        "approximate_guild_count": sum(1 for g in emu.state.guilds.values() if emu.bot_user.id in g.members),
        "approximate_user_install_count": 0,
        "approximate_user_authorization_count": 0,
        "explicit_content_filter": 0,
        "eligible_oauth2_scopes": ["applications.commands", "bot"],
    }


@routes.get("/users/@me")
async def get_me(emu: DiscordEmulator, request: Request) -> Any:
    return emu.bot_user.payload() | {"verified": True, "mfa_enabled": False, "locale": "en-US", "email": None}


@routes.patch("/users/@me")
async def edit_me(emu: DiscordEmulator, request: Request) -> Any:
    body, _ = await read_body(request)
    if "username" in body:
        emu.bot_user.username = str(body["username"])
    me = await get_me(emu, request)
    emu.dispatch("USER_UPDATE", me)
    return me


@routes.post("/users/@me/channels")
async def create_dm(emu: DiscordEmulator, request: Request) -> Any:
    body, _ = await read_body(request)
    user = emu.state.user(int(body.get("recipient_id", 0)))
    channel = emu.state.dm_channel(emu.bot_user.id, user.id)
    return channel.payload(emu.state.users)


@routes.get("/users/@me/guilds")
async def my_guilds(emu: DiscordEmulator, request: Request) -> Any:
    return [
        {
            "id": str(g.id),
            "name": g.name,
            "icon": g.settings.get("icon"),
            "banner": None,
            "owner": g.owner_id == emu.bot_user.id,
            "permissions": "0",
            "features": [],
        }
        for g in emu.state.guilds.values()
        if emu.bot_user.id in g.members
    ]


@routes.delete("/users/@me/guilds/{guild_id}")
async def leave_guild(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    emu.remove_bot_from_guild(guild)
    return None


@routes.get("/users/{user_id}")
async def get_user(emu: DiscordEmulator, request: Request) -> Any:
    return emu.state.user(snowflake(request, "user_id")).payload()


@routes.get("/oauth2/applications/@me")
async def oauth_application(emu: DiscordEmulator, request: Request) -> Any:
    return application_payload(emu)


@routes.get("/applications/@me")
async def application(emu: DiscordEmulator, request: Request) -> Any:
    return application_payload(emu)


@routes.get("/gateway", auth=False)
async def gateway(emu: DiscordEmulator, request: Request) -> Any:
    return {"url": emu.gateway_url}


@routes.get("/gateway/bot")
async def gateway_bot(emu: DiscordEmulator, request: Request) -> Any:
    return {
        "url": emu.gateway_url,
        "shards": emu.recommended_shards,
        "session_start_limit": emu.identify_limits.session_start_limit(),
    }
