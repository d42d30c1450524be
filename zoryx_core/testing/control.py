"""The control API under ``/_zoryx``: every driver action over HTTP, so a bot in another process (in
any language) can be tested against a standalone emulator.

``GET /_zoryx/openapi.json`` describes it (OpenAPI 3.1), generated from the same table that routes
the requests, so the document and the server cannot disagree. Bodies are JSON objects; ids may be
given as numbers or strings. A refused action answers 400 (404 for an unknown object) with
``{"error": "..."}`` naming what was wrong.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .actions import InteractionResult
from .errors import DiscordError
from .http_utils import json_response

if TYPE_CHECKING:
    from .models import Channel, Guild, Message, User
    from .server import DiscordEmulator

__all__ = ["CONTROL_ACTIONS", "CONTROL_PREFIX", "ControlAction", "add_control_routes", "control_openapi"]

CONTROL_PREFIX = "/_zoryx"

ID = {"oneOf": [{"type": "string", "pattern": "^[0-9]+$"}, {"type": "integer"}]}
STR = {"type": "string"}
BOOL = {"type": "boolean"}
INT = {"type": "integer"}
IDS = {"type": "array", "items": ID}
OBJ = {"type": "object"}

ControlHandler = Callable[["DiscordEmulator", dict[str, Any], dict[str, str]], Awaitable[Any]]


@dataclass
class ControlAction:
    """One endpoint of the control API: method, path, what it does, its body and its handler."""

    method: str
    path: str
    summary: str
    handler: ControlHandler
    required: dict[str, Any] = field(default_factory=dict)
    optional: dict[str, Any] = field(default_factory=dict)
    status: int = 200

    def schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {**self.required, **self.optional},
            "required": sorted(self.required),
        }


CONTROL_ACTIONS: list[ControlAction] = []


def action(
    method: str,
    path: str,
    summary: str,
    *,
    required: dict[str, Any] | None = None,
    optional: dict[str, Any] | None = None,
    status: int = 200,
) -> Callable[[ControlHandler], ControlHandler]:
    def decorator(handler: ControlHandler) -> ControlHandler:
        CONTROL_ACTIONS.append(
            ControlAction(method, path, summary, handler, dict(required or {}), dict(optional or {}), status)
        )
        return handler

    return decorator


class BadInput(Exception):
    """A control request that cannot be carried out; answered with 400 and the message."""


# -- lookups ------------------------------------------------------------------------------------------
def _id(body: dict[str, Any], key: str) -> int:
    try:
        return int(body[key])
    except KeyError:
        raise BadInput(f"missing field {key!r}") from None
    except (TypeError, ValueError):
        raise BadInput(f"{key} must be an id (digits), got {body[key]!r}") from None


def _user(emu: DiscordEmulator, body: dict[str, Any], key: str = "user_id") -> User:
    return emu.state.user(_id(body, key))


def _channel(emu: DiscordEmulator, body: dict[str, Any], key: str = "channel_id") -> Channel:
    return emu.state.channel(_id(body, key))


def _guild(emu: DiscordEmulator, body: dict[str, Any]) -> Guild:
    return emu.state.guild(_id(body, "guild_id"))


def _message(emu: DiscordEmulator, body: dict[str, Any]) -> Message:
    return emu.state.message(_id(body, "channel_id"), _id(body, "message_id"))


def _render(emu: DiscordEmulator, message: Message) -> dict[str, Any]:
    return emu.state.message_payload(message, viewer_id=emu.bot_user.id)


def _interaction(emu: DiscordEmulator, result: InteractionResult) -> dict[str, Any]:
    message = result.message
    return {
        "interaction_id": str(result.record.id),
        "response_type": result.response_type,
        "message": _render(emu, message) if message is not None else None,
        "ephemeral": result.ephemeral,
        "modal": result.modal,
        "choices": result.choices,
        "followups": [_render(emu, m) for m in result.followups],
    }


def _timeout(body: dict[str, Any]) -> float:
    value = body.get("timeout", 5.0)
    if not isinstance(value, int | float) or not 0 < value <= 120:
        raise BadInput("timeout must be a number of seconds between 0 and 120")
    return float(value)


# -- the world ------------------------------------------------------------------------------------------
@action("GET", "/state", "Guilds with channels and members, the bot, its token and gateway sessions")
async def _state(emu: DiscordEmulator, body: dict[str, Any], path: dict[str, str]) -> Any:
    return {
        "token": emu.token,
        "api_url": emu.api_url,
        "gateway_url": emu.gateway_url,
        "bot": emu.bot_user.payload(),
        "sessions": [
            {"shard_id": s.shard_id, "shard_count": s.shard_count, "connected": s.connection is not None}
            for s in emu.gateway.sessions.values()
        ],
        "guilds": [
            {
                "id": str(g.id),
                "name": g.name,
                "channels": [
                    {"id": str(c.id), "name": c.name, "type": c.type} for c in emu.state.guild_channels(g)
                ],
                "members": [emu.state.users[m].payload() for m in g.members],
            }
            for g in emu.state.guilds.values()
        ],
    }


@action("GET", "/not-emulated", "REST routes the bot called that the emulator does not serve")
async def _not_emulated(emu: DiscordEmulator, body: dict[str, Any], path: dict[str, str]) -> Any:
    return {"routes": list(dict.fromkeys(emu.not_emulated))}


@action("POST", "/users", "Creates a user", required={"username": STR}, status=201)
async def _new_user(emu: DiscordEmulator, body: dict[str, Any], path: dict[str, str]) -> Any:
    return emu.create_user(str(body["username"])).payload()


@action(
    "POST",
    "/guilds",
    "Creates a guild with #general, the bot and the given members",
    required={"name": STR},
    optional={"members": IDS},
    status=201,
)
async def _new_guild(emu: DiscordEmulator, body: dict[str, Any], path: dict[str, str]) -> Any:
    members = [emu.state.user(int(u)) for u in body.get("members") or []]
    return emu.state.guild_payload(emu.create_guild(str(body["name"]), members=members))


@action(
    "POST",
    "/channels",
    "Creates a channel (type 0 text, 2 voice, 4 category, 5 announcement, 13 stage, 15 forum)",
    required={"guild_id": ID, "name": STR},
    optional={"type": INT, "available_tags": {"type": "array", "items": OBJ}},
    status=201,
)
async def _new_channel(emu: DiscordEmulator, body: dict[str, Any], path: dict[str, str]) -> Any:
    options = {"available_tags": body["available_tags"]} if body.get("available_tags") else {}
    return emu.create_channel(
        _guild(emu, body), str(body["name"]), type=int(body.get("type", 0)), **options
    ).payload()


@action(
    "POST",
    "/roles",
    "Creates a role, optionally given to members",
    required={"guild_id": ID, "name": STR},
    optional={"permissions": {"oneOf": [STR, INT]}, "members": IDS},
    status=201,
)
async def _new_role(emu: DiscordEmulator, body: dict[str, Any], path: dict[str, str]) -> Any:
    guild = _guild(emu, body)
    role = emu.create_role(guild, str(body["name"]), permissions=int(body.get("permissions") or 0))
    for user_id in body.get("members") or []:
        member = emu.state.member(guild, int(user_id))
        emu.set_member_roles(guild, member, [*(guild.roles[r] for r in member.roles), role])
    return role.payload()


# -- messages -------------------------------------------------------------------------------------------
@action(
    "POST",
    "/messages",
    "A user posts a message (a reply with reply_to)",
    required={"channel_id": ID, "user_id": ID, "content": STR},
    optional={"reply_to": ID},
    status=201,
)
async def _post(emu: DiscordEmulator, body: dict[str, Any], path: dict[str, str]) -> Any:
    channel = _channel(emu, body)
    reply_to = emu.state.message(channel.id, _id(body, "reply_to")) if body.get("reply_to") else None
    message = await emu.send_message(channel, _user(emu, body), str(body["content"]), reply_to=reply_to)
    return _render(emu, message)


@action("GET", "/channels/{channel_id}/messages", "Messages in a channel, oldest first (query: after)")
async def _list(emu: DiscordEmulator, body: dict[str, Any], path: dict[str, str]) -> Any:
    channel = emu.state.channel(int(path["channel_id"]))
    after = int(path.get("after") or 0)
    return [_render(emu, m) for m in emu.messages_in(channel) if m.id > after]


@action(
    "POST",
    "/messages/edit",
    "The author edits their message",
    required={"channel_id": ID, "message_id": ID, "content": STR},
)
async def _edit(emu: DiscordEmulator, body: dict[str, Any], path: dict[str, str]) -> Any:
    return _render(emu, await emu.edit_message(_message(emu, body), str(body["content"])))


@action(
    "POST",
    "/messages/delete",
    "The author deletes their message",
    required={"channel_id": ID, "message_id": ID},
)
async def _delete(emu: DiscordEmulator, body: dict[str, Any], path: dict[str, str]) -> Any:
    await emu.delete_message(_message(emu, body))
    return {}


_REACTION = {"channel_id": ID, "message_id": ID, "user_id": ID, "emoji": STR}


@action("POST", "/reactions/add", "A user reacts (emoji: a character or name:id)", required=_REACTION)
async def _react(emu: DiscordEmulator, body: dict[str, Any], path: dict[str, str]) -> Any:
    await emu.add_reaction(_message(emu, body), str(body["emoji"]), _user(emu, body))
    return {}


@action("POST", "/reactions/remove", "A user removes their reaction", required=_REACTION)
async def _unreact(emu: DiscordEmulator, body: dict[str, Any], path: dict[str, str]) -> Any:
    await emu.remove_reaction(_message(emu, body), str(body["emoji"]), _user(emu, body))
    return {}


@action("POST", "/typing", "A user starts typing", required={"channel_id": ID, "user_id": ID})
async def _typing(emu: DiscordEmulator, body: dict[str, Any], path: dict[str, str]) -> Any:
    await emu.start_typing(_channel(emu, body), _user(emu, body))
    return {}


# -- interactions -------------------------------------------------------------------------------------------
@action(
    "POST",
    "/interactions/slash",
    "A user runs a slash command ('group sub' for subcommands); options by name, ids for users/roles",
    required={"channel_id": ID, "user_id": ID, "command": STR},
    optional={"options": OBJ, "timeout": {"type": "number"}},
)
async def _slash(emu: DiscordEmulator, body: dict[str, Any], path: dict[str, str]) -> Any:
    result = await emu.run_slash(
        str(body["command"]),
        channel=_channel(emu, body),
        user=_user(emu, body),
        options=dict(body.get("options") or {}),
        timeout=_timeout(body),
    )
    return _interaction(emu, result)


@action(
    "POST",
    "/interactions/context",
    "A user runs a context-menu command on a message (target_message_id) or a user (target_user_id)",
    required={"channel_id": ID, "user_id": ID, "command": STR},
    optional={"target_message_id": ID, "target_user_id": ID, "timeout": {"type": "number"}},
)
async def _context(emu: DiscordEmulator, body: dict[str, Any], path: dict[str, str]) -> Any:
    channel = _channel(emu, body)
    target: Any
    if body.get("target_message_id"):
        target = emu.state.message(channel.id, _id(body, "target_message_id"))
    elif body.get("target_user_id"):
        target = _user(emu, body, "target_user_id")
    else:
        raise BadInput("give target_message_id or target_user_id")
    result = await emu.run_context_command(
        str(body["command"]), target, channel=channel, user=_user(emu, body), timeout=_timeout(body)
    )
    return _interaction(emu, result)


@action(
    "POST",
    "/interactions/click",
    "A user clicks a button, found by custom_id or by label",
    required={"channel_id": ID, "message_id": ID, "user_id": ID},
    optional={"custom_id": STR, "label": STR, "timeout": {"type": "number"}},
)
async def _click(emu: DiscordEmulator, body: dict[str, Any], path: dict[str, str]) -> Any:
    if not body.get("custom_id") and not body.get("label"):
        raise BadInput("give custom_id or label")
    result = await emu.click(
        _message(emu, body),
        user=_user(emu, body),
        custom_id=body.get("custom_id"),
        label=body.get("label"),
        timeout=_timeout(body),
    )
    return _interaction(emu, result)


@action(
    "POST",
    "/interactions/select",
    "A user chooses in a select menu: values, or option labels; ids for user/role/channel selects",
    required={"channel_id": ID, "message_id": ID, "user_id": ID},
    optional={
        "custom_id": STR,
        "values": {"type": "array"},
        "labels": {"type": "array", "items": STR},
        "timeout": {"type": "number"},
    },
)
async def _select(emu: DiscordEmulator, body: dict[str, Any], path: dict[str, str]) -> Any:
    result = await emu.choose(
        _message(emu, body),
        body.get("values"),
        user=_user(emu, body),
        custom_id=body.get("custom_id"),
        labels=body.get("labels"),
        timeout=_timeout(body),
    )
    return _interaction(emu, result)


@action(
    "POST",
    "/interactions/modal",
    "Submits the modal the bot opened in an interaction; values by text input custom_id",
    required={"interaction_id": ID, "values": OBJ},
    optional={"user_id": ID, "timeout": {"type": "number"}},
)
async def _modal(emu: DiscordEmulator, body: dict[str, Any], path: dict[str, str]) -> Any:
    record = emu.interactions.by_id.get(_id(body, "interaction_id"))
    if record is None:
        raise BadInput("unknown interaction_id")
    user = _user(emu, body) if body.get("user_id") else None
    result = await emu.submit_modal(
        InteractionResult(emu, record), dict(body["values"]), user=user, timeout=_timeout(body)
    )
    return _interaction(emu, result)


@action(
    "POST",
    "/interactions/autocomplete",
    "Asks the bot for autocomplete choices for an option typed so far",
    required={"channel_id": ID, "user_id": ID, "command": STR, "focused": STR, "value": STR},
    optional={"options": OBJ, "timeout": {"type": "number"}},
)
async def _autocomplete(emu: DiscordEmulator, body: dict[str, Any], path: dict[str, str]) -> Any:
    choices = await emu.autocomplete(
        str(body["command"]),
        focused=str(body["focused"]),
        value=str(body["value"]),
        channel=_channel(emu, body),
        user=_user(emu, body),
        options=dict(body.get("options") or {}),
        timeout=_timeout(body),
    )
    return {"choices": choices}


# -- members and moderation --------------------------------------------------------------------------------
@action("POST", "/members/add", "A user joins a guild", required={"guild_id": ID, "user_id": ID})
async def _join(emu: DiscordEmulator, body: dict[str, Any], path: dict[str, str]) -> Any:
    guild = _guild(emu, body)
    user = _user(emu, body)
    if user.id in guild.bans:
        raise BadInput(f"{user.username} is banned from {guild.name!r}")
    return emu.state.member_payload(emu.add_member(guild, user))


@action("POST", "/members/leave", "A member leaves the guild", required={"guild_id": ID, "user_id": ID})
async def _leave(emu: DiscordEmulator, body: dict[str, Any], path: dict[str, str]) -> Any:
    emu.leave_guild(_guild(emu, body), _user(emu, body))
    return {}


_MODERATION = {"by": ID, "reason": STR}


@action(
    "POST",
    "/members/kick",
    "A moderator kicks a member",
    required={"guild_id": ID, "user_id": ID},
    optional=_MODERATION,
)
async def _kick(emu: DiscordEmulator, body: dict[str, Any], path: dict[str, str]) -> Any:
    by = _user(emu, body, "by") if body.get("by") else None
    emu.kick_member(_guild(emu, body), _user(emu, body), by=by, reason=body.get("reason"))
    return {}


@action(
    "POST",
    "/members/ban",
    "A moderator bans a user",
    required={"guild_id": ID, "user_id": ID},
    optional={**_MODERATION, "delete_message_seconds": INT},
)
async def _ban(emu: DiscordEmulator, body: dict[str, Any], path: dict[str, str]) -> Any:
    by = _user(emu, body, "by") if body.get("by") else None
    emu.ban_member(
        _guild(emu, body),
        _user(emu, body),
        by=by,
        reason=body.get("reason"),
        delete_message_seconds=int(body.get("delete_message_seconds") or 0),
    )
    return {}


@action(
    "POST",
    "/members/unban",
    "A moderator lifts a ban",
    required={"guild_id": ID, "user_id": ID},
    optional={"by": ID},
)
async def _unban(emu: DiscordEmulator, body: dict[str, Any], path: dict[str, str]) -> Any:
    by = _user(emu, body, "by") if body.get("by") else None
    emu.unban_member(_guild(emu, body), _user(emu, body), by=by)
    return {}


@action(
    "POST",
    "/invites",
    "A member creates an invite",
    required={"channel_id": ID, "user_id": ID},
    optional={"max_uses": INT, "max_age": INT},
    status=201,
)
async def _invite(emu: DiscordEmulator, body: dict[str, Any], path: dict[str, str]) -> Any:
    invite = emu.create_invite(
        _channel(emu, body),
        _user(emu, body),
        max_uses=int(body.get("max_uses") or 0),
        max_age=int(body.get("max_age", 86400)),
    )
    return emu.state.invite_payload(invite)


@action("POST", "/invites/join", "A user joins through an invite", required={"code": STR, "user_id": ID})
async def _join_invite(emu: DiscordEmulator, body: dict[str, Any], path: dict[str, str]) -> Any:
    return emu.state.member_payload(emu.join_by_invite(str(body["code"]), _user(emu, body)))


# -- voice, presence, polls, threads -----------------------------------------------------------------------
@action(
    "POST",
    "/voice",
    "A member joins or moves to a voice channel; channel_id null leaves voice",
    required={"guild_id": ID, "user_id": ID, "channel_id": {"oneOf": [ID, {"type": "null"}]}},
    optional={"self_mute": BOOL, "self_deaf": BOOL},
)
async def _voice(emu: DiscordEmulator, body: dict[str, Any], path: dict[str, str]) -> Any:
    guild, user = _guild(emu, body), _user(emu, body)
    if body["channel_id"] is None:
        emu.leave_voice(guild, user)
    else:
        emu.join_voice(
            guild,
            user,
            _channel(emu, body),
            self_mute=bool(body.get("self_mute")),
            self_deaf=bool(body.get("self_deaf")),
        )
    return {}


@action(
    "POST",
    "/presence",
    "A user's status (online, idle, dnd, offline) and activities",
    required={"user_id": ID, "status": STR},
    optional={"activities": {"type": "array", "items": OBJ}},
)
async def _presence(emu: DiscordEmulator, body: dict[str, Any], path: dict[str, str]) -> Any:
    emu.set_presence(_user(emu, body), str(body["status"]), activities=body.get("activities"))
    return {}


@action(
    "POST",
    "/polls/vote",
    "A user votes (answer ids from 1; [] withdraws the vote)",
    required={"channel_id": ID, "message_id": ID, "user_id": ID, "answers": {"type": "array", "items": INT}},
)
async def _vote(emu: DiscordEmulator, body: dict[str, Any], path: dict[str, str]) -> Any:
    emu.vote(_message(emu, body), _user(emu, body), [int(a) for a in body["answers"]])
    return {}


@action("POST", "/polls/end", "The poll's time runs out", required={"channel_id": ID, "message_id": ID})
async def _end_poll(emu: DiscordEmulator, body: dict[str, Any], path: dict[str, str]) -> Any:
    emu.end_poll(_message(emu, body))
    return {}


@action(
    "POST",
    "/threads",
    "A member starts a thread, from a message (message_id) or without one",
    required={"channel_id": ID, "user_id": ID, "name": STR},
    optional={"message_id": ID, "private": BOOL},
    status=201,
)
async def _thread(emu: DiscordEmulator, body: dict[str, Any], path: dict[str, str]) -> Any:
    channel = _channel(emu, body)
    message = emu.state.message(channel.id, _id(body, "message_id")) if body.get("message_id") else None
    thread = emu.create_thread(
        channel, _user(emu, body), str(body["name"]), message=message, private=bool(body.get("private"))
    )
    return thread.payload()


@action(
    "POST",
    "/forum-posts",
    "A member posts in a forum channel, with tags by name or id",
    required={"channel_id": ID, "user_id": ID, "name": STR, "content": STR},
    optional={"tags": {"type": "array", "items": STR}},
    status=201,
)
async def _forum_post(emu: DiscordEmulator, body: dict[str, Any], path: dict[str, str]) -> Any:
    thread, starter = await emu.forum_post(
        _channel(emu, body),
        _user(emu, body),
        str(body["name"]),
        str(body["content"]),
        tags=list(body.get("tags") or []),
    )
    return {"thread": thread.payload(), "message": _render(emu, starter)}


# -- the document and the wiring -----------------------------------------------------------------------------
def control_openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the control API."""
    paths: dict[str, dict[str, Any]] = {}
    for entry in CONTROL_ACTIONS:
        operation: dict[str, Any] = {
            "summary": entry.summary,
            "operationId": entry.handler.__name__.strip("_"),
            "responses": {
                str(entry.status): {"description": "done", "content": {"application/json": {"schema": OBJ}}},
                "400": {
                    "description": "refused; the error names why",
                    "content": {"application/json": {"schema": ERROR}},
                },
                "404": {"description": "unknown object", "content": {"application/json": {"schema": ERROR}}},
            },
        }
        if entry.method != "GET":
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": entry.schema()}},
            }
        parameters = [
            {"name": name.strip("{}"), "in": "path", "required": True, "schema": ID}
            for name in entry.path.split("/")
            if name.startswith("{")
        ]
        if parameters:
            operation["parameters"] = parameters
        paths.setdefault(CONTROL_PREFIX + entry.path, {})[entry.method.lower()] = operation
    paths[CONTROL_PREFIX + "/openapi.json"] = {
        "get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3.1 document"}}}
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Zoryx Discord emulator control API",
            "version": "1",
            "description": "Acts as Discord users do (messages, slash commands, clicks, selects, modals, "
            "reactions, members, moderation, invites, voice, presence, polls, threads) so that a bot in "
            "another process can be tested.",
        },
        "paths": paths,
    }


