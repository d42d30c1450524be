"""What a snapshot holds, as typed, immutable values (see ``schemas/snapshot-v1.schema.json``)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

__all__ = [
    "CATEGORY_TYPE",
    "CHANNEL_KIND_NAMES",
    "CHANNEL_SETTING_KEYS",
    "ChannelData",
    "EmojiData",
    "GuildSettingsData",
    "ImageData",
    "MembersSection",
    "OverwriteData",
    "RoleData",
    "Snapshot",
    "SnapshotCounts",
    "StickerData",
]

CATEGORY_TYPE = 4

CHANNEL_KIND_NAMES: Mapping[int, str] = MappingProxyType(
    {0: "text", 2: "voice", 4: "category", 5: "announcement", 13: "stage", 15: "forum", 16: "media"}
)
"""The channel types a snapshot holds (Discord's numbers) and their names."""

_TEXT_KEYS = (
    "topic",
    "nsfw",
    "rate_limit_per_user",
    "default_auto_archive_duration",
    "default_thread_rate_limit_per_user",
)
_VOICE_KEYS = ("nsfw", "rate_limit_per_user", "bitrate", "user_limit", "rtc_region", "video_quality_mode")
_FORUM_KEYS = (
    *_TEXT_KEYS,
    "available_tags",
    "default_reaction_emoji",
    "default_sort_order",
    "default_forum_layout",
)

CHANNEL_SETTING_KEYS: Mapping[int, tuple[str, ...]] = MappingProxyType(
    {0: _TEXT_KEYS, 5: _TEXT_KEYS, 2: _VOICE_KEYS, 13: _VOICE_KEYS, 4: (), 15: _FORUM_KEYS, 16: _FORUM_KEYS}
)
"""For each channel type, the settings (Discord's field names) a bot can set and a snapshot keeps."""


@dataclass(frozen=True, slots=True)
class ImageData:
    """An image (emoji, sticker, server icon or banner) carried inside the snapshot."""

    content_type: str
    data: bytes = field(repr=False)
    key: str | None = None
    """Discord's image hash at backup time (icon and banner), to tell whether it changed since."""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True, slots=True)
class RoleData:
    id: int
    name: str
    colour: int
    hoist: bool
    mentionable: bool
    permissions: int
    position: int
    managed: bool = False
    is_default: bool = False
    """True for @everyone (its id is the server's id)."""
    unicode_emoji: str | None = None


@dataclass(frozen=True, slots=True)
class OverwriteData:
    target_id: int
    target_type: str
    """``"role"`` or ``"member"``."""
    allow: int
    deny: int


@dataclass(frozen=True, slots=True)
class ChannelData:
    """A category or a channel; ``settings`` holds the keys of :data:`CHANNEL_SETTING_KEYS` for its type."""

    id: int
    type: int
    name: str
    position: int
    parent_id: int | None
    overwrites: tuple[OverwriteData, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return CHANNEL_KIND_NAMES.get(self.type, f"type {self.type}")

    @property
    def is_category(self) -> bool:
        return self.type == CATEGORY_TYPE


@dataclass(frozen=True, slots=True)
class EmojiData:
    id: int
    name: str
    animated: bool
    managed: bool
    role_ids: tuple[int, ...]
    image: ImageData | None


@dataclass(frozen=True, slots=True)
class StickerData:
    id: int
    name: str
    description: str
    emoji: str
    """The sticker's tag (Discord calls the field ``tags``)."""
    format_type: int
    image: ImageData | None


@dataclass(frozen=True, slots=True)
class GuildSettingsData:
    name: str
    description: str | None
    verification_level: int
    default_message_notifications: int
    explicit_content_filter: int
    afk_channel_id: int | None
    afk_timeout: int
    system_channel_id: int | None
    system_channel_flags: int
    rules_channel_id: int | None
    public_updates_channel_id: int | None
    safety_alerts_channel_id: int | None
    preferred_locale: str
    premium_progress_bar_enabled: bool
    icon: ImageData | None
    banner: ImageData | None


@dataclass(frozen=True, slots=True)
class MembersSection:
    """Member role assignments of non-bot members; ``included`` is false (with ``reason``) when the
    bot could not see the members (no Server Members intent)."""

    included: bool
    reason: str | None = None
    roles: Mapping[int, tuple[int, ...]] = field(default_factory=dict)
    """Member id -> that member's role ids (without @everyone). Plain tuples of ints: Python's
    collector stops tracking them, so 50,000 members add nothing for full collections to walk."""


@dataclass(frozen=True, slots=True)
class SnapshotCounts:
    roles: int
    categories: int
    channels: int
    emojis: int
    stickers: int
    members: int
    members_included: bool


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One server at one moment. ``roles`` and ``channels`` are ordered by position."""

    schema_version: int
    created_at: datetime
    guild_id: int
    guild_name: str
    generator: str
    roles: tuple[RoleData, ...]
    channels: tuple[ChannelData, ...]
    emojis: tuple[EmojiData, ...]
    stickers: tuple[StickerData, ...]
    settings: GuildSettingsData
    members: MembersSection
    bot_settings: Mapping[str, Any] = field(default_factory=dict)
    """Each plugin's ``zoryx_export_guild_data`` answer, by plugin name."""
    notes: tuple[str, ...] = ()
    """What could not be captured (an image that did not download, a plugin whose export failed)."""

    @property
    def categories(self) -> tuple[ChannelData, ...]:
        return tuple(c for c in self.channels if c.is_category)

    @property
    def non_category_channels(self) -> tuple[ChannelData, ...]:
        return tuple(c for c in self.channels if not c.is_category)

    @property
    def default_role(self) -> RoleData | None:
        return next((r for r in self.roles if r.is_default), None)

    def counts(self) -> SnapshotCounts:
        categories = sum(1 for c in self.channels if c.is_category)
        return SnapshotCounts(
            roles=sum(1 for r in self.roles if not r.is_default),
            categories=categories,
            channels=len(self.channels) - categories,
            emojis=len(self.emojis),
            stickers=len(self.stickers),
            members=len(self.members.roles),
            members_included=self.members.included,
        )
