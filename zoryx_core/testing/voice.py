"""Voice states without audio: members join, move between and leave voice channels."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from .audit import AuditAction, record_audit
from .entities import VoiceState
from .errors import DiscordError, Forbidden, InvalidFormBody
from .models import ChannelType, Guild, Member
from .permissions import P, channel_permissions, guild_permissions
from .state import voice_state_payload

if TYPE_CHECKING:
    from .http_utils import Request
    from .server import DiscordEmulator

__all__ = [
    "bot_voice_state_update",
    "check_voice_move",
    "emit_voice_state",
    "move_voice_member",
    "set_voice_channel",
]

VOICE_TYPES = frozenset({ChannelType.GUILD_VOICE, ChannelType.GUILD_STAGE_VOICE})


def emit_voice_state(emu: DiscordEmulator, guild: Guild, state: VoiceState) -> None:
    data = voice_state_payload(state)
    member = guild.members.get(state.user_id)
    if member is not None:
        data["member"] = emu.state.member_payload(member)
    emu.dispatch("VOICE_STATE_UPDATE", data, guild_id=guild.id)


def set_voice_channel(
    emu: DiscordEmulator, guild: Guild, user_id: int, channel_id: int | None, **flags: bool
) -> VoiceState | None:
    """Puts a member in a voice channel (None: disconnects); VOICE_STATE_UPDATE is sent.

    ``flags`` are ``self_mute``, ``self_deaf``, ``self_video``, ``self_stream``."""
    if channel_id is not None:
        channel = emu.state.channel(channel_id)
        if channel.guild_id != guild.id or channel.type not in VOICE_TYPES:
            raise ValueError(f"channel {channel_id} is not a voice channel of {guild.name!r}")
    state = guild.voice_states.get(user_id)
    if state is None:
        if channel_id is None:
            return None
        state = VoiceState(user_id, guild.id, channel_id, secrets.token_hex(16))
    state.channel_id = channel_id
    for key, value in flags.items():
        setattr(state, key, bool(value))
    if channel_id is None:
        guild.voice_states.pop(user_id, None)
    else:
        guild.voice_states[user_id] = state
    emit_voice_state(emu, guild, state)
    return state if channel_id is not None else None


def check_voice_move(emu: DiscordEmulator, guild: Guild, member: Member, raw_channel: Any) -> None:
    """Discord's checks for ``PATCH /guilds/{id}/members/{id}`` with ``channel_id``."""
    if member.user_id not in guild.voice_states:
        raise DiscordError(400, 40032, "Target user is not connected to voice.")
    if raw_channel is None:
        if not guild_permissions(guild, emu.bot_user.id) & P.MOVE_MEMBERS:
            raise Forbidden()
        return
    channel = emu.state.channels.get(int(raw_channel))
    if channel is None or channel.guild_id != guild.id or channel.type not in VOICE_TYPES:
        raise InvalidFormBody("channel_id", "CHANNEL_TYPE_INVALID", "Channel is not a voice channel")
    if not channel_permissions(guild, channel, emu.bot_user.id) & (P.MOVE_MEMBERS | P.CONNECT) == (
        P.MOVE_MEMBERS | P.CONNECT
    ):
        raise Forbidden()


def move_voice_member(
    emu: DiscordEmulator, guild: Guild, user_id: int, raw_channel: Any, *, request: Request | None = None
) -> None:
    """Moves (or with None disconnects) a member, with the audit log entry Discord writes."""
    channel_id = int(raw_channel) if raw_channel is not None else None
    set_voice_channel(emu, guild, user_id, channel_id)
    if channel_id is None:
        record_audit(emu, guild, AuditAction.MEMBER_DISCONNECT, None, request=request, options={"count": 1})
    else:
        record_audit(
            emu,
            guild,
            AuditAction.MEMBER_MOVE,
            None,
            request=request,
            options={"channel_id": channel_id, "count": 1},
        )


def bot_voice_state_update(emu: DiscordEmulator, data: dict[str, Any]) -> None:
    """Gateway op 4 from the bot: its voice state changes (VOICE_STATE_UPDATE) and, on joining,
    VOICE_SERVER_UPDATE follows with a null endpoint: the emulator carries no audio."""
    guild = emu.state.guilds.get(int(data.get("guild_id") or 0))
    if guild is None or emu.bot_user.id not in guild.members:
        return
    raw = data.get("channel_id")
    try:
        state = set_voice_channel(
            emu,
            guild,
            emu.bot_user.id,
            int(raw) if raw is not None else None,
            self_mute=bool(data.get("self_mute")),
            self_deaf=bool(data.get("self_deaf")),
        )
    except (ValueError, DiscordError):
        return
    if state is not None:
        emu.dispatch(
            "VOICE_SERVER_UPDATE",
            {"token": secrets.token_hex(8), "guild_id": str(guild.id), "endpoint": None},
            guild_id=guild.id,
        )
