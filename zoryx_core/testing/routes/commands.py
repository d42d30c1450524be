"""Application commands, global and per guild, with Discord's per-type limits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import DiscordError, ErrorCode, InvalidFormBody, NotFound
from ..http_utils import Request, RouteSet, json_response, read_body, snowflake
from ..models import ApplicationCommand
from ..validation import validate_command

if TYPE_CHECKING:
    from ..server import DiscordEmulator

routes = RouteSet()

# Discord's caps on top-level commands, per application and per scope (global, or one guild).
COMMAND_LIMITS = {1: 100, 2: 15, 3: 15}
_COMMAND_KINDS = {1: "chat input", 2: "user", 3: "message"}
_EXTRA_FIELDS = (
    "name_localizations",
    "description_localizations",
    "default_member_permissions",
    "dm_permission",
    "nsfw",
    "contexts",
    "integration_types",
    "handler",
)


def _scope(emu: DiscordEmulator, request: Request) -> tuple[dict[int, ApplicationCommand], int | None]:
    if snowflake(request, "application_id") != emu.application_id:
        raise NotFound(ErrorCode.UNKNOWN_APPLICATION, "Application")
    if "guild_id" not in request.match_info:
        return emu.state.global_commands, None
    guild = emu.state.guild(snowflake(request, "guild_id"))
    return emu.state.guild_commands.setdefault(guild.id, {}), guild.id


def _check_limits(commands: list[dict[str, Any]]) -> None:
    for kind, limit in COMMAND_LIMITS.items():
        count = sum(1 for c in commands if int(c.get("type") or 1) == kind)
        if count > limit:
            raise DiscordError(
                400,
                ErrorCode.MAX_APPLICATION_COMMANDS,
                f"Maximum number of application commands reached ({limit} {_COMMAND_KINDS[kind]} commands)",
            )


def _build(
    emu: DiscordEmulator, body: dict[str, Any], guild_id: int | None, existing: ApplicationCommand | None
) -> ApplicationCommand:
    command = ApplicationCommand(
        id=existing.id if existing else emu.state.ids.next(),
        application_id=emu.application_id,
        name=body["name"],
        type=int(body.get("type") or 1),
        description=body.get("description") or "",
        guild_id=guild_id,
        options=list(body.get("options") or []),
        extra={k: body[k] for k in _EXTRA_FIELDS if k in body},
        version=emu.state.ids.next(),
    )
    return command


def _find(commands: dict[int, ApplicationCommand], name: str, kind: int) -> ApplicationCommand | None:
    return next((c for c in commands.values() if c.name == name and c.type == kind), None)


@routes.get("/applications/{application_id}/commands")
async def list_global(emu: DiscordEmulator, request: Request) -> Any:
    commands, _ = _scope(emu, request)
    return [c.payload() for c in commands.values()]


@routes.put("/applications/{application_id}/commands")
async def overwrite_global(emu: DiscordEmulator, request: Request) -> Any:
    return await _bulk_overwrite(emu, request)


@routes.post("/applications/{application_id}/commands")
async def create_global(emu: DiscordEmulator, request: Request) -> Any:
    return await _create(emu, request)


@routes.get("/applications/{application_id}/commands/{command_id}")
async def get_global(emu: DiscordEmulator, request: Request) -> Any:
    return _one(emu, request).payload()


@routes.patch("/applications/{application_id}/commands/{command_id}")
async def edit_global(emu: DiscordEmulator, request: Request) -> Any:
    return await _edit(emu, request)


@routes.delete("/applications/{application_id}/commands/{command_id}")
async def delete_global(emu: DiscordEmulator, request: Request) -> Any:
    return _delete(emu, request)


@routes.get("/applications/{application_id}/guilds/{guild_id}/commands")
async def list_guild(emu: DiscordEmulator, request: Request) -> Any:
    commands, _ = _scope(emu, request)
    return [c.payload() for c in commands.values()]


@routes.put("/applications/{application_id}/guilds/{guild_id}/commands")
async def overwrite_guild(emu: DiscordEmulator, request: Request) -> Any:
    return await _bulk_overwrite(emu, request)


@routes.post("/applications/{application_id}/guilds/{guild_id}/commands")
async def create_guild(emu: DiscordEmulator, request: Request) -> Any:
    return await _create(emu, request)


@routes.get("/applications/{application_id}/guilds/{guild_id}/commands/{command_id}")
async def get_guild(emu: DiscordEmulator, request: Request) -> Any:
    return _one(emu, request).payload()


@routes.patch("/applications/{application_id}/guilds/{guild_id}/commands/{command_id}")
async def edit_guild(emu: DiscordEmulator, request: Request) -> Any:
    return await _edit(emu, request)


@routes.delete("/applications/{application_id}/guilds/{guild_id}/commands/{command_id}")
async def delete_guild(emu: DiscordEmulator, request: Request) -> Any:
    return _delete(emu, request)


async def _bulk_overwrite(emu: DiscordEmulator, request: Request) -> Any:
    commands, guild_id = _scope(emu, request)
    body, _ = await read_body(request)
    if not isinstance(body, list):
        raise InvalidFormBody("", "BASE_TYPE_ARRAY", "Expected a list of commands")
    for index, entry in enumerate(body):
        validate_command(entry, str(index))
    keys = [(c["name"], int(c.get("type") or 1)) for c in body]
    if len(set(keys)) != len(keys):
        raise InvalidFormBody(
            "", "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique"
        )
    _check_limits(body)
    new = {}
    for entry in body:
        command = _build(emu, entry, guild_id, _find(commands, entry["name"], int(entry.get("type") or 1)))
        new[command.id] = command
    commands.clear()
    commands.update(new)
    return [c.payload() for c in commands.values()]


async def _create(emu: DiscordEmulator, request: Request) -> Any:
    commands, guild_id = _scope(emu, request)
    body, _ = await read_body(request)
    validate_command(body)
    existing = _find(commands, body["name"], int(body.get("type") or 1))
    if existing is None:
        _check_limits([c.payload() for c in commands.values()] + [body])
    command = _build(emu, body, guild_id, existing)
    commands[command.id] = command
    return json_response(command.payload(), status=200 if existing else 201)


def _one(emu: DiscordEmulator, request: Request) -> ApplicationCommand:
    commands, _ = _scope(emu, request)
    command = commands.get(snowflake(request, "command_id"))
    if command is None:
        raise NotFound(ErrorCode.UNKNOWN_APPLICATION_COMMAND, "application command")
    return command


async def _edit(emu: DiscordEmulator, request: Request) -> Any:
    command = _one(emu, request)
    body, _ = await read_body(request)
    merged = command.payload() | body
    validate_command(merged)
    command.name = merged["name"]
    command.description = merged.get("description") or ""
    command.options = list(merged.get("options") or [])
    command.extra.update({k: body[k] for k in _EXTRA_FIELDS if k in body})
    command.version = emu.state.ids.next()
    return command.payload()


def _delete(emu: DiscordEmulator, request: Request) -> Any:
    commands, _ = _scope(emu, request)
    del commands[_one(emu, request).id]
    return None
