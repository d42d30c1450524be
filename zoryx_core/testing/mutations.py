"""State changes shared by REST routes and the driver, each emitting the gateway events Discord would."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .access import bot_has_channel_permission, bot_sees_thread
from .http_utils import UploadedFile
from .models import Attachment, Channel, Guild, Member, Message, Role, User
from .permissions import P, channel_permissions

if TYPE_CHECKING:
    from .server import DiscordEmulator

__all__ = [
    "add_member",
    "build_message",
    "create_channel",
    "create_role",
    "delete_channel",
    "delete_message",
    "delete_role",
    "emit_channel_event",
    "emit_channel_update",
    "emit_emojis_update",
    "emit_guild_update",
    "emit_member_update",
    "emit_role_update",
    "emit_stickers_update",
    "hidden_from_bot",
    "post_message",
    "publish_message",
    "remove_member",
    "renumber_roles",
    "update_message",
]

_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


def build_message(
    emu: DiscordEmulator,
    channel: Channel,
    author_id: int,
    body: dict[str, Any],
    files: list[UploadedFile] | None = None,
    **extra: Any,
) -> Message:
    """Makes (but does not store) a message from a create-message body and uploaded files."""
    message_id = emu.state.ids.next()
    content = body.get("content") or ""
    # the fields most messages leave at their defaults are set only when the body has them (a
    # call with positional arguments costs half as much), and empty containers stay unallocated
    message = Message(message_id, channel.id, author_id, content, channel.guild_id, **extra)
    embeds = body.get("embeds")
    if embeds:
        message.embeds = list(embeds)
    components = body.get("components")
    if components:
        message.components = list(components)
    flags = body.get("flags")
    if flags:
        message.flags = int(flags)
    if body.get("tts"):
        message.tts = True
    nonce = body.get("nonce")
    if nonce is not None:
        message.nonce = nonce
    stickers = body.get("sticker_ids")
    if stickers:
        message.sticker_ids = [int(s) for s in stickers]
    if files:
        message.attachments = attachments_from(emu, files, body.get("attachments") or [])
    poll = body.get("poll")
    if poll is not None:
        from .routes.polls import make_poll

        message.poll = make_poll(poll)
    if "@" in content:  # every kind of mention contains one
        _apply_mentions(emu, message, body.get("allowed_mentions"))
    reference = body.get("message_reference")
    if reference and reference.get("message_id"):
        message.type = 19  # REPLY
        message.message_reference = {
            "type": 0,
            "message_id": str(reference["message_id"]),
            "channel_id": str(reference.get("channel_id") or channel.id),
            **({"guild_id": str(channel.guild_id)} if channel.guild_id else {}),
        }
        _mention_replied_user(emu, message, reference, body.get("allowed_mentions"))
    return message


def _mention_replied_user(
    emu: DiscordEmulator, message: Message, reference: dict[str, Any], allowed: dict[str, Any] | None
) -> None:
    """A reply pings the replied-to author unless ``allowed_mentions.replied_user`` is false (it
    defaults to false inside an ``allowed_mentions`` object, to true without one)."""
    ping = True if allowed is None else bool(allowed.get("replied_user", False))
    if not ping:
        return
    channel_messages = emu.state.messages.get(int(reference.get("channel_id") or message.channel_id))
    replied = channel_messages.get(int(reference["message_id"])) if channel_messages else None
    if replied is not None and replied.author_id not in message.mention_ids:
        message.mention_ids = [*message.mention_ids, replied.author_id]


def attachments_from(
    emu: DiscordEmulator, files: list[UploadedFile], meta: list[dict[str, Any]]
) -> list[Attachment]:
    by_index = {str(m.get("id")): m for m in meta}
    result = []
    for index, upload in enumerate(files):
        info = by_index.get(str(index), {})
        attachment_id = emu.state.ids.next()
        filename = info.get("filename") or upload.filename
        attachment = Attachment(
            id=attachment_id,
            filename=filename,
            content_type=upload.content_type,
            data=upload.data,
            url=f"{emu.base_url}/attachments/{attachment_id}/{filename}",
            description=info.get("description"),
        )
        emu.state.attachments[attachment_id] = attachment
        result.append(attachment)
    return result


def _apply_mentions(emu: DiscordEmulator, message: Message, allowed: dict[str, Any] | None) -> None:
    """Who a message pings: allowed_mentions, then Discord's rules for @everyone/@here and role mentions.

    In a guild, @everyone, @here and non-mentionable roles ping only when the author has Mention
    Everyone in the channel; mentions of unknown roles are dropped. Each user or role is listed once.
    """
    parse = set((allowed or {}).get("parse", ["users", "roles", "everyone"]))
    users = [int(u) for u in _USER_MENTION.findall(message.content)]
    explicit_users = {int(u) for u in (allowed or {}).get("users", [])}
    message.mention_ids = list(
        dict.fromkeys(u for u in users if u in emu.state.users and ("users" in parse or u in explicit_users))
    )
    roles = [int(r) for r in _ROLE_MENTION.findall(message.content)]
    explicit_roles = {int(r) for r in (allowed or {}).get("roles", [])}
    wanted_roles = [r for r in dict.fromkeys(roles) if "roles" in parse or r in explicit_roles]
    everyone = "everyone" in parse and ("@everyone" in message.content or "@here" in message.content)
    guild = emu.state.guilds.get(message.guild_id) if message.guild_id is not None else None
    channel = emu.state.channels.get(message.channel_id)
    by_member = guild is not None and message.author_id in guild.members and message.webhook_id is None
    if guild is not None and channel is not None and by_member:
        can_ping_all = bool(channel_permissions(guild, channel, message.author_id) & P.MENTION_EVERYONE)
        roles_here = guild.roles
        wanted_roles = [
            r
            for r in wanted_roles
            if r in roles_here and r != guild.id and (roles_here[r].mentionable or can_ping_all)
        ]
        everyone = everyone and can_ping_all
    message.mention_role_ids = wanted_roles
    message.mention_everyone = everyone


def post_message(emu: DiscordEmulator, message: Message) -> Message:
    """Stores a message and, unless it is ephemeral, sends MESSAGE_CREATE."""
    publish_message(emu, message)
    return message


def publish_message(emu: DiscordEmulator, message: Message) -> dict[str, Any]:
    """Like :func:`post_message`, returning the message's REST payload.

    The gateway payload is the REST shape plus ``guild_id`` and ``member``, so the payload of a
    bot's own message is built once for both its MESSAGE_CREATE and its HTTP answer.
    """
    emu.state.add_message(message)
    payload = emu.state.message_payload(message, viewer_id=emu.bot_user.id)
    if message.ephemeral or (
        message.author_id != emu.bot_user.id and hidden_from_bot(emu, message.channel_id, message.guild_id)
    ):
        return payload
    event = payload | emu.state.gateway_message_fields(message)
    emu.dispatch("MESSAGE_CREATE", event, guild_id=message.guild_id)
    return payload


def hidden_from_bot(emu: DiscordEmulator, channel_id: int, guild_id: int | None) -> bool:
    """Whether the bot cannot see a guild channel (or thread), so Discord sends it none of its
    message events."""
    if guild_id is None:
        return False
    channel = emu.state.channels.get(channel_id)
    if channel is None:
        return False
    if channel.thread is not None:
        return not bot_sees_thread(emu, channel)
    return not bot_has_channel_permission(emu, channel, P.VIEW_CHANNEL)


def update_message(emu: DiscordEmulator, message: Message) -> None:
    if not message.ephemeral and not hidden_from_bot(emu, message.channel_id, message.guild_id):
        emu.dispatch(
            "MESSAGE_UPDATE",
            emu.state.message_payload(message, viewer_id=emu.bot_user.id, gateway=True),
            guild_id=message.guild_id,
        )


def emit_channel_event(
    emu: DiscordEmulator, event: str, channel_id: int, guild_id: int | None, **fields: Any
) -> None:
    """Dispatches an event about a channel: ``channel_id``, ``guild_id`` in a guild, and ``fields``."""
    if event.startswith("MESSAGE_") and hidden_from_bot(emu, channel_id, guild_id):
        return
    data: dict[str, Any] = {"channel_id": str(channel_id), **fields}
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    emu.dispatch(event, data, guild_id=guild_id)


def delete_message(emu: DiscordEmulator, message: Message) -> None:
    emu.state.messages[message.channel_id].pop(message.id, None)
    if not message.ephemeral:
        emit_channel_event(emu, "MESSAGE_DELETE", message.channel_id, message.guild_id, id=str(message.id))


def create_channel(emu: DiscordEmulator, guild: Guild, channel: Channel) -> Channel:
    emu.state.add_channel(channel)
    emu.dispatch("CHANNEL_CREATE", channel.payload(), guild_id=guild.id)
    return channel


def emit_channel_update(emu: DiscordEmulator, channel: Channel) -> None:
    emu.dispatch("CHANNEL_UPDATE", channel.payload(), guild_id=channel.guild_id)


def delete_channel(emu: DiscordEmulator, channel: Channel) -> None:
    children = [c for c in emu.state.channels.values() if c.parent_id == channel.id]
    emu.state.remove_channel(channel)
    emu.dispatch("CHANNEL_DELETE", channel.payload(), guild_id=channel.guild_id)
    for child in children:
        emit_channel_update(emu, child)
    guild = emu.state.guilds.get(channel.guild_id) if channel.guild_id is not None else None
    if guild is not None:  # guild settings pointing at the deleted channel (system, AFK...) are cleared
        pointing = [k for k, v in guild.settings.items() if k.endswith("_channel_id") and v == channel.id]
        for key in pointing:
            guild.settings[key] = None
        if pointing:
            emit_guild_update(emu, guild)


def create_role(emu: DiscordEmulator, guild: Guild, role: Role) -> Role:
    guild.roles[role.id] = role
    emu.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": role.payload()}, guild_id=guild.id)
    return role


def emit_role_update(emu: DiscordEmulator, guild: Guild, role: Role) -> None:
    emu.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": role.payload()}, guild_id=guild.id)


def delete_role(emu: DiscordEmulator, guild: Guild, role: Role) -> None:
    del guild.roles[role.id]
    for member in guild.members.values():
        if role.id in member.roles:
            member.roles.remove(role.id)
    for channel in emu.state.guild_channels(guild):
        channel.overwrites = [ow for ow in channel.overwrites if ow.id != role.id]
    emu.dispatch("GUILD_ROLE_DELETE", {"guild_id": str(guild.id), "role_id": str(role.id)}, guild_id=guild.id)


def renumber_roles(guild: Guild) -> None:
    """Keeps role positions 1..n-1 without gaps, in their order (ties by id, like Discord); @everyone is 0."""
    ordered = sorted((r for r in guild.roles.values() if r.id != guild.id), key=lambda r: (r.position, r.id))
    for position, role in enumerate(ordered, start=1):
        role.position = position
    guild.roles[guild.id].position = 0


def add_member(emu: DiscordEmulator, guild: Guild, user: User, roles: list[int] | None = None) -> Member:
    member = Member(user_id=user.id, guild_id=guild.id, roles=list(roles or []))
    guild.members[user.id] = member
    emu.dispatch(
        "GUILD_MEMBER_ADD", emu.state.member_payload(member) | {"guild_id": str(guild.id)}, guild_id=guild.id
    )
    return member


def emit_member_update(emu: DiscordEmulator, guild: Guild, member: Member) -> None:
    emu.dispatch(
        "GUILD_MEMBER_UPDATE",
        emu.state.member_payload(member) | {"guild_id": str(guild.id)},
        guild_id=guild.id,
    )


def remove_member(emu: DiscordEmulator, guild: Guild, user_id: int) -> None:
    """The member leaves (or is kicked, banned, pruned): out of voice first, then GUILD_MEMBER_REMOVE."""
    if user_id in guild.voice_states:
        from .voice import set_voice_channel

        set_voice_channel(emu, guild, user_id, None)
    guild.members.pop(user_id, None)
    emu.dispatch(
        "GUILD_MEMBER_REMOVE",
        {"guild_id": str(guild.id), "user": emu.state.users[user_id].payload()},
        guild_id=guild.id,
    )


def emit_emojis_update(emu: DiscordEmulator, guild: Guild) -> None:
    emu.dispatch(
        "GUILD_EMOJIS_UPDATE",
        {"guild_id": str(guild.id), "emojis": [e.payload() for e in guild.emojis.values()]},
        guild_id=guild.id,
    )


def emit_stickers_update(emu: DiscordEmulator, guild: Guild) -> None:
    emu.dispatch(
        "GUILD_STICKERS_UPDATE",
        {"guild_id": str(guild.id), "stickers": [s.payload() for s in guild.stickers.values()]},
        guild_id=guild.id,
    )


def emit_guild_update(emu: DiscordEmulator, guild: Guild) -> None:
    emu.dispatch("GUILD_UPDATE", emu.state.guild_payload(guild), guild_id=guild.id)
