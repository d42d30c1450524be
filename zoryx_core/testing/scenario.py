"""Building the world a test needs: users, guilds, channels, roles, members, overwrites."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .access import bot_has_channel_permission
from .images import sample_gif, sample_png
from .models import (
    CHANNEL_OPTIONAL_FIELDS,
    Channel,
    ChannelType,
    Emoji,
    Guild,
    Member,
    Message,
    Overwrite,
    Role,
    Sticker,
    User,
)
from .mutations import (
    add_member,
    create_channel,
    create_role,
    delete_channel,
    delete_role,
    emit_channel_update,
    emit_emojis_update,
    emit_guild_update,
    emit_member_update,
    emit_role_update,
    emit_stickers_update,
    remove_member,
    renumber_roles,
)
from .permissions import DEFAULT_BOT_PERMISSIONS, DEFAULT_EVERYONE_PERMISSIONS, P
from .routes.channels import forum_tags
from .routes.guilds import apply_guild_settings
from .routes.threads import sync_if_revealed

if TYPE_CHECKING:
    from .gateway import GatewayHub
    from .state import EmulatorState

__all__ = ["ScenarioMixin", "object_id"]


def object_id(obj: Any) -> int:
    """The id of a model object, a discord.py object, or an int."""
    if isinstance(obj, int):
        return obj
    if isinstance(obj, str) and obj.isdigit():
        return int(obj)
    if isinstance(obj, Member):
        return obj.user_id
    return int(obj.id)


class ScenarioMixin:
    """Scenario building for :class:`~zoryx_core.testing.DiscordEmulator`.

    Changes made after the bot connected emit the gateway events Discord would send.
    """

    state: EmulatorState
    bot_user: User
    gateway: GatewayHub
    recommended_shards: int = 1

    def dispatch(self, event: str, data: dict[str, Any], *, guild_id: int | None = None) -> None:
        raise NotImplementedError

    def create_user(self, username: str, *, bot: bool = False, global_name: str | None = None) -> User:
        """Adds a Discord user that can later join guilds and act through the driver."""
        return self.state.add_user(username, bot=bot, global_name=global_name)

    def create_guild(
        self,
        name: str = "Test Guild",
        *,
        owner: User | None = None,
        bot_permissions: int = DEFAULT_BOT_PERMISSIONS,
        everyone_permissions: int = DEFAULT_EVERYONE_PERMISSIONS,
        text_channels: Iterable[str] = ("general",),
        members: Iterable[User] = (),
        add_bot: bool = True,
    ) -> Guild:
        """Creates a guild with an owner, @everyone, text channels and (by default) the bot in it.

        The bot gets a managed role carrying ``bot_permissions``, as an invite with permissions does.
        A connected bot receives GUILD_CREATE on the shard that owns the guild.
        """
        state = self.state
        owner = owner or state.add_user(f"{name.lower().replace(' ', '-')}-owner")
        guild = Guild(id=state.ids.next(residue=len(state.guilds) % 16), name=name, owner_id=owner.id)
        state.guilds[guild.id] = guild
        guild.roles[guild.id] = Role(
            id=guild.id, guild_id=guild.id, name="@everyone", permissions=everyone_permissions
        )
        guild.members[owner.id] = Member(user_id=owner.id, guild_id=guild.id)
        for user in members:
            guild.members[user.id] = Member(user_id=user.id, guild_id=guild.id)
        for position, channel_name in enumerate(text_channels):
            state.add_channel(
                Channel(
                    id=state.ids.next(),
                    type=ChannelType.GUILD_TEXT,
                    guild_id=guild.id,
                    name=channel_name,
                    position=position,
                )
            )
        if guild.channel_ids:
            guild.settings["system_channel_id"] = guild.channel_ids[0]
        if add_bot:
            self.add_bot_to_guild(guild, bot_permissions)
        return guild

    def add_bot_to_guild(self, guild: Guild, permissions: int = DEFAULT_BOT_PERMISSIONS) -> None:
        """Invites the bot: a managed role with ``permissions``, then GUILD_CREATE."""
        role = Role(
            id=self.state.ids.next(),
            guild_id=guild.id,
            name=self.bot_user.username,
            permissions=permissions,
            position=len(guild.roles),
            managed=True,
            bot_id=self.bot_user.id,
        )
        guild.roles[role.id] = role
        guild.members[self.bot_user.id] = Member(user_id=self.bot_user.id, guild_id=guild.id, roles=[role.id])
        payload = self.state.gateway_guild_payload(guild, viewer_id=self.bot_user.id)
        self.dispatch("GUILD_CREATE", payload, guild_id=guild.id)

    def remove_bot_from_guild(self, guild: Guild) -> None:
        """Kicks the bot (or lets it leave): its member and managed role go, GUILD_DELETE is sent."""
        guild.members.pop(self.bot_user.id, None)
        for role in [r for r in guild.roles.values() if r.bot_id == self.bot_user.id]:
            del guild.roles[role.id]
        self.dispatch("GUILD_DELETE", {"id": str(guild.id)}, guild_id=guild.id)

    def bot_role(self, guild: Guild) -> Role:
        """The managed role that carries the bot's permissions in ``guild``."""
        return next(r for r in guild.roles.values() if r.bot_id == self.bot_user.id)

    def set_bot_permissions(self, guild: Guild, permissions: int) -> None:
        role = self.bot_role(guild)
        role.permissions = permissions
        emit_role_update(self, guild, role)  # type: ignore[arg-type]

    def create_channel(
        self,
        guild: Guild,
        name: str,
        *,
        type: int = ChannelType.GUILD_TEXT,
        parent: Channel | None = None,
        position: int | None = None,
        **options: Any,
    ) -> Channel:
        """Adds a channel of any guild type (text 0, voice 2, category 4, stage 13, forum 15...)."""
        channels = self.state.guild_channels(guild)
        if options.get("available_tags") is not None:
            options["available_tags"] = forum_tags(self, Channel(id=0, type=type), options["available_tags"])  # type: ignore[arg-type]
        channel = Channel(
            id=self.state.ids.next(),
            type=type,
            guild_id=guild.id,
            name=name,
            position=position if position is not None else len(channels),
            parent_id=parent.id if parent else None,
            options=dict(options),
        )
        return create_channel(self, guild, channel)  # type: ignore[arg-type]

    def create_role(
        self,
        guild: Guild,
        name: str,
        *,
        permissions: int = 0,
        color: int = 0,
        hoist: bool = False,
        mentionable: bool = False,
        position: int | None = None,
    ) -> Role:
        """Adds a role; by default just above @everyone, below every existing role."""
        if position is None:
            for other in guild.roles.values():
                if other.position >= 1:
                    other.position += 1
            position = 1
        role = Role(
            id=self.state.ids.next(),
            guild_id=guild.id,
            name=name,
            permissions=permissions,
            color=color,
            hoist=hoist,
            mentionable=mentionable,
            position=position,
        )
        return create_role(self, guild, role)  # type: ignore[arg-type]

    def add_member(self, guild: Guild, user: User | str, *, roles: Iterable[Role] = ()) -> Member:
        """Puts a user (or a new user of that name) in a guild; GUILD_MEMBER_ADD is sent."""
        if isinstance(user, str):
            user = self.create_user(user)
        if user.id in guild.bans:
            raise ValueError(f"{user.username} is banned from {guild.name!r}; unban_member() first")
        return add_member(self, guild, user, [r.id for r in roles])  # type: ignore[arg-type]

    def set_member_roles(self, guild: Guild, user: User | Member | int, roles: Iterable[Role]) -> Member:
        member = guild.members[object_id(user)]
        member.roles = [r.id for r in roles]
        emit_member_update(self, guild, member)  # type: ignore[arg-type]
        return member

    def create_emoji(
        self,
        guild: Guild,
        name: str,
        *,
        image: bytes | None = None,
        animated: bool = False,
        roles: Iterable[Role] = (),
    ) -> Emoji:
        """Adds a custom emoji: ``image``, or a small generated PNG (GIF when ``animated``)."""
        emoji_id = self.state.ids.next()
        if image is None:
            image = sample_gif(emoji_id % 997) if animated else sample_png(emoji_id % 997)
        emoji = Emoji(
            id=emoji_id,
            guild_id=guild.id,
            name=name,
            image=image,
            animated=animated,
            roles=[r.id for r in roles],
        )
        guild.emojis[emoji.id] = emoji
        emit_emojis_update(self, guild)  # type: ignore[arg-type]
        return emoji

    def create_sticker(
        self,
        guild: Guild,
        name: str,
        *,
        tags: str = "star",
        description: str | None = None,
        image: bytes | None = None,
    ) -> Sticker:
        """Adds a guild sticker (a small generated PNG unless ``image`` is given)."""
        sticker_id = self.state.ids.next()
        sticker = Sticker(
            id=sticker_id,
            guild_id=guild.id,
            name=name,
            tags=tags,
            image=image if image is not None else sample_png(sticker_id % 997, size=8),
            description=description,
        )
        guild.stickers[sticker.id] = sticker
        emit_stickers_update(self, guild)  # type: ignore[arg-type]
        return sticker

    def edit_guild(self, guild: Guild, **settings: Any) -> None:
        """Changes server settings as an admin would, with Discord's checks (``PATCH /guilds/{id}``):
        ``name``, ``verification_level``, ``afk_channel_id``, ... ; images (``icon``, ``banner``) as bytes."""
        body = {}
        for key, value in settings.items():
            if isinstance(value, bytes):
                kind = "image/gif" if value[:3] == b"GIF" else "image/png"
                value = f"data:{kind};base64,{base64.b64encode(value).decode()}"
            body[key] = value
        apply_guild_settings(self, guild, body)  # type: ignore[arg-type]
        emit_guild_update(self, guild)  # type: ignore[arg-type]

    def edit_role(self, guild: Guild, role: Role, **fields: Any) -> Role:
        """Changes a role as an admin would: ``name``, ``permissions``, ``color``, ``hoist``,
        ``mentionable``; GUILD_ROLE_UPDATE is sent."""
        allowed = {"name", "permissions", "color", "hoist", "mentionable", "unicode_emoji"}
        unknown = set(fields) - allowed
        if unknown:
            raise TypeError(
                f"edit_role() cannot change {', '.join(sorted(unknown))}; it changes {sorted(allowed)}"
            )
        for key, value in fields.items():
            setattr(role, key, value)
        emit_role_update(self, guild, role)  # type: ignore[arg-type]
        return role

    def edit_channel(self, channel: Channel, **fields: Any) -> Channel:
        """Changes a channel as an admin would: ``name``, ``position``, ``parent`` (a category or
        None) and any channel option (``topic``, ``bitrate``...); CHANNEL_UPDATE is sent."""
        for key, value in fields.items():
            if key == "name":
                channel.name = value
            elif key == "position":
                channel.position = int(value)
            elif key == "parent":
                channel.parent_id = value.id if value is not None else None
            elif key in CHANNEL_OPTIONAL_FIELDS:
                channel.options[key] = value
            else:
                raise TypeError(f"edit_channel() cannot change {key!r}")
        emit_channel_update(self, channel)  # type: ignore[arg-type]
        return channel

    # -- removing, as an admin would ---------------------------------------------------------------
    def delete_role(self, guild: Guild, role: Role) -> None:
        """Deletes a role: members lose it, overwrites for it go, positions close up."""
        delete_role(self, guild, role)  # type: ignore[arg-type]
        renumber_roles(guild)

    def delete_channel(self, channel: Channel) -> None:
        """Deletes a channel (a category's channels stay, without a category)."""
        delete_channel(self, channel)  # type: ignore[arg-type]

    def delete_emoji(self, guild: Guild, emoji: Emoji) -> None:
        del guild.emojis[emoji.id]
        emit_emojis_update(self, guild)  # type: ignore[arg-type]

    def delete_sticker(self, guild: Guild, sticker: Sticker) -> None:
        del guild.stickers[sticker.id]
        emit_stickers_update(self, guild)  # type: ignore[arg-type]

    def remove_member(self, guild: Guild, user: User | Member | int) -> None:
        """The member leaves (or is kicked); GUILD_MEMBER_REMOVE is sent."""
        remove_member(self, guild, object_id(user))  # type: ignore[arg-type]

    def set_overwrite(
        self, channel: Channel, target: Role | User | Member, *, allow: int = 0, deny: int = 0
    ) -> None:
        """Sets a permission overwrite for a role or a member on a channel."""
        kind = 0 if isinstance(target, Role) else 1
        target_id = object_id(target)
        was_visible = bot_has_channel_permission(self, channel, P.VIEW_CHANNEL)  # type: ignore[arg-type]
        channel.overwrites = [ow for ow in channel.overwrites if ow.id != target_id]
        channel.overwrites.append(Overwrite(target_id, kind, allow, deny))
        emit_channel_update(self, channel)  # type: ignore[arg-type]
        sync_if_revealed(self, channel, was_visible)  # type: ignore[arg-type]

    # -- inspection -------------------------------------------------------------------------------
    def channel_named(self, guild: Guild, name: str) -> Channel:
        for channel in self.state.guild_channels(guild):
            if channel.name == name:
                return channel
        raise LookupError(f"guild {guild.name!r} has no channel named {name!r}")

    def emoji_named(self, guild: Guild, name: str) -> Emoji:
        for emoji in guild.emojis.values():
            if emoji.name == name:
                return emoji
        raise LookupError(f"guild {guild.name!r} has no emoji named {name!r}")

    def role_named(self, guild: Guild, name: str) -> Role:
        for role in guild.roles.values():
            if role.name == name:
                return role
        raise LookupError(f"guild {guild.name!r} has no role named {name!r}")

    def messages_in(self, channel: Channel | int) -> list[Message]:
        """Every stored message in a channel, oldest first (ephemeral ones included)."""
        return list(self.state.messages[object_id(channel)].values())
