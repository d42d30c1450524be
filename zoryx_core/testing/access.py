"""What the bot may do: Discord's 403 answers, computed from roles, overwrites and hierarchy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import ErrorCode, Forbidden
from .models import Channel, ChannelType, Guild, Role
from .permissions import P, channel_permissions, guild_permissions

if TYPE_CHECKING:
    from .server import DiscordEmulator

__all__ = [
    "bot_has_channel_permission",
    "require_bot_in_guild",
    "require_channel_permission",
    "require_guild_permission",
    "require_role_below",
]


def require_bot_in_guild(emu: DiscordEmulator, guild: Guild) -> None:
    if emu.bot_user.id not in guild.members:
        raise Forbidden("Missing Access", ErrorCode.MISSING_ACCESS)


def require_guild_permission(emu: DiscordEmulator, guild: Guild, permission: int) -> None:
    require_bot_in_guild(emu, guild)
    if guild_permissions(guild, emu.bot_user.id) & permission != permission:
        raise Forbidden()


def require_channel_permission(emu: DiscordEmulator, channel: Channel, permission: int) -> None:
    """403 50001 when the bot cannot see the channel, 50013 when it lacks ``permission`` there."""
    if channel.type == ChannelType.DM:
        return
    assert channel.guild_id is not None
    guild = emu.state.guilds[channel.guild_id]
    require_bot_in_guild(emu, guild)
    perms = channel_permissions(guild, channel, emu.bot_user.id)
    if not perms & P.VIEW_CHANNEL:
        raise Forbidden("Missing Access", ErrorCode.MISSING_ACCESS)
    if perms & permission != permission:
        raise Forbidden()


def bot_has_channel_permission(emu: DiscordEmulator, channel: Channel, permission: int) -> bool:
    """Whether the bot holds every bit of ``permission`` in ``channel`` (always true in DMs)."""
    if channel.type == ChannelType.DM or channel.guild_id is None:
        return True
    guild = emu.state.guilds[channel.guild_id]
    return channel_permissions(guild, channel, emu.bot_user.id) & permission == permission


def require_role_below(emu: DiscordEmulator, guild: Guild, role: Role) -> None:
    """The bot may only manage roles strictly below its own highest role."""
    if guild.owner_id == emu.bot_user.id:
        return
    if role.position >= guild.top_role_position(emu.bot_user.id):
        raise Forbidden()
