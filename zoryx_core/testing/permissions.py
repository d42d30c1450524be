"""Discord permission bits and the computation Discord documents: roles, then channel overwrites."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .models import ChannelType

if TYPE_CHECKING:
    from .models import Channel, Guild

__all__ = [
    "ALL_PERMISSIONS",
    "DEFAULT_BOT_PERMISSIONS",
    "DEFAULT_EVERYONE_PERMISSIONS",
    "P",
    "channel_permissions",
    "guild_permissions",
    "sees_thread",
]


class P:
    """Permission bits by name."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_AUDIT_LOG = 1 << 7
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    CONNECT = 1 << 20
    SPEAK = 1 << 21
    MUTE_MEMBERS = 1 << 22
    DEAFEN_MEMBERS = 1 << 23
    MOVE_MEMBERS = 1 << 24
    CHANGE_NICKNAME = 1 << 26
    MANAGE_NICKNAMES = 1 << 27
    MANAGE_ROLES = 1 << 28
    MANAGE_WEBHOOKS = 1 << 29
    MANAGE_GUILD_EXPRESSIONS = 1 << 30
    USE_APPLICATION_COMMANDS = 1 << 31
    MANAGE_EVENTS = 1 << 33
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    SEND_MESSAGES_IN_THREADS = 1 << 38
    MODERATE_MEMBERS = 1 << 40
    CREATE_GUILD_EXPRESSIONS = 1 << 43
    SEND_POLLS = 1 << 49


ALL_PERMISSIONS = (1 << 53) - 1

DEFAULT_EVERYONE_PERMISSIONS = (
    P.CREATE_INSTANT_INVITE
    | P.ADD_REACTIONS
    | P.VIEW_CHANNEL
    | P.SEND_MESSAGES
    | P.EMBED_LINKS
    | P.ATTACH_FILES
    | P.READ_MESSAGE_HISTORY
    | P.USE_EXTERNAL_EMOJIS
    | P.CONNECT
    | P.SPEAK
    | P.CHANGE_NICKNAME
    | P.USE_APPLICATION_COMMANDS
    | P.SEND_MESSAGES_IN_THREADS
    | P.CREATE_PUBLIC_THREADS
    | P.CREATE_PRIVATE_THREADS
    | P.SEND_POLLS
)

# What a bot invited with a typical "manage the server" invite gets, without Administrator.
DEFAULT_BOT_PERMISSIONS = (
    DEFAULT_EVERYONE_PERMISSIONS
    | P.KICK_MEMBERS
    | P.BAN_MEMBERS
    | P.MANAGE_CHANNELS
    | P.MANAGE_GUILD
    | P.VIEW_AUDIT_LOG
    | P.MANAGE_MESSAGES
    | P.MENTION_EVERYONE
    | P.MANAGE_NICKNAMES
    | P.MANAGE_ROLES
    | P.MANAGE_WEBHOOKS
    | P.MANAGE_GUILD_EXPRESSIONS
    | P.MANAGE_THREADS
    | P.MODERATE_MEMBERS
    | P.CREATE_GUILD_EXPRESSIONS
    | P.MOVE_MEMBERS
    | P.MANAGE_EVENTS
)


def guild_permissions(guild: Guild, user_id: int) -> int:
    """Guild-level permissions of a member: owner, then @everyone and the member's roles."""
    if user_id == guild.owner_id:
        return ALL_PERMISSIONS
    member = guild.members.get(user_id)
    if member is None:
        return 0
    perms = guild.roles[guild.id].permissions
    for role_id in member.roles:
        role = guild.roles.get(role_id)
        if role is not None:
            perms |= role.permissions
    if perms & P.ADMINISTRATOR:
        return ALL_PERMISSIONS
    return perms


def channel_permissions(guild: Guild, channel: Channel, user_id: int) -> int:
    """Permissions of a member in a channel, applying overwrites in Discord's order."""
    base = guild_permissions(guild, user_id)
    if base == ALL_PERMISSIONS:
        return base
    member = guild.members[user_id]
    if not channel.overwrites:  # most channels: the guild-level permissions decide
        return base if base & P.VIEW_CHANNEL else 0
    overwrites = {ow.id: ow for ow in channel.overwrites}
    everyone = overwrites.get(guild.id)
    if everyone is not None:
        base = (base & ~everyone.deny) | everyone.allow
    allow = deny = 0
    for role_id in member.roles:
        ow = overwrites.get(role_id)
        if ow is not None and ow.type == 0:
            allow |= ow.allow
            deny |= ow.deny
    base = (base & ~deny) | allow
    own = overwrites.get(user_id)
    if own is not None and own.type == 1:
        base = (base & ~own.deny) | own.allow
    if not base & P.VIEW_CHANNEL:
        return 0
    return base


def sees_thread(guild: Guild, parent: Channel, thread: Channel, user_id: int) -> bool:
    """Whether a member sees a thread: View Channel in its parent, and for a private thread, being
    one of its members or holding Manage Threads in the parent (Discord shows it to no one else)."""
    if user_id not in guild.members:
        return False
    perms = channel_permissions(guild, parent, user_id)
    if not perms & P.VIEW_CHANNEL:
        return False
    if thread.type != ChannelType.PRIVATE_THREAD or thread.thread is None:
        return True
    return user_id in thread.thread.member_ids or bool(perms & P.MANAGE_THREADS)
