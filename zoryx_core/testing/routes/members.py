"""Members: list, search, get, edit, add and remove roles, kick."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..access import require_bot_in_guild, require_guild_permission, require_role_below
from ..audit import AuditAction, change, record_audit
from ..errors import DiscordError, Forbidden, InvalidFormBody
from ..http_utils import Request, RouteSet, read_body, snowflake
from ..models import Guild, Member
from ..mutations import emit_member_update, remove_member
from ..permissions import P, guild_permissions
from ..voice import check_voice_move, move_voice_member

if TYPE_CHECKING:
    from ..server import DiscordEmulator

routes = RouteSet()


def require_above(emu: DiscordEmulator, guild: Guild, member: Member) -> None:
    """The bot may act on a member only if its top role is above the member's, and never on the owner."""
    if guild.owner_id == emu.bot_user.id or member.user_id == emu.bot_user.id:
        return
    if member.user_id == guild.owner_id:
        raise Forbidden()
    if guild.top_role_position(member.user_id) >= guild.top_role_position(emu.bot_user.id):
        raise Forbidden()


@routes.get("/guilds/{guild_id}/members")
async def list_members(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_bot_in_guild(emu, guild)
    limit = int(request.query.get("limit", 1))
    if not 1 <= limit <= 1000:
        raise InvalidFormBody("limit", "NUMBER_TYPE_MAX", "int value should be between 1 and 1000")
    after = int(request.query.get("after", 0))
    members = sorted((m for m in guild.members.values() if m.user_id > after), key=lambda m: m.user_id)
    return [emu.state.member_payload(m) for m in members[:limit]]


@routes.get("/guilds/{guild_id}/members/search")
async def search_members(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_bot_in_guild(emu, guild)
    query = request.query.get("query", "").lower()
    limit = int(request.query.get("limit", 1))
    found = [
        m
        for m in guild.members.values()
        if emu.state.users[m.user_id].username.lower().startswith(query)
        or (m.nick or "").lower().startswith(query)
    ]
    return [emu.state.member_payload(m) for m in found[:limit]]


@routes.patch("/guilds/{guild_id}/members/@me")
async def edit_me(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_guild_permission(emu, guild, P.CHANGE_NICKNAME)
    member = emu.state.member(guild, emu.bot_user.id)
    body, _ = await read_body(request)
    if "nick" in body:
        member.nick = body["nick"] or None
    emit_member_update(emu, guild, member)
    return emu.state.member_payload(member)


@routes.get("/guilds/{guild_id}/members/{user_id}")
async def get_member(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_bot_in_guild(emu, guild)
    return emu.state.member_payload(emu.state.member(guild, snowflake(request, "user_id")))


@routes.patch("/guilds/{guild_id}/members/{user_id}")
async def edit_member(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_bot_in_guild(emu, guild)
    member = emu.state.member(guild, snowflake(request, "user_id"))
    body, _ = await read_body(request)
    if "nick" in body:
        require_guild_permission(emu, guild, P.MANAGE_NICKNAMES)
        require_above(emu, guild, member)
        nick = body["nick"]
        if nick is not None and len(nick) > 32:
            raise InvalidFormBody("nick", "BASE_TYPE_MAX_LENGTH", "Must be 32 or fewer in length.")
    new_roles: list[int] | None = None
    if "roles" in body and body["roles"] is not None:
        require_guild_permission(emu, guild, P.MANAGE_ROLES)
        new_roles = [int(r) for r in body["roles"]]
        for role_id in set(new_roles) ^ set(member.roles):
            role = emu.state.role(guild, role_id)
            if role.managed:
                raise DiscordError(400, 50028, "Invalid Role")
            require_role_below(emu, guild, role)
    if "communication_disabled_until" in body:
        require_guild_permission(emu, guild, P.MODERATE_MEMBERS)
        require_above(emu, guild, member)
        timing_out = bool(body["communication_disabled_until"])
        if timing_out and guild_permissions(guild, member.user_id) & P.ADMINISTRATOR:
            raise Forbidden()  # administrators cannot be timed out
    if "mute" in body or "deaf" in body:
        require_guild_permission(emu, guild, P.MUTE_MEMBERS if "mute" in body else P.DEAFEN_MEMBERS)
    if "channel_id" in body:
        check_voice_move(emu, guild, member, body["channel_id"])
    # every check passed: apply
    changes = []
    if "nick" in body:
        changes.append(change("nick", member.nick, body["nick"] or None))
        member.nick = body["nick"] or None
    if new_roles is not None:
        added = [r for r in dict.fromkeys(new_roles) if r not in member.roles]
        removed = [r for r in member.roles if r not in new_roles]
        member.roles = list(dict.fromkeys(new_roles))
        _audit_roles(emu, request, guild, member.user_id, added, removed)
    if "communication_disabled_until" in body:
        changes.append(
            change(
                "communication_disabled_until",
                member.communication_disabled_until,
                body["communication_disabled_until"],
            )
        )
        member.communication_disabled_until = body["communication_disabled_until"]
    for key in ("mute", "deaf"):
        if key in body:
            changes.append(change(key, getattr(member, key), bool(body[key])))
            setattr(member, key, bool(body[key]))
    if changes:
        record_audit(emu, guild, AuditAction.MEMBER_UPDATE, member.user_id, request=request, changes=changes)
    emit_member_update(emu, guild, member)
    if "channel_id" in body:
        move_voice_member(emu, guild, member.user_id, body["channel_id"], request=request)
    return emu.state.member_payload(member)


def _audit_roles(
    emu: DiscordEmulator, request: Request, guild: Guild, user_id: int, added: list[int], removed: list[int]
) -> None:
    def described(ids: list[int]) -> list[dict[str, str]]:
        return [{"id": str(r), "name": guild.roles[r].name} for r in ids if r in guild.roles]

    changes = []
    if added:
        changes.append({"key": "$add", "new_value": described(added)})
    if removed:
        changes.append({"key": "$remove", "new_value": described(removed)})
    if changes:
        record_audit(emu, guild, AuditAction.MEMBER_ROLE_UPDATE, user_id, request=request, changes=changes)


async def _change_role(emu: DiscordEmulator, request: Request, add: bool) -> None:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_guild_permission(emu, guild, P.MANAGE_ROLES)
    member = emu.state.member(guild, snowflake(request, "user_id"))
    role = emu.state.role(guild, snowflake(request, "role_id"))
    if role.managed or role.id == guild.id:
        raise DiscordError(400, 50028, "Invalid Role")
    require_role_below(emu, guild, role)
    if add and role.id not in member.roles:
        member.roles.append(role.id)
    elif not add and role.id in member.roles:
        member.roles.remove(role.id)
    else:
        return
    _audit_roles(emu, request, guild, member.user_id, [role.id] if add else [], [] if add else [role.id])
    emit_member_update(emu, guild, member)


@routes.put("/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
async def add_role(emu: DiscordEmulator, request: Request) -> Any:
    await _change_role(emu, request, add=True)


@routes.delete("/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
async def remove_role(emu: DiscordEmulator, request: Request) -> Any:
    await _change_role(emu, request, add=False)


@routes.delete("/guilds/{guild_id}/members/{user_id}")
async def kick(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_guild_permission(emu, guild, P.KICK_MEMBERS)
    member = emu.state.member(guild, snowflake(request, "user_id"))
    require_above(emu, guild, member)
    remove_member(emu, guild, member.user_id)
    record_audit(emu, guild, AuditAction.MEMBER_KICK, member.user_id, request=request)
    return None
