"""Roles: list, create, edit, delete and positions, with Discord's hierarchy rules."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..access import require_bot_in_guild, require_guild_permission, require_role_below
from ..audit import AuditAction, change, record_audit
from ..errors import DiscordError, ErrorCode, Forbidden, InvalidFormBody
from ..http_utils import Request, RouteSet, read_body, snowflake
from ..models import Guild, Role
from ..mutations import create_role, delete_role, emit_role_update, renumber_roles
from ..permissions import ALL_PERMISSIONS, P, guild_permissions

if TYPE_CHECKING:
    from ..server import DiscordEmulator

routes = RouteSet()

MAX_ROLES = 250


def _apply(emu: DiscordEmulator, guild: Guild, role: Role, body: dict[str, Any]) -> None:
    """Validates every field of a create/edit body, then applies them: a refused body changes nothing."""
    changes: dict[str, Any] = {}
    if "name" in body:
        name = body["name"]
        if not isinstance(name, str) or len(name) > 100:
            raise InvalidFormBody("name", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
        changes["name"] = name
    if body.get("permissions") is not None:
        permissions = int(body["permissions"])
        mine = guild_permissions(guild, emu.bot_user.id)
        if mine != ALL_PERMISSIONS and permissions & ~mine & ~role.permissions:
            raise Forbidden()  # a bot cannot grant permissions it does not have
        changes["permissions"] = permissions
    colors = body.get("colors") or {}
    color = body.get("color", colors.get("primary_color"))
    if color is not None:
        if not 0 <= int(color) <= 0xFFFFFF:
            raise InvalidFormBody("color", "NUMBER_TYPE_MAX", "int value should be between 0 and 16777215")
        changes["color"] = int(color)
    for key in ("hoist", "mentionable"):
        if key in body and body[key] is not None:
            changes[key] = bool(body[key])
    if "unicode_emoji" in body:
        changes["unicode_emoji"] = body["unicode_emoji"]
    for key, value in changes.items():
        setattr(role, key, value)


@routes.get("/guilds/{guild_id}/roles")
async def list_roles(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_bot_in_guild(emu, guild)
    return [r.payload() for r in sorted(guild.roles.values(), key=lambda r: r.position)]


@routes.post("/guilds/{guild_id}/roles")
async def new_role(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_guild_permission(emu, guild, P.MANAGE_ROLES)
    body, _ = await read_body(request)
    if len(guild.roles) >= MAX_ROLES:
        raise DiscordError(400, ErrorCode.MAX_ROLES, f"Maximum number of server roles reached ({MAX_ROLES})")
    role = Role(id=emu.state.ids.next(), guild_id=guild.id, name="new role", position=1)
    _apply(emu, guild, role, body)  # may refuse: nothing has moved yet
    for other in guild.roles.values():  # new roles go in at position 1, right above @everyone
        if other.position >= 1:
            other.position += 1
    create_role(emu, guild, role)
    created = role.payload()
    changes = [change(k, None, created[k]) for k in ("name", "permissions", "color", "hoist", "mentionable")]
    record_audit(emu, guild, AuditAction.ROLE_CREATE, role.id, request=request, changes=changes)
    return role.payload()


@routes.patch("/guilds/{guild_id}/roles")
async def role_positions(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_guild_permission(emu, guild, P.MANAGE_ROLES)
    body, _ = await read_body(request)
    if not isinstance(body, list):
        raise InvalidFormBody("", "BASE_TYPE_ARRAY", "Expected a list of {id, position}")
    top = guild.top_role_position(emu.bot_user.id)
    owner = guild.owner_id == emu.bot_user.id
    moves = []
    for index, entry in enumerate(body):
        role = guild.roles.get(int(entry.get("id", 0)))
        if role is None:
            raise InvalidFormBody(f"{index}.id", "UNKNOWN_ROLE", "Unknown role")
        position = int(entry.get("position") or 0)
        if role.id == guild.id or position < 1:
            raise InvalidFormBody(f"{index}.position", "BASE_TYPE_CHOICES", "@everyone cannot be moved")
        if not owner and (role.position >= top or position >= top):
            raise Forbidden()
        moves.append((role, position))
    before = {r.id: r.position for r in guild.roles.values()}
    for role, position in moves:
        role.position = position
    renumber_roles(guild)
    for role in guild.roles.values():  # like Discord, only roles whose position changed are updated
        if role.position != before[role.id]:
            emit_role_update(emu, guild, role)
    return [r.payload() for r in sorted(guild.roles.values(), key=lambda r: r.position)]


@routes.get("/guilds/{guild_id}/roles/{role_id}")
async def get_role(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_bot_in_guild(emu, guild)
    return emu.state.role(guild, snowflake(request, "role_id")).payload()


@routes.patch("/guilds/{guild_id}/roles/{role_id}")
async def edit_role(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_guild_permission(emu, guild, P.MANAGE_ROLES)
    role = emu.state.role(guild, snowflake(request, "role_id"))
    require_role_below(emu, guild, role)
    body, _ = await read_body(request)
    before = role.payload()
    _apply(emu, guild, role, body)
    emit_role_update(emu, guild, role)
    after = role.payload()
    keys = ("name", "permissions", "color", "hoist", "mentionable", "unicode_emoji")
    changes = [change(k, before[k], after[k]) for k in keys if before[k] != after[k]]
    record_audit(emu, guild, AuditAction.ROLE_UPDATE, role.id, request=request, changes=changes)
    return role.payload()


@routes.delete("/guilds/{guild_id}/roles/{role_id}")
async def remove_role(emu: DiscordEmulator, request: Request) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_guild_permission(emu, guild, P.MANAGE_ROLES)
    role = emu.state.role(guild, snowflake(request, "role_id"))
    if role.id == guild.id or role.managed:
        raise DiscordError(400, 50028, "Invalid Role")
    require_role_below(emu, guild, role)
    delete_role(emu, guild, role)
    changes = [change("name", role.name, None), change("permissions", str(role.permissions), None)]
    record_audit(emu, guild, AuditAction.ROLE_DELETE, role.id, request=request, changes=changes)
    renumber_roles(guild)
    return None
