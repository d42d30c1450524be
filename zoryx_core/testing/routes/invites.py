"""Invites: create, list (channel and guild), get, delete; INVITE_CREATE / INVITE_DELETE; joining by
invite (the driver) raises ``uses`` and removes a used-up invite."""

from __future__ import annotations

import datetime as dt
import secrets
import string
from typing import TYPE_CHECKING, Any

from ..access import require_channel_permission, require_guild_permission
from ..audit import AuditAction, change, record_audit
from ..entities import Invite
from ..errors import DiscordError, Forbidden, InvalidFormBody, NotFound
from ..http_utils import Request, RouteSet, read_body, snowflake
from ..models import ChannelType, Guild, Member, User
from ..mutations import add_member
from ..permissions import P, guild_permissions

if TYPE_CHECKING:
    from ..server import DiscordEmulator

__all__ = ["create_invite", "delete_invite", "join_by_invite", "routes"]

routes = RouteSet()

UNKNOWN_INVITE = 10006
_ALPHABET = string.ascii_letters + string.digits


def _new_code(emu: DiscordEmulator) -> str:
    while True:
        code = "".join(secrets.choice(_ALPHABET) for _ in range(8))
        if code not in emu.state.invites:
            return code


def create_invite(
    emu: DiscordEmulator,
    channel_id: int,
    inviter_id: int,
    *,
    max_age: int = 86400,
    max_uses: int = 0,
    temporary: bool = False,
) -> Invite:
    """An invite to a guild channel; INVITE_CREATE is sent."""
    channel = emu.state.channel(channel_id)
    assert channel.guild_id is not None
    invite = Invite(
        code=_new_code(emu),
        guild_id=channel.guild_id,
        channel_id=channel.id,
        inviter_id=inviter_id,
        max_age=max_age,
        max_uses=max_uses,
        temporary=temporary,
    )
    emu.state.invites[invite.code] = invite
    data = {
        "channel_id": str(channel.id),
        "guild_id": str(channel.guild_id),
        "code": invite.code,
        "created_at": invite.created_at,
        "inviter": emu.state.users[inviter_id].payload(),
        "max_age": max_age,
        "max_uses": max_uses,
        "temporary": temporary,
        "uses": 0,
        "expires_at": invite.expires_at,
    }
    emu.dispatch("INVITE_CREATE", data, guild_id=channel.guild_id)
    return invite


def delete_invite(emu: DiscordEmulator, invite: Invite) -> None:
    emu.state.invites.pop(invite.code, None)
    emu.dispatch(
        "INVITE_DELETE",
        {"channel_id": str(invite.channel_id), "guild_id": str(invite.guild_id), "code": invite.code},
        guild_id=invite.guild_id,
    )


def _expired(invite: Invite) -> bool:
    expires = invite.expires_at
    return expires is not None and dt.datetime.fromisoformat(expires) <= dt.datetime.now(dt.UTC)


def lookup(emu: DiscordEmulator, code: str) -> Invite:
    invite = emu.state.invites.get(code)
    if invite is None or _expired(invite):
        raise NotFound(UNKNOWN_INVITE, "Invite")
    return invite


def join_by_invite(emu: DiscordEmulator, code: str, user: User) -> Member:
    """A user accepts an invite: GUILD_MEMBER_ADD, ``uses`` + 1, and a used-up invite is deleted.

    Refused (ValueError) for a banned user or one already in the guild; LookupError for an unknown
    or expired code."""
    invite = emu.state.invites.get(code)
    if invite is None or _expired(invite):
        raise LookupError(f"no valid invite with code {code!r}")
    guild = emu.state.guilds[invite.guild_id]
    if user.id in guild.bans:
        raise ValueError(f"{user.username} is banned from {guild.name!r}")
    if user.id in guild.members:
        raise ValueError(f"{user.username} is already a member of {guild.name!r}")
    invite.uses += 1
    member = add_member(emu, guild, user)
    if invite.max_uses and invite.uses >= invite.max_uses:
        delete_invite(emu, invite)
    return member


