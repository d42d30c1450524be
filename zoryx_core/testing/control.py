"""A small HTTP control API under ``/_zoryx`` for driving a standalone emulator from another process.

- ``GET  /_zoryx/state``: guilds with their channels and members, the bot, the token, gateway sessions.
- ``POST /_zoryx/users`` ``{"username"}``: a new user.
- ``POST /_zoryx/guilds`` ``{"name", "members": [user ids]}``: a new guild with #general.
- ``POST /_zoryx/messages`` ``{"channel_id", "user_id", "content"}``: a user posts a message.
- ``GET  /_zoryx/channels/{channel_id}/messages?after=ID``: messages in a channel, oldest first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from .http_utils import json_response

if TYPE_CHECKING:
    from .server import DiscordEmulator

__all__ = ["CONTROL_PREFIX", "add_control_routes"]

CONTROL_PREFIX = "/_zoryx"


def add_control_routes(app: web.Application, emu: DiscordEmulator) -> None:
    async def state(request: web.Request) -> web.Response:
        return json_response(
            {
                "token": emu.token,
                "api_url": emu.api_url,
                "gateway_url": emu.gateway_url,
                "bot": emu.bot_user.payload(),
                "sessions": [
                    {
                        "shard_id": s.shard_id,
                        "shard_count": s.shard_count,
                        "connected": s.connection is not None,
                    }
                    for s in emu.gateway.sessions.values()
                ],
                "guilds": [
                    {
                        "id": str(g.id),
                        "name": g.name,
                        "channels": [
                            {"id": str(c.id), "name": c.name, "type": c.type}
                            for c in emu.state.guild_channels(g)
                        ],
                        "members": [emu.state.users[m].payload() for m in g.members],
                    }
                    for g in emu.state.guilds.values()
                ],
            }
        )

    async def new_user(request: web.Request) -> web.Response:
        body = await _json(request)
        return json_response(emu.create_user(_required(body, "username")).payload(), status=201)

    async def new_guild(request: web.Request) -> web.Response:
        body = await _json(request)
        members = [emu.state.user(int(u)) for u in body.get("members") or []]
        guild = emu.create_guild(_required(body, "name"), members=members)
        return json_response(emu.state.guild_payload(guild), status=201)

    async def post_message(request: web.Request) -> web.Response:
        body = await _json(request)
        channel = emu.state.channel(int(_required(body, "channel_id")))
        user = emu.state.user(int(_required(body, "user_id")))
        try:
            message = await emu.send_message(channel, user, str(body.get("content", "")))
        except ValueError as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        return json_response(emu.state.message_payload(message, viewer_id=emu.bot_user.id), status=201)

    async def list_messages(request: web.Request) -> web.Response:
        channel = emu.state.channel(int(request.match_info["channel_id"]))
        after = int(request.query.get("after", 0))
        return json_response(
            [
                emu.state.message_payload(m, viewer_id=emu.bot_user.id)
                for m in emu.messages_in(channel)
                if m.id > after
            ]
        )

    app.router.add_get(CONTROL_PREFIX + "/state", state)
    app.router.add_post(CONTROL_PREFIX + "/users", new_user)
    app.router.add_post(CONTROL_PREFIX + "/guilds", new_guild)
    app.router.add_post(CONTROL_PREFIX + "/messages", post_message)
    app.router.add_get(CONTROL_PREFIX + "/channels/{channel_id}/messages", list_messages)


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="the body must be a JSON object")
    return body


def _required(body: dict[str, Any], key: str) -> Any:
    if key not in body:
        raise web.HTTPBadRequest(text=f"missing field {key!r}")
    return body[key]
