"""Taking a snapshot of a server from discord.py's cache, without stalling the event loop.

Roles, channels and members are walked in slices with a yield to the event loop between slices;
images (emojis, stickers, icon, banner) are downloaded a few at a time; serialising, hashing and
writing happen later, in a worker thread (:mod:`zoryx_backup.files`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import aiohttp
import discord

from .codec import SCHEMA_VERSION
from .models import (
    CHANNEL_SETTING_KEYS,
    ChannelData,
    EmojiData,
    GuildSettingsData,
    ImageData,
    MembersSection,
    OverwriteData,
    RoleData,
    Snapshot,
    SnapshotCounts,
    StickerData,
)

if TYPE_CHECKING:
    from zoryx_core import ZoryxBot

__all__ = ["DISCORD_CDN", "ImageFetcher", "capture_guild", "live_counts", "sniff_content_type"]

log = logging.getLogger("zoryx.plugin.zoryx-backup.capture")

DISCORD_CDN = "https://cdn.discordapp.com"
"""Discord's own CDN. Images are fetched from ``discord.Asset.BASE``, read when they are fetched
(it is another host when discord.py is pointed elsewhere, e.g. at the emulator); GIF stickers
come from Discord's media host only when that is Discord's CDN."""
SLICE = 500
"""Roles or members handled between two yields to the event loop (a few milliseconds)."""
CHANNEL_SLICE = 50
"""Channels handled between two yields (reading a channel's overwrites costs ~0.1 ms)."""

T = TypeVar("T")
U = TypeVar("U")

MEMBERS_INTENT_MISSING = (
    "the bot runs without the Server Members intent, so member roles were not saved; turn on "
    "intents.members (and the intent in the Developer Portal) to include them"
)


def sniff_content_type(data: bytes) -> str:
    """The image type from its first bytes (PNG, GIF, JPEG, WebP; JSON for Lottie stickers)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.lstrip()[:1] == b"{":
        return "application/json"
    return "application/octet-stream"


class ImageFetcher:
    """Downloads images from the CDN discord.py uses (``discord.Asset.BASE``) through the bot's
    HTTP client, a few at a time; a failure becomes a note in the snapshot instead of failing it."""

    def __init__(self, http: discord.http.HTTPClient, *, concurrency: int = 4) -> None:
        self.http = http
        self._gate = asyncio.Semaphore(concurrency)
        self.notes: list[str] = []

    @property
    def cdn(self) -> str:
        """The CDN's base URL, read from discord.py now (never captured at import)."""
        return str(discord.Asset.BASE).rstrip("/")

    async def fetch(self, path: str, what: str, key: str | None = None) -> ImageData | None:
        url = path if path.startswith(("http://", "https://")) else f"{self.cdn}/{path}"
        async with self._gate:
            try:
                data = await self.http.get_from_cdn(url)
            except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as exc:
                self.notes.append(f"the image of {what} could not be downloaded ({exc})")
                return None
        return ImageData(content_type=sniff_content_type(data), data=data, key=key)


async def _mapped(items: Iterable[T], fn: Callable[[T], U], size: int) -> list[U]:
    """``[fn(item) for item in items]``, yielding to the event loop every ``size`` items."""
    result: list[U] = []
    for index, item in enumerate(items, start=1):
        result.append(fn(item))
        if index % size == 0:
            await asyncio.sleep(0)
    return result


def _role(role: discord.Role) -> RoleData:
    return RoleData(
        id=role.id,
        name=role.name,
        colour=role.colour.value,
        hoist=role.hoist,
        mentionable=role.mentionable,
        permissions=role.permissions.value,
        position=role.position,
        managed=role.managed,
        is_default=role.is_default(),
        unicode_emoji=role.unicode_emoji,
    )


def _overwrites(channel: discord.abc.GuildChannel) -> tuple[OverwriteData, ...]:
    result = []
    for target, overwrite in channel.overwrites.items():
        is_role = isinstance(target, discord.Role) or (
            isinstance(target, discord.Object) and target.type is discord.Role
        )
        allow, deny = overwrite.pair()
        result.append(OverwriteData(target.id, "role" if is_role else "member", allow.value, deny.value))
    return tuple(sorted(result, key=lambda o: (o.target_type, o.target_id)))


def _emoji_payload(emoji: discord.PartialEmoji | None) -> dict[str, Any] | None:
    if emoji is None:
        return None
    if emoji.id is not None:
        return {"emoji_id": str(emoji.id), "emoji_name": None}
    return {"emoji_id": None, "emoji_name": emoji.name}


def _channel_settings(channel: discord.abc.GuildChannel) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if isinstance(channel, discord.TextChannel):
        values = {
            "topic": channel.topic,
            "nsfw": channel.nsfw,
            "rate_limit_per_user": channel.slowmode_delay,
            "default_auto_archive_duration": channel.default_auto_archive_duration,
            "default_thread_rate_limit_per_user": channel.default_thread_slowmode_delay,
        }
    elif isinstance(channel, discord.VoiceChannel | discord.StageChannel):
        values = {
            "nsfw": channel.nsfw,
            "rate_limit_per_user": channel.slowmode_delay,
            "bitrate": channel.bitrate,
            "user_limit": channel.user_limit,
            "rtc_region": channel.rtc_region,
            "video_quality_mode": channel.video_quality_mode.value,
        }
    elif isinstance(channel, discord.ForumChannel):
        values = {
            "topic": channel.topic,
            "nsfw": channel.nsfw,
            "rate_limit_per_user": channel.slowmode_delay,
            "default_auto_archive_duration": channel.default_auto_archive_duration,
            "default_thread_rate_limit_per_user": channel.default_thread_slowmode_delay,
            "available_tags": [
                {
                    "name": tag.name,
                    "moderated": tag.moderated,
                    **(_emoji_payload(tag.emoji) or {"emoji_id": None, "emoji_name": None}),
                }
                for tag in channel.available_tags
            ],
            "default_reaction_emoji": _emoji_payload(channel.default_reaction_emoji),
            "default_sort_order": channel.default_sort_order.value if channel.default_sort_order else None,
            "default_forum_layout": channel.default_layout.value,
        }
    allowed = CHANNEL_SETTING_KEYS.get(channel.type.value, ())
    return {key: values[key] for key in allowed if key in values}


def _channel(channel: discord.abc.GuildChannel) -> ChannelData:
    return ChannelData(
        id=channel.id,
        type=channel.type.value,
        name=channel.name,
        position=channel.position,
        parent_id=channel.category_id,
        overwrites=_overwrites(channel),
        settings=_channel_settings(channel),
    )


def _ext(key: str) -> str:
    return "gif" if key.startswith("a_") else "png"


_STICKER_EXT = {1: "png", 2: "png", 3: "json", 4: "gif"}


async def _settings(guild: discord.Guild, images: ImageFetcher | None) -> GuildSettingsData:
    icon = banner = None
    if guild.icon is not None:
        key = guild.icon.key
        icon = ImageData("", b"", key)
        if images is not None:
            icon = await images.fetch(f"icons/{guild.id}/{key}.{_ext(key)}", "the server icon", key)
    if guild.banner is not None:
        key = guild.banner.key
        banner = ImageData("", b"", key)
        if images is not None:
            banner = await images.fetch(f"banners/{guild.id}/{key}.{_ext(key)}", "the server banner", key)
    return GuildSettingsData(
        name=guild.name,
        description=guild.description,
        verification_level=guild.verification_level.value,
        default_message_notifications=guild.default_notifications.value,
        explicit_content_filter=guild.explicit_content_filter.value,
        afk_channel_id=guild.afk_channel.id if guild.afk_channel else None,
        afk_timeout=guild.afk_timeout,
        system_channel_id=guild.system_channel.id if guild.system_channel else None,
        system_channel_flags=guild.system_channel_flags.value,
        rules_channel_id=guild.rules_channel.id if guild.rules_channel else None,
        public_updates_channel_id=guild.public_updates_channel.id if guild.public_updates_channel else None,
        safety_alerts_channel_id=guild.safety_alerts_channel.id if guild.safety_alerts_channel else None,
        preferred_locale=str(guild.preferred_locale.value),
        premium_progress_bar_enabled=guild.premium_progress_bar_enabled,
        icon=icon,
        banner=banner,
    )


def live_counts(guild: discord.Guild, *, members_included: bool = True) -> SnapshotCounts:
    """The server as it is now, counted as a snapshot counts it (:meth:`Snapshot.counts`): roles
    without @everyone, categories and other channels apart, members who are not bots."""
    categories = len(guild.categories)
    return SnapshotCounts(
        roles=sum(1 for role in guild.roles if not role.is_default()),
        categories=categories,
        channels=len(guild.channels) - categories,
        emojis=len(guild.emojis),
        stickers=len(guild.stickers),
        members=sum(1 for member in guild.members if not member.bot),
        members_included=members_included,
    )


async def _members(bot: discord.Client, guild: discord.Guild) -> MembersSection:
    if not bot.intents.members:
        return MembersSection(included=False, reason=MEMBERS_INTENT_MISSING)
    if not guild.chunked:
        await guild.chunk(cache=True)
    roles: dict[int, tuple[int, ...]] = {}
    default_id = guild.id
    for index, member in enumerate(guild.members, start=1):
        if not member.bot:
            role_ids = tuple(r.id for r in member.roles if r.id != default_id)
            roles[member.id] = role_ids
        if index % SLICE == 0:
            await asyncio.sleep(0)
    return MembersSection(included=True, roles=roles)


async def _bot_settings(bot: ZoryxBot, guild_id: int) -> tuple[dict[str, Any], list[str]]:
    data, failures = await bot.plugins.export_guild_data(guild_id)
    notes = [f"the settings of plugin {name} were not saved: {why}" for name, why in failures.items()]
    kept: dict[str, Any] = {}
    for name, value in data.items():
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            notes.append(f"the settings of plugin {name} were not saved: not JSON data ({exc})")
        else:
            kept[name] = value
    return kept, notes


async def capture_guild(
    bot: ZoryxBot,
    guild: discord.Guild,
    *,
    images: ImageFetcher | None,
    generator: str,
    include_members: bool = True,
    include_bot_settings: bool = True,
) -> Snapshot:
    """A :class:`Snapshot` of ``guild`` as the bot sees it now.

    ``images=None`` downloads nothing: icon and banner are then recorded by their Discord key only
    (an :class:`ImageData` with empty data), which is what the live view used by drift and restore
    planning needs. Member roles need the members intent; without it the snapshot
    says so in ``members.reason``.
    """
    created_at = datetime.now(UTC)
    roles = await _mapped(sorted(guild.roles, key=lambda r: (r.position, r.id)), _role, SLICE)
    channels = await _mapped(guild.channels, _channel, CHANNEL_SLICE)
    channels.sort(key=lambda c: (not c.is_category, c.position, c.id))
    await asyncio.sleep(0)

    emoji_tasks = []
    for emoji in guild.emojis:
        image_task = None
        if images is not None and not emoji.managed:
            path = f"emojis/{emoji.id}.{'gif' if emoji.animated else 'png'}"
            image_task = asyncio.ensure_future(images.fetch(path, f"emoji :{emoji.name}:"))
        emoji_tasks.append((emoji, image_task))
    sticker_tasks = []
    for sticker in guild.stickers:
        image_task = None
        if images is not None:
            format_type = sticker.format.value
            if format_type == 4 and images.cdn == DISCORD_CDN:
                path = sticker.url  # GIF stickers are served from Discord's media host
            else:
                path = f"stickers/{sticker.id}.{_STICKER_EXT.get(format_type, 'png')}"
            image_task = asyncio.ensure_future(images.fetch(path, f"sticker {sticker.name!r}"))
        sticker_tasks.append((sticker, image_task))

    pending = [task for _, task in (*emoji_tasks, *sticker_tasks) if task is not None]
    try:
        settings = await _settings(guild, images)
        members = (
            await _members(bot, guild)
            if include_members
            else MembersSection(included=False, reason="member roles were not requested")
        )
        bot_settings, notes = await _bot_settings(bot, guild.id) if include_bot_settings else ({}, [])
        if pending:
            await asyncio.gather(*pending)
    finally:
        for task in pending:
            task.cancel()
    emojis = [
        EmojiData(
            id=emoji.id,
            name=emoji.name,
            animated=emoji.animated,
            managed=emoji.managed,
            role_ids=tuple(sorted(r.id for r in emoji.roles)),
            image=task.result() if task is not None else None,
        )
        for emoji, task in emoji_tasks
    ]
    stickers = [
        StickerData(
            id=sticker.id,
            name=sticker.name,
            description=sticker.description or "",
            emoji=sticker.emoji,
            format_type=sticker.format.value,
            image=task.result() if task is not None else None,
        )
        for sticker, task in sticker_tasks
    ]
    if images is not None:
        notes.extend(images.notes)
    return Snapshot(
        schema_version=SCHEMA_VERSION,
        created_at=created_at,
        guild_id=guild.id,
        guild_name=guild.name,
        generator=generator,
        roles=tuple(roles),
        channels=tuple(channels),
        emojis=tuple(emojis),
        stickers=tuple(stickers),
        settings=settings,
        members=members,
        bot_settings=bot_settings,
        notes=tuple(notes),
    )
