"""The emulator's state objects. Each knows how to render itself as a Discord payload."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from .snowflake import DISCORD_EPOCH_MS

if TYPE_CHECKING:
    from .entities import AuditLogEntry, AutoModRule, Ban, ScheduledEvent, ThreadInfo, VoiceState

__all__ = [
    "ApplicationCommand",
    "Attachment",
    "Channel",
    "ChannelType",
    "Emoji",
    "Guild",
    "Member",
    "Message",
    "Overwrite",
    "Role",
    "Sticker",
    "User",
    "iso_from_snowflake",
    "iso_now",
    "numbered_components",
]


_C = TypeVar("_C")


def iso_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


_last_second: list[Any] = [None, ""]  # (Unix second, its ISO text): ids made together share it
_FRACTIONS = ("+00:00", *(f".{millis:03d}000+00:00" for millis in range(1, 1000)))
"""What follows the second in ``isoformat()``, by millisecond (none at 0): a lookup instead of
formatting the number for every message."""


def iso_from_snowflake(snowflake: int) -> str:
    """The snowflake's time as ``datetime.isoformat()`` writes it in UTC (milliseconds, if any,
    as microseconds); the date and time of day are formatted once per second."""
    second, millis = divmod((snowflake >> 22) + DISCORD_EPOCH_MS, 1000)  # snowflake_time_ms, inlined
    if _last_second[0] != second:
        _last_second[:] = [second, dt.datetime.fromtimestamp(second, dt.UTC).isoformat()[:-6]]
    text: str = _last_second[1]
    return text + _FRACTIONS[millis]


def _children(component: dict[str, Any]) -> list[dict[str, Any]]:
    nested = [component[key] for key in ("accessory", "component") if isinstance(component.get(key), dict)]
    return list(component.get("components") or []) + nested


def numbered_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Components as Discord returns them: every one has an integer ``id``.

    Those the sender left without one are numbered 1, 2, ... depth first, skipping ids already taken.
    """
    if not components:
        return []
    taken: set[int] = set()
    pending = list(components)
    while pending:
        component = pending.pop()
        if isinstance(component.get("id"), int):
            taken.add(component["id"])
        pending.extend(_children(component))
    counter = itertools.count(1)

    def number(component: dict[str, Any]) -> dict[str, Any]:
        copy = dict(component)
        if not isinstance(copy.get("id"), int):
            copy["id"] = next(n for n in counter if n not in taken)
        if copy.get("components"):
            copy["components"] = [number(c) for c in copy["components"]]
        for key in ("component", "accessory"):
            if isinstance(copy.get(key), dict):
                copy[key] = number(copy[key])
        return copy

    return [number(c) for c in components]


class ChannelType:
    GUILD_TEXT = 0
    DM = 1
    GUILD_VOICE = 2
    GUILD_CATEGORY = 4
    GUILD_ANNOUNCEMENT = 5
    ANNOUNCEMENT_THREAD = 10
    PUBLIC_THREAD = 11
    PRIVATE_THREAD = 12
    GUILD_STAGE_VOICE = 13
    GUILD_FORUM = 15
    GUILD_MEDIA = 16

    GUILD_TYPES = frozenset({0, 2, 4, 5, 13, 15, 16})
    TEXT_TYPES = frozenset({0, 1, 2, 5, 10, 11, 12, 13})  # types that carry messages directly
    THREAD_TYPES = frozenset({10, 11, 12})


@dataclass
class User:
    id: int
    username: str
    bot: bool = False
    global_name: str | None = None
    avatar: str | None = None

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": self.avatar,
            "public_flags": 0,
            "flags": 0,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
            "collectibles": None,
            "primary_guild": None,
        }
        if self.bot:
            data["bot"] = True
        return data


@dataclass
class Role:
    id: int
    guild_id: int
    name: str
    permissions: int = 0
    color: int = 0
    hoist: bool = False
    mentionable: bool = False
    position: int = 0
    managed: bool = False
    bot_id: int | None = None
    icon: str | None = None
    unicode_emoji: str | None = None

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "description": None,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": self.color,
            "colors": {"primary_color": self.color, "secondary_color": None, "tertiary_color": None},
            "hoist": self.hoist,
            "managed": self.managed,
            "mentionable": self.mentionable,
            "icon": self.icon,
            "unicode_emoji": self.unicode_emoji,
            "flags": 0,
        }
        if self.bot_id is not None:
            data["tags"] = {"bot_id": str(self.bot_id)}
        return data


