"""Fixtures of the zoryx-backup tests: a bot with the plugin, and worlds to back up."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pytest
import pytest_asyncio
from commands_world import BotStarter, Staff, bot_starter, make_staff
from zoryx_backup import BackupService, Snapshot, backup_service

from zoryx_core import ZoryxBot
from zoryx_core.testing import (
    DEFAULT_EVERYONE_PERMISSIONS,
    Channel,
    ChannelType,
    DiscordEmulator,
    Emoji,
    Guild,
    P,
    Role,
    Sticker,
    User,
    sample_png,
    stop_bot,
)

BotFactory = Callable[..., Awaitable[ZoryxBot]]


def live_api() -> ModuleType:
    """The zoryx_backup package as the running bot loaded it. Each bot loads the plugin afresh
    (unloading purges its modules), so classes imported at the top of a test file belong to an
    earlier copy: ``pytest.raises`` needs the live ones. Enums compare equal across copies."""
    return sys.modules["zoryx_backup"]


BackupBot = Callable[..., Awaitable[tuple[ZoryxBot, BackupService]]]


@dataclass
class World:
    guild: Guild
    owner: User
    roles: list[Role] = field(default_factory=list)
    categories: list[Channel] = field(default_factory=list)
    channels: list[Channel] = field(default_factory=list)
    emojis: list[Emoji] = field(default_factory=list)
    stickers: list[Sticker] = field(default_factory=list)
    users: list[User] = field(default_factory=list)


@pytest.fixture
def backup_bot(discord_emulator: DiscordEmulator, zoryx_bot: BotFactory) -> BackupBot:
    """``await backup_bot(config={...})``: a started bot with zoryx-backup, and its service."""

    async def start(
        *, config: dict[str, Any] | None = None, **options: Any
    ) -> tuple[ZoryxBot, BackupService]:
        bot = await zoryx_bot(plugins=["zoryx-backup"], config=config or {}, **options)
        return bot, backup_service(bot)

    return start


_KINDS = (
    ChannelType.GUILD_TEXT,
    ChannelType.GUILD_VOICE,
    ChannelType.GUILD_ANNOUNCEMENT,
    ChannelType.GUILD_STAGE_VOICE,
    ChannelType.GUILD_FORUM,
)


def channel_options(kind: int, index: int) -> dict[str, Any]:
    """Every settable field of a channel of ``kind``, with values that differ between channels."""
    if kind in (ChannelType.GUILD_TEXT, ChannelType.GUILD_ANNOUNCEMENT):
        return {
            "topic": f"topic {index}",
            "nsfw": index % 3 == 0,
            "rate_limit_per_user": (index % 4) * 5,
            "default_auto_archive_duration": (60, 1440, 4320, 10080)[index % 4],
            "default_thread_rate_limit_per_user": index % 3,
        }
    if kind in (ChannelType.GUILD_VOICE, ChannelType.GUILD_STAGE_VOICE):
        return {
            "nsfw": index % 2 == 0,
            "rate_limit_per_user": index % 3,
            "bitrate": 8000 + 1000 * (index % 40),
            "user_limit": index % 20,
            "rtc_region": ("rotterdam", None, "us-east")[index % 3],
            "video_quality_mode": 1 + index % 2,
        }
    return {
        "topic": f"forum guidelines {index}",
        "nsfw": False,
        "rate_limit_per_user": 10,
        "default_auto_archive_duration": 4320,
        "default_thread_rate_limit_per_user": 30,
        "available_tags": [
            {"name": f"tag-{index}-a", "moderated": False, "emoji_id": None, "emoji_name": "👍"},
            {"name": f"tag-{index}-b", "moderated": True},
        ],
        "default_reaction_emoji": {"emoji_id": None, "emoji_name": "🔥"},
        "default_sort_order": index % 2,
        "default_forum_layout": 1 + index % 2,
    }


def build_world(
    emulator: DiscordEmulator,
    *,
    roles: int = 40,
    categories: int = 10,
    channels: int = 80,
    members: int = 500,
    emojis: int = 6,
    stickers: int = 3,
    bot_permissions: int | None = None,
    name: str = "Backup Guild",
) -> World:
    """A server with roles (colours, hoist, permissions), categories, channels of every kind with
    every field set and permission overwrites, emojis (one animated), stickers, server settings
    with an icon and a banner, and members holding roles."""
    owner = emulator.create_user(f"{name.lower().replace(' ', '-')}-owner")
    options: dict[str, Any] = {"bot_permissions": bot_permissions} if bot_permissions is not None else {}
    guild = emulator.create_guild(name, owner=owner, **options)
    world = World(guild, owner)
    for index in range(roles):
        world.roles.append(
            emulator.create_role(
                guild,
                f"role-{index:02d}",
                permissions=(P.SEND_MESSAGES | P.ADD_REACTIONS) if index % 2 else P.VIEW_CHANNEL,
                color=(index * 0x0A0B0C) % 0xFFFFFF,
                hoist=index % 5 == 0,
                mentionable=index % 3 == 0,
            )
        )
    for index in range(categories):
        category = emulator.create_channel(
            guild, f"category-{index}", type=ChannelType.GUILD_CATEGORY, position=index
        )
        emulator.set_overwrite(
            category, world.roles[index % roles], allow=P.VIEW_CHANNEL, deny=P.SEND_MESSAGES
        )
        world.categories.append(category)
    for index in range(channels):
        kind = _KINDS[index % len(_KINDS)]
        parent = world.categories[index % categories] if categories and index % 4 else None
        channel = emulator.create_channel(
            guild,
            f"channel-{index:02d}",
            type=kind,
            parent=parent,
            position=index,
            **channel_options(kind, index),
        )
        emulator.set_overwrite(
            channel, world.roles[(index * 7) % roles], allow=P.SEND_MESSAGES, deny=P.ADD_REACTIONS
        )
        if index % 3 == 0:
            emulator.set_overwrite(channel, world.roles[(index * 11 + 1) % roles], deny=P.VIEW_CHANNEL)
        world.channels.append(channel)
    for index in range(emojis):
        restricted = [world.roles[index % roles]] if index % 2 else []
        world.emojis.append(
            emulator.create_emoji(guild, f"emoji_{index}", animated=index == 0, roles=restricted)
        )
    for index in range(stickers):
        world.stickers.append(
            emulator.create_sticker(
                guild, f"sticker-{index}", tags="⭐", description=f"sticker number {index}"
            )
        )
    for index in range(members):
        user = emulator.create_user(f"member-{index:04d}")
        held = [world.roles[(index + k * 13) % roles] for k in range(index % 4)] if roles else []
        emulator.add_member(guild, user, roles=held)
        world.users.append(user)
    voice = next((c for c in world.channels if c.type == ChannelType.GUILD_VOICE), None)
    text = next(c for c in world.channels if c.type == ChannelType.GUILD_TEXT) if channels else None
    settings: dict[str, Any] = {
        "verification_level": 2,
        "default_message_notifications": 1,
        "explicit_content_filter": 2,
        "afk_timeout": 900,
        "preferred_locale": "fr",
        "system_channel_flags": 5,
        "icon": emulator_image(1),
        "banner": emulator_image(2),
    }
    if voice is not None:
        settings["afk_channel_id"] = str(voice.id)
    if text is not None:
        settings["system_channel_id"] = str(text.id)
        settings["rules_channel_id"] = str(text.id)
    emulator.edit_guild(guild, **settings)
    guild.roles[guild.id].permissions = DEFAULT_EVERYONE_PERMISSIONS
    return world


def emulator_image(seed: int) -> bytes:
    return sample_png(seed, size=16)


@pytest.fixture
def world_builder(discord_emulator: DiscordEmulator) -> Callable[..., World]:
    def build(**options: Any) -> World:
        return build_world(discord_emulator, **options)

    return build


async def settle(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    """Wait until the bot's cache shows ``condition`` (gateway events arrive asynchronously)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