ERROR = {"type": "object", "properties": {"error": STR}, "required": ["error"]}


def add_control_routes(app: web.Application, emu: DiscordEmulator) -> None:
    for entry in CONTROL_ACTIONS:
        app.router.add_route(entry.method, CONTROL_PREFIX + entry.path, _endpoint(emu, entry))
    document = control_openapi()

    async def openapi(request: web.Request) -> web.Response:
        return json_response(document)

    app.router.add_get(CONTROL_PREFIX + "/openapi.json", openapi)


def _endpoint(emu: DiscordEmulator, entry: ControlAction) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        try:
            body = await _json(request) if entry.method != "GET" else {}
            missing = [key for key in entry.required if key not in body]
            if missing:
                takes = sorted(entry.schema()["properties"])
                raise BadInput(f"missing field(s) {missing}; {entry.method} {entry.path} takes {takes}")
            result = await entry.handler(emu, body, {**request.query, **request.match_info})
        except DiscordError as error:
            return json_response({"error": error.message, "code": error.code}, status=error.status)
        except (BadInput, ValueError, LookupError, TypeError) as error:
            return json_response({"error": str(error)}, status=400)
        except TimeoutError as error:
            return json_response({"error": str(error)}, status=504)
        return json_response(result, status=entry.status)

    return handle


async def _json(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw:
        return {}
    try:
        import json

        body = json.loads(raw)
    except ValueError:
        raise BadInput("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise BadInput("the body must be a JSON object")
    return body