@dataclass
class Overwrite:
    id: int
    type: int  # 0 role, 1 member
    allow: int = 0
    deny: int = 0

    def payload(self) -> dict[str, Any]:
        return {"id": str(self.id), "type": self.type, "allow": str(self.allow), "deny": str(self.deny)}


# Settable channel fields beyond the common ones, with the default each type reports.
CHANNEL_OPTIONAL_FIELDS: dict[str, Any] = {
    "topic": None,
    "nsfw": False,
    "rate_limit_per_user": 0,
    "bitrate": 64000,
    "user_limit": 0,
    "rtc_region": None,
    "video_quality_mode": 1,
    "default_auto_archive_duration": None,
    "default_thread_rate_limit_per_user": 0,
    "available_tags": [],
    "default_reaction_emoji": None,
    "default_sort_order": None,
    "default_forum_layout": 0,
}
_VOICE_FIELDS = frozenset({"bitrate", "user_limit", "rtc_region", "video_quality_mode"})
_FORUM_FIELDS = frozenset(
    {
        "available_tags",
        "default_reaction_emoji",
        "default_sort_order",
        "default_forum_layout",
    }
)
_THREAD_FIELDS = frozenset({"default_thread_rate_limit_per_user"})  # channels that hold threads


@dataclass
class Channel:
    id: int
    type: int
    name: str = ""
    guild_id: int | None = None
    position: int = 0
    parent_id: int | None = None
    overwrites: list[Overwrite] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    recipient_ids: list[int] = field(default_factory=list)
    last_message_id: int | None = None
    flags: int = 0
    thread: ThreadInfo | None = None  # set on threads (types 10, 11, 12)

    def option(self, name: str) -> Any:
        return self.options.get(name, CHANNEL_OPTIONAL_FIELDS[name])

    def payload(self, users: dict[int, User] | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "last_message_id": str(self.last_message_id) if self.last_message_id else None,
            "flags": self.flags,
        }
        if self.type == ChannelType.DM:
            data["recipients"] = [users[uid].payload() for uid in self.recipient_ids] if users else []
            return data
        if self.thread is not None:
            return self._thread_payload(data)
        data.update(
            {
                "guild_id": str(self.guild_id),
                "name": self.name,
                "position": self.position,
                "parent_id": str(self.parent_id) if self.parent_id else None,
                "permission_overwrites": [ow.payload() for ow in self.overwrites],
            }
        )
        if self.type == ChannelType.GUILD_CATEGORY:
            return data
        voice = self.type in (ChannelType.GUILD_VOICE, ChannelType.GUILD_STAGE_VOICE)
        forum = self.type in (ChannelType.GUILD_FORUM, ChannelType.GUILD_MEDIA)
        for key in CHANNEL_OPTIONAL_FIELDS:
            if key in _VOICE_FIELDS and not voice:
                continue
            if key in _FORUM_FIELDS and not forum:
                continue
            if key in _THREAD_FIELDS and voice:
                continue
            if key == "topic" and voice:
                continue
            if key == "default_auto_archive_duration" and self.option(key) is None:
                continue  # Discord leaves it out until set; it is never null
            data[key] = self.option(key)
        return data

    def _thread_payload(self, data: dict[str, Any]) -> dict[str, Any]:
        thread = self.thread
        assert thread is not None
        data.update(
            {
                "guild_id": str(self.guild_id),
                "name": self.name,
                "parent_id": str(self.parent_id) if self.parent_id else None,
                "owner_id": str(thread.owner_id),
                "rate_limit_per_user": self.option("rate_limit_per_user"),
                "thread_metadata": thread.metadata(),
                "message_count": thread.message_count,
                "member_count": min(len(thread.member_ids), 50),
                "total_message_sent": thread.total_message_sent,
            }
        )
        if thread.applied_tags:
            data["applied_tags"] = list(thread.applied_tags)
        return data


@dataclass
class Member:
    user_id: int
    guild_id: int
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = field(default_factory=iso_now)
    deaf: bool = False
    mute: bool = False
    communication_disabled_until: str | None = None

    def payload(self, user: User | None) -> dict[str, Any]:
        """The guild member object; without ``user`` it has no ``user`` key (as in MESSAGE_CREATE)."""
        data = self._fields()
        if user is not None:
            data = {"user": user.payload(), **data}
        return data

    def _fields(self) -> dict[str, Any]:
        return {
            "roles": [str(r) for r in self.roles] if self.roles else [],
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": self.deaf,
            "mute": self.mute,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": self.communication_disabled_until,
        }


