"""What the bot may do: Discord's 403 answers, computed from roles, overwrites and hierarchy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import ErrorCode, Forbidden
from .models import Channel, ChannelType, Guild, Role
from .permissions import P, channel_permissions, guild_permissions, sees_thread

if TYPE_CHECKING:
    from .server import DiscordEmulator

__all__ = [
    "bot_has_channel_permission",
    "bot_sees_thread",
    "permission_channel",
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


def permission_channel(emu: DiscordEmulator, channel: Channel, permission: int) -> tuple[Channel, int]:
    """Where a permission is decided: a thread takes its parent's permissions, with Send Messages
    in Threads standing for Send Messages."""
    if channel.thread is None or channel.parent_id is None:
        return channel, permission
    if permission & P.SEND_MESSAGES:
        permission = (permission & ~P.SEND_MESSAGES) | P.SEND_MESSAGES_IN_THREADS
    return emu.state.channels.get(channel.parent_id, channel), permission


def require_channel_permission(emu: DiscordEmulator, channel: Channel, permission: int) -> None:
    """403 50001 when the bot cannot see the channel, 50013 when it lacks ``permission`` there."""
    if channel.type == ChannelType.DM:
        return
    if channel.thread is not None:
        _require_thread_access(emu, channel)
        channel, permission = permission_channel(emu, channel, permission)
    assert channel.guild_id is not None
    guild = emu.state.guilds[channel.guild_id]
    require_bot_in_guild(emu, guild)
    perms = channel_permissions(guild, channel, emu.bot_user.id)
    if not perms & P.VIEW_CHANNEL:
        raise Forbidden("Missing Access", ErrorCode.MISSING_ACCESS)
    if perms & permission != permission:
        raise Forbidden()


def _require_thread_access(emu: DiscordEmulator, thread: Channel) -> None:
    """A private thread is visible to its members and to those who may manage threads."""
    if thread.type == ChannelType.PRIVATE_THREAD and not bot_sees_thread(emu, thread):
        raise Forbidden("Missing Access", ErrorCode.MISSING_ACCESS)


def bot_sees_thread(emu: DiscordEmulator, thread: Channel) -> bool:
    """Whether the bot sees a thread (see :func:`~.permissions.sees_thread`): Discord sends it none
    of the thread's events and lists the thread nowhere otherwise."""
    assert thread.guild_id is not None
    parent, _ = permission_channel(emu, thread, 0)
    return sees_thread(emu.state.guilds[thread.guild_id], parent, thread, emu.bot_user.id)


def bot_has_channel_permission(emu: DiscordEmulator, channel: Channel, permission: int) -> bool:
    """Whether the bot holds every bit of ``permission`` in ``channel`` (always true in DMs)."""
    if channel.type == ChannelType.DM or channel.guild_id is None:
        return True
    guild = emu.state.guilds[channel.guild_id]
    channel, permission = permission_channel(emu, channel, permission)
    return channel_permissions(guild, channel, emu.bot_user.id) & permission == permission


def require_role_below(emu: DiscordEmulator, guild: Guild, role: Role) -> None:
    """The bot may only manage roles strictly below its own highest role."""
    if guild.owner_id == emu.bot_user.id:
        return
    if role.position >= guild.top_role_position(emu.bot_user.id):
        raise Forbidden()