def _check_range(key: str, value: Any, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
        raise InvalidFormBody(key, "NUMBER_TYPE_MAX", f"int value should be between 0 and {high}")
    return value


@routes.post("/channels/{channel_id}/invites")
async def new_invite(emu: DiscordEmulator, request: Request) -> Any:
    channel = emu.state.channel(snowflake(request, "channel_id"))
    if channel.guild_id is None or channel.type == ChannelType.GUILD_CATEGORY or channel.thread is not None:
        raise DiscordError(400, 50024, "Cannot execute action on this channel type")
    require_channel_permission(emu, channel, P.VIEW_CHANNEL | P.CREATE_INSTANT_INVITE)
    body, _ = await read_body(request)
    max_age = _check_range("max_age", body.get("max_age", 86400), 604800)
    max_uses = _check_range("max_uses", body.get("max_uses", 0), 100)
    temporary = bool(body.get("temporary", False))
    if not body.get("unique"):
        for existing in emu.state.invites.values():
            same = (
                existing.channel_id,
                existing.inviter_id,
                existing.max_age,
                existing.max_uses,
                existing.temporary,
            )
            if same == (channel.id, emu.bot_user.id, max_age, max_uses, temporary) and not _expired(existing):
                return emu.state.invite_payload(existing)
    invite = create_invite(
        emu, channel.id, emu.bot_user.id, max_age=max_age, max_uses=max_uses, temporary=temporary
    )
    guild = emu.state.guilds[channel.guild_id]
    record_audit(
        emu,
        guild,
        AuditAction.INVITE_CREATE,
        None,
        request=request,
        changes=[change("code", None, invite.code), change("channel_id", None, str(channel.id))],
    )
    return emu.state.invite_payload(invite)


@routes.get("/channels/{channel_id}/invites")
async def channel_invites(emu: DiscordEmulator, request: Request) -> Any:
    channel = emu.state.channel(snowflake(request, "channel_id"))
    require_channel_permission(emu, channel, P.VIEW_CHANNEL | P.MANAGE_CHANNELS)
    return [
        emu.state.invite_payload(i)
        for i in emu.state.invites.values()
        if i.channel_id == channel.id and not _expired(i)
    ]


@routes.get("/guilds/{guild_id}/invites")
async def guild_invites(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_guild_permission(emu, guild, P.MANAGE_GUILD)
    return [
        emu.state.invite_payload(i)
        for i in emu.state.invites.values()
        if i.guild_id == guild.id and not _expired(i)
    ]


@routes.get("/invites/{invite_code}")
async def get_invite(emu: DiscordEmulator, request: Request) -> Any:
    invite = lookup(emu, request.match_info["invite_code"])
    data = emu.state.invite_payload(invite, metadata=False)
    if request.query.get("with_counts", "false").lower() in ("true", "1"):
        guild = emu.state.guilds[invite.guild_id]
        data["approximate_member_count"] = len(guild.members)
        data["approximate_presence_count"] = 0
    return data


@routes.delete("/invites/{invite_code}")
async def remove_invite(emu: DiscordEmulator, request: Request) -> Any:
    invite = lookup(emu, request.match_info["invite_code"])
    guild: Guild = emu.state.guilds[invite.guild_id]
    channel = emu.state.channels[invite.channel_id]
    from ..permissions import channel_permissions

    if not (
        guild_permissions(guild, emu.bot_user.id) & P.MANAGE_GUILD
        or channel_permissions(guild, channel, emu.bot_user.id) & P.MANAGE_CHANNELS
    ):
        raise Forbidden()
    data = emu.state.invite_payload(invite)
    delete_invite(emu, invite)
    record_audit(
        emu,
        guild,
        AuditAction.INVITE_DELETE,
        None,
        request=request,
        changes=[change("code", invite.code, None)],
    )
    return data
