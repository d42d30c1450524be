"""Voice states (no audio): read them, and the stage suppress / request-to-speak switches."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..access import require_bot_in_guild, require_guild_permission
from ..errors import DiscordError, ErrorCode, InvalidFormBody, NotFound
from ..http_utils import Request, RouteSet, read_body, snowflake
from ..models import ChannelType
from ..permissions import P
from ..state import voice_state_payload
from ..voice import emit_voice_state

if TYPE_CHECKING:
    from ..server import DiscordEmulator

routes = RouteSet()


def _state_of(emu: DiscordEmulator, request: Request, user_id: int) -> Any:
    guild = emu.state.guild(snowflake(request, "guild_id"))
    require_bot_in_guild(emu, guild)
    state = guild.voice_states.get(user_id)
    if state is None:
        raise NotFound(10065, "Voice State")
    return guild, state


def _render(emu: DiscordEmulator, guild: Any, state: Any) -> dict[str, Any]:
    data = voice_state_payload(state)
    member = guild.members.get(state.user_id)
    if member is not None:
        data["member"] = emu.state.member_payload(member)
    return data


@routes.get("/guilds/{guild_id}/voice-states/@me")
async def my_voice_state(emu: DiscordEmulator, request: Request) -> Any:
    guild, state = _state_of(emu, request, emu.bot_user.id)
    return _render(emu, guild, state)


@routes.get("/guilds/{guild_id}/voice-states/{user_id}")
async def user_voice_state(emu: DiscordEmulator, request: Request) -> Any:
    guild, state = _state_of(emu, request, snowflake(request, "user_id"))
    return _render(emu, guild, state)


async def _edit_stage_state(emu: DiscordEmulator, request: Request, user_id: int, *, own: bool) -> None:
    guild, state = _state_of(emu, request, user_id)
    body, _ = await read_body(request)
    channel = emu.state.channel(int(body.get("channel_id") or state.channel_id or 0))
    if channel.type != ChannelType.GUILD_STAGE_VOICE or channel.id != state.channel_id:
        raise InvalidFormBody(
            "channel_id", "CHANNEL_TYPE_INVALID", "Must be the stage channel the user is in"
        )
    if "suppress" in body and (not own or body["suppress"] is False):
        require_guild_permission(emu, guild, P.MUTE_MEMBERS)
    if "request_to_speak_timestamp" in body and not own:
        raise DiscordError(400, ErrorCode.GENERAL, "request_to_speak_timestamp is only settable for oneself")
    if "suppress" in body:
        state.suppress = bool(body["suppress"])
    if "request_to_speak_timestamp" in body:
        state.request_to_speak_timestamp = body["request_to_speak_timestamp"]
    emit_voice_state(emu, guild, state)


@routes.patch("/guilds/{guild_id}/voice-states/@me")
async def edit_my_voice_state(emu: DiscordEmulator, request: Request) -> Any:
    await _edit_stage_state(emu, request, emu.bot_user.id, own=True)
    return None


@routes.patch("/guilds/{guild_id}/voice-states/{user_id}")
async def edit_voice_state(emu: DiscordEmulator, request: Request) -> Any:
    await _edit_stage_state(emu, request, snowflake(request, "user_id"), own=False)
    return None