@dataclass
class Emoji:
    id: int
    guild_id: int
    name: str
    image: bytes
    animated: bool = False
    roles: list[int] = field(default_factory=list)
    creator_id: int | None = None

    def payload(self, users: dict[int, User] | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "roles": [str(r) for r in self.roles],
            "require_colons": True,
            "managed": False,
            "animated": self.animated,
            "available": True,
        }
        if users is not None and self.creator_id in users:
            data["user"] = users[self.creator_id].payload()
        return data


@dataclass
class Sticker:
    id: int
    guild_id: int
    name: str
    tags: str
    image: bytes
    description: str | None = None
    format_type: int = 1  # PNG
    creator_id: int | None = None

    def payload(self, users: dict[int, User] | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "tags": self.tags,
            "type": 2,
            "format_type": self.format_type,
            "description": self.description,
            "asset": "",
            "available": True,
            "guild_id": str(self.guild_id),
        }
        if users is not None and self.creator_id in users:
            data["user"] = users[self.creator_id].payload()
        return data


@dataclass
class Attachment:
    id: int
    filename: str
    content_type: str
    data: bytes
    url: str
    description: str | None = None

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "filename": self.filename,
            "size": len(self.data),
            "url": self.url,
            "proxy_url": self.url,
            "content_type": self.content_type,
            "description": self.description,
        }


class _Lazy(Generic[_C]):
    """A container field of :class:`Message` that stays unallocated until it is first read or set.

    Most messages have no embeds, components, attachments, mentions, stickers or reactions, and
    the emulator keeps every message it was sent: an empty list for each of those fields was six
    objects per stored message for the garbage collector to track and traverse, most of what a
    ``!ping`` round trip left behind. The value lives in ``_<name>`` (None until then); reading
    the field makes the empty container, keeps it and returns it, so that it behaves exactly like
    a ``default_factory`` field. Code that only needs to know whether there is anything reads
    ``_<name>`` instead, which allocates nothing.
    """

    __slots__ = ("_factory", "_private")

    def __init__(self, factory: Callable[[], _C]) -> None:
        self._factory = factory
        self._private = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._private = f"_{name}"

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> _Lazy[_C]: ...
    @overload
    def __get__(self, instance: object, owner: type | None = None) -> _C: ...
    def __get__(self, instance: object | None, owner: type | None = None) -> _C | _Lazy[_C]:
        if instance is None:
            return self
        value: _C | None = getattr(instance, self._private)
        if value is None:
            value = self._factory()
            setattr(instance, self._private, value)
        return value

    def __set__(self, instance: object, value: _C) -> None:
        setattr(instance, self._private, value)