ABSENT_MEANS = {"default_auto_archive_duration": 1440}


def tags_without_ids(tags: Any) -> Any:
    if not isinstance(tags, list):
        return tags
    return [{k: v for k, v in tag.items() if k != "id"} for tag in tags]


def assert_matches_snapshot(
    emulator: DiscordEmulator, guild: Guild, snapshot: Snapshot, id_map: dict[int, int]
) -> None:
    """The emulator's server (Discord's side, not the bot's cache) against the snapshot."""
    # roles: every field, and the order
    for role in snapshot.roles:
        live = guild.roles[id_map[role.id]]
        assert (live.name, live.permissions) == (role.name, role.permissions), role.name
        if not role.is_default:
            assert (live.color, live.hoist, live.mentionable) == (
                role.colour,
                role.hoist,
                role.mentionable,
            ), role.name
    live_order = [r.name for r in sorted(guild.roles.values(), key=lambda r: r.position)]
    assert live_order == [r.name for r in snapshot.roles]
    assert [guild.roles[id_map[r.id]].position for r in snapshot.roles] == [
        r.position for r in snapshot.roles
    ]
    assert len(guild.roles) == len(snapshot.roles)

    # categories and channels: type, name, position, category, overwrites, every setting
    channels = {c.id: c for c in emulator.state.guild_channels(guild)}
    assert len(channels) == len(snapshot.channels)
    for channel in snapshot.channels:
        live = channels[id_map[channel.id]]
        assert (live.type, live.name, live.position) == (channel.type, channel.name, channel.position), (
            channel.name
        )
        assert live.parent_id == (id_map[channel.parent_id] if channel.parent_id else None), channel.name
        wanted = {
            (id_map.get(o.target_id, o.target_id), 0 if o.target_type == "role" else 1, o.allow, o.deny)
            for o in channel.overwrites
        }
        assert {(o.id, o.type, o.allow, o.deny) for o in live.overwrites} == wanted, channel.name
        for key, value in channel.settings.items():
            current = live.option(key)
            if current is None and key in ABSENT_MEANS:  # Discord leaves it out until it is set
                current = ABSENT_MEANS[key]
            assert tags_without_ids(current) == value, (channel.name, key)

    # emojis and stickers, images included
    emojis = {e.name: e for e in guild.emojis.values()}
    assert set(emojis) == {e.name for e in snapshot.emojis}
    for emoji in snapshot.emojis:
        live_emoji = emojis[emoji.name]
        assert emoji.image is not None and live_emoji.image == emoji.image.data
        assert live_emoji.animated == emoji.animated
        assert sorted(live_emoji.roles) == sorted(id_map[r] for r in emoji.role_ids)
    stickers = {s.name: s for s in guild.stickers.values()}
    assert set(stickers) == {s.name for s in snapshot.stickers}
    for sticker in snapshot.stickers:
        live_sticker = stickers[sticker.name]
        assert sticker.image is not None and live_sticker.image == sticker.image.data
        assert (live_sticker.description, live_sticker.tags) == (sticker.description, sticker.emoji)

    # server settings
    s = snapshot.settings
    settings = guild.settings
    for key in (
        "verification_level",
        "default_message_notifications",
        "explicit_content_filter",
        "afk_timeout",
    ):
        assert settings.get(key) == getattr(s, key), key
    assert (settings["preferred_locale"], settings["system_channel_flags"]) == (
        s.preferred_locale,
        s.system_channel_flags,
    )
    assert settings["afk_channel_id"] == id_map[s.afk_channel_id or 0]
    assert settings["system_channel_id"] == id_map[s.system_channel_id or 0]
    assert settings["rules_channel_id"] == id_map[s.rules_channel_id or 0]
    assert s.icon is not None and s.banner is not None
    assert guild.images["icon"] == s.icon.data and guild.images["banner"] == s.banner.data

    # member roles
    for user_id, role_ids in snapshot.members.roles.items():
        member = guild.members.get(user_id)
        if member is not None:
            assert sorted(member.roles) == sorted(id_map[r] for r in role_ids), user_id


@pytest.fixture
def staff(discord_emulator: DiscordEmulator) -> Staff:
    """A server with its owner, an administrator, a plain member and the bot's owner."""
    return make_staff(discord_emulator)


@pytest_asyncio.fixture
async def start_staff_bot(
    discord_emulator: DiscordEmulator, staff: Staff
) -> AsyncIterator[BotStarter]:
    """``await start_staff_bot(home, **settings)``; every bot started is stopped at the end."""
    started: list[ZoryxBot] = []
    try:
        yield bot_starter(discord_emulator, staff, started)
    finally:
        for bot in reversed(started):
            await stop_bot(bot)