@dataclass(init=False)
class Message:
    """A stored message. Its container fields (embeds ... sticker_ids, reactions) are :class:`_Lazy`:
    an empty one is allocated only when it is read."""

    id: int
    channel_id: int
    author_id: int
    content: str = ""
    guild_id: int | None = None
    embeds: _Lazy[list[dict[str, Any]]] = _Lazy(list)
    components: _Lazy[list[dict[str, Any]]] = _Lazy(list)
    attachments: _Lazy[list[Attachment]] = _Lazy(list)
    flags: int = 0
    type: int = 0
    tts: bool = False
    pinned: bool = False
    edited_timestamp: str | None = None
    mention_ids: _Lazy[list[int]] = _Lazy(list)
    mention_role_ids: _Lazy[list[int]] = _Lazy(list)
    mention_everyone: bool = False
    reactions: _Lazy[dict[str, list[int]]] = _Lazy(dict)  # emoji key -> user ids in order
    reaction_emojis: _Lazy[dict[str, dict[str, Any]]] = _Lazy(dict)
    message_reference: dict[str, Any] | None = None
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_metadata: dict[str, Any] | None = None
    nonce: str | int | None = None
    sticker_ids: _Lazy[list[int]] = _Lazy(list)
    poll: dict[str, Any] | None = None  # as sent, plus "expiry" and "is_finalized"
    poll_votes: dict[int, list[int]] | None = None  # answer id -> user ids
    author_override: dict[str, Any] | None = None  # a webhook message's username / avatar
    thread_id: int | None = None  # the thread started from this message
    _timestamp: str | None = field(default=None, init=False, repr=False, compare=False)
    """``timestamp``'s cache: an attribute, so that the instance keeps its compact attribute
    storage (reading ``__dict__`` would make a dict for every stored message)."""

    def __init__(
        self,
        id: int,
        channel_id: int,
        author_id: int,
        content: str = "",
        guild_id: int | None = None,
        embeds: list[dict[str, Any]] | None = None,
        components: list[dict[str, Any]] | None = None,
        attachments: list[Attachment] | None = None,
        flags: int = 0,
        type: int = 0,
        tts: bool = False,
        pinned: bool = False,
        edited_timestamp: str | None = None,
        mention_ids: list[int] | None = None,
        mention_role_ids: list[int] | None = None,
        mention_everyone: bool = False,
        reactions: dict[str, list[int]] | None = None,
        reaction_emojis: dict[str, dict[str, Any]] | None = None,
        message_reference: dict[str, Any] | None = None,
        webhook_id: int | None = None,
        application_id: int | None = None,
        interaction_metadata: dict[str, Any] | None = None,
        nonce: str | int | None = None,
        sticker_ids: list[int] | None = None,
        poll: dict[str, Any] | None = None,
        poll_votes: dict[int, list[int]] | None = None,
        author_override: dict[str, Any] | None = None,
        thread_id: int | None = None,
    ) -> None:
        """The dataclass's parameters, in its order; a container left out (or None) starts empty."""
        self.id = id
        self.channel_id = channel_id
        self.author_id = author_id
        self.content = content
        self.guild_id = guild_id
        self._embeds: list[dict[str, Any]] | None = embeds
        self._components: list[dict[str, Any]] | None = components
        self._attachments: list[Attachment] | None = attachments
        self.flags = flags
        self.type = type
        self.tts = tts
        self.pinned = pinned
        self.edited_timestamp = edited_timestamp
        self._mention_ids: list[int] | None = mention_ids
        self._mention_role_ids: list[int] | None = mention_role_ids
        self.mention_everyone = mention_everyone
        self._reactions: dict[str, list[int]] | None = reactions
        self._reaction_emojis: dict[str, dict[str, Any]] | None = reaction_emojis
        self.message_reference = message_reference
        self.webhook_id = webhook_id
        self.application_id = application_id
        self.interaction_metadata = interaction_metadata
        self.nonce = nonce
        self._sticker_ids: list[int] | None = sticker_ids
        self.poll = poll
        self.poll_votes = poll_votes
        self.author_override = author_override
        self.thread_id = thread_id
        self._timestamp = None

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & 64)

    @property
    def timestamp(self) -> str:
        """Creation time, from the id (computed once: ids never change)."""
        cached = self._timestamp
        if cached is None:
            cached = self._timestamp = iso_from_snowflake(self.id)
        return cached


@dataclass
class ApplicationCommand:
    id: int
    application_id: int
    name: str
    type: int = 1
    description: str = ""
    guild_id: int | None = None
    options: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    version: int = 1

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "application_id": str(self.application_id),
            "version": str(self.version),
            "type": self.type,
            "name": self.name,
            "description": self.description,
            "default_member_permissions": None,
            "dm_permission": True,
            "nsfw": False,
        }
        if self.options:
            data["options"] = self.options
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        data.update(self.extra)
        return data


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    channel_ids: list[int] = field(default_factory=list)
    members: dict[int, Member] = field(default_factory=dict)
    emojis: dict[int, Emoji] = field(default_factory=dict)
    stickers: dict[int, Sticker] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    images: dict[str, bytes] = field(default_factory=dict)  # icon, banner, ... as uploaded
    bans: dict[int, Ban] = field(default_factory=dict)
    audit_log: list[AuditLogEntry] = field(default_factory=list)  # oldest first
    voice_states: dict[int, VoiceState] = field(default_factory=dict)
    scheduled_events: dict[int, ScheduledEvent] = field(default_factory=dict)
    automod_rules: dict[int, AutoModRule] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    """Smaller per-guild stores by name: stage instances, soundboard sounds, templates, welcome
    screen, onboarding, widget, integrations, incident actions."""

    def top_role_position(self, user_id: int) -> int:
        member = self.members.get(user_id)
        if member is None:
            return -1
        return max((self.roles[r].position for r in member.roles if r in self.roles), default=0)
